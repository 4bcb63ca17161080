"""Material models: every built-in number pinned to its source (docs/materials.md), limits,
tabulated data (with their ``# source:`` line) and errors.

The pins are written in the source's own units (cm^-1, eV, cm^2/Vs, cm^-3) and converted here with
w = 2 pi c (100 nu) [rad/s per cm^-1]; each material also has one eps value worked out by hand in a
comment, so taking a parameter from a neighbouring paper or table row fails.
"""

import math

import numpy as np
import pytest
from scipy import constants

from neqent.electrodynamics.materials import (
    GOLD,
    HBN,
    MASETTI_P,
    SI_EPS_INF,
    SI_MASS,
    SIC,
    SILVER,
    SIO2,
    VACUUM,
    ConstantPermittivity,
    DrudeLorentz,
    TabulatedMaterial,
    doped_silicon,
    get_layer_material,
    get_material,
    masetti_mobility,
    material_sources,
)

CM1 = 2 * math.pi * constants.c * 100  # rad/s per cm^-1 (1.88365e11)
EV = constants.e / constants.hbar  # rad/s per eV


def _cm1(nu):
    return nu * CM1


# --- every built-in material against its source ---------------------------------------------


def test_sic_numbers_are_spitzer_palik_rounded_by_the_paper():
    # Spitzer, Kleinman & Walsh 1959 / Palik (SiC): eps_inf 6.7, w_T 793, w_L 969, G 4.76 cm^-1;
    # the paper (Bellomo & Antezza 2013) uses them rounded to 1.495e14, 1.827e14, 0.9e12 rad/s.
    assert (SIC.eps_inf, SIC.omega_T, SIC.omega_L, SIC.gamma) == (6.7, 1.495e14, 1.827e14, 0.9e12)
    for value, nu in ((SIC.omega_T, 793.0), (SIC.omega_L, 969.0), (SIC.gamma, 4.76)):
        assert abs(value / _cm1(nu) - 1) < 0.004  # the rounding moves each by < 0.4 %
    assert SIC.resonance == 1.495e14 and "Spitzer" in SIC.source
    # By hand at w = 0.3 w_T = 4.485e13 rad/s: w^2 = 2.0115225e27, w_T^2 = 2.235025e28,
    # w_L^2 = 3.337929e28, G w = 4.0365e25 (all rad^2/s^2);
    # (w_L^2 - w^2 - i G w) / (w_T^2 - w^2 - i G w) = (3.13677675e28 - 4.0365e25 i) / (2.03387275e28 - 4.0365e25 i)
    # = 1.5422658 + 0.0010762 i; times eps_inf 6.7: 10.333181 + 0.0072105 i.
    e = SIC.eps(4.485e13)
    assert e.real == pytest.approx(10.333181, rel=1e-7) and e.imag == pytest.approx(0.0072105, rel=1e-4)


def test_gold_numbers_are_ordal_1985_and_limited_to_its_infrared_window():
    # Ordal et al. 1985, Drude parameters of Au: w_p = 7.28e4 cm^-1, w_tau = 215 cm^-1, eps_inf = 1,
    # stored rounded as 1.37e16 and 4.05e13 rad/s (silver's row, 7.27e4 / 145 cm^-1, fails both pins).
    drude = GOLD.model
    assert (drude.omega_p, drude.gamma, drude.eps_inf) == (1.37e16, 4.05e13, 1.0)
    assert drude.omega_p == pytest.approx(_cm1(7.28e4), rel=1e-3)
    assert drude.gamma == pytest.approx(_cm1(215.0), rel=1e-4)
    assert GOLD.valid == (_cm1(50.0), _cm1(5000.0)) and "Ordal" in GOLD.source
    # By hand at w = 1e14 rad/s: w_p^2 = 1.8769e32, w^2 + i g w = 1e28 + 4.05e27 i,
    # |.|^2 = 1.164025e56, so w_p^2 / (w^2 + i g w) = 1.8769e32 (1e28 - 4.05e27 i) / 1.164025e56
    # = 16124.224 - 6530.311 i; eps = 1 - that = -16123.224 + 6530.311 i.
    assert GOLD.eps(1e14) == pytest.approx(-16123.224 + 6530.311j, rel=1e-7)
    for w in (_cm1(40.0), _cm1(6000.0), 0.3 * 1.37e16):  # below 50, above 5000 cm^-1; the visible
        with pytest.raises(ValueError, match=r"outside the validity range .* of material 'gold'"):
            GOLD.eps(w)


def test_silver_numbers_are_ordal_1985():
    # Ordal et al. 1985, Drude parameters of Ag: w_p = 7.27e4 cm^-1, w_tau = 145 cm^-1, eps_inf = 1.
    drude = SILVER.model
    assert drude.omega_p == pytest.approx(_cm1(7.27e4), rel=1e-12)
    assert drude.gamma == pytest.approx(_cm1(145.0), rel=1e-12) and drude.eps_inf == 1.0
    assert SILVER.valid == (_cm1(50.0), _cm1(5000.0))
    # By hand at w = 1e14 rad/s: w_p = 1.3694147e16, g = 2.7312948e13 rad/s; w_p^2 = 1.8752966e32,
    # w_p^2 / (1e28 + 2.7312948e27 i) = 17451.118 - 4766.415 i; eps = -17450.118 + 4766.415 i.
    assert SILVER.eps(1e14) == pytest.approx(-17450.118 + 4766.415j, rel=1e-7)


def test_hbn_numbers_are_caldwell_2014():
    # Caldwell et al., Nat. Commun. 5, 5221 (2014): in-plane eps_inf 4.90, w_TO 1360, w_LO 1614, G 7 cm^-1;
    # out-of-plane 2.95, 760, 825, 2 cm^-1 (the set 4.87/1370/1610/5, 2.95/780/830/4 fails every pin).
    for part, numbers in ((HBN.t, (4.90, 1360.0, 1614.0, 7.0)), (HBN.z, (2.95, 760.0, 825.0, 2.0))):
        m = part.model
        assert m.eps_inf == numbers[0]
        assert (m.omega_T / CM1, m.omega_L / CM1, m.gamma / CM1) == pytest.approx(numbers[1:], rel=1e-12)
        assert part.valid == (_cm1(600.0), _cm1(1800.0))
    assert HBN.resonance == pytest.approx(_cm1(760.0), rel=1e-12) and "Caldwell" in HBN.source
    # By hand (the cm^-1 cancel in the ratio), eps = eps_inf (LO^2 - nu^2 - i G nu) / (TO^2 - nu^2 - i G nu):
    # eps_z(770 cm^-1) = 2.95 (87725 - 1540 i) / (-15300 - 1540 i) = 2.95 (-5.666125 + 0.670969 i)
    #                  = -16.715068 + 1.979360 i   (inside the type I band 760-825 cm^-1);
    # eps_t(1365 cm^-1) = 4.90 (741771 - 9555 i) / (-13625 - 9555 i) = 4.90 (-36.164442 + 26.062844 i)
    #                   = -177.205768 + 127.707935 i   (inside the type II band 1360-1614 cm^-1).
    assert HBN.eps_tz(_cm1(770.0))[1] == pytest.approx(-16.715068 + 1.979360j, rel=1e-7)
    assert HBN.eps_tz(_cm1(1365.0))[0] == pytest.approx(-177.205768 + 127.707935j, rel=1e-7)


def test_sio2_numbers_are_czapla_narayanaswamy_2019():
    # Czapla & Narayanaswamy 2019, Lorentz model of amorphous SiO2: eps_inf 2.03843;
    # hbar w_k = 0.05624, 0.09952, 0.13355 eV; S_k = 0.93752, 0.05050, 0.60642; G_k = 0.09906, 0.05511, 0.05246.
    m = SIO2.model
    assert m.eps_inf == 2.03843
    assert np.array(m.omega_k) / EV == pytest.approx([0.05624, 0.09952, 0.13355], rel=1e-12)
    assert m.strength == (0.93752, 0.05050, 0.60642) and m.damping == (0.09906, 0.05511, 0.05246)
    assert SIO2.valid == (_cm1(400.0), _cm1(2000.0))
    # By hand at 1000 cm^-1 (1.88365e14 rad/s): the resonances are 453.606, 802.683, 1077.153 cm^-1, so
    # x_k = w/w_k = 2.204555, 1.245822, 0.928373 and S_k / (1 - x_k^2 - i G_k x_k) =
    # -0.242102 + 0.013697 i, -0.090080 + 0.011203 i, 3.904923 + 1.376876 i; eps = 2.03843 + sum
    # = 5.611171 + 1.401775 i.
    assert SIO2.eps(_cm1(1000.0)) == pytest.approx(5.611171 + 1.401775j, rel=1e-6)


def test_masetti_mobility_is_the_phosphorus_row():
    # Masetti, Severi & Solmi 1983, Table I, phosphorus: mu_min1 = mu_min2 = 68.5, mu_1 = 56.1, mu_max = 1414 cm^2/Vs,
    # C_r = 9.20e16, C_s = 3.41e20 cm^-3, alpha = 0.711, beta = 1.98 (P_c = 0).
    assert MASETTI_P == (68.5, 68.5, 56.1, 1414.0, 9.20e16, 3.41e20, 0.711, 1.98)
    pinned = {1e16: 1183.79, 1e18: 276.96, 1e20: 73.23}  # cm^-3 -> cm^2/Vs
    arsenic = (52.2, 52.2, 43.4, 1417.0, 9.68e16, 3.43e20, 0.68, 2.0)  # the neighbouring row of Table I
    for n, mu in pinned.items():
        assert masetti_mobility(n) == pytest.approx(mu, abs=0.005)
        # the arsenic row gives 1176.79, 283.78, 60.87 cm^2/Vs: it would fail the pin
        assert masetti_mobility(n, row=arsenic) != pytest.approx(mu, abs=0.005)


def test_doped_silicon_numbers_and_one_value_by_hand():
    # Basu, Lee & Zhang 2010: eps_inf 11.7, conductivity mass 0.27 m_e; carrier (= donor) density N, full ionisation.
    assert (SI_MASS, SI_EPS_INF) == (0.27, 11.7)
    si = doped_silicon(1e18)
    assert si.valid == (_cm1(50.0), _cm1(5000.0)) and "Masetti" in si.source
    # By hand for N = 1e18 cm^-3 = 1e24 m^-3: eps0 m* = 8.8541878e-12 * 0.27 * 9.1093837e-31 = 2.1777172e-42,
    # w_p^2 = N e^2 / (eps0 m*) = 1e24 * 2.5669700e-38 / 2.1777172e-42 = 1.1787435e28, w_p = 1.0856995e14 rad/s
    # (576.380 cm^-1); g = e / (m* mu) = 1.6021766e-19 / (2.4595336e-31 * 276.96195e-4) = 2.3520011e13 rad/s
    # (124.864 cm^-1). At 1000 cm^-1: w_p^2 / (w^2 + i g w) = 332214.17 / (1e6 + 124863.91 i)
    # = 0.327114 - 0.040845 i; eps = 11.7 - that = 11.372886 + 0.040845 i.
    assert si.model.omega_p == pytest.approx(1.0856995e14, rel=1e-7)
    assert si.model.gamma == pytest.approx(2.3520011e13, rel=1e-7)
    assert si.eps(_cm1(1000.0)) == pytest.approx(11.372886 + 0.040845j, rel=1e-6)


def test_vacuum_and_constants_are_exact():
    w = np.geomspace(1e9, 1e18, 7)
    assert np.all(VACUUM.eps(w) == 1.0) and VACUUM.eps_tz(1e14) == (1.0, 1.0)
    assert get_material("eps=4+0.1j").eps(1e14) == 4 + 0.1j
    assert get_layer_material("eps=2.9+0.1j,-4+0.3j").eps_tz(1e14) == (2.9 + 0.1j, -4 + 0.3j)


# --- tabulated data keep their source ----------------------------------------------------------


def test_csv_source_line_is_kept(tmp_path):
    iso = tmp_path / "film.csv"
    iso.write_text("# source: Smith et al., J. Opt. 1, 2 (2020), Table 3\nomega,re,im\n1e14,2,0.1\n2e14,4,0.3\n")
    m = get_material(f"csv:{iso}")
    assert m.source == "Smith et al., J. Opt. 1, 2 (2020), Table 3" and m.path == str(iso)
    uni = tmp_path / "uni.csv"
    uni.write_text("omega, Re t, Im t, Re z, Im z  # source: my ellipsometry\n1e14,2,0.1,-3,0.2\n2e14,4,0.3,-1,0.4\n")
    assert get_layer_material(f"csv:{uni}").source is None  # only a comment line of its own counts
    uni.write_text("#Source:   my ellipsometry, 2024\n1e14,2,0.1,-3,0.2\n2e14,4,0.3,-1,0.4\n")
    assert get_layer_material(f"csv:{uni}").source == "my ellipsometry, 2024"
    assert material_sources([get_material(f"csv:{iso}"), None, VACUUM]) == (
        f"csv:{iso}: Smith et al., J. Opt. 1, 2 (2020), Table 3"
    )


def test_kernel_files_name_the_material_sources(tmp_path):
    from neqent.pipeline import stages
    from neqent.pipeline.config import load_config

    csv = tmp_path / "m.csv"
    csv.write_text("# source: a test table\n1e14,4,0.1\n2e14,4,0.3\n")
    geometry = {"z1": 1e-6, "z2": 1e-6, "r12": 2.5e-7, "theta": 0.0, "omega": 1.5e14}
    scans = {"map": {"axes": {"z2": [1e-6]}, "T_M": [600.0]}}
    cfg = load_config({"material": f"csv:{csv}", "geometry": geometry, "scans": scans, "extras": []})
    assert stages.kernel_grid(cfg, "map", progress=False).attrs["material_source"] == f"csv:{csv}: a test table"
    stack = [{"material": "hbn", "thickness": 1e-8}, {"material": "sic", "thickness": 1e-8}]
    cfg = load_config({"geometry": {**geometry, "stack": stack}, "scans": scans, "extras": []})
    attrs = stages.kernel_grid(cfg, "map", progress=False).attrs
    assert attrs["material_source"] == f"hbn: {HBN.source}; sic: {SIC.source}"


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
    assert np.all(GOLD.eps(w[w <= GOLD.valid[1]]).imag > 0)


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
