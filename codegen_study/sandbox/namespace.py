"""Namespace and mount isolation of a sandbox worker (`codegen_study.sandbox`), done once per worker.

Covers: unsharing the network, mount, PID, IPC and UTS namespaces (inside a user namespace when
not root and the kernel allows one), private mount propagation, the file view (a new root
holding the system dirs and the interpreter with its standard library, nothing else: no
project, no benchmark files, no homes, no host /tmp), a private /proc, private tmpfs scratch
dirs, and the seccomp filter every program runs under (`deny_syscalls`). Every step is best
effort and reported in the returned protections dict, never silently assumed.

Does not cover: the per-job child (`child`), supervision (`worker`), pooling (`pool`). Nothing
here runs per job.
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
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(os.uname().machine, -1)
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "localtime", "passwd", "group", "nsswitch.conf", "mime.types")
_DEV_NODES = ("null", "zero", "full", "random", "urandom")
#: third-party packages solutions may import, as under the harnesses being imitated (code only:
#: every other installed package, and so every installed data set, stays hidden)
ALLOWED_PACKAGES = ("numpy", "sortedcontainers")
#: where ALLOWED_PACKAGES appear inside the view (on sys.path): outside every private scratch dir,
#: so a checkout under /tmp, which the view replaces by an empty tmpfs, still provides them
ALLOWED_SITE = "/opt/codegen-study-site"
_SYS_MOUNT_SETATTR, _AT_FDCWD, _AT_RECURSIVE, _MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 1
libc = ctypes.CDLL(None, use_errno=True)


def _call(name: str, *args) -> bool:
    """A libc call that reports success instead of raising (protections are best effort)."""
    return getattr(libc, name)(*args) == 0


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: bytes | None) -> bool:
    def enc(s: str | None) -> bytes | None:
        return None if s is None else s.encode()
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
    """The file view programs get: a fresh root holding only what running Python needs.

    A tmpfs becomes the root (pivot_root): the system dirs (/usr, /bin, /lib*), the
    interpreter's own prefix (its standard library; every site-packages/dist-packages dir is
    covered by an empty tmpfs; ALLOWED_PACKAGES reappear under ALLOWED_SITE, first on
    sys.path), a few files of /etc,
    the harmless /dev nodes, a private /proc and private tmpfs scratch dirs. Everything else --
    the project checkout, benchmark files, home dirs, the host's /tmp -- is simply not there.
    When the new root cannot be built the host tree is remounted read-only instead (and
    `file_view` says so).
    """
    prot["private_proc"] = prot["readonly_root"] = prot["private_tmp"] = prot["file_view"] = False
    prot["private_dirs"] = []
    if not prot["mount_namespace"]:
        return
    prot["file_view"] = _new_root()
    attr = (ctypes.c_uint64 * 4)(_MOUNT_ATTR_RDONLY, 0, 0, 0)
    prot["readonly_root"] = libc.syscall(_SYS_MOUNT_SETATTR, _AT_FDCWD, b"/", _AT_RECURSIVE,
                                          attr, ctypes.sizeof(attr)) == 0
    if prot["pid_namespace"]:
        prot["private_proc"] = _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)
    mounted = [d for d in PRIVATE_DIRS if os.path.isdir(d)
               and _mount("tmpfs", d, "tmpfs", _MS_NOSUID | _MS_NODEV, _TMPFS_OPTS)]
    prot["private_tmp"] = "/tmp" in mounted
    prot["private_dirs"] = mounted


def _new_root() -> bool:
    """Builds the view on a tmpfs at /tmp and pivots into it; False (nothing changed) on failure."""
    new = "/tmp"
    # opened before the tmpfs hides /tmp: a package dir under /tmp stays reachable through its fd
    allowed = [(os.path.basename(src), os.open(src, os.O_PATH | os.O_DIRECTORY)) for src in _allowed_packages()]
    if not _mount("tmpfs", new, "tmpfs", _MS_NOSUID | _MS_NODEV, b"size=1m,mode=755"):
        for _, fd in allowed:
            os.close(fd)
        return False
    try:
        for top in _SYSTEM_DIRS:
            if os.path.islink(top):
                os.symlink(os.readlink(top), new + top)
            elif os.path.isdir(top):
                _bind(top, new + top)
        prefix = os.path.realpath(sys.base_prefix)
        if not os.path.exists(new + prefix):  # not under /usr (pyenv in /root, conda in /opt)
            _bind(prefix, new + prefix)
        for d in _site_dirs():
            if os.path.isdir(new + d) and not _mount("tmpfs", new + d, "tmpfs", _MS_NOSUID | _MS_NODEV, b"size=4k"):
                raise OSError(f"cannot hide {d}")
        for name, fd in allowed:
            _bind(f"/proc/self/fd/{fd}", f"{new}{ALLOWED_SITE}/{name}")
        os.makedirs(new + "/etc", 0o755)
        for name in _ETC_FILES:
            if os.path.isfile("/etc/" + name):
                _bind("/etc/" + name, f"{new}/etc/{name}", is_dir=False)
        os.makedirs(new + "/dev", 0o755)
        for name in _DEV_NODES:
            if os.path.exists("/dev/" + name):
                _bind("/dev/" + name, f"{new}/dev/{name}", is_dir=False)
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
            os.symlink(target, f"{new}/dev/{name}")
        for d in ("/proc", *PRIVATE_DIRS):
            os.makedirs(new + d, 0o755, exist_ok=True)
        os.chmod(new + "/tmp", 0o1777)
        if not _proc_placeholder(new):
            raise OSError("cannot provide /proc")
        os.chdir(new)
        if libc.syscall(_SYS_PIVOT_ROOT, b".", b".") != 0:  # the old root ends up stacked on top
            raise OSError(ctypes.get_errno(), "pivot_root failed")
        if libc.umount2(b".", _MNT_DETACH) != 0:  # ... and is detached: gone from this namespace
            raise OSError(ctypes.get_errno(), "cannot detach the old root")
        os.chdir("/")
        if allowed:
            sys.path.insert(0, ALLOWED_SITE)
        return True
    except OSError:
        os.chdir("/")
        libc.umount2(new.encode(), _MNT_DETACH)
        return False
    finally:
        for _, fd in allowed:
            os.close(fd)


def _proc_placeholder(new: str) -> bool:
    """A /proc placeholder in the view: the host's, until a private one is mounted over it."""
    return _mount("/proc", new + "/proc", None, _MS_BIND | _MS_REC, None)


def _bind(src: str, dst: str, is_dir: bool = True) -> None:
    if is_dir:
        os.makedirs(dst, 0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dst), 0o755, exist_ok=True)
        os.close(os.open(dst, os.O_WRONLY | os.O_CREAT, 0o644))
    if not _mount(src, dst, None, _MS_BIND | _MS_REC, None):
        raise OSError(ctypes.get_errno(), f"cannot bind {src}")


def _allowed_packages() -> list[str]:
    """The dirs of ALLOWED_PACKAGES (and their bundled libraries) in this interpreter's path."""
    found = []
    for site in dict.fromkeys(os.path.realpath(p) for p in sys.path if p.endswith(("site-packages", "dist-packages"))):
        for name in ALLOWED_PACKAGES:
            for entry in (name, name + ".libs"):
                if os.path.isdir(os.path.join(site, entry)):
                    found.append(os.path.join(site, entry))
    return found


def _site_dirs() -> set[str]:
    """Third-party package dirs under the exposed trees: hidden (installed data sets live there)."""
    found = set()
    for top in ("/usr", os.path.realpath(sys.base_prefix)):
        for lib in ("lib", "lib64", "local/lib", "local/lib64"):
            base = os.path.join(top, lib)
            try:
                names = os.listdir(base)
            except OSError:
                continue
            for name in names:
                if name.startswith("python"):
                    for leaf in ("site-packages", "dist-packages"):
                        found.add(os.path.realpath(os.path.join(base, name, leaf)))
    found.update(os.path.realpath(p) for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return {d for d in found if d.startswith(("/usr/", os.path.realpath(sys.base_prefix) + "/"))}


def fresh_tmpfs(path: str) -> bool:
    """Replaces a private scratch dir by an empty tmpfs (when wiping it file by file failed)."""
    libc.umount2(path.encode(), _MNT_DETACH)
    return _mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV, _TMPFS_OPTS)


# ----------------------------------------------------------------------------- seccomp

#: per architecture: (audit arch, syscalls -> EPERM, syscalls -> ENOSYS, clone-like calls whose
#: first argument is checked for CLONE_NEWUSER)
_SECCOMP_ARCH = {
    "x86_64": (0xC000003E,
               # add_key request_key keyctl shmget semget msgget mq_open setns io_uring_* bpf userfaultfd
               (248, 249, 250, 29, 64, 68, 240, 308, 425, 426, 427, 321, 323),
               (435,),  # clone3: its flags are out of the filter's reach; libc falls back to clone
               (56, 272)),  # clone, unshare
    "aarch64": (0xC00000B7,
                (217, 218, 219, 194, 190, 186, 180, 268, 425, 426, 427, 280, 282),
                (435,),
                (220, 97)),
}
_CLONE_NEWUSER = 0x10000000
_RET_ALLOW, _RET_KILL, _RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_EPERM, _ENOSYS = 1, 38
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _seccomp_program(arch: str) -> list[tuple[int, int, int, int]]:
    """BPF: other ABIs killed; user namespaces, io_uring, keyrings, SysV IPC and mqueues refused."""
    audit, eperm, enosys, clones = _SECCOMP_ARCH[arch]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    body: list = [(ld, 0, 0, 4), (jeq, 1, 0, audit), (ret, 0, 0, _RET_KILL), (ld, 0, 0, 0)]
    if arch == "x86_64":
        body.append((jge, "eperm", 0, 0x40000000))  # the x32 ABI
    body += [(jeq, "enosys", 0, nr) for nr in enosys]
    body += [(jeq, "eperm", 0, nr) for nr in eperm]
    body += [(jeq, "flags", 0, nr) for nr in clones]
    body.append((ret, 0, 0, _RET_ALLOW))
    labels = {"flags": len(body)}
    body += [(ld, 0, 0, 16), (jset, "eperm", 0, _CLONE_NEWUSER), (ret, 0, 0, _RET_ALLOW)]
    labels["eperm"] = len(body)
    body.append((ret, 0, 0, _RET_ERRNO | _EPERM))
    labels["enosys"] = len(body)
    body.append((ret, 0, 0, _RET_ERRNO | _ENOSYS))
    return [(code, labels[jt] - i - 1 if isinstance(jt, str) else jt, jf, k)
            for i, (code, jt, jf, k) in enumerate(body)]


def deny_syscalls() -> bool:
    """Installs the seccomp filter on this process (and so on every child); needs no_new_privs."""
    arch = os.uname().machine
    if arch not in _SECCOMP_ARCH:
        return False
    program = _seccomp_program(arch)
    filters = (_SockFilter * len(program))(*[_SockFilter(*ins) for ins in program])
    fprog = _SockFprog(len(program), filters)
    return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0
