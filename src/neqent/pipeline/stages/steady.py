"""Stage (c): steady states and their concurrence (workflow/rules/steady.smk).

``steady_grid(rates)``: steady states (one batched ``master.steady_state`` call
over the whole grid) and their concurrence (closed form of the X state); the
command line streams the same arithmetic in blocks
(:mod:`neqent.pipeline.streaming`). Also the map helpers of the paper-figure
stages (:func:`map_maximum`, :func:`squeeze_map`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neqent.pipeline.grid import BASIS, COORD_ATTRS, attrs, kernel_dims


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

    dims = kernel_dims(rates_ds.dims) + ("T_M",)
    source = RateSource(rates_ds)
    (block,) = plan_blocks(source.shape, max(1, int(np.prod(source.shape))))
    out = steady_block(source, block, "rho")
    rho, C = out["rho"], out["C"]
    coords = {k: v for k, v in rates_ds.coords.items() if k not in ("q", "qp")}
    coords["i"] = ("i", BASIS, COORD_ATTRS["i"])
    coords["j"] = ("j", BASIS, COORD_ATTRS["j"])
    return xr.Dataset(
        {
            "rho": (dims + ("i", "j"), rho, attrs("1", "steady-state density matrix (decoupled basis)")),
            "C": (dims, C, attrs("1", "steady-state concurrence")),
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


def squeeze_map(ds):
    """Drop length-1 kernel axes of a 'map' dataset (fig3/fig4 need z2 x T_M only)."""
    from neqent.errors import StageInputError

    extra = [d for d in kernel_dims(ds.dims) if d != "z2"]
    for d in extra:
        if ds.sizes[d] != 1:
            raise StageInputError(
                f"scan 'map' sweeps {d!r} with {ds.sizes[d]} values; the paper figures "
                "need a single value (put other sweeps in an extra scan)"
            )
    return ds.isel({d: 0 for d in extra}) if extra else ds
