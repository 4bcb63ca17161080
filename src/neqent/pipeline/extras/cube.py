"""The figure of a scan over two or more axes (a "cube", e.g. z2 x omega x T_M), drawn by streaming.

A scan with two or more swept axes (``scans.<name>`` with ``T_M_slices`` to
choose the slice temperatures) is drawn by :func:`cube_figure`, which reads the
steady concurrence block by block (:func:`stream_T_reductions`) and never loads
the cube; :func:`neqent.pipeline.plotting.scan_figure` hands such scans here.
"""

from __future__ import annotations

import numpy as np

from neqent.pipeline.extras.registry import Extra, Figure, register
from neqent.pipeline.figstyle import axis_label, edges, pyplot, save

__all__ = ["stream_T_reductions", "cube_figure", "EXTRA"]


def stream_T_reductions(ds, name="C", T_indices=(), block_points=None):
    """Max and argmax over T_M (the last dimension) of ``ds[name]``, and slices at ``T_indices``, in one pass.

    Reads the variable block by block (:func:`neqent.pipeline.blocks.plan_blocks`,
    whole T_M rows), so a lazily opened cube is never loaded.

    Parameters
    ----------
    ds : xarray.Dataset
        Dataset (possibly opened lazily) whose ``name`` has T_M as last dimension.
    name : str
        Variable to reduce.
    T_indices : sequence of int
        Indices along T_M of the slices to keep.
    block_points : int, optional
        Points per block read [1], bounding memory (default: the ``reduce`` share
        of the default budget).

    Returns
    -------
    max : ndarray, shape (...)
        Maximum over T_M (units of the variable), over the other dimensions.
    argmax : ndarray, shape (...), int
        Index along T_M of the maximum.
    slices : ndarray, shape (..., len(T_indices))
        The variable at ``T_indices``.
    """
    from neqent.pipeline.blockio import get_block
    from neqent.pipeline.blocks import plan_blocks
    from neqent.pipeline.budget import DEFAULT_BUDGET
    from neqent.pipeline.budget import block_points as budget_points

    var = ds[name]
    if var.dims[-1] != "T_M":
        raise ValueError(f"{name} must have T_M as its last dimension, got {var.dims}")
    shape = var.shape
    nT = shape[-1]
    points = max(int(block_points or budget_points("reduce", DEFAULT_BUDGET)), nT)
    cmax = np.empty(shape[:-1])
    imax = np.empty(shape[:-1], int)
    cut = np.empty(shape[:-1] + (len(T_indices),))
    for b in plan_blocks(shape, points):
        values = get_block(ds, name, b.slices)
        out = b.slices[:-1]
        cmax[out] = values.max(axis=-1)
        imax[out] = values.argmax(axis=-1)
        cut[out] = values[..., list(T_indices)]
    return cmax, imax, cut


def cube_figure(steady, base, dpi=150):
    """(z2, omega, T_M) cube: max over T_M as a map, the argmax T_M beside it, and maps at chosen T_M.

    Streaming (:func:`stream_T_reductions`): the cube is read once, block by
    block, never loaded. The two largest non-T_M axes are the map axes (other
    axes at their first value). The slice temperatures are the scan's
    ``T_M_slices`` (config recorded in the file; default: a quarter, half and
    the top of the T_M range), drawn at the nearest grid T_M.

    Parameters
    ----------
    steady : xarray.Dataset
        Output of the steady stage (``C`` [1], T_M [K] last), possibly opened lazily.
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files written (:func:`~neqent.pipeline.figstyle.save`).
    """
    import json

    plt = pyplot()
    C = steady["C"]
    axes = [d for d in C.dims if d != "T_M"]
    ya, xa = sorted(sorted(axes, key=lambda d: -C.sizes[d])[:2], key=axes.index)
    sub = steady.isel({d: 0 for d in axes if d not in (xa, ya)})
    T = steady["T_M"].values
    scan = steady.attrs.get("scan", "?")
    try:
        wanted = json.loads(steady.attrs["config"])["scans"][scan]["T_M_slices"]
    except (KeyError, ValueError, TypeError):
        wanted = [T[len(T) // 4], T[len(T) // 2], T[-1]]
    tidx = sorted({int(np.argmin(np.abs(T - t))) for t in wanted})[:4]
    sub = sub.transpose(ya, xa, "T_M", ...)
    cmax, imax, cut = stream_T_reductions(sub, "C", tidx)

    def coord(axis):
        if axis == "omega" and "omega_ratio" in steady.coords:
            return steady["omega_ratio"].values, r"$\omega/\omega_r$ (dimensionless)"
        label, scale, _ = axis_label(axis)
        return steady[axis].values / (scale or 1.0), label

    x, xlabel = coord(xa)
    y, ylabel = coord(ya)
    ncol = max(2, len(tidx))
    fig, grid = plt.subplots(2, ncol, figsize=(4.2 * ncol, 7.6), layout="constrained", squeeze=False)
    panels = [
        (grid[0, 0], cmax, "viridis", r"max over $T_M$ of $C(\infty)$", 0.0),
        (grid[0, 1], T[imax], "magma", r"argmax $T_M$ (K)", None),
    ]
    panels += [
        (grid[1, k], cut[..., k], "viridis", rf"$C(\infty)$ at $T_M={T[t]:.0f}$ K", 0.0) for k, t in enumerate(tidx)
    ]
    for ax, data, cmap, label, vmin in panels:
        mesh = ax.pcolormesh(edges(x), edges(y), data, cmap=cmap, vmin=vmin, shading="flat")
        fig.colorbar(mesh, ax=ax, label=label)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    for ax in list(grid[0, 2:]) + list(grid[1, len(tidx) :]):
        ax.set_axis_off()
    k = np.unravel_index(int(np.argmax(cmax)), cmax.shape)
    grid[0, 0].plot(x[k[1]], y[k[0]], "r*", ms=12)
    short = {"omega": "omega/omega_r" if "omega_ratio" in steady.coords else "omega (rad/s)"}
    short.update({a: f"{a} (um)" for a in (ya, xa) if a in ("z2", "r12", "delta") or a.startswith("thickness_")})
    short.update(theta="theta (deg)")
    fig.suptitle(
        f"steady concurrence over ({ya}, {xa}, T_M) (scan '{scan}'): max C = {cmax[k]:.3g} at "
        f"{short[ya]} = {y[k[0]]:.3g}, {short[xa]} = {x[k[1]]:.3g}, T_M = {T[imax[k]]:.0f} K"
    )
    return save(fig, base, dpi)


EXTRA = register(
    Extra(
        name="cube",
        description="figure of a scan over two or more axes, streamed (a scan, not a product)",
        figures={"cube": Figure(cube_figure, ("steady", "scan"), lazy=True)},
        product=False,
    )
)
