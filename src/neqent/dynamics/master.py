"""Two-qubit master equation: Liouvillian, steady state, time evolution (docs/theory.md §6).

The documented entry point; the code lives in :mod:`~neqent.dynamics.liouvillian`
(basis, block structure, the Liouvillian), :mod:`~neqent.dynamics.steady` (steady
states), :mod:`~neqent.dynamics.evolution` (rho(t)) and :mod:`~neqent.dynamics.states`
(initial and thermal states), re-exported here.

Units: rates (``gamma_plus``, ``gamma_minus``, ``lambda12``) in units of the
vacuum decay rate Gamma0; time in units of 1/Gamma0. Density matrices are
``(..., 4, 4)`` complex in the decoupled basis |gg>, |eg>, |ge>, |ee> (first
letter = qubit 1, so basis index = a + 2 b with a, b the excitations of
qubits 1, 2). Rate matrices are ``(..., 2, 2)`` indexed ``[q, q']`` (q = 0, 1
for qubits 1, 2 of docs/theory.md); ``lambda12`` is Lambda^{12} and
Lambda^{21} = conj(Lambda^{12}).

Vectorisation convention (used by :func:`liouvillian`): row-major,
``vec(rho)[4 i + j] = rho[i, j]`` (numpy ``rho.reshape(..., 16)``), so that
``vec(A rho B) = kron(A, B.T) vec(rho)``.

Block structure (derived here, verified in tests): every term of the master
equation of §6 is a sandwich ``sigma rho sigma^dag``, ``sigma^dag rho sigma``
or a (anti)commutator with an excitation-conserving operator, so the
Liouvillian conserves ``k = N_i - N_j`` for ``rho_ij`` (N = number of
excitations of the basis state, N = 0, 1, 1, 2). It is block diagonal:

* k = 0: rho_11, rho_22, rho_23, rho_32, rho_33, rho_44 (the "X part"; with
  Hermitian rates it is a real 6x6 system in p1..p4, Re rho_23, Im rho_23);
* k = -1 (and its mirror +1): rho_12, rho_13, rho_24, rho_34;
* k = -2 (and +2): rho_14.

This holds for *all* rates (any z1, z2, complex Gamma^{12}, Lambda), so the
steady state is always obtained from the k = 0 block alone, provided the
k != 0 blocks are non-singular (then their stationary part is 0). When a
k != 0 block is singular or the k = 0 block has a kernel of dimension > 1 the
stationary state is not unique (§6 degenerate case) and is reported, see
:func:`steady_state`.
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
