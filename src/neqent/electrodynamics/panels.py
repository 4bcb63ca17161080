"""Panels of the kernel quadrature: where the Gauss-Legendre breakpoints go (docs/theory.md §4e).

Moved from :mod:`neqent.electrodynamics.kernels`; see its docstring for the design.
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from neqent.electrodynamics.fresnel import slab_coefficients_scalar
from neqent.electrodynamics.stack import stack_coefficients_table
from neqent.jit import njit

__all__ = [
    "PHASE_PER_PANEL",
    "GRADE",
    "TAIL_TOL",
    "sorted_breakpoints",
    "body_rates",
    "body_coefficients",
    "propagative_breaks",
    "evanescent_cutoff",
    "evanescent_breaks",
]

PHASE_PER_PANEL = 8.0  # max phase/decay change (rad) across one panel
GRADE = 3.0  # geometric grading ratio toward a singularity
TAIL_TOL = 1e-16  # relative tolerance of the evanescent cut-off


# ---------------------------------------------------------------------------
# Panels


@njit
def _add_graded(pts, c, d, lo, hi):
    """Append c and c +- d GRADE^k inside (lo, hi) to the list pts."""
    span = hi - lo
    d = max(d, 1e-14 * max(1.0, abs(c)))
    if d >= span:
        return
    if lo < c < hi:
        pts.append(c)
    x = d
    while x < span:
        if c - x > lo:
            pts.append(c - x)
        if c + x < hi:
            pts.append(c + x)
        x *= GRADE


@njit
def sorted_breakpoints(pts):
    """Sorted, de-duplicated array of breakpoints."""
    arr = np.empty(len(pts), dtype=np.float64)
    for i in range(len(pts)):
        arr[i] = pts[i]
    arr = np.sort(arr)
    out = np.empty_like(arr)
    m = 0
    for i in range(arr.shape[0]):
        if m == 0 or arr[i] - out[m - 1] > 1e-15 * max(1.0, abs(arr[i])):
            out[m] = arr[i]
            m += 1
    return out[:m]


@njit
def _slab_rate(eps, kd):
    """Rate (per unit u) of the Fabry-Perot factor exp(2iK delta w_m), 0 if damped."""
    if math.isinf(kd):
        return 0.0
    if 2.0 * kd * cmath.sqrt(eps).imag > 45.0:
        return 0.0
    return 2.0 * kd * max(1.0, math.sqrt(abs(eps)))


@njit
def body_rates(use_stack, eps, kd, med, st_kd):
    """(srate, tslab, hrate, thyp): oscillation rates of the body's reflection per unit u.

    srate: Fabry-Perot rate for u below tslab = asinh(index) + 1 (beyond it the
    layers' factors exp(2iK d k_j) decay); hrate: rate of the hyperbolic layers,
    whose TM factor keeps oscillating (k_j ~ u sqrt(-eps_t/eps_z)) up to
    t = thyp, where their losses damp it (docs/theory.md §9).
    """
    if not use_stack:
        return _slab_rate(eps, kd), math.asinh(math.sqrt(abs(eps))) + 1.0, 0.0, 0.0
    srate = 0.0
    index = 1.0
    hrate = 0.0
    thyp = 0.0
    for j in range(st_kd.shape[0]):
        et = med[j + 1, 0]  # rows 1..L of the medium table: eps_t, eps_z of layer j
        ez = med[j + 1, 1]
        m = math.sqrt(max(abs(et), abs(ez), abs(et / ez)))
        index = max(index, m)
        if 2.0 * st_kd[j] * min(cmath.sqrt(et).imag, cmath.sqrt(ez).imag) <= 45.0:
            srate += 2.0 * st_kd[j] * max(1.0, m)
        if et.real * ez.real < 0.0 and st_kd[j] > 0.0:
            nh = cmath.sqrt(-et / ez)
            hrate += 2.0 * st_kd[j] * abs(nh)
            u_damp = 45.0 / (2.0 * st_kd[j] * abs(nh.imag)) if nh.imag != 0.0 else 1e300
            thyp = max(thyp, math.asinh(min(u_damp, 1e300)))
    return srate, math.asinh(index) + 1.0, hrate, thyp


@njit
def propagative_breaks(ks, kzmax, srate, sing, nsing, phase):
    """Breakpoints on theta in [0, pi/2] (propagative part)."""
    rate = 3.0 + kzmax + ks + srate
    half_pi = 0.5 * math.pi
    npan = int(math.ceil(half_pi * rate / phase))
    pts = [0.0, half_pi]
    for i in range(1, npan):
        pts.append(half_pi * i / npan)
    for k in range(nsing):
        th = cmath.acos(sing[k])
        c = min(max(th.real, 0.0), half_pi)
        _add_graded(pts, c, abs(th - c), 0.0, half_pi)
    return sorted_breakpoints(pts)


@njit
def body_coefficients(use_stack, eps, kd, med, st_kd, vac_below, wz):
    """(rho_te, rho_tm, tau_te, tau_tm) of the body: the slab of §3 or the stack of §9 (|tau|)."""
    if use_stack:
        return stack_coefficients_table(med, st_kd, wz, vac_below and wz.imag == 0.0)
    return slab_coefficients_scalar(eps, wz, kd)


@njit
def evanescent_cutoff(use_stack, eps, kd, med, st_kd, vac_below, a, sing, npoles):
    """Cut-off of the evanescent t integral for the decay exp(-a sinh t), a = K Sz.

    Tail of 3/2 |rho| int_V^inf u^3 e^{-a v} dt ~ 3/2 |rho| e^{-aV}(V^2/a + 2V/a^2 + 2/a^3)
    kept below TAIL_TOL * (1 + 3|rho|/a^3) (relative to the integral's size).
    """
    v = 10.0
    for _ in range(30):
        r1, r2, t1, t2 = body_coefficients(use_stack, eps, kd, med, st_kd, vac_below, 1j * v)
        rb = max(abs(r1), abs(r2), 1e-3)
        tol = TAIL_TOL * (1.0 + 3.0 * rb / a**3)
        poly = 1.5 * rb * (v * v / a + 2.0 * v / a**2 + 2.0 / a**3)
        vn = max(1.0, math.log(poly / tol) / a)
        if abs(vn - v) < 1e-3 * v:
            v = vn
            break
        v = vn
    # keep every pole whose contribution is not negligible inside the range
    for k in range(npoles):
        vp = (-1j * sing[k]).real
        if vp > 0.0 and a * vp < 40.0 + 4.0 * math.log(1.0 + vp):
            v = max(v, vp + 40.0 / a)
    return math.asinh(v)


@njit
def evanescent_breaks(ks, a_max, tmax, srate, tslab, hrate, thyp, sing, nsing, phase):
    """Breakpoints on t in [0, tmax] (evanescent part)."""
    pts = [0.0, tmax]
    t = 0.0
    while True:
        ch = math.cosh(t)
        rate = 3.0 + (ks + a_max) * ch
        if t < tslab:
            rate += srate * ch
        if t < thyp:
            rate += hrate * ch
        t += min(1.0, phase / rate)
        if t >= tmax:
            break
        pts.append(t)
    for k in range(nsing):
        ts = cmath.asinh(-1j * sing[k])
        c = min(max(ts.real, 0.0), tmax)
        _add_graded(pts, c, abs(ts - c), 0.0, tmax)
    return sorted_breakpoints(pts)
