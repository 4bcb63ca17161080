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

__all__ = ["configure_logging", "LOG_FORMAT"]

#: One line per message: local time, level, logger, text.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO, stream=None) -> logging.Logger:
    """Send the ``neqent`` loggers' records at ``level`` and above to ``stream`` (default stderr).

    Idempotent: a second call replaces the handler instead of adding one (no
    duplicated lines when a command's ``main`` runs twice in one process, as
    in the tests). Returns the ``neqent`` logger.
    """
    logger = logging.getLogger("neqent")
    for handler in [h for h in logger.handlers if getattr(h, "_neqent_cli", False)]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler._neqent_cli = True
    logger.addHandler(handler)
    logger.setLevel(level)
    return logger
