"""The one place where a material spec and a frequency spec become a material and omega.

The API (:mod:`neqent.interface.api`), the config checks
(:mod:`neqent.pipeline.config`) and the pipeline stages
(:mod:`neqent.pipeline.stages`) all name the material the same way and give
the transition frequency either as ``omega`` [rad/s] or as ``omega_ratio``
(omega over the material's resonance, dimensionless); these two functions
are the single implementation of both lookups. Bad input raises
:class:`~neqent.errors.InputError` whose ``param`` is ``"material"`` or
``"omega_ratio"``; callers that report config keys use its ``detail``.
"""

from __future__ import annotations

import numpy as np

from neqent.electrodynamics.materials import Material, get_material
from neqent.errors import InputError

__all__ = ["resolve_material", "resolve_omega"]


def resolve_material(spec) -> Material:
    """The material named by ``spec``.

    Parameters
    ----------
    spec : str or Material
        ``sic``, ``gold``, ``vacuum``, ``eps=<complex>``, ``csv:<path>`` or a
        :class:`~neqent.electrodynamics.materials.Material` (see
        :func:`~neqent.electrodynamics.materials.get_material`).

    Returns
    -------
    Material
        The permittivity model.

    Raises
    ------
    InputError
        ``param`` ``"material"``; the message names the value and the allowed forms.
    """
    try:
        return get_material(spec)
    except ValueError as exc:
        raise InputError("material", str(exc)) from None


def resolve_omega(material: Material, omega=None, omega_ratio=None):
    """Transition angular frequency from ``omega`` or from ``omega_ratio`` times the resonance.

    Parameters
    ----------
    material : Material
        The body's material; its ``resonance`` [rad/s] scales ``omega_ratio``.
    omega : float or array_like, optional
        Angular frequency [rad/s]. Wins over ``omega_ratio`` when given.
    omega_ratio : float or array_like, optional
        omega / material resonance [1].

    Returns
    -------
    omega : float or ndarray
        Angular frequency [rad/s] (an array for array input).
    omega_ratio : float, ndarray or None
        omega / material resonance [1]; None if the material has no resonance.

    Raises
    ------
    InputError
        ``param`` ``"omega_ratio"`` if neither is given, or if ``omega_ratio``
        is given for a material without a resonance frequency.
    """
    resonance = material.resonance
    if omega is not None:
        w = _float_or_array(omega)
        return w, (w / resonance if resonance else None)
    if omega_ratio is None:
        raise InputError("omega_ratio", "give omega in rad/s or omega_ratio (omega / material resonance)")
    if not resonance:
        raise InputError(
            "omega_ratio",
            f"material {material.name!r} has no resonance frequency to scale omega_ratio by; give omega in rad/s",
        )
    ratio = _float_or_array(omega_ratio)
    return ratio * resonance, ratio


def _float_or_array(value):
    """A Python float for a scalar, a float64 array otherwise."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float)
