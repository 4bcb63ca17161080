"""fig4b data: C(t) at the maximum of the fig4a map (workflow/rules/dynamics.smk).

``dynamics_data(config, rates, steady)``: C(t) for the configured initial states.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neqent.pipeline.config import load_config
from neqent.pipeline.grid import BASIS, COORD_ATTRS, attrs
from neqent.pipeline.stages.steady import map_maximum, squeeze_map


def dynamics_data(config, rates_ds, steady):
    """C(t) at the maximum of the fig4a map for the configured initial states.

    Times ``t`` in units of 1/Gamma0, log-spaced from ``dynamics.t_min`` to
    ``relax_factor`` / (slowest eigenvalue of the Hermitian decay matrix
    Gamma(+w) + Gamma(-w)), i.e. well past the slowest relaxation. The
    thermal initial state is the one at T_W. Returns ``C`` (state, t),
    ``rho`` (state, t, i, j) complex, ``C_steady``.
    """
    from neqent.dynamics.entanglement import concurrence
    from neqent.dynamics.master import evolve, initial_state, slowest_relaxation_rate

    if not isinstance(config, dict):
        config = load_config(config)
    rates_ds, steady = squeeze_map(rates_ds), squeeze_map(steady)
    where = map_maximum(steady["C"])
    point = rates_ds.sel(where)
    gp, gm = point["gamma_plus"].values, point["gamma_minus"].values
    lam = complex(point["lambda12"].values)
    slowest = slowest_relaxation_rate(gp, gm)
    dcfg = config["dynamics"]
    t_max = dcfg["relax_factor"] / slowest
    t_min = min(dcfg["t_min"], t_max / 10)
    times = np.geomspace(t_min, t_max, int(dcfg["num"]))
    n_W = float(point["n_W"].values)
    states = list(dcfg["states"])
    rhos = []
    for name in states:
        rho0 = initial_state("thermal", n=n_W) if name == "thermal" else initial_state(name)
        rhos.append(np.asarray(evolve(gp, gm, lam, rho0, times)))
    rho = np.stack(rhos)  # (state, t, 4, 4)
    C = np.asarray(concurrence(rho), float)
    C_steady = float(steady["C"].sel(where).values)
    coords = {
        "state": ("state", states, attrs("1", "initial state ('thermal' = thermal state at T_W)")),
        "t": ("t", times, attrs("1", "time in units of 1/Gamma0 (Gamma0 t)")),
        "i": ("i", BASIS, COORD_ATTRS["i"]),
        "j": ("j", BASIS, COORD_ATTRS["j"]),
        "z2": ((), float(where["z2"]), COORD_ATTRS["z2"]),
        "T_M": ((), float(where["T_M"]), COORD_ATTRS["T_M"]),
        "T_W": ((), float(rates_ds["T_W"]), COORD_ATTRS["T_W"]),
        "omega": ((), float(rates_ds["omega"]), COORD_ATTRS["omega"]),
        "z1": ((), float(rates_ds["z1"]), COORD_ATTRS["z1"]),
    }
    return xr.Dataset(
        {
            "C": (("state", "t"), C, attrs("1", "concurrence C(t)")),
            "rho": (("state", "t", "i", "j"), rho, attrs("1", "density matrix (decoupled basis)")),
            "C_steady": ((), C_steady, attrs("1", "steady-state concurrence at this point (fig4a maximum)")),
            "slowest_rate": ((), slowest, attrs("1", "slowest eigenvalue of Gamma(+w) + Gamma(-w) (units of Gamma0)")),
        },
        coords=coords,
        attrs={"title": "neqent dynamics at the maximum of the fig4a map (fig4b)", "stage": "dynamics"},
    )
