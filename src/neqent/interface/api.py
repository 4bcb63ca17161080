"""User-facing functions: one configuration, its dynamics, and small grids.

All arguments are SI (lengths in m, angular frequency in rad/s, temperatures
in K); lengths, temperatures and dipoles may also be given as strings with
units (``"1um"``, ``"600K"``, ``"0,0,1"``, see :mod:`neqent.interface.units`). Rates and
the coherent coupling are in units of the vacuum decay rate Gamma0, times in
units of 1/Gamma0 (docs/theory.md §5–§6).

Defaults are the paper geometry (docs/theory.md §11): SiC slab of thickness 10 nm,
qubit 1 at z1 = 1 um, qubit 2 at z2 = 1 um and lateral distance r12 = 0.25 um,
both dipoles along z, omega = 0.3 w_T, walls at T_W = 30 K. The body
temperature has no single paper value; the default T_M = 600 K is a hot body
well inside fig4a's range (0–2500 K), where the steady concurrence is
non-zero.

Every bad argument raises :class:`neqent.errors.InputError` (a ``ValueError``)
whose ``param`` names the argument and whose message states the value and
what is allowed. Nothing is written unless the whole computation succeeded.

Functions: :func:`point`, :func:`evolve`, :func:`~neqent.interface.scans.scan` (re-exported here).
"""

from __future__ import annotations

import math
import os

import numpy as np

from neqent.electrodynamics.materials import get_material  # noqa: F401 (api.get_material: public name)
from neqent.interface.inputs import (
    DEFAULTS,
    INITIAL_STATES,
    RELAX_FACTOR,
    auto_time_grid,
    check_size,
    load_matrix,
    material_omega,
    setup,
    time_grid,
)
from neqent.interface.scans import SCAN_NAME, scan, scan_config
from neqent.interface.units import InputError, parse_temperature

#: The validation's former private names in this module (tests and earlier callers use them).
_setup, _omega, _check_size = setup, material_omega, check_size

__all__ = [
    "point",
    "evolve",
    "scan",
    "scan_config",
    "coupled_populations",
    "DEFAULTS",
    "INITIAL_STATES",
    "RELAX_FACTOR",
    "SCAN_NAME",
]

# ---------------------------------------------------------------------------
# Physics steps (thin wrappers over rates / master / entanglement).
# ---------------------------------------------------------------------------


def _steady_state(gamma_plus, gamma_minus, lambda12):
    """Steady state (..., 4, 4) of the master equation (docs/theory.md §6)."""
    from neqent.dynamics.master import DegenerateSteadyStateError, steady_state

    try:
        return steady_state(gamma_plus, gamma_minus, lambda12)
    except DegenerateSteadyStateError as exc:
        raise InputError(
            "geometry",
            "the steady state is not unique for these inputs "
            f"(alpha^11 = alpha^22 = alpha^12, docs/theory.md §6): {exc}",
        ) from None


def _channels(kernels, omega, n_W, n_M):
    """Symmetric-case channel quantities (docs/theory.md §8), or Nones if it does not apply."""
    from neqent.dynamics.rates import effective_temperature, is_symmetric, symmetric_channels

    keys = ("Gamma_A", "Gamma_S", "n_A", "n_S", "T_A", "T_S")
    if not bool(is_symmetric(kernels.alpha_W, kernels.alpha_M)):
        return dict.fromkeys(keys), False
    gA, gS, nA, nS = symmetric_channels(kernels.alpha_W, kernels.alpha_M, n_W, n_M)
    tA = effective_temperature(omega, nA)
    tS = effective_temperature(omega, nS)
    values = [float(x) for x in (gA, gS, nA, nS, tA, tS)]
    # NaN (e.g. an effective temperature of a negative occupation) -> None.
    return {k: (None if math.isnan(v) else v) for k, v in zip(keys, values)}, True


def _pair(a) -> dict:
    """(2, 2) pair matrix -> {"11", "22", "12"} complex values."""
    a = np.asarray(a)
    return {"11": complex(a[0, 0]), "22": complex(a[1, 1]), "12": complex(a[0, 1])}


def point(
    material="sic",
    delta=10e-9,
    z1=1e-6,
    z2=1e-6,
    r12=0.25e-6,
    *,
    omega=None,
    omega_ratio=0.3,
    TW=30.0,
    TM=600.0,
    dipole1=(0.0, 0.0, 1.0),
    dipole2=(0.0, 0.0, 1.0),
    layers=None,
    substrate=None,
    sphere=None,
    grating=None,
    grooves=None,
    orders=None,
    grating_tol=None,
) -> dict:
    """Kernels, rates and steady state of one configuration.

    Parameters (SI; strings with units also accepted):
        material: name (``sic``, ``gold``, ``vacuum``), ``eps=<complex>``,
            ``csv:<path>`` or a :class:`~neqent.electrodynamics.materials.Material`.
        delta: slab thickness in m (``inf``: half-space).
        z1, z2: qubit heights above the slab surface in m (> 0).
        r12: lateral separation in m (>= 0), or an in-plane vector (dx, dy).
        omega: transition angular frequency in rad/s; if None,
            ``omega_ratio`` times the material resonance w_T is used.
        omega_ratio: omega / w_T (dimensionless, > 0), default 0.3.
        TW, TM: wall and body temperatures in K (>= 0).
        dipole1, dipole2: dipole 3-vectors (real or complex, only the
            direction matters).
        layers, substrate: a planar stack instead of material/delta
            (docs/theory.md §9): ``layers=[("sic", 10e-9), ("eps=2.25+0.01j", "200nm")]``
            top first (thickness in m or with units, > 0), ``substrate`` a material
            below it (None: vacuum). Materials: any of
            :func:`~neqent.electrodynamics.materials.get_layer_material` (``hbn``,
            ``sio2``, ``silver``, ``si:n=1e20cm-3``, ``eps=<t>,<z>`` ...). The top is
            z = 0; ``omega_ratio`` scales the top layer's resonance.
        sphere: a sphere instead of material/delta (docs/theory.md §13):
            ``sphere=("sic", "1um")`` or ``sphere="sic:1um"`` (material, radius > 0),
            any isotropic material of ``layers``. Its top is at z = 0 and its centre
            at (0, 0, -R): z1, z2 are heights above its top, and z < 0 is allowed
            for a qubit outside it (e.g. below it, z < -2R). ``omega_ratio``
            scales the sphere material's resonance. ``input["sphere"]`` holds
            kind, material, radius and the l_max used.
        grating: a lamellar grating instead of material/delta (docs/theory.md §12):
            ``grating="sic:1um:0.5:500nm"`` (MATERIAL:PERIOD:FILL:HEIGHT) or
            ``("sic", 1e-6, 0.5, 0.5e-6)``; ridges centred at x = 0, grooves along y,
            top of the ridges at z = 0. ``layers``/``substrate`` then lie below it.
            ``grooves``: the groove material (None: vacuum); ``orders``: N, orders
            -N..N (None: chosen at the lowest qubit height); ``grating_tol``: the
            k rule's target accuracy in Gamma0, in (0, 0.1] (None: the body's
            :data:`~neqent.electrodynamics.grating.DEFAULT_TOL`, 1e-4; 1e-2 is
            several times faster for a survey). The pair lies along x
            from x = 0 (r12 = (dx, dy) for any direction). ``input["grating"]``
            holds the grating, the orders used and the accuracy estimate
            (``accuracy``: ``tol``, ``k_points``, ``truncation``, ``table_orders``).

    Returns a dict:
        ``input`` (the validated arguments, SI), ``omega`` (rad/s),
        ``alpha_W``, ``alpha_M`` (each ``{"11", "22", "12"}`` -> complex
        dipole contractions, units of Gamma0), ``Lambda12`` (complex, units
        of Gamma0), ``n_W``, ``n_M`` (occupations), ``symmetric`` (bool: the
        §8 case applies), ``Gamma_A``, ``Gamma_S`` (units of Gamma0), ``n_A``,
        ``n_S``, ``T_A``, ``T_S`` (K) — these six are None unless symmetric —,
        ``rho`` (4x4 complex steady state, decoupled basis |gg>, |eg>, |ge>,
        |ee>) and ``concurrence``.

    Raises :class:`~neqent.errors.InputError` for bad arguments.
    """
    from neqent.dynamics.entanglement import concurrence
    from neqent.dynamics.rates import compute_kernels, occupation, rates

    s = setup(
        material,
        delta,
        z1,
        z2,
        r12,
        omega,
        omega_ratio,
        TW,
        TM,
        dipole1,
        dipole2,
        layers,
        substrate,
        sphere,
        grating,
        grooves,
        orders,
        grating_tol,
    )
    k = compute_kernels(s.geometry, s.omega)
    n_W = float(occupation(s.omega, s.TW))
    n_M = float(occupation(s.omega, s.TM))
    gp, gm = rates(k.alpha_W, k.alpha_M, n_W, n_M)
    rho = np.asarray(_steady_state(gp, gm, k.lambda12))
    channels, symmetric = _channels(k, s.omega, n_W, n_M)
    out = {
        "input": s.describe(),
        "omega": s.omega,
        "alpha_W": _pair(k.alpha_W),
        "alpha_M": _pair(k.alpha_M),
        "Lambda12": complex(k.lambda12),
        "n_W": n_W,
        "n_M": n_M,
        "symmetric": symmetric,
    }
    out.update(channels)
    out["rho"] = rho
    out["concurrence"] = float(concurrence(rho))
    return out


# ---------------------------------------------------------------------------
# evolve
# ---------------------------------------------------------------------------


def _initial(initial, omega, T_initial):
    """rho0 (4x4) and a label from a state name, a file path or a matrix."""
    from neqent.dynamics.master import initial_state
    from neqent.dynamics.rates import occupation

    if isinstance(initial, str) and initial.strip().lower() in [s.lower() for s in INITIAL_STATES]:
        name = next(s for s in INITIAL_STATES if s.lower() == initial.strip().lower())
        n = float(occupation(omega, T_initial)) if name == "thermal" else None
        label = f"thermal({T_initial:g} K)" if name == "thermal" else name
        try:
            return np.asarray(initial_state(name, n=n), dtype=complex), label
        except ValueError as exc:
            raise InputError("initial", str(exc)) from None
    if isinstance(initial, (str, os.PathLike)):
        m, label = load_matrix(initial)
    else:
        try:
            m = np.asarray(initial, dtype=complex)
        except (TypeError, ValueError):
            raise InputError(
                "initial", f"expected one of {', '.join(INITIAL_STATES)}, a file path or a 4x4 matrix, got {initial!r}"
            ) from None
        label = "matrix"
    if m.shape != (4, 4):
        raise InputError("initial", f"{label}: a 4x4 density matrix is needed, got shape {m.shape}")
    try:  # checks Hermitian, trace 1, positive semidefinite
        return np.asarray(initial_state(m), dtype=complex), label
    except ValueError as exc:
        raise InputError("initial", f"{label}: {exc}") from None


def coupled_populations(rho):
    """Populations of |G>, |A>, |S>, |E> (docs/theory.md §6).

    Parameters
    ----------
    rho : array_like, shape (..., 4, 4)
        Density matrices [1], decoupled basis.

    Returns
    -------
    ndarray, shape (..., 4)
        Coupled-basis populations [1].
    """
    rho = np.asarray(rho)
    mid = (rho[..., 1, 1] + rho[..., 2, 2]).real
    coh = rho[..., 1, 2].real
    return np.stack([rho[..., 0, 0].real, (mid - 2 * coh) / 2, (mid + 2 * coh) / 2, rho[..., 3, 3].real], axis=-1)


def evolve(
    initial="A",
    material="sic",
    delta=10e-9,
    z1=1e-6,
    z2=1e-6,
    r12=0.25e-6,
    *,
    omega=None,
    omega_ratio=0.3,
    TW=30.0,
    TM=600.0,
    dipole1=(0.0, 0.0, 1.0),
    dipole2=(0.0, 0.0, 1.0),
    T_initial=None,
    times=None,
    tmin=1e-2,
    tmax=None,
    num=81,
    spacing="log",
    layers=None,
    substrate=None,
    sphere=None,
    grating=None,
    grooves=None,
    orders=None,
    grating_tol=None,
) -> dict:
    """Time evolution rho(t) and concurrence C(t) from an initial state.

    ``initial``: ``"A"``, ``"S"``, ``"E"``, ``"G"`` (coupled basis),
    ``"thermal"`` (both qubits thermal at ``T_initial`` K, default ``TW``),
    a path to a ``.npy`` or text file holding a 4x4 density matrix
    (decoupled basis), or a 4x4 array. Geometry and temperature arguments as
    in :func:`point` (also ``layers``/``substrate``, ``sphere`` or ``grating``/``grooves``/``orders``/``grating_tol``).
    Times in units of 1/Gamma0: ``times`` explicitly, or
    ``num`` points from ``tmin`` to ``tmax`` with ``spacing`` ``"log"``
    (tmin > 0) or ``"linear"`` (tmin >= 0). ``tmax=None`` (default) means
    :data:`~neqent.interface.inputs.RELAX_FACTOR` / slowest relaxation rate (the smallest eigenvalue
    of Gamma(+w) + Gamma(-w)), where the steady state is reached.

    Returns a dict: ``input``, ``initial`` (label), ``omega`` (rad/s),
    ``t`` (nt,), ``rho`` (nt, 4, 4) complex, ``concurrence`` (nt,),
    ``populations`` (nt, 4) of |G>, |A>, |S>, |E>, ``steady_concurrence``
    (C of the steady state) and ``steady_rho`` (4, 4).
    """
    from neqent.dynamics.entanglement import concurrence
    from neqent.dynamics.master import evolve as master_evolve
    from neqent.dynamics.rates import compute_kernels, occupation, rates

    s = setup(
        material,
        delta,
        z1,
        z2,
        r12,
        omega,
        omega_ratio,
        TW,
        TM,
        dipole1,
        dipole2,
        layers,
        substrate,
        sphere,
        grating,
        grooves,
        orders,
        grating_tol,
    )
    T0 = s.TW if T_initial is None else parse_temperature(T_initial, "T_initial")
    rho0, label = _initial(initial, s.omega, T0)
    t = time_grid(times, tmin, tmax, num, spacing)
    k = compute_kernels(s.geometry, s.omega)
    gp, gm = rates(k.alpha_W, k.alpha_M, occupation(s.omega, s.TW), occupation(s.omega, s.TM))
    t = auto_time_grid(t, gp, gm)
    rho_t = np.asarray(master_evolve(gp, gm, k.lambda12, rho0, t))
    rho_ss = np.asarray(_steady_state(gp, gm, k.lambda12))
    inputs = s.describe()
    inputs.update(initial=label, T_initial=T0)
    return {
        "input": inputs,
        "initial": label,
        "omega": s.omega,
        "t": t,
        "rho": rho_t,
        "concurrence": np.asarray(concurrence(rho_t), dtype=float),
        "populations": coupled_populations(rho_t),
        "steady_concurrence": float(concurrence(rho_ss)),
        "steady_rho": rho_ss,
    }
