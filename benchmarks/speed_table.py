"""The training and generation speed table, computed from the JSON files the GPU benchmarks wrote.

    python benchmarks/speed_table.py [benchmarks/results]

Inputs (all measured on the same GPU, one after another; see benchmarks/results/gpu.txt):
`train_a.json` (seed recipe: int8 base, fp16, batch 1 x 16, HF Trainer), `train_b_*.json`
(the project's fast path variants), `gen_speed.json` (HF generate vs the static engine), all on a
model of Qwen2.5-Coder-1.5B's shape with random weights; `adapter_batch*.json` (the study's own
generation load, `adapter_batch.py`), when present. Prints samples/s, MFU (4 x matmul
parameters per token: forward + activation gradients; LoRA computes no weight gradients for the
base), the ratio to the seed recipe, generation tok/s ratios, and the whole-study wall time for
the 1.5B shape extrapolated from those measured parts (stated assumptions below). Nothing here
is typed in by hand except the study's shape (rows, epochs, checkpoints, problems, tokens).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PEAK = 989.0  # dense bf16 TFLOP/s of an H100 SXM (the reference)
TRAIN_ROWS = 4520  # train split of one 5,000-row corpus (codegen-study synth, seed 0)
EPOCHS, RUNS, EVAL_EVERY = 2, 2, 100
PROBLEMS, MAX_NEW_TOKENS = 41, 512  # greedy evaluation of base + every checkpoint on the 41 problems


def main(folder: str = "benchmarks/results") -> int:
    root = Path(folder)
    variants = []
    for f in sorted(root.glob("train_*.json")):
        variants += json.loads(f.read_text())["variants"]
    if not variants:
        print(f"no train_*.json under {root}")
        return 1
    seed = next((v for v in variants if v["variant"].startswith("a_")), None)
    print(f"{'training variant':36} {'samples/s':>10} {'tokens/s':>10} {'TFLOP/s':>8} {'MFU':>6} {'x seed':>7} "
          f"{'peak GiB':>8}")
    for v in variants:
        ratio = v["samples_per_s"] / seed["samples_per_s"] if seed else float("nan")
        print(f"{v['variant']:36} {v['samples_per_s']:10.2f} {v['tokens_per_s']:10.0f} {v['tflops_4x']:8.1f} "
              f"{100 * v['tflops_4x'] / PEAK:5.1f}% {ratio:7.1f} {v['peak_memory_gib']:8.1f}")
    fast = max((v for v in variants if v["variant"].startswith("b_")), key=lambda v: v["samples_per_s"])
    target = 0.35 * PEAK / fast["tflops_4x"] * fast["samples_per_s"]
    print(f"target: 35% MFU = {target:.0f} samples/s; best fast path {fast['samples_per_s']:.1f} samples/s "
          f"({100 * fast['tflops_4x'] / PEAK:.1f}% MFU) -> {'met' if fast['samples_per_s'] >= target else 'NOT met'}")

    gen = json.loads((root / "gen_speed.json").read_text())
    rows = gen["rows"]
    print(f"\n{'generation engine':26} {'batch':>5} {'tok/s':>8} {'x HF b1':>8}")
    for r in rows:
        print(f"{r['engine']:26} {r['batch']:5d} {r['tokens_per_s']:8.0f} {r['vs_hf_batch1']:8.1f}")
    greedy = [r for r in rows if r["engine"] == "static+cudagraph"]
    best = max(greedy, key=lambda r: r["tokens_per_s"])
    print(f"target >= 5,000 tok/s: best {best['tokens_per_s']:.0f} tok/s at batch {best['batch']} -> "
          f"{'met' if best['tokens_per_s'] >= 5000 else 'NOT met'}")

    for f in sorted(root.glob("adapter_batch*.json")):
        ab = json.loads(f.read_text())
        floor = ab["floor_s_per_state"]
        print(f"\n{f.name}: {ab['gpu']}, {ab['prompts']} prompts, {ab['states']} model states in the shared batch")
        print(f"{'generation, study load':26} {'s/state':>8} {'tok/s':>8} {'x floor':>8}")
        for key, secs in ab["s_per_state"].items():
            print(f"{key:26} {secs:8.2f} {ab['rows'][key]['tokens_per_s']:8.0f} {secs / floor:8.1f}")
        print(f"{'floor (KV bytes / bandwidth)':26} {floor:8.3f}")
        best = ab["s_per_state"].get("engine_all_states")
        if best is not None:
            print(f"goal <= 2 s per state: {best:.2f} -> {'met' if best <= 2 else 'NOT met'}; identical greedy "
                  f"tokens {ab['agreement']['identical']}/{ab['agreement']['rows']}")
        if "partings" in ab:
            p = ab["partings"]
            print(f"parted rows scored {p['scored']}/{p['parted']}, near-ties (<= {p['near_tie_ulps']} rounding steps) "
                  f"{p['near_ties']}; identical or parted at a near-tie: {p['identical_or_near_tie_share']:.1%}")

    # Whole study, 1.5B shape: 2 trainings x 2 epochs + greedy eval of base + every checkpoint.
    samples = RUNS * EPOCHS * TRAIN_ROWS
    train_s = samples / fast["samples_per_s"]
    steps = EPOCHS * TRAIN_ROWS // 16
    states = 1 + RUNS * (steps // EVAL_EVERY + 1)  # base + checkpoints every 100 steps + final
    small = min(greedy, key=lambda r: abs(r["batch"] - PROBLEMS))
    tok_s = small["tokens_per_s"] * PROBLEMS / small["batch"]  # a batch of 41 rows, scaled down linearly
    gen_s = states * PROBLEMS * MAX_NEW_TOKENS / tok_s
    print("\nwhole study, 1.5B shape (extrapolated from the measured rates above):")
    print(f"  training: {samples} samples / {fast['samples_per_s']:.1f} samples/s = {train_s:.0f} s")
    print(f"  greedy evaluation: {states} model states x {PROBLEMS} problems x {MAX_NEW_TOKENS} tokens "
          f"at ~{tok_s:.0f} tok/s = {gen_s:.0f} s (upper bound: every answer runs to the token limit)")
    print(f"  total: {(train_s + gen_s) / 60:.1f} min + model loading (target < 10 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
