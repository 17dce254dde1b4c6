"""Pass rates per scoring run, checkpoint selection and the headline table.

Pipeline: `problem_results` (one row per run x problem: n samples, c passed, greedy verdict)
-> `run_scores` (one row per run x subset: Pass@1 with a 95% interval, pass@5 where every
problem has >= 5 samples) -> `headline` (per model: base / best-validation-loss / final
checkpoint, greedy and sampled side by side) -> `headline_table`.

Why these intervals: greedy Pass@1 is k solved of n problems, a proportion, so it gets a Wilson
interval (sane at 0/n); sampled pass@1 averages per-problem rates, so its interval is a
bootstrap over problems. The "best" checkpoint is chosen by validation loss, never by the test
score itself, so selecting it does not inflate the number it reports.

Covers: the numbers of the Results section. Does not cover: paired tests (`significance`),
grader sensitivity (`sensitivity`), reading files (`study`).
"""

from __future__ import annotations

import altair as alt
import polars as pl
from great_tables import GT

from analysis import design
from codegen_study.core.vocabulary import EXTRACTIONS, GRADERS
from codegen_study.scoring.metrics import bootstrap_ci, pass_at_k, rule_of_three, wilson_interval
from codegen_study.store import RUNS
from codegen_study.tasks.sources import DEFAULT_SOURCES, KINDS

GREEDY = "greedy"
#: the prompt of the primary measure: exactly the conversation the adapters were trained on
PRIMARY_PROMPT = "train"
#: arm and held-out group orders: one definition, the design's (`analysis.design`), for either study
ARM_ORDER = design.ARM_ORDER
GROUP_ORDER = design.GROUP_ORDER
#: preferred grading profile per benchmark, first available wins (see `primary_profiles`): each
#: benchmark kind's primary measure, then the other graders and extractions
GRADER_PREFERENCE = tuple(dict.fromkeys([kind.primary[0] for kind in KINDS] + list(GRADERS)))
EXTRACTION_PREFERENCE = tuple(dict.fromkeys([kind.primary[1] for kind in KINDS] + list(EXTRACTIONS)))
#: the study's benchmarks, in the order `evaluate` names them by default
BENCHMARK_ORDER = tuple(DEFAULT_SOURCES)
ROLE_ORDER = ("base", "best", "final")
#: a scoring run's id and what it measured (the store's definition of the runs table)
RUN_KEYS = [*RUNS.key, *RUNS.dimensions]


def model_order(models) -> list[str]:
    """`base` first, then the fine-tuned models alphabetically (stable table/legend order)."""
    models = sorted(set(models))
    return (["base"] if "base" in models else []) + [m for m in models if m != "base"]


def arm_order(arms) -> list[str]:
    return design.arm_order(arms)


def subset_order(subsets) -> list[str]:
    order = ("all", *GROUP_ORDER[:-1], "seen", GROUP_ORDER[-1])  # "seen": stores from before the three groups
    present = set(subsets)
    return [s for s in order if s in present] + sorted(present - set(order))


def benchmark_order(benchmarks) -> list[str]:
    present = set(benchmarks)
    return [b for b in BENCHMARK_ORDER if b in present] + sorted(present - set(BENCHMARK_ORDER))


def problem_results(study) -> pl.DataFrame:
    """One row per (run, problem): samples n, passed c, first sample's verdict, problem info."""
    per = (
        study.samples.sort("sample_id")
        .group_by("run_id", "question_id", maintain_order=True)
        .agg(n=pl.len(), c=pl.col("passed").fill_null(False).cast(pl.Int64).sum(),
             verdict=pl.col("verdict").first(), sample_id=pl.col("sample_id").first())
    )
    out = common_sampled_problems(per.join(study.runs.select(RUN_KEYS), on="run_id", how="inner"))
    info = study.problems.select("benchmark", "question_id", "title", "url", "group", "family", "date")
    return out.join(info, on=["benchmark", "question_id"], how="left")


def common_sampled_problems(per: pl.DataFrame) -> pl.DataFrame:
    """`per` with sampled rows kept only for problems that every sampled run of the benchmark
    holds in full (as many samples as the largest n), so sampled rates compare like with like
    when a run's sampling stopped early; greedy rows are untouched."""
    sampled = per.filter(pl.col("decoding") != GREEDY)
    if sampled.height == 0:
        return per
    runs = sampled.group_by("benchmark").agg(runs=pl.col("run_id").n_unique(), n_max=pl.col("n").max())
    full = (sampled.join(runs, on="benchmark").filter(pl.col("n") == pl.col("n_max"))
            .group_by("benchmark", "question_id").agg(held=pl.col("run_id").n_unique(), runs=pl.col("runs").first())
            .filter(pl.col("held") == pl.col("runs")).select("benchmark", "question_id"))
    return pl.concat([per.filter(pl.col("decoding") == GREEDY),
                      sampled.join(full, on=["benchmark", "question_id"], how="semi")], how="vertical_relaxed")


def _with_subsets(per: pl.DataFrame) -> pl.DataFrame:
    """Rows for subset "all" plus one copy per problem group (heldout: seen / unseen)."""
    everything = per.with_columns(subset=pl.lit("all"))
    groups = per.filter(pl.col("group").is_not_null()).with_columns(subset=pl.col("group"))
    return pl.concat([everything, groups], how="vertical_relaxed")


def _score_group(keys: dict, n: list[int], c: list[int], greedy: bool, n_boot: int) -> dict:
    problems = len(n)
    rates = [ci / ni for ni, ci in zip(n, c)]
    row = dict(keys, problems=problems, samples=min(n), pass1=sum(rates) / problems,
               solved=sum(ci > 0 for ci in c) if greedy else None, pass5=None)
    if greedy:
        row["lo"], row["hi"] = wilson_interval(row["solved"], problems)
    else:
        # all-zero rates would bootstrap to [0, 0]; no success in n problems allows up to ~3/n
        row["lo"], row["hi"] = rule_of_three(problems) if not any(rates) else bootstrap_ci(rates, n_boot=n_boot, seed=0)
        if min(n) >= 5:
            row["pass5"] = sum(pass_at_k(ni, ci, 5) for ni, ci in zip(n, c)) / problems
    return row


def run_scores(per: pl.DataFrame, n_boot: int = 1000) -> pl.DataFrame:
    """Pass@1 (+ interval, + pass@5 for sampled runs with >= 5 samples) per run and subset."""
    schema = {**{k: per.schema.get(k, pl.Utf8) for k in RUN_KEYS}, "subset": pl.Utf8,
              "problems": pl.Int64, "samples": pl.Int64, "pass1": pl.Float64, "solved": pl.Int64,
              "pass5": pl.Float64, "lo": pl.Float64, "hi": pl.Float64}
    rows = []
    keys = RUN_KEYS + ["subset"]
    for group in _with_subsets(per).partition_by(keys, maintain_order=True):
        first = group.row(0, named=True)
        rows.append(_score_group({k: first[k] for k in keys}, group["n"].to_list(), group["c"].to_list(),
                                 first["decoding"] == GREEDY, n_boot))
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def primary_profiles(runs: pl.DataFrame) -> pl.DataFrame:
    """The (grader, extraction) each benchmark is headlined under: LCB's when it was run."""
    rows = []
    for bench in benchmark_order(runs["benchmark"].drop_nulls().to_list()):
        sub = runs.filter(pl.col("benchmark") == bench)
        graders = set(sub["grader"].to_list())
        grader = next((g for g in GRADER_PREFERENCE if g in graders), sorted(graders)[0])
        extr = set(sub.filter(pl.col("grader") == grader)["extraction"].to_list())
        extraction = next((e for e in EXTRACTION_PREFERENCE if e in extr), sorted(extr)[0])
        rows.append(dict(benchmark=bench, grader=grader, extraction=extraction))
    return pl.DataFrame(rows, schema={"benchmark": pl.Utf8, "grader": pl.Utf8, "extraction": pl.Utf8})


def checkpoint_roles(runs: pl.DataFrame, losses: pl.DataFrame) -> pl.DataFrame:
    """Per model, which evaluated step is `base`, `final` (last) and `best` (lowest valid loss).

    A model without validation losses (or with a single checkpoint) has best == final.
    """
    rows = []
    greedy = runs.filter(pl.col("decoding") == GREEDY)
    valid = losses.filter(pl.col("split") == "valid")
    for model in model_order(greedy["model"].to_list()):
        steps = sorted(set(greedy.filter(pl.col("model") == model)["step"].to_list()))
        if model == "base" or steps == [0]:
            rows.append(dict(model=model, role="base", step=steps[0]))
            continue
        final = steps[-1]
        scored = valid.filter((pl.col("model") == model) & pl.col("step").is_in(steps)).sort("loss", "step")
        best = scored["step"][0] if scored.height else final
        rows.append(dict(model=model, role="best", step=best))
        rows.append(dict(model=model, role="final", step=final))
    return pl.DataFrame(rows, schema={"model": pl.Utf8, "role": pl.Utf8, "step": pl.Int64})


def headline(scores: pl.DataFrame, roles: pl.DataFrame) -> pl.DataFrame:
    """Per model x role x benchmark x subset x grading profile: greedy and sampled side by side."""
    on = ["model", "step", "benchmark", "prompt", "subset", "grader", "extraction"]
    greedy = scores.filter(pl.col("decoding") == GREEDY).select(
        *on, "problems", "solved", greedy_pass1="pass1", greedy_lo="lo", greedy_hi="hi")
    sampled = scores.filter(pl.col("decoding") != GREEDY).select(
        *on, "decoding", "samples", sampled_pass1="pass1", sampled_lo="lo", sampled_hi="hi", pass5="pass5")
    out = roles.join(greedy, on=["model", "step"], how="inner").join(sampled, on=on, how="left")
    order = {m: i for i, m in enumerate(model_order(roles["model"].to_list()))}
    return out.sort(
        pl.col("benchmark").replace_strict({b: i for i, b in enumerate(BENCHMARK_ORDER)}, default=99),
        "benchmark", "subset", "grader", "extraction",
        pl.col("model").replace_strict(order, default=99),
        pl.col("role").replace_strict({r: i for i, r in enumerate(ROLE_ORDER)}, default=9),
    )


def distinct_roles(head: pl.DataFrame) -> pl.DataFrame:
    """Drop a `best` row that is the same step as `final` and relabel that final `final = best`."""
    final = head.filter(pl.col("role") == "final").select("model", final_step="step").unique()
    best = head.filter(pl.col("role") == "best").select("model", best_step="step").unique()
    same = final.join(best, on="model").filter(pl.col("final_step") == pl.col("best_step"))["model"]
    merged = pl.col("model").is_in(same.to_list())
    return head.filter(~((pl.col("role") == "best") & merged)).with_columns(
        role=pl.when((pl.col("role") == "final") & merged).then(pl.lit("final = best")).otherwise(pl.col("role")))


def select_profile(frame: pl.DataFrame, profiles: pl.DataFrame, prompt: str | None = PRIMARY_PROMPT) -> pl.DataFrame:
    """Keep only the rows graded under each benchmark's primary profile (and, unless None, prompt)."""
    out = frame.join(profiles, on=["benchmark", "grader", "extraction"], how="semi")
    return out if prompt is None or "prompt" not in out.columns else out.filter(pl.col("prompt") == prompt)


def pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f}%"


def interval_text(lo: float | None, hi: float | None) -> str:
    return "—" if lo is None or hi is None else f"[{100 * lo:.1f}, {100 * hi:.1f}]"


def headline_table(head: pl.DataFrame, profiles: pl.DataFrame) -> GT:
    """Primary-profile headline as a table: k/n, Pass@1 [95% CI], sampled pass@1, pass@5."""
    rows = []
    for r in distinct_roles(select_profile(head, profiles)).iter_rows(named=True):
        rows.append({
            "group": f"{r['benchmark']} ({r['subset']}) · grader {r['grader']}, extraction {r['extraction']}",
            "model": r["model"], "checkpoint": r["role"], "step": r["step"],
            "greedy k/n": f"{r['solved']}/{r['problems']}",
            "greedy Pass@1 [95% CI]": f"{pct(r['greedy_pass1'])} {interval_text(r['greedy_lo'], r['greedy_hi'])}",
            "sampled pass@1 [95% CI]": "not run" if r["sampled_pass1"] is None
            else f"{pct(r['sampled_pass1'])} {interval_text(r['sampled_lo'], r['sampled_hi'])} (n={r['samples']})",
            "pass@5": "not run" if r["sampled_pass1"] is None else pct(r["pass5"]),
        })
    empty = pl.DataFrame({"group": [], "model": []}, schema={"group": pl.Utf8, "model": pl.Utf8})
    df = pl.DataFrame(rows) if rows else empty
    return (GT(df, rowname_col="model", groupname_col="group")
            .tab_source_note("Greedy interval: Wilson 95%. Sampled interval: bootstrap over problems. "
                             "pass@5 needs >= 5 samples per problem (— otherwise). "
                             "best = lowest validation loss among evaluated checkpoints."))


def placeholder_chart(message: str) -> alt.Chart:
    """A small chart that says why there is nothing to plot (keeps figure numbering intact)."""
    return (alt.Chart(pl.DataFrame({"text": [message]})).mark_text(size=14)
            .encode(text="text:N").properties(width=400, height=40))
