"""The sphere body (exact Mie solution): every check of docs/theory.md §13."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy.constants import c
from scipy.special import spherical_jn, spherical_yn

from neqent.electrodynamics import kernels
from neqent.electrodynamics.green import vacuum_green
from neqent.electrodynamics.mie import mie_coefficients, mie_table, pair_bases, pair_sums
from neqent.electrodynamics.sphere import L_MAX_CAP, Sphere, l_max_for

OMEGA = 1.70e14  # SiC, eps ~ -4.6 + 0.2j: between the sphere and surface resonances (§2, §13)
K = OMEGA / c


def _block(sphere, r1, r2, omega=OMEGA):
    w, m, g = sphere.pair_block(omega, np.asarray(r1, float), np.asarray(r2, float))
    return w[0], m[0], g[0]


# geometries: both above, one beside, on opposite sides, far away
GEOMETRIES = [
    ("above", 1e-6, (0.0, 0.0, 50e-9), (250e-9, 0.0, 120e-9)),
    ("beside", 300e-9, (0.0, 0.0, 30e-9), (340e-9, 100e-9, -300e-9)),
    ("opposite", 500e-9, (0.0, 0.0, 40e-9), (0.0, 30e-9, -1040e-9)),
    ("far", 200e-9, (1e-6, 2e-6, 3e-6), (-2e-6, 0.5e-6, 1e-6)),
    ("large x = 5.7", 10e-6, (0.0, 0.0, 500e-9), (2e-6, 0.0, 300e-9)),
]


# ---------------------------------------------------------------------------
# Mie coefficients


@pytest.mark.parametrize(
    "eps, x",
    [(-4.58 + 0.22j, 0.5), (2.25 + 0.3j, 3.0), (4.0, 10.0), (-4.58 + 0.22j, 0.01), (-30 + 5j, 25.0)],
)
def test_mie_coefficients_match_miepython(eps, x):
    """a_l, b_l from the scaled recurrences equal miepython's (an independent implementation)."""
    miepython = pytest.importorskip("miepython")
    m = np.sqrt(complex(eps))
    a, b = mie_coefficients(x, m, 30)
    ref_a, ref_b = miepython.an_bn(m, x, 30)
    keep = np.abs(ref_a) > 1e-250  # miepython's unscaled values underflow first
    np.testing.assert_allclose(a[keep], ref_a[keep], rtol=1e-10, atol=1e-14 * np.abs(ref_a).max())
    np.testing.assert_allclose(b, ref_b, rtol=1e-10, atol=1e-14 * np.abs(ref_b).max())


def test_scaled_table_finite_to_high_order():
    """tau_l = t_l xi_l^2 and the weights stay finite and bounded to l = 1e4 for a small size parameter."""
    tab = mie_table(1e-3, np.sqrt(-4.58 + 0.22j), 10_000)
    assert np.all(np.isfinite(tab[1:, :5]))
    # tau_l -> -i x/(2l+1) * O(1): bounded, not over- or underflowing
    assert np.abs(tab[1:, 1:3]).max() < 1.0
    assert np.abs(tab[-1, 1]) > 1e-12


# ---------------------------------------------------------------------------
# Identities


def test_vacuum_sphere_is_no_body():
    """eps = 1: M = 0, GR = 0, W = Im G0 (I on the diagonal)."""
    r1, r2 = (0.0, 0.0, 50e-9), (200e-9, 0.0, 80e-9)
    w, m, g = _block(Sphere("vacuum", 500e-9), r1, r2)
    assert np.abs(m).max() == 0.0
    assert np.abs(g).max() < 1e-12
    np.testing.assert_allclose(w[0, 0], np.eye(3), atol=1e-13)
    np.testing.assert_allclose(w[0, 1], vacuum_green(OMEGA, np.subtract(r1, r2)).imag, atol=1e-13)


@pytest.mark.parametrize("material", ["eps=4", "eps=-3"])
def test_lossless_sphere_emits_nothing(material):
    """Real eps: every channel weight Re t - |t|^2 is exactly 0, so alpha_M = 0 exactly (§13)."""
    sphere = Sphere(material, 300e-9)
    w, m, g = _block(sphere, (0.0, 0.0, 20e-9), (100e-9, 0.0, -700e-9))
    assert np.abs(m).max() == 0.0
    assert np.abs(g).max() > 1.0  # the sphere does scatter


@pytest.mark.parametrize("name, radius, r1, r2", GEOMETRIES)
def test_equilibrium_psd_and_reciprocity(name, radius, r1, r2):
    """W + M = Im(G0 + GR) (G0 closed form); 6x6 blocks Hermitian PSD; reciprocity under r1 <-> r2."""
    sphere = Sphere("sic", radius)
    w, m, g = _block(sphere, r1, r2)
    pos = (np.asarray(r1), np.asarray(r2))
    scale = max(np.abs(m).max(), np.abs(w).max())
    for q in range(2):
        for qp in range(2):
            im_g0 = np.eye(3) if q == qp else vacuum_green(OMEGA, pos[q] - pos[qp]).imag
            np.testing.assert_allclose(w[q, qp] + m[q, qp], im_g0 + g[q, qp].imag, rtol=0, atol=1e-11 * scale)
    for a in (w, m):
        big = a.transpose(0, 2, 1, 3).reshape(6, 6)
        np.testing.assert_allclose(big, big.conj().T, atol=1e-13 * np.abs(big).max())
        assert np.linalg.eigvalsh(big).min() > -1e-11 * np.abs(big).max()
    # swap the qubits: an independent evaluation of the pair (2, 1)
    w2, m2, g2 = _block(sphere, r2, r1)
    np.testing.assert_allclose(g2[0, 1], g[0, 1].T, rtol=1e-11, atol=1e-13 * np.abs(g).max())
    np.testing.assert_allclose(m2[0, 1], m[0, 1].conj().T, rtol=1e-11, atol=1e-13 * scale)
    np.testing.assert_allclose(w2[0, 1], w[0, 1].conj().T, rtol=1e-11, atol=1e-13 * scale)
    np.testing.assert_allclose(g2[0, 0], g[1, 1], rtol=1e-12, atol=1e-14 * np.abs(g).max())


def test_rotation_about_the_axis():
    """Rotating both qubits about the z axis rotates the tensors (the sphere sits on the axis)."""
    sphere = Sphere("sic", 400e-9)
    r1, r2 = np.array([30e-9, 0.0, 60e-9]), np.array([450e-9, 50e-9, -200e-9])
    phi = 0.7
    rot = np.array([[np.cos(phi), -np.sin(phi), 0], [np.sin(phi), np.cos(phi), 0], [0, 0, 1]])
    a = _block(sphere, r1, r2)
    b = _block(sphere, rot @ r1, rot @ r2)
    for x, y in zip(a, b):
        np.testing.assert_allclose(y, rot @ x @ rot.T, atol=1e-11 * np.abs(x).max())


@pytest.mark.parametrize("name, radius, r1, r2", GEOMETRIES)
def test_convergence_in_l_max(name, radius, r1, r2):
    """The l_max rule at tol 1e-10 agrees with a tighter rule (tol 1e-14, ~30 % more orders)."""
    loose, tight = Sphere("sic", radius, tol=1e-10), Sphere("sic", radius, tol=1e-14)
    a = _block(loose, r1, r2)
    b = _block(tight, r1, r2)
    assert tight.last_l_max[0] > loose.last_l_max[0]
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-9 * np.abs(y).max())


@pytest.mark.parametrize(
    "r1, r2",
    [
        ((0.3e-6, 0.2e-6, 0.5e-6), (-0.4e-6, 0.1e-6, 0.2e-6)),
        ((0.0, 0.0, 0.6e-6), (0.1e-6, 0.0, -0.7e-6)),
        ((0.2e-6, -0.3e-6, 0.4e-6), (0.2e-6, -0.3e-6, 0.4e-6)),
    ],
)
def test_closed_form_m_sums_rebuild_the_vacuum_green_tensor(r1, r2):
    """Im G0(r1, r2) = 6 pi sum_l (regular waves) with the library's m-sum in closed form (Legendre
    P_l, P_l', P_l'' and the seven tensors E_k, l >= 2 included) against the closed form of G0."""
    lmax = 60
    r1, r2 = np.asarray(r1), np.asarray(r2)
    rads = []
    for r in (r1, r2):
        z = K * np.linalg.norm(r)
        ls = np.arange(lmax + 1)
        j = spherical_jn(ls, z)
        rad = np.zeros((lmax + 1, 6), complex)
        rad[1:, 0] = j[1:]
        rad[1:, 1] = j[:-1] - ls[1:] * j[1:] / z
        rad[1:, 2] = ls[1:] * (ls[1:] + 1) * j[1:] / z
        rads.append(rad)
    tab = np.zeros((lmax + 1, 7), complex)
    tab[:, 1:3] = 1.0  # tau = 1 in both channels: the GR sum becomes the regular-wave sum
    acc = [np.zeros(7, complex) for _ in range(3)]
    u, e = pair_bases(r1 / np.linalg.norm(r1), r2 / np.linalg.norm(r2))
    pair_sums(rads[0], rads[1], u, tab, lmax, 0, *acc)
    im_g0 = 6 * math.pi * np.einsum("s,sab->ab", acc[0], e)
    expected = np.eye(3) if np.array_equal(r1, r2) else vacuum_green(OMEGA, r1 - r2).imag
    np.testing.assert_allclose(im_g0.real, expected, atol=1e-13)
    assert np.abs(im_g0.imag).max() < 1e-13


def plain_mie_block(sphere, omega, r1, r2):
    """GR and alpha_M of the pair block from miepython's a_l, b_l and scipy's unscaled h_l, summed in a plain loop.

    Independent of the scaled recurrences (only the closed-form m-sum, checked against G0 above, is shared);
    overflows (inf/nan) in the near field, where the library's scaled sums are needed.
    """
    import miepython

    k = omega / c
    x = k * sphere.radius
    lmax = int(sphere.l_max(omega, r1[None], r2[None])[0])
    a, b = miepython.an_bn(complex(np.sqrt(sphere.optics(omega))), x, lmax)
    pos = (r1 - sphere.centre, r2 - sphere.centre)
    rad = []
    for p in pos:
        z = k * np.linalg.norm(p)
        ls = np.arange(0, lmax + 1)
        with np.errstate(all="ignore"):
            h = spherical_jn(ls, z) + 1j * spherical_yn(ls, z)
            rad.append((h[1:], (h[:-1] - ls[1:] * h[1:] / z), ls[1:] * (ls[1:] + 1) * h[1:] / z))
    g_out = np.zeros((2, 2, 3, 3), complex)
    m_out = np.zeros((2, 2, 3, 3), complex)
    for q in range(2):
        for qp in range(2):
            u, e = pair_bases(pos[q] / np.linalg.norm(pos[q]), pos[qp] / np.linalg.norm(pos[qp]))
            sg = np.zeros(7, complex)
            sm = np.zeros(7, complex)
            (h1, dh1, y1), (h2, dh2, y2) = rad[q], rad[qp]
            p_prev, p, d_prev, d, dd_prev, dd = 1.0, u, 0.0, 1.0, 0.0, 0.0
            with np.errstate(all="ignore"):
                for n in range(1, lmax + 1):
                    i = n - 1
                    scale = (2 * n + 1) / (4 * math.pi) / (n * (n + 1))
                    f, f1, f2 = scale * p, scale * d, scale * dd
                    wa = a[i].real - abs(a[i]) ** 2
                    wb = b[i].real - abs(b[i]) ** 2
                    o = (dh1[i], y1[i], h1[i], dh2[i], y2[i], h2[i])
                    prods = (o[0] * o[3], o[0] * o[3], o[2] * o[5], o[2] * o[5], o[0] * o[4], o[1] * o[3], o[1] * o[4])
                    prods_c = (
                        o[0] * np.conj(o[3]),
                        o[0] * np.conj(o[3]),
                        o[2] * np.conj(o[5]),
                        o[2] * np.conj(o[5]),
                        o[0] * np.conj(o[4]),
                        o[1] * np.conj(o[3]),
                        o[1] * np.conj(o[4]),
                    )
                    ang = (f2, f1, f2, f1, f1, f1, f)
                    coef = (a[i], a[i], b[i], b[i], a[i], a[i], a[i])
                    wts = (wa, wa, wb, wb, wa, wa, wa)
                    for s in range(7):
                        sg[s] += ang[s] * coef[s] * prods[s]
                        sm[s] += ang[s] * wts[s] * prods_c[s]
                    p_prev, p = p, ((2 * n + 1) * u * p - n * p_prev) / (n + 1)
                    d_prev, d = d, d_prev + (2 * n + 1) * p_prev
                    dd_prev, dd = dd, dd_prev + (2 * n + 1) * d_prev
            g_out[q, qp] = -1j * 6 * math.pi * np.einsum("s,sab->ab", sg, e)
            m_out[q, qp] = 6 * math.pi * np.einsum("s,sab->ab", sm, e)
    return g_out, m_out


@pytest.mark.parametrize("radius, height", [(100e-9, 100e-9), (20e-9, 20e-9), (1e-6, 1e-6)])
def test_scaled_sums_equal_the_plain_unscaled_loop(radius, height):
    """Where unscaled functions still fit in a double, GR and alpha_M equal the plain sums of
    miepython's coefficients with scipy's h_l (off-diagonal pairs included)."""
    sphere = Sphere("sic", radius)
    r1, r2 = np.array([0.0, 0.0, height]), np.array([100e-9, 30e-9, 0.5 * height])
    _, m, g = _block(sphere, r1, r2)
    g_ref, m_ref = plain_mie_block(sphere, OMEGA, r1, r2)
    np.testing.assert_allclose(g, g_ref, rtol=0, atol=1e-11 * np.abs(g).max())
    np.testing.assert_allclose(m, m_ref, rtol=0, atol=1e-11 * np.abs(m).max())


# ---------------------------------------------------------------------------
# Limits


def _ruppin_nonradiative(eps, radius, r, omega=OMEGA, dps=30):
    """Non-radiative decay (radial, tangential) of a dipole at distance r from a sphere's centre [Gamma0].

    Classic Mie results (Ruppin 1982; Kim, Leung & Chew 1988): total minus radiative rate,
    everything in mpmath (unscaled functions at high precision, independent of the code).
    """
    mpmath.mp.dps = dps
    k = mpmath.mpf(omega) / mpmath.mpf(c)
    x, rho = k * radius, k * r
    m = mpmath.sqrt(mpmath.mpc(eps))

    def j(n, z):
        return mpmath.sqrt(mpmath.pi / (2 * z)) * mpmath.besselj(n + mpmath.mpf(1) / 2, z)

    def y(n, z):
        return mpmath.sqrt(mpmath.pi / (2 * z)) * mpmath.bessely(n + mpmath.mpf(1) / 2, z)

    def psi(n, z):  # psi_n and its derivative
        return z * j(n, z), z * j(n - 1, z) - n * j(n, z)

    def xi(n, z):
        h, h1 = j(n, z) + 1j * y(n, z), j(n - 1, z) + 1j * y(n - 1, z)
        return z * h, z * h1 - n * h

    n_max = l_max_for(omega, radius, r, 1e-14)
    g_perp = g_par = rad_perp = rad_par = 0
    for n in range(1, n_max + 1):
        pm, dpm = psi(n, m * x)
        px, dpx = psi(n, x)
        xx, dxx = xi(n, x)
        a = (m * pm * dpx - px * dpm) / (m * pm * dxx - xx * dpm)
        b = (pm * dpx - m * px * dpm) / (pm * dxx - m * xx * dpm)
        jr, (_, dpr), (xr, dxr) = j(n, rho), psi(n, rho), xi(n, rho)
        hr = xr / rho
        g_perp += n * (n + 1) * (2 * n + 1) * a * (hr / rho) ** 2
        g_par += (2 * n + 1) * (b * hr**2 + a * (dxr / rho) ** 2)
        rad_perp += n * (n + 1) * (2 * n + 1) * abs((jr - a * hr) / rho) ** 2
        rad_par += (2 * n + 1) * (abs(jr - b * hr) ** 2 + abs((dpr - a * dxr) / rho) ** 2)
    total_perp = 1 - 1.5 * mpmath.re(g_perp)
    total_par = 1 - 0.75 * mpmath.re(g_par)
    return float(total_perp - 1.5 * rad_perp), float(total_par - 0.75 * rad_par)


@pytest.mark.parametrize("radius, height", [(200e-9, 100e-9), (200e-9, 20e-9)])
def test_one_qubit_alpha_m_is_the_absorbed_share(radius, height):
    """alpha_M^{qq} = Gamma_total - Gamma_radiative of a dipole above the sphere (classic Mie formulas)."""
    sphere = Sphere("sic", radius)
    eps = sphere.optics(OMEGA)
    _, m, _ = _block(sphere, (0.0, 0.0, height), (100e-9, 0.0, 300e-9))
    perp, par = _ruppin_nonradiative(eps, radius, radius + height)
    assert m[0, 0, 2, 2].real == pytest.approx(perp, rel=1e-9)
    assert m[0, 0, 0, 0].real == pytest.approx(par, rel=1e-9)
    assert m[0, 0, 1, 1].real == pytest.approx(par, rel=1e-9)


def test_small_sphere_is_a_point_dipole():
    """K R << 1: alpha_M^{12} = chi G0(r1, r0) G0(r2, r0)^H, chi = Im a - |a|^2 of the radiatively
    corrected polarisability in units of 6 pi / K^3 (§13)."""
    radius = 5e-9
    sphere = Sphere("sic", radius)
    eps = sphere.optics(OMEGA)
    r0 = np.array([0.0, 0.0, -radius])
    r1, r2 = np.array([0.0, 0.0, 150e-9]), np.array([200e-9, 50e-9, 100e-9])
    x = K * radius
    a0 = 2.0 / 3.0 * x**3 * (eps - 1) / (eps + 2)  # K^3 alpha / (6 pi), Clausius-Mossotti
    alpha = a0 / (1 - 1j * a0)  # radiative correction
    chi = alpha.imag - abs(alpha) ** 2
    expected = chi * vacuum_green(OMEGA, r1 - r0) @ vacuum_green(OMEGA, r2 - r0).conj().T
    _, m, _ = _block(sphere, r1, r2)
    np.testing.assert_allclose(m[0, 1], expected, rtol=0, atol=3e-3 * np.abs(expected).max())
    # and the reflected Green tensor is the dipole's re-radiation
    g_expected = alpha * vacuum_green(OMEGA, r1 - r0) @ vacuum_green(OMEGA, r0 - r2)
    _, _, g = _block(sphere, r1, r2)
    np.testing.assert_allclose(g[0, 1], g_expected, rtol=0, atol=3e-3 * np.abs(g_expected).max())


@pytest.mark.parametrize("ratio, reference", [(10, 1.084), (30, 1.023), (100, 1.0056)])
def test_large_sphere_approaches_the_half_space(ratio, reference):
    """K d << 1, R >> d: alpha_M -> half-space value with relative error ~0.56 d/R (SiC, d = 20 nm).

    The reference ratios are the measured ones quoted in §13; ours agree to 5 % of the excess
    (1.0814, 1.0222, 1.0054), and the excess shrinks like d/R.
    """
    d = 20e-9
    sphere = Sphere("sic", ratio * d)
    _, m, _ = _block(sphere, (0.0, 0.0, d), (0.0, 0.0, d))
    _, mp, _ = kernels.pair_block_batch(OMEGA, sphere.optics(OMEGA), np.inf, d, d, 0.0, 0.0)
    got = m[0, 0, 2, 2].real / mp[0, 0, 0, 2, 2].real
    assert abs(got - reference) < 0.05 * (reference - 1)
    assert 0.45 < (got - 1) * ratio < 0.9


def test_micron_sphere_nanometres_above_stays_finite():
    """A qubit 2 nm above a 1 um sphere needs l_max ~ 1e4: finite, and the half-space to ~d/R."""
    d = 2e-9
    sphere = Sphere("sic", 1e-6)
    w, m, g = _block(sphere, (0.0, 0.0, d), (5e-9, 0.0, d))
    assert 3000 < sphere.last_l_max[0] <= L_MAX_CAP
    assert all(np.all(np.isfinite(a)) for a in (w, m, g))
    _, mp, _ = kernels.pair_block_batch(OMEGA, sphere.optics(OMEGA), np.inf, d, d, 5e-9, 0.0)
    np.testing.assert_allclose(m[0, 0, 2, 2].real / mp[0, 0, 0, 2, 2].real, 1.0, atol=0.02)


# ---------------------------------------------------------------------------
# The body interface and bad input


def test_body_members():
    sphere = Sphere("sic", 1e-6)
    assert sphere.kind == "sphere"
    assert sphere.describe() == {"kind": "sphere", "material": "sic", "radius": 1e-6}
    assert sphere.parameters == {"radius": 1e-6}
    assert sphere.top_material.name == "sic"
    assert "sic" in sphere.label and "1e-06" in sphere.label
    assert sphere.with_parameter("radius", 2e-6).radius == 2e-6
    assert isinstance(sphere.optics(OMEGA), complex)
    with pytest.raises(ValueError, match="no parameter 'period'"):
        sphere.with_parameter("period", 1e-6)
    # beside and below the sphere are outside it; the centre is not
    sphere.check_positions([[2e-6, 0.0, -1e-6], [0.0, 0.0, -2.5e-6]])
    w, m, g = sphere.pair_block(OMEGA, [[0.0, 0.0, 1e-7]] * 3, [[2e-7, 0.0, 1e-7]] * 3)
    assert w.shape == m.shape == g.shape == (3, 2, 2, 3, 3)


def test_cached_table_and_frequency_batches_change_nothing():
    """A table grown for a closer qubit, and several frequencies in one call, give the same bits' worth."""
    sphere = Sphere("sic", 1e-6)
    far, near = ([0.0, 0.0, 300e-9], [50e-9, 0.0, 300e-9]), ([0.0, 0.0, 10e-9], [50e-9, 0.0, 10e-9])
    sphere.pair_block(OMEGA, *far)  # table with few orders
    grown = sphere.pair_block(OMEGA, *near)  # needs more: the table is rebuilt
    fresh = Sphere("sic", 1e-6).pair_block(OMEGA, *near)
    for x, y in zip(grown, fresh):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12 * np.abs(y).max())
    omegas = np.array([OMEGA, 1.75e14])
    both = sphere.pair_block(omegas, [far[0], near[0]], [far[1], near[1]])
    assert sphere.last_l_max[0] < sphere.last_l_max[1]
    for n, om in enumerate(omegas):
        one = Sphere("sic", 1e-6).pair_block(om, [far[0], near[0]][n], [far[1], near[1]][n])
        for x, y in zip(both, one):
            np.testing.assert_allclose(x[n], y[0], rtol=1e-12, atol=1e-12 * np.abs(y).max())


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Sphere("sic", 0.0), "radius must be finite and > 0 m, got 0.0"),
        (lambda: Sphere("sic", -1e-6), "radius must be finite and > 0 m"),
        (lambda: Sphere("sic", float("nan")), "radius must be finite and > 0 m"),
        (lambda: Sphere("hbn", 1e-6), "uniaxial"),
        (lambda: Sphere("sic", 1e-6).check_positions([0.0, 0.0, -0.5e-6]), r"inside the sphere of radius 1e-06 m"),
        (lambda: Sphere("sic", 1e-6).pair_block(OMEGA, [0, 0, 1e-7], [0, 0, -1e-6]), "inside the sphere"),
        (
            lambda: Sphere("sic", 1e-6).pair_block(OMEGA, [0, 0, 1e-11], [0, 0, 1e-7]),
            r"1e-11 m from the surface of a sphere of radius 1e-06 m needs l_max = \d+ .* cap 20000",
        ),
    ],
)
def test_bad_input_one_line(make, match):
    with pytest.raises(ValueError, match=match) as info:
        make()
    assert "\n" not in str(info.value)
