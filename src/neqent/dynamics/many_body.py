"""N-qubit master equation: Liouvillian blocks, steady state, time evolution (docs/theory.md §6, §10).

Units: rates ``gamma_plus``, ``gamma_minus`` (Gamma^{qq'}(+-w)) and ``Lambda``
(Lambda^{qq'}) are (N, N) complex matrices [Gamma0]; time
[1/Gamma0]. Density matrices are (2^N, 2^N) complex in the basis of §10:
index b = sum_k e_k 2^(k-1), qubit 1 the least significant bit (for N = 2
|gg>, |eg>, |ge>, |ee>, the basis of :mod:`neqent.dynamics.master`).

Master equation (§6 with all sums over q, q' = 1..N), written as
``d rho/dt = A rho + rho B + jumps`` with the excitation-conserving::

    A = -i H_L - 1/2 H_+ - 1/2 H_-,   B = +i H_L - 1/2 H_+ - 1/2 H_-,
    H_L = sum_{q != q'} Lambda^{qq'} s_q^dag s_q',   H_+ = sum Gamma^{qq'}(+w) s_q^dag s_q',
    H_- = sum Gamma^{qq'}(-w) s_q s_q'^dag,
    jumps = sum Gamma^{qq'}(+w) s_q' rho s_q^dag + Gamma^{qq'}(-w) s_q'^dag rho s_q.

Block structure (§10): rho_ij with m_i excitations in the ket and m_j in the
bra only couples to entries with the same k = m_i - m_j. A and B keep (m_i,
m_j); the +w jumps bring (m_i + 1, m_j + 1) down to (m_i, m_j), the -w jumps
(m_i - 1, m_j - 1) up. So each k block is block-tridiagonal in the "sector"
m_i, with sector (m, m - k) of dimension C(N, m) C(N, m - k). The steady
state lives in the k = 0 block (dimension C(2N, N): 12870 at N = 8), which is
solved as one sparse system with scipy's SuperLU.

Uniqueness: the Liouvillian is covariant under the phase rotation
exp(i phi sum_q n_q) (it conserves k). A stationary coherence between
sectors would then come with a whole circle of distinct stationary states
whose k = 0 parts coincide only if the k = 0 block had more than one
stationary state (the fixed-point algebra of a covariant semigroup carries
the phase action; every block of it has a k = 0 fixed point). So a k = 0
block with a one-dimensional kernel means a unique steady state, and only
that block is checked (reciprocal 1-norm condition number, as
:func:`neqent.dynamics.master.steady_state`).
"""

from __future__ import annotations

from functools import cache
from math import comb

import numpy as np
import scipy.linalg.lapack
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from threadpoolctl import ThreadpoolController

from neqent.dynamics.many_rates import MAX_QUBITS
from neqent.dynamics.master import RCOND_TOL, DegenerateSteadyStateError

__all__ = [
    "MAX_EVOLVE_QUBITS",
    "DegenerateManySteadyStateError",
    "block_indices",
    "liouvillian_block",
    "liouvillian_full",
    "steady_state_n",
    "evolve_n",
    "thermal_product_state",
    "initial_state_n",
    "validate_state_n",
    "slowest_relaxation_rate_n",
]

#: largest N of :func:`evolve_n` (dense eigendecomposition of each Liouvillian
#: block; the k = 0 block has dimension 924 at N = 6, 3432 at N = 7)
MAX_EVOLVE_QUBITS = 6
#: tolerance of :func:`validate_state_n` (Hermitian, trace 1, positive)
STATE_ATOL = 1e-10


class DegenerateManySteadyStateError(DegenerateSteadyStateError):
    """The N-qubit stationary state is not unique (docs/theory.md §6, §10).

    Same attributes as :class:`~neqent.dynamics.master.DegenerateSteadyStateError`
    (``mask``, ``count``, ``rcond``) for a single point.

    Parameters
    ----------
    rcond : float
        Reciprocal condition number of the k = 0 block [1].
    tol : float
        The threshold it fell below [1].
    n : int
        Number of qubits [1].
    """

    def __init__(self, rcond, tol, n):
        self.mask = np.array(True)
        self.count = 1
        self.rcond = np.array(rcond)
        ValueError.__init__(
            self,
            f"steady state of the {n} qubits is not unique (reciprocal condition number of the "
            f"k = 0 Liouvillian block {rcond:.3g} < {tol:g}): a combination of the qubits decouples "
            "from the field (a dark state, e.g. alpha^{qq} = alpha^{q'q'} = alpha^{qq'} for a pair), "
            "so the long-time state depends on the initial state; use evolve_n()",
        )


# ---------------------------------------------------------------------------
# Basis and operators
# ---------------------------------------------------------------------------


@cache
def _sectors(n):
    """Basis states of each excitation number m = 0..n (sorted) and each state's position in its sector."""
    b = np.arange(2**n)
    pop = np.zeros(2**n, dtype=np.int64)
    for q in range(n):
        pop += (b >> q) & 1
    states = [b[pop == m] for m in range(n + 1)]
    pos = np.empty(2**n, dtype=np.int64)
    for s in states:
        pos[s] = np.arange(s.size)
    return states, pos, pop


@cache
def _hop_table(n):
    """(target, source, q n + q') of every non-zero entry of s_q^dag s_q' over all (q, q')."""
    b = np.arange(2**n)
    tgt, src, idx = [], [], []
    for qp in range(n):
        has = b[(b >> qp) & 1 == 1]
        low = has - (1 << qp)
        for q in range(n):
            ok = ((low >> q) & 1) == 0
            tgt.append(low[ok] + (1 << q))
            src.append(has[ok])
            idx.append(np.full(ok.sum(), q * n + qp))
    return np.concatenate(tgt), np.concatenate(src), np.concatenate(idx)


def _hop(n, X):
    """Dense (2^n, 2^n) sum_{q q'} X[q, q'] s_q^dag s_q' (moves an excitation from q' to q)."""
    tgt, src, idx = _hop_table(n)
    out = np.zeros((2**n, 2**n), complex)
    np.add.at(out, (tgt, src), np.asarray(X).ravel()[idx])  # q = q' entries share the diagonal
    return out


def _sector_A(gamma_plus, gamma_minus, Lambda):
    """A = -i H_L - (H_+ + H_-)/2 (module docstring) on every sector m, dense (d_m, d_m).

    H_- = sum Gamma^{qq'}(-w) s_q s_q'^dag = sum_{q != q'} Gamma^{qq'}(-w) s_q'^dag s_q
    + sum_q Gamma^{qq}(-w) (1 - n_q): a hop with the transposed off-diagonal rates plus a diagonal.
    """
    n = gamma_plus.shape[0]
    states, _, _ = _sectors(n)
    b = np.arange(2**n)
    off_minus = gamma_minus.T * (1 - np.eye(n))
    ground = sum(gamma_minus[q, q] * (1 - ((b >> q) & 1)) for q in range(n))
    A = _hop(n, -0.5 * gamma_plus - 1j * Lambda - 0.5 * off_minus)
    A[b, b] -= 0.5 * ground
    return [A[np.ix_(st, st)] for st in states]


@cache
def _sector_lowering(n):
    """Lowering maps S[m][q] = s_q from sector m + 1 to sector m, sparse (d_m, d_{m+1})."""
    states, pos, _ = _sectors(n)
    out = []
    for m in range(n):
        row = []
        for q in range(n):
            up = states[m + 1][(states[m + 1] >> q) & 1 == 1]
            shape = (states[m].size, states[m + 1].size)
            row.append(sp.csr_matrix((np.ones(up.size), (pos[up - (1 << q)], pos[up])), shape=shape))
        out.append(row)
    return out


def block_indices(n, k=0):
    """Basis pairs (i, j) of the k block (m_i - m_j = k), in the order of :func:`liouvillian_block`.

    Sectors m_i = max(k, 0)..min(n, n + k) in turn, each in row-major order.

    Parameters
    ----------
    n : int
        Number of qubits [1].
    k : int
        Block index, -n <= k <= n.

    Returns
    -------
    i, j : ndarray, shape (D_k,), int
        Entry p of the block vector is rho[i[p], j[p]].
    """
    states, _, _ = _sectors(n)
    ii, jj = [], []
    for m in range(max(k, 0), min(n, n + k) + 1):
        a, b = states[m], states[m - k]
        ii.append(np.repeat(a, b.size))
        jj.append(np.tile(b, a.size))
    return np.concatenate(ii), np.concatenate(jj)


def _flip(states, q, pos, raise_):
    """Positions (in ``states``) of the states where q can be raised (lowered) and the new states' positions."""
    has = (states >> q) & 1 == 1
    ok = np.flatnonzero(~has if raise_ else has)
    return ok, pos[states[ok] + ((1 << q) if raise_ else -(1 << q))]


@cache
def _jump_table(n, k):
    """Jump entries of block k: (rows, cols, q n + q') for the +w and the -w jumps.

    +w: rho_ij <- rho_{i + 2^q', j + 2^q}; -w: rho_ij <- rho_{i - 2^q', j - 2^q}. For one
    row every (q, q') reaches a different column, so the entries never coincide.
    """
    states, pos, _ = _sectors(n)
    ms = list(range(max(k, 0), min(n, n + k) + 1))
    off, o = {}, 0
    for m in ms:
        off[m], o = o, o + states[m].size * states[m - k].size
    tables = []
    for step, raise_ in ((1, True), (-1, False)):
        rows, cols, idx = [], [], []
        for m in ms:
            src, mp = m + step, m - k
            if src not in off:
                continue
            width = states[src - k].size
            flips = [_flip(states[m], q, pos, raise_) for q in range(n)]
            flips_p = [_flip(states[mp], q, pos, raise_) for q in range(n)]
            for q in range(n):
                j, b = flips_p[q]
                for qp in range(n):
                    i, a = flips[qp]
                    rows.append(off[m] + (i[:, None] * states[mp].size + j[None, :]).ravel())
                    cols.append(off[src] + (a[:, None] * width + b[None, :]).ravel())
                    idx.append(np.full(i.size * j.size, q * n + qp))
        empty = np.zeros(0, np.int64)
        tables.append(tuple(np.concatenate(x) if x else empty for x in (rows, cols, idx)))
    return o, off, tables


def _block_dense(n, k, gamma_plus, gamma_minus, Am):
    """Dense block k of the Liouvillian (units of Gamma0), order of :func:`block_indices`.

    In-sector kron(A_m, I) + kron(I, conj(A_m')) (B^T = conj(A) for Hermitian rates), and
    the jumps of :func:`_jump_table`.
    """
    states, _, _ = _sectors(n)
    size, off, tables = _jump_table(n, k)
    M = np.zeros((size, size), complex)
    for m, o in off.items():
        d, dp = states[m].size, states[m - k].size
        M[o : o + d * dp, o : o + d * dp] = np.kron(Am[m], np.eye(dp)) + np.kron(np.eye(d), Am[m - k].conj())
    for (rows, cols, idx), rate in zip(tables, (gamma_plus, gamma_minus)):
        M[rows, cols] = rate.ravel()[idx]
    return M


def _rates_in(gamma_plus, gamma_minus, Lambda):
    """Validate (N, N) rate matrices (finite, Hermitian within 1e-8) and 2 <= N <= MAX_QUBITS."""
    gp = np.asarray(gamma_plus, dtype=complex)
    gm = np.asarray(gamma_minus, dtype=complex)
    lam = np.asarray(Lambda, dtype=complex)
    n = gp.shape[0] if gp.ndim == 2 else -1
    for name, g in (("gamma_plus", gp), ("gamma_minus", gm), ("Lambda", lam)):
        if g.shape != (n, n) or n < 1:
            raise ValueError(f"{name} must be an (N, N) matrix (units of Gamma0) like gamma_plus, got {g.shape}")
        if not np.all(np.isfinite(g)):
            raise ValueError(f"{name} must be finite (units of Gamma0)")
        scale = max(float(np.max(np.abs(g))), 1e-300)
        dev = float(np.max(np.abs(g - g.conj().T)))
        if dev > 1e-8 * scale:
            raise ValueError(
                f"{name} must be Hermitian (docs/theory.md §5): max|G - G^dag| / max|G| = {dev / scale:.3g}"
            )
    if n > MAX_QUBITS:
        raise ValueError(f"at most {MAX_QUBITS} qubits are supported, got {n}")
    lam = lam - np.diag(np.diag(lam))  # Lambda^{qq} (level shift) plays no role (§5)
    herm = [0.5 * (g + g.conj().T) for g in (gp, gm, lam)]
    return n, herm[0], herm[1], herm[2]


def liouvillian_block(gamma_plus, gamma_minus, Lambda, k=0):
    """Block k (m_i - m_j = k) of the N-qubit Liouvillian, dense (N <= 6).

    d x/dt = L_k x with x[p] = rho[i[p], j[p]], (i, j) from :func:`block_indices`.

    Parameters
    ----------
    gamma_plus, gamma_minus, Lambda : array_like, shape (N, N), complex
        Gamma^{qq'}(+w), Gamma^{qq'}(-w) and Lambda^{qq'} [Gamma0].
    k : int
        Block index, -N <= k <= N.

    Returns
    -------
    ndarray, shape (D_k, D_k), complex
        L_k [Gamma0].
    """
    n, gp, gm, lam = _rates_in(gamma_plus, gamma_minus, Lambda)
    if not -n <= k <= n:
        raise ValueError(f"block index k must be in [-{n}, {n}], got {k}")
    if n > MAX_EVOLVE_QUBITS:
        raise ValueError(f"dense Liouvillian blocks are built for at most {MAX_EVOLVE_QUBITS} qubits, got {n}")
    return _block_dense(n, k, gp, gm, _sector_A(gp, gm, lam))


def liouvillian_full(gamma_plus, gamma_minus, Lambda):
    """The whole N-qubit Liouvillian; reference for tests (N <= 6), the solvers use the blocks.

    Parameters
    ----------
    gamma_plus, gamma_minus, Lambda : array_like, shape (N, N), complex
        Gamma^{qq'}(+w), Gamma^{qq'}(-w) and Lambda^{qq'} [Gamma0].

    Returns
    -------
    scipy.sparse.csr_matrix, shape (4^N, 4^N), complex
        L [Gamma0] on the row-major vec: vec(rho)[2^N i + j] = rho[i, j].
    """
    n, gp, gm, lam = _rates_in(gamma_plus, gamma_minus, Lambda)
    Am = _sector_A(gp, gm, lam)
    dim = 2**n
    rows, blocks = [], []
    for k in range(-n, n + 1):
        i, j = block_indices(n, k)
        rows.append(i * dim + j)
        blocks.append(sp.csr_matrix(_block_dense(n, k, gp, gm, Am)))
    perm = np.concatenate(rows)
    L = sp.block_diag(blocks, format="csr")
    P = sp.csr_matrix((np.ones(perm.size), (perm, np.arange(perm.size))), shape=(dim * dim, dim * dim))
    return (P @ L @ P.T).tocsr()


# ---------------------------------------------------------------------------
# Steady state
# ---------------------------------------------------------------------------


class _SectorSystem:
    """The k = 0 block with its trace row, matrix-free, on sector matrices X_m (d_m x d_m).

    (L X)_m = A_m X_m + X_m A_m^dag + sum_k lam_k C_k X_{m+1} C_k^dag + sum_k mu_k E_k X_{m-1} E_k^dag,
    with Gamma(+w) = sum_k lam_k u_k u_k^dag, C_k = sum_q conj(u_k[q]) s_q (sector m+1 -> m), and
    likewise Gamma(-w) with E_k = sum_q conj(v_k[q]) s_q^dag (m-1 -> m): the jump sums of §6 in
    the eigenbasis of the rate matrices (N terms instead of N^2). Row 0 (the population of
    |g...g>, redundant by trace preservation) is replaced by ``scale`` * trace.

    Preconditioner: the block upper triangular part (in-sector terms, the decay jumps and the
    trace row) solved exactly by back-substitution from m = N down to 0; each in-sector solve
    A_m X + X A_m^dag = Y is a Sylvester equation (Bartels-Stewart on the Schur form of A_m).
    At T_W = T_M = 0 this is the whole operator; the excitation jumps are what GMRES iterates on.
    """

    def __init__(self, n, gamma_plus, gamma_minus, Lambda):
        self.n = n
        Am = _sector_A(gamma_plus, gamma_minus, Lambda)
        S = _sector_lowering(n)
        self.A = Am
        self.dims = [a.shape[0] for a in Am]
        self.offsets = np.concatenate([[0], np.cumsum([d * d for d in self.dims])])
        self.C = [_jump_ops(gamma_plus, [x for x in S[m]]) for m in range(n)]  # into m from m + 1
        self.E = [_jump_ops(gamma_minus, [x.T for x in S[m]]) for m in range(n)]  # into m + 1 from m
        self.eig = [_eig_sylvester(a) for a in Am]
        # the size of the block's entries: in-sector rates plus the largest jump rates
        self.scale = 2 * max(float(np.max(np.abs(a))) for a in Am)
        self.rates = (np.abs(gamma_plus), np.abs(gamma_minus))

    def norm1(self):
        """Upper bound (within a factor 2) of the 1-norm of the bordered block: largest column sum.

        Column (a, b) of sector m: the column sums of kron(A_m, I) + kron(I, conj A_m), the decay
        jumps it feeds (sum over q' in a, q in b of |Gamma^{qq'}(+w)|), the excitation jumps
        (q' not in a, q not in b, |Gamma^{qq'}(-w)|) and the trace row (a = b).
        """
        states, _, _ = _sectors(self.n)
        gp, gm = self.rates
        best = 0.0
        for m, A in enumerate(self.A):
            col = np.sum(np.abs(A), axis=0)
            dg = np.diag(A)
            inner = col[:, None] + col[None, :] - np.abs(dg)[:, None] - np.abs(dg)[None, :]
            inner = inner + np.abs(dg[:, None] + np.conj(dg)[None, :])
            bits = ((states[m][:, None] >> np.arange(self.n)[None, :]) & 1).astype(float)
            jumps = bits @ gp.T @ bits.T + (1 - bits) @ gm.T @ (1 - bits).T
            total = inner + jumps + self.scale * np.eye(A.shape[0])
            best = max(best, float(np.max(total)))
        return best

    @property
    def size(self):
        return int(self.offsets[-1])

    def split(self, x):
        return [x[self.offsets[m] : self.offsets[m + 1]].reshape(d, d) for m, d in enumerate(self.dims)]

    @staticmethod
    def _jumps(ops, X):
        """sum_k w_k c_k X c_k^dag (c_k sparse)."""
        out = 0
        for w, c in ops:
            out = out + w * (c @ (c @ X).conj().T).conj().T
        return out

    def matvec(self, x):
        X = self.split(x)
        out = []
        for m in range(self.n + 1):
            Y = self.A[m] @ X[m] + X[m] @ self.A[m].conj().T
            if m < self.n:
                Y = Y + self._jumps(self.C[m], X[m + 1])
            if m > 0:
                Y = Y + self._jumps(self.E[m - 1], X[m - 1])
            out.append(Y)
        out[0] = np.array([[self.scale * sum(np.trace(Xm) for Xm in X)]])
        return np.concatenate([Y.ravel() for Y in out])

    def _sylvester(self, m, Y):
        """X with A_m X + X A_m^dag = Y, from A_m = V diag(l) V^-1: X = V [(V^-1 Y V^-dag) / (l_i + conj l_j)] V^dag."""
        V, Vinv, den = self.eig[m]
        return V @ ((Vinv @ Y @ Vinv.conj().T) / den) @ V.conj().T

    def precondition(self, y):
        Y = self.split(y)
        X = [None] * (self.n + 1)
        X[self.n] = self._sylvester(self.n, Y[self.n])
        for m in range(self.n - 1, 0, -1):
            X[m] = self._sylvester(m, Y[m] - self._jumps(self.C[m], X[m + 1]))
        X[0] = (Y[0] - self.scale * sum(np.trace(X[m]) for m in range(1, self.n + 1))) / self.scale
        return np.concatenate([Xm.ravel() for Xm in X])

    def solve(self, rhs, maxiter=20):
        """GMRES (preconditioned, started from the preconditioner's solution); (x, converged)."""
        op = spla.LinearOperator((self.size, self.size), matvec=self.matvec, dtype=complex)
        pre = spla.LinearOperator((self.size, self.size), matvec=self.precondition, dtype=complex)
        x, info = spla.gmres(
            op, rhs, x0=self.precondition(rhs), rtol=GMRES_RTOL, atol=0.0, restart=60, maxiter=maxiter, M=pre
        )
        return x, info == 0


def _eig_sylvester(a):
    """(V, V^-1, l_i + conj(l_j)) of a = V diag(l) V^-1 for :meth:`_SectorSystem._sylvester`.

    Only the preconditioner uses it, so an ill-conditioned V (near an exceptional point) costs
    GMRES iterations, not accuracy. Exactly zero denominators (a dark state) are replaced by
    the smallest representable scale, so that the preconditioner stays finite.
    """
    lam, V = np.linalg.eig(a)
    den = lam[:, None] + np.conj(lam)[None, :]
    tiny = np.finfo(float).eps * max(float(np.max(np.abs(lam))), np.finfo(float).tiny)
    den = np.where(np.abs(den) < tiny, tiny, den)
    return V, np.linalg.inv(V), den


def _jump_ops(rate, lowering):
    """[(w_k, c_k)] with rate = sum_k w_k u_k u_k^dag and c_k = sum_q conj(u_k[q]) lowering[q] (sparse)."""
    w, U = np.linalg.eigh(rate)
    out = []
    for k in range(len(w)):
        if w[k] != 0:
            c = lowering[0] * np.conj(U[0, k])
            for q in range(1, len(w)):
                c = c + lowering[q] * np.conj(U[q, k])
            out.append((w[k], c.tocsr()))
    return out


#: GMRES stopping rule (relative residual) of :func:`steady_state_n`
GMRES_RTOL = 1e-14


def _rcond_estimate(system, x, rhs, converged, seed=0):
    """Estimated reciprocal 1-norm condition number of the bordered k = 0 block.

    |M^-1|_1 is bounded below by |M^-1 z|_1 / |z|_1 for the right-hand side and for one
    random z (a singular, but consistent, bordered system still solves for the trace
    right-hand side; the probe's GMRES need not converge, its iterate already has the size
    of M^-1 z); |M|_1 from :meth:`_SectorSystem.norm1`. 0 when the steady-state solve does not
    converge. A lower bound of |M^-1|, so the estimate can exceed the exact rcond (measured:
    by up to ~10-1000x on stiff chains), unlike the exact LAPACK value of the dense path.
    """
    if not converged or not np.all(np.isfinite(x)):
        return 0.0
    z = np.random.default_rng(seed).standard_normal(system.size) + 0j
    y, _ = system.solve(z, maxiter=2)
    if not np.all(np.isfinite(y)):
        return 0.0
    inv = max(np.abs(x).sum() / np.abs(rhs).sum(), np.abs(y).sum() / np.abs(z).sum())
    return float(1.0 / (system.norm1() * inv))


@cache
def _blas_controller():
    """One threadpoolctl controller (inspecting the loaded libraries costs ~ms per call)."""
    return ThreadpoolController()


#: k = 0 blocks up to this dimension (N <= 6: 924) are solved densely (LU, exact LAPACK
#: condition number); larger ones matrix-free by :class:`_SectorSystem`
DENSE_MAX_DIM = 1000


def _steady_dense(n, gp, gm, lam):
    """Dense LU of the bordered k = 0 block; (x, reciprocal 1-norm condition number)."""
    M = _block_dense(n, 0, gp, gm, _sector_A(gp, gm, lam))
    i, j = block_indices(n, 0)
    scale = float(np.max(np.abs(M)))
    # row 0, the population of |g...g>, is redundant (the population rows sum to zero)
    M[0, :] = scale * (i == j)
    rhs = np.zeros(M.shape[0], complex)
    rhs[0] = scale
    anorm = float(np.max(np.sum(np.abs(M), axis=0)))
    with np.errstate(all="ignore"):
        lu, piv, info = scipy.linalg.lapack.zgetrf(M)
        if info != 0 or scale == 0:
            return np.full(M.shape[0], np.nan + 0j), 0.0
        rcond, _ = scipy.linalg.lapack.zgecon(lu, anorm, norm="1")
        x, _ = scipy.linalg.lapack.zgetrs(lu, piv, rhs)
    return x, float(rcond)


def steady_state_n(gamma_plus, gamma_minus, Lambda, *, rcond_tol=RCOND_TOL, return_rcond=False):
    """Stationary density matrix of the N-qubit master equation (docs/theory.md §10).

    Parameters
    ----------
    gamma_plus, gamma_minus, Lambda : array_like, shape (N, N), complex
        Gamma^{qq'}(+w), Gamma^{qq'}(-w) and Lambda^{qq'} [Gamma0] (Hermitian;
        the diagonal of Lambda is ignored). 2 <= N <= ``MAX_QUBITS`` (10).
    rcond_tol : float
        The steady state is declared non-unique (raises
        :class:`DegenerateManySteadyStateError`) when the reciprocal 1-norm
        condition number [1] of the k = 0 block, with the ground-state
        population equation replaced by the trace condition scaled by
        max``|L|``, is below ``rcond_tol`` (default 1e-13, as for two qubits).
    return_rcond : bool
        Also return that reciprocal condition number.

    Returns
    -------
    rho : ndarray, shape (2^N, 2^N), complex
        Hermitian, trace 1 (basis of §10) [1]; zero outside the k = 0 block
        (module docstring).
    rcond : float
        The reciprocal condition number [1] (only with ``return_rcond``).
    """
    n, gp, gm, lam = _rates_in(gamma_plus, gamma_minus, Lambda)
    # the sector matrices are small (<= 252 x 252): one BLAS thread each; a threaded
    # BLAS costs 30x more here when the cores are shared (measured at N = 8)
    with _blas_controller().limit(limits=1, user_api="blas"):
        if comb(2 * n, n) <= DENSE_MAX_DIM:
            x, rcond = _steady_dense(n, gp, gm, lam)
        else:
            system = _SectorSystem(n, gp, gm, lam)
            rhs = np.zeros(system.size, complex)
            rhs[0] = system.scale
            x, ok = system.solve(rhs)
            rcond = _rcond_estimate(system, x, rhs, ok)
    if not rcond >= rcond_tol:
        raise DegenerateManySteadyStateError(rcond, rcond_tol, n)
    i, j = block_indices(n, 0)
    rho = np.zeros((2**n, 2**n), complex)
    rho[i, j] = x
    rho = 0.5 * (rho + rho.conj().T)
    rho /= np.trace(rho).real
    return (rho, rcond) if return_rcond else rho


# ---------------------------------------------------------------------------
# Initial states
# ---------------------------------------------------------------------------


def thermal_product_state(n, occ):
    """Product of N single-qubit thermal states.

    Qubit populations (1 + occ, occ) / (1 + 2 occ) for (g, e).

    Parameters
    ----------
    n : int
        Number of qubits [1].
    occ : float
        Mean occupation [1], >= 0.

    Returns
    -------
    ndarray, shape (2^n, 2^n), complex
        The diagonal density matrix [1].
    """
    occ = float(occ)
    if not (np.isfinite(occ) and occ >= 0):
        raise ValueError(f"occupation must be finite and >= 0, got {occ!r}")
    _, _, pop = _sectors(n)
    p_e = occ / (1 + 2 * occ)
    p = (1 - p_e) ** (n - pop) * p_e**pop
    return np.diag(p).astype(complex)


def validate_state_n(rho, n, name="initial state", atol=STATE_ATOL):
    """Check that ``rho`` is an n-qubit density matrix (Hermitian, trace 1, >= 0).

    Parameters
    ----------
    rho : array_like, shape (2^n, 2^n)
        The matrix [1].
    n : int
        Number of qubits [1].
    name : str
        What ``rho`` is, for the error message.
    atol : float
        Tolerance of the checks [1].

    Returns
    -------
    ndarray, shape (2^n, 2^n), complex
        ``rho`` as complex; ValueError naming ``name`` otherwise.
    """
    r = np.asarray(rho)
    dim = 2**n
    if not np.issubdtype(r.dtype, np.number) or r.shape != (dim, dim):
        raise ValueError(f"{name} must be a {dim}x{dim} numeric matrix (basis of docs/theory.md §10), got {r.shape}")
    r = r.astype(complex)
    if not np.all(np.isfinite(r)):
        raise ValueError(f"{name} must be finite")
    herm = float(np.max(np.abs(r - r.conj().T)))
    if herm > atol:
        raise ValueError(f"{name} is not Hermitian: max|rho - rho^dag| = {herm:.3g} > {atol:g}")
    tr = np.trace(r).real
    if abs(tr - 1) > atol:
        raise ValueError(f"{name} must have trace 1 (within {atol:g}), got trace {tr:.12g}")
    emin = float(np.min(np.linalg.eigvalsh(0.5 * (r + r.conj().T))))
    if emin < -atol:
        raise ValueError(f"{name} is not positive semidefinite: smallest eigenvalue {emin:.3g} < {-atol:g}")
    return r


def initial_state_n(spec, n, occ=None):
    """Initial n-qubit density matrix.

    Parameters
    ----------
    spec : str or array_like
        ``"G"`` (all ground), ``"E"`` (all excited), ``"S"`` (the symmetric
        one-excitation W state sum_q ``|e_q>`` / sqrt(N)), ``"A"``
        ((``|e_1> - |e_2>``) / sqrt(2), qubits 3..N in g; for N = 2 the ``|A>`` of §6),
        ``"thermal"`` (product thermal state with occupation ``occ``), a string
        of N letters g/e (qubit 1 first, e.g. ``"egg"``), or a matrix (validated).
    n : int
        Number of qubits [1].
    occ : float, optional
        Mean occupation [1] of the thermal state (only with ``"thermal"``).

    Returns
    -------
    ndarray, shape (2^n, 2^n), complex
        The density matrix [1].
    """
    dim = 2**n
    if isinstance(spec, str):
        key = spec.strip().strip("|>").strip()
        vec = np.zeros(dim, complex)
        if key.upper() == "THERMAL":
            if occ is None:
                raise ValueError("the thermal initial state needs an occupation")
            return thermal_product_state(n, occ)
        if key.upper() == "G":
            vec[0] = 1
        elif key.upper() == "E":
            vec[-1] = 1
        elif key.upper() == "S":
            vec[1 << np.arange(n)] = 1 / np.sqrt(n)
        elif key.upper() == "A":
            vec[1], vec[2] = 1 / np.sqrt(2), -1 / np.sqrt(2)
        elif len(key) == n and set(key.lower()) <= {"g", "e"}:
            vec[sum(1 << q for q, c in enumerate(key.lower()) if c == "e")] = 1
        else:
            raise ValueError(
                f"initial state must be G, E, S, A, thermal, {n} letters g/e (qubit 1 first) "
                f"or a {dim}x{dim} matrix; got {spec!r}"
            )
        return np.outer(vec, vec.conj())
    if occ is not None:
        raise ValueError("an occupation only applies to the thermal initial state")
    return validate_state_n(spec, n)


# ---------------------------------------------------------------------------
# Time evolution
# ---------------------------------------------------------------------------


def slowest_relaxation_rate_n(gamma_plus, gamma_minus):
    """Smallest eigenvalue of the Hermitian part of Gamma(+w) + Gamma(-w).

    Parameters
    ----------
    gamma_plus, gamma_minus : array_like, shape (N, N), complex
        Gamma^{qq'}(+w) and Gamma^{qq'}(-w) [Gamma0].

    Returns
    -------
    float
        The slowest single-excitation decay rate [Gamma0].
    """
    decay = np.asarray(gamma_plus) + np.asarray(gamma_minus)
    return float(np.min(np.linalg.eigvalsh(0.5 * (decay + decay.conj().T))))


def evolve_n(gamma_plus, gamma_minus, Lambda, rho0, times, *, cond_max=1e6):
    """Density matrix in time under the N-qubit master equation (docs/theory.md §10).

    Method: each block k <= 0 holding part of rho0 is propagated on its own
    by the eigen-expansion of :mod:`neqent.dynamics.master` (stationary mode
    of the k = 0 block with eigenvalue exactly 0 and the exact trace, no
    round-off growth with t, expm fallback near exceptional points); the
    k > 0 blocks are the conjugate transposes, and rho(t) is made exactly Hermitian.
    Cost: one dense eigendecomposition per block (N = 6: k = 0 block 924 x 924,
    ~4 s for 60 times from ``|A>``), plus ``scipy.linalg.expm`` per time where the
    eigenvectors are ill-conditioned (cond > ``cond_max``).

    Parameters
    ----------
    gamma_plus, gamma_minus, Lambda : array_like, shape (N, N), complex
        Rates as in :func:`steady_state_n` [Gamma0]; N <= ``MAX_EVOLVE_QUBITS`` (6).
    rho0 : array_like, shape (2^N, 2^N), complex
        Initial density matrix [1] (its Hermitian part is evolved).
    times : array_like, shape (nt,)
        Times [1/Gamma0], >= 0.
    cond_max : float
        Eigenvector condition number [1] above which expm is used.

    Returns
    -------
    ndarray, shape (nt, 2^N, 2^N), complex
        rho(t) [1].
    """

    n, gp, gm, lam = _rates_in(gamma_plus, gamma_minus, Lambda)
    if n > MAX_EVOLVE_QUBITS:
        raise ValueError(f"evolve supports at most {MAX_EVOLVE_QUBITS} qubits, got {n}")
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("times must be a non-empty 1-D array of finite values >= 0 (units of 1/Gamma0)")
    r0 = np.asarray(rho0, complex)
    if r0.shape != (2**n, 2**n):
        raise ValueError(f"rho0 must be {2**n}x{2**n}, got {r0.shape}")
    r0 = 0.5 * (r0 + r0.conj().T)
    # one BLAS thread: eig of the 924 x 924 block (N = 6) took 2.6 s, and 17.6 s with a
    # threaded BLAS on the 2 shared cores
    with _blas_controller().limit(limits=1, user_api="blas"):
        return _evolve_blocks(n, gp, gm, lam, r0, t, cond_max)


def _evolve_blocks(n, gp, gm, lam, r0, t, cond_max):
    """Body of :func:`evolve_n` on validated inputs."""
    from neqent.dynamics.evolution import ROUNDOFF_RE, propagate_blocks

    Am = _sector_A(gp, gm, lam)
    tol = np.array([ROUNDOFF_RE * max(np.max(np.abs(gp)), np.max(np.abs(gm)), np.max(np.abs(lam)))])
    out = np.zeros((t.size, 2**n, 2**n), complex)
    for k in range(-n, 1):
        i, j = block_indices(n, k)
        x0 = r0[i, j]
        if k != 0 and not np.any(x0 != 0):
            continue
        Lk = _block_dense(n, k, gp, gm, Am)[None]
        trace = (i == j).astype(float) if k == 0 else None
        x = propagate_blocks(Lk, x0[None], np.zeros(1, dtype=np.int64), t, cond_max, tol, trace=trace)[0]
        out[:, i, j] = x
        if k != 0:
            out[:, j, i] = np.conj(x)
    # the complex k = 0 eigen-expansion is Hermitian only to ~1e-10 near stiff modes: symmetrise
    return 0.5 * (out + np.conj(np.swapaxes(out, -1, -2)))
