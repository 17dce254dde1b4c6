"""The `score` command's side file of finished rows (``R.partial``), which a rerun resumes from.

Rows are complete JSON lines appended with single `write` calls, so a process killed with
SIGKILL loses nothing already written (the page cache keeps it; no fsync per batch, which cost
more than the grading of small programs). The first line is a fingerprint of the inputs and the
grader, so changed inputs never mix with stale progress. Reading cuts a torn or unreadable tail,
so a rerun neither reruns nor duplicates a row.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def fingerprint_of(*parts: bytes) -> str:
    """The journal's header: a hash of everything its rows depend on (inputs, grader)."""
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def read_journal(path: Path, fingerprint: str) -> list[dict]:
    """Rows already written by an earlier, interrupted run with the same `fingerprint`.

    Reads complete, decodable lines up to the first bad one and truncates the file there, so
    a torn last line (a kill mid-write) is cut before anything is appended after it. A file
    with another fingerprint (or none) is deleted: its rows belong to other inputs.
    """
    if not path.exists():
        return []
    rows, good = [], 0
    with open(path, "rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                break
            try:
                rows.append(json.loads(line))
            except (json.JSONDecodeError, UnicodeDecodeError):
                break
            good += len(line)
    if not rows or not isinstance(rows[0], dict) or rows[0].get("fingerprint") != fingerprint:
        path.unlink()  # stale progress from other inputs (or no header): start over
        return []
    os.truncate(path, good)
    return rows[1:]


def append_rows(path: Path, rows: list[dict]) -> None:
    """Append complete JSON lines with one write (SIGKILL-safe; see the module docstring)."""
    blob = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        view = memoryview(blob)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
