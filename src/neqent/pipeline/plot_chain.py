"""Figure of the ``chain`` extra: pairwise steady concurrence versus spacing (docs/theory.md §10).

    python -m neqent.pipeline.plot_chain --input results/chain/chain.nc --output results/figures/chain.png

At the body temperature where the chain's largest pairwise concurrence is
highest, one curve per neighbour order |q - q'| (nearest, next-nearest,
further): the largest concurrence among the pairs of that order, versus the
spacing. PNG and PDF, written atomically (:func:`neqent.pipeline.figstyle.save`).
"""

from __future__ import annotations

import sys
import time

from neqent.pipeline.extras.chain import best_temperature, chain_figure

__all__ = ["chain_figure", "best_temperature", "main"]


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
    from neqent.pipeline.figstyle import dpi_type
    from neqent.pipeline.logs import configure_logging, log_figure

    p = StageParser(prog="python -m neqent.pipeline.plot_chain", description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="output of the chain stage (NetCDF)")
    p.add_argument("--output", required=True, help="output base path (.png and .pdf are written)")
    p.add_argument("--dpi", type=dpi_type, default=150)
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
