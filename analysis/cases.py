"""Case studies chosen automatically: problems where the models disagree, shown side by side.

Why automatic: hand-picked examples drift toward the flattering ones. Here a problem qualifies
when, under greedy decoding at each model's final checkpoint and the primary grading profile,
some models pass it and some do not; problems where the fine-tuned models disagree with each
other come first, and the picks rotate over benchmarks so each one is represented.

Everything shown comes from the store (the extracted code in `samples`, the first failing test's
input/expected/actual in `tests`, recorded at scoring time): no code is re-run here.

Does not cover: sampled decoding, or problems every model passes or fails.
"""

from __future__ import annotations

import html

import polars as pl
from great_tables import GT

from analysis.problems import at_role
from analysis.scores import benchmark_order, model_order

#: truncation of code / test I/O in the case tables (characters)
MAX_CODE = 1200
MAX_IO = 300


def truncate(text: str | None, limit: int) -> str:
    """Cut long text, saying how much was cut (so truncation is never silent)."""
    if text is None:
        return ""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… [{len(text) - limit} more characters]"


def pick_cases(per: pl.DataFrame, roles: pl.DataFrame, profiles: pl.DataFrame, max_cases: int = 3) -> pl.DataFrame:
    """Problems on which the models disagree, fine-tuned disagreements first, rotating benchmarks."""
    rows = at_role(per, roles).join(profiles, on=["benchmark", "grader", "extraction"], how="semi")
    stats = (rows.group_by("benchmark", "question_id", "title", "url")
             .agg(models=pl.len(), passes=(pl.col("c") > 0).sum(),
                  tuned=(pl.col("model") != "base").sum(),
                  tuned_passes=((pl.col("c") > 0) & (pl.col("model") != "base")).sum())
             .filter((pl.col("passes") > 0) & (pl.col("passes") < pl.col("models")))
             .with_columns(tuned_split=(pl.col("tuned_passes") > 0) & (pl.col("tuned_passes") < pl.col("tuned")))
             .sort("tuned_split", "question_id", descending=[True, False]))
    per_bench = {b: stats.filter(pl.col("benchmark") == b) for b in benchmark_order(stats["benchmark"].to_list())}
    picked = []
    for i in range(max_cases):
        for bench in per_bench:
            if len(picked) < max_cases and i < per_bench[bench].height:
                picked.append(per_bench[bench].row(i, named=True))
    schema = {"benchmark": pl.Utf8, "question_id": pl.Utf8, "title": pl.Utf8, "url": pl.Utf8, "passes": pl.Int64, "models": pl.Int64}
    return pl.DataFrame([{k: r[k] for k in schema} for r in picked], schema=schema)


def case_detail(per: pl.DataFrame, samples: pl.DataFrame, tests: pl.DataFrame, roles: pl.DataFrame,
                profiles: pl.DataFrame, benchmark: str, question_id: str) -> pl.DataFrame:
    """Per model: step, verdict, extracted code, first failing test (input/expected/actual/stderr)."""
    rows = (at_role(per, roles).join(profiles, on=["benchmark", "grader", "extraction"], how="semi")
            .filter((pl.col("benchmark") == benchmark) & (pl.col("question_id") == question_id))
            .join(samples.select("run_id", "question_id", "sample_id", "code"), on=["run_id", "question_id", "sample_id"], how="left"))
    failing = (tests.filter(pl.col("verdict") != "passed").sort("test_index")
               .group_by("run_id", "question_id", "sample_id", maintain_order=True).first()
               .select("run_id", "question_id", "sample_id", "test_index", "public", "input", "expected", "actual", "stderr"))
    rows = rows.join(failing, on=["run_id", "question_id", "sample_id"], how="left")
    order = {m: i for i, m in enumerate(model_order(rows["model"].to_list()))}
    return rows.select("model", "step", "verdict", "code", "test_index", "public", "input", "expected", "actual", "stderr").sort(
        pl.col("model").replace_strict(order, default=99))


def _pre(text: str) -> str:
    if not text:
        return ""
    return f'<pre style="white-space:pre-wrap;margin:0;font-size:0.8em">{html.escape(text)}</pre>'


def case_table(detail: pl.DataFrame, title: str = "") -> GT:
    """Models as columns; rows: verdict, code, and the first failing test's input/expected/actual."""
    cols = {}
    for r in detail.iter_rows(named=True):
        if r["verdict"] == "passed":
            test = "—"
        elif r["test_index"] is None:
            test = "no test ran (no code extracted)" if r["verdict"] == "no_code" else "not recorded"
        else:
            test = f"test {r['test_index']} ({'public' if r['public'] else 'private'})"
        cols[f"{r['model']} (step {r['step']})"] = [
            html.escape(("✓ " if r["verdict"] == "passed" else "✗ ") + (r["verdict"] or "")),
            _pre(truncate(r["code"], MAX_CODE)) if r["code"] else "<em>no code extracted</em>",
            html.escape(test),
            _pre(truncate(r["input"], MAX_IO)), _pre(truncate(r["expected"], MAX_IO)),
            _pre(truncate(r["actual"], MAX_IO)), _pre(truncate(r["stderr"], MAX_IO)),
        ]
    fields = ["verdict", "extracted code", "first failing test", "input", "expected", "actual", "stderr"]
    df = pl.DataFrame({"": fields, **cols})
    gt = GT(df, rowname_col="").fmt(lambda x: x, columns=list(cols))
    return gt.tab_header(title=title) if title else gt
