# Helpers of the streamed stages (issue 10): shard counts of the steady stage and
# the estimated output sizes, printed before the run (each stage also refuses an
# output its disk cannot hold). No rules here.
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


# Estimated output sizes (uncompressed upper bound).
_sizes = {
    s: estimate_bytes(config, s, "rates") + estimate_bytes(config, s, "steady")
    for s in T_SCANS
}
print(
    "neqent: estimated rates+steady output (uncompressed): "
    + ", ".join(
        f"{s} {format_bytes(b)} ({'/'.join(scan_storage(config, s).values())})"
        for s, b in _sizes.items()
    ),
    file=sys.stderr,
)
