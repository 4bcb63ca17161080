"""The pipeline extra ``gratings`` (docs/theory.md §12): shards and ranks change no bit, the planar limit,
periodicity and mirror symmetry through the whole chain, and bad config values as one line with exit 2."""

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from neqent.electrodynamics.grating import add_parts
from neqent.pipeline import extra
from neqent.pipeline.config import ConfigError, load_config
from neqent.pipeline.extras.gratings import (
    gather_dataset,
    gratings_figure,
    gratings_params,
    pair_positions,
    part_params,
    shard_blocks,
)
from neqent.pipeline.gratings_shards import main as shards_main
from neqent.pipeline.gratings_shards import read_shard
from neqent.pipeline.io import read_dataset

REPO = Path(__file__).resolve().parents[1]
TEST_CONFIG = REPO / "config" / "test.yaml"
D = 1e-6

# A tiny grating: loose k rule, two orders, qubits at 1 um and more (a few seconds in all).
TINY = {
    "material": "sic",
    "grooves": "vacuum",
    "period": D,
    "fill": 0.5,
    "height": 5e-7,
    "x": [0.0, 0.25 * D, 0.5 * D, 0.75 * D, D],
    "z": [1e-6, 1.5e-6],
    "r12": 2.5e-7,
    "T_M": [0.0, 30.0, 150.0, 250.0, 350.0, 600.0],
    "tol": 0.05,
    "orders": 2,
}


def _params(**section):
    return {
        "gratings": {**TINY, **section},
        "theta": 0.0,
        "T_W": 30.0,
        "omega_ratio": 0.3,
        "memory_budget": "2GB",
    }


@pytest.fixture(scope="module")
def one_shard():
    return shard_blocks(_params())


@pytest.fixture(scope="module")
def scan(one_shard):
    return gather_dataset(_params(), [one_shard])


def _assert_same_bits(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


# ---------------------------------------------------------------------------
# Shards and ranks


def test_three_shards_give_the_bits_of_one(one_shard, scan):
    """Parts j % 3 == i on shard i, gathered in part order: every variable bit for bit as with one shard."""
    shards = [shard_blocks(_params(), i, 3) for i in (2, 0, 1)]  # gathered in any order
    assert int(one_shard["g0_count"]) >= 3  # every shard holds parts: the split is real
    assert all(s["g0_parts"].size for s in shards)
    assert sum(s["g0_parts"].size for s in shards) == int(one_shard["g0_count"])
    assert sum(int(s["g0_k_points"]) for s in shards) == int(one_shard["g0_k_points"])
    gathered = gather_dataset(_params(), shards)
    for name in scan.data_vars:
        np.testing.assert_array_equal(gathered[name].values, scan[name].values, err_msg=name)


def test_all_parts_added_are_the_engines_pair_block_bit_for_bit(one_shard):
    from neqent.electrodynamics.grating import Grating

    r1, r2 = pair_positions(TINY["x"], TINY["z"], TINY["r12"])
    body = Grating("sic", D, 0.5, 5e-7, orders=TINY["orders"], tol=TINY["tol"])
    omega = 0.3 * body.ridge.resonance
    for name, block in zip(("W", "M", "GR"), body.pair_block(omega, r1, r2)):
        np.testing.assert_array_equal(add_parts(one_shard[f"g0_{name}"]), block, err_msg=name)


def test_a_missing_shard_is_refused(one_shard):
    empty = {k: (v[:0] if k.endswith(("_parts", "_W", "_M", "_GR")) else v) for k, v in one_shard.items()}
    with pytest.raises(ValueError, match="not each of 0"):
        gather_dataset(_params(), [empty])


@pytest.mark.skipif(shutil.which("mpiexec") is None, reason="mpiexec not on PATH")
def test_two_mpi_ranks_give_the_bits_of_one(tmp_path, one_shard):
    """The shard command under mpiexec -n 2 (ranks share each batch of k points; rank 0 writes)."""
    config = json.dumps(part_params(_params()))
    out = tmp_path / "0of1.npz"
    cmd = ["mpiexec", "-n", "2", sys.executable, "-m", "neqent.pipeline.gratings_shards", "part"]
    proc = subprocess.run(
        [*cmd, "--config", config, "--shard", "0/1", "--output", str(out), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    _assert_same_bits(read_shard(out), one_shard)


def test_shard_and_gather_commands_write_the_dataset_of_the_one_job_command(tmp_path, scan):
    params = _params()
    files = [tmp_path / f"{i}of2.npz" for i in range(2)]
    for i, f in enumerate(files):
        argv = ["part", "--config", json.dumps(part_params(params)), "--shard", f"{i}/2", "--output", str(f)]
        assert shards_main([*argv, "--no-progress"]) == 0
    out = tmp_path / "gratings.nc"
    argv = ["gather", "--config", json.dumps(params), "--parts", *map(str, files), "--output", str(out)]
    assert shards_main(argv) == 0
    ds = read_dataset(out)
    np.testing.assert_array_equal(ds["C"].values, scan["C"].values)
    assert ds.attrs["stage"] == "gratings" and json.loads(ds.attrs["config"])["gratings"]["period"] == D


# ---------------------------------------------------------------------------
# Physics through the chain


def test_periodicity_and_mirror_in_x(scan):
    """x -> x + D changes nothing (bit for bit); dipoles along z: C(x) = C(D - x) (docs/theory.md §12)."""
    C = scan["C"].isel(period=0, fill=0, ridge_height=0).values  # (x, z, T_M)
    np.testing.assert_array_equal(C[0], C[-1])
    np.testing.assert_allclose(C[1], C[3], rtol=1e-9, atol=1e-12)
    aM = scan["alpha_M"].isel(period=0, fill=0, ridge_height=0).values
    np.testing.assert_allclose(aM[1], aM[3], rtol=1e-9, atol=1e-15)


def test_ridge_and_groove_differ_and_the_hot_grating_entangles(scan):
    """Out of equilibrium the grating entangles the pair; at T_M = T_W C = 0; x matters (ridge != groove)."""
    C = scan["C"].isel(period=0, fill=0, ridge_height=0)
    assert float(C.sel(T_M=30.0).max()) < 1e-9
    assert float(scan["C_max"].max()) > 1e-3
    aM = scan["alpha_M"].isel(period=0, fill=0, ridge_height=0, z=0).values[:, 0, 0].real
    assert abs(aM[0] - aM[2]) > 1e-9 * abs(aM[0])


def test_full_fill_is_the_film_within_the_rule_tolerance():
    """f = 1: the grating is the planar layer of height h: its kernels equal the film's to the k rule's tol
    [Gamma0], at every x (docs/theory.md §12, the planar limit)."""
    p = _params(fill=1.0, x=[0.0, 0.3 * D], z=[1e-6], tol=1e-2, orders=1)
    ds = gather_dataset(p, [shard_blocks(p)])
    aM = ds["alpha_M"].isel(period=0, fill=0, ridge_height=0, z=0).values  # (x, q, qp)
    film = ds["alpha_M_film"].isel(ridge_height=0, z=0).values
    scale = np.abs(film).max()
    assert scale > 1e-3
    for i in range(aM.shape[0]):
        np.testing.assert_allclose(aM[i], film, atol=1e-2, rtol=0)
    np.testing.assert_allclose(aM[0], aM[1], atol=1e-12 * scale, rtol=0)  # laterally uniform
    np.testing.assert_allclose(ds["C_max"].values.ravel(), np.repeat(ds["C_film_max"].values.ravel(), 2), atol=2e-2)


def test_figure_marks_both_maxima(tmp_path, scan):
    files = gratings_figure(scan, tmp_path / "gratings", dpi=40)
    assert [f.suffix for f in files] == [".png", ".pdf"] and all(f.stat().st_size > 0 for f in files)


# ---------------------------------------------------------------------------
# Config


def _config(**section):
    cfg = yaml.safe_load(TEST_CONFIG.read_text())
    cfg["gratings"] = {**cfg.get("gratings", {}), **section}
    return cfg


@pytest.mark.parametrize(
    "section, key",
    [
        ({"fill": 1.5}, "gratings.fill"),
        ({"fill": [0.5, -0.1]}, "gratings.fill"),
        ({"period": 0.0}, "gratings.period"),
        ({"height": -5e-7}, "gratings.height"),
        ({"z": [0.0, 1e-6]}, "gratings.z"),
        ({"z": [1e-8], "orders": 40, "tol": 1e-3}, "gratings.orders"),
        ({"tol": 0.5}, "gratings.tol"),
        ({"period": [1e-6, 1e-6]}, "gratings.period"),
    ],
)
def test_bad_values_name_their_key(section, key):
    with pytest.raises(ConfigError, match=f"'{key}'") as info:
        load_config(_config(**section))
    assert "\n" not in str(info.value)


def test_the_test_and_default_configs_run_it_and_the_shard_count_is_no_param():
    for name in ("test.yaml", "config.yaml", "cluster.yaml"):
        cfg = load_config(REPO / "config" / name)
        assert "gratings" in cfg["extras"], name
    cfg = load_config(TEST_CONFIG)
    params = gratings_params(cfg)
    assert "shards" not in params["gratings"] and "T_M" not in part_params(params)["gratings"]
    other = copy.deepcopy(cfg)
    other["gratings"]["shards"] = 7
    assert gratings_params(other) == params


def test_bad_config_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_config(fill=2.0)))
    with pytest.raises(SystemExit) as info:
        extra.main(["gratings", "--config", str(path), "--output", str(tmp_path / "g.nc")])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "gratings.fill" in err
    assert not (tmp_path / "g.nc").exists()


def test_period_and_fill_lists_are_scan_axes_whose_first_grating_is_the_single_run(scan):
    """period/fill/height lists multiply the gratings (one table each); each grating's map is the one of its own
    run, bit for bit, and the shard files carry every grating."""
    p = _params(period=[D, 2 * D], fill=[0.5, 0.3], x=TINY["x"][:3])
    ds = gather_dataset(p, [shard_blocks(p, i, 2) for i in range(2)])
    assert ds["C"].shape == (2, 2, 1, 3, 2, len(TINY["T_M"])) and ds["orders"].shape == (2, 2, 1)
    first = {"period": 0, "fill": 0, "ridge_height": 0}
    np.testing.assert_array_equal(ds["C"].isel(first).values, scan["C"].isel(first).values[:3])
    assert not np.array_equal(ds["C"].isel(period=1, fill=0).values, ds["C"].isel(period=0, fill=0).values)
