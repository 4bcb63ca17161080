"""Parsing of command-line option values shared by :mod:`neqent.interface.cli` and
:mod:`neqent.interface.cli_many` (so neither imports the other).
"""

from __future__ import annotations

from neqent.interface.units import InputError


def _stack_kwargs(args) -> dict:
    """layers/substrate for neqent.interface.api from --layer/--substrate ({} without them)."""
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
    from neqent.interface.api import DEFAULTS

    # the body is the stack: material/delta stay at the API defaults (unused)
    return {"layers": layers, "substrate": args.substrate, "material": DEFAULTS["material"], "delta": DEFAULTS["delta"]}
