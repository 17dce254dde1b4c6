"""The benchmarks a study names, and where each one's problems come from.

A benchmark spec is "humaneval", a local LCB-format JSONL file, or "HUB_ID@VERSION[:IDS_FILE]"; an
`[eval] sources` table overrides these defaults by name. Kept apart from generation so that `export`
(which only needs to know whether a benchmark is HumanEval) does not import the evaluation stage.
"""

from __future__ import annotations

from pathlib import Path

from codegen_study.core.errors import UserError

LCB_HUB_SPEC = "livecodebench/code_generation_lite@release_v5:data/benchmarks/lcb_seed41.txt"
#: benchmark name -> spec: "humaneval", a local LCB-format file, or "HUB_ID@VERSION[:IDS_FILE]"
DEFAULT_SOURCES: dict[str, str] = {
    "heldout": "corpora/heldout.jsonl",
    "lcb41": LCB_HUB_SPEC,
    "humaneval": "humaneval",
}


def load_problems(spec: str, limit: int | None = None):
    """Problems of a benchmark spec (see DEFAULT_SOURCES), the first `limit` of them."""
    from codegen_study.tasks.problems import load_benchmark, load_lcb

    if "@" in spec and not Path(spec).exists():
        hub, _, rest = spec.partition("@")
        version, _, ids_file = rest.partition(":")
        problems = load_lcb(hub, version=version, ids_file=ids_file or None)
    else:
        if spec != "humaneval" and not Path(spec).exists():
            raise UserError(f"benchmark file {spec}: no such file")
        problems = load_benchmark(spec)
    return problems[:limit] if limit else problems
