"""Static-engine generation with and without dropping finished rows from the decode batch.

    python benchmarks/finished_rows.py --out benchmarks/results/finished_rows.json
    python benchmarks/finished_rows.py --adapter runs-local/offline-deep-s1/checkpoint-step-552 --out ...

A batch decodes until its last row stops, and most rows stop long before that: answers of a few
dozen to a few hundred tokens beside the odd one that runs to the token limit. The static engine
narrows the batch to its unfinished rows (at most every 16 tokens, once half of them are done);
this measures what that gives on the study's own work: the offline study's model (the SmolLM2
GGUF of configs/offline-base.toml, or `--model`; with `--adapter`, a trained checkpoint on top,
whose answers stop far earlier than the base model's), greedy, the first `--limit` problems of the
held-out benchmark and the 41 LiveCodeBench problems under the training prompt, all in one batch,
on CUDA when there is one (bf16, CUDA graphs) and else on the CPU (fp32, eager).

Prints wall time, generated tokens and tokens/s of both runs, their ratio, how many rows came out
identical (all should, up to the device's numerics for other batch shapes) and how often the batch
was narrowed; writes the same to --out.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SOURCES = (ROOT / "data" / "benchmarks" / "synth_heldout_seed0.jsonl",
           ROOT / "data" / "benchmarks" / "lcb_atcoder_easy_2408_2502.jsonl")


def load(model: str | None, gguf: str | None, device: str):
    """--model/--gguf, else the [model] table of configs/offline-base.toml; bf16 on CUDA, fp32 on a CPU."""
    from codegen_study.core.config import load_section
    from codegen_study.models import ModelConfig, load_model

    precision = "bf16" if device.startswith("cuda") else "fp32"
    if model is None:
        cfg = load_section(ROOT / "configs" / "offline-base.toml", "model", ModelConfig, {"precision": precision})
    else:
        cfg = ModelConfig(name_or_path=model, gguf_file=gguf, precision=precision)
    return load_model(cfg, device=device)


def prompts(tok, limit: int) -> list[list[int]]:
    from codegen_study.tasks.prompts import prompt_ids
    from codegen_study.tasks.sources import load_benchmark

    problems = [p for src in SOURCES for p in load_benchmark(str(src))[:limit]]
    return [prompt_ids(tok, p) for p in problems]


def timed(engine, batch, **kw) -> tuple[list[list[int]], float]:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    rows = engine(batch, **kw)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return rows, time.perf_counter() - t0


def generated(rows: list[list[int]], stops: set[int]) -> int:
    return sum(next((i for i, t in enumerate(r) if t in stops), len(r)) for r in rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="hub id or folder (default: the offline study's GGUF stand-in)")
    ap.add_argument("--gguf", help="GGUF file inside --model's folder")
    ap.add_argument("--adapter", help="a LoRA checkpoint folder to generate with")
    ap.add_argument("--limit", type=int, default=150, help="problems of each benchmark (default: all)")
    ap.add_argument("--max-new-tokens", type=int, default=512)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    import torch

    from codegen_study.evaluation.engine import StaticEngine
    from codegen_study.tasks.prompts import stop_ids

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, tok = load(args.model, args.gguf, device)
    if args.adapter:
        from codegen_study.models import attach_adapter

        model = attach_adapter(model, args.adapter, "adapter")
    batch = prompts(tok, args.limit)
    stops = stop_ids(tok, model)
    kw = dict(max_new_tokens=args.max_new_tokens, temperature=0.0, top_p=1.0, seed=0, stop_ids=stops,
              pad_id=tok.pad_token_id)
    StaticEngine(model)(batch[:2], **{**kw, "max_new_tokens": 4})  # warm-up: kernels, rope table, allocator
    results = {}
    for name, compact in (("whole batch", False), ("finished rows dropped", True)):
        engine = StaticEngine(model, compact=compact)
        rows, seconds = timed(engine, batch, **kw)
        tokens = generated(rows, set(stops))
        results[name] = {"rows": rows, "seconds": round(seconds, 2), "tokens": tokens,
                         "tokens_per_second": round(tokens / seconds, 1), "compactions": engine.compactions}
        print(f"{name:22s} {seconds:8.2f} s  {tokens:7d} tokens  {tokens / seconds:9.1f} tok/s  "
              f"narrowed {engine.compactions} times")
    a, b = results["whole batch"], results["finished rows dropped"]
    same = sum(x == y for x, y in zip(a.pop("rows"), b.pop("rows")))
    ratio = a["seconds"] / b["seconds"]
    print(f"speed-up {ratio:.2f}x; {same}/{len(batch)} rows identical")
    out = {"device": torch.cuda.get_device_name(0) if device == "cuda" else f"cpu ({platform.processor() or 'x86'})",
           "torch": torch.__version__, "adapter": args.adapter, "batch_rows": len(batch),
           "max_new_tokens": args.max_new_tokens,
           "runs": results, "speed_up": round(ratio, 2), "identical_rows": same}
    if args.out:
        from codegen_study.core.files import atomic_write_text

        atomic_write_text(args.out, json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
