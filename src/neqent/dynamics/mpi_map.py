"""Batched evaluations spread over MPI ranks, identical for any rank count (physics-free).

:class:`MPIMap` is :class:`neqent.dynamics.search.ChunkedMap` over MPI: rank 0
runs the search and calls the map with a batch; the batch is cut into chunks
of ``chunk`` rows whatever the rank count, rank r evaluates chunks r, r + size,
... and rank 0 concatenates them in order. Each chunk is computed by the same
code on the same rows, so the values -- and hence the whole search -- are bit
for bit the same for 1, 2 or 64 ranks at a fixed seed and batch size. The other
ranks wait in :func:`serve` until rank 0 releases them.

:func:`launched_ranks` reads the rank count an MPI launcher announced, so that
a plain run never initialises MPI.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["MPIMap", "serve", "release", "launched_ranks", "world"]

#: Environment variables in which MPI launchers (mpiexec/hydra, Open MPI, srun) give the rank count.
LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "SLURM_STEP_NUM_TASKS")


def launched_ranks() -> int:
    """Rank count an MPI launcher announced in the environment (1 if none).

    Returns
    -------
    int
        Number of ranks [1].
    """
    sizes = []
    for var in LAUNCHER_SIZE_VARS:
        try:
            sizes.append(int(os.environ[var]))
        except (KeyError, ValueError):
            continue
    return max(sizes, default=1)


def world():
    """COMM_WORLD when started by an MPI launcher with several ranks, else None (serial).

    Returns
    -------
    mpi4py.MPI.Comm or None
        The communicator.
    """
    if launched_ranks() <= 1:
        return None
    from mpi4py import MPI

    return MPI.COMM_WORLD if MPI.COMM_WORLD.Get_size() > 1 else None


def serve(comm):
    """Evaluate rank 0's batches until it releases the ranks (call on every rank != 0).

    Each message carries the function, so one serving loop covers any number
    of successive maps (e.g. one search per family) on rank 0.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm
        The communicator.
    """
    while True:
        msg = comm.bcast(None, root=0)
        if msg is None:
            return
        func, X, chunk = msg
        _round(comm, func, X, chunk)


def release(comm):
    """Rank 0: end the serving loops of the other ranks (:func:`serve`).

    Parameters
    ----------
    comm : mpi4py.MPI.Comm
        The communicator.
    """
    comm.bcast(None, root=0)


def _round(comm, func, X, chunk):
    """One batch: chunk k on rank k mod size; rank 0 gathers them in order (None elsewhere)."""
    rank, size = comm.Get_rank(), comm.Get_size()
    parts = [X[s : s + chunk] for s in range(0, X.shape[0], chunk)]
    mine = {}
    for k in range(rank, len(parts), size):
        try:
            mine[k] = np.asarray(func(parts[k]), float)
        except Exception as exc:  # noqa: BLE001 -- sent to rank 0, which re-raises it
            mine[k] = exc
            break
    gathered = comm.gather(mine, root=0)
    if rank != 0:
        return None
    done = {k: v for part in gathered for k, v in part.items()}
    for v in done.values():
        if isinstance(v, Exception):
            raise v
    out = [done[k] for k in range(len(parts))]
    return np.concatenate(out) if out else np.empty(0)


class MPIMap:
    """Evaluate ``func`` on the rows of a batch in fixed chunks over the ranks of ``comm`` (rank 0).

    Rank 0 calls the map (X (N, d) -> the row-wise results concatenated, as
    floats) while every other rank runs :func:`serve`. Use as a context
    manager; leaving it releases the serving ranks unless ``keep`` (then rank 0
    calls :func:`release` after its last map). An exception raised while
    evaluating on any rank is re-raised on rank 0.

    Parameters
    ----------
    func : callable
        (n, d) -> (n, ...) values; picklable (it is sent with each batch).
    comm : mpi4py.MPI.Comm
        The communicator.
    chunk : int
        Rows per call of ``func`` [1], independent of the rank count.
    keep : bool
        Leave the serving ranks running on exit (several maps in a row).
    """

    def __init__(self, func, comm, chunk=16, keep=False):
        self.func, self.comm, self.chunk, self.keep = func, comm, max(1, int(chunk)), keep

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Release the serving ranks (once; not with ``keep``)."""
        if self.comm is not None and not self.keep:
            release(self.comm)
        self.comm = None

    def __call__(self, X):
        X = np.asarray(X, float)
        self.comm.bcast((self.func, X, self.chunk), root=0)
        return _round(self.comm, self.func, X, self.chunk)
