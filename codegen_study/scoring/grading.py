"""Grading samples of code against a benchmark's tests, under a grader profile (`profiles`).

Every program runs in `codegen_study.sandbox`, never in this process: each sample's code becomes
one sandbox job per selected test (`harnesses` builds the program), all jobs of a call go to the
sandbox as one stream, and each sample's verdict (`verdicts`) is yielded as soon as its tests are
done. A program is graded once per scoring run (`VerdictCache`): the samples of a problem drawn at
low temperature are often identical, and the two extraction policies often extract the same code.

The warm sandbox workers import beforehand the standard-library modules that the programs at hand
import (`preload_for`), so that no test pays for them.

Covers: turning (problem, sample) into sandbox jobs and outcomes into verdicts, once per program.
Does not cover: isolation (`sandbox`), profiles (`profiles`), verdict semantics (`verdicts`),
result storage (`scoring.cli`, `store`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from codegen_study.core.errors import UserError
from codegen_study.scoring.harnesses import PlannedTest, plan_tests
from codegen_study.scoring.profiles import GraderProfile, sample_code, selected_tests
from codegen_study.scoring.verdicts import (
    MAX_CODE_CHARS,
    Sample,
    SampleVerdict,
    TestVerdict,
    judge_safely,
    reason,
    sample_verdict,
)
from codegen_study.tasks.problems import Problem, TestCase

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
                    self.verdict = sample_verdict(self.sample, self.code, list(zip(self.planned, self.outcomes)),
                                                   self.tests_total, stop_on_failure)
                except Exception as exc:  # a bug of ours, on this sample only: the run goes on
                    self.verdict = SampleVerdict(self.sample.question_id, self.sample.sample_id, self.code, False,
                                                 "grader_error", 0, self.tests_total, 0.0,
                                                 (TestVerdict(0, True, "grader_error", 0.0, stderr=reason(exc)),))
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
