"""Closed forms of the symmetric special case (docs/theory.md §8).

When Gamma^{11} = Gamma^{22} and Gamma^{12} is real, the coupled-basis
populations obey rate equations with two channels, antisymmetric (rate
Gamma_A, occupation n_A) and symmetric (Gamma_S, n_S). Everything here is
dimensionless and depends only on ``ratio`` = Gamma_A / Gamma_S (>= 0, inf
allowed), ``n_A`` and ``n_S`` (mean occupations >= 0). Functions broadcast.

Scale invariance: the populations are homogeneous of degree 1 in
(Gamma_A, Gamma_S) before normalisation, so we use the weights
w_A = ratio/(1+ratio), w_S = 1/(1+ratio) (finite for ratio = 0 and inf).
"""

from __future__ import annotations

import numpy as np
import scipy.optimize

__all__ = [
    "symmetric_populations",
    "symmetric_rho23",
    "symmetric_k1",
    "k1",
    "symmetric_concurrence",
    "max_symmetric_concurrence",
]


def _inputs(ratio, n_A, n_S):
    r = np.asarray(ratio, dtype=float)
    a = np.asarray(n_A, dtype=float)
    s = np.asarray(n_S, dtype=float)
    if np.any(np.isnan(r) | (r < 0)):
        raise ValueError(
            f"ratio = Gamma_A/Gamma_S must be >= 0 (inf allowed), got {r[np.isnan(r) | (r < 0)].flat[0]!r}"
        )
    for name, v in (("n_A", a), ("n_S", s)):
        if np.any(~np.isfinite(v) | (v < 0)):
            raise ValueError(
                f"{name} (mean occupation, dimensionless) must be finite and >= 0, "
                f"got {v[~np.isfinite(v) | (v < 0)].flat[0]!r}"
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        wA = np.where(r > 1, 1.0 / (1.0 + 1.0 / r), r / (1.0 + r))
        wS = np.where(r > 1, (1.0 / r) / (1.0 + 1.0 / r), 1.0 / (1.0 + r))
    return wA, wS, a, s


def _terms(wA, wS, a, s):
    """Unnormalised populations (G, A, S, E) of §8 with Gamma_A -> wA, Gamma_S -> wS."""
    G = (1 + a) ** 2 * (1 + 2 * s) * wA + (1 + 2 * a) * (1 + s) ** 2 * wS
    A = a * (1 + a) * (1 + 2 * s) * wA + (a * (1 + 2 * s) + s**2 * (1 + 2 * a)) * wS
    S = s * (1 + s) * (1 + 2 * a) * wS + (s * (1 + 2 * a) + a**2 * (1 + 2 * s)) * wA
    E = a**2 * (1 + 2 * s) * wA + (1 + 2 * a) * s**2 * wS
    return G, A, S, E


def symmetric_populations(ratio, n_A, n_S):
    """Steady populations (rho_G, rho_A, rho_S, rho_E) of §8, summing to 1.

    Parameters
    ----------
    ratio : float or array_like
        Gamma_A / Gamma_S [1], >= 0 (inf allowed).
    n_A, n_S : float or array_like
        Mean occupations of the antisymmetric and symmetric channels [1], >= 0.
        All three broadcast.

    Returns
    -------
    ndarray, shape (..., 4)
        Populations of |G>, |A>, |S>, |E> [1].
    """
    wA, wS, a, s = _inputs(ratio, n_A, n_S)
    p = np.stack(np.broadcast_arrays(*_terms(wA, wS, a, s)), axis=-1)
    return p / np.sum(p, axis=-1, keepdims=True)


def symmetric_rho23(ratio, n_A, n_S):
    """|rho_23| = |n_S - n_A| (Gamma_S + Gamma_A) / (2 Z) of §8.

    Equals |rho_S - rho_A| / 2 (rho_23 = (rho_S - rho_A)/2 in the decoupled basis).

    Parameters
    ----------
    ratio, n_A, n_S : float or array_like
        As in :func:`symmetric_populations` [1], broadcast.

    Returns
    -------
    ndarray
        |rho_23| [1].
    """
    wA, wS, a, s = _inputs(ratio, n_A, n_S)
    Z = sum(_terms(wA, wS, a, s))
    return np.abs(s - a) * (wS + wA) / (2 * Z)


def symmetric_k1(ratio, n_A, n_S):
    """K1 = |rho_23| - sqrt(rho_11 rho_44) of the §8 steady state.

    Parameters
    ----------
    ratio, n_A, n_S : float or array_like
        As in :func:`symmetric_populations` [1], broadcast.

    Returns
    -------
    ndarray
        K1 [1]; the state is entangled where K1 > 0.
    """
    wA, wS, a, s = _inputs(ratio, n_A, n_S)
    G, A, S, E = _terms(wA, wS, a, s)
    Z = G + A + S + E
    return (np.abs(s - a) * (wS + wA) / 2 - np.sqrt(G) * np.sqrt(E)) / Z


k1 = symmetric_k1  # name used in docs/design.md


def symmetric_concurrence(ratio, n_A, n_S):
    """Steady-state concurrence C(inf) = 2 max(0, K1) of §8.

    Parameters
    ----------
    ratio, n_A, n_S : float or array_like
        As in :func:`symmetric_populations` [1], broadcast.

    Returns
    -------
    ndarray
        Concurrence [1], in [0, 1].
    """
    return 2 * np.maximum(0.0, symmetric_k1(ratio, n_A, n_S))


# --- maximisation over (n_A, n_S) -----------------------------------------
# Reparametrisation n = sinh(y)^2, y >= 0: the boundary n = 0 becomes a
# smooth interior stationary point (dn/dy = 0 at y = 0, and the objective is
# even in y), and large n ~ exp(2y)/4 is reached with moderate y. The grid
# covers n up to sinh(20)^2 ~ 6e16.
_Y_MAX = 20.0
_Y_GRID = np.linspace(0.0, _Y_MAX, 161)


def _n_of_y(y):
    return np.sinh(y) ** 2


def _max_one(ratio):
    ya, ys = np.meshgrid(_Y_GRID, _Y_GRID, indexing="ij")
    k = symmetric_k1(ratio, _n_of_y(ya), _n_of_y(ys))
    best = []
    # refine the best grid point on each side of the n_A = n_S diagonal (the
    # two branches n_S > n_A and n_A > n_S are separated by the kink of |n_S - n_A|)
    for side in (ys > ya, ya > ys):
        kk = np.where(side, k, -np.inf)
        i = np.unravel_index(np.argmax(kk), kk.shape)
        y0 = np.array([ya[i], ys[i]])

        def f(y):
            y = np.clip(np.abs(y), 0, _Y_MAX + 5)
            return -float(symmetric_k1(ratio, _n_of_y(y[0]), _n_of_y(y[1])))

        res = scipy.optimize.minimize(
            f,
            y0,
            method="Nelder-Mead",
            options={
                "xatol": 1e-10,
                "fatol": 1e-16,
                "maxiter": 4000,
                "initial_simplex": np.array([y0, y0 + [0.1, 0], y0 + [0, 0.1]]),
            },
        )
        y = np.clip(np.abs(res.x), 0, _Y_MAX + 5)
        fy = f(y)
        # snap an optimum at the n = 0 boundary (y ~ 1e-10) to exactly 0
        for j in (0, 1):
            if y[j] < 1e-6:
                y0 = y.copy()
                y0[j] = 0.0
                if f(y0) <= fy:
                    y, fy = y0, f(y0)
        best.append((-fy, _n_of_y(y[0]), _n_of_y(y[1])))
    kmax, na, ns = max(best, key=lambda b: b[0])
    return 2 * max(0.0, kmax), na, ns


def max_symmetric_concurrence(ratio):
    """Maximum over n_A, n_S >= 0 of the §8 steady concurrence at fixed ratio = Gamma_A/Gamma_S.

    Parameters
    ----------
    ratio : float or array_like
        Gamma_A / Gamma_S [1], finite and > 0.

    Returns
    -------
    C_max, n_A, n_S : float or ndarray
        The maximal concurrence [1] and the occupations [1] where it is
        reached; arrays of the shape of ``ratio``, scalars for scalar input.

    Notes
    -----
    Method: maximise K1 on a coarse
    grid in y (n = sinh(y)^2, n up to ~6e16) on both sides of the n_A = n_S
    kink, then Nelder-Mead refinement; optima at the n = 0 boundary are
    returned as exactly 0. Valid for ratio in (0, inf); tested on
    1e-8 .. 1e8. C_max -> 1/3 for ratio -> 0 or inf (§8), slowly: the
    deficit 1/3 - C_max scales like ratio^(1/3) (~9e-3 at ratio 1e-6,
    ~2e-3 at 1e-8). C_max(ratio) = C_max(1/ratio) with n_A*, n_S* swapped.
    For 1/3 <= ratio <= 3 no (n_A, n_S) entangles: C_max = 0 and the
    returned n* maximise K1 (< 0 or = 0 at n = 0) and carry no meaning.
    """
    r = np.asarray(ratio, dtype=float)
    if np.any(~np.isfinite(r) | (r <= 0)):
        raise ValueError(
            f"ratio = Gamma_A/Gamma_S must be finite and > 0, got {r[~np.isfinite(r) | (r <= 0)].flat[0]!r}"
        )
    out = np.array([_max_one(float(x)) for x in r.ravel()]).reshape(r.shape + (3,))
    C, na, ns = out[..., 0], out[..., 1], out[..., 2]
    if r.ndim == 0:
        return float(C), float(na), float(ns)
    return C, na, ns
