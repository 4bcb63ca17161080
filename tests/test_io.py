"""NetCDF writing: complex pairs, CF attributes, provenance, compression, atomicity."""

import datetime as dt
import json
import os

import numpy as np
import pytest
import xarray as xr

import neqent
from neqent.pipeline.io import (
    check_attributes,
    complex_to_pair,
    config_of,
    pair_to_complex,
    read_dataset,
    write_dataset,
)


def _dataset():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3, 2)) + 1j * rng.normal(size=(3, 2))
    return xr.Dataset(
        {
            "a": (("x", "q"), z, {"units": "1", "long_name": "a complex thing"}),
            "b": (("x",), rng.normal(size=3), {"units": "K", "long_name": "a real thing"}),
        },
        coords={
            "x": ("x", [1.0, 2.0, 3.0], {"units": "m", "long_name": "position"}),
            "q": ("q", [1, 2], {"units": "1", "long_name": "index"}),
            "s": ((), 0.5, {"units": "1", "long_name": "scalar"}),
        },
    )


def test_roundtrip_complex_provenance_compression(tmp_path):
    ds = _dataset()
    cfg = {"T_W": 30.0, "geometry": {"z1": 1e-6}}
    path = write_dataset(ds, tmp_path / "d.nc", cfg)
    with xr.open_dataset(path) as raw:  # opens with xarray alone
        assert set(raw.data_vars) == {"a_re", "a_im", "b"}
        assert raw["a_re"].encoding.get("zlib") and raw["b"].encoding.get("zlib")
        for name in list(raw.data_vars) + list(raw.coords):
            assert {"units", "long_name"} <= set(raw[name].attrs), name
        assert raw.attrs["neqent_version"] == neqent.__version__
        assert raw.attrs["git_commit"]
        created = dt.datetime.fromisoformat(raw.attrs["created"].replace("Z", "+00:00"))
        assert created.tzinfo is not None and abs(dt.datetime.now(dt.timezone.utc) - created).total_seconds() < 600
        assert json.loads(raw.attrs["config"]) == cfg == config_of(raw)
    back = read_dataset(path)
    np.testing.assert_array_equal(back["a"].values, ds["a"].values)  # exact, no rounding
    np.testing.assert_array_equal(back["b"].values, ds["b"].values)
    assert back["a"].attrs["long_name"] == "a complex thing"


def test_pair_helpers_are_inverse():
    ds = _dataset()
    pairs = complex_to_pair(ds)
    assert not any(np.iscomplexobj(v.values) for v in pairs.data_vars.values())
    xr.testing.assert_identical(pair_to_complex(pairs)[["a", "b"]], ds[["a", "b"]])


def test_missing_attributes_rejected_nothing_written(tmp_path):
    ds = _dataset()
    del ds["b"].attrs["units"]
    with pytest.raises(ValueError, match="b \\(units\\)"):
        write_dataset(ds, tmp_path / "d.nc")
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError):
        check_attributes(ds)


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "d.nc"
    write_dataset(_dataset(), path)
    before = path.read_bytes()

    def boom(self, target, *args, **kwargs):
        with open(target, "wb") as f:  # a half-written file ...
            f.write(b"CDF partial")
        raise RuntimeError("disk full")  # ... then the failure

    monkeypatch.setattr(xr.Dataset, "to_netcdf", boom)
    with pytest.raises(RuntimeError):
        write_dataset(_dataset(), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["d.nc"]
