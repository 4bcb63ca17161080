"""Validation of the API's arguments: the body, the geometry, omega and the time grid of one configuration.

Shared by :mod:`neqent.interface.api` (two qubits), :mod:`neqent.interface.scans`
and :mod:`neqent.interface.many` (N qubits). Every bad argument raises
:class:`~neqent.errors.InputError` naming it. Moved from :mod:`neqent.interface.api`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from neqent.electrodynamics.materials import Material
from neqent.electrodynamics.resolve import resolve_material, resolve_omega
from neqent.interface.units import (
    InputError,
    parse_count,
    parse_dipole,
    parse_length,
    parse_number,
    parse_signed_length,
    parse_temperature,
)

__all__ = [
    "DEFAULTS",
    "INITIAL_STATES",
    "RELAX_FACTOR",
    "Z_HINT",
    "Setup",
    "setup",
    "describe_body",
    "build_body",
    "stack_body",
    "sphere_body",
    "grating_body",
    "qubit_height",
    "check_sphere_size",
    "check_grating_size",
    "body_omega",
    "material_omega",
    "lateral_separation",
    "two_qubit_geometry",
    "check_size",
    "check_stack_size",
    "check_body_size",
    "load_matrix",
    "time_grid",
    "auto_time_grid",
]

#: Default arguments (SI): the paper geometry of docs/theory.md §11, T_M = 600 K.
DEFAULTS = {
    "material": "sic",
    "delta": 10e-9,
    "z1": 1e-6,
    "z2": 1e-6,
    "r12": 0.25e-6,
    "omega": None,
    "omega_ratio": 0.3,
    "TW": 30.0,
    "TM": 600.0,
    "dipole1": (0.0, 0.0, 1.0),
    "dipole2": (0.0, 0.0, 1.0),
}

#: Named initial states of :func:`~neqent.interface.api.evolve` (coupled basis of docs/theory.md §6).
INITIAL_STATES = ("A", "S", "E", "G", "thermal")

Z_HINT = " (the qubit must sit above the slab surface, z > 0)"


# ---------------------------------------------------------------------------
# Validation: turns user arguments into a Geometry + omega, naming the argument
# in every error.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """Validated inputs of one configuration (SI units)."""

    geometry: object  # rates.Geometry
    omega: float  # rad/s
    omega_ratio: float | None  # omega / material resonance, None if no resonance
    TW: float  # K
    TM: float  # K

    def describe(self) -> dict:
        """The inputs as plain Python values (SI), for output and provenance.

        The body's :meth:`~neqent.electrodynamics.body.Body.describe` fills the keys:
        a slab gives ``material`` and ``delta``; a sphere ``material`` (its name),
        ``delta`` None and ``sphere`` (kind, material, radius [m], l_max [1]) after
        the rest; any other body gives ``material`` (its label), ``delta`` (a
        stack's total thickness) and its own keys (``layers``, ``substrate`` for a
        stack) after the rest.
        """
        g = self.geometry
        head, tail = describe_body(g.body)
        dx, dy = g.r12
        out = {
            **head,
            "z1": g.z1,
            "z2": g.z2,
            "r12": dx if dy == 0 and dx >= 0 else [dx, dy],
            "omega": self.omega,
            "omega_ratio": self.omega_ratio,
            "TW": self.TW,
            "TM": self.TM,
            "dipole1": [complex(c) for c in np.asarray(g.dipole1, complex)],
            "dipole2": [complex(c) for c in np.asarray(g.dipole2, complex)],
        }
        out.update(tail)
        return out


def describe_body(body):
    """The body as the API's input keys, from :meth:`~neqent.electrodynamics.body.Body.describe`.

    Parameters
    ----------
    body : neqent.electrodynamics.body.Body
        The configuration's body.

    Returns
    -------
    head : dict
        ``material`` and ``delta`` [m]: a slab's material and thickness; a
        sphere's material and None (no thickness); for any other body its label
        and (a stack) its total thickness.
    tail : dict
        The body's own keys after the rest (``layers``, ``substrate`` for a
        stack; ``sphere``: its describe() plus the largest ``l_max`` of its last
        kernels; ``grating``: its describe() plus the ``orders`` and the
        ``accuracy`` estimate of its last kernels; empty for a slab).
    """
    desc = body.describe()
    if desc["kind"] == "slab":
        return {"material": desc["material"], "delta": desc["thickness"]}, {}
    if desc["kind"] == "sphere":
        used = getattr(body, "last_l_max", None)
        desc["l_max"] = None if used is None else int(np.max(used))
        return {"material": desc["material"], "delta": None}, {"sphere": desc}
    if desc["kind"] == "grating":
        desc["orders"] = getattr(body, "last_orders", None)
        desc["accuracy"] = getattr(body, "last_accuracy", None)
        return {"material": desc["ridge"], "delta": None}, {"grating": desc}
    head = {"material": body.label, "delta": float(sum(d for _, d in desc.get("layers", ())))}
    return head, {k: v for k, v in desc.items() if k != "kind"}


def material_omega(mat: Material, omega, omega_ratio, check=True):
    """Angular frequency (rad/s) from ``omega`` or ``omega_ratio`` x resonance.

    ``omega`` wins when given. With ``check``, also checks the material's
    permittivity exists there (tabulated data have a finite range).
    """
    if omega is not None:
        param = "omega"
        w, ratio = resolve_omega(mat, omega=parse_number(omega, "omega", minimum=0.0, unit="rad/s"))
    else:
        param = "omega_ratio"
        what = "a positive fraction of the material resonance"
        w, ratio = resolve_omega(mat, omega_ratio=parse_number(omega_ratio, "omega_ratio", minimum=0.0, what=what))
    if not check:
        return w, ratio
    try:
        eps = mat.eps(w)
    except ValueError as exc:
        raise InputError(param, str(exc)) from None
    if not (math.isfinite(eps.real) and math.isfinite(eps.imag)):
        raise InputError(param, f"permittivity of {mat.name!r} is not finite at omega = {w:.6g} rad/s")
    return w, ratio


def lateral_separation(r12):
    """Lateral separation: a length >= 0, or an in-plane vector (dx, dy) in m."""
    if not isinstance(r12, str) and np.ndim(r12) == 1:
        v = np.asarray(r12, dtype=float)
        if v.shape != (2,) or not np.all(np.isfinite(v)):
            raise InputError("r12", f"must be a length >= 0 m or a finite (dx, dy) in m, got {r12!r}")
        return (float(v[0]), float(v[1]))
    return (parse_length(r12, "r12", allow_zero=True), 0.0)


def qubit_height(value, name, body):
    """A qubit's z [m] for ``body``: > 0 above a planar body, any sign around a sphere.

    Parameters
    ----------
    value : float or str
        The height [m] or text with units.
    name : str
        The argument (``z1``, ``z2``), for the error.
    body : neqent.electrodynamics.body.Body
        The body; where it admits points below z = 0 (its own ``check_positions``),
        the sign is free and the position is checked once the geometry is known.

    Returns
    -------
    float
        z [m].
    """
    from neqent.electrodynamics.body import below_plane_only

    if below_plane_only(body):
        return parse_length(value, name, hint=Z_HINT)
    return parse_signed_length(value, name)


def two_qubit_geometry(body, z1, z2, r12, dipole1, dipole2):
    """Validated :class:`~neqent.dynamics.rates.Geometry` of two qubits by ``body`` (built once, held by it).

    The positions are checked by the body (:meth:`~neqent.electrodynamics.body.Body.check_positions`).
    """
    from neqent.dynamics.rates import Geometry
    from neqent.electrodynamics.planar import Slab

    z1 = qubit_height(z1, "z1", body)
    z2 = qubit_height(z2, "z2", body)
    dx, dy = lateral_separation(r12)
    if dx == 0 and dy == 0 and z1 == z2:
        raise InputError(
            "r12", f"the qubits coincide (r12 = 0 and z1 = z2 = {z1:g} m); give r12 > 0 or different heights"
        )
    d1 = parse_dipole(dipole1, "dipole1")
    d2 = parse_dipole(dipole2, "dipole2")
    # a slab's material and thickness stay the Geometry's own fields; any other body replaces them
    slab = isinstance(body, Slab)
    fields = {"material": body.material, "delta": body.thickness} if slab else {"material": body.top_material}
    try:
        # always the vector: a scalar r12 must be >= 0, but (dx, 0) with dx < 0 is valid
        return Geometry(
            **fields, z1=z1, z2=z2, r12=(dx, dy), dipole1=tuple(d1), dipole2=tuple(d2), stack=None if slab else body
        )
    except ValueError as exc:  # anything the checks above did not anticipate
        msg = str(exc)
        param = (
            msg.split()[0]
            if msg.split() and msg.split()[0] in ("delta", "z1", "z2", "r12", "dipole1", "dipole2", "material")
            else "geometry"
        )
        raise InputError(param, msg) from None


def check_size(omega_param, omega, eps, delta, z1, z2, r12):
    """Reject geometries the kernel quadrature cannot afford (see
    :func:`neqent.validation.electrical_size`). Scalars or arrays: omega
    (rad/s) with eps at those omegas; the worst case is taken over arrays.

    The InputError blames ``delta`` for a too thick slab, otherwise the
    argument that grew most beyond the paper geometry (omega relative to
    0.3 w_T of SiC, heights relative to 1 um, r12 to 0.25 um).
    """
    from neqent.validation import electrical_size, size_culprit

    names = ("omega", "z1", "z2", "r12", "delta")
    z1, z2, r12 = (float(np.max(v)) for v in (z1, z2, r12))
    try:
        electrical_size(omega, z1, z2, r12, np.inf, eps, names)
    except ValueError as exc:
        culprit = size_culprit(omega, z1, z2, r12, (omega_param, "z1", "z2", "r12"))
        raise InputError(culprit, str(exc)) from None
    finite = np.asarray(delta, float)[np.isfinite(delta)]
    if finite.size:
        try:
            electrical_size(omega, 0.0, 0.0, 0.0, float(finite.max()), eps, names)
        except ValueError as exc:
            raise InputError("delta", str(exc)) from None


def stack_body(layers, substrate, material, delta):
    """Validated :class:`~neqent.electrodynamics.planar.Stack` (docs/theory.md §9), or None for the slab.

    ``layers``: sequence of (material, thickness) top first, thickness in m or with units;
    ``substrate``: a material or None (vacuum below). Exclusive with a non-default
    ``material``/``delta`` (InputError naming both).
    """
    from neqent.electrodynamics.planar import Stack

    if layers is None and substrate is None:
        return None
    if material != DEFAULTS["material"] or delta != DEFAULTS["delta"]:
        raise InputError(
            "layers", "layers/substrate and material/delta both describe the body; give one of them, not both"
        )
    resolved = []
    for i, item in enumerate(layers or ()):
        if isinstance(item, str) or not hasattr(item, "__len__") or len(item) != 2:
            raise InputError("layers", f"layer {i} must be a (material, thickness) pair, got {item!r}")
        resolved.append((item[0], parse_length(item[1], "layers", hint=f" (thickness of layer {i})")))
    if substrate is not None:
        from neqent.electrodynamics.materials import get_layer_material

        try:
            substrate = get_layer_material(substrate)
        except ValueError as exc:
            raise InputError("substrate", str(exc)) from None
    try:
        return Stack(resolved, substrate)
    except ValueError as exc:
        raise InputError("layers", str(exc)) from None


def sphere_body(sphere, material, delta, layers=None, substrate=None):
    """Validated :class:`~neqent.electrodynamics.sphere.Sphere` (docs/theory.md §13), or None without one.

    Parameters
    ----------
    sphere : tuple or str or None
        ``(material, radius)`` (radius [m] or text with units, > 0), or the text
        ``"MATERIAL:RADIUS"`` (e.g. ``"sic:1um"``). The material: any isotropic
        one of :func:`~neqent.electrodynamics.materials.get_layer_material`.
    material, delta, layers, substrate
        The other body arguments: with a sphere they must stay at their
        defaults (InputError naming both otherwise).

    Returns
    -------
    neqent.electrodynamics.sphere.Sphere or None

    Raises
    ------
    InputError
        ``param`` ``"sphere"``, one line.
    """
    from neqent.electrodynamics.sphere import Sphere

    if sphere is None:
        return None
    if layers is not None or substrate is not None:
        raise InputError("sphere", "sphere and layers/substrate both describe the body; give one of them, not both")
    if material != DEFAULTS["material"] or delta != DEFAULTS["delta"]:
        raise InputError("sphere", "sphere and material/delta both describe the body; give one of them, not both")
    if isinstance(sphere, str):
        name, sep, radius = sphere.rpartition(":")  # a material spec may hold colons (csv:path)
        if not sep or not name.strip() or not radius.strip():
            raise InputError("sphere", f"expected MATERIAL:RADIUS (e.g. sic:1um), got {sphere!r}")
        name, radius = name.strip(), radius.strip()
    elif not hasattr(sphere, "__len__") or len(sphere) != 2:
        raise InputError("sphere", f"expected (material, radius) or 'MATERIAL:RADIUS' (e.g. sic:1um), got {sphere!r}")
    else:
        name, radius = sphere
    radius = parse_length(radius, "sphere", hint=" (sphere radius)")
    try:
        return Sphere(name, radius)
    except ValueError as exc:
        raise InputError("sphere", str(exc)) from None


def grating_body(grating, grooves=None, orders=None, layers=None, substrate=None, others=(), grating_tol=None):
    """Validated :class:`~neqent.electrodynamics.grating.Grating` (docs/theory.md §12), or None without one.

    Parameters
    ----------
    grating : str or tuple or None
        ``"MATERIAL:PERIOD:FILL:HEIGHT"`` (e.g. ``"sic:1um:0.5:500nm"``; lengths in m or
        with units) or ``(material, period, fill, height)``.
    grooves : str or Material, optional
        Groove material (None: vacuum).
    orders : int or str, optional
        N: orders -N..N [1]; None chooses them at the lowest qubit height.
    layers, substrate : optional
        The planar stack below the grating (:func:`stack_body`); None: vacuum below.
    others : sequence of str
        Names of other body arguments given (``sphere``, ``material/delta``): with a
        grating they are refused.
    grating_tol : float or str, optional
        Target accuracy of the grating's k rule [Gamma0], in (0, 0.1]; None: the body's
        :data:`~neqent.electrodynamics.grating.DEFAULT_TOL`. Looser is faster (fewer k points).

    Returns
    -------
    neqent.electrodynamics.grating.Grating or None

    Raises
    ------
    InputError
        ``param`` ``"grating"``, ``"grooves"``, ``"orders"`` or ``"grating_tol"``, one line.
    """
    from neqent.electrodynamics.grating import DEFAULT_TOL, Grating

    if grating is None:
        for name, value in (("grooves", grooves), ("orders", orders), ("grating_tol", grating_tol)):
            if value is not None:
                raise InputError(name, f"{name} describes a grating's; give a grating too (or drop {name})")
        return None
    if others:
        raise InputError("grating", f"grating and {'/'.join(others)} both describe the body; give one of them")
    if isinstance(grating, str):
        parts = grating.rsplit(":", 3)  # a material spec may hold colons (csv:path)
        if len(parts) != 4 or not all(p.strip() for p in parts):
            raise InputError(
                "grating", f"expected MATERIAL:PERIOD:FILL:HEIGHT (e.g. sic:1um:0.5:500nm), got {grating!r}"
            )
        name, period, fill, height = (p.strip() for p in parts)
    elif not hasattr(grating, "__len__") or len(grating) != 4:
        raise InputError(
            "grating", f"expected (material, period, fill, height) or 'MATERIAL:PERIOD:FILL:HEIGHT', got {grating!r}"
        )
    else:
        name, period, fill, height = grating
    period = parse_length(period, "grating", hint=" (grating period)")
    height = parse_length(height, "grating", hint=" (grating height)")
    try:
        fill = float(fill)
    except (TypeError, ValueError):
        raise InputError("grating", f"fill must be a number in [0, 1], got {fill!r}") from None
    if orders is not None:
        try:
            orders = int(orders)
        except (TypeError, ValueError):
            raise InputError("orders", f"must be an integer >= 0, got {orders!r}") from None
    tol = DEFAULT_TOL
    if grating_tol is not None:  # the body checks the range; a text must first be a number
        try:
            tol = float(grating_tol)
        except (TypeError, ValueError):
            raise InputError("grating_tol", f"must be a number (Gamma0), e.g. 1e-2, got {grating_tol!r}") from None
    below = stack_body(layers, substrate, DEFAULTS["material"], DEFAULTS["delta"])
    try:
        return Grating(
            name,
            period,
            fill,
            height,
            grooves="vacuum" if grooves is None else grooves,
            below=below,
            orders=orders,
            tol=tol,
        )
    except ValueError as exc:
        msg = str(exc)
        param = (
            "orders"
            if msg.startswith("orders")
            else "grating_tol"
            if msg.startswith("grating tol")
            else "grooves"
            if grooves is not None and "material" in msg
            else "grating"
        )
        raise InputError(param, msg) from None


def build_body(
    material, delta, layers=None, substrate=None, sphere=None, grating=None, grooves=None, orders=None, grating_tol=None
):
    """The one body of a configuration: a Sphere, a Stack from ``layers``/``substrate``, else the slab.

    Parameters
    ----------
    material : str or Material
        Slab material (ignored with a stack, which must then leave it at its default).
    delta : float or str
        Slab thickness [m] or with units; ``inf`` for a half-space.
    layers : sequence of (material, thickness), optional
        Stack layers top first, thickness [m] or with units.
    substrate : str or Material, optional
        Medium below the stack (None: vacuum).
    sphere : tuple or str, optional
        ``(material, radius)`` or ``"MATERIAL:RADIUS"`` (:func:`sphere_body`);
        exclusive with the other body arguments.
    grating, grooves, orders, grating_tol : optional
        A lamellar grating (:func:`grating_body`), over the stack of ``layers``/``substrate``
        if given; exclusive with ``sphere`` and ``material``/``delta``.

    Returns
    -------
    neqent.electrodynamics.body.Body
        A :class:`~neqent.electrodynamics.planar.Slab`, :class:`~neqent.electrodynamics.planar.Stack`
        or :class:`~neqent.electrodynamics.sphere.Sphere`.

    Raises
    ------
    InputError
        Naming ``material``, ``delta``, ``layers``, ``substrate`` or ``sphere``.
    """
    from neqent.electrodynamics.planar import Slab

    others = (["sphere"] if sphere is not None else []) + (
        ["material/delta"] if (material, delta) != (DEFAULTS["material"], DEFAULTS["delta"]) else []
    )
    lamellar = grating_body(grating, grooves, orders, layers, substrate, others, grating_tol)
    if lamellar is not None:
        return lamellar
    ball = sphere_body(sphere, material, delta, layers, substrate)
    if ball is not None:
        return ball
    stack = stack_body(layers, substrate, material, delta)
    if stack is not None:
        return stack
    mat = resolve_material(material)
    delta = parse_length(delta, "delta", allow_inf=True)
    try:
        return Slab(mat, delta)
    except ValueError as exc:
        raise InputError("delta", str(exc)) from None


def body_omega(body, omega, omega_ratio):
    """Angular frequency for a body: ``omega``, or ``omega_ratio`` x its top material's resonance.

    Every medium of the body must have a finite permittivity there (tabulated data
    and fitted models have a range).

    Parameters
    ----------
    body : neqent.electrodynamics.body.Body
        The body; its ``top_material.resonance`` [rad/s] scales ``omega_ratio``.
    omega : float or str or None
        Angular frequency [rad/s]; wins when given.
    omega_ratio : float or str
        omega / resonance [1].

    Returns
    -------
    omega : float
        [rad/s].
    omega_ratio : float or None
        [1]; None without a resonance.

    Raises
    ------
    InputError
        ``omega`` or ``omega_ratio``, naming the value.
    """
    w, ratio = material_omega(body.top_material, omega, omega_ratio, check=False)
    param = "omega" if omega is not None else "omega_ratio"
    try:
        optics = body.optics(w)
    except ValueError as exc:
        raise InputError(param, str(exc)) from None
    parts = optics if isinstance(optics, tuple) else (optics,)
    values = np.concatenate([np.ravel(np.asarray(v, complex)) for v in parts])
    if not np.all(np.isfinite(values)):
        raise InputError(param, f"a permittivity of {body.label!r} is not finite at omega = {w:.6g} rad/s")
    return w, ratio


def check_stack_size(omega_param, omega, stack, z1, z2, r12):
    """:func:`check_size` for a stack: the geometry, each layer's optical thickness and their sum."""
    from neqent.validation import MAX_ELECTRICAL_SIZE, electrical_size

    et, ez, th, _, _ = stack.optics(omega)
    check_size(omega_param, omega, 1.0, np.inf, z1, z2, r12)
    total = 0.0
    for e_t, e_z, d in zip(et, ez, th):
        try:
            total += float(electrical_size(omega, 0.0, 0.0, 0.0, d, e_t if abs(e_t) >= abs(e_z) else e_z)[1])
        except ValueError as exc:
            raise InputError("layers", str(exc)) from None
    if total > MAX_ELECTRICAL_SIZE:
        raise InputError(
            "layers",
            f"the stack's total optical thickness omega sum(d_j n_j) / c must be <= {MAX_ELECTRICAL_SIZE:g}, "
            f"got {total:.3g}; use fewer or thinner layers, or a substrate for an optically thick part",
        )


def check_sphere_size(sphere, omega, positions):
    """InputError (``sphere``) when a qubit needs more multipoles than the cap (docs/theory.md §13).

    Parameters
    ----------
    sphere : neqent.electrodynamics.sphere.Sphere
        The body.
    omega : float
        Angular frequency [rad/s].
    positions : array_like, shape (N, 3)
        Qubit positions [m], outside the sphere.
    """
    pos = np.atleast_2d(np.asarray(positions, dtype=float))
    try:  # the orders grow with k R and as the distance to the surface shrinks
        sphere.l_max(omega, pos, pos)
    except ValueError as exc:
        raise InputError("sphere", str(exc)) from None


def check_grating_size(grating, omega, positions):
    """InputError (``grating``) when the lowest qubit needs more orders than the cap, or fixed ones too few (§12).

    Parameters
    ----------
    grating : neqent.electrodynamics.grating.Grating
        The body.
    omega : float
        Angular frequency [rad/s].
    positions : array_like, shape (N, 3)
        Qubit positions [m], z > 0.
    """
    z_min = float(np.min(np.atleast_2d(np.asarray(positions, dtype=float))[:, 2]))
    try:
        grating.orders_at(omega, z_min)
    except ValueError as exc:
        raise InputError("grating", str(exc)) from None


def check_body_size(omega_param, omega, body, g):
    """:func:`check_size` of a slab, :func:`check_stack_size` of a stack, sphere's or grating's orders, for ``g``."""
    from neqent.electrodynamics.grating import Grating
    from neqent.electrodynamics.planar import Slab
    from neqent.electrodynamics.sphere import Sphere

    r12 = math.hypot(*g.r12)
    if isinstance(body, Grating):
        check_grating_size(body, omega, np.array(g.positions))
    elif isinstance(body, Sphere):
        check_sphere_size(body, omega, np.array(g.positions))
    elif isinstance(body, Slab):
        check_size(omega_param, omega, body.optics(omega), body.thickness, g.z1, g.z2, r12)
    else:
        check_stack_size(omega_param, omega, body, g.z1, g.z2, r12)


def setup(
    material,
    delta,
    z1,
    z2,
    r12,
    omega,
    omega_ratio,
    TW,
    TM,
    dipole1,
    dipole2,
    layers=None,
    substrate=None,
    sphere=None,
    grating=None,
    grooves=None,
    orders=None,
    grating_tol=None,
) -> Setup:
    """Validate every argument of one configuration; the body is built here, once.

    Parameters
    ----------
    material, delta, z1, z2, r12, omega, omega_ratio, TW, TM, dipole1, dipole2, layers, substrate, sphere
        As in :func:`neqent.interface.api.point` (SI, or strings with units).
    grating, grooves, orders, grating_tol
        A lamellar grating (:func:`grating_body`).

    Returns
    -------
    Setup
        The geometry (holding the body), omega [rad/s], omega_ratio [1] and TW, TM [K].

    Raises
    ------
    InputError
        Naming the first bad argument.
    """
    body = build_body(material, delta, layers, substrate, sphere, grating, grooves, orders, grating_tol)
    geometry = two_qubit_geometry(body, z1, z2, r12, dipole1, dipole2)
    w, ratio = body_omega(body, omega, omega_ratio)
    check_body_size("omega" if omega is not None else "omega_ratio", w, body, geometry)
    TW = parse_temperature(TW, "TW")
    TM = parse_temperature(TM, "TM")
    return Setup(geometry=geometry, omega=w, omega_ratio=ratio, TW=TW, TM=TM)


# ---------------------------------------------------------------------------
# Initial states and time grids of evolve
# ---------------------------------------------------------------------------


def load_matrix(path):
    """4x4 complex matrix from a .npy file or a whitespace-separated text file."""
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise InputError(
            "initial",
            f"unknown initial state {p!r}: not one of "
            f"{', '.join(INITIAL_STATES)} and no such file "
            "(.npy or .txt holding a 4x4 density matrix)",
        )
    try:
        if p.endswith(".npy"):
            m = np.load(p, allow_pickle=False)
        else:
            m = np.loadtxt(p, dtype=complex, ndmin=2)
    except Exception as exc:  # any unreadable/corrupt file is an input error
        raise InputError("initial", f"cannot read a 4x4 matrix from {p!r}: {exc}") from None
    return np.asarray(m, dtype=complex), p


def time_grid(times, tmin, tmax, num, spacing):
    """Validated time grid (units of 1/Gamma0), or a recipe if ``tmax`` is automatic.

    Returns an array, or ``(tmin, None, num, log)`` when ``tmax`` is None
    (resolved by :func:`auto_time_grid` once the rates are known).
    """
    if times is not None:
        t = np.asarray(times, dtype=float).ravel()
        if t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
            raise InputError("times", "must be a non-empty sequence of finite times >= 0 (1/Gamma0)")
        return t
    if spacing not in ("log", "linear"):
        raise InputError("spacing", f"must be 'log' or 'linear', got {spacing!r}")
    log = spacing == "log"
    tmin = parse_number(tmin, "tmin", minimum=0.0, strict=False, unit="1/Gamma0")
    if log and tmin == 0:
        raise InputError("tmin", "must be > 0 1/Gamma0 for log spacing, got 0 (use linear spacing to start at t = 0)")
    num = parse_count(num, "num", minimum=2)
    if tmax is None:
        return (tmin, None, num, log)
    tmax = parse_number(tmax, "tmax", minimum=tmin, unit="1/Gamma0")
    return np.geomspace(tmin, tmax, num) if log else np.linspace(tmin, tmax, num)


#: Automatic t_max = RELAX_FACTOR / slowest relaxation rate (as the pipeline's fig4b data).
RELAX_FACTOR = 30.0


def auto_time_grid(recipe, gamma_plus, gamma_minus):
    """Resolve an automatic time grid: t_max = RELAX_FACTOR / (smallest eigenvalue of
    the Hermitian part of Gamma(+w) + Gamma(-w)), well past the slowest relaxation;
    t_min is lowered to t_max / 10 if needed."""
    if not isinstance(recipe, tuple):
        return recipe
    from neqent.dynamics.master import slowest_relaxation_rate

    tmin, _, num, log = recipe
    slowest = slowest_relaxation_rate(gamma_plus, gamma_minus)
    tmax = RELAX_FACTOR / slowest if slowest > 0 else 1e6
    tmin = min(tmin, tmax / 10)
    return np.geomspace(tmin, tmax, num) if log else np.linspace(tmin, tmax, num)
