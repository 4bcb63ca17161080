"""neqent: entanglement of two qubits near a body out of thermal equilibrium.

Two two-level atoms above a slab at temperature T_M, in an environment at
T_W. The package computes the dimensionless rate kernels (alpha_W, alpha_M,
coherent coupling), the master-equation dynamics and steady states, and
their concurrence (physics: docs/theory.md; module contracts:
docs/design.md).

Quick start (SI units)::

    import neqent
    r = neqent.point(z1=1e-6, z2=1e-6, r12=0.25e-6, TW=30, TM=600)
    r["concurrence"]

or on the command line ``neqent point --TM 600K`` (see ``neqent --help``).

Importing the package is cheap: the numerical modules (numba kernels,
xarray) are loaded only when :func:`point`, :func:`evolve` or :func:`scan`
(from :mod:`neqent.interface.api`) are first used.
"""

from __future__ import annotations

from neqent._version import __version__

__all__ = ["__version__", "point", "evolve", "scan", "optimize", "point_n", "evolve_n"]

_API = ("point", "evolve", "scan", "optimize")
#: N qubits at arbitrary positions (docs/theory.md §10), from :mod:`neqent.interface.many`
_MANY_API = ("point_n", "evolve_n")


def __getattr__(name):
    """Lazy access to the :mod:`neqent.interface.api` functions (PEP 562)."""
    if name == "optimize":  # its own module (neqent.interface.optimize)
        from neqent.interface.optimize import optimize

        return optimize
    if name in _API:
        from neqent.interface import api

        return getattr(api, name)
    if name in _MANY_API:
        from neqent.interface import many

        return getattr(many, name)
    raise AttributeError(f"module 'neqent' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API) + list(_MANY_API))
