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
* :func:`effective_temperatures`, :func:`alpha_figure`, :func:`scan_figure`
  (a scan over two or more axes is drawn by the ``cube`` extra's figure);
* every figure a registered extra draws (:mod:`neqent.pipeline.extras`), e.g.
  ``optimize`` (one row per search), ``stacks``, ``chain``, ``cube``.

Command line: ``python -m neqent.pipeline.plotting <figure> --input F [F ...] --output BASE``.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from neqent.pipeline.command import StageParser, first_line, read_stage_input
from neqent.pipeline.extras import EXTRAS, Figure
from neqent.pipeline.extras.cube import cube_figure, stream_T_reductions
from neqent.pipeline.extras.optimize import optimize_figure
from neqent.pipeline.figstyle import UM, axis_label, dpi_type, edges, pyplot, save
from neqent.pipeline.logs import configure_logging, log_figure

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
    "main",
]


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
        The PNG and PDF files written (:func:`~neqent.pipeline.figstyle.save`).
    """
    plt = pyplot()
    a = analytic
    fig, ax = plt.subplots(figsize=(6.0, 4.8), layout="constrained")
    nS, nA = a["n_S"].values, a["n_A"].values
    mesh = ax.pcolormesh(
        edges(nS, True),
        edges(nA, True),
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
        The PNG and PDF files written (:func:`~neqent.pipeline.figstyle.save`).
    """
    plt = pyplot()
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
        The PNG and PDF files written (:func:`~neqent.pipeline.figstyle.save`).
    """
    plt = pyplot()
    C = _squeeze(steady["C"], ("z2", "T_M")).transpose("T_M", "z2")
    z2 = C["z2"].values / UM
    T = C["T_M"].values
    fig, ax = plt.subplots(figsize=(6.0, 4.8), layout="constrained")
    mesh = ax.pcolormesh(edges(z2), edges(T), C.values, cmap="viridis", vmin=0, shading="flat")
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
        The PNG and PDF files written (:func:`~neqent.pipeline.figstyle.save`).
    """
    plt = pyplot()
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
        The PNG and PDF files written (:func:`~neqent.pipeline.figstyle.save`).
    """
    plt = pyplot()
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
        The PNG and PDF files written (:func:`~neqent.pipeline.figstyle.save`).
    """
    plt = pyplot()
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


def scan_figure(steady, base, dpi=150):
    """Figure of an extra scan of the steady concurrence.

    One axis: steady C map over (axis, T_M) and max over T_M versus the axis;
    two or more axes: :func:`~neqent.pipeline.extras.cube.cube_figure` (streamed, the cube is never loaded).

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
        The PNG and PDF files written (:func:`~neqent.pipeline.figstyle.save`).
    """
    plt = pyplot()
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
    mesh = ax0.pcolormesh(edges(x, log), edges(T), C.values, cmap="viridis", vmin=0, shading="flat")
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


#: name -> :class:`~neqent.pipeline.extras.registry.Figure` (drawing function, accepted ``stage`` attributes of
#: the inputs; "scan": a ``neqent scan`` file): the paper figures and the core extras, then every
#: figure a registered extra draws (:data:`neqent.pipeline.extras.registry.EXTRAS`).
FIGURES = {
    "fig3a": Figure(fig3a, ("analytic",)),
    "fig3b": Figure(fig3b, ("analytic",)),
    "fig4a": Figure(fig4a, ("steady", "scan")),
    "fig4b": Figure(fig4b, ("dynamics",)),
    "effective_temperatures": Figure(effective_temperatures, ("analytic",)),
    "alpha": Figure(alpha_figure, ("kernels", "scan")),
    # may be a cube larger than memory: opened lazily, reduced by streaming
    "scan": Figure(scan_figure, ("steady", "scan"), lazy=True),
}
for _extra in EXTRAS.values():
    FIGURES.update(_extra.figures)


def main(argv=None):
    """Command line ``python -m neqent.pipeline.plotting <figure> --input F --output BASE [--dpi N]``.

    Each input must be the output of the stage the figure is drawn from
    (:data:`FIGURES`, checked on the file's ``stage`` attribute). Bad
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

    configure_logging()
    p = StageParser(prog="python -m neqent.pipeline.plotting", description=__doc__.splitlines()[0])
    p.add_argument("figure", choices=sorted(FIGURES))
    p.add_argument("--input", nargs="+", required=True, help="input NetCDF file(s)")
    p.add_argument("--output", required=True, help="output base path (.png and .pdf are written)")
    p.add_argument("--dpi", type=dpi_type, default=150, help="PNG resolution, dots per inch (> 0; default 150)")
    args = p.parse_args(argv)
    figure = FIGURES[args.figure]
    if not figure.many and len(args.input) != 1:
        p.error(f"--input: figure {args.figure} needs 1 input file(s), got {len(args.input)}")
    inputs = [read_stage_input(p, f, figure.inputs, lazy=figure.lazy) for f in args.input]
    start = time.perf_counter()
    try:
        paths = figure.draw(*inputs, args.output, dpi=args.dpi)
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
