"""Cost of a converged two-qubit point above a SiC grating, and of a further position (docs/theory.md §12b).

Run: ``python benchmarks/grating.py [orders] [tol ...]``. The case of issue 22: SiC ridges,
D = 1 um, f = 0.5, h = 0.5 um, vacuum grooves and below, omega = 0.3 w_T of SiC, both qubits
at z = 1 um, 250 nm apart along x from x = 0 (over a ridge). For each k-rule tolerance it
prints the first point's time (FMM solves on the adaptive rule, then the contraction), the
time of a further position on the same table, and the change of the blocks against the
previous tolerance (the accuracy estimate). Results: benchmarks/results/grating.md.
"""

import sys
import time

import numpy as np

from neqent.electrodynamics.grating import Grating
from neqent.electrodynamics.materials import get_layer_material


def main(orders=None, tols=(1e-4, 1e-5)):
    sic = get_layer_material("sic")
    omega = 0.3 * sic.resonance
    r1, r2 = np.array([0.0, 0.0, 1e-6]), np.array([0.25e-6, 0.0, 1e-6])
    s1, s2 = r1 + [0.5e-6, 0.0, 0.0], r2 + [0.5e-6, 0.0, 0.0]  # over a groove
    previous = None
    print(f"SiC grating D = 1 um, f = 0.5, h = 0.5 um, omega = {omega:.4g} rad/s, z = 1 um, r12 = 250 nm along x")
    for tol in tols:
        body = Grating("sic", 1e-6, 0.5, 0.5e-6, orders=orders, tol=tol)
        t0 = time.perf_counter()
        first = body.pair_block(omega, r1, r2)
        t_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        body.pair_block(omega, s1, s2)
        t_next = time.perf_counter() - t0
        acc = body.last_accuracy
        change = (
            ""
            if previous is None
            else f", change vs previous tol {max(np.abs(a - b).max() for a, b in zip(first, previous)):.2e}"
        )
        print(
            f"tol {tol:g}: orders {body.last_orders}, {acc['k_points']} k points, first {t_first:.1f} s, "
            f"further position {t_next:.3f} s ({100 * t_next / t_first:.2f} %){change}"
        )
        W, M, _ = first
        print(
            f"  alpha_W^11 zz {W[0, 0, 0, 2, 2].real:.6f}, alpha_M^11 zz {M[0, 0, 0, 2, 2].real:.6f}, "
            f"alpha_M^12 zz {M[0, 0, 1, 2, 2].real:.6f} [Gamma0]"
        )
        previous = first


if __name__ == "__main__":
    n = None if len(sys.argv) < 2 or sys.argv[1] == "auto" else int(sys.argv[1])
    main(n, tuple(float(t) for t in sys.argv[2:]) or (1e-3, 1e-4))
