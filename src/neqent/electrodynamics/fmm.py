"""Reflection and transmission of a lamellar grating by the Fourier modal method (docs/theory.md §12).

The body: period D along x, invariant along y, ridges of width f D centred at
x = 0 (mod D) in a layer -h <= z <= 0 (z = 0 is the top of the ridges), grooves
between them, and below the layer vacuum, a substrate, or a planar stack of
docs/theory.md §9. Media are isotropic or uniaxial with the optic axis along z.

Contract with the mode sums (docs/theory.md §12; the consumer depends on it)
-----------------------------------------------------------------------------
``grating_rt(omega, grating, kx, ky, n_orders) -> R, T``, both of shape
(Nk, 2M, 2M), M = 2N + 1, index ``[k, n*2 + p, m*2 + p']`` with order index
n = 0..M-1 for the orders -N..N and p = 0 (TE), 1 (TM). With K = omega/c,
k_n = (kx + n 2 pi/D, ky), kz_n = sqrt(K^2 - |k_n|^2) (Im kz_n >= 0),
k^ = k_n/|k_n| (k^ = x^ when k_n = 0), the plane-wave vectors are::

    e_TE      = z^ x k^                       (unit)
    e_TM^(+-) = (-+ kz_n k^ + |k_n| z^) / K   (unit for propagating waves only)

A downward wave of order m, polarisation p', amplitude 1 along e_p'^-(k_m),
phase referenced at z = 0, is scattered into upward waves, amplitude
R[n p, m p'] along e_p^+(k_n) referenced at z = 0, and (vacuum below only)
downward waves below the body, amplitude T[n p, m p'] along e_p^-(k_n)
referenced at the bottom surface z_b = -(h + stack thickness)::

    z > 0:   e^-_{p'}(k_m) e^{i k_m.rho - i kz_m z} + sum_{n p} R e^+_p(k_n) e^{i k_n.rho + i kz_n z}
    z < z_b: sum_{n p} T e^-_p(k_n) e^{i k_n.rho - i kz_n (z - z_b)}

T is zero with a substrate. For a planar body R is diagonal with the §9 stack
coefficients rho_p (a perfect conductor has R_TE = -1, R_TM = +1). Reciprocity
(docs/theory.md §12) reads kz_n R[n p, m p'](k) = s kz_m R[-m p', -n p](-k), s = -1 when
exactly one of p, p' is TE; the body's symmetry under the rotation by pi about z
gives R(-k)[n p, m p'] = R(k)[-n p, -m p'] (same for T). The transmission upwards
(walls below), T~, follows from T at the same k: :func:`transmission_from_below`.
The TM vector has no tangential part at a Rayleigh anomaly (kz_n = 0): avoid k
points exactly on |k_n| = K. :func:`diffraction_orders` gives k_n and kz_n.

Method
------
Inside the grating layer the tangential fields are expanded in the M orders and
the permittivity products follow Li's factorisation rules: the inverse rule
[[1/eps_t]]^-1 for D_x (normal to the ridge walls), the direct rule [[eps]] for
D_y and D_z. The layer's modes come from one eigenproblem of size 2M per k,
batched with ``np.linalg.eig`` over the k points. The layers are joined by the
reflection-matrix recursion from the bottom up (an S-matrix variant of Li,
JOSA A 13, 1024 (1996)): only decaying factors exp(i q h), Im q >= 0, appear,
so evanescent orders never overflow. Planar layers are diagonal in the orders
and in TE/TM and are recursed element-wise.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import constants

__all__ = [
    "LamellarGrating",
    "grating_rt",
    "orders_for",
    "diffraction_orders",
    "transmission_from_below",
    "toeplitz_permittivity",
    "DEFAULT_ORDER_CAP",
]

#: Largest N_ord (orders -N..N) :func:`orders_for` accepts: 2(2N + 1) = 242 per eigenproblem.
DEFAULT_ORDER_CAP = 60

# Bytes of one (chunk, 2M, 2M) complex array: k points are processed in chunks below it.
_CHUNK_BYTES = 32 * 2**20


class LamellarGrating:
    """A lamellar grating on top of vacuum, a substrate or a planar stack (docs/theory.md §12).

    A plain value (the Body comes on top of it). The ridges (width ``fill * period``)
    are centred at x = 0 (mod D), the grooves run along y, z = 0 is the top of the
    ridges and the grating layer occupies -h <= z <= 0.

    Parameters
    ----------
    period : float
        Period D [m], finite and > 0.
    fill : float
        Filling fraction f of the ridges [1], in [0, 1].
    height : float
        Ridge height h [m], finite and > 0.
    ridge : str or Material
        Ridge material, isotropic or uniaxial with the optic axis along z (any
        spec of :func:`neqent.electrodynamics.materials.get_layer_material`).
    grooves : str or Material, optional
        Groove material (default vacuum).
    below : None, str, Material or Stack, optional
        What lies under the grating layer: None (vacuum), a substrate material,
        or a :class:`neqent.electrodynamics.planar.Stack` (its top touches z = -h).

    Raises
    ------
    ValueError
        One line naming the bad value (fill outside [0, 1], period or height not > 0,
        an unknown material).
    """

    def __init__(self, period, fill, height, ridge, grooves="vacuum", below=None):
        from neqent.electrodynamics.materials import get_layer_material
        from neqent.electrodynamics.planar import Stack

        self.period = _positive_length("period", period)
        self.height = _positive_length("height", height)
        try:
            f = float(fill)
        except (TypeError, ValueError):
            raise ValueError(f"fill must be a number in [0, 1], got {fill!r}") from None
        if not (0.0 <= f <= 1.0):
            raise ValueError(f"fill must be in [0, 1], got {fill!r}")
        self.fill = f
        self.ridge = get_layer_material(ridge)
        self.grooves = get_layer_material(grooves)
        if below is None or isinstance(below, Stack):
            self.stack = below
        else:
            self.stack = Stack((), below)

    @property
    def name(self) -> str:
        """Readable description, e.g. ``sic grating D=1e-06 m f=0.5 h=5e-07 m``."""
        text = f"{self.ridge.name} grating D={self.period:g} m f={self.fill:g} h={self.height:g} m"
        if self.grooves.name != "vacuum":
            text += f" in {self.grooves.name}"
        if self.stack is not None:
            text += f" on {self.stack.name}"
        return text

    @property
    def vacuum_below(self) -> bool:
        """True when vacuum lies under the body (T is then non-zero)."""
        return self.stack is None or self.stack.substrate is None

    @property
    def thickness(self) -> float:
        """Total thickness of the body [m]: h plus the stack's layers."""
        if self.stack is None:
            return self.height
        return self.height + sum(d for _, d in self.stack.layers)

    def optics(self, omega):
        """Permittivities at one frequency.

        Parameters
        ----------
        omega : float
            Angular frequency [rad/s], > 0.

        Returns
        -------
        ridge, grooves : tuple of complex
            (eps_t, eps_z) of the ridges and of the grooves [1].
        layers : tuple
            (eps_t (L,), eps_z (L,), thickness (L,) [m], sub_eps_t, sub_eps_z) of the
            planar part below (L = 0 and 1, 1 for vacuum).
        """
        ridge = tuple(complex(e) for e in self.ridge.eps_tz(omega))
        grooves = tuple(complex(e) for e in self.grooves.eps_tz(omega))
        if self.stack is None:
            empty = np.zeros(0, complex)
            layers = (empty, empty, np.zeros(0), 1.0 + 0j, 1.0 + 0j)
        else:
            layers = self.stack.optics(omega)
        return ridge, grooves, layers

    def __repr__(self):
        return f"LamellarGrating({self.name})"


def _positive_length(name, value):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a length in m, finite and > 0, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be finite and > 0 m, got {value!r}")
    return v


# ---------------------------------------------------------------------------
# Orders


def orders_for(omega, grating, z_min, tol=1e-6, n_min=8, cap=DEFAULT_ORDER_CAP):
    """Number of orders N_ord for qubits no closer than ``z_min`` to the ridges (docs/theory.md §12).

    An evanescent order n decays above the ridges like exp(-sqrt(|k_n|^2 - K^2) z),
    |k_n| ~ |n| 2 pi/D, so orders with sqrt((|n| 2 pi/D)^2 - K^2) z_min > ln(1/tol)
    are below ``tol`` at every qubit. ``n_min`` orders are kept in any case for the
    Fourier convergence of the layer itself.

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s].
    grating : LamellarGrating
        The grating.
    z_min : float
        Smallest qubit height above the ridges [m], > 0.
    tol : float
        Relative size of the last order kept at z_min [1], in (0, 1).
    n_min : int
        Smallest N_ord returned.
    cap : int
        Largest N_ord allowed.

    Returns
    -------
    int
        N_ord (orders -N_ord..N_ord).

    Raises
    ------
    ValueError
        When the orders needed exceed ``cap`` (period too large against z_min and the wavelength).
    """
    z = _positive_length("z_min", z_min)
    if not (0.0 < tol < 1.0):
        raise ValueError(f"tol must be in (0, 1), got {tol!r}")
    k0 = omega / constants.c
    g = 2.0 * math.pi / grating.period
    kmax = math.hypot(math.log(1.0 / tol) / z, k0)
    n = max(int(n_min), int(math.ceil(kmax / g)) + 1)
    if n > cap:
        raise ValueError(
            f"orders needed {n} exceed the cap {cap}: period {grating.period:g} m too large against "
            f"the qubit height {z:g} m and the wavelength {2 * math.pi / k0:g} m"
        )
    return n


# ---------------------------------------------------------------------------
# Fourier coefficients of the lamellar profile


def toeplitz_permittivity(value_ridge, value_groove, fill, n_total):
    """Toeplitz matrix [[g]]_{nm} = g_{n-m} of a lamellar profile g(x) (docs/theory.md §12).

    g = ``value_ridge`` on |x| < f D/2, ``value_groove`` elsewhere in the period;
    g_m = value_groove delta_m0 + (value_ridge - value_groove) f sinc(m f)
    (sinc(x) = sin(pi x)/(pi x)), exact for the lamellar profile.

    Parameters
    ----------
    value_ridge, value_groove : complex
        The function on the ridges and in the grooves [1].
    fill : float
        Filling fraction [1].
    n_total : int
        Number of orders M.

    Returns
    -------
    ndarray, shape (M, M), complex
        The Toeplitz matrix [1].
    """
    m = np.arange(-(n_total - 1), n_total)
    coeff = (value_ridge - value_groove) * fill * np.sinc(m * fill) + value_groove * (m == 0)
    idx = np.arange(n_total)
    return coeff[idx[:, None] - idx[None, :] + n_total - 1].astype(complex)


def _layer_operators(ridge, grooves, fill, n_total, li_rules):
    """(E_t, A, E_z^-1): [[eps_t]], the operator for D_x and [[eps_z]]^-1 (Li's rules or Laurent's)."""
    (rt, rz), (gt, gz) = ridge, grooves
    e_t = toeplitz_permittivity(rt, gt, fill, n_total)
    if li_rules:  # D_x = eps E_x with E_x discontinuous at the walls: the inverse rule
        a = np.linalg.inv(toeplitz_permittivity(1.0 / rt, 1.0 / gt, fill, n_total))
    else:  # Laurent's direct rule everywhere (slow TM convergence; kept to show it)
        a = e_t
    ezi = np.linalg.inv(toeplitz_permittivity(rz, gz, fill, n_total))
    return e_t, a, ezi


# ---------------------------------------------------------------------------
# Modes


def _sqrt_upper(z):
    """Element-wise square root on the branch Im >= 0 (Re >= 0 on the real axis) [1]."""
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
    """Eigenmodes of the grating layer: (q (Nk, 2M), W (Nk, 2M, 2M), V (Nk, 2M, 2M)).

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
    q = _sqrt_upper(lam)
    v = (q_op @ w) / q[:, None, :]
    return q, w, v


def _isotropic_grating_modes(kxn, ky, e_t, a, ezi):
    """The modes of :func:`_grating_modes` for isotropic ridges and grooves, from two M x M eigenproblems.

    A layer stratified along x with isotropic media has modes with E_x = 0 (TE to x) and
    with H_x = 0 (TM to x), also after truncation: with E_z^-1 = [[eps]]^-1 exactly,
    P Q [0; phi] = (beta^2 - k_y^2) [0; phi] for (E_t - K_x^2) phi = beta^2 phi, and
    Q P [0; psi] = (beta^2 - k_y^2) [0; psi] for A (1 - K_x E_z^-1 K_x) psi = beta^2 psi.
    Neither operator depends on k_y, so k points sharing k_x share their eigenproblems
    (a tensor grid in (k_x, k_y) solves one per k_x). TE: W = [0; phi], V = Q W / q;
    TM: V = [0; psi], W = P V / q.
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
    phi, psi, beta_te, beta_tm = phi[inv], psi[inv], beta_te[inv], beta_tm[inv]
    tm_right = tm_right[inv]
    ky2 = (ky**2)[:, None]
    q_te = _sqrt_upper(beta_te - ky2)
    q_tm = _sqrt_upper(beta_tm - ky2)
    w = np.zeros((nk, m, 2, 2, m), complex)  # rows (order, component), columns (TE/TM, mode)
    v = np.zeros_like(w)
    w[:, :, 1, 0, :] = phi
    v[:, :, 0, 0, :] = -phi * (beta_te / q_te)[:, None, :]
    v[:, :, 1, 0, :] = ky[:, None, None] * kxn[:, :, None] * phi / q_te[:, None, :]
    v[:, :, 1, 1, :] = psi
    w[:, :, 0, 1, :] = (tm_right @ psi) / q_tm[:, None, :]
    w[:, :, 1, 1, :] = -ky[:, None, None] * (ezi @ (kxn[:, :, None] * psi)) / q_tm[:, None, :]
    q = np.concatenate((q_te, q_tm), axis=1)
    return q, w.reshape(nk, 2 * m, 2 * m), v.reshape(nk, 2 * m, 2 * m)


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
        q_te = q_tm = _sqrt_upper(1.0 - kn2)
        eps_t = 1.0
    else:
        q_te = _sqrt_upper(eps_t - kn2)
        q_tm = q_te if eps_t == eps_z else _sqrt_upper(eps_t * (1.0 - kn2 / eps_z))
    y_tm = q_tm / eps_t
    w = np.empty(kxn.shape + (2, 2), complex)
    v = np.empty_like(w)
    w[..., 0, 0], w[..., 1, 0] = -sy, cx
    w[..., 0, 1], w[..., 1, 1] = -y_tm * cx, -y_tm * sy
    v[..., 0, 0], v[..., 1, 0] = -q_te * cx, -q_te * sy
    v[..., 0, 1], v[..., 1, 1] = sy, -cx
    return q_te, q_tm, q_te, y_tm, w, v


def _block_diag(blocks):
    """(Nk, 2M, 2M) matrix from per-order 2x2 blocks (Nk, M, 2, 2)."""
    nk, m = blocks.shape[:2]
    out = np.zeros((nk, m, 2, m, 2), complex)
    idx = np.arange(m)
    out[:, idx, :, idx, :] = blocks.transpose(1, 0, 2, 3)
    return out.reshape(nk, 2 * m, 2 * m)


def _block_left(blocks, mat):
    """blockdiag(blocks) @ mat for per-order 2x2 blocks (Nk, M, 2, 2) and mat (Nk, 2M, 2M)."""
    nk, m = blocks.shape[:2]
    rows = mat.reshape(nk, m, 2, 2 * m)
    return np.einsum("knab,knbj->knaj", blocks, rows).reshape(nk, 2 * m, 2 * m)


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


def _rt_chunk(kxn, ky, kh, ops, layers, kd, vacuum_below, isotropic):
    """Internal R, T (internal TM sign) for one chunk of k points (normalised by K)."""
    nk, m = kxn.shape
    r_b, (w_b, v_b), t_planar = _planar_recursion(kxn, ky, layers, kd)
    q, w_g, v_g = (_isotropic_grating_modes if isotropic else _grating_modes)(kxn, ky, *ops)
    # grating -> medium below: F = W_g^-1 W_b (R_b + 1), G = V_g^-1 V_b (R_b - 1)
    wb = _block_diag(w_b) * (r_b + 1.0)[:, None, :]
    vb = _block_diag(v_b) * (r_b - 1.0)[:, None, :]
    f = np.linalg.solve(w_g, wb)
    g = np.linalg.solve(v_g, vb)
    fmg = f - g
    # R at the bottom of the layer: (F + G)(F - G)^-1; transposed solve for a right division
    r_bot = np.linalg.solve(fmg.transpose(0, 2, 1), (f + g).transpose(0, 2, 1)).transpose(0, 2, 1)
    x = np.exp(1j * kh * q)
    r_top = x[:, :, None] * r_bot * x[:, None, :]
    # vacuum -> grating at z = 0
    _, _, _, _, w0, v0 = _homogeneous_modes(kxn, ky, 1.0, 1.0, True)
    w0i_wg = _block_left(_block_inv(w0), w_g)
    v0i_vg = _block_left(_block_inv(v0), v_g)
    f0 = w0i_wg @ r_top + w0i_wg
    g0 = v0i_vg @ r_top - v0i_vg
    f0mg0 = f0 - g0
    r_int = np.linalg.solve(f0mg0.transpose(0, 2, 1), (f0 + g0).transpose(0, 2, 1)).transpose(0, 2, 1)
    if not vacuum_below:
        return r_int, np.zeros_like(r_int)
    # down amplitudes: d_g(top) = 2 (F0 - G0)^-1 d_0, d_b(top) = 2 (F - G)^-1 X d_g(top)
    t_top = 2.0 * np.linalg.inv(f0mg0)
    t_int = 2.0 * np.linalg.solve(fmg, x[:, :, None] * t_top)
    return r_int, t_planar[:, :, None] * t_int


def grating_rt(omega, grating, kx, ky, n_orders, li_rules=True):
    """Reflection and transmission operators of a lamellar grating (module docstring, docs/theory.md §12).

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    grating : LamellarGrating
        The body.
    kx, ky : array_like, shape (Nk,)
        Parallel wavevectors [rad/m]; kx normally in the first Brillouin zone
        (-pi/D, pi/D], ky any. Avoid Rayleigh anomalies |k_n| = K exactly.
    n_orders : int
        N_ord >= 0: orders -N_ord..N_ord (M = 2 N_ord + 1).
    li_rules : bool
        Li's factorisation rules (default); False uses Laurent's rule for D_x (only
        to show the slow TM convergence it brings).

    Returns
    -------
    R, T : ndarray, shape (Nk, 2M, 2M), complex
        Index [k, n*2 + p, m*2 + p'], p = 0 TE, 1 TM, order index n = 0..M-1 for
        orders -N..N [1]. T is zero unless vacuum lies below.
    """
    kx_n, ky, _ = diffraction_orders(omega, grating, kx, ky, n_orders)
    k0 = omega / constants.c
    m = kx_n.shape[1]
    ridge, grooves, layers = grating.optics(omega)
    ops = _layer_operators(ridge, grooves, grating.fill, m, li_rules)
    isotropic = ridge[0] == ridge[1] and grooves[0] == grooves[1]
    kd = np.asarray(layers[2], float) * k0
    kxn = kx_n / k0
    kyn = ky / k0
    r = np.empty((ky.size, 2 * m, 2 * m), complex)
    t = np.empty_like(r)
    chunk = max(1, _CHUNK_BYTES // (16 * (2 * m) ** 2))
    for s in range(0, ky.size, chunk):
        sl = slice(s, s + chunk)
        r[sl], t[sl] = _rt_chunk(
            kxn[sl], kyn[sl], k0 * grating.height, ops, layers, kd, grating.vacuum_below, isotropic
        )
    # internal down-TM amplitude is -1 times the contract's (module docstring)
    sign = np.tile([1.0, -1.0], m)
    r *= sign[None, None, :]
    t *= sign[None, :, None] * sign[None, None, :]
    return r, t


def diffraction_orders(omega, grating, kx, ky, n_orders):
    """The orders' wavevectors k_n = (kx + n 2 pi/D, ky) and kz_n of the contract (module docstring).

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    grating : LamellarGrating
        The body (its period).
    kx, ky : array_like, shape (Nk,)
        Parallel wavevectors [rad/m].
    n_orders : int
        N_ord >= 0.

    Returns
    -------
    kx_n : ndarray, shape (Nk, M)
        x components of k_n [rad/m], orders -N..N.
    ky : ndarray, shape (Nk,)
        y component [rad/m], shared by every order.
    kz_n : ndarray, shape (Nk, M), complex
        sqrt(K^2 - |k_n|^2) with Im >= 0 [rad/m].
    """
    if not (math.isfinite(omega) and omega > 0):
        raise ValueError(f"omega must be finite and > 0 rad/s, got {omega!r}")
    n_ord = int(n_orders)
    if n_ord != n_orders or n_ord < 0:
        raise ValueError(f"n_orders must be an integer >= 0, got {n_orders!r}")
    kx = np.atleast_1d(np.asarray(kx, dtype=float))
    ky = np.atleast_1d(np.asarray(ky, dtype=float))
    if kx.shape != ky.shape or kx.ndim != 1:
        raise ValueError(f"kx and ky must be 1-d arrays of one shape, got {kx.shape} and {ky.shape}")
    k0 = omega / constants.c
    kx_n = kx[:, None] + (2.0 * math.pi / grating.period) * np.arange(-n_ord, n_ord + 1)[None, :]
    # in units of K for the square root, so that kz is exactly real for propagating orders
    kz_n = k0 * _sqrt_upper(1.0 - (kx_n / k0) ** 2 - (ky[:, None] / k0) ** 2)
    return kx_n, ky, kz_n


def transmission_from_below(t, kz_n):
    """Transmission upwards T~ (walls below -> above the body) from the contract's downward T.

    T~[k, n p, m p'] maps an upward wave below the body (order m, polarisation p', unit
    amplitude along e_p'^+(k_m), phase referenced at z_b) to upward waves above it (along
    e_p^+(k_n), referenced at z = 0). Reciprocity with the body's symmetry under the
    rotation by pi about z (ridges centred at x = 0, media uniaxial along z) gives, at the
    same k (docs/theory.md §12)::

        T~[n p, m p'] = s_pp' (kz_m / kz_n) T[m p', n p],  s = -1 when exactly one of p, p' is TE.

    Parameters
    ----------
    t : ndarray, shape (Nk, 2M, 2M), complex
        T of :func:`grating_rt` [1].
    kz_n : ndarray, shape (Nk, M), complex
        kz of the orders [rad/m] (:func:`diffraction_orders`), non-zero.

    Returns
    -------
    ndarray, shape (Nk, 2M, 2M), complex
        T~ [1].
    """
    kz = np.repeat(np.asarray(kz_n), 2, axis=1)
    size = kz.shape[1]
    pol = np.arange(size) % 2
    sign = np.where(pol[:, None] + pol[None, :] == 1, -1.0, 1.0)
    return sign * (kz[:, None, :] / kz[:, :, None]) * np.swapaxes(t, 1, 2)
