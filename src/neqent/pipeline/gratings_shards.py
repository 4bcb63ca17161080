"""The shard and gather steps of the ``gratings`` extra (workflow/rules/gratings.smk).

    python -m neqent.pipeline.gratings_shards part --config C --shard i/n --output shard.npz [--no-progress]
    python -m neqent.pipeline.gratings_shards gather --config C --parts shard0.npz ... --output gratings.nc

``part``: the parts j with j % n == i of every grating's k rule, for all positions at
once (:func:`neqent.pipeline.extras.gratings.shard_blocks`); under ``mpiexec`` the
ranks share each batch of k points and rank 0 writes. ``gather``: sums every part in
part order, then rates, steady C and the film (:func:`~neqent.pipeline.extras.gratings.gather_dataset`),
the same bits for any shard or rank count. ``--config``: the extra's subset as inline
JSON (what the rules pass) or a full pipeline config. Bad input: one line, exit 2.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

from neqent.pipeline.command import StageParser, first_line, shown
from neqent.pipeline.extra import extra_subset
from neqent.pipeline.extras import EXTRAS
from neqent.pipeline.io import write_dataset
from neqent.pipeline.logs import configure_logging

__all__ = ["write_shard", "read_shard", "main"]

log = logging.getLogger("neqent.pipeline.gratings_shards")


def write_shard(blocks, path):
    """Write a shard's parts (:func:`~neqent.pipeline.extras.gratings.shard_blocks`) atomically.

    Parameters
    ----------
    blocks : dict of str to ndarray
        The shard's arrays.
    path : str or os.PathLike
        Destination ``.npz`` file (a temporary of the workflow).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part.npz")
    np.savez(tmp, **blocks)
    os.replace(tmp, path)


def read_shard(path) -> dict:
    """A shard written by :func:`write_shard`, as a dict of arrays."""
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def main(argv=None):
    """Command line (see the module docstring).

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0 (bad input exits with status 2 and one line on stderr).
    """
    from neqent.dynamics.mpi_map import world
    from neqent.pipeline.budget import BudgetError, parse_shard
    from neqent.pipeline.extras.gratings import gather_dataset, shard_blocks

    configure_logging()
    p = StageParser(prog="python -m neqent.pipeline.gratings_shards", description=__doc__.splitlines()[0])
    p.add_argument("step", choices=["part", "gather"])
    p.add_argument("--config", required=True, help="the gratings subset (inline JSON) or a full pipeline config")
    p.add_argument("--shard", default="0/1", help="part: shard i of n (i/n)")
    p.add_argument("--parts", nargs="*", default=[], help="gather: every shard's file")
    p.add_argument("--output", required=True, help="part: shard .npz; gather: NetCDF dataset")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    subset = extra_subset(p, EXTRAS["gratings"], args.config)
    start = time.perf_counter()
    try:
        if args.step == "part":
            shard, shards = parse_shard(args.shard)
            comm = world()
            blocks = shard_blocks(subset, shard, shards, comm=comm, progress=not args.no_progress)
            if comm is None or comm.Get_rank() == 0:
                write_shard(blocks, args.output)
        else:
            if not args.parts:
                p.error("--parts: give every shard's file")
            ds = gather_dataset(subset, [read_shard(f) for f in args.parts])
            write_dataset(ds, args.output, subset)
    except BudgetError as exc:
        p.error(first_line(exc))
    except (OSError, ValueError) as exc:
        p.error(f"--config {shown(args.config)}: {first_line(exc)}")
    except KeyError as exc:
        p.error(f"--config {shown(args.config)}: missing key {first_line(exc)!r}")
    log.info("gratings %s: wrote %s in %.2f s", args.step, args.output, time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
