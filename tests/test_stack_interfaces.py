"""Materials library (docs/materials.md) and the stack in the API and CLI (docs/theory.md §9).

Physics checks of the models (sign conventions, reststrahlen bands, hyperbolic bands,
Drude limits), the validity ranges, and bad input: one line, exit 2.
"""

import json

import numpy as np
import pytest

from neqent.electrodynamics.materials import (
    HBN,
    RAD_S_PER_CM1,
    SIO2,
    doped_silicon,
    get_layer_material,
    masetti_mobility,
)
from neqent.electrodynamics.planar import Stack
from neqent.interface import api
from neqent.interface.cli import main
from neqent.interface.units import InputError

CM1 = RAD_S_PER_CM1


# --- materials ------------------------------------------------------------------


def test_hbn_is_hyperbolic_in_both_reststrahlen_bands():
    et, ez = HBN.eps_tz(np.array([800.0, 1500.0, 1000.0]) * CM1)
    assert et[0].real > 0 > ez[0].real  # type I (760-825 cm^-1)
    assert et[1].real < 0 < ez[1].real  # type II (1360-1614 cm^-1)
    assert et[2].real > 0 and ez[2].real > 0  # between the bands: an ordinary anisotropic dielectric
    assert np.all(et.imag > 0) and np.all(ez.imag > 0)
    # eps = 0 at the LO phonons (lossless limit): Re eps_t(1614) ~ 0, Re eps_z(825) ~ 0
    assert abs(HBN.eps_tz(1614.0 * CM1)[0].real) < 0.1
    assert abs(HBN.eps_tz(825.0 * CM1)[1].real) < 0.2


def test_sio2_has_its_phonon_bands_and_is_transparent_between():
    w = np.array([1080.0, 1250.0, 1700.0]) * CM1
    e = SIO2.eps(w)
    assert e[0].imag > 5  # the strong asymmetric-stretch absorption near 1070 cm^-1
    assert e[1].real < 1  # above the TO band: Re eps < 1 (Reststrahlen tail of SiO2)
    assert e[2].imag < 0.2 and 1 < e[2].real < 2.1


def test_doped_silicon_drude_limits():
    si = doped_silicon(1e20)
    w = np.geomspace(100, 5000, 20) * CM1
    e = si.eps(w)
    assert np.all(e.imag > 0)
    assert e[-1].real > e[0].real  # metallic at low frequency, tends to 11.7
    assert doped_silicon(1e16).eps(1000 * CM1).real == pytest.approx(11.7, abs=0.1)
    # Masetti: lightly doped -> ~1414 cm^2/Vs, heavy doping -> mu_min
    assert masetti_mobility(1e14) == pytest.approx(1414, rel=0.01)
    assert 60 < masetti_mobility(1e20) < 120


@pytest.mark.parametrize(
    "spec, match",
    [
        ("unobtainium", "unknown material"),
        ("eps=3+", "cannot parse"),
        ("eps=1,2,3", "two values"),
        ("eps=2-1j", "passive"),
        ("si:n=1e30cm-3", "carrier density"),
        ("si:p=1e18cm-3", "si:n="),
        ("eps=3,0", "eps_z"),
    ],
)
def test_bad_material_specs(spec, match):
    with pytest.raises(ValueError, match=match):
        get_layer_material(spec)


@pytest.mark.parametrize(
    "material, omega", [("hbn", 1e14), ("sio2", 4.5e13), ("silver", 1e12), ("si:n=1e19cm-3", 1e15)]
)
def test_frequency_outside_validity_range_is_an_error(material, omega):
    with pytest.raises(ValueError, match="validity range"):
        get_layer_material(material).eps_tz(omega)


def test_uniaxial_forms_and_csv(tmp_path):
    m = get_layer_material("eps=2.9+0.1j,-4+0.3j")
    assert m.uniaxial and m.eps_tz(1e14) == (2.9 + 0.1j, -4 + 0.3j)
    with pytest.raises(ValueError, match="uniaxial"):
        m.eps(1e14)
    path = tmp_path / "u.csv"
    path.write_text("# omega, Re t, Im t, Re z, Im z\n1e14,2,0.1,-3,0.2\n2e14,4,0.3,-1,0.4\n")
    table = get_layer_material(f"csv:{path}")
    et, ez = table.eps_tz(1.5e14)
    assert et == pytest.approx(3 + 0.2j) and ez == pytest.approx(-2 + 0.3j)
    with pytest.raises(ValueError, match="outside the tabulated range"):
        table.eps_tz(3e14)
    iso = tmp_path / "i.csv"
    iso.write_text("1e14,2,0.1\n2e14,4,0.3\n")
    assert get_layer_material(f"csv:{iso}").eps_tz(1.5e14) == (pytest.approx(3 + 0.2j), pytest.approx(3 + 0.2j))


def test_stack_object_rejects_bad_layers():
    with pytest.raises(ValueError, match="at least one layer or a substrate"):
        Stack([])
    with pytest.raises(ValueError, match="layer 1 thickness"):
        Stack([("sic", 1e-8), ("sic", 0.0)])
    assert Stack([], "sio2").optics(1.5e14)[0].shape == (0,)


# --- API -------------------------------------------------------------------------------


def test_one_layer_stack_equals_the_slab_shorthand():
    a = api.point()
    b = api.point(layers=[("sic", "10nm")])
    for key in ("alpha_W", "alpha_M"):
        assert a[key] == b[key]
    assert a["Lambda12"] == b["Lambda12"] and a["concurrence"] == b["concurrence"]
    assert b["input"]["layers"] == [["sic", 1e-8]] and b["input"]["substrate"] is None


def test_split_stack_and_substrate_in_the_api():
    a = api.point(layers=[("sic", 10e-9)], substrate="eps=2.1+0.05j")
    b = api.point(layers=[("sic", 4e-9), ("sic", 6e-9)], substrate="eps=2.1+0.05j")
    assert abs(a["alpha_M"]["11"] - b["alpha_M"]["11"]) < 1e-10
    assert abs(a["concurrence"] - b["concurrence"]) < 1e-9


@pytest.mark.parametrize(
    "kwargs, param",
    [
        ({"layers": [("sic", "-1nm")]}, "layers"),
        ({"layers": []}, "layers"),
        ({"layers": [("nope", "1nm")]}, "layers"),
        ({"layers": [("sic", "1nm")], "substrate": "nope"}, "substrate"),
        ({"layers": [("sic", "1nm")], "material": "gold"}, "layers"),
        ({"layers": [("sio2", "10nm")]}, "omega_ratio"),
        ({"layers": [("sic", "10nm")], "z1": 0.0}, "z1"),
        ({"layers": [("sic", "1m")]}, "layers"),
    ],
)
def test_api_bad_stack_input(kwargs, param):
    with pytest.raises(InputError) as exc:
        api.point(**kwargs)
    assert exc.value.param == param


# --- CLI -----------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_layers_match_the_api(capsys):
    code, out, err = run(
        capsys, "point", "--layer", "sic:10nm", "--layer", "eps=2.25+0.01j:200nm", "--substrate", "eps=2", "--json"
    )
    assert code == 0, err
    got = json.loads(out)
    ref = api.point(layers=[("sic", 1e-8), ("eps=2.25+0.01j", 2e-7)], substrate="eps=2")
    assert got["concurrence"] == pytest.approx(ref["concurrence"], abs=1e-14)
    assert got["input"]["layers"] == [["sic", 1e-8], ["eps=2.25+0.01j", 2e-7]]


def test_cli_layer_material_with_colons(capsys, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("1e13,4,0.1\n1e15,4,0.1\n")
    code, out, err = run(capsys, "point", "--layer", f"csv:{path}:50nm", "--omega", "1e14", "--json")
    assert code == 0, err
    assert json.loads(out)["input"]["layers"][0][1] == pytest.approx(5e-8)


@pytest.mark.parametrize(
    "args, option, fragment",
    [
        (["--layer", "sic:10nm", "--material", "gold"], "", "--material"),
        (["--layer", "sic:10nm", "--delta", "5nm"], "", "--delta"),
        (["--layer", "sic:-5nm"], "--layer", "-5nm"),
        (["--layer", "sic:0nm"], "--layer", "0nm"),
        (["--layer", "sic"], "--layer", "MATERIAL:THICKNESS"),
        (["--layer", "nope:1nm"], "--layer", "unknown material"),
        (["--layer", "eps=2+:1nm"], "--layer", "eps="),
        (["--substrate", "nope"], "--substrate", "unknown material"),
        (["--layer", "sic:10nm", "--z2", "-1um"], "--z2", "-1um"),
        (["--layer", "hbn:10nm"], "--omega-ratio", "validity range"),
        (["--layer", "sic:1m"], "--layer", "optical thickness"),
    ],
)
def test_cli_bad_stack_input_is_one_line_exit_2(capsys, args, option, fragment):
    code, out, err = run(capsys, "point", *args)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], err
    assert lines[0].startswith(f"neqent: error: {option}" if option else "neqent: error: ")
