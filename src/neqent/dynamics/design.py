"""Inverse design: steady entanglement as a function of the body's and the qubits' parameters (docs/theory.md §7, §9).

:class:`BodyLandscape` is :class:`neqent.dynamics.landscape.Landscape` for any
:class:`~neqent.electrodynamics.body.Body`: its columns mix the qubit and
bath parameters of :data:`~neqent.dynamics.landscape.PARAMETERS` (``z1``,
``z2``, ``r12``, ``omega`` or ``omega_ratio``, ``TM``, ``TW``, ``theta1``,
``theta2``) with the body's own :attr:`~neqent.electrodynamics.body.Body.parameters`,
named as the CLI's ``--vary`` names them: continuous ones (a stack's
``layer<i>.thickness`` [m]) and categorical ones (``layer<i>.material``,
``substrate``: a choice among material names, ``None`` for vacuum). Every
candidate body is built by :meth:`~neqent.electrodynamics.body.Body.with_parameter`
and asked for its kernels by :meth:`~neqent.electrodynamics.body.Body.pair_block`,
so a body that gains parameters (a grating's period, fill, height) is
searchable without a change here.

A categorical column with k options takes values in [0, k); option i is the
interval [i, i + 1) (:func:`neqent.dynamics.bayes.category`), which
differential evolution searches like any coordinate and the Bayesian route
asks as a categorical.

Infeasible candidates: a material model asked for a frequency outside its
validity range raises ValueError (hBN below 600 cm^-1, SiO2 outside
400-2000 cm^-1, docs/materials.md), and ``omega_ratio`` needs a top material
with a resonance. Such a candidate gets a NaN witness (the worst value for
either search), is counted, and never stops the search.

:func:`optimise_design` runs the search (differential evolution or Bayesian
optimisation), then settles the optimum as :func:`neqent.dynamics.search.settle`
does, with the 1-D sharpness cuts over the continuous columns and every
option of each categorical column.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np

from neqent.dynamics.bayes import category
from neqent.dynamics.landscape import LEVELS, PARAMETERS, dipole_xz, steady_states

__all__ = [
    "BodyLandscape",
    "body_kernel_tensors",
    "optimise_design",
    "evaluate_batch",
    "choose_method",
    "is_categorical",
    "is_body_name",
    "BODY_ALIASES",
    "METHODS",
    "SLOW_EVALUATION",
]

#: Varied names that stand for a body parameter of another name (the slab thickness is ``delta``, as in ``point``).
BODY_ALIASES = {"delta": "thickness"}
#: Search methods of :func:`optimise_design`.
METHODS = ("de", "bo", "auto")
#: Sharpness cuts after a Bayesian search (grid points, bisection steps): each costs what a search step does.
BO_CUTS = {"num": 11, "bisections": 8}
#: Seconds per evaluation from which ``auto`` takes the Bayesian route.
SLOW_EVALUATION = 0.2


def is_body_name(name) -> bool:
    """True if a varied name is a body parameter (``delta``: the slab's thickness) rather than a qubit or bath one.

    Parameters
    ----------
    name : str
        A column name.

    Returns
    -------
    bool
        True for a body parameter.
    """
    return name in BODY_ALIASES or name not in PARAMETERS


def is_categorical(body, name) -> bool:
    """True if the body parameter ``name`` is a choice of material (not a number).

    Parameters
    ----------
    body : neqent.electrodynamics.body.Body
        The body.
    name : str
        One of its :attr:`~neqent.electrodynamics.body.Body.parameters`.

    Returns
    -------
    bool
        True for a material or substrate (a name or None), False for a length.
    """
    key = BODY_ALIASES.get(name, name)
    params = body.parameters
    if key not in params:  # a slab's material is replaceable but not listed among its parameters
        return key == "material"
    return params[key] is None or isinstance(params[key], str)


def body_kernel_tensors(body, omega, z1, z2, dx, dy):
    """Kernel tensors of a body at one frequency, for qubit 1 at (0, 0, z1) and qubit 2 at (dx, dy, z2).

    The same tensors as :func:`neqent.dynamics.rates.kernel_tensors_batch`
    (W, M from :meth:`~neqent.electrodynamics.body.Body.pair_block`, G12 the
    vacuum plus the reflected Green tensor between the qubits, docs/theory.md §4c).

    Parameters
    ----------
    body : neqent.electrodynamics.body.Body
        The body.
    omega : float
        Angular frequency [rad/s].
    z1, z2, dx, dy : ndarray, shape (N,)
        Heights [m] and the lateral position of qubit 2 relative to qubit 1 [m].

    Returns
    -------
    W, M : ndarray, shape (N, 2, 2, 3, 3), complex
        Wall and body tensors [Gamma0].
    G12 : ndarray, shape (N, 3, 3), complex
        Total Green tensor between the qubits [1].
    """
    from neqent.electrodynamics.green import vacuum_green_batch

    z1, z2, dx, dy = (np.asarray(a, float) for a in (z1, z2, dx, dy))
    zero = np.zeros_like(z1)
    r1 = np.stack([zero, zero, z1], axis=-1)
    r2 = np.stack([dx, dy, z2], axis=-1)
    W, M, GR = body.pair_block(float(omega), r1, r2)
    r_vec = np.ascontiguousarray(r1 - r2)  # R_1 - R_2
    G12 = vacuum_green_batch(np.full(z1.shape, float(omega)), r_vec) + GR[:, 0, 1]
    return W, M, G12


@dataclass(frozen=True)
class BodyLandscape:
    """Steady witness and concurrence over qubit, bath and body parameters, the rest fixed.

    Picklable (process pools, MPI).

    Parameters
    ----------
    body : neqent.electrodynamics.body.Body
        The body at the fixed values (its varied parameters are replaced per candidate).
    fixed : dict
        SI values of ``z1``, ``z2``, ``dx``, ``dy`` [m], ``omega`` [rad/s] or
        ``omega_ratio`` [1] (of the candidate's top material; the other None),
        ``TM``, ``TW`` [K], ``d1``, ``d2`` (unit complex 3-vectors) [1].
    names : tuple of str
        Varied names, the columns of every batch: :data:`~neqent.dynamics.landscape.PARAMETERS` names
        (not ``delta``: a slab thickness is a body parameter) or body parameters.
    choices : dict of str to tuple
        Options of each categorical name (material specs; None: vacuum substrate).
    """

    body: object
    fixed: dict
    names: tuple
    choices: dict

    def categories(self):
        """Options per column, 0 for a continuous one.

        Returns
        -------
        ndarray of int, shape (d,)
            k per column [1].
        """
        return np.array([len(self.choices.get(n, ())) for n in self.names], int)

    def candidate(self, row):
        """The body of one row of a batch.

        Parameters
        ----------
        row : array_like, shape (d,)
            Values of ``names``.

        Returns
        -------
        neqent.electrodynamics.body.Body
            The body with the row's body parameters.

        Raises
        ------
        ValueError
            For an invalid body (e.g. an unknown material).
        """
        body = self.body
        for name, value in zip(self.names, row):
            if name in self.choices:
                body = body.with_parameter(name, self.choices[name][int(category(value, len(self.choices[name])))])
            elif is_body_name(name):
                body = body.with_parameter(BODY_ALIASES.get(name, name), float(value))
        return body

    def columns(self, X):
        """Qubit and bath inputs of a batch (varied columns of X, fixed values broadcast).

        Parameters
        ----------
        X : array_like, shape (N, d)
            Values of ``names``.

        Returns
        -------
        dict of str to ndarray
            ``z1``, ``z2``, ``dx``, ``dy`` [m], ``TM``, ``TW`` [K], each (N,);
            ``omega`` [rad/s] or ``omega_ratio`` [1] (N,) as varied or fixed;
            ``d1``, ``d2`` (N, 3) unit dipoles [1].
        """
        X = np.atleast_2d(np.asarray(X, float))
        n = X.shape[0]
        f = self.fixed
        col = {name: X[:, k] for k, name in enumerate(self.names)}

        def get(name, default):
            return col[name] if name in col else np.full(n, default, float)

        out = {name: get(name, f[name]) for name in ("z1", "z2", "TM", "TW")}
        out["dx"] = col["r12"] if "r12" in col else np.full(n, f["dx"])
        out["dy"] = np.zeros(n) if "r12" in col else np.full(n, f["dy"])
        if "omega" in col or ("omega_ratio" not in col and f.get("omega") is not None):
            out["omega"] = get("omega", f.get("omega"))
        else:
            out["omega_ratio"] = get("omega_ratio", f.get("omega_ratio"))
        out["d1"] = dipole_xz(col["theta1"]) if "theta1" in col else np.broadcast_to(f["d1"], (n, 3))
        out["d2"] = dipole_xz(col["theta2"]) if "theta2" in col else np.broadcast_to(f["d2"], (n, 3))
        return out

    def omega_of(self, body, c, i):
        """Angular frequency [rad/s] of row ``i``: given, or omega_ratio x the top material's resonance.

        Parameters
        ----------
        body : neqent.electrodynamics.body.Body
            The row's body.
        c : dict
            :meth:`columns` of the batch.
        i : int
            Row.

        Returns
        -------
        float
            omega [rad/s] (the same product as ``neqent point``).

        Raises
        ------
        ValueError
            When ``omega_ratio`` is used and the top material has no resonance.
        """
        if "omega" in c:
            return float(c["omega"][i])
        res = body.top_material.resonance
        if not res:
            raise ValueError(f"top material {body.top_material.name!r} has no resonance to scale omega_ratio by")
        return float(c["omega_ratio"][i]) * res

    def evaluate(self, X):
        """Witness K, concurrence C and the infeasible flag of every row.

        Rows sharing a body and a frequency share one kernel call (batched over
        the qubit positions). Infeasible rows (a material outside its validity
        range, no resonance for ``omega_ratio``) get NaN and the flag 1;
        coinciding qubits or a non-unique steady state give NaN, flag 0.

        Parameters
        ----------
        X : array_like, shape (N, d)
            Values of ``names``.

        Returns
        -------
        ndarray, shape (N, 3)
            Columns K [1], C [1], infeasible (0 or 1).
        """
        from neqent.dynamics.entanglement import concurrence_x, x_witness

        X = np.atleast_2d(np.asarray(X, float))
        c = self.columns(X)
        n = X.shape[0]
        out = np.full((n, 3), np.nan)
        out[:, 2] = 0.0
        omega = np.full(n, np.nan)
        groups, bodies = {}, {}
        for i in range(n):
            if c["dx"][i] == 0 and c["dy"][i] == 0 and c["z1"][i] == c["z2"][i]:
                continue  # coinciding qubits: invalid, not infeasible
            key = tuple(X[i, k] for k, name in enumerate(self.names) if is_body_name(name))
            try:
                body = bodies[key] if key in bodies else self.candidate(X[i])
                bodies[key] = body
                omega[i] = self.omega_of(body, c, i)
                if (key, omega[i]) not in groups:
                    _check_optics(body.optics(omega[i]))
            except ValueError:
                out[i, 2] = 1.0
                continue
            groups.setdefault((key, omega[i]), []).append(i)
        for (key, w), rows in groups.items():
            rows = np.array(rows)
            W, M, G12 = body_kernel_tensors(bodies[key], w, c["z1"][rows], c["z2"][rows], c["dx"][rows], c["dy"][rows])
            sub = {k: c[k][rows] for k in ("TW", "TM", "d1", "d2")}
            sub["omega"] = omega[rows]
            rho = steady_states(W, M, G12, sub)
            out[rows, 0] = x_witness(rho)
            out[rows, 1] = concurrence_x(rho)
        return out


def _check_optics(optics):
    """ValueError unless every permittivity the body presents is finite."""
    values = optics if isinstance(optics, tuple) else (optics,)
    for v in values:
        if not np.all(np.isfinite(np.asarray(v))):
            raise ValueError("a permittivity of the body is not finite")


def evaluate_batch(landscape, X):
    """Module-level (picklable) :meth:`BodyLandscape.evaluate`, for process pools and MPI ranks.

    Parameters
    ----------
    landscape : BodyLandscape
        The landscape.
    X : array_like, shape (N, d)
        Values of its ``names``.

    Returns
    -------
    ndarray, shape (N, 3)
        K, C and the infeasible flag per row.
    """
    return landscape.evaluate(X)


class _Tally:
    """The witness of each batch for the search, counting the infeasible rows."""

    def __init__(self, both):
        self.both, self.infeasible = both, 0

    def __call__(self, X):
        out = self.both(X)
        self.infeasible += int(np.sum(out[:, 2]))
        return out[:, 0]


class _Counting:
    """Counts the rows passed to a batched function (the sharpness evaluations)."""

    def __init__(self, func):
        self.func, self.count = func, 0

    def __call__(self, X):
        self.count += len(X)
        return self.func(X)


def choose_method(both, lower, upper, probe=2):
    """``de`` or ``bo`` by the time one evaluation takes (``auto``).

    Evaluates ``probe`` points at the centre of the box twice (the first call
    pays compilation and caches) and times the second call.

    Parameters
    ----------
    both : callable
        The batched evaluation X (N, d) -> (N, 3).
    lower, upper : array_like, shape (d,)
        Bounds.
    probe : int
        Points per timed call [1].

    Returns
    -------
    method : str
        ``bo`` if one evaluation takes at least :data:`SLOW_EVALUATION` seconds, else ``de``.
    seconds : float
        Measured time per evaluation [s].
    """
    X = np.repeat((0.5 * (np.asarray(lower, float) + np.asarray(upper, float)))[None, :], probe, axis=0)
    both(X)
    t0 = time.perf_counter()
    both(X)
    per = (time.perf_counter() - t0) / probe
    return ("bo" if per >= SLOW_EVALUATION else "de"), per


def optimise_design(
    landscape,
    lower,
    upper,
    *,
    budget,
    seed,
    method="de",
    batch=None,
    mapper=None,
    progress=None,
    levels=LEVELS,
    cut_num=41,
):
    """Maximise the steady concurrence of a :class:`BodyLandscape` inside [lower, upper].

    The search maximises the witness K (informative where C = 0):
    :func:`neqent.dynamics.search.maximise` (``de``) or
    :func:`neqent.dynamics.bayes.maximise_bo` (``bo``); ``auto`` picks by
    :func:`choose_method`. Then the optimum is settled: the 1-D sharpness cuts
    of C over the continuous columns and every option of each categorical
    column; a better point found there becomes the optimum (not counted in
    ``budget``).

    Parameters
    ----------
    landscape : BodyLandscape
        The function to optimise.
    lower, upper : array_like, shape (d,)
        Bounds per column (SI units; [0, k] for a categorical column with k options).
    budget : int
        Search evaluations [1].
    seed : int
        Random seed.
    method : str
        ``de``, ``bo`` or ``auto`` (:data:`METHODS`).
    batch : int, optional
        Candidates per ask/tell round of ``bo`` [1] (default
        :data:`neqent.dynamics.bayes.BATCH`).
    mapper : callable, optional
        ``mapper(func)`` -> a context manager evaluating ``func`` on a batch
        (e.g. :class:`~neqent.dynamics.search.ChunkedMap` or
        :class:`~neqent.dynamics.mpi_map.MPIMap`); default serial.
    progress : callable, optional
        Called with the number of new evaluations.
    levels : tuple of float
        Relative drops of C whose ranges are reported [1].
    cut_num : int
        Grid points per sharpness cut [1].

    Returns
    -------
    dict
        As :func:`neqent.dynamics.landscape.optimise` (``x`` with categorical
        columns at option index + 1/2), plus ``method`` (the one run),
        ``seconds_per_evaluation`` (measured by ``auto``, else None),
        ``infeasible`` (search evaluations whose body was infeasible) and
        ``alternatives`` (categorical name -> C of every option at the optimum).
    """
    from neqent.dynamics.bayes import BATCH, maximise_bo
    from neqent.dynamics.search import ChunkedMap, at_bounds, maximise

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    cats = landscape.categories()
    func = functools.partial(evaluate_batch, landscape)
    mapper = mapper or functools.partial(ChunkedMap, workers=1, chunk=16)
    per = None
    with mapper(func) as both:
        if method == "auto":
            method, per = choose_method(both, lower, upper)
        tally = _Tally(both)
        if method == "de":
            res = maximise(tally, lower, upper, budget=budget, seed=seed, progress=progress)
        else:
            res = maximise_bo(
                tally, lower, upper, budget=budget, seed=seed, categories=cats, batch=batch or BATCH, progress=progress
            )
        x = _canonical(res.x, cats)
        counted = _Counting(lambda X: both(X)[:, 1])
        cut = {"num": cut_num} if method == "de" else BO_CUTS  # expensive bodies: coarse cuts
        settled = _settle_mixed(counted, x, lower, upper, cats, levels=levels, **cut)
        x = settled["x"]
        witness = float(both(x[None, :])[0, 0])
    names = landscape.names
    cont = np.flatnonzero(cats == 0)
    return {
        "x": x,
        "witness": witness,
        "concurrence": settled["best"],
        "search_concurrence": settled["first"],
        "evaluations": res.evaluations,
        "infeasible": tally.infeasible,
        "method": method,
        "seconds_per_evaluation": per,
        "at_bounds": [names[cont[k]] for k in at_bounds(x[cont], lower[cont], upper[cont])] if cont.size else [],
        "moved_by_cuts": settled["moves"],
        "history": res.history,
        "cuts": settled["cuts"],
        "ranges": {names[i]: settled["ranges"].get(i) for i in range(len(names)) if cats[i] == 0},
        "alternatives": {names[i]: settled["alternatives"][i] for i in range(len(names)) if cats[i]},
        "sharpness_evaluations": settled["evaluations"],
        "generations": res.generations,
        "polished": res.polished,
        "message": res.message,
    }


def _canonical(x, cats):
    """x with each categorical column at its option's midpoint i + 1/2 (the same candidate)."""
    x = np.array(x, float)
    for i in np.flatnonzero(cats):
        x[i] = category(x[i], cats[i]) + 0.5
    return x


def _alternatives(func, x, cats):
    """C of every option of each categorical column at x (the others fixed): {column: {option: C}}."""
    rows, where = [], []
    for i in np.flatnonzero(cats):
        for j in range(cats[i]):
            row = x.copy()
            row[i] = j + 0.5
            rows.append(row)
            where.append((int(i), j))
    values = func(np.array(rows)) if rows else np.empty(0)
    out = {int(i): {} for i in np.flatnonzero(cats)}
    for (i, j), v in zip(where, values):
        out[i][j] = float(v)
    return out


def _settle_mixed(func, x, lower, upper, cats, *, levels, num, bisections=20, max_moves=5):
    """:func:`neqent.dynamics.search.settle` over the continuous columns, plus every categorical option.

    Repeats until no cut and no other option beats the optimum (at most ``max_moves`` moves).
    Returns a dict: ``x``, ``best`` (C there), ``first`` (C at the search's point),
    ``cuts`` (name index -> (values, C)), ``ranges`` (continuous index -> {level: (lo, hi)} or None),
    ``alternatives`` (categorical index -> {option index: C}), ``moves``, ``evaluations``.
    """
    from neqent.dynamics.search import settle

    cont = np.flatnonzero(cats == 0)
    x = np.array(x, float)
    moves, first = 0, None
    while True:
        if cont.size:

            def sub(Xc, x=x):
                X = np.repeat(x[None, :], len(Xc), axis=0)
                X[:, cont] = Xc
                return func(X)

            xc, cuts_c, ranges_c, best, m = settle(
                sub,
                x[cont],
                lower[cont],
                upper[cont],
                levels=levels,
                num=num,
                bisections=bisections,
                max_moves=max_moves - moves,
            )
            if first is None:
                first = float(sub(x[cont][None, :])[0]) if m else best
            x[cont] = xc
            moves += m
        else:
            cuts_c, ranges_c = [], []
            best = float(func(x[None, :])[0])
            first = best if first is None else first
        alternatives = _alternatives(func, x, cats)  # at the settled point
        options = [(v, i, j) for i, opts in alternatives.items() for j, v in opts.items() if math.isfinite(v)]
        top = max(options, default=None)
        if top is None or not top[0] > best or moves >= max_moves:
            break
        x[top[1]] = top[2] + 0.5
        moves += 1
    cuts = {int(i): cuts_c[k] for k, i in enumerate(cont)}
    for i, opts in alternatives.items():
        cuts[i] = (np.arange(cats[i]) + 0.5, np.array([opts[j] for j in range(cats[i])]))
    return {
        "x": x,
        "best": best,
        "first": first,
        "cuts": cuts,
        "ranges": {int(i): ranges_c[k] for k, i in enumerate(cont)},
        "alternatives": alternatives,
        "moves": moves,
        "evaluations": func.count,
    }
