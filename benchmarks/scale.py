"""Scale series (issue 10): the pipeline stages on (z2, omega, T_M) cubes of 1e6, 1e7, 1e8 points.

    python benchmarks/scale.py                   # 1e6 and 1e7 (a few minutes)
    python benchmarks/scale.py --sizes 1e6 1e7 1e8
    python benchmarks/scale.py --sizes 1e8 --steady-ranks 2
    python benchmarks/scale.py --workflow 1e8    # snakemake --cores 2: steady shards 1 vs auto

Every stage runs as its own process, exactly as the Snakemake rules run it
(``python -m neqent.pipeline.stages ...`` / ``python -m neqent.pipeline.plotting``),
on a cube of 100 z2 x 100 omega (10^4 kernel points) x N T_M, with the
default storage of a large scan (compact rates, C only) and the default
2 GB memory budget. Recorded per stage: wall time of the whole process,
points/s, peak RSS (``wait4`` rusage, includes MPI ranks), output size; for
the steady stage also the in-stage time from its log line and 1 versus 2 MPI
ranks. In the same run, the batched solver core (``master.steady_state`` on
one block of the same rates) gives the reference speed the steady stage is
compared with (target: end to end >= 50 % of the core).

``--workflow N`` instead runs the cube through Snakemake itself (``snakemake
--cores 2``): kernels and rates once, then the steady stage twice from the same
rates, with ``scans.cube.shards: 1`` (the old default) and with the default
``auto`` (one shard job per core); recorded: the wall of each steady run
(``snakemake ... results/steady/cube.nc``, Snakemake's start-up included), its
jobs, the load average, and whether the two files hold identical C.

Results: ``benchmarks/results/scale.json`` (merged with earlier sizes) and
``benchmarks/results/scale.md`` (the README table).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
NZ2, NOMEGA = 100, 100


def cube_config(results, n_points):
    """Test config plus a 'cube' scan of ``n_points`` (100 z2 x 100 omega x n_points/1e4 T_M)."""
    from neqent.pipeline.config import load_config

    nT = int(round(n_points / (NZ2 * NOMEGA)))
    cube = {
        "axes": {
            "z2": {"start": 5.1e-7, "stop": 2.0e-6, "num": NZ2},  # z1 = 1 um is not on it: exactly 100 values
            "omega_ratio": {"start": 0.2, "stop": 0.9, "num": NOMEGA},
        },
        "T_M": {"start": 0.0, "stop": 2500.0, "num": nT},
        "T_M_slices": [300.0, 1200.0, 2500.0],
        "store": {"rates": "compact", "steady": "C"},  # the default of a large scan, explicit
        "shards": 1,
    }
    cfg = load_config(
        ROOT / "config" / "test.yaml",
        overrides={"results": str(results), "scans": {"cube": cube}, "extras": ["cube"], "mpi": {"tasks": 2}},
    )
    cfg["mpi"]["chunk"] = 64
    return cfg


def run(argv, ranks=1, log=None):
    """Run one stage process; return (wall s, peak RSS bytes, stderr)."""
    cmd = [sys.executable, *argv]
    if ranks > 1:
        cmd = ["mpiexec", "-n", str(ranks), *cmd]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed ({proc.returncode}):\n{err[-3000:]}")
    if log is not None:
        Path(log).write_text(err)
    return wall, usage.ru_maxrss * 1024, err


def in_stage_seconds(stderr, stage):
    m = re.findall(rf"{stage}: (\d+) points in ([0-9.]+) s", stderr)
    return float(m[-1][1]) if m else float("nan")


def cpu_per_rank(stderr):
    m = re.findall(r"CPU s per rank ([0-9./]+)\)", stderr)
    return [float(v) for v in m[-1].split("/")] if m else []


def solver_core(rates_path, n=200_000):
    """Points/s of the batched steady solver core on the first n points of the cube's rates."""
    import xarray as xr

    from neqent.dynamics.master import steady_state
    from neqent.pipeline.blocks import plan_blocks
    from neqent.pipeline.streaming import RateSource

    with xr.open_dataset(rates_path) as ds:
        src = RateSource(ds)
        block = plan_blocks(src.shape, n)[0]
        gp, gm, lam = src.block(block)
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        steady_state(gp, gm, lam)
        best = min(best, time.perf_counter() - t0)
    return block.size / best


def one_size(n_points, work, steady_ranks):
    cfg = cube_config(work, n_points)
    cfg_path = work / "config.json"
    cfg_path.write_text(json.dumps(cfg))
    npts = NZ2 * NOMEGA * len(np.atleast_1d(np.linspace(0, 1, cfg["scans"]["cube"]["T_M"]["num"])))
    stage = ["-m", "neqent.pipeline.stages"]
    common = ["--config", str(cfg_path), "--scan", "cube", "--no-progress"]
    paths = {s: work / f"{s}.nc" for s in ("kernels", "rates", "steady")}
    rows = {}
    w, rss, _ = run([*stage, "kernels", *common, "--output", str(paths["kernels"])], ranks=2)
    rows["kernels (2 MPI ranks)"] = dict(wall=w, rss=rss, points=NZ2 * NOMEGA, size=paths["kernels"].stat().st_size)
    w, rss, _ = run([*stage, "rates", *common, "--input", str(paths["kernels"]), "--output", str(paths["rates"])])
    rows["rates (compact)"] = dict(wall=w, rss=rss, points=npts, size=paths["rates"].stat().st_size)
    core = solver_core(paths["rates"])
    for ranks in steady_ranks:
        out = work / f"steady_{ranks}.nc"
        w, rss, err = run(
            [*stage, "steady", *common, "--input", str(paths["rates"]), "--output", str(out)],
            ranks=ranks,
            log=work / f"steady_{ranks}.log",
        )
        rows[f"steady (C only, {ranks} rank{'s' if ranks > 1 else ''})"] = dict(
            wall=w,
            rss=rss,
            points=npts,
            size=out.stat().st_size,
            in_stage=in_stage_seconds(err, "steady"),
            cpu_per_rank=cpu_per_rank(err),
        )
    if len(steady_ranks) > 1:
        import xarray as xr

        with (
            xr.open_dataset(work / f"steady_{steady_ranks[0]}.nc") as a,
            xr.open_dataset(work / f"steady_{steady_ranks[-1]}.nc") as b,
        ):
            identical = bool(np.array_equal(a["C"].values, b["C"].values)) if npts <= 2e7 else None
    else:
        identical = None
    steady_file = work / f"steady_{steady_ranks[-1]}.nc"
    w, rss, _ = run(
        ["-m", "neqent.pipeline.plotting", "scan", "--input", str(steady_file), "--output", str(work / "cube_fig")]
    )
    rows["figure (streamed max/argmax/slices)"] = dict(
        wall=w, rss=rss, points=npts, size=(work / "cube_fig.png").stat().st_size
    )
    for r in rows.values():
        r["points_per_s"] = r["points"] / r["wall"]
    return {"points": npts, "stages": rows, "solver_core_points_per_s": core, "ranks_bit_identical": identical}


def snakemake(work, config_path, target, cores):
    """Run ``snakemake --cores N target`` in ``work``; return (wall s, {rule: jobs})."""
    cmd = ["snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(work)]
    cmd += ["--configfile", str(config_path), "--cores", str(cores), target]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    rows = [line.split() for line in proc.stderr.splitlines()]
    jobs = {r[0]: int(r[1]) for r in rows if len(r) == 2 and r[1].isdigit() and not r[0].endswith(":")}
    return wall, jobs


def workflow_steady(n_points, work, cores=2):
    """The cube's steady stage through Snakemake: shards 1 versus auto, from the same rates."""
    import xarray as xr

    cfg = cube_config("results", n_points)  # relative to --directory work, like the targets
    del cfg["scans"]["cube"]["shards"]  # the default, 'auto', unless set below
    cfg["mpi"]["tasks"] = "auto"
    paths = {}
    for name, shards in (("auto", None), ("shards 1", 1)):
        c = json.loads(json.dumps(cfg))
        if shards is not None:
            c["scans"]["cube"]["shards"] = shards
        paths[name] = work / f"config_{shards or 'auto'}.json"
        paths[name].write_text(json.dumps(c))
    out = {"points": int(n_points), "cores": cores, "runs": {}}
    wall, jobs = snakemake(work, paths["auto"], "results/rates/cube.nc", cores)
    out["kernels+rates"] = {"wall": wall, "jobs": jobs}
    steady = work / "results" / "steady" / "cube.nc"
    C = {}
    for name in ("shards 1", "auto"):
        steady.unlink(missing_ok=True)
        load = os.getloadavg()[0]
        wall, jobs = snakemake(work, paths[name], "results/steady/cube.nc", cores)
        out["runs"][name] = {"wall": wall, "jobs": jobs, "load_average_1min_before": load}
        with xr.open_dataset(steady) as ds:
            C[name] = ds["C"].values
    out["bit_identical"] = bool(np.array_equal(C["shards 1"], C["auto"], equal_nan=True))
    out["speedup"] = out["runs"]["shards 1"]["wall"] / out["runs"]["auto"]["wall"]
    return out


def markdown_workflow(results):
    lines = [
        "| grid points | --cores | steady stage: shards 1 (jobs) | steady stage: auto (jobs) | speed-up "
        "| bit-identical | load average (before each) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key in sorted(results.get("workflow", {}), key=float):
        r = results["workflow"][key]
        one, auto = r["runs"]["shards 1"], r["runs"]["auto"]

        def jobs(run):
            return ", ".join(f"{k} {v}" for k, v in run["jobs"].items() if k != "total")

        lines.append(
            f"| {r['points']:.0e} | {r['cores']} | {one['wall']:.1f} s ({jobs(one)}) | {auto['wall']:.1f} s "
            f"({jobs(auto)}) | {r['speedup']:.2f}x | {r['bit_identical']} | "
            f"{one['load_average_1min_before']:.1f} / {auto['load_average_1min_before']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def markdown(results):
    lines = [
        "| grid points | stage | wall (s) | points/s | peak RSS | output |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key in sorted(results["sizes"], key=float):
        r = results["sizes"][key]
        for name, s in r["stages"].items():
            extra = f" (in-stage {s['in_stage']:.1f} s)" if "in_stage" in s else ""
            lines.append(
                f"| {r['points']:.0e} | {name} | {s['wall']:.1f}{extra} | {s['points_per_s']:.3g} | "
                f"{s['rss'] / 1e6:.0f} MB | {s['size'] / 1e6:.3g} MB |"
            )
    lines.append("")
    lines.append(
        "| grid points | solver core (points/s) | steady end to end / core | 2 ranks vs 1 "
        "| CPU s per rank (1 / 2 ranks) "
        "| bit-identical | load average |"
    )
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    for key in sorted(results["sizes"], key=float):
        r = results["sizes"][key]
        st = {k: v for k, v in r["stages"].items() if k.startswith("steady")}
        one = next((v for k, v in st.items() if "1 rank)" in k), None)
        two = next((v for k, v in st.items() if "2 ranks" in k), None)
        core = r["solver_core_points_per_s"]
        e2e = ", ".join(f"{v['points_per_s'] / core:.0%} ({k.split(', ')[-1].rstrip(')')})" for k, v in st.items())
        ratio = "-"
        if one and two:
            ratio = f"{one['wall'] / two['wall']:.2f}x (in-stage {one['in_stage'] / two['in_stage']:.2f}x)"
        cpu = " / ".join("+".join(f"{c:.1f}" for c in v.get("cpu_per_rank", [])) or "-" for v in st.values())
        lines.append(
            f"| {r['points']:.0e} | {core:.3g} | {e2e} | {ratio} | {cpu} | "
            f"{r['ranks_bit_identical']} | {r.get('load_average_1min', float('nan')):.1f} |"
        )
    if results.get("workflow"):
        lines += ["", "Through Snakemake (`--workflow`): the cube's steady stage, shards 1 versus auto", ""]
        lines.append(markdown_workflow(results))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["1e6", "1e7"], help="grid sizes (points)")
    ap.add_argument("--steady-ranks", nargs="+", type=int, default=[1, 2], help="MPI ranks of the steady runs")
    ap.add_argument("--workdir", default=None, help="scratch directory (default: a temporary one)")
    ap.add_argument("--workflow", nargs="+", default=None, help="sizes to run through snakemake --cores 2 instead")
    args = ap.parse_args()
    RESULTS.mkdir(exist_ok=True)
    out_json = RESULTS / "scale.json"
    results = json.loads(out_json.read_text()) if out_json.exists() else {"sizes": {}}
    results["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform()}
    for size in args.workflow or []:
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            r = workflow_steady(float(size), Path(tmp))
            r["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        results.setdefault("workflow", {})[f"{float(size):.0e}"] = r
        print(json.dumps({size: r}, indent=1), flush=True)
        out_json.write_text(json.dumps(results, indent=1))
        (RESULTS / "scale.md").write_text(markdown(results))
    if args.workflow:
        print((RESULTS / "scale.md").read_text())
        return
    for size in args.sizes:
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            t0 = time.perf_counter()
            r = one_size(float(size), Path(tmp), args.steady_ranks)
            r["total_s"] = time.perf_counter() - t0
            r["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            r["load_average_1min"] = os.getloadavg()[0]
        results["sizes"][f"{float(size):.0e}"] = r
        print(json.dumps({size: r}, indent=1), flush=True)
        out_json.write_text(json.dumps(results, indent=1))
        (RESULTS / "scale.md").write_text(markdown(results))
    print((RESULTS / "scale.md").read_text())


if __name__ == "__main__":
    main()
