"""Pipeline extra ``gratings``: steady C of two qubits above a lamellar grating, ridge or groove (docs/theory.md §12).

Both qubits sit at the same height z above the top of the ridges, a fixed
distance ``r12`` apart along y (along the grooves), at the lateral position x
(across the grooves; ridges centred at x = 0 mod D). The map is C over
(x, z, T_M) at the paper's frequency (``geometry.omega_ratio`` times the ridge
material's resonance, or ``geometry.omega``) and ``T_W``; beside it the planar
film of the ridge material and the same height h (C over z, T_M).

x needs one period only: a shift of both qubits by D changes nothing
(periodicity, docs/theory.md §12), so the default grid samples [0, D). With
the dipoles along z (``geometry.theta = 0``) the mirror x -> -x also gives
C(x) = C(D - x).

Period, fill and height may be lists (scan axes): every (period, fill, height)
is one grating, one R(k) table; x and z are contracted from that table, so
the map costs one table per grating, not one per position.

The k rule of each grating is cut into independent parts
(``Grating.part_count``/``part_blocks``): :func:`shard_blocks` computes the parts
j with j % n == i of shard i of n (spread over the MPI ranks of the job when
launched under ``mpiexec``), and :func:`gather_dataset` sums all parts in part
order (``add_parts``), so the result is bit-identical for any shard or rank count.
``python -m neqent.pipeline.extra gratings`` computes everything in one job;
``python -m neqent.pipeline.gratings_shards`` runs the shard and gather steps
(workflow/rules/gratings.smk).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neqent.errors import ConfigError
from neqent.pipeline.extras.registry import Extra, Figure, register
from neqent.pipeline.grid import attrs, checked_range

__all__ = [
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
    "EXTRA",
]

#: The keys of the section that may be lists (one grating per combination), in dataset order.
SHAPE_KEYS = ("period", "fill", "height")

#: Their dimensions in the dataset ('height' alone would read as a vertical axis to CF).
GRATING_DIMS = ("period", "fill", "ridge_height")


def gratings_params(config) -> dict:
    """The config subset of the gratings extra (what its rules pass as params).

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).

    Returns
    -------
    dict
        ``gratings`` section, ``theta`` [rad], ``T_W`` [K], ``omega_ratio`` [1] or ``omega`` [rad/s]
        (from ``geometry``) and ``memory_budget`` (``scale.memory_budget``).
    """
    g = config["geometry"]
    out = {
        "theta": g["theta"],
        "T_W": config["T_W"],
        "memory_budget": config["scale"]["memory_budget"],
    }
    key = "omega" if "omega" in g else "omega_ratio"
    out[key] = g[key]
    # the shard count changes no result (parts are summed in part order), so it stays out of the params
    out["gratings"] = {k: v for k, v in config["gratings"].items() if k != "shards"}
    return out


def part_params(params) -> dict:
    """The subset the shard jobs read: :func:`gratings_params` without T_W, theta and the T_M grid.

    The parts' blocks depend on the grating, the positions and omega only, so a change of the
    temperatures or the dipoles reruns the gather job, not the shards.

    Parameters
    ----------
    params : dict
        :func:`gratings_params`.

    Returns
    -------
    dict
        The same keys without ``T_W``, ``theta`` and ``gratings.T_M``.
    """
    out = {k: v for k, v in params.items() if k not in ("T_W", "theta")}
    out["gratings"] = {k: v for k, v in params["gratings"].items() if k != "T_M"}
    return out


def grating_omega(params):
    """The ridge material and the angular frequency of the map.

    Parameters
    ----------
    params : dict
        :func:`gratings_params`.

    Returns
    -------
    material : neqent.electrodynamics.materials.Material
        Ridge material (``gratings.material``).
    omega : float
        ``omega`` [rad/s], or ``omega_ratio`` times the ridge material's resonance.

    Raises
    ------
    ValueError
        Naming ``gratings.material`` or ``geometry.omega_ratio``.
    """
    from neqent.electrodynamics.materials import get_layer_material

    try:
        material = get_layer_material(params["gratings"]["material"])
    except ValueError as exc:
        raise ValueError(f"config key 'gratings.material': {exc}") from None
    if "omega" in params:
        return material, float(params["omega"])
    if material.resonance is None:
        raise ValueError(
            f"config key 'geometry.omega_ratio': grating material {material.name!r} has no resonance; "
            "give geometry.omega (rad/s)"
        )
    return material, float(params["omega_ratio"]) * material.resonance


def _values(section, key):
    """A number or a list of numbers of the section, as a 1-D float array (ConfigError naming the key)."""
    raw = section[key]
    values = np.atleast_1d(np.asarray(raw, dtype=float)) if not isinstance(raw, dict) else None
    if values is None or values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ConfigError(f"config key 'gratings.{key}': expected a finite number or a list of them, got {raw!r}")
    return values


def grating_shapes(section):
    """Every (period, fill, height) of the section, with the checks of each value.

    Parameters
    ----------
    section : dict
        The ``gratings`` section.

    Returns
    -------
    dict of str to ndarray
        ``period`` [m], ``fill`` [1], ``height`` [m], each 1-D (a scan axis).

    Raises
    ------
    ConfigError
        Naming ``gratings.period`` (D <= 0), ``gratings.fill`` (outside [0, 1]) or ``gratings.height`` (h <= 0).
    """
    shapes = {key: _values(section, key) for key in SHAPE_KEYS}
    if np.any(shapes["period"] <= 0):
        raise ConfigError(f"config key 'gratings.period': the period D must be > 0 m, got {shapes['period'].min():g}")
    if np.any((shapes["fill"] < 0) | (shapes["fill"] > 1)):
        bad = shapes["fill"][(shapes["fill"] < 0) | (shapes["fill"] > 1)][0]
        raise ConfigError(f"config key 'gratings.fill': the filling fraction f must be in [0, 1], got {bad:g}")
    if np.any(shapes["height"] <= 0):
        raise ConfigError(f"config key 'gratings.height': the height h must be > 0 m, got {shapes['height'].min():g}")
    for key, values in shapes.items():
        if np.unique(values).size != values.size:
            raise ConfigError(f"config key 'gratings.{key}': values must be distinct, got {values.tolist()}")
    return shapes


def _bodies(section, shapes):
    """One :class:`~neqent.electrodynamics.grating.Grating` per (period, fill, height), C order."""
    from neqent.electrodynamics.grating import Grating

    orders = section.get("orders")
    return [
        Grating(section["material"], D, f, h, grooves=section["grooves"], orders=orders, tol=section["tol"])
        for D in shapes["period"]
        for f in shapes["fill"]
        for h in shapes["height"]
    ]


def pair_positions(x, z, r12):
    """Both qubits at (x, -+r12/2, z) for every (x, z), x slowest.

    Parameters
    ----------
    x : ndarray, shape (Nx,)
        Lateral positions across the grooves [m].
    z : ndarray, shape (Nz,)
        Common height above the top of the ridges [m].
    r12 : float
        Separation of the qubits along y (along the grooves) [m].

    Returns
    -------
    r1, r2 : ndarray, shape (Nx * Nz, 3)
        Positions of qubits 1 and 2 [m].
    """
    X, Z = np.meshgrid(np.asarray(x, float), np.asarray(z, float), indexing="ij")
    r1 = np.column_stack([X.ravel(), np.full(X.size, -0.5 * r12), Z.ravel()])
    return r1, r1 + np.array([0.0, r12, 0.0])


def _table_bytes(body, omega, z_min):
    """Lower bound of a grating's R, T table [B]: the initial k rule at the orders it keeps at ``z_min``."""
    from neqent.electrodynamics.fmm import orders_for
    from neqent.electrodynamics.grating_quadrature import plan

    orders = body.orders_at(omega, z_min)
    kept = min(orders, orders_for(omega, body.shape, z_min, tol=1e-8, n_min=0, cap=10**6))
    nodes = plan(omega, body.period, kept, z_min, body.tol).pending()[0].size
    m2 = 2 * (2 * kept + 1)
    return orders, nodes * 16 * m2 * m2 * (2 if body.shape.vacuum_below else 1)


def check_gratings(params):
    """Check that every grating and position of the section can be computed.

    Parameters
    ----------
    params : dict
        :func:`gratings_params`.

    Returns
    -------
    dict
        ``material``, ``omega`` [rad/s], ``shapes`` (:func:`grating_shapes`), ``bodies`` (list of Grating,
        C order over period, fill, height), ``x``, ``z`` [m], ``T_M`` [K], ``r12`` [m].

    Raises
    ------
    ConfigError
        Naming ``gratings.<key>``: bad shape values, a qubit in the ridge layer (z <= 0), a bad material,
        tol, orders, shard count, orders beyond the cap or beyond ``scale.memory_budget``.
    """
    from neqent.pipeline.budget import format_bytes, parse_budget

    section = params["gratings"]
    try:
        material, omega = grating_omega(params)
        material.eps(omega)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    shapes = grating_shapes(section)
    x = checked_range("gratings.x", section["x"])
    z = checked_range("gratings.z", section["z"])
    T_M = checked_range("gratings.T_M", section["T_M"]) if "T_M" in section else np.zeros(1)  # shards: none
    if np.any(z <= 0):
        raise ConfigError(
            f"config key 'gratings.z': qubits must be above the ridges (z > 0 m; z <= 0 is inside the ridge "
            f"layer), got {z.min():g}"
        )
    if np.any(T_M < 0):
        raise ConfigError(f"config key 'gratings.T_M': temperatures must be >= 0 K, got {T_M.min():g}")
    r12 = float(section["r12"])
    if not r12 > 0:
        raise ConfigError(f"config key 'gratings.r12': the qubits' separation must be > 0 m, got {r12:g}")
    try:
        bodies = _bodies(section, shapes)
    except ValueError as exc:
        key = "orders" if "orders" in str(exc) else "tol" if "tol" in str(exc) else "material"
        raise ConfigError(f"config key 'gratings.{key}': {exc}") from None
    budget = parse_budget(params["memory_budget"], "config key 'scale.memory_budget'")
    for body in bodies:
        try:
            orders, need = _table_bytes(body, omega, float(z.min()))
        except ValueError as exc:  # orders beyond the cap, or fixed orders that leave out too much
            raise ConfigError(f"config key 'gratings.{'orders' if body.orders is not None else 'z'}': {exc}") from None
        if need > budget:
            raise ConfigError(
                f"config key 'gratings.orders': {orders} orders at z = {z.min():g} m need at least "
                f"{format_bytes(need)} of R, T table ({body.label}), over scale.memory_budget "
                f"{format_bytes(budget)}; give fewer orders, a looser tol or higher z"
            )
    return {
        "material": material,
        "omega": omega,
        "shapes": shapes,
        "bodies": bodies,
        "x": x,
        "z": z,
        "T_M": T_M,
        "r12": r12,
    }


def check_config(config, body):
    """The ``gratings`` section, when the extra is listed.

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).
    body : neqent.electrodynamics.body.Body
        The config's body (the extra builds gratings of its own; unused).

    Raises
    ------
    ConfigError
        Naming ``gratings.<key>`` (:func:`check_gratings`).
    """
    if "gratings" in config["extras"]:
        check_gratings(gratings_params(config))


def _one_thread_per_rank():
    """Numba and BLAS on one thread: ranks already fill the cores (threads on top of them thrash:
    2 ranks x 2 threads on 2 cores measured 10x slower than 1 rank)."""
    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(1)
    threadpool_limits(1)


def shard_blocks(params, shard=0, shards=1, comm=None, progress=False) -> dict:
    """The parts j with j % shards == shard of every grating's k rule, for all positions at once.

    Parameters
    ----------
    params : dict
        :func:`gratings_params`.
    shard, shards : int
        This shard and the number of shards [1].
    comm : mpi4py communicator, optional
        Ranks that share each batch of k points (every rank returns the same result).
    progress : bool
        Show a progress bar over the gratings.

    Returns
    -------
    dict of str to ndarray
        Per grating ``g``: ``g{g}_parts`` (part indices), ``g{g}_count`` (parts in all), ``g{g}_W``,
        ``g{g}_M``, ``g{g}_GR`` (len(parts), N, 2, 2, 3, 3) and ``g{g}_orders``, ``g{g}_k_points`` (of its parts).
    """
    from neqent.electrodynamics.grating import rank_map

    checked = check_gratings(params)
    omega, kmap = checked["omega"], None if comm is None else rank_map(comm)
    if comm is not None and comm.Get_size() > 1:
        _one_thread_per_rank()
    r1, r2 = pair_positions(checked["x"], checked["z"], checked["r12"])
    out = {}
    iterator = enumerate(checked["bodies"])
    if progress:
        import sys

        from tqdm import tqdm

        iterator = tqdm(iterator, total=len(checked["bodies"]), desc="gratings", unit="grating", file=sys.stderr)
    for g, body in iterator:
        n = body.part_count(omega, r1, r2)
        mine = np.arange(shard, n, shards, dtype=np.int64)
        if mine.size:
            W, M, GR = body.part_blocks(omega, r1, r2, mine, kmap=kmap)
        else:  # a shard beyond the part count
            W = M = GR = np.empty((0, len(r1), 2, 2, 3, 3), np.complex128)
        accuracy = (body.last_accuracy or {}) if mine.size else {"k_points": 0}
        out.update(
            {
                f"g{g}_parts": mine,
                f"g{g}_count": np.int64(n),
                f"g{g}_W": W,
                f"g{g}_M": M,
                f"g{g}_GR": GR,
                f"g{g}_orders": np.int64(body.last_orders if body.last_orders is not None else -1),
                f"g{g}_k_points": np.int64(accuracy.get("k_points", -1)),
            }
        )
    return out


def _gathered(shards, g):
    """Grating g's W, M, GR summed over all parts in part order, its orders and k points, from every shard."""
    from neqent.electrodynamics.grating import add_parts

    count = {int(s[f"g{g}_count"]) for s in shards}
    if len(count) != 1:
        raise ValueError(f"grating {g}: the shards disagree on the number of parts {sorted(count)}")
    n = count.pop()
    parts = np.concatenate([s[f"g{g}_parts"] for s in shards])
    order = np.argsort(parts, kind="stable")
    if not np.array_equal(parts[order], np.arange(n)):
        raise ValueError(f"grating {g}: the shards hold parts {sorted(parts.tolist())}, not each of 0..{n - 1} once")
    blocks = [add_parts(np.concatenate([s[f"g{g}_{k}"] for s in shards])[order]) for k in ("W", "M", "GR")]
    orders = max(int(s[f"g{g}_orders"]) for s in shards)
    k_points = sum(int(s[f"g{g}_k_points"]) for s in shards)  # each shard counts the k points of its parts
    return blocks, orders, k_points, n


def _kernels(W, M, GR, omega, r1, r2, theta):
    """alpha_W, alpha_M (N, 2, 2) [Gamma0] and Lambda12 (N,) [Gamma0] of blocks, dipoles at theta in x-z."""
    from neqent.pipeline.extras.sphere import block_kernels

    return block_kernels(W, M, GR, omega, r1, r2, theta)


def _film(checked, params, T_M):
    """C (height, z, T_M) above the planar film of the ridge material and each height, and its alpha_M."""
    from neqent.electrodynamics.planar import Slab
    from neqent.pipeline.extras.sphere import steady_concurrence

    omega, T_W, theta = checked["omega"], float(params["T_W"]), float(params["theta"])
    r1, r2 = pair_positions([0.0], checked["z"], checked["r12"])  # laterally uniform: x = 0 is every x
    C, aM = [], []
    for h in checked["shapes"]["height"]:
        W, M, GR = Slab(checked["material"], h).pair_block(omega, r1, r2)
        kernels = _kernels(W, M, GR, omega, r1, r2, theta)
        C.append(steady_concurrence(*kernels, omega, T_W, T_M))
        aM.append(kernels[1])
    return np.stack(C), np.stack(aM)


def gather_dataset(params, shards) -> xr.Dataset:
    """The dataset from every shard's parts (:func:`shard_blocks`), summed in part order.

    Parameters
    ----------
    params : dict
        :func:`gratings_params`.
    shards : sequence of dict
        The outputs of :func:`shard_blocks` for shards 0..n-1 (any order).

    Returns
    -------
    xarray.Dataset
        ``C`` (period, fill, ridge_height, x, z, T_M) [1]; ``C_max`` and ``T_M_at_max`` (period, fill,
        ridge_height, x, z); ``alpha_W``, ``alpha_M`` (..., x, z, q, qp) [Gamma0]; ``orders``, ``k_points``,
        ``parts`` (period, fill, ridge_height); the film ``C_film`` (ridge_height, z, T_M), ``C_film_max``,
        ``T_M_film_at_max`` (ridge_height, z), ``alpha_M_film`` (ridge_height, z, q, qp). Coordinates in SI.
    """
    from neqent.pipeline.extras.sphere import steady_concurrence

    checked = check_gratings(params)
    omega, T_W, theta = checked["omega"], float(params["T_W"]), float(params["theta"])
    x, z, T_M, shapes = checked["x"], checked["z"], checked["T_M"], checked["shapes"]
    r1, r2 = pair_positions(x, z, checked["r12"])
    grid = tuple(v.size for v in shapes.values())
    C, aW, aM, orders, k_points, parts = [], [], [], [], [], []
    for g in range(len(checked["bodies"])):
        (W, M, GR), n_ord, n_k, n_parts = _gathered(shards, g)
        kernels = _kernels(W, M, GR, omega, r1, r2, theta)
        C.append(steady_concurrence(*kernels, omega, T_W, T_M).reshape(x.size, z.size, T_M.size))
        aW.append(kernels[0].reshape(x.size, z.size, 2, 2))
        aM.append(kernels[1].reshape(x.size, z.size, 2, 2))
        orders.append(n_ord)
        k_points.append(n_k)
        parts.append(n_parts)
    C = np.stack(C).reshape(grid + C[0].shape)
    C_film, aM_film = _film(checked, params, T_M)
    return _dataset(params, checked, C, np.stack(aW), np.stack(aM), (orders, k_points, parts), C_film, aM_film)


def _dataset(params, checked, C, aW, aM, counts, C_film, aM_film):
    """The CF-clean dataset of :func:`gather_dataset`."""
    from neqent.pipeline.extras.sphere import max_over_temperature as _at_max

    shapes, x, z, T_M = checked["shapes"], checked["x"], checked["z"], checked["T_M"]
    grid = tuple(v.size for v in shapes.values())
    section = params["gratings"]
    g_dims = GRATING_DIMS
    pos = g_dims + ("x", "z")
    c_max, t_max = _at_max(C, T_M)
    f_max, f_t = _at_max(C_film, T_M)
    orders, k_points, parts = (np.asarray(v, np.int64).reshape(grid) for v in counts)
    data = {
        "C": (pos + ("T_M",), C, attrs("1", "steady concurrence above the grating")),
        "C_max": (pos, c_max, attrs("1", "maximum over T_M of C above the grating")),
        "T_M_at_max": (pos, t_max, attrs("K", "T_M of the maximum of C above the grating")),
        "alpha_W": (pos + ("q", "qp"), aW.reshape(grid + aW.shape[1:]), attrs("1", "wall kernel (Gamma0)")),
        "alpha_M": (pos + ("q", "qp"), aM.reshape(grid + aM.shape[1:]), attrs("1", "body kernel (Gamma0)")),
        "orders": (g_dims, orders, attrs("1", "diffraction orders -N..N of the FMM solves")),
        "k_points": (g_dims, k_points, attrs("1", "k points of the R, T table")),
        "parts": (g_dims, parts, attrs("1", "independent parts of the k rule (shard work units)")),
        "C_film": (("ridge_height", "z", "T_M"), C_film, attrs("1", "steady concurrence above the planar film")),
        "C_film_max": (("ridge_height", "z"), f_max, attrs("1", "maximum over T_M of C above the film")),
        "T_M_film_at_max": (("ridge_height", "z"), f_t, attrs("K", "T_M of the maximum of C above the film")),
        "alpha_M_film": (("ridge_height", "z", "q", "qp"), aM_film, attrs("1", "body kernel of the film (Gamma0)")),
    }
    coords = {
        "period": ("period", shapes["period"], attrs("m", "grating period D")),
        "fill": ("fill", shapes["fill"], attrs("1", "filling fraction f of the ridges")),
        "ridge_height": ("ridge_height", shapes["height"], attrs("m", "ridge height h (and film thickness)")),
        "x": ("x", x, attrs("m", "lateral position of both qubits across the grooves (ridge centre at 0)")),
        "z": ("z", z, attrs("m", "height of both qubits above the top of the ridges")),
        "T_M": ("T_M", T_M, attrs("K", "body temperature")),
        "q": ("q", [1, 2], attrs("1", "qubit index q")),
        "qp": ("qp", [1, 2], attrs("1", "qubit index q'")),
        "omega": ((), checked["omega"], attrs("rad s-1", "transition angular frequency")),
        "r12": ((), checked["r12"], attrs("m", "separation of the qubits along y (along the grooves)")),
        "tol": ((), float(section["tol"]), attrs("1", "target accuracy of the k rule (Gamma0)")),
        "theta": ((), float(params["theta"]), attrs("rad", "polar angle of both dipoles (x-z plane; 0 = along z)")),
        "T_W": ((), float(params["T_W"]), attrs("K", "wall temperature")),
    }
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            "title": "neqent gratings extra",
            "stage": "gratings",
            "material": checked["material"].name,
            "grooves": str(section["grooves"]),
            "below": "vacuum",
        },
    )


def gratings_scan(params, progress=True):
    """Every part in one job (spread over the MPI ranks when launched under ``mpiexec``): the dataset.

    Parameters
    ----------
    params : dict
        :func:`gratings_params`.
    progress : bool
        Show a progress bar over the gratings.

    Returns
    -------
    xarray.Dataset or None
        :func:`gather_dataset` on rank 0; None on the other ranks.
    """
    from neqent.dynamics.mpi_map import world

    comm = world()
    blocks = shard_blocks(params, 0, 1, comm=comm, progress=progress)
    if comm is not None and comm.Get_rank() != 0:
        return None
    return gather_dataset(params, [blocks])


# ----------------------------------------------------------------------
# Figure


def _star(ax, x, y, value, label):
    ax.plot([x], [y], marker="*", ms=11, color="white", mec="black", mew=0.8)
    ax.set_title(f"{label}\nmax C = {value:.3g} at the star", fontsize=8)


def gratings_figure(ds, base, dpi=150):
    """The grating's map (max over T_M of C against x, z), its C(z, T_M) at the best x, and the film's C(z, T_M).

    The grating drawn is the (period, fill, height) with the largest C; each panel marks its maximum.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`gather_dataset`.
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from neqent.pipeline.figstyle import UM, edges, pyplot, save

    plt = pyplot()
    c_max = ds["C_max"]
    best = np.unravel_index(int(np.argmax(np.nan_to_num(c_max.values, nan=-1.0))), c_max.shape)
    at = dict(zip(c_max.dims, best))
    one = ds.isel({k: at[k] for k in GRATING_DIMS})
    film = ds.isel(ridge_height=at["ridge_height"])
    x, z, T = ds["x"].values / UM, ds["z"].values / UM, ds["T_M"].values
    vmax = max(float(np.nanmax(one["C"].values)), float(np.nanmax(film["C_film"].values)), 1e-12)
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.7), layout="constrained")
    style = {"shading": "flat", "vmin": 0.0, "vmax": vmax, "cmap": "viridis"}
    ax = axes[0]
    ax.pcolormesh(edges(x), edges(z), one["C_max"].transpose("z", "x").values, **style)
    ix, iz = at["x"], at["z"]
    t_best = float(one["T_M_at_max"].values[ix, iz])
    _star(ax, x[ix], z[iz], float(one["C_max"].values[ix, iz]), "grating: max over T_M of C")
    ax.set_xlabel("x across the grooves (um; ridge centre at 0)")
    ax.set_ylabel("z above the ridges (um)")
    ax = axes[1]
    ax.pcolormesh(edges(z), edges(T), one["C"].isel(x=ix).transpose("T_M", "z").values, **style)
    _star(ax, z[iz], t_best, float(one["C_max"].values[ix, iz]), f"grating at x = {x[ix]:.3g} um")
    ax = axes[2]
    mesh = ax.pcolormesh(edges(z), edges(T), film["C_film"].transpose("T_M", "z").values, **style)
    jz = int(np.argmax(np.nan_to_num(film["C_film_max"].values, nan=-1.0)))
    h_um = float(film["ridge_height"]) / UM
    film_best = (float(film["T_M_film_at_max"].values[jz]), float(film["C_film_max"].values[jz]))
    _star(ax, z[jz], *film_best, f"film, h = {h_um:.3g} um")
    for ax in axes[1:]:
        ax.set_xlabel("z (um)")
        ax.set_ylabel("T_M (K)")
    fig.colorbar(mesh, ax=axes, label="steady concurrence C")
    fig.suptitle(
        f"{ds.attrs['material']} grating D = {float(one['period']) / UM:.3g} um, f = {float(one['fill']):.3g}, "
        f"h = {h_um:.3g} um; qubits {float(ds['r12']) / UM:.3g} um apart along y; best: x = {x[ix]:.3g} um, "
        f"z = {z[iz]:.3g} um, T_M = {t_best:.4g} K (tol {float(ds['tol']):g})",
        fontsize=8,
    )
    return save(fig, base, dpi=dpi)


EXTRA = register(
    Extra(
        name="gratings",
        description="steady C above a lamellar grating against the qubits' x, z and T_M, beside the film",
        axes=(*GRATING_DIMS, "x", "z", "T_M", "q", "qp"),
        subset=gratings_params,
        check=check_config,
        compute=gratings_scan,
        figures={"gratings": Figure(gratings_figure, ("gratings",))},
        rules="own",
        mpi=True,
    )
)
