# Extra 'optimize': the named searches of config['optimize'] (largest steady
# concurrence over parameter ranges), one NetCDF record each, and one figure
# (a row per search: convergence history and 1-D cuts through the optimum).

from neqent.pipeline.optimize import search_subset

SEARCHES = sorted(config["optimize"]) if "optimize" in config["extras"] else []


rule optimize:
    output:
        f"{RESULTS}/optimize/{{search}}.nc",
    log:
        f"{RESULTS}/logs/optimize/{{search}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/optimize_{{search}}.tsv"
    wildcard_constraints:
        search="|".join(SEARCHES) or "^$",
    conda:
        ENV
    params:
        config=lambda wildcards: json.dumps(
            search_subset(config, wildcards.search), sort_keys=True
        ),
    shell:
        "python -m neqent.pipeline.optimize --config {params.config:q} --search {wildcards.search}"
        " --output {output:q} --no-progress > {log:q} 2>&1"


rule figure_optimize:
    input:
        expand(f"{RESULTS}/optimize/{{search}}.nc", search=SEARCHES),
    output:
        png=report(
            f"{RESULTS}/figures/optimize.png",
            caption=figure_caption("optimize"),
            category="Extras",
            labels=figure_labels("optimize"),
        ),
        pdf=f"{RESULTS}/figures/optimize.pdf",
    log:
        f"{RESULTS}/logs/figures/optimize.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_optimize.tsv"
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    shell:
        "python -m neqent.pipeline.plotting optimize --input {input:q} --output {output.png:q}"
        " --dpi {params.dpi} > {log:q} 2>&1"
