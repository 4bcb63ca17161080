"""Mode sums of a periodic body and their k quadrature (docs/theory.md §12b).

The reference body is a planar stack evaluated with a fictitious period D: its
operators are diagonal in the orders (grating_planar), the folding into the
Brillouin zone, the Rayleigh points and the adaptive rule are those of a real
grating, and the exact answer is the planar kernel of docs/theory.md §4/§9.
"""

import numpy as np
import pytest
from scipy.constants import c as C_LIGHT

from neqent.electrodynamics.grating_kernels import (
    KTable,
    contract,
    contract_pairs,
    node_integrands,
    reciprocity_defect,
)
from neqent.electrodynamics.grating_planar import planar_operators
from neqent.electrodynamics.grating_quadrature import GratingQuadrature, plan, tabulate
from neqent.electrodynamics.green import vacuum_green
from neqent.electrodynamics.kernels import stack_block_batch

OMEGA = 1.0e14
PERIOD = 1.0e-6  # fictitious: K D ~ 0.33, three Rayleigh-free orders each side
ORDERS = 3
Z_MIN = 1.0e-6
EPS = 2.0 + 2.0j  # lossy layer, vacuum below: exercises R and the walls' waves through T
THICK = 0.3e-6
TOL = 1e-5  # rule tolerance; the planar limit is then met to ~1e-8 (1e-9 at tol 1e-7, see the report)
# pairs (r1, r2) [m]: arbitrary lateral positions, different heights, one coinciding lateral point
R1 = np.array([[0.1e-6, 0.2e-6, 1.0e-6], [0.3e-6, 0.0, 1.2e-6], [-0.45e-6, 0.7e-6, 1.5e-6]])
R2 = np.array([[0.4e-6, -0.5e-6, 1.1e-6], [0.3e-6, 0.0, 1.2e-6 + 1e-9], [0.2e-6, 0.1e-6, 1.0e-6]])


def _rt():
    return planar_operators(OMEGA, [EPS], [EPS], [THICK], 1, 1, PERIOD, ORDERS)


@pytest.fixture(scope="module")
def table():
    return tabulate(OMEGA, PERIOD, ORDERS, _rt(), Z_MIN, tol=TOL, lateral=1e-6)


@pytest.fixture(scope="module")
def reference():
    d = R1 - R2
    return stack_block_batch(OMEGA, [EPS], [EPS], [THICK], 1, 1, R1[:, 2], R2[:, 2], d[:, 0], d[:, 1])


def test_planar_limit_matches_the_stack_kernels(table, reference):
    """f = 1 limit: W, M, GR of docs/theory.md §9 at arbitrary lateral positions (measured ~1e-9)."""
    got = contract_pairs(table, R1, R2)
    for g, r, name in zip(got, reference, "W M GR".split()):
        err = np.abs(g - r).max()
        assert err < 2e-8, f"{name}: {err:.2e}"


def test_convergence_against_a_tighter_rule(table, reference):
    """A looser rule is farther from the exact planar answer, and the tighter rule's change bounds its error."""
    loose = tabulate(OMEGA, PERIOD, ORDERS, _rt(), Z_MIN, tol=1e-3, lateral=1e-6)
    a = contract_pairs(loose, R1, R2)
    b = contract_pairs(table, R1, R2)
    for x, y, r in zip(a, b, reference):
        e_loose = np.abs(x - r).max()
        e_tight = np.abs(y - r).max()
        assert e_tight <= e_loose + 1e-12
        assert e_tight < 10 * max(np.abs(x - y).max(), 1e-9)
    assert loose.kx.size < table.kx.size


def test_equilibrium_identity(table):
    """W + M = Im(G0 + GR) component-wise (the direct alpha_M is the difference formula)."""
    W, M, GR = contract_pairs(table, R1, R2)
    for n in range(R1.shape[0]):
        g0 = vacuum_green(OMEGA, R1[n] - R2[n])
        im = {(0, 0): np.eye(3), (1, 1): np.eye(3), (0, 1): g0.imag, (1, 0): vacuum_green(OMEGA, R2[n] - R1[n]).imag}
        for (q, qp), i0 in im.items():
            gr = GR[n, q, qp]
            im_g = i0 + (gr - GR[n, qp, q].conj().T) / 2j
            assert np.abs(W[n, q, qp] + M[n, q, qp] - im_g).max() < 1e-8


def test_blocks_are_hermitian_psd(table):
    W, M, _ = contract_pairs(table, R1, R2)
    for x in (W, M):
        blk = x.transpose(0, 1, 3, 2, 4).reshape(-1, 6, 6)
        assert np.abs(blk - blk.conj().transpose(0, 2, 1)).max() < 1e-10
        assert np.linalg.eigvalsh(blk).min() > -1e-9


def test_periodicity_and_lateral_invariance(table):
    """A planar body folded with period D: x -> x + D changes nothing, nor does any common shift."""
    base = contract_pairs(table, R1, R2)
    for shift in ([PERIOD, 0, 0], [0.37 * PERIOD, -0.2e-6, 0]):
        moved = contract_pairs(table, R1 + shift, R2 + shift)
        for a, b in zip(base, moved):
            assert np.abs(a - b).max() < 1e-8


def test_mirror_x(table):
    """x -> -x for both qubits maps every tensor by diag(-1, 1, 1)."""
    p = np.diag([-1.0, 1.0, 1.0])
    flip = np.array([-1.0, 1.0, 1.0])
    base = contract_pairs(table, R1, R2)
    mirrored = contract_pairs(table, R1 * flip, R2 * flip)
    for a, b in zip(base, mirrored):
        assert np.abs(p @ a @ p - b).max() < 1e-8


def test_vacuum_body():
    """No body (R = 0, T = 1): W = Im G0 (identity on the diagonal), M = 0, GR = 0."""
    m2 = 2 * (2 * ORDERS + 1)

    def rt(kx, ky):
        return np.zeros((kx.size, m2, m2), complex), np.broadcast_to(np.eye(m2), (kx.size, m2, m2)).copy()

    tab = tabulate(OMEGA, PERIOD, ORDERS, rt, Z_MIN, tol=1e-6, lateral=1e-6)
    W, M, GR = contract_pairs(tab, R1[:2], R2[:2])
    assert np.abs(M).max() < 1e-12 and np.abs(GR).max() < 1e-12
    for n in range(2):
        assert np.abs(W[n, 0, 0] - np.eye(3)).max() < 1e-9
        assert np.abs(W[n, 0, 1] - vacuum_green(OMEGA, R1[n] - R2[n]).imag).max() < 1e-9


def test_substrate_has_no_transmission_term():
    """A half-space below (T None): the rule and the mode sums reproduce the substrate kernels."""
    eps = 4.0 + 0.5j
    rt = planar_operators(OMEGA, [], [], [], eps, eps, PERIOD, ORDERS)
    assert rt(np.array([0.1]), np.array([0.2]))[1] is None
    tab = tabulate(OMEGA, PERIOD, ORDERS, rt, Z_MIN, tol=1e-5, lateral=1e-6)
    d = R1 - R2
    ref = stack_block_batch(OMEGA, [], [], [], eps, eps, R1[:, 2], R2[:, 2], d[:, 0], d[:, 1])
    for g, r in zip(contract_pairs(tab, R1, R2), ref):
        assert np.abs(g - r).max() < 1e-7


def test_lossless_slab_emits_nothing_into_propagating_waves():
    """Real eps: |R|^2 + |T|^2 = 1 per propagating channel, so far above the body M vanishes.

    The walls' waves from below enter through T at -k (reciprocity, docs/theory.md §12b), so the
    emission cancels for every pair of nodes k, -k (far above: no evanescent order survives).
    """
    k0 = OMEGA / C_LIGHT
    rt = planar_operators(OMEGA, [3.0], [3.0], [THICK], 1, 1, PERIOD, ORDERS)
    kx = np.array([0.1, -0.5, 0.3, -0.1, 0.5, -0.3]) * k0
    ky = np.array([0.2, 0.1, -0.9, -0.2, -0.1, 0.9]) * k0
    R, T = rt(kx, ky)
    g = 2 * np.pi / (k0 * PERIOD)
    n = np.arange(-ORDERS, ORDERS + 1)
    qx = kx[:, None] / k0 + n * g
    kz = np.sqrt((1 - qx**2 - (ky[:, None] / k0) ** 2).astype(complex))
    tab = KTable(k0, g, ORDERS, kx / k0, ky / k0, np.ones(6), kz, R, T)
    far = np.array([[0.0, 0.0, 20.0], [0.3, 0.1, 20.0]])  # K z = 20: evanescent orders gone (exp(-G z))
    W, M, GR = node_integrands(tab, far, np.array([[0, 0], [0, 1], [1, 1]]))
    assert np.abs(M[:3] + M[3:]).max() < 1e-12
    assert np.abs(M).max() > 1e-3  # node by node it does not vanish: the test can fail
    assert np.abs(W).max() > 0.1


def test_contract_is_additive_over_shards(table):
    """Shards of the k points contract to parts that add up to the whole (MPI ranks, shard jobs)."""
    pos = R1[:2]
    whole = contract(table, pos)
    idx = np.arange(table.kx.size)
    parts = [contract(table.subset(i), pos) for i in np.array_split(idx, 3)]
    for k in range(3):
        assert np.abs(sum(p[k] for p in parts) - whole[k]).max() < 1e-12


def test_plan_is_the_first_batch_and_rejects_bad_input():
    quad = plan(OMEGA, PERIOD, ORDERS, Z_MIN, tol=1e-4)
    kx, ky = quad.pending()
    assert kx.shape == ky.shape and kx.size == quad.nodes
    k0 = OMEGA / C_LIGHT
    assert np.all(np.abs(kx) <= np.pi / PERIOD) and np.all(np.abs(ky) <= quad.ky_max * k0 + 1e-6)
    R, T = _rt()(kx, ky)
    quad.feed(R, T)
    assert quad.pending() is None and quad.table().kx.size == kx.size
    for bad in ({"period": -1.0}, {"z_min": 0.0}, {"orders": -1}, {"tol": 0.0}):
        args = {"omega": OMEGA, "period": PERIOD, "orders": ORDERS, "z_min": Z_MIN, "tol": 1e-4} | bad
        with pytest.raises(ValueError):
            GratingQuadrature(**args)
    with pytest.raises(ValueError):
        contract(quad.table(), [[0.0, 0.0, -1e-6]])
    with pytest.raises(ValueError, match="z_min"):
        contract(quad.table(), [[0.0, 0.0, 0.5 * Z_MIN]])


def test_mirror_y_rule_halves_the_solves(table, reference):
    """A y -> -y symmetric body: ky >= 0 only, each node standing for its mirror image (S R S)."""
    half = tabulate(OMEGA, PERIOD, ORDERS, _rt(), Z_MIN, tol=TOL, lateral=1e-6, mirror_y=True)
    assert np.all(half.ky >= 0) and half.kx.size < 0.6 * table.kx.size
    for g, r in zip(contract_pairs(half, R1, R2), reference):
        assert np.abs(g - r).max() < 2e-8


def test_thin_film_guided_mode_ridge_is_found():
    """docs/theory.md §4e's trap, folded: SiC 10 nm at 0.3 omega_T has its TM0 pole at u - 1 ~ 2e-7.

    Folded into the zone it is a ridge hugging the Rayleigh circle; a rule that misses it
    under-estimates alpha_M by ~40 %. The adaptive rule finds it (measured: 1e-3 relative at
    tol 1e-5, 3e-6 at tol 1e-7).
    """
    from neqent.electrodynamics.materials import SIC

    omega = 0.3 * 1.495e14
    eps = SIC.eps(omega)
    rt = planar_operators(omega, [eps], [eps], [10e-9], 1, 1, PERIOD, 4)
    tab = tabulate(omega, PERIOD, 4, rt, Z_MIN, tol=1e-5, lateral=1e-6, mirror_y=True)
    d = R1[:2] - R2[:2]
    ref = stack_block_batch(omega, [eps], [eps], [10e-9], 1, 1, R1[:2, 2], R2[:2, 2], d[:, 0], d[:, 1])
    got = contract_pairs(tab, R1[:2], R2[:2])
    for g, r in zip(got, ref):
        assert np.abs(g - r).max() < 3e-3 * np.abs(r).max()


def test_reciprocity_check_accepts_the_contract_and_catches_a_sign_error():
    """The relation the mode sums assume holds for planar operators; a flipped TM sign breaks it."""
    k0 = OMEGA / C_LIGHT
    kx = np.array([0.3, -1.7, 2.2]) * k0
    ky = np.array([0.4, 0.2, -3.0]) * k0
    rt = _rt()
    assert reciprocity_defect(rt, OMEGA, PERIOD, ORDERS, kx, ky) < 1e-12

    def skewed(kx, ky):  # a cross-polarised coupling that is odd in k: not reciprocal
        r, t = rt(kx, ky)
        r = r.copy()
        r[:, 1::2, 0::2] += 0.1 * np.sign(kx)[:, None, None] * np.eye(2 * ORDERS + 1)
        return r, t

    assert reciprocity_defect(skewed, OMEGA, PERIOD, ORDERS, kx, ky) > 1e-2


def test_direct_alpha_m_identity_holds_for_any_operator():
    """For arbitrary non-diagonal R, T: W + M - Im GR is the vacuum integrand, node by node.

    Im GR(r, r') = [GR(r, r') - GR(r', r)^H] / 2i. This is the derivation of the direct alpha_M
    (docs/theory.md §12b) as an algebraic identity of the mode sums, beyond planar operators.
    """
    rng = np.random.default_rng(7)
    k0 = OMEGA / C_LIGHT
    g = 2 * np.pi / (k0 * PERIOD)
    nk, m2 = 5, 2 * (2 * ORDERS + 1)
    kx = rng.uniform(-g / 2, g / 2, nk)
    ky = rng.uniform(-2, 2, nk)
    qx = kx[:, None] + np.arange(-ORDERS, ORDERS + 1) * g
    kz = np.sqrt((1 - qx**2 - ky[:, None] ** 2).astype(complex))
    kz = np.where(kz.imag < 0, -kz, kz)
    R = 0.3 * (rng.normal(size=(nk, m2, m2)) + 1j * rng.normal(size=(nk, m2, m2)))
    T = 0.3 * (rng.normal(size=(nk, m2, m2)) + 1j * rng.normal(size=(nk, m2, m2)))
    pos = np.array([[0.1, 0.2, 0.4], [-0.3, 0.5, 0.7]])
    pairs = np.array([[0, 1], [1, 0], [0, 0]])
    body = KTable(k0, g, ORDERS, kx, ky, np.ones(nk), kz, R, T)
    vac = KTable(k0, g, ORDERS, kx, ky, np.ones(nk), kz, 0 * R, 0 * T)
    W, M, GR = node_integrands(body, pos, pairs)
    W0, M0, _ = node_integrands(vac, pos, pairs)
    herm = GR.conj().transpose(0, 1, 3, 2)
    im_gr = {0: (GR[:, 0] - herm[:, 1]) / 2j, 2: (GR[:, 2] - herm[:, 2]) / 2j}  # pairs (0, 1) and (0, 0)
    for p, im in im_gr.items():
        # R = T = 0 (a black body) leaves W0 + M0 = Im G0's plane-wave integrand
        assert np.abs(W[:, p] + M[:, p] - im - W0[:, p] - M0[:, p]).max() < 1e-12
    assert np.abs(M - M0).max() > 1e-2 and np.abs(GR).max() > 1e-2


def test_mirror_images_from_swapped_positions_equal_the_mirrored_table():
    """A mirror table's images come from its own sums at (x, y', z), (x', y, z') (grating_kernels._mirror_plan).

    Checked against the explicit image nodes (kx, -ky) with S R S, T -> S T S, for oblique pairs
    (new positions), pairs along x and along y (the pair's own positions), and self pairs.
    """
    half = tabulate(OMEGA, PERIOD, ORDERS, _rt(), Z_MIN, tol=1e-3, lateral=1e-6, mirror_y=True)
    plain = KTable(*(getattr(half, f) for f in ("k0", "g", "orders", "kx", "ky", "weight", "kz", "R", "T")))
    r1 = np.array([[0.1e-6, 0.2e-6, 1.0e-6], [0.3e-6, 0.0, 1.2e-6], [0.2e-6, 0.1e-6, 1.1e-6]])
    r2 = np.array([[0.4e-6, -0.5e-6, 1.1e-6], [0.7e-6, 0.0, 1.2e-6], [0.2e-6, 0.6e-6, 1.1e-6]])
    got = contract_pairs(half, r1, r2)
    explicit = [a + b for a, b in zip(contract_pairs(plain, r1, r2), contract_pairs(plain.mirrored(), r1, r2))]
    for g, e in zip(got, explicit):
        assert np.abs(g - e).max() < 1e-12 * max(1.0, np.abs(e).max())
    images = contract_pairs(plain.mirrored(), r1, r2)
    assert np.abs(images[2]).max() > 1e-3  # the images carry weight: dropping them would fail
