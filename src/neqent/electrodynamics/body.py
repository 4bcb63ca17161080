"""The one body interface: every geometry at T_M (slab, stack, grating, sphere) is a :class:`Body`.

A body is a value, built once (from the config, the CLI or the API) and then
asked for everything: its optics at a frequency, the kernels for given qubit
positions, its label, and the parameters a scan or a search may vary. Stages,
plots and the API hold a body and never re-derive it from a material name.

The kernels follow the walls/body split of docs/theory.md §11, which holds for
any body: alpha_W is the correlation of the walls' incoming waves scattered by
the body, alpha_M the body's own emission, and
``alpha_W + alpha_M = Im(G0 + GR)`` component-wise (equilibrium).

Conventions shared by every implementation
------------------------------------------
* Positions are absolute, in the lab frame, in metres, arrays of shape (N, 3).
  The body lies below z = 0 and touches z = 0 from below (the top of a slab, a
  stack, the ridges of a grating, the top of a sphere).
* ``pair_block(omega, r1, r2)`` returns ``W, M, GR`` of shape (N, 2, 2, 3, 3),
  indexed ``[n, q, q', i, j]`` with q = 0, 1 for the qubits at ``r1[n]`` and
  ``r2[n]``. W and M are in units of the vacuum decay value [Gamma0]
  (normalised so that the vacuum diagonal is 1), GR is the reflected Green
  tensor normalised by omega^3 / (6 pi eps0 c^3), so that Im G0(r, r) = I.
  All pairs of one point share one quadrature, so differences such as
  W[0, 0] - W[0, 1] carry the error of the difference integrand only
  (docs/theory.md §4e).
* Bad parameters raise ``ValueError`` with one line naming the value and what
  is allowed; a position inside the body raises it in :meth:`Body.check_positions`.
"""

from __future__ import annotations

import abc

import numpy as np

__all__ = ["Body"]


class Body(abc.ABC):
    """A body held at T_M, below and touching the plane z = 0 (docs/theory.md §11).

    Subclasses implement :meth:`pair_block`, :meth:`optics`, :meth:`describe`,
    :attr:`kind`, :attr:`label`, :attr:`top_material` and, where the body has
    parameters a scan or a search may vary, :attr:`parameters` and
    :meth:`with_parameter`.
    """

    #: Short name of the geometry ("slab", "stack", "grating", "sphere").
    kind: str = "body"

    # ------------------------------------------------------------------
    # What the body is

    @property
    @abc.abstractmethod
    def label(self) -> str:
        """Readable one-line description for figures, logs and JSON, e.g. ``sic 1e-08 m``."""

    @property
    @abc.abstractmethod
    def top_material(self):
        """The material whose resonance ``omega_ratio`` scales (the medium the qubits face).

        Returns
        -------
        neqent.electrodynamics.materials.Material
            The top medium.
        """

    @property
    def materials(self) -> tuple:
        """Every material of the body, top first (for :func:`~neqent.electrodynamics.materials.material_sources`).

        Returns
        -------
        tuple of Material
            The media the body is made of; by default only :attr:`top_material`.
        """
        return (self.top_material,)

    @abc.abstractmethod
    def describe(self) -> dict:
        """The body as plain JSON-able values (SI units), the inverse of how it was built.

        Returns
        -------
        dict
            ``{"kind": ..., ...}`` with every parameter [SI].
        """

    @abc.abstractmethod
    def optics(self, omega):
        """The permittivities the body presents at one frequency.

        Parameters
        ----------
        omega : float
            Angular frequency [rad/s], > 0.

        Returns
        -------
        object
            Implementation-specific arrays of permittivities [1] and lengths [m]
            (for a stack: ``eps_t, eps_z, thickness, sub_eps_t, sub_eps_z``).

        Raises
        ------
        ValueError
            Outside a material model's validity range, naming the range.
        """

    # ------------------------------------------------------------------
    # Parameters for scans and searches

    @property
    def parameters(self) -> dict:
        """Parameters that a scan or a search may vary, ``{name: value}`` [SI].

        Names follow the CLI's ``--vary`` spelling, e.g. ``layer1.thickness``,
        ``period``, ``fill``, ``height``, ``radius``. Empty by default.
        """
        return {}

    def with_parameter(self, name: str, value) -> Body:
        """A copy with one parameter replaced.

        Parameters
        ----------
        name : str
            One of :attr:`parameters`.
        value : float or str
            New value [SI unit of that parameter] (a material name for a
            categorical parameter).

        Returns
        -------
        Body
            The new body.

        Raises
        ------
        ValueError
            For an unknown name (listing the known ones) or a bad value.
        """
        known = ", ".join(self.parameters) or "none"
        raise ValueError(f"{self.kind} has no parameter {name!r} (known: {known})")

    # ------------------------------------------------------------------
    # Kernels

    def check_positions(self, positions) -> np.ndarray:
        """Validated qubit positions, outside the body.

        The default accepts every finite point with z > 0 (every body lies
        below z = 0); bodies with a finite extent may allow more (a sphere:
        anywhere outside it).

        Parameters
        ----------
        positions : array_like, shape (..., 3)
            Positions [m].

        Returns
        -------
        ndarray, shape (..., 3), float
            The positions as a float array.

        Raises
        ------
        ValueError
            For a non-finite coordinate or a point inside the body, naming it.
        """
        r = np.asarray(positions, dtype=float)
        if r.shape[-1:] != (3,):
            raise ValueError(f"positions need shape (..., 3) in m, got {r.shape}")
        if not np.all(np.isfinite(r)):
            raise ValueError("qubit positions must be finite (m)")
        bad = r[..., 2] <= 0
        if np.any(bad):
            z = float(r[..., 2][bad].flat[0])
            raise ValueError(f"a qubit at z = {z:g} m is inside or on the {self.kind}; qubits need z > 0 m")
        return r

    @abc.abstractmethod
    def pair_block(self, omega, r1, r2):
        """Tensors alpha_W, alpha_M and GR of every pair of two qubits, on one quadrature per point.

        Parameters
        ----------
        omega : float
            Angular frequency [rad/s], > 0.
        r1, r2 : array_like, shape (N, 3) or (3,)
            Positions of qubits 1 and 2 [m], outside the body.

        Returns
        -------
        W, M, GR : ndarray, shape (N, 2, 2, 3, 3), complex128
            Indexed [n, q, q', i, j], lab axes. W, M [Gamma0]; GR normalised
            Green tensor [1] (Im G0(r, r) = I).
        """

    def __repr__(self):
        return f"{type(self).__name__}({self.label})"
