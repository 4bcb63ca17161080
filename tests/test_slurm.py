"""The SLURM submission path against a real single-node SLURM on this machine.

tests/slurm/cluster.sh starts munged, slurmctld and slurmd (Debian's slurm-wlm
22.05, installed by tests/slurm/install.sh) from a config in a temp directory;
the fixture below stops them by PID at teardown, also when a test fails.

* ``srun`` with Slurm's PMI-2 wires the pip ``mpich`` wheel into one
  2-rank MPI_COMM_WORLD (the launch the profile's ``mpi: srun --mpi=pmi2`` relies on).
* The whole DAG of config/test.yaml submitted through profiles/slurm
  (sbatch per job, kernel stage as a 2-task MPI job under srun) gives the same
  NetCDF data as a local ``snakemake --cores 2`` run.

Without SLURM the tests skip, saying why; with NEQENT_REQUIRE_SLURM=1 they
fail instead (for a CI that installed SLURM and must not skip silently).
Only the site placeholders of profiles/slurm are overridden on the command
line (partition, account, MPI task count capped at this node's 2 CPUs, the
profile's ``cores`` set to them, which config ``auto`` counts resolve from) plus
the status command: this test cluster has no slurmdbd, so ``sacct`` cannot
answer and the plugin must ask ``squeue`` (see docs/slurm.md).
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

REPO = Path(__file__).resolve().parents[1]
CLUSTER_SH = REPO / "tests" / "slurm" / "cluster.sh"
SNAKEFILE = REPO / "Snakefile"
PROFILE = REPO / "profiles" / "slurm"
TEST_CONFIG = REPO / "config" / "test.yaml"
BINARIES = ("munged", "munge", "slurmctld", "slurmd", "sinfo", "srun", "sbatch", "squeue", "scontrol")
PARTITION = "debug"  # the partition cluster.sh defines
NODE_CPUS = 2  # cluster.sh sizes the node to nproc; this host has 2 cores
TOL = 1e-12  # allowed |slurm - local| relative to the variable's largest magnitude

pytestmark = pytest.mark.slurm


def _unavailable(reason):
    """Skip (default) or fail (NEQENT_REQUIRE_SLURM=1) when no scheduler can be had."""
    msg = f"real SLURM not available: {reason}"
    if os.environ.get("NEQENT_REQUIRE_SLURM") == "1":
        pytest.fail(msg)
    pytest.skip(msg)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path, n=15):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="module")
def slurm_env(tmp_path_factory):
    """Start a one-node cluster; yield the environment its clients need; stop it."""
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        _unavailable(f"missing {missing}; install with tests/slurm/install.sh")
    if os.geteuid() != 0:
        _unavailable("slurmd must run as root here (SlurmdUser=root)")
    state = tmp_path_factory.mktemp("slurm")
    env = dict(
        os.environ,
        NEQENT_SLURM_DIR=str(state),
        NEQENT_SLURM_CTLD_PORT=str(_free_port()),
        NEQENT_SLURM_SLURMD_PORT=str(_free_port()),
        SLURM_CONF=str(state / "etc" / "slurm.conf"),
    )
    try:
        proc = subprocess.run(["bash", str(CLUSTER_SH), "start"], env=env, capture_output=True, text=True, timeout=180)
        if proc.returncode != 0:
            logs = "\n".join(
                f"--- {n}.log\n{_tail(state / 'log' / f'{n}.log')}" for n in ("munged", "slurmctld", "slurmd")
            )
            _unavailable(f"cluster.sh start failed ({proc.returncode}): {proc.stderr.strip()}\n{logs}")
        yield env
    finally:
        # Stops munged, slurmctld, slurmd by their PID files, whatever happened above.
        subprocess.run(["bash", str(CLUSTER_SH), "stop"], env=env, capture_output=True, text=True, timeout=120)


def test_srun_starts_one_mpi_world_of_two_ranks(slurm_env):
    code = (
        "from mpi4py import MPI; c = MPI.COMM_WORLD; print(c.Get_rank(), c.Get_size(), c.allreduce(c.Get_rank() + 1))"
    )
    proc = subprocess.run(
        ["srun", "--mpi=pmi2", "-n", "2", "python", "-c", code],
        env=slurm_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    # ranks 0 and 1 of one world of size 2; the allreduce 1 + 2 proves they talk
    assert sorted(proc.stdout.split("\n")[:-1]) == ["0 2 3", "1 2 3"], proc.stdout + proc.stderr


def _site_overrides():
    """Command-line flags that replace profiles/slurm's site placeholders for this cluster.

    A command-line --default-resources / --set-resources replaces the profile's
    whole list, so the profile's own entries are read and passed on unchanged
    except: partition -> 'debug', the '<account>' placeholder dropped (no
    accounting here), every rule's MPI tasks capped at the node's CPUs, and
    --cores = the node's CPUs (the profile's 50 would let an MPI rule the
    profile does not name ask 50 ranks under mpi.tasks 'auto').
    """
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    defaults = dict(profile.get("default-resources") or {})
    defaults["slurm_partition"] = PARTITION
    if str(defaults.get("slurm_account", "")).startswith("<"):
        del defaults["slurm_account"]
    set_res = {rule: dict(res) for rule, res in (profile.get("set-resources") or {}).items()}
    set_res.setdefault("kernels", {})["tasks"] = NODE_CPUS
    set_res["kernels"].setdefault("mpi", "srun")
    for res in set_res.values():  # every MPI rule (kernels, the design extra): at most the node's CPUs
        if "tasks" in res:
            res["tasks"] = min(int(res["tasks"]), NODE_CPUS)
    args = ["--cores", str(NODE_CPUS)]
    args += ["--default-resources", *(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in defaults.items())]
    args += [
        "--set-resources",
        *(
            f"{rule}:{k}={v!r}" if isinstance(v, str) else f"{rule}:{k}={v}"
            for rule, res in set_res.items()
            for k, v in res.items()
        ),
    ]
    return args


def _snakemake(workdir, *args, env=None, timeout=900):
    cmd = [
        "snakemake",
        "--snakefile",
        str(SNAKEFILE),
        "--directory",
        str(workdir),
        "--configfile",
        str(TEST_CONFIG),
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=workdir, env=env)


def _max_rel_diff(a, b):
    """max |a - b| / max(|a|) over one variable (0 for identical, inf for NaN mismatch)."""
    a, b = np.asarray(a), np.asarray(b)
    if not np.issubdtype(a.dtype, np.number):
        return 0.0 if np.array_equal(a, b) else np.inf
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return np.inf
    ok = ~np.isnan(a)
    if not ok.any():
        return 0.0
    scale = max(np.max(np.abs(a[ok])), np.finfo(float).tiny)
    return float(np.max(np.abs(a[ok] - b[ok])) / scale)


def test_profile_on_real_slurm_matches_local_run(slurm_env, tmp_path):
    for f in (SNAKEFILE, PROFILE / "config.yaml", TEST_CONFIG):
        if not f.exists():
            pytest.skip(f"pipeline not present yet: {f.relative_to(REPO)}")
    local, remote = tmp_path / "local", tmp_path / "slurm"
    local.mkdir(), remote.mkdir()

    proc = _snakemake(local, "--cores", "2")
    assert proc.returncode == 0, proc.stderr[-4000:]

    t0 = time.monotonic()
    proc = _snakemake(
        remote,
        "--workflow-profile",
        str(PROFILE),
        *_site_overrides(),
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
        env=slurm_env,
    )
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr[-6000:]

    # Every rule really went through sbatch: finished jobs stay in squeue (MinJobAge=3600).
    rows = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--format=%i|%T|%C|%k"],
        env=slurm_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    jobs = [r.split("|") for r in rows]
    assert jobs and all(state == "COMPLETED" for _, state, _, _ in jobs), rows
    kernel_jobs = [j for j in jobs if j[3].startswith("rule_kernels")]
    assert kernel_jobs and all(int(cpus) == NODE_CPUS for _, _, cpus, _ in kernel_jobs), rows

    files = sorted(p.relative_to(local / "results") for p in (local / "results").rglob("*.nc"))
    assert files == sorted(p.relative_to(remote / "results") for p in (remote / "results").rglob("*.nc"))
    worst = {}
    for name in files:
        with xr.open_dataset(local / "results" / name) as a, xr.open_dataset(remote / "results" / name) as b:
            if a.attrs.get("stage") == "kernels":  # the MPI stage: 1 rank locally, 2 under srun
                assert int(b.attrs["mpi_ranks"]) == NODE_CPUS, name
            assert set(a.data_vars) == set(b.data_vars), name
            assert set(a.coords) == set(b.coords), name
            for var in list(a.data_vars) + list(a.coords):
                assert a[var].dims == b[var].dims, (name, var)
                worst[f"{name}:{var}"] = _max_rel_diff(a[var].values, b[var].values)
    bad = {k: v for k, v in worst.items() if not v <= TOL}
    assert not bad, bad
    print(
        f"\nslurm run {elapsed:.0f} s, {len(jobs)} sbatch jobs, {len(files)} NetCDF files, "
        f"{len(worst)} variables, max relative difference {max(worst.values()):.3g}"
    )
