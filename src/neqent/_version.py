"""The installed version of neqent, readable without importing the package root's facade.

:mod:`neqent.pipeline.io` records it in every dataset; importing it from here
keeps the pipeline from importing ``neqent`` (whose lazy ``neqent.scan`` reaches
back into the pipeline).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("neqent")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
