"""Greedy decoding on a CPU: Hugging Face `generate` against the static engine, same prompts, one run.

    python benchmarks/cpu_decode.py --out benchmarks/results/cpu_decode.json
    python benchmarks/cpu_decode.py --rows 12 --max-new-tokens 256 --precision fp32
    python benchmarks/cpu_decode.py --precision fp32 --profile --out benchmarks/results/cpu_decode_fp32.json
    python benchmarks/cpu_decode.py --precision fp32 --busy 1 --out benchmarks/results/cpu_decode_fp32_busy1.json

The offline study's model (the SmolLM2 GGUF of configs/offline-base.toml) at the precision
`evaluate` picks on this CPU (bf16 where the CPU multiplies bf16, else fp32; `--precision` to
choose), greedy, the first `--rows` problems of the held-out benchmark under the training prompt,
all in one batch. Each engine runs in its own child process (so each peak resident memory is its
own), after a short warm-up generation: `generate` (transformers, left padding, the engine module's
`_HFEngine`, which is what `evaluate --engine hf` runs) and the static engine (what `evaluate`
runs by default). Prints tokens/s, seconds, peak memory and load average of each, their ratio,
and how many rows came out token for token identical; writes the same to --out. `--profile` adds,
per engine, the time of one decode step of the batch (every row decoding, no stops) and its split
into matrix products, attention and the rest, and for the static engine the step time it measured
at each thread count: where a CPU decode step goes. `--busy N` runs N processes that spin on a
core each while either engine runs (started before its child, stopped after it), the same for both:
a laptop where other work holds a core, where a decode step's many small parallel operations wait
for a descheduled thread.
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
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # before the profiler's own memory
    step = decode_step_breakdown(engine, batch, {**kw, "stop_ids": []}) if args.profile else None
    return {"seconds": round(seconds, 2), "tokens": tokens, "tokens_per_second": round(tokens / seconds, 1),
            "peak_rss_gb": round(peak, 2),
            "load_1min_before": round(load, 2), "load_1min_after": round(os.getloadavg()[0], 2),
            "threads": torch.get_num_threads(), "prompt_tokens": [len(b) for b in batch], "rows": rows,
            **({"decode_step": step} if step else {})}


def decode_step_breakdown(engine, batch, kw, steps: int = 32) -> dict:
    """Where one decode step's time goes: a run of `steps` + 1 new tokens minus a run of one (the
    prefill), without stops so every row decodes every step, once timed and once under the torch
    profiler, its self time split into matrix products, attention and everything else."""
    from torch.profiler import ProfilerActivity, profile

    def timed(n):
        t0 = time.perf_counter()
        engine(batch, max_new_tokens=n, **kw)
        return time.perf_counter() - t0

    def split(n):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            engine(batch, max_new_tokens=n, **kw)
        parts = {"matmul": 0.0, "attention": 0.0, "other": 0.0}
        for e in prof.key_averages():
            kind = ("matmul" if e.key in ("aten::mm", "aten::addmm", "aten::bmm") else
                    "attention" if "scaled_dot_product" in e.key else "other")
            parts[kind] += e.self_cpu_time_total / 1e3  # ms
        return parts

    ms = (timed(steps + 1) - timed(1)) / steps * 1e3
    long, short = split(steps + 1), split(1)
    parts = {k: (long[k] - short[k]) / steps for k in long}
    total = sum(parts.values()) or 1.0
    out = {"ms_per_step": round(ms, 1), "rows": len(batch),
           "share": {k: round(v / total, 2) for k, v in parts.items()}}
    threads = getattr(engine, "threads", None)
    if threads is not None and threads.costs.get("decode"):
        out["ms_per_step_by_threads"] = {n: round(c * 1e3, 1) for n, c in threads.costs["decode"].items()}
    return out


def trim(row: list[int], stops: set[int]) -> list[int]:
    return next((row[:i] for i, t in enumerate(row) if t in stops), row)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=6, help="prompts in the batch (default 6)")
    ap.add_argument("--max-new-tokens", type=int, default=256)
    ap.add_argument("--precision", choices=("bf16", "fp32"), help="default: what evaluate picks on this CPU")
    ap.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    ap.add_argument("--profile", action="store_true",
                    help="also time one decode step of the batch and split it into matmul, attention and other")
    ap.add_argument("--busy", type=int, default=0, metavar="N",
                    help="N processes spinning on a core each while each engine runs (default 0: an idle machine)")
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
        if args.profile:
            cmd.append("--profile")
        spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        finally:
            for proc in spinners:
                proc.kill()
                proc.wait()
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
        r = results[name]
        label = "HF generate" if name == "hf" else "static engine"
        print(f"{label:14s} {r['seconds']:8.2f} s  {r['tokens']:6d} tokens  "
              f"{r['tokens_per_second']:7.1f} tok/s  peak {r['peak_rss_gb']:.2f} GB  "
              f"load {r['load_1min_before']:.2f} -> {r['load_1min_after']:.2f}", flush=True)
        if "decode_step" in r:
            d = r["decode_step"]
            shares = ", ".join(f"{k} {v:.0%}" for k, v in d["share"].items())
            by = d.get("ms_per_step_by_threads")
            print(f"{'':14s} one decode step of {d['rows']} rows: {d['ms_per_step']:.1f} ms ({shares})"
                  + (f"; by thread count {by} ms" if by else ""), flush=True)
    hf, st = results["hf"], results["static"]
    same = sum(a == b for a, b in zip(hf.pop("rows"), st.pop("rows")))
    ratio = st["tokens_per_second"] / hf["tokens_per_second"]
    print(f"static engine / HF generate: {ratio:.2f}x tokens/s; {same}/{args.rows} rows identical "
          f"({args.precision}, {st['threads']} threads, {os.cpu_count()} CPUs, {args.busy} busy processes)")
    if args.out:
        import torch

        from codegen_study.core.files import atomic_write_text

        out = {"device": f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs)",
               "torch": torch.__version__, "precision": args.precision, "batch_rows": args.rows,
               "max_new_tokens": args.max_new_tokens, "busy_processes": args.busy, "runs": results,
               "ratio": round(ratio, 2),
               "identical_rows": same}
        atomic_write_text(args.out, json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
