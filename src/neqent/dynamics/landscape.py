"""Steady entanglement as a batched function of continuous parameters (the optimisation landscape).

:class:`Landscape` fixes every input of one configuration (material, slab,
heights, separation, frequency, temperatures, dipoles; SI units) except the
``names`` it varies, and evaluates candidate batches ``X`` (N, d) of those
names through the batched physics: :func:`neqent.dynamics.rates.kernel_tensors_batch`
(one quadrature per distinct geometry, so temperature or dipole-angle moves
cost no kernels), :func:`~neqent.dynamics.rates.contract_kernels`,
:func:`~neqent.dynamics.rates.rates`, :func:`neqent.dynamics.master.steady_state`
and the X-state quantities of :mod:`neqent.dynamics.entanglement` (docs/theory.md §5-§7).

Why the witness: the steady concurrence C is exactly 0 over most of the
parameter space, a plateau on which a global optimiser has no direction
(a differential evolution on C stopped at its first generation). The steady
state is an X state (the Liouvillian's k = 0 block, docs/theory.md §6), for
which C = 2 max(0, K) with the witness K = max(|rho_23| - sqrt(rho_11 rho_44),
|rho_14| - sqrt(rho_22 rho_33)) (:func:`~neqent.dynamics.entanglement.x_witness`).
K is negative where C = 0 and tells how far from entanglement a point is;
where C > 0 maximising K maximises C. :func:`optimise` maximises K with
:func:`neqent.dynamics.search.maximise` and reports C.

Varied names (:data:`PARAMETERS`): ``z1``, ``z2``, ``r12`` (lateral
separation along +x), ``delta`` [m], ``omega`` [rad/s] or ``omega_ratio``
[1] (omega / material resonance), ``TM``, ``TW`` [K], ``theta1``, ``theta2``
[rad] (dipole of qubit q in the x-z plane, measured from z towards +x:
d = (sin theta, 0, cos theta)).

Bodies other than the slab (stacks, with their thicknesses and materials as
search variables): :mod:`neqent.dynamics.design`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["PARAMETERS", "Landscape", "check_bounds", "dipole_xz", "optimise", "steady_states", "LEVELS"]

#: name -> (unit, physical lower limit, strict, description). Strict: the limit itself is excluded.
#: Body parameters (a stack's ``layer<i>.thickness`` ...) are searched by neqent.dynamics.design.
PARAMETERS = {
    "z1": ("m", 0.0, True, "height of qubit 1 above the slab (the slab fills z <= 0)"),
    "z2": ("m", 0.0, True, "height of qubit 2 above the slab (the slab fills z <= 0)"),
    "r12": ("m", 0.0, False, "lateral separation along +x"),
    "delta": ("m", 0.0, True, "slab thickness"),
    "omega": ("rad/s", 0.0, True, "transition angular frequency"),
    "omega_ratio": ("1", 0.0, True, "omega / material resonance"),
    "TM": ("K", 0.0, False, "body (slab) temperature"),
    "TW": ("K", 0.0, False, "wall temperature"),
    "theta1": ("rad", None, False, "dipole 1 angle from z towards +x"),
    "theta2": ("rad", None, False, "dipole 2 angle from z towards +x"),
}

#: Relative drops of C around the optimum whose 1-D ranges are reported (1 % and 10 %).
LEVELS = (0.01, 0.1)


def check_bounds(name, lo, hi):
    """Check one search range; ValueError starting with the parameter name.

    Parameters
    ----------
    name : str
        Parameter of :data:`PARAMETERS`.
    lo, hi : float
        Lower and upper bound in the parameter's unit ([m], [rad/s], [1], [K] or
        [rad]): ``lo < hi``, both finite, inside the physical range (heights > 0:
        a qubit at z <= 0 sits in the slab; thickness, frequencies > 0;
        temperatures, r12 >= 0).

    Returns
    -------
    lo, hi : float
        The bounds as floats (same units).
    """
    if name not in PARAMETERS:
        raise ValueError(f"{name}: unknown parameter; allowed: {', '.join(PARAMETERS)}")
    unit, limit, strict, what = PARAMETERS[name]
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name}: bounds must be finite, got {lo:g}:{hi:g} {unit}")
    if not lo < hi:
        raise ValueError(f"{name}: lower bound must be < upper bound, got {lo:g}:{hi:g} {unit}")
    if limit is not None and (lo < limit or (strict and lo == limit)):
        op = ">" if strict else ">="
        raise ValueError(f"{name}: {what} must be {op} {limit:g} {unit}, got lower bound {lo:g} {unit}")
    return lo, hi


def dipole_xz(theta):
    """Unit dipoles in the x-z plane.

    Parameters
    ----------
    theta : float or array_like, shape (...)
        Angle from z towards +x [rad].

    Returns
    -------
    ndarray, shape (..., 3), complex
        d = (sin theta, 0, cos theta) [1].
    """
    th = np.asarray(theta, float)
    return np.stack([np.sin(th), np.zeros_like(th), np.cos(th)], axis=-1).astype(complex)


@dataclass(frozen=True)
class Landscape:
    """Steady witness and concurrence over the ``names`` parameters, the rest fixed.

    Picklable (process pools).

    Parameters
    ----------
    material : Material
        The slab's :class:`~neqent.electrodynamics.materials.Material`.
    fixed : dict
        SI values of ``delta``, ``z1``, ``z2``, ``dx``, ``dy`` [m] (qubit 2 sits
        at (dx, dy) from qubit 1), ``omega`` [rad/s] or ``omega_ratio`` [1],
        ``TM``, ``TW`` [K] and the dipoles ``d1``, ``d2`` (unit complex 3-vectors) [1].
    names : tuple of str
        Varied parameters (:data:`PARAMETERS`), the columns of every batch.
    """

    material: object
    fixed: dict
    names: tuple

    def columns(self, X):
        """Every input of a batch, varied columns of X and fixed values broadcast.

        Parameters
        ----------
        X : array_like, shape (N, d)
            Values of ``names`` (units of :data:`PARAMETERS`).

        Returns
        -------
        dict of str to ndarray
            ``delta``, ``z1``, ``z2``, ``dx``, ``dy`` [m], ``omega`` [rad/s], ``TM``,
            ``TW`` [K], each (N,); ``d1``, ``d2`` (N, 3) unit dipoles [1].
        """
        X = np.atleast_2d(np.asarray(X, float))
        n = X.shape[0]
        f = self.fixed
        col = {name: X[:, k] for k, name in enumerate(self.names)}

        def get(name, default):
            return col[name] if name in col else np.full(n, default, float)

        out = {name: get(name, f[name]) for name in ("delta", "z1", "z2", "TM", "TW")}
        out["dx"] = col["r12"] if "r12" in col else np.full(n, f["dx"])
        out["dy"] = np.zeros(n) if "r12" in col else np.full(n, f["dy"])
        res = getattr(self.material, "resonance", None)
        if "omega" in col or ("omega_ratio" not in col and f.get("omega") is not None):
            out["omega"] = get("omega", f.get("omega"))
        else:  # the same product as neqent.point: ratio x resonance
            out["omega"] = get("omega_ratio", f.get("omega_ratio")) * res
        out["d1"] = dipole_xz(col["theta1"]) if "theta1" in col else np.broadcast_to(f["d1"], (n, 3))
        out["d2"] = dipole_xz(col["theta2"]) if "theta2" in col else np.broadcast_to(f["d2"], (n, 3))
        return out

    def _kernels(self, c):
        """(W, M, G12) per point, one quadrature per distinct (omega, delta, z1, z2, dx, dy)."""
        from neqent.dynamics.rates import kernel_tensors_batch

        geo = np.stack([c["omega"], c["delta"], c["z1"], c["z2"], c["dx"], c["dy"]], axis=-1)
        uniq, inverse = np.unique(geo, axis=0, return_inverse=True)
        w, delta, z1, z2, dx, dy = uniq.T
        W, M, G12 = kernel_tensors_batch(w, self.material.eps(w), delta, z1, z2, dx, dy)
        inverse = inverse.reshape(-1)
        return W[inverse], M[inverse], G12[inverse]

    def states(self, X):
        """Steady states of the batch (decoupled basis); NaN where invalid.

        Invalid: coinciding qubits (r12 = 0 and z1 = z2) or a non-unique
        steady state (docs/theory.md §6).

        Parameters
        ----------
        X : array_like, shape (N, d)
            Values of ``names`` (units of :data:`PARAMETERS`).

        Returns
        -------
        ndarray, shape (N, 4, 4), complex
            Density matrices [1].
        """
        c = self.columns(X)
        n = c["z1"].shape[0]
        rho = np.full((n, 4, 4), np.nan + 0j)
        ok = ~((c["dx"] == 0) & (c["dy"] == 0) & (c["z1"] == c["z2"]))
        if not np.any(ok):
            return rho
        c = {k: v[ok] for k, v in c.items()}
        W, M, G12 = self._kernels(c)
        rho[ok] = steady_states(W, M, G12, c)
        return rho

    def witness(self, X):
        """X-state witness K of the batch (C = 2 max(0, K)); NaN where invalid.

        Parameters
        ----------
        X : array_like, shape (N, d)
            Values of ``names`` (units of :data:`PARAMETERS`).

        Returns
        -------
        ndarray, shape (N,)
            K [1].
        """
        from neqent.dynamics.entanglement import x_witness

        return x_witness(self.states(X))

    def concurrence(self, X):
        """Steady concurrence C of the batch (X-state formula); NaN where invalid.

        Parameters
        ----------
        X : array_like, shape (N, d)
            Values of ``names`` (units of :data:`PARAMETERS`).

        Returns
        -------
        ndarray, shape (N,)
            C [1], in [0, 1].
        """
        from neqent.dynamics.entanglement import concurrence_x

        return concurrence_x(self.states(X))


def steady_states(W, M, G12, c):
    """Steady states from kernel tensors: dipole contraction, rates, master equation (docs/theory.md §5-§6).

    Parameters
    ----------
    W, M : ndarray, shape (N, 2, 2, 3, 3), complex
        Wall and body tensors [Gamma0].
    G12 : ndarray, shape (N, 3, 3), complex
        Total Green tensor between the qubits [1].
    c : dict
        ``omega`` [rad/s], ``TW``, ``TM`` [K] each (N,), ``d1``, ``d2`` (N, 3) unit dipoles [1].

    Returns
    -------
    ndarray, shape (N, 4, 4), complex
        Density matrices (decoupled basis) [1]; NaN where the steady state is not unique.
    """
    from neqent.dynamics.master import solve_steady_state
    from neqent.dynamics.rates import contract_kernels, occupation, rates

    alpha_W, alpha_M, lam = contract_kernels(W, M, G12, c["d1"], c["d2"])
    gp, gm = rates(alpha_W, alpha_M, occupation(c["omega"], c["TW"]), occupation(c["omega"], c["TM"]))
    return solve_steady_state(gp, gm, np.ascontiguousarray(lam)).rho


def _evaluate(landscape, X):
    """Module-level (picklable) evaluation: (N, 2) array of the witness K and the concurrence C."""
    from neqent.dynamics.entanglement import concurrence_x, x_witness

    rho = landscape.states(X)
    return np.stack([x_witness(rho), concurrence_x(rho)], axis=-1)


def optimise(landscape, lower, upper, *, budget, seed, workers=1, chunk=16, progress=None, levels=LEVELS, cut_num=41):
    """Maximise the steady concurrence of ``landscape`` inside [lower, upper].

    The search maximises the witness K (:func:`neqent.dynamics.search.maximise`),
    evaluated in chunks on worker processes (results identical for any
    ``workers``). Then, if C > 0 at the optimum, the 1-D sharpness cuts of C
    (:func:`neqent.dynamics.search.sharpness`, not counted in ``budget``).

    Parameters
    ----------
    landscape : Landscape
        The function to optimise.
    lower, upper : array_like, shape (d,)
        Bounds per name (SI units of :data:`PARAMETERS`).
    budget : int
        Maximum number of search evaluations [1].
    seed : int
        Random seed.
    workers : int
        Worker processes [1].
    chunk : int
        Points per evaluation call [1].
    progress : callable, optional
        Called with the number of new evaluations.
    levels : tuple of float
        Relative drops of C whose ranges are reported [1].
    cut_num : int
        Grid points per sharpness cut [1].

    Returns
    -------
    dict
        ``x`` (d,) best point (SI), ``witness`` [1], ``concurrence`` (C there)
        [1], ``evaluations`` [1], ``at_bounds`` (names), ``history``
        (``evaluations``, ``best`` witness), ``cuts`` (name -> (values, C)),
        ``ranges`` (name -> {level: (lo, hi)} or None), ``sharpness_evaluations``,
        ``generations``, ``polished``, ``message``, ``moved_by_cuts`` (how often
        a cut found a better point, which then became the optimum:
        :func:`neqent.dynamics.search.settle`).
    """
    from neqent.dynamics.search import ChunkedMap, at_bounds, maximise, settle

    names = landscape.names
    with ChunkedMap(functools.partial(_evaluate, landscape), workers, chunk) as both:
        res = maximise(lambda X: both(X)[:, 0], lower, upper, budget=budget, seed=seed, progress=progress)
        counted = _CountingMap(lambda X: both(X)[:, 1])
        x, cuts, ranges, best_c, moves = settle(counted, res.x, lower, upper, levels=levels, num=cut_num)
        witness = res.value if moves == 0 else float(both(x[None, :])[0, 0])
    return {
        "x": x,
        "witness": witness,
        "concurrence": best_c,
        "evaluations": res.evaluations,
        "at_bounds": [names[i] for i in at_bounds(x, lower, upper)],
        "moved_by_cuts": moves,
        "history": res.history,
        "cuts": {name: cuts[i] for i, name in enumerate(names)},
        "ranges": {name: ranges[i] for i, name in enumerate(names)},
        "sharpness_evaluations": counted.count,
        "generations": res.generations,
        "polished": res.polished,
        "message": res.message,
    }


class _CountingMap:
    """Counts the rows passed to a batched function."""

    def __init__(self, func):
        self.func, self.count = func, 0

    def __call__(self, X):
        self.count += len(X)
        return self.func(X)
