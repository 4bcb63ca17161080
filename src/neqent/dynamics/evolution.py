"""Time evolution of the two-qubit master equation, block by block (docs/theory.md §6).

Moved from :mod:`neqent.dynamics.master`.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from neqent.dynamics.liouvillian import (
    K0_REAL_P,
    K0_REAL_Q,
    KM1_BASIS,
    KM2_BASIS,
    SUPEROPERATOR_BASIS,
    rate_coefficients,
)

__all__ = ["EIG_COND_MAX", "ROUNDOFF_RE", "evolve", "evolve_full", "propagate_blocks"]

# ---------------------------------------------------------------------------
# Time evolution
# ---------------------------------------------------------------------------

#: eigenvector-matrix condition number above which evolve() falls back to expm
EIG_COND_MAX = 1e6


#: trace functional on the real k = 0 coordinates (p1, p2, p3, p4, x, y):
#: the exact left null vector of the k = 0 block (trace preservation)
_TRACE0 = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0])
#: eigenvalues with 0 < Re(lam) <= ROUNDOFF_RE * max|rate| are round-off of
#: Re(lam) = 0 (a Lindblad generator has Re(lam) <= 0) and are set to Re = 0
ROUNDOFF_RE = 64 * np.finfo(float).eps
#: the zero eigenvalue of the k = 0 block counts as simple when every other
#: eigenvector has |trace| <= _SIMPLE_ZERO * its norm (exactly 0 in theory)
_SIMPLE_ZERO = np.sqrt(np.finfo(float).eps)
#: exp(x) underflows to 0 below this (double precision)
_EXP_UNDERFLOW = -746.0


def _evolve_inputs(gamma_plus, gamma_minus, lambda12, rho0, times, cond_max):
    """Validate the inputs of :func:`evolve` (same checks and order as always).

    Returns (t, rho0 complex, batch shape, rate batch shape, coefficients (N, 10)).
    """
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"times must be a non-empty 1-D array (units of 1/Gamma0), got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        bad = t[~np.isfinite(t) | (t < 0)][0]
        raise ValueError(f"times must be finite and >= 0 (units of 1/Gamma0), got {bad!r}")
    r0 = np.asarray(rho0, dtype=complex)
    if r0.ndim < 2 or r0.shape[-2:] != (4, 4):
        raise ValueError(f"rho0 must have shape (..., 4, 4), got {r0.shape}")
    if not (np.isfinite(cond_max) and cond_max >= 1):
        raise ValueError(f"cond_max must be finite and >= 1, got {cond_max!r}")
    rshape, c = rate_coefficients(gamma_plus, gamma_minus, lambda12)
    try:
        shape = np.broadcast_shapes(rshape, r0.shape[:-2])
    except ValueError:
        raise ValueError(f"batch shapes of the rates {rshape} and rho0 {r0.shape[:-2]} do not broadcast") from None
    return t, r0, shape, rshape, c


def propagate_blocks(A, x0, idx, t, cond_max, tol, trace=None):
    """x(t) = exp(A[idx] t) x0 for a batch of small blocks (one Liouvillian block).

    A: (nr, d, d) real or complex block per rate point; x0: (n, d) initial
    vectors; idx: (n,) rate point of each vector; t: (nt,); tol: (nr,)
    round-off threshold on Re(lam) (see ``ROUNDOFF_RE``). Returns (n, nt, d)
    complex. Method: A = V diag(lam) V^-1; eigenvalues with 0 < Re(lam) <= tol
    get Re(lam) = 0, so exp(lam t) never grows from round-off (and never
    overflows for a Lindblad generator). With ``trace`` (the exact left null
    vector l, l A = 0) the stationary mode (largest |l.V_k| / |V_k|) gets
    lam = 0 exactly and the exact coefficient l.x0 / l.V_k (row k of V^-1 is
    l / l.V_k) and the other eigenvectors are made exactly trace-free, so
    l.x(t) = l.x0 to rounding at every t and x(inf) is the stationary vector (when the zero eigenvalue is simple, see
    ``_SIMPLE_ZERO``; otherwise the solved coefficients are kept). Modes
    with Re(lam) t below ``_EXP_UNDERFLOW`` are exactly 0. Rate points whose
    V has 2-norm condition number > cond_max (near a defective / exceptional
    point) use ``scipy.linalg.expm(A t)`` for every time instead (exact for
    defective A).
    """
    n, d = x0.shape
    out = np.empty((n, t.size, d), complex)
    lam, V = np.linalg.eig(A)
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(V)
    ok_r = np.isfinite(cond) & (cond <= cond_max)
    re = lam.real
    lam = np.where((re > 0) & (re <= tol[:, None]), 1j * lam.imag, lam)
    if trace is not None:
        lv = np.abs(np.einsum("i,rik->rk", trace, V)) / np.linalg.norm(V, axis=1)
        k0 = np.argmax(lv, axis=1)
        lam[np.arange(len(lam)), k0] = 0.0
        lv[np.arange(len(lam)), k0] = 0.0
        simple = np.max(lv, axis=1) <= _SIMPLE_ZERO
        # modes with lam != 0 are trace-free in exact arithmetic (l A = 0); remove
        # their round-off trace (~1e-16 |A| / gap) along the stationary vector, so
        # the trace is conserved to rounding at every t, not only at t -> inf
        r = np.flatnonzero(simple)
        if r.size:
            V = V.copy()
            s0 = V[r, :, k0[r]]  # (r, d)
            lt = np.einsum("i,rik->rk", trace, V[r]) / (s0 @ trace)[:, None]
            lt[np.arange(r.size), k0[r]] = 0.0
            V[r] -= s0[:, :, None] * lt[:, None, :]
    ok = ok_r[idx]
    if np.any(ok):
        ir = idx[ok]
        Vp = V[ir]
        coef = np.linalg.solve(Vp, x0[ok][..., None].astype(Vp.dtype))[..., 0]  # V^-1 x0
        if trace is not None:
            # exact only for a simple zero eigenvalue (all other modes trace-free);
            # a degenerate kernel (e.g. no dissipation) keeps the solved coefficients
            m = np.flatnonzero(simple[ir])
            j = k0[ir[m]]
            coef[m, j] = (x0[ok][m] @ trace) / (Vp[m, :, j] @ trace)  # Vp[m, :, j]: (m, d)
        arg = lam[ir][:, None, :] * t[None, :, None]  # (m, nt, d)
        with np.errstate(over="ignore", invalid="ignore"):
            # fully decayed modes are exactly 0 (no inf * 0 from a huge Im(lam) t)
            ph = np.where(arg.real < _EXP_UNDERFLOW, 0.0, np.exp(arg))
        out[ok] = (ph * coef[:, None, :]) @ np.swapaxes(Vp, -1, -2)
    for p in np.flatnonzero(~ok_r):
        sel = idx == p
        if np.any(sel):
            E = scipy.linalg.expm(A[p][None] * t[:, None, None])  # (nt, d, d)
            out[sel] = np.einsum("tij,nj->nti", E, x0[sel])
    return out


def _evolve_hermitian(c, H, idx, t, cond_max):
    """rho(t) (n, nt, 4, 4) from Hermitian rho0 = H (n, 4, 4), block by block.

    c: (nr, 10) Hermitian-rate coefficients; idx: (n,) rate point of each H.
    The k = 0 block evolves as the real 6x6 system in (p1..p4, Re rho_23,
    Im rho_23) (the basis of the steady-state kernel), k = -1 (rho_12,
    rho_13, rho_24, rho_34) and k = -2 (rho_14) as complex 4x4 and 1x1
    blocks; the k = +1, +2 blocks are their complex conjugates, so the
    result is Hermitian exactly (real diagonal, mirrored off-diagonals).
    """
    tol = ROUNDOFF_RE * np.max(np.abs(c), axis=1)
    M0 = np.einsum("rk,kij->rij", c.real, K0_REAL_P) + np.einsum("rk,kij->rij", c.imag, K0_REAL_Q)
    B1 = np.einsum("rk,kij->rij", c, KM1_BASIS)
    b2 = c @ KM2_BASIS
    x0 = np.stack(
        [H[:, 0, 0].real, H[:, 1, 1].real, H[:, 2, 2].real, H[:, 3, 3].real, H[:, 1, 2].real, H[:, 1, 2].imag], axis=-1
    )
    # real block and real x0: the complex-conjugate eigenpairs sum to a real x(t)
    r = propagate_blocks(M0, x0, idx, t, cond_max, tol, trace=_TRACE0).real
    iu = (np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]))  # k = -1 entries
    y = propagate_blocks(B1, H[:, iu[0], iu[1]], idx, t, cond_max, tol)
    # 1x1 block: exp(b2 t) directly; Re(b2) round-off above 0 clipped as above
    b2 = np.where((b2.real > 0) & (b2.real <= tol), 1j * b2.imag, b2)
    arg = b2[idx][:, None] * t[None, :]
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.where(arg.real < _EXP_UNDERFLOW, 0.0, np.exp(arg)) * H[:, 0, 3][:, None]
    rho = np.zeros((len(H), t.size, 4, 4), complex)
    for i in range(4):
        rho[..., i, i] = r[..., i]
    rho[..., 1, 2] = r[..., 4] + 1j * r[..., 5]
    rho[..., 2, 1] = r[..., 4] - 1j * r[..., 5]
    rho[..., iu[0], iu[1]] = y
    rho[..., iu[1], iu[0]] = np.conj(y)
    rho[..., 0, 3] = z
    rho[..., 3, 0] = np.conj(z)
    return rho


def evolve(gamma_plus, gamma_minus, lambda12, rho0, times, *, cond_max=EIG_COND_MAX):
    """rho(t) under the master equation of docs/theory.md §6 for many times at once.

    Parameters
    ----------
    gamma_plus, gamma_minus : array_like, shape (..., 2, 2), complex
        Gamma^{qq'}(+w), Gamma^{qq'}(-w) [Gamma0]; Hermitian, as for :func:`~neqent.dynamics.steady.steady_state`.
    lambda12 : array_like, shape (...), complex
        Lambda^{12} [Gamma0].
    rho0 : array_like, shape (..., 4, 4)
        Initial state(s) [1], decoupled basis (see :func:`~neqent.dynamics.states.initial_state`).
        Batch shapes of the rates and ``rho0`` broadcast.
    times : array_like, shape (nt,)
        Times [1/Gamma0], >= 0.
    cond_max : float
        Largest eigenvector-matrix condition number [1] of the
        eigendecomposition before falling back to ``expm`` (see Notes).

    Returns
    -------
    ndarray, shape (..., nt, 4, 4), complex
        rho(t) [1].

    Notes
    -----
    Method: the Liouvillian conserves k = N_i - N_j (module docstring), so
    each block is propagated on its own by eigendecomposition (batched over
    rate points): the k = 0 block as the real 6x6 system of the steady-state
    kernel, the k = -1 block (4x4) and k = -2 block (1x1) complex; the k = +1,
    +2 blocks are filled by complex conjugation. Hence rho(t) is exactly
    Hermitian for Hermitian ``rho0`` (an anti-Hermitian part of ``rho0``, if
    any, is evolved the same way and added: the map is linear). Round-off
    does not grow with t: the stationary mode of the k = 0 block gets
    eigenvalue exactly 0 and the exact trace coefficient (trace conserved to
    rounding, rho(t) -> the steady state), eigenvalues with round-off
    positive real part get Re = 0 (no growth, no overflow; decaying modes
    underflow to 0). A block whose eigenvector matrix has 2-norm condition
    number > ``cond_max`` (default 1e6, near a defective / exceptional
    point, where the expansion loses ~cond * 1e-16) falls back to
    ``scipy.linalg.expm(block * t)`` for every time at that rate point.
    """
    t, r0, shape, rshape, c = _evolve_inputs(gamma_plus, gamma_minus, lambda12, rho0, times, cond_max)
    n = int(np.prod(shape, dtype=np.int64))
    nr = c.shape[0]
    # rate point of each output point (the eigendecomposition is done once per rate point)
    idx = np.broadcast_to(np.arange(nr).reshape(rshape), shape).reshape(n)
    v0 = np.broadcast_to(r0, shape + (4, 4)).reshape(n, 4, 4)
    v0h = np.conj(np.swapaxes(v0, -1, -2))
    rho = _evolve_hermitian(c, 0.5 * (v0 + v0h), idx, t, cond_max)
    anti = 0.5j * (v0h - v0)  # rho0 = H1 + i H2 with H1, H2 Hermitian
    if np.any(anti != 0):
        rho = rho + 1j * _evolve_hermitian(c, anti, idx, t, cond_max)
    return rho.reshape(shape + (t.size, 4, 4))


def evolve_full(gamma_plus, gamma_minus, lambda12, rho0, times, *, cond_max=EIG_COND_MAX):
    """Reference for :func:`evolve`: the whole 16x16 complex Liouvillian at once.

    Same arguments and result. Eigen-expansion V exp(lam t) V^-1 vec(rho0)
    (expm fallback where cond(V) > cond_max). Slow, and its round-off grows
    like |Lambda12| t (non-Hermitian ~1e-15 |Lambda12| t); kept for tests.
    """
    t, r0, shape, rshape, c = _evolve_inputs(gamma_plus, gamma_minus, lambda12, rho0, times, cond_max)
    L = np.einsum("nk,kij->nij", c, SUPEROPERATOR_BASIS).reshape(rshape + (16, 16))
    n = int(np.prod(shape, dtype=np.int64))
    L = np.broadcast_to(L, shape + (16, 16)).reshape(n, 16, 16)
    v0 = np.broadcast_to(r0, shape + (4, 4)).reshape(n, 16)
    out = np.empty((n, t.size, 16), complex)
    lam, V = np.linalg.eig(L)
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(V)
    ok = np.isfinite(cond) & (cond <= cond_max)
    if np.any(ok):
        coef = np.linalg.solve(V[ok], v0[ok][..., None])[..., 0]  # V^-1 vec(rho0)
        ph = np.exp(lam[ok][:, None, :] * t[None, :, None])  # (m, nt, 16)
        out[ok] = np.einsum("mik,mtk,mk->mti", V[ok], ph, coef)
    for p in np.flatnonzero(~ok):
        E = scipy.linalg.expm(L[p][None] * t[:, None, None])  # (nt, 16, 16)
        out[p] = E @ v0[p]
    return out.reshape(shape + (t.size, 4, 4))
