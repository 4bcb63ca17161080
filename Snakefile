# neqent pipeline: kernels (MPI) -> rates -> steady states / analytic / dynamics -> figures.
# `snakemake --cores N` regenerates fig3a, fig3b, fig4a, fig4b (+ extras) under results/.
# Docs: docs/pipeline.md. Rules live in workflow/rules/*.smk and call the library
# (python -m neqent.pipeline.stages / python -m neqent.pipeline.plotting); stages exchange NetCDF files only.
import sys

from snakemake.utils import min_version

min_version("9.0")
sys.path.insert(0, f"{workflow.basedir}/src")
from neqent.pipeline.config import (
    validate_config,
)  # noqa: E402  (the library in this checkout)


configfile: "config/config.yaml"


# `snakemake --report report.html`: this description on the front page, each
# figure with its caption from workflow/report/figures/ (rules/figures.smk).
report: "workflow/report/workflow.rst"


# workflow/schemas/config.schema.json (defaults filled in) plus the rules a
# schema cannot express (known material, log grids > 0, extras name scans...);
# numbers written 1e-6 (a string to YAML 1.1) are accepted. Errors name the key.
validate_config(config)


include: "workflow/rules/common.smk"
include: "workflow/rules/scale.smk"
include: "workflow/rules/kernels.smk"
include: "workflow/rules/rates.smk"
include: "workflow/rules/steady.smk"
include: "workflow/rules/analytic.smk"
include: "workflow/rules/dynamics.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/optimize.smk"
include: "workflow/rules/extras.smk"
include: "workflow/rules/chain.smk"
include: "workflow/rules/gratings.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
