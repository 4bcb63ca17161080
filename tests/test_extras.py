"""The pipeline's extras registry and the body the stages ask (issue 21): an extra plugs in by registering
itself, config asks the registry, the generic command runs any registered extra, one builder makes the body."""

import ast
import json
import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neqent.electrodynamics.planar import Slab, Stack
from neqent.pipeline import extra as runner
from neqent.pipeline.body import body_axes, config_body, with_axis_values
from neqent.pipeline.config import ConfigError, load_config, validate_config
from neqent.pipeline.extras import EXTRAS, Extra, register
from neqent.pipeline.io import read_dataset

TEST_CONFIG = "config/test.yaml"
CONFIG_PY = Path(__file__).resolve().parents[1] / "src" / "neqent" / "pipeline" / "config.py"


def _demo_check(config, body):
    """A new extra's check: its section must keep T_W below the body's... anything it likes."""
    if "demo" in config["extras"] and config["T_W"] > 100:
        raise ConfigError(
            f"config key 'T_W': the demo extra needs T_W <= 100 K next to {body.label}, got {config['T_W']}"
        )


def _demo_compute(subset, progress=False):
    T = np.asarray(subset["T"], float)
    return xr.Dataset(
        {"twice": (("T",), 2 * T, {"units": "K", "long_name": "twice T"})},
        coords={"T": ("T", T, {"units": "K", "long_name": "temperature"})},
        attrs={"stage": "demo", "title": "demo extra"},
    )


@pytest.fixture
def demo():
    """A registered extra 'demo' for one test (the registry is restored afterwards)."""
    record = Extra(
        name="demo",
        description="a test extra",
        axes=("T",),
        subset=lambda config: {"T": [config["T_W"], 2 * config["T_W"]]},
        check=_demo_check,
        compute=_demo_compute,
    )
    register(record)
    try:
        yield record
    finally:
        EXTRAS.pop("demo")


def test_a_registered_extra_is_checked_and_accepted_by_config_without_editing_it(demo):
    cfg = load_config(TEST_CONFIG)
    cfg["extras"] = ["demo"]
    validate_config(json.loads(json.dumps(cfg)))  # accepted: a product of the registry
    cfg["T_W"] = 300.0
    with pytest.raises(ConfigError, match="'T_W': the demo extra needs T_W <= 100 K next to sic 1e-08 m"):
        validate_config(cfg)


def test_an_unregistered_name_is_refused():
    cfg = load_config(TEST_CONFIG)
    cfg["extras"] = ["demo"]
    with pytest.raises(ConfigError, match="'extras': 'demo' is neither a scan name"):
        validate_config(cfg)


def test_config_imports_no_extra_module():
    tree = ast.parse(CONFIG_PY.read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "neqent.pipeline.extras" in imported  # it asks the registry ...
    assert not [m for m in imported if m.startswith("neqent.pipeline.extras.")]  # ... and names no extra


def test_every_extra_registers_a_consistent_record():
    assert {"stacks", "chain", "optimize", "cube", "design"} <= set(EXTRAS)
    for name, record in EXTRAS.items():
        assert record.name == name and record.rules in ("generic", "own")
        assert record.rules == "own" or (record.compute and record.subset and record.figures)
        for figure in record.figures.values():
            assert callable(figure.draw) and figure.inputs


def test_generic_command_runs_a_registered_extra(demo, tmp_path, capsys):
    cfg = load_config(TEST_CONFIG)
    out = tmp_path / "demo.nc"
    assert runner.main(["demo", "--config", json.dumps(demo.subset(cfg)), "--output", str(out)]) == 0
    ds = read_dataset(out)
    assert ds.attrs["stage"] == "demo" and json.loads(ds.attrs["config"]) == {"T": [30.0, 60.0]}
    assert ds["twice"].values.tolist() == [60.0, 120.0]
    with pytest.raises(SystemExit) as exc:
        runner.main(["demo", "--config", '{"nope": 1}', "--output", str(tmp_path / "x.nc")])
    assert exc.value.code == 2 and not (tmp_path / "x.nc").exists()
    assert capsys.readouterr().err.strip().endswith("missing key 'T'")


def test_the_one_builder_makes_the_body_the_stages_ask():
    slab = config_body(load_config(TEST_CONFIG))
    assert isinstance(slab, Slab) and slab.thickness == 1e-8 and slab.top_material.name == "sic"
    assert body_axes(slab) == {"delta": "thickness"}
    assert with_axis_values(slab, {"delta": 2e-8}).thickness == 2e-8
    layers = [{"material": "sic", "thickness": 1e-8}, {"material": "eps=2.25", "thickness": 3e-8}]
    cfg = load_config(TEST_CONFIG)
    del cfg["geometry"]["delta"]
    cfg["geometry"]["stack"] = layers
    stack = config_body(cfg)
    assert isinstance(stack, Stack) and [d for _, d in stack.layers] == [1e-8, 3e-8]
    assert body_axes(stack) == {"thickness_0": "layer1.thickness", "thickness_1": "layer2.thickness"}
    assert [d for _, d in with_axis_values(stack, {"thickness_1": 5e-8}).layers] == [1e-8, 5e-8]
    with pytest.raises(ConfigError, match=r"'geometry.stack\[1\].material'"):
        config_body({"material": "sic", "geometry": {"stack": [layers[0], {"material": "x", "thickness": 1e-8}]}})


def test_stacks_figure_says_no_entanglement_on_an_all_zero_map(tmp_path, monkeypatch):
    from neqent.pipeline import figstyle
    from neqent.pipeline.extras.stacks import stacks_figure

    titles = []

    def capture(fig, base, dpi=150):
        titles.extend(ax.get_title() for ax in fig.axes)
        return []

    monkeypatch.setattr(figstyle, "save", capture)
    z2, T = np.array([3e-7, 1e-6]), np.array([30.0, 600.0])
    ds = xr.Dataset(
        {
            "C": (("body", "z2", "T_M"), np.zeros((2, 2, 2))),
            "C_max": (("body",), [0.0, 0.25]),
            "z2_at_max": (("body",), [3e-7, 1e-6]),
            "T_M_at_max": (("body",), [30.0, 600.0]),
        },
        coords={"body": ["dark", "bright"], "z2": z2, "T_M": T, "omega": 1.5e14, "z1": 1e-6},
    )
    ds["C"][1, 1, 1] = 0.25
    stacks_figure(ds, tmp_path / "stacks")
    assert "dark\nno entanglement on this grid" in titles
    assert any(t.startswith("bright\nmax C = 0.25 at z2 = 1 um") for t in titles)
    assert not any("max C = 0 " in t for t in titles) and math.isfinite(len(titles))
