"""Each stage's part of the config (neqent.pipeline.config.stage_config): what the workflow
hands a job, what the stage accepts and what its dataset records; logging of the commands."""

import copy
import io
import json
import logging
from pathlib import Path

import pytest

from neqent.pipeline.config import ConfigError, load_config, stage_config, validate_config
from neqent.pipeline.logs import configure_logging

REPO = Path(__file__).resolve().parents[1]
TEST_CONFIG = REPO / "config" / "test.yaml"


@pytest.fixture(scope="module")
def cfg():
    return load_config(TEST_CONFIG)


def test_kernels_depend_on_geometry_not_temperature(cfg):
    sub = stage_config(cfg, "kernels", "thickness")
    assert sub == {
        "material": cfg["material"],
        "geometry": cfg["geometry"],
        "scans": {"thickness": {"axes": cfg["scans"]["thickness"]["axes"]}},
    }


@pytest.mark.parametrize("stage", ["rates", "steady"])
def test_rates_and_steady_add_the_temperatures(cfg, stage):
    sub = stage_config(cfg, stage, "map")
    # plus the resolved storage: the paper map keeps its rates on the grid and the full rho
    assert sub["T_W"] == cfg["T_W"] and sub["scans"]["map"] == {
        **cfg["scans"]["map"],
        "store": {"rates": "grid", "steady": "rho"},
    }
    assert set(sub) == {"material", "geometry", "scans", "T_W"}


@pytest.mark.parametrize("stage", ["analytic", "dynamics"])
def test_map_stages_add_their_section(cfg, stage):
    sub = stage_config(cfg, stage)
    assert sub[stage] == cfg[stage] and set(sub) == {"material", "geometry", "scans", "T_W", stage}


def test_options_that_do_not_change_results_are_never_part_of_a_stage(cfg):
    changed = copy.deepcopy(cfg)
    changed["mpi"] = {"tasks": 7, "chunk": 3}
    changed["figures"]["dpi"] = 300
    changed["scans"]["thickness"]["description"] = "a note"
    changed["extras"] = ["thickness"]
    for stage in ("kernels", "rates", "steady", "analytic", "dynamics"):
        scan = "thickness" if stage in ("kernels", "rates", "steady") else "map"
        assert stage_config(changed, stage, scan) == stage_config(cfg, stage, scan), stage


def test_a_subset_is_a_partial_config_and_round_trips(cfg):
    for stage, scan in (("kernels", "map"), ("kernels", "alpha"), ("rates", "orientation"), ("analytic", "map")):
        sub = stage_config(cfg, stage, scan)
        again = load_config(json.dumps(sub), partial=True)
        assert stage_config(again, stage, scan) == sub
    with pytest.raises(ConfigError, match="scans"):
        validate_config(stage_config(cfg, "kernels", "alpha"))  # a full config needs scans.map
    bad = stage_config(cfg, "kernels", "map")
    bad["geometry"]["z1"] = 5e-6  # still checked: z1 must lie on the map's z2 range
    with pytest.raises(ConfigError, match="must contain geometry.z1"):
        load_config(bad, partial=True)
    with pytest.raises(ValueError, match="unknown stage"):
        stage_config(cfg, "figures")


def test_stage_command_takes_the_subset_and_records_it(cfg, tmp_path, capsys):
    from neqent.pipeline.io import config_of, read_dataset
    from neqent.pipeline.stages import main

    sub = stage_config(cfg, "kernels", "orientation")
    out = tmp_path / "k.nc"
    args = ["kernels", "--config", json.dumps(sub), "--scan", "orientation", "--chunk", "1", "--no-progress"]
    assert main([*args, "--output", str(out)]) == 0
    assert config_of(read_dataset(out)) == sub
    with pytest.raises(SystemExit) as exc:
        main([*args[:-3], "--chunk", "0", "--output", str(tmp_path / "x.nc")])
    assert exc.value.code == 2 and "--chunk: must be a positive integer, got '0'" in capsys.readouterr().err


def test_configure_logging_prints_package_records_once():
    stream = io.StringIO()
    configure_logging(stream=stream)
    configure_logging(stream=stream)  # idempotent: one handler
    logging.getLogger("neqent.pipeline.stages").info("grid %s", (3, 4))
    logging.getLogger("neqent.pipeline.stages").debug("hidden")
    assert stream.getvalue().count("INFO neqent.pipeline.stages: grid (3, 4)") == 1
    assert "hidden" not in stream.getvalue()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_neqent_cli", False)]:
        root.removeHandler(handler)
