# Helpers of the streamed stages (issue 10): shard counts of the steady stage, MPI
# ranks of the kernels stage and the MPI extras, and the estimated output sizes,
# printed once when a run starts (each stage also refuses an output its disk cannot
# hold). No rules here.
#
# 'auto' (scale.shards, scans.<name>.shards, mpi.tasks; the defaults) follows the cores
# Snakemake was given: workflow.cores, i.e. --cores N locally and the profile's 'cores'
# on SLURM. A SLURM job re-reads this file with the same --cores (the executor passes
# it on), so the main process and every job resolve the same shard count.
import sys

from snakemake.exceptions import WorkflowError

from neqent.pipeline.budget import (
    AUTO,
    estimate_bytes,
    format_bytes,
    resolve_tasks,
    scale_settings,
    scan_storage,
)


def snakemake_cores():
    """The cores Snakemake was given (--cores; profiles/slurm sets 'cores'), which 'auto' resolves from."""
    try:
        return workflow.cores
    except WorkflowError:
        raise WorkflowError(
            "config 'auto' (scale.shards, scans.<name>.shards or mpi.tasks) needs the core count: "
            "give --cores N (or 'cores:' in the profile), or set explicit integers"
        ) from None


def steady_shards(scan):
    """Number of steady_shard jobs of a scan (1: the steady rule computes directly)."""
    auto = scale_settings(config, scan)["shards"] == AUTO
    return scale_settings(config, scan, cores=snakemake_cores() if auto else None)[
        "shards"
    ]


def mpi_threads(wildcards):
    """threads of an MPI rule: mpi.tasks, or every core Snakemake was given for 'auto'
    (Snakemake caps threads at --cores; profiles/slurm sets one thread per rank)."""
    tasks = config["mpi"]["tasks"]
    return snakemake_cores() if tasks == AUTO else tasks


def mpi_tasks(wildcards, threads):
    """resource tasks (MPI ranks) of an MPI rule: mpi.tasks, or for 'auto' the threads the job
    got (locally at most --cores; profiles/slurm names each MPI rule's tasks, the job's CPUs).
    """
    return resolve_tasks(config, threads)


def steady_input(wildcards):
    """The rates file, or the shard files to gather."""
    n = steady_shards(wildcards.scan)
    if n == 1:
        return f"{RESULTS}/rates/{wildcards.scan}.nc"
    return [f"{RESULTS}/steady/shards/{wildcards.scan}/{i}of{n}.nc" for i in range(n)]


def print_size_estimates():
    """The estimated rates+steady output of every scan with a T_M grid (uncompressed upper bound), on stderr."""
    sizes = {
        s: estimate_bytes(config, s, "rates") + estimate_bytes(config, s, "steady")
        for s in T_SCANS
    }
    print(
        "neqent: estimated rates+steady output (uncompressed): "
        + ", ".join(
            f"{s} {format_bytes(b)} ({'/'.join(scan_storage(config, s).values())})"
            for s, b in sizes.items()
        ),
        file=sys.stderr,
    )


# Once, when a run starts: snakemake calls onstart only in the main process of a real
# run (not on a dry run, nor when a job re-parses this file), so the line is not repeated
# on every parse.
onstart:
    print_size_estimates()
