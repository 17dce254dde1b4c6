"""Context around the results: what was run, what it cost, the prompts, the corpus card, and the
original study's numbers.

* `run_overview`, `differing_settings` / `shared_settings`: the "what was run" appendix, read from
  the runs table and each run folder's `config.toml` / `env.json` (never typed by hand); only keys
  whose values differ between folders are listed per folder, so the table stays narrow.
* `cost_frame`: training seconds (`training.json`, else the losses table) per training job (a
  cohort trains several models in one job, which is counted once), generation seconds
  (completions) and scoring CPU seconds (samples) per model.
* `prompts_markdown`: the rendered prompts verbatim, one example problem per benchmark and style.
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

from analysis.blocks import code
from analysis.scores import benchmark_order, model_order
from codegen_study.scoring.metrics import mcnemar_exact, mcnemar_min_discordant, wilson_interval

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
    #: the document each set of counts is printed in
    "sources": {"readme": "the study's README (github.com/naholav/CodeGen)",
                "report_table": "the results table of the study's own .docx report"},
}


def reported_frame(original: dict = ORIGINAL_STUDY) -> pl.DataFrame:
    """The original study's counts as rows (source document, model, k, n, Pass@1, Wilson interval)."""
    n = original["problems"]
    rows = []
    for source in ("readme", "report_table"):
        for model, k in original[source].items():
            lo, hi = wilson_interval(k, n)
            rows.append(dict(source=original["sources"][source], model=model, solved=k, problems=n, pass1=k / n,
                             lo=lo, hi=hi))
    return pl.DataFrame(rows)


def original_claim(original: dict = ORIGINAL_STUDY) -> str:
    """The original study's counts in prose, each with the document it is printed in."""
    readme, table, n = original["readme"], original["report_table"], original["problems"]
    counts = ", ".join(f"{m} {k}" for m, k in readme.items())
    other = " and ".join(f"{m} {k}" for m, k in table.items())
    return (f"{counts} of {n} solved according to {original['sources']['readme']}, and {other} according to "
            f"{original['sources']['report_table']}")


def reported_table(frame: pl.DataFrame) -> GT:
    return (GT(frame, rowname_col="model", groupname_col="source")
            .fmt_percent(columns=["pass1", "lo", "hi"], decimals=1)
            .cols_label(solved="k", problems="n", pass1="Pass@1", lo="95% low", hi="95% high")
            .tab_header(title="Reported, not reproduced",
                        subtitle=f"{ORIGINAL_STUDY['model']}; {ORIGINAL_STUDY['benchmark']}")
            .tab_source_note("Counts as published by the original study, grouped by the document that prints "
                             "them; intervals are ours (Wilson 95%)."))


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
    """The overview, less the columns every model shares (the sentence before it names those): a
    column repeated down every row says nothing and squeezes the ones that differ."""
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["no scoring runs in this store"]}))
    shared = [c for c in ("benchmark", "prompt", "decoding") if c in frame.columns and frame[c].n_unique() == 1]
    return (GT(frame.drop(shared), rowname_col="model").cols_label(runs="scoring runs")
            .sub_missing(missing_text="–").tab_options(table_font_size="13px"))


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
            f"{values('tests_used')}. {protections_sentence(runs)}")


#: protection fields that differ from one scoring run to the next by design (uids, timings)
VOLATILE_PROTECTIONS = ("run_uids", "interpreter_startup_s")


def protections_sentence(runs: pl.DataFrame) -> str:
    """The sandbox protections recorded with the scoring runs, once: the settings every run shares,
    then those that differ (how many runs hold each value); per-run uids and timings only named."""
    records = []
    for text in runs["protections"].drop_nulls().to_list():
        try:
            value = json.loads(text)
        except ValueError:
            value = {"protections": text}
        records.append(flatten(value) if isinstance(value, dict) else {"protections": str(value)})
    if not records:
        return "No sandbox protections were recorded."
    keys = sorted({k for r in records for k in r})
    same, differ, volatile = [], [], []
    for key in keys:
        seen = [r.get(key, "(not set)") for r in records]
        if key.split(".")[0] in VOLATILE_PROTECTIONS:
            volatile.append(key)
        elif len(set(seen)) == 1:
            same.append(f"{key} {seen[0]}")
        else:
            counts = ", ".join(f"{v} in {seen.count(v)}" for v in sorted(set(seen)))
            differ.append(f"{key} ({counts})")
    text = f"Sandbox protections of the {len(records)} scoring runs, the same in every run: {'; '.join(same)}."
    if differ:
        text += f" Differing between runs: {'; '.join(differ)}."
    if volatile:
        text += f" Recorded per run: {', '.join(volatile)}."
    return text


def reported_power_sentence(original: dict = ORIGINAL_STUDY, alpha: float = 0.05) -> str:
    """What a paired test could say about the original study's largest reported gap, at best."""
    n, readme = original["problems"], original["readme"]
    gap = max(readme.values()) - min(readme.values())
    low, high = min(readme, key=readme.get), max(readme, key=readme.get)
    return (f"The widest gap in {original['sources']['readme']}, {high} over {low}, is {gap} problems of {n}. "
            "Even if those were the only "
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
    return (gt.tab_source_note(note).tab_options(table_font_size="10px", data_row_padding="1px")
            .tab_style(style=_wrap_style(), locations=_body()))


def set_differently(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows of `differing_settings` for keys that take two or more values among the folders that
    set them (a key that one folder merely lacks, e.g. the base model's training settings, is left
    to the CSV file)."""
    if frame.height == 0:
        return frame
    real = (frame.filter(pl.col("value") != "(not set)").group_by("setting").agg(n=pl.len())
            .filter(pl.col("n") > 1)["setting"])
    return frame.filter(pl.col("setting").is_in(real.to_list()))


def _wrap_style():
    from great_tables import style

    return style.css("white-space: normal; word-break: break-word; max-width: 520px")


def _body():
    from great_tables import loc

    return loc.body()


#: card values longer than this are lists (e.g. the families of a group): said below the table
CARD_CELL = 24


def card_value(value: str | None) -> str:
    """A card value for the table: numbers to four significant digits, text as it is."""
    if value is None:
        return "—"
    try:
        number = float(value)
    except ValueError:
        return value
    return f"{number:.4g}" if not number.is_integer() else f"{int(number):,}"


def corpus_card_table(card: pl.DataFrame) -> GT:
    """Deep vs Diverse corpus statistics (one column per corpus); list-valued entries are left to
    `corpus_card_lists`, so every column stays narrow."""
    if card.height == 0:
        return GT(pl.DataFrame({"note": ["no corpus card (data/corpus/card.*) in this store"]}))
    short = card.filter(pl.col("value").fill_null("").str.len_chars() <= CARD_CELL)
    wide = short.with_columns(value=pl.col("value").map_elements(card_value, return_dtype=pl.Utf8)).pivot(
        on="corpus", index="metric", values="value", aggregate_function="first")
    return (GT(wide.fill_null("—"), rowname_col="metric")
            .tab_source_note("Written by the synth stage (codegen-study synth); — : not computed for that corpus.")
            .tab_options(table_font_size="10px", data_row_padding="1px"))


def corpus_card_lists(card: pl.DataFrame) -> str:
    """The card's list-valued entries (family assignments) as Markdown list items."""
    long = (card.filter(pl.col("value").fill_null("").str.len_chars() > CARD_CELL)
            .group_by("metric", "value", maintain_order=True).agg(pl.col("corpus")))
    return "\n".join(f"- {r['metric'].replace('_', ' ')} ({', '.join(r['corpus'])}): {r['value']}"
                      for r in long.iter_rows(named=True))


def describe(values, none: str = "not run") -> str:
    """Comma-separated list for prose, or `none`."""
    values = [str(v) for v in values if v is not None]
    return ", ".join(values) if values else none


def benchmarks_run(runs: pl.DataFrame) -> list[str]:
    return benchmark_order(runs["benchmark"].drop_nulls().to_list())


COST_SCHEMA = {"model": pl.Utf8, "training_job": pl.Utf8, "training_s": pl.Float64,
               "generation_greedy_s": pl.Float64, "generation_sampled_s": pl.Float64, "answers": pl.Int64,
               "scoring_cpu_s": pl.Float64, "scored": pl.Int64}


def training_jobs(models: list[str], training: dict[str, dict]) -> dict[str, str]:
    """model -> training job label. Models whose training.json carries the same `cohort` record
    were trained together in one job; any other trained model is a job of its own."""
    keyed: dict[str, str] = {}
    for m in models:
        cohort = training.get(m, {}).get("cohort")
        if m in training or cohort is not None:
            keyed[m] = json.dumps(cohort, sort_keys=True) if isinstance(cohort, dict) else f"alone:{m}"
    order: list[str] = []
    for m in model_order(keyed):
        if keyed[m] not in order:
            order.append(keyed[m])
    return {m: f"job {order.index(k) + 1}" for m, k in keyed.items()}


def cost_frame(runs: pl.DataFrame, completions: pl.DataFrame, samples: pl.DataFrame, losses: pl.DataFrame,
               training: dict[str, dict]) -> pl.DataFrame:
    """Seconds per model: training (training.json, else the last loss row) on the first model of
    each training job only (a job that trained several models is one cost), generation by decoding
    (sum of per-completion seconds), and scoring CPU (sum of per-sample seconds); plus a total row."""
    generated = completions["model"].drop_nulls().to_list() if "model" in completions.columns else []
    models = model_order(runs["model"].drop_nulls().to_list() + generated)
    jobs = training_jobs(models, training)
    counted: set[str] = set()
    rows = []
    for m in models:
        t = training.get(m, {}).get("seconds")
        if t is None and losses.height:
            lm = losses.filter(pl.col("model") == m)["seconds"].drop_nulls()
            t = float(lm.max()) if lm.len() else None
        job = jobs.get(m)
        if job is not None:
            t = None if job in counted else t
            counted.add(job)
        c = completions.filter(pl.col("model") == m) if completions.height else completions
        greedy = c.filter(pl.col("decoding") == "greedy")["seconds"].sum() if c.height else None
        sampled = c.filter(pl.col("decoding") != "greedy")["seconds"].sum() if c.height else None
        scored = samples.join(runs.filter(pl.col("model") == m).select("run_id"), on="run_id", how="semi")
        rows.append(dict(model=m, training_job=job, training_s=t, generation_greedy_s=greedy,
                         generation_sampled_s=sampled, answers=c.height if c.height else None,
                         scoring_cpu_s=scored["seconds"].sum() if scored.height else None, scored=scored.height))
    df = pl.DataFrame(rows, schema=COST_SCHEMA, orient="row") if rows else pl.DataFrame(schema=COST_SCHEMA)
    if df.height:
        total = {c: (df[c].sum() if df[c].null_count() < df.height else None) for c in COST_SCHEMA
                 if c not in ("model", "training_job")}
        n_jobs = len(set(jobs.values()))
        df = pl.concat([df, pl.DataFrame([{"model": "total", "training_job": f"{n_jobs} jobs" if n_jobs else None,
                                           **total}], schema=COST_SCHEMA, orient="row")])
    return df


def cost_table(frame: pl.DataFrame) -> GT:
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["no runs in this store"]}))
    shown = frame.with_columns(training=pl.when(pl.col("training_s").is_not_null())
                               .then(pl.col("training_s").round(1).cast(pl.Utf8))
                               .when(pl.col("training_job").is_not_null() & (pl.col("model") != "total"))
                               .then(pl.lit("counted above")).otherwise(pl.lit("—")))
    return (GT(shown.drop("training_s").select("model", "training_job", "training", *[c for c in COST_SCHEMA if c not in
                                                                                       ("model", "training_job",
                                                                                        "training_s")]),
               rowname_col="model")
            .fmt_number(columns=["generation_greedy_s", "generation_sampled_s", "scoring_cpu_s"], decimals=1)
            .sub_missing(missing_text="—")
            .cols_label(training_job="training job", training="training (s)",
                        generation_greedy_s="generation, greedy (s)", generation_sampled_s="generation, sampled (s)",
                        answers="answers generated", scoring_cpu_s="scoring CPU (s)", scored="samples scored")
            .tab_source_note("Training: seconds in the run folder's training.json (else the last loss row), counted "
                             "once per training job (models trained together share one job). Generation: sum of the "
                             "completions' seconds (each completion's share of its batch). Scoring: sum of the "
                             "samples' sandbox CPU seconds over every grading profile. — : not recorded or not run.")
            .tab_options(table_font_size="11px", data_row_padding="2px"))


def prompts_markdown(prompts: pl.DataFrame) -> str:
    """Each benchmark's example prompt under every style, verbatim, as fenced code blocks."""
    if prompts.height == 0:
        return "*Not stored: this store has no prompts table.*"
    parts = []
    for bench in benchmark_order(prompts["benchmark"].to_list()):
        sub = prompts.filter(pl.col("benchmark") == bench).sort("prompt", descending=True)
        for r in sub.iter_rows(named=True):
            parts.append(f"**{bench}**, prompt `{r['prompt']}` (problem `{r['question_id']}`):\n" + code(r["text"]))
    return "\n".join(parts)
