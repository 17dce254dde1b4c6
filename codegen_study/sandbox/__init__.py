"""Run untrusted Python programs (model-generated code) fast and contained. Linux only.

Public entry: `Sandbox` (a pool of warm workers), `Job`, `Limits`, `Outcome`, `prestart`.
Inside: `pool` (the caller's side), `launcher` (starting workers; the caller's handle on each),
`worker` (isolates once, forks one child per job), `supervise` (limits, cleanup and verdict of
one run), `child` (from fork to exit), `calls` (a checked job's call channel and checker),
`namespace` (namespaces, file view, seccomp), `cgroups` (memory limit and CPU account), `wire` (the messages
between caller and worker), `jobs` (the public types).

Covered (`Sandbox.protections` reports what is active on this machine):
- Channels: stdin, stdout and stderr only; a checked job's program also has its call channel.
- Verdicts of function-call tests are decided outside the graded process. `Job.check` (the
  test code) runs in a checker process of its own, forked from the clean worker, under another
  uid and not dumpable: the program cannot read its memory, trace it or signal it. The check's
  `candidate(...)` sends the arguments to the program as data; the program (after it ran)
  calls its function and sends the returned value back as plain data (JSON of tagged plain
  types; other objects become opaque values equal to nothing); nothing crossing is executed.
  Only the checker's report, on a pipe only the worker holds, sets `Outcome.check_result`. So
  no code in the graded process can produce a pass: patched builtins and walked frames are its
  own, its memory holds no secret (none exists), and exiting early, killing or closing the
  channel leaves the checker without an answer (an error). All it can choose is the values its
  function returns, which is what any solution does.
- Namespaces: network (a downed loopback), mount, PID, IPC and UTS -- as root, or inside a user
  namespace where the kernel allows one. The worker is PID 1 of its PID namespace and kills
  whatever a run left (daemons, double forks, setsid children) after every run; workers and
  their runs die with their caller.
- As root: one unprivileged uid/gid per worker and `no_new_privs`; one memory cgroup per worker
  limited to `memory_mb` (heap, tmpfs, memfds and shared memory count: verdict "memory").
- File view: a new read-only root with the system dirs, the interpreter's standard library and
  `namespace.ALLOWED_PACKAGES` (numpy, sortedcontainers) only: no project, benchmark files,
  homes or host /tmp. /tmp, /var/tmp, /dev/shm, /run/lock are private tmpfs wiped after every
  run; each run works in a fresh temp dir (HOME, TMPDIR).
- seccomp deny-list (x86_64, aarch64): no user namespaces, io_uring, keyrings, SysV IPC, POSIX
  message queues, bpf or userfaultfd; without it each run gets a fresh IPC namespace.
- rlimits per run (CPU, address space, file size, open files, processes, no core); programs over
  `Limits.code_chars` do not run; stdout over `stdout_bytes` stops the run, stderr is capped.
- Environment: PATH, LANG/LC_*, thread settings (default 1) and PYTHONHASHSEED=0 only.
- Timeouts count CPU seconds of every process a run started, read from a per-worker CPU cgroup
  (v1 cpuacct or v2 cpu.stat) as root: children reaped by the kernel (SIGCHLD ignored) count
  too. So a verdict does not change when the machine is busy; a wall-clock backstop
  (`Limits.wall_backstop_s`) stops programs that block or sleep, and leaves runs that were
  starved by load to the CPU limit.
- Lifetime: a launcher watches its caller through a pidfd and kills its workers the moment the
  caller dies (SIGKILL, SIGTERM, anything); with a worker dies its PID namespace and every run
  and checker in it, well within 2 s. `Sandbox.close()` (SIGINT's path) waits 2 s for jobs in
  hand, then kills.

Not covered: without root and without user namespaces only rlimits, the temp dir, env
scrubbing and subreaper cleanup apply (a program's `kill(-1)` would reach the caller's
processes, and its runs do not die with a killed caller); without root there is no memory or
CPU cgroup (tmpfs and memfd pages are bounded by sizes and rlimits only, and the CPU of
children the kernel reaped goes uncounted). Without root the checker shares the program's uid:
it stays unreadable (not dumpable) but the program can kill it, which fails the test. The
checker trusts the benchmark's test code (it runs it, sandboxed); the program's function can
still return whatever it computes, and side effects on arguments stay in its process (the
check sees copies), where the reference would see them. The seccomp filter is a deny-list;
the rest of the syscall set stays reachable. The standard library and system dirs stay readable.
`preload`ed modules are shared objects a program could mutate for itself (never for the next
run, which forks again from the clean worker).
"""

import importlib

# Exports load on first use: the worker process imports `codegen_study.sandbox.worker`, and
# should not pay for the pool's imports at its start-up (counted in `Limits.startup_included`).
_EXPORTS = {
    "Job": "jobs", "Limits": "jobs", "Outcome": "jobs", "SandboxError": "jobs",
    "Sandbox": "pool", "default_workers": "pool", "prestart": "pool", "run_program": "pool",
    "take_prestarted": "pool",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
