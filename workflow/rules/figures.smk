# Stage (e): figures (PNG + PDF) from the datasets, via python -m neqent.pipeline.plotting.


rule figure_analytic:
    input:
        f"{RESULTS}/analytic/fig3.nc",
    output:
        png=f"{RESULTS}/figures/{{fig}}.png",
        pdf=f"{RESULTS}/figures/{{fig}}.pdf",
    log:
        f"{RESULTS}/logs/figures/{{fig}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_{{fig}}.tsv"
    wildcard_constraints:
        fig="fig3a|fig3b|effective_temperatures",
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    shell:
        "python -m neqent.pipeline.plotting {wildcards.fig} --input {input:q} --output {output.png:q}"
        " --dpi {params.dpi} 2> {log:q}"


rule figure_fig4a:
    input:
        f"{RESULTS}/steady/map.nc",
    output:
        png=f"{RESULTS}/figures/fig4a.png",
        pdf=f"{RESULTS}/figures/fig4a.pdf",
    log:
        f"{RESULTS}/logs/figures/fig4a.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_fig4a.tsv"
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    shell:
        "python -m neqent.pipeline.plotting fig4a --input {input:q} --output {output.png:q}"
        " --dpi {params.dpi} 2> {log:q}"


rule figure_fig4b:
    input:
        f"{RESULTS}/dynamics/fig4b.nc",
    output:
        png=f"{RESULTS}/figures/fig4b.png",
        pdf=f"{RESULTS}/figures/fig4b.pdf",
    log:
        f"{RESULTS}/logs/figures/fig4b.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_fig4b.tsv"
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    shell:
        "python -m neqent.pipeline.plotting fig4b --input {input:q} --output {output.png:q}"
        " --dpi {params.dpi} 2> {log:q}"


rule figure_scan:
    input:
        f"{RESULTS}/steady/{{scan}}.nc",
    output:
        png=f"{RESULTS}/figures/scan_{{scan}}.png",
        pdf=f"{RESULTS}/figures/scan_{{scan}}.pdf",
    log:
        f"{RESULTS}/logs/figures/scan_{{scan}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_scan_{{scan}}.tsv"
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    shell:
        "python -m neqent.pipeline.plotting scan --input {input:q} --output {output.png:q}"
        " --dpi {params.dpi} 2> {log:q}"


rule figure_kernels:
    input:
        f"{RESULTS}/kernels/{{scan}}.nc",
    output:
        png=f"{RESULTS}/figures/kernels_{{scan}}.png",
        pdf=f"{RESULTS}/figures/kernels_{{scan}}.pdf",
    log:
        f"{RESULTS}/logs/figures/kernels_{{scan}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_kernels_{{scan}}.tsv"
    conda:
        ENV
    params:
        dpi=config["figures"]["dpi"],
    shell:
        "python -m neqent.pipeline.plotting alpha --input {input:q} --output {output.png:q}"
        " --dpi {params.dpi} 2> {log:q}"
