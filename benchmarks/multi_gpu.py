"""Training and evaluation on one GPU against two GPUs of one host, on the same work, via torchrun.

    python -m codegen_study synth --kind all --seed 0 --out corpora/   # once: the training corpus
    python benchmarks/multi_gpu.py --config configs/offline-deep.toml --steps 30 --warmup 5 \\
        --cohort-steps 60 --limit 100 --out benchmarks/results/multi_gpu.json

and for the 1.5B model (a hub id or a local folder; needs the weights on the host):

    python benchmarks/multi_gpu.py --model Qwen/Qwen2.5-Coder-1.5B-Instruct --out benchmarks/results/multi_gpu_1.5b.json

or, where those weights cannot be had, its shape with random weights and the config's tokenizer
(the layer stack of Qwen2.5-Coder-1.5B; the embedding has the tokenizer's vocabulary, and the
random model's answers run to the token budget):

    python benchmarks/multi_gpu.py --shape qwen2.5-1.5b --steps 20 --warmup 5 --limit 10 \\
        --out benchmarks/results/multi_gpu_1.5b_shape.json
    python benchmarks/multi_gpu.py --shape qwen2.5-1.5b --steps 20 --warmup 5 --skip cohort --skip evaluate \\
        --out benchmarks/results/multi_gpu_1.5b_shape_train.json

Each measurement runs the project's own command under `torchrun --standalone --nproc-per-node N`
(N = 1, then 2) in a fresh temporary folder, so what is timed is what a user runs:

* training: `train --config CFG --max-steps S` with the per-rank micro-batch (or, where it does not
  divide, the accumulation) divided by N, so both runs take the same S optimizer steps over the same
  batches (`train`'s docstring). Rate = training sequences (packed rows when `[data] packing`) per
  second of optimizer-step time between step `--warmup` and step S, read from the run's losses
  table (logged every step; evaluation, checkpoints and model loading excluded).
  Beside them, one GPU running one rank's share alone (`share`: the split micro-batch, no second
  rank), which separates the two costs of the second GPU: how much the step shrinks with half the
  batch (share / one GPU), and what the gradient all-reduce and rank syncs add (two GPUs - share).
* cohort: the study's six trainings (`train --config offline-deep --config offline-diverse --seeds
  1,2,3`, `--cohort-steps` steps each): on one GPU one cohort of six, on two each rank trains three
  (`cohort`'s docstring). Rate = examples per second of step time between step `--warmup` and the
  last, summed over the six runs (each rank's runs share its clock).
* evaluation: `evaluate --config CFG --generate-only --limit L` on the base model (greedy under
  both prompt styles and the sampled decoding, as configured). Rate = generated tokens (the
  completions table's `completion_tokens`) per second of the command's wall time, start-up and
  model loading included; `engine tok/s` divides by the engine time instead (the completions'
  `seconds` summed and divided by N: the ranks run side by side).

Prints one line per run and the 2-GPU / 1-GPU ratios (goal: training >= 1.8x, evaluation >= 1.9x;
the cohort has none),
and writes everything, commands included, to --out. Needs a host with at least two CUDA GPUs;
without them it says so and measures nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOALS = {"train": 1.8, "cohort": None, "evaluate": 1.9}
STUDY = (ROOT / "configs" / "offline-deep.toml", ROOT / "configs" / "offline-diverse.toml")
SHAPES = {  # config.json of the model named, less its vocabulary
    "qwen2.5-1.5b": {"model_type": "qwen2", "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28,
                     "num_attention_heads": 12, "num_key_value_heads": 2, "max_position_embeddings": 32768,
                     "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": True},
}


def random_model(shape: str, config: Path, folder: Path) -> dict:
    """A model folder of `shape` with random weights (seed 0, bf16) and `config`'s tokenizer."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from codegen_study.models import load_tokenizer
    from codegen_study.training.train_config import load_configs

    tok = load_tokenizer(load_configs(config)["model"])
    spec = dict(SHAPES[shape])
    cfg = AutoConfig.for_model(spec.pop("model_type"), vocab_size=len(tok), bos_token_id=tok.bos_token_id,
                               eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, **spec)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return {"shape": shape, "vocab_size": len(tok), "parameters": sum(p.numel() for p in model.parameters())}


def torchrun(n: int, args: list[str], log: Path) -> float:
    """Run `codegen_study ARGS` on `n` GPUs; returns the wall time. Output goes to `log`."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(n),
           "-m", "codegen_study", *args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    t0 = time.perf_counter()
    with open(log, "w") as out:
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"multi_gpu.py: {' '.join(cmd)} failed (exit {done.returncode}); its output ends:\n{tail}")
    return seconds


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def split_batch(config: Path, n: int) -> list[str]:
    """Flags giving each of `n` ranks 1/n of the config's global batch."""
    from codegen_study.training.train_config import load_configs

    tcfg = load_configs(config)["train"]
    if tcfg.micro_batch_size % n == 0:
        return ["--micro-batch-size", str(tcfg.micro_batch_size // n)]
    if tcfg.grad_accumulation % n == 0:
        return ["--grad-accumulation", str(tcfg.grad_accumulation // n)]
    raise SystemExit(f"multi_gpu.py: {config}: neither micro_batch_size {tcfg.micro_batch_size} nor "
                     f"grad_accumulation {tcfg.grad_accumulation} divides by {n}")


def measure_train(n: int, args, work: Path, split: int | None = None) -> dict:
    """`n` GPUs, each with 1/`split` of the global batch (default: 1/n, the same global batch)."""
    from codegen_study.core.config import read_toml

    split = split or n
    name = f"train-{n}gpu" + (f"-share{split}" if split != n else "")
    out = work / name
    flags = ["train", "--config", str(args.config), "--output-dir", str(out), "--max-steps", str(args.steps),
             "--logging-every", "1", "--eval-every", str(10**9), "--save-every", str(10**9),
             *split_batch(args.config, split), *args.model_flags_train]
    wall = torchrun(n, flags, work / f"{name}.log")
    resolved = read_toml(out / "config.toml")["train"]
    world = json.loads((out / "training.json").read_text())["world_size"]
    if world != n:
        raise SystemExit(f"multi_gpu.py: {out}/training.json says world_size {world}, expected {n}")
    per_step = world * resolved["micro_batch_size"] * resolved["grad_accumulation"]
    at = {r["step"]: r["seconds"] for r in jsonl(out / "losses.jsonl") if r["split"] == "train"}
    steps = args.steps - args.warmup
    seconds = at[args.steps] - at[args.warmup]
    return {"gpus": n, "command": f"torchrun --standalone --nproc-per-node {n} -m codegen_study " + " ".join(flags),
            "sequences_per_step": per_step, "timed_steps": steps, "step_seconds": round(seconds, 3),
            "wall_seconds": round(wall, 1), "sequences_per_s": round(steps * per_step / seconds, 2)}


def train_stage(args, work: Path) -> dict:
    one, share, two = measure_train(1, args, work), measure_train(1, args, work, split=2), measure_train(2, args, work)
    print(f"train, one rank's share alone on 1 GPU: {share['sequences_per_s']} sequences/s")
    per_step = {k: r["step_seconds"] / r["timed_steps"] for k, r in (("one", one), ("share", share), ("two", two))}
    return {"runs": [one, two], "share": share, "limits": {
        "step_seconds": {k: round(v, 4) for k, v in per_step.items()},
        "share_step_over_full_step": round(per_step["share"] / per_step["one"], 3),
        "second_gpu_adds_seconds_per_step": round(per_step["two"] - per_step["share"], 4)}}


def measure_cohort(n: int, args, work: Path) -> dict:
    from cohort_speed import local_configs, timed_rate

    from codegen_study.core.config import read_toml

    folder = work / f"cohort-{n}gpu"
    configs = local_configs([str(c) for c in STUDY], folder)
    flags = ["train", *[f for c in configs for f in ("--config", c)], "--seeds", "1,2,3",
             "--max-steps", str(args.cohort_steps), "--logging-every", "1", "--eval-every", str(10**9),
             "--save-every", str(10**9), *args.model_flags_train]
    wall = torchrun(n, flags, work / f"cohort-{n}gpu.log")
    rate, runs = 0.0, sorted(p for p in folder.glob("offline-*-s*") if p.is_dir())
    if len(runs) != 6:
        raise SystemExit(f"multi_gpu.py: {folder}: expected the 6 run folders of the cohort, found {len(runs)}")
    for run in runs:
        resolved = read_toml(run / "config.toml")["train"]
        rate += timed_rate(run, args.cohort_steps, args.warmup,
                           resolved["micro_batch_size"] * resolved["grad_accumulation"])
    return {"gpus": n, "command": f"torchrun --standalone --nproc-per-node {n} -m codegen_study " + " ".join(flags),
            "runs": 6, "timed_steps": args.cohort_steps - args.warmup, "wall_seconds": round(wall, 1),
            "examples_per_s": round(rate, 1)}


def measure_evaluate(n: int, args, work: Path) -> dict:
    out = work / f"eval-{n}gpu"
    flags = ["evaluate", "--config", str(args.config), "--output-dir", str(out), "--generate-only",
             "--limit", str(args.limit), *(["--benchmarks", args.benchmarks] if args.benchmarks else []),
             *args.model_flags_eval]
    wall = torchrun(n, flags, work / f"eval-{n}gpu.log")
    rows = jsonl(out / "completions.jsonl")
    keys = {(r["model"], r["step"], r["benchmark"], r["prompt"], r["decoding"], r["question_id"], r["sample_id"])
            for r in rows}
    if len(keys) != len(rows):
        raise SystemExit(f"multi_gpu.py: {out}: {len(rows) - len(keys)} completions stored twice")
    tokens = sum(r["completion_tokens"] for r in rows)
    engine = sum(r["seconds"] for r in rows) / n
    return {"gpus": n, "command": f"torchrun --standalone --nproc-per-node {n} -m codegen_study " + " ".join(flags),
            "completions": len(rows), "tokens": tokens, "wall_seconds": round(wall, 1),
            "tokens_per_s": round(tokens / wall, 1), "engine_seconds": round(engine, 1),
            "engine_tokens_per_s": round(tokens / engine, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "offline-deep.toml")
    parser.add_argument("--model", help="hub id or local folder replacing the config's [model] (e.g. the 1.5B model)")
    parser.add_argument("--shape", choices=sorted(SHAPES), help="instead of --model: this shape, random weights")
    parser.add_argument("--steps", type=int, default=40, help="optimizer steps per training run")
    parser.add_argument("--warmup", type=int, default=5, help="first steps left out of the training rate")
    parser.add_argument("--limit", type=int, default=40, help="problems per benchmark for evaluation")
    parser.add_argument("--benchmarks", help="comma-separated benchmarks (default: the config's)")
    parser.add_argument("--cohort-steps", type=int, default=60,
                        help="optimizer steps per run of the six-run cohort (0: skip it; skipped with --model/--shape)")
    parser.add_argument("--skip", action="append", default=[], choices=("train", "cohort", "evaluate"),
                        help="leave this stage out (repeatable)")
    parser.add_argument("--work", type=Path, help="folder for the runs and their logs, kept (default: a temporary "
                                                  "folder, removed); must not hold earlier runs, which would resume")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "multi_gpu.json")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("multi_gpu.py: needs torch and a host with two CUDA GPUs; nothing was measured", file=sys.stderr)
        return 2
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if gpus < 2:
        print(f"multi_gpu.py: needs a host with at least two CUDA GPUs, found {gpus}; nothing was measured",
              file=sys.stderr)
        return 2
    if not 0 < args.warmup < args.steps:
        parser.error("--warmup must be between 0 and --steps (exclusive)")
    from idle import refuse_busy

    refuse_busy(2, "multi_gpu.py")
    if args.model and args.shape:
        parser.error("give --model or --shape, not both")

    from codegen_study.core.files import atomic_write_text

    report: dict = {"gpu": torch.cuda.get_device_name(0), "gpus_on_host": gpus, "torch": torch.__version__,
                    "python": platform.python_version(), "config": str(args.config), "model": args.model,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "goals": GOALS}
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() if args.work is None else nullcontext(str(args.work)) as tmp:
        work = Path(tmp)
        if args.shape:
            args.model = str(work / f"random-{args.shape}")
            report["random_model"] = random_model(args.shape, args.config, Path(args.model))
        args.model_flags_train = ["--model", args.model, "--gguf-file", ""] if args.model else []
        args.model_flags_eval = ["--model", args.model] if args.model else []
        stages = (("train", train_stage, "sequences_per_s"),
                  ("cohort", lambda a, w: {"runs": [measure_cohort(n, a, w) for n in (1, 2)]}, "examples_per_s"),
                  ("evaluate", lambda a, w: {"runs": [measure_evaluate(n, a, w) for n in (1, 2)]}, "tokens_per_s"))
        for stage, measure, unit in stages:
            if stage in args.skip or (stage == "cohort" and (args.model or args.cohort_steps <= args.warmup)):
                continue
            report[stage] = result = measure(args, work)
            runs = result["runs"]
            for r in runs:
                print(f"{stage} on {r['gpus']} GPU(s): {r[unit]} {unit.replace('_per_s', '/s')}"
                      + (f" (engine {r['engine_tokens_per_s']} tok/s)" if stage == "evaluate" else ""))
            ratio = runs[1][unit] / runs[0][unit]
            result.update(ratio=round(ratio, 3), goal=GOALS[stage])
            if stage == "evaluate":
                engine = [r["engine_tokens_per_s"] for r in runs]
                result["engine_ratio"] = round(engine[1] / engine[0], 3)
                result["start_up_seconds"] = [round(r["wall_seconds"] - r["engine_seconds"], 1) for r in runs]
            print(f"{stage}: 2 GPUs / 1 GPU = {ratio:.2f}x" + (f" (goal {GOALS[stage]}x)" if GOALS[stage] else ""))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
