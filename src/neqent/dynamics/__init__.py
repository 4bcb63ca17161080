"""Open-system dynamics of the qubits: rates, master equation, entanglement, analytic case.

Uses :mod:`neqent.electrodynamics` for the kernels; never the pipeline or the interface.

* :mod:`~neqent.dynamics.rates` -- Gamma(+-omega), Lambda, effective temperatures.
* :mod:`~neqent.dynamics.master` -- Liouvillian, steady states, time evolution.
* :mod:`~neqent.dynamics.entanglement` -- concurrence and logarithmic negativity.
* :mod:`~neqent.dynamics.analytic` -- the symmetric special case in closed form.
* :mod:`~neqent.dynamics.many_rates`, :mod:`~neqent.dynamics.many_body`,
  :mod:`~neqent.dynamics.many_entanglement` -- N qubits (docs/theory.md §10).
"""
