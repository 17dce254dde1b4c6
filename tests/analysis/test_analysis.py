"""analysis/ on the fixture store (tests/fixtures/store, made by tests/fixtures/make_store.py).

The fixture's design (see make_store.py): base + deep-s1..s3 + diverse-s1..s3, checkpoints 100/200,
diverse-s2's best validation loss at 100; held-out groups both / diverse_only / unseen of two
families x three problems; prompts train and lcb (adapters solve far less under lcb); the seed
grader and the seed extraction each flip known problems; deep-s1 passes fb-2's public tests and
fails its private one; adapters fail HumanEval with EOFError.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import polars as pl
import pytest
import vl_convert as vlc

from analysis import (
    answer,
    arms,
    cases,
    checkpoints,
    context,
    errors,
    problems,
    scores,
    sensitivity,
    significance,
    summary,
)
from analysis.study import load_study
from codegen_study.scoring.metrics import holm, mcnemar_exact, wilson_interval
from tests.conftest import FIXTURES, ROOT

STORE = FIXTURES / "store" / "runs"
MODELS = ["base", "deep-s1", "deep-s2", "deep-s3", "diverse-s1", "diverse-s2", "diverse-s3"]
#: words that state a difference; a sentence may use them only when its test supports one
CLAIM_WORDS = ("more", "fewer", "better", "worse", "outperform", "improv", "beats", "higher", "lower")


@pytest.fixture(scope="module")
def study():
    return load_study(STORE)


@pytest.fixture(scope="module")
def d(study):
    return summary.derive(study, n_boot=200)


def arm_row(d, bench, subset, arm):
    return d.arms.filter((pl.col("benchmark") == bench) & (pl.col("subset") == subset)
                         & (pl.col("arm") == arm)).row(0, named=True)


# -- loading ---------------------------------------------------------------------------
def test_load_reads_the_seven_model_layout(study):
    assert sorted(set(study.runs["model"])) == MODELS
    assert set(study.runs["prompt"]) == {"train", "lcb"} and set(study.runs["arm"]) == {"base", "deep", "diverse"}
    assert set(study.runs.filter(pl.col("arm") == "deep")["train_seed"]) == {1, 2, 3}
    assert study.losses.filter(pl.col("model") == "deep-s1").height == 4  # parquet part of deep-s1
    assert study.prompts.height == 6  # one problem per benchmark and prompt style, de-duplicated over folders
    assert "completion" not in study.completions.columns and study.completions["seconds"].sum() > 0
    assert set(study.training) == set(MODELS) - {"base"} and study.training["deep-s2"]["seconds"] == 62.0
    assert study.statements["abc901_a"].startswith("Fixture AtCoder task A")
    assert set(study.problems.filter(pl.col("benchmark") == "heldout")["group"]) == {"both", "diverse_only", "unseen"}
    assert study.problems.filter(pl.col("benchmark") == "lcb41")["group"].null_count() == 6  # "" read as missing


def test_load_missing_store_gives_typed_empty_frames(tmp_path):
    s = load_study(tmp_path / "nothing-here")
    assert s.empty and "verdict" in s.samples.columns and "prompt" in s.runs.columns and s.prompts.height == 0
    d = summary.derive(s)
    assert d.arms.height == 0 and d.mcnemar.height == 0
    assert "not run" in summary.answer_text(d) and "No scoring runs" in summary.overview_sentence(d)
    for gt in (arms.arm_table(d.arms), significance.mcnemar_gt(d.mcnemar), significance.sampled_gt(d.sampled),
               errors.taxonomy_table(errors.error_taxonomy(d.rows, s.tests)), context.corpus_card_table(s.card),
               sensitivity.prompt_table(sensitivity.prompt_sensitivity(d.per, d.roles, d.profiles)),
               context.cost_table(context.cost_frame(s.runs, s.completions, s.samples, s.losses, s.training)),
               arms.family_table(arms.family_scores(d.rows))):
        gt.as_raw_html()
    for chart in (arms.arm_chart(d.rows), arms.date_chart(arms.date_scores(d.rows)),
                  checkpoints.checkpoint_chart(checkpoints.checkpoint_curve(d.scores, d.profiles), s.losses),
                  errors.taxonomy_chart(errors.error_taxonomy(d.rows, s.tests))):
        assert "not run" in chart.to_json() or "no failing" in chart.to_json()


def test_training_environment_is_read_in_either_shape(tmp_path):
    """train-env.json as `train` wrote it before and after env.json held one record per stage."""
    import json

    from codegen_study.store import Store

    record = {"python": "3.12.3", "gpu": "NVIDIA H200", "packages": {"torch": "2.11.0"}}
    for folder, env in (("deep-s1", record), ("deep-s2", {"training": record})):
        Store(tmp_path / folder).append("losses", [{"model": folder, "step": 1, "split": "train", "loss": 1.0,
                                                     "epoch": 0.1, "learning_rate": 0.0, "seconds": 1.0}])
        (tmp_path / folder / "train-env.json").write_text(json.dumps(env))
        (tmp_path / folder / "env.json").write_text(json.dumps({"scoring": {"python": "3.11.7"}}))
    s = load_study(tmp_path)
    assert s.envs["deep-s1"] == s.envs["deep-s2"] == {"scoring": {"python": "3.11.7"}, "training": record}
    shared = context.shared_settings(context.settings_frame(s.envs))
    assert "training.gpu" in shared["setting"].to_list()


# -- scores and arms ---------------------------------------------------------------------
def test_greedy_run_scores_use_wilson(d):
    row = d.scores.filter((pl.col("model") == "deep-s1") & (pl.col("step") == 200) & (pl.col("benchmark") == "lcb41")
                          & (pl.col("decoding") == "greedy") & (pl.col("prompt") == "train")
                          & (pl.col("grader") == "lcb") & (pl.col("extraction") == "lcb")).row(0, named=True)
    assert (row["solved"], row["problems"]) == (2, 6)
    assert (row["lo"], row["hi"]) == pytest.approx(wilson_interval(2, 6))


def test_sampled_rows_keep_only_problems_every_sampled_run_holds_in_full():
    per = pl.DataFrame({
        "run_id": ["a", "a", "b", "b", "g"], "benchmark": ["x"] * 5, "question_id": ["p", "q", "p", "q", "r"],
        "decoding": ["sampling"] * 4 + ["greedy"], "n": [10, 10, 10, 4, 1]})
    kept = scores.common_sampled_problems(per)
    # q stopped early in run b, so no run keeps it; greedy rows stay as they are
    assert sorted(zip(kept["run_id"], kept["question_id"])) == [("a", "p"), ("b", "p"), ("g", "r")]


def test_coverage_names_what_the_store_does_not_hold(d):
    assert summary.coverage_sentence(d) == ""  # the fixture holds every checkpoint and every sample
    runs = d.study.runs.filter(~((pl.col("model") == "deep-s1") & (pl.col("step") == 100)))
    sampled = (pl.col("decoding") != "greedy") & (pl.col("benchmark") == "lcb41")
    one = d.per.filter(sampled)["question_id"][0]
    partial = dataclasses.replace(d, study=dataclasses.replace(d.study, runs=runs),
                                  per=d.per.filter(~(sampled & (pl.col("question_id") == one))))
    text = summary.coverage_sentence(partial)
    assert "deep-s1: steps 200 of 2 checkpoints" in text and "deep-s2" not in text
    total = d.study.problems.filter(pl.col("benchmark") == "lcb41").height
    assert f"lcb41 {total - 1} of {total}" in text


def test_truncation_is_read_from_training_records(d):
    record = {"data": {"train": {"rows": 10, "truncated": 2, "dropped": 1}}}
    study = dataclasses.replace(d.study, training={"deep-s1": record, "deep-s2": record})
    text = summary.truncation_sentence(dataclasses.replace(d, study=study))
    assert text == ("deep: 2 of 10 training rows truncated at the context length, "
                    "1 without any answer token left (dropped).")


def test_sampled_zero_gets_rule_of_three_not_zero_width(d):
    row = d.scores.filter((pl.col("model") == "base") & (pl.col("benchmark") == "heldout")
                          & (pl.col("decoding") != "greedy")
                          & (pl.col("subset") == "all") & (pl.col("grader") == "lcb")).row(0, named=True)
    assert row["pass1"] == 0 and (row["lo"], row["hi"]) == (0.0, pytest.approx(3 / 18))


def test_checkpoint_roles_best_by_valid_loss(d):
    roles = {(r["model"], r["role"]): r["step"] for r in d.roles.iter_rows(named=True)}
    assert roles[("diverse-s2", "best")] == 100 and roles[("diverse-s2", "final")] == 200
    assert roles[("deep-s1", "best")] == roles[("deep-s1", "final")] == 200 and roles[("base", "base")] == 0
    text = checkpoints.best_final_sentence(d.roles)
    assert text.startswith("For 5 of 6 adapters best = final") and "diverse-s2 (best step 100, final 200)" in text


def test_primary_profiles(d):
    assert d.profiles.rows() == [("heldout", "lcb", "lcb"), ("lcb41", "lcb", "lcb"), ("humaneval", "humaneval", "seed")]


def test_arm_scores_mean_and_range_over_seeds(d):
    deep = arm_row(d, "heldout", "both", "deep")  # seeds solve 5, 5, 4 of the six both-group problems
    assert (deep["seeds"], deep["problems"], deep["solved_min"], deep["solved_max"]) == (3, 6, 4, 5)
    assert deep["solved_mean"] == pytest.approx(14 / 3) and deep["pass1"] == pytest.approx(14 / 18)
    base = arm_row(d, "heldout", "both", "base")
    assert (base["seeds"], base["solved_mean"], base["lo"], base["hi"]) == (1, 0, 0.0, 0.5)  # rule of three: 3/6
    assert arm_row(d, "heldout", "all", "deep")["clustered"]  # six families
    assert not arm_row(d, "heldout", "both", "deep")["clustered"]  # two families: too few to resample
    html = arms.arm_table(d.arms, [("heldout", "both")]).as_raw_html()
    assert "4.7/6 (seeds 4–5)" in html and "0/6 · 0% [0, 50]" in html and "lcb41" not in html


def test_family_and_date_scores(d):
    fam = {(r["family"], r["arm"]): (r["solved"], r["attempts"])
           for r in arms.family_scores(d.rows).iter_rows(named=True)}
    assert fam[("fa", "deep")] == (7, 9) and fam[("fc", "diverse")] == (6, 9) and fam[("fa", "base")] == (0, 3)
    dates = arms.date_scores(d.rows)
    assert dates["month"].unique().sort().to_list()[0] == "2024-08"
    aug = dates.filter((pl.col("month") == "2024-08") & (pl.col("arm") == "deep")).row(0, named=True)
    assert (aug["solved"], aug["attempts"], aug["problems"]) == (3, 3, 1)  # abc901_a, every deep seed
    assert "contest month" in vlc.vegalite_to_svg(arms.date_chart(dates).to_json())


def panel_domains(spec: dict) -> dict[str, list]:
    """title -> x domain of every panel of a vconcat-of-hconcat chart."""
    return {panel["title"]: panel["layer"][0]["encoding"]["x"]["scale"]["domain"]
            for row in spec["vconcat"] for panel in row["hconcat"]}


def test_arm_chart_axis_scaled_to_the_data(d):
    rows = d.rows.filter(pl.col("benchmark") == "lcb41")
    domains = panel_domains(arms.arm_chart(rows).to_dict())
    assert domains == {"lcb41": [0, pytest.approx(2 / 6 * 1.3)]}  # not 0-100% for values under 35%
    assert "2/6" in vlc.vegalite_to_svg(arms.arm_chart(rows).to_json())  # k/n labels


def test_arm_chart_panels_have_their_own_axes_and_no_empty_slot(d):
    spec = arms.arm_chart(d.rows).to_dict()
    rows = [[panel["title"] for panel in row["hconcat"]] for row in spec["vconcat"]]
    assert rows == [["heldout: both", "heldout: diverse only", "heldout: unseen"], ["lcb41", "humaneval"]]
    domains = panel_domains(spec)
    assert len({tuple(v) for v in domains.values()}) > 1  # each panel ends above its own largest value


# -- significance -------------------------------------------------------------------------
def test_mcnemar_table_holm_within_each_table(d):
    table = d.mcnemar.filter((pl.col("benchmark") == "heldout") & (pl.col("subset") == "all"))
    assert table.height == 9 and set(table["tests"]) == {9}  # 6 base vs adapter + 3 deep vs diverse
    assert table["p_holm"].to_list() == pytest.approx(holm(table["p_value"].to_list()))
    row = table.filter(pl.col("model_b") == "diverse-s1").filter(pl.col("model_a") == "base").row(0, named=True)
    assert (row["only_a"], row["only_b"]) == (0, 9) and row["p_value"] == pytest.approx(mcnemar_exact(0, 9))
    assert row["p_holm"] == pytest.approx(9 * 2 / 2**9) and row["significant"]
    pairs = table.filter(pl.col("kind") == "deep vs diverse")
    assert pairs.select("model_a", "model_b").rows() == [("deep-s1", "diverse-s1"), ("deep-s2", "diverse-s2"),
                                                          ("deep-s3", "diverse-s3")]
    assert "Holm p" in significance.mcnemar_gt(d.mcnemar).as_raw_html()


def test_power_table_says_what_could_be_detected(d):
    row = d.power.filter((pl.col("benchmark") == "heldout") & (pl.col("subset") == "all")).row(0, named=True)
    assert (row["problems"], row["min_one"], row["min_table"]) == (18, 6, 9)
    assert row["mdd_one"] == pytest.approx(6 / 18) and row["mdd_table"] == pytest.approx(0.5)
    small = d.power.filter(pl.col("benchmark") == "humaneval").row(0, named=True)
    assert small["mdd_one"] is None
    text = significance.power_lines(d.power)
    assert "at least 6 problems" in text and "(more than the 4 it has)" in text


def test_sampled_paired_bootstrap_between_arms(d):
    table = d.sampled.filter((pl.col("benchmark") == "lcb41") & (pl.col("subset") == "all"))
    assert table.select("model_a", "model_b").rows() == [("base", "deep"), ("base", "diverse"), ("deep", "diverse")]
    row = table.row(2, named=True)
    assert row["diff"] == pytest.approx(row["pass1_b"] - row["pass1_a"]) and row["lo"] <= row["diff"] <= row["hi"]
    assert table["p_holm"].to_list() == pytest.approx(holm(table["p_value"].to_list()))
    assert table["sign_holm"].to_list() == pytest.approx(holm(table["sign_p"].to_list()))
    assert "sign test Holm p" in significance.sampled_gt(d.sampled).as_raw_html()


def test_a_difference_needs_enough_events_over_problems():
    """Seven problems going one way could at best reach p = 0.016 > 0.05 / 3: too few events for a
    table of three tests, whatever a bootstrap over samples says; enough events and a small p differ."""
    assert significance.verdict(7, 3, 0.0) == "differs"  # 7 is the fewest the Holm threshold allows
    assert significance.verdict(6, 3, 0.0) == "too few events"
    assert significance.verdict(0, 1, 1.0) == "too few events"
    assert significance.verdict(20, 3, 0.2) == "not distinguishable"
    assert significance.verdict(20, 3, 0.01) == "differs"


def test_mcnemar_summary_and_pvalues(d):
    from analysis.blocks import pvalue

    assert (pvalue(0.0004), pvalue(0.0123), pvalue(1.0)) == ("< 0.001", "0.012", "1.000")
    summary_table = significance.mcnemar_summary(d.mcnemar)
    assert set(summary_table["pair"]) == {"base vs deep", "base vs diverse", "deep vs diverse"}
    cells = " ".join(summary_table["cell"].to_list())
    assert "only first/only second" in cells and "0.000" not in cells
    assert "0.000" not in significance.mcnemar_gt(d.mcnemar).as_raw_html()


# -- the generated answer ---------------------------------------------------------------------
def mcnemar_frame(rows: list[tuple]) -> pl.DataFrame:
    """(subset, kind, a, b, only_a, only_b, p_holm) rows -> a frame shaped like `mcnemar_table`."""
    out = [dict(benchmark="heldout", subset=s, kind=k, model_a=a, model_b=b, arm_a=a.split("-")[0],
                arm_b=b.split("-")[0], problems=40, both=0, only_a=oa,
                only_b=ob, neither=40 - oa - ob, p_value=p, p_holm=p, tests=9, significant=p < 0.05)
           for s, k, a, b, oa, ob, p in rows]
    return pl.DataFrame(out, schema=significance.MCNEMAR_SCHEMA, orient="row")


def dvd(subset, outcomes):
    return [(subset, "deep vs diverse", f"deep-s{i}", f"diverse-s{i}", oa, ob, p)
            for i, (oa, ob, p) in enumerate(outcomes, start=1)]


def power_frame(n=40, tests=9):
    return significance.power_table(mcnemar_frame(dvd("both", [(0, 0, 1.0)] * tests)[:1]).with_columns(
        problems=pl.lit(n, dtype=pl.Int64), tests=pl.lit(tests, dtype=pl.Int64)))


def test_answer_describes_whatever_groups_the_benchmark_has(d):
    legacy = d.arms.with_columns(subset=pl.col("subset").replace({"both": "seen", "diverse_only": "seen"}))
    legacy = legacy.unique(subset=["benchmark", "subset", "arm"], keep="first", maintain_order=True)
    assert answer.describe_sentence(legacy).startswith("Mean problems solved (of 6) on seen / unseen held-out families")
    whole = d.arms.filter(pl.col("subset") == "all")
    assert answer.describe_sentence(whole).startswith("Mean problems solved (of 18) on the held-out benchmark")
    assert "not run" in answer.describe_sentence(d.arms.filter(pl.col("benchmark") == "lcb41"))


def test_answer_on_the_fixture_claims_no_deep_diverse_difference(d):
    outcomes = answer.group_outcomes(d.mcnemar)
    assert set(outcomes["outcome"]) == {"none"}
    sentences = answer.answer_sentences(d.arms, d.mcnemar, d.power)
    assert 2 <= len(sentences) <= 3
    assert sentences[0].startswith("Mean problems solved (of 6)") and "Deep 4.7 / 0.7 / 0" in sentences[0]
    assert "no Deep-vs-Diverse difference on any held-out group" in sentences[1].replace("No", "no", 1)
    assert "no gap could have reached significance" in sentences[1]
    assert not any(w in sentences[1] for w in CLAIM_WORDS)
    assert "0 of 3 Deep and 1 of 3 Diverse (all solving more) adapters on the whole held-out" in sentences[2]


def test_non_significant_difference_never_yields_a_claim():
    # diverse ahead in every seed pair by 5 discordant problems to 0: raw p = 0.0625, not significant
    table = mcnemar_frame(dvd("both", [(0, 5, 0.0625)] * 3) + dvd("unseen", [(4, 0, 0.125)] * 3))
    text = answer.verdict_sentence(answer.group_outcomes(table), power_frame(), 0.05)
    assert text.startswith("No Deep-vs-Diverse difference on any held-out group is distinguishable from noise")
    assert "gap of at least 9 problems" in text
    assert not any(w in text.lower() for w in CLAIM_WORDS)


def test_significant_in_every_seed_pair_is_claimed_with_its_direction():
    table = mcnemar_frame(dvd("diverse_only", [(0, 12, 0.001), (1, 14, 0.004), (0, 10, 0.02)])
                          + dvd("both", [(2, 3, 1.0)] * 3))
    outcomes = answer.group_outcomes(table)
    assert dict(zip(outcomes["subset"], outcomes["outcome"])) == {"diverse_only": "diverse", "both": "none"}
    text = answer.verdict_sentence(outcomes, power_frame(), 0.05)
    assert "Diverse adapters solve more problems than Deep adapters on families only Diverse trained on" in text
    assert "p ≤ 0.02" in text and "no Deep-vs-Diverse difference on families both corpora trained on" in text


def test_mixed_or_opposite_seed_pairs_are_not_established():
    table = mcnemar_frame(dvd("unseen", [(0, 12, 0.001), (2, 3, 1.0), (0, 10, 0.02)])
                          + dvd("both", [(0, 12, 0.001), (12, 0, 0.001), (0, 12, 0.001)]))
    outcomes = answer.group_outcomes(table)
    assert set(outcomes["outcome"]) == {"mixed"}
    text = answer.verdict_sentence(outcomes, power_frame(), 0.05)
    assert "not established" in text and "2 of 3 seed pairs" in text and "3 of 3 seed pairs" in text
    assert not any(w in text.lower() for w in CLAIM_WORDS)


def test_base_sentence_words_follow_significance():
    rows = [("all", "base vs adapter", "base", f"{arm}-s{i}", 0, 3, 0.5) for arm in ("deep", "diverse") for i in (1, 2)]
    text = answer.base_sentence(mcnemar_frame(rows))
    assert "0 of 2 Deep and 0 of 2 Diverse adapters on the whole held-out benchmark" in text
    assert not any(w in text.lower() for w in CLAIM_WORDS)
    rows[0] = ("all", "base vs adapter", "base", "deep-s1", 9, 0, 0.01)
    assert "1 of 2 Deep (all solving fewer)" in answer.base_sentence(mcnemar_frame(rows))


# -- failures, sensitivity, cost ----------------------------------------------------------------
def test_exception_class_from_stderr():
    traceback = 'Traceback (most recent call last):\n  File "x", line 2\nEOFError: EOF when reading a line\n'
    assert errors.exception_class(traceback) == "EOFError"
    assert errors.exception_class('  File "main.py", line 1\n    Here is\n         ^\nSyntaxError: invalid syntax') \
        == "SyntaxError"
    assert errors.exception_class("Traceback ...\njson.decoder.JSONDecodeError: Expecting value") == "JSONDecodeError"
    assert errors.exception_class("Traceback ...\nKeyboardInterrupt\n") == "KeyboardInterrupt"
    assert errors.exception_class("") is None and errors.exception_class("Killed") is None


def test_error_taxonomy_by_exception_class(d, study):
    tax = errors.error_taxonomy(d.rows, study.tests)
    he = {r["kind"]: (r["count"], r["attempts"]) for r in tax.filter(
        (pl.col("benchmark") == "humaneval") & (pl.col("arm") == "deep")).iter_rows(named=True)}
    assert he == {"EOFError": (9, 12), "no_code": (3, 12)}  # HumanEval/1 is missed by the seed extraction
    kinds = set(tax["kind"])
    assert {"SyntaxError", "NameError", "ValueError", "IndexError", "wrong_answer"} <= kinds
    assert "runtime_error" not in kinds
    html = errors.taxonomy_table(tax).as_raw_html()
    assert "humaneval · deep" in html and "9/12" in html


def test_prompt_sensitivity(d):
    ps = sensitivity.prompt_sensitivity(d.per, d.roles, d.profiles)
    deep = ps.filter((pl.col("benchmark") == "heldout") & (pl.col("subset") == "all")
                     & (pl.col("arm") == "deep")).row(0, named=True)
    assert deep["train_mean"] == pytest.approx(16 / 3) and deep["lcb_mean"] == 1.0
    assert (deep["train_only"], deep["lcb_only"]) == (13, 0)
    assert "solved, prompt lcb" in sensitivity.prompt_table(ps).as_raw_html()


def test_profile_flips_summed_over_seeds(d):
    flips = sensitivity.profile_flips(d.per, d.roles, d.profiles)
    deep = {(r["grader"], r["extraction"]): (r["answers"], r["gained"], r["lost"]) for r in flips.filter(
        (pl.col("benchmark") == "heldout") & (pl.col("arm") == "deep")).iter_rows(named=True)}
    # seed grader fails fb-0 (3 seeds solve it); seed extraction misses fa-1 (2 seeds solve it)
    assert deep == {("lcb", "seed"): (54, 0, 2), ("seed", "lcb"): (54, 0, 3), ("seed", "seed"): (54, 0, 5)}
    sensitivity.flips_table(flips).as_raw_html()
    assert "not run" in sensitivity.profile_table(sensitivity.profile_scores(d.per, d.roles)).as_raw_html()


def test_public_only_vs_all_tests(d, study):
    pv = sensitivity.public_vs_all(d.per, study.tests, study.problems, d.roles, d.profiles)
    assert set(pv["benchmark"]) == {"heldout"}
    s1 = pv.filter(pl.col("model") == "deep-s1").row(0, named=True)
    assert (s1["public_solved"], s1["all_solved"]) == (7, 6)  # fb-2 fails only a private test
    assert pv.filter(pl.col("model") == "deep-s2")["public_solved"][0] == pv.filter(
        pl.col("model") == "deep-s2")["all_solved"][0]


def test_cost_frame(study):
    cost = context.cost_frame(study.runs, study.completions, study.samples, study.losses, study.training)
    rows = {r["model"]: r for r in cost.iter_rows(named=True)}
    assert rows["base"]["training_s"] is None and rows["deep-s1"]["training_s"] == 61.0
    answers = study.completions.filter(pl.col("model") == "deep-s1")
    assert rows["deep-s1"]["answers"] == answers.height
    assert rows["deep-s1"]["generation_greedy_s"] == pytest.approx(
        0.02 * answers.filter(pl.col("decoding") == "greedy").height)
    assert rows["total"]["scoring_cpu_s"] == pytest.approx(0.05 * study.samples.height)
    assert "training job" in context.cost_table(cost).as_raw_html()


def test_cost_counts_a_shared_training_job_once(study):
    cohort = {"runs": ["deep-s1", "diverse-s1"], "wall_seconds": 90.0}
    training = {"deep-s1": {"seconds": 80.0, "cohort": cohort}, "diverse-s1": {"seconds": 80.0, "cohort": cohort},
                "deep-s2": {"seconds": 50.0}}
    cost = context.cost_frame(study.runs, study.completions, study.samples, study.losses, training)
    rows = {r["model"]: r for r in cost.iter_rows(named=True)}
    assert rows["deep-s1"]["training_job"] == rows["diverse-s1"]["training_job"] != rows["deep-s2"]["training_job"]
    assert (rows["deep-s1"]["training_s"], rows["diverse-s1"]["training_s"]) == (80.0, None)
    assert rows["total"]["training_s"] == pytest.approx(80.0 + 50.0 + sum(
        r["training_s"] or 0 for m, r in rows.items() if m not in ("deep-s1", "diverse-s1", "deep-s2", "total")))


# -- context -------------------------------------------------------------------------------------
def test_settings_show_only_differing_keys(study):
    frame = context.settings_frame(study.configs)
    diff = context.differing_settings(frame)
    seeds = {r["value"]: r["folders"] for r in diff.filter(pl.col("setting") == "run.seed").iter_rows(named=True)}
    assert seeds == {"0": "base", "1": "deep-s1, diverse-s1", "2": "deep-s2, diverse-s2", "3": "deep-s3, diverse-s3"}
    assert "model.name_or_path" not in set(diff["setting"])
    assert "model.name_or_path" in set(context.shared_settings(frame)["setting"])
    assert diff.width == 3  # narrow whatever the number of folders
    context.settings_table(diff, "").as_raw_html()


def test_prompts_verbatim_and_original_study_power(study):
    text = context.prompts_markdown(study.prompts)
    assert "<|im_start|>user" in text and "Read the inputs from standard input" in text
    assert text.index("prompt `train`") < text.index("prompt `lcb`") and "\n```\n" in text
    text = context.reported_power_sentence()
    assert "4 problems of 41" in text and "would be 0.125" in text and "at least 6 such problems" in text
    frame = context.reported_frame()
    readme = {r["model"]: r["solved"] for r in frame.filter(pl.col("source").str.contains("README"))
              .iter_rows(named=True)}
    assert readme == context.ORIGINAL_STUDY["readme"]
    assert set(frame["source"]) == set(context.ORIGINAL_STUDY["sources"].values())  # every number names its document
    claim = context.original_claim()
    assert "README" in claim and ".docx report" in claim


def test_run_overview(study):
    ov = context.run_overview(study.runs)
    assert ov["model"].to_list() == MODELS
    row = ov.filter(pl.col("model") == "diverse-s2").row(0, named=True)
    assert (row["arm"], row["seed"], row["steps"], row["prompt"]) == ("diverse", 2, "100, 200", "lcb, train")
    assert "rlimit_cpu" in context.shared_run_facts(study.runs)
    assert context.stand_in_models(study.configs) == "`HuggingFaceTB/SmolLM2-135M-Instruct`"
    html = context.run_overview_table(ov).as_raw_html()  # the prompts every model shares are said once, above it
    assert ">prompt<" not in html and ">steps<" in html and ">None<" not in html
    mixed = ov.with_columns(prompt=pl.when(pl.col("model") == "base").then(pl.lit("lcb")).otherwise(pl.col("prompt")))
    assert ">prompt<" in context.run_overview_table(mixed).as_raw_html()
    assert "not recorded" in context.stand_in_models({})


# -- checkpoints ---------------------------------------------------------------------------------
def test_checkpoint_curve_seed_band(d, study):
    curve = checkpoints.checkpoint_curve(d.scores, d.profiles)
    row = curve.filter((pl.col("panel") == "heldout: both") & (pl.col("arm") == "deep")
                       & (pl.col("step") == 200)).row(0, named=True)
    assert (row["seeds"], row["pass1_min"], row["pass1_max"]) == (3, pytest.approx(4 / 6), pytest.approx(5 / 6))
    assert row["pass1"] == pytest.approx(14 / 18)
    assert "heldout" not in set(curve["panel"])  # groups instead of the whole benchmark
    chart = checkpoints.checkpoint_chart(curve, study.losses, dict(zip(study.runs["model"], study.runs["arm"])))
    assert "vconcat" in chart.to_dict()
    assert "validation loss" in vlc.vegalite_to_svg(chart.to_json())


def test_checkpoint_curve_follows_only_seeds_evaluated_at_every_step(d):
    assert checkpoints.curve_seeds_sentence(d.scores) == ""  # the fixture evaluates every checkpoint
    # deep-s2 evaluated at its final checkpoint only: the deep curve follows deep-s1 and deep-s3
    final = d.scores.filter(pl.col("model") == "deep-s2")["step"].max()
    partial = d.scores.filter(~((pl.col("model") == "deep-s2") & (pl.col("step") != final)))
    curve = checkpoints.checkpoint_curve(partial, d.profiles).filter(pl.col("arm") == "deep")
    assert set(curve["seeds"]) == {2}
    full = checkpoints.checkpoint_curve(d.scores.filter(pl.col("model") != "deep-s2"), d.profiles)
    assert curve.equals(full.filter(pl.col("arm") == "deep"))
    assert checkpoints.curve_seeds_sentence(partial) == (
        "In this chart the deep curve follows deep-s1, deep-s3 alone (of deep-s1, deep-s2, deep-s3), "
        "the seeds evaluated at every checkpoint.")


# -- case studies ----------------------------------------------------------------------------------
def test_pick_cases_deep_vs_diverse_first_shortest_first(d, study):
    found = cases.disagreements(d.rows, study.samples)
    assert set(found["kind"]) == {"deep vs diverse", "base vs adapter"}
    picked = cases.pick_cases(d.rows, study.samples, max_cases=3)
    assert picked["benchmark"].to_list() == ["heldout", "lcb41", "humaneval"]
    first = picked.row(0, named=True)
    same = found.filter((pl.col("benchmark") == "heldout") & (pl.col("kind") == "deep vs diverse"))
    assert first["kind"] == "deep vs diverse" and first["length"] == same["length"].min()
    assert cases.pick_cases(d.rows, study.samples, max_cases=0).height == 0


def test_case_detail_and_statement(d, study):
    case = dict(benchmark="humaneval", question_id="HumanEval/0", passed_by="base", failed_by="deep-s1")
    detail = cases.case_detail(d.rows, study.samples, study.tests, case)
    assert [r["model"] for r in detail] == ["base", "deep-s1"]
    assert detail[1]["stderr"].rstrip().endswith("EOFError: EOF when reading a line")
    assert (detail[1]["input"], detail[1]["expected"]) == ("2\n0 1\n", "1\n")
    text = cases.case_markdown(case | dict(title="t", url=None), "a statement", detail)
    assert "fixture code: deep-s1 on HumanEval/0" in text and "test 0 (public)" in text and "```python" in text
    statement = cases.statement_of(study.prompts, study.statements, "heldout", "fa-0")
    assert statement.startswith("Fixture statement of fa-0")
    assert cases.statement_of(study.prompts, study.statements, "lcb41", "abc903_a").startswith("Fixture AtCoder task C")
    assert "not stored" in cases.case_markdown(case | dict(title="t", url=None),
                                               cases.statement_of(study.prompts, {}, "heldout", "fa-2"), detail)
    assert cases.truncate("x" * 30, 20).endswith("[10 more characters]")


def test_per_problem_csv(d, tmp_path):
    from analysis.blocks import csv

    matrix = problems.problem_matrix(d.per, d.roles, "lcb41", "lcb", "lcb")
    assert matrix.columns[5:] == MODELS and matrix["solved_by"][0] == max(matrix["solved_by"])
    text = csv(matrix, "per-problem-lcb41.csv", "Per problem", tmp_path)
    assert pl.read_csv(tmp_path / "per-problem-lcb41.csv").height == matrix.height
    html_part, pdf_part = text.split('when-format="html"}', 2)[1:]
    assert 'download="per-problem-lcb41.csv"' in html_part and "data:text/csv;base64," in html_part
    assert "per-problem-lcb41.csv" in pdf_part and "data:" not in pdf_part


def test_headline_table_per_model(d, study):
    html = scores.headline_table(d.head, d.profiles).as_raw_html()
    assert "diverse-s2" in html and "final = best" in html
    greedy_only = summary.derive(dataclasses.replace(study, runs=study.runs.filter(pl.col("decoding") == "greedy")),
                                 n_boot=50)
    assert summary.sampled_status(greedy_only).startswith("Sampled decoding was not run")
    assert "not run" in significance.sampled_gt(greedy_only.sampled).as_raw_html()


def test_analysis_never_imports_torch():
    code = ("import sys, analysis.render, analysis.summary, analysis.cases, analysis.context; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_reruns_count_what_a_second_making_changed(study):
    from analysis import reruns

    same = reruns.rerun_frame(study, study)
    assert same.height and (same["differ"] == 0).all() and (same["first"] == same["second"]).all()
    held_out = study.problems.filter(pl.col("benchmark") == "heldout").height
    for model in ("base", "deep-s1"):  # each problem once per model and prompt
        row = same.filter((pl.col("model") == model) & (pl.col("benchmark") == "heldout") & (pl.col("subset") == "all")
                          & (pl.col("prompt") == "train"))
        assert row["problems"].to_list() == [held_out]
    assert "moved by up to 0 of" in reruns.rerun_sentence(same)
    # the second making of deep-s1 fails every greedy held-out answer it passed before
    runs = study.runs.filter((pl.col("model") == "deep-s1") & (pl.col("decoding") == "greedy")
                             & (pl.col("benchmark") == "heldout"))["run_id"]
    flipped = study.samples.with_columns(
        passed=pl.when(pl.col("run_id").is_in(runs.to_list())).then(False).otherwise(pl.col("passed")))
    frame = reruns.rerun_frame(study, dataclasses.replace(study, samples=flipped))
    moved = frame.filter((pl.col("model") == "deep-s1") & (pl.col("benchmark") == "heldout"))
    assert moved.height and (moved["second"] == 0).all() and (moved["differ"] == moved["first"]).all()
    assert frame.filter(pl.col("model") != "deep-s1")["differ"].sum() == 0
    top = moved.filter(pl.col("subset") != "all")["first"].max()
    assert f"moved by up to {top} of" in reruns.rerun_sentence(frame) and "(deep-s1" in reruns.rerun_sentence(frame)
    assert "not measured" in reruns.rerun_sentence(frame.clear())
    reruns.rerun_table(frame)  # renders


def test_trainings_sentence_names_models_of_other_training_jobs(d):
    assert summary.trainings_sentence(d) == ""  # the fixture's runs have no cohort records
    training = {m: {"cohort": {"wall_seconds": 300.0 if m.startswith("deep") else 250.0}}
                for m in MODELS if m != "base"}
    two = dataclasses.replace(d, study=dataclasses.replace(d.study, training=training))
    text = summary.trainings_sentence(two)
    assert text.startswith("The trained models come from 2 training jobs") and "a job of 300 s" in text
    assert "deep-s1" in text and "diverse-s3" in text
    assert "come from different jobs" not in text  # each arm's seeds were trained together
    by_seed = {m: {"cohort": {"wall_seconds": 300.0 if m.endswith("-s1") else 250.0}} for m in MODELS if m != "base"}
    split = summary.trainings_sentence(dataclasses.replace(d, study=dataclasses.replace(d.study, training=by_seed)))
    assert "The seeds of deep, diverse come from different jobs, so their spread over seeds also holds" in split
