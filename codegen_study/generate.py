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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen_study.config import (
    to_dict,
)
from codegen_study.errors import UserError
from codegen_study.prompts import PROMPT_STYLES
from codegen_study.provenance import device_facts
from codegen_study.results import Store
from codegen_study.targets import (
    SAMPLE_LABELS,
    Target,
    best_step,
    plan_targets,
    table_rows,
)

__all__ = ["EvalConfig", "Target", "best_step", "plan_targets", "generate_all", "score_all"]

LCB_HUB_SPEC = "livecodebench/code_generation_lite@release_v5:data/benchmarks/lcb_seed41.txt"
#: benchmark name -> spec: "humaneval", a local LCB-format file, or "HUB_ID@VERSION[:IDS_FILE]"
DEFAULT_SOURCES: dict[str, str] = {
    "heldout": "corpora/heldout.jsonl",
    "lcb41": LCB_HUB_SPEC,
    "humaneval": "humaneval",
}
LCB_GRADERS = ("seed/seed", "seed/lcb", "lcb/seed", "lcb/lcb")
HUMANEVAL_GRADERS = ("humaneval/seed",)


@dataclass(frozen=True)
class EvalConfig:
    """The `[eval]` table. `graders` maps a benchmark to "grader/extraction" pairs (default:
    all four seed/lcb combinations for LCB-format benchmarks, humaneval/seed for HumanEval)."""

    benchmarks: tuple[str, ...] = ("heldout", "lcb41", "humaneval")
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
        if self.report_to not in ("none", "tensorboard", "trackio"):
            raise ValueError(f"report_to must be none, tensorboard or trackio, got {self.report_to!r}")
        if self.engine not in ("hf", "static"):
            raise ValueError(f"engine must be 'hf' or 'static', got {self.engine!r}")
        for name in ("n_samples", "max_new_tokens", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not (self.temperature > 0 and 0 < self.top_p <= 1):
            raise ValueError("sampling needs temperature > 0 and 0 < top_p <= 1")
        bad = [s for s in self.sample_checkpoints if s not in SAMPLE_LABELS and not re.fullmatch(r"\d+", s)]
        if bad:
            raise ValueError(f"sample_checkpoints: {bad[0]!r} is not base, final, best or a step number")
        for bench, pairs in self.graders.items():
            for pair in [pairs] if isinstance(pairs, str) else pairs:
                if not re.fullmatch(r"(seed|lcb|humaneval)/(seed|lcb)", str(pair)):
                    raise ValueError(f"graders.{bench}: {pair!r} is not GRADER/EXTRACTION (e.g. lcb/seed)")

    def source(self, name: str) -> str:
        spec = {**DEFAULT_SOURCES, **self.sources}.get(name)
        if spec is None:
            raise UserError(f"[eval] benchmark {name!r} has no source: add sources.{name} = \"PATH\"")
        return spec

    def grader_pairs(self, name: str, kind: str) -> list[tuple[str, str]]:
        pairs = self.graders.get(name) or (HUMANEVAL_GRADERS if kind == "humaneval" else LCB_GRADERS)
        pairs = [pairs] if isinstance(pairs, str) else pairs
        return [tuple(p.split("/")) for p in pairs]


def load_problems(spec: str, limit: int | None = None):
    """Problems of a benchmark spec (see DEFAULT_SOURCES), the first `limit` of them."""
    from codegen_study.problems import load_benchmark, load_lcb

    if "@" in spec and not Path(spec).exists():
        hub, _, rest = spec.partition("@")
        version, _, ids_file = rest.partition(":")
        problems = load_lcb(hub, version=version, ids_file=ids_file or None)
    else:
        if spec != "humaneval" and not Path(spec).exists():
            raise UserError(f"benchmark file {spec}: no such file")
        problems = load_benchmark(spec)
    return problems[:limit] if limit else problems


def decodings(cfg: EvalConfig, target: Target, prompt: str) -> list[tuple[str, dict]]:
    """(decoding name, engine kwargs) pairs for a target under prompt style `prompt`."""
    out = [("greedy", {"temperature": 0.0, "top_p": 1.0, "n": 1})] if cfg.greedy else []
    if target.sampled and prompt in cfg.sample_prompts:
        out.append(("sampling", {"temperature": cfg.temperature, "top_p": cfg.top_p, "n": cfg.n_samples}))
    return out


# -- the two phases -------------------------------------------------------------------------
def generate_all(cfg: EvalConfig, model_cfg, targets: list[Target], benchmarks: dict[str, list], store: Store, *,
                 device: str | None = None, prompt_format: str = "chat", system_prompt: str | None = None,
                 log=print, rank: int = 0, world: int = 1) -> dict[str, Any]:
    """Write every missing completion to `store`; returns facts about the device for env.json.

    With `world` > 1 this process is rank `rank` of a job and writes only its share of each engine
    call's requests (`distributed.share`), next to the other ranks in the same store."""
    from codegen_study import engine as eng
    from codegen_study.distributed import share
    from codegen_study.models import attach_adapter, load_model, use_adapter
    from codegen_study.progress import Progress
    from codegen_study.prompts import SYSTEM_PROMPT, prompt_ids, stop_ids

    system = SYSTEM_PROMPT if system_prompt is None else system_prompt
    done = store.done_keys("completions")
    model = tokenizer = None
    for target in targets:
        work = []  # (benchmark, prompt, decoding, kwargs, problems, keys)
        for bench, problems in benchmarks.items():
            for prompt in cfg.prompts:
                for dec, kw in decodings(cfg, target, prompt):
                    keys = [(target.model, target.step, bench, prompt, dec, p.id, s)
                            for p in problems for s in range(kw["n"])]
                    if world > 1 or any(k not in done for k in keys):  # all of them to take a share of
                        work.append((bench, prompt, dec, kw, problems, keys))
        if all(k in done for *_, keys in work for k in keys):
            log(f"{target.model} step {target.step}: all completions already stored")
            continue
        if model is None:
            t0 = time.perf_counter()
            model, tokenizer = load_model(model_cfg, device=device)
            log(f"loaded {model_cfg.name_or_path} in {time.perf_counter() - t0:.1f} s on "
                f"{next(model.parameters()).device}")
            if rank == 0:
                record_prompts(store, tokenizer, benchmarks, cfg.prompts, system=system, prompt_format=prompt_format)
        if target.adapter is not None:
            model = attach_adapter(model, target.adapter, f"step-{target.step}")
            use_adapter(model, f"step-{target.step}")
        elif hasattr(model, "peft_config"):
            use_adapter(model, None)
        stops, pad = stop_ids(tokenizer, model), tokenizer.pad_token_id
        by_decoding: dict[str, tuple[dict, list]] = {}  # one engine call per decoding: full batches
        for _bench, prompt, dec, kw, problems, keys in work:
            ids = {p.id: tuple(prompt_ids(tokenizer, p, style=prompt, system=system, prompt_format=prompt_format))
                   for p in problems}
            by_decoding.setdefault(dec, (kw, []))[1].extend(eng.Request(k, ids[k[5]]) for k in keys
                                                            if world > 1 or k not in done)
        for dec, (kw, reqs) in by_decoding.items():
            if world > 1:  # the share is taken over every request, done or not (see `share`)
                reqs = [r for r in share(reqs, rank, world, lambda r: len(r.prompt)) if r.key not in done]
            t0, n_tok = time.perf_counter(), 0
            where = f"rank {rank}/{world} " if world > 1 else ""
            shown = Progress(len(reqs), desc=f"{where}{target.model}@{target.step} {dec}", unit="completion",
                             tty=False if rank else None)
            for batch in eng.generate(model, reqs, engine=cfg.engine, max_new_tokens=cfg.max_new_tokens,
                                      batch_size=cfg.batch_size, temperature=kw["temperature"], top_p=kw["top_p"],
                                      seed=cfg.seed, stop_ids=stops, pad_id=pad):
                rows = [completion_row(r, tokenizer.decode(list(r.tokens), skip_special_tokens=True), len(batch),
                                       target) for r in batch]
                store.append("completions", rows)
                n_tok += sum(len(r.tokens) for r in batch)
                shown.update(len(batch))
            shown.close()
            secs = time.perf_counter() - t0
            log(f"{target.model} step {target.step} {dec}: {len(reqs)} completions "
                f"({', '.join(sorted({f'{k[2]}/{k[3]}' for k in (r.key for r in reqs)}))}), {n_tok} tokens "
                f"in {secs:.1f} s ({n_tok / max(secs, 1e-9):.0f} tok/s, engine {cfg.engine})")
    return device_facts(model=model)


def record_prompts(store: Store, tokenizer, benchmarks: dict[str, list], styles, *, system: str,
                   prompt_format: str) -> None:
    """The rendered prompt of each benchmark's first problem under each style (`prompts` table)."""
    from codegen_study.prompts import encode, user_message

    have = store.done_keys("prompts")
    rows = []
    for bench, problems in benchmarks.items():
        for style in styles:
            p = problems[0]
            if (style, bench, p.id) not in have:
                ids = encode(tokenizer, user_message(p, style), system=system, prompt_format=prompt_format)[0]
                rows.append({"prompt": style, "benchmark": bench, "question_id": p.id, "text": tokenizer.decode(ids)})
    store.append("prompts", rows)


def completion_row(r, text: str, batch_len: int, target: Target) -> dict[str, Any]:
    model, step, bench, prompt, dec, qid, sid = r.key
    adapter = target.adapter
    return {"model": model, "arm": target.arm, "train_seed": target.train_seed, "step": step, "benchmark": bench,
            "prompt": prompt, "decoding": dec, "question_id": qid, "sample_id": sid, "completion": text,
                "prompt_tokens": r.prompt_tokens,
            "completion_tokens": len(r.tokens), "finish_reason": r.finish_reason,
            "seconds": r.seconds / max(batch_len, 1), "adapter": str(adapter) if adapter else None}


def score_all(cfg: EvalConfig, targets: list[Target] | None, benchmarks: dict[str, list], store: Store, *,
              log=print) -> dict[str, Any]:
    """Grade the stored completions of `targets` (all stored models when None) on `benchmarks`.

    One scoring pass: its runs share a sandbox and a verdict cache, so a program that recurs (a
    repeated sample, or the same code extracted by another policy under one grader) runs once."""
    from codegen_study.grading import PRELOAD, Sample, VerdictCache
    from codegen_study.sandbox import Sandbox
    from codegen_study.scoring import score_into_store

    groups: dict[tuple, dict] = {}
    adapters: dict[tuple, str | None] = {}
    identity: dict[tuple, tuple[str, int | None]] = {}  # (model, step) -> (arm, training seed)
    wanted = None if targets is None else {(t.model, t.step): t for t in targets}
    for row in table_rows(store, "completions"):
        key = (row["model"], int(row["step"]), row["benchmark"], row.get("prompt") or "lcb", row["decoding"])
        if row["benchmark"] not in benchmarks or (wanted is not None and key[:2] not in wanted):
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
            kind = next(iter(problems.values())).kind
            samples = [Sample(r["question_id"], r["sample_id"], completion=r["completion"]) for r in rows.values()]
            arm, train_seed = identity[(model, step)]
            for grader, extraction in cfg.grader_pairs(bench, kind):
                if (dec != "greedy" and not cfg.cross_extraction_sampled
                        and grader in ("seed", "lcb") and extraction != grader):
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

