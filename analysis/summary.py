"""Everything the report derives from a `Study`, computed once, plus phrases for inline prose.

The report's setup chunk calls `derive(load_study())`; every later chunk and every inline
`{python} ...` expression reads from the returned `Derived`, so a number in the prose and the
same number in a table come from the same frame. The phrase helpers return text ("not run"
when a benchmark, decoding or model is absent) so the prose never needs a hand-typed figure.

Covers: wiring the pure functions together and wording. Does not cover: any new statistic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

from analysis import answer, arms, significance
from analysis.context import benchmarks_run, describe
from analysis.design import arm_of_label
from analysis.scores import (
    GREEDY,
    PRIMARY_PROMPT,
    checkpoint_roles,
    headline,
    model_order,
    primary_profiles,
    problem_results,
    run_scores,
)
from analysis.study import Study


@dataclass(frozen=True)
class Derived:
    study: Study
    per: pl.DataFrame  # run x problem
    scores: pl.DataFrame  # run x subset
    roles: pl.DataFrame  # model -> base/best/final step
    profiles: pl.DataFrame  # benchmark -> primary grader/extraction
    head: pl.DataFrame  # per model x role: greedy and sampled side by side
    rows: pl.DataFrame  # primary measure, per model x problem x subset
    arms: pl.DataFrame  # per arm x benchmark x subset over seeds
    mcnemar: pl.DataFrame  # paired tests, Holm-adjusted per table
    power: pl.DataFrame  # what each table's tests could detect
    sampled: pl.DataFrame  # paired bootstrap on sampled pass@1 between arms

    @property
    def models(self) -> list[str]:
        return model_order(self.study.runs["model"].drop_nulls().to_list())

    @property
    def benchmarks(self) -> list[str]:
        return benchmarks_run(self.study.runs)

    def profile(self, benchmark: str) -> tuple[str, str] | None:
        row = self.profiles.filter(pl.col("benchmark") == benchmark)
        return (row["grader"][0], row["extraction"][0]) if row.height else None


def derive(study: Study, n_boot: int = 1000) -> Derived:
    per = problem_results(study)
    scores = run_scores(per, n_boot=n_boot)
    roles = checkpoint_roles(study.runs, study.losses)
    profiles = primary_profiles(study.runs)
    rows = arms.primary_rows(per, roles, profiles)
    mcnemar = significance.mcnemar_table(rows)
    sampled = significance.sampled_table(significance.sampled_rates(per, roles, profiles), n_boot=n_boot)
    return Derived(study, per, scores, roles, profiles, headline(scores, roles), rows,
                   arms.arm_scores(rows, n_boot=n_boot), mcnemar, significance.power_table(mcnemar), sampled)


def answer_text(d: Derived) -> str:
    """The two or three sentences of the first screen (see `analysis.answer`)."""
    return answer.answer_text(d.arms, d.mcnemar, d.power, significance.ALPHA)


def answer_lead(d: Derived) -> str:
    """The one sentence of answer before the first table: Deep vs Diverse by the paired tests
    (what was measured when there is no held-out benchmark to test on)."""
    sentences = answer.answer_sentences(d.arms, d.mcnemar, d.power, significance.ALPHA)
    return sentences[1] if len(sentences) > 1 else sentences[0]


def answer_rest(d: Derived) -> str:
    """The answer's other sentences (the means per group, adapters vs base) and the primary measure,
    after the table (Markdown; never empty)."""
    sentences = answer.answer_sentences(d.arms, d.mcnemar, d.power, significance.ALPHA)
    rest = [s for i, s in enumerate(sentences) if i != 1] if len(sentences) > 1 else []
    return " ".join(rest + [measure_sentence(d)])


def results_lead(d: Derived) -> str:
    """What the arms solve per held-out group and how the adapters compare with the base model
    (problem-level tests), without the measure (stated in Methods); never empty."""
    sentences = answer.answer_sentences(d.arms, d.mcnemar, d.power, significance.ALPHA)
    return " ".join(s for i, s in enumerate(sentences) if i != 1 or len(sentences) == 1)


def checkpoint_sentences(d: Derived) -> str:
    """Best vs final checkpoint, and which seeds the curves follow (never empty)."""
    from analysis import checkpoints

    return " ".join(t for t in (checkpoints.best_final_sentence(d.roles),
                                checkpoints.curve_seeds_sentence(d.scores),
                                checkpoints.loss_sentence(d.study.configs, d.study.losses)) if t)


def measure_sentence(d: Derived) -> str:
    """What the primary measure is, with each benchmark's grading profile read from the runs."""
    if d.profiles.height == 0:
        return "No scoring runs were found, so there is no primary measure to report."
    profs = "; ".join(f"{b}: grader {g}, extraction {e}" for b, g, e in d.profiles.iter_rows())
    return (f"Primary measure: greedy Pass@1 at each adapter's final checkpoint under the `{PRIMARY_PROMPT}` prompt "
            f"(exactly the training conversation), graded as follows — {profs}.")


def overview_sentence(d: Derived) -> str:
    runs = d.study.runs
    if runs.height == 0:
        return f"No scoring runs were found under `{d.study.root}`: every section below says \"not run\"."
    decodings = sorted(set(runs["decoding"].drop_nulls().to_list()), key=lambda x: (x != GREEDY, x))
    seeds = sorted({s for s in runs["train_seed"].drop_nulls().to_list()})
    return (f"The store under `{d.study.root}` holds {runs.height} scoring runs of {len(d.models)} models "
            f"({describe(d.models)}; training seeds {describe(seeds, 'none')}) on {describe(d.benchmarks)}, "
            f"under prompts {describe(sorted(set(runs['prompt'].drop_nulls())))}, decoded {describe(decodings)}.")


def sampled_status(d: Derived) -> str:
    sampled = d.study.runs.filter(pl.col("decoding") != GREEDY)
    if sampled.height == 0:
        return "Sampled decoding was not run, so sampled pass@1 comparisons are absent."
    n = d.scores.filter(pl.col("decoding") != GREEDY)["samples"]
    count = f"{n.min()}" if n.min() == n.max() else f"{n.min()}–{n.max()}"
    return (f"Sampled decoding ({describe(sorted(set(sampled['decoding'])))}) was run for "
            f"{describe(model_order(sampled['model'].to_list()))} with {count} samples per problem.")


def coverage_sentence(d: Derived) -> str:
    """What the store does not hold: checkpoints without greedy runs, problems dropped from the
    sampled comparisons because a run's sampling stopped early. Empty when nothing is missing."""
    runs, losses = d.study.runs, d.study.losses
    parts = []
    saved = (losses.filter(pl.col("split").str.to_lowercase().is_in(["valid", "validation", "val"]))
             .group_by("model").agg(pl.col("step").unique().sort()))
    greedy = (runs.filter((pl.col("decoding") == GREEDY) & (pl.col("prompt") == PRIMARY_PROMPT))
              .group_by("model").agg(pl.col("step").unique().sort()))
    done = {m: set(s) for m, s in greedy.iter_rows()}
    short = [(m, sorted(done.get(m, set())), len(s)) for m, s in saved.iter_rows() if not set(s) <= done.get(m, set())]
    if short:
        listed = "; ".join(f"{m}: steps {describe(steps, 'none')} of {n} checkpoints"
                           for m, steps, n in sorted(short, key=lambda t: model_order([t[0]])[0]))
        parts.append(f"Greedy runs do not cover every checkpoint ({listed}); checkpoint curves show what was run.")
    sampled = d.per.filter(pl.col("decoding") != GREEDY)
    if sampled.height:
        kept = sampled.group_by("benchmark").agg(kept=pl.col("question_id").n_unique())
        total = d.study.problems.group_by("benchmark").agg(total=pl.col("question_id").n_unique())
        short = [(b, k, t) for b, k, t in kept.join(total, on="benchmark").iter_rows() if k < t]
        if short:
            parts.append("Sampling stopped early for some runs, so sampled comparisons use the problems every "
                         "sampled run holds in full: " + ", ".join(f"{b} {k} of {t}" for b, k, t in short) + ".")
    return " ".join(parts)


def truncation_sentence(d: Derived) -> str:
    """How much of the training data the context length cut, from each run's training.json."""
    counts = [(name, info["data"]["train"]) for name, info in sorted(d.study.training.items())
              if isinstance(info.get("data", {}).get("train"), dict)]
    if not counts:
        return ""
    by_corpus: dict[str, tuple[int, int, int]] = {}
    for name, c in counts:
        arm = arm_of_label(name)
        by_corpus.setdefault(arm, (c.get("rows", 0), c.get("truncated", 0), c.get("dropped", 0)))
    return "; ".join(f"{arm}: {t} of {r} training rows truncated at the context length, {dr} without any answer "
                     f"token left (dropped)" for arm, (r, t, dr) in by_corpus.items()) + "."


def trainings_sentence(d: Derived) -> str:
    """Which trained models came out of which training job (their training.json `cohort` records:
    a cohort trains its runs together, so runs with the same record were trained together).
    Empty when every trained model came out of one job."""
    jobs: dict[str, tuple[float | None, list[str]]] = {}
    for name, info in d.study.training.items():
        cohort = info.get("cohort")
        if isinstance(cohort, dict):
            jobs.setdefault(json.dumps(cohort, sort_keys=True), (cohort.get("wall_seconds"), []))[1].append(name)
    if len(jobs) < 2:
        return ""
    def length(wall) -> str:
        return f"a job of {wall:.0f} s" if isinstance(wall, (int, float)) else "a job of unrecorded length"

    listed = "; ".join(f"{describe(model_order(names))} ({length(wall)})"
                       for wall, names in sorted(jobs.values(), key=lambda job: model_order(job[1])[0]))
    arms: dict[str, set[str]] = {}  # arm -> the jobs its seeds were trained in
    for key, (_, names) in jobs.items():
        for name in names:
            arms.setdefault(arm_of_label(name), set()).add(key)
    split = sorted(arm for arm, keys in arms.items() if len(keys) > 1)
    text = f"The trained models come from {len(jobs)} training jobs of the same configs: {listed}."
    if split:
        text += (f" The seeds of {describe(split)} come from different jobs, so their spread over seeds also holds "
                 "whatever differs between the jobs (training on a GPU is not bit-reproducible); the section on "
                 "models made twice says whether a model trained twice was measured.")
    return text
