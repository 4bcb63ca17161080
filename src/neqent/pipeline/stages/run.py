"""The command line of the stages: ``python -m neqent.pipeline.stages <stage> ...``.

Used by the Snakemake rules (``workflow/rules/*.smk``). Each stage is a
library function from datasets to a dataset in its own module
(:mod:`~neqent.pipeline.stages.kernels`, :mod:`~neqent.pipeline.stages.rates`,
:mod:`~neqent.pipeline.stages.steady`, :mod:`~neqent.pipeline.stages.analytic`,
:mod:`~neqent.pipeline.stages.dynamics`); stages communicate only through
NetCDF files written by :func:`neqent.pipeline.io.write_dataset` (complex
values as ``_re``/``_im`` pairs).

The command-line rates and steady stages do not hold the grid in memory:
they stream it in blocks under the memory budget, across MPI ranks or
Snakemake shards (:mod:`neqent.pipeline.streaming`), with the same
arithmetic as the in-memory functions (bit-identical results).
"""

from __future__ import annotations

import logging
import os
import sys
import time

import numpy as np

from neqent.pipeline.command import StageParser, first_line, positive_int, read_stage_input
from neqent.pipeline.config import load_config_or_exit, stage_config
from neqent.pipeline.grid import resolve_range, scan_axes
from neqent.pipeline.logs import configure_logging
from neqent.pipeline.stages.analytic import analytic_data
from neqent.pipeline.stages.dynamics import dynamics_data
from neqent.pipeline.stages.kernels import kernel_grid

log = logging.getLogger("neqent.pipeline.stages")

__all__ = ["STAGE_INPUTS", "MAP_STAGES", "KERNEL_BYTES_PER_POINT", "main"]


# --------------------------------------------------------------------------
# command line: python -m neqent.pipeline.stages <stage> ...
# --------------------------------------------------------------------------

#: stage -> the stages of its --input files, in order.
STAGE_INPUTS = {
    "kernels": (),
    "rates": ("kernels",),
    "steady": ("rates",),
    "analytic": ("kernels", "rates", "steady"),
    "dynamics": ("rates", "steady"),
}
#: Stages that always work on the 'map' scan (the paper figures).
MAP_STAGES = ("analytic", "dynamics")


#: environment variables in which MPI launchers (mpiexec/hydra, Open MPI, srun) give the rank count
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "SLURM_STEP_NUM_TASKS")


def _launched_ranks():
    """Rank count an MPI launcher announced in the environment (1 if none).

    The rates and steady stages initialise MPI only when started with several
    ranks: a plain job step (e.g. each Snakemake job under the SLURM executor
    runs in an `srun` step with PMI variables but no PMI server) would fail in
    MPI_Init.
    """
    sizes = []
    for var in _LAUNCHER_SIZE_VARS:
        try:
            sizes.append(int(os.environ[var]))
        except (KeyError, ValueError):
            continue
    return max(sizes, default=1)


def _mpi_comm():
    """COMM_WORLD if mpi4py is importable, else None (serial)."""
    try:
        from mpi4py import MPI
    except ImportError:  # pragma: no cover
        return None
    return MPI.COMM_WORLD


def main(argv=None):
    """Entry point of the pipeline stages (see module docstring).

    ``python -m neqent.pipeline.stages kernels --config C --scan S --output F`` (run
    under ``mpiexec -n N`` / ``srun`` for MPI), and ``rates``, ``steady``,
    ``analytic``, ``dynamics`` with ``--input`` files (in the order of
    :data:`STAGE_INPUTS`). ``--config`` is a YAML/JSON file or an inline
    YAML/JSON string, a full config or the stage's subset
    (:func:`neqent.pipeline.config.stage_config`, what the workflow passes;
    the output records that subset); ``--scan`` must name one of its scans (``analytic`` and
    ``dynamics`` always use ``map``). Every input must carry the ``stage``
    and ``scan`` attributes the stage expects. Bad input exits with status 2
    and one line on stderr naming the option and the value; no output file
    is written.

    ``rates`` and ``steady`` stream in blocks under ``--memory-budget``
    (default ``scale.memory_budget``), in parallel when started with several
    MPI ranks; ``steady --shard i/n`` computes one shard into a shard file
    and ``steady --input <shard files>`` gathers them. Both log the estimated
    output size and refuse one the output disk cannot hold.
    """
    from neqent.pipeline.io import write_dataset

    configure_logging()
    p = StageParser(prog="python -m neqent.pipeline.stages", description=__doc__.splitlines()[0])
    p.add_argument("stage", choices=list(STAGE_INPUTS))
    p.add_argument("--config", required=True, help="config file or inline YAML/JSON")
    p.add_argument(
        "--scan", default=None, help="scan name, one of the config's scans (kernels, rates, steady; default map)"
    )
    p.add_argument("--input", nargs="*", default=[], help="input NetCDF files, in the stage's order")
    p.add_argument("--output", required=True, help="output NetCDF file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--chunk", type=positive_int, default=None, help="kernel grid points per work unit (default: config mpi.chunk)"
    )
    p.add_argument(
        "--memory-budget", default=None, help="peak memory of this job, e.g. 2GB (default: scale.memory_budget)"
    )
    p.add_argument("--shard", default=None, help="steady only: compute shard i/n of the blocks into a shard file")
    args = p.parse_args(argv)
    configure_logging()
    config = load_config_or_exit(p, args.config)
    if args.chunk is not None:  # results do not depend on it, so the workflow keeps it out of --config
        config["mpi"]["chunk"] = args.chunk
    if args.stage in ("rates", "steady"):
        return _streamed_stage(p, args, config)
    if args.shard is not None:
        p.error(f"--shard {args.shard!r}: only the steady stage is sharded")

    expected = STAGE_INPUTS[args.stage]
    if len(args.input) != len(expected):
        p.error(
            f"--input: stage {args.stage} needs {len(expected)} file(s) "
            f"({', '.join(expected) or 'none'}), got {len(args.input)}"
        )
    scan = args.scan if args.scan is not None else "map"
    if args.stage in MAP_STAGES and scan != "map":
        p.error(f"--scan {scan!r}: stage {args.stage} always uses scan 'map'")
    if scan not in config["scans"]:
        p.error(f"--scan {scan!r}: not a scan of the config; allowed: {', '.join(sorted(config['scans']))}")
    if args.stage == "rates" and "T_M" not in config["scans"][scan]:
        p.error(f"--scan {scan!r}: scan has no T_M grid (kernel-only), so no rates stage")
    inputs = [read_stage_input(p, f, (stage,), scan) for f, stage in zip(args.input, expected)]

    t0 = time.perf_counter()
    log.info("stage %s, scan %s", args.stage, scan)
    try:
        if args.stage == "kernels":
            _check_kernel_memory(p, config, scan, args.memory_budget)
            ds = kernel_grid(config, scan, comm=_mpi_comm(), progress=not args.no_progress)
        elif args.stage == "analytic":
            ds = analytic_data(config, *inputs)
        else:
            ds = dynamics_data(config, *inputs)
    except KeyError as exc:  # a file with the right attributes but not the right content
        p.error(f"--input {' '.join(map(repr, args.input))}: missing {first_line(exc)}")
    except ValueError as exc:  # StageInputError: a config the stage cannot use (e.g. z1 off the map grid)
        p.error(f"stage {args.stage}, --scan {scan!r}: {first_line(exc)}")
    if ds is None:  # MPI rank != 0: rank 0 writes
        return 0
    try:
        write_dataset(ds, args.output, stage_config(config, args.stage, scan))
    except OSError as exc:
        p.error(f"--output {args.output!r}: {first_line(exc)}")
    log.info("stage %s, scan %s: done in %.2f s -> %s", args.stage, scan, time.perf_counter() - t0, args.output)
    return 0


def _check_kernel_memory(parser, config, scan, budget):
    """The kernel stage holds its grid in memory: refuse one larger than the budget."""
    from neqent.pipeline.budget import BudgetError, format_bytes, scale_settings

    try:
        nbytes = scale_settings(config, scan, budget)["budget"]
    except BudgetError as exc:
        parser.error(str(exc))
    axes, _ = scan_axes(config, scan)
    npoints = int(np.prod([len(v) for k, v in axes.items() if k != "theta"]))
    need = npoints * KERNEL_BYTES_PER_POINT
    if need > nbytes:
        parser.error(
            f"--scan {scan!r}: {npoints} kernel points need about {format_bytes(need)}, more than the memory budget "
            f"{format_bytes(nbytes)}; use fewer geometry/frequency points (temperatures cost nothing here)"
        )
    log.info(
        "kernels: %d geometry points, ~%s in memory (budget %s)", npoints, format_bytes(need), format_bytes(nbytes)
    )


#: memory of one kernel geometry point (tensors W, M, G12, the contractions, the gather)
KERNEL_BYTES_PER_POINT = 4096


def _stage_settings(parser, args, config, scan):
    from neqent.pipeline.budget import BudgetError, parse_shard, scale_settings, scan_storage

    try:
        settings = scale_settings(config, scan, args.memory_budget)
        settings["shard"] = parse_shard(args.shard) if args.shard is not None else None
    except BudgetError as exc:
        parser.error(str(exc))
    settings.update(scan_storage(config, scan))
    return settings


def _check_output_size(parser, config, scan, stage, path, settings):
    """Log the estimated output size; refuse (exit 2) when the output disk cannot hold it."""
    from neqent.pipeline.budget import BudgetError, check_disk, estimate_bytes, format_bytes

    nbytes = estimate_bytes(config, scan, stage)
    if settings.get("shard"):
        nbytes = nbytes // settings["shard"][1] + 65536
    try:
        free = check_disk(path, nbytes, f"--output {path!r}")
    except BudgetError as exc:
        parser.error(str(exc))
    log.info(
        "%s: scan %s, storage %s, estimated output %s (uncompressed; %s free)",
        stage,
        scan,
        settings[stage],
        format_bytes(nbytes),
        format_bytes(free),
    )


def _run_or_exit(parser, args, scan, comm, func, *a):
    """Run a streamed stage; a bad input or unusable config ends in one line, exit 2.

    Under MPI a failing rank aborts the whole job (the others would wait for it forever).
    """
    try:
        return func(*a)
    except (KeyError, ValueError) as exc:
        if isinstance(exc, KeyError):
            message = f"--input {' '.join(map(repr, args.input))}: missing {first_line(exc)}"
        else:  # e.g. a non-unique steady state somewhere on the grid
            message = f"stage {args.stage}, --scan {scan!r}: {first_line(exc)}"
        if comm is not None:
            sys.stderr.write(f"{parser.prog}: error: {message}\n")
            sys.stderr.flush()
            comm.Abort(2)
        parser.error(message)


def _streamed_stage(p, args, config):
    """The rates and steady stages: streamed in blocks, MPI-parallel, steady also sharded/gathered."""
    from neqent.pipeline import streaming
    from neqent.pipeline.budget import block_points, format_bytes

    scan = args.scan if args.scan is not None else "map"
    if scan not in config["scans"]:
        p.error(f"--scan {scan!r}: not a scan of the config; allowed: {', '.join(sorted(config['scans']))}")
    if "T_M" not in config["scans"][scan]:
        p.error(f"--scan {scan!r}: scan has no T_M grid (kernel-only), so no {args.stage} stage")
    if args.stage == "rates" and args.shard is not None:
        p.error(f"--shard {args.shard!r}: only the steady stage is sharded")
    settings = _stage_settings(p, args, config, scan)
    recorded = stage_config(config, args.stage, scan)  # what the output depends on (its `config` attribute)
    comm = _mpi_comm() if _launched_ranks() > 1 else None
    size = comm.Get_size() if comm is not None else 1
    if size == 1:
        comm = None
    t0 = time.perf_counter()

    def started():  # logged once the inputs passed their checks (a refusal stays one line)
        log.info(
            "stage %s, scan %s, memory budget %s, %d MPI rank(s)%s",
            args.stage,
            scan,
            format_bytes(settings["budget"]),
            size,
            f", shard {settings['shard'][0]}/{settings['shard'][1]}" if settings["shard"] else "",
        )

    progress = not args.no_progress
    if args.stage == "rates":
        if len(args.input) != 1:
            p.error(f"--input: stage rates needs 1 file(s) (kernels), got {len(args.input)}")
        kernels = read_stage_input(p, args.input[0], ("kernels",), scan)
        T_M = resolve_range(config["scans"][scan]["T_M"])
        _check_output_size(p, config, scan, "rates", args.output, settings)
        started()
        if settings["rates"] == "compact":
            if comm is None or comm.Get_rank() == 0:
                from neqent.pipeline.io import write_dataset

                write_dataset(streaming.compact_rates(kernels, T_M, config["T_W"]), args.output, recorded)
        else:
            _run_or_exit(
                p,
                args,
                scan,
                comm,
                streaming.stream_rates,
                kernels,
                T_M,
                config["T_W"],
                args.output,
                recorded,
                block_points("rates", settings["budget"]),
                comm,
                settings["complevel"],
                progress,
            )
        log.info("stage rates, scan %s: done in %.2f s -> %s", scan, time.perf_counter() - t0, args.output)
        return 0
    if not args.input:
        p.error("--input: stage steady needs 1 file (rates) or the steady shard files, got 0")
    first = read_stage_input(p, args.input[0], ("rates", "steady_shard"), scan, lazy=True)
    if first.attrs.get("stage") == "steady_shard":
        first.close()
        for f in args.input[1:]:
            read_stage_input(p, f, ("steady_shard",), scan, lazy=True).close()
        if args.shard is not None:
            p.error(f"--shard {args.shard!r}: the inputs are shard files already (this run gathers them)")
        try:
            streaming.check_shards(args.input)
        except (ValueError, KeyError) as exc:
            p.error(f"--input: {first_line(exc)}")
        _check_output_size(p, config, scan, "steady", args.output, settings)
        started()
        if comm is not None and comm.Get_rank() != 0:
            return 0  # gathering is serial: rank 0 writes the file
        try:
            streaming.gather_shards(args.input, args.output, recorded, settings["complevel"])
        except (ValueError, KeyError) as exc:
            p.error(f"--input: {first_line(exc)}")
        log.info("stage steady (gather), scan %s: done in %.2f s", scan, time.perf_counter() - t0)
        return 0
    if len(args.input) != 1:
        p.error(f"--input: stage steady needs 1 file (rates) or the steady shard files, got {len(args.input)}")
    compact = first.attrs.get("rates_storage") == "compact"
    needed = ("alpha_W", "alpha_M", "n_W", "n_M") if compact else ("gamma_plus", "gamma_minus")
    for name in needed + ("lambda12",):
        if name not in first.variables and f"{name}_re" not in first.variables:
            p.error(f"--input {args.input[0]!r}: missing {name!r} (a rates file from another version?)")
    _check_output_size(p, config, scan, "steady", args.output, settings)
    started()
    try:
        _run_or_exit(
            p,
            args,
            scan,
            comm,
            streaming.stream_steady,
            first,
            args.output,
            recorded,
            block_points("steady", settings["budget"]),
            settings["steady"],
            comm,
            settings["shard"],
            settings["complevel"],
            progress,
        )
    finally:
        first.close()
    log.info("stage steady, scan %s: done in %.2f s -> %s", scan, time.perf_counter() - t0, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
