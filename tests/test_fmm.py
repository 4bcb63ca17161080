"""The Fourier modal method for lamellar gratings (docs/theory.md §12).

Planar limit against the §9 stack, f = 0, lossless energy balance, reciprocity,
Li's rules against Laurent's, and the peer package grcwa.
"""

import math

import numpy as np
import pytest
from scipy import constants

from neqent.electrodynamics.fmm import LamellarGrating, grating_rt
from neqent.electrodynamics.planar import Stack
from neqent.electrodynamics.stack import stack_coefficients

OMEGA = 1.6e14  # rad/s, between SiC's omega_T and its surface polariton
K0 = OMEGA / constants.c


def _kz(kx, ky, period, n_ord):
    """kz_n / K per order (Nk, M), Im >= 0."""
    orders = np.arange(-n_ord, n_ord + 1)
    kxn = kx[:, None] / K0 + orders[None, :] * 2 * math.pi / (period * K0)
    kz = np.sqrt((1 - kxn**2 - (ky[:, None] / K0) ** 2).astype(complex))
    return np.where(kz.imag < 0, -kz, kz)


KX = np.array([0.3, -0.9, 2.0, 0.05]) * K0
KY = np.array([0.2, 1.5, -0.7, 0.0]) * K0

BELOW = [
    None,
    "sio2",
    Stack([("gold", 50e-9), ("eps=3+0.1j", 200e-9)], None),
    Stack([("hbn", 100e-9)], "sic"),
]


@pytest.mark.parametrize("below", BELOW, ids=["vacuum", "substrate", "stack", "stack-on-substrate"])
@pytest.mark.parametrize("ridge", ["sic", "eps=4+0.2j,-2+0.5j"])
@pytest.mark.parametrize("planar", ["f=1", "eps_r=eps_g"])
def test_planar_limit_is_the_stack(below, ridge, planar):
    """docs/theory.md §12: f = 1 or eps_r = eps_g gives R = diag(rho_p) of the §9 stack (sign convention too)."""
    if planar == "f=1":
        grating = LamellarGrating(1e-6, 1.0, 0.5e-6, ridge, below=below)
    else:
        grating = LamellarGrating(1e-6, 0.4, 0.5e-6, ridge, grooves=ridge, below=below)
    n_ord = 3
    r, t = grating_rt(OMEGA, grating, KX, KY, n_ord)
    (et, ez), _, (l_et, l_ez, l_d, s_et, s_ez) = grating.optics(OMEGA)
    eps_t = np.concatenate(([et], l_et))
    eps_z = np.concatenate(([ez], l_ez))
    kd = np.concatenate(([grating.height], l_d)) * K0
    kz = _kz(KX, KY, grating.period, n_ord)
    diag_r = np.einsum("kii->ki", r)
    assert np.abs(r - diag_r[:, :, None] * np.eye(r.shape[1])).max() < 1e-12
    for p in range(2):
        rho_te, rho_tm, tau_te, tau_tm = stack_coefficients(eps_t, eps_z, kd, s_et, s_ez, kz)
        want = rho_te if p == 0 else rho_tm
        np.testing.assert_allclose(diag_r[:, p::2], want, rtol=0, atol=1e-12)
        tau = tau_te if p == 0 else tau_tm  # |T| on propagating orders (phase not formed there)
        got = np.abs(np.einsum("kii->ki", t)[:, p::2])
        np.testing.assert_allclose(np.where(tau != 0, got, 0), np.abs(tau), rtol=0, atol=1e-12)
    if not grating.vacuum_below:
        assert not np.any(t)


def test_perfect_conductor_signs():
    """A nearly perfect conductor gives R_TE -> -1, R_TM -> +1 with the contract's TM vectors."""
    grating = LamellarGrating(1e-6, 1.0, 1e-6, "eps=-1e8+1e6j")
    r, _ = grating_rt(OMEGA, grating, np.array([0.4 * K0]), np.array([0.3 * K0]), 1)
    np.testing.assert_allclose(r[0, 2, 2], -1, atol=1e-3)
    np.testing.assert_allclose(r[0, 3, 3], 1, atol=1e-3)
