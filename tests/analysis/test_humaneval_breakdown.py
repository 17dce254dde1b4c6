"""analysis.humaneval_breakdown on known code strings and hand-made store frames, then on the real store."""

from __future__ import annotations

import polars as pl
import pytest

from analysis import humaneval_breakdown as H
from tests.conftest import ROOT

STORE = ROOT / "data" / "runs"


@pytest.mark.parametrize("code, entry, expected", [
    ("def add(a, b):\n    return a + b\n", "add", (True, True, False)),
    ("def helper(x):\n    return x\n", "add", (True, False, False)),
    ("class S:\n    def add(self, a, b):\n        return a + b\n", "add", (True, True, False)),
    ("async def add(a, b):\n    return a + b\n", "add", (True, True, False)),
    ("n = int(input())\nprint(n)\n", "add", (True, False, True)),
    ("import sys\ndata = sys.stdin.read().split()\n", "add", (True, False, True)),
    ("from sys import stdin\nx = stdin.readline()\n", "add", (True, False, True)),
    ("def add(a, b):\n    x = int(input ())\n    return x\n", "add", (True, True, True)),
    ("    return a + b\n", "add", (False, False, False)),  # a bare continuation of the prompt
    ("def add(a, b)\n    return a + b\n", "add", (False, False, False)),  # a syntax error
    ("x = user_input(3)\ny = self.input(2)\n", "add", (True, False, False)),
    ("", "add", (True, False, False)),
    (None, "add", (True, False, False)),
])
def test_answer_form_on_known_code(code, entry, expected):
    form = H.answer_form(code, entry)
    assert (form["parses"], form["defines_entry"], form["reads_stdin"]) == expected


CODE = {
    "def f(x):\n    return x\n": "ok",
    "print(int(input()))": "stdin",
    "def g(x):\n    return 0\n": "other",
    "def f(x):\n    return -x\n": "wrong",
}


def store(answers: dict[str, list[tuple[str, str, bool]]]):
    """(per, roles, profiles, samples) for HumanEval answers: model -> [(question, code, passed)]."""
    per, samples, roles = [], [], []
    for model, rows in answers.items():
        arm, step = ("base", 0) if model == "base" else (model.rsplit("-s", 1)[0], 100)
        roles += [dict(model=model, role="base", step=0)] if model == "base" else [
            dict(model=model, role="best", step=step), dict(model=model, role="final", step=step)]
        for prompt in ("train", "lcb"):
            run = f"{model}/step-{step}/humaneval/{prompt}/greedy"
            for qid, code, passed in rows:
                per.append(dict(run_id=run, question_id=qid, n=1, c=int(passed), verdict="passed" if passed else
                                "runtime_error", sample_id=0, model=model, arm=arm, train_seed=None if model == "base"
                                else int(model[-1]), step=step, benchmark="humaneval", prompt=prompt,
                                decoding="greedy", grader="humaneval", extraction="seed"))
                samples.append(dict(run_id=run, question_id=qid, sample_id=0, code=code))
            # an older checkpoint and another grading profile must be ignored
            per.append(per[-1] | dict(run_id=run + "-old", step=step - 50 if step else 0, c=1, grader="seed"))
    profiles = pl.DataFrame([dict(benchmark="humaneval", grader="humaneval", extraction="seed")])
    return pl.DataFrame(per), pl.DataFrame(roles), profiles, pl.DataFrame(samples)


ENTRIES = {"H/0": "f", "H/1": "f", "H/2": "f", "H/3": "f"}
OK, STDIN, OTHER, WRONG = CODE


def answers():
    return store({
        "base": [("H/0", OK, True), ("H/1", OK, True), ("H/2", WRONG, False), ("H/3", OTHER, False)],
        "deep-s1": [("H/0", STDIN, False), ("H/1", OK, True), ("H/2", STDIN, False), ("H/3", WRONG, False)],
        "deep-s2": [("H/0", OK, True), ("H/1", STDIN, False), ("H/2", OTHER, False), ("H/3", OTHER, False)],
    })


def test_breakdown_shares_on_known_answers():
    per, roles, profiles, samples = answers()
    ans = H.humaneval_answers(per, roles, profiles, samples, ENTRIES)
    assert ans.height == 3 * 4 * 2
    table = H.breakdown(ans)
    assert table["model"].to_list()[:2] == ["base", "base"] and table["prompt"].to_list()[:2] == ["train", "lcb"]
    row = {(r["model"], r["prompt"]): r for r in table.iter_rows(named=True)}
    base, d1, d2 = row[("base", "train")], row[("deep-s1", "train")], row[("deep-s2", "lcb")]
    assert (base["answers"], base["passed"], base["defines_entry"], base["reads_stdin"]) == (4, 2, 0.75, 0.0)
    assert base["pass_given_entry"] == pytest.approx(2 / 3)
    assert (d1["defines_entry"], d1["reads_stdin"], d1["with_entry"], d1["pass_given_entry"]) == (0.5, 0.5, 2, 0.5)
    assert (d2["defines_entry"], d2["reads_stdin"], d2["pass_given_entry"]) == (0.25, 0.25, 1.0)
    arms = {(r["arm"], r["prompt"]): r for r in H.arm_breakdown(table).iter_rows(named=True)}
    deep = arms[("deep", "train")]
    assert (deep["models"], deep["answers"], deep["passed"], deep["with_entry"]) == (2, 8, 2, 3)
    assert deep["defines_entry"] == pytest.approx(3 / 8) and deep["reads_stdin"] == pytest.approx(3 / 8)
    assert deep["defines_entry_range"] == "25–50%" and deep["pass_given_entry"] == pytest.approx(2 / 3)
    assert arms[("base", "train")]["reads_stdin_range"] == "0%"


def test_no_entry_defined_gives_no_conditional_pass_rate():
    per, roles, profiles, samples = store({"deep-s1": [("H/0", STDIN, False)]})
    table = H.breakdown(H.humaneval_answers(per, roles, profiles, samples, ENTRIES))
    assert table["pass_given_entry"].to_list() == [None, None]
    empty = H.humaneval_answers(per.filter(pl.col("benchmark") == "none"), roles, profiles, samples, ENTRIES)
    assert empty.height == 0 and H.breakdown(empty).height == 0


def test_stdin_case_is_an_adapter_reading_stdin_where_base_passed():
    per, roles, profiles, samples = answers()
    ans = H.humaneval_answers(per, roles, profiles, samples, ENTRIES)
    case = H.pick_stdin_case(ans)
    # H/0 (deep-s1) and H/1 (deep-s2) qualify; H/2 does not (base failed it); same length: question order
    assert (case["model"], case["question_id"], case["prompt"]) == ("deep-s1", "H/0", "train")
    assert case["code"] == STDIN and case["base_code"] == OK and case["base_verdict"] == "passed"
    assert H.pick_stdin_case(ans.filter(pl.col("question_id") == "H/2")) is None


def floor_store(top: int):
    rows = []
    for model in ("base", "deep-s1", "diverse-s1"):
        step = 0 if model == "base" else 100
        for prompt in ("train", "lcb"):
            for i in range(5):
                solved = model == "diverse-s1" and prompt == "train" and i < top
                rows.append(dict(run_id=f"{model}/{prompt}", question_id=f"q{i}", n=1, c=int(solved), model=model,
                                 step=step, benchmark="lcb41", prompt=prompt, decoding="greedy", grader="lcb",
                                 extraction="lcb"))
    roles = pl.DataFrame([dict(model="base", role="base", step=0), dict(model="deep-s1", role="final", step=100),
                          dict(model="diverse-s1", role="final", step=100)])
    profiles = pl.DataFrame([dict(benchmark="lcb41", grader="lcb", extraction="lcb")])
    return pl.DataFrame(rows), roles, profiles


def test_floor_sentence_says_when_every_model_is_at_floor():
    at = H.floor_sentence(*floor_store(1))
    assert at.startswith("lcb41 is at floor") and "base model solves 0" in at and "more than 1 of its 5" in at
    assert "either prompt" in at
    above = H.floor_sentence(*floor_store(3))
    assert above.startswith("lcb41 is not at floor") and "diverse-s1 solves 3 of 5" in above
    assert H.floor_sentence(*floor_store(1), benchmark="humaneval") == "humaneval was not run."


@pytest.mark.skipif(not (STORE / "base").is_dir(), reason="no results store in data/runs")
def test_breakdown_on_the_committed_store():
    from analysis.scores import checkpoint_roles, primary_profiles, problem_results
    from analysis.study import load_study

    study = load_study(STORE)
    per, roles, profiles = problem_results(study), checkpoint_roles(study.runs, study.losses), primary_profiles(
        study.runs)
    entries = H.entry_points()
    assert len(entries) == 164
    ans = H.humaneval_answers(per, roles, profiles, study.samples, entries)
    assert ans["entry_point"].null_count() == 0
    table = H.breakdown(ans)
    assert set(table["answers"]) == {164}
    assert table.height == ans.select("model", "prompt").unique().height
    for col in ("parses", "defines_entry", "reads_stdin"):
        assert table[col].is_between(0, 1).all()
    assert (table["passed_with_entry"] <= table["passed"]).all()
    assert set(H.arm_breakdown(table)["arm"]) == set(ans["arm"])
    assert H.floor_sentence(per, roles, profiles).startswith("lcb41 is ")
