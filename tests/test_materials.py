"""Material models: the SiC numbers of docs/theory.md §2, limits, tabulated data and errors."""

import numpy as np
import pytest

from neqent.electrodynamics.materials import (
    GOLD,
    SIC,
    ConstantPermittivity,
    DrudeLorentz,
    TabulatedMaterial,
    get_material,
)


def test_sic_surface_polariton_where_eps_is_minus_one():
    # docs/theory.md §2: the surface phonon-polariton (Re eps = -1) sits near 1.787e14 rad/s.
    w = SIC.surface_polariton
    assert abs(w - 1.787e14) < 2e11
    assert abs(SIC.eps(w).real + 1) < 0.02


def test_sic_static_and_high_frequency_limits():
    # eps(0) = eps_inf w_L^2 / w_T^2 (Lyddane–Sachs–Teller), eps(inf) = eps_inf.
    assert SIC.eps(1e9).real == pytest.approx(6.7 * (1.827 / 1.495) ** 2, rel=1e-6)
    assert SIC.eps(1e18).real == pytest.approx(6.7, rel=1e-4)


def test_absorption_sign_convention():
    w = np.linspace(0.1, 3, 50) * SIC.omega_T
    assert np.all(SIC.eps(w).imag > 0)
    assert np.all(GOLD.eps(w).imag > 0)


def test_gold_is_metallic_in_infrared():
    assert GOLD.eps(0.3 * SIC.omega_T).real < -1e3


def test_get_material_forms(tmp_path):
    assert get_material("SiC") is SIC
    assert get_material("eps=4+0.5j").eps(1e14) == 4 + 0.5j
    csv = tmp_path / "m.csv"
    csv.write_text("omega,re,im\n1e14,2,0.1\n2e14,4,0.3\n")
    m = get_material(f"csv:{csv}")
    assert m.eps(1.5e14) == pytest.approx(3 + 0.2j)


def test_tabulated_wavelength_column(tmp_path):
    csv = tmp_path / "w.csv"
    csv.write_text("# wavelength (m), Re eps, Im eps\nwavelength,re,im\n10e-6,2,0.1\n20e-6,4,0.3\n")
    m = TabulatedMaterial.from_csv(csv)
    w = 2 * np.pi * 2.99792458e8 / 10e-6
    assert m.eps(w) == pytest.approx(2 + 0.1j)


@pytest.mark.parametrize(
    "spec, match",
    [
        ("unobtainium", "unknown material 'unobtainium'"),
        ("eps=abc", "cannot parse"),
        ("eps=2-1j", "Im eps >= 0"),
        ("csv:/nonexistent.csv", "not found"),
    ],
)
def test_bad_material_specs(spec, match):
    with pytest.raises(ValueError, match=match):
        get_material(spec)


def test_tabulated_out_of_range_and_bad_omega(tmp_path):
    m = TabulatedMaterial([1e14, 2e14], [2, 3])
    with pytest.raises(ValueError, match="outside the tabulated range"):
        m.eps(3e14)
    with pytest.raises(ValueError, match="omega must be finite and > 0"):
        SIC.eps(-1.0)
    with pytest.raises(ValueError, match="omega must be finite and > 0"):
        SIC.eps(np.nan)


def test_parameter_validation():
    with pytest.raises(ValueError, match="omega_T"):
        DrudeLorentz(6.7, -1.0, 1.8e14, 1e12)
    with pytest.raises(ValueError, match="finite"):
        ConstantPermittivity(complex(np.inf, 0))
