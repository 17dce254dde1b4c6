"""Context around the results: what was run, what it cost, the prompts, the corpus card, and the
original study's numbers.

* `run_overview`, `differing_settings` / `shared_settings`: the "what was run" appendix, read from
  the runs table and each run folder's `config.toml` / `env.json` (never typed by hand); only keys
  whose values differ between folders are listed per folder, so the table stays narrow.
* `cost_frame`: training seconds (`training.json`, else the losses table), generation seconds
  (completions) and scoring CPU seconds (samples) per model.
* `prompts_html`: the rendered prompts verbatim, one example problem per benchmark and style.
* `corpus_card_table`: Deep vs Diverse statistics written by the synth stage.
* `ORIGINAL_STUDY` + `reported_frame`: the ONLY hand-typed numbers in `analysis/` -- the
  original study's own reported Pass@1 counts, shown with our Wilson intervals and labelled
  "reported, not reproduced".

Does not cover: any statistic of our own runs (see `scores`).
"""

from __future__ import annotations

import html
import json

import polars as pl
from great_tables import GT

from analysis.scores import benchmark_order, model_order
from codegen_study.metrics import mcnemar_exact, mcnemar_min_discordant, wilson_interval

# ---------------------------------------------------------------------------------------
# REPORTED NUMBERS OF THE ORIGINAL STUDY -- the only hand-typed results in this package.
# Source: the original Deep-vs-Diverse LoRA study's README (github.com/naholav/CodeGen):
# Qwen/Qwen2.5-Coder-1.5B-Instruct, 41 LiveCodeBench AtCoder
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
    """Per model: arm, training seed, steps, prompts, decodings and number of scoring runs."""
    if runs.height == 0:
        return pl.DataFrame(schema={"model": pl.Utf8})
    out = runs.group_by("model").agg(
        arm=pl.col("arm").drop_nulls().first(), seed=pl.col("train_seed").drop_nulls().first(),
        steps=pl.col("step").unique().sort().cast(pl.Utf8).str.join(", "), runs=pl.len(),
        **{c: pl.col(c).cast(pl.Utf8).drop_nulls().unique().sort().str.join(", ")
           for c in ("benchmark", "prompt", "decoding")},
    )
    order = {m: i for i, m in enumerate(model_order(out["model"].to_list()))}
    return out.sort(pl.col("model").replace_strict(order, default=99))


def run_overview_table(frame: pl.DataFrame) -> GT:
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["no scoring runs in this store"]}))
    return GT(frame, rowname_col="model").cols_label(runs="scoring runs").tab_options(table_font_size="13px")


def stand_in_models(configs: dict[str, dict]) -> str:
    """The evaluated model(s) as named in the run folders' configs (`model.name_or_path`)."""
    names = sorted({cfg.get("model", {}).get("name_or_path") for cfg in configs.values()} - {None})
    return describe([f"`{n}`" for n in names], "a model not recorded in the run configs")


def shared_run_facts(runs: pl.DataFrame) -> str:
    """Graders, extractions, tests used and sandbox protections, said once for every run."""
    if runs.height == 0:
        return "No scoring runs were found."
    def values(col):
        return describe(sorted(set(runs[col].drop_nulls().cast(pl.Utf8).to_list())))
    return (f"Graders: {values('grader')}; extraction policies: {values('extraction')}; tests used: "
            f"{values('tests_used')}; sandbox protections: {values('protections')}.")


def reported_power_sentence(original: dict = ORIGINAL_STUDY, alpha: float = 0.05) -> str:
    """What a paired test could say about the original study's largest reported gap, at best."""
    n, readme = original["problems"], original["readme"]
    gap = max(readme.values()) - min(readme.values())
    low, high = min(readme, key=readme.get), max(readme, key=readme.get)
    return (f"The README's widest gap, {high} over {low}, is {gap} problems of {n}. Even if those were the only "
            f"problems on which the two models disagreed, all in {high}'s favour, the exact McNemar p-value would "
            f"be {mcnemar_exact(0, gap):.3g}; at α = {alpha:g} a paired test needs at least "
            f"{mcnemar_min_discordant(alpha)} such problems.")


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


def differing_settings(frame: pl.DataFrame) -> pl.DataFrame:
    """Keys whose value differs between folders, as (setting, value, folders) rows: narrow at any size."""
    schema = {"setting": pl.Utf8, "value": pl.Utf8, "folders": pl.Utf8}
    folders = [c for c in frame.columns if c != "setting"]
    rows = []
    for r in frame.iter_rows(named=True):
        values = {f: r[f] for f in folders}
        if len(set(values.values())) > 1:
            for value in sorted(set(values.values())):
                rows.append(dict(setting=r["setting"], value=value or "(not set)",
                                 folders=", ".join(model_order([f for f in folders if values[f] == value]))))
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def shared_settings(frame: pl.DataFrame) -> pl.DataFrame:
    """Keys with one value in every folder, as (setting, value) rows."""
    folders = [c for c in frame.columns if c != "setting"]
    if not folders:
        return pl.DataFrame(schema={"setting": pl.Utf8, "value": pl.Utf8})
    same = frame.filter(pl.all_horizontal(pl.col(f) == pl.col(folders[0]) for f in folders))
    return same.select("setting", value=pl.col(folders[0]))


def settings_table(frame: pl.DataFrame, note: str) -> GT:
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["no run folder holds this file, or no setting differs"]}))
    gt = GT(frame, rowname_col="setting") if "folders" not in frame.columns else GT(frame, groupname_col="setting")
    return (gt.tab_source_note(note).tab_options(table_font_size="12px")
            .tab_style(style=_wrap_style(), locations=_body()))


def _wrap_style():
    from great_tables import style

    return style.css("white-space: normal; word-break: break-word; max-width: 520px")


def _body():
    from great_tables import loc

    return loc.body()


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


COST_SCHEMA = {"model": pl.Utf8, "training_s": pl.Float64, "generation_greedy_s": pl.Float64,
               "generation_sampled_s": pl.Float64, "answers": pl.Int64, "scoring_cpu_s": pl.Float64,
               "scored": pl.Int64}


def cost_frame(runs: pl.DataFrame, completions: pl.DataFrame, samples: pl.DataFrame, losses: pl.DataFrame,
               training: dict[str, dict]) -> pl.DataFrame:
    """Seconds per model: training (training.json, else the last loss row), generation by decoding
    (sum of per-completion seconds), and scoring CPU (sum of per-sample seconds); plus a total row."""
    generated = completions["model"].drop_nulls().to_list() if "model" in completions.columns else []
    models = model_order(runs["model"].drop_nulls().to_list() + generated)
    rows = []
    for m in models:
        t = training.get(m, {}).get("seconds")
        if t is None and losses.height:
            lm = losses.filter(pl.col("model") == m)["seconds"].drop_nulls()
            t = float(lm.max()) if lm.len() else None
        c = completions.filter(pl.col("model") == m) if completions.height else completions
        greedy = c.filter(pl.col("decoding") == "greedy")["seconds"].sum() if c.height else None
        sampled = c.filter(pl.col("decoding") != "greedy")["seconds"].sum() if c.height else None
        scored = samples.join(runs.filter(pl.col("model") == m).select("run_id"), on="run_id", how="semi")
        rows.append(dict(model=m, training_s=t, generation_greedy_s=greedy, generation_sampled_s=sampled,
                         answers=c.height if c.height else None, scoring_cpu_s=scored["seconds"].sum() if scored.height
                         else None, scored=scored.height))
    df = pl.DataFrame(rows, schema=COST_SCHEMA, orient="row") if rows else pl.DataFrame(schema=COST_SCHEMA)
    if df.height:
        total = {c: (df[c].sum() if df[c].null_count() < df.height else None) for c in COST_SCHEMA if c != "model"}
        df = pl.concat([df, pl.DataFrame([{"model": "total", **total}], schema=COST_SCHEMA, orient="row")])
    return df


def cost_table(frame: pl.DataFrame) -> GT:
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["no runs in this store"]}))
    return (GT(frame, rowname_col="model")
            .fmt_number(columns=["training_s", "generation_greedy_s", "generation_sampled_s", "scoring_cpu_s"],
                        decimals=1)
            .sub_missing(missing_text="not recorded")
            .cols_label(training_s="training (s)", generation_greedy_s="generation, greedy (s)",
                        generation_sampled_s="generation, sampled (s)", answers="answers generated",
                        scoring_cpu_s="scoring CPU (s)", scored="samples scored")
            .tab_source_note("Training: seconds in the run folder's training.json (else the last loss row). "
                             "Generation: sum of the completions' seconds (each completion's share of its batch). "
                             "Scoring: sum of the samples' sandbox CPU seconds over every grading profile.")
            .tab_options(table_font_size="13px"))


def prompts_html(prompts: pl.DataFrame) -> str:
    """Each benchmark's example prompt under every style, verbatim, in wrapped <pre> blocks."""
    if prompts.height == 0:
        return "<p><em>Not stored: this store has no prompts table.</em></p>"
    parts = []
    for bench in benchmark_order(prompts["benchmark"].to_list()):
        sub = prompts.filter(pl.col("benchmark") == bench).sort("prompt", descending=True)
        for r in sub.iter_rows(named=True):
            parts.append(f"<p><b>{html.escape(bench)}</b>, prompt <code>{html.escape(r['prompt'])}</code> "
                         f"(problem <code>{html.escape(r['question_id'])}</code>):</p>"
                         f'<pre style="white-space:pre-wrap;word-break:break-word;font-size:0.8em">'
                         f"{html.escape(r['text'])}</pre>")
    return "\n".join(parts)
