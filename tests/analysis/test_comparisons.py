"""Every comparison of a program's output is total: random and adversarial outputs (special
decimals, huge numbers, odd encodings, broken JSON) give a verdict, never an exception.

Seeded random generation (the property tests run the same cases every time)."""

import random

import pytest

from codegen_study.sandbox import Outcome
from codegen_study.scoring.grading import VerdictCache, grade
from codegen_study.scoring.harnesses import PlannedTest, compare_lcb, compare_seed, json_equal, judge
from codegen_study.scoring.profiles import get_profile
from codegen_study.scoring.verdicts import Sample, judge_safely
from codegen_study.tasks.problems import Problem
from codegen_study.tasks.problems import TestCase as Case

ADVERSARIAL = [
    "sNaN", "-sNaN", "sNaN123", "NaN", "-nan", "Infinity", "-Inf", "inf", "1e999999999999999999",
    "1e-999999999999999999", "1e9999999999999999999999", "9" * 5000, "-" + "9" * 5000, "0." + "0" * 4000 + "1",
    "1_000", "0x1f", "１２３", "\ufeff1", "1\x00", "\ud800", "\udcff", "\r\n", "\x0b\x0c", "\u2028", "\u00a0",
    "[" * 5000, "]" * 10, "{" * 3000 + "}" * 3000, '"\\ud800"', "1" * 5000, "1e5", "1E+5", ".5", "5.", "+0",
    "-0", "0e0", "null", "true", "NaN NaN", "[NaN]", '{"a": Infinity}', "1 2 3", "",
]
ALPHABET = list("0123456789.-+eE nN\n\t\r") + ["sNaN", "Inf", "NaN", "\ufeff", "\ud800", "é", "\x00", "[", "]",
                                                "{", "}", '"', ",", ":"]


def outputs(seed: int, n: int):
    rng = random.Random(seed)
    yield from ADVERSARIAL
    for _ in range(n):
        parts = [rng.choice(ALPHABET + ADVERSARIAL) for _ in range(rng.randint(0, 12))]
        yield "".join(parts)


def test_stdin_comparisons_are_total():
    cases = list(outputs(1, 1500))
    rng = random.Random(2)
    for got in cases:
        want = rng.choice(cases)
        for compare in (compare_seed, compare_lcb):
            assert compare(got, want) in (True, False)
            assert compare(got, got) in (True, False)
        assert compare_seed(got, got) and compare_lcb(got, got)


def test_signalling_nan_is_never_equal_and_never_raises():
    assert not compare_lcb("sNaN\n", "1\n") and not compare_lcb("1\n", "sNaN\n")
    assert compare_lcb("sNaN\n", "sNaN\n")  # equal text is equal
    assert compare_lcb("1.0 2\n", "1 2.00\n")


def test_json_comparison_is_total():
    cases = list(outputs(3, 1500))
    for got in cases:
        assert json_equal(got, "[1, 2]") in (True, False)
        assert json_equal("[1, 2]", got) in (True, False)


def _outcome(stdout: str, status: str = "ok", result=None, detail: str = "") -> Outcome:
    return Outcome(status, 0, None, stdout, "", 0.0, 0.0, False, result, detail)


@pytest.mark.parametrize("mode", ["seed", "lcb", "call", "humaneval"])
def test_judge_is_total_in_every_mode(mode):
    rng = random.Random(4)
    for got in outputs(5, 600):
        want = rng.choice(ADVERSARIAL)
        planned = PlannedTest(Case("", want, True), 0, "", mode)
        for status in ("ok", "error", "timeout"):
            for result, detail in ((None, ""), ("passed", "J " + got), ("passed", got), ("failed", got),
                                   ("error", got)):
                verdict, _ = judge(planned, _outcome(got, status, result, detail))
                assert isinstance(verdict, str)


def test_a_failure_while_judging_is_that_samples_grader_error(monkeypatch):
    """A bug of the judge on one output: that sample says why, the others are graded."""
    import codegen_study.scoring.verdicts as verdicts

    real = verdicts.judge

    def fragile(planned, outcome):
        if "boom" in outcome.stdout:
            raise ArithmeticError("cannot compare this")
        return real(planned, outcome)

    monkeypatch.setattr(verdicts, "judge", fragile)
    p = Problem(id="p", title="p", statement="", platform="atcoder", date="", difficulty="easy",
                tests=(Case("1\n", "1\n", True),))
    samples = [Sample("p", 0, code="print('boom')"), Sample("p", 1, code="print(input())")]
    verdicts = list(grade({"p": p}, samples, get_profile("lcb"), workers=1, cache=VerdictCache()))
    assert [v.verdict for v in verdicts] == ["grader_error", "passed"]
    assert "ArithmeticError: cannot compare this" in verdicts[0].tests[0].stderr
    assert judge_safely(PlannedTest(Case("", "", True), 0, "", "seed"), None)[0] == "grader_error"
