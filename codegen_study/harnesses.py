"""One test as each reference harness runs it: the program that goes to the sandbox, and how its
outcome becomes a verdict.

Three harnesses are reproduced, one per `PlannedTest.mode`:

* ``seed`` -- the original study's: the program as written, the test input on stdin, and
  `compare_seed` (lines stripped) on stdout.
* ``lcb`` -- LiveCodeBench's: `lcb_stdin_program` (its prelude and its `wrapped_function()`
  wrapping), the test input on stdin, and `compare_lcb` (lines equal or Decimal-equal).
  Call-based tests (mode ``call``) run `call_program`'s check after the program, which prints
  the returned value as JSON; `judge` compares it with the expected JSON here, outside the
  sandbox.
* ``humaneval`` -- the reference HumanEval harness: `humaneval_program` (prompt + completion,
  then the task's test code and ``check(entry_point)``); a test passes when check() returned.

A grader profile (`grading`) chooses the harness, the prelude and the limits; this module
knows nothing of profiles, samples or the sandbox's pool.
"""

from __future__ import annotations

import ast
import decimal
import json
import re
import secrets
from dataclasses import dataclass

from codegen_study.problems import Problem, TestCase

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


def call_program(code: str, fn_name: str, test: TestCase, nonce: str, prelude: str) -> tuple[str, str]:
    """(program, check) for one call-based test: the check calls the solution's method on the
    test's arguments and prints the returned value, tagged, as JSON.

    The expected value never enters the sandbox: the grader compares the printed value with it
    (`judge`), so a program can only pass by returning the right value, not by printing a
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


# -- one test: what runs, and its verdict ---------------------------------------------------
@dataclass
class PlannedTest:
    """What to run for one test and how to judge it."""
    test: TestCase
    index: int  # in problem.tests
    program: str
    mode: str  # "seed" | "lcb" | "call" | "humaneval"
    nonce: str = ""  # tags the value a call-based check prints
    check: str | None = None  # run after the program (Job.check)
    name: str = "__main__"  # the program's __name__

    @property
    def stdin(self) -> str:
        """Stdin tests read their input; call-based and HumanEval tests get it from the check."""
        return self.test.input if self.mode in ("seed", "lcb") else ""


def plan_tests(problem: Problem, code: str, tests: list[tuple[int, TestCase]], comparison: str,
               prelude: str) -> list[PlannedTest]:
    """The runs of `code` on `tests` ((index, test) pairs) under the harness `comparison` names.

    The problem's kind decides first: HumanEval problems run under the HumanEval harness and
    call-based (functional) problems under the call-based check, whatever the comparison;
    stdin problems are compared as `comparison` says ("lcb" also wraps the program)."""
    if problem.kind == "humaneval":
        program, check = humaneval_program(problem, code)
        return [PlannedTest(t, i, program, "humaneval", check=check, name=HUMANEVAL_NAME) for i, t in tests]
    if problem.kind == "functional":
        planned = []
        for i, t in tests:
            nonce = "CGS" + secrets.token_hex(8)
            program, check = call_program(code, problem.fn_name or "", t, nonce, prelude)
            planned.append(PlannedTest(t, i, program, "call", nonce, check=check))
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

    A nonzero exit fails a stdin test whatever it printed; a HumanEval test passes exactly when
    its check() returned, and an AssertionError there is a wrong answer."""
    status = outcome.status
    if status == "skipped":
        return "skipped", None
    if planned.mode == "humaneval" and outcome.checked:  # check() returned: what the reference counts
        return "passed", outcome.stdout
    if status != "ok":
        verdict = _STATUS_VERDICT.get(status, "runtime_error")
        if status == "error" and planned.mode == "humaneval" and "AssertionError" in (outcome.stderr or "")[-4000:]:
            verdict = "wrong_answer"
        return verdict, outcome.stdout
    if planned.mode == "seed":
        return ("passed" if compare_seed(outcome.stdout, planned.test.output) else "wrong_answer"), outcome.stdout
    if planned.mode == "lcb":
        return ("passed" if compare_lcb(outcome.stdout, planned.test.output) else "wrong_answer"), outcome.stdout
    if planned.mode == "call":
        tag = f"\n{planned.nonce} "
        at = outcome.stdout.rfind(tag)
        if at < 0:
            return "runtime_error", outcome.stdout
        line = outcome.stdout[at + len(tag):].split("\n", 1)[0]
        kind, _, shown = line.partition(" ")
        return ("passed" if kind == "J" and json_equal(shown, planned.test.output) else "wrong_answer"), shown
    return "runtime_error", outcome.stdout  # humaneval: exited before check() returned
