"""The Snakemake workflow end to end on config/test.yaml (tiny grids), lint, the SLURM
profile (dry run) and the MPI kernel stage (1 vs 2 ranks bit-identical)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neqent.pipeline.config import load_config, stage_config
from neqent.pipeline.optimize import search_subset

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"
TEST_CONFIG = REPO / "config" / "test.yaml"

pytestmark = pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")


def _snakemake_cmd(workdir, *args, configfile=TEST_CONFIG):
    return [
        "snakemake",
        "--snakefile",
        str(SNAKEFILE),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        *args,
    ]


def _snakemake(workdir, *args, timeout=600, configfile=TEST_CONFIG):
    cmd = _snakemake_cmd(workdir, *args, configfile=configfile)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=workdir)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Run the whole DAG once on the test config; return the results directory."""
    work = tmp_path_factory.mktemp("wf")
    proc = _snakemake(work, "--cores", "2")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work / "results"


# dataset -> {variable: (units, shape)}; nz2 = 7 (z1 on the grid), nT = 11
EXPECTED = {
    "kernels/map.nc": {
        "alpha_W_re": ("1", (7, 2, 2)),
        "alpha_M_im": ("1", (7, 2, 2)),
        "lambda12_re": ("1", (7,)),
        "z2": ("m", (7,)),
        "omega": ("rad s-1", ()),
    },
    "rates/map.nc": {
        "gamma_plus_re": ("1", (7, 11, 2, 2)),
        "gamma_minus_im": ("1", (7, 11, 2, 2)),
        "n_M": ("1", (11,)),
        "T_M": ("K", (11,)),
    },
    "steady/map.nc": {"C": ("1", (7, 11)), "rho_re": ("1", (7, 11, 4, 4))},
    "analytic/fig3.nc": {
        "C_map": ("1", (9, 9)),
        "C_max": ("1", (9,)),
        "T_A_line": ("K", (11,)),
        "n_S_line": ("1", (11,)),
        "ratio_line": ("1", ()),
    },
    "dynamics/fig4b.nc": {"C": ("1", (3, 20)), "t": ("1", (20,)), "C_steady": ("1", ())},
    "kernels/alpha.nc": {"alpha_W_re": ("1", (2, 3, 2, 2)), "eps_im": ("1", (3,))},
    "steady/thickness.nc": {"C": ("1", (3, 3)), "delta": ("m", (3,))},
    "steady/orientation.nc": {"C": ("1", (2, 3)), "theta": ("rad", (2,))},
    "optimize/peak.nc": {"C": ("1", ()), "T_M": ("K", ()), "T_M_range": ("K", (2, 2))},
}
FIGURES = [
    "fig3a",
    "fig3b",
    "fig4a",
    "fig4b",
    "effective_temperatures",
    "kernels_alpha",
    "scan_thickness",
    "scan_orientation",
    "optimize",
    "stacks",
    "chain",
    "scan_cube",
    "sphere",
    "design",
    "gratings",
]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_datasets(run, name):
    stage, scan = name.removesuffix(".nc").split("/")
    resolved = load_config(TEST_CONFIG)
    if stage == "optimize":  # the optimize rule passes only the config subset its search needs
        recorded = search_subset(resolved, scan)
    else:
        recorded = stage_config(resolved, stage, scan if stage in ("kernels", "rates", "steady") else "map")
    with xr.open_dataset(run / name) as ds:
        for var, (units, shape) in EXPECTED[name].items():
            assert ds[var].attrs["units"] == units, var
            assert ds[var].shape == shape, var
        for var in list(ds.data_vars) + list(ds.coords):
            assert {"units", "long_name"} <= set(ds[var].attrs), var
            assert not np.iscomplexobj(ds[var].values)
        for var in ds.data_vars:
            if np.issubdtype(ds[var].dtype, np.number) and ds[var].ndim:  # scalars cannot be chunked
                assert ds[var].encoding.get("zlib"), var
                assert np.all(np.isfinite(ds[var].values)), var
        assert json.loads(ds.attrs["config"]) == recorded  # the part of the config the dataset depends on
        assert ds.attrs["neqent_version"] and ds.attrs["git_commit"] and ds.attrs["created"].endswith("Z")


def test_figures_and_no_leftovers(run):
    for name in FIGURES:
        png, pdf = run / "figures" / f"{name}.png", run / "figures" / f"{name}.pdf"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert pdf.read_bytes()[:5] == b"%PDF-", name
    assert not [p for p in run.rglob("*") if ".tmp" in p.name]


def test_physics_consistency_of_outputs(run):
    """fig4a's z2 = z1 line (master equation) equals the analytic §8 curve behind fig3a,
    and C(t) of fig4b ends at the steady value of the fig4a maximum."""
    with xr.open_dataset(run / "analytic/fig3.nc") as a:
        np.testing.assert_allclose(a["C_analytic_line"], a["C_master_line"], atol=1e-8)
    with xr.open_dataset(run / "dynamics/fig4b.nc") as d, xr.open_dataset(run / "steady/map.nc") as s:
        assert float(d["C_steady"]) == pytest.approx(float(s["C"].max()), abs=0)
        np.testing.assert_allclose(d["C"].isel(t=-1), float(d["C_steady"]), rtol=0, atol=1e-9)


def test_rerun_is_up_to_date(run):
    proc = _snakemake(run.parent, "-n", "--cores", "1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Nothing to be done" in proc.stdout + proc.stderr


@pytest.mark.mpi
def test_mpi_kernels_bit_identical(run, tmp_path):
    """2 MPI ranks reproduce the 1-rank kernel tabulation of the workflow bit for bit."""
    if shutil.which("mpiexec") is None:
        pytest.skip("mpiexec not on PATH")
    out = tmp_path / "k2.nc"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src")] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    )
    proc = subprocess.run(
        [
            "mpiexec",
            "-n",
            "2",
            sys.executable,
            "-m",
            "neqent.pipeline.stages",
            "kernels",
            "--config",
            str(TEST_CONFIG),
            "--scan",
            "map",
            "--output",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with xr.open_dataset(run / "kernels/map.nc") as one, xr.open_dataset(out) as two:
        assert (one.attrs["mpi_ranks"], two.attrs["mpi_ranks"]) == (1, 2)
        for var in one.data_vars:
            np.testing.assert_array_equal(one[var].values, two[var].values, err_msg=var)


def test_lint_clean(tmp_path):
    proc = _snakemake(tmp_path, "--lint")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Congratulations" in proc.stdout + proc.stderr


def test_slurm_profile_dry_run(tmp_path):
    proc = _snakemake(tmp_path, "-n", "--workflow-profile", str(REPO / "profiles" / "slurm"))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "kernels" in out and "This was a dry-run" in out


def test_snakemake_rejects_a_bad_config_naming_the_key(tmp_path):
    """Validation (schema + semantic rules) runs before any job is scheduled."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(TEST_CONFIG.read_text().replace("material: sic", "material: kryptonite"))
    proc = subprocess.run(
        ["snakemake", "-n", "--snakefile", str(SNAKEFILE), "--directory", str(tmp_path), "--configfile", str(bad)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "config key 'material': unknown material 'kryptonite'" in proc.stdout + proc.stderr


# --------------------------------------------------------------------------
# Incremental reruns (issue 11): after the full run, a dry run on a changed copy of the
# test config schedules only the jobs whose output depends on the change (each rule's
# params hold only its stage's part of the config, neqent.pipeline.config.stage_config).
# --------------------------------------------------------------------------

MAP_FIGURES = ["fig3a", "fig3b", "fig4a", "fig4b", "effective_temperatures"]


def _jobs(*figures, **rules):
    """Expected dry-run job counts: the listed figure rules once each, plus ``rules``."""
    return {**{f"figure_{name}": 1 for name in figures}, **rules}


def _set(path, value):
    """A config change: set the dotted key ``path`` (of the test config) to ``value``."""

    def change(cfg):
        *parents, key = path.split(".")
        for part in parents:
            cfg = cfg[part]
        cfg[key] = value

    return change


# case -> (changes, expected {rule: number of jobs}); see the test DAG with `snakemake -n --configfile config/test.yaml`
RERUN_CASES = {
    "figure options rerun only figures": ([_set("figures.dpi", 61)], _jobs(*FIGURES)),
    "map T_M grid: its rates, steady, analytic, dynamics and figures, no kernels": (
        [_set("scans.map.T_M", {"start": 0.0, "stop": 2500.0, "num": 12})],
        _jobs(*MAP_FIGURES, rates=1, steady=1, analytic=1, dynamics=1),
    ),
    "extra scan T_M grid: its rates, steady and figure": (
        [_set("scans.thickness.T_M", [0.0, 1500.0, 2500.0])],
        _jobs("scan_thickness", rates=1, steady=1),
    ),
    "extra scan axes: that scan's chain only": (
        [_set("scans.orientation.axes.theta", [0.0, 0.5])],
        _jobs("scan_orientation", kernels=1, rates=1, steady=1),
    ),
    "mpi tasks and chunk rerun nothing": ([_set("mpi.tasks", 2), _set("mpi.chunk", 8)], {}),
    "geometry reruns everything": (
        [_set("geometry.r12", 3.0e-7)],
        # (the chain extra has its own geometry: height and spacings; design searches its own heights and r12)
        _jobs(
            *(f for f in FIGURES if f not in ("chain", "design", "gratings")),
            kernels=5,
            rates=4,
            steady=4,
            steady_shard=2,
            analytic=1,
            dynamics=1,
            optimize=1,
            stacks_data=1,
            sphere_data=1,
        ),
    ),
    "material reruns everything": (
        [_set("material", "SiC")],  # same physics, another spelling: the params differ
        # (the stacks, sphere, design and gratings extras name their own materials, so they do not depend on 'material')
        _jobs(
            *(f for f in FIGURES if f not in ("stacks", "sphere", "design", "gratings")),
            kernels=5,
            rates=4,
            steady=4,
            steady_shard=2,
            analytic=1,
            dynamics=1,
            optimize=1,
            chain=1,
        ),
    ),
    "T_W reruns everything but the kernels": (
        [_set("T_W", 40.0)],
        _jobs(
            *(f for f in FIGURES if f != "kernels_alpha"),
            rates=4,
            steady=4,
            steady_shard=2,
            analytic=1,
            dynamics=1,
            optimize=1,
            stacks_data=1,
            chain=1,
            sphere_data=1,
            design_data=1,
            gratings_data=1,
            gratings_part=2,  # its shards do not read T_W, but their files are temporary (like steady_shard's)
        ),
    ),
    "design section: the design extra only": ([_set("design.grid", 4)], _jobs("design", design_data=1)),
    "gratings T_M grid: the gratings extra only": (
        [_set("gratings.T_M", [0.0, 250.0])],
        _jobs("gratings", gratings_data=1, gratings_part=2),  # the shards' files are temporary
    ),
}


def _job_counts(output):
    """{rule: count} of a dry run's 'Job stats' table, without the target rule 'all'."""
    lines = output.split("Job stats:", 1)[1].splitlines()[3:] if "Job stats:" in output else []
    counts = {}
    for line in lines:
        if not line.strip() or line.split()[0] == "total":
            break
        rule, count = line.split()
        counts[rule] = int(count)
    counts.pop("all", None)
    return counts


@pytest.fixture(scope="module")
def dry_runs(run, tmp_path_factory):
    """case -> dry-run output on the changed config (all cases started at once: ~2 s CPU each)."""
    import yaml

    configs = tmp_path_factory.mktemp("configs")
    procs = {}
    for case, (changes, _) in RERUN_CASES.items():
        cfg = yaml.safe_load(TEST_CONFIG.read_text())
        for change in changes:
            change(cfg)
        path = configs / f"{len(procs)}.yaml"
        path.write_text(yaml.safe_dump(cfg))
        cmd = _snakemake_cmd(run.parent, "-n", configfile=path)
        procs[case] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=run.parent)
    outputs = {}
    for case, proc in procs.items():
        out, _ = proc.communicate(timeout=600)
        outputs[case] = (proc.returncode, out)
    return outputs


@pytest.mark.parametrize("case", list(RERUN_CASES))
def test_a_config_change_reruns_only_the_jobs_that_depend_on_it(dry_runs, case):
    code, out = dry_runs[case]
    assert code == 0, out[-3000:]
    assert _job_counts(out) == RERUN_CASES[case][1], out[-3000:]
    if not RERUN_CASES[case][1]:
        assert "Nothing to be done" in out
    # reason lines show the stage's part of the config, never the whole of it
    assert '"figures"' not in out and '"mpi"' not in out and '"extras"' not in out


# --------------------------------------------------------------------------
# Logs, report, CF compliance (issue 11)
# --------------------------------------------------------------------------


def test_logs_hold_stdout_and_stderr_of_every_job(run):
    for name in FIGURES:
        text = (run / "logs" / "figures" / f"{name}.log").read_text()
        assert "INFO neqent.pipeline." in text and ": figure " in text and "): wrote " in text, name
    for log in (run / "logs" / "kernels").glob("*.log"):
        assert "kernels[" in log.read_text(), log  # the progress bar (stderr)


def test_report_shows_every_figure_with_its_caption(run, tmp_path):
    report = tmp_path / "report.html"
    proc = _snakemake(run.parent, "--report", str(report))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    html = report.read_text()
    captions = REPO / "workflow" / "report"
    assert "steady entanglement of two qubits near a body" in html  # workflow.rst
    for name in FIGURES:
        first_line = (captions / "figures" / f"{name}.rst").read_text().splitlines()[0]
        assert first_line.split('"')[0].strip() in html, name
        assert f'"figure": "{name}"' in html, name  # its labels


def test_every_default_figure_has_its_own_caption():
    """The captions the report and the docs gallery show exist for every figure of config/config.yaml."""
    cfg = load_config(REPO / "config" / "config.yaml")
    names = ["fig3a", "fig3b", "fig4a", "fig4b"] + [e for e in cfg["extras"] if e not in cfg["scans"]]
    names += [("scan_" if "T_M" in cfg["scans"][s] else "kernels_") + s for s in cfg["extras"] if s in cfg["scans"]]
    missing = [n for n in names if not (REPO / "workflow" / "report" / "figures" / f"{n}.rst").is_file()]
    assert not missing
    assert len(names) == 16  # with gratings


def test_captions_are_plain_rst_without_warnings():
    """The docs gallery includes the same caption files: plain reStructuredText, no templating."""
    from docutils.core import publish_doctree

    files = sorted((REPO / "workflow" / "report").rglob("*.rst"))
    assert len(files) >= 13
    for path in files:
        text = path.read_text()
        assert "{{" not in text and "{%" not in text, path.name
        publish_doctree(text, settings_overrides={"halt_level": 2, "report_level": 2, "warning_stream": False})


def _cf_failures(paths):
    """{path: high- and medium-priority failures of the IOOS compliance checker's CF 1.10 suite}."""
    from compliance_checker.base import BaseCheck
    from compliance_checker.runner import CheckSuite

    suite = CheckSuite()
    suite.load_all_available_checkers()
    failures = {}
    for path in paths:
        ds = suite.load_dataset(str(path))
        try:
            results = suite.run_all(ds, ["cf:1.10"], [], [])["cf:1.10"][0]
        finally:
            ds.close()
        for result in results:
            scored, possible = result.value if isinstance(result.value, tuple) else (int(bool(result.value)), 1)
            if scored < possible and result.weight in (BaseCheck.HIGH, BaseCheck.MEDIUM):
                failures.setdefault(str(path), []).append(f"{result.name}: {'; '.join(result.msgs)}")
    return failures


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the checker's own (ioos_sos) deprecations
def test_every_dataset_passes_the_cf_checker(run):
    files = sorted(run.rglob("*.nc"))
    # 5 kernels, 4 rates, 4 steady, analytic, dynamics, optimize, stacks, chain, sphere, design, gratings
    assert len(files) == 21
    assert _cf_failures(files) == {}
    with xr.open_dataset(files[0]) as ds:
        assert "arXiv:1304.2864" in ds.attrs["references"] and ds.attrs["history"] and ds.attrs["source"]
