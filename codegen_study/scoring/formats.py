"""Sample files in the layouts that code-evaluation tools use: read by `score`, written by `export`.

Why: results should be checkable with the official graders, and samples made by those tools'
own generators should score here unchanged. Layouts, told apart by the first record's fields:

* ``native`` -- this project's: ``question_id``, optional ``sample_id`` (default: the line
  number), and ``code`` (run as is) or ``completion`` (raw model output; the grader's
  extraction applies).
* ``evalplus`` -- EvalPlus and human-eval samples: ``task_id`` and ``solution`` (a whole
  program) or ``completion`` (code that continues a HumanEval prompt). Both are run as is, as
  those tools run them; a row with both is read as ``solution`` (EvalPlus's rule). The n-th row
  of a task is its sample n - 1 (human-eval's ``completion_id``).
* ``lcb`` -- LiveCodeBench generation output: ``question_id`` and ``code_list`` (extracted
  programs), one sample per entry, numbered from 0; other fields (``output_list``, ...) are
  ignored.

Containers: JSON Lines, or a single JSON array (LiveCodeBench's custom evaluator reads one with
`json.load`). Every record is checked before anything runs; errors name the file and the line
where the record starts. A file mixing layouts is an error: which grader semantics apply
(extraction or not, sample numbering) depends on the layout.

Does not cover: which benchmark the ids belong to beyond a membership check, or grading.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codegen_study.core.errors import UserError
from codegen_study.core.files import input_cap, json_problem, read_capped, too_big
from codegen_study.scoring.verdicts import Sample
from codegen_study.tasks.benchmark_kind import FUNCTION
from codegen_study.tasks.sources import kind_of

#: layout -> how it is described in messages
LAYOUTS: dict[str, str] = {
    "native": "codegen-study samples (question_id + code/completion)",
    "evalplus": "EvalPlus/human-eval samples (task_id + solution/completion)",
    "lcb": "LiveCodeBench generation output (question_id + code_list)",
}
#: formats `export` writes (the layouts other tools read)
EXPORT_FORMATS = ("evalplus", "lcb")


def layout_of(row: dict[str, Any]) -> str | None:
    """The layout a record belongs to, from its distinguishing field; None when it has none."""
    if "code_list" in row:
        return "lcb"
    if "task_id" in row:
        return "evalplus"
    if "question_id" in row:
        return "native"
    return None


def iter_records(path: Path, data: bytes) -> Iterator[tuple[int, Any]]:
    """(line number, decoded value) for each JSONL line, or each element of a top-level JSON array."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(f"{path}:{line}: not UTF-8 text") from None
    if text.startswith("\ufeff"):  # a byte order mark, as some editors write UTF-8
        text = text[1:]
    if text.lstrip().startswith("["):
        yield from _iter_array(path, text)
        return
    for lineno, raw in enumerate(text.split("\n"), 1):
        if not raw.strip():
            continue
        try:
            yield lineno, json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise UserError(f"{path}:{lineno}: invalid JSON: {json_problem(exc)}") from None


_SPACE = re.compile(r"\s*")


def _iter_array(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    pos = _SPACE.match(text).end() + 1  # past "["

    def line_at(i: int) -> int:
        return text.count("\n", 0, i) + 1

    pos = _SPACE.match(text, pos).end()
    if text.startswith("]", pos):
        pos += 1
    else:
        while True:
            try:
                value, end = decoder.raw_decode(text, pos)
            except (ValueError, RecursionError) as exc:
                where = line_at(exc.pos) if isinstance(exc, json.JSONDecodeError) else line_at(pos)
                raise UserError(f"{path}:{where}: invalid JSON: {json_problem(exc)}") from None
            yield line_at(pos), value
            pos = _SPACE.match(text, end).end()
            if text.startswith(",", pos):
                pos = _SPACE.match(text, pos + 1).end()
            elif text.startswith("]", pos):
                pos += 1
                break
            else:
                raise UserError(f"{path}:{line_at(pos)}: invalid JSON: expected ',' or ']' in the array")
    if text[pos:].strip():
        raise UserError(f"{path}:{line_at(_SPACE.match(text, pos).end())}: invalid JSON: data after the array")


def _text_id(row: dict, field: str, where: str) -> str:
    value = row.get(field)
    if value is None:
        raise UserError(f"{where}: missing field {field!r}")
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise UserError(f"{where}: {field} must be a string")
    return str(value)


def _native(row: dict, lineno: int, where: str) -> list[Sample]:
    qid = _text_id(row, "question_id", where)
    sid = row.get("sample_id", lineno)
    if not isinstance(sid, (str, int)) or isinstance(sid, bool):
        raise UserError(f"{where}: sample_id must be a string or an integer")
    code, completion = row.get("code"), row.get("completion")
    if code is None and completion is None:
        raise UserError(f"{where}: missing field 'code' or 'completion'")
    if code is not None and completion is not None:
        raise UserError(f"{where}: give either 'code' or 'completion', not both")
    text = code if code is not None else completion
    if not isinstance(text, str):
        raise UserError(f"{where}: {'code' if code is not None else 'completion'} must be a string")
    return [Sample(qid, sid, code=code, completion=completion)]


def _evalplus(row: dict, where: str, counts: dict[str, int]) -> list[Sample]:
    qid = _text_id(row, "task_id", where)
    field = "solution" if "solution" in row else "completion" if "completion" in row else None
    if field is None:
        raise UserError(f"{where}: missing field 'solution' or 'completion'")
    if not isinstance(row[field], str):
        raise UserError(f"{where}: {field} must be a string")
    sid = counts.get(qid, 0)
    counts[qid] = sid + 1
    return [Sample(qid, sid, code=row[field])]


def _lcb(row: dict, where: str) -> list[Sample]:
    qid = _text_id(row, "question_id", where)
    codes = row["code_list"]
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise UserError(f"{where}: code_list must be a list of strings")
    return [Sample(qid, i, code=c) for i, c in enumerate(codes)]


STDIN = "-"  # as a samples path: read standard input (once, capped like a file)


def read_sample_bytes(path: str | os.PathLike) -> bytes:
    """A samples file's bytes, read once and capped (`files.input_cap("samples")`); "-" reads
    standard input. Anything else that is not a regular file (a folder, a device, a FIFO) is
    refused with one line."""
    if os.fspath(path) == STDIN:
        cap = input_cap("samples")
        try:
            data = sys.stdin.buffer.read(cap + 1)
        except (OSError, AttributeError, ValueError) as exc:
            raise UserError(f"standard input: cannot read samples: {exc}") from None
        if len(data) > cap:
            raise too_big("standard input", "samples", "samples")
        return data
    return read_capped(path, "samples", "samples")


def read_sample_file(path: str | os.PathLike, problems: dict | None = None, *, data: bytes | None = None
                     ) -> tuple[str, list[Sample]]:
    """(layout, samples) of a samples file; every problem is a UserError naming `path:line`.

    `data`: the file's bytes when the caller already read them (`read_sample_bytes`), so that
    what it fingerprints is exactly what is parsed here."""
    path = Path(path)
    if data is None:
        data = read_sample_bytes(path)
    if os.fspath(path) == STDIN:
        path = Path("<stdin>")
    layout: str | None = None
    first = 0
    samples: list[Sample] = []
    seen: dict[tuple[str, str], int] = {}
    counts: dict[str, int] = {}
    for lineno, row in iter_records(path, data):
        where = f"{path}:{lineno}"
        if not isinstance(row, dict):
            raise UserError(f"{where}: expected a JSON object")
        kind = layout_of(row)
        if layout is None:
            layout, first = kind or "native", lineno  # no known field: report what native lacks
        elif kind is not None and kind != layout:
            raise UserError(f"{where}: a record of {LAYOUTS[kind]} in a file of {LAYOUTS[layout]} "
                            f"(layout taken from line {first}); mixed layouts are not read")
        if layout == "lcb":
            got = _lcb(row, where)
        elif layout == "evalplus":
            got = _evalplus(row, where, counts)
        else:
            got = _native(row, lineno, where)
        for s in got:
            for name, value in (("question_id", s.question_id), ("sample_id", s.sample_id),
                                ("code", s.code), ("completion", s.completion)):
                if isinstance(value, str) and not is_text(value):
                    raise UserError(f"{where}: {name} holds a lone surrogate (\\ud800-\\udfff): not Unicode text")
            if problems is not None and s.question_id not in problems:
                name = "task_id" if layout == "evalplus" else "question_id"
                raise UserError(f"{where}: unknown {name} {s.question_id!r} (not in the benchmark)")
            key = (s.question_id, str(s.sample_id))
            if key in seen:
                what = "question_id" if layout == "lcb" else "sample"
                shown = s.question_id if layout == "lcb" else (s.question_id, s.sample_id)
                raise UserError(f"{where}: duplicate {what} {shown!r}; first on line {seen[key]}")
            seen[key] = lineno
            samples.append(s)
    return layout or "native", samples


def is_text(value: str) -> bool:
    """Whether `value` encodes as UTF-8 (JSON admits lone surrogates, which results cannot hold)."""
    try:
        value.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


# -- writing ---------------------------------------------------------------------------------
_DEF = r"^[ \t]*(?:async[ \t]+)?def[ \t]+{name}[ \t]*\("


def evalplus_row(qid: str, code: str, problem=None) -> dict[str, str]:
    """One EvalPlus/human-eval record for `code`, a sample of question `qid`.

    Tasks whose code completes a function prompt (`problem` given, of a kind with the function
    harness: HumanEval) get ``completion``, what follows the prompt: human-eval reads only that
    field and EvalPlus prepends the prompt to it. Code that defines the entry point itself is set
    off from the prompt by a blank line, as the ``humaneval`` grader runs it. Other tasks get
    ``solution``: their code is a whole program.
    """
    if problem is not None and kind_of(problem).harness == FUNCTION:
        entry = problem.entry_point or ""
        whole = entry and re.search(_DEF.format(name=re.escape(entry)), code, re.MULTILINE)
        return {"task_id": qid, "completion": ("\n\n" + code) if whole else code}
    return {"task_id": qid, "solution": code}


def render(fmt: str, items: list[tuple[str, Any, str, str]], problems: dict | None = None) -> bytes:
    """File contents in `fmt` for (question_id, sample_id, code, raw output) items, in order given.

    evalplus: JSON Lines, one record per sample; lcb: a JSON array, one record per question
    (``question_id``, ``code_list``, and the raw ``output_list`` as LiveCodeBench writes it).
    """
    problems = problems or {}
    if fmt == "evalplus":
        rows = [evalplus_row(qid, code, problems.get(qid)) for qid, _, code, _ in items]
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    if fmt == "lcb":
        grouped: dict[str, dict[str, Any]] = {}
        for qid, _, code, raw in items:
            entry = grouped.setdefault(qid, {"question_id": qid, "code_list": [], "output_list": []})
            entry["code_list"].append(code)
            entry["output_list"].append(raw)
        return (json.dumps(list(grouped.values()), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(EXPORT_FORMATS)})")
