"""The command of every registered extra that has ``compute``: config subset -> check -> compute -> NetCDF.

    python -m neqent.pipeline.extra NAME --config CONFIG --output results/NAME/NAME.nc [--no-progress]

``NAME``: a registered extra (:data:`neqent.pipeline.extras.registry.EXTRAS`) with a
``compute`` function. ``--config``: a full pipeline config (YAML/JSON file or
inline; validated, then cut to the extra's subset), or the subset itself as
inline JSON (what the workflow's generic rules in ``workflow/rules/extras.smk``
pass, so only a change of that subset reruns the job). The dataset records the
subset as its ``config`` attribute. An extra with ``mpi`` may be launched
under ``mpiexec``: its ``compute`` returns None on the ranks that do not write. Its figures are drawn by
``python -m neqent.pipeline.plotting <figure>``. Bad input: one line on
stderr, exit status 2, no file written.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from neqent.pipeline.command import StageParser, first_line, shown
from neqent.pipeline.config import load_config_or_exit
from neqent.pipeline.extras import EXTRAS
from neqent.pipeline.io import write_dataset
from neqent.pipeline.logs import configure_logging

__all__ = ["extra_subset", "main"]

log = logging.getLogger("neqent.pipeline.extra")


def extra_subset(parser, extra, source):
    """The subset of ``--config`` the extra reads.

    Parameters
    ----------
    parser : StageParser
        The command's parser (a bad config ends in one line, exit 2).
    extra : neqent.pipeline.extras.Extra
        The registered extra.
    source : str
        Inline JSON of the subset (no ``scans`` key), or a full config (file or inline YAML/JSON).

    Returns
    -------
    dict
        The subset (SI units).
    """
    try:
        raw = json.loads(source)
    except ValueError:
        raw = None
    if isinstance(raw, dict) and "scans" not in raw:
        return raw
    return extra.subset(load_config_or_exit(parser, source))


def main(argv=None):
    """Command line ``python -m neqent.pipeline.extra NAME --config C --output F [--no-progress]``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0 (bad input exits with status 2 and one line on stderr).
    """
    configure_logging()
    p = StageParser(prog="python -m neqent.pipeline.extra", description=__doc__.splitlines()[0])
    p.add_argument("extra", choices=sorted(name for name, e in EXTRAS.items() if e.compute is not None))
    p.add_argument("--config", required=True, help="pipeline config (file or inline YAML/JSON), or the extra's subset")
    p.add_argument("--output", required=True, help="output NetCDF file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    extra = EXTRAS[args.extra]
    subset = extra_subset(p, extra, args.config)
    start = time.perf_counter()
    try:
        ds = extra.compute(subset, progress=not args.no_progress)
    except (OSError, ValueError) as exc:
        p.error(f"--config {shown(args.config)}: {first_line(exc)}")
    except KeyError as exc:  # a subset without a key the extra reads
        p.error(f"--config {shown(args.config)}: missing key {first_line(exc)!r}")
    if ds is None:  # an MPI rank that only evaluated rank 0's batches (Extra.mpi): rank 0 writes
        return 0
    try:
        write_dataset(ds, args.output, subset)
    except OSError as exc:
        p.error(f"--output {args.output!r}: {first_line(exc)}")
    log.info("extra %s: wrote %s in %.2f s", extra.name, args.output, time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
