"""The API's small grids: ``scan`` and ``scan_config`` (docs/design.md).

Both are :func:`~neqent.interface.scans.scan` and :func:`~neqent.interface.scans.scan_config`.

Moved from :mod:`neqent.interface.api`, which re-exports both.
"""

from __future__ import annotations

import copy
import os

import numpy as np

from neqent.electrodynamics.resolve import resolve_material, resolve_omega
from neqent.interface.inputs import Z_HINT, check_size, stack_body
from neqent.interface.units import InputError, parse_count, parse_length, parse_number, parse_temperature

# ---------------------------------------------------------------------------
# scan: builds a pipeline config for one scan and runs the pipeline's stages
# (neqent.pipeline.stages) in-process, so the file has exactly the pipeline's format.
# ---------------------------------------------------------------------------

#: Name of the scan in the config recorded by :func:`scan`.
SCAN_NAME = "cli"


def _grid(value, param, parse_one):
    """Grid of one scan argument: ``(values, swept)`` with ``values`` a float list.

    ``value``: a scalar (not swept), a sequence of values, or a mapping
    ``{start, stop, num, spacing}`` (spacing ``"linear"``, default, or
    ``"log"``) -- the pipeline config's range form; endpoints may carry units
    and must be finite with start <= stop. Values must be strictly increasing.
    """
    from neqent.pipeline.config import resolve_range

    if isinstance(value, dict):
        unknown = set(value) - {"start", "stop", "num", "spacing"}
        if unknown or not {"start", "stop", "num"} <= set(value):
            raise InputError(param, f"a range needs keys start, stop, num (optional spacing), got {value!r}")
        spec = {
            "start": parse_one(value["start"]),
            "stop": parse_one(value["stop"]),
            "num": parse_count(value["num"], param, minimum=1),
            "spacing": value.get("spacing", "linear"),
        }
    elif isinstance(value, str) or np.ndim(value) == 0:
        return parse_one(value), False
    else:
        spec = [parse_one(v) for v in value]
        if not spec:
            raise InputError(param, "scan values must be a non-empty sequence")
    # the pipeline's grid rules (finite range ends, start <= stop, log > 0,
    # strictly increasing values: figures and the z2 = z1 insertion assume it)
    try:
        values = resolve_range(spec)
    except ValueError as exc:
        raise InputError(param, str(exc)) from None
    return [float(v) for v in values], True


def _check_output(output):
    """Validate a NetCDF output path before any computation; return it absolute."""
    p = os.path.abspath(os.fspath(output))
    parent = os.path.dirname(p)
    if os.path.isdir(p):
        raise InputError("output", f"{output!r} is a directory; give a file path ending in .nc")
    if not p.endswith(".nc"):
        raise InputError("output", f"output file must end in .nc, got {output!r}")
    if not os.path.isdir(parent):
        raise InputError("output", f"directory {parent!r} of output {output!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError("output", f"directory {parent!r} of output {output!r} is not writable")
    return p


def scan_config(
    *,
    material="sic",
    delta=10e-9,
    z1=1e-6,
    z2=1e-6,
    r12=0.25e-6,
    omega=None,
    omega_ratio=0.3,
    theta=0.0,
    TW=30.0,
    TM=600.0,
    chunk=16,
    layers=None,
    substrate=None,
) -> dict:
    """Validate :func:`scan` arguments into a pipeline config (SI floats).

    Parameters
    ----------
    material, delta, z1, z2, r12, omega, omega_ratio, theta, TW, TM, layers, substrate
        As in :func:`scan` [SI].
    chunk : int
        Grid points per kernel batch.

    Returns
    -------
    dict
        Shaped like ``config/config.yaml``: ``material``, ``T_W`` [K],
        ``geometry`` (the unswept values, SI), ``scans`` with the single scan
        :data:`~neqent.interface.scans.SCAN_NAME` (swept ``axes`` and the ``T_M`` grid [K]) and
        ``mpi.chunk``.

    Raises
    ------
    InputError
        Naming the argument.
    """
    if layers is not None or substrate is not None:
        return _stack_scan_config(layers, substrate, material, delta, z1, z2, r12, omega, omega_ratio, theta, TW, TM)
    if not isinstance(material, str):
        raise InputError(
            "material",
            f"scan needs a material name or spec string (sic, gold, vacuum, eps=..., csv:...), got {material!r}",
        )
    mat = resolve_material(material)
    geometry, axes = {}, {}
    z1 = parse_length(z1, "z1", hint=Z_HINT)
    geometry["z1"] = z1
    if omega is not None:
        fkey, fval = "omega", _grid(omega, "omega", lambda v: parse_number(v, "omega", minimum=0.0, unit="rad/s"))
    else:
        fkey, fval = (
            "omega_ratio",
            _grid(omega_ratio, "omega_ratio", lambda v: parse_number(v, "omega_ratio", minimum=0.0)),
        )
    # rad/s at every grid frequency; also rejects omega_ratio for a material without resonance
    w, _ = resolve_omega(mat, **{fkey: np.atleast_1d(np.asarray(fval[0], float))})
    specs = [
        (fkey, fval),
        ("delta", _grid(delta, "delta", lambda v: parse_length(v, "delta", allow_inf=True))),
        ("z2", _grid(z2, "z2", lambda v: parse_length(v, "z2", hint=Z_HINT))),
        ("r12", _grid(r12, "r12", lambda v: parse_length(v, "r12", allow_zero=True))),
        ("theta", _grid(theta, "theta", lambda v: parse_number(v, "theta", unit="rad"))),
    ]
    for key, (values, swept) in specs:
        (axes if swept else geometry)[key] = values
    T_M, _ = _grid(TM, "TM", lambda v: parse_temperature(v, "TM"))
    T_M = T_M if isinstance(T_M, list) else [T_M]
    # The permittivity must exist at every frequency (tabulated data have a range).
    try:
        eps = mat.eps(w)
    except ValueError as exc:
        raise InputError(fkey, str(exc)) from None
    every = {**geometry, **axes}
    check_size(fkey, w, eps, every["delta"], z1, every["z2"], every["r12"])
    if not axes:  # the pipeline's scans sweep at least one geometry axis
        axes[fkey] = [geometry.pop(fkey)]
    return {
        "material": material,
        "T_W": parse_temperature(TW, "TW"),
        "geometry": geometry,
        "scans": {SCAN_NAME: {"axes": axes, "T_M": T_M}},
        "mpi": {"chunk": int(chunk)},
    }


def _stack_scan_config(layers, substrate, material, delta, z1, z2, r12, omega, omega_ratio, theta, TW, TM):
    """:func:`scan_config` for a planar stack: ``geometry.stack`` and thickness axes ``thickness_<i>``.

    A layer's thickness may be swept like ``delta`` (a sequence or a range mapping).
    The grid checks are the pipeline config's (:func:`neqent.pipeline.config.validate_config`;
    its ConfigError becomes an InputError naming the argument).
    """
    from neqent.pipeline.config import ConfigError, validate_config

    if isinstance(layers, (str, bytes)):
        raise InputError("layers", f"layers must be a sequence of (material, thickness) pairs, got {layers!r}")
    grids = []
    for i, item in enumerate(layers or ()):
        if isinstance(item, str) or not hasattr(item, "__len__") or len(item) != 2:
            raise InputError("layers", f"layer {i} must be a (material, thickness) pair, got {item!r}")
        hint = f" (thickness of layer {i})"
        grids.append(_grid(item[1], "layers", lambda v, h=hint: parse_length(v, "layers", hint=h)))
    # materials, substrate, thickness > 0 and the exclusivity with material/delta, on the first thicknesses
    first = [(item[0], values[0] if swept else values) for item, (values, swept) in zip(layers or (), grids)]
    stack_body(first, substrate, material, delta)
    geometry, axes = {"z1": parse_length(z1, "z1", hint=Z_HINT)}, {}
    geometry["stack"] = [{"material": str(m), "thickness": float(t)} for m, t in first]
    if substrate is not None:
        geometry["substrate"] = str(substrate)
    for i, (values, swept) in enumerate(grids):
        if swept:
            axes[f"thickness_{i}"] = values
    if omega is not None:
        fkey, fval = "omega", _grid(omega, "omega", lambda v: parse_number(v, "omega", minimum=0.0, unit="rad/s"))
    else:
        fkey, fval = (
            "omega_ratio",
            _grid(omega_ratio, "omega_ratio", lambda v: parse_number(v, "omega_ratio", minimum=0.0)),
        )
    specs = [
        (fkey, fval),
        ("z2", _grid(z2, "z2", lambda v: parse_length(v, "z2", hint=Z_HINT))),
        ("r12", _grid(r12, "r12", lambda v: parse_length(v, "r12", allow_zero=True))),
        ("theta", _grid(theta, "theta", lambda v: parse_number(v, "theta", unit="rad"))),
    ]
    for key, (values, swept) in specs:
        (axes if swept else geometry)[key] = values
    T_M, _ = _grid(TM, "TM", lambda v: parse_temperature(v, "TM"))
    if not axes:  # the pipeline's scans sweep at least one geometry axis
        axes[fkey] = [geometry.pop(fkey)]
    config = {
        "T_W": parse_temperature(TW, "TW"),
        "geometry": geometry,
        "scans": {SCAN_NAME: {"axes": axes, "T_M": T_M if isinstance(T_M, list) else [T_M]}},
        "extras": [],
        "mpi": {"chunk": 16},
    }
    try:
        validate_config(copy.deepcopy(config), partial=True)
    except ConfigError as exc:
        text = str(exc)
        param = next((p for k, p in _STACK_KEYS if k in text.split(":", 1)[0]), "geometry")
        raise InputError(param, text) from None
    return config


#: config key fragment -> scan argument of a stack scan's ConfigError (first match wins)
_STACK_KEYS = (
    ("substrate", "substrate"),
    ("stack", "layers"),
    ("thickness", "layers"),
    ("omega_ratio", "omega_ratio"),
    ("omega", "omega"),
    ("z2", "z2"),
    ("z1", "z1"),
    ("r12", "r12"),
    ("theta", "theta"),
)


def scan(
    output=None,
    *,
    material="sic",
    delta=10e-9,
    z1=1e-6,
    z2=1e-6,
    r12=0.25e-6,
    omega=None,
    omega_ratio=0.3,
    theta=0.0,
    TW=30.0,
    TM=600.0,
    progress=False,
    chunk=None,
    layers=None,
    substrate=None,
):
    """Kernels, rates and steady states over a small grid, without Snakemake.

    Parameters
    ----------
    output : str or path, optional
        A ``.nc`` path, validated before any computation (see below).
    omega, omega_ratio, delta, z2, r12, theta, TM
        Sweepable: a scalar, a sequence, or a range mapping ``{start, stop,
        num, spacing}`` as in the pipeline config (strings with units
        allowed): ``omega`` [rad/s] or ``omega_ratio`` [1] (omega / material
        resonance), ``delta``, ``z2``, ``r12`` [m], ``theta`` [rad] (polar
        angle of both dipoles in the x-z plane, 0 = along z -- the
        pipeline's dipole parametrisation) and ``TM`` [K]. As in the
        pipeline, z1 is inserted into a z2 range that contains it (so the
        symmetric line z2 = z1 exists).
    material, z1, TW
        Fixed: as in :func:`~neqent.interface.api.point` [SI].
    layers, substrate
        A planar stack instead of ``material``/``delta`` (docs/theory.md §9),
        as in :func:`~neqent.interface.api.point`: ``layers`` (material, thickness) pairs top first,
        ``substrate`` a material or None (vacuum below). A layer's thickness
        [m] is sweepable like ``delta`` (axis ``thickness_<i>``, i = 0 for the
        top layer); ``omega_ratio`` is relative to the top layer's resonance.
    progress : bool
        A tqdm bar on stderr.
    chunk : int, optional
        Grid points per kernel batch (default: about 50 batches; results do
        not depend on it).

    Returns
    -------
    xarray.Dataset
        The merged datasets (complex variables complex): ``alpha_W``,
        ``alpha_M`` (..., q, qp) [Gamma0], ``lambda12`` [Gamma0], ``eps`` [1],
        ``gamma_plus``, ``gamma_minus`` (..., T_M, q, qp) [Gamma0], ``n_W``,
        ``n_M`` [1], ``rho`` (..., T_M, i, j) [1] and ``C`` (..., T_M) [1];
        swept geometry axes as dimensions in the pipeline's order
        (``neqent.pipeline.stages.AXIS_ORDER``), unswept ones as scalar
        coordinates.

    Notes
    -----
    The computation is the pipeline's (:mod:`neqent.pipeline.stages`): ``kernel_grid``
    -> ``rate_grid`` -> ``steady_grid``, serially.

    ``output`` is validated before any computation and written
    with :func:`neqent.pipeline.io.write_dataset` (atomic: temporary file + rename,
    nothing left behind on error; compressed; complex values as
    ``_re``/``_im`` pairs; the config of :func:`scan_config` and provenance
    as global attributes). Read back with :func:`neqent.pipeline.io.read_dataset`.
    """
    import xarray as xr

    from neqent.pipeline import stages as sweep

    path = _check_output(output) if output is not None else None
    config = scan_config(
        material=material,
        delta=delta,
        z1=z1,
        z2=z2,
        r12=r12,
        omega=omega,
        omega_ratio=omega_ratio,
        theta=theta,
        TW=TW,
        TM=TM,
        layers=layers,
        substrate=substrate,
    )
    try:
        axes, fixed = sweep.scan_axes(config, SCAN_NAME)
    except ValueError as exc:
        raise InputError("geometry", str(exc)) from None
    npts_hint = int(np.prod([len(v) for v in axes.values()])) if axes else 1
    _refuse_beyond_memory_budget(npts_hint * len(np.atleast_1d(config["scans"][SCAN_NAME]["T_M"])))
    config["mpi"]["chunk"] = max(1, int(chunk)) if chunk else max(1, -(-npts_hint // 50))
    # Coinciding qubits somewhere on the grid (r12 = 0 and z2 = z1).
    r12s = np.atleast_1d(axes.get("r12", fixed.get("r12")))
    z2s = np.atleast_1d(axes.get("z2", fixed.get("z2")))
    if np.any(r12s == 0) and np.any(z2s == fixed["z1"]):
        raise InputError(
            "r12",
            f"the qubits coincide at a grid point (r12 = 0 and z2 = z1 = "
            f"{fixed['z1']:g} m); give r12 > 0 or a z2 grid without z1",
        )

    kernels = sweep.kernel_grid(config, SCAN_NAME, progress=progress)
    rates_ds = sweep.rate_grid(kernels, config["scans"][SCAN_NAME]["T_M"], config["T_W"])
    steady = _degenerate_as_input(sweep.steady_grid, rates_ds)
    ds = xr.merge([kernels, rates_ds, steady], compat="override", combine_attrs="override")
    ds.attrs.update(
        title="neqent scan: kernels, rates and steady states (neqent scan)",
        scan=SCAN_NAME,
        stage="scan",
        material=kernels.attrs["material"],
    )
    if path is not None:
        from neqent.pipeline.io import write_dataset

        write_dataset(ds, path, config)
    return ds


def _refuse_beyond_memory_budget(npoints):
    """InputError (before any computation) when the in-memory result exceeds the memory budget.

    The budget is ``NEQENT_MEMORY_BUDGET`` (default 2 GB); larger grids belong
    to the pipeline, which streams them in blocks (issue 10).
    """
    from neqent.pipeline.budget import BudgetError, check_in_memory

    try:
        check_in_memory(npoints, what="scan")
    except BudgetError as exc:
        raise InputError("geometry", str(exc)) from None  # the whole grid: no single option to blame


def _degenerate_as_input(func, *args):
    """Run ``func``; report a non-unique steady state as an input problem."""
    from neqent.dynamics.master import DegenerateSteadyStateError

    try:
        return func(*args)
    except DegenerateSteadyStateError as exc:
        raise InputError(
            "geometry", f"the steady state is not unique at some grid point (docs/theory.md §6): {exc}"
        ) from None
