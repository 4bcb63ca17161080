# Extra 'gratings' (docs/theory.md §12, docs/pipeline.md): steady C of two qubits above a
# lamellar grating over their lateral position x, height z and T_M, beside the film.
# The k rule of each grating is cut into independent parts: gratings_part shard i of n
# (config gratings.shards) computes the parts j with j % n == i for every position at once,
# launched like the kernels stage ({resources.mpi} -n {resources.tasks}: the ranks share
# each batch of k points); gratings_data sums every part in part order (bit-identical for
# any shard or rank count), then rates, steady C and the film. With one shard the data job
# computes everything itself (one job, no temporary file). Params carry only the subset
# each step reads: the shards do not see T_W, theta or the T_M grid (their files are temporary,
# though, so a rerun of the gather recomputes them, as for steady_shard); the rank count is a
# resource, not a param, so changing it reruns nothing (the shard count changes the jobs).
import json

from neqent.pipeline.extras.gratings import gratings_params, part_params

GRATING_SHARDS = config["gratings"]["shards"]
GRATING_PARAMS = gratings_params(config)
# MPI resources as the kernels stage declares them (not params: the results do not depend on them;
# mpi.tasks 'auto': every core the job gets, scale.smk mpi_threads/mpi_tasks)
GRATING_MPI = {"mpi": "mpiexec", "tasks": mpi_tasks}
# the shard files gratings_data gathers (none with one shard: it computes everything itself)
GRATING_SHARD_FILES = (
    []
    if GRATING_SHARDS == 1
    else [
        f"{RESULTS}/gratings/parts/{i}of{GRATING_SHARDS}.npz"
        for i in range(GRATING_SHARDS)
    ]
)


rule gratings_part:
    output:
        temp(f"{RESULTS}/gratings/parts/{{shard}}of{{shards}}.npz"),
    log:
        f"{RESULTS}/logs/gratings/part_{{shard}}of{{shards}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/gratings_part_{{shard}}of{{shards}}.tsv"
    wildcard_constraints:
        shard=r"\d+",
        shards=r"\d+",
    conda:
        ENV
    threads: mpi_threads
    resources:
        **GRATING_MPI,
    params:
        config=json.dumps(part_params(GRATING_PARAMS), sort_keys=True),
    shell:
        "{resources.mpi} -n {resources.tasks} python -m neqent.pipeline.gratings_shards part --config {params.config:q}"
        " --shard {wildcards.shard}/{wildcards.shards} --output {output:q} --no-progress > {log:q} 2>&1"


rule gratings_data:
    input:
        GRATING_SHARD_FILES,
    output:
        f"{RESULTS}/gratings/gratings.nc",
    log:
        f"{RESULTS}/logs/gratings/gratings_data.log",
    benchmark:
        f"{RESULTS}/benchmarks/gratings_data.tsv"
    conda:
        ENV
    threads: mpi_threads if GRATING_SHARDS == 1 else 1
    resources:
        **(GRATING_MPI if GRATING_SHARDS == 1 else {}),
    params:
        config=json.dumps(GRATING_PARAMS, sort_keys=True),
    shell:
        (
            "{resources.mpi} -n {resources.tasks} python -m neqent.pipeline.extra gratings --config {params.config:q}"
            " --output {output:q} --no-progress > {log:q} 2>&1"
            if GRATING_SHARDS == 1
            else "python -m neqent.pipeline.gratings_shards gather --config {params.config:q}"
            " --parts {input:q} --output {output:q} > {log:q} 2>&1"
        )


rule figure_gratings:
    input:
        f"{RESULTS}/gratings/gratings.nc",
    output:
        png=report(
            f"{RESULTS}/figures/gratings.png",
            caption=figure_caption("gratings"),
            category="Extras",
            labels=figure_labels("gratings"),
        ),
        pdf=f"{RESULTS}/figures/gratings.pdf",
    log:
        f"{RESULTS}/logs/figures/gratings.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_gratings.tsv"
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    shell:
        "python -m neqent.pipeline.plotting gratings --input {input:q} --output {output.png:q}"
        " --dpi {params.dpi} > {log:q} 2>&1"
