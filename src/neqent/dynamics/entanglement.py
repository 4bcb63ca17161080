"""Entanglement measures of two-qubit states (docs/theory.md §7).

All functions take density matrices ``rho`` of shape (..., 4, 4) in the
decoupled basis |gg>, |eg>, |ge>, |ee> (first letter = qubit 1) and return
dimensionless arrays of shape (...). Matrices containing NaN (e.g. the
degenerate points of :func:`neqent.dynamics.master.solve_steady_state`)
give NaN.
"""

from __future__ import annotations

import numpy as np

__all__ = ["concurrence", "concurrence_x", "x_witness", "log_negativity", "STATE_TOL"]

#: tolerance on Hermiticity and on negative eigenvalues accepted by
#: :func:`concurrence` and :func:`log_negativity` (rounding noise of solvers)
STATE_TOL = 1e-8

# sigma_y (x) sigma_y; symmetric under exchanging the qubits, so the same in
# either tensor ordering of the basis
_YY = np.array([[0, 0, 0, -1], [0, 0, 1, 0], [0, 1, 0, 0], [-1, 0, 0, 0]], complex)


def _as_states(rho, name="rho"):
    """Validate shape (..., 4, 4); return (complex array, finite mask over (...))."""
    r = np.asarray(rho)
    if r.ndim < 2 or r.shape[-2:] != (4, 4):
        raise ValueError(f"{name} must have shape (..., 4, 4) (two-qubit density matrices), got {r.shape}")
    r = r.astype(complex)
    finite = np.all(np.isfinite(r), axis=(-1, -2))
    return r, finite


def _hermitian_part(r, name="rho"):
    """Hermitian part of r, raising if r is not Hermitian within STATE_TOL."""
    rh = np.conj(np.swapaxes(r, -1, -2))
    dev = np.max(np.abs(r - rh)) if r.size else 0.0
    if dev > STATE_TOL:
        raise ValueError(f"{name} must be Hermitian: max|rho - rho^dag| = {dev:.3g} > {STATE_TOL:g}")
    return 0.5 * (r + rh)


def concurrence(rho):
    """Wootters concurrence C in [0, 1] of any two-qubit state, batched (..., 4, 4) -> (...).

    C = max(0, l1 - l2 - l3 - l4) with l_i the decreasing square roots of the
    eigenvalues of rho (Y rho* Y), Y = sigma_y x sigma_y. Computed stably as
    the singular values of tau = W^T Y W with rho = W W^dag (W = V sqrt(D)
    from the eigendecomposition; eigenvalues of R are then the squared
    singular values of tau). Eigenvalues of rho down to -1e-8 are clipped to
    0; more negative ones, or non-Hermitian input, raise ValueError.

    Parameters
    ----------
    rho : array_like, shape (..., 4, 4)
        Density matrices [1], decoupled basis |gg>, |eg>, |ge>, |ee>.

    Returns
    -------
    float or ndarray, shape (...)
        Concurrence [1] (NaN where rho has non-finite entries).
    """
    r, finite = _as_states(rho)
    out = np.full(r.shape[:-2], np.nan)
    if not np.any(finite):
        return out[()] if out.ndim == 0 else out
    rf = _hermitian_part(r[finite])
    w, V = np.linalg.eigh(rf)
    if np.min(w) < -STATE_TOL:
        raise ValueError(f"rho must be positive semidefinite: smallest eigenvalue {np.min(w):.3g} < {-STATE_TOL:g}")
    W = V * np.sqrt(np.clip(w, 0, None))[..., None, :]
    tau = np.swapaxes(W, -1, -2) @ _YY @ W
    s = np.linalg.svd(tau, compute_uv=False)  # descending
    out[finite] = np.maximum(0.0, s[..., 0] - s[..., 1] - s[..., 2] - s[..., 3])
    return out[()] if out.ndim == 0 else out


def concurrence_x(rho):
    """Closed-form concurrence of an X state (docs/theory.md §7), batched (..., 4, 4) -> (...).

    C = 2 max(0, K1, K2), K1 = |rho_23| - sqrt(rho_11 rho_44),
    K2 = |rho_14| - sqrt(rho_22 rho_33) (1-based spec indices). Only the
    X elements are read: it equals the Wootters concurrence only for X
    states (all other off-diagonal elements zero), which is not checked.
    Products of populations below 0 (rounding) are clipped to 0.

    Parameters
    ----------
    rho : array_like, shape (..., 4, 4)
        As in :func:`concurrence`.

    Returns
    -------
    float or ndarray, shape (...)
        C [1], the Wootters concurrence for X states.
    """
    k = np.asarray(x_witness(rho))
    c = np.where(np.isnan(k), np.nan, 2 * np.maximum(0.0, k))
    return c[()] if c.ndim == 0 else c


def x_witness(rho):
    """X-state entanglement witness K = max(K1, K2) (docs/theory.md §7), batched (..., 4, 4) -> (...).

    K1 = |rho_23| - sqrt(rho_11 rho_44), K2 = |rho_14| - sqrt(rho_22 rho_33)
    (1-based spec indices), so that :func:`concurrence_x` = 2 max(0, K).
    Unlike C it is informative where the state is separable (K < 0: how far
    from entangled), which is what an optimiser needs on the C = 0 plateau.
    NaN input gives NaN.
    """
    r, _ = _as_states(rho)
    p = np.real(np.diagonal(r, axis1=-2, axis2=-1))
    k1 = np.abs(r[..., 1, 2]) - np.sqrt(np.clip(p[..., 0] * p[..., 3], 0, None))
    k2 = np.abs(r[..., 0, 3]) - np.sqrt(np.clip(p[..., 1] * p[..., 2], 0, None))
    k = np.where(np.isnan(k1) | np.isnan(k2), np.nan, np.maximum(k1, k2))
    return k[()] if k.ndim == 0 else k


def partial_transpose(rho):
    """Partial transpose over qubit 2 of (..., 4, 4) states (decoupled basis).

    The basis index is a + 2 b (a, b = excitation of qubits 1, 2), so
    ``rho.reshape(..., 2, 2, 2, 2)`` is indexed [b, a, b', a'].

    Parameters
    ----------
    rho : array_like, shape (..., 4, 4)
        As in :func:`concurrence`.

    Returns
    -------
    ndarray, shape (..., 4, 4)
        rho^{T_2} [1], complex.
    """
    r, _ = _as_states(rho)
    r4 = r.reshape(r.shape[:-2] + (2, 2, 2, 2))
    return np.swapaxes(r4, -4, -2).reshape(r.shape)


def log_negativity(rho):
    """Logarithmic negativity E_N = log2 || rho^{T_2} ||_1 (base 2, so a Bell state gives 1).

    Batched (..., 4, 4) -> (...), dimensionless, >= 0 for states. The trace
    norm is the sum of |eigenvalues| of the (Hermitian) partial transpose.
    Non-Hermitian input (beyond 1e-8) raises ValueError.

    Parameters
    ----------
    rho : array_like, shape (..., 4, 4)
        As in :func:`concurrence`.

    Returns
    -------
    float or ndarray, shape (...)
        E_N [1] (NaN where rho has non-finite entries).
    """
    r, finite = _as_states(rho)
    out = np.full(r.shape[:-2], np.nan)
    if np.any(finite):
        pt = partial_transpose(_hermitian_part(r[finite]))
        ev = np.linalg.eigvalsh(pt)
        out[finite] = np.log2(np.sum(np.abs(ev), axis=-1))
    return out[()] if out.ndim == 0 else out
