"""Grading samples of code against a benchmark's tests, under a named grader profile.

A *profile* fixes everything that changes a verdict: which tests count, the per-test time and
memory limits, how the code is extracted from the model's answer, what program actually runs,
how output is compared (`harnesses`), and whether a sample's tests stop at its first failure.
Three profiles exist:

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

Verdicts: passed, wrong_answer, runtime_error, timeout, memory_limit, output_limit, no_code,
code_limit (extracted code longer than `MAX_CODE_CHARS`: neither parsed nor run), grader_error
(judging this sample failed -- a bug of the scorer, never of the program; the reason is in the
test's ``stderr`` and the run goes on).
A sample passes when all its tests pass; its verdict is that of its first failing test. Under
every profile a timeout ends a sample's tests: the later ones are ``skipped`` (each would cost
the full limit again, and the sample has failed anyway).

Time limits are the sandbox's: CPU seconds of the run, with a wall-clock backstop for programs
that sleep or block. Both harnesses being imitated use wall-clock limits; CPU time is what keeps
a verdict from changing when the machine is busy (tests/scoring/test_grading.py checks exactly that),
and for CPU-bound programs, which is what model-written solutions are, the two agree.

Covers: turning (problem, sample) into sandbox jobs and outcomes into verdicts, and grading a
program once per scoring run (`VerdictCache`). Does not cover: isolation (every program runs
in `codegen_study.sandbox`, never in this process), result storage (`scoring`, `results`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from codegen_study.core.errors import UserError
from codegen_study.core.vocabulary import EXTRACTIONS
from codegen_study.scoring.extract import extract_code
from codegen_study.scoring.harnesses import LCB_PRELUDE, PlannedTest, judge, plan_tests
from codegen_study.tasks.problems import Problem, TestCase

VERDICTS = ("passed", "wrong_answer", "runtime_error", "timeout", "memory_limit", "output_limit", "no_code",
            "code_limit", "grader_error")
#: longer extracted code is not parsed nor run (verdict code_limit): parsing 1.5 MB of Python takes
#: 600 MB; a model's answer is a few kilobytes
MAX_CODE_CHARS = 128 << 10
KEEP_CHARS = 2000  # failing-test input/expected/actual/stderr are cut to this many characters

#: modules the warm sandbox workers may import once, so that no test pays for them:
#: LiveCodeBench's prelude plus what competitive-programming solutions commonly import (all
#: standard library, none with side effects on import). `preload_for` picks among them.
PRELOAD = ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
           "statistics", "itertools", "functools", "operator", "io", "json", "typing", "decimal",
           "fractions", "array", "time", "cmath", "dataclasses", "enum", "queue", "textwrap",
           "unicodedata", "numbers", "calendar", "pprint")


_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([A-Za-z_]\w*)|import[ \t]+([A-Za-z_][\w., \t]*))", re.M)


def preload_for(programs: Iterable[str], share: float = 0.02) -> tuple[str, ...]:
    """The modules of PRELOAD that at least `share` of `programs` (and at least two) import.

    Preloading is a trade: a module imported in the worker costs every run a little (a larger
    process to fork) and saves a run that imports it a lot (1-5 ms of import in the child).
    So the workers import what the programs at hand actually use: LiveCodeBench's prelude
    imports all of PRELOAD in every program; typical stdin solutions import two or three.
    """
    counts: dict[str, int] = {}
    n = 0
    for code in programs:
        n += 1
        names = set()
        for m in _IMPORT.finditer(code):
            if m.group(1):
                names.add(m.group(1))
            else:
                names.update(part.split()[0].split(".")[0] for part in m.group(2).split(",") if part.split())
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    need = max(2, share * n)
    return tuple(name for name in PRELOAD if counts.get(name, 0) >= need)


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


def selected_tests(problem: Problem, profile: GraderProfile) -> list[tuple[int, TestCase]]:
    """(index in problem.tests, test) of the tests this profile runs."""
    return [(i, t) for i, t in enumerate(problem.tests) if t.public or not profile.public_only]


def sample_code(sample: Sample, profile: GraderProfile) -> str:
    """The code a sample contributes: `code` as is, else the profile's extraction of `completion`."""
    if sample.code is not None:
        return sample.code
    return extract_code(sample.completion or "", profile.extraction)


class VerdictCache:
    """Verdicts by (problem, extracted code, profile), shared by the `grade` calls of one scoring run.

    The same program on the same tests under the same limits is graded once: the samples of a
    problem drawn at low temperature are often identical, and the ``seed`` and ``lcb`` extraction
    policies often extract the same code. (A program whose output is random is then graded once,
    not twice.) The scoring stage creates one per scoring run, so a new run runs its programs
    again. Bounded: when full it starts over empty.
    """

    def __init__(self, max_entries: int = 200_000):
        self.max_entries = max_entries
        self._verdicts: dict[tuple, SampleVerdict] = {}

    @staticmethod
    def key(problem_id: str, code: str, profile: GraderProfile) -> tuple:
        """What a verdict depends on once the code is extracted: all of the profile but its extraction."""
        return (problem_id, code, dataclasses.replace(profile, extraction=""))

    def get(self, key: tuple) -> SampleVerdict | None:
        return self._verdicts.get(key)

    def put(self, key: tuple, verdict: SampleVerdict) -> None:
        if len(self._verdicts) >= self.max_entries:
            self._verdicts.clear()
        self._verdicts[key] = verdict

    def __len__(self) -> int:
        return len(self._verdicts)


@dataclass(eq=False)
class PendingSample:
    """One sample on its way through `grade`: its program's test runs and what came back so far.

    Only the first sample of a call with a given program runs anything; a later one with the
    same program takes its verdict (`same_as`), and one the cache knows runs nothing either.
    """
    sample: Sample
    code: str  # as extracted
    key: tuple  # VerdictCache.key
    tests_total: int  # tests the profile selects, reported even when none run
    planned: list[PlannedTest]  # empty when nothing runs: no code, over MAX_CODE_CHARS, or graded already
    verdict: SampleVerdict | None = None  # from the cache, else set once its tests are done
    same_as: PendingSample | None = None  # an earlier sample of this call with the same key
    outcomes: list = field(init=False)  # one sandbox Outcome per planned test, as they finish
    left: int = field(init=False)  # planned tests not finished yet
    stopped: bool = False  # a test timed out (or failed, under stop_on_failure): skip the rest

    def __post_init__(self) -> None:
        self.outcomes = [None] * len(self.planned)
        self.left = len(self.planned)

    def record(self, k: int, outcome, stop_on_failure: bool) -> None:
        """The outcome of planned test `k`; decides whether the sample's later tests still run."""
        self.outcomes[k] = outcome
        self.left -= 1
        if outcome.status == "timeout" or (stop_on_failure and judge_safely(self.planned[k], outcome)[0] != "passed"):
            self.stopped = True

    def finish(self, stop_on_failure: bool, cache: VerdictCache) -> SampleVerdict:
        """The sample's verdict under its own ids, once its tests (or its `same_as`'s) are done."""
        if self.verdict is None:
            if self.same_as is not None:
                self.verdict = self.same_as.verdict
            else:
                try:
                    self.verdict = _sample_verdict(self.sample, self.code, list(zip(self.planned, self.outcomes)),
                                                   self.tests_total, stop_on_failure)
                except Exception as exc:  # a bug of ours, on this sample only: the run goes on
                    self.verdict = SampleVerdict(self.sample.question_id, self.sample.sample_id, self.code, False,
                                                 "grader_error", 0, self.tests_total, 0.0,
                                                 (TestVerdict(0, True, "grader_error", 0.0, stderr=_reason(exc)),))
                cache.put(self.key, self.verdict)
        return dataclasses.replace(self.verdict, question_id=self.sample.question_id,
                                   sample_id=self.sample.sample_id)


def _pending(problems: dict[str, Problem], samples: Iterable[Sample], profile: GraderProfile,
             cache: VerdictCache) -> list[PendingSample]:
    """Every sample with its planned tests, in input order; unknown question ids raise UserError."""
    pending: list[PendingSample] = []
    first: dict[tuple, PendingSample] = {}  # key -> the sample of this call that runs it
    for sample in samples:
        problem = problems.get(str(sample.question_id))
        if problem is None:
            raise UserError(f"unknown question id {sample.question_id!r}")
        code = sample_code(sample, profile)
        tests = selected_tests(problem, profile)
        key = VerdictCache.key(problem.id, code, profile)
        verdict = cache.get(key)
        same_as = first.get(key) if verdict is None else None
        runs = verdict is None and same_as is None
        planned = []
        if runs and code.strip() and len(code) <= MAX_CODE_CHARS:  # no_code and code_limit run nothing
            planned = plan_tests(problem, code, tests, profile.comparison, profile.prelude)
        p = PendingSample(sample, code, key, len(tests), planned, verdict=verdict, same_as=same_as)
        if runs:
            first[key] = p
        pending.append(p)
    return pending


def _limits(profile: GraderProfile, test: TestCase):
    from codegen_study.sandbox import Limits

    # room for the expected output (some private tests print megabytes), with a floor
    out_cap = max(1 << 20, 2 * len(test.output.encode("utf-8", "replace")) + (64 << 10))
    return Limits(timeout_s=profile.timeout_s, memory_mb=profile.memory_mb, stdout_bytes=out_cap,
                  startup_included=profile.startup_included)


def grade(
    problems: dict[str, Problem],
    samples: Iterable[Sample],
    profile: GraderProfile,
    *,
    sandbox=None,
    workers: int | None = None,
    progress: bool = False,
    cache: VerdictCache | None = None,
) -> Iterator[SampleVerdict]:
    """Verdicts for `samples`, yielded in input order as soon as each sample's tests are done.

    All test jobs go to the sandbox in one `iter_many` stream, so every worker stays busy
    across samples and no batch waits for its slowest test; verdicts are yielded as their
    tests complete, which is what lets `scoring` save progress while a long run goes on. A
    sandbox is created (and closed) here unless one is passed in.
    A sample's tests all run except after a timeout or, under `stop_on_failure` (lcb), after any
    failing test: its later tests are then `skipped`. A sample whose extracted code is empty is
    `no_code` and runs nothing. A program is graded once per `cache` (a fresh one for this call
    when none is given): later samples with the same code on the same problem take its verdict
    under their own ids. Unknown question ids raise UserError up front.
    """
    from codegen_study.sandbox import Job, Sandbox

    cache = VerdictCache() if cache is None else cache
    pending = _pending(problems, samples, profile, cache)
    runs = [(p, k) for p in pending for k in range(len(p.planned))]  # one per sandbox job
    jobs = [Job(t.program, t.stdin, _limits(profile, t.test), check=t.check, name=t.name, call=t.call)
            for t in (p.planned[k] for p, k in runs)]

    own = sandbox is None
    if jobs and (own or getattr(sandbox, "accepts_preload", False)):  # not set up yet: choose modules
        modules = preload_for(job.code for job in jobs)
        if own:
            sandbox = Sandbox(workers=workers, preload=modules)
        else:
            sandbox.add_preload(modules)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit="sample", desc=f"grading ({profile.name})", total=len(pending))
    done = sandbox.iter_many(jobs, skip=lambda j: runs[j][0].stopped) if jobs else None
    try:
        for p in pending:
            while p.left:
                j, outcome = next(done)
                owner, k = runs[j]
                owner.record(k, outcome, profile.stop_on_failure)
            yield p.finish(profile.stop_on_failure, cache)
            if bar is not None:
                bar.update(1)
    finally:
        if done is not None:
            done.close()  # a consumer that stopped early leaves no job running
        if bar is not None:
            bar.close()
        if own and sandbox is not None:
            sandbox.close()


def judge_safely(planned: PlannedTest, outcome) -> tuple[str, str | None, str | None]:
    """`judge`, total: (verdict, actual, why). Whatever a program printed, a failure while
    judging it becomes this test's ``grader_error`` with the reason, never the run's end."""
    try:
        verdict, actual = judge(planned, outcome)
        return verdict, actual, None
    except Exception as exc:
        return "grader_error", getattr(outcome, "stdout", None), _reason(exc)


def _reason(exc: BaseException) -> str:
    try:
        text = str(exc)[:KEEP_CHARS]
    except Exception:
        text = ""
    return f"grader error: {type(exc).__name__}" + (f": {text}" if text else "")


def _cut(s: str | None) -> str | None:
    if s is None:
        return None
    return s if len(s) <= KEEP_CHARS else s[:KEEP_CHARS] + f"... [{len(s) - KEEP_CHARS} more chars]"


def _sample_verdict(sample: Sample, code: str, results: list[tuple[PlannedTest, object]], total: int,
                    stop_on_failure: bool = False) -> SampleVerdict:
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
