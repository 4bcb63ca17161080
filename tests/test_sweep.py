"""Pipeline stages: grids, rate broadcasting, batched steady states against the analytic
symmetric case (docs/theory.md section 8), dynamics reaching the steady state, kernel tabulation."""

import json

import numpy as np
import pytest
import xarray as xr

from neqent.dynamics.analytic import symmetric_concurrence
from neqent.dynamics.rates import occupation, rates, symmetric_channels
from neqent.pipeline import stages as sweep
from neqent.pipeline.config import load_config

TEST_CONFIG = "config/test.yaml"


@pytest.fixture(scope="module")
def config(request):
    return load_config(request.config.rootpath / TEST_CONFIG)


def synthetic_kernels(z2, z1=1e-6, omega=0.3 * 1.495e14):
    """Kernel dataset shaped like kernel_grid's, symmetric (§8) at every z2, z2-dependent."""
    z2 = np.asarray(z2, float)
    s = 1 + 0 * z2
    w12 = 0.999 - 0.0005 * (z2 / z1 - 1) ** 2  # alpha_W^{12}, real: Gamma_A/Gamma_S ~ 5e-3
    m = 0.02 * (1e-6 / z2)  # alpha_M self terms
    m12 = 0.5 * m  # body dominates the antisymmetric channel
    aW = np.stack([np.stack([s, w12], -1), np.stack([w12, s], -1)], -2).astype(complex)
    aM = np.stack([np.stack([m, m12], -1), np.stack([m12, m], -1)], -2).astype(complex)
    lam = (-0.3 + 0.1 * z2 / z1).astype(complex)
    coords = {
        "z2": ("z2", z2, sweep.COORD_ATTRS["z2"]),
        "z1": ((), z1, sweep.COORD_ATTRS["z1"]),
        "omega": ((), omega, sweep.COORD_ATTRS["omega"]),
        "q": ("q", [1, 2], sweep.COORD_ATTRS["q"]),
        "qp": ("qp", [1, 2], sweep.COORD_ATTRS["qp"]),
    }
    a = {"units": "1", "long_name": "x"}
    return xr.Dataset(
        {"alpha_W": (("z2", "q", "qp"), aW, a), "alpha_M": (("z2", "q", "qp"), aM, a), "lambda12": (("z2",), lam, a)},
        coords=coords,
        attrs={"scan": "map"},
    )


Z2 = [0.5e-6, 1e-6, 1.7e-6]
T_M = np.array([0.0, 30.0, 300.0, 1200.0, 2500.0])


def test_scan_axes_put_z1_on_grid_and_convert_omega(config):
    axes, fixed = sweep.scan_axes(config, "map")
    assert list(axes) == ["z2"] and fixed["z1"] in axes["z2"]
    assert fixed["omega"] == pytest.approx(0.3 * 1.495e14)
    axes, fixed = sweep.scan_axes(config, "alpha")
    assert list(axes) == ["z2", "omega"]  # AXIS_ORDER, whatever the config order
    assert np.allclose(axes["omega"] / 1.495e14, [0.3, 0.9, 1.1])
    cfg = load_config(config, overrides={"scans": {"map": {"axes": {"z2": [0.4e-6, 0.7e-6, 1.3e-6]}}}})
    z2 = sweep.scan_axes(cfg, "map")[0]["z2"]
    assert z2.tolist() == [0.4e-6, 0.7e-6, 1e-6, 1.3e-6]  # inserted in order


def test_rate_grid_broadcasts_kernels_against_occupations():
    k = synthetic_kernels(Z2)
    r = sweep.rate_grid(k, T_M, 30.0)
    assert r["gamma_plus"].dims == ("z2", "T_M", "q", "qp")
    w = float(k["omega"])
    for iz in range(len(Z2)):
        for it, T in enumerate(T_M):
            gp, gm = rates(k["alpha_W"].values[iz], k["alpha_M"].values[iz], occupation(w, 30.0), occupation(w, T))
            np.testing.assert_allclose(r["gamma_plus"].values[iz, it], gp, rtol=1e-15)
            np.testing.assert_allclose(r["gamma_minus"].values[iz, it], gm, rtol=1e-15)


def test_steady_grid_matches_analytic_symmetric_case():
    """Batched master-equation steady states = docs/theory.md §8 formulas; C = 0 at T_M = T_W."""
    k = synthetic_kernels(Z2)
    s = sweep.steady_grid(sweep.rate_grid(k, T_M, 30.0))
    w = float(k["omega"])
    gA, gS, nA, nS = symmetric_channels(
        k["alpha_W"].values[:, None], k["alpha_M"].values[:, None], occupation(w, 30.0), occupation(w, T_M)[None, :]
    )
    expected = symmetric_concurrence(gA / gS, nA, nS)
    assert s["C"].dims == ("z2", "T_M")
    np.testing.assert_allclose(s["C"].values, expected, atol=1e-10)
    assert np.all(s["C"].sel(T_M=30.0).values < 1e-12)
    assert s["C"].max() > 0.01  # the non-equilibrium grid does entangle
    tr = np.trace(s["rho"].values, axis1=-2, axis2=-1)
    np.testing.assert_allclose(tr, 1, atol=1e-12)


def test_analytic_and_dynamics_data(config):
    k = synthetic_kernels(Z2)
    r = sweep.rate_grid(k, T_M, 30.0)
    s = sweep.steady_grid(r)
    a = sweep.analytic_data(config, k, r, s)
    np.testing.assert_allclose(a["C_analytic_line"].values, a["C_master_line"].values, atol=1e-10)
    assert float(a["T_M_max"]) == T_M[np.argmax(a["C_master_line"].values)]
    # Effective temperatures: both channels at T_W when T_M = T_W.
    np.testing.assert_allclose(a["T_A_line"].sel(T_M=30.0), 30.0, rtol=1e-9)
    assert np.all(a["C_max"].values <= 1 / 3 + 1e-12)
    d = sweep.dynamics_data(config, r, s)
    where = sweep.map_maximum(s["C"])
    assert float(d["z2"]) == where["z2"] and float(d["T_M"]) == where["T_M"]
    np.testing.assert_allclose(d["C"].isel(t=-1).values, float(d["C_steady"]), rtol=0, atol=1e-9)
    assert d["C"].sel(state="A").values[0] > 0.9  # |A> starts maximally entangled
    assert d["C"].sel(state="thermal").values[0] < 1e-9  # product state


def test_kernel_grid_vacuum_identity_and_chunk_independence():
    """eps = 1: alpha_W^{qq} = 1, alpha_M = 0, alpha_W^{12} = Im G0_zz (docs/theory.md §4d);
    results do not depend on the work-unit size."""
    w = 4.485e13
    base = {
        "material": "vacuum",
        "geometry": {"omega": w, "r12": 2.5e-7},
        "scans": {"map": {"axes": {"z2": [0.6e-6, 1e-6, 1.9e-6]}, "T_M": [0.0]}},
        "mpi": {"chunk": 1},
    }
    cfg = load_config(base)
    k1 = sweep.kernel_grid(cfg, "map", progress=False)
    cfg["mpi"]["chunk"] = 2
    k2 = sweep.kernel_grid(cfg, "map", progress=False)
    for v in ("alpha_W", "alpha_M", "lambda12"):
        np.testing.assert_array_equal(k1[v].values, k2[v].values)
    np.testing.assert_allclose(k1["alpha_W"].values[:, [0, 1], [0, 1]], 1, atol=1e-9)
    np.testing.assert_allclose(k1["alpha_M"].values, 0, atol=1e-9)
    K = w / 299792458.0
    dz = 1e-6 - np.array([0.6e-6, 1e-6, 1.9e-6])
    r = np.hypot(2.5e-7, dz)
    X, nz = K * r, dz / r
    G0zz = 1.5 * np.exp(1j * X) / X * ((1 + 1j / X - 1 / X**2) + (-1 - 3j / X + 3 / X**2) * nz**2)
    np.testing.assert_allclose(k1["alpha_W"].values[:, 0, 1], G0zz.imag, atol=1e-9)
    np.testing.assert_allclose(k1["lambda12"].values, -0.5 * G0zz.real, atol=1e-9)


def test_kernel_tensors_contract_to_the_stored_kernels():
    """The stored Cartesian tensors give back alpha and Lambda for the scan's dipoles."""
    from neqent.pipeline.config import load_config
    from neqent.pipeline.stages import kernel_grid
    from neqent.pipeline.stages.kernels import dipoles as _dipoles

    cfg = load_config(
        {
            "scans": {"map": {"axes": {"z2": [0.8e-6, 1.3e-6]}, "T_M": [0.0]}, "tilt": {"axes": {"theta": [0.0, 0.6]}}},
            "extras": ["tilt"],
        }
    )
    ds = kernel_grid(cfg, "tilt", progress=False)
    assert "theta" not in ds["alpha_M_tensor"].dims  # integrated once, whatever the angle
    for k, theta in enumerate(ds["theta"].values):
        d = _dipoles(theta)
        for name in ("alpha_W", "alpha_M"):
            t = ds[f"{name}_tensor"].values
            direct = np.einsum("qi,qpij,pj->qp", np.conj([d, d]), t, [d, d])
            np.testing.assert_allclose(direct, ds[name].isel(theta=k).values, rtol=0, atol=1e-14)
        g = ds["G12_tensor"].values
        lam = -0.5 * np.conj(d) @ g.real @ d
        assert abs(lam - complex(ds["lambda12"].isel(theta=k))) <= 1e-12 * abs(lam)
    # against an independent per-point computation at the tilted angle
    from neqent.dynamics.rates import compute_kernels_batch
    from neqent.electrodynamics.materials import SIC

    w = float(ds["omega"])
    d = _dipoles(0.6)
    ref = compute_kernels_batch(
        w, SIC.eps(w), float(ds["delta"]), float(ds["z1"]), float(ds["z2"]), float(ds["r12"]), 0.0, d, d
    )
    np.testing.assert_allclose(ds["alpha_M"].isel(theta=1).values, ref["alpha_M"][0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(complex(ds["lambda12"].isel(theta=1)), ref["lambda12"][0], rtol=1e-14)


# ---------------------------------------------------------------------------
# stage commands (python -m neqent.pipeline.stages / neqent.pipeline.plotting, run by the Snakemake
# rules): bad input exits 2 with one stderr line naming the option and the
# value, no traceback, no output file.
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stage_files(request, tmp_path_factory):
    """Tiny pipeline datasets (map and thickness scans) written like the stages write them."""
    from neqent.pipeline import io

    root = tmp_path_factory.mktemp("stages")
    cfg = load_config(
        request.config.rootpath / TEST_CONFIG,
        overrides={"scans": {"map": {"axes": {"z2": [0.8e-6, 1.3e-6]}, "T_M": [0.0, 1200.0]}}},
    )
    (root / "config.json").write_text(json.dumps(cfg))
    files = {"cfg": str(root / "config.json"), "root": root}
    for scan in ("map", "thickness"):
        k = sweep.kernel_grid(cfg, scan, progress=False)
        r = sweep.rate_grid(k, cfg["scans"][scan]["T_M"], cfg["T_W"])
        s = sweep.steady_grid(r)
        for stage, ds in (("kernels", k), ("rates", r), ("steady", s)):
            files[f"{stage}_{scan}"] = str(io.write_dataset(ds, root / f"{stage}_{scan}.nc", cfg))
    k, r, s = (io.read_dataset(files[f"{x}_map"]) for x in ("kernels", "rates", "steady"))
    files["analytic"] = str(io.write_dataset(sweep.analytic_data(cfg, k, r, s), root / "analytic.nc", cfg))
    # the rates stage's attributes but not its content
    files["rates_hollow"] = str(io.write_dataset(r.drop_vars("gamma_plus"), root / "hollow.nc", cfg))
    bad = (request.config.rootpath / TEST_CONFIG).read_text().replace("material: sic", "material: kryptonite")
    (root / "bad.yaml").write_text(bad)
    files["bad_cfg"] = str(root / "bad.yaml")
    files["text"] = str(request.config.rootpath / TEST_CONFIG)
    return files


def _run_stage(capsys, main, argv):
    """In-process main(argv) expected to fail -> (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def _assert_one_line_error(code, out, err, prog, fragments):
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"python -m neqent.{prog}: error: "), lines[0]
    for f in fragments:
        assert f in lines[0], (f, lines[0])


# (argv with {placeholders} for stage_files, fragments the error line must contain)
BAD_SWEEP = [
    ("kernels --config {cfg} --scan nope", ["--scan 'nope'", "allowed: alpha, cube, map, orientation, thickness"]),
    ("rates --config {cfg} --scan nope --input {kernels_map}", ["--scan 'nope'", "allowed:"]),
    ("rates --config {root}/missing.yaml --input {kernels_map}", ["--config", "missing.yaml", "not found"]),
    ("rates --config {bad_cfg} --input {kernels_map}", ["--config", "bad.yaml", "'material'", "kryptonite"]),
    ("rates --config {cfg} --input {root}/missing.nc", ["--input", "missing.nc", "no such file"]),
    ("steady --config {cfg} --input {kernels_map}", ["--input", "kernels_map.nc", "stage rates", "'kernels'"]),
    ("steady --config {cfg} --input {text}", ["--input", "test.yaml", "not a readable NetCDF file"]),
    # another scan's kernels would silently get this scan's T_M grid
    ("rates --config {cfg} --scan thickness --input {kernels_map}", ["scan 'map'", "expected scan 'thickness'"]),
    ("rates --config {cfg} --scan map --input {kernels_thickness}", ["scan 'thickness'", "expected scan 'map'"]),
    ("rates --config {cfg} --scan alpha --input {kernels_map}", ["--scan 'alpha'", "no T_M grid"]),
    ("steady --config {cfg} --scan thickness --input {rates_map}", ["rates_map.nc", "expected scan 'thickness'"]),
    (
        "analytic --config {cfg} --input {kernels_map} {rates_map} {steady_thickness}",
        ["steady_thickness.nc", "expected scan 'map'"],
    ),
    ("analytic --config {cfg} --input {kernels_map} {steady_map} {rates_map}", ["steady_map.nc", "stage rates"]),
    ("analytic --config {cfg} --input {kernels_map}", ["--input", "needs 3", "got 1"]),
    (
        "dynamics --config {cfg} --scan thickness --input {rates_map} {steady_map}",
        ["--scan 'thickness'", "always uses scan 'map'"],
    ),
    ("steady --config {cfg} --input {rates_hollow}", ["--input", "hollow.nc", "gamma_plus"]),
]


@pytest.mark.parametrize("argv, fragments", BAD_SWEEP, ids=[c[0] for c in BAD_SWEEP])
def test_sweep_command_bad_input(capsys, stage_files, argv, fragments):
    out = stage_files["root"] / "out" / "result.nc"
    args = argv.format(**stage_files).split() + ["--output", str(out), "--no-progress"]
    _assert_one_line_error(*_run_stage(capsys, sweep.main, args), "pipeline.stages", fragments)
    assert not out.parent.exists() or not any(out.parent.iterdir())  # nothing written, no temp file


def test_sweep_command_checks_pass_on_the_right_files(stage_files, tmp_path):
    """The checks accept what the stages produce: rates from the map kernels = rate_grid."""
    from neqent.pipeline import io

    out = tmp_path / "rates.nc"
    assert (
        sweep.main(
            [
                "rates",
                "--config",
                stage_files["cfg"],
                "--scan",
                "map",
                "--input",
                stage_files["kernels_map"],
                "--output",
                str(out),
            ]
        )
        == 0
    )
    got, ref = io.read_dataset(out), io.read_dataset(stage_files["rates_map"])
    assert (got.attrs["stage"], got.attrs["scan"]) == ("rates", "map")
    np.testing.assert_array_equal(got["gamma_plus"].values, ref["gamma_plus"].values)


BAD_PLOT = [
    ("fig3a --input {steady_map}", ["--input", "steady_map.nc", "stage analytic", "'steady'"]),
    ("alpha --input {steady_map}", ["stage kernels or scan", "'steady'"]),
    ("fig4b --input {analytic}", ["analytic.nc", "stage dynamics"]),
    ("fig4a --input {root}/missing.nc", ["--input", "missing.nc", "no such file"]),
    ("fig4a --input {steady_map} --dpi 0", ["--dpi", "'0'", "positive integer"]),
    ("fig4a --input {steady_map} --dpi -5", ["--dpi", "'-5'", "positive integer"]),
    ("fig4a --input {steady_map} --dpi many", ["--dpi", "'many'"]),
    ("fig4a --input {steady_thickness}", ["--input", "steady_thickness.nc", "cannot draw fig4a", "z2"]),
]


@pytest.mark.parametrize("argv, fragments", BAD_PLOT, ids=[c[0] for c in BAD_PLOT])
def test_plotting_command_bad_input(capsys, stage_files, argv, fragments):
    from neqent.pipeline import plotting

    base = stage_files["root"] / "figs" / "fig"
    args = argv.format(**stage_files).split() + ["--output", str(base)]
    _assert_one_line_error(*_run_stage(capsys, plotting.main, args), "pipeline.plotting", fragments)
    assert not base.parent.exists() or not any(base.parent.iterdir())


def test_stage_commands_exit_2_without_traceback_in_a_subprocess(stage_files, tmp_path):
    """The real commands the rules run: status 2 and one stderr line."""
    import subprocess
    import sys

    for module, args in (
        (
            "neqent.pipeline.stages",
            [
                "rates",
                "--config",
                stage_files["cfg"],
                "--scan",
                "nope",
                "--input",
                stage_files["kernels_map"],
                "--output",
                str(tmp_path / "r.nc"),
            ],
        ),
        (
            "neqent.pipeline.plotting",
            ["fig4a", "--input", stage_files["steady_map"], "--dpi", "0", "--output", str(tmp_path / "f")],
        ),
    ):
        proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=120)
        _assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, module.split(".", 1)[1], [])
    assert not list(tmp_path.iterdir())
