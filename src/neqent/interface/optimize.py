"""``neqent.optimize``: where is the steady entanglement largest?

A global search over any subset of the continuous inputs of
:func:`neqent.interface.api.point` -- ``z1``, ``z2``, ``r12``, ``delta`` [m],
``omega`` [rad/s] or ``omega_ratio`` [1], ``TM``, ``TW`` [K] and the dipole
angles ``theta1``, ``theta2`` [rad] (from z towards +x) -- with everything
else fixed exactly as in ``point`` (same arguments, units, defaults and
checks). The search itself is :func:`neqent.dynamics.landscape.optimise`
(differential evolution on the X-state witness, which is informative where
C = 0, then a local polish and 1-D sharpness cuts); this module validates the
arguments (:class:`~neqent.errors.InputError` naming the argument)
and formats the result for the ``neqent optimize`` command.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

from neqent.interface.search_inputs import (  # noqa: F401  re-exported: the documented names of neqent.optimize
    DEFAULT_BUDGET,
    PARALLEL_FROM,
    VARY_NAMES,
    check_conflicts,
    parse_vary,
    progress_bar,
    validated_landscape,
)
from neqent.interface.units import InputError

__all__ = ["optimize", "optimize_json", "optimize_table", "point_command", "parse_vary", "DEFAULT_BUDGET", "VARY_NAMES"]


def optimize(
    vary,
    material="sic",
    delta=None,
    z1=None,
    z2=None,
    r12=None,
    *,
    omega=None,
    omega_ratio=None,
    TW=None,
    TM=None,
    dipole1=None,
    dipole2=None,
    seed=None,
    budget=DEFAULT_BUDGET,
    workers=None,
    progress=False,
    choose=None,
    layers=None,
    substrate=None,
    method="de",
    batch=None,
) -> dict:
    """Largest steady concurrence over the ``vary`` ranges, everything else fixed.

    Parameters
    ----------
    vary : dict or sequence of str
        ``{name: (lo, hi)}`` or ``{name: "LO:HI"}`` or a list of
        ``"NAME=LO:HI"``: names ``z1``, ``z2``, ``r12``, ``delta`` [m],
        ``omega`` [rad/s] or ``omega_ratio`` [1] (also ``omega-ratio``), ``TM``,
        ``TW`` [K], ``theta1``, ``theta2`` [rad] (dipole of qubit q in the x-z
        plane, from z towards +x); ends may carry units as in
        :func:`neqent.interface.api.point`.
    material, delta, z1, z2, r12, omega, omega_ratio, TW, TM, dipole1, dipole2
        Fixed arguments as in :func:`neqent.interface.api.point` (SI: [m],
        [rad/s], [1], [K]; None: point's default); a name may not be both varied
        and fixed (``theta1`` replaces ``dipole1``, ``omega``/``omega_ratio``
        replace each other).
    seed : int, optional
        Random seed (None: drawn and reported).
    budget : int
        Maximum objective evaluations of the search [1] (>= the population, 15
        per varied name).
    workers : int, optional
        Processes [1] (default 2 from :data:`~neqent.interface.search_inputs.PARALLEL_FROM` evaluations, else 1;
        the result does not depend on it).
    progress : bool
        tqdm bar on stderr.
    choose : dict or sequence of str, optional
        Categorical body parameters: ``{name: "a,b,c"}`` or ``"NAME=a,b,c"``
        texts (``layer<i>.material``, ``substrate`` with ``none`` for vacuum,
        a slab's ``material``; :func:`neqent.interface.design.parse_choose`).
    layers, substrate
        A planar stack as in :func:`neqent.interface.api.point` (replaces
        ``material``/``delta``); its ``layer<i>.thickness`` [m] may be varied.
    method : str
        ``de`` (differential evolution), ``bo`` (Bayesian optimisation, for
        expensive bodies) or ``auto`` (``bo`` when one evaluation is slow).
    batch : int, optional
        Candidates per ask/tell round of ``bo`` [1].

    A stack, a body parameter, ``choose`` or a method other than ``de`` take
    the body route (:func:`neqent.interface.design.optimize_body`): the result
    then also holds ``method``, ``infeasible`` (candidates whose material is
    invalid at their frequency: counted, skipped), ``alternatives`` (C of every
    option of each chosen parameter at the optimum) and ``body``; it is None
    on MPI ranks other than 0.

    Returns
    -------
    dict
        ``concurrence`` (best steady C) [1], ``witness`` (X-state witness there,
        C = 2 max(0, witness)) [1], ``point`` (name -> value, SI; omega_ratio
        [1]), ``input`` (the full arguments of :func:`neqent.point` that
        reproduce the optimum, SI), ``evaluations`` [1], ``at_bounds`` (names
        whose optimum lies on a bound: active constraints), ``seed``, ``budget``,
        ``bounds`` (SI), ``sharpness`` (name -> {"1%": (lo, hi), "10%": (lo,
        hi)}: 1-D range around the optimum, others fixed, where C stays within
        1 % / 10 % of the best, SI; None if C = 0), ``cuts`` (name -> (values,
        C) along the 1-D cut), ``history`` (``evaluations``, ``best`` witness),
        ``sharpness_evaluations``, ``generations``, ``polished``,
        ``moved_by_cuts`` (times a sharpness cut found a better point, which
        then became the optimum), ``workers``, ``seconds`` [s].

    Raises
    ------
    InputError
        :class:`~neqent.errors.InputError` for bad arguments.
    """
    from neqent.dynamics.landscape import LEVELS, optimise
    from neqent.dynamics.search import population_size
    from neqent.interface.units import parse_count

    t0 = time.perf_counter()
    if _body_route(vary, choose, layers, substrate, method):
        from neqent.interface.design import optimize_body

        fixed = dict(z1=z1, z2=z2, r12=r12, omega=omega, omega_ratio=omega_ratio, TW=TW, TM=TM)
        fixed.update(dipole1=dipole1, dipole2=dipole2)
        return optimize_body(
            vary,
            choose,
            body=dict(material=material, delta=delta, layers=layers, substrate=substrate),
            given={k: v for k, v in fixed.items() if v is not None},
            search=dict(seed=seed, budget=budget, workers=workers, progress=progress, method=method, batch=batch),
        )
    bounds = parse_vary(vary if vary is not None else [])
    given = {
        k: v
        for k, v in dict(
            delta=delta,
            z1=z1,
            z2=z2,
            r12=r12,
            omega=omega,
            omega_ratio=omega_ratio,
            TW=TW,
            TM=TM,
            dipole1=dipole1,
            dipole2=dipole2,
        ).items()
        if v is not None
    }
    check_conflicts(bounds, given)
    budget = parse_count(budget, "budget", minimum=1)
    pop = population_size(len(bounds))
    if budget < pop:
        raise InputError(
            "budget",
            f"must be >= the population size {pop} (15 per varied parameter, {len(bounds)} varied), got {budget}",
        )
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**32)
    seed = parse_count(seed, "seed", minimum=0)
    workers = (2 if budget >= PARALLEL_FROM else 1) if workers is None else parse_count(workers, "workers")
    workers = min(workers, os.cpu_count() or 1)
    land = validated_landscape(bounds, {"material": material, **given})
    names = land.names
    lower = np.array([bounds[n][0] for n in names])
    upper = np.array([bounds[n][1] for n in names])
    bar = progress_bar(budget, progress)
    try:
        r = optimise(land, lower, upper, budget=budget, seed=seed, workers=workers, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    point = {n: float(v) for n, v in zip(names, r["x"])}
    sharp = {
        n: None if rng is None else {f"{level:.0%}": tuple(float(v) for v in rng[level]) for level in LEVELS}
        for n, rng in r["ranges"].items()
    }
    return {
        "concurrence": float(r["concurrence"]),
        "witness": float(r["witness"]),
        "point": point,
        "input": _point_input(land, point, material),
        "evaluations": int(r["evaluations"]),
        "at_bounds": list(r["at_bounds"]),
        "seed": seed,
        "budget": budget,
        "bounds": {n: bounds[n] for n in names},
        "sharpness": sharp,
        "cuts": r["cuts"],
        "history": r["history"],
        "sharpness_evaluations": int(r["sharpness_evaluations"]),
        "generations": int(r["generations"]),
        "polished": bool(r["polished"]),
        "moved_by_cuts": int(r["moved_by_cuts"]),
        "workers": workers,
        "seconds": time.perf_counter() - t0,
    }


def _body_route(vary, choose, layers, substrate, method):
    """True when the search needs the body landscape (a stack, a body parameter, a choice or not DE)."""
    if layers is not None or substrate is not None or choose or method != "de":
        return True
    names = vary.keys() if isinstance(vary, dict) else [vary] if isinstance(vary, str) else (vary or ())
    return any("." in str(n).split("=", 1)[0] or str(n).split("=", 1)[0].strip() == "substrate" for n in names)


def _point_input(land, point, material):
    """Arguments of :func:`neqent.point` (SI) that reproduce the optimum."""
    c = land.columns(np.array([[point[n] for n in land.names]]))
    out = {"material": material if isinstance(material, str) else land.material}
    out.update(delta=float(c["delta"][0]), z1=float(c["z1"][0]), z2=float(c["z2"][0]))
    dx, dy = float(c["dx"][0]), float(c["dy"][0])
    out["r12"] = dx if dy == 0 and dx >= 0 else (dx, dy)
    if "omega_ratio" in point or ("omega" not in point and land.fixed.get("omega") is None):
        out["omega_ratio"] = float(point.get("omega_ratio", land.fixed.get("omega_ratio")))
    else:
        out["omega"] = float(c["omega"][0])
    out.update(TW=float(c["TW"][0]), TM=float(c["TM"][0]))
    out["dipole1"] = tuple(complex(v) for v in c["d1"][0])
    out["dipole2"] = tuple(complex(v) for v in c["d2"][0])
    return out


def _named_body(inp):
    """True if every material of the input is a name that resolves to itself (a command can name it)."""
    from neqent.electrodynamics.materials import get_layer_material

    if "layers" not in inp:
        return isinstance(inp["material"], str)
    names = [m for m, _ in inp["layers"]] + ([inp["substrate"]] if inp.get("substrate") is not None else [])
    try:
        return all(isinstance(m, str) and get_layer_material(m).name == m for m in names)
    except ValueError:
        return False


def point_command(inp):
    """``neqent point`` command line reproducing :func:`optimize`'s ``input``.

    Values are written with ``repr`` (shortest exact float), so the command
    recomputes the optimum bit for bit.

    Parameters
    ----------
    inp : dict
        The ``input`` of an :func:`optimize` result (SI units).

    Returns
    -------
    str or None
        The command (values in SI units); None when the input has no command
        form (a Material object or an in-plane r12 vector from the Python API).
    """
    import shlex

    if isinstance(inp["r12"], tuple) or not _named_body(inp):
        return None

    def dipole(v):
        return ",".join(repr(c.real) if c.imag == 0 else repr(c) for c in map(complex, v))

    if "layers" in inp:  # a stack: --layer per layer, top first, and --substrate
        opts = [("layer", f"{m}:{d!r}") for m, d in inp["layers"]]
        opts += [("substrate", inp["substrate"])] if inp.get("substrate") is not None else []
    else:
        opts = [("material", inp["material"]), ("delta", repr(inp["delta"]))]
    opts += [(k, repr(inp[k])) for k in ("z1", "z2", "r12")]
    opts += [("omega-ratio", repr(inp["omega_ratio"])) if "omega_ratio" in inp else ("omega", repr(inp["omega"]))]
    opts += [("TW", repr(inp["TW"])), ("TM", repr(inp["TM"]))]
    opts += [("dipole1", dipole(inp["dipole1"])), ("dipole2", dipole(inp["dipole2"]))]
    return "neqent point " + " ".join(shlex.quote(f"--{k}={v}") for k, v in opts)


# ---------------------------------------------------------------------------
# output formats of the ``neqent optimize`` command
# ---------------------------------------------------------------------------


def _unit(name):
    from neqent.dynamics.landscape import PARAMETERS

    if name in PARAMETERS:
        return PARAMETERS[name][0]
    return "m" if name.endswith("thickness") else ""  # body parameters: a thickness or a choice


def optimize_json(r: dict) -> dict:
    """JSON-ready form of :func:`optimize`'s result (no cuts or history; complex -> [re, im]).

    Parameters
    ----------
    r : dict
        Result of :func:`optimize`.

    Returns
    -------
    dict
        JSON-serialisable dict, values in SI units ([m], [rad/s], [K], [rad]; C and witness [1]).
    """

    def num(x):
        if isinstance(x, str):  # a chosen material
            return x
        return float(x) if x is not None and math.isfinite(float(x)) else None

    inp = {}
    for k, v in r["input"].items():
        if k == "layers":
            inp[k] = [[m, float(d)] for m, d in v]
        elif k in ("dipole1", "dipole2"):
            inp[k] = [[complex(c).real, complex(c).imag] for c in v]
        elif isinstance(v, tuple):
            inp[k] = [float(x) for x in v]
        else:
            inp[k] = v if isinstance(v, str) else num(v)
    extra = {}
    if "method" in r:  # the body route
        keys = ("method", "batch", "infeasible", "alternatives", "body", "search_concurrence", "workers")
        extra = {k: r[k] for k in keys}
        extra["seconds_per_evaluation"] = r["seconds_per_evaluation"]
    return {
        "concurrence": num(r["concurrence"]),
        "witness": num(r["witness"]),
        "point": {k: num(v) for k, v in r["point"].items()},
        "evaluations": r["evaluations"],
        "at_bounds": r["at_bounds"],
        "seed": r["seed"],
        "budget": r["budget"],
        "bounds": {k: [num(x) for x in v] for k, v in r["bounds"].items()},
        "sharpness": {
            k: None if v is None else {lvl: [num(a), num(b)] for lvl, (a, b) in v.items()}
            for k, v in r["sharpness"].items()
        },
        "sharpness_evaluations": r["sharpness_evaluations"],
        "generations": r["generations"],
        "polished": r["polished"],
        "moved_by_cuts": r["moved_by_cuts"],
        "input": inp,
        "point_command": point_command(r["input"]),
        "seconds": r["seconds"],
        "units": {k: _unit(k) for k in r["point"]},
        **extra,
    }


def _show(name, value):
    from neqent.interface.units import format_length

    unit = _unit(name)
    if isinstance(value, str):
        return value
    if unit == "m":
        return format_length(value)
    return f"{value:.6g} {unit}" if unit != "1" else f"{value:.6g}"


def optimize_table(r: dict) -> str:
    """Readable text of :func:`optimize`'s result.

    Parameters
    ----------
    r : dict
        Result of :func:`optimize`.

    Returns
    -------
    str
        The table, values with their units.
    """
    c = r["concurrence"]
    lines = [f"best steady concurrence  C = {c:.6g}   (witness {r['witness']:+.6g})"]
    if not c > 0:
        lines.append("  C = 0 everywhere the search went: the point shown is the least separable one found")
    lines += [
        "",
        f"  {'parameter':<16} {'optimum':>14} {'search range':>28}  {'C >= 99% best':>28}  {'C >= 90% best':>28}",
    ]
    for name, x in r["point"].items():
        at = "  (at bound)" if name in r["at_bounds"] else ""
        s = r["sharpness"][name]

        def rng(a, b, name=name):
            return f"{_show(name, a)} .. {_show(name, b)}"

        box = rng(*r["bounds"][name]) if not isinstance(x, str) else ",".join(r["bounds"][name])
        cols = (rng(*s["1%"]), rng(*s["10%"])) if s else ("-", "-")
        lines.append(f"  {name:<16} {_show(name, x):>14} {box:>28}  {cols[0]:>28}  {cols[1]:>28}{at}")
    for name, alt in r.get("alternatives", {}).items():
        lines.append(f"  {name} at the optimum: " + ", ".join(f"{o} C = {c:.4g}" for o, c in alt.items()))
    lines += [
        "",
        f"  evaluations {r['evaluations']} (budget {r['budget']}, {r['generations']} generations"
        f"{', polished' if r['polished'] else ''}) + {r['sharpness_evaluations']} for the sharpness cuts",
        f"  seed {r['seed']}, {r['workers']} process(es), {r['seconds']:.1f} s"
        + (f", method {r['method']}, {r['infeasible']} infeasible candidate(s)" if "method" in r else ""),
        f"  at bounds: {', '.join(r['at_bounds']) or 'none'}",
    ]
    cmd = point_command(r["input"])
    if cmd:
        lines += ["", f"  same point: {cmd}"]
    return "\n".join(lines)
