"""Grader profiles: everything that changes a verdict, named once per grader.

A *profile* fixes which tests count, the per-test time and memory limits, how the code is
extracted from the model's answer, what program actually runs, how output is compared
(`harnesses`), and whether a sample's tests stop at its first failure. Three profiles exist, one
per name of `core.vocabulary.GRADERS`:

* ``seed`` -- the original study's harness: public tests only; 10 s per test (interpreter
  start-up included), 512 MB address space; ``seed`` extraction. The program runs as written
  with the test input on stdin; a test passes when the exit code is 0 and
  ``"\\n".join(l.strip() for l in s.strip().split("\\n"))`` is equal for actual and expected
  output. Call-based (LeetCode) tests run as under ``lcb``, without its prelude. Every test
  runs, except after a timeout (below).
* ``lcb`` -- LiveCodeBench's official semantics: public + private tests; 6 s per test, 1024 MB;
  ``lcb`` extraction. The program is what LiveCodeBench's runner executes (its star-import
  prelude, the code's imports hoisted and the rest wrapped in ``wrapped_function()``, a trailing
  ``if __name__ == '__main__':`` block unwrapped, ``SystemExit`` ignored); output stripped, split
  into lines, each line stripped, equal line counts, and each line equal or equal token by token
  as ``decimal.Decimal``. Call-based tests call ``Solution().fn(*json args)`` once the program ran:
  the call comes from the sandbox's checker process (`sandbox.calls`) and the value returns to
  it as data; this process compares it, as JSON, with the JSON expected value (a returned tuple
  compares as a list), so the expected value never enters the sandbox and no pass marker
  exists for a program to print. As its runner does, a sample's
  tests stop at the first failing one: the rest are ``skipped``, so ``tests_passed`` counts the
  tests before the first failure. Deliberate differences from its in-process runner: every test
  runs in a fresh sandboxed process (no state shared between tests), and stdin is the real
  stdin (LiveCodeBench patches a StringIO in, under which ``sys.stdin.buffer`` fails).
* ``humaneval`` -- the task's one test; 3 s, 1024 MB; ``seed`` extraction. ``prompt +
  completion`` is the program; when the extracted code defines the entry point itself (an
  instruct model wrote the whole function), it runs after the prompt instead of continuing it.
  As in the reference (which execs into an empty globals dict), ``__name__`` is
  ``"builtins"``, so an ``if __name__ == "__main__":`` block does not run. The task's test code
  and ``check(entry_point)`` run in the sandbox's checker process, another process the program
  cannot reach (`sandbox.calls`); each call of the entry point crosses to the program and its
  value back, as data. A test passes only when the checker reports that ``check()`` returned
  (`Outcome.checked`): a program that exits early, patches builtins, walks frames or scans its
  memory finds no check and no secret to forge.

Time limits are the sandbox's: CPU seconds of the run, with a wall-clock backstop for programs
that sleep or block. Both harnesses being imitated use wall-clock limits; CPU time is what keeps
a verdict from changing when the machine is busy (tests/scoring/test_grading.py checks exactly that),
and for CPU-bound programs, which is what model-written solutions are, the two agree.

Covers: the profiles, overriding their limit or extraction, the tests and the code a profile takes
from a problem and a sample, which benchmark kinds a profile scores (`check_grader`). Does not
cover: running anything (`grading`), verdicts (`verdicts`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from codegen_study.core.errors import UserError
from codegen_study.core.vocabulary import EXTRACTIONS
from codegen_study.scoring.extract import extract_code
from codegen_study.scoring.harnesses import LCB_PRELUDE
from codegen_study.scoring.verdicts import Sample
from codegen_study.tasks.benchmark_kind import BenchmarkKind
from codegen_study.tasks.problems import Problem, TestCase
from codegen_study.tasks.sources import kind_of_grader


@dataclass(frozen=True)
class GraderProfile:
    name: str
    extraction: str  # "seed" | "lcb"
    public_only: bool
    timeout_s: float
    memory_mb: int
    comparison: str  # "seed" | "lcb" | "humaneval"
    prelude: str = ""
    #: LiveCodeBench's runner stops at a sample's first failing test; the seed harness runs all
    #: (here, as under every profile, a timeout still ends the sample's tests)
    stop_on_failure: bool = False
    #: the per-test limit counts a fresh interpreter's start-up (the seed harness times
    #: `python main.py` as a whole); LiveCodeBench times the program inside a running process
    startup_included: bool = False


PROFILES: dict[str, GraderProfile] = {
    "seed": GraderProfile("seed", "seed", True, 10.0, 512, "seed", startup_included=True),
    "lcb": GraderProfile("lcb", "lcb", False, 6.0, 1024, "lcb", LCB_PRELUDE, stop_on_failure=True),
    "humaneval": GraderProfile("humaneval", "seed", True, 3.0, 1024, "humaneval"),
}


def get_profile(name: str, *, timeout: float | None = None, extraction: str | None = None) -> GraderProfile:
    """The named profile, with the per-test timeout and/or extraction policy overridden."""
    if name not in PROFILES:
        raise UserError(f"unknown grader {name!r} (choose from {', '.join(PROFILES)})")
    profile = PROFILES[name]
    if timeout is not None:
        if not 0 < timeout < 1e6:  # also refuses nan and inf
            raise UserError(f"--timeout must be a positive number of seconds below 1e6, got {timeout}")
        profile = dataclasses.replace(profile, timeout_s=float(timeout))
    if extraction is not None:
        if extraction not in EXTRACTIONS:
            raise UserError(f"unknown extraction {extraction!r} (choose from {', '.join(EXTRACTIONS)})")
        profile = dataclasses.replace(profile, extraction=extraction)
    return profile


def selected_tests(problem: Problem, profile: GraderProfile) -> list[tuple[int, TestCase]]:
    """(index in problem.tests, test) of the tests this profile runs."""
    return [(i, t) for i, t in enumerate(problem.tests) if t.public or not profile.public_only]


def sample_code(sample: Sample, profile: GraderProfile) -> str:
    """The code a sample contributes: `code` as is, else the profile's extraction of `completion`."""
    if sample.code is not None:
        return sample.code
    return extract_code(sample.completion or "", profile.extraction)


def check_grader(kind: BenchmarkKind, profile: GraderProfile, source: str) -> None:
    """The grader must be one of those that score the benchmark's kind (HumanEval's check cannot
    grade a program, nor a stdin comparison a function)."""
    if profile.name not in kind.grader_names:
        owner = kind_of_grader(profile.name)
        scores = f"grader {profile.name!r} scores {owner.title} problems; " if owner else ""
        raise UserError(f"{source}: {scores}{kind.title} problems need --grader {' or '.join(kind.grader_names)}")
