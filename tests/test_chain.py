"""Pipeline extra 'chain' (docs/theory.md §10): stage dataset, figure, config rules, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neqent.pipeline import chain, plot_chain
from neqent.pipeline.config import ConfigError, validate_config

SUB = {
    "material": "sic",
    "T_W": 30.0,
    "delta": 1e-8,
    "omega_ratio": 0.3,
    "chain": {"n": 3, "z": 1e-6, "theta": 0.0, "spacing": [1e-7, 2.5e-7, 1e-2], "T_M": [0.0, 30.0, 1200.0]},
}


@pytest.fixture(scope="module")
def dataset():
    return chain.chain_dataset(SUB)


def test_chain_dataset_physics(dataset):
    from neqent.interface.many import point_n

    ds = dataset
    assert ds["C"].shape == (3, 3, 3)
    assert list(ds["pair"].values) == ["1-2", "1-3", "2-3"]
    assert list(ds["neighbour_order"].values) == [1, 2, 1]
    # T_M = T_W: thermal product state, no entanglement anywhere
    assert np.all(ds["C"].sel(T_M=30.0).values == 0)
    # 1 cm apart: independent qubits
    assert np.all(ds["C"].sel(spacing=1e-2).values == 0)
    # mirror symmetry of the chain: pairs 1-2 and 2-3 are equivalent
    np.testing.assert_allclose(ds["C"].sel(pair="1-2"), ds["C"].sel(pair="2-3"), atol=1e-10)
    # the same point through the API
    r = point_n([(0, 0, 1e-6), (2.5e-7, 0, 1e-6), (5e-7, 0, 1e-6)], TM=1200.0)
    got = ds["C"].sel(spacing=2.5e-7, T_M=1200.0).values
    np.testing.assert_allclose(got, list(r["concurrence_pairs"].values()), atol=1e-12)
    assert got.max() > 0.05


def test_chain_stage_and_figure_files(tmp_path, dataset):
    out = tmp_path / "chain.nc"
    assert chain.main(["--config", json.dumps(SUB), "--output", str(out), "--no-progress"]) == 0
    import xarray as xr

    with xr.open_dataset(out) as ds:
        assert ds.attrs["stage"] == "chain"
        for var in list(ds.data_vars) + list(ds.coords):
            assert {"units", "long_name"} <= set(ds[var].attrs), var
    base = tmp_path / "fig" / "chain"
    assert plot_chain.main(["--input", str(out), "--output", str(base) + ".png", "--dpi", "40"]) == 0
    assert (tmp_path / "fig" / "chain.png").read_bytes()[:4] == b"\x89PNG"
    assert plot_chain.best_temperature(dataset) == 2  # 1200 K


@pytest.mark.parametrize(
    ("change", "needle"),
    [({"n": 1}, "chain.n"), ({"n": 11}, "chain.n"), ({"z": 0.0}, "chain.z"), ({"T_M": [-1.0, 5.0]}, "chain.T_M")],
)
def test_chain_stage_bad_config_exit_2(tmp_path, capsys, change, needle):
    sub = json.loads(json.dumps(SUB))
    sub["chain"].update(change)
    out = tmp_path / "x.nc"
    with pytest.raises(SystemExit) as exc:
        chain.main(["--config", json.dumps(sub), "--output", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
    assert not out.exists()


def test_config_schema_accepts_chain_and_fills_defaults():
    from neqent.pipeline.config import load_config

    cfg = load_config(Path(__file__).resolve().parents[1] / "config" / "test.yaml")
    assert "chain" in cfg["extras"] and cfg["chain"]["z"] == 1e-6
    sub = chain.chain_config(cfg)
    assert set(sub) == {"material", "T_W", "delta", "omega_ratio", "chain"}
    bad = json.loads(json.dumps(cfg))
    bad["chain"]["n"] = 20
    with pytest.raises(ConfigError, match="chain"):
        validate_config(bad)
