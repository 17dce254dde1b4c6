"""Per-problem outcomes (problems x models) and the failure taxonomy (verdict kinds per model).

Why per problem: with a few dozen problems, an aggregate Pass@1 hides *which* problems moved.
The matrix is sorted by how many models solve each problem, so problems every model solves,
problems only one solves and problems nobody solves form visible blocks.

Covers: greedy outcomes at one checkpoint role per model. Does not cover: sampled decoding
(a pass/fail per problem needs one sample) or the code itself (`cases`).
"""

from __future__ import annotations

import html

import altair as alt
import polars as pl
from great_tables import GT

from analysis.scores import GREEDY, model_order, placeholder_chart

VERDICT_ORDER = ("passed", "wrong_answer", "runtime_error", "timeout", "memory_limit", "output_limit", "no_code")
#: fixed colours so a verdict looks the same in every chart (passed green, no_code grey)
VERDICT_COLORS = ("#54a24b", "#f58518", "#e45756", "#b279a2", "#9d755d", "#ff9da6", "#bab0ac")


def at_role(per: pl.DataFrame, roles: pl.DataFrame, role: str = "final") -> pl.DataFrame:
    """Greedy per-problem rows of each model at `role` (base models always at their base step)."""
    chosen = roles.filter((pl.col("role") == role) | (pl.col("role") == "base")).select("model", "step")
    return per.filter(pl.col("decoding") == GREEDY).join(chosen, on=["model", "step"], how="semi")


def problem_matrix(per: pl.DataFrame, roles: pl.DataFrame, benchmark: str, grader: str,
                   extraction: str, role: str = "final") -> pl.DataFrame:
    """One row per problem: title, url, group, `solved_by`, and one verdict column per model."""
    rows = at_role(per, roles, role).filter(
        (pl.col("benchmark") == benchmark) & (pl.col("grader") == grader) & (pl.col("extraction") == extraction))
    if rows.height == 0:
        return pl.DataFrame(schema={"question_id": pl.Utf8, "title": pl.Utf8, "url": pl.Utf8,
                                    "group": pl.Utf8, "solved_by": pl.Int64})
    models = model_order(rows["model"].to_list())
    wide = rows.pivot(on="model", index=["question_id", "title", "url", "group"], values="verdict")
    solved = rows.group_by("question_id").agg(solved_by=(pl.col("c") > 0).sum().cast(pl.Int64))
    wide = wide.join(solved, on="question_id")
    return wide.select("question_id", "title", "url", "group", "solved_by", *models).sort(
        pl.col("solved_by"), pl.col("question_id"), descending=[True, False])


def _mark(verdict: str | None) -> str:
    if verdict is None:
        return "not run"
    return "✓ passed" if verdict == "passed" else f"✗ {verdict}"


def problem_table(matrix: pl.DataFrame) -> GT:
    """The matrix as a table: linked titles, ✓/✗ + verdict kind per model."""
    fixed = {"question_id", "title", "url", "group", "solved_by"}
    models = [c for c in matrix.columns if c not in fixed]
    links = [f'<a href="{html.escape(u)}">{html.escape(t or q)}</a>' if u else html.escape(t or q)
             for q, t, u in zip(matrix["question_id"], matrix["title"], matrix["url"])]
    df = matrix.with_columns(problem=pl.Series(links, dtype=pl.Utf8),
                             **{m: pl.col(m).map_elements(_mark, return_dtype=pl.Utf8) for m in models})
    cols = ["problem", "question_id"] + (["group"] if df["group"].drop_nulls().len() else []) + ["solved_by", *models]
    return (GT(df.select(cols)).fmt(lambda x: x, columns="problem")
            .cols_label(solved_by="models solving", question_id="id")
            .tab_source_note("Greedy decoding; each fine-tuned model at its final checkpoint."))


def verdict_counts(per: pl.DataFrame, roles: pl.DataFrame, profiles: pl.DataFrame, role: str = "final") -> pl.DataFrame:
    """Greedy verdict kinds per model and benchmark (primary grading profile), with shares."""
    rows = at_role(per, roles, role).join(profiles, on=["benchmark", "grader", "extraction"], how="semi")
    counts = rows.group_by("benchmark", "model", "verdict").agg(count=pl.len().cast(pl.Int64))
    return counts.with_columns(
        share=pl.col("count") / pl.col("count").sum().over("benchmark", "model")
    ).sort("benchmark", "model", pl.col("verdict").replace_strict(
        {v: i for i, v in enumerate(VERDICT_ORDER)}, default=len(VERDICT_ORDER)))


def verdict_table(counts: pl.DataFrame) -> GT:
    """Counts as benchmark/model rows x verdict columns (zeros filled)."""
    if counts.height == 0:
        return GT(pl.DataFrame({"note": ["no greedy runs"]}))
    present = [v for v in VERDICT_ORDER if v in set(counts["verdict"])] + sorted(set(counts["verdict"]) - set(VERDICT_ORDER))
    wide = counts.pivot(on="verdict", index=["benchmark", "model"], values="count").fill_null(0)
    return GT(wide.select("benchmark", "model", *present), rowname_col="model", groupname_col="benchmark")


def verdict_chart(counts: pl.DataFrame) -> alt.Chart:
    """Stacked shares of verdict kinds per model, one row of bars per benchmark."""
    if counts.height == 0:
        return placeholder_chart("no greedy runs in this store")
    ranked = counts.with_columns(rank=pl.col("verdict").replace_strict(
        {v: i for i, v in enumerate(VERDICT_ORDER)}, default=len(VERDICT_ORDER)))
    return alt.Chart(ranked).mark_bar().encode(
        x=alt.X("share:Q", stack="normalize", title="share of problems", axis=alt.Axis(format="%")),
        y=alt.Y("model:N", sort=model_order(counts["model"].to_list()), title=None),
        color=alt.Color("verdict:N", sort=list(VERDICT_ORDER),
                        scale=alt.Scale(domain=list(VERDICT_ORDER), range=list(VERDICT_COLORS))),
        order=alt.Order("rank:Q"),
        tooltip=["benchmark", "model", "verdict", "count"],
    ).properties(width=420, height=alt.Step(20)).facet(row=alt.Row("benchmark:N", title=None))
