"""Formatting shared by the command-line modules: JSON values, aligned tables, output.

:mod:`neqent.interface.cli` (two qubits, scan, optimize) and
:mod:`neqent.interface.cli_many` (N qubits) both format results with these
helpers, so neither imports the other's internals.
"""

from __future__ import annotations

import json
import math
import re
import sys

__all__ = [
    "json_complex",
    "json_number",
    "json_matrix",
    "json_text",
    "table_rows",
    "table_cell",
    "emit",
    "grating_summary",
]


def json_complex(z) -> list:
    """A complex number as ``[re, im]`` (JSON has no complex numbers).

    Parameters
    ----------
    z : complex
        The number [any unit].

    Returns
    -------
    list of float
        ``[z.real, z.imag]``.
    """
    z = complex(z)
    return [z.real, z.imag]


def json_number(x):
    """A float for JSON; NaN, inf and None become null.

    Parameters
    ----------
    x : float or None
        The number [any unit].

    Returns
    -------
    float or None
    """
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def json_matrix(m) -> list:
    """A complex array as nested lists of ``[re, im]``.

    Parameters
    ----------
    m : array_like, shape (..., n, n), complex
        E.g. a density matrix [1].

    Returns
    -------
    list
        Nested lists, innermost ``[re, im]``.
    """
    import numpy as np

    m = np.asarray(m)
    if m.ndim == 0:
        return json_complex(m)
    return [json_matrix(row) for row in m]


def table_rows(rows, indent="  "):
    """Aligned ``label  value  unit`` lines.

    Parameters
    ----------
    rows : sequence of (str, str, str)
        Label, value (right-aligned) and unit or comment of each row.
    indent : str
        Prefix of every line.

    Returns
    -------
    list of str
    """
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return [f"{indent}{a:<{w0}}  {b:>{w1}}  {c}".rstrip() for a, b, c in rows]


def table_cell(x, spec=".6g"):
    """``x`` formatted with ``spec``, ``-`` for None (a quantity that does not apply).

    Parameters
    ----------
    x : float or None
        The value [any unit].
    spec : str
        Format specification.

    Returns
    -------
    str
    """
    return "-" if x is None else format(x, spec)


def json_text(obj) -> str:
    """Indented JSON with innermost lists (e.g. ``[re, im]``) kept on one line.

    Parameters
    ----------
    obj : object
        JSON-able values.

    Returns
    -------
    str
    """
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)


def emit(text: str):
    """Write ``text`` and a newline to stdout, flushed (the commands' only output).

    Parameters
    ----------
    text : str
        What to print.
    """
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def grating_summary(desc: dict) -> str:
    """One table line of a grating's ``input["grating"]``: fill, height, grooves, orders and accuracy.

    Parameters
    ----------
    desc : dict
        The grating's describe() with ``orders`` and ``accuracy`` (docs/theory.md §12).

    Returns
    -------
    str
        E.g. ``grating f 0.5, h 5e-07 m, grooves vacuum, orders 8, k rule tol 1e-05 (21000 k points)``.
    """
    text = f"grating f {desc['fill']:g}, h {desc['height']:g} m, grooves {desc['grooves']}"
    if desc.get("below"):
        text += ", on a stack"
    if desc.get("orders") is not None:
        text += f", orders {desc['orders']}"
    acc = desc.get("accuracy")
    if acc:
        text += f", k rule tol {acc['tol']:g} ({acc['k_points']} k points)"
    return text
