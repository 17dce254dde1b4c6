"""Per-problem outcomes (problems x models): the appendix tables and their CSV downloads.

Why per problem: with a few dozen problems, an aggregate Pass@1 hides *which* problems moved.
The matrix is sorted by how many models solve each problem, so problems every model solves,
problems only one solves and problems nobody solves form visible blocks.

Covers: greedy outcomes at one checkpoint role per model (`at_role`, used by every module that
compares models). Does not cover: sampled decoding (a pass/fail per problem needs one sample), the
code itself (`cases`) or why answers fail (`errors`).
"""

from __future__ import annotations

import html

import polars as pl
from great_tables import GT

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


#: short verdict marks keep a table of seven models narrow
MARKS = {"passed": "✓", "wrong_answer": "WA", "runtime_error": "RE", "timeout": "TLE", "memory_limit": "MLE",
         "output_limit": "OLE", "no_code": "no code"}


def _mark(verdict: str | None) -> str:
    if verdict is None:
        return "not run"
    return MARKS.get(verdict, verdict)


def problem_table(matrix: pl.DataFrame) -> GT:
    """The matrix as a table: linked titles, ✓ or a short verdict code per model."""
    fixed = {"question_id", "title", "url", "group", "solved_by"}
    models = [c for c in matrix.columns if c not in fixed]
    links = [f'<a href="{html.escape(u)}">{html.escape(t or q)}</a>' if u else html.escape(t or q)
             for q, t, u in zip(matrix["question_id"], matrix["title"], matrix["url"])]
    df = matrix.with_columns(problem=pl.Series(links, dtype=pl.Utf8),
                             **{m: pl.col(m).map_elements(_mark, return_dtype=pl.Utf8) for m in models})
    cols = ["problem"] + (["group"] if df["group"].drop_nulls().len() else []) + ["solved_by", *models]
    legend = ", ".join(f"{v} = {k}" for k, v in MARKS.items() if k != "passed")
    return (GT(df.select(cols)).fmt(lambda x: x, columns="problem")
            .cols_label(solved_by="models solving")
            .tab_source_note("Greedy decoding, training prompt, each adapter at its final checkpoint. "
                             f"✓ = passed; {legend}.")
            .tab_options(table_font_size="11px", table_width="100%"))


def csv_link(frame: pl.DataFrame, filename: str, text: str | None = None) -> str:
    """An HTML link that downloads `frame` as CSV (embedded as a data URI: nothing beside the page to lose)."""
    import base64

    data = base64.b64encode(frame.write_csv().encode("utf-8")).decode("ascii")
    label = html.escape(text or f"Download {filename} ({frame.height} rows)")
    return f'<p><a download="{html.escape(filename)}" href="data:text/csv;base64,{data}">{label}</a></p>'
