"""Rates and steady stages streamed in blocks, across MPI ranks or Snakemake shards.

The grid of a scan is ``(*kernel axes, T_M)``. Both stages walk it in the
blocks of :func:`neqent.pipeline.blocks.plan_blocks` (a plan fixed by the grid
shape, the memory budget and the NetCDF chunks, never by the rank or shard
count), so every point goes through the same arithmetic whoever computes it:
the files are bit-identical for any number of ranks or shards.

* rates: Gamma(+-w) = broadcast of the kernels against n(omega, T)
  (:func:`neqent.dynamics.rates.rates`). ``grid`` storage writes them on every
  point; ``compact`` storage writes only what they are broadcast from
  (alpha_W, alpha_M, Lambda, n_W, n_M) and the steady stage rebuilds each
  block with the same call -- same bits.
* steady: :func:`neqent.dynamics.master.steady_state` per block, then the
  concurrence (closed form for X states, :mod:`neqent.dynamics.xstate`);
  stores ``rho``, the X elements (``x``) or ``C`` only.

Parallel runs: under MPI (``comm``) rank r computes blocks r, r + size, ...
and sends them to rank 0, which writes in block order. Snakemake shards
(``shard`` i of n) compute a contiguous run of blocks each into a shard file
(flat ``point`` dimension); :func:`gather_shards` assembles them into the
one result file of the scan.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import sys
import time

import numpy as np
import xarray as xr

from neqent.pipeline.blockio import CHUNK_ELEMENTS, BlockWriter, choose_chunks, get_block
from neqent.pipeline.blocks import plan_blocks, rank_blocks, shard_blocks
from neqent.pipeline.grid import BASIS, COORD_ATTRS, kernel_dims

__all__ = [
    "RateSource",
    "RateInputs",
    "occupations",
    "steady_variables",
    "steady_outputs",
    "grid_plan",
    "run_blocks",
    "stream_rates",
    "compact_rates",
    "stream_steady",
    "gather_shards",
    "check_shards",
    "STEADY_VARIABLES",
]

log = logging.getLogger("neqent.pipeline.streaming")


def _attrs(units, long_name):
    return {"units": units, "long_name": long_name}


#: steady storage -> variables: name -> (trailing dims, dtype, attrs)
STEADY_VARIABLES = {
    "rho": {
        "rho": (("i", "j"), complex, _attrs("1", "steady-state density matrix (decoupled basis)")),
        "C": ((), float, _attrs("1", "steady-state concurrence")),
    },
    "x": {
        "rho_diag": (("i",), float, _attrs("1", "steady-state populations rho_ii (decoupled basis)")),
        "rho_23": ((), complex, _attrs("1", "steady-state coherence rho_23 = <eg|rho|ge> (X element)")),
        "rho_14": ((), complex, _attrs("1", "steady-state coherence rho_14 = <gg|rho|ee> (X element)")),
        "C": ((), float, _attrs("1", "steady-state concurrence")),
    },
    "C": {"C": ((), float, _attrs("1", "steady-state concurrence"))},
}
_TRAILING_SIZE = {"i": 4, "j": 4, "q": 2, "qp": 2}


def grid_view(da, grid_dims, grid_shape, trailing=()):
    """Zero-copy view of a DataArray broadcast onto the grid (``trailing`` dims kept last).

    Parameters
    ----------
    da : xarray.DataArray
        Variable over some of ``grid_dims`` (and the ``trailing`` dims).
    grid_dims : tuple of str
        Grid dimensions in order.
    grid_shape : tuple of int
        Grid shape.
    trailing : tuple of str
        Dimensions of ``da`` kept after the grid ones.

    Returns
    -------
    ndarray, shape (``*grid_shape``, ``*trailing``)
        Read-only broadcast view (units of ``da``).
    """
    lead = [d for d in grid_dims if d in da.dims]
    arr = da.transpose(*lead, *trailing).values
    shape = [n if d in da.dims else 1 for d, n in zip(grid_dims, grid_shape)] + list(arr.shape[len(lead) :])
    return np.broadcast_to(arr.reshape(shape), tuple(grid_shape) + arr.shape[len(lead) :])


def occupations(omega, T_M, T_W):
    """Bose occupations of the wall and the body on the rates grid.

    Parameters
    ----------
    omega : xarray.DataArray
        Angular frequency [rad/s].
    T_M : array_like, shape (nT,)
        Body temperatures [K] (dimension ``T_M``).
    T_W : float
        Wall temperature [K].

    Returns
    -------
    n_W : xarray.DataArray
        n(omega, T_W) [1] over omega's dims.
    n_M : xarray.DataArray
        n(omega, T_M) [1] over (omega's dims, T_M).
    """
    from neqent.dynamics.rates import occupation

    om_b, T_b = xr.broadcast(omega, xr.DataArray(T_M, dims="T_M"))
    n_M = xr.DataArray(occupation(om_b.values, T_b.values), dims=om_b.dims)
    n_W = xr.DataArray(occupation(omega.values, float(T_W)), dims=omega.dims)
    return n_W, n_M


class _BroadcastRates:
    """Gamma(+-w) [Gamma0] of a block, broadcast from alpha_W, alpha_M (``(*axes, q, qp)``
    [Gamma0]) and n_W, n_M (occupations [1]) over the grid ``grid_dims`` of shape ``shape``.

    The one implementation behind the rates stage (:class:`RateInputs`) and compact rates
    rebuilt by the steady stage (:class:`RateSource`), so both give the same bits.
    """

    def __init__(self, alpha_W, alpha_M, n_W, n_M, grid_dims, shape):
        g = (grid_dims, shape)
        self._aW = grid_view(alpha_W, *g, ("q", "qp"))
        self._aM = grid_view(alpha_M, *g, ("q", "qp"))
        self._nW = grid_view(n_W, *g)
        self._nM = grid_view(n_M, *g)

    def __call__(self, slices):
        from neqent.dynamics.rates import rates

        return rates(self._aW[slices], self._aM[slices], self._nW[slices], self._nM[slices])


class RateInputs:
    """Kernels, occupations and the rate grid ``(*axes, T_M)`` of the rates stage (kernels in memory).

    Parameters
    ----------
    kernels : xarray.Dataset
        Output of the kernels stage (``alpha_W``, ``alpha_M`` [Gamma0], ``omega`` [rad/s]).
    T_M : array_like, shape (nT,)
        Body temperatures [K].
    T_W : float
        Wall temperature [K].
    """

    def __init__(self, kernels, T_M, T_W):
        self.kernels = kernels
        self.T_M = np.asarray(T_M, float)
        self.T_W = float(T_W)
        kdims = kernel_dims(kernels.dims)
        self.grid_dims = kdims + ("T_M",)
        self.shape = tuple(kernels.sizes[d] for d in kdims) + (self.T_M.size,)
        self.n_W, self.n_M = occupations(kernels["omega"], self.T_M, self.T_W)
        self._rates = _BroadcastRates(
            kernels["alpha_W"], kernels["alpha_M"], self.n_W, self.n_M, self.grid_dims, self.shape
        )

    def block(self, block):
        """Rates on one block.

        Parameters
        ----------
        block : Block
            A block of the grid ``(*axes, T_M)``.

        Returns
        -------
        gamma_plus, gamma_minus : ndarray, shape (``*block.shape``, 2, 2), complex
            Gamma(+w), Gamma(-w) [Gamma0].
        """
        return self._rates(block.slices)


class RateSource:
    """Rates of a rates-stage dataset (grid or compact storage; in memory or opened lazily), block by block.

    Parameters
    ----------
    rates_ds : xarray.Dataset
        Output of the rates stage (rates [Gamma0]).
    """

    def __init__(self, rates_ds):
        self.ds = rates_ds
        self.compact = rates_ds.attrs.get("rates_storage") == "compact"
        kdims = kernel_dims(rates_ds.dims)
        self.grid_dims = kdims + ("T_M",)
        self.shape = tuple(rates_ds.sizes[d] for d in self.grid_dims)
        lam = _complex_da(rates_ds, "lambda12")
        self._lam = grid_view(lam, self.grid_dims, self.shape)
        if self.compact:
            self._rates = _BroadcastRates(
                _complex_da(rates_ds, "alpha_W"),
                _complex_da(rates_ds, "alpha_M"),
                rates_ds["n_W"].load(),
                rates_ds["n_M"].load(),
                self.grid_dims,
                self.shape,
            )

    def block(self, block):
        """Rates and coherent coupling on one block.

        Parameters
        ----------
        block : Block
            A block of the grid ``(*axes, T_M)``.

        Returns
        -------
        gamma_plus, gamma_minus : ndarray, shape (``*block.shape``, 2, 2), complex
            Gamma(+w), Gamma(-w) [Gamma0].
        lambda12 : ndarray, shape (``*block.shape``), complex
            Lambda^{12} [Gamma0] (contiguous).
        """
        s = block.slices
        if self.compact:
            gp, gm = self._rates(s)
        else:
            idx = s + (slice(None), slice(None))
            gp, gm = get_block(self.ds, "gamma_plus", idx), get_block(self.ds, "gamma_minus", idx)
        return gp, gm, np.ascontiguousarray(self._lam[s])


def _complex_da(ds, name):
    """A (small) complex variable as an in-memory DataArray, from ``name`` or its ``_re``/``_im`` pair."""
    if name in ds.variables:
        return ds[name].load()
    re, im = ds[f"{name}_re"].load(), ds[f"{name}_im"].load()
    return xr.DataArray(re.values + 1j * im.values, dims=re.dims)


def steady_outputs(rho, store):
    """Stored steady variables of a storage choice from the steady states.

    Parameters
    ----------
    rho : ndarray, shape (..., 4, 4), complex
        Steady density matrices [1].
    store : {"rho", "x", "C"}
        Storage choice (:data:`STEADY_VARIABLES`).

    Returns
    -------
    dict of str to ndarray
        ``C`` [1] always; ``rho`` [1] for ``"rho"``; ``rho_diag``, ``rho_23``,
        ``rho_14`` [1] for ``"x"``.
    """
    from neqent.dynamics.xstate import steady_concurrence

    C = np.asarray(steady_concurrence(rho), float)
    if store == "rho":
        return {"rho": rho, "C": C}
    if store == "x":
        diag = np.ascontiguousarray(np.real(np.diagonal(rho, axis1=-2, axis2=-1)))
        return {"rho_diag": diag, "rho_23": rho[..., 1, 2], "rho_14": rho[..., 0, 3], "C": C}
    return {"C": C}


def steady_block(source, block, store):
    """Steady states of one block of a :class:`RateSource`, as stored variables.

    Parameters
    ----------
    source : RateSource
        The rates.
    block : Block
        A block of the grid.
    store : {"rho", "x", "C"}
        Storage choice.

    Returns
    -------
    dict of str to ndarray
        As :func:`steady_outputs` ([1]).
    """
    from neqent.dynamics.master import steady_state

    gp, gm, lam = source.block(block)
    return steady_outputs(np.asarray(steady_state(gp, gm, lam)), store)


def steady_variables(store):
    """Variables of a steady storage choice.

    Parameters
    ----------
    store : {"rho", "x", "C"}
        Storage choice; ValueError otherwise.

    Returns
    -------
    dict
        Name -> (trailing dims, dtype, attrs with ``units``).
    """
    if store not in STEADY_VARIABLES:
        raise ValueError(f"steady storage {store!r}: allowed {', '.join(STEADY_VARIABLES)}")
    return STEADY_VARIABLES[store]


def grid_plan(shape, block_points, trailing_max=1):
    """Chunk shape and block plan of a grid.

    Chunks are sized so that a variable with ``trailing_max`` trailing elements
    per point still has ~1 MiB chunks; the blocks are aligned to them.

    Parameters
    ----------
    shape : tuple of int
        Grid shape.
    block_points : int
        Grid points per block [1].
    trailing_max : int
        Largest number of trailing elements per point [1].

    Returns
    -------
    chunks : tuple of int
        Grid chunk shape.
    blocks : list of Block
        The plan (:func:`neqent.pipeline.blocks.plan_blocks`).
    """
    chunks = choose_chunks(shape, max(1, CHUNK_ELEMENTS // max(1, trailing_max)))
    return chunks, plan_blocks(shape, block_points, chunks)


def _trailing(dims):
    return int(np.prod([_TRAILING_SIZE[d] for d in dims])) if dims else 1


#: Finished blocks a computing MPI rank may have on their way to rank 0 at once.
SENDS_IN_FLIGHT = 3


def run_blocks(blocks, compute, sink, comm=None, desc=None, progress=True):
    """Compute every block and pass the results to ``sink(block, outputs)`` in block order.

    Serial, or under MPI: rank r computes blocks r, r + size, ... (round
    robin) and sends them to rank 0, which calls ``sink``.

    Parameters
    ----------
    blocks : list of Block
        The plan.
    compute : callable
        Block -> outputs.
    sink : callable
        Called as ``sink(block, outputs)`` on rank 0.
    comm : mpi4py.MPI.Comm, optional
        MPI communicator; None runs serially.
    desc : str, optional
        Progress bar label.
    progress : bool
        Show a progress bar.

    Returns
    -------
    t_compute, t_sink : float
        Time spent in ``compute`` on this rank and in ``sink`` (rank 0) [s].
    """
    rank = comm.Get_rank() if comm is not None else 0
    size = comm.Get_size() if comm is not None else 1
    t_compute = t_sink = 0.0
    if rank != 0:
        # up to SENDS_IN_FLIGHT finished blocks may wait for rank 0, so a rank is not
        # held in lockstep with rank 0's compute/write of its own blocks (bounded memory)
        pending = collections.deque()
        for b in rank_blocks(blocks, rank, size):
            t0 = time.perf_counter()
            out = compute(b)
            t_compute += time.perf_counter() - t0
            if len(pending) == SENDS_IN_FLIGHT:
                pending.popleft().wait()
            pending.append(comm.isend(out, dest=0, tag=b.index))
        for request in pending:
            request.wait()
        return t_compute, t_sink
    iterator = blocks
    if progress and desc:
        from tqdm import tqdm

        iterator = tqdm(blocks, desc=desc, unit="block", file=sys.stderr, mininterval=1.0)
    for pos, b in enumerate(iterator):
        t0 = time.perf_counter()
        if pos % size == 0:
            out = compute(b)
            t_compute += time.perf_counter() - t0
        else:
            out = comm.recv(source=pos % size, tag=b.index)
        t1 = time.perf_counter()
        sink(b, out)
        t_sink += time.perf_counter() - t1
    return t_compute, t_sink


def _writing(writer):
    """The writer as a context (closed on success, aborted on any exception), or a no-op
    on MPI ranks that do not write (``writer`` None)."""
    return writer if writer is not None else contextlib.nullcontext()


def _log_done(stage, npoints, t0, t_compute, t_sink, comm, c0=0.0):
    wall = time.perf_counter() - t0
    size = comm.Get_size() if comm is not None else 1
    # CPU seconds of every rank inside the stage (after start-up, since c0): shows the
    # balance of the split and the parallel speed-up whatever else loads the machine
    cpu = time.process_time() - c0
    cpu = comm.gather(cpu, root=0) if comm is not None else [cpu]
    if comm is not None and comm.Get_rank() != 0:
        return
    log.info(
        "%s: %d points in %.2f s (%.3g points/s; rank-0 compute %.2f s, write %.2f s; %d rank(s), CPU s per rank %s)",
        stage,
        npoints,
        wall,
        npoints / wall if wall > 0 else float("inf"),
        t_compute,
        t_sink,
        size,
        "/".join(f"{c:.1f}" for c in cpu),
    )


def _rates_coords(kernels, T_M, T_W):

    coords = {k: v for k, v in kernels.coords.items() if k not in ("ci", "cj")}
    coords["T_M"] = ("T_M", np.asarray(T_M, float), COORD_ATTRS["T_M"])
    coords["T_W"] = ((), float(T_W), COORD_ATTRS["T_W"])
    return coords


def _rates_attrs(kernels, storage):
    return {
        **{k: v for k, v in kernels.attrs.items() if k in ("scan", "material")},
        "title": f"neqent rates, scan {kernels.attrs.get('scan', '?')}",
        "stage": "rates",
        "rates_storage": storage,
    }


def _rates_small_vars(inputs):
    kdims = inputs.grid_dims[:-1]
    return {
        "lambda12": (
            kdims,
            inputs.kernels["lambda12"].transpose(*kdims).values,
            _attrs("1", "coherent coupling Lambda^{12} (units of Gamma0)"),
        ),
        "n_W": (inputs.n_W.dims, inputs.n_W.values, _attrs("1", "Bose occupation n(omega, T_W)")),
        "n_M": (inputs.n_M.dims, inputs.n_M.values, _attrs("1", "Bose occupation n(omega, T_M)")),
    }


def compact_rates(kernels, T_M, T_W):
    """Compact rates dataset: what Gamma(+-w) are broadcast from (alpha_W, alpha_M, Lambda, n_W, n_M).

    Parameters
    ----------
    kernels : xarray.Dataset
        Output of the kernels stage ([Gamma0]).
    T_M : array_like, shape (nT,)
        Body temperatures [K].
    T_W : float
        Wall temperature [K].

    Returns
    -------
    xarray.Dataset
        Kernels [Gamma0] and occupations [1] on the ``(*axes, T_M)`` grid, units in attributes.
    """
    inputs = RateInputs(kernels, T_M, T_W)
    kdims = inputs.grid_dims[:-1]
    data = _rates_small_vars(inputs)
    for name in ("alpha_W", "alpha_M"):
        da = kernels[name].transpose(*kdims, "q", "qp")
        data[name] = (da.dims, da.values, dict(kernels[name].attrs))
    return xr.Dataset(
        data, coords=_rates_coords(kernels, inputs.T_M, T_W), attrs=_rates_attrs(kernels, "compact")
    ).assign_attrs(
        comment="compact rates: Gamma(+w) = (1 + n_W) alpha_W + (1 + n_M) alpha_M, "
        "Gamma(-w) = n_W conj(alpha_W) + n_M conj(alpha_M) on the (axes, T_M) grid (docs/theory.md §5)"
    )


def stream_rates(kernels, T_M, T_W, path, config, block_points, comm=None, complevel=1, progress=True):
    """Rates stage on the grid, streamed: Gamma(+-w) over ``(*axes, T_M, q, qp)`` written block by block.

    Parameters
    ----------
    kernels : xarray.Dataset
        Output of the kernels stage ([Gamma0]).
    T_M : array_like, shape (nT,)
        Body temperatures [K].
    T_W : float
        Wall temperature [K].
    path : str or os.PathLike
        Output NetCDF file (rates [Gamma0]).
    config : dict
        Resolved configuration, recorded as provenance.
    block_points : int
        Grid points per block [1] (bounds memory).
    comm : mpi4py.MPI.Comm, optional
        MPI communicator (rank 0 writes); None runs serially.
    complevel : int
        zlib compression level.
    progress : bool
        Show a progress bar.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    inputs = RateInputs(kernels, T_M, T_W)
    chunks, blocks = grid_plan(inputs.shape, block_points, trailing_max=4)
    rank = comm.Get_rank() if comm is not None else 0
    log.info("rates: grid %s %s, %d blocks of <= %d points", inputs.grid_dims, inputs.shape, len(blocks), block_points)
    writer = None
    if rank == 0:
        small = _rates_small_vars(inputs)
        skeleton = xr.Dataset(small, coords=_rates_coords(kernels, inputs.T_M, T_W))
        skeleton["q"].attrs, skeleton["qp"].attrs = kernels["q"].attrs, kernels["qp"].attrs
        skeleton = skeleton.assign_attrs(_rates_attrs(kernels, "grid"))
        skeleton.attrs["block_points"] = int(block_points)
        dims = inputs.grid_dims + ("q", "qp")
        variables = {
            "gamma_plus": (dims, complex, _attrs("1", "downward rates Gamma^{qq'}(+omega) (units of Gamma0)")),
            "gamma_minus": (dims, complex, _attrs("1", "upward rates Gamma^{qq'}(-omega) (units of Gamma0)")),
        }
        writer = BlockWriter(
            path, skeleton, variables, config, complevel, chunks={k: chunks + (2, 2) for k in variables}
        )

    def sink(b, out):
        idx = b.slices + (slice(None), slice(None))
        writer.write("gamma_plus", idx, out[0])
        writer.write("gamma_minus", idx, out[1])

    with _writing(writer):
        tc, ts = run_blocks(blocks, inputs.block, sink, comm, f"rates[{kernels.attrs.get('scan')}]", progress)
    _log_done("rates", int(np.prod(inputs.shape)), t0, tc, ts, comm, c0)


def _steady_skeleton(source, store, extra_attrs=None):

    ds = source.ds
    coords = {k: ds[k].variable for k in ds.coords if k not in ("q", "qp")}
    sk = xr.Dataset(coords=coords)
    for k in sk.coords:
        sk[k].attrs = dict(ds[k].attrs)
    if store in ("rho", "x"):
        sk = sk.assign_coords(i=("i", BASIS, COORD_ATTRS["i"]))
    if store == "rho":
        sk = sk.assign_coords(j=("j", BASIS, COORD_ATTRS["j"]))
    sk.attrs = {
        **{k: v for k, v in ds.attrs.items() if k in ("scan", "material")},
        "title": f"neqent steady states, scan {ds.attrs.get('scan', '?')}",
        "stage": "steady",
        "steady_storage": store,
        **(extra_attrs or {}),
    }
    return sk


def stream_steady(rates_ds, path, config, block_points, store="rho", comm=None, shard=None, complevel=1, progress=True):
    """Steady stage streamed: ``rates_ds`` (grid or compact, lazy or in memory) -> NetCDF ``path``.

    Parameters
    ----------
    rates_ds : xarray.Dataset
        Output of the rates stage ([Gamma0]).
    path : str or os.PathLike
        Output NetCDF file (states and C [1]).
    config : dict
        Resolved configuration, recorded as provenance.
    block_points : int
        Grid points per block [1] (bounds memory).
    store : {"rho", "x", "C"}
        What is stored (:data:`STEADY_VARIABLES`).
    comm : mpi4py.MPI.Comm, optional
        MPI communicator (rank 0 writes); None runs serially.
    shard : tuple of int, optional
        ``(i, n)`` to compute only shard i of n into a shard file (gathered by
        :func:`gather_shards`).
    complevel : int
        zlib compression level.
    progress : bool
        Show a progress bar.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    source = RateSource(rates_ds)
    variables = steady_variables(store)
    tmax = max(_trailing(v[0]) for v in variables.values())
    chunks, blocks = grid_plan(source.shape, block_points, tmax)
    rank = comm.Get_rank() if comm is not None else 0
    scan = rates_ds.attrs.get("scan", "?")
    plan_attrs = {
        "block_points": int(block_points),
        "grid_shape": list(source.shape),
        "grid_chunks": list(chunks),
    }
    if shard is None:
        mine, base, dims = blocks, None, None
        var_dims = {k: (source.grid_dims + v[0], v[1], v[2]) for k, v in variables.items()}
        var_chunks = {k: chunks + tuple(_TRAILING_SIZE[d] for d in v[0]) for k, v in variables.items()}
        desc = f"steady[{scan}]"
    else:
        i, n = shard
        mine = shard_blocks(blocks, i, n)
        base = mine[0].start if mine else 0
        npts = (mine[-1].stop - base) if mine else 0
        plan_attrs.update(shard=i, shards=n, flat_start=base, flat_stop=base + npts, stage="steady_shard")
        dims = {"point": npts}
        var_dims = {k: (("point",) + v[0], v[1], v[2]) for k, v in variables.items()}
        var_chunks = {
            k: (max(1, min(npts, CHUNK_ELEMENTS // _trailing(v[0]))),) + tuple(_TRAILING_SIZE[d] for d in v[0])
            for k, v in variables.items()
        }
        desc = f"steady[{scan}] shard {i}/{n}"
    log.info(
        "steady: scan %s, grid %s %s, storage %s, %d of %d blocks (<= %d points each)",
        scan,
        source.grid_dims,
        source.shape,
        store,
        len(mine),
        len(blocks),
        block_points,
    )
    writer = None
    if rank == 0:
        skeleton = _steady_skeleton(source, store, plan_attrs)
        writer = BlockWriter(path, skeleton, var_dims, config, complevel, chunks=var_chunks, dims=dims)

    def sink(b, out):
        for name, values in out.items():
            if base is None:
                idx = b.slices + (slice(None),) * (values.ndim - len(b.slices))
            else:
                values = values.reshape((b.size,) + values.shape[len(b.shape) :])
                idx = (slice(b.start - base, b.stop - base),) + (slice(None),) * (values.ndim - 1)
            writer.write(name, idx, values)

    with _writing(writer):
        tc, ts = run_blocks(mine, lambda b: steady_block(source, b, store), sink, comm, desc, progress)
    _log_done("steady", sum(b.size for b in mine), t0, tc, ts, comm, c0)


def check_shards(paths):
    """Check that ``paths`` are all shards of one plan, each exactly once.

    Parameters
    ----------
    paths : list of str
        Shard files.

    Raises
    ------
    ValueError
        Naming the problem.
    """
    attrs = []
    for p in paths:
        with xr.open_dataset(p) as s:
            attrs.append(dict(s.attrs))
    first = attrs[0]
    n = int(first["shards"])
    for p, a in zip(paths, attrs):
        for k in ("scan", "steady_storage", "block_points", "grid_shape", "shards"):
            if not np.array_equal(np.atleast_1d(a[k]), np.atleast_1d(first[k])):
                raise ValueError(f"shard {p!r}: {k} = {a[k]!r} differs from {first[k]!r} of {paths[0]!r}")
    have = sorted(int(a["shard"]) for a in attrs)
    if have != list(range(n)):
        missing = sorted(set(range(n)) - set(have))
        raise ValueError(f"need shards 0..{n - 1} exactly once; missing {missing}, got {have}")


def gather_shards(paths, path, config, complevel=1):
    """Assemble steady shard files (any order) into the scan's one result file ``path``.

    Parameters
    ----------
    paths : list of str
        Every shard of the same plan (grid shape, block size, shard count),
        exactly once; a ValueError names what is missing or inconsistent.
    path : str or os.PathLike
        Output NetCDF file.
    config : dict
        Resolved configuration, recorded as provenance.
    complevel : int
        zlib compression level.
    """
    t0 = time.perf_counter()
    check_shards(paths)
    shards = [xr.open_dataset(p) for p in paths]
    try:
        first = shards[0].attrs
        n = int(first["shards"])
        shape = tuple(int(v) for v in np.atleast_1d(first["grid_shape"]))
        store = first["steady_storage"]
        variables = steady_variables(store)
        tmax = max(_trailing(v[0]) for v in variables.values())
        chunks, blocks = grid_plan(shape, int(first["block_points"]), tmax)
        kdims = kernel_dims(shards[0].dims) + ("T_M",)
        skeleton = shards[0].drop_vars([v for v in shards[0].data_vars])
        skeleton.encoding = {}  # an empty shard's zero-length 'point' dimension reads back as unlimited
        drop = ("shard", "shards", "flat_start", "flat_stop")
        skeleton.attrs = {k: v for k, v in first.items() if k not in drop}
        skeleton.attrs["stage"] = "steady"
        skeleton.attrs["gathered_shards"] = n  # provenance attributes are rewritten by BlockWriter
        var_dims = {k: (kdims + v[0], v[1], v[2]) for k, v in variables.items()}
        var_chunks = {k: chunks + tuple(_TRAILING_SIZE[d] for d in v[0]) for k, v in variables.items()}
        with BlockWriter(path, skeleton, var_dims, config, complevel, chunks=var_chunks) as writer:
            for s in sorted(shards, key=lambda d: int(d.attrs["shard"])):
                base = int(s.attrs["flat_start"])
                for b in shard_blocks(blocks, int(s.attrs["shard"]), n):
                    for name, (trail, _, _) in variables.items():
                        flat = (slice(b.start - base, b.stop - base),) + (slice(None),) * len(trail)
                        values = get_block(s, name, flat)
                        values = values.reshape(b.shape + values.shape[1:])
                        writer.write(name, b.slices + (slice(None),) * len(trail), values)
    finally:
        for s in shards:
            s.close()
    log.info("gather: %d shards -> %s in %.2f s", n, path, time.perf_counter() - t0)
