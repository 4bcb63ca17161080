"""Cost and accuracy of the stack quadrature (docs/theory.md §9) against the single slab.

    python benchmarks/stacks.py

Writes ``benchmarks/results/stacks.json`` and ``benchmarks/results/stacks.md``.
All ratios are measured in the same run on the same geometry points:

* map: 200 geometry points of a z2 scan (paper geometry, z2 = 0.5-3 um, r12 = 250 nm)
  with one body; its poles are found once (cached per body), as in a C(z2, T_M) map.
* thickness: 100 points of a thickness scan of the top layer; every point is a new
  body, so the pole search (slab: its root finder; stack: the |rho| scan of §9) runs
  for every point.
* accuracy: the same points with 16 and 40 Gauss-Legendre nodes per panel (max
  relative difference of W, M, GR), and alpha_M^zz at z = 1 um against scipy.quad.

Target (issue 13): a 3-layer stack costs at most 2x the single slab per geometry point.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

W_T = 1.495e14
OMEGA = 0.3 * W_T


def best_time(fn, repeat=5):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bodies():
    from neqent.electrodynamics.materials import SIC

    e = SIC.eps(OMEGA)
    glass = 2.1 + 0.05j
    return {
        "slab: SiC 10 nm (pair_block_batch)": None,
        "1 layer via the stack path (forced)": ([e], [e], [10e-9], 1.0, 1.0, True),
        "3 layers: SiC 10 nm / glass 20 nm / SiC 10 nm": (
            [e, glass, e],
            [e, glass, e],
            [10e-9, 20e-9, 10e-9],
            1.0,
            1.0,
            False,
        ),
        "3 layers on a glass substrate": ([e, glass, e], [e, glass, e], [10e-9, 20e-9, 10e-9], glass, glass, False),
        "hyperbolic 50 nm (eps_t 2.9+0.02j, eps_z -4+0.3j) on SiC": (
            [2.9 + 0.02j],
            [-4.0 + 0.3j],
            [50e-9],
            e,
            e,
            False,
        ),
    }


def run_body(body, z2, thickness_scale=None, order=16):
    from neqent.electrodynamics import kernels as K
    from neqent.electrodynamics.materials import SIC

    n = z2.size
    if body is None:
        delta = 10e-9 if thickness_scale is None else 10e-9 * thickness_scale
        return K.pair_block_batch(OMEGA, SIC.eps(OMEGA), delta, 1e-6, z2, 0.25e-6, 0.0, order=order)
    et, ez, d, st, sz, force = body
    th = np.tile(d, (n, 1))
    if thickness_scale is not None:
        th[:, 0] = d[0] * thickness_scale
    return K.stack_block_batch(
        OMEGA,
        np.tile(et, (n, 1)),
        np.tile(ez, (n, 1)),
        th,
        st,
        sz,
        1e-6,
        z2,
        0.25e-6,
        0.0,
        order=order,
        force_stack=force,
    )


def quad_reference_mzz(body, z):
    """alpha_M^zz(z, z) by scipy.quad (plain §9 recursion in tests/test_stack.py)."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    from scipy.constants import c
    from test_stack import _quad_mzz

    from neqent.electrodynamics.stack import stack_singularities

    et, ez, d, st, sz, _ = body
    poles, _ = stack_singularities(et, ez, [OMEGA / c * x for x in d], st, sz)
    return _quad_mzz(OMEGA, et, ez, d, st, sz, z, poles)


def main():
    from neqent.electrodynamics import kernels as K
    from neqent.electrodynamics import quadrature

    z2_map = np.linspace(0.5e-6, 3e-6, 200)
    z2_thick = np.full(100, 1e-6)
    scales = np.linspace(1.0, 2.0, 100)
    rows = []
    for name, body in bodies().items():
        run_body(body, z2_map[:2])  # compile / warm the caches
        t_map = best_time(lambda: run_body(body, z2_map)) / z2_map.size
        nodes = float(np.mean(K.nodes_used()))

        def thickness_scan():
            quadrature.SINGULARITY_CACHE.clear()
            return run_body(body, z2_thick, thickness_scale=scales)

        t_thick = best_time(thickness_scan, repeat=3) / scales.size
        a = run_body(body, z2_map[::20])
        b = run_body(body, z2_map[::20], order=40)
        conv = max(float(np.abs(x - y).max() / max(1.0, np.abs(y).max())) for x, y in zip(a, b))
        row = {
            "case": name,
            "map_us_per_point": t_map * 1e6,
            "thickness_scan_us_per_point": t_thick * 1e6,
            "nodes_per_point": nodes,
            "max_rel_diff_16_vs_40_nodes": conv,
        }
        if body is not None:
            from neqent.electrodynamics.kernels import stack_pair_tensors

            M = stack_pair_tensors(OMEGA, *body[:5], 1e-6, 1e-6, 0.0, 0.0, force_stack=body[5])[1]
            ref = quad_reference_mzz(body, 1e-6)
            row["alpha_M_zz_vs_scipy_quad"] = abs(M[2, 2].real - ref)
        rows.append(row)
    slab = rows[0]
    for row in rows:
        row["map_cost_vs_slab"] = row["map_us_per_point"] / slab["map_us_per_point"]
        row["thickness_cost_vs_slab"] = row["thickness_scan_us_per_point"] / slab["thickness_scan_us_per_point"]
    meta = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "omega": OMEGA,
        "note": "wall times on a shared 2-core machine; ratios measured in the same run",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "stacks.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    keys = list(rows[-1])
    lines = [
        "# Stack quadrature benchmark (benchmarks/stacks.py)",
        "",
        f"Machine: {meta}",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ]
    for row in rows:
        cells = [row.get(k, "") for k in keys]
        lines.append("| " + " | ".join(f"{c:.3g}" if isinstance(c, float) else str(c) for c in cells) + " |")
    (RESULTS / "stacks.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
