"""Cost of the sphere kernels (docs/theory.md §13) against a plain loop over miepython coefficients.

    python benchmarks/sphere.py

Writes ``benchmarks/results/sphere.json`` and ``benchmarks/results/sphere.md``.
SiC at omega = 1.70e14 rad/s, two qubits at height d = 20 nm, 100 nm apart, one
core (numba compiled beforehand). For every R/d, measured in the same run:

* first point: a new Sphere (no coefficient table yet), one converged pair_block
  (W, M, GR of the two-qubit point; l_max from the near-field rule at tol 1e-10);
* further point: the same sphere and omega, another position (table cached);
* batch: 200 further positions in one call, per point;
* plain loop: the same GR and alpha_M from miepython's a_l, b_l and scipy's
  unscaled spherical Bessel functions, summed over l in Python (m-sum in closed
  form as in the library), its cost and its largest relative deviation (inf/nan
  once h_l overflows or a_l underflows).

Targets (issue 24): first point <= 1 s at R/d <= 100; further point <= 10 % of it.
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

OMEGA = 1.70e14
D = 20e-9
R12 = 100e-9


def best_time(fn, repeat=7):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def plain_loop(sphere, r1, r2):
    """GR and alpha_M from miepython's coefficients, unscaled, in a Python loop (tests/test_sphere.py)."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    from test_sphere import plain_mie_block

    with warnings.catch_warnings():  # unscaled recurrences overflow in the near field: that is the point
        warnings.simplefilter("ignore", RuntimeWarning)
        return plain_mie_block(sphere, OMEGA, r1, r2)


def main():
    from neqent.electrodynamics.sphere import Sphere

    r1 = np.array([0.0, 0.0, D])
    r2 = np.array([R12, 0.0, D])
    Sphere("sic", 10 * D).pair_block(OMEGA, r1, r2)  # compile (or load the numba cache)
    n_batch = 200
    rows = []
    for ratio in (1, 3, 10, 30, 100):
        radius = ratio * D

        def first():
            s = Sphere("sic", radius)
            return s, s.pair_block(OMEGA, r1, r2)

        t_first, (sphere, (w, m, g)) = best_time(first)
        lmax = int(sphere.last_l_max[0])
        t_further, _ = best_time(lambda: sphere.pair_block(OMEGA, r1 * 1.05, r2 * 1.05))
        b1 = np.column_stack([np.zeros(n_batch), np.zeros(n_batch), np.linspace(D, 1.1 * D, n_batch)])
        t_batch, _ = best_time(lambda: sphere.pair_block(OMEGA, b1, b1 + [R12, 0.0, 0.0]), repeat=3)
        tight = Sphere("sic", radius, tol=1e-14)
        wt, mt, gt = tight.pair_block(OMEGA, r1, r2)
        conv = max(float(np.abs(x - y).max() / np.abs(y).max()) for x, y in ((w, wt), (m, mt), (g, gt)))
        t_plain, (gp, mp) = best_time(lambda: plain_loop(sphere, r1, r2), repeat=1 if lmax > 600 else 3)
        with np.errstate(all="ignore"):
            dev = max(float(np.abs(x - y).max() / np.abs(y).max()) for x, y in ((gp, g[0]), (mp, m[0])))
        rows.append(
            {
                "R/d": ratio,
                "radius_m": radius,
                "l_max": lmax,
                "first_point_ms": t_first * 1e3,
                "further_point_ms": t_further * 1e3,
                "further/first": t_further / t_first,
                "batch_ms_per_point": t_batch / n_batch * 1e3,
                "batch/first": t_batch / n_batch / t_first,
                "rel_diff_vs_tol_1e-14": conv,
                "alpha_M_zz_11": float(m[0, 0, 0, 2, 2].real),
                "plain_miepython_loop_ms": t_plain * 1e3,
                "plain/first": t_plain / t_first,
                "plain_loop_max_rel_dev": dev if math.isfinite(dev) else "nan/inf",
            }
        )
    meta = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "omega": OMEGA,
        "height_m": D,
        "r12_m": R12,
        "note": "wall times on a shared 2-core machine, best of several calls; ratios measured in the same run",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sphere.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    keys = list(rows[0])
    lines = [
        "# Sphere kernels benchmark (benchmarks/sphere.py)",
        "",
        f"Machine: {meta}",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ]
    for row in rows:
        lines.append("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row.values()) + " |")
    (RESULTS / "sphere.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
