# Helpers of the streamed stages (issue 10): shard counts of the steady stage and
# the estimated output sizes, printed once when a run starts (each stage also refuses
# an output its disk cannot hold). No rules here.
import sys

from neqent.pipeline.budget import (
    estimate_bytes,
    format_bytes,
    scale_settings,
    scan_storage,
)


def steady_shards(scan):
    """Number of steady_shard jobs of a scan (1: the steady rule computes directly)."""
    return scale_settings(config, scan)["shards"]


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
