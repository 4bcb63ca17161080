"""The package is self-contained: the config schema and the default config ship as package
data (importlib.resources), declared in pyproject, with one source in the checkout."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from neqent.pipeline.config import default_config_path, load_config, schema_path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "src" / "neqent" / "pipeline" / "data"
#: package data file -> the checkout file it is (the Snakefile, docs and users edit the latter)
SOURCES = {"config.schema.json": "workflow/schemas/config.schema.json", "config.yaml": "config/config.yaml"}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_package_data_is_the_checkout_file(name):
    """A symlink to the checkout file (one source); a copy (e.g. a checkout without
    symlinks) must hold the same bytes, so the two can never drift apart unnoticed."""
    data, source = DATA / name, REPO / SOURCES[name]
    assert data.read_bytes() == source.read_bytes()
    if data.is_symlink():
        assert data.resolve() == source.resolve()


def test_pyproject_declares_the_package_data():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["neqent.pipeline"]
    shipped = {p.name for g in globs for p in (REPO / "src" / "neqent" / "pipeline").glob(g)}
    assert shipped == set(SOURCES)
    for package, patterns in pyproject["tool"]["setuptools"]["package-data"].items():
        root = REPO / "src" / Path(*package.split("."))
        for pattern in patterns:
            assert list(root.glob(pattern)), f"package-data {package}: {pattern} matches nothing"


def test_library_reads_schema_and_default_config_from_the_package():
    assert schema_path().resolve() == (REPO / SOURCES["config.schema.json"]).resolve()
    assert default_config_path().resolve() == (REPO / SOURCES["config.yaml"]).resolve()


def test_package_works_outside_the_checkout(tmp_path):
    """A copy of the package alone (symlinks resolved, as in a wheel) validates configs and
    loads the default config from any working directory, without NEQENT_SCHEMA."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "src" / "neqent", site / "neqent", ignore=shutil.ignore_patterns("__pycache__"))
    assert not (site / "neqent" / "pipeline" / "data" / "config.schema.json").is_symlink()
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("NEQENT_SCHEMA", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    code = (
        "import neqent.pipeline.config as c; cfg = c.load_config(); "
        "assert c.schema_path().is_relative_to(c.__file__.rsplit('/', 1)[0]); "
        "print(cfg['material'], len(cfg['scans']), c.schema_path())"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    nscans = len(load_config(REPO / "config" / "config.yaml")["scans"])
    assert proc.stdout.startswith(f"sic {nscans} ") and str(site) in proc.stdout
    assert load_config()["scans"].keys() == load_config(REPO / "config" / "config.yaml")["scans"].keys()
