"""Reflection and transmission of a lamellar grating by the Fourier modal method (docs/theory.md §12).

The body: period D along x, invariant along y, ridges of width f D centred at
x = 0 (mod D) in a layer -h <= z <= 0 (z = 0 is the top of the ridges), grooves
between them, and below the layer vacuum, a substrate, or a planar stack of
docs/theory.md §9. Media are isotropic or uniaxial with the optic axis along z.

Contract with the mode sums (docs/theory.md §12; the consumer depends on it)
-----------------------------------------------------------------------------
``grating_rt(omega, grating, kx, ky, n_orders) -> R, T``, both of shape
(Nk, 2M, 2M), M = 2N + 1, index ``[k, n*2 + p, m*2 + p']`` with order index
n = 0..M-1 for the orders -N..N and p = 0 (TE), 1 (TM). With K = omega/c,
k_n = (kx + n 2 pi/D, ky), kz_n = sqrt(K^2 - |k_n|^2) (Im kz_n >= 0),
k^ = k_n/|k_n| (k^ = x^ when k_n = 0), the plane-wave vectors are::

    e_TE      = z^ x k^                       (unit)
    e_TM^(+-) = (-+ kz_n k^ + |k_n| z^) / K   (unit for propagating waves only)

A downward wave of order m, polarisation p', amplitude 1 along e_p'^-(k_m),
phase referenced at z = 0, is scattered into upward waves, amplitude
R[n p, m p'] along e_p^+(k_n) referenced at z = 0, and (vacuum below only)
downward waves below the body, amplitude T[n p, m p'] along e_p^-(k_n)
referenced at the bottom surface z_b = -(h + stack thickness)::

    z > 0:   e^-_{p'}(k_m) e^{i k_m.rho - i kz_m z} + sum_{n p} R e^+_p(k_n) e^{i k_n.rho + i kz_n z}
    z < z_b: sum_{n p} T e^-_p(k_n) e^{i k_n.rho - i kz_n (z - z_b)}

T is zero with a substrate. For a planar body R is diagonal with the §9 stack
coefficients rho_p (a perfect conductor has R_TE = -1, R_TM = +1). Reciprocity
(docs/theory.md §12) reads kz_n R[n p, m p'](k) = s kz_m R[-m p', -n p](-k), s = -1 when
exactly one of p, p' is TE; the body's symmetry under the rotation by pi about z
gives R(-k)[n p, m p'] = R(k)[-n p, -m p'] (same for T). The transmission upwards
(walls below), T~, follows from T at the same k: :func:`transmission_from_below`.
The TM vector has no tangential part at a Rayleigh anomaly (kz_n = 0): avoid k
points exactly on |k_n| = K. :func:`diffraction_orders` gives k_n and kz_n.

Method
------
Inside the grating layer the tangential fields are expanded in the M orders and
the permittivity products follow Li's factorisation rules: the inverse rule
[[1/eps_t]]^-1 for D_x (normal to the ridge walls), the direct rule [[eps]] for
D_y and D_z. The layer's modes come from one eigenproblem of size 2M per k,
batched with ``np.linalg.eig`` over the k points. The layers are joined by the
reflection-matrix recursion from the bottom up (an S-matrix variant of Li,
JOSA A 13, 1024 (1996)): only decaying factors exp(i q h), Im q >= 0, appear,
so evanescent orders never overflow. Planar layers are diagonal in the orders
and in TE/TM and are recursed element-wise. The modes and the recursion live in
:mod:`neqent.electrodynamics.smatrix`; this module holds the body, the orders and
the contract.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from scipy import constants
from threadpoolctl import ThreadpoolController

from neqent.electrodynamics.smatrix import scattering_operators, sqrt_upper

__all__ = [
    "LamellarGrating",
    "grating_rt",
    "orders_for",
    "diffraction_orders",
    "transmission_from_below",
    "toeplitz_permittivity",
    "DEFAULT_ORDER_CAP",
]

#: Largest N_ord (orders -N..N) :func:`orders_for` accepts: 2(2N + 1) = 242 per eigenproblem.
DEFAULT_ORDER_CAP = 60

# Bytes of one (chunk, 2M, 2M) complex array: k points are processed in chunks below it.
_CHUNK_BYTES = 32 * 2**20


class LamellarGrating:
    """A lamellar grating on top of vacuum, a substrate or a planar stack (docs/theory.md §12).

    A plain value (the Body comes on top of it). The ridges (width ``fill * period``)
    are centred at x = 0 (mod D), the grooves run along y, z = 0 is the top of the
    ridges and the grating layer occupies -h <= z <= 0.

    Parameters
    ----------
    period : float
        Period D [m], finite and > 0.
    fill : float
        Filling fraction f of the ridges [1], in [0, 1].
    height : float
        Ridge height h [m], finite and > 0.
    ridge : str or Material
        Ridge material, isotropic or uniaxial with the optic axis along z (any
        spec of :func:`neqent.electrodynamics.materials.get_layer_material`).
    grooves : str or Material, optional
        Groove material (default vacuum).
    below : None, str, Material or Stack, optional
        What lies under the grating layer: None (vacuum), a substrate material,
        or a :class:`neqent.electrodynamics.planar.Stack` (its top touches z = -h).

    Raises
    ------
    ValueError
        One line naming the bad value (fill outside [0, 1], period or height not > 0,
        an unknown material).
    """

    def __init__(self, period, fill, height, ridge, grooves="vacuum", below=None):
        from neqent.electrodynamics.materials import get_layer_material
        from neqent.electrodynamics.planar import Stack

        self.period = _positive_length("period", period)
        self.height = _positive_length("height", height)
        try:
            f = float(fill)
        except (TypeError, ValueError):
            raise ValueError(f"fill must be a number in [0, 1], got {fill!r}") from None
        if not (0.0 <= f <= 1.0):
            raise ValueError(f"fill must be in [0, 1], got {fill!r}")
        self.fill = f
        self.ridge = get_layer_material(ridge)
        self.grooves = get_layer_material(grooves)
        if below is None or isinstance(below, Stack):
            self.stack = below
        else:
            substrate = get_layer_material(below)
            self.stack = None if _is_vacuum(substrate) else Stack((), substrate)

    @property
    def name(self) -> str:
        """Readable description, e.g. ``sic grating D=1e-06 m f=0.5 h=5e-07 m``."""
        text = f"{self.ridge.name} grating D={self.period:g} m f={self.fill:g} h={self.height:g} m"
        if self.grooves.name != "vacuum":
            text += f" in {self.grooves.name}"
        if self.stack is not None:
            text += f" on {self.stack.name}"
        return text

    @property
    def vacuum_below(self) -> bool:
        """True when vacuum lies under the body (T is then non-zero)."""
        return self.stack is None or self.stack.substrate is None or _is_vacuum(self.stack.substrate)

    @property
    def thickness(self) -> float:
        """Total thickness of the body [m]: h plus the stack's layers."""
        if self.stack is None:
            return self.height
        return self.height + sum(d for _, d in self.stack.layers)

    def optics(self, omega):
        """Permittivities at one frequency.

        Parameters
        ----------
        omega : float
            Angular frequency [rad/s], > 0.

        Returns
        -------
        ridge, grooves : tuple of complex
            (eps_t, eps_z) of the ridges and of the grooves [1].
        layers : tuple
            (eps_t (L,), eps_z (L,), thickness (L,) [m], sub_eps_t, sub_eps_z) of the
            planar part below (L = 0 and 1, 1 for vacuum).
        """
        ridge = tuple(complex(e) for e in self.ridge.eps_tz(omega))
        grooves = tuple(complex(e) for e in self.grooves.eps_tz(omega))
        if self.stack is None:
            empty = np.zeros(0, complex)
            layers = (empty, empty, np.zeros(0), 1.0 + 0j, 1.0 + 0j)
        else:
            layers = self.stack.optics(omega)
        return ridge, grooves, layers

    def __repr__(self):
        return f"LamellarGrating({self.name})"


@cache
def _blas_controller():
    """One threadpoolctl controller (inspecting the loaded libraries costs ~ms per call)."""
    return ThreadpoolController()


def _is_vacuum(material):
    """True for eps = 1 exactly (no substrate: the walls below reach the body, as in §9)."""
    from neqent.electrodynamics.materials import ConstantPermittivity

    return isinstance(material, ConstantPermittivity) and material.eps(1.0) == 1.0


def _positive_length(name, value):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a length in m, finite and > 0, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be finite and > 0 m, got {value!r}")
    return v


# ---------------------------------------------------------------------------
# Orders


def orders_for(omega, grating, z_min, tol=1e-6, n_min=8, cap=DEFAULT_ORDER_CAP):
    """Number of orders N_ord for qubits no closer than ``z_min`` to the ridges (docs/theory.md §12).

    An evanescent order n decays above the ridges like exp(-sqrt(|k_n|^2 - K^2) z),
    |k_n| ~ |n| 2 pi/D, so orders with sqrt((|n| 2 pi/D)^2 - K^2) z_min > ln(1/tol)
    are below ``tol`` at every qubit. ``n_min`` orders are kept in any case for the
    Fourier convergence of the layer itself, which is slower than that decay: for SiC
    (D = 1 um, f = 0.5, h = 0.5 um) the central orders of R move by 3e-3, 9e-4, 2e-4 from
    N = 8, 16, 32 to N = 80 at 0.3 omega_T (eps ~ 10), by 2.5e-2, 7e-3, 2e-3 at
    1.6e14 rad/s (eps ~ -16), and converge slowly near eps = -1 (corner singularity,
    docs/theory.md §12). Check convergence in N for the quantity computed.

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s].
    grating : LamellarGrating
        The grating.
    z_min : float
        Smallest qubit height above the ridges [m], > 0.
    tol : float
        Relative size of the last order kept at z_min [1], in (0, 1).
    n_min : int
        Smallest N_ord returned.
    cap : int
        Largest N_ord allowed.

    Returns
    -------
    int
        N_ord (orders -N_ord..N_ord).

    Raises
    ------
    ValueError
        When the orders needed exceed ``cap`` (period too large against z_min and the wavelength).
    """
    z = _positive_length("z_min", z_min)
    if not (0.0 < tol < 1.0):
        raise ValueError(f"tol must be in (0, 1), got {tol!r}")
    k0 = omega / constants.c
    g = 2.0 * math.pi / grating.period
    kmax = math.hypot(math.log(1.0 / tol) / z, k0)
    n = max(int(n_min), int(math.ceil(kmax / g)) + 1)
    if n > cap:
        raise ValueError(
            f"orders needed {n} exceed the cap {cap}: period {grating.period:g} m too large against "
            f"the qubit height {z:g} m and the wavelength {2 * math.pi / k0:g} m"
        )
    return n


# ---------------------------------------------------------------------------
# Fourier coefficients of the lamellar profile


def toeplitz_permittivity(value_ridge, value_groove, fill, n_total):
    """Toeplitz matrix [[g]]_{nm} = g_{n-m} of a lamellar profile g(x) (docs/theory.md §12).

    g = ``value_ridge`` on |x| < f D/2, ``value_groove`` elsewhere in the period;
    g_m = value_groove delta_m0 + (value_ridge - value_groove) f sinc(m f)
    (sinc(x) = sin(pi x)/(pi x)), exact for the lamellar profile.

    Parameters
    ----------
    value_ridge, value_groove : complex
        The function on the ridges and in the grooves [1].
    fill : float
        Filling fraction [1].
    n_total : int
        Number of orders M.

    Returns
    -------
    ndarray, shape (M, M), complex
        The Toeplitz matrix [1].
    """
    m = np.arange(-(n_total - 1), n_total)
    coeff = (value_ridge - value_groove) * fill * np.sinc(m * fill) + value_groove * (m == 0)
    idx = np.arange(n_total)
    return coeff[idx[:, None] - idx[None, :] + n_total - 1].astype(complex)


def _layer_operators(ridge, grooves, fill, n_total, li_rules):
    """(E_t, A, E_z^-1): [[eps_t]], the operator for D_x and [[eps_z]]^-1 (Li's rules or Laurent's)."""
    (rt, rz), (gt, gz) = ridge, grooves
    e_t = toeplitz_permittivity(rt, gt, fill, n_total)
    if li_rules:  # D_x = eps E_x with E_x discontinuous at the walls: the inverse rule
        a = np.linalg.inv(toeplitz_permittivity(1.0 / rt, 1.0 / gt, fill, n_total))
    else:  # Laurent's direct rule everywhere (slow TM convergence; kept to show it)
        a = e_t
    ezi = np.linalg.inv(toeplitz_permittivity(rz, gz, fill, n_total))
    return e_t, a, ezi


def grating_rt(omega, grating, kx, ky, n_orders, li_rules=True):
    """Reflection and transmission operators of a lamellar grating (module docstring, docs/theory.md §12).

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    grating : LamellarGrating
        The body.
    kx, ky : array_like, shape (Nk,)
        Parallel wavevectors [rad/m]; kx normally in the first Brillouin zone
        (-pi/D, pi/D], ky any. Avoid Rayleigh anomalies |k_n| = K exactly.
    n_orders : int
        N_ord >= 0: orders -N_ord..N_ord (M = 2 N_ord + 1).
    li_rules : bool
        Li's factorisation rules (default); False uses Laurent's rule for D_x (only
        to show the slow TM convergence it brings).

    Returns
    -------
    R, T : ndarray, shape (Nk, 2M, 2M), complex
        Index [k, n*2 + p, m*2 + p'], p = 0 TE, 1 TM, order index n = 0..M-1 for
        orders -N..N [1]. T is zero unless vacuum lies below.
    """
    kx_n, ky, _ = diffraction_orders(omega, grating, kx, ky, n_orders)
    k0 = omega / constants.c
    m = kx_n.shape[1]
    ridge, grooves, layers = grating.optics(omega)
    ops = _layer_operators(ridge, grooves, grating.fill, m, li_rules)
    isotropic = ridge[0] == ridge[1] and grooves[0] == grooves[1]
    kd = np.asarray(layers[2], float) * k0
    kxn = kx_n / k0
    kyn = ky / k0
    r = np.empty((ky.size, 2 * m, 2 * m), complex)
    t = np.empty_like(r)
    chunk = max(1, _CHUNK_BYTES // (16 * (2 * m) ** 2))
    # one BLAS thread: the batch holds many small matrices, which threads only slow down
    # (measured 10x slower on a loaded 2-core machine); parallelism is over k points (ranks)
    with _blas_controller().limit(limits=1, user_api="blas"):
        for s in range(0, ky.size, chunk):
            sl = slice(s, s + chunk)
            r[sl], t[sl] = scattering_operators(
                kxn[sl], kyn[sl], k0 * grating.height, ops, layers, kd, grating.vacuum_below, isotropic
            )
    # internal down-TM amplitude is -1 times the contract's (module docstring)
    sign = np.tile([1.0, -1.0], m)
    r *= sign[None, None, :]
    t *= sign[None, :, None] * sign[None, None, :]
    return r, t


def diffraction_orders(omega, grating, kx, ky, n_orders):
    """The orders' wavevectors k_n = (kx + n 2 pi/D, ky) and kz_n of the contract (module docstring).

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    grating : LamellarGrating
        The body (its period).
    kx, ky : array_like, shape (Nk,)
        Parallel wavevectors [rad/m].
    n_orders : int
        N_ord >= 0.

    Returns
    -------
    kx_n : ndarray, shape (Nk, M)
        x components of k_n [rad/m], orders -N..N.
    ky : ndarray, shape (Nk,)
        y component [rad/m], shared by every order.
    kz_n : ndarray, shape (Nk, M), complex
        sqrt(K^2 - |k_n|^2) with Im >= 0 [rad/m].
    """
    if not (math.isfinite(omega) and omega > 0):
        raise ValueError(f"omega must be finite and > 0 rad/s, got {omega!r}")
    n_ord = int(n_orders)
    if n_ord != n_orders or n_ord < 0:
        raise ValueError(f"n_orders must be an integer >= 0, got {n_orders!r}")
    kx = np.atleast_1d(np.asarray(kx, dtype=float))
    ky = np.atleast_1d(np.asarray(ky, dtype=float))
    if kx.shape != ky.shape or kx.ndim != 1:
        raise ValueError(f"kx and ky must be 1-d arrays of one shape, got {kx.shape} and {ky.shape}")
    k0 = omega / constants.c
    kx_n = kx[:, None] + (2.0 * math.pi / grating.period) * np.arange(-n_ord, n_ord + 1)[None, :]
    # in units of K for the square root, so that kz is exactly real for propagating orders
    kz_n = k0 * sqrt_upper(1.0 - (kx_n / k0) ** 2 - (ky[:, None] / k0) ** 2)
    return kx_n, ky, kz_n


def transmission_from_below(t, kz_n):
    """Transmission upwards T~ (walls below -> above the body) from the contract's downward T.

    T~[k, n p, m p'] maps an upward wave below the body (order m, polarisation p', unit
    amplitude along e_p'^+(k_m), phase referenced at z_b) to upward waves above it (along
    e_p^+(k_n), referenced at z = 0). Reciprocity with the body's symmetry under the
    rotation by pi about z (ridges centred at x = 0, media uniaxial along z) gives, at the
    same k (docs/theory.md §12)::

        T~[n p, m p'] = s_pp' (kz_m / kz_n) T[m p', n p],  s = -1 when exactly one of p, p' is TE.

    Parameters
    ----------
    t : ndarray, shape (Nk, 2M, 2M), complex
        T of :func:`grating_rt` [1].
    kz_n : ndarray, shape (Nk, M), complex
        kz of the orders [rad/m] (:func:`diffraction_orders`), non-zero.

    Returns
    -------
    ndarray, shape (Nk, 2M, 2M), complex
        T~ [1].
    """
    kz = np.repeat(np.asarray(kz_n), 2, axis=1)
    size = kz.shape[1]
    pol = np.arange(size) % 2
    sign = np.where(pol[:, None] + pol[None, :] == 1, -1.0, 1.0)
    return sign * (kz[:, None, :] / kz[:, :, None]) * np.swapaxes(t, 1, 2)
