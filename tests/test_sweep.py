"""Pipeline stages: grids, rate broadcasting, batched steady states against the analytic
symmetric case (physics.md section 8), dynamics reaching the steady state, kernel tabulation."""
import numpy as np
import pytest
import xarray as xr

from neqent import sweep
from neqent.analytic import symmetric_concurrence
from neqent.config import load_config
from neqent.rates import occupation, rates, symmetric_channels

TEST_CONFIG = "config/test.yaml"


@pytest.fixture(scope="module")
def config(request):
    return load_config(request.config.rootpath / TEST_CONFIG)


def synthetic_kernels(z2, z1=1e-6, omega=0.3 * 1.495e14):
    """Kernel dataset shaped like kernel_grid's, symmetric (§8) at every z2, z2-dependent."""
    z2 = np.asarray(z2, float)
    s = 1 + 0 * z2
    w12 = 0.999 - 0.0005 * (z2 / z1 - 1) ** 2      # alpha_W^{12}, real: Gamma_A/Gamma_S ~ 5e-3
    m = 0.02 * (1e-6 / z2)                         # alpha_M self terms
    m12 = 0.5 * m                                  # body dominates the antisymmetric channel
    aW = np.stack([np.stack([s, w12], -1), np.stack([w12, s], -1)], -2).astype(complex)
    aM = np.stack([np.stack([m, m12], -1), np.stack([m12, m], -1)], -2).astype(complex)
    lam = (-0.3 + 0.1 * z2 / z1).astype(complex)
    coords = {"z2": ("z2", z2, sweep.COORD_ATTRS["z2"]), "z1": ((), z1, sweep.COORD_ATTRS["z1"]),
              "omega": ((), omega, sweep.COORD_ATTRS["omega"]),
              "q": ("q", [1, 2], sweep.COORD_ATTRS["q"]), "qp": ("qp", [1, 2], sweep.COORD_ATTRS["qp"])}
    a = {"units": "1", "long_name": "x"}
    return xr.Dataset({"alpha_W": (("z2", "q", "qp"), aW, a), "alpha_M": (("z2", "q", "qp"), aM, a),
                       "lambda12": (("z2",), lam, a)}, coords=coords, attrs={"scan": "map"})


Z2 = [0.5e-6, 1e-6, 1.7e-6]
T_M = np.array([0.0, 30.0, 300.0, 1200.0, 2500.0])


def test_scan_axes_put_z1_on_grid_and_convert_omega(config):
    axes, fixed = sweep.scan_axes(config, "map")
    assert list(axes) == ["z2"] and fixed["z1"] in axes["z2"]
    assert fixed["omega"] == pytest.approx(0.3 * 1.495e14)
    axes, fixed = sweep.scan_axes(config, "alpha")
    assert list(axes) == ["z2", "omega"]  # AXIS_ORDER, whatever the config order
    assert np.allclose(axes["omega"] / 1.495e14, [0.3, 0.9, 1.1])
    cfg = load_config(config, overrides={"scans": {"map": {"axes": {"z2": [0.4e-6, 0.7e-6, 1.3e-6]}}}})
    z2 = sweep.scan_axes(cfg, "map")[0]["z2"]
    assert z2.tolist() == [0.4e-6, 0.7e-6, 1e-6, 1.3e-6]  # inserted in order


def test_rate_grid_broadcasts_kernels_against_occupations():
    k = synthetic_kernels(Z2)
    r = sweep.rate_grid(k, T_M, 30.0)
    assert r["gamma_plus"].dims == ("z2", "T_M", "q", "qp")
    w = float(k["omega"])
    for iz in range(len(Z2)):
        for it, T in enumerate(T_M):
            gp, gm = rates(k["alpha_W"].values[iz], k["alpha_M"].values[iz], occupation(w, 30.0), occupation(w, T))
            np.testing.assert_allclose(r["gamma_plus"].values[iz, it], gp, rtol=1e-15)
            np.testing.assert_allclose(r["gamma_minus"].values[iz, it], gm, rtol=1e-15)


def test_steady_grid_matches_analytic_symmetric_case():
    """Batched master-equation steady states = physics.md §8 formulas; C = 0 at T_M = T_W."""
    k = synthetic_kernels(Z2)
    s = sweep.steady_grid(sweep.rate_grid(k, T_M, 30.0))
    w = float(k["omega"])
    gA, gS, nA, nS = symmetric_channels(k["alpha_W"].values[:, None], k["alpha_M"].values[:, None],
                                        occupation(w, 30.0), occupation(w, T_M)[None, :])
    expected = symmetric_concurrence(gA / gS, nA, nS)
    assert s["C"].dims == ("z2", "T_M")
    np.testing.assert_allclose(s["C"].values, expected, atol=1e-10)
    assert np.all(s["C"].sel(T_M=30.0).values < 1e-12)
    assert s["C"].max() > 0.01  # the non-equilibrium grid does entangle
    tr = np.trace(s["rho"].values, axis1=-2, axis2=-1)
    np.testing.assert_allclose(tr, 1, atol=1e-12)


def test_analytic_and_dynamics_data(config):
    k = synthetic_kernels(Z2)
    r = sweep.rate_grid(k, T_M, 30.0)
    s = sweep.steady_grid(r)
    a = sweep.analytic_data(config, k, r, s)
    np.testing.assert_allclose(a["C_analytic_line"].values, a["C_master_line"].values, atol=1e-10)
    assert float(a["T_M_max"]) == T_M[np.argmax(a["C_master_line"].values)]
    # Effective temperatures: both channels at T_W when T_M = T_W.
    np.testing.assert_allclose(a["T_A_line"].sel(T_M=30.0), 30.0, rtol=1e-9)
    assert np.all(a["C_max"].values <= 1 / 3 + 1e-12)
    d = sweep.dynamics_data(config, r, s)
    where = sweep.map_maximum(s["C"])
    assert float(d["z2"]) == where["z2"] and float(d["T_M"]) == where["T_M"]
    np.testing.assert_allclose(d["C"].isel(t=-1).values, float(d["C_steady"]), atol=1e-3)
    assert d["C"].sel(state="A").values[0] > 0.9  # |A> starts maximally entangled
    assert d["C"].sel(state="thermal").values[0] < 1e-9  # product state


def test_kernel_grid_vacuum_identity_and_chunk_independence():
    """eps = 1: alpha_W^{qq} = 1, alpha_M = 0, alpha_W^{12} = Im G0_zz (physics.md §4d);
    results do not depend on the work-unit size."""
    w = 4.485e13
    base = {"material": "vacuum", "geometry": {"omega": w, "r12": 2.5e-7},
            "scans": {"map": {"axes": {"z2": [0.6e-6, 1e-6, 1.9e-6]}, "T_M": [0.0]}},
            "mpi": {"chunk": 1}}
    cfg = load_config(base)
    k1 = sweep.kernel_grid(cfg, "map", progress=False)
    cfg["mpi"]["chunk"] = 2
    k2 = sweep.kernel_grid(cfg, "map", progress=False)
    for v in ("alpha_W", "alpha_M", "lambda12"):
        np.testing.assert_array_equal(k1[v].values, k2[v].values)
    np.testing.assert_allclose(k1["alpha_W"].values[:, [0, 1], [0, 1]], 1, atol=1e-9)
    np.testing.assert_allclose(k1["alpha_M"].values, 0, atol=1e-9)
    K = w / 299792458.0
    dz = 1e-6 - np.array([0.6e-6, 1e-6, 1.9e-6])
    r = np.hypot(2.5e-7, dz)
    X, nz = K * r, dz / r
    G0zz = 1.5 * np.exp(1j * X) / X * ((1 + 1j / X - 1 / X**2) + (-1 - 3j / X + 3 / X**2) * nz**2)
    np.testing.assert_allclose(k1["alpha_W"].values[:, 0, 1], G0zz.imag, atol=1e-9)
    np.testing.assert_allclose(k1["lambda12"].values, -0.5 * G0zz.real, atol=1e-9)


def test_kernel_tensors_contract_to_the_stored_kernels():
    """The stored Cartesian tensors give back alpha and Lambda for the scan's dipoles."""
    from neqent.config import load_config
    from neqent.sweep import _dipoles, kernel_grid

    cfg = load_config({"scans": {"map": {"axes": {"z2": [0.8e-6, 1.3e-6]}, "T_M": [0.0]},
                                 "tilt": {"axes": {"theta": [0.0, 0.6]}}},
                       "extras": ["tilt"]})
    ds = kernel_grid(cfg, "tilt", progress=False)
    assert "theta" not in ds["alpha_M_tensor"].dims  # integrated once, whatever the angle
    for k, theta in enumerate(ds["theta"].values):
        d = _dipoles(theta)
        for name in ("alpha_W", "alpha_M"):
            t = ds[f"{name}_tensor"].values
            direct = np.einsum("qi,qpij,pj->qp", np.conj([d, d]), t, [d, d])
            np.testing.assert_allclose(direct, ds[name].isel(theta=k).values, rtol=0, atol=1e-14)
        g = ds["G12_tensor"].values
        lam = -0.5 * np.conj(d) @ g.real @ d
        assert abs(lam - complex(ds["lambda12"].isel(theta=k))) <= 1e-12 * abs(lam)
    # against an independent per-point computation at the tilted angle
    from neqent.materials import SIC
    from neqent.rates import compute_kernels_batch
    w = float(ds["omega"])
    d = _dipoles(0.6)
    ref = compute_kernels_batch(w, SIC.eps(w), float(ds["delta"]), float(ds["z1"]), float(ds["z2"]),
                                float(ds["r12"]), 0.0, d, d)
    np.testing.assert_allclose(ds["alpha_M"].isel(theta=1).values, ref["alpha_M"][0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(complex(ds["lambda12"].isel(theta=1)), ref["lambda12"][0], rtol=1e-14)
