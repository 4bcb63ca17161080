"""``python -m neqent.pipeline.stages <stage> ...``: the stage commands the Snakemake rules run."""

import sys

from neqent.pipeline.stages.run import main

sys.exit(main())
