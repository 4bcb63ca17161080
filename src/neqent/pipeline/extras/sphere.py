"""Pipeline extra ``sphere``: steady C of two qubits near a hot sphere against its radius and T_M (docs/theory.md §13).

Two arrangements of the same pair of qubits, both dipoles in the x-z plane at
``geometry.theta``:

* *above*: the paper's qubits (``geometry.z1``, ``z2``, ``r12``) above the top
  of the sphere (top at z = 0, centre (0, 0, -R)), C over (radius, T_M);
* *opposite*: one qubit on each side of the sphere, at (-(R + gap), 0, -R)
  and (R + gap, 0, -R), C over (radius, T_M).

The references are planar bodies of the same material seen by the *above*
pair: the half-space, which is the limit R -> infinity (reached only once R
exceeds both the qubits' distance and the material's absorption length at
omega, docs/theory.md §13), and the paper's film of thickness ``sphere.film``.
The kernels of a radius are computed once and reused for every T_M.

Its subset of the config is :func:`sphere_params`; ``python -m
neqent.pipeline.extra sphere`` computes it (:func:`sphere_scan`).
"""

from __future__ import annotations

import sys

import numpy as np
import xarray as xr

from neqent.errors import ConfigError
from neqent.pipeline.extras.registry import Extra, Figure, register
from neqent.pipeline.grid import attrs, checked_range

__all__ = [
    "sphere_params",
    "sphere_omega",
    "check_sphere",
    "check_config",
    "pair_kernels",
    "block_kernels",
    "steady_concurrence",
    "max_over_temperature",
    "opposite_positions",
    "sphere_scan",
    "sphere_figure",
    "EXTRA",
]


def sphere_params(config) -> dict:
    """The config subset of the sphere extra (what its rule passes as params).

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).

    Returns
    -------
    dict
        ``sphere`` section, ``z1``, ``z2``, ``r12`` [m], ``theta`` [rad], ``T_W`` [K].
    """
    g = config["geometry"]
    return {
        "sphere": config["sphere"],
        "z1": g["z1"],
        "z2": g["z2"],
        "r12": g["r12"],
        "theta": g["theta"],
        "T_W": config["T_W"],
    }


def sphere_omega(section):
    """The section's material and angular frequency.

    Parameters
    ----------
    section : dict
        The ``sphere`` section (``material``; ``omega`` [rad/s] or ``omega_ratio`` [1]).

    Returns
    -------
    material : neqent.electrodynamics.materials.Material
        The sphere's (and the references') material.
    omega : float
        Angular frequency [rad/s] (``omega_ratio`` times the material's resonance unless ``omega`` is given).

    Raises
    ------
    ValueError
        Naming ``sphere.material`` or ``sphere.omega_ratio``.
    """
    from neqent.electrodynamics.materials import get_layer_material

    try:
        material = get_layer_material(section["material"])
    except ValueError as exc:
        raise ValueError(f"config key 'sphere.material': {exc}") from None
    if "omega" in section:
        return material, float(section["omega"])
    if material.resonance is None:
        raise ValueError(
            f"config key 'sphere.omega_ratio': material {material.name!r} has no resonance; give sphere.omega (rad/s)"
        )
    return material, float(section["omega_ratio"]) * material.resonance


def opposite_positions(radius, gap):
    """Qubits on opposite sides of the sphere, on the line through its centre parallel to x.

    Parameters
    ----------
    radius : float or ndarray, shape (N,)
        Sphere radius R [m].
    gap : float
        Distance of each qubit from the sphere's surface [m].

    Returns
    -------
    r1, r2 : ndarray, shape (N, 3)
        (-(R + gap), 0, -R) and (R + gap, 0, -R) [m].
    """
    R = np.atleast_1d(np.asarray(radius, float))
    zero = np.zeros_like(R)
    return np.stack([-(R + gap), zero, -R], axis=-1), np.stack([R + gap, zero, -R], axis=-1)


def _above_positions(z1, z2, r12):
    """The paper's qubits: (0, 0, z1) and (r12, 0, z2) [m], as (1, 3) arrays."""
    return np.array([[0.0, 0.0, z1]]), np.array([[r12, 0.0, z2]])


def check_sphere(section, z1, z2, r12):
    """Check that every point of the sphere section can be computed.

    Parameters
    ----------
    section : dict
        The ``sphere`` section (``radius`` [m] grid, ``T_M`` [K] grid, ``gap``, ``film`` [m], material, frequency).
    z1, z2, r12 : float
        Heights of the qubits above the top of the sphere and their lateral separation [m].

    Returns
    -------
    material, omega, radii
        The material, the angular frequency [rad/s] and the radii [m].

    Raises
    ------
    ValueError
        Naming ``sphere.<key>``: a radius <= 0, the material or frequency,
        coinciding qubits, or a radius whose multipole sums need more than
        the cap (too close to too large a sphere).
    """
    from neqent.electrodynamics.sphere import Sphere

    material, omega = sphere_omega(section)
    radii = checked_range("sphere.radius", section["radius"])
    checked_range("sphere.T_M", section["T_M"])
    if not np.all(radii > 0):
        raise ValueError(f"config key 'sphere.radius': radii must be > 0 m, got {radii.min():g}")
    if r12 == 0 and z1 == z2:
        raise ValueError(f"config key 'geometry.r12': the qubits coincide (r12 = 0 and z1 = z2 = {z1:g} m)")
    try:
        Sphere(material, radii.max())
    except ValueError as exc:
        raise ValueError(f"config key 'sphere.material': {exc}") from None
    try:
        material.eps(omega)
    except ValueError as exc:
        raise ValueError(f"config key 'sphere.{'omega' if 'omega' in section else 'omega_ratio'}': {exc}") from None
    biggest = Sphere(material, radii.max())  # l_max grows with R / distance: the largest radius is the worst
    for key, (r1, r2) in {
        "sphere.radius": _above_positions(z1, z2, r12),
        "sphere.gap": opposite_positions(radii.max(), float(section["gap"])),
    }.items():
        try:
            biggest.l_max(omega, biggest.check_positions(r1), biggest.check_positions(r2))
        except ValueError as exc:
            raise ValueError(f"config key '{key}': {exc}") from None
    return material, omega, radii


def check_config(config, body):
    """The ``sphere`` section, when the extra is listed.

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).
    body : neqent.electrodynamics.body.Body
        The config's body (the extra builds spheres of its own; unused).

    Raises
    ------
    ConfigError
        Naming ``sphere.<key>`` (:func:`check_sphere`).
    """
    if "sphere" not in config["extras"]:
        return
    g = config["geometry"]
    try:
        check_sphere(config["sphere"], float(g["z1"]), float(g["z2"]), float(g["r12"]))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def pair_kernels(body, omega, r1, r2, theta):
    """Dipole-contracted kernels of qubit pairs near a body.

    Parameters
    ----------
    body : neqent.electrodynamics.body.Body
        Any body (sphere, slab, stack).
    omega : float
        Angular frequency [rad/s].
    r1, r2 : ndarray, shape (N, 3)
        Absolute positions of qubits 1 and 2 [m].
    theta : float
        Polar angle of both dipoles in the x-z plane [rad].

    Returns
    -------
    alpha_W, alpha_M : ndarray, shape (N, 2, 2), complex
        Wall and body kernels [Gamma0].
    lambda12 : ndarray, shape (N,)
        Coherent coupling [Gamma0] (G0 + GR between the qubits, docs/theory.md §4c).
    """
    return block_kernels(*body.pair_block(omega, r1, r2), omega, r1, r2, theta)


def block_kernels(W, M, GR, omega, r1, r2, theta):
    """Dipole-contracted kernels of a body's blocks (:func:`pair_kernels` once the blocks are known).

    Parameters
    ----------
    W, M, GR : ndarray, shape (N, 2, 2, 3, 3)
        The body's pair blocks (:meth:`~neqent.electrodynamics.body.Body.pair_block`) [Gamma0], [1].
    omega : float
        Angular frequency [rad/s].
    r1, r2 : ndarray, shape (N, 3)
        Absolute positions of qubits 1 and 2 [m].
    theta : float
        Polar angle of both dipoles in the x-z plane [rad].

    Returns
    -------
    alpha_W, alpha_M : ndarray, shape (N, 2, 2), complex
        Wall and body kernels [Gamma0].
    lambda12 : ndarray, shape (N,)
        Coherent coupling [Gamma0].
    """
    from neqent.dynamics.rates import contract_kernels
    from neqent.electrodynamics.green import vacuum_green_batch

    G12 = vacuum_green_batch(omega, np.atleast_2d(r1) - np.atleast_2d(r2)) + GR[:, 0, 1]
    d = np.array([np.sin(theta), 0.0, np.cos(theta)], complex)
    return contract_kernels(W, M, G12, d, d)


def steady_concurrence(alpha_W, alpha_M, lambda12, omega, T_W, T_M):
    """Steady concurrence of every kernel set at every body temperature (docs/theory.md §5, §7).

    Parameters
    ----------
    alpha_W, alpha_M : ndarray, shape (N, 2, 2)
        Kernels [Gamma0].
    lambda12 : ndarray, shape (N,)
        Coherent coupling [Gamma0].
    omega : float
        Angular frequency [rad/s].
    T_W : float
        Wall temperature [K].
    T_M : ndarray, shape (K,)
        Body temperatures [K].

    Returns
    -------
    ndarray, shape (N, K)
        C [1].
    """
    from neqent.dynamics.entanglement import concurrence
    from neqent.dynamics.master import solve_steady_state
    from neqent.dynamics.rates import occupation, rates

    n_M = occupation(omega, np.asarray(T_M, float))
    gp, gm = rates(alpha_W[:, None], alpha_M[:, None], occupation(omega, T_W), n_M[None, :])
    rho = solve_steady_state(gp, gm, np.broadcast_to(lambda12[:, None], gp.shape[:2])).rho
    return concurrence(rho)


def max_over_temperature(C, T_M):
    """Maximum of C over its last axis (T_M) and the T_M where it lies (NaN counts as no entanglement).

    Parameters
    ----------
    C : ndarray, shape (..., K)
        Steady concurrence [1].
    T_M : ndarray, shape (K,)
        Body temperatures [K].

    Returns
    -------
    C_max : ndarray, shape (...)
        The maximum [1].
    T_M_at_max : ndarray, shape (...)
        Where it lies [K].
    """
    k = np.argmax(np.nan_to_num(C, nan=-1.0), axis=-1)
    return np.take_along_axis(C, k[..., None], axis=-1)[..., 0], np.asarray(T_M)[k]


def sphere_scan(params, progress=True) -> xr.Dataset:
    """Steady C over (radius, T_M) for qubits above and on opposite sides of a sphere, with planar references.

    Parameters
    ----------
    params : dict
        :func:`sphere_params` of a validated config.
    progress : bool
        Show a progress bar over the radii.

    Returns
    -------
    xarray.Dataset
        ``C``, ``C_opposite`` (radius, T_M) [1]; their maxima over T_M
        ``C_max``, ``C_opposite_max`` [1] and where they lie ``T_M_at_max``,
        ``T_M_opposite_at_max`` [K] (radius); ``alpha_M``, ``alpha_M_opposite``
        (radius, q, qp) [Gamma0]; ``l_max`` (radius) [1]; the references
        ``C_half_space``, ``C_film`` (T_M) [1] and ``alpha_M_half_space``,
        ``alpha_M_film`` (q, qp) [Gamma0]. Coordinates: radius [m], T_M [K].
    """
    from neqent.electrodynamics.planar import Slab
    from neqent.electrodynamics.sphere import Sphere
    from neqent.pipeline.grid import resolve_range

    section = params["sphere"]
    z1, z2, r12, theta, T_W = (float(params[k]) for k in ("z1", "z2", "r12", "theta", "T_W"))
    material, omega, radii = check_sphere(section, z1, z2, r12)
    T_M = resolve_range(section["T_M"])
    gap, film = float(section["gap"]), float(section["film"])
    above = _above_positions(z1, z2, r12)
    kernels = {"above": [], "opposite": []}
    l_max = np.empty(radii.size, np.int64)
    iterator = range(radii.size)
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc="sphere", unit="radius", file=sys.stderr, mininterval=1.0)
    for i in iterator:
        body = Sphere(material, radii[i])  # one coefficient table per radius, shared by both arrangements
        kernels["above"].append(pair_kernels(body, omega, *above, theta))
        l_max[i] = body.last_l_max[0]
        kernels["opposite"].append(pair_kernels(body, omega, *opposite_positions(radii[i], gap), theta))
    stacked = {k: [np.concatenate(parts) for parts in zip(*v)] for k, v in kernels.items()}
    C = {k: steady_concurrence(*v, omega, T_W, T_M) for k, v in stacked.items()}
    planar = {"half_space": Slab(material, np.inf), "film": Slab(material, film)}
    refs = {name: pair_kernels(slab, omega, *above, theta) for name, slab in planar.items()}
    C_ref = {name: steady_concurrence(*v, omega, T_W, T_M)[0] for name, v in refs.items()}
    c_max, t_max = max_over_temperature(C["above"], T_M)
    o_max, o_t = max_over_temperature(C["opposite"], T_M)
    pair = ("radius", "q", "qp")
    data = {
        "C": (("radius", "T_M"), C["above"], attrs("1", "steady concurrence, qubits above the sphere")),
        "C_opposite": (
            ("radius", "T_M"),
            C["opposite"],
            attrs("1", "steady concurrence, qubits on opposite sides of the sphere"),
        ),
        "C_max": (("radius",), c_max, attrs("1", "maximum over T_M of C (qubits above)")),
        "T_M_at_max": (("radius",), t_max, attrs("K", "T_M of the maximum of C (qubits above)")),
        "C_opposite_max": (("radius",), o_max, attrs("1", "maximum over T_M of C (opposite sides)")),
        "T_M_opposite_at_max": (("radius",), o_t, attrs("K", "T_M of the maximum of C (opposite sides)")),
        "alpha_M": (pair, stacked["above"][1], attrs("1", "body kernel alpha_M^{qq'}, qubits above (Gamma0)")),
        "alpha_M_opposite": (
            pair,
            stacked["opposite"][1],
            attrs("1", "body kernel alpha_M^{qq'}, opposite sides (Gamma0)"),
        ),
        "l_max": (("radius",), l_max, attrs("1", "highest multipole order of the sums (qubits above)")),
        "C_half_space": (("T_M",), C_ref["half_space"], attrs("1", "steady concurrence above the half-space")),
        "C_film": (("T_M",), C_ref["film"], attrs("1", "steady concurrence above the film of thickness film")),
        "alpha_M_half_space": (("q", "qp"), refs["half_space"][1][0], attrs("1", "alpha_M^{qq'}, half-space")),
        "alpha_M_film": (("q", "qp"), refs["film"][1][0], attrs("1", "alpha_M^{qq'}, film")),
    }
    coords = {
        "radius": ("radius", radii, attrs("m", "sphere radius")),
        "T_M": ("T_M", T_M, attrs("K", "body temperature")),
        "q": ("q", [1, 2], attrs("1", "qubit index q")),
        "qp": ("qp", [1, 2], attrs("1", "qubit index q'")),
        "omega": ((), omega, attrs("rad s-1", "transition angular frequency")),
        "z1": ((), z1, attrs("m", "height of qubit 1 above the top of the sphere")),
        "z2": ((), z2, attrs("m", "height of qubit 2 above the top of the sphere")),
        "r12": ((), r12, attrs("m", "lateral separation of the qubits above (along x)")),
        "gap": ((), gap, attrs("m", "distance of each opposite-side qubit from the surface")),
        "film": ((), film, attrs("m", "thickness of the reference film")),
        "theta": ((), theta, attrs("rad", "polar angle of both dipoles (x-z plane; 0 = along z)")),
        "T_W": ((), T_W, attrs("K", "wall temperature")),
    }
    return xr.Dataset(
        data,
        coords=coords,
        attrs={"title": "neqent sphere extra", "stage": "sphere", "material": material.name},
    )


def _log_radius_axis(ax, label=True):
    from matplotlib.ticker import FormatStrFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    if label:
        ax.set_xlabel("sphere radius R (um)")


def sphere_figure(ds, base, dpi=150):
    """C(R, T_M) above and on opposite sides of the sphere, and both maxima over T_M against R with the references.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`sphere_scan` (``C``, ``C_opposite`` [1] over ``radius`` [m], ``T_M`` [K]).
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from neqent.pipeline.figstyle import UM, edges, pyplot, save

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(11.0, 3.5), layout="constrained")
    R = ds["radius"].values / UM
    T = ds["T_M"].values
    vmax = max(float(np.nanmax([ds["C"].values, ds["C_opposite"].values])), 1e-12)
    titles = {
        "C": f"above: z1 = {float(ds['z1']) / UM:.3g} um, r12 = {float(ds['r12']) / UM:.3g} um",
        "C_opposite": f"opposite sides, gap {float(ds['gap']) / UM:.3g} um",
    }
    for ax, (name, title) in zip(axes, titles.items()):
        mesh = ax.pcolormesh(
            edges(R, log=True),
            edges(T),
            ds[name].transpose("T_M", "radius").values,
            shading="flat",
            vmin=0.0,
            vmax=vmax,
            cmap="viridis",
        )
        _log_radius_axis(ax)
        ax.set_ylabel("T_M (K)")
        ax.set_title(title, fontsize=8)
    fig.colorbar(mesh, ax=axes[:2], label="steady concurrence C")
    ax = axes[2]
    ax.plot(R, ds["C_max"].values, "-", color="C0", label="above")
    ax.plot(R, ds["C_opposite_max"].values, "--", color="C1", label="opposite sides")
    refs = (("C_half_space", ":", "half-space"), ("C_film", "-.", f"{float(ds['film']) * 1e9:.3g} nm film"))
    for name, style, label in refs:
        ax.axhline(float(ds[name].max()), ls=style, color="0.4", label=f"{label} (max over T_M)")
    _log_radius_axis(ax)
    ax.set_ylabel("max over T_M of C")
    top = max(float(np.nanmax(ds["C_max"].values)), float(ds["C_film"].max()), 1e-3)
    ax.set_ylim(-0.03 * top, 1.08 * top)  # below 0 so that a reference at C = 0 (often the half-space) shows
    ax.legend(fontsize=7)
    fig.suptitle(
        f"{ds.attrs['material']} sphere, omega = {float(ds['omega']):.4g} rad/s, T_W = {float(ds['T_W']):g} K",
        fontsize=9,
    )
    return save(fig, base, dpi=dpi)


EXTRA = register(
    Extra(
        name="sphere",
        description="steady C against a sphere's radius and T_M, qubits above it or on opposite sides",
        axes=("radius", "T_M", "q", "qp"),
        subset=sphere_params,
        check=check_config,
        compute=sphere_scan,
        figures={"sphere": Figure(sphere_figure, ("sphere",))},
        rules="generic",
    )
)
