"""LiveCodeBench's test-case fields decoded without trusting them.

``private_test_cases`` is plain JSON or base64 -> zlib -> pickle -> JSON. A pickle can run any
code when loaded, and benchmark rows come from the internet, so the pickle is read with
`_RestrictedUnpickler`, which builds only str/bytes/list/dict/int/float/bool/None and refuses every
global; the inflated size is capped while inflating, so a compression bomb stops before it fills
memory. Covers: decoding. Does not cover: what a test case means (`problems`, `grading`).
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from typing import Any

#: a compressed test-case field may expand to at most this much (LiveCodeBench's largest are far below)
MAX_TEST_DATA_BYTES = 512 << 20


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that refuses every global: only pickle's built-in opcodes can build objects."""

    def find_class(self, module: str, name: str):  # noqa: D401 - pickle hook
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing persistent ids")


_PLAIN = (str, bytes, int, float, bool, type(None))


def _check_plain(obj: Any, depth: int = 0) -> None:
    """Reject anything but str/bytes/list/dict/int/float/bool/None (tuples, sets, bytearrays...)."""
    if depth > 100:
        raise pickle.UnpicklingError("nesting too deep")
    if isinstance(obj, _PLAIN) and type(obj) in _PLAIN:
        return
    if type(obj) is list:
        for x in obj:
            _check_plain(x, depth + 1)
        return
    if type(obj) is dict:
        for k, v in obj.items():
            _check_plain(k, depth + 1)
            _check_plain(v, depth + 1)
        return
    raise pickle.UnpicklingError(f"refusing to build {type(obj).__name__}")


def safe_unpickle(data: bytes) -> Any:
    """Unpickle `data` allowing only plain data types; anything else raises UnpicklingError."""
    obj = _RestrictedUnpickler(io.BytesIO(data)).load()
    _check_plain(obj)
    return obj


def decode_test_cases(value: Any) -> list[dict]:
    """Test cases from a row field: a list, plain JSON, or base64 -> zlib -> pickle -> JSON.

    Raises ValueError (with the reason) when the value is none of those.
    """
    if value is None or value == "":
        return []
    if isinstance(value, list):
        cases = value
    else:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        try:
            cases = json.loads(value)
        except json.JSONDecodeError:
            try:
                inflate = zlib.decompressobj()
                raw = inflate.decompress(base64.b64decode(value.encode("ascii"), validate=False),
                                         MAX_TEST_DATA_BYTES + 1)  # a bomb stops here, not in memory
                if not inflate.eof and len(raw) <= MAX_TEST_DATA_BYTES:
                    raise zlib.error("incomplete or truncated stream")
            except (ValueError, zlib.error, UnicodeEncodeError) as exc:
                raise ValueError(f"neither JSON nor base64+zlib data ({exc})") from None
            if len(raw) > MAX_TEST_DATA_BYTES:
                raise ValueError(f"compressed test data expands beyond {MAX_TEST_DATA_BYTES >> 20} MiB") from None
            try:
                inner = safe_unpickle(raw)
            except Exception as exc:  # any unpickling failure is bad input, not a crash
                raise ValueError(f"unsafe or broken pickle: {exc}") from None
            if isinstance(inner, bytes):
                inner = inner.decode("utf-8")
            cases = json.loads(inner) if isinstance(inner, str) else inner
    if not isinstance(cases, list):
        raise ValueError("test cases must be a list")
    for case in cases:
        if not isinstance(case, dict) or "input" not in case or "output" not in case:
            raise ValueError("each test case needs 'input' and 'output'")
    return cases
