"""Steady states of the two-qubit master equation from its k = 0 block (docs/theory.md §6).

Moved from :mod:`neqent.dynamics.master`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from neqent.dynamics.liouvillian import (
    K0_REAL_P,
    K0_REAL_Q,
    KM1_BASIS,
    KM2_BASIS,
    RCOND_TOL,
    SUPEROPERATOR_BASIS,
    DegenerateSteadyStateError,
    rate_coefficients,
)
from neqent.jit import njit

# ---------------------------------------------------------------------------
# Steady state
# ---------------------------------------------------------------------------

__all__ = ["SteadyState", "solve_steady_state", "steady_state"]


@njit
def _norm1(A):
    """Matrix 1-norm: largest column sum of |A_ij|."""
    norm = 0.0
    for j in range(A.shape[1]):
        s = 0.0
        for i in range(A.shape[0]):
            s += abs(A[i, j])
        norm = max(norm, s)
    return norm


@njit
def _inverse_rcond(A, Ainv):
    """Invert A (n x n, overwritten) into Ainv by LU with partial pivoting.

    Returns the reciprocal 1-norm condition number 1 / (|A|_1 |A^-1|_1),
    0.0 if a pivot is exactly zero.
    """
    n = A.shape[0]
    anorm = _norm1(A)
    perm = np.arange(n)
    for k in range(n):
        p = k
        best = abs(A[k, k])
        for i in range(k + 1, n):
            if abs(A[i, k]) > best:
                best = abs(A[i, k])
                p = i
        if best == 0.0 or anorm == 0.0:
            return 0.0
        if p != k:
            for j in range(n):
                t = A[k, j]
                A[k, j] = A[p, j]
                A[p, j] = t
            t2 = perm[k]
            perm[k] = perm[p]
            perm[p] = t2
        for i in range(k + 1, n):
            f = A[i, k] / A[k, k]
            A[i, k] = f
            for j in range(k + 1, n):
                A[i, j] -= f * A[k, j]
    # solve A X = P I column by column
    for c in range(n):
        y = np.zeros(n, A.dtype)
        for i in range(n):
            y[i] = 1.0 if perm[i] == c else 0.0
            for j in range(i):
                y[i] -= A[i, j] * y[j]
        for i in range(n - 1, -1, -1):
            acc = y[i]
            for j in range(i + 1, n):
                acc -= A[i, j] * y[j]
            y[i] = acc / A[i, i]
        for i in range(n):
            Ainv[i, c] = y[i]
    inorm = _norm1(Ainv)
    if not np.isfinite(inorm) or inorm == 0.0:
        return 0.0
    return 1.0 / (anorm * inorm)


@njit
def _steady_kernel(c, P, Q, BM1, BM2, rho, rcond):
    """Steady state of each point from the k = 0 block (see module docstring).

    c: (N, 10) complex coefficients; P, Q: (10, 6, 6) real block basis;
    BM1: (10, 4, 4) complex k = -1 block basis; BM2: (10,) complex k = -2.
    Writes rho (N, 4, 4) and rcond (N,) = min over the three blocks.
    """
    n = c.shape[0]
    M = np.empty((6, 6))
    Minv = np.empty((6, 6))
    B = np.empty((4, 4), np.complex128)
    Binv = np.empty((4, 4), np.complex128)
    for p in range(n):
        M[:, :] = 0.0
        B[:, :] = 0.0
        b2 = 0.0 + 0.0j
        for k in range(10):
            cr = c[p, k].real
            ci = c[p, k].imag
            if cr != 0.0 or ci != 0.0:
                for i in range(6):
                    for j in range(6):
                        M[i, j] += cr * P[k, i, j] + ci * Q[k, i, j]
                for i in range(4):
                    for j in range(4):
                        B[i, j] += c[p, k] * BM1[k, i, j]
                b2 += c[p, k] * BM2[k]
        scale = 0.0
        for i in range(6):
            for j in range(6):
                scale = max(scale, abs(M[i, j]))
        # Trace condition replaces the p1 equation (redundant: the population
        # rows sum to zero). Scaled by the rate scale so rcond is unit-free.
        for j in range(6):
            M[0, j] = scale if j < 4 else 0.0
        r0 = _inverse_rcond(M, Minv)
        r1 = _inverse_rcond(B, Binv)
        r2 = abs(b2) / scale if scale > 0.0 else 0.0
        rcond[p] = min(r0, min(r1, r2))
        for i in range(4):
            for j in range(4):
                rho[p, i, j] = 0.0
        # solution = M^-1 (scale, 0, ..., 0) = scale * first column of M^-1
        x = np.empty(6)
        for i in range(6):
            x[i] = scale * Minv[i, 0]
        rho[p, 0, 0] = x[0]
        rho[p, 1, 1] = x[1]
        rho[p, 2, 2] = x[2]
        rho[p, 3, 3] = x[3]
        rho[p, 1, 2] = x[4] + 1j * x[5]
        rho[p, 2, 1] = x[4] - 1j * x[5]


def _steady_full(c, chunk=4096):
    """Reference solver: batched 16x16 solve of L with one row replaced by the trace.

    Returns rho (N, 4, 4), rcond (N,) (reciprocal 1-norm condition number of
    the bordered matrix, the trace row scaled by max|L|).
    """
    n = c.shape[0]
    rho = np.empty((n, 4, 4), complex)
    rcond = np.empty(n)
    tr = np.eye(4).reshape(16)
    for s in range(0, n, chunk):
        L = np.einsum("nk,kij->nij", c[s : s + chunk], SUPEROPERATOR_BASIS)
        scale = np.max(np.abs(L), axis=(-1, -2))
        L[:, 0, :] = scale[:, None] * tr
        rhs = np.zeros(L.shape[:2], complex)
        rhs[:, 0] = scale
        with np.errstate(all="ignore"):
            ok = scale > 0
            cond = np.full(len(L), np.inf)
            if np.any(ok):
                cond[ok] = np.linalg.cond(L[ok], 1)
            x = np.full(rhs.shape, np.nan, complex)
            good = ok & np.isfinite(cond)
            if np.any(good):
                x[good] = np.linalg.solve(L[good], rhs[good][..., None])[..., 0]
        rho[s : s + chunk] = x.reshape(-1, 4, 4)
        rcond[s : s + chunk] = 1.0 / cond
    return rho, rcond


class SteadyState(NamedTuple):
    """Steady states of a batch with their uniqueness diagnostics (see :func:`solve_steady_state`).

    Attributes
    ----------
    rho : (..., 4, 4) complex ndarray
        Stationary density matrices [1], decoupled basis, trace 1; NaN where ``mask``.
    mask : (...) bool ndarray
        True where the steady state is not unique (rcond < rcond_tol).
    rcond : (...) float ndarray
        Smallest reciprocal condition number of the Liouvillian blocks [1].
    """

    rho: np.ndarray
    mask: np.ndarray
    rcond: np.ndarray


def _check_steady_options(rcond_tol, method):
    if method not in ("x", "full"):
        raise ValueError(f"method must be 'x' or 'full', got {method!r}")
    if not (np.isfinite(rcond_tol) and 0 <= rcond_tol < 1):
        raise ValueError(f"rcond_tol must be in [0, 1), got {rcond_tol!r}")


def solve_steady_state(gamma_plus, gamma_minus, lambda12, *, rcond_tol=RCOND_TOL, method="x") -> SteadyState:
    """Steady states with their degeneracy mask and condition numbers; never raises for degenerate points.

    Parameters
    ----------
    gamma_plus, gamma_minus, lambda12, rcond_tol, method
        As in :func:`steady_state`.

    Returns
    -------
    SteadyState
        ``(rho, mask, rcond)``: rho (..., 4, 4) [1] with NaN matrices where
        ``mask`` (...) is True (not unique), and the reciprocal condition
        numbers rcond (...) [1].
    """
    _check_steady_options(rcond_tol, method)
    shape, c = rate_coefficients(gamma_plus, gamma_minus, lambda12)
    if method == "x":
        n = c.shape[0]
        rho = np.empty((n, 4, 4), complex)
        rcond = np.empty(n)
        _steady_kernel(np.ascontiguousarray(c), K0_REAL_P, K0_REAL_Q, KM1_BASIS, KM2_BASIS, rho, rcond)
    else:
        rho, rcond = _steady_full(c)
    rho = rho.reshape(shape + (4, 4))
    rcond = rcond.reshape(shape)
    mask = ~(rcond >= rcond_tol)  # NaN rcond counts as degenerate
    if np.any(mask):
        rho = np.where(mask[..., None, None], np.nan + 0j, rho)
    return SteadyState(rho, mask, rcond)


def steady_state(gamma_plus, gamma_minus, lambda12, *, on_degenerate="raise", rcond_tol=RCOND_TOL, method="x"):
    """Stationary density matrix of the master equation (docs/theory.md §6), batched.

    Always returns the array of density matrices; :func:`solve_steady_state`
    gives the degeneracy mask and condition numbers as well.

    Parameters
    ----------
    gamma_plus, gamma_minus : (..., 2, 2) complex
        Gamma^{qq'}(+w), Gamma^{qq'}(-w) [Gamma0]; must be Hermitian (relative
        tolerance ``HERMITIAN_RTOL`` = 1e-8, then symmetrised).
    lambda12 : (...,) complex
        Lambda^{12} [Gamma0]; Lambda^{21} = conj(Lambda^{12}).
    on_degenerate : {"raise"}
        Raise :class:`~neqent.dynamics.liouvillian.DegenerateSteadyStateError` (count and mask) if any
        point has a non-unique steady state. (The former "nan" mode returned
        a tuple; :func:`solve_steady_state` now gives NaN matrices, the mask
        and the condition numbers.)
    rcond_tol : float
        A point is degenerate when the reciprocal 1-norm condition number [1] of
        any Liouvillian block (k = 0 block bordered by the trace condition,
        k = -1 block, k = -2 rate relative to the k = 0 rate scale) is below
        ``rcond_tol`` (default 1e-13). rcond is roughly the ratio of the
        slowest to the fastest relaxation rate, e.g. ~Gamma_A/Gamma_S / (1 +
        n) in the symmetric case (measured: 1.7e-12 at Gamma_A/Gamma_S =
        1e-8, n_S = 1000). Exactly degenerate inputs (alpha^11 = alpha^22 =
        |alpha^12| with a Lambda that does not couple the dark state) give
        rcond <= 1e-16 (or 0). At the threshold the relative error of the
        result is up to ~1e-3 (error ~ 1e-16 / rcond).
    method : {"x", "full"}
        "x" (default): numba kernel on the real 6x6 k = 0 block (the block
        structure always holds for §6, see module docstring; k != 0
        coherences are 0 in a unique steady state). "full": batched 16x16
        complex solve of the whole Liouvillian (slow reference).

    Returns
    -------
    rho : (..., 4, 4) complex ndarray
        Decoupled basis, trace 1 [1].
    """
    if on_degenerate != "raise":
        raise ValueError(
            f"on_degenerate must be 'raise' (solve_steady_state gives NaN matrices and the mask), got {on_degenerate!r}"
        )
    result = solve_steady_state(gamma_plus, gamma_minus, lambda12, rcond_tol=rcond_tol, method=method)
    if np.any(result.mask):
        raise DegenerateSteadyStateError(result.mask, result.rcond, rcond_tol)
    return result.rho
