"""Files written whole or not at all, and JSONL read with errors that name the file and line.

Every output of the project (configs, tables, corpora, exports) goes through `atomic_write_*`: a
temp file in the same folder, fsynced, then renamed, so a killed process leaves the old file or the
new one, never half of one. `check_output` refuses, before any work, an output that is a symlink,
device or folder, or that is also an input.
"""

from __future__ import annotations

import gzip
import json
import os
import stat
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from codegen_study.errors import UserError


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` through a temp file in the same folder and a rename."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Creates a new file next to `path` and renames it over `path`: never writes through a
    symlink nor replaces a device node, pipe or folder (a UserError, as is an unwritable folder)."""
    path = Path(path)
    _refuse_special(path, "output")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UserError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise UserError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise


def _refuse_special(path: Path, what: str, flag: str = "") -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UserError(f"{flag + ' ' if flag else ''}{path}: cannot use as {what}: {exc.strerror}") from None
    kind = ("a symbolic link" if stat.S_ISLNK(st.st_mode) else "a folder" if stat.S_ISDIR(st.st_mode)
            else None if stat.S_ISREG(st.st_mode) else "a device, pipe or socket")
    if kind:
        raise UserError(f"{flag + ' ' if flag else ''}{path}: is {kind}; {what} is written as a new regular file")


def check_output(path: str | os.PathLike, inputs: Iterable[str | os.PathLike | None] = (),
                 flag: str = "--out") -> Path:
    """An output path that is safe to replace by temp + rename: a new or regular file (no
    symlink, device or folder) that is none of `inputs`. Checked before any work starts."""
    path = Path(path)
    _refuse_special(path, "the output", flag)
    target = os.path.realpath(path)
    for item in inputs:
        if item is not None and os.path.realpath(item) == target:
            raise UserError(f"{flag} {path}: is also an input ({item}); writing it would destroy the input")
    return path


def iter_jsonl(path: str | os.PathLike, what: str = "") -> Iterator[tuple[int, Any]]:
    """(line number, row) for each non-blank line of a JSONL file (gzipped when it ends in .gz).

    Unreadable files and broken JSON are UserErrors naming the file (and line); `what` names
    the file's role in the message ("cannot read corpus: ...")."""
    path = Path(path)
    cannot = f"{path}: cannot read{' ' + what if what else ''}"
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        f = opener(path, "rt", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{cannot}: {exc.strerror}") from None
    with f:
        try:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except (ValueError, RecursionError) as exc:  # bad JSON, an integer of > 4300 digits, deep nesting
                    raise UserError(f"{path}:{lineno}: invalid JSON: {json_problem(exc)}") from None
                yield lineno, row
        except (UnicodeDecodeError, EOFError, OSError, zlib.error) as exc:
            raise UserError(f"{cannot}: {exc}") from None


def json_problem(exc: BaseException) -> str:
    """What is wrong with a JSON text that json.loads refused (decode error, depth, huge integer)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if "digits" in str(exc):
        return "an integer with more than 4300 digits"
    return str(exc)
