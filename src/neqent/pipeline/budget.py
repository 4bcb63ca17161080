"""Memory budget, shard counts, what a scan stores, and output-size estimates.

* :func:`parse_budget` -- ``"2GB"``, ``"512MiB"``, ``2e9`` -> bytes, with one
  clear error line for anything else.
* :func:`scan_storage` -- what a scan keeps on disk (config ``scans.<name>.store``):
  ``rates`` = ``grid`` (Gamma(+-w) on every grid point) or ``compact`` (the
  kernels and occupations they are broadcast from; the steady stage rebuilds
  the rates block by block, with the same arithmetic, so the results do not
  depend on this choice); ``steady`` = ``rho`` (full density matrix), ``x``
  (the X-state elements: populations, rho_23, rho_14) or ``C`` (concurrence
  only). The paper scan ``map`` keeps ``grid``/``rho``; other scans do the
  same up to ``scale.large_scan_points`` grid points and default to
  ``compact``/``C`` above.
* :func:`estimate_bytes` / :func:`check_disk` -- uncompressed size of a
  stage's output and a refusal, naming the estimate and the free space, when
  the output disk cannot hold it.
* :func:`check_in_memory` -- the in-memory APIs (``neqent scan``,
  ``neqent.scan``) refuse a grid whose result would exceed the budget.
* :func:`auto_shards` / :func:`resolve_tasks` -- what ``auto`` means for
  ``scale.shards`` (steady shard jobs) and ``mpi.tasks`` (MPI ranks): the
  cores Snakemake was given (``--cores``; on SLURM the profile's ``cores``),
  shards capped so that each holds at least ``scale.min_shard_points``. The
  count depends on the config and the core count only, and the results on
  neither (the block plan never sees it).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np

__all__ = [
    "DEFAULT_BUDGET",
    "MIN_BUDGET",
    "BudgetError",
    "parse_budget",
    "format_bytes",
    "parse_shard",
    "scan_storage",
    "scan_shape",
    "estimate_bytes",
    "check_disk",
    "check_in_memory",
    "block_points",
    "STAGE_BYTES_PER_POINT",
    "IN_MEMORY_BYTES_PER_POINT",
    "scale_settings",
    "check_scale_config",
    "AUTO",
    "DEFAULT_MIN_SHARD_POINTS",
    "MAX_SHARDS",
    "auto_shards",
    "resolve_tasks",
]

#: default memory budget of a pipeline job and of the in-memory API (bytes)
DEFAULT_BUDGET = 2_000_000_000
#: smallest budget accepted: the interpreter, numba and the libraries alone take ~250 MB
MIN_BUDGET = 256_000_000
#: working memory per grid point inside a block (bytes, measured peak with margin):
#: rates: Gamma(+-w) and their temporaries; steady: coefficients, Hermitian
#: checks, rho, rcond and the concurrence temporaries (~1.5 kB measured)
STAGE_BYTES_PER_POINT = {"rates": 768, "steady": 2048, "reduce": 64}
#: memory per grid point of a whole in-memory scan (``neqent.scan``): kernels,
#: rates, rho, C and the steady solver's working set, all at once
IN_MEMORY_BYTES_PER_POINT = 2048
#: share of the budget that the blocks' working set may take (the rest: the
#: interpreter and libraries, the NetCDF chunk cache, one block in flight to rank 0)
BLOCK_SHARE = 0.25
#: stored bytes per grid point (uncompressed) of each storage choice
STORED_BYTES_PER_POINT = {
    ("rates", "grid"): 2 * 4 * 16,  # gamma_plus, gamma_minus: 2x2 complex each
    ("rates", "compact"): 0,
    ("steady", "rho"): 16 * 16 + 8,  # rho 4x4 complex + C
    ("steady", "x"): 4 * 8 + 2 * 16 + 8,  # populations, rho_23, rho_14, C
    ("steady", "C"): 8,
}
RATE_STORES = ("grid", "compact")
#: the value of ``scale.shards``, ``scans.<name>.shards`` and ``mpi.tasks`` that follows the core count
AUTO = "auto"
#: fewest grid points per steady shard under ``auto``: sharding adds ~5 s (a shard job's interpreter
#: and numba start-up, and the gather job that reads the shards and writes the scan's file), while
#: one core solves ~3-4e5 points/s; measured on 2 loaded cores, 2 shards of 2e6 points were slower
#: than one job (benchmarks/results/scale.md), so a shard holds >= 5e6 points (~15 s of solving)
#: and scans below 1e7 points stay one job
DEFAULT_MIN_SHARD_POINTS = 5_000_000
#: largest shard count (the schema's bound on explicit counts, and so on ``auto``)
MAX_SHARDS = 10000
STEADY_STORES = ("rho", "x", "C")

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_BUDGET_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$")


class BudgetError(ValueError):
    """A budget, shard count or size that cannot be used; the message is one line naming the value."""


def format_bytes(n) -> str:
    """Human-readable size in decimal units, e.g. ``1.23 GB``.

    Parameters
    ----------
    n : float
        Size [B].

    Returns
    -------
    str
        The size with a unit.
    """
    n = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} TB"  # pragma: no cover


def parse_budget(value, name="memory budget") -> int:
    """Bytes from a budget: a number of bytes or a string with a unit (B, kB, MB, GB, TB, KiB ... TiB).

    Parameters
    ----------
    value : int, float or str
        The budget [B], or a size with its unit.
    name : str
        What the value is, for the error message.

    Returns
    -------
    int
        The budget [B].

    Raises
    ------
    BudgetError
        One line naming ``name`` and the value, for anything else or a budget
        below :data:`MIN_BUDGET`.
    """
    if isinstance(value, bool):
        raise BudgetError(f"{name} {value!r}: expected bytes or a size like '2GB'")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number, unit = float(value), ""
    else:
        m = _BUDGET_RE.match(str(value))
        if not m or m.group(2).lower() not in _UNITS:
            raise BudgetError(f"{name} {value!r}: expected bytes or a size like '2GB', '512MB', '4GiB'")
        number, unit = float(m.group(1)), m.group(2).lower()
    nbytes = number * _UNITS[unit]
    if not np.isfinite(nbytes) or nbytes < MIN_BUDGET:
        raise BudgetError(
            f"{name} {value!r}: must be at least {format_bytes(MIN_BUDGET)} "
            "(the interpreter and libraries alone take ~250 MB)"
        )
    return int(nbytes)


def parse_shard(text):
    """Shard index and count from ``"i/n"`` (shard i of n, 0 <= i < n).

    Parameters
    ----------
    text : str
        The shard, e.g. ``"0/4"``.

    Returns
    -------
    i, n : int
        Index and count; BudgetError naming the value otherwise.
    """
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m:
        raise BudgetError(f"--shard {text!r}: expected i/n with 0 <= i < n (e.g. 0/4)")
    i, n = int(m.group(1)), int(m.group(2))
    if n < 1 or i >= n:
        raise BudgetError(f"--shard {text!r}: need n >= 1 and 0 <= i < n, got i = {i}, n = {n}")
    return i, n


def block_points(stage, budget) -> int:
    """Points per block of a stage under a memory budget.

    Parameters
    ----------
    stage : str
        Key of :data:`STAGE_BYTES_PER_POINT`.
    budget : int
        Memory budget [B].

    Returns
    -------
    int
        Block size [points], >= 1.
    """
    return max(1, int(BLOCK_SHARE * budget // STAGE_BYTES_PER_POINT[stage]))


def scan_shape(config, scan):
    """Grid shape ``(*axes, T_M)`` of a scan (kernel axes in AXIS_ORDER; no T_M for kernel-only scans).

    Parameters
    ----------
    config : dict
        Resolved configuration (:mod:`neqent.pipeline.config`).
    scan : str
        Name of a scan under ``scans``.

    Returns
    -------
    tuple of int
        The shape.
    """
    from neqent.pipeline.grid import resolve_range, scan_axes

    axes, _ = scan_axes(config, scan)
    shape = tuple(len(v) for v in axes.values())
    if "T_M" in config["scans"][scan]:
        shape += (int(resolve_range(config["scans"][scan]["T_M"]).size),)
    return shape


def scan_storage(config, scan):
    """What a scan stores (see module doc).

    Parameters
    ----------
    config : dict
        Resolved configuration (:mod:`neqent.pipeline.config`).
    scan : str
        Name of a scan under ``scans``.

    Returns
    -------
    dict of str to str
        ``{"rates": "grid"|"compact", "steady": "rho"|"x"|"C"}``.
    """
    store = dict(config["scans"][scan].get("store", {}))
    if scan == "map":
        default = ("grid", "rho")
    else:
        npoints = int(np.prod(scan_shape(config, scan)))
        large = npoints > int(config.get("scale", {}).get("large_scan_points", 2_000_000))
        default = ("compact", "C") if large else ("grid", "rho")
    return {"rates": store.get("rates", default[0]), "steady": store.get("steady", default[1])}


def estimate_bytes(config, scan, stage):
    """Uncompressed size of the ``stage`` output of ``scan``.

    The grid-point part from :data:`STORED_BYTES_PER_POINT`; the per-kernel-point
    part (compact rates: alpha_W, alpha_M, Lambda) and coordinates are added.

    Parameters
    ----------
    config : dict
        Resolved configuration (:mod:`neqent.pipeline.config`).
    scan : str
        Name of a scan under ``scans``.
    stage : {"rates", "steady"}
        The stage.

    Returns
    -------
    int
        Estimated size [B].
    """
    shape = scan_shape(config, scan)
    npoints = int(np.prod(shape))
    nkernel = int(np.prod(shape[:-1])) if shape else 1
    per_point = STORED_BYTES_PER_POINT[(stage, scan_storage(config, scan)[stage])]
    per_kernel = 2 * 4 * 16 + 16 if stage == "rates" else 0
    return npoints * per_point + nkernel * per_kernel + 8 * sum(shape) + 65536


def _existing_dir(path):
    p = Path(path).resolve().parent
    while not p.exists():
        p = p.parent
    return p


def check_disk(path, nbytes, what):
    """Raise BudgetError if the file system of ``path`` has less than ``nbytes`` free.

    Parameters
    ----------
    path : str or os.PathLike
        File to be written (its nearest existing directory is checked).
    nbytes : int
        Space needed [B].
    what : str
        What is written, for the error message.

    Returns
    -------
    int
        Free space [B].
    """
    where = _existing_dir(path)
    free = shutil.disk_usage(where).free
    if nbytes > free:
        raise BudgetError(
            f"{what} needs about {format_bytes(nbytes)} (estimate, uncompressed) but only "
            f"{format_bytes(free)} are free on {where}; choose a more compact scans.<name>.store "
            "or another results directory"
        )
    return free


def check_in_memory(npoints, budget=None, what="scan"):
    """Refuse (BudgetError) an in-memory result above the budget.

    Parameters
    ----------
    npoints : int
        Grid points [1].
    budget : int, optional
        Memory budget [B] (default: env ``NEQENT_MEMORY_BUDGET`` or :data:`DEFAULT_BUDGET`).
    what : str
        What is computed, for the error message.
    """
    if budget is None:
        budget = parse_budget(os.environ.get("NEQENT_MEMORY_BUDGET", DEFAULT_BUDGET), "NEQENT_MEMORY_BUDGET")
    need = int(npoints) * IN_MEMORY_BYTES_PER_POINT
    if need > budget:
        raise BudgetError(
            f"{what} of {int(npoints):,} grid points needs about {format_bytes(need)} in memory, more than the "
            f"memory budget of {format_bytes(budget)}; run it through the pipeline (snakemake, config scans.<name>), "
            "which streams in blocks, or raise NEQENT_MEMORY_BUDGET"
        )
    return need


def auto_shards(npoints, cores, min_points=DEFAULT_MIN_SHARD_POINTS) -> int:
    """Steady shard count of ``auto``: one per core, each at least ``min_points``, at least 1.

    Parameters
    ----------
    npoints : int
        Grid points of the scan [1].
    cores : int
        Cores Snakemake was given [1] (``--cores``; on SLURM the profile's ``cores``).
    min_points : int
        Fewest grid points per shard [1] (``scale.min_shard_points``).

    Returns
    -------
    int
        ``min(cores, npoints // min_points)``, clipped to 1 .. :data:`MAX_SHARDS`.
    """
    return max(1, min(int(cores), int(npoints) // max(1, int(min_points)), MAX_SHARDS))


def _count_setting(value, key, upper=None):
    """``auto`` or an integer in 1..upper; BudgetError naming ``key`` and what is allowed otherwise."""
    if value == AUTO:
        return value
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1
    if ok and (upper is None or value <= upper):
        return int(value)
    allowed = f"'auto' or an integer from 1 to {upper}" if upper else "'auto' or an integer >= 1"
    raise BudgetError(f"config key '{key}': {value!r} is not allowed; allowed: {allowed}")


def _shard_setting(config, scan):
    """(value, key) of a scan's shard count: its own ``shards`` or else ``scale.shards``."""
    spec = config["scans"][scan] if scan else {}
    if "shards" in spec:
        return spec["shards"], f"scans.{scan}.shards"
    return config.get("scale", {}).get("shards", AUTO), "scale.shards"


def scale_settings(config, scan=None, budget=None, cores=None):
    """Resolved ``scale`` settings of a configuration.

    Parameters
    ----------
    config : dict
        Resolved configuration (:mod:`neqent.pipeline.config`).
    scan : str, optional
        Scan whose shard count is wanted (default: the global one).
    budget : int or str, optional
        An override (e.g. ``--memory-budget``) of ``scale.memory_budget`` [B or size with unit].
    cores : int, optional
        Cores Snakemake was given [1]; resolves an ``auto`` shard count of ``scan``
        (:func:`auto_shards`). Without it (or without ``scan``) ``shards`` stays ``"auto"``.

    Returns
    -------
    dict
        ``budget`` [B], ``shards`` [1] (or ``"auto"``), ``min_shard_points`` [1], ``complevel`` (zlib level).
    """
    scale = config.get("scale", {})
    if budget is None:
        nbytes = parse_budget(scale.get("memory_budget", DEFAULT_BUDGET), "config key 'scale.memory_budget'")
    else:
        nbytes = parse_budget(budget, "--memory-budget")
    min_points = scale.get("min_shard_points", DEFAULT_MIN_SHARD_POINTS)
    if isinstance(min_points, bool) or not isinstance(min_points, (int, np.integer)) or min_points < 1:
        raise BudgetError(
            f"config key 'scale.min_shard_points': {min_points!r} is not allowed; allowed: an integer >= 1"
        )
    shards = _count_setting(*_shard_setting(config, scan), upper=MAX_SHARDS)
    if shards == AUTO and scan and cores is not None:
        shards = auto_shards(int(np.prod(scan_shape(config, scan))), cores, min_points)
    return {
        "budget": nbytes,
        "shards": shards,
        "min_shard_points": int(min_points),
        "complevel": int(scale.get("complevel", 1)),
    }


def resolve_tasks(config, cores):
    """MPI ranks of the kernels stage and the MPI extras: ``mpi.tasks``, or ``cores`` for ``auto``.

    Parameters
    ----------
    config : dict
        Resolved configuration (:mod:`neqent.pipeline.config`).
    cores : int
        Cores the job gets [1] (Snakemake's ``threads`` of the rule, at most ``--cores``).

    Returns
    -------
    int
        Ranks [1], >= 1.
    """
    tasks = _count_setting(config.get("mpi", {}).get("tasks", AUTO), "mpi.tasks")
    return max(1, int(cores)) if tasks == AUTO else tasks


def check_scale_config(config):
    """Semantic checks of the scale and MPI settings (the schema checks types); BudgetError naming the key.

    Parameters
    ----------
    config : dict
        Resolved configuration (:mod:`neqent.pipeline.config`).
    """
    scale_settings(config)
    _count_setting(config.get("mpi", {}).get("tasks", AUTO), "mpi.tasks")
    for name, scan in config["scans"].items():
        store = scan.get("store", {})
        if name == "map" and store.get("rates", "grid") != "grid":
            raise BudgetError(
                "config key 'scans.map.store.rates': the paper map keeps its rates on the grid "
                "(fig4b's dynamics reads them); allowed: grid"
            )
        if "T_M" not in scan and (store or "shards" in scan):
            raise BudgetError(f"config key 'scans.{name}': store/shards need a T_M grid (this scan is kernel-only)")
        if "shards" in scan:
            _count_setting(scan["shards"], f"scans.{name}.shards", upper=MAX_SHARDS)
