"""Argument checks shared by the library modules.

Each check takes the argument's name and unit so that the
:class:`~neqent.errors.ValidationError` (a ``ValueError``) names
the argument, the offending value and the allowed range, e.g.
``z1 must be finite and > 0 m, got -1e-06``. Scalars and arrays are both
accepted; the checked value is returned as a float array.
"""

from __future__ import annotations

import numpy as np

from neqent.errors import ValidationError

__all__ = ["positive", "nonnegative", "finite", "electrical_size", "size_culprit", "MAX_ELECTRICAL_SIZE"]

#: Speed of light (m/s), for the electrical size K L = omega L / c.
_C_LIGHT = 299792458.0

#: Largest electrical size the kernel quadrature accepts (see :func:`electrical_size`).
MAX_ELECTRICAL_SIZE = 2e4


def _as_float(name, value, unit):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a number in {unit}, got {value!r}") from None


def _require(name, arr, ok, allowed, unit):
    """Raise naming the first element of ``arr`` where ``ok`` is False."""
    if not np.all(ok):
        # .item(): a Python float, so the message reads "got -1e-06", not "got np.float64(-1e-06)"
        raise ValidationError(f"{name} must be {allowed} {unit}, got {arr[~ok].flat[0].item()!r}")


def positive(name, value, unit, allow_inf=False):
    """``value`` as a float array; ValueError unless every element is finite and > 0.

    Parameters
    ----------
    name : str
        Argument name (or config key) used in the message.
    value : float or array_like
        The value to check, in ``unit``.
    unit : str
        Unit of ``value`` for the message, e.g. ``"m"``.
    allow_inf : bool
        Also admit +inf (e.g. a half-space thickness).

    Returns
    -------
    ndarray
        ``value`` as float64 [``unit``].

    Raises
    ------
    ValidationError
        Naming ``name``, the first offending element, the allowed range and ``unit``.
    """
    arr = _as_float(name, value, unit)
    ok = (arr > 0) & (np.isfinite(arr) | (allow_inf & np.isposinf(arr)))
    _require(name, arr, ok, "> 0 (inf allowed)" if allow_inf else "finite and > 0", unit)
    return arr


def nonnegative(name, value, unit):
    """``value`` as a float array [``unit``]; ValueError unless every element is finite and >= 0.

    Parameters
    ----------
    name, value, unit
        As in :func:`positive`; result and error too.
    """
    arr = _as_float(name, value, unit)
    _require(name, arr, np.isfinite(arr) & (arr >= 0), "finite and >= 0", unit)
    return arr


def finite(name, value, unit):
    """``value`` as a float array [``unit``]; ValueError unless every element is finite.

    Parameters
    ----------
    name : str
        Argument name (or config key) for the message.
    value : float or array_like
        Values [``unit``]; NaN and inf are rejected.
    unit : str
        Unit for the message. Result and error as in :func:`positive`.
    """
    arr = _as_float(name, value, unit)
    _require(name, arr, np.isfinite(arr), "finite", unit)
    return arr


#: The slab damps its Fabry-Perot factor exp(2 i K delta w_m) when 2 K delta Im sqrt(eps)
#: exceeds this (same threshold as ``neqent.electrodynamics.panels._slab_rate``); no panels are then spent on it.
_DAMPED = 45.0


def _slab_index(k, delta, eps):
    """Effective index n of the slab's cost K delta n (0 for a half-space).

    |sqrt(eps)| while the Fabry-Perot factor oscillates (panels follow it);
    sqrt(max(Re eps - 1, 0)) once it is damped (only the guided-mode search
    grid, ~ (8/pi) K delta sqrt(Re eps - 1) points, still grows).
    """
    root = np.sqrt(np.asarray(eps, dtype=complex))
    finite_d = np.where(np.isinf(delta), 0.0, delta)
    damped = 2.0 * k * finite_d * root.imag > _DAMPED
    n = np.where(damped, np.sqrt(np.maximum(root.real**2 - root.imag**2 - 1.0, 0.0)), np.abs(root))
    return np.where(np.isinf(delta), 0.0, n), damped


def electrical_size(omega, z_q, z_qp, s=0.0, delta=np.inf, eps=1.0, names=("omega", "z_q", "z_qp", "s", "delta")):
    """Electrical sizes of a pair geometry; ValueError if the quadrature cannot afford them.

    Parameters
    ----------
    omega : float or array_like
        Angular frequency [rad/s], > 0.
    z_q, z_qp : float or array_like
        Qubit heights [m].
    s : float or array_like
        In-plane separation [m].
    delta : float or array_like
        Slab thickness [m], ``inf`` for a half-space.
    eps : complex or array_like
        Permittivity at omega [1]. All arrays broadcast.
    names : tuple of str
        Argument names (or config keys) of omega, z_q, z_qp, s, delta used
        in the message.

    Returns
    -------
    size, slab_size : ndarray
        With K = omega / c [1/m]: size = K (z_q + z_qp + s) [1] and
        slab_size = K delta n [1], the slab's optical
    thickness with n = |sqrt(eps)| (0 for a half-space; n = sqrt(Re eps - 1)
    or 0 once the slab damps its Fabry-Perot factor below e^-45, when only
    the guided-mode search still grows with it).
    The Gauss-Legendre panel count of :mod:`neqent.electrodynamics.kernels` grows linearly
    with both (phase per panel <= 8 rad; ``neqent.electrodynamics.panels.propagative_breaks``, ``evanescent_breaks``,
    ``_slab_rate``), so unbounded inputs exhaust memory (omega = 1e30 rad/s
    at z ~ 1 um: ~1e16 panels) or never finish (z2 = 1 m at 0.3 w_T of SiC:
    size 1.5e5).

    Raises
    ------
    ValidationError
        Naming the arguments, their values and the allowed range when size >
        MAX_ELECTRICAL_SIZE (2e4) or, for finite delta, slab_size >
        MAX_ELECTRICAL_SIZE.

    Notes
    -----
    Measured at the limit (one
    ``pair_block``/``pair_tensors`` call, 16 nodes per panel, one core):
    size 2e4 -> 1.0e5 nodes, 0.04 s (eps = 4 + 0.1j half-space) and
    1.1e5 nodes, 0.06 s (10 nm slab); slab_size 2e4 -> 6.0e5 nodes,
    0.19 s (lossless eps = 4), and 3e3 nodes, 0.07 s for a damped slab
    (eps = 1e4 + 1e4 i or 100 + 10 i; pole search). Both costs are linear
    (size 4e4: 2e5 nodes, 0.07 s; damped slab_size 2e5: 2-5 s), so the limit
    caps one point at well under a second.
    """
    w = np.asarray(omega, dtype=float)
    k = w / _C_LIGHT
    size = k * (np.asarray(z_q, float) + np.asarray(z_qp, float) + np.asarray(s, float))
    d = np.asarray(delta, dtype=float)
    n_eff, damped = _slab_index(k, d, eps)
    slab = k * np.where(np.isinf(d), 0.0, d) * n_eff
    size, slab, w_b, zq, zqp, s_b, d_b, n_eff, damped = np.broadcast_arrays(
        size, slab, w, np.asarray(z_q, float), np.asarray(z_qp, float), np.asarray(s, float), d, n_eff, damped
    )
    n_w, n_a, n_b, n_s, n_d = names
    limit = MAX_ELECTRICAL_SIZE
    bad = ~(size <= limit)
    if np.any(bad):
        i = np.flatnonzero(bad.ravel())[0]
        wi, li = float(w_b.flat[i]), float(zq.flat[i] + zqp.flat[i] + s_b.flat[i])
        raise ValidationError(
            f"{n_w} ({n_a} + {n_b} + {n_s}) / c must be <= {limit:g} (the kernel quadrature's "
            f"panel count grows with it), got {float(size.flat[i]):.3g} at {n_w} = {wi:.6g} rad/s, "
            f"{n_a} = {float(zq.flat[i]):.6g} m, {n_b} = {float(zqp.flat[i]):.6g} m, "
            f"{n_s} = {float(s_b.flat[i]):.6g} m; allowed: {n_w} <= {limit * _C_LIGHT / li:.3g} rad/s "
            f"at these lengths, or {n_a} + {n_b} + {n_s} <= {limit * _C_LIGHT / wi:.3g} m at this {n_w}"
        )
    bad = ~(slab <= limit)
    if np.any(bad):
        i = np.flatnonzero(bad.ravel())[0]
        wi, ni = float(w_b.flat[i]), float(n_eff.flat[i])
        index = "sqrt(Re eps - 1)" if damped.flat[i] else "|sqrt(eps)|"
        raise ValidationError(
            f"{n_w} {n_d} {index} / c (slab optical thickness) must be <= {limit:g}, got "
            f"{float(slab.flat[i]):.3g} at {n_d} = {float(d_b.flat[i]):.6g} m, {n_w} = {wi:.6g} rad/s, "
            f"{index} = {ni:.4g}; allowed: {n_d} <= {limit * _C_LIGHT / (wi * ni):.3g} m at this "
            f"{n_w}, or {n_d} = inf (a half-space) for an optically thick slab"
        )
    return size, slab


#: Paper-geometry scales (docs/theory.md §11): omega = 0.3 w_T of SiC (rad/s), heights (m), separation (m).
_PAPER_SCALES = (0.3 * 1.495e14, 1e-6, 1e-6, 0.25e-6)


def size_culprit(omega, z_q, z_qp, s, names=("omega", "z_q", "z_qp", "s")):
    """Name (from ``names``) of the argument that grew most beyond the paper geometry.

    Used to blame one argument (CLI option, config key) when
    :func:`electrical_size` rejects the product omega (z_q + z_qp + s) / c:
    each value (largest if an array) is compared with its paper value
    (0.3 w_T of SiC, 1 um, 1 um, 0.25 um).

    Parameters
    ----------
    omega : float or array_like
        Angular frequency [rad/s].
    z_q, z_qp, s : float or array_like
        Qubit heights and in-plane separation [m].
    names : tuple of str
        The names of omega, z_q, z_qp, s.

    Returns
    -------
    str
        One of ``names``.
    """
    values = [float(np.max(v)) for v in (omega, z_q, z_qp, s)]
    growth = [v / ref for v, ref in zip(values, _PAPER_SCALES)]
    return names[int(np.argmax(growth))]
