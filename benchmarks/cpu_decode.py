"""Greedy decoding on a CPU: Hugging Face `generate` against the static engine, same prompts, one run.

    python benchmarks/cpu_decode.py --out benchmarks/results/cpu_decode.json
    python benchmarks/cpu_decode.py --rows 12 --max-new-tokens 256 --precision fp32

The offline study's model (the SmolLM2 GGUF of configs/offline-base.toml) at the precision
`evaluate` picks on this CPU (bf16 where the CPU multiplies bf16, else fp32; `--precision` to
choose), greedy, the first `--rows` problems of the held-out benchmark under the training prompt,
all in one batch. Each engine runs in its own child process (so each peak resident memory is its
own), after a short warm-up generation: `generate` (transformers, left padding, the engine module's
`_HFEngine`, which is what `evaluate --engine hf` runs) and the static engine (what `evaluate`
runs by default). Prints tokens/s, seconds, peak memory and load average of each, their ratio,
and how many rows came out token for token identical; writes the same to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SOURCE = ROOT / "data" / "benchmarks" / "synth_heldout_seed0.jsonl"


def child(args) -> dict:
    """One engine's run in this process: warm-up, then the timed batch."""
    import torch

    from codegen_study.core.config import load_section
    from codegen_study.evaluation.engine import StaticEngine, _HFEngine
    from codegen_study.models import ModelConfig, load_model
    from codegen_study.tasks.prompts import prompt_ids, stop_ids
    from codegen_study.tasks.sources import load_benchmark

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_section(ROOT / "configs" / "offline-base.toml", "model", ModelConfig, {"precision": args.precision})
    model, tok = load_model(cfg, device="cpu")
    batch = [prompt_ids(tok, p) for p in load_benchmark(str(SOURCE))[:args.rows]]
    stops = stop_ids(tok, model)
    kw = dict(temperature=0.0, top_p=1.0, seed=0, stop_ids=stops, pad_id=tok.pad_token_id)
    engine = StaticEngine(model) if args.only == "static" else _HFEngine(model)
    engine(batch[:2], max_new_tokens=8, **kw)  # warm-up: kernels, allocator, rope table
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    rows = engine(batch, max_new_tokens=args.max_new_tokens, **kw)
    seconds = time.perf_counter() - t0
    rows = [trim(r, set(stops)) for r in rows]
    tokens = sum(len(r) for r in rows)
    return {"seconds": round(seconds, 2), "tokens": tokens, "tokens_per_second": round(tokens / seconds, 1),
            "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
            "load_1min_before": round(load, 2), "load_1min_after": round(os.getloadavg()[0], 2),
            "threads": torch.get_num_threads(), "prompt_tokens": [len(b) for b in batch], "rows": rows}


def trim(row: list[int], stops: set[int]) -> list[int]:
    return next((row[:i] for i, t in enumerate(row) if t in stops), row)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=6, help="prompts in the batch (default 6)")
    ap.add_argument("--max-new-tokens", type=int, default=256)
    ap.add_argument("--precision", choices=("bf16", "fp32"), help="default: what evaluate picks on this CPU")
    ap.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    ap.add_argument("--only", choices=("hf", "static"), help=argparse.SUPPRESS)  # a child's engine
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.precision is None:
        from codegen_study.evaluation.targets import device_precision

        args.precision = device_precision("cpu")
    if args.only:
        print(json.dumps(child(args)))
        return 0
    results = {}
    for name in ("hf", "static"):
        cmd = [sys.executable, __file__, "--only", name, "--rows", str(args.rows), "--max-new-tokens",
               str(args.max_new_tokens), "--precision", args.precision]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
        r = results[name]
        label = "HF generate" if name == "hf" else "static engine"
        print(f"{label:14s} {r['seconds']:8.2f} s  {r['tokens']:6d} tokens  "
              f"{r['tokens_per_second']:7.1f} tok/s  peak {r['peak_rss_gb']:.2f} GB  "
              f"load {r['load_1min_before']:.2f} -> {r['load_1min_after']:.2f}", flush=True)
    hf, st = results["hf"], results["static"]
    same = sum(a == b for a, b in zip(hf.pop("rows"), st.pop("rows")))
    ratio = st["tokens_per_second"] / hf["tokens_per_second"]
    print(f"static engine / HF generate: {ratio:.2f}x tokens/s; {same}/{args.rows} rows identical "
          f"({args.precision}, {st['threads']} threads, {os.cpu_count()} CPUs)")
    if args.out:
        import torch

        from codegen_study.core.files import atomic_write_text

        out = {"device": f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs)",
               "torch": torch.__version__, "precision": args.precision, "batch_rows": args.rows,
               "max_new_tokens": args.max_new_tokens, "runs": results, "ratio": round(ratio, 2),
               "identical_rows": same}
        atomic_write_text(args.out, json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
