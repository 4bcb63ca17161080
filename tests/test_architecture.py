"""The package's architecture as tests: the layering of docs/design.md and no private names of other libraries.

Both checks read the source with :mod:`ast` (nothing is imported), so they are
fast and see imports inside functions too.
"""

import ast
import functools
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "neqent"

#: Layer of each part of the package, bottom (0) to top; a module may import
#: only its own layer and the layers below it (docs/design.md, "Layering").
LAYERS = {
    "neqent": 0,  # the package itself: __version__ (importing any submodule runs it anyway)
    "neqent.errors": 0,
    "neqent.jit": 0,
    "neqent.validation": 0,
    "neqent.electrodynamics": 1,
    "neqent.dynamics": 2,
    "neqent.pipeline": 3,
    "neqent.interface": 4,
    # The facade: `import neqent` (lazy neqent.point/evolve/scan) and `python -m neqent`
    # sit above everything, as entry points.
    "neqent.__main__": 5,
}
FACADE = {"neqent/__init__.py": 5}

#: Libraries whose private names (a leading underscore) the package must not use.
GUARDED = ("numba", "llvmlite", "argparse")


def _modules():
    return sorted(p for p in SRC.rglob("*.py"))


def _module_name(path):
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module):
    """Layer of a dotted module name (the longest LAYERS prefix), None outside neqent."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in LAYERS:
            return LAYERS[key]
    return None


def _imports(tree, module):
    """Absolute names of the modules a tree imports (relative imports resolved against ``module``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                # `from neqent.dynamics import master` imports neqent.dynamics.master
                yield node.lineno, f"{base}.{alias.name}" if _layer(f"{base}.{alias.name}") is not None else base


def _layer_of_file(path):
    rel = path.relative_to(SRC.parent).as_posix()
    return FACADE.get(rel, _layer(_module_name(path)))


def test_every_module_has_a_layer():
    missing = [str(p.relative_to(SRC)) for p in _modules() if _layer_of_file(p) is None]
    assert not missing, f"modules outside the layering of tests/test_architecture.py: {missing}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_imports_a_layer_above_it(path):
    own = _layer_of_file(path)
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    upward = [
        f"line {line}: {name} (layer {_layer(name)} > {own})"
        for line, name in _imports(tree, module)
        if _layer(name) is not None and _layer(name) > own
    ]
    assert not upward, f"{module} (layer {own}) imports upwards: {upward}"


def test_layering_check_catches_an_upward_import():
    tree = ast.parse("def f():\n    from neqent.interface.api import point\n")
    names = [name for _, name in _imports(tree, "neqent.dynamics.rates")]
    assert names == ["neqent.interface.api.point"] and _layer(names[0]) == 4 > LAYERS["neqent.dynamics"]


@functools.cache
def _own_names():
    """Every name the package itself defines (functions, classes, assignments, attributes set, arguments)."""
    names = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.split(".")[0])
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return names


def _private_uses(source, own):
    """Private names of GUARDED libraries used in ``source``: (line, text) pairs.

    Flags importing a private module or name of those libraries (any dotted
    part starting with ``_``, and numba's internal ``numba.core``), and any
    attribute ``x._name`` (not a dunder) whose name the package does not
    define itself -- such an attribute can only belong to another library,
    e.g. ``parser._actions`` or ``dispatcher._cache``.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            base = node.module if isinstance(node, ast.ImportFrom) else ""
            for alias in node.names:
                full = ".".join(p for p in (base, alias.name) if p)
                if full.split(".")[0] in GUARDED and (
                    any(p.startswith("_") for p in full.split(".")) or full.startswith("numba.core")
                ):
                    found.append((node.lineno, full))
        elif isinstance(node, ast.Attribute):
            attr = node.attr
            if attr.startswith("_") and not (attr.startswith("__") and attr.endswith("__")) and attr not in own:
                found.append((node.lineno, ast.unparse(node)))
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_names_of_numba_llvmlite_or_argparse(path):
    uses = _private_uses(path.read_text(encoding="utf-8"), _own_names())
    assert not uses, f"{path.relative_to(SRC)} uses private names of other libraries: {uses}"


@pytest.mark.parametrize(
    "source",
    [
        "import argparse\nisinstance(a, argparse._SubParsersAction)\n",
        "def f(p):\n    return p._actions\n",
        "def f(fn):\n    return fn._cache._cache_file._index_path\n",
        "from numba.core import types\n",
        "from llvmlite.binding import _internal\n",
    ],
)
def test_private_name_check_catches_the_old_patterns(source):
    assert _private_uses(source, _own_names())


#: Public functions documented in numpydoc style with units in brackets (docs/standards.md),
#: per module; a regression guard that lists names, so new functions elsewhere do not break it.
NUMPYDOC_FUNCTIONS = {
    "validation.py": ("positive", "nonnegative", "finite", "electrical_size", "size_culprit"),
    "jit.py": ("njit",),
    "electrodynamics/green.py": ("vacuum_green_scalar", "vacuum_green_batch", "vacuum_green"),
    "electrodynamics/resolve.py": ("resolve_material", "resolve_omega"),
    "dynamics/rates.py": (
        "occupation",
        "effective_temperature",
        "gamma0",
        "kernel_tensors_batch",
        "contract_kernels",
        "compute_kernels_batch",
        "compute_kernels",
        "rates",
        "is_symmetric",
        "symmetric_channels",
        "unit_dipole",
        "body_kernel_tensors",
    ),
    # dynamics/master.py re-exports these from the modules they were split into (issue 21)
    "dynamics/liouvillian.py": ("liouvillian",),
    "dynamics/steady.py": ("solve_steady_state", "steady_state"),
    "dynamics/evolution.py": ("evolve",),
    "dynamics/states.py": ("slowest_relaxation_rate", "thermal_state", "validate_density_matrix", "initial_state"),
    "dynamics/entanglement.py": ("concurrence", "concurrence_x", "partial_transpose", "log_negativity"),
    "dynamics/analytic.py": (
        "symmetric_populations",
        "symmetric_rho23",
        "symmetric_k1",
        "symmetric_concurrence",
        "max_symmetric_concurrence",
    ),
    "interface/units.py": (
        "parse_length",
        "parse_temperature",
        "parse_number",
        "parse_count",
        "parse_dipole",
        "format_length",
        "format_dipole",
    ),
    "interface/cli.py": ("point_json", "evolve_json", "point_table", "evolve_table", "main"),
    # second round of the conversion (issue 15)
    "electrodynamics/materials.py": ("get_material", "masetti_mobility", "doped_silicon", "get_layer_material"),
    "electrodynamics/fresnel.py": (
        "sqrt_im_pos",
        "cexpm1",
        "medium_wz",
        "slab_coefficients_scalar",
        "slab_coefficients",
    ),
    # electrodynamics/kernels.py re-exports bessel_j012 and the stack path (issue 21)
    "electrodynamics/kernels.py": (
        "pair_tensors",
        "pair_tensors_batch",
        "pair_block",
        "pair_block_batch",
        "guided_mode_poles",
    ),
    "electrodynamics/quadrature.py": ("bessel_j012",),
    "electrodynamics/stack_kernels.py": ("stack_block_batch", "stack_pair_tensors"),
    "electrodynamics/stack.py": (
        "medium_table",
        "stack_coefficients_table",
        "stack_coefficients_scalar",
        "stack_coefficients",
        "stack_singularities",
    ),
    "electrodynamics/planar.py": ("planar_arguments",),
    "dynamics/many_rates.py": ("pair_indices", "compute_many_kernels", "many_rates"),
    "dynamics/many_body.py": (
        "block_indices",
        "liouvillian_block",
        "liouvillian_full",
        "steady_state_n",
        "thermal_product_state",
        "validate_state_n",
        "initial_state_n",
        "slowest_relaxation_rate_n",
        "evolve_n",
    ),
    "dynamics/many_entanglement.py": (
        "n_qubits_of",
        "reduced_pair",
        "pair_concurrences",
        "bipartite_log_negativity",
        "log_negativities",
    ),
    "dynamics/search.py": ("auto_log", "population_size", "maximise", "at_bounds", "settle", "cut_grid", "sharpness"),
    "dynamics/landscape.py": ("check_bounds", "dipole_xz", "optimise"),
    "dynamics/xstate.py": ("k_of_element", "non_x_magnitude", "is_x_state", "steady_concurrence"),
    "pipeline/io.py": (
        "provenance",
        "complex_to_pair",
        "pair_to_complex",
        "check_attributes",
        "write_dataset",
        "read_dataset",
        "config_of",
    ),
    "pipeline/plotting.py": (
        "fig3a",
        "fig3b",
        "fig4a",
        "fig4b",
        "effective_temperatures",
        "alpha_figure",
        "scan_figure",
        "main",
    ),
    "pipeline/figstyle.py": ("save", "axis_label"),
    "pipeline/extras/cube.py": ("stream_T_reductions", "cube_figure"),
    "pipeline/blocks.py": ("plan_blocks", "shard_blocks", "rank_blocks", "block_of_flat"),
    "pipeline/budget.py": (
        "format_bytes",
        "parse_budget",
        "parse_shard",
        "block_points",
        "scan_shape",
        "scan_storage",
        "estimate_bytes",
        "check_disk",
        "check_in_memory",
        "scale_settings",
        "check_scale_config",
        "auto_shards",
        "resolve_tasks",
    ),
    "pipeline/blockio.py": ("choose_chunks", "remove_stale_temporaries", "get_block", "open_lazy"),
    "pipeline/streaming.py": (
        "grid_view",
        "occupations",
        "steady_outputs",
        "steady_block",
        "steady_variables",
        "grid_plan",
        "run_blocks",
        "compact_rates",
        "stream_rates",
        "stream_steady",
        "check_shards",
        "gather_shards",
    ),
    "pipeline/logs.py": ("configure_logging", "log_figure"),
    "pipeline/extras/chain.py": ("chain_config", "chain_dataset", "best_temperature", "chain_figure"),
    "pipeline/chain.py": ("main",),
    "pipeline/plot_chain.py": ("main",),
    "pipeline/extras/optimize.py": (
        "search_subset",
        "check_search",
        "search_landscape",
        "search_dataset",
        "check_config",
        "optimize_figure",
    ),
    "pipeline/optimize.py": ("main",),
    "pipeline/extras/design.py": (
        "design_params",
        "searched_names",
        "check_config",
        "design_dataset",
        "design_data",
        "design_figure",
    ),
    "pipeline/extras/stacks.py": (
        "stack_params",
        "body_stack",
        "check_stacks",
        "check_config",
        "stack_maps",
        "stacks_figure",
    ),
    "pipeline/extras/sphere.py": (
        "sphere_params",
        "sphere_omega",
        "check_sphere",
        "check_config",
        "pair_kernels",
        "steady_concurrence",
        "opposite_positions",
        "sphere_scan",
        "sphere_figure",
    ),
    "pipeline/extras/gratings.py": (
        "gratings_params",
        "part_params",
        "grating_omega",
        "grating_shapes",
        "check_gratings",
        "check_config",
        "pair_positions",
        "shard_blocks",
        "gather_dataset",
        "gratings_scan",
        "gratings_figure",
    ),
    "pipeline/gratings_shards.py": ("write_shard", "main"),
    # issue 21: the body builder, the grid and command kits, the registry and the generic command
    "pipeline/body.py": ("stack_body", "config_body", "with_axis_values", "optics_variables"),
    "pipeline/grid.py": ("resolve_range", "checked_range", "coerce_numbers"),
    "pipeline/command.py": ("read_stage_input",),
    "pipeline/extras/registry.py": ("register",),
    "pipeline/extra.py": ("extra_subset", "main"),
    "pipeline/stacks.py": ("main",),
    "interface/optimize.py": ("optimize", "point_command", "optimize_json", "optimize_table"),
    "interface/search_inputs.py": ("parse_vary", "check_conflicts", "validated_landscape", "progress_bar"),
    "interface/many.py": ("point_n", "evolve_n"),
    "interface/inputs.py": ("setup", "build_body", "body_omega", "describe_body"),
    "interface/arguments.py": ("stack_arguments",),
    "interface/formats.py": ("json_complex", "json_number", "json_matrix", "json_text", "table_rows", "table_cell"),
    "interface/cli_many.py": (
        "add_options",
        "check_exclusive",
        "point_n_json",
        "evolve_n_json",
        "point_n_table",
        "evolve_n_table",
        "run_point",
        "run_evolve",
    ),
}


@pytest.mark.parametrize("name", list(NUMPYDOC_FUNCTIONS))
def test_public_functions_have_numpydoc_parameters(name):
    tree = ast.parse((SRC / name).read_text(encoding="utf-8"))
    docs = {node.name: ast.get_docstring(node) or "" for node in tree.body if isinstance(node, ast.FunctionDef)}
    missing = [f for f in NUMPYDOC_FUNCTIONS[name] if "Parameters\n----------" not in docs.get(f, "")]
    assert not missing, f"{name}: functions without a numpydoc Parameters section: {missing}"


#: Public classes and methods (``Class.method``) documented in numpydoc style, per module.
NUMPYDOC_MEMBERS = {
    "electrodynamics/materials.py": (
        "Material.eps",
        "Material.eps_tz",
        "DrudeLorentz",
        "Drude",
        "ConstantPermittivity",
        "TabulatedMaterial",
        "TabulatedMaterial.from_csv",
        "RangeLimited",
        "Lorentz",
        "Uniaxial",
        "Uniaxial.eps",
        "Uniaxial.eps_tz",
    ),
    "electrodynamics/planar.py": (
        "Slab",
        "Slab.pair_block",
        "Stack",
        "Stack.with_thickness",
        "Stack.optics",
        "Stack.pair_block",
    ),
    "electrodynamics/body.py": ("Body.with_parameter", "Body.check_positions", "Body.pair_block", "Body.optics"),
    "dynamics/many_rates.py": ("ManyGeometry", "ManyKernels"),
    "dynamics/many_body.py": ("DegenerateManySteadyStateError",),
    "dynamics/search.py": ("ChunkedMap", "SearchResult"),
    "dynamics/landscape.py": (
        "Landscape",
        "Landscape.columns",
        "Landscape.states",
        "Landscape.witness",
        "Landscape.concurrence",
    ),
    "pipeline/blocks.py": ("Block",),
    "pipeline/blockio.py": ("BlockWriter", "BlockWriter.write"),
    "pipeline/streaming.py": ("RateInputs", "RateInputs.block", "RateSource", "RateSource.block"),
    "pipeline/extras/registry.py": ("Extra", "Figure"),
}


@pytest.mark.parametrize("name", list(NUMPYDOC_MEMBERS))
def test_public_classes_and_methods_have_numpydoc_parameters(name):
    tree = ast.parse((SRC / name).read_text(encoding="utf-8"))
    docs = {}
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        docs[cls.name] = ast.get_docstring(cls) or ""
        for node in cls.body:
            if isinstance(node, ast.FunctionDef):
                docs[f"{cls.name}.{node.name}"] = ast.get_docstring(node) or ""
    missing = [f for f in NUMPYDOC_MEMBERS[name] if "Parameters\n----------" not in docs.get(f, "")]
    assert not missing, f"{name}: classes or methods without a numpydoc Parameters section: {missing}"


#: Text patterns of private access the ast check cannot see (names built in strings).
PRIVATE_TEXT = re.compile(r"numba\.core\b|argparse\._|llvmlite\.[\w.]*\._|getattr\([^,()]+,\s*['\"]_[a-z]")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_access_in_the_text(path):
    hits = [
        f"line {n}: {line.strip()}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE_TEXT.search(line)
    ]
    assert not hits, f"{path.relative_to(SRC)}: {hits}"


def test_private_text_pattern_catches_the_old_forms():
    for text in ("import numba.core.config", "argparse._HelpAction", "llvmlite.binding._lib", "getattr(f, '_cache')"):
        assert PRIVATE_TEXT.search(text), text


# ---------------------------------------------------------------------------
# Done when of issue 21: no import cycle, no module over 800 lines, no private
# name imported from another neqent module. All three read the source with ast.

#: Largest module, in lines (docs/standards.md; pvlib's and quimb's median is ~400-500).
MAX_LINES = 800


def _known_modules():
    """Every module of the package by dotted name (a package is its ``__init__``)."""
    return {_module_name(p): p for p in _modules()}


def _resolve(name, known):
    """The package's module that importing ``name`` runs: ``name`` itself, or its longest known prefix
    (``from neqent.dynamics.rates import Geometry`` -> ``neqent.dynamics.rates``)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in known:
            return ".".join(parts[:n])
    return None


def _import_graph():
    """``{module: {imported module: first line}}`` over the whole package.

    Imports inside functions count (they run when the function does), and so do a
    package ``__init__``'s re-exports: ``from neqent.electrodynamics import Slab`` is
    an arrow to ``neqent.electrodynamics``, whose own imports continue the path.
    """
    known = _known_modules()
    graph = {}
    for module, path in known.items():
        edges = graph.setdefault(module, {})
        for line, name in _imports(ast.parse(path.read_text(encoding="utf-8")), module):
            target = _resolve(name, known)
            if target is not None and target != module:
                edges.setdefault(target, line)
    return graph


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan), each sorted, and one loop in each."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _a_loop(graph, component):
    """One closed path through ``component`` (for a readable failure message)."""
    members = set(component)
    path, seen = [component[0]], {component[0]}
    while True:
        nxt = next(w for w in sorted(graph[path[-1]]) if w in members)
        if nxt in seen:
            return " -> ".join(path[path.index(nxt) :] + [nxt])
        path.append(nxt)
        seen.add(nxt)


def test_no_import_cycle():
    graph = _import_graph()
    loops = [_a_loop(graph, c) for c in _cycles(graph)]
    assert not loops, "import cycles (directly or through other modules):\n" + "\n".join(loops)


@pytest.mark.parametrize(
    "sources, cyclic",
    [
        ({"a": "from neqent import b\n", "b": "def f():\n    from neqent.a import x\n"}, True),
        ({"a": "import neqent.b\n", "b": "import neqent.c\n", "c": "from neqent.a import y\n"}, True),
        ({"a": "from neqent import b\n", "b": "import neqent.c\n", "c": "import math\n"}, False),
    ],
    ids=["through a function-level import", "through a third module", "a chain"],
)
def test_cycle_check_finds_cycles_through_functions_and_third_modules(sources, cyclic):
    known = {f"neqent.{m}" for m in sources}
    graph = {
        f"neqent.{m}": {
            _resolve(name, known): line
            for line, name in _imports(ast.parse(text), f"neqent.{m}")
            if _resolve(name, known) not in (None, f"neqent.{m}")
        }
        for m, text in sources.items()
    }
    assert bool(_cycles(graph)) == cyclic


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_over_800_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines (> {MAX_LINES}): split it along its concepts"


def _private_imports(tree, module, known):
    """``(line, text)`` of every private name taken from another neqent module: ``from neqent.x import _y``
    and ``x._y`` where ``x`` is a neqent module imported under that name."""
    found, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if _resolve(base, known) is None:
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in known:  # a module: remember its local name
                    aliases[alias.asname or alias.name] = full
                elif alias.name.startswith("_") and not alias.name.startswith("__") and base != module:
                    found.append((node.lineno, f"from {base} import {alias.name}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and aliases[node.value.id] != module
        ):
            found.append((node.lineno, ast.unparse(node)))
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_imports_a_private_name_of_another(path):
    module = _module_name(path)
    found = _private_imports(ast.parse(path.read_text(encoding="utf-8")), module, _known_modules())
    assert not found, f"{module} uses private names of other neqent modules (make them public): {found}"


@pytest.mark.parametrize(
    "source",
    [
        "from neqent.dynamics.rates import _unit_dipole\n",
        "def f():\n    from neqent.interface import api\n    return api._setup()\n",
        "from ..dynamics.rates import _x\n",
    ],
)
def test_private_import_check_catches_the_old_patterns(source):
    assert _private_imports(ast.parse(source), "neqent.interface.many", _known_modules())
