"""Why programs fail: the exception class of each failing answer, read from the stored stderr.

Why not the verdict alone: "runtime_error" lumps together a program that is prose run as Python
(SyntaxError), one that reads standard input inside a function task (EOFError), one that uses a
name it never defined (NameError) and one that misparses the input (ValueError). Those are
different stories -- the first two are format failures, not reasoning failures -- so each failing
greedy answer is classed by the exception named on the last line of the traceback of its first
failing test. Answers that failed without an exception keep their verdict (wrong_answer,
timeout, no_code, ...).

Covers: `exception_class`, `error_taxonomy` and its table and chart. Does not cover: re-running code.
"""

from __future__ import annotations

import re

import altair as alt
import polars as pl
from great_tables import GT

from analysis.scores import arm_order, benchmark_order, placeholder_chart

#: `SomeError: message` or a bare `SomeError` on a traceback's last line (dotted names allowed)
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning|Iteration))\b(?::|$)")


def exception_class(stderr: str | None) -> str | None:
    """The exception named by the last traceback line of `stderr` (e.g. "EOFError"), or None."""
    if not stderr:
        return None
    for line in reversed(stderr.strip().splitlines()):
        m = EXCEPTION_LINE.match(line.strip())
        if m:
            return m.group(1).rsplit(".", 1)[-1]
    return None


def failure_kinds(rows: pl.DataFrame, tests: pl.DataFrame) -> pl.DataFrame:
    """One row per failing greedy answer in `rows` with its `kind`: exception class or verdict."""
    failed = rows.filter(~pl.col("ok"))
    first = (tests.filter(pl.col("verdict") != "passed").sort("test_index")
             .group_by("run_id", "question_id", "sample_id", maintain_order=True).first()
             .select("run_id", "question_id", "sample_id", "stderr"))
    joined = failed.join(first, on=["run_id", "question_id", "sample_id"], how="left")
    classes = [exception_class(s) for s in joined["stderr"].to_list()]
    kinds = [c if c else (f"{v} (no traceback)" if v == "runtime_error" else v)
             for c, v in zip(classes, joined["verdict"].to_list())]
    return joined.with_columns(kind=pl.Series(kinds, dtype=pl.Utf8))


def error_taxonomy(rows: pl.DataFrame, tests: pl.DataFrame) -> pl.DataFrame:
    """Failures per benchmark x arm x kind (summed over the arm's seeds), with the arm's attempts."""
    schema = {"benchmark": pl.Utf8, "arm": pl.Utf8, "kind": pl.Utf8, "count": pl.Int64, "attempts": pl.Int64}
    rows = rows.filter(pl.col("subset") == "all")
    if rows.height == 0:
        return pl.DataFrame(schema=schema)
    attempts = rows.group_by("benchmark", "arm").agg(attempts=pl.len().cast(pl.Int64))
    kinds = failure_kinds(rows, tests)
    if kinds.height == 0:
        return pl.DataFrame(schema=schema)
    return (kinds.group_by("benchmark", "arm", "kind").agg(count=pl.len().cast(pl.Int64))
            .join(attempts, on=["benchmark", "arm"]).select(list(schema))
            .sort("benchmark", "arm", pl.col("count"), descending=[False, False, True]))


def taxonomy_table(frame: pl.DataFrame, max_columns: int = 9) -> GT:
    """Failure kinds as rows (most frequent first), `count/attempts` per benchmark x arm column; with
    more than `max_columns` such columns (many arms), one row group per benchmark and arms as columns."""
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["no failing greedy answers under the training prompt"]}))
    benches = benchmark_order(frame["benchmark"].to_list())
    arms = arm_order(frame["arm"].to_list())
    present = set(zip(frame["benchmark"], frame["arm"]))
    cols = [(b, a) for b in benches for a in arms if (b, a) in present]
    totals = frame.group_by("kind").agg(pl.col("count").sum()).sort("count", "kind", descending=[True, False])

    def cell(sub: pl.DataFrame, kind: str) -> str:
        counts = dict(zip(sub["kind"], sub["count"]))
        return f"{counts[kind]}/{int(sub['attempts'][0])}" if kind in counts and sub.height else ""

    if len(cols) <= max_columns:
        out = {"failure": totals["kind"].to_list()}
        for b, a in cols:
            sub = frame.filter((pl.col("benchmark") == b) & (pl.col("arm") == a))
            out[f"{b} · {a}"] = [cell(sub, k) for k in out["failure"]]
        gt = GT(pl.DataFrame(out), rowname_col="failure")
    else:
        rows = []
        for b in benches:
            here = set(frame.filter(pl.col("benchmark") == b)["kind"])
            for k in [k for k in totals["kind"] if k in here]:
                rows.append({"benchmark": b, "failure": k, **{a: cell(frame.filter((pl.col("benchmark") == b)
                                                                                   & (pl.col("arm") == a)), k)
                                                              for a in arms}})
        gt = GT(pl.DataFrame(rows), rowname_col="failure", groupname_col="benchmark")
    return (gt.tab_source_note("Greedy answers at the final checkpoint under the training prompt, summed over the "
                               "arm's training seeds; cell = failing answers of that kind / answers. Exception class "
                               "from the first failing test's stderr; other kinds are the scorer's verdict.")
            .tab_options(table_font_size="12px"))


def taxonomy_chart(frame: pl.DataFrame, top: int = 8) -> alt.Chart:
    """Share of answers per failure kind (the `top` most frequent), one panel per benchmark."""
    if frame.height == 0:
        return placeholder_chart("no failing greedy answers")
    keep = frame.group_by("kind").agg(pl.col("count").sum()).sort("count", descending=True)["kind"].head(top).to_list()
    df = (frame.with_columns(kind=pl.when(pl.col("kind").is_in(keep)).then(pl.col("kind")).otherwise(pl.lit("other")))
          .group_by("benchmark", "arm", "kind").agg(pl.col("count").sum(), pl.col("attempts").first())
          .with_columns(share=pl.col("count") / pl.col("attempts")))
    arms = arm_order(df["arm"].to_list())
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("share:Q", stack="zero", title="share of greedy answers", axis=alt.Axis(format="%")),
        y=alt.Y("arm:N", sort=arms, title=None),
        color=alt.Color("kind:N", sort=keep + ["other"], scale=alt.Scale(scheme="tableau20"), title="failure"),
        tooltip=["benchmark", "arm", "kind", "count", "attempts"],
    ).properties(width=520, height=alt.Step(16)).facet(
        row=alt.Row("benchmark:N", sort=benchmark_order(df["benchmark"].to_list()), title=None))

