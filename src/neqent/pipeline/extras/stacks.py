"""Pipeline extra ``stacks``: steady C(z2, T_M) maps for planar stacks (docs/theory.md §9).

Compares bodies (by default the paper's freestanding SiC film, SiC on an SiO2
substrate, an hBN film and an hBN/SiC bilayer) at one frequency shared by all of
them, each with the map's maximum and where it lies. Optionally one layer's
thickness of one body is swept (C over (thickness, T_M) at z2 = geometry.z2).

Its command line is :mod:`neqent.pipeline.stacks`; its subset of the config is
:func:`stack_params`.
"""

from __future__ import annotations

import sys

import numpy as np
import xarray as xr

from neqent.errors import ConfigError
from neqent.pipeline.body import stack_body
from neqent.pipeline.extras.registry import Extra, Figure, register
from neqent.pipeline.grid import checked_range

__all__ = ["stack_params", "body_stack", "check_stacks", "check_config", "stack_maps", "stacks_figure", "EXTRA"]


def stack_params(config) -> dict:
    """The config subset of the stacks extra (what its rule passes as params).

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).

    Returns
    -------
    dict
        ``stacks`` section, ``z1``, ``r12``, ``z2`` [m], ``theta`` [rad], ``T_W`` [K].
    """
    g = config["geometry"]
    return {
        "stacks": config["stacks"],
        "z1": g["z1"],
        "r12": g["r12"],
        "z2": g["z2"],
        "theta": g["theta"],
        "T_W": config["T_W"],
    }


def body_stack(body):
    """The stack of a config body.

    Parameters
    ----------
    body : dict
        ``{stack: [{material, thickness [m]}, ...], substrate}``.

    Returns
    -------
    Stack
        :class:`~neqent.electrodynamics.planar.Stack`.
    """
    return stack_body(body)


def check_stacks(section, z1, r12, z2):
    """Check that every body of the stacks section can be computed.

    Parameters
    ----------
    section : dict
        The ``stacks`` section (``omega`` [rad/s], ``z2`` [m] grid, ``bodies``,
        optional ``thickness`` sweep).
    z1, r12, z2 : float
        Height of qubit 1, lateral separation and height of qubit 2 [m].

    Returns
    -------
    dict of str to Stack
        The stacks by body name.

    Raises
    ------
    ValueError
        Naming ``stacks.<key>`` (unknown material, thickness, omega outside a
        material's range, electrical size).
    """
    from neqent.pipeline.grid import resolve_range
    from neqent.validation import electrical_size

    omega = float(section["omega"])
    z2s = resolve_range(section["z2"])
    stacks = {}
    for name, body in section["bodies"].items():
        key = f"stacks.bodies.{name}"
        try:
            stack = body_stack(body)
            et, ez, th, _, _ = stack.optics(omega)
        except ValueError as exc:
            raise ValueError(f"config key '{key}': {exc}") from None
        try:
            electrical_size(omega, z1, max(float(z2s.max()), z2), r12)
            for e_t, e_z, d in zip(et, ez, th):
                electrical_size(omega, 0.0, 0.0, 0.0, d, e_t if abs(e_t) >= abs(e_z) else e_z)
        except ValueError as exc:
            raise ValueError(f"config key '{key}': {exc}") from None
        stacks[name] = stack
    sweep = section.get("thickness")
    if sweep is not None:
        if sweep["body"] not in stacks:
            raise ValueError(f"config key 'stacks.thickness.body': {sweep['body']!r} is not one of {sorted(stacks)}")
        nl = len(stacks[sweep["body"]].layers)
        if sweep["layer"] >= nl:
            raise ValueError(
                f"config key 'stacks.thickness.layer': body {sweep['body']!r} has {nl} layer(s), got {sweep['layer']}"
            )
        for d in resolve_range(sweep["values"]):
            stacks[sweep["body"]].with_thickness(sweep["layer"], float(d))
    return stacks


def check_config(config, body):
    """The ``stacks`` section, when the extra is listed: ranges, bodies and the quadrature's size limits.

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).
    body : neqent.electrodynamics.body.Body
        The config's body (the extra compares bodies of its own; unused).

    Raises
    ------
    ConfigError
        Naming ``stacks.<key>`` (:func:`check_stacks`).
    """
    if "stacks" not in config["extras"]:
        return
    section = config["stacks"]
    for key in ("z2", "T_M"):
        checked_range(f"stacks.{key}", section[key])
    if "thickness" in section:
        checked_range("stacks.thickness.values", section["thickness"]["values"])
    g = config["geometry"]
    try:
        check_stacks(section, float(g["z1"]), float(g["r12"]), float(g["z2"]))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _steady_concurrence(omega, stack, z1, z2, r12, theta, T_W, T_M):
    """C over (len(z2) or len(stack list), len(T_M)) for one body (or one stack per point)."""
    from neqent.dynamics.entanglement import concurrence
    from neqent.dynamics.master import solve_steady_state
    from neqent.dynamics.rates import contract_kernels, occupation, rates, stack_kernel_tensors_batch

    stacks = stack if isinstance(stack, list) else [stack]
    optics = [s.optics(omega) for s in stacks]
    et = np.array([o[0] for o in optics])
    ez = np.array([o[1] for o in optics])
    th = np.array([o[2] for o in optics])
    st = np.array([o[3] for o in optics])
    sz = np.array([o[4] for o in optics])
    n = max(len(stacks), np.size(z2))
    if len(stacks) == 1:
        et, ez, th, st, sz = (np.repeat(a, n, axis=0) for a in (et, ez, th, st, sz))
    W, M, G12 = stack_kernel_tensors_batch(omega, et, ez, th, st, sz, z1, np.broadcast_to(z2, (n,)), r12, 0.0)
    d = np.array([np.sin(theta), 0.0, np.cos(theta)], complex)
    aW, aM, lam = contract_kernels(W, M, G12, d, d)
    n_W = occupation(omega, T_W)
    n_M = occupation(omega, np.asarray(T_M, float))
    gp, gm = rates(aW[:, None], aM[:, None], n_W, n_M[None, :])
    rho = solve_steady_state(gp, gm, np.broadcast_to(lam[:, None], gp.shape[:2])).rho
    return concurrence(rho), aW, aM


def _attrs(units, long_name):
    return {"units": units, "long_name": long_name}


def stack_maps(params, progress=True) -> xr.Dataset:
    """Steady concurrence maps C(body, z2, T_M) and, optionally, C(thickness, T_M).

    Parameters
    ----------
    params : dict
        :func:`stack_params` of a validated config.
    progress : bool
        Show a progress bar.

    Returns
    -------
    xarray.Dataset
        ``C`` (body, z2, T_M) [1], ``C_max`` [1], ``z2_at_max`` [m],
        ``T_M_at_max`` [K] per body, ``alpha_M`` (body, z2, q, qp) [Gamma0];
        with a thickness sweep also ``C_thickness`` (thickness, T_M) [1].
        Coordinates: lengths [m], temperatures [K].
    """
    from neqent.pipeline.grid import resolve_range

    section = params["stacks"]
    z1, r12, theta, T_W = (float(params[k]) for k in ("z1", "r12", "theta", "T_W"))
    stacks = check_stacks(section, z1, r12, float(params["z2"]))
    omega = float(section["omega"])
    z2 = resolve_range(section["z2"])
    T_M = resolve_range(section["T_M"])
    names = list(stacks)
    C = np.empty((len(names), z2.size, T_M.size))
    alpha_M = np.empty((len(names), z2.size, 2, 2), complex)
    iterator = names
    if progress:
        from tqdm import tqdm

        iterator = tqdm(names, desc="stacks", unit="body", file=sys.stderr, mininterval=1.0)
    for i, name in enumerate(iterator):
        C[i], _, alpha_M[i] = _steady_concurrence(omega, stacks[name], z1, z2, r12, theta, T_W, T_M)
    flat = np.nan_to_num(C, nan=-1.0).reshape(len(names), -1)
    best = np.argmax(flat, axis=1)
    iz, it = np.unravel_index(best, (z2.size, T_M.size))
    data = {
        "C": (("body", "z2", "T_M"), C, _attrs("1", "steady-state concurrence")),
        "C_max": (("body",), C.reshape(len(names), -1).max(axis=1), _attrs("1", "maximum of C over the map")),
        "z2_at_max": (("body",), z2[iz], _attrs("m", "z2 of the maximum")),
        "T_M_at_max": (("body",), T_M[it], _attrs("K", "T_M of the maximum")),
        "alpha_M": (("body", "z2", "q", "qp"), alpha_M, _attrs("1", "body kernel alpha_M^{qq'} (units of Gamma0)")),
    }
    coords = {
        "body": ("body", names, _attrs("1", "body name (config stacks.bodies)")),
        "description": ("body", [stacks[n].name for n in names], _attrs("1", "layers top first, then substrate")),
        "z2": ("z2", z2, _attrs("m", "height of qubit 2 above the stack top")),
        "T_M": ("T_M", T_M, _attrs("K", "body temperature")),
        "omega": ((), omega, _attrs("rad s-1", "transition angular frequency")),
        "z1": ((), z1, _attrs("m", "height of qubit 1")),
        "r12": ((), r12, _attrs("m", "lateral separation")),
        "T_W": ((), T_W, _attrs("K", "wall temperature")),
        "q": ("q", [1, 2], _attrs("1", "qubit index q")),
        "qp": ("qp", [1, 2], _attrs("1", "qubit index q'")),
    }
    sweep = section.get("thickness")
    if sweep is not None:
        d = resolve_range(sweep["values"])
        base = stacks[sweep["body"]]
        swept = [base.with_thickness(sweep["layer"], float(x)) for x in d]
        Ct, _, _ = _steady_concurrence(omega, swept, z1, float(params["z2"]), r12, theta, T_W, T_M)
        data["C_thickness"] = (
            ("thickness", "T_M"),
            Ct,
            _attrs("1", f"steady C of body {sweep['body']} vs the thickness of its layer {sweep['layer']}"),
        )
        coords["thickness"] = ("thickness", d, _attrs("m", f"thickness of layer {sweep['layer']} (0 = top)"))
    return xr.Dataset(data, coords=coords, attrs={"title": "neqent stacks extra", "stage": "stacks"})


def _plain_ticks():
    from matplotlib.ticker import FormatStrFormatter

    return FormatStrFormatter("%g")


def _no_ticks():
    from matplotlib.ticker import NullFormatter

    return NullFormatter()


def stacks_figure(ds, base, dpi=150):
    """One C(z2, T_M) panel per body with its maximum marked (+ the thickness sweep if present).

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`stack_maps` (``C`` [1] over ``z2`` [m], ``T_M`` [K]).
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from neqent.pipeline.figstyle import UM, pyplot, save

    plt = pyplot()
    names = list(ds["body"].values)
    extra = "C_thickness" in ds
    ncol = len(names) + int(extra)
    fig, axes = plt.subplots(1, ncol, figsize=(3.4 * ncol, 3.4), layout="constrained", squeeze=False)
    vmax = max(float(np.nanmax(ds["C"].values)), 1e-12)
    z2 = ds["z2"].values / UM
    T = ds["T_M"].values
    for ax, name in zip(axes[0], names):
        C = ds["C"].sel(body=name).transpose("T_M", "z2").values
        mesh = ax.pcolormesh(z2, T, C, shading="nearest", vmin=0.0, vmax=vmax, cmap="viridis")
        cm, zm, tm = (float(ds[k].sel(body=name)) for k in ("C_max", "z2_at_max", "T_M_at_max"))
        if cm > 0:
            ax.plot([zm / UM], [tm], marker="*", color="w", markeredgecolor="k", markersize=12)
            ax.set_title(f"{name}\nmax C = {cm:.3g} at z2 = {zm / UM:.3g} um, T_M = {tm:.0f} K", fontsize=8)
        else:  # an all-zero map has no maximum worth marking
            ax.set_title(f"{name}\nno entanglement on this grid", fontsize=8)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(_plain_ticks())
        ax.xaxis.set_minor_formatter(_no_ticks())
        ax.set_xlabel("z2 (um)")
        ax.set_ylabel("T_M (K)")
    fig.colorbar(mesh, ax=axes[0, : len(names)], label="steady concurrence C")
    if extra:
        ax = axes[0, -1]
        d = ds["thickness"].values / 1e-9
        ax.pcolormesh(d, T, ds["C_thickness"].transpose("T_M", "thickness").values, shading="nearest", cmap="viridis")
        ax.set_xscale("log")
        ax.set_xlabel(f"{ds['thickness'].attrs['long_name']} (nm)")
        ax.set_ylabel("T_M (K)")
        ax.set_title(ds["C_thickness"].attrs["long_name"], fontsize=8)
    fig.suptitle(f"omega = {float(ds['omega']):.4g} rad/s, z1 = {float(ds['z1']) / UM:.3g} um", fontsize=9)
    return save(fig, base, dpi=dpi)


EXTRA = register(
    Extra(
        name="stacks",
        description="steady C(z2, T_M) maps of planar stacks and an optional layer-thickness sweep",
        axes=("body", "z2", "T_M", "q", "qp", "thickness"),
        subset=stack_params,
        check=check_config,
        compute=stack_maps,
        figures={"stacks": Figure(stacks_figure, ("stacks",))},
        rules="generic",
    )
)
