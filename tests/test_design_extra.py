"""The pipeline extra ``design`` (issue 20) on config/test.yaml's tiny block: the generic command writes a
CF-clean record whose table is consistent (each family against the paper's SiC film searched the same
way), the figure is drawn, 2 MPI ranks give the serial record, and a bad section is one line, exit 2."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from neqent.pipeline import extra as runner
from neqent.pipeline import plotting
from neqent.pipeline.config import ConfigError, load_config, validate_config
from neqent.pipeline.extras.design import design_params
from neqent.pipeline.io import read_dataset

REPO = Path(__file__).resolve().parents[1]
TEST_CONFIG = REPO / "config" / "test.yaml"


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    """(path, seconds) of the generic command's run on the full test config (validated, cut to the subset)."""
    out = tmp_path_factory.mktemp("design") / "design.nc"
    start = time.perf_counter()
    assert runner.main(["design", "--config", str(TEST_CONFIG), "--output", str(out), "--no-progress"]) == 0
    return out, time.perf_counter() - start


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the checker's own (ioos_sos) deprecations
def test_record_is_cf_clean_and_records_its_subset(record):
    from test_workflow import _cf_failures

    path, seconds = record
    ds = read_dataset(path)
    assert ds.attrs["stage"] == "design"
    assert json.loads(ds.attrs["config"]) == design_params(load_config(TEST_CONFIG))
    for var in list(ds.data_vars) + list(ds.coords):
        assert {"units", "long_name"} <= set(ds[var].attrs), var
    assert ds["x"].attrs["units"] in ("m", "K", "rad s-1") and ds["y"].attrs["units"] in ("m", "K", "rad s-1")
    assert _cf_failures([path]) == {}
    assert seconds < 30  # CI budget of the tiny block (measured ~4 s alone)


def test_table_compares_each_family_with_the_sic_film(record):
    """Test block: 1 layer at the paper's 0.3 omega_T(SiC), 16 BO evaluations per search. The film's
    search over the qubit heights and T_M reaches the paper's fig4a maximum (C = 0.224, docs/theory.md §11)
    region; hBN and SiO2 are outside their validity ranges there, so candidates choosing them are counted
    infeasible; vs_film is the ratio of the two searches' best C."""
    ds = read_dataset(record[0])
    spec = json.loads(ds.attrs["config"])
    assert ds.sizes["family"] == 1 and int(ds["n_layers"][0]) == 1
    C, film = float(ds["C"][0]), float(ds["C_film"][0])
    assert 0 < C <= 1 and 0.2 <= film <= 0.5
    assert float(ds["vs_film"][0]) == pytest.approx(C / film, rel=1e-12)
    assert 0 < int(ds["infeasible"][0]) < int(ds["evaluations"][0]) <= spec["budget"] + 200
    point = json.loads(ds.attrs["points"])[0]
    assert point["layer1.material"] in ("sic", "silver")  # the only materials valid at 0.3 omega_T(SiC)
    assert point["layer1.material"] in str(ds["body"].values[0])
    for key in ("z1", "z2"):
        assert spec["heights"][0] <= point[key] <= spec["heights"][1]
    assert spec["T_W"] <= point["TM"] <= spec["T_M_max"]
    assert ds["C_map"].shape == (spec["grid"], spec["grid"])
    assert np.all((ds["C_map"].values >= 0) & (ds["C_map"].values <= 1))
    assert f"C = {C:.4f}" in ds.attrs["caption"]


def test_figure_is_drawn(record, tmp_path):
    base = tmp_path / "design"
    assert plotting.main(["design", "--input", str(record[0]), "--output", str(base) + ".png", "--dpi", "40"]) == 0
    assert (tmp_path / "design.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "design.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.mpi
def test_two_mpi_ranks_write_the_serial_record(record, tmp_path):
    """The generic rule launches the extra under mpiexec (Extra.mpi): batches split over the ranks, same numbers."""
    if shutil.which("mpiexec") is None:
        pytest.skip("mpiexec not on PATH")
    out = tmp_path / "design.nc"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    cmd = ["mpiexec", "-n", "2", sys.executable, "-m", "neqent.pipeline.extra", "design"]
    cmd += ["--config", str(TEST_CONFIG), "--output", str(out), "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    one, two = read_dataset(record[0]), read_dataset(out)
    for var in ("C", "C_film", "evaluations", "infeasible", "C_map"):
        np.testing.assert_array_equal(one[var].values, two[var].values, err_msg=var)
    assert one.attrs["points"] == two.attrs["points"]


@pytest.mark.parametrize(
    "change, key, words",
    [
        ({"method": "de", "budget": 16}, "design.budget", "needs >= 75 evaluations (15 x 5 searched names), got 16"),
        ({"materials": ["sic", "unobtainium"]}, "design.materials", "unobtainium"),
        ({"thickness": [2.0e-6, 1.0e-9]}, "design.thickness", "need low < high"),
    ],
)
def test_bad_section_is_one_line_exit_2(change, key, words, tmp_path, capsys):
    raw = yaml.safe_load(TEST_CONFIG.read_text())
    raw["design"].update(change)
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    with pytest.raises(SystemExit) as exc:
        runner.main(["design", "--config", str(cfg), "--output", str(tmp_path / "x.nc")])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and not (tmp_path / "x.nc").exists()
    assert f"config key '{key}'" in err[-1] and words in err[-1]
    # the same check runs on every config load, but only where the extra is listed
    raw["extras"].remove("design")
    validate_config(load_config(raw))
    raw["extras"].append("design")
    with pytest.raises(ConfigError, match=key):
        validate_config(load_config(raw))
