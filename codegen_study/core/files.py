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

from codegen_study.core.errors import UserError


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


#: the most bytes (MiB) an input of each kind is read to: a larger one, or one that never ends
#: (a procfs file, a device), is refused with one line. CODEGEN_STUDY_MAX_INPUT_MB overrides
#: them all. A samples file is held whole (a JSON array may span it) and parsing multiplies it
#: a few times over, so its cap is the lowest; benchmarks and corpora are read line by line.
INPUT_CAPS_MB = {"samples": 512, "benchmark": 8192, "corpus": 4096, "store": 8192}
CAP_ENV = "CODEGEN_STUDY_MAX_INPUT_MB"


def input_cap(kind: str) -> int:
    """The byte cap of inputs of `kind` (see INPUT_CAPS_MB), or the environment's override."""
    env = os.environ.get(CAP_ENV)
    if env:
        try:
            mb = float(env)
        except ValueError:
            mb = float("nan")
        if not 0 < mb < 1 << 40:
            raise UserError(f"{CAP_ENV}={env!r}: expected a positive number of MiB")
        return int(mb * (1 << 20))
    return INPUT_CAPS_MB[kind] << 20


def open_input(path: str | os.PathLike, what: str = "input"):
    """`path` opened for reading in binary; anything but a regular file is a one-line UserError
    (a FIFO is opened without waiting for a writer, so it is refused, not waited on)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise UserError(f"{path}: cannot read {what}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UserError(f"{path}: cannot read {what}: not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def too_big(path, what: str, kind: str) -> UserError:
    return UserError(f"{path}: {what} larger than {input_cap(kind) >> 20} MiB (the cap for {kind} inputs; "
                     f"set {CAP_ENV} to raise it)")


def read_capped(path: str | os.PathLike, what: str, kind: str) -> bytes:
    """The whole of a regular file, refused past the cap of `kind` (also when it never ends)."""
    cap = input_cap(kind)
    with open_input(path, what) as f:
        try:
            data = f.read(cap + 1)
        except OSError as exc:
            raise UserError(f"{path}: cannot read {what}: {exc.strerror}") from None
    if len(data) > cap:
        raise too_big(path, what, kind)
    return data


def iter_jsonl(path: str | os.PathLike, what: str = "", *, kind: str = "corpus",
               digest=None) -> Iterator[tuple[int, Any]]:
    """(line number, row) for each non-blank line of a JSONL file (gzipped when it ends in .gz).

    Unreadable files and broken JSON are UserErrors naming the file (and line); `what` names
    the file's role in the message ("cannot read corpus: ..."). At most `input_cap(kind)` bytes
    are read (a longer or endless file is refused); a UTF-8 byte order mark is skipped.
    `digest` (a hashlib object) is fed exactly the bytes the rows come from."""
    path = Path(path)
    cannot = f"{path}: cannot read{' ' + what if what else ''}"
    raw = open_input(path, what or "file")
    cap, total = input_cap(kind), 0
    try:
        f = gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw
    except OSError as exc:
        raw.close()
        raise UserError(f"{cannot}: {exc.strerror}") from None
    with raw, f:
        try:
            lineno = 0
            while True:
                line = f.readline(cap - total + 1)
                if not line:
                    break
                total += len(line)
                if total > cap:
                    raise too_big(path, what or "file", kind)
                if digest is not None:
                    digest.update(line)
                lineno += 1
                if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                if not line.strip():
                    continue
                try:
                    row = json.loads(line.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise UserError(f"{path}:{lineno}: not UTF-8 text (byte {exc.start + 1} of the line)") from None
                except (ValueError, RecursionError) as exc:  # bad JSON, an integer of > 4300 digits, deep nesting
                    raise UserError(f"{path}:{lineno}: invalid JSON: {json_problem(exc)}") from None
                yield lineno, row
        except (EOFError, OSError, zlib.error) as exc:
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
