"""Entanglement measures (docs/theory.md §7)."""

import numpy as np
import pytest

from neqent.dynamics.entanglement import concurrence, concurrence_x, log_negativity, partial_transpose

r2 = 1 / np.sqrt(2)
# decoupled basis |gg>, |eg>, |ge>, |ee>
BELL = {
    "A": [0, r2, -r2, 0],
    "S": [0, r2, r2, 0],
    "phi+": [r2, 0, 0, r2],
    "phi-(complex)": [r2, 0, 0, 1j * r2],
}


def pure(v):
    v = np.asarray(v, complex)
    return np.outer(v, v.conj())


def random_state(rng, size=(), rank=4):
    a = rng.normal(size=size + (4, rank)) + 1j * rng.normal(size=size + (4, rank))
    r = a @ np.conj(np.swapaxes(a, -1, -2))
    return r / np.trace(r, axis1=-2, axis2=-1)[..., None, None]


def random_x_state(rng, size):
    """Random X states: positive iff |rho_23|^2 <= p2 p3 and |rho_14|^2 <= p1 p4."""
    p = rng.dirichlet(np.ones(4), size)
    rho = np.zeros(size + (4, 4), complex)
    for i in range(4):
        rho[..., i, i] = p[..., i]
    ph = np.exp(2j * np.pi * rng.uniform(size=size + (2,)))
    u = rng.uniform(size=size + (2,))
    c23 = u[..., 0] * np.sqrt(p[..., 1] * p[..., 2]) * ph[..., 0]
    c14 = u[..., 1] * np.sqrt(p[..., 0] * p[..., 3]) * ph[..., 1]
    rho[..., 1, 2], rho[..., 2, 1] = c23, np.conj(c23)
    rho[..., 0, 3], rho[..., 3, 0] = c14, np.conj(c14)
    return rho


@pytest.mark.parametrize("name", list(BELL))
def test_bell_states_are_maximally_entangled(name):
    rho = pure(BELL[name])
    assert concurrence(rho) == pytest.approx(1.0, abs=1e-14)
    assert log_negativity(rho) == pytest.approx(1.0, abs=1e-14)
    assert concurrence_x(rho) == pytest.approx(1.0, abs=1e-14)


def test_product_and_mixed_states():
    _g, _e = np.array([1, 0]), np.array([0, 1])
    # product of two arbitrary qubit states: index a + 2b = kron(qubit2, qubit1)
    q1, q2 = np.array([0.6, 0.8j]), np.array([r2, -r2])
    prod = pure(np.kron(q2, q1))
    assert concurrence(prod) < 1e-15 and abs(log_negativity(prod)) < 1e-14
    assert concurrence(np.eye(4) / 4) == 0.0 and log_negativity(np.eye(4) / 4) == pytest.approx(0, abs=1e-15)
    # Werner state p|S><S| + (1-p) I/4: C = max(0, (3p-1)/2), E_N = log2((1+3p)/2) for p > 1/3
    for p in (0.2, 1 / 3, 0.5, 0.9):
        w = p * pure(BELL["S"]) + (1 - p) * np.eye(4) / 4
        assert concurrence(w) == pytest.approx(max(0, (3 * p - 1) / 2), abs=1e-13)
        assert log_negativity(w) == pytest.approx(max(0, np.log2((1 + 3 * p) / 2)), abs=1e-13)


def test_pure_state_concurrence_is_2_det():
    # for a pure state sum c_ab |a b>, C = 2 |c_gg c_ee - c_eg c_ge|
    rng = np.random.default_rng(1)
    v = rng.normal(size=(50, 4)) + 1j * rng.normal(size=(50, 4))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    rho = np.einsum("ni,nj->nij", v, v.conj())
    expected = 2 * np.abs(v[:, 0] * v[:, 3] - v[:, 1] * v[:, 2])
    np.testing.assert_allclose(concurrence(rho), expected, atol=1e-13)
    # and E_N = log2((sum of Schmidt coefficients)^2) = log2(1 + C) for pure states
    np.testing.assert_allclose(log_negativity(rho), np.log2(1 + expected), atol=1e-12)


def test_x_formula_equals_wootters_on_random_x_states():
    rng = np.random.default_rng(2)
    rho = random_x_state(rng, (2000,))
    cx, cw = concurrence_x(rho), concurrence(rho)
    np.testing.assert_allclose(cx, cw, atol=1e-12)
    assert np.count_nonzero(cw > 0.05) > 100 and np.count_nonzero(cw == 0) > 100
    # both K1- and K2-type entanglement occur
    k1 = np.abs(rho[:, 1, 2]) - np.sqrt(rho[:, 0, 0].real * rho[:, 3, 3].real)
    k2 = np.abs(rho[:, 0, 3]) - np.sqrt(rho[:, 1, 1].real * rho[:, 2, 2].real)
    assert np.any(k1 > 0.05) and np.any(k2 > 0.05)


def test_concurrence_invariant_under_local_unitaries_and_batched():
    rng = np.random.default_rng(3)
    rho = random_state(rng, (3, 5), rank=2)
    c = concurrence(rho)
    assert c.shape == (3, 5) and np.any(c > 0.01)

    def haar2(rng):
        q, r = np.linalg.qr(rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2)))
        return q * (np.diag(r) / np.abs(np.diag(r)))

    U = np.kron(haar2(rng), haar2(rng))
    rot = U @ rho @ U.conj().T
    np.testing.assert_allclose(concurrence(rot), c, atol=1e-10)
    np.testing.assert_allclose(log_negativity(rot), log_negativity(rho), atol=1e-12)
    # PPT criterion for two qubits: E_N > 0 exactly when C > 0
    np.testing.assert_array_equal(log_negativity(rho) > 1e-12, c > 1e-12)


def test_partial_transpose_acts_on_one_qubit():
    # |phi+><phi+|^{T2} = swap / 2 (eigenvalue -1/2 on the singlet)
    pt = partial_transpose(pure(BELL["phi+"]))
    swap = np.eye(4)[[0, 2, 1, 3]]
    np.testing.assert_allclose(pt, swap / 2, atol=1e-16)


def test_nan_states_propagate_and_bad_input_raises():
    rho = np.stack([np.full((4, 4), np.nan), pure(BELL["A"])])
    c = concurrence(rho)
    assert np.isnan(c[0]) and c[1] == pytest.approx(1)
    assert np.isnan(log_negativity(rho)[0]) and np.isnan(concurrence_x(rho)[0])
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 4, 4\)"):
        concurrence(np.eye(3))
    with pytest.raises(ValueError, match="Hermitian"):
        concurrence(np.triu(np.ones((4, 4))) / 4)
    with pytest.raises(ValueError, match="positive semidefinite"):
        concurrence(np.diag([0.6, 0.6, -0.2, 0.0]))
    with pytest.raises(ValueError, match="shape"):
        log_negativity(np.zeros((4, 2)))
