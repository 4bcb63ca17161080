"""Bounded global maximisation of a batched objective (physics-free).

The search engine behind ``neqent optimize`` (docs/theory.md §7 for the
quantity it is used on). It knows nothing about qubits: it maximises any
function ``f(X) -> (N,)`` of a batch ``X`` of shape (N, d) inside a box, by

1. :func:`scipy.optimize.differential_evolution` with ``vectorized=True``
   (a whole generation is one call of ``f``), on the unit cube: each
   coordinate is mapped linearly, or logarithmically for a positive range
   spanning a decade or more (:func:`auto_log`), so that a search over
   ``1nm:10um`` is not blind below 1 um;
2. a bounded Nelder-Mead polish of the best member (a small share of the
   budget), kept only if it improves.

Every value ``f`` returns is counted against the budget (``evaluations`` is
exact) and the running best is recorded per call (the convergence history).
Non-finite values count as the worst possible (``-inf`` is replaced by
:data:`PENALTY`), so a failed point can never be reported as the best.

:func:`sharpness` measures how flat the optimum is: for each coordinate, the
interval around the optimum (others fixed) where a second function stays
above given fractions of its best value, located on a 1-D grid and refined by
bisection, all batched. :class:`ChunkedMap` evaluates a batch in fixed-size
chunks, optionally on a process pool: the result does not depend on the
number of workers (each chunk is computed by the same code on the same rows).
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "PENALTY",
    "AT_BOUND_TOL",
    "SearchResult",
    "ChunkedMap",
    "CountedObjective",
    "UnitBox",
    "polish",
    "auto_log",
    "population_size",
    "maximise",
    "sharpness",
    "settle",
    "at_bounds",
    "cut_grid",
]

#: Value given to points whose objective is not finite (a failure, never a best).
PENALTY = -1e9
#: A coordinate is reported at a bound when within this fraction of its (search-scale) range.
AT_BOUND_TOL = 1e-3
#: Share of the budget given to the local polish (at most POLISH_MAX evaluations).
POLISH_SHARE = 0.05
POLISH_MAX = 400
#: Population size per varied coordinate (scipy's ``popsize`` multiplier).
POPSIZE = 15


def auto_log(lower, upper):
    """Search scale per coordinate: logarithmic where 0 < lower and upper >= 10 lower.

    Parameters
    ----------
    lower, upper : array_like, shape (d,)
        Bounds of the box (in the objective's own units).

    Returns
    -------
    ndarray, shape (d,), bool
        True where the coordinate is searched on a log scale.
    """
    lo = np.asarray(lower, float)
    hi = np.asarray(upper, float)
    return (lo > 0) & (hi >= 10 * lo)


def population_size(d, popsize=POPSIZE):
    """Members of the differential-evolution population (scipy: popsize * d).

    Parameters
    ----------
    d : int
        Number of coordinates [1].
    popsize : int
        Members per coordinate [1].

    Returns
    -------
    int
        Population size [1].
    """
    return int(popsize) * max(1, int(d))


class UnitBox:
    """Map between the unit cube and the box [lower, upper] (log or linear per coordinate).

    Parameters
    ----------
    lower, upper : array_like, shape (d,)
        Bounds (in the objective's own units).
    log : array_like, shape (d,), bool
        Logarithmic scale per coordinate (needs lower > 0 there).
    """

    def __init__(self, lower, upper, log):
        self.lower = np.asarray(lower, float)
        self.upper = np.asarray(upper, float)
        self.log = np.asarray(log, bool)
        self.a = np.where(self.log, np.log(np.where(self.log, self.lower, 1.0)), self.lower)
        self.b = np.where(self.log, np.log(np.where(self.log, self.upper, 1.0)), self.upper)

    def to_box(self, u):
        """Points of the box [objective units] from unit-cube points (..., d)."""
        x = self.a + np.asarray(u, float) * (self.b - self.a)
        x[..., self.log] = np.exp(x[..., self.log])
        return np.clip(x, self.lower, self.upper)  # exp/log round-off must not leave the box

    def to_unit(self, x):
        """Unit-cube points from box points (..., d) [objective units]."""
        x = np.asarray(x, float)
        s = np.where(self.log, np.log(np.where(self.log, x, 1.0)), x)
        return (s - self.a) / (self.b - self.a)


class ChunkedMap:
    """Evaluate ``func`` on the rows of a batch in fixed chunks, serially or on a process pool.

    Chunks have ``chunk`` rows whatever the worker count, and are concatenated in
    order, so results are bit-identical for any ``workers``. Use as a context
    manager (closes the pool). Calling it with X of shape (N, d) returns (N,) floats.

    Parameters
    ----------
    func : callable
        (n, d) -> (n,) values; picklable (a module-level function or an instance
        with ``__call__``) when ``workers > 1``.
    workers : int
        Worker processes [1]; 1 evaluates in this process.
    chunk : int
        Rows per call of ``func`` [1].
    """

    def __init__(self, func, workers=1, chunk=64):
        self.func = func
        self.workers = max(1, int(workers))
        self.chunk = max(1, int(chunk))
        self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Shut the process pool down (if one was started)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __call__(self, X):
        X = np.asarray(X, float)
        n = X.shape[0]
        parts = [X[s : s + self.chunk] for s in range(0, n, self.chunk)]
        if self.workers == 1 or len(parts) == 1:
            out = [self.func(p) for p in parts]
        else:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.workers)
            out = list(self._pool.map(self.func, parts))
        return np.concatenate([np.asarray(o, float) for o in out]) if out else np.empty(0)


@dataclass
class SearchResult:
    """Outcome of :func:`maximise` (coordinates in the objective's own units).

    Parameters
    ----------
    x : ndarray, shape (d,)
        Best point.
    value : float
        Objective at ``x``.
    evaluations : int
        Objective values computed (all of them, polish included) [1].
    at_bounds : list of int
        Indices of coordinates within ``AT_BOUND_TOL`` of a bound.
    history : dict
        ``"evaluations"`` and ``"best"`` arrays: the running best after each call.
    generations : int
        Differential-evolution generations run [1].
    polished : bool
        True if the local polish improved the population's best.
    message : str
        scipy's termination message.
    """

    x: np.ndarray  # (d,) best point
    value: float  # objective at x
    evaluations: int  # objective values computed (all of them, polish included)
    at_bounds: list  # indices of coordinates within AT_BOUND_TOL of a bound
    history: dict = field(default_factory=dict)  # "evaluations", "best" (running best after each call)
    generations: int = 0
    polished: bool = False  # True if the local polish improved the population's best
    message: str = ""


class CountedObjective:
    """Objective wrapper: unit cube -> box, counts evaluations, records the running best.

    Non-finite values become :data:`PENALTY`. Calling it with U (N, d) in the
    unit cube returns the (N,) values.

    Parameters
    ----------
    func : callable
        X (N, d) -> (N,) values, X in the box.
    box : UnitBox
        The map from the unit cube.
    budget : int
        Evaluations allowed [1] (kept for the caller; not enforced here).
    progress : callable, optional
        Called with the number of new evaluations after each call.
    """

    def __init__(self, func, box, budget, progress=None):
        self.func, self.box, self.budget, self.progress = func, box, int(budget), progress
        self.count = 0
        self.best_value, self.best_x = -math.inf, None
        self.hist_n, self.hist_best = [], []

    def __call__(self, U):
        U = np.atleast_2d(np.asarray(U, float))
        X = self.box.to_box(U)
        v = np.asarray(self.func(X), float).reshape(-1)
        v = np.where(np.isfinite(v), v, PENALTY)
        self.count += len(v)
        i = int(np.argmax(v))
        if v[i] > self.best_value:
            self.best_value, self.best_x = float(v[i]), X[i].copy()
        self.hist_n.append(self.count)
        self.hist_best.append(self.best_value)
        if self.progress is not None:
            self.progress(len(v))
        return v


def maximise(func, lower, upper, *, budget, seed, log=None, popsize=POPSIZE, progress=None):
    """Maximise the batched ``func`` over the box [lower, upper].

    Differential evolution (scipy, ``vectorized=True``, deferred updating,
    Latin-hypercube start) runs ``(budget - polish) // population - 1``
    generations at most (it stops earlier when the population has converged);
    the polish (bounded Nelder-Mead on the best member, up to
    ``min(POLISH_MAX, POLISH_SHARE * budget)`` evaluations) gets the rest.

    Parameters
    ----------
    func : callable
        X (N, d) -> (N,) values to maximise (non-finite = failure).
    lower, upper : array_like, shape (d,)
        Finite bounds with lower < upper (in the objective's own units).
    budget : int
        Maximum number of objective values [1], >= :func:`population_size`.
    seed : int
        Random seed (runs are reproducible).
    log : array_like, shape (d,), bool, optional
        Search on a log scale (default :func:`auto_log`).
    popsize : int
        Population members per coordinate [1].
    progress : callable, optional
        Called with the number of new evaluations after each batch.

    Returns
    -------
    SearchResult
        Best point, value, evaluation count and convergence history.

    Raises
    ------
    ValueError
        For bad bounds or a budget below the population size.
    """
    from scipy.optimize import differential_evolution

    lower = np.atleast_1d(np.asarray(lower, float))
    upper = np.atleast_1d(np.asarray(upper, float))
    d = lower.size
    if upper.shape != lower.shape or d == 0:
        raise ValueError(f"lower and upper must be non-empty and of equal length, got {lower.size} and {upper.size}")
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper)) and np.all(lower < upper)):
        raise ValueError(f"bounds must be finite with lower < upper, got {lower.tolist()} and {upper.tolist()}")
    pop = population_size(d, popsize)
    budget = int(budget)
    if budget < pop:
        raise ValueError(f"budget must be >= the population size {pop} ({popsize} x {d} parameters), got {budget}")
    box = UnitBox(lower, upper, auto_log(lower, upper) if log is None else log)
    polish_budget = min(POLISH_MAX, int(POLISH_SHARE * budget))
    generations = max(0, (budget - polish_budget) // pop - 1)  # the initial population is one batch
    counted = CountedObjective(func, box, budget, progress)

    def negative(U):  # scipy: U (d, S) -> (S,) values to minimise
        return -counted(np.asarray(U).T)

    res = differential_evolution(
        negative,
        [(0.0, 1.0)] * d,
        maxiter=generations,
        popsize=popsize,
        tol=1e-7,  # run the budget unless the population has truly collapsed
        seed=int(seed),
        polish=False,
        init="latinhypercube",
        updating="deferred",
        vectorized=True,
    )
    message = str(res.message)
    left = min(max(polish_budget, POLISH_MAX), budget - counted.count)  # DE may stop early: all the rest
    polished = polish(counted, left)
    x = counted.best_x
    at = at_bounds(x, lower, upper, box.log)
    return SearchResult(
        x=x,
        value=counted.best_value,
        evaluations=counted.count,
        at_bounds=at,
        history={"evaluations": np.array(counted.hist_n), "best": np.array(counted.hist_best)},
        generations=int(res.nit),
        polished=polished,
        message=message,
    )


def polish(counted, left, free=None, start=None):
    """Bounded Nelder-Mead from the best point so far, on the unit cube, within ``left`` evaluations.

    Parameters
    ----------
    counted : CountedObjective
        The counted objective (its best point is the start).
    left : int
        Evaluations the polish may use [1]; below ``2 d + 2`` it does not run.
    free : array_like of int, optional
        Coordinates the polish moves (default all); the others stay at the start's.
    start : array_like, shape (d,), optional
        Starting point in the box (default the best point so far).

    Returns
    -------
    bool
        True if the polish improved the best value.
    """
    from scipy.optimize import minimize

    start = counted.best_x if start is None else np.asarray(start, float)
    if start is None:
        return False
    u_best = np.clip(counted.box.to_unit(start), 0.0, 1.0)
    free = np.arange(u_best.size) if free is None else np.asarray(free, int)
    d = free.size
    if d == 0 or left < 2 * d + 2:
        return False
    before = counted.best_value

    def negative(v):
        u = u_best.copy()
        u[free] = v
        return float(-counted(u[None, :])[0])

    u0 = u_best[free]
    minimize(
        negative,
        u0,
        method="Nelder-Mead",
        bounds=[(0.0, 1.0)] * d,
        options={"maxfev": left - 1, "xatol": 1e-9, "fatol": 1e-12, "initial_simplex": _simplex(u0)},
    )
    return counted.best_value > before


def at_bounds(x, lower, upper, log=None):
    """Indices of the coordinates of ``x`` within :data:`AT_BOUND_TOL` of a bound (search scale).

    Parameters
    ----------
    x, lower, upper : array_like, shape (d,)
        Point and bounds (in the objective's own units).
    log : array_like, shape (d,), bool, optional
        Search scale (default :func:`auto_log`).

    Returns
    -------
    list of int
        The indices.
    """
    lower = np.asarray(lower, float)
    upper = np.asarray(upper, float)
    u = UnitBox(lower, upper, auto_log(lower, upper) if log is None else log).to_unit(x)
    return [i for i in range(u.size) if u[i] <= AT_BOUND_TOL or u[i] >= 1 - AT_BOUND_TOL]


def settle(func, x, lower, upper, *, max_moves=5, **kwargs):
    """:func:`sharpness` at ``x``, moving to any better point a cut reveals and starting again.

    The cuts are a last, cheap global check: if one of them finds a larger
    value than ``func(x)`` (a search stopped early, e.g. on a small budget),
    that point becomes the optimum, so the reported best is never beaten by a
    value shown next to it.

    Parameters
    ----------
    func : callable
        X (N, d) -> (N,) values.
    x, lower, upper : array_like, shape (d,)
        Starting point and bounds (in the objective's own units).
    max_moves : int
        Largest number of moves [1].
    **kwargs
        Passed to :func:`sharpness`.

    Returns
    -------
    x : ndarray, shape (d,)
        The settled optimum.
    cuts, ranges, best
        As returned by :func:`sharpness` at that point.
    moves : int
        Moves made [1].
    """
    x = np.asarray(x, float).copy()
    for moves in range(max_moves + 1):
        cuts, ranges, best = sharpness(func, x, lower, upper, **kwargs)
        top = [(float(np.nanmax(f)) if np.any(np.isfinite(f)) else -math.inf) for _, f in cuts]
        i = int(np.argmax(top))
        if not top[i] > best or moves == max_moves:
            return x, cuts, ranges, best, moves
        values, f = cuts[i]
        x[i] = values[int(np.nanargmax(f))]


def _simplex(u0, step=0.02):
    """Initial Nelder-Mead simplex around u0 inside the unit cube (steps point inwards)."""
    d = u0.size
    s = np.repeat(u0[None, :], d + 1, axis=0)
    for i in range(d):
        s[i + 1, i] += step if u0[i] + step <= 1 else -step
    return s


def cut_grid(lower, upper, x, num, log=False):
    """Grid of a 1-D cut with the optimum inserted.

    Parameters
    ----------
    lower, upper : float
        Ends of the cut (in the coordinate's units).
    x : float
        Value inserted into the grid.
    num : int
        Grid points [1] before the insertion.
    log : bool
        Log-spaced (else linear).

    Returns
    -------
    ndarray
        The sorted unique values.
    """
    g = np.geomspace(lower, upper, num) if log else np.linspace(lower, upper, num)
    return np.unique(np.append(g, x))


def sharpness(func, x, lower, upper, *, levels=(0.01, 0.1), num=41, bisections=20, log=None):
    """1-D sensitivity of a maximum: for each coordinate, the cut and the ranges within ``levels``.

    A level L defines the interval around ``x[i]`` (other coordinates fixed)
    where ``func >= (1 - L) func(x)``. Each cut is evaluated on :func:`cut_grid`
    (``num`` points, log-spaced where ``log``), then both ends of every interval
    are refined by ``bisections`` batched bisection steps between the last grid
    point inside and the first outside (an end at a bound stays there). Assumes
    the values inside are contiguous around ``x`` (the first crossing on each
    side is taken).

    Parameters
    ----------
    func : callable
        X (N, d) -> (N,) values (e.g. the concurrence).
    x : array_like, shape (d,)
        Location of the maximum (in the objective's own units).
    lower, upper : array_like, shape (d,)
        Bounds of the cuts.
    levels : tuple of float
        Relative drops [1].
    num : int
        Grid points per cut [1].
    bisections : int
        Bisection steps per interval end [1].
    log : array_like, shape (d,), bool, optional
        Log-spaced cuts (default :func:`auto_log`).

    Returns
    -------
    cuts : list of (ndarray, ndarray)
        ``cuts[i] = (values, f)``.
    ranges : list of dict or list of None
        ``ranges[i][L] = (lo, hi)``; None when ``best <= 0`` (no relative level exists).
    best : float
        ``func(x)``.
    """
    x = np.asarray(x, float)
    lower = np.asarray(lower, float)
    upper = np.asarray(upper, float)
    d = x.size
    log = auto_log(lower, upper) if log is None else np.asarray(log, bool)
    grids = [cut_grid(lower[i], upper[i], x[i], num, bool(log[i])) for i in range(d)]
    rows = np.repeat(x[None, :], 1 + sum(g.size for g in grids), axis=0)
    at = 1
    for i, g in enumerate(grids):
        rows[at : at + g.size, i] = g
        at += g.size
    f = np.asarray(func(rows), float)
    best = float(f[0])
    cuts, at = [], 1
    for g in grids:
        cuts.append((g, f[at : at + g.size]))
        at += g.size
    if not (best > 0):
        return cuts, [None] * d, best
    # brackets: (i, level, side) -> [inside, outside] (outside None: the bound is inside)
    brackets = {}
    for i, (g, fi) in enumerate(cuts):
        k0 = int(np.searchsorted(g, x[i]))
        for level in levels:
            ok = fi >= (1 - level) * best
            for side, step in (("lo", -1), ("hi", 1)):
                k = k0
                while 0 <= k + step < g.size and ok[k + step]:
                    k += step
                outside = k + step
                brackets[(i, level, side)] = [g[k], g[outside] if 0 <= outside < g.size else None]
    open_ = [key for key, b in brackets.items() if b[1] is not None]
    for _ in range(bisections if open_ else 0):
        X = np.repeat(x[None, :], len(open_), axis=0)
        for r, key in enumerate(open_):
            i = key[0]
            a, b = brackets[key]
            X[r, i] = math.sqrt(a * b) if log[i] else 0.5 * (a + b)
        fv = np.asarray(func(X), float)
        for r, key in enumerate(open_):
            inside = fv[r] >= (1 - key[1]) * best
            brackets[key][0 if inside else 1] = X[r, key[0]]
    ranges = []
    for i in range(d):
        ranges.append(
            {
                level: (
                    brackets[(i, level, "lo")][0] if brackets[(i, level, "lo")][1] is not None else lower[i],
                    brackets[(i, level, "hi")][0] if brackets[(i, level, "hi")][1] is not None else upper[i],
                )
                for level in levels
            }
        )
    return cuts, ranges, best
