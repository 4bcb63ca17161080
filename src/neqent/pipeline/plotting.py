"""Figures of the pipeline (matplotlib, Agg): one function per figure, PNG + PDF.

Every function takes the dataset(s) written by :mod:`neqent.pipeline.stages` (as
returned by :func:`neqent.pipeline.io.read_dataset`) and an output *base* path
without extension; it writes ``<base>.png`` (``dpi``, default 150) and
``<base>.pdf`` and returns the two paths. Figures (docs/theory.md §11):

* :func:`fig3a` -- analytic C(inf) over (n_S, n_A) at the z2 = z1 ratio
  Gamma_A/Gamma_S, with the z2 = z1 trajectory (T_M varying) and its maximum.
* :func:`fig3b` -- max C(inf) versus Gamma_A/Gamma_S (log axis).
* :func:`fig4a` -- steady C over (z2, T_M), with the z2 = z1 line.
* :func:`fig4b` -- C(t) versus Gamma0 t (log axis) at the fig4a maximum.
* extras: :func:`effective_temperatures`, :func:`alpha_figure`,
  :func:`scan_figure`, :func:`optimize_figure` (one row per search).

Command line: ``python -m neqent.pipeline.plotting <figure> --input F [F ...] --output BASE``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

__all__ = [
    "fig3a",
    "fig3b",
    "fig4a",
    "fig4b",
    "effective_temperatures",
    "alpha_figure",
    "scan_figure",
    "optimize_figure",
    "cube_figure",
    "stream_T_reductions",
    "save",
    "FIGURES",
    "FIGURE_INPUTS",
    "main",
]

UM = 1e-6  # lengths are plotted in micrometres


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, base, dpi=150):
    """Write ``fig`` to ``<base>.png`` and ``<base>.pdf`` atomically and close it.

    Each file is saved to a temporary name in the target directory and moved
    into place, so an interrupted run never leaves a truncated figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF paths.
    """
    plt = _plt()
    base = Path(base)
    if base.suffix in (".png", ".pdf"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "pdf"):
        path = base.parent / f"{base.name}.{ext}"
        tmp = base.parent / f".{base.name}.{os.getpid()}.tmp.{ext}"
        try:
            fig.savefig(tmp, dpi=dpi, format=ext, bbox_inches="tight")
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        paths.append(path)
    plt.close(fig)
    return paths


def _edges(x, log=False):
    """Cell edges for pcolormesh from cell centres (linear or log midpoints)."""
    x = np.asarray(x, float)
    if x.size == 1:
        return np.array([x[0] * 0.9, x[0] * 1.1]) if log else np.array([x[0] - 0.5, x[0] + 0.5])
    y = np.log(x) if log else x
    mid = 0.5 * (y[1:] + y[:-1])
    e = np.concatenate([[y[0] - (mid[0] - y[0])], mid, [y[-1] + (y[-1] - mid[-1])]])
    return np.exp(e) if log else e


def _squeeze(da, keep):
    """Select the first element of every dim of ``da`` not in ``keep``."""
    return da.isel({d: 0 for d in da.dims if d not in keep})


def fig3a(analytic, base, dpi=150):
    """Analytic C(inf) map over (n_S, n_A) at the z2 = z1 Gamma_A/Gamma_S; trajectory and maximum.

    Parameters
    ----------
    analytic : xarray.Dataset
        Output of the analytic stage (``C_map`` over ``n_S``, ``n_A`` [1]).
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files written (:func:`save`).
    """
    plt = _plt()
    a = analytic
    fig, ax = plt.subplots(figsize=(6.0, 4.8), layout="constrained")
    nS, nA = a["n_S"].values, a["n_A"].values
    mesh = ax.pcolormesh(
        _edges(nS, True),
        _edges(nA, True),
        a["C_map"].transpose("n_A", "n_S").values,
        cmap="viridis",
        vmin=0,
        shading="flat",
    )
    fig.colorbar(mesh, ax=ax, label=r"steady concurrence $C(\infty)$")
    traj_s, traj_a = a["n_S_line"].values, a["n_A_line"].values
    ok = (traj_s > 0) & (traj_a > 0)
    ax.plot(traj_s[ok], traj_a[ok], color="w", lw=1.5, label=r"$z_2=z_1$, $T_M$ varying")
    k = int(np.nanargmax(a["C_master_line"].values))
    ax.plot(
        traj_s[k],
        traj_a[k],
        "r*",
        ms=12,
        label=rf"max along $z_2=z_1$: $C={a['C_master_line'].values[k]:.3g}$ at $T_M={a['T_M'].values[k]:.0f}$ K",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(nS.min(), nS.max())
    ax.set_ylim(nA.min(), nA.max())
    ax.set_xlabel(r"$n_S$ (symmetric-channel occupation, dimensionless)")
    ax.set_ylabel(r"$n_A$ (antisymmetric-channel occupation, dimensionless)")
    ax.set_title(rf"fig3a: analytic $C(\infty)$ at $\Gamma_A/\Gamma_S = {float(a['ratio_line']):.3g}$ ($z_2=z_1$)")
    ax.legend(loc="lower right", fontsize=7, framealpha=0.8)
    return save(fig, base, dpi)


def fig3b(analytic, base, dpi=150):
    """Maximum over (n_A, n_S) of the analytic C(inf) versus Gamma_A/Gamma_S (log axis).

    Parameters
    ----------
    analytic : xarray.Dataset
        Output of the analytic stage (``C_max`` [1] versus ``ratio`` [1]).
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files written (:func:`save`).
    """
    plt = _plt()
    a = analytic
    fig, ax = plt.subplots(figsize=(6.0, 4.2), layout="constrained")
    ax.semilogx(a["ratio"].values, a["C_max"].values, "k-", lw=1.5, label=r"max$_{n_A,n_S}\,C(\infty)$")
    ax.axhline(1 / 3, color="0.5", ls="--", lw=1, label="1/3 (limit)")
    r = float(a["ratio_line"])
    ax.plot(
        [r], [float(a["C_max_line_ratio"])], "r*", ms=12, label=rf"$z_2=z_1$ geometry ($\Gamma_A/\Gamma_S={r:.3g}$)"
    )
    ax.set_xlabel(r"$\Gamma_A/\Gamma_S$ (dimensionless)")
    ax.set_ylabel(r"max steady concurrence (dimensionless)")
    ax.set_ylim(0, 0.36)
    ax.set_title("fig3b: maximal analytic steady concurrence")
    ax.legend(fontsize=8)
    return save(fig, base, dpi)


def fig4a(steady, base, dpi=150):
    """Steady C over (z2, T_M) from the master equation with the z2 = z1 line and the maximum.

    Parameters
    ----------
    steady : xarray.Dataset
        Output of the steady stage (``C`` [1] over ``z2`` [m] and ``T_M`` [K]).
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files written (:func:`save`).
    """
    plt = _plt()
    C = _squeeze(steady["C"], ("z2", "T_M")).transpose("T_M", "z2")
    z2 = C["z2"].values / UM
    T = C["T_M"].values
    fig, ax = plt.subplots(figsize=(6.0, 4.8), layout="constrained")
    mesh = ax.pcolormesh(_edges(z2), _edges(T), C.values, cmap="viridis", vmin=0, shading="flat")
    fig.colorbar(mesh, ax=ax, label=r"steady concurrence $C(\infty)$")
    z1 = float(steady["z1"]) / UM
    ax.axvline(z1, color="w", ls="--", lw=1.2, label=r"$z_2=z_1$")
    k = np.unravel_index(int(np.nanargmax(C.values)), C.shape)
    ax.plot(z2[k[1]], T[k[0]], "r*", ms=12, label=rf"max $C={C.values[k]:.3g}$")
    ax.set_xlabel(r"$z_2$ ($\mu$m)")
    ax.set_ylabel(r"$T_M$ (K)")
    ax.set_title(rf"fig4a: steady concurrence, $z_1={z1:g}\,\mu$m, $T_W={float(steady['T_W']):g}$ K")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    return save(fig, base, dpi)


def fig4b(dynamics, base, dpi=150):
    """C(t) versus Gamma0 t (log axis) for each initial state, with the steady value.

    Parameters
    ----------
    dynamics : xarray.Dataset
        Output of the dynamics stage (``C`` [1] over ``t`` [1/Gamma0] and ``state``).
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files written (:func:`save`).
    """
    plt = _plt()
    d = dynamics
    fig, ax = plt.subplots(figsize=(6.0, 4.2), layout="constrained")
    labels = {
        "A": r"$|A\rangle$",
        "S": r"$|S\rangle$",
        "G": r"$|G\rangle$",
        "E": r"$|E\rangle$",
        "thermal": rf"thermal at $T_W={float(d['T_W']):g}$ K",
    }
    for s in d["state"].values:
        ax.semilogx(d["t"].values, d["C"].sel(state=s).values, lw=1.5, label=labels.get(str(s), str(s)))
    ax.axhline(float(d["C_steady"]), color="k", ls=":", lw=1, label=r"steady $C(\infty)$")
    ax.set_xlabel(r"$\Gamma_0 t$ (dimensionless)")
    ax.set_ylabel("concurrence C (dimensionless)")
    ax.set_ylim(bottom=0)
    ax.set_title(rf"fig4b: $z_2={float(d['z2']) / UM:.3g}\,\mu$m, $T_M={float(d['T_M']):.0f}$ K")
    ax.legend(fontsize=8)
    return save(fig, base, dpi)


def effective_temperatures(analytic, base, dpi=150):
    """Effective channel temperatures T_A, T_S along z2 = z1 versus T_M (extra).

    Parameters
    ----------
    analytic : xarray.Dataset
        Output of the analytic stage (``T_A_line``, ``T_S_line`` [K] over ``T_M`` [K]).
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files written (:func:`save`).
    """
    plt = _plt()
    a = analytic
    T = a["T_M"].values
    fig, ax = plt.subplots(figsize=(6.0, 4.2), layout="constrained")
    ax.plot(T, a["T_A_line"].values, label=r"$T_A$ (antisymmetric channel)")
    ax.plot(T, a["T_S_line"].values, label=r"$T_S$ (symmetric channel)")
    ax.plot(T, T, color="0.6", ls="--", lw=1, label=r"$T_M$")
    ax.axhline(float(a["T_W"]), color="0.6", ls=":", lw=1, label=r"$T_W$")
    ax.set_xlabel(r"$T_M$ (K)")
    ax.set_ylabel("effective temperature (K)")
    ax.set_title(r"effective temperatures along $z_2=z_1$")
    ax.legend(fontsize=8)
    return save(fig, base, dpi)


def alpha_figure(kernels, base, dpi=150):
    """alpha_W^{22}, alpha_M^{22} versus z2 and versus omega (extra; material resonance visible).

    Parameters
    ----------
    kernels : xarray.Dataset
        Output of the kernels stage (``alpha_W``, ``alpha_M`` [Gamma0] over ``z2`` [m]
        and ``omega`` [rad/s]).
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files written (:func:`save`).
    """
    plt = _plt()
    k = kernels
    aW = k["alpha_W"].sel(q=2, qp=2).real
    aM = k["alpha_M"].sel(q=2, qp=2).real
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.2), layout="constrained")
    if "z2" in aW.dims:
        ax = axes[0]
        wsel = {"omega": int(np.argmin(np.abs(k["omega_ratio"].values - 0.3)))} if "omega" in aW.dims else {}
        lab = rf" at $\omega/\omega_r = {float(k['omega_ratio'].isel(wsel)):.3g}$" if "omega_ratio" in k.coords else ""
        ax.loglog(aW["z2"].values / UM, np.abs(_squeeze(aW.isel(wsel), ("z2",)).values), label=r"$|\alpha_W^{22}|$")
        ax.loglog(aM["z2"].values / UM, np.abs(_squeeze(aM.isel(wsel), ("z2",)).values), label=r"$|\alpha_M^{22}|$")
        ax.set_xlabel(r"$z_2$ ($\mu$m)")
        ax.set_ylabel(r"$\alpha$ (units of $\Gamma_0$)")
        ax.set_title("kernels versus height" + lab, fontsize=9)
        ax.legend(fontsize=8)
    else:
        axes[0].set_axis_off()
    if "omega" in aW.dims:
        ax = axes[1]
        x = k["omega_ratio"].values if "omega_ratio" in k.coords else k["omega"].values
        xlabel = r"$\omega/\omega_r$ (dimensionless)" if "omega_ratio" in k.coords else r"$\omega$ (rad/s)"
        zsel = {"z2": int(np.argmin(np.abs(k["z2"].values - float(k["z1"]))))} if "z2" in aW.dims else {}
        for da, lab in ((aW, r"$\alpha_W^{22}$"), (aM, r"$\alpha_M^{22}$")):
            ax.semilogy(x, np.abs(_squeeze(da.isel(zsel), ("omega",)).values), label="|" + lab + "|")
        z = float(k["z2"].isel(zsel)) if "z2" in k.coords else float("nan")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(r"$\alpha$ (units of $\Gamma_0$)")
        ax.set_title(rf"kernels versus frequency at $z_2={z / UM:.3g}\,\mu$m", fontsize=9)
        ax.legend(fontsize=8)
    else:
        axes[1].set_axis_off()
    return save(fig, base, dpi)


_AXIS_LABEL = {
    "delta": (r"slab thickness $\delta$ ($\mu$m)", UM, True),
    "r12": (r"lateral separation $r_{12}$ ($\mu$m)", UM, False),
    "theta": (r"dipole polar angle $\theta$ (deg)", np.pi / 180, False),
    "z2": (r"$z_2$ ($\mu$m)", UM, False),
    "omega": (r"$\omega/\omega_r$ (dimensionless)", None, False),
}


def axis_label(axis):
    """Axis label, scale and scale type of a scan axis; a stack layer's thickness like delta's.

    Parameters
    ----------
    axis : str
        Scan axis (``delta``, ``r12``, ``theta``, ``z2``, ``omega`` or ``thickness_<i>``).

    Returns
    -------
    label : str
        Axis label with its unit.
    scale : float or None
        SI value of one plotted unit (e.g. 1e-6 for [um] from [m], pi/180 for [deg]
        from [rad]); None for omega (plotted as omega_ratio [1]).
    log : bool
        True for a logarithmic axis.
    """
    from neqent.pipeline.body import thickness_index

    i = thickness_index(axis)
    if i is not None:
        return (rf"thickness of stack layer {i} ($\mu$m)", UM, True)
    return _AXIS_LABEL[axis]


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
        The PNG and PDF files written (:func:`save`).
    """
    import json

    plt = _plt()
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
        mesh = ax.pcolormesh(_edges(x), _edges(y), data, cmap=cmap, vmin=vmin, shading="flat")
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


def scan_figure(steady, base, dpi=150):
    """Figure of an extra scan of the steady concurrence.

    One axis: steady C map over (axis, T_M) and max over T_M versus the axis;
    two or more axes: :func:`cube_figure` (streamed, the cube is never loaded).

    Parameters
    ----------
    steady : xarray.Dataset
        Output of the steady stage (``C`` [1] over the scanned axes and ``T_M`` [K]).
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files written (:func:`save`).
    """
    plt = _plt()
    C = steady["C"]
    axes = [d for d in C.dims if d != "T_M"]
    if sum(C.sizes[d] > 1 for d in axes) >= 2:
        return cube_figure(steady, base, dpi)
    axis = max(axes, key=lambda d: C.sizes[d]) if axes else None
    C = _squeeze(C, (axis, "T_M")).transpose("T_M", axis)
    label, scale, log = axis_label(axis)
    if axis == "omega":
        x = steady["omega_ratio"].values if "omega_ratio" in steady.coords else C["omega"].values
    else:
        x = C[axis].values / scale
    T = C["T_M"].values
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10.0, 4.2), layout="constrained")
    mesh = ax0.pcolormesh(_edges(x, log), _edges(T), C.values, cmap="viridis", vmin=0, shading="flat")
    fig.colorbar(mesh, ax=ax0, label=r"steady concurrence $C(\infty)$")
    ax0.set_xlabel(label)
    ax0.set_ylabel(r"$T_M$ (K)")
    Cmax = C.max("T_M").values
    ax1.plot(x, Cmax, "o-", ms=3)
    ax1.set_xlabel(label)
    ax1.set_ylabel(r"max over $T_M$ of $C(\infty)$ (dimensionless)")
    if log:
        ax0.set_xscale("log")
        ax1.set_xscale("log")
    scan = steady.attrs.get("scan", axis)
    fig.suptitle(f"steady concurrence versus {axis} (scan '{scan}')")
    return save(fig, base, dpi)


_OPT_UNITS = {"m": (1e-6, "um"), "rad s-1": (1.0, "rad/s"), "K": (1.0, "K"), "rad": (1.0, "rad"), "1": (1.0, "")}


def optimize_figure(*args, dpi=150):
    """One row per search record of :mod:`neqent.pipeline.optimize`.

    Called as ``optimize_figure(record, ..., base, dpi=150)``. Left: convergence
    history (best C = 2 max(0, witness) versus evaluations). Then one panel per
    varied parameter: C along the 1-D cut through the optimum, the optimum
    marked, the 1 % and 10 % ranges shaded.

    Parameters
    ----------
    *args : xarray.Dataset, ..., str or pathlib.Path
        The search records (concurrences [1], parameters in SI units), then the
        output path without extension.
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files written (:func:`save`).
    """
    plt = _plt()
    *records, base = args
    ncols = 1 + max(len([v for v in r.data_vars if v.startswith("C_cut_")]) for r in records)
    fig, axs = plt.subplots(
        len(records), ncols, figsize=(3.4 * ncols, 3.0 * len(records)), layout="constrained", squeeze=False
    )
    for row, rec in zip(axs, records):
        n = rec["history_evaluations"].values
        row[0].plot(n, 2 * np.maximum(0.0, rec["history_witness"].values), "-")
        row[0].set_xlabel("evaluations")
        row[0].set_ylabel(r"best $C(\infty)$ so far")
        row[0].set_title(f"{rec.attrs.get('search', '?')}: C = {float(rec['C']):.4g}", fontsize=9)
        names = [v[len("C_cut_") :] for v in rec.data_vars if v.startswith("C_cut_")]
        for ax, p in zip(row[1:], names):
            scale, unit = _OPT_UNITS.get(rec[p].attrs.get("units", "1"), (1.0, rec[p].attrs.get("units", "")))
            x = rec[f"cut_{p}"].values / scale
            rng = rec[f"{p}_range"].values / scale
            for k, alpha in ((1, 0.15), (0, 0.3)):  # 10 % range under the 1 % one
                if np.all(np.isfinite(rng[k])):
                    ax.axvspan(*rng[k], color="C1", alpha=alpha, lw=0)
            ax.plot(x, rec[f"C_cut_{p}"].values, "-")
            ax.axvline(float(rec[p]) / scale, color="k", lw=0.8, ls="--")
            bounds = rec[f"{p}_bounds"].values
            if bounds[0] > 0 and bounds[1] >= 10 * bounds[0]:
                from matplotlib.ticker import NullFormatter

                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on short log ranges
            at = " (at bound)" if p in rec.attrs.get("at_bounds", "").split(",") else ""
            ax.set_xlabel(f"{p} ({unit}){at}" if unit else f"{p}{at}")
            ax.set_ylabel(r"$C(\infty)$")
        for ax in row[1 + len(names) :]:
            ax.set_visible(False)
    fig.suptitle("steady-concurrence searches: convergence and 1-D cuts (shaded: within 1 % / 10 % of the best)")
    return save(fig, base, dpi)


#: name -> (function, number of input datasets; None: one or more)
FIGURES = {
    "fig3a": (fig3a, 1),
    "fig3b": (fig3b, 1),
    "fig4a": (fig4a, 1),
    "fig4b": (fig4b, 1),
    "effective_temperatures": (effective_temperatures, 1),
    "alpha": (alpha_figure, 1),
    "scan": (scan_figure, 1),
    "optimize": (optimize_figure, None),
}


#: name -> accepted ``stage`` attributes of each input dataset ("scan": a ``neqent scan`` file).
FIGURE_INPUTS = {
    "fig3a": (("analytic",),),
    "fig3b": (("analytic",),),
    "fig4a": (("steady", "scan"),),
    "fig4b": (("dynamics",),),
    "effective_temperatures": (("analytic",),),
    "alpha": (("kernels", "scan"),),
    "scan": (("steady", "scan"),),
    "optimize": (("optimize",),),  # every input
}


def _dpi(text):
    """``--dpi`` value: a positive integer (dots per inch)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer (dots per inch), got {text!r}")
    return value


def main(argv=None):
    """Command line ``python -m neqent.pipeline.plotting <figure> --input F --output BASE [--dpi N]``.

    Each input must be the output of the stage the figure is drawn from
    (:data:`FIGURE_INPUTS`, checked on the file's ``stage`` attribute). Bad
    input exits with status 2 and one line on stderr naming the option and
    the value; no figure file is written.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0.
    """
    from neqent.pipeline.command import StageParser, first_line, open_stage_input, read_stage_input
    from neqent.pipeline.logs import configure_logging, log_figure

    configure_logging()
    p = StageParser(prog="python -m neqent.pipeline.plotting", description=__doc__.splitlines()[0])
    p.add_argument("figure", choices=sorted(FIGURES))
    p.add_argument("--input", nargs="+", required=True, help="input NetCDF file(s)")
    p.add_argument("--output", required=True, help="output base path (.png and .pdf are written)")
    p.add_argument("--dpi", type=_dpi, default=150, help="PNG resolution, dots per inch (> 0; default 150)")
    args = p.parse_args(argv)
    func, nin = FIGURES[args.figure]
    if nin is not None and len(args.input) != nin:
        p.error(f"--input: figure {args.figure} needs {nin} input file(s), got {len(args.input)}")
    if args.figure == "scan":  # may be a cube larger than memory: opened lazily, reduced by streaming
        inputs = [open_stage_input(p, args.input[0], FIGURE_INPUTS["scan"][0])]
    else:
        kinds = FIGURE_INPUTS[args.figure] * (len(args.input) if nin is None else 1)
        inputs = [read_stage_input(p, f, stages) for f, stages in zip(args.input, kinds)]
    start = time.perf_counter()
    try:
        paths = func(*inputs, args.output, dpi=args.dpi)
    except OSError as exc:
        p.error(f"--output {args.output!r}: {first_line(exc)}")
    except KeyError as exc:  # right stage, but not the content this figure needs
        p.error(f"--input {' '.join(map(repr, args.input))}: cannot draw {args.figure}, missing {first_line(exc)}")
    except ValueError as exc:
        p.error(f"--input {' '.join(map(repr, args.input))}: cannot draw {args.figure}: {first_line(exc)}")
    log_figure("neqent.pipeline.plotting", args.figure, args.input, args.dpi, paths, start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
