"""NetCDF files written and read block by block (chunked, compressed, atomic) and opened lazily.

:class:`BlockWriter` creates a NetCDF4 file with the coordinates, the
provenance attributes of :func:`neqent.pipeline.io.provenance` and empty
chunked, zlib-compressed variables, then takes one hyperslab at a time. It
writes to ``.<name>.pid<PID>.tmp`` next to the target and moves it into place
only on :meth:`BlockWriter.close`; an exception removes it, and a run killed
outright leaves only that hidden file, which the next writer of the same
target removes (its process is gone). So the target either does not exist or
is complete.

Chunks (:func:`choose_chunks`) hold whole trailing dimensions (T_M last, then
omega, ...) up to ~1 MB: a block of the pipeline (:mod:`neqent.pipeline.blocks`,
aligned to these chunks) writes whole chunks, and the two ways results are
read -- reductions over T_M and maps at fixed T_M -- read each chunk once.

:func:`open_lazy` opens a result larger than memory as one
:class:`xarray.Dataset` of dask arrays (one dask chunk per NetCDF chunk row),
complex ``_re``/``_im`` pairs joined lazily.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
import xarray as xr

__all__ = ["CHUNK_ELEMENTS", "choose_chunks", "BlockWriter", "remove_stale_temporaries", "open_lazy", "get_block"]

#: target elements per NetCDF chunk (2**17 float64 = 1 MiB)
CHUNK_ELEMENTS = 2**17


def choose_chunks(shape, target=CHUNK_ELEMENTS):
    """Chunk shape: trailing dimensions whole while the product stays <= ``target``, then part of one, then 1s.

    Parameters
    ----------
    shape : tuple of int
        Variable shape.
    target : int
        Largest chunk [elements].

    Returns
    -------
    tuple of int
        The chunk shape.
    """
    shape = tuple(int(n) for n in shape)
    chunks = [1] * len(shape)
    size = 1
    for k in range(len(shape) - 1, -1, -1):
        n = max(shape[k], 1)
        if size * n <= target:
            chunks[k] = n
            size *= n
        else:
            chunks[k] = max(1, target // size)
            break
    return tuple(chunks)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's live process
        return True
    return True


def remove_stale_temporaries(path):
    """Delete ``.<name>.pid<PID>.tmp`` files of ``path`` whose writing process no longer exists.

    Parameters
    ----------
    path : str or os.PathLike
        The published file whose temporaries are cleaned.
    """
    path = Path(path)
    for tmp in glob.glob(str(path.parent / f".{glob.escape(path.name)}.pid*.tmp")):
        try:
            pid = int(tmp.rsplit(".pid", 1)[1].split(".")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


def _labelled(attrs, label, name):
    out = dict(attrs)
    if "long_name" in out:
        out["long_name"] = f"{out['long_name']} ({label})"
    out["complex_part_of"] = name
    return out


class BlockWriter:
    """Write a dataset hyperslab by hyperslab into an atomically published NetCDF4 file.

    Use as a context manager or call :meth:`close` (publish) / :meth:`abort` (discard).

    Parameters
    ----------
    path : str or os.PathLike
        The file to publish.
    skeleton : xarray.Dataset
        Coordinates (CF ``units`` and ``long_name`` on each) and global attributes.
    variables : dict
        Name -> ``(dims, dtype, attrs)`` of the data variables to fill (``attrs``
        with ``units`` and ``long_name``; complex dtypes become
        ``<name>_re``/``<name>_im``).
    config : dict, optional
        Recorded as provenance.
    complevel : int
        zlib level (shuffle on).
    chunks : dict, optional
        Name -> chunk shape (default :func:`choose_chunks`).
    dims : dict, optional
        Extra dimensions without coordinates, name -> length.
    """

    def __init__(self, path, skeleton, variables, config=None, complevel=1, chunks=None, dims=None):
        import netCDF4

        from neqent.pipeline.io import check_attributes, complex_to_pair, provenance

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.path)
        self.tmp = self.path.parent / f".{self.path.name}.pid{os.getpid()}.tmp"
        skel = complex_to_pair(skeleton)
        check_attributes(skel)
        skel.attrs = {**skeleton.attrs, **provenance(config)}
        # small data variables of the skeleton (written whole) are compressed like the rest
        encoding = {
            k: {"zlib": True, "complevel": max(int(complevel), 1), "shuffle": True}
            for k in skel.data_vars
            if skel[k].ndim and np.issubdtype(skel[k].dtype, np.number)
        }
        # CF 2.5.1: coordinate variables carry no _FillValue (xarray would add NaN to float ones)
        encoding.update({k: {"_FillValue": None} for k in skel.coords})
        self._nc = None
        try:
            skel.to_netcdf(self.tmp, format="NETCDF4", engine="netcdf4", encoding=encoding)
            self._nc = netCDF4.Dataset(self.tmp, "a")
            for d, n in (dims or {}).items():
                self._nc.createDimension(d, n)
            sizes = dict(skel.sizes)
            sizes.update({d: len(v) for d, v in self._nc.dimensions.items()})
            self._complex = set()
            for name, (dims, dtype, attrs) in variables.items():
                for d in dims:
                    if d not in self._nc.dimensions:
                        raise ValueError(f"variable {name!r}: dimension {d!r} has no coordinate in the skeleton")
                if "units" not in attrs or "long_name" not in attrs:
                    raise ValueError(f"CF attributes missing: {name} (units/long_name)")
                shape = tuple(sizes[d] for d in dims)
                chunk = (chunks or {}).get(name) or choose_chunks(shape)
                parts = [(name, attrs)]
                real = np.float64
                if np.issubdtype(np.dtype(dtype), np.complexfloating):
                    self._complex.add(name)
                    parts = [(f"{name}_re", _labelled(attrs, "real part", name))]
                    parts.append((f"{name}_im", _labelled(attrs, "imaginary part", name)))
                else:
                    real = np.dtype(dtype)
                for vname, vattrs in parts:
                    var = self._nc.createVariable(
                        vname,
                        real,
                        dims,
                        zlib=complevel > 0,
                        complevel=max(int(complevel), 1),
                        shuffle=True,
                        chunksizes=chunk if dims else None,
                        fill_value=False,  # every element is written: skip the pre-fill pass
                    )
                    var.setncatts(vattrs)
        except BaseException:
            self.abort()
            raise

    def write(self, name, index, values):
        """Write one hyperslab of a variable (complex: both parts).

        Parameters
        ----------
        name : str
            Data variable.
        index : tuple of slice
            The hyperslab.
        values : array_like
            Values of the hyperslab's shape (units of the variable's ``units``).
        """
        if name in self._complex:
            self._nc.variables[f"{name}_re"][index] = np.real(values)
            self._nc.variables[f"{name}_im"][index] = np.imag(values)
        else:
            self._nc.variables[name][index] = values

    def close(self):
        """Finish the file and move it into place (``os.replace``).

        Returns
        -------
        pathlib.Path
            The published path.
        """
        self._nc.close()
        self._nc = None
        os.chmod(self.tmp, 0o644)
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self):
        """Discard the temporary file."""
        if self._nc is not None:
            try:
                self._nc.close()
            except RuntimeError:  # pragma: no cover
                pass
            self._nc = None
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False


def get_block(ds, name, index):
    """Values of a variable at a hyperslab from a dataset that may be lazy (reads only that hyperslab).

    Parameters
    ----------
    ds : xarray.Dataset
        The dataset; complex variables are found either as ``name`` or as the
        pair ``name_re``/``name_im``.
    name : str
        The variable.
    index : tuple of slice
        The hyperslab.

    Returns
    -------
    ndarray
        The values (units of the variable's ``units``).
    """
    if name in ds.variables:
        return np.asarray(ds[name].variable[index].values)
    re = ds[f"{name}_re"].variable[index].values
    im = ds[f"{name}_im"].variable[index].values
    out = np.empty(re.shape, complex)
    out.real = re
    out.imag = im
    return out


def open_lazy(path, chunks=None):
    """Open a pipeline result lazily as one dataset (dask arrays; complex pairs joined lazily).

    Nothing is read until ``.compute()``/``.values``; reductions such as
    ``ds["C"].max("T_M")`` stream through the chunks.

    Parameters
    ----------
    path : str or os.PathLike
        NetCDF file.
    chunks : dict, optional
        dask chunks (default ``{}``: the file's NetCDF chunks).

    Returns
    -------
    xarray.Dataset
        The lazy dataset, units in each variable's ``units`` attribute.
    """
    ds = xr.open_dataset(path, chunks={} if chunks is None else chunks)
    for name in [n for n in ds.data_vars if n.endswith("_re")]:
        base = name[:-3]
        if f"{base}_im" not in ds.data_vars:
            continue
        attrs = {k: v for k, v in ds[name].attrs.items() if k != "complex_part_of"}
        if "long_name" in attrs:
            attrs["long_name"] = attrs["long_name"].replace(" (real part)", "")
        ds[base] = (ds[name] + 1j * ds[f"{base}_im"]).assign_attrs(attrs)
        ds = ds.drop_vars([name, f"{base}_im"])
    return ds
