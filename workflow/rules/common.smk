# Shared helpers: output paths, the config subset handed to each stage,
# the figures and the list of final targets. No computation happens here.
import json
import shlex
from pathlib import Path

from neqent.pipeline.config import EXTRA_PRODUCTS, scan_names, stage_config

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


def stage_params(stage):
    """params function: canonical JSON of the config subset ``stage`` reads for the job's scan.

    neqent.pipeline.config.stage_config decides the subset (kernels: material,
    geometry, the scan's axes; rates/steady: plus T_W and the scan's T_M; ...).
    Snakemake's params trigger then reruns a job only when its subset changes,
    not for figure options or mpi settings; the stage re-validates the subset
    and records it in the dataset's `config` attribute.
    """

    def params(wildcards):
        scan = wildcards.scan if "scan" in wildcards.keys() else "map"
        return json.dumps(stage_config(config, stage, scan), sort_keys=True)

    return params


# Scan lists from the library (the Snakefile has validated the config, extras
# included, and put <repo>/src on sys.path).
T_SCANS = scan_names(
    config, with_temperatures=True
)  # 'map' first, then extras with a T_M grid
K_SCANS = scan_names(config, with_temperatures=False)  # kernel-only: kernels figure
PAPER_FIGURES = ["fig3a", "fig3b", "fig4a", "fig4b"]


wildcard_constraints:
    scan="|".join(sorted(config["scans"])),


def figure_sources():
    """Every figure the workflow can draw: name -> (figure of python -m
    neqent.pipeline.plotting, input dataset). Paper figures, the effective
    temperatures, scan_<s> for each scan with a T_M grid, kernels_<s> for each
    kernel-only scan (whether or not 'extras' lists it: all_outputs() picks)."""
    analytic = f"{RESULTS}/analytic/fig3.nc"
    sources = {
        "fig3a": ("fig3a", analytic),
        "fig3b": ("fig3b", analytic),
        "fig4a": ("fig4a", f"{RESULTS}/steady/map.nc"),
        "fig4b": ("fig4b", f"{RESULTS}/dynamics/fig4b.nc"),
        "effective_temperatures": ("effective_temperatures", analytic),
    }
    for scan, spec in config["scans"].items():
        if "T_M" in spec:
            sources[f"scan_{scan}"] = ("scan", f"{RESULTS}/steady/{scan}.nc")
        else:
            sources[f"kernels_{scan}"] = ("alpha", f"{RESULTS}/kernels/{scan}.nc")
    return sources


def figure_caption(name):
    """Report caption of a figure, relative to workflow/rules: report/figures/<name>.rst,
    or the generic scan.rst / kernels.rst for a scan without a caption of its own.
    """
    own = Path(workflow.basedir) / "workflow" / "report" / "figures" / f"{name}.rst"
    return f"../report/figures/{name if own.is_file() else name.split('_')[0]}.rst"


def figure_labels(name):
    """Report labels of a figure: its name and the run's fixed parameters (SI units)."""
    geo = config["geometry"]
    omega = (
        f"{geo['omega']:g} rad/s"
        if "omega" in geo
        else f"{geo['omega_ratio']:g} x resonance"
    )
    labels = {
        "figure": name,
        "material": config["material"],
        "T_W": f"{config['T_W']:g} K",
        "z1": f"{geo['z1']:g} m",
        "r12": f"{geo['r12']:g} m",
        "delta": f"{geo['delta']:g} m",
        "omega": omega,
    }
    # the body is a planar stack (neqent.pipeline.body), not material/delta
    if "stack" in geo:
        del labels["delta"]
        layers = [
            f"{layer['material']} {layer['thickness']:g} m" for layer in geo["stack"]
        ]
        below = [f"{geo['substrate']} substrate"] if "substrate" in geo else []
        labels["material"] = " / ".join(layers + below)
    return labels


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
