"""Logging set-up of the pipeline's command-line entry points.

The stages and figures log through :mod:`logging` (logger names under
``neqent``); a command (``python -m neqent.pipeline.stages`` /
``python -m neqent.pipeline.plotting``) calls :func:`configure_logging` once,
so the messages go to stderr, which each Snakemake rule sends to its ``log:``
file together with stdout. Library users keep control of logging: nothing is
configured on import.
"""

from __future__ import annotations

import logging
import sys
import time

__all__ = ["configure_logging", "log_figure", "LOG_FORMAT"]

#: One line per message: local time, level, logger, text.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO, stream=None) -> logging.Logger:
    """Print the package's log records at ``level`` and above on ``stream``.

    The handler sits on the root logger (so other libraries' warnings show
    too); the ``neqent`` loggers and ``__main__`` (a module run with
    ``python -m`` logs under that name) are set to ``level``. Idempotent: a
    second call replaces the handler instead of adding one (no duplicated
    lines when a command's ``main`` runs twice in one process, as in the
    tests).

    Parameters
    ----------
    level : int
        Logging level, e.g. ``logging.INFO``.
    stream : file-like, optional
        Where records go (default stderr).

    Returns
    -------
    logging.Logger
        The ``neqent`` logger.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "neqent_cli", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.neqent_cli = True
    root.addHandler(handler)
    for name in ("__main__", "neqent"):
        logging.getLogger(name).setLevel(level)
    return logging.getLogger("neqent")


def log_figure(module, figure, inputs, dpi, paths, start):
    """Log one line for a figure a command wrote (call it once the figure exists).

    Logged only at the end, so that bad input still ends in exactly one line
    on stderr.

    Parameters
    ----------
    module : str
        Logger name (``__name__`` would be ``"__main__"`` under ``python -m``).
    figure : str
        Name of the figure.
    inputs : str or sequence of str
        The input files.
    dpi : int
        PNG resolution [1/inch].
    paths : sequence of pathlib.Path
        The written files.
    start : float
        ``time.perf_counter()`` reading when the command began [s].
    """
    logging.getLogger(module).info(
        "figure %s from %s (dpi %d): wrote %s in %.2f s",
        figure,
        ", ".join(map(str, [inputs] if isinstance(inputs, str) else inputs)),
        dpi,
        ", ".join(map(str, paths)),
        time.perf_counter() - start,
    )
