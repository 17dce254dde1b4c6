"""The sandbox: plain semantics first, then one hostile program per protection.

Root-only assertions (uid drop, namespaces) skip cleanly when the suite runs as a normal user
and the matching protection is not active.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from codegen_study.sandbox import Job, Limits, Outcome, Sandbox, run_program

FAST = Limits(timeout_s=2.0, memory_mb=512, wall_s=10.0)


@pytest.fixture(scope="module")
def box():
    with Sandbox(workers=2, preload=("math", "collections")) as sb:
        yield sb


def run(box: Sandbox, code: str, stdin: str = "", limits: Limits = FAST) -> Outcome:
    return box.run(Job(textwrap.dedent(code), stdin, limits))


def pids_with_token(token: str) -> list[int]:
    """Host processes whose command line contains `token` (the run's leftovers, if any)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if token.encode() in f.read():
                        found.append(int(name))
            except OSError:
                pass
    return found


def require(box: Sandbox, *names: str) -> None:
    missing = [n for n in names if not box.protections.get(n)]
    if missing:
        pytest.skip(f"protection not active here: {missing}")


def assert_pool_works(box: Sandbox) -> None:
    outs = box.run_many([Job(f"print({i} * 2)") for i in range(4)])
    assert [o.stdout for o in outs] == [f"{i * 2}\n" for i in range(4)]


# ----------------------------------------------------------------------------- semantics


def test_stdin_round_trip_in_every_reading_style(box):
    assert run(box, "print(input()[::-1])", "hello\nrest").stdout == "olleh\n"
    assert run(box, "print(open(0).read(), end='')", "a\nb").stdout == "a\nb"
    assert run(box, "import sys; print(sys.stdin.buffer.read())", "xy\n").stdout == "b'xy\\n'\n"
    assert run(box, "import sys; print(len(sys.stdin.readlines()))", "1\n2\n3").stdout == "3\n"
    out = run(box, "import sys; sys.stdout.write('no newline')")
    assert (out.status, out.stdout) == ("ok", "no newline")


def test_input_at_eof_is_an_error(box):
    out = run(box, "input()")
    assert out.status == "error" and out.exit_code == 1 and "EOFError" in out.stderr


def test_exit_codes(box):
    assert run(box, "import sys; sys.exit()").status == "ok"
    out = run(box, "import sys; print('partial'); sys.exit(3)")
    assert (out.status, out.exit_code, out.stdout) == ("error", 3, "partial\n")
    out = run(box, "raise SystemExit('bad input')")
    assert (out.status, out.exit_code) == ("error", 1) and "bad input" in out.stderr


def test_exception_gives_traceback_of_the_program_only(box):
    out = run(box, "x = 1\nprint('before')\n1 / x - 1 / 0\n")
    assert (out.status, out.exit_code, out.stdout) == ("error", 1, "before\n")
    assert out.stderr.startswith("Traceback (most recent call last):\n  File ")
    assert "line 3, in <module>" in out.stderr and "ZeroDivisionError" in out.stderr
    assert "sandbox" not in out.stderr
    syntax = run(box, "x = (\n")
    assert syntax.status == "error" and "SyntaxError" in syntax.stderr


def test_non_utf8_output_is_replaced_not_fatal(box):
    out = run(box, "import sys; sys.stdout.buffer.write(b'ok\\xff\\xfe!')")
    assert out.status == "ok" and out.stdout == "ok\ufffd\ufffd!"


def test_threads_closed_fds_and_atexit(box):
    out = run(box, """
        import atexit, threading
        atexit.register(lambda: print("atexit ran"))
        def work(): print("thread ran")
        threading.Thread(target=work).start()
    """)
    assert out.status == "ok" and "thread ran" in out.stdout and out.stdout.endswith("atexit ran\n")
    out = run(box, "import os; os.close(1); os.close(0); os.dup2(2, 5); print('gone')")
    assert out.status in ("ok", "error") and out.stdout == ""
    assert_pool_works(box)


def test_fresh_interpreter_state_per_run(box):
    """Forked children must look like `python main.py`: own random seed, pipe stdio, local imports."""
    code = "import random, sys\nprint(random.getrandbits(64), sys.argv, sys.orig_argv[1:])"
    first, second = run(box, code).stdout, run(box, code).stdout
    assert first != second and first.split(" ", 1)[1] == second.split(" ", 1)[1]
    assert "main.py" in first and "sandbox" not in first
    out = run(box, """
        import sys
        print(sys.stdout.seekable(), sys.stdout.line_buffering, sys.stderr.line_buffering,
              sys.stdout.encoding, sys.stderr.errors, sys.stdin.read())
    """, "in")
    assert out.stdout == "False False True utf-8 backslashreplace in\n"
    out = run(box, "def f(x: NotDefinedAnywhere): pass")  # annotations evaluated: no inherited __future__
    assert out.status == "error" and "NameError" in out.stderr
    out = run(box, "open('helper.py', 'w').write('X = 5')\nimport helper\nprint(helper.X)")
    assert (out.status, out.stdout) == ("ok", "5\n")
    assert run(box, "import helper").status == "error"  # the file went with its run


@pytest.mark.slow
def test_queued_jobs_survive_a_dead_worker_and_big_messages():
    """Jobs queued behind one whose worker dies still run; big stdin/stdout never deadlock."""
    import threading

    with Sandbox(workers=1) as sb:
        jobs = [Job(f"import time; time.sleep(0.3); print({i})", "", FAST) for i in range(4)]
        assert sb.protections  # started: the kill below hits a running worker, not its start-up
        killer = threading.Timer(0.15, lambda: os.killpg(sb._workers[0].proc.pid, signal.SIGKILL))
        killer.start()
        outs = sb.run_many(jobs)
        killer.join()
        assert [(o.status, o.stdout) for o in outs] == [("ok", f"{i}\n") for i in range(4)]
        big = "x" * (3 << 20)
        jobs = [Job("import sys; d = sys.stdin.read(); print(len(d)); print('y' * 300000)", big, FAST)] * 4
        outs = sb.run_many(jobs)
        assert [(o.stdout[:10], len(o.stdout)) for o in outs] == [(f"{3 << 20}\nyy", 300009)] * 4


def test_one_dead_worker_leaves_its_siblings_and_nothing_behind():
    """Workers share one launcher; killing one (as a hung one is killed) stops only that one."""
    with Sandbox(workers=2) as sb:
        sb.run_many([Job("print(1)")] * 2)
        launcher, pids = sb._workers[0].proc.pid, [sb._workers[i].protections for i in range(2)]
        doomed = sb._workers[0]
        signal.pidfd_send_signal(doomed.pidfd, signal.SIGKILL)  # a crash: only this worker dies
        outs = sb.run_many([Job(f"print({i})", "", FAST) for i in range(6)])  # worker 0 is restarted
        assert [o.stdout for o in outs] == [f"{i}\n" for i in range(6)]
        assert sb._workers[0] is not doomed and sb._workers[1].proc.pid == launcher and pids
    with pytest.raises(ProcessLookupError):
        os.kill(launcher, 0)  # close() waited for the launcher and all its workers


def test_prestarted_pool_is_claimed_once_and_only_with_matching_size():
    from codegen_study.sandbox import prestart, take_prestarted

    prestart(2)
    assert take_prestarted(3) is None  # wrong size: closed, not handed out
    prestart(2)
    box = take_prestarted(2)
    assert box is not None and take_prestarted(2) is None
    with box:
        assert box.run(Job("print(6 * 7)")).stdout == "42\n"


def test_temp_dir_is_private_home_and_removed(box):
    first = run(box, """
        import os
        open("left.txt", "w").write("x")
        print(os.getcwd() == os.environ["HOME"] == os.environ["TMPDIR"], sorted(os.listdir(".")))
    """)
    assert first.stdout.startswith("True") and "left.txt" in first.stdout
    second = run(box, "import os, glob; print(glob.glob('/tmp/**/left.txt', recursive=True))")
    assert second.stdout == "[]\n"


def test_timeout_on_busy_loop_counts_cpu_seconds(box):
    out = run(box, "while True: pass", limits=Limits(timeout_s=0.5, wall_s=10))
    assert out.status == "timeout" and out.exit_code is None
    # the CPU timer stops it at the limit (reaped rusage may read a few ms under it)
    assert 0.45 <= out.seconds < 0.6 and out.wall_seconds < 5


def test_syntax_error_reads_like_python_main_py(box, tmp_path):
    """The worker compiles the program before forking; the error must still look like python's."""
    code = "x = 1\nif x:\nprint(x)\n"
    out = run(box, code)
    script = tmp_path / "main.py"
    script.write_text(code)
    fresh = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert (out.status, out.exit_code, out.stdout) == ("error", fresh.returncode, "")
    assert out.stderr.splitlines()[1:] == fresh.stderr.splitlines()[1:]  # line 0 names the path
    assert "Traceback" not in out.stderr
    again = run(box, "print(input())", "ok\n")  # the compile cache must not leak into the next job
    assert again.stdout == "ok\n"


def test_compile_warnings_reach_the_program_stderr_not_the_worker(box, capfd):
    """`is` with a literal warns at compile time; `python main.py` prints that on the program's stderr."""
    out = run(box, "x = 1\nprint(x is 1)\n")
    assert (out.status, out.stdout) == ("ok", "True\n")
    assert "SyntaxWarning" in out.stderr and '"is" with ' in out.stderr
    assert "SyntaxWarning" not in capfd.readouterr().err


def test_same_program_on_other_inputs_is_recompiled_state_free(box):
    jobs = [Job("import sys\nseen = globals().setdefault('seen', [])\nseen.append(input())\nprint(seen)", s, FAST)
            for s in ("a\n", "b\n", "c\n")]
    assert [o.stdout for o in box.run_many(jobs)] == ["['a']\n", "['b']\n", "['c']\n"]


def test_cpu_of_children_the_kernel_reaped_counts(box):
    """Children of a parent that ignores SIGCHLD are reaped by the kernel: their CPU reaches no
    parent's rusage and no /proc entry, but the run's CPU cgroup counts it."""
    require(box, "cpu_cgroup")
    out = run(box, """
        import os, signal, time
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        for _ in range(25):  # one short child at a time: no poll sees much CPU in a live process
            if os.fork() == 0:
                t = time.process_time()
                while time.process_time() - t < 0.1:
                    pass
                os._exit(0)
            try:
                os.wait()  # with SIGCHLD ignored: returns (ECHILD) once the child is gone
            except ChildProcessError:
                pass
        print("done")
    """, limits=Limits(timeout_s=1.0, memory_mb=512, wall_s=20.0))
    assert out.status == "timeout" and out.seconds >= 1.0


def test_timeout_still_stops_a_program_that_ignores_the_cpu_timer(box):
    """SIGPROF (our CPU timer) is only a fast path: ignoring it leaves the worker's polling."""
    out = run(box, "import signal\nsignal.signal(signal.SIGPROF, signal.SIG_IGN)\n"
                   "signal.setitimer(signal.ITIMER_PROF, 0)\nwhile True: pass",
              limits=Limits(timeout_s=0.3, wall_s=10))
    assert out.status == "timeout" and 0.3 <= out.seconds < 1.0


def test_sigprof_sent_early_by_the_program_is_not_a_timeout(box):
    out = run(box, "import os, signal\nos.kill(os.getpid(), signal.SIGPROF)",
              limits=Limits(timeout_s=2, wall_s=10))
    assert (out.status, out.signal) == ("killed", signal.SIGPROF)


def test_abandoned_iter_many_leaves_the_pool_usable():
    with Sandbox(workers=2) as sb:
        stream = sb.iter_many([Job("import time; time.sleep(0.2); print('slow')")] * 6)
        next(stream)
        stream.close()  # four jobs were still queued in the workers' pipes
        outs = sb.run_many([Job(f"print({i})") for i in range(4)])
        assert [o.stdout for o in outs] == [f"{i}\n" for i in range(4)]


def test_preload_can_be_chosen_after_start_but_not_after_the_first_run():
    probe = Job("import sys\nprint('fractions' in sys.modules)")
    with Sandbox(workers=1, more_preload=True) as sb:
        assert sb.accepts_preload
        sb.add_preload(["fractions"])
        assert sb.run(probe).stdout == "True\n"
        with pytest.raises(Exception, match="before the first run"):
            sb.add_preload(["decimal"])
    with Sandbox(workers=1) as sb:
        assert sb.run(probe).stdout == "False\n"


def test_sleeping_forever_hits_the_wall_backstop(box):
    start = time.monotonic()
    out = run(box, "import time; time.sleep(1000)", limits=Limits(timeout_s=0.2, wall_s=1.0))
    assert out.status == "timeout" and out.seconds < 0.2
    assert 1.0 <= time.monotonic() - start < 4
    assert Limits(timeout_s=1).wall_backstop_s == 6 and Limits(timeout_s=10).wall_backstop_s == 30


def test_run_many_keeps_input_order(box):
    jobs = [Job(f"import time; time.sleep({0.05 * (5 - i)}); print({i})") for i in range(6)]
    seen = []
    outs = box.run_many(jobs, on_done=lambda i, o: seen.append(i))
    assert [o.stdout for o in outs] == [f"{i}\n" for i in range(6)]
    assert sorted(seen) == list(range(6))


def test_run_program_one_shot():
    out = run_program("print(sum(map(int, input().split())))", "2 3\n")
    assert (out.status, out.stdout) == ("ok", "5\n")


@pytest.mark.slow
def test_verdicts_do_not_change_when_both_cores_are_busy(box):
    """CPU-time limits: near-limit programs get the same verdict idle and under load."""
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < {}: pass\nprint('done')"
    limits = Limits(timeout_s=0.6, wall_s=20)
    jobs = [Job(burn.format(0.35), "", limits), Job(burn.format(1.0), "", limits)]
    idle = [o.status for o in box.run_many(jobs)]
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        busy = [o.status for o in box.run_many(jobs)]
    finally:
        for p in burners:
            p.kill()
            p.wait()
    assert idle == busy == ["ok", "timeout"]


# ----------------------------------------------------------------------------- hostile programs


def test_fork_flood_is_capped_and_cleaned_up(box):
    token = f"{uuid.uuid4().int % 10**6}.{os.getpid()}"
    out = run(box, f"""
        import os
        n = 0
        try:
            while True:
                if os.fork() == 0:
                    os.execvp("sleep", ["sleep", "{token}"])
                n += 1
        except OSError:
            print("capped at", n)
    """, limits=Limits(timeout_s=2, processes=16, wall_s=10))
    assert out.status == "ok" and out.stdout.startswith("capped at")
    assert int(out.stdout.split()[-1]) <= 16
    assert pids_with_token(token) == []


def test_memory_bomb(box):
    small = Limits(timeout_s=2, memory_mb=256, wall_s=10)
    assert run(box, "x = bytearray(2 * 1024 ** 3)", limits=small).status == "memory"
    grow = run(box, "a = []\nwhile True: a.append(' ' * 10 ** 6)", limits=small)
    assert grow.status == "memory" and grow.seconds < 2
    assert_pool_works(box)


def test_disk_fill_stops_at_file_size_limit(box):
    out = run(box, """
        with open("big.bin", "wb") as f:
            for _ in range(64):
                f.write(b"x" * (1 << 20))
    """, limits=Limits(timeout_s=2, file_size_mb=4, wall_s=10))
    assert out.status == "error" and "File too large" in out.stderr


def test_writes_outside_the_temp_dir_leave_nothing(box, tmp_path):
    token = uuid.uuid4().hex
    os.chmod(tmp_path, 0o777)
    targets = [f"/tmp/{token}", f"/var/tmp/{token}", f"/dev/shm/{token}", str(tmp_path / token),
               os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), token)]
    out = run(box, f"""
        for path in {targets!r}:
            try:
                open(path, "w").write("owned")
                print("wrote", path)
            except OSError as exc:
                print("refused", path, exc.errno)
    """)
    assert out.status == "ok"
    assert [p for p in targets if os.path.exists(p)] == []


def test_network_is_unreachable(box):
    require(box, "net_namespace")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        out = run(box, f"""
            import socket
            for addr in [("127.0.0.1", {port}), ("8.8.8.8", 53), ("1.1.1.1", 443)]:
                try:
                    socket.create_connection(addr, timeout=1).close()
                    print("connected", addr)
                except OSError as exc:
                    print("failed", addr)
        """)
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()
    assert out.status == "ok" and "connected" not in out.stdout and out.stdout.count("failed") == 3


def test_environment_secrets_do_not_leak(monkeypatch):
    monkeypatch.setenv("CODEGEN_SANDBOX_SECRET", "hunter2-secret")
    with Sandbox(workers=1) as sb:
        out = run(sb, """
            import os, glob
            print(sorted(os.environ))
            print("hunter2" in repr(dict(os.environ)))
            leaked = False
            for path in glob.glob("/proc/*/environ"):
                try:
                    leaked |= b"hunter2" in open(path, "rb").read()
                except OSError:
                    pass
            print(leaked)
        """)
    names, in_env, in_proc = out.stdout.splitlines()
    assert "CODEGEN_SANDBOX_SECRET" not in names and in_env == "False" and in_proc == "False"
    assert set(eval(names)) <= {"PATH", "HOME", "TMPDIR", "LANG", "PYTHONHASHSEED", "OMP_NUM_THREADS",
                                "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"} | {
        n for n in eval(names) if n.startswith(("LC_", "OMP_", "OPENBLAS_", "MKL_"))}


def test_orphan_daemon_dies_with_its_run(box, tmp_path):
    token = f"{uuid.uuid4().int % 10**6}.{os.getpid()}1"
    os.chmod(tmp_path, 0o777)
    marker = tmp_path / "daemon-was-here"
    out = run(box, f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                pid = os.fork()
                if pid == 0:
                    os.execvp("sleep", ["sleep", "{token}"])
                time.sleep(0.5)
                open({str(marker)!r}, "w").write("alive")
            os._exit(0)
        time.sleep(0.1)
        print("parent done")
    """)
    assert out.status == "ok" and out.stdout == "parent done\n"
    assert pids_with_token(token) == []
    time.sleep(0.8)
    assert not marker.exists()


def test_sigterm_ignoring_processes_are_killed(box):
    token = f"{uuid.uuid4().int % 10**6}.{os.getpid()}2"
    out = run(box, f"""
        import os, signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "{token}"])  # SIG_IGN survives exec
        while True:
            pass
    """, limits=Limits(timeout_s=0.5, wall_s=10))
    assert out.status == "timeout"
    assert pids_with_token(token) == []


def test_stdout_flood_is_capped(box):
    cap = 64 << 10
    start = time.monotonic()
    out = run(box, "while True: print('x' * 1000)", limits=Limits(timeout_s=5, stdout_bytes=cap, wall_s=20))
    assert out.status == "output_limit" and out.stdout_truncated
    assert len(out.stdout) <= cap and time.monotonic() - start < 4
    one = run(box, "import sys; sys.stdout.write('y' * (50 << 20))", limits=Limits(stdout_bytes=cap))
    assert one.status == "output_limit" and len(one.stdout) == cap
    noisy = run(box, "import sys; sys.stderr.write('e' * (1 << 20)); print('fine')",
                limits=Limits(stderr_bytes=1000))
    assert noisy.status == "ok" and noisy.stdout == "fine\n" and len(noisy.stderr) <= 1000


def test_deep_recursion_does_not_hurt_the_worker(box):
    code = """
        import sys
        sys.setrecursionlimit(10 ** 7)
        f = lambda n: max(map(f, [n + 1]))  # recursion through C: uses the C stack
        f(0)
    """
    out = run(box, code, limits=Limits(timeout_s=5, memory_mb=512, wall_s=20))
    assert out.status in ("killed", "error", "memory")
    if out.status == "killed":
        assert out.signal == signal.SIGSEGV
    ok = run(box, "import sys\nsys.setrecursionlimit(10**6)\ndef d(n): return 0 if n == 0 else 1 + d(n - 1)\n"
                  "print(d(100000))")
    assert (ok.status, ok.stdout) == ("ok", "100000\n")
    assert_pool_works(box)


@pytest.mark.parametrize("attack", ["os.kill(os.getppid(), 9)", "os.kill(-1, 9)", "os.killpg(0, 9)",
                                    "os.kill(1, 9)"])
def test_killing_the_parent_or_everyone_stays_inside(box, attack):
    if "-1" in attack:
        require(box, "pid_namespace")  # without it a normal user's kill(-1) reaches their shell
    out = run(box, f"import os\ntry:\n    {attack}\nexcept OSError as e:\n    print('refused', e.errno)\n")
    assert out.status in ("ok", "killed")
    assert_pool_works(box)


def test_protections_as_root(box):
    if os.geteuid() != 0:
        pytest.skip("root-only protections")
    p = box.protections
    assert p["uid_drop"] and p["net_namespace"] and p["pid_namespace"] and p["mount_namespace"]
    assert len(set(p["run_uids"])) == 2 and all(uid > 0 for uid in p["run_uids"])
    out = run(box, "import os; print(os.getuid(), os.getgid(), os.getgroups())")
    uid, gid, groups = out.stdout.split(maxsplit=2)
    assert int(uid) in p["run_uids"] and uid == gid and groups.strip() == "[]"


# ----------------------------------------------------------------------------- channels and file view

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_no_fd_beyond_stderr_is_inherited(box):
    out = run(box, """
        import os
        open_fds = []
        for fd in range(3, 1024):
            try:
                os.fstat(fd)
                open_fds.append(fd)
            except OSError:
                pass
        print(open_fds)
    """)
    assert (out.status, out.stdout) == ("ok", "[]\n")


def test_writing_to_the_old_status_fd_neither_aborts_nor_forges(box):
    """fd 3 once carried the child's setup report: a write there must not reach the worker."""
    out = run(box, """
        import os
        for data in (b"Sforged setup failure", b"M"):
            try:
                os.write(3, data)
            except OSError:
                pass
        raise SystemExit(1)
    """)
    assert (out.status, out.exit_code) == ("error", 1)
    assert_pool_works(box)


def checked_job(code: str, check: str, call=("f",), limits: Limits = FAST) -> Job:
    return Job(textwrap.dedent(code), "", limits, check=textwrap.dedent(check), call=call)


def test_check_runs_in_its_own_process_and_calls_the_program(box):
    out = box.run(checked_job("""
        x = 41
        def f(v):
            print("called", v)
            return (v + x, [1.5, None], {"k": {2, 3}})
    """, """
        assert "x" not in globals() and "f" not in globals()  # the program's names stay there
        got = candidate(1)
        assert got == (42, [1.5, None], {"k": {2, 3}}) and type(got) is tuple
        report("seen " + repr(got[0]))
    """))
    assert (out.status, out.stdout, out.check_result, out.check_detail) == ("ok", "called 1\n", "passed", "seen 42")


def test_a_failing_check_names_its_line_and_an_exception_crosses_by_name(box):
    out = box.run(checked_job("def f(v):\n    return v", "assert candidate(1) == 1\nassert candidate(2) == 3, 'two'\n"))
    assert out.check_result == "failed" and "check line 2" in out.check_detail and "two" in out.check_detail
    out = box.run(checked_job("def f(v):\n    raise KeyError(v)",
                              "try:\n    candidate(1)\nexcept KeyError:\n    report('caught')\n"))
    assert (out.check_result, out.check_detail) == ("passed", "caught")
    out = box.run(checked_job("x = 1", "candidate(1)"))
    assert out.check_result == "error" and "NameError" in out.check_detail


@pytest.mark.parametrize("early_exit", ["exit()", "quit()", "import sys; sys.exit(0)", "import os; os._exit(0)"])
def test_an_early_exit_never_counts_as_a_completed_check(box, early_exit):
    out = box.run(checked_job(f"def f(v):\n    return v\n{early_exit}", "assert candidate(1) == 1"))
    assert out.checked is False and out.check_result in ("error", None)


@pytest.mark.parametrize("attack", [
    # patch the builtins a check path could use, in every module of the program's process
    "import builtins\nfor n in ('exec', 'isinstance', 'AssertionError', 'print', 'len'):\n"
    "    setattr(builtins, n, lambda *a, **k: True)\n",
    # walk every frame and print every string or bytes it holds, then end
    "import sys, os\nf = sys._getframe()\nwhile f:\n"
    "    for v in list(f.f_locals.values()) + list(f.f_globals.values()):\n"
    "        if isinstance(v, (str, bytes)):\n            os.write(1, v if isinstance(v, bytes) else v.encode())\n"
    "    f = f.f_back\nos._exit(0)\n",
    # scan its own memory, and try every other process's, for anything secret-shaped
    "import os, re\nfound = set()\nfor pid in os.listdir('/proc'):\n    if not pid.isdigit(): continue\n"
    "    try:\n        maps = open(f'/proc/{pid}/maps').read().splitlines()\n"
    "        mem = open(f'/proc/{pid}/mem', 'rb', 0)\n    except OSError:\n        continue\n"
    "    for line in maps:\n        lo, hi = (int(x, 16) for x in line.split()[0].split('-'))\n"
    "        if 'rw' not in line.split()[1] or hi - lo > 1 << 26: continue\n"
    "        try:\n            mem.seek(lo); found.update(re.findall(rb'[0-9a-f]{32}', mem.read(hi - lo)))\n"
    "        except (OSError, ValueError, OverflowError):\n            pass\n"
    "os.write(1, b'\\n'.join(found)[:1 << 19])\nos._exit(0)\n",
    # answer on the call channel itself, then kill everything it may signal
    "import os, signal\nos.write(5, b'\\x0a\\x00\\x00\\x00[\"V\", true]')\n"
    "try:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\nos._exit(0)\n",
])
def test_no_code_in_the_graded_process_can_produce_a_pass(box, attack):
    """A wrong function (always False) with each way a program could forge its check: the
    checker, another process with the test's expectations, still fails it."""
    out = box.run(checked_job("def f(v):\n    return False\n" + attack,
                              "assert candidate(1) is True\nassert candidate(2) is False\n"))
    assert not out.checked and out.check_result in ("failed", "error", None)
    assert_pool_works(box)


def test_the_checker_is_out_of_the_programs_reach(box):
    require(box, "uid_drop")
    out = box.run(checked_job("""
        import os
        def f(v):
            mine = os.getpid()
            seen = []
            for pid in os.listdir('/proc'):
                if pid.isdigit() and int(pid) != mine:
                    for what in ('mem', 'environ', 'fd/3'):
                        try:
                            open(f'/proc/{pid}/{what}', 'rb').read(1)
                            seen.append(what)
                        except OSError:
                            pass
                    try:
                        os.kill(int(pid), 0)
                        seen.append('signal')
                    except OSError:
                        pass
            return seen
    """, "report(repr(candidate(0)))"))
    assert (out.check_result, out.check_detail) == ("passed", "[]")


def test_values_cross_as_plain_data():
    from codegen_study.sandbox.calls import Opaque, from_plain, to_plain

    for v in [None, True, 0, -(10 ** 30), 1.5, float("inf"), "é\ud800", b"\x00", (1, [2, {3: (4,)}]), {1, 2},
              frozenset({"a"}), 1 + 2j, {"k": [None]}]:
        back = from_plain(json.loads(json.dumps(to_plain(v))))
        assert back == v and type(back) is type(v)
    nan = from_plain(json.loads(json.dumps(to_plain(float("nan")))))
    assert nan != nan

    class Liar(list):
        def __eq__(self, other):
            return True
    assert from_plain(to_plain(Liar([1]))) == [1] and from_plain(to_plain(Liar([1]))) != []
    odd = from_plain(to_plain(object()))
    assert isinstance(odd, Opaque) and odd != odd.shown
    for bad in [{"x": 1}, {"l": 3}, {"d": [[1]]}, [1], {"i": 5}]:
        with pytest.raises((ValueError, TypeError)):
            from_plain(bad)


def test_program_name_can_differ_from_main(box):
    out = box.run(Job("print(__name__)\nif __name__ == '__main__':\n    input()", name="builtins", limits=FAST))
    assert (out.status, out.stdout) == ("ok", "builtins\n")


@pytest.mark.parametrize("target", [
    os.path.abspath(__file__),  # the project checkout
    os.path.join(ROOT, "data", "benchmarks", "lcb_atcoder_easy_2408_2502.jsonl"),  # a benchmark file
])
def test_project_benchmarks_and_homes_are_not_in_the_file_view(box, target):
    require(box, "file_view")
    out = run(box, f"import os\nprint(os.path.exists({target!r}))")
    assert (out.status, out.stdout) == ("ok", "False\n")


def test_home_holds_at_most_the_way_to_the_interpreter(box):
    """The scorer's home is empty in the view, except the path down to an interpreter kept there (pyenv)."""
    require(box, "file_view")
    home = os.path.expanduser("~")
    out = run(box, f"import os\nprint(sorted(os.listdir({home!r})) if os.path.isdir({home!r}) else [])")
    prefix = os.path.realpath(sys.base_prefix)
    allowed = [prefix[len(home) + 1:].split("/")[0]] if prefix.startswith(home + "/") else []
    assert out.status == "ok" and eval(out.stdout) in ([], allowed)


def test_host_tmp_is_not_in_the_file_view(box, tmp_path):
    require(box, "file_view")
    secret = tmp_path / "expected_output.txt"
    secret.write_text("42")
    os.chmod(tmp_path, 0o755)
    out = run(box, f"import os\nprint(os.path.exists({str(secret)!r}))")
    assert (out.status, out.stdout) == ("ok", "False\n")


def test_installed_packages_are_not_in_the_file_view(box):
    require(box, "file_view")
    out = run(box, "import pytest")
    assert out.status == "error" and "ModuleNotFoundError" in out.stderr


def test_standard_library_stays_readable(box):
    out = run(box, "import decimal, fractions, json, os, sqlite3\nprint(len(open(os.__file__).read()) > 0)")
    assert (out.status, out.stdout) == ("ok", "True\n")


# ----------------------------------------------------------------------------- limits that hold

SMALL = Limits(timeout_s=5, memory_mb=256, wall_s=20)


def test_memfd_memory_counts_against_the_memory_limit(box):
    """memfds hold memory outside RLIMIT_AS; the memory cgroup counts it."""
    require(box, "memory_cgroup")
    out = run(box, """
        import os
        fds = [os.memfd_create("hold") for _ in range(48)]
        for fd in fds:
            os.write(fd, b"x" * (12 << 20))
        print("held", 48 * 12, "MiB")
    """, limits=SMALL)
    assert out.status == "memory" and "held" not in out.stdout


def test_tmpfs_files_count_against_the_memory_limit(box):
    require(box, "memory_cgroup")
    out = run(box, """
        for i in range(40):
            with open(f"/dev/shm/f{i}", "wb") as f:
                f.write(b"x" * (12 << 20))
        print("held")
    """, limits=SMALL)
    assert out.status in ("memory", "error") and "held" not in out.stdout
    assert_pool_works(box)


def test_sysv_shared_memory_does_not_reach_the_next_run(box):
    create = run(box, """
        import ctypes
        libc = ctypes.CDLL(None)
        shm_id = libc.shmget(4242, 64 << 20, 0o1000 | 0o666)  # IPC_CREAT
        print(shm_id)
    """)
    probe = run(box, "import ctypes\nprint(ctypes.CDLL(None).shmget(4242, 0, 0))")
    assert create.status == "ok" and probe.stdout == "-1\n"


def test_sysv_ipc_is_refused(box):
    require(box, "seccomp")
    out = run(box, """
        import ctypes
        libc = ctypes.CDLL(None)
        print(libc.shmget(0, 4096, 0o1000 | 0o600), libc.semget(0, 1, 0o1000 | 0o600), libc.msgget(0, 0o1000 | 0o600))
    """)
    assert out.stdout == "-1 -1 -1\n"


def test_posix_message_queues_are_refused(box):
    require(box, "seccomp")
    out = run(box, """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.syscall(240 if os.uname().machine == "x86_64" else 180, b"q", os.O_CREAT | os.O_RDWR, 0o600, None)
        print(fd, ctypes.get_errno())
    """)
    assert out.stdout.split()[0] == "-1"


def test_keyrings_are_refused(box):
    require(box, "seccomp")
    out = run(box, """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        nr = 248 if os.uname().machine == "x86_64" else 217  # add_key
        print(libc.syscall(nr, b"user", b"carried", b"secret", 6, -4), ctypes.get_errno())
    """)
    assert out.stdout == "-1 1\n"


def test_user_namespaces_are_refused(box):
    require(box, "seccomp")
    out = run(box, "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                   "print(libc.unshare(0x10000000), ctypes.get_errno())")
    assert out.stdout == "-1 1\n"


def test_io_uring_is_refused(box):
    require(box, "seccomp")
    out = run(box, """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        params = ctypes.create_string_buffer(120)
        print(libc.syscall(425, 8, params), ctypes.get_errno())  # io_uring_setup
    """)
    assert out.stdout == "-1 1\n"


def test_threads_and_subprocesses_still_work_under_the_filter(box):
    out = run(box, """
        import subprocess, sys, threading
        t = threading.Thread(target=print, args=("thread",))
        t.start(); t.join()
        print(subprocess.run(["echo", "child"], capture_output=True, text=True).stdout, end="")
    """)
    assert (out.status, out.stdout) == ("ok", "thread\nchild\n")


@pytest.mark.slow
def test_busy_programs_are_not_stopped_by_the_wall_backstop_under_load():
    """Programs using 60-90% of their CPU limit pass with both cores busy, even with a backstop
    equal to the CPU limit: a starved program is runnable, not asleep, and the CPU limit decides."""
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < {}: pass\nprint('done')"
    limits = Limits(timeout_s=1.0, wall_s=1.0)
    jobs = [Job(burn.format(0.6 + 0.3 * i / 7), "", limits) for i in range(8)]
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        with Sandbox(workers=4) as sb:
            outs = sb.run_many(jobs)
    finally:
        for p in burners:
            p.kill()
            p.wait()
    assert [o.status for o in outs] == ["ok"] * 8


def test_oversized_program_is_refused_before_compiling(box):
    out = box.run(Job("x = 1\n" * 2000, limits=Limits(code_chars=1000)))
    assert out.status == "code_limit" and "too large" in out.stderr


def test_large_program_is_compiled_under_the_runs_limits(box):
    """Programs too large to compile in the worker compile in the child; errors read the same."""
    big = "x = 0\n" + "x += 1\n" * 20000 + "print(x)\n"
    assert run(box, big).stdout == "20000\n"
    broken = run(box, big + "def (:\n")
    assert broken.status == "error" and "SyntaxError" in broken.stderr and "Traceback" not in broken.stderr


@pytest.mark.slow
def test_workers_die_with_a_killed_caller():
    """A scorer killed with SIGKILL leaves no launcher, worker or run behind."""
    token = f"{uuid.uuid4().int % 10**6}.{os.getpid()}3"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {ROOT!r})
        from codegen_study.sandbox import Job, Limits, Sandbox
        box = Sandbox(workers=2)
        print(box._workers[0].proc.pid, flush=True)
        box.run_many([Job("import os; os.execvp('sleep', ['sleep', '{token}'])", "", Limits(timeout_s=60))] * 2)
    """)
    caller = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    launcher = int(caller.stdout.readline())
    for _ in range(200):
        if pids_with_token(token):
            break
        time.sleep(0.05)
    assert pids_with_token(token)
    caller.kill()
    caller.wait()
    for _ in range(100):
        if not pids_with_token(token) and not os.path.exists(f"/proc/{launcher}"):
            break
        time.sleep(0.05)
    assert pids_with_token(token) == [] and not os.path.exists(f"/proc/{launcher}")


def test_output_after_a_completed_check_keeps_it_completed(box):
    """atexit handlers run after the calls, as after exec() in the reference harness."""
    out = box.run(checked_job("import atexit\natexit.register(print, 'bye')\ndef f(v):\n    return v",
                              "assert candidate(3) == 3"))
    assert (out.checked, out.stdout) == (True, "bye\n")


def test_allowed_third_party_packages_stay_importable(box):
    """numpy is hidden with every other installed package unless allowed: solutions may use it."""
    pytest.importorskip("numpy")
    out = run(box, "import numpy\nprint(int(numpy.arange(5).sum()))", limits=Limits(timeout_s=5, memory_mb=1024))
    assert (out.status, out.stdout) == ("ok", "10\n")
