"""analysis/ on the fixture store (tests/fixtures/store, made by tests/fixtures/make_store.py).

The fixture's design (see make_store.py): base solves nothing; deep has checkpoints 100/200/300
with the best validation loss at 200; diverse has a single checkpoint; deep and diverse tie on
lcb41 (2/6, different problems); a seed grader / seed extraction each flip known problems; one
deep heldout sample passes its public tests and fails a private one.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import polars as pl
import pytest
import vl_convert as vlc

from analysis import cases, checkpoints, context, problems, scores, sensitivity, significance, summary
from analysis.study import load_study
from codegen_study.metrics import pass_at_k, wilson_interval
from tests.conftest import FIXTURES, ROOT

STORE = FIXTURES / "store" / "runs"


@pytest.fixture(scope="module")
def study():
    return load_study(STORE)


@pytest.fixture(scope="module")
def d(study):
    return summary.derive(study, n_boot=200)


def greedy(d, model, step, bench, subset="all", grader="lcb", extraction="lcb"):
    return d.scores.filter((pl.col("model") == model) & (pl.col("step") == step) & (pl.col("benchmark") == bench)
                           & (pl.col("decoding") == "greedy") & (pl.col("subset") == subset)
                           & (pl.col("grader") == grader) & (pl.col("extraction") == extraction)).row(0, named=True)


# -- loading ---------------------------------------------------------------------------
def test_load_reads_jsonl_and_parquet_and_dedups(study):
    assert set(study.runs["model"]) == {"base", "deep", "diverse"}
    assert study.losses.filter(pl.col("model") == "deep").height == 6  # parquet part of fixture-deep
    rid = "base/step-0/lcb41/greedy/lcb/lcb"  # stored in two folders
    assert study.runs.filter(pl.col("run_id") == rid).height == 1
    assert study.samples.filter(pl.col("run_id") == rid).height == 6
    assert study.card.height == 10 and set(study.configs) == {"fixture-base", "fixture-deep", "fixture-diverse"}


def test_load_missing_store_gives_typed_empty_frames(tmp_path):
    s = load_study(tmp_path / "nothing-here")
    assert s.empty and s.runs.height == 0 and "verdict" in s.samples.columns and s.card.height == 0
    d = summary.derive(s)
    assert d.head.height == 0 and d.roles.height == 0
    assert "No scoring runs" in summary.overview_sentence(d)
    assert summary.results_sentence(d, "lcb41") == "The lcb41 benchmark was not run."
    for gt in (scores.headline_table(d.head, d.profiles), sensitivity.public_table(
            sensitivity.public_vs_all(d.per, s.tests, s.problems, d.roles, d.profiles)),
               significance.comparison_table(significance.all_comparisons(d.per, d.roles, d.profiles)),
               context.corpus_card_table(s.card), context.run_overview_table(context.run_overview(s.runs))):
        gt.as_raw_html()
    for chart in (scores.headline_chart(d.head, d.profiles),
                  checkpoints.checkpoint_chart(checkpoints.checkpoint_curve(d.scores, d.profiles), s.losses),
                  problems.verdict_chart(problems.verdict_counts(d.per, d.roles, d.profiles))):
        assert "not run" in chart.to_json() or "no greedy runs" in chart.to_json()


# -- scores ------------------------------------------------------------------------------
def test_greedy_scores_use_wilson_on_solved_of_problems(d):
    row = greedy(d, "deep", 300, "lcb41")
    assert (row["solved"], row["problems"]) == (2, 6)
    assert row["pass1"] == pytest.approx(2 / 6)
    assert (row["lo"], row["hi"]) == pytest.approx(wilson_interval(2, 6))


def test_model_that_solves_nothing(d):
    for bench in ("heldout", "lcb41", "humaneval"):
        row = greedy(d, "base", 0, bench, grader="humaneval" if bench == "humaneval" else "lcb")
        assert row["solved"] == 0 and row["pass1"] == 0 and row["lo"] == 0 and row["hi"] > 0


def test_heldout_subsets_seen_unseen(d):
    seen, unseen, everything = (greedy(d, "deep", 300, "heldout", s) for s in ("seen", "unseen", "all"))
    assert (seen["solved"], seen["problems"]) == (2, 4)
    assert (unseen["solved"], unseen["problems"]) == (1, 4)
    assert everything["solved"] == seen["solved"] + unseen["solved"]
    assert not d.scores.filter((pl.col("benchmark") == "lcb41") & (pl.col("subset") != "all")).height


def test_sampled_pass_at_k_only_where_enough_samples(d):
    sampled = d.scores.filter((pl.col("decoding") == "t0.2") & (pl.col("subset") == "all") & (pl.col("model") == "deep")
                              & (pl.col("step") == 300))
    held = sampled.filter(pl.col("benchmark") == "heldout").row(0, named=True)
    lcb = sampled.filter(pl.col("benchmark") == "lcb41").row(0, named=True)
    per = d.per.filter(pl.col("run_id") == held["run_id"])
    assert held["samples"] == 5 and lcb["samples"] == 3 and lcb["pass5"] is None
    assert held["pass1"] == pytest.approx(sum(c / n for n, c in zip(per["n"], per["c"])) / per.height)
    assert held["pass5"] == pytest.approx(sum(pass_at_k(n, c, 5) for n, c in zip(per["n"], per["c"])) / per.height)
    assert held["solved"] is None and held["lo"] <= held["pass1"] <= held["hi"]


def test_checkpoint_roles_best_by_valid_loss_and_single_checkpoint(d):
    roles = {(r["model"], r["role"]): r["step"] for r in d.roles.iter_rows(named=True)}
    assert roles == {("base", "base"): 0, ("deep", "best"): 200, ("deep", "final"): 300,
                     ("diverse", "best"): 100, ("diverse", "final"): 100}


def test_roles_without_losses_fall_back_to_final(study):
    roles = scores.checkpoint_roles(study.runs, study.losses.clear())
    assert roles.filter((pl.col("model") == "deep") & (pl.col("role") == "best"))["step"][0] == 300


def test_primary_profiles_prefer_lcb(d):
    assert d.profiles.rows() == [("heldout", "lcb", "lcb"), ("lcb41", "lcb", "lcb"), ("humaneval", "humaneval", "lcb")]


def test_headline_merges_single_checkpoint_and_says_not_run(d, study):
    merged = scores.distinct_roles(scores.select_profile(d.head, d.profiles))
    assert set(merged.filter(pl.col("model") == "diverse")["role"]) == {"final = best"}
    assert set(merged.filter(pl.col("model") == "deep")["role"]) == {"best", "final"}
    html = scores.headline_table(d.head, d.profiles).as_raw_html()
    assert "2/6" in html and "final = best" in html
    no_sampling = summary.derive(dataclasses.replace(study, runs=study.runs.filter(pl.col("decoding") == "greedy")),
                                 n_boot=50)
    assert "not run" in scores.headline_table(no_sampling.head, no_sampling.profiles).as_raw_html()
    assert summary.sampled_status(no_sampling).startswith("Sampled decoding was not run")


def test_prose_phrases(d):
    assert summary.greedy_phrase(d, "deep", "lcb41").startswith("2/6 (33.3%")
    assert summary.greedy_phrase(d, "nobody", "lcb41") == "not run"
    assert "pass@5" in summary.sampled_phrase(d, "deep", "heldout")
    assert "pass@5" not in summary.sampled_phrase(d, "deep", "lcb41")
    assert "deep: best step 200, final step 300" in summary.best_steps_sentence(d)


# -- checkpoints -------------------------------------------------------------------------
def test_checkpoint_curve_and_chart(d, study):
    curve = checkpoints.checkpoint_curve(d.scores, d.profiles)
    deep = curve.filter((pl.col("benchmark") == "heldout") & (pl.col("model") == "deep"))
    assert deep["step"].to_list() == [100, 200, 300] and deep["solved"].to_list() == [1, 4, 3]
    chart = checkpoints.checkpoint_chart(curve, study.losses)
    spec = chart.to_dict()
    assert "vconcat" in spec  # Pass@1 panels over the loss panel
    svg = vlc.vegalite_to_svg(chart.to_json())
    assert svg.startswith("<svg") and "training step" in svg
    assert "vconcat" not in checkpoints.checkpoint_chart(curve, study.losses.clear()).to_dict()


# -- per problem / taxonomy ---------------------------------------------------------------
def test_problem_matrix_sorted_by_models_solving(d):
    m = problems.problem_matrix(d.per, d.roles, "lcb41", "lcb", "lcb")
    assert m["solved_by"].to_list() == sorted(m["solved_by"].to_list(), reverse=True)
    assert m.row(0, named=True)["question_id"] == "abc901_a" and m["solved_by"][0] == 2
    assert set(m["base"]) <= {"wrong_answer", "runtime_error", "timeout", "memory_limit", "no_code"}
    html = problems.problem_table(m).as_raw_html()
    assert 'href="https://atcoder.jp/contests/abc901/tasks/abc901_a"' in html and "✓ passed" in html
    assert problems.problem_matrix(d.per, d.roles, "nope", "lcb", "lcb").height == 0


def test_verdict_counts_cover_every_problem(d):
    counts = problems.verdict_counts(d.per, d.roles, d.profiles)
    totals = counts.group_by("benchmark", "model").agg(pl.col("count").sum())
    assert dict(zip(totals.filter(pl.col("model") == "base")["benchmark"], totals.filter(pl.col("model") == "base")["count"])) == \
        {"heldout": 8, "lcb41": 6, "humaneval": 5}
    assert counts.filter((pl.col("model") == "base") & (pl.col("verdict") == "passed")).height == 0
    problems.verdict_table(counts).as_raw_html()


# -- significance --------------------------------------------------------------------------
def test_paired_comparisons_tie(d):
    pairs = significance.paired_comparisons(d.per, d.roles, "lcb41", "lcb", "lcb")
    tie = pairs.filter((pl.col("model_a") == "deep") & (pl.col("model_b") == "diverse")).row(0, named=True)
    assert (tie["both"], tie["only_a"], tie["only_b"], tie["neither"]) == (1, 1, 1, 3)
    assert tie["p_value"] == 1.0 and not tie["significant"]
    assert "not distinguishable from noise" in tie["sentence"]
    assert pairs.height == 3


def test_verdict_sentence_wording():
    assert "no difference to test" in significance.verdict_sentence("a", "b", 0, 0, 1.0)
    text = significance.verdict_sentence("a", "b", 10, 0, 0.002)
    assert "is distinguishable from noise" in text and "not" not in text


def test_all_comparisons_table(d):
    pairs = significance.all_comparisons(d.per, d.roles, d.profiles)
    assert set(pairs["benchmark"]) == {"heldout", "lcb41", "humaneval"}
    assert "McNemar" in significance.comparison_table(pairs).as_raw_html()


# -- sensitivity ---------------------------------------------------------------------------
def test_profile_scores_and_flips(d):
    ps = sensitivity.profile_scores(d.per, d.roles)
    deep = {(r["grader"], r["extraction"]): r["solved"] for r in ps.filter(
        (pl.col("model") == "deep") & (pl.col("benchmark") == "lcb41")).iter_rows(named=True)}
    assert deep == {("lcb", "lcb"): 2, ("lcb", "seed"): 2, ("seed", "lcb"): 1, ("seed", "seed"): 1}
    flips = sensitivity.profile_flips(d.per, d.roles, d.profiles)
    row = flips.filter((pl.col("model") == "deep") & (pl.col("benchmark") == "lcb41") & (pl.col("grader") == "seed")
                       & (pl.col("extraction") == "lcb")).row(0, named=True)
    assert (row["gained"], row["lost"], row["net"]) == (0, 1, -1)
    assert flips.filter(pl.col("model") == "base")["lost"].sum() == 0
    assert "not run" in sensitivity.profile_table(ps).as_raw_html()  # humaneval has no seed grader
    sensitivity.flips_table(flips).as_raw_html()


def test_public_only_vs_all_tests(d, study):
    pv = sensitivity.public_vs_all(d.per, study.tests, study.problems, d.roles, d.profiles)
    assert set(pv["benchmark"]) == {"heldout"}  # the only benchmark with private tests
    deep = pv.filter(pl.col("model") == "deep").row(0, named=True)
    assert (deep["public_solved"], deep["all_solved"], deep["problems"]) == (4, 3, 8)
    assert pv.filter(pl.col("model") == "base")["public_solved"][0] == 0
    sensitivity.public_table(pv).as_raw_html()


# -- case studies ------------------------------------------------------------------------------
def test_pick_cases_disagreements_rotating_benchmarks(d):
    picked = cases.pick_cases(d.per, d.roles, d.profiles, max_cases=3)
    assert picked["benchmark"].to_list() == ["heldout", "lcb41", "humaneval"]
    assert all(0 < p < m for p, m in zip(picked["passes"], picked["models"]))
    assert picked["question_id"].to_list()[1] in {"abc902_a", "abc903_a"}  # deep vs diverse split first
    assert cases.pick_cases(d.per, d.roles, d.profiles, max_cases=0).height == 0


def test_case_detail_shows_stored_failing_test(d, study):
    detail = cases.case_detail(d.per, study.samples, study.tests, d.roles, d.profiles, "lcb41", "abc902_a")
    rows = {r["model"]: r for r in detail.iter_rows(named=True)}
    assert rows["deep"]["verdict"] == "passed" and rows["deep"]["test_index"] is None
    assert rows["diverse"]["verdict"] == "wrong_answer"
    assert (rows["diverse"]["input"], rows["diverse"]["expected"], rows["diverse"]["actual"]) == ("2\n0 1\n", "1\n", "2\n")
    html = cases.case_table(detail, "t").as_raw_html()
    assert "fixture code: diverse on abc902_a" in html and "test 0 (public)" in html
    no_code = cases.case_detail(d.per, study.samples, study.tests, d.roles, d.profiles, "heldout", "h06")
    assert "no code extracted" in cases.case_table(no_code).as_raw_html()


def test_truncate_says_how_much_was_cut():
    assert cases.truncate("x" * 10, 20) == "x" * 10
    assert cases.truncate("x" * 30, 20).endswith("[10 more characters]")
    assert cases.truncate(None, 5) == ""


# -- context ------------------------------------------------------------------------------------
def test_reported_numbers_with_wilson():
    frame = context.reported_frame()
    readme = {r["model"]: r for r in frame.filter(pl.col("source") == "README").iter_rows(named=True)}
    assert {m: r["solved"] for m, r in readme.items()} == context.ORIGINAL_STUDY["readme"]
    assert (readme["base"]["lo"], readme["base"]["hi"]) == pytest.approx(wilson_interval(8, 41))
    assert "Reported, not reproduced" in context.reported_table(frame).as_raw_html()
    assert "overlap" in context.reported_overlap_sentence(frame)


def test_run_overview_and_settings(study):
    ov = context.run_overview(study.runs)
    assert ov["model"].to_list() == ["base", "deep", "diverse"]
    assert ov.filter(pl.col("model") == "deep")["steps"][0] == "100, 200, 300"
    settings = context.settings_frame(study.configs)
    assert settings.filter(pl.col("setting") == "data.path")["fixture-deep"][0] == "corpora/deep.jsonl"
    assert "no run folder" in context.settings_table(context.settings_frame({}), "").as_raw_html()
    assert "solutions_per_problem" in context.corpus_card_table(study.card).as_raw_html()


def test_analysis_never_imports_torch():
    code = ("import sys, analysis.render, analysis.summary, analysis.cases, analysis.context; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_fence_rates_count_no_code_under_lcb_extraction(d):
    rates = sensitivity.fence_rates(d.per, d.roles)
    assert set(rates["benchmark"]) <= {"heldout", "lcb41"}  # humaneval is not fence-extracted
    # ground truth straight from the per-problem rows the function reads
    rows = problems.at_role(d.per, d.roles).filter(
        (pl.col("extraction") == "lcb") & (pl.col("grader") != "humaneval")).unique(
        subset=["benchmark", "model", "question_id"], keep="first", maintain_order=True)
    for r in rates.iter_rows(named=True):
        mine = rows.filter((pl.col("benchmark") == r["benchmark"]) & (pl.col("model") == r["model"]))
        assert r["answers"] == mine.height
        assert r["unfenced"] == (mine["verdict"] == "no_code").sum()
        assert 0 <= r["share"] <= 1
    html = sensitivity.fence_table(rates).as_raw_html()
    assert "%" in html
    empty = sensitivity.fence_rates(d.per.clear(), d.roles)
    assert empty.height == 0 and "no runs" in sensitivity.fence_table(empty).as_raw_html()
