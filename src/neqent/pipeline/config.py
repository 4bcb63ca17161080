"""Pipeline configuration: loading, validation, default filling, grid resolution.

The pipeline config (``config/config.yaml``) is validated against the JSON
schema ``workflow/schemas/config.schema.json`` (shipped as package data
``neqent/pipeline/data/config.schema.json``, read with importlib.resources) --
the same validation the Snakefile runs -- so library users
(``neqent scan``, notebooks) get exactly the checks and defaults the workflow
gets. Units (SI): lengths m, temperatures K, angles rad; frequencies are
``omega_ratio`` = omega / material resonance (1) or ``omega`` (rad/s).

Public API:

* :func:`load_config` -- path, YAML/JSON string or dict -> validated dict with defaults.
* :func:`~neqent.pipeline.grid.resolve_range` -- a grid spec (list or ``{start, stop, num, spacing}``) -> array.
* :func:`schema_path`, :func:`default_config_path`.
* :class:`~neqent.errors.ConfigError` (a ``ValueError``, defined in :mod:`neqent.errors`) naming the offending key.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import yaml

from neqent.errors import ConfigError
from neqent.pipeline.body import config_body, has_sphere, has_stack, stack_optics, thickness_axes, thickness_index
from neqent.pipeline.command import first_line, shown
from neqent.pipeline.extras import EXTRAS
from neqent.pipeline.grid import checked_range, coerce_numbers, resolve_range

__all__ = [
    "ConfigError",
    "load_config",
    "validate_config",
    "coerce_numbers",
    "resolve_range",
    "schema_path",
    "default_config_path",
    "scan_names",
    "stage_config",
    "load_config_or_exit",
    "EXTRA_PRODUCTS",
    "extra_products",
]

_REPO = Path(__file__).resolve().parents[3]


def extra_products():
    """Products that are not scans (listed in ``extras`` like scan names).

    Returns
    -------
    tuple of str
        The effective-temperature figure of the analytic stage, then every
        registered extra product (:data:`neqent.pipeline.extras.registry.EXTRAS`).
    """
    return ("effective_temperatures",) + tuple(name for name, extra in EXTRAS.items() if extra.product)


#: :func:`extra_products` when the config module was imported (what the workflow lists).
EXTRA_PRODUCTS = extra_products()


def _package_data(name):
    """A file shipped in ``neqent/pipeline/data`` (importlib.resources, so it works from a wheel)."""
    from importlib.resources import files

    return files("neqent.pipeline") / "data" / name


def schema_path() -> Path:
    """Path of the JSON schema (env ``NEQENT_SCHEMA`` overrides the packaged copy).

    The schema ships as package data ``neqent/pipeline/data/config.schema.json``
    (in a checkout a symlink to ``workflow/schemas/config.schema.json``, the one
    source both the library and the Snakefile read).
    """
    p = Path(os.environ.get("NEQENT_SCHEMA", str(_package_data("config.schema.json"))))
    if not p.is_file():
        raise FileNotFoundError(f"config schema not found at {p} (set NEQENT_SCHEMA)")
    return p


def default_config_path() -> Path:
    """Path of the default (paper) configuration (package data; ``config/config.yaml`` in a checkout)."""
    return Path(str(_package_data("config.yaml")))


def _default_filling_validator(schema):
    """A Draft 2020-12 validator class that fills ``default`` values while validating.

    Same technique as ``snakemake.utils.validate(set_default=True)`` (the
    jsonschema FAQ recipe) but deep-copies each default so the schema's
    default objects are never shared with (and mutated through) the config.
    """
    from jsonschema import Draft202012Validator, validators

    base = Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, subschema):
        if isinstance(instance, dict):
            for key, sub in properties.items():
                if isinstance(sub, dict) and "default" in sub and key not in instance:
                    instance[key] = copy.deepcopy(sub["default"])
        yield from base(validator, properties, instance, subschema)

    cls = validators.extend(Draft202012Validator, {"properties": set_defaults})
    return cls(schema)


def _key(path) -> str:
    """Dotted key path of a jsonschema error path ('<root>' when empty)."""
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in path]
    s = ".".join(parts).replace(".[", "[")
    return s or "<root>"


def _describe(error) -> str:
    """Human message for a jsonschema ValidationError, descending into oneOf/anyOf."""
    from jsonschema.exceptions import best_match

    err = error
    # oneOf/anyOf: ignore branches rejected only for their type (a dict given
    # where the list form was also allowed) and report the remaining branch,
    # which names the inner key.
    while err.context:
        deeper = [e for e in err.context if not (e.validator == "type" and list(e.path) == [])]
        err = best_match(deeper or err.context)
    return f"config key '{_key(err.absolute_path)}': {err.message}"


def validate_config(config: dict, partial: bool = False) -> dict:
    """Validate ``config`` in place against the schema, filling defaults; return it.

    Raises :class:`~neqent.errors.ConfigError` naming the offending key for schema violations
    and for the semantic rules the schema cannot express (log grids need
    positive bounds, ``extras`` must name scans, ...). ``partial``: accept a
    stage's subset (:func:`stage_config`): ``scans`` may omit ``map`` and any
    scan may omit ``T_M``; everything present is checked as usual.
    """
    if not isinstance(config, dict):
        raise ConfigError(f"config must be a mapping, got {type(config).__name__}")
    coerce_numbers(config)
    schema = json.loads(schema_path().read_text())
    if partial:
        # every scan, map included, against the generic scan schema (axes required, T_M optional)
        scans = schema["properties"]["scans"]
        scans.pop("required", None)
        scans.pop("properties", None)
    validator = _default_filling_validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError("; ".join(_describe(e) for e in errors[:5]))
    _semantic_checks(config)
    return config


def _semantic_checks(config):
    """Rules beyond the JSON schema; raise ConfigError with the key path."""
    _check_finite(config)
    body = _check_body(config)
    stack = body if has_stack(config) else None
    material = body.top_material
    label = repr(config["material"]) if stack is None else f"{material.name!r} (top of geometry.stack)"
    if material.resonance is None:
        # omega_ratio = omega / material resonance needs a resonance
        if "omega" not in config["geometry"]:
            raise ConfigError(
                f"config key 'geometry.omega_ratio': material {label} "
                "has no resonance frequency; give geometry.omega in rad/s instead"
            )
        for name, scan in config["scans"].items():
            if "omega_ratio" in scan["axes"]:
                raise ConfigError(
                    f"config key 'scans.{name}.axes.omega_ratio': material "
                    f"{label} has no resonance frequency; sweep omega (rad/s)"
                )
    for name, scan in config["scans"].items():
        for axis, spec in scan["axes"].items():
            checked_range(f"scans.{name}.axes.{axis}", spec)
        if "omega" in scan["axes"] and "omega_ratio" in scan["axes"]:
            raise ConfigError(f"config key 'scans.{name}.axes': give omega or omega_ratio, not both")
        if "T_M" in scan:
            checked_range(f"scans.{name}.T_M", scan["T_M"])
    for axis, spec in config["scans"].get("map", {"axes": {}})["axes"].items():
        if axis != "z2" and resolve_range(spec).size != 1:
            raise ConfigError(
                f"config key 'scans.map.axes.{axis}': the paper-figure map sweeps z2 only; "
                "give a single value here and put other sweeps in an extra scan"
            )
    for key in ("ratio", "n_A", "n_S"):
        checked_range(f"analytic.{key}", config["analytic"][key])
    for name in config["scans"]:
        if has_sphere(config):
            _check_sphere_scan(config, body, name)
        elif stack is None:
            _check_scan_geometry(config, material, name)
        else:
            _check_stack_scan(config, stack, name)
    _check_scale(config)
    for extra in config["extras"]:
        if extra not in config["scans"] and extra not in extra_products():
            raise ConfigError(
                f"config key 'extras': {extra!r} is neither a scan name "
                f"{sorted(config['scans'])} nor one of {list(extra_products())}"
            )
        if extra == "map":
            raise ConfigError("config key 'extras': 'map' is always built; do not list it")
    for extra in EXTRAS.values():  # each extra checks its own section (the registry, not a list here)
        if extra.check is not None:
            extra.check(config, body)


# --------------------------------------------------------------------------
# a planar stack as the body of every scan (geometry.stack, neqent.pipeline.body)


def _check_body(config):
    """The config's body (:func:`neqent.pipeline.body.config_body`, the builder the stages use).

    ConfigError naming the key: a bad material or layer, a substrate without
    ``geometry.stack``, a non-default ``material``/``geometry.delta`` or a
    ``delta`` axis beside the stack (both would describe the body), a
    ``thickness_<i>`` axis without a stack or beyond its layers, and the
    extras that only compute a slab.
    """
    geo, schema = config["geometry"], json.loads(schema_path().read_text())
    _check_body_keys(config, schema)
    if has_sphere(config):
        return config_body(config)
    if not has_stack(config):
        body = config_body(config)
        if "substrate" in geo:
            raise ConfigError(
                "config key 'geometry.substrate': needs geometry.stack (give stack: [] for a bare substrate)"
            )
        for name, scan in config["scans"].items():
            for axis in scan["axes"]:
                if thickness_index(axis) is not None:
                    raise ConfigError(
                        f"config key 'scans.{name}.axes.{axis}': a layer thickness axis needs geometry.stack "
                        "(the slab's thickness is the axis 'delta')"
                    )
        return body
    stack = config_body(config)
    for name, scan in config["scans"].items():
        for axis in scan["axes"]:
            i = thickness_index(axis)
            if axis == "delta":
                raise ConfigError(
                    f"config key 'scans.{name}.axes.delta': the body is geometry.stack; "
                    "sweep a layer's thickness as thickness_<i> (i = 0 for the top layer)"
                )
            if i is not None and i >= len(stack.layers):
                raise ConfigError(
                    f"config key 'scans.{name}.axes.{axis}': geometry.stack has {len(stack.layers)} layer(s), "
                    f"so the thickness axes are thickness_0 .. thickness_{len(stack.layers) - 1}"
                    if stack.layers
                    else f"config key 'scans.{name}.axes.{axis}': geometry.stack has no layer"
                )
    return stack


def _check_body_keys(config, schema):
    """The keys that describe the body, one description only: ``geometry.stack`` or ``geometry.sphere``
    beside each other or beside a non-default ``material``/``geometry.delta``, a ``delta`` axis beside
    them, a ``radius`` axis without a sphere, and the extras that only compute a slab."""
    geo = config["geometry"]
    kinds = [key for key in ("stack", "sphere") if key in geo]
    if len(kinds) > 1:
        raise ConfigError("config key 'geometry.sphere': geometry.stack and geometry.sphere both describe the body")
    for name, scan in config["scans"].items():
        if "radius" in scan["axes"] and "sphere" not in geo:
            raise ConfigError(f"config key 'scans.{name}.axes.radius': a radius axis needs geometry.sphere")
        if "delta" in scan["axes"] and kinds == ["sphere"]:
            raise ConfigError(
                f"config key 'scans.{name}.axes.delta': the body is geometry.sphere; sweep its radius (axis 'radius')"
            )
    if not kinds:
        return
    kind = f"geometry.{kinds[0]}"
    defaults = {"material": schema["properties"]["material"]["default"]}
    defaults["geometry.delta"] = schema["properties"]["geometry"]["properties"]["delta"]["default"]
    given = {"material": config["material"], "geometry.delta": geo["delta"]}
    for key, value in given.items():
        if value != defaults[key]:
            raise ConfigError(
                f"config key '{key}': {kind} and {key} = {value!r} both describe the body; "
                f"give one of them (with {kind} leave {key} out)"
            )
    for extra in (name for name, e in EXTRAS.items() if e.slab_only):
        if extra in config["extras"]:
            raise ConfigError(
                f"config key 'extras': {extra!r} computes a slab (material, geometry.delta), not {kind}; "
                f"remove it from extras or {kind}"
            )


def _check_sphere_scan(config, sphere, name):
    """A sphere's scan: coinciding qubits, z1 on the map's z2 range, the material valid at the scan's
    frequencies, and the multipole cap at the largest radius and smallest height
    (:meth:`neqent.electrodynamics.sphere.Sphere.l_max`)."""
    import numpy as np

    from neqent.pipeline.grid import scan_axes

    spec = config["scans"][name]["axes"]
    axes, fixed = scan_axes(config, name, sphere)
    values = {**{k: np.atleast_1d(v) for k, v in fixed.items()}, **axes}
    key = {q: (f"scans.{name}.axes.{q}" if q in spec else f"geometry.{q}") for q in ("z2", "r12")}
    key["radius"] = f"scans.{name}.axes.radius" if "radius" in spec else "geometry.sphere.radius"
    wkey = next((f"scans.{name}.axes.{k}" for k in ("omega", "omega_ratio") if k in spec), None)
    wkey = wkey or ("geometry.omega" if "omega" in config["geometry"] else "geometry.omega_ratio")
    z1, z2, r12, w = float(config["geometry"]["z1"]), values["z2"], values["r12"], values["omega"]
    _check_qubit_grid(name, z1, z2, r12, key["z2"], key["r12"])
    try:
        sphere.material.eps(w)
    except ValueError as exc:
        raise ConfigError(f"config key '{wkey}': {exc}") from None
    # Heights > 0 (the schema) put every qubit outside the sphere, whose top is at z = 0. The
    # closest qubit of the scan facing the largest sphere needs the most multipoles.
    worst = sphere.with_parameter("radius", float(values["radius"].max()))
    r1 = np.array([[0.0, 0.0, min(z1, float(z2.min()))]])
    r2 = np.array([[float(r12.max()), 0.0, float(z2.min())]])
    try:
        worst.l_max(float(w.max()), r1, r2)
    except ValueError as exc:
        raise ConfigError(f"config key '{key['radius']}': {exc}") from None


def _check_stack_scan(config, stack, name):
    """:func:`_check_scan_geometry` for a stack: coinciding qubits, z1 on the map's z2 range, every
    material valid at the scan's frequencies and the quadrature's size limits (each layer at its
    largest thickness, their sum, the qubits' distances)."""
    import numpy as np

    from neqent.pipeline.grid import scan_axes
    from neqent.validation import MAX_ELECTRICAL_SIZE, electrical_size, size_culprit

    spec = config["scans"][name]["axes"]
    axes, fixed = scan_axes(config, name, stack)
    values = {**{k: np.atleast_1d(v) for k, v in fixed.items()}, **axes}
    key = {q: (f"scans.{name}.axes.{q}" if q in spec else f"geometry.{q}") for q in ("z2", "r12")}
    wkey = next((f"scans.{name}.axes.{k}" for k in ("omega", "omega_ratio") if k in spec), None)
    wkey = wkey or ("geometry.omega" if "omega" in config["geometry"] else "geometry.omega_ratio")
    z1, z2, r12, w = float(config["geometry"]["z1"]), values["z2"], values["r12"], values["omega"]
    _check_qubit_grid(name, z1, z2, r12, key["z2"], key["r12"])
    try:
        et, ez, _, _ = stack_optics(stack, w)
    except ValueError as exc:
        raise ConfigError(f"config key '{wkey}': {exc}") from None
    names = ("omega", "geometry.z1", key["z2"], key["r12"], "thickness")
    try:
        electrical_size(w, z1, z2.max(), r12.max(), np.inf, 1.0, names)
    except ValueError as exc:
        culprit = size_culprit(w, z1, z2, r12, (wkey, "geometry.z1", key["z2"], key["r12"]))
        raise ConfigError(f"config key '{culprit}': {exc}") from None
    total = 0.0
    for i, axis in enumerate(thickness_axes(len(stack.layers))):
        big = np.where(np.abs(et[:, i]) >= np.abs(ez[:, i]), et[:, i], ez[:, i])
        where = f"scans.{name}.axes.{axis}" if axis in spec else f"geometry.stack[{i}].thickness"
        try:
            total += float(np.max(electrical_size(w, 0.0, 0.0, 0.0, values[axis].max(), big, names)[1]))
        except ValueError as exc:
            raise ConfigError(f"config key '{where}': {exc}") from None
    if total > MAX_ELECTRICAL_SIZE:
        raise ConfigError(
            f"config key 'geometry.stack': the stack's total optical thickness omega sum(d_j n_j) / c must be "
            f"<= {MAX_ELECTRICAL_SIZE:g}, got {total:.3g}; use fewer or thinner layers, or a substrate"
        )


def _check_scale(config):
    """Memory budget and storage choices (neqent.pipeline.budget) as a ConfigError."""
    from neqent.pipeline.budget import BudgetError, check_scale_config

    try:
        check_scale_config(config)
    except BudgetError as exc:
        raise ConfigError(str(exc)) from None


def _inf_allowed(path):
    """True for the keys that may be +inf: slab thickness (half-space) as a value or list item."""
    return path == ["geometry", "delta"] or (
        len(path) == 5 and path[0] == "scans" and path[2:4] == ["axes", "delta"] and isinstance(path[4], int)
    )


def _check_finite(config, path=()):
    """Every number finite (NaN never; +inf only for geometry.delta and delta axis lists)."""
    import math

    path = list(path)
    if isinstance(config, dict):
        for key, value in config.items():
            _check_finite(value, path + [key])
    elif isinstance(config, list):
        for i, value in enumerate(config):
            _check_finite(value, path + [i])
    elif isinstance(config, float) and not math.isfinite(config):
        if not (config > 0 and _inf_allowed(path)):
            allowed = "finite or +inf (a half-space)" if _inf_allowed(path) else "finite"
            raise ConfigError(f"config key '{_key(path)}': must be {allowed}, got {config!r}")


def _scan_values(config, material, name):
    """{quantity: (config key, values)} of one scan: swept axes or geometry fallbacks.

    Quantities z2, r12, delta (m) and omega (rad/s, from omega or
    omega_ratio x resonance). z1 is put on a z2 axis whose range contains it
    (as :func:`neqent.pipeline.stages.scan_axes` does).
    """
    import numpy as np

    from neqent.electrodynamics.resolve import resolve_omega

    geo, spec = config["geometry"], config["scans"][name]["axes"]
    out = {}
    for q in ("z2", "r12", "delta"):
        out[q] = (
            (f"scans.{name}.axes.{q}", resolve_range(spec[q]))
            if q in spec
            else (f"geometry.{q}", np.array([float(geo[q])]))
        )
    if "omega" in spec or "omega_ratio" in spec:
        key = "omega" if "omega" in spec else "omega_ratio"
        out["omega"] = (f"scans.{name}.axes.{key}", resolve_omega(material, **{key: resolve_range(spec[key])})[0])
    else:
        key = "omega" if "omega" in geo else "omega_ratio"
        out["omega"] = (f"geometry.{key}", resolve_omega(material, **{key: np.array([float(geo[key])])})[0])
    key, z2 = out["z2"]
    z1 = float(geo["z1"])
    if "z2" in spec and z2.min() <= z1 <= z2.max():
        out["z2"] = (key, np.union1d(z2, [z1]))
    return out


def _check_qubit_grid(name, z1, z2, r12, z2_key, r12_key):
    """The scan's qubit positions, for a slab or a stack alike: z1 [m] on the map's z2 range
    (fig3 uses z2 = z1) and no grid point where the qubits coincide (r12 = 0 [m] and z2 = z1);
    ConfigError naming ``z2_key`` or ``r12_key``."""
    import numpy as np

    if name == "map" and not (z2.min() <= z1 <= z2.max()):
        raise ConfigError(
            f"config key '{z2_key}': the z2 range [{z2.min():g}, {z2.max():g}] m must "
            f"contain geometry.z1 = {z1:g} m (fig3 and the analytic stage use z2 = z1)"
        )
    if np.any(r12 == 0) and np.any(z2 == z1):
        raise ConfigError(
            f"config key '{r12_key}': the qubits coincide (r12 = 0 and z2 = z1 = {z1:g} m "
            f"on {z2_key}); give r12 > 0 or move z1 off the z2 grid"
        )


def _check_scan_geometry(config, material, name):
    """Coinciding qubits, z1 on the map's z2 range, and the quadrature's size limit
    (:func:`neqent.validation.electrical_size`) at the scan's extreme values."""
    import numpy as np

    from neqent.validation import electrical_size, size_culprit

    v = _scan_values(config, material, name)
    z1 = float(config["geometry"]["z1"])
    (z2_key, z2), (r12_key, r12) = v["z2"], v["r12"]
    (w_key, w), (d_key, delta) = v["omega"], v["delta"]
    _check_qubit_grid(name, z1, z2, r12, z2_key, r12_key)
    try:
        eps = material.eps(w)
    except ValueError as exc:
        raise ConfigError(f"config key '{w_key}': {exc}") from None
    # an omega derived from omega_ratio is reported as "omega" (rad/s); the prefix names the key
    names = (w_key if w_key.endswith(".omega") else "omega", "geometry.z1", z2_key, r12_key, d_key)
    try:
        electrical_size(w, z1, z2.max(), r12.max(), np.inf, eps, names)
    except ValueError as exc:
        key = size_culprit(w, z1, z2, r12, (w_key,) + names[1:4])
        raise ConfigError(f"config key '{key}': {exc}") from None
    finite = delta[np.isfinite(delta)]
    if finite.size:
        try:
            electrical_size(w, 0.0, 0.0, 0.0, finite.max(), eps, names)
        except ValueError as exc:
            raise ConfigError(f"config key '{d_key}': {exc}") from None


def load_config(source=None, overrides=None, partial=False) -> dict:
    """Load and validate a pipeline configuration; return the resolved dict.

    ``source``: a path (YAML or JSON file), a YAML/JSON string, a dict
    (deep-copied), or None for :func:`default_config_path`. ``overrides``:
    optional dict deep-merged on top before validation. Defaults from the
    schema are filled in. Raises :class:`~neqent.errors.ConfigError` naming the bad key.
    ``partial``: ``source`` may be one stage's subset (:func:`validate_config`).
    """
    if source is None:
        source = default_config_path()
    if isinstance(source, dict):
        config = copy.deepcopy(source)
    else:
        text = str(source)
        if isinstance(source, Path) or _looks_like_path(text):
            path = Path(text)
            if not path.is_file():
                raise FileNotFoundError(f"config file not found: {source}")
            text = path.read_text()
        try:
            # JSON first: PyYAML (YAML 1.1) reads JSON's "1e-06" as a string.
            config = json.loads(text)
        except ValueError:
            config = None
        try:
            config = yaml.safe_load(text) if config is None else config
        except yaml.YAMLError as exc:
            raise ConfigError(f"config is not valid YAML/JSON: {exc}") from None
        if config is None:
            config = {}
    if overrides:
        config = _deep_merge(config, overrides)
    return validate_config(config, partial=partial)


def _looks_like_path(text):
    """True if ``text`` names a file rather than holding inline YAML/JSON."""
    if "\n" in text or text.lstrip().startswith(("{", "[")) or ": " in text:
        return False
    try:
        return Path(text).suffix in (".yaml", ".yml", ".json") or Path(text).is_file()
    except OSError:  # e.g. name too long
        return False


def _deep_merge(base, extra):
    """Recursive dict merge (``extra`` wins); returns a new dict."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def scan_names(config, with_temperatures=None):
    """Names of the scans the config builds ('map' plus listed extras).

    Parameters
    ----------
    config : dict
        A validated config.
    with_temperatures : bool or None
        True -> only scans with a T_M grid, False -> only kernel-only scans,
        None -> all.

    Returns
    -------
    list of str
    """
    names = ["map"] + [e for e in config["extras"] if e in config["scans"]]
    if with_temperatures is None:
        return names
    return [n for n in names if ("T_M" in config["scans"][n]) == with_temperatures]


def stage_config(config, stage, scan="map"):
    """The part of a resolved config that one stage's output depends on (a new dict).

    The workflow hands each job only this subset (canonical JSON as the rule's
    ``params``), so Snakemake reruns a job only when something it reads
    changed, and each dataset records it as its ``config`` attribute.
    Subsets grow along the chain (a stage's subset contains its inputs'):

    * ``kernels``: ``material``, ``geometry`` and ``scans[scan].axes`` -- no
      temperature (the kernels do not depend on it, docs/theory.md §4);
    * ``rates``, ``steady``: plus ``T_W``, ``scans[scan].T_M`` and the resolved
      ``scans[scan].store`` (what the file keeps); ``steady`` also ``T_M_slices``
      (the cube figure reads them from the file);
    * ``analytic``, ``dynamics`` (scan ``map``): plus ``analytic`` or ``dynamics``.

    Scan descriptions, ``results``, ``extras``, ``mpi`` (results do not depend
    on ranks or chunks) and ``figures`` are never part of a stage's config.
    """
    stages = ("kernels", "rates", "steady", "analytic", "dynamics")
    if stage not in stages:
        raise ValueError(f"unknown stage {stage!r}; allowed: {', '.join(stages)}")
    spec = config["scans"][scan]
    out = {
        "material": config["material"],
        "geometry": copy.deepcopy(config["geometry"]),
        "scans": {scan: {"axes": copy.deepcopy(spec["axes"])}},
    }
    if stage != "kernels" and "T_M" in spec:
        out["T_W"] = config["T_W"]
        out["scans"][scan]["T_M"] = copy.deepcopy(spec["T_M"])
    if stage in ("rates", "steady") and "T_M" in spec:
        from neqent.pipeline.budget import scan_storage

        # resolved, so scale.large_scan_points (which picks the default) need not travel
        out["scans"][scan]["store"] = scan_storage(config, scan)
        if stage == "steady" and "T_M_slices" in spec:  # recorded for the cube figure
            out["scans"][scan]["T_M_slices"] = copy.deepcopy(spec["T_M_slices"])
    if stage in ("analytic", "dynamics"):
        out[stage] = copy.deepcopy(config[stage])
    return out


def load_config_or_exit(parser, source):
    """:func:`neqent.pipeline.config.load_config` of ``--config``; parser.error naming it on failure."""
    try:
        return load_config(source, partial=True)  # the workflow passes each stage its subset
    except (ValueError, OSError) as exc:  # ConfigError is a ValueError
        parser.error(f"--config {shown(source)}: {first_line(exc)}")
