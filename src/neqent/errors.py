"""The one family of bad-input exceptions, shared by every layer.

Every error that means "the caller gave a value neqent cannot use" is a
:class:`NeqentInputError`, itself a ``ValueError`` (so ``except ValueError``
keeps working). The command line (``neqent``), the pipeline's stage commands
(``python -m neqent.pipeline.stages``) and the API all report it the same way:
one line naming the value and what is allowed, exit status 2 on the command
line. Anything else that escapes is a bug, not bad input.

The subclasses say where the value came from:

* :class:`ValidationError` -- an argument check of the physics
  (:mod:`neqent.validation`), e.g. ``z1 must be finite and > 0 m, got -1e-06``.
* :class:`InputError` -- a user argument of the API or the CLI; ``param``
  names it (also importable from :mod:`neqent.interface.units`).
* :class:`ConfigError` -- a pipeline config; the message names the key
  (also importable from :mod:`neqent.pipeline.config`). It lives here so that
  the pipeline's extras and body builder can raise it without importing the
  config module that asks them.
* :class:`StageInputError` -- a pipeline stage's inputs (config and datasets)
  that are valid alone but do not fit together, e.g. z1 off the map's z2 grid.
* :class:`UsageError` -- a malformed command line (unknown option, missing value).

This module sits at the package root (below every subpackage) so that any
layer can raise these without importing upwards.
"""

from __future__ import annotations

__all__ = [
    "NeqentInputError",
    "ValidationError",
    "InputError",
    "ConfigError",
    "StageInputError",
    "UsageError",
]


class NeqentInputError(ValueError):
    """Bad input: the message names the offending value and what is allowed."""


class ValidationError(NeqentInputError):
    """An argument of a physics function is out of range (see :mod:`neqent.validation`)."""


class InputError(NeqentInputError):
    """Invalid user input. ``param`` is the argument's name (e.g. ``"z2"``),
    ``detail`` the message without the name; ``str(err)`` is ``"param: detail"``."""

    def __init__(self, param: str, detail: str):
        super().__init__(f"{param}: {detail}")
        self.param = param
        self.detail = detail


class ConfigError(NeqentInputError):
    """Invalid pipeline configuration; the message names the key (dotted path) and the problem."""


class StageInputError(NeqentInputError):
    """A pipeline stage cannot use its config or input datasets together (message names the key)."""


class UsageError(NeqentInputError):
    """A malformed command line (argparse-level: unknown option, missing value), in one line."""
