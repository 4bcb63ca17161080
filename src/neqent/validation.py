"""Argument checks shared by the library modules.

Each check takes the argument's name and unit so that the ValueError names
the argument, the offending value and the allowed range, e.g.
``z1 must be finite and > 0 m, got -1e-06``. Scalars and arrays are both
accepted; the checked value is returned as a float array.
"""
from __future__ import annotations

import numpy as np

__all__ = ["positive", "nonnegative", "finite"]


def _as_float(name, value, unit):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in {unit}, got {value!r}") from None


def _raise_first(name, arr, bad, allowed, unit):
    raise ValueError(f"{name} must be {allowed} {unit}, got {arr[bad].flat[0]!r}")


def positive(name, value, unit, allow_inf=False):
    """``value`` as a float array; ValueError unless every element is finite and > 0.

    ``allow_inf=True`` also admits +inf (e.g. a half-space thickness).
    """
    arr = _as_float(name, value, unit)
    ok = (arr > 0) & (np.isfinite(arr) | (allow_inf & np.isposinf(arr)))
    if not np.all(ok):
        _raise_first(name, arr, ~ok, "> 0 (inf allowed)" if allow_inf else "finite and > 0", unit)
    return arr


def nonnegative(name, value, unit):
    """``value`` as a float array; ValueError unless every element is finite and >= 0."""
    arr = _as_float(name, value, unit)
    ok = np.isfinite(arr) & (arr >= 0)
    if not np.all(ok):
        _raise_first(name, arr, ~ok, "finite and >= 0", unit)
    return arr


def finite(name, value, unit):
    """``value`` as a float array; ValueError unless every element is finite."""
    arr = _as_float(name, value, unit)
    ok = np.isfinite(arr)
    if not np.all(ok):
        _raise_first(name, arr, ~ok, "finite", unit)
    return arr
