"""Methods stated before any result: each arm's training budget and whether its runs converged.

Why from the stores: the recipe (early stopping on the run's own validation loss, its patience, the
evaluation interval, the smallest improvement that counts, the epoch ceiling) is read from each run
folder's resolved training config, and how each run ended (`stop_reason`: `early_stopping`,
`epochs`, `max_steps` or `time_limit`) from its `training.json`, so the Methods section says what
was run, not what was meant to be. A run that ends on the epoch ceiling, a step cap or a time
limit did not converge by the recipe's own criterion; the sentence names its arm.

The first study's pair (`design.FIXED_BUDGET_ARMS`: deep, diverse), trained for a fixed number of
epochs, is a sensitivity row when the store holds it; a store without it gets a sentence saying so.

Covers: `budget_frame`, `arm_budgets`, `budget_table`, `budget_sentence`, `budget_paragraph`,
`ceiling_sentence` (what training the runs a limit cut short on to their ceiling would cost),
`fixed_budget_sentence`, `format_sentence` (base vs base-1shot vs the trained arms). Does not
cover: reading files (`study`).
"""

from __future__ import annotations

import dataclasses

import polars as pl
from great_tables import GT

from analysis.design import CONTROLS, FIXED_BUDGET_ARMS, HELD_OUT, arm_of_label, arm_order, join_words

#: the [train] keys of the budget, with the training loop's defaults for configs that predate a key
BUDGET_KEYS = ("epochs", "early_stopping_patience", "eval_every", "early_stopping_min_delta", "max_steps",
               "time_limit")

RUN_SCHEMA = {"model": pl.Utf8, "arm": pl.Utf8, "seed": pl.Int64, "fixed": pl.Boolean, "epochs": pl.Float64,
              "patience": pl.Int64, "eval_every": pl.Int64, "min_delta": pl.Float64, "stop_reason": pl.Utf8,
              "step": pl.Int64, "best_step": pl.Int64, "total_steps": pl.Int64, "max_steps": pl.Int64,
              "time_limit": pl.Float64}


def _defaults() -> dict:
    from codegen_study.training.train_config import TrainConfig

    return {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.name in BUDGET_KEYS}


def budget_frame(configs: dict[str, dict], training: dict[str, dict], arms_of: dict[str, str]) -> pl.DataFrame:
    """One row per trained run (a folder with `training.json`): its arm, budget and how it ended."""
    defaults = _defaults()
    rows = []
    for model, record in sorted(training.items()):
        train = {**defaults, **configs.get(model, {}).get("train", {})}
        arm = arms_of.get(model) or arm_of_label(model)
        seed = configs.get(model, {}).get("run", {}).get("seed")
        patience = int(train.get("early_stopping_patience") or 0)
        rows.append(dict(model=model, arm=arm, seed=seed if isinstance(seed, int) else None,
                         fixed=arm in FIXED_BUDGET_ARMS or patience == 0, epochs=float(train.get("epochs") or 0),
                         patience=patience, eval_every=train.get("eval_every"),
                         min_delta=float(train.get("early_stopping_min_delta") or 0.0),
                         stop_reason=record.get("stop_reason"), step=record.get("step"),
                         best_step=record.get("best_step"), total_steps=record.get("total_steps"),
                         max_steps=train.get("max_steps"),
                         time_limit=float(train["time_limit"]) if train.get("time_limit") else None))
    return pl.DataFrame(rows, schema=RUN_SCHEMA, orient="row") if rows else pl.DataFrame(schema=RUN_SCHEMA)


#: how a run ends short of convergence: stop_reason -> (its count column per arm, its name in the text)
LIMITS = {"max_steps": ("capped", "step cap"), "epochs": ("ceiling", "epoch ceiling"),
          "time_limit": ("timed", "time limit")}

ARM_SCHEMA = {"arm": pl.Utf8, "runs": pl.Int64, "fixed": pl.Boolean, "budget": pl.Utf8, "early": pl.Int64,
              "ceiling": pl.Int64, "capped": pl.Int64, "timed": pl.Int64, "other": pl.Int64, "steps": pl.Utf8,
              "best_steps": pl.Utf8, "improving": pl.Int64}


def _span(values: list) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    lo, hi = min(values), max(values)
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def _epochs(x: float) -> str:
    return f"{x:g} epoch{'s' if x != 1 else ''}"


def budget_text(r: dict) -> str:
    """E.g. `early stopping (patience 2, eval every 100 steps, min Δ 0.001), at most 4 epochs`; a step cap
    (`max_steps`, which also sets the learning-rate schedule's length) replaces the epoch ceiling; a
    time limit (`time_limit`, which does not change the schedule) is named after it."""
    limit = f"{r['max_steps']} steps" if r.get("max_steps") else _epochs(r["epochs"])
    if r.get("time_limit"):
        limit += f" or {r['time_limit']:g} s of training"
    if r["fixed"]:
        return f"fixed {limit}"
    return (f"early stopping on own validation loss (patience {r['patience']}, eval every {r['eval_every']} steps, "
            f"min Δ {r['min_delta']:g}), at most {limit}")


def arm_budgets(runs: pl.DataFrame) -> pl.DataFrame:
    """Per arm: its runs, budget (one text when every run shares it), how many stopped early, hit
    the epoch ceiling or ended otherwise, and the steps they ended at and had their best loss at; of the
    runs a limit cut short, how many had their best loss at their last evaluation (still improving)."""
    out = []
    for arm in arm_order(runs["arm"].to_list()):
        g = runs.filter(pl.col("arm") == arm)
        texts = sorted({budget_text(r) for r in g.iter_rows(named=True)})
        reasons = g["stop_reason"].to_list()
        counts = {col: reasons.count(reason) for reason, (col, _) in LIMITS.items()}
        early = reasons.count("early_stopping")
        improving = g.filter(pl.col("stop_reason").is_in(list(LIMITS))  # cut short, still at its best
                             & (pl.col("best_step") == pl.col("step"))).height
        out.append(dict(arm=arm, runs=g.height, fixed=bool(g["fixed"].all()), budget="; ".join(texts), early=early,
                        **counts, other=g.height - early - sum(counts.values()), steps=_span(g["step"].to_list()),
                        best_steps=_span(g["best_step"].to_list()), improving=improving))
    return pl.DataFrame(out, schema=ARM_SCHEMA, orient="row") if out else pl.DataFrame(schema=ARM_SCHEMA)


def budget_table(arms: pl.DataFrame) -> GT:
    if arms.height == 0:
        return GT(pl.DataFrame({"note": ["no trained run in this store (no training.json)"]}))
    df = arms.with_columns(
        role=pl.when(pl.col("fixed")).then(pl.lit("fixed budget (sensitivity)")).otherwise(pl.lit("design arm")),
        ended=pl.format("{} early stopping, {} epoch ceiling", "early", "ceiling")
        + pl.when(pl.col("capped") > 0).then(pl.format(", {} step cap", "capped")).otherwise(pl.lit(""))
        + pl.when(pl.col("timed") > 0).then(pl.format(", {} time limit", "timed")).otherwise(pl.lit(""))
        + pl.when(pl.col("other") > 0).then(pl.format(", {} unrecorded", "other")).otherwise(pl.lit("")))
    return (GT(df.select("arm", "role", "runs", "budget", "ended", "steps", "best_steps"), rowname_col="arm")
            .cols_label(ended="runs ended by", steps="final step", best_steps="best step")
            .tab_source_note("Budget: the resolved [train] table of each run folder; how a run ended: stop_reason in "
                             "its training.json (early stopping: its own validation loss stopped improving by more "
                             "than min Δ for patience evaluations; epoch ceiling, step cap or time limit: it "
                             "was still improving when its budget ran out). Best step: "
                             "lowest own validation loss, the checkpoint evaluated as best.")
            .tab_options(table_font_size="11px", data_row_padding="2px", table_width="100%"))


def _it(arms: list[str]) -> str:
    return "it" if len(arms) == 1 else "they"


def _its(arms: list[str]) -> str:
    return "its" if len(arms) == 1 else "their"


def budget_sentence(arms: pl.DataFrame) -> str:
    """The design arms' recipe and which arms converged (early stopping fired) or hit the ceiling."""
    design = arms.filter(~pl.col("fixed"))
    if design.height == 0:
        return ("No run in this store trained under the early-stopping recipe; every trained run had a fixed "
                "budget (below)." if arms.height else "No trained run is stored, so there is no training budget "
                "to report.")
    texts = sorted(set(design["budget"]))
    recipe = (f"Every design arm trained with LoRA under one budget: {texts[0]}" if len(texts) == 1
              else "The design arms' budgets differ (table below)")
    done = [a for a, e, n in design.select("arm", "early", "runs").iter_rows() if e == n]
    stuck = [f"{a} ({c} of {n} runs)" for a, c, n in design.select("arm", "ceiling", "runs").iter_rows() if c]
    parts = []
    if done:
        parts.append(f"early stopping fired for every run of {join_words(done)}")
    if stuck:
        parts.append(f"{join_words(stuck)} reached the epoch ceiling while {_its(stuck)} validation loss was still "
                     f"improving, so {_it(stuck)} did not converge by this criterion")
    for col, name in (LIMITS["max_steps"], LIMITS["time_limit"]):
        cut = [f"{a} ({c} of {n} runs)" for a, c, n in design.select("arm", col, "runs").iter_rows() if c]
        if cut:
            parts.append(f"{join_words(cut)} stopped at the {name} before early stopping fired, so {_it(cut)} did "
                         "not converge by this criterion")
    cut = sum(int(design[col].sum()) for col, _ in LIMITS.values())
    improving = int(design["improving"].sum())
    if cut:
        parts.append(_improving_clause(cut, improving))
    unrecorded = [a for a, o in design.select("arm", "other").iter_rows() if o]
    if unrecorded:
        parts.append(f"{join_words(unrecorded)} recorded no stop reason for some runs")
    text = "; ".join(parts)
    return recipe + "." + (f" {text[0].upper()}{text[1:]}." if text else "")


def budget_paragraph(arms: pl.DataFrame, runs: pl.DataFrame, training: dict[str, dict]) -> str:
    """`budget_sentence`, then, when a limit cut runs short, `ceiling_sentence` (never empty)."""
    return " ".join(t for t in (budget_sentence(arms), ceiling_sentence(runs, training)) if t)


def _improving_clause(cut: int, improving: int) -> str:
    """Whether the runs a limit cut short were still improving: their best validation loss at their last evaluation."""
    if cut == 1:
        return ("the run cut short had its lowest validation loss at its last evaluation, i.e. was still improving"
                if improving else "the run cut short had its lowest validation loss before its last evaluation")
    who = f"all {cut} runs cut short" if improving == cut else f"{improving} of the {cut} runs cut short"
    return f"{who} had their lowest validation loss at their last evaluation, i.e. were still improving"


def ceiling_sentence(runs: pl.DataFrame, training: dict[str, dict]) -> str:
    """Why the runs a step cap or time limit cut short stopped there, in compute: what training each
    on to its epoch ceiling would cost at the rate its own cohort measured (`training.json`: steps
    per epoch, the cohort's examples and loop seconds; a run resumed in a later job records that
    job's cohort only, which this reads as the whole). An upper bound -- early stopping may fire
    sooner. Empty when no design run was cut short by a limit or no cohort rate is recorded."""
    cut = runs.filter(~pl.col("fixed") & pl.col("stop_reason").is_in(["max_steps", "time_limit"]))
    cohorts: dict[tuple, dict] = {}
    ceilings = []
    for r in cut.iter_rows(named=True):
        record = training.get(r["model"], {})
        cohort, per_epoch = record.get("cohort") or {}, record.get("steps_per_epoch")
        members = tuple(cohort.get("runs") or ())
        if members not in cohorts:  # a cohort's examples per run-step, read once
            steps = sum(training.get(m, {}).get("step") or 0 for m in members)
            cohorts[members] = {"rate": cohort.get("examples_per_second"), "loop": cohort.get("loop_seconds") or 0,
                                "per_step": (cohort.get("examples") or 0) / steps if steps else None,
                                "more": 0.0, "done": 0.0}
        c = cohorts[members]
        if not (per_epoch and r["step"] and c["rate"] and c["per_step"]):
            continue
        ceiling = int(-(-r["epochs"] * per_epoch // 1))
        ceilings.append(ceiling)
        c["more"] += max(ceiling - r["step"], 0) * c["per_step"]
        c["done"] += r["step"] * c["per_step"]
    if not ceilings:
        return ""
    cohorts = {k: c for k, c in cohorts.items() if c["done"]}  # cohorts with a run counted
    more = sum(c["more"] for c in cohorts.values())
    done = sum(c["done"] for c in cohorts.values())
    seconds = sum(c["more"] / c["rate"] for c in cohorts.values())
    taken = sum(c["loop"] for c in cohorts.values())
    rates = _span([round(c["rate"]) for c in cohorts.values()])
    limits = " and the ".join(name for reason, (_, name) in LIMITS.items() if reason in set(cut["stop_reason"]))
    lo, hi = min(ceilings), max(ceilings)
    span = f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"
    budget = "is a compute budget" if " and " not in limits else "are compute budgets"
    return (f"The {limits} {budget}: trained on to their "
            f"{float(cut['epochs'].max()):g}-epoch ceiling ({span} steps a run), "
            f"the {len(ceilings)} runs cut short would train {(done + more) / done:.1f} times the examples they "
            f"did, about {seconds:,.0f} s more of training at the rates their own cohorts measured ({rates} "
            f"examples/s, evaluations and checkpoints included) after the {taken:,.0f} s they took; early stopping "
            "could end some runs sooner.")


def _seeds(design: pl.DataFrame) -> str:
    lo, hi = int(design["runs"].min()), int(design["runs"].max())
    return f"{lo} training seed{'s' if hi != 1 else ''} per arm" if lo == hi else f"{lo}–{hi} training seeds per arm"


def answer_scope(arms: pl.DataFrame) -> str:
    """What the headline answer holds for: the design arms' seeds, and whether their runs converged
    (never empty: Quarto prints an empty inline value as code)."""
    design = arms.filter(~pl.col("fixed"))
    if design.height == 0:
        return "No design arm was trained under the early-stopping recipe in this store."
    cols = [col for col, _ in LIMITS.values()]
    short = [a for a, *counts in design.select("arm", *cols).iter_rows() if any(counts)]
    if not short:
        return f"Every run of every design arm stopped early on its own validation loss ({_seeds(design)}; Methods)."
    limits = [name for col, name in LIMITS.values() if design[col].sum()]
    return (f"This answer is for the budget trained ({_seeds(design)}): runs of {join_words(short)} ended at their "
            f"{' or '.join(limits)} before early stopping fired, so they had not converged by the recipe's own "
            "criterion (Methods).")


def seeds_limitation(arms: pl.DataFrame) -> str:
    """The training-seed limitation, with the number of seeds the store holds."""
    design = arms.filter(~pl.col("fixed"))
    if design.height and int(design["runs"].max()) == 1:
        return ("One training seed per arm: seed-to-seed spread is not measured, so a difference between two arms "
                "may be the difference between two trainings; the family-level tests replicate over task families, "
                "not seeds.")
    seeds = _seeds(design) if design.height else "The training seeds"
    return (f"{seeds[0].upper()}{seeds[1:]} show seed spread but cannot estimate it precisely; the problem-level "
            "tests pair the arms of a contrast by seed number, which shares the initialisation and data-order seed, "
            "not the data. The family-level tests pool each arm's seeds.")


def fixed_budget_sentence(arms: pl.DataFrame) -> str:
    """The fixed-budget sensitivity pair, when stored; a sentence saying it is absent otherwise."""
    fixed = arms.filter(pl.col("fixed"))
    if fixed.height == 0:
        return ("This store holds no fixed-budget runs (the first study's 2-epoch deep / diverse pair), so the "
                "answer's sensitivity to the training budget is not measured here.")
    names = join_words([f"{a} ({b}, {n} runs, final step {s})" for a, b, n, s in
                   fixed.select("arm", "budget", "runs", "steps").iter_rows()])
    return (f"Fixed-budget runs, kept as a sensitivity row: {names}. They stop after a set number of epochs whatever "
            "their validation loss does, so a difference between them may be a difference in how far each "
            "converged.")


def format_sentence(rows: pl.DataFrame, benchmark: str = HELD_OUT, prompt: str = "train") -> str:
    """What "fine-tuned beats base" owes to the answer format: base vs base-1shot vs the trained arms,
    problems solved on the whole held-out benchmark (greedy, final checkpoint, `prompt`)."""
    held = rows.filter((pl.col("benchmark") == benchmark) & (pl.col("prompt") == prompt)
                       & (pl.col("subset") != "all"))
    if held.height == 0:
        return f"The held-out benchmark was not run under the {prompt} prompt, so the format control is not read."
    total = held.group_by("arm", "model").agg(solved=pl.col("ok").sum(), problems=pl.len())
    n = int(total["problems"].max())

    def solved(arm: str) -> float | None:
        s = total.filter(pl.col("arm") == arm)["solved"]
        return float(s.mean()) if s.len() else None

    trained = [a for a in arm_order(total["arm"].to_list()) if a not in CONTROLS]
    base, shot = solved("base"), solved("base-1shot")
    if not trained or base is None:
        return "The base model and a trained arm were not both run, so the format control cannot be read."
    means = [solved(a) for a in trained]
    lo, hi = min(means), max(means)
    arms_text = (f"the trained arms {lo:.1f}–{hi:.1f} (means over seeds)" if len(trained) > 1
                 else f"{trained[0]} {lo:.1f} (mean over seeds)")
    head = f"Of the {n} held-out problems ({prompt} prompt, greedy), the base model solves {base:.0f}"
    if shot is None:
        return (f"{head} and {arms_text}; the format control (base-1shot: the base model shown one solved example) "
                "was not run, so how much of that gap is the answer format alone is not measured here.")
    mean = sum(means) / len(means)
    gap = mean - base
    share = (f", so one worked example alone recovers {100 * (shot - base) / gap:.0f}% of the gap between the base "
             "model and the average trained arm" if gap > 0 else "")
    return f"{head}, the base model shown one solved example (base-1shot) {shot:.0f}, and {arms_text}{share}."

