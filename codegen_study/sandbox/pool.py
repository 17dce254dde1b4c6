"""The pool of warm sandbox workers (`Sandbox`) and its one-shot helpers.

`Sandbox` starts two warm workers per CPU (`default_workers`). One launcher, a
`python -s -P -c ...` process with a scrubbed environment, imports `worker` once and forks them
(`launcher`: one interpreter start-up, not one per worker). A worker isolates itself once
(`namespace`), then waits for its setup (the `preload` modules, which a caller may choose while
the workers boot: `add_preload`), imports them, prepares the interpreter state every program
starts from, and then forks a fresh child per job (`child`). The worker compiles each program
once before forking (a sample's tests share it), so a job costs a fork and the run (about 1 ms
of CPU in all) instead of an interpreter start-up (15-30 ms). With no more workers than CPUs
each is pinned to its own CPU (cheaper copy-on-write after fork). Each worker has up to two
jobs queued in its pipe, so it never waits for this process between jobs.
"""

from __future__ import annotations

import os
import select
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from codegen_study.sandbox.jobs import Job, Limits, Outcome, SandboxError, job_frame
from codegen_study.sandbox.launcher import Launcher, WorkerHandle
from codegen_study.sandbox.wire import recv_message, write_all


class Sandbox:
    """A pool of warm, isolated workers; use as a context manager or call close().

    Not thread-safe: one run/run_many at a time per Sandbox (close() may come from another
    thread; the interrupted run_many then raises SandboxError).
    """

    def __init__(self, workers: int | None = None, preload: Iterable[str] = (), *, more_preload: bool = False):
        """Starts the workers (in the background: the first run waits for them).

        `preload`: modules every worker imports once, so that no run pays for importing them.
        With `more_preload=True` the workers wait for `add_preload` (or the first run) before
        importing, so a caller can start them first and choose modules while they boot.
        """
        self._n = max(1, workers or default_workers())
        self._preload = list(dict.fromkeys(preload))
        self._setup_sent = False
        # Distinct run uids per worker and per Sandbox, so RLIMIT_NPROC and kill(-1) stay per worker.
        self._uid_base = 0x10000000 + int.from_bytes(os.urandom(2), "little") * 256
        # One worker per CPU is pinned to it: fork's copy-on-write bookkeeping then never has to
        # flush TLBs on other CPUs (IPIs, costly in VMs). Verdicts do not depend on it (CPU time).
        cpus = sorted(os.sched_getaffinity(0))
        self._cpus = cpus[:self._n] if self._n <= len(cpus) else [-1] * self._n
        launch = Launcher([(self._uid_base + i, self._cpus[i]) for i in range(self._n)])
        self._launches = [launch]
        self._workers = launch.workers
        self._protections: dict[str, object] | None = None  # set once every worker has answered
        if not more_preload:
            self._send_setup()

    @property
    def accepts_preload(self) -> bool:
        """True until the workers are set up (see `add_preload`)."""
        return not self._setup_sent

    def add_preload(self, modules: Iterable[str]) -> None:
        """Adds modules to import in the workers; only before the first run (then they start)."""
        if self._setup_sent:
            raise SandboxError("add_preload() must come before the first run")
        self._preload.extend(m for m in modules if m not in self._preload)
        self._send_setup()

    def _send_setup(self) -> None:
        self._setup_sent = True
        for w in self._live_workers():
            w.setup(self._preload)

    def _ready(self) -> None:
        """Waits for the workers' handshakes (they start in the background from __init__ on)."""
        if self._protections is not None:
            return
        try:
            if not self._setup_sent:
                self._send_setup()
            workers = self._live_workers()
            protections = dict(workers[0].handshake())
            for w in workers[1:]:
                w.handshake()
        except BaseException:
            self.close()
            raise
        protections["run_uids"] = [self._uid_base + i for i in range(self._n)] if protections["uid_drop"] else []
        self._protections = protections

    @property
    def protections(self) -> dict[str, object]:
        self._ready()
        return dict(self._protections)  # type: ignore[arg-type]

    def run(self, job: Job) -> Outcome:
        return self.run_many([job])[0]

    def run_many(self, jobs: Iterable[Job], on_done: Callable[[int, Outcome], None] | None = None,
                 skip: Callable[[int], bool] | None = None) -> list[Outcome]:
        """Runs jobs in parallel over the workers; results come back in input order.

        `on_done(index, outcome)` is called (on this thread) as each job finishes; `skip` is as
        in `iter_many`.
        """
        jobs = list(jobs)
        results: list[Outcome | None] = [None] * len(jobs)
        for j, outcome in self.iter_many(jobs, skip):
            results[j] = outcome
            if on_done is not None:
                on_done(j, outcome)
        return results  # type: ignore[return-value]

    def iter_many(self, jobs: Iterable[Job], skip: Callable[[int], bool] | None = None
                  ) -> Iterator[tuple[int, Outcome]]:
        """Runs jobs in parallel over the workers, yielding (index, outcome) as each finishes.

        `skip(index)` is asked just before a job would be sent: when it says True the job is not
        run and its outcome has status "skipped" (graders use it to stop a sample's remaining
        tests after a timeout, which would otherwise cost the full limit once per test).

        Each worker has up to `_DEPTH` jobs queued in its pipe, so it starts the next job the
        moment one ends instead of waiting for this process to read the result and answer (also
        while the consumer of this generator is busy). A consumer that stops early leaves no
        job behind: workers that still had jobs queued are replaced.
        """
        if not self._workers:
            raise SandboxError("sandbox is closed")
        self._ready()
        jobs = list(jobs)
        todo = deque(range(len(jobs)))
        retried: set[int] = set()
        queues: list[deque[tuple[int, int]]] = [deque() for _ in range(self._n)]  # (job, message bytes)
        since = [0.0] * self._n  # when each worker's head job started (at the latest)
        left = len(jobs)
        skipped: list[tuple[int, Outcome]] = []
        try:
            while left:
                workers = self._live_workers()
                for w in range(self._n):
                    self._feed(workers[w], queues[w], since, w, todo, jobs, skip, skipped)
                while skipped:
                    j, outcome = skipped.pop(0)
                    left -= 1
                    yield j, outcome
                if not left:
                    break
                active = [w for w in range(self._n) if queues[w]]
                if not active:
                    continue  # everything left was skipped while we yielded: feed again
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
                    elif now < since[w] + jobs[j].limits.wall_hard_s + 30:
                        continue
                    else:
                        msg = None  # hung: treated like a dead worker
                    queues[w].popleft()
                    since[w] = now
                    if isinstance(msg, dict) and "outcome" in msg:
                        outcome = Outcome(**msg["outcome"])
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
                        outcome = Outcome("killed", None, None, "", "sandbox worker died", 0.0, 0.0, False)
                    left -= 1
                    yield j, outcome
        finally:
            if left and len(self._workers) == self._n:  # abandoned: replies still in flight
                for w in range(self._n):
                    if queues[w]:
                        self._restart(w)

    def _live_workers(self) -> list[WorkerHandle]:
        workers = self._workers
        if len(workers) != self._n:
            raise SandboxError("sandbox was closed while running")
        return workers

    def _feed(self, worker: WorkerHandle, queue: deque, since: list, w: int, todo: deque, jobs: list,
              skip: Callable[[int], bool] | None = None, skipped: list | None = None) -> None:
        """Sends jobs while the worker's queue is short and the pipe surely has room (no blocking)."""
        while todo and len(queue) < _DEPTH:
            j = todo[0]
            if skip is not None and skipped is not None and skip(j):
                todo.popleft()
                skipped.append((j, _SKIPPED))
                continue
            chars = len(jobs[j].code) + len(jobs[j].check or "")
            if chars > jobs[j].limits.code_chars and skipped is not None:  # never compiled nor sent
                todo.popleft()
                skipped.append((j, Outcome("code_limit", None, None, "", f"program too large: {chars} characters "
                                           f"(limit {jobs[j].limits.code_chars})", 0.0, 0.0, False)))
                continue
            data = job_frame(jobs[j])
            if queue and sum(size for _, size in queue) + len(data) > worker.pipe_bytes:
                return  # would block while the worker may be blocked writing us a result
            todo.popleft()
            if not queue:
                since[w] = time.monotonic()
            queue.append((j, len(data)))
            try:
                write_all(worker.to_fd, data)
            except OSError:
                pass  # a dead worker is noticed (EOF) by the caller's loop

    def _restart(self, w_idx: int) -> None:
        self._workers[w_idx].kill()
        launch = Launcher([(self._uid_base + w_idx, self._cpus[w_idx])])
        self._launches.append(launch)
        self._workers[w_idx] = launch.workers[0]
        self._workers[w_idx].setup(self._preload)
        self._workers[w_idx].handshake()

    def close(self) -> None:
        workers, self._workers = self._workers, []
        launches, self._launches = getattr(self, "_launches", []), []
        for w in workers:  # all at once: they wind down in parallel
            w.hang_up()
        deadline = time.monotonic() + 2.0
        for launch in launches:
            launch.wait(max(0.0, deadline - time.monotonic()))

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
_SKIPPED = Outcome("skipped", None, None, "", "", 0.0, 0.0, False)


_PRESTARTED: list[Sandbox] = []


def prestart(workers: int | None = None) -> None:
    """Starts a pool now, to be claimed later by `take_prestarted` (else closed at exit).

    For commands timed as a whole (`score`): the workers boot while the caller imports the
    rest of the package and reads its inputs. The pool waits for `add_preload`."""
    import atexit

    if not _PRESTARTED:
        atexit.register(_close_prestarted)
    _close_prestarted()
    _PRESTARTED.append(Sandbox(workers=workers, more_preload=True))


def take_prestarted(workers: int | None = None) -> Sandbox | None:
    """The pool `prestart` began, if it has the number of workers asked for."""
    if not _PRESTARTED:
        return None
    box = _PRESTARTED.pop()
    if box._n == max(1, workers or default_workers()) and box._workers and not box._setup_sent:
        return box
    box.close()
    return None


def _close_prestarted() -> None:
    while _PRESTARTED:
        _PRESTARTED.pop().close()


def default_workers() -> int:
    """Two workers per usable CPU.

    Timeouts are judged by CPU time, so sharing a core never changes a verdict; it keeps the
    cores busy while runs block or burn a whole time limit. With one worker per core, two
    timeouts in a row stall every other run (measured on 2 cores: 0.98 s with 2 workers, 0.91 s
    with 4, 1.02 s with 6 on `benchmarks/scoring_speed.py`)."""
    return 2 * max(1, len(os.sched_getaffinity(0)))


def run_program(code: str, stdin: str = "", limits: Limits = Limits()) -> Outcome:
    """One-shot convenience (pays a worker start-up; use Sandbox for many runs)."""
    with Sandbox(workers=1) as box:
        return box.run(Job(code, stdin, limits))
