# The extras registered with rules="generic" (src/neqent/pipeline/extras/, e.g. 'stacks'):
# for each, <name>_data computes results/<name>/<name>.nc from the extra's config subset
# (python -m neqent.pipeline.extra; params carry only that subset, so other config
# changes do not rerun it) and figure_<figure> draws each of its figures from it
# (python -m neqent.pipeline.plotting). A new extra needs no rule of its own.
# An extra with mpi=True (e.g. 'design') is launched like the kernels stage:
# {resources.mpi} -n {resources.tasks} (config mpi.tasks ranks, 'auto': the job's
# threads, every core of --cores; the record does not depend on the rank count, so
# changing it reruns nothing).
import json

from neqent.pipeline.extras import EXTRAS

GENERIC_EXTRAS = [extra for extra in EXTRAS.values() if extra.rules == "generic"]

for _extra in GENERIC_EXTRAS:

    rule:
        name:
            f"{_extra.name}_data"
        output:
            f"{RESULTS}/{_extra.name}/{_extra.name}.nc",
        log:
            f"{RESULTS}/logs/{_extra.name}/{_extra.name}_data.log",
        benchmark:
            f"{RESULTS}/benchmarks/{_extra.name}_data.tsv"
        conda:
            ENV
        threads: mpi_threads if _extra.mpi else 1
        # only an MPI extra declares the mpi/tasks resources: the SLURM executor treats any rule
        # with an 'mpi' resource as an MPI job and refuses one with a single task
        resources:
            **({"mpi": "mpiexec", "tasks": mpi_tasks} if _extra.mpi else {}),
        params:
            extra=_extra.name,
            config=json.dumps(_extra.subset(config), sort_keys=True),
        shell:
            ("{resources.mpi} -n {resources.tasks} " if _extra.mpi else "")
            + "python -m neqent.pipeline.extra {params.extra} --config {params.config:q} --output {output:q}"
            " --no-progress > {log:q} 2>&1"

    for _figure in _extra.figures:

        rule:
            name:
                f"figure_{_figure}"
            input:
                f"{RESULTS}/{_extra.name}/{_extra.name}.nc",
            output:
                png=report(
                    f"{RESULTS}/figures/{_figure}.png",
                    caption=figure_caption(_figure),
                    category="Extras",
                    labels=figure_labels(_figure),
                ),
                pdf=f"{RESULTS}/figures/{_figure}.pdf",
            log:
                f"{RESULTS}/logs/figures/{_figure}.log",
            benchmark:
                f"{RESULTS}/benchmarks/figure_{_figure}.tsv"
            conda:
                ENV
            params:
                figure=_figure,
                dpi=config["figures"]["dpi"],
            shell:
                "python -m neqent.pipeline.plotting {params.figure} --input {input:q} --output {output.png:q}"
                " --dpi {params.dpi} > {log:q} 2>&1"
