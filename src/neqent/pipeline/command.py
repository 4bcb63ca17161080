"""The command-line kit of every pipeline entry point: one-line errors (exit 2) and checked inputs.

``python -m neqent.pipeline.stages``, ``python -m neqent.pipeline.plotting``
and the extras' commands parse with :class:`StageParser`, report an exception
by its :func:`first_line`, and read each input with :func:`read_stage_input`,
which checks the dataset's ``stage`` and ``scan`` attributes first.
"""

from __future__ import annotations

import argparse
import os

import xarray as xr

__all__ = ["StageParser", "first_line", "shown", "positive_int", "read_stage_input"]


class StageParser(argparse.ArgumentParser):
    """ArgumentParser of the stage commands: an error is one line on stderr and exit status 2.

    No usage block (the Snakemake job log should show the problem, not the
    synopsis); the message names the option and the value.
    """

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def first_line(exc):
    """First line of an exception's message (KeyError: its bare key/message), or its type name."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__


def shown(value, limit=80):
    """repr of a command-line value, shortened (the workflow passes the whole config inline)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def read_stage_input(parser, path, stages, scan=None, option="--input", lazy=False):
    """Read a pipeline dataset after checking it is the expected stage's output.

    Parameters
    ----------
    parser : StageParser
        The command's parser; every problem ends in ``parser.error`` (one line, exit 2)
        naming ``option`` and the path.
    path : str
        NetCDF file.
    stages : tuple of str
        Accepted values of the file's global ``stage`` attribute.
    scan : str, optional
        Required value of its ``scan`` attribute (None: any).
    option : str
        The option that named the file, for the messages.
    lazy : bool
        False: read it whole, complex variables re-assembled
        (:func:`neqent.pipeline.io.read_dataset`); True: open it lazily, only
        the header read (inputs larger than memory, read by blocks; the caller
        closes it).

    Returns
    -------
    xarray.Dataset
        The dataset.
    """
    from neqent.pipeline.io import read_dataset

    if not os.path.isfile(path):
        parser.error(f"{option} {path!r}: no such file")
    try:
        ds = xr.open_dataset(path) if lazy else read_dataset(path)
    except (OSError, ValueError, RuntimeError) as exc:
        detail = first_line(exc).split(". ")[0]  # xarray's backend message runs on with advice
        parser.error(f"{option} {path!r}: not a readable NetCDF file ({detail})")
    stage = ds.attrs.get("stage")
    if stage not in stages:
        ds.close()
        parser.error(
            f"{option} {path!r}: expected the output of stage {' or '.join(stages)}, got a dataset of stage {stage!r}"
        )
    if scan is not None and ds.attrs.get("scan") != scan:
        ds.close()
        parser.error(f"{option} {path!r}: dataset of scan {ds.attrs.get('scan')!r}, expected scan {scan!r}")
    return ds


def positive_int(text):
    """An integer >= 1 from the command line (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value
