"""Permittivity models of the slab material.

Every model maps an angular frequency ``omega`` (rad/s, > 0) to the complex
relative permittivity ``eps(omega)`` (dimensionless) with the time convention
``exp(-i omega t)``, so that ``Im eps > 0`` means absorption (docs/theory.md §2).

Materials are referred to by name in configs and on the command line:

* ``sic``     silicon carbide, one-phonon Drude–Lorentz model (the paper's)
* ``gold``    Drude model of gold
* ``vacuum``  eps = 1 (useful for tests: no body at all)
* ``eps=<value>``  constant permittivity, e.g. ``eps=4+0.1j``
* ``csv:<path>``   tabulated data, see :class:`TabulatedMaterial`
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
from scipy import constants

from neqent.validation import positive

__all__ = [
    "Material",
    "DrudeLorentz",
    "Drude",
    "ConstantPermittivity",
    "TabulatedMaterial",
    "SIC",
    "GOLD",
    "VACUUM",
    "BUILTIN_MATERIALS",
    "get_material",
]


class Material:
    """Base class: a named permittivity model.

    Subclasses implement :meth:`_eps` on a validated float array of angular
    frequencies in rad/s. ``resonance`` is the material's characteristic
    angular frequency in rad/s (the TO phonon for a polar crystal, the plasma
    frequency for a metal) used to express frequencies as ratios.
    """

    name: str = "material"
    resonance: float | None = None

    def eps(self, omega):
        """Complex relative permittivity (dimensionless) at ``omega`` (rad/s).

        Scalars give a Python complex, arrays a complex array of the same shape.
        """
        w = positive("omega", omega, "rad/s")
        value = np.asarray(self._eps(w), dtype=complex)
        return complex(value) if np.ndim(omega) == 0 else value

    def _eps(self, w):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, omega):
        return self.eps(omega)


@dataclass(frozen=True)
class DrudeLorentz(Material):
    """Single-oscillator Drude–Lorentz permittivity (docs/theory.md §2).

    ``eps(w) = eps_inf (w_L^2 - w^2 - i Gam w) / (w_T^2 - w^2 - i Gam w)``

    Parameters: ``eps_inf`` (dimensionless), ``omega_T`` transverse (resonance)
    and ``omega_L`` longitudinal angular frequencies and damping ``gamma``, all
    in rad/s.
    """

    eps_inf: float
    omega_T: float
    omega_L: float
    gamma: float
    name: str = "drude-lorentz"

    def __post_init__(self):
        for key in ("omega_T", "omega_L"):
            value = getattr(self, key)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{key} must be finite and > 0 rad/s, got {value!r}")
        if not (math.isfinite(self.gamma) and self.gamma >= 0):
            raise ValueError(f"gamma must be finite and >= 0 rad/s, got {self.gamma!r}")
        if not (math.isfinite(self.eps_inf) and self.eps_inf > 0):
            raise ValueError(f"eps_inf must be finite and > 0, got {self.eps_inf!r}")

    @property
    def resonance(self) -> float:
        """Resonance angular frequency w_T in rad/s."""
        return self.omega_T

    @property
    def surface_polariton(self) -> float:
        """Angular frequency (rad/s) where Re eps = -1 in the lossless limit."""
        e = self.eps_inf
        return math.sqrt((e * self.omega_L**2 + self.omega_T**2) / (e + 1.0))

    def _eps(self, w):
        num = self.omega_L**2 - w**2 - 1j * self.gamma * w
        den = self.omega_T**2 - w**2 - 1j * self.gamma * w
        return self.eps_inf * num / den


@dataclass(frozen=True)
class Drude(Material):
    """Drude metal: ``eps(w) = eps_inf - w_p^2 / (w^2 + i gamma w)``.

    ``omega_p`` plasma and ``gamma`` damping angular frequencies in rad/s.
    """

    omega_p: float
    gamma: float
    eps_inf: float = 1.0
    name: str = "drude"

    def __post_init__(self):
        if not (math.isfinite(self.omega_p) and self.omega_p > 0):
            raise ValueError(f"omega_p must be finite and > 0 rad/s, got {self.omega_p!r}")
        if not (math.isfinite(self.gamma) and self.gamma >= 0):
            raise ValueError(f"gamma must be finite and >= 0 rad/s, got {self.gamma!r}")

    @property
    def resonance(self) -> float:
        """Plasma angular frequency w_p in rad/s."""
        return self.omega_p

    def _eps(self, w):
        return self.eps_inf - self.omega_p**2 / (w**2 + 1j * self.gamma * w)


@dataclass(frozen=True)
class ConstantPermittivity(Material):
    """Frequency-independent permittivity ``eps`` (dimensionless, Im eps >= 0)."""

    value: complex
    name: str = "constant"
    resonance: float | None = None

    def __post_init__(self):
        v = complex(self.value)
        if not (math.isfinite(v.real) and math.isfinite(v.imag)):
            raise ValueError(f"eps must be finite, got {self.value!r}")
        if v.imag < 0:
            raise ValueError(f"eps must have Im eps >= 0 (passive medium), got {self.value!r}")

    def _eps(self, w):
        return np.full(w.shape, complex(self.value))


class TabulatedMaterial(Material):
    """Permittivity interpolated linearly from tabulated (omega, Re eps, Im eps).

    ``omega`` in rad/s, strictly increasing after sorting. Outside the
    tabulated range :meth:`eps` raises ``ValueError`` naming the range; no
    extrapolation is done.
    """

    def __init__(self, omega, eps, name="tabulated", resonance=None, source=None):
        w = np.asarray(omega, dtype=float)
        e = np.asarray(eps, dtype=complex)
        if w.ndim != 1 or w.shape != e.shape or w.size < 2:
            raise ValueError("tabulated material needs >= 2 rows of (omega, Re eps, Im eps)")
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(e))):
            raise ValueError(f"tabulated material {source or name}: non-finite values in table")
        if np.any(w <= 0):
            raise ValueError(f"tabulated material {source or name}: omega must be > 0 rad/s")
        order = np.argsort(w)
        w, e = w[order], e[order]
        if np.any(np.diff(w) <= 0):
            raise ValueError(f"tabulated material {source or name}: repeated omega values")
        self.omega_table = w
        self.eps_table = e
        self.name = name
        self.resonance = resonance
        self.source = source

    @classmethod
    def from_csv(cls, path, column="auto", name=None):
        """Read a CSV of ``x, Re eps, Im eps`` (comma separated, ``#`` comments).

        ``x`` is the angular frequency in rad/s (``column="omega"``) or the
        vacuum wavelength in metres (``column="wavelength"``). With ``"auto"``
        a header line containing ``wavelength`` or ``lambda`` selects
        wavelength, otherwise omega.
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise ValueError(f"material CSV file not found: {path!r}")
        with open(path) as fh:
            lines = [ln.split("#", 1)[0].strip() for ln in fh]
        lines = [ln for ln in lines if ln]
        header = lines[0].lower() if lines and not _is_number_row(lines[0]) else ""
        rows = lines[1:] if header else lines
        if column == "auto":
            column = "wavelength" if ("wavelength" in header or "lambda" in header) else "omega"
        if column not in ("omega", "wavelength"):
            raise ValueError(f"column must be 'omega', 'wavelength' or 'auto', got {column!r}")
        try:
            data = np.array([[float(x) for x in row.split(",")] for row in rows], ndmin=2)
        except ValueError as exc:
            raise ValueError(f"material CSV {path!r} is not three numeric columns: {exc}") from None
        if data.ndim != 2 or data.size == 0:
            raise ValueError(f"material CSV {path!r} has rows of unequal length or no data")
        if data.shape[1] != 3:
            raise ValueError(f"material CSV {path!r} must have 3 columns (x, Re eps, Im eps), found {data.shape[1]}")
        x = data[:, 0]
        if column == "wavelength":
            if np.any(x <= 0):
                raise ValueError(f"material CSV {path!r}: wavelengths must be > 0 m")
            x = 2 * np.pi * constants.c / x
        return cls(x, data[:, 1] + 1j * data[:, 2], name=name or f"csv:{path}", source=path)

    def _eps(self, w):
        lo, hi = self.omega_table[0], self.omega_table[-1]
        outside = (w < lo) | (w > hi)
        if np.any(outside):
            raise ValueError(
                f"omega = {w[outside].flat[0]:.6g} rad/s is outside the tabulated range "
                f"[{lo:.6g}, {hi:.6g}] rad/s of material {self.name!r}"
            )
        re = np.interp(w, self.omega_table, self.eps_table.real)
        im = np.interp(w, self.omega_table, self.eps_table.imag)
        return re + 1j * im


def _is_number_row(line: str) -> bool:
    try:
        [float(x) for x in line.split(",")]
        return True
    except ValueError:
        return False


#: Silicon carbide, docs/theory.md §2 (the paper's default material).
SIC = DrudeLorentz(eps_inf=6.7, omega_T=1.495e14, omega_L=1.827e14, gamma=0.9e12, name="sic")

#: Gold, Drude model (plasma 1.37e16 rad/s, damping 4.05e13 rad/s; Ordal et al.).
GOLD = Drude(omega_p=1.37e16, gamma=4.05e13, eps_inf=1.0, name="gold")

#: No body (eps = 1), for tests and reference runs.
VACUUM = ConstantPermittivity(1.0, name="vacuum")

BUILTIN_MATERIALS = {"sic": SIC, "gold": GOLD, "vacuum": VACUUM}


def get_material(spec) -> Material:
    """Resolve a material from a name, a spec string, or a Material instance.

    Accepted: a :class:`Material`; ``"sic"``, ``"gold"``, ``"vacuum"``;
    ``"eps=<complex>"`` for a constant; ``"csv:<path>"`` for tabulated data.
    Raises ``ValueError`` naming the value and the allowed forms otherwise.
    """
    if isinstance(spec, Material):
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"material must be a name or Material, got {spec!r}")
    key = spec.strip()
    if key.lower() in BUILTIN_MATERIALS:
        return BUILTIN_MATERIALS[key.lower()]
    if key.lower().startswith("eps="):
        try:
            value = complex(key[4:].replace(" ", ""))
        except ValueError:
            raise ValueError(
                f"material {spec!r}: cannot parse a complex permittivity after 'eps=' (example: eps=4+0.1j)"
            ) from None
        return ConstantPermittivity(value, name=key)
    if key.lower().startswith("csv:"):
        return TabulatedMaterial.from_csv(key[4:])
    allowed = ", ".join(sorted(BUILTIN_MATERIALS))
    raise ValueError(f"unknown material {spec!r}; allowed: {allowed}, 'eps=<complex>', 'csv:<path>'")
