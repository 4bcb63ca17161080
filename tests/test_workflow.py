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

from neqent.pipeline.config import load_config
from neqent.pipeline.optimize import search_subset

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"
TEST_CONFIG = REPO / "config" / "test.yaml"

pytestmark = pytest.mark.skipif(shutil.which("snakemake") is None, reason="snakemake not on PATH")


def _snakemake(workdir, *args, timeout=600):
    cmd = [
        "snakemake",
        "--snakefile",
        str(SNAKEFILE),
        "--directory",
        str(workdir),
        "--configfile",
        str(TEST_CONFIG),
        *args,
    ]
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
]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_datasets(run, name):
    resolved = load_config(TEST_CONFIG)
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
        # the optimize rule passes only the config subset its search needs
        expected = search_subset(resolved, "peak") if name.startswith("optimize/") else resolved
        assert json.loads(ds.attrs["config"]) == expected
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
