"""Worker processes as the pool sees them: started by a shared launcher, reached through pipes.

`Launcher` starts one `python -s -P -c ...` process with a scrubbed environment that imports
`worker` once and forks one worker per spec (one interpreter start-up, not one per worker).
`WorkerHandle` is the pool's end of one worker: its two pipes, its setup and handshake, and
hanging up on it or killing it. What runs on the other side is `worker`; how jobs are spread
over the workers is `pool`.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys

from codegen_study.sandbox.jobs import SandboxError
from codegen_study.sandbox.wire import recv_message, scrubbed_env, send_message

_F_SETPIPE_SZ, _F_GETPIPE_SZ = 1031, 1032


class Launcher:
    """One interpreter start-up shared by several workers (`worker.launch`).

    The launcher process imports the worker code once and forks one worker per (uid, cpu)
    spec, each with its own pair of pipes to us, instead of paying a Python start-up and the
    imports per worker (about 30 ms of CPU each). Each forked worker then isolates itself
    exactly as a worker started on its own would. The launcher only waits for its workers.
    """

    def __init__(self, specs: list[tuple[int, int]]):
        import subprocess

        # the folder holding codegen_study/ (this file is codegen_study/sandbox/launcher.py)
        pkg_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        # process_time() first: the CPU a fresh interpreter's start-up took (see Limits.startup_included)
        boot = ("import time; t = time.process_time(); import sys; sys.path.insert(0, sys.argv[1]); "
                "import codegen_study.sandbox.worker as s; del sys.path[0]; "
                "s.launch(t, int(sys.argv[2]), sys.argv[3:])")
        ours, theirs, args = [], [], []
        for uid, cpu in specs:
            job_r, job_w = os.pipe()
            res_r, res_w = os.pipe()
            ours.append((job_w, res_r))
            theirs += [job_r, res_w]
            args.append(f"{uid}:{cpu}:{job_r}:{res_w}")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-s", "-P", "-c", boot, pkg_root, str(os.getpid()), *args], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, pass_fds=theirs, env=scrubbed_env(), cwd="/",
                start_new_session=True)
        except BaseException:
            for fd in theirs + [fd for pair in ours for fd in pair]:
                os.close(fd)
            raise
        for fd in theirs:
            os.close(fd)
        self.workers = [WorkerHandle(self.proc, to_fd, from_fd) for to_fd, from_fd in ours]

    def wait(self, timeout: float) -> None:
        """After every worker was hung up: waits for the launcher, then kills what is left."""
        try:
            self.proc.wait(timeout=timeout)
        except Exception:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # launcher and workers share its group
            except OSError:
                pass
            self.proc.wait()


class WorkerHandle:
    """The pool's end of one worker: jobs go down `to_fd`, messages come back on `from_fd`."""

    def __init__(self, proc, to_fd: int, from_fd: int):
        self.proc, self.to_fd, self.from_fd = proc, to_fd, from_fd
        try:  # room for queued jobs with large stdin (1 MiB is the unprivileged maximum)
            self.pipe_bytes = fcntl.fcntl(self.to_fd, _F_SETPIPE_SZ, 1 << 20)
        except OSError:
            self.pipe_bytes = fcntl.fcntl(self.to_fd, _F_GETPIPE_SZ)
        self.protections: dict | None = None
        self.pidfd: int | None = None
        self.open = True

    def setup(self, preload: list[str]) -> None:
        """The worker's first message: what to import before it prepares the child template."""
        try:
            send_message(self.to_fd, {"preload": list(preload)})
        except OSError:
            pass  # a worker that died at start-up is reported by handshake()

    def handshake(self) -> dict:
        """The worker's answer once it is set up: the protections in force (SandboxError if none)."""
        msg = recv_message(self.from_fd)
        if not msg or "fatal" in msg:
            raise SandboxError(f"sandbox worker failed to start: {msg and msg['fatal']}")
        self.protections = msg["protections"]
        try:  # a handle on this very process (no pid reuse race) for kill()
            self.pidfd = os.pidfd_open(msg["pid"])
        except (AttributeError, OSError):
            self.pidfd = None
        return self.protections

    def hang_up(self) -> None:
        """Closes our ends of the pipes (and our handle on it): the worker finishes its job in
        hand and exits."""
        if self.open:
            self.open = False
            for fd in (self.to_fd, self.from_fd, self.pidfd):
                try:
                    if fd is not None:
                        os.close(fd)
                except OSError:
                    pass
            self.pidfd = None

    def kill(self) -> None:
        """Stops this worker now (it died or hung); its launcher and siblings go on."""
        if self.pidfd is not None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)  # its runs die with it (PDEATHSIG)
            except OSError:
                pass
        self.hang_up()
