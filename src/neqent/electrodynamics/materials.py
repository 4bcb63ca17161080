"""Permittivity models of the slab material.

Every model maps an angular frequency ``omega`` [rad/s] (> 0) to the complex
relative permittivity ``eps(omega)`` [1] with the time convention
``exp(-i omega t)``, so that ``Im eps > 0`` means absorption (docs/theory.md §2).

Materials are referred to by name in configs and on the command line:

* ``sic``     silicon carbide, one-phonon Drude–Lorentz model (Spitzer et al. 1959 /
  Palik's handbook, in the paper's rounded rad/s values)
* ``gold``, ``silver``  Drude fits of Ordal et al. 1985
* ``hbn``     hexagonal boron nitride, uniaxial (Caldwell et al. 2014)
* ``sio2``    amorphous SiO2, three Lorentz oscillators (Czapla & Narayanaswamy 2019)
* ``si:n=<N>cm-3``  n-doped silicon, Drude with the carrier (= donor) density N,
  full ionisation assumed (Masetti et al. 1983 mobility)
* ``vacuum``  eps = 1 (useful for tests: no body at all)
* ``eps=<value>``  constant permittivity, e.g. ``eps=4+0.1j``; ``eps=<t>,<z>`` uniaxial
* ``csv:<path>``   tabulated data, see :class:`TabulatedMaterial`

Sources (with their tables and the numbers in the source's units) and validity
ranges: docs/materials.md; each model names its source in ``Material.source``.
A model asked for a frequency outside its validity range raises ValueError
naming the range.
Uniaxial media (optic axis along z) give ``eps_tz(omega) -> (eps_t, eps_z)``;
isotropic ones return ``(eps, eps)`` there (docs/theory.md §9).
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
    "material_sources",
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
    frequencies [rad/s].

    Attributes
    ----------
    name : str
        Name of the model (as used in configs and on the command line).
    resonance : float or None
        Characteristic angular frequency [rad/s] (the TO phonon for a polar
        crystal, the plasma frequency for a metal) used to express frequencies as
        ratios; None when the model has none.
    uniaxial : bool
        True for a uniaxial medium (eps_t != eps_z), which has no scalar eps.
    source : str or None
        Where the numbers come from: the reference of a built-in model
        (docs/materials.md) or the ``# source:`` line of a ``csv:`` table; None
        when unknown.
    """

    name: str = "material"
    resonance: float | None = None
    source: str | None = None

    def eps(self, omega):
        """Complex relative permittivity at ``omega``.

        Parameters
        ----------
        omega : float or array_like
            Angular frequency [rad/s], > 0.

        Returns
        -------
        complex or ndarray
            eps(omega) [1]: a Python complex for a scalar ``omega``, else a complex
            array of the shape of ``omega``.
        """
        w = positive("omega", omega, "rad/s")
        value = np.asarray(self._eps(w), dtype=complex)
        return complex(value) if np.ndim(omega) == 0 else value

    def _eps(self, w):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, omega):
        return self.eps(omega)

    #: True for a uniaxial medium (eps_t != eps_z); such a medium has no scalar eps.
    uniaxial: bool = False

    def eps_tz(self, omega):
        """In-plane and axial permittivities at ``omega`` (docs/theory.md §9).

        Parameters
        ----------
        omega : float or array_like
            Angular frequency [rad/s], > 0.

        Returns
        -------
        eps_t, eps_z : complex or ndarray
            In-plane and axial relative permittivities [1]; both equal ``eps(omega)``
            for an isotropic medium.
        """
        e = self.eps(omega)
        return e, e


@dataclass(frozen=True)
class DrudeLorentz(Material):
    """Single-oscillator Drude–Lorentz permittivity (docs/theory.md §2).

    ``eps(w) = eps_inf (w_L^2 - w^2 - i Gam w) / (w_T^2 - w^2 - i Gam w)``

    Parameters
    ----------
    eps_inf : float
        High-frequency permittivity [1], > 0.
    omega_T : float
        Transverse (resonance) angular frequency [rad/s], > 0.
    omega_L : float
        Longitudinal angular frequency [rad/s], > 0.
    gamma : float
        Damping [rad/s], >= 0.
    name : str
        Name of the model.
    source : str, optional
        Reference of the numbers.
    """

    eps_inf: float
    omega_T: float
    omega_L: float
    gamma: float
    name: str = "drude-lorentz"
    source: str | None = None

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
        """Resonance angular frequency w_T [rad/s]."""
        return self.omega_T

    @property
    def surface_polariton(self) -> float:
        """Angular frequency where Re eps = -1 in the lossless limit [rad/s]."""
        e = self.eps_inf
        return math.sqrt((e * self.omega_L**2 + self.omega_T**2) / (e + 1.0))

    def _eps(self, w):
        num = self.omega_L**2 - w**2 - 1j * self.gamma * w
        den = self.omega_T**2 - w**2 - 1j * self.gamma * w
        return self.eps_inf * num / den


@dataclass(frozen=True)
class Drude(Material):
    """Drude metal: ``eps(w) = eps_inf - w_p^2 / (w^2 + i gamma w)``.

    Parameters
    ----------
    omega_p : float
        Plasma angular frequency [rad/s], > 0.
    gamma : float
        Damping [rad/s], >= 0.
    eps_inf : float
        High-frequency permittivity [1].
    name : str
        Name of the model.
    source : str, optional
        Reference of the numbers.
    """

    omega_p: float
    gamma: float
    eps_inf: float = 1.0
    name: str = "drude"
    source: str | None = None

    def __post_init__(self):
        if not (math.isfinite(self.omega_p) and self.omega_p > 0):
            raise ValueError(f"omega_p must be finite and > 0 rad/s, got {self.omega_p!r}")
        if not (math.isfinite(self.gamma) and self.gamma >= 0):
            raise ValueError(f"gamma must be finite and >= 0 rad/s, got {self.gamma!r}")

    @property
    def resonance(self) -> float:
        """Plasma angular frequency w_p [rad/s]."""
        return self.omega_p

    def _eps(self, w):
        return self.eps_inf - self.omega_p**2 / (w**2 + 1j * self.gamma * w)


@dataclass(frozen=True)
class ConstantPermittivity(Material):
    """Frequency-independent permittivity.

    Parameters
    ----------
    value : complex
        Relative permittivity [1], finite, Im >= 0 (passive medium).
    name : str
        Name of the model.
    resonance : float or None
        Characteristic angular frequency [rad/s], if any.
    """

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

    Outside the tabulated range :meth:`eps` raises ``ValueError`` naming the
    range; no extrapolation is done.

    Parameters
    ----------
    omega : array_like, shape (n,)
        Angular frequencies [rad/s], > 0, distinct (sorted here), n >= 2.
    eps : array_like, shape (n,), complex
        Relative permittivity at ``omega`` [1].
    name : str
        Name of the model.
    resonance : float or None
        Characteristic angular frequency [rad/s], if any.
    source : str or None
        Where the numbers come from (a CSV's ``# source:`` line).
    path : str or None
        File the table was read from, named in error messages.
    """

    def __init__(self, omega, eps, name="tabulated", resonance=None, source=None, path=None):
        w = np.asarray(omega, dtype=float)
        e = np.asarray(eps, dtype=complex)
        label = path or name
        if w.ndim != 1 or w.shape != e.shape or w.size < 2:
            raise ValueError("tabulated material needs >= 2 rows of (omega, Re eps, Im eps)")
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(e))):
            raise ValueError(f"tabulated material {label}: non-finite values in table")
        if np.any(w <= 0):
            raise ValueError(f"tabulated material {label}: omega must be > 0 rad/s")
        order = np.argsort(w)
        w, e = w[order], e[order]
        if np.any(np.diff(w) <= 0):
            raise ValueError(f"tabulated material {label}: repeated omega values")
        self.omega_table = w
        self.eps_table = e
        self.name = name
        self.resonance = resonance
        self.source = source
        self.path = path

    @classmethod
    def from_csv(cls, path, column="auto", name=None):
        """Read a CSV of ``x, Re eps, Im eps`` (comma separated, ``#`` comments).

        A comment line ``# source: <text>`` names where the numbers come from;
        it is kept as ``source`` (and reaches the pipeline's kernel files).

        Parameters
        ----------
        path : str or os.PathLike
            The CSV file.
        column : {"auto", "omega", "wavelength"}
            Meaning of ``x``: angular frequency [rad/s] or vacuum wavelength [m].
            With ``"auto"`` a header line containing ``wavelength`` or ``lambda``
            selects wavelength, otherwise omega.
        name : str, optional
            Name of the model (default ``csv:<path>``).

        Returns
        -------
        TabulatedMaterial
            The tabulated model; ValueError for a missing or malformed file.
        """
        path = os.fspath(path)
        header, data, source = _read_table(path)
        if data.shape[1] != 3:
            raise ValueError(f"material CSV {path!r} must have 3 columns (x, Re eps, Im eps), found {data.shape[1]}")
        x = _table_omega(path, data[:, 0], header, column)
        return cls(x, data[:, 1] + 1j * data[:, 2], name=name or f"csv:{path}", source=source, path=path)

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


def _read_table(path):
    """A material CSV as (header line lower-cased or "", float rows (n, k), text of its ``# source:`` line or None)."""
    if not os.path.isfile(path):
        raise ValueError(f"material CSV file not found: {path!r}")
    lines, source = [], None
    with open(path) as fh:
        for raw in fh:
            body, _, comment = (part.strip() for part in raw.partition("#"))
            key, colon, text = comment.partition(":")
            if source is None and not body and colon and key.strip().lower() == "source":
                source = text.strip() or None
            if body:
                lines.append(body)
    header = lines[0].lower() if lines and not _is_number_row(lines[0]) else ""
    rows = lines[1:] if header else lines
    try:
        data = np.array([[float(x) for x in row.split(",")] for row in rows], ndmin=2)
    except ValueError as exc:  # a non-number, or rows of unequal length
        raise ValueError(f"material CSV {path!r} is not rows of numeric columns: {exc}") from None
    if data.ndim != 2 or data.size == 0:
        raise ValueError(f"material CSV {path!r} has rows of unequal length or no data")
    return header, data, source


def _table_omega(path, x, header, column):
    """The x column of a table as angular frequency [rad/s] (``column``: "auto", "omega" or "wavelength" [m])."""
    if column == "auto":
        column = "wavelength" if ("wavelength" in header or "lambda" in header) else "omega"
    if column not in ("omega", "wavelength"):
        raise ValueError(f"column must be 'omega', 'wavelength' or 'auto', got {column!r}")
    if column == "omega":
        return x
    if np.any(x <= 0):
        raise ValueError(f"material CSV {path!r}: wavelengths must be > 0 m")
    return 2 * np.pi * constants.c / x


def get_material(spec) -> Material:
    """Resolve a material from a name, a spec string, or a Material instance.

    Parameters
    ----------
    spec : str or Material
        A :class:`Material` (returned as is); ``"sic"``, ``"gold"``,
        ``"vacuum"``; ``"eps=<complex>"`` for a constant [1]; ``"csv:<path>"``
        for tabulated data.

    Returns
    -------
    Material
        The model; ``ValueError`` naming the value and the allowed forms otherwise.
    """
    if isinstance(spec, Material):
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"material must be a name or Material, got {spec!r}")
    key = spec.strip()
    if key.lower() in BUILTIN_MATERIALS:
        return BUILTIN_MATERIALS[key.lower()]
    if key.lower().startswith("eps="):
        return ConstantPermittivity(_parse_complex(spec, key[4:]), name=key)
    if key.lower().startswith("csv:"):
        return TabulatedMaterial.from_csv(key[4:])
    allowed = ", ".join(sorted(BUILTIN_MATERIALS))
    raise ValueError(f"unknown material {spec!r}; allowed: {allowed}, 'eps=<complex>', 'csv:<path>'")


# ---------------------------------------------------------------------------
# Materials library (issue 13; sources and validity ranges in docs/materials.md)

#: Angular frequency (rad/s) of one wavenumber in cm^-1: 2 pi c * 100 / m.
RAD_S_PER_CM1 = 2.0 * math.pi * constants.c * 100.0


def _range_check(name, w, valid):
    """ValueError when an angular frequency lies outside a model's validity range (rad/s)."""
    lo, hi = valid
    bad = (w < lo) | (w > hi)
    if np.any(bad):
        raise ValueError(
            f"omega = {np.asarray(w)[bad].flat[0]:.6g} rad/s is outside the validity range "
            f"[{lo:.4g}, {hi:.4g}] rad/s of material {name!r} (docs/materials.md)"
        )


class RangeLimited(Material):
    """A material model restricted to a validity range.

    Parameters
    ----------
    model : Material
        The model to restrict.
    valid : tuple of float
        ``(omega_min, omega_max)`` [rad/s]; outside it :meth:`eps` raises ValueError.
    name : str, optional
        Name of the model (default: the model's).
    """

    def __init__(self, model: Material, valid, name=None):
        self.model = model
        self.valid = (float(valid[0]), float(valid[1]))
        self.name = name or model.name
        self.resonance = model.resonance
        self.source = model.source

    def _eps(self, w):
        _range_check(self.name, w, self.valid)
        return self.model._eps(w)


@dataclass(frozen=True)
class Lorentz(Material):
    """Multi-oscillator Lorentz permittivity.

    ``eps(w) = eps_inf + sum_k S_k / (1 - (w/w_k)^2 - i G_k w/w_k)``

    Parameters
    ----------
    eps_inf : float
        High-frequency permittivity [1].
    omega_k : tuple of float
        Resonances w_k [rad/s], > 0.
    strength : tuple of float
        Oscillator strengths S_k [1].
    damping : tuple of float
        Relative dampings G_k [1].
    name : str
        Name of the model.
    source : str, optional
        Reference of the numbers.
    """

    eps_inf: float
    omega_k: tuple
    strength: tuple
    damping: tuple
    name: str = "lorentz"
    source: str | None = None

    def __post_init__(self):
        if not (len(self.omega_k) == len(self.strength) == len(self.damping) >= 1):
            raise ValueError("Lorentz model needs equal numbers (>= 1) of resonances, strengths and dampings")
        if not all(math.isfinite(w) and w > 0 for w in self.omega_k):
            raise ValueError(f"resonances must be finite and > 0 rad/s, got {self.omega_k!r}")

    @property
    def resonance(self) -> float:
        """Strongest oscillator's resonance [rad/s]."""
        return self.omega_k[int(np.argmax(self.strength))]

    def _eps(self, w):
        out = np.full(np.shape(w), complex(self.eps_inf))
        for wk, sk, gk in zip(self.omega_k, self.strength, self.damping):
            x = w / wk
            out = out + sk / (1.0 - x * x - 1j * gk * x)
        return out


class Uniaxial(Material):
    """Uniaxial medium, optic axis along z (docs/theory.md §9).

    It has no scalar permittivity: :meth:`eps` raises; use :meth:`eps_tz`.

    Parameters
    ----------
    t, z : Material
        In-plane and axial permittivity models.
    name : str
        Name of the medium.
    resonance : float, optional
        Characteristic angular frequency [rad/s] (default: that of ``t``).
    source : str, optional
        Reference of the numbers (default: that of ``t``).
    """

    uniaxial = True

    def __init__(self, t: Material, z: Material, name="uniaxial", resonance=None, source=None):
        self.t = t
        self.z = z
        self.name = name
        self.resonance = resonance if resonance is not None else t.resonance
        self.source = source or t.source

    def eps(self, omega):
        """Raise ValueError: a uniaxial medium has no single permittivity.

        Parameters
        ----------
        omega : float or array_like
            Angular frequency [rad/s] (unused).
        """
        raise ValueError(
            f"material {self.name!r} is uniaxial (eps_t != eps_z) and has no single permittivity; "
            "use it as a stack layer (--layer / layers=[...] / geometry.stack)"
        )

    def eps_tz(self, omega):
        """In-plane and axial permittivities at ``omega``.

        Parameters
        ----------
        omega : float or array_like
            Angular frequency [rad/s], > 0.

        Returns
        -------
        eps_t, eps_z : complex or ndarray
            Relative permittivities of the models ``t`` and ``z`` [1].
        """
        return self.t.eps(omega), self.z.eps(omega)


def _cm1(x):
    """Angular frequency [rad/s] of a wavenumber ``x`` [cm^-1]."""
    return x * RAD_S_PER_CM1


# Built-in models. Each number is the source's (docs/materials.md lists source, table, units
# and validity range); tests/test_materials.py pins every one of them to the source's units.

#: Silicon carbide, docs/theory.md §2: Spitzer, Kleinman & Walsh (1959) and Palik's
#: handbook give eps_inf 6.7, w_T 793, w_L 969, G 4.76 cm^-1; the paper (Bellomo & Antezza 2013) rounds them to
#: the rad/s values below (all within 0.4 %). Not range-limited: the paper evaluates it at every frequency.
SIC = DrudeLorentz(
    eps_inf=6.7,
    omega_T=1.495e14,
    omega_L=1.827e14,
    gamma=0.9e12,
    name="sic",
    source="Spitzer, Kleinman & Walsh, Phys. Rev. 113, 127 (1959); Palik, Handbook of Optical Constants of "
    "Solids (1985), SiC; rounded rad/s values of Bellomo & Antezza, EPL 101, 20006 (2013)",
)

_ORDAL = "Ordal et al., Appl. Opt. 24, 4493 (1985), Drude parameters"
#: Validity window of the metals' Drude fits: the infrared, 50-5000 cm^-1 (wavelength 2-200 um; docs/materials.md).
DRUDE_METAL_VALID = (_cm1(50.0), _cm1(5000.0))

#: Gold, Drude fit of Ordal et al. 1985: w_p = 7.28e4 cm^-1, w_tau = 215 cm^-1 (stored rounded in rad/s).
GOLD = RangeLimited(
    Drude(omega_p=1.37e16, gamma=4.05e13, eps_inf=1.0, name="gold", source=_ORDAL + " (Au)"), DRUDE_METAL_VALID
)

#: Silver, Drude fit of Ordal et al. 1985: w_p = 7.27e4 cm^-1, w_tau = 145 cm^-1.
SILVER = RangeLimited(
    Drude(omega_p=_cm1(7.27e4), gamma=_cm1(145.0), name="silver", source=_ORDAL + " (Ag)"), DRUDE_METAL_VALID
)

#: No body (eps = 1), for tests and reference runs.
VACUUM = ConstantPermittivity(1.0, name="vacuum")

BUILTIN_MATERIALS = {"sic": SIC, "gold": GOLD, "vacuum": VACUUM}

#: Validity range of the hBN model: both reststrahlen bands with their surroundings, 600-1800 cm^-1.
HBN_VALID = (_cm1(600.0), _cm1(1800.0))
#: Hexagonal boron nitride, the dielectric function of Caldwell et al., Nat. Commun. 5, 5221 (2014):
#: in-plane (t) eps_inf 4.90, w_TO 1360, w_LO 1614, G 7 cm^-1; out-of-plane (z) 2.95, 760, 825, 2 cm^-1.
HBN = Uniaxial(
    RangeLimited(
        DrudeLorentz(eps_inf=4.90, omega_T=_cm1(1360.0), omega_L=_cm1(1614.0), gamma=_cm1(7.0), name="hbn (in-plane)"),
        HBN_VALID,
    ),
    RangeLimited(
        DrudeLorentz(
            eps_inf=2.95, omega_T=_cm1(760.0), omega_L=_cm1(825.0), gamma=_cm1(2.0), name="hbn (out-of-plane)"
        ),
        HBN_VALID,
    ),
    name="hbn",
    resonance=_cm1(760.0),
    source="Caldwell et al., Nat. Commun. 5, 5221 (2014)",
)

#: Amorphous SiO2, three Lorentz oscillators (hbar w_k = 56.24, 99.52, 133.55 meV),
#: Czapla & Narayanaswamy, J. Quant. Spectrosc. Radiat. Transf. 227, 4-11 (2019); valid 400-2000 cm^-1.
_EV = constants.e / constants.hbar  # rad/s per eV
SIO2 = RangeLimited(
    Lorentz(
        eps_inf=2.03843,
        omega_k=(0.05624 * _EV, 0.09952 * _EV, 0.13355 * _EV),
        strength=(0.93752, 0.05050, 0.60642),
        damping=(0.09906, 0.05511, 0.05246),
        name="sio2",
        source="Czapla & Narayanaswamy, J. Quant. Spectrosc. Radiat. Transf. 227, 4 (2019)",
    ),
    (_cm1(400.0), _cm1(2000.0)),
)

#: Free-electron conductivity mass (units of m_e) and eps_inf of n-doped Si (Basu, Lee & Zhang 2010).
SI_MASS = 0.27
SI_EPS_INF = 11.7
#: Masetti, Severi & Solmi, IEEE Trans. Electron Devices 30, 764 (1983), Table I, phosphorus row:
#: mu_min1, mu_min2, mu_1, mu_max (cm^2/Vs), C_r, C_s (cm^-3), alpha, beta (P_c = 0 for P).
MASETTI_P = (68.5, 68.5, 56.1, 1414.0, 9.20e16, 3.41e20, 0.711, 1.98)
SI_DENSITY_RANGE = (1e15, 1e21)  # cm^-3
SI_VALID = (_cm1(50.0), _cm1(5000.0))
_SI_SOURCE = (
    "mobility: Masetti, Severi & Solmi, IEEE Trans. Electron Devices 30, 764 (1983), Table I (P); "
    "Drude form, m* and eps_inf: Basu, Lee & Zhang, J. Heat Transfer 132, 023301 (2010)"
)


def masetti_mobility(n_cm3, row=MASETTI_P):
    """Electron mobility of n-doped Si at 300 K versus the carrier (= donor) density (Masetti et al. 1983).

    Parameters
    ----------
    n_cm3 : float or array_like
        Carrier density N [cm^-3], equal to the donor density (full ionisation assumed).
    row : tuple of float, optional
        A row of Masetti's Table I with P_c = 0, ordered as :data:`MASETTI_P` (the default, phosphorus).

    Returns
    -------
    float or ndarray
        Mobility [cm^2/(V s)].
    """
    mu_min1, mu_min2, mu1, mu_max, c_r, c_s, alpha, beta = row
    return mu_min1 + (mu_max - mu_min2) / (1.0 + (n_cm3 / c_r) ** alpha) - mu1 / (1.0 + (c_s / n_cm3) ** beta)


def doped_silicon(n_cm3):
    """n-doped Si: Drude eps = 11.7 - w_p^2/(w^2 + i g w), w_p^2 = N e^2/(eps0 m*), g = e/(m* mu(N)).

    Parameters
    ----------
    n_cm3 : float
        Carrier (= donor) density N [cm^-3], in [1e15, 1e21], full ionisation assumed; mobility
        from :func:`masetti_mobility`.

    Returns
    -------
    RangeLimited
        The Drude model, valid 50-5000 cm^-1 (docs/materials.md).
    """
    n = float(n_cm3)
    lo, hi = SI_DENSITY_RANGE
    if not (math.isfinite(n) and lo <= n <= hi):
        raise ValueError(f"doped-Si carrier density must be in [{lo:g}, {hi:g}] cm^-3, got {n_cm3!r}")
    m = SI_MASS * constants.m_e
    n_m3 = n * 1e6
    wp = math.sqrt(n_m3 * constants.e**2 / (constants.epsilon_0 * m))
    gamma = constants.e / (m * masetti_mobility(n) * 1e-4)
    name = f"si:n={n:g}cm-3"
    return RangeLimited(Drude(omega_p=wp, gamma=gamma, eps_inf=SI_EPS_INF, name=name, source=_SI_SOURCE), SI_VALID)


LIBRARY = {"hbn": HBN, "sio2": SIO2, "silver": SILVER}


def _parse_complex(spec, text):
    try:
        value = complex(text.replace(" ", ""))
    except ValueError:
        raise ValueError(
            f"material {spec!r}: cannot parse a complex permittivity after 'eps=' "
            "(examples: eps=4+0.1j, uniaxial eps=2.9+0.1j,-4+0.3j)"
        ) from None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)) or value.imag < 0:
        raise ValueError(f"material {spec!r}: eps must be finite with Im eps >= 0 (passive), got {text!r}")
    return value


def _read_uniaxial_csv(path):
    """A 5-column CSV (x, Re eps_t, Im eps_t, Re eps_z, Im eps_z) as a Uniaxial of two tables, else None."""
    if not os.path.isfile(path):
        return None
    header, data, source = _read_table(path)
    if data.shape[1] != 5:
        return None
    x = _table_omega(path, data[:, 0], header, "auto")
    name = f"csv:{path}"
    t = TabulatedMaterial(x, data[:, 1] + 1j * data[:, 2], name=name, source=source, path=path)
    z = TabulatedMaterial(x, data[:, 3] + 1j * data[:, 4], name=name, source=source, path=path)
    return Uniaxial(t, z, name=name)


def get_layer_material(spec) -> Material:
    """Resolve any material of the library (isotropic or uniaxial) for a stack layer.

    Parameters
    ----------
    spec : str or Material
        Everything :func:`get_material` accepts, plus ``hbn``, ``sio2``,
        ``silver``, ``si:n=<N>cm-3``, uniaxial ``eps=<t>,<z>`` [1] and 5-column
        ``csv:`` tables (x, Re eps_t, Im eps_t, Re eps_z, Im eps_z).

    Returns
    -------
    Material
        The model; ValueError naming the value and the allowed forms otherwise.
    """
    if isinstance(spec, Material):
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"material must be a name or Material, got {spec!r}")
    key = spec.strip()
    low = key.lower()
    if low in LIBRARY:
        return LIBRARY[low]
    if low.startswith("si:"):
        arg = low[3:].replace(" ", "")
        if not (arg.startswith("n=") and arg.endswith("cm-3")):
            raise ValueError(f"material {spec!r}: doped silicon is written si:n=<density>cm-3, e.g. si:n=1e20cm-3")
        try:
            density = float(arg[2:-4])
        except ValueError:
            raise ValueError(f"material {spec!r}: cannot parse the carrier density (e.g. si:n=1e20cm-3)") from None
        return doped_silicon(density)
    if low.startswith("eps=") and "," in key:
        parts = key[4:].split(",")
        if len(parts) != 2:
            raise ValueError(f"material {spec!r}: uniaxial constant is eps=<eps_t>,<eps_z> (two values)")
        et, ez = (_parse_complex(spec, p) for p in parts)
        if ez == 0:
            raise ValueError(f"material {spec!r}: eps_z must be non-zero")
        if et == ez:
            return ConstantPermittivity(et, name=key)
        return Uniaxial(ConstantPermittivity(et), ConstantPermittivity(ez), name=key)
    if low.startswith("eps="):
        _parse_complex(spec, key[4:])
    if low.startswith("csv:"):
        table = _read_uniaxial_csv(key[4:])
        if table is not None:
            return table
    try:
        return get_material(key)
    except ValueError as exc:
        if str(exc).startswith("unknown material"):
            allowed = ", ".join(sorted({*BUILTIN_MATERIALS, *LIBRARY}))
            raise ValueError(
                f"unknown material {spec!r}; allowed: {allowed}, 'si:n=<N>cm-3', 'eps=<complex>', "
                "'eps=<eps_t>,<eps_z>', 'csv:<path>'"
            ) from None
        raise


def material_sources(materials) -> str:
    """Where the numbers of some materials come from, for dataset attributes.

    Parameters
    ----------
    materials : iterable of Material or None
        The materials of a body (None entries, e.g. no substrate, are skipped).

    Returns
    -------
    str
        ``"<name>: <source>"`` per distinct material that names its source, joined by ``"; "``
        ("" when none does).
    """
    entries = [f"{m.name}: {m.source}" for m in materials if m is not None and m.source]
    return "; ".join(dict.fromkeys(entries))
