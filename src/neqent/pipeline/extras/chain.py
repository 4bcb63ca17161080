"""Pipeline extra ``chain``: N qubits in a row above the body (docs/theory.md §10).

N qubits (``chain.n``, default 4) along x at height ``chain.z``, all dipoles
in the x-z plane at polar angle ``chain.theta`` (0 = along z), spaced by each
value of ``chain.spacing``; for every spacing the kernels of all pairs (one
batched quadrature) and, for every body temperature of ``chain.T_M``, the
N-qubit steady state, its pairwise concurrences and the half/half log
negativity. Material, slab thickness, frequency and T_W come from the main
config (``material``, ``geometry.delta``, ``geometry.omega_ratio`` or
``geometry.omega``, ``T_W``).

Its command line is :mod:`neqent.pipeline.chain` (data) and
:mod:`neqent.pipeline.plot_chain` (:func:`chain_figure`); its subset of the
config is :func:`chain_config`.
"""

from __future__ import annotations

import json

import numpy as np

from neqent.pipeline.extras.registry import Extra, Figure, register

__all__ = ["CHAIN_DEFAULTS", "chain_config", "chain_dataset", "best_temperature", "chain_figure", "EXTRA"]

#: defaults of the config's ``chain`` block (also in workflow/schemas/config.schema.json)
CHAIN_DEFAULTS = {
    "n": 4,
    "z": 1.0e-6,
    "theta": 0.0,
    "spacing": {"start": 1.0e-7, "stop": 2.0e-6, "num": 12, "spacing": "log"},
    "T_M": {"start": 0.0, "stop": 2500.0, "num": 11},
}


def chain_config(config: dict) -> dict:
    """The part of a (validated) pipeline config the chain stage reads, defaults filled in.

    Parameters
    ----------
    config : dict
        Validated pipeline configuration (SI units).

    Returns
    -------
    dict
        ``material``, ``T_W`` [K], ``delta`` [m], ``omega`` [rad/s] or
        ``omega_ratio`` [1], and the ``chain`` section (``spacing`` [m], ``T_M`` [K] grids).
    """
    geometry = config.get("geometry", {})
    freq = {"omega": geometry["omega"]} if "omega" in geometry else {"omega_ratio": geometry.get("omega_ratio", 0.3)}
    return {
        "material": config.get("material", "sic"),
        "T_W": float(config.get("T_W", 30.0)),
        "delta": geometry.get("delta", 1e-8),
        **freq,
        "chain": {**CHAIN_DEFAULTS, **config.get("chain", {})},
    }


def _checked(sub: dict):
    """Resolved grids and values of a chain subset; ValueError naming the key."""
    from neqent.dynamics.many_rates import MAX_QUBITS
    from neqent.electrodynamics.materials import get_material
    from neqent.pipeline.grid import coerce_numbers, resolve_range

    sub = coerce_numbers(json.loads(json.dumps(sub)))
    c = sub["chain"]
    n = c["n"]
    if not isinstance(n, int) or not 2 <= n <= MAX_QUBITS:
        raise ValueError(f"config key 'chain.n': number of qubits must be an integer in 2..{MAX_QUBITS}, got {n!r}")
    if not (isinstance(c["z"], (int, float)) and np.isfinite(c["z"]) and c["z"] > 0):
        raise ValueError(f"config key 'chain.z': height must be > 0 m (above the body), got {c['z']!r}")
    grids = {}
    for key, low in (("spacing", 0.0), ("T_M", None)):
        try:
            values = resolve_range(c[key])
        except ValueError as exc:
            raise ValueError(f"config key 'chain.{key}': {exc}") from None
        if key == "spacing" and np.any(values <= low):
            raise ValueError(f"config key 'chain.spacing': spacings must be > 0 m, got {values.min()!r}")
        if key == "T_M" and np.any(values < 0):
            raise ValueError(f"config key 'chain.T_M': temperatures must be >= 0 K, got {values.min()!r}")
        grids[key] = values
    material = get_material(sub["material"])
    omega = sub["omega"] if "omega" in sub else sub["omega_ratio"] * material.resonance
    return sub, material, float(omega), grids


def chain_dataset(sub: dict, progress=False):
    """Kernels, rates and steady-state entanglement of the chain over (spacing, T_M).

    Parameters
    ----------
    sub : dict
        Chain subset of the configuration (:func:`chain_config`).
    progress : bool
        Show a progress bar.

    Returns
    -------
    xarray.Dataset
        ``C`` (spacing, T_M, pair) pairwise concurrence [1],
        ``log_negativity_half`` (spacing, T_M) of the half/half cut [1] (base 2),
        ``alpha_W``, ``alpha_M``, ``Lambda`` (spacing, q, qp) complex [Gamma0],
        ``neighbour_order`` (pair) = ``|q - q'|`` [1]; coordinates ``spacing``
        [m] and ``T_M`` [K].
    """
    import xarray as xr
    from tqdm import tqdm

    from neqent.dynamics.many_body import steady_state_n
    from neqent.dynamics.many_entanglement import bipartite_log_negativity, pair_concurrences
    from neqent.dynamics.many_rates import ManyGeometry, compute_many_kernels, many_rates, pair_indices
    from neqent.dynamics.rates import occupation
    from neqent.validation import electrical_size

    sub, material, omega, grids = _checked(sub)
    c = sub["chain"]
    n, z, theta = c["n"], float(c["z"]), float(c["theta"])
    spacing, T_M = grids["spacing"], grids["T_M"]
    electrical_size(
        omega,
        z,
        z,
        (n - 1) * float(spacing.max()),
        sub["delta"],
        material.eps(omega),
        ("omega", "chain.z", "chain.z", "(chain.n - 1) * chain.spacing", "geometry.delta"),
    )
    dipole = (np.sin(theta), 0.0, np.cos(theta))
    q, qp = pair_indices(n)
    labels = [f"{a + 1}-{b + 1}" for a, b in zip(q, qp)]
    C = np.zeros((spacing.size, T_M.size, len(labels)))
    half = np.zeros((spacing.size, T_M.size))
    kern = {k: np.zeros((spacing.size, n, n), complex) for k in ("alpha_W", "alpha_M", "Lambda")}
    n_W = float(occupation(omega, sub["T_W"]))
    for i, s in enumerate(tqdm(spacing, desc="chain", disable=not progress)):
        geometry = ManyGeometry(
            positions=[(k * s, 0.0, z) for k in range(n)], dipoles=dipole, material=material, delta=sub["delta"]
        )
        k = compute_many_kernels(geometry, omega)
        kern["alpha_W"][i], kern["alpha_M"][i], kern["Lambda"][i] = k.alpha_W, k.alpha_M, k.Lambda
        for j, t in enumerate(T_M):
            gp, gm = many_rates(k, n_W, float(occupation(omega, t)))
            rho = steady_state_n(gp, gm, k.Lambda)
            C[i, j] = list(pair_concurrences(rho).values())
            half[i, j] = bipartite_log_negativity(rho, range(n // 2))
    coords = {
        "spacing": ("spacing", spacing, {"units": "m", "long_name": "distance between neighbouring qubits"}),
        "T_M": ("T_M", T_M, {"units": "K", "long_name": "body temperature"}),
        "pair": ("pair", labels, {"units": "1", "long_name": "qubit pair q-q' (1-based, along +x)"}),
        "q": ("q", np.arange(1, n + 1), {"units": "1", "long_name": "qubit index"}),
        "qp": ("qp", np.arange(1, n + 1), {"units": "1", "long_name": "qubit index q'"}),
    }
    data = {
        "C": (("spacing", "T_M", "pair"), C, {"units": "1", "long_name": "steady pairwise concurrence"}),
        "log_negativity_half": (
            ("spacing", "T_M"),
            half,
            {"units": "1", "long_name": "steady log negativity (base 2), half/half cut"},
        ),
        "neighbour_order": ("pair", (qp - q).astype(np.int64), {"units": "1", "long_name": "|q - q'|"}),
    }
    names = {
        "alpha_W": "wall kernel alpha_W^{qq'}",
        "alpha_M": "body kernel alpha_M^{qq'}",
        "Lambda": "coherent coupling Lambda^{qq'}",
    }
    for key, values in kern.items():
        data[key] = (("spacing", "q", "qp"), values, {"units": "Gamma0", "long_name": names[key]})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        title="neqent chain: N qubits in a row, steady pairwise entanglement",
        stage="chain",
        scan="chain",
        n_qubits=n,
        z=z,
        theta=theta,
        omega=omega,
        T_W=sub["T_W"],
        material=material.name,
        delta=float(sub["delta"]),
    )
    return ds


_ORDER_NAMES = {1: "nearest", 2: "next-nearest"}


def best_temperature(ds):
    """Index of the T_M with the highest pairwise concurrence anywhere on the spacing grid.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of the chain stage (``C`` [1] over spacing, T_M, pair).

    Returns
    -------
    int
        Index along ``T_M``.
    """
    return int(np.argmax(ds["C"].max(dim=("spacing", "pair")).values))


def chain_figure(ds, base, dpi=150):
    """Draw the chain figure from the chain stage's dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of the chain stage (``C`` [1] over ``spacing`` [m], ``T_M`` [K], pair).
    base : str or pathlib.Path
        Output path without extension (``.png`` and ``.pdf`` are written).
    dpi : int
        PNG resolution [1/inch].

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from neqent.pipeline.figstyle import UM, pyplot, save

    plt = pyplot()
    it = best_temperature(ds)
    c = ds["C"].isel(T_M=it)
    order = ds["neighbour_order"].values
    s = ds["spacing"].values / UM
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    for d in sorted(set(order.tolist())):
        cols = np.flatnonzero(order == d)
        label = _ORDER_NAMES.get(d, f"|q - q'| = {d}")
        ax.plot(
            s,
            c.values[:, cols].max(axis=1),
            marker="o",
            ms=3,
            label=f"{label} (|q - q'| = {d})" if d in _ORDER_NAMES else label,
        )
    ax.set_xscale("log")
    ax.set_xlabel("spacing (um)")
    ax.set_ylabel("steady concurrence C (max over pairs)")
    n = int(ds.attrs.get("n_qubits", len(set(order.tolist())) + 1))
    ax.set_title(
        f"{n} qubits in a row, T_M = {float(ds['T_M'][it]):g} K (best), T_W = {float(ds.attrs['T_W']):g} K", fontsize=9
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, base, dpi=dpi)


EXTRA = register(
    Extra(
        name="chain",
        description="N qubits in a row: pairwise steady concurrence over spacing x T_M",
        axes=("spacing", "T_M", "pair", "q", "qp"),
        subset=chain_config,
        compute=chain_dataset,
        figures={"chain": Figure(chain_figure, ("chain",))},
        slab_only=True,
    )
)
