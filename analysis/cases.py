"""Case studies chosen automatically: pairs of models that disagree on a problem, side by side.

Why automatic: hand-picked examples drift toward the flattering ones. A case is a problem and two
models compared by the significance table (a design contrast at the same training seed first, e.g.
deep-wide vs diverse-wide, then base vs another model) where one passes and the other fails, under
the primary measure (greedy, final checkpoint, training prompt, primary grading profile). Cases are
taken shortest first (the two programs' combined length), rotating over benchmarks, so each one is
readable and each benchmark is represented.

Everything shown comes from the store: the statement (the `prompts` table, else the benchmark file
beside the runs), the extracted code (`samples`) and the first failing test's input / expected /
actual / stderr (`tests`, recorded at scoring time). No code is re-run here.

Does not cover: sampled decoding, or problems every model passes or fails.
"""

from __future__ import annotations

import polars as pl

from analysis.blocks import code
from analysis.scores import benchmark_order
from analysis.significance import model_pairs

#: truncation of code / test I/O / statements in the case tables (characters)
MAX_CODE = 1200
MAX_IO = 300
MAX_STATEMENT = 600


def kind_rank(kind: str) -> int:
    """0 for a design contrast between trained arms, 1 for a comparison with the base model."""
    return 1 if kind.startswith("base vs") else 0


def truncate(text: str | None, limit: int) -> str:
    """Cut long text, saying how much was cut (so truncation is never silent)."""
    if text is None:
        return ""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… [{len(text) - limit} more characters]"


CASE_SCHEMA = {"benchmark": pl.Utf8, "question_id": pl.Utf8, "title": pl.Utf8, "url": pl.Utf8, "kind": pl.Utf8,
               "passed_by": pl.Utf8, "failed_by": pl.Utf8, "length": pl.Int64}


def disagreements(rows: pl.DataFrame, samples: pl.DataFrame) -> pl.DataFrame:
    """Every (problem, compared pair) where exactly one model passes, with the programs' length."""
    rows = rows.filter(pl.col("subset") == "all")
    code = rows.join(samples.select("run_id", "question_id", "sample_id", "code"),
                     on=["run_id", "question_id", "sample_id"], how="left")
    arms, seeds = dict(zip(rows["model"], rows["arm"])), dict(zip(rows["model"], rows["train_seed"]))
    out = []
    for (bench,), g in code.group_by("benchmark", maintain_order=True):
        by_model = {m: {r["question_id"]: r for r in x.iter_rows(named=True)}
                    for (m,), x in g.partition_by("model", as_dict=True).items()}
        for a, b, kind in model_pairs(list(by_model), arms, seeds):
            for qid in sorted(set(by_model[a]) & set(by_model[b])):
                ra, rb = by_model[a][qid], by_model[b][qid]
                if ra["ok"] == rb["ok"]:
                    continue
                win, lose = (ra, rb) if ra["ok"] else (rb, ra)
                out.append(dict(benchmark=bench, question_id=qid, title=ra["title"], url=ra["url"], kind=kind,
                                passed_by=win["model"], failed_by=lose["model"],
                                length=len(win["code"] or "") + len(lose["code"] or "")))
    return pl.DataFrame(out, schema=CASE_SCHEMA, orient="row") if out else pl.DataFrame(schema=CASE_SCHEMA)


def pick_cases(rows: pl.DataFrame, samples: pl.DataFrame, max_cases: int = 3) -> pl.DataFrame:
    """Disagreements between trained arms first, shortest first, one problem once, rotating benchmarks."""
    found = disagreements(rows, samples)
    if found.height == 0 or max_cases <= 0:
        return found.clear()
    found = found.with_columns(rank=pl.col("kind").map_elements(kind_rank, return_dtype=pl.Int64)).sort(
        "rank", "length", "question_id", "passed_by").unique(subset=["benchmark", "question_id"], keep="first",
                                                              maintain_order=True)
    queues = {b: found.filter(pl.col("benchmark") == b).sort("rank", "length", "question_id").to_dicts()
              for b in benchmark_order(found["benchmark"].to_list())}
    picked: list[dict] = []
    while len(picked) < max_cases and any(queues.values()):
        for bench in list(queues):
            if queues[bench] and len(picked) < max_cases:
                picked.append(queues[bench].pop(0))
    return pl.DataFrame([{k: r[k] for k in CASE_SCHEMA} for r in picked], schema=CASE_SCHEMA)


def statement_of(prompts: pl.DataFrame, statements: dict[str, str], benchmark: str, question_id: str) -> str | None:
    """The problem statement: the user turn of a stored prompt, else the benchmark file's text."""
    if prompts.height:
        hit = prompts.filter((pl.col("benchmark") == benchmark) & (pl.col("question_id") == question_id)
                             & (pl.col("prompt") == "train"))
        if hit.height:
            return user_turn(hit["text"][0])
    return statements.get(question_id)


def user_turn(text: str) -> str:
    """The user message of a rendered chat prompt (the whole text if no chat markers are found)."""
    start = text.find("<|im_start|>user\n")
    if start < 0:
        return text
    body = text[start + len("<|im_start|>user\n"):]
    end = body.find("<|im_end|>")
    return body[:end] if end >= 0 else body


def case_detail(rows: pl.DataFrame, samples: pl.DataFrame, tests: pl.DataFrame, case: dict) -> list[dict]:
    """For the passing and the failing model: step, verdict, code, first failing test."""
    sub = rows.filter((pl.col("subset") == "all") & (pl.col("benchmark") == case["benchmark"])
                      & (pl.col("question_id") == case["question_id"])
                      & pl.col("model").is_in([case["passed_by"], case["failed_by"]]))
    sub = sub.join(samples.select("run_id", "question_id", "sample_id", "code"),
                   on=["run_id", "question_id", "sample_id"], how="left")
    failing = (tests.filter(pl.col("verdict") != "passed").sort("test_index")
               .group_by("run_id", "question_id", "sample_id", maintain_order=True).first()
               .select("run_id", "question_id", "sample_id", "test_index", "public", "input", "expected", "actual",
                       "stderr"))
    sub = sub.join(failing, on=["run_id", "question_id", "sample_id"], how="left")
    by = {r["model"]: r for r in sub.iter_rows(named=True)}
    return [by[m] for m in (case["passed_by"], case["failed_by"]) if m in by]


def case_markdown(case: dict, statement: str | None, detail: list[dict]) -> str:
    """One case as Markdown: a heading, the statement excerpt, then per model its verdict, its
    extracted code and its first failing test (input / expected / actual / stderr)."""
    link = f"[{case['title']}]({case['url']})" if case["url"] else case["title"]
    parts = [f"#### {link} ({case['benchmark']}, `{case['question_id']}`): {case['passed_by']} passes, "
             f"{case['failed_by']} fails {{.unnumbered}}"]
    parts.append("*Statement not stored for this problem.*" if not statement
                 else "Statement (excerpt):\n" + code(truncate(statement, MAX_STATEMENT), "text"))
    for r in detail:
        mark = ("✓ " if r["verdict"] == "passed" else "✗ ") + (r["verdict"] or "")
        if r["verdict"] == "passed":
            test = ""
        elif r["test_index"] is None:
            test = "; no test ran (no code extracted)" if r["verdict"] == "no_code" else "; failing test not recorded"
        else:
            test = f"; first failing test: test {r['test_index']} ({'public' if r['public'] else 'private'})"
        parts.append(f"**{r['model']}** (step {r['step']}): {mark}{test}.")
        parts.append(code(truncate(r["code"], MAX_CODE), "python") if r["code"] else "*No code extracted.*")
        io = [f"{name}:\n{truncate(r[name], MAX_IO).rstrip()}" for name in ("input", "expected", "actual", "stderr")
              if r["verdict"] != "passed" and r.get(name)]
        if io:
            parts.append(code("\n".join(io), "text"))
    return "\n\n".join(parts)
