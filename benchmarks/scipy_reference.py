"""Independent reference for the pair tensors with scipy.integrate.quad.

Straightforward implementation of docs/theory.md §3-§4c, written separately from
``neqent.electrodynamics.kernels`` (different pole finder, plain spec formulas for the
Fresnel coefficients, scipy.special.jv for the Bessel functions, adaptive
QUADPACK quadrature). Used by the tests (convergence of the numba kernels)
and by the benchmark harness (timing). Slow by design: one ``quad`` call per
real/imaginary part of every tensor component and every sub-interval.

Accuracy: epsabs ~ 1e-11 per sub-interval integral; breakpoints at the poles
of rho_p (guided modes / surface polaritons) found by
:func:`reference_poles`, at the slab branch point for a half-space, and
every ~``SPLIT_PHASE`` rad of oscillation/decay so that QUADPACK's
subdivision limit is never reached.

    from scipy_reference import reference_pair_tensors
    W, M, GR = reference_pair_tensors(omega, eps, delta, z_q, z_qp, dx, dy)
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import integrate, optimize, special
from scipy.constants import c as C_LIGHT

SPLIT_PHASE = 20.0


# ---------------------------------------------------------------------------
# Fresnel (plain spec formulas, §3)


def _wm(eps, wz):
    """w_m = sqrt((eps - 1) + wz^2), Im >= 0."""
    w = np.sqrt(complex((eps - 1.0) + wz * wz))
    return -w if (w.imag < 0 or (w.imag == 0 and w.real < 0)) else w


def reference_fresnel(eps, wz, kd):
    """(rho_te, rho_tm, tau_te, tau_tm) straight from docs/theory.md §3."""
    if eps == 1:
        return 0j, 0j, 1 + 0j, 1 + 0j
    wm = _wm(eps, wz)
    r_te = (wz - wm) / (wz + wm)
    r_tm = (eps * wz - wm) / (eps * wz + wm)
    if math.isinf(kd):
        return r_te, r_tm, 0j, 0j
    e = np.exp(2j * kd * wm)
    out_r, out_t = [], []
    ph = np.exp(1j * kd * (wm - wz)) if wz.imag == 0 else 0j  # tau unused if evanescent
    for r in (r_te, r_tm):
        den = 1.0 - r * r * e
        out_r.append(r * (1.0 - e) / den)
        out_t.append((1.0 - r * r) * ph / den)
    return out_r[0], out_r[1], out_t[0], out_t[1]


# ---------------------------------------------------------------------------
# Poles: real roots of the lossless dispersion by scanning + brentq, then a
# complex secant iteration (scipy.optimize.newton) on 1 - r^2 e with the
# actual eps.


def _den(eps, v, kd, tm):
    wz = 1j * v
    wm = np.sqrt(complex(eps - 1.0 + wz * wz))
    a = eps * wz if tm else wz
    return (a + wm) ** 2 - (a - wm) ** 2 * np.exp(2j * kd * wm)


def _lossless_real_function(er, kd, c):
    """Real function of v whose zeros are the lossless modes (see module doc)."""

    def f(v):
        arg = er - 1.0 - v * v
        if arg > 0:  # w_m = kappa real: D e^{-i kd kappa} = 2i Im((kappa + i c v)^2 e^{-i kd kappa})
            kap = math.sqrt(arg)
            return ((kap + 1j * c * v) ** 2 * np.exp(-1j * kd * kap)).imag
        mu = math.sqrt(-arg)  # w_m = i mu: D = -(this), real
        return (c * v + mu) ** 2 - (c * v - mu) ** 2 * math.exp(-2 * kd * mu)

    return f


def reference_poles(omega, eps, delta):
    """Pole positions as complex v = -i w_z (so u = sqrt(1 + v^2)).

    Zeros of the slab denominator near the imaginary w_z axis: guided modes
    (v > 0), improper below-cut-off modes (v < 0), surface polaritons.
    """
    kd = omega / C_LIGHT * delta
    eps = complex(eps)
    if eps == 1:
        return []
    if math.isinf(kd):
        out = []
        for sgn in (1, -1):
            wz = sgn * np.sqrt(1 / (eps + 1))
            if abs(eps * wz + _wm(eps, wz)) < 1e-8 * abs(eps * wz):
                out.append(-1j * wz)
        return out
    er = eps.real
    grid = np.concatenate(
        [
            np.geomspace(1e-12, 1e-2, 2000),
            np.linspace(1e-2, max(2.0, 2 * math.sqrt(abs(er) + 1)), 4000),
            np.geomspace(max(2.0, 2 * math.sqrt(abs(er) + 1)), max(1e4, 50 / kd), 3000),
        ]
    )
    vb = math.sqrt(max(er - 1.0, 0.0))
    if vb > 0:  # resolve the oscillation in kappa and the neighbourhood of w_m = 0
        kap = np.concatenate([np.linspace(0, vb, int(10 * kd * vb) + 2000), vb * np.geomspace(1e-10, 1e-2, 500)])
        grid = np.concatenate([grid, np.sqrt(np.maximum(er - 1 - kap**2, 0.0))])
    # v < 0: improper (below cut-off) modes, poles of rho near u = 1 as well
    grid = np.unique(np.concatenate([grid, -grid]))
    grid = grid[grid != 0]
    poles = []
    for tm in (False, True):
        c = er if tm else 1.0
        f = _lossless_real_function(er, kd, c)
        vals = np.array([f(v) for v in grid])
        for i in np.nonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0)[0]:
            v0 = optimize.brentq(f, grid[i], grid[i + 1], xtol=1e-300, rtol=1e-15)
            # drop sign changes at the w_m = 0 switch that are not zeros
            # w_m = 0 (v^2 = er - 1) is a trivial zero of D, not a pole
            if abs(v0 * v0 - (er - 1.0)) < 1e-6 * abs(er - 1.0):
                continue
            v = complex(v0)
            # follow the lossless root while the loss is switched on (4 steps)
            for frac in (0.25, 0.5, 0.75, 1.0):
                ek = complex(er, eps.imag * frac)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        vn = optimize.newton(
                            lambda x: _den(ek, x, kd, tm),
                            v,
                            x1=v * (1 + 1e-7),
                            tol=1e-14 * abs(v0),
                            maxiter=100,
                            disp=False,
                        )
                except (RuntimeError, OverflowError):
                    break
                if not np.isfinite(vn) or abs(vn - v) > 0.5 * abs(v0):
                    break
                v = complex(vn)
            poles.append(complex(v))
    return poles


# ---------------------------------------------------------------------------
# Integrands (docs/theory.md §4a-4c) in the frame with the separation along +x.


def _bessel(x):
    if x == 0:
        return 1.0, 0.0, 0.0
    return special.jv(0, x), special.jv(1, x), special.jv(2, x)


def _prop_integrands(theta, K, eps, kd, Sz, Dz, s):
    """dict name -> complex integrand (per d theta) of the propagative part."""
    u, w = math.sin(theta), math.cos(theta)
    rte, rtm, tte, ttm = reference_fresnel(eps, complex(w), kd)
    J0, J1, J2 = _bessel(K * u * s)
    P, Q = (J0 + J2) / 2, (J0 - J2) / 2
    eD, eS = np.exp(1j * K * w * Dz), np.exp(1j * K * w * Sz)

    def B(rho, tau, sgn):
        return (abs(tau) ** 2 + abs(rho) ** 2) * eD + np.conj(eD) + sgn * (rho * eS + np.conj(rho) * np.conj(eS))

    def a(rho, tau):
        return (1 - abs(rho) ** 2 - abs(tau) ** 2) * eD

    A = (abs(ttm) ** 2 + abs(rtm) ** 2) * eD - np.conj(eD)
    # du u^3/w = u^3 dtheta, du u/w = u dtheta, du u^2 = u^2 w dtheta
    out = {
        "W_zz": 0.75 * u**3 * J0 * B(rtm, ttm, 1),
        "W_xx": 0.75 * u * (P * B(rte, tte, 1) + w * w * Q * B(rtm, ttm, -1)),
        "W_yy": 0.75 * u * (Q * B(rte, tte, 1) + w * w * P * B(rtm, ttm, -1)),
        "W_xz": -0.75j * u * u * w * J1 * (A + rtm * eS - np.conj(rtm * eS)),
        "W_zx": -0.75j * u * u * w * J1 * (A - rtm * eS + np.conj(rtm * eS)),
        "M_zz": 0.75 * u**3 * J0 * a(rtm, ttm),
        "M_xx": 0.75 * u * (P * a(rte, tte) + w * w * Q * a(rtm, ttm)),
        "M_yy": 0.75 * u * (Q * a(rte, tte) + w * w * P * a(rtm, ttm)),
        "M_xz": -0.75j * u * u * w * J1 * a(rtm, ttm),
        "G_zz": 1.5j * u**3 * J0 * rtm * eS,
        "G_xx": 1.5j * u * (rte * P - w * w * rtm * Q) * eS,
        "G_yy": 1.5j * u * (rte * Q - w * w * rtm * P) * eS,
        "G_xz": 1.5 * u * u * w * J1 * rtm * eS,
    }
    out["M_zx"] = out["M_xz"]
    out["G_zx"] = -out["G_xz"]
    return out


def _evan_integrands(t, K, eps, kd, Sz, s):
    """dict name -> complex integrand (per dt) of the evanescent part (u = cosh t)."""
    u, v = math.cosh(t), math.sinh(t)
    rte, rtm, _, _ = reference_fresnel(eps, 1j * v, kd)
    J0, J1, J2 = _bessel(K * u * s)
    P, Q = (J0 + J2) / 2, (J0 - J2) / 2
    dec = math.exp(-K * v * Sz)
    bte, btm = 2 * rte.imag * dec, 2 * rtm.imag * dec
    # du u^3/v = u^3 dt, du u/v = u dt, du u^2 = u^2 v dt; w_c = i v: du/w_c = -i dt
    out = {
        "M_zz": 0.75 * u**3 * J0 * btm,
        "M_xx": 0.75 * u * (P * bte + v * v * Q * btm),
        "M_yy": 0.75 * u * (Q * bte + v * v * P * btm),
        "M_xz": 0.75 * u * u * v * J1 * btm,
        "G_zz": 1.5j * (-1j) * u**3 * J0 * rtm * dec,
        "G_xx": 1.5j * (-1j) * u * (rte * P + v * v * rtm * Q) * dec,
        "G_yy": 1.5j * (-1j) * u * (rte * Q + v * v * rtm * P) * dec,
        "G_xz": 1.5 * u * u * v * J1 * rtm * dec,
    }
    out["M_zx"] = -out["M_xz"]
    out["G_zx"] = -out["G_xz"]
    return out


# ---------------------------------------------------------------------------
# Breakpoints


def _segment_points(lo, hi, rate_fn):
    """Points every SPLIT_PHASE rad of the accumulated rate (and every 1.0)."""
    pts = [lo]
    x = lo
    while True:
        x += min(1.0, SPLIT_PHASE / rate_fn(x))
        if x >= hi:
            break
        pts.append(x)
    pts.append(hi)
    return pts


def _graded(sp, lo, hi):
    """Breakpoints at Re sp and Re sp +- |Im sp| 2^k (a narrow peak needs them:
    QUADPACK alone misses part of a 1e-10-wide Lorentzian)."""
    c = min(max(sp.real, lo), hi)
    d = max(abs(sp - c), 1e-15)
    out = [c] if lo < c < hi else []
    x = d
    while x < hi - lo:
        out += [p for p in (c - x, c + x) if lo < p < hi]
        x *= 2.0
    return out


def _breakpoints(omega, eps, delta, Sz_min, Sz_max, Dz, s, use_poles):
    K = omega / C_LIGHT
    kd = K * delta
    # evanescent cut-off: 3/2 |rho| V^3 e^{-aV}/a < 1e-15 * size, generous
    a = K * Sz_min
    rb = max(abs(x) for x in reference_fresnel(eps, 1j * 10.0, kd)[:2]) + 1e-3
    V = 10.0
    for _ in range(50):
        V = max(1.0, math.log(1.5 * rb * (V * V / a + 2 * V / a**2 + 2 / a**3) / (1e-17 * (1 + 3 * rb / a**3))) / a)
    sing_v = reference_poles(omega, eps, delta) if use_poles else []
    for vp in sing_v:
        if vp.real > 0 and a * vp.real < 45:
            V = max(V, vp.real + 45 / a)
    tmax = math.asinh(V)
    slab = 0.0 if math.isinf(kd) else 2 * kd * max(1.0, math.sqrt(abs(eps)))
    th_pts = _segment_points(0.0, math.pi / 2, lambda th: 1.0 + K * (Sz_max + abs(Dz) + s) + slab)
    t_pts = _segment_points(0.0, tmax, lambda t: 1.0 + (K * (s + Sz_max) + slab) * math.cosh(t))
    if use_poles:
        sing_t, sing_th = [], []
        for vp in sing_v:
            sing_t.append(np.arcsinh(vp))
            sing_th.append(np.arccos(1j * vp))
        if math.isinf(kd) and abs(eps - 1) > 0:  # branch point w_m = 0 of a half-space
            sing_t.append(np.arcsinh(np.sqrt(complex(eps - 1))))
            sing_th.append(np.arccos(np.sqrt(complex(1 - eps))))
        for sp in sing_t:
            t_pts += _graded(sp, 0.0, tmax)
        for sp in sing_th:
            th_pts += _graded(sp, 0.0, math.pi / 2)
    return sorted(set(th_pts)), sorted(set(t_pts)), tmax


# ---------------------------------------------------------------------------


def _quad_sum(f, pts, epsabs, limit):
    """Sum of quad over consecutive intervals of pts (complex integrand)."""
    total = 0j
    for lo, hi in zip(pts[:-1], pts[1:]):
        val, _ = integrate.quad(f, lo, hi, complex_func=True, epsabs=epsabs, epsrel=1e-14, limit=limit)
        total += val
    return total


def _to_lab(comp, prefix, phi):
    T = np.zeros((3, 3), dtype=complex)
    T[0, 0], T[1, 1], T[2, 2] = comp[prefix + "_xx"], comp[prefix + "_yy"], comp[prefix + "_zz"]
    T[0, 2], T[2, 0] = comp[prefix + "_xz"], comp[prefix + "_zx"]
    c, s = math.cos(phi), math.sin(phi)
    R = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
    return R @ T @ R.T


def reference_pair_tensors(omega, eps, delta, z_q, z_qp, dx, dy, epsabs=1e-11, limit=400, use_poles=True):
    """(W, M, GR) (3, 3) complex for one pair, same conventions as
    ``neqent.electrodynamics.kernels.pair_tensors`` (SI arguments: rad/s, m).

    use_poles=False drops the pole breakpoints (to show their necessity).
    """
    K = omega / C_LIGHT
    kd = K * delta
    eps = complex(eps)
    Sz, Dz, s = z_q + z_qp, z_q - z_qp, math.hypot(dx, dy)
    th_pts, t_pts, _ = _breakpoints(omega, eps, delta, Sz, Sz, Dz, s, use_poles)
    cache_p, cache_e = {}, {}

    def prop(th):
        if th not in cache_p:
            cache_p[th] = _prop_integrands(th, K, eps, kd, Sz, Dz, s)
        return cache_p[th]

    def evan(t):
        if t not in cache_e:
            cache_e[t] = _evan_integrands(t, K, eps, kd, Sz, s)
        return cache_e[t]

    comp = {}
    for name in (
        "W_xx",
        "W_yy",
        "W_zz",
        "W_xz",
        "W_zx",
        "M_xx",
        "M_yy",
        "M_zz",
        "M_xz",
        "M_zx",
        "G_xx",
        "G_yy",
        "G_zz",
        "G_xz",
        "G_zx",
    ):
        val = _quad_sum(lambda th: prop(th)[name], th_pts, epsabs, limit)
        if not name.startswith("W"):
            val += _quad_sum(lambda t: evan(t)[name], t_pts, epsabs, limit)
        comp[name] = val
    phi = math.atan2(dy, dx) if s > 0 else 0.0
    global last_nodes
    last_nodes = len(cache_p) + len(cache_e)  # distinct integrand nodes (shared by components)
    return _to_lab(comp, "W", phi), _to_lab(comp, "M", phi), _to_lab(comp, "G", phi)


#: distinct integrand evaluation points of the last reference_pair_tensors call
last_nodes = 0
