"""The Fourier modal method for lamellar gratings (docs/theory.md §12).

Planar limit against the §9 stack, f = 0, lossless energy balance, reciprocity,
Li's rules against Laurent's, and the peer package grcwa.
"""

import math

import numpy as np
import pytest
from scipy import constants
from threadpoolctl import threadpool_limits

from neqent.electrodynamics.fmm import (
    LamellarGrating,
    diffraction_orders,
    grating_rt,
    orders_for,
    toeplitz_permittivity,
    transmission_from_below,
)
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


def test_vacuum_grooves_at_zero_fill_are_no_body():
    """f = 0 with vacuum grooves and vacuum below: R = 0 and T = diag(exp(i kz_n h)) (the layer's phase)."""
    grating = LamellarGrating(2e-6, 0.0, 0.7e-6, "sic")
    n_ord = 4
    r, t = grating_rt(OMEGA, grating, KX, KY, n_ord)
    assert np.abs(r).max() < 1e-12
    phase = np.repeat(np.exp(1j * _kz(KX, KY, grating.period, n_ord) * K0 * grating.height), 2, axis=1)
    expected = phase[:, :, None] * np.eye(r.shape[1])
    np.testing.assert_allclose(t, expected, rtol=0, atol=1e-12)


def _flux_balance(r, t, kz):
    """Reflected + transmitted flux over propagating orders per propagating incident channel."""
    w = np.repeat(np.where(kz.imag == 0, kz.real, 0.0), 2, axis=1)  # flux of a unit wave ~ Re kz / K
    out = []
    for k in range(r.shape[0]):
        cols = np.flatnonzero(w[k] > 0)
        flux = (w[k][:, None] * (np.abs(r[k]) ** 2 + np.abs(t[k]) ** 2)).sum(axis=0)
        out.append(flux[cols] / w[k][cols])
    return np.concatenate(out)


@pytest.mark.parametrize("below", [None, Stack([("eps=2.1", 0.4e-6)], None)], ids=["vacuum", "lossless-stack"])
def test_lossless_grating_conserves_energy(below):
    """docs/theory.md §12: lossless, sum over propagating orders of |R|^2 + |T|^2 (weighted by kz) = 1.

    D = 6 lambda-ish: several propagating orders in conical incidence, TE and TM mixed."""
    period = 3 * 2 * math.pi / K0
    grating = LamellarGrating(period, 0.37, 1.3e-6, "eps=6,3", grooves="eps=1.5", below=below)
    kx = np.array([0.13, -0.41]) * K0
    ky = np.array([0.31, -0.2]) * K0
    n_ord = 12
    r, t = grating_rt(OMEGA, grating, kx, ky, n_ord)
    kz = _kz(kx, ky, period, n_ord)
    balance = _flux_balance(r, t, kz)
    assert balance.size >= 20  # several propagating orders, both polarisations
    np.testing.assert_allclose(balance, 1.0, rtol=0, atol=1e-12)  # measured 1.1e-15
    assert np.abs(r).max() > 0.05 and np.count_nonzero(np.abs(r[:, 0::2, 1::2]) > 1e-3)  # TE-TM mixing


def test_lossy_grating_absorbs():
    """A SiC grating absorbs: the flux balance is < 1 on every propagating channel (the test above can fail)."""
    grating = LamellarGrating(3e-6, 0.5, 0.5e-6, "sic")
    r, t = grating_rt(OMEGA, grating, KX[:2], KY[:2] * 0.3, 8)
    balance = _flux_balance(r, t, _kz(KX[:2], KY[:2] * 0.3, grating.period, 8))
    assert np.all(balance < 1 - 1e-4) and np.all(balance > 0)


@pytest.mark.parametrize(
    "below", [None, Stack([("hbn", 0.1e-6)], "sio2")], ids=["free-standing", "on-uniaxial-stack-and-substrate"]
)
@pytest.mark.parametrize("ridge", ["sic", "eps=4+0.2j,-2+0.5j"])
def test_reciprocity(below, ridge):
    """docs/theory.md §12: kz_n R[n p, m p'](k) = s kz_m R[-m p', -n p](-k), s = -1 when exactly one of p, p' is TE.

    It follows from G(r, r') = G(r', r)^T with e_TE(-k) = -e_TE(k) and e_TM^-(k) = e_TM^+(-k)."""
    grating = LamellarGrating(2.5e-6, 0.3, 0.6e-6, ridge, below=below)
    n_ord = 6
    kx = np.array([0.21, -0.37]) * K0
    ky = np.array([0.45, 1.3]) * K0
    r, _ = grating_rt(OMEGA, grating, kx, ky, n_ord)
    r_minus, _ = grating_rt(OMEGA, grating, -kx, -ky, n_ord)
    kz = np.repeat(_kz(kx, ky, grating.period, n_ord), 2, axis=1)
    size = r.shape[1]
    pol = np.arange(size) % 2
    sign = np.where(pol[:, None] + pol[None, :] == 1, -1.0, 1.0)
    # index (n p) -> (-n p): reverse the order index, keep the polarisation
    flip = (size - 2 - 2 * (np.arange(size) // 2)) + pol
    lhs = kz[:, :, None] * r
    unsigned = kz[:, None, :] * r_minus[:, flip][:, :, flip].transpose(0, 2, 1)
    scale = np.abs(lhs).max()
    np.testing.assert_allclose(lhs, sign * unsigned, rtol=0, atol=1e-11 * scale)  # measured 1.2e-13
    assert np.abs(lhs - unsigned).max() > 1e-3 * scale  # the TE/TM sign matters


def _zeroth_order_tm(n_ord, li_rules, period=3e-6):
    grating = LamellarGrating(period, 0.5, 1e-6, "sic")
    r, _ = grating_rt(OMEGA, grating, np.array([0.21 * K0]), np.array([0.33 * K0]), n_ord, li_rules=li_rules)
    return r[0, 2 * n_ord : 2 * n_ord + 2, 2 * n_ord : 2 * n_ord + 2]


def test_li_rules_converge_faster_for_sic():
    """docs/theory.md §12: TM on SiC ridges (Re eps ~ -16) converges with Li's rules, not with Laurent's.

    Reference: Li's rules at N = 100. Measured: Li 7e-3, 1.2e-3, 2.8e-4 at N = 10, 20, 40;
    Laurent 1.8e-2, 5.3e-3, 2.2e-2 (no convergence)."""
    ref = _zeroth_order_tm(100, True)
    err_li = [np.abs(_zeroth_order_tm(n, True) - ref).max() for n in (10, 20, 40)]
    err_laurent = [np.abs(_zeroth_order_tm(n, False) - ref).max() for n in (10, 20, 40)]
    assert err_li[0] > err_li[1] > err_li[2] and err_li[2] < 5e-4
    assert err_li[2] < err_li[0] / 10
    assert min(err_laurent) > 3 * err_li[1] and err_laurent[2] > 30 * err_li[2]


def test_toeplitz_is_the_fourier_series_of_the_profile():
    """The analytic sinc coefficients equal a fine numerical Fourier integral of the rect profile."""
    fill, m = 0.3, 7
    t = toeplitz_permittivity(5.0 + 1j, 2.0, fill, m)
    x = (np.arange(200000) + 0.5) / 200000 - 0.5  # one period, units of D
    prof = np.where(np.abs(x) < fill / 2, 5.0 + 1j, 2.0)
    for n in range(-(m - 1), m):
        c = np.mean(prof * np.exp(-2j * math.pi * n * x))
        row, col = (n, 0) if n >= 0 else (0, -n)
        assert abs(t[row, col] - c) < 1e-5
    np.testing.assert_allclose(t, t.T)  # symmetric profile: c_m = c_-m


def test_orders_for_rule_and_cap():
    grating = LamellarGrating(1e-6, 0.5, 0.5e-6, "sic")
    n = orders_for(OMEGA, grating, 0.2e-6, tol=1e-6)
    # the last order kept decays by < tol at z_min, the rule's premise
    g = 2 * math.pi / grating.period
    assert math.exp(-math.sqrt((n * g) ** 2 - K0**2) * 0.2e-6) < 1e-6
    assert orders_for(OMEGA, grating, 0.2e-6, tol=1e-3) < n
    assert orders_for(OMEGA, grating, 5e-6) == 8  # far qubits: the floor n_min
    with pytest.raises(ValueError, match=r"orders needed \d+ exceed the cap 60: period 5e-05 m too large"):
        orders_for(OMEGA, LamellarGrating(50e-6, 0.5, 1e-6, "sic"), 0.1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fill": 1.5}, r"fill must be in \[0, 1\], got 1.5"),
        ({"fill": -0.1}, r"fill must be in \[0, 1\]"),
        ({"period": 0.0}, "period must be finite and > 0 m, got 0.0"),
        ({"period": -1e-6}, "period must be finite and > 0 m"),
        ({"height": 0}, "height must be finite and > 0 m, got 0"),
        ({"height": float("nan")}, "height must be finite and > 0 m"),
        ({"ridge": "unobtainium"}, "unknown material 'unobtainium'"),
    ],
)
def test_bad_grating_is_one_line_value_error(kwargs, message):
    args = {"period": 1e-6, "fill": 0.5, "height": 0.5e-6, "ridge": "sic"} | kwargs
    with pytest.raises(ValueError, match=message) as info:
        LamellarGrating(**args)
    assert "\n" not in str(info.value)


def test_bad_solver_input():
    grating = LamellarGrating(1e-6, 0.5, 0.5e-6, "sic")
    with pytest.raises(ValueError, match="n_orders must be an integer >= 0, got -1"):
        grating_rt(OMEGA, grating, [0.0], [0.0], -1)
    with pytest.raises(ValueError, match="kx and ky must be 1-d arrays of one shape"):
        grating_rt(OMEGA, grating, [0.0, 1.0], [0.0], 2)


# ---------------------------------------------------------------------------
# Peer cross-check: grcwa (test-only dependency, used as a library)


def _grcwa_column(omega, grating, kx, ky, n_ord, nx=40002):
    """grcwa's R column on one BLAS thread (its 2M eigenproblems thrash with threads on a loaded machine)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _grcwa_column_threaded(omega, grating, kx, ky, n_ord, nx)


def _grcwa_column_threaded(omega, grating, kx, ky, n_ord, nx):
    """R[n p, 0 p'] (2M, 2) of grcwa for a free-standing grating, converted to the contract's basis.

    grcwa: exp(-i omega t) like neqent, c = 1, lengths here in units of D, 2-d lattices only
    (a second period D/500 along y leaves only the orders (n, 0) among the 2N + 1 kept:
    the circular truncation sorts by |G| and grcwa drops an incomplete shell, hence 2N + 2
    asked). Its layers stack along +z' = -z, a mirror that keeps E_x, E_y: compare tangential
    E. The layer is an nx-pixel grid (Fourier coefficients of the pixelated rect differ from
    the sinc by ~(pi m/nx)^2/6). grcwa's amplitudes are H_x, H_y Fourier components; we set
    the incident one so that its tangential E is e_p'^-(k)'s, and project the reflected
    tangential E on e_TE, e_TM^+ order by order. grcwa uses Laurent's rule for every
    component (no Li factorisation).
    """
    grcwa = pytest.importorskip("grcwa")
    k_d = omega / constants.c * grating.period
    theta = math.asin(math.hypot(kx, ky) * grating.period / k_d)
    obj = grcwa.obj(2 * n_ord + 2, [1.0, 0], [0, 0.002], k_d / (2 * math.pi), theta, math.atan2(ky, kx), verbose=0)
    (et, _), (gt, _), _ = grating.optics(omega)
    obj.Add_LayerUniform(0.0, 1.0)
    obj.Add_LayerGrid(grating.height / grating.period, nx, 1)
    obj.Add_LayerUniform(0.0, 1.0)
    obj.Init_Setup(Gmethod=0)
    assert obj.nG == 2 * n_ord + 1 and not np.any(obj.G[:, 1])
    pix = np.arange(nx)
    npix = round(grating.fill * nx)
    assert npix % 2 == 1 and abs(npix / nx - grating.fill) < 1e-12  # an odd pixel count centred at x = 0
    obj.GridLayer_geteps(np.where(np.minimum(pix, nx - pix) <= npix // 2, et, gt).astype(complex))
    n_g = obj.nG
    kxg, kyg = (obj.kx / k_d).real, (obj.ky / k_d).real
    q, kp = obj.q_list[0] / k_d, obj.kp_list[0] / k_d**2
    kn = np.hypot(kxg, kyg)
    cx, sy = kxg / kn, kyg / kn
    kz = np.sqrt(1 - kn**2 + 0j)
    kz = np.where(kz.imag < 0, -kz, kz)
    i0 = int(np.flatnonzero(obj.G[:, 0] == 0)[0])

    def e_tangential(amp):  # grcwa's E_x, E_y of a forward wave with H amplitudes amp (Solve_FieldFourier)
        exy = kp @ (amp / q)
        return exy[n_g:], -exy[:n_g]

    out = np.zeros((n_g, 2, 2), complex)
    for pol in range(2):
        want = np.array([-sy[i0], cx[i0]]) if pol == 0 else kz[i0] * np.array([cx[i0], sy[i0]])
        unit = np.zeros((2, 2), complex)
        for c in range(2):
            a = np.zeros(2 * n_g, complex)
            a[i0 + c * n_g] = 1
            unit[:, c] = [e[i0] for e in e_tangential(a)]
        h = np.linalg.solve(unit, want)
        obj.a0 = np.zeros(2 * n_g, complex)
        obj.a0[[i0, i0 + n_g]] = h
        obj.bN = np.zeros(2 * n_g, complex)
        _, b0 = grcwa.rcwa.SolveExterior(obj.a0, obj.bN, obj.q_list, obj.phi_list, obj.kp_list, obj.thickness_list)
        ex, ey = e_tangential(-b0)
        for i in range(n_g):
            basis = np.array([[-sy[i], -kz[i] * cx[i]], [cx[i], -kz[i] * sy[i]]])
            out[i, :, pol] = np.linalg.solve(basis, [ex[i], ey[i]])
    res = np.zeros((2 * n_ord + 1, 2, 2), complex)
    res[obj.G[:, 0] + n_ord] = out
    return res.reshape(-1, 2)


def _our_column(omega, grating, kx, ky, n_ord, li_rules=True):
    r, _ = grating_rt(omega, grating, np.array([kx]), np.array([ky]), n_ord, li_rules=li_rules)
    return r[0][:, 2 * n_ord : 2 * n_ord + 2]


@pytest.mark.parametrize(("omega", "ridge"), [(1.6e14, "eps=4+0.5j"), (1.6e14, "sic")])
def test_grcwa_same_truncation_same_numbers(omega, ridge):
    """With Laurent's rule (grcwa's) both codes solve the same truncated problem: equal R, phase included.

    Conical incidence, every order and both polarisations. Measured: 2e-9 (dielectric), 2e-8 (SiC,
    Re eps = -16); the pixel grid's Fourier coefficients set the floor."""
    k0 = omega / constants.c
    grating = LamellarGrating(3e-6, 0.5, 1e-6, ridge)
    kx, ky = 0.21 * k0, 0.33 * k0
    ours = _our_column(omega, grating, kx, ky, 15, li_rules=False)
    peer = _grcwa_column(omega, grating, kx, ky, 15)
    assert np.abs(ours - peer).max() < 1e-7


@pytest.mark.parametrize(
    ("omega", "ridge", "tol_power", "tol_phase"),
    [(1.6e14, "eps=4+0.5j", 1e-4, 3e-4), (1.4e14, "sic", 3e-4, 1.5e-3), (1.6e14, "sic", 4e-2, 6e-2)],
    ids=["lossy-dielectric", "sic-eps=33.5+1.2j", "sic-reststrahlen-eps=-16+1j"],
)
def test_grcwa_high_orders(omega, ridge, tol_power, tol_phase):
    """At high orders grcwa converges to our Li-factorised answer: |R|^2 per propagating order, phase of order 0.

    D = 12 um (two propagating orders), conical incidence; ours at N = 60 (converged to ~1e-5).
    grcwa (Laurent's rule) converges like 1/N for TM on the dielectric-like cases, so its
    N = 40, 80 results are Richardson-extrapolated (2 r_80 - r_40). Measured:
    lossy dielectric 1.6e-5 in |R|^2, 7.5e-5 rad; SiC at 1.4e14 rad/s 8.6e-5, 3.4e-4 rad.
    In SiC's reststrahlen band (Re eps = -16) Laurent's rule does not converge (see
    test_li_rules_converge_faster_for_sic): grcwa at N = 80 raw, 1.9e-2 and 2.7e-2 rad.
    """
    k0 = omega / constants.c
    grating = LamellarGrating(12e-6, 0.5, 1e-6, ridge)
    kx, ky = 0.21 * k0, 0.33 * k0
    ours = _our_column(omega, grating, kx, ky, 60)[2 * 20 : -2 * 20]  # orders -40..40
    g40 = _grcwa_column(omega, grating, kx, ky, 40)
    g80 = _grcwa_column(omega, grating, kx, ky, 80)[2 * 40 : -2 * 40]
    peer = g80 if omega == 1.6e14 and ridge == "sic" else 2 * g80 - g40
    kxn = kx / k0 + np.arange(-40, 41) * 2 * math.pi / (grating.period * k0)
    propagating = np.repeat(kxn**2 + (ky / k0) ** 2 < 1, 2)
    assert propagating.sum() == 4
    d_power = np.abs(np.abs(peer[propagating]) ** 2 - np.abs(ours[propagating]) ** 2).max()
    d_phase = np.abs(np.angle(peer[80:82] / ours[80:82])).max()
    assert d_power < tol_power and d_phase < tol_phase


def test_isotropic_modes_equal_the_general_eigenproblem():
    """The two M x M eigenproblems of isotropic layers (shared by k points with one k_x) equal the 2M one.

    A ridge with eps_z = eps_t (1 + 1e-13) takes the general uniaxial path; both factorisations."""
    from neqent.electrodynamics.materials import ConstantPermittivity, Uniaxial

    e = complex(-16 + 1j)
    iso = LamellarGrating(2e-6, 0.4, 0.7e-6, ConstantPermittivity(e), grooves="eps=2+0.1j")
    near = LamellarGrating(
        2e-6, 0.4, 0.7e-6, Uniaxial(ConstantPermittivity(e), ConstantPermittivity(e * (1 + 1e-13))), "eps=2+0.1j"
    )
    kx = np.array([0.1, 0.1, -0.3, 0.1]) * K0  # repeated k_x: one shared eigenproblem
    ky = np.array([0.2, 1.3, 0.4, -2.5]) * K0
    for li_rules in (True, False):
        r1, t1 = grating_rt(OMEGA, iso, kx, ky, 12, li_rules=li_rules)
        r2, t2 = grating_rt(OMEGA, near, kx, ky, 12, li_rules=li_rules)
        assert np.abs(r1 - r2).max() < 1e-11 and np.abs(t1 - t2).max() < 1e-11


def _reverse_orders(a):
    """(n p) -> (-n p) on both indices of (Nk, 2M, 2M)."""
    size = a.shape[1]
    idx = np.arange(size)
    flip = size - 2 - 2 * (idx // 2) + idx % 2
    return a[:, flip][:, :, flip]


def test_rotation_by_pi_about_z():
    """Ridges centred at x = 0 and media uniaxial along z: R(-k) and T(-k) are R(k), T(k) with orders reversed.

    (The rotation maps e_p^+-(k_n) onto e_p^+-(-k_n) with no sign.) A grating shifted off x = 0 would fail."""
    grating = LamellarGrating(2.5e-6, 0.3, 0.6e-6, "eps=4+0.2j,-2+0.5j", below=Stack([("hbn", 0.1e-6)], None))
    kx = np.array([0.21, -0.37]) * K0
    ky = np.array([0.45, 1.3]) * K0
    r, t = grating_rt(OMEGA, grating, kx, ky, 5)
    r_m, t_m = grating_rt(OMEGA, grating, -kx, -ky, 5)
    np.testing.assert_allclose(r_m, _reverse_orders(r), rtol=0, atol=1e-11)
    np.testing.assert_allclose(t_m, _reverse_orders(t), rtol=0, atol=1e-11)
    assert np.abs(r_m - r).max() > 1e-2


def test_transmission_from_below_is_the_mirror_image_for_a_free_standing_grating():
    """docs/theory.md §12: T~ from reciprocity (transmission_from_below) equals, for a lone grating layer
    (symmetric under z -> -h - z, which maps e_TM^+ to -e_TM^-), T with the TE/TM cross terms negated."""
    grating = LamellarGrating(2.5e-6, 0.3, 0.6e-6, "sic", grooves="eps=2+0.3j")
    kx = np.array([0.21, -0.37, 1.1]) * K0
    ky = np.array([0.45, 1.3, -0.2]) * K0
    n_ord = 6
    _, t = grating_rt(OMEGA, grating, kx, ky, n_ord)
    _, _, kz = diffraction_orders(OMEGA, grating, kx, ky, n_ord)
    t_up = transmission_from_below(t, kz)
    pol = np.arange(t.shape[1]) % 2
    sign = np.where(pol[:, None] + pol[None, :] == 1, -1.0, 1.0)
    scale = np.abs(t).max()
    np.testing.assert_allclose(t_up, sign * t, rtol=0, atol=1e-10 * scale)
    assert np.abs(t_up - t).max() > 1e-3 * scale


def test_diffraction_orders():
    grating = LamellarGrating(2e-6, 0.5, 0.5e-6, "sic")
    kx_n, ky, kz = diffraction_orders(OMEGA, grating, [0.1 * K0], [0.2 * K0], 2)
    np.testing.assert_allclose(kx_n[0], 0.1 * K0 + np.arange(-2, 3) * math.pi * 1e6)
    np.testing.assert_allclose(kz**2 + kx_n**2 + ky[:, None] ** 2, K0**2)
    assert np.all(kz.imag >= 0) and kz[0, 2].imag == 0


def test_batch_split_is_bit_identical():
    """R(k) is a pure function of k: any split of the k points (MPI ranks, shards) gives the same bits."""
    grating = LamellarGrating(1e-6, 0.5, 0.5e-6, "sic", below="sio2")
    kx = np.array([0.1, 0.1, -0.3, 0.25, 0.1]) * K0
    ky = np.array([0.2, 1.3, 0.4, -2.5, 0.7]) * K0
    r_all, t_all = grating_rt(OMEGA, grating, kx, ky, 6)
    for i in range(kx.size):
        r_one, t_one = grating_rt(OMEGA, grating, kx[i : i + 1], ky[i : i + 1], 6)
        assert np.array_equal(r_one[0], r_all[i]) and np.array_equal(t_one[0], t_all[i])
    r_part, _ = grating_rt(OMEGA, grating, kx[2:], ky[2:], 6)
    assert np.array_equal(r_part, r_all[2:])


def _section9_tau(eps_t, eps_z, thickness, wz):
    """Complex tau_p of docs/theory.md §9 (the textbook recursion, vacuum below), for the phase of T."""
    u2 = 1 - wz**2
    media = [(1.0, 1.0, 0.0)] + list(zip(eps_t, eps_z, thickness)) + [(1.0, 1.0, 0.0)]

    def k_y(et, ez):
        k_te = np.sqrt(et - u2 + 0j)
        k_tm = np.sqrt(et * (1 - u2 / ez) + 0j)
        k_te, k_tm = (np.where(k.imag < 0, -k, k) for k in (k_te, k_tm))
        return (k_te, k_tm), (k_te, k_tm / et)

    out = []
    for p in range(2):
        r, t = 0.0, 1.0
        for a in range(len(media) - 2, -1, -1):
            (_, ya), (kb, yb) = k_y(*media[a][:2]), k_y(*media[a + 1][:2])
            r_ab = (ya[p] - yb[p]) / (ya[p] + yb[p])
            t_ab = 2 * ya[p] / (ya[p] + yb[p])
            big_p = np.exp(1j * kb[p] * media[a + 1][2])
            den = 1 + r_ab * r * big_p**2
            t = t_ab * t * big_p / den
            r = (r_ab + r * big_p**2) / den
        out.append(t)
    return out


def test_planar_transmission_phase_is_the_stack_tau():
    """T of a planar body (vacuum below) is §9's complex tau_p, phase included (referenced at the bottom face)."""
    below = Stack([("eps=3+0.1j", 0.3e-6), ("eps=2.5+0.2j,-1+0.3j", 0.2e-6)], None)
    grating = LamellarGrating(1e-6, 1.0, 0.5e-6, "eps=-5+1j", below=below)
    n_ord = 2
    _, t = grating_rt(OMEGA, grating, KX, KY, n_ord)
    (et, ez), _, (l_et, l_ez, l_d, _, _) = grating.optics(OMEGA)
    kz = _kz(KX, KY, grating.period, n_ord)
    tau = _section9_tau([et, *l_et], [ez, *l_ez], np.array([grating.height, *l_d]) * K0, kz)
    diag = np.einsum("kii->ki", t)
    for p in range(2):
        np.testing.assert_allclose(diag[:, p::2], tau[p], rtol=1e-10, atol=1e-14)


def test_vacuum_substrate_is_vacuum_below():
    """below='vacuum' (or a stack on a vacuum substrate) lets the walls below through, like below=None."""
    plain = LamellarGrating(1e-6, 0.5, 0.5e-6, "sic")
    named = LamellarGrating(1e-6, 0.5, 0.5e-6, "sic", below="vacuum")
    stacked = LamellarGrating(1e-6, 0.5, 0.5e-6, "sic", below=Stack([("eps=2", 1e-7)], "vacuum"))
    assert (
        named.vacuum_below
        and stacked.vacuum_below
        and not LamellarGrating(1e-6, 0.5, 1e-7, "sic", below="gold").vacuum_below
    )
    r1, t1 = grating_rt(OMEGA, plain, KX, KY, 3)
    r2, t2 = grating_rt(OMEGA, named, KX, KY, 3)
    assert np.array_equal(r1, r2) and np.array_equal(t1, t2) and np.abs(t1).max() > 0.1
    assert np.abs(grating_rt(OMEGA, stacked, KX, KY, 3)[1]).max() > 0.1


def test_mirror_x():
    """Ridges centred at x = 0: the mirror x -> -x maps R(kx, ky) onto R(-kx, ky) with orders reversed and the
    TE/TM cross terms negated (it maps e_TE(k) to -e_TE(k') and e_TM(k) to e_TM(k'), k' = (-kx, ky))."""
    grating = LamellarGrating(2.5e-6, 0.3, 0.6e-6, "eps=4+0.2j,-2+0.5j", below=Stack([("hbn", 0.1e-6)], None))
    kx = np.array([0.21, -0.37]) * K0
    ky = np.array([0.45, 1.3]) * K0
    r, t = grating_rt(OMEGA, grating, kx, ky, 5)
    r_m, t_m = grating_rt(OMEGA, grating, -kx, ky, 5)
    pol = np.arange(r.shape[1]) % 2
    sign = np.where(pol[:, None] + pol[None, :] == 1, -1.0, 1.0)
    np.testing.assert_allclose(r_m, sign * _reverse_orders(r), rtol=0, atol=1e-11)
    np.testing.assert_allclose(t_m, sign * _reverse_orders(t), rtol=0, atol=1e-11)
    assert np.abs(r_m - _reverse_orders(r)).max() > 1e-3
