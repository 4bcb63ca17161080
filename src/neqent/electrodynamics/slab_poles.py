"""Location of a slab's guided-mode and surface-polariton poles (docs/theory.md §4e).

Moved from :mod:`neqent.electrodynamics.kernels`.
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from neqent.electrodynamics.fresnel import cexpm1, sqrt_im_pos
from neqent.electrodynamics.panels import sorted_breakpoints
from neqent.jit import njit

__all__ = ["MAX_POLES", "find_slab_singularities"]

MAX_POLES = 256


# ---------------------------------------------------------------------------
# Pole location (§4e). Work with v = -i w_z (real and > 0 on the evanescent
# axis). For a slab rho_p = -(A^2 - B^2) em1 / D_p with
#   D_p(v) = 4 A B - (A - B)^2 (exp(2 i K delta w_m) - 1),
# A = c_p w_z (c_TE = 1, c_TM = eps), B = w_m; its zeros do not depend on the
# branch of w_m (D(-B) = -exp(-2iK delta B) D(B)), so rho is an analytic
# function of w_z and the poles are zeros of D.


@njit
def _slab_den(eps, v, kd, tm, im_branch):
    """D_p(v) for a finite slab (see above); im_branch selects Im w_m >= 0."""
    wz = 1j * v
    arg = (eps - 1.0) + wz * wz
    wm = sqrt_im_pos(arg) if im_branch else cmath.sqrt(arg)
    if tm:
        a = eps * wz
        a2mb2 = (eps - 1.0) * ((eps + 1.0) * wz * wz - 1.0)
    else:
        a = wz
        a2mb2 = 1.0 - eps
    amb = a2mb2 / (a + wm)
    return 4.0 * a * wm - amb * amb * cexpm1(2j * kd * wm)


@njit
def _newton_pole(eps_r, eps_i, v0, kd, tm, im_branch):
    """Follow a lossless real root v0 to the lossy eps by continuation + Newton.

    Returns (v, ok). Numerical derivative (central difference).
    """
    v = complex(v0, 0.0)
    nsteps = 6 if eps_i != 0.0 else 1
    ok = True
    for k in range(1, nsteps + 1):
        eps = complex(eps_r, eps_i * k / nsteps)
        conv = False
        for _ in range(60):
            h = 1e-7 * abs(v) + 1e-14
            f = _slab_den(eps, v, kd, tm, im_branch)
            df = (_slab_den(eps, v + h, kd, tm, im_branch) - _slab_den(eps, v - h, kd, tm, im_branch)) / (2.0 * h)
            if df == 0:
                break
            dv = f / df
            # damp wild steps (stay in the neighbourhood of the real root)
            lim = 0.5 * abs(v) + 1e-12
            if abs(dv) > lim:
                dv = dv * (lim / abs(dv))
            v = v - dv
            if abs(dv) <= 1e-13 * abs(v) + 1e-300:
                conv = True
                break
        if not conv:
            ok = False
    if not (math.isfinite(v.real) and math.isfinite(v.imag)):
        return complex(v0, 0.0), False
    return v, ok


@njit
def _dielectric_phase(er, kd, c, v):
    """h(v) = 2 atan2(c v, kappa) - kd kappa, kappa = sqrt(er - 1 - v^2) > 0.

    For lossless eps = er > 1 and w_z = i v, D_p(v) e^{-i kd kappa} =
    2i |kappa + i c v|^2 sin(h(v)): the zeros are the crossings h = -m pi
    (m integer). v > 0: guided modes (one per m, h increasing); v < 0:
    improper (below-cutoff) modes, which sit close to u = 1 near a cut-off.
    """
    kap = math.sqrt(max(er - 1.0 - v * v, 0.0))
    return 2.0 * math.atan2(c * v, kap) - kd * kap


@njit
def _dielectric_roots(er, kd, c, out, n):
    """Real roots of the lossless condition for |v| < sqrt(er - 1) (both signs of v)."""
    vmax = math.sqrt(er - 1.0)
    # grid: uniform + logarithmic in kappa (resolves the oscillation and
    # v -> +-vmax) and logarithmic in |v| (resolves modes near cut-off)
    nk = int(8.0 * kd * vmax / math.pi) + 200
    grid = []
    for i in range(nk + 1):
        kap = vmax * i / nk
        grid.append(math.sqrt(max(er - 1.0 - kap * kap, 0.0)))
    for i in range(121):
        kap = vmax * 10.0 ** (-10.0 + 10.0 * i / 120.0)
        grid.append(math.sqrt(max(er - 1.0 - kap * kap, 0.0)))
    for i in range(241):
        grid.append(vmax * 10.0 ** (-14.0 + 14.0 * i / 240.0))
    m = len(grid)
    for i in range(m):
        grid.append(-grid[i])
    vs = sorted_breakpoints(grid)
    kmin = 1e-9 * vmax
    for i in range(vs.shape[0] - 1):
        a = vs[i]
        b = vs[i + 1]
        if math.sqrt(max(er - 1.0 - a * a, 0.0)) < kmin or math.sqrt(max(er - 1.0 - b * b, 0.0)) < kmin:
            continue  # w_m = 0 is a trivial zero of D, not a pole
        ha = _dielectric_phase(er, kd, c, a)
        hb = _dielectric_phase(er, kd, c, b)
        lo_m = math.ceil(min(ha, hb) / math.pi)
        hi_m = math.floor(max(ha, hb) / math.pi)
        for mm in range(int(lo_m), int(hi_m) + 1):
            target = mm * math.pi
            if target == ha or n >= out.shape[0]:
                continue
            lo = a
            hi = b
            flo = ha - target
            for _ in range(200):
                mid = 0.5 * (lo + hi)
                fm = _dielectric_phase(er, kd, c, mid) - target
                if (fm < 0.0) == (flo < 0.0):
                    lo = mid
                    flo = fm
                else:
                    hi = mid
                if hi - lo <= 1e-16 * abs(hi):
                    break
            out[n] = 0.5 * (lo + hi)
            n += 1
    return n


@njit
def _metal_f(er, v, kd, c, s):
    """Lossless condition for imaginary w_m = i mu (|v| > sqrt(er - 1)), real-valued."""
    mu = math.sqrt(max(v * v + 1.0 - er, 0.0))
    h = math.exp(-kd * mu)
    return (c * v + mu) - s * (c * v - mu) * h


@njit
def _metal_roots(er, kd, c, vsign, out, n):
    """Sign changes of _metal_f on a log grid of |v| (surface-polariton branches)."""
    vlo = math.sqrt(max(er - 1.0, 0.0))
    vhi = max(1e3, 20.0 / kd)
    if er < -1.0:
        vhi = max(vhi, 20.0 / math.sqrt(-1.0 - er))
    lvlo = math.log(max(vlo, 1e-12))
    npts = int(40.0 * (math.log(vhi) - lvlo) / math.log(10.0)) + 2
    for s in (-1.0, 1.0):
        vprev = vsign * math.exp(lvlo) * (1.0 + 1e-9)
        fprev = _metal_f(er, vprev, kd, c, s)
        for i in range(1, npts + 1):
            vi = vsign * math.exp(lvlo + (math.log(vhi) - lvlo) * i / npts)
            fi = _metal_f(er, vi, kd, c, s)
            if (fprev < 0.0) != (fi < 0.0) and n < out.shape[0]:
                lo = vprev
                hi = vi
                flo = fprev
                for _ in range(200):
                    mid = 0.5 * (lo + hi)
                    fm = _metal_f(er, mid, kd, c, s)
                    if (fm < 0.0) == (flo < 0.0):
                        lo = mid
                        flo = fm
                    else:
                        hi = mid
                    if abs(hi - lo) <= 1e-16 * abs(hi):
                        break
                out[n] = 0.5 * (lo + hi)
                n += 1
            vprev = vi
            fprev = fi
    return n


@njit
def find_slab_singularities(eps, kd, sing):
    """Singular points of rho_p in the w_z plane near the integration path.

    Fills ``sing`` (complex w_z values) and returns (count, npoles): the first
    ``npoles`` entries are poles (guided modes, surface polaritons), the rest
    branch points (half-space only: w_m = 0).
    """
    n = 0
    er = eps.real
    ei = eps.imag
    if abs(eps - 1.0) < 1e-14:
        return 0, 0
    if math.isinf(kd):
        # half-space: r_TM pole at eps w_z + w_m = 0, i.e. w_z^2 = 1/(eps + 1)
        if abs(eps + 1.0) > 1e-300:
            w0 = cmath.sqrt(1.0 / (eps + 1.0))
            for sgn in (1.0, -1.0):
                wz = sgn * w0
                wm = sqrt_im_pos((eps - 1.0) + wz * wz)
                if abs(eps * wz + wm) <= 1e-8 * (abs(eps * wz) + abs(wm)) and n < sing.shape[0]:
                    sing[n] = wz
                    n += 1
        npoles = n
        wb = cmath.sqrt(1.0 - eps)  # branch points w_m = 0
        sing[n] = wb
        sing[n + 1] = -wb
        return n + 2, npoles
    roots = np.empty(MAX_POLES, dtype=np.float64)
    for tm in (False, True):
        c = er if tm else 1.0
        nd = _dielectric_roots(er, kd, c, roots, 0) if er > 1.0 else 0
        nm = _metal_roots(er, kd, c, -1.0, roots, nd)
        if er < 1.0:
            nm = _metal_roots(er, kd, c, 1.0, roots, nm)
        for i in range(nm):
            v, ok = _newton_pole(er, ei, roots[i], kd, tm, i >= nd)
            if n < sing.shape[0]:
                sing[n] = 1j * v
                n += 1
    return n, n
