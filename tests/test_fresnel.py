"""Slab Fresnel coefficients (docs/theory.md §3) and the vacuum Green tensor (§4c)."""

import math

import mpmath as mp
import numpy as np
import pytest
from scipy_reference import reference_fresnel

from neqent.electrodynamics.fresnel import slab_coefficients, slab_coefficients_scalar
from neqent.electrodynamics.green import vacuum_green

THETA = np.linspace(0.01, np.pi / 2 - 0.01, 37)
WZ_PROP = np.cos(THETA)


@pytest.mark.parametrize("eps", [6.7, 2.25, 0.5, 0.05])
@pytest.mark.parametrize("k_delta", [0.01, 0.7, 13.0])
def test_lossless_slab_conserves_energy(eps, k_delta):
    """|rho|^2 + |tau|^2 = 1 for real eps and propagative u (both polarisations)."""
    rte, rtm, tte, ttm = slab_coefficients(eps, WZ_PROP, k_delta)
    np.testing.assert_allclose(abs(rte) ** 2 + abs(tte) ** 2, 1.0, atol=1e-14)
    np.testing.assert_allclose(abs(rtm) ** 2 + abs(ttm) ** 2, 1.0, atol=1e-14)


def test_lossy_slab_absorbs():
    rte, rtm, tte, ttm = slab_coefficients(4 + 0.5j, WZ_PROP, 1.0)
    assert np.all(abs(rte) ** 2 + abs(tte) ** 2 < 1)
    assert np.all(abs(rtm) ** 2 + abs(ttm) ** 2 < 1)


@pytest.mark.parametrize("eps", [1e18j, -1e16 + 1e13j])
@pytest.mark.parametrize("k_delta", [0.1, np.inf])
def test_perfect_conductor_limit(eps, k_delta):
    wz = np.concatenate([WZ_PROP, 1j * np.linspace(0.1, 20, 11)])
    rte, rtm, _, _ = slab_coefficients(eps, wz, k_delta)
    np.testing.assert_allclose(rte, -1.0, atol=1e-4)
    np.testing.assert_allclose(rtm, 1.0, atol=1e-4)


def test_thick_slab_tends_to_half_space():
    eps = -4.5 + 0.26j
    wz = np.concatenate([WZ_PROP, 1j * np.linspace(0.01, 30, 21)])
    thick = slab_coefficients(eps, wz, 400.0)
    half = slab_coefficients(eps, wz, np.inf)
    np.testing.assert_allclose(thick[0], half[0], atol=1e-13)
    np.testing.assert_allclose(thick[1], half[1], atol=1e-13)
    assert np.all(half[2] == 0) and np.all(half[3] == 0)
    wm = np.sqrt(eps - 1 + wz**2)
    np.testing.assert_allclose(half[0], (wz - wm) / (wz + wm), atol=1e-14)
    np.testing.assert_allclose(half[1], (eps * wz - wm) / (eps * wz + wm), atol=1e-14)


@pytest.mark.parametrize("eps", [10.33 + 0.0072j, -4.58 + 0.26j, 4 + 0.5j, -6144 + 1464j])
@pytest.mark.parametrize("k_delta", [0.003, 2.0, np.inf])
def test_agrees_with_spec_formula(eps, k_delta):
    """The cancellation-free form equals the literal §3 formulas (benchmarks reference)."""
    wz = np.concatenate([WZ_PROP, 1j * np.geomspace(1e-3, 50, 15)])
    ours = slab_coefficients(eps, wz, k_delta)
    for i, w in enumerate(wz):
        ref = reference_fresnel(eps, complex(w), k_delta)
        for p in (0, 1):
            assert abs(ours[p][i] - ref[p]) <= 1e-11 * max(1.0, abs(ref[p]))
        if w.imag == 0:
            for p in (2, 3):
                assert abs(ours[p][i] - ref[p]) <= 1e-11 * max(1.0, abs(ref[p]))


def test_full_precision_next_to_a_guided_mode_pole():
    """Across the SiC TM0 peak (u - 1 ~ 2e-7, |rho| ~ 1e4) the literal 1 - r^2 e
    loses ~6 digits; the implemented form stays within ~1e-11 of 40-digit
    arithmetic (the conditioning limit is ~1e-12) and beats the literal form."""
    mp.mp.dps = 40
    eps = 10.333180932596436 + 0.007210546891109837j
    kd = 0.3 * 1.495e14 / 299792458.0 * 10e-9
    ours, naive = [], []
    for v in (6.756287e-4, 6.75628805e-4, 6.7563e-4, 6.7564e-4, 6.98135821e-03):
        wz = 1j * v
        got = slab_coefficients_scalar(eps, wz, kd)
        lit = reference_fresnel(eps, wz, kd)
        e_, w_, k_ = mp.mpc(eps), mp.mpc(0, v), mp.mpf(kd)
        wm = mp.sqrt(e_ - 1 + w_**2)
        ee = mp.exp(2j * k_ * wm)
        for p, a in ((0, w_), (1, e_ * w_)):
            r = (a - wm) / (a + wm)
            exact = complex(r * (1 - ee) / (1 - r * r * ee))
            ours.append(abs(got[p] - exact) / abs(exact))
            naive.append(abs(lit[p] - exact) / abs(exact))
    assert max(ours) < 3e-11
    assert max(naive) > 5 * max(ours)


def test_no_overflow_for_large_evanescent_u():
    out = slab_coefficients(4 + 0.5j, 1j * np.array([1e3, 1e6, 1e9]), 50.0)
    for p in (0, 1):
        assert np.all(np.isfinite(out[p]))


def test_vacuum_slab_is_transparent():
    rte, rtm, tte, ttm = slab_coefficients(1.0, WZ_PROP, np.inf)
    assert np.all(rte == 0) and np.all(rtm == 0)
    assert np.all(tte == 1) and np.all(ttm == 1)


def test_scalar_twin_matches_vector_api():
    eps, wz, kd = -4.58 + 0.26j, 0.37 + 0j, 0.02
    assert slab_coefficients(eps, wz, kd) == slab_coefficients_scalar(eps, wz, kd)


@pytest.mark.parametrize("bad", [dict(k_delta=-1.0), dict(k_delta=np.nan), dict(wz=0.5 - 0.1j), dict(eps=np.nan)])
def test_fresnel_bad_input(bad):
    args = dict(eps=4.0, wz=0.5, k_delta=1.0)
    args.update(bad)
    with pytest.raises(ValueError, match=next(iter(bad))):
        slab_coefficients(**args)


# --- vacuum Green tensor (§4c) ------------------------------------------------


def test_vacuum_green_closed_form_and_limits():
    omega = 1.5e14
    k = omega / 299792458.0
    r = np.array([0.4, -1.1, 0.7]) * 1e-6
    g = vacuum_green(omega, r)
    x = k * np.linalg.norm(r)
    n = r / np.linalg.norm(r)
    ph = np.exp(1j * x) / x
    expect = 1.5 * ph * ((1 + 1j / x - 1 / x**2) * np.eye(3) + (-1 - 3j / x + 3 / x**2) * np.outer(n, n))
    np.testing.assert_allclose(g, expect, rtol=1e-13)
    np.testing.assert_allclose(g, g.T, atol=0)
    # Im G0 -> identity at short distance (normalisation of §4c)
    small = vacuum_green(omega, n * 1e-12)
    np.testing.assert_allclose(small.imag, np.eye(3), atol=1e-12)


def test_vacuum_green_rejects_zero_and_bad_input():
    with pytest.raises(ValueError, match="r_vec"):
        vacuum_green(1e14, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="omega"):
        vacuum_green(-1.0, [1e-6, 0, 0])
    with pytest.raises(ValueError, match="r_vec"):
        vacuum_green(1e14, [math.inf, 0, 0])
