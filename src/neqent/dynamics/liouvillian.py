"""Two-qubit master equation: the Liouvillian, its basis and block structure (docs/theory.md §6).

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
:func:`~neqent.dynamics.steady.steady_state`.
"""

from __future__ import annotations

import numpy as np

from neqent.errors import NeqentInputError

__all__ = [
    "DegenerateSteadyStateError",
    "liouvillian",
    "BASIS_LABELS",
    "coupled_basis",
    "RCOND_TOL",
    "HERMITIAN_RTOL",
    "STATE_ATOL",
    "SUPEROPERATOR_BASIS",
    "K0_REAL_P",
    "K0_REAL_Q",
    "KM1_BASIS",
    "KM2_BASIS",
    "rate_coefficients",
]

BASIS_LABELS = ("gg", "eg", "ge", "ee")

#: default threshold on the reciprocal condition number used to declare a
#: steady state non-unique (see :func:`~neqent.dynamics.steady.steady_state`)
RCOND_TOL = 1e-13
#: relative tolerance on the Hermiticity of the 2x2 rate matrices
HERMITIAN_RTOL = 1e-8
#: tolerances used to validate user density matrices
STATE_ATOL = 1e-10


class DegenerateSteadyStateError(NeqentInputError):
    """The stationary state is not unique (docs/theory.md §6 degenerate case).

    Attributes: ``mask`` (bool array over the batch shape, True where
    degenerate), ``count`` (number of degenerate points), ``rcond`` (the
    reciprocal condition numbers, see :func:`~neqent.dynamics.steady.steady_state`).
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


SUPEROPERATOR_BASIS = _build_basis()

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
        G = SUPEROPERATOR_BASIS[k][np.ix_(_K0, _K0)] @ T
        # c G r with c = cr + i ci: Re = cr Re G - ci Im G ; Im = cr Im G + ci Re G
        P[k, :5] = G[rows].real
        Q[k, :5] = -G[rows].imag
        P[k, 5] = G[2].imag
        Q[k, 5] = G[2].real
    return P, Q


K0_REAL_P, K0_REAL_Q = _real_block_basis()
KM1_BASIS = np.ascontiguousarray(SUPEROPERATOR_BASIS[:, _KM1][:, :, _KM1])
KM2_BASIS = np.ascontiguousarray(SUPEROPERATOR_BASIS[:, _KM2, _KM2])


def coupled_basis():
    """Unitary U (4, 4) whose columns are |G>, |A>, |S>, |E> in the decoupled basis (§6).

    rho_coupled = U^dag rho U.
    """
    r = 1 / np.sqrt(2)
    return np.array([[1, 0, 0, 0], [0, r, r, 0], [0, -r, r, 0], [0, 0, 0, 1]], complex)


# ---------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------


def rate_coefficients(gamma_plus, gamma_minus, lambda12, check_hermitian=True):
    """Validate, broadcast and flatten the rates.

    Returns (batch_shape, coefficient array (N, 10) complex) in the order of
    ``SUPEROPERATOR_BASIS``. With ``check_hermitian`` the 2x2 rate matrices must be
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
    shape, c = rate_coefficients(gamma_plus, gamma_minus, lambda12, check_hermitian=False)
    L = np.einsum("nk,kij->nij", c, SUPEROPERATOR_BASIS)
    return L.reshape(shape + (16, 16))
