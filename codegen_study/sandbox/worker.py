"""The worker half of `codegen_study.sandbox`: isolate once, then fork one child per job.

Runs in a separate `python -s -P` process started by `pool.Sandbox`; talks to it over a pair
of pipes with the messages of `wire` (the untrusted program never sees these pipes; several
jobs may be queued in the pipe, they run one after another). Covers the worker's life
(isolation via `namespace`, preloading, preparing the child template of `child`), and per job:
the run dir, compiling, forking, supervision (`supervise`: CPU/wall limits, output caps,
killing and reaping everything the run left, the verdict) and wiping its files. Does not cover
pooling or the public types (`pool`).
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
import time
import warnings

from codegen_study.sandbox.cgroups import CpuCgroup, MemoryCgroup
from codegen_study.sandbox.child import RLIMITS, Template, fork, prepare_interpreter, rlimits, run_checker, run_child
from codegen_study.sandbox.namespace import deny_syscalls, fresh_tmpfs, isolate, private_mounts
from codegen_study.sandbox.supervise import supervise
from codegen_study.sandbox.wire import recv_message, send_message, write_all

_COMPILE_HERE_CHARS = 64 << 10  # larger programs could make compiling cost the worker gigabytes
_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS = 1, 36, 38
_libc = ctypes.CDLL(None, use_errno=True)


# ----------------------------------------------------------------------------- worker loop


class _Context:
    def __init__(self, tpl: Template, prot: dict, base: str, ncpu: int, startup_s: float,
                 cgroup: MemoryCgroup | None = None, cpu: CpuCgroup | None = None):
        self.tpl, self.prot, self.base, self.ncpu, self.startup_s = tpl, prot, base, ncpu, startup_s
        self.cgroup, self.cpu = cgroup, cpu
        self.oom_kills = cgroup.oom_kills() if cgroup else 0
        self.programs: dict[tuple, object] = {}  # (source, filename) -> code object or compile error
        self.rlimits: dict[tuple, list] = {}
        # size of each private tmpfs dir while empty: tmpfs counts entries in a dir's size, so
        # an unchanged size means nothing to wipe (one stat instead of a directory scan)
        self.empty_size = {d: os.stat(d).st_size for d in prot.get("private_dirs", ())} \
            if prot.get("private_tmp") else {}


def launch(startup_s: float, caller: int, specs: list[str]) -> None:
    """Entry point of a launcher process (`launcher.Launcher`): forks one worker per spec.

    A spec is "uid:cpu:in_fd:out_fd". Each worker keeps only its own two fds (a sibling's
    result pipe held open would hide that sibling's death from the caller), dies with the
    launcher, and runs `worker_main`. The launcher closes every pipe and waits for all of them,
    and for its caller: when the caller dies (SIGKILL, SIGTERM, anything) it kills its workers
    at once -- a worker would otherwise notice only when its job in hand ends -- and with each
    worker its PID namespace and every run in it. Then it exits; a caller that is alive kills
    its process group if that takes too long."""
    parsed = [tuple(int(x) for x in spec.split(":")) for spec in specs]
    me = os.getpid()
    try:
        caller_fd = os.pidfd_open(caller)
    except (AttributeError, OSError):
        caller_fd = None
    orphaned = os.getppid() != caller  # the caller died before we could watch it
    workers: dict[int, int | None] = {}  # pid -> pidfd
    for uid, cpu, in_fd, out_fd in parsed:
        pid = os.fork()
        if pid == 0:
            try:
                _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                if os.getppid() != me:  # the launcher is already gone
                    os._exit(1)
                if caller_fd is not None:
                    os.close(caller_fd)
                for _, _, a, b in parsed:
                    if a != in_fd:
                        os.close(a)
                    if b != out_fd:
                        os.close(b)
                worker_main(uid, cpu, startup_s, in_fd, out_fd)
            finally:
                os._exit(1)
        try:
            workers[pid] = os.pidfd_open(pid)
        except (AttributeError, OSError):
            workers[pid] = None
    for _, _, a, b in parsed:
        os.close(a)
        os.close(b)
    _watch(workers, caller_fd, orphaned)
    MemoryCgroup.remove_stale()
    os._exit(0)


def _watch(workers: dict[int, int | None], caller_fd: int | None, orphaned: bool) -> None:
    """Reaps the workers as they exit; kills them all the moment the caller is gone."""
    import select

    def kill_all() -> None:
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)  # not reaped yet: the pid is still this child's
            except OSError:
                pass

    if orphaned:
        kill_all()
    if caller_fd is None or None in workers.values():  # no pidfds here: wait, blind to the caller
        while True:
            try:
                os.wait()
            except ChildProcessError:
                return
    while workers:
        fds = [fd for fd in workers.values() if fd is not None] + ([caller_fd] if caller_fd is not None else [])
        ready = select.select(fds, [], [])[0]
        if caller_fd is not None and caller_fd in ready:
            kill_all()
            os.close(caller_fd)
            caller_fd = None
        for pid, fd in list(workers.items()):
            if fd in ready:
                os.waitpid(pid, 0)
                os.close(fd)
                del workers[pid]


def worker_main(run_uid: int, cpu: int, startup_s: float, proto_in: int, proto_out: int) -> None:
    """A worker's life; cpu >= 0: pin to it. Never returns normally (os._exit).

    proto_in: a setup message ({"preload": [module, ...]}), then jobs; proto_out: the
    protections once set up, then one outcome per job. Isolation comes first, so the worker's
    start-up overlaps whatever its caller does before it sends the setup."""
    outer_pid = os.getpid()  # as the caller sees it (before our own PID namespace)
    ncpu = max(1, len(os.sched_getaffinity(0)))  # before pinning: a program may widen its own
    if cpu >= 0:
        try:
            os.sched_setaffinity(0, {cpu})
        except OSError:
            pass  # e.g. the CPU went offline: unpinned is only slower
    cgroup = MemoryCgroup.create(str(outer_pid)) if os.geteuid() == 0 else None  # before /sys is hidden
    cpu_cgroup = CpuCgroup.create(str(outer_pid), cgroup) if os.geteuid() == 0 else None
    try:
        prot = isolate()
    except Exception as exc:  # pragma: no cover - only on exotic kernels
        send_message(proto_out, {"fatal": f"isolation failed: {exc!r}"})
        return
    if prot["pid_namespace"]:
        # The first child is PID 1 of the new namespace; this process only waits for it.
        pid = os.fork()
        if pid:
            os.close(proto_in)
            os.close(proto_out)
            _, status = os.waitpid(pid, 0)
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:
        _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of a run come back to us
    private_mounts(prot)
    # Inherited by every child; the worker itself never execs anything.
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        send_message(proto_out, {"fatal": "no_new_privs failed"})
        return
    prot["seccomp"] = deny_syscalls()
    prot.update(rlimits=list(RLIMITS), no_new_privs=True, env_scrubbed=True,
                cleanup="pid_namespace" if prot["pid_namespace"] else "subreaper",
                memory_cgroup=f"v{cgroup.version}" if cgroup else None,
                cpu_cgroup=f"v{cpu_cgroup.version}" if cpu_cgroup else None)
    base = "/tmp" if prot["private_tmp"] else _make_base_dir()
    tpl = Template(run_uid if prot["uid_drop"] else None, prot["user_namespace"],
                   not prot["uid_drop"] and not prot["user_namespace"], os.path.join(base, "job"))
    # SysV IPC and mqueues are refused by the seccomp filter; without it, a fresh IPC namespace
    # per run (about 1 ms each) keeps them from one run to the next
    tpl.fresh_ipc = prot["ipc_namespace"] and not prot["seccomp"]
    prot["fresh_ipc_per_run"] = tpl.fresh_ipc
    tpl.cgroup_fds = ([cgroup.procs_fd] if cgroup else []) + (
        [cpu_cgroup.procs_fd] if cpu_cgroup and not cpu_cgroup.shared else [])
    path = list(sys.path)
    os.environ["HOME"] = os.environ["TMPDIR"] = tpl.run_dir
    setup = recv_message(proto_in)
    if setup is None:
        return
    for name in setup["preload"]:
        try:
            __import__(name)
        except Exception:
            pass  # a missing optional module is the program's problem, not the worker's
    prepare_interpreter(tpl, path)
    prot["fork"] = "libc" if tpl.libc_fork else "os"
    gc.collect()
    gc.freeze()  # forked children then do not touch (copy) the worker's objects
    ctx = _Context(tpl, prot, base, ncpu, startup_s, cgroup, cpu_cgroup)
    prot["interpreter_startup_s"] = round(startup_s, 4)
    send_message(proto_out, {"protections": prot, "pid": outer_pid})
    while True:
        job = recv_message(proto_in)
        if job is None:
            break
        try:
            reply = {"outcome": _serve(ctx, *job)}
        except Exception as exc:  # never run another job on a worker in an unknown state
            send_message(proto_out, {"fatal": f"sandbox could not run a job: {exc!r}"})
            raise
        send_message(proto_out, reply)
    if not prot["private_tmp"]:
        import shutil  # only without a private /tmp; not imported at start-up

        shutil.rmtree(base, ignore_errors=True)
    os._exit(0)  # nothing to flush or finalize: the caller waits for this exit


def _make_base_dir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="codegen-sandbox-")


def _serve(ctx: _Context, code: str, stdin: str, lim: dict, wall_s: float, check: str | None = None,
           name: str = "__main__", call: tuple | None = None) -> dict:
    """Runs one job to completion; afterwards no process and no file of it remain.

    A checked job (`check` given) runs two children: the program, which answers calls once it
    has run, and its checker (`calls`), whose report is the only source of `check_result`."""
    tpl = ctx.tpl
    if lim.get("startup_included"):  # the program's share of a limit that counts start-up too
        lim = dict(lim, timeout_s=max(0.001, lim["timeout_s"] - ctx.startup_s), startup_included=False)
    os.mkdir(tpl.run_dir, 0o700)
    if tpl.uid is not None:
        os.chown(tpl.run_dir, tpl.uid, tpl.uid)
    fd = os.open(tpl.main_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        write_all(fd, code.encode("utf-8", "surrogatepass"))
    finally:
        os.close(fd)
    stdin_fd = os.memfd_create("stdin", 0)
    write_all(stdin_fd, stdin.encode("utf-8", "surrogatepass"))
    os.lseek(stdin_fd, 0, os.SEEK_SET)
    limits = _rlimits(ctx, lim)
    if ctx.cgroup is not None:
        ctx.cgroup.set_limit(lim["memory_mb"])
    (out_r, out_w), (err_r, err_w), (setup_r, setup_w) = os.pipe(), os.pipe(), os.pipe()
    child_fds = [stdin_fd, out_w, err_w, setup_w]
    checker_fds: list[int] = []
    res_r = None
    if check is not None:
        (req_r, req_w), (rep_r, rep_w), (res_r, res_w) = os.pipe(), os.pipe(), os.pipe()
        child_fds += [req_r, rep_w]
        checker_fds = [req_w, rep_r, res_w]
    cpu_base = ctx.cpu.usage() if ctx.cpu is not None else None
    start = time.monotonic()
    program = _compiled(ctx, code, tpl.main_path)
    pid = fork(tpl)
    if pid == 0:
        run_child(tpl, program, limits, lim["timeout_s"], tuple(child_fds), name,
                  tuple(call or ()) if check is not None else None)
    checker = None
    if check is not None:
        compiled = _compiled(ctx, check, "<check>")
        checker = fork(tpl)
        if checker == 0:
            run_checker(tpl, compiled, check, limits, tuple(checker_fds), lim["stdout_bytes"])
    for fd in child_fds + checker_fds:
        os.close(fd)
    try:
        result = supervise(ctx, pid, start, lim, wall_s, out_r, err_r, setup_r, res_r, cpu_base)
    finally:
        for fd in (out_r, err_r, setup_r, res_r):
            if fd is not None:
                os.close(fd)
        _wipe(ctx)
    return result


def _rlimits(ctx: _Context, lim: dict) -> list:
    """rlimits(), computed once per distinct set of limits (it reads six current limits)."""
    if ctx.tpl.own_uid_nproc:  # depends on how many processes the uid has right now
        return rlimits(lim, True)
    key = (lim["timeout_s"], lim["memory_mb"], lim["file_size_mb"], lim["open_files"], lim["processes"])
    hit = ctx.rlimits.get(key)
    if hit is None:
        hit = ctx.rlimits[key] = rlimits(lim, False)
    return hit


def _compiled(ctx: _Context, code: str, filename: str):
    """The program's code object (or the exception compiling it raised), compiled here once.

    A sample's tests are consecutive jobs with the same code: compiling before the fork costs
    this process once per program instead of every child once per test (compiling was a third
    of a small program's run). Compilation has no side effects, so the child sees exactly what
    compiling it itself would give -- except compile-time warnings (an invalid escape's
    SyntaxWarning), which would print on this worker's stderr: a program that warns is handed
    to the child as text, so the warning lands on the program's own stderr as with `python main.py`.
    """
    if len(code) > _COMPILE_HERE_CHARS:
        return code  # compiled by the child, under the run's memory and CPU limits
    hit = ctx.programs.get((code, filename))
    if hit is None:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                hit = compile(code, filename, "exec", dont_inherit=True)  # no __future__ of ours
            if caught:
                hit = code
        except BaseException as exc:  # SyntaxError, ValueError (NUL), RecursionError, MemoryError
            exc.__traceback__ = None  # the child reports it as `python main.py` would
            hit = exc
        if len(ctx.programs) >= 8:
            ctx.programs.clear()
        ctx.programs[(code, filename)] = hit
    return hit


def _wipe(ctx: _Context) -> None:
    """Removes every file the run wrote (the run dir and the private scratch dirs)."""
    if ctx.prot["private_tmp"]:
        try:
            _empty_dir(ctx.tpl.run_dir)
            os.rmdir(ctx.tpl.run_dir)
        except OSError:
            pass  # the full wipe below deals with it
        for d in ctx.prot["private_dirs"]:
            try:
                if os.stat(d).st_size == ctx.empty_size[d]:
                    continue
                _empty_dir(d)
            except OSError:
                if not fresh_tmpfs(d):
                    raise
    else:
        def unlock(func, path, _exc):
            os.chmod(os.path.dirname(path), 0o700)
            func(path)

        import shutil

        shutil.rmtree(ctx.tpl.run_dir, onerror=unlock)


def _empty_dir(top: str) -> None:
    """Deletes what is inside `top`, iteratively (a deep tree cannot hit the recursion limit)."""
    stack = [(top, False)]
    while stack:
        path, emptied = stack.pop()
        if emptied:
            os.rmdir(path)
            continue
        if path != top:
            stack.append((path, True))
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, False))
                else:
                    os.unlink(entry.path)
