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

from neqent.electrodynamics.materials import material_sources
from neqent.pipeline.body import body_axes, body_name, config_body, optics_variables, with_axis_values
from neqent.pipeline.config import load_config
from neqent.pipeline.grid import COORD_ATTRS, attrs, coord_attrs, scan_axes


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


def positions(points, index):
    """Absolute qubit positions (N, 3) [m] of flat grid points: qubit 1 at (0, 0, z1), qubit 2 at (r12, 0, z2)."""
    zero = np.zeros(len(index))
    r1 = np.stack([zero, zero, points["z1"][index]], axis=-1)
    r2 = np.stack([points["r12"][index], zero, points["z2"][index]], axis=-1)
    return r1, r2


def body_groups(body, points, start, stop):
    """The flat points [start, stop) grouped by frequency and body: ``[(omega, body, indices)]``.

    Each group is one :meth:`~neqent.electrodynamics.body.Body.pair_block`
    call; the body of a group has its scan-axis parameters (a slab's ``delta``,
    a stack's ``thickness_<i>``) set to the group's values. Groups keep the
    order of their first point.
    """
    names = ["omega", *body_axes(body)]
    keys = np.stack([points[n][start:stop] for n in names], axis=-1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    groups = []
    for g in np.argsort(first):
        index = start + np.flatnonzero(inverse == g)
        values = keys[first[g]]
        groups.append((float(values[0]), with_axis_values(body, dict(zip(names[1:], values[1:]))), index))
    return groups


def work_order(body, points):
    """The order in which the flat grid points are computed: by frequency, then by body.

    Points of one frequency and body share one ``pair_block`` call, so sorting
    them together makes the chunks' calls few (the grid's C order varies omega
    fastest). Every point's tensors are computed on their own (docs/theory.md
    §4e), whatever the other points of its call, so the order changes no bit.
    """
    keys = [points[name] for name in reversed(("omega", *body_axes(body)))]
    return np.lexsort(keys)


def compute_chunk(body, points, start, stop):
    """Kernel tensors of flat geometry points [start, stop): W, M (N, 2, 2, 3, 3) and G12 (N, 3, 3).

    One ``body.pair_block`` call per frequency and body in the chunk (all four
    pairs of a point on one quadrature, docs/theory.md §4e); G12 = G0 + GR
    between the qubits (docs/theory.md §4c), G0 in one call for the chunk.
    """
    from neqent.electrodynamics.green import vacuum_green_batch

    n = stop - start
    W = np.empty((n, 2, 2, 3, 3), complex)
    M = np.empty_like(W)
    GR12 = np.empty((n, 3, 3), complex)
    for omega, point_body, index in body_groups(body, points, start, stop):
        w, m, gr = point_body.pair_block(omega, *positions(points, index))
        out = index - start
        W[out], M[out], GR12[out] = w, m, gr[:, 0, 1]
    r1, r2 = positions(points, np.arange(start, stop))
    G12 = vacuum_green_batch(points["omega"][start:stop], r1 - r2) + GR12
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
    body = config_body(config)
    axes, fixed = scan_axes(config, scan, body)
    geo_axes = {name: v for name, v in axes.items() if name != "theta"}
    geo_shape = tuple(len(v) for v in geo_axes.values())
    npoints = int(np.prod(geo_shape)) if geo_shape else 1

    # Flattened per-point geometry (C order over AXIS_ORDER without theta).
    mesh = np.meshgrid(*geo_axes.values(), indexing="ij") if geo_axes else []
    points = {name: m.ravel() for name, m in zip(geo_axes, mesh)}
    for name, value in fixed.items():
        points[name] = np.full(npoints, value)
    order = work_order(body, points)
    points = {name: values[order] for name, values in points.items()}

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
    results = {k: compute_chunk(body, points, *chunks[k]) for k in iterator}

    if comm is not None and size > 1:
        gathered = comm.gather(results, root=0)
        if rank != 0:
            return None
        results = {}
        for part in gathered:
            results.update(part)
    # Assemble in grid order: chunk k holds the points order[chunks[k]].
    tensors = {}
    for key in ("W", "M", "G12"):
        flat = np.concatenate([results[k][key] for k in range(len(chunks))])
        grid = np.empty_like(flat)
        grid[order] = flat
        tensors[key] = grid.reshape(geo_shape + flat.shape[1:])

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
    coords = _coords(axes, fixed, body.top_material)
    omega = axes["omega"] if "omega" in axes else fixed["omega"]
    optics = optics_variables(body, omega, ("omega",) if "omega" in axes else ())
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
            **optics,
        },
        coords=coords,
        attrs={
            "title": f"neqent kernels, scan {scan}",
            "scan": scan,
            "material": body_name(body),
            "material_source": material_sources(body.materials),
            "stage": "kernels",
            "mpi_ranks": size,
        },
    )
    return ds
