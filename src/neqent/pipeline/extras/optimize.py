"""Pipeline stage ``optimize``: the named searches of the config's ``optimize`` section.

Each search (``config["optimize"][name]``) fixes the configuration -- the
config's ``material``, ``T_W`` and ``geometry`` (``theta`` gives both dipole
angles ``theta1``, ``theta2``), ``T_M`` = 600 K as in ``neqent point``, then
the search's own ``fixed`` values -- and maximises the steady concurrence over
its ``vary`` ranges with :func:`neqent.dynamics.landscape.optimise` (the same
search as ``neqent optimize``; SI units, config names ``T_M``, ``T_W``).

``python -m neqent.pipeline.optimize --config C --search NAME --output F.nc``
writes one NetCDF record (:func:`search_dataset`): best point, convergence
history, 1-D cuts of C through the optimum and the 1 % / 10 % ranges. ``C``
may be the full config or the subset ``material``, ``T_W``, ``geometry``,
``optimize`` (what the Snakemake rule passes). Bad input: one line, exit 2.
"""

from __future__ import annotations

import math
import sys

import numpy as np

__all__ = ["CONFIG_NAMES", "search_subset", "check_search", "search_landscape", "search_dataset", "main"]

#: config name -> landscape name (neqent.dynamics.landscape.PARAMETERS)
CONFIG_NAMES = {
    "z1": "z1",
    "z2": "z2",
    "r12": "r12",
    "delta": "delta",
    "omega": "omega",
    "omega_ratio": "omega_ratio",
    "T_M": "TM",
    "T_W": "TW",
    "theta1": "theta1",
    "theta2": "theta2",
}
#: T_M when neither fixed nor varied (neqent point's default).
DEFAULT_T_M = 600.0


def _error(key, message):
    from neqent.pipeline.config import ConfigError

    return ConfigError(f"config key '{key}': {message}")


def _values(config, name):
    """(fixed SI values by config name, bounds by config name) of one search."""
    search = config["optimize"][name]
    geo = config["geometry"]
    base = {k: float(geo[k]) for k in ("delta", "z1", "z2", "r12")}
    base.update(theta1=float(geo.get("theta", 0.0)), theta2=float(geo.get("theta", 0.0)))
    base.update(T_W=float(config["T_W"]), T_M=DEFAULT_T_M)
    if "omega" in geo:
        base["omega"] = float(geo["omega"])
    else:
        base["omega_ratio"] = float(geo.get("omega_ratio", 0.3))
    fixed = search.get("fixed", {})
    if "omega" in fixed or "omega_ratio" in fixed:
        base.pop("omega", None)
        base.pop("omega_ratio", None)
    base.update({k: float(v) for k, v in fixed.items()})
    bounds = {k: (float(v[0]), float(v[1])) for k, v in search["vary"].items()}
    if "omega" in bounds or "omega_ratio" in bounds:
        base.pop("omega", None)
        base.pop("omega_ratio", None)
    return base, bounds


def search_subset(config, name):
    """The part of ``config`` one search depends on (what its rule passes and its record stores).

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).
    name : str
        Search under ``optimize``.

    Returns
    -------
    dict
        ``material``, ``T_W`` [K], ``geometry`` (SI units) and ``optimize.<name>``.
    """
    subset = {k: config[k] for k in ("material", "T_W", "geometry")}
    subset["optimize"] = {name: config["optimize"][name]}
    return subset


def check_search(config, material, name):
    """Semantic checks of ``optimize.<name>`` (ConfigError naming the key).

    Ranges inside the physical ones (:func:`neqent.dynamics.landscape.check_bounds`),
    no parameter both varied and fixed, omega or omega_ratio (not both), a
    resonance for omega_ratio, the budget at least the population, and the
    quadrature's size bound at the ranges' upper ends.

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).
    material : Material
        The resolved material of the configuration.
    name : str
        Search under ``optimize``.
    """
    from neqent.dynamics.landscape import check_bounds
    from neqent.dynamics.search import population_size
    from neqent.validation import electrical_size

    key = f"optimize.{name}"
    search = config["optimize"][name]
    vary, fixed = search["vary"], search.get("fixed", {})
    for p, rng in vary.items():
        try:
            check_bounds(CONFIG_NAMES[p], *rng)
        except ValueError as exc:
            raise _error(f"{key}.vary.{p}", str(exc).split(": ", 1)[1]) from None
        if p in fixed:
            raise _error(f"{key}.fixed.{p}", f"{p} is also varied (vary.{p}); vary it or fix it, not both")
    for group, values in (("vary", vary), ("fixed", fixed)):
        if "omega" in values and "omega_ratio" in values:
            raise _error(f"{key}.{group}", "give omega or omega_ratio, not both")
    base, bounds = _values(config, name)
    if "omega_ratio" in {**base, **bounds} and material.resonance is None:
        raise _error(f"{key}", f"material {material.name!r} has no resonance frequency; use omega (rad/s)")
    pop = population_size(len(vary))
    if int(search["budget"]) < pop:
        raise _error(f"{key}.budget", f"must be >= the population size {pop} (15 per varied parameter)")
    top = {**base, **{k: hi for k, (lo, hi) in bounds.items()}}
    if "omega" in bounds or "omega_ratio" in bounds:
        p = "omega" if "omega" in bounds else "omega_ratio"
        scale = 1.0 if p == "omega" else material.resonance
        w = np.geomspace(bounds[p][0] * scale, bounds[p][1] * scale, 257)
    else:
        w = np.atleast_1d(top["omega"] if "omega" in top else top["omega_ratio"] * material.resonance)
    try:
        eps = material.eps(w)
        electrical_size(w, top["z1"], top["z2"], top["r12"], top["delta"], eps)
    except ValueError as exc:
        raise _error(key, str(exc)) from None


def search_landscape(config, name):
    """The landscape and the bounds of ``optimize.<name>``.

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).
    name : str
        Search under ``optimize``.

    Returns
    -------
    landscape : Landscape
        The objective (:class:`neqent.dynamics.landscape.Landscape`).
    lower, upper : ndarray, shape (d,)
        Bounds in SI units ([m], [rad/s], [1], [K], [rad]) in the order of ``vary``.
    """
    from neqent.dynamics.landscape import Landscape, dipole_xz
    from neqent.electrodynamics.materials import get_material

    material = get_material(config["material"])
    base, bounds = _values(config, name)
    fixed = {
        "delta": base["delta"],
        "z1": base["z1"],
        "z2": base["z2"],
        "dx": base["r12"],
        "dy": 0.0,
        "omega": base.get("omega"),
        "omega_ratio": base.get("omega_ratio"),
        "TM": base["T_M"],
        "TW": base["T_W"],
        "d1": dipole_xz(base["theta1"]),
        "d2": dipole_xz(base["theta2"]),
    }
    names = tuple(CONFIG_NAMES[p] for p in bounds)
    lower = np.array([b[0] for b in bounds.values()])
    upper = np.array([b[1] for b in bounds.values()])
    return Landscape(material, fixed, names), lower, upper


def search_dataset(config, name, progress=False):
    """Run ``optimize.<name>``; its record as a dataset.

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).
    name : str
        Search under ``optimize``.
    progress : bool
        Show a progress bar.

    Returns
    -------
    xarray.Dataset
        Variables (units on each): ``C`` [1] and ``witness`` [1] at the optimum;
        per varied parameter p (config name, SI units): ``p`` (optimum),
        ``p_bounds`` (bound), ``p_range`` (level, bound: the 1-D range where
        C >= (1 - level) C_best), ``p_cut`` (cut_p) and ``C_cut_p`` (cut_p) (the
        1-D cut of C [1]); ``history_evaluations`` [1] and ``history_witness``
        [1] (step) (running best). Attributes: ``search``, ``seed``, ``budget``,
        ``evaluations``, ``at_bounds`` (comma-separated config names),
        ``stage = "optimize"``.
    """
    import xarray as xr

    from neqent.dynamics.landscape import LEVELS, PARAMETERS, optimise

    search = config["optimize"][name]
    land, lower, upper = search_landscape(config, name)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=int(search["budget"]), unit="eval", desc=f"optimize {name}", leave=False)
    try:
        r = optimise(
            land,
            lower,
            upper,
            budget=int(search["budget"]),
            seed=int(search["seed"]),
            progress=(lambda n: bar.update(min(n, bar.total - bar.n))) if bar else None,
        )
    finally:
        if bar is not None:
            bar.close()
    to_config = {v: k for k, v in CONFIG_NAMES.items()}
    data, coords = {}, {}
    coords["level"] = ("level", np.array(LEVELS), {"units": "1", "long_name": "relative drop of C from its best"})
    coords["bound"] = ("bound", ["lower", "upper"], {"units": "1", "long_name": "end of a range"})
    data["C"] = ((), r["concurrence"], {"units": "1", "long_name": "best steady concurrence"})
    data["witness"] = (
        (),
        r["witness"],
        {"units": "1", "long_name": "X-state witness at the optimum (C = 2 max(0, K))"},
    )
    for k, lname in enumerate(land.names):
        p = to_config[lname]
        unit, _, _, what = PARAMETERS[lname]
        unit = "rad s-1" if unit == "rad/s" else unit
        data[p] = ((), r["x"][k], {"units": unit, "long_name": f"optimum: {what}"})
        data[f"{p}_bounds"] = (("bound",), [lower[k], upper[k]], {"units": unit, "long_name": f"search range: {what}"})
        rng = r["ranges"][lname]
        ranges = np.array([rng[level] for level in LEVELS]) if rng else np.full((len(LEVELS), 2), np.nan)
        data[f"{p}_range"] = (
            ("level", "bound"),
            ranges,
            {"units": unit, "long_name": f"1-D range of {p} where C >= (1 - level) C_best"},
        )
        values, C = r["cuts"][lname]
        coords[f"cut_{p}"] = (f"cut_{p}", values, {"units": unit, "long_name": f"{what} along the cut"})
        data[f"C_cut_{p}"] = ((f"cut_{p}",), C, {"units": "1", "long_name": f"steady concurrence along the {p} cut"})
    hist = r["history"]
    coords["step"] = ("step", np.arange(len(hist["best"])), {"units": "1", "long_name": "objective batch"})
    data["history_evaluations"] = (("step",), hist["evaluations"], {"units": "1", "long_name": "evaluations so far"})
    data["history_witness"] = (("step",), hist["best"], {"units": "1", "long_name": "best witness so far"})
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            "title": f"neqent optimize: search {name}",
            "stage": "optimize",
            "search": name,
            "material": str(config["material"]),
            "seed": int(search["seed"]),
            "budget": int(search["budget"]),
            "evaluations": int(r["evaluations"]),
            "sharpness_evaluations": int(r["sharpness_evaluations"]),
            "moved_by_cuts": int(r["moved_by_cuts"]),
            "at_bounds": ",".join(to_config[n] for n in r["at_bounds"]),
        },
    )


def _load(parser, source):
    """The stage's config: the full one (validated) or the rule's subset (checked here)."""
    import json

    from neqent.pipeline.command import first_line, shown
    from neqent.pipeline.config import load_config, load_config_or_exit

    try:
        config = json.loads(source)
    except ValueError:
        return load_config_or_exit(parser, source)
    if "scans" in config:
        return load_config(config)
    try:
        from neqent.electrodynamics.materials import get_material

        material = get_material(config["material"])
        for name in config["optimize"]:
            check_search(config, material, name)
    except (KeyError, ValueError, TypeError) as exc:
        parser.error(f"--config {shown(source)}: {first_line(exc)}")
    return config


def main(argv=None):
    """Command line ``python -m neqent.pipeline.optimize --config C --search NAME --output F.nc [--no-progress]``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0 (bad input exits with status 2 and one line on stderr).
    """
    from neqent.pipeline.command import StageParser, first_line
    from neqent.pipeline.io import write_dataset

    p = StageParser(prog="python -m neqent.pipeline.optimize", description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="config file or inline YAML/JSON")
    p.add_argument("--search", required=True, help="name of a search in the config's 'optimize' section")
    p.add_argument("--output", required=True, help="output NetCDF file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    config = _load(p, args.config)
    searches = config.get("optimize") or {}
    if args.search not in searches:
        p.error(f"--search {args.search!r}: not a search of the config; allowed: {', '.join(sorted(searches)) or '-'}")
    ds = search_dataset(config, args.search, progress=not args.no_progress)
    c = float(ds["C"])
    print(
        f"search {args.search}: C = {c:.6g} after {ds.attrs['evaluations']} evaluations"
        + (f"; at bounds: {ds.attrs['at_bounds']}" if ds.attrs["at_bounds"] else "")
    )
    if not math.isfinite(c):  # pragma: no cover - every point of the box failed
        p.error(f"--search {args.search!r}: no valid point in the ranges")
    try:
        write_dataset(ds, args.output, config)
    except OSError as exc:
        p.error(f"--output {args.output!r}: {first_line(exc)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
