"""Grids and pipeline stages: kernels (MPI) -> rates -> steady states -> figures data.

Each stage is a library function from datasets to a dataset, plus a
command-line entry ``python -m neqent.pipeline.stages <stage> ...`` used by the
Snakemake rules (``workflow/rules/*.smk``) and reusable by ``neqent scan``.
Stages communicate only through NetCDF files written by
:func:`neqent.pipeline.io.write_dataset` (complex values as ``_re``/``_im`` pairs).

Stages (all quantities in the units stated on the dataset variables):

``kernel_grid(config, scan, comm)``
    temperature-independent kernels alpha_W, alpha_M (units of Gamma0,
    dims ``(*axes, q, qp)``) and Lambda^{12} (units of Gamma0, ``(*axes)``)
    over the scan's geometry/frequency axes, in the fixed order
    :data:`AXIS_ORDER`. The flattened grid is cut into fixed-size chunks
    (``mpi.chunk`` points, independent of the rank count); MPI rank r
    computes chunks r, r + size, ...; rank 0 gathers and assembles in grid
    order. Every point is computed by the same call on the same chunk
    whatever the number of ranks, so results are bit-identical for any rank
    count.
``rate_grid(kernels, T_M, T_W)``
    Gamma(+w), Gamma(-w) over ``(*axes, T_M, q, qp)`` by broadcasting the
    kernels against n(omega, T_M) -- alpha is never recomputed per temperature.
``steady_grid(rates)``
    steady states (one batched ``master.steady_state`` call over the whole
    grid) and their concurrence (closed form of the X state).

The command-line rates and steady stages do not hold the grid in memory:
they stream it in blocks under the memory budget, across MPI ranks or
Snakemake shards (:mod:`neqent.pipeline.streaming`), with the same
arithmetic as the in-memory functions (bit-identical results).
``analytic_data(config, kernels, rates, steady)``
    fig3a/fig3b data: the symmetric-case analytic C over (n_S, n_A) at the
    z2 = z1 ratio Gamma_A/Gamma_S, the (n_S, n_A, T_A, T_S) trajectory along
    z2 = z1 versus T_M, and max C versus Gamma_A/Gamma_S.
``dynamics_data(config, rates, steady)``
    fig4b data: C(t) at the maximum of the fig4a map for the configured
    initial states.

Axes: ``z2`` (m), ``omega`` (rad/s; configured as ``omega`` or
``omega_ratio`` = omega / material resonance), ``r12`` (m, along x),
``delta`` (m), ``theta`` (rad, polar angle of both dipoles in the x-z plane).
Quantities a scan does not sweep come from ``config["geometry"]`` and are
stored as scalar coordinates. z1 (when inside the z2 range) is always put on
the z2 grid so that the symmetric line z2 = z1 exists exactly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

import numpy as np
import xarray as xr

from neqent.pipeline.body import has_stack, stack_label, thickness_index
from neqent.pipeline.config import load_config, resolve_range, stage_config
from neqent.pipeline.logs import configure_logging

log = logging.getLogger("neqent.pipeline.stages")

__all__ = [
    "AXIS_ORDER",
    "axis_names",
    "coord_attrs",
    "scan_axes",
    "kernel_grid",
    "rate_grid",
    "steady_grid",
    "analytic_data",
    "dynamics_data",
    "map_maximum",
    "STAGE_INPUTS",
    "read_stage_input",
    "main",
]

#: Order of kernel axes in every dataset (slowest to fastest varying).
AXIS_ORDER = ("delta", "r12", "theta", "z2", "omega")

#: CF attributes of coordinates.
COORD_ATTRS = {
    "z1": {"units": "m", "long_name": "height of qubit 1 above the slab surface"},
    "z2": {"units": "m", "long_name": "height of qubit 2 above the slab surface"},
    "r12": {"units": "m", "long_name": "lateral separation of the qubits (along x)"},
    "delta": {"units": "m", "long_name": "slab thickness"},
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


def _attrs(units, long_name, **extra):
    return {"units": units, "long_name": long_name, **extra}


# --------------------------------------------------------------------------
# grids
# --------------------------------------------------------------------------


def _material(config):
    """The body's material; for a stack the top layer's (it sets omega_ratio, neqent.pipeline.body)."""
    from neqent.electrodynamics.resolve import resolve_material
    from neqent.pipeline.body import config_stack, has_stack, top_material

    if has_stack(config):
        return top_material(config_stack(config))
    return resolve_material(config["material"])


def axis_names(config):
    """Kernel dimension names of the config's body, slowest first: :data:`AXIS_ORDER`, with a
    stack's layer thicknesses ``thickness_<i>`` (top first) in place of ``delta``."""
    from neqent.pipeline.body import config_stack, has_stack, thickness_axes

    if not has_stack(config):
        return AXIS_ORDER
    return thickness_axes(len(config_stack(config).layers)) + AXIS_ORDER[1:]


def coord_attrs(name):
    """CF attributes of a coordinate (:data:`COORD_ATTRS`, or a stack layer's thickness)."""
    from neqent.pipeline.body import thickness_index

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


def scan_axes(config, scan):
    """Axes and fixed values of a scan.

    Returns ``(axes, fixed)``: ``axes`` maps dimension names (in
    :data:`AXIS_ORDER`) to 1-D float arrays in SI units; ``fixed`` maps every
    other geometry quantity (``z1``, and those of AXIS_ORDER not swept) to a
    float. Frequencies are returned as ``omega`` in rad/s.
    """
    material = _material(config)
    geo = config["geometry"]
    spec = config["scans"][scan]["axes"]
    names = axis_names(config)
    layers = geo.get("stack", [])
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
        if thickness_index(name) is not None:
            fixed[name] = float(layers[thickness_index(name)]["thickness"])
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


def _coords(axes, fixed, material):
    """xarray coordinates (with CF attributes) for the kernel axes and fixed values."""
    coords = {}
    for name, values in axes.items():
        coords[name] = (name, values, coord_attrs(name))
    for name, value in fixed.items():
        coords[name] = ((), value, coord_attrs(name))
    if material.resonance is not None:
        w = axes.get("omega", fixed.get("omega"))
        dims = ("omega",) if "omega" in axes else ()
        coords["omega_ratio"] = (dims, np.asarray(w) / material.resonance, COORD_ATTRS["omega_ratio"])
    coords["q"] = ("q", [1, 2], COORD_ATTRS["q"])
    coords["qp"] = ("qp", [1, 2], COORD_ATTRS["qp"])
    coords["ci"] = ("ci", ["x", "y", "z"], COORD_ATTRS["ci"])
    coords["cj"] = ("cj", ["x", "y", "z"], COORD_ATTRS["cj"])
    return coords


def _dipoles(theta):
    """Unit dipoles (N, 3) in the x-z plane at polar angle ``theta`` (rad)."""
    th = np.asarray(theta, float)
    return np.stack([np.sin(th), np.zeros_like(th), np.cos(th)], axis=-1).astype(complex)


# --------------------------------------------------------------------------
# stage (a): kernels under MPI
# --------------------------------------------------------------------------


def _chunks(npoints, chunk):
    """Fixed (start, stop) chunks of the flattened grid, independent of the rank count."""
    return [(s, min(s + chunk, npoints)) for s in range(0, npoints, chunk)]


def _compute_chunk(points, start, stop):
    """Kernel tensors of flat geometry points [start, stop) (one batched call)."""
    from neqent.dynamics.rates import kernel_tensors_batch, stack_kernel_tensors_batch

    sl = slice(start, stop)
    if "eps_t" in points:  # a planar stack: the layers of every point, docs/theory.md §9
        W, M, G12 = stack_kernel_tensors_batch(
            points["omega"][sl],
            points["eps_t"][sl],
            points["eps_z"][sl],
            points["thickness"][sl],
            points["sub_eps_t"][sl],
            points["sub_eps_z"][sl],
            points["z1"][sl],
            points["z2"][sl],
            points["r12"][sl],
            np.zeros(stop - start),
        )
        return {"W": W, "M": M, "G12": G12}
    W, M, G12 = kernel_tensors_batch(
        points["omega"][sl],
        points["eps"][sl],
        points["delta"][sl],
        points["z1"][sl],
        points["z2"][sl],
        points["r12"][sl],
        np.zeros(stop - start),
    )
    return {"W": W, "M": M, "G12": G12}


def kernel_grid(config, scan="map", comm=None, progress=True):
    """Tabulate the temperature-independent kernels of one scan (stage a).

    ``config``: resolved config (dict, path or string; see
    :func:`neqent.pipeline.config.load_config`); ``scan``: key of ``config["scans"]``;
    ``comm``: an mpi4py communicator (None: serial). Returns the dataset on
    rank 0 and None on the other ranks. Variables: ``alpha_W``, ``alpha_M``
    (complex, units of Gamma0, dims ``(*axes, q, qp)``), ``lambda12``
    (complex, units of Gamma0, ``(*axes)``), the tensors ``alpha_W_tensor``,
    ``alpha_M_tensor``, ``G12_tensor`` (over the geometry axes only: they do
    not depend on the dipole angle theta) and ``eps`` (complex permittivity
    at omega). ``progress`` shows a tqdm bar on rank 0.

    The quadrature runs once per geometry point (axes other than theta);
    the dipole angle only enters the cheap contraction afterwards.
    """
    from neqent.dynamics.rates import contract_kernels

    if not isinstance(config, dict):
        config = load_config(config)
    rank = comm.Get_rank() if comm is not None else 0
    size = comm.Get_size() if comm is not None else 1
    material = _material(config)
    axes, fixed = scan_axes(config, scan)
    geo_axes = {name: v for name, v in axes.items() if name != "theta"}
    geo_shape = tuple(len(v) for v in geo_axes.values())
    npoints = int(np.prod(geo_shape)) if geo_shape else 1

    # Flattened per-point geometry (C order over AXIS_ORDER without theta).
    mesh = np.meshgrid(*geo_axes.values(), indexing="ij") if geo_axes else []
    points = {name: m.ravel() for name, m in zip(geo_axes, mesh)}
    for name, value in fixed.items():
        points[name] = np.full(npoints, value)
    stack = _stack_points(config, points) if has_stack(config) else None
    if stack is None:
        points["eps"] = np.asarray(material.eps(points["omega"]), complex)

    chunks = _chunks(npoints, int(config["mpi"]["chunk"]))
    mine = list(range(rank, len(chunks), size))
    # No compile-first step: with a cold numba cache every rank compiles the
    # kernels at once (same wall time as one rank), and numba writes its cache
    # files atomically (unique temporary file, then rename), so concurrent
    # ranks are safe on any filesystem with atomic rename (numba docs, "Cache
    # sharing"); with a warm cache every rank loads it (~0.4 s) in parallel.
    iterator = mine
    if progress and rank == 0:
        from tqdm import tqdm

        iterator = tqdm(mine, desc=f"kernels[{scan}] rank 0/{size}", unit="chunk", file=sys.stderr, mininterval=1.0)
    results = {k: _compute_chunk(points, *chunks[k]) for k in iterator}

    if comm is not None and size > 1:
        gathered = comm.gather(results, root=0)
        if rank != 0:
            return None
        results = {}
        for part in gathered:
            results.update(part)
    # Assemble in grid order: chunk k holds flat points chunks[k].
    tensors = {
        key: np.concatenate([results[k][key] for k in range(len(chunks))]).reshape(
            geo_shape + results[0][key].shape[1:]
        )
        for key in ("W", "M", "G12")
    }

    # Contract with the dipoles of every orientation; theta sits at its
    # AXIS_ORDER position among the dimensions.
    thetas = np.atleast_1d(axes["theta"] if "theta" in axes else fixed["theta"])
    d = _dipoles(thetas).reshape((-1,) + (1,) * len(geo_shape) + (3,))
    alpha_W, alpha_M, lambda12 = contract_kernels(tensors["W"][None], tensors["M"][None], tensors["G12"][None], d, d)
    if "theta" in axes:
        at = list(axes).index("theta")
        alpha_W, alpha_M, lambda12 = (np.moveaxis(a, 0, at) for a in (alpha_W, alpha_M, lambda12))
    else:
        alpha_W, alpha_M, lambda12 = alpha_W[0], alpha_M[0], lambda12[0]

    dims = tuple(axes)
    geo_dims = tuple(geo_axes)
    coords = _coords(axes, fixed, material)
    eps_dims = ("omega",) if "omega" in axes else ()
    if stack is None:
        eps = material.eps(axes["omega"]) if "omega" in axes else material.eps(fixed["omega"])
    ds = xr.Dataset(
        {
            "alpha_W": (
                dims + ("q", "qp"),
                alpha_W,
                _attrs("1", "wall kernel alpha_W^{qq'} (dipole-contracted, units of Gamma0)"),
            ),
            "alpha_M": (
                dims + ("q", "qp"),
                alpha_M,
                _attrs("1", "body kernel alpha_M^{qq'} (dipole-contracted, units of Gamma0)"),
            ),
            "lambda12": (dims, lambda12, _attrs("1", "coherent coupling Lambda^{12} (units of Gamma0)")),
            # The full Cartesian tensors (lab axes), so other dipole
            # directions can be contracted later without re-integrating.
            "alpha_W_tensor": (
                geo_dims + ("q", "qp", "ci", "cj"),
                tensors["W"],
                _attrs("1", "wall kernel tensor [alpha_W^{qq'}]_ij (units of Gamma0)"),
            ),
            "alpha_M_tensor": (
                geo_dims + ("q", "qp", "ci", "cj"),
                tensors["M"],
                _attrs("1", "body kernel tensor [alpha_M^{qq'}]_ij (units of Gamma0)"),
            ),
            "G12_tensor": (
                geo_dims + ("ci", "cj"),
                tensors["G12"],
                _attrs(
                    "1",
                    "total Green tensor G0 + GR at (R1, R2), normalised to "
                    "w^3/(6 pi eps0 c^3) (Lambda^{12} = -1/2 d1* Re G d2)",
                ),
            ),
        },
        coords=coords,
        attrs={
            "title": f"neqent kernels, scan {scan}",
            "scan": scan,
            "material": config["material"] if stack is None else stack_label(stack),
            "stage": "kernels",
            "mpi_ranks": size,
        },
    )
    if stack is None:
        ds["eps"] = (eps_dims, np.asarray(eps, complex), _attrs("1", "relative permittivity of the slab"))
    else:
        ds = ds.assign(_stack_permittivities(stack, axes, fixed))
    return ds


def _stack_points(config, points):
    """Add a stack's per-point layers to ``points`` (eps_t, eps_z, thickness (N, L) m, sub_eps_t/z (N,));
    returns the :class:`~neqent.electrodynamics.planar.Stack`."""
    from neqent.pipeline.body import config_stack, stack_optics, thickness_axes

    stack = config_stack(config)
    points["eps_t"], points["eps_z"], points["sub_eps_t"], points["sub_eps_z"] = stack_optics(stack, points["omega"])
    names = thickness_axes(len(stack.layers))
    points["thickness"] = (
        np.stack([points[n] for n in names], axis=-1) if names else np.zeros((points["omega"].size, 0))
    )
    return stack


def _stack_permittivities(stack, axes, fixed):
    """Variables eps_t, eps_z (layer[, omega]) and the substrate's of a stack's kernel dataset."""
    from neqent.pipeline.body import stack_optics

    if "omega" in axes:
        dims = ("layer", "omega")
        et, ez, st, sz = stack_optics(stack, axes["omega"])
        et, ez = et.T, ez.T
    else:
        dims = ("layer",)
        et, ez, st, sz = (a[0] for a in stack_optics(stack, [fixed["omega"]]))
    return {
        "eps_t": (dims, et, _attrs("1", "in-plane relative permittivity of each stack layer")),
        "eps_z": (dims, ez, _attrs("1", "axial (z) relative permittivity of each stack layer")),
        "eps_substrate_t": (dims[1:], st, _attrs("1", "in-plane relative permittivity below the stack")),
        "eps_substrate_z": (dims[1:], sz, _attrs("1", "axial relative permittivity below the stack")),
        "layer": ("layer", np.arange(len(stack.layers)), _attrs("1", "stack layer index (0 = top layer)")),
        "layer_material": ("layer", [m.name for m, _ in stack.layers], _attrs("1", "material of each stack layer")),
    }


# --------------------------------------------------------------------------
# stage (b): rates
# --------------------------------------------------------------------------


def _kernel_dims(ds):
    from neqent.pipeline.body import kernel_dims

    return kernel_dims(ds.dims)


def rate_grid(kernels, T_M, T_W):
    """Rates over ``(*axes, T_M, q, qp)`` from a kernel dataset (stage b).

    ``kernels``: dataset of :func:`kernel_grid` (complex variables);
    ``T_M``: body temperatures (K): a number, a list or a grid spec
    ``{start, stop, num, spacing}`` (:func:`neqent.pipeline.config.resolve_range`);
    ``T_W``: wall temperature (K).
    The alpha tensors are broadcast against n(omega, T) -- never recomputed.
    Returns ``gamma_plus``, ``gamma_minus`` (complex, units of Gamma0),
    ``lambda12`` (complex, units of Gamma0), ``n_W``, ``n_M``.
    """
    from neqent.dynamics.rates import rates
    from neqent.pipeline.streaming import occupations

    T_M = resolve_range(T_M.tolist() if isinstance(T_M, np.ndarray) else T_M)
    dims = _kernel_dims(kernels)
    n_W, n_M = occupations(kernels["omega"], T_M, T_W)
    # Broadcast to the full grid in a fixed dim order: (*axes, T_M).
    full = dims + ("T_M",)
    template = xr.DataArray(np.zeros(tuple(kernels.sizes[d] for d in dims) + (T_M.size,)), dims=full)
    nM_full = n_M.broadcast_like(template).transpose(*full).values
    nW_full = n_W.broadcast_like(template).transpose(*full).values
    aW = kernels["alpha_W"].transpose(*dims, "q", "qp").values[..., None, :, :]
    aM = kernels["alpha_M"].transpose(*dims, "q", "qp").values[..., None, :, :]
    gp, gm = rates(aW, aM, nW_full, nM_full)
    coords = {k: v for k, v in kernels.coords.items()}
    coords["T_M"] = ("T_M", T_M, COORD_ATTRS["T_M"])
    coords["T_W"] = ((), float(T_W), COORD_ATTRS["T_W"])
    return xr.Dataset(
        {
            "gamma_plus": (full + ("q", "qp"), gp, _attrs("1", "downward rates Gamma^{qq'}(+omega) (units of Gamma0)")),
            "gamma_minus": (full + ("q", "qp"), gm, _attrs("1", "upward rates Gamma^{qq'}(-omega) (units of Gamma0)")),
            "lambda12": (
                dims,
                kernels["lambda12"].transpose(*dims).values,
                _attrs("1", "coherent coupling Lambda^{12} (units of Gamma0)"),
            ),
            "n_W": (n_W.dims, n_W.values, _attrs("1", "Bose occupation n(omega, T_W)")),
            "n_M": (n_M.dims, n_M.values, _attrs("1", "Bose occupation n(omega, T_M)")),
        },
        coords=coords,
        attrs={
            **{k: v for k, v in kernels.attrs.items() if k in ("scan", "material")},
            "title": f"neqent rates, scan {kernels.attrs.get('scan', '?')}",
            "stage": "rates",
        },
    )


# --------------------------------------------------------------------------
# stage (c): steady states
# --------------------------------------------------------------------------


def steady_grid(rates_ds):
    """Steady states and concurrence over the whole rate grid (stage c).

    One batched :func:`neqent.dynamics.master.steady_state` call (no per-point loop);
    Lambda^{12} is broadcast over T_M. Returns ``rho`` (complex, dims
    ``(*axes, T_M, i, j)``, decoupled basis) and ``C`` (concurrence, closed
    form of the X state, :mod:`neqent.dynamics.xstate`). ``rates_ds`` may
    hold grid or compact rates. The arithmetic is that of the streamed stage
    (:func:`neqent.pipeline.streaming.stream_steady`) on a single block, so
    both give the same bits.
    """
    from neqent.pipeline.blocks import plan_blocks
    from neqent.pipeline.streaming import RateSource, steady_block

    dims = _kernel_dims(rates_ds) + ("T_M",)
    source = RateSource(rates_ds)
    (block,) = plan_blocks(source.shape, max(1, int(np.prod(source.shape))))
    out = steady_block(source, block, "rho")
    rho, C = out["rho"], out["C"]
    coords = {k: v for k, v in rates_ds.coords.items() if k not in ("q", "qp")}
    coords["i"] = ("i", BASIS, COORD_ATTRS["i"])
    coords["j"] = ("j", BASIS, COORD_ATTRS["j"])
    return xr.Dataset(
        {
            "rho": (dims + ("i", "j"), rho, _attrs("1", "steady-state density matrix (decoupled basis)")),
            "C": (dims, C, _attrs("1", "steady-state concurrence")),
        },
        coords=coords,
        attrs={
            **{k: v for k, v in rates_ds.attrs.items() if k in ("scan", "material")},
            "title": f"neqent steady states, scan {rates_ds.attrs.get('scan', '?')}",
            "stage": "steady",
        },
    )


def map_maximum(C):
    """Location of the maximum of a concurrence DataArray: dict dim -> coordinate value."""
    flat = int(np.nanargmax(C.values))
    idx = np.unravel_index(flat, C.shape)
    return {d: C[d].values[k].item() for d, k in zip(C.dims, idx)}


def _squeeze_map(ds):
    """Drop length-1 kernel axes of a 'map' dataset (fig3/fig4 need z2 x T_M only)."""
    from neqent.errors import StageInputError

    extra = [d for d in _kernel_dims(ds) if d != "z2"]
    for d in extra:
        if ds.sizes[d] != 1:
            raise StageInputError(
                f"scan 'map' sweeps {d!r} with {ds.sizes[d]} values; the paper figures "
                "need a single value (put other sweeps in an extra scan)"
            )
    return ds.isel({d: 0 for d in extra}) if extra else ds


# --------------------------------------------------------------------------
# fig3 data: analytic symmetric case
# --------------------------------------------------------------------------


def _max_symmetric(ratios):
    """max_symmetric_concurrence over a 1-D array of ratios -> (C, n_A, n_S) arrays."""
    from neqent.dynamics.analytic import max_symmetric_concurrence

    C, nA, nS = max_symmetric_concurrence(np.asarray(ratios, float))
    return C, nA, nS


def analytic_data(config, kernels, rates_ds, steady):
    """fig3a/fig3b data and the effective temperatures along z2 = z1.

    Uses the map scan's kernels at z2 = z1 (symmetric case, docs/theory.md §8):
    ``ratio_line`` = Gamma_A/Gamma_S; ``n_A_line``, ``n_S_line``, ``T_A_line``,
    ``T_S_line`` versus T_M; ``C_analytic_line`` (§8 formula) and
    ``C_master_line`` (full master equation, fig4a's z2 = z1 line) versus
    T_M; ``C_map`` over (n_A, n_S) at ``ratio_line``; ``C_max``, ``n_A_opt``,
    ``n_S_opt`` versus ``ratio`` (fig3b). The T_M of the maximum of
    ``C_master_line`` is the scalar coordinate ``T_M_max``.
    """
    from neqent.dynamics.analytic import symmetric_concurrence
    from neqent.dynamics.rates import effective_temperature, is_symmetric, symmetric_channels
    from neqent.errors import StageInputError

    if not isinstance(config, dict):
        config = load_config(config)
    kernels, rates_ds, steady = (_squeeze_map(d) for d in (kernels, rates_ds, steady))
    z1 = float(kernels["z1"])
    if z1 not in kernels["z2"].values:
        raise StageInputError(f"z1 = {z1} m is not on the map's z2 grid; widen scans.map.axes.z2")
    k = kernels.sel(z2=z1)
    aW, aM = k["alpha_W"].values, k["alpha_M"].values
    symmetric = bool(is_symmetric(aW, aM, rtol=1e-9))
    omega = float(k["omega"])
    T_M = rates_ds["T_M"].values
    n_W = float(rates_ds["n_W"].values)
    n_M = rates_ds["n_M"].values
    gA, gS, nA, nS = symmetric_channels(aW, aM, n_W, n_M)
    ratio = float(np.asarray(gA / gS).ravel()[0])
    C_line_an = np.asarray(symmetric_concurrence(ratio, nA, nS), float)
    C_line_me = steady["C"].sel(z2=z1).values
    imax = int(np.nanargmax(C_line_me))

    acfg = config["analytic"]
    nA_ax, nS_ax = resolve_range(acfg["n_A"]), resolve_range(acfg["n_S"])
    C_map = np.asarray(symmetric_concurrence(ratio, nA_ax[:, None], nS_ax[None, :]), float)
    ratios = resolve_range(acfg["ratio"])
    Cmax, nA_opt, nS_opt = _max_symmetric(ratios)
    Cmax_here, nA_here, nS_here = _max_symmetric(np.array([ratio]))

    T_line = ("T_M",)
    data = {
        "Gamma_A": (
            (),
            float(np.asarray(gA).ravel()[0]),
            _attrs("1", "antisymmetric channel rate Gamma_A at z2 = z1 (units of Gamma0)"),
        ),
        "Gamma_S": (
            (),
            float(np.asarray(gS).ravel()[0]),
            _attrs("1", "symmetric channel rate Gamma_S at z2 = z1 (units of Gamma0)"),
        ),
        "ratio_line": ((), ratio, _attrs("1", "Gamma_A / Gamma_S at z2 = z1")),
        "n_A_line": (
            T_line,
            np.asarray(nA, float),
            _attrs("1", "occupation n_A of the antisymmetric channel at z2 = z1"),
        ),
        "n_S_line": (T_line, np.asarray(nS, float), _attrs("1", "occupation n_S of the symmetric channel at z2 = z1")),
        "T_A_line": (
            T_line,
            np.asarray(effective_temperature(omega, nA), float),
            _attrs("K", "effective temperature T_A at z2 = z1"),
        ),
        "T_S_line": (
            T_line,
            np.asarray(effective_temperature(omega, nS), float),
            _attrs("K", "effective temperature T_S at z2 = z1"),
        ),
        "C_analytic_line": (
            T_line,
            C_line_an,
            _attrs("1", "steady concurrence at z2 = z1, analytic formula (docs/theory.md section 8)"),
        ),
        "C_master_line": (
            T_line,
            C_line_me,
            _attrs("1", "steady concurrence at z2 = z1, master equation (fig4a line)"),
        ),
        "C_map": (("n_A", "n_S"), C_map, _attrs("1", "analytic steady concurrence at Gamma_A/Gamma_S = ratio_line")),
        "C_max": (("ratio",), Cmax, _attrs("1", "max over (n_A, n_S) of the analytic steady concurrence")),
        "n_A_opt": (("ratio",), nA_opt, _attrs("1", "n_A at the maximum")),
        "n_S_opt": (("ratio",), nS_opt, _attrs("1", "n_S at the maximum")),
        "C_max_line_ratio": ((), float(Cmax_here[0]), _attrs("1", "max analytic concurrence at ratio_line")),
    }
    coords = {
        "T_M": ("T_M", T_M, COORD_ATTRS["T_M"]),
        "n_A": ("n_A", nA_ax, _attrs("1", "occupation n_A of the antisymmetric channel")),
        "n_S": ("n_S", nS_ax, _attrs("1", "occupation n_S of the symmetric channel")),
        "ratio": ("ratio", ratios, _attrs("1", "Gamma_A / Gamma_S")),
        "T_M_max": ((), float(T_M[imax]), _attrs("K", "T_M of the maximum concurrence along z2 = z1")),
        "z1": ((), z1, COORD_ATTRS["z1"]),
        "omega": ((), omega, COORD_ATTRS["omega"]),
        "T_W": ((), float(rates_ds["T_W"]), COORD_ATTRS["T_W"]),
    }
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            "title": "neqent analytic symmetric case (fig3a, fig3b) and effective temperatures",
            "stage": "analytic",
            "symmetric": int(symmetric),
            "comment": "symmetric = 1 when the z2 = z1 kernels satisfy docs/theory.md section 8 "
            "(alpha^11 = alpha^22, alpha^12 real); otherwise the analytic curves are not applicable",
        },
    )


# --------------------------------------------------------------------------
# fig4b data: dynamics at the maximum of the map
# --------------------------------------------------------------------------


def dynamics_data(config, rates_ds, steady):
    """C(t) at the maximum of the fig4a map for the configured initial states.

    Times ``t`` in units of 1/Gamma0, log-spaced from ``dynamics.t_min`` to
    ``relax_factor`` / (slowest eigenvalue of the Hermitian decay matrix
    Gamma(+w) + Gamma(-w)), i.e. well past the slowest relaxation. The
    thermal initial state is the one at T_W. Returns ``C`` (state, t),
    ``rho`` (state, t, i, j) complex, ``C_steady``.
    """
    from neqent.dynamics.entanglement import concurrence
    from neqent.dynamics.master import evolve, initial_state, slowest_relaxation_rate

    if not isinstance(config, dict):
        config = load_config(config)
    rates_ds, steady = _squeeze_map(rates_ds), _squeeze_map(steady)
    where = map_maximum(steady["C"])
    point = rates_ds.sel(where)
    gp, gm = point["gamma_plus"].values, point["gamma_minus"].values
    lam = complex(point["lambda12"].values)
    slowest = slowest_relaxation_rate(gp, gm)
    dcfg = config["dynamics"]
    t_max = dcfg["relax_factor"] / slowest
    t_min = min(dcfg["t_min"], t_max / 10)
    times = np.geomspace(t_min, t_max, int(dcfg["num"]))
    n_W = float(point["n_W"].values)
    states = list(dcfg["states"])
    rhos = []
    for name in states:
        rho0 = initial_state("thermal", n=n_W) if name == "thermal" else initial_state(name)
        rhos.append(np.asarray(evolve(gp, gm, lam, rho0, times)))
    rho = np.stack(rhos)  # (state, t, 4, 4)
    C = np.asarray(concurrence(rho), float)
    C_steady = float(steady["C"].sel(where).values)
    coords = {
        "state": ("state", states, _attrs("1", "initial state ('thermal' = thermal state at T_W)")),
        "t": ("t", times, _attrs("1", "time in units of 1/Gamma0 (Gamma0 t)")),
        "i": ("i", BASIS, COORD_ATTRS["i"]),
        "j": ("j", BASIS, COORD_ATTRS["j"]),
        "z2": ((), float(where["z2"]), COORD_ATTRS["z2"]),
        "T_M": ((), float(where["T_M"]), COORD_ATTRS["T_M"]),
        "T_W": ((), float(rates_ds["T_W"]), COORD_ATTRS["T_W"]),
        "omega": ((), float(rates_ds["omega"]), COORD_ATTRS["omega"]),
        "z1": ((), float(rates_ds["z1"]), COORD_ATTRS["z1"]),
    }
    return xr.Dataset(
        {
            "C": (("state", "t"), C, _attrs("1", "concurrence C(t)")),
            "rho": (("state", "t", "i", "j"), rho, _attrs("1", "density matrix (decoupled basis)")),
            "C_steady": ((), C_steady, _attrs("1", "steady-state concurrence at this point (fig4a maximum)")),
            "slowest_rate": ((), slowest, _attrs("1", "slowest eigenvalue of Gamma(+w) + Gamma(-w) (units of Gamma0)")),
        },
        coords=coords,
        attrs={"title": "neqent dynamics at the maximum of the fig4a map (fig4b)", "stage": "dynamics"},
    )


# --------------------------------------------------------------------------
# command line: python -m neqent.pipeline.stages <stage> ...
# --------------------------------------------------------------------------

#: stage -> the stages of its --input files, in order.
STAGE_INPUTS = {
    "kernels": (),
    "rates": ("kernels",),
    "steady": ("rates",),
    "analytic": ("kernels", "rates", "steady"),
    "dynamics": ("rates", "steady"),
}
#: Stages that always work on the 'map' scan (the paper figures).
MAP_STAGES = ("analytic", "dynamics")


class StageParser(argparse.ArgumentParser):
    """ArgumentParser of the stage commands: an error is one line on stderr and exit status 2.

    No usage block (the Snakemake job log should show the problem, not the
    synopsis); the message names the option and the value.
    """

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def first_line(exc):
    """First line of an exception's message (KeyError: its bare key/message), or its type name."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__


def shown(value, limit=80):
    """repr of a command-line value, shortened (the workflow passes the whole config inline)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def load_config_or_exit(parser, source):
    """:func:`neqent.pipeline.config.load_config` of ``--config``; parser.error naming it on failure."""
    try:
        return load_config(source, partial=True)  # the workflow passes each stage its subset
    except (ValueError, OSError) as exc:  # ConfigError is a ValueError
        parser.error(f"--config {shown(source)}: {first_line(exc)}")


def read_stage_input(parser, path, stages, scan=None, option="--input"):
    """Read a pipeline dataset after checking it is the expected stage's output.

    ``stages``: accepted values of the file's global ``stage`` attribute;
    ``scan``: required value of its ``scan`` attribute (None: any). A missing
    or unreadable file, or one from another stage or scan, ends in
    ``parser.error`` (exit 2) naming ``option`` and the path.
    """
    from neqent.pipeline.io import read_dataset

    if not os.path.isfile(path):
        parser.error(f"{option} {path!r}: no such file")
    try:
        ds = read_dataset(path)
    except (OSError, ValueError, RuntimeError) as exc:
        detail = first_line(exc).split(". ")[0]  # xarray's backend message runs on with advice
        parser.error(f"{option} {path!r}: not a readable NetCDF file ({detail})")
    stage = ds.attrs.get("stage")
    if stage not in stages:
        parser.error(
            f"{option} {path!r}: expected the output of stage {' or '.join(stages)}, got a dataset of stage {stage!r}"
        )
    if scan is not None and ds.attrs.get("scan") != scan:
        parser.error(f"{option} {path!r}: dataset of scan {ds.attrs.get('scan')!r}, expected scan {scan!r}")
    return ds


def _positive_int(text):
    """An integer >= 1 from the command line (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def open_stage_input(parser, path, stages, scan=None, option="--input"):
    """Like :func:`read_stage_input` but opened lazily (nothing but the header is read).

    For inputs larger than memory (the streamed rates/steady stages); the
    caller closes the dataset.
    """
    if not os.path.isfile(path):
        parser.error(f"{option} {path!r}: no such file")
    try:
        ds = xr.open_dataset(path)
    except (OSError, ValueError, RuntimeError) as exc:
        detail = first_line(exc).split(". ")[0]
        parser.error(f"{option} {path!r}: not a readable NetCDF file ({detail})")
    stage = ds.attrs.get("stage")
    if stage not in stages:
        ds.close()
        parser.error(
            f"{option} {path!r}: expected the output of stage {' or '.join(stages)}, got a dataset of stage {stage!r}"
        )
    if scan is not None and ds.attrs.get("scan") != scan:
        ds.close()
        parser.error(f"{option} {path!r}: dataset of scan {ds.attrs.get('scan')!r}, expected scan {scan!r}")
    return ds


#: environment variables in which MPI launchers (mpiexec/hydra, Open MPI, srun) give the rank count
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "SLURM_STEP_NUM_TASKS")


def _launched_ranks():
    """Rank count an MPI launcher announced in the environment (1 if none).

    The rates and steady stages initialise MPI only when started with several
    ranks: a plain job step (e.g. each Snakemake job under the SLURM executor
    runs in an `srun` step with PMI variables but no PMI server) would fail in
    MPI_Init.
    """
    sizes = []
    for var in _LAUNCHER_SIZE_VARS:
        try:
            sizes.append(int(os.environ[var]))
        except (KeyError, ValueError):
            continue
    return max(sizes, default=1)


def _mpi_comm():
    """COMM_WORLD if mpi4py is importable, else None (serial)."""
    try:
        from mpi4py import MPI
    except ImportError:  # pragma: no cover
        return None
    return MPI.COMM_WORLD


def main(argv=None):
    """Entry point of the pipeline stages (see module docstring).

    ``python -m neqent.pipeline.stages kernels --config C --scan S --output F`` (run
    under ``mpiexec -n N`` / ``srun`` for MPI), and ``rates``, ``steady``,
    ``analytic``, ``dynamics`` with ``--input`` files (in the order of
    :data:`STAGE_INPUTS`). ``--config`` is a YAML/JSON file or an inline
    YAML/JSON string, a full config or the stage's subset
    (:func:`neqent.pipeline.config.stage_config`, what the workflow passes;
    the output records that subset); ``--scan`` must name one of its scans (``analytic`` and
    ``dynamics`` always use ``map``). Every input must carry the ``stage``
    and ``scan`` attributes the stage expects. Bad input exits with status 2
    and one line on stderr naming the option and the value; no output file
    is written.

    ``rates`` and ``steady`` stream in blocks under ``--memory-budget``
    (default ``scale.memory_budget``), in parallel when started with several
    MPI ranks; ``steady --shard i/n`` computes one shard into a shard file
    and ``steady --input <shard files>`` gathers them. Both log the estimated
    output size and refuse one the output disk cannot hold.
    """
    from neqent.pipeline.io import write_dataset

    configure_logging()
    p = StageParser(prog="python -m neqent.pipeline.stages", description=__doc__.splitlines()[0])
    p.add_argument("stage", choices=list(STAGE_INPUTS))
    p.add_argument("--config", required=True, help="config file or inline YAML/JSON")
    p.add_argument(
        "--scan", default=None, help="scan name, one of the config's scans (kernels, rates, steady; default map)"
    )
    p.add_argument("--input", nargs="*", default=[], help="input NetCDF files, in the stage's order")
    p.add_argument("--output", required=True, help="output NetCDF file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--chunk", type=_positive_int, default=None, help="kernel grid points per work unit (default: config mpi.chunk)"
    )
    p.add_argument(
        "--memory-budget", default=None, help="peak memory of this job, e.g. 2GB (default: scale.memory_budget)"
    )
    p.add_argument("--shard", default=None, help="steady only: compute shard i/n of the blocks into a shard file")
    args = p.parse_args(argv)
    configure_logging()
    config = load_config_or_exit(p, args.config)
    if args.chunk is not None:  # results do not depend on it, so the workflow keeps it out of --config
        config["mpi"]["chunk"] = args.chunk
    if args.stage in ("rates", "steady"):
        return _streamed_stage(p, args, config)
    if args.shard is not None:
        p.error(f"--shard {args.shard!r}: only the steady stage is sharded")

    expected = STAGE_INPUTS[args.stage]
    if len(args.input) != len(expected):
        p.error(
            f"--input: stage {args.stage} needs {len(expected)} file(s) "
            f"({', '.join(expected) or 'none'}), got {len(args.input)}"
        )
    scan = args.scan if args.scan is not None else "map"
    if args.stage in MAP_STAGES and scan != "map":
        p.error(f"--scan {scan!r}: stage {args.stage} always uses scan 'map'")
    if scan not in config["scans"]:
        p.error(f"--scan {scan!r}: not a scan of the config; allowed: {', '.join(sorted(config['scans']))}")
    if args.stage == "rates" and "T_M" not in config["scans"][scan]:
        p.error(f"--scan {scan!r}: scan has no T_M grid (kernel-only), so no rates stage")
    inputs = [read_stage_input(p, f, (stage,), scan) for f, stage in zip(args.input, expected)]

    t0 = time.perf_counter()
    log.info("stage %s, scan %s", args.stage, scan)
    try:
        if args.stage == "kernels":
            _check_kernel_memory(p, config, scan, args.memory_budget)
            ds = kernel_grid(config, scan, comm=_mpi_comm(), progress=not args.no_progress)
        elif args.stage == "analytic":
            ds = analytic_data(config, *inputs)
        else:
            ds = dynamics_data(config, *inputs)
    except KeyError as exc:  # a file with the right attributes but not the right content
        p.error(f"--input {' '.join(map(repr, args.input))}: missing {first_line(exc)}")
    except ValueError as exc:  # StageInputError: a config the stage cannot use (e.g. z1 off the map grid)
        p.error(f"stage {args.stage}, --scan {scan!r}: {first_line(exc)}")
    if ds is None:  # MPI rank != 0: rank 0 writes
        return 0
    try:
        write_dataset(ds, args.output, stage_config(config, args.stage, scan))
    except OSError as exc:
        p.error(f"--output {args.output!r}: {first_line(exc)}")
    log.info("stage %s, scan %s: done in %.2f s -> %s", args.stage, scan, time.perf_counter() - t0, args.output)
    return 0


def _check_kernel_memory(parser, config, scan, budget):
    """The kernel stage holds its grid in memory: refuse one larger than the budget."""
    from neqent.pipeline.budget import BudgetError, format_bytes, scale_settings

    try:
        nbytes = scale_settings(config, scan, budget)["budget"]
    except BudgetError as exc:
        parser.error(str(exc))
    axes, _ = scan_axes(config, scan)
    npoints = int(np.prod([len(v) for k, v in axes.items() if k != "theta"]))
    need = npoints * KERNEL_BYTES_PER_POINT
    if need > nbytes:
        parser.error(
            f"--scan {scan!r}: {npoints} kernel points need about {format_bytes(need)}, more than the memory budget "
            f"{format_bytes(nbytes)}; use fewer geometry/frequency points (temperatures cost nothing here)"
        )
    log.info(
        "kernels: %d geometry points, ~%s in memory (budget %s)", npoints, format_bytes(need), format_bytes(nbytes)
    )


#: memory of one kernel geometry point (tensors W, M, G12, the contractions, the gather)
KERNEL_BYTES_PER_POINT = 4096


def _stage_settings(parser, args, config, scan):
    from neqent.pipeline.budget import BudgetError, parse_shard, scale_settings, scan_storage

    try:
        settings = scale_settings(config, scan, args.memory_budget)
        settings["shard"] = parse_shard(args.shard) if args.shard is not None else None
    except BudgetError as exc:
        parser.error(str(exc))
    settings.update(scan_storage(config, scan))
    return settings


def _check_output_size(parser, config, scan, stage, path, settings):
    """Log the estimated output size; refuse (exit 2) when the output disk cannot hold it."""
    from neqent.pipeline.budget import BudgetError, check_disk, estimate_bytes, format_bytes

    nbytes = estimate_bytes(config, scan, stage)
    if settings.get("shard"):
        nbytes = nbytes // settings["shard"][1] + 65536
    try:
        free = check_disk(path, nbytes, f"--output {path!r}")
    except BudgetError as exc:
        parser.error(str(exc))
    log.info(
        "%s: scan %s, storage %s, estimated output %s (uncompressed; %s free)",
        stage,
        scan,
        settings[stage],
        format_bytes(nbytes),
        format_bytes(free),
    )


def _run_or_exit(parser, args, scan, comm, func, *a):
    """Run a streamed stage; a bad input or unusable config ends in one line, exit 2.

    Under MPI a failing rank aborts the whole job (the others would wait for it forever).
    """
    try:
        return func(*a)
    except (KeyError, ValueError) as exc:
        if isinstance(exc, KeyError):
            message = f"--input {' '.join(map(repr, args.input))}: missing {first_line(exc)}"
        else:  # e.g. a non-unique steady state somewhere on the grid
            message = f"stage {args.stage}, --scan {scan!r}: {first_line(exc)}"
        if comm is not None:
            sys.stderr.write(f"{parser.prog}: error: {message}\n")
            sys.stderr.flush()
            comm.Abort(2)
        parser.error(message)


def _streamed_stage(p, args, config):
    """The rates and steady stages: streamed in blocks, MPI-parallel, steady also sharded/gathered."""
    from neqent.pipeline import streaming
    from neqent.pipeline.budget import block_points, format_bytes

    scan = args.scan if args.scan is not None else "map"
    if scan not in config["scans"]:
        p.error(f"--scan {scan!r}: not a scan of the config; allowed: {', '.join(sorted(config['scans']))}")
    if "T_M" not in config["scans"][scan]:
        p.error(f"--scan {scan!r}: scan has no T_M grid (kernel-only), so no {args.stage} stage")
    if args.stage == "rates" and args.shard is not None:
        p.error(f"--shard {args.shard!r}: only the steady stage is sharded")
    settings = _stage_settings(p, args, config, scan)
    recorded = stage_config(config, args.stage, scan)  # what the output depends on (its `config` attribute)
    comm = _mpi_comm() if _launched_ranks() > 1 else None
    size = comm.Get_size() if comm is not None else 1
    if size == 1:
        comm = None
    t0 = time.perf_counter()

    def started():  # logged once the inputs passed their checks (a refusal stays one line)
        log.info(
            "stage %s, scan %s, memory budget %s, %d MPI rank(s)%s",
            args.stage,
            scan,
            format_bytes(settings["budget"]),
            size,
            f", shard {settings['shard'][0]}/{settings['shard'][1]}" if settings["shard"] else "",
        )

    progress = not args.no_progress
    if args.stage == "rates":
        if len(args.input) != 1:
            p.error(f"--input: stage rates needs 1 file(s) (kernels), got {len(args.input)}")
        kernels = read_stage_input(p, args.input[0], ("kernels",), scan)
        T_M = resolve_range(config["scans"][scan]["T_M"])
        _check_output_size(p, config, scan, "rates", args.output, settings)
        started()
        if settings["rates"] == "compact":
            if comm is None or comm.Get_rank() == 0:
                from neqent.pipeline.io import write_dataset

                write_dataset(streaming.compact_rates(kernels, T_M, config["T_W"]), args.output, recorded)
        else:
            _run_or_exit(
                p,
                args,
                scan,
                comm,
                streaming.stream_rates,
                kernels,
                T_M,
                config["T_W"],
                args.output,
                recorded,
                block_points("rates", settings["budget"]),
                comm,
                settings["complevel"],
                progress,
            )
        log.info("stage rates, scan %s: done in %.2f s -> %s", scan, time.perf_counter() - t0, args.output)
        return 0
    if not args.input:
        p.error("--input: stage steady needs 1 file (rates) or the steady shard files, got 0")
    first = open_stage_input(p, args.input[0], ("rates", "steady_shard"), scan)
    if first.attrs.get("stage") == "steady_shard":
        first.close()
        for f in args.input[1:]:
            open_stage_input(p, f, ("steady_shard",), scan).close()
        if args.shard is not None:
            p.error(f"--shard {args.shard!r}: the inputs are shard files already (this run gathers them)")
        try:
            streaming.check_shards(args.input)
        except (ValueError, KeyError) as exc:
            p.error(f"--input: {first_line(exc)}")
        _check_output_size(p, config, scan, "steady", args.output, settings)
        started()
        if comm is not None and comm.Get_rank() != 0:
            return 0  # gathering is serial: rank 0 writes the file
        try:
            streaming.gather_shards(args.input, args.output, recorded, settings["complevel"])
        except (ValueError, KeyError) as exc:
            p.error(f"--input: {first_line(exc)}")
        log.info("stage steady (gather), scan %s: done in %.2f s", scan, time.perf_counter() - t0)
        return 0
    if len(args.input) != 1:
        p.error(f"--input: stage steady needs 1 file (rates) or the steady shard files, got {len(args.input)}")
    compact = first.attrs.get("rates_storage") == "compact"
    needed = ("alpha_W", "alpha_M", "n_W", "n_M") if compact else ("gamma_plus", "gamma_minus")
    for name in needed + ("lambda12",):
        if name not in first.variables and f"{name}_re" not in first.variables:
            p.error(f"--input {args.input[0]!r}: missing {name!r} (a rates file from another version?)")
    _check_output_size(p, config, scan, "steady", args.output, settings)
    started()
    try:
        _run_or_exit(
            p,
            args,
            scan,
            comm,
            streaming.stream_steady,
            first,
            args.output,
            recorded,
            block_points("steady", settings["budget"]),
            settings["steady"],
            comm,
            settings["shard"],
            settings["complevel"],
            progress,
        )
    finally:
        first.close()
    log.info("stage steady, scan %s: done in %.2f s -> %s", scan, time.perf_counter() - t0, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
