"""Vacuum Green tensor in closed form (docs/theory.md §4c).

Normalised so that the vacuum value of Im G_ii(r, r) is 1::

    G0 = 3/2 e^{iX}/X [ (1 + i/X - 1/X^2) I + (-1 - 3i/X + 3/X^2) n n^T ],
    X = K |r|, K = omega/c, n = r/|r|.

For small X the bracket cancels (1/X^3 terms); the imaginary part is then
evaluated from its Taylor series (Im G0 -> I as X -> 0) so that the
identity alpha_W^{12} = Im G0 holds to full precision at short distances.
"""

from __future__ import annotations

import cmath
import math

import numpy as np
from scipy.constants import c as C_LIGHT

from neqent.jit import njit
from neqent.validation import positive

__all__ = ["vacuum_green", "vacuum_green_batch", "vacuum_green_scalar"]


@njit
def _im_coefficients_series(x):
    """Im of the two scalar coefficients (a, b) with G0 = a I + b n n^T, small x.

    a = 3/2 Im[e^{iX}/X (1 + i/X - 1/X^2)], b = 3/2 Im[e^{iX}/X (-1 - 3i/X + 3/X^2)]
    Series in x^2 (exact up to the truncation, used for x < 0.5).
    """
    # Im a = 3/2 [ j0(x) - j1(x)/x ] with spherical Bessel j0, j1;
    # Im b = 3/2 [ -j0(x) + 3 j1(x)/x ] = 3/2 j2(x).
    # Series: j0 = sum (-1)^k x^2k/(2k+1)!, j1/x = sum (-1)^k (2k+2) x^2k/(2k+3)!
    x2 = x * x
    j0 = 0.0
    j1x = 0.0
    j2 = 0.0
    term = 1.0  # (-1)^k x^2k
    for k in range(12):
        f1 = math.gamma(2.0 * k + 2.0)  # (2k+1)!
        f3 = math.gamma(2.0 * k + 4.0)  # (2k+3)!
        f5 = math.gamma(2.0 * k + 6.0)  # (2k+5)!
        j0 += term / f1
        j1x += term * (2.0 * k + 2.0) / f3
        # j2(x) = sum (-1)^k x^(2k+2) (2k+2)(2k+4)/(2k+5)!
        j2 += term * x2 * (2.0 * k + 2.0) * (2.0 * k + 4.0) / f5
        term *= -x2
    return 1.5 * (j0 - j1x), 1.5 * j2


@njit
def vacuum_green_scalar(kx, ky, kz, out):
    """Fill ``out`` with G0 for the dimensionless vector K r (§4c); numba scalar kernel.

    Parameters
    ----------
    kx, ky, kz : float
        Components of K r [1] (K = omega / c), not all zero.
    out : ndarray, shape (3, 3), complex
        Receives G~0 [1] (units of the vacuum value).
    """
    x = math.sqrt(kx * kx + ky * ky + kz * kz)
    n0 = kx / x
    n1 = ky / x
    n2 = kz / x
    ph = cmath.exp(1j * x) / x
    ix = 1.0 / x
    a = 1.5 * ph * (1.0 + 1j * ix - ix * ix)
    b = 1.5 * ph * (-1.0 - 3j * ix + 3.0 * ix * ix)
    if x < 0.5:
        ia, ib = _im_coefficients_series(x)
        a = complex(a.real, ia)
        b = complex(b.real, ib)
    n = (n0, n1, n2)
    for i in range(3):
        for j in range(3):
            out[i, j] = b * n[i] * n[j]
        out[i, i] += a


@njit
def _vacuum_green_loop(kr, out):
    for p in range(kr.shape[0]):
        vacuum_green_scalar(kr[p, 0], kr[p, 1], kr[p, 2], out[p])


def vacuum_green_batch(omega, r_vec):
    """:func:`vacuum_green` over N points.

    Parameters
    ----------
    omega : float or array_like, shape (N,)
        Angular frequency [rad/s], finite and > 0.
    r_vec : array_like, shape (N, 3)
        Separation vectors R_q - R_q' [m], finite and non-zero.

    Returns
    -------
    ndarray, shape (N, 3, 3), complex
        G~0 [1] (normalised, §4c).
    """
    r = np.asarray(r_vec, dtype=float)
    if r.ndim != 2 or r.shape[1] != 3 or not np.all(np.isfinite(r)):
        raise ValueError(f"r_vec must be an (N, 3) array of finite lengths in m, got shape {r.shape}")
    if np.any(np.all(r == 0, axis=1)):
        raise ValueError("r_vec must be non-zero (G0 diverges at r = 0; use Im G0 = I)")
    w = np.broadcast_to(positive("omega", omega, "rad/s"), r.shape[:1])
    out = np.empty((r.shape[0], 3, 3), dtype=complex)
    _vacuum_green_loop(np.ascontiguousarray(r * (w / C_LIGHT)[:, None]), out)
    return out


def vacuum_green(omega, r_vec):
    """Normalised vacuum Green tensor G~0(r) of docs/theory.md §4c.

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], finite and > 0.
    r_vec : array_like, shape (3,)
        Separation vector R_q - R_q' [m], finite, not all zero.

    Returns
    -------
    ndarray, shape (3, 3), complex
        G~0 [1], in units of the vacuum value w^3/(6 pi eps0 c^3), so
        Im G0 -> identity as r -> 0.
    """
    omega = float(positive("omega", omega, "rad/s"))
    r = np.asarray(r_vec, dtype=float)
    if r.shape != (3,) or not np.all(np.isfinite(r)):
        raise ValueError(f"r_vec must be 3 finite components in m, got {r_vec!r}")
    if not np.any(r != 0):
        raise ValueError("r_vec must be non-zero (G0 diverges at r = 0; use Im G0 = I)")
    k = omega / C_LIGHT
    out = np.empty((3, 3), dtype=complex)
    vacuum_green_scalar(k * r[0], k * r[1], k * r[2], out)
    return out
