"""Training speed at context 512: (a) the seed recipe vs (b) the project's fast path, on one GPU.

Both run on a model of Qwen2.5-Coder-1.5B's published shape (hidden 1536, 28 layers, 12 heads,
2 KV heads, intermediate 8960, vocab 151936, tied embeddings, rope theta 1e6, RMS eps 1e-6) with
random weights -- speed does not depend on weight values -- and rows of 512 tokens shaped like
CodeGen examples (the first 128 tokens are prompt, masked out of the loss).

(a) seed recipe: int8 base (bitsandbytes LLM.int8), fp16 AMP, micro-batch 1 x accumulation 16,
    gradient checkpointing, peft LoRA r 32 on all linear layers, HF `Trainer`.
(b) fast path: the training loop's pieces (`lora.prepare_for_training`, `train_step.window_loss`,
    `train_step.optimizer_step`) -- bf16 base + autocast, micro-batch `--micro-batch`, SDPA, no gradient
    checkpointing unless asked, optional liger-kernel (`--liger`) and torch.compile (`--compile`).

Each variant runs warm-up optimizer steps, then times optimizer steps for `--seconds` seconds.
Printed and written to `--out` (JSON): samples/s, tokens/s, TFLOP/s counting 4 x matmul params per
token (forward + activation gradients; LoRA computes no base weight gradients) and 6 x for
reference, MFU against 989 TFLOP/s (H100 SXM dense bf16), peak memory, and the ratio (b)/(a).
Attention score FLOPs are not counted (small at 512 tokens). Needs CUDA; run from the repo root:

    python benchmarks/train_speed.py --out data/benchmarks/train_speed.json
    python benchmarks/train_speed.py --only b --micro-batch 32 --liger --compile --out /tmp/b.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PEAK_TFLOPS = 989.0
SEQ = 512
PROMPT = 128


def qwen_shape_config():
    from transformers import Qwen2Config

    return Qwen2Config(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2,
                       intermediate_size=8960, vocab_size=151936, tie_word_embeddings=True, rope_theta=1e6,
                       rms_norm_eps=1e-6, max_position_embeddings=32768, use_cache=False)


def random_model(dtype):
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(qwen_shape_config(), dtype=dtype, attn_implementation="sdpa")
    return model


def matmul_params(model) -> int:
    """Weights multiplied per token: every Linear in the decoder layers plus the (tied) LM head."""
    import torch

    n = 0
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Linear) and "lora_" not in name:
            n += mod.in_features * mod.out_features
    return n


def rows(n: int, vocab: int, seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (n, SEQ), generator=g)
    labels = ids.clone()
    labels[:, :PROMPT] = -100
    return ids, labels


def summarise(name, samples, seconds, params, peak_bytes, extra):
    tokens = samples * SEQ / seconds
    tflops4 = 4 * params * tokens / 1e12
    out = {"variant": name, "samples_per_s": samples / seconds, "tokens_per_s": tokens,
           "tflops_4x": tflops4, "tflops_6x": 6 * params * tokens / 1e12, "mfu_4x": tflops4 / PEAK_TFLOPS,
           "timed_samples": samples, "timed_seconds": seconds, "peak_memory_gib": peak_bytes / 2**30,
           "matmul_params": params, **extra}
    print(f"{name}: {out['samples_per_s']:.2f} samples/s, {tokens:,.0f} tokens/s, {tflops4:.1f} TFLOP/s (4x) = "
          f"{100 * out['mfu_4x']:.1f}% MFU, {out['tflops_6x']:.1f} TFLOP/s (6x), peak {out['peak_memory_gib']:.1f} GiB",
          flush=True)
    return out


def bench_seed(args) -> dict:
    """(a) int8 + fp16 + 1 x 16 + HF Trainer + peft LoRA r32, as the original study trained."""
    import torch
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig, Trainer, TrainerCallback, TrainingArguments

    tmp = tempfile.mkdtemp(prefix="train_speed_")
    model = random_model(torch.float16)
    params = matmul_params(model)
    model.save_pretrained(tmp)  # bitsandbytes quantizes at load time, so go through a checkpoint
    del model
    torch.cuda.empty_cache()
    model = AutoModelForCausalLM.from_pretrained(tmp, quantization_config=BitsAndBytesConfig(load_in_8bit=True),
                                                 device_map={"": 0}, dtype=torch.float16, attn_implementation="sdpa")
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True,
                                            gradient_checkpointing_kwargs={"use_reentrant": False})
    model = get_peft_model(model, LoraConfig(r=32, lora_alpha=64, lora_dropout=0.1, task_type="CAUSAL_LM",
                                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                                                             "gate_proj", "up_proj", "down_proj"]))
    ids, labels = rows(16 * 64, model.config.vocab_size)
    data = [{"input_ids": ids[i], "labels": labels[i]} for i in range(len(ids))]

    class Timer(TrainerCallback):
        def __init__(self):
            self.marks = []

        def on_step_end(self, targs, state, control, **kw):
            torch.cuda.synchronize()
            self.marks.append(time.perf_counter())
            if len(self.marks) > args.warmup and self.marks[-1] - self.marks[args.warmup - 1] >= args.seconds:
                control.should_training_stop = True

    timer = Timer()
    targs = TrainingArguments(output_dir=tmp, per_device_train_batch_size=1, gradient_accumulation_steps=16,
                              fp16=True, learning_rate=2e-4, max_steps=10_000, logging_steps=10_000,
                              save_strategy="no", report_to="none", gradient_checkpointing=False,  # already on
                              dataloader_num_workers=0, disable_tqdm=True)
    torch.cuda.reset_peak_memory_stats()
    Trainer(model=model, args=targs, train_dataset=data, callbacks=[timer]).train()
    steps = len(timer.marks) - args.warmup
    seconds = timer.marks[-1] - timer.marks[args.warmup - 1]
    return summarise("a_seed_int8_fp16_1x16_trainer", steps * 16, seconds, params, torch.cuda.max_memory_allocated(),
                     {"micro_batch": 1, "grad_accumulation": 16, "timed_steps": steps})


def bench_fast(args) -> dict:
    """(b) the training loop of codegen_study.training.train with the fast-path knobs."""
    import torch

    from codegen_study.core.distributed import Dist
    from codegen_study.training.lora import prepare_for_training
    from codegen_study.training.train_config import TrainConfig
    from codegen_study.training.train_step import optimizer_step, window_loss

    mb = args.micro_batch
    accum = max(1, 16 // mb)
    tcfg = TrainConfig(micro_batch_size=mb, grad_accumulation=accum, autocast="bf16", liger=args.liger,
                       compile=args.compile, gradient_checkpointing=args.gradient_checkpointing,
                       lora_dropout=args.lora_dropout)
    model = random_model(torch.bfloat16)
    params = matmul_params(model)
    model.config.use_cache = False
    peft_model = prepare_for_training(model, tcfg)
    peft_model.train()
    forward = torch.compile(peft_model) if args.compile else peft_model
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=2e-4, fused=True)
    ids, labels = rows(mb * accum * 4, model.config.vocab_size)
    windows = [[{"input_ids": ids[j:j + mb], "labels": labels[j:j + mb]}
                for j in range(w * mb * accum, (w + 1) * mb * accum, mb)] for w in range(4)]
    d = Dist(device="cuda")
    torch.cuda.reset_peak_memory_stats()
    step, t0, samples = 0, None, 0
    while True:
        loss = float(window_loss(forward, windows[step % 4], tcfg, "cuda", d))
        optimizer_step(opt, None, trainable, tcfg)
        step += 1
        if step == args.warmup:
            torch.cuda.synchronize()
            t0 = time.perf_counter()
        elif step > args.warmup:
            samples += mb * accum
            if time.perf_counter() - t0 >= args.seconds:
                break
    torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    name = f"b_fast_bf16_mb{mb}" + ("_liger" if args.liger else "") + ("_compile" if args.compile else "") \
        + ("_gc" if args.gradient_checkpointing else "")
    return summarise(name, samples, seconds, params, torch.cuda.max_memory_allocated(),
                     {"micro_batch": mb, "grad_accumulation": accum, "timed_steps": step - args.warmup,
                      "last_loss": loss, "liger": args.liger, "compile": args.compile,
                      "gradient_checkpointing": args.gradient_checkpointing})


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=None, help="write the JSON result here")
    p.add_argument("--only", choices=["a", "b"], default=None)
    p.add_argument("--micro-batch", type=int, default=16)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--liger", action="store_true", help="liger-kernel fused linear cross-entropy etc.")
    p.add_argument("--gradient-checkpointing", action="store_true", help="(b) with gradient checkpointing")
    p.add_argument("--lora-dropout", type=float, default=0.1)
    p.add_argument("--seconds", type=float, default=25.0, help="timed seconds per variant")
    p.add_argument("--warmup", type=int, default=2, help="untimed optimizer steps first")
    args = p.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("train_speed: needs a CUDA GPU", file=sys.stderr)
        return 2
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    torch.backends.cuda.matmul.allow_tf32 = True
    result = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "seq_len": SEQ,
              "peak_tflops": PEAK_TFLOPS, "variants": []}
    for which, fn in (("a", bench_seed), ("b", bench_fast)):
        if args.only in (None, which):
            try:
                result["variants"].append(fn(args))
            except torch.cuda.OutOfMemoryError as exc:
                print(f"{which}: out of memory: {str(exc).splitlines()[0]}", flush=True)
                result["variants"].append({"variant": which, "error": "out of memory"})
            torch.cuda.empty_cache()
    done = {v["variant"][0]: v for v in result["variants"] if "samples_per_s" in v}
    if "a" in done and "b" in done:
        result["ratio_b_over_a"] = done["b"]["samples_per_s"] / done["a"]["samples_per_s"]
        print(f"ratio (b)/(a): {result['ratio_b_over_a']:.1f}x", flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
