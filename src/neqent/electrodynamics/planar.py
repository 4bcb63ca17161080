"""Planar bodies as values: a slab and a stack of layers (docs/theory.md §3, §9)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Stack"]


# ---------------------------------------------------------------------------
# The body as materials and thicknesses (SI), turned into the arrays above per frequency


class Stack:
    """A planar body: layers top to bottom, then a substrate (docs/theory.md §9).

    The top surface is z = 0; every layer and the substrate are at T_M.

    Parameters
    ----------
    layers : sequence of (material, float)
        Layers top to bottom as (material, thickness [m]); materials are names or
        specs of :func:`neqent.electrodynamics.materials.get_layer_material`
        (isotropic or uniaxial) or Material instances.
    substrate : str or Material, optional
        Semi-infinite medium below the stack; None means vacuum.

    Raises
    ------
    ValueError
        For a thickness that is not finite and > 0 (layer ``i`` named), an
        unknown material, or a stack with no layer and no substrate.
    """

    def __init__(self, layers=(), substrate=None):
        from neqent.electrodynamics.materials import get_layer_material

        resolved = []
        for i, item in enumerate(layers):
            try:
                material, thickness = item
            except (TypeError, ValueError):
                raise ValueError(f"layer {i} must be a (material, thickness) pair, got {item!r}") from None
            d = float(thickness) if not isinstance(thickness, str) else math.nan
            if not (math.isfinite(d) and d > 0):
                raise ValueError(f"layer {i} thickness must be finite and > 0 m, got {thickness!r}")
            resolved.append((get_layer_material(material), d))
        self.layers = tuple(resolved)
        self.substrate = None if substrate is None else get_layer_material(substrate)
        if not self.layers and self.substrate is None:
            raise ValueError("the stack needs at least one layer or a substrate (got neither)")

    @property
    def name(self) -> str:
        """Readable description, e.g. ``sic 1e-08 m / sio2 substrate``."""
        parts = [f"{m.name} {d:g} m" for m, d in self.layers]
        if self.substrate is not None:
            parts.append(f"{self.substrate.name} substrate")
        return " / ".join(parts)

    def with_thickness(self, index, thickness):
        """A copy with one layer's thickness replaced (thickness scans).

        Parameters
        ----------
        index : int
            Layer index, 0 = top.
        thickness : float
            New thickness [m], finite and > 0.

        Returns
        -------
        Stack
            The new stack.
        """
        layers = list(self.layers)
        layers[index] = (layers[index][0], thickness)
        return Stack(layers, self.substrate)

    def optics(self, omega):
        """The stack's permittivities and thicknesses at one frequency.

        Parameters
        ----------
        omega : float
            Angular frequency [rad/s], > 0; ValueError (from the material) outside a
            model's validity range.

        Returns
        -------
        eps_t, eps_z : ndarray, shape (L,), complex
            Layer permittivities [1].
        thickness : ndarray, shape (L,)
            Layer thicknesses [m].
        sub_eps_t, sub_eps_z : complex
            Permittivities below the stack [1] (1 for vacuum).
        """
        et = np.empty(len(self.layers), complex)
        ez = np.empty(len(self.layers), complex)
        for i, (m, _) in enumerate(self.layers):
            et[i], ez[i] = m.eps_tz(omega)
        th = np.array([d for _, d in self.layers], float)
        st, sz = (1.0 + 0j, 1.0 + 0j) if self.substrate is None else self.substrate.eps_tz(omega)
        return et, ez, th, complex(st), complex(sz)

    def __repr__(self):
        return f"Stack({self.name})"
