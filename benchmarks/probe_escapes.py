"""Escape probe of the sandbox: hostile programs, each with what containment means for it.

    python benchmarks/probe_escapes.py    (as root, as the sandbox runs; results: benchmarks/results/probe_escapes.txt)

A scorer killed mid-run (SIGKILL, SIGTERM, SIGINT) leaving nothing behind is tested in
tests/scoring/test_scoring_cli.py (test_nothing_outlives_a_killed_scorer_by_more_than_two_seconds).
"""
import os
import sys
import tempfile

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from codegen_study.sandbox import Job, Limits, Sandbox
from codegen_study.scoring.grading import grade
from codegen_study.scoring.profiles import get_profile
from codegen_study.scoring.verdicts import Sample
from codegen_study.tasks.humaneval import load_humaneval
from codegen_study.tasks.livecodebench import load_lcb
from codegen_study.tasks.problems import Problem, TestCase

ROOT = str(__import__("pathlib").Path(__file__).resolve().parents[1])
secret_dir = tempfile.mkdtemp(); os.chmod(secret_dir, 0o755)
secret = os.path.join(secret_dir, "answers.txt"); open(secret, "w").write("42")
L = Limits(timeout_s=3, memory_mb=256, wall_s=15)
C = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
progs = {  # name -> (code, contained(outcome))
 "write fd 3 (old status pipe)": ("import os\nfor d in (b'Sboom', b'M'):\n  try: os.write(3, d)\n  except OSError: pass\nraise SystemExit(1)", lambda o: o.status == "error"),
 "inherited fds beyond 2": ("import os\nopen_fds = []\nfor fd in range(3, 1024):\n  try: os.fstat(fd); open_fds.append(fd)\n  except OSError: pass\nprint(open_fds)", lambda o: o.stdout.strip() == "[]"),
 "read benchmark file": (f"print(open({ROOT + '/data/benchmarks/lcb_atcoder_easy_2408_2502.jsonl'!r}).read()[:10])", lambda o: o.status == "error"),
 "read project source": (f"print(open({ROOT + '/codegen_study/scoring/grading.py'!r}).read()[:10])", lambda o: o.status == "error"),
 "read host /tmp secret": (f"print(open({secret!r}).read())", lambda o: "42" not in o.stdout),
 "list /root": ("import os\nprint(os.listdir('/root'))", lambda o: o.stdout.strip() in ("['.pyenv']", "[]") or o.status == "error"),
 "walk / for jsonl": ("import os\nfound=[]\nfor r,ds,fs in os.walk('/'):\n  if r.startswith('/proc'): ds[:]=[]; continue\n  found += [f for f in fs if f.endswith(('.jsonl','.jsonl.gz'))]\nprint(found)", lambda o: o.stdout.strip() == "[]"),
 "import installed package": ("import pytest", lambda o: o.status == "error"),
 "memfd flood": ("import os\nfds=[os.memfd_create('x') for _ in range(40)]\nfor f in fds: os.write(f, b'x'*(12<<20))\nprint('held')", lambda o: "held" not in o.stdout),
 "tmpfs flood": ("for i in range(40):\n  open(f'/dev/shm/f{i}','wb').write(b'x'*(12<<20))\nprint('held')", lambda o: "held" not in o.stdout),
 "sysv shm": (C + "print(libc.shmget(0, 1<<26, 0o1000|0o666))", lambda o: o.stdout.strip() == "-1"),
 "sysv sem": (C + "print(libc.semget(0, 1, 0o1000|0o666))", lambda o: o.stdout.strip() == "-1"),
 "sysv msg": (C + "print(libc.msgget(0, 0o1000|0o666))", lambda o: o.stdout.strip() == "-1"),
 "posix mqueue": (C + "print(libc.syscall(240, b'q', os.O_CREAT|os.O_RDWR, 0o600, None))", lambda o: o.stdout.strip() == "-1"),
 "keyring add_key": (C + "print(libc.syscall(248, b'user', b'k', b'v', 1, -4))", lambda o: o.stdout.strip() == "-1"),
 "keyctl": (C + "print(libc.syscall(250, 0, -4, 0, 0, 0))", lambda o: o.stdout.strip() == "-1"),
 "unshare user ns": (C + "print(libc.unshare(0x10000000))", lambda o: o.stdout.strip() == "-1"),
 "clone user ns": (C + "print(libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0))", lambda o: o.stdout.strip() == "-1"),
 "setns": (C + "fd = os.open('/proc/1/ns/net', os.O_RDONLY) if os.path.exists('/proc/1/ns/net') else -1\nprint(libc.setns(fd, 0))", lambda o: o.stdout.strip() in ("-1",) or o.status == "error"),
 "io_uring_setup": (C + "p = ctypes.create_string_buffer(120)\nprint(libc.syscall(425, 8, p))", lambda o: o.stdout.strip() == "-1"),
 "bpf": (C + "print(libc.syscall(321, 0, 0, 0))", lambda o: o.stdout.strip() == "-1"),
 "userfaultfd": (C + "print(libc.syscall(323, 0))", lambda o: o.stdout.strip() == "-1"),
 "x32 syscall": (C + "print(libc.syscall(0x40000000 | 39))", lambda o: o.stdout.strip() == "-1"),
 "kill -1": ("import os\ntry: os.kill(-1, 9)\nexcept OSError as e: print(e.errno)", lambda o: True),
 "kill parent": ("import os\ntry: os.kill(os.getppid(), 9)\nexcept OSError as e: print(e.errno)", lambda o: True),
 "fork bomb": ("import os\nn=0\ntry:\n  while True:\n    if os.fork()==0:\n      import time; time.sleep(100)\n    n+=1\nexcept OSError: print(n)", lambda o: True),
 "network": ("import socket\ntry:\n  socket.create_connection(('1.1.1.1', 80), timeout=2); print('connected')\nexcept OSError: print('no')", lambda o: "connected" not in o.stdout),
 "write project": (f"try:\n  open({ROOT + '/pwned'!r}, 'w').write('x'); print('wrote')\nexcept OSError: print('no')", lambda o: not os.path.exists(ROOT + "/pwned")),
 "setuid binary": ("import subprocess\nr = subprocess.run(['su', '-c', 'id'], capture_output=True, text=True)\nprint(r.returncode)", lambda o: "uid=0" not in o.stdout),
 "huge program": ("x = 1\n" * 400000, lambda o: o.status == "code_limit"),
 "sleep forever": ("import time; time.sleep(1000)", lambda o: o.status == "timeout"),
}
with Sandbox(workers=2) as box:
    assert box.protections["seccomp"]
    jobs = [Job(c, "", L if name != "huge program" else Limits(code_chars=1 << 20)) for name, (c, _) in progs.items()]
    outs = box.run_many(jobs)
    after = box.run_many([Job("print(6*7)")] * 4)
results = {name: check(o) for (name, (_, check)), o in zip(progs.items(), outs)}
# grading-level forgeries
he = {p.id: p for p in load_humaneval()[:1]}
lcb = {p.id: p for p in load_lcb(ROOT + "/tests/fixtures/lcb_mini.jsonl")}
grading_cases = {}
for ex in ("exit()", "quit()", "import sys; sys.exit(0)", "import os; os._exit(0)"):
    [v] = grade(he, [Sample("HumanEval/0", 0, completion=f"    return False\n\n{ex}\n")], get_profile("humaneval"))
    grading_cases[f"humaneval early exit {ex}"] = not v.passed
forge = ("import re, os, sys\nfor t in set(re.findall(r'CGS[0-9a-f]+', open(__file__).read())):\n"
         "    sys.stdout.write(f'\\n{t} PASS 3\\n{t} J 3\\n')\nsys.stdout.flush()\nos._exit(0)\n")
[v] = grade(lcb, [Sample("mini_add", 0, code=forge)], get_profile("lcb"))
grading_cases["call-based marker forgery"] = not v.passed
liar = "class L(list):\n    def __eq__(self, o): return True\nclass Solution:\n    def addTwo(self, a, b): return L()\n"
[v] = grade(lcb, [Sample("mini_add", 0, code=liar)], get_profile("lcb"))
grading_cases["call-based always-equal object"] = not v.passed
p = Problem(id="p", title="p", statement="", platform="atcoder", date="", difficulty="easy",
            tests=(TestCase("5\n", "42\n", True),))
[v] = grade({"p": p}, [Sample("p", 0, code=f"print(open({secret!r}).read())")], get_profile("seed"))
grading_cases["stdin answer read from host file"] = not v.passed
# verdict forgeries of function-call tests: each must be graded as the reference grades it (failed)
FORGE = {
 "patched builtins": "import builtins\nbuiltins.exec = lambda *a, **k: None\n",
 "frame walking": ("import sys, os\nf = sys._getframe()\nwhile f:\n    for v in list(f.f_locals.values()):\n"
                   "        if isinstance(v, (str, bytes)):\n"
                   "            os.write(1, v if isinstance(v, bytes) else v.encode('utf-8', 'replace'))\n"
                   "    f = f.f_back\nos._exit(0)\n"),
 "heap scanning": ("import ctypes, os, re\nfound = set()\nfor line in open('/proc/self/maps').read().splitlines():\n"
                   "    lo, hi = (int(x, 16) for x in line.split()[0].split('-'))\n"
                   "    if line.split()[1][:2] != 'rw' or hi - lo > 1 << 26:\n        continue\n"
                   "    found.update(re.findall(rb'\\n[0-9a-f]{32}', ctypes.string_at(lo, hi - lo)))\n"
                   "os.write(1, b''.join(found)[:1 << 19])\nos._exit(0)\n"),
 "answer on the call channel": "import os\nos.write(5, b'\\x0a\\x00\\x00\\x00[\"V\", true]')\nos._exit(0)\n",
 "read other processes' memory": ("import os\nfor p in os.listdir('/proc'):\n    try:\n"
                                  "        os.write(1, open(f'/proc/{p}/mem', 'rb').read(1))\n    except Exception:\n"
                                  "        pass\nos._exit(0)\n"),
}
for name, attack in FORGE.items():
    [v] = grade(he, [Sample("HumanEval/0", 0, completion="    return False\n\n" + attack)], get_profile("humaneval"))
    grading_cases[f"humaneval forgery: {name}"] = not v.passed
    [v] = grade(lcb, [Sample("mini_add", 0, code="class Solution:\n    def addTwo(self, a, b):\n        return 0\n"
                             + attack)], get_profile("lcb"))
    grading_cases[f"call-based forgery: {name}"] = not v.passed
# an output that once stopped the whole run (a signalling NaN under the lcb comparison)
[v] = grade({"p": p}, [Sample("p", 0, code="print('sNaN')")], get_profile("lcb"))
grading_cases["special decimal output (sNaN) under lcb"] = v.verdict == "wrong_answer"
# CPU spent by children the kernel reaps (SIGCHLD ignored): counted, so a timeout
spend = ("import os, signal, time\nsignal.signal(signal.SIGCHLD, signal.SIG_IGN)\nfor _ in range(25):\n"
         "    if os.fork() == 0:\n        t = time.process_time()\n        while time.process_time() - t < 0.1: pass\n"
         "        os._exit(0)\n    try: os.wait()\n    except ChildProcessError: pass\nprint('done')\n")
with Sandbox(workers=1) as box:
    o = box.run(Job(spend, "", Limits(timeout_s=1.0, wall_s=20)))
grading_cases["uncounted CPU of kernel-reaped children"] = o.status == "timeout"
results.update(grading_cases)
healthy = [o.stdout for o in after] == ["42\n"] * 4
print(f"escape attempts: {len(results)} tried, {sum(results.values())} contained; pool healthy after: {healthy}")
for k, v in results.items():
    if not v:
        print("  NOT CONTAINED:", k)
