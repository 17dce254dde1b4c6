"""Per-problem outcomes (problems x models): the appendix's CSV files.

Why per problem: with a few dozen problems, an aggregate Pass@1 hides *which* problems moved.
The matrix is sorted by how many models solve each problem, so problems every model solves,
problems only one solves and problems nobody solves form visible blocks.

Covers: greedy outcomes at one checkpoint role per model (`at_role`, used by every module that
compares models). Does not cover: sampled decoding (a pass/fail per problem needs one sample), the
code itself (`cases`) or why answers fail (`errors`).
"""

from __future__ import annotations

import polars as pl

from analysis.scores import GREEDY, PRIMARY_PROMPT, model_order


def at_role(per: pl.DataFrame, roles: pl.DataFrame, role: str = "final",
            prompt: str | None = PRIMARY_PROMPT) -> pl.DataFrame:
    """Greedy per-problem rows of each model at `role` (base models always at their base step),
    under `prompt` (None: every prompt)."""
    chosen = roles.filter((pl.col("role") == role) | (pl.col("role") == "base")).select("model", "step")
    rows = per.filter(pl.col("decoding") == GREEDY).join(chosen, on=["model", "step"], how="semi")
    return rows if prompt is None else rows.filter(pl.col("prompt") == prompt)


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
