"""Cost of the grating mode sums: tabulating R(k) once, then one more qubit position (docs/theory.md §12b).

Run: ``python benchmarks/grating_kernels.py [orders] [tol]``. The provider is the planar stack
folded with a fictitious period (cheap), so the numbers here are the contraction's own
cost per k point and position; the FMM's cost per k point comes on top of the table time.
"""

import sys
import time

import numpy as np

from neqent.electrodynamics.grating_kernels import contract_pairs
from neqent.electrodynamics.grating_planar import planar_operators
from neqent.electrodynamics.grating_quadrature import tabulate


def main(orders=3, tol=1e-5):
    omega, period, z_min = 1e14, 1e-6, 1e-6
    rt = planar_operators(omega, [2 + 2j], [2 + 2j], [0.3e-6], 1, 1, period, orders)
    t0 = time.perf_counter()
    table = tabulate(omega, period, orders, rt, z_min, tol=tol, lateral=1e-6, mirror_y=True)
    t_table = time.perf_counter() - t0
    nk = table.kx.size
    contract_pairs(table, [[0, 0, 1e-6]], [[0.2e-6, 0, 1e-6]])  # compile
    rows = []
    for npair in (1, 2, 8):
        r1 = np.column_stack([np.linspace(0, 0.9e-6, npair), np.zeros(npair), np.full(npair, 1e-6)])
        r2 = r1 + [0.0, 0.3e-6, 0.1e-6]
        t0 = time.perf_counter()
        contract_pairs(table, r1, r2)
        rows.append((npair, time.perf_counter() - t0))
    print(f"orders {orders} (2M = {2 * (2 * orders + 1)}), k points {nk}, table (planar provider) {t_table:.2f} s")
    for npair, t in rows:
        per = 1e6 * t / nk / (2 * npair)
        print(f"  {npair} pair(s) = {2 * npair} positions: contract {t:.3f} s = {per:.2f} us per k point and position")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3, float(sys.argv[2]) if len(sys.argv) > 2 else 1e-5)
