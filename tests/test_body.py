"""The one body interface (src/neqent/electrodynamics/body.py) for the planar bodies (docs/theory.md §3, §9).

A Body takes absolute positions; a planar one must reduce them to heights and the
lateral separation r_1 - r_2 and return exactly what the planar kernels return.
"""

import numpy as np
import pytest

from neqent.electrodynamics.body import Body
from neqent.electrodynamics.kernels import pair_block_batch, stack_block_batch
from neqent.electrodynamics.planar import Slab, Stack

OMEGA = 0.3 * 1.495e14  # rad/s, the paper's omega for SiC
R1 = np.array([[0.0, 0.0, 1e-6], [0.1e-6, 0.0, 0.5e-6], [3e-6, -2e-6, 0.2e-6]])
R2 = np.array([[0.25e-6, 0.0, 1e-6], [0.0, 0.3e-6, 0.7e-6], [3.1e-6, -2.2e-6, 0.3e-6]])


def _separation():
    return R1[:, 2], R2[:, 2], R1[:, 0] - R2[:, 0], R1[:, 1] - R2[:, 1]


def test_slab_is_the_planar_kernel_with_dx_dy_equal_r1_minus_r2():
    slab = Slab("sic", 10e-9)
    got = slab.pair_block(OMEGA, R1, R2)
    want = pair_block_batch(OMEGA, slab.optics(OMEGA), 10e-9, *_separation())
    for g, w in zip(got, want):
        assert g.shape == (3, 2, 2, 3, 3)
        np.testing.assert_array_equal(g, w)


def test_stack_is_the_stack_kernel_and_translation_invariant():
    stack = Stack([("sic", 10e-9), ("eps=2.25+0.01j", 200e-9)], substrate="gold")
    et, ez, th, st, sz = stack.optics(OMEGA)
    want = stack_block_batch(OMEGA, et, ez, th, st, sz, *_separation())
    shift = np.array([5e-6, -7e-6, 0.0])
    for g, w in zip(stack.pair_block(OMEGA, R1 + shift, R2 + shift), want):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-14 * np.abs(w).max())


def test_qubit_inside_a_planar_body_is_refused_with_its_height():
    with pytest.raises(ValueError, match=r"z = -1e-09 m is inside or on the slab"):
        Slab().pair_block(OMEGA, [0, 0, -1e-9], [0, 0, 1e-6])
    with pytest.raises(ValueError, match="inside or on the stack"):
        Stack([("sic", 1e-8)]).pair_block(OMEGA, [0, 0, 1e-6], [0, 0, 0.0])


def test_parameters_round_trip_and_unknown_names_are_refused():
    stack = Stack([("sic", 10e-9), ("sio2", 50e-9)])
    assert stack.parameters == {
        "layer1.thickness": 10e-9,
        "layer1.material": "sic",
        "layer2.thickness": 50e-9,
        "layer2.material": "sio2",
        "substrate": None,
    }
    thicker = stack.with_parameter("layer2.thickness", 80e-9)
    assert thicker.parameters["layer2.thickness"] == 80e-9 and stack.parameters["layer2.thickness"] == 50e-9
    assert stack.with_parameter("layer1.material", "hbn").parameters["layer1.material"] == "hbn"
    assert stack.with_parameter("substrate", "gold").describe()["substrate"] == "gold"
    with pytest.raises(ValueError, match=r"layers 1\.\.2"):
        stack.with_parameter("layer3.thickness", 1e-9)
    with pytest.raises(ValueError, match="no parameter 'period'"):
        stack.with_parameter("period", 1e-6)
    assert Slab("sic", 1e-8).with_parameter("thickness", 2e-8).describe() == {
        "kind": "slab",
        "material": "sic",
        "thickness": 2e-8,
    }


def test_every_planar_body_is_a_body():
    assert isinstance(Slab(), Body) and isinstance(Stack([("sic", 1e-8)]), Body)
    assert Slab("sic", np.inf).label == "sic inf m"
    with pytest.raises(ValueError, match="thickness must be > 0"):
        Slab("sic", -1e-9)


@pytest.mark.parametrize("r12", [0.25e-6, (0.0, 0.3e-6), (-0.2e-6, 0.1e-6), 0.0])
@pytest.mark.parametrize("body", ["slab", "stack"])
def test_geometry_asks_its_body_and_matches_the_relative_coordinate_kernels_bit_for_bit(body, r12):
    """compute_kernels asks Geometry.body.pair_block at absolute positions; the result is the former
    relative-coordinate path (kernel_tensors_batch / stack_kernel_tensors_batch, which take r_2 - r_1)
    to the last bit, down to the sign of zero lateral components (dy = 0, the common case)."""
    from neqent.dynamics.rates import Geometry, compute_kernels, kernel_tensors_batch, stack_kernel_tensors_batch

    z2 = 1.3e-6 if np.ndim(r12) == 0 and r12 == 0 else 1e-6
    stack = Stack([("sic", 10e-9), ("eps=2.25+0.01j", 200e-9)], substrate="gold") if body == "stack" else None
    geometry = Geometry(z1=1e-6, z2=z2, r12=r12, stack=stack)
    assert isinstance(geometry.body, Stack if stack else Slab)
    dx, dy = geometry.r12
    if stack is None:
        want = kernel_tensors_batch(OMEGA, geometry.material.eps(OMEGA), 10e-9, 1e-6, z2, dx, dy)
    else:
        want = stack_kernel_tensors_batch(OMEGA, *stack.optics(OMEGA), 1e-6, z2, dx, dy)
    got = compute_kernels(geometry, OMEGA).tensors
    for name, w in zip(("W", "M", "G12"), want):
        np.testing.assert_array_equal(got[name], w[0])
        assert np.array_equal(np.signbit(got[name].real), np.signbit(w[0].real)), name
