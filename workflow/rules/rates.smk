# Stage (b): rates Gamma(+w), Gamma(-w) over (axes..., T_M) by broadcasting the
# kernels against n(omega, T) -- alpha is never recomputed per temperature.


rule rates:
    input:
        f"{RESULTS}/kernels/{{scan}}.nc",
    output:
        f"{RESULTS}/rates/{{scan}}.nc",
    log:
        f"{RESULTS}/logs/rates/{{scan}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/rates_{{scan}}.tsv"
    conda:
        ENV
    params:
        config=stage_params("rates"),
    shell:
        "python -m neqent.pipeline.stages rates --config {params.config:q} --scan {wildcards.scan}"
        " --input {input:q} --output {output:q} > {log:q} 2>&1"
