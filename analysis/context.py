"""Context around the results: what was run, the corpus card, and the original study's numbers.

* `run_overview` / `recipe_table` / `environment_table`: the "what was run" section, read
  from the runs table and each run folder's `config.toml` / `env.json` (never typed by hand).
* `corpus_card_table`: Deep vs Diverse statistics written by the synth stage.
* `ORIGINAL_STUDY` + `reported_frame`: the ONLY hand-typed numbers in `analysis/` -- the
  original study's own reported Pass@1 counts, shown with our Wilson intervals and labelled
  "reported, not reproduced".

Does not cover: any statistic of our own runs (see `scores`).
"""

from __future__ import annotations

import json

import polars as pl
from great_tables import GT

from analysis.scores import benchmark_order, model_order
from codegen_study.metrics import wilson_interval

# ---------------------------------------------------------------------------------------
# REPORTED NUMBERS OF THE ORIGINAL STUDY -- the only hand-typed results in this package.
# Source: the original Deep-vs-Diverse LoRA study's README (github.com/naholav/CodeGen, as
# quoted in this project's issue 6): Qwen/Qwen2.5-Coder-1.5B-Instruct, 41 LiveCodeBench AtCoder
# easy problems (2024-08 .. 2025-02), public tests only, greedy Pass@1: base 8/41, deep 10/41,
# diverse 12/41. Its own hand-written .docx report table gave 12 and 14 instead (read here as
# deep and diverse: the two fine-tuned models); the two documents disagree, which is why our
# report computes every number from stored verdicts.
# ---------------------------------------------------------------------------------------
ORIGINAL_STUDY = {
    "model": "Qwen/Qwen2.5-Coder-1.5B-Instruct",
    "benchmark": "41 LiveCodeBench AtCoder easy problems (public tests only)",
    "problems": 41,
    "readme": {"base": 8, "deep": 10, "diverse": 12},
    "report_table": {"deep": 12, "diverse": 14},
}


def reported_frame(original: dict = ORIGINAL_STUDY) -> pl.DataFrame:
    """The original study's counts as rows (source, model, k, n, Pass@1, Wilson interval)."""
    n = original["problems"]
    rows = []
    for source, label in (("readme", "README"), ("report_table", "report table (.docx)")):
        for model, k in original[source].items():
            lo, hi = wilson_interval(k, n)
            rows.append(dict(source=label, model=model, solved=k, problems=n, pass1=k / n, lo=lo, hi=hi))
    return pl.DataFrame(rows)


def reported_table(frame: pl.DataFrame) -> GT:
    return (GT(frame, rowname_col="model", groupname_col="source")
            .fmt_percent(columns=["pass1", "lo", "hi"], decimals=1)
            .cols_label(solved="k", problems="n", pass1="Pass@1", lo="95% low", hi="95% high")
            .tab_header(title="Reported, not reproduced",
                        subtitle=f"{ORIGINAL_STUDY['model']}; {ORIGINAL_STUDY['benchmark']}")
            .tab_source_note("Counts as published by the original study; intervals are ours (Wilson 95%)."))


def run_overview(runs: pl.DataFrame) -> pl.DataFrame:
    """Per model: adapter, steps, benchmarks, decodings, graders, extractions, tests used, sandbox."""
    if runs.height == 0:
        return pl.DataFrame(schema={"model": pl.Utf8})

    out = runs.group_by("model").agg(
        folders=pl.col("folder").drop_nulls().unique().sort().str.join(", "),
        steps=pl.col("step").unique().sort().cast(pl.Utf8).str.join(", "),
        runs=pl.len(),
        **{c: pl.col(c).cast(pl.Utf8).drop_nulls().unique().sort().str.join(", ")
           for c in ("benchmark", "decoding", "grader", "extraction", "tests_used", "protections")},
    )
    order = {m: i for i, m in enumerate(model_order(out["model"].to_list()))}
    return out.sort(pl.col("model").replace_strict(order, default=99))


def run_overview_table(frame: pl.DataFrame) -> GT:
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["no scoring runs in this store"]}))
    return GT(frame, rowname_col="model")


def reported_overlap_sentence(frame: pl.DataFrame) -> str:
    """Whether the README's lowest and highest reported models have overlapping intervals."""
    readme = frame.filter(pl.col("source") == "README").sort("solved")
    low, high = readme.row(0, named=True), readme.row(-1, named=True)
    overlap = low["hi"] >= high["lo"]
    return (f"With our Wilson intervals, the README's lowest ({low['model']}) and highest ({high['model']}) "
            f"models {'overlap' if overlap else 'do not overlap'}: "
            f"[{100 * low['lo']:.1f}, {100 * low['hi']:.1f}] vs [{100 * high['lo']:.1f}, {100 * high['hi']:.1f}] percent.")


def flatten(obj: dict, prefix: str = "") -> dict[str, str]:
    """Nested TOML/JSON as dotted keys -> text values (lists as JSON)."""
    out = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value if isinstance(value, str) else json.dumps(value)
    return out


def settings_frame(per_folder: dict[str, dict]) -> pl.DataFrame:
    """Dotted setting keys as rows, run folders as columns (missing = empty)."""
    flat = {folder: flatten(cfg) for folder, cfg in sorted(per_folder.items())}
    keys = sorted({k for f in flat.values() for k in f})
    return pl.DataFrame({"setting": keys, **{folder: [f.get(k, "") for k in keys] for folder, f in flat.items()}},
                        schema={"setting": pl.Utf8, **{folder: pl.Utf8 for folder in flat}})


def settings_table(frame: pl.DataFrame, note: str) -> GT:
    if frame.width <= 1:
        return GT(pl.DataFrame({"note": ["no run folder holds this file"]}))
    return GT(frame, rowname_col="setting").tab_source_note(note)


def corpus_card_table(card: pl.DataFrame) -> GT:
    """Deep vs Diverse corpus statistics (one column per corpus)."""
    if card.height == 0:
        return GT(pl.DataFrame({"note": ["no corpus card (data/corpus/card.*) in this store"]}))
    wide = card.pivot(on="corpus", index="metric", values="value", aggregate_function="first")
    return GT(wide, rowname_col="metric").tab_source_note("Written by `codegen-study synth`.")


def describe(values, none: str = "not run") -> str:
    """Comma-separated list for prose, or `none`."""
    values = [str(v) for v in values if v is not None]
    return ", ".join(values) if values else none


def benchmarks_run(runs: pl.DataFrame) -> list[str]:
    return benchmark_order(runs["benchmark"].drop_nulls().to_list())
