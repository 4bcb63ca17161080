"""Planar stacks and uniaxial layers (docs/theory.md §9).

Reflection/transmission of the stack against the plain recursion of §9 and the
slab formulas of §3; the identities of §9 (lossless energy balance, split and
zero-thickness layers, thick layers -> half-space, one layer = the slab) for the
coefficients and for the kernels; the equilibrium identity W + M = Im G for
stacks; convergence of the stack quadrature against a tighter rule and against
an independent scipy.quad integral.
"""

import cmath
import math
import warnings

import numpy as np
import pytest
from scipy import integrate
from scipy.constants import c as C_LIGHT

from neqent.electrodynamics import kernels as K
from neqent.electrodynamics.fresnel import slab_coefficients
from neqent.electrodynamics.green import vacuum_green
from neqent.electrodynamics.materials import SIC
from neqent.electrodynamics.stack import stack_coefficients, stack_singularities

W_T = 1.495e14
OMEGA = 0.3 * W_T
EPS_SIC = SIC.eps(OMEGA)
OMEGA_SPP = 1.7e14
EPS_SPP = SIC.eps(OMEGA_SPP)
#: hBN-like hyperbolic layer (type I: Re eps_t > 0 > Re eps_z), lossy
EPS_HYP = (2.9 + 0.02j, -4.0 + 0.3j)

WZ = np.array([0.9, 0.5, 1e-3, 1e-7, 1e-7j, 4.5e-4j, 7e-3j, 0.5j, 3j, 40j, 1e3j])


# --- coefficients -------------------------------------------------------------


def _plain_recursion(et, ez, kd, sub_t, sub_z, wz):
    """§9 exactly as written: R, T from the bottom up with r_ab, t_ab, P (no rewriting)."""
    out = []
    for tm in (False, True):

        def adm(e_t, e_z, tm=tm):
            if e_t == 1 and e_z == 1:
                return wz, wz
            if tm:
                k = cmath.sqrt(e_t * (e_z - (1 - wz * wz)) / e_z)
            else:
                k = cmath.sqrt(e_t - (1 - wz * wz))
            k = -k if k.imag < 0 or (k.imag == 0 and k.real < 0) else k
            return (k / e_t if tm else k), k

        media = [(1, 1)] + list(zip(et, ez)) + [(sub_t, sub_z)]
        thick = [0.0] + list(kd) + [0.0]
        R, T = 0j, 1 + 0j
        for i in range(len(media) - 2, -1, -1):
            ya, _ = adm(*media[i])
            yb, kb = adm(*media[i + 1])
            r = (ya - yb) / (ya + yb)
            t = 2 * ya / (ya + yb)
            P = cmath.exp(1j * kb * thick[i + 1])
            T = t * T * P / (1 + r * R * P * P)
            R = (r + R * P * P) / (1 + r * R * P * P)
        out.append((R, T))
    (rte, tte), (rtm, ttm) = out
    if not (sub_t == 1 and sub_z == 1):
        tte = ttm = 0j
    return rte, rtm, tte, ttm


STACKS = {  # name -> (eps_t, eps_z, K d, substrate eps_t, eps_z)
    "sic_on_glass": ([EPS_SIC], [EPS_SIC], [0.002], 2.1 + 0.05j, 2.1 + 0.05j),
    "three_layers": ([EPS_SPP, 4 + 0.1j, 12 + 1j], [EPS_SPP, 4 + 0.1j, 12 + 1j], [0.01, 0.4, 0.05], 1, 1),
    "uniaxial_on_metal": ([3 + 0.1j], [5 + 0.2j], [0.3], -50 + 10j, -50 + 10j),
    "hyperbolic_bilayer": ([EPS_HYP[0], EPS_SPP], [EPS_HYP[1], EPS_SPP], [0.02, 0.01], 1, 1),
}


@pytest.mark.parametrize("name", STACKS)
def test_coefficients_match_plain_recursion_of_section_9(name):
    """The cancellation-free admittance form equals §9's recursion where the latter is accurate."""
    et, ez, kd, st, sz = STACKS[name]
    ours = stack_coefficients(et, ez, kd, st, sz, WZ)
    for i, wz in enumerate(WZ):
        if abs(wz) < 1e-2:
            continue  # the plain form loses digits here; see the slab comparison below
        ref = _plain_recursion(et, ez, kd, st, sz, complex(wz))
        for p in range(2):
            assert abs(ours[p][i] - ref[p]) <= 1e-12 * max(1.0, abs(ref[p])), (wz, p)
        if wz.imag == 0:  # |tau| is what the kernels use
            for p in (2, 3):
                assert abs(abs(ours[p][i]) - abs(ref[p])) <= 1e-12, (wz, p)


@pytest.mark.parametrize("eps", [EPS_SIC, EPS_SPP, 4 + 0.1j, -300 + 80j])
@pytest.mark.parametrize("kd", [1.5e-3, 0.5, 30.0])
def test_single_isotropic_layer_is_the_slab_of_section_3(eps, kd):
    """rho and |tau| to 1e-13 relative, also near u = 1 and at guided-mode poles. Near a pole the
    problem itself has condition number ~|rho| (rounding of eps moves the pole), hence the bound
    1e-13 |rho| max(1, |rho|); measured: <= 4e-15 away from poles, 1e-13 |rho|^2 at |rho| = 32."""
    ours = stack_coefficients([eps], [eps], [kd], 1, 1, WZ)
    slab = slab_coefficients(eps, WZ, kd)
    for p in range(2):
        assert np.all(np.abs(ours[p] - slab[p]) <= 1e-13 * np.abs(slab[p]) * np.maximum(1, np.abs(slab[p])))
    prop = WZ.imag == 0
    for p in (2, 3):  # |tau| ~ exp(-K d Im k): rounding of the exponent (~500 here) limits it to ~1e-13
        np.testing.assert_allclose(np.abs(ours[p][prop]), np.abs(slab[p][prop]), rtol=3e-13, atol=0)


def test_bare_substrate_is_the_half_space():
    ours = stack_coefficients([], [], [], EPS_SPP, EPS_SPP, WZ)
    half = slab_coefficients(EPS_SPP, WZ, np.inf)
    for p in range(4):
        np.testing.assert_allclose(ours[p], half[p], rtol=1e-13, atol=1e-300)


def test_lossless_stack_conserves_energy():
    """|rho|^2 + |tau|^2 = 1 for u < 1 (isotropic, uniaxial and hyperbolic lossless layers)."""
    et = [4.0, 2.25, -3.0, 2.9, 9.0]
    ez = [4.0, 2.25, -3.0, -4.0, 5.0]
    kd = [0.3, 1.2, 0.05, 0.2, 0.7]
    wz = np.cos(np.linspace(0.0, 0.5 * np.pi, 41)[:-1]).astype(complex)
    rte, rtm, tte, ttm = stack_coefficients(et, ez, kd, 1, 1, wz)
    np.testing.assert_allclose(np.abs(rte) ** 2 + np.abs(tte) ** 2, 1.0, atol=1e-13)
    np.testing.assert_allclose(np.abs(rtm) ** 2 + np.abs(ttm) ** 2, 1.0, atol=1e-13)
    # lossy: strictly less (the stack absorbs)
    rte, rtm, tte, ttm = stack_coefficients([4 + 0.5j, 2.25], [4 + 0.5j, 2.25], [0.3, 1.2], 1, 1, wz)
    assert np.all(np.abs(rte) ** 2 + np.abs(tte) ** 2 < 1 - 1e-6)


@pytest.mark.parametrize("name", STACKS)
def test_split_and_zero_thickness_layers_change_nothing(name):
    et, ez, kd, st, sz = STACKS[name]
    ref = stack_coefficients(et, ez, kd, st, sz, WZ)
    split = stack_coefficients(
        [et[0], et[0], *et[1:]], [ez[0], ez[0], *ez[1:]], [0.3 * kd[0], 0.7 * kd[0], *kd[1:]], st, sz, WZ
    )
    zero = stack_coefficients([et[0], 7 + 3j, *et[1:]], [ez[0], 2 + 1j, *ez[1:]], [kd[0], 0.0, *kd[1:]], st, sz, WZ)
    for other in (split, zero):
        for p in range(4):
            np.testing.assert_allclose(other[p], ref[p], rtol=1e-12, atol=1e-14)


def test_thick_lossy_layer_reaches_the_half_space():
    eps = 4 + 0.5j
    thick = stack_coefficients([eps, 2 + 1j], [eps, 2 + 1j], [200.0, 0.3], 1, 1, WZ)
    half = slab_coefficients(eps, WZ, np.inf)
    for p in range(2):  # rho_TM ~ 1e-6 at u = 1e3 carries ~1e-11 relative rounding in either form
        np.testing.assert_allclose(thick[p], half[p], rtol=1e-11)
    np.testing.assert_allclose(np.abs(thick[2]), 0.0, atol=1e-10)  # exp(-K d Im k) = 1e-11


def test_uniaxial_with_equal_axes_is_isotropic_and_te_ignores_eps_z():
    a = stack_coefficients([3 + 0.2j], [3 + 0.2j], [0.4], 1, 1, WZ)
    b = stack_coefficients([3 + 0.2j], [-5 + 1j], [0.4], 1, 1, WZ)
    iso = slab_coefficients(3 + 0.2j, WZ, 0.4)
    np.testing.assert_allclose(a[1], iso[1], rtol=1e-13)
    np.testing.assert_allclose(b[0], iso[0], rtol=1e-13)  # TE sees only eps_t
    assert np.max(np.abs(b[1] - iso[1])) > 0.1


def test_uniaxial_half_space_tm_matches_closed_form():
    """r_TM = (eps_t w_z - k)/(eps_t w_z + k), k = sqrt(eps_t (eps_z - u^2)/eps_z) (§9)."""
    et, ez = 2.9 + 0.02j, -4.0 + 0.3j
    rtm = stack_coefficients([], [], [], et, ez, WZ)[1]
    u2 = 1 - WZ**2
    k = np.sqrt(et * (ez - u2) / ez)
    k = np.where(k.imag < 0, -k, k)
    np.testing.assert_allclose(rtm, (et * WZ - k) / (et * WZ + k), rtol=1e-10)


def test_stack_pole_scan_finds_the_slab_guided_modes():
    """The numerical peak scan of §9 finds the TE0/TM0 modes of thin SiC (§4e) to 1e-8."""
    kd = OMEGA / C_LIGHT * 1e-8
    poles, _ = stack_singularities([EPS_SIC], [EPS_SIC], [kd])
    _, wz_ref = K.guided_mode_poles(OMEGA, EPS_SIC, 1e-8, return_wz=True)
    near = wz_ref[np.abs(wz_ref) < 1]
    assert len(near) == 2
    for w in near:
        assert np.min(np.abs(poles - w)) < 1e-8 * abs(w)


# --- kernels ---------------------------------------------------------------------

GEOM = (1e-6, 1.5e-6, 0.25e-6, 0.1e-6)  # z1, z2, dx, dy (m)


def test_single_layer_stack_matches_slab_kernels():
    """Dispatch gives the slab path bit for bit; the general stack quadrature agrees to 1e-13."""
    ref = K.pair_block(OMEGA, EPS_SIC, 1e-8, *GEOM)
    via = K.stack_block_batch(OMEGA, [EPS_SIC], [EPS_SIC], [1e-8], 1, 1, *GEOM)
    forced = K.stack_block_batch(OMEGA, [EPS_SIC], [EPS_SIC], [1e-8], 1, 1, *GEOM, force_stack=True)
    for a, b, c in zip(ref, via, forced):
        assert np.array_equal(a, b[0])
        assert np.abs(a - c[0]).max() < 1e-13


KSTACKS = {  # name -> (omega, eps_t, eps_z, thickness m, substrate eps_t, eps_z)
    "sic_on_sio2": (OMEGA, [EPS_SIC], [EPS_SIC], [1e-8], 2.1 + 0.05j, 2.1 + 0.05j),
    "three_layers": (OMEGA_SPP, [EPS_SPP, 4 + 0.1j, 12 + 1j], [EPS_SPP, 4 + 0.1j, 12 + 1j], [1e-8, 2e-7, 5e-8], 1, 1),
    "hbn_like_on_sic": (OMEGA_SPP, [EPS_HYP[0]], [EPS_HYP[1]], [5e-8], EPS_SPP, EPS_SPP),
    "hyperbolic_film": (OMEGA_SPP, [EPS_HYP[0], 4 + 0.1j], [EPS_HYP[1], 4 + 0.1j], [1e-7, 1e-8], 1, 1),
}
KGEOMS = [(5e-8, 1e-7, 0.2e-6, 0.1e-6), (1e-6, 1e-6, 0.25e-6, 0.0)]


@pytest.mark.parametrize("name", KSTACKS)
@pytest.mark.parametrize("geom", KGEOMS)
def test_equilibrium_identity_for_stacks(name, geom):
    """W + M = Im(G0 + GR) component-wise for every pair (§4d, §9)."""
    omega, et, ez, d, st, sz = KSTACKS[name]
    W, M, GR = (x[0] for x in K.stack_block_batch(omega, et, ez, d, st, sz, *geom))
    z1, z2, dx, dy = geom
    r12 = np.array([dx, dy, z1 - z2])
    for q, qp, g0 in ((0, 0, 1j * np.eye(3)), (1, 1, 1j * np.eye(3)), (0, 1, vacuum_green(omega, r12))):
        np.testing.assert_allclose(W[q, qp] + M[q, qp], np.imag(g0 + GR[q, qp]), atol=1e-12)


@pytest.mark.parametrize("name", KSTACKS)
def test_stack_quadrature_converges_against_a_tighter_rule(name):
    """16 vs 40 nodes per panel: all tensors agree to 1e-10 (also at 50 nm, where the
    guided modes, interface polaritons and hyperbolic high-u modes dominate)."""
    omega, et, ez, d, st, sz = KSTACKS[name]
    for geom in KGEOMS:
        a = K.stack_block_batch(omega, et, ez, d, st, sz, *geom)
        b = K.stack_block_batch(omega, et, ez, d, st, sz, *geom, order=40)
        for x, y in zip(a, b):
            assert np.abs(x - y).max() < 1e-10 * max(1.0, np.abs(y).max())


def _graded(c, d, lo, hi):
    """c and c +- d 3^k inside (lo, hi): breakpoints that resolve a pole at distance d from c."""
    pts, x = [c], max(d, 1e-15)
    while x < hi - lo:
        pts += [c - x, c + x]
        x *= 3.0
    return [p for p in pts if lo < p < hi]


def _quad_mzz(omega, et, ez, d, st, sz, z, poles):
    """alpha_M^{zz}(z, z) by scipy.quad on the §9 plain recursion (independent reference),
    with breakpoints graded toward the poles in the theta and t planes (as benchmarks/scipy_reference.py)."""
    k = omega / C_LIGHT
    kd = [k * x for x in d]

    def rtm(wz):
        rte, rtm_, tte, ttm = _plain_recursion(et, ez, kd, st, sz, wz)
        return rtm_, ttm

    def prop(th):
        u, w = math.sin(th), math.cos(th)
        r, t = rtm(complex(w))
        return 0.75 * u**3 * (1 - abs(r) ** 2 - abs(t) ** 2)

    def evan(t):
        u, v = math.cosh(t), math.sinh(t)
        r, _ = rtm(1j * v)
        return 0.75 * u**3 * 2 * r.imag * math.exp(-2 * k * z * v)

    tmax = math.asinh(60 / (2 * k * z))
    pts_t = {x * 0.25 for x in range(1, int(4 * tmax) + 1)}
    pts_th = {x * math.pi / 40 for x in range(1, 20)}
    for p in poles:
        ts = cmath.asinh(-1j * p)
        c = min(max(ts.real, 0.0), tmax)
        pts_t.update(_graded(c, abs(ts - c), 0.0, tmax))
        th = cmath.acos(p)
        c = min(max(th.real, 0.0), 0.5 * math.pi)
        pts_th.update(_graded(c, abs(th - c), 0.0, 0.5 * math.pi))
    total = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f, edges in ((prop, [0.0, *sorted(pts_th), 0.5 * math.pi]), (evan, [0.0, *sorted(pts_t), tmax])):
            edges = sorted(set(edges))
            total += sum(integrate.quad(f, lo, hi, limit=200, epsabs=1e-14)[0] for lo, hi in zip(edges[:-1], edges[1:]))
    return total


QUAD_CASES = {  # name -> (omega, eps_t, eps_z, thickness m, substrate eps_t, eps_z, z m)
    **{name: (*KSTACKS[name], 1e-6) for name in ("sic_on_sio2", "three_layers", "hyperbolic_film")},
    "sic_film": (OMEGA, [EPS_SIC], [EPS_SIC], [1e-8], 1, 1, 1e-6),
    # gold / glass / gold (Drude eps of gold at 1.2e14 rad/s): coupled film plasmons just above u = 1
    "gold_glass_gold": (
        1.2e14,
        [-11700 + 3949j, 2.1 + 0.05j, -11700 + 3949j],
        [-11700 + 3949j, 2.1 + 0.05j, -11700 + 3949j],
        [5e-9, 1e-7, 5e-9],
        1,
        1,
        1e-6,
    ),
    # hBN-like type II (eps_t < 0 < eps_z) 20 nm film seen from 100 nm: ~18 high-u modes
    "hyperbolic_type2": (2.8e14, [-4.46 + 0.188j], [2.81 + 0.0005j], [2e-8], 1, 1, 1e-7),
}


@pytest.mark.parametrize("name", QUAD_CASES)
def test_alpha_m_matches_scipy_quad_reference(name):
    """alpha_M^zz within 1e-8 (relative) of scipy.quad, including the thin SiC film whose guided
    modes (u - 1 ~ 2e-7, docs/theory.md §4e) a rule without the pole scan misses, coupled metal-film
    plasmons and the high-u modes of a hyperbolic film (measured: <= 5e-10, mostly ~1e-15)."""
    omega, et, ez, d, st, sz, z = QUAD_CASES[name]
    poles, _ = stack_singularities(et, ez, [omega / C_LIGHT * x for x in d], st, sz)
    ref = _quad_mzz(omega, et, ez, d, st, sz, z, poles)
    M = K.stack_pair_tensors(omega, et, ez, d, st, sz, z, z, 0.0, 0.0, force_stack=True)[1]
    assert abs(M[2, 2].real - ref) < 1e-8 * max(1.0, abs(ref))


def test_kernels_split_zero_and_thick_layers():
    omega, et, ez, d, st, sz = KSTACKS["three_layers"]
    geom = KGEOMS[0]
    ref = K.stack_block_batch(omega, et, ez, d, st, sz, *geom)
    split = K.stack_block_batch(omega, [et[0], *et], [ez[0], *ez], [0.5 * d[0], 0.5 * d[0], *d[1:]], st, sz, *geom)
    zero = K.stack_block_batch(omega, [*et, 7 + 1j], [*ez, 3 + 1j], [*d, 0.0], st, sz, *geom)
    for other in (split, zero):
        for x, y in zip(ref, other):
            assert np.abs(x - y).max() < 1e-10
    # a thick lossy layer on anything is the half-space of that layer
    thick = K.stack_block_batch(omega, [4 + 2j, 12 + 1j], [4 + 2j, 12 + 1j], [6e-5, 1e-7], 1, 1, *geom)
    half = K.pair_block(omega, 4 + 2j, np.inf, *geom)
    for x, y in zip(thick, half):
        assert np.abs(x[0] - y).max() < 1e-9


def test_substrate_blocks_the_walls_and_emits_instead():
    """With a substrate tau = 0: alpha_M = 1 - |rho|^2 for propagating waves, so a lossless
    film on a lossy substrate still emits, and alpha_W is the reflected part only."""
    geom = KGEOMS[1]
    free = K.stack_block_batch(OMEGA, [4.0], [4.0], [1e-7], 1, 1, *geom, force_stack=True)
    on_sub = K.stack_block_batch(OMEGA, [4.0], [4.0], [1e-7], 2.0 + 0.5j, 2.0 + 0.5j, *geom)
    # lossless film in vacuum: no propagating emission; only its guided modes (delta peaks of Im rho) are seen
    assert abs(free[1][0, 0, 0, 2, 2]) < 1e-4 * abs(free[0][0, 0, 0, 2, 2])
    assert on_sub[1][0, 0, 0, 2, 2].real > 0.05
    # reflection only: W = (propagating |rho|^2 + 1 + interference), M = 1 - |rho|^2: W + M = Im G still
    rte, rtm, tte, ttm = stack_coefficients([4.0], [4.0], [OMEGA / C_LIGHT * 1e-7], 2.0 + 0.5j, 2.0 + 0.5j, 0.6)
    assert tte == ttm == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"thickness": [-1e-9]}, "thickness"),
        ({"eps_t": [4 - 1j]}, "Im eps"),
        ({"z1": -1e-6}, "z1"),
        ({"eps_z": [0.0]}, "eps_z"),
    ],
)
def test_bad_stack_input_raises(kwargs, match):
    args = {"eps_t": [4 + 0j], "eps_z": [4 + 0j], "thickness": [1e-8], "z1": 1e-6}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        K.stack_block_batch(OMEGA, args["eps_t"], args["eps_z"], args["thickness"], 1, 1, args["z1"], 1e-6, 0.0, 0.0)


def test_optically_thick_layer_is_rejected():
    with pytest.raises(ValueError, match="optical thickness"):
        K.stack_block_batch(OMEGA, [4.0, 4.0], [4.0, 4.0], [1e-8, 1.0], 1, 1, 1e-6, 1e-6, 0.0, 0.0)


def test_two_layers_of_one_material_act_as_one_and_their_poles_are_found():
    """Two SiC layers are one layer of the summed thickness (docs/theory.md §9), and the pole search on
    them (found by the design extra's search: 2 layers, both SiC, at 0.3 omega_T) no longer divides 0/0
    where both admittances vanish (it raised ZeroDivisionError inside numba)."""
    from neqent.electrodynamics.quadrature import MAX_STACK_SING
    from neqent.electrodynamics.stack import locate_stack_singularities

    eps = 10.333180932596436 + 0.007210546891109837j
    kd = np.array([0.00024057811579961802, 0.0001496034966963712])
    for wz in (0.3 + 0.0j, 0.5 + 1e-3j, 2j):
        two = stack_coefficients([eps, eps], [eps, eps], kd, 1.0, 1.0, wz)
        one = stack_coefficients([eps], [eps], [kd.sum()], 1.0, 1.0, wz)
        np.testing.assert_allclose(two, one, rtol=1e-12, atol=1e-15)
    sing = np.zeros(MAX_STACK_SING, complex)
    n, npoles = locate_stack_singularities(np.array([eps, eps]), np.array([eps, eps]), kd, 1.0 + 0j, 1.0 + 0j, sing)
    assert n == npoles == 2 and np.all(np.isfinite(sing[:n])) and np.all(sing[:n].imag >= 0)
    ref = np.zeros(MAX_STACK_SING, complex)
    m, _ = locate_stack_singularities(np.array([eps]), np.array([eps]), np.array([kd.sum()]), 1.0 + 0j, 1.0 + 0j, ref)
    np.testing.assert_allclose(np.sort_complex(sing[:n]), np.sort_complex(ref[:m]), rtol=1e-6)
