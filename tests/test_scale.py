"""Scaling (issue 10): block plans, the X-state concurrence, streamed stages bit-identical to the
in-memory ones and across shards and MPI ranks, storage choices, budgets and refusals, atomic
outputs after a kill, lazy opening and the streamed cube figure."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neqent.dynamics.entanglement import concurrence, concurrence_x
from neqent.dynamics.master import liouvillian, steady_state
from neqent.dynamics.rates import rates
from neqent.dynamics.xstate import NON_X, is_x_state, k_of_element, steady_concurrence
from neqent.pipeline import stages, streaming
from neqent.pipeline.blockio import open_lazy
from neqent.pipeline.blocks import plan_blocks, shard_blocks
from neqent.pipeline.budget import BudgetError, check_in_memory, parse_budget, parse_shard
from neqent.pipeline.config import ConfigError, load_config
from neqent.pipeline.io import read_dataset, write_dataset

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


# ---------------------------------------------------------------------------
# block plans
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, points, align",
    [((7, 11), 5, None), ((6, 5, 40), 90, (1, 5, 40)), ((3,), 10, None), ((4, 3, 2), 1, None), ((9, 8), 64, (3, 8))],
)
def test_blocks_are_hyperslabs_covering_the_grid_once(shape, points, align):
    flat = np.arange(int(np.prod(shape))).reshape(shape)
    seen = np.zeros(flat.size, int)
    blocks = plan_blocks(shape, points, align)
    for b in blocks:
        part = flat[b.slices]
        assert part.shape == b.shape
        np.testing.assert_array_equal(part.ravel(), np.arange(b.start, b.stop))  # contiguous flat range
        assert b.size <= max(points, int(np.prod(shape[-1:])))
        seen[part.ravel()] += 1
    assert np.all(seen == 1)
    for n in (1, 2, 3, 7):  # shards partition the blocks, in order
        parts = [shard_blocks(blocks, i, n) for i in range(n)]
        assert [b.index for p in parts for b in p] == [b.index for b in blocks]


# ---------------------------------------------------------------------------
# the steady state is an X state; closed-form concurrence
# ---------------------------------------------------------------------------


def random_rates(rng, n):
    def psd():
        a = rng.normal(size=(n, 2, 2)) + 1j * rng.normal(size=(n, 2, 2))
        return a @ np.conj(np.swapaxes(a, -1, -2)) + 0.3 * np.eye(2)

    gp, gm = rates(psd(), psd(), rng.uniform(0, 2, n), rng.uniform(0, 2, n))
    return gp, gm, rng.normal(size=n) + 1j * rng.normal(size=n)


def test_steady_state_is_an_x_state_and_closed_form_concurrence_is_wootters():
    """The Liouvillian conserves k = N_i - N_j, so the full 16x16 stationary solution has
    no k = +-1 (non-X) elements; on it the closed form equals the Wootters concurrence."""
    rng = np.random.default_rng(10)
    gp, gm, lam = random_rates(rng, 300)
    # plus the entangling regime of docs/theory.md §8: near-dark antisymmetric channel, hot body
    n = 100
    w12 = rng.uniform(0.99, 0.9999, n)
    aW = np.stack([np.stack([np.ones(n), w12], -1), np.stack([w12, np.ones(n)], -1)], -2).astype(complex)
    m = rng.uniform(0.005, 0.05, (n, 1, 1))
    aM = m * np.array([[1, 0.5], [0.5, 1]]) * np.exp(1j * rng.uniform(0, 0.3, (n, 1, 1)) * np.array([[0, 1], [-1, 0]]))
    gp2, gm2 = rates(aW, aM, rng.uniform(0, 0.01, n), rng.uniform(0.5, 50, n))
    gp, gm = np.concatenate([gp, gp2]), np.concatenate([gm, gm2])
    lam = np.concatenate([lam, rng.normal(size=n) * 0.3 + 0j])
    L = liouvillian(gp, gm, lam)
    k = np.array([k_of_element(i, j) for i in range(4) for j in range(4)])
    assert np.max(np.abs(L[:, k[:, None] != k[None, :]])) == 0.0  # block diagonal in k
    full = steady_state(gp, gm, lam, method="full")  # does not assume the block structure
    assert np.max(np.abs(full[:, NON_X])) < 1e-14
    assert np.max(np.abs(full[:, 0, 3])) < 1e-14  # even rho_14 = 0 (k = +-2 block non-singular)
    assert np.all(is_x_state(full))
    # entangled and separable points both present, and the closed form is Wootters
    C_w = concurrence(full)
    assert np.sum(C_w > 1e-3) > 10 and np.sum(C_w == 0) > 10
    np.testing.assert_allclose(steady_concurrence(full), C_w, atol=1e-13, rtol=0)
    np.testing.assert_allclose(steady_concurrence(steady_state(gp, gm, lam)), C_w, atol=1e-13, rtol=0)


def test_concurrence_falls_back_to_wootters_for_non_x_states():
    rng = np.random.default_rng(11)
    a = rng.normal(size=(40, 4, 4)) + 1j * rng.normal(size=(40, 4, 4))
    general = a @ np.conj(np.swapaxes(a, -1, -2))
    general /= np.trace(general, axis1=-2, axis2=-1)[:, None, None]
    phi = np.zeros((4, 4), complex)
    phi[[0, 0, 3, 3], [0, 3, 0, 3]] = 0.5  # Bell state: X, C = 1
    states = np.concatenate([general, phi[None]])
    assert not np.any(is_x_state(general)) and is_x_state(phi)
    got = steady_concurrence(states)
    np.testing.assert_array_equal(got[:-1], concurrence(general))  # exactly the Wootters route
    assert got[-1] == pytest.approx(1.0, abs=1e-14)
    assert np.max(np.abs(concurrence_x(general) - concurrence(general))) > 1e-3  # the closed form alone would be wrong


# ---------------------------------------------------------------------------
# streamed stages
# ---------------------------------------------------------------------------

CUBE = {
    "axes": {"z2": [8e-7, 1e-6, 1.3e-6, 1.6e-6], "omega_ratio": [0.3, 0.45, 0.6]},
    "T_M": {"start": 0.0, "stop": 2500.0, "num": 6000},
}


@pytest.fixture(scope="module")
def cube(tmp_path_factory):
    """Kernels of a (z2, omega) grid x 6000 T_M (72000 points, several 256 MB blocks), config, work dir."""
    work = tmp_path_factory.mktemp("cube")
    cfg = load_config(
        REPO / "config" / "test.yaml",
        overrides={"results": str(work), "scans": {"cube": CUBE}, "extras": ["cube"], "mpi": {"chunk": 4}},
    )
    kernels = stages.kernel_grid(cfg, "cube", progress=False)
    write_dataset(kernels, work / "kernels.nc", cfg)
    (work / "config.json").write_text(__import__("json").dumps(cfg))
    rates_ds = stages.rate_grid(kernels, cfg["scans"]["cube"]["T_M"], cfg["T_W"])
    ref = stages.steady_grid(rates_ds)
    return namedtuple("Cube", "cfg work kernels rates ref")(cfg, work, kernels, rates_ds, ref)


def test_streamed_rates_and_steady_equal_the_in_memory_stages_bitwise(cube):
    """Grid and compact rates, several block sizes, every storage choice: same bits as rate_grid/steady_grid."""
    w, cfg = cube.work, cube.cfg
    T = cube.rates["T_M"].values
    streaming.stream_rates(cube.kernels, T, cfg["T_W"], w / "rates_grid.nc", cfg, 700, progress=False)
    write_dataset(streaming.compact_rates(cube.kernels, T, cfg["T_W"]), w / "rates_compact.nc", cfg)
    grid = read_dataset(w / "rates_grid.nc")
    for name in ("gamma_plus", "gamma_minus", "lambda12", "n_M"):
        np.testing.assert_array_equal(grid[name].values, cube.rates[name].values)
    for src, points in (("rates_grid.nc", 1000), ("rates_compact.nc", 333)):
        with xr.open_dataset(w / src) as lazy:
            for store in ("rho", "x", "C"):
                out = w / f"steady_{store}_{src}"
                streaming.stream_steady(lazy, out, cfg, points, store, progress=False)
                got = read_dataset(out)
                np.testing.assert_array_equal(got["C"].values, cube.ref["C"].values)
                assert got["C"].dims == cube.ref["C"].dims
                if store == "rho":
                    np.testing.assert_array_equal(got["rho"].values, cube.ref["rho"].values)
                if store == "x":
                    rho = cube.ref["rho"].values
                    np.testing.assert_array_equal(got["rho_23"].values, rho[..., 1, 2])
                    np.testing.assert_array_equal(got["rho_diag"].values.real, np.diagonal(rho, 0, -2, -1).real)
    assert np.max(cube.ref["C"].values) > 0.05  # a non-trivial map


def _stage(*argv, check=True):
    proc = subprocess.run(
        [sys.executable, "-m", "neqent.pipeline.stages", *argv], capture_output=True, text=True, env=ENV, timeout=300
    )
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_shards_and_mpi_ranks_give_bit_identical_files(cube):
    w = cube.work
    cfg = str(w / "config.json")
    common = ["--config", cfg, "--scan", "cube", "--no-progress", "--memory-budget", "256MB"]
    rates_path = str(w / "rates_cli.nc")
    assert stages.main(["rates", *common, "--input", str(w / "kernels.nc"), "--output", rates_path]) == 0
    serial = w / "steady_serial.nc"
    assert stages.main(["steady", *common, "--input", rates_path, "--output", str(serial)]) == 0
    shards = [str(w / f"shard{i}.nc") for i in range(3)]
    for i, path in enumerate(shards):
        assert stages.main(["steady", *common, "--shard", f"{i}/3", "--input", rates_path, "--output", path]) == 0
    gathered = w / "steady_gathered.nc"
    assert stages.main(["steady", *common, "--input", *shards[::-1], "--output", str(gathered)]) == 0
    a, b = read_dataset(serial), read_dataset(gathered)
    assert a.attrs["block_points"] == b.attrs["block_points"]
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values)
    np.testing.assert_array_equal(a["C"].values, cube.ref["C"].values)
    if shutil.which("mpiexec") is None:
        pytest.skip("mpiexec not on PATH")
    mpi = w / "steady_mpi.nc"
    proc = subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, "-m", "neqent.pipeline.stages", "steady", *common]
        + ["--input", rates_path, "--output", str(mpi)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    c = read_dataset(mpi)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, c[name].values)


def test_gather_names_a_missing_shard(cube, capsys):
    w = cube.work
    cfg = str(w / "config.json")
    common = ["--config", cfg, "--scan", "cube", "--no-progress", "--memory-budget", "256MB"]
    rates_ds = w / "rates_gm.nc"
    write_dataset(streaming.compact_rates(cube.kernels, cube.rates["T_M"].values, cube.cfg["T_W"]), rates_ds, cube.cfg)
    only = str(w / "only_shard0.nc")
    assert stages.main(["steady", *common, "--shard", "0/2", "--input", str(rates_ds), "--output", only]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        stages.main(["steady", *common, "--input", only, "--output", str(w / "never.nc")])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing [1]" in err[0]
    assert not (w / "never.nc").exists()


def test_lazy_open_and_streamed_cube_reductions(cube):
    from neqent.pipeline.plotting import scan_figure, stream_T_reductions

    path = cube.work / "steady_lazy.nc"
    compact = streaming.compact_rates(cube.kernels, cube.rates["T_M"].values, cube.cfg["T_W"])
    streaming.stream_steady(compact, path, cube.cfg, 5000, "C", progress=False)
    lazy = open_lazy(path)
    assert lazy["C"].chunks is not None  # dask-backed, nothing read yet
    ref = cube.ref["C"].values
    np.testing.assert_array_equal(lazy["C"].max("T_M").values, ref.max(-1))
    with xr.open_dataset(path) as ds:
        cmax, imax, cut = stream_T_reductions(ds, "C", (0, 299, 599), block_points=1200)
        np.testing.assert_array_equal(cmax, ref.max(-1))
        np.testing.assert_array_equal(imax, ref.argmax(-1))
        np.testing.assert_array_equal(cut, ref[..., [0, 299, 599]])
        png, pdf = scan_figure(ds, cube.work / "fig_cube", dpi=40)
    assert png.read_bytes()[:4] == b"\x89PNG" and pdf.stat().st_size > 0


# ---------------------------------------------------------------------------
# budgets, estimates, refusals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2 bananas", "-1GB", "10MB", "", True, float("inf")])
def test_bad_budgets_are_one_clear_line(value):
    with pytest.raises(BudgetError) as exc:
        parse_budget(value)
    assert len(str(exc.value).splitlines()) == 1 and repr(value) in str(exc.value)


def test_budget_and_shard_parsing():
    assert parse_budget("2GB") == 2_000_000_000 and parse_budget("1GiB") == 1024**3 and parse_budget(3e8) == 3e8
    assert parse_shard("2/5") == (2, 5)
    for bad in ("5/5", "1/0", "a/b", "3"):
        with pytest.raises(BudgetError, match="--shard"):
            parse_shard(bad)
    with pytest.raises(ConfigError, match="scale.memory_budget"):
        load_config(REPO / "config" / "test.yaml", overrides={"scale": {"memory_budget": "lots"}})
    with pytest.raises(ConfigError, match="scale.shards"):
        load_config(REPO / "config" / "test.yaml", overrides={"scale": {"shards": 0}})


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--memory-budget", "1MB"], "--memory-budget '1MB': must be at least"),
        (["--shard", "2/2"], "--shard '2/2'"),
    ],
)
def test_stage_command_refuses_bad_budget_or_shard(cube, capsys, extra, fragment):
    w = cube.work
    argv = ["steady", "--config", str(w / "config.json"), "--scan", "cube", *extra]
    with pytest.raises(SystemExit) as exc:
        stages.main([*argv, "--input", str(w / "kernels.nc"), "--output", str(w / "no.nc")])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and fragment in err[0], err


def test_stage_refuses_an_output_the_disk_cannot_hold(cube, capsys, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**6, 10**6 - 1000, 1000))
    w = cube.work
    argv = ["rates", "--config", str(w / "config.json"), "--scan", "cube", "--input", str(w / "kernels.nc")]
    with pytest.raises(SystemExit) as exc:
        stages.main([*argv, "--output", str(w / "full_disk.nc")])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1
    assert "needs about" in err[0] and "1 kB are free" in err[0]
    assert not (w / "full_disk.nc").exists()


def test_in_memory_scan_refuses_beyond_the_budget_before_computing(monkeypatch):
    import neqent
    from neqent.interface.units import InputError

    with pytest.raises(BudgetError, match="run it through the pipeline"):
        check_in_memory(10**7)
    t0 = time.perf_counter()
    with pytest.raises(InputError, match=r"10,000,000,000 grid points.*memory budget"):
        neqent.scan(z2={"start": 5e-7, "stop": 2e-6, "num": 100000}, TM={"start": 0, "stop": 2500, "num": 100000})
    assert time.perf_counter() - t0 < 5  # refused up front: no kernel was computed
    monkeypatch.setenv("NEQENT_MEMORY_BUDGET", "lots")
    with pytest.raises(BudgetError, match="NEQENT_MEMORY_BUDGET"):
        check_in_memory(10)


def test_large_scans_default_to_compact_storage():
    from neqent.pipeline.budget import estimate_bytes, scan_storage

    big = {"axes": {"z2": {"start": 5e-7, "stop": 2e-6, "num": 100}}, "T_M": {"start": 0, "stop": 2500, "num": 30000}}
    cfg = load_config(REPO / "config" / "test.yaml", overrides={"scans": {"big": big}})
    assert scan_storage(cfg, "big") == {"rates": "compact", "steady": "C"}
    assert scan_storage(cfg, "map") == {"rates": "grid", "steady": "rho"}  # the paper scan keeps what it stores
    assert 24e6 < estimate_bytes(cfg, "big", "steady") < 25e6  # 3e6 points x 8 B
    with pytest.raises(ConfigError, match="scans.map.store.rates"):
        load_config(REPO / "config" / "test.yaml", overrides={"scans": {"map": {"store": {"rates": "compact"}}}})


# ---------------------------------------------------------------------------
# 'auto' shard and rank counts follow the cores Snakemake was given
# ---------------------------------------------------------------------------

BIG_CUBE = {  # 100 x 100 x 1000 = 1e7 points: two shards of the default 5e6 minimum
    "axes": {"z2": {"start": 5.1e-7, "stop": 2e-6, "num": 100}, "omega_ratio": {"start": 0.2, "stop": 0.9, "num": 100}},
    "T_M": {"start": 0.0, "stop": 2500.0, "num": 1000},
    "store": {"rates": "compact", "steady": "C"},
}


def test_auto_shards_follow_the_cores_with_a_minimum_shard_size():
    from neqent.pipeline.budget import DEFAULT_MIN_SHARD_POINTS, MAX_SHARDS, auto_shards

    assert DEFAULT_MIN_SHARD_POINTS == 5_000_000
    assert auto_shards(10**8, 2) == 2  # the 1e8 cube on 2 cores: both cores
    assert auto_shards(10**8, 64) == 20  # capped: 1e8 / 5e6 points per shard
    assert auto_shards(10**7, 8) == 2 and auto_shards(10**7 - 1, 8) == 1
    assert auto_shards(170_000, 8) == 1  # the default cube: small scans add no jobs
    assert auto_shards(10**8, 1) == 1 and auto_shards(0, 4) == 1
    assert auto_shards(10**12, 10**6, 1) == MAX_SHARDS
    assert auto_shards(10**6, 16, min_points=10**5) == 10


def test_auto_resolves_from_config_and_cores_and_explicit_counts_override():
    from neqent.pipeline.budget import AUTO, resolve_tasks, scale_settings

    cfg = load_config(REPO / "config" / "config.yaml", overrides={"scans": {"big": BIG_CUBE}})
    assert cfg["scale"]["shards"] == AUTO and cfg["mpi"]["tasks"] == AUTO  # the defaults
    assert scale_settings(cfg, "big")["shards"] == AUTO  # unresolved without a core count
    assert [scale_settings(cfg, "big", cores=c)["shards"] for c in (1, 2, 3, 16)] == [1, 2, 2, 2]
    assert scale_settings(cfg, "map", cores=16)["shards"] == 1  # 3.8e4 points
    assert scale_settings(cfg, "cube", cores=16)["shards"] == 1  # the default cube, 1.7e5 points
    assert [resolve_tasks(cfg, c) for c in (1, 2, 8)] == [1, 2, 8]
    # explicit integers, global or per scan, override whatever the cores are
    cfg = load_config(
        REPO / "config" / "config.yaml",
        overrides={"scans": {"big": {**BIG_CUBE, "shards": 5}}, "scale": {"shards": 3}, "mpi": {"tasks": 4}},
    )
    assert scale_settings(cfg, "big", cores=2)["shards"] == 5 and scale_settings(cfg, "map", cores=2)["shards"] == 3
    assert resolve_tasks(cfg, 2) == 4
    # a smaller minimum per shard lets the default cube spread too
    cfg = load_config(REPO / "config" / "config.yaml", overrides={"scale": {"min_shard_points": 50_000}})
    assert scale_settings(cfg, "cube", cores=2)["shards"] == 2 and scale_settings(cfg, "cube", cores=8)["shards"] == 3


@pytest.mark.parametrize(
    "override, line",
    [
        ({"scale": {"shards": 0}}, "config key 'scale.shards': 0 is not allowed; allowed: 'auto' or an integer from 1"),
        ({"scale": {"shards": "all"}}, "config key 'scale.shards': 'all' is not allowed; allowed: 'auto'"),
        ({"scale": {"shards": 2.5}}, "config key 'scale.shards': 2.5 is not allowed"),
        ({"scale": {"shards": 10001}}, "config key 'scale.shards': 10001 is not allowed; allowed: 'auto' or an"),
        ({"scans": {"cube": {"shards": "many"}}}, "config key 'scans.cube.shards': 'many' is not allowed"),
        ({"mpi": {"tasks": "auto2"}}, "'mpi.tasks': 'auto2' is not allowed; allowed: 'auto' or an integer >= 1"),
        ({"mpi": {"tasks": True}}, "config key 'mpi.tasks': True is not allowed"),
        ({"scale": {"min_shard_points": 0}}, "config key 'scale.min_shard_points'"),
    ],
)
def test_bad_counts_are_one_line_naming_the_key_and_what_is_allowed(override, line):
    with pytest.raises(ConfigError) as err:
        load_config(REPO / "config" / "config.yaml", overrides=override)
    assert line in str(err.value) and "\n" not in str(err.value)


def _dry_run_jobs(tmp_path, name, cores, scale=None, mpi=None, targets=("results/steady/big.nc",)):
    """{rule: count} and the printed plan of ``snakemake -n --cores N`` on the test config plus BIG_CUBE."""
    import yaml

    cfg = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    cfg["scans"]["big"] = BIG_CUBE
    cfg.pop("mpi", None)  # the test config pins 1 rank
    if scale is not None:
        cfg["scale"] = scale
    if mpi is not None:
        cfg["mpi"] = mpi
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    cmd = ["snakemake", "-n", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path / name)]
    cmd += ["--configfile", str(path), "--cores", str(cores), *targets]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)


def _job_stats(out):
    rows = [line.split() for line in out.splitlines()]
    return {r[0]: int(r[1]) for r in rows if len(r) == 2 and r[1].isdigit() and not r[0].endswith(":")}


@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")
def test_dry_run_plans_one_steady_shard_per_core_and_explicit_counts_override(tmp_path):
    """``snakemake -n --cores 2`` splits a 1e7-point scan into 2 steady shards and launches the
    kernels on 2 ranks; 1 core plans no shard; explicit shards and tasks win over the cores."""
    runs = {
        "two_cores": _dry_run_jobs(tmp_path, "two_cores", 2),  # the plan holds kernels/big.nc too
        "one_core": _dry_run_jobs(tmp_path, "one_core", 1),
        "explicit": _dry_run_jobs(tmp_path, "explicit", 2, scale={"shards": 3}, mpi={"tasks": 3}),
    }
    outs = {}
    for name, proc in runs.items():
        outs[name] = proc.communicate(timeout=300)[0]
        assert proc.returncode == 0, outs[name][-3000:]
    two = outs["two_cores"]
    assert _job_stats(two)["steady_shard"] == 2 and "shards/big/1of2.nc" in two, two[-3000:]
    kernel_jobs = [block for block in two.split("rule ") if block.startswith("kernels:")]
    assert kernel_jobs and all("tasks=2," in b and "threads: 2" in b for b in kernel_jobs), kernel_jobs
    assert "steady_shard" not in _job_stats(outs["one_core"]), outs["one_core"][-3000:]
    explicit = outs["explicit"]
    assert _job_stats(explicit)["steady_shard"] == 3 and "shards/big/2of3.nc" in explicit, explicit[-3000:]
    kernel_jobs = [block for block in explicit.split("rule ") if block.startswith("kernels:")]
    assert kernel_jobs and all("tasks=3," in b for b in kernel_jobs), kernel_jobs  # 3 ranks asked, 2 cores


# ---------------------------------------------------------------------------
# killed mid-stage: no partial file, the rerun completes
# ---------------------------------------------------------------------------


def test_killed_stage_leaves_no_partial_file_and_rerun_completes(cube):
    w = cube.work
    rates_ds = w / "rates_kill.nc"
    T = np.linspace(0, 2500, 20000)  # 240000 points: several seconds of steady states
    write_dataset(streaming.compact_rates(cube.kernels, T, cube.cfg["T_W"]), rates_ds, cube.cfg)
    out = w / "steady_kill.nc"
    argv = [sys.executable, "-m", "neqent.pipeline.stages", "steady", "--config", str(w / "config.json")]
    argv += ["--scan", "cube", "--memory-budget", "256MB", "--no-progress", "--input", str(rates_ds)]
    argv += ["--output", str(out)]
    proc = subprocess.Popen(argv, env=ENV, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(w.glob(".steady_kill.nc.pid*.tmp")):
        time.sleep(0.05)
    assert list(w.glob(".steady_kill.nc.pid*.tmp")), "stage never started writing"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    _stage(*argv[3:])
    assert out.exists() and not list(w.glob(".steady_kill.nc.pid*.tmp"))  # the stale temporary was removed
    with xr.open_dataset(out) as ds:
        assert ds["C"].shape == (4, 3, 20000) and np.all(np.isfinite(ds["C"].values))


@pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")
def test_snakemake_reruns_only_the_unfinished_shards(tmp_path):
    """config/test.yaml splits the cube's steady stage into 2 shards: with shard 0 done,
    the plan is shard 1 and the gather only (the rates and shard 0 are not rerun)."""
    base = ["snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path)]
    base += ["--configfile", str(REPO / "config" / "test.yaml"), "--cores", "2"]
    done = subprocess.run(
        [*base, "results/steady/shards/cube/0of2.nc", "--notemp"], capture_output=True, text=True, timeout=600, env=ENV
    )
    assert done.returncode == 0, done.stderr[-3000:]
    plan = subprocess.run([*base, "-n", "results/steady/cube.nc"], capture_output=True, text=True, timeout=300, env=ENV)
    assert plan.returncode == 0, plan.stderr[-3000:]
    out = plan.stdout + plan.stderr
    rows = [line.split() for line in out.splitlines()]
    stats = {r[0]: r[1] for r in rows if len(r) == 2 and r[1].isdigit() and not r[0].endswith(":")}  # job stats
    assert stats == {"steady": "1", "steady_shard": "1", "total": "2"}, out[-2000:]
    assert "shards/cube/1of2.nc" in out
