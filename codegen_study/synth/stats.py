"""The corpus card: numbers that show how the four arms and the held-out set differ.

Reads corpus files (CodeGen-schema rows, or LiveCodeBench rows for the held-out benchmark) and
the `<file>.meta.json` build report written next to each by `codegen-study synth`, and returns a
tidy table of (corpus, metric, value) rows: families, unique problems, solutions per problem,
rows per family (min / median / max: coverage), within-problem solution distinctness (distinct
solutions per problem, raw and after normalising away comments and layout, and the share of
problems whose solutions are all distinct: shape), split sizes and overlap, length distributions
(characters; the estimated token total of assignment.py always, SmolLM2 or other tokens and the
corpus's token total when a tokenizer is given -- the arms must be of equal size), distinct n-gram
ratios of statements and solutions *as rows* (so repeated statements count), near-duplicate
statements, dropped counts, the maximum contamination overlap with the evaluation problems, and
the seed's family assignment: families and problems per group (narrow, wide_only, unseen) and, as
text rows `assignment_<group>` (and `assignment_shots`), the family names themselves. Values are
numbers except those text rows; a card holding text is written with a text `value` column.

Does not cover building corpora (corpus.py) or plotting (analysis/).
"""

from __future__ import annotations

import io
import json
import re
import tokenize as pytokenize
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from codegen_study.core.errors import UserError
from codegen_study.core.files import iter_jsonl
from codegen_study.core.vocabulary import HELDOUT_GROUPS
from codegen_study.synth.assignment import estimate_tokens

_WORD = re.compile(r"\w+|[^\w\s]")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def meta_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".meta.json")


def read_rows(path: str | Path) -> list[dict]:
    return [row for _, row in iter_jsonl(path, "corpus")]


def normalise_statement(text: str) -> str:
    """Lowercase, digits collapsed to 0, whitespace collapsed: the near-duplicate hash input."""
    return _SPACE.sub(" ", _DIGITS.sub("0", text.lower())).strip()


def normalise_code(code: str) -> str:
    """A program's Python tokens without comments, blank lines or layout: two solutions that differ
    only in those normalise alike. Code that does not tokenize is compared whitespace-collapsed."""
    skip = (pytokenize.COMMENT, pytokenize.NL, pytokenize.NEWLINE, pytokenize.INDENT, pytokenize.DEDENT,
            pytokenize.ENDMARKER)
    try:
        toks = [t.string for t in pytokenize.generate_tokens(io.StringIO(code).readline) if t.type not in skip]
    except (pytokenize.TokenError, SyntaxError):
        return _SPACE.sub(" ", code).strip()
    return " ".join(toks)


def distinct_ngram_ratio(texts: list[str], n: int = 4) -> float:
    """Distinct word n-grams / all word n-grams over `texts` (1.0 = nothing repeats)."""
    total, distinct = 0, set()
    for t in texts:
        toks = _WORD.findall(t)
        for i in range(len(toks) - n + 1):
            distinct.add(hash(tuple(toks[i:i + n])))  # in-process only: never persisted
            total += 1
    return len(distinct) / total if total else 0.0


def _dist(prefix: str, values: list[int]) -> dict[str, float]:
    if not values:
        return {}
    v = sorted(values)
    pick = lambda q: float(v[min(len(v) - 1, int(q * len(v)))])  # noqa: E731
    return {f"{prefix}_mean": sum(v) / len(v), f"{prefix}_p50": pick(0.5), f"{prefix}_p90": pick(0.9),
            f"{prefix}_max": float(v[-1])}


def normalise_rows(rows: list, path: Path) -> list[dict]:
    """CodeGen rows as they are; LCB rows mapped to (problem_id, family, input, solution...).

    The first row decides which kind the file holds; every row is checked (a JSON object, its
    fields of the right types, LCB metadata and tests that decode), naming the line of the first
    that is wrong, so no bad row reaches the metrics."""
    for i, r in enumerate(rows, 1):
        if not isinstance(r, dict):
            raise UserError(f"{path}:{i}: expected a JSON object")
    if rows and "question_content" in rows[0]:
        out = []
        for i, r in enumerate(rows, 1):
            where = f"{path}:{i}"
            if "question_content" not in r:
                raise UserError(f"{where}: a corpus row in a file of LiveCodeBench rows (taken from line 1)")
            for k in ("question_id", "question_content", "public_test_cases"):
                if not isinstance(r.get(k), str):
                    raise UserError(f"{where}: {k} must be a string")
            meta = _json_field(r.get("metadata") or "{}", where, "metadata")
            if not isinstance(meta, dict):
                raise UserError(f"{where}: metadata must hold a JSON object")
            sols = meta.get("reference_solutions") or [""]
            if not isinstance(sols, list) or not all(isinstance(x, str) for x in sols):
                raise UserError(f"{where}: metadata.reference_solutions must be a list of strings")
            tests = [_json_field(r.get(k) or "[]", where, k) if isinstance(r.get(k) or "[]", str) else None
                     for k in ("public_test_cases", "private_test_cases")]
            if not all(isinstance(t, list) for t in tests):
                raise UserError(f"{where}: public_test_cases and private_test_cases must hold JSON lists")
            for s in sols:
                out.append({"problem_id": r["question_id"], "family": str(meta.get("family", "")),
                            "input": r["question_content"], "solution": s, "output": s, "split": "test",
                            "group": str(meta.get("group", "")), "n_tests": len(tests[0]) + len(tests[1])})
        return out
    for i, r in enumerate(rows, 1):
        where = f"{path}:{i}"
        if "question_content" in r:
            raise UserError(f"{where}: a LiveCodeBench row in a corpus file (kind taken from line 1)")
        for k in ("problem_id", "input", "solution", "output", "split"):
            if k not in r:
                raise UserError(f"{where}: row lacks {k!r}")
        if not isinstance(r["problem_id"], (str, int)) or isinstance(r["problem_id"], bool):
            raise UserError(f"{where}: problem_id must be a string")
        for k in ("input", "solution", "output", "split", "family", "group"):
            if k in r and not isinstance(r[k], str):
                raise UserError(f"{where}: {k} must be a string")
    return rows


def _json_field(text, where: str, name: str):
    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError):
        raise UserError(f"{where}: {name} is not valid JSON") from None


def _read_meta(path: Path) -> dict:
    """The `<file>.meta.json` build report (empty when absent); a bad one is a one-line error."""
    mp = meta_path(path)
    if not mp.exists():
        return {}
    try:
        meta = json.loads(mp.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise UserError(f"{mp}: cannot read the build report: {exc}") from None
    if not isinstance(meta, dict):
        raise UserError(f"{mp}: the build report must be a JSON object")
    assignment = meta.get("assignment") or {}
    if not isinstance(assignment, dict) or not all(
            isinstance(v, list) and all(isinstance(f, str) for f in v) for v in assignment.values()):
        raise UserError(f"{mp}: assignment must map groups to lists of family names")
    for k in ("seed", "dropped_rows", "dropped_problems", "seconds_generate", "seconds_verify"):
        if k in meta and (not isinstance(meta[k], (int, float)) or isinstance(meta[k], bool)):
            raise UserError(f"{mp}: {k} must be a number")
    return meta


def corpus_metrics(path: str | Path, tokenize: Callable[[str], int] | None = None,
                   index=None) -> dict[str, float | str]:
    path = Path(path)
    raw = read_rows(path)
    rows = normalise_rows(raw, path)
    by_problem: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_problem[r["problem_id"]].append(r)
    m: dict[str, float] = {"rows": len(raw), "problems": len(by_problem),
                           "families": len({r.get("family", "") for r in rows})}
    per = [len(v) for v in by_problem.values()] or [0]
    normalised = [len({normalise_code(r["solution"]) for r in v}) for v in by_problem.values()]
    m |= {"solutions_per_problem_mean": sum(per) / len(per), "solutions_per_problem_min": min(per),
          "solutions_per_problem_max": max(per),
          "distinct_solutions_per_problem_mean":
              sum(len({r["solution"] for r in v}) for v in by_problem.values()) / max(1, len(by_problem)),
          "distinct_normalised_solutions_per_problem_mean": sum(normalised) / max(1, len(normalised)),
          "problems_all_solutions_distinct_share":
              sum(n == len(v) for n, v in zip(normalised, by_problem.values())) / max(1, len(by_problem))}
    is_benchmark = bool(raw) and "question_content" in raw[0]
    per_family: dict[str, int] = defaultdict(int)  # a benchmark's rows are its problems
    for r in ([v[0] for v in by_problem.values()] if is_benchmark else rows):
        per_family[r.get("family", "")] += 1
    fam_rows = sorted(per_family.values()) or [0]
    m |= {"rows_per_family_min": fam_rows[0], "rows_per_family_p50": _median(fam_rows),
          "rows_per_family_max": fam_rows[-1]}
    splits: dict[str, set] = defaultdict(set)
    for r in rows:
        splits[r["split"]].add(r["problem_id"])
        if not is_benchmark:  # a benchmark's rows are problems, not (problem, solution) rows
            m[f"rows_{r['split']}"] = m.get(f"rows_{r['split']}", 0) + 1
    names = sorted(splits)
    m["problems_in_two_splits"] = len({p for i, a in enumerate(names)
                                         for b in names[i + 1:] for p in splits[a] & splits[b]})
    meta = _read_meta(path)
    assignment = meta.get("assignment") or {}
    if assignment and not is_benchmark:  # a corpus's rows take the group of their family
        group_of = {f: g for g, fams in assignment.items() for f in fams}
        rows = [{**r, "group": group_of.get(r.get("family", ""), "")} for r in rows]
    if any(r.get("group") for r in rows):
        for g in HELDOUT_GROUPS:
            m[f"problems_{g}"] = len({r["problem_id"] for r in rows if r.get("group") == g})
            m[f"families_{g}"] = len({r["family"] for r in rows if r.get("group") == g})
    if is_benchmark:
        m["tests_per_problem_mean"] = sum(v[0]["n_tests"] for v in by_problem.values()) / max(1, len(by_problem))
    statements = {pid: v[0]["input"] for pid, v in by_problem.items()}
    m["near_duplicate_statements"] = len(statements) - len({normalise_statement(s) for s in statements.values()})
    m |= _dist("statement_chars", [len(r["input"]) for r in rows])
    m |= _dist("solution_chars", [len(r["solution"]) for r in rows])
    if not is_benchmark:
        m |= _dist("output_chars", [len(r["output"]) for r in rows])
        m["tokens_estimate_total"] = sum(estimate_tokens(r["input"]) + estimate_tokens(r["output"]) for r in rows)
    if tokenize is not None:
        statement_tokens = [tokenize(r["input"]) for r in rows]
        m |= _dist("statement_tokens", statement_tokens)
        if not is_benchmark:
            output_tokens = [tokenize(r["output"]) for r in rows]
            m |= _dist("output_tokens", output_tokens)
            m["tokens_total"] = sum(statement_tokens) + sum(output_tokens)
    m["statement_distinct_4gram"] = distinct_ngram_ratio([r["input"] for r in rows])
    m["solution_distinct_4gram"] = distinct_ngram_ratio([r["solution"] for r in rows])
    m["statement_distinct_2gram"] = distinct_ngram_ratio([r["input"] for r in rows], 2)
    m["solution_distinct_2gram"] = distinct_ngram_ratio([r["solution"] for r in rows], 2)
    if index is not None:
        from codegen_study.synth.contamination import overlap_by_family

        per_fam = overlap_by_family(((r.get("family", ""), s) for r, s in
                                     ((v[0], v[0]["input"]) for v in by_problem.values())), index)
        for n in index.ns:
            m[f"contamination_{n}gram_max"] = max((r[f"ngram_{n}"] for r in per_fam.values()), default=0.0)
    if meta:
        for k in ("seed", "dropped_rows", "dropped_problems", "seconds_generate", "seconds_verify"):
            if k in meta:
                m[k] = float(meta[k])
        m["verified"] = float(bool(meta.get("verified")))
    out: dict[str, float | str] = {k: float(v) for k, v in m.items()}
    named = (*HELDOUT_GROUPS, "shots")
    for g in named:
        if g in assignment:
            out[f"assignment_families_{g}"] = float(len(assignment[g]))
    for g in named:
        if g in assignment:
            out[f"assignment_{g}"] = ", ".join(assignment[g])
    return out


def _median(values: list[int]) -> float:
    n = len(values)
    return float(values[n // 2]) if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def make_tokenizer(name: str) -> Callable[[str], int]:
    """Token counter from a HF tokenizer name/folder, a .gguf file or `dist:file.gguf` (via transformers)."""
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise UserError(f"--tokenizer needs transformers installed ({exc})") from exc
    try:
        if name.endswith(".gguf"):  # a file, or `distribution:file.gguf` inside an installed package
            from codegen_study.models import resolve_gguf

            p = resolve_gguf(name)
            tok = AutoTokenizer.from_pretrained(str(p.parent), gguf_file=p.name)
        else:
            tok = AutoTokenizer.from_pretrained(name)
    except UserError:
        raise
    except Exception as exc:
        raise UserError(f"cannot load tokenizer {name!r}: {exc}") from exc
    return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])


def card(paths: list[str | Path], tokenizer: str | None = None, eval_file: str | Path | None = None) -> list[dict]:
    """Tidy rows {corpus, metric, value} for every corpus file in `paths`."""
    tokenize = make_tokenizer(tokenizer) if tokenizer else None
    index = None
    if eval_file is not None and Path(eval_file).exists():
        from codegen_study.synth.contamination import OverlapIndex, read_eval_statements

        index = OverlapIndex(read_eval_statements(eval_file))
    out = []
    for p in paths:
        name = Path(p).name.removesuffix(".jsonl")
        for metric, value in corpus_metrics(p, tokenize, index).items():
            out.append({"corpus": name, "metric": metric, "value": value})
    return out


def format_card(rows: list[dict]) -> str:
    """The card as a fixed-width text table: one line per metric, one column per corpus."""
    corpora = list(dict.fromkeys(r["corpus"] for r in rows))
    metrics = list(dict.fromkeys(r["metric"] for r in rows))
    val = {(r["corpus"], r["metric"]): r["value"] for r in rows}
    width = max([len(m) for m in metrics] + [6])
    cw = max([len(c) for c in corpora] + [10])
    lines = [f"{'metric':<{width}}  " + "  ".join(f"{c:>{cw}}" for c in corpora)]
    texts = []
    for m in metrics:
        cells = []
        for c in corpora:
            v = val.get((c, m))
            if isinstance(v, str):
                cells.append(f"{'(below)':>{cw}}")
                if (m, v) not in texts:
                    texts.append((m, v))
            else:
                cells.append(f"{'':>{cw}}" if v is None else f"{v:>{cw}.0f}" if float(v).is_integer()
                             else f"{v:>{cw}.3f}")
        lines.append(f"{m:<{width}}  " + "  ".join(cells))
    lines += [f"{m}: {v}" for m, v in texts]
    return "\n".join(lines)


def value_text(value: float | str) -> str:
    """A card value as text (integers without a trailing `.0`), for a card that holds text rows."""
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"
