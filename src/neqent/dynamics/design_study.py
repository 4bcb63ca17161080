"""Which body entangles most under the paper's constraints? The computation of the pipeline extra ``design``.

One search (:func:`neqent.dynamics.design.optimise_design`) per *family*: a
stack of n layers (n in ``layers``), each layer's material chosen from
``materials`` and its thickness free in ``thickness``, both qubit heights free
in ``heights`` (lateral separation ``r12`` fixed, dipoles along z), T_W fixed,
T_M free in [T_W, ``T_M_max``], and the frequency either at the paper's ratio
(omega = ``omega_ratio`` x the SiC resonance, one absolute frequency for every
material) or free in ``omega_range`` x the SiC resonance. Materials outside
their validity range at a candidate's frequency (hBN, SiO2 at the paper's
0.3 omega_T) are infeasible: counted, skipped.

The reference is the paper's body, the 10 nm SiC film, searched over the same
heights, T_M and frequency: each family's best C is compared with it. For the
best design overall, the map of C over its two most sensitive continuous
parameters (the narrowest 10 % ranges relative to the search range, the others
at the optimum) is computed for the figure. All SI.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["DEFAULT_STUDY", "design_study", "study_caption"]

#: The issue's question (the ``cluster`` config's block; the test config shrinks it).
DEFAULT_STUDY = {
    "materials": ["sic", "hbn", "sio2", "silver"],
    "layers": [1, 2, 3],
    "thickness": [1e-9, 2e-6],  # m
    "heights": [2e-7, 3e-6],  # m, z1 and z2
    "r12": 2.5e-7,  # m
    "T_W": 30.0,  # K
    "T_M_max": 1300.0,  # K
    "omega": ["paper", "free"],  # paper: omega_ratio x omega_T(SiC); free: omega_range x omega_T(SiC)
    "omega_ratio": 0.3,
    "omega_range": [0.05, 1.5],
    "film": 1e-8,  # m, the paper's SiC film
    "method": "de",
    "budget": 3000,
    "seed": 1,
    "grid": 41,  # points per axis of the figure's map
}


def _sic_resonance():
    from neqent.electrodynamics.materials import get_material

    return get_material("sic").resonance


def _family(spec, n, mode):
    """(BodyLandscape, lower, upper) of the n-layer family at frequency mode ``paper`` or ``free``."""
    from neqent.dynamics.design import BodyLandscape
    from neqent.electrodynamics.planar import Stack

    mats = tuple(spec["materials"])
    wT = _sic_resonance()
    z = np.array([0.0, 0.0, 1.0], complex)
    fixed = dict(z1=1e-6, z2=1e-6, dx=float(spec["r12"]), dy=0.0, TM=600.0, TW=float(spec["T_W"]), d1=z, d2=z)
    fixed.update(omega=float(spec["omega_ratio"]) * wT, omega_ratio=None)
    names = ["z1", "z2", "TM"]
    lo = [spec["heights"][0], spec["heights"][0], float(spec["T_W"])]
    hi = [spec["heights"][1], spec["heights"][1], float(spec["T_M_max"])]
    if mode == "free":
        names.append("omega")
        lo.append(spec["omega_range"][0] * wT)
        hi.append(spec["omega_range"][1] * wT)
    choices = {}
    if n == 0:  # the reference: the paper's SiC film, fixed
        body = Stack([("sic", float(spec["film"]))])
    else:
        body = Stack([(mats[0], float(spec["film"]))] * n)
        for i in range(1, n + 1):
            names.append(f"layer{i}.thickness")
            lo.append(spec["thickness"][0])
            hi.append(spec["thickness"][1])
        for i in range(1, n + 1):
            names.append(f"layer{i}.material")
            choices[f"layer{i}.material"] = mats
            lo.append(0.0)
            hi.append(float(len(mats)))
    return BodyLandscape(body, fixed, tuple(names), choices), np.array(lo, float), np.array(hi, float)


def _sensitive_pair(land, r, lower, upper):
    """The two continuous names with the narrowest 10 % ranges relative to their search ranges."""
    from neqent.dynamics.search import auto_log

    log = auto_log(lower, upper)
    widths = []
    for k, name in enumerate(land.names):
        if name in land.choices:
            continue
        rng = r["ranges"].get(name)
        if rng is None:
            widths.append((math.inf, k))
            continue
        a, b = rng[0.1]
        if log[k]:
            frac = math.log(b / a) / math.log(upper[k] / lower[k])
        else:
            frac = (b - a) / (upper[k] - lower[k])
        widths.append((frac, k))
    widths.sort()
    return [k for _, k in widths[:2]]


def _map(land, x, lower, upper, pair, num, both):
    """C on a num x num grid of the two ``pair`` columns over their search ranges, the rest at x."""
    from neqent.dynamics.search import auto_log

    log = auto_log(lower, upper)
    axes = [np.geomspace(lower[k], upper[k], num) if log[k] else np.linspace(lower[k], upper[k], num) for k in pair]
    gy, gx = np.meshgrid(axes[1], axes[0], indexing="ij")
    X = np.repeat(np.asarray(x, float)[None, :], gx.size, axis=0)
    X[:, pair[0]] = gx.ravel()
    X[:, pair[1]] = gy.ravel()
    C = both(X)[:, 1].reshape(gy.shape)
    names = {"x": land.names[pair[0]], "y": land.names[pair[1]], "x_log": bool(log[pair[0]])}
    return {**names, "y_log": bool(log[pair[1]]), "x_values": axes[0], "y_values": axes[1], "C": C}


def design_study(spec=None, *, mapper=None, progress=None) -> dict:
    """Best body per family and the map of the best design (the ``design`` extra).

    Parameters
    ----------
    spec : dict, optional
        Keys of :data:`DEFAULT_STUDY` (SI: m, K; frequency ratios of the SiC
        resonance [1]); missing keys take its values.
    mapper : callable, optional
        ``mapper(func)`` -> context manager evaluating batches (e.g. an
        :class:`~neqent.dynamics.mpi_map.MPIMap` partial); default serial.
    progress : callable, optional
        Called with each number of new evaluations.

    Returns
    -------
    dict
        ``reference`` (the SiC film: ``C`` [1], ``point``), ``families`` (one
        dict per family: ``family``, ``layers``, ``omega``, ``body`` (label),
        ``describe``, ``C`` [1], ``vs_film`` (C / the film's C) [1],
        ``point`` (name -> SI value or material), ``evaluations``,
        ``infeasible``), ``best`` (index of the best family), ``map`` (``x``,
        ``y`` names, ``x_values``, ``y_values`` [SI], ``x_log``, ``y_log``
        (log-spaced axes), ``C`` (ny, nx) [1]) and
        ``caption`` (text for the report).
    """
    import functools

    from neqent.dynamics.bayes import category
    from neqent.dynamics.design import evaluate_batch, optimise_design
    from neqent.dynamics.search import ChunkedMap

    spec = {**DEFAULT_STUDY, **(spec or {})}
    mapper = mapper or functools.partial(ChunkedMap, workers=1, chunk=4)
    run = functools.partial(
        optimise_design,
        budget=int(spec["budget"]),
        seed=int(spec["seed"]),
        method=spec["method"],
        mapper=mapper,
        progress=progress,
    )

    def point(land, x):
        return {
            n: land.choices[n][int(category(v, len(land.choices[n])))] if n in land.choices else float(v)
            for n, v in zip(land.names, x)
        }

    families, refs = [], {}
    for mode in spec["omega"]:
        land, lo, hi = _family(spec, 0, mode)
        r = run(land, lo, hi)
        refs[mode] = {"C": float(r["concurrence"]), "point": point(land, r["x"])}
        for n in spec["layers"]:
            land, lo, hi = _family(spec, int(n), mode)
            r = run(land, lo, hi)
            best = land.candidate(r["x"])
            c_ref = refs[mode]["C"]
            families.append(
                {
                    "family": f"{n} layer{'s' if n > 1 else ''}, omega {mode}",
                    "layers": int(n),
                    "omega": mode,
                    "body": best.label,
                    "describe": best.describe(),
                    "C": float(r["concurrence"]),
                    "vs_film": float(r["concurrence"]) / c_ref if c_ref > 0 else math.inf,
                    "point": point(land, r["x"]),
                    "evaluations": int(r["evaluations"]),
                    "infeasible": int(r["infeasible"]),
                    "_run": (land, r, lo, hi),
                }
            )
    k = int(np.nanargmax([f["C"] for f in families]))
    land, r, lo, hi = families[k]["_run"]
    with mapper(functools.partial(evaluate_batch, land)) as both:
        grid = _map(land, r["x"], lo, hi, _sensitive_pair(land, r, lo, hi), int(spec["grid"]), both)
    for f in families:
        del f["_run"]
    out = {"reference": refs, "families": families, "best": k, "map": grid, "spec": spec}
    out["caption"] = study_caption(out)
    return out


def study_caption(study) -> str:
    """Report caption of a :func:`design_study` result.

    Parameters
    ----------
    study : dict
        The result.

    Returns
    -------
    str
        One paragraph (C [1], heights in um, T_M in K).
    """
    s = study["spec"]
    best = study["families"][study["best"]]
    ref = study["reference"][best["omega"]]["C"]
    m = study["map"]
    return (
        f"Inverse design of the body: stacks of {', '.join(map(str, s['layers']))} layer(s) from "
        f"{', '.join(s['materials'])}, thicknesses {s['thickness'][0] * 1e9:g} nm-{s['thickness'][1] * 1e6:g} um, "
        f"qubits at {s['heights'][0] * 1e6:g}-{s['heights'][1] * 1e6:g} um, T_W = {s['T_W']:g} K, "
        f"T_M <= {s['T_M_max']:g} K, {s['method']} search of {s['budget']} evaluations per family. "
        f"Best: {best['body']} ({best['family']}), C = {best['C']:.4f}, {best['vs_film']:.2f} x the paper's "
        f"{s['film'] * 1e9:g} nm SiC film searched over the same qubits and temperatures (C = {ref:.4f}). "
        f"Map: C against its two most sensitive parameters, {m['x']} and {m['y']}, the others at the optimum."
    )
