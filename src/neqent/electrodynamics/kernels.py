"""Numba quadrature of the alpha kernels and the reflected Green tensor (§4a-4e).

This module is the slab's public API and the documented entry point of the
kernels. The quadrature itself is split by concept:
:mod:`~neqent.electrodynamics.panels` (where the breakpoints go),
:mod:`~neqent.electrodynamics.slab_poles` (a slab's poles),
:mod:`~neqent.electrodynamics.quadrature` (integrands, per-point core, batch
loop; shared by every planar body) and
:mod:`~neqent.electrodynamics.stack_kernels` (the stack path, re-exported here).

Public functions (SI units at the boundary):

* ``pair_tensors(omega, eps, delta, z_q, z_qp, dx, dy) -> (W, M, GR)``:
  the 3x3 complex tensors alpha_W^{qq'} (§4a), alpha_M^{qq'} (§4b) and the
  normalised reflected Green tensor GR(R_q, R_q') (§4c) for one pair.
* ``pair_tensors_batch(...)``: the same over broadcast 1-D arrays, one numba
  loop, returns three ``(N, 3, 3)`` arrays.
* ``pair_block(omega, eps, delta, z1, z2, dx, dy) -> (W, M, GR)`` each
  ``(2, 2, 3, 3)`` indexed ``[q, q', i, j]``: all four pairs of a two-qubit
  geometry integrated on ONE common set of nodes, so that differences such as
  Gamma_A ~ alpha^{11} - alpha^{12} are the quadrature of the difference
  integrand (no cancellation of independently rounded results, §4e).
  ``pair_block_batch`` is its vectorised twin.
* ``guided_mode_poles(omega, eps, delta)``: complex u of the guided-mode and
  surface-polariton poles of rho_TE / rho_TM near the real axis.
* ``nodes_used()``: number of integrand evaluations of the last call.
* ``stack_block_batch(omega, eps_t, eps_z, thickness, sub_eps_t, sub_eps_z, z1, z2, dx, dy)``
  and ``stack_pair_tensors(...)``: the same for a planar stack of isotropic or
  uniaxial layers (docs/theory.md §9; reflection from
  :mod:`neqent.electrodynamics.stack`, poles from its |rho| scan; the hyperbolic
  layers' high-u oscillation sets the panel width up to where their losses damp it).

Quadrature design (fixed Gauss-Legendre panels chosen from the geometry, no
per-point recursive adaptivity):

* propagative u = sin(theta), theta in [0, pi/2], w_z = cos(theta);
  evanescent u = cosh(t), t in [0, t_max], w_z = i sinh(t) (§4b, §4e: w_z is
  never computed from sqrt(1 - u^2)).
* base panels: their width keeps the phase/decay change per panel below
  ``PHASE_PER_PANEL`` rad, from the local rate
  K(Sz + |Dz|) + K s (Bessel) + 2 K delta |sqrt(eps)| (Fabry-Perot) + 3.
* t_max from the tail bound of the decay exp(-K Sz sinh t) (adaptive: grows
  like 1/(K Sz) when the qubits are close to the slab).
* singularities: the poles of rho_p (guided modes, surface polaritons; see
  :func:`~neqent.electrodynamics.slab_poles.find_slab_singularities`) and, for a half-space, the branch point w_m = 0,
  are mapped to the theta and t planes; breakpoints are added at the
  nearest point c of the real path and geometrically graded at
  c +- d * GRADE^k, d = distance of the singularity from the path. Each panel
  then sees the singularity at >= its own width, so Gauss-Legendre converges
  geometrically however narrow the peak (SiC, delta = 10 nm, 0.3 w_T: the
  TM0 pole is at u - 1 ~ 2e-7 with width ~ 1e-10).
"""

from __future__ import annotations

import numpy as np
from scipy.constants import c as C_LIGHT

from neqent.electrodynamics.quadrature import (
    DEFAULT_ORDER,
    bessel_j012,
    check_passive_eps,
    integrate_points,
    nodes_used,
)
from neqent.electrodynamics.slab_poles import MAX_POLES, find_slab_singularities
from neqent.electrodynamics.stack_kernels import stack_block_batch, stack_pair_tensors
from neqent.validation import electrical_size, finite, positive

__all__ = [
    "pair_tensors",
    "pair_tensors_batch",
    "pair_block",
    "pair_block_batch",
    "guided_mode_poles",
    "nodes_used",
    "stack_block_batch",
    "stack_pair_tensors",
    "bessel_j012",
]

# ---------------------------------------------------------------------------
# Python API


def _prepare(omega, eps, delta, za, zb, dx, dy, names):
    """Check and flatten the arguments (ValueError naming the bad one); K = omega / c.

    Also bounds the electrical size K (za + zb + s) and the slab optical
    thickness K delta |sqrt(eps)| (:func:`neqent.validation.electrical_size`).
    """
    omega = positive("omega", omega, "rad/s")
    eps = check_passive_eps(eps)
    delta = positive("delta", delta, "m", allow_inf=True)
    za = positive(names[0], za, "m")
    zb = positive(names[1], zb, "m")
    dx = finite("dx", dx, "m")
    dy = finite("dy", dy, "m")
    # bound the quadrature's panel count (memory and time) before integrating
    electrical_size(
        omega, za, zb, np.hypot(dx, dy), delta, eps, names=("omega", names[0], names[1], "hypot(dx, dy)", "delta")
    )
    arrs = np.broadcast_arrays(omega, eps, delta, za, zb, dx, dy)
    shape = arrs[0].shape
    flat = [np.ascontiguousarray(a.ravel()) for a in arrs]
    k = flat[0] / C_LIGHT
    kd = k * flat[2]  # inf stays inf (half-space)
    return shape, k, flat[1].astype(np.complex128), kd, flat[3], flat[4], flat[5], flat[6]


def _run(block, omega, eps, delta, za, zb, dx, dy, order, names, locate_poles=True):
    shape, k, e, kd, a, b, x, y = _prepare(omega, eps, delta, za, zb, dx, dy, names)
    n = k.shape[0]
    no_layers = np.zeros((n, 1), dtype=np.complex128)
    ones = np.ones(n, dtype=np.complex128)
    stack = (np.zeros(n, np.bool_), no_layers, no_layers, np.zeros((n, 1)), np.zeros(n, np.int64), ones, ones)
    keys = [(e[i], kd[i]) for i in range(n)]
    return integrate_points(block, shape, k, e, kd, stack, keys, a, b, x, y, order, locate_poles)


def pair_tensors(omega, eps, delta, z_q, z_qp, dx, dy, order=DEFAULT_ORDER, locate_poles=True):
    """Tensors alpha_W, alpha_M and GR of one pair (q, q') (docs/theory.md §4a-4c).

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    eps : complex
        Slab permittivity at ``omega`` [1], Im >= 0.
    delta : float
        Slab thickness [m], > 0 (``inf`` for a half-space).
    z_q, z_qp : float
        Heights of the two qubits above the slab [m], > 0.
    dx, dy : float
        In-plane separation r_q - r_q' [m] (any direction, 0 for q = q').
    order : int
        Gauss-Legendre nodes per panel [1] (accuracy knob).
    locate_poles : bool
        False drops the pole breakpoints (only to demonstrate that a plain rule
        is wrong near guided modes, docs/theory.md §4e; never in production).

    Returns
    -------
    W, M, GR : ndarray, shape (3, 3), complex128
        In lab axes: W and M in units of the vacuum decay value [Gamma0] (alpha,
        normalised so that the vacuum diagonal is 1), GR in units of
        omega^3/(6 pi eps0 c^3) (normalised Green tensor, Im G_vac(r, r) = I).
        Component-wise, W + M = Im(G0 + GR) (equilibrium identity §4d).

    Raises
    ------
    ValueError
        For bad arguments, including an electrical size
        omega (z_q + z_qp + s) / c or slab optical thickness omega delta ``|sqrt(eps)|`` / c
        above 2e4 (:func:`neqent.validation.electrical_size`).
    """
    out = _run(False, omega, eps, delta, z_q, z_qp, dx, dy, order, ("z_q", "z_qp"), locate_poles)
    if np.ndim(out[0]) != 2:
        raise ValueError("pair_tensors takes scalars; use pair_tensors_batch for arrays")
    return out


def pair_tensors_batch(omega, eps, delta, z_q, z_qp, dx, dy, order=DEFAULT_ORDER):
    """Vectorised :func:`pair_tensors`: 1-D array arguments (broadcast), one numba loop.

    Parameters
    ----------
    omega, eps, delta, z_q, z_qp, dx, dy : float or array_like, shape (N,)
        As in :func:`pair_tensors` ([rad/s], [1], [m], [m], [m], [m], [m]).
    order : int
        Gauss-Legendre nodes per panel [1].

    Returns
    -------
    W, M, GR : ndarray, shape (N, 3, 3), complex128
        As in :func:`pair_tensors` ([Gamma0], [Gamma0], normalised Green tensor).
    """
    shape = np.broadcast_shapes(*(np.shape(a) for a in (omega, eps, delta, z_q, z_qp, dx, dy)))
    if len(shape) > 1:
        raise ValueError(f"pair_tensors_batch takes scalars or 1-D arrays, got shape {shape}")
    args = [np.atleast_1d(a) for a in (omega, eps, delta, z_q, z_qp, dx, dy)]
    return _run(False, *args, order, ("z_q", "z_qp"))


def pair_block(omega, eps, delta, z1, z2, dx, dy, order=DEFAULT_ORDER):
    """All pair tensors of a two-qubit geometry on one common set of nodes.

    Because every pair uses the same nodes, a difference such as
    W[0, 0] - W[0, 1] (Gamma_A) equals the quadrature of the difference
    integrand: its error is that of the (1 - J0)-type integrand, not the sum
    of two independent errors (docs/theory.md §4e).

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    eps : complex
        Slab permittivity at ``omega`` [1], Im >= 0.
    delta : float
        Slab thickness [m], > 0 (``inf`` for a half-space).
    z1, z2 : float
        Heights of qubits 1 and 2 above the slab [m], > 0.
    dx, dy : float
        In-plane separation r_1 - r_2 [m].
    order : int
        Gauss-Legendre nodes per panel [1].

    Returns
    -------
    W, M, GR : ndarray, shape (2, 2, 3, 3), complex128
        Indexed [q, q', i, j] (q = 0, 1 for the qubits 1, 2); units as in
        :func:`pair_tensors` ([Gamma0], [Gamma0], normalised Green tensor).
    """
    out = _run(True, omega, eps, delta, z1, z2, dx, dy, order, ("z1", "z2"))
    if np.ndim(out[0]) != 4:
        raise ValueError("pair_block takes scalars; use pair_block_batch for arrays")
    return out


def pair_block_batch(omega, eps, delta, z1, z2, dx, dy, order=DEFAULT_ORDER):
    """Vectorised :func:`pair_block` over broadcast 1-D arrays.

    Parameters
    ----------
    omega, eps, delta, z1, z2, dx, dy : float or array_like, shape (N,)
        As in :func:`pair_block` ([rad/s], [1], [m], [m], [m], [m], [m]).
    order : int
        Gauss-Legendre nodes per panel [1].

    Returns
    -------
    W, M, GR : ndarray, shape (N, 2, 2, 3, 3), complex128
        As in :func:`pair_block`.
    """
    shape = np.broadcast_shapes(*(np.shape(a) for a in (omega, eps, delta, z1, z2, dx, dy)))
    if len(shape) > 1:
        raise ValueError(f"pair_block_batch takes scalars or 1-D arrays, got shape {shape}")
    args = [np.atleast_1d(a) for a in (omega, eps, delta, z1, z2, dx, dy)]
    return _run(True, *args, order, ("z1", "z2"))


def guided_mode_poles(omega, eps, delta, return_wz=False):
    """Poles of rho_TE/rho_TM near the real axis, as complex u = k c/omega.

    Guided modes of a dielectric slab (1 < u < sqrt(Re eps)), surface-polariton
    branches of a film with Re eps < 1, and for a half-space the r_TM pole
    (eps w_z + w_m = 0). Also improper (below cut-off) modes, zeros with w_z in
    the lower half plane (v = -i w_z < 0): they share u^2 = 1 + v^2 with a
    proper mode and shape rho near u = 1. u - 1 is exact only to
    ~1e-16 * u / (u - 1); the quadrature uses w_z.

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    eps : complex
        Slab permittivity [1], Im >= 0.
    delta : float
        Slab thickness [m], > 0 (``inf`` for a half-space).
    return_wz : bool
        Also return the vacuum normal wavenumbers.

    Returns
    -------
    u : ndarray, shape (P,), complex
        Pole positions [K = omega/c], sorted by real part.
    w_z : ndarray, shape (P,), complex
        Vacuum normal wavenumbers of the poles [K] (only with ``return_wz=True``).
    """
    omega = float(positive("omega", omega, "rad/s"))
    eps = complex(check_passive_eps(eps))
    delta = float(positive("delta", delta, "m", allow_inf=True))
    electrical_size(omega, 0.0, 0.0, 0.0, delta, eps)  # slab optical thickness bound
    kd = omega / C_LIGHT * delta
    sing = np.empty(MAX_POLES + 2, dtype=np.complex128)
    n, npoles = find_slab_singularities(eps, kd, sing)
    wz = sing[:npoles]
    u = np.sqrt(1.0 - wz * wz)
    order = np.lexsort((u.imag, u.real))
    return (u[order], wz[order]) if return_wz else u[order]
