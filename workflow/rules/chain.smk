# Extra 'chain' (docs/theory.md §10): N qubits in a row, steady pairwise
# concurrence over spacing x T_M, and its figure. Params carry only the config
# subset the stage reads (neqent.pipeline.chain.chain_config), so other config
# changes do not rerun it.
import json

from neqent.pipeline.chain import chain_config


rule chain:
    output:
        f"{RESULTS}/chain/chain.nc",
    log:
        f"{RESULTS}/logs/chain/chain.log",
    benchmark:
        f"{RESULTS}/benchmarks/chain.tsv"
    conda:
        ENV
    params:
        config=json.dumps(chain_config(config), sort_keys=True),
    shell:
        "python -m neqent.pipeline.chain --config {params.config:q} --output {output:q}"
        " --no-progress > {log:q} 2>&1"


rule figure_chain:
    input:
        f"{RESULTS}/chain/chain.nc",
    output:
        png=report(
            f"{RESULTS}/figures/chain.png",
            caption=figure_caption("chain"),
            category="Extras",
            labels=figure_labels("chain"),
        ),
        pdf=f"{RESULTS}/figures/chain.pdf",
    log:
        f"{RESULTS}/logs/figures/chain.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_chain.tsv"
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    shell:
        "python -m neqent.pipeline.plot_chain --input {input:q} --output {output.png:q}"
        " --dpi {params.dpi} > {log:q} 2>&1"
