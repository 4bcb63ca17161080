"""The installed package's version, in a module of its own at the bottom layer.

Any module may read it (provenance, ``neqent --version``) without importing
the package facade :mod:`neqent`, whose lazy API reaches up to the interface:
importing the facade from below would close an import cycle.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("neqent")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
