"""Parsing of lengths, temperatures, numbers and dipoles (neqent.interface.units)."""

import math

import numpy as np
import pytest

from neqent.interface.units import (
    InputError,
    format_dipole,
    format_length,
    parse_count,
    parse_dipole,
    parse_length,
    parse_number,
    parse_temperature,
)


@pytest.mark.parametrize(
    "text, metres",
    [
        ("1um", 1e-6),
        ("1 um", 1e-6),
        ("1µm", 1e-6),
        ("1\u03bcm", 1e-6),
        ("250nm", 2.5e-7),
        ("1e-6m", 1e-6),
        ("2mm", 2e-3),
        ("3pm", 3e-12),
        ("0.5", 0.5),
        ("1e-6", 1e-6),
        (2e-6, 2e-6),
    ],
)
def test_lengths(text, metres):
    assert parse_length(text, "z1") == pytest.approx(metres, rel=1e-15)


def test_unit_scaling_is_exact():
    # The symmetric case z1 == z2 is detected by exact float equality, so
    # every way of writing the same length must give the same float.
    assert parse_length("1um") == parse_length("1000nm") == parse_length("0.001mm") == 1e-6
    assert parse_length("250nm") == parse_length("0.25um") == 0.25e-6


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("abc", "cannot parse 'abc' as a length"),
        ("1km", "cannot parse '1km'"),
        ("um", "cannot parse 'um'"),
        ("", "cannot parse ''"),
        ("-1um", "must be > 0"),
        ("0", "must be > 0"),
        ("nan", "finite"),
        ("inf", "finite"),
        (float("nan"), "finite"),
        (-1.0, "must be > 0"),
        (None, "expected"),
    ],
)
def test_bad_lengths_name_option_value_and_allowed(text, fragment):
    with pytest.raises(InputError) as info:
        parse_length(text, "--z2")
    msg = str(info.value)
    assert msg.startswith("--z2: ")
    assert fragment in msg
    assert info.value.param == "--z2"


def test_length_zero_and_inf_options():
    assert parse_length("0", "r12", allow_zero=True) == 0.0
    with pytest.raises(InputError, match=">= 0"):
        parse_length("-1nm", "r12", allow_zero=True)
    assert parse_length("inf", "delta", allow_inf=True) == math.inf
    assert parse_length(math.inf, "delta", allow_inf=True) == math.inf
    with pytest.raises(InputError, match="finite"):
        parse_length("inf", "z1")


@pytest.mark.parametrize(
    "text, kelvin",
    [("1200", 1200.0), ("1200K", 1200.0), ("1200 K", 1200.0), ("0", 0.0), (300, 300.0), ("2.5e3K", 2500.0)],
)
def test_temperatures(text, kelvin):
    assert parse_temperature(text, "TM") == kelvin


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("-1", ">= 0 K"),
        ("-1K", ">= 0 K"),
        ("hot", "cannot parse 'hot'"),
        ("K", "cannot parse 'K'"),
        ("nan", "finite"),
        ("infK", "finite"),
        ("1e400", "finite"),
        ("300C", "cannot parse '300C'"),
    ],
)
def test_bad_temperatures(text, fragment):
    with pytest.raises(InputError, match="^--TM: ") as info:
        parse_temperature(text, "--TM")
    assert fragment in str(info.value)


def test_numbers_and_counts():
    assert parse_number("2.26e14", "omega", minimum=0.0) == 2.26e14
    with pytest.raises(InputError, match="must be > 0"):
        parse_number("0", "omega", minimum=0.0)
    assert parse_number("0", "tmin", minimum=0.0, strict=False) == 0.0
    with pytest.raises(InputError, match="finite"):
        parse_number("inf", "omega")
    assert parse_count("41", "num", minimum=2) == 41
    for bad in ("1", "2.5", "x", True):
        with pytest.raises(InputError, match="^num: "):
            parse_count(bad, "num", minimum=2)


def test_dipoles():
    np.testing.assert_array_equal(parse_dipole("0,0,1"), [0, 0, 1])
    np.testing.assert_array_equal(parse_dipole("1, 1j, 0"), [1, 1j, 0])
    np.testing.assert_array_equal(parse_dipole("1+0.5j,0,-2"), [1 + 0.5j, 0, -2])
    np.testing.assert_array_equal(parse_dipole((0, 1, 0)), [0, 1, 0])
    assert parse_dipole("0,0,1").dtype == complex


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("0,0,0", "non-zero"),
        ("1,2", "cannot parse"),
        ("1,2,3,4", "cannot parse"),
        ("a,b,c", "cannot parse"),
        ("nan,0,1", "finite"),
        ("1,,2", "cannot parse"),
        ((1, 2), "3-vector"),
    ],
)
def test_bad_dipoles(text, fragment):
    with pytest.raises(InputError, match="^--dipole1: ") as info:
        parse_dipole(text, "--dipole1")
    assert fragment in str(info.value)


def test_formatting():
    assert format_length(1e-6) == "1 um"
    assert format_length(2.5e-7) == "250 nm"
    assert format_length(1e-8) == "10 nm"
    assert format_length(math.inf) == "inf m"
    assert format_dipole([0, 0, 1]) == "(0, 0, 1)"
    assert format_dipole([1, 1j, 1 - 2j]) == "(1, 1j, 1-2j)"
    # round trip: what is printed parses back to the same length
    for x in (1e-6, 2.5e-7, 1e-8, 3e-3):
        assert parse_length(format_length(x).replace(" ", "")) == pytest.approx(x, rel=1e-12)
