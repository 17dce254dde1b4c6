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

Covers: child-side setup (joining the worker's memory cgroup, fds 0-2 only, cwd, a fresh IPC
namespace where seccomp is missing, rlimits, uid/gid drop or capability drop) and running the
program as `python main.py` would (exit status, traceback without harness frames, atexit,
non-daemon threads joined, stdio flushed), then a job's check and its completion secret. Does
not cover: isolation done once per worker (`namespace`), supervision and verdicts
(`worker`).
"""

from __future__ import annotations

import atexit
import builtins
import ctypes
import io
import os
import resource
import signal
import sys
import types

RLIMITS = ("CPU", "AS", "FSIZE", "NOFILE", "NPROC", "CORE")  # set on every run, in this order
_CLONE_NEWIPC = 0x08000000
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
        self.cgroup_fd: int | None = None  # the worker's memory cgroup (cgroup.procs), joined per run


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


def run_child(tpl: Template, program, limits: list, cpu_s: float, fds: tuple[int, int, int, int],
              check=None, token: bytes = b"", name: str = "__main__") -> None:
    """Becomes the program: never returns (os._exit). fds: stdin, stdout, stderr, setup report.

    `program` is the code object the worker compiled, the exception compiling raised, or the
    source itself (a large program, compiled here under the run's limits); `check`, when given, runs after it in the
    same namespace, and only when it completes does `token` (a per-run secret of the worker)
    follow the program's output on stdout. The setup report (fd 3) is closed before the
    program starts: the program's only channels are fds 0-2.

    An ITIMER_PROF of `cpu_s` stops a busy program the moment its own CPU time reaches the
    limit (SIGPROF's default action ends it), where the worker's /proc polling alone, with its
    10 ms ticks and back-off, overshot by 15-25 ms. It is only a fast path: a program may
    catch SIGPROF or cancel the timer, and its children do not inherit it; the worker's
    polling and RLIMIT_CPU still stop those."""
    try:
        if tpl.cgroup_fd is not None:
            os.write(tpl.cgroup_fd, b"0")  # join the memory cgroup (before the dup2s can reuse its fd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(4, 1 << 20)
        os.chdir(tpl.run_dir)
        if tpl.fresh_ipc and _libc.unshare(_CLONE_NEWIPC) != 0:  # nothing of the last run's IPC
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWIPC) failed")
        for kind, pair in limits:
            resource.setrlimit(kind, pair)
        signal.setitimer(signal.ITIMER_PROF, cpu_s)
        if tpl.uid is not None:
            uid = tpl.uid
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            if os.getuid() != uid or os.geteuid() != uid:
                raise OSError("privileges not dropped")
        elif tpl.user_namespace:
            _drop_capabilities()
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
    os._exit(_execute(program, tpl.main, check, token))


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


def _execute(program, main: types.ModuleType, check=None, token: bytes = b"") -> int:
    """Runs the program as __main__ (then `check`); returns the exit status Python would give."""
    status = 0
    try:
        if isinstance(program, BaseException):
            raise program  # it failed to compile
        if isinstance(program, str):  # too large to compile in the worker: compiled under the run's limits
            program = compile(program, main.__file__, "exec", dont_inherit=True)
        exec(program, main.__dict__)
        if check is not None:
            if isinstance(check, BaseException):
                raise check
            exec(check, main.__dict__)
            sys.stdout.flush()
            os.write(1, token)  # the check ran to its end; an early exit never gets here
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
