"""The steady state is an X state; its concurrence in closed form (docs/theory.md §6, §7).

Why the steady state is X. Every term of the master equation (§6) is a
sandwich ``sigma rho sigma^dag``, ``sigma^dag rho sigma`` or an
(anti)commutator with an excitation-conserving operator, so the Liouvillian
conserves k = N_i - N_j of ``rho_ij`` (N = 0, 1, 1, 2 excitations of
|gg>, |eg>, |ge>, |ee>) and is block diagonal in k (see
:mod:`neqent.dynamics.master`). A stationary state solves L rho = 0 block by
block: the k = +-1 part (rho_12, rho_13, rho_24, rho_34 and conjugates) and
the k = +-2 part (rho_14) solve ``L_k x = 0`` with ``L_k`` non-singular
whenever the steady state is unique (``steady_state`` checks exactly this
through the reciprocal condition numbers of the blocks), hence vanish. Only
the k = 0 elements (the populations and rho_23) survive: an X state (and
even rho_14 = 0). Tests check the block structure of L for random complex
rates and that the full 16 x 16 solve has no non-X elements.

For an X state the Wootters concurrence is
C = 2 max(0, |rho_23| - sqrt(rho_11 rho_44), |rho_14| - sqrt(rho_22 rho_33))
(:func:`neqent.dynamics.entanglement.concurrence_x`): a few flops per point
instead of an eigen- and a singular-value decomposition.
:func:`steady_concurrence` uses it where a state is X and falls back to the
general Wootters formula for any other state.
"""

from __future__ import annotations

import numpy as np

from neqent.dynamics.entanglement import concurrence, concurrence_x

__all__ = ["NON_X", "X_ATOL", "non_x_magnitude", "is_x_state", "steady_concurrence", "k_of_element"]


def k_of_element(i, j):
    """Excitation difference k = N_i - N_j of a density-matrix element (decoupled basis).

    Parameters
    ----------
    i, j : int
        0-based row and column in the basis ``|gg>, |eg>, |ge>, |ee>``.

    Returns
    -------
    int
        k [1], in -2..2.
    """
    n = (0, 1, 1, 2)
    return n[i] - n[j]


#: mask (4, 4) of the elements that vanish in an X state: the k = +-1 coherences
NON_X = np.array([[abs(k_of_element(i, j)) == 1 for j in range(4)] for i in range(4)])
#: a state is treated as X when its non-X elements are at most this (absolute; trace 1)
X_ATOL = 1e-12


def non_x_magnitude(rho):
    """Largest ``|rho_ij|`` over the non-X elements of each state.

    Parameters
    ----------
    rho : array_like, shape (..., 4, 4), complex
        Two-qubit density matrices [1].

    Returns
    -------
    ndarray, shape (...)
        The largest magnitude [1].
    """
    r = np.asarray(rho)
    return np.max(np.abs(r[..., NON_X]), axis=-1)


def is_x_state(rho, atol=X_ATOL):
    """Whether states are X states within a tolerance.

    Parameters
    ----------
    rho : array_like, shape (..., 4, 4), complex
        Two-qubit density matrices [1].
    atol : float
        Largest magnitude allowed for a non-X element [1].

    Returns
    -------
    bool or ndarray of bool, shape (...)
        True where every non-X element is at most ``atol`` in magnitude.
    """
    return non_x_magnitude(rho) <= atol


def steady_concurrence(rho, atol=X_ATOL):
    """Concurrence of two-qubit states, in closed form where they are X.

    Closed form (:func:`~neqent.dynamics.entanglement.concurrence_x`) where the
    state is X within ``atol``, general Wootters
    (:func:`~neqent.dynamics.entanglement.concurrence`) elsewhere. NaN states
    give NaN.

    Parameters
    ----------
    rho : array_like, shape (..., 4, 4), complex
        Two-qubit density matrices [1].
    atol : float
        Tolerance of :func:`is_x_state` [1].

    Returns
    -------
    float or ndarray, shape (...)
        Concurrence [1] in [0, 1].
    """
    r = np.asarray(rho)
    c = np.asarray(concurrence_x(r), float)
    other = ~is_x_state(r, atol) & np.all(np.isfinite(r), axis=(-1, -2))
    if np.any(other):
        c = np.array(c, copy=True)
        c[other] = concurrence(r[other])
    return c[()] if c.ndim == 0 else c
