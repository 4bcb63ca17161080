# Stage (c): steady states (one batched master.steady_state call over the whole
# grid) and their concurrence.


rule steady:
    input:
        f"{RESULTS}/rates/{{scan}}.nc",
    output:
        f"{RESULTS}/steady/{{scan}}.nc",
    log:
        f"{RESULTS}/logs/steady/{{scan}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/steady_{{scan}}.tsv"
    conda:
        ENV
    params:
        config=stage_params("steady"),
    shell:
        "python -m neqent.pipeline.stages steady --config {params.config:q} --scan {wildcards.scan}"
        " --input {input:q} --output {output:q} > {log:q} 2>&1"
