# Stage (a): temperature-independent kernels alpha_W, alpha_M, Lambda over a
# scan's geometry/frequency grid, under MPI. Ranks split the grid in fixed
# chunks, rank 0 gathers in grid order (bit-identical for any rank count).
# Resources: mpi = launcher ("mpiexec" locally, "srun" in profiles/slurm),
# tasks = number of ranks (config mpi.tasks unless set by a profile; 'auto', the
# default: the job's threads, i.e. every core of --cores; scale.smk mpi_tasks),
# chunk = grid points per work unit (config mpi.chunk).


rule kernels:
    output:
        f"{RESULTS}/kernels/{{scan}}.nc",
    log:
        f"{RESULTS}/logs/kernels/{{scan}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/kernels_{{scan}}.tsv"
    conda:
        ENV
    threads: mpi_threads
    resources:
        mpi="mpiexec",
        tasks=mpi_tasks,
        # grid points per work unit: a resource, not a param, because the
        # results do not depend on it (nor on tasks), so changing it reruns nothing
        chunk=config["mpi"]["chunk"],
    params:
        config=stage_params("kernels"),
    shell:
        "{resources.mpi} -n {resources.tasks} python -m neqent.pipeline.stages kernels"
        " --config {params.config:q} --scan {wildcards.scan} --chunk {resources.chunk} --output {output:q} > {log:q} 2>&1"
