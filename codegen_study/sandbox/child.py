"""The per-job child of a sandbox worker (`codegen_study.sandbox`): from fork to `os._exit`.

A job's cost is dominated by what the child touches after the fork: every page it writes is
copied, every code path it runs is faulted in again, and all of it is torn down at exit. So the
worker prepares everything that does not depend on the job once, before any fork
(`prepare_interpreter`: the stdio objects, a blank `__main__`, argv, path, env, an empty atexit
list, a single-threaded process), computes the job's rlimits before forking (`rlimits`), and
forks with libc's `fork()` held under the GIL (`fork`), which skips CPython's Python-level
at-fork hooks (threading's re-initialisation alone costs more than a small program's run; in a
single-threaded worker there is nothing for them to repair; the one hook with a visible effect,
`random`'s reseed, is done by hand). The child (`run_child`) then only moves its fds into place,
sets rlimits, drops privileges and runs the program.

Covers: child-side setup (joining the worker's cgroups, fds 0-2 only (plus the call channel of
a checked job), cwd, a fresh IPC namespace where seccomp is missing, rlimits, uid/gid drop or
capability drop) and running the program as `python main.py` would (exit status, traceback
without harness frames, atexit, non-daemon threads joined, stdio flushed), then answering a
checked job's calls; and the checker child of a checked job (`run_checker`, see `calls`). Does
not cover: isolation done once per worker (`namespace`), supervision and verdicts
(`worker`).
"""

from __future__ import annotations

import atexit
import builtins
import ctypes
import fcntl
import io
import os
import resource
import signal
import sys
import types

from codegen_study.sandbox import calls

RLIMITS = ("CPU", "AS", "FSIZE", "NOFILE", "NPROC", "CORE")  # set on every run, in this order
_CLONE_NEWIPC = 0x08000000
_PR_SET_DUMPABLE = 4
#: a checker runs as its program's uid plus this (run uids are 0x10000000 + a few million)
CHECKER_UID_OFFSET = 0x01000000
_libc = ctypes.CDLL(None, use_errno=True)
_libc_gil = ctypes.PyDLL(None)  # calls keep the GIL: fork() happens with the interpreter quiescent
_libc_gil.fork.restype = ctypes.c_int
_libc_gil.fork.argtypes = ()


class Template:
    """What every child of one worker shares, prepared in the worker before any fork."""

    def __init__(self, uid: int | None, user_namespace: bool, own_uid_nproc: bool, run_dir: str):
        self.uid, self.user_namespace, self.own_uid_nproc = uid, user_namespace, own_uid_nproc
        self.run_dir = run_dir
        self.main_path = os.path.join(run_dir, "main.py")
        self.main: types.ModuleType | None = None
        self.libc_fork = False
        self.fresh_ipc = False  # a new IPC namespace per run (root or user namespace)
        self.cgroup_fds: list[int] = []  # the worker's memory and CPU cgroups (cgroup.procs), joined per run


def prepare_interpreter(tpl: Template, path: list[str]) -> None:
    """Once per worker: the interpreter state a fresh `python main.py` starts with.

    stdio objects are created over fds of the same kinds the child will get (a memfd for
    stdin, pipes for stdout/stderr), so buffering, seekability and isatty match; the child
    only dup2()s its own fds onto 0-2. Call after all imports: the worker imports nothing later.
    """
    saved_err = os.dup(2)
    stdin_probe = os.memfd_create("stdin", 0)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    for fd, target in ((stdin_probe, 0), (out_w, 1), (err_w, 2)):
        os.dup2(fd, target)
        os.close(fd)
    sys.stdin = sys.__stdin__ = io.open(0, "r", encoding="utf-8", newline="\n", closefd=False)
    sys.stdout = sys.__stdout__ = io.open(1, "w", encoding="utf-8", newline="\n", closefd=False)
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(
        io.open(2, "wb", closefd=False), encoding="utf-8", errors="backslashreplace", newline="\n",
        line_buffering=True)
    os.dup2(saved_err, 2)  # the worker's own crash reports still reach the caller's stderr
    os.close(saved_err)
    os.close(err_r)  # out_r stays open: a stray write by the worker must not raise EPIPE
    main = types.ModuleType("__main__")
    main.__file__, main.__builtins__, main.__cached__ = tpl.main_path, builtins, None
    tpl.main = main
    sys.argv = [tpl.main_path]
    sys.orig_argv = [sys.executable, tpl.main_path]  # not the worker's command line
    sys.path[:] = [tpl.run_dir, *path]
    sys.path_importer_cache.pop(tpl.run_dir, None)
    os.environ["HOME"] = os.environ["TMPDIR"] = tpl.run_dir
    if "tempfile" in sys.modules:
        sys.modules["tempfile"].tempdir = None
    atexit._clear()  # handlers of preloaded modules belong to the worker, not to programs
    # compile() builds the ~120 classes of the AST module on first use; done here once, not in
    # every child (it was most of a small program's CPU time).
    compile("pass", "<sandbox-warm-up>", "exec", dont_inherit=True)
    # libc fork is only sound while this is the only thread (no lock can be held by another).
    tpl.libc_fork = len(os.listdir("/proc/self/task")) == 1


def rlimits(lim: dict, own_uid_nproc: bool) -> list[tuple[int, tuple[int, int]]]:
    """The job's rlimits, computed in the worker so that the child only calls setrlimit."""
    cpu = int(lim["timeout_s"]) + 2  # kernel backstop; the worker stops the run at timeout_s
    nproc = lim["processes"] + (_count_own_processes() if own_uid_nproc else 0)
    values = {"CPU": cpu, "AS": lim["memory_mb"] << 20, "FSIZE": lim["file_size_mb"] << 20,
              "NOFILE": lim["open_files"], "NPROC": nproc, "CORE": 0}
    out = []
    for name in RLIMITS:
        value = values[name]
        kind = getattr(resource, "RLIMIT_" + name)
        hard = resource.getrlimit(kind)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        out.append((kind, (value, value + 1 if name == "CPU" else value)))
    return out


def fork(tpl: Template) -> int:
    if tpl.libc_fork:
        pid = _libc_gil.fork()
        if pid < 0:
            raise OSError(ctypes.get_errno(), "fork failed")
        return pid
    return os.fork()


def run_child(tpl: Template, program, limits: list, cpu_s: float, fds: tuple[int, ...], name: str = "__main__",
              call: tuple[str, ...] | None = None) -> None:
    """Becomes the program: never returns (os._exit). fds: stdin, stdout, stderr, setup report,
    and for a checked job (`call` given) the call channel's request and answer ends.

    `program` is the code object the worker compiled, the exception compiling raised, or the
    source itself (a large program, compiled here under the run's limits). The setup report
    (fd 3) is closed before the program starts: the program's channels are fds 0-2, and for a
    checked job fds 4 and 5, on which it answers the checker's calls once it has run
    (`calls.serve`): data in, data out, nothing that decides a verdict.

    An ITIMER_PROF of `cpu_s` stops a busy program the moment its own CPU time reaches the
    limit (SIGPROF's default action ends it), where the worker's polling alone, with its
    10 ms ticks and back-off, overshot by 15-25 ms. It is only a fast path: a program may
    catch SIGPROF or cancel the timer, and its children do not inherit it; the worker's
    polling (of the run's CPU cgroup, where there is one) and RLIMIT_CPU still stop those."""
    try:
        _enter(tpl, fds)
        for kind, pair in limits:
            resource.setrlimit(kind, pair)
        signal.setitimer(signal.ITIMER_PROF, cpu_s)
        _drop_privileges(tpl, tpl.uid)
        sys.modules["__main__"] = tpl.main
        if name != "__main__":
            tpl.main.__dict__["__name__"] = name
        if tpl.libc_fork and "random" in sys.modules:
            sys.modules["random"]._inst.seed()  # what random's at-fork hook does
    except BaseException as exc:
        try:
            os.write(3, b"S" + repr(exc).encode())
        finally:
            os._exit(125)
    os.close(3)
    os._exit(_execute(program, tpl.main, call))


def run_checker(tpl: Template, code, source: str, limits: list, fds: tuple[int, int, int], cap: int) -> None:
    """Becomes a job's checker (`calls.check`): never returns. fds: the call channel's request
    and answer ends, and the report pipe to the worker.

    Another uid than the program's (as root) and not dumpable, so the program can neither read
    its memory nor signal it; stdio is /dev/null; the run's rlimits and cgroups apply."""
    try:
        null = os.open("/dev/null", os.O_RDWR)
        _enter(tpl, (null, null, null, *fds), cwd="/")
        for kind, pair in limits:
            resource.setrlimit(kind, pair)
        _drop_privileges(tpl, None if tpl.uid is None else tpl.uid + CHECKER_UID_OFFSET)
        _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except BaseException as exc:
        try:
            os.write(5, b"S" + repr(exc).encode())
        finally:
            os._exit(125)
    calls.check(code, source, 3, 4, 5, cap)
    os._exit(0)


def _enter(tpl: Template, fds: tuple[int, ...], cwd: str | None = None) -> None:
    """Joins the worker's cgroups and puts `fds` at 0, 1, 2, ... (nothing else stays open)."""
    for fd in tpl.cgroup_fds:
        os.write(fd, b"0")
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 64 + len(fds)) for fd in fds]  # no target clobbers a source
    for target, fd in enumerate(high):
        os.dup2(fd, target)
    os.closerange(len(fds), 1 << 20)
    os.chdir(cwd or tpl.run_dir)
    if tpl.fresh_ipc and _libc.unshare(_CLONE_NEWIPC) != 0:  # nothing of the last run's IPC
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWIPC) failed")


def _drop_privileges(tpl: Template, uid: int | None) -> None:
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise OSError("privileges not dropped")
    elif tpl.user_namespace:
        _drop_capabilities()


def _count_own_processes() -> int:
    uid = os.getuid()
    return sum(1 for n in os.listdir("/proc") if n.isdigit() and _owner(n) == uid)


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _drop_capabilities() -> None:
    """Inside our user namespace we hold every capability; the program gets none."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    if _libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def _execute(program, main: types.ModuleType, call: tuple[str, ...] | None = None) -> int:
    """Runs the program as __main__ (then answers calls); returns the exit status Python would give."""
    status = 0
    try:
        if isinstance(program, BaseException):
            raise program  # it failed to compile
        if isinstance(program, str):  # too large to compile in the worker: compiled under the run's limits
            program = compile(program, main.__file__, "exec", dont_inherit=True)
        exec(program, main.__dict__)
        if call is not None:
            sys.stdout.flush()
            calls.serve(main.__dict__, call, 4, 5)
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except BaseException as exc:
        status = 1
        try:
            exc = exc.with_traceback(exc.__traceback__.tb_next if exc.__traceback__ else None)
            sys.excepthook(type(exc), exc, exc.__traceback__)  # without this harness's frame
        except BaseException:
            os.write(2, f"{type(exc).__name__}\n".encode())  # e.g. MemoryError: the verdict reads it
    try:
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()  # like interpreter exit: join non-daemon threads
        atexit._run_exitfuncs()
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except BaseException:
        try:
            import traceback  # an error path: not worth importing in every worker up front

            traceback.print_exc()
        except BaseException:
            pass  # e.g. no memory left to import it: the exit status still says it failed
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = 120  # what CPython returns when flushing stdio fails at exit
    return status


def _exit_status(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1
