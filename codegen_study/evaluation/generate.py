"""The evaluation phases: base model + every checkpoint of a run -> completions -> scored samples.

What runs: greedy decoding for the base model (model "base", step 0) and every
`checkpoint-step-N/` of the run folder (model = the run's `[run] name` and training seed, e.g.
`deep-s1`, step N), on every benchmark of `[eval] benchmarks`, under every prompt style of
`[eval] prompts` (`train`: exactly the training conversation; `lcb`: LiveCodeBench's instruction
wording; see `prompts`); sampling (n, temperature, top_p: LiveCodeBench's 10 / 0.2 / 0.95) only for
the labels in `sample_checkpoints` ("base", "final" = last checkpoint, "best" = lowest validation
loss in the run's losses table) and the styles in `sample_prompts`. The base is loaded once;
adapters are attached and switched without reloading it. The rendered prompt of one problem per
benchmark and style goes into the store's `prompts` table, so the report can show it verbatim.

Why it is split in two phases: generation needs a GPU and no polars; scoring needs the sandbox
and runs on CPU. `--generate-only` writes completions (standard library + torch only, so it runs
on a bare GPU machine) and `--score-only` grades completions already stored; with neither flag
both run. Both phases resume: completions are appended batch by batch and keyed by (model, step,
benchmark, prompt, decoding, question_id, sample_id); scoring skips samples already in the store.
Under torchrun / accelerate launch, `generate_all` runs in every rank and writes only that rank's
share of each engine call (`distributed.share`) into the same store; see `evaluate`.

Covers: the `[eval]` config and the two phases. Does not cover: the command line (`evaluate`),
prompt text (`prompts`), decoding (`engine`), grading (`scoring`, `grading`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from codegen_study.core.config import (
    to_dict,
)
from codegen_study.core.errors import UserError
from codegen_study.core.provenance import device_facts
from codegen_study.core.vocabulary import ENGINES, EXTRACTIONS, GRADERS, PROMPT_STYLES, TRACKERS
from codegen_study.evaluation.targets import (
    SAMPLE_LABELS,
    Target,
    best_step,
    plan_targets,
    table_rows,
)
from codegen_study.store import COMPLETIONS, PROMPTS, Store
from codegen_study.tasks.benchmark_kind import BenchmarkKind
from codegen_study.tasks.sources import DEFAULT_SOURCES, kind_of

if TYPE_CHECKING:
    from codegen_study.tasks.prompts import Prompt

__all__ = ["EvalConfig", "Target", "best_step", "plan_targets", "generate_all", "score_all"]


@dataclass(frozen=True)
class EvalConfig:
    """The `[eval]` table. `graders` maps a benchmark to "grader/extraction" pairs (default: its
    benchmark kind's, `BenchmarkKind.graders`: all four seed/lcb combinations for LCB-format
    benchmarks, humaneval/seed for HumanEval)."""

    benchmarks: tuple[str, ...] = tuple(DEFAULT_SOURCES)
    sources: dict[str, str] = field(default_factory=dict)  # overrides DEFAULT_SOURCES
    prompts: tuple[str, ...] = PROMPT_STYLES  # prompt styles every model is generated under
    sample_prompts: tuple[str, ...] = ("train",)  # styles that also get the sampling decoding
    greedy: bool = True
    sample_checkpoints: tuple[str, ...] = SAMPLE_LABELS
    n_samples: int = 10
    temperature: float = 0.2
    top_p: float = 0.95
    max_new_tokens: int = 512
    batch_size: int = 32
    engine: str = "static"
    shared_batch: bool = True  # every model state from one engine, adapters per row (else one at a time)
    max_adapters: int = 16  # adapters in one engine call of the shared batch
    # checkpoints that are not sampled get only these benchmarks / prompt styles (None: all)
    intermediate_benchmarks: tuple[str, ...] | None = None
    intermediate_prompts: tuple[str, ...] | None = None
    seed: int = 0
    graders: dict[str, Any] = field(default_factory=dict)
    workers: int | None = None  # sandbox processes for scoring (None: two per CPU)
    timeout: float | None = None  # per-test limit for every grader (None: each grader's own)
    # Sampled decodings are scored with matching grader/extraction pairs only (seed/seed,
    # lcb/lcb): the cross pairs measure extraction sensitivity, which greedy runs already show.
    cross_extraction_sampled: bool = False
    report_to: str = "none"  # also log each scoring run's pass@1 to a tracker (see `tracking`)
    limit: int | None = None  # first N problems of each benchmark
    output_dir: str | None = None  # default: the run folder
    shots: str | None = None  # corpus-format JSONL of solved examples shown before each question (prompts.load_shots)

    def __post_init__(self) -> None:
        if self.shots is not None and (not isinstance(self.shots, str) or not self.shots.strip()):
            raise ValueError(f"shots must be the path of a JSONL file of solved examples, got {self.shots!r}")
        for name in ("prompts", "sample_prompts"):
            bad = [p for p in getattr(self, name) if p not in PROMPT_STYLES]
            if bad:
                raise ValueError(f"{name}: {bad[0]!r} is not a prompt style ({', '.join(PROMPT_STYLES)})")
        if not self.prompts:
            raise ValueError("prompts: give at least one prompt style")
        if self.report_to not in TRACKERS:
            raise ValueError(f"report_to must be one of {', '.join(TRACKERS)}, got {self.report_to!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        for name in ("n_samples", "max_new_tokens", "batch_size", "max_adapters"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not (self.temperature > 0 and 0 < self.top_p <= 1):
            raise ValueError("sampling needs temperature > 0 and 0 < top_p <= 1")
        bad = [s for s in self.sample_checkpoints if s not in SAMPLE_LABELS and not re.fullmatch(r"\d+", s)]
        if bad:
            raise ValueError(f"sample_checkpoints: {bad[0]!r} is not base, final, best or a step number")
        for bench, pairs in self.graders.items():
            for pair in [pairs] if isinstance(pairs, str) else pairs:
                if not is_grader_pair(pair):
                    raise ValueError(f"graders.{bench}: {pair!r} is not GRADER/EXTRACTION (e.g. lcb/seed)")

    def source(self, name: str) -> str:
        spec = {**DEFAULT_SOURCES, **self.sources}.get(name)
        if spec is None:
            raise UserError(f"[eval] benchmark {name!r} has no source: add sources.{name} = \"PATH\"")
        return spec

    def grader_pairs(self, name: str, kind: BenchmarkKind) -> list[tuple[str, str]]:
        """(grader, extraction) pairs benchmark `name` is scored under: `graders.NAME`, else its kind's."""
        pairs = self.graders.get(name)
        if not pairs:
            return list(kind.graders)
        pairs = [pairs] if isinstance(pairs, str) else pairs
        return [tuple(p.split("/")) for p in pairs]


def is_grader_pair(pair) -> bool:
    """Whether `pair` is "GRADER/EXTRACTION", both known (`lcb/seed`)."""
    grader, sep, extraction = str(pair).partition("/")
    return bool(sep) and grader in GRADERS and extraction in EXTRACTIONS


def decodings(cfg: EvalConfig, target: Target, prompt: str) -> list[tuple[str, dict]]:
    """(decoding name, engine kwargs) pairs for a target under prompt style `prompt`."""
    out = [("greedy", {"temperature": 0.0, "top_p": 1.0, "n": 1})] if cfg.greedy else []
    if target.sampled and prompt in cfg.sample_prompts:
        out.append(("sampling", {"temperature": cfg.temperature, "top_p": cfg.top_p, "n": cfg.n_samples}))
    return out


# -- the two phases -------------------------------------------------------------------------
def work_for(cfg: EvalConfig, target: Target, benchmarks: dict[str, list]) -> list[tuple]:
    """(benchmark, prompt, decoding, kwargs, problems, keys) a target is generated on.

    Checkpoints that are neither sampled nor named in `sample_checkpoints`' labels (the
    intermediate ones) get only `intermediate_benchmarks` x `intermediate_prompts`, when set."""
    work = []
    for bench, problems in benchmarks.items():
        if not target.full and cfg.intermediate_benchmarks is not None and bench not in cfg.intermediate_benchmarks:
            continue
        for prompt in cfg.prompts:
            if not target.full and cfg.intermediate_prompts is not None and prompt not in cfg.intermediate_prompts:
                continue
            for dec, kw in decodings(cfg, target, prompt):
                keys = [(target.model, target.step, bench, prompt, dec, p.id, s) for p in problems
                        for s in range(kw["n"])]
                work.append((bench, prompt, dec, kw, problems, keys))
    return work


def generate_all(cfg: EvalConfig, model_cfg, targets: list[Target], benchmarks: dict[str, list],
                 store: Store | Callable[[Target], Store], *, device: str | None = None, prompt: Prompt | None = None,
                 log=print, rank: int = 0, world: int = 1) -> dict[str, Any]:
    """Write every missing completion of `targets`; returns facts about the device for env.json.

    `prompt` holds the format and system prompt the models were trained with (`Prompt.from_data`);
    each request takes its style from `cfg.prompts` and its shots from its target. `store` is one
    store for every target, or a function giving each target its own. The base is
    loaded once. With `cfg.shared_batch` every model state is served from one engine: requests
    name their adapter, and one engine call per decoding decodes the rows of up to
    `cfg.max_adapters` adapters together (`adapter_bank`); without it each state is attached with
    peft and decoded alone. With `world` > 1 this process is rank `rank` of a job and writes only
    its share of each engine call's requests (`distributed.share`)."""
    from codegen_study.models import load_model
    from codegen_study.tasks.prompts import Prompt

    store_of = store if callable(store) else (lambda _t: store)
    prompt = Prompt() if prompt is None else prompt
    pending = []  # (target, work with only what is missing; every key under world > 1)
    for target in targets:
        done = store_of(target).done_keys("completions")
        work = [w for w in work_for(cfg, target, benchmarks) if world > 1 or any(k not in done for k in w[5])]
        if work:
            pending.append((target, work, done))
        else:
            log(f"{target.model} step {target.step}: all completions already stored")
    if not pending:
        return device_facts(model=None)
    t0 = time.perf_counter()
    model, tokenizer = load_model(model_cfg, device=device)
    log(f"loaded {model_cfg.name_or_path} in {time.perf_counter() - t0:.1f} s on {next(model.parameters()).device}")
    if rank == 0:
        for st in {id(store_of(t)): store_of(t) for t, _, _ in pending}.values():
            record_prompts(st, tokenizer, benchmarks, cfg.prompts, prompt)
    run = _generate_shared if cfg.shared_batch else _generate_per_target
    run(cfg, model, tokenizer, pending, store_of, prompt=prompt, log=log, rank=rank, world=world)
    return device_facts(model=model)


def _requests(tokenizer, target: Target, work, done, *, prompt: Prompt, world, adapter=None) -> dict:
    """{decoding: (kwargs, engine requests)} of one target's missing completions, each under
    `prompt` with the work's style and the target's shots."""
    from codegen_study.evaluation import engine as eng
    from codegen_study.tasks.prompts import load_shots, prompt_ids

    by_decoding: dict[str, tuple[dict, list]] = {}
    cache: dict[tuple[str, str, str], tuple[int, ...]] = {}
    shots = load_shots(target.shots) if target.shots else ()
    for bench, style, dec, kw, problems, keys in work:
        styled = replace(prompt, style=style, shots=shots)
        for p in problems:
            cache.setdefault((bench, style, p.id), tuple(prompt_ids(tokenizer, p, styled)))
        by_decoding.setdefault(dec, (kw, []))[1].extend(
            eng.Request(k, cache[(bench, style, k[5])], adapter) for k in keys if world > 1 or k not in done)
    return by_decoding


def _generate_shared(cfg, model, tokenizer, pending, store_of, *, prompt, log, rank, world) -> None:
    """Every target's requests through one engine, up to `cfg.max_adapters` adapters a call.

    Greedy decoding goes first, in one call per adapter group; sampled decoding then goes benchmark
    by benchmark in `[eval] benchmarks` order, so a generation stopped part-way (a GPU session's
    end) leaves whole benchmarks sampled, the first one first, rather than a scatter of problems."""
    from codegen_study.tasks.prompts import stop_ids

    stops, pad = stop_ids(tokenizer, model), tokenizer.pad_token_id
    by_name = {adapter_name(t): t for t, _, _ in pending}
    calls: dict[tuple[str, str | None], tuple[dict, list]] = {}
    for target, work, done in pending:
        name = adapter_name(target) if target.adapter is not None else None
        for dec, (kw, reqs) in _requests(tokenizer, target, work, done, prompt=prompt, world=world,
                                         adapter=name).items():
            for r in reqs:
                calls.setdefault((dec, None if dec == "greedy" else r.key[2]), (kw, []))[1].append((target, r))
    order = {b: i for i, b in enumerate(cfg.benchmarks)}
    for (dec, _), (kw, pairs) in sorted(calls.items(), key=lambda c: (c[0][0] != "greedy", order.get(c[0][1], -1))):
        names = list(dict.fromkeys(r.adapter for _, r in pairs if r.adapter is not None))
        groups = [names[i:i + cfg.max_adapters] for i in range(0, len(names), cfg.max_adapters)] or [[]]
        for g, group in enumerate(groups):
            chosen = set(group) | ({None} if g == 0 else set())  # the base rides with the first group
            part = [(t, r) for t, r in pairs if r.adapter in chosen]
            adapters = {n: by_name[n].adapter for n in group}
            _decode(cfg, model, tokenizer, part, dec, kw, stops, pad, store_of, log=log, rank=rank, world=world,
                    adapters=adapters, label=f"{len({t.model + str(t.step) for t, _ in part})} model states")


def _generate_per_target(cfg, model, tokenizer, pending, store_of, *, prompt, log, rank, world) -> None:
    """One target at a time, its adapter attached with peft (the reference for the shared batch)."""
    from codegen_study.models import attach_adapter, use_adapter
    from codegen_study.tasks.prompts import stop_ids

    for target, work, done in pending:
        if target.adapter is not None:
            model = attach_adapter(model, target.adapter, f"step-{target.step}")
            use_adapter(model, f"step-{target.step}")
        elif hasattr(model, "peft_config"):
            use_adapter(model, None)
        stops, pad = stop_ids(tokenizer, model), tokenizer.pad_token_id
        for dec, (kw, reqs) in _requests(tokenizer, target, work, done, prompt=prompt, world=world).items():
            _decode(cfg, model, tokenizer, [(target, r) for r in reqs], dec, kw, stops, pad, store_of, log=log,
                    rank=rank, world=world, label=f"{target.model}@{target.step}")


def _decode(cfg, model, tokenizer, pairs, dec, kw, stops, pad, store_of, *, log, rank, world, label,
            adapters=None) -> None:
    """One engine call: this rank's share of `pairs` (target, request), appended as they finish."""
    from codegen_study.core.distributed import share
    from codegen_study.core.progress import Progress
    from codegen_study.evaluation import engine as eng

    target_of = {r.key: t for t, r in pairs}
    reqs = [r for _, r in pairs]
    if world > 1:  # the share is taken over every request, done or not (see `share`)
        done = {k for t in {id(t): t for t, _ in pairs}.values() for k in store_of(t).done_keys("completions")}
        reqs = [r for r in share(reqs, rank, world, lambda r: len(r.prompt)) if r.key not in done]
    t0, n_tok = time.perf_counter(), 0
    where = f"rank {rank}/{world} " if world > 1 else ""
    shown = Progress(len(reqs), desc=f"{where}{label} {dec}", unit="completion", tty=False if rank else None,
                     first_line=True)
    for batch in eng.generate(model, reqs, engine=cfg.engine, max_new_tokens=cfg.max_new_tokens,
                              batch_size=cfg.batch_size, temperature=kw["temperature"], top_p=kw["top_p"],
                              seed=cfg.seed, stop_ids=stops, pad_id=pad, adapters=adapters):
        rows: dict[int, tuple[Store, list]] = {}
        for r in batch:
            target = target_of[r.key]
            st = store_of(target)
            text = tokenizer.decode(list(r.tokens), skip_special_tokens=True)
            rows.setdefault(id(st), (st, []))[1].append(completion_row(r, text, len(batch), target))
        for st, part in rows.values():
            st.append("completions", part)
        n_tok += sum(len(r.tokens) for r in batch)
        shown.update(len(batch))
    shown.close()
    secs = time.perf_counter() - t0
    log(f"{label} {dec}: {len(reqs)} completions "
        f"({', '.join(sorted({f'{k[2]}/{k[3]}' for k in (r.key for r in reqs)}))}), {n_tok} tokens "
        f"in {secs:.1f} s ({n_tok / max(secs, 1e-9):.0f} tok/s, engine {cfg.engine})")


def adapter_name(target: Target) -> str:
    """The name a target's adapter has in a shared batch."""
    return f"{target.model}@{target.step}"


def record_prompts(store: Store, tokenizer, benchmarks: dict[str, list], styles, prompt: Prompt) -> None:
    """The rendered prompt of each benchmark's first problem under each style (`prompts` table)."""
    from codegen_study.tasks.prompts import prompt_ids

    have = store.done_keys("prompts")
    rows = []
    for bench, problems in benchmarks.items():
        for style in styles:
            p = problems[0]
            if (style, bench, p.id) not in have:
                ids = prompt_ids(tokenizer, p, replace(prompt, style=style, shots=()))
                rows.append(PROMPTS.row(prompt=style, benchmark=bench, question_id=p.id, text=tokenizer.decode(ids)))
    store.append("prompts", rows)


def completion_row(r, text: str, group_len: int, target: Target) -> dict[str, Any]:
    """The completions row of one finished request; its seconds are those of the group of results it
    came back in (`engine.Result.seconds`), shared evenly."""
    model, step, bench, prompt, dec, qid, sid = r.key
    adapter = target.adapter
    return COMPLETIONS.row(model=model, arm=target.arm, train_seed=target.train_seed, step=step, benchmark=bench,
                           prompt=prompt, decoding=dec, question_id=qid, sample_id=sid, completion=text,
                           prompt_tokens=r.prompt_tokens, completion_tokens=len(r.tokens),
                           finish_reason=r.finish_reason, seconds=r.seconds / max(group_len, 1),
                           adapter=str(adapter) if adapter else None)


def score_all(cfg: EvalConfig, targets: list[Target] | None, benchmarks: dict[str, list], store: Store, *,
              log=print, decoding: str | None = None) -> dict[str, Any]:
    """Grade the stored completions of `targets` (all stored models when None) on `benchmarks`.

    One scoring pass: its runs share a sandbox and a verdict cache, so a program that recurs (a
    repeated sample, or the same code extracted by another policy under one grader) runs once."""
    from codegen_study.sandbox import Sandbox
    from codegen_study.scoring.grading import PRELOAD, VerdictCache
    from codegen_study.scoring.runs import score_into_store
    from codegen_study.scoring.verdicts import Sample

    groups: dict[tuple, dict] = {}
    adapters: dict[tuple, str | None] = {}
    identity: dict[tuple, tuple[str, int | None]] = {}  # (model, step) -> (arm, training seed)
    wanted = None if targets is None else {(t.model, t.step): t for t in targets}
    for row in table_rows(store, "completions"):
        key = (row["model"], int(row["step"]), row["benchmark"], row.get("prompt") or "lcb", row["decoding"])
        if row["benchmark"] not in benchmarks or (wanted is not None and key[:2] not in wanted):
            continue
        if decoding is not None and row["decoding"] != decoding:
            continue
        problems = benchmarks[row["benchmark"]]
        if row["question_id"] not in problems:
            continue
        groups.setdefault(key, {})[(row["question_id"], row["sample_id"])] = row
        adapters[key] = row.get("adapter")
        identity[key[:2]] = (row.get("arm") or row["model"], row.get("train_seed"))
    sandbox = Sandbox(workers=cfg.workers, preload=PRELOAD) if groups else None
    run_ids: list[tuple[str, int, float]] = []
    cache = VerdictCache()
    try:
        for (model, step, bench, prompt, dec), rows in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0]))):
            problems = benchmarks[bench]
            kind = kind_of(next(iter(problems.values())))
            samples = [Sample(r["question_id"], r["sample_id"], completion=r["completion"]) for r in rows.values()]
            arm, train_seed = identity[(model, step)]
            for grader, extraction in cfg.grader_pairs(bench, kind):
                if (dec != "greedy" and not cfg.cross_extraction_sampled
                        and grader in EXTRACTIONS and extraction != grader):
                    continue
                t0 = time.perf_counter()
                run_id = score_into_store(store, model=model, step=step, benchmark=bench, decoding=dec, grader=grader,
                                          extraction=extraction, problems=problems, samples=samples, sandbox=sandbox,
                                          adapter=adapters[(model, step, bench, prompt, dec)], prompt=prompt,
                                          arm=arm, train_seed=train_seed,
                                          config={"eval": to_dict(cfg)}, workers=cfg.workers,
                                          timeout=cfg.timeout, progress=True, cache=cache)
                run_ids.append((run_id, len(samples), time.perf_counter() - t0))
        passed: dict[str, int] = {}
        for r in table_rows(store, "samples"):
            passed[r["run_id"]] = passed.get(r["run_id"], 0) + bool(r["passed"])
        for run_id, n, secs in run_ids:
            log(f"{run_id}: {passed.get(run_id, 0)}/{n} passed ({secs:.1f} s)")
        return {"protections": sandbox.protections if sandbox else None}
    finally:
        if sandbox is not None:
            sandbox.close()

