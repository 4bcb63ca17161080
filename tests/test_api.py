"""neqent.interface.api: SI-argument functions, argument validation, lazy package exports."""

import subprocess
import sys

import numpy as np
import pytest

import neqent
from neqent.interface import api
from neqent.interface.units import InputError

# ---------------------------------------------------------------------------
# package
# ---------------------------------------------------------------------------


def test_import_is_cheap_and_exports_are_lazy():
    code = (
        "import sys, neqent; "
        "heavy = [m for m in ('numba', 'xarray', 'scipy', 'neqent.interface.api', 'neqent.electrodynamics.kernels') "
        "if m in sys.modules]; "
        "assert not heavy, heavy; "
        "assert callable(neqent.point); assert 'neqent.interface.api' in sys.modules; "
        "print(neqent.__version__)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == neqent.__version__ != ""


def test_exports():
    assert neqent.point is api.point and neqent.evolve is api.evolve and neqent.scan is api.scan
    with pytest.raises(AttributeError):
        neqent.no_such_function  # noqa: B018


# ---------------------------------------------------------------------------
# validation (raises before computing anything)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, param, fragment",
    [
        ({"z2": -1e-6}, "z2", "> 0"),
        ({"z1": 0.0}, "z1", "> 0"),
        ({"z1": float("nan")}, "z1", "finite"),
        ({"delta": 0}, "delta", "> 0"),
        ({"r12": -1e-9}, "r12", ">= 0"),
        ({"r12": (np.inf, 0)}, "r12", "finite"),
        ({"r12": 0.0}, "r12", "coincide"),
        ({"TM": -1}, "TM", ">= 0 K"),
        ({"TW": float("inf")}, "TW", "finite"),
        ({"omega": -1.0}, "omega", "> 0"),
        ({"omega_ratio": 0}, "omega_ratio", "> 0"),
        ({"dipole1": (0, 0, 0)}, "dipole1", "non-zero"),
        ({"dipole2": (1, 0)}, "dipole2", "3-vector"),
        ({"material": "adamantium"}, "material", "unknown material"),
        ({"material": "csv:/no/such.csv"}, "material", "not found"),
        ({"material": "eps=4"}, "omega_ratio", "no resonance"),
        ({"z1": "abc"}, "z1", "cannot parse"),
        # electrical size above 2e4 (neqent.validation.electrical_size): the option that grew is named
        ({"omega": 3e18}, "omega", "must be <= 20000"),
        ({"z2": 0.2}, "z2", "must be <= 20000"),
        ({"r12": (0.0, 0.3)}, "r12", "must be <= 20000"),
        ({"delta": 0.1}, "delta", "delta = inf"),
    ],
)
def test_point_validation(kwargs, param, fragment):
    with pytest.raises(InputError) as info:
        api.point(**kwargs)
    assert info.value.param == param
    assert str(info.value).startswith(f"{param}: ")
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)  # callers may catch ValueError


def test_strings_with_units_are_the_same_inputs():
    a = api._setup("sic", "10nm", "1um", "1000nm", "250nm", None, "0.3", "30K", "600", "0,0,1", "0,0,1")
    b = api._setup("sic", 10e-9, 1e-6, 1e-6, 0.25e-6, None, 0.3, 30.0, 600.0, (0, 0, 1), (0, 0, 1))
    assert a.describe() == b.describe()


def test_cli_defaults_are_the_api_defaults():
    """The command line's default strings mean the same configuration as api.DEFAULTS."""
    from neqent.interface.cli import build_parser

    args = build_parser().parse_args(["point"])
    cli = api._setup(
        args.material,
        args.delta,
        args.z1,
        args.z2,
        args.r12,
        args.omega,
        args.omega_ratio,
        args.TW,
        args.TM,
        args.dipole1,
        args.dipole2,
    )
    assert cli.describe() == api._setup(**api.DEFAULTS).describe()


@pytest.mark.parametrize(
    "kwargs, param, fragment",
    [
        ({"initial": "Q"}, "initial", "A, S, E, G, thermal"),
        ({"initial": np.eye(4)}, "initial", "trace 1"),
        ({"initial": np.eye(2) / 2}, "initial", "4x4"),
        ({"initial": "thermal", "T_initial": -1}, "T_initial", ">= 0 K"),
        ({"times": [1.0, np.nan]}, "times", "finite"),
        ({"times": []}, "times", "non-empty"),
        ({"tmin": 0.0}, "tmin", "log spacing"),
        ({"tmin": 1.0, "tmax": 0.5}, "tmax", "> 1"),
        ({"num": 1}, "num", ">= 2"),
        ({"spacing": "cubic"}, "spacing", "'log' or 'linear'"),
    ],
)
def test_evolve_validation(kwargs, param, fragment):
    with pytest.raises(InputError) as info:
        api.evolve(**kwargs)
    assert info.value.param == param
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "kwargs, param, fragment",
    [
        ({"z2": {"start": 1e-6, "stop": 2e-6}}, "z2", "start, stop, num"),
        ({"z2": {"start": 1e-6, "stop": 2e-6, "num": 3, "spacing": "cubic"}}, "z2", "spacing"),
        ({"r12": {"start": 0, "stop": 1e-6, "num": 3, "spacing": "log"}}, "r12", "log range"),
        ({"TM": [100, 100]}, "TM", "distinct"),
        ({"z2": ["2um", "0.5um", "1um"]}, "z2", "strictly increasing, got [2e-06, 5e-07, 1e-06]"),
        ({"z2": {"start": "2um", "stop": "1um", "num": 3}}, "z2", "start <= stop"),
        ({"delta": {"start": "1nm", "stop": "inf", "num": 3}}, "delta", "endpoints must be finite"),
        ({"delta": {"start": 1e-9, "stop": np.inf, "num": 3, "spacing": "log"}}, "delta", "use a list"),
        ({"z2": ["1um", "1m"]}, "z2", "must be <= 20000"),
        ({"omega_ratio": [0.3, 1e5]}, "omega_ratio", "must be <= 20000"),
        ({"TM": []}, "TM", "non-empty"),
        ({"z2": [1e-6, -1e-6]}, "z2", "> 0"),
        ({"theta": [0, np.inf]}, "theta", "finite"),
        ({"material": api.get_material("sic")}, "material", "name or spec"),
        ({"material": "eps=2"}, "omega_ratio", "no resonance"),
        ({"r12": 0.0, "z2": [0.5e-6, 2e-6]}, "r12", "coincide"),  # z1 is put on the z2 grid
    ],
)
def test_scan_validation(kwargs, param, fragment, tmp_path):
    with pytest.raises(InputError) as info:
        api.scan(tmp_path / "x.nc", **kwargs)
    assert info.value.param == param
    assert fragment in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_scan_config_matches_pipeline_schema():
    """The recorded config has the pipeline's shape and values (SI floats)."""
    from neqent.pipeline.stages import scan_axes

    cfg = api.scan_config(z2={"start": "0.5um", "stop": "2um", "num": 4}, TM=[0, "600K"], r12="300nm")
    assert cfg["geometry"]["r12"] == 3e-7 and cfg["geometry"]["z1"] == 1e-6
    assert cfg["scans"][api.SCAN_NAME]["T_M"] == [0.0, 600.0]
    axes, fixed = scan_axes(cfg, api.SCAN_NAME)
    np.testing.assert_allclose(axes["z2"], [0.5e-6, 1e-6, 1.5e-6, 2e-6])
    assert fixed["omega"] == pytest.approx(0.3 * 1.495e14)


# ---------------------------------------------------------------------------
# physics (computes kernels)
# ---------------------------------------------------------------------------


def test_point_result_types_and_identities():
    from neqent.dynamics.rates import occupation

    r = api.point(z2=1.1e-6, TM=900.0, dipole1=(1, 1j, 0), dipole2=(0, 0, 1))
    assert r["symmetric"] is False and r["T_A"] is None
    assert r["rho"].shape == (4, 4) and r["rho"].dtype == complex
    assert r["n_M"] == pytest.approx(occupation(r["omega"], 900.0))
    assert isinstance(r["alpha_W"]["12"], complex) and isinstance(r["Lambda12"], complex)
    # alpha^{qq} is a Hermitian form: its diagonal contractions are real
    assert abs(r["alpha_W"]["11"].imag) < 1e-12 * abs(r["alpha_W"]["11"])
    assert 0.0 <= r["concurrence"] <= 1.0
    assert r["input"]["dipole1"] == [1, 1j, 0]


def test_evolve_explicit_times_reach_steady_state():
    r = api.evolve("S", times=[0.0, 1e6], TM=600.0)
    assert r["t"].tolist() == [0.0, 1e6]
    assert r["concurrence"][0] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(r["rho"][-1], r["steady_rho"], atol=1e-9)
    np.testing.assert_allclose(r["populations"].sum(axis=1), 1.0, atol=1e-12)


def test_scan_in_memory_agrees_with_point():
    ds = api.scan(z2=[1e-6, 1.3e-6], TM=[600.0], r12="250nm")
    assert ds["C"].dims == ("z2", "T_M")
    r = api.point(z2=1.3e-6, TM=600.0)
    assert float(ds["C"].sel(z2=1.3e-6, T_M=600.0)) == pytest.approx(r["concurrence"], rel=1e-9, abs=1e-14)
    np.testing.assert_allclose(ds["rho"].sel(z2=1.3e-6, T_M=600.0).values, r["rho"], atol=1e-12)


def test_in_plane_vector_with_zero_dy_is_accepted():
    """r12 = (dx, 0) with dx < 0 is a valid vector (qubit 2 on the -x side); by mirror
    symmetry it has the same physics as the scalar |dx|, and the recorded input keeps it."""
    r = api.point(r12=(-2.5e-7, 0.0))
    ref = api.point(r12=2.5e-7)
    assert r["input"]["r12"] == [-2.5e-7, 0.0]
    assert r["concurrence"] == pytest.approx(ref["concurrence"], rel=1e-9)
    for key in ("11", "22", "12"):
        assert r["alpha_W"][key] == pytest.approx(ref["alpha_W"][key], rel=1e-9, abs=1e-12)
    assert api.evolve(r12=(-2.5e-7, 0.0), num=3)["input"]["r12"] == [-2.5e-7, 0.0]
    with pytest.raises(InputError, match=">= 0"):  # a scalar stays a length >= 0
        api.point(r12=-2.5e-7)


def test_scan_accepts_inf_in_a_delta_list():
    cfg = api.scan_config(delta=["10nm", "inf"])
    assert cfg["scans"][api.SCAN_NAME]["axes"]["delta"] == [1e-8, np.inf]
