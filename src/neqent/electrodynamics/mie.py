"""Mie coefficients and multipole sums of a sphere by scaled recurrences (docs/theory.md §13).

Everything is expressed through the Riccati-Bessel functions psi_l(z) = z j_l(z)
and xi_l(z) = z h_l^(1)(z) and is *scaled* by xi_l(x) (x = K R, the size
parameter), so that nothing over- or underflows up to l ~ 1e4 even when
psi_l(x) ~ x^(l+1)/(2l+1)!! and xi_l(x) ~ (2l-1)!!/x^l leave the double range
(a qubit nm above a micron sphere):

* per (omega, sphere), :func:`mie_table`: the channel amplitudes
  tau_l = t_l xi_l(x)^2 and the channel weights w^_l = (Re t_l - |t_l|^2) |xi_l(x)|^2,
  both bounded, for t = a_l (TM) and b_l (TE) in the Bohren-Huffman convention;
* per position, :func:`radial_table`: eta_l(z) = xi_l(z) / xi_l(x) (<= 1 outside
  the sphere) and c_l(z) = psi_l(z) / conj(xi_l(x)) (super-exponentially small
  for l > z), only from ratios of neighbouring orders;
* per pair, :func:`pair_sums`: the sums over l of the radial products times
  Legendre functions of the angle between the two positions seen from the
  centre (the sum over m done in closed form), so a point costs O(l_max).

Only ratio and log-derivative recurrences in their stable directions are used:
xi_l upward (|xi_l| grows with l), psi_l/psi_{l-1} and D_l = psi_l'/psi_l
downward (the minimal solution).
"""

from __future__ import annotations

import math

import numpy as np

from neqent.electrodynamics.green import vacuum_green_scalar
from neqent.jit import njit

__all__ = [
    "mie_table",
    "mie_coefficients",
    "radial_table",
    "w_orders",
    "pair_sums",
    "pair_bases",
    "sphere_block_kernel",
    "N_TABLE",
    "N_RADIAL",
    "N_SUMS",
]

#: Columns of :func:`mie_table`: q, tau_a, tau_b, w_a, w_b, |1/xi_l(x)|^2, 1/q.
N_TABLE = 7
#: Columns of :func:`radial_table`: O_phi, O_psi, O_y, J_phi, J_psi, J_y.
N_RADIAL = 6
#: Angular sums per quantity (see :func:`pair_sums`).
N_SUMS = 7

_SIX_PI = 6.0 * math.pi


# ---------------------------------------------------------------------------
# Riccati-Bessel ratios


@njit
def _xi_ratios(z, lmax, out):
    """out[l] = xi_l(z) / xi_{l-1}(z) for l = 1..lmax (upward: stable, |xi_l| grows with l)."""
    q = complex(1.0 / z, -1.0)  # xi_1/xi_0 with xi_0 = -i e^{iz}, xi_1 = -e^{iz}(1 + i/z)
    out[0] = 0.0
    if lmax >= 1:
        out[1] = q
    for l in range(1, lmax):
        q = (2.0 * l + 1.0) / z - 1.0 / q
        out[l + 1] = q


@njit
def _psi_ratios(z, lmax, out):
    """out[l] = psi_l(z) / psi_{l-1}(z), l = 1..lmax, real z (downward: psi is the minimal solution)."""
    start = max(lmax, int(z)) + 24
    r = 0.0
    for l in range(start, 0, -1):
        r = 1.0 / ((2.0 * l + 1.0) / z - r)
        if l <= lmax:
            out[l] = r
    out[0] = 0.0


@njit
def _log_derivative(mz, lmax, out):
    """out[l] = D_l(mz) = psi_l'(mz) / psi_l(mz), complex argument, downward from far above."""
    start = max(lmax, int(abs(mz))) + 24
    d = 0.0 + 0.0j  # D_start; the error of this guess dies out going down
    for l in range(start, 0, -1):
        if l <= lmax:
            out[l] = d
        d = l / mz - 1.0 / (d + l / mz)  # D_{l-1} from D_l
    out[0] = d


# ---------------------------------------------------------------------------
# Per (omega, sphere): scaled Mie coefficients


@njit
def _mie_table_kernel(x, m, lmax, out):
    q = np.empty(lmax + 1, np.complex128)
    rho = np.empty(lmax + 1, np.float64)
    dm = np.empty(lmax + 1, np.complex128)
    _xi_ratios(x, lmax, q)
    _psi_ratios(x, lmax, rho)
    _log_derivative(m * x, lmax, dm)
    # p_l = psi_l(x) xi_l(x), bounded (~ -i x/(2l+1) for l >> x), built from ratios
    p_prev = math.sin(x) * (-1j) * complex(math.cos(x), math.sin(x))
    s = 1j * complex(math.cos(x), -math.sin(x))  # 1/xi_0(x)
    out[0, :] = 0.0
    for l in range(1, lmax + 1):
        ql = q[l]
        p = p_prev * rho[l] * ql
        s = s / ql
        out[l, 0] = ql
        out[l, 5] = (s * s.conjugate()).real
        out[l, 6] = 1.0 / ql  # divisions once per sphere, multiplications per position
        for col, a in ((1, dm[l] / m + l / x), (2, m * dm[l] + l / x)):
            # t = (A psi_l - psi_{l-1}) / (A xi_l - xi_{l-1}); times xi_l^2, with
            # xi_l psi_{l-1} = p_{l-1} q_l and xi_{l-1}/xi_l = 1/q_l:
            den = a * ql - 1.0
            out[l, col] = ql * (a * p - p_prev * ql) / den
            # Re t - |t|^2 = -Im A / |A xi_l - xi_{l-1}|^2 (Wronskian psi_{l-1} chi_l - psi_l chi_{l-1} = -1):
            # exactly 0 for a real A (lossless sphere), never a difference of rounded O(1) numbers
            out[l, col + 2] = -a.imag * (ql * ql.conjugate()).real / (den * den.conjugate()).real
        p_prev = p


def mie_table(x, m, lmax):
    """Scaled Mie coefficients of orders 0..lmax (row 0 unused).

    Parameters
    ----------
    x : float
        Size parameter K R [1], > 0.
    m : complex
        Refractive index sqrt(eps) [1], Im >= 0.
    lmax : int
        Highest order [1].

    Returns
    -------
    ndarray, shape (lmax + 1, 7), complex
        Columns q_l = xi_l(x)/xi_{l-1}(x), tau^a_l = a_l xi_l(x)^2, tau^b_l,
        w^a_l = (Re a_l - |a_l|^2) |xi_l(x)|^2, w^b_l, |1/xi_l(x)|^2, 1/q_l (docs/theory.md §13).
    """
    out = np.empty((int(lmax) + 1, N_TABLE), np.complex128)
    _mie_table_kernel(float(x), complex(m), int(lmax), out)
    return out


def mie_coefficients(x, m, lmax):
    """Bohren-Huffman Mie coefficients a_l, b_l, l = 1..lmax (for tests; underflow to 0 at high l).

    Parameters
    ----------
    x : float
        Size parameter K R [1].
    m : complex
        Refractive index [1], Im >= 0.
    lmax : int
        Highest order [1].

    Returns
    -------
    a, b : ndarray, shape (lmax,), complex
        TM and TE coefficients; a lossless sphere has |t - 1/2| = 1/2.
    """
    tab = mie_table(x, m, lmax)
    # 1/xi_l(x)^2 from the ratios; underflows harmlessly to 0
    inv = np.cumprod(1.0 / tab[1:, 0]) * (1j * np.exp(-1j * x))
    return tab[1:, 1] * inv**2, tab[1:, 2] * inv**2


# ---------------------------------------------------------------------------
# Per position: scaled radial functions


@njit
def _radial_kernel(z, x, inv_qx, lmax, lw, out):
    """Scaled radial functions of the outgoing (O) and regular (J) waves at z = K r.

    O_phi = h_l(z)/xi_l(x), O_psi = (xi_l'(z)/z)/xi_l(x), O_y = l(l+1) h_l(z)/(z xi_l(x))
    for l <= lmax; J the same with psi_l(z), divided by conj(xi_l(x)), for l <= lw (0 above).
    """
    lw = min(lw, lmax)
    qz = np.empty(lmax + 1, np.complex128)
    rz = np.empty(lw + 1, np.float64)
    _xi_ratios(z, lmax, qz)
    _psi_ratios(z, lw, rz)
    eta_prev = complex(math.cos(z - x), math.sin(z - x))  # xi_0(z)/xi_0(x)
    c_prev = -1j * complex(math.cos(x), math.sin(x)) * math.sin(z)  # psi_0(z)/conj(xi_0(x))
    out[0, :] = 0.0
    iz = 1.0 / z
    iz2 = iz * iz
    for l in range(1, lmax + 1):
        iq = inv_qx[l]
        eta = eta_prev * qz[l] * iq
        big = l * (l + 1.0)
        out[l, 0] = eta * iz
        # xi_l' = xi_{l-1} - l xi_l / z, with xi_{l-1}(z)/xi_l(x) = eta_{l-1}/q_l(x): no division by xi_l(z)
        out[l, 1] = (eta_prev * iq - l * eta * iz) * iz
        out[l, 2] = big * eta * iz2
        eta_prev = eta
        if l <= lw:
            iqc = iq.conjugate()
            c = c_prev * rz[l] * iqc
            out[l, 3] = c * iz
            out[l, 4] = (c_prev * iqc - l * c * iz) * iz
            out[l, 5] = big * c * iz2
            c_prev = c
        else:
            out[l, 3] = 0.0
            out[l, 4] = 0.0
            out[l, 5] = 0.0


def w_orders(x):
    """Orders that alpha_W - Im G0 needs [1]: a far-field Mie series (Wiscombe's rule with a wide margin).

    Parameters
    ----------
    x : float
        Size parameter K R [1].

    Returns
    -------
    int
        The highest order [1].
    """
    return int(math.ceil(x + 8.0 * x ** (1.0 / 3.0) + 40.0))


def radial_table(z, x, q_x, lmax):
    """Scaled radial functions at one distance from the centre.

    Parameters
    ----------
    z : float
        K r [1], r the distance from the centre, > x.
    x : float
        Size parameter K R [1].
    q_x : ndarray, shape (>= lmax + 1,), complex
        Column 0 of :func:`mie_table`.
    lmax : int
        Highest order [1].

    Returns
    -------
    ndarray, shape (lmax + 1, 6), complex
        O_phi, O_psi, O_y, J_phi, J_psi, J_y (docs/theory.md §13).
    """
    out = np.empty((int(lmax) + 1, N_RADIAL), np.complex128)
    inv = np.zeros(int(lmax) + 1, np.complex128)
    inv[1:] = 1.0 / np.asarray(q_x)[1 : int(lmax) + 1]
    _radial_kernel(float(z), float(x), inv, int(lmax), int(lmax), out)
    return out


# ---------------------------------------------------------------------------
# Per pair: sums over l with the m-sum in closed form


@njit
def pair_sums(rad1, rad2, u, tab, lmax, lw, acc_g, acc_m, acc_w):
    """Sums over l = 1..lmax of the seven angular structures for one pair (numba, pure).

    Parameters
    ----------
    rad1, rad2 : ndarray, shape (>= lmax + 1, 6), complex
        :func:`radial_table` of the two positions (J columns needed up to ``lw``).
    u : float
        Cosine of the angle between the two positions seen from the centre [1].
    tab : ndarray, shape (>= lmax + 1, 7), complex
        :func:`mie_table`.
    lmax : int
        Highest order of GR and alpha_M [1] (the near-field sums).
    lw : int
        Highest order of alpha_W - Im G0 [1]: its terms all carry t_l and fall
        super-exponentially beyond the size parameter, like a far-field Mie series.
    acc_g, acc_m, acc_w : ndarray, shape (7,), complex
        Receive the sums for GR, alpha_M and alpha_W - Im G0, without the
        prefactors (-6 pi i, 6 pi, 6 pi). Index k multiplies the tensor E_k of
        docs/theory.md §13: 0 N f'' a b^T, 1 N f' P P', 2 M f'' (Ca)(C'b)^T,
        3 M f' C C'^T, 4 N f' a n'^T, 5 N f' n b^T, 6 N f n n'^T.
    """
    for k in range(N_SUMS):
        acc_g[k] = 0.0
        acc_m[k] = 0.0
        acc_w[k] = 0.0
    p_prev, p = 1.0, u  # Legendre P_{l-1}, P_l
    d_prev, d = 0.0, 1.0  # P'_{l-1}, P'_l
    dd_prev, dd = 0.0, 0.0  # P''_{l-1}, P''_l
    inv4pi = 1.0 / (4.0 * math.pi)
    # on one ray from the centre (u = 1: the same qubit, or one above the other) a = b = 0,
    # so E_0, E_2, E_4, E_5 vanish and their sums are skipped
    full = u != 1.0
    for l in range(1, lmax + 1):
        scale = (2.0 * l + 1.0) * inv4pi / (l * (l + 1.0))  # (2l+1)/(4 pi) from the m-sum, 1/L of the channel
        f, f1, f2 = scale * p, scale * d, scale * dd
        ta, tb, wa, wb = tab[l, 1], tab[l, 2], tab[l, 3].real, tab[l, 4].real
        o1p, o1s, o1y = rad1[l, 0], rad1[l, 1], rad1[l, 2]
        o2p, o2s, o2y = rad2[l, 0], rad2[l, 1], rad2[l, 2]
        # radial products of the channels: TM (a_l, N waves: transverse Psi, radial Y), TE (b_l, M waves: Phi)
        ss, sy, ys, yy, pp = o1s * o2s, o1s * o2y, o1y * o2s, o1y * o2y, o1p * o2p
        o2sc, o2yc, o2pc = o2s.conjugate(), o2y.conjugate(), o2p.conjugate()
        ssc, syc, ysc, yyc, ppc = o1s * o2sc, o1s * o2yc, o1y * o2sc, o1y * o2yc, o1p * o2pc
        acc_g[1] += f1 * ta * ss
        acc_g[3] += f1 * tb * pp
        acc_g[6] += f * ta * yy
        acc_m[1] += f1 * wa * ssc
        acc_m[3] += f1 * wb * ppc
        acc_m[6] += f * wa * yyc
        if full:
            acc_g[0] += f2 * ta * ss
            acc_g[2] += f2 * tb * pp
            acc_g[4] += f1 * ta * sy
            acc_g[5] += f1 * ta * ys
            acc_m[0] += f2 * wa * ssc
            acc_m[2] += f2 * wb * ppc
            acc_m[4] += f1 * wa * syc
            acc_m[5] += f1 * wa * ysc
        if l <= lw:
            # alpha_W - Im G0 per channel: -J (t O')^* - t O J'^* + |t|^2 O O'^* (docs/theory.md §13)
            s2 = tab[l, 5].real
            j1p, j1s, j1y = rad1[l, 3], rad1[l, 4], rad1[l, 5]
            j2p, j2s, j2y = rad2[l, 3], rad2[l, 4], rad2[l, 5]
            tac, tbc = ta.conjugate(), tb.conjugate()
            aa = (ta * tac).real * s2
            bb = (tb * tbc).real * s2
            wss = -tac * j1s * o2sc - ta * o1s * j2s.conjugate() + aa * ssc
            wsy = -tac * j1s * o2yc - ta * o1s * j2y.conjugate() + aa * syc
            wys = -tac * j1y * o2sc - ta * o1y * j2s.conjugate() + aa * ysc
            wyy = -tac * j1y * o2yc - ta * o1y * j2y.conjugate() + aa * yyc
            wpp = -tbc * j1p * o2pc - tb * o1p * j2p.conjugate() + bb * ppc
            acc_w[0] += f2 * wss
            acc_w[1] += f1 * wss
            acc_w[2] += f2 * wpp
            acc_w[3] += f1 * wpp
            acc_w[4] += f1 * wsy
            acc_w[5] += f1 * wys
            acc_w[6] += f * wyy
        # Legendre recurrences: (l+1) P_{l+1} = (2l+1) u P_l - l P_{l-1};
        # P'_{l+1} = P'_{l-1} + (2l+1) P_l; P''_{l+1} = P''_{l-1} + (2l+1) P'_l
        p_next = ((2.0 * l + 1.0) * u * p - l * p_prev) / (l + 1.0)
        d_next = d_prev + (2.0 * l + 1.0) * p
        dd_next = dd_prev + (2.0 * l + 1.0) * d
        p_prev, p = p, p_next
        d_prev, d = d, d_next
        dd_prev, dd = dd, dd_next


# ---------------------------------------------------------------------------
# Whole blocks


@njit
def _cross(n):
    c = np.zeros((3, 3))
    c[0, 1], c[0, 2] = -n[2], n[1]
    c[1, 0], c[1, 2] = n[2], -n[0]
    c[2, 0], c[2, 1] = -n[1], n[0]
    return c


@njit
def pair_bases(n1, n2):
    """The seven tensors E_k of the pair (docs/theory.md §13) for unit vectors n1, n2 from the centre."""
    u = min(1.0, max(-1.0, n1[0] * n2[0] + n1[1] * n2[1] + n1[2] * n2[2]))
    a = n2 - u * n1
    b = n1 - u * n2
    p1 = np.eye(3) - np.outer(n1, n1)
    p2 = np.eye(3) - np.outer(n2, n2)
    c1 = _cross(n1)
    c2 = _cross(n2)
    e = np.empty((N_SUMS, 3, 3))
    e[0] = np.outer(a, b)
    e[1] = p1 @ p2
    e[2] = np.outer(c1 @ a, c2 @ b)
    e[3] = c1 @ c2.T
    e[4] = np.outer(a, n2)
    e[5] = np.outer(n1, b)
    e[6] = np.outer(n1, n2)
    return u, e


@njit
def sphere_block_kernel(k, x, tab, pos1, pos2, centre, lmax, lw_all, w_out, m_out, g_out):
    """W, M, GR blocks (N, 2, 2, 3, 3) of a sphere for N pairs of positions (numba, pure).

    Parameters
    ----------
    k : float
        K = omega / c [1/m].
    x : float
        Size parameter K R [1].
    tab : ndarray, shape (>= max(lmax) + 1, 7), complex
        :func:`mie_table` at this frequency.
    pos1, pos2 : ndarray, shape (N, 3)
        Positions [m], outside the sphere.
    centre : ndarray, shape (3,)
        Centre of the sphere [m].
    lmax : ndarray, shape (N,), int
        Highest order per point [1].
    lw_all : int
        Highest order of alpha_W - Im G0 [1], :func:`w_orders`.
    w_out, m_out, g_out : ndarray, shape (N, 2, 2, 3, 3), complex
        Receive alpha_W, alpha_M [Gamma0] and GR [1].
    """
    n_pts = pos1.shape[0]
    acc_g = np.empty(N_SUMS, np.complex128)
    acc_m = np.empty(N_SUMS, np.complex128)
    acc_w = np.empty(N_SUMS, np.complex128)
    g0 = np.empty((3, 3), np.complex128)
    for i in range(n_pts):
        lm = lmax[i]
        lw = min(lm, lw_all)
        pts = (pos1[i], pos2[i])
        rv1 = pts[0] - centre
        rv2 = pts[1] - centre
        r1 = math.sqrt(rv1[0] ** 2 + rv1[1] ** 2 + rv1[2] ** 2)
        r2 = math.sqrt(rv2[0] ** 2 + rv2[1] ** 2 + rv2[2] ** 2)
        rad1 = np.empty((lm + 1, N_RADIAL), np.complex128)
        rad2 = np.empty((lm + 1, N_RADIAL), np.complex128)
        _radial_kernel(k * r1, x, tab[:, 6], lm, lw, rad1)
        _radial_kernel(k * r2, x, tab[:, 6], lm, lw, rad2)
        units = (rv1 / r1, rv2 / r2)
        rads = (rad1, rad2)
        for q, qp in ((0, 0), (0, 1), (1, 1)):
            u, e = pair_bases(units[q], units[qp])
            pair_sums(rads[q], rads[qp], u, tab, lm, lw, acc_g, acc_m, acc_w)
            dv = pts[q] - pts[qp]
            same = dv[0] == 0.0 and dv[1] == 0.0 and dv[2] == 0.0
            if not same:
                vacuum_green_scalar(k * dv[0], k * dv[1], k * dv[2], g0)
            for a in range(3):
                for b in range(3):
                    sg = 0.0j
                    sm = 0.0j
                    sw = 0.0j
                    for s in range(N_SUMS):
                        sg += acc_g[s] * e[s, a, b]
                        sm += acc_m[s] * e[s, a, b]
                        sw += acc_w[s] * e[s, a, b]
                    im_g0 = (1.0 if a == b else 0.0) if same else g0[a, b].imag
                    g_out[i, q, qp, a, b] = -1j * _SIX_PI * sg
                    m_out[i, q, qp, a, b] = _SIX_PI * sm
                    w_out[i, q, qp, a, b] = im_g0 + _SIX_PI * sw
        # the pair (2, 1) by reciprocity: GR^{21} = (GR^{12})^T, alpha^{21} = (alpha^{12})^H
        for a in range(3):
            for b in range(3):
                g_out[i, 1, 0, a, b] = g_out[i, 0, 1, b, a]
                m_out[i, 1, 0, a, b] = m_out[i, 0, 1, b, a].conjugate()
                w_out[i, 1, 0, a, b] = w_out[i, 0, 1, b, a].conjugate()
