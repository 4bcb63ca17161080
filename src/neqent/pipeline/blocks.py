"""Block plans: how a stage walks through a grid in memory-bounded pieces.

A grid of shape ``(n_0, ..., n_{d-1})`` (C order, the last dimension fastest)
is cut into *blocks* that are at the same time

* hyperslabs (one index in each dimension before some dimension ``k``, a
  range of dimension ``k``, everything after it), so a block is read from
  and written to a NetCDF variable with one slicing call, and
* contiguous ranges ``[start, stop)`` of the flattened grid index.

The plan depends only on the grid shape, the maximum block size and the
alignment (the NetCDF chunk length along ``k``) -- never on the number of MPI
ranks or shards. Ranks and shards only decide *who* computes a block, and
every point is computed by the same per-point arithmetic in the same block,
so the results are bit-identical for any rank or shard count.

Shards (Snakemake jobs) take contiguous runs of blocks
(:func:`shard_blocks`); MPI ranks take blocks round-robin (:func:`rank_blocks`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Block", "plan_blocks", "shard_blocks", "rank_blocks", "block_of_flat"]


@dataclass(frozen=True)
class Block:
    """One block of a grid: its position in the plan, flat range and hyperslab.

    Parameters
    ----------
    index : int
        Position in the plan.
    start : int
        First flat (C-order) grid index.
    stop : int
        One past the last flat index.
    slices : tuple of slice
        One slice per grid dimension.
    shape : tuple of int
        Shape of the hyperslab.
    """

    index: int
    start: int  # first flat (C-order) grid index
    stop: int  # one past the last flat index
    slices: tuple  # one slice per grid dimension
    shape: tuple  # shape of the hyperslab

    @property
    def size(self) -> int:
        """Number of grid points in the block [1]."""
        return self.stop - self.start


def _split_dim(shape, max_points):
    """Smallest dimension k whose trailing sub-grid prod(shape[k+1:]) fits in ``max_points``."""
    inner = 1
    for k in range(len(shape) - 1, -1, -1):
        if inner * shape[k] > max_points:
            return k, inner
        inner *= shape[k]
    return 0, inner // shape[0] if shape and shape[0] else 1


def plan_blocks(shape, max_points, align=None):
    """Blocks covering a grid, each of at most ``max(max_points, prod(shape[k+1:]))`` points.

    Parameters
    ----------
    shape : tuple of int
        Grid shape (C order).
    max_points : int
        Target block size [points], >= 1.
    align : tuple of int, optional
        Chunk length per dimension; the range along the split dimension is then
        rounded down to a multiple of that length when it holds at least one (so
        blocks write whole NetCDF chunks).

    Returns
    -------
    list of Block
        In flat order; an empty grid gives an empty list.
    """
    shape = tuple(int(n) for n in shape)
    if any(n == 0 for n in shape):
        return []
    if not shape:
        return [Block(0, 0, 1, (), ())]
    max_points = max(1, int(max_points))
    k, inner = _split_dim(shape, max_points)
    step = max(1, max_points // inner)
    if align is not None and align[k] and step >= int(align[k]):
        step = step // int(align[k]) * int(align[k])
    step = min(step, shape[k])
    strides = [int(np.prod(shape[i + 1 :])) for i in range(len(shape))]
    blocks = []
    for outer in np.ndindex(*shape[:k]):
        base = sum(i * s for i, s in zip(outer, strides))
        for s in range(0, shape[k], step):
            e = min(s + step, shape[k])
            slices = tuple(slice(i, i + 1) for i in outer) + (slice(s, e),) + (slice(None),) * (len(shape) - k - 1)
            bshape = (1,) * k + (e - s,) + shape[k + 1 :]
            start = base + s * strides[k]
            blocks.append(Block(len(blocks), start, start + (e - s) * strides[k], slices, bshape))
    return blocks


def shard_blocks(blocks, shard, shards):
    """The contiguous run of ``blocks`` that one shard computes.

    Parameters
    ----------
    blocks : list of Block
        The plan.
    shard : int
        0-based shard index, < ``shards``.
    shards : int
        Number of shards, >= 1.

    Returns
    -------
    list of Block
        The shard's blocks.
    """
    n = len(blocks)
    return blocks[shard * n // shards : (shard + 1) * n // shards]


def rank_blocks(blocks, rank, size):
    """Blocks of one MPI rank: round-robin, so the ranks finish together.

    Parameters
    ----------
    blocks : list of Block
        The plan.
    rank : int
        0-based rank, < ``size``.
    size : int
        Number of ranks.

    Returns
    -------
    list of Block
        The rank's blocks.
    """
    return blocks[rank::size]


def block_of_flat(blocks, start, stop):
    """The blocks whose flat ranges lie inside ``[start, stop)`` (a shard's range).

    Parameters
    ----------
    blocks : list of Block
        The plan.
    start, stop : int
        Flat (C-order) grid index range.

    Returns
    -------
    list of Block
        The blocks inside it.
    """
    return [b for b in blocks if b.start >= start and b.stop <= stop]
