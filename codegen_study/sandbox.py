"""Run untrusted Python programs (model-generated code) fast and contained. Linux only.

Design: `Sandbox` (this module: public types and the pool) starts one warm worker per core, a
`python -s -P -c ...` process with a scrubbed environment running `sandbox_worker`. The worker
isolates itself once (`sandbox_namespace`), imports `preload` modules, prepares the interpreter
state every program starts from, and then forks a fresh child per job (`sandbox_child`), so a
job costs a fork (about 2 ms of CPU in all) instead of an interpreter start-up (15-30 ms). Each
worker has up to two jobs queued in its pipe, so it never waits for this process between jobs.

Covered (`Sandbox.protections` reports what is active on this machine):
- As root: the worker unshares network (only a downed loopback: every connect fails), mount,
  PID, IPC and UTS namespaces; as a normal user the same inside a user namespace when the
  kernel allows one. The worker is PID 1 of its PID namespace with its own /proc, so after
  every run it kills whatever the run left (daemons, double forks, setsid children, children
  ignoring SIGTERM) with one `kill(-1, SIGKILL)`; nothing outlives its run, and a program's
  `kill(-1, 9)` cannot reach anything outside that namespace.
- As root each worker runs jobs under its own unprivileged uid/gid (no groups), so a program
  cannot signal the worker nor write root's files; `no_new_privs` makes setuid binaries inert.
- The whole file tree is remounted read-only (in the worker's mount namespace only); /tmp,
  /var/tmp, /dev/shm and /run/lock are private tmpfs (256 MiB) wiped after every run. Each run
  works in a fresh temp dir (HOME and TMPDIR point there) that is removed afterwards. When the
  interpreter lives under a private home (pyenv in /root), that home is replaced by an empty
  tmpfs in which only the interpreter's directories are bind-mounted back.
- rlimits per run: CPU seconds, address space, file size, open files, processes, no core.
- Environment: PATH, LANG/LC_*, OMP/OPENBLAS/MKL thread settings (default 1) and
  PYTHONHASHSEED=0 only; nothing from the caller's secrets.
- stdout/stderr go through pipes read by the worker: stdout beyond `stdout_bytes` stops the
  run ("output_limit"); stderr beyond its cap is dropped. Memory use stays bounded.

Timeouts are judged by CPU seconds (user+sys of the whole process tree, polled from /proc and
backed by RLIMIT_CPU), so a run's verdict does not change when the machine is busy. Programs
that block or sleep are stopped by a wall-clock backstop, `Limits.wall_s` or by default
max(3 * timeout_s, timeout_s + 5) seconds.

Not covered: the file tree stays readable (a program can read the repository); no seccomp
filter, so kernel attack surface is the full syscall set; without root and without user
namespaces only rlimits, the temp dir, env scrubbing and subreaper-based cleanup apply (and a
program's `kill(-1)` would reach the caller's processes). Worker state is forked, not fresh:
`preload`ed modules are shared objects a program could mutate for itself (never for the next
run, which forks again from the clean worker). Children are forked with libc's fork(), so
Python-level at-fork hooks of preloaded modules do not run (the worker is single-threaded, so
they have nothing to repair; `random` is reseeded by hand as its hook would); a fresh
interpreter would differ only in such module-level state and in `sys.stdin` being a memfd.
"""

from __future__ import annotations

import fcntl
import functools
import os
import pickle
import select
import struct
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from codegen_study.sandbox_worker import recv_message, scrubbed_env



@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0  # CPU seconds of the run's process tree (see module docstring)
    memory_mb: int = 1024  # RLIMIT_AS (address space)
    file_size_mb: int = 16  # RLIMIT_FSIZE
    open_files: int = 64  # RLIMIT_NOFILE
    processes: int = 32  # RLIMIT_NPROC (threads count too)
    stdout_bytes: int = 1 << 20  # beyond it the run stops with status "output_limit"
    stderr_bytes: int = 64 << 10  # beyond it stderr is dropped
    wall_s: float | None = None  # wall-clock backstop; None: max(3 * timeout_s, timeout_s + 5)

    @property
    def wall_backstop_s(self) -> float:
        return self.wall_s if self.wall_s is not None else max(3 * self.timeout_s, self.timeout_s + 5)


@dataclass(frozen=True)
class Job:
    code: str  # complete Python 3 program, executed as __main__
    stdin: str = ""
    limits: Limits = Limits()


@dataclass(frozen=True)
class Outcome:
    status: str  # ok | error | timeout | memory | output_limit | killed
    exit_code: int | None
    signal: int | None
    stdout: str
    stderr: str
    seconds: float  # CPU seconds (user+sys) of the run's process tree
    wall_seconds: float
    stdout_truncated: bool


_F_SETPIPE_SZ, _F_GETPIPE_SZ = 1031, 1032


class SandboxError(RuntimeError):
    """The sandbox itself failed (a worker could not isolate or drop privileges)."""


# ----------------------------------------------------------------------------- parent side


class _Worker:
    def __init__(self, uid: int, preload: tuple[str, ...]):
        import subprocess

        pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        boot = ("import sys; sys.path.insert(0, sys.argv[1]); import codegen_study.sandbox_worker as s; "
                "del sys.path[0]; s.worker_main(int(sys.argv[2]), tuple(sys.argv[3:]))")
        self.proc = subprocess.Popen(
            [sys.executable, "-s", "-P", "-c", boot, pkg_root, str(uid), *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=scrubbed_env(), cwd="/",
            start_new_session=True)
        self.to_fd, self.from_fd = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        try:  # room for queued jobs with large stdin (1 MiB is the unprivileged maximum)
            self.pipe_bytes = fcntl.fcntl(self.to_fd, _F_SETPIPE_SZ, 1 << 20)
        except OSError:
            self.pipe_bytes = fcntl.fcntl(self.to_fd, _F_GETPIPE_SZ)
        self.protections: dict | None = None

    def handshake(self) -> dict:
        msg = recv_message(self.from_fd)
        if not msg or "fatal" in msg:
            raise SandboxError(f"sandbox worker failed to start: {msg and msg['fatal']}")
        self.protections = msg["protections"]
        return self.protections

    def kill(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=2)
        except Exception:
            self.proc.kill()
            self.proc.wait()


class Sandbox:
    """A pool of warm, isolated workers; use as a context manager or call close().

    Not thread-safe: one run/run_many at a time per Sandbox (close() may come from another
    thread; the interrupted run_many then raises SandboxError).
    """

    def __init__(self, workers: int | None = None, preload: tuple[str, ...] = ()):
        self._n = max(1, workers or os.cpu_count() or 1)
        self._preload = tuple(preload)
        # Distinct run uids per worker and per Sandbox, so RLIMIT_NPROC and kill(-1) stay per worker.
        self._uid_base = 0x10000000 + int.from_bytes(os.urandom(2), "little") * 256
        self._workers = [_Worker(self._uid_base + i, self._preload) for i in range(self._n)]
        try:
            self._protections = dict(self._workers[0].handshake())
            for w in self._workers[1:]:
                w.handshake()
        except BaseException:
            self.close()
            raise
        self._protections["run_uids"] = [self._uid_base + i for i in range(self._n)] if \
            self._protections["uid_drop"] else []

    @property
    def protections(self) -> dict[str, object]:
        return dict(self._protections)

    def run(self, job: Job) -> Outcome:
        return self.run_many([job])[0]

    def run_many(self, jobs: Iterable[Job], on_done: Callable[[int, Outcome], None] | None = None,
                 skip: Callable[[int], bool] | None = None) -> list[Outcome]:
        """Runs jobs in parallel over the workers; results come back in input order.

        `skip(index)` is asked just before a job would be sent: when it says True the job is not
        run and its outcome has status "skipped" (graders use it to stop a sample's remaining
        tests after a timeout, which would otherwise cost the full limit once per test).

        Each worker has up to `_DEPTH` jobs queued in its pipe, so it starts the next job the
        moment one ends instead of waiting for this process to read the result and answer.
        `on_done(index, outcome)` is called (on this thread) as each job finishes.
        """
        if not self._workers:
            raise SandboxError("sandbox is closed")
        jobs = list(jobs)
        results: list[Outcome | None] = [None] * len(jobs)
        todo = deque(range(len(jobs)))
        retried: set[int] = set()
        queues: list[deque[tuple[int, int]]] = [deque() for _ in range(self._n)]  # (job, message bytes)
        since = [0.0] * self._n  # when each worker's head job started (at the latest)
        left = len(jobs)
        skipped: list[int] = []
        while left:
            workers = self._live_workers()
            for w in range(self._n):
                self._feed(workers[w], queues[w], since, w, todo, jobs, skip, skipped)
            while skipped:
                j = skipped.pop(0)
                results[j] = Outcome("skipped", None, None, "", "", 0.0, 0.0, False)
                left -= 1
                if on_done is not None:
                    on_done(j, results[j])
            if not left:
                break
            active = [w for w in range(self._n) if queues[w]]
            try:
                ready, _, _ = select.select([workers[w].from_fd for w in active], [], [], 1.0)
            except (OSError, ValueError):
                self._live_workers()  # closed from another thread: raises SandboxError
                raise
            now = time.monotonic()
            for w in active:
                worker, (j, _) = workers[w], queues[w][0]
                if worker.from_fd in ready:
                    msg = recv_message(worker.from_fd)
                elif now < since[w] + jobs[j].limits.wall_backstop_s + 30:
                    continue
                else:
                    msg = None  # hung: treated like a dead worker
                queues[w].popleft()
                since[w] = now
                if isinstance(msg, dict) and "outcome" in msg:
                    results[j] = Outcome(**msg["outcome"])
                elif isinstance(msg, dict) and "fatal" in msg:
                    self.close()  # other workers may be mid-job: this pool cannot be trusted
                    raise SandboxError(msg["fatal"])
                else:  # worker died or hung: replace it, run its queued jobs elsewhere, retry once
                    self._live_workers()  # EOF because close() was called: stop here
                    todo.extendleft(k for k, _ in reversed(queues[w]))
                    queues[w].clear()
                    self._restart(w)
                    if j not in retried:
                        retried.add(j)
                        todo.appendleft(j)
                        continue
                    results[j] = Outcome("killed", None, None, "", "sandbox worker died", 0.0, 0.0, False)
                left -= 1
                if on_done is not None:
                    on_done(j, results[j])
        return results  # type: ignore[return-value]

    def _live_workers(self) -> list[_Worker]:
        workers = self._workers
        if len(workers) != self._n:
            raise SandboxError("sandbox was closed while running")
        return workers

    def _feed(self, worker: _Worker, queue: deque, since: list, w: int, todo: deque, jobs: list,
              skip: Callable[[int], bool] | None = None, skipped: list | None = None) -> None:
        """Sends jobs while the worker's queue is short and the pipe surely has room (no blocking)."""
        while todo and len(queue) < _DEPTH:
            j = todo[0]
            if skip is not None and skipped is not None and skip(j):
                todo.popleft()
                skipped.append(j)
                continue
            data = _frame(jobs[j])
            if queue and sum(size for _, size in queue) + len(data) > worker.pipe_bytes:
                return  # would block while the worker may be blocked writing us a result
            todo.popleft()
            if not queue:
                since[w] = time.monotonic()
            queue.append((j, len(data)))
            try:
                _write_all(worker.to_fd, data)
            except OSError:
                pass  # a dead worker is noticed (EOF) by the caller's loop

    def _restart(self, w_idx: int) -> None:
        self._workers[w_idx].kill()
        self._workers[w_idx] = _Worker(self._uid_base + w_idx, self._preload)
        self._workers[w_idx].handshake()

    def close(self) -> None:
        workers, self._workers = self._workers, []
        for w in workers:
            w.kill()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if getattr(self, "_workers", None):
                self.close()
        except Exception:
            pass


_DEPTH = 2  # jobs queued per worker


def _frame(job: Job) -> bytes:
    data = pickle.dumps((job.code, job.stdin, _limits_dict(job.limits), job.limits.wall_backstop_s),
                        protocol=pickle.HIGHEST_PROTOCOL)
    return struct.pack("<I", len(data)) + data


@functools.lru_cache(maxsize=64)
def _limits_dict(limits: Limits) -> dict:
    return asdict(limits)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def run_program(code: str, stdin: str = "", limits: Limits = Limits()) -> Outcome:
    """One-shot convenience (pays a worker start-up; use Sandbox for many runs)."""
    with Sandbox(workers=1) as box:
        return box.run(Job(code, stdin, limits))
