"""``neqent optimize`` over the body: which layers, thicknesses and materials entangle most?

The body route of :func:`neqent.interface.optimize.optimize`, taken when the
body is a stack (``layers``/``substrate``), when a body parameter is varied
(``layer1.thickness=1nm:2um``, ``delta`` with ``method="bo"``) or chosen
(``choose={"layer1.material": "sic,hbn,sio2"}``), or when the search method
is ``bo`` or ``auto``. It validates the arguments (one-line
:class:`~neqent.errors.InputError` naming ``vary`` or ``choose``), builds the
:class:`neqent.dynamics.design.BodyLandscape`, spreads the batches over MPI
ranks (under ``mpiexec``) or worker processes, runs
:func:`neqent.dynamics.design.optimise_design` and returns the result in the
form of :func:`~neqent.interface.optimize.optimize`'s, the body parameters
named as ``--vary``/``--choose`` name them.

Body parameter names: a stack's ``layer<i>.thickness`` [m] (``--vary``) and
``layer<i>.material``, ``substrate`` (``--choose``; ``none`` = vacuum below),
layers numbered from the top (1); a slab's ``delta`` [m] and ``material``.
"""

from __future__ import annotations

import re

import numpy as np

from neqent.interface.units import InputError, parse_length

__all__ = ["optimize_body", "parse_choose", "body_of", "NO_SUBSTRATE"]

#: ``--choose substrate=`` option meaning "no substrate" (vacuum below the stack).
NO_SUBSTRATE = "none"
_LAYER = re.compile(r"layer(\d+)\.(\w+)$")


def body_of(material, delta, layers, substrate, sphere=None):
    """The body of the search: a sphere, the stack of ``layers``/``substrate``, else the slab of ``material``/``delta``.

    Parameters
    ----------
    material : str or Material
        Slab material (ignored with a stack).
    delta : float or str or None
        Slab thickness [m] (None: point's default).
    layers : sequence of (material, thickness) or None
        Stack layers top first (thickness [m] or with units).
    substrate : str or None
        Substrate material.
    sphere : tuple or str or None
        A sphere (:func:`neqent.interface.inputs.sphere_body`), exclusive with the rest.

    Returns
    -------
    neqent.electrodynamics.body.Body
        The body.

    Raises
    ------
    InputError
        For a bad layer, substrate, material or thickness (naming it).
    """
    from neqent.electrodynamics.materials import get_layer_material
    from neqent.electrodynamics.planar import Slab, Stack
    from neqent.electrodynamics.resolve import resolve_material
    from neqent.interface.api import DEFAULTS
    from neqent.interface.inputs import sphere_body

    if sphere is not None:
        return sphere_body(sphere, material, DEFAULTS["delta"] if delta is None else delta, layers, substrate)
    if layers is None and substrate is None:
        thick = DEFAULTS["delta"] if delta is None else parse_length(delta, "delta", allow_inf=True)
        return Slab(resolve_material(material), thick)
    resolved = []
    for i, item in enumerate(layers or ()):
        if isinstance(item, str) or not hasattr(item, "__len__") or len(item) != 2:
            raise InputError("layers", f"layer {i + 1} must be a (material, thickness) pair, got {item!r}")
        resolved.append((item[0], parse_length(item[1], "layers", hint=f" (thickness of layer {i + 1})")))
    try:
        sub = None if substrate is None else get_layer_material(substrate)
    except ValueError as exc:
        raise InputError("substrate", str(exc).splitlines()[0]) from None
    try:
        return Stack(resolved, sub)
    except ValueError as exc:
        raise InputError("layers", str(exc).splitlines()[0]) from None


def _body_names(body):
    """Varied names of the body's parameters (``delta`` for the slab's thickness)."""
    from neqent.dynamics.design import BODY_ALIASES

    if body.kind == "slab":  # point's names: delta (the thickness) and material
        back = {v: k for k, v in BODY_ALIASES.items()}
        return [*(back.get(n, n) for n in body.parameters), "material"]
    return list(body.parameters)


def _body_key(body, name, param):
    """InputError (``param``) unless ``name`` is a parameter of ``body``; the parameter's name in the body."""
    from neqent.dynamics.design import BODY_ALIASES

    known = _body_names(body)
    if name in known:
        return BODY_ALIASES.get(name, name) if body.kind == "slab" else name
    m = _LAYER.match(name)
    if m and body.kind == "stack" and m.group(2) in ("thickness", "material"):
        n = len(body.layers)
        raise InputError(param, f"{name}: layer {m.group(1)} is beyond the stack, which has layers 1..{n} (1 = top)")
    raise InputError(param, f"unknown body parameter {name!r} of the {body.kind}; body parameters: {', '.join(known)}")


def _split(text, param, example):
    if not isinstance(text, str) or "=" not in text:
        raise InputError(param, f"cannot parse {text!r}; expected {example}")
    name, value = text.split("=", 1)
    return name.strip(), value


def parse_choose(choose, body) -> dict:
    """Categorical choices from a mapping or ``NAME=A,B,C`` strings.

    Parameters
    ----------
    choose : dict or sequence of str or None
        name -> options (a sequence or ``"a,b,c"``) or ``"NAME=a,b,c"`` texts:
        ``layer<i>.material``, ``substrate`` (option ``none``: vacuum) of a
        stack, ``material`` of a slab; options from the materials library
        (:func:`neqent.electrodynamics.materials.get_layer_material`).
    body : neqent.electrodynamics.body.Body
        The body.

    Returns
    -------
    dict of str to tuple
        name -> options (material specs; None for no substrate).

    Raises
    ------
    InputError
        (param ``choose``) for an unknown or non-categorical name, a layer
        beyond the stack, no options, a repeated option or an unknown material.
    """
    from neqent.dynamics.design import is_categorical
    from neqent.electrodynamics.materials import get_layer_material

    if not choose:
        return {}
    items = list(choose.items()) if isinstance(choose, dict) else [_split(c, "choose", "NAME=A,B,C") for c in choose]
    out = {}
    for name, options in items:
        key = _body_key(body, name, "choose")
        if not is_categorical(body, key):
            raise InputError("choose", f"{name} is a number, not a choice: vary it with --vary {name}=LO:HI")
        if name in out:
            raise InputError("choose", f"{name} is given twice")
        opts = [o.strip() for o in options.split(",")] if isinstance(options, str) else [str(o) for o in options]
        if not opts or not all(opts):
            raise InputError("choose", f"{name}: give options separated by commas, e.g. {name}=sic,hbn,sio2")
        if len(set(opts)) != len(opts):
            raise InputError("choose", f"{name}: an option is repeated in {','.join(opts)}")
        resolved = []
        for o in opts:
            if name == "substrate" and o.lower() == NO_SUBSTRATE:
                resolved.append(None)
                continue
            try:
                get_layer_material(o)
            except ValueError as exc:
                raise InputError("choose", f"{name}: {str(exc).splitlines()[0]}") from None
            resolved.append(o)
        out[name] = tuple(resolved)
    return out


def _parse_body_vary(body, items):
    """Continuous body ranges ``{name: (lo, hi)}`` [m] from (name, 'LO:HI') pairs."""
    from neqent.dynamics.design import is_categorical

    out = {}
    for name, rng in items:
        key = _body_key(body, name, "vary")
        if is_categorical(body, key):
            raise InputError("vary", f"{name} is a choice, not a number: use --choose {name}=A,B,C")
        if name in out:
            raise InputError("vary", f"{name} is given twice")
        parts = rng.split(":") if isinstance(rng, str) else list(rng)
        if len(parts) != 2 or not all(str(p).strip() for p in parts):
            raise InputError("vary", f"{name}: cannot parse range {rng!r}; expected LO:HI, e.g. 1nm:2um")
        lo, hi = (parse_length(p, "vary", hint=f" ({name})") for p in parts)
        if not lo < hi:
            raise InputError("vary", f"{name}: empty range, the lower bound must be < the upper bound, got {rng!r}")
        out[name] = (lo, hi)
    return out


def _split_vary(vary, body):
    """(ordinary ranges for :func:`~neqent.interface.optimize.parse_vary`, body ranges [m]) from ``vary``."""
    if isinstance(vary, dict):
        items = [(str(n).strip(), r) for n, r in vary.items()]
    else:
        texts = [vary] if isinstance(vary, str) else list(vary or ())
        items = [_split(v, "vary", "NAME=LO:HI, e.g. layer1.thickness=1nm:2um") for v in texts]
    names = _body_names(body)
    is_body = [n in names or n in ("material", "substrate") or _LAYER.match(n) is not None for n, _ in items]
    ordinary = {n: r for (n, r), b in zip(items, is_body) if not b}
    if "delta" in ordinary:
        if body.kind == "sphere":
            raise InputError("vary", "delta is a slab's thickness; vary a sphere's radius as radius=LO:HI")
        raise InputError("vary", "delta is a slab's thickness; vary a stack's layers as layer<i>.thickness=LO:HI")
    return ordinary, _parse_body_vary(body, [item for item, b in zip(items, is_body) if b])


def _ordinary(raw, given, body):
    """Ranges of the qubit and bath names (parse_vary), naming the body parameters in an unknown-name error."""
    from neqent.interface.search_inputs import check_conflicts, parse_vary

    if not raw:
        return {}
    try:
        bounds = parse_vary(raw)
    except InputError as exc:
        if "unknown parameter" in exc.detail:
            raise InputError("vary", f"{exc.detail}; body parameters: {', '.join(_body_names(body))}") from None
        raise
    check_conflicts(bounds, given)
    return bounds


def _search_options(search, d):
    """Validated seed, budget, workers, method and batch of the body route."""
    import os

    from neqent.dynamics.bayes import BATCH
    from neqent.dynamics.design import METHODS
    from neqent.dynamics.search import population_size
    from neqent.interface.search_inputs import DEFAULT_BUDGET
    from neqent.interface.units import parse_count

    method = str(search.get("method") or "de").lower()
    if method not in METHODS:
        raise InputError("method", f"unknown search method {method!r}; allowed: {', '.join(METHODS)}")
    budget = parse_count(search.get("budget", DEFAULT_BUDGET), "budget", minimum=1)
    pop = population_size(d)
    if method != "bo" and budget < pop:
        raise InputError(
            "budget", f"must be >= the population size {pop} (15 per searched parameter, {d} searched), got {budget}"
        )
    seed = search.get("seed")
    seed = int(np.random.SeedSequence().entropy % 2**32) if seed is None else parse_count(seed, "seed", minimum=0)
    workers = search.get("workers")
    workers = 1 if workers is None else min(parse_count(workers, "workers"), os.cpu_count() or 1)
    batch = BATCH if search.get("batch") is None else parse_count(search["batch"], "batch")
    return {"method": method, "budget": budget, "seed": seed, "workers": workers, "batch": batch}


#: Rows per evaluation call: fixed (never the rank or worker count), so every split gives the same values.
CHUNK = 4


def optimize_body(vary, choose=None, *, body, given, search) -> dict | None:
    """Largest steady concurrence over qubit, bath and body parameters (the body route of ``optimize``).

    Parameters
    ----------
    vary : dict or sequence of str
        Ranges as in :func:`neqent.interface.optimize.optimize`, plus body
        parameters (``layer<i>.thickness=1nm:2um``; a slab's ``delta``).
    choose : dict or sequence of str, optional
        Categorical body parameters (:func:`parse_choose`).
    body : dict
        ``material``, ``delta``, ``layers``, ``substrate`` as in :func:`neqent.interface.api.point`.
    given : dict
        The fixed arguments of ``point`` that were given (SI or with units).
    search : dict
        ``seed``, ``budget``, ``workers``, ``progress``, ``method`` (de, bo,
        auto) and ``batch`` as in :func:`~neqent.interface.optimize.optimize`.

    Returns
    -------
    dict or None
        :func:`~neqent.interface.optimize.optimize`'s result with body
        parameter names, plus ``method``, ``infeasible``, ``alternatives``,
        ``seconds_per_evaluation``, ``body``; None on MPI ranks other than 0.
    """
    import functools
    import time

    from neqent.dynamics.design import BodyLandscape, optimise_design
    from neqent.dynamics.mpi_map import MPIMap, serve, world
    from neqent.dynamics.search import ChunkedMap
    from neqent.interface.search_inputs import progress_bar, validated_landscape

    t0 = time.perf_counter()
    base = body_of(**body)
    raw, body_bounds = _split_vary(vary, base)
    if "delta" in body_bounds and body.get("delta") is not None:
        raise InputError("vary", f"delta is both varied and fixed (--delta {body['delta']!s}); vary it or fix it")
    ordinary = _ordinary(raw, given, base)
    choices = parse_choose(choose, base)
    if not (ordinary or body_bounds or choices):
        raise InputError("vary", "give at least one parameter to vary or choose, e.g. layer1.thickness=1nm:2um")
    slab_material = base.material if base.kind == "slab" else "sic"  # the qubits' and baths' checks only
    fixed = dict(validated_landscape(ordinary, {"material": slab_material, **given}).fixed)
    fixed.pop("delta")
    names = (*ordinary, *body_bounds, *choices)
    ranges = {**ordinary, **body_bounds, **{n: (0.0, float(len(o))) for n, o in choices.items()}}
    lower = np.array([ranges[n][0] for n in names])
    upper = np.array([ranges[n][1] for n in names])
    opts = _search_options(search, len(names))
    land = BodyLandscape(base, fixed, names, choices)
    comm = world()
    if comm is not None and comm.Get_rank() != 0:
        serve(comm)  # rank 0 sends the batches (with the landscape) and releases this rank at the end
        return None
    if comm is not None:
        mapper = functools.partial(MPIMap, comm=comm, chunk=CHUNK)
    else:
        mapper = functools.partial(ChunkedMap, workers=opts["workers"], chunk=CHUNK)
    bar = progress_bar(opts["budget"], search.get("progress"))
    try:
        r = optimise_design(
            land,
            lower,
            upper,
            budget=opts["budget"],
            seed=opts["seed"],
            method=opts["method"],
            batch=opts["batch"],
            mapper=mapper,
            progress=bar,
        )
    finally:
        if bar is not None:
            bar.close()
    if not np.isfinite(r["concurrence"]):
        raise InputError(
            "choose" if choices else "vary",
            f"all {r['infeasible']} candidates were infeasible (a material outside its validity range at omega, "
            "docs/materials.md); change the materials or --omega/--omega-ratio",
        )
    return _result(land, r, ranges, opts, comm, t0)


def _option(value):
    return NO_SUBSTRATE if value is None else value


def _result(land, r, ranges, opts, comm, t0):
    """optimize()'s result dict from optimise_design's (body parameters by their --vary/--choose names)."""
    import time

    from neqent.dynamics.bayes import category
    from neqent.dynamics.landscape import LEVELS

    names, choices = land.names, land.choices
    point = {}
    for n, v in zip(names, r["x"]):
        point[n] = _option(choices[n][int(category(v, len(choices[n])))]) if n in choices else float(v)
    sharp = {}
    for n in names:
        rng = r["ranges"].get(n)
        sharp[n] = None if rng is None else {f"{lv:.0%}": tuple(float(v) for v in rng[lv]) for lv in LEVELS}
    best = land.candidate(r["x"])
    return {
        "concurrence": float(r["concurrence"]),
        "witness": float(r["witness"]),
        "point": point,
        "input": _point_input(land, r["x"], best),
        "evaluations": int(r["evaluations"]),
        "at_bounds": list(r["at_bounds"]),
        "seed": opts["seed"],
        "budget": opts["budget"],
        "bounds": {n: tuple(_option(o) for o in choices[n]) if n in choices else ranges[n] for n in names},
        "sharpness": sharp,
        "cuts": {names[i]: c for i, c in r["cuts"].items()},
        "history": r["history"],
        "sharpness_evaluations": int(r["sharpness_evaluations"]),
        "generations": int(r["generations"]),
        "polished": bool(r["polished"]),
        "moved_by_cuts": int(r["moved_by_cuts"]),
        "workers": comm.Get_size() if comm is not None else opts["workers"],
        "seconds": time.perf_counter() - t0,
        "method": r["method"],
        "batch": opts["batch"] if r["method"] == "bo" else None,
        "infeasible": int(r["infeasible"]),
        "alternatives": {
            n: {_option(choices[n][j]): c for j, c in alt.items()} for n, alt in r["alternatives"].items()
        },
        "seconds_per_evaluation": r["seconds_per_evaluation"],
        "search_concurrence": r["search_concurrence"],
        "body": best.describe(),
    }


def _point_input(land, x, body):
    """Arguments of :func:`neqent.point` (SI) that reproduce the optimum (the body as layers or slab)."""
    c = land.columns(np.asarray(x, float)[None, :])
    out = {}
    if body.kind == "stack":
        out["layers"] = [(m.name, float(d)) for m, d in body.layers]
        out["substrate"] = None if body.substrate is None else body.substrate.name
    elif body.kind == "sphere":
        out["sphere"] = (body.material.name, float(body.radius))
    else:
        out.update(material=body.material.name, delta=float(body.thickness))
    out.update(z1=float(c["z1"][0]), z2=float(c["z2"][0]))
    dx, dy = float(c["dx"][0]), float(c["dy"][0])
    out["r12"] = dx if dy == 0 and dx >= 0 else (dx, dy)
    if "omega" in c:
        out["omega"] = float(c["omega"][0])
    else:
        out["omega_ratio"] = float(c["omega_ratio"][0])
    out.update(TW=float(c["TW"][0]), TM=float(c["TM"][0]))
    out["dipole1"] = tuple(complex(v) for v in c["d1"][0])
    out["dipole2"] = tuple(complex(v) for v in c["d2"][0])
    return out
