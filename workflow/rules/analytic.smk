# fig3a/fig3b data: the analytic symmetric case at z2 = z1 of the map scan
# (ratio Gamma_A/Gamma_S, (n_S, n_A) trajectory versus T_M, max C versus ratio)
# and the effective temperatures T_A, T_S along z2 = z1.


rule analytic:
    input:
        kernels=f"{RESULTS}/kernels/map.nc",
        rates=f"{RESULTS}/rates/map.nc",
        steady=f"{RESULTS}/steady/map.nc",
    output:
        f"{RESULTS}/analytic/fig3.nc",
    log:
        f"{RESULTS}/logs/analytic/fig3.log",
    benchmark:
        f"{RESULTS}/benchmarks/analytic_fig3.tsv"
    conda:
        ENV
    params:
        config=stage_params("analytic"),
    shell:
        "python -m neqent.pipeline.stages analytic --config {params.config:q}"
        " --input {input.kernels:q} {input.rates:q} {input.steady:q} --output {output:q} > {log:q} 2>&1"
