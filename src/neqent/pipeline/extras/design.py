"""Pipeline extra ``design``: which body entangles most under the paper's constraints (issue 20)?

One search per family of planar stacks (1-3 layers from the config's
materials, thicknesses, qubit heights, T_M and optionally the frequency free;
T_W and r12 fixed) by :func:`neqent.dynamics.design_study.design_study`; each
family's best C is compared with the paper's SiC film searched the same way,
and C is mapped over the best design's two most sensitive parameters.
Candidates whose material is invalid at their frequency are infeasible:
counted, never fatal.

Under an MPI launcher (``mpiexec -n N python -m neqent.pipeline.extra design
...``, what the generic rule runs with ``mpi.tasks`` ranks) the candidate
batches spread over the ranks through :mod:`neqent.dynamics.mpi_map`: rank 0
runs the searches and writes, the others evaluate; the record is the same for
any rank count.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from neqent.errors import ConfigError
from neqent.pipeline.extras.registry import Extra, Figure, register

__all__ = ["design_params", "check_config", "searched_names", "design_data", "design_dataset", "design_figure", "EXTRA"]

#: Evaluations per batch sent to one rank (fixed, so the result is independent of the rank count).
CHUNK = 4


def design_params(config) -> dict:
    """The config subset of the design extra (what its rule passes as params).

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).

    Returns
    -------
    dict
        The ``design`` section (keys of
        :data:`neqent.dynamics.design_study.DEFAULT_STUDY`) with ``T_W`` [K].
    """
    return {**config["design"], "T_W": float(config["T_W"])}


def searched_names(section) -> int:
    """Searched parameters of the section's largest family.

    Parameters
    ----------
    section : dict
        The ``design`` section.

    Returns
    -------
    int
        z1, z2, T_M, a thickness and a material per layer, and omega when free [1].
    """
    return 3 + 2 * max(section["layers"]) + int("free" in section["omega"])


def check_config(config, body):
    """The ``design`` section, when the extra is listed: materials and the search budget.

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).
    body : neqent.electrodynamics.body.Body
        The config's body (the extra searches bodies of its own; unused).

    Raises
    ------
    ConfigError
        Naming ``design.materials`` (a material the library does not know),
        ``design.budget`` (below the differential-evolution population),
        ``design.thickness``/``design.heights``/``design.omega_range``
        (empty range) or ``design.T_M_max`` (not above T_W).
    """
    if "design" not in config["extras"]:
        return
    from neqent.dynamics.search import POPSIZE, population_size
    from neqent.electrodynamics.materials import get_layer_material

    section = config["design"]
    for name in section["materials"]:
        try:
            get_layer_material(name)
        except ValueError as exc:
            raise ConfigError(f"config key 'design.materials': {exc}") from None
    for key in ("thickness", "heights", "omega_range"):
        lo, hi = section[key]
        if not lo < hi:
            raise ConfigError(f"config key 'design.{key}': need low < high, got {section[key]}")
    if not section["T_M_max"] > config["T_W"]:
        raise ConfigError(f"config key 'design.T_M_max': must exceed T_W = {config['T_W']} K, got {section['T_M_max']}")
    if section["method"] in ("de", "auto"):  # auto picks DE for cheap planar stacks
        need = population_size(searched_names(section))
        if section["budget"] < need:
            raise ConfigError(
                f"config key 'design.budget': method {section['method']!r} needs >= {need} evaluations "
                f"({POPSIZE} x {searched_names(section)} searched names), got {section['budget']}"
            )


def _unit(name):
    if name in ("z1", "z2") or name.endswith(".thickness"):
        return "m"
    return {"TM": "K", "omega": "rad s-1"}[name]


def _plotted(coord):
    """(SI value of one plotted unit, unit label) of a map axis: lengths in um, the rest in SI."""
    from neqent.pipeline.figstyle import UM

    return (UM, "um") if coord.attrs["units"] == "m" else (1.0, coord.attrs["units"])


def _attrs(units, long_name):
    return {"units": units, "long_name": long_name}


def design_dataset(study):
    """The record of a :func:`~neqent.dynamics.design_study.design_study` result.

    Parameters
    ----------
    study : dict
        The result.

    Returns
    -------
    xarray.Dataset
        Per ``family``: ``C``, ``C_film``, ``vs_film``, ``n_layers``,
        ``evaluations``, ``infeasible`` [1] and the coordinate ``body`` (the
        best body's label); ``C_map`` (y, x) [1] over the best design's two most
        sensitive parameters ``x``, ``y`` (SI; ``name`` and ``spacing`` attributes).
        Attributes ``best`` (family index), ``points`` (JSON of each family's
        best point, SI) and ``caption``.
    """
    import xarray as xr

    fam = study["families"]
    m = study["map"]

    def axis(key):
        name = m[key]
        return (
            key,
            np.asarray(m[f"{key}_values"], float),
            {
                **_attrs(_unit(name), f"{name} of the best design"),
                "name": name,
                "spacing": "log" if m[f"{key}_log"] else "linear",
            },
        )

    per = {
        "C": ([f["C"] for f in fam], "best steady concurrence of the family"),
        "C_film": ([study["reference"][f["omega"]]["C"] for f in fam], "best C of the paper's SiC film, same search"),
        "vs_film": ([f["vs_film"] for f in fam], "best C over the SiC film's best C"),
        "n_layers": ([f["layers"] for f in fam], "number of layers"),
        "evaluations": ([f["evaluations"] for f in fam], "evaluations of the search"),
        "infeasible": ([f["infeasible"] for f in fam], "candidates with a material invalid at their frequency"),
    }
    data = {k: ("family", np.asarray(v), _attrs("1", ln)) for k, (v, ln) in per.items()}
    data["C_map"] = (("y", "x"), np.asarray(m["C"], float), _attrs("1", "steady concurrence of the best design"))
    coords = {
        "family": ("family", [f["family"] for f in fam], _attrs("1", "family: layers and frequency mode")),
        "body": ("family", [f["body"] for f in fam], _attrs("1", "best body: layers top first")),
        "x": axis("x"),
        "y": axis("y"),
        "T_W": ((), float(study["spec"]["T_W"]), _attrs("K", "wall temperature")),
    }
    attrs = {
        "title": "neqent design extra: the best body per family",
        "stage": "design",
        "best": int(study["best"]),
        "points": json.dumps([f["point"] for f in fam]),
        "caption": study["caption"],
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _progress_bar(spec, show):
    """A progress callable (new evaluations) over every search and the map, or None."""
    if not show:
        return None, None
    from tqdm import tqdm

    searches = len(spec["omega"]) * (1 + len(spec["layers"]))
    bar = tqdm(total=searches * int(spec["budget"]), desc="design", unit="eval", file=sys.stderr, mininterval=1.0)
    return bar.update, bar


def design_data(params, progress=True):
    """Run the study of the ``design`` section (serial, or over MPI ranks when launched so).

    Parameters
    ----------
    params : dict
        :func:`design_params` of a validated config.
    progress : bool
        Show a progress bar.

    Returns
    -------
    xarray.Dataset or None
        :func:`design_dataset` on rank 0 (or serially); None on the other MPI
        ranks, which only evaluate rank 0's batches.
    """
    import functools

    from neqent.dynamics.design_study import design_study
    from neqent.dynamics.mpi_map import MPIMap, release, serve, world

    comm = world()
    if comm is not None and comm.Get_rank() != 0:
        serve(comm)
        return None
    # one serving loop for every search of the study: rank 0 releases the ranks at the end
    mapper = None if comm is None else functools.partial(MPIMap, comm=comm, chunk=CHUNK, keep=True)
    update, bar = _progress_bar(params, progress)
    try:
        study = design_study(params, mapper=mapper, progress=update)
    finally:
        if comm is not None:
            release(comm)
        if bar is not None:
            bar.close()
    return design_dataset(study)


def design_figure(ds, base, dpi=150):
    """Left: best C per family against the SiC film; right: C over the best design's two most sensitive parameters.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`design_data`.
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    from neqent.pipeline.figstyle import edges, pyplot, save

    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    k = np.arange(ds.sizes["family"])
    a.barh(k, ds["C"].values, color="C0", label="best body")
    a.scatter(ds["C_film"].values, k, color="k", marker="|", s=200, label="SiC film, same search", zorder=3)
    a.set_yticks(k, [f"{f}\n{body}" for f, body in zip(ds["family"].values, ds["body"].values)], fontsize=7)
    a.set_xlabel(r"best steady concurrence $C$")
    a.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=2)
    x, y = ds["x"], ds["y"]
    logx, logy = x.attrs["spacing"] == "log", y.attrs["spacing"] == "log"
    (sx, ux), (sy, uy) = _plotted(x), _plotted(y)
    mesh = b.pcolormesh(edges(x.values / sx, logx), edges(y.values / sy, logy), ds["C_map"].values, cmap="viridis")
    fig.colorbar(mesh, ax=b, label=r"steady concurrence $C$")
    b.set_xlabel(f"{x.attrs['name']} ({ux})")
    b.set_ylabel(f"{y.attrs['name']} ({uy})")
    for log, set_scale, axis in ((logx, b.set_xscale, b.xaxis), (logy, b.set_yscale, b.yaxis)):
        set_scale("log" if log else "linear")
        if log:  # plain numbers, no crowded minor labels
            axis.set_major_formatter(FormatStrFormatter("%g"))
            axis.set_minor_formatter(NullFormatter())
    b.set_title(f"best: {ds['body'].values[ds.attrs['best']]}", fontsize=8)
    return save(fig, base, dpi=dpi)


EXTRA = register(
    Extra(
        name="design",
        description="inverse design: the best planar stack per family (layers, materials, thicknesses) vs the SiC film",
        axes=("family", "x", "y"),
        subset=design_params,
        check=check_config,
        compute=design_data,
        figures={"design": Figure(design_figure, ("design",))},
        rules="generic",
        mpi=True,
    )
)
