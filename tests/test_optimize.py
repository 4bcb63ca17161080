"""neqent.optimize / ``neqent optimize``: the physics landscape, the fig4a maximum, the contract and bad input."""

import json

import numpy as np
import pytest

import neqent
from neqent.dynamics.landscape import Landscape
from neqent.electrodynamics.materials import get_material
from neqent.interface.cli import main

PAPER = dict(
    delta=1e-8,
    z1=1e-6,
    z2=1e-6,
    dx=0.25e-6,
    dy=0.0,
    omega=None,
    omega_ratio=0.3,
    TM=600.0,
    TW=30.0,
    d1=np.array([0, 0, 1], complex),
    d2=np.array([0, 0, 1], complex),
)


@pytest.fixture(scope="module")
def fig4a_search():
    """(z2, TM) free over fig4a's ranges, everything else at the paper's values."""
    return neqent.optimize({"z2": ("0.5um", "2um"), "TM": (0, 2500)}, seed=3, budget=600, workers=1)


def test_witness_is_half_the_concurrence_where_entangled_and_negative_where_not():
    land = Landscape(get_material("sic"), PAPER, ("z2", "TM"))
    X = np.array([[1.26e-6, 1210.0], [1.0e-6, 30.0], [0.7e-6, 0.0], [1.5e-6, 2000.0]])
    from neqent.dynamics.entanglement import concurrence, x_witness

    rho = land.states(X)
    K, C = x_witness(rho), land.concurrence(X)
    np.testing.assert_allclose(C, 2 * np.maximum(0, K), atol=1e-15)
    np.testing.assert_allclose(C, concurrence(rho), atol=1e-12)  # the steady state is an X state
    assert C[0] > 0.2 and K[1] < 0 and C[1] == 0  # T_M = T_W: thermal, separable
    # temperature-only moves reuse one quadrature: same states as separate calls
    np.testing.assert_allclose(land.states(X[1:2]), rho[1:2], rtol=0, atol=1e-15)


def test_fig4a_maximum_is_found(fig4a_search):
    """The pipeline's fig4a map (10 nm x 10 K grid) peaks at C = 0.224 at z2 = 1.26 um,
    T_M = 1210 K. The search must reach at least that grid maximum (here the
    maximum over the 5 x 5 grid points around it, i.e. the map's value) and sit
    within a grid step or two of it."""
    r = fig4a_search
    land = Landscape(get_material("sic"), PAPER, ("z2", "TM"))
    z2 = 1.26e-6 + 1e-8 * np.arange(-2, 3)
    TM = 1210.0 + 10.0 * np.arange(-2, 3)
    grid = np.array([(a, b) for a in z2 for b in TM])
    grid_max = float(np.max(land.concurrence(grid)))
    assert 0.2235 < grid_max < 0.2245
    assert r["concurrence"] >= grid_max - 1e-9
    assert r["point"]["z2"] == pytest.approx(1.26e-6, abs=2e-8)
    assert r["point"]["TM"] == pytest.approx(1210.0, abs=20.0)
    assert r["at_bounds"] == [] and r["evaluations"] <= 600


def test_reevaluating_the_optimum_with_point_gives_the_same_concurrence(fig4a_search):
    r = fig4a_search
    assert neqent.point(**r["input"])["concurrence"] == pytest.approx(r["concurrence"], abs=1e-9)
    # sharpness: the 1 % range is inside the 10 % one, both around the optimum
    for name, x in r["point"].items():
        (a1, b1), (a10, b10) = r["sharpness"][name]["1%"], r["sharpness"][name]["10%"]
        assert a10 <= a1 < x < b1 <= b10
        values, C = r["cuts"][name]
        inside = (values >= a1) & (values <= b1)
        assert np.all(C[inside] >= 0.99 * r["concurrence"] - 1e-12)


def test_many_parameters_reproduce_with_point_and_seed():
    """Angles, separation, frequency and thickness free; point() agrees to 1e-9;
    same seed, same answer, whatever the number of processes."""
    vary = {"theta1": (-1.0, 1.0), "r12": ("100nm", "1um"), "omega_ratio": (0.2, 0.5), "delta": ("2nm", "50nm")}
    kw = dict(z2="1.2um", TM=1200, seed=11, budget=180)
    r = neqent.optimize(vary, workers=1, **kw)
    assert neqent.point(**r["input"])["concurrence"] == pytest.approx(r["concurrence"], abs=1e-9)
    assert set(r["point"]) == set(vary) and r["evaluations"] <= 180
    r2 = neqent.optimize(vary, workers=2, **kw)
    assert r2["point"] == r["point"] and r2["concurrence"] == r["concurrence"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_contract(capsys):
    code, out, err = run(
        capsys, "optimize", "--vary", "TM=0:2500", "--vary", "omega-ratio=0.2:0.4", "--seed", "5", "--budget", "90",
        "--z2", "1.26um", "--json", "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    r = json.loads(out)
    for key in ("concurrence", "point", "evaluations", "at_bounds", "seed", "sharpness"):
        assert key in r
    assert set(r["point"]) == {"TM", "omega_ratio"} and r["seed"] == 5 and r["evaluations"] <= 90
    assert r["input"]["z2"] == 1.26e-6
    assert neqent.point(**{**r["input"], "dipole1": (0, 0, 1), "dipole2": (0, 0, 1)})["concurrence"] == pytest.approx(
        r["concurrence"], abs=1e-9
    )
    code, out, _ = run(capsys, "optimize", "--vary", "TM=0:2500", "--seed", "5", "--budget", "30", "--no-progress")
    assert code == 0 and "best steady concurrence" in out and "TM" in out


def test_cli_point_command_reproduces_the_optimum(capsys):
    """The JSON's point_command, run as `neqent point`, gives the same C (dipole angles varied)."""
    import shlex

    code, out, err = run(
        capsys, "optimize", "--vary", "theta1=-1:1", "--vary", "theta2=-1:1", "--TM", "1200K", "--z2", "1.2um",
        "--seed", "9", "--budget", "60", "--json", "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    r = json.loads(out)
    argv = shlex.split(r["point_command"])
    assert argv[:2] == ["neqent", "point"]
    code, out, err = run(capsys, *argv[1:], "--json")
    assert code == 0, err
    assert json.loads(out)["concurrence"] == pytest.approx(r["concurrence"], abs=1e-9)


def test_equilibrium_has_no_entanglement_and_no_false_best():
    """T_M = T_W: the steady state is thermal, C = 0 for every z2; the search
    reports C = 0 (a negative witness) and no sharpness ranges."""
    r = neqent.optimize({"z2": ("0.5um", "2um")}, TM=30, seed=0, budget=45, workers=1)
    assert r["concurrence"] == 0.0 and r["witness"] < 0
    assert r["sharpness"] == {"z2": None}
    from neqent.interface.optimize import optimize_table

    assert "C = 0 everywhere the search went" in optimize_table(r)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--vary", "height=1um:2um"], "unknown parameter 'height'"),
        (["--vary", "z2=2um:1um"], "lower bound must be < upper bound"),
        (["--vary", "z2=1um:1um"], "lower bound must be < upper bound"),
        (["--vary", "z2=0:2um"], "inside the slab"),
        (["--vary", "z1=-1um:2um"], "inside the slab"),
        (["--vary", "TM=-10:300"], ">= 0 K"),
        (["--vary", "delta=0nm:10nm"], "> 0"),
        (["--vary", "z2=1um"], "expected LO:HI"),
        (["--vary", "z2"], "expected NAME=LO:HI"),
        (["--vary", "z2=0.5um:2um", "--z2", "1um"], "both varied and fixed"),
        (["--vary", "theta1=0:1", "--dipole1", "1,0,0"], "both varied and fixed"),
        (["--vary", "omega-ratio=0.2:0.4", "--omega", "1e14"], "both varied and fixed"),
        (["--vary", "omega=1e13:1e14", "--vary", "omega-ratio=0.2:0.4"], "not both"),
        (["--vary", "TM=0:2500", "--vary", "z2=0.5um:2um", "--budget", "29"], "population size 30"),
        (["--vary", "TM=0:2500", "--vary", "TM=0:100"], "given twice"),
        (["--vary", "r12=1nm:100m"], "--vary: r12 range: omega (z1 + z2 + r12) / c must be <= 20000"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(capsys, args, fragment):
    code, out, err = run(capsys, "optimize", "--no-progress", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("neqent: error: ")
    assert fragment in err


# ---------------------------------------------------------------------------
# pipeline: config section 'optimize', stage neqent.pipeline.optimize, figure
# ---------------------------------------------------------------------------


def _config(**search):
    from neqent.pipeline.config import load_config

    cfg = {"scans": {"map": {"axes": {"z2": [5e-7, 1e-6, 2e-6]}, "T_M": [0.0, 1000.0]}}, "extras": ["optimize"]}
    cfg["optimize"] = {"s": {"vary": {"T_M": [0.0, 2500.0]}, "seed": 2, "budget": 60, **search}}
    return load_config(cfg)


@pytest.mark.parametrize(
    "search, fragment",
    [
        ({"vary": {"height": [0.0, 1.0]}}, "optimize.s.vary"),
        ({"vary": {"z2": [2e-6, 1e-6]}}, "'optimize.s.vary.z2': lower bound must be < upper bound"),
        ({"vary": {"z2": [0.0, 1e-6]}}, "'optimize.s.vary.z2': height of qubit 2 above the slab"),
        ({"vary": {"T_M": [-1.0, 1e3]}}, "'optimize.s.vary.T_M'"),
        ({"vary": {"delta": [0.0, 1e-6]}}, "'optimize.s.vary.delta': slab thickness must be > 0"),
        ({"vary": {"z2": [5e-7, 2e-6]}, "fixed": {"z2": 1e-6}}, "'optimize.s.fixed.z2': z2 is also varied"),
        ({"vary": {"z2": [5e-7, 2e-6], "T_M": [0.0, 1e3]}, "budget": 29}, "population size 30"),
        ({"vary": {"r12": [1e-9, 100.0]}}, "'optimize.s'"),
    ],
)
def test_config_rejects_bad_searches(search, fragment):
    from neqent.pipeline.config import ConfigError

    with pytest.raises(ConfigError, match="config key") as err:
        _config(**search)
    assert fragment in str(err.value)


def test_listing_the_extra_needs_a_search():
    from neqent.pipeline.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="'optimize' is listed"):
        load_config({"scans": {"map": {"axes": {"z2": [5e-7, 1e-6]}, "T_M": [0.0]}}, "extras": ["optimize"]})


def test_stage_record_and_figure_match_the_api(tmp_path, capsys):
    """The stage on the rule's config subset writes the record the figure reads; the
    search is neqent.optimize's (same seed, same optimum)."""
    from neqent.pipeline import optimize as stage
    from neqent.pipeline import plotting
    from neqent.pipeline.io import read_dataset

    cfg = _config(fixed={"z2": 1.26e-6})
    subset = stage.search_subset(cfg, "s")
    out = tmp_path / "s.nc"
    assert stage.main(["--config", json.dumps(subset), "--search", "s", "--output", str(out), "--no-progress"]) == 0
    ds = read_dataset(out)
    r = neqent.optimize({"TM": (0, 2500)}, z2=1.26e-6, seed=2, budget=60, workers=1)
    assert float(ds["C"]) == r["concurrence"] and float(ds["T_M"]) == r["point"]["TM"]
    assert ds.attrs["stage"] == "optimize" and ds.attrs["evaluations"] == r["evaluations"]
    assert ds["T_M"].attrs["units"] == "K" and ds["T_M_range"].shape == (2, 2)
    np.testing.assert_array_equal(ds["C_cut_T_M"].values, r["cuts"]["TM"][1])
    assert plotting.main(["optimize", "--input", str(out), str(out), "--output", str(tmp_path / "fig")]) == 0
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(SystemExit) as exit_:
        stage.main(["--config", json.dumps(subset), "--search", "nope", "--output", str(tmp_path / "x.nc")])
    assert exit_.value.code == 2 and "not a search of the config" in capsys.readouterr().err
    assert not (tmp_path / "x.nc").exists()
