"""Watching one run of a sandbox worker: limits, output caps, cleanup and the verdict.

CPU is read from the worker's CPU cgroup, which every process of a run is born in (as root;
without one, from the /proc entries of the live process tree plus what was reaped, which
misses children the kernel reaped itself). It is checked only when the run could have used
the limit up: a tree of
processes can burn at most `ncpu` CPU seconds per wall second, so the next check is due after
(limit - used) / ncpu seconds (at least 5 ms). Short runs are never polled; the child's exit
wakes the worker at once through a pidfd. A busy single process does not wait for a poll: the
ITIMER_PROF set in the child ends it at the limit (SIGPROF), which the verdict reads as a timeout.
Everything the run left is killed and reaped before the verdict (`_kill_and_reap`).
"""

from __future__ import annotations

import json
import os
import select
import signal
import time

_MIN_CHECK_S = 0.005  # finest spacing of CPU-time checks near the limit
#: the wall-clock backstop only stops programs that sleep or block: at the backstop, a process
#: tree that was running or waiting for a CPU at least this share of the time is left to the
#: CPU limit, up to _HARD_WALL_FACTOR backstops (so load never turns a run into a timeout)
_BUSY_SHARE = 0.5
_HARD_WALL_FACTOR = 10
_CLK_TCK = os.sysconf("SC_CLK_TCK")


class SetupError(Exception):
    """The child could not set itself up (it reports why on its setup pipe)."""


def supervise(ctx, pid, start, lim, wall_s, out_r, err_r, setup_r, res_r=None, cpu_base=None) -> dict:
    """Waits for the run's program (`pid`), enforcing its limits; returns the outcome's fields.

    `res_r`: the checker's report pipe of a checked job. `cpu_base`: the CPU cgroup's usage
    before the run (None without one): the run's CPU is then what the cgroup gained, which
    counts every process of the run, reaped by us, by the kernel or still running."""
    out, err, res = _Sink(lim["stdout_bytes"]), _Sink(lim["stderr_bytes"]), _Sink(lim["stdout_bytes"] + (64 << 10))
    sinks = {out_r: out, err_r: err}
    if res_r is not None:
        sinks[res_r] = res

    def tree_cpu() -> float:
        return ctx.cpu.usage() - cpu_base if cpu_base is not None else _tree_cpu()

    poller = select.poll()
    for fd in sinks:
        poller.register(fd, select.POLLIN)
    try:
        pidfd = os.pidfd_open(pid)
        poller.register(pidfd, select.POLLIN)
    except (AttributeError, OSError):
        pidfd = None
    limit = lim["timeout_s"]
    reason, status, cpu = None, None, 0.0
    deadline = start + wall_s
    next_check = start + max(_MIN_CHECK_S, limit / ctx.ncpu)
    while status is None:
        wait_s = max(0.0, min(next_check, deadline) - time.monotonic()) if pidfd is not None else 0.005
        exited = pidfd is None
        for fd, _ in poller.poll(wait_s * 1000):
            if fd == pidfd:
                exited = True
            elif not sinks[fd].read(fd):
                poller.unregister(fd)
        if exited:
            done, st, ru = os.wait4(pid, os.WNOHANG)
            if done:
                status, cpu = st, ru.ru_utime + ru.ru_stime
                break
        now = time.monotonic()
        if out.overflow:
            reason = "output_limit"
        elif now >= deadline:
            if now < start + _HARD_WALL_FACTOR * wall_s and _tree_busy() >= _BUSY_SHARE * (now - start):
                deadline = now + wall_s / 4  # runnable, only starved by load: the CPU limit decides
            else:
                reason = "wall"
        elif now >= next_check:
            used = tree_cpu()
            if used > limit:
                reason = "timeout"
            next_check = now + max(_MIN_CHECK_S, (limit - used) / ctx.ncpu)
        if reason:
            os.kill(pid, signal.SIGKILL)
            _, status, ru = os.wait4(pid, 0)
            cpu = ru.ru_utime + ru.ru_stime
    wall = time.monotonic() - start
    if pidfd is not None:
        os.close(pidfd)
    cpu += _kill_and_reap(ctx)
    if cpu_base is not None:
        cpu = max(cpu, tree_cpu())
    for fd, sink in sinks.items():  # every writer is gone now: drain what is left
        os.set_blocking(fd, False)
        try:
            while sink.read(fd):
                pass
        except BlockingIOError:
            pass
    os.set_blocking(setup_r, False)
    try:  # only the child's setup writes here: the pipe is closed before the program starts
        report = os.read(setup_r, 4096)
    except BlockingIOError:
        report = b""
    if report.startswith(b"S"):
        raise SetupError(report[1:].decode(errors="replace"))
    check = _check_report(res.data()) if res_r is not None else (None, "")
    oom = False
    if ctx.cgroup is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        kills = ctx.cgroup.oom_kills()  # read only when something was killed
        oom, ctx.oom_kills = kills > ctx.oom_kills, kills
    return _verdict(reason, status, cpu, wall, lim, out, err, check, oom)


def _check_report(data: bytes) -> tuple[str | None, str]:
    """(result, detail) from the checker's report; (None, "") when it never reported."""
    if data.startswith(b"S"):
        raise SetupError("checker: " + data[1:].decode(errors="replace"))
    if not data:
        return None, ""
    try:
        msg = json.loads(data)
        result, detail = msg["result"], str(msg["detail"])
    except (ValueError, KeyError, TypeError):
        return "error", "unreadable checker report"
    return (result if result in ("passed", "failed", "error") else "error"), detail


def _verdict(reason, status, cpu, wall, lim, out, err, check=(None, ""), oom=False) -> dict:
    exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    stderr = err.text()
    tail = stderr[-300:]
    if reason == "output_limit" or out.overflow:
        verdict = "output_limit"
    elif reason in ("timeout", "wall") or cpu > lim["timeout_s"] or sig == signal.SIGXCPU or (
            sig == signal.SIGPROF and cpu >= 0.5 * lim["timeout_s"]):
        # SIGPROF: the child's CPU timer (set to the limit) fired. Its tick-based expiry and the
        # reaped rusage disagree by up to a few per cent (0.29 s reported for a 0.3 s timer), so
        # the CPU check is loose; it only keeps a program that sends itself SIGPROF early "killed".
        verdict = "timeout"
    elif oom or exit_code != 0 and (
            "MemoryError" in tail.strip().rsplit("\n", 1)[-1] or "Cannot allocate memory" in tail
            or "out of memory" in tail):
        verdict = "memory"
    elif sig is not None:
        verdict = "killed"
    else:
        verdict = "ok" if exit_code == 0 else "error"
    return {"status": verdict, "exit_code": exit_code, "signal": sig, "stdout": out.text(),
            "stderr": stderr, "seconds": round(cpu, 6), "wall_seconds": round(wall, 6),
            "stdout_truncated": out.overflow, "check_result": check[0], "check_detail": check[1]}


class _Sink:
    """Keeps the first `cap` bytes of a stream and only counts the rest (memory stays bounded)."""

    def __init__(self, cap: int):
        self.cap, self.parts, self.size, self.overflow = cap, [], 0, False

    def read(self, fd: int) -> bool:
        chunk = os.read(fd, 1 << 16)
        room = self.cap - self.size
        if len(chunk) > room:
            self.overflow = True
        if room > 0 and chunk:
            self.parts.append(chunk[:room])
            self.size += min(room, len(chunk))
        return bool(chunk)

    def text(self) -> str:
        return b"".join(self.parts).decode("utf-8", errors="replace")

    def data(self) -> bytes:
        return b"".join(self.parts)


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (ppid, CPU seconds incl. waited-for children) for every visible process."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
            table[int(name)] = (int(fields[1]), ticks / _CLK_TCK)
    return table


def _descendants(table: dict[int, tuple[int, float]]) -> list[int]:
    me, children = os.getpid(), {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [me]
    while stack:
        for kid in children.get(stack.pop(), ()):
            found.append(kid)
            stack.append(kid)
    return found


def _tree_cpu() -> float:
    table = _proc_table()
    return sum(table[p][1] for p in _descendants(table))


def _tree_busy() -> float:
    """Seconds the run's processes spent on a CPU or runnable in its queue (schedstat), or, where
    the kernel keeps no schedstat, on a CPU only."""
    table = _proc_table()
    busy = 0.0
    for pid in _descendants(table):
        try:
            for task in os.listdir(f"/proc/{pid}/task"):  # every thread (only read at a backstop)
                with open(f"/proc/{pid}/task/{task}/schedstat", "rb") as f:
                    on_cpu, waiting = f.read().split()[:2]
                busy += (int(on_cpu) + int(waiting)) / 1e9
        except (OSError, ValueError):
            busy += table[pid][1]
    return busy


def _kill_and_reap(ctx) -> float:
    """SIGKILLs everything the run left and reaps it; returns the CPU seconds reaped."""
    cpu = 0.0
    for _ in range(10_000):
        if ctx.prot["pid_namespace"]:
            alive = True
            try:
                os.kill(-1, signal.SIGKILL)  # PID 1 of the namespace: hits everyone but us
            except ProcessLookupError:
                alive = False
        else:
            victims = _descendants(_proc_table())
            for p in victims:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            alive = bool(victims)
        try:
            pid, _, ru = os.wait4(-1, 0 if alive else os.WNOHANG)
        except ChildProcessError:
            if not alive:
                break
            continue
        if pid:
            cpu += ru.ru_utime + ru.ru_stime
        elif not alive:
            break
    return cpu
