"""The body of the pipeline's scans, built once from the config (docs/theory.md §9, §11).

By default the body is the slab ``material`` of thickness ``geometry.delta``
(:class:`~neqent.electrodynamics.planar.Slab`). ``geometry.stack`` (layers
``{material, thickness}``, top first) with the optional ``geometry.substrate``
(a material; vacuum below when absent) makes it a planar stack instead
(:class:`~neqent.electrodynamics.planar.Stack`), for every scan of the config.
``geometry.sphere`` (``{material, radius}``) makes it a sphere
(:class:`~neqent.electrodynamics.sphere.Sphere`, top at z = 0), its radius the
scan axis ``radius``.

:func:`config_body` is the one builder: the config checks, the stages and the
figures hold the :class:`~neqent.electrodynamics.body.Body` it returns and ask
it (``top_material`` for ``omega_ratio``, ``pair_block`` for the kernels,
``with_parameter`` for a thickness axis) instead of re-deriving it from the
material name. A body's parameters that a scan may sweep are its *scan axes*
(:func:`body_axes`): the slab's thickness is ``delta``, a stack's layer
thicknesses are ``thickness_<i>`` (i = 0 for the top layer), and any other
body's numeric parameter ``a.b`` is the axis ``a_b``, so a new body needs no
new branch in the stages.
"""

from __future__ import annotations

import re

import numpy as np

from neqent.electrodynamics.planar import Slab, Stack
from neqent.errors import ConfigError

__all__ = [
    "THICKNESS_AXIS",
    "has_stack",
    "has_sphere",
    "config_body",
    "stack_body",
    "body_name",
    "body_axes",
    "with_axis_values",
    "optics_variables",
    "thickness_index",
    "thickness_axes",
    "stack_optics",
]

#: Scan-axis name of layer i's thickness (m), i = 0 for the top layer.
THICKNESS_AXIS = re.compile(r"^thickness_(\d+)$")


def has_stack(config) -> bool:
    """True when the config's body is a planar stack (``geometry.stack`` given)."""
    return "stack" in config["geometry"]


def has_sphere(config) -> bool:
    """True when the config's body is a sphere (``geometry.sphere`` given)."""
    return "sphere" in config["geometry"]


def stack_body(spec):
    """The :class:`~neqent.electrodynamics.planar.Stack` of ``{stack: [{material, thickness}, ...], substrate}``.

    Parameters
    ----------
    spec : dict
        ``stack``: layers top first (material name or spec, thickness [m]);
        optional ``substrate``: a material (vacuum below when absent).

    Returns
    -------
    Stack
        The stack.

    Raises
    ------
    ValueError
        From the stack: a bad layer, material or thickness, or no layer and no substrate.
    """
    return Stack([(layer["material"], layer["thickness"]) for layer in spec["stack"]], spec.get("substrate"))


def config_body(config):
    """The body of a config's scans: a Slab or a Stack, built once.

    Parameters
    ----------
    config : dict
        Pipeline configuration (``material``, ``geometry``; SI units).

    Returns
    -------
    neqent.electrodynamics.body.Body
        ``Sphere(geometry.sphere.material, geometry.sphere.radius)`` when
        ``geometry.sphere`` is given, ``Stack(geometry.stack, geometry.substrate)``
        when ``geometry.stack`` is given, else ``Slab(material, geometry.delta)``.

    Raises
    ------
    ConfigError
        Naming the key: ``material``, ``geometry.delta``,
        ``geometry.stack[<i>].material``, ``geometry.substrate``, ``geometry.stack``,
        ``geometry.sphere.material`` or ``geometry.sphere.radius``.
    """
    from neqent.electrodynamics.materials import get_layer_material, get_material

    geo = config["geometry"]
    if has_sphere(config):
        return _sphere_body(geo["sphere"])
    if not has_stack(config):
        try:
            material = get_material(config["material"])
        except ValueError as exc:
            raise ConfigError(f"config key 'material': {exc}") from None
        try:
            return Slab(material, geo["delta"])
        except ValueError as exc:
            raise ConfigError(f"config key 'geometry.delta': {exc}") from None
    for i, layer in enumerate(geo["stack"]):
        try:
            get_layer_material(layer["material"])
        except ValueError as exc:
            raise ConfigError(f"config key 'geometry.stack[{i}].material': {exc}") from None
    if "substrate" in geo:
        try:
            get_layer_material(geo["substrate"])
        except ValueError as exc:
            raise ConfigError(f"config key 'geometry.substrate': {exc}") from None
    try:
        return stack_body(geo)
    except ValueError as exc:
        raise ConfigError(f"config key 'geometry.stack': {exc}") from None


def _sphere_body(spec):
    """The :class:`~neqent.electrodynamics.sphere.Sphere` of ``geometry.sphere`` (ConfigError naming the key)."""
    from neqent.electrodynamics.materials import get_layer_material
    from neqent.electrodynamics.sphere import Sphere

    try:
        material = get_layer_material(spec["material"])
        sphere = Sphere(material, 1.0)  # refuses a uniaxial material before the radius is looked at
    except ValueError as exc:
        raise ConfigError(f"config key 'geometry.sphere.material': {exc}") from None
    try:
        return sphere.with_parameter("radius", spec["radius"])
    except ValueError as exc:
        raise ConfigError(f"config key 'geometry.sphere.radius': {exc}") from None


def body_name(body) -> str:
    """The body's materials, as a dataset's ``material`` attribute (its thicknesses are coordinates).

    A slab: its material's name (``sic``); a stack: ``stack: sic / eps=2.25 / eps=4 substrate``
    (top first); a sphere: ``sic sphere`` (its radius is a coordinate); any other body: its label.
    """
    if getattr(body, "kind", None) == "sphere":
        return f"{body.material.name} sphere"
    if isinstance(body, Slab):
        return body.material.name
    if isinstance(body, Stack):
        parts = [m.name for m, _ in body.layers]
        if body.substrate is not None:
            parts.append(f"{body.substrate.name} substrate")
        return "stack: " + " / ".join(parts)
    return body.label


def body_axes(body) -> dict:
    """The scan axes of a body: ``{axis name: body parameter}``, in the axis order.

    The slab's thickness is ``delta``; a stack's layer thicknesses are
    ``thickness_<i>`` (i = 0 at the top); any other body's numeric parameter
    ``a.b`` is the axis ``a_b``.
    """
    if isinstance(body, Slab):
        return {"delta": "thickness"}
    if isinstance(body, Stack):
        return {f"thickness_{i}": f"layer{i + 1}.thickness" for i in range(len(body.layers))}
    return {name.replace(".", "_"): name for name, value in body.parameters.items() if isinstance(value, float)}


def with_axis_values(body, values):
    """The body with its scan-axis parameters set.

    Parameters
    ----------
    body : neqent.electrodynamics.body.Body
        The config's body.
    values : dict
        ``{axis name: value}`` [SI] for some of :func:`body_axes`.

    Returns
    -------
    neqent.electrodynamics.body.Body
        A copy with those parameters replaced (``body`` itself when nothing changes).
    """
    axes = body_axes(body)
    for axis, value in values.items():
        if float(value) != body.parameters[axes[axis]]:
            body = body.with_parameter(axes[axis], float(value))
    return body


def thickness_index(name):
    """Layer index of a ``thickness_<i>`` axis name, or None for any other name."""
    m = THICKNESS_AXIS.match(name)
    return int(m.group(1)) if m else None


def thickness_axes(nlayers):
    """Axis names of the layer thicknesses of a stack of ``nlayers`` layers, top first."""
    return tuple(f"thickness_{i}" for i in range(nlayers))


def stack_optics(stack, omega):
    """Permittivities of a stack over frequencies: ``(eps_t (N, L), eps_z (N, L), sub_t (N,), sub_z (N,))``.

    ``omega`` (rad/s), shape (N,). Vacuum below: 1. Raises ValueError (from a
    material) for a frequency outside a model's validity range.
    """
    w = np.atleast_1d(np.asarray(omega, float))
    et = np.empty((w.size, len(stack.layers)), complex)
    ez = np.empty_like(et)
    for i, (material, _) in enumerate(stack.layers):
        et[:, i], ez[:, i] = material.eps_tz(w)
    if stack.substrate is None:
        st = sz = np.ones(w.size, complex)
    else:
        st, sz = (np.broadcast_to(np.asarray(e, complex), w.shape) for e in stack.substrate.eps_tz(w))
    return et, ez, np.array(st), np.array(sz)


def optics_variables(body, omega, dims):
    """The body's permittivities as kernel-dataset variables.

    Parameters
    ----------
    body : neqent.electrodynamics.body.Body
        The config's body.
    omega : ndarray, shape (N,) or ()
        Frequencies [rad/s] of the scan (an axis, or the one fixed value).
    dims : tuple of str
        ``("omega",)`` when omega is an axis, else ``()``.

    Returns
    -------
    dict
        ``{name: (dims, values, attrs)}``: a slab's ``eps`` [1]; a stack's
        ``eps_t``, ``eps_z`` (layer[, omega]) [1], ``eps_substrate_t``,
        ``eps_substrate_z`` [1], ``layer`` and ``layer_material``; nothing for
        another body (its parameters describe it).
    """
    one = {"units": "1"}
    w = np.atleast_1d(np.asarray(omega, float))
    optics = [body.optics(x) for x in w]  # the body's own optics at each frequency
    if isinstance(body, Slab):
        eps = np.array(optics, complex) if dims else complex(optics[0])
        return {"eps": (dims, eps, {**one, "long_name": "relative permittivity of the slab"})}
    if isinstance(body, Stack):
        et, ez, _, st, sz = (np.array([o[k] for o in optics]) for k in range(5))  # (N, L) and (N,)
        if dims:
            ldims, et, ez = ("layer",) + dims, et.T, ez.T
        else:
            ldims, et, ez, st, sz = ("layer",), et[0], ez[0], st[0], sz[0]
        return {
            "eps_t": (ldims, et, {**one, "long_name": "in-plane relative permittivity of each stack layer"}),
            "eps_z": (ldims, ez, {**one, "long_name": "axial (z) relative permittivity of each stack layer"}),
            "eps_substrate_t": (dims, st, {**one, "long_name": "in-plane relative permittivity below the stack"}),
            "eps_substrate_z": (dims, sz, {**one, "long_name": "axial relative permittivity below the stack"}),
            "layer": ("layer", np.arange(len(body.layers)), {**one, "long_name": "stack layer index (0 = top layer)"}),
            "layer_material": (
                "layer",
                [m.name for m, _ in body.layers],
                {**one, "long_name": "material of each stack layer"},
            ),
        }
    return {}
