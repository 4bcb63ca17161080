"""Electrodynamics of the body: permittivities, slab optics, rate kernels and Green tensors.

The bottom layer of the physics: it knows nothing about qubits' states.

* :mod:`~neqent.electrodynamics.materials` -- permittivity models eps(omega).
* :mod:`~neqent.electrodynamics.fresnel` -- reflection/transmission of the body.
* :mod:`~neqent.electrodynamics.kernels` -- numba quadrature of alpha_W, alpha_M, G_R (slab API);
  its parts :mod:`~neqent.electrodynamics.quadrature`, :mod:`~neqent.electrodynamics.panels`,
  :mod:`~neqent.electrodynamics.slab_poles` and :mod:`~neqent.electrodynamics.stack_kernels`.
* :mod:`~neqent.electrodynamics.body`, :mod:`~neqent.electrodynamics.planar` -- the one Body interface; Slab, Stack.
* :mod:`~neqent.electrodynamics.green` -- the vacuum Green tensor.
* :mod:`~neqent.electrodynamics.sphere` -- a sphere as a body (exact Mie solution);
  :mod:`~neqent.electrodynamics.mie` its scaled coefficients and multipole sums.
* :mod:`~neqent.electrodynamics.grating` -- a lamellar grating as a body (FMM of :mod:`~neqent.electrodynamics.fmm`
  on the adaptive k rule, one table per frequency, contracted per position).
* :mod:`~neqent.electrodynamics.grating_kernels` -- mode sums of a periodic body from tabulated R(k), T(k).
* :mod:`~neqent.electrodynamics.grating_quadrature` -- the adaptive Brillouin-zone x ky rule that tabulates them.
* :mod:`~neqent.electrodynamics.grating_planar` -- planar operators with a fictitious period (the exact reference).
"""
