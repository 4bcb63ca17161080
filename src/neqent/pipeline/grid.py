"""The scan grid every stage shares: axis order and names, CF attributes, ranges and a scan's axes.

Axes: ``z2`` (m), ``omega`` (rad/s; configured as ``omega`` or
``omega_ratio`` = omega / resonance of the body's top material), ``r12`` (m,
along x), ``delta`` (m; a stack's layer thicknesses ``thickness_<i>`` in its
place), ``theta`` (rad, polar angle of both dipoles in the x-z plane).
Quantities a scan does not sweep come from ``config["geometry"]`` and are
stored as scalar coordinates. z1 (when inside the z2 range) is always put on
the z2 grid so that the symmetric line z2 = z1 exists exactly.
"""

from __future__ import annotations

import re

import numpy as np

from neqent.errors import ConfigError
from neqent.pipeline.body import body_axes, config_body, thickness_index

__all__ = [
    "AXIS_ORDER",
    "PARAMETER_AXES",
    "COORD_ATTRS",
    "BASIS",
    "attrs",
    "axis_names",
    "coord_attrs",
    "axis_key",
    "kernel_dims",
    "resolve_range",
    "checked_range",
    "coerce_numbers",
    "scan_axes",
]


#: Order of kernel axes in every dataset (slowest to fastest varying).
AXIS_ORDER = ("delta", "r12", "theta", "z2", "omega")


#: Scan axes of non-planar bodies' parameters (:func:`neqent.pipeline.body.body_axes`); like a stack's
#: layer thicknesses they sit where the slab's ``delta`` sits in :data:`AXIS_ORDER`.
PARAMETER_AXES = ("radius",)


#: CF attributes of coordinates.
COORD_ATTRS = {
    "z1": {"units": "m", "long_name": "height of qubit 1 above the slab surface"},
    "z2": {"units": "m", "long_name": "height of qubit 2 above the slab surface"},
    "r12": {"units": "m", "long_name": "lateral separation of the qubits (along x)"},
    "delta": {"units": "m", "long_name": "slab thickness"},
    "radius": {"units": "m", "long_name": "sphere radius"},
    "theta": {"units": "rad", "long_name": "polar angle of both dipoles (x-z plane; 0 = along z)"},
    "omega": {"units": "rad s-1", "long_name": "qubit transition angular frequency"},
    "omega_ratio": {"units": "1", "long_name": "omega / material resonance frequency"},
    "T_M": {"units": "K", "long_name": "body (slab) temperature"},
    "T_W": {"units": "K", "long_name": "wall (environment) temperature"},
    "q": {"units": "1", "long_name": "first qubit index of a pair quantity (numbering of docs/theory.md)"},
    "qp": {"units": "1", "long_name": "second qubit index of a pair quantity (numbering of docs/theory.md)"},
    "i": {"units": "1", "long_name": "density-matrix row (decoupled basis)"},
    "j": {"units": "1", "long_name": "density-matrix column (decoupled basis)"},
    "ci": {"units": "1", "long_name": "Cartesian row index of a tensor (x, y, z)"},
    "cj": {"units": "1", "long_name": "Cartesian column index of a tensor (x, y, z)"},
}


BASIS = ["gg", "eg", "ge", "ee"]  # decoupled basis |1>..|4>, docs/theory.md §6


def attrs(units, long_name, **extra):
    """CF attributes ``units`` and ``long_name`` (and any others) of a variable or coordinate."""
    return {"units": units, "long_name": long_name, **extra}


def axis_names(config, body=None):
    """Kernel dimension names of the config's body, slowest first: :data:`AXIS_ORDER`, with the
    body's scan axes (:func:`neqent.pipeline.body.body_axes`: a stack's layer thicknesses
    ``thickness_<i>``, top first) in place of the slab's ``delta``.

    ``body``: the config's body when already built (:func:`neqent.pipeline.body.config_body`).
    """
    body = config_body(config) if body is None else body
    return tuple(body_axes(body)) + AXIS_ORDER[1:]


def coord_attrs(name):
    """CF attributes of a coordinate (:data:`COORD_ATTRS`, or a stack layer's thickness)."""
    i = thickness_index(name)
    if i is not None:
        return {"units": "m", "long_name": f"thickness of stack layer {i} (0 = top layer)"}
    return COORD_ATTRS[name]


def _omega_values(spec_key, values, material):
    """Angular frequencies (rad/s) from ``omega`` or ``omega_ratio`` values."""
    from neqent.electrodynamics.resolve import resolve_omega

    return resolve_omega(material, **{spec_key: np.asarray(values, float)})[0]


def _insert_value(grid, value):
    """Grid with ``value`` on it exactly (snapped if a point is within 1e-9 of a step, else inserted)."""
    if grid.size == 0 or not (grid.min() <= value <= grid.max()):
        return grid
    step = np.min(np.diff(np.sort(grid))) if grid.size > 1 else abs(value)
    k = int(np.argmin(np.abs(grid - value)))
    if abs(grid[k] - value) <= 1e-9 * step:
        grid = grid.copy()
        grid[k] = value
        return grid
    return np.sort(np.append(grid, value))


def scan_axes(config, scan, body=None):
    """Axes and fixed values of a scan.

    Returns ``(axes, fixed)``: ``axes`` maps dimension names (in
    :data:`AXIS_ORDER`) to 1-D float arrays in SI units; ``fixed`` maps every
    other geometry quantity (``z1``, and those of AXIS_ORDER not swept) to a
    float. Frequencies are returned as ``omega`` in rad/s (``omega_ratio``
    scales the resonance of the body's top material). ``body``: the config's
    body when already built (:func:`neqent.pipeline.body.config_body`).
    """
    body = config_body(config) if body is None else body
    material = body.top_material
    geo = config["geometry"]
    spec = config["scans"][scan]["axes"]
    names = axis_names(config, body)
    parameters = body_axes(body)
    axes = {}
    for name in names:
        if name == "omega":
            key = "omega" if "omega" in spec else ("omega_ratio" if "omega_ratio" in spec else None)
            if key is not None:
                axes["omega"] = _omega_values(key, resolve_range(spec[key]), material)
        elif name in spec:
            axes[name] = resolve_range(spec[name])
    fixed = {"z1": float(geo["z1"])}
    for name in names:
        if name in axes:
            continue
        if name in parameters:
            fixed[name] = float(body.parameters[parameters[name]])
        elif name == "omega":
            fixed["omega"] = (
                float(geo["omega"])
                if "omega" in geo
                else float(_omega_values("omega_ratio", [geo["omega_ratio"]], material)[0])
            )
        else:
            fixed[name] = float(geo[name])
    if "z2" in axes:
        axes["z2"] = _insert_value(axes["z2"], fixed["z1"])
    return axes, fixed


def resolve_range(spec):
    """Grid values (float64 1-D array) of a grid spec.

    Parameters
    ----------
    spec : float, list of float or dict
        A number, a list of numbers, or a mapping ``{start, stop, num,
        spacing}`` with ``spacing`` ``"linear"`` (default, numpy.linspace) or
        ``"log"`` (numpy.geomspace; start, stop > 0), in the unit of its key.
        Endpoints must be finite with start <= stop, and the values strictly
        increasing (figures and the z2 = z1 insertion assume sorted axes).

    Returns
    -------
    ndarray, shape (n,)
        The values [unit of the key].

    Raises
    ------
    ValueError
        For any violation of the rules above.
    """
    if isinstance(spec, dict):
        start, stop, num = float(spec["start"]), float(spec["stop"]), int(spec["num"])
        if num < 1:
            raise ValueError(f"num must be >= 1, got {num}")
        if not (np.isfinite(start) and np.isfinite(stop)):
            raise ValueError(
                f"range endpoints must be finite; use a list to include inf, got start={start}, stop={stop}"
            )
        if start > stop:
            raise ValueError(f"a range must increase (start <= stop), got start={start}, stop={stop}")
        spacing = spec.get("spacing", "linear")
        if spacing == "log":
            if start <= 0 or stop <= 0:
                raise ValueError(f"a log range needs start > 0 and stop > 0, got start={start}, stop={stop}")
            return _increasing(np.geomspace(start, stop, num))
        if spacing != "linear":
            raise ValueError(f"spacing must be 'linear' or 'log', got {spacing!r}")
        return _increasing(np.linspace(start, stop, num))
    return _increasing(np.atleast_1d(np.asarray(spec, dtype=float)))


def checked_range(key, spec):
    """The values of a grid spec (:func:`resolve_range`), or a ConfigError naming its config key.

    Parameters
    ----------
    key : str
        Dotted config key of the spec, e.g. ``scans.map.T_M``.
    spec : float, list of float or dict
        The grid spec [unit of the key].

    Returns
    -------
    ndarray, shape (n,)
        The values [unit of the key].
    """
    try:
        return resolve_range(spec)
    except ValueError as exc:
        raise ConfigError(f"config key '{key}': {exc}") from None


def _increasing(values):
    """``values`` if strictly increasing (NaN fails), else ValueError listing them."""
    if not np.all(np.diff(values) > 0):
        raise ValueError(f"grid values must be distinct and strictly increasing, got {values.tolist()}")
    return values


def axis_key(name):
    """Sort key of kernel dimensions: layer thicknesses (top first) or a radius where the slab's ``delta`` sits."""
    i = thickness_index(name)
    if i is not None:
        return (AXIS_ORDER.index("delta"), i)
    if name in PARAMETER_AXES:
        return (AXIS_ORDER.index("delta"), 0)
    return (AXIS_ORDER.index(name), 0)


def kernel_dims(dims):
    """The kernel dimensions among ``dims`` (AXIS_ORDER names, body parameter axes), slowest first."""
    body = (d for d in dims if d in AXIS_ORDER or d in PARAMETER_AXES or thickness_index(d) is not None)
    return tuple(sorted(body, key=axis_key))


# A number in exponent notation without a decimal point ("1e-6", "-2E+3").
# YAML 1.2 reads it as a float, PyYAML (YAML 1.1, also used by Snakemake's
# configfile loader) as a string; physicists write it all the time.
_EXP_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def coerce_numbers(obj):
    """Turn exponent-notation strings such as ``"1e-6"`` into floats, recursively, in place.

    Returns ``obj`` (dicts and lists are modified in place; a bare string is
    returned converted). Only strings that are unambiguously numbers in
    exponent notation are touched, so names such as ``"eps=4+0.1j"`` stay.

    Parameters
    ----------
    obj : dict, list, str or other
        A parsed config or part of it (values in the units of their keys).

    Returns
    -------
    dict, list, float or other
        ``obj``, converted.
    """
    if isinstance(obj, dict):
        for key, value in obj.items():
            obj[key] = coerce_numbers(value)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            obj[i] = coerce_numbers(value)
    elif isinstance(obj, str) and _EXP_NUMBER.match(obj.strip()):
        return float(obj)
    return obj
