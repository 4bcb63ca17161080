"""Pipeline stages, one module per Snakemake rule file (``workflow/rules/<stage>.smk``).

* :mod:`~neqent.pipeline.stages.kernels` -- :func:`~neqent.pipeline.stages.kernels.kernel_grid` (stage a, MPI);
* :mod:`~neqent.pipeline.stages.rates` -- :func:`~neqent.pipeline.stages.rates.rate_grid` (stage b);
* :mod:`~neqent.pipeline.stages.steady` -- :func:`~neqent.pipeline.stages.steady.steady_grid` (stage c),
  :func:`~neqent.pipeline.stages.steady.map_maximum`;
* :mod:`~neqent.pipeline.stages.analytic` -- :func:`~neqent.pipeline.stages.analytic.analytic_data` (fig3 data);
* :mod:`~neqent.pipeline.stages.dynamics` -- :func:`~neqent.pipeline.stages.dynamics.dynamics_data` (fig4b data);
* :mod:`~neqent.pipeline.stages.run` -- the command line ``python -m neqent.pipeline.stages <stage>``.

The names below are re-exported from their old home (``neqent.pipeline.stages``
was one module), which ``neqent scan`` (:mod:`neqent.interface.api`) and the
tests still use: the stage functions, and the grid vocabulary now in
:mod:`neqent.pipeline.grid` and the command-line kit in :mod:`neqent.pipeline.command`.
"""

from neqent.pipeline.command import read_stage_input
from neqent.pipeline.grid import AXIS_ORDER, COORD_ATTRS, axis_names, coord_attrs, scan_axes
from neqent.pipeline.stages.analytic import analytic_data
from neqent.pipeline.stages.dynamics import dynamics_data
from neqent.pipeline.stages.kernels import kernel_grid
from neqent.pipeline.stages.rates import rate_grid
from neqent.pipeline.stages.run import STAGE_INPUTS, main
from neqent.pipeline.stages.steady import map_maximum, steady_grid

__all__ = [
    "AXIS_ORDER",
    "COORD_ATTRS",
    "axis_names",
    "coord_attrs",
    "scan_axes",
    "kernel_grid",
    "rate_grid",
    "steady_grid",
    "analytic_data",
    "dynamics_data",
    "map_maximum",
    "STAGE_INPUTS",
    "read_stage_input",
    "main",
]
