"""Mode sums of a periodic body: alpha_W, alpha_M and GR from tabulated R(k), T(k) (docs/theory.md §12b).

The body (a lamellar grating, period D along x) is known only through its
reflection and transmission operators at the k points of a quadrature
(:mod:`neqent.electrodynamics.grating_quadrature`). Everything here is
dimensionless: wavenumbers in units of K = omega/c, positions as K r.

Operator contract (what a provider ``rt(kx, ky) -> (R, T)`` returns)
--------------------------------------------------------------------
For Bloch wavevectors k = (kx, ky) [rad/m], kx in the first Brillouin zone,
orders n = -N..N (M = 2N + 1), k_n = (kx + n 2 pi/D, ky),
kz_n = sqrt(K^2 - |k_n|^2) with Im >= 0:

* ``R[k, n*2 + p, m*2 + p']`` maps a downward plane wave of order m,
  polarisation p' (0 TE, 1 TM), amplitude along e_p'^-(k_m), to the upward
  wave of order n, polarisation p, along e_p^+(k_n); phases referenced to z = 0.
* ``T`` likewise into the half-space below the body (amplitudes along
  e_p^-(k_n)); zeros (or None) when a substrate fills it.
* e_TE = z^ x k^_n (k^ = x^ at k_n = 0), e_TM^(+-) = (-+ kz k^ + |k_n| z^)/K.

With these vectors a planar body has ``R = diag(rho_TE, rho_TM)`` in every
order with the stack's rho_p of docs/theory.md §9 taken at u = |k_n|/K, and
the §4 kernels come out exactly (same sign of rho_TM: a perfect conductor has
rho_TM = +1). No extra sign or factor is needed in the mode sums below.

Mode sums (per k point; A+(r) columns e_b^+ exp(i k_b.rho + i kz_b z),
B(r) columns e_b^- exp(-i k_b.rho + i kz_b z) / kz_b, P the propagating
channels, E the evanescent ones, Z(r) = A+(r) R)::

    GR(r, r') = 3i/(4 pi) Int d2k  Z(r) B(r')^T
    W(r, r')  = 3/(8 pi) Int d2k [ sum_P F_b(r) F_b(r')^H / kz_b + sum_P kz_m Y_m(r) Y_m(r')^H ]
    M(r, r')  = 3/(8 pi) Int d2k [ sum_P (A+_b A+_b'^H - Z_b Z_b'^H) / kz_b - sum_P kz_m Y_m Y_m'^H
                                   + i sum_E (A+_e Z_e'^H - Z_e A+_e'^H) / |kz_e| ]

with F_b = A-_b + Z_b (an incoming wall wave plus its reflection) and
Y_m(r) = sum_n B_n(r) T_{m n} (the walls' waves from below, rewritten by
reciprocity with k -> -k so that only T at the same k point is needed; see
docs/theory.md §12b). M is the body's emission: the propagating emissivity
(1 - R^H R - T^H T in flux units) and the evanescent (R - R^H)/2i terms; it
equals Im(G0 + GR) - W identically.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.constants import c as C_LIGHT

from neqent.jit import njit

__all__ = [
    "KTable",
    "polarisation_vectors",
    "node_integrands",
    "chunks",
    "contract",
    "contract_pairs",
    "reciprocity_defect",
]


@dataclass
class KTable:
    """R(k), T(k) tabulated on the nodes of a k quadrature, ready to contract.

    Attributes
    ----------
    k0 : float
        K = omega / c [rad/m].
    g : float
        Reciprocal lattice step 2 pi / (K D) [K].
    orders : int
        N: orders -N..N [1].
    kx, ky : ndarray, shape (Nk,)
        Bloch wavevector of each node [K], kx in the first Brillouin zone.
    weight : ndarray, shape (Nk,)
        Quadrature weight of each node [K^2] (Jacobians included).
    kz : ndarray, shape (Nk, M), complex
        kz of every order [K], Im >= 0, exact from the substitution variable
        for the orders whose Rayleigh point bounds the node's panel.
    R, T : ndarray, shape (Nk, 2M, 2M), complex
        The operators of the module docstring [1]; T None with a substrate.
    mirror_y : bool
        The nodes cover ky >= 0 only and the body is symmetric under y -> -y: every node
        also stands for its mirror image (:meth:`mirrored`), which halves the R, T solves.
    z_min : float
        Lowest height the rule was built for [m] (its ky cut-off); lower positions are refused.
    """

    k0: float
    g: float
    orders: int
    kx: np.ndarray
    ky: np.ndarray
    weight: np.ndarray
    kz: np.ndarray
    R: np.ndarray
    T: np.ndarray | None
    mirror_y: bool = False
    z_min: float = 0.0

    def subset(self, idx) -> KTable:
        """The table restricted to the nodes ``idx`` (a shard: contract it and sum the parts)."""
        return KTable(
            self.k0,
            self.g,
            self.orders,
            self.kx[idx],
            self.ky[idx],
            self.weight[idx],
            self.kz[idx],
            self.R[idx],
            None if self.T is None else self.T[idx],
            self.mirror_y,
            self.z_min,
        )

    def mirrored(self) -> KTable:
        """The nodes reflected by y -> -y: ky -> -ky, R -> S R S, T -> S T S, S = diag(-1 TE, +1 TM).

        For a body symmetric under y -> -y (a lamellar grating) these are its operators at
        (kx, -ky): the mirror maps e_TE(k) to -e_TE(k') and e_TM^(+-)(k) to e_TM^(+-)(k').
        """
        s = np.tile([-1.0, 1.0], self.R.shape[1] // 2)
        flip = s[:, None] * s[None, :]
        return KTable(
            self.k0,
            self.g,
            self.orders,
            self.kx,
            -self.ky,
            self.weight,
            self.kz,
            self.R * flip,
            None if self.T is None else self.T * flip,
            False,
            self.z_min,
        )


def polarisation_vectors(kx, ky, g, orders, kz):
    """e^+ and e^- of every order and polarisation at every node.

    Parameters
    ----------
    kx, ky : ndarray, shape (Nk,)
        Bloch wavevector [K].
    g : float
        2 pi / (K D) [K].
    orders : int
        N [1].
    kz : ndarray, shape (Nk, M), complex
        kz of each order [K].

    Returns
    -------
    ep, em : ndarray, shape (Nk, 2M, 3), complex
        Vectors indexed [k, n*2 + p, i] [1].
    qx : ndarray, shape (Nk, M)
        kx + n g [K].
    """
    n = np.arange(-orders, orders + 1)
    qx = kx[:, None] + n[None, :] * g
    qy = np.broadcast_to(ky[:, None], qx.shape)
    q = np.hypot(qx, qy)
    safe = np.where(q > 0, q, 1.0)
    hx = np.where(q > 0, qx / safe, 1.0)  # k^ = x^ at k_n = 0 (the contract's choice)
    hy = np.where(q > 0, qy / safe, 0.0)
    nk, m = qx.shape
    ep = np.zeros((nk, m, 2, 3), complex)
    em = np.zeros((nk, m, 2, 3), complex)
    ep[:, :, 0, 0] = em[:, :, 0, 0] = -hy
    ep[:, :, 0, 1] = em[:, :, 0, 1] = hx
    ep[:, :, 1, 0] = -kz * hx
    ep[:, :, 1, 1] = -kz * hy
    em[:, :, 1, 0] = kz * hx
    em[:, :, 1, 1] = kz * hy
    ep[:, :, 1, 2] = em[:, :, 1, 2] = q
    return ep.reshape(nk, 2 * m, 3), em.reshape(nk, 2 * m, 3), qx


def _fields(table, vec, qx, pos):
    """A+ (upward waves), A- (downward, propagating only) and B (dipole's downward spectrum) at ``pos``.

    Returns arrays (Nk, 2M, 3 Np): channel b, then (position, component).
    """
    ep, em = vec
    kz = table.kz
    x, y, z = (pos[:, i] for i in range(3))
    # exp(i q.rho + i kz z) per node, order, position; evanescent orders decay with z (no overflow)
    ph_up = np.exp(1j * (qx[:, :, None] * x + table.ky[:, None, None] * y + kz[:, :, None] * z))
    prop = (kz.imag == 0) & (kz.real > 0)
    # A- = e^- exp(i q.rho - i kz z): grows for evanescent orders, needed for propagating ones only
    lat = np.exp(1j * (qx[:, :, None] * x + table.ky[:, None, None] * y))
    ph_dn = np.where(prop[:, :, None], lat * np.exp(-1j * kz.real[:, :, None] * z), 0.0)
    ph_b = np.exp(1j * (-qx[:, :, None] * x - table.ky[:, None, None] * y + kz[:, :, None] * z)) / kz[:, :, None]
    nk, m = kz.shape
    npos = pos.shape[0]

    def expand(vecs, ph):
        ph2 = np.repeat(ph, 2, axis=1)  # (Nk, 2M, Np)
        return (vecs[:, :, None, :] * ph2[:, :, :, None]).reshape(nk, 2 * m, 3 * npos)

    return expand(ep, ph_up), expand(em, ph_dn), expand(em, ph_b), np.repeat(prop, 2, axis=1)


@njit(nogil=True)  # contractions of several parts run in threads
def _pair_sums(weight, per_node, a_up, a_dn, b_dn, z_up, y_up, inv_p, inv_e, kz_p, p1, p2, w_out, m_out, g_out):
    """Accumulate the mode sums of the module docstring (without the 3/8pi, 3i/4pi factors).

    ``per_node``: write node k to row k (weights 1) instead of summing weight_k * node k into row 0.
    Propagating channels (inv_p > 0) carry W and the propagating emission, evanescent ones
    (inv_e > 0) the (R - R^H)/2i emission; every channel carries GR.
    """
    nk, m2, _ = a_up.shape
    for k in range(nk):
        o = k if per_node else 0
        wk = 1.0 if per_node else weight[k]
        for pr in range(p1.size):
            c1 = 3 * p1[pr]
            c2 = 3 * p2[pr]
            for b in range(m2):
                ip = inv_p[k, b] * wk
                ie = inv_e[k, b] * wk
                kp = kz_p[k, b] * wk
                for i in range(3):
                    zi = z_up[k, b, c1 + i]
                    ai = a_up[k, b, c1 + i]
                    for j in range(3):
                        zj = z_up[k, b, c2 + j]
                        aj = a_up[k, b, c2 + j]
                        g_out[o, pr, i, j] += wk * zi * b_dn[k, b, c2 + j]
                        if ip != 0.0:
                            fi = a_dn[k, b, c1 + i] + zi
                            fj = a_dn[k, b, c2 + j] + zj
                            w_out[o, pr, i, j] += ip * fi * fj.conjugate()
                            m_out[o, pr, i, j] += ip * (ai * aj.conjugate() - zi * zj.conjugate())
                        elif ie != 0.0:
                            m_out[o, pr, i, j] += 1j * ie * (ai * zj.conjugate() - zi * aj.conjugate())
                        if kp != 0.0:
                            yy = kp * y_up[k, b, c1 + i] * y_up[k, b, c2 + j].conjugate()
                            w_out[o, pr, i, j] += yy
                            m_out[o, pr, i, j] -= yy


# y -> -y on tensor components: the mirror image of a node acts as S X S
_S = np.array([1.0, -1.0, 1.0])


def _mirror_plan(pos, pairs):
    """Positions and pairs whose sums over the tabulated (ky >= 0) nodes give their mirror images too.

    For a body symmetric under y -> -y the image (kx, -ky) of a node adds S X(Sr, Sr') S,
    Sr = (x, -y, z). Node by node X depends on y - y' only (the body is uniform along y),
    so X(Sr, Sr') = X(r~, r~') with r~ = (x, y', z), r~' = (x', y, z'): the pair's own
    positions when y = y' (a pair along x, every self block) or when x, z are shared (a
    pair along y). The images then cost nothing instead of a second pass over the nodes.

    Returns
    -------
    pos : ndarray, shape (Np', 3)
        The positions to evaluate.
    pairs : ndarray, shape (Npair', 2), int
        The pairs to sum over the tabulated nodes.
    direct, image : ndarray, shape (Npair,), int
        Rows of those sums holding X(r, r') and X(r~, r~') of each requested pair.
    """
    a, b = pos[pairs[:, 0]], pos[pairs[:, 1]]
    ia = np.column_stack([a[:, 0], b[:, 1], a[:, 2]])
    ib = np.column_stack([b[:, 0], a[:, 1], b[:, 2]])
    npos, npair = pos.shape[0], pairs.shape[0]
    allpos, inv = np.unique(np.concatenate([pos, ia, ib]), axis=0, return_inverse=True)
    inv = np.ravel(inv)
    direct = inv[pairs]
    image = np.stack([inv[npos : npos + npair], inv[npos + npair :]], 1)
    allpairs, pinv = np.unique(np.concatenate([direct, image]), axis=0, return_inverse=True)
    pinv = np.ravel(pinv)
    return allpos, allpairs, pinv[:npair], pinv[npair:]


def _plan(pos, pairs, table):
    """:func:`_mirror_plan` for a mirror table, else the positions and pairs as they are."""
    if table.mirror_y:
        return _mirror_plan(pos, pairs)
    return pos, pairs, np.arange(pairs.shape[0]), None


def _with_images(raw, direct, image, mirror_y):
    """X(r, r') + S X(r~, r~') S (mirror images, see :func:`_mirror_plan`), or X itself."""
    if not mirror_y:
        return raw[..., direct, :, :]
    flip = _S[:, None] * _S[None, :]
    return raw[..., direct, :, :] + flip * raw[..., image, :, :]


def _raw_sums(table, pos, pairs, per_node, out):
    """Accumulate the unscaled mode sums of the tabulated nodes only into ``out`` (W, M, GR)."""
    ep, em, qx = polarisation_vectors(table.kx, table.ky, table.g, table.orders, table.kz)
    a_up, a_dn, b_dn, prop = _fields(table, (ep, em), qx, pos)
    kz2 = np.repeat(table.kz, 2, axis=1)
    # Z = A+ R: the one O((2M)^2) product per position and node (R^T acts on the channel index)
    z_up = np.matmul(np.swapaxes(table.R, 1, 2), a_up)
    inv_p = np.where(prop, 1.0 / np.where(prop, kz2.real, 1.0), 0.0)  # 1/kz on P, 0 on E
    inv_e = np.where(prop, 0.0, 1.0 / np.abs(kz2))  # 1/|kz| on E
    if table.T is not None:
        # Y_m = sum_n B_n T_{m n} (rows m propagating): the walls' waves from below, by reciprocity
        y_up = np.matmul(table.T, b_dn)
        kz_p = np.where(prop, kz2.real, 0.0)
    else:
        y_up = np.zeros((1, 1, 1), complex)
        kz_p = np.zeros(inv_p.shape)
    _pair_sums(
        np.ascontiguousarray(table.weight, dtype=float),
        per_node,
        a_up,
        a_dn,
        b_dn,
        z_up,
        y_up,
        inv_p,
        inv_e,
        kz_p,
        np.ascontiguousarray(pairs[:, 0]),
        np.ascontiguousarray(pairs[:, 1]),
        *out,
    )


def _scaled(w, m, g):
    return (3 / (8 * np.pi)) * w, (3 / (8 * np.pi)) * m, (3j / (4 * np.pi)) * g


def node_integrands(table, pos, pairs):
    """Per-node integrands of W, M, GR for the position pairs ``pairs`` (weights not applied).

    Parameters
    ----------
    table : KTable
        Tabulated operators.
    pos : ndarray, shape (Np, 3)
        Positions [K^-1] (K r), z > 0.
    pairs : ndarray, shape (Npair, 2), int
        Index pairs (q, q') into ``pos``.

    Returns
    -------
    W, M, GR : ndarray, shape (Nk, Npair, 3, 3), complex
        Integrands [1] such that sum_k weight_k X[k] is the tensor of docs/theory.md §12b.
    """
    allpos, allpairs, direct, image = _plan(np.asarray(pos, dtype=float), np.asarray(pairs, dtype=np.int64), table)
    out = [np.zeros((table.kx.size, allpairs.shape[0], 3, 3), complex) for _ in range(3)]
    _raw_sums(table, allpos, allpairs, True, out)
    return _scaled(*(_with_images(x, direct, image, table.mirror_y) for x in out))


def chunks(nk, npos, npair, m2, budget=2**24):
    """Node chunks whose intermediate arrays stay within ``budget`` complex numbers."""
    per = max(1, budget // max(1, m2 * (m2 + 12 * npos + 6 * npair) + 30 * npair))
    return [slice(i, min(nk, i + per)) for i in range(0, nk, per)]


def contract(table, positions, pairs=None):
    """W, M, GR between pairs of ``positions`` (one quadrature for all).

    Parameters
    ----------
    table : KTable
        Tabulated operators (or a shard of them: the result is then that shard's share,
        and the shares add up; sum them in a fixed order for identical bits).
    positions : array_like, shape (Np, 3)
        Absolute positions (x, y, z) [m], z > 0.
    pairs : array_like, shape (Npair, 2), int, optional
        Index pairs (q, q') into ``positions``; default every ordered pair.

    Returns
    -------
    W, M, GR : ndarray, shape (Npair, 3, 3), complex
        [pair, i, j]: alpha_W, alpha_M [Gamma0] and the normalised reflected Green
        tensor [1] between positions q and q' (docs/theory.md §12b). Without
        ``pairs`` the shape is (Np, Np, 3, 3), indexed [q, q', i, j].
    """
    pos = np.asarray(positions, dtype=float)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise ValueError(f"positions need shape (Np, 3) in m, got {pos.shape}")
    if not np.all(np.isfinite(pos)) or np.any(pos[:, 2] <= 0):
        raise ValueError("positions must be finite with z > 0 m (above the grating)")
    if np.any(pos[:, 2] < table.z_min * (1 - 1e-9)):
        low = float(pos[:, 2].min())
        raise ValueError(f"a position at z = {low:g} m is below the rule's z_min = {table.z_min:g} m; rebuild the rule")
    pk = pos * table.k0
    npos = pk.shape[0]
    square = pairs is None
    if square:
        pairs = np.stack(np.meshgrid(np.arange(npos), np.arange(npos), indexing="ij"), -1).reshape(-1, 2)
    pairs = np.asarray(pairs, dtype=np.int64)
    allpos, allpairs, direct, image = _plan(pk, pairs, table)
    # one accumulator for every chunk: the sum runs over the nodes in table order whatever the
    # chunking (set by the positions and the memory), so a pair's bits do not depend on its company
    raw = [np.zeros((1, allpairs.shape[0], 3, 3), complex) for _ in range(3)]
    for sl in chunks(table.kx.size, allpos.shape[0], allpairs.shape[0], table.R.shape[1]):
        _raw_sums(table.subset(sl), allpos, allpairs, False, raw)
    out = _scaled(*(_with_images(x[0], direct, image, table.mirror_y) for x in raw))
    if square:
        return tuple(o.reshape(npos, npos, 3, 3) for o in out)
    return tuple(out)


def contract_pairs(table, r1, r2):
    """The Body-style blocks of many qubit pairs, all from one table.

    Parameters
    ----------
    table : KTable
        Tabulated operators.
    r1, r2 : array_like, shape (N, 3)
        Positions of qubits 1 and 2 [m], z > 0.

    Returns
    -------
    W, M, GR : ndarray, shape (N, 2, 2, 3, 3), complex
        Indexed [n, q, q', i, j] as :meth:`neqent.electrodynamics.body.Body.pair_block`.
    """
    a = np.atleast_2d(np.asarray(r1, dtype=float))
    b = np.atleast_2d(np.asarray(r2, dtype=float))
    a, b = np.broadcast_arrays(a, b)
    n = a.shape[0]
    # all distinct positions once: a pair costs its two positions' A+ R products, shared
    allpos, inv = np.unique(np.concatenate([a, b]), axis=0, return_inverse=True)
    inv = np.ravel(inv)
    i1, i2 = inv[:n], inv[n:]
    pairs = np.stack([np.stack([i1, i1], 1), np.stack([i1, i2], 1), np.stack([i2, i1], 1), np.stack([i2, i2], 1)], 1)
    W, M, GR = contract(table, allpos, pairs.reshape(-1, 2))
    return tuple(x.reshape(n, 2, 2, 3, 3) for x in (W, M, GR))


def reciprocity_defect(rt, omega, period, orders, kx, ky):
    """Largest violation of the reciprocity relation the mode sums assume, for a provider ``rt``.

    R_{np,mp'}(k) = s_p s_p' (kz_m / kz_n) R_{-m p', -n p}(-k), s_TE = -1, s_TM = +1
    (docs/theory.md §12b; the same relation, applied to T, turns the walls' waves from below
    into T at the same k). A provider whose sign conventions differ from the contract fails it.

    Parameters
    ----------
    rt : callable
        ``rt(kx, ky) -> (R, T)`` of the contract.
    omega : float
        Angular frequency [rad/s].
    period : float
        Period D [m].
    orders : int
        N [1].
    kx, ky : array_like, shape (Nk,)
        Test points [rad/m], kx strictly inside the Brillouin zone.

    Returns
    -------
    float
        max |R(k) - relation(R(-k))| over the propagating-or-evanescent channels [1].
    """
    kx = np.asarray(kx, float)
    ky = np.asarray(ky, float)
    k0 = omega / C_LIGHT
    r_plus = rt(kx, ky)[0]
    r_minus = rt(-kx, -ky)[0]
    n = np.arange(-orders, orders + 1)
    qx = (kx[:, None] + n * 2 * np.pi / period) / k0
    kz = np.sqrt((1 - qx**2 - (ky[:, None] / k0) ** 2).astype(complex))
    kz = np.where(kz.imag < 0, -kz, kz)
    kz2 = np.repeat(kz, 2, axis=1)
    sgn = np.tile([-1.0, 1.0], n.size)
    m2 = 2 * n.size
    flip = np.array([2 * (n.size - 1 - c // 2) + c % 2 for c in range(m2)])  # (n, p) -> (-n, p)
    expected = np.swapaxes(r_minus[:, flip][:, :, flip], 1, 2)
    expected = expected * (sgn[:, None] * sgn[None, :]) * kz2[:, None, :] / kz2[:, :, None]
    return float(np.abs(r_plus - expected).max())
