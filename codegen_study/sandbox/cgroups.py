"""The cgroups of a sandbox worker (`codegen_study.sandbox`): its memory limit and its CPU account.

Why cgroups: RLIMIT_AS does not count tmpfs files, memfds or shared memory, and rusage does not
count the CPU of children that exited and were reaped by the kernel (a program that ignores
SIGCHLD); a cgroup counts both for every process a run starts. cgroup v1 or v2, whichever this
process may create cgroups under; without either (not root, or no delegated controller) the
worker runs without them and its protections say so. Created by the worker before its file view
hides /sys; each run's child joins them through descriptors opened here.
"""

from __future__ import annotations

import os


class MemoryCgroup:
    """A memory cgroup the runs of one worker join: its limit counts every page a run holds --
    heap, tmpfs files, memfds, shared memory -- which RLIMIT_AS alone does not.

    cgroup v1 (a `memory` hierarchy) or v2 (when the memory controller is delegated to our
    cgroup's children). Created before the file view hides /sys; the child joins it through an
    inherited fd (`join`), and the launcher removes it when the worker is gone (`remove_stale`).
    """

    PREFIX = "codegen-sandbox-"

    def __init__(self, path: str, version: int):
        self.path, self.version, self.limit_mb = path, version, None
        self.procs_fd = os.open(os.path.join(path, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
        events = "memory.oom_control" if version == 1 else "memory.events"
        self.events_fd = os.open(os.path.join(path, events), os.O_RDONLY | os.O_CLOEXEC)
        names = ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes") if version == 1 else \
            ("memory.max", "memory.swap.max")
        self.limit_fds = [os.open(os.path.join(path, n), os.O_WRONLY | os.O_CLOEXEC)
                          for n in names if os.path.exists(os.path.join(path, n))]

    @classmethod
    def create(cls, name: str) -> MemoryCgroup | None:
        return _first_cgroup(_cgroup_parents(), name, cls)

    def set_limit(self, memory_mb: int) -> None:
        if memory_mb == self.limit_mb:
            return
        value = str(memory_mb << 20).encode()
        # v1: memory, then memory+swap (never below the former); v2: memory.max, then no swap
        pairs = list(zip(self.limit_fds, [value, value if self.version == 1 else b"0"]))
        if self.limit_mb is not None and memory_mb > self.limit_mb:
            pairs.reverse()
        self.limit_mb = None  # unknown until both writes succeed
        for order in (pairs, pairs[::-1]):  # v1 refuses memory+swap below memory at every step
            try:
                for fd, v in order:
                    os.write(fd, v)
                self.limit_mb = memory_mb
                return
            except OSError:
                continue  # e.g. v1 refuses a limit below what is still charged: retried next run

    def oom_kills(self) -> int:
        for line in os.pread(self.events_fd, 4096, 0).decode().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    @classmethod
    def remove_stale(cls) -> None:
        """Removes the cgroups of workers that are gone (named by their pid; rmdir refuses one in use)."""
        for parent, _ in _cgroup_parents() + _cpu_parents():
            try:
                names = [n for n in os.listdir(parent) if n.startswith(cls.PREFIX)]
            except OSError:
                continue
            for n in names:
                try:
                    os.kill(int(n[len(cls.PREFIX):]), 0)
                    continue  # still running
                except ProcessLookupError:
                    pass
                except (ValueError, OSError):
                    continue
                try:
                    os.rmdir(os.path.join(parent, n))
                except OSError:
                    pass


class CpuCgroup:
    """The CPU account of one worker's runs: every process a run starts is born in it, so its
    usage counts the CPU of them all -- also of children that exited and were reaped by the
    kernel (a program that ignores SIGCHLD), whose time never reaches any parent's rusage or
    /proc. cgroup v1 `cpuacct` or v2 `cpu.stat` (present in every v2 cgroup); the worker's
    v2 memory cgroup serves when there is one. Runs join it like the memory cgroup."""

    def __init__(self, path: str, version: int, procs_fd: int | None = None):
        self.path, self.version = path, version
        self.procs_fd = procs_fd if procs_fd is not None else \
            os.open(os.path.join(path, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
        self.shared = procs_fd is not None  # joined through the memory cgroup already
        name = "cpuacct.usage" if version == 1 else "cpu.stat"
        self.usage_fd = os.open(os.path.join(path, name), os.O_RDONLY | os.O_CLOEXEC)

    @classmethod
    def create(cls, name: str, memory: MemoryCgroup | None) -> CpuCgroup | None:
        if memory is not None and memory.version == 2:
            try:
                return cls(memory.path, 2, memory.procs_fd)
            except OSError:
                pass
        return _first_cgroup(_cpu_parents(), name, cls)

    def usage(self) -> float:
        """CPU seconds used by every process that was ever in this cgroup."""
        data = os.pread(self.usage_fd, 4096, 0)
        if self.version == 1:
            return int(data) / 1e9
        for line in data.split(b"\n"):
            if line.startswith(b"usage_usec "):
                return int(line.split()[1]) / 1e6
        raise OSError("cpu.stat has no usage_usec")


def _cpu_parents() -> list[tuple[str, int]]:
    """Where this process may create a CPU-accounting cgroup: (folder, cgroup version)."""
    own = _own_cgroups()
    found = []
    for controllers, path in own:
        if "cpuacct" in controllers.split(","):
            for mount in ("/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct,cpu"):
                if os.path.exists(os.path.join(mount, "cpuacct.usage")):
                    found.append((mount + path.rstrip("/"), 1))
                    break
    for controllers, path in own:
        if controllers == "":
            for mount in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
                base = mount + path.rstrip("/")
                if os.path.exists(os.path.join(mount, "cgroup.controllers")) and os.path.isdir(base):
                    found.append((base, 2))
                    break
    return found


def _own_cgroups() -> list[tuple[str, str]]:
    """(controllers, path) of each hierarchy this process is in (/proc/self/cgroup); [] unreadable."""
    try:
        with open("/proc/self/cgroup") as f:
            return [tuple(line.split(":", 2)[1:]) for line in f.read().splitlines() if line.count(":") >= 2]
    except OSError:
        return []


def _first_cgroup(parents: list[tuple[str, int]], name: str, build):
    """`build(path, version)` of a new cgroup `name` under the first of `parents` that takes one;
    None when none does (a half-made folder is removed)."""
    for parent, version in parents:
        path = os.path.join(parent, MemoryCgroup.PREFIX + name)
        try:
            os.mkdir(path, 0o755)
            return build(path, version)
        except OSError:
            try:
                os.rmdir(path)
            except OSError:
                pass
    return None


def _cgroup_parents() -> list[tuple[str, int]]:
    """Where this process may create memory cgroups: (folder, cgroup version)."""
    found = []
    for controllers, path in _own_cgroups():
        if "memory" in controllers.split(","):
            for mount in ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory,cpu"):
                if os.path.exists(os.path.join(mount, "memory.limit_in_bytes")):
                    found.append((mount + path.rstrip("/"), 1))
                    break
        elif controllers == "":
            for mount in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
                base = mount + path.rstrip("/")
                try:
                    with open(os.path.join(base, "cgroup.subtree_control")) as f:
                        if "memory" in f.read().split():
                            found.append((base, 2))
                except OSError:
                    pass
    return found
