"""Shared argument checks, in particular the quadrature size bound (neqent.validation)."""

import math

import numpy as np
import pytest
from scipy.constants import c as C_LIGHT

from neqent.validation import MAX_ELECTRICAL_SIZE, electrical_size, size_culprit

OMEGA = 1e14  # rad/s
K = OMEGA / C_LIGHT


def test_sizes_are_the_optical_path_lengths():
    size, slab = electrical_size(OMEGA, 1e-6, 2e-6, 3e-6, 1e-6, 4.0)
    assert size == pytest.approx(K * 6e-6)
    assert slab == pytest.approx(K * 1e-6 * 2.0)  # |sqrt(4)| = 2
    _, slab_inf = electrical_size(OMEGA, 1e-6, 1e-6, 0.0, math.inf, 4.0)
    assert slab_inf == 0.0  # a half-space has no Fabry-Perot phase


def test_limit_is_inclusive_and_names_every_argument():
    length = MAX_ELECTRICAL_SIZE / K  # exactly at the limit: accepted
    electrical_size(OMEGA, length / 2, length / 2, 0.0)
    with pytest.raises(ValueError) as info:
        electrical_size(OMEGA, length / 2, length, 0.0, names=("omega", "z1", "z2", "r12", "delta"))
    msg = str(info.value)
    for fragment in (
        "omega = 1e+14 rad/s",
        "z2 = ",
        "z1 = ",
        "r12 = ",
        "<= 20000",
        f"omega <= {MAX_ELECTRICAL_SIZE * C_LIGHT / (1.5 * length):.3g} rad/s",
    ):
        assert fragment in msg


def test_optically_thick_slab_suggests_a_half_space():
    delta = 1.5 * MAX_ELECTRICAL_SIZE / (K * 2.0)
    with pytest.raises(ValueError, match=r"delta = inf \(a half-space\)"):
        electrical_size(OMEGA, 1e-6, 1e-6, 0.0, delta, 4.0)
    electrical_size(OMEGA, 1e-6, 1e-6, 0.0, math.inf, 4.0)  # the half-space is fine


def test_arrays_report_the_first_offending_point():
    omega = np.array([1e14, 1e15, 3e18, 1e19])
    with pytest.raises(ValueError, match="omega = 3e\\+18 rad/s"):
        electrical_size(omega, 1e-6, 1e-6, 0.25e-6)


def test_nan_is_never_accepted():
    with pytest.raises(ValueError):
        electrical_size(math.nan, 1e-6, 1e-6, 0.0)


@pytest.mark.parametrize(
    "args, culprit",
    [
        ((1e30, 1e-6, 1e-6, 2.5e-7), "omega"),
        ((4.5e13, 1e-6, 1.0, 2.5e-7), "z_qp"),
        ((4.5e13, 0.5, 1e-6, 2.5e-7), "z_q"),
        ((4.5e13, 1e-6, 1e-6, 0.3), "s"),
    ],
)
def test_culprit_is_the_argument_that_grew_most(args, culprit):
    assert size_culprit(*args) == culprit


def test_damped_slab_counts_only_its_guided_mode_search():
    """A slab that damps its Fabry-Perot factor (2 K delta Im sqrt(eps) > 45) costs no
    panels: a good conductor of any thickness passes (its pole search does not grow),
    a lossy high-index slab is bounded through K delta sqrt(Re eps - 1)."""
    for eps, delta in ((1e18j, 5e-8), (-1e4 + 1e3j, 1e-3)):
        assert electrical_size(OMEGA, 1e-7, 1e-7, 0.0, delta, eps)[1] == 0.0
    eps = 1e4 + 1e4j
    delta = 1.5 * MAX_ELECTRICAL_SIZE / (K * math.sqrt(eps.real - 1))
    with pytest.raises(ValueError, match=r"sqrt\(Re eps - 1\) = 99\.99"):
        electrical_size(OMEGA, 1e-7, 1e-7, 0.0, delta, eps)
