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


def _reim(z) -> list:
    """Complex -> [re, im] (JSON has no complex numbers)."""
    z = complex(z)
    return [z.real, z.imag]


def _num(x):
    """Float for JSON; NaN/inf and None -> null."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _matrix(m) -> list:
    """(..., n, n) complex array -> nested lists of [re, im]."""
    import numpy as np

    m = np.asarray(m)
    if m.ndim == 0:
        return _reim(m)
    return [_matrix(row) for row in m]


def _rows(rows, indent="  "):
    """Aligned 'label  value  unit' lines."""
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return [f"{indent}{a:<{w0}}  {b:>{w1}}  {c}".rstrip() for a, b, c in rows]


def _fmt(x, spec=".6g"):
    return "-" if x is None else format(x, spec)


def _dumps(obj) -> str:
    """Indented JSON with innermost lists (e.g. [re, im]) kept on one line."""
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)


def _emit(text: str):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
