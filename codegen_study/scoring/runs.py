"""A scoring run: samples graded in batches, and the rows the results store keeps of them.

A scoring run is one model state's samples of one benchmark under one grader and extraction (the
store's `runs` table). `score_into_store` is the pipeline other stages call (`generate`): it writes
the runs, samples, tests and problems rows of a `store.Store`, skipping samples already stored, so
calling it again after a crash finishes the run without duplicates. The `score` command grades
through the same batches (`grade_in_batches`) into its side file and output, and uses the same
rows when it also writes a store.

Each row is built from the store's definition of its table (`store.RUNS`, `SAMPLES`, `TESTS`,
`PROBLEMS`), so a row can never lack or add a column the report reads.

Each scoring pass grades a program once (`grading.VerdictCache`): callers of `score_into_store`
pass one cache to share it across the runs of one pass.
"""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime, timezone
from typing import Any

from codegen_study.core.errors import UserError
from codegen_study.core.progress import Progress
from codegen_study.scoring.grading import VerdictCache, grade
from codegen_study.scoring.profiles import GraderProfile, get_profile
from codegen_study.scoring.verdicts import MAX_CODE_CHARS, Sample, SampleVerdict
from codegen_study.store import PROBLEMS, RUNS, SAMPLES, TESTS, Store, make_run_id
from codegen_study.tasks.problems import Problem

#: the fields of one graded sample in the `score` command's output (`sample_row` adds its tests)
OUT_FIELDS = ("question_id", "sample_id", "passed", "verdict", "tests_passed", "tests_total", "seconds",
              "code", "test_verdicts")


# -- rows ------------------------------------------------------------------------------
#: results keep at most this much of a sample's code (longer code is a code_limit verdict anyway)
KEEP_CODE_CHARS = MAX_CODE_CHARS


def kept_code(code: str) -> str:
    """`code`, or its first KEEP_CODE_CHARS characters and how many more there were."""
    if len(code) <= KEEP_CODE_CHARS:
        return code
    return code[:KEEP_CODE_CHARS] + f"\n# ... [{len(code) - KEEP_CODE_CHARS} more characters not kept]"


def sample_row(v: SampleVerdict) -> dict[str, Any]:
    """A graded sample as the `score` side file holds it: the OUT_FIELDS plus each test's verdict in full
    (from which `store_rows` makes the store's samples and tests rows)."""
    return {
        "question_id": v.question_id, "sample_id": v.sample_id, "passed": v.passed, "verdict": v.verdict,
        "tests_passed": v.tests_passed, "tests_total": v.tests_total, "seconds": v.seconds, "code": kept_code(v.code),
        "test_verdicts": [t.verdict for t in v.tests], "tests": [dataclasses.asdict(t) for t in v.tests],
    }


def test_rows(run_id: str, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The store's tests rows of one `sample_row`."""
    return [
        TESTS.row(run_id=run_id, question_id=row["question_id"], sample_id=row["sample_id"], test_index=t["index"],
                  public=t["public"], verdict=t["verdict"], seconds=t["seconds"], input=t["input"],
                  expected=t["expected"], actual=t["actual"], stderr=t["stderr"])
        for t in row["tests"]
    ]


def problem_row(benchmark: str, p: Problem) -> dict[str, Any]:
    """The store's problems row: what the report says of a problem beside its scores."""
    return PROBLEMS.row(
        benchmark=benchmark, question_id=p.id, title=p.title, platform=p.platform, date=p.date,
        difficulty=p.difficulty, url=p.url, group=str(p.metadata.get("group", "")), family=p.metadata.get("family"),
        n_public=len(p.public_tests), n_private=len(p.tests) - len(p.public_tests),
    )


def run_row(run_id: str, profile: GraderProfile, protections: dict | None, config: dict, *, model: str,
            step: int, benchmark: str, prompt: str, decoding: str, adapter: str | None = None,
            arm: str | None = None, train_seed: int | None = None) -> dict[str, Any]:
    """The store's runs row: who was graded, how, and under which sandbox protections."""
    return RUNS.row(
        run_id=run_id, model=model, arm=arm, train_seed=train_seed, adapter=adapter, step=step, benchmark=benchmark,
        prompt=prompt, decoding=decoding, grader=profile.name, extraction=profile.extraction,
        tests_used="public" if profile.public_only else "public+private",
        protections=json.dumps(protections, sort_keys=True, default=str),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        config=json.dumps({"profile": dataclasses.asdict(profile), **config}, sort_keys=True, default=str),
    )


def store_rows(store: Store, run_id: str, rows: list[dict[str, Any]]) -> None:
    """`sample_row`s into the store. Each sample's test rows go before its sample row, so a stored
    sample always has its tests."""
    store.append("tests", [t for row in rows for t in test_rows(run_id, row)])
    store.append("samples", [SAMPLES.row(run_id=run_id, **{c: row[c] for c in SAMPLES.columns if c != "run_id"})
                             for row in rows])


def sample_key(qid: Any, sid: Any) -> tuple[str, str]:
    """A sample's identity whatever the type its id was read as (JSON numbers and text alike)."""
    return (str(qid), str(sid))


def stored_samples(store: Store, run_id: str) -> set[tuple[str, str]]:
    """The `sample_key`s the store already holds for this run (a rerun skips them)."""
    return {sample_key(q, s) for r, q, s in store.done_keys("samples") if r == run_id}


def record_run(store: Store, run_id: str, make_run_row, benchmark: str, problems: dict[str, Problem],
               question_ids) -> None:
    """The run's row (`make_run_row()`, written once) and a problems row for each problem not stored yet."""
    if (run_id,) not in store.done_keys("runs"):
        store.append("runs", [make_run_row()])
    have = store.done_keys("problems")
    store.append("problems", [problem_row(benchmark, problems[q]) for q in dict.fromkeys(question_ids)
                              if (benchmark, q) not in have])


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
    done = stored_samples(store, run_id)
    todo = [s for s in samples if sample_key(s.question_id, s.sample_id) not in done]
    own = sandbox is None
    if own and todo:
        from codegen_study.sandbox import Sandbox

        sandbox = Sandbox(workers=workers, more_preload=True)  # grade() picks the modules
    try:
        protections = getattr(sandbox, "protections", None) if sandbox is not None else None
        record_run(store, run_id, lambda: run_row(
            run_id, profile, protections, config or {}, model=model, step=step, benchmark=benchmark, prompt=prompt,
            decoding=decoding, adapter=adapter, arm=arm, train_seed=train_seed),
            benchmark, problems, (s.question_id for s in samples))
        if todo:
            grade_in_batches(todo, problems, profile, sandbox, VerdictCache() if cache is None else cache, progress,
                             lambda batch: store_rows(store, run_id, [sample_row(v) for v in batch]))
    finally:
        if own and sandbox is not None:
            sandbox.close()
    return run_id


def grade_in_batches(samples, problems, profile, sandbox, cache: VerdictCache, progress, write,
                     every_s: float = 0.25, every_n: int = 64) -> int:
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
