"""Command line of the pipeline extra ``optimize`` (:mod:`neqent.pipeline.extras.optimize`).

``python -m neqent.pipeline.optimize --config C --search NAME --output F.nc``
writes the record of one search of the config's ``optimize`` section. ``C``
may be the full config or the subset ``material``, ``T_W``, ``geometry``,
``optimize`` (what the Snakemake rule passes). Bad input: one line, exit 2.
The names of :mod:`neqent.pipeline.extras.optimize` are re-exported here,
their old home.
"""

from __future__ import annotations

import math
import sys

from neqent.pipeline.extras.optimize import (
    CONFIG_NAMES,
    check_search,
    search_dataset,
    search_landscape,
    search_subset,
)

__all__ = ["CONFIG_NAMES", "search_subset", "check_search", "search_landscape", "search_dataset", "main"]


def _load(parser, source):
    """The stage's config: the full one (validated) or the rule's subset (checked here)."""
    import json

    from neqent.pipeline.command import first_line, shown
    from neqent.pipeline.config import load_config, load_config_or_exit

    try:
        config = json.loads(source)
    except ValueError:
        return load_config_or_exit(parser, source)
    if "scans" in config:
        return load_config(config)
    try:
        from neqent.electrodynamics.materials import get_material

        material = get_material(config["material"])
        for name in config["optimize"]:
            check_search(config, material, name)
    except (KeyError, ValueError, TypeError) as exc:
        parser.error(f"--config {shown(source)}: {first_line(exc)}")
    return config


def main(argv=None):
    """Command line ``python -m neqent.pipeline.optimize --config C --search NAME --output F.nc [--no-progress]``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0 (bad input exits with status 2 and one line on stderr).
    """
    from neqent.pipeline.command import StageParser, first_line
    from neqent.pipeline.io import write_dataset

    p = StageParser(prog="python -m neqent.pipeline.optimize", description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="config file or inline YAML/JSON")
    p.add_argument("--search", required=True, help="name of a search in the config's 'optimize' section")
    p.add_argument("--output", required=True, help="output NetCDF file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    config = _load(p, args.config)
    searches = config.get("optimize") or {}
    if args.search not in searches:
        p.error(f"--search {args.search!r}: not a search of the config; allowed: {', '.join(sorted(searches)) or '-'}")
    ds = search_dataset(config, args.search, progress=not args.no_progress)
    c = float(ds["C"])
    print(
        f"search {args.search}: C = {c:.6g} after {ds.attrs['evaluations']} evaluations"
        + (f"; at bounds: {ds.attrs['at_bounds']}" if ds.attrs["at_bounds"] else "")
    )
    if not math.isfinite(c):  # pragma: no cover - every point of the box failed
        p.error(f"--search {args.search!r}: no valid point in the ranges")
    try:
        write_dataset(ds, args.output, config)
    except OSError as exc:
        p.error(f"--output {args.output!r}: {first_line(exc)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
