"""Benchmark of ``neqent optimize`` (issue 12): evaluations per second and a 6-parameter search.

    python benchmarks/optimize.py            # ~2-4 minutes on 2 cores
    python benchmarks/optimize.py --quick    # smaller budget, for a smoke run

Writes ``benchmarks/results/optimize.json`` and ``benchmarks/results/optimize.md``:

* objective throughput: the batched witness (kernels + rates + steady state)
  on 2000 random points of the 6-parameter box, one process (wall and CPU);
* the 6-parameter search (z1, z2, r12, delta, omega_ratio, TM; budget 2e4)
  with 1 and 2 worker processes: wall time, evaluations, evaluations/s,
  identical results;
* the fig4a reproduction ((z2, TM) free) and the agreement with ``neqent.point``.

The load average at the start is recorded: on a shared machine the wall times
scale with it, the CPU seconds much less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

BOX = {
    "z1": ("0.2um", "3um"),
    "z2": ("0.2um", "3um"),
    "r12": ("50nm", "2um"),
    "delta": ("1nm", "1um"),
    "omega_ratio": (0.1, 0.9),
    "TM": (0, 2500),
}


def cpu_seconds():
    """CPU seconds of this process and its (finished) children."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def throughput(n=2000):
    """Witness evaluations per second over random points of BOX (one process, warm)."""
    from neqent.dynamics.landscape import Landscape
    from neqent.dynamics.search import auto_log
    from neqent.electrodynamics.materials import get_material
    from neqent.interface.optimize import parse_vary

    bounds = parse_vary(BOX)
    lo = np.array([b[0] for b in bounds.values()])
    hi = np.array([b[1] for b in bounds.values()])
    log = auto_log(lo, hi)
    u = np.random.default_rng(0).random((n, lo.size))
    X = np.where(log, lo * (hi / np.where(log, lo, 1)) ** u, lo + u * (hi - lo))
    fixed = dict(delta=1e-8, z1=1e-6, z2=1e-6, dx=0.25e-6, dy=0.0, omega=None, omega_ratio=0.3, TM=600.0, TW=30.0)
    fixed.update(d1=np.array([0, 0, 1], complex), d2=np.array([0, 0, 1], complex))
    land = Landscape(get_material("sic"), fixed, tuple(bounds))
    land.witness(X[:16])  # numba cache load
    t0, c0 = time.perf_counter(), cpu_seconds()
    for s in range(0, n, 16):  # the search's chunk size
        land.witness(X[s : s + 16])
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    return {"points": n, "wall_s": wall, "cpu_s": cpu, "evals_per_s_wall": n / wall, "evals_per_s_cpu": n / cpu}


def search(budget, workers):
    import neqent

    t0, c0 = time.perf_counter(), cpu_seconds()
    r = neqent.optimize(BOX, seed=1, budget=budget, workers=workers)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    check = neqent.point(**r["input"])["concurrence"]
    return {
        "workers": workers,
        "budget": budget,
        "evaluations": r["evaluations"],
        "sharpness_evaluations": r["sharpness_evaluations"],
        "wall_s": wall,
        "cpu_s": cpu,
        "evals_per_s": (r["evaluations"] + r["sharpness_evaluations"]) / wall,
        "concurrence": r["concurrence"],
        "point": r["point"],
        "at_bounds": r["at_bounds"],
        "point_agreement": abs(check - r["concurrence"]),
    }


def fig4a():
    import neqent

    t0 = time.perf_counter()
    r = neqent.optimize({"z2": ("0.5um", "2um"), "TM": (0, 2500)}, seed=3, budget=600, workers=1)
    return {
        "wall_s": time.perf_counter() - t0,
        "concurrence": r["concurrence"],
        "z2": r["point"]["z2"],
        "TM": r["point"]["TM"],
        "evaluations": r["evaluations"],
        "point_agreement": abs(neqent.point(**r["input"])["concurrence"] - r["concurrence"]),
        "pipeline_grid_maximum": {"C": 0.224, "z2": 1.26e-6, "TM": 1210.0},
    }


def markdown(res):
    t, f = res["throughput"], res["fig4a"]
    lines = [
        "# neqent optimize benchmark",
        "",
        f"{res['machine']}, load average at start {res['loadavg']:.2f} on {res['cpus']} cores, {res['date']}.",
        "",
        "| measurement | wall | CPU | evaluations/s (wall) | result |",
        "| --- | --- | --- | --- | --- |",
        f"| objective (kernels + steady + witness), 6 parameters, {t['points']} random points, 1 process "
        f"| {t['wall_s']:.2f} s | {t['cpu_s']:.2f} s | {t['evals_per_s_wall']:.0f} | "
        f"{t['evals_per_s_cpu']:.0f} evals per CPU second |",
    ]
    for s in res["search"]:
        lines.append(
            f"| 6-parameter search, budget {s['budget']}, {s['workers']} process(es) | {s['wall_s']:.1f} s "
            f"| {s['cpu_s']:.1f} s | {s['evals_per_s']:.0f} | C = {s['concurrence']:.6f} after "
            f"{s['evaluations']} + {s['sharpness_evaluations']} evaluations; at bounds {s['at_bounds']}; "
            f"neqent.point agrees to {s['point_agreement']:.1e} |"
        )
    lines.append(
        f"| fig4a: (z2, T_M) free, budget 600 | {f['wall_s']:.1f} s | | | C = {f['concurrence']:.6f} at "
        f"z2 = {f['z2'] * 1e6:.4f} um, T_M = {f['TM']:.1f} K (pipeline grid: 0.224 at 1.26 um, 1210 K); "
        f"neqent.point agrees to {f['point_agreement']:.1e} |"
    )
    same = len(res["search"]) == 2 and res["search"][0]["point"] == res["search"][1]["point"]
    lines += ["", f"Results with 1 and 2 processes identical: {same}."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="budget 3000 instead of 20000")
    args = p.parse_args(argv)
    budget = 3000 if args.quick else 20000
    res = {
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg()[0],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "throughput": throughput(),
        "search": [search(budget, 2), search(budget, 1)],
        "fig4a": fig4a(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "optimize.json").write_text(json.dumps(res, indent=1, default=float) + "\n")
    (RESULTS / "optimize.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
