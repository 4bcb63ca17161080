"""The Snakemake pipeline's library side: config, stages, NetCDF I/O and figures.

Uses the physics (:mod:`neqent.electrodynamics`, :mod:`neqent.dynamics`);
never the interface. Contains no Snakemake code: the rules in
``workflow/rules`` call ``python -m neqent.pipeline.stages`` and
``python -m neqent.pipeline.plotting``.
"""
