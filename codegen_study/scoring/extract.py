"""Pulling the program out of a model's raw answer, under two named policies.

Why two: the number a study reports depends on extraction as much as on the model. The
original study's harness (the "seed" harness) and LiveCodeBench's official runner disagree on
answers with several code blocks, with unfenced code and with reasoning traces, so each grader
profile names the policy it uses and the runs table records it.

* ``seed`` -- drop ``<think>...</think>`` (an unclosed ``<think>`` keeps the text from the next
  fence on, or nothing), take the first ```` ```python ```` block (also ``py``/``python3``, any
  case), else the first fenced block of any language, else the whole text; then remove stray
  fence lines (an unclosed fence or a lone closing one) and surrounding blank space.
* ``lcb`` -- LiveCodeBench's rule: the lines between the last two lines containing ```` ``` ````
  (so the last fenced block, whatever its language tag), returned verbatim; ``""`` when there
  are fewer than two fence lines.

Covers: text -> code. Does not cover: running or judging the code (see `grading`), or
HumanEval's body-continuation handling (a grading concern: `harnesses` decides whether the
extracted code is a whole function or a continuation of the prompt).
"""

from __future__ import annotations

import re

from codegen_study.core.vocabulary import EXTRACTIONS, Extraction

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_THINK_OPEN = re.compile(r"<think>", re.IGNORECASE)
# An opening fence with a python tag: ```python, ```py, ```python3 (any case), then the rest
# of that line must be blank.  The body runs to the next ``` (non-greedy).
_PY_BLOCK = re.compile(r"```[ \t]*(?:python3|python|py)[ \t]*\r?\n(.*?)```", re.DOTALL | re.IGNORECASE)
_ANY_BLOCK = re.compile(r"```[^\n`]*\r?\n(.*?)```", re.DOTALL)
_FENCE_LINE = re.compile(r"^[ \t]*```.*$", re.MULTILINE)


def _drop_think(text: str) -> str:
    """Remove closed reasoning blocks; an unclosed one hides everything up to the next fence."""
    text = _THINK_BLOCK.sub("", text)
    opened = _THINK_OPEN.search(text)
    if opened is None:
        return text
    fence = text.find("```", opened.end())
    return text[: opened.start()] + (text[fence:] if fence >= 0 else "")


def _tidy(code: str) -> str:
    """Drop leading blank lines and trailing blank space, keeping the first line's indent.

    Keeping the indent matters for HumanEval-style continuations whose first line is an
    indented function body.
    """
    code = code.rstrip()
    lines = code.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def extract_seed(text: str) -> str:
    """The seed harness's policy (see the module docstring)."""
    text = _drop_think(text)
    match = _PY_BLOCK.search(text) or _ANY_BLOCK.search(text)
    code = match.group(1) if match else text
    code = _FENCE_LINE.sub("", code)
    return _tidy(code)


def extract_lcb(text: str) -> str:
    """LiveCodeBench's policy: lines between the last two lines that contain a fence."""
    lines = text.split("\n")
    fences = [i for i, line in enumerate(lines) if "```" in line]
    if len(fences) < 2:
        return ""
    return "\n".join(lines[fences[-2] + 1 : fences[-1]])


def extract_code(text: str, policy: Extraction = "seed") -> str:
    """The program inside `text` under `policy` ("seed" or "lcb"); "" means no code."""
    if text is None:
        return ""
    if policy == "seed":
        return extract_seed(text)
    if policy == "lcb":
        return extract_lcb(text)
    raise ValueError(f"unknown extraction policy {policy!r} (choose from {', '.join(EXTRACTIONS)})")
