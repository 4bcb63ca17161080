# Stage (b): rates Gamma(+w), Gamma(-w) over (axes..., T_M) by broadcasting the
# kernels against n(omega, T) -- alpha is never recomputed per temperature.
# Streamed in blocks under scale.memory_budget; a scan with store.rates = compact
# (default above scale.large_scan_points) keeps only what the rates are broadcast
# from, and the steady stage rebuilds them block by block (same bits).


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
