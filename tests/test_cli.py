"""The ``neqent`` command: bad input handling (exit 2, one stderr line, no
output file) and physics-level content of point / evolve / scan output.

Most cases run in-process through ``main([...])``; a few run the real
console script / ``python -m neqent`` in a subprocess.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from neqent.interface.cli import main


def run(capsys, *argv):
    """main(argv) -> (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_input_error(code, out, err, option, *fragments):
    """Exit 2, nothing on stdout, exactly one stderr line naming option and value."""
    assert code == 2, err
    assert out == ""
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    prefix = f"neqent: error: {option}: " if option else "neqent: error: "
    assert lines[0].startswith(prefix), lines[0]
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], (f, lines[0])


# ---------------------------------------------------------------------------
# bad input: every case exits 2 with one line naming the option and the value.
# These fail during validation, before any kernel is computed (fast).
# ---------------------------------------------------------------------------

BAD_POINT = [
    (["--z1", "abc"], "--z1", "'abc'", "um"),
    (["--z2", "1 parsec"], "--z2", "'1 parsec'"),
    (["--z2", "-1um"], "--z2", "'-1um'", "> 0", "above the slab"),
    (["--z1", "0"], "--z1", "'0'", "> 0"),
    (["--z1=0nm"], "--z1", "'0nm'"),
    (["--delta", "0"], "--delta", "'0'", "> 0"),
    (["--delta", "-10nm"], "--delta", "'-10nm'"),
    (["--r12", "-1nm"], "--r12", "'-1nm'", ">= 0"),
    (["--r12", "nan"], "--r12", "'nan'", "finite"),
    (["--z1", "inf"], "--z1", "'inf'", "finite"),
    (["--TM", "-5"], "--TM", "'-5'", ">= 0 K"),
    (["--TW", "-1K"], "--TW", "'-1K'", ">= 0 K"),
    (["--TW", "warm"], "--TW", "'warm'"),
    (["--TM", "nan"], "--TM", "'nan'", "finite"),
    (["--TM", "1e400"], "--TM", "'1e400'", "finite"),
    (["--omega", "0"], "--omega", "'0'", "> 0", "rad/s"),
    (["--omega", "inf"], "--omega", "'inf'", "finite"),
    (["--omega", "fast"], "--omega", "'fast'"),
    (["--omega-ratio", "-0.3"], "--omega-ratio", "'-0.3'", "> 0"),
    (["--dipole1", "0,0,0"], "--dipole1", "'0,0,0'", "non-zero"),
    (["--dipole2", "1,2"], "--dipole2", "'1,2'", "three comma-separated"),
    (["--dipole2", "1,nan,0"], "--dipole2", "'1,nan,0'", "finite"),
    (["--material", "unobtainium"], "--material", "'unobtainium'", "sic"),
    (["--material", "csv:/no/such/file.csv"], "--material", "/no/such/file.csv", "not found"),
    (["--material", "eps=4+0.1j"], "--omega-ratio", "no resonance", "omega"),
    (["--z1", "1um", "--z2", "1000nm", "--r12", "0"], "--r12", "coincide"),
]


def _cases(table):
    """(args, option, *fragments) rows -> parametrize arguments with readable ids."""
    return dict(argvalues=[(c[0], c[1], c[2:]) for c in table], ids=[" ".join(c[0]) for c in table])


@pytest.mark.parametrize("args, option, fragments", **_cases(BAD_POINT))
def test_point_bad_input(capsys, args, option, fragments):
    assert_input_error(*run(capsys, "point", *args), option, *fragments)


def test_bad_input_with_json_prints_nothing_on_stdout(capsys):
    assert_input_error(*run(capsys, "point", "--json", "--z2", "-1um"), "--z2", "'-1um'")


def test_tabulated_material_out_of_range(capsys, tmp_path):
    csv = tmp_path / "eps.csv"
    csv.write_text("omega, re, im\n1e13, 2.0, 0.1\n2e13, 3.0, 0.2\n")
    code, out, err = run(capsys, "point", "--material", f"csv:{csv}", "--omega", "5e13")
    assert_input_error(code, out, err, "--omega", "outside the tabulated range")


@pytest.mark.parametrize(
    "args, option, fragments",
    [
        (["--foo"], None, ["unrecognized arguments: --foo"]),
        (["--z1"], None, ["--z1", "expected one argument"]),
        (["--omega", "1e14", "--omega-ratio", "0.3"], None, ["not allowed with"]),
    ],
)
def test_usage_errors_are_one_line(capsys, args, option, fragments):
    assert_input_error(*run(capsys, "point", *args), option, *fragments)


def test_no_subcommand(capsys):
    assert_input_error(*run(capsys), None, "required")


BAD_EVOLVE = [
    (["--initial", "X"], "--initial", "'X'", "A, S, E, G, thermal"),
    (["--initial", "/no/such/state.npy"], "--initial", "/no/such/state.npy"),
    (["--num", "1"], "--num", "'1'", ">= 2"),
    (["--num", "ten"], "--num", "'ten'"),
    (["--tmin", "0"], "--tmin", "log spacing"),
    (["--tmin", "-1", "--spacing", "linear"], "--tmin", "'-1'"),
    (["--tmin", "10", "--tmax", "1"], "--tmax", "'1'", "> 10"),
    (["--tmax", "inf"], "--tmax", "'inf'", "finite"),
    (["--initial", "thermal", "--T-initial", "-3"], "--T-initial", "'-3'", ">= 0 K"),
]


@pytest.mark.parametrize("args, option, fragments", **_cases(BAD_EVOLVE))
def test_evolve_bad_input(capsys, args, option, fragments):
    assert_input_error(*run(capsys, "evolve", *args), option, *fragments)


@pytest.mark.parametrize(
    "content, fragment",
    [
        (np.eye(3) / 3, "4x4"),
        (np.eye(4) / 2, "trace 1"),
        (np.diag([1.5, -0.5, 0, 0]), "positive semidefinite"),
        (np.array([[0.5, 1, 0, 0], [0, 0.5, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]), "Hermitian"),
    ],
)
def test_evolve_bad_matrix_file(capsys, tmp_path, content, fragment):
    path = tmp_path / "rho0.npy"
    np.save(path, content)
    assert_input_error(*run(capsys, "evolve", "--initial", str(path)), "--initial", fragment)


def test_evolve_unreadable_text_file(capsys, tmp_path):
    path = tmp_path / "rho0.txt"
    path.write_text("this is not a matrix\n")
    assert_input_error(*run(capsys, "evolve", "--initial", str(path)), "--initial", "cannot read")


def _listing(directory):
    return sorted(os.listdir(directory))


@pytest.mark.parametrize(
    "args, option, fragments",
    [
        (["--z2", "0.5um:2um"], "--z2", ["cannot parse range"]),
        (["--z2", "0.5um:2um:4:cubic"], "--z2", ["cannot parse range"]),
        (["--z2", "0:2um:4"], "--z2", ["'0'", "> 0"]),
        (["--TM", "0:-100:3"], "--TM", ["'-100'"]),
        (["--TM", "100,100"], "--TM", ["distinct"]),
        (["--r12", "0:1um:3:log"], "--r12", ["log range"]),
        (["--z2", "1um,abc"], "--z2", ["'abc'"]),
        (["--theta", "0,nan"], "--theta", ["finite"]),
        (["--r12", "0", "--z2", "0.5um:2um:4"], "--r12", ["coincide"]),
        (["--material", "nope"], "--material", ["'nope'"]),
    ],
)
def test_scan_bad_input_leaves_no_file(capsys, tmp_path, args, option, fragments):
    out = tmp_path / "scan.nc"
    assert_input_error(*run(capsys, "scan", "-o", str(out), "--no-progress", *args), option, *fragments)
    assert _listing(tmp_path) == []


def test_scan_tabulated_material_out_of_range(capsys, tmp_path):
    csv = tmp_path / "eps.csv"
    csv.write_text("omega, re, im\n1e13, 2.0, 0.1\n2e13, 3.0, 0.2\n")
    out = tmp_path / "scan.nc"
    assert_input_error(
        *run(capsys, "scan", "-o", str(out), "--material", f"csv:{csv}", "--omega", "1.5e13,5e13"),
        "--omega",
        "5e+13",
        "tabulated range",
    )
    assert _listing(tmp_path) == ["eps.csv"]


def test_scan_bad_output_path(capsys, tmp_path):
    assert_input_error(*run(capsys, "scan", "-o", str(tmp_path / "missing" / "x.nc")), "--output", "does not exist")
    assert_input_error(*run(capsys, "scan", "-o", str(tmp_path / "x.txt")), "--output", ".nc")
    assert _listing(tmp_path) == []


def test_scan_failure_during_computation_leaves_no_file(capsys, tmp_path, monkeypatch):
    """An error after validation (here injected into the steady-state stage)
    still gives exit 2 and one line, and no file (complete or partial)."""
    import neqent.pipeline.stages as sweep
    from neqent.dynamics.master import DegenerateSteadyStateError

    def broken(rates_ds):
        raise DegenerateSteadyStateError(np.ones(1, bool), np.zeros(1), 1e-12)

    monkeypatch.setattr(sweep, "steady_grid", broken)
    code, out, err = run(capsys, "scan", "-o", str(tmp_path / "s.nc"), "--no-progress", "--TM", "300,600")
    assert_input_error(code, out, err, None, "not unique")
    assert _listing(tmp_path) == []


# ---------------------------------------------------------------------------
# subprocess: the installed console script and python -m
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cmd", [["neqent"], [sys.executable, "-m", "neqent"]])
def test_subprocess_bad_input(cmd, tmp_path):
    r = subprocess.run(cmd + ["point", "--z2", "-1um"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.strip().splitlines() == [
        "neqent: error: --z2: length must be > 0 (the qubit must sit above the slab surface, z > 0), got '-1um'"
    ]


def test_subprocess_scan_bad_input_leaves_no_file(tmp_path):
    out = tmp_path / "s.nc"
    r = subprocess.run(
        ["neqent", "scan", "-o", str(out), "--TM", "0:-1:3"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert _listing(tmp_path) == []


def test_help_and_version(capsys):
    import neqent

    code, out, _ = run(capsys, "--version")
    assert code == 0 and neqent.__version__ in out
    for sub in ("point", "evolve", "scan"):
        code, out, _ = run(capsys, sub, "--help")
        assert code == 0 and "--z1" in out


# ---------------------------------------------------------------------------
# physics content (computes kernels; each configuration once per module)
# ---------------------------------------------------------------------------


def _point_json(capsys, *args):
    code, out, err = run(capsys, "point", "--json", *args)
    assert code == 0, err
    return json.loads(out)


def _rho(js):
    return np.array([[complex(*c) for c in row] for row in js["rho"]])


def test_point_json_physics(capsys):
    from neqent.dynamics.analytic import symmetric_concurrence
    from neqent.dynamics.entanglement import concurrence
    from neqent.dynamics.rates import effective_temperature, occupation
    from neqent.electrodynamics.materials import SIC

    js = _point_json(capsys, "--TM", "600K", "--z1", "1um", "--z2", "1000nm", "--r12", "0.25um")
    keys = {
        "omega",
        "alpha_W",
        "alpha_M",
        "Lambda12",
        "n_W",
        "n_M",
        "Gamma_A",
        "Gamma_S",
        "n_A",
        "n_S",
        "T_A",
        "T_S",
        "rho",
        "concurrence",
    }
    assert keys <= set(js)
    assert js["omega"] == pytest.approx(0.3 * SIC.resonance, rel=1e-15)
    for name in ("alpha_W", "alpha_M"):
        assert set(js[name]) == {"11", "22", "12"}
        assert all(len(v) == 2 for v in js[name].values())
    assert js["n_W"] == pytest.approx(occupation(js["omega"], 30.0), rel=1e-14)
    assert js["n_M"] == pytest.approx(occupation(js["omega"], 600.0), rel=1e-14)
    rho = _rho(js)
    np.testing.assert_allclose(rho, rho.conj().T, atol=1e-14)
    assert np.trace(rho).real == pytest.approx(1.0, abs=1e-12)
    assert js["concurrence"] == pytest.approx(float(concurrence(rho)), abs=1e-12)
    # symmetric case (z1 = z2 written with different units): channels present,
    # effective temperatures invert the occupations, and the full master
    # equation agrees with the analytic formula of docs/theory.md §8.
    assert js["symmetric"] is True
    assert js["T_A"] is not None and js["T_S"] is not None
    assert js["T_S"] == pytest.approx(float(effective_temperature(js["omega"], js["n_S"])), rel=1e-12)
    assert occupation(js["omega"], js["T_A"]) == pytest.approx(js["n_A"], rel=1e-9)
    ratio = js["Gamma_A"] / js["Gamma_S"]
    c_an = float(symmetric_concurrence(ratio, js["n_A"], js["n_S"]))
    assert js["concurrence"] == pytest.approx(c_an, rel=1e-6, abs=1e-12)
    assert js["concurrence"] > 0  # hot body at 600 K: entangled steady state


def test_point_asymmetric_has_null_channels(capsys):
    js = _point_json(capsys, "--z2", "1.2um", "--TM", "600")
    assert js["symmetric"] is False
    for key in ("Gamma_A", "Gamma_S", "n_A", "n_S", "T_A", "T_S"):
        assert js[key] is None
    assert js["alpha_W"]["11"] != js["alpha_W"]["22"]


def test_negative_components_are_values_not_options(capsys):
    """``--dipole1 -1,0,0`` must reach the parser as a value (argparse would
    take a leading '-' for an option)."""
    js = _point_json(capsys, "--dipole1", "-1,0,0", "--dipole2", "1,0,0", "--TM", "600")
    assert js["input"]["dipole1"] == [[-1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    # an overall sign of one dipole flips alpha^12 but not alpha^11 (a phase of d1)
    ref = _point_json(capsys, "--dipole1", "1,0,0", "--dipole2", "1,0,0", "--TM", "600")
    assert js["alpha_W"]["11"] == ref["alpha_W"]["11"]
    assert js["alpha_W"]["12"][0] == pytest.approx(-ref["alpha_W"]["12"][0], rel=1e-12)


def test_point_equilibrium_is_unentangled(capsys):
    """T_W = T_M: the steady state is thermal (docs/theory.md §8) and C = 0."""
    from neqent.dynamics.rates import occupation

    js = _point_json(capsys, "--TW", "300", "--TM", "300K")
    n = occupation(js["omega"], 300.0)
    expected = np.array([(1 + n) ** 2, n * (1 + n), n * (1 + n), n**2]) / (1 + 2 * n) ** 2
    np.testing.assert_allclose(np.diag(_rho(js)).real, expected, rtol=1e-7, atol=1e-12)
    assert js["concurrence"] == 0.0
    assert js["T_A"] == pytest.approx(300.0, rel=1e-7)


def test_point_table(capsys):
    code, out, err = run(capsys, "point", "--TM", "600K")
    assert code == 0, err
    for text in ("rad/s", "K", "Gamma0", "alpha_W^11", "Lambda^12", "concurrence", "|gg>", "250 nm"):
        assert text in out
    js = _point_json(capsys, "--TM", "600K")
    assert out.strip().splitlines()[-1].split()[-1] == f"{js['concurrence']:.6g}"


def test_evolve_json(capsys, tmp_path):
    from neqent.dynamics.master import initial_state

    # default tmax: 30 / slowest relaxation rate, so the last point is relaxed
    code, out, err = run(capsys, "evolve", "--json", "--initial", "A", "--tmin", "1e-6", "--num", "8")
    assert code == 0, err
    js = json.loads(out)
    t = np.array(js["t"])
    assert len(t) == 8 and t[0] == pytest.approx(1e-6)
    np.testing.assert_allclose(np.diff(np.log(t)), np.log(t[-1] / t[0]) / 7, rtol=1e-10)
    C = np.array(js["concurrence"])
    assert C[0] == pytest.approx(1.0, abs=1e-4)  # |A> is maximally entangled
    assert C[-1] == pytest.approx(js["steady_concurrence"], abs=1e-8)  # relaxed
    assert C[len(C) // 2] != pytest.approx(js["steady_concurrence"], abs=1e-3)  # not trivially
    assert np.all((C >= 0) & (C <= 1 + 1e-12))
    pops = np.array([js["populations"][k] for k in "GASE"])
    np.testing.assert_allclose(pops.sum(axis=0), 1.0, atol=1e-10)
    # the same state from a .npy file and from a text file gives the same C(t)
    np.save(tmp_path / "a.npy", initial_state("A"))
    np.savetxt(tmp_path / "a.txt", initial_state("A"))
    for f in ("a.npy", "a.txt"):
        code, out2, err = run(
            capsys, "evolve", "--json", "--initial", str(tmp_path / f), "--tmin", "1e-6", "--num", "8"
        )
        assert code == 0, err
        np.testing.assert_allclose(json.loads(out2)["concurrence"], C, atol=1e-12)


def test_evolve_table_thermal(capsys):
    code, out, err = run(
        capsys, "evolve", "--initial", "thermal", "--num", "3", "--spacing", "linear", "--tmin", "0", "--tmax", "10"
    )
    assert code == 0, err
    assert "thermal(30 K)" in out and "Gamma0 t" in out
    rows = [l.split() for l in out.splitlines() if l.strip() and l.split()[0] in ("0", "5", "10")]
    assert len(rows) == 3
    assert float(rows[0][1]) == 0.0  # a product thermal state is not entangled


def test_scan_writes_pipeline_format(capsys, tmp_path):
    from neqent.pipeline.io import read_dataset

    path = tmp_path / "scan.nc"
    code, out, err = run(capsys, "scan", "-o", str(path), "--no-progress", "--z2", "1um,1.2um", "--TM", "0,600K")
    assert code == 0, err
    assert str(path) in out
    assert _listing(tmp_path) == ["scan.nc"]  # no temporary files left
    ds = read_dataset(path)
    assert ds["C"].dims == ("z2", "T_M")
    assert ds["alpha_W"].dims == ("z2", "q", "qp")
    assert "config" in ds.attrs
    # same numbers as `neqent point` at a grid point
    js = _point_json(capsys, "--z2", "1.2um", "--TM", "600")
    c = float(ds["C"].sel(z2=1.2e-6, T_M=600.0))
    assert c == pytest.approx(js["concurrence"], rel=1e-9, abs=1e-14)
    aw = complex(ds["alpha_W"].sel(z2=1.2e-6, q=1, qp=2))
    assert aw == pytest.approx(complex(*js["alpha_W"]["12"]), rel=1e-12)


def test_evolve_num_default_is_the_api_default():
    """One default for `neqent evolve --num` and neqent.interface.api.evolve(num=...)."""
    import inspect

    from neqent.interface import api
    from neqent.interface.cli import build_parser

    args = build_parser().parse_args(["evolve"])
    assert int(args.num) == inspect.signature(api.evolve).parameters["num"].default
