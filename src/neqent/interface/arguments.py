"""Parsing of command-line option values shared by :mod:`neqent.interface.cli` and
:mod:`neqent.interface.cli_many` (so neither imports the other).
"""

from __future__ import annotations

from neqent.interface.units import InputError

__all__ = ["stack_arguments"]


def stack_arguments(args) -> dict:
    """``layers``/``substrate`` for the API from ``--layer``/``--substrate`` (``{}`` without them).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``layer``: list of ``MATERIAL:THICKNESS``,
        ``substrate``, and ``explicit``: the body options typed).

    Returns
    -------
    dict
        ``layers`` ((material, thickness text) pairs, top first), ``substrate``,
        and ``material``/``delta`` at the API defaults (the stack is the body).

    Raises
    ------
    InputError
        For a layer that is not ``MATERIAL:THICKNESS``, or beside ``--material``/``--delta``.
    """
    if not getattr(args, "layer", None) and getattr(args, "substrate", None) is None:
        return {}
    given = sorted(getattr(args, "explicit", set()))
    if given:
        raise InputError(
            "geometry", f"--layer/--substrate and {'/'.join(given)} both describe the body; give one of them, not both"
        )
    layers = []
    for text in args.layer or ():
        material, sep, thickness = text.rpartition(":")  # a material spec may hold colons (csv:path)
        if not sep or not material or not thickness:
            raise InputError("layers", f"expected MATERIAL:THICKNESS (e.g. sic:10nm), got {text!r}")
        layers.append((material, thickness))
    from neqent.interface.inputs import DEFAULTS

    # the body is the stack: material/delta stay at the API defaults (unused)
    return {"layers": layers, "substrate": args.substrate, "material": DEFAULTS["material"], "delta": DEFAULTS["delta"]}
