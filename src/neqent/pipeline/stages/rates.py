"""Stage (b): rates Gamma(+w), Gamma(-w) from the kernels (workflow/rules/rates.smk).

``rate_grid(kernels, T_M, T_W)``: rates over ``(*axes, T_M, q, qp)`` by
broadcasting the kernels against n(omega, T_M) -- alpha is never recomputed per
temperature. The command line streams the same arithmetic in blocks
(:mod:`neqent.pipeline.streaming`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neqent.pipeline.grid import COORD_ATTRS, attrs, kernel_dims, resolve_range


def rate_grid(kernels, T_M, T_W):
    """Rates over ``(*axes, T_M, q, qp)`` from a kernel dataset (stage b).

    ``kernels``: dataset of :func:`~neqent.pipeline.stages.kernels.kernel_grid` (complex variables);
    ``T_M``: body temperatures (K): a number, a list or a grid spec
    ``{start, stop, num, spacing}`` (:func:`neqent.pipeline.grid.resolve_range`);
    ``T_W``: wall temperature (K).
    The alpha tensors are broadcast against n(omega, T) -- never recomputed.
    Returns ``gamma_plus``, ``gamma_minus`` (complex, units of Gamma0),
    ``lambda12`` (complex, units of Gamma0), ``n_W``, ``n_M``.
    """
    from neqent.dynamics.rates import rates
    from neqent.pipeline.streaming import occupations

    T_M = resolve_range(T_M.tolist() if isinstance(T_M, np.ndarray) else T_M)
    dims = kernel_dims(kernels.dims)
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
            "gamma_plus": (full + ("q", "qp"), gp, attrs("1", "downward rates Gamma^{qq'}(+omega) (units of Gamma0)")),
            "gamma_minus": (full + ("q", "qp"), gm, attrs("1", "upward rates Gamma^{qq'}(-omega) (units of Gamma0)")),
            "lambda12": (
                dims,
                kernels["lambda12"].transpose(*dims).values,
                attrs("1", "coherent coupling Lambda^{12} (units of Gamma0)"),
            ),
            "n_W": (n_W.dims, n_W.values, attrs("1", "Bose occupation n(omega, T_W)")),
            "n_M": (n_M.dims, n_M.values, attrs("1", "Bose occupation n(omega, T_M)")),
        },
        coords=coords,
        attrs={
            **{k: v for k, v in kernels.attrs.items() if k in ("scan", "material")},
            "title": f"neqent rates, scan {kernels.attrs.get('scan', '?')}",
            "stage": "rates",
        },
    )
