"""What passes between the caller and a sandbox worker: framed `marshal` messages and the
launcher's environment.

Both ends are our code and the untrusted program never sees these pipes, so plain `marshal`
data (cheaper than pickle: no pickler objects per message) behind a 4-byte length is enough.
"""

from __future__ import annotations

import marshal
import os
import struct

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_ENV_PREFIXES = ("OMP_", "OPENBLAS_", "MKL_")
_ENV_SUFFIXES = ("THREADS", "THREAD_LIMIT", "CORETYPE", "DYNAMIC", "PROC_BIND", "PLACES")


def frame(obj) -> bytes:
    """`obj` (plain data only) as one length-prefixed message."""
    data = marshal.dumps(obj)
    return struct.pack("<I", len(data)) + data


def send_message(fd: int, obj) -> None:
    write_all(fd, frame(obj))


def recv_message(fd: int):
    """One framed message, or None at end of file."""
    head = _read_exact(fd, 4)
    body = None if head is None else _read_exact(fd, struct.unpack("<I", head)[0])
    return None if body is None else marshal.loads(body)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def scrubbed_env() -> dict[str, str]:
    """The allow-list: all a program may learn from the caller's environment."""
    env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "PYTHONHASHSEED": "0"}
    for key, value in os.environ.items():
        if key == "LANG" or key.startswith("LC_") or (
                key.startswith(_ENV_PREFIXES) and key.endswith(_ENV_SUFFIXES)):
            env[key] = value
    env.setdefault("LANG", "C.UTF-8")
    for key in _THREAD_VARS:  # one program per core: threaded BLAS would hit RLIMIT_NPROC
        env.setdefault(key, "1")
    return env
