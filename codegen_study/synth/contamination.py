"""Contamination check: word n-gram overlap of synthetic statements with the evaluation problems.

For a corpus statement S and an evaluation statement E, the overlap is the share of S's word
n-grams (lowercased `\\w+` words; sample blocks removed) that also occur in E; a statement's
score is its maximum over all E. N-grams that occur in several evaluation statements (>= 3 of
41 by default) are AtCoder layout boilerplate ("the input is given from standard input in the
following format") rather than content, so they are ignored on both sides -- otherwise every
statement would score well above zero for sharing the format sentence.

Reported per family (max over its statements) for n = 8 and 13; `check` raises when the
13-gram maximum exceeds a threshold. Does not cover near-duplicates inside a corpus (stats.py).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from codegen_study.core.errors import UserError
from codegen_study.core.files import iter_jsonl

NS = (8, 13)
THRESHOLD = 0.2  # max allowed 13-gram overlap ratio
BOILERPLATE_MIN_DOCS = 3
_WORD = re.compile(r"\w+")
_SAMPLES = re.compile(r"\n\s*Sample Input 1\b.*", re.S)


def words(statement: str) -> list[str]:
    return _WORD.findall(_SAMPLES.sub("", statement).lower())


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def read_eval_statements(path: str | Path) -> list[tuple[str, str]]:
    """(title, statement) of each evaluation problem in an LCB-format JSONL file."""
    out = []
    for i, row in iter_jsonl(path, "evaluation file"):
        try:
            out.append((str(row.get("question_title", "")), str(row["question_content"])))
        except (KeyError, TypeError, AttributeError) as exc:
            raise UserError(f"{path}:{i}: not an LCB row with question_content ({exc})") from exc
    return out


class OverlapIndex:
    """n-gram -> evaluation problems holding it, for every n in `ns`."""

    def __init__(self, evals: list[tuple[str, str]], ns: tuple[int, ...] = NS,
                 boilerplate_min_docs: int = BOILERPLATE_MIN_DOCS):
        self.titles = [t for t, _ in evals]
        self.ns = ns
        self.index: dict[int, dict[tuple, set[int]]] = {}
        for n in ns:
            idx: dict[tuple, set[int]] = defaultdict(set)
            for j, (_, text) in enumerate(evals):
                for g in ngrams(words(text), n):
                    idx[g].add(j)
            self.index[n] = {g: s for g, s in idx.items() if len(s) < boilerplate_min_docs}
            self.index[n]["__boilerplate__"] = {g for g, s in idx.items() if len(s) >= boilerplate_min_docs}

    def score(self, statement: str, n: int) -> tuple[float, str]:
        """(max overlap ratio over evaluation statements, title of the closest one)."""
        idx = self.index[n]
        boiler = idx["__boilerplate__"]
        grams = ngrams(words(statement), n) - boiler
        if not grams:
            return 0.0, ""
        hits: Counter[int] = Counter()
        for g in grams:
            for j in idx.get(g, ()):
                hits[j] += 1
        if not hits:
            return 0.0, ""
        j, c = max(hits.items(), key=lambda jc: (jc[1], -jc[0]))  # ties: the first evaluation statement
        return c / len(grams), self.titles[j]


def overlap_by_family(statements: Iterable[tuple[str, str]], index: OverlapIndex) -> dict[str, dict]:
    """family -> {"ngram_8": max, "ngram_13": max, "closest": title} over (family, statement)."""
    out: dict[str, dict] = {}
    seen: set[str] = set()
    for family, text in statements:
        if text in seen:
            continue
        seen.add(text)
        rec = out.setdefault(family, {f"ngram_{n}": 0.0 for n in index.ns} | {"closest": ""})
        for n in index.ns:
            ratio, title = index.score(text, n)
            if ratio > rec[f"ngram_{n}"]:
                rec[f"ngram_{n}"] = round(ratio, 4)
                if n == max(index.ns):
                    rec["closest"] = title
    return dict(sorted(out.items()))


def check(per_family: dict[str, dict], threshold: float = THRESHOLD, n: int = max(NS)) -> None:
    """Raise UserError naming the offending families when any n-gram overlap exceeds threshold."""
    bad = {f: r for f, r in per_family.items() if r.get(f"ngram_{n}", 0.0) > threshold}
    if bad:
        parts = ", ".join(f"{f} ({r[f'ngram_{n}']:.2f} vs {r['closest']!r})" for f, r in sorted(bad.items()))
        raise UserError(f"contamination: {n}-gram overlap above {threshold} with evaluation problems: {parts}")
