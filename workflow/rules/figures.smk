# Stage (e): figures (PNG + PDF) from the datasets, via python -m neqent.pipeline.plotting.
# One rule definition for every figure (figure_sources() in common.smk): a rule
# per figure, generated in this loop, because each needs its own report caption
# (workflow/report/figures/<figure>.rst) and a caption cannot depend on a wildcard.
# Only figures.dpi reaches these jobs, so a figure option reruns figures only.

for _name, (_kind, _source) in figure_sources().items():

    rule:
        name:
            f"figure_{_name}"
        input:
            _source,
        output:
            png=report(
                f"{RESULTS}/figures/{_name}.png",
                caption=figure_caption(_name),
                category="Paper figures" if _name in PAPER_FIGURES else "Extras",
                labels=figure_labels(_name),
            ),
            pdf=f"{RESULTS}/figures/{_name}.pdf",
        log:
            f"{RESULTS}/logs/figures/{_name}.log",
        benchmark:
            f"{RESULTS}/benchmarks/figure_{_name}.tsv"
        conda:
            ENV
        params:
            figure=_kind,
            dpi=config["figures"]["dpi"],
        shell:
            "python -m neqent.pipeline.plotting {params.figure} --input {input:q} --output {output.png:q}"
            " --dpi {params.dpi} > {log:q} 2>&1"
