"""Per arm (the controls and trained arms of `analysis.design`): Pass@1 over seeds, per held-out group and family.

The primary measure is greedy Pass@1 at each adapter's final checkpoint under the training
prompt and each benchmark's primary grading profile. An arm has one model per training seed, so
an arm's number is the mean over seeds with the range beside it (what one seed alone could have
shown), and an interval from a bootstrap over problems of the per-problem pass rate averaged
over seeds. On the synthetic benchmark whole task families are resampled (problems of one family
share a template, so they are not independent) when a row has at least `MIN_CLUSTERS` families;
an arm that solves nothing gets the rule-of-three bound [0, 3/n] instead of a degenerate [0, 0].

Covers: `primary_rows`, `arm_scores` (+ table and chart), `family_scores`, `date_scores`.
Does not cover: paired tests between models (`significance`).
"""

from __future__ import annotations

import altair as alt
import polars as pl
from great_tables import GT

from analysis.design import arm_color
from analysis.problems import at_role
from analysis.scores import (
    arm_order,
    benchmark_order,
    placeholder_chart,
    select_profile,
    subset_order,
)
from codegen_study.scoring.metrics import bootstrap_ci, cluster_bootstrap_ci, rule_of_three, seed_summary

CLUSTERED = "heldout"  # the benchmark whose problems come in task families
#: fewer families than this and a family bootstrap has too few units to resample: use problems
MIN_CLUSTERS = 5


def primary_rows(per: pl.DataFrame, roles: pl.DataFrame, profiles: pl.DataFrame, role: str = "final",
                 prompt: str | None = "train") -> pl.DataFrame:
    """Greedy per-problem rows of the primary measure, with a pass flag `ok` and subsets.

    Each problem appears once under subset "all" and once under its group (held-out only).
    """
    rows = select_profile(at_role(per, roles, role, prompt=prompt), profiles, prompt=prompt)
    rows = rows.with_columns(ok=pl.col("c") > 0, arm=pl.col("arm").fill_null(pl.col("model")))
    everything = rows.with_columns(subset=pl.lit("all"))
    groups = rows.filter(pl.col("group").is_not_null()).with_columns(subset=pl.col("group"))
    return pl.concat([everything, groups], how="vertical_relaxed")


def interval(values: list[float], clusters: list | None, n_boot: int, seed: int = 0) -> tuple[float, float]:
    """95% interval of a mean pass rate: rule of three at 0, cluster bootstrap when clustered."""
    if not any(values):
        return rule_of_three(len(values))
    if clustered(clusters):
        return cluster_bootstrap_ci(values, clusters, n_boot=n_boot, seed=seed)
    return bootstrap_ci(values, None, n_boot=n_boot, seed=seed)


def clustered(clusters: list | None) -> bool:
    """Whether an interval resamples families: every problem has one, and there are enough of them."""
    return clusters is not None and all(c is not None for c in clusters) and len(set(clusters)) >= MIN_CLUSTERS


ARM_SCHEMA = {"benchmark": pl.Utf8, "subset": pl.Utf8, "arm": pl.Utf8, "seeds": pl.Int64, "problems": pl.Int64,
              "solved_mean": pl.Float64, "solved_min": pl.Int64, "solved_max": pl.Int64, "pass1": pl.Float64,
              "pass1_min": pl.Float64, "pass1_max": pl.Float64, "lo": pl.Float64, "hi": pl.Float64,
              "clustered": pl.Boolean, "per_seed": pl.Utf8}


def arm_scores(rows: pl.DataFrame, n_boot: int = 1000) -> pl.DataFrame:
    """Per benchmark x subset x arm: solved per seed (mean, min, max), Pass@1 and its interval."""
    out = []
    for (bench, subset, arm), g in rows.group_by("benchmark", "subset", "arm", maintain_order=True):
        per_model = g.group_by("model").agg(solved=pl.col("ok").sum().cast(pl.Int64), problems=pl.len()).sort("model")
        problems = int(per_model["problems"].max())
        mean, lo_k, hi_k = seed_summary(per_model["solved"].to_list())
        per_problem = (g.group_by("question_id").agg(rate=pl.col("ok").cast(pl.Float64).mean(),
                                                     family=pl.col("family").first()).sort("question_id"))
        clusters = per_problem["family"].to_list() if bench == CLUSTERED else None
        lo, hi = interval(per_problem["rate"].to_list(), clusters, n_boot)
        out.append(dict(benchmark=bench, subset=subset, arm=arm, seeds=per_model.height, problems=problems,
                        solved_mean=mean, solved_min=int(lo_k), solved_max=int(hi_k), pass1=mean / problems,
                        pass1_min=lo_k / problems, pass1_max=hi_k / problems, lo=lo, hi=hi,
                        clustered=clustered(clusters),
                        per_seed=", ".join(f"{m} {k}" for m, k in zip(per_model["model"], per_model["solved"]))))
    df = pl.DataFrame(out, schema=ARM_SCHEMA, orient="row") if out else pl.DataFrame(schema=ARM_SCHEMA)
    return sort_frame(df)


def sort_frame(df: pl.DataFrame, arm_col: str = "arm") -> pl.DataFrame:
    if df.height == 0:
        return df
    border = {b: i for i, b in enumerate(benchmark_order(df["benchmark"].to_list()))}
    sorder = {s: i for i, s in enumerate(subset_order(df["subset"].to_list()))}
    aorder = {a: i for i, a in enumerate(arm_order(df[arm_col].to_list()))}
    return df.sort(pl.col("benchmark").replace_strict(border), pl.col("subset").replace_strict(sorder),
                   pl.col(arm_col).replace_strict(aorder, default=99), maintain_order=True)


def cell_text(r: dict) -> str:
    """E.g. `4.3/6 (seeds 4–5) · 72% [45, 95]`: mean solved over seeds, range, Pass@1, interval."""
    k = f"{r['solved_mean']:.1f}".removesuffix(".0") if r["seeds"] > 1 else str(r["solved_min"])
    spread = ("" if r["seeds"] == 1 else f" (all seeds {r['solved_min']})" if r["solved_min"] == r["solved_max"]
              else f" (seeds {r['solved_min']}–{r['solved_max']})")
    return f"{k}/{r['problems']}{spread} · {100 * r['pass1']:.0f}% [{100 * r['lo']:.0f}, {100 * r['hi']:.0f}]"


def column_name(benchmark: str, subset: str, problems: int) -> str:
    label = benchmark if subset == "all" else f"{benchmark}: {subset.replace('_', ' ')}"
    return f"{label} (n={problems})"


def arm_table(scores: pl.DataFrame, columns: list[tuple[str, str]] | None = None, title: str = "") -> GT:
    """Chosen (benchmark, subset) pairs as rows, arms as columns; cells from `cell_text`."""
    if columns is not None:
        keep = pl.DataFrame(columns, schema={"benchmark": pl.Utf8, "subset": pl.Utf8}, orient="row")
        scores = scores.join(keep, on=["benchmark", "subset"], how="semi")
    if scores.height == 0:
        return GT(pl.DataFrame({"note": ["not run: no greedy runs under the training prompt in this store"]}))
    df = scores.with_columns(
        cell=pl.Series([cell_text(r) for r in scores.iter_rows(named=True)], dtype=pl.Utf8),
        row=pl.Series([column_name(b, s, n) for b, s, n in zip(scores["benchmark"], scores["subset"],
                                                                scores["problems"])], dtype=pl.Utf8))
    arms = arm_order(df["arm"].to_list())
    wide = df.pivot(on="arm", index="row", values="cell", aggregate_function="first", maintain_order=True)
    wide = wide.select("row", *arms).fill_null("not run")
    seeds = ", ".join(f"{a} {n}" for a, n in scores.group_by("arm").agg(pl.col("seeds").max())
                      .sort(pl.col("arm").replace_strict({a: i for i, a in enumerate(arms)})).iter_rows())
    gt = (GT(wide, rowname_col="row")
          .tab_source_note("Cell: problems solved, mean over training seeds (range over seeds) · Pass@1 "
                           "[95% interval]. "
                           f"Training seeds: {seeds}. Interval: bootstrap over problems of the per-problem pass rate "
                           "averaged over seeds, resampling whole task families on heldout where a row has at least "
                           f"{MIN_CLUSTERS} families; [0, 3/n] (rule of three) when nothing is solved.")
          .tab_options(table_width="100%", table_font_size="13px", data_row_padding="3px"))
    return gt.tab_header(title=title) if title else gt


def arm_chart(rows: pl.DataFrame, width: int = 150):
    """Pass@1 per model (dots, k/n labels), one panel per held-out group and benchmark.

    Each panel has its own axis (a panel whose values stay under a few percent is not squeezed
    against one that reaches 100%); the held-out groups share a row, the other benchmarks the
    next one, so no row ends in an empty panel.
    """
    if rows.height == 0:
        return placeholder_chart("not run: no greedy runs under the training prompt")
    per = (rows.group_by("benchmark", "subset", "arm", "model")
           .agg(solved=pl.col("ok").sum().cast(pl.Int64), problems=pl.len().cast(pl.Int64))
           .with_columns(pass1=pl.col("solved") / pl.col("problems"),
                         label=pl.format("{}/{}", "solved", "problems"),
                         panel=pl.when(pl.col("subset") == "all").then(pl.col("benchmark"))
                         .otherwise(pl.col("benchmark") + ": " + pl.col("subset").str.replace_all("_", " "))))
    if per.filter((pl.col("benchmark") == CLUSTERED) & (pl.col("subset") != "all")).height:
        per = per.filter(~((pl.col("benchmark") == CLUSTERED) & (pl.col("subset") == "all")))
    arms = arm_order(per["arm"].to_list())
    colors = [arm_color(a) for a in arms]
    color = alt.Color("arm:N", scale=alt.Scale(domain=arms, range=colors), legend=alt.Legend(orient="top"))
    models = sorted(per["model"].unique().to_list(), key=lambda m: (m != "base", m))
    grid = [alt.hconcat(*[_panel(per.filter(pl.col("panel") == name), name, color, models, width) for name in row])
            for row in panel_rows(per)]
    return (alt.vconcat(*grid).resolve_scale(color="shared")
            .configure_axis(labelFontSize=10, titleFontSize=10).configure_title(fontSize=11))


def panel_rows(frame: pl.DataFrame, per_row: int = 3) -> list[list[str]]:
    """The `panel` names of `frame` (with benchmark and subset columns) laid out in rows: the
    held-out groups on one row, the other benchmarks after them, at most `per_row` a row, so no
    row ends in an empty panel."""
    keys = frame.select("benchmark", "subset", "panel").unique()
    border = {b: i for i, b in enumerate(benchmark_order(keys["benchmark"].to_list()))}
    sorder = {s: i for i, s in enumerate(subset_order(keys["subset"].to_list()))}
    keys = keys.sort(pl.col("benchmark").replace_strict(border), pl.col("subset").replace_strict(sorder))
    rows: list[list[str]] = []
    for bench in keys["benchmark"].unique(maintain_order=True).to_list():
        names = keys.filter(pl.col("benchmark") == bench)["panel"].to_list()
        if bench == CLUSTERED or not rows or len(rows[-1]) + len(names) > per_row:
            rows.append(names)
        else:
            rows[-1].extend(names)
    return rows


def _panel(data: pl.DataFrame, title: str, color: alt.Color, models: list[str], width: int) -> alt.LayerChart:
    """One panel of `arm_chart`, its axis ending a quarter above its own largest value."""
    top = min(1.0, max(0.05, float(data["pass1"].max() or 0)) * 1.3)
    base = alt.Chart(data).encode(
        y=alt.Y("model:N", title=None, sort=models),
        x=alt.X("pass1:Q", title="greedy Pass@1", scale=alt.Scale(domain=[0, top], nice=False),
                axis=alt.Axis(format="%", tickCount=4)),
        color=color)
    return (alt.layer(base.mark_point(filled=True, size=60, opacity=1),
                      base.mark_text(align="left", dx=6, fontSize=9).encode(text="label:N"))
            .properties(width=width, height=alt.Step(13), title=title))


def family_scores(rows: pl.DataFrame) -> pl.DataFrame:
    """Held-out problems solved per family x arm (summed over seeds, out of problems x seeds)."""
    held = rows.filter((pl.col("benchmark") == CLUSTERED) & (pl.col("subset") == "all")
                       & pl.col("family").is_not_null())
    schema = {"group": pl.Utf8, "family": pl.Utf8, "arm": pl.Utf8, "solved": pl.Int64, "attempts": pl.Int64}
    if held.height == 0:
        return pl.DataFrame(schema=schema)
    return (held.group_by("group", "family", "arm").agg(solved=pl.col("ok").sum().cast(pl.Int64),
                                                        attempts=pl.len().cast(pl.Int64))
            .select(list(schema)).sort("group", "family", "arm"))


def family_table(frame: pl.DataFrame) -> GT:
    """Families as rows (grouped by held-out group), arms as columns, cells `solved/attempts`."""
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["not run: no held-out problems with a family in this store"]}))
    df = frame.with_columns(cell=pl.format("{}/{}", "solved", "attempts"))
    arms = arm_order(df["arm"].to_list())
    wide = df.pivot(on="arm", index=["group", "family"], values="cell").fill_null("not run")
    order = {g: i for i, g in enumerate(subset_order(wide["group"].to_list()))}
    wide = wide.sort(pl.col("group").replace_strict(order, default=99), "family")
    return (GT(wide.select("group", "family", *arms), rowname_col="family", groupname_col="group")
            .tab_source_note("Cell: greedy passes summed over the arm's training seeds / (problems x seeds)."))


def date_scores(rows: pl.DataFrame, benchmark: str = "lcb41") -> pl.DataFrame:
    """Pass rate per contest month x arm on `benchmark` (passes over problems x seeds)."""
    schema = {"month": pl.Utf8, "arm": pl.Utf8, "solved": pl.Int64, "attempts": pl.Int64, "problems": pl.Int64,
              "rate": pl.Float64}
    sub = rows.filter((pl.col("benchmark") == benchmark) & (pl.col("subset") == "all") & pl.col("date").is_not_null())
    if sub.height == 0:
        return pl.DataFrame(schema=schema)
    return (sub.with_columns(month=pl.col("date").str.slice(0, 7))
            .group_by("month", "arm").agg(solved=pl.col("ok").sum().cast(pl.Int64), attempts=pl.len().cast(pl.Int64),
                                          problems=pl.col("question_id").n_unique().cast(pl.Int64))
            .with_columns(rate=pl.col("solved") / pl.col("attempts")).select(list(schema)).sort("month", "arm"))


def date_chart(frame: pl.DataFrame) -> alt.Chart:
    """Pass rate by contest month, one line per arm, labelled passes/attempts."""
    if frame.height == 0:
        return placeholder_chart("not run: no dated problems")
    arms = arm_order(frame["arm"].to_list())
    colors = [arm_color(a) for a in arms]
    df = frame.with_columns(label=pl.format("{}/{}", "solved", "attempts"))
    top = max(0.05, float(df["rate"].max() or 0)) * 1.25
    base = alt.Chart(df).encode(
        x=alt.X("month:O", title="contest month"),
        y=alt.Y("rate:Q", title="greedy pass rate", scale=alt.Scale(domain=[0, min(1.0, top)]),
                axis=alt.Axis(format="%")),
        color=alt.Color("arm:N", scale=alt.Scale(domain=arms, range=colors)),
        xOffset=alt.XOffset("arm:N", sort=arms),
    )
    return (base.mark_point(filled=True, size=60) + base.mark_text(dy=-9, fontSize=9).encode(text="label:N")
            ).properties(width=620, height=180)
