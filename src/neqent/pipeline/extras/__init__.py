"""The pipeline's extras: products beyond the paper figures, each one module that registers itself.

:data:`~neqent.pipeline.extras.registry.EXTRAS` maps each name to its
:class:`~neqent.pipeline.extras.registry.Extra` record; config, plotting and the runner ask it. Adding an extra:
write ``extras/<name>.py`` ending in ``register(Extra(...))`` and add its name
to the import line below (docs/design.md, "How to add an extra").
"""

from neqent.pipeline.extras.registry import EXTRAS, Extra, Figure, register

# The registration line: importing a module registers its extra.
from neqent.pipeline.extras import chain, cube, design, gratings, optimize, sphere, stacks  # noqa: E402,F401  isort: skip

__all__ = ["EXTRAS", "Extra", "Figure", "register"]
