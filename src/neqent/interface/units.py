"""Parsing and validation of user-facing quantities (lengths, temperatures, dipoles).

Every parser accepts either a string as typed on the command line or an
already-numeric SI value (so :mod:`neqent.interface.api` and :mod:`neqent.interface.cli` share one
set of checks) and returns SI floats:

* lengths in metres: ``"1um"``, ``"250nm"``, ``"1e-6m"``, ``"1 µm"``; a bare
  number is metres. Units: m, mm, um (also µm, μm), nm, pm.
* temperatures in kelvin: ``"1200"`` or ``"1200K"`` (``"1200 K"``).
* dipoles: three comma-separated real or complex components, ``"0,0,1"``,
  ``"1,1j,0"``, ``"1+0.5j, 0, 0"``; or a 3-sequence of numbers.

Bad input raises :class:`~neqent.errors.InputError` (a ``ValueError``) whose ``param``
attribute names the argument and whose message names the argument, the
offending value and what is allowed. The CLI prints such errors as
``neqent: error: --z2: ...``.
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal, InvalidOperation

import numpy as np

from neqent.errors import InputError

__all__ = [
    "InputError",
    "LENGTH_UNITS",
    "parse_length",
    "parse_signed_length",
    "parse_temperature",
    "parse_number",
    "parse_count",
    "parse_dipole",
    "format_length",
    "format_dipole",
]

#: Length units accepted as suffixes, as the power of ten of the metre. µ (U+00B5, micro sign) and
#: μ (U+03BC, Greek mu) are both accepted for micro.
LENGTH_UNITS = {
    "m": 0,
    "mm": -3,
    "um": -6,
    "\u00b5m": -6,
    "\u03bcm": -6,
    "nm": -9,
    "pm": -12,
}
_LENGTH_HELP = "a number with optional unit m, mm, um (µm), nm or pm, e.g. 1um, 250nm, 1e-6m"


def _show(value) -> str:
    """Representation of the offending value for messages (strings quoted)."""
    return repr(value) if isinstance(value, str) else f"{value!r}"


def _to_float(text, name, what):
    """float(text) for a string or real number; InputError if unparsable or not finite."""
    if isinstance(text, bool) or not isinstance(text, (str, numbers.Real)):
        raise InputError(name, f"expected {what}, got {_show(text)}")
    try:
        value = float(text.strip().replace("_", "") if isinstance(text, str) else text)
    except ValueError:
        raise InputError(name, f"cannot parse {_show(text)}; expected {what}") from None
    if not math.isfinite(value):
        raise InputError(name, f"must be finite, got {_show(text)}; expected {what}")
    return value


def _split_suffix(text: str, suffixes):
    """Split ``"250nm"`` into ``("250", "nm")``; the longest matching suffix wins."""
    s = text.strip()
    for suffix in sorted(suffixes, key=len, reverse=True):
        if suffix and s.endswith(suffix):
            return s[: -len(suffix)].strip(), suffix
    return s, ""


def parse_length(value, name="length", *, allow_zero=False, allow_inf=False, hint=""):
    """Length from ``"1um"``-style text or a number in metres.

    Parameters
    ----------
    value : str or float
        Text with an optional unit (m, mm, um, µm, nm, pm) or a number [m].
    name : str
        Argument name for the error.
    allow_zero : bool
        Admit 0 (otherwise the length must be > 0).
    allow_inf : bool
        Admit ``inf`` (e.g. a half-space thickness).
    hint : str
        Appended to the range message (e.g. why z must be > 0).

    Returns
    -------
    float
        The length [m], finite (or inf if allowed).

    Raises
    ------
    InputError
        ``param`` = ``name``.
    """
    allowed = ">= 0" if allow_zero else "> 0"
    if isinstance(value, str):
        number, unit = _split_suffix(value, LENGTH_UNITS)
        if allow_inf and number.lower() in ("inf", "+inf", "infinity"):
            return math.inf
        if not number:
            raise InputError(name, f"cannot parse {value!r} as a length; expected {_LENGTH_HELP}")
        # Decimal arithmetic so that the unit scaling is exact and the result
        # correctly rounded: "250nm" and "0.25um" give the same float, and
        # "1um" equals "1000nm" (matters for the z1 == z2 symmetric case).
        try:
            metres = float(Decimal(number).scaleb(LENGTH_UNITS.get(unit, 0)))
        except (InvalidOperation, ValueError):
            raise InputError(name, f"cannot parse {value!r} as a length; expected {_LENGTH_HELP}") from None
    else:
        if allow_inf and isinstance(value, numbers.Real) and value == math.inf:
            return math.inf
        metres = _to_float(value, name, "a length in metres")
    if not math.isfinite(metres):
        extra = " (or 'inf' for a half-space)" if allow_inf else ""
        raise InputError(name, f"length must be finite{extra}, got {_show(value)}")
    if metres < 0 or (metres == 0 and not allow_zero):
        raise InputError(name, f"length must be {allowed}{hint}, got {_show(value)}")
    return metres


def parse_signed_length(value, name="length"):
    """A coordinate [m] of any sign from ``"-250nm"``-style text or a number.

    Parameters
    ----------
    value : str or float
        Text with an optional sign and unit, or a number [m].
    name : str
        Argument name for the error.

    Returns
    -------
    float
        The coordinate [m], finite.

    Raises
    ------
    InputError
        ``param`` = ``name``.
    """
    if isinstance(value, str):
        text = value.strip()
        sign = -1.0 if text.startswith("-") else 1.0
        return sign * parse_length(text[1:] if text[:1] in "+-" else text, name, allow_zero=True)
    number = _to_float(value, name, "a length in metres")
    return math.copysign(parse_length(abs(number), name, allow_zero=True), number)


def parse_temperature(value, name="temperature"):
    """Temperature from ``"1200"``, ``"1200K"`` or a number.

    Parameters
    ----------
    value : str or float
        Text with an optional ``K`` or a number [K].
    name : str
        Argument name for the error.

    Returns
    -------
    float
        The temperature [K], finite and >= 0.
    """
    what = "a temperature in K, e.g. 300 or 300K"
    if isinstance(value, str):
        number, _ = _split_suffix(value, ("K",))
        if not number:
            raise InputError(name, f"cannot parse {value!r}; expected {what}")
        try:
            t = _to_float(number, name, what)
        except InputError as exc:
            # Re-raise naming the whole text the user typed, not the stripped number.
            raise InputError(name, exc.detail.replace(repr(number), repr(value))) from None
    else:
        t = _to_float(value, name, what)
    if t < 0:
        raise InputError(name, f"temperature must be >= 0 K, got {_show(value)}")
    return t


def parse_number(value, name, *, minimum=None, strict=True, unit="", what=None):
    """Finite float from text or a number, optionally bounded below.

    Parameters
    ----------
    value : str or float
        The number [``unit``].
    name : str
        Argument name for the error.
    minimum : float, optional
        Lower bound [``unit``]: ``value > minimum`` with ``strict``, else ``>=``.
    strict : bool
        Whether the bound excludes ``minimum``.
    unit : str
        Unit, only used in messages.
    what : str, optional
        Description of the expected value in messages.

    Returns
    -------
    float
        The value [``unit``].
    """
    desc = what or ("a number" + (f" in {unit}" if unit else ""))
    x = _to_float(value, name, desc)
    if minimum is not None and (x < minimum or (strict and x == minimum)):
        op = ">" if strict else ">="
        u = f" {unit}" if unit else ""
        raise InputError(name, f"must be {op} {minimum:g}{u}, got {_show(value)}")
    return x


def parse_count(value, name, *, minimum=1):
    """Integer >= ``minimum`` from text or an integer.

    Parameters
    ----------
    value : str or int
        The count [1].
    name : str
        Argument name for the error.
    minimum : int
        Smallest allowed value [1].

    Returns
    -------
    int
    """
    if isinstance(value, bool):
        raise InputError(name, f"expected an integer >= {minimum}, got {value!r}")
    if isinstance(value, numbers.Integral):
        n = int(value)
    else:
        try:
            n = int(str(value).strip())
        except ValueError:
            raise InputError(name, f"cannot parse {_show(value)}; expected an integer >= {minimum}") from None
    if n < minimum:
        raise InputError(name, f"must be an integer >= {minimum}, got {_show(value)}")
    return n


def parse_dipole(value, name="dipole"):
    """Dipole 3-vector from ``"0,0,1"`` or a sequence.

    Only the direction enters the physics, so the scale is arbitrary.

    Parameters
    ----------
    value : str or sequence of 3 numbers
        Components, possibly complex (``"1,1j,0"``); finite and not all zero.
    name : str
        Argument name for the error.

    Returns
    -------
    ndarray, shape (3,), complex
        The dipole [arbitrary units].
    """
    what = "three comma-separated real or complex components, e.g. 0,0,1 or 1,1j,0"
    if isinstance(value, str):
        parts = [p.strip().replace(" ", "") for p in value.split(",")]
        if len(parts) != 3 or not all(parts):
            raise InputError(name, f"cannot parse {value!r}; expected {what}")
        try:
            vec = np.array([complex(p) for p in parts])
        except ValueError:
            raise InputError(name, f"cannot parse {value!r}; expected {what}") from None
    else:
        try:
            vec = np.asarray(value, dtype=complex)
        except (TypeError, ValueError):
            raise InputError(name, f"expected {what}, got {value!r}") from None
        if vec.shape != (3,):
            raise InputError(name, f"expected a 3-vector, got shape {vec.shape}")
    if not np.all(np.isfinite(vec)):
        raise InputError(name, f"components must be finite, got {_show(value)}")
    if not np.any(vec != 0):
        raise InputError(name, f"dipole must be non-zero, got {_show(value)}")
    return vec


def format_length(metres: float) -> str:
    """Readable length: ``1e-6 -> '1 um'``, ``2.5e-7 -> '250 nm'``.

    Parameters
    ----------
    metres : float
        The length [m].

    Returns
    -------
    str
    """
    if not math.isfinite(metres):
        return f"{metres} m"
    for unit, scale in (("m", 1.0), ("mm", 1e-3), ("um", 1e-6), ("nm", 1e-9)):
        if abs(metres) >= scale * 0.9995:
            return f"{metres / scale:.4g} {unit}"
    return f"{metres / 1e-12:.4g} pm"


def format_dipole(vec) -> str:
    """Compact text of a dipole vector: ``(0, 0, 1)`` or ``(1, 1j, 0)``.

    Parameters
    ----------
    vec : array_like, shape (3,)
        The dipole [arbitrary units], complex allowed.

    Returns
    -------
    str
    """

    def one(c):
        c = complex(c)
        if c.imag == 0:
            return f"{c.real:g}"
        if c.real == 0:
            return f"{c.imag:g}j"
        return f"{c.real:g}{c.imag:+g}j"

    return "(" + ", ".join(one(c) for c in np.asarray(vec).ravel()) + ")"
