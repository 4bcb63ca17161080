# Extra 'stacks' (listed in config extras): steady C(z2, T_M) maps of planar stacks
# (docs/theory.md §9) and their figure, via python -m neqent.pipeline.stacks.
from neqent.pipeline.stacks import stack_params


rule stacks_data:
    output:
        f"{RESULTS}/stacks/stacks.nc",
    log:
        f"{RESULTS}/logs/stacks/stacks_data.log",
    benchmark:
        f"{RESULTS}/benchmarks/stacks_data.tsv"
    conda:
        ENV
    params:
        stacks=json.dumps(stack_params(config), sort_keys=True),
    shell:
        "python -m neqent.pipeline.stacks data --params {params.stacks:q} --output {output:q} --no-progress"
        " > {log:q} 2>&1"


rule figure_stacks:
    input:
        f"{RESULTS}/stacks/stacks.nc",
    output:
        png=report(
            f"{RESULTS}/figures/stacks.png",
            caption=figure_caption("stacks"),
            category="Extras",
            labels=figure_labels("stacks"),
        ),
        pdf=f"{RESULTS}/figures/stacks.pdf",
    log:
        f"{RESULTS}/logs/figures/stacks.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_stacks.tsv"
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    shell:
        "python -m neqent.pipeline.stacks figure --input {input:q} --output {output.png:q} --dpi {params.dpi}"
        " > {log:q} 2>&1"
