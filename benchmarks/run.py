"""Performance harness: every comparison side by side in one process run.

    python benchmarks/run.py                 # all sections
    python benchmarks/run.py --only steady   # one section (kernels, steady, mpi, e2e, scaling)

Writes ``benchmarks/results/results.json`` (all measurements) and
``benchmarks/results/results.md`` (the table quoted in the README). Ratios
are always measured within the same run, on the same inputs, so they do not
depend on what else the machine was doing on another day.

Sections (issue 5):
* kernels  -- numba kernels vs the scipy.integrate.quad reference
              (benchmarks/scipy_reference.py) at equal accuracy: us/point,
              quadrature nodes, max abs difference. Target >= 50x.
* steady   -- batched master.steady_state vs qutip.steadystate on the same
              Liouvillians. Target >= 100x per point, agreement 1e-10.
* mpi      -- kernel stage with 1 vs 2 MPI ranks. Target >= 1.8x,
              bit-identical results.
* e2e      -- the default ``snakemake --cores 2`` run, numba cache cold and
              warm, split by stage (Snakemake benchmark files).
* scaling  -- points per second versus grid size; temperature points cost
              no kernel evaluations.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))


def best_time(fn, repeat=5, number=1):
    """Smallest wall time (s) of ``number`` calls of ``fn`` over ``repeat`` trials."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


# ---------------------------------------------------------------------------
# 1. kernels
# ---------------------------------------------------------------------------

KERNEL_CASES = [
    # name, material, omega (rad/s), delta (m), z_q, z_q', dx (m)
    ("paper 11 (SiC 10 nm, 0.3 wT, z = 1 um)", "sic", 0.3 * 1.495e14, 1e-8, 1e-6, 1e-6, 0.0),
    ("paper 12 (r12 = 0.25 um)", "sic", 0.3 * 1.495e14, 1e-8, 1e-6, 1e-6, 0.25e-6),
    ("paper 12, z2 = 1.5 um", "sic", 0.3 * 1.495e14, 1e-8, 1e-6, 1.5e-6, 0.25e-6),
    ("SiC near polariton 1.7e14, z = 0.2 um", "sic", 1.7e14, 1e-8, 0.2e-6, 0.2e-6, 0.5e-6),
    ("lossy dielectric eps = 4+0.5j, half-space", "eps=4+0.5j", 0.3 * 1.495e14, np.inf, 0.5e-6, 0.8e-6, 1e-6),
]


def bench_kernels(batch=32, n_ref=3):
    """Per geometry point: numba batch kernel vs scipy quad reference, same points."""
    import scipy_reference

    from neqent.electrodynamics import kernels
    from neqent.electrodynamics.materials import get_material

    rows = []
    for name, mat, omega, delta, zq, zqp, dx in KERNEL_CASES:
        eps = get_material(mat).eps(omega)
        # a small family of points around the case (lateral offsets +-10 %)
        dxs = dx * np.linspace(0.9, 1.1, batch) if dx else np.zeros(batch)
        zqs = np.full(batch, zq)
        args = (omega, eps, delta, zqs, zqp, dxs, 0.0)
        kernels.pair_tensors_batch(*args)  # compile / warm the cache
        t_fast = best_time(lambda: kernels.pair_tensors_batch(*args), repeat=5) / batch
        fast = kernels.pair_tensors_batch(*args)
        nodes = float(np.mean(kernels.nodes_used()))
        t0 = time.perf_counter()
        refs, ref_nodes = [], []
        for i in range(n_ref):
            refs.append(scipy_reference.reference_pair_tensors(omega, eps, delta, zq, zqp, dxs[i], 0.0))
            ref_nodes.append(scipy_reference.last_nodes)
        t_ref = (time.perf_counter() - t0) / n_ref
        err = max(float(np.max(np.abs(fast[c][i] - refs[i][c]))) for i in range(n_ref) for c in range(3))
        rows.append(
            {
                "case": name,
                "numba_us_per_point": t_fast * 1e6,
                "scipy_us_per_point": t_ref * 1e6,
                "speedup": t_ref / t_fast,
                "max_abs_diff_W_M_GR": err,
                "numba_nodes_per_point": nodes,
                "scipy_nodes_per_point": float(np.mean(ref_nodes)),
            }
        )
        print(
            f"  kernels: {name}: {t_fast * 1e6:.0f} us vs {t_ref * 1e6:.0f} us "
            f"({t_ref / t_fast:.0f}x), diff {err:.1e}, {nodes:.0f} vs {np.mean(ref_nodes):.0f} nodes",
            flush=True,
        )
    return rows


# ---------------------------------------------------------------------------
# 2. steady state
# ---------------------------------------------------------------------------


def random_rate_sets(n, seed=0):
    """Physical random rate sets: Hermitian PSD alpha matrices, occupations, Lambda."""
    from neqent.dynamics.rates import rates

    rng = np.random.default_rng(seed)

    def psd():
        a = rng.normal(size=(n, 2, 2)) + 1j * rng.normal(size=(n, 2, 2))
        return a @ np.conj(np.swapaxes(a, -1, -2)) + 0.05 * np.eye(2)

    aW, aM = psd(), psd()
    nW, nM = rng.uniform(0, 2, n), rng.uniform(0, 5, n)
    lam = rng.normal(size=n) + 1j * rng.normal(size=n)
    gp, gm = rates(aW, aM, nW, nM)
    return gp, gm, lam


def _row_to_column_major(L):
    """Row-major vec superoperator (neqent) -> column-stacking (QuTiP)."""
    perm = np.arange(16).reshape(4, 4).T.ravel()
    return L[np.ix_(perm, perm)]


def bench_steady(n_fast=200_000, n_qutip=300):
    import qutip

    from neqent.dynamics.master import liouvillian, steady_state

    gp, gm, lam = random_rate_sets(n_fast)
    steady_state(gp[:10], gm[:10], lam[:10])  # compile
    t_fast = best_time(lambda: steady_state(gp, gm, lam), repeat=3) / n_fast
    rho = steady_state(gp[:n_qutip], gm[:n_qutip], lam[:n_qutip])
    Ls = liouvillian(gp[:n_qutip], gm[:n_qutip], lam[:n_qutip])
    dims = [[[4], [4]], [[4], [4]]]
    sup = [qutip.Qobj(_row_to_column_major(L), dims=dims, superrep="super") for L in Ls]
    t0 = time.perf_counter()
    rq = [qutip.steadystate(S).full() for S in sup]
    t_q = (time.perf_counter() - t0) / n_qutip
    diff = float(np.max(np.abs(np.array(rq) - rho)))
    print(
        f"  steady: {t_fast * 1e6:.3f} us/pt vs qutip {t_q * 1e6:.0f} us/pt ({t_q / t_fast:.0f}x), diff {diff:.1e}",
        flush=True,
    )
    return [
        {
            "case": f"random physical rate sets (numba {n_fast} pts, qutip {n_qutip} pts)",
            "neqent_us_per_point": t_fast * 1e6,
            "qutip_us_per_point": t_q * 1e6,
            "speedup": t_q / t_fast,
            "max_abs_diff": diff,
        }
    ]


# ---------------------------------------------------------------------------
# 3. MPI strong scaling of the kernel stage
# ---------------------------------------------------------------------------

MPI_CONFIG = ROOT / "benchmarks" / "mpi_config.yaml"


def _run_kernel_stage(ranks, out, config):
    """Whole-process wall time (s) and in-stage time (s) of the MPI kernel stage."""
    cmd = ["mpiexec", "-n", str(ranks), sys.executable, str(HERE / "mpi_stage.py"), str(config), "bench", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, info["kernel_grid_s"], info["cpu_s_per_rank"]


def bench_mpi(repeat=2):
    """Strong scaling 1 vs 2 ranks; best of ``repeat`` runs each, interleaved."""
    import xarray as xr

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _run_kernel_stage(1, tmp / "warm.nc", MPI_CONFIG)  # fill the numba cache
        runs = {1: [], 2: []}
        for _ in range(repeat):
            for ranks in (1, 2):
                runs[ranks].append(_run_kernel_stage(ranks, tmp / f"k{ranks}.nc", MPI_CONFIG))
        a, b = xr.open_dataset(tmp / "k1.nc"), xr.open_dataset(tmp / "k2.nc")
        identical = all(np.array_equal(a[v].values, b[v].values) for v in a.data_vars)
        npts = int(np.prod([a.sizes[d] for d in a["lambda12_re"].dims]))
        a.close(), b.close()
    wall1, stage1 = min(runs[1])[0], min(r[1] for r in runs[1])
    wall2, stage2 = min(runs[2])[0], min(r[1] for r in runs[2])
    cpu1 = min(r[2][0] for r in runs[1])
    cpu2 = min(runs[2], key=lambda r: max(r[2]))[2]
    print(
        f"  mpi: {npts} points: stage 1 rank {stage1:.2f} s, 2 ranks {stage2:.2f} s "
        f"({stage1 / stage2:.2f}x); whole process {wall1:.2f} s vs {wall2:.2f} s "
        f"({wall1 / wall2:.2f}x); CPU s per rank {cpu1:.2f} vs {cpu2}; identical={identical}",
        flush=True,
    )
    return [
        {
            "case": f"kernel stage, {npts} grid points",
            "stage_1rank_s": stage1,
            "stage_2ranks_s": stage2,
            "stage_speedup": stage1 / stage2,
            "process_1rank_s": wall1,
            "process_2ranks_s": wall2,
            "process_speedup": wall1 / wall2,
            "cpu_1rank_s": cpu1,
            "cpu_2ranks_s_max": max(cpu2),
            "cpu_balance_speedup": cpu1 / max(cpu2),
            "bit_identical": identical,
            "load_avg_1min": os.getloadavg()[0],
        }
    ]


# ---------------------------------------------------------------------------
# 4. end to end
# ---------------------------------------------------------------------------


def _snakemake_run(workdir, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    t0 = time.perf_counter()
    subprocess.run(
        [
            "snakemake",
            "--cores",
            "2",
            "--directory",
            str(workdir),
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--configfile",
            str(ROOT / "config" / "config.yaml"),
            "--quiet",
            "all",
        ],
        check=True,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    total = time.perf_counter() - t0
    stages = {}
    for f in sorted((workdir / "results" / "benchmarks").glob("*.tsv")):
        lines = f.read_text().splitlines()
        stages[f.stem] = float(lines[1].split("\t")[0])
    return total, stages


def bench_e2e():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cache = tmp / "numba-cache"
        for label in ("cold", "warm"):
            work = tmp / label
            work.mkdir()
            total, jobs = _snakemake_run(work, cache)
            # job seconds summed per stage (kernels, rates, steady, analytic,
            # dynamics, figure); jobs of different stages overlap on 2 cores
            stages = {}
            for job, sec in jobs.items():
                stage = job.split("_")[0]
                stages[stage] = stages.get(stage, 0.0) + sec
            print(f"  e2e ({label} numba cache): {total:.1f} s  {stages}", flush=True)
            rows.append(
                {
                    "case": f"snakemake --cores 2, default config, numba cache {label}",
                    "wall_s": total,
                    "job_seconds_per_stage": stages,
                    "jobs_s": jobs,
                }
            )
    return rows


# ---------------------------------------------------------------------------
# 5. scaling with grid size
# ---------------------------------------------------------------------------


def bench_scaling():
    """Cost versus grid size; kernel calls are counted while temperatures vary."""
    from neqent.dynamics.master import steady_state
    from neqent.dynamics.rates import compute_kernels_batch, occupation, rates
    from neqent.electrodynamics import kernels
    from neqent.electrodynamics.materials import SIC

    calls = {"points": 0}
    original = kernels.pair_block_batch

    def counting(*args, **kw):
        out = original(*args, **kw)
        calls["points"] += out[0].shape[0]
        return out

    kernels.pair_block_batch = counting
    rows = []
    omega = 0.3 * SIC.omega_T
    eps = SIC.eps(omega)
    geo = (omega, eps, 1e-8, 1e-6)
    try:
        compute_kernels_batch(*geo, np.array([1e-6]), 0.25e-6, 0.0, (0, 0, 1), (0, 0, 1))
        for nz in (16, 64, 256):
            z2 = np.linspace(0.5e-6, 2e-6, nz)
            calls["points"] = 0
            t0 = time.perf_counter()
            k = compute_kernels_batch(*geo, z2, 0.25e-6, 0.0, (0, 0, 1), (0, 0, 1))
            t_kernel = time.perf_counter() - t0
            kernel_points = calls["points"]
            for nT in (10, 100, 1000):
                calls["points"] = 0
                t0 = time.perf_counter()
                n_M = occupation(omega, np.linspace(0, 2500, nT))
                gp, gm = rates(k["alpha_W"][:, None], k["alpha_M"][:, None], occupation(omega, 30.0), n_M)
                lam = np.broadcast_to(k["lambda12"][:, None], gp.shape[:-2])
                steady_state(gp, gm, lam)
                t_rest = time.perf_counter() - t0
                rows.append(
                    {
                        "z2_points": nz,
                        "T_points": nT,
                        "grid_points": nz * nT,
                        "kernel_points": kernel_points,
                        "kernel_s": t_kernel,
                        "rates_steady_s": t_rest,
                        "grid_points_per_s": nz * nT / (t_kernel + t_rest),
                        "kernel_points_in_T_stage": calls["points"],
                    }
                )
                print(
                    f"  scaling: {nz} z2 x {nT} T: kernels {t_kernel:.3f} s "
                    f"({kernel_points} pts), rates+steady {t_rest:.4f} s, kernel points "
                    f"in T stage {calls['points']}",
                    flush=True,
                )
    finally:
        kernels.pair_block_batch = original
    return rows


# ---------------------------------------------------------------------------

SECTIONS = {
    "kernels": bench_kernels,
    "steady": bench_steady,
    "mpi": bench_mpi,
    "e2e": bench_e2e,
    "scaling": bench_scaling,
}


def _table(name, rows):
    if not rows:
        return ""
    keys = list(rows[0])
    out = [f"### {name}", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        cells = []
        for k in keys:
            v = r[k]
            if isinstance(v, float):
                cells.append(f"{v:.3g}")
            elif isinstance(v, dict):
                cells.append(", ".join(f"{a}: {b:.1f}" for a, b in v.items()))
            else:
                cells.append(str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", choices=list(SECTIONS), help="sections to run")
    args = p.parse_args(argv)
    names = args.only or list(SECTIONS)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for name in names:
        print(f"[{name}]", flush=True)
        results[name] = SECTIONS[name]()
    results["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2))
    os.replace(tmp, path)
    md = ["# Benchmark results", "", f"Machine: {results['machine']}", ""]
    md += [_table(name, results[name]) for name in SECTIONS if name in results]
    (RESULTS / "results.md").write_text("\n".join(md))
    print(f"wrote {path} and {RESULTS / 'results.md'}")


if __name__ == "__main__":
    main()
