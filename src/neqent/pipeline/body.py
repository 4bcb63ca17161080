"""The body of the pipeline's scans: a slab or a planar stack (docs/theory.md §9).

By default the body is the slab ``material`` of thickness ``geometry.delta``.
``geometry.stack`` (layers ``{material, thickness}``, top first) with the
optional ``geometry.substrate`` (a material; vacuum below when absent) makes it
a planar stack instead, for every scan of the config. Any layer's thickness
is then a scan axis ``thickness_<i>`` (i = 0 for the top layer), in place of
``delta``; ``omega_ratio`` is omega over the top layer's resonance (the
substrate's for a bare substrate), as for ``neqent point --layer``.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = [
    "THICKNESS_AXIS",
    "has_stack",
    "config_stack",
    "top_material",
    "stack_label",
    "thickness_index",
    "thickness_axes",
    "stack_optics",
]

#: Scan-axis name of layer i's thickness (m), i = 0 for the top layer.
THICKNESS_AXIS = re.compile(r"^thickness_(\d+)$")


def has_stack(config) -> bool:
    """True when the config's body is a planar stack (``geometry.stack`` given)."""
    return "stack" in config["geometry"]


def config_stack(config):
    """:class:`~neqent.electrodynamics.planar.Stack` of ``geometry.stack``/``geometry.substrate``.

    Raises ValueError (from the stack) for a bad layer, material or an empty stack without substrate.
    """
    from neqent.electrodynamics.planar import Stack

    geo = config["geometry"]
    return Stack([(layer["material"], layer["thickness"]) for layer in geo["stack"]], geo.get("substrate"))


def top_material(stack):
    """The medium that sets ``omega_ratio``: the top layer's material (the substrate without layers)."""
    return stack.layers[0][0] if stack.layers else stack.substrate


def stack_label(stack):
    """The materials of a stack, top first (thicknesses are coordinates): ``sic / eps=2.25 / sio2 substrate``."""
    parts = [m.name for m, _ in stack.layers]
    if stack.substrate is not None:
        parts.append(f"{stack.substrate.name} substrate")
    return "stack: " + " / ".join(parts)


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
