"""A planar stack as the body of the pipeline's scans (``geometry.stack``, axes ``thickness_<i>``;
docs/theory.md §9): the same numbers as the slab and as ``neqent.point``, through every stage."""

import copy
import json

import numpy as np
import pytest

import neqent
from neqent.interface import cli
from neqent.pipeline import stages
from neqent.pipeline.config import ConfigError, load_config, stage_config
from neqent.pipeline.io import read_dataset

GEOMETRY = {"z1": 1e-6, "z2": 1e-6, "r12": 2.5e-7, "theta": 0.0, "omega_ratio": 0.3}
MAP = {"axes": {"z2": [8e-7, 1e-6, 1.4e-6]}, "T_M": [0.0, 600.0, 1500.0]}
BILAYER = [{"material": "sic", "thickness": 1e-8}, {"material": "eps=2.25+0.01j", "thickness": 2e-7}]
THICKNESS_1 = [5e-8, 2e-7, 6e-7]
T_M = [0.0, 600.0, 1500.0]


def _config(geometry, scans=None, **extra):
    return load_config({"geometry": {**GEOMETRY, **geometry}, "scans": scans or {"map": MAP}, "extras": [], **extra})


def _stages(config, scan="map"):
    k = stages.kernel_grid(config, scan, progress=False)
    r = stages.rate_grid(k, config["scans"][scan]["T_M"], config["T_W"])
    return k, r, stages.steady_grid(r)


@pytest.fixture(scope="module")
def bilayer():
    """A two-layer stack swept over its bottom layer's thickness, through kernels, rates and steady."""
    cfg = _config({"stack": BILAYER}, {"map": MAP, "th": {"axes": {"thickness_1": THICKNESS_1}, "T_M": T_M}})
    return cfg, _stages(cfg, "th")


def test_one_layer_stack_is_the_slab_bit_for_bit():
    slab = _stages(_config({"delta": 1e-8}))
    stack = _stages(_config({"stack": [{"material": "sic", "thickness": 1e-8}]}))
    for a, b in zip(slab, stack):
        for name in ("alpha_W", "alpha_M", "lambda12", "alpha_W_tensor", "G12_tensor", "rho", "C", "omega_ratio"):
            if name in a:
                np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert float(stack[0]["thickness_0"]) == 1e-8 and stack[0].attrs["material"] == "stack: sic"
    assert np.max(stack[2]["C"].values) > 0.05  # a non-trivial map


def test_thickness_axis_equals_point_by_point(bilayer):
    cfg, (k, _, s) = bilayer
    assert s["C"].dims == ("thickness_1", "T_M") and k["thickness_1"].attrs["units"] == "m"
    assert float(k["thickness_0"]) == 1e-8 and list(k["layer_material"].values) == ["sic", "eps=2.25+0.01j"]
    for i, d in enumerate(THICKNESS_1):
        for j, T in enumerate(T_M):
            p = neqent.point(layers=[("sic", 1e-8), ("eps=2.25+0.01j", d)], TM=T)
            np.testing.assert_allclose(s["rho"].values[i, j], p["rho"], rtol=0, atol=1e-12)
            assert abs(k["lambda12"].values[i] - p["Lambda12"]) <= 1e-12 * abs(p["Lambda12"])
    # the layer matters: the thinnest dielectric below the SiC film is not the thickest
    assert np.ptp(k["alpha_M"].values[:, 0, 0].real) > 1e-4 * np.abs(k["alpha_M"].values[0, 0, 0])


def test_results_do_not_depend_on_the_work_units(bilayer):
    cfg, (k, _, _) = bilayer
    other = copy.deepcopy(cfg)
    other["mpi"]["chunk"] = 2  # chunks are the units spread over MPI ranks
    k2 = stages.kernel_grid(other, "th", progress=False)
    for name in ("alpha_W_tensor", "alpha_M_tensor", "G12_tensor"):
        np.testing.assert_array_equal(k[name].values, k2[name].values)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the CF checker's own (ioos_sos)
def test_stage_commands_stream_a_stack_scan_into_cf_files(bilayer, tmp_path):
    """The command-line stages on the workflow's subsets: same numbers, CF-compliant files, a figure."""
    from test_workflow import _cf_failures

    from neqent.pipeline.plotting import scan_figure

    cfg, (_, _, s) = bilayer
    paths = {name: str(tmp_path / f"{name}.nc") for name in ("kernels", "rates", "steady")}
    previous = []
    for name in ("kernels", "rates", "steady"):
        sub = json.dumps(stage_config(cfg, name, "th"))
        argv = [name, "--config", sub, "--scan", "th", "--no-progress", "--output", paths[name]]
        assert stages.main(argv + (["--input", *previous] if previous else [])) == 0
        previous = [paths[name]]
    steady = read_dataset(paths["steady"])
    np.testing.assert_array_equal(steady["C"].values, s["C"].values)
    assert _cf_failures(list(paths.values())) == {}
    scan_figure(steady, str(tmp_path / "fig"))
    assert (tmp_path / "fig.png").is_file()


def test_the_kernels_depend_on_every_layer(bilayer):
    cfg, _ = bilayer
    sub = stage_config(cfg, "kernels", "th")
    assert sub["geometry"]["stack"] == BILAYER
    load_config(sub, partial=True)  # what a stage command accepts
    for change in ({"material": "eps=2.5+0.01j"}, {"thickness": 3e-7}):
        other = copy.deepcopy(cfg)
        other["geometry"]["stack"][1].update(change)
        for stage in ("kernels", "rates", "steady"):
            assert stage_config(other, stage, "th") != stage_config(cfg, stage, "th"), (change, stage)
    other = copy.deepcopy(cfg)
    other["geometry"]["substrate"] = "sio2"
    assert stage_config(other, "kernels", "th") != sub


BAD = {
    "zero thickness": ({"stack": [{"material": "sic", "thickness": 0.0}]}, None, "geometry.stack[0].thickness"),
    "stack and delta": ({"stack": BILAYER, "delta": 2e-8}, None, "geometry.delta"),
    "unknown material": (
        {"stack": [BILAYER[0], {"material": "kryptonite", "thickness": 1e-7}]},
        None,
        "geometry.stack[1].material",
    ),
    "axis beyond the layers": ({"stack": BILAYER}, {"thickness_2": [1e-8, 2e-8]}, "scans.th.axes.thickness_2"),
    "delta axis beside a stack": ({"stack": BILAYER}, {"delta": [1e-8, 2e-8]}, "scans.th.axes.delta"),
    "thickness axis of a slab": ({}, {"thickness_0": [1e-8, 2e-8]}, "scans.th.axes.thickness_0"),
    "substrate alone": ({"substrate": "sio2"}, None, "geometry.substrate"),
    "no layer, no substrate": ({"stack": []}, None, "geometry.stack"),
    "top layer without resonance": (
        {"stack": [{"material": "eps=4+0.1j", "thickness": 1e-8}]},
        None,
        "geometry.omega_ratio",
    ),
    "top layer outside its model": ({"stack": [{"material": "hbn", "thickness": 1e-8}]}, None, "geometry.omega_ratio"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_stack_config_is_one_line_naming_the_key(case):
    geometry, axes, key = BAD[case]
    scans = {"map": MAP, **({"th": {"axes": axes, "T_M": T_M}} if axes else {})}
    with pytest.raises(ConfigError) as exc:
        _config(geometry, scans)
    message = str(exc.value)
    assert f"config key '{key}'" in message and "\n" not in message, message
    if case == "stack and delta":
        assert "geometry.stack" in message


def test_slab_only_extras_refuse_a_stack():
    with pytest.raises(ConfigError, match="config key 'extras': 'chain'"):
        load_config({"geometry": {**GEOMETRY, "stack": BILAYER}, "scans": {"map": MAP}, "extras": ["chain"]})


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the CF checker's own (ioos_sos)
def test_cli_scan_with_layers_writes_a_valid_file(bilayer, tmp_path, capsys):
    from test_workflow import _cf_failures

    _, (_, _, s) = bilayer
    out = tmp_path / "stack.nc"
    argv = ["scan", "--layer", "sic:10nm", "--layer", "eps=2.25+0.01j:50nm,200nm,600nm", "--TM", "0,600,1500"]
    assert cli.main(argv + ["-o", str(out), "--no-progress"]) == 0
    ds = read_dataset(out)
    np.testing.assert_array_equal(ds["C"].values, s["C"].values)
    assert json.loads(ds.attrs["config"])["geometry"]["stack"][1]["material"] == "eps=2.25+0.01j"
    assert _cf_failures([out]) == {}
    capsys.readouterr()
    assert cli.main(["scan", "--layer", "sic:10nm", "--delta", "20nm", "-o", str(tmp_path / "x.nc")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--delta" in err[0] and "--layer" in err[0]
    assert not (tmp_path / "x.nc").exists()


def test_api_scan_names_the_argument():
    with pytest.raises(neqent.errors.InputError) as exc:
        neqent.scan(layers=[("hbn", "10nm")], TM=600.0)
    assert exc.value.param == "omega_ratio"
    with pytest.raises(neqent.errors.InputError) as exc:
        neqent.scan(layers=[("sic", [1e-8, 0.0])])
    assert exc.value.param == "layers"


def test_a_frequency_axis_records_each_layers_permittivity():
    from neqent.electrodynamics.materials import get_material

    cfg = _config(
        {"stack": BILAYER, "substrate": "eps=4+0.1j"}, {"map": MAP, "w": {"axes": {"omega_ratio": [0.3, 0.9]}}}
    )
    k = stages.kernel_grid(cfg, "w", progress=False)
    assert k["eps_t"].dims == ("layer", "omega") and k["eps_substrate_t"].dims == ("omega",)
    np.testing.assert_array_equal(k["eps_t"].values[0], get_material("sic").eps(k["omega"].values))
    np.testing.assert_array_equal(k["eps_substrate_z"].values, 4 + 0.1j)
    np.testing.assert_allclose(k["omega_ratio"].values, [0.3, 0.9], rtol=1e-15)  # the top layer's resonance
    assert k.attrs["material"] == "stack: sic / eps=2.25+0.01j / eps=4+0.1j substrate"
