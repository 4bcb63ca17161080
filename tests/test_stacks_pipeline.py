"""Pipeline extra ``stacks`` (docs/theory.md §9): config checks, data and figure steps."""

import copy
import json

import numpy as np
import pytest

from neqent.pipeline.config import ConfigError, load_config, validate_config
from neqent.pipeline.stacks import main, stack_maps, stack_params

TEST_CONFIG = "config/test.yaml"


@pytest.fixture(scope="module")
def config():
    c = load_config(TEST_CONFIG)
    c["stacks"]["z2"] = [3e-7, 1e-6]
    c["stacks"]["T_M"] = [c["T_W"], 600.0, 1200.0]
    return c


def test_maps_have_a_maximum_per_body_and_match_the_api(config):
    from neqent.interface import api

    ds = stack_maps(stack_params(config), progress=False)
    assert list(ds["body"].values) == ["sic_film", "sic_on_sio2", "hbn_film", "hbn_on_sic"]
    C = ds["C"].values
    assert C.shape == (4, 2, 3) and np.all((C >= 0) & (C <= 1))
    assert np.all(C[:, :, 0] < 1e-12)  # T_M = T_W: thermal equilibrium, no entanglement (§8)
    assert C[:, :, 1:].max() > 1e-3  # out of equilibrium some body entangles the qubits
    for i in range(4):
        iz, it = np.unravel_index(np.argmax(C[i]), C[i].shape)
        assert ds["C_max"].values[i] == C[i, iz, it]
    # one map point against neqent.point with the same stack
    g = config["geometry"]
    ref = api.point(
        layers=[("hbn", 1e-8), ("sic", 1e-8)],
        omega=config["stacks"]["omega"],
        z1=g["z1"],
        z2=1e-6,
        r12=g["r12"],
        TW=config["T_W"],
        TM=600.0,
    )
    assert ds["C"].sel(body="hbn_on_sic", z2=1e-6, T_M=600.0).item() == pytest.approx(ref["concurrence"], abs=1e-10)


@pytest.mark.parametrize(
    "edit, key",
    [
        (lambda s: s["bodies"].update(x={"stack": [{"material": "nope", "thickness": 1e-8}]}), "stacks.bodies.x"),
        (
            lambda s: (
                s["bodies"].update(x={"stack": [{"material": "sio2", "thickness": 1e-8}]}) or s.update(omega=4e13)
            ),
            "stacks.bodies",
        ),
        (lambda s: s["bodies"].update(x={"stack": [], "substrate": "nope"}), "stacks.bodies.x"),
        (lambda s: s["bodies"].update(x={"stack": []}), "stacks.bodies.x"),
        (lambda s: s["bodies"].update(x={"stack": [{"material": "sic", "thickness": -1e-8}]}), "stacks.bodies.x"),
        (lambda s: s.update(thickness={"body": "nope", "layer": 0, "values": [1e-8]}), "stacks.thickness.body"),
        (lambda s: s.update(thickness={"body": "sic_film", "layer": 3, "values": [1e-8]}), "stacks.thickness.layer"),
    ],
)
def test_bad_stacks_config_names_the_key(edit, key):
    c = load_config(TEST_CONFIG)
    raw = copy.deepcopy(c)
    edit(raw["stacks"])
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(raw)


def test_data_and_figure_commands(tmp_path, config, capsys):
    params = stack_params(config)
    params["stacks"]["thickness"] = {"body": "sic_film", "layer": 0, "values": [5e-9, 2e-8]}
    out = tmp_path / "stacks.nc"
    assert main(["data", "--params", json.dumps(params), "--output", str(out), "--no-progress"]) == 0
    assert main(["figure", "--input", str(out), "--output", str(tmp_path / "fig")]) == 0
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"
    bad = dict(params, stacks=dict(params["stacks"], omega=1e13))
    capsys.readouterr()  # the successful commands' log lines
    with pytest.raises(SystemExit) as exc:
        main(["data", "--params", json.dumps(bad), "--output", str(tmp_path / "bad.nc"), "--no-progress"])
    assert exc.value.code == 2
    assert not (tmp_path / "bad.nc").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "validity range" in err[0]
