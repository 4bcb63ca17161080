"""Command line of the pipeline extra ``chain`` (:mod:`neqent.pipeline.extras.chain`, docs/theory.md §10).

    python -m neqent.pipeline.chain --config CONFIG --output results/chain/chain.nc

``--config``: a full pipeline config (YAML/JSON file or inline), or the
subset :func:`~neqent.pipeline.extras.chain.chain_config` returns (what the Snakemake rule passes, so only
a change of that subset reruns it). Bad input: one line on stderr, exit 2,
no file written. The names of :mod:`neqent.pipeline.extras.chain` are
re-exported here, their old home.
"""

from __future__ import annotations

import json
import sys

from neqent.pipeline.extras.chain import CHAIN_DEFAULTS, chain_config, chain_dataset

__all__ = ["CHAIN_DEFAULTS", "chain_config", "chain_dataset", "main"]


def main(argv=None):
    """Command line ``python -m neqent.pipeline.chain --config C --output F [--no-progress]``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0 (bad input exits with status 2 and one line on stderr).
    """
    from neqent.pipeline.command import StageParser, first_line, shown
    from neqent.pipeline.config import load_config
    from neqent.pipeline.io import write_dataset

    p = StageParser(prog="python -m neqent.pipeline.chain", description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="pipeline config (file or inline YAML/JSON), or its chain subset")
    p.add_argument("--output", required=True, help="output NetCDF file")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    try:
        text = args.config
        try:
            raw = json.loads(text)
        except ValueError:
            raw = None
        sub = (
            raw if isinstance(raw, dict) and "chain" in raw and "scans" not in raw else chain_config(load_config(text))
        )
        ds = chain_dataset(sub, progress=not args.no_progress)
    except (ValueError, KeyError, OSError) as exc:
        p.error(f"--config {shown(args.config)}: {first_line(exc)}")
    try:
        write_dataset(ds, args.output, sub)
    except OSError as exc:
        p.error(f"--output {args.output!r}: {first_line(exc)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
