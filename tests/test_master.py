"""Master equation of docs/theory.md §6: Liouvillian, steady state, evolution, initial states."""

import numpy as np
import pytest

from neqent.dynamics import analytic, master
from neqent.dynamics.entanglement import concurrence
from neqent.dynamics.master import (
    DegenerateSteadyStateError,
    evolve,
    initial_state,
    liouvillian,
    solve_steady_state,
    steady_state,
    thermal_state,
)

# ---------------------------------------------------------------------------
# Independent helpers (built here from docs/theory.md, not from neqent.dynamics.master)
# ---------------------------------------------------------------------------

LABELS = ("gg", "eg", "ge", "ee")  # decoupled basis, first letter = qubit 1


def sigma(q):
    """Lowering operator |g><e| of qubit q (0, 1) from the basis labels."""
    s = np.zeros((4, 4))
    for i, bra in enumerate(LABELS):
        for j, ket in enumerate(LABELS):
            other = 1 - q
            if ket[q] == "e" and bra[q] == "g" and bra[other] == ket[other]:
                s[i, j] = 1.0
    return s


SIG = [sigma(0), sigma(1)]


def rhs(gp, gm, lam, rho):
    """Right-hand side of the §6 master equation, term by term (single point)."""
    lams = {(0, 1): lam, (1, 0): np.conj(lam)}
    d = np.zeros((4, 4), complex)
    for (q, qp), l in lams.items():
        h = SIG[q].T @ SIG[qp]
        d += -1j * l * (h @ rho - rho @ h)
    for q in range(2):
        for qp in range(2):
            a = SIG[q].T @ SIG[qp]
            d += gp[q, qp] * (SIG[qp] @ rho @ SIG[q].T - 0.5 * (a @ rho + rho @ a))
            b = SIG[q] @ SIG[qp].T
            d += gm[q, qp] * (SIG[qp].T @ rho @ SIG[q] - 0.5 * (b @ rho + rho @ b))
    return d


def random_psd(rng, size=(), shift=0.0):
    a = rng.normal(size=size + (2, 2)) + 1j * rng.normal(size=size + (2, 2))
    return a @ np.conj(np.swapaxes(a, -1, -2)) / 2 + shift * np.eye(2)


def spec_rates(aW, aM, nW, nM):
    """Gamma(+w), Gamma(-w) of docs/theory.md §5."""
    nW = np.asarray(nW)[..., None, None]
    nM = np.asarray(nM)[..., None, None]
    return (1 + nW) * aW + (1 + nM) * aM, nW * np.conj(aW) + nM * np.conj(aM)


def random_rate_set(rng, size=(), shift=0.3):
    """Random physical rates: Hermitian PSD alphas (Gamma^11 != Gamma^22, complex
    Gamma^12), random occupations and complex Lambda^{12}."""
    aW = random_psd(rng, size, shift)
    aM = random_psd(rng, size, shift)
    nW = rng.uniform(0, 2, size)
    nM = rng.uniform(0, 2, size)
    gp, gm = spec_rates(aW, aM, nW, nM)
    lam = rng.normal(size=size) + 1j * rng.normal(size=size)
    return gp, gm, lam


def random_state(rng, size=()):
    a = rng.normal(size=size + (4, 4)) + 1j * rng.normal(size=size + (4, 4))
    r = a @ np.conj(np.swapaxes(a, -1, -2))
    return r / np.trace(r, axis1=-2, axis2=-1)[..., None, None]


def to_coupled(rho):
    r = 1 / np.sqrt(2)
    U = np.array([[1, 0, 0, 0], [0, r, r, 0], [0, -r, r, 0], [0, 0, 0, 1]])  # columns G, A, S, E
    return np.conj(U.T) @ rho @ U


# ---------------------------------------------------------------------------
# Liouvillian
# ---------------------------------------------------------------------------


def test_liouvillian_is_the_master_equation_row_major():
    rng = np.random.default_rng(1)
    gp, gm, lam = random_rate_set(rng, (3,))
    # non-Hermitian rates too: liouvillian() must be the literal right-hand side
    gp[1] += 0.3j * rng.normal(size=(2, 2))
    L = liouvillian(gp, gm, lam)
    assert L.shape == (3, 16, 16)
    for p in range(3):
        rho = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
        got = (L[p] @ rho.reshape(16)).reshape(4, 4)
        np.testing.assert_allclose(got, rhs(gp[p], gm[p], lam[p], rho), atol=1e-13)


def test_liouvillian_block_structure_and_trace_preservation():
    # k = N_i - N_j is conserved: no element of L couples different k
    rng = np.random.default_rng(2)
    L = liouvillian(*random_rate_set(rng, (4,)))
    N = np.array([0, 1, 1, 2])
    k = (N[:, None] - N[None, :]).reshape(16)
    assert np.max(np.abs(L[:, k[:, None] != k[None, :]])) == 0.0
    assert np.max(np.abs(L[:, k[:, None] == k[None, :]])) > 0.1
    # trace functional is a left null vector: d tr(rho)/dt = 0
    np.testing.assert_allclose(np.eye(4).reshape(16) @ L, 0, atol=1e-13)


def test_liouvillian_broadcasts_batch_shapes():
    rng = np.random.default_rng(3)
    gp, gm, lam = random_rate_set(rng, (2, 3))
    L = liouvillian(gp[:, :1], gm, lam[0])
    assert L.shape == (2, 3, 16, 16)
    np.testing.assert_allclose(L[1, 2], liouvillian(gp[1, 0], gm[1, 2], lam[0, 2]), atol=0)


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.eye(3), np.eye(2), 0.1), "gamma_plus must have shape"),
        ((np.eye(2), np.full((2, 2), np.nan), 0.1), "gamma_minus must be finite"),
        ((np.eye(2), np.eye(2), np.inf), "lambda12 must be finite"),
        ((np.ones((3, 2, 2)), np.ones((4, 2, 2)), 0.0), "do not broadcast"),
    ],
)
def test_liouvillian_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        liouvillian(*args)


# ---------------------------------------------------------------------------
# Steady state
# ---------------------------------------------------------------------------


def test_steady_state_x_block_equals_full_16x16_solve_and_is_stationary():
    rng = np.random.default_rng(4)
    gp, gm, lam = random_rate_set(rng, (50,))
    rx = steady_state(gp, gm, lam)
    rf = steady_state(gp, gm, lam, method="full")
    assert np.max(np.abs(rx - rf)) < 1e-12
    L = liouvillian(gp, gm, lam)
    assert np.max(np.abs(np.einsum("nij,nj->ni", L, rx.reshape(50, 16)))) < 1e-13
    np.testing.assert_allclose(np.trace(rx, axis1=1, axis2=2), 1, atol=1e-14)
    np.testing.assert_allclose(rx, np.conj(np.swapaxes(rx, 1, 2)), atol=1e-15)
    assert np.min(np.linalg.eigvalsh(rx)) > -1e-14
    # generic rates give a genuinely non-trivial X state (rho_23 != 0)
    assert np.min(np.abs(rx[:, 1, 2])) > 1e-6


def test_steady_state_preserves_batch_shape_and_broadcasts():
    rng = np.random.default_rng(5)
    gp, gm, lam = random_rate_set(rng, (2, 3))
    r = steady_state(gp, gm, lam[0])
    assert r.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(r[1, 0], steady_state(gp[1, 0], gm[1, 0], lam[0, 0]), atol=1e-15)
    assert steady_state(gp[0, 0], gm[0, 0], 0.2).shape == (4, 4)


@pytest.mark.parametrize("seed", [6, 7])
def test_equal_temperatures_give_the_thermal_state_with_zero_concurrence(seed):
    rng = np.random.default_rng(seed)
    size = (20,)
    aW, aM = random_psd(rng, size, 0.1), random_psd(rng, size, 0.1)
    n = rng.uniform(0, 3, size)
    gp, gm = spec_rates(aW, aM, n, n)
    lam = rng.normal(size=size) + 1j * rng.normal(size=size)
    rho = steady_state(gp, gm, lam)
    np.testing.assert_allclose(rho, thermal_state(n), atol=1e-13)
    assert np.max(concurrence(rho)) == 0.0
    # unequal temperatures do not give the thermal state of either bath
    gp2, gm2 = spec_rates(aW, aM, n, n + 1)
    assert np.min(np.max(np.abs(steady_state(gp2, gm2, lam) - thermal_state(n)), axis=(1, 2))) > 1e-3


def symmetric_set(rng, size):
    """Symmetric case of §8: alpha^11 = alpha^22 = a, alpha^12 = b real, |b| <= a."""
    a = rng.uniform(0.2, 1.5, size + (2,))
    b = a * rng.uniform(-0.999, 0.999, size + (2,))
    al = np.zeros(size + (2, 2, 2), complex)
    al[..., 0, 0] = al[..., 1, 1] = a
    al[..., 0, 1] = al[..., 1, 0] = b
    aW, aM = al[..., 0, :, :], al[..., 1, :, :]
    return aW, aM


def spec_channels(aW, aM, nW, nM):
    """Gamma_A, Gamma_S, n_A, n_S of docs/theory.md §8."""
    a_W, b_W, a_M, b_M = aW[..., 0, 0].real, aW[..., 0, 1].real, aM[..., 0, 0].real, aM[..., 0, 1].real
    gA = a_W - b_W + a_M - b_M
    gS = a_W + b_W + a_M + b_M
    nA = ((a_W - b_W) * nW + (a_M - b_M) * nM) / gA
    nS = ((a_W + b_W) * nW + (a_M + b_M) * nM) / gS
    return gA, gS, nA, nS


def test_general_solver_equals_symmetric_analytic_formulas():
    rng = np.random.default_rng(8)
    size = (200,)
    aW, aM = symmetric_set(rng, size)
    # hand-made entangling points: cold wall strongly in the S channel, hot body in A
    aW[:3] = [[1, 0.999], [0.999, 1]]
    aM[:3] = [[0.1, -0.0999], [-0.0999, 0.1]]
    nW = rng.uniform(0, 1, size) * (rng.uniform(size=size) > 0.3)
    nM = rng.uniform(0, 4, size)
    nW[:3], nM[:3] = 0.0, [0.1, 0.27, 0.45]
    gp, gm = spec_rates(aW, aM, nW, nM)
    lam = rng.normal(size=size)  # real Lambda: diagonal in the coupled basis
    rho = steady_state(gp, gm, lam)
    gA, gS, nA, nS = spec_channels(aW, aM, nW, nM)
    pops = np.real(np.diagonal(to_coupled(rho), axis1=1, axis2=2))
    np.testing.assert_allclose(pops, analytic.symmetric_populations(gA / gS, nA, nS), atol=1e-12)
    # coherence: rho_23 = (rho_S - rho_A)/2 in the decoupled basis
    np.testing.assert_allclose(np.abs(rho[:, 1, 2]), analytic.symmetric_rho23(gA / gS, nA, nS), atol=1e-13)
    C_num = concurrence(rho)
    C_ana = analytic.symmetric_concurrence(gA / gS, nA, nS)
    np.testing.assert_allclose(C_num, C_ana, atol=1e-12)
    assert np.count_nonzero(C_ana > 1e-3) >= 3  # the comparison covers entangled states


def test_near_degenerate_symmetric_case_is_solved_not_flagged():
    # Gamma_A/Gamma_S = 1e-8 (the paper's regime is ~1e-4): still unique and accurate
    a, b = 1.0, 1.0 - 2e-8
    aW = np.array([[a, b], [b, a]], complex)
    aM = np.zeros((2, 2), complex)
    nW = 0.0
    aM2 = np.array([[1e-9, -1e-9], [-1e-9, 1e-9]], complex)  # tiny hot A-channel body
    gp, gm = spec_rates(aW, aM + aM2, nW, 50.0)
    rho = steady_state(gp, gm, 0.3)
    gA, gS, nA, nS = spec_channels(aW, aM2, nW, 50.0)
    pops = np.real(np.diag(to_coupled(rho)))
    # accuracy limited by the conditioning ~ 1 / ratio (inputs carry 1e-16 absolute)
    np.testing.assert_allclose(pops, analytic.symmetric_populations(gA / gS, nA, nS), atol=1e-6)
    assert pops[1] > 0.1  # the slow A channel is really populated


def test_degenerate_case_is_detected_and_reported():
    rng = np.random.default_rng(9)
    gp, gm, lam = random_rate_set(rng, (5,))
    # alpha^11 = alpha^22 = alpha^12 exactly at points 1 and 3 (|A> decouples)
    one = np.ones((2, 2), complex)
    for p, (x, y) in {1: (0.7, 1.3), 3: (2.0, 0.0)}.items():
        gp[p], gm[p] = spec_rates(x * one, y * one, 0.5, 1.5)
        lam[p] = 0.4
    with pytest.raises(DegenerateSteadyStateError, match="not unique at 2 of 5") as err:
        steady_state(gp, gm, lam)
    np.testing.assert_array_equal(err.value.mask, [False, True, False, True, False])
    rho, mask, _ = solve_steady_state(gp, gm, lam)
    np.testing.assert_array_equal(mask, err.value.mask)
    assert np.all(np.isnan(rho[mask])) and np.all(np.isfinite(rho[~mask]))
    np.testing.assert_allclose(rho[~mask], steady_state(gp[~mask], gm[~mask], lam[~mask]), atol=0)
    mask_full = solve_steady_state(gp, gm, lam, method="full").mask
    np.testing.assert_array_equal(mask_full, mask)
    # the flag is physical: the long-time state depends on the initial state there
    t = np.array([400.0])
    from_A = evolve(gp[1], gm[1], lam[1], initial_state("A"), t)[0]
    from_G = evolve(gp[1], gm[1], lam[1], initial_state("G"), t)[0]
    assert np.max(np.abs(from_A - from_G)) > 0.1


def test_degenerate_case_with_complex_phase_is_detected():
    # complex dipoles: alpha^12 = alpha^11 e^{i phi}; the dark state is
    # (e^{i phi}|eg> - |ge>)/sqrt2 up to convention, decoupled if Lambda has the same phase
    ph = np.exp(0.7j)
    V = np.array([[1, ph], [np.conj(ph), 1]])
    gp, gm = spec_rates(0.9 * V, 0.4 * V, 0.3, 2.0)
    with pytest.raises(DegenerateSteadyStateError, match="not unique at 1 of 1"):
        steady_state(gp, gm, 0.5 * ph)
    # a Lambda with another phase couples the dark state: unique again
    rho = steady_state(gp, gm, 0.5)
    assert np.trace(rho).real == pytest.approx(1)


def test_hot_near_degenerate_point_is_not_flagged():
    # Gamma_A/Gamma_S = 1e-8 with n_S = 1000 has rcond ~ 2e-12: accepted
    aW = np.array([[0.5, 0.5], [0.5, 0.5]], complex)
    aM = 0.5e-8 * np.array([[1, -1], [-1, 1]], complex)
    gp, gm = spec_rates(aW, aM, 1000.0, 0.0)
    pops = np.real(np.diag(to_coupled(steady_state(gp, gm, 0.1))))
    np.testing.assert_allclose(pops, analytic.symmetric_populations(1e-8, 0.0, 1000.0), atol=1e-4)


def test_steady_state_input_checks():
    gp = np.array([[1.0, 0.5j], [0.5j, 1.0]])  # not Hermitian
    with pytest.raises(ValueError, match="gamma_plus must be Hermitian"):
        steady_state(gp, np.eye(2), 0.0)
    with pytest.raises(ValueError, match="on_degenerate"):
        steady_state(np.eye(2), np.eye(2), 0.0, on_degenerate="ignore")
    with pytest.raises(ValueError, match="method"):
        steady_state(np.eye(2), np.eye(2), 0.0, method="lu")
    with pytest.raises(DegenerateSteadyStateError):
        steady_state(np.zeros((2, 2)), np.zeros((2, 2)), 0.0)  # no dissipation at all


# ---------------------------------------------------------------------------
# Evolution
# ---------------------------------------------------------------------------


def test_evolution_preserves_trace_hermiticity_and_positivity():
    rng = np.random.default_rng(10)
    gp, gm, lam = random_rate_set(rng, (6,), shift=0.0)
    rho0 = random_state(rng, (6,))
    t = np.linspace(0, 5, 41)
    rho = evolve(gp, gm, lam, rho0, t)
    assert rho.shape == (6, 41, 4, 4)
    np.testing.assert_allclose(rho[:, 0], rho0, atol=1e-12)
    np.testing.assert_allclose(np.trace(rho, axis1=-2, axis2=-1), 1, atol=1e-12)
    np.testing.assert_allclose(rho, np.conj(np.swapaxes(rho, -1, -2)), atol=1e-12)
    assert np.min(np.linalg.eigvalsh(rho)) > -1e-12
    # the dynamics is non-trivial
    assert np.max(np.abs(rho[:, -1] - rho0)) > 0.05


def test_evolution_matches_direct_integration_of_the_rhs():
    from scipy.integrate import solve_ivp

    rng = np.random.default_rng(11)
    gp, gm, lam = random_rate_set(rng)
    rho0 = random_state(rng)
    t = np.array([0.0, 0.3, 1.7, 4.0])

    def f(_, y):
        return rhs(gp, gm, lam, y.reshape(4, 4)).reshape(16)

    sol = solve_ivp(f, (0, 4), rho0.reshape(16).astype(complex), t_eval=t, rtol=1e-11, atol=1e-13, method="DOP853")
    ref = sol.y.T.reshape(-1, 4, 4)
    np.testing.assert_allclose(evolve(gp, gm, lam, rho0, t), ref, atol=1e-9)


def test_evolution_falls_back_to_expm_and_agrees():
    # forcing the fallback (cond_max = 1) must give the same trajectory
    rng = np.random.default_rng(12)
    gp, gm, lam = random_rate_set(rng, (3,))
    rho0 = random_state(rng)
    t = np.array([0.0, 0.5, 3.0, 30.0])
    a = evolve(gp, gm, lam, rho0, t)
    b = evolve(gp, gm, lam, rho0, t, cond_max=1.0)
    np.testing.assert_allclose(a, b, atol=1e-11)


def test_evolution_of_independent_qubits_with_degenerate_spectrum():
    # independent identical qubits at T = 0 (Gamma = identity): exact amplitude
    # damping, rho_ee,ee(t) = exp(-2t) from |ee>; a degenerate Liouvillian spectrum
    t = np.linspace(0, 3, 7)
    rho = evolve(np.eye(2), np.zeros((2, 2)), 0.0, initial_state("E"), t)
    np.testing.assert_allclose(rho[:, 3, 3].real, np.exp(-2 * t), atol=1e-12)
    np.testing.assert_allclose(rho[:, 1, 1].real, np.exp(-t) * (1 - np.exp(-t)), atol=1e-12)


@pytest.mark.parametrize("name", ["A", "S", "E", "G", "thermal", "random"])
def test_long_time_limit_equals_steady_state(name):
    rng = np.random.default_rng(13)
    gp, gm, lam = random_rate_set(rng, (4,))
    if name == "thermal":
        rho0 = initial_state("thermal", n=0.7)
    elif name == "random":
        rho0 = initial_state(random_state(rng))
    else:
        rho0 = initial_state(name)
    rho_inf = evolve(gp, gm, lam, rho0, np.array([0.0, 400.0]))[:, -1]
    np.testing.assert_allclose(rho_inf, steady_state(gp, gm, lam), atol=1e-10)


def test_evolve_input_checks():
    with pytest.raises(ValueError, match="times must be finite and >= 0"):
        evolve(np.eye(2), np.eye(2), 0.0, initial_state("G"), [0.0, -1.0])
    with pytest.raises(ValueError, match="rho0 must have shape"):
        evolve(np.eye(2), np.eye(2), 0.0, np.eye(2), [1.0])


def paper_rates():
    """Paper-like rate set (default geometry, omega = 0.3 omega_p of SiC, T_W = 30 K,
    T_M = 1200 K): nearly symmetric, Gamma_A ~ 2e-3 << |Lambda12| ~ 1.4e4."""
    from neqent.dynamics import rates

    omega = 0.3 * 1.495e14
    k = rates.compute_kernels(rates.Geometry(), omega)
    gp, gm = rates.rates(k.alpha_W, k.alpha_M, rates.occupation(omega, 30), rates.occupation(omega, 1200))
    assert abs(k.lambda12) > 1e4  # the regime where a 16x16 eigen-expansion drifts
    return gp, gm, k.lambda12


def test_long_time_evolution_is_exactly_hermitian_trace_preserving_and_relaxes():
    # the 16x16 eigen-expansion drifted from Hermiticity by ~1e-15 |Lambda12| t
    # (5e-4 at t = 1e9 here); the block evolution is Hermitian by construction
    # and keeps the trace and the steady state at any t (no overflow / NaN)
    gp, gm, lam = paper_rates()
    rho0 = np.stack([initial_state(s) for s in ("A", "S", "E", "G")] + [initial_state("thermal", n=0.7)])
    t = np.array([0.0, 1e-3, 1.0, 1e2, 1e4, 1e6, 1e8, 1e9, 1e300])
    rho = evolve(gp, gm, lam, rho0, t)
    assert rho.shape == (5, t.size, 4, 4) and np.all(np.isfinite(rho))
    assert np.max(np.abs(rho - np.conj(np.swapaxes(rho, -1, -2)))) == 0.0
    np.testing.assert_allclose(np.trace(rho, axis1=-2, axis2=-1), 1, rtol=0, atol=1e-13)
    np.testing.assert_allclose(rho[:, 0], rho0, atol=1e-12)
    ss = steady_state(gp, gm, lam)
    np.testing.assert_allclose(rho[:, -2], np.broadcast_to(ss, rho0.shape), rtol=0, atol=1e-10)
    np.testing.assert_allclose(rho[:, -1], np.broadcast_to(ss, rho0.shape), rtol=0, atol=1e-10)
    # the A population relaxes slowly (Gamma_A ~ 2e-3): still far from steady at t = 100
    assert abs(rho[0, 3, 1, 1] - ss[1, 1]) > 0.1


def test_block_evolution_equals_the_full_liouvillian_exponential():
    import scipy.linalg

    rng = np.random.default_rng(16)
    gp, gm, lam = random_rate_set(rng, (3,))
    # non-Hermitian rho0: the map is linear, its anti-Hermitian part evolves too
    rho0 = random_state(rng, (3,)) + 0.3j * random_state(rng, (3,))
    t = np.array([0.0, 0.1, 1.3, 7.0, 30.0])
    ours = evolve(gp, gm, lam, rho0, t)
    np.testing.assert_allclose(ours, master._evolve_full(gp, gm, lam, rho0, t), rtol=0, atol=1e-10)
    L = liouvillian(gp, gm, lam)
    for p in range(3):
        ref = np.array([scipy.linalg.expm(L[p] * s) @ rho0[p].reshape(16) for s in t])
        np.testing.assert_allclose(ours[p], ref.reshape(-1, 4, 4), rtol=0, atol=1e-10)
    # the paper-like rates at times where the 16x16 expansion is still accurate
    gp, gm, lam = paper_rates()
    t = np.array([0.0, 1e-4, 0.05, 1.0, 10.0])
    np.testing.assert_allclose(
        evolve(gp, gm, lam, initial_state("A"), t),
        master._evolve_full(gp, gm, lam, initial_state("A"), t),
        rtol=0,
        atol=1e-10,
    )


def test_evolution_broadcasts_rates_and_initial_states():
    rng = np.random.default_rng(17)
    gp, gm, lam = random_rate_set(rng, (3, 1))
    rho0 = random_state(rng, (2,))
    t = np.array([0.0, 0.7, 5.0])
    rho = evolve(gp, gm, lam, rho0, t)
    assert rho.shape == (3, 2, 3, 4, 4)
    for i in range(3):
        for j in range(2):
            np.testing.assert_allclose(rho[i, j], evolve(gp[i, 0], gm[i, 0], lam[i, 0], rho0[j], t), rtol=0, atol=1e-14)
    # one rate point for many states
    assert evolve(gp[0, 0], gm[0, 0], lam[0, 0], rho0, t).shape == (2, 3, 4, 4)


def test_unitary_and_degenerate_kernels_evolve_exactly():
    import scipy.linalg

    # no dissipation: rho(t) = U rho0 U^dag with H = Lambda s1^dag s2 + h.c.;
    # the k = 0 block has a 4-fold zero eigenvalue (no unique stationary mode)
    rng = np.random.default_rng(18)
    rho0 = random_state(rng)
    lam = 0.8 - 0.3j
    H = lam * SIG[0].T @ SIG[1] + np.conj(lam) * SIG[1].T @ SIG[0]
    t = np.array([0.0, 0.4, 3.0, 50.0])
    U = np.array([scipy.linalg.expm(-1j * H * s) for s in t])
    ref = U @ rho0 @ np.conj(np.swapaxes(U, -1, -2))
    z = np.zeros((2, 2))
    np.testing.assert_allclose(evolve(z, z, lam, rho0, t), ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(evolve(z, z, 0.0, rho0, t), np.broadcast_to(rho0, ref.shape), rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------
# Initial states
# ---------------------------------------------------------------------------


def test_named_initial_states():
    r = 1 / np.sqrt(2)
    np.testing.assert_allclose(initial_state("|A>"), np.outer([0, r, -r, 0], [0, r, -r, 0]), atol=1e-16)
    np.testing.assert_allclose(initial_state("S"), np.outer([0, r, r, 0], [0, r, r, 0]), atol=1e-16)
    assert initial_state("E")[3, 3] == 1 and initial_state("g")[0, 0] == 1


def test_thermal_state_is_a_product_of_single_qubit_thermal_states():
    n = 0.37
    q = np.diag([1 + n, n]) / (1 + 2 * n)
    np.testing.assert_allclose(thermal_state(n), np.kron(q, q), atol=1e-16)
    np.testing.assert_allclose(initial_state("thermal", n=n), np.kron(q, q), atol=1e-16)
    assert thermal_state([0.1, 2.0]).shape == (2, 4, 4)
    from neqent.dynamics.rates import occupation

    w, T = 0.3 * 1.495e14, 400.0
    np.testing.assert_allclose(initial_state("thermal", omega=w, T=T), thermal_state(occupation(w, T)))


@pytest.mark.parametrize(
    "matrix, match",
    [
        (np.diag([0.5, 0.5, 0.0, 0.0]) + 0.1j * np.eye(4)[0:1].T @ np.eye(4)[1:2], "not Hermitian"),
        (np.diag([0.5, 0.5, 0.1, 0.0]), "trace 1"),
        (np.diag([0.7, 0.5, -0.2, 0.0]), "not positive semidefinite: smallest eigenvalue -0.2"),
        (np.eye(2) / 2, "shape"),
    ],
)
def test_invalid_user_matrices_raise(matrix, match):
    with pytest.raises(ValueError, match=match):
        initial_state(matrix)


def test_initial_state_name_checks():
    with pytest.raises(ValueError, match="needs n"):
        initial_state("thermal")
    with pytest.raises(ValueError, match="must be finite and >= 0"):
        initial_state("thermal", n=-0.1)
    with pytest.raises(ValueError, match="initial state name"):
        initial_state("Bell")


# ---------------------------------------------------------------------------
# Cross-check against QuTiP (Lindblad form built independently from §6)
# ---------------------------------------------------------------------------


def qutip_model(gp, gm, lam):
    """H and collapse operators of §6 in QuTiP's tensor(qubit1, qubit2) ordering.

    sum_qq' G^{qq'} s_q' rho s_q^dag = sum_ij h_ij s_i rho s_j^dag with h = G^T;
    h = sum_k mu_k v_k v_k^dag gives L_k = sqrt(mu_k) sum_i v_k[i] s_i
    (and s -> s^dag for the absorption part, h = Gamma(-w)^T).
    """
    qt = pytest.importorskip("qutip")
    g, e = qt.basis(2, 0), qt.basis(2, 1)
    sm = g * e.dag()
    s = [qt.tensor(sm, qt.qeye(2)), qt.tensor(qt.qeye(2), sm)]
    H = lam * s[0].dag() * s[1] + np.conj(lam) * s[1].dag() * s[0]
    c_ops = []
    for G, ops in ((gp, s), (gm, [x.dag() for x in s])):
        mu, v = np.linalg.eigh(G.T)
        for k in range(2):
            if mu[k] > 1e-14:
                c_ops.append(np.sqrt(mu[k]) * (v[0, k] * ops[0] + v[1, k] * ops[1]))
    return qt, H, c_ops


PERM = [0, 2, 1, 3]  # our index a + 2b  <->  QuTiP index 2a + b


def from_qutip(q):
    return q.full()[np.ix_(PERM, PERM)]


def test_steady_state_agrees_with_qutip():
    rng = np.random.default_rng(14)
    gp, gm, lam = random_rate_set(rng, (4,), shift=0.05)
    # z1 != z2 style: strongly unequal self rates, complex Gamma^12, Lambda != 0
    gp[0], gm[0] = spec_rates(
        np.array([[2.0, 0.3 + 0.4j], [0.3 - 0.4j, 0.5]]), np.array([[0.8, -0.5j], [0.5j, 0.4]]), 0.2, 3.0
    )
    lam[0] = 0.7 - 0.2j
    ours = steady_state(gp, gm, lam)
    worst = 0.0
    for p in range(4):
        qt, H, c_ops = qutip_model(gp[p], gm[p], lam[p])
        ref = from_qutip(qt.steadystate(H, c_ops))
        worst = max(worst, np.max(np.abs(ours[p] - ref)))
    assert worst < 1e-10
    assert np.max(np.abs(ours[:, 1, 2])) > 1e-3  # a non-trivial coherence was compared


def test_evolution_agrees_with_qutip_mesolve():
    rng = np.random.default_rng(15)
    gp, gm, lam = random_rate_set(rng, shift=0.05)
    rho0 = random_state(rng)
    t = np.array([0.0, 0.2, 1.0, 3.0, 8.0])
    qt, H, c_ops = qutip_model(gp, gm, lam)
    r0q = qt.Qobj(rho0[np.ix_(PERM, PERM)], dims=[[2, 2], [2, 2]])
    res = qt.mesolve(H, r0q, t, c_ops, options={"atol": 1e-13, "rtol": 1e-11, "nsteps": 100000})
    ref = np.array([from_qutip(s) for s in res.states])
    np.testing.assert_allclose(evolve(gp, gm, lam, rho0, t), ref, atol=1e-8)
