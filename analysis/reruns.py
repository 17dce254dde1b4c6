"""The same model made twice: how far two trainings (or two generations) of one configuration land.

Why: GPU training is not bit-reproducible (atomic additions in the backward pass, kernel choices),
so training a run again with the same configuration and seed gives another adapter, and generating
again with another batch size gives slightly other logits. How far apart the two land is a source
of variation that the spread over training seeds already contains but cannot name; the report
shows it next to the seed ranges, so a difference between arms is read against it.

Input: two studies holding models with the same labels (the study under `data/runs` and an earlier
making of some of its models under `data/reruns`). Per model, benchmark, problem group and prompt:
problems solved by each making at its final checkpoint (greedy, primary grading profile) and
problems whose verdict differs between them.

Covers: that comparison, as a frame, a table and a sentence. Does not cover: reading files
(`study`), or why two makings differ.
"""

from __future__ import annotations

import polars as pl
from great_tables import GT

from analysis.arms import primary_rows
from analysis.design import GROUP_ORDER
from analysis.scores import checkpoint_roles, model_order, primary_profiles, problem_results, subset_order

RERUN_SCHEMA = {"model": pl.Utf8, "benchmark": pl.Utf8, "subset": pl.Utf8, "prompt": pl.Utf8,
                "problems": pl.Int64, "first": pl.Int64, "second": pl.Int64, "differ": pl.Int64}
#: the subsets the table shows: each held-out group (either design's names), and the other benchmarks whole
SHOWN = tuple(("heldout", g) for g in GROUP_ORDER) + (("lcb41", "all"), ("humaneval", "all"))


def shown(frame: pl.DataFrame) -> list[tuple[str, str]]:
    """`SHOWN` pairs present in `frame`, plus any other held-out group it holds (in group order)."""
    held = frame.filter((pl.col("benchmark") == "heldout") & (pl.col("subset") != "all"))["subset"].to_list()
    extra = [("heldout", g) for g in subset_order(held) if ("heldout", g) not in SHOWN]
    return [p for p in SHOWN if p[0] != "heldout" or p[1] in set(held)] + extra


def _final_rows(study) -> pl.DataFrame:
    per = problem_results(study)
    roles = checkpoint_roles(study.runs, study.losses)
    # the final checkpoints' rows carry the base model's too (each comparison shows it)
    rows = primary_rows(per, roles, primary_profiles(study.runs), role="final", prompt=None)
    return rows.select("model", "benchmark", "subset", "prompt", "question_id", "ok").unique(
        subset=["model", "benchmark", "subset", "prompt", "question_id"], keep="first", maintain_order=True)


def rerun_frame(first, second) -> pl.DataFrame:
    """Per model x benchmark x subset x prompt held by both studies: solved by each, and differing.
    `first` None (no earlier making stored) gives the empty frame."""
    if first is None:
        return pl.DataFrame(schema=RERUN_SCHEMA)
    a = _final_rows(first)
    b = _final_rows(second).rename({"ok": "ok2"})
    j = a.join(b, on=["model", "benchmark", "subset", "prompt", "question_id"], how="inner")
    if j.height == 0:
        return pl.DataFrame(schema=RERUN_SCHEMA)
    out = (j.group_by("model", "benchmark", "subset", "prompt")
           .agg(problems=pl.len().cast(pl.Int64), first=pl.col("ok").sum().cast(pl.Int64),
                second=pl.col("ok2").sum().cast(pl.Int64),
                differ=(pl.col("ok") != pl.col("ok2")).sum().cast(pl.Int64)))
    order = {m: i for i, m in enumerate(model_order(out["model"].to_list()))}
    return out.select(list(RERUN_SCHEMA)).sort(pl.col("model").replace_strict(order), "prompt", "benchmark",
                                               "subset")


def rerun_table(frame: pl.DataFrame) -> GT:
    """Rows: model and prompt; columns: the shown subsets, each cell `first -> second (n differ)`."""
    pairs = shown(frame)
    keep = pl.DataFrame(pairs, schema=["benchmark", "subset"], orient="row")
    df = frame.join(keep, on=["benchmark", "subset"], how="semi").with_columns(
        column=pl.col("benchmark") + " " + pl.col("subset") + " (" + pl.col("problems").cast(pl.Utf8) + ")",
        cell=pl.col("first").cast(pl.Utf8) + " → " + pl.col("second").cast(pl.Utf8)
        + " (" + pl.col("differ").cast(pl.Utf8) + " differ)")
    if df.height == 0:
        return GT(pl.DataFrame({"note": ["no model is stored twice"]}))
    columns = [c for b, s in pairs for c in df.filter((pl.col("benchmark") == b) & (pl.col("subset") == s))
               ["column"].unique().to_list()]
    wide = df.pivot(on="column", index=["model", "prompt"], values="cell").select("model", "prompt", *columns)
    order = {m: i for i, m in enumerate(model_order(wide["model"].to_list()))}
    return GT(wide.sort(pl.col("model").replace_strict(order), "prompt"), rowname_col="model")


def rerun_sentence(frame: pl.DataFrame) -> str:
    """The largest change of a trained model's held-out group count between its two makings."""
    trained = frame.filter((pl.col("model") != "base") & (pl.col("benchmark") == "heldout")
                           & (pl.col("subset") != "all"))
    if frame.height == 0:
        return ("No model of this study is also stored in the earlier making (data/reruns), so training-to-training "
                "variation is not measured here.")
    if trained.height == 0:
        return "No trained model is stored twice, so training-to-training variation is not measured here."
    moved = trained.with_columns(moved=(pl.col("second") - pl.col("first")).abs())
    top = moved.sort("moved", descending=True).row(0, named=True)
    models = ", ".join(model_order(trained["model"].unique().to_list()))
    return (f"Trained a second time with the same configuration and seed ({models}), a model's final greedy "
            f"count on one held-out group moved by up to {top['moved']} of {top['problems']} problems "
            f"({top['model']}, {top['subset']}, {top['prompt']} prompt: {top['first']} → {top['second']}); "
            f"the median move was {int(moved['moved'].median())}, and up to {int(trained['differ'].max())} "
            f"problems of a group changed verdict.")
