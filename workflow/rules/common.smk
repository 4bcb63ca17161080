# Shared helpers: output paths, the resolved config handed to every stage,
# and the list of final targets. No computation happens here.
import json
import shlex
from pathlib import Path

from neqent.pipeline.config import EXTRA_PRODUCTS, scan_names

# Rules run `python -m neqent...`: make the package importable from this
# checkout even inside a --sdm conda env that only holds the dependencies
# (envs/neqent.yaml; a relative `pip: -e ..` breaks because snakemake copies
# the env file). The prefix applies to every shell command, locally and in
# SLURM jobs (which re-read this file).
_SRC = str(Path(workflow.basedir) / "src")
# (The prefix is str.format-ed by snakemake, hence the quadruple braces.)
shell.prefix(
    f"set -euo pipefail; export PYTHONPATH={shlex.quote(_SRC)}${{{{PYTHONPATH:+:$PYTHONPATH}}}}; "
)

RESULTS = config["results"]
ENV = "../../envs/neqent.yaml"
# Full resolved config (schema defaults filled in by validate()); each stage
# re-validates it with neqent.pipeline.config.load_config and records it in the NetCDF
# attributes. Any config change therefore reruns the stages (params trigger).
CONFIG_JSON = json.dumps(config, sort_keys=True)

# Scan lists from the library (the Snakefile has validated the config, extras
# included, and put <repo>/src on sys.path).
T_SCANS = scan_names(
    config, with_temperatures=True
)  # 'map' first, then extras with a T_M grid
K_SCANS = scan_names(config, with_temperatures=False)  # kernel-only: kernels figure
PAPER_FIGURES = ["fig3a", "fig3b", "fig4a", "fig4b"]


wildcard_constraints:
    scan="|".join(sorted(config["scans"])),


def figure_files(name):
    """PNG and PDF of one figure."""
    return [f"{RESULTS}/figures/{name}.{ext}" for ext in ("png", "pdf")]


def all_outputs():
    """Paper figures and their datasets, plus the extras listed in config['extras']."""
    out = [
        f"{RESULTS}/kernels/map.nc",
        f"{RESULTS}/rates/map.nc",
        f"{RESULTS}/steady/map.nc",
        f"{RESULTS}/analytic/fig3.nc",
        f"{RESULTS}/dynamics/fig4b.nc",
    ]
    for name in PAPER_FIGURES:
        out += figure_files(name)
    for name in EXTRA_PRODUCTS:  # extras that are a figure, not a scan
        if name in config["extras"]:
            out += figure_files(name)
    for scan in T_SCANS[1:]:
        out += [f"{RESULTS}/steady/{scan}.nc"] + figure_files(f"scan_{scan}")
    for scan in K_SCANS:
        out += [f"{RESULTS}/kernels/{scan}.nc"] + figure_files(f"kernels_{scan}")
    return out
