"""A homogeneous sphere as a body: exact Mie solution, in and out of equilibrium (docs/theory.md §13).

The sphere of radius R touches z = 0 from below (centre (0, 0, -R)), so a
height above it means what it means for a slab and R -> infinity approaches the
half-space. Qubits may sit anywhere outside it: above, beside, on opposite sides.

* GR: the Mie scattering Green tensor in vector spherical waves about the centre.
* alpha_M: the body's emission, channel by channel, with weight Re t - |t|^2
  (t = a_l for TM, b_l for TE), summed directly (no cancellation near the sphere).
* alpha_W = Im(G0 + GR) - alpha_M, evaluated as Im G0 (closed form) plus the
  short sum of the terms that carry t (they converge like a far-field Mie series).

The coefficients depend only on (omega, sphere) and are tabulated once per
frequency; a further position costs the O(l_max) radial recurrences and
Legendre sums of :mod:`neqent.electrodynamics.mie`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.constants import c as C_LIGHT

from neqent.electrodynamics.body import Body
from neqent.electrodynamics.mie import mie_table, sphere_block_kernel, w_orders

__all__ = ["Sphere", "l_max_for", "L_MAX_CAP", "DEFAULT_TOL"]

#: Highest multipole order a point may need; beyond it the qubit is too close to the surface.
L_MAX_CAP = 20000

#: Default relative truncation error of the multipole sums.
DEFAULT_TOL = 1e-10

#: Frequencies whose coefficient tables a sphere keeps.
_TABLE_CACHE_SIZE = 64


@functools.lru_cache(maxsize=16)
def _near_field_depth(tol):
    """s with s^3 e^{-s} = tol: the sums' tails fall like l^3 rho^l (docs/theory.md §13)."""
    s = math.log(1.0 / tol)
    for _ in range(20):
        s = math.log(1.0 / tol) + 3.0 * math.log(max(s, 1.0))
    return s


def l_max_for(omega, radius, distance, tol=DEFAULT_TOL):
    """Highest multipole order for qubits at given distances from the centre (docs/theory.md §13).

    Far-field part: Wiscombe's x + 4.05 x^(1/3) + 2 (x = K R); near-field part
    (Allardice & Le Ru 2014 style): the terms fall like l^3 (R^2/r^2)^l, so
    l_nf = s / (2 ln(r/R)) with s^3 e^{-s} = tol, ~ ln(1/tol) R / (2 d) for a
    height d << R.

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    radius : float
        Sphere radius R [m], > 0.
    distance : float or array_like
        Distance r of the closer qubit of a pair from the centre [m], > R (one per point).
    tol : float
        Relative truncation error [1], in (0, 0.1].

    Returns
    -------
    int or ndarray of int
        l_max [1] per distance (may exceed :data:`L_MAX_CAP`; the caller decides).
    """
    if not (0 < tol <= 0.1):
        raise ValueError(f"tol must be in (0, 0.1], got {tol!r}")
    x = omega / C_LIGHT * radius
    r = np.asarray(distance, dtype=float)
    if not np.all(r > radius):
        bad = float(r[~(r > radius)].flat[0]) if r.ndim else float(r)
        raise ValueError(f"distance from the centre must exceed the radius {radius:g} m, got {bad:g} m")
    far = x + 4.05 * x ** (1.0 / 3.0) + 2.0
    near = _near_field_depth(tol) / (2.0 * np.log(r / radius))
    out = np.ceil(far + near).astype(np.int64) + 1
    return int(out) if out.ndim == 0 else out


class Sphere(Body):
    """A homogeneous isotropic sphere at T_M, top at z = 0, centre (0, 0, -R) (docs/theory.md §13).

    Parameters
    ----------
    material : str or Material
        Any isotropic library material (name, spec or instance); uniaxial ones are refused.
    radius : float
        Radius R [m], finite and > 0.
    tol : float, optional
        Relative truncation error of the multipole sums [1] (sets l_max).

    Attributes
    ----------
    last_l_max : ndarray of int or None
        The l_max used for every point of the last :meth:`pair_block` call.
    """

    kind = "sphere"

    def __init__(self, material, radius, tol=DEFAULT_TOL):
        from neqent.electrodynamics.materials import get_layer_material

        r = math.nan if isinstance(radius, str) else float(radius)
        if not (math.isfinite(r) and r > 0):
            raise ValueError(f"sphere radius must be finite and > 0 m, got {radius!r}")
        m = get_layer_material(material)
        if m.uniaxial:
            raise ValueError(f"sphere material {m.name!r} is uniaxial; a sphere needs an isotropic material")
        self.material = m
        self.radius = r
        self.tol = float(tol)
        l_max_for(1.0, 1.0, 2.0, self.tol)  # validates tol
        self.last_l_max = None
        self._tables = {}

    # ------------------------------------------------------------------
    # What the body is

    @property
    def label(self) -> str:
        """E.g. ``sic sphere R = 1e-06 m``."""
        return f"{self.material.name} sphere R = {self.radius:g} m"

    @property
    def top_material(self):
        """The sphere's material."""
        return self.material

    @property
    def centre(self) -> np.ndarray:
        """Centre (0, 0, -R) [m]."""
        return np.array([0.0, 0.0, -self.radius])

    def describe(self) -> dict:
        """``{"kind": "sphere", "material": name, "radius": R [m]}``."""
        return {"kind": self.kind, "material": self.material.name, "radius": self.radius}

    def optics(self, omega):
        """Permittivity of the sphere at ``omega`` [rad/s] (complex [1])."""
        return complex(self.material.eps(float(omega)))

    @property
    def parameters(self) -> dict:
        """``{"radius": R}`` [m]."""
        return {"radius": self.radius}

    def with_parameter(self, name: str, value) -> Sphere:
        """A copy with the radius replaced (``name`` must be ``"radius"``, ``value`` [m])."""
        if name != "radius":
            return super().with_parameter(name, value)
        return Sphere(self.material, value, self.tol)

    def __eq__(self, other):
        return isinstance(other, Sphere) and (self.material, self.radius, self.tol) == (
            other.material,
            other.radius,
            other.tol,
        )

    def __hash__(self):
        return hash((self.kind, self.material.name, self.radius, self.tol))

    # ------------------------------------------------------------------
    # Positions

    def check_positions(self, positions) -> np.ndarray:
        """Validated positions (..., 3) [m]: finite and outside the sphere (anywhere around it).

        Raises
        ------
        ValueError
            Naming the first position inside or on the sphere and its distance to the surface.
        """
        r = np.asarray(positions, dtype=float)
        if r.shape[-1:] != (3,):
            raise ValueError(f"positions need shape (..., 3) in m, got {r.shape}")
        if not np.all(np.isfinite(r)):
            raise ValueError("qubit positions must be finite (m)")
        dist = np.linalg.norm(r - self.centre, axis=-1)
        bad = dist <= self.radius
        if np.any(bad):
            p = r[bad].reshape(-1, 3)[0]
            depth = self.radius - float(dist[bad].flat[0])
            raise ValueError(
                f"a qubit at ({p[0]:g}, {p[1]:g}, {p[2]:g}) m is {depth:g} m inside the sphere of radius "
                f"{self.radius:g} m centred at (0, 0, {-self.radius:g}) m; qubits must be outside it"
            )
        return r

    # ------------------------------------------------------------------
    # Kernels

    def l_max(self, omega, r1, r2):
        """l_max per point [1] for positions r1, r2 (N, 3) [m]; ValueError beyond :data:`L_MAX_CAP`."""
        d = np.minimum(np.linalg.norm(r1 - self.centre, axis=-1), np.linalg.norm(r2 - self.centre, axis=-1))
        out = np.atleast_1d(l_max_for(omega, self.radius, d, self.tol))
        if np.any(out > L_MAX_CAP):
            i = int(np.argmax(out))
            height = float(np.atleast_1d(d)[i]) - self.radius
            raise ValueError(
                f"a qubit {height:g} m from the surface of a sphere of radius {self.radius:g} m needs "
                f"l_max = {out[i]} multipoles, beyond the cap {L_MAX_CAP}; move it farther from the surface "
                "or use a planar body"
            )
        return out

    def coefficient_table(self, omega, lmax):
        """The Mie table of :func:`neqent.electrodynamics.mie.mie_table` at ``omega``, cached per frequency.

        Parameters
        ----------
        omega : float
            Angular frequency [rad/s].
        lmax : int
            Orders needed [1]; a cached table with at least as many is reused.

        Returns
        -------
        ndarray, shape (>= lmax + 1, 7), complex
        """
        key = float(omega)
        tab = self._tables.get(key)
        if tab is None or tab.shape[0] <= lmax:
            eps = self.optics(key)
            m = complex(np.sqrt(complex(eps)))
            if m.imag < 0:
                m = -m
            # headroom so that a slightly closer further position reuses the table
            tab = mie_table(key / C_LIGHT * self.radius, m, int(1.25 * lmax) + 8)
            if len(self._tables) >= _TABLE_CACHE_SIZE:
                self._tables.pop(next(iter(self._tables)))
            self._tables[key] = tab
        return tab

    def pair_block(self, omega, r1, r2):
        """alpha_W, alpha_M and GR of every pair of two qubits (docs/theory.md §13).

        Parameters
        ----------
        omega : float or array_like, shape (N,)
            Angular frequency [rad/s], > 0.
        r1, r2 : array_like, shape (N, 3) or (3,)
            Positions of qubits 1 and 2 [m], outside the sphere.

        Returns
        -------
        W, M, GR : ndarray, shape (N, 2, 2, 3, 3), complex128
            Indexed [n, q, q', i, j], lab axes; W, M [Gamma0], GR [1] (Im G0(r, r) = I).
            The l_max of every point is left in ``self.last_l_max``.
        """
        a = self.check_positions(np.atleast_2d(r1))
        b = self.check_positions(np.atleast_2d(r2))
        a, b = np.broadcast_arrays(a, b)
        n = a.shape[0]
        w = np.broadcast_to(np.asarray(omega, dtype=float), (n,))
        if not np.all(np.isfinite(w) & (w > 0)):
            raise ValueError(f"omega must be finite and > 0 rad/s, got {omega!r}")
        shape = (n, 2, 2, 3, 3)
        out = [np.empty(shape, np.complex128) for _ in range(3)]
        lmax_all = np.empty(n, np.int64)
        for om in np.unique(w):
            sel = np.nonzero(w == om)[0]
            pa, pb = np.ascontiguousarray(a[sel]), np.ascontiguousarray(b[sel])
            lmax = self.l_max(om, pa, pb)
            tab = self.coefficient_table(om, int(lmax.max()))
            k = om / C_LIGHT
            parts = [np.empty((sel.size, 2, 2, 3, 3), np.complex128) for _ in range(3)]
            sphere_block_kernel(k, k * self.radius, tab, pa, pb, self.centre, lmax, w_orders(k * self.radius), *parts)
            for o, p in zip(out, parts):
                o[sel] = p
            lmax_all[sel] = lmax
        self.last_l_max = lmax_all
        return tuple(out)
