"""The public types of a sandbox run (`Limits`, `Job`, `Outcome`) and a job's wire form."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

from codegen_study.sandbox.wire import frame


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0  # CPU seconds of the run's process tree (see the package docstring)
    memory_mb: int = 1024  # RLIMIT_AS (address space)
    file_size_mb: int = 16  # RLIMIT_FSIZE
    open_files: int = 64  # RLIMIT_NOFILE
    processes: int = 32  # RLIMIT_NPROC (threads count too)
    stdout_bytes: int = 1 << 20  # beyond it the run stops with status "output_limit"
    stderr_bytes: int = 64 << 10  # beyond it stderr is dropped
    wall_s: float | None = None  # wall-clock backstop; None: max(3 * timeout_s, timeout_s + 5)
    code_chars: int = 1 << 20  # longer programs (with their check) do not run: status "code_limit"
    #: timeout_s includes a fresh interpreter's start-up, as when a harness times `python main.py`
    #: (the seed harness): the program gets timeout_s minus the CPU the worker's own start-up took
    startup_included: bool = False

    @property
    def wall_backstop_s(self) -> float:
        return self.wall_s if self.wall_s is not None else max(3 * self.timeout_s, self.timeout_s + 5)

    @property
    def wall_hard_s(self) -> float:
        """The longest a run can last: a busy run is let past the backstop (see `worker`)."""
        return 10 * self.wall_backstop_s


@dataclass(frozen=True)
class Job:
    code: str  # complete Python 3 program, executed as `name` (by default __main__)
    stdin: str = ""
    limits: Limits = Limits()
    #: trusted test code, run in a checker process of its own (see `calls`), never in the
    #: program's: it calls `candidate(...)`, which calls `call` in the program once the program
    #: has run and returns the answer as plain data; `Outcome.check_result` is its report
    check: str | None = None
    name: str = "__main__"  # the program's `__name__`
    #: what `candidate` calls: ("fn",) the program's global `fn`; ("Cls", "fn") `Cls().fn`
    call: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    status: str  # ok | error | timeout | memory | output_limit | killed | code_limit | skipped
    exit_code: int | None
    signal: int | None
    stdout: str
    stderr: str
    seconds: float  # CPU seconds (user+sys) of the run's process tree
    wall_seconds: float
    stdout_truncated: bool
    #: a checked job's report from its checker process: "passed" (the check returned), "failed"
    #: (an AssertionError), "error" (anything else), None (it never reported: the run ended first)
    check_result: str | None = None
    check_detail: str = ""  # the failure and the test line it happened on, or what the check reported

    @property
    def checked(self) -> bool:
        """The check ran to its end (decided in the checker; nothing the program does can say so)."""
        return self.check_result == "passed"


class SandboxError(RuntimeError):
    """The sandbox itself failed (a worker could not isolate or drop privileges)."""


def job_frame(job: Job) -> bytes:
    """The message a worker receives for `job` (see `worker._serve` for its fields)."""
    return frame((job.code, job.stdin, _limits_dict(job.limits), job.limits.wall_backstop_s, job.check, job.name,
                  tuple(job.call)))


@functools.lru_cache(maxsize=64)
def _limits_dict(limits: Limits) -> dict:
    return asdict(limits)
