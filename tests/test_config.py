"""Config loading/validation: the library and Snakemake apply the same schema and defaults."""
import copy
import json

import numpy as np
import pytest

from neqent.config import ConfigError, default_config_path, load_config, resolve_range, schema_path


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


@pytest.mark.parametrize("override, key", [
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
])
def test_errors_name_the_key(override, key):
    with pytest.raises(ConfigError) as exc:
        load_config(overrides=override)
    assert key in str(exc.value)


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
    with pytest.raises(Exception):
        validate(bad, str(schema_path()))
    with pytest.raises(ConfigError, match="geometry.delta"):
        load_config(bad)


def test_resolve_range():
    assert np.allclose(resolve_range({"start": 1, "stop": 100, "num": 3, "spacing": "log"}), [1, 10, 100])
    assert np.allclose(resolve_range({"start": 0, "stop": 1, "num": 5}), np.linspace(0, 1, 5))
    assert resolve_range([3.0, 1.0]).tolist() == [3.0, 1.0]
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


MINIMAL = {"material": "eps=4+0.1j", "geometry": {"omega": 4e13},
           "scans": {"map": {"axes": {"z2": [1e-6]}, "T_M": [0.0]}}}


def test_constant_permittivity_needs_absolute_omega():
    cfg = load_config(MINIMAL)
    assert cfg["material"] == "eps=4+0.1j"
    sweep = dict(MINIMAL, scans=dict(MINIMAL["scans"], f={"axes": {"omega_ratio": [0.2, 0.3]}}))
    with pytest.raises(ConfigError, match="'scans.f.axes.omega_ratio': material 'eps=4\\+0.1j' has no resonance"):
        load_config(sweep)
