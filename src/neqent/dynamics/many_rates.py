"""Kernels and rates of N identical qubits above the body (docs/theory.md §10).

Every pair (q, q') is the two-qubit problem of :mod:`neqent.dynamics.rates`:
its kernels come from one batched call of the body's ``pair_block`` (through
:func:`neqent.dynamics.rates.body_kernel_tensors`) over all N(N-1)/2 pairs and
are contracted with the two dipoles by
:func:`neqent.dynamics.rates.contract_kernels`, exactly as for two qubits.

The self terms alpha^{qq} come from the pair block of q with its nearest
partner: that block integrates alpha^{qq} and alpha^{qq'} on one common set of
nodes, so the small differences that set the slowest (dark-state) decay rates
are the quadrature of the difference integrand (docs/theory.md §4e). For N = 2
this is the two-qubit path bit for bit.

Array conventions: qubit index q = 0..N-1 (docs/theory.md's 1..N); pair
matrices have trailing shape (N, N) indexed ``[q, q']``; positions are
(N, 3) arrays (x, y, z) [m] outside the body (z > 0 above a planar one; anywhere
around a sphere).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neqent.dynamics.rates import body_kernel_tensors, contract_kernels, unit_dipole
from neqent.electrodynamics.body import below_plane_only
from neqent.electrodynamics.materials import Material, get_material
from neqent.electrodynamics.planar import Slab
from neqent.validation import positive

__all__ = ["MAX_QUBITS", "ManyGeometry", "ManyKernels", "pair_indices", "compute_many_kernels", "many_rates"]

#: largest N of the N-qubit path (steady state: the k = 0 Liouvillian block has
#: dimension C(2N, N), 184756 at N = 10; see :mod:`neqent.dynamics.many_body`)
MAX_QUBITS = 10


def pair_indices(n):
    """Pairs (q, q') with q < q' of ``n`` qubits (row-major order).

    Parameters
    ----------
    n : int
        Number of qubits [1].

    Returns
    -------
    q, qp : ndarray, shape (n (n - 1) / 2,), int
        0-based indices of the first and second qubit of each pair.
    """
    q, qp = np.triu_indices(n, k=1)
    return q, qp


@dataclass(frozen=True)
class ManyGeometry:
    """N >= 2 qubits above one body (docs/theory.md §1, §10).

    The body is built once, into ``body``: the one given, otherwise
    the slab ``-delta <= z <= 0`` of ``material``.

    Parameters
    ----------
    positions : array_like, shape (N, 3)
        Qubit positions (x, y, z) [m] outside the body (its ``check_positions``:
        z > 0 above a planar body), no two equal, N <= ``MAX_QUBITS``.
    dipoles : array_like, shape (N, 3) or (3,)
        Dipole of each qubit, or one for all (real or complex; only directions
        matter) [1].
    material : Material or str
        Slab material (:func:`neqent.electrodynamics.materials.get_material`).
    delta : float
        Slab thickness [m] (``inf``: half-space).
    body : neqent.electrodynamics.body.Body, optional
        Any body (e.g. a :class:`~neqent.electrodynamics.planar.Stack`)
        replacing ``material``/``delta``.

    Raises
    ------
    ValueError
        Naming the offending qubit.
    """

    positions: np.ndarray
    dipoles: np.ndarray = (0.0, 0.0, 1.0)
    material: Material | str = "sic"
    delta: float = 1e-8
    body: object = None
    d: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        set_ = object.__setattr__
        pos = np.array(self.positions, dtype=float)
        if pos.ndim != 2 or pos.shape[1] != 3:
            raise ValueError(f"positions must be an (N, 3) array of (x, y, z) in m, got shape {pos.shape}")
        n = pos.shape[0]
        if n < 2:
            raise ValueError(f"the N-qubit path needs at least 2 qubits, got {n}")
        if n > MAX_QUBITS:
            raise ValueError(f"at most {MAX_QUBITS} qubits are supported, got {n}")
        if not np.all(np.isfinite(pos)):
            raise ValueError("qubit positions must be finite (m)")
        set_(self, "material", get_material(self.material))
        set_(self, "delta", float(positive("delta", self.delta, "m", allow_inf=True)))
        if self.body is None:
            set_(self, "body", Slab(self.material, self.delta))
        for q in range(n):
            try:  # the body's rule: z > 0 for a planar body, anywhere outside a sphere
                self.body.check_positions(pos[q])
            except ValueError as exc:
                if below_plane_only(self.body):
                    where = f"qubit {q + 1} is at z = {pos[q, 2]:g} m"
                    raise ValueError(f"{where}, inside the body: z must be > 0 m") from None
                raise ValueError(f"qubit {q + 1}: {exc}") from None
        for q, qp in zip(*pair_indices(n)):
            if np.array_equal(pos[q], pos[qp]):
                raise ValueError(f"qubits {q + 1} and {qp + 1} are at the same point {tuple(pos[q])} m")
        dip = np.asarray(self.dipoles, dtype=complex)
        if dip.ndim == 1:
            dip = np.broadcast_to(dip, (n, dip.shape[0]))
        if dip.ndim != 2 or dip.shape[0] != n:
            raise ValueError(f"dipoles must be one 3-vector or one per qubit ({n}), got shape {dip.shape}")
        set_(self, "positions", pos)
        set_(self, "dipoles", np.array(dip))
        set_(self, "d", np.array([unit_dipole(f"dipole of qubit {q + 1}", dip[q]) for q in range(n)]))

    @property
    def n(self) -> int:
        """Number of qubits N [1]."""
        return self.positions.shape[0]


@dataclass
class ManyKernels:
    """Contracted kernels of N qubits (docs/theory.md §4, §10).

    Parameters
    ----------
    omega : float
        Qubit transition angular frequency [rad/s].
    alpha_W, alpha_M : ndarray, shape (N, N), complex
        Wall and body kernels, Hermitian [Gamma0].
    Lambda : ndarray, shape (N, N), complex
        Coherent couplings Lambda^{qq'}, Hermitian, zero diagonal [Gamma0].
    """

    omega: float
    alpha_W: np.ndarray
    alpha_M: np.ndarray
    Lambda: np.ndarray


def _nearest_partner(pos):
    """For each qubit, the index of a nearest other qubit (the first on ties)."""
    dist = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=-1)
    np.fill_diagonal(dist, np.inf)
    return np.argmin(dist, axis=1)


def compute_many_kernels(geometry: ManyGeometry, omega) -> ManyKernels:
    """Kernels of every pair of an N-qubit geometry (docs/theory.md §4, §10).

    One batched quadrature over the N(N-1)/2 pairs (each a two-qubit block on
    common nodes), contracted with the pair's dipoles.

    Parameters
    ----------
    geometry : ManyGeometry
        The qubits and the body.
    omega : float
        Angular frequency [rad/s], > 0.

    Returns
    -------
    ManyKernels
        alpha_W, alpha_M and Lambda, each (N, N) [Gamma0].
    """
    w = float(positive("omega", omega, "rad/s"))
    g = geometry
    n = g.n
    q, qp = pair_indices(n)
    pos = g.positions
    W, M, G12 = body_kernel_tensors(g.body, w, pos[q], pos[qp])
    aW, aM, lam = contract_kernels(W, M, G12, g.d[q], g.d[qp])  # (P, 2, 2), (P, 2, 2), (P,)
    alpha_W = np.zeros((n, n), complex)
    alpha_M = np.zeros((n, n), complex)
    Lambda = np.zeros((n, n), complex)
    alpha_W[q, qp], alpha_W[qp, q] = aW[:, 0, 1], aW[:, 1, 0]
    alpha_M[q, qp], alpha_M[qp, q] = aM[:, 0, 1], aM[:, 1, 0]
    Lambda[q, qp], Lambda[qp, q] = lam, np.conj(lam)
    # self terms from the block of each qubit with its nearest partner (module docstring)
    pair_of = {(int(a), int(b)): p for p, (a, b) in enumerate(zip(q, qp))}
    for k, partner in enumerate(_nearest_partner(pos)):
        a, b = min(k, int(partner)), max(k, int(partner))
        slot = 0 if k == a else 1
        p = pair_of[(a, b)]
        alpha_W[k, k] = aW[p, slot, slot]
        alpha_M[k, k] = aM[p, slot, slot]
    return ManyKernels(omega=w, alpha_W=alpha_W, alpha_M=alpha_M, Lambda=Lambda)


def many_rates(kernels: ManyKernels, n_W, n_M):
    """Rates Gamma^{qq'}(+w), Gamma^{qq'}(-w) of N qubits (docs/theory.md §5).

    Parameters
    ----------
    kernels : ManyKernels
        From :func:`compute_many_kernels` [Gamma0].
    n_W, n_M : float
        Wall and body occupations [1].

    Returns
    -------
    gamma_plus, gamma_minus : ndarray, shape (N, N), complex
        Gamma^{qq'}(+w) and Gamma^{qq'}(-w) [Gamma0].
    """
    from neqent.dynamics.rates import rates

    return rates(kernels.alpha_W, kernels.alpha_M, n_W, n_M)
