"""N-qubit path (docs/theory.md §10): rates, Liouvillian blocks, steady state, evolution, entanglement."""

from __future__ import annotations

import numpy as np
import pytest

from neqent.dynamics import many_body as mb
from neqent.dynamics import master
from neqent.dynamics.entanglement import concurrence
from neqent.dynamics.many_entanglement import (
    bipartite_log_negativity,
    log_negativities,
    pair_concurrences,
    reduced_pair,
)
from neqent.dynamics.many_rates import ManyGeometry, compute_many_kernels, many_rates
from neqent.dynamics.rates import occupation

W = 0.3 * 1.495e14  # rad/s, 0.3 w_T of SiC


def random_rates(n, seed, lam_scale=1.0):
    """Random physical rate matrices: Hermitian positive semidefinite Gamma(+-w), Hermitian Lambda."""
    rng = np.random.default_rng(seed)

    def psd(scale):
        x = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
        return scale * x @ x.conj().T / n

    lam = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    lam = lam_scale * (lam + lam.conj().T)
    np.fill_diagonal(lam, 0)
    return psd(1.0), psd(0.3), lam


def qutip_ops(gp, gm, lam):
    """H and collapse operators of the same master equation in QuTiP (qubit 1 = last tensor factor)."""
    qutip = pytest.importorskip("qutip")
    n = gp.shape[0]

    def sigma(q):
        ops = [qutip.qeye(2)] * n
        ops[n - 1 - q] = qutip.destroy(2)  # |g><e| with g = 0, e = 1
        return qutip.tensor(ops)

    s = [sigma(q) for q in range(n)]
    H = sum(lam[q, p] * s[q].dag() * s[p] for q in range(n) for p in range(n) if q != p)
    c_ops = []
    for rate, jump in ((gp, s), (gm, [x.dag() for x in s])):
        w, U = np.linalg.eigh(rate)
        for k in range(n):
            if w[k] > 1e-14:
                c_ops.append(np.sqrt(w[k]) * sum(np.conj(U[q, k]) * jump[q] for q in range(n)))
    return qutip, H, c_ops


def to_qutip_order(rho, n):
    """Our basis (qubit 1 least significant) is QuTiP's tensor order with qubit 1 last: identical."""
    return rho


# ---------------------------------------------------------------------------
# Liouvillian construction
# ---------------------------------------------------------------------------


def test_full_liouvillian_equals_two_qubit_liouvillian():
    gp, gm, lam = random_rates(2, 1)
    L = mb.liouvillian_full(gp, gm, lam).toarray()
    assert np.max(np.abs(L - master.liouvillian(gp, gm, lam[0, 1]))) < 1e-14


def test_matrix_free_block_equals_sparse_block():
    gp, gm, lam = random_rates(4, 2)
    system = mb._SectorSystem(4, gp, gm, lam)
    L0 = mb.liouvillian_block(gp, gm, lam, 0)
    x = np.random.default_rng(0).normal(size=system.size) + 1j
    diff = system.matvec(x) - L0 @ x
    assert np.max(np.abs(diff[1:])) < 1e-12  # row 0 is the trace row
    assert np.isclose(
        diff[0] + (L0 @ x)[0], system.scale * np.sum(x[mb.block_indices(4, 0)[0] == mb.block_indices(4, 0)[1]])
    )


def test_blocks_conserve_excitation_difference():
    gp, gm, lam = random_rates(3, 3)
    L = mb.liouvillian_full(gp, gm, lam).toarray()
    _, _, pop = mb._sectors(3)
    dim = 8
    k = (pop[:, None] - pop[None, :]).reshape(dim * dim)
    assert np.all(L[k[:, None] != k[None, :]] == 0)


# ---------------------------------------------------------------------------
# Steady state
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_qubits_equal_the_two_qubit_solver(seed):
    gp, gm, lam = random_rates(2, seed)
    rho = mb.steady_state_n(gp, gm, lam)
    assert np.max(np.abs(rho - master.steady_state(gp, gm, lam[0, 1]))) < 1e-12


def test_paper_geometry_through_point_n_equals_point():
    from neqent.interface import api, many

    a = many.point_n([(0, 0, 1e-6), (0.25e-6, 0, 1e-6)], TM=1200)
    b = api.point(TM=1200)
    assert np.max(np.abs(a["rho"] - b["rho"])) < 1e-12
    assert abs(a["concurrence"] - b["concurrence"]) < 1e-12
    assert a["concurrence"] > 0.1


@pytest.mark.parametrize("n", [3, 4])
def test_steady_state_agrees_with_qutip(n):
    gp, gm, lam = random_rates(n, 10 + n)
    qutip, H, c_ops = qutip_ops(gp, gm, lam)
    ref = qutip.steadystate(H, c_ops).full()
    rho = mb.steady_state_n(gp, gm, lam)
    assert np.max(np.abs(rho - to_qutip_order(ref, n))) < 1e-10


@pytest.mark.parametrize("n", [3, 4])
def test_evolution_agrees_with_mesolve(n):
    gp, gm, lam = random_rates(n, 20 + n, lam_scale=0.5)
    qutip, H, c_ops = qutip_ops(gp, gm, lam)
    rho0 = mb.initial_state_n("A", n)
    t = np.array([0.0, 0.1, 0.7, 3.0])
    dims = [[2] * n, [2] * n]
    res = qutip.mesolve(H, qutip.Qobj(rho0, dims=dims), t, c_ops, options={"atol": 1e-12, "rtol": 1e-10})
    ref = np.array([s.full() for s in res.states])
    rho = mb.evolve_n(gp, gm, lam, rho0, t)
    assert np.max(np.abs(rho - ref)) < 1e-8
    # and long times reach the steady state
    late = mb.evolve_n(gp, gm, lam, rho0, [1e4])[0]
    assert np.max(np.abs(late - mb.steady_state_n(gp, gm, lam))) < 1e-10


def test_degenerate_steady_state_is_reported():
    g = np.ones((3, 3))  # rank one: two dark combinations of the qubits
    with pytest.raises(mb.DegenerateManySteadyStateError, match="not unique"):
        mb.steady_state_n(g, 0.1 * g, np.zeros((3, 3)))
    gp, gm, lam = random_rates(3, 4)
    _, rcond = mb.steady_state_n(gp, gm, lam, return_rcond=True)
    assert rcond > 1e-6


def test_uncoupled_qubits_give_the_product_state():
    gp, gm, lam = random_rates(4, 5)
    gp, gm = np.diag(np.diag(gp).real), np.diag(np.diag(gm).real)
    rho = mb.steady_state_n(gp, gm, np.zeros((4, 4)))
    p_e = np.diag(gm).real / np.diag(gp + gm).real
    product = np.array([[1.0]])
    for q in range(4):  # qubit 1 is the least significant: it is the last Kronecker factor
        product = np.kron(np.diag([1 - p_e[q], p_e[q]]), product)
    assert np.max(np.abs(rho - product)) < 1e-13


# ---------------------------------------------------------------------------
# Physics of the N-qubit rates
# ---------------------------------------------------------------------------


def _chain(n, spacing, z=1e-6):
    return [(q * spacing, 0.0, z) for q in range(n)]


def test_relabelling_permutes_rates_and_state():
    pos = np.array([(0.0, 0.0, 1.0e-6), (0.3e-6, 0.1e-6, 1.2e-6), (-0.2e-6, 0.35e-6, 0.9e-6)])
    dip = np.array([(0, 0, 1), (1, 0, 0), (1, 1j, 0)], complex)
    perm = [2, 0, 1]
    results = []
    for order in (np.arange(3), np.array(perm)):
        k = compute_many_kernels(ManyGeometry(positions=pos[order], dipoles=dip[order]), W)
        gp, gm = many_rates(k, occupation(W, 30.0), occupation(W, 900.0))
        results.append((gp, gm, k.Lambda, mb.steady_state_n(gp, gm, k.Lambda)))
    (gp, gm, lam, rho), (gp2, gm2, lam2, rho2) = results
    p = np.array(perm)
    for a, b in ((gp, gp2), (gm, gm2), (lam, lam2)):
        assert np.max(np.abs(a[np.ix_(p, p)] - b)) < 1e-12
    # new qubit j is old qubit perm[j]: new basis state b has old index sum_j e_j 2^perm[j]
    idx = np.array([sum(((b >> j) & 1) << perm[j] for j in range(3)) for b in range(8)])
    assert np.max(np.abs(rho[np.ix_(idx, idx)] - rho2)) < 1e-10
    c, c2 = pair_concurrences(rho), pair_concurrences(rho2)
    for a in range(3):
        for b in range(a + 1, 3):
            old = sorted((perm[a], perm[b]))
            assert abs(c2[f"{a + 1}-{b + 1}"] - c[f"{old[0] + 1}-{old[1] + 1}"]) < 1e-9


def test_equal_temperatures_give_the_thermal_product_state():
    k = compute_many_kernels(ManyGeometry(positions=_chain(3, 0.25e-6)), W)
    n = occupation(W, 700.0)
    gp, gm = many_rates(k, n, n)
    rho = mb.steady_state_n(gp, gm, k.Lambda)
    assert np.max(np.abs(rho - mb.thermal_product_state(3, n))) < 1e-10
    assert max(pair_concurrences(rho).values()) == 0
    assert max(log_negativities(rho).values()) < 1e-10


def test_far_apart_chain_reduces_to_independent_qubits():
    n_W, n_M = occupation(W, 30.0), occupation(W, 1200.0)
    k = compute_many_kernels(ManyGeometry(positions=_chain(4, 0.03)), W)  # 3 cm: K s >= 4.5e3
    gp, gm = many_rates(k, n_W, n_M)
    off = ~np.eye(4, dtype=bool)
    assert np.max(np.abs(gp[off])) < 1e-3 * np.min(np.abs(np.diag(gp)))
    rho = mb.steady_state_n(gp, gm, k.Lambda)
    one = compute_many_kernels(ManyGeometry(positions=_chain(2, 0.03)), W)
    g1p, g1m = many_rates(one, n_W, n_M)
    p_e = (g1m[0, 0] / (g1p[0, 0] + g1m[0, 0])).real
    single = np.diag([1 - p_e, p_e])
    product = single
    for _ in range(3):
        product = np.kron(single, product)
    assert np.max(np.abs(rho - product)) < 1e-3
    assert max(pair_concurrences(rho).values()) == 0


# ---------------------------------------------------------------------------
# Entanglement measures
# ---------------------------------------------------------------------------


def test_reduced_pair_and_cuts_of_a_bell_pair_inside_three_qubits():
    # (|g g g> + |e g e>)/sqrt2 on qubits 1 and 3 (basis index 0 and 1 + 4), qubit 2 in g
    v = np.zeros(8, complex)
    v[0] = v[5] = 1 / np.sqrt(2)
    rho = np.outer(v, v.conj())
    r13 = reduced_pair(rho, 0, 2)
    bell = np.zeros(4, complex)
    bell[0] = bell[3] = 1 / np.sqrt(2)
    assert np.allclose(r13, np.outer(bell, bell))
    c = pair_concurrences(rho)
    assert c["1-3"] == pytest.approx(1.0) and c["1-2"] == 0 and c["2-3"] == 0
    assert bipartite_log_negativity(rho, [0]) == pytest.approx(1.0)
    assert bipartite_log_negativity(rho, [1]) == pytest.approx(0.0, abs=1e-12)
    assert set(log_negativities(rho)) == {"1|rest", "2|rest", "3|rest", "1|2-3"}


def test_pair_concurrence_of_two_qubits_is_the_wootters_concurrence():
    gp, gm, lam = random_rates(2, 7)
    rho = mb.steady_state_n(gp, gm, lam)
    assert pair_concurrences(rho)["1-2"] == pytest.approx(float(concurrence(rho)), abs=1e-14)
    assert np.allclose(reduced_pair(rho, 0, 1), rho)


# ---------------------------------------------------------------------------
# Interfaces
# ---------------------------------------------------------------------------


def test_geometry_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 2"):
        ManyGeometry(positions=[(0, 0, 1e-6)])
    with pytest.raises(ValueError, match="inside the body"):
        ManyGeometry(positions=[(0, 0, 1e-6), (1e-6, 0, 0.0)])
    with pytest.raises(ValueError, match="same point"):
        ManyGeometry(positions=[(0, 0, 1e-6), (0, 0, 1e-6)])
    with pytest.raises(ValueError, match="at most 10"):
        ManyGeometry(positions=_chain(11, 1e-6))


def _cli(capsys, *args):
    from neqent.interface.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--qubit", "0,0,1um"], "at least 2 qubits"),
        (["--qubit", "0,0,1um", "--qubit", "0,0,1um"], "same point"),
        (["--qubit", "0,0,1um", "--qubit", "1um,0,-2um"], "inside the body"),
        (["--qubit", "0,0,1um", "--qubit", "1um,0,0"], "inside the body"),
        (
            [
                "--qubit",
                "0,0,1um",
                "--qubit",
                "1um,0,1um",
                "--qubit",
                "2um,0,1um",
                "--dipole",
                "0,0,1",
                "--dipole",
                "1,0,0",
            ],
            "one per qubit (3), got 2",
        ),
        ([a for q in range(11) for a in ("--qubit", f"{q}um,0,1um")], "at most 10 qubits"),
        (["--qubit", "0,0,1um", "--qubit", "1um,0,1um", "--r12", "1um"], "--qubit and --r12 are mutually exclusive"),
        (["--qubit", "0,0,1um", "--qubit", "1um,0,1um", "--dipole1", "1,0,0"], "mutually exclusive"),
        (["--dipole", "1,0,0"], "needs --qubit"),
    ],
)
def test_cli_bad_input_one_line_exit_2(capsys, args, needle):
    code, out, err = _cli(capsys, "point", *args)
    assert code == 2 and out == ""
    assert needle in err and err.count("\n") == 1 and err.startswith("neqent: error: --")


def test_cli_point_json_three_qubits(capsys):
    import json

    code, out, _ = _cli(
        capsys,
        "point",
        "--qubit",
        "0,0,1um",
        "--qubit",
        "250nm,0,1um",
        "--qubit",
        "500nm,0,1um",
        "--TM",
        "1200K",
        "--json",
    )
    assert code == 0
    r = json.loads(out)
    assert r["n_qubits"] == 3
    rho = np.array(r["rho"])
    assert rho.shape == (8, 8, 2)
    assert np.allclose(np.array(r["populations"]), np.diagonal(rho[..., 0]))
    assert set(r["concurrence_pairs"]) == {"1-2", "1-3", "2-3"}
    assert set(r["log_negativity"]) == {"1|rest", "2|rest", "3|rest", "1|2-3"}
    for key in ("Gamma_plus", "Gamma_minus", "Lambda"):
        assert np.array(r[key]).shape == (3, 3, 2)
    # end qubits of a symmetric chain are equivalent
    assert r["concurrence_pairs"]["1-2"] == pytest.approx(r["concurrence_pairs"]["2-3"], abs=1e-10)


def test_cli_evolve_three_qubits(capsys):
    import json

    code, out, _ = _cli(
        capsys,
        "evolve",
        "--qubit",
        "0,0,1um",
        "--qubit",
        "250nm,0,1um",
        "--qubit",
        "500nm,0,1um",
        "--num",
        "3",
        "--json",
    )
    assert code == 0
    r = json.loads(out)
    assert len(r["t"]) == 3 and np.array(r["rho"]).shape == (3, 8, 8, 2)
    assert r["concurrence_pairs"]["1-2"][0] > 0.5  # |A> of qubits 1, 2 at t = 0.01


@pytest.mark.parametrize("n", [2, 4, 5])
def test_matrix_free_solver_equals_dense_solver(monkeypatch, n):
    """The GMRES path (used for N >= 7) against the dense LU path on the same rates."""
    from neqent.dynamics.many_rates import ManyGeometry, compute_many_kernels

    k = compute_many_kernels(ManyGeometry(positions=[(q * 0.25e-6, 0.0, 1e-6) for q in range(n)]), W)
    gp, gm = many_rates(k, occupation(W, 30.0), occupation(W, 600.0))  # stiff: slowest decay ~1e-6
    dense = mb.steady_state_n(gp, gm, k.Lambda)
    monkeypatch.setattr(mb, "DENSE_MAX_DIM", 0)
    free, rcond = mb.steady_state_n(gp, gm, k.Lambda, return_rcond=True)
    assert np.max(np.abs(free - dense)) < 1e-10
    assert rcond > 1e-9
    with pytest.raises(mb.DegenerateManySteadyStateError):
        g = np.ones((n, n))
        mb.steady_state_n(g, 0.1 * g, np.zeros((n, n)))


def test_api_reports_a_non_unique_steady_state_as_input_error():
    from neqent.interface import many
    from neqent.interface.units import InputError

    g = np.ones((3, 3))
    with pytest.raises(InputError, match="not unique") as exc:
        many._steady(g, 0.1 * g, np.zeros((3, 3)))
    assert exc.value.param == "geometry"


def test_two_qubit_evolution_equals_the_two_qubit_evolve():
    gp, gm, lam = random_rates(2, 8, lam_scale=0.3)
    rho0 = master.initial_state("A")
    t = np.geomspace(1e-2, 1e3, 7)
    ours = mb.evolve_n(gp, gm, lam, mb.initial_state_n("A", 2), t)
    assert np.max(np.abs(ours - master.evolve(gp, gm, lam[0, 1], rho0, t))) < 1e-10


def test_qubits_above_a_stack_are_the_two_qubit_stack_path_bit_for_bit(capsys):
    """The N-qubit path asks the same body (docs/theory.md §9, §10): for N = 2 its kernels are the
    two-qubit ones over the same stack; on the command line --qubit takes --layer/--substrate
    (before, it silently computed the default SiC slab)."""
    import json

    from neqent.interface import api, many
    from neqent.interface.cli import main

    stack = {"layers": [("sic", 10e-9), ("eps=2.25+0.01j", 50e-9)], "substrate": "gold"}
    two = api.point(**stack)
    n = many.point_n([(0, 0, 1e-6), (0.25e-6, 0, 1e-6)], **stack)
    for key in ("alpha_W", "alpha_M"):
        assert n[key][0, 0] == two[key]["11"] and n[key][0, 1] == two[key]["12"]
    assert n["Lambda"][0, 1] == two["Lambda12"]
    assert n["input"]["layers"] == [["sic", 10e-9], ["eps=2.25+0.01j", 50e-9]] and n["input"]["substrate"] == "gold"
    argv = ["point", "--qubit", "0,0,1um", "--qubit", "250nm,0,1um", "--layer", "sic:10nm", "--substrate", "gold"]
    assert main([*argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["input"]["substrate"] == "gold" and out["input"]["layers"] == [["sic", 1e-08]]
    slab = many.point_n([(0, 0, 1e-6), (0.25e-6, 0, 1e-6)])
    assert out["alpha_M"][0][1] != [slab["alpha_M"][0, 1].real, slab["alpha_M"][0, 1].imag]
