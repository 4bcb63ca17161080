"""The k quadrature of a periodic body: Brillouin zone x ky, Rayleigh anomalies and ridges (docs/theory.md §12b).

The mode sums of :mod:`neqent.electrodynamics.grating_kernels` integrate over
kx in the first Brillouin zone (-G/2, G/2], G = 2 pi/D, and ky in R (every
order m folded onto one R(k)). Everything here is dimensionless (K = omega/c).

Traps and how this rule handles them
------------------------------------
* Rayleigh (Wood) anomalies. On each line kx = const, order n has the branch
  point ky = +-a_n, a_n = sqrt(1 - (kx + n G)^2) (when |kx + n G| < 1), where
  kz_n = 0: 1/kz weights and sqrt(kz)-type kinks of R. The ky line is cut at
  every a_n; next to a cut each panel uses the substitution of its order
  (ky = a sin(theta) below it, ky = a cosh(t) above it, ky = b sinh(t) when no
  order propagates, b^2 = (kx + n G)^2 - 1), so kz of that order is
  a cos(theta), i a sinh(t) or i b cosh(t), exact from the variable (never
  sqrt(1 - u^2) of a rounded u), and dky/kz is smooth. After the ky integral
  the kx integrand has log(kx - kx*) singularities where a Rayleigh circle
  touches the line (kx* = +-1 folded into the zone): the kx panels end there
  and use the tanh-sinh map kx = c0 + (c1 - c0)(1 + tanh(pi/2 sinh tau))/2,
  whose double-exponential clustering turns A + B log|kx - kx*| into an
  integrand that Gauss-Legendre panels in tau integrate geometrically.
* Ridges. Guided modes and surface polaritons fold into the zone as narrow
  ridges of |R|. The rule is adaptive: every panel (ky panels on every kx line,
  then the kx panels of the line integrals) is accepted only when the Legendre
  coefficients of probe integrands (W, M, GR of probe pairs at the lowest
  height) have decayed below the tolerance; otherwise it is halved and the new
  nodes are requested from the provider. A ridge's 1/(k - k_p) skirt makes the
  coefficients decay slowly long before a node hits the peak, so narrow peaks
  are found (the trap of §4e).
* Cut-off. Evanescent waves decay like exp(-|k_n| (z + z')): ky runs to
  ky_max = (ln(1/tol) + 12) / (2 K z_min); the orders cap kx at (N + 1/2) G,
  reported as ``GratingQuadrature.truncation``.

Workflow (R(k) once per (omega, body), shards/ranks may split every batch)::

    quad = GratingQuadrature(omega, period, orders, z_min, tol)
    while (batch := quad.pending()) is not None:
        R, T = rt(*batch)          # kx, ky [rad/m] -> operators of the contract
        quad.feed(R, T)
    table = quad.table()
    W, M, GR = contract_pairs(table, r1, r2)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.constants import c as C_LIGHT

from neqent.electrodynamics.grating_kernels import KTable, chunks, node_integrands

__all__ = ["GratingQuadrature", "plan", "tabulate"]

GAUSS = 12  # Gauss-Legendre nodes per panel (even: no node on a panel's midpoint)
PHASE = 12.0  # max phase/decay change [rad] across one panel (12 Gauss nodes: error ~ 3^24/24! ~ 1e-12)
TAU_MAX = 2.8  # tanh-sinh range of the kx map: the ends stop 1e-12 (c1 - c0) short of a Rayleigh point
MAX_DEPTH_KY = 40
MAX_DEPTH_KX = 24
_SIN, _COSH, _SINH = 0, 1, 2


def _legendre_setup(n):
    x, w = np.polynomial.legendre.leggauss(n)
    # Legendre coefficients a_k = (2k + 1)/2 sum_i w_i P_k(x_i) f(x_i) (exact for k <= n - 1)
    vand = np.polynomial.legendre.legvander(x, n - 1)
    coef = (vand * w[:, None]).T * ((2 * np.arange(n) + 1) / 2)[:, None]
    return x, w, coef


class GratingQuadrature:
    """Adaptive k rule for one (omega, period, orders): request nodes, feed R and T, get the table.

    Parameters
    ----------
    omega : float
        Angular frequency [rad/s], > 0.
    period : float
        Grating period D [m], > 0.
    orders : int
        N: diffraction orders -N..N [1], >= 0.
    z_min : float
        Lowest qubit height above the ridges [m], > 0 (sets the ky cut-off).
    tol : float
        Target absolute accuracy of W, M [Gamma0] (relative for GR where |GR| > 1).
    lateral : float
        Largest lateral separation of two qubits [m] (panels resolve exp(i k.rho)).
    gauss : int
        Gauss-Legendre nodes per panel (even, >= 8).
    adaptive : bool
        False: the initial rule only (no refinement; one batch).
    mirror_y : bool
        The body is symmetric under y -> -y (a lamellar grating, grooves along y): request
        ky >= 0 only and let every node stand for its mirror image too (half the solves).
    parts : sequence of int, optional
        The parts of the rule to build (default all of them, ``part_count``). A part is
        one initial kx panel with every panel refined out of it: its refinement looks at
        its own nodes only, so a part comes out the same built alone, with others, or on
        another shard, and the parts' shares add up to the whole rule.

    Attributes
    ----------
    part_count : int
        Number of parts of the rule [1].
    """

    def __init__(
        self,
        omega,
        period,
        orders,
        z_min,
        tol=1e-10,
        lateral=0.0,
        gauss=GAUSS,
        adaptive=True,
        mirror_y=False,
        parts=None,
    ):
        for name, v in (("omega", omega), ("period", period), ("z_min", z_min), ("tol", tol)):
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be finite and > 0, got {v!r}")
        if int(orders) != orders or orders < 0:
            raise ValueError(f"orders must be an integer >= 0, got {orders!r}")
        if gauss < 8 or gauss % 2:
            raise ValueError(f"gauss must be even and >= 8, got {gauss!r}")
        self.k0 = omega / C_LIGHT
        self.period = float(period)
        self.g = 2 * math.pi / (self.k0 * period)
        self.orders = int(orders)
        self.zk = z_min * self.k0
        self.tol = float(tol)
        self.lat = max(0.0, float(lateral)) * self.k0
        self.adaptive = adaptive
        self.mirror_y = bool(mirror_y)
        self.x, self.w, self.coef = _legendre_setup(gauss)
        self.ky_max = (math.log(1 / tol) + 12) / (2 * self.zk)
        self.scale = max(1.0, (2 * self.zk) ** -3)
        self.rate = 2 * self.zk + self.lat
        self.rate_x = 2 * self.zk + self.lat + self.k0 * period
        self.truncation = math.exp(-(self.orders + 0.5) * self.g * 2 * self.zk)
        # probe pairs (lowest height; two lateral positions, and the lateral separation)
        d = self.k0 * period
        probes = [(0.0, 0.0, self.zk), (0.37 * d, 0.0, self.zk), (0.11 * d, self.lat, self.zk)]
        self.probe_pos = np.array(probes)
        self.probe_pairs = np.array([[0, 0], [1, 1], [0, 1], [0, 2]])
        # node store
        self._kx, self._ky, self._wt, self._kz = [], [], [], []
        self._fed = 0  # nodes whose operators arrived (R, T live in the ky panel records)
        self._has_t = False
        self._n = 0
        self._lines = []  # per kx node: dict(kx, wkx, panels=[...], panel records)
        self._kx_panels = []  # records: dict(c0, c1, s0, s1, depth, lines=[ids], done)
        self._queue = []  # ky panels waiting for their nodes' operators: (line, panel)
        self._pending = None
        self.nseg = len(self._kx_segments())
        initial = [(c0, c1, s0, s1) for c0, c1 in self._kx_segments() for s0, s1 in self._initial_s(c0, c1)]
        self.part_count = len(initial)
        self.parts = self._owned(parts)
        for j in self.parts:
            self._new_kx_panel(*initial[j], 0, j)
        self._pending = self._collect()

    def _owned(self, parts):
        if parts is None:
            return tuple(range(self.part_count))
        owned = tuple(sorted({int(j) for j in parts}))
        if not owned or owned[0] < 0 or owned[-1] >= self.part_count:
            raise ValueError(f"parts must be a non-empty subset of 0..{self.part_count - 1}, got {parts!r}")
        return owned

    # ------------------------------------------------------------------
    # geometry of the rule

    def _kx_segments(self):
        half = self.g / 2
        cuts = sorted({-half, half} | {_fold(v, self.g) for v in (1.0, -1.0)})
        cuts = [c for c in cuts if -half <= c <= half]
        out = []
        for c0, c1 in zip(cuts[:-1], cuts[1:]):
            if c1 - c0 > 1e-12 * self.g:
                out.append((c0, c1))
        return out

    def _initial_s(self, c0, c1):
        # panels in tau; the map squeezes the ends, the middle has ds/dtau = pi/4: the lateral
        # phase and the decay across (c1 - c0) ds set the count
        n = 2 * max(1, math.ceil((c1 - c0) * self.rate_x / PHASE))
        edges = np.linspace(-TAU_MAX, TAU_MAX, n + 1)
        return list(zip(edges[:-1], edges[1:]))

    def _kx_map(self, c0, c1, tau):
        """kx(tau) = c0 + (c1 - c0) (1 + tanh(pi/2 sinh tau))/2 and dkx/dtau (tanh-sinh at both ends)."""
        y = 0.5 * math.pi * np.sinh(tau)
        s = 0.5 * (1 + np.tanh(y))
        ds = 0.25 * math.pi * np.cosh(tau) / np.cosh(y) ** 2
        return c0 + (c1 - c0) * s, (c1 - c0) * ds

    def _new_kx_panel(self, c0, c1, s0, s1, depth, part):
        rec = {"c0": c0, "c1": c1, "s0": s0, "s1": s1, "depth": depth, "lines": [], "done": False, "part": part}
        half = (s1 - s0) / 2
        s = (s0 + s1) / 2 + half * self.x
        kx, jac = self._kx_map(c0, c1, s)
        for i in range(s.size):
            rec["lines"].append(self._new_line(kx[i], jac[i] * half * self.w[i], jac[i]))
        self._kx_panels.append(rec)

    def _a2(self, kx):
        n = np.arange(-self.orders, self.orders + 1)
        q = kx + n * self.g
        return (1 - q) * (1 + q)  # 1 - q^2 without cancellation near |q| = 1

    def _new_line(self, kx, wkx, dkx):
        a2 = self._a2(kx)
        # a line's error enters the kx integrand times dkx/dtau: its ky panels need tol / (dkx/dtau)
        # (lax next to a Rayleigh point, where the provider's own kz rounding sets a noise floor)
        tol = 1e-2 * self.tol * self.scale / (2 * TAU_MAX * self.nseg * max(dkx, 1e-300))
        line = {"kx": kx, "wkx": wkx, "a2": a2, "panels": [], "tol": tol}
        lid = len(self._lines)
        self._lines.append(line)
        for p in self._ky_panels(a2):
            if p[3] > 0 or not self.mirror_y:  # with the mirror, ky >= 0 stands for both signs
                self._add_ky_panel(lid, p)
        return lid

    def _ky_panels(self, a2):
        """Initial panels (kind, a, anchor a2, sign, v0, v1) covering ky in [-ky_max, ky_max]."""
        out = []
        pos = np.unique(a2[a2 > 0])
        if pos.size == 0:
            b2 = float(np.max(a2))  # closest to propagating: -b^2
            b = math.sqrt(-b2)
            tmax = math.asinh(self.ky_max / b)
            for v0, v1 in self._march(_SINH, b, 0.0, tmax):
                out.append((_SINH, b, b2, 1.0, v0, v1))
                out.append((_SINH, b, b2, -1.0, v0, v1))
            return out
        a = np.sqrt(pos)
        # central chord [-a_1, a_1]: ky = a_1 sin(theta)
        for v0, v1 in self._march(_SIN, a[0], 0.0, math.pi / 2):
            out.append((_SIN, a[0], pos[0], 1.0, v0, v1))
            out.append((_SIN, a[0], pos[0], -1.0, v0, v1))
        for i in range(a.size - 1):  # between two Rayleigh points: cosh above the lower, sin below the upper
            mid = (a[i] + a[i + 1]) / 2
            for v0, v1 in self._march(_COSH, a[i], 0.0, math.acosh(mid / a[i])):
                out += [(_COSH, a[i], pos[i], s, v0, v1) for s in (1.0, -1.0)]
            for v0, v1 in self._march(_SIN, a[i + 1], math.asin(min(1.0, mid / a[i + 1])), math.pi / 2):
                out += [(_SIN, a[i + 1], pos[i + 1], s, v0, v1) for s in (1.0, -1.0)]
        top = a[-1]
        for v0, v1 in self._march(_COSH, top, 0.0, math.acosh(max(1.0, self.ky_max / top))):
            out += [(_COSH, top, pos[-1], s, v0, v1) for s in (1.0, -1.0)]
        return out

    def _march(self, kind, a, v0, v1):
        """Panel edges on [v0, v1] so that the phase/decay rate * dky stays below PHASE per panel."""
        edges = [v0]
        v = v0
        while v < v1 - 1e-15:
            dky = a * (math.cosh(v) if kind != _SIN else 1.0)
            step = min(2.0, PHASE / (self.rate * dky))
            v = min(v1, v + step)
            if v1 - v < 0.2 * step:
                v = v1
            edges.append(v)
        return list(zip(edges[:-1], edges[1:]))

    def _ky_nodes(self, panel):
        kind, a, _, sign, v0, v1 = panel
        half = (v1 - v0) / 2
        v = (v0 + v1) / 2 + half * self.x
        if kind == _SIN:
            ky, jac, kz = a * np.sin(v), a * np.cos(v), a * np.cos(v) + 0j
        elif kind == _COSH:
            ky, jac, kz = a * np.cosh(v), a * np.sinh(v), 1j * a * np.sinh(v)
        else:
            ky, jac, kz = a * np.sinh(v), a * np.cosh(v), 1j * a * np.cosh(v)
        return sign * ky, jac * half * self.w, kz

    def _add_ky_panel(self, lid, panel, depth=0):
        line = self._lines[lid]
        ky, wky, kz_anchor = self._ky_nodes(panel)
        kz = _sqrt_im_pos(line["a2"][None, :] - ky[:, None] ** 2)
        same = line["a2"] == panel[2]  # orders whose Rayleigh point bounds the panel: kz from the variable
        kz[:, same] = kz_anchor[:, None]
        idx = np.arange(self._n, self._n + ky.size)
        self._n += ky.size
        self._kx.append(np.full(ky.size, line["kx"]))
        self._ky.append(ky)
        self._wt.append(wky)
        self._kz.append(kz)
        rec = {"panel": panel, "idx": idx, "depth": depth, "value": None, "w": wky}
        line["panels"].append(rec)
        self._queue.append((lid, rec))

    # ------------------------------------------------------------------
    # the request / feed loop

    def _collect(self):
        """Nodes not fed yet, as (kx, ky) [rad/m], or None when the rule is complete."""
        start = self._fed
        if start == self._n:
            return None
        kx = np.concatenate(self._kx)[start:]
        ky = np.concatenate(self._ky)[start:]
        self._batch = (start, self._n)
        self._batch_nodes = (kx, ky, np.concatenate(self._wt)[start:], np.concatenate(self._kz)[start:])
        return kx * self.k0, ky * self.k0

    def pending(self):
        """The next batch of k points to evaluate, ``(kx, ky)`` [rad/m] arrays, or None when done."""
        return self._pending

    def feed(self, R, T, f=None):
        """Operators at the pending batch; refines the rule and prepares the next batch.

        Parameters
        ----------
        R : ndarray, shape (Nb, 2M, 2M), complex
            Reflection operator at the batch points (module docstring's contract) [1].
        T : ndarray, shape (Nb, 2M, 2M), complex, or None
            Transmission operator (None or zeros with a substrate) [1].
        f : ndarray, shape (Nb, C), complex, optional
            The probe integrands of the batch, :meth:`integrands` (computed here if not
            given; a provider that spreads the solves may spread these too).
        """
        if self._pending is None:
            raise ValueError("no pending k points: the rule is complete")
        start, stop = self._batch
        m2 = 2 * (2 * self.orders + 1)
        R = np.asarray(R, dtype=complex)
        if R.shape != (stop - start, m2, m2):
            raise ValueError(f"R must have shape {(stop - start, m2, m2)}, got {R.shape}")
        if T is not None:
            T = np.asarray(T, dtype=complex)
            if T.shape != R.shape:
                raise ValueError(f"T must have shape {R.shape} or be None, got {T.shape}")
        self._fed = stop
        self._has_t = self._has_t or T is not None
        f = self.integrands(np.arange(start, stop), R, T) if f is None else np.asarray(f)
        for _, rec in self._queue:
            # each panel keeps its own copy: a panel that is split later frees its operators
            rec["f"] = f[rec["idx"] - start]
            rec["R"] = R[rec["idx"] - start].copy()
            rec["T"] = None if T is None else T[rec["idx"] - start].copy()
        self._pending = self._refine() if self.adaptive else None
        return self._pending

    def batch_index(self):
        """Node indices of the pending batch (for :meth:`integrands`), or None when done."""
        if self._pending is None:
            return None
        return np.arange(*self._batch)

    def integrands(self, idx, R, T):
        """Probe integrands of pending nodes ``idx`` (rows of :meth:`batch_index`) from their R, T.

        Node by node: the rows do not depend on which other nodes come along, so the
        batch may be split over threads or ranks with the same bits.

        Parameters
        ----------
        idx : ndarray, shape (Nb,), int
            Node indices, a subset of :meth:`batch_index`.
        R, T : ndarray, shape (Nb, 2M, 2M), complex (T may be None)
            Their operators [1].

        Returns
        -------
        ndarray, shape (Nb, C), complex
            W, M, GR of the probe pairs, flattened per node [1].
        """
        start, _ = self._batch
        rows = np.asarray(idx) - start
        nodes = self._batch_nodes
        sub = KTable(self.k0, self.g, self.orders, *(x[rows] for x in nodes), R, T, self.mirror_y)
        m2 = 2 * (2 * self.orders + 1)
        f = []
        for sl in chunks(rows.size, self.probe_pos.shape[0], self.probe_pairs.shape[0], m2):
            parts = node_integrands(sub.subset(sl), self.probe_pos, self.probe_pairs)
            f.append(np.concatenate([p.reshape(p.shape[0], -1) for p in parts], axis=1))
        return np.concatenate(f)

    def _test(self, vals, tol):
        """True when the Legendre tail of a panel's integrand (on [-1, 1]) is below ``tol``."""
        a = np.abs(self.coef @ vals)  # (n, C)
        t1 = a[-1] + a[-2]
        t2 = a[-3] + a[-4]
        noise = 1e-12 * np.max(np.abs(vals), axis=0) + 1e-300
        # geometric decay rate r of the coefficients from the tail; the Gauss error is ~ t1 r^(n+1)
        # for an analytic integrand (taken as r^(n-2): a margin of r^3)
        r = np.sqrt(t1 / np.maximum(t2, 1e-300))
        err = t1 * np.minimum(1.0, r) ** (len(self.x) - 2)
        return bool(np.all((err <= tol) | (t1 <= noise)))

    def _refine(self):
        queue, self._queue = self._queue, []
        for lid, rec in queue:
            tol_ky = self._lines[lid]["tol"]
            rec["value"] = rec["w"] @ rec["f"]
            vals = rec["f"] * (rec["w"] / self.w)[:, None]  # integrand in the panel's variable on [-1, 1]
            if self._test(vals, tol_ky) or rec["depth"] >= MAX_DEPTH_KY:
                continue
            _kill(rec)
            kind, a, a2, sign, v0, v1 = rec["panel"]
            mid = (v0 + v1) / 2
            for lo, hi in ((v0, mid), (mid, v1)):
                self._add_ky_panel(lid, (kind, a, a2, sign, lo, hi), rec["depth"] + 1)
        if not self._queue:
            self._refine_kx()
        return self._collect()

    def _line_value(self, lid):
        return sum(r["value"] for r in self._lines[lid]["panels"] if not r.get("dead"))

    def _refine_kx(self):
        tol_kx = 0.3 * self.tol * self.scale
        for rec in list(self._kx_panels):
            if rec["done"] or rec.get("dead"):
                continue
            wkx = np.array([self._lines[lid]["wkx"] for lid in rec["lines"]])
            vals = np.array([self._line_value(lid) for lid in rec["lines"]]) * (wkx / self.w)[:, None]
            if self._test(vals, tol_kx) or rec["depth"] >= MAX_DEPTH_KX:
                rec["done"] = True
                continue
            rec["dead"] = True
            for lid in rec["lines"]:
                for p in self._lines[lid]["panels"]:
                    _kill(p)
            mid = (rec["s0"] + rec["s1"]) / 2
            for lo, hi in ((rec["s0"], mid), (mid, rec["s1"])):
                self._new_kx_panel(rec["c0"], rec["c1"], lo, hi, rec["depth"] + 1, rec["part"])

    # ------------------------------------------------------------------

    def table(self, parts=None):
        """The finished rule with its operators (live nodes only): a grating_kernels.KTable.

        Parameters
        ----------
        parts : sequence of int, optional
            Only these of the parts built (default all of them).

        Returns
        -------
        neqent.electrodynamics.grating_kernels.KTable
            Nodes, weights [K^2], kz and the fed R, T, ordered by (kx, ky): the order does
            not depend on the refinement history, so neither do the bits of a contraction.
        """
        if self._pending is not None:
            raise ValueError("the rule still has pending k points: feed them first")
        wanted = set(self.parts if parts is None else parts)
        if not wanted <= set(self.parts):
            raise ValueError(f"parts {sorted(wanted - set(self.parts))} were not built (built: {list(self.parts)})")
        idx, weight, rs, ts = [], [], [], []
        for rec in self._kx_panels:
            if rec.get("dead") or rec["part"] not in wanted:
                continue
            for lid in rec["lines"]:
                line = self._lines[lid]
                for p in line["panels"]:
                    if not p.get("dead"):
                        idx.append(p["idx"])
                        weight.append(p["w"] * line["wkx"])
                        rs.append(p["R"])
                        ts.append(p["T"] if p["T"] is not None else np.zeros_like(p["R"]))
        idx = np.concatenate(idx)
        kx, ky = np.concatenate(self._kx)[idx], np.concatenate(self._ky)[idx]
        order = np.lexsort((ky, kx))  # no two live nodes share (kx, ky)
        return KTable(
            self.k0,
            self.g,
            self.orders,
            kx[order],
            ky[order],
            np.concatenate(weight)[order],
            np.concatenate(self._kz)[idx][order],
            np.concatenate(rs)[order],
            np.concatenate(ts)[order] if self._has_t else None,
            self.mirror_y,
            self.zk / self.k0,
        )

    @property
    def nodes(self):
        """Number of k points requested so far (each one R, T solve) [1]."""
        return self._n


def _kill(rec):
    """Mark a ky panel as replaced and free its operators."""
    rec["dead"] = True
    rec.pop("R", None)
    rec.pop("T", None)


def _fold(v, g):
    return v - g * round(v / g)


def _sqrt_im_pos(z):
    r = np.sqrt(z.astype(complex))
    return np.where(r.imag < 0, -r, r)


def tabulate(omega, period, orders, rt, z_min, tol=1e-10, lateral=0.0, gauss=GAUSS, adaptive=True, mirror_y=False):
    """Run the adaptive rule against a provider ``rt(kx, ky) -> (R, T)`` and return the table.

    Parameters
    ----------
    omega, period, orders, z_min, tol, lateral, gauss, adaptive, mirror_y
        As in :class:`GratingQuadrature` ([rad/s], [m], [1], [m], [1], [m], [1], bool, bool).
    rt : callable
        ``rt(kx, ky)`` with arrays [rad/m] of shape (Nb,) returning ``(R, T)`` of shape
        (Nb, 2M, 2M) (T may be None); it may spread the batch over ranks.

    Returns
    -------
    neqent.electrodynamics.grating_kernels.KTable
        R, T on the converged rule.
    """
    quad = GratingQuadrature(omega, period, orders, z_min, tol, lateral, gauss, adaptive, mirror_y)
    while (batch := quad.pending()) is not None:
        quad.feed(*rt(*batch))
    return quad.table()


def plan(omega, period, orders, z_min, tol=1e-10, lateral=0.0, gauss=GAUSS):
    """The initial (non-adaptive) k points of the rule, for a first look or a fixed-cost run.

    Parameters
    ----------
    omega, period, orders, z_min, tol, lateral, gauss
        As in :class:`GratingQuadrature`.

    Returns
    -------
    GratingQuadrature
        With ``adaptive=False``: ``pending()`` is its one batch; feed it, then ``table()``.
    """
    return GratingQuadrature(omega, period, orders, z_min, tol, lateral, gauss, adaptive=False)
