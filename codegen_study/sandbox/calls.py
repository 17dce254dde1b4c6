"""The call channel of a checked job: the graded program answers calls, a separate checker judges.

A function-call test (HumanEval's ``check(candidate)``, LiveCodeBench's call-based tests) used
to run its check inside the graded program's interpreter, after the program. Whatever decided
"passed" there -- an exception not raised, a marker or secret printed at the end -- lived in a
process the program controls: it can replace a builtin the check uses, walk up to its caller's
frame, scan its own heap for a secret, or exit early. So here the verdict never comes from the
graded process:

* The graded process (`serve`) runs the program, then answers calls: it reads a request
  (arguments as data), calls its function, and writes back the returned value as plain data
  (`to_plain`: None, bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset,
  Decimal, Fraction; numpy values through ``tolist()``; anything else as an opaque object that
  equals nothing). That is all that leaves it.
* The checker (`check`) is another process forked from the clean worker, under another uid,
  not dumpable (no ptrace, no /proc/PID/mem, no signals from the program), with the run's
  rlimits. It runs the trusted test code with ``candidate`` bound to a proxy that sends the
  arguments and decodes the answer (`from_plain`, data only: nothing is executed or
  unpickled). It reports passed, failed (an AssertionError) or error on a pipe only the worker
  reads.

So the program can choose only the values its function returns -- what any solution does. A
program that writes its own answers on the channel is a function returning them; one that exits,
closes the channel or kills itself leaves the checker without an answer (an error); patched
builtins and frames exist only in its own process, and no secret exists anywhere.

Frames on both pipes: a 4-byte length, then JSON (`encode`), capped at the checker's side.
"""

from __future__ import annotations

import builtins
import json
import os
import struct
import sys

_BIG = 1 << 62  # larger ints travel as hex: JSON's decimal digits are quadratic (and capped at 4300)
_TEXT_CAP = 2000  # opaque reprs and exception messages are cut to this


# ----------------------------------------------------------------------------- values
def to_plain(v):
    """`v` as a tree of JSON values with tagged containers (raises on cycles or deep nesting)."""
    t = type(v)
    if v is None or t is bool or t is str or t is float:
        return v
    if t is int:
        return v if -_BIG < v < _BIG else {"i": format(v, "x")}
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return to_plain(int.__int__(v))
    if isinstance(v, float):
        return float.__float__(v)
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, (list, tuple, set, frozenset)):
        tag = "t" if isinstance(v, tuple) else "l" if isinstance(v, list) else "s" if isinstance(v, set) else "f"
        return {tag: [to_plain(x) for x in v]}
    if isinstance(v, dict):
        return {"d": [[to_plain(k), to_plain(x)] for k, x in v.items()]}
    if isinstance(v, (bytes, bytearray)):
        return {"b": bytes(v).hex()}
    if isinstance(v, complex):
        return {"c": [v.real, v.imag]}
    dec, frac = sys.modules.get("decimal"), sys.modules.get("fractions")  # a value of one needs its module
    if dec is not None and isinstance(v, dec.Decimal):
        return {"D": str(v)}
    if frac is not None and isinstance(v, frac.Fraction):
        return {"F": [to_plain(v.numerator), to_plain(v.denominator)]}
    if t.__module__ == "numpy" and callable(getattr(v, "tolist", None)):  # numpy scalars and arrays
        plain = v.tolist()
        if type(plain).__module__ != "numpy":
            return to_plain(plain)
    try:
        shown = repr(v)[:_TEXT_CAP]
    except BaseException:
        shown = "?"
    return {"o": [t.__name__, shown]}


class Opaque:
    """A returned object that is not plain data: shown by its repr, equal only to itself."""

    def __init__(self, type_name: str, shown: str):
        self.type_name, self.shown = type_name, shown

    def __repr__(self) -> str:
        return self.shown


def from_plain(p):
    """The value `to_plain` described; anything else is a ValueError (the data is untrusted)."""
    if p is None or type(p) in (bool, int, float, str):
        return p
    if type(p) is not dict or len(p) != 1:
        raise ValueError("malformed value")
    (tag, body), = p.items()
    if tag in ("l", "t", "s", "f"):
        items = [from_plain(x) for x in _list(body)]
        return {"l": list, "t": tuple, "s": set, "f": frozenset}[tag](items)
    if tag == "d":
        return {from_plain(k): from_plain(x) for k, x in (_pair(e) for e in _list(body))}
    if tag == "i" and type(body) is str:
        return int(body, 16)
    if tag == "b" and type(body) is str:
        return bytes.fromhex(body)
    if tag == "c":
        re, im = _pair(body)
        return complex(float(re), float(im))
    if tag == "D" and type(body) is str:
        import decimal

        return decimal.Decimal(body)
    if tag == "F":
        num, den = (from_plain(x) for x in _pair(body))
        if type(num) is not int or type(den) is not int:
            raise ValueError("malformed fraction")
        import fractions

        return fractions.Fraction(num, den)
    if tag == "o":
        name, shown = _pair(body)
        return Opaque(str(name), str(shown))
    raise ValueError(f"unknown tag {tag!r}")


def _list(body) -> list:
    if type(body) is not list:
        raise ValueError("malformed value")
    return body


def _pair(body) -> list:
    if type(body) is not list or len(body) != 2:
        raise ValueError("malformed value")
    return body


def encode(obj) -> bytes:
    data = json.dumps(obj, allow_nan=True).encode()
    return struct.pack("<I", len(data)) + data


def read_frame(fd: int, cap: int) -> bytes | None:
    """One frame's payload; None at end of file; ValueError when it announces more than `cap`."""
    head = _read_exact(fd, 4)
    if head is None:
        return None
    n = struct.unpack("<I", head)[0]
    if n > cap:
        raise ValueError(f"an answer of {n} bytes (limit {cap})")
    return _read_exact(fd, n)


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# ----------------------------------------------------------------------------- the graded side
def serve(namespace: dict, target: tuple[str, ...], fd_in: int, fd_out: int) -> None:
    """In the graded process, after its program ran: answers calls until the checker hangs up.

    `target`: ("fn",) calls the global `fn`; ("Cls", "fn") calls `fn` of one `Cls()` made at
    the first call (LiveCodeBench's `Solution().fn`)."""
    fn = None
    while True:
        try:
            request = read_frame(fd_in, 1 << 30)
        except (OSError, ValueError):
            return
        if request is None:
            return
        try:
            if fn is None:
                fn = _resolve(namespace, target)
            args, kwargs = from_plain(json.loads(request))
            reply = encode(["V", to_plain(fn(*args, **kwargs))])
        except BaseException as exc:  # the function's own failure (SystemExit too) is its answer
            reply = encode(["E", type(exc).__name__, _message(exc)])
        try:
            _write_all(fd_out, reply)
        except OSError:
            return


def _resolve(namespace: dict, target: tuple[str, ...]):
    if not target:
        raise NameError("no function to call")
    if len(target) == 1:
        if target[0] not in namespace:
            raise NameError(f"name {target[0]!r} is not defined")
        return namespace[target[0]]
    cls = namespace.get(target[0])
    if cls is None:
        raise NameError(f"name {target[0]!r} is not defined")
    return getattr(cls(), target[1])


def _message(exc: BaseException) -> str:
    try:
        return str(exc)[:_TEXT_CAP]
    except BaseException:
        return ""


# ----------------------------------------------------------------------------- the checker
class _Proxy:
    """`candidate` in the checker: a call crosses to the graded process as data and back."""

    def __init__(self, fd_req: int, fd_rep: int, cap: int):
        self.fd_req, self.fd_rep, self.cap = fd_req, fd_rep, cap
        self.calls = 0
        self.raised: str | None = None  # the last exception the graded function raised

    def __call__(self, *args, **kwargs):
        self.calls += 1
        _write_all(self.fd_req, encode(to_plain([list(args), kwargs])))
        data = read_frame(self.fd_rep, self.cap)
        if data is None:
            raise _GoneError("the program ended (or closed its channel) before answering")
        reply = json.loads(data)
        if type(reply) is not list or not reply:
            raise _GoneError("malformed answer")
        if reply[0] == "V" and len(reply) == 2:
            return from_plain(reply[1])
        if reply[0] == "E" and len(reply) == 3:
            name, message = str(reply[1]), str(reply[2])
            self.raised = f"{name}: {message}" if message else name
            kind = getattr(builtins, name, None)
            if isinstance(kind, type) and issubclass(kind, Exception):
                try:
                    raise kind(message)  # the check may expect it (`except ValueError`)
                except TypeError:
                    pass
            raise _CandidateError(self.raised)
        raise _GoneError("malformed answer")


class _CandidateError(Exception):
    """The graded function raised something the checker cannot re-raise as itself."""


class _GoneError(Exception):
    """No usable answer came back."""


def check(code, source: str, fd_req: int, fd_rep: int, fd_res: int, cap: int) -> None:
    """In the checker process: runs `code` (compiled from `source`; it calls `candidate` and may
    call `report(text)`) and writes {"result": passed|failed|error, "detail": ...} to `fd_res`."""
    proxy = _Proxy(fd_req, fd_rep, cap)
    shown: list[str] = []
    namespace = {"__name__": "__check__", "__builtins__": builtins, "candidate": proxy,
                 "report": lambda text: shown.append(str(text))}
    try:
        if isinstance(code, BaseException):
            raise code
        exec(code, namespace)
        result, detail = "passed", shown[-1] if shown else ""
    except AssertionError as exc:
        result, detail = "failed", _where(exc, source, proxy)
    except BaseException as exc:
        result, detail = "error", _where(exc, source, proxy)
    try:
        _write_all(fd_res, json.dumps({"result": result, "detail": detail, "calls": proxy.calls}).encode())
    except (OSError, ValueError):
        pass


def _where(exc: BaseException, source: str, proxy: _Proxy) -> str:
    """What failed, with the line of the test that failed (the checker's own frames omitted)."""
    text = type(exc).__name__ + (f": {_message(exc)}" if _message(exc) else "")
    if proxy.raised and not isinstance(exc, _CandidateError):
        text += f" (the function raised {proxy.raised})"
    lines = source.split("\n")
    tb, at = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<check>":
            at = tb.tb_lineno
        tb = tb.tb_next
    if at is not None and 0 < at <= len(lines):
        text += f"\n  at check line {at}: {lines[at - 1].strip()[:_TEXT_CAP]}"
    return text
