"""The registry of the pipeline's extras: what each extra is, asked by config, plotting and the runner.

An extra is a product beyond the paper figures (``stacks``, ``chain``,
``optimize``) or a kind of figure (``cube``). Each lives in one module of
:mod:`neqent.pipeline.extras` that describes itself with an :class:`Extra`
record and calls :func:`register` on import; :mod:`neqent.pipeline.extras`
imports every such module. Nothing else names an extra: the config module
runs every registered ``check`` and accepts every registered product in
``extras``, :mod:`neqent.pipeline.plotting` draws every registered figure,
and ``python -m neqent.pipeline.extra <name>`` computes any extra that has
``compute`` (the model: xarray's registry of backends).

An extra imports the grid, the body, the figure style and the physics
packages, never :mod:`neqent.pipeline.config` (which asks the registry), and
keeps heavy imports inside its functions: the Snakefile imports the registry
when it parses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Extra", "Figure", "EXTRAS", "register"]


@dataclass(frozen=True)
class Figure:
    """A figure an extra draws.

    Parameters
    ----------
    draw : callable
        ``draw(*datasets, base, dpi=150) -> [png, pdf]``: writes ``<base>.png`` and ``<base>.pdf``.
    inputs : tuple of str
        Accepted ``stage`` attributes of its input dataset(s).
    many : bool
        True: one or more inputs (each of ``inputs``); False: exactly one.
    lazy : bool
        True: the input is opened lazily (a dataset larger than memory, read by blocks).
    """

    draw: Callable
    inputs: tuple
    many: bool = False
    lazy: bool = False


@dataclass(frozen=True)
class Extra:
    """What the pipeline needs to know of one extra.

    Parameters
    ----------
    name : str
        Its name in the config's ``extras`` list and its results directory.
    description : str
        One line for the docs and ``--help``.
    axes : tuple of str
        Dimensions of its dataset (SI units on the coordinates).
    subset : callable, optional
        ``subset(config) -> dict``: the part of a validated config its
        computation reads (the workflow passes it as the job's params, so a
        change elsewhere reruns nothing; the dataset records it).
    check : callable, optional
        ``check(config, body)``: semantic checks of its config section against
        the config's body (:func:`neqent.pipeline.body.config_body`), run on
        every config load; raises :class:`neqent.errors.ConfigError` naming the key.
    compute : callable, optional
        ``compute(subset, progress) -> xarray.Dataset`` whose ``stage``
        attribute is ``name``; bad input raises ``ValueError``/``KeyError``
        naming the key. Extras without it have a command of their own.
    figures : dict of str to Figure
        The figures it draws, by name (``python -m neqent.pipeline.plotting <name>``).
    product : bool
        True: listed by name in the config's ``extras`` (a dataset and a
        figure); False: only contributes figures.
    slab_only : bool
        True: it computes a slab of its own (``material``, ``geometry.delta``),
        so it refuses a config whose body is ``geometry.stack``.
    rules : str
        ``"generic"``: ``workflow/rules/extras.smk`` runs it (``<name>_data`` and
        ``figure_<name>``); ``"own"``: it has a rule file of its own.
    mpi : bool
        True: ``compute`` spreads its work over the MPI ranks it is launched
        with and returns the dataset on rank 0, None on the others; the
        generic rule launches it with ``{resources.mpi} -n {resources.tasks}``
        (config ``mpi.tasks`` ranks, like the kernels stage).
    """

    name: str
    description: str
    axes: tuple = ()
    subset: Callable | None = None
    check: Callable | None = None
    compute: Callable | None = None
    figures: dict = field(default_factory=dict)
    product: bool = True
    slab_only: bool = False
    rules: str = "own"
    mpi: bool = False


#: Every registered extra by name, in registration order.
EXTRAS: dict = {}


def register(extra):
    """Add an extra to :data:`EXTRAS` (its module calls this on import).

    Parameters
    ----------
    extra : Extra
        The record; its name must be new.

    Returns
    -------
    Extra
        ``extra``.

    Raises
    ------
    ValueError
        For a name already registered.
    """
    if extra.name in EXTRAS:
        raise ValueError(f"extra {extra.name!r} is registered twice")
    EXTRAS[extra.name] = extra
    return extra
