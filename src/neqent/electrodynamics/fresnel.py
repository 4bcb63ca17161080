"""Slab Fresnel coefficients (docs/theory.md §3).

A slab of relative permittivity ``eps`` and thickness ``delta`` in vacuum.
Everything here is dimensionless [1]: the caller passes the vacuum normal
wavenumber ``wz`` [K = omega/c] and ``k_delta = K * delta``.

Cancellation-free form used throughout (A = wz for TE, A = eps*wz for TM,
B = w_m, e = exp(2 i k_delta w_m), em1 = e - 1 computed with expm1)::

    r   = (A - B)/(A + B) = (A^2 - B^2) / (A + B)^2
    rho = r (1 - e)/(1 - r^2 e)         = -(A^2 - B^2) em1 / Dn
    tau = (1 - r^2) e^{i k_delta (w_m - w_z)} / (1 - r^2 e) = 4 A B e^{...} / Dn
    Dn  = (A + B)^2 - (A - B)^2 e       = 4 A B - (A - B)^2 em1

with A^2 - B^2 = 1 - eps (TE) and (eps - 1)((eps + 1) wz^2 - 1) (TM) written
out exactly, so no digits are lost near u = 1 (wz -> 0) or near guided-mode
poles, where the naive ``1 - r^2 e`` loses ~7 digits (docs/theory.md §4e).
``w_m - w_z = (eps - 1)/(w_m + w_z)`` likewise.

``|e| = exp(-2 k_delta Im w_m) <= 1`` because Im w_m >= 0, so e never
overflows; ``k_delta = inf`` is the half-space (rho = r, tau = 0).
``eps == 1`` exactly is "no body": rho = 0, tau = 1 for every thickness
(including inf). ``tau`` is physical for propagative wz (real); for evanescent wz it carries
the factor exp(K v delta) of the phase convention of docs/theory.md §3 and may overflow to
inf for very thick slabs (it is never used there).
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from neqent.jit import njit

__all__ = ["slab_coefficients", "slab_coefficients_scalar", "medium_wz"]


@njit
def sqrt_im_pos(z):
    """Square root of a complex number on the branch Im >= 0.

    Parameters
    ----------
    z : complex
        Argument [1].

    Returns
    -------
    complex
        sqrt(z) with Im >= 0 (Re >= 0 on the real axis) [1].
    """
    s = cmath.sqrt(z)
    if s.imag < 0.0 or (s.imag == 0.0 and s.real < 0.0):
        s = -s
    return s


@njit
def cexpm1(z):
    """exp(z) - 1 for complex z without cancellation when ``|z|`` is small.

    Parameters
    ----------
    z : complex
        Exponent [1].

    Returns
    -------
    complex
        exp(z) - 1 [1].
    """
    x = z.real
    y = z.imag
    em = math.expm1(x)
    sh = math.sin(0.5 * y)
    re = em * math.cos(y) - 2.0 * sh * sh
    im = math.exp(x) * math.sin(y)
    return complex(re, im)


@njit
def medium_wz(eps, wz):
    """Normal wavenumber in the medium, w_m = sqrt((eps - 1) + wz^2), Im w_m >= 0 (docs/theory.md §3, §4e).

    Parameters
    ----------
    eps : complex
        Relative permittivity [1].
    wz : complex
        Vacuum normal wavenumber w_z [K = omega/c], Im >= 0.

    Returns
    -------
    complex
        w_m [K].
    """
    return sqrt_im_pos((eps - 1.0) + wz * wz)


@njit
def _one_polarisation(a, b, a2mb2, em1, tphase, half_space):
    """rho, tau for one polarisation given A, B, A^2 - B^2 (exact), em1, tau phase."""
    apb = a + b
    if half_space:
        return a2mb2 / (apb * apb), 0.0j
    amb = a2mb2 / apb  # A - B without cancellation
    four_ab = 4.0 * a * b
    dn = four_ab - amb * amb * em1
    rho = -a2mb2 * em1 / dn
    tau = four_ab * tphase / dn
    return rho, tau


@njit
def slab_coefficients_scalar(eps, wz, k_delta):
    """Slab coefficients (rho_te, rho_tm, tau_te, tau_tm) at one point (docs/theory.md §3).

    Parameters
    ----------
    eps : complex
        Relative permittivity of the slab [1].
    wz : complex
        Vacuum normal wavenumber w_z [K = omega/c], Im >= 0, from the
        substitution variable (cos(theta) or i*sinh(t)).
    k_delta : float
        K * delta [1], > 0; inf for a half-space.

    Returns
    -------
    rho_te, rho_tm, tau_te, tau_tm : complex
        Reflection and transmission coefficients [1].
    """
    if eps == 1.0:
        # no body at all: rho = 0, tau = 1 for every thickness (the delta -> inf
        # limit of §3 at eps = 1; tau = 0 below holds only for a lossy medium)
        return 0.0j, 0.0j, 1.0 + 0.0j, 1.0 + 0.0j
    wm = medium_wz(eps, wz)
    half_space = math.isinf(k_delta)
    if half_space:
        em1 = -1.0 + 0.0j
        tphase = 0.0j
    else:
        em1 = cexpm1(2j * k_delta * wm)
        # w_m - w_z = (eps - 1)/(w_m + w_z): no cancellation, no overflow for
        # large evanescent u.
        tphase = cmath.exp(1j * k_delta * (eps - 1.0) / (wm + wz))
    rte, tte = _one_polarisation(wz, wm, 1.0 - eps, em1, tphase, half_space)
    a2mb2_tm = (eps - 1.0) * ((eps + 1.0) * wz * wz - 1.0)
    rtm, ttm = _one_polarisation(eps * wz, wm, a2mb2_tm, em1, tphase, half_space)
    return rte, rtm, tte, ttm


@njit
def _slab_loop(eps, wz, kd, out):
    for i in range(eps.shape[0]):
        r1, r2, t1, t2 = slab_coefficients_scalar(eps[i], wz[i], kd[i])
        out[0, i] = r1
        out[1, i] = r2
        out[2, i] = t1
        out[3, i] = t2


def slab_coefficients(eps, wz, k_delta):
    """Vectorised slab Fresnel coefficients of docs/theory.md §3.

    Parameters
    ----------
    eps : complex or array_like
        Relative permittivity of the slab [1].
    wz : complex or array_like
        Vacuum normal wavenumber w_z [K = omega/c], Im >= 0: real in [0, 1] for
        propagative waves, i*sqrt(u^2 - 1) for evanescent ones. Pass it from the
        substitution variable, not sqrt(1-u^2).
    k_delta : float or array_like
        K * delta [1], >= 0 (``np.inf`` for a half-space).

    All three broadcast against each other.

    Returns
    -------
    rho_te, rho_tm, tau_te, tau_tm : ndarray or complex
        Reflection and transmission coefficients [1], complex arrays of the
        broadcast shape (Python complex for all-scalar input).
    """
    e, w, k = np.broadcast_arrays(
        np.asarray(eps, dtype=complex), np.asarray(wz, dtype=complex), np.asarray(k_delta, dtype=float)
    )
    if np.any(np.isnan(k)) or np.any(k < 0):
        raise ValueError(f"k_delta must be >= 0 (inf allowed), got {k_delta!r}")
    if np.any(w.imag < 0):
        raise ValueError(f"wz must have Im >= 0 (branch of docs/theory.md §3), got {wz!r}")
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(w))):
        raise ValueError("eps and wz must be finite complex numbers")
    shape = e.shape
    out = np.empty((4, e.size), dtype=complex)
    _slab_loop(e.ravel().copy(), w.ravel().copy(), k.ravel().copy(), out)
    res = tuple(o.reshape(shape) for o in out)
    if shape == ():
        return tuple(complex(x) for x in res)
    return res
