"""Config loading/validation: the library and Snakemake apply the same schema and defaults."""

import copy
import json

import numpy as np
import pytest

from neqent.pipeline.config import ConfigError, default_config_path, load_config, resolve_range, schema_path

INF, NAN = float("inf"), float("nan")


def test_default_config_is_the_paper_geometry():
    c = load_config()
    g = c["geometry"]
    assert (c["material"], c["T_W"]) == ("sic", 30.0)
    assert (g["delta"], g["z1"], g["r12"], g["theta"], g["omega_ratio"]) == (1e-8, 1e-6, 2.5e-7, 0.0, 0.3)
    z2 = resolve_range(c["scans"]["map"]["axes"]["z2"])
    T = resolve_range(c["scans"]["map"]["T_M"])
    assert z2.min() == pytest.approx(0.5e-6) and z2.max() == pytest.approx(2e-6)
    assert T.min() == 0 and T.max() == pytest.approx(2500)
    # defaults filled from the schema
    assert c["mpi"]["chunk"] >= 1 and c["dynamics"]["states"] == ["A", "S", "thermal"]


@pytest.mark.parametrize(
    "override, key",
    [
        ({"T_W": -1.0}, "'T_W'"),
        ({"geometry": {"z1": 0.0}}, "'geometry.z1'"),
        ({"scans": {"map": {"axes": {"z2": {"start": 0.0, "stop": 1e-6, "num": 3}}}}}, "'scans.map.axes.z2.start'"),
        ({"scans": {"map": {"axes": {"z2": [1e-6, -1e-6]}}}}, "'scans.map.axes.z2[1]'"),
        ({"scans": {"map": {"T_M": {"start": 0.0, "stop": 10.0, "num": 3, "spacing": "log"}}}}, "'scans.map.T_M'"),
        ({"scans": {"map": {"axes": {"z2": [1e-6], "r12": [1e-7, 2e-7]}}}}, "'scans.map.axes.r12'"),
        ({"extras": ["nonexistent"]}, "'extras'"),
        ({"mpi": {"tasks": 0}}, "'mpi.tasks'"),
        ({"typo_key": 1}, "typo_key"),
        ({"material": "kryptonite"}, "'material': unknown material 'kryptonite'"),
        ({"material": "csv:/nonexistent.csv"}, "'material': material CSV file not found"),
        ({"material": "eps=4+0.1j"}, "'geometry.omega_ratio'"),
        # unsorted grids give wrong figures
        (
            {"scans": {"map": {"axes": {"z2": [2e-6, 0.5e-6, 1e-6, 1.5e-6]}}}},
            "'scans.map.axes.z2': grid values must be distinct and strictly increasing",
        ),
        (
            {"scans": {"map": {"axes": {"z2": {"start": 2e-6, "stop": 0.5e-6, "num": 4}}}}},
            "'scans.map.axes.z2': a range must increase",
        ),
        (
            {"scans": {"thickness": {"axes": {"delta": {"start": 1e-9, "stop": INF, "num": 3}}}}},
            "'scans.thickness.axes.delta.stop': must be finite",
        ),
        # bad values that used to fail later with a traceback
        ({"geometry": {"r12": 0.0}}, "'geometry.r12': the qubits coincide"),
        (
            {"scans": {"separation": {"axes": {"r12": [0.0, 1e-6]}}}, "geometry": {"z2": 1e-6}},
            "'scans.separation.axes.r12': the qubits coincide",
        ),
        ({"T_W": INF}, "'T_W': must be finite"),
        ({"scans": {"map": {"T_M": [0.0, INF]}}}, "'scans.map.T_M[1]': must be finite"),
        (
            {"scans": {"orientation": {"axes": {"theta": [0.0, NAN]}}}},
            "'scans.orientation.axes.theta[1]': must be finite",
        ),
        (
            {"scans": {"thickness": {"axes": {"delta": [1e-8, NAN]}}}},
            "'scans.thickness.axes.delta[1]': must be finite or +inf",
        ),
        (
            {"scans": {"map": {"axes": {"z2": {"start": 2e-6, "stop": 5e-6, "num": 4}}}}},
            "'scans.map.axes.z2': the z2 range",
        ),
        # electrical size above 2e4 (neqent.validation.electrical_size), the key that grew is named
        ({"geometry": {"omega": 1e30}}, "'geometry.omega': geometry.omega (geometry.z1 + scans.map.axes.z2"),
        (
            {"scans": {"map": {"axes": {"z2": [0.5e-6, 1.0]}}}},
            "'scans.map.axes.z2': omega (geometry.z1 + scans.map.axes.z2",
        ),
        ({"scans": {"alpha": {"axes": {"omega_ratio": [0.3, 1e5]}}}}, "'scans.alpha.axes.omega_ratio': omega"),
        (
            {"scans": {"thickness": {"axes": {"delta": [1e-8, 1.0]}}}},
            "'scans.thickness.axes.delta': omega scans.thickness.axes.delta sqrt(Re eps - 1)",
        ),
    ],
)
def test_errors_name_the_key(override, key):
    with pytest.raises(ConfigError) as exc:
        load_config(overrides=override)
    assert key in str(exc.value)


def test_shipped_configs_validate_and_delta_may_be_a_half_space():
    from neqent.pipeline.config import _REPO

    for path in ("config/config.yaml", "config/test.yaml", "benchmarks/mpi_config.yaml"):
        load_config(_REPO / path)
    assert load_config(overrides={"geometry": {"delta": INF}})["geometry"]["delta"] == INF
    cfg = load_config(overrides={"scans": {"thickness": {"axes": {"delta": [1e-8, INF]}}}})
    assert cfg["scans"]["thickness"]["axes"]["delta"] == [1e-8, INF]


def test_inline_json_and_yaml_equal_file():
    c = load_config(default_config_path())
    assert load_config(json.dumps(c)) == c
    assert load_config(default_config_path().read_text()) == c
    with pytest.raises(FileNotFoundError):
        load_config("no/such/config.yaml")


def test_snakemake_validate_agrees_with_library():
    """The Snakefile's validate() and load_config fill the same defaults and reject the same input."""
    import yaml
    from snakemake.utils import validate

    raw = yaml.safe_load(default_config_path().read_text())
    del raw["mpi"], raw["dynamics"]
    ours = load_config(copy.deepcopy(raw))
    theirs = copy.deepcopy(raw)
    validate(theirs, str(schema_path()))
    assert theirs == ours
    bad = copy.deepcopy(raw)
    bad["geometry"]["delta"] = -1.0
    with pytest.raises(Exception):  # noqa: B017 (snakemake.utils.validate raises its WorkflowError)
        validate(bad, str(schema_path()))
    with pytest.raises(ConfigError, match="geometry.delta"):
        load_config(bad)


def test_resolve_range():
    assert np.allclose(resolve_range({"start": 1, "stop": 100, "num": 3, "spacing": "log"}), [1, 10, 100])
    assert np.allclose(resolve_range({"start": 0, "stop": 1, "num": 5}), np.linspace(0, 1, 5))
    assert resolve_range([1.0, 3.0]).tolist() == [1.0, 3.0]
    assert resolve_range({"start": 2, "stop": 2, "num": 1}).tolist() == [2.0]
    for bad in (
        [3.0, 1.0],
        [1.0, 1.0],
        [0.0, NAN],
        {"start": 2, "stop": 1, "num": 3},
        {"start": 1, "stop": 1, "num": 2},
        {"start": 1, "stop": INF, "num": 3, "spacing": "log"},
    ):
        with pytest.raises(ValueError):
            resolve_range(bad)
    assert resolve_range(2.5).tolist() == [2.5]


def test_exponent_notation_without_decimal_point_is_a_number():
    # PyYAML (YAML 1.1) reads "1e-6" as a string; the config layer must not.
    cfg = load_config("geometry: {z1: 1e-6, delta: 2E-8}\nscans: {map: {axes: {z2: [5e-7, 1e-6]}, T_M: [0, 1e3]}}")
    assert cfg["geometry"]["z1"] == 1e-6 and cfg["geometry"]["delta"] == 2e-8
    assert cfg["scans"]["map"]["axes"]["z2"] == [5e-7, 1e-6]
    assert cfg["material"] == "sic"


def test_scans_are_required_and_named():
    with pytest.raises(ConfigError, match="'scans' is a required property"):
        load_config({"material": "sic"})


MINIMAL = {
    "material": "eps=4+0.1j",
    "geometry": {"omega": 4e13},
    "scans": {"map": {"axes": {"z2": [1e-6]}, "T_M": [0.0]}},
}


def test_constant_permittivity_needs_absolute_omega():
    cfg = load_config(MINIMAL)
    assert cfg["material"] == "eps=4+0.1j"
    sweep = dict(MINIMAL, scans=dict(MINIMAL["scans"], f={"axes": {"omega_ratio": [0.2, 0.3]}}))
    with pytest.raises(ConfigError, match="'scans.f.axes.omega_ratio': material 'eps=4\\+0.1j' has no resonance"):
        load_config(sweep)
