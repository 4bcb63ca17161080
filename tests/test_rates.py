"""Rates, occupations and effective temperatures (docs/theory.md §5, §8)."""

import numpy as np
import pytest
from scipy import constants

from neqent.dynamics.rates import Geometry, effective_temperature, gamma0, occupation, rates, symmetric_channels

W = 0.3 * 1.495e14


def test_occupation_limits_and_inverse():
    T = np.array([0.0, 1.0, 30.0, 300.0, 3000.0])
    n = occupation(W, T)
    assert n[0] == 0.0
    # classical limit n -> kT/(hbar w) - 1/2
    hot = occupation(W, 1e7)
    assert hot == pytest.approx(constants.k * 1e7 / (constants.hbar * W) - 0.5, rel=1e-9)
    np.testing.assert_allclose(effective_temperature(W, n), T, rtol=1e-12, atol=0)


def test_occupation_rejects_negative_temperature():
    with pytest.raises(ValueError, match="temperature must be finite and >= 0 K"):
        occupation(W, -1.0)


def test_gamma0_vacuum_rate_of_a_debye_dipole():
    d = 3.33564e-30  # 1 debye in C m
    expected = d**2 * W**3 / (3 * np.pi * constants.epsilon_0 * constants.hbar * constants.c**3)
    assert gamma0(W, d) == pytest.approx(expected, rel=1e-14)


def test_rates_detailed_balance_single_bath():
    # One bath at temperature T: Gamma(-w) / Gamma(+w) = n/(1+n) = exp(-hbar w / kT).
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    aW = a @ a.conj().T
    n = occupation(W, 500.0)
    gp, gm = rates(aW, np.zeros((2, 2)), n, n)
    np.testing.assert_allclose(gm, np.conj(gp) * n / (1 + n), rtol=1e-14)


def test_symmetric_channels_reduce_to_bath_occupation_in_equilibrium():
    aW = np.array([[0.8, 0.3], [0.3, 0.8]], complex)
    aM = np.array([[1.5, 1.2], [1.2, 1.5]], complex)
    n = occupation(W, 400.0)
    gA, gS, nA, nS = symmetric_channels(aW, aM, n, n)
    assert gA == pytest.approx(0.8 - 0.3 + 1.5 - 1.2)
    assert gS == pytest.approx(0.8 + 0.3 + 1.5 + 1.2)
    assert nA == pytest.approx(n, rel=1e-14) and nS == pytest.approx(n, rel=1e-14)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"z1": -1e-6}, "z1 must be finite and > 0"),
        ({"z2": 0.0}, "z2 must be finite and > 0"),
        ({"delta": 0.0}, "delta must be > 0"),
        ({"delta": float("nan")}, "delta must be > 0"),
        ({"r12": -1e-7}, "r12 must be >= 0"),
        ({"r12": 0.0}, "same position"),
        ({"dipole1": (0, 0, 0)}, "dipole1 must be a non-zero"),
        ({"dipole2": (1, 0)}, "dipole2 must be a 3-vector"),
        ({"material": "kryptonite"}, "unknown material"),
    ],
)
def test_geometry_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Geometry(**kwargs)


def test_geometry_normalises_dipoles_and_vector_separation():
    g = Geometry(r12=(1e-7, 2e-7), dipole1=(0, 0, 2), dipole2=(1j, 0, 0))
    np.testing.assert_allclose(g.d1, [0, 0, 1])
    np.testing.assert_allclose(g.d2, [1j, 0, 0])
    assert g.r12 == (1e-7, 2e-7)
