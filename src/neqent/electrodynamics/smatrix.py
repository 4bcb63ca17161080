"""Modes and the stable recursion of the Fourier modal method (docs/theory.md §12).

The numerical core of :mod:`neqent.electrodynamics.fmm`: eigenmodes of the grating layer
(one 2M eigenproblem, or two M x M ones for isotropic media) and of uniform media (TE/TM
per order), and the reflection-matrix recursion from the bottom of the body up. Everything
is in units of K = omega/c (lengths times K, H in units of E/Z0) and batched over k points:
arrays (Nk, ...) with the index n*2 + c (order n, field component or polarisation c).

Internally a down-going TM wave is counted with the sign that makes its tangential E equal
to the up-going one's (so a mode is (W, +-V) for up/down); R and T returned here differ from
the contract of :mod:`neqent.electrodynamics.fmm` by that sign on the TM columns (and rows of T).
"""

from __future__ import annotations

import numpy as np

from neqent.jit import njit

__all__ = ["sqrt_upper", "scattering_operators"]


# ---------------------------------------------------------------------------
# Modes


def sqrt_upper(z):
    """Element-wise square root on the branch Im >= 0 (Re >= 0 on the real axis).

    Parameters
    ----------
    z : array_like, complex
        Argument [1].

    Returns
    -------
    ndarray, complex
        sqrt(z) with Im >= 0 [1].
    """
    q = np.sqrt(np.asarray(z, dtype=complex))
    return np.where(q.imag < 0, -q, q)


def _interleave(xx, xy, yx, yy):
    """(Nk, 2M, 2M) matrix with index n*2 + c from four (Nk, M, M) blocks (c = x, y)."""
    nk, m, _ = xx.shape
    out = np.empty((nk, m, 2, m, 2), complex)
    out[:, :, 0, :, 0] = xx
    out[:, :, 0, :, 1] = xy
    out[:, :, 1, :, 0] = yx
    out[:, :, 1, :, 1] = yy
    return out.reshape(nk, 2 * m, 2 * m)


def _grating_modes(kxn, ky, e_t, a, ezi):
    """Eigenmodes of the grating layer: q (Nk, 2M), then W, V, W^-1, V^-1 (Nk, 2M, 2M).

    In units of K, d/dz [E_x, E_y] = i P [H_x, H_y] and d/dz [H_x, H_y] = i Q [E_x, E_y]
    (H in units of E/Z0), so a mode exp(i q z) has P Q W = W q^2 and H = V = Q W / q.
    """
    nk, m = kxn.shape
    eye = np.eye(m)
    kyc = ky[:, None, None]
    kx_r = kxn[:, :, None]
    kx_c = kxn[:, None, :]
    p = _interleave(kyc * kx_r * ezi, eye - kx_r * ezi * kx_c, kyc**2 * ezi - eye, -kyc * ezi * kx_c)
    diag = np.zeros((nk, m, m), complex)
    idx = np.arange(m)
    qxx = diag.copy()
    qxx[:, idx, idx] = -kxn * ky[:, None]
    qxy = -np.broadcast_to(e_t, (nk, m, m)).copy()
    qxy[:, idx, idx] += kxn**2
    qyx = np.broadcast_to(a, (nk, m, m)) - kyc**2 * eye
    qyy = diag
    qyy[:, idx, idx] = kxn * ky[:, None]
    q_op = _interleave(qxx, qxy, qyx, qyy)
    lam, w = np.linalg.eig(p @ q_op)
    q = sqrt_upper(lam)
    v = (q_op @ w) / q[:, None, :]
    return q, w, v, np.linalg.inv(w), np.linalg.inv(v)


def _isotropic_grating_modes(kxn, ky, e_t, a, ezi):
    """The modes of :func:`_grating_modes` for isotropic ridges and grooves, from two M x M eigenproblems.

    A layer stratified along x with isotropic media has modes with E_x = 0 (TE to x) and
    with H_x = 0 (TM to x), also after truncation: with E_z^-1 = [[eps]]^-1 exactly,
    P Q [0; phi] = (beta^2 - k_y^2) [0; phi] for (E_t - K_x^2) phi = beta^2 phi, and
    Q P [0; psi] = (beta^2 - k_y^2) [0; psi] for A (1 - K_x E_z^-1 K_x) psi = beta^2 psi.
    Neither operator depends on k_y, so k points sharing k_x share their eigenproblems
    (a tensor grid in (k_x, k_y) solves one per k_x). TE: W = [0; phi], V = Q W / q;
    TM: V = [0; psi], W = P V / q.

    The block structure also gives W^-1 and V^-1 from per-k_x inverses and per-k
    diagonal scalings (L = 1 - K_x E_z^-1 K_x; rows TE, TM modes; columns x, y)::

        W^-1 = [[k_y phi^-1 E_z^-1 K_x L^-1, phi^-1], [q_tm psi^-1 L^-1, 0]]
        V^-1 = [[-(q_te/beta_te^2) phi^-1, 0], [k_y psi^-1 K_x phi beta_te^-2 phi^-1, psi^-1]]
    """
    nk, m = kxn.shape
    uniq, inv = np.unique(kxn[:, 0], return_inverse=True)
    kx_u = kxn[_first_rows(kxn[:, 0], uniq)]
    idx = np.arange(m)
    te_op = -np.broadcast_to(e_t, (uniq.size, m, m)).copy()
    te_op[:, idx, idx] += kx_u**2
    beta_te, phi = np.linalg.eig(-te_op)  # (E_t - K_x^2) phi = beta^2 phi
    tm_right = -kx_u[:, :, None] * ezi * kx_u[:, None, :]
    tm_right[:, idx, idx] += 1.0
    beta_tm, psi = np.linalg.eig(a @ tm_right)
    phi_inv = np.linalg.inv(phi)
    psi_inv = np.linalg.inv(psi)
    psi_l_inv = psi_inv @ np.linalg.inv(tm_right)
    c_te = phi_inv @ (ezi * kx_u[:, None, :]) @ np.linalg.inv(tm_right)
    c_tm = psi_inv @ (kx_u[:, :, None] * (phi @ (phi_inv / beta_te[:, :, None])))
    per_kx = (phi, psi, beta_te, beta_tm, tm_right, phi_inv, psi_inv, psi_l_inv, c_te, c_tm)
    phi, psi, beta_te, beta_tm, tm_right, phi_inv, psi_inv, psi_l_inv, c_te, c_tm = (x[inv] for x in per_kx)
    ky2 = (ky**2)[:, None]
    q_te = sqrt_upper(beta_te - ky2)
    q_tm = sqrt_upper(beta_tm - ky2)
    w = np.zeros((nk, m, 2, 2, m), complex)  # rows (order, component), columns (TE/TM, mode)
    v = np.zeros_like(w)
    w[:, :, 1, 0, :] = phi
    v[:, :, 0, 0, :] = -phi * (beta_te / q_te)[:, None, :]
    v[:, :, 1, 0, :] = ky[:, None, None] * kxn[:, :, None] * phi / q_te[:, None, :]
    v[:, :, 1, 1, :] = psi
    w[:, :, 0, 1, :] = (tm_right @ psi) / q_tm[:, None, :]
    w[:, :, 1, 1, :] = -ky[:, None, None] * (ezi @ (kxn[:, :, None] * psi)) / q_tm[:, None, :]
    q = np.concatenate((q_te, q_tm), axis=1)
    w_inv = np.zeros((nk, 2, m, m, 2), complex)  # rows (TE/TM, mode), columns (order, component)
    v_inv = np.zeros_like(w_inv)
    kyc = ky[:, None, None]
    w_inv[:, 0, :, :, 0] = kyc * c_te
    w_inv[:, 0, :, :, 1] = phi_inv
    w_inv[:, 1, :, :, 0] = q_tm[:, :, None] * psi_l_inv
    v_inv[:, 0, :, :, 0] = -(q_te / beta_te)[:, :, None] * phi_inv
    v_inv[:, 1, :, :, 0] = kyc * c_tm
    v_inv[:, 1, :, :, 1] = psi_inv
    shape = (nk, 2 * m, 2 * m)
    return q, w.reshape(shape), v.reshape(shape), w_inv.reshape(shape), v_inv.reshape(shape)


def _first_rows(column, values):
    """Row index of the first occurrence of each of ``values`` in ``column``."""
    order = np.argsort(column, kind="stable")
    pos = np.searchsorted(column[order], values)
    return order[pos]


def _homogeneous_modes(kxn, ky, eps_t, eps_z, vacuum):
    """TE/TM modes of a uniform medium, per order: (q_te, q_tm, admittances, W and V 2x2 blocks).

    Columns TE, TM; rows (x, y). TE: E = z^ x k^; TM: H = -z^ x k^, E_t = -(q/eps_t) k^
    (in vacuum E = e_TM^+ of the contract for the upward mode). Returns Y_TE = q_te and
    Y_TM = q_tm / eps_t. ``vacuum`` uses kz = sqrt(1 - |k_n|^2) for both.
    """
    kn2 = kxn**2 + ky[:, None] ** 2
    kn = np.sqrt(kn2)
    safe = kn > 0
    cx = np.where(safe, kxn / np.where(safe, kn, 1.0), 1.0)  # k^ = x^ at k_n = 0
    sy = np.where(safe, ky[:, None] / np.where(safe, kn, 1.0), 0.0)
    if vacuum:
        q_te = q_tm = sqrt_upper(1.0 - kn2)
        eps_t = 1.0
    else:
        q_te = sqrt_upper(eps_t - kn2)
        q_tm = q_te if eps_t == eps_z else sqrt_upper(eps_t * (1.0 - kn2 / eps_z))
    y_tm = q_tm / eps_t
    w = np.empty(kxn.shape + (2, 2), complex)
    v = np.empty_like(w)
    w[..., 0, 0], w[..., 1, 0] = -sy, cx
    w[..., 0, 1], w[..., 1, 1] = -y_tm * cx, -y_tm * sy
    v[..., 0, 0], v[..., 1, 0] = -q_te * cx, -q_te * sy
    v[..., 0, 1], v[..., 1, 1] = sy, -cx
    return q_te, q_tm, q_te, y_tm, w, v


@njit(nogil=True)
def _block_left_kernel(blocks, mat, out):
    nk, m = blocks.shape[:2]
    for k in range(nk):
        for n in range(m):
            for j in range(2 * m):
                u, v = mat[k, 2 * n, j], mat[k, 2 * n + 1, j]
                out[k, 2 * n, j] = blocks[k, n, 0, 0] * u + blocks[k, n, 0, 1] * v
                out[k, 2 * n + 1, j] = blocks[k, n, 1, 0] * u + blocks[k, n, 1, 1] * v


@njit(nogil=True)
def _block_right_kernel(mat, blocks, out):
    nk, m = blocks.shape[:2]
    for k in range(nk):
        for i in range(2 * m):
            for n in range(m):
                u, v = mat[k, i, 2 * n], mat[k, i, 2 * n + 1]
                out[k, i, 2 * n] = u * blocks[k, n, 0, 0] + v * blocks[k, n, 1, 0]
                out[k, i, 2 * n + 1] = u * blocks[k, n, 0, 1] + v * blocks[k, n, 1, 1]


# The 2x2 block products are loops (numba, GIL released for the FMM's threads): numpy's
# einsum or broadcasting spends ~20 % of a grating solve on them in temporaries.


def _block_left(blocks, mat):
    """blockdiag(blocks) @ mat for per-order 2x2 blocks (Nk, M, 2, 2) and mat (Nk, 2M, 2M)."""
    out = np.empty(mat.shape, complex)
    _block_left_kernel(np.ascontiguousarray(blocks, dtype=complex), np.ascontiguousarray(mat, dtype=complex), out)
    return out


def _block_right(mat, blocks):
    """mat @ blockdiag(blocks) for mat (Nk, 2M, 2M) and per-order 2x2 blocks (Nk, M, 2, 2)."""
    out = np.empty(mat.shape, complex)
    _block_right_kernel(np.ascontiguousarray(mat, dtype=complex), np.ascontiguousarray(blocks, dtype=complex), out)
    return out


def _block_inv(blocks):
    """Inverse of per-order 2x2 blocks (Nk, M, 2, 2), analytically."""
    a, b, c, d = blocks[..., 0, 0], blocks[..., 0, 1], blocks[..., 1, 0], blocks[..., 1, 1]
    det = a * d - b * c
    out = np.empty_like(blocks)
    out[..., 0, 0], out[..., 0, 1] = d / det, -b / det
    out[..., 1, 0], out[..., 1, 1] = -c / det, a / det
    return out


# ---------------------------------------------------------------------------
# Recursion


def _planar_recursion(kxn, ky, layers, kd):
    """Reflection at the top of the planar part and its downward transmission factors.

    Element-wise over (Nk, M) for TE and TM in the modal basis of each medium (module
    docstring); R relates up to down amplitudes at a medium's top surface, the TM one
    with the internal sign (-rho_TM). Returns (R_top (Nk, 2M), modes of the top medium,
    transmission factor (Nk, 2M) from the top medium's top surface into the bottom one).
    """
    et, ez, _, st, sz = layers
    media = [(et[j], ez[j], kd[j]) for j in range(len(et))] + [(st, sz, 0.0)]
    below = None
    r = None
    trans = None
    top_modes = None
    for j in range(len(media) - 1, -1, -1):
        e_t, e_z, kdj = media[j]
        vac = e_t == 1.0 and e_z == 1.0
        q_te, q_tm, y_te, y_tm, w, v = _homogeneous_modes(kxn, ky, e_t, e_z, vac)
        y = np.stack((y_te, y_tm), axis=-1)
        if below is None:
            r = np.zeros(kxn.shape + (2,), complex)
            trans = np.ones_like(r)
        else:
            yb = below
            # TE: F = R + 1, G = (Yb/Ya)(R - 1); TM: F = (Yb/Ya)(R + 1), G = R - 1 (times Ya)
            f_te, g_te = y[..., 0] * (r[..., 0] + 1.0), yb[..., 0] * (r[..., 0] - 1.0)
            f_tm, g_tm = yb[..., 1] * (r[..., 1] + 1.0), y[..., 1] * (r[..., 1] - 1.0)
            den = np.stack((f_te - g_te, f_tm - g_tm), axis=-1)
            t_fac = 2.0 * y / den
            r = np.stack((f_te + g_te, f_tm + g_tm), axis=-1) / den
            trans = trans * t_fac
        if kdj > 0.0:
            x = np.exp(1j * kdj * np.stack((q_te, q_tm), axis=-1))
            r = r * x * x
            trans = trans * x
        below = y
        top_modes = (w, v)
    nk, m = kxn.shape
    return r.reshape(nk, 2 * m), top_modes, trans.reshape(nk, 2 * m)


def scattering_operators(kxn, ky, kh, ops, layers, kd, vacuum_below, isotropic):
    """R and T of the grating on its planar part, with the internal TM sign (module docstring).

    Parameters
    ----------
    kxn : ndarray, shape (Nk, M)
        k_x of the orders [K].
    ky : ndarray, shape (Nk,)
        k_y [K].
    kh : float
        K h [1].
    ops : tuple of ndarray (M, M)
        [[eps_t]], the operator for D_x and [[eps_z]]^-1 of the grating layer [1].
    layers : tuple
        (eps_t, eps_z, thickness, sub_eps_t, sub_eps_z) of the planar part [1].
    kd : ndarray, shape (L,)
        K d of the planar layers [1].
    vacuum_below : bool
        False returns T = 0.
    isotropic : bool
        Both grating media isotropic: the two M x M eigenproblems.

    Returns
    -------
    R, T : ndarray, shape (Nk, 2M, 2M), complex
        Internal operators [1]: the contract's up to the sign of the TM columns (and rows of T).
    """
    nk, m = kxn.shape
    r_b, (w_b, v_b), t_planar = _planar_recursion(kxn, ky, layers, kd)
    q, w_g, v_g, w_inv, v_inv = (_isotropic_grating_modes if isotropic else _grating_modes)(kxn, ky, *ops)
    # grating -> medium below: F = W_g^-1 W_b (R_b + 1), G = V_g^-1 V_b (R_b - 1); W_b, V_b are
    # 2x2 blocks per order, so these products cost O(M^2) per k
    rb = r_b.reshape(nk, m, 1, 2)
    f = _block_right(w_inv, w_b * (rb + 1.0))
    g = _block_right(v_inv, v_b * (rb - 1.0))
    fmg = f - g
    # R at the bottom of the layer: (F + G)(F - G)^-1. With T wanted, (F - G)^-1 serves R and T
    # (one inverse and two products cost less than two solves); else a transposed solve
    fmg_inv = np.linalg.inv(fmg) if vacuum_below else None
    r_bot = _right_divide(f + g, fmg, fmg_inv)
    x = np.exp(1j * kh * q)
    r_top = x[:, :, None] * r_bot * x[:, None, :]
    # vacuum -> grating at z = 0
    _, _, _, _, w0, v0 = _homogeneous_modes(kxn, ky, 1.0, 1.0, True)
    w0i_wg = _block_left(_block_inv(w0), w_g)
    v0i_vg = _block_left(_block_inv(v0), v_g)
    f0 = w0i_wg @ r_top + w0i_wg
    g0 = v0i_vg @ r_top - v0i_vg
    f0mg0 = f0 - g0
    if not vacuum_below:
        return _right_divide(f0 + g0, f0mg0, None), np.zeros_like(r_top)
    # down amplitudes: d_g(top) = 2 (F0 - G0)^-1 d_0, d_b(top) = 2 (F - G)^-1 X d_g(top)
    f0mg0_inv = np.linalg.inv(f0mg0)
    r_int = _right_divide(f0 + g0, f0mg0, f0mg0_inv)
    t_int = 4.0 * (fmg_inv @ (x[:, :, None] * f0mg0_inv))
    return r_int, t_planar[:, :, None] * t_int


def _right_divide(a, b, b_inv):
    """a b^-1, by the given inverse or else by a transposed solve."""
    if b_inv is not None:
        return a @ b_inv
    return np.linalg.solve(b.transpose(0, 2, 1), a.transpose(0, 2, 1)).transpose(0, 2, 1)
