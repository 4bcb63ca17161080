"""``neqent point`` / ``neqent evolve`` with ``--qubit`` (N qubits, docs/theory.md §10): options and output.

Called by :mod:`neqent.interface.cli` when ``--qubit`` is given; the
computations are :func:`neqent.interface.many.point_n` and
:func:`neqent.interface.many.evolve_n`. JSON: complex numbers as ``[re, im]``,
matrices as nested lists; ``rho`` in the basis of §10 (qubit 1 the least
significant bit).
"""

from __future__ import annotations

import json

from neqent.interface.arguments import body_arguments
from neqent.interface.formats import grating_summary, json_complex, json_matrix, json_number
from neqent.interface.units import InputError, format_dipole, format_length

__all__ = ["add_options", "run_point", "run_evolve", "point_n_json", "evolve_n_json", "TWO_QUBIT_OPTIONS"]

#: options of the two-qubit geometry, mutually exclusive with --qubit
TWO_QUBIT_OPTIONS = ("--z1", "--z2", "--r12", "--dipole1", "--dipole2")


def add_options(group):
    """Add --qubit (repeatable; x,y,z [m] or with units) and --dipole (once or once per qubit).

    Parameters
    ----------
    group : argparse.ArgumentParser or argument group
        Where the options are added.
    """
    group.add_argument(
        "--qubit",
        action="append",
        default=None,
        metavar="X,Y,Z",
        help="position of one qubit (lengths with units, z > 0 above a planar body, anywhere outside a "
        "--sphere); repeat for N qubits "
        "(2..10; evolve: 2..6); excludes --z1 --z2 --r12 --dipole1 --dipole2. With --qubit, evolve's "
        "--initial is G, E, S (W state), A ((|e_1> - |e_2>)/sqrt2), thermal, N letters g/e (qubit 1 first) "
        "or a file with a 2^N x 2^N matrix",
    )
    group.add_argument(
        "--dipole",
        action="append",
        default=None,
        metavar="DX,DY,DZ",
        help="with --qubit: one dipole for all qubits, or one per qubit in order (default 0,0,1)",
    )


def check_exclusive(args, given):
    """Whether the N-qubit path applies; InputError for a mixed command line.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command line.
    given : set of str
        Options given explicitly on the command line.

    Returns
    -------
    bool
        True if ``--qubit`` was given (and no two-qubit option).
    """
    if args.qubit is None:
        if args.dipole is not None:
            raise InputError("dipole", "needs --qubit (for two qubits use --dipole1/--dipole2)")
        return False
    both = [o for o in TWO_QUBIT_OPTIONS if o in given]
    if both:
        raise InputError(
            "qubit",
            f"--qubit and {both[0]} are mutually exclusive (give positions with --qubit, or the two-qubit options)",
        )
    return True


def _common(args):
    kw = dict(
        qubits=args.qubit,
        dipoles=args.dipole if args.dipole is not None else ["0,0,1"],
        material=args.material,
        delta=args.delta,
        omega=args.omega,
        omega_ratio=args.omega_ratio,
        TW=args.TW,
        TM=args.TM,
    )
    kw.update(body_arguments(args))  # the body: a planar stack or a sphere instead of material/delta
    return kw


def _input_json(inp):
    out = dict(inp)
    out["dipoles"] = [[json_complex(c) for c in d] for d in inp["dipoles"]]
    return {k: (json_number(v) if isinstance(v, float) else v) for k, v in out.items()}


_UNITS = {
    "omega": "rad/s",
    "alpha_W": "Gamma0",
    "alpha_M": "Gamma0",
    "Lambda": "Gamma0",
    "Gamma_plus": "Gamma0",
    "Gamma_minus": "Gamma0",
    "rho": "basis index sum_k e_k 2^(k-1): qubit 1 = least significant bit (docs/theory.md §10)",
    "log_negativity": "base 2; cut 'A|B' = qubits A versus qubits B",
    "input": "SI (m, rad/s, K)",
}


def point_n_json(r):
    """JSON-ready form of :func:`neqent.interface.many.point_n`'s result.

    Parameters
    ----------
    r : dict
        Result of :func:`neqent.interface.many.point_n`.

    Returns
    -------
    dict
        JSON-serialisable values (SI units; rates [Gamma0], times [1/Gamma0]; complex as [re, im]).
    """
    out = {"omega": r["omega"], "n_qubits": r["n_qubits"]}
    for key in ("alpha_W", "alpha_M", "Lambda", "Gamma_plus", "Gamma_minus"):
        out[key] = json_matrix(r[key])
    out.update(
        n_W=json_number(r["n_W"]),
        n_M=json_number(r["n_M"]),
        rho=json_matrix(r["rho"]),
        populations=[float(p) for p in r["populations"]],
        concurrence_pairs={k: json_number(v) for k, v in r["concurrence_pairs"].items()},
        log_negativity={k: json_number(v) for k, v in r["log_negativity"].items()},
    )
    if "concurrence" in r:
        out["concurrence"] = json_number(r["concurrence"])
    out["input"] = _input_json(r["input"])
    out["units"] = _UNITS
    return out


def evolve_n_json(r):
    """JSON-ready form of :func:`neqent.interface.many.evolve_n`'s result.

    Parameters
    ----------
    r : dict
        Result of :func:`neqent.interface.many.evolve_n`.

    Returns
    -------
    dict
        JSON-serialisable values (SI units; rates [Gamma0], times [1/Gamma0]; complex as [re, im]).
    """
    return {
        "omega": r["omega"],
        "n_qubits": r["n_qubits"],
        "initial": r["initial"],
        "t": [float(x) for x in r["t"]],
        "populations": [[float(p) for p in row] for row in r["populations"]],
        "concurrence_pairs": {k: [json_number(x) for x in v] for k, v in r["concurrence_pairs"].items()},
        "log_negativity": {k: [json_number(x) for x in v] for k, v in r["log_negativity"].items()},
        "steady_concurrence_pairs": {k: json_number(v) for k, v in r["steady_concurrence_pairs"].items()},
        "rho": json_matrix(r["rho"]),
        "input": _input_json(r["input"]),
        "units": {**_UNITS, "t": "1/Gamma0"},
    }


def _describe(inp):
    ball, lamellar = inp.get("sphere"), inp.get("grating")
    if lamellar is not None:
        size = f"  period    {format_length(lamellar['period'])}  ({grating_summary(lamellar)})"
    elif ball is not None:
        size = f"  radius    {format_length(ball['radius'])}  (sphere, centre 0, 0, -R; l_max {ball['l_max']})"
    else:
        size = f"  delta     {format_length(inp['delta'])}"
    lines = ["input", f"  material  {inp['material']}", size]
    for q, (p, d) in enumerate(zip(inp["qubits"], inp["dipoles"])):
        where = ", ".join(format_length(c) if c else "0" for c in p)
        lines.append(f"  qubit {q + 1:<2} ({where})  dipole {format_dipole(d)}")
    lines.append(f"  omega     {inp['omega']:.6g} rad/s   T_W {inp['TW']:g} K   T_M {inp['TM']:g} K")
    return lines


def point_n_table(r):
    """Readable text of :func:`neqent.interface.many.point_n`'s result.

    Parameters
    ----------
    r : dict
        Result of :func:`neqent.interface.many.point_n`.

    Returns
    -------
    str
        The text, with units (rates [Gamma0], times [1/Gamma0]).
    """
    n = r["n_qubits"]
    lines = _describe(r["input"])
    lines += ["", f"rates (units of Gamma0), n_W = {r['n_W']:.6g}, n_M = {r['n_M']:.6g}"]
    for name in ("Gamma_plus", "Gamma_minus", "Lambda"):
        lines.append(f"  {name}")
        for row in r[name]:
            lines.append("    " + "  ".join(f"{z.real:+.4e}{z.imag:+.2e}j" for z in row))
    lines += ["", f"steady state of {n} qubits: populations (basis index, qubit 1 = least significant bit)"]
    lines += [
        f"  {i:>4}  {''.join('e' if (i >> q) & 1 else 'g' for q in range(n))}  {p:.6g}"
        for i, p in enumerate(r["populations"])
    ]
    lines += ["", "pairwise concurrence"] + [f"  {k:<6} {v:.6g}" for k, v in r["concurrence_pairs"].items()]
    lines += ["", "log negativity (base 2)"] + [f"  {k:<12} {v:.6g}" for k, v in r["log_negativity"].items()]
    return "\n".join(lines)


def evolve_n_table(r):
    """Readable text of :func:`neqent.interface.many.evolve_n`'s result.

    Parameters
    ----------
    r : dict
        Result of :func:`neqent.interface.many.evolve_n`.

    Returns
    -------
    str
        The text, with units (rates [Gamma0], times [1/Gamma0]).
    """
    lines = _describe(r["input"]) + [f"  initial state  {r['initial']}", ""]
    pairs = list(r["concurrence_pairs"])
    lines.append(f"  {'Gamma0 t':>12}  " + "  ".join(f"{'C ' + p:>9}" for p in pairs))
    for i, t in enumerate(r["t"]):
        lines.append(f"  {t:>12.5g}  " + "  ".join(f"{r['concurrence_pairs'][p][i]:>9.4g}" for p in pairs))
    lines += [
        "",
        "steady-state pairwise concurrence  "
        + ", ".join(f"{k}: {v:.4g}" for k, v in r["steady_concurrence_pairs"].items()),
    ]
    return "\n".join(lines)


def run_point(args, emit, dumps):
    """Run ``neqent point --qubit ...``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command line (lengths [m], temperatures [K], omega [rad/s]).
    emit : callable
        Prints the output text.
    dumps : callable
        JSON serialiser.

    Returns
    -------
    int
        Exit status 0.
    """
    from neqent.interface.many import point_n

    r = point_n(**_common(args))
    emit(dumps(point_n_json(r)) if args.json else point_n_table(r))
    return 0


def run_evolve(args, emit):
    """Run ``neqent evolve --qubit ...``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command line (lengths [m], temperatures [K], times [1/Gamma0]).
    emit : callable
        Prints the output text.

    Returns
    -------
    int
        Exit status 0.
    """
    from neqent.interface.many import evolve_n

    r = evolve_n(
        initial=args.initial,
        T_initial=args.T_initial,
        tmin=args.tmin,
        tmax=args.tmax,
        num=args.num,
        spacing=args.spacing,
        **_common(args),
    )
    emit(json.dumps(evolve_n_json(r)) if args.json else evolve_n_table(r))
    return 0
