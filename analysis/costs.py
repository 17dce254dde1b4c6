"""What the study cost, per stage, from the cost summary the study command writes.

Why a second cost table: `codegen-study study` runs every stage once for the whole study (one
training job trains every arm and seed together, one engine generates for every model state), so
per-model seconds would split one job's seconds over many models or count it many times. Its
summary (`<root>/study-costs.json`: seconds, whether the stage held the GPU and how many attempts
it took, over every resumed invocation) counts each stage -- and so each shared training job --
once. A store made run by run has no summary; the report then shows `context.cost_table`.

Covers: `stage_frame`, `stage_table`, `stage_sentence`. Does not cover: reading the file (`study`).
"""

from __future__ import annotations

import polars as pl
from great_tables import GT

STAGE_SCHEMA = {"stage": pl.Utf8, "seconds": pl.Float64, "gpu": pl.Boolean, "attempts": pl.Int64,
                "overlapped": pl.Boolean}


def stage_frame(costs: dict) -> pl.DataFrame:
    """One row per stage of the summary, in the order the study ran them."""
    rows = [dict(stage=name, seconds=float(s.get("seconds") or 0.0), gpu=bool(s.get("gpu")),
                 attempts=int(s.get("attempts") or 0), overlapped=bool(s.get("overlapped")))
            for name, s in (costs.get("stages") or {}).items()]
    return pl.DataFrame(rows, schema=STAGE_SCHEMA, orient="row") if rows else pl.DataFrame(schema=STAGE_SCHEMA)


def stage_table(costs: dict) -> GT:
    frame = stage_frame(costs)
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["no cost summary (study-costs.json) in this store"]}))
    shown = frame.with_columns(
        device=pl.when(pl.col("gpu")).then(pl.lit("GPU")).otherwise(pl.lit("CPU")),
        note=pl.when(pl.col("overlapped")).then(pl.lit("beside the GPU work (not in the wall total)"))
        .otherwise(pl.lit("")))
    totals = pl.DataFrame([
        dict(stage="GPU stages in all", seconds=costs.get("gpu_seconds_total"), device="GPU", attempts=None, note=""),
        dict(stage="wall time in all", seconds=costs.get("wall_seconds_total"), device="", attempts=None,
             note="stages run one after another")],
        schema={"stage": pl.Utf8, "seconds": pl.Float64, "device": pl.Utf8, "attempts": pl.Int64, "note": pl.Utf8})
    df = pl.concat([shown.select("stage", "seconds", "device", "attempts", "note"), totals])
    return (GT(df, rowname_col="stage")
            .fmt_number(columns=["seconds"], decimals=1)
            .sub_missing(missing_text="—")
            .cols_label(seconds="seconds", device="held", attempts="attempts", note="")
            .tab_source_note("From study-costs.json, written by codegen-study study: seconds per stage summed over "
                             "every attempt (a resumed study counts each attempt); the train stage is one training "
                             "job for every arm and seed, counted once.")
            .tab_options(table_font_size="11px", data_row_padding="2px"))


def stage_sentence(costs: dict, training: dict[str, dict]) -> str:
    """The GPU total and what the train stage holds (never empty: Quarto prints an empty inline value as code)."""
    frame = stage_frame(costs)
    if frame.height == 0:
        return ("This store has no cost summary of the study command (study-costs.json), so the costs below are "
                "per model, read from the run folders.")
    gpu = costs.get("gpu_seconds_total")
    train = frame.filter(pl.col("stage") == "train")
    trained = len(training)
    what = (f"; the train stage ({train['seconds'][0]:.0f} s) trained the {trained} runs and is counted once"
            if train.height and trained else "")
    total = f"{gpu:.0f} GPU seconds in all" if isinstance(gpu, (int, float)) else "GPU seconds not recorded"
    return f"The study took {total}{what}."
