"""Command line of the pipeline extra ``stacks`` (:mod:`neqent.pipeline.extras.stacks`, docs/theory.md §9).

    python -m neqent.pipeline.stacks data --params PARAMS.json|JSON --output stacks.nc
    python -m neqent.pipeline.stacks figure --input stacks.nc --output figures/stacks

``PARAMS``: the config subset this extra needs, ``{"stacks": config["stacks"],
"z1", "r12", "theta", "T_W"}`` (:func:`~neqent.pipeline.extras.stacks.stack_params`). Bad input: one line on
stderr, exit status 2, nothing written. The workflow runs the same steps
through the generic commands ``python -m neqent.pipeline.extra stacks`` and
``python -m neqent.pipeline.plotting stacks``; the names of
:mod:`neqent.pipeline.extras.stacks` are re-exported here, their old home.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from neqent.pipeline.extras.stacks import body_stack, check_stacks, stack_maps, stack_params, stacks_figure

__all__ = ["stack_params", "body_stack", "check_stacks", "stack_maps", "stacks_figure", "main"]


def _load_params(text):
    if text.lstrip().startswith("{"):
        return json.loads(text)
    with open(text) as fh:
        return json.load(fh)


def main(argv=None):
    """Command line ``python -m neqent.pipeline.stacks {data,figure}`` (see the module docstring).

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
    from neqent.pipeline.io import write_dataset
    from neqent.pipeline.logs import configure_logging, log_figure

    p = StageParser(prog="python -m neqent.pipeline.stacks", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("data")
    d.add_argument("--params", required=True, help="JSON (or a JSON file) of stack_params(config)")
    d.add_argument("--output", required=True, help="output NetCDF file")
    d.add_argument("--no-progress", action="store_true")
    f = sub.add_parser("figure")
    f.add_argument("--input", required=True, help="output of the data step")
    f.add_argument("--output", required=True, help="output base path (.png and .pdf)")
    f.add_argument("--dpi", type=int, default=150)
    args = p.parse_args(argv)
    configure_logging()
    # logged once done, so that bad input still ends in exactly one line on stderr;
    # not __name__, which is "__main__" under python -m
    log = logging.getLogger("neqent.pipeline.stacks")
    start = time.perf_counter()
    if args.command == "data":
        try:
            params = _load_params(args.params)
            ds = stack_maps(params, progress=not args.no_progress)
        except (OSError, ValueError, KeyError) as exc:
            p.error(f"--params: {first_line(exc)}")
        try:
            write_dataset(ds, args.output, config=params)
        except OSError as exc:
            p.error(f"--output {args.output!r}: {first_line(exc)}")
        log.info("stacks data: wrote %s in %.2f s", args.output, time.perf_counter() - start)
        return 0
    ds = read_stage_input(p, args.input, ("stacks",))
    try:
        paths = stacks_figure(ds, args.output, dpi=args.dpi)
    except OSError as exc:
        p.error(f"--output {args.output!r}: {first_line(exc)}")
    log_figure("neqent.pipeline.stacks", "stacks", args.input, args.dpi, paths, start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
