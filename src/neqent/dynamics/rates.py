"""Transition rates, coherent coupling and effective temperatures (docs/theory.md §5, §8).

The dimensionless alpha functions (units of the vacuum decay rate Gamma0)
are temperature independent; temperatures enter only through the Bose
occupations ``n(omega, T)``. This module contracts the tensors of
:mod:`neqent.electrodynamics.kernels` with the dipole directions and turns them into rates.

Array conventions (docs/design.md): pair quantities have trailing shape
``(2, 2)`` indexed ``[q, q']`` with q = 0, 1 for qubits 1, 2 of docs/theory.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import constants

from neqent.electrodynamics.body import below_plane_only
from neqent.electrodynamics.materials import Material, get_material
from neqent.electrodynamics.planar import Slab
from neqent.validation import nonnegative, positive

__all__ = [
    "Geometry",
    "Kernels",
    "unit_dipole",
    "occupation",
    "effective_temperature",
    "gamma0",
    "compute_kernels",
    "compute_kernels_batch",
    "body_kernel_tensors",
    "kernel_tensors_batch",
    "stack_kernel_tensors_batch",
    "contract_kernels",
    "rates",
    "symmetric_channels",
    "is_symmetric",
]

HBAR = constants.hbar
K_B = constants.k
EPS0 = constants.epsilon_0
C_LIGHT = constants.c


def unit_dipole(name, d):
    """Normalised dipole direction, for every qubit path (two and N qubits).

    Parameters
    ----------
    name : str
        Name of the argument, for the error message.
    d : array_like, shape (3,)
        Dipole matrix element (real or complex); only its direction matters [1].

    Returns
    -------
    ndarray, shape (3,), complex
        ``d / |d|`` [1].

    Raises
    ------
    ValueError
        For a zero, non-finite or non-3-vector ``d``, naming ``name``.
    """
    v = np.asarray(d, dtype=complex)
    if v.shape != (3,):
        raise ValueError(f"{name} must be a 3-vector, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite, got {d!r}")
    norm = np.linalg.norm(v)
    if norm == 0:
        raise ValueError(f"{name} must be a non-zero 3-vector, got {d!r}")
    return v / norm


@dataclass(frozen=True)
class Geometry:
    """Two qubits above one body (docs/theory.md §1, §9).

    Lengths in metres. Qubit 1 sits at (0, 0, z1), qubit 2 at (dx, dy, z2):
    ``r12`` is the lateral separation of qubit 2 from qubit 1, either a scalar
    (along +x) or an in-plane vector ``(dx, dy)``. ``dipole1``/``dipole2`` are
    the dipole matrix elements <g|D|e> (only their directions matter; complex
    allowed).

    The body is built once, into ``body``
    (:class:`neqent.electrodynamics.body.Body`): ``stack`` (a
    :class:`~neqent.electrodynamics.planar.Stack` or any other Body) when
    given, otherwise the slab ``-delta <= z <= 0`` of ``material``
    (``delta = inf`` is a half-space).
    """

    material: Material | str = "sic"
    delta: float = 1e-8
    z1: float = 1e-6
    z2: float = 1e-6
    r12: float | tuple = 0.25e-6
    dipole1: tuple = (0.0, 0.0, 1.0)
    dipole2: tuple = (0.0, 0.0, 1.0)
    #: a body (a planar stack, docs/theory.md §9, or any Body) replacing material/delta when given
    stack: object = None
    #: the one body the kernels ask (built in __post_init__)
    body: object = field(init=False, repr=False, compare=False)
    d1: np.ndarray = field(init=False, repr=False, compare=False)
    d2: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "material", get_material(self.material))
        set_(self, "delta", float(positive("delta", self.delta, "m", allow_inf=True)))
        set_(self, "body", self.stack if self.stack is not None else Slab(self.material, self.delta))
        for name in ("z1", "z2"):
            if below_plane_only(self.body):  # the familiar message of the z > 0 rule
                set_(self, name, float(positive(name, getattr(self, name), "m (qubit above the slab surface z = 0)")))
            elif not math.isfinite(z := float(getattr(self, name))):
                raise ValueError(f"{name} must be finite (m), got {z!r}")
            else:
                set_(self, name, z)
        r = np.atleast_1d(np.asarray(self.r12, dtype=float))
        if r.shape == (1,):
            r = np.array([r[0], 0.0])
        if r.shape != (2,) or not np.all(np.isfinite(r)):
            raise ValueError(f"r12 must be a finite scalar or in-plane vector (dx, dy) in m, got {self.r12!r}")
        if r.size == 2 and np.ndim(self.r12) == 0 and r[0] < 0:
            raise ValueError(f"r12 must be >= 0 m, got {self.r12!r}")
        if r[0] == 0 and r[1] == 0 and self.z1 == self.z2:
            raise ValueError(
                "the two qubits are at the same position (r12 = 0 and z1 = z2); separate them laterally or in height"
            )
        set_(self, "r12", (float(r[0]), float(r[1])))
        set_(self, "d1", unit_dipole("dipole1", self.dipole1))
        set_(self, "d2", unit_dipole("dipole2", self.dipole2))
        for name, where in zip(("z1", "z2"), self.positions):
            try:  # any body's rule (a sphere: anywhere outside it, below z = 0 too)
                self.body.check_positions(where)
            except ValueError as exc:
                raise ValueError(f"{name} = {getattr(self, name):g} m: {exc}") from None

    @property
    def positions(self):
        """Absolute positions of qubits 1 and 2, each shape (3,) [m].

        Qubit 1's lateral coordinates are -0.0 so that r_1 - r_2 is exactly
        (-dx, -dy, z1 - z2) down to the sign of a zero lateral component: the
        planar kernels' rotation angle atan2(dy, dx) tells -0.0 from +0.0 (-pi
        vs pi), and this keeps the kernels bit-identical with the relative
        coordinates they were computed from before the body held the geometry.
        """
        dx, dy = self.r12
        return np.array([-0.0, -0.0, self.z1]), np.array([dx, dy, self.z2])


@dataclass
class Kernels:
    """Temperature-independent kernels of one geometry at one frequency.

    ``alpha_W``, ``alpha_M``: (2, 2) complex dipole contractions (units of
    Gamma0); ``lambda12``: coherent coupling Lambda^{12} (units of Gamma0);
    ``tensors``: the underlying (2, 2, 3, 3) tensors ``W``, ``M`` and the
    total Green tensor ``G12`` = G0 + GR between the qubits (normalised, §4c).
    """

    omega: float
    alpha_W: np.ndarray
    alpha_M: np.ndarray
    lambda12: complex
    tensors: dict


def occupation(omega, T):
    """Bose–Einstein occupation n(omega, T) = 1/(exp(hbar omega / k_B T) - 1).

    Parameters
    ----------
    omega : float or array_like
        Angular frequency [rad/s], > 0.
    T : float or array_like
        Temperature [K], >= 0 (n = 0 at T = 0). Broadcasts with ``omega``.

    Returns
    -------
    float or ndarray
        Mean occupation n [1].
    """
    t = nonnegative("temperature", T, "K")
    w = positive("omega", omega, "rad/s")
    with np.errstate(divide="ignore", over="ignore"):
        x = HBAR * w / (K_B * t)
        n = 1.0 / np.expm1(x)
    n = np.where(t == 0, 0.0, n)
    return n[()] if n.ndim == 0 else n


def effective_temperature(omega, n):
    """Temperature T (K) with n(omega, T) = n; inverse of :func:`occupation`.

    Parameters
    ----------
    omega : float or array_like
        Angular frequency [rad/s].
    n : float or array_like
        Mean occupation [1], >= 0 (n = 0 gives 0 K). Negative ``n``
        (population inversion) has no positive temperature and gives NaN.

    Returns
    -------
    float or ndarray
        Temperature [K].
    """
    w = np.asarray(omega, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        T = HBAR * w / (K_B * np.log1p(1.0 / n))
    T = np.where(n == 0, 0.0, np.where(n < 0, np.nan, T))
    return T[()] if T.ndim == 0 else T


def gamma0(omega, dipole_moment):
    """Vacuum spontaneous decay rate Gamma0 = |d|^2 w^3 / (3 pi eps0 hbar c^3).

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    dipole_moment : float or complex
        Dipole matrix element |d| [C m].

    Returns
    -------
    float
        Gamma0 [1/s].
    """
    w = float(positive("omega", omega, "rad/s"))
    d = abs(complex(dipole_moment))
    return d**2 * w**3 / (3 * math.pi * EPS0 * HBAR * C_LIGHT**3)


def kernel_tensors_batch(omega, eps, delta, z1, z2, dx, dy):
    """Kernel tensors over a batch of points (1-D arrays broadcast together).

    Parameters
    ----------
    omega : array_like
        Angular frequency [rad/s].
    eps : array_like
        Complex permittivity of the slab at omega [1].
    delta : array_like
        Slab thickness [m] (inf: half-space).
    z1, z2 : array_like
        Qubit heights above the slab surface [m].
    dx, dy : array_like
        Lateral position of qubit 2 relative to qubit 1 [m].

    Returns
    -------
    W, M : ndarray, shape (N, 2, 2, 3, 3), complex
        Wall and body tensors indexed [q, q', i, j] [Gamma0].
    G12 : ndarray, shape (N, 3, 3), complex
        Total Green tensor G0 + GR at (R1, R2) [1], normalised as in
        docs/theory.md §4c. None depends on the dipoles; see
        :func:`contract_kernels`.
    """
    from neqent.electrodynamics.green import vacuum_green_batch
    from neqent.electrodynamics.kernels import pair_block_batch

    omega, eps, delta, z1, z2, dx, dy = np.broadcast_arrays(
        np.asarray(omega, float),
        np.asarray(eps, complex),
        np.asarray(delta, float),
        np.asarray(z1, float),
        np.asarray(z2, float),
        np.asarray(dx, float),
        np.asarray(dy, float),
    )
    # copies: broadcast views are read-only and numba warns on them
    omega, eps, delta, z1, z2, dx, dy = (np.ravel(a).copy() for a in (omega, eps, delta, z1, z2, dx, dy))
    # All four pairs on one common set of nodes, so that alpha^11 - alpha^12
    # (Gamma_A, a ~1e-4 relative difference) is the quadrature of the
    # difference integrand (docs/theory.md §4e). pair_block takes r_1 - r_2.
    W, M, GR = pair_block_batch(omega, eps, delta, z1, z2, -dx, -dy)
    r_vec = np.stack([-dx, -dy, z1 - z2], axis=-1)  # R_1 - R_2
    G12 = vacuum_green_batch(omega, r_vec) + GR[:, 0, 1]
    return W, M, G12


def contract_kernels(W, M, G12, d1, d2):
    """Dipole contractions of kernel tensors (docs/theory.md §4, §5).

    Parameters
    ----------
    W, M : array_like, shape (..., 2, 2, 3, 3)
        Wall and body tensors [Gamma0].
    G12 : array_like, shape (..., 3, 3)
        Total Green tensor between the qubits [1] (normalised, §4c).
    d1, d2 : array_like, shape (3,) or (..., 3)
        Unit dipoles [1], complex allowed.

    Returns
    -------
    alpha_W, alpha_M : ndarray, shape (..., 2, 2), complex
        alpha^{qq'} = conj(d_q) . T^{qq'} . d_q' [Gamma0].
    lambda12 : ndarray, shape (...), complex
        Lambda^{12} = -1/2 conj(d1) . Re G12 . d2 [Gamma0].
    """
    d1 = np.asarray(d1, complex)
    d2 = np.asarray(d2, complex)
    d1, d2 = np.broadcast_arrays(d1, d2)
    ds = np.stack([d1, d2], axis=-2)  # (..., 2, 3)
    alpha_W = np.einsum("...qi,...qpij,...pj->...qp", np.conj(ds), W, ds)
    alpha_M = np.einsum("...qi,...qpij,...pj->...qp", np.conj(ds), M, ds)
    lambda12 = -0.5 * np.einsum("...i,...ij,...j->...", np.conj(d1), np.real(G12), d2)
    return alpha_W, alpha_M, lambda12


def compute_kernels_batch(omega, eps, delta, z1, z2, dx, dy, d1, d2):
    """Contracted kernels over a batch of points (1-D arrays broadcast together).

    Parameters
    ----------
    omega, eps, delta, z1, z2, dx, dy : array_like
        As in :func:`kernel_tensors_batch` [rad/s, 1, m, m, m, m, m].
    d1, d2 : array_like, shape (3,) or (N, 3)
        Unit dipole vectors [1].

    Returns
    -------
    dict of ndarray (complex)
        ``alpha_W``, ``alpha_M`` (N, 2, 2) [Gamma0], ``lambda12`` (N,)
        [Gamma0], and the tensors ``W``, ``M`` (N, 2, 2, 3, 3) [Gamma0] and
        ``G12`` (N, 3, 3) [1].
    """
    W, M, G12 = kernel_tensors_batch(omega, eps, delta, z1, z2, dx, dy)
    n = W.shape[0]
    d1 = np.broadcast_to(np.asarray(d1, complex), (n, 3))
    d2 = np.broadcast_to(np.asarray(d2, complex), (n, 3))
    alpha_W, alpha_M, lambda12 = contract_kernels(W, M, G12, d1, d2)
    return {"alpha_W": alpha_W, "alpha_M": alpha_M, "lambda12": lambda12, "W": W, "M": M, "G12": G12}


def stack_kernel_tensors_batch(omega, eps_t, eps_z, thickness, sub_eps_t, sub_eps_z, z1, z2, dx, dy):
    """:func:`kernel_tensors_batch` for a planar stack (docs/theory.md §9).

    ``eps_t``, ``eps_z``, ``thickness`` (m): the layers top first, shape (L,) or (N, L);
    ``sub_eps_t``, ``sub_eps_z``: the medium below (1 for vacuum); the rest as
    :func:`kernel_tensors_batch`. Returns ``(W, M, G12)`` with the same shapes and units.
    """
    from neqent.electrodynamics.green import vacuum_green_batch
    from neqent.electrodynamics.kernels import stack_block_batch

    omega, z1, z2, dx, dy = (np.atleast_1d(np.asarray(a, float)) for a in (omega, z1, z2, dx, dy))
    omega, z1, z2, dx, dy = (a.copy() for a in np.broadcast_arrays(omega, z1, z2, dx, dy))
    W, M, GR = stack_block_batch(omega, eps_t, eps_z, thickness, sub_eps_t, sub_eps_z, z1, z2, -dx, -dy)
    n = W.shape[0]
    omega, z1, z2, dx, dy = (np.broadcast_to(a, (n,)) for a in (omega, z1, z2, dx, dy))
    r_vec = np.stack([-dx, -dy, z1 - z2], axis=-1)  # R_1 - R_2
    G12 = vacuum_green_batch(np.ascontiguousarray(omega), np.ascontiguousarray(r_vec)) + GR[:, 0, 1]
    return W, M, G12


def body_kernel_tensors(body, omega, r1, r2):
    """Kernel tensors of qubit pairs at absolute positions above any body (docs/theory.md §4, §11).

    Parameters
    ----------
    body : neqent.electrodynamics.body.Body
        The body at T_M.
    omega : float
        Angular frequency [rad/s], > 0.
    r1, r2 : array_like, shape (N, 3) or (3,)
        Positions of the pairs' qubits 1 and 2 [m].

    Returns
    -------
    W, M : ndarray, shape (N, 2, 2, 3, 3), complex
        Wall and body tensors indexed [q, q', i, j] [Gamma0].
    G12 : ndarray, shape (N, 3, 3), complex
        Total Green tensor G0 + GR at (R1, R2) [1], normalised as in docs/theory.md §4c.
    """
    from neqent.electrodynamics.green import vacuum_green_batch

    # all four pairs of a point on one common set of nodes (docs/theory.md §4e)
    W, M, GR = body.pair_block(omega, r1, r2)
    a, b = np.broadcast_arrays(np.atleast_2d(np.asarray(r1, float)), np.atleast_2d(np.asarray(r2, float)))
    n = W.shape[0]
    G12 = vacuum_green_batch(np.full(n, float(omega)), np.ascontiguousarray(a - b)) + GR[:, 0, 1]
    return W, M, G12


def compute_kernels(geometry: Geometry, omega) -> Kernels:
    """Kernels of one geometry at one angular frequency.

    Parameters
    ----------
    geometry : Geometry
        The body, qubit positions [m] and dipoles.
    omega : float
        Angular frequency [rad/s], > 0.

    Returns
    -------
    Kernels
        alpha_W, alpha_M, lambda12 [Gamma0] and the tensors.
    """
    w = float(positive("omega", omega, "rad/s"))
    W, M, G12 = body_kernel_tensors(geometry.body, w, *geometry.positions)
    alpha_W, alpha_M, lambda12 = contract_kernels(W, M, G12, geometry.d1, geometry.d2)
    out = {"alpha_W": alpha_W, "alpha_M": alpha_M, "lambda12": lambda12, "W": W, "M": M, "G12": G12}
    return Kernels(
        omega=w,
        alpha_W=out["alpha_W"][0],
        alpha_M=out["alpha_M"][0],
        lambda12=complex(out["lambda12"][0]),
        tensors={"W": out["W"][0], "M": out["M"][0], "G12": out["G12"][0]},
    )


def rates(alpha_W, alpha_M, n_W, n_M):
    """Rates Gamma^{qq'}(+w), Gamma^{qq'}(-w) in units of Gamma0 (docs/theory.md §5).

    Parameters
    ----------
    alpha_W, alpha_M : array_like, shape (..., 2, 2), complex
        Wall and body kernels [Gamma0].
    n_W, n_M : float or array_like
        Wall and body occupations [1], broadcast against the leading axes.

    Returns
    -------
    gamma_plus, gamma_minus : ndarray, shape (..., 2, 2), complex
        Gamma^{qq'}(+w) and Gamma^{qq'}(-w) [Gamma0].
    """
    aW = np.asarray(alpha_W)
    aM = np.asarray(alpha_M)
    nW = np.asarray(n_W, dtype=float)[..., None, None]
    nM = np.asarray(n_M, dtype=float)[..., None, None]
    gamma_plus = (1 + nW) * aW + (1 + nM) * aM
    gamma_minus = nW * np.conj(aW) + nM * np.conj(aM)
    return gamma_plus, gamma_minus


def is_symmetric(alpha_W, alpha_M, rtol=1e-12):
    """True where the symmetric case of §8 applies (alpha^11 = alpha^22, alpha^12 real).

    Parameters
    ----------
    alpha_W, alpha_M : array_like, shape (..., 2, 2), complex
        Wall and body kernels [Gamma0].
    rtol : float
        Relative tolerance [1] of both conditions.

    Returns
    -------
    bool or ndarray of bool, shape (...)
    """
    ok = True
    for a in (np.asarray(alpha_W), np.asarray(alpha_M)):
        scale = np.abs(a[..., 0, 0]) + np.abs(a[..., 1, 1]) + 1e-300
        ok = ok & (np.abs(a[..., 0, 0] - a[..., 1, 1]) <= rtol * scale)
        ok = ok & (np.abs(a[..., 0, 1].imag) <= rtol * scale)
    return ok


def symmetric_channels(alpha_W, alpha_M, n_W, n_M):
    """Channel rates and occupations of the symmetric case (docs/theory.md §8).

    Gamma_A is a small difference; the kernels guarantee alpha^11 - alpha^12
    to ~1e-9 absolute (docs/theory.md §4e).

    Parameters
    ----------
    alpha_W, alpha_M : array_like, shape (..., 2, 2), complex
        Wall and body kernels [Gamma0]; the §8 conditions are assumed (see
        :func:`is_symmetric`).
    n_W, n_M : float or array_like
        Wall and body occupations [1].

    Returns
    -------
    Gamma_A, Gamma_S : ndarray
        Antisymmetric and symmetric channel rates [Gamma0].
    n_A, n_S : ndarray
        Channel occupations [1].
    """
    aW = np.asarray(alpha_W)
    aM = np.asarray(alpha_M)
    wA = (aW[..., 0, 0] - aW[..., 0, 1]).real
    wS = (aW[..., 0, 0] + aW[..., 0, 1]).real
    mA = (aM[..., 0, 0] - aM[..., 0, 1]).real
    mS = (aM[..., 0, 0] + aM[..., 0, 1]).real
    nW = np.asarray(n_W, dtype=float)
    nM = np.asarray(n_M, dtype=float)
    gamma_A = wA + mA
    gamma_S = wS + mS
    n_A = (wA * nW + mA * nM) / gamma_A
    n_S = (wS * nW + mS * nM) / gamma_S
    return gamma_A, gamma_S, n_A, n_S
