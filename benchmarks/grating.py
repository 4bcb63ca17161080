"""Cost of a converged two-qubit point above a SiC grating, of a further position, and of 1 vs 2 ranks.

Run: ``python benchmarks/grating.py [tol_ranks] [tol_point]`` (defaults 1e-3 and 1e-4). The case
of issue 22: SiC ridges, D = 1 um, f = 0.5, h = 0.5 um, vacuum grooves and below, omega =
0.3 w_T of SiC, both qubits at z = 1 um, 250 nm apart along x from x = 0 (over a ridge).

Side by side in one run:

* 1 vs 2 MPI ranks (``mpiexec -n 1`` / ``-n 2``, one thread each, ``rank_map``) and 1 vs 2
  threads (``thread_map``, one process) for the first point at ``tol_ranks``; every run
  gives the same bits (checked here);
* the converged point at ``tol_point`` with the default threads (every CPU), the time of a
  further position on the same table (the pair moved by D/2, over a groove), and the change
  against ``tol_ranks`` (the accuracy estimate).

Results: benchmarks/results/grating.md.
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from neqent.electrodynamics.grating import Grating, available_cpus
from neqent.electrodynamics.materials import get_layer_material

R1, R2 = np.array([0.0, 0.0, 1e-6]), np.array([0.25e-6, 0.0, 1e-6])
SHIFT = np.array([0.5e-6, 0.0, 0.0])  # over a groove


def _omega():
    return 0.3 * get_layer_material("sic").resonance


def first_point(tol, workers=None, kmap=None):
    """Time [s] and blocks of the first point (FMM on the adaptive rule, then the contraction)."""
    body = Grating("sic", 1e-6, 0.5, 0.5e-6, tol=tol, workers=workers)
    t0 = time.perf_counter()
    n = body.part_count(_omega(), R1, R2)
    blocks = body.part_blocks(_omega(), R1, R2, range(n), kmap=kmap)
    return time.perf_counter() - t0, blocks, body


def ranks_run(tol, out):
    """Under mpiexec: the first point with the k points split over the ranks; rank 0 saves time and blocks."""
    from mpi4py import MPI

    from neqent.electrodynamics.grating import rank_map

    comm = MPI.COMM_WORLD
    comm.Barrier()
    seconds, blocks, _ = first_point(tol, workers=1, kmap=rank_map(comm))
    if comm.rank == 0:
        np.save(out, np.stack(blocks))
        Path(out).with_suffix(".json").write_text(json.dumps({"seconds": seconds}))


def _ranks(tol, n):
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "blocks.npy")
        cmd = ["mpiexec", "-n", str(n), sys.executable, __file__, "--ranks-run", str(tol), out]
        subprocess.run(cmd, check=True)
        return json.loads(Path(out).with_suffix(".json").read_text())["seconds"], np.load(out)


def main(tol_ranks=1e-3, tol_point=1e-4):
    omega = _omega()
    print(f"SiC grating D = 1 um, f = 0.5, h = 0.5 um, omega = {omega:.4g} rad/s, z = 1 um, r12 = 250 nm along x")
    print(f"CPUs available: {available_cpus()}")
    t1, b1 = _ranks(tol_ranks, 1)
    t2, b2 = _ranks(tol_ranks, 2)
    same = np.array_equal(b1, b2)
    print(f"tol {tol_ranks:g}: 1 rank {t1:.1f} s, 2 ranks {t2:.1f} s: speed-up {t1 / t2:.2f}x, same bits: {same}")
    s1, c1, _ = first_point(tol_ranks, workers=1)
    s2, c2, _ = first_point(tol_ranks, workers=2)
    same = all(np.array_equal(a, b) for a, b in zip(c1, c2)) and np.array_equal(np.stack(c1), b1)
    print(f"tol {tol_ranks:g}: 1 thread {s1:.1f} s, 2 threads {s2:.1f} s: speed-up {s1 / s2:.2f}x, same bits: {same}")
    body = Grating("sic", 1e-6, 0.5, 0.5e-6, tol=tol_point)
    t0 = time.perf_counter()
    first = body.pair_block(omega, R1, R2)
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    body.pair_block(omega, R1 + SHIFT, R2 + SHIFT)
    t_next = time.perf_counter() - t0
    acc = body.last_accuracy
    loose = [x.sum(axis=0) for x in c2]
    change = max(np.abs(a - b).max() for a, b in zip(first, loose))
    print(
        f"tol {tol_point:g}: orders {body.last_orders} (table {acc['table_orders']}), {acc['k_points']} k points, "
        f"first {t_first:.1f} s on {available_cpus()} CPUs, further position {t_next:.3f} s "
        f"({100 * t_next / t_first:.2f} %), change vs tol {tol_ranks:g} {change:.2e}"
    )
    W, M, _ = first
    print(
        f"  alpha_W^11 zz {W[0, 0, 0, 2, 2].real:.6f}, alpha_M^11 zz {M[0, 0, 0, 2, 2].real:.6f}, "
        f"alpha_M^12 zz {M[0, 0, 1, 2, 2].real:.6f} [Gamma0]"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--ranks-run":
        ranks_run(float(sys.argv[2]), sys.argv[3])
    else:
        main(*(float(t) for t in sys.argv[1:3]))
