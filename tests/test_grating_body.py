"""The lamellar grating behind the Body interface (docs/theory.md §12, §12b).

The limits f = 1 (a planar layer of the ridge material) and f = 0 (the stack
below, lowered by h) come from the planar stack kernels of docs/theory.md §9,
an independent code path; the identities (equilibrium, periodicity, mirror,
positive blocks) hold for any grating. Small orders and loose k rules keep
the file fast: the agreement reached is stated in each test.
"""

import numpy as np
import pytest

from neqent.electrodynamics import grating as grating_module
from neqent.electrodynamics.grating import Grating, add_parts
from neqent.electrodynamics.grating_kernels import contract_pairs
from neqent.electrodynamics.green import vacuum_green
from neqent.electrodynamics.planar import Stack

OMEGA = 1.0e14  # K D = 0.33 at D = 1 um: only the zeroth order propagates
PERIOD = 1.0e-6
HEIGHT = 0.3e-6
RIDGE = "eps=4+0.5j"  # lossy: M is not zero
TOL = 1e-3  # k rule of the planar limits; measured agreement ~1e-5 [Gamma0], relative for |GR| > 1
LOOSE = 1e-2  # k rule of the identity tests: they hold node by node, whatever the rule
# pairs (r1, r2) [m]: arbitrary lateral positions and heights, one over a ridge, one over a groove
R1 = np.array([[0.1e-6, 0.2e-6, 1.0e-6], [0.45e-6, 0.0, 1.2e-6], [-0.3e-6, 0.7e-6, 1.5e-6]])
R2 = np.array([[0.4e-6, -0.5e-6, 1.1e-6], [0.45e-6, 0.3e-6, 1.2e-6], [0.2e-6, 0.1e-6, 1.0e-6]])


@pytest.fixture(scope="module")
def real():
    """A real grating (f = 0.5, vacuum below, T in play) with its blocks at R1, R2."""
    body = Grating(RIDGE, PERIOD, 0.5, HEIGHT, orders=1, tol=LOOSE)
    return body, body.pair_block(OMEGA, R1, R2)


def _max_diff(a, b):
    return max(np.abs(x - y).max() for x, y in zip(a, b))


def _rel_diff(a, b):
    """Largest difference, relative where an element of ``b`` exceeds 1 (the rule's own measure)."""
    return max((np.abs(x - y) / np.maximum(1.0, np.abs(y))).max() for x, y in zip(a, b))


def test_full_fill_is_the_planar_layer():
    """f = 1: the Fourier matrices are diagonal and the body is the layer (ridge, h) over the stack below.

    Measured: agreement 2e-5 (GR zz ~ 5, relative) at tol 1e-3, orders 1.
    """
    below = Stack([("eps=2+0.1j", 0.2e-6)], None)
    body = Grating(RIDGE, PERIOD, 1.0, HEIGHT, below=below, orders=1, tol=TOL)
    got = body.pair_block(OMEGA, R1, R2)
    ref = Stack([(RIDGE, HEIGHT), ("eps=2+0.1j", 0.2e-6)], None).pair_block(OMEGA, R1, R2)
    assert _rel_diff(got, ref) < 1e-4
    assert np.abs(got[1]).max() > 0.01  # the body emits: the check is not vacuous


def test_empty_grating_over_a_substrate_is_the_substrate_lowered_by_h():
    """f = 0 (vacuum grooves): only the substrate at z = -h remains (R diagonal, T = 0)."""
    body = Grating(RIDGE, PERIOD, 0.0, HEIGHT, below="eps=3+0.3j", orders=1, tol=TOL)
    got = body.pair_block(OMEGA, R1, R2)
    lower = np.array([0.0, 0.0, HEIGHT])
    ref = Stack((), "eps=3+0.3j").pair_block(OMEGA, R1 + lower, R2 + lower)
    assert _rel_diff(got, ref) < 1e-4


def test_empty_grating_over_vacuum_is_vacuum():
    """f = 0 and vacuum below: W = Im G0 (identity on the diagonal), M = 0, GR = 0."""
    W, M, GR = Grating(RIDGE, PERIOD, 0.0, HEIGHT, orders=1, tol=LOOSE).pair_block(OMEGA, R1, R2)
    assert np.abs(M).max() < 1e-10 and np.abs(GR).max() < 1e-10
    for n in range(R1.shape[0]):
        assert np.abs(W[n, 0, 0] - np.eye(3)).max() < 1e-6
        assert np.abs(W[n, 1, 1] - np.eye(3)).max() < 1e-6
        assert np.abs(W[n, 0, 1] - vacuum_green(OMEGA, R1[n] - R2[n]).imag).max() < 1e-6


def test_equilibrium_identity(real):
    """W + M = Im(G0 + GR) component-wise, for the real grating (docs/theory.md §12b).

    Node by node W + M - Im GR is the vacuum integrand; what is left is the rule's error on
    the vacuum's Im G0 (measured 2e-7 at tol 1e-2).
    """
    _, (W, M, GR) = real
    for n in range(R1.shape[0]):
        im0 = {(0, 0): np.eye(3), (1, 1): np.eye(3)}
        im0[0, 1] = vacuum_green(OMEGA, R1[n] - R2[n]).imag
        im0[1, 0] = vacuum_green(OMEGA, R2[n] - R1[n]).imag
        for (q, qp), i0 in im0.items():
            im_g = i0 + (GR[n, q, qp] - GR[n, qp, q].conj().T) / 2j
            assert np.abs(W[n, q, qp] + M[n, q, qp] - im_g).max() < 2e-6


def test_blocks_are_positive_semidefinite(real):
    _, (W, M, _) = real
    for x in (W, M):
        blk = x.transpose(0, 1, 3, 2, 4).reshape(-1, 6, 6)
        assert np.abs(blk - blk.conj().transpose(0, 2, 1)).max() < 1e-10
        assert np.linalg.eigvalsh(blk).min() > -1e-8


def test_position_over_ridge_and_groove_differ(real):
    """The lateral position matters for a real grating (else the mirror/periodicity tests prove nothing)."""
    body, _ = real
    z = 1.0e-6
    ridge = body.pair_block(OMEGA, [0.0, 0.0, z], [0.0, 0.3e-6, z])
    groove = body.pair_block(OMEGA, [0.5e-6, 0.0, z], [0.5e-6, 0.3e-6, z])
    assert _max_diff(ridge, groove) > 1e-4


def test_periodicity_is_exact_through_the_fold(real):
    """x -> x + m D: the body's fold of a common shift equals the unfolded contraction of the same table."""
    body, base = real
    shift = np.array([3 * PERIOD, 0.0, 0.0])
    moved = body.pair_block(OMEGA, R1 + shift, R2 + shift)
    (tables, _) = next(iter(body._tables.values()))
    shares = [contract_pairs(t, R1 + shift, R2 + shift) for t in tables]
    unfolded = [add_parts([s[i] for s in shares]) for i in range(3)]
    assert _max_diff(moved, unfolded) < 1e-9
    assert _max_diff(moved, base) < 1e-9


def test_mirror_x(real):
    """x -> -x for both qubits maps every tensor by P = diag(-1, 1, 1) (ridges centred at x = 0)."""
    body, base = real
    p = np.diag([-1.0, 1.0, 1.0])
    flip = np.array([-1.0, 1.0, 1.0])
    mirrored = body.pair_block(OMEGA, R1 * flip, R2 * flip)
    for a, b in zip(base, mirrored):
        assert np.abs(p @ a @ p - b).max() < 1e-7


def test_table_is_reused_for_further_positions(real):
    """A map over positions within the table's reach costs no new FMM solve."""
    body, _ = real
    before = body.solves
    xs = np.linspace(-0.5e-6, 0.5e-6, 7)
    r1 = np.column_stack([xs, 0 * xs, np.full(7, 1.1e-6)])
    body.pair_block(OMEGA, r1, r1 + [0.0, 0.3e-6, 0.0])
    assert body.solves == before > 0
    assert body.last_orders == 1
    assert body.last_accuracy["tol"] == LOOSE and body.last_accuracy["k_points"] > 0
    body.pair_block(OMEGA, [0.0, 0.0, 0.3e-6], [0.0, 0.1e-6, 0.3e-6])  # lower: a new table
    assert body.solves > before


def test_real_grating_converges_in_rule_and_orders(real):
    """A tighter rule and more orders move the blocks of the real grating by less than the rule's tol.

    Measured: tol 1e-2 -> 1e-3 changes 8.8e-3 (the rule errs by about its tol), orders 1 -> 2
    4.5e-3 [Gamma0] (M ~ 0.3; the lamellar Fourier series converges slowly, 2 -> 3: 3.5e-3).
    """
    _, base = real
    tight = Grating(RIDGE, PERIOD, 0.5, HEIGHT, orders=1, tol=TOL).pair_block(OMEGA, R1, R2)
    more = Grating(RIDGE, PERIOD, 0.5, HEIGHT, orders=2, tol=LOOSE).pair_block(OMEGA, R1, R2)
    assert 1e-7 < _rel_diff(base, tight) < 2 * LOOSE
    assert 1e-6 < _rel_diff(base, more) < 1e-2


@pytest.mark.slow
def test_real_grating_converges_tightly():
    """tol 1e-3 -> 1e-4 changes 1.7e-4 (below the tol), orders 1 -> 2 at tol 1e-3 4.5e-3 (measured)."""
    args = (RIDGE, PERIOD, 0.5, HEIGHT)
    base = Grating(*args, orders=1, tol=TOL).pair_block(OMEGA, R1, R2)
    tight = Grating(*args, orders=1, tol=1e-4).pair_block(OMEGA, R1, R2)
    more = Grating(*args, orders=2, tol=TOL).pair_block(OMEGA, R1, R2)
    assert _rel_diff(base, tight) < TOL
    assert _rel_diff(base, more) < 1e-2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"fill": 1.5}, "fill"),
        ({"period": 0.0}, "period"),
        ({"height": -1e-7}, "height"),
        ({"orders": 61}, "orders"),
        ({"tol": 0.0}, "tol"),
    ],
)
def test_bad_input_one_line(kwargs, match):
    args = {"ridge": RIDGE, "period": PERIOD, "fill": 0.5, "height": HEIGHT, **kwargs}
    with pytest.raises(ValueError, match=match) as err:
        Grating(**args)
    assert "\n" not in str(err.value)


def test_orders_beyond_cap_and_memory_are_refused(monkeypatch):
    body = Grating(RIDGE, 1e-3, 0.5, HEIGHT, tol=LOOSE)  # a 1 mm period at 1 um: far beyond the cap
    with pytest.raises(ValueError, match="cap 60"):
        body.pair_block(OMEGA, [0, 0, 1e-6], [0, 1e-7, 1e-6])
    monkeypatch.setattr(grating_module, "MEMORY_BUDGET", 1e5)
    with pytest.raises(ValueError, match="memory budget"):
        Grating(RIDGE, PERIOD, 0.5, HEIGHT, orders=1, tol=LOOSE).pair_block(OMEGA, R1, R2)


def test_parameters_and_describe():
    body = Grating("sic", PERIOD, 0.5, HEIGHT, below="eps=2")
    assert body.parameters == {"period": PERIOD, "fill": 0.5, "height": HEIGHT, "ridge": "sic"}
    wider = body.with_parameter("fill", 0.7)
    assert wider.fill == 0.7 and wider.below == body.below and wider != body
    assert body.with_parameter("fill", 0.5) == body
    d = body.describe()
    assert d["kind"] == "grating" and d["below"]["substrate"] == "eps=2" and d["grooves"] == "vacuum"
    with pytest.raises(ValueError, match="radius"):
        body.with_parameter("radius", 1e-6)
    with pytest.raises(ValueError, match="z > 0"):
        body.pair_block(OMEGA, [0, 0, 0.0], [0, 0, 1e-6])


def test_table_keeps_only_the_orders_that_reach_the_qubits():
    """Dropping the outer rows and columns of R, T (the FMM still solves with all orders) picks the
    central block: the same rule with the full operators agrees (measured: exactly, the dropped
    orders weigh e^-150 at z = 4 um; a block shifted by one order would be off by O(1))."""
    from neqent.electrodynamics.fmm import grating_rt
    from neqent.electrodynamics.grating_quadrature import tabulate

    z = 4e-6  # the table keeps orders -2..2 of the FMM's -3..3 here
    r1, r2 = np.array([[0.1e-6, 0.0, z]]), np.array([[0.35e-6, 0.2e-6, z]])
    body = Grating(RIDGE, PERIOD, 0.5, HEIGHT, orders=3, tol=LOOSE)
    got = body.pair_block(OMEGA, r1, r2)
    assert body.last_accuracy["table_orders"] == 2

    def full(kx, ky):
        return grating_rt(OMEGA, body.shape, kx, ky, 3)

    z_b, lat_b = grating_module._bucket(z, up=False), grating_module._bucket(0.32e-6, up=True)
    table = tabulate(OMEGA, PERIOD, 3, full, z_b, tol=LOOSE, lateral=lat_b, mirror_y=True)
    ref = contract_pairs(table, r1, r2)
    assert _rel_diff(got, ref) < 1e-6
    assert np.abs(got[1]).max() > 1e-3


# ---------------------------------------------------------------------------
# Parts, threads and ranks: the same bits however the k points are spread

_MPI_SCRIPT = """
import sys
import numpy as np
from mpi4py import MPI
from neqent.electrodynamics.grating import Grating, rank_map
r1 = np.array({r1}); r2 = np.array({r2})
body = Grating("{ridge}", {period}, 0.5, {height}, orders=1, tol={tol}, workers=1)
n = body.part_count({omega}, r1, r2)
W, M, GR = body.part_blocks({omega}, r1, r2, range(n), kmap=rank_map(MPI.COMM_WORLD))
if MPI.COMM_WORLD.rank == 0:
    np.save(sys.argv[1], np.stack([W, M, GR]))
"""


def _fresh(workers=1):
    return Grating(RIDGE, PERIOD, 0.5, HEIGHT, orders=1, tol=LOOSE, workers=workers)


def test_parts_on_any_shard_layout_add_up_to_the_same_bits(real):
    """Parts built on three 'shards' (each its own body and rule) add up to pair_block bit for bit."""
    _, base = real
    n = _fresh().part_count(OMEGA, R1, R2)
    assert n >= 3  # otherwise the split below proves nothing
    shares = [np.empty((n,) + base[0].shape, complex) for _ in range(3)]
    for shard in range(3):
        mine = list(range(shard, n, 3))
        for acc, part in zip(shares, _fresh().part_blocks(OMEGA, R1, R2, mine)):
            acc[mine] = part
    for got, want in zip(shares, base):
        assert np.array_equal(add_parts(got), want)
    # and the parts are not all alike (the check above would pass for a constant)
    assert np.abs(shares[1][0] - shares[1][1]).max() > 1e-6


def test_threads_give_the_same_bits(real):
    _, base = real
    for got, want in zip(_fresh(workers=2).pair_block(OMEGA, R1, R2), base):
        assert np.array_equal(got, want)


def test_mpi_ranks_give_the_same_bits(real, tmp_path):
    """rank_map under mpiexec -n 2: each rank solves half of every batch, the result is the serial one."""
    import shutil
    import subprocess
    import sys

    if shutil.which("mpiexec") is None:
        pytest.skip("mpiexec not on PATH")
    _, base = real
    script = tmp_path / "ranks.py"
    script.write_text(
        _MPI_SCRIPT.format(
            r1=R1.tolist(), r2=R2.tolist(), ridge=RIDGE, period=PERIOD, height=HEIGHT, tol=LOOSE, omega=OMEGA
        )
    )
    out = tmp_path / "ranks.npy"
    subprocess.run(["mpiexec", "-n", "2", sys.executable, str(script), str(out)], check=True, timeout=600)
    got = np.load(out)
    for share, want in zip(got, base):
        assert np.array_equal(add_parts(share), want)


def test_bad_parts_and_workers_are_refused():
    body = _fresh()
    n = body.part_count(OMEGA, R1, R2)
    with pytest.raises(ValueError, match="parts"):
        body.part_blocks(OMEGA, R1, R2, [n])
    with pytest.raises(ValueError, match="workers"):
        Grating(RIDGE, PERIOD, 0.5, HEIGHT, workers=0)
