"""LiveCodeBench-format benchmarks: the rows, the `lcb` prompt style's instructions, the graders.

A problem of this kind is a statement whose tests feed a whole program stdin and compare what it
prints, or, for LeetCode's call-based problems, call a function of it (`fn_name`, starter code).
The 41 LiveCodeBench problems and the synthetic held-out benchmark (whose rows `synth` writes in
this format) are of this kind.

Sources:

* LiveCodeBench ``code_generation_lite`` rows from a local JSONL (or ``.jsonl.gz``/parquet)
  file, or from the Hugging Face hub. `datasets` >= 4 refuses script datasets, and
  ``livecodebench/code_generation_lite`` is one, so the hub path never runs its script: it reads
  the repo's raw JSONL files (``test.jsonl``, ``test2.jsonl``, ... chosen by the version tag)
  through ``hf://datasets/...`` with the generic ``json`` builder; a parquet mirror (a hub id
  or ``hf://``/local path whose files are ``*.parquet``) goes through the ``parquet`` builder.
  `datasets` is imported only on that path. A source spec ``HUB_ID@VERSION[:IDS_FILE]`` names
  hub rows (`load`).
* ``private_test_cases`` is plain JSON or base64 -> zlib -> pickle -> JSON, decoded by
  `encoded_tests` without trusting the pickle.

Prompt: under the `train` style the user message is the statement alone, exactly as training rows
carry it (starter code, when there is some, follows in a fenced block); under `lcb` it is
LiveCodeBench's own wording: the statement, then the instruction to read stdin and write stdout in
one ```python block (`STDIN_INSTRUCTION`), or to complete the starter code (`STARTER_INSTRUCTION`).

Scoring: every seed/lcb grader x extraction pair by default; the primary measure is LiveCodeBench's
own (``lcb`` grader, ``lcb`` extraction); `score` grades with ``seed`` unless told otherwise.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from codegen_study.core.errors import UserError
from codegen_study.core.files import iter_jsonl
from codegen_study.core.vocabulary import EXTRACTIONS
from codegen_study.tasks.benchmark_kind import PROGRAM, BenchmarkKind, check_style, fenced
from codegen_study.tasks.encoded_tests import decode_test_cases
from codegen_study.tasks.problems import Problem, TestCase

LCB_HUB_ID = "livecodebench/code_generation_lite"
#: newest release the version parser knows about ("release_latest")
LCB_LATEST = 6
_REQUIRED = ("question_id", "public_test_cases")


def lcb_version_files(version: str) -> list[str]:
    """The JSONL files of the hub repo that make up a version tag.

    ``release_vN`` is cumulative (test.jsonl .. testN.jsonl), ``vN`` is the one file added by
    release N, ``vA_vB`` the files of releases A..B, ``release_latest`` everything known.
    """
    def name(i: int) -> str:
        return "test.jsonl" if i == 1 else f"test{i}.jsonl"

    if version == "release_latest":
        return [name(i) for i in range(1, LCB_LATEST + 1)]
    if m := re.fullmatch(r"release_v(\d+)", version):
        return [name(i) for i in range(1, int(m[1]) + 1)]
    if m := re.fullmatch(r"v(\d+)", version):
        return [name(int(m[1]))]
    if m := re.fullmatch(r"v(\d+)_v(\d+)", version):
        return [name(i) for i in range(int(m[1]), int(m[2]) + 1)]
    raise UserError(f"unknown LiveCodeBench version tag {version!r} (e.g. release_v5, v6, v1_v3, release_latest)")


def _iso_date(value: Any) -> str:
    if not value:
        return ""
    text = str(value)
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    return f"{m[1]}-{m[2]}-{m[3]}" if m else ""


def _window_bound(value: str | date | None, *, end: bool) -> str | None:
    """A date-window bound as an ISO date string; YYMM ("2408") means that whole month."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):  # the seed's YYMM form
        year, month = 2000 + int(text[:2]), int(text[2:])
        if not 1 <= month <= 12:
            raise UserError(f"bad YYMM date {text!r}")
        if not end:
            return f"{year:04d}-{month:02d}-01"
        return f"{year:04d}-{month:02d}-31"  # string compare: any day of the month is <= -31
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return f"{text}-01" if not end else f"{text}-31"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", text):
        return text[:10]
    raise UserError(f"bad date {text!r}: use YYMM (2408) or an ISO date (2024-08-01)")


def problem_from_lcb_row(row: dict, where: str = "") -> Problem:
    """One `Problem` from a code_generation_lite row; `where` ("file:line") prefixes errors."""
    if not isinstance(row, dict):
        raise UserError(f"{where}: expected a JSON object")
    missing = [k for k in _REQUIRED if k not in row]
    if missing:
        raise UserError(f"{where}: missing field {missing[0]!r}")
    metadata = row.get("metadata") or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata) if metadata.strip() else {}
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}: metadata is not JSON: {exc}") from None
    if not isinstance(metadata, dict):
        raise UserError(f"{where}: metadata must be a JSON object")
    tests = []
    for field_name, public in (("public_test_cases", True), ("private_test_cases", False)):
        try:
            cases = decode_test_cases(row.get(field_name))
        except ValueError as exc:
            raise UserError(f"{where}: {field_name}: {exc}") from None
        for case in cases:
            testtype = case.get("testtype", "stdin")
            if testtype not in ("stdin", "functional"):
                raise UserError(f"{where}: {field_name}: unknown testtype {testtype!r}")
            tests.append(TestCase(str(case["input"]), str(case["output"]), public, testtype))
    fn_name = metadata.get("func_name") or None
    return Problem(
        id=str(row["question_id"]),
        title=str(row.get("question_title") or row["question_id"]),
        statement=str(row.get("question_content") or ""),
        platform=str(row.get("platform") or ""),
        date=_iso_date(row.get("contest_date")),
        difficulty=str(row.get("difficulty") or ""),
        starter_code=str(row.get("starter_code") or ""),
        tests=tuple(tests),
        fn_name=fn_name,
        contest_id=str(row.get("contest_id") or ""),
        metadata=metadata,
    )


def read_ids_file(path: str | os.PathLike) -> list[str]:
    """Question ids, one a line; blank lines and `#` comments are ignored."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read ids file: {exc.strerror}") from None
    ids = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.append(line)
    return ids


def _rows_from_hub(source: str, version: str) -> Iterator[tuple[str, dict]]:
    """Rows from the hub (or an hf:// / parquet mirror) through `datasets`, imported here."""
    try:
        from datasets import load_dataset
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise UserError(
            f"{source}: loading from the Hugging Face hub needs the `datasets` package "
            "(pip install 'codegen-study[train]'), or pass a local JSONL file"
        ) from exc
    if source.endswith(".parquet") or "*.parquet" in source or source.endswith("/parquet"):
        files = [source if source.startswith(("hf://", "/", ".")) else f"hf://datasets/{source}"]
        builder = "parquet"
    elif source.startswith("hf://"):
        files, builder = [source], ("json" if ".json" in source else "parquet")
    else:
        files = [f"hf://datasets/{source}/{name}" for name in lcb_version_files(version)]
        builder = "json"
    try:
        ds = load_dataset(builder, data_files=files, split="train")
    except Exception as exc:
        raise UserError(f"{source}: cannot load {version} from the hub: {exc}") from exc
    for i, row in enumerate(ds, 1):
        yield f"{source}[{i}]", row


def _rows_from_parquet(path: Path) -> Iterator[tuple[str, dict]]:
    import polars as pl

    files = sorted(path.glob("**/*.parquet")) if path.is_dir() else [path]
    for file in files:
        try:
            df = pl.read_parquet(file)
        except Exception as exc:
            raise UserError(f"{file}: cannot read parquet: {exc}") from None
        for i, row in enumerate(df.iter_rows(named=True), 1):
            yield f"{file}:row {i}", row


def _as_set(value: str | Iterable[str] | None) -> set[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {value.lower()}
    return {str(v).lower() for v in value}


def load_lcb(
    path_or_hub_id: str | os.PathLike = LCB_HUB_ID,
    *,
    version: str = "release_v5",
    platform: str | Iterable[str] | None = None,
    difficulty: str | Iterable[str] | None = None,
    start: str | date | None = None,
    end: str | date | None = None,
    ids: Iterable[str] | None = None,
    ids_file: str | os.PathLike | None = None,
    digest=None,
) -> list[Problem]:
    """LiveCodeBench problems, filtered; a local file/folder is read directly, else the hub.

    `digest` (a hashlib object) is fed the bytes of a local JSONL file as its rows are read
    (what `score` fingerprints its progress with: the very bytes its problems come from).

    `start`/`end` bound `contest_date` inclusively: YYMM ("2408" .. "2502", whole months, as the
    seed study wrote them) or ISO dates. `ids`/`ids_file` keep only those question ids, in
    that order, and it is an error when one of them is not found (a wrong version tag, say).
    `version` selects hub files; a local file holds whatever rows it holds.

    Examples: ``load_lcb("rows.jsonl")``; ``load_lcb(version="release_v5", ids_file=
    "data/benchmarks/lcb_seed41.txt")`` (hub, raw JSONL files, no dataset script);
    ``load_lcb("hf://datasets/<mirror>/data/*.parquet")`` (a parquet mirror; version ignored).
    """
    source = os.fspath(path_or_hub_id)
    local = Path(source)
    if local.is_file() and not source.endswith(".parquet"):
        rows = ((f"{local}:{n}", row) for n, row in iter_jsonl(local, "benchmark", kind="benchmark", digest=digest))
    elif local.exists():
        rows = _rows_from_parquet(local)
    elif source.startswith(("/", ".")) or source.endswith((".jsonl", ".json", ".gz")):
        raise UserError(f"{source}: no such file")
    else:
        rows = _rows_from_hub(source, version)
    wanted: list[str] | None = None
    if ids_file is not None:
        wanted = read_ids_file(ids_file)
    if ids is not None:
        wanted = [str(i) for i in ids] if wanted is None else [i for i in wanted if i in set(map(str, ids))]
    platforms, difficulties = _as_set(platform), _as_set(difficulty)
    lo, hi = _window_bound(start, end=False), _window_bound(end, end=True)
    keep = set(wanted) if wanted is not None else None
    found: dict[str, Problem] = {}
    for where, row in rows:
        problem = problem_from_lcb_row(row, where)
        if keep is not None and problem.id not in keep:
            continue
        if platforms is not None and problem.platform.lower() not in platforms:
            continue
        if difficulties is not None and problem.difficulty.lower() not in difficulties:
            continue
        if (lo or hi) and not problem.date:
            continue
        if lo and problem.date < lo:
            continue
        if hi and problem.date > hi:
            continue
        if problem.id in found:
            raise UserError(f"{where}: duplicate question_id {problem.id!r}")
        found[problem.id] = problem
    if wanted is None:
        return list(found.values())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise UserError(
            f"{source}: {len(missing)} requested question id(s) not found after filtering "
            f"(version {version!r}): {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
        )
    return [found[i] for i in wanted]


def load(spec: str | os.PathLike, **filters: Any) -> list[Problem]:
    """Problems of a source spec: ``HUB_ID@VERSION[:IDS_FILE]`` (hub rows of that version, those
    ids), else a local file or folder, or a hub id (`load_lcb`, which takes the `filters`)."""
    spec = os.fspath(spec)
    if "@" in spec and not Path(spec).exists():
        hub, _, rest = spec.partition("@")
        version, _, ids_file = rest.partition(":")
        return load_lcb(hub, version=version, ids_file=ids_file or None, **filters)
    return load_lcb(spec, **filters)


# ---------------------------------------------------------------------------------------
# The prompt's user message
# ---------------------------------------------------------------------------------------
STDIN_INSTRUCTION = (
    "Read the inputs from standard input, solve the problem and write the answer to standard "
    "output (do not just test on the sample inputs). Write a complete Python program and enclose "
    "it in a single ```python code block."
)
STARTER_INSTRUCTION = (
    "Use the following starter code to write the solution and enclose your code in a single "
    "```python code block."
)


def statement_message(statement: str, style: str = "train", *, starter_code: str = "") -> str:
    """The user turn for a statement: what training rows (style `train`) and benchmarks share."""
    check_style(style)
    statement = statement.rstrip()
    if starter_code.strip():
        return "\n\n".join([statement] + ([STARTER_INSTRUCTION] if style == "lcb" else []) + [fenced(starter_code)])
    return statement if style == "train" else f"{statement}\n\n{STDIN_INSTRUCTION}"


def _message(problem: Problem, style: str) -> str:
    return statement_message(problem.statement, style, starter_code=problem.starter_code)


KIND = BenchmarkKind(
    name="livecodebench",
    title="LiveCodeBench-format",
    harness=PROGRAM,
    graders=tuple((grader, extraction) for grader in ("seed", "lcb") for extraction in EXTRACTIONS),
    primary=("lcb", "lcb"),
    default_grader="seed",
    bundled=None,
    load=load,
    message=_message,
    covers=lambda problem: problem.test_code is None,
)
