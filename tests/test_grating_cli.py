"""The grating from the command line and the API (issue 22, item 4; docs/theory.md §12).

One valid call each (a grating point costs seconds: the FMM on the adaptive k rule),
kept cheap with one diffraction order and qubits 2 um above a 1 um period; the
refusals are one line and exit 2 (tests/test_cli_fuzz.py draws more of them).
"""

import contextlib
import io
import json

import numpy as np
import pytest

import neqent
from neqent.errors import InputError
from neqent.interface.cli import main

CHEAP = ["--grating", "eps=4+0.5j:1um:0.5:300nm", "--orders", "1", "--omega", "1e14"]


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue().splitlines()


def test_point_with_a_grating_reports_it_in_the_json():
    status, out, err = _run(["point", *CHEAP, "--z1", "2um", "--z2", "2um", "--r12", "300nm", "--json"])
    assert status == 0, err
    r = json.loads(out)
    g = r["input"]["grating"]
    assert (g["kind"], g["ridge"], g["period"], g["fill"], g["height"]) == ("grating", "eps=4+0.5j", 1e-6, 0.5, 3e-7)
    assert g["grooves"] == "vacuum" and g["below"] is None and g["orders"] == 1
    assert g["accuracy"]["k_points"] > 0 and g["accuracy"]["tol"] > 0
    assert r["input"]["delta"] is None and 0 <= r["concurrence"] <= 1
    # the lossy ridges emit: alpha_M is not zero
    assert r["alpha_M"]["11"][0] > 1e-3


def test_point_n_over_ridge_and_groove_differ():
    """--qubit X,Y,Z: x across the grooves; the same pair over a ridge and over a groove."""
    base = ["point", *CHEAP, "--json"]
    _, ridge, _ = _run([*base, "--qubit", "0,0,2um", "--qubit", "0,300nm,2um"])
    _, groove, _ = _run([*base, "--qubit", "500nm,0,2um", "--qubit", "500nm,300nm,2um"])
    a, b = json.loads(ridge), json.loads(groove)
    assert a["input"]["grating"]["orders"] == 1
    assert not np.allclose(np.asarray(a["alpha_M"]), np.asarray(b["alpha_M"]), rtol=1e-6, atol=0)


@pytest.mark.parametrize(
    "argv, option",
    [
        (["point", "--grating", "sic:1um:1.5:500nm"], "--grating"),
        (["point", "--grating", "sic:0:0.5:500nm"], "--grating"),
        (["point", "--grating", "sic:1um:0.5:500nm", "--z1", "0"], "--z1"),
        (["point", "--grating", "sic:1mm:0.5:500nm"], "--grating"),  # orders beyond the cap
        (["point", "--grating", "sic:1um:0.5:500nm", "--orders", "99"], "--orders"),
        (["point", "--grating", "sic:1mm:0.5:500nm", "--orders", "2"], "--grating"),  # too few at that period
        (["point", "--grating", "sic:1um:0.5:500nm", "--sphere", "sic:1um"], "--grating"),
        (["point", "--grating", "sic:1um:0.5:500nm", "--material", "gold"], "--grating"),
        (["point", "--orders", "3"], "--orders"),
        (["point", "--grating-tol", "1e-2"], "--grating-tol"),
        (["point", "--grating", "sic:1um:0.5:500nm", "--grating-tol", "0"], "--grating-tol"),
        (["point", "--grating", "sic:1um:0.5:500nm", "--grating-tol", "0.5"], "--grating-tol"),
        (["point", "--grating", "sic:1um:0.5:500nm", "--grating-tol", "nan"], "--grating-tol"),
        (["point", "--grating", "sic:1um:0.5:500nm", "--grating-tol", "loose"], "--grating-tol"),
        (
            [
                "point",
                "--grating",
                "sic:1um:0.5:500nm",
                "--grating-tol=-1e-3",
                "--qubit",
                "0,0,1um",
                "--qubit",
                "0,1um,1um",
            ],
            "--grating-tol",
        ),
        (["scan", "--grating-tol", "1e-2", "--output", "/tmp/never.nc"], "--grating-tol"),
        (["scan", "--grating", "sic:1um:0.5:500nm", "--output", "/tmp/never.nc"], "--grating"),
        (["optimize", "--vary", "z2=1um:2um", "--grating", "sic:1um:0.5:500nm"], "--grating"),
    ],
)
def test_bad_grating_input_is_one_line_and_exit_2(argv, option):
    status, out, err = _run(argv)
    assert status == 2 and not out
    assert len(err) == 1 and err[0].startswith(f"neqent: error: {option}"), err


def test_api_grating_over_a_stack_and_refusals():
    """``layers``/``substrate`` lie below the grating; the grating and a sphere exclude each other."""
    from neqent.interface.inputs import build_body

    body = build_body("sic", 10e-9, [("eps=2", "100nm")], "sio2", None, "sic:1um:0.5:500nm", "eps=1.5", 4)
    assert body.kind == "grating" and body.orders == 4 and body.shape.grooves.name == "eps=1.5"
    assert body.describe()["below"] == {"kind": "stack", "layers": [["eps=2", 1e-7]], "substrate": "sio2"}
    with pytest.raises(InputError, match="sphere"):
        neqent.point(grating="sic:1um:0.5:500nm", sphere="sic:1um")
    with pytest.raises(InputError, match="grating"):
        neqent.point(grooves="sio2")
    # grating_tol reaches every entry point and is checked before any solve
    for call in (neqent.point, neqent.evolve):
        with pytest.raises(InputError, match=r"grating_tol.*\(0, 0\.1\]"):
            call(grating="sic:1um:0.5:500nm", grating_tol=0.5)
    with pytest.raises(InputError, match="grating_tol"):
        neqent.point_n([(0, 0, 1e-6), (0, 1e-6, 1e-6)], grating="sic:1um:0.5:500nm", grating_tol="loose")
    with pytest.raises(InputError, match="grating_tol"):
        neqent.evolve_n([(0, 0, 1e-6), (0, 1e-6, 1e-6)], grating_tol=1e-2)  # no grating


def test_a_looser_k_rule_is_cheaper_and_agrees_within_its_tolerance():
    """grating_tol reaches the body's k rule: fewer k points, kernels within a few tol of the default rule's.

    The default rule (DEFAULT_TOL = 1e-4 Gamma0) is the reference; 1e-2 must stay within 3 tol of
    it on every kernel (docs/theory.md §12b: the rule's target is an absolute error in Gamma0).
    """
    from neqent.electrodynamics.grating import DEFAULT_TOL

    pair = {"z1": 2e-6, "z2": 2e-6, "r12": 0.3e-6, "grating": "eps=4+0.5j:1um:0.5:300nm", "orders": 1, "omega": 1e14}
    tight, loose = neqent.point(**pair), neqent.point(**pair, grating_tol=1e-2)
    a, b = tight["input"]["grating"]["accuracy"], loose["input"]["grating"]["accuracy"]
    assert (a["tol"], b["tol"]) == (DEFAULT_TOL, 1e-2)
    assert b["k_points"] < 0.8 * a["k_points"], (a, b)
    for kernel in ("alpha_W", "alpha_M"):
        for ij in ("11", "22", "12"):
            assert abs(loose[kernel][ij] - tight[kernel][ij]) <= 3e-2, (kernel, ij)
    assert abs(loose["Lambda12"] - tight["Lambda12"]) <= 3e-2


def test_grating_tol_on_the_command_line_and_for_n_qubits():
    """--grating-tol reaches point_n (--qubit) and the JSON; its help states the body's default."""
    from neqent.electrodynamics.grating import DEFAULT_TOL

    argv = ["point", *CHEAP, "--grating-tol", "1e-2", "--json", "--qubit", "0,0,2um", "--qubit", "0,300nm,2um"]
    status, out, err = _run(argv)
    assert status == 0, err
    assert json.loads(out)["input"]["grating"]["accuracy"]["tol"] == 1e-2
    status, out, _ = _run(["point", "--help"])
    stated = f"default {DEFAULT_TOL:.0e}".replace("e-0", "e-")  # 1e-4, as the help writes it
    assert status == 0 and stated in " ".join(out.split())
