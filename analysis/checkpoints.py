"""Pass@1 across training steps, drawn over the training and validation loss.

Why overlay losses: the question "did more training help?" has two answers that can disagree --
the validation loss (what the best checkpoint is chosen by) and the benchmark score. Stacking
Pass@1 panels (one per benchmark) over the loss panel on the same step axis makes it visible
when the loss keeps falling while Pass@1 does not.

Covers: the per-step greedy frame and its Altair chart. Does not cover: choosing the best
checkpoint (`scores.checkpoint_roles`) or sampled decoding (only some steps have it).
"""

from __future__ import annotations

import altair as alt
import polars as pl

from analysis.scores import GREEDY, benchmark_order, model_order, placeholder_chart


def checkpoint_curve(scores: pl.DataFrame, profiles: pl.DataFrame, subset: str = "all") -> pl.DataFrame:
    """Greedy Pass@1 + Wilson interval for every (benchmark, model, step), primary profiles only."""
    return (
        scores.filter((pl.col("decoding") == GREEDY) & (pl.col("subset") == subset))
        .join(profiles, on=["benchmark", "grader", "extraction"], how="semi")
        .select("benchmark", "model", "step", "solved", "problems", "pass1", "lo", "hi")
        .sort("benchmark", "model", "step")
    )


def checkpoint_chart(curve: pl.DataFrame, losses: pl.DataFrame) -> alt.TopLevelMixin:
    """Top: Pass@1 vs step per benchmark (band and whiskers = 95% interval, dashed rule = base).
    Bottom: train (solid) and validation (dashed) loss vs step."""
    if curve.height == 0:
        return placeholder_chart("no greedy runs in this store: not run")
    lossy = losses.filter(pl.col("loss").is_not_null())
    models = model_order(curve["model"].to_list() + lossy["model"].to_list())
    # the interval band is translucent; keep the legend symbols opaque so colours stay readable
    color = alt.Color("model:N", sort=models, scale=alt.Scale(domain=models), legend=alt.Legend(symbolOpacity=1))
    max_step = max([1] + curve["step"].to_list() + lossy["step"].to_list())
    x = alt.X("step:Q", title="training step", scale=alt.Scale(domain=[0, max_step]))
    y = alt.Y("pass1:Q", title="greedy Pass@1", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    tuned = alt.datum.model != "base"
    chart = alt.Chart(curve)
    band = chart.transform_filter(tuned).mark_area(opacity=0.18).encode(x=x, y=alt.Y("lo:Q", title="greedy Pass@1"),
                                                                        y2="hi:Q", color=color)
    whisker = chart.transform_filter(tuned).mark_rule(opacity=0.6).encode(x=x, y="lo:Q", y2="hi:Q", color=color)
    line = chart.transform_filter(tuned).mark_line(point=True).encode(
        x=x, y=y, color=color, tooltip=["benchmark", "model", "step", "solved", "problems"])
    rule = chart.transform_filter(alt.datum.model == "base").mark_rule(strokeDash=[4, 4]).encode(
        y=y, color=color, tooltip=["model", "solved", "problems"])
    top = (alt.layer(band, whisker, line, rule).properties(width=560, height=150)
           .facet(row=alt.Row("benchmark:N", sort=benchmark_order(curve["benchmark"].to_list()), title=None)))
    if lossy.height == 0:
        return top
    bottom = alt.Chart(lossy).mark_line(point=True).encode(
        x=x, y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)), color=color,
        strokeDash=alt.StrokeDash("split:N", title="loss split"),
        tooltip=["model", "step", "split", "loss"],
    ).properties(width=560, height=130)
    return alt.vconcat(top, bottom).resolve_scale(color="shared")
