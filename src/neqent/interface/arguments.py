"""Parsing of command-line option values shared by :mod:`neqent.interface.cli` and
:mod:`neqent.interface.cli_many` (so neither imports the other).
"""

from __future__ import annotations

from neqent.interface.units import InputError

__all__ = ["stack_arguments", "sphere_arguments", "grating_arguments", "body_arguments"]


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


def sphere_arguments(args) -> dict:
    """``sphere`` for the API from ``--sphere MATERIAL:RADIUS`` (``{}`` without it).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``sphere``: the text, e.g. ``sic:1um``; ``layer``,
        ``substrate`` and ``explicit``: the other body options typed).

    Returns
    -------
    dict
        ``sphere`` (the text, parsed by :func:`neqent.interface.inputs.sphere_body`)
        and ``material``/``delta`` at the API defaults (the sphere is the body).

    Raises
    ------
    InputError
        Beside ``--layer``/``--substrate``/``--material``/``--delta``, one line.
    """
    text = getattr(args, "sphere", None)
    if text is None:
        return {}
    given = sorted(getattr(args, "explicit", set()))
    if getattr(args, "layer", None) or getattr(args, "substrate", None) is not None:
        given = ["--layer/--substrate", *given]
    if given:
        raise InputError("sphere", f"--sphere and {'/'.join(given)} both describe the body; give one of them, not both")
    from neqent.interface.inputs import DEFAULTS

    # the body is the sphere: material/delta stay at the API defaults (unused)
    return {"sphere": text, "material": DEFAULTS["material"], "delta": DEFAULTS["delta"]}


def grating_arguments(args) -> dict:
    """The grating keywords (and the stack below) from ``--grating`` (``{}`` without it).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``grating``: ``MATERIAL:PERIOD:FILL:HEIGHT``; ``grooves``,
        ``orders``, ``grating_tol``; ``layer``/``substrate``: the stack below the grating).

    Returns
    -------
    dict
        The API's ``grating``, ``grooves``, ``orders``, ``grating_tol`` and, below it, ``layers``/``substrate``,
        with ``material``/``delta`` at the API defaults (the grating is the body).

    Raises
    ------
    InputError
        Beside ``--sphere``/``--material``/``--delta``, or ``--grooves``/``--orders``/``--grating-tol``
        without ``--grating``, one line.
    """
    text = getattr(args, "grating", None)
    if text is None:
        for name in ("grooves", "orders", "grating_tol"):
            if getattr(args, name, None) is not None:
                option = "--" + name.replace("_", "-")
                raise InputError(name, f"{option} describes a grating; give --grating MATERIAL:PERIOD:FILL:HEIGHT too")
        return {}
    given = sorted(getattr(args, "explicit", set()))
    if getattr(args, "sphere", None) is not None:
        given = ["--sphere", *given]
    if given:
        raise InputError("grating", f"--grating and {'/'.join(given)} both describe the body; give one of them")
    from neqent.interface.inputs import DEFAULTS

    out = {"grating": text, "grooves": args.grooves, "orders": args.orders, "grating_tol": args.grating_tol}
    below = stack_arguments(args)  # the stack below the grating, if any
    out.update(below or {"material": DEFAULTS["material"], "delta": DEFAULTS["delta"]})
    return out


def body_arguments(args) -> dict:
    """The body's API arguments: :func:`grating_arguments`, :func:`sphere_arguments` or :func:`stack_arguments`.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    dict
        Keyword arguments for the API (``{}``: the slab of ``--material``/``--delta``).
    """
    return grating_arguments(args) or sphere_arguments(args) or stack_arguments(args)
