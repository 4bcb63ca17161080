"""The figures' common style: matplotlib (Agg), atomic PNG + PDF saving, units and axis labels.

Every figure of the pipeline (:mod:`neqent.pipeline.plotting` and the extras'
figures in :mod:`neqent.pipeline.extras`) draws with :func:`pyplot` and writes
with :func:`save`; lengths are plotted in micrometres (:data:`UM`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from neqent.pipeline.body import thickness_index

__all__ = ["UM", "pyplot", "save", "edges", "dpi_type", "axis_label"]


#: Lengths are plotted in micrometres: one plotted unit [m].
UM = 1e-6


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, base, dpi=150):
    """Write ``fig`` to ``<base>.png`` and ``<base>.pdf`` atomically and close it.

    Each file is saved to a temporary name in the target directory and moved
    into place, so an interrupted run never leaves a truncated figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF paths.
    """
    plt = pyplot()
    base = Path(base)
    if base.suffix in (".png", ".pdf"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "pdf"):
        path = base.parent / f"{base.name}.{ext}"
        tmp = base.parent / f".{base.name}.{os.getpid()}.tmp.{ext}"
        try:
            fig.savefig(tmp, dpi=dpi, format=ext, bbox_inches="tight")
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        paths.append(path)
    plt.close(fig)
    return paths


def edges(x, log=False):
    """Cell edges for pcolormesh from cell centres (linear or log midpoints)."""
    x = np.asarray(x, float)
    if x.size == 1:
        return np.array([x[0] * 0.9, x[0] * 1.1]) if log else np.array([x[0] - 0.5, x[0] + 0.5])
    y = np.log(x) if log else x
    mid = 0.5 * (y[1:] + y[:-1])
    e = np.concatenate([[y[0] - (mid[0] - y[0])], mid, [y[-1] + (y[-1] - mid[-1])]])
    return np.exp(e) if log else e


def dpi_type(text):
    """``--dpi`` value: a positive integer (dots per inch)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer (dots per inch), got {text!r}")
    return value


_AXIS_LABEL = {
    "delta": (r"slab thickness $\delta$ ($\mu$m)", UM, True),
    "radius": (r"sphere radius $R$ ($\mu$m)", UM, True),
    "r12": (r"lateral separation $r_{12}$ ($\mu$m)", UM, False),
    "theta": (r"dipole polar angle $\theta$ (deg)", np.pi / 180, False),
    "z2": (r"$z_2$ ($\mu$m)", UM, False),
    "omega": (r"$\omega/\omega_r$ (dimensionless)", None, False),
}


def axis_label(axis):
    """Axis label, scale and scale type of a scan axis; a stack layer's thickness like delta's.

    Parameters
    ----------
    axis : str
        Scan axis (``delta``, ``radius``, ``r12``, ``theta``, ``z2``, ``omega`` or ``thickness_<i>``).

    Returns
    -------
    label : str
        Axis label with its unit.
    scale : float or None
        SI value of one plotted unit (e.g. 1e-6 for [um] from [m], pi/180 for [deg]
        from [rad]); None for omega (plotted as omega_ratio [1]).
    log : bool
        True for a logarithmic axis.
    """
    i = thickness_index(axis)
    if i is not None:
        return (rf"thickness of stack layer {i} ($\mu$m)", UM, True)
    return _AXIS_LABEL[axis]
