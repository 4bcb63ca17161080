"""Two-qubit master equation: Liouvillian, steady state, time evolution (docs/theory.md §6).

Units: rates (``gamma_plus``, ``gamma_minus``, ``lambda12``) in units of the
vacuum decay rate Gamma0; time in units of 1/Gamma0. Density matrices are
``(..., 4, 4)`` complex in the decoupled basis |gg>, |eg>, |ge>, |ee> (first
letter = qubit 1, so basis index = a + 2 b with a, b the excitations of
qubits 1, 2). Rate matrices are ``(..., 2, 2)`` indexed ``[q, q']`` (q = 0, 1
for qubits 1, 2 of docs/theory.md); ``lambda12`` is Lambda^{12} and
Lambda^{21} = conj(Lambda^{12}).

Vectorisation convention (used by :func:`liouvillian`): row-major,
``vec(rho)[4 i + j] = rho[i, j]`` (numpy ``rho.reshape(..., 16)``), so that
``vec(A rho B) = kron(A, B.T) vec(rho)``.

Block structure (derived here, verified in tests): every term of the master
equation of §6 is a sandwich ``sigma rho sigma^dag``, ``sigma^dag rho sigma``
or a (anti)commutator with an excitation-conserving operator, so the
Liouvillian conserves ``k = N_i - N_j`` for ``rho_ij`` (N = number of
excitations of the basis state, N = 0, 1, 1, 2). It is block diagonal:

* k = 0: rho_11, rho_22, rho_23, rho_32, rho_33, rho_44 (the "X part"; with
  Hermitian rates it is a real 6x6 system in p1..p4, Re rho_23, Im rho_23);
* k = -1 (and its mirror +1): rho_12, rho_13, rho_24, rho_34;
* k = -2 (and +2): rho_14.

This holds for *all* rates (any z1, z2, complex Gamma^{12}, Lambda), so the
steady state is always obtained from the k = 0 block alone, provided the
k != 0 blocks are non-singular (then their stationary part is 0). When a
k != 0 block is singular or the k = 0 block has a kernel of dimension > 1 the
stationary state is not unique (§6 degenerate case) and is reported, see
:func:`steady_state`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.linalg

from neqent.errors import NeqentInputError
from neqent.jit import njit

__all__ = [
    "DegenerateSteadyStateError",
    "liouvillian",
    "steady_state",
    "solve_steady_state",
    "SteadyState",
    "evolve",
    "slowest_relaxation_rate",
    "initial_state",
    "thermal_state",
    "validate_density_matrix",
    "BASIS_LABELS",
    "coupled_basis",
    "RCOND_TOL",
    "HERMITIAN_RTOL",
]

BASIS_LABELS = ("gg", "eg", "ge", "ee")

#: default threshold on the reciprocal condition number used to declare a
#: steady state non-unique (see :func:`steady_state`)
RCOND_TOL = 1e-13
#: relative tolerance on the Hermiticity of the 2x2 rate matrices
HERMITIAN_RTOL = 1e-8
#: tolerances used to validate user density matrices
STATE_ATOL = 1e-10


class DegenerateSteadyStateError(NeqentInputError):
    """The stationary state is not unique (docs/theory.md §6 degenerate case).

    Attributes: ``mask`` (bool array over the batch shape, True where
    degenerate), ``count`` (number of degenerate points), ``rcond`` (the
    reciprocal condition numbers, see :func:`steady_state`).
    """

    def __init__(self, mask, rcond, tol):
        self.mask = mask
        self.count = int(np.count_nonzero(mask))
        self.rcond = rcond
        first = np.argwhere(mask)[0] if self.count else None
        idx = tuple(int(i) for i in first) if first is not None else None
        super().__init__(
            f"steady state is not unique at {self.count} of {mask.size} point(s) "
            f"(reciprocal condition number < {tol:g}; first at index {idx}, "
            f"rcond = {float(rcond[idx]) if idx is not None else float('nan'):.3g}). "
            "This happens when alpha^11 = alpha^22 = alpha^12 (the antisymmetric "
            "state decouples, docs/theory.md §6): the long-time state then depends on "
            "the initial state; use evolve(), or on_degenerate='nan'."
        )


# ---------------------------------------------------------------------------
# Operators and constant superoperator basis
# ---------------------------------------------------------------------------

_S = np.array([[0.0, 1.0], [0.0, 0.0]])  # |g><e| with g = 0, e = 1
_I2 = np.eye(2)
# basis index = a + 2 b (a: qubit 1, b: qubit 2) = kron(qubit2, qubit1) ordering
SIGMA = np.array([np.kron(_I2, _S), np.kron(_S, _I2)])  # lowering operators sigma_1, sigma_2
_I4 = np.eye(4)


def _spre(a):
    """Superoperator of rho -> a rho (row-major vec)."""
    return np.kron(a, _I4)


def _spost(b):
    """Superoperator of rho -> rho b (row-major vec)."""
    return np.kron(_I4, b.T)


def _build_basis():
    """Constant 16x16 superoperators whose rate-weighted sum is L (§6).

    Returns (10, 16, 16) complex: index 0..3 multiply gamma_plus[q, q'] with
    (q, q') = (0,0), (0,1), (1,0), (1,1); 4..7 gamma_minus likewise; 8 and 9
    multiply Lambda^{12} and Lambda^{21}.
    """
    out = np.zeros((10, 16, 16), complex)
    sd = [s.conj().T for s in SIGMA]
    for q in range(2):
        for qp in range(2):
            k = 2 * q + qp
            # Gamma^{qq'}(+w) ( s_q' rho s_q^dag - 1/2 {s_q^dag s_q', rho} )
            a = sd[q] @ SIGMA[qp]
            out[k] = _spre(SIGMA[qp]) @ _spost(sd[q]) - 0.5 * (_spre(a) + _spost(a))
            # Gamma^{qq'}(-w) ( s_q'^dag rho s_q - 1/2 {s_q s_q'^dag, rho} )
            b = SIGMA[q] @ sd[qp]
            out[4 + k] = _spre(sd[qp]) @ _spost(SIGMA[q]) - 0.5 * (_spre(b) + _spost(b))
    # -i Lambda^{qq'} [s_q^dag s_q', rho], q != q'
    h12 = sd[0] @ SIGMA[1]
    h21 = sd[1] @ SIGMA[0]
    out[8] = -1j * (_spre(h12) - _spost(h12))
    out[9] = -1j * (_spre(h21) - _spost(h21))
    return out


_BASIS = _build_basis()

# vec indices of the blocks (row-major, 4 i + j)
_K0 = np.array([0, 5, 6, 9, 10, 15])  # rho11 rho22 rho23 rho32 rho33 rho44
_KM1 = np.array([1, 2, 7, 11])  # rho12 rho13 rho24 rho34
_KM2 = 3  # rho14


def _real_block_basis():
    """Real 6x6 matrices P_k, Q_k with L_real = sum_k Re(c_k) P_k + Im(c_k) Q_k.

    Real unknowns r = (p1, p2, p3, p4, x, y), rho_23 = x + i y. The complex
    k = 0 block acts on v = (p1, p2, x+iy, x-iy, p3, p4); the real equations
    are the real parts of d(p1, p2, p3, p4)/dt and Re, Im of d rho_23/dt.
    """
    T = np.zeros((6, 6), complex)
    T[0, 0] = T[1, 1] = T[4, 2] = T[5, 3] = 1
    T[2, 4], T[2, 5] = 1, 1j
    T[3, 4], T[3, 5] = 1, -1j
    rows = [0, 1, 4, 5, 2]
    P = np.zeros((10, 6, 6))
    Q = np.zeros((10, 6, 6))
    for k in range(10):
        G = _BASIS[k][np.ix_(_K0, _K0)] @ T
        # c G r with c = cr + i ci: Re = cr Re G - ci Im G ; Im = cr Im G + ci Re G
        P[k, :5] = G[rows].real
        Q[k, :5] = -G[rows].imag
        P[k, 5] = G[2].imag
        Q[k, 5] = G[2].real
    return P, Q


_P0, _Q0 = _real_block_basis()
_BM1 = np.ascontiguousarray(_BASIS[:, _KM1][:, :, _KM1])
_BM2 = np.ascontiguousarray(_BASIS[:, _KM2, _KM2])


def coupled_basis():
    """Unitary U (4, 4) whose columns are |G>, |A>, |S>, |E> in the decoupled basis (§6).

    rho_coupled = U^dag rho U.
    """
    r = 1 / np.sqrt(2)
    return np.array([[1, 0, 0, 0], [0, r, r, 0], [0, -r, r, 0], [0, 0, 0, 1]], complex)


# ---------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------


def _rates_in(gamma_plus, gamma_minus, lambda12, check_hermitian=True):
    """Validate, broadcast and flatten the rates.

    Returns (batch_shape, coefficient array (N, 10) complex) in the order of
    ``_BASIS``. With ``check_hermitian`` the 2x2 rate matrices must be
    Hermitian within HERMITIAN_RTOL * max|Gamma| (docs/theory.md §5: Gamma(+-w) are
    Hermitian) and are then replaced by their Hermitian part.
    """
    gp = np.asarray(gamma_plus, dtype=complex)
    gm = np.asarray(gamma_minus, dtype=complex)
    lam = np.asarray(lambda12, dtype=complex)
    for name, g in (("gamma_plus", gp), ("gamma_minus", gm)):
        if g.ndim < 2 or g.shape[-2:] != (2, 2):
            raise ValueError(f"{name} must have shape (..., 2, 2) (units of Gamma0), got {g.shape}")
        if not np.all(np.isfinite(g)):
            raise ValueError(f"{name} must be finite (units of Gamma0); found non-finite entries")
    if not np.all(np.isfinite(lam)):
        raise ValueError("lambda12 must be finite (units of Gamma0); found non-finite entries")
    try:
        shape = np.broadcast_shapes(gp.shape[:-2], gm.shape[:-2], lam.shape)
    except ValueError:
        raise ValueError(
            f"batch shapes do not broadcast: gamma_plus {gp.shape}, gamma_minus {gm.shape}, lambda12 {lam.shape}"
        ) from None
    if check_hermitian:
        hp, hm = [], []
        for name, g in (("gamma_plus", gp), ("gamma_minus", gm)):
            gh = np.conj(np.swapaxes(g, -1, -2))
            dev = np.max(np.abs(g - gh), axis=(-1, -2))
            scale = np.maximum(np.max(np.abs(g), axis=(-1, -2)), 1e-300)
            bad = dev > HERMITIAN_RTOL * scale
            if np.any(bad):
                i = np.argwhere(bad)[0] if bad.ndim else ()
                raise ValueError(
                    f"{name} must be Hermitian 2x2 matrices (docs/theory.md §5) within relative "
                    f"{HERMITIAN_RTOL:g}; at batch index {tuple(int(v) for v in i)} "
                    f"max|G - G^dag| / max|G| = {float((dev / scale)[tuple(i)]):.3g}"
                )
            (hp if name == "gamma_plus" else hm).append(0.5 * (g + gh))
        gp, gm = hp[0], hm[0]
    n = int(np.prod(shape, dtype=np.int64))
    c = np.empty((n, 10), complex)
    c[:, 0:4] = np.broadcast_to(gp, shape + (2, 2)).reshape(n, 4)
    c[:, 4:8] = np.broadcast_to(gm, shape + (2, 2)).reshape(n, 4)
    c[:, 8] = np.broadcast_to(lam, shape).reshape(n)
    c[:, 9] = np.conj(c[:, 8])
    return shape, c


# ---------------------------------------------------------------------------
# Liouvillian
# ---------------------------------------------------------------------------


def liouvillian(gamma_plus, gamma_minus, lambda12):
    """Superoperator L of the master equation of docs/theory.md §6.

    d vec(rho)/dt = L vec(rho) with row-major vec (``vec(rho)[4 i + j] =
    rho[i, j]``). The rate matrices are used as given (no Hermiticity
    check), so L is exactly the right-hand side of §6 for any input.

    Parameters
    ----------
    gamma_plus, gamma_minus : array_like, shape (..., 2, 2), complex
        Gamma^{qq'}(+w), Gamma^{qq'}(-w) [Gamma0].
    lambda12 : array_like, shape (...), complex
        Lambda^{12} [Gamma0]; Lambda^{21} = conj(Lambda^{12}). Batch shapes broadcast.

    Returns
    -------
    ndarray, shape (..., 16, 16), complex
        L [Gamma0].
    """
    shape, c = _rates_in(gamma_plus, gamma_minus, lambda12, check_hermitian=False)
    L = np.einsum("nk,kij->nij", c, _BASIS)
    return L.reshape(shape + (16, 16))


# ---------------------------------------------------------------------------
# Steady state
# ---------------------------------------------------------------------------


@njit
def _norm1(A):
    """Matrix 1-norm: largest column sum of |A_ij|."""
    norm = 0.0
    for j in range(A.shape[1]):
        s = 0.0
        for i in range(A.shape[0]):
            s += abs(A[i, j])
        norm = max(norm, s)
    return norm


@njit
def _inverse_rcond(A, Ainv):
    """Invert A (n x n, overwritten) into Ainv by LU with partial pivoting.

    Returns the reciprocal 1-norm condition number 1 / (|A|_1 |A^-1|_1),
    0.0 if a pivot is exactly zero.
    """
    n = A.shape[0]
    anorm = _norm1(A)
    perm = np.arange(n)
    for k in range(n):
        p = k
        best = abs(A[k, k])
        for i in range(k + 1, n):
            if abs(A[i, k]) > best:
                best = abs(A[i, k])
                p = i
        if best == 0.0 or anorm == 0.0:
            return 0.0
        if p != k:
            for j in range(n):
                t = A[k, j]
                A[k, j] = A[p, j]
                A[p, j] = t
            t2 = perm[k]
            perm[k] = perm[p]
            perm[p] = t2
        for i in range(k + 1, n):
            f = A[i, k] / A[k, k]
            A[i, k] = f
            for j in range(k + 1, n):
                A[i, j] -= f * A[k, j]
    # solve A X = P I column by column
    for c in range(n):
        y = np.zeros(n, A.dtype)
        for i in range(n):
            y[i] = 1.0 if perm[i] == c else 0.0
            for j in range(i):
                y[i] -= A[i, j] * y[j]
        for i in range(n - 1, -1, -1):
            acc = y[i]
            for j in range(i + 1, n):
                acc -= A[i, j] * y[j]
            y[i] = acc / A[i, i]
        for i in range(n):
            Ainv[i, c] = y[i]
    inorm = _norm1(Ainv)
    if not np.isfinite(inorm) or inorm == 0.0:
        return 0.0
    return 1.0 / (anorm * inorm)


@njit
def _steady_kernel(c, P, Q, BM1, BM2, rho, rcond):
    """Steady state of each point from the k = 0 block (see module docstring).

    c: (N, 10) complex coefficients; P, Q: (10, 6, 6) real block basis;
    BM1: (10, 4, 4) complex k = -1 block basis; BM2: (10,) complex k = -2.
    Writes rho (N, 4, 4) and rcond (N,) = min over the three blocks.
    """
    n = c.shape[0]
    M = np.empty((6, 6))
    Minv = np.empty((6, 6))
    B = np.empty((4, 4), np.complex128)
    Binv = np.empty((4, 4), np.complex128)
    for p in range(n):
        M[:, :] = 0.0
        B[:, :] = 0.0
        b2 = 0.0 + 0.0j
        for k in range(10):
            cr = c[p, k].real
            ci = c[p, k].imag
            if cr != 0.0 or ci != 0.0:
                for i in range(6):
                    for j in range(6):
                        M[i, j] += cr * P[k, i, j] + ci * Q[k, i, j]
                for i in range(4):
                    for j in range(4):
                        B[i, j] += c[p, k] * BM1[k, i, j]
                b2 += c[p, k] * BM2[k]
        scale = 0.0
        for i in range(6):
            for j in range(6):
                scale = max(scale, abs(M[i, j]))
        # Trace condition replaces the p1 equation (redundant: the population
        # rows sum to zero). Scaled by the rate scale so rcond is unit-free.
        for j in range(6):
            M[0, j] = scale if j < 4 else 0.0
        r0 = _inverse_rcond(M, Minv)
        r1 = _inverse_rcond(B, Binv)
        r2 = abs(b2) / scale if scale > 0.0 else 0.0
        rcond[p] = min(r0, min(r1, r2))
        for i in range(4):
            for j in range(4):
                rho[p, i, j] = 0.0
        # solution = M^-1 (scale, 0, ..., 0) = scale * first column of M^-1
        x = np.empty(6)
        for i in range(6):
            x[i] = scale * Minv[i, 0]
        rho[p, 0, 0] = x[0]
        rho[p, 1, 1] = x[1]
        rho[p, 2, 2] = x[2]
        rho[p, 3, 3] = x[3]
        rho[p, 1, 2] = x[4] + 1j * x[5]
        rho[p, 2, 1] = x[4] - 1j * x[5]


def _steady_full(c, chunk=4096):
    """Reference solver: batched 16x16 solve of L with one row replaced by the trace.

    Returns rho (N, 4, 4), rcond (N,) (reciprocal 1-norm condition number of
    the bordered matrix, the trace row scaled by max|L|).
    """
    n = c.shape[0]
    rho = np.empty((n, 4, 4), complex)
    rcond = np.empty(n)
    tr = np.eye(4).reshape(16)
    for s in range(0, n, chunk):
        L = np.einsum("nk,kij->nij", c[s : s + chunk], _BASIS)
        scale = np.max(np.abs(L), axis=(-1, -2))
        L[:, 0, :] = scale[:, None] * tr
        rhs = np.zeros(L.shape[:2], complex)
        rhs[:, 0] = scale
        with np.errstate(all="ignore"):
            ok = scale > 0
            cond = np.full(len(L), np.inf)
            if np.any(ok):
                cond[ok] = np.linalg.cond(L[ok], 1)
            x = np.full(rhs.shape, np.nan, complex)
            good = ok & np.isfinite(cond)
            if np.any(good):
                x[good] = np.linalg.solve(L[good], rhs[good][..., None])[..., 0]
        rho[s : s + chunk] = x.reshape(-1, 4, 4)
        rcond[s : s + chunk] = 1.0 / cond
    return rho, rcond


class SteadyState(NamedTuple):
    """Steady states of a batch with their uniqueness diagnostics (see :func:`solve_steady_state`).

    Attributes
    ----------
    rho : (..., 4, 4) complex ndarray
        Stationary density matrices [1], decoupled basis, trace 1; NaN where ``mask``.
    mask : (...) bool ndarray
        True where the steady state is not unique (rcond < rcond_tol).
    rcond : (...) float ndarray
        Smallest reciprocal condition number of the Liouvillian blocks [1].
    """

    rho: np.ndarray
    mask: np.ndarray
    rcond: np.ndarray


def _check_steady_options(rcond_tol, method):
    if method not in ("x", "full"):
        raise ValueError(f"method must be 'x' or 'full', got {method!r}")
    if not (np.isfinite(rcond_tol) and 0 <= rcond_tol < 1):
        raise ValueError(f"rcond_tol must be in [0, 1), got {rcond_tol!r}")


def solve_steady_state(gamma_plus, gamma_minus, lambda12, *, rcond_tol=RCOND_TOL, method="x") -> SteadyState:
    """Steady states with their degeneracy mask and condition numbers; never raises for degenerate points.

    Parameters
    ----------
    gamma_plus, gamma_minus, lambda12, rcond_tol, method
        As in :func:`steady_state`.

    Returns
    -------
    SteadyState
        ``(rho, mask, rcond)``: rho (..., 4, 4) [1] with NaN matrices where
        ``mask`` (...) is True (not unique), and the reciprocal condition
        numbers rcond (...) [1].
    """
    _check_steady_options(rcond_tol, method)
    shape, c = _rates_in(gamma_plus, gamma_minus, lambda12)
    if method == "x":
        n = c.shape[0]
        rho = np.empty((n, 4, 4), complex)
        rcond = np.empty(n)
        _steady_kernel(np.ascontiguousarray(c), _P0, _Q0, _BM1, _BM2, rho, rcond)
    else:
        rho, rcond = _steady_full(c)
    rho = rho.reshape(shape + (4, 4))
    rcond = rcond.reshape(shape)
    mask = ~(rcond >= rcond_tol)  # NaN rcond counts as degenerate
    if np.any(mask):
        rho = np.where(mask[..., None, None], np.nan + 0j, rho)
    return SteadyState(rho, mask, rcond)


def steady_state(gamma_plus, gamma_minus, lambda12, *, on_degenerate="raise", rcond_tol=RCOND_TOL, method="x"):
    """Stationary density matrix of the master equation (docs/theory.md §6), batched.

    Always returns the array of density matrices; :func:`solve_steady_state`
    gives the degeneracy mask and condition numbers as well.

    Parameters
    ----------
    gamma_plus, gamma_minus : (..., 2, 2) complex
        Gamma^{qq'}(+w), Gamma^{qq'}(-w) [Gamma0]; must be Hermitian (relative
        tolerance ``HERMITIAN_RTOL`` = 1e-8, then symmetrised).
    lambda12 : (...,) complex
        Lambda^{12} [Gamma0]; Lambda^{21} = conj(Lambda^{12}).
    on_degenerate : {"raise"}
        Raise :class:`DegenerateSteadyStateError` (count and mask) if any
        point has a non-unique steady state. (The former "nan" mode returned
        a tuple; :func:`solve_steady_state` now gives NaN matrices, the mask
        and the condition numbers.)
    rcond_tol : float
        A point is degenerate when the reciprocal 1-norm condition number [1] of
        any Liouvillian block (k = 0 block bordered by the trace condition,
        k = -1 block, k = -2 rate relative to the k = 0 rate scale) is below
        ``rcond_tol`` (default 1e-13). rcond is roughly the ratio of the
        slowest to the fastest relaxation rate, e.g. ~Gamma_A/Gamma_S / (1 +
        n) in the symmetric case (measured: 1.7e-12 at Gamma_A/Gamma_S =
        1e-8, n_S = 1000). Exactly degenerate inputs (alpha^11 = alpha^22 =
        |alpha^12| with a Lambda that does not couple the dark state) give
        rcond <= 1e-16 (or 0). At the threshold the relative error of the
        result is up to ~1e-3 (error ~ 1e-16 / rcond).
    method : {"x", "full"}
        "x" (default): numba kernel on the real 6x6 k = 0 block (the block
        structure always holds for §6, see module docstring; k != 0
        coherences are 0 in a unique steady state). "full": batched 16x16
        complex solve of the whole Liouvillian (slow reference).

    Returns
    -------
    rho : (..., 4, 4) complex ndarray
        Decoupled basis, trace 1 [1].
    """
    if on_degenerate != "raise":
        raise ValueError(
            f"on_degenerate must be 'raise' (solve_steady_state gives NaN matrices and the mask), got {on_degenerate!r}"
        )
    result = solve_steady_state(gamma_plus, gamma_minus, lambda12, rcond_tol=rcond_tol, method=method)
    if np.any(result.mask):
        raise DegenerateSteadyStateError(result.mask, result.rcond, rcond_tol)
    return result.rho


# ---------------------------------------------------------------------------
# Time evolution
# ---------------------------------------------------------------------------

#: eigenvector-matrix condition number above which evolve() falls back to expm
EIG_COND_MAX = 1e6


#: trace functional on the real k = 0 coordinates (p1, p2, p3, p4, x, y):
#: the exact left null vector of the k = 0 block (trace preservation)
_TRACE0 = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0])
#: eigenvalues with 0 < Re(lam) <= _ROUNDOFF_RE * max|rate| are round-off of
#: Re(lam) = 0 (a Lindblad generator has Re(lam) <= 0) and are set to Re = 0
_ROUNDOFF_RE = 64 * np.finfo(float).eps
#: the zero eigenvalue of the k = 0 block counts as simple when every other
#: eigenvector has |trace| <= _SIMPLE_ZERO * its norm (exactly 0 in theory)
_SIMPLE_ZERO = np.sqrt(np.finfo(float).eps)
#: exp(x) underflows to 0 below this (double precision)
_EXP_UNDERFLOW = -746.0


def _evolve_inputs(gamma_plus, gamma_minus, lambda12, rho0, times, cond_max):
    """Validate the inputs of :func:`evolve` (same checks and order as always).

    Returns (t, rho0 complex, batch shape, rate batch shape, coefficients (N, 10)).
    """
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"times must be a non-empty 1-D array (units of 1/Gamma0), got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        bad = t[~np.isfinite(t) | (t < 0)][0]
        raise ValueError(f"times must be finite and >= 0 (units of 1/Gamma0), got {bad!r}")
    r0 = np.asarray(rho0, dtype=complex)
    if r0.ndim < 2 or r0.shape[-2:] != (4, 4):
        raise ValueError(f"rho0 must have shape (..., 4, 4), got {r0.shape}")
    if not (np.isfinite(cond_max) and cond_max >= 1):
        raise ValueError(f"cond_max must be finite and >= 1, got {cond_max!r}")
    rshape, c = _rates_in(gamma_plus, gamma_minus, lambda12)
    try:
        shape = np.broadcast_shapes(rshape, r0.shape[:-2])
    except ValueError:
        raise ValueError(f"batch shapes of the rates {rshape} and rho0 {r0.shape[:-2]} do not broadcast") from None
    return t, r0, shape, rshape, c


def _propagate(A, x0, idx, t, cond_max, tol, trace=None):
    """x(t) = exp(A[idx] t) x0 for a batch of small blocks (one Liouvillian block).

    A: (nr, d, d) real or complex block per rate point; x0: (n, d) initial
    vectors; idx: (n,) rate point of each vector; t: (nt,); tol: (nr,)
    round-off threshold on Re(lam) (see ``_ROUNDOFF_RE``). Returns (n, nt, d)
    complex. Method: A = V diag(lam) V^-1; eigenvalues with 0 < Re(lam) <= tol
    get Re(lam) = 0, so exp(lam t) never grows from round-off (and never
    overflows for a Lindblad generator). With ``trace`` (the exact left null
    vector l, l A = 0) the stationary mode (largest |l.V_k| / |V_k|) gets
    lam = 0 exactly and the exact coefficient l.x0 / l.V_k (row k of V^-1 is
    l / l.V_k) and the other eigenvectors are made exactly trace-free, so
    l.x(t) = l.x0 to rounding at every t and x(inf) is the stationary vector (when the zero eigenvalue is simple, see
    ``_SIMPLE_ZERO``; otherwise the solved coefficients are kept). Modes
    with Re(lam) t below ``_EXP_UNDERFLOW`` are exactly 0. Rate points whose
    V has 2-norm condition number > cond_max (near a defective / exceptional
    point) use ``scipy.linalg.expm(A t)`` for every time instead (exact for
    defective A).
    """
    n, d = x0.shape
    out = np.empty((n, t.size, d), complex)
    lam, V = np.linalg.eig(A)
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(V)
    ok_r = np.isfinite(cond) & (cond <= cond_max)
    re = lam.real
    lam = np.where((re > 0) & (re <= tol[:, None]), 1j * lam.imag, lam)
    if trace is not None:
        lv = np.abs(np.einsum("i,rik->rk", trace, V)) / np.linalg.norm(V, axis=1)
        k0 = np.argmax(lv, axis=1)
        lam[np.arange(len(lam)), k0] = 0.0
        lv[np.arange(len(lam)), k0] = 0.0
        simple = np.max(lv, axis=1) <= _SIMPLE_ZERO
        # modes with lam != 0 are trace-free in exact arithmetic (l A = 0); remove
        # their round-off trace (~1e-16 |A| / gap) along the stationary vector, so
        # the trace is conserved to rounding at every t, not only at t -> inf
        r = np.flatnonzero(simple)
        if r.size:
            V = V.copy()
            s0 = V[r, :, k0[r]]  # (r, d)
            lt = np.einsum("i,rik->rk", trace, V[r]) / (s0 @ trace)[:, None]
            lt[np.arange(r.size), k0[r]] = 0.0
            V[r] -= s0[:, :, None] * lt[:, None, :]
    ok = ok_r[idx]
    if np.any(ok):
        ir = idx[ok]
        Vp = V[ir]
        coef = np.linalg.solve(Vp, x0[ok][..., None].astype(Vp.dtype))[..., 0]  # V^-1 x0
        if trace is not None:
            # exact only for a simple zero eigenvalue (all other modes trace-free);
            # a degenerate kernel (e.g. no dissipation) keeps the solved coefficients
            m = np.flatnonzero(simple[ir])
            j = k0[ir[m]]
            coef[m, j] = (x0[ok][m] @ trace) / (Vp[m, :, j] @ trace)  # Vp[m, :, j]: (m, d)
        arg = lam[ir][:, None, :] * t[None, :, None]  # (m, nt, d)
        with np.errstate(over="ignore", invalid="ignore"):
            # fully decayed modes are exactly 0 (no inf * 0 from a huge Im(lam) t)
            ph = np.where(arg.real < _EXP_UNDERFLOW, 0.0, np.exp(arg))
        out[ok] = (ph * coef[:, None, :]) @ np.swapaxes(Vp, -1, -2)
    for p in np.flatnonzero(~ok_r):
        sel = idx == p
        if np.any(sel):
            E = scipy.linalg.expm(A[p][None] * t[:, None, None])  # (nt, d, d)
            out[sel] = np.einsum("tij,nj->nti", E, x0[sel])
    return out


def _evolve_hermitian(c, H, idx, t, cond_max):
    """rho(t) (n, nt, 4, 4) from Hermitian rho0 = H (n, 4, 4), block by block.

    c: (nr, 10) Hermitian-rate coefficients; idx: (n,) rate point of each H.
    The k = 0 block evolves as the real 6x6 system in (p1..p4, Re rho_23,
    Im rho_23) (the basis of the steady-state kernel), k = -1 (rho_12,
    rho_13, rho_24, rho_34) and k = -2 (rho_14) as complex 4x4 and 1x1
    blocks; the k = +1, +2 blocks are their complex conjugates, so the
    result is Hermitian exactly (real diagonal, mirrored off-diagonals).
    """
    tol = _ROUNDOFF_RE * np.max(np.abs(c), axis=1)
    M0 = np.einsum("rk,kij->rij", c.real, _P0) + np.einsum("rk,kij->rij", c.imag, _Q0)
    B1 = np.einsum("rk,kij->rij", c, _BM1)
    b2 = c @ _BM2
    x0 = np.stack(
        [H[:, 0, 0].real, H[:, 1, 1].real, H[:, 2, 2].real, H[:, 3, 3].real, H[:, 1, 2].real, H[:, 1, 2].imag], axis=-1
    )
    # real block and real x0: the complex-conjugate eigenpairs sum to a real x(t)
    r = _propagate(M0, x0, idx, t, cond_max, tol, trace=_TRACE0).real
    iu = (np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]))  # k = -1 entries
    y = _propagate(B1, H[:, iu[0], iu[1]], idx, t, cond_max, tol)
    # 1x1 block: exp(b2 t) directly; Re(b2) round-off above 0 clipped as above
    b2 = np.where((b2.real > 0) & (b2.real <= tol), 1j * b2.imag, b2)
    arg = b2[idx][:, None] * t[None, :]
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.where(arg.real < _EXP_UNDERFLOW, 0.0, np.exp(arg)) * H[:, 0, 3][:, None]
    rho = np.zeros((len(H), t.size, 4, 4), complex)
    for i in range(4):
        rho[..., i, i] = r[..., i]
    rho[..., 1, 2] = r[..., 4] + 1j * r[..., 5]
    rho[..., 2, 1] = r[..., 4] - 1j * r[..., 5]
    rho[..., iu[0], iu[1]] = y
    rho[..., iu[1], iu[0]] = np.conj(y)
    rho[..., 0, 3] = z
    rho[..., 3, 0] = np.conj(z)
    return rho


def evolve(gamma_plus, gamma_minus, lambda12, rho0, times, *, cond_max=EIG_COND_MAX):
    """rho(t) under the master equation of docs/theory.md §6 for many times at once.

    Parameters
    ----------
    gamma_plus, gamma_minus : array_like, shape (..., 2, 2), complex
        Gamma^{qq'}(+w), Gamma^{qq'}(-w) [Gamma0]; Hermitian, as for :func:`steady_state`.
    lambda12 : array_like, shape (...), complex
        Lambda^{12} [Gamma0].
    rho0 : array_like, shape (..., 4, 4)
        Initial state(s) [1], decoupled basis (see :func:`initial_state`).
        Batch shapes of the rates and ``rho0`` broadcast.
    times : array_like, shape (nt,)
        Times [1/Gamma0], >= 0.
    cond_max : float
        Largest eigenvector-matrix condition number [1] of the
        eigendecomposition before falling back to ``expm`` (see Notes).

    Returns
    -------
    ndarray, shape (..., nt, 4, 4), complex
        rho(t) [1].

    Notes
    -----
    Method: the Liouvillian conserves k = N_i - N_j (module docstring), so
    each block is propagated on its own by eigendecomposition (batched over
    rate points): the k = 0 block as the real 6x6 system of the steady-state
    kernel, the k = -1 block (4x4) and k = -2 block (1x1) complex; the k = +1,
    +2 blocks are filled by complex conjugation. Hence rho(t) is exactly
    Hermitian for Hermitian ``rho0`` (an anti-Hermitian part of ``rho0``, if
    any, is evolved the same way and added: the map is linear). Round-off
    does not grow with t: the stationary mode of the k = 0 block gets
    eigenvalue exactly 0 and the exact trace coefficient (trace conserved to
    rounding, rho(t) -> the steady state), eigenvalues with round-off
    positive real part get Re = 0 (no growth, no overflow; decaying modes
    underflow to 0). A block whose eigenvector matrix has 2-norm condition
    number > ``cond_max`` (default 1e6, near a defective / exceptional
    point, where the expansion loses ~cond * 1e-16) falls back to
    ``scipy.linalg.expm(block * t)`` for every time at that rate point.
    """
    t, r0, shape, rshape, c = _evolve_inputs(gamma_plus, gamma_minus, lambda12, rho0, times, cond_max)
    n = int(np.prod(shape, dtype=np.int64))
    nr = c.shape[0]
    # rate point of each output point (the eigendecomposition is done once per rate point)
    idx = np.broadcast_to(np.arange(nr).reshape(rshape), shape).reshape(n)
    v0 = np.broadcast_to(r0, shape + (4, 4)).reshape(n, 4, 4)
    v0h = np.conj(np.swapaxes(v0, -1, -2))
    rho = _evolve_hermitian(c, 0.5 * (v0 + v0h), idx, t, cond_max)
    anti = 0.5j * (v0h - v0)  # rho0 = H1 + i H2 with H1, H2 Hermitian
    if np.any(anti != 0):
        rho = rho + 1j * _evolve_hermitian(c, anti, idx, t, cond_max)
    return rho.reshape(shape + (t.size, 4, 4))


def _evolve_full(gamma_plus, gamma_minus, lambda12, rho0, times, *, cond_max=EIG_COND_MAX):
    """Reference for :func:`evolve`: the whole 16x16 complex Liouvillian at once.

    Same arguments and result. Eigen-expansion V exp(lam t) V^-1 vec(rho0)
    (expm fallback where cond(V) > cond_max). Slow, and its round-off grows
    like |Lambda12| t (non-Hermitian ~1e-15 |Lambda12| t); kept for tests.
    """
    t, r0, shape, rshape, c = _evolve_inputs(gamma_plus, gamma_minus, lambda12, rho0, times, cond_max)
    L = np.einsum("nk,kij->nij", c, _BASIS).reshape(rshape + (16, 16))
    n = int(np.prod(shape, dtype=np.int64))
    L = np.broadcast_to(L, shape + (16, 16)).reshape(n, 16, 16)
    v0 = np.broadcast_to(r0, shape + (4, 4)).reshape(n, 16)
    out = np.empty((n, t.size, 16), complex)
    lam, V = np.linalg.eig(L)
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(V)
    ok = np.isfinite(cond) & (cond <= cond_max)
    if np.any(ok):
        coef = np.linalg.solve(V[ok], v0[ok][..., None])[..., 0]  # V^-1 vec(rho0)
        ph = np.exp(lam[ok][:, None, :] * t[None, :, None])  # (m, nt, 16)
        out[ok] = np.einsum("mik,mtk,mk->mti", V[ok], ph, coef)
    for p in np.flatnonzero(~ok):
        E = scipy.linalg.expm(L[p][None] * t[:, None, None])  # (nt, 16, 16)
        out[p] = E @ v0[p]
    return out.reshape(shape + (t.size, 4, 4))


# ---------------------------------------------------------------------------
# Initial states
# ---------------------------------------------------------------------------


def slowest_relaxation_rate(gamma_plus, gamma_minus):
    """Smallest eigenvalue of the Hermitian part of Gamma(+w) + Gamma(-w) (units of Gamma0).

    Populations relax no slower than this rate, so a few times its inverse
    (units of 1/Gamma0) is where the steady state is reached; used to choose
    evolution time grids.

    Parameters
    ----------
    gamma_plus, gamma_minus : array_like, shape (2, 2), complex
        Gamma^{qq'}(+w), Gamma^{qq'}(-w) [Gamma0].

    Returns
    -------
    float
        The rate [Gamma0].
    """
    decay = np.asarray(gamma_plus) + np.asarray(gamma_minus)
    return float(np.min(np.linalg.eigvalsh(0.5 * (decay + decay.conj().T))))


def thermal_state(n):
    """Product thermal state of two qubits with mean occupation ``n`` (>= 0, dimensionless).

    rho = diag((1+n)^2, n(1+n), n(1+n), n^2) / (1+2n)^2 in the decoupled basis
    (docs/theory.md §8).

    Parameters
    ----------
    n : float or array_like
        Mean occupation [1], >= 0; broadcasts.

    Returns
    -------
    ndarray, shape (..., 4, 4), complex
        The density matrices [1].
    """
    nn = np.asarray(n, dtype=float)
    if not np.all(np.isfinite(nn)) or np.any(nn < 0):
        bad = nn[~np.isfinite(nn) | (nn < 0)].flat[0]
        raise ValueError(f"n (mean occupation, dimensionless) must be finite and >= 0, got {bad!r}")
    z = (1 + 2 * nn) ** 2
    d = np.stack([(1 + nn) ** 2, nn * (1 + nn), nn * (1 + nn), nn**2], axis=-1) / z[..., None]
    rho = np.zeros(nn.shape + (4, 4), complex)
    idx = np.arange(4)
    rho[..., idx, idx] = d
    return rho


def _pure(vec):
    v = np.asarray(vec, complex)
    return np.outer(v, v.conj())


def validate_density_matrix(rho, name="rho0", atol=STATE_ATOL):
    """Return ``rho`` as complex (..., 4, 4) after checking it is a density matrix.

    Hermitian (max|rho - rho^dag| <= atol), trace 1 (|tr - 1| <= atol) and
    positive semidefinite (min eigenvalue >= -atol); ValueError naming the
    failed property and the offending number otherwise.

    Parameters
    ----------
    rho : array_like, shape (..., 4, 4)
        Candidate density matrices [1].
    name : str
        Name used in the message.
    atol : float
        Absolute tolerance [1] of the three checks.

    Returns
    -------
    ndarray, shape (..., 4, 4), complex
    """
    r = np.asarray(rho)
    if not np.issubdtype(r.dtype, np.number):
        raise ValueError(f"{name} must be a numeric (..., 4, 4) matrix, got dtype {r.dtype}")
    r = r.astype(complex)
    if r.ndim < 2 or r.shape[-2:] != (4, 4):
        raise ValueError(f"{name} must have shape (4, 4) (decoupled basis |gg>,|eg>,|ge>,|ee>), got {r.shape}")
    if not np.all(np.isfinite(r)):
        raise ValueError(f"{name} must be finite")
    herm = np.max(np.abs(r - np.conj(np.swapaxes(r, -1, -2))))
    if herm > atol:
        raise ValueError(f"{name} is not Hermitian: max|rho - rho^dag| = {herm:.3g} > {atol:g}")
    tr = np.trace(r, axis1=-2, axis2=-1)
    dtr = np.max(np.abs(tr - 1))
    if dtr > atol:
        worst = tr.flat[np.argmax(np.abs(tr - 1))]
        raise ValueError(f"{name} must have trace 1 (within {atol:g}), got trace {worst:.12g}")
    emin = np.min(np.linalg.eigvalsh(0.5 * (r + np.conj(np.swapaxes(r, -1, -2)))))
    if emin < -atol:
        raise ValueError(f"{name} is not positive semidefinite: smallest eigenvalue {emin:.3g} < {-atol:g}")
    return r


def initial_state(spec, n=None, *, omega=None, T=None):
    """Initial density matrix (4, 4) complex in the decoupled basis.

    ``spec``:
    * "G", "A", "S", "E" (also "|A>" etc., case-insensitive): coupled-basis
      pure states of §6, |A> = (|eg> - |ge>)/sqrt2, |S> = (|eg> + |ge>)/sqrt2;
    * "thermal": product thermal state (§8) with mean occupation ``n``
      (dimensionless, >= 0), or from ``omega`` (rad/s) and ``T`` (K);
    * a (4, 4) (or (..., 4, 4)) matrix: validated to be Hermitian, trace 1
      and positive semidefinite within 1e-10 (ValueError naming the failed
      property and the offending number).

    Parameters
    ----------
    spec : str or array_like
        A state name or a matrix, as above.
    n : float, optional
        Mean occupation [1] of the thermal state.
    omega : float, optional
        Angular frequency [rad/s] giving n with ``T``.
    T : float, optional
        Temperature [K] giving n with ``omega``.

    Returns
    -------
    ndarray, shape (4, 4) (or (..., 4, 4)), complex
        The density matrix [1], decoupled basis.
    """
    if isinstance(spec, str):
        key = spec.strip().strip("|>").strip().upper()
        U = coupled_basis()
        named = {"G": 0, "A": 1, "S": 2, "E": 3}
        if key in named:
            if n is not None or omega is not None or T is not None:
                raise ValueError(f"initial state {spec!r} takes no n/omega/T")
            return _pure(U[:, named[key]])
        if key == "THERMAL":
            if n is None:
                if omega is None or T is None:
                    raise ValueError(
                        "initial_state('thermal') needs n (mean occupation) or both omega (rad/s) and T (K)"
                    )
                from neqent.dynamics.rates import occupation

                n = occupation(omega, T)
            elif omega is not None or T is not None:
                raise ValueError("give either n or (omega, T) for the thermal state, not both")
            return thermal_state(n)
        raise ValueError(
            f"initial state name must be one of 'G', 'A', 'S', 'E' (or '|A>' ...), "
            f"'thermal', or a 4x4 matrix; got {spec!r}"
        )
    if n is not None or omega is not None or T is not None:
        raise ValueError("n/omega/T only apply to the 'thermal' initial state")
    return validate_density_matrix(spec, name="initial state")
