"""Pipeline stage ``optimize``: the named searches of the config's ``optimize`` section.

Each search (``config["optimize"][name]``) fixes the configuration -- the
config's ``material``, ``T_W`` and ``geometry`` (``theta`` gives both dipole
angles ``theta1``, ``theta2``), ``T_M`` = 600 K as in ``neqent point``, then
the search's own ``fixed`` values -- and maximises the steady concurrence over
its ``vary`` ranges with :func:`neqent.dynamics.landscape.optimise` (the same
search as ``neqent optimize``; SI units, config names ``T_M``, ``T_W``).

One NetCDF record per search (:func:`search_dataset`): best point, convergence
history, 1-D cuts of C through the optimum and the 1 % / 10 % ranges, drawn
by :func:`optimize_figure`. Its command line is :mod:`neqent.pipeline.optimize`.
"""

from __future__ import annotations

import numpy as np

from neqent.errors import ConfigError
from neqent.pipeline.extras.registry import Extra, Figure, register
from neqent.pipeline.figstyle import pyplot, save

__all__ = [
    "CONFIG_NAMES",
    "search_subset",
    "check_search",
    "check_config",
    "search_landscape",
    "search_dataset",
    "optimize_figure",
    "EXTRA",
]

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


def check_config(config, body):
    """Every search of the ``optimize`` section (:func:`check_search`); listing the extra needs one.

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).
    body : neqent.electrodynamics.body.Body
        The config's body; its top material sets ``omega_ratio``.

    Raises
    ------
    ConfigError
        Naming ``extras`` or ``optimize.<name>.<key>``.
    """
    if "optimize" in config["extras"] and not config["optimize"]:
        raise ConfigError("config key 'extras': 'optimize' is listed but the 'optimize' section has no search")
    for name in config["optimize"]:
        check_search(config, body.top_material, name)


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


_OPT_UNITS = {"m": (1e-6, "um"), "rad s-1": (1.0, "rad/s"), "K": (1.0, "K"), "rad": (1.0, "rad"), "1": (1.0, "")}


def optimize_figure(*args, dpi=150):
    """One row per search record of :mod:`neqent.pipeline.optimize`.

    Called as ``optimize_figure(record, ..., base, dpi=150)``. Left: convergence
    history (best C = 2 max(0, witness) versus evaluations). Then one panel per
    varied parameter: C along the 1-D cut through the optimum, the optimum
    marked, the 1 % and 10 % ranges shaded.

    Parameters
    ----------
    *args : xarray.Dataset, ..., str or pathlib.Path
        The search records (concurrences [1], parameters in SI units), then the
        output path without extension.
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files written (:func:`~neqent.pipeline.figstyle.save`).
    """
    plt = pyplot()
    *records, base = args
    ncols = 1 + max(len([v for v in r.data_vars if v.startswith("C_cut_")]) for r in records)
    fig, axs = plt.subplots(
        len(records), ncols, figsize=(3.4 * ncols, 3.0 * len(records)), layout="constrained", squeeze=False
    )
    for row, rec in zip(axs, records):
        n = rec["history_evaluations"].values
        row[0].plot(n, 2 * np.maximum(0.0, rec["history_witness"].values), "-")
        row[0].set_xlabel("evaluations")
        row[0].set_ylabel(r"best $C(\infty)$ so far")
        row[0].set_title(f"{rec.attrs.get('search', '?')}: C = {float(rec['C']):.4g}", fontsize=9)
        names = [v[len("C_cut_") :] for v in rec.data_vars if v.startswith("C_cut_")]
        for ax, p in zip(row[1:], names):
            scale, unit = _OPT_UNITS.get(rec[p].attrs.get("units", "1"), (1.0, rec[p].attrs.get("units", "")))
            x = rec[f"cut_{p}"].values / scale
            rng = rec[f"{p}_range"].values / scale
            for k, alpha in ((1, 0.15), (0, 0.3)):  # 10 % range under the 1 % one
                if np.all(np.isfinite(rng[k])):
                    ax.axvspan(*rng[k], color="C1", alpha=alpha, lw=0)
            ax.plot(x, rec[f"C_cut_{p}"].values, "-")
            ax.axvline(float(rec[p]) / scale, color="k", lw=0.8, ls="--")
            bounds = rec[f"{p}_bounds"].values
            if bounds[0] > 0 and bounds[1] >= 10 * bounds[0]:
                from matplotlib.ticker import NullFormatter

                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on short log ranges
            at = " (at bound)" if p in rec.attrs.get("at_bounds", "").split(",") else ""
            ax.set_xlabel(f"{p} ({unit}){at}" if unit else f"{p}{at}")
            ax.set_ylabel(r"$C(\infty)$")
        for ax in row[1 + len(names) :]:
            ax.set_visible(False)
    fig.suptitle("steady-concurrence searches: convergence and 1-D cuts (shaded: within 1 % / 10 % of the best)")
    return save(fig, base, dpi)


EXTRA = register(
    Extra(
        name="optimize",
        description="the named searches of the largest steady concurrence (one record each)",
        axes=("level", "bound", "step"),
        check=check_config,
        figures={"optimize": Figure(optimize_figure, ("optimize",), many=True)},
        slab_only=True,
    )
)
