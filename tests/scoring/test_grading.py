"""Grader semantics: seed vs lcb comparison, exit codes, prelude, call-based, HumanEval, verdicts.

Every program here runs in the real sandbox (one shared pool for the module).
"""

import os

import pytest
from conftest import FIXTURES

from codegen_study.core.errors import UserError
from codegen_study.scoring.grading import PRELOAD, VerdictCache, grade
from codegen_study.scoring.harnesses import compare_lcb, compare_seed, lcb_stdin_program
from codegen_study.scoring.profiles import get_profile
from codegen_study.scoring.verdicts import KEEP_CHARS, Sample
from codegen_study.tasks.humaneval import load_humaneval
from codegen_study.tasks.livecodebench import load_lcb
from codegen_study.tasks.problems import Problem
from codegen_study.tasks.problems import TestCase as Case

F = "```"


@pytest.fixture(scope="module")
def sandbox():
    from codegen_study.sandbox import Sandbox

    with Sandbox(workers=2, preload=PRELOAD) as box:
        yield box


def stdin_problem(*tests, pid="p"):
    return Problem(id=pid, title=pid, statement="", platform="atcoder", date="", difficulty="easy",
                   tests=tuple(Case(i, o, pub) for i, o, pub in tests))


def run(problem, profile, sandbox, **sample):
    [v] = grade({problem.id: problem}, [Sample(problem.id, 0, **sample)], profile, sandbox=sandbox)
    return v


# -- pure comparison --------------------------------------------------------------------
def test_compare_seed_strips_lines_but_keeps_blank_lines_and_exact_tokens():
    assert compare_seed("3 \r\n4\n\n", "3\n4")
    assert compare_seed("  a  b \n", "a  b")
    assert not compare_seed("3\n\n4", "3\n4")  # an inner blank line counts
    assert not compare_seed("2.50", "2.5")
    assert not compare_seed("a b", "a  b")


def test_compare_lcb_decimal_lines():
    assert compare_lcb("2.50\n", "2.5")
    assert compare_lcb("1e2 3", "100 3.000")
    assert compare_lcb("  7  \n8", "7\n  8  ")
    assert not compare_lcb("1 2", "1 2 3")
    assert not compare_lcb("3\n\n4", "3\n4")  # line counts must match
    assert not compare_lcb("Yes", "yes")
    assert not compare_lcb("0.1", "0.10000001")
    assert compare_lcb("", "\n")


def test_profiles_and_overrides():
    seed, lcb = get_profile("seed"), get_profile("lcb")
    assert (seed.timeout_s, seed.memory_mb, seed.public_only, seed.extraction, seed.prelude) == (10.0, 512, True,
         "seed", "")
    assert (lcb.timeout_s, lcb.public_only, lcb.extraction) == (6.0, False, "lcb")
    assert "from math import *" in lcb.prelude and "sys.set_int_max_str_digits(50000)" in lcb.prelude
    assert get_profile("lcb", timeout=1.5, extraction="seed").timeout_s == 1.5
    with pytest.raises(UserError):
        get_profile("nope")


def test_lcb_program_wraps_like_livecodebench():
    prog = lcb_stdin_program("import sys\nx = 1\nif __name__ == '__main__':\n    print(x)\n")
    assert "def wrapped_function():" in prog and "\nimport sys\n" in prog
    assert "    print(x)" in prog  # the trailing main guard is unwrapped into the function


# -- seed semantics ----------------------------------------------------------------------
def test_seed_passes_with_whitespace_differences(sandbox):
    p = stdin_problem(("1 2\n", "3\n", True), ("5 5\n", "10", True))
    v = run(p, get_profile("seed"), sandbox, code="a, b = map(int, input().split())\nprint(a + b, ' ')\nprint()\n")
    assert (v.passed, v.verdict, v.tests_passed, v.tests_total) == (True, "passed", 2, 2)
    assert all(t.input is None and t.actual is None for t in v.tests)


def test_seed_nonzero_exit_fails_even_with_right_output(sandbox):
    p = stdin_problem(("1\n", "1\n", True))
    code = "import sys\nprint(input())\nsys.exit(3)\n"
    assert run(p, get_profile("seed"), sandbox, code=code).verdict == "runtime_error"
    # LiveCodeBench swallows SystemExit: the same program passes there
    assert run(p, get_profile("lcb"), sandbox, code=code).verdict == "passed"


def test_seed_ignores_private_tests_lcb_runs_them(sandbox):
    p = stdin_problem(("2\n", "4\n", True), ("3\n", "9\n", False))
    code = "n = int(input())\nprint(n + 2)\n"
    seed = run(p, get_profile("seed"), sandbox, code=code)
    lcb = run(p, get_profile("lcb"), sandbox, code=code)
    assert (seed.passed, seed.tests_total) == (True, 1)
    assert (lcb.passed, lcb.verdict, lcb.tests_passed, lcb.tests_total) == (False, "wrong_answer", 1, 2)
    failing = lcb.tests[1]
    assert (failing.index, failing.public, failing.input, failing.expected) == (1, False, "3\n", "9\n")
    assert failing.actual.strip() == "5"


def test_decimal_output_passes_lcb_fails_seed(sandbox):
    p = stdin_problem(("1 2\n", "1.5\n", True))
    code = "a, b = map(int, input().split())\nprint(f'{(a + b) / 2:.3f}')\n"
    assert run(p, get_profile("seed"), sandbox, code=code).verdict == "wrong_answer"
    assert run(p, get_profile("lcb"), sandbox, code=code).verdict == "passed"


def test_lcb_prelude_provides_star_imports(sandbox):
    p = stdin_problem(("12 18\n", "6\n", True))
    code = "a, b = map(int, input().split())\nprint(gcd(a, b))\n"  # no import: LiveCodeBench's prelude has math.*
    assert run(p, get_profile("lcb"), sandbox, code=code).verdict == "passed"
    seed = run(p, get_profile("seed"), sandbox, code=code)
    assert seed.verdict == "runtime_error" and "NameError" in seed.tests[0].stderr


def test_runtime_error_timeout_and_first_failing_verdict(sandbox):
    p = stdin_problem(("1\n", "1\n", True), ("0\n", "0\n", True), ("2\n", "2\n", True))
    code = ("n = int(input())\nif n == 0:\n    while True:\n        pass\n"
            "if n == 2:\n    raise ValueError('boom')\nprint(n)\n")
    v = run(p, get_profile("seed", timeout=1.0), sandbox, code=code)
    assert [t.verdict for t in v.tests] == ["passed", "timeout", "skipped"]
    assert (v.verdict, v.tests_passed, v.passed) == ("timeout", 1, False)
    code = code.replace("n == 0", "n == 9")
    v = run(p, get_profile("seed", timeout=1.0), sandbox, code=code)
    assert [t.verdict for t in v.tests] == ["passed", "passed", "runtime_error"]
    assert "ValueError: boom" in v.tests[2].stderr


@pytest.mark.slow
def test_tests_after_a_timeout_are_skipped_not_paid_for(sandbox):
    """An endless loop costs one timeout per sample, not one per test."""
    import time

    p = stdin_problem(*[(f"{i}\n", f"{i}\n", True) for i in range(12)])
    start = time.monotonic()
    v = run(p, get_profile("lcb", timeout=0.5), sandbox, code="while True:\n    pass\n")
    elapsed = time.monotonic() - start
    assert v.verdict == "timeout" and v.tests[0].verdict == "timeout"
    assert {t.verdict for t in v.tests[1:]} == {"skipped"} and v.tests_total == 12
    assert elapsed < 12 * 0.5 / 2  # all 12 run would take >= 3 s on 2 workers


def test_memory_bomb_is_memory_limit(sandbox):
    p = stdin_problem(("\n", "ok\n", True))
    v = run(p, get_profile("seed"), sandbox, code="x = bytearray(2 * 1024 ** 3)\nprint('ok')\n")
    assert v.verdict == "memory_limit"


def test_failing_details_are_truncated(sandbox):
    big = "x" * (3 * KEEP_CHARS)
    p = stdin_problem((big + "\n", big + "\n", True))
    v = run(p, get_profile("seed"), sandbox, code="print(input()[::-1] + 'y')\n")
    t = v.tests[0]
    assert v.verdict == "wrong_answer"
    assert len(t.input) < 2 * KEEP_CHARS and len(t.expected) < 2 * KEEP_CHARS and len(t.actual) < 2 * KEEP_CHARS


def test_no_code_from_completion(sandbox):
    p = stdin_problem(("1\n", "1\n", True))
    v = run(p, get_profile("lcb"), sandbox, completion="I think the answer is to print the input.")
    assert (v.verdict, v.passed, v.tests_passed, v.tests_total, v.tests) == ("no_code", False, 0, 1, ())


def test_completion_goes_through_profile_extraction(sandbox):
    p = stdin_problem(("4\n", "8\n", True))
    text = f"Draft:\n{F}python\nprint(0)\n{F}\nFinal:\n{F}python\nprint(int(input()) * 2)\n{F}"
    seed, lcb = get_profile("seed"), get_profile("lcb")
    assert run(p, seed, sandbox, completion=text).verdict == "wrong_answer"  # first block
    v = run(p, lcb, sandbox, completion=text)  # last block
    assert v.verdict == "passed" and v.code == "print(int(input()) * 2)"


# -- call-based (LeetCode) ----------------------------------------------------------------
def functional():
    return {p.id: p for p in load_lcb(FIXTURES / "lcb_mini.jsonl")}["mini_add"]


@pytest.mark.parametrize("body, verdict, passed_n", [
    ("return a + b", "passed", 3),
    ("return tuple(a + b) if isinstance(a, list) else a + b", "passed", 3),  # tuples compare as lists
    ("return a - b if isinstance(a, int) else a + b", "wrong_answer", 0),  # lcb stops at the first failure
    ("raise RuntimeError('nope')", "runtime_error", 0),
])
def test_call_based(sandbox, body, verdict, passed_n):
    code = f"class Solution:\n    def addTwo(self, a, b):\n        {body}\n"
    v = run(functional(), get_profile("lcb"), sandbox, code=code)
    assert (v.verdict, v.tests_passed, v.tests_total) == (verdict, passed_n, 3)


def test_call_based_missing_method_and_printing(sandbox):
    v = run(functional(), get_profile("lcb"), sandbox,
        code="class Solution:\n    def other(self, a, b):\n        return a\n")
    assert v.verdict == "runtime_error"
    noisy = "class Solution:\n    def addTwo(self, a, b):\n        print('debug PASS')\n        return a + b\n"
    assert run(functional(), get_profile("lcb"), sandbox, code=noisy).verdict == "passed"
    wrong = run(functional(), get_profile("lcb"), sandbox,
        code="class Solution:\n    def addTwo(self, a, b):\n        return 7\n")
    assert wrong.tests[0].actual == "7" and wrong.tests[0].expected == "3"


# -- HumanEval ------------------------------------------------------------------------------
def test_humaneval_completion_and_whole_function(sandbox):
    he = {p.id: p for p in load_humaneval()[:3]}
    prof = get_profile("humaneval")
    p0 = he["HumanEval/0"]
    canonical = p0.metadata["canonical_solution"]
    whole = (f"Sure!\n{F}python\nfrom typing import List\n\n"
             "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
             "    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n" + F)
    samples = [
        Sample("HumanEval/0", "canonical", completion=canonical),
        Sample("HumanEval/0", "whole", completion=whole),
        Sample("HumanEval/0", "wrong", completion="    return False\n"),
        Sample("HumanEval/0", "crash", completion="    return 1 / 0\n"),
    ]
    verdicts = {v.sample_id: v.verdict for v in grade(he, samples, prof, sandbox=sandbox)}
    assert verdicts == {"canonical": "passed", "whole": "passed", "wrong": "wrong_answer", "crash": "runtime_error"}


def test_unknown_question_is_user_error(sandbox):
    with pytest.raises(UserError):
        list(grade({}, [Sample("x", 0, code="print(1)")], get_profile("seed"), sandbox=sandbox))


def test_many_samples_keep_order_across_batches(sandbox):
    p = stdin_problem(("3\n", "3\n", True), ("4\n", "4\n", True))
    samples = [Sample("p", i, code="print(input())" if i % 3 else "print(0)") for i in range(40)]
    out = list(grade({"p": p}, samples, get_profile("seed"), sandbox=sandbox))
    assert [v.sample_id for v in out] == list(range(40))
    assert [v.passed for v in out] == [bool(i % 3) for i in range(40)]


@pytest.mark.slow
def test_verdicts_under_load_equal_verdicts_when_idle(sandbox):
    """Timeouts are CPU-time based: two busy cores must not turn slow passes into timeouts."""
    import subprocess
    import sys

    p = stdin_problem(("5\n", "5\n", True))
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}: pass\nprint(input())\n"
    samples = [
        Sample("p", "quick", code="print(input())"),
        Sample("p", "slow-ok", code=burn.format(s=0.25)),  # ~0.25 s CPU of a 0.5 s limit
        Sample("p", "too-slow", code=burn.format(s=3)),
        Sample("p", "sleepy", code="import time\ntime.sleep(0.6)\nprint(input())"),  # wall > limit, CPU ~0
        Sample("p", "wrong", code="print(0)"),
    ]
    profile = get_profile("seed", timeout=0.5)

    def verdicts():
        return {v.sample_id: v.verdict for v in grade({"p": p}, samples, profile, sandbox=sandbox)}

    idle = verdicts()
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        busy = verdicts()
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    assert idle == busy == {"quick": "passed", "slow-ok": "passed", "too-slow": "timeout",
                            "sleepy": "passed", "wrong": "wrong_answer"}


def test_lcb_wrapping_quirks_are_reproduced(sandbox):
    """LiveCodeBench runs stdin code inside `wrapped_function()`: `global` names then break,
    and a main guard that is not the last statement never runs."""
    p = stdin_problem(("1\n", "2\n", True))
    uses_global = "n = int(input())\ndef bump():\n    global n\n    n += 1\nbump()\nprint(n)\n"
    assert run(p, get_profile("seed"), sandbox, code=uses_global).verdict == "passed"
    assert run(p, get_profile("lcb"), sandbox, code=uses_global).verdict == "runtime_error"
    last_guard = "def main():\n    print(int(input()) + 1)\nif __name__ == '__main__':\n    main()\n"
    assert run(p, get_profile("lcb"), sandbox, code=last_guard).verdict == "passed"
    inner_guard = last_guard + "x = 0\n"
    assert run(p, get_profile("lcb"), sandbox, code=inner_guard).verdict == "wrong_answer"  # prints nothing


def test_call_based_starter_code_types_need_the_prelude(sandbox):
    code = "class Solution:\n    def addTwo(self, a: int, b: List[int]) -> Optional[int]:\n        return a + b\n"
    assert run(functional(), get_profile("lcb"), sandbox, code=code).verdict == "passed"
    assert run(functional(), get_profile("seed"), sandbox, code=code).verdict == "runtime_error"


def test_identical_programs_are_graded_once_with_their_own_ids(sandbox):
    """Repeated samples within one call reuse one grading."""
    import time

    p = stdin_problem(("1\n", "1\n", True), ("2\n", "2\n", True), pid="dup")
    slow = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    pass\nprint(input())\n"
    samples = [Sample("dup", i, code=slow) for i in range(6)]
    start = time.monotonic()
    out = list(grade({"dup": p}, samples, get_profile("seed"), sandbox=sandbox))
    assert [v.sample_id for v in out] == list(range(6))
    assert all(v.passed and v.tests_passed == 2 for v in out)
    assert time.monotonic() - start < 6 * 2 * 0.3 / 2  # not 12 runs of 0.3 CPU-s on 2 workers


class CountingSandbox:
    """The module's sandbox, counting the jobs sent to it."""

    def __init__(self, box):
        self.box, self.jobs = box, 0

    def iter_many(self, jobs, skip=None):
        jobs = list(jobs)
        self.jobs += len(jobs)
        return self.box.iter_many(jobs, skip)


def test_verdict_cache_runs_a_program_once_per_scoring_run(sandbox):
    p = stdin_problem(("1\n", "1\n", True), ("2\n", "2\n", True), pid="cached")
    problems, code = {"cached": p}, "print(input())"
    box, run_one = CountingSandbox(sandbox), VerdictCache()
    out = list(grade(problems, [Sample("cached", i, code=code) for i in range(3)], get_profile("seed"),
                     sandbox=box, cache=run_one))
    assert [(v.sample_id, v.passed, v.tests_passed) for v in out] == [(0, True, 2), (1, True, 2), (2, True, 2)]
    assert box.jobs == 2  # one program on two tests; the repeats take its verdict
    # later in the same run: the same code, extracted under another policy, runs nothing
    [again] = grade(problems, [Sample("cached", "x", completion=f"```python\n{code}\n```")],
                    get_profile("seed", extraction="lcb"), sandbox=box, cache=run_one)
    assert (again.sample_id, again.passed, again.code, box.jobs) == ("x", True, code, 2)
    # another grader is another verdict
    list(grade(problems, [Sample("cached", 0, code=code)], get_profile("lcb"), sandbox=box, cache=run_one))
    assert box.jobs == 4
    # a new scoring run starts with a fresh cache: the program runs again
    [fresh] = grade(problems, [Sample("cached", 0, code=code)], get_profile("seed"), sandbox=box,
                    cache=VerdictCache())
    assert fresh.passed and box.jobs == 6


def test_lcb_stops_at_first_failure_seed_runs_all(sandbox):
    p = stdin_problem(("1\n", "1\n", True), ("2\n", "2\n", True), ("3\n", "3\n", True))
    code = "n = int(input())\nprint(n if n != 1 else 0)\n"  # fails the first test only
    lcb = run(p, get_profile("lcb"), sandbox, code=code)
    assert [t.verdict for t in lcb.tests] == ["wrong_answer", "skipped", "skipped"]
    seed = run(p, get_profile("seed"), sandbox, code=code)
    assert [t.verdict for t in seed.tests] == ["wrong_answer", "passed", "passed"]
    assert (lcb.verdict, seed.verdict, seed.tests_passed) == ("wrong_answer", "wrong_answer", 2)


def test_preload_for_picks_what_programs_import():
    from codegen_study.scoring.grading import preload_for

    programs = ["import sys\nfrom typing import List\n", "import math, heapq as hq\nfrom typing import Dict",
                "import numpy\nimport math", "from collections.abc import Iterable\n"] + ["print(1)"] * 46
    assert preload_for(programs) == ("math", "typing")  # two programs each; heapq once, numpy never
    assert set(preload_for([lcb_stdin_program("print(1)")] * 3)) >= {"collections", "statistics", "json", "typing"}
    assert preload_for([]) == ()


# -- hostile programs: passing without solving ------------------------------------------------
def test_call_based_marker_read_from_the_programs_own_file_does_not_pass(sandbox):
    """A wrong solution that echoes every token of its own file, marker-style, and exits."""
    code = ("import re, os, sys\n"
            "for tok in set(re.findall(r'CGS[0-9a-f]+', open(__file__).read())):\n"
            "    sys.stdout.write(f'\\n{tok} PASS 3\\n{tok} J 3\\n')\n"
            "sys.stdout.flush()\nos._exit(0)\n"
            "class Solution:\n    def addTwo(self, a, b):\n        return 0\n")
    v = run(functional(), get_profile("lcb"), sandbox, code=code)
    assert not v.passed


def test_call_based_always_equal_object_does_not_pass(sandbox):
    code = ("class Liar(list):\n    def __eq__(self, other):\n        return True\n"
            "class Solution:\n    def addTwo(self, a, b):\n        return Liar()\n")
    assert run(functional(), get_profile("lcb"), sandbox, code=code).verdict == "wrong_answer"


def test_expected_output_in_the_benchmark_file_is_out_of_reach(sandbox, tmp_path):
    """A program that looks for the benchmark file (wherever it is) to copy the answer fails."""
    bench = tmp_path / "bench.jsonl"
    bench.write_text('{"input": "5\\n", "output": "secret-answer-17"}\n')
    os.chmod(tmp_path, 0o755)
    p = stdin_problem(("5\n", "secret-answer-17\n", True))
    code = (f"import json\ntry:\n    print(json.loads(open({str(bench)!r}).readline())['output'])\n"
            "except OSError:\n    print('nothing')\n")
    assert run(p, get_profile("seed"), sandbox, code=code).verdict == "wrong_answer"


def humaneval_zero():
    return {p.id: p for p in load_humaneval()[:1]}


@pytest.mark.parametrize("early_exit", ["exit()", "quit()", "import sys; sys.exit(0)", "import os; os._exit(0)"])
def test_humaneval_early_exit_is_a_failure(sandbox, early_exit):
    """The reference harness fails a wrong solution that exits before check() runs."""
    completion = f"    return False\n\n{early_exit}\n"
    v = grade(humaneval_zero(), [Sample("HumanEval/0", 0, completion=completion)], get_profile("humaneval"),
              sandbox=sandbox)
    assert not next(v).passed


def test_humaneval_main_block_reading_stdin_does_not_fail_a_correct_solution(sandbox):
    p = humaneval_zero()["HumanEval/0"]
    completion = p.metadata["canonical_solution"] + "\n\nif __name__ == '__main__':\n    print(input())\n"
    [v] = grade({p.id: p}, [Sample(p.id, 0, completion=completion)], get_profile("humaneval"), sandbox=sandbox)
    assert v.verdict == "passed"


# -- sizes checked before anything expands ------------------------------------------------------
def test_oversized_code_is_code_limit_and_never_parsed(sandbox):
    from codegen_study.scoring.verdicts import MAX_CODE_CHARS

    p = stdin_problem(("1\n", "1\n", True))
    code = "print(input())\n" + "x = 1\n" * (MAX_CODE_CHARS // 6 + 1)
    v = run(p, get_profile("lcb"), sandbox, code=code)
    assert (v.verdict, v.tests_passed, v.tests_total) == ("code_limit", 0, 1)


def test_compressed_test_data_bomb_is_refused_while_inflating(monkeypatch):
    import base64
    import zlib

    from codegen_study.tasks import encoded_tests

    monkeypatch.setattr(encoded_tests, "MAX_TEST_DATA_BYTES", 1 << 20)
    bomb = base64.b64encode(zlib.compress(b"\0" * (8 << 20))).decode()
    with pytest.raises(ValueError, match="expands beyond 1 MiB"):
        encoded_tests.decode_test_cases(bomb)


def test_call_based_numpy_scalar_compares_by_value(sandbox):
    """The reference compares `np.int64(3) == 3` (True); the JSON report must keep that."""
    pytest.importorskip("numpy")
    code = ("import numpy as np\nclass Solution:\n    def addTwo(self, a, b):\n"
            "        return np.sum([a, b]) if isinstance(a, int) else a + b\n")
    assert run(functional(), get_profile("lcb"), sandbox, code=code).verdict == "passed"


# -- forging a function-call verdict: each graded as the reference harness grades it (failed) -------
FORGERIES = {
    "patched builtins": "import builtins\nbuiltins.exec = lambda *a, **k: None\n",
    "frame walking": ("import sys, os\nf = sys._getframe()\nwhile f:\n"
                      "    for v in list(f.f_locals.values()):\n"
                      "        if isinstance(v, (str, bytes)):\n"
                      "            os.write(1, v if isinstance(v, bytes) else v.encode('utf-8', 'replace'))\n"
                      "    f = f.f_back\nos._exit(0)\n"),
    "heap scanning": ("import ctypes, os, re\nfound = set()\n"
                      "for line in open('/proc/self/maps').read().splitlines():\n"
                      "    lo, hi = (int(x, 16) for x in line.split()[0].split('-'))\n"
                      "    if line.split()[1][:2] != 'rw' or hi - lo > 1 << 26:\n        continue\n"
                      "    found.update(re.findall(rb'\\n[0-9a-f]{32}', ctypes.string_at(lo, hi - lo)))\n"
                      "os.write(1, b''.join(found)[:1 << 19])\nos._exit(0)\n"),
    "early exit": "import os\nos._exit(0)\n",
}


@pytest.mark.parametrize("attack", sorted(FORGERIES))
def test_a_wrong_humaneval_solution_cannot_forge_its_check(sandbox, attack):
    completion = "    return False\n\n" + FORGERIES[attack]
    [v] = grade(humaneval_zero(), [Sample("HumanEval/0", 0, completion=completion)], get_profile("humaneval"),
                sandbox=sandbox)
    assert not v.passed and v.verdict in ("wrong_answer", "runtime_error")


@pytest.mark.parametrize("attack", sorted(FORGERIES))
def test_a_wrong_call_based_solution_cannot_forge_its_value(sandbox, attack):
    code = "class Solution:\n    def addTwo(self, a, b):\n        return 0\n" + FORGERIES[attack]
    assert not run(functional(), get_profile("lcb"), sandbox, code=code).passed


def test_humaneval_failure_names_the_failing_line_of_the_test(sandbox):
    [v] = grade(humaneval_zero(), [Sample("HumanEval/0", 0, completion="    return False\n")], get_profile("humaneval"),
                sandbox=sandbox)
    assert v.verdict == "wrong_answer" and "check: AssertionError" in v.tests[0].stderr
    assert "assert candidate(" in v.tests[0].stderr
