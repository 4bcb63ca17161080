"""A sphere in the pipeline (docs/theory.md §13): the extra ``sphere`` and ``geometry.sphere`` as the scans' body."""

import copy
import json

import numpy as np
import pytest
import yaml

from neqent.electrodynamics.sphere import Sphere
from neqent.pipeline import extra
from neqent.pipeline.config import ConfigError, load_config
from neqent.pipeline.extras.sphere import (
    opposite_positions,
    pair_kernels,
    sphere_figure,
    sphere_params,
    sphere_scan,
    steady_concurrence,
)
from neqent.pipeline.io import read_dataset

TEST_CONFIG = "config/test.yaml"


@pytest.fixture(scope="module")
def config():
    return load_config(TEST_CONFIG)


@pytest.fixture(scope="module")
def scan(config):
    return sphere_scan(sphere_params(config), progress=False)


# ---------------------------------------------------------------------------
# The extra


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the CF checker's own (ioos_sos)
def test_extra_command_writes_a_cf_clean_dataset_and_a_figure(tmp_path, scan):
    from test_workflow import _cf_failures

    from neqent.pipeline import plotting

    out = tmp_path / "sphere.nc"
    assert extra.main(["sphere", "--config", TEST_CONFIG, "--output", str(out), "--no-progress"]) == 0
    ds = read_dataset(out)
    np.testing.assert_array_equal(ds["C"].values, scan["C"].values)
    assert ds["radius"].attrs["units"] == "m" and ds.attrs["stage"] == "sphere"
    assert _cf_failures([out]) == {}
    assert plotting.main(["sphere", "--input", str(out), "--output", str(tmp_path / "fig.png")]) == 0
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "fig.pdf").is_file()


def test_equilibrium_gives_no_entanglement_and_out_of_it_the_sphere_entangles(config, scan):
    """T_M = T_W: the steady state is thermal, C = 0 (§8); a hot sphere of a few 100 nm entangles the pair."""
    at_tw = scan["T_M"].values == config["T_W"]
    assert at_tw.any()
    for name in ("C", "C_opposite"):
        assert np.all(scan[name].values[:, at_tw] < 1e-12)
        assert np.all((scan[name].values >= 0) & (scan[name].values <= 1))
    assert scan["C_max"].max() > 0.1
    assert np.all(scan["C_max"].values == scan["C"].values.max(axis=1))


def test_the_maximum_over_radius_is_interior_and_beats_the_paper_film():
    """The paper's qubits, 0.3 w_T, R from 10 nm to 10 um: C peaks at R of a few 100 nm, above the
    10 nm film's maximum (measured 0.240 at R ~ 0.33 um against the film's 0.217)."""
    cfg = load_config(None)
    params = sphere_params(cfg)
    params["sphere"] = dict(params["sphere"], radius={"start": 1e-8, "stop": 1e-5, "num": 13, "spacing": "log"})
    ds = sphere_scan(params, progress=False)
    c_max = ds["C_max"].values
    best = int(np.argmax(c_max))
    assert 0 < best < c_max.size - 1
    assert 1e-7 < float(ds["radius"][best]) < 1e-6
    assert c_max[best] > float(ds["C_film"].max()) > 0.2
    assert c_max[0] < 1e-2  # a 10 nm particle 1 um away barely emits


def test_large_radius_approaches_the_half_space_where_the_near_field_rules(config):
    """Qubits 50 nm above a SiC sphere in its Reststrahlen band (1.65e14 rad/s, absorption length
    ~ 1 um): at R = 10 um (d/R = 0.005) alpha_M is the half-space's within 1.1 % (measured 0.990
    for alpha_M^{11}, 0.979 for alpha_M^{12}; 1.009 and 1.010 at R = 1 um)."""
    d = 5e-8
    params = dict(sphere_params(config), z1=d, z2=d, r12=d)
    params["sphere"] = dict(params["sphere"], omega=1.65e14, radius=[1e-6, 1e-5], gap=d)
    ds = sphere_scan(params, progress=False)
    ratio = (ds["alpha_M"].values / ds["alpha_M_half_space"].values).real
    assert abs(ratio[-1, 0, 0] - 1) < 0.011
    assert abs(ratio[-1, 0, 1] - 1) < 0.025
    assert abs(ratio[0, 0, 0] - 1) < 0.02


def test_at_the_paper_frequency_ten_microns_are_far_from_the_half_space(scan):
    """0.3 w_T: SiC is a weakly absorbing dielectric (absorption length ~ 3 mm), so the half-space
    absorbs the waves a micron-sized sphere lets through: at R = 10 um alpha_M is 0.77 % of the
    half-space's and rising; the half-space's strong emission leaves the qubits unentangled."""
    ratio = (scan["alpha_M"].values[:, 0, 0] / scan["alpha_M_half_space"].values[0, 0]).real
    assert np.all(np.diff(ratio) > 0)
    assert 0.005 < ratio[-1] < 0.01
    assert float(scan["C_half_space"].max()) < 1e-12 < float(scan["C_max"][-1])


def test_opposite_sides_are_symmetric_under_swapping_the_qubits(config, scan):
    np.testing.assert_allclose(
        scan["alpha_M_opposite"].values[:, 0, 0],
        scan["alpha_M_opposite"].values[:, 1, 1],
        rtol=1e-10,
    )
    section = config["sphere"]
    omega = 0.3 * 1.49e14  # SiC's w_T, rounded: any frequency of the model will do
    T_M = np.array([30.0, 600.0, 2500.0])
    for radius in (1e-7, 1e-6):
        body = Sphere(section["material"], radius)
        r1, r2 = opposite_positions(radius, section["gap"])
        forward = steady_concurrence(*pair_kernels(body, omega, r1, r2, 0.3), omega, 30.0, T_M)
        swapped = steady_concurrence(*pair_kernels(body, omega, r2, r1, 0.3), omega, 30.0, T_M)
        np.testing.assert_allclose(forward, swapped, atol=1e-12)


def test_a_qubit_inside_the_sphere_is_refused():
    body = Sphere("sic", 1e-6)
    with pytest.raises(ValueError, match="inside the sphere"):
        pair_kernels(body, 4.5e13, np.array([[0.0, 0.0, -1e-7]]), np.array([[0.0, 0.0, 1e-6]]), 0.0)


BAD_EXTRA = {
    "radius <= 0": ({"radius": [-1e-8, 1e-6]}, "sphere.radius[0]"),
    "zero radius": ({"radius": [0.0, 1e-6]}, "sphere.radius[0]"),
    "gap 0 (on the surface)": ({"gap": 0.0}, "sphere.gap"),
    "uniaxial material": ({"material": "hbn"}, "sphere.material"),
    "outside the model": ({"material": "sio2"}, "sphere.omega_ratio"),
    "beyond the multipole cap": ({"radius": [1e-6, 1e-2]}, "sphere.radius"),
}


@pytest.mark.parametrize("case", list(BAD_EXTRA))
def test_a_bad_sphere_section_is_one_line_naming_the_key(case):
    edit, key = BAD_EXTRA[case]
    with pytest.raises(ConfigError) as exc:
        load_config(TEST_CONFIG, {"sphere": edit})
    assert f"config key '{key}'" in str(exc.value) and "\n" not in str(exc.value)


# ---------------------------------------------------------------------------
# geometry.sphere: a sphere as the body of the scans

MAP = {"axes": {"z2": [5e-7, 1e-6, 1.5e-6]}, "T_M": [30.0, 600.0, 1200.0]}


def _sphere_config(radius=1e-6, axes=None, **geometry):
    scans = {"map": MAP, **({"rad": {"axes": axes, "T_M": MAP["T_M"]}} if axes else {})}
    return {
        "geometry": {"sphere": {"material": "sic", "radius": radius}, **geometry},
        "scans": scans,
        "mpi": {"tasks": 1, "chunk": 4},
    }


def test_a_sphere_map_and_radius_scan_run_through_the_stages(config, scan):
    """kernels -> rates -> steady with geometry.sphere; the radius axis reproduces the extra's numbers."""
    from neqent.pipeline import stages
    from neqent.pipeline.grid import resolve_range

    radii = scan["radius"].values[1:3]
    cfg = load_config(_sphere_config(axes={"radius": radii.tolist()}))
    out = {}
    for name in ("map", "rad"):
        k = stages.kernel_grid(cfg, name, progress=False)
        out[name] = stages.steady_grid(stages.rate_grid(k, resolve_range(cfg["scans"][name]["T_M"]), cfg["T_W"]))
    assert out["map"]["C"].dims == ("z2", "T_M") and k.attrs["material"] == "sic sphere"
    assert out["map"]["C"].values[:, 1:].max() > 0.05
    C = out["rad"]["C"]
    assert C.dims == ("radius", "T_M") and C["radius"].attrs == {"units": "m", "long_name": "sphere radius"}
    for T in (600.0, 1200.0):
        np.testing.assert_allclose(C.sel(T_M=T).values, scan["C"].sel(radius=radii, T_M=T).values, atol=1e-10)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the CF checker's own (ioos_sos)
def test_stage_commands_on_a_radius_scan_write_cf_files_and_a_figure(tmp_path):
    """The workflow's stage commands on their config subsets: a radius scan streams through them."""
    from test_workflow import _cf_failures

    from neqent.pipeline import stages
    from neqent.pipeline.config import stage_config
    from neqent.pipeline.plotting import scan_figure

    cfg = load_config(_sphere_config(axes={"radius": [1e-7, 1e-6]}))
    paths = {name: str(tmp_path / f"{name}.nc") for name in ("kernels", "rates", "steady")}
    previous = []
    for name in ("kernels", "rates", "steady"):
        sub = stage_config(cfg, name, "rad")
        assert sub["geometry"]["sphere"] == {"material": "sic", "radius": 1e-6}  # the body reruns every stage
        argv = [name, "--config", json.dumps(sub), "--scan", "rad", "--no-progress", "--output", paths[name]]
        assert stages.main(argv + (["--input", *previous] if previous else [])) == 0
        previous = [paths[name]]
    steady = read_dataset(paths["steady"])
    assert steady["C"].dims == ("radius", "T_M") and steady["C"].values[:, 1:].max() > 0.01
    assert _cf_failures(list(paths.values())) == {}
    scan_figure(steady, str(tmp_path / "fig"))
    assert (tmp_path / "fig.png").is_file()


BAD_BODY = {
    "radius 0": ({"radius": 0.0}, None, "geometry.sphere.radius"),
    "qubit on the surface": ({"z1": 0.0}, None, "geometry.z1"),
    "qubit inside": ({"z1": -1e-7}, None, "geometry.z1"),
    "uniaxial sphere": ({"material": "hbn"}, None, "geometry.sphere.material"),
    "delta axis": ({}, {"delta": [1e-8, 2e-8]}, "scans.rad.axes.delta"),
    "beyond the multipole cap": ({}, {"radius": [1e-6, 1e-2]}, "scans.rad.axes.radius"),
    "material beside the sphere": ({"slab material": "sio2"}, None, "material"),
}


@pytest.mark.parametrize("case", list(BAD_BODY))
def test_a_bad_sphere_body_is_one_line_naming_the_key(case, tmp_path, capsys):
    edit, axes, key = BAD_BODY[case]
    cfg = _sphere_config(axes=axes)
    geo, sphere = cfg["geometry"], cfg["geometry"]["sphere"]
    for name, value in edit.items():
        if name == "slab material":
            cfg["material"] = value
        else:
            (sphere if name in sphere else geo)[name] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(SystemExit) as exc:
        extra.main(["sphere", "--config", str(path), "--output", str(tmp_path / "x.nc"), "--no-progress"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"config key '{key}'" in err[0], err
    assert not (tmp_path / "x.nc").exists()


def test_radius_axis_without_a_sphere_and_two_bodies_are_refused(config):
    raw = copy.deepcopy(config)
    raw["scans"]["thickness"]["axes"] = {"radius": [1e-6]}
    with pytest.raises(ConfigError, match=r"scans\.thickness\.axes\.radius': a radius axis needs geometry\.sphere"):
        load_config(json.loads(json.dumps(raw)))
    both = _sphere_config()
    both["geometry"]["stack"] = [{"material": "sic", "thickness": 1e-8}]
    with pytest.raises(ConfigError, match="geometry.stack and geometry.sphere both describe the body"):
        load_config(both)


def test_figure_draws_a_single_radius(tmp_path, scan):
    sphere_figure(scan.isel(radius=[0]), tmp_path / "one")
    assert (tmp_path / "one.png").is_file()
