"""How far the evaluated runs were from convergence: a training probe beside the study.

Why: when a step cap ends every run before early stopping fires, the runs' own records say only
that they were still improving, not by how much. A probe trains the same configs (here seed 1 of
each arm) under the recipe's own schedule -- no step cap, so the learning rate is not compressed
into the capped steps -- until early stopping or a time limit, and keeps its training records
only (`<root>/../probe/<model>/`: training.json, losses, resolved config). Set side by side per
arm, the two say how much lower each arm's own validation loss goes when trained on, and which
arms the cap held back most. The probe is not evaluated, so it says nothing about Pass@1.

Covers: `probe_frame` (per arm: the capped runs' own validation loss at their last evaluation,
the probe's at the same step and at its end, and how the probe ended), `probe_table`,
`probe_sentence`, `scope_sentence` (the first screen's one line of it). Does not cover: reading
files (`study`), or the probe's Pass@1.
"""

from __future__ import annotations

import polars as pl
from great_tables import GT

from analysis.design import arm_of_label, arm_order, join_words

PROBE_SCHEMA = {"arm": pl.Utf8, "capped_runs": pl.Int64, "capped_step": pl.Int64, "capped_loss": pl.Float64,
                "probe_model": pl.Utf8, "probe_at_cap_step": pl.Int64, "probe_at_cap": pl.Float64,
                "probe_step": pl.Int64, "probe_best_step": pl.Int64, "probe_loss": pl.Float64,
                "probe_stop": pl.Utf8, "ratio": pl.Float64}
STOP_WORDS = {"early_stopping": "early stopping", "time_limit": "time limit", "max_steps": "step cap",
              "epochs": "epoch ceiling"}


def _own_valid(losses: pl.DataFrame) -> pl.DataFrame:
    return losses.filter(pl.col("split") == "valid").select("model", "step", "loss")


def probe_frame(study, probe) -> pl.DataFrame:
    """Per arm trained in both: the capped runs' own validation loss at their last evaluation (mean
    over seeds), the probe's at its last evaluation at or before that step, and at its best step.
    `probe` None (no probe stored) gives the empty frame."""
    if probe is None or not probe.training:
        return pl.DataFrame(schema=PROBE_SCHEMA)
    mine, theirs = _own_valid(study.losses), _own_valid(probe.losses)
    rows = []
    for model, record in sorted(probe.training.items()):
        arm = arm_of_label(model)
        capped = [m for m in study.training if arm_of_label(m) == arm]
        last = (mine.filter(pl.col("model").is_in(capped)).sort("step").group_by("model", maintain_order=True)
                .last())
        own = theirs.filter(pl.col("model") == model).sort("step")
        if last.height == 0 or own.height == 0:
            continue
        cap_step = int(last["step"].max())
        at_cap = own.filter(pl.col("step") <= cap_step).tail(1)
        best = record.get("best_step")
        at_best = own.filter(pl.col("step") == best) if best is not None else own.tail(0)
        rows.append(dict(arm=arm, capped_runs=last.height, capped_step=cap_step, capped_loss=float(last["loss"].mean()),
                         probe_model=model,
                         probe_at_cap_step=int(at_cap["step"][0]) if at_cap.height else None,
                         probe_at_cap=float(at_cap["loss"][0]) if at_cap.height else None,
                         probe_step=record.get("step"), probe_best_step=best,
                         probe_loss=float(at_best["loss"][0]) if at_best.height else float(own["loss"][-1]),
                         probe_stop=record.get("stop_reason")))
    if not rows:
        return pl.DataFrame(schema=PROBE_SCHEMA)
    for r in rows:  # the capped runs' loss as a multiple of the probe's best
        r["ratio"] = r["capped_loss"] / r["probe_loss"]
    order = {a: i for i, a in enumerate(arm_order([r["arm"] for r in rows]))}
    return pl.DataFrame(sorted(rows, key=lambda r: order[r["arm"]]), schema=PROBE_SCHEMA, orient="row")


def probe_table(frame: pl.DataFrame) -> GT:
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["no training probe stored beside this store (probe/)"]}))
    df = frame.with_columns(
        capped=pl.format("{} (step {}, {} runs)", pl.col("capped_loss").round(4), "capped_step", "capped_runs"),
        same=pl.format("{} (step {})", pl.col("probe_at_cap").round(4), "probe_at_cap_step"),
        best=pl.format("{} (step {})", pl.col("probe_loss").round(4), "probe_best_step"),
        ended=pl.format("{} at step {}", pl.col("probe_stop").replace(STOP_WORDS), "probe_step"),
        ratio=pl.col("ratio").round(1))
    return (GT(df.select("arm", "capped", "same", "best", "ratio", "ended"), rowname_col="arm")
            .cols_label(capped="capped runs, last eval (mean)", same="probe, same step", best="probe, best",
                        ratio="capped ÷ probe best", ended="probe ended by")
            .tab_source_note("Own validation loss (nats per token on the arm's own validation split), from the "
                             "training records: the evaluated runs (step cap, learning-rate schedule over the "
                             "capped steps) and the probe (seed 1, the recipe's own schedule up to the epoch "
                             "ceiling, stopped by early stopping or a time limit; not evaluated).")
            .tab_options(table_font_size="11px", data_row_padding="2px", table_width="100%"))


def probe_sentence(frame: pl.DataFrame) -> str:
    """What the probe says about convergence, arm by arm (never empty)."""
    if frame.height == 0:
        return ("No training probe is stored beside this store, so how far the runs were from convergence is not "
                "measured here.")
    most = frame.sort("ratio", descending=True)
    parts = [f"{r['arm']} {r['probe_loss']:.3f} at step {r['probe_best_step']} against {r['capped_loss']:.3f}"
             for r in most.iter_rows(named=True)]
    early = [f"{r['arm']} (step {r['probe_step']}, best {r['probe_best_step']})"
             for r in frame.iter_rows(named=True) if r["probe_stop"] == "early_stopping"]
    still = [r["arm"] for r in frame.iter_rows(named=True)
             if r["probe_stop"] != "early_stopping" and r["probe_best_step"] == r["probe_step"]]
    lower = int((frame["probe_loss"] < frame["capped_loss"]).sum())
    where = "in every arm" if lower == frame.height else f"in {lower} of {frame.height} arms"
    text = (f"A training probe (seed 1 of each arm under the recipe's own schedule, no step cap; not evaluated) "
            f"reached a lower own validation loss than the capped runs' last evaluation {where}: "
            f"{'; '.join(parts)} (the capped runs' mean).")
    if early:
        text += f" Early stopping fired for {join_words(early)}."
    if still:
        who, one = join_words(still), len(still) == 1
        text += (f" {who[0].upper()}{who[1:]} {'was' if one else 'were'} still improving when the probe stopped, "
                 f"so even its loss is an upper bound on where {'it converges' if one else 'they converge'}.")
    return text + " What the lower loss does to Pass@1 is not measured."


def scope_sentence(frame: pl.DataFrame) -> str:
    """One line for the answer's scope: per arm, the capped runs' own validation loss as a multiple of
    the probe's best (never empty)."""
    if frame.height == 0:
        return "No training probe is stored, so how far the runs were from convergence is not measured."
    rows = list(frame.sort("ratio", descending=True).iter_rows(named=True))
    parts = join_words([f"{r['ratio']:.1f}{' times as high' if i == 0 else ''} for {r['arm']}"
                        for i, r in enumerate(rows)])
    return ("How far from converged: against a training probe that trained on under the recipe's own schedule "
            f"(seed 1, not evaluated; Methods), the capped runs' own validation loss was {parts}.")
