"""The ``neqent`` command (also ``python -m neqent``).

Subcommands::

    neqent point   one configuration: kernels, rates, steady state, concurrence
    neqent evolve  C(t) from an initial state
    neqent scan    a small grid written to NetCDF (same format as the pipeline)
    neqent optimize  where the steady concurrence is largest (global search)

Lengths accept units (``1um``, ``250nm``, ``1e-6m``; bare numbers are metres),
temperatures are in K (``600`` or ``600K``), dipoles are three
comma-separated, possibly complex, components (``0,0,1``, ``1,1j,0``).
Defaults are the paper geometry (see :mod:`neqent.interface.api`).

Every bad input (:class:`neqent.errors.NeqentInputError`) exits with status 2 and one line on stderr,
``neqent: error: --z2: length must be > 0 ..., got '-1um'``; nothing is
printed on stdout and no output file is left behind. The computations are
those of :mod:`neqent.interface.api`; this module only parses, formats and maps errors.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys

from neqent.errors import UsageError
from neqent.interface.arguments import body_arguments, stack_arguments
from neqent.interface.formats import (
    emit,
    grating_summary,
    json_complex,
    json_matrix,
    json_number,
    json_text,
    table_cell,
    table_rows,
)
from neqent.interface.units import InputError, format_dipole, format_length

__all__ = ["main", "build_parser"]

EXIT_INPUT = 2

#: api parameter name -> command-line option (default: "--" + name).
_OPTION = {
    "omega_ratio": "--omega-ratio",
    "T_initial": "--T-initial",
    "output": "--output",
    "geometry": None,  # cross-option problems: no single option to blame
    "layers": "--layer",
    "sphere": "--sphere",
    "grating": "--grating",
    "grooves": "--grooves",
    "orders": "--orders",
    "grating_tol": "--grating-tol",
}

_DEFAULTS_HELP = (
    "defaults: the paper geometry (SiC, delta 10 nm, z1 = z2 = 1 um, r12 = 250 nm, "
    "dipoles along z, omega = 0.3 w_T, T_W = 30 K) with T_M = 600 K"
)


class _StoreValue(argparse.Action):
    """argparse's plain "store" action that also records its option strings in ``value_options``.

    Registered as the parsers' default action (public ``register``), so every
    option that takes a value is known to :func:`_join_dash_values` without
    looking at argparse's internals.
    """

    def __init__(self, option_strings, dest, value_options, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        value_options.update(option_strings)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, self.value(parser, namespace, values, option_string))

    def value(self, parser, namespace, values, option_string):
        """The option's one value; records the option as given (under every spelling, so an
        abbreviation such as ``--r1`` counts as ``--r12``)."""
        if not isinstance(values, str):
            # argparse drops a "--" value (the end-of-options marker) and hands over []
            parser.error(f"argument {option_string}: expected one value, got '--' (the end-of-options marker)")
        namespace.given = {*getattr(namespace, "given", set()), *self.option_strings}
        return values


class _AppendValue(_StoreValue):
    """Like argparse's "append" (a repeatable option, values in a list), recorded as :class:`_StoreValue`."""

    def __call__(self, parser, namespace, values, option_string=None):
        values = self.value(parser, namespace, values, option_string)
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest, None) or []), values])


class _Explicit(_StoreValue):
    """Store the value and remember that the option was given (--material/--delta vs a stack)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, self.value(parser, namespace, values, option_string))
        namespace.explicit = {*getattr(namespace, "explicit", set()), self.option_strings[0]}


class _Parser(argparse.ArgumentParser):
    """ArgumentParser that raises instead of printing usage and exiting.

    ``value_options`` collects the option strings that take a value, across
    this parser and its subcommands (they share the set).
    """

    def __init__(self, *args, value_options=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.value_options = set() if value_options is None else value_options
        # every value-taking action records its options (the default "store", "append", "explicit")
        for name, cls in (
            (None, _StoreValue),
            ("store", _StoreValue),
            ("append", _AppendValue),
            ("explicit", _Explicit),
        ):
            self.register("action", name, functools.partial(cls, value_options=self.value_options))

    def add_subparsers(self, **kwargs):
        parser_class = kwargs.pop("parser_class", type(self))
        kwargs["parser_class"] = functools.partial(parser_class, value_options=self.value_options)
        return super().add_subparsers(**kwargs)

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


# ---------------------------------------------------------------------------
# parser
# ---------------------------------------------------------------------------


def _add_common(p, scan=False):
    """Options shared by all subcommands (values parsed later, by neqent.interface.api)."""
    many = " (scan: a list a,b,c or a range start:stop:num[:log])" if scan else ""
    g = p.add_argument_group("configuration (" + _DEFAULTS_HELP + ")")
    g.add_argument(
        "--material",
        default="sic",
        action="explicit",
        help="sic, gold, vacuum, eps=<complex> or csv:<path> (default: sic)",
    )
    g.add_argument(
        "--delta", default="10nm", action="explicit", help="slab thickness, e.g. 10nm; 'inf' = half-space" + many
    )
    _add_stack(g)
    g.add_argument("--z1", default="1um", help="height of qubit 1 above the slab (> 0; --sphere: any z outside it)")
    g.add_argument(
        "--z2", default="1um", help="height of qubit 2 above the slab (> 0; --sphere: any z outside it)" + many
    )
    g.add_argument("--r12", default="250nm", help="lateral separation (>= 0)" + many)
    w = g.add_mutually_exclusive_group()
    w.add_argument("--omega", default=None, help="transition angular frequency in rad/s" + many)
    w.add_argument(
        "--omega-ratio", default="0.3", help="omega as a fraction of the material resonance w_T (default 0.3)" + many
    )
    g.add_argument("--TW", default="30K", help="wall temperature in K (default 30K)")
    g.add_argument("--TM", default="600K", help="body (slab) temperature in K (default 600K)" + many)
    if scan:
        g.add_argument(
            "--theta", default="0", help="polar angle (rad) of both dipoles in the x-z plane, 0 = along z" + many
        )
    else:
        g.add_argument("--dipole1", default="0,0,1", help="dipole of qubit 1, e.g. 0,0,1 or 1,1j,0")
        g.add_argument("--dipole2", default="0,0,1", help="dipole of qubit 2")
        from neqent.interface import cli_many  # N qubits (docs/theory.md §10)

        cli_many.add_options(g)


def _add_stack(g):
    """--layer (repeatable, top first) and --substrate: a planar stack (docs/theory.md §9)."""
    g.add_argument(
        "--layer",
        action="append",
        default=None,
        metavar="MATERIAL:THICKNESS",
        help="a stack layer, repeatable, top first, e.g. --layer sic:10nm --layer eps=2.25+0.01j:200nm "
        "(materials also hbn, sio2, silver, si:n=1e20cm-3, eps=<t>,<z>); replaces --material/--delta; "
        "scan: a thickness list sweeps it (sic:5nm,10nm,20nm)",
    )
    g.add_argument("--substrate", default=None, help="material of a semi-infinite substrate below the stack")
    g.add_argument(
        "--sphere",
        default=None,
        metavar="MATERIAL:RADIUS",
        help="a sphere as the body, e.g. sic:1um (isotropic materials as --layer; radius > 0); top at z = 0, "
        "centre (0, 0, -R); replaces --material/--delta; with --qubit any point outside it (z < 0 too)",
    )
    g.add_argument(
        "--grating",
        default=None,
        metavar="MATERIAL:PERIOD:FILL:HEIGHT",
        help="a lamellar grating as the body, e.g. sic:1um:0.5:500nm: ridges centred at x = 0, grooves along y, "
        "top at z = 0; --layer/--substrate lie below it; the pair lies along x from x = 0 (--qubit X,Y,Z: x across "
        "the grooves); replaces --material/--delta",
    )
    g.add_argument("--grooves", default=None, metavar="MATERIAL", help="groove material of --grating (default vacuum)")
    g.add_argument(
        "--orders",
        default=None,
        metavar="N",
        help="diffraction orders -N..N of --grating (default: chosen at the lowest qubit height, in the JSON)",
    )
    g.add_argument(
        "--grating-tol",
        default=None,
        metavar="TOL",
        help="target accuracy of --grating's k rule in Gamma0, in (0, 0.1] (default 1e-4, in the JSON; "
        "1e-2 is several times faster for a survey)",
    )


def _api_default(function, param):
    """Default of ``param`` of :mod:`neqent.interface.api`'s ``function`` (one source for CLI and library)."""
    import inspect

    from neqent.interface import api

    return inspect.signature(getattr(api, function)).parameters[param].default


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``neqent`` command."""
    from neqent.version import __version__

    parser = _Parser(
        prog="neqent",
        description="Entanglement of two qubits near a body out of "
        "thermal equilibrium (SI units; rates in units of Gamma0).",
    )
    parser.add_argument("--version", action="version", version=f"neqent {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{point,evolve,scan,optimize}", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "point",
        help="one configuration: kernels, rates, steady state, concurrence",
        description="Kernels, rates, steady state and concurrence of one configuration.",
    )
    _add_common(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_cmd_point)

    e = sub.add_parser(
        "evolve",
        help="concurrence C(t) from an initial state",
        description="Time evolution of the two-qubit state; times in units of 1/Gamma0.",
    )
    _add_common(e)
    e.add_argument(
        "--initial",
        default="A",
        help="A, S, E, G, thermal, or a .npy/.txt file with a 4x4 density matrix "
        "(decoupled basis |gg>,|eg>,|ge>,|ee>) (default A)",
    )
    e.add_argument("--T-initial", default=None, help="temperature of the thermal initial state (default: TW)")
    e.add_argument("--tmin", default="1e-2", help="first time, units of 1/Gamma0 (default 1e-2)")
    e.add_argument("--tmax", default=None, help="last time, units of 1/Gamma0 (default: 30 / slowest relaxation rate)")
    num = _api_default("evolve", "num")
    e.add_argument("--num", default=str(num), help=f"number of times (default {num}, as neqent.interface.api.evolve)")
    e.add_argument("--spacing", choices=("log", "linear"), default="log", help="time spacing (default log)")
    e.add_argument("--json", action="store_true", help="print JSON instead of a table")
    e.set_defaults(func=_cmd_evolve)

    s = sub.add_parser(
        "scan",
        help="steady state over a small grid, written to NetCDF",
        description="Steady state over a grid (no Snakemake); writes the pipeline's NetCDF format atomically.",
    )
    _add_common(s, scan=True)
    s.add_argument("-o", "--output", required=True, help="output NetCDF file (.nc)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_scan)
    _add_optimize(sub)
    return parser


def _add_optimize(sub):
    """The ``optimize`` subcommand: point's options, plus the search ranges and budget."""
    from neqent.interface.optimize import DEFAULT_BUDGET

    o = sub.add_parser(
        "optimize",
        help="where the steady concurrence is largest (global search)",
        description="Global search of the largest steady concurrence over the --vary ranges; everything else "
        "fixed as in 'neqent point'. Names: z1, z2, r12, delta, omega or omega-ratio, TM, TW, theta1, theta2 "
        "(rad, dipole in the x-z plane from z towards +x).",
    )
    _add_common(o)
    # None = "not given": an option may not fix a varied parameter (defaults are point's)
    o.set_defaults(**dict.fromkeys(("delta", "z1", "z2", "r12", "omega_ratio", "TW", "TM", "dipole1", "dipole2")))
    o.add_argument(
        "--vary",
        action="append",
        default=None,  # not required: --choose alone is a search too (neqent.interface.optimize checks)
        metavar="NAME=LO:HI",
        help="a parameter and its search range with point's units, e.g. z2=0.5um:2um, TM=0:2500, delta=1nm:1um "
        "(repeat for each parameter)",
    )
    o.add_argument(
        "--choose",
        action="append",
        default=None,
        metavar="NAME=A,B,C",
        help="a body parameter chosen from materials, e.g. layer1.material=sic,hbn,sio2,silver or "
        "substrate=none,sio2 (none: vacuum below); with --layer, --vary also takes layer<i>.thickness=LO:HI",
    )
    o.add_argument(
        "--method",
        default="de",
        help="search: de (differential evolution), bo (Bayesian optimisation, for slow bodies) or auto "
        "(bo when one evaluation is slow) (default de); under mpiexec the batches spread over the ranks",
    )
    o.add_argument("--batch", default=None, help="candidates per ask/tell round of bo (default 8)")
    o.add_argument("--seed", default=None, help="random seed (default: drawn and reported); same seed, same result")
    o.add_argument("--budget", default=str(DEFAULT_BUDGET), help=f"objective evaluations (default {DEFAULT_BUDGET})")
    o.add_argument("--workers", default=None, help="processes (default: 2 for large budgets; result independent)")
    o.add_argument("--no-progress", action="store_true", help="no progress bar")
    o.add_argument("--json", action="store_true", help="print JSON instead of a table")
    o.set_defaults(func=_cmd_optimize)


def _cmd_optimize(args) -> int:
    from neqent.interface.optimize import optimize, optimize_json, optimize_table

    if getattr(args, "grating", None) is not None:
        raise InputError("grating", "optimize does not take a grating yet; use point/evolve (--qubit for N qubits)")
    r = optimize(
        args.vary,
        seed=args.seed,
        budget=args.budget,
        workers=args.workers,
        progress=not args.no_progress,
        choose=args.choose,
        method=args.method,
        batch=args.batch,
        **_config_kwargs(args),
    )
    if r is not None:  # None: an MPI rank other than 0 (rank 0 prints)
        emit(json_text(optimize_json(r)) if args.json else optimize_table(r))
    return 0


def _value_options(parser) -> set:
    """Option strings that take a value, across all subcommands."""
    return parser.value_options


def _join_dash_values(argv, options):
    """``--z1 -1um`` -> ``--z1=-1um``: argparse would take ``-1um`` for an option
    and report a confusing "expected one argument"; joined, the value reaches
    our validation, which names it."""
    out, i = [], 0
    while i < len(argv):
        tok = argv[i]
        if (
            tok in options
            and i + 1 < len(argv)
            and argv[i + 1].startswith("-")
            and argv[i + 1] not in options
            and argv[i + 1] not in ("-h", "--help")
        ):
            out.append(f"{tok}={argv[i + 1]}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


# ---------------------------------------------------------------------------
# formatting helpers
# ---------------------------------------------------------------------------


def _input_json(inp: dict) -> dict:
    out = {}
    for k, v in inp.items():
        if k in ("dipole1", "dipole2"):
            out[k] = [json_complex(c) for c in v]
        elif k == "layers":  # [[material, thickness m], ...] of a stack
            out[k] = [[m, json_number(d)] for m, d in v]
        elif isinstance(v, (list, tuple)):
            out[k] = [json_number(x) for x in v]
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = json_number(v)
        else:
            out[k] = v
    return out


def point_json(r: dict) -> dict:
    """JSON-ready form of :func:`neqent.interface.api.point`'s result (complex -> [re, im]).

    Parameters
    ----------
    r : dict
        The result of ``point`` (SI, rates [Gamma0]).

    Returns
    -------
    dict
        Plain JSON values, with a ``units`` entry naming each quantity's unit.
    """
    return {
        "omega": r["omega"],
        "alpha_W": {k: json_complex(v) for k, v in r["alpha_W"].items()},
        "alpha_M": {k: json_complex(v) for k, v in r["alpha_M"].items()},
        "Lambda12": json_complex(r["Lambda12"]),
        "n_W": json_number(r["n_W"]),
        "n_M": json_number(r["n_M"]),
        "symmetric": r["symmetric"],
        **{k: json_number(r[k]) for k in ("Gamma_A", "Gamma_S", "n_A", "n_S", "T_A", "T_S")},
        "rho": json_matrix(r["rho"]),
        "concurrence": json_number(r["concurrence"]),
        "input": _input_json(r["input"]),
        "units": {
            "omega": "rad/s",
            "alpha_W": "Gamma0",
            "alpha_M": "Gamma0",
            "Lambda12": "Gamma0",
            "Gamma_A": "Gamma0",
            "Gamma_S": "Gamma0",
            "T_A": "K",
            "T_S": "K",
            "rho": "decoupled basis |gg>, |eg>, |ge>, |ee> (first letter = qubit 1)",
            "input": "SI (m, rad/s, K)",
        },
    }


def evolve_json(r: dict) -> dict:
    """JSON-ready form of :func:`neqent.interface.api.evolve`'s result.

    Parameters
    ----------
    r : dict
        The result of ``evolve`` (times [1/Gamma0]).

    Returns
    -------
    dict
        Plain JSON values with a ``units`` entry.
    """
    pops = r["populations"]
    return {
        "omega": r["omega"],
        "initial": r["initial"],
        "t": [float(x) for x in r["t"]],
        "concurrence": [json_number(x) for x in r["concurrence"]],
        "populations": {name: [float(x) for x in pops[:, i]] for i, name in enumerate("GASE")},
        "steady_concurrence": json_number(r["steady_concurrence"]),
        "rho": json_matrix(r["rho"]),
        "input": _input_json(r["input"]),
        "units": {
            "t": "1/Gamma0",
            "omega": "rad/s",
            "populations": "coupled basis G, A, S, E",
            "rho": "decoupled basis |gg>, |eg>, |ge>, |ee>",
        },
    }


def _body_row(inp: dict) -> tuple:
    """The table row of the body's size: a slab's thickness, a sphere's radius and l_max, a grating's shape."""
    lamellar = inp.get("grating")
    if lamellar is not None:
        return ("period", format_length(lamellar["period"]), grating_summary(lamellar))
    ball = inp.get("sphere")
    if ball is None:
        return ("delta", format_length(inp["delta"]), "slab thickness")
    return ("radius", format_length(ball["radius"]), f"sphere (centre 0, 0, -R), l_max {ball['l_max']}")


def _describe_input(inp: dict) -> list:
    r12 = inp["r12"]
    r12s = format_length(r12) if not isinstance(r12, list) else f"({format_length(r12[0])}, {format_length(r12[1])})"
    ratio = f"  (= {inp['omega_ratio']:.4g} w_T)" if inp.get("omega_ratio") else ""
    rows = [
        ("material", inp["material"], ""),
        _body_row(inp),
        ("z1", format_length(inp["z1"]), "height of qubit 1"),
        ("z2", format_length(inp["z2"]), "height of qubit 2"),
        ("r12", r12s, "lateral separation"),
        ("dipole1", format_dipole(inp["dipole1"]), ""),
        ("dipole2", format_dipole(inp["dipole2"]), ""),
        ("omega", f"{inp['omega']:.6g}", "rad/s" + ratio),
        ("T_W", f"{inp['TW']:g}", "K  (walls)"),
        ("T_M", f"{inp['TM']:g}", "K  (body)"),
    ]
    return ["input"] + table_rows(rows)


def point_table(r: dict) -> str:
    """Readable text of :func:`neqent.interface.api.point`'s result.

    Parameters
    ----------
    r : dict
        The result of ``point``.

    Returns
    -------
    str
        Aligned tables of the inputs [SI], kernels [Gamma0], occupations and
        channels, the steady state and its concurrence.
    """
    lines = _describe_input(r["input"])
    lines += ["", "kernels (units of Gamma0)"]
    kr = [("", "Re", "Im")]
    for name in ("alpha_W", "alpha_M"):
        for key in ("11", "22", "12"):
            z = r[name][key]
            kr.append((f"{name}^{key}", f"{z.real:+.9e}", f"{z.imag:+.9e}"))
    z = r["Lambda12"]
    kr.append(("Lambda^12", f"{z.real:+.9e}", f"{z.imag:+.9e}"))
    w0 = max(len(a) for a, _, _ in kr)
    lines += [f"  {a:<{w0}}  {b:>17}  {c:>17}" for a, b, c in kr]
    lines += ["", "occupations and symmetric channels (docs/theory.md §8)"]
    rows = [("n_W", table_cell(r["n_W"]), "occupation at T_W"), ("n_M", table_cell(r["n_M"]), "occupation at T_M")]
    if r["symmetric"]:
        ratio = r["Gamma_A"] / r["Gamma_S"] if r["Gamma_S"] else None
        rows += [
            ("Gamma_A", table_cell(r["Gamma_A"]), "Gamma0"),
            ("Gamma_S", table_cell(r["Gamma_S"]), "Gamma0"),
            ("Gamma_A/Gamma_S", table_cell(ratio), ""),
            ("n_A", table_cell(r["n_A"]), ""),
            ("n_S", table_cell(r["n_S"]), ""),
            ("T_A", table_cell(r["T_A"]), "K"),
            ("T_S", table_cell(r["T_S"]), "K"),
        ]
    else:
        rows += [("Gamma_A ... T_S", "n/a", "symmetric case does not apply (z1 != z2 or dipoles)")]
    lines += table_rows(rows)
    lines += ["", "steady state rho (decoupled basis; entries re+im j)"]
    labels = ("|gg>", "|eg>", "|ge>", "|ee>")
    lines.append("        " + "".join(f"{lab:>24}" for lab in labels))
    for lab, row in zip(labels, r["rho"]):
        cells = "".join(f"{z.real:>+12.4e}{z.imag:>+11.3e}j" for z in row)
        lines.append(f"  {lab:<6}{cells}")
    lines += ["", f"concurrence  {r['concurrence']:.6g}"]
    return "\n".join(lines)


def evolve_table(r: dict) -> str:
    """Readable text of :func:`neqent.interface.api.evolve`'s result.

    Parameters
    ----------
    r : dict
        The result of ``evolve``.

    Returns
    -------
    str
        The inputs, then C(t) and the coupled-basis populations per time [1/Gamma0].
    """
    lines = _describe_input(r["input"])
    lines += [f"  initial state  {r['initial']}", ""]
    head = f"  {'Gamma0 t':>12}  {'C(t)':>11}  {'P_G':>10}  {'P_A':>10}  {'P_S':>10}  {'P_E':>10}"
    lines.append(head)
    for t, c, p in zip(r["t"], r["concurrence"], r["populations"]):
        lines.append(f"  {t:>12.5g}  {c:>11.5g}  " + "  ".join(f"{x:>10.5g}" for x in p))
    lines += ["", f"steady-state concurrence  {r['steady_concurrence']:.6g}"]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------


def _config_kwargs(args) -> dict:
    """Arguments shared by point and evolve, as strings for neqent.interface.api to parse."""
    kw = dict(
        material=args.material,
        delta=args.delta,
        z1=args.z1,
        z2=args.z2,
        r12=args.r12,
        omega=args.omega,
        omega_ratio=args.omega_ratio,
        TW=args.TW,
        TM=args.TM,
        dipole1=args.dipole1,
        dipole2=args.dipole2,
    )
    kw.update(body_arguments(args))
    return kw


def _cmd_point(args) -> int:
    from neqent.interface import api, cli_many

    if cli_many.check_exclusive(args, args.given):
        return cli_many.run_point(args, emit, json_text)

    r = api.point(**_config_kwargs(args))
    emit(json_text(point_json(r)) if args.json else point_table(r))
    return 0


def _cmd_evolve(args) -> int:
    from neqent.interface import api, cli_many

    if cli_many.check_exclusive(args, args.given):
        return cli_many.run_evolve(args, emit)

    r = api.evolve(
        initial=args.initial,
        T_initial=args.T_initial,
        tmin=args.tmin,
        tmax=args.tmax,
        num=args.num,
        spacing=args.spacing,
        **_config_kwargs(args),
    )
    emit(json.dumps(evolve_json(r)) if args.json else evolve_table(r))
    return 0


def _scan_values(text, param):
    """A scan option: one value, a list ``a,b,c`` or a range ``start:stop:num[:log]``.

    Single values and list items stay strings (neqent.interface.api parses them with
    their units); a range returns {start, stop, num, spacing} with the
    endpoints as given, resolved by neqent.interface.api.
    """
    if text is None:
        return None
    s = text.strip()
    if ":" in s:
        parts = [p.strip() for p in s.split(":")]
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("log", "linear")):
            raise InputError(
                param, f"cannot parse range {text!r}; expected start:stop:num or start:stop:num:log, e.g. 0.5um:2um:16"
            )
        spec = {
            "start": parts[0],
            "stop": parts[1],
            "num": parts[2],
            "spacing": parts[3] if len(parts) == 4 else "linear",
        }
        return spec
    if "," in s:
        return [p.strip() for p in s.split(",")]
    return s


def _cmd_scan(args) -> int:
    from neqent.interface import api

    kw = {
        name: _scan_values(getattr(args, name), name)
        for name in ("delta", "z2", "r12", "omega", "omega_ratio", "TM", "theta")
    }
    if args.sphere is not None:
        raise InputError(
            "sphere", "scan does not take a sphere; use point/evolve/optimize, or the pipeline's geometry.sphere"
        )
    for name in ("grating", "grooves", "orders", "grating_tol"):
        if getattr(args, name, None) is not None:
            raise InputError(name, "scan does not take a grating yet; use point/evolve (--qubit for N qubits)")
    material = args.material
    stack = stack_arguments(args)
    if stack:  # layers, substrate, delta at its default; a thickness may be a list a,b,c (swept) like --delta
        material = stack.pop("material")
        stack["layers"] = [(m, _scan_values(t, "layers")) for m, t in stack["layers"]]
        kw.update(stack)
    ds = api.scan(args.output, material=material, z1=args.z1, TW=args.TW, progress=not args.no_progress, **kw)
    c = ds["C"]
    dims = " x ".join(f"{d} {n}" for d, n in c.sizes.items())
    emit(f"wrote {args.output}  (steady concurrence C over {dims}; max C = {float(c.max()):.6g})")
    return 0


# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------


def _error(message: str) -> int:
    sys.stderr.write(f"neqent: error: {message}\n")
    sys.stderr.flush()
    return EXIT_INPUT


def main(argv=None) -> int:
    """Run the ``neqent`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 for any bad input (one line on stderr),
        1 for an unexpected internal error (set ``NEQENT_TRACEBACK=1`` to see
        it), 130 on Ctrl-C.
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    argv = _join_dash_values(argv, _value_options(parser))
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return _error(str(exc))
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    # options typed, not defaulted: the values' actions record theirs (abbreviations resolved), flags by token
    args.given = getattr(args, "given", set()) | {tok.split("=", 1)[0] for tok in argv if tok.startswith("--")}
    try:
        return args.func(args)
    except InputError as exc:
        option = _OPTION.get(exc.param, "--" + exc.param)
        return _error(f"{option}: {exc.detail}" if option else exc.detail)
    except ValueError as exc:  # NeqentInputError without an argument name (or a plain library ValueError)
        return _error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except KeyboardInterrupt:
        sys.stderr.write("neqent: interrupted\n")
        return 130
    except BrokenPipeError:  # e.g. `neqent evolve | head`: stop quietly
        try:  # keep the interpreter's final flush from failing again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except Exception as exc:  # pragma: no cover - a bug, not bad input
        if os.environ.get("NEQENT_TRACEBACK"):
            raise
        sys.stderr.write(
            f"neqent: internal error: {type(exc).__name__}: {exc} (set NEQENT_TRACEBACK=1 for the traceback)\n"
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
