"""The shared kernel quadrature: Bessel functions, integrands, the per-point core and the batch loop.

Used by the slab (:mod:`neqent.electrodynamics.kernels`) and the stack
(:mod:`neqent.electrodynamics.stack_kernels`) paths. Moved from
:mod:`neqent.electrodynamics.kernels`; see its docstring for the design.
"""

from __future__ import annotations

import math

import llvmlite.binding as _llvm
import numpy as np
from numba import types
from numba.extending import get_cython_function_address

from neqent.electrodynamics.panels import (
    PHASE_PER_PANEL,
    body_coefficients,
    body_rates,
    evanescent_breaks,
    evanescent_cutoff,
    propagative_breaks,
)
from neqent.electrodynamics.slab_poles import MAX_POLES, find_slab_singularities
from neqent.electrodynamics.stack import MAX_STACK_SING, locate_stack_singularities, medium_table
from neqent.jit import njit

__all__ = [
    "DEFAULT_ORDER",
    "SINGULARITY_CACHE",
    "bessel_j012",
    "check_passive_eps",
    "integrate_points",
    "nodes_used",
]

# ---------------------------------------------------------------------------
# Bessel functions: scipy's cython_special j0/j1 (cephes) called from numba.
# The addresses are registered as named LLVM symbols, so the numba code refers
# to them by name and `cache=True` stays valid across processes (a raw ctypes
# pointer would be baked into the cache and break with address randomisation).
for _name in ("j0", "j1"):
    _llvm.add_symbol("neqent_scipy_" + _name, get_cython_function_address("scipy.special.cython_special", _name))
_j0 = types.ExternalFunction("neqent_scipy_j0", types.float64(types.float64, types.int32))
_j1 = types.ExternalFunction("neqent_scipy_j1", types.float64(types.float64, types.int32))

DEFAULT_ORDER = 16  # Gauss-Legendre nodes per panel

_last_nodes = np.zeros(1, dtype=np.int64)


@njit
def bessel_j012(x):
    """Bessel functions J0(x), J1(x), J2(x) for real x >= 0 (J2 from its series for x < 1).

    Parameters
    ----------
    x : float
        Argument [1], >= 0.

    Returns
    -------
    j0, j1, j2 : float
        J0(x), J1(x), J2(x) [1].
    """
    j0 = _j0(x, 0)
    j1 = _j1(x, 0)
    if x < 1.0:
        # J2 = sum_k (-1)^k (x/2)^(2k+2) / (k! (k+2)!): 2 J1/x - J0 cancels here.
        h2 = 0.25 * x * x
        term = 0.5 * h2
        j2 = term
        for k in range(1, 10):
            term *= -h2 / (k * (k + 2.0))
            j2 += term
    else:
        j2 = 2.0 * j1 / x - j0
    return j0, j1, j2


# ---------------------------------------------------------------------------
# Integrands (§4a-4c) accumulated in the frame where r_q - r_q' is along +x.
# Tensor slots: 0 xx, 1 yy, 2 zz, 3 xz, 4 zx.


@njit
def _accumulate_prop(wt, u, w, rte, rtm, tte, ttm, bj, ksz, kdz, out_w, out_m, out_g):
    j0, j1, j2 = bj
    p = 0.5 * (j0 + j2)
    q = 0.5 * (j0 - j2)
    nte = abs(tte) ** 2 + abs(rte) ** 2
    ntm = abs(ttm) ** 2 + abs(rtm) ** 2
    ed = complex(math.cos(w * kdz), math.sin(w * kdz))
    es = complex(math.cos(w * ksz), math.sin(w * ksz))
    edc = ed.conjugate()
    rte_s = rte * es
    rtm_s = rtm * es
    bte = nte * ed + edc + 2.0 * rte_s.real
    btm_p = ntm * ed + edc + 2.0 * rtm_s.real
    btm_m = ntm * ed + edc - 2.0 * rtm_s.real
    c34 = 0.75 * wt
    u2 = u * u
    w2 = w * w
    out_w[2] += c34 * u2 * u * j0 * btm_p
    out_w[0] += c34 * u * (p * bte + w2 * q * btm_m)
    out_w[1] += c34 * u * (q * bte + w2 * p * btm_m)
    a = ntm * ed - edc
    i2 = 2j * rtm_s.imag
    fxz = -1j * c34 * u2 * w * j1
    out_w[3] += fxz * (a + i2)
    out_w[4] += fxz * (a - i2)
    ate = (1.0 - nte) * ed
    atm = (1.0 - ntm) * ed
    out_m[2] += c34 * u2 * u * j0 * atm
    out_m[0] += c34 * u * (p * ate + w2 * q * atm)
    out_m[1] += c34 * u * (q * ate + w2 * p * atm)
    out_m[3] += fxz * atm
    out_m[4] += fxz * atm
    c32 = 1.5 * wt
    out_g[2] += 1j * c32 * u2 * u * j0 * rtm_s
    out_g[0] += 1j * c32 * u * (rte_s * p - w2 * rtm_s * q)
    out_g[1] += 1j * c32 * u * (rte_s * q - w2 * rtm_s * p)
    gxz = c32 * u2 * w * j1 * rtm_s
    out_g[3] += gxz
    out_g[4] -= gxz


@njit
def _accumulate_evan(wt, u, v, rte, rtm, bj, ksz, out_m, out_g):
    j0, j1, j2 = bj
    p = 0.5 * (j0 + j2)
    q = 0.5 * (j0 - j2)
    dec = math.exp(-v * ksz)
    if dec == 0.0:
        return
    c34 = 0.75 * wt * dec
    c32 = 1.5 * wt * dec
    u2 = u * u
    v2 = v * v
    bte = 2.0 * rte.imag
    btm = 2.0 * rtm.imag
    out_m[2] += c34 * u2 * u * j0 * btm
    out_m[0] += c34 * u * (p * bte + v2 * q * btm)
    out_m[1] += c34 * u * (q * bte + v2 * p * btm)
    mxz = c34 * u2 * v * j1 * btm
    out_m[3] += mxz
    out_m[4] -= mxz
    out_g[2] += c32 * u2 * u * j0 * rtm
    out_g[0] += c32 * u * (rte * p + v2 * rtm * q)
    out_g[1] += c32 * u * (rte * q + v2 * rtm * p)
    gxz = c32 * u2 * v * j1 * rtm
    out_g[3] += gxz
    out_g[4] -= gxz


@njit
def _core(k, eps, kd, body, ksz, kdz, has_s, ks, xg, wg, sing, nsing, npoles, acc_w, acc_m, acc_g):
    """Integrate all pairs (arrays ksz = K Sz, kdz = K Dz, has_s) on common nodes.

    ks = K s (in-plane separation of the pairs flagged has_s). acc_* are
    (npair, 5) complex accumulators (slots xx, yy, zz, xz, zx). Returns the
    number of integrand evaluations (nodes).
    """
    npair = ksz.shape[0]
    kzmax = 0.0
    amin = np.inf
    amax = 0.0
    for p in range(npair):
        kzmax = max(kzmax, ksz[p] + abs(kdz[p]))
        amin = min(amin, ksz[p])
        amax = max(amax, ksz[p])
    ng = xg.shape[0]
    nodes = 0
    one = (1.0, 0.0, 0.0)
    use_stack, med, st_kd, vac_below = body
    srate, tslab, hrate, thyp = body_rates(use_stack, eps, kd, med, st_kd)
    # propagative part
    tb = propagative_breaks(ks, kzmax, srate, sing, nsing, PHASE_PER_PANEL)
    for ip in range(tb.shape[0] - 1):
        h = 0.5 * (tb[ip + 1] - tb[ip])
        mid = 0.5 * (tb[ip + 1] + tb[ip])
        for ig in range(ng):
            th = mid + h * xg[ig]
            wt = h * wg[ig]
            u = math.sin(th)
            w = math.cos(th)
            rte, rtm, tte, ttm = body_coefficients(use_stack, eps, kd, med, st_kd, vac_below, complex(w, 0.0))
            bj = bessel_j012(ks * u) if ks > 0 else one
            for p in range(npair):
                _accumulate_prop(
                    wt, u, w, rte, rtm, tte, ttm, bj if has_s[p] else one, ksz[p], kdz[p], acc_w[p], acc_m[p], acc_g[p]
                )
            nodes += 1
    # evanescent part
    tmax = evanescent_cutoff(use_stack, eps, kd, med, st_kd, vac_below, amin, sing, npoles)
    tbr = evanescent_breaks(ks, amax, tmax, srate, tslab, hrate, thyp, sing, nsing, PHASE_PER_PANEL)
    for ip in range(tbr.shape[0] - 1):
        h = 0.5 * (tbr[ip + 1] - tbr[ip])
        mid = 0.5 * (tbr[ip + 1] + tbr[ip])
        for ig in range(ng):
            t = mid + h * xg[ig]
            wt = h * wg[ig]
            u = math.cosh(t)
            v = math.sinh(t)
            rte, rtm, tte, ttm = body_coefficients(use_stack, eps, kd, med, st_kd, vac_below, complex(0.0, v))
            bj = bessel_j012(ks * u) if ks > 0 else one
            for p in range(npair):
                _accumulate_evan(wt, u, v, rte, rtm, bj if has_s[p] else one, ksz[p], acc_m[p], acc_g[p])
            nodes += 1
    return nodes


@njit
def _to_lab(acc, phi, out):
    """Rotate the in-frame tensor (slots xx, yy, zz, xz, zx) by phi about z: R T R^T."""
    c = math.cos(phi)
    s = math.sin(phi)
    txx = acc[0]
    tyy = acc[1]
    tzz = acc[2]
    txz = acc[3]
    tzx = acc[4]
    out[0, 0] = c * c * txx + s * s * tyy
    out[1, 1] = s * s * txx + c * c * tyy
    out[0, 1] = c * s * (txx - tyy)
    out[1, 0] = c * s * (txx - tyy)
    out[2, 2] = tzz
    out[0, 2] = c * txz
    out[1, 2] = s * txz
    out[2, 0] = c * tzx
    out[2, 1] = s * tzx


@njit
def _pair_point(k, eps, kd, body, zq, zqp, dx, dy, xg, wg, sing, nsing, npoles, w_out, m_out, g_out):
    s = math.hypot(dx, dy)
    ksz = np.array([k * (zq + zqp)])
    kdz = np.array([k * (zq - zqp)])
    has_s = np.array([s > 0.0])
    acc_w = np.zeros((1, 5), dtype=np.complex128)
    acc_m = np.zeros((1, 5), dtype=np.complex128)
    acc_g = np.zeros((1, 5), dtype=np.complex128)
    nodes = _core(k, eps, kd, body, ksz, kdz, has_s, k * s, xg, wg, sing, nsing, npoles, acc_w, acc_m, acc_g)
    phi = math.atan2(dy, dx) if s > 0 else 0.0
    _to_lab(acc_w[0], phi, w_out)
    _to_lab(acc_m[0], phi, m_out)
    _to_lab(acc_g[0], phi, g_out)
    return nodes


@njit
def _block_point(k, eps, kd, body, z1, z2, dx, dy, xg, wg, sing, nsing, npoles, w_out, m_out, g_out):
    """All four pairs [q, q'] of a two-qubit geometry on common nodes."""
    s = math.hypot(dx, dy)
    ksz = np.array([2 * k * z1, 2 * k * z2, k * (z1 + z2), k * (z1 + z2)])
    kdz = np.array([0.0, 0.0, k * (z1 - z2), k * (z2 - z1)])
    has_s = np.array([False, False, s > 0.0, s > 0.0])
    acc_w = np.zeros((4, 5), dtype=np.complex128)
    acc_m = np.zeros((4, 5), dtype=np.complex128)
    acc_g = np.zeros((4, 5), dtype=np.complex128)
    nodes = _core(k, eps, kd, body, ksz, kdz, has_s, k * s, xg, wg, sing, nsing, npoles, acc_w, acc_m, acc_g)
    phi = math.atan2(dy, dx) if s > 0 else 0.0
    # pair index -> (q, q', rotation angle of r_q - r_q')
    qs = (0, 1, 0, 1)
    qps = (0, 1, 1, 0)
    phis = (0.0, 0.0, phi, phi + math.pi)
    for p in range(4):
        _to_lab(acc_w[p], phis[p], w_out[qs[p], qps[p]])
        _to_lab(acc_m[p], phis[p], m_out[qs[p], qps[p]])
        _to_lab(acc_g[p], phis[p], g_out[qs[p], qps[p]])
    return nodes


@njit
def _batch_loop(
    block, k, eps, kd, stack, za, zb, dx, dy, xg, wg, sing_table, nsing, npoles, idx, w_out, m_out, g_out, nodes
):
    """Loop over points; sing_table[idx[i]] holds the singularities of point i.

    stack = (use_stack (N,), eps_t (N, L), eps_z (N, L), K d (N, L), layer count (N,),
    substrate eps_t (N,), eps_z (N,)): the stack of point i where use_stack[i], else
    the slab (eps[i], kd[i]).
    """
    use, s_et, s_ez, s_kd, nlay, sub_et, sub_ez = stack
    for i in range(k.shape[0]):
        j = idx[i]
        sing = sing_table[j]
        m = nlay[i]
        med = medium_table(s_et[i, :m], s_ez[i, :m], sub_et[i], sub_ez[i])
        body = (use[i], med, s_kd[i, :m], sub_et[i] == 1.0 and sub_ez[i] == 1.0)
        if block:
            nodes[i] = _block_point(
                k[i],
                eps[i],
                kd[i],
                body,
                za[i],
                zb[i],
                dx[i],
                dy[i],
                xg,
                wg,
                sing,
                nsing[j],
                npoles[j],
                w_out[i],
                m_out[i],
                g_out[i],
            )
        else:
            nodes[i] = _pair_point(
                k[i],
                eps[i],
                kd[i],
                body,
                za[i],
                zb[i],
                dx[i],
                dy[i],
                xg,
                wg,
                sing,
                nsing[j],
                npoles[j],
                w_out[i, 0, 0],
                m_out[i, 0, 0],
                g_out[i, 0, 0],
            )


SINGULARITY_CACHE = {}


def _singularities(eps, kd, locate_poles=True):
    """Cached (sing array, nsing, npoles) for one (eps, K delta); geometry independent."""
    key = (complex(eps), float(kd), bool(locate_poles))
    hit = SINGULARITY_CACHE.get(key)
    if hit is None:
        sing = np.zeros(MAX_POLES + 2, dtype=np.complex128)
        n, npoles = find_slab_singularities(complex(eps), float(kd), sing) if locate_poles else (0, 0)
        if len(SINGULARITY_CACHE) > 4096:
            SINGULARITY_CACHE.clear()
        hit = SINGULARITY_CACHE[key] = (sing, n, npoles)
    return hit


# ---------------------------------------------------------------------------
# Python API

_GAUSS = {}


def _gauss(order):
    """Cached Gauss-Legendre nodes/weights on [-1, 1]."""
    order = int(order)
    if order < 4 or order > 64:
        raise ValueError(f"order must be in [4, 64] Gauss-Legendre nodes per panel, got {order}")
    if order not in _GAUSS:
        _GAUSS[order] = np.polynomial.legendre.leggauss(order)
    return _GAUSS[order]


def check_passive_eps(eps):
    arr = np.asarray(eps, dtype=complex)
    bad = ~np.isfinite(arr) | (arr.imag < 0)
    if np.any(bad):
        raise ValueError(f"eps must be finite complex with Im eps >= 0 (passive), got {arr[bad].flat[0]!r}")
    return arr


def integrate_points(block, shape, k, e, kd, stack, keys, a, b, x, y, order, locate_poles=True):
    """Quadrature of all points; keys[i] identifies point i's body (singularities found once per body)."""
    xg, wg = _gauss(order)
    n = k.shape[0]
    # singularities depend on the body (eps, K delta or the stack) only: find each distinct one once
    index = {}
    idx = np.empty(n, dtype=np.int64)
    first = []
    for i in range(n):
        j = index.setdefault(keys[i], len(index))
        if j == len(first):
            first.append(i)
        idx[i] = j
    table = np.zeros((len(index), max(MAX_POLES + 2, MAX_STACK_SING)), dtype=np.complex128)
    nsing = np.zeros(len(index), dtype=np.int64)
    npoles = np.zeros(len(index), dtype=np.int64)
    use, s_et, s_ez, s_kd, nlay, sub_et, sub_ez = stack
    for j, i in enumerate(first):
        if use[i]:
            m = nlay[i]
            sing, nsing[j], npoles[j] = _stack_sing_cached(s_et[i, :m], s_ez[i, :m], s_kd[i, :m], sub_et[i], sub_ez[i])
            table[j, : sing.shape[0]] = sing
        else:
            sing, nsing[j], npoles[j] = _singularities(e[i], kd[i], locate_poles)
            table[j, : sing.shape[0]] = sing
    q = 2 if block else 1
    w_out = np.zeros((n, q, q, 3, 3), dtype=np.complex128)
    m_out = np.zeros_like(w_out)
    g_out = np.zeros_like(w_out)
    nodes = np.zeros(n, dtype=np.int64)
    _batch_loop(block, k, e, kd, stack, a, b, x, y, xg, wg, table, nsing, npoles, idx, w_out, m_out, g_out, nodes)
    global _last_nodes
    _last_nodes = nodes.reshape(shape)
    if not block:
        w_out, m_out, g_out = (o[:, 0, 0] for o in (w_out, m_out, g_out))
    tail = w_out.shape[1:]
    return tuple(o.reshape(shape + tail) for o in (w_out, m_out, g_out))


def _stack_sing_cached(et, ez, kd, sub_et, sub_ez):
    """Cached (sing array, nsing, npoles) of one stack; geometry independent."""
    key = (tuple(et), tuple(ez), tuple(kd), complex(sub_et), complex(sub_ez))
    hit = SINGULARITY_CACHE.get(key)
    if hit is None:
        sing = np.zeros(MAX_STACK_SING, dtype=np.complex128)
        n, npoles = locate_stack_singularities(
            np.ascontiguousarray(et), np.ascontiguousarray(ez), np.ascontiguousarray(kd), sub_et, sub_ez, sing
        )
        if len(SINGULARITY_CACHE) > 4096:
            SINGULARITY_CACHE.clear()
        hit = SINGULARITY_CACHE[key] = (sing, n, npoles)
    return hit


def nodes_used():
    """Integrand evaluations (quadrature nodes) per point of the last call.

    Returns
    -------
    int or ndarray of int
        Node count [1]: an int after a scalar call, an array (one per point) after a batch.
    """
    n = _last_nodes
    return int(n) if np.ndim(n) == 0 else n.copy()
