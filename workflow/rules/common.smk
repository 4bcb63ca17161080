# Shared helpers: output paths, the resolved config handed to every stage,
# and the list of final targets. No computation happens here.
import json
import shlex
from pathlib import Path

# Rules run `python -m neqent...`: make the package importable from this
# checkout even inside a --sdm conda env that only holds the dependencies
# (envs/neqent.yaml; a relative `pip: -e ..` breaks because snakemake copies
# the env file). The prefix applies to every shell command, locally and in
# SLURM jobs (which re-read this file).
_SRC = str(Path(workflow.basedir) / "src")
# (The prefix is str.format-ed by snakemake, hence the quadruple braces.)
shell.prefix(f"set -euo pipefail; export PYTHONPATH={shlex.quote(_SRC)}${{{{PYTHONPATH:+:$PYTHONPATH}}}}; ")

RESULTS = config["results"]
ENV = "../../envs/neqent.yaml"
# Full resolved config (schema defaults filled in by validate()); each stage
# re-validates it with neqent.config.load_config and records it in the NetCDF
# attributes. Any config change therefore reruns the stages (params trigger).
CONFIG_JSON = json.dumps(config, sort_keys=True)

EXTRA_PRODUCTS = ("effective_temperatures",)
for _name in config["extras"]:
    if _name not in config["scans"] and _name not in EXTRA_PRODUCTS:
        raise ValueError(
            f"config key 'extras': {_name!r} is neither a scan name {sorted(config['scans'])} "
            f"nor one of {list(EXTRA_PRODUCTS)}"
        )

SCANS = ["map"] + [s for s in config["extras"] if s in config["scans"] and s != "map"]
T_SCANS = [s for s in SCANS if "T_M" in config["scans"][s]]
K_SCANS = [s for s in SCANS if "T_M" not in config["scans"][s]]
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
    if "effective_temperatures" in config["extras"]:
        out += figure_files("effective_temperatures")
    for scan in T_SCANS[1:]:
        out += [f"{RESULTS}/steady/{scan}.nc"] + figure_files(f"scan_{scan}")
    for scan in K_SCANS:
        out += [f"{RESULTS}/kernels/{scan}.nc"] + figure_files(f"kernels_{scan}")
    return out
