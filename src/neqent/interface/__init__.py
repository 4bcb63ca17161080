"""User interfaces: the Python API (:mod:`~neqent.interface.api`), the ``neqent``
command (:mod:`~neqent.interface.cli`) and its unit parsing (:mod:`~neqent.interface.units`).

The top layer: it uses the pipeline and the physics, and nothing imports it.
"""
