"""The analysis and the report on a store of the 2 x 2 design (tests/fixtures/store_2x2, see
make_store_2x2.py) beside the first study's fixture store: both designs go through the same code."""

from __future__ import annotations

import json
import shutil
from unittest import mock

import polars as pl
import pytest

from analysis import (
    checkpoints,
    contrast_tables,
    costs,
    design,
    errors,
    family_tests,
    methods,
    reruns,
    significance,
)
from analysis import humaneval_breakdown as heb
from analysis import summary as S
from analysis.study import load_study
from tests.conftest import FIXTURES

STORE_2X2 = FIXTURES / "store_2x2" / "runs"
STORE_OLD = FIXTURES / "store" / "runs"
ARMS = ["deep-narrow", "deep-wide", "diverse-wide", "diverse-narrow"]


@pytest.fixture(scope="module")
def new():
    study = load_study(STORE_2X2)
    return study, S.derive(study, n_boot=50)


@pytest.fixture(scope="module")
def old():
    study = load_study(STORE_OLD)
    return study, S.derive(study, n_boot=50)


def test_orders_come_from_the_design(new):
    _, d = new
    assert design.arm_order(d.arms["arm"].to_list()) == ["base", "base-1shot", "deep-narrow", "deep-wide",
                                                         "diverse-narrow", "diverse-wide"]
    groups = d.arms.filter(pl.col("benchmark") == "heldout")["subset"].unique(maintain_order=True).to_list()
    assert groups == ["all", "narrow", "wide_only", "unseen"]
    assert design.arm_color("diverse-wide") != design.arm_color("deep-wide")


def test_seed_pairs_cover_every_contrast(new):
    _, d = new
    kinds = set(d.mcnemar["kind"])
    assert {"deep-wide vs diverse-wide", "deep-narrow vs diverse-narrow", "deep-narrow vs deep-wide",
            "diverse-narrow vs diverse-wide", "base vs adapter", "base vs base-1shot"} == kinds
    pairs = d.mcnemar.filter(pl.col("kind") == "deep-wide vs diverse-wide")
    expected = {(f"deep-wide-s{i}", f"diverse-wide-s{i}") for i in (1, 2, 3)}
    assert set(zip(pairs["model_a"], pairs["model_b"])) == expected
    assert ("deep-wide", "diverse-wide") in set(zip(d.sampled["model_a"], d.sampled["model_b"]))


def test_answer_and_headline_table_for_both_designs(new, old):
    for (_, d), primary in ((new, "Deep-wide and diverse-wide"), (old, "Shape at equal size")):
        rows = family_tests.prompt_rows(d.per, d.roles, d.profiles)
        tests = family_tests.family_tests(rows, sims=20)
        sentence = family_tests.answer_sentence(tests)
        assert sentence.startswith(primary) and sentence.count(". ") == 0
        table = design.headline_2x2(rows)
        assert table.height == 6 and set(table["prompt"]) == {"train", "lcb"}
        design.headline_gt(table).as_raw_html()
        html = contrast_tables.contrast_gt(tests).as_raw_html()
        assert "across prompts" in html and "train prompt" in html and "lcb prompt" in html
    rows = family_tests.prompt_rows(new[1].per, new[1].roles, new[1].profiles)
    narrow = design.headline_2x2(rows).filter((pl.col("group") == "narrow") & (pl.col("prompt") == "train")).row(
        0, named=True)
    # deep-narrow solves fa-0..2, fb-0..1 minus one per seed: 4 of 6 each; base-1shot solves fa-0
    assert narrow["deep · narrow"] == "4" and narrow["base"] == "0" and narrow["base-1shot"] == "1"


def test_format_sentence_reads_the_format_control(new, old):
    text = methods.format_sentence(family_tests.prompt_rows(new[1].per, new[1].roles, new[1].profiles))
    assert "base-1shot) 2" in text and "the base model solves 0" in text and "% of the gap" in text
    text = methods.format_sentence(family_tests.prompt_rows(old[1].per, old[1].roles, old[1].profiles))
    assert "was not run" in text


def test_budget_names_the_arm_that_did_not_converge(new, old):
    study, _ = new
    arms_of = dict(zip(study.runs["model"], study.runs["arm"]))
    budgets = methods.arm_budgets(methods.budget_frame(study.configs, study.training, arms_of))
    assert budgets["arm"].to_list() == ["deep-narrow", "deep-wide", "diverse-narrow", "diverse-wide"]
    sentence = methods.budget_sentence(budgets)
    assert "patience 2, eval every 100 steps, min Δ 0.001), at most 4 epochs" in sentence
    assert "diverse-wide (3 of 3 runs) reached the epoch ceiling" in sentence and "did not converge" in sentence
    assert "no fixed-budget runs" in methods.fixed_budget_sentence(budgets)
    study, _ = old
    budgets = methods.arm_budgets(methods.budget_frame(study.configs, study.training,
                                                       dict(zip(study.runs["model"], study.runs["arm"]))))
    assert set(budgets["fixed"]) == {True}
    assert "sensitivity row" in methods.fixed_budget_sentence(budgets)
    assert "No run in this store trained under the early-stopping recipe" in methods.budget_sentence(budgets)
    methods.budget_table(budgets).as_raw_html()


def test_stage_costs_from_the_study_summary(new, old, tmp_path):
    study, _ = new
    assert costs.stage_frame(study.costs)["stage"].to_list()[:2] == ["synth", "train"]
    html = costs.stage_table(study.costs).as_raw_html()
    assert "GPU stages in all" in html and "160.0" in html
    assert "160 GPU seconds" in costs.stage_sentence(study.costs, study.training)
    assert old[0].costs == {} and "no cost summary" in costs.stage_sentence({}, {})
    bad = tmp_path / "runs"
    shutil.copytree(STORE_2X2 / "base", bad / "base")
    (bad / "study-costs.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(Exception, match="study-costs.json:1"):
        load_study(bad)


def test_shared_validation_loss_on_one_axis(new, old):
    study, d = new
    assert "shared validation set" in checkpoints.loss_sentence(study.configs, study.losses)
    chart = checkpoints.checkpoint_chart(checkpoints.checkpoint_curve(d.scores, d.profiles), study.losses,
                                         dict(zip(study.runs["model"], study.runs["arm"])), study.configs)
    spec = json.dumps(chart.to_dict())
    assert "the same rows for every arm" in spec
    study, d = old
    assert "shared validation set" not in checkpoints.loss_sentence(study.configs, study.losses)


def test_humaneval_breakdown_and_case(new):
    study, d = new
    entries = {f"HumanEval/{i}": f"f{i}" for i in range(4)}
    answers = heb.humaneval_answers(d.per, d.roles, d.profiles, study.samples, entries)
    per_arm = heb.arm_breakdown(heb.breakdown(answers))
    assert set(per_arm["arm"]) == {"base", "base-1shot", *ARMS}
    base = per_arm.filter((pl.col("arm") == "base") & (pl.col("prompt") == "train")).row(0, named=True)
    assert base["defines_entry"] == 0.75 and base["reads_stdin"] == 0.0  # HumanEval/1: no code extracted
    assert "defines the entry point" in heb.arm_breakdown_gt(per_arm).as_raw_html()
    case = heb.case_markdown(heb.pick_stdin_case(answers))
    assert "```python" in case and "input()" in case and "def f" in case


def test_reruns_of_another_design_share_no_trained_model(new, old):
    frame = reruns.rerun_frame(old[0], new[0])
    assert set(frame["model"]) <= {"base"}
    assert "not measured" in reruns.rerun_sentence(frame)
    assert "not measured" in reruns.rerun_sentence(reruns.rerun_frame(None, new[0]))


def test_wide_tables_stay_narrow_with_many_arms(new):
    _, d = new
    html = errors.taxonomy_table(errors.error_taxonomy(d.rows, new[0].tests)).as_raw_html()
    assert "humaneval · deep-wide" not in html and "deep-wide" in html  # arms as columns, benchmarks as groups
    html = significance.mcnemar_summary_gt(d.mcnemar).as_raw_html()
    assert "deep-wide vs diverse-wide" in html


@pytest.mark.slow
def test_preview_renders_the_2x2_store(tmp_path):
    from analysis import render

    out = tmp_path / "report.html"
    with mock.patch.dict("os.environ", {"CODEGEN_STUDY_DATA": str(STORE_2X2)}):
        render.write_preview(render.ROOT / "report.qmd", out)
    html = out.read_text(encoding="utf-8")
    assert "{python}" not in html and "class='error'" not in html
    assert "Deep-wide and diverse-wide could not be told apart" in html
    assert "base-1shot" in html and "reached the epoch ceiling" in html and "GPU stages in all" in html
    assert "no fixed-budget runs" in html and "the same rows for every arm" in html


def budgets_of(study, configs=None, training=None) -> pl.DataFrame:
    """The per-arm budgets the report builds, from the study's configs and training records or stand-ins."""
    arms_of = dict(zip(study.runs["model"], study.runs["arm"]))
    return methods.arm_budgets(methods.budget_frame(study.configs if configs is None else configs,
                                                    study.training if training is None else training, arms_of))


def test_a_step_cap_is_named_apart_from_the_epoch_ceiling(new):
    study, _ = new
    arms_of = dict(zip(study.runs["model"], study.runs["arm"]))
    configs = {m: {**c, "train": {**c.get("train", {}), "max_steps": 300}} for m, c in study.configs.items()}
    training = {m: {**r, "stop_reason": "max_steps"} if arms_of.get(m) == "deep-wide" else r
                for m, r in study.training.items()}
    budgets = budgets_of(study, configs, training)
    sentence = methods.budget_sentence(budgets)
    assert "at most 300 steps" in sentence and "at most 4 epochs" not in sentence
    assert "deep-wide (3 of 3 runs) stopped at the step cap before early stopping fired, so it did" in sentence
    capped_all = {m: {**r, "stop_reason": "max_steps"} for m, r in study.training.items()}
    plural = methods.budget_sentence(budgets_of(study, configs, capped_all))
    assert "diverse-wide (3 of 3 runs) stopped at the step cap before early stopping fired, so they did" in plural
    assert "deep-wide (3 of 3 runs) reached the epoch ceiling" not in sentence
    assert "3 step cap" in methods.budget_table(budgets).as_raw_html()


def test_answer_scope_and_seed_limitation_follow_the_runs(new):
    study, _ = new
    budgets = budgets_of(study)
    scope = methods.answer_scope(budgets)
    assert "3 training seeds per arm" in scope and "runs of diverse-wide ended" in scope and "not converged" in scope
    assert methods.seeds_limitation(budgets).startswith("3 training seeds per arm show seed spread")
    converged = {m: {**r, "stop_reason": "early_stopping"} for m, r in study.training.items()}
    budgets = budgets_of(study, training=converged)
    assert methods.answer_scope(budgets).startswith("Every run of every design arm stopped early")
    one = {m: r for m, r in study.training.items() if m.endswith("-s1")}
    budgets = budgets_of(study, training=one)
    assert "(1 training seed per arm)" in methods.answer_scope(budgets)
    assert methods.seeds_limitation(budgets).startswith("One training seed per arm")


def test_a_time_limit_is_named_in_the_budget_and_the_answer_scope(new):
    study, _ = new
    configs = {m: {**c, "train": {**c.get("train", {}), "time_limit": 900}} for m, c in study.configs.items()}
    timed = {m: {**r, "stop_reason": "time_limit"} if m.startswith("diverse-wide") else
             {**r, "stop_reason": "early_stopping"} for m, r in study.training.items()}
    budgets = budgets_of(study, configs, timed)
    sentence = methods.budget_sentence(budgets)
    assert "at most 4 epochs or 900 s of training" in sentence
    assert "diverse-wide (3 of 3 runs) stopped at the time limit before early stopping fired" in sentence
    assert "runs of diverse-wide ended at their time limit" in methods.answer_scope(budgets)
    assert "3 time limit" in methods.budget_table(budgets).as_raw_html()


def test_the_runs_a_limit_cut_short_are_counted_by_whether_they_were_still_improving(new):
    study, _ = new
    arms_of = dict(zip(study.runs["model"], study.runs["arm"]))
    capped = {m: {**r, "stop_reason": "max_steps", "step": 300,
                  "best_step": 300 if arms_of.get(m) == "deep-wide" else 200} for m, r in study.training.items()}
    sentence = methods.budget_sentence(budgets_of(study, training=capped))
    assert "3 of the 12 runs cut short had their lowest validation loss at their last evaluation" in sentence
    improving = {m: {**r, "best_step": 300} for m, r in capped.items()}
    every = methods.budget_sentence(budgets_of(study, training=improving))
    assert "all 12 runs cut short had their lowest validation loss at their last evaluation, i.e. were still" in every
    converged = {m: {**r, "stop_reason": "early_stopping", "step": 300, "best_step": 300}
                 for m, r in study.training.items()}
    assert "cut short" not in methods.budget_sentence(budgets_of(study, training=converged))


def test_what_training_the_capped_runs_on_to_their_ceiling_would_cost(new):
    study, _ = new
    arms_of = dict(zip(study.runs["model"], study.runs["arm"]))
    models = sorted(m for m in study.training if arms_of.get(m) not in design.CONTROLS)
    first, second = models[:4], models[4:]  # two cohorts: 4 runs at 100 ex/s, 8 runs at 200 ex/s

    def record(m):
        members = first if m in first else second
        rate = 100.0 if m in first else 200.0
        return {"stop_reason": "max_steps", "step": 250, "best_step": 250, "steps_per_epoch": 250,
                "cohort": {"runs": members, "examples": 16 * 250 * len(members), "examples_per_second": rate,
                           "loop_seconds": 16 * 250 * len(members) / rate}}

    training = {m: record(m) for m in models}
    configs = {m: {**c, "train": {**c.get("train", {}), "max_steps": 250}} for m, c in study.configs.items()}
    runs = methods.budget_frame(configs, training, arms_of)
    sentence = methods.ceiling_sentence(runs, training)
    # 4 epochs x 250 steps = 1,000 a run, 750 to go: 4 x 750 x 16 / 100 + 8 x 750 x 16 / 200 = 480 + 480 s
    assert "The step cap is a compute budget: trained on to their 4-epoch ceiling (1,000 steps a run)" in sentence
    assert "the 12 runs cut short would train 4.0 times the examples they did, about 960 s more" in sentence
    assert "(100–200 examples/s, evaluations and checkpoints included) after the 320 s they took" in sentence
    converged = {m: {**r, "stop_reason": "early_stopping"} for m, r in training.items()}
    assert methods.ceiling_sentence(methods.budget_frame(configs, converged, arms_of), converged) == ""
    assert methods.ceiling_sentence(runs, {m: {k: v for k, v in r.items() if k != "cohort"}
                                           for m, r in training.items()}) == ""
    paragraph = methods.budget_paragraph(methods.arm_budgets(runs), runs, training)
    assert paragraph.startswith(methods.budget_sentence(methods.arm_budgets(runs))) and paragraph.endswith(sentence)
