# Stage (c): steady states and their concurrence, streamed in blocks under the
# memory budget (scale.memory_budget). With scale.shards / scans.<scan>.shards = n > 1
# the blocks are split over n steady_shard jobs (SLURM runs them as separate jobs)
# and the steady rule gathers them into the scan's one file; the result is
# bit-identical for any n, and a rerun only recomputes unfinished shards.
rule steady_shard:
    input:
        f"{RESULTS}/rates/{{scan}}.nc",
    output:
        temp(f"{RESULTS}/steady/shards/{{scan}}/{{shard}}of{{nshards}}.nc"),
    log:
        f"{RESULTS}/logs/steady/{{scan}}.shard{{shard}}of{{nshards}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/steady_{{scan}}_shard{{shard}}of{{nshards}}.tsv"
    wildcard_constraints:
        shard=r"\d+",
        nshards=r"\d+",
    conda:
        ENV
    params:
        config=stage_params("steady"),
    shell:
        "python -m neqent.pipeline.stages steady --config {params.config:q} --scan {wildcards.scan}"
        " --shard {wildcards.shard}/{wildcards.nshards} --input {input:q} --output {output:q} > {log:q} 2>&1"


rule steady:
    input:
        steady_input,
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
