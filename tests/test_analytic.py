"""Symmetric special case, closed forms of docs/theory.md §8."""

import numpy as np
import pytest

from neqent.dynamics import analytic as an


def rate_matrix(ratio, nA, nS):
    """Independent check: 4-level rate equations of the coupled basis G, A, S, E.

    Channel X (A or S) with rate Gamma_X and occupation n_X connects G <-> X
    and X <-> E: down-rate Gamma_X (1 + n_X), up-rate Gamma_X n_X. The
    |E> <-> |X> matrix element of the collective operator has the same weight
    as |X> <-> |G> (sigma_1 +- sigma_2 normalised by 1/sqrt2 in each).
    """
    gA, gS = ratio, 1.0
    W = np.zeros((4, 4))  # W[i, j]: rate j -> i ; order G, A, S, E
    for x, g, n in ((1, gA, nA), (2, gS, nS)):
        W[0, x] += g * (1 + n)  # X -> G
        W[x, 0] += g * n  # G -> X
        W[x, 3] += g * (1 + n)  # E -> X
        W[3, x] += g * n  # X -> E
    return W - np.diag(W.sum(axis=0))


def stationary(M):
    w, v = np.linalg.eig(M)
    p = np.real(v[:, np.argmin(np.abs(w))])
    return p / p.sum()


@pytest.mark.parametrize("ratio, nA, nS", [(0.1, 0.3, 0.0), (1e-3, 5.0, 0.2), (7.0, 0.0, 2.5), (1.0, 1.0, 1.0)])
def test_populations_solve_the_rate_equations(ratio, nA, nS):
    np.testing.assert_allclose(
        an.symmetric_populations(ratio, nA, nS), stationary(rate_matrix(ratio, nA, nS)), atol=1e-13
    )


def test_thermal_limit_has_zero_concurrence():
    n = np.array([0.0, 0.1, 1.0, 30.0])
    for ratio in (1e-4, 1.0, 50.0):
        p = an.symmetric_populations(ratio, n, n)
        z = (1 + 2 * n) ** 2
        expected = np.stack([(1 + n) ** 2, n * (1 + n), n * (1 + n), n**2], -1) / z[:, None]
        np.testing.assert_allclose(p, expected, atol=1e-15)
        np.testing.assert_array_equal(an.symmetric_concurrence(ratio, n, n), 0.0)


def test_k1_definition_and_broadcasting():
    ratio, nA, nS = 0.05, np.linspace(0, 2, 5)[:, None], np.array([0.0, 0.01])
    p = an.symmetric_populations(ratio, nA, nS)
    assert p.shape == (5, 2, 4)
    k = an.symmetric_k1(ratio, nA, nS)
    np.testing.assert_allclose(k, np.abs(p[..., 2] - p[..., 1]) / 2 - np.sqrt(p[..., 0] * p[..., 3]), atol=1e-15)
    np.testing.assert_allclose(an.symmetric_concurrence(ratio, nA, nS), 2 * np.maximum(k, 0), atol=0)
    assert np.max(an.symmetric_concurrence(ratio, nA, nS)) > 0.05


def test_ratio_scale_invariance_and_limits():
    # only Gamma_A/Gamma_S matters; ratio = 0 and inf are the decoupled limits
    c = an.symmetric_concurrence([0.0, 1e-300, np.inf, 1e300], [50.0, 50.0, 0.0, 0.0], [0.0, 0.0, 50.0, 50.0])
    np.testing.assert_allclose(c, c[0], rtol=1e-12)
    # A <-> S exchange with ratio -> 1/ratio
    np.testing.assert_allclose(
        an.symmetric_concurrence(0.02, 1.3, 0.1), an.symmetric_concurrence(50.0, 0.1, 1.3), rtol=1e-13
    )


def test_max_concurrence_tends_to_one_third_in_both_limits():
    C_small, nA, nS = an.max_symmetric_concurrence(1e-6)
    C_large, nA2, nS2 = an.max_symmetric_concurrence(1e6)
    # the approach is slow: 1/3 - C_max ~ 0.87 ratio^(1/3)
    assert 1 / 3 - 1e-2 < C_small < 1 / 3 and 1 / 3 - 1e-2 < C_large < 1 / 3
    assert C_small == pytest.approx(C_large, abs=1e-12)
    assert nS == 0.0 and nA2 == 0.0 and nA == pytest.approx(nS2, rel=1e-5)
    C8, _, _ = an.max_symmetric_concurrence(1e-8)
    assert 1 / 3 - 3e-3 < C8 < 1 / 3
    # deficit scaling ratio^(1/3) between 1e-6 and 1e-8
    assert (1 / 3 - C_small) / (1 / 3 - C8) == pytest.approx(100 ** (1 / 3), rel=0.05)


def test_max_concurrence_beats_a_dense_brute_force_grid():
    n = np.concatenate([[0.0], np.logspace(-4, 5, 400)])
    A, S = np.meshgrid(n, n, indexing="ij")
    ratios = np.array([1e-8, 1e-3, 0.2, 0.5, 4.0, 1e4])
    C, nA, nS = an.max_symmetric_concurrence(ratios)
    assert C.shape == (6,)
    for r, c, a, s in zip(ratios, C, nA, nS):
        brute = np.max(an.symmetric_concurrence(r, A, S))
        assert c >= brute - 1e-12 and c == pytest.approx(brute, abs=1e-4)
        assert an.symmetric_concurrence(r, a, s) == pytest.approx(c, abs=1e-14)
    # no entanglement for 1/3 <= ratio <= 3
    assert C[2] > 0 and C[3] == 0.0 and C[4] > 0


def test_bad_inputs():
    with pytest.raises(ValueError, match="ratio"):
        an.symmetric_populations(-1.0, 0.1, 0.1)
    with pytest.raises(ValueError, match="n_S"):
        an.symmetric_concurrence(0.1, 0.1, np.nan)
    with pytest.raises(ValueError, match="ratio"):
        an.max_symmetric_concurrence(0.0)
