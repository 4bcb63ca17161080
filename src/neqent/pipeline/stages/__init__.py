"""Pipeline stages, one module per Snakemake rule file (workflow/rules/*.smk).

``python -m neqent.pipeline.stages <stage>`` runs :func:`neqent.pipeline.stages.run.main`.
"""

from neqent.pipeline.stages.run import *  # noqa: F401,F403
from neqent.pipeline.stages.run import __all__  # noqa: F401
