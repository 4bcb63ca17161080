"""Validated search inputs shared by the slab search (:mod:`neqent.interface.optimize`) and the body
search (:mod:`neqent.interface.design`): the ``--vary`` ranges, their conflicts with fixed
arguments, the validated landscape and the progress bar.
"""

from __future__ import annotations

import math

import numpy as np

from neqent.interface.units import InputError, parse_length, parse_number, parse_temperature

__all__ = [
    "DEFAULT_BUDGET",
    "PARALLEL_FROM",
    "VARY_NAMES",
    "parse_vary",
    "check_conflicts",
    "validated_landscape",
    "progress_bar",
]

#: Default number of objective evaluations.
DEFAULT_BUDGET = 3000
#: Budgets from which the search uses two processes by default (below, start-up dominates).
PARALLEL_FROM = 4000
#: Fixed argument of :func:`neqent.interface.api.point` that each varied name replaces.
VARY_NAMES = {
    "z1": "z1",
    "z2": "z2",
    "r12": "r12",
    "delta": "delta",
    "omega": "omega",
    "omega_ratio": "omega_ratio",
    "TM": "TM",
    "TW": "TW",
    "theta1": "dipole1",
    "theta2": "dipole2",
}
_ALIASES = {"omega-ratio": "omega_ratio", "T_M": "TM", "T_W": "TW"}
_HINT_Z = " (z <= 0 is inside the slab)"


def _canonical(name):
    key = _ALIASES.get(str(name).strip(), str(name).strip())
    if key not in VARY_NAMES:
        allowed = ", ".join(n.replace("_", "-") if n == "omega_ratio" else n for n in VARY_NAMES)
        raise InputError("vary", f"unknown parameter {name!r}; allowed: {allowed}")
    return key


def _parse_end(name, value):
    """One bound in SI, parsed with the units ``point`` accepts for ``name``."""
    param = f"vary {name}"
    if name in ("z1", "z2"):
        return parse_length(value, param, hint=_HINT_Z)
    if name == "r12":
        return parse_length(value, param, allow_zero=True)
    if name == "delta":
        return parse_length(value, param)  # a thickness: > 0, finite
    if name in ("TM", "TW"):
        return parse_temperature(value, param)
    if name == "omega":
        return parse_number(value, param, minimum=0.0, unit="rad/s")
    if name == "omega_ratio":
        return parse_number(value, param, minimum=0.0)
    return parse_number(value, param, unit="rad")


def parse_vary(vary) -> dict:
    """Search ranges from a mapping or ``NAME=LO:HI`` strings.

    Parameters
    ----------
    vary : dict or sequence of str
        A mapping name -> ``(lo, hi)`` or ``"LO:HI"``, or a sequence of
        ``"NAME=LO:HI"`` texts (the CLI form). Ends take the units of ``point``
        (``0.05um:3um``, ``31:2500``); bare numbers are SI ([m], [rad/s], [1],
        [K], [rad]).

    Returns
    -------
    dict of str to (float, float)
        ``{name: (lo, hi)}`` in SI units.

    Raises
    ------
    InputError
        (param ``vary``) for an unknown name, a repeated name, an unparsable
        range, LO >= HI or a range outside the physical one.
    """
    from neqent.dynamics.landscape import check_bounds

    if isinstance(vary, dict):
        items = list(vary.items())
    elif isinstance(vary, str):
        items = [_split_vary(vary)]
    else:
        items = [_split_vary(v) for v in vary]
    if not items:
        raise InputError("vary", "give at least one parameter to vary, e.g. z2=0.5um:2um")
    out = {}
    for raw, rng in items:
        name = _canonical(raw)
        if name in out:
            raise InputError("vary", f"{name} is given twice")
        if isinstance(rng, str):
            parts = rng.split(":")
            if len(parts) != 2 or not all(p.strip() for p in parts):
                raise InputError("vary", f"{name}: cannot parse range {rng!r}; expected LO:HI, e.g. 0.5um:2um")
        else:
            parts = list(rng)
            if len(parts) != 2:
                raise InputError("vary", f"{name}: a range needs two ends (lo, hi), got {rng!r}")
        try:
            lo, hi = check_bounds(name, *(_parse_end(name, p) for p in parts))
        except InputError as exc:
            raise InputError("vary", f"{name}: {exc.detail}") from None
        except ValueError as exc:
            raise InputError("vary", str(exc)) from None
        out[name] = (lo, hi)
    if "omega" in out and "omega_ratio" in out:
        raise InputError("vary", "vary omega or omega-ratio, not both")
    return out


def _split_vary(text):
    if not isinstance(text, str) or "=" not in text:
        raise InputError("vary", f"cannot parse {text!r}; expected NAME=LO:HI, e.g. z2=0.5um:2um")
    name, rng = text.split("=", 1)
    return name, rng


def check_conflicts(bounds, given):
    """InputError if a varied name is also fixed explicitly.

    Parameters
    ----------
    bounds : dict
        Varied names (keys of :data:`VARY_NAMES`) -> ranges.
    given : dict
        Arguments of ``point`` that were given (not None).
    """
    for name in bounds:
        fixed = VARY_NAMES[name]
        clash = [fixed] if fixed in given else []
        if name == "omega_ratio" and "omega" in given:
            clash = ["omega"]
        if name == "omega" and "omega_ratio" in given:
            clash = ["omega_ratio"]
        if clash:
            opt = clash[0].replace("_", "-")
            raise InputError(
                "vary",
                f"{name} is both varied and fixed (--{opt} {given[clash[0]]!s}); vary it or fix it, not both",
            )


def validated_landscape(bounds, fixed):
    """Landscape of the search after ``point``'s checks over the whole box.

    Parameters
    ----------
    bounds : dict
        ``{name: (lo, hi)}`` of :func:`parse_vary` (SI).
    fixed : dict
        Fixed arguments of ``point`` (``material`` and those given).

    Returns
    -------
    neqent.dynamics.landscape.Landscape
        The landscape (its ``fixed`` holds every SI input).

    ``point``'s validation runs once with every varied argument at its upper
    end: the fixed values are checked as in ``point``, and the upper ends
    bound the quadrature's electrical size (heights, separation, thickness
    only grow it). A varied frequency is also checked on a grid over its
    range (the permittivity must exist; the slab's optical thickness peaks
    near resonances).
    """
    from neqent.dynamics.landscape import Landscape, dipole_xz
    from neqent.interface import api, inputs

    corner = {**api.DEFAULTS, **fixed}
    for name, (_lo, hi) in bounds.items():
        corner[VARY_NAMES[name]] = tuple(dipole_xz(hi).real) if name.startswith("theta") else hi
    if "omega_ratio" in bounds:
        corner["omega"] = None
    varied = {VARY_NAMES[n]: n for n in bounds}
    try:
        setup = inputs.setup(**corner)
        g, mat = setup.geometry, setup.geometry.material
        for name in ("omega", "omega_ratio"):
            if name in bounds:
                lo, hi = bounds[name]
                inputs.material_omega(mat, lo if name == "omega" else None, lo)  # tabulated data: the lower end exists
                scale = mat.resonance if name == "omega_ratio" else 1.0
                w = np.geomspace(lo * scale, hi * scale, 257)
                inputs.check_size(name, w, mat.eps(w), g.delta, g.z1, g.z2, math.hypot(*g.r12))
    except InputError as exc:  # blame the range, not a fixed option, when a varied end is the culprit
        if exc.param in varied:
            raise InputError("vary", f"{varied[exc.param]} range: {exc.detail}") from None
        raise
    dx, dy = g.r12
    given_omega = corner.get("omega") is not None
    base = {
        "delta": g.delta,
        "z1": g.z1,
        "z2": g.z2,
        "dx": dx,
        "dy": dy,
        "omega": setup.omega if given_omega else None,
        "omega_ratio": None if given_omega else setup.omega_ratio,
        "TM": setup.TM,
        "TW": setup.TW,
        "d1": g.d1,
        "d2": g.d2,
    }
    return Landscape(mat, base, tuple(bounds))


def progress_bar(total, progress):
    """A tqdm bar on stderr fed with evaluation counts, or None.

    Parameters
    ----------
    total : int
        Expected evaluations [1].
    progress : bool
        Show it.

    Returns
    -------
    callable or None
        Called with each number of new evaluations; ``close()`` ends it.
    """
    if not progress:
        return None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="eval", desc="optimize", leave=False, delay=1.0)  # only long searches
    return _Bar(bar)


class _Bar:
    """tqdm bar fed with evaluation counts (the polish may stop short of the budget)."""

    def __init__(self, bar):
        self.bar = bar

    def __call__(self, n):
        self.bar.update(min(n, max(0, self.bar.total - self.bar.n)))

    def close(self):
        self.bar.close()
