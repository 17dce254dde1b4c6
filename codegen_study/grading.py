"""Grading samples of code against a benchmark's tests, under a named grader profile.

A *profile* fixes everything that changes a verdict: which tests count, the per-test time and
memory limits, how the code is extracted from the model's answer, what program actually runs,
and how output is compared. Three profiles exist:

* ``seed`` -- the original study's harness: public tests only; the program runs as written with
  the test input on stdin; 10 s per test (interpreter start included), 512 MB address space; a
  test passes when the exit code is 0 and ``"\\n".join(l.strip() for l in s.strip().split("\\n"))``
  is equal for actual and expected output; ``seed`` extraction.
* ``lcb`` -- LiveCodeBench's official semantics: public + private tests; 6 s per test; the
  program is what LiveCodeBench's runner executes (its star-import prelude, the code's imports
  hoisted and the rest wrapped in ``wrapped_function()``, a trailing ``if __name__ ==
  '__main__':`` block unwrapped, ``SystemExit`` ignored); output stripped, split into lines,
  each line stripped, equal line counts, and each line equal or equal token by token as
  ``decimal.Decimal``. Call-based (LeetCode) tests call ``Solution().fn(*json args)`` after the
  program (`sandbox.Job.check`) and print the returned value as JSON; this process compares it
  with the JSON expected value (a returned tuple compares as a list), so the expected value
  never enters the sandbox and no pass marker exists for a program to print. ``lcb`` extraction.
  Deliberate differences from its in-process runner: every test runs in a fresh sandboxed
  process (no state shared between tests), all tests run (no early stop, so `tests_passed` is
  meaningful), and stdin is the real stdin (LiveCodeBench patches a StringIO in, under which
  ``sys.stdin.buffer`` fails).
* ``humaneval`` -- ``prompt + completion``, then, as the reference harness does, the task's test
  code and ``check(entry_point)`` in the same namespace; when the extracted code defines the
  entry point itself (an instruct model wrote the whole function), it runs after the prompt
  instead of continuing it. As in the reference (which execs into an empty globals dict),
  ``__name__`` is ``"builtins"``, so an ``if __name__ == "__main__":`` block does not run; a test
  passes only when ``check()`` returned (`Outcome.checked`), so a program that exits early --
  exit(), quit(), sys.exit(0), os._exit(0) -- fails whatever its exit status.

Verdicts: passed, wrong_answer, runtime_error, timeout, memory_limit, output_limit, no_code,
code_limit (extracted code longer than `MAX_CODE_CHARS`: neither parsed nor run).
A sample passes when all its tests pass; its verdict is that of its first failing test.

Time limits are the sandbox's: CPU seconds of the run, with a wall-clock backstop for programs
that sleep or block. Both harnesses being imitated use wall-clock limits; CPU time is what keeps
a verdict from changing when the machine is busy (tests/test_grading.py checks exactly that),
and for CPU-bound programs, which is what model-written solutions are, the two agree.

Covers: turning (problem, sample) into sandbox jobs and outcomes into verdicts. Does not cover:
isolation (every program runs in `codegen_study.sandbox`, never in this process), result
storage (`scoring`, `results`).
"""

from __future__ import annotations

import ast
import dataclasses
import decimal
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from codegen_study.errors import UserError
from codegen_study.extract import POLICIES, extract_code
from codegen_study.problems import Problem, TestCase

VERDICTS = ("passed", "wrong_answer", "runtime_error", "timeout", "memory_limit", "output_limit", "no_code",
            "code_limit")
#: longer extracted code is not parsed nor run (verdict code_limit): parsing 1.5 MB of Python takes
#: 600 MB; a model's answer is a few kilobytes
MAX_CODE_CHARS = 128 << 10
KEEP_CHARS = 2000  # failing-test input/expected/actual/stderr are cut to this many characters

#: LiveCodeBench's `import_string` (lcb_runner/evaluation/testing_util.py) plus the digit limit.
LCB_PRELUDE = (
    "from string import *\nfrom re import *\nfrom datetime import *\nfrom collections import *\n"
    "from heapq import *\nfrom bisect import *\nfrom copy import *\nfrom math import *\n"
    "from random import *\nfrom statistics import *\nfrom itertools import *\nfrom functools import *\n"
    "from operator import *\nfrom io import *\nfrom sys import *\nfrom json import *\n"
    "from builtins import *\nfrom typing import *\n"
    "import string\nimport re\nimport datetime\nimport collections\nimport heapq\nimport bisect\n"
    "import copy\nimport math\nimport random\nimport statistics\nimport itertools\nimport functools\n"
    "import operator\nimport io\nimport sys\nimport json\n"
    "sys.setrecursionlimit(50000)\nsys.set_int_max_str_digits(50000)\n"
)

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
    #: LiveCodeBench's runner stops at a sample's first failing test; the seed harness runs all.
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
        if extraction not in POLICIES:
            raise UserError(f"unknown extraction {extraction!r} (choose from {', '.join(POLICIES)})")
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


# -- output comparison ----------------------------------------------------------------
def seed_normalize(s: str) -> str:
    return "\n".join(line.strip() for line in s.strip().split("\n"))


def compare_seed(actual: str, expected: str) -> bool:
    return seed_normalize(actual) == seed_normalize(expected)


def _decimals(line: str) -> list[decimal.Decimal] | None:
    try:
        return [decimal.Decimal(tok) for tok in line.split()]
    except (decimal.InvalidOperation, ValueError):
        return None


def compare_lcb(actual: str, expected: str) -> bool:
    """LiveCodeBench's stdin comparison: stripped lines, equal count, exact or Decimal-equal."""
    got = [line.strip() for line in actual.strip().split("\n")]
    want = [line.strip() for line in expected.strip().split("\n")]
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if g == w:
            continue
        dg, dw = _decimals(g), _decimals(w)
        if dg is None or dw is None or dg != dw:
            return False
    return True


# -- building programs ----------------------------------------------------------------
def lcb_stdin_program(code: str, prelude: str = LCB_PRELUDE) -> str:
    """The program LiveCodeBench's runner effectively executes for a stdin solution."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return prelude + "\n" + code  # fails the same way (a compile error) as in LiveCodeBench
    body = list(tree.body)
    if body and isinstance(body[-1], ast.If):
        try:
            cond = ast.unparse(body[-1].test).strip()
        except Exception:
            cond = ""
        if cond == "__name__ == '__main__'":
            body = body[:-1] + list(body[-1].body)
    imports = [s for s in body if isinstance(s, (ast.Import, ast.ImportFrom))]
    others = [s for s in body if not isinstance(s, (ast.Import, ast.ImportFrom))]
    func = ast.FunctionDef(
        name="wrapped_function",
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=others or [ast.Pass()],
        decorator_list=[],
        returns=None,
        type_params=[],
        lineno=1,
    )
    try:
        hoisted = ast.unparse(ast.Module(body=imports, type_ignores=[]))
        wrapped = ast.unparse(ast.fix_missing_locations(ast.Module(body=[func], type_ignores=[])))
    except Exception:
        return prelude + "\n" + code
    return (
        prelude + "\n" + hoisted + "\n" + wrapped + "\n"
        "__name__ = 'tmp_sol'\n"  # LiveCodeBench execs the code as module `tmp_sol`
        "try:\n    wrapped_function()\nexcept SystemExit:\n    pass\n"
    )


def call_program(code: str, fn_name: str, test: TestCase, nonce: str, prelude: str) -> tuple[str, str]:
    """(program, check) for one call-based test: the check calls the solution's method on the
    test's arguments and prints the returned value, tagged, as JSON.

    The expected value never enters the sandbox: the grader compares the printed value with it
    (`_judge`), so a program can only pass by returning the right value, not by printing a
    marker or by reading its own file."""
    program = prelude + "\n__name__ = 'tmp_sol'\n" + code + "\n"
    check = (
        "def __codegen_study_call():\n"
        "    import json as _j, sys as _s\n"
        f"    _args = [_j.loads(_l) for _l in {test.input!r}.split('\\n')]\n"
        f"    _obj = Solution() if {('class Solution' in code)!r} else _s.modules['__main__']\n"
        f"    _got = getattr(_obj, {fn_name!r})(*_args)\n"
        "    if isinstance(_got, tuple):\n        _got = list(_got)\n"
        "    try:\n        _shown = _j.dumps(_got, default=lambda _o: _o.tolist())\n"  # numpy scalars, arrays
        "        _exact = bool(_j.loads(_shown) == _got)\n"
        "    except Exception:\n        _shown, _exact = repr(_got), False\n"
        f"    _s.stdout.write('\\n{nonce} ' + ('J' if _exact else 'R') + ' ' + _shown + '\\n')\n"
        "    _s.stdout.flush()\n\n"
        "__codegen_study_call()\n"
    )
    return program, check


_DEF = "^[ \t]*(?:async[ \t]+)?def[ \t]+{name}[ \t]*\\("


def humaneval_program(problem: Problem, code: str) -> tuple[str, str]:
    """(program, check): prompt + completion (or prompt + whole function), then the test code
    and `check(entry_point)` run after it in the same namespace, as the reference harness does."""
    entry = problem.entry_point or ""
    check = (problem.test_code or "") + f"\ncheck({entry})\n"
    if entry and re.search(_DEF.format(name=re.escape(entry)), code, re.MULTILINE):
        return problem.statement + "\n\n" + code + "\n", check
    return problem.statement + code + "\n", check


#: the reference harness execs the program in an empty globals dict, so `__name__` is builtins'
HUMANEVAL_NAME = "builtins"


# -- verdicts ---------------------------------------------------------------------------
_STATUS_VERDICT = {"timeout": "timeout", "memory": "memory_limit", "output_limit": "output_limit",
                   "killed": "runtime_error", "error": "runtime_error", "code_limit": "code_limit"}


def _cut(s: str | None) -> str | None:
    if s is None:
        return None
    return s if len(s) <= KEEP_CHARS else s[:KEEP_CHARS] + f"... [{len(s) - KEEP_CHARS} more chars]"


@dataclass
class _Plan:
    """What to run for one test and how to judge it."""
    test: TestCase
    index: int
    program: str
    mode: str  # "seed" | "lcb" | "call" | "humaneval"
    nonce: str = ""
    check: str | None = None  # run after the program (Job.check)
    name: str = "__main__"


def _judge(plan: _Plan, outcome) -> tuple[str, str | None]:
    """(verdict, actual output shown for a failure) from a sandbox Outcome."""
    status = outcome.status
    if status == "skipped":
        return "skipped", None
    if plan.mode == "humaneval" and outcome.checked:  # check() returned: what the reference counts
        return "passed", outcome.stdout
    if status != "ok":
        verdict = _STATUS_VERDICT.get(status, "runtime_error")
        if status == "error" and plan.mode == "humaneval" and "AssertionError" in (outcome.stderr or "")[-4000:]:
            verdict = "wrong_answer"
        return verdict, outcome.stdout
    if plan.mode == "seed":
        return ("passed" if compare_seed(outcome.stdout, plan.test.output) else "wrong_answer"), outcome.stdout
    if plan.mode == "lcb":
        return ("passed" if compare_lcb(outcome.stdout, plan.test.output) else "wrong_answer"), outcome.stdout
    if plan.mode == "call":
        tag = f"\n{plan.nonce} "
        at = outcome.stdout.rfind(tag)
        if at < 0:
            return "runtime_error", outcome.stdout
        line = outcome.stdout[at + len(tag):].split("\n", 1)[0]
        kind, _, shown = line.partition(" ")
        return ("passed" if kind == "J" and _json_equal(shown, plan.test.output) else "wrong_answer"), shown
    return "runtime_error", outcome.stdout  # humaneval: exited before check() returned


def _json_equal(got: str, want: str) -> bool:
    """The returned value (as JSON) equals the expected one, as the reference's `==` decides."""
    try:
        return json.loads(got) == json.loads(want)
    except (ValueError, RecursionError):
        return False


def selected_tests(problem: Problem, profile: GraderProfile) -> list[tuple[int, TestCase]]:
    """(index in problem.tests, test) of the tests this profile runs."""
    return [(i, t) for i, t in enumerate(problem.tests) if t.public or not profile.public_only]


def _plans(problem: Problem, code: str, profile: GraderProfile) -> list[_Plan]:
    indexed = selected_tests(problem, profile)
    plans = []
    if problem.kind == "humaneval":
        program, check = humaneval_program(problem, code)
        return [_Plan(t, i, program, "humaneval", check=check, name=HUMANEVAL_NAME) for i, t in indexed]
    if problem.kind == "functional":
        fn = problem.fn_name or ""
        for i, t in indexed:
            nonce = "CGS" + secrets.token_hex(8)
            program, check = call_program(code, fn, t, nonce, profile.prelude)
            plans.append(_Plan(t, i, program, "call", nonce, check=check))
        return plans
    if profile.comparison == "lcb":
        program = lcb_stdin_program(code, profile.prelude)
        return [_Plan(t, i, program, "lcb") for i, t in indexed]
    program = (profile.prelude + "\n" + code) if profile.prelude else code
    return [_Plan(t, i, program, "seed") for i, t in indexed]


def sample_code(sample: Sample, profile: GraderProfile) -> str:
    """The code a sample contributes: `code` as is, else the profile's extraction of `completion`."""
    if sample.code is not None:
        return sample.code
    return extract_code(sample.completion or "", profile.extraction)


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
) -> Iterator[SampleVerdict]:
    """Verdicts for `samples`, yielded in input order as soon as each sample's tests are done.

    All test jobs go to the sandbox in one `iter_many` stream, so every worker stays busy
    across samples and no batch waits for its slowest test; verdicts are yielded as their
    tests complete, which is what lets `scoring` save progress while a long run goes on. A
sandbox is created (and closed) here unless one is passed in.
    Every test of every sample runs (`tests_passed` counts them) except after a timeout -- the
    sample's later tests are then `skipped` (each would cost the full limit again, and the
    sample has failed anyway) -- and, for profiles with `stop_on_failure` (lcb, as LiveCodeBench's
    runner does), after any failing test; a sample whose extracted code is empty is `no_code` and runs
    nothing. Unknown question ids raise UserError up front.
    """
    from codegen_study.sandbox import Job, Sandbox

    entries: list[tuple[Sample, str, list[_Plan], int]] = []
    jobs, owner = [], []
    keys: list[tuple] = []  # per entry: what its verdict depends on (see _VERDICTS)
    first: dict[tuple, int] = {}  # key -> first entry of this call that runs it
    local: dict[tuple, SampleVerdict] = {}  # this call's verdicts by key (safe from eviction)
    for sample in samples:
        problem = problems.get(str(sample.question_id))
        if problem is None:
            raise UserError(f"unknown question id {sample.question_id!r}")
        code = sample_code(sample, profile)
        key = (problem.id, code, _profile_key(profile))
        keys.append(key)
        if key in _VERDICTS:
            local[key] = _VERDICTS[key]
        known = key in local or key in first
        first.setdefault(key, len(entries))
        # no_code runs nothing; a program already graded on the same tests is not run again
        runnable = code.strip() and len(code) <= MAX_CODE_CHARS
        plans = _plans(problem, code, profile) if runnable and not known else []
        for plan in plans:
            jobs.append(Job(plan.program, plan.test.input if plan.mode in ("seed", "lcb") else "",
                            _limits(profile, plan.test), check=plan.check, name=plan.name))
            owner.append(len(entries))
        entries.append((sample, code, plans, len(selected_tests(problem, profile))))
    first_job, at = [], 0
    for _, _, plans, _ in entries:
        first_job.append(at)
        at += len(plans)
    remaining = [len(plans) for _, _, plans, _ in entries]
    outcomes: list = [None] * len(jobs)

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

        bar = tqdm(unit="sample", desc=f"grading ({profile.name})", total=len(entries))
    stopped = [False] * len(entries)  # a sample whose test timed out (or failed, lcb) runs no further tests
    plan_of = [plan for _, _, plans, _ in entries for plan in plans]
    done = sandbox.iter_many(jobs, skip=lambda j: stopped[owner[j]]) if jobs else _nothing()
    try:
        emitted = 0
        while True:
            while emitted < len(entries) and remaining[emitted] == 0:
                sample, code, plans, total = entries[emitted]
                key = keys[emitted]
                if key not in local:  # the first entry with this key: graded from its runs
                    start = first_job[emitted]
                    results = list(zip(plans, outcomes[start:start + len(plans)]))
                    local[key] = _sample_verdict(sample, code, results, total, profile.stop_on_failure)
                    _remember(key, local[key])
                yield dataclasses.replace(local[key], question_id=sample.question_id,
                                          sample_id=sample.sample_id)
                if bar is not None:
                    bar.update(1)
                emitted += 1
            if emitted == len(entries):
                break
            j, outcome = next(done)
            if outcome.status == "timeout" or (
                    profile.stop_on_failure and _judge(plan_of[j], outcome)[0] != "passed"):
                stopped[owner[j]] = True
            outcomes[j] = outcome
            remaining[owner[j]] -= 1
    finally:
        done.close()  # a consumer that stopped early leaves no job running
        if bar is not None:
            bar.close()
        if own and sandbox is not None:
            sandbox.close()


def _nothing() -> Iterator[tuple[int, object]]:
    yield from ()


#: (problem id, extracted code, profile key) -> verdict. Within one process the same program on
#: the same tests under the same limits is graded once: the 10 samples of a problem at
#: temperature 0.2 are often identical, and the `seed` and `lcb` extraction policies often
#: extract the same code. (A program whose output is random would be graded once, not twice.)
_VERDICTS: dict[tuple, SampleVerdict] = {}
_VERDICTS_MAX = 200_000


def _profile_key(profile: GraderProfile) -> tuple:
    """Everything of a profile that changes a verdict once the code is extracted."""
    return (profile.name, profile.public_only, profile.timeout_s, profile.memory_mb,
            profile.comparison, profile.prelude, profile.startup_included)


def _remember(key: tuple, verdict: SampleVerdict) -> None:
    if len(_VERDICTS) >= _VERDICTS_MAX:
        _VERDICTS.clear()
    _VERDICTS[key] = verdict


def _sample_verdict(sample: Sample, code: str, results: list, total: int,
                    stop_on_failure: bool = False) -> SampleVerdict:
    if not code.strip():
        return SampleVerdict(sample.question_id, sample.sample_id, code, False, "no_code", 0, total, 0.0, ())
    if len(code) > MAX_CODE_CHARS:
        return SampleVerdict(sample.question_id, sample.sample_id, code, False, "code_limit", 0, total, 0.0, ())
    tests = []
    after_timeout = False
    for plan, outcome in results:
        verdict, actual = _judge(plan, outcome)
        secs = float(outcome.seconds or 0.0)
        if after_timeout:  # ran or not (a race with the skip), later tests count as skipped
            verdict, secs = "skipped", 0.0
        after_timeout = after_timeout or verdict == "timeout" or (stop_on_failure and verdict != "passed")
        if verdict in ("passed", "skipped"):
            tests.append(TestVerdict(plan.index, plan.test.public, verdict, secs))
        else:
            tests.append(TestVerdict(
                plan.index, plan.test.public, verdict, secs,
                input=_cut(plan.test.input), expected=_cut(plan.test.output),
                actual=_cut(actual), stderr=_cut(outcome.stderr),
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


def _len_or_none(x) -> int | None:
    try:
        return len(x)  # type: ignore[arg-type]
    except TypeError:
        return None
