"""A lamellar grating as a body: FMM operators on an adaptive k rule, contracted per position (docs/theory.md §12b).

The grating of :class:`~neqent.electrodynamics.fmm.LamellarGrating` (ridges centred at
x = 0 mod D, grooves along y, z = 0 the top of the ridges) over vacuum, a substrate or
a planar stack, all at T_M.

* R(k), T(k) come from :func:`~neqent.electrodynamics.fmm.grating_rt` on the nodes the
  adaptive rule of :class:`~neqent.electrodynamics.grating_quadrature.GratingQuadrature`
  asks for (ky >= 0 only: the grating is symmetric under y -> -y).
* The finished table depends on (omega, orders) and on the rule's reach: the lowest
  height (its ky cut-off) and the largest lateral separation (its panels resolve
  exp(i k.rho)). Both are rounded to a fixed grid (heights down, separations up), so a
  table serves every later position inside its reach and the result does not depend on
  the order of the calls; a further position costs the contraction only.
* W, M, GR follow from the mode sums of :func:`~neqent.electrodynamics.grating_kernels.contract_pairs`.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from neqent.electrodynamics.body import Body
from neqent.electrodynamics.fmm import DEFAULT_ORDER_CAP, LamellarGrating, grating_rt, orders_for
from neqent.electrodynamics.grating_kernels import contract_pairs
from neqent.electrodynamics.grating_quadrature import GratingQuadrature

__all__ = ["Grating", "DEFAULT_TOL", "MEMORY_BUDGET", "add_parts", "thread_map", "rank_map", "available_cpus"]

#: Default target accuracy of the k rule [Gamma0]. A target, not a bound: a 0.5 um SiC layer at 0.3 w_T, z = 1 um,
#: errs 6.6e-4 in alpha_M with it (7e-5 at 1e-5; docs/theory.md §12b), and 1e-5 needs > 4 GiB of table above the
#: SiC grating (benchmarks/results/grating.md).
DEFAULT_TOL = 1e-4

#: Largest R, T table one (omega, grating) may hold [bytes]; more orders or points are refused.
MEMORY_BUDGET = 4 * 2**30

#: Largest weight of the first left-out order a fixed ``orders`` may leave at the lowest qubit [1].
MAX_LEFT_OUT = 0.1

# Relative weight of the last order the table keeps, at the lowest qubit (table rows and columns).
_KEPT_TOL = 1e-8

#: Tables a grating keeps (one per omega, orders and reach).
_TABLE_CACHE_SIZE = 16

# Reach grid: heights rounded down and separations up to powers of 2^(1/4) (19 % steps).
_STEPS_PER_OCTAVE = 4


def _bucket(value, up):
    """``value`` [m] rounded to the grid 2^(j/4) m (up or down); 0 stays 0."""
    if value <= 0:
        return 0.0
    j = math.log2(value) * _STEPS_PER_OCTAVE
    j = math.ceil(j - 1e-9) if up else math.floor(j + 1e-9)
    return 2.0 ** (j / _STEPS_PER_OCTAVE)


def available_cpus() -> int:
    """CPUs this process may run on [1] (its affinity mask: a SLURM job's or a taskset's share)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _concat(results):
    """Concatenate per-chunk ``(R, T)`` results along the k axis (T may be None)."""
    return tuple(None if r is None else np.concatenate([x[i] for x in results]) for i, r in enumerate(results[0]))


def thread_map(workers=None):
    """A ``kmap(fn, *arrays)`` that evaluates ``fn`` on contiguous chunks of the k points in threads.

    The FMM's eigen- and linear solves release the GIL, so ``workers`` threads use as
    many cores (measured 1.87x on 2 cores). Each k point is solved on its own, so the
    results are bitwise those of one call.

    Parameters
    ----------
    workers : int, optional
        Threads [1]; default :func:`available_cpus`.

    Returns
    -------
    callable
        ``kmap(fn, *arrays) -> fn(*arrays)``, arrays of shape (Nb,) (k points [rad/m], node
        indices) split alike; ``fn`` returns a tuple of arrays (or None) along Nb.
    """
    n = available_cpus() if workers is None else max(1, int(workers))

    def kmap(fn, *arrays):
        size = arrays[0].size
        if n == 1 or size < 2 * n:
            return fn(*arrays)
        chunks = np.array_split(np.arange(size), n)
        with ThreadPoolExecutor(n) as pool:
            return _concat(list(pool.map(lambda i: fn(*(a[i] for a in arrays)), chunks)))

    return kmap


def rank_map(comm, workers=1):
    """A ``kmap(fn, *arrays)`` that splits every batch of k points over the MPI ranks of ``comm``.

    Every rank runs the same adaptive rule; each solves its contiguous share of a batch
    (with ``workers`` threads) and all ranks receive all results in batch order, so the
    rule, and every bit of the result, is the same for any number of ranks.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm
        The communicator (``rank``, ``size``, ``allgather``).
    workers : int
        Threads per rank [1].

    Returns
    -------
    callable
        ``kmap(fn, *arrays) -> fn(*arrays)`` as :func:`thread_map`.
    """
    inner = thread_map(workers)

    def kmap(fn, *arrays):
        mine = np.array_split(np.arange(arrays[0].size), comm.size)[comm.rank]
        return _concat(comm.allgather(inner(fn, *(a[mine] for a in arrays))))

    return kmap


def add_parts(shares):
    """The sum of the parts' shares over axis 0, in part order (the same bits on any shard layout).

    Parameters
    ----------
    shares : array_like, shape (P, ...)
        Each part's share, e.g. of :meth:`Grating.part_blocks`.

    Returns
    -------
    ndarray, shape (...)
        share[0] + share[1] + ... added one after the other.
    """
    shares = np.asarray(shares)
    total = shares[0].copy()
    for share in shares[1:]:
        total += share
    return total


class Grating(Body):
    """A lamellar grating at T_M, top of the ridges at z = 0 (docs/theory.md §12).

    Parameters
    ----------
    ridge : str or Material
        Ridge material (isotropic, or uniaxial with the optic axis along z).
    period : float
        Period D [m], > 0.
    fill : float
        Filling fraction f of the ridges [1], in [0, 1].
    height : float
        Ridge height h [m], > 0.
    grooves : str or Material, optional
        Groove material (default vacuum).
    below : None, str, Material or Stack, optional
        Vacuum (None), a substrate, or a :class:`~neqent.electrodynamics.planar.Stack`
        whose top touches z = -h.
    orders : int or None, optional
        N: orders -N..N [1]; None chooses :func:`~neqent.electrodynamics.fmm.orders_for`
        at the lowest qubit height of each call.
    tol : float, optional
        Target accuracy of the k rule [Gamma0].
    workers : int, optional
        Threads for the FMM solves [1] (default: every CPU of this process); the results do
        not depend on it.

    Attributes
    ----------
    last_orders : int or None
        The orders of the last :meth:`pair_block` call.
    last_accuracy : dict or None
        The accuracy estimate of the last call: ``tol`` (the k rule's target [Gamma0]),
        ``truncation`` (largest weight of an order left out at the lowest height [1]),
        ``k_points`` (R, T solves of its table), ``table_orders`` (the orders its table keeps).
    solves : int
        R, T solves (k points) done so far by this body.
    """

    kind = "grating"

    def __init__(
        self, ridge, period, fill, height, grooves="vacuum", below=None, orders=None, tol=DEFAULT_TOL, workers=None
    ):
        self.shape = LamellarGrating(period, fill, height, ridge, grooves, below)
        if orders is not None:
            if isinstance(orders, bool) or int(orders) != orders or not 0 <= int(orders) <= DEFAULT_ORDER_CAP:
                raise ValueError(f"orders must be an integer in [0, {DEFAULT_ORDER_CAP}], got {orders!r}")
            orders = int(orders)
        self.orders = orders
        t = float(tol)
        if not (0 < t <= 0.1):
            raise ValueError(f"grating tol must be in (0, 0.1] (Gamma0), got {tol!r}")
        self.tol = t
        if workers is not None and (isinstance(workers, bool) or int(workers) != workers or workers < 1):
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        self.workers = workers
        self.last_orders = None
        self.last_accuracy = None
        self.solves = 0
        self._tables = {}
        self._counts = {}

    # ------------------------------------------------------------------
    # What the body is

    @property
    def ridge(self):
        """The ridge material."""
        return self.shape.ridge

    @property
    def period(self) -> float:
        """Period D [m]."""
        return self.shape.period

    @property
    def fill(self) -> float:
        """Filling fraction f [1]."""
        return self.shape.fill

    @property
    def height(self) -> float:
        """Ridge height h [m]."""
        return self.shape.height

    @property
    def below(self):
        """The :class:`~neqent.electrodynamics.planar.Stack` below, or None (vacuum)."""
        return self.shape.stack

    @property
    def label(self) -> str:
        """E.g. ``sic grating D=1e-06 m f=0.5 h=5e-07 m``."""
        return self.shape.name

    @property
    def top_material(self):
        """The ridge material (the qubits face the ridges; ``omega_ratio`` scales its resonance)."""
        return self.shape.ridge

    @property
    def materials(self) -> tuple:
        """Ridges, grooves, then the stack's layers and substrate."""
        out = [self.shape.ridge, self.shape.grooves]
        if self.below is not None:
            out += list(self.below.materials)
        return tuple(out)

    def describe(self) -> dict:
        """``{"kind": "grating", "ridge", "period" [m], "fill", "height" [m], "grooves", "below"}``.

        ``below`` is None (vacuum) or the stack's describe() (layers, substrate).
        """
        return {
            "kind": self.kind,
            "ridge": self.ridge.name,
            "period": self.period,
            "fill": self.fill,
            "height": self.height,
            "grooves": self.shape.grooves.name,
            "below": None if self.below is None else self.below.describe(),
        }

    def optics(self, omega):
        """Permittivities at ``omega`` [rad/s], flat: ridge (eps_t, eps_z), grooves (eps_t, eps_z), then
        the stack below (eps_t (L,), eps_z (L,), thickness (L,) [m], sub_eps_t, sub_eps_z) [1]."""
        ridge, grooves, layers = self.shape.optics(float(omega))
        return (*ridge, *grooves, *layers)

    @property
    def parameters(self) -> dict:
        """``period`` [m], ``fill`` [1], ``height`` [m] and ``ridge`` (material name)."""
        return {"period": self.period, "fill": self.fill, "height": self.height, "ridge": self.ridge.name}

    def with_parameter(self, name: str, value) -> Grating:
        """A copy with ``period``, ``fill``, ``height`` or ``ridge`` replaced (SI or a material name)."""
        if name not in self.parameters:
            return super().with_parameter(name, value)
        args = {"ridge": self.ridge, "period": self.period, "fill": self.fill, "height": self.height}
        args[name] = value
        return Grating(
            **args, grooves=self.shape.grooves, below=self.below, orders=self.orders, tol=self.tol, workers=self.workers
        )

    def _key(self):
        below = None if self.below is None else (self.below.layers, self.below.substrate)
        s = self.shape
        return (s.ridge, s.grooves, s.period, s.fill, s.height, below, self.orders, self.tol)

    def __eq__(self, other):
        return isinstance(other, Grating) and self._key() == other._key()

    def __hash__(self):
        return hash((self.kind, self.ridge.name, self.period, self.fill, self.height, self.orders, self.tol))

    # ------------------------------------------------------------------
    # Kernels

    def orders_at(self, omega, z_min) -> int:
        """N_ord for qubits no lower than ``z_min`` [m] at ``omega`` [rad/s] (the fixed one if given).

        Raises
        ------
        ValueError
            When the orders needed exceed the cap (the message names the cap), or fixed
            orders leave out more than :data:`MAX_LEFT_OUT` at ``z_min``.
        """
        if self.orders is None:
            return orders_for(float(omega), self.shape, z_min)
        # the first order left out decays like exp(-(N + 1/2) G 2 z) between the qubit and the body
        left_out = math.exp(-(self.orders + 0.5) * 2 * math.pi / self.period * 2 * z_min)
        if left_out > MAX_LEFT_OUT:
            raise ValueError(
                f"orders {self.orders} leave out evanescent orders of weight {left_out:.2g} at z = {z_min:g} m "
                f"(period {self.period:g} m); give more orders or let them be chosen"
            )
        return self.orders

    def table(self, omega, orders, z_min, lateral, parts=None, kmap=None):
        """The R, T tables of the rule's parts for (omega, orders) reaching ``z_min`` and ``lateral``, cached.

        The FMM solves with ``orders`` (the layer's own Fourier convergence needs them), but
        the table keeps only the central block of the orders that reach a qubit at ``z_min``
        (:func:`~neqent.electrodynamics.fmm.orders_for` without its floor): an order n decays
        like exp(-|n| G z) on the way to each qubit, so the outer rows and columns weigh less
        than the tolerance there, and dropping them cuts the table's memory and the
        contraction's cost by (M / M_kept)^2.

        Parameters
        ----------
        omega : float
            Angular frequency [rad/s].
        orders : int
            N_ord of the FMM solves [1].
        z_min : float
            Lowest qubit height to serve [m], > 0.
        lateral : float
            Largest lateral pair separation to serve [m], >= 0.
        parts : sequence of int, optional
            The parts of the k rule to build (default all; see :meth:`part_count`).
        kmap : callable, optional
            ``kmap(fn, *arrays)`` that evaluates the solves, e.g. :func:`rank_map` (default
            :func:`thread_map` with ``workers``).

        Returns
        -------
        tables : list of KTable
            One table per part, in part order.
        accuracy : dict
            ``tol`` [Gamma0], ``truncation`` [1], ``k_points`` [1], ``table_orders`` [1].

        Raises
        ------
        ValueError
            When the tables would exceed :data:`MEMORY_BUDGET`.
        """
        reach = (float(omega), int(orders), _bucket(z_min, up=False), _bucket(lateral, up=True))
        key = (*reach, None if parts is None else tuple(sorted({int(j) for j in parts})))
        hit = self._tables.get(key)
        if hit is not None:
            return hit
        quad = self._rule(*reach, parts)
        kmap = thread_map(self.workers) if kmap is None else kmap
        kept = quad.orders
        m2 = 2 * (2 * kept + 1)
        block = slice(2 * (orders - kept), 2 * (orders + kept + 1))  # orders -kept..kept of -orders..orders
        vacuum = self.shape.vacuum_below
        per_point = 16 * m2 * m2 * (2 if vacuum else 1)

        def solve(kx, ky, idx):
            # the probe integrands ride along: the rule's per-node work is spread with the solves
            R, T = grating_rt(float(omega), self.shape, kx, ky, orders)
            R, T = R[:, block, block], (T[:, block, block] if vacuum else None)
            return R, T, quad.integrands(idx, R, T)

        while (batch := quad.pending()) is not None:
            if quad.nodes * per_point > MEMORY_BUDGET:
                raise ValueError(
                    f"orders {orders}: the R, T table needs more than the memory budget "
                    f"{MEMORY_BUDGET / 2**30:g} GiB ({quad.nodes} k points of {per_point} bytes); use a looser tol "
                    "or raise the qubits"
                )
            R, T, f = kmap(solve, *batch, quad.batch_index())
            self.solves += batch[0].size
            quad.feed(R, T, f)
        accuracy = {
            "tol": self.tol,
            "truncation": float(quad.truncation),
            "k_points": int(quad.nodes),
            "table_orders": int(kept),
        }
        if len(self._tables) >= _TABLE_CACHE_SIZE:
            self._tables.pop(next(iter(self._tables)))
        self._tables[key] = ([quad.table([j]) for j in quad.parts], accuracy)
        return self._tables[key]

    def _rule(self, omega, orders, z_b, lat_b, parts=None):
        """The k rule (not yet fed) for a reach whose height and separation are already bucketed."""
        kept = min(orders, orders_for(float(omega), self.shape, z_b, tol=_KEPT_TOL, n_min=0, cap=10**6))
        return GratingQuadrature(float(omega), self.period, kept, z_b, self.tol, lat_b, mirror_y=True, parts=parts)

    def _reach(self, omega, r1, r2):
        """Checked positions folded by whole periods, and the reach of their table.

        The reach is (omega, orders, lowest height, largest lateral separation), the height
        rounded down and the separation up to the bucket grid: the key of the table and of
        its part count.
        """
        a = self.check_positions(np.atleast_2d(r1))
        b = self.check_positions(np.atleast_2d(r2))
        a, b = np.broadcast_arrays(a, b)
        # a common shift by whole periods leaves every pair's blocks unchanged (periodicity)
        shift = np.floor(a[:, 0] / self.period + 0.5) * self.period
        a = a - np.column_stack([shift, 0 * shift, 0 * shift])
        b = b - np.column_stack([shift, 0 * shift, 0 * shift])
        z_min = float(min(a[:, 2].min(), b[:, 2].min()))
        lateral = float(np.max(np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])))
        z_b, lat_b = _bucket(z_min, up=False), _bucket(lateral, up=True)
        return a, b, (omega, self.orders_at(omega, z_b), z_b, lat_b)

    def _count(self, reach):
        """The part count of the rule for ``reach`` (:meth:`_reach`), cached."""
        if reach not in self._counts:
            self._counts[reach] = self._rule(*reach, parts=[0]).part_count
        return self._counts[reach]

    def _shares(self, a, b, reach, parts, kmap):
        """The parts' shares for folded positions ``a``, ``b`` on the table of ``reach``."""
        tables, accuracy = self.table(*reach, parts=parts, kmap=kmap)
        by_part = dict(zip(sorted(set(parts)), tables))
        # the parts contract independently (numpy and the numba sums release the GIL): one thread each
        workers = min(len(parts), available_cpus() if self.workers is None else self.workers)
        with ThreadPoolExecutor(max(1, workers)) as pool:
            shares = list(pool.map(lambda j: contract_pairs(by_part[j], a, b), parts))
        self.last_orders, self.last_accuracy = reach[1], accuracy
        return tuple(np.stack([s[i] for s in shares]) for i in range(3))

    def part_count(self, omega, r1, r2) -> int:
        """Number of independent parts of the k rule that serves these positions [1].

        Parameters
        ----------
        omega : float
            Angular frequency [rad/s], > 0.
        r1, r2 : array_like, shape (N, 3) or (3,)
            Positions of qubits 1 and 2 [m], z > 0.

        Returns
        -------
        int
            P: :meth:`part_blocks` takes part indices in 0..P-1 (shards, ranks, memory).
        """
        return self._count(self._reach(_omega(omega), r1, r2)[2])

    def part_blocks(self, omega, r1, r2, parts, kmap=None):
        """Each part's share of alpha_W, alpha_M and GR (docs/theory.md §12b).

        The shares of all parts, added in part order by :func:`add_parts`, are
        :meth:`pair_block` bit for bit, however the parts are spread over shard jobs.

        Parameters
        ----------
        omega : float
            Angular frequency [rad/s], > 0.
        r1, r2 : array_like, shape (N, 3) or (3,)
            Positions of qubits 1 and 2 [m], z > 0.
        parts : sequence of int
            Part indices in 0..:meth:`part_count`-1.
        kmap : callable, optional
            How the FMM solves are spread (:func:`rank_map`, :func:`thread_map`).

        Returns
        -------
        W, M, GR : ndarray, shape (len(parts), N, 2, 2, 3, 3), complex128
            Shares in the order of ``parts``.
        """
        a, b, reach = self._reach(_omega(omega), r1, r2)
        return self._shares(a, b, reach, [int(j) for j in parts], kmap)

    def pair_block(self, omega, r1, r2):
        """alpha_W, alpha_M and GR of every pair, from one table per frequency (docs/theory.md §12b).

        Parameters
        ----------
        omega : float or array_like, shape (N,)
            Angular frequency [rad/s], > 0.
        r1, r2 : array_like, shape (N, 3) or (3,)
            Positions of qubits 1 and 2 [m], z > 0 (x across the grooves).

        Returns
        -------
        W, M, GR : ndarray, shape (N, 2, 2, 3, 3), complex128
            As in :meth:`~neqent.electrodynamics.body.Body.pair_block`: the parts' shares
            added in part order; the orders and the accuracy estimate are left in
            ``last_orders``, ``last_accuracy``.
        """
        a = self.check_positions(np.atleast_2d(r1))
        b = self.check_positions(np.atleast_2d(r2))
        a, b = np.broadcast_arrays(a, b)
        n = a.shape[0]
        w = np.broadcast_to(np.asarray(omega, dtype=float), (n,))
        if not np.all(np.isfinite(w) & (w > 0)):
            raise ValueError(f"omega must be finite and > 0 rad/s, got {omega!r}")
        out = [np.empty((n, 2, 2, 3, 3), np.complex128) for _ in range(3)]
        accuracy = None
        for om in np.unique(w):
            sel = np.nonzero(w == om)[0]
            pa, pb, reach = self._reach(float(om), a[sel], b[sel])
            for o, shares in zip(out, self._shares(pa, pb, reach, list(range(self._count(reach))), None)):
                o[sel] = add_parts(shares)
            acc = self.last_accuracy
            accuracy = acc if accuracy is None else {k: max(accuracy[k], acc[k]) for k in acc}
        self.last_accuracy = accuracy
        return tuple(out)


def _omega(omega) -> float:
    w = float(omega)
    if not (math.isfinite(w) and w > 0):
        raise ValueError(f"omega must be finite and > 0 rad/s, got {omega!r}")
    return w
