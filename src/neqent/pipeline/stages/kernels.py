"""Stage (a): the temperature-independent kernels of a scan, under MPI (workflow/rules/kernels.smk).

``kernel_grid(config, scan, comm)``: kernels alpha_W, alpha_M (units of Gamma0,
dims ``(*axes, q, qp)``) and Lambda^{12} (units of Gamma0, ``(*axes)``) over the
scan's geometry/frequency axes, in the fixed order
:data:`neqent.pipeline.grid.AXIS_ORDER`. The flattened grid is cut into
fixed-size chunks (``mpi.chunk`` points, independent of the rank count); MPI
rank r computes chunks r, r + size, ...; rank 0 gathers and assembles in grid
order. Every point is computed by the same call on the same chunk whatever the
number of ranks, so results are bit-identical for any rank count.
"""

from __future__ import annotations

import sys

import numpy as np
import xarray as xr

from neqent.pipeline.body import has_stack, stack_label
from neqent.pipeline.config import load_config
from neqent.pipeline.grid import COORD_ATTRS, attrs, coord_attrs, scan_axes, scan_material


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


def dipoles(theta):
    """Unit dipoles (N, 3) in the x-z plane at polar angle ``theta`` (rad)."""
    th = np.asarray(theta, float)
    return np.stack([np.sin(th), np.zeros_like(th), np.cos(th)], axis=-1).astype(complex)


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
    material = scan_material(config)
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
    d = dipoles(thetas).reshape((-1,) + (1,) * len(geo_shape) + (3,))
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
                attrs("1", "wall kernel alpha_W^{qq'} (dipole-contracted, units of Gamma0)"),
            ),
            "alpha_M": (
                dims + ("q", "qp"),
                alpha_M,
                attrs("1", "body kernel alpha_M^{qq'} (dipole-contracted, units of Gamma0)"),
            ),
            "lambda12": (dims, lambda12, attrs("1", "coherent coupling Lambda^{12} (units of Gamma0)")),
            # The full Cartesian tensors (lab axes), so other dipole
            # directions can be contracted later without re-integrating.
            "alpha_W_tensor": (
                geo_dims + ("q", "qp", "ci", "cj"),
                tensors["W"],
                attrs("1", "wall kernel tensor [alpha_W^{qq'}]_ij (units of Gamma0)"),
            ),
            "alpha_M_tensor": (
                geo_dims + ("q", "qp", "ci", "cj"),
                tensors["M"],
                attrs("1", "body kernel tensor [alpha_M^{qq'}]_ij (units of Gamma0)"),
            ),
            "G12_tensor": (
                geo_dims + ("ci", "cj"),
                tensors["G12"],
                attrs(
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
        ds["eps"] = (eps_dims, np.asarray(eps, complex), attrs("1", "relative permittivity of the slab"))
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
        "eps_t": (dims, et, attrs("1", "in-plane relative permittivity of each stack layer")),
        "eps_z": (dims, ez, attrs("1", "axial (z) relative permittivity of each stack layer")),
        "eps_substrate_t": (dims[1:], st, attrs("1", "in-plane relative permittivity below the stack")),
        "eps_substrate_z": (dims[1:], sz, attrs("1", "axial relative permittivity below the stack")),
        "layer": ("layer", np.arange(len(stack.layers)), attrs("1", "stack layer index (0 = top layer)")),
        "layer_material": ("layer", [m.name for m, _ in stack.layers], attrs("1", "material of each stack layer")),
    }
