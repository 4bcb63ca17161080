"""fig3a/fig3b data: the analytic symmetric case along z2 = z1 (workflow/rules/analytic.smk).

``analytic_data(config, kernels, rates, steady)``: the symmetric-case analytic
C over (n_S, n_A) at the z2 = z1 ratio Gamma_A/Gamma_S, the (n_S, n_A, T_A,
T_S) trajectory along z2 = z1 versus T_M, and max C versus Gamma_A/Gamma_S.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neqent.pipeline.config import load_config
from neqent.pipeline.grid import COORD_ATTRS, attrs, resolve_range
from neqent.pipeline.stages.steady import squeeze_map


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
    kernels, rates_ds, steady = (squeeze_map(d) for d in (kernels, rates_ds, steady))
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
            attrs("1", "antisymmetric channel rate Gamma_A at z2 = z1 (units of Gamma0)"),
        ),
        "Gamma_S": (
            (),
            float(np.asarray(gS).ravel()[0]),
            attrs("1", "symmetric channel rate Gamma_S at z2 = z1 (units of Gamma0)"),
        ),
        "ratio_line": ((), ratio, attrs("1", "Gamma_A / Gamma_S at z2 = z1")),
        "n_A_line": (
            T_line,
            np.asarray(nA, float),
            attrs("1", "occupation n_A of the antisymmetric channel at z2 = z1"),
        ),
        "n_S_line": (T_line, np.asarray(nS, float), attrs("1", "occupation n_S of the symmetric channel at z2 = z1")),
        "T_A_line": (
            T_line,
            np.asarray(effective_temperature(omega, nA), float),
            attrs("K", "effective temperature T_A at z2 = z1"),
        ),
        "T_S_line": (
            T_line,
            np.asarray(effective_temperature(omega, nS), float),
            attrs("K", "effective temperature T_S at z2 = z1"),
        ),
        "C_analytic_line": (
            T_line,
            C_line_an,
            attrs("1", "steady concurrence at z2 = z1, analytic formula (docs/theory.md section 8)"),
        ),
        "C_master_line": (
            T_line,
            C_line_me,
            attrs("1", "steady concurrence at z2 = z1, master equation (fig4a line)"),
        ),
        "C_map": (("n_A", "n_S"), C_map, attrs("1", "analytic steady concurrence at Gamma_A/Gamma_S = ratio_line")),
        "C_max": (("ratio",), Cmax, attrs("1", "max over (n_A, n_S) of the analytic steady concurrence")),
        "n_A_opt": (("ratio",), nA_opt, attrs("1", "n_A at the maximum")),
        "n_S_opt": (("ratio",), nS_opt, attrs("1", "n_S at the maximum")),
        "C_max_line_ratio": ((), float(Cmax_here[0]), attrs("1", "max analytic concurrence at ratio_line")),
    }
    coords = {
        "T_M": ("T_M", T_M, COORD_ATTRS["T_M"]),
        "n_A": ("n_A", nA_ax, attrs("1", "occupation n_A of the antisymmetric channel")),
        "n_S": ("n_S", nS_ax, attrs("1", "occupation n_S of the symmetric channel")),
        "ratio": ("ratio", ratios, attrs("1", "Gamma_A / Gamma_S")),
        "T_M_max": ((), float(T_M[imax]), attrs("K", "T_M of the maximum concurrence along z2 = z1")),
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
