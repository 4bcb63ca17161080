"""One bad-input family (neqent.errors) and one material/omega lookup (neqent.electrodynamics.resolve)."""

import numpy as np
import pytest

from neqent import errors
from neqent.dynamics.master import DegenerateSteadyStateError
from neqent.electrodynamics.materials import SIC, get_material
from neqent.electrodynamics.resolve import resolve_material, resolve_omega
from neqent.interface import units
from neqent.pipeline import config
from neqent.validation import positive


@pytest.mark.parametrize(
    "cls",
    [
        errors.ValidationError,
        errors.InputError,
        config.ConfigError,
        errors.StageInputError,
        errors.UsageError,
        DegenerateSteadyStateError,
    ],
)
def test_every_bad_input_error_is_one_family(cls):
    assert issubclass(cls, errors.NeqentInputError) and issubclass(cls, ValueError)


def test_old_import_paths_name_the_same_classes():
    assert units.InputError is errors.InputError


def test_validation_raises_the_family_with_its_message():
    with pytest.raises(errors.ValidationError, match=r"^z1 must be finite and > 0 m, got -1e-06$"):
        positive("z1", -1e-6, "m")


def test_input_error_message_is_param_then_detail():
    err = errors.InputError("z2", "length must be > 0, got '-1um'")
    assert (str(err), err.param, err.detail) == (
        "z2: length must be > 0, got '-1um'",
        "z2",
        "length must be > 0, got '-1um'",
    )


def test_resolve_material_is_get_material_with_the_argument_named():
    assert resolve_material("SiC") is get_material("SiC") is SIC
    with pytest.raises(errors.InputError, match="^material: unknown material 'unobtainium'") as info:
        resolve_material("unobtainium")
    assert info.value.param == "material"


def test_resolve_omega_from_ratio_or_omega():
    w, ratio = resolve_omega(SIC, omega_ratio=0.3)
    assert w == 0.3 * SIC.resonance and ratio == 0.3  # bit-identical to the former copies
    w2, ratio2 = resolve_omega(SIC, omega=w, omega_ratio=0.9)  # omega wins
    assert w2 == w and ratio2 == w / SIC.resonance
    grid = np.array([0.1, 0.2, 0.3])
    np.testing.assert_array_equal(resolve_omega(SIC, omega_ratio=grid)[0], grid * SIC.resonance)


def test_resolve_omega_needs_a_resonance_for_a_ratio():
    const = get_material("eps=4+0.1j")
    assert resolve_omega(const, omega=1e14) == (1e14, None)
    with pytest.raises(errors.InputError, match="has no resonance frequency") as info:
        resolve_omega(const, omega_ratio=0.3)
    assert info.value.param == "omega_ratio"
