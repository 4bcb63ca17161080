"""Two-qubit master equation: Liouvillian, steady state, time evolution (docs/theory.md §6).

The documented entry point; the code lives in :mod:`~neqent.dynamics.liouvillian`
(basis, block structure, the Liouvillian), :mod:`~neqent.dynamics.steady` (steady
states), :mod:`~neqent.dynamics.evolution` (rho(t)) and :mod:`~neqent.dynamics.states`
(initial and thermal states), re-exported here.

Units, basis, vectorisation and the Liouvillian's block structure (the steady
state from the k = 0 block alone) are documented once, in
:mod:`~neqent.dynamics.liouvillian`.
"""

from __future__ import annotations

from neqent.dynamics.evolution import EIG_COND_MAX, evolve, evolve_full
from neqent.dynamics.liouvillian import (
    BASIS_LABELS,
    HERMITIAN_RTOL,
    RCOND_TOL,
    STATE_ATOL,
    DegenerateSteadyStateError,
    coupled_basis,
    liouvillian,
)
from neqent.dynamics.states import initial_state, slowest_relaxation_rate, thermal_state, validate_density_matrix
from neqent.dynamics.steady import SteadyState, solve_steady_state, steady_state

__all__ = [
    "DegenerateSteadyStateError",
    "liouvillian",
    "steady_state",
    "solve_steady_state",
    "SteadyState",
    "evolve",
    "slowest_relaxation_rate",
    "initial_state",
    "thermal_state",
    "validate_density_matrix",
    "BASIS_LABELS",
    "coupled_basis",
    "RCOND_TOL",
    "HERMITIAN_RTOL",
    "STATE_ATOL",
    "EIG_COND_MAX",
    "evolve_full",
]

#: the former private name of :func:`evolve_full` (tests compare against it)
_evolve_full = evolve_full
