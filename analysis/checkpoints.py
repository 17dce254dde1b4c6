"""Pass@1 across training steps per arm (mean over training seeds, band = seed range), over the loss.

Each arm's curve averages the seeds evaluated at every one of its checkpoints (`complete_seeds`);
a seed evaluated at fewer steps is left out of the curve, and `curve_seeds_sentence` says so.

Why a seed band: with one training seed a rise or dip between checkpoints can be noise of that
seed; the band shows the range the three seeds span at each step. Why the loss below: the best
checkpoint is chosen by validation loss; when that loss keeps falling, best = final and the choice
of checkpoint changes nothing (`best_final_sentence` says so in words).

Which loss is drawn: each run's own validation loss is measured on rows held out of its own
corpus, so a Deep run's and a Diverse run's losses are numbers about different data. When the
store holds the loss on the shared validation set (split `valid_shared`, the same rows for every
arm), that loss is drawn, every arm on one axis; otherwise runs are drawn on one axis only when
their configs name the same validation split (`validation_sets`), else one panel per set.

Covers: the per-step frame, its Altair chart and the best-vs-final sentence. Does not cover:
choosing the best checkpoint (`scores.checkpoint_roles`) or sampled decoding.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from analysis.arms import panel_rows
from analysis.design import arm_color
from analysis.scores import (
    GREEDY,
    PRIMARY_PROMPT,
    arm_order,
    placeholder_chart,
)


def checkpoint_curve(scores: pl.DataFrame, profiles: pl.DataFrame, prompt: str = PRIMARY_PROMPT) -> pl.DataFrame:
    """Per benchmark x subset x arm x step: Pass@1 mean, min and max over seeds (primary profile)."""
    rows = (greedy_rows(scores, prompt).join(profiles, on=["benchmark", "grader", "extraction"], how="semi")
            .filter(~((pl.col("benchmark") == "heldout") & (pl.col("subset") == "all"))))
    schema = {"benchmark": pl.Utf8, "subset": pl.Utf8, "panel": pl.Utf8, "arm": pl.Utf8, "step": pl.Int64,
              "seeds": pl.Int64, "problems": pl.Int64, "pass1": pl.Float64, "pass1_min": pl.Float64,
              "pass1_max": pl.Float64}
    if rows.height == 0:
        return pl.DataFrame(schema=schema)
    rows = rows.join(complete_seeds(rows), on=["arm", "model"], how="semi")
    out = (rows.group_by("benchmark", "subset", "arm", "step")
           .agg(seeds=pl.col("model").n_unique().cast(pl.Int64), problems=pl.col("problems").max().cast(pl.Int64),
                pass1=pl.col("pass1").mean(), pass1_min=pl.col("pass1").min(), pass1_max=pl.col("pass1").max())
           .with_columns(panel=pl.when(pl.col("subset") == "all").then(pl.col("benchmark"))
                         .otherwise(pl.col("benchmark") + ": " + pl.col("subset"))))
    return out.select(list(schema)).sort("benchmark", "subset", "arm", "step")


def greedy_rows(scores: pl.DataFrame, prompt: str) -> pl.DataFrame:
    """Greedy scores under `prompt`, the base model as an arm of its own."""
    return (scores.filter((pl.col("decoding") == GREEDY) & (pl.col("prompt") == prompt))
            .with_columns(arm=pl.col("arm").fill_null(pl.col("model"))))


def complete_seeds(rows: pl.DataFrame) -> pl.DataFrame:
    """(arm, model) of the seeds evaluated at every step their arm was: a mean over whichever
    seeds happen to have a step would jump where the set of seeds changes, not where Pass@1 does."""
    steps = rows.group_by("arm", "model").agg(n=pl.col("step").n_unique())
    top = steps.group_by("arm").agg(top=pl.col("n").max())
    return steps.join(top, on="arm").filter(pl.col("n") == pl.col("top")).select("arm", "model")


def curve_seeds_sentence(scores: pl.DataFrame, prompt: str = PRIMARY_PROMPT) -> str:
    """Which seeds each arm's curve follows, when some seeds lack checkpoints; empty otherwise."""
    rows = greedy_rows(scores, prompt).filter(pl.col("arm") != "base")
    if rows.height == 0:
        return ""
    kept = complete_seeds(rows)
    parts = []
    for arm in arm_order(rows["arm"].unique().to_list()):
        models = sorted(set(rows.filter(pl.col("arm") == arm)["model"]))
        used = sorted(set(kept.filter(pl.col("arm") == arm)["model"]))
        if used != models:
            parts.append(f"the {arm} curve follows {', '.join(used)} alone (of {', '.join(models)}), the seeds "
                         "evaluated at every checkpoint")
    return ("In this chart " + "; ".join(parts) + ".") if parts else ""


def checkpoint_chart(curve: pl.DataFrame, losses: pl.DataFrame, arms_of: dict[str, str] | None = None,
                     configs: dict[str, dict] | None = None):
    """Top: Pass@1 vs step per panel, each with its own axis (line = seed mean, band = seed range,
    dashed = base). Bottom: validation loss vs step per adapter, coloured by arm, one panel per
    validation set (`validation_sets`)."""
    if curve.height == 0:
        return placeholder_chart("not run: no greedy runs under the training prompt")
    arms = arm_order(curve["arm"].to_list())
    color = alt.Color("arm:N", scale=alt.Scale(domain=arms, range=_colors(arms)),
                      legend=alt.Legend(orient="top", symbolOpacity=1))
    max_step = max([1] + curve["step"].to_list())
    grid = [alt.hconcat(*[_curve_panel(curve.filter(pl.col("panel") == name), name, color, arms, max_step)
                          for name in row]) for row in panel_rows(curve)]
    top = alt.vconcat(*grid)
    valid = losses.filter((pl.col("split") == "valid") & pl.col("loss").is_not_null())
    shared = losses.filter((pl.col("split") == SHARED) & pl.col("loss").is_not_null())
    if valid.height == 0 and shared.height == 0:
        return top.configure_axis(labelFontSize=10, titleFontSize=10).configure_title(fontSize=11)

    def with_arm(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(arm=pl.col("model").replace_strict(arms_of or {}, default=None)
                                  .fill_null(pl.col("model").str.split("-").list.first()))

    def loss_panel(frame: pl.DataFrame, title: str, width: int):
        return alt.Chart(frame).mark_line(point=True).encode(
            x=alt.X("step:Q", title="training step", scale=alt.Scale(domain=[0, max_step])),
            y=alt.Y("loss:Q", title="validation loss", scale=alt.Scale(zero=False)),
            color=color, detail="model:N", tooltip=["model", "step", "loss"],
        ).properties(width=width, height=85, title=title)

    if shared.height:  # one set of rows for every arm: one axis
        bottom = loss_panel(with_arm(shared), "loss on the shared validation set (the same rows for every arm)", 600)
    else:
        valid = with_arm(valid)
        sets = validation_sets(configs or {}, valid["model"].unique().to_list())
        valid = valid.with_columns(vset=pl.col("model").replace_strict(sets, default="validation set not recorded"))
        names = sorted(valid["vset"].unique().to_list())
        bottom = alt.hconcat(*[loss_panel(valid.filter(pl.col("vset") == name), name if len(names) > 1 else "",
                                          170 if len(names) > 1 else 600) for name in names]
                             ).resolve_scale(y="independent")
    return (alt.vconcat(top, bottom).resolve_scale(color="shared")
            .configure_axis(labelFontSize=10, titleFontSize=10).configure_title(fontSize=11))


def _colors(arms: list[str]) -> list[str]:
    return [arm_color(a) for a in arms]


def _curve_panel(data: pl.DataFrame, title: str, color: alt.Color, arms: list[str], max_step: int):
    """One panel of the Pass@1 curves, its axis ending a fifth above its own largest value."""
    top_y = min(1.0, max(0.05, float(data["pass1_max"].max() or 0)) * 1.2)
    x = alt.X("step:Q", title="training step", scale=alt.Scale(domain=[0, max_step]))
    y = alt.Y("pass1:Q", title="greedy Pass@1", axis=alt.Axis(format="%", tickCount=4),
              scale=alt.Scale(domain=[0, top_y], nice=False))
    tuned = alt.datum.arm != "base"
    base = alt.Chart(data)
    band = base.transform_filter(tuned).mark_area(opacity=0.2).encode(
        x=x, y=alt.Y("pass1_min:Q", title="greedy Pass@1"), y2="pass1_max:Q",
        color=color)
    styles = [[4, 4], [1, 0], [6, 2], [2, 2], [8, 3, 2, 3], [1, 3], [10, 2], [3, 6]]
    dashes = [styles[i % len(styles)] for i in range(len(arms))]  # arms distinguishable without colour
    line = base.transform_filter(tuned).mark_line(point=True).encode(
        x=x, y=y, color=color,
        strokeDash=alt.StrokeDash("arm:N", scale=alt.Scale(domain=arms, range=dashes), legend=None),
        tooltip=["panel", "arm", "step", "seeds", "pass1", "pass1_min", "pass1_max"])
    rule = base.transform_filter(alt.datum.arm == "base").mark_rule(strokeDash=[4, 4]).encode(y=y, color=color)
    return alt.layer(band, line, rule).properties(width=170, height=90, title=title)


#: the losses split of the shared validation set (the same rows for every arm; never used to stop or select)
SHARED = "valid_shared"
#: the data settings that decide which rows a run validates on
VALIDATION_KEYS = ("path", "hub_split", "split", "split_field", "exclude_splits", "valid_fraction", "seed",
                   "max_length")


def validation_sets(configs: dict[str, dict], models: list[str]) -> dict[str, str]:
    """model -> a label of its validation set ("loss on <corpus>'s validation rows"); models whose
    configs name the same data settings share a label, so their losses share a panel."""
    keys = {m: tuple(str(configs.get(m, {}).get("data", {}).get(k)) for k in VALIDATION_KEYS) for m in models}
    labels = {}
    for key in sorted(set(keys.values())):
        path = key[0] if key[0] != "None" else "unrecorded data"
        same_path = [k for k in set(keys.values()) if k[0] == key[0]]
        suffix = "" if len(same_path) == 1 else f" (split {sorted(same_path).index(key) + 1})"
        labels[key] = f"loss on {path.rsplit('/', 1)[-1]} validation rows{suffix}"
    return {m: labels[k] for m, k in keys.items()}


def loss_sentence(configs: dict[str, dict], losses: pl.DataFrame) -> str:
    """Whether the validation losses in the checkpoint figure are comparable across runs."""
    if losses.filter(pl.col("split") == SHARED).height:
        return ("The loss curves are each run's loss on the shared validation set (one set of rows for every arm), "
                "so all arms share one axis; each run's own validation loss, which early stopping and the best "
                "checkpoint use, is measured on its own corpus's rows and is not drawn.")
    models = losses.filter(pl.col("split") == "valid")["model"].unique().to_list()
    if not models:
        return "No validation losses were stored."
    sets = set(validation_sets(configs, models).values())
    if len(sets) == 1:
        return "Every run's validation loss is measured on the same validation rows, so the losses share one axis."
    return (f"The runs' validation losses come from {len(sets)} different validation sets (each corpus holds out its "
            "own rows), so they are not comparable between sets: each set has its own panel and axis.")


def best_final_sentence(roles: pl.DataFrame) -> str:
    """Whether checkpoint selection by validation loss changes anything, per adapter."""
    tuned = roles.filter(pl.col("role") != "base")
    if tuned.height == 0:
        return "No fine-tuned checkpoints were evaluated."
    wide = tuned.pivot(on="role", index="model", values="step")
    if "best" not in wide.columns:
        return "No validation losses were stored, so the best checkpoint is the final one for every adapter."
    same = wide.filter(pl.col("best") == pl.col("final"))["model"].to_list()
    differ = wide.filter(pl.col("best") != pl.col("final"))
    if differ.height == 0:
        return (f"For all {wide.height} adapters the lowest validation loss is at the final checkpoint, so best = final"
                " "
                "and choosing the checkpoint by validation loss changes nothing.")
    parts = ", ".join(f"{m} (best step {b}, final {f})"
                      for m, b, f in differ.select("model", "best", "final").iter_rows())
    return (f"For {len(same)} of {wide.height} adapters best = final; the validation loss was lowest before the end "
            f"for {parts}.")
