"""User-facing functions for N >= 2 qubits at arbitrary positions (docs/theory.md §10).

:func:`point_n` and :func:`evolve_n` are the N-qubit twins of
:func:`neqent.interface.api.point` and :func:`neqent.interface.api.evolve`
(also ``neqent.point_n`` / ``neqent.evolve_n``). Arguments are SI, or
strings with units as in :mod:`neqent.interface.units`:

* ``qubits``: a sequence of N positions (x, y, z) [m] outside the body (z > 0
  above a planar body; anywhere around a ``sphere``, beside or below it too),
  each a 3-sequence (``(0, 0, 1e-6)``, ``("0", "250nm", "1um")``) or a string
  ``"0,250nm,1um"``;
* ``dipoles``: one dipole for all qubits or one per qubit (``"0,0,1"``,
  ``(1, 1j, 0)``; only directions matter).

Rates and couplings are in units of Gamma0 [Gamma0], times [1/Gamma0]. The
state is a (2^N, 2^N) density matrix in the basis of §10 (qubit 1 the least
significant bit). Bad arguments raise :class:`~neqent.errors.InputError`
with ``param`` ``"qubit"``, ``"dipole"`` or the argument's name.
"""

from __future__ import annotations

import os

import numpy as np

from neqent.electrodynamics.resolve import resolve_material
from neqent.interface.inputs import (
    INITIAL_STATES,
    RELAX_FACTOR,
    body_omega,
    build_body,
    check_grating_size,
    check_size,
    check_sphere_size,
    check_stack_size,
    describe_body,
    load_matrix,
    time_grid,
)
from neqent.interface.units import InputError, parse_dipole, parse_signed_length, parse_temperature

__all__ = ["point_n", "evolve_n", "MAX_QUBITS", "MAX_EVOLVE_QUBITS"]

from neqent.dynamics.many_body import MAX_EVOLVE_QUBITS  # noqa: E402
from neqent.dynamics.many_rates import MAX_QUBITS  # noqa: E402


def _signed_length(part, q, axis):
    """A coordinate in m (any sign) from ``"-250nm"``-style text or a number."""
    try:
        return parse_signed_length(part, "qubit")
    except (InputError, TypeError, ValueError) as exc:
        detail = exc.detail if isinstance(exc, InputError) else f"expected a length, got {part!r}"
        raise InputError("qubit", f"qubit {q}, {axis}: {detail}") from None


def _position(value, q):
    """(x, y, z) in m of qubit q (1-based) from a string ``"x,y,z"`` or a 3-sequence (any signs)."""
    parts = [p.strip() for p in value.split(",")] if isinstance(value, str) else list(np.ravel(value))
    if len(parts) != 3:
        raise InputError(
            "qubit", f"qubit {q}: expected three comma-separated lengths X,Y,Z (e.g. 0,250nm,1um), got {value!r}"
        )
    # inside or outside the body: the body's own check (ManyGeometry), e.g. z < 0 beside or below a sphere
    return tuple(_signed_length(p, q, axis) for p, axis in zip(parts, "xyz"))


def _positions(qubits):
    if qubits is None or isinstance(qubits, str) or len(qubits) < 2:
        count = 0 if qubits is None else (1 if isinstance(qubits, str) else len(qubits))
        raise InputError("qubit", f"the N-qubit path needs at least 2 qubits, got {count}")
    if len(qubits) > MAX_QUBITS:
        raise InputError("qubit", f"at most {MAX_QUBITS} qubits are supported, got {len(qubits)}")
    pos = np.array([_position(v, q + 1) for q, v in enumerate(qubits)])
    for a in range(len(pos)):
        for b in range(a + 1, len(pos)):
            if np.array_equal(pos[a], pos[b]):
                point = ", ".join(f"{c:g}" for c in pos[a])
                raise InputError("qubit", f"qubits {a + 1} and {b + 1} are at the same point ({point}) m")
    return pos


def _dipoles(dipoles, n):
    if isinstance(dipoles, str) or (np.ndim(dipoles) == 1 and len(dipoles) == 3 and not isinstance(dipoles[0], str)):
        dipoles = [dipoles]
    dipoles = list(dipoles)
    if len(dipoles) not in (1, n):
        raise InputError("dipole", f"give one dipole for all qubits or one per qubit ({n}), got {len(dipoles)}")
    vecs = [parse_dipole(d, "dipole") for d in dipoles]
    return np.array(vecs * n if len(vecs) == 1 else vecs)


def _setup_n(
    qubits, dipoles, material, delta, omega, omega_ratio, TW, TM, layers=None, substrate=None, sphere=None, grating=None
):
    """Validated ManyGeometry (holding the one body), omega (rad/s), omega_ratio, TW, TM (K)."""
    from neqent.dynamics.many_rates import ManyGeometry
    from neqent.electrodynamics.grating import Grating
    from neqent.electrodynamics.planar import Slab
    from neqent.electrodynamics.sphere import Sphere

    grating = grating or {}
    other = layers is not None or substrate is not None or sphere is not None or grating.get("grating") is not None
    mat = material if other else resolve_material(material)  # a stack or sphere checks material/delta itself
    pos = _positions(qubits)
    dip = _dipoles(dipoles, len(pos))
    body = build_body(mat, delta, layers, substrate, sphere, **grating)
    w, ratio = body_omega(body, omega, omega_ratio)
    # a slab keeps its material and thickness as the geometry's fields; any other body replaces them
    slab = isinstance(body, Slab)
    fields = {"material": body.material, "delta": body.thickness} if slab else {"material": body.top_material}
    try:  # first the positions (the body's rule), then what they cost
        geometry = ManyGeometry(positions=pos, dipoles=dip, body=body, **fields)
    except ValueError as exc:
        raise InputError("qubit", str(exc)) from None
    if isinstance(body, Grating):
        check_grating_size(body, w, pos)
        return geometry, w, ratio, parse_temperature(TW, "TW"), parse_temperature(TM, "TM")
    if isinstance(body, Sphere):
        check_sphere_size(body, w, pos)
        return geometry, w, ratio, parse_temperature(TW, "TW"), parse_temperature(TM, "TM")
    zmax = float(np.max(pos[:, 2]))
    lateral = float(np.max(np.hypot(*(pos[:, None, :2] - pos[None, :, :2]).transpose(2, 0, 1))))
    param = "omega" if omega is not None else "omega_ratio"
    try:
        if slab:
            check_size(param, w, body.optics(w), body.thickness, zmax, zmax, lateral)
        else:
            check_stack_size(param, w, body, zmax, zmax, lateral)
    except InputError as exc:
        keep = ("delta", "omega", "omega_ratio", "layers")
        raise InputError(exc.param if exc.param in keep else "qubit", exc.detail) from None
    return geometry, w, ratio, parse_temperature(TW, "TW"), parse_temperature(TM, "TM")


def _describe(geometry, w, ratio, TW, TM):
    head, tail = describe_body(geometry.body)
    return {
        **head,
        "qubits": [[float(c) for c in p] for p in geometry.positions],
        "dipoles": [[complex(c) for c in d] for d in geometry.dipoles],
        "omega": w,
        "omega_ratio": ratio,
        "TW": TW,
        "TM": TM,
        **tail,
    }


def _steady(gp, gm, lam):
    from neqent.dynamics.many_body import DegenerateManySteadyStateError, steady_state_n

    try:
        return steady_state_n(gp, gm, lam)
    except DegenerateManySteadyStateError as exc:
        raise InputError(
            "geometry", f"the steady state is not unique for these inputs (docs/theory.md §10): {exc}"
        ) from None


def _rates_of(geometry, w, TW, TM):
    from neqent.dynamics.many_rates import compute_many_kernels, many_rates
    from neqent.dynamics.rates import occupation

    k = compute_many_kernels(geometry, w)
    n_W = float(occupation(w, TW))
    n_M = float(occupation(w, TM))
    gp, gm = many_rates(k, n_W, n_M)
    return k, n_W, n_M, gp, gm


def point_n(
    qubits,
    dipoles=(0.0, 0.0, 1.0),
    material="sic",
    delta=10e-9,
    *,
    omega=None,
    omega_ratio=0.3,
    TW=30.0,
    TM=600.0,
    layers=None,
    substrate=None,
    sphere=None,
    grating=None,
    grooves=None,
    orders=None,
    grating_tol=None,
) -> dict:
    """Kernels, rates, steady state and entanglement of N qubits (docs/theory.md §10).

    Parameters
    ----------
    qubits : array_like, shape (N, 3)
        Positions (x, y, z) [m] outside the body (z > 0 above a planar one; a
        sphere: anywhere outside it), 2 <= N <= MAX_QUBITS = 10.
    dipoles : array_like, shape (3,) or (N, 3)
        One dipole for all or one per qubit [1] (real or complex; only the direction matters).
    material : str or Material
        Slab material, as in :func:`neqent.interface.api.point`.
    delta : float or str
        Slab thickness [m] (``inf``: half-space; strings with units accepted).
    omega : float, optional
        Transition angular frequency [rad/s]; None: ``omega_ratio`` times the
        material resonance.
    omega_ratio : float
        omega / resonance [1], > 0.
    TW, TM : float
        Wall and body temperatures [K], >= 0.
    layers, substrate : optional
        A planar stack instead of ``material``/``delta`` (docs/theory.md §9), as in
        :func:`neqent.interface.api.point`: (material, thickness [m]) pairs top
        first and the medium below (None: vacuum).
    sphere : tuple or str, optional
        A sphere instead of ``material``/``delta`` (docs/theory.md §13), as in
        :func:`neqent.interface.api.point`: ``("sic", "1um")`` or ``"sic:1um"``
        (top at z = 0, centre (0, 0, -R)).
    grating, grooves, orders, grating_tol : optional
        A lamellar grating instead of ``material``/``delta`` (docs/theory.md §12), as in
        :func:`neqent.interface.api.point` (``"sic:1um:0.5:500nm"``; x across the grooves;
        ``grating_tol``: the k rule's target accuracy [Gamma0]).

    Returns
    -------
    dict
        ``input`` (validated arguments, SI), ``omega`` [rad/s], ``n_qubits``,
        ``alpha_W``, ``alpha_M``, ``Lambda``, ``Gamma_plus``, ``Gamma_minus``
        ((N, N) complex [Gamma0]), ``n_W``, ``n_M`` [1], ``rho`` ((2^N, 2^N)
        complex steady state [1]), ``populations`` (its diagonal [1]),
        ``concurrence_pairs`` ({"1-2": C, ...} [1]), ``log_negativity``
        (``{"1|rest": E_N, ..., "1-2|3-4": E_N}`` [1], base 2) and, for N = 2,
        ``concurrence`` [1].

    Raises
    ------
    InputError
        :class:`~neqent.errors.InputError` for bad arguments.
    """
    from neqent.dynamics.many_entanglement import log_negativities, pair_concurrences

    g, w, ratio, TW, TM = _setup_n(
        qubits,
        dipoles,
        material,
        delta,
        omega,
        omega_ratio,
        TW,
        TM,
        layers,
        substrate,
        sphere,
        {"grating": grating, "grooves": grooves, "orders": orders, "grating_tol": grating_tol},
    )
    k, n_W, n_M, gp, gm = _rates_of(g, w, TW, TM)
    rho = _steady(gp, gm, k.Lambda)
    pairs = pair_concurrences(rho)
    out = {
        "input": _describe(g, w, ratio, TW, TM),
        "omega": w,
        "n_qubits": g.n,
        "alpha_W": k.alpha_W,
        "alpha_M": k.alpha_M,
        "Lambda": k.Lambda,
        "Gamma_plus": gp,
        "Gamma_minus": gm,
        "n_W": n_W,
        "n_M": n_M,
        "rho": rho,
        "populations": np.real(np.diag(rho)).copy(),
        "concurrence_pairs": pairs,
        "log_negativity": log_negativities(rho),
    }
    if g.n == 2:
        out["concurrence"] = pairs["1-2"]
    return out


def _initial_n(initial, n, omega, T_initial):
    """rho0 (2^N, 2^N) and a label: a named state, g/e letters, a file or a matrix."""
    from neqent.dynamics.many_body import initial_state_n
    from neqent.dynamics.rates import occupation

    names = [s.lower() for s in INITIAL_STATES]
    if isinstance(initial, str) and (
        initial.strip().lower() in names or (len(initial.strip()) == n and set(initial.strip().lower()) <= {"g", "e"})
    ):
        key = initial.strip()
        thermal = key.lower() == "thermal"
        occ = float(occupation(omega, T_initial)) if thermal else None
        try:
            return initial_state_n(key, n, occ), (f"thermal({T_initial:g} K)" if thermal else key)
        except ValueError as exc:
            raise InputError("initial", str(exc)) from None
    if isinstance(initial, str) and not os.path.isfile(initial):
        raise InputError(
            "initial",
            f"unknown initial state {initial!r}: not one of G, E, S, A, thermal, {n} letters g/e "
            f"(qubit 1 first) or a .npy/.txt file holding a {2**n}x{2**n} density matrix",
        )
    if isinstance(initial, str):
        m, label = load_matrix(initial)
    else:
        m, label = np.asarray(initial, dtype=complex), "matrix"
    try:
        return initial_state_n(m, n), label
    except ValueError as exc:
        raise InputError("initial", f"{label}: {exc}") from None


def evolve_n(
    qubits,
    initial="A",
    dipoles=(0.0, 0.0, 1.0),
    material="sic",
    delta=10e-9,
    *,
    omega=None,
    omega_ratio=0.3,
    TW=30.0,
    TM=600.0,
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
    """Time evolution of N qubits from an initial state (docs/theory.md §10).

    Parameters
    ----------
    qubits : array_like, shape (N, 3)
        Positions (x, y, z) [m] outside the body, as in :func:`point_n`, 2 <= N <= MAX_EVOLVE_QUBITS = 6.
    initial : str or array_like
        ``"G"``, ``"E"``, ``"S"`` (W state), ``"A"`` ((``|e_1> - |e_2>``)/sqrt2,
        the others in g), ``"thermal"`` (at ``T_initial``), N letters g/e (qubit
        1 first), a .npy/.txt file or a (2^N, 2^N) density matrix [1].
    dipoles : array_like, shape (3,) or (N, 3)
        One dipole for all or one per qubit [1] (real or complex; only the direction matters).
    material : str or Material
        Slab material, as in :func:`neqent.interface.api.point`.
    delta : float or str
        Slab thickness [m] (``inf``: half-space; strings with units accepted).
    omega : float, optional
        Transition angular frequency [rad/s]; None: ``omega_ratio`` times the
        material resonance.
    omega_ratio : float
        omega / resonance [1], > 0.
    TW, TM : float
        Wall and body temperatures [K], >= 0.
    layers, substrate : optional
        A planar stack instead of ``material``/``delta``, as in :func:`point_n`.
    sphere : tuple or str, optional
        A sphere instead of ``material``/``delta``, as in :func:`point_n`.
    grating, grooves, orders, grating_tol : optional
        A lamellar grating instead of ``material``/``delta``, as in :func:`point_n`.
    T_initial : float, optional
        Temperature of the thermal initial state [K] (default ``TW``).
    times : array_like, optional
        Explicit times [1/Gamma0], >= 0.
    tmin, tmax : float
        First and last time [1/Gamma0] when ``times`` is None; ``tmax=None``
        means RELAX_FACTOR / slowest relaxation rate (as
        :func:`neqent.interface.api.evolve`).
    num : int
        Number of times [1].
    spacing : {"log", "linear"}
        Spacing of the times (log needs tmin > 0).

    Returns
    -------
    dict
        ``input``, ``initial``, ``omega`` [rad/s], ``n_qubits``, ``t`` (nt,)
        [1/Gamma0], ``rho`` (nt, 2^N, 2^N) [1], ``populations`` (nt, 2^N) [1],
        ``concurrence_pairs`` ({"1-2": (nt,) array, ...} [1]), ``log_negativity``
        ({cut: (nt,) array} [1], base 2), ``steady_rho`` [1],
        ``steady_concurrence_pairs`` [1].

    Raises
    ------
    InputError
        :class:`~neqent.errors.InputError` for bad arguments.
    """
    from neqent.dynamics.many_body import evolve_n as body_evolve
    from neqent.dynamics.many_body import slowest_relaxation_rate_n
    from neqent.dynamics.many_entanglement import log_negativities, pair_concurrences

    g, w, ratio, TW, TM = _setup_n(
        qubits,
        dipoles,
        material,
        delta,
        omega,
        omega_ratio,
        TW,
        TM,
        layers,
        substrate,
        sphere,
        {"grating": grating, "grooves": grooves, "orders": orders, "grating_tol": grating_tol},
    )
    if g.n > MAX_EVOLVE_QUBITS:
        raise InputError("qubit", f"evolve supports at most {MAX_EVOLVE_QUBITS} qubits, got {g.n}")
    T0 = TW if T_initial is None else parse_temperature(T_initial, "T_initial")
    rho0, label = _initial_n(initial, g.n, w, T0)
    t = time_grid(times, tmin, tmax, num, spacing)
    k, n_W, n_M, gp, gm = _rates_of(g, w, TW, TM)
    if isinstance(t, tuple):  # automatic t_max, as api.evolve
        tmin_, _, num_, log = t
        slowest = slowest_relaxation_rate_n(gp, gm)
        tmax_ = RELAX_FACTOR / slowest if slowest > 0 else 1e6
        tmin_ = min(tmin_, tmax_ / 10)
        t = np.geomspace(tmin_, tmax_, num_) if log else np.linspace(tmin_, tmax_, num_)
    rho_t = body_evolve(gp, gm, k.Lambda, rho0, t)
    rho_ss = _steady(gp, gm, k.Lambda)
    per_t = [pair_concurrences(r) for r in rho_t]
    cuts = [log_negativities(r) for r in rho_t]
    inputs = _describe(g, w, ratio, TW, TM)
    inputs.update(initial=label, T_initial=T0)
    return {
        "input": inputs,
        "initial": label,
        "omega": w,
        "n_qubits": g.n,
        "t": t,
        "rho": rho_t,
        "populations": np.real(np.diagonal(rho_t, axis1=-2, axis2=-1)).copy(),
        "concurrence_pairs": {p: np.array([c[p] for c in per_t]) for p in per_t[0]},
        "log_negativity": {c: np.array([x[c] for x in cuts]) for c in cuts[0]},
        "steady_rho": rho_ss,
        "steady_concurrence_pairs": pair_concurrences(rho_ss),
    }
