# Stage (d): C(t) at the maximum of the fig4a map for |A>, |S> and the thermal
# state at T_W (fig4b), up to well past the slowest relaxation.


rule dynamics:
    input:
        rates=f"{RESULTS}/rates/map.nc",
        steady=f"{RESULTS}/steady/map.nc",
    output:
        f"{RESULTS}/dynamics/fig4b.nc",
    log:
        f"{RESULTS}/logs/dynamics/fig4b.log",
    benchmark:
        f"{RESULTS}/benchmarks/dynamics_fig4b.tsv"
    conda:
        ENV
    params:
        config=stage_params("dynamics"),
    shell:
        "python -m neqent.pipeline.stages dynamics --config {params.config:q}"
        " --input {input.rates:q} {input.steady:q} --output {output:q} > {log:q} 2>&1"
