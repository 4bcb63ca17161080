"""NetCDF datasets of the pipeline: complex handling, provenance, atomic writes.

Every dataset the pipeline (and ``neqent scan``) writes goes through
:func:`write_dataset`, which

* splits complex variables into real pairs ``<name>_re`` / ``<name>_im``
  (docs/design.md; NetCDF has no complex type),
* insists on CF-style ``units`` and ``long_name`` attributes on every
  variable and coordinate (dimensionless quantities use ``units = "1"``),
* compresses numeric variables (zlib),
* records provenance as global attributes: the full resolved config (JSON
  string, attribute ``config``), the package version, the git commit of the
  source tree and the creation time (ISO 8601, UTC),
* writes atomically: to a temporary file in the destination directory, then
  ``os.replace`` -- a failed run never leaves a half-written file behind.

Files open with ``xarray.open_dataset(path)`` alone; :func:`read_dataset`
additionally re-assembles the complex variables.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr

__all__ = [
    "package_version",
    "git_commit",
    "provenance",
    "complex_to_pair",
    "pair_to_complex",
    "check_attributes",
    "write_dataset",
    "read_dataset",
    "config_of",
    "REFERENCES",
]

_SRC = Path(__file__).resolve().parent

#: CF ``references`` global attribute of every dataset: the paper the pipeline reproduces.
REFERENCES = (
    "B. Bellomo and M. Antezza, Creation and protection of entanglement in systems out of "
    "thermal equilibrium, EPL 2013, arXiv:1304.2864"
)


def package_version() -> str:
    """Version of the installed neqent distribution.

    Read from :mod:`neqent.version` (``importlib.metadata``), not from the
    package root, so that the pipeline never imports the facade above it.

    Returns
    -------
    str
        The version, ``0.0.0+unknown`` when running from a source tree that is not installed.
    """
    from neqent.version import __version__

    return __version__


def git_commit() -> str:
    """Commit hash of the git checkout holding the neqent sources.

    Returns
    -------
    str
        The hash, with a ``-dirty`` suffix for uncommitted changes to tracked
        files; "unknown" outside a git checkout.
    """
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_SRC, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        commit = head.stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=_SRC,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return commit + ("-dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(config=None) -> dict:
    """Global attributes recording how a dataset was made.

    Parameters
    ----------
    config : dict, optional
        The resolved configuration, or the part of it the dataset depends on
        (stored as a JSON string).

    Returns
    -------
    dict of str to str
        ``config``, ``neqent_version``, ``git_commit``, ``created`` (ISO 8601
        UTC), ``python_version``, ``numpy_version``, ``xarray_version`` and the
        CF global attributes ``Conventions``, ``history``, ``source``, ``references``.
    """
    created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    version, commit = package_version(), git_commit()
    attrs = {
        "Conventions": "CF-1.10",
        "history": f"{created} created by neqent {version}",
        "source": f"neqent {version} (git {commit}): two-qubit open-system model near a body out of "
        "thermal equilibrium (kernels, rates, master equation; docs/theory.md)",
        "references": REFERENCES,
        "neqent_version": version,
        "git_commit": commit,
        "created": created,
        "python_version": sys.version.split()[0],
        "numpy_version": np.__version__,
        "xarray_version": xr.__version__,
    }
    if config is not None:
        attrs["config"] = json.dumps(config, sort_keys=True, default=_json_default)
        attrs["config_format"] = "json"
    return attrs


def _json_default(obj):
    """JSON encoder fallback for numpy scalars/arrays in configs."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot serialise {type(obj).__name__} in the config")


def complex_to_pair(ds: xr.Dataset) -> xr.Dataset:
    """Replace every complex data variable ``x`` by real ``x_re`` and ``x_im``.

    Parameters
    ----------
    ds : xarray.Dataset
        Dataset; complex coordinates are not supported (ValueError).

    Returns
    -------
    xarray.Dataset
        A copy; attributes (``units`` included) are copied, ``long_name`` gets
        " (real part)" / " (imaginary part)" appended.
    """
    for name, coord in ds.coords.items():
        if np.iscomplexobj(coord.values):
            raise ValueError(f"coordinate {name!r} is complex; NetCDF coordinates must be real")
    out = ds.copy()
    for name in list(ds.data_vars):
        var = ds[name]
        if not np.iscomplexobj(var.values):
            continue
        for suffix, part, label in (("_re", np.real, "real part"), ("_im", np.imag, "imaginary part")):
            new = xr.DataArray(np.array(part(var.values)), dims=var.dims, attrs=dict(var.attrs))
            if "long_name" in new.attrs:
                new.attrs["long_name"] = f"{new.attrs['long_name']} ({label})"
            new.attrs["complex_part_of"] = str(name)
            out[f"{name}{suffix}"] = new
        out = out.drop_vars(name)
    return out


def pair_to_complex(ds: xr.Dataset) -> xr.Dataset:
    """Inverse of :func:`complex_to_pair`: merge ``x_re``/``x_im`` pairs into complex ``x``.

    Parameters
    ----------
    ds : xarray.Dataset
        Dataset with real pairs.

    Returns
    -------
    xarray.Dataset
        A copy with complex variables (units kept).
    """
    out = ds.copy()
    for name in list(ds.data_vars):
        if not name.endswith("_re"):
            continue
        base = name[:-3]
        im = f"{base}_im"
        if im not in ds.data_vars:
            continue
        attrs = {k: v for k, v in ds[name].attrs.items() if k != "complex_part_of"}
        if "long_name" in attrs:
            attrs["long_name"] = attrs["long_name"].replace(" (real part)", "")
        out[base] = xr.DataArray(ds[name].values + 1j * ds[im].values, dims=ds[name].dims, attrs=attrs)
        out = out.drop_vars([name, im])
    return out


def check_attributes(ds: xr.Dataset) -> None:
    """Check that every variable and coordinate has ``units`` and ``long_name``.

    Parameters
    ----------
    ds : xarray.Dataset
        The dataset.

    Raises
    ------
    ValueError
        Naming the variables and the missing attributes.
    """
    missing = [
        f"{name} ({key})"
        for name in list(ds.data_vars) + list(ds.coords)
        for key in ("units", "long_name")
        if key not in ds[name].attrs
    ]
    if missing:
        raise ValueError("CF attributes missing: " + ", ".join(missing))


def write_dataset(ds: xr.Dataset, path, config=None, attrs=None, complevel: int = 4) -> Path:
    """Write ``ds`` atomically to NetCDF4 ``path`` with compression and provenance.

    Complex variables are stored as ``_re``/``_im`` pairs. The file is first
    written to a temporary file in the same directory and moved into place with
    ``os.replace``; on any error the temporary file is removed and an existing
    ``path`` is left untouched.

    Parameters
    ----------
    ds : xarray.Dataset
        Every variable and coordinate with ``units`` and ``long_name`` (else ValueError).
    path : str or os.PathLike
        Destination file.
    config : dict, optional
        Resolved configuration recorded in the global attribute ``config`` (JSON).
    attrs : dict, optional
        Extra global attributes (e.g. ``title``).
    complevel : int
        zlib compression level, 0-9.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    path = Path(path)
    out = complex_to_pair(ds)
    check_attributes(out)
    out.attrs = {**ds.attrs, **(attrs or {}), **provenance(config)}
    if ds.attrs.get("history"):  # CF: history accumulates, one line per program
        out.attrs["history"] = f"{ds.attrs['history']}\n{out.attrs['history']}"
    encoding = {}
    for name in out.data_vars:
        if np.issubdtype(out[name].dtype, np.number):
            encoding[name] = {"zlib": True, "complevel": complevel, "shuffle": True}
    for name in out.coords:
        # CF 2.5.1: coordinate variables must not carry _FillValue (xarray adds NaN to floats)
        encoding[name] = {"_FillValue": None}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        out.to_netcdf(tmp, format="NETCDF4", engine="netcdf4", encoding=encoding)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def read_dataset(path, complex_values: bool = True) -> xr.Dataset:
    """Load a dataset fully into memory (file closed afterwards).

    Parameters
    ----------
    path : str or os.PathLike
        NetCDF file.
    complex_values : bool
        Merge the ``_re``/``_im`` pairs back into complex variables
        (:func:`pair_to_complex`).

    Returns
    -------
    xarray.Dataset
        The dataset, units in each variable's ``units`` attribute.
    """
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    return pair_to_complex(ds) if complex_values else ds


def config_of(ds: xr.Dataset) -> dict:
    """The resolved configuration recorded in a dataset's ``config`` attribute.

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset written by :func:`write_dataset`.

    Returns
    -------
    dict
        The configuration (SI units, as in the config file).
    """
    return json.loads(ds.attrs["config"])
