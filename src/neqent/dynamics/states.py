"""Initial and thermal states of two qubits, and the checks of a density matrix (docs/theory.md §6).

Moved from :mod:`neqent.dynamics.master`.
"""

from __future__ import annotations

import numpy as np

from neqent.dynamics.liouvillian import STATE_ATOL, coupled_basis

# ---------------------------------------------------------------------------
# Initial states
# ---------------------------------------------------------------------------

__all__ = ["slowest_relaxation_rate", "thermal_state", "validate_density_matrix", "initial_state"]


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
