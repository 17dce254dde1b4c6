"""What the stages need to know about a kind of benchmark, asked of one value instead of its name.

Two kinds exist, each in a module of its own that holds its loader, the instruction text of its
`lcb` prompt style, the graders it is scored by and its harness:

* `livecodebench` -- LiveCodeBench's format: a statement, and tests that feed a whole program
  stdin (or call a function of it, for LeetCode's call-based problems). The 41 LiveCodeBench
  problems and the synthetic held-out benchmark are of this kind.
* `humaneval` -- a function's signature and docstring that the model completes, and the task's
  own ``check(candidate)``.

Why a value: what differs between the two (how a prompt is worded, which graders score it by
default, what the primary measure's extraction is, whether the code runs as a program or completes
a function) used to be decided by testing a benchmark's name wherever it mattered. Evaluation,
scoring, export, the harnesses and the prompts now ask the kind (`sources.kind_of` for a problem,
`sources.kind_of_spec` for a benchmark source), so a third kind is one more module, not a search.

Covers: the `BenchmarkKind` type and what both kinds share (the prompt style check, fenced code).
Does not cover: the kinds themselves (`livecodebench`, `humaneval`), which kind a problem or source
is (`sources`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from codegen_study.core.vocabulary import PROMPT_STYLES, Extraction, Grader
from codegen_study.tasks.problems import Problem

#: how a benchmark's code runs: a whole `program` (stdin tests feed it input, call-based tests call
#: its function), or a `function` completing the problem's prompt that the task's check calls
Harness = Literal["program", "function"]
PROGRAM, FUNCTION = get_args(Harness)


@dataclass(frozen=True)
class BenchmarkKind:
    """One kind of benchmark: how its problems load, are worded, run and are scored."""

    name: str
    title: str  # in messages: "HumanEval problems need ..."
    harness: Harness
    #: the (grader, extraction) pairs `evaluate` scores it under unless `[eval] graders` says otherwise
    graders: tuple[tuple[Grader, Extraction], ...]
    #: the primary measure's (grader, extraction): what the report reads first and `export` writes
    primary: tuple[Grader, Extraction]
    #: the grader `score` uses when none is given
    default_grader: Grader
    #: the source spec naming a copy shipped with a package ("humaneval"); None: read from files or the hub
    bundled: str | None
    #: (spec, **filters) -> problems
    load: Callable[..., list[Problem]]
    #: (problem, style) -> the user message; the style is checked before
    message: Callable[[Problem, str], str]
    #: whether a loaded problem is of this kind
    covers: Callable[[Problem], bool]

    @property
    def grader_names(self) -> tuple[Grader, ...]:
        """The graders that can score this kind (each of its default pairs' grader)."""
        return tuple(dict.fromkeys(grader for grader, _ in self.graders))

    def user_message(self, problem: Problem, style: str = "train") -> str:
        """The user turn for `problem` under prompt style `style` (see `prompts`)."""
        check_style(style)
        return self.message(problem, style)

    def __repr__(self) -> str:  # the callables would make every message naming a kind unreadable
        return f"BenchmarkKind({self.name!r})"


def check_style(style: Any) -> None:
    """A ValueError unless `style` is a prompt style."""
    if style not in PROMPT_STYLES:
        raise ValueError(f"unknown prompt style {style!r} (one of {', '.join(PROMPT_STYLES)})")


def fenced(code: str) -> str:
    """`code` in one ```python block, as both kinds show starter code and function prompts."""
    return f"```python\n{code.rstrip()}\n```"
