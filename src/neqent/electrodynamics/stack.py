"""Planar stacks of isotropic or uniaxial layers (docs/theory.md §9).

The body is a list of layers j = 1..L, top to bottom (top surface at z = 0),
above vacuum or a semi-infinite substrate. Each medium has an in-plane
permittivity ``eps_t`` and one along the optic axis z, ``eps_z`` (isotropic:
equal). Everything below is dimensionless: wavenumbers [K = omega/c],
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
    "stack_coefficients_table",
    "medium_table",
    "stack_singularities",
]

# error_model="numpy" on the kernels below, and _div for complex quotients: a division by
# an exact zero (Newton landing exactly on a pole) gives inf/nan, which the pole scan and
# Newton's method handle, instead of raising ZeroDivisionError inside a numba loop.

#: Largest number of singular points (poles, branch points) kept per stack.
MAX_STACK_SING = 512


@njit(error_model="numpy")
def _div(a, b):
    """a / b for complex values, inf instead of ZeroDivisionError when b == 0."""
    if b == 0:
        return complex(math.inf, 0.0)
    return a / b


@njit(error_model="numpy")
def _diff(d2, ya, yb):
    """ya - yb from d2 = ya^2 - yb^2 (no cancellation when ya ~ yb); direct where ya + yb == 0.

    ya + yb vanishes where both admittances do (two layers of one material at their
    common branch point k_z = 0): then d2 == 0 too and the quotient would be 0/0.
    """
    s = ya + yb
    if s == 0:
        return ya - yb
    return d2 / s


# The quadrature's hot loop evaluates both polarisations at ~1e3 nodes per geometry point:
# per-medium constants (1/eps_t, 1/(eps_t eps_z), ...) are tabulated once per stack
# (medium_table) so that a node costs two complex divisions per layer and polarisation.
_ET, _EZ, _INV_ET, _INV_S, _C_TM, _RATIO = range(6)


@njit(error_model="numpy")
def _fill_medium(med, i, et, ez):
    s = et * ez
    med[i, _ET] = et
    med[i, _EZ] = ez
    med[i, _INV_ET] = 1.0 / et
    med[i, _INV_S] = 1.0 / s
    med[i, _C_TM] = (ez - 1.0) / s
    med[i, _RATIO] = et / ez


@njit(error_model="numpy")
def medium_table(et, ez, sub_et, sub_ez):
    """Table of the media: row 0 the vacuum on top, 1..L the layers, L + 1 below.

    Columns: eps_t, eps_z, 1/eps_t, 1/(eps_t eps_z), (eps_z - 1)/(eps_t eps_z), eps_t/eps_z.
    With them Y_TM^2 = (w_z^2 + eps_z - 1)/(eps_t eps_z) and the differences of §9's
    admittance squares are products and sums only.

    Parameters
    ----------
    et, ez : ndarray, shape (L,), complex
        In-plane and axial permittivities of the layers, top first [1].
    sub_et, sub_ez : complex
        Permittivities of the medium below [1] (1, 1 for vacuum).

    Returns
    -------
    ndarray, shape (L + 2, 6), complex128
        The table [1].
    """
    n = et.shape[0]
    med = np.empty((n + 2, 6), dtype=np.complex128)
    _fill_medium(med, 0, 1.0 + 0.0j, 1.0 + 0.0j)
    for j in range(n):
        _fill_medium(med, j + 1, et[j], ez[j])
    _fill_medium(med, n + 1, sub_et, sub_ez)
    return med


@njit(error_model="numpy")
def _adm_row(med, i, wz, wz2):
    """(Y_te, k_te, Y_tm, k_tm) of medium row i (vacuum: w_z itself, see _admittance)."""
    et = med[i, _ET]
    ez = med[i, _EZ]
    if et == 1.0 and ez == 1.0:
        return wz, wz, wz, wz
    k1 = sqrt_im_pos((et - 1.0) + wz2)
    if et == ez:
        return k1, k1, k1 * med[i, _INV_ET], k1
    k2 = sqrt_im_pos(med[i, _RATIO] * ((ez - 1.0) + wz2))
    return k1, k1, k2 * med[i, _INV_ET], k2


@njit(error_model="numpy")
def _dy2_rows(med, a, b, wz2):
    """(Y_a^2 - Y_b^2) for TE and TM from the table (the u-dependence cancels exactly)."""
    te = med[a, _ET] - med[b, _ET]
    tm = wz2 * (med[a, _INV_S] - med[b, _INV_S]) + (med[a, _C_TM] - med[b, _C_TM])
    return te, tm


@njit(error_model="numpy")
def stack_coefficients_table(med, kd, wz, need_tau):
    """Reflection and transmission of a stack given its :func:`medium_table`.

    The recursion of the module docstring for both polarisations at once; an isotropic
    layer shares k (and its exponential) between TE and TM. Only ``|T|`` is formed
    (``|P| = exp(-K d Im k)``): its phase never enters the kernels (§9).

    Parameters
    ----------
    med : ndarray, shape (L + 2, 6), complex128
        The media, from :func:`medium_table` [1].
    kd : ndarray, shape (L,)
        K d_j of the layers [1], >= 0.
    wz : complex
        Vacuum normal wavenumber [K = omega/c], Im >= 0.
    need_tau : bool
        False skips the transmission (0 returned).

    Returns
    -------
    rho_te, rho_tm : complex
        Reflection coefficients [1].
    abs_t_te, abs_t_tm : float
        ``|T_te|``, ``|T_tm|`` [1].
    """
    num1, den1, num2, den2, t1, t2 = _recursion(med, kd, wz, need_tau)
    return _div(num1, den1), _div(num2, den2), t1 + 0j, t2 + 0j


@njit(error_model="numpy")
def _recursion(med, kd, wz, need_tau):
    """(num_te, den_te, num_tm, den_tm, |T_te|, |T_tm|): rho_p = num_p / den_p (module docstring)."""
    n = kd.shape[0]
    sub = n + 1
    wz2 = wz * wz
    z1, _, z2, _ = _adm_row(med, sub, wz, wz2)
    if n == 0:  # a bare substrate (half-space): rho = r of one interface
        d1, d2 = _dy2_rows(med, 0, sub, wz2)
        t1 = abs(2.0 * wz / (wz + z1)) if need_tau else 0.0
        t2 = abs(2.0 * wz / (wz + z2)) if need_tau else 0.0
        return d1, (wz + z1) * (wz + z1), d2, (wz + z2) * (wz + z2), t1, t2
    yb1, kb1, yb2, kb2 = _adm_row(med, n, wz, wz2)
    # |T| = |prod numerators / prod denominators| * prod exp(-K d Im k) (one division at the end)
    tn1 = 2.0 * yb1
    td1 = yb1 + z1
    tn2 = 2.0 * yb2
    td2 = yb2 + z2
    tr1 = 1.0
    tr2 = 1.0
    raw = True
    for j in range(n - 1, -1, -1):
        b = j + 1  # layer j (row j + 1) under medium a = row j (row 0: the vacuum on top)
        ya1, ka1, ya2, ka2 = _adm_row(med, j, wz, wz2)
        d1, d2 = _dy2_rows(med, j, b, wz2)
        ya_m_yb1 = _diff(d1, ya1, yb1)
        ya_m_yb2 = _diff(d2, ya2, yb2)
        if raw:
            d1, d2 = _dy2_rows(med, b, sub, wz2)
            yb_m_z1 = _diff(d1, yb1, z1)
            yb_m_z2 = _diff(d2, yb2, z2)
        else:
            yb_m_z1 = yb1 - z1
            yb_m_z2 = yb2 - z2
        if kd[j] > 0.0:
            em1_1 = cexpm1(2j * kd[j] * kb1)
            em1_2 = em1_1 if med[b, _ET] == med[b, _EZ] else cexpm1(2j * kd[j] * kb2)
        else:
            em1_1 = 0.0j
            em1_2 = 0.0j
        den1 = 2.0 * yb1 * (ya1 + z1) + ya_m_yb1 * yb_m_z1 * em1_1
        den2 = 2.0 * yb2 * (ya2 + z2) + ya_m_yb2 * yb_m_z2 * em1_2
        if need_tau:
            tn1 = tn1 * 2.0 * ya1 * (yb1 + z1)
            td1 = td1 * den1
            tn2 = tn2 * 2.0 * ya2 * (yb2 + z2)
            td2 = td2 * den2
            tr1 *= math.exp(-kd[j] * kb1.imag)
            tr2 *= math.exp(-kd[j] * kb2.imag)
        if j == 0:
            if raw:
                d1, d2 = _dy2_rows(med, 0, sub, wz2)
                ya_m_z1 = _diff(d1, ya1, z1)
                ya_m_z2 = _diff(d2, ya2, z2)
            else:
                ya_m_z1 = ya1 - z1
                ya_m_z2 = ya2 - z2
            num1 = 2.0 * yb1 * ya_m_z1 + (ya1 + yb1) * yb_m_z1 * em1_1
            num2 = 2.0 * yb2 * ya_m_z2 + (ya2 + yb2) * yb_m_z2 * em1_2
            if not need_tau:
                return num1, den1, num2, den2, 0.0, 0.0
            return num1, den1, num2, den2, abs(_div(tn1, td1)) * tr1, abs(_div(tn2, td2)) * tr2
        z1 = _div(yb1 * (2.0 * z1 - yb_m_z1 * em1_1), 2.0 * yb1 + yb_m_z1 * em1_1)
        z2 = _div(yb2 * (2.0 * z2 - yb_m_z2 * em1_2), 2.0 * yb2 + yb_m_z2 * em1_2)
        yb1, kb1, yb2, kb2 = ya1, ka1, ya2, ka2
        raw = False
    return 0.0j, 1.0 + 0.0j, 0.0j, 1.0 + 0.0j, 0.0, 0.0  # not reached


@njit(error_model="numpy")
def stack_coefficients_scalar(et, ez, kd, sub_et, sub_ez, wz):
    """Stack coefficients (rho_te, rho_tm, tau_te, tau_tm) at one point (docs/theory.md §9).

    tau_p = 0 with a substrate (§9: the walls do not reach the qubits through it);
    with vacuum below tau_p = ``|T_p|`` (real): only ``|tau_p|^2`` enters the kernels, and
    only for propagating waves, so it is formed only there (0 for evanescent wz).

    Parameters
    ----------
    et, ez : ndarray, shape (L,), complex
        In-plane and axial permittivities of the layers, top first [1].
    kd : ndarray, shape (L,)
        K d_j of the layers [1], >= 0.
    sub_et, sub_ez : complex
        Permittivities of the medium below [1] (1, 1 for vacuum).
    wz : complex
        Vacuum normal wavenumber [K = omega/c], Im >= 0.

    Returns
    -------
    rho_te, rho_tm, tau_te, tau_tm : complex
        Reflection and transmission coefficients [1].
    """
    vac_below = sub_et == 1.0 and sub_ez == 1.0
    med = medium_table(et, ez, sub_et, sub_ez)
    return stack_coefficients_table(med, kd, wz, vac_below and wz.imag == 0.0)


def stack_coefficients(eps_t, eps_z, k_d, sub_eps_t, sub_eps_z, wz):
    """Vectorised :func:`stack_coefficients_scalar` over ``wz`` (docs/theory.md §9).

    Parameters
    ----------
    eps_t, eps_z : sequence of complex, length L
        Permittivities of the layers, top first [1].
    k_d : sequence of float, length L
        K d_j of the layers [1], >= 0.
    sub_eps_t, sub_eps_z : complex
        Permittivities of the medium below [1] (1, 1 for vacuum).
    wz : complex or array_like
        Vacuum normal wavenumber(s) [K = omega/c], Im >= 0.

    Returns
    -------
    rho_te, rho_tm, tau_te, tau_tm : ndarray or complex
        Coefficients [1] with the shape of ``wz``; tau_p is ``|T_p|`` for
        propagating wz with vacuum below, else 0 (see :func:`stack_coefficients_scalar`).
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


# ---------------------------------------------------------------------------
# Pole location for a stack (§9): rather than solving for the modes of the whole
# stack, scan |rho_p| along the real integration path on a fine grid, take each
# local maximum as a candidate and follow it into the complex w_z plane with
# Newton's method on 1/rho_p (analytic and ~linear near a simple pole).


@njit(error_model="numpy")
def _den(med, kd, wz, tm):
    """Top denominator of rho_TE (tm False) or rho_TM at complex w_z."""
    out = _recursion(med, kd, wz, False)
    return out[3] if tm else out[1]


@njit(error_model="numpy")
def _newton_pole(med, kd, w0, tm):
    """Zero near w0 (complex w_z) of the top denominator of rho_p; returns (w, converged).

    The denominator is analytic near the path (no poles), unlike 1/rho_p, whose poles at the
    zeros of rho_p throw Newton's method into the basin of a distant mode.
    """
    w = w0
    for _ in range(60):
        h = 1e-7 * abs(w) + 1e-15
        f = _den(med, kd, w, tm)
        df = (_den(med, kd, w + h, tm) - _den(med, kd, w - h, tm)) / (2.0 * h)
        if f == 0:
            return w, True
        if df == 0 or not (math.isfinite(f.real) and math.isfinite(f.imag) and math.isfinite(abs(df))):
            return w, False
        dw = f / df
        lim = 0.5 * abs(w) + 1e-9  # stay near the starting peak
        if abs(dw) > lim:
            dw = dw * (lim / abs(dw))
        w = w - dw
        if abs(dw) <= 1e-12 * abs(w) + 1e-300:
            return w, math.isfinite(w.real) and math.isfinite(w.imag)
    return w, False


@njit(error_model="numpy")
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
    # modes: guided up to v ~ index, film polaritons up to v ~ 1/(K d), hyperbolic ones beyond
    vmax = 10.0 * nmax
    if math.isfinite(kdmin):
        vmax = max(vmax, 40.0 / kdmin)
    vmax = min(vmax, 1e7)
    per_decade = 40.0
    # propagating: x = pi/2 - theta from pi/2 down to 1e-9 (log + uniform), w_z = sin x
    top = math.log10(0.5 * math.pi) + 9.0
    xs = np.concatenate(
        (
            1e-9 * 10.0 ** (top * np.arange(int(per_decade * top) + 1) / int(per_decade * top)),
            _uniform(0.5 * math.pi, min(int(0.5 * math.pi * fp / 0.3) + 30, 200000)),
        )
    )
    xs = np.sort(xs)[::-1]
    # evanescent: v from 1e-9 to vmax (log), uniform where Fabry-Perot or hyperbolic modes are dense
    top = math.log10(vmax) + 9.0
    vfp = nmax + 2.0
    vs = np.concatenate(
        (
            1e-9 * 10.0 ** (top * np.arange(int(per_decade * top) + 1) / int(per_decade * top)),
            _uniform(vfp, min(int(vfp * fp / 0.3) + 30, 200000)),
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


@njit(error_model="numpy")
def _uniform(top, n):
    """n - 1 interior points of a uniform grid on (0, top)."""
    return top * np.arange(1, max(n, 1)) / max(n, 1)


@njit(error_model="numpy")
def _path_distance(w):
    """Distance of a complex w_z from the real path in the theta (propagating) or t (evanescent) plane."""
    th = cmath.acos(w)
    c = min(max(th.real, 0.0), 0.5 * math.pi)
    d_th = abs(th - c)
    ts = cmath.asinh(-1j * w)
    c = max(ts.real, 0.0)
    d_t = abs(ts - c)
    return min(d_th, d_t)


@njit(error_model="numpy")
def _coordinate(w):
    """Real path coordinate of a path point w_z: x = asin(w_z) (propagating) or v = -i w_z."""
    return math.asin(min(w.real, 1.0)) if w.imag == 0.0 else w.imag


@njit(error_model="numpy")
def _off_path(x, gamma, evanescent):
    """The complex w_z at distance gamma from the path point with coordinate x."""
    if evanescent:
        return complex(gamma, x)  # w_z = i (x - i gamma)
    return cmath.sin(complex(x, gamma))  # theta = pi/2 - x - i gamma


@njit(error_model="numpy")
def _lorentzian(x1, x2, x3, f1, f2, f3):
    """Centre and half-width of a Lorentzian peak through three samples of |rho| (NaN if none).

    1/|rho|^2 ~ A (x - x0)^2 + B near a pole at distance sqrt(B/A) from the path.
    """
    g1, g2, g3 = 1.0 / (f1 * f1), 1.0 / (f2 * f2), 1.0 / (f3 * f3)
    d12 = (g2 - g1) / (x2 - x1)
    d23 = (g3 - g2) / (x3 - x2)
    a = (d23 - d12) / (x3 - x1)
    if not a > 0.0:
        return math.nan, math.nan
    x0 = 0.5 * (x1 + x2) - 0.5 * d12 / a
    b = g2 - a * (x2 - x0) ** 2
    if not b > 0.0:
        return math.nan, math.nan
    return x0, math.sqrt(b / a)


@njit(error_model="numpy")
def _add_pole(sing, n, w):
    """Append w to sing[:n] unless already there; returns the new count."""
    for k in range(n):
        if abs(sing[k] - w) <= 1e-9 * abs(w) + 1e-14:
            return n
    sing[n] = w
    return n + 1


@njit(error_model="numpy")
def locate_stack_singularities(et, ez, kd, sub_et, sub_ez, sing):
    """Fill ``sing`` with the poles of rho_TE, rho_TM near the path, then the substrate's
    branch points; returns (count, npoles).

    Each local maximum of |rho_p| on the scan grid is a candidate. A peak resolved by the
    grid (half-width >= the spacing) is located by a Lorentzian through its three samples,
    polished by Newton's method on the denominator; a sharper one by Newton's method from
    the grid point (close to the pole relative to the mode spacing, so it converges to that
    mode); if that fails, the grid point itself is graded toward, 1e-3 spacings from the path.
    """
    grid = _scan_grid(et, ez, kd)
    ng = grid.shape[0]
    mag = np.empty((2, ng))
    med = medium_table(et, ez, sub_et, sub_ez)
    for i in range(ng):
        r1, r2, _, _ = stack_coefficients_table(med, kd, grid[i], False)
        mag[0, i] = abs(r1)
        mag[1, i] = abs(r2)
    n = 0
    cap = sing.shape[0] - 4
    for tm in (False, True):
        f0 = mag[int(tm), 0]
        f1 = mag[int(tm), 1]
        for i in range(2, ng):
            f2 = mag[int(tm), i]
            if f1 > f0 and f1 >= f2 and n < cap:
                w0, w1, w2 = grid[i - 2], grid[i - 1], grid[i]
                evan = w0.imag > 0.0 and w2.imag > 0.0
                x0, x1, x2 = _coordinate(w0), _coordinate(w1), _coordinate(w2)
                if evan or (w0.imag == 0.0 and w2.imag == 0.0):
                    xc, gam = _lorentzian(x0, x1, x2, f0, f1, f2)
                else:
                    xc, gam = math.nan, math.nan
                spacing = max(abs(x1 - x0), abs(x2 - x1))
                if gam >= spacing and min(x0, x2) <= xc <= max(x0, x2):
                    w = _off_path(xc, gam, evan)
                    # polish the estimate (three samples fix it to a factor ~2); keep it if
                    # Newton wanders off to another mode
                    wn, ok = _newton_pole(med, kd, w, tm)
                    if ok and abs(wn - w) < 0.5 * abs(w - _off_path(xc, 0.0, evan)):
                        w = wn
                    if _path_distance(w) < 0.25:
                        n = _add_pole(sing, n, w)
                else:
                    w, ok = _newton_pole(med, kd, w1, tm)
                    if ok and _path_distance(w) < 0.25:
                        n = _add_pole(sing, n, w)
                    elif not ok and f1 > 2.0 * min(f0, f2):
                        n = _add_pole(sing, n, _off_path(x1, 1e-3 * spacing, w1.imag > 0.0))
            f0 = f1
            f1 = f2
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
    """Poles of the stack's rho_TE/rho_TM near the real axis, as complex w_z.

    Parameters
    ----------
    eps_t, eps_z, k_d, sub_eps_t, sub_eps_z
        As in :func:`stack_coefficients` ([1]).

    Returns
    -------
    poles, branch_points : ndarray, complex
        Vacuum normal wavenumbers w_z [K = omega/c] of the poles and branch
        points (u = sqrt(1 - w_z^2)).
    """
    et, ez, kd = _layer_arrays(eps_t, eps_z, k_d)
    sing = np.zeros(MAX_STACK_SING, dtype=np.complex128)
    n, npoles = locate_stack_singularities(et, ez, kd, complex(sub_eps_t), complex(sub_eps_z), sing)
    return sing[:npoles].copy(), sing[npoles:n].copy()
