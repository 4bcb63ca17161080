"""N-qubit steady state (docs/theory.md §10): neqent's block solver versus qutip.steadystate.

    python benchmarks/nqubit.py            # N = 2..8 (qutip for N = 3..6)
    python benchmarks/nqubit.py --nmax 10

Rates: a chain of N qubits along x at z = 1 um, spacing 250 nm, dipoles along
z, above the paper's SiC slab (10 nm, 0.3 w_T, T_W = 30 K, T_M = 600 K):
physical, strongly collective rates (slowest decay ~1e-7 Gamma0 at N = 8).
Times are wall clock, best of several calls, inputs the (N, N) rate
matrices: neqent.dynamics.many_body.steady_state_n versus
qutip.steadystate(H, c_ops) (QuTiP builds its Liouvillian from H and the
collapse operators of the diagonalised rate matrices inside the timed call,
as neqent builds its blocks). Writes benchmarks/results/nqubit.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
W = 0.3 * 1.495e14


def best_time(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def chain_rates(n):
    from neqent.dynamics.many_rates import ManyGeometry, compute_many_kernels, many_rates
    from neqent.dynamics.rates import occupation

    k = compute_many_kernels(ManyGeometry(positions=[(q * 0.25e-6, 0.0, 1e-6) for q in range(n)]), W)
    gp, gm = many_rates(k, occupation(W, 30.0), occupation(W, 600.0))
    return gp, gm, k.Lambda


def qutip_steady(gp, gm, lam):
    import qutip

    n = gp.shape[0]

    def sigma(q):
        ops = [qutip.qeye(2)] * n
        ops[n - 1 - q] = qutip.destroy(2)
        return qutip.tensor(ops)

    s = [sigma(q) for q in range(n)]
    H = sum(lam[q, p] * s[q].dag() * s[p] for q in range(n) for p in range(n) if q != p)
    c_ops = []
    for rate, jump in ((gp, s), (gm, [x.dag() for x in s])):
        w, U = np.linalg.eigh(rate)
        for k in range(n):
            if w[k] > 0:
                c_ops.append(np.sqrt(w[k]) * sum(np.conj(U[q, k]) * jump[q] for q in range(n)))
    return lambda: qutip.steadystate(H, c_ops).full()


def main(argv=None):
    from neqent.dynamics import many_body, master
    from neqent.dynamics.many_entanglement import pair_concurrences

    ap = argparse.ArgumentParser()
    ap.add_argument("--nmax", type=int, default=8)
    ap.add_argument("--qutip-nmax", type=int, default=6)
    args = ap.parse_args(argv)
    rows = []
    for n in range(2, args.nmax + 1):
        gp, gm, lam = chain_rates(n)
        many_body.steady_state_n(gp, gm, lam)  # warm caches (basis tables)
        repeat = 5 if n <= 6 else (2 if n <= 8 else 1)
        t_ours, rho = best_time(lambda: many_body.steady_state_n(gp, gm, lam, return_rcond=True), repeat)
        rho, rcond = rho
        row = {
            "N": n,
            "k0_block_dim": int(sum(len(s) ** 2 for s in many_body._sectors(n)[0])),
            "liouvillian_dim": 4**n,
            "neqent_s": t_ours,
            "rcond_estimate": rcond,
            "max_pair_concurrence": max(pair_concurrences(rho).values()),
            "slowest_decay_rate": float(np.min(np.linalg.eigvalsh(gp + gm))),
        }
        if n == 2:
            ref = master.steady_state(gp, gm, lam[0, 1])
            row["max_abs_diff_vs_two_qubit_solver"] = float(np.max(np.abs(rho - ref)))
        if 3 <= n <= args.qutip_nmax:
            fn = qutip_steady(gp, gm, lam)
            t_q, ref = best_time(fn, 3 if n <= 5 else 1)
            row.update(qutip_s=t_q, speedup=t_q / t_ours, max_abs_diff_vs_qutip=float(np.max(np.abs(rho - ref))))
        rows.append(row)
        print(json.dumps(row), flush=True)
    info = {
        "python": platform.python_version(),
        "cpus": 2,
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "nqubit.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=1) + "\n")
    cols = [
        "N",
        "k0_block_dim",
        "neqent_s",
        "qutip_s",
        "speedup",
        "max_abs_diff_vs_qutip",
        "max_abs_diff_vs_two_qubit_solver",
        "rcond_estimate",
        "slowest_decay_rate",
        "max_pair_concurrence",
    ]

    def fmt(v):
        return "" if v is None else (f"{v:.3g}" if isinstance(v, float) else str(v))

    lines = [
        "# N-qubit steady state: neqent vs qutip.steadystate",
        "",
        f"Machine: {info}. Chain along x, spacing 250 nm, z = 1 um, SiC 10 nm, 0.3 w_T, T_W = 30 K, T_M = 600 K.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in cols) + " |" for r in rows]
    (RESULTS / "nqubit.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
