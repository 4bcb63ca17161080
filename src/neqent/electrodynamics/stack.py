"""Planar stacks of isotropic or uniaxial layers (docs/theory.md §9).

The body is a list of layers j = 1..L, top to bottom (top surface at z = 0),
above vacuum or a semi-infinite substrate. Each medium has an in-plane
permittivity ``eps_t`` and one along the optic axis z, ``eps_z`` (isotropic:
equal). Everything below is dimensionless: wavenumbers in units of K = omega/c,
thicknesses as ``k_d = K d``; the vacuum normal wavenumber ``wz`` comes from the
quadrature's substitution variable (docs/theory.md §4e), never from sqrt(1 - u^2).

Reflection and transmission (§9) are built from the bottom up with *load
admittances*: Z is the admittance seen from an interface looking down. For
the interface a -> b (b of thickness d_b, load Z_b below it) with
em1 = exp(2 i K k_b d_b) - 1::

    num = 2 Y_b (Y_a - Z_b) + (Y_a + Y_b)(Y_b - Z_b) em1
    den = 2 Y_b (Y_a + Z_b) + (Y_a - Y_b)(Y_b - Z_b) em1
    rho = num / den,   T <- T 2 Y_a (Y_b + Z_b) P / den,   P = exp(i K k_b d_b)
    Z_a = Y_b (2 Z_b - (Y_b - Z_b) em1) / (2 Y_b + (Y_b - Z_b) em1)

This is the recursion R <- (r_ab + R P^2)/(1 + r_ab R P^2) of §9 multiplied
out, but it never forms 1 + r_ab R (which loses ~log10(1/(w_z K d)) digits near
u = 1 and at guided-mode poles, docs/theory.md §4e): admittance differences of
two media are taken from their squares, whose u-dependence cancels exactly
(Y_a^2 - Y_b^2 = eps_a - eps_b for TE), and only decaying factors
|P| = exp(-K d Im k_b) <= 1 appear, so evanescent waves never overflow.
For one isotropic layer in vacuum the formulas are those of
:mod:`neqent.electrodynamics.fresnel` term by term (agreement ~1e-16).
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from neqent.electrodynamics.fresnel import cexpm1, sqrt_im_pos
from neqent.jit import njit

__all__ = [
    "stack_coefficients",
    "stack_coefficients_scalar",
    "stack_singularities",
    "is_hyperbolic",
]

#: Largest number of singular points (poles, branch points) kept per stack.
MAX_STACK_SING = 512


@njit
def _y2(et, ez, wz2, tm):
    """Y^2 of a medium: k^2 (TE) or k^2 / eps_t^2 (TM), k^2 = eps_t (eps_z - u^2)/eps_z (§9)."""
    if tm:
        return ((ez - 1.0) + wz2) / (ez * et)
    return (et - 1.0) + wz2


@njit
def _dy2(eta, eza, etb, ezb, wz2, tm):
    """Y_a^2 - Y_b^2 with the u-dependence cancelled analytically (no digits lost near u = 1)."""
    if tm:
        sa = eza * eta
        sb = ezb * etb
        return (wz2 * (sb - sa) + (eza - 1.0) * sb - (ezb - 1.0) * sa) / (sa * sb)
    return eta - etb


@njit
def _admittance(et, ez, wz, tm):
    """(Y, k) of a medium for vacuum normal wavenumber wz: Y = k (TE), k / eps_t (TM); Im k >= 0."""
    if et == 1.0 and ez == 1.0:
        return wz, wz  # vacuum: keep w_z itself (analytic in w_z, same branch as the top)
    wz2 = wz * wz
    if tm:
        k = sqrt_im_pos(et * ((ez - 1.0) + wz2) / ez)
        return k / et, k
    k = sqrt_im_pos((et - 1.0) + wz2)
    return k, k


@njit
def _one_polarisation(et, ez, kd, sub_et, sub_ez, wz, tm):
    """(rho, T) of the stack for one polarisation (see the module docstring)."""
    n = et.shape[0]
    wz2 = wz * wz
    one = 1.0 + 0.0j
    # load seen from just above the bottom medium: its own admittance, "raw" so
    # that differences with it are exact (from the squares, _dy2)
    zb, _ = _admittance(sub_et, sub_ez, wz, tm)
    if n == 0:  # a bare substrate (half-space): rho = r, T = t of one interface
        return _dy2(one, one, sub_et, sub_ez, wz2, tm) / ((wz + zb) * (wz + zb)), 2.0 * wz / (wz + zb)
    z_raw = True
    ylast, _ = _admittance(et[n - 1], ez[n - 1], wz, tm)
    t = 2.0 * ylast / (ylast + zb)  # bottom interface: T = t_(L, below)
    for j in range(n - 1, -1, -1):
        # interface a -> b, b = layer j above the load zb, a = layer j - 1 or the vacuum on top
        yb, kb = _admittance(et[j], ez[j], wz, tm)
        eta, eza = (et[j - 1], ez[j - 1]) if j > 0 else (one, one)
        ya, _ = _admittance(eta, eza, wz, tm)
        ya_m_yb = _dy2(eta, eza, et[j], ez[j], wz2, tm) / (ya + yb)
        yb_m_z = _dy2(et[j], ez[j], sub_et, sub_ez, wz2, tm) / (yb + zb) if z_raw else yb - zb
        if kd[j] > 0.0:
            em1 = cexpm1(2j * kd[j] * kb)
            p = cmath.exp(1j * kd[j] * kb)
        else:
            em1 = 0.0j
            p = one
        den = 2.0 * yb * (ya + zb) + ya_m_yb * yb_m_z * em1
        t = t * 2.0 * ya * (yb + zb) * p / den
        if j == 0:
            ya_m_z = _dy2(one, one, sub_et, sub_ez, wz2, tm) / (ya + zb) if z_raw else ya - zb
            num = 2.0 * yb * ya_m_z + (ya + yb) * yb_m_z * em1
            return num / den, t
        zb = yb * (2.0 * zb - yb_m_z * em1) / (2.0 * yb + yb_m_z * em1)
        z_raw = False
    return 0.0j, one  # not reached


@njit
def stack_coefficients_scalar(et, ez, kd, sub_et, sub_ez, wz):
    """Stack coefficients (rho_te, rho_tm, tau_te, tau_tm) at one point (docs/theory.md §9).

    et, ez: complex arrays (L,) of the layers' eps_t, eps_z, top first; kd: float
    array (L,) of K d_j (>= 0); sub_et, sub_ez: the medium below (1, 1 for vacuum);
    wz: vacuum normal wavenumber (complex, Im >= 0). All dimensionless.
    tau_p = 0 with a substrate (§9: the walls do not reach the qubits through it);
    with vacuum below only |tau_p|^2 is meaningful (phase convention differs from §3).
    """
    rte, tte = _one_polarisation(et, ez, kd, sub_et, sub_ez, wz, False)
    rtm, ttm = _one_polarisation(et, ez, kd, sub_et, sub_ez, wz, True)
    if not (sub_et == 1.0 and sub_ez == 1.0):
        return rte, rtm, 0.0j, 0.0j
    return rte, rtm, tte, ttm


def stack_coefficients(eps_t, eps_z, k_d, sub_eps_t, sub_eps_z, wz):
    """Vectorised :func:`stack_coefficients_scalar` over ``wz`` (docs/theory.md §9).

    eps_t, eps_z: complex sequences (L,) of the layers' permittivities, top
    first; k_d: K d_j (L,) (float >= 0); sub_eps_t, sub_eps_z: the medium below
    (1, 1 for vacuum); wz: vacuum normal wavenumber(s), complex with Im >= 0.
    Returns (rho_te, rho_tm, tau_te, tau_tm) with the shape of ``wz``. All dimensionless.
    """
    et, ez, kd = _layer_arrays(eps_t, eps_z, k_d)
    w = np.asarray(wz, dtype=complex)
    if np.any(w.imag < 0):
        raise ValueError(f"wz must have Im >= 0 (branch of docs/theory.md §3), got {wz!r}")
    out = np.empty((4, w.size), dtype=complex)
    flat = w.ravel()
    st, sz = complex(sub_eps_t), complex(sub_eps_z)
    for i in range(flat.size):
        out[:, i] = stack_coefficients_scalar(et, ez, kd, st, sz, flat[i])
    res = tuple(o.reshape(w.shape) for o in out)
    return tuple(complex(x) for x in res) if w.shape == () else res


def _layer_arrays(eps_t, eps_z, k_d):
    et = np.ascontiguousarray(np.atleast_1d(np.asarray(eps_t, dtype=complex)))
    ez = np.ascontiguousarray(np.atleast_1d(np.asarray(eps_z, dtype=complex)))
    kd = np.ascontiguousarray(np.atleast_1d(np.asarray(k_d, dtype=float)))
    if not (et.shape == ez.shape == kd.shape and et.ndim == 1):
        raise ValueError(
            f"eps_t, eps_z and k_d need one value per layer, got shapes {et.shape}, {ez.shape}, {kd.shape}"
        )
    if np.any(~np.isfinite(kd)) or np.any(kd < 0):
        raise ValueError(f"k_d must be finite and >= 0, got {k_d!r}")
    return et, ez, kd


def is_hyperbolic(eps_t, eps_z):
    """True where Re eps_t and Re eps_z have opposite signs (hyperbolic dispersion, §9)."""
    return np.asarray(eps_t, complex).real * np.asarray(eps_z, complex).real < 0


# ---------------------------------------------------------------------------
# Pole location for a stack (§9): rather than solving for the modes of the whole
# stack, scan |rho_p| along the real integration path on a fine grid, take each
# local maximum as a candidate and follow it into the complex w_z plane with
# Newton's method on 1/rho_p (analytic and ~linear near a simple pole).


@njit
def _rho(et, ez, kd, sub_et, sub_ez, wz, tm):
    r, _ = _one_polarisation(et, ez, kd, sub_et, sub_ez, wz, tm)
    return r


@njit
def _newton_pole(et, ez, kd, sub_et, sub_ez, w0, tm):
    """Zero of 1/rho_p near w0 (complex w_z); returns (w, converged)."""
    w = w0
    for _ in range(60):
        h = 1e-7 * abs(w) + 1e-15
        g = 1.0 / _rho(et, ez, kd, sub_et, sub_ez, w, tm)
        gp = 1.0 / _rho(et, ez, kd, sub_et, sub_ez, w + h, tm)
        gm = 1.0 / _rho(et, ez, kd, sub_et, sub_ez, w - h, tm)
        dg = (gp - gm) / (2.0 * h)
        if dg == 0 or not (math.isfinite(g.real) and math.isfinite(g.imag)):
            return w, False
        dw = g / dg
        lim = 0.5 * abs(w) + 1e-9  # stay near the starting peak
        if abs(dw) > lim:
            dw = dw * (lim / abs(dw))
        w = w - dw
        if abs(dw) <= 1e-12 * abs(w) + 1e-300:
            return w, math.isfinite(w.real) and math.isfinite(w.imag)
    return w, False


@njit
def _scan_grid(et, ez, kd):
    """Real path points as w_z (propagating then evanescent, increasing u) for the peak scan."""
    n = et.shape[0]
    fp = 0.0  # Fabry-Perot phase rate per unit u (or theta)
    nmax = 1.0
    hrate = 0.0
    kdmin = np.inf
    for j in range(n):
        m = math.sqrt(max(abs(et[j]), abs(ez[j])))
        nmax = max(nmax, m)
        fp += 2.0 * kd[j] * max(1.0, m)
        if kd[j] > 0.0:
            kdmin = min(kdmin, kd[j])
        if et[j].real * ez[j].real < 0.0:
            hrate += 2.0 * kd[j] * abs(cmath.sqrt(-et[j] / ez[j]))
    vmax = 1e4 * nmax
    if math.isfinite(kdmin):
        vmax = max(vmax, 40.0 / kdmin)
    vmax = min(vmax, 1e9)
    per_decade = 100.0
    # propagating: x = pi/2 - theta from pi/2 down to 1e-10 (log + uniform), w_z = sin x
    top = math.log10(0.5 * math.pi) + 10.0
    xs = np.concatenate(
        (
            1e-10 * 10.0 ** (top * np.arange(int(per_decade * top) + 1) / int(per_decade * top)),
            _uniform(0.5 * math.pi, min(int(0.5 * math.pi * fp / 0.3) + 100, 200000)),
        )
    )
    xs = np.sort(xs)[::-1]
    # evanescent: v from 1e-10 to vmax (log), uniform where Fabry-Perot or hyperbolic modes are dense
    top = math.log10(vmax) + 10.0
    vfp = nmax + 2.0
    vs = np.concatenate(
        (
            1e-10 * 10.0 ** (top * np.arange(int(per_decade * top) + 1) / int(per_decade * top)),
            _uniform(vfp, min(int(vfp * fp / 0.3) + 100, 200000)),
            _uniform(vmax, min(int(vmax * hrate / 0.3) + 100, 400000) if hrate > 0.0 else 0),
        )
    )
    vs = np.sort(vs)
    out = np.empty(xs.shape[0] + vs.shape[0], dtype=np.complex128)
    for i in range(xs.shape[0]):
        out[i] = complex(math.sin(xs[i]), 0.0)
    for i in range(vs.shape[0]):
        out[xs.shape[0] + i] = complex(0.0, vs[i])
    return out


@njit
def _uniform(top, n):
    """n - 1 interior points of a uniform grid on (0, top)."""
    return top * np.arange(1, max(n, 1)) / max(n, 1)


@njit
def _path_distance(w):
    """Distance of a complex w_z from the real path in the theta (propagating) or t (evanescent) plane."""
    th = cmath.acos(w)
    c = min(max(th.real, 0.0), 0.5 * math.pi)
    d_th = abs(th - c)
    ts = cmath.asinh(-1j * w)
    c = max(ts.real, 0.0)
    d_t = abs(ts - c)
    return min(d_th, d_t)


@njit
def _stack_singularities(et, ez, kd, sub_et, sub_ez, sing):
    """Fill ``sing`` with the poles of rho_TE, rho_TM near the path, then the substrate's
    branch points; returns (count, npoles)."""
    grid = _scan_grid(et, ez, kd)
    ng = grid.shape[0]
    n = 0
    cap = sing.shape[0] - 4
    for tm in (False, True):
        prev2 = abs(_rho(et, ez, kd, sub_et, sub_ez, grid[0], tm))
        prev1 = abs(_rho(et, ez, kd, sub_et, sub_ez, grid[1], tm))
        for i in range(2, ng):
            cur = abs(_rho(et, ez, kd, sub_et, sub_ez, grid[i], tm))
            if prev1 > prev2 and prev1 >= cur and n < cap:
                w, ok = _newton_pole(et, ez, kd, sub_et, sub_ez, grid[i - 1], tm)
                if ok and _path_distance(w) < 0.25:
                    dup = False
                    for k in range(n):
                        if abs(sing[k] - w) <= 1e-9 * abs(w) + 1e-14:
                            dup = True
                            break
                    if not dup:
                        sing[n] = w
                        n += 1
                elif not ok and prev1 > 2.0 * min(prev2, cur):
                    # a sharp peak Newton could not follow: grade toward the grid point,
                    # 1e-3 of the local spacing away from the path
                    d = 1e-3 * abs(grid[i] - grid[i - 2])
                    sing[n] = grid[i - 1] + (d if grid[i - 1].imag > 0 else 1j * d)
                    n += 1
            prev2 = prev1
            prev1 = cur
    npoles = n
    if not (sub_et == 1.0 and sub_ez == 1.0):
        # branch points of the substrate's k: eps_t - u^2 = 0 (TE), eps_z - u^2 = 0 (TM)
        for e in (sub_et, sub_ez):
            wb = cmath.sqrt(1.0 - e)
            sing[n] = wb
            sing[n + 1] = -wb
            n += 2
    return n, npoles


def stack_singularities(eps_t, eps_z, k_d, sub_eps_t=1.0, sub_eps_z=1.0):
    """Poles of the stack's rho_TE/rho_TM near the real axis, as complex w_z (dimensionless).

    Arguments as :func:`stack_coefficients`. Returns ``(poles, branch_points)``,
    complex arrays of the vacuum normal wavenumber w_z (u = sqrt(1 - w_z^2)).
    """
    et, ez, kd = _layer_arrays(eps_t, eps_z, k_d)
    sing = np.zeros(MAX_STACK_SING, dtype=np.complex128)
    n, npoles = _stack_singularities(et, ez, kd, complex(sub_eps_t), complex(sub_eps_z), sing)
    return sing[:npoles].copy(), sing[npoles:n].copy()
