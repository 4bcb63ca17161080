"""Planar bodies as values: a slab and a stack of layers (docs/theory.md §3, §9).

Both implement :class:`neqent.electrodynamics.body.Body`. A planar body is
invariant along x and y, so its kernels depend on the heights and on the
lateral separation r_1 - r_2 only; :meth:`Slab.pair_block` and
:meth:`Stack.pair_block` reduce the absolute positions to those and call the
planar quadrature of :mod:`neqent.electrodynamics.kernels`.
"""

from __future__ import annotations

import math

import numpy as np

from neqent.electrodynamics.body import Body
from neqent.electrodynamics.kernels import pair_block_batch, stack_block_batch
from neqent.electrodynamics.materials import get_layer_material, get_material

__all__ = ["Slab", "Stack", "planar_arguments"]


def planar_arguments(r1, r2):
    """Heights and lateral separation of two position arrays, for the planar kernels.

    Parameters
    ----------
    r1, r2 : array_like, shape (N, 3) or (3,)
        Positions of qubits 1 and 2 [m].

    Returns
    -------
    z1, z2, dx, dy : ndarray, shape (N,)
        Heights [m] and the lateral separation r_1 - r_2 [m] (the planar
        kernels' ``(dx, dy)`` convention).
    """
    a, b = np.broadcast_arrays(np.atleast_2d(np.asarray(r1, float)), np.atleast_2d(np.asarray(r2, float)))
    return a[:, 2].copy(), b[:, 2].copy(), a[:, 0] - b[:, 0], a[:, 1] - b[:, 1]


class Slab(Body):
    """A homogeneous isotropic slab ``-thickness <= z <= 0`` in vacuum (docs/theory.md §1, §3).

    Parameters
    ----------
    material : str or Material
        Anything :func:`neqent.electrodynamics.materials.get_material` accepts.
    thickness : float
        Thickness [m], > 0; ``inf`` for a half-space.

    Raises
    ------
    ValueError
        For an unknown material or a thickness that is not > 0.
    """

    kind = "slab"

    def __init__(self, material="sic", thickness=10e-9):
        self.material = get_material(material)
        d = float(thickness) if not isinstance(thickness, str) else math.nan
        if not (d > 0):  # inf allowed (half-space), nan refused
            raise ValueError(f"slab thickness must be > 0 m (inf for a half-space), got {thickness!r}")
        self.thickness = d

    @property
    def label(self) -> str:
        """``<material> <thickness> m`` (e.g. ``sic 1e-08 m``)."""
        return f"{self.material.name} {self.thickness:g} m"

    @property
    def top_material(self):
        """The slab's material (its resonance sets ``omega_ratio``)."""
        return self.material

    def describe(self) -> dict:
        """``{"kind": "slab", "material": name, "thickness": [m]}``."""
        return {"kind": self.kind, "material": self.material.name, "thickness": self.thickness}

    def optics(self, omega):
        """Permittivity of the slab at ``omega`` [rad/s] (complex, [1])."""
        return complex(self.material.eps(omega))

    @property
    def parameters(self) -> dict:
        """``{"thickness": [m]}``."""
        return {"thickness": self.thickness}

    def with_parameter(self, name, value):
        """A copy with ``thickness`` [m] (or ``material``, a name) replaced."""
        if name == "thickness":
            return Slab(self.material, value)
        if name == "material":
            return Slab(value, self.thickness)
        return super().with_parameter(name, value)

    def pair_block(self, omega, r1, r2):
        """Tensors of :meth:`Body.pair_block` by the slab quadrature (docs/theory.md §4).

        Parameters
        ----------
        omega : float
            Angular frequency [rad/s], > 0.
        r1, r2 : array_like, shape (N, 3) or (3,)
            Positions [m], z > 0.

        Returns
        -------
        W, M, GR : ndarray, shape (N, 2, 2, 3, 3), complex128
            As in :meth:`Body.pair_block`.
        """
        z1, z2, dx, dy = planar_arguments(self.check_positions(r1), self.check_positions(r2))
        return pair_block_batch(omega, self.optics(omega), self.thickness, z1, z2, dx, dy)


# ---------------------------------------------------------------------------
# The body as materials and thicknesses (SI), turned into the arrays above per frequency


class Stack(Body):
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

    kind = "stack"

    def __init__(self, layers=(), substrate=None):
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

    # ------------------------------------------------------------------
    # The Body interface

    @property
    def label(self) -> str:
        """Same as :attr:`name`."""
        return self.name

    @property
    def top_material(self):
        """The top layer's material (the substrate's without layers)."""
        return self.layers[0][0] if self.layers else self.substrate

    @property
    def materials(self) -> tuple:
        """The layers' materials top first, then the substrate's (if any)."""
        return tuple(m for m, _ in self.layers) + (() if self.substrate is None else (self.substrate,))

    def describe(self) -> dict:
        """``{"kind": "stack", "layers": [[name, thickness [m]], ...], "substrate": name or None}``."""
        return {
            "kind": self.kind,
            "layers": [[m.name, d] for m, d in self.layers],
            "substrate": None if self.substrate is None else self.substrate.name,
        }

    @property
    def parameters(self) -> dict:
        """``layer<i>.thickness`` [m] and ``layer<i>.material`` (i = 1 at the top), and ``substrate``."""
        out = {}
        for i, (m, d) in enumerate(self.layers, start=1):
            out[f"layer{i}.thickness"] = d
            out[f"layer{i}.material"] = m.name
        out["substrate"] = None if self.substrate is None else self.substrate.name
        return out

    def with_parameter(self, name, value):
        """A copy with one of :attr:`parameters` replaced (thickness [m], material or substrate by name)."""
        if name == "substrate":
            return Stack(self.layers, value)
        head, _, attr = name.partition(".")
        if head.startswith("layer") and head[5:].isdigit() and attr in ("thickness", "material"):
            i = int(head[5:]) - 1
            if not 0 <= i < len(self.layers):
                raise ValueError(f"{name!r}: the stack has layers 1..{len(self.layers)} (1 = top)")
            if attr == "thickness":
                return self.with_thickness(i, value)
            layers = list(self.layers)
            layers[i] = (value, layers[i][1])
            return Stack(layers, self.substrate)
        return super().with_parameter(name, value)

    def pair_block(self, omega, r1, r2):
        """Tensors of :meth:`Body.pair_block` by the stack quadrature (docs/theory.md §9).

        Parameters
        ----------
        omega : float
            Angular frequency [rad/s], > 0.
        r1, r2 : array_like, shape (N, 3) or (3,)
            Positions [m], z > 0.

        Returns
        -------
        W, M, GR : ndarray, shape (N, 2, 2, 3, 3), complex128
            As in :meth:`Body.pair_block`.
        """
        z1, z2, dx, dy = planar_arguments(self.check_positions(r1), self.check_positions(r2))
        et, ez, th, st, sz = self.optics(omega)
        return stack_block_batch(omega, et, ez, th, st, sz, z1, z2, dx, dy)

    def __repr__(self):
        return f"Stack({self.name})"
