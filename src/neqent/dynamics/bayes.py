"""Sample-efficient bounded maximisation of a batched objective: Bayesian optimisation (physics-free).

The route for expensive objectives (a body whose kernels cost seconds), next
to the differential evolution of :func:`neqent.dynamics.search.maximise`,
with the same contract: ``func(X) -> (N,)`` on batches, a box, a budget of
counted evaluations, a seed, a :class:`~neqent.dynamics.search.SearchResult`.

1. optuna's tree-structured Parzen estimator (TPE, multivariate, seeded) on
   the unit cube of :class:`~neqent.dynamics.search.UnitBox` (log scale for
   ranges spanning a decade, :func:`~neqent.dynamics.search.auto_log`), with
   categorical coordinates as optuna categoricals. TPE rather than optuna's
   Gaussian-process sampler: it handles categorical and continuous variables
   together without torch. Candidates are asked and told in batches of
   ``batch`` (``constant_liar``: pending candidates count as bad, so one batch
   spreads out), so a batch is one call of ``func`` -- spread over processes or
   MPI ranks by the caller -- and, for a fixed seed and batch size, the run
   does not depend on how the batch was evaluated.
2. A bounded Nelder-Mead polish of the continuous coordinates
   (:func:`~neqent.dynamics.search.polish`) with the last ``polish_share`` of
   the budget, from the best point of each of the ``tops`` best combinations
   of categorical options: TPE locates the basins, the polish their tops.

A categorical coordinate with k options takes the values i + 1/2 (i = 0..k-1)
in its box [0, k]; :func:`category` turns them back into indices.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["maximise_bo", "category", "POLISH_SHARE", "BATCH", "TOPS"]

#: Share of the budget for the final local polish.
POLISH_SHARE = 0.2
#: Combinations of categorical options whose best points are polished.
TOPS = 2
#: Default candidates per ask/tell batch.
BATCH = 8


def category(x, k):
    """Index of a categorical coordinate's value (the box [0, k], value i + 1/2 for option i).

    Parameters
    ----------
    x : float or array_like
        Coordinate value(s) [1].
    k : int
        Number of options [1].

    Returns
    -------
    int or ndarray of int
        Option index in 0..k-1.
    """
    return np.clip(np.floor(np.asarray(x, float)).astype(int), 0, int(k) - 1)


def maximise_bo(
    func,
    lower,
    upper,
    *,
    budget,
    seed,
    categories=None,
    batch=BATCH,
    polish_share=POLISH_SHARE,
    tops=TOPS,
    progress=None,
):
    """Maximise the batched ``func`` over the box [lower, upper] by TPE, then a local polish.

    Parameters
    ----------
    func : callable
        X (N, d) -> (N,) values to maximise (non-finite = failure, never best).
    lower, upper : array_like, shape (d,)
        Finite bounds with lower < upper (objective units); a categorical
        coordinate with k options has the box [0, k].
    budget : int
        Objective evaluations [1], >= 2.
    seed : int
        Random seed (runs are reproducible for a fixed ``batch``).
    categories : array_like of int, shape (d,), optional
        Options per coordinate, 0 for a continuous one (default all continuous).
    batch : int
        Candidates per ask/tell round [1] (one call of ``func``).
    polish_share : float
        Share of the budget for the Nelder-Mead polish of the continuous
        coordinates [1].
    tops : int
        Polish the best point of each of this many best combinations of
        categorical options, sharing the polish budget [1].
    progress : callable, optional
        Called with the number of new evaluations after each call.

    Returns
    -------
    neqent.dynamics.search.SearchResult
        Best point, value, evaluations (exactly the ones made), history;
        ``generations`` is the number of ask/tell rounds.
    """
    with warnings.catch_warnings():  # optuna imports tqdm.auto, which warns in a notebook without ipywidgets
        warnings.simplefilter("ignore")
        import optuna
        from optuna.distributions import CategoricalDistribution, FloatDistribution

    from neqent.dynamics.search import CountedObjective, SearchResult, UnitBox, at_bounds, auto_log, polish

    lower = np.atleast_1d(np.asarray(lower, float))
    upper = np.atleast_1d(np.asarray(upper, float))
    d = lower.size
    if upper.shape != lower.shape or d == 0 or not np.all(lower < upper):
        raise ValueError(f"bounds must be non-empty with lower < upper, got {lower.tolist()} and {upper.tolist()}")
    cats = np.zeros(d, int) if categories is None else np.asarray(categories, int)
    budget, batch = int(budget), max(1, int(batch))
    if budget < 2:
        raise ValueError(f"budget must be >= 2 evaluations, got {budget}")
    log = auto_log(lower, upper) & (cats == 0)
    box = UnitBox(lower, upper, log)
    counted = CountedObjective(func, box, budget, progress)
    free = np.flatnonzero(cats == 0)
    left = int(polish_share * budget) if free.size else 0
    left = left if left >= 2 * free.size + 2 else 0
    dists = {
        f"u{i}": CategoricalDistribution(tuple(range(cats[i]))) if cats[i] else FloatDistribution(0.0, 1.0)
        for i in range(d)
    }
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():  # multivariate / constant_liar are flagged experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(
            seed=int(seed), multivariate=True, constant_liar=True, n_startup_trials=max(10, 2 * d)
        )
        study = optuna.create_study(direction="maximize", sampler=sampler)
        rounds = 0
        while counted.count < budget - left:
            trials = [study.ask(dists) for _ in range(min(batch, budget - left - counted.count))]
            U = np.array([[_unit(t.params[f"u{i}"], cats[i]) for i in range(d)] for t in trials])
            values = counted(U)
            for t, v in zip(trials, values):
                study.tell(t, float(v))
            rounds += 1
    polished = False
    starts = _polish_starts(study, cats, box, tops) if left else []
    for k, start in enumerate(starts):  # the rest of the budget, shared by the starts
        share = (budget - counted.count) // (len(starts) - k)
        polished = polish(counted, share, free, start=start) or polished
    x = counted.best_x
    return SearchResult(
        x=x,
        value=counted.best_value,
        evaluations=counted.count,
        at_bounds=[i for i in at_bounds(x, lower, upper, log) if cats[i] == 0],
        history={"evaluations": np.array(counted.hist_n), "best": np.array(counted.hist_best)},
        generations=rounds,
        polished=polished,
        message=f"TPE, {rounds} rounds of <= {batch}" + (", Nelder-Mead polish" if left else ""),
    )


def _polish_starts(study, cats, box, tops):
    """Best told point of each of the ``tops`` best combinations of categorical options (box units).

    Polishing only the overall best would settle in the first basin TPE found;
    a competing option whose best point is slightly worse may have the higher top.
    """
    best = {}
    for t in study.trials:
        if t.value is None:
            continue
        u = np.array([_unit(t.params[f"u{i}"], cats[i]) for i in range(cats.size)])
        combo = tuple(int(t.params[f"u{i}"]) for i in np.flatnonzero(cats))
        if combo not in best or t.value > best[combo][0]:
            best[combo] = (t.value, u)
    ranked = sorted(best.values(), key=lambda vu: -vu[0])[: max(1, int(tops))]
    return [box.to_box(u[None, :])[0] for _, u in ranked]


def _unit(value, k):
    """Unit-cube coordinate of an optuna parameter: itself, or (i + 1/2) / k for option i of k."""
    return (value + 0.5) / k if k else float(value)
