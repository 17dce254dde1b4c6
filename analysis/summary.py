"""Everything the report derives from a `Study`, computed once, plus phrases for inline prose.

The report's setup chunk calls `derive(load_study())`; every later chunk and every inline
`{python} ...` expression reads from the returned `Derived`, so a number in the prose and the
same number in a table come from the same frame. The phrase helpers return text ("not run"
when a benchmark, decoding or model is absent) so the prose never needs a hand-typed figure.

Covers: wiring the pure functions together and wording. Does not cover: any new statistic.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis.context import benchmarks_run, describe
from analysis.scores import (GREEDY, checkpoint_roles, headline, interval_text, model_order, pct,
                             primary_profiles, problem_results, run_scores, select_profile)
from analysis.study import Study


@dataclass(frozen=True)
class Derived:
    study: Study
    per: pl.DataFrame  # run x problem
    scores: pl.DataFrame  # run x subset
    roles: pl.DataFrame  # model -> base/best/final step
    profiles: pl.DataFrame  # benchmark -> primary grader/extraction
    head: pl.DataFrame  # headline frame

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
    return Derived(study, per, scores, roles, profiles, headline(scores, roles))


def greedy_phrase(d: Derived, model: str, benchmark: str, role: str = "final", subset: str = "all") -> str:
    """E.g. "2/6 (33.3%, 95% CI [9.7, 70.0])" for greedy Pass@1, or "not run"."""
    row = _row(d, model, benchmark, role, subset)
    if row is None:
        return "not run"
    return (f"{row['solved']}/{row['problems']} ({pct(row['greedy_pass1'])}, "
            f"95% CI {interval_text(row['greedy_lo'], row['greedy_hi'])})")


def sampled_phrase(d: Derived, model: str, benchmark: str, role: str = "final") -> str:
    row = _row(d, model, benchmark, role, "all")
    if row is None or row["sampled_pass1"] is None:
        return "not run"
    text = f"pass@1 {pct(row['sampled_pass1'])} over {row['samples']} samples per problem"
    return text + (f", pass@5 {pct(row['pass5'])}" if row["pass5"] is not None else "")


def _row(d: Derived, model: str, benchmark: str, role: str, subset: str) -> dict | None:
    rows = select_profile(d.head, d.profiles).filter(
        (pl.col("model") == model) & (pl.col("benchmark") == benchmark) & (pl.col("subset") == subset)
        & ((pl.col("role") == role) | (pl.col("role") == "base")))
    return rows.row(0, named=True) if rows.height else None


def results_sentence(d: Derived, benchmark: str) -> str:
    """One sentence per benchmark: each model's greedy Pass@1 at its final checkpoint."""
    prof = d.profile(benchmark)
    if prof is None:
        return f"The {benchmark} benchmark was not run."
    parts = [f"{m} {greedy_phrase(d, m, benchmark)}" for m in d.models]
    return (f"On {benchmark} (grader {prof[0]}, extraction {prof[1]}), greedy Pass@1 at the final "
            f"checkpoint was: {'; '.join(parts)}.")


def overview_sentence(d: Derived) -> str:
    runs = d.study.runs
    if runs.height == 0:
        return f"No scoring runs were found under `{d.study.root}`: every section below says \"not run\"."
    decodings = sorted(set(runs["decoding"].drop_nulls().to_list()), key=lambda x: (x != GREEDY, x))
    return (f"The store under `{d.study.root}` holds {runs.height} scoring runs of "
            f"{len(d.models)} models ({describe(d.models)}) on {describe(d.benchmarks)}, "
            f"decoded {describe(decodings)}, graded by {describe(sorted(set(runs['grader'].drop_nulls())))} "
            f"with {describe(sorted(set(runs['extraction'].drop_nulls())))} extraction.")


def sampled_status(d: Derived) -> str:
    sampled = d.study.runs.filter(pl.col("decoding") != GREEDY)
    if sampled.height == 0:
        return "Sampled decoding was not run, so pass@1/pass@5 estimates are absent."
    n = d.scores.filter(pl.col("decoding") != GREEDY)["samples"]
    count = f"{n.min()}" if n.min() == n.max() else f"{n.min()}–{n.max()}"
    return (f"Sampled decoding ({describe(sorted(set(sampled['decoding'])))}) was run for "
            f"{describe(model_order(sampled['model'].to_list()))} with {count} samples per problem.")


def best_steps_sentence(d: Derived) -> str:
    parts = []
    for m in d.models:
        r = {row["role"]: row["step"] for row in d.roles.filter(pl.col("model") == m).iter_rows(named=True)}
        if "final" in r:
            parts.append(f"{m}: best step {r['best']}, final step {r['final']}")
    return "; ".join(parts) + "." if parts else "No fine-tuned checkpoints were evaluated."
