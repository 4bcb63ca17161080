"""Reflection/transmission operators of a planar stack seen as a grating of any period (docs/theory.md §12b).

A planar body is a grating whose operators are diagonal in the orders: order n
of Bloch vector k sees the stack's rho_p, tau_p (docs/theory.md §9) at
u = |k_n|/K. Evaluating it with a fictitious period D changes the folding of
the k integral (the Rayleigh circles, the orders) but not the physics, so the
mode sums of :mod:`neqent.electrodynamics.grating_kernels` must reproduce the
planar kernels exactly: the reference operators for the grating tests, and
the f = 1 / f = 0 limits of a real grating.
"""

from __future__ import annotations

import numpy as np
from scipy.constants import c as C_LIGHT

from neqent.electrodynamics.fresnel import sqrt_im_pos
from neqent.electrodynamics.stack import medium_table, stack_coefficients_table
from neqent.jit import njit

__all__ = ["planar_operators"]


@njit
def _fill(med, kd, qx, qy, need_tau, r_out, t_out):
    nk, m = qx.shape
    for k in range(nk):
        for n in range(m):
            a2 = (1.0 - qx[k, n]) * (1.0 + qx[k, n])
            wz = sqrt_im_pos(a2 - qy[k] * qy[k] + 0j)
            rte, rtm, tte, ttm = stack_coefficients_table(med, kd, wz, need_tau and wz.imag == 0.0)
            r_out[k, 2 * n, 2 * n] = rte
            r_out[k, 2 * n + 1, 2 * n + 1] = rtm
            t_out[k, 2 * n, 2 * n] = tte
            t_out[k, 2 * n + 1, 2 * n + 1] = ttm


def planar_operators(omega, eps_t, eps_z, thickness, sub_eps_t, sub_eps_z, period, orders):
    """A provider ``rt(kx, ky) -> (R, T)`` for a planar stack with a fictitious period.

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    eps_t, eps_z : sequence of complex
        In-plane and axial permittivities of the layers, top first [1] (empty: a bare substrate).
    thickness : sequence of float
        Layer thicknesses [m].
    sub_eps_t, sub_eps_z : complex
        Medium below [1] (1, 1 for vacuum).
    period : float
        The fictitious period D [m], > 0.
    orders : int
        N: orders -N..N [1].

    Returns
    -------
    callable
        ``rt(kx, ky)``: arrays (Nk,) [rad/m] -> ``R, T`` (Nk, 2M, 2M) complex, T None with
        a substrate. T carries |tau_p| (its phase never enters the kernels for a planar body).
    """
    k0 = omega / C_LIGHT
    g = 2 * np.pi / period
    et = np.ascontiguousarray(np.atleast_1d(np.asarray(eps_t, complex)))
    ez = np.ascontiguousarray(np.atleast_1d(np.asarray(eps_z, complex)))
    kd = np.ascontiguousarray(np.atleast_1d(np.asarray(thickness, float)) * k0)
    med = medium_table(et, ez, complex(sub_eps_t), complex(sub_eps_z))
    vac_below = complex(sub_eps_t) == 1 and complex(sub_eps_z) == 1
    n = np.arange(-orders, orders + 1)

    def rt(kx, ky):
        kx = np.asarray(kx, float)
        ky = np.asarray(ky, float)
        qx = np.ascontiguousarray((kx[:, None] + n[None, :] * g) / k0)
        m2 = 2 * n.size
        r = np.zeros((kx.size, m2, m2), complex)
        t = np.zeros((kx.size, m2, m2), complex)
        _fill(med, kd, qx, np.ascontiguousarray(ky / k0), vac_below, r, t)
        return r, (t if vac_below else None)

    return rt
