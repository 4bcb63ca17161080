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

Functions: :func:`point`, :func:`evolve`, :func:`scan`.
"""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass

import numpy as np

from neqent.electrodynamics.materials import Material, get_material  # noqa: F401 (api.get_material: public name)
from neqent.electrodynamics.resolve import resolve_material, resolve_omega
from neqent.interface.units import (
    InputError,
    parse_count,
    parse_dipole,
    parse_length,
    parse_number,
    parse_temperature,
)

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

#: Default arguments (SI): the paper geometry of docs/theory.md §11, T_M = 600 K.
DEFAULTS = {
    "material": "sic",
    "delta": 10e-9,
    "z1": 1e-6,
    "z2": 1e-6,
    "r12": 0.25e-6,
    "omega": None,
    "omega_ratio": 0.3,
    "TW": 30.0,
    "TM": 600.0,
    "dipole1": (0.0, 0.0, 1.0),
    "dipole2": (0.0, 0.0, 1.0),
}

#: Named initial states of :func:`evolve` (coupled basis of docs/theory.md §6).
INITIAL_STATES = ("A", "S", "E", "G", "thermal")

_Z_HINT = " (the qubit must sit above the slab surface, z > 0)"


# ---------------------------------------------------------------------------
# Validation: turns user arguments into a Geometry + omega, naming the argument
# in every error.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """Validated inputs of one configuration (SI units)."""

    geometry: object  # rates.Geometry
    omega: float  # rad/s
    omega_ratio: float | None  # omega / material resonance, None if no resonance
    TW: float  # K
    TM: float  # K

    def describe(self) -> dict:
        """The inputs as plain Python values (SI), for output and provenance.

        The body's :meth:`~neqent.electrodynamics.body.Body.describe` fills the keys:
        a slab gives ``material`` and ``delta``; any other body gives ``material``
        (its label), ``delta`` (a stack's total thickness) and its own keys
        (``layers``, ``substrate`` for a stack) after the rest.
        """
        g = self.geometry
        body = g.body.describe()
        dx, dy = g.r12
        slab = body["kind"] == "slab"
        out = {
            "material": body["material"] if slab else g.body.label,
            "delta": body["thickness"] if slab else float(sum(d for _, d in body.get("layers", ()))),
            "z1": g.z1,
            "z2": g.z2,
            "r12": dx if dy == 0 and dx >= 0 else [dx, dy],
            "omega": self.omega,
            "omega_ratio": self.omega_ratio,
            "TW": self.TW,
            "TM": self.TM,
            "dipole1": [complex(c) for c in np.asarray(g.dipole1, complex)],
            "dipole2": [complex(c) for c in np.asarray(g.dipole2, complex)],
        }
        if not slab:
            out.update({k: v for k, v in body.items() if k != "kind"})
        return out


#: The one material lookup (``param`` "material" in its InputError), under the name the API's helpers use.
_material = resolve_material


def _omega(mat: Material, omega, omega_ratio, check=True):
    """Angular frequency (rad/s) from ``omega`` or ``omega_ratio`` x resonance.

    ``omega`` wins when given. With ``check``, also checks the material's
    permittivity exists there (tabulated data have a finite range).
    """
    if omega is not None:
        param = "omega"
        w, ratio = resolve_omega(mat, omega=parse_number(omega, "omega", minimum=0.0, unit="rad/s"))
    else:
        param = "omega_ratio"
        what = "a positive fraction of the material resonance"
        w, ratio = resolve_omega(mat, omega_ratio=parse_number(omega_ratio, "omega_ratio", minimum=0.0, what=what))
    if not check:
        return w, ratio
    try:
        eps = mat.eps(w)
    except ValueError as exc:
        raise InputError(param, str(exc)) from None
    if not (math.isfinite(eps.real) and math.isfinite(eps.imag)):
        raise InputError(param, f"permittivity of {mat.name!r} is not finite at omega = {w:.6g} rad/s")
    return w, ratio


def _r12(r12):
    """Lateral separation: a length >= 0, or an in-plane vector (dx, dy) in m."""
    if not isinstance(r12, str) and np.ndim(r12) == 1:
        v = np.asarray(r12, dtype=float)
        if v.shape != (2,) or not np.all(np.isfinite(v)):
            raise InputError("r12", f"must be a length >= 0 m or a finite (dx, dy) in m, got {r12!r}")
        return (float(v[0]), float(v[1]))
    return (parse_length(r12, "r12", allow_zero=True), 0.0)


def _geometry(body, z1, z2, r12, dipole1, dipole2):
    """Validated :class:`~neqent.dynamics.rates.Geometry` of two qubits above ``body`` (built once, held by it)."""
    from neqent.dynamics.rates import Geometry
    from neqent.electrodynamics.planar import Slab

    z1 = parse_length(z1, "z1", hint=_Z_HINT)
    z2 = parse_length(z2, "z2", hint=_Z_HINT)
    dx, dy = _r12(r12)
    if dx == 0 and dy == 0 and z1 == z2:
        raise InputError(
            "r12", f"the qubits coincide (r12 = 0 and z1 = z2 = {z1:g} m); give r12 > 0 or different heights"
        )
    d1 = parse_dipole(dipole1, "dipole1")
    d2 = parse_dipole(dipole2, "dipole2")
    # a slab's material and thickness stay the Geometry's own fields; any other body replaces them
    slab = isinstance(body, Slab)
    fields = {"material": body.material, "delta": body.thickness} if slab else {"material": body.top_material}
    try:
        # always the vector: a scalar r12 must be >= 0, but (dx, 0) with dx < 0 is valid
        return Geometry(
            **fields, z1=z1, z2=z2, r12=(dx, dy), dipole1=tuple(d1), dipole2=tuple(d2), stack=None if slab else body
        )
    except ValueError as exc:  # anything the checks above did not anticipate
        msg = str(exc)
        param = (
            msg.split()[0]
            if msg.split() and msg.split()[0] in ("delta", "z1", "z2", "r12", "dipole1", "dipole2", "material")
            else "geometry"
        )
        raise InputError(param, msg) from None


def _check_size(omega_param, omega, eps, delta, z1, z2, r12):
    """Reject geometries the kernel quadrature cannot afford (see
    :func:`neqent.validation.electrical_size`). Scalars or arrays: omega
    (rad/s) with eps at those omegas; the worst case is taken over arrays.

    The InputError blames ``delta`` for a too thick slab, otherwise the
    argument that grew most beyond the paper geometry (omega relative to
    0.3 w_T of SiC, heights relative to 1 um, r12 to 0.25 um).
    """
    from neqent.validation import electrical_size, size_culprit

    names = ("omega", "z1", "z2", "r12", "delta")
    z1, z2, r12 = (float(np.max(v)) for v in (z1, z2, r12))
    try:
        electrical_size(omega, z1, z2, r12, np.inf, eps, names)
    except ValueError as exc:
        culprit = size_culprit(omega, z1, z2, r12, (omega_param, "z1", "z2", "r12"))
        raise InputError(culprit, str(exc)) from None
    finite = np.asarray(delta, float)[np.isfinite(delta)]
    if finite.size:
        try:
            electrical_size(omega, 0.0, 0.0, 0.0, float(finite.max()), eps, names)
        except ValueError as exc:
            raise InputError("delta", str(exc)) from None


def _stack(layers, substrate, material, delta):
    """Validated :class:`~neqent.electrodynamics.planar.Stack` (docs/theory.md §9), or None for the slab.

    ``layers``: sequence of (material, thickness) top first, thickness in m or with units;
    ``substrate``: a material or None (vacuum below). Exclusive with a non-default
    ``material``/``delta`` (InputError naming both).
    """
    from neqent.electrodynamics.planar import Stack

    if layers is None and substrate is None:
        return None
    if material != DEFAULTS["material"] or delta != DEFAULTS["delta"]:
        raise InputError(
            "layers", "layers/substrate and material/delta both describe the body; give one of them, not both"
        )
    resolved = []
    for i, item in enumerate(layers or ()):
        if isinstance(item, str) or not hasattr(item, "__len__") or len(item) != 2:
            raise InputError("layers", f"layer {i} must be a (material, thickness) pair, got {item!r}")
        resolved.append((item[0], parse_length(item[1], "layers", hint=f" (thickness of layer {i})")))
    if substrate is not None:
        from neqent.electrodynamics.materials import get_layer_material

        try:
            substrate = get_layer_material(substrate)
        except ValueError as exc:
            raise InputError("substrate", str(exc)) from None
    try:
        return Stack(resolved, substrate)
    except ValueError as exc:
        raise InputError("layers", str(exc)) from None


def _body(material, delta, layers=None, substrate=None):
    """The one body of a configuration: a Stack from ``layers``/``substrate``, else the slab of ``material``/``delta``.

    InputError naming the argument (``material``, ``delta``, ``layers``, ``substrate``).
    """
    from neqent.electrodynamics.planar import Slab

    stack = _stack(layers, substrate, material, delta)
    if stack is not None:
        return stack
    mat = _material(material)
    delta = parse_length(delta, "delta", allow_inf=True)
    try:
        return Slab(mat, delta)
    except ValueError as exc:
        raise InputError("delta", str(exc)) from None


def _body_omega(body, omega, omega_ratio):
    """Angular frequency (rad/s) for a body: ``omega``, or ``omega_ratio`` x its top material's resonance.

    Every medium of the body must have a finite permittivity there (tabulated data
    and fitted models have a range). Returns ``(omega, omega_ratio)``.
    """
    w, ratio = _omega(body.top_material, omega, omega_ratio, check=False)
    param = "omega" if omega is not None else "omega_ratio"
    try:
        optics = body.optics(w)
    except ValueError as exc:
        raise InputError(param, str(exc)) from None
    parts = optics if isinstance(optics, tuple) else (optics,)
    values = np.concatenate([np.ravel(np.asarray(v, complex)) for v in parts])
    if not np.all(np.isfinite(values)):
        raise InputError(param, f"a permittivity of {body.label!r} is not finite at omega = {w:.6g} rad/s")
    return w, ratio


def _check_stack_size(omega_param, omega, stack, z1, z2, r12):
    """:func:`_check_size` for a stack: the geometry, each layer's optical thickness and their sum."""
    from neqent.validation import MAX_ELECTRICAL_SIZE, electrical_size

    et, ez, th, _, _ = stack.optics(omega)
    _check_size(omega_param, omega, 1.0, np.inf, z1, z2, r12)
    total = 0.0
    for e_t, e_z, d in zip(et, ez, th):
        try:
            total += float(electrical_size(omega, 0.0, 0.0, 0.0, d, e_t if abs(e_t) >= abs(e_z) else e_z)[1])
        except ValueError as exc:
            raise InputError("layers", str(exc)) from None
    if total > MAX_ELECTRICAL_SIZE:
        raise InputError(
            "layers",
            f"the stack's total optical thickness omega sum(d_j n_j) / c must be <= {MAX_ELECTRICAL_SIZE:g}, "
            f"got {total:.3g}; use fewer or thinner layers, or a substrate for an optically thick part",
        )


def _check_body_size(omega_param, omega, body, g):
    """:func:`_check_size` of a slab, :func:`_check_stack_size` of a stack, for the geometry ``g``."""
    from neqent.electrodynamics.planar import Slab

    r12 = math.hypot(*g.r12)
    if isinstance(body, Slab):
        _check_size(omega_param, omega, body.optics(omega), body.thickness, g.z1, g.z2, r12)
    else:
        _check_stack_size(omega_param, omega, body, g.z1, g.z2, r12)


def _setup(
    material, delta, z1, z2, r12, omega, omega_ratio, TW, TM, dipole1, dipole2, layers=None, substrate=None
) -> Setup:
    """Validate every argument of one configuration (see :func:`point`); the body is built here, once."""
    body = _body(material, delta, layers, substrate)
    geometry = _geometry(body, z1, z2, r12, dipole1, dipole2)
    w, ratio = _body_omega(body, omega, omega_ratio)
    _check_body_size("omega" if omega is not None else "omega_ratio", w, body, geometry)
    TW = parse_temperature(TW, "TW")
    TM = parse_temperature(TM, "TM")
    return Setup(geometry=geometry, omega=w, omega_ratio=ratio, TW=TW, TM=TM)


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

    s = _setup(material, delta, z1, z2, r12, omega, omega_ratio, TW, TM, dipole1, dipole2, layers, substrate)
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


def _load_matrix(path):
    """4x4 complex matrix from a .npy file or a whitespace-separated text file."""
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise InputError(
            "initial",
            f"unknown initial state {p!r}: not one of "
            f"{', '.join(INITIAL_STATES)} and no such file "
            "(.npy or .txt holding a 4x4 density matrix)",
        )
    try:
        if p.endswith(".npy"):
            m = np.load(p, allow_pickle=False)
        else:
            m = np.loadtxt(p, dtype=complex, ndmin=2)
    except Exception as exc:  # any unreadable/corrupt file is an input error
        raise InputError("initial", f"cannot read a 4x4 matrix from {p!r}: {exc}") from None
    return np.asarray(m, dtype=complex), p


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
        m, label = _load_matrix(initial)
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


def _times(times, tmin, tmax, num, spacing):
    """Validated time grid (units of 1/Gamma0), or a recipe if ``tmax`` is automatic.

    Returns an array, or ``(tmin, None, num, log)`` when ``tmax`` is None
    (resolved by :func:`_auto_times` once the rates are known).
    """
    if times is not None:
        t = np.asarray(times, dtype=float).ravel()
        if t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
            raise InputError("times", "must be a non-empty sequence of finite times >= 0 (1/Gamma0)")
        return t
    if spacing not in ("log", "linear"):
        raise InputError("spacing", f"must be 'log' or 'linear', got {spacing!r}")
    log = spacing == "log"
    tmin = parse_number(tmin, "tmin", minimum=0.0, strict=False, unit="1/Gamma0")
    if log and tmin == 0:
        raise InputError("tmin", "must be > 0 1/Gamma0 for log spacing, got 0 (use linear spacing to start at t = 0)")
    num = parse_count(num, "num", minimum=2)
    if tmax is None:
        return (tmin, None, num, log)
    tmax = parse_number(tmax, "tmax", minimum=tmin, unit="1/Gamma0")
    return np.geomspace(tmin, tmax, num) if log else np.linspace(tmin, tmax, num)


#: Automatic t_max = RELAX_FACTOR / slowest relaxation rate (as the pipeline's fig4b data).
RELAX_FACTOR = 30.0


def _auto_times(recipe, gamma_plus, gamma_minus):
    """Resolve an automatic time grid: t_max = RELAX_FACTOR / (smallest eigenvalue of
    the Hermitian part of Gamma(+w) + Gamma(-w)), well past the slowest relaxation;
    t_min is lowered to t_max / 10 if needed."""
    if not isinstance(recipe, tuple):
        return recipe
    from neqent.dynamics.master import slowest_relaxation_rate

    tmin, _, num, log = recipe
    slowest = slowest_relaxation_rate(gamma_plus, gamma_minus)
    tmax = RELAX_FACTOR / slowest if slowest > 0 else 1e6
    tmin = min(tmin, tmax / 10)
    return np.geomspace(tmin, tmax, num) if log else np.linspace(tmin, tmax, num)


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
) -> dict:
    """Time evolution rho(t) and concurrence C(t) from an initial state.

    ``initial``: ``"A"``, ``"S"``, ``"E"``, ``"G"`` (coupled basis),
    ``"thermal"`` (both qubits thermal at ``T_initial`` K, default ``TW``),
    a path to a ``.npy`` or text file holding a 4x4 density matrix
    (decoupled basis), or a 4x4 array. Geometry and temperature arguments as
    in :func:`point` (also ``layers``/``substrate``). Times in units of 1/Gamma0: ``times`` explicitly, or
    ``num`` points from ``tmin`` to ``tmax`` with ``spacing`` ``"log"``
    (tmin > 0) or ``"linear"`` (tmin >= 0). ``tmax=None`` (default) means
    :data:`RELAX_FACTOR` / slowest relaxation rate (the smallest eigenvalue
    of Gamma(+w) + Gamma(-w)), where the steady state is reached.

    Returns a dict: ``input``, ``initial`` (label), ``omega`` (rad/s),
    ``t`` (nt,), ``rho`` (nt, 4, 4) complex, ``concurrence`` (nt,),
    ``populations`` (nt, 4) of |G>, |A>, |S>, |E>, ``steady_concurrence``
    (C of the steady state) and ``steady_rho`` (4, 4).
    """
    from neqent.dynamics.entanglement import concurrence
    from neqent.dynamics.master import evolve as master_evolve
    from neqent.dynamics.rates import compute_kernels, occupation, rates

    s = _setup(material, delta, z1, z2, r12, omega, omega_ratio, TW, TM, dipole1, dipole2, layers, substrate)
    T0 = s.TW if T_initial is None else parse_temperature(T_initial, "T_initial")
    rho0, label = _initial(initial, s.omega, T0)
    t = _times(times, tmin, tmax, num, spacing)
    k = compute_kernels(s.geometry, s.omega)
    gp, gm = rates(k.alpha_W, k.alpha_M, occupation(s.omega, s.TW), occupation(s.omega, s.TM))
    t = _auto_times(t, gp, gm)
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


# ---------------------------------------------------------------------------
# scan: builds a pipeline config for one scan and runs the pipeline's stages
# (neqent.pipeline.stages) in-process, so the file has exactly the pipeline's format.
# ---------------------------------------------------------------------------

#: Name of the scan in the config recorded by :func:`scan`.
SCAN_NAME = "cli"


def _grid(value, param, parse_one):
    """Grid of one scan argument: ``(values, swept)`` with ``values`` a float list.

    ``value``: a scalar (not swept), a sequence of values, or a mapping
    ``{start, stop, num, spacing}`` (spacing ``"linear"``, default, or
    ``"log"``) -- the pipeline config's range form; endpoints may carry units
    and must be finite with start <= stop. Values must be strictly increasing.
    """
    from neqent.pipeline.config import resolve_range

    if isinstance(value, dict):
        unknown = set(value) - {"start", "stop", "num", "spacing"}
        if unknown or not {"start", "stop", "num"} <= set(value):
            raise InputError(param, f"a range needs keys start, stop, num (optional spacing), got {value!r}")
        spec = {
            "start": parse_one(value["start"]),
            "stop": parse_one(value["stop"]),
            "num": parse_count(value["num"], param, minimum=1),
            "spacing": value.get("spacing", "linear"),
        }
    elif isinstance(value, str) or np.ndim(value) == 0:
        return parse_one(value), False
    else:
        spec = [parse_one(v) for v in value]
        if not spec:
            raise InputError(param, "scan values must be a non-empty sequence")
    # the pipeline's grid rules (finite range ends, start <= stop, log > 0,
    # strictly increasing values: figures and the z2 = z1 insertion assume it)
    try:
        values = resolve_range(spec)
    except ValueError as exc:
        raise InputError(param, str(exc)) from None
    return [float(v) for v in values], True


def _check_output(output):
    """Validate a NetCDF output path before any computation; return it absolute."""
    p = os.path.abspath(os.fspath(output))
    parent = os.path.dirname(p)
    if os.path.isdir(p):
        raise InputError("output", f"{output!r} is a directory; give a file path ending in .nc")
    if not p.endswith(".nc"):
        raise InputError("output", f"output file must end in .nc, got {output!r}")
    if not os.path.isdir(parent):
        raise InputError("output", f"directory {parent!r} of output {output!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError("output", f"directory {parent!r} of output {output!r} is not writable")
    return p


def scan_config(
    *,
    material="sic",
    delta=10e-9,
    z1=1e-6,
    z2=1e-6,
    r12=0.25e-6,
    omega=None,
    omega_ratio=0.3,
    theta=0.0,
    TW=30.0,
    TM=600.0,
    chunk=16,
    layers=None,
    substrate=None,
) -> dict:
    """Validate :func:`scan` arguments into a pipeline config (SI floats).

    Parameters
    ----------
    material, delta, z1, z2, r12, omega, omega_ratio, theta, TW, TM, layers, substrate
        As in :func:`scan` [SI].
    chunk : int
        Grid points per kernel batch.

    Returns
    -------
    dict
        Shaped like ``config/config.yaml``: ``material``, ``T_W`` [K],
        ``geometry`` (the unswept values, SI), ``scans`` with the single scan
        :data:`SCAN_NAME` (swept ``axes`` and the ``T_M`` grid [K]) and
        ``mpi.chunk``.

    Raises
    ------
    InputError
        Naming the argument.
    """
    if layers is not None or substrate is not None:
        return _stack_scan_config(layers, substrate, material, delta, z1, z2, r12, omega, omega_ratio, theta, TW, TM)
    if not isinstance(material, str):
        raise InputError(
            "material",
            f"scan needs a material name or spec string (sic, gold, vacuum, eps=..., csv:...), got {material!r}",
        )
    mat = _material(material)
    geometry, axes = {}, {}
    z1 = parse_length(z1, "z1", hint=_Z_HINT)
    geometry["z1"] = z1
    if omega is not None:
        fkey, fval = "omega", _grid(omega, "omega", lambda v: parse_number(v, "omega", minimum=0.0, unit="rad/s"))
    else:
        fkey, fval = (
            "omega_ratio",
            _grid(omega_ratio, "omega_ratio", lambda v: parse_number(v, "omega_ratio", minimum=0.0)),
        )
    # rad/s at every grid frequency; also rejects omega_ratio for a material without resonance
    w, _ = resolve_omega(mat, **{fkey: np.atleast_1d(np.asarray(fval[0], float))})
    specs = [
        (fkey, fval),
        ("delta", _grid(delta, "delta", lambda v: parse_length(v, "delta", allow_inf=True))),
        ("z2", _grid(z2, "z2", lambda v: parse_length(v, "z2", hint=_Z_HINT))),
        ("r12", _grid(r12, "r12", lambda v: parse_length(v, "r12", allow_zero=True))),
        ("theta", _grid(theta, "theta", lambda v: parse_number(v, "theta", unit="rad"))),
    ]
    for key, (values, swept) in specs:
        (axes if swept else geometry)[key] = values
    T_M, _ = _grid(TM, "TM", lambda v: parse_temperature(v, "TM"))
    T_M = T_M if isinstance(T_M, list) else [T_M]
    # The permittivity must exist at every frequency (tabulated data have a range).
    try:
        eps = mat.eps(w)
    except ValueError as exc:
        raise InputError(fkey, str(exc)) from None
    every = {**geometry, **axes}
    _check_size(fkey, w, eps, every["delta"], z1, every["z2"], every["r12"])
    if not axes:  # the pipeline's scans sweep at least one geometry axis
        axes[fkey] = [geometry.pop(fkey)]
    return {
        "material": material,
        "T_W": parse_temperature(TW, "TW"),
        "geometry": geometry,
        "scans": {SCAN_NAME: {"axes": axes, "T_M": T_M}},
        "mpi": {"chunk": int(chunk)},
    }


def _stack_scan_config(layers, substrate, material, delta, z1, z2, r12, omega, omega_ratio, theta, TW, TM):
    """:func:`scan_config` for a planar stack: ``geometry.stack`` and thickness axes ``thickness_<i>``.

    A layer's thickness may be swept like ``delta`` (a sequence or a range mapping).
    The grid checks are the pipeline config's (:func:`neqent.pipeline.config.validate_config`;
    its ConfigError becomes an InputError naming the argument).
    """
    from neqent.pipeline.config import ConfigError, validate_config

    if isinstance(layers, (str, bytes)):
        raise InputError("layers", f"layers must be a sequence of (material, thickness) pairs, got {layers!r}")
    grids = []
    for i, item in enumerate(layers or ()):
        if isinstance(item, str) or not hasattr(item, "__len__") or len(item) != 2:
            raise InputError("layers", f"layer {i} must be a (material, thickness) pair, got {item!r}")
        hint = f" (thickness of layer {i})"
        grids.append(_grid(item[1], "layers", lambda v, h=hint: parse_length(v, "layers", hint=h)))
    # materials, substrate, thickness > 0 and the exclusivity with material/delta, on the first thicknesses
    first = [(item[0], values[0] if swept else values) for item, (values, swept) in zip(layers or (), grids)]
    _stack(first, substrate, material, delta)
    geometry, axes = {"z1": parse_length(z1, "z1", hint=_Z_HINT)}, {}
    geometry["stack"] = [{"material": str(m), "thickness": float(t)} for m, t in first]
    if substrate is not None:
        geometry["substrate"] = str(substrate)
    for i, (values, swept) in enumerate(grids):
        if swept:
            axes[f"thickness_{i}"] = values
    if omega is not None:
        fkey, fval = "omega", _grid(omega, "omega", lambda v: parse_number(v, "omega", minimum=0.0, unit="rad/s"))
    else:
        fkey, fval = (
            "omega_ratio",
            _grid(omega_ratio, "omega_ratio", lambda v: parse_number(v, "omega_ratio", minimum=0.0)),
        )
    specs = [
        (fkey, fval),
        ("z2", _grid(z2, "z2", lambda v: parse_length(v, "z2", hint=_Z_HINT))),
        ("r12", _grid(r12, "r12", lambda v: parse_length(v, "r12", allow_zero=True))),
        ("theta", _grid(theta, "theta", lambda v: parse_number(v, "theta", unit="rad"))),
    ]
    for key, (values, swept) in specs:
        (axes if swept else geometry)[key] = values
    T_M, _ = _grid(TM, "TM", lambda v: parse_temperature(v, "TM"))
    if not axes:  # the pipeline's scans sweep at least one geometry axis
        axes[fkey] = [geometry.pop(fkey)]
    config = {
        "T_W": parse_temperature(TW, "TW"),
        "geometry": geometry,
        "scans": {SCAN_NAME: {"axes": axes, "T_M": T_M if isinstance(T_M, list) else [T_M]}},
        "extras": [],
        "mpi": {"chunk": 16},
    }
    try:
        validate_config(copy.deepcopy(config), partial=True)
    except ConfigError as exc:
        text = str(exc)
        param = next((p for k, p in _STACK_KEYS if k in text.split(":", 1)[0]), "geometry")
        raise InputError(param, text) from None
    return config


#: config key fragment -> scan argument of a stack scan's ConfigError (first match wins)
_STACK_KEYS = (
    ("substrate", "substrate"),
    ("stack", "layers"),
    ("thickness", "layers"),
    ("omega_ratio", "omega_ratio"),
    ("omega", "omega"),
    ("z2", "z2"),
    ("z1", "z1"),
    ("r12", "r12"),
    ("theta", "theta"),
)


def scan(
    output=None,
    *,
    material="sic",
    delta=10e-9,
    z1=1e-6,
    z2=1e-6,
    r12=0.25e-6,
    omega=None,
    omega_ratio=0.3,
    theta=0.0,
    TW=30.0,
    TM=600.0,
    progress=False,
    chunk=None,
    layers=None,
    substrate=None,
):
    """Kernels, rates and steady states over a small grid, without Snakemake.

    Parameters
    ----------
    output : str or path, optional
        A ``.nc`` path, validated before any computation (see below).
    omega, omega_ratio, delta, z2, r12, theta, TM
        Sweepable: a scalar, a sequence, or a range mapping ``{start, stop,
        num, spacing}`` as in the pipeline config (strings with units
        allowed): ``omega`` [rad/s] or ``omega_ratio`` [1] (omega / material
        resonance), ``delta``, ``z2``, ``r12`` [m], ``theta`` [rad] (polar
        angle of both dipoles in the x-z plane, 0 = along z -- the
        pipeline's dipole parametrisation) and ``TM`` [K]. As in the
        pipeline, z1 is inserted into a z2 range that contains it (so the
        symmetric line z2 = z1 exists).
    material, z1, TW
        Fixed: as in :func:`point` [SI].
    layers, substrate
        A planar stack instead of ``material``/``delta`` (docs/theory.md §9),
        as in :func:`point`: ``layers`` (material, thickness) pairs top first,
        ``substrate`` a material or None (vacuum below). A layer's thickness
        [m] is sweepable like ``delta`` (axis ``thickness_<i>``, i = 0 for the
        top layer); ``omega_ratio`` is relative to the top layer's resonance.
    progress : bool
        A tqdm bar on stderr.
    chunk : int, optional
        Grid points per kernel batch (default: about 50 batches; results do
        not depend on it).

    Returns
    -------
    xarray.Dataset
        The merged datasets (complex variables complex): ``alpha_W``,
        ``alpha_M`` (..., q, qp) [Gamma0], ``lambda12`` [Gamma0], ``eps`` [1],
        ``gamma_plus``, ``gamma_minus`` (..., T_M, q, qp) [Gamma0], ``n_W``,
        ``n_M`` [1], ``rho`` (..., T_M, i, j) [1] and ``C`` (..., T_M) [1];
        swept geometry axes as dimensions in the pipeline's order
        (``neqent.pipeline.stages.AXIS_ORDER``), unswept ones as scalar
        coordinates.

    Notes
    -----
    The computation is the pipeline's (:mod:`neqent.pipeline.stages`): ``kernel_grid``
    -> ``rate_grid`` -> ``steady_grid``, serially.

    ``output`` is validated before any computation and written
    with :func:`neqent.pipeline.io.write_dataset` (atomic: temporary file + rename,
    nothing left behind on error; compressed; complex values as
    ``_re``/``_im`` pairs; the config of :func:`scan_config` and provenance
    as global attributes). Read back with :func:`neqent.pipeline.io.read_dataset`.
    """
    import xarray as xr

    from neqent.pipeline import stages as sweep

    path = _check_output(output) if output is not None else None
    config = scan_config(
        material=material,
        delta=delta,
        z1=z1,
        z2=z2,
        r12=r12,
        omega=omega,
        omega_ratio=omega_ratio,
        theta=theta,
        TW=TW,
        TM=TM,
        layers=layers,
        substrate=substrate,
    )
    try:
        axes, fixed = sweep.scan_axes(config, SCAN_NAME)
    except ValueError as exc:
        raise InputError("geometry", str(exc)) from None
    npts_hint = int(np.prod([len(v) for v in axes.values()])) if axes else 1
    _refuse_beyond_memory_budget(npts_hint * len(np.atleast_1d(config["scans"][SCAN_NAME]["T_M"])))
    config["mpi"]["chunk"] = max(1, int(chunk)) if chunk else max(1, -(-npts_hint // 50))
    # Coinciding qubits somewhere on the grid (r12 = 0 and z2 = z1).
    r12s = np.atleast_1d(axes.get("r12", fixed.get("r12")))
    z2s = np.atleast_1d(axes.get("z2", fixed.get("z2")))
    if np.any(r12s == 0) and np.any(z2s == fixed["z1"]):
        raise InputError(
            "r12",
            f"the qubits coincide at a grid point (r12 = 0 and z2 = z1 = "
            f"{fixed['z1']:g} m); give r12 > 0 or a z2 grid without z1",
        )

    kernels = sweep.kernel_grid(config, SCAN_NAME, progress=progress)
    rates_ds = sweep.rate_grid(kernels, config["scans"][SCAN_NAME]["T_M"], config["T_W"])
    steady = _degenerate_as_input(sweep.steady_grid, rates_ds)
    ds = xr.merge([kernels, rates_ds, steady], compat="override", combine_attrs="override")
    ds.attrs.update(
        title="neqent scan: kernels, rates and steady states (neqent scan)",
        scan=SCAN_NAME,
        stage="scan",
        material=kernels.attrs["material"],
    )
    if path is not None:
        from neqent.pipeline.io import write_dataset

        write_dataset(ds, path, config)
    return ds


def _refuse_beyond_memory_budget(npoints):
    """InputError (before any computation) when the in-memory result exceeds the memory budget.

    The budget is ``NEQENT_MEMORY_BUDGET`` (default 2 GB); larger grids belong
    to the pipeline, which streams them in blocks (issue 10).
    """
    from neqent.pipeline.budget import BudgetError, check_in_memory

    try:
        check_in_memory(npoints, what="scan")
    except BudgetError as exc:
        raise InputError("geometry", str(exc)) from None  # the whole grid: no single option to blame


def _degenerate_as_input(func, *args):
    """Run ``func``; report a non-unique steady state as an input problem."""
    from neqent.dynamics.master import DegenerateSteadyStateError

    try:
        return func(*args)
    except DegenerateSteadyStateError as exc:
        raise InputError(
            "geometry", f"the steady state is not unique at some grid point (docs/theory.md §6): {exc}"
        ) from None
