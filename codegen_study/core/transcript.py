"""A command's output kept in a log file as well as shown: its own lines and its subprocesses'.

Why: a long job (the study's GPU part) is judged afterwards from its log -- the commands, what
they printed, the cost table -- so the log is written while it runs, by the job itself, rather than
left to a shell redirection someone may forget. Each subprocess's stdout and stderr are read
through a pipe, echoed to this process's stdout and appended to the file line by line; a progress
bar's carriage-return updates are kept only as their last state, so the file stays readable.

Does not cover: output a subprocess writes to a terminal it opens itself, or output of processes
that are not started through `run` / `start`.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path


def last_state(line: str) -> str:
    """What a terminal would show of `line`: the text after its last carriage return."""
    parts = [p for p in line.rstrip("\n").split("\r") if p.strip()]
    return parts[-1] if parts else ""


class Transcript:
    """Appends to `path` (created with its folder); every line is also echoed to stdout."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        """Lines of this process's own (already shown by the caller)."""
        with self._lock, open(self.path, "a") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")

    def command(self, argv: list[str]) -> None:
        self.write(f"$ {' '.join(argv)}  # {time.strftime('%Y-%m-%d %H:%M:%S')}")

    def start(self, argv: list[str]) -> subprocess.Popen:
        """Start `argv` with its output pumped into the transcript; `wait()` on the result waits for
        the pump too."""
        self.command(argv)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        pump = threading.Thread(target=self._pump, args=(proc,), daemon=True)
        pump.start()
        wait = proc.wait

        def wait_all(timeout: float | None = None) -> int:
            code = wait(timeout)
            pump.join()
            return code

        proc.wait = wait_all  # type: ignore[method-assign]
        return proc

    def run(self, argv: list[str]) -> int:
        return self.start(argv).wait()

    def _pump(self, proc: subprocess.Popen) -> None:
        out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
        for raw in iter(proc.stdout.readline, b""):
            if out is not None:
                out.write(raw)
                out.flush()
            else:
                print(raw.decode(errors="replace"), end="", flush=True)
            text = last_state(raw.decode(errors="replace"))
            if text:
                self.write(text)
        proc.stdout.close()
