"""The sphere in the API and the command line (issue 24, items 4 and 7; docs/theory.md §13).

``neqent point --sphere`` must be the library's Mie kernels, rates and steady state, bit for
bit; positions are the body's to check, so qubits may sit on opposite sides of a sphere;
a large sphere must approach ``neqent point --delta inf`` as §13 says; bad input refuses in
one line with exit status 2.
"""

import contextlib
import io
import json

import numpy as np
import pytest

import neqent
from neqent.dynamics.entanglement import concurrence
from neqent.dynamics.master import steady_state
from neqent.dynamics.rates import contract_kernels, occupation, rates
from neqent.electrodynamics.green import vacuum_green_batch
from neqent.electrodynamics.materials import get_material
from neqent.electrodynamics.sphere import L_MAX_CAP, Sphere
from neqent.errors import InputError
from neqent.interface.cli import main

R = 1e-6


def _cli(*argv):
    """``neqent argv`` in-process: (status, stdout, stderr lines)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue().splitlines()


def _json(*argv):
    status, out, err = _cli(*argv, "--json")
    assert status == 0, err
    return json.loads(out)


def _c(pair):
    return complex(*pair)


def _library_point(radius, r1, r2, omega, TW=30.0, TM=600.0):
    """Kernels, steady state and C straight from Sphere.pair_block, rates and the master equation."""
    sphere = Sphere("sic", radius)
    r1, r2 = np.atleast_2d(r1).astype(float), np.atleast_2d(r2).astype(float)
    W, M, GR = sphere.pair_block(omega, r1, r2)
    G12 = vacuum_green_batch(np.array([omega]), r1 - r2) + GR[:, 0, 1]
    z = np.array([0.0, 0.0, 1.0], complex)
    aW, aM, lam = contract_kernels(W[0], M[0], G12[0], z, z)
    gp, gm = rates(aW, aM, occupation(omega, TW), occupation(omega, TM))
    rho = np.asarray(steady_state(gp, gm, lam))
    return aW, aM, complex(lam), rho, float(concurrence(rho)), int(sphere.last_l_max[0])


@pytest.mark.parametrize(("z1", "z2", "r12"), [(1e-6, 1e-6, 250e-9), (0.8e-6, 1.1e-6, 300e-9), (150e-9, 400e-9, 0)])
def test_cli_point_is_the_library(z1, z2, r12):
    """Same Sphere.pair_block + rates + steady state, so equal to 1e-12 (the JSON floats are exact).

    The first two are entangled (C ~ 0.13), the last is close to the sphere (l_max ~ 100)."""
    omega = 0.3 * get_material("sic").resonance
    got = _json("point", "--sphere", "sic:1um", "--z1", repr(z1), "--z2", repr(z2), "--r12", repr(r12))
    aW, aM, lam, rho, c, l_max = _library_point(R, (0.0, 0.0, z1), (r12, 0.0, z2), omega)
    assert got["omega"] == pytest.approx(omega, rel=1e-15)
    for name, ref in (("alpha_W", aW), ("alpha_M", aM)):
        for key, (i, j) in (("11", (0, 0)), ("22", (1, 1)), ("12", (0, 1))):
            assert abs(_c(got[name][key]) - ref[i, j]) <= 1e-12 * abs(ref[i, i])
    assert abs(_c(got["Lambda12"]) - lam) <= 1e-12 * abs(aW[0, 0])
    np.testing.assert_allclose(np.array(got["rho"])[..., 0] + 1j * np.array(got["rho"])[..., 1], rho, atol=1e-12)
    assert got["concurrence"] == pytest.approx(c, abs=1e-12)
    assert (c > 0.1) == (z1 >= 0.8e-6)  # the comparison covers an entangled steady state
    ball = got["input"]["sphere"]
    assert ball == {"kind": "sphere", "material": "sic", "radius": R, "l_max": l_max}
    assert got["input"]["delta"] is None  # a sphere has no thickness; the key stays
    assert {"material", "z1", "z2", "r12", "omega", "omega_ratio", "TW", "TM", "dipole1", "dipole2"} <= set(
        got["input"]
    )


def test_api_forms_agree_and_omega_ratio_scales_the_sphere_material():
    a = neqent.point(sphere=("sic", "1um"), z1="300nm", z2="300nm")
    b = neqent.point(sphere="sic:1um", z1=3e-7, z2=3e-7)
    assert a["concurrence"] == b["concurrence"] and a["alpha_M"] == b["alpha_M"]
    eps = "eps=-3+0.2j"  # no resonance: omega_ratio has nothing to scale
    with pytest.raises(InputError) as info:
        neqent.point(sphere=(eps, "1um"))
    assert info.value.param == "omega_ratio"
    assert neqent.point(sphere=(eps, "1um"), omega=1.7e14)["omega"] == 1.7e14


def test_opposite_sides_through_two_qubit_options():
    """Qubit 2 below the sphere (z2 = -2R - d), centre between them: the mirror z -> -2R - z swaps
    the qubits, so alpha^11 = alpha^22; --qubit gives the same numbers as --z1/--z2."""
    d = 300e-9
    below = -2 * R - d
    many = _json("point", "--sphere", "sic:1um", "--qubit", f"0,0,{d!r}", "--qubit", f"0,0,{below!r}")
    two = _json("point", "--sphere", "sic:1um", "--z1", repr(d), "--z2", repr(below), "--r12", "0")
    for name in ("alpha_W", "alpha_M"):
        m = np.array(many[name])[..., 0] + 1j * np.array(many[name])[..., 1]
        assert abs(m[0, 0] - m[1, 1]) <= 1e-10 * abs(m[0, 0])
        for key, (i, j) in (("11", (0, 0)), ("22", (1, 1)), ("12", (0, 1))):
            assert abs(_c(two[name][key]) - m[i, j]) <= 1e-12 * abs(m[0, 0])
    assert many["concurrence"] == pytest.approx(two["concurrence"], abs=1e-12)
    # the sphere couples them: alpha_M^12 is the body's correlated emission, absent without a body
    assert abs(_c(two["alpha_M"]["12"])) > 1e-3 * abs(_c(two["alpha_M"]["11"]))
    # a planar body refuses the same point in one line
    status, _, err = _cli("point", "--qubit", f"0,0,{d!r}", "--qubit", f"0,0,{below!r}")
    assert status == 2 and len(err) == 1 and "inside the body" in err[0]


@pytest.mark.parametrize("ratio", [30, 100])
def test_large_sphere_approaches_the_half_space_cli(ratio):
    """K d << 1, R >> d: alpha_M^{zz} -> the half-space's with the §13 excess ~0.56 d/R (SiC, d = 20 nm)."""
    d = 20e-9
    # qubit 2 far off to the side: alpha^11 is qubit 1's own decay, the quantity of §13's limit
    common = ("--z1", "20nm", "--z2", "20nm", "--r12", "300nm", "--omega", "1.70e14")
    ball = _json("point", "--sphere", f"sic:{ratio * d!r}", *common)
    half = _json("point", "--material", "sic", "--delta", "inf", *common)
    got = _c(ball["alpha_M"]["11"]).real / _c(half["alpha_M"]["11"]).real
    assert 0.45 < (got - 1) * ratio < 0.9, got


INSIDE = ("--qubit", "0,0,1um", "--qubit", "0,0,-1um")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["point", "--sphere", "sic:0"], "> 0 (sphere radius)"),
        (["point", "--sphere", "sic:-1um"], "sphere radius"),
        (["point", "--sphere", "sic"], "MATERIAL:RADIUS"),
        (["point", "--sphere", ":1um"], "MATERIAL:RADIUS"),
        (["point", "--sphere", "kryptonite:1um"], "unknown material"),
        (["point", "--sphere", "hbn:1um"], "uniaxial"),
        (["point", "--sphere", "sic:1um", "--material", "gold"], "--sphere and --material"),
        (["point", "--sphere", "sic:1um", "--delta", "inf"], "--sphere and --delta"),
        (["point", "--sphere", "sic:1um", "--layer", "sic:10nm"], "--layer/--substrate"),
        (["point", "--sphere", "sic:1um", "--z2", "-1um"], "inside the sphere"),
        (["evolve", "--sphere", "sic:1um", *INSIDE], "inside the sphere"),
        (["point", "--sphere", "sic:1um", *INSIDE], "inside the sphere"),
        (["point", "--sphere", "sic:1um", "--z1", "1pm", "--z2", "1pm"], f"beyond the cap {L_MAX_CAP}"),
        (["point", "--sphere", "sic:1m"], "beyond the cap"),
        (["scan", "--sphere", "sic:1um", "-o", "unused.nc"], "geometry.sphere"),
        (["optimize", "--sphere", "sic:1um", "--vary", "delta=1nm:1um"], "radius=LO:HI"),
    ],
)
def test_bad_input_refuses_in_one_line(argv, needle):
    status, out, err = _cli(*argv)
    assert status == 2 and not out and len(err) == 1, (status, err)
    assert err[0].startswith("neqent: error: ") and needle in err[0], err[0]


def test_cap_message_names_height_and_radius():
    _, _, err = _cli("point", "--sphere", "sic:1um", "--z1", "1pm", "--z2", "1pm")
    assert "1e-12 m from the surface" in err[0] and "radius 1e-06 m" in err[0]


def test_api_refuses_two_bodies_naming_both():
    with pytest.raises(InputError, match="sphere and material/delta") as info:
        neqent.point(material="gold", sphere="sic:1um")
    assert info.value.param == "sphere"
    with pytest.raises(InputError, match="sphere and layers/substrate"):
        neqent.point_n(qubits=[(0, 0, 1e-6), (1e-6, 0, 1e-6)], layers=[("sic", "1nm")], sphere="sic:1um")


def test_optimize_searches_the_radius():
    """Body parameters become search variables: the radius, and the reported command reproduces C."""
    status, out, err = _cli(
        "optimize", "--sphere", "sic:1um", "--vary", "radius=100nm:2um", "--budget", "15", "--seed", "1", "--json"
    )
    assert status == 0, err
    r = json.loads(out)
    radius = r["point"]["radius"]
    assert 100e-9 <= radius <= 2e-6 and r["body"] == {"kind": "sphere", "material": "sic", "radius": radius}
    again = neqent.point(**{k: tuple(v) if k == "sphere" else v for k, v in r["input"].items() if "dipole" not in k})
    assert again["concurrence"] == pytest.approx(r["concurrence"], abs=1e-12)
