"""Entanglement of N-qubit states: pairwise concurrence and bipartite log negativity (docs/theory.md §7, §10).

States are (2^N, 2^N) density matrices in the basis of §10 (qubit 1 the
least significant bit). Qubit labels in the results are 1-based, as in
docs/theory.md: pairs ``"1-2"``, cuts ``"1|rest"`` (one qubit versus the
others) and ``"1-2|3-4"`` (the first floor(N/2) qubits versus the rest).
"""

from __future__ import annotations

import numpy as np

from neqent.dynamics.entanglement import concurrence

__all__ = ["n_qubits_of", "reduced_pair", "pair_concurrences", "bipartite_log_negativity", "log_negativities"]


def n_qubits_of(rho):
    """Number of qubits of a (2^N, 2^N) matrix.

    Parameters
    ----------
    rho : array_like, shape (2^N, 2^N)
        Density matrix [1].

    Returns
    -------
    int
        N [1]; ValueError for any other shape.
    """
    r = np.asarray(rho)
    n = int(round(np.log2(r.shape[-1]))) if r.ndim == 2 and r.shape[0] == r.shape[1] and r.shape[0] > 1 else -1
    if n < 1 or 2**n != r.shape[0]:
        raise ValueError(f"rho must be a (2^N, 2^N) matrix, got shape {r.shape}")
    return n


def _tensor(rho, n):
    """rho as a 2N-index tensor [ket qubits N..1, bra qubits N..1] (axis of qubit q: n - 1 - q)."""
    return np.asarray(rho, complex).reshape((2,) * (2 * n))


def reduced_pair(rho, a, b):
    """Reduced state of two qubits (two-qubit basis of §6, index e_a + 2 e_b).

    Parameters
    ----------
    rho : array_like, shape (2^N, 2^N), complex
        N-qubit density matrix [1].
    a, b : int
        0-based indices of the two qubits, a != b.

    Returns
    -------
    ndarray, shape (4, 4), complex
        The reduced density matrix [1].
    """
    n = n_qubits_of(rho)
    if not (0 <= a < n and 0 <= b < n and a != b):
        raise ValueError(f"qubits must be two different indices in 0..{n - 1}, got {a}, {b}")
    t = _tensor(rho, n)
    letters = "abcdefghijklmnopqrstuvwxyz"
    ket = list(letters[:n])
    bra = list(letters[n : 2 * n])
    for q in range(n):
        if q not in (a, b):
            bra[n - 1 - q] = ket[n - 1 - q]  # trace out q
    out = ket[n - 1 - b] + ket[n - 1 - a] + bra[n - 1 - b] + bra[n - 1 - a]
    return np.einsum("".join(ket + bra) + "->" + out, t).reshape(4, 4)


def pair_concurrences(rho):
    """Wootters concurrence of every pair's reduced state.

    Parameters
    ----------
    rho : array_like, shape (2^N, 2^N), complex
        N-qubit density matrix [1].

    Returns
    -------
    dict of str to float
        ``{"1-2": C, ...}`` (1-based labels), concurrences [1] in [0, 1].
    """
    n = n_qubits_of(rho)
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    states = np.array([reduced_pair(rho, a, b) for a, b in pairs])
    values = np.atleast_1d(concurrence(states))
    return {f"{a + 1}-{b + 1}": float(c) for (a, b), c in zip(pairs, values)}


def bipartite_log_negativity(rho, part):
    """Log negativity E_N = log2 ``|| rho^{T_B} ||_1`` of a cut.

    Parameters
    ----------
    rho : array_like, shape (2^N, 2^N), complex
        N-qubit density matrix [1].
    part : iterable of int
        0-based qubits of part B (1 to N - 1 of them) versus the rest.

    Returns
    -------
    float
        E_N [1] (base 2), >= 0 for a physical state.
    """
    n = n_qubits_of(rho)
    part = sorted(set(int(q) for q in part))
    if not part or len(part) >= n or part[0] < 0 or part[-1] >= n:
        raise ValueError(f"a cut needs between 1 and {n - 1} qubits out of 0..{n - 1}, got {part}")
    t = _tensor(rho, n)
    axes = list(range(2 * n))
    for q in part:  # transpose qubit q: swap its ket and bra axes
        axes[n - 1 - q], axes[2 * n - 1 - q] = axes[2 * n - 1 - q], axes[n - 1 - q]
    pt = t.transpose(axes).reshape(2**n, 2**n)
    ev = np.linalg.eigvalsh(0.5 * (pt + pt.conj().T))
    return float(np.log2(np.sum(np.abs(ev))))


def log_negativities(rho):
    """Log negativity of every one-qubit cut and of the half/half cut.

    Parameters
    ----------
    rho : array_like, shape (2^N, 2^N), complex
        N-qubit density matrix [1].

    Returns
    -------
    dict of str to float
        ``{"1|rest": E_N, ..., "1-2|3-4": E_N}`` [1] (base 2).
    """
    n = n_qubits_of(rho)
    out = {f"{q + 1}|rest": bipartite_log_negativity(rho, [q]) for q in range(n)}
    half = list(range(n // 2))
    label = "-".join(str(q + 1) for q in half) + "|" + "-".join(str(q + 1) for q in range(n // 2, n))
    out[label] = bipartite_log_negativity(rho, half)
    return out
