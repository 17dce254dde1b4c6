"""What grading says of a sample and of each of its tests, and how a test's outcome becomes one.

Verdicts: passed, wrong_answer, runtime_error, timeout, memory_limit, output_limit, no_code,
code_limit (extracted code longer than `MAX_CODE_CHARS`: neither parsed nor run), grader_error
(judging this sample failed -- a bug of the scorer, never of the program; the reason is in the
test's ``stderr`` and the run goes on).
A sample passes when all its tests pass; its verdict is that of its first failing test. Under
every profile a timeout ends a sample's tests: the later ones are ``skipped`` (each would cost
the full limit again, and the sample has failed anyway).

Failing tests keep their input, expected and actual output and stderr, cut to `KEEP_CHARS`, so a
report can show why without the store growing by megabytes of private test data.

Covers: the sample and verdict types, judging one outcome without ever failing the run
(`judge_safely`), and a sample's verdict from its tests' (`sample_verdict`). Does not cover: what
runs (`harnesses`, `grading`).
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen_study.scoring.harnesses import PlannedTest, judge

VERDICTS = ("passed", "wrong_answer", "runtime_error", "timeout", "memory_limit", "output_limit", "no_code",
            "code_limit", "grader_error")
#: longer extracted code is not parsed nor run (verdict code_limit): parsing 1.5 MB of Python takes
#: 600 MB; a model's answer is a few kilobytes
MAX_CODE_CHARS = 128 << 10
KEEP_CHARS = 2000  # failing-test input/expected/actual/stderr are cut to this many characters


@dataclass(frozen=True)
class Sample:
    question_id: str
    sample_id: str | int
    code: str | None = None  # run as is
    completion: str | None = None  # raw model output: the profile's extraction applies


@dataclass(frozen=True)
class TestVerdict:
    index: int
    public: bool
    verdict: str
    seconds: float  # CPU seconds of the test's process
    input: str | None = None  # these four only for failing tests, truncated
    expected: str | None = None
    actual: str | None = None
    stderr: str | None = None


@dataclass(frozen=True)
class SampleVerdict:
    question_id: str
    sample_id: str | int
    code: str
    passed: bool
    verdict: str
    tests_passed: int
    tests_total: int
    seconds: float
    tests: tuple[TestVerdict, ...] = ()


def judge_safely(planned: PlannedTest, outcome) -> tuple[str, str | None, str | None]:
    """`judge`, total: (verdict, actual, why). Whatever a program printed, a failure while
    judging it becomes this test's ``grader_error`` with the reason, never the run's end."""
    try:
        verdict, actual = judge(planned, outcome)
        return verdict, actual, None
    except Exception as exc:
        return "grader_error", getattr(outcome, "stdout", None), reason(exc)


def reason(exc: BaseException) -> str:
    """A grader error's reason as a test's stderr shows it; never raises, whatever the exception."""
    try:
        text = str(exc)[:KEEP_CHARS]
    except Exception:
        text = ""
    return f"grader error: {type(exc).__name__}" + (f": {text}" if text else "")


def _cut(s: str | None) -> str | None:
    if s is None:
        return None
    return s if len(s) <= KEEP_CHARS else s[:KEEP_CHARS] + f"... [{len(s) - KEEP_CHARS} more chars]"


def sample_verdict(sample: Sample, code: str, results: list[tuple[PlannedTest, object]], total: int,
                   stop_on_failure: bool = False) -> SampleVerdict:
    """The verdict of a sample whose `code` ran as `results` ((planned test, sandbox outcome) pairs)
    out of `total` selected tests: tests after a timeout (or, under `stop_on_failure`, any failure)
    count as skipped, whether or not they ran."""
    if not code.strip():
        return SampleVerdict(sample.question_id, sample.sample_id, code, False, "no_code", 0, total, 0.0, ())
    if len(code) > MAX_CODE_CHARS:
        return SampleVerdict(sample.question_id, sample.sample_id, code, False, "code_limit", 0, total, 0.0, ())
    tests = []
    ended = False  # after a timeout (or a failure, under stop_on_failure)
    for planned, outcome in results:
        verdict, actual, why = judge_safely(planned, outcome)
        stderr = why or outcome.stderr
        if why is None and planned.mode == "humaneval" and getattr(outcome, "check_detail", ""):
            stderr = (stderr + "\n" if stderr else "") + "check: " + outcome.check_detail
        secs = float(outcome.seconds or 0.0)
        if ended:  # ran or not (a race with the skip), later tests count as skipped
            verdict, secs = "skipped", 0.0
        ended = ended or verdict == "timeout" or (stop_on_failure and verdict != "passed")
        if verdict in ("passed", "skipped"):
            tests.append(TestVerdict(planned.index, planned.test.public, verdict, secs))
        else:
            tests.append(TestVerdict(
                planned.index, planned.test.public, verdict, secs,
                input=_cut(planned.test.input), expected=_cut(planned.test.output),
                actual=_cut(actual), stderr=_cut(stderr),
            ))
    passed_n = sum(t.verdict == "passed" for t in tests)
    first_fail = next((t.verdict for t in tests if t.verdict != "passed"), "passed")
    return SampleVerdict(
        sample.question_id, sample.sample_id, code,
        passed=passed_n == len(tests),
        verdict=first_fail,
        tests_passed=passed_n, tests_total=len(tests),
        seconds=round(sum(t.seconds for t in tests), 6), tests=tuple(tests),
    )
