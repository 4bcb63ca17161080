"""The physics-free search engine (neqent.dynamics.search) on objectives with a known optimum."""

import numpy as np
import pytest

from neqent.dynamics.search import PENALTY, ChunkedMap, auto_log, maximise, population_size, settle, sharpness


def shifted_bowl(centre, scale):
    """Smooth maximum 1 at ``centre``; coordinates scaled by ``scale`` (batched)."""
    centre, scale = np.asarray(centre), np.asarray(scale)
    return lambda X: 1.0 - np.sum(((np.asarray(X) - centre) / scale) ** 2, axis=-1)


def rastrigin_peak(X):
    """Negative Rastrigin around (0.3, -0.7): 100 local maxima, the global one is 0 at (0.3, -0.7)."""
    Y = np.asarray(X) - np.array([0.3, -0.7])
    return -(20 + np.sum(Y**2 - 10 * np.cos(2 * np.pi * Y), axis=-1))


def test_finds_the_maximum_of_a_bowl_with_a_log_coordinate():
    # second coordinate spans 4 decades (searched on a log scale), optimum at 3e-7
    f = shifted_bowl([0.25, 3e-7, 1200.0], [1.0, 1e-6, 2500.0])
    r = maximise(f, [0.0, 1e-9, 0.0], [1.0, 1e-5, 2500.0], budget=2500, seed=4)
    assert auto_log([0.0, 1e-9, 0.0], [1.0, 1e-5, 2500.0]).tolist() == [False, True, False]
    np.testing.assert_allclose(r.x, [0.25, 3e-7, 1200.0], rtol=1e-3, atol=1e-4)
    assert r.value == pytest.approx(1.0, abs=1e-7)
    assert r.at_bounds == []
    assert r.evaluations <= 2500


def test_global_maximum_among_many_local_ones():
    r = maximise(rastrigin_peak, [-5.12, -5.12], [5.12, 5.12], budget=3000, seed=0)
    np.testing.assert_allclose(r.x, [0.3, -0.7], atol=1e-5)
    assert r.value == pytest.approx(0.0, abs=1e-8)


def test_plateau_objective_guided_by_a_witness():
    """C = 2 max(0, K) is flat (0) except in a small corner; maximising the
    signed K finds the corner, and C there is the true maximum."""

    def witness(X):
        X = np.asarray(X)
        return 0.1 - np.hypot(X[:, 0] - 0.9, X[:, 1] - 0.85)  # > 0 only within 0.1 of (0.9, 0.85)

    for seed in (3, 4):
        r = maximise(witness, [0.0, 0.0], [1.0, 1.0], budget=600, seed=seed)
        assert 2 * max(0.0, r.value) == pytest.approx(0.2, abs=1e-3)  # a cone: non-smooth tip
        np.testing.assert_allclose(r.x, [0.9, 0.85], atol=1e-3)
        # the same search on C itself (these seeds start no member in the corner,
        # ~3 % of the box) sees a flat 0 and stops within a few generations: a false best,
        # which the polish (also flat) cannot repair
        flat = maximise(lambda X: 2 * np.maximum(0.0, witness(X)), [0.0, 0.0], [1.0, 1.0], budget=600, seed=seed)
        assert flat.value == 0.0 and flat.generations <= 3


def test_optimum_outside_the_box_is_reported_at_bound():
    f = shifted_bowl([2.0, 0.5], [1.0, 1.0])  # x0 wants 2, the box stops at 1
    r = maximise(f, [0.0, 0.0], [1.0, 1.0], budget=400, seed=2)
    assert r.at_bounds == [0]
    assert r.x[0] == pytest.approx(1.0, abs=1e-6)


def test_failed_points_never_win():
    """NaN/inf values (failed evaluations) are penalised, not maximal."""

    def f(X):
        X = np.asarray(X)
        v = -np.sum((X - 0.5) ** 2, axis=-1)
        return np.where(X[:, 0] > 0.7, np.nan, np.where(X[:, 1] < 0.2, np.inf, v))

    r = maximise(f, [0.0, 0.0], [1.0, 1.0], budget=300, seed=3)
    assert np.isfinite(r.value) and r.value > PENALTY
    assert r.x[0] <= 0.7 and r.x[1] >= 0.2


def test_reproducible_and_budget_checked():
    f = shifted_bowl([0.1, 0.2, 0.3], [1, 1, 1])
    a = maximise(f, [0, 0, 0], [1, 1, 1], budget=200, seed=7)
    b = maximise(f, [0, 0, 0], [1, 1, 1], budget=200, seed=7)
    assert np.array_equal(a.x, b.x) and a.evaluations == b.evaluations <= 200
    assert np.array_equal(a.history["best"], b.history["best"])
    assert np.all(np.diff(a.history["best"]) >= 0)  # running best never decreases
    with pytest.raises(ValueError, match="population size 45"):
        maximise(f, [0, 0, 0], [1, 1, 1], budget=population_size(3) - 1, seed=7)
    with pytest.raises(ValueError, match="lower < upper"):
        maximise(f, [0, 0, 1], [1, 1, 1], budget=200, seed=7)


def test_sharpness_ranges_of_a_parabola():
    """f = 1 - x^2 - (y/2)^2: C >= (1 - L) f_max for |x| <= sqrt(L), |y| <= 2 sqrt(L)."""

    def f(X):
        X = np.asarray(X)
        return 1 - X[:, 0] ** 2 - (X[:, 1] / 2) ** 2

    cuts, ranges, best = sharpness(f, [0.0, 0.0], [-1.0, -0.5], [1.0, 3.0], bisections=30)
    assert best == 1.0
    for level in (0.01, 0.1):
        np.testing.assert_allclose(ranges[0][level], (-np.sqrt(level), np.sqrt(level)), atol=1e-7)
    np.testing.assert_allclose(ranges[1][0.01], (-0.2, 0.2), atol=1e-7)
    # the 10 % range of y hits the lower bound -0.5 (2 sqrt(0.1) = 0.63 > 0.5)
    np.testing.assert_allclose(ranges[1][0.1], (-0.5, 2 * np.sqrt(0.1)), atol=1e-7)
    values, fx = cuts[0]
    assert 0.0 in values and np.allclose(fx, 1 - values**2)


def test_sharpness_without_a_positive_maximum_has_no_ranges():
    cuts, ranges, best = sharpness(lambda X: np.zeros(len(X)), [0.5], [0.0], [1.0])
    assert best == 0.0 and ranges == [None]


def test_chunked_map_is_independent_of_workers():
    X = np.random.default_rng(0).random((101, 3))
    one = ChunkedMap(rastrigin_peak_3, workers=1, chunk=16)(X)
    with ChunkedMap(rastrigin_peak_3, workers=2, chunk=16) as two:
        assert np.array_equal(one, two(X))
    assert np.array_equal(one, rastrigin_peak_3(X))


def rastrigin_peak_3(X):  # module level: picklable for the process pool
    return np.sum(np.cos(7 * np.asarray(X)), axis=-1)


def test_settle_moves_to_a_better_point_found_by_a_cut():
    """A search stopped short of the peak (x = 0.3 on 1 - x^2): the cut finds 0,
    which becomes the optimum, and the ranges are measured there."""

    def f(X):
        X = np.asarray(X)
        return 1 - X[:, 0] ** 2 - X[:, 1] ** 2

    x, cuts, ranges, best, moves = settle(f, [0.3, 0.0], [-1.0, -1.0], [1.0, 1.0])
    assert moves == 1 and best == 1.0 and np.array_equal(x, [0.0, 0.0])
    np.testing.assert_allclose(ranges[0][0.01], (-0.1, 0.1), atol=1e-6)
    assert max(np.max(c) for _, c in cuts) <= best
