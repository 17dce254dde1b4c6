"""One test as each reference harness runs it: the program that goes to the sandbox, and how its
outcome becomes a verdict.

Three harnesses are reproduced, one per `PlannedTest.mode`:

* ``seed`` -- the original study's: the program as written, the test input on stdin, and
  `compare_seed` (lines stripped) on stdout.
* ``lcb`` -- LiveCodeBench's: `lcb_stdin_program` (its prelude and its `wrapped_function()`
  wrapping), the test input on stdin, and `compare_lcb` (lines equal or Decimal-equal).
  Call-based tests (mode ``call``): the program answers `call_program`'s check, which runs
  in the sandbox's checker process and reports the returned value as JSON; `judge` compares it
  with the expected JSON here, outside the sandbox.
* ``humaneval`` -- the reference HumanEval harness: `humaneval_program` (prompt + completion;
  the task's test code and ``check(entry_point)`` run in the checker process, each call of the
  entry point answered by the program as data); a test passes when check() returned.

A problem's benchmark kind says whether its code runs as a program or completes a function
(`tasks.benchmark_kind`); a grader profile (`profiles`) chooses the comparison, the prelude and the
limits. This module knows nothing of profiles, samples or the sandbox's pool.
"""

from __future__ import annotations

import ast
import decimal
import json
import re
from dataclasses import dataclass

from codegen_study.tasks.benchmark_kind import FUNCTION
from codegen_study.tasks.problems import Problem, TestCase
from codegen_study.tasks.sources import kind_of

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

#: the reference harness execs the program in an empty globals dict, so `__name__` is builtins'
HUMANEVAL_NAME = "builtins"


# -- output comparison ----------------------------------------------------------------
def seed_normalize(s: str) -> str:
    return "\n".join(line.strip() for line in s.strip().split("\n"))


def compare_seed(actual: str, expected: str) -> bool:
    """The seed harness's comparison: equal after stripping the text and each of its lines."""
    return seed_normalize(actual) == seed_normalize(expected)


def _decimals(line: str) -> list[decimal.Decimal] | None:
    """The line's tokens as decimals, or None. A signalling NaN ("sNaN") counts as no number:
    comparing one raises instead of answering."""
    try:
        values = [decimal.Decimal(tok) for tok in line.split()]
    except (ArithmeticError, ValueError, TypeError):
        return None
    return None if any(v.is_snan() for v in values) else values


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


def json_equal(got: str, want: str) -> bool:
    """The returned value (as JSON) equals the expected one, as the reference's `==` decides."""
    try:
        return json.loads(got) == json.loads(want)
    except (ValueError, RecursionError):
        return False


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


def call_program(code: str, fn_name: str, test: TestCase, prelude: str) -> tuple[str, str, tuple[str, ...]]:
    """(program, check, call) for one call-based test: the check, run in the sandbox's checker
    process (`sandbox.calls`), calls the solution's method on the test's arguments and reports
    the returned value as JSON (``J <json>``, or ``R <repr>`` when JSON cannot hold it exactly).

    The expected value never enters the sandbox: `judge` compares the reported value with it
    here. The program only answers the call with a value, as data: it cannot print a marker,
    patch the check or reach the report."""
    program = prelude + "\n__name__ = 'tmp_sol'\n" + code + "\n"
    call = ("Solution", fn_name) if "class Solution" in code else (fn_name,)
    check = (
        "import json as _j\n"
        f"_got = candidate(*[_j.loads(_l) for _l in {test.input!r}.split('\\n')])\n"
        "if isinstance(_got, tuple):\n    _got = list(_got)\n"
        "try:\n    _shown = _j.dumps(_got)\n    _exact = bool(_j.loads(_shown) == _got)\n"
        "except Exception:\n    _shown, _exact = repr(_got), False\n"
        "report(('J ' if _exact else 'R ') + _shown)\n"
    )
    return program, check, call


_DEF = "^[ \t]*(?:async[ \t]+)?def[ \t]+{name}[ \t]*\\("


def humaneval_program(problem: Problem, code: str) -> tuple[str, str, tuple[str, ...]]:
    """(program, check, call): prompt + completion (or prompt + whole function) is the program;
    the check is the prompt (its helpers), the task's test code and `check(entry_point)`, run in
    the sandbox's checker process with the entry point standing for the program's function.

    The reference harness runs the test code in the program's own namespace; here the test's
    helpers are the prompt's (a program that redefines one does not change its check), and each
    call of the entry point crosses to the program and back as data (`sandbox.calls`)."""
    entry = problem.entry_point or ""
    check = (problem.statement + "\n\n" + (problem.test_code or "") +
             f"\n\n{entry} = candidate\ncheck(candidate)\n")
    if entry and re.search(_DEF.format(name=re.escape(entry)), code, re.MULTILINE):
        return problem.statement + "\n\n" + code + "\n", check, (entry,)
    return problem.statement + code + "\n", check, (entry,)


# -- one test: what runs, and its verdict ---------------------------------------------------
@dataclass
class PlannedTest:
    """What to run for one test and how to judge it."""
    test: TestCase
    index: int  # in problem.tests
    program: str
    mode: str  # "seed" | "lcb" | "call" | "humaneval"
    check: str | None = None  # the checker's code (Job.check)
    name: str = "__main__"  # the program's __name__
    call: tuple[str, ...] = ()  # what the check's `candidate` calls (Job.call)

    @property
    def stdin(self) -> str:
        """Stdin tests read their input; call-based and HumanEval tests get it from the check."""
        return self.test.input if self.mode in ("seed", "lcb") else ""


def plan_tests(problem: Problem, code: str, tests: list[tuple[int, TestCase]], comparison: str,
               prelude: str) -> list[PlannedTest]:
    """The runs of `code` on `tests` ((index, test) pairs) under the harness `comparison` names.

    The problem's benchmark kind decides first: code that completes a function prompt (HumanEval)
    runs under the HumanEval harness, and call-based (functional) problems under the call-based
    check, whatever the comparison; stdin problems are compared as `comparison` says ("lcb" also
    wraps the program)."""
    if kind_of(problem).harness == FUNCTION:
        program, check, call = humaneval_program(problem, code)
        return [PlannedTest(t, i, program, "humaneval", check=check, name=HUMANEVAL_NAME, call=call)
                for i, t in tests]
    if problem.kind == "functional":
        planned = []
        for i, t in tests:
            program, check, call = call_program(code, problem.fn_name or "", t, prelude)
            planned.append(PlannedTest(t, i, program, "call", check=check, call=call))
        return planned
    if comparison == "lcb":
        program = lcb_stdin_program(code, prelude)
        return [PlannedTest(t, i, program, "lcb") for i, t in tests]
    program = (prelude + "\n" + code) if prelude else code
    return [PlannedTest(t, i, program, "seed") for i, t in tests]


_STATUS_VERDICT = {"timeout": "timeout", "memory": "memory_limit", "output_limit": "output_limit",
                   "killed": "runtime_error", "error": "runtime_error", "code_limit": "code_limit"}


def judge(planned: PlannedTest, outcome) -> tuple[str, str | None]:
    """(verdict, actual output shown for a failure) from a sandbox Outcome.

    A nonzero exit fails a stdin test whatever it printed. A HumanEval test passes exactly when
    its checker reported that check() returned, whatever the program did afterwards; an
    AssertionError there is a wrong answer. A call-based test needs a clean exit and a value
    equal to the expected one."""
    status = outcome.status
    if status == "skipped":
        return "skipped", None
    result = getattr(outcome, "check_result", None)
    if planned.mode == "humaneval":
        if result == "passed":  # check() returned: what the reference counts
            return "passed", outcome.stdout
        if result == "failed":
            return "wrong_answer", outcome.stdout
        if status != "ok":
            return _STATUS_VERDICT.get(status, "runtime_error"), outcome.stdout
        return "runtime_error", outcome.stdout  # the function raised, or the program ended first
    if status != "ok":
        return _STATUS_VERDICT.get(status, "runtime_error"), outcome.stdout
    if planned.mode == "seed":
        return ("passed" if compare_seed(outcome.stdout, planned.test.output) else "wrong_answer"), outcome.stdout
    if planned.mode == "lcb":
        return ("passed" if compare_lcb(outcome.stdout, planned.test.output) else "wrong_answer"), outcome.stdout
    if planned.mode == "call":
        if result != "passed":
            return "runtime_error", outcome.stdout
        kind, _, shown = outcome.check_detail.partition(" ")
        return ("passed" if kind == "J" and json_equal(shown, planned.test.output) else "wrong_answer"), shown
    return "runtime_error", outcome.stdout
