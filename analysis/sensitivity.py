"""How much of a difference comes from the grader, not the model.

Two checks on the *same* generated samples (nothing is regenerated):

* grading profile: each model's greedy Pass@1 under every (grader, extraction) pair that was
  scored (`seed` = the original study's grader/extraction, `lcb` = LiveCodeBench's), and per
  profile how many problems flip from fail to pass ("gained") or pass to fail ("lost") relative
  to the benchmark's primary profile;
* test set: Pass@1 counting public tests only vs all tests, on benchmarks with private tests
  (the tests table records which tests are public; the scorer stops at the first failure, so a
  sample passed its public tests when as many public tests passed as the problem has).

Why: the original study graded with public tests and its own extraction; if switching either
moves Pass@1 by as much as the Deep-vs-Diverse gap, that gap is not evidence about the data.

Does not cover: re-running anything (only stored verdicts are used).
"""

from __future__ import annotations

import polars as pl
from great_tables import GT

from analysis.arms import sort_frame
from analysis.problems import at_role
from analysis.scores import benchmark_order, model_order, select_profile
from codegen_study.core.vocabulary import PROMPT_STYLES
from codegen_study.tasks.benchmark_kind import PROGRAM
from codegen_study.tasks.sources import KINDS


def profile_scores(per: pl.DataFrame, roles: pl.DataFrame, role: str = "final") -> pl.DataFrame:
    """Greedy solved/problems/Pass@1 per benchmark x model x (grader, extraction)."""
    rows = at_role(per, roles, role)
    return (rows.group_by("benchmark", "model", "step", "grader", "extraction")
            .agg(solved=(pl.col("c") > 0).sum().cast(pl.Int64), problems=pl.len().cast(pl.Int64))
            .with_columns(pass1=pl.col("solved") / pl.col("problems"))
            .sort("benchmark", "model", "grader", "extraction"))


def profile_table(scores: pl.DataFrame) -> GT:
    """Models as rows, `grader / extraction` as columns, cells `k/n (Pass@1)`."""
    if scores.height == 0:
        return GT(pl.DataFrame({"note": ["no greedy runs"]}))
    df = scores.with_columns(
        profile=pl.col("grader") + " / " + pl.col("extraction"),
        cell=pl.format("{}/{} ({}%)", "solved", "problems", (100 * pl.col("pass1")).round(1)),
    )
    wide = df.pivot(on="profile", index=["benchmark", "model"], values="cell", sort_columns=True).fill_null("not run")
    order = {m: i for i, m in enumerate(model_order(wide["model"].to_list()))}
    border = {b: i for i, b in enumerate(benchmark_order(wide["benchmark"].to_list()))}
    wide = wide.sort(pl.col("benchmark").replace_strict(border), pl.col("model").replace_strict(order))
    return (GT(wide, rowname_col="model", groupname_col="benchmark")
            .tab_source_note("Columns: grader / extraction policy; humaneval is graded by its own check only.")
            .tab_options(table_font_size="13px"))


def profile_flips(per: pl.DataFrame, roles: pl.DataFrame, profiles: pl.DataFrame, role: str = "final") -> pl.DataFrame:
    """Per benchmark x arm x non-primary profile: answers gained / lost vs the primary profile,
    summed over the arm's training seeds (training prompt)."""
    rows = at_role(per, roles, role).with_columns(ok=pl.col("c") > 0, arm=pl.col("arm").fill_null(pl.col("model")))
    ref = rows.join(profiles, on=["benchmark", "grader", "extraction"], how="semi").select(
        "benchmark", "model", "question_id", ref_ok="ok", reference=pl.format("{} / {}", "grader", "extraction"))
    other = rows.join(profiles, on=["benchmark", "grader", "extraction"], how="anti")
    joined = other.join(ref, on=["benchmark", "model", "question_id"], how="inner")
    return (joined.group_by("benchmark", "arm", "grader", "extraction", "reference")
            .agg(answers=pl.len().cast(pl.Int64),
                 gained=(pl.col("ok") & ~pl.col("ref_ok")).sum().cast(pl.Int64),
                 lost=(~pl.col("ok") & pl.col("ref_ok")).sum().cast(pl.Int64))
            .with_columns(net=pl.col("gained") - pl.col("lost"))
            .sort("benchmark", "arm", "grader", "extraction"))


def flips_sentence(flips: pl.DataFrame) -> str:
    """What regrading changes, in words; the table shows only the rows where something flips."""
    if flips.height == 0:
        return "Only one grading profile was scored, so regrading the answers cannot be compared."
    moved = flips.filter((pl.col("gained") + pl.col("lost")) > 0)
    profiles = flips.select("grader", "extraction").unique().height
    if moved.height == 0:
        return (f"Regrading the same answers under the other {profiles} grading profiles flips no verdict for "
                "any arm or benchmark.")
    return (f"Regrading the same answers under the other {profiles} grading profiles flips "
            f"{int(moved['gained'].sum() + moved['lost'].sum())} verdicts, in {moved.height} of {flips.height} "
            "benchmark, arm and profile combinations (the table lists those; every other combination flips none).")


def flips_table(flips: pl.DataFrame) -> GT:
    """The benchmark x arm x profile rows where at least one verdict flips."""
    moved = flips.filter((pl.col("gained") + pl.col("lost")) > 0)
    if moved.height == 0:
        return GT(pl.DataFrame({"note": ["no verdict flips under any other grading profile"]}))
    df = moved.with_columns(profile=pl.format("grader {} / extraction {}", "grader", "extraction"))
    return (GT(df.select("benchmark", "arm", "profile", "reference", "answers", "gained", "lost", "net"),
               rowname_col="arm", groupname_col="benchmark")
            .cols_label(reference="vs primary", answers="answers (problems x seeds)", gained="fail→pass",
                        lost="pass→fail")
            .tab_source_note("The same stored greedy answers (final checkpoint, training prompt) graded again; "
                             "combinations without any flip are left out.")
            .tab_options(table_font_size="11px", data_row_padding="2px"))


def public_vs_all(per: pl.DataFrame, tests: pl.DataFrame, problems: pl.DataFrame, roles: pl.DataFrame,
                  profiles: pl.DataFrame, role: str = "final") -> pl.DataFrame:
    """Pass@1 on public tests only vs all tests, for benchmarks whose problems have private tests."""
    schema = {"benchmark": pl.Utf8, "model": pl.Utf8, "problems": pl.Int64, "public_solved": pl.Int64,
              "all_solved": pl.Int64, "public_pass1": pl.Float64, "all_pass1": pl.Float64}
    private = problems.filter(pl.col("n_private").fill_null(0) > 0).select("benchmark", "question_id", "n_public")
    rows = (at_role(per, roles, role).join(profiles, on=["benchmark", "grader", "extraction"], how="semi")
            .join(private, on=["benchmark", "question_id"], how="inner"))
    if rows.height == 0:
        return pl.DataFrame(schema=schema)
    public_passed = (tests.filter(pl.col("public") & (pl.col("verdict") == "passed"))
                     .group_by("run_id", "question_id", "sample_id").agg(public_passed=pl.len().cast(pl.Int64)))
    rows = rows.join(public_passed, on=["run_id", "question_id", "sample_id"], how="left").with_columns(
        public_ok=pl.col("public_passed").fill_null(0) >= pl.col("n_public"), all_ok=pl.col("c") > 0)
    return (rows.group_by("benchmark", "model")
            .agg(problems=pl.len().cast(pl.Int64), public_solved=pl.col("public_ok").sum().cast(pl.Int64),
                 all_solved=pl.col("all_ok").sum().cast(pl.Int64))
            .with_columns(public_pass1=pl.col("public_solved") / pl.col("problems"),
                          all_pass1=pl.col("all_solved") / pl.col("problems"))
            .select(list(schema)).sort("benchmark", "model"))


def public_table(frame: pl.DataFrame) -> GT:
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["no benchmark in this store has private tests"]}))
    df = frame.with_columns(
        public=pl.format("{}/{}", "public_solved", "problems"), all=pl.format("{}/{}", "all_solved", "problems"))
    return (GT(df.select("benchmark", "model", "public", "public_pass1", "all", "all_pass1"),
               rowname_col="model", groupname_col="benchmark")
            .fmt_percent(columns=["public_pass1", "all_pass1"], decimals=1)
            .cols_label(public="public tests only", public_pass1="Pass@1 (public)", all="all tests",
                        all_pass1="Pass@1 (all)"))


def fence_rates(per: pl.DataFrame, roles: pl.DataFrame, role: str = "final") -> pl.DataFrame:
    """Per benchmark x model: share of greedy answers with no fenced code block.

    Read from the `lcb` extraction runs of the graders of whole programs (not HumanEval's, whose
    answers complete a function), where an answer without a fence extracts to nothing
    (verdict `no_code`); the `seed` extraction would run such an answer's whole text instead.
    Replications of the original study found fine-tuned checkpoints writing almost no fences,
    which alone moved them from 9-15/41 to 0-1/41 -- this table says whether that happens here.
    """
    programs = [g for kind in KINDS if kind.harness == PROGRAM for g in kind.grader_names]
    rows = at_role(per, roles, role).filter((pl.col("extraction") == "lcb") & pl.col("grader").is_in(programs))
    if rows.height == 0:
        return pl.DataFrame(schema={"benchmark": pl.Utf8, "model": pl.Utf8, "step": pl.Int64,
                                    "answers": pl.Int64, "unfenced": pl.Int64, "share": pl.Float64})
    first = rows.unique(subset=["benchmark", "model", "question_id"], keep="first", maintain_order=True)
    return (first.group_by("benchmark", "model", "step")
            .agg(answers=pl.len().cast(pl.Int64), unfenced=(pl.col("verdict") == "no_code").sum().cast(pl.Int64))
            .with_columns(share=pl.col("unfenced") / pl.col("answers"))
            .sort("benchmark", "model"))


def fence_table(rates: pl.DataFrame) -> GT:
    """`unfenced/answers (share)` per benchmark and model."""
    if rates.height == 0:
        return GT(pl.DataFrame({"note": ["no runs with lcb extraction"]}))
    df = rates.with_columns(cell=pl.format("{}/{} ({}%)", "unfenced", "answers", (100 * pl.col("share")).round(1)))
    wide = df.pivot(on="benchmark", index=["model", "step"], values="cell", sort_columns=True).fill_null("not run")
    order = {m: i for i, m in enumerate(model_order(wide["model"].to_list()))}
    return GT(wide.sort(pl.col("model").replace_strict(order)), rowname_col="model")


PROMPT_SCHEMA = {"benchmark": pl.Utf8, "subset": pl.Utf8, "arm": pl.Utf8, "problems": pl.Int64, "seeds": pl.Int64,
                 "train_mean": pl.Float64, "lcb_mean": pl.Float64, "train_only": pl.Int64, "lcb_only": pl.Int64}


def prompt_sensitivity(per: pl.DataFrame, roles: pl.DataFrame, profiles: pl.DataFrame, role: str = "final",
                       prompts: tuple[str, str] = PROMPT_STYLES) -> pl.DataFrame:
    """Per benchmark x subset x arm: mean problems solved under each prompt, and answers that pass
    under one prompt only (summed over seeds). Greedy, primary grading profile."""
    first, second = prompts
    rows = select_profile(at_role(per, roles, role, prompt=None), profiles, prompt=None).with_columns(
        ok=pl.col("c") > 0, arm=pl.col("arm").fill_null(pl.col("model")))
    rows = pl.concat([rows.with_columns(subset=pl.lit("all")),
                      rows.filter(pl.col("group").is_not_null()).with_columns(subset=pl.col("group"))])
    a = rows.filter(pl.col("prompt") == first).select("benchmark", "subset", "arm", "model", "question_id", a="ok")
    b = rows.filter(pl.col("prompt") == second).select("benchmark", "subset", "model", "question_id", b="ok")
    j = a.join(b, on=["benchmark", "subset", "model", "question_id"], how="inner")
    if j.height == 0:
        return pl.DataFrame(schema=PROMPT_SCHEMA)
    seeds = j.group_by("benchmark", "subset", "arm").agg(seeds=pl.col("model").n_unique().cast(pl.Int64))
    out = (j.group_by("benchmark", "subset", "arm")
           .agg(problems=pl.col("question_id").n_unique().cast(pl.Int64),
                a_sum=pl.col("a").sum(), b_sum=pl.col("b").sum(),
                train_only=(pl.col("a") & ~pl.col("b")).sum().cast(pl.Int64),
                lcb_only=(pl.col("b") & ~pl.col("a")).sum().cast(pl.Int64))
           .join(seeds, on=["benchmark", "subset", "arm"])
           .with_columns(train_mean=pl.col("a_sum") / pl.col("seeds"), lcb_mean=pl.col("b_sum") / pl.col("seeds")))
    return sort_frame(out.select(list(PROMPT_SCHEMA)))


def prompt_table(frame: pl.DataFrame) -> GT:
    """Rows: arm within benchmark/subset; columns: solved under each prompt and one-prompt-only answers."""
    if frame.height == 0:
        return GT(pl.DataFrame({"note": ["not run: the store has greedy runs under one prompt only"]}))
    df = frame.with_columns(
        group=pl.when(pl.col("subset") == "all").then(pl.format("{} (n={})", "benchmark", "problems"))
        .otherwise(pl.format("{}: {} (n={})", "benchmark", "subset", "problems")),
        train=pl.col("train_mean").round(1), lcb=pl.col("lcb_mean").round(1))
    return (GT(df.select("group", "arm", "train", "lcb", "train_only", "lcb_only"), rowname_col="arm",
               groupname_col="group")
            .cols_label(train="solved, prompt train", lcb="solved, prompt lcb", train_only="pass under train only",
                        lcb_only="pass under lcb only")
            .tab_source_note("Greedy, final checkpoint, primary grading profile; solved = mean over the arm's training "
                             "seeds; one-prompt-only answers are summed over seeds.")
            .tab_options(table_font_size="13px"))
