"""Every command line either works or refuses with one line (issue 21, item 6).

Hypothesis draws argument lists for every subcommand (``point``, ``evolve``,
``scan``, ``optimize`` and the N-qubit forms of ``point``/``evolve``) from valid,
boundary and malformed values, the way a new user types them, and runs the real
command in-process (:func:`neqent.interface.cli.main`, no stubs). Each run must end
with status 0, or with status 2 and exactly one line on stderr; never a traceback or
an ``internal error`` (status 1).

Fast by construction: small grids, small optimiser budgets, one worker and no
progress bars; ``derandomize=True`` makes the examples the same on every run (CI).
"""

import atexit
import contextlib
import io
import os
import shutil
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neqent.interface.cli import main

#: a scratch directory for scan outputs and initial-state files (module-wide: hypothesis
#: does not reset function-scoped fixtures between examples)
SCRATCH = tempfile.mkdtemp(prefix="neqent-fuzz-")
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
GOOD_RHO = os.path.join(SCRATCH, "rho.txt")
BAD_RHO = os.path.join(SCRATCH, "bad.txt")
np.savetxt(GOOD_RHO, np.diag([0.25, 0.25, 0.25, 0.25]))
with open(BAD_RHO, "w") as fh:
    fh.write("not a matrix\n1 2\n")

#: what a user types where something goes wrong: the end-of-options marker, empty and
#: signed values, non-numbers, overflow, units that do not exist, unicode
JUNK = ["--", "-", "", " ", "-1", "-0", "0", "nan", "inf", "-inf", "1e400", "abc", "1um:", ":", ",", "1,2", "µm", "ü"]


def _values(valid, odd=()):
    """Values of one option: mostly ``valid`` ones (so that runs get past the parsing), sometimes the
    ``odd`` ones (boundary or malformed for this option) or common junk."""
    good = st.sampled_from(valid)
    bad = st.sampled_from(list(odd) + JUNK)
    # "--" (the end-of-options marker) on its own branch: argparse hands it on as [] (issue 21)
    return st.one_of(good, good, good, good, bad, st.just("--"))


LENGTH = _values(["1um", "250nm", "0.5um", "2e-6", "1e-6m", "0.3um"], ["0", "10nm", "1km", "-1um"])
COMMON = {
    "--material": _values(["sic", "gold", "SiC", "eps=4+0.1j"], ["vacuum", "eps=2", "csv:/nonexistent.csv", "x"]),
    "--delta": _values(["10nm", "inf", "1nm", "100nm"], ["0", "1m"]),
    "--z1": LENGTH,
    "--z2": LENGTH,
    "--r12": _values(["250nm", "0", "1um", "0.1um"], ["-1um", "1km"]),
    "--omega": _values(["1e14", "4.5e13"], ["0", "1e20", "1"]),
    "--omega-ratio": _values(["0.3", "0.9", "0.5"], ["1", "0", "3", "1e-6"]),
    "--TW": _values(["30K", "0", "300", "0K"], ["-5K", "1e9"]),
    "--TM": _values(["600K", "0", "2500"], ["1e9", "-1"]),
    "--layer": _values(
        ["sic:10nm", "hbn:20nm", "eps=2.25+0.01j:200nm"], ["sic:0nm", "sic", ":10nm", "x:1nm", "sic:1m"]
    ),
    "--substrate": _values(["sio2", "gold", "sic"], ["vacuum", "x"]),
    # a sphere (issue 24): boundary radii (tiny, huge: l_max beyond the cap), uniaxial or odd materials
    "--sphere": _values(
        ["sic:1um", "sic:100nm", "gold:500nm", "eps=4+0.1j:2um", "sio2:1um"],
        ["sic:0", "sic:-1um", "sic", ":1um", "sic:", "hbn:1um", "x:1um", "sic:1m", "sic:1pm", "vacuum:1um"],
    ),
    # a grating (issue 22): malformed or refused values only, since a valid grating point costs seconds
    # (the FMM on an adaptive k rule); tests/test_grating_cli.py runs a valid one
    "--grating": st.sampled_from(
        [
            "sic:1um:1.5:500nm",
            "sic:0:0.5:500nm",
            "sic:1um:0.5:0",
            "sic:1um:0.5",
            "x:1um:0.5:500nm",
            "sic:1mm:0.5:500nm",
            "sic:1um:-0.1:1um",
            "sic:1um:abc:1um",
            "sic:-1um:0.5:1um",
        ]
        + JUNK
    ),
    "--grooves": _values(["sio2", "vacuum"], ["x"]),
    "--orders": _values(["99", "-1"], ["x", "1.5"]),
}
TWO_QUBITS = {
    "--dipole1": _values(["0,0,1", "1,0,0", "1,1j,0"], ["0,0,0", "1,2", "a,b,c"]),
    "--dipole2": _values(["0,0,1", "0,1,0", "1,0,1"], ["0,0,0", "nan,0,1"]),
}
#: the body and the frequency, without the two-qubit geometry (exclusive with --qubit)
BODY = {k: v for k, v in COMMON.items() if k not in ("--z1", "--z2", "--r12")}
QUBITS = {
    "--qubit": _values(
        ["0,0,1um", "250nm,0,1um", "0,250nm,1.2um", "-250nm,0,1um"],
        # below a sphere, beside it, inside it (a planar body refuses all three)
        ["0,0,0", "0,0,-1um", "1um,2um", "0,0,-3um", "2um,0,-1um", "0,0,-100nm"],
    ),
    "--dipole": _values(["0,0,1", "1,0,0", "1,1j,0"], ["0,0,0"]),
}
EVOLVE = {
    "--initial": _values(["A", "S", "E", "G", "thermal", GOOD_RHO], ["gg", "eg", BAD_RHO, "/nonexistent.npy"]),
    "--T-initial": _values(["0", "300K"], ["-1"]),
    "--tmin": _values(["0.01", "1"], ["0", "-1"]),
    "--tmax": _values(["1", "10"], ["0.001", "0"]),
    "--num": _values(["3", "2"], ["1", "0", "2.5"]),
    "--spacing": _values(["log", "linear"], ["lin"]),
}
SCAN = {
    "--z2": _values(
        ["0.5um:2um:3", "0.5um,1um", "1um", "0.5um:2um:3:log"], ["2um:0.5um:3", "0.5um:2um:0", "1um:1um:1"]
    ),
    "--r12": _values(["0.1um,0.3um", "0:1um:2", "250nm"], ["1um:0:2"]),
    "--TM": _values(["0,600", "0:600:2", "600"], ["600,0"]),
    "--theta": _values(["0", "0,1.5", "0:3.14:2"], ["7"]),
    "--delta": _values(["10nm", "10nm,20nm", "inf", "1nm:10nm:2"], ["0,1nm"]),
    "--omega-ratio": _values(["0.3", "0.2,0.3", "0.1:0.3:2"], ["0.3:0.1:2"]),
    "--layer": _values(["sic:10nm", "sic:5nm,10nm", "hbn:20nm"], ["sic:10nm:20nm", "sic:0nm,1nm"]),
    "--output": _values(
        [os.path.join(SCRATCH, "out.nc")], [SCRATCH, os.path.join(SCRATCH, "a.txt"), "/nonexistent/x.nc"]
    ),
}
OPTIMIZE = {
    "--vary": _values(["z2=0.5um:2um", "TM=0:2500", "delta=1nm:100nm", "r12=0:1um"], ["z2=2um:0.5um", "x=1:2", "z2"]),
    "--budget": _values(["15", "20", "30"], ["0", "5", "1.5"]),
    "--seed": _values(["1", "0"], ["-1", "x"]),
    "--workers": _values(["1"], ["0", "x"]),
}
#: tokens that are not option-value pairs: flags, stray words, unknown options
STRAY = st.sampled_from(["--json", "--help", "--no-progress", "stray", "--unknown", "--", "-x", "--r1", "--z"])


def _argv(command, options, prefix=()):
    """Command lines: a valid ``prefix`` (what the command needs), then up to four drawn (option, value)
    pairs or stray tokens; a drawn option may repeat or override one of the prefix."""
    pair = st.sampled_from(sorted(options)).flatmap(lambda o: options[o].map(lambda v: [o, v]))
    item = st.one_of(*[pair] * 8, STRAY.map(lambda t: [t]))
    return st.lists(item, max_size=4).map(lambda items: [command, *prefix, *(t for p in items for t in p)])


def _run(argv):
    """``neqent argv`` in-process: (status, stdout, stderr lines, warnings)."""
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(list(argv))
            except SystemExit as exc:  # argparse's --help
                status = exc.code or 0
    return status, out.getvalue(), err.getvalue().splitlines(), caught


def _check(argv):
    status, out, err, caught = _run(argv)
    text = "\n".join(err)
    assert "Traceback" not in text and "internal error" not in text, f"neqent {argv}: {text}"
    assert status in (0, 2), f"neqent {argv}: exit {status}: {text}"
    if status == 2:
        assert len(err) == 1 and err[0].startswith("neqent: error: "), f"neqent {argv}: stderr {err!r}"
        assert not out, f"neqent {argv}: printed on stdout before failing: {out[:200]!r}"
        warned = [str(w.message) for w in caught]
        assert not warned, f"neqent {argv}: warnings on stderr besides the error line: {warned}"


#: two valid positions, the prefix of the N-qubit forms
TWO_POSITIONS = ("--qubit", "0,0,1um", "--qubit", "250nm,0,1um")
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NO_PROGRESS = ["--no-progress"]


@FUZZ
@given(_argv("point", {**COMMON, **TWO_QUBITS}))
def test_point_works_or_refuses_in_one_line(argv):
    _check(argv)


@FUZZ
@given(_argv("evolve", {**COMMON, **TWO_QUBITS, **EVOLVE}, prefix=("--num", "3")))
def test_evolve_works_or_refuses_in_one_line(argv):
    _check(argv)


@FUZZ
@given(_argv("point", {**BODY, **QUBITS}, prefix=TWO_POSITIONS))
def test_point_with_qubits_works_or_refuses_in_one_line(argv):
    _check(argv)


@FUZZ
@given(_argv("evolve", {**BODY, **QUBITS, **EVOLVE}, prefix=(*TWO_POSITIONS, "--num", "3")))
def test_evolve_with_qubits_works_or_refuses_in_one_line(argv):
    _check(argv)


@settings(FUZZ, max_examples=40)
@given(_argv("scan", {**COMMON, **SCAN}, prefix=("--output", os.path.join(SCRATCH, "scan.nc"))))
def test_scan_works_or_refuses_in_one_line(argv):
    _check(argv + NO_PROGRESS)


@settings(FUZZ, max_examples=25)
@given(_argv("optimize", {**COMMON, **TWO_QUBITS, **OPTIMIZE}, prefix=("--vary", "z2=0.5um:2um", "--budget", "15")))
def test_optimize_works_or_refuses_in_one_line(argv):
    _check(argv + NO_PROGRESS)


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "-o", os.path.join(SCRATCH, "x.nc"), "--omega-ratio", "--", "0.3"],
        ["scan", "-o", os.path.join(SCRATCH, "x.nc"), "--layer", "--", "--layer", "sic:10nm"],
        ["point", "--qubit", "0,0,1um", "--qubit", "1um,0,1um", "--r1", "2um"],
    ],
    ids=["-- as a value", "--layer --", "--r1"],
)
def test_the_reported_internal_errors_now_refuse_in_one_line(argv):
    """Issue 21's list."""
    status, out, err, _ = _run(argv)
    assert status == 2 and len(err) == 1 and not out, (status, err)


QUICK_SEARCH = ("--budget", "15", "--seed", "1", "--json", "--no-progress")


@pytest.mark.parametrize(
    "argv",
    [
        ["optimize", "--layer", "sic:10nm", "--vary", "z2=1um:2um", *QUICK_SEARCH],
        ["optimize", "--substrate", "sic", "--vary", "z2=1um:2um", *QUICK_SEARCH],
    ],
    ids=["optimize --layer", "optimize --substrate"],
)
def test_the_reported_optimize_internal_errors_now_search_the_stack(argv):
    """Issue 21's list: optimize over a stack ended in TypeError; it now searches the stack (issue 20)."""
    status, out, err, _ = _run(argv)
    assert status == 0 and not err, (status, err)
    assert "point_command" in "".join(out)


SPHERES = [
    "sic:1um",
    "sic:100nm",
    "gold:500nm",
    "eps=4+0.1j:2um",
    "sio2:1um",
    "sic:0",
    "sic:-1um",
    "sic",
    ":1um",
    "sic:",
    "hbn:1um",
    "x:1um",
    "sic:1m",
    "sic:1pm",
    "vacuum:1um",
]


@pytest.mark.parametrize("sphere", SPHERES)
@pytest.mark.parametrize(
    "form",
    [
        ("point",),
        ("point", "--omega", "1e14", "--z1", "50nm"),  # a frequency where gold and sio2 are defined
        ("point", *TWO_POSITIONS, "--qubit", "0,0,-3um"),
        ("evolve", "--num", "3", "--z2", "-3um"),
    ],
    ids=["point", "point --omega", "point --qubit (opposite sides)", "evolve (opposite sides)"],
)
def test_every_sphere_value_works_or_refuses_in_one_line(form, sphere):
    """Each drawn --sphere value in every form, whether or not hypothesis happens to draw it."""
    _check([*form, "--sphere", sphere])
