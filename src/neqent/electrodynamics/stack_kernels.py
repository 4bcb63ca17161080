"""The kernels of a planar stack (docs/theory.md §9) on the shared quadrature.

Moved from :mod:`neqent.electrodynamics.kernels`.
"""

from __future__ import annotations

import numpy as np
from scipy.constants import c as C_LIGHT

from neqent.electrodynamics.quadrature import DEFAULT_ORDER, check_passive_eps, integrate_points
from neqent.validation import MAX_ELECTRICAL_SIZE, electrical_size, finite, positive

__all__ = ["stack_block_batch", "stack_pair_tensors"]


def _prepare_stack(omega, eps_t, eps_z, thickness, sub_eps_t, sub_eps_z, za, zb, dx, dy, names):
    """Check and flatten stack arguments to per-point arrays (ValueError naming the bad one)."""
    omega = np.atleast_1d(positive("omega", omega, "rad/s"))
    et = np.asarray(eps_t, dtype=complex)
    ez = np.asarray(eps_z, dtype=complex)
    th = np.asarray(thickness, dtype=float)
    if et.ndim == 1:
        et, ez, th = et[None], ez[None], th[None]
    if not (et.ndim == 2 and et.shape == ez.shape == th.shape):
        raise ValueError(
            f"eps_t, eps_z and thickness need shape (L,) or (N, L), got {et.shape}, {ez.shape}, {th.shape}"
        )
    for arr in (et, ez, sub_eps_t, sub_eps_z):
        check_passive_eps(arr)
    if np.any(np.asarray(ez) == 0) or np.any(np.asarray(sub_eps_z) == 0):
        raise ValueError("eps_z must be non-zero (the TM wavenumber divides by it)")
    if th.size and not np.all(np.isfinite(th) & (th >= 0)):
        raise ValueError(f"thickness must be finite and >= 0 m, got {th[~(np.isfinite(th) & (th >= 0))].flat[0]!r}")
    za = positive(names[0], za, "m")
    zb = positive(names[1], zb, "m")
    dx = finite("dx", dx, "m")
    dy = finite("dy", dy, "m")
    n = np.broadcast_shapes(omega.shape, np.shape(za), np.shape(zb), np.shape(dx), np.shape(dy), (et.shape[0],))
    n = int(np.prod(n)) if len(n) else 1
    nl = et.shape[1]
    omega, za, zb, dx, dy = (_broadcast(np.ravel(v) if np.ndim(v) else v, (n,)) for v in (omega, za, zb, dx, dy))
    et, ez, th = (_broadcast(a, (n, nl)) for a in (et, ez, th))
    st = _broadcast(np.asarray(sub_eps_t, complex), (n,))
    sz = _broadcast(np.asarray(sub_eps_z, complex), (n,))
    s = np.hypot(dx, dy)
    size_names = ("omega", names[0], names[1], "hypot(dx, dy)", "thickness")
    electrical_size(omega, za, zb, s, np.inf, 1.0, names=size_names)
    total = np.zeros(n)
    for j in range(nl):  # each layer's optical thickness, then their sum (the panel count grows with it)
        big = np.where(np.abs(et[:, j]) >= np.abs(ez[:, j]), et[:, j], ez[:, j])
        total += electrical_size(omega, za, zb, s, np.where(th[:, j] > 0, th[:, j], np.inf), big, names=size_names)[1]
    if np.any(total > MAX_ELECTRICAL_SIZE):
        raise ValueError(
            f"the stack's total optical thickness omega sum(d_j n_j) / c must be <= {MAX_ELECTRICAL_SIZE:g}, "
            f"got {float(total.max()):.3g}; use fewer or thinner layers, or a substrate for an optically thick part"
        )
    return omega / C_LIGHT, et, ez, th, st, sz, za, zb, dx, dy


def _broadcast(a, shape):
    """Contiguous copy of ``a`` broadcast to ``shape`` (numba wants writeable, contiguous arrays)."""
    return np.ascontiguousarray(np.broadcast_to(a, shape))


def _run_stack(block, omega, eps_t, eps_z, thickness, sub_eps_t, sub_eps_z, za, zb, dx, dy, order, names, force):
    k, et, ez, th, st, sz, a, b, x, y = _prepare_stack(
        omega, eps_t, eps_z, thickness, sub_eps_t, sub_eps_z, za, zb, dx, dy, names
    )
    n, nl = et.shape
    kd_layers = k[:, None] * th
    # the slab path of §3 where the stack is one isotropic layer in vacuum or a bare isotropic
    # substrate (identical results and cost); everything else through the stack recursion of §9
    vac_below = (st == 1.0) & (sz == 1.0)
    if force or nl > 1:
        slab = np.zeros(n, bool)
    elif nl == 1:
        slab = vac_below & (et[:, 0] == ez[:, 0])
    else:
        slab = st == sz
    eps = np.where(slab, et[:, 0] if nl else st, 1.0 + 0.0j)
    kd = np.where(slab, kd_layers[:, 0] if nl else np.inf, 0.0)
    lay = max(nl, 1)
    s_et = np.ones((n, lay), complex)
    s_ez = np.ones((n, lay), complex)
    s_kd = np.zeros((n, lay))
    s_et[:, :nl], s_ez[:, :nl], s_kd[:, :nl] = et, ez, kd_layers
    stack = (~slab, s_et, s_ez, s_kd, np.full(n, nl, np.int64), st.astype(complex), sz.astype(complex))
    keys = [
        (eps[i], kd[i]) if slab[i] else (tuple(s_et[i]), tuple(s_ez[i]), tuple(s_kd[i]), st[i], sz[i]) for i in range(n)
    ]
    return integrate_points(block, (n,), k, eps, kd, stack, keys, a, b, x, y, order)


def stack_block_batch(
    omega, eps_t, eps_z, thickness, sub_eps_t, sub_eps_z, z1, z2, dx, dy, order=DEFAULT_ORDER, force_stack=False
):
    """:func:`~neqent.electrodynamics.kernels.pair_block_batch` for a planar stack (docs/theory.md §9).

    A single isotropic layer in vacuum (or a bare isotropic substrate) takes the
    slab path of :func:`~neqent.electrodynamics.kernels.pair_block_batch` (identical results).

    Parameters
    ----------
    omega : float or array_like, shape (N,)
        Angular frequency [rad/s], > 0.
    eps_t, eps_z : array_like, shape (L,) or (N, L), complex
        In-plane and axial permittivities of the layers, top first [1]: one
        stack, or one per point (e.g. a thickness scan).
    thickness : array_like, shape (L,) or (N, L)
        Layer thicknesses [m], >= 0 (0 is allowed and changes nothing).
    sub_eps_t, sub_eps_z : complex or array_like, shape (N,)
        Permittivities of the medium below the stack [1] (1, 1 for vacuum).
    z1, z2 : float or array_like, shape (N,)
        Heights above the stack top z = 0 [m], > 0.
    dx, dy : float or array_like, shape (N,)
        In-plane separation r_1 - r_2 [m].
    order : int
        Gauss-Legendre nodes per panel [1].
    force_stack : bool
        Send a single isotropic layer through the general stack quadrature
        instead of the slab path (for tests).

    Returns
    -------
    W, M, GR : ndarray, shape (N, 2, 2, 3, 3), complex128
        As in :func:`~neqent.electrodynamics.kernels.pair_block` ([Gamma0], [Gamma0], normalised Green tensor).
    """
    return _run_stack(
        True, omega, eps_t, eps_z, thickness, sub_eps_t, sub_eps_z, z1, z2, dx, dy, order, ("z1", "z2"), force_stack
    )


def stack_pair_tensors(
    omega, eps_t, eps_z, thickness, sub_eps_t, sub_eps_z, z_q, z_qp, dx, dy, order=DEFAULT_ORDER, force_stack=False
):
    """:func:`~neqent.electrodynamics.kernels.pair_tensors` for a planar stack of L layers.

    Parameters
    ----------
    omega, eps_t, eps_z, thickness, sub_eps_t, sub_eps_z : scalar or array_like
        As in :func:`stack_block_batch` ([rad/s], [1], [1], [m], [1], [1]), one stack.
    z_q, z_qp : float
        Heights of the two qubits above the stack top [m], > 0.
    dx, dy : float
        In-plane separation r_q - r_q' [m].
    order : int
        Gauss-Legendre nodes per panel [1].
    force_stack : bool
        As in :func:`stack_block_batch`.

    Returns
    -------
    W, M, GR : ndarray, shape (3, 3), complex128
        As in :func:`~neqent.electrodynamics.kernels.pair_tensors`.
    """
    out = _run_stack(
        False,
        omega,
        eps_t,
        eps_z,
        thickness,
        sub_eps_t,
        sub_eps_z,
        z_q,
        z_qp,
        dx,
        dy,
        order,
        ("z_q", "z_qp"),
        force_stack,
    )
    return tuple(o[0] for o in out)
