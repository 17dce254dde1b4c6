"""Batched token generation: HF `generate` and a fast static-cache engine, one interface.

Why a second engine: `generate` re-plans masks, caches and logits processors in Python at every
step, so a 1.5B model on an H100 decodes a few thousand tokens/s at best. `StaticEngine` runs a
small decode loop over the model's *own modules* (projections, norms, MLP, rotary table, LoRA
layers included, so adapters switched with peft apply unchanged) with a key/value cache
preallocated for the whole batch, and on CUDA replays the one-token step as a captured CUDA graph.
It covers Llama/Qwen2/Qwen3-style decoders (full attention, no sliding window); anything else
must use `engine="hf"`.

Both engines implement the same decoding: greedy, or temperature + top-p sampling (no top-k, no
repetition penalty, whatever the model's generation_config says), stop at any of `stop_ids`,
`max_new_tokens`. Requests are sorted by prompt length, longest first (little padding, and an
out-of-memory shows at once). The static engine keeps `batch_size` rows decoding and gives the row
of a finished answer to the next waiting request (`StaticEngine.stream`): most answers end long
before the longest one, so a batch that waited for its longest answer would decode its last
hundreds of steps with a few rows; once no request waits, finished rows leave the batch
(`StaticEngine._narrow`). The HF engine cuts the sorted requests into batches. Either way results
come back in groups as they finish, so the caller can store them as they come.

Covers: token ids in -> token ids out. Does not cover: prompts, text, the results store
(see `prompts` and `generate`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from codegen_study.core.vocabulary import ENGINES
from codegen_study.evaluation.decode_ring import left_pad
from codegen_study.evaluation.static_engine import (  # noqa: F401 -- StaticEngine is used through here
    SUPPORTED_TYPES,
    StaticEngine,
    _device_of,
)


@dataclass(frozen=True)
class Request:
    key: Any  # opaque to the engine: who asked (e.g. question_id, sample_id)
    prompt: tuple[int, ...]
    adapter: str | None = None  # the name of the adapter this row decodes under (None: the base)


@dataclass(frozen=True)
class Result:
    key: Any
    tokens: tuple[int, ...]  # generated ids, stop token excluded
    finish_reason: str  # "stop" | "length"
    prompt_tokens: int
    seconds: float  # wall time since the previous group of results (shared by the group's results)


def sorted_batches(requests: Sequence[Request], batch_size: int) -> list[list[Request]]:
    """Longest prompts first (an out-of-memory shows at once), cut into `batch_size` chunks."""
    order = sorted(requests, key=lambda r: -len(r.prompt))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _result(req: Request, row: Sequence[int], stop_ids: set[int], max_new: int, seconds: float) -> Result:
    """The result of one request from its row of generated ids (cut at the first stop id)."""
    tokens, reason = _trim(row, stop_ids, max_new)
    return Result(req.key, tokens, reason, len(req.prompt), seconds)


def _trim(row: Sequence[int], stop_ids: set[int], max_new: int) -> tuple[tuple[int, ...], str]:
    for i, t in enumerate(row[:max_new]):
        if t in stop_ids:
            return tuple(row[:i]), "stop"
    return tuple(row[:max_new]), "length"


def generate(
    model,
    requests: Sequence[Request],
    *,
    engine: str = "hf",
    max_new_tokens: int = 512,
    batch_size: int = 16,
    temperature: float = 0.0,
    top_p: float = 1.0,
    seed: int = 0,
    stop_ids: Sequence[int] = (),
    pad_id: int = 0,
    adapters: Mapping[str, Any] | None = None,
    refill: bool = True,
) -> Iterator[list[Result]]:
    """Yield results in groups as they finish. temperature 0 means greedy.

    `adapters` maps the adapter names that requests carry to LoRA adapter folders: they are
    served together from the one base `model` (see `adapter_bank`), each row with its own, and a
    batch mixes rows of any adapters. `refill = False` makes the static engine decode the sorted
    requests batch by batch as the HF engine does (the comparison `benchmarks/adapter_batch.py`
    prints). Sampling is reproducible: each engine call draws from a generator seeded with `seed`
    and the key of its first request, so the same requests give the same tokens.
    """
    import torch

    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    named = sorted({r.adapter for r in requests if r.adapter is not None})
    missing = [n for n in named if n not in (adapters or {})]
    if missing:
        raise ValueError(f"requests name adapter {missing[0]!r}, which `adapters` does not hold")
    bank = None
    if named:
        from codegen_study.evaluation.adapter_bank import AdapterBank

        bank = AdapterBank(model, {n: adapters[n] for n in named})
    run = StaticEngine(model, bank=bank) if engine == "static" else _HFEngine(model, bank=bank)
    stops = [int(s) for s in stop_ids]
    try:
        if engine == "static" and refill:
            yield from _streamed(run, requests, batch_size, max_new_tokens=max_new_tokens, temperature=temperature,
                                 top_p=top_p, seed=seed, stops=stops, pad_id=pad_id, bank=bank)
            return
        stop_set = set(stops)
        for batch in sorted_batches(requests, batch_size):
            start = time.perf_counter()
            rows = run([list(r.prompt) for r in batch], max_new_tokens=max_new_tokens, temperature=temperature,
                       top_p=top_p, seed=_call_seed(seed, batch), stop_ids=stops, pad_id=pad_id,
                       adapter_ids=[bank.id_of(r.adapter) for r in batch] if bank else None)
            seconds = time.perf_counter() - start
            out = [_result(req, row, stop_set, max_new_tokens, seconds) for req, row in zip(batch, rows)]
            del rows
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            yield out
    finally:
        if bank is not None:
            bank.remove()


def _streamed(run, requests, slots: int, *, max_new_tokens, temperature, top_p, seed, stops, pad_id, bank):
    """The static engine's `stream` over every request, longest prompt first: results in groups."""
    import torch

    order = sorted(requests, key=lambda r: -len(r.prompt))
    if not order:
        return
    stop_set = set(stops)
    last = time.perf_counter()
    for finished in run.stream([list(r.prompt) for r in order], max_new_tokens=max_new_tokens,
                               temperature=temperature, top_p=top_p, seed=_call_seed(seed, order), stop_ids=stops,
                               pad_id=pad_id, adapter_ids=[bank.id_of(r.adapter) for r in order] if bank else None,
                               slots=slots):
        now = time.perf_counter()
        yield [_result(order[i], row, stop_set, max_new_tokens, now - last) for i, row in finished]
        last = now
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _call_seed(seed: int, requests: Sequence[Request]) -> int:
    """The sampling seed of one engine call: `seed` and the key of its first request."""
    return (seed * 1_000_003 + _stable_hash(requests[0].key)) % (2**63)


def _stable_hash(key: Any) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(repr(key).encode()).digest()[:8], "little")


class _HFEngine:
    """`model.generate` with left padding and an explicit, model-independent decoding config."""

    def __init__(self, model, bank=None):
        self.model, self.bank = model, bank

    def __call__(self, prompts, *, max_new_tokens, temperature, top_p, seed, stop_ids, pad_id, adapter_ids=None):
        import torch
        from transformers import GenerationConfig

        ids, mask = left_pad(prompts, pad_id, _device_of(self.model))
        if self.bank is not None:
            self.bank.rows = torch.tensor(adapter_ids or [0] * len(prompts), device=ids.device)
        sample = temperature > 0
        # explicit neutral values: `generate` fills every None from the model's own
        # generation_config (Qwen2.5-Instruct ships top_k 20, repetition_penalty 1.05, ...)
        cfg = GenerationConfig(
            max_new_tokens=max_new_tokens, min_new_tokens=0, do_sample=sample, num_beams=1,
            temperature=temperature if sample else 1.0, top_p=top_p if sample else 1.0, top_k=0,
            typical_p=1.0, repetition_penalty=1.0, no_repeat_ngram_size=0,
            eos_token_id=list(stop_ids) or None, pad_token_id=pad_id,
        )
        torch.manual_seed(seed)
        try:
            with torch.inference_mode():
                out = self.model.generate(input_ids=ids, attention_mask=mask, generation_config=cfg)
        finally:
            if self.bank is not None:
                self.bank.rows = None
        return out[:, ids.shape[1] :].tolist()
