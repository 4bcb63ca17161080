"""Figure of the ``chain`` extra: pairwise steady concurrence versus spacing (docs/theory.md §10).

    python -m neqent.pipeline.plot_chain --input results/chain/chain.nc --output results/figures/chain.png

At the body temperature where the chain's largest pairwise concurrence is
highest, one curve per neighbour order |q - q'| (nearest, next-nearest,
further): the largest concurrence among the pairs of that order, versus the
spacing. PNG and PDF, written atomically (:func:`neqent.pipeline.plotting.save`).
"""

from __future__ import annotations

import sys
import time

import numpy as np

__all__ = ["chain_figure", "best_temperature", "main"]

_ORDER_NAMES = {1: "nearest", 2: "next-nearest"}


def best_temperature(ds):
    """Index of the T_M with the highest pairwise concurrence anywhere on the spacing grid.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of the chain stage (``C`` [1] over spacing, T_M, pair).

    Returns
    -------
    int
        Index along ``T_M``.
    """
    return int(np.argmax(ds["C"].max(dim=("spacing", "pair")).values))


def chain_figure(ds, base, dpi=150):
    """Draw the chain figure from the chain stage's dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of the chain stage (``C`` [1] over ``spacing`` [m], ``T_M`` [K], pair).
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from neqent.pipeline.plotting import UM, _plt, save

    plt = _plt()
    it = best_temperature(ds)
    c = ds["C"].isel(T_M=it)
    order = ds["neighbour_order"].values
    s = ds["spacing"].values / UM
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    for d in sorted(set(order.tolist())):
        cols = np.flatnonzero(order == d)
        label = _ORDER_NAMES.get(d, f"|q - q'| = {d}")
        ax.plot(
            s,
            c.values[:, cols].max(axis=1),
            marker="o",
            ms=3,
            label=f"{label} (|q - q'| = {d})" if d in _ORDER_NAMES else label,
        )
    ax.set_xscale("log")
    ax.set_xlabel("spacing (um)")
    ax.set_ylabel("steady concurrence C (max over pairs)")
    n = int(ds.attrs.get("n_qubits", len(set(order.tolist())) + 1))
    ax.set_title(
        f"{n} qubits in a row, T_M = {float(ds['T_M'][it]):g} K (best), T_W = {float(ds.attrs['T_W']):g} K", fontsize=9
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, base, dpi=dpi)


def main(argv=None):
    """Command line ``python -m neqent.pipeline.plot_chain --input F --output BASE [--dpi N]``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0 (bad input exits with status 2 and one line on stderr).
    """
    from neqent.pipeline.command import StageParser, first_line, read_stage_input
    from neqent.pipeline.logs import configure_logging, log_figure
    from neqent.pipeline.plotting import _dpi

    p = StageParser(prog="python -m neqent.pipeline.plot_chain", description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="output of the chain stage (NetCDF)")
    p.add_argument("--output", required=True, help="output base path (.png and .pdf are written)")
    p.add_argument("--dpi", type=_dpi, default=150)
    args = p.parse_args(argv)
    configure_logging()
    start = time.perf_counter()
    ds = read_stage_input(p, args.input, ("chain",))
    try:
        paths = chain_figure(ds, args.output, dpi=args.dpi)
    except OSError as exc:
        p.error(f"--output {args.output!r}: {first_line(exc)}")
    log_figure("neqent.pipeline.plot_chain", "chain", args.input, args.dpi, paths, start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
