"""Namespace and mount isolation of a sandbox worker (`codegen_study.sandbox`), done once per worker.

Covers: unsharing the network, mount, PID, IPC and UTS namespaces (inside a user namespace when
not root and the kernel allows one), private mount propagation, a private /proc, the read-only
remount of the whole tree, private tmpfs scratch dirs, and re-exposing the interpreter's own
directories when they live under a home other users may not enter (pyenv in /root). Every step
is best effort and reported in the returned protections dict, never silently assumed.

Does not cover: the per-job child (`sandbox_child`), supervision (`sandbox_worker`), pooling
(`sandbox`). Nothing here runs per job.
"""

from __future__ import annotations

import ctypes
import os
import sys

_TMPFS_OPTS = b"size=256m,nr_inodes=16384,mode=1777"
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
_CLONE = {"user_namespace": 0x10000000, "mount_namespace": 0x00020000, "net_namespace": 0x40000000,
          "pid_namespace": 0x20000000, "ipc_namespace": 0x08000000, "uts_namespace": 0x04000000}
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND, _MS_MOVE, _MS_REC, _MS_PRIVATE = 2, 4, 8, 4096, 8192, 0x4000, 1 << 18
_MNT_DETACH = 2
_SYS_MOUNT_SETATTR, _AT_FDCWD, _AT_RECURSIVE, _MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 1
libc = ctypes.CDLL(None, use_errno=True)


def _call(name: str, *args) -> bool:
    """A libc call that reports success instead of raising (protections are best effort)."""
    return getattr(libc, name)(*args) == 0


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: bytes | None) -> bool:
    enc = (lambda s: None if s is None else s.encode())
    return _call("mount", enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), data)


def _write_file(path: str, text: str) -> bool:
    try:
        with open(path, "w") as f:
            f.write(text)
        return True
    except OSError:
        return False


def isolate() -> dict:
    """Unshare what this kernel and our privileges allow; remount the tree read-only."""
    root = os.geteuid() == 0
    prot = {"uid_drop": root, "user_namespace": False, "net_namespace": False, "pid_namespace": False,
            "mount_namespace": False, "ipc_namespace": False, "uts_namespace": False}
    if not root:
        uid, gid = os.getuid(), os.getgid()
        if _call("unshare", _CLONE["user_namespace"]):
            prot["user_namespace"] = (_write_file("/proc/self/setgroups", "deny")
                                      and _write_file("/proc/self/uid_map", f"{uid} {uid} 1")
                                      and _write_file("/proc/self/gid_map", f"{gid} {gid} 1"))
        if not prot["user_namespace"]:
            return prot
    for name in ("net_namespace", "mount_namespace", "pid_namespace", "ipc_namespace", "uts_namespace"):
        prot[name] = _call("unshare", _CLONE[name])
    if prot["mount_namespace"]:
        # Private propagation first: without it, the mounts below would show up on the host.
        prot["mount_namespace"] = _mount(None, "/", None, _MS_REC | _MS_PRIVATE, None)
    return prot


def private_mounts(prot: dict) -> None:
    """Own /proc (pid namespace view), read-only tree, private writable tmpfs dirs."""
    prot["private_proc"] = prot["readonly_root"] = prot["private_tmp"] = False
    prot["exposed_python_dirs"] = []
    if not prot["mount_namespace"]:
        return
    if prot["pid_namespace"]:
        prot["private_proc"] = _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)
    # Python's own files may sit under a 0700 home (pyenv as root): re-expose just those dirs,
    # staged through a scratch tmpfs, before everything turns read-only.
    if _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, b"size=1m"):
        prot["exposed_python_dirs"] = _expose({sys.prefix, sys.base_prefix, *sys.path}, "/tmp")
        libc.umount2(b"/tmp", _MNT_DETACH)
    attr = (ctypes.c_uint64 * 4)(_MOUNT_ATTR_RDONLY, 0, 0, 0)
    prot["readonly_root"] = libc.syscall(_SYS_MOUNT_SETATTR, _AT_FDCWD, b"/", _AT_RECURSIVE,
                                          attr, ctypes.sizeof(attr)) == 0
    mounted = [d for d in PRIVATE_DIRS if os.path.isdir(d)
               and _mount("tmpfs", d, "tmpfs", _MS_NOSUID | _MS_NODEV, _TMPFS_OPTS)]
    prot["private_tmp"] = "/tmp" in mounted
    prot["private_dirs"] = mounted


def _blocked_ancestor(path: str) -> str | None:
    """The highest proper ancestor of `path` that other users may not enter, if any."""
    cur = ""
    for part in path.strip("/").split("/")[:-1]:
        cur += "/" + part
        try:
            if not os.stat(cur).st_mode & 0o001:
                return cur
        except OSError:
            return None
    return None


def _expose(paths: set[str], stage: str) -> list[str]:
    wanted = sorted({os.path.realpath(p) for p in paths if p and os.path.isdir(p)})
    wanted = [p for p in wanted if not any(p.startswith(q + "/") for q in wanted)]
    by_top: dict[str, list[str]] = {}
    for p in wanted:
        top = _blocked_ancestor(p)
        if top:
            by_top.setdefault(top, []).append(p)
    exposed = []
    for n, (top, inner) in enumerate(by_top.items()):
        staged = []
        for i, p in enumerate(inner):
            tmp = os.path.join(stage, f"{n}-{i}")
            os.mkdir(tmp)
            if _mount(p, tmp, None, _MS_BIND | _MS_REC, None):
                staged.append((p, tmp))
        if not _mount("tmpfs", top, "tmpfs", _MS_NOSUID | _MS_NODEV, b"size=1m,mode=755"):
            continue
        for p, tmp in staged:
            os.makedirs(p, mode=0o755, exist_ok=True)
            if _mount(tmp, p, None, _MS_MOVE, None):
                exposed.append(p)
    return exposed


def fresh_tmpfs(path: str) -> bool:
    """Replaces a private scratch dir by an empty tmpfs (when wiping it file by file failed)."""
    libc.umount2(path.encode(), _MNT_DETACH)
    return _mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV, _TMPFS_OPTS)
