"""What a CPU computes with: whether it has bf16 arithmetic, how much memory is free, and the plan
of a training run that must fit a laptop.

Why a plan: the committed configs train 16 examples of up to 512 tokens in one micro-batch, which
a GPU does in one step but which in fp32 on a CPU means logits of 16 x 512 x 49,152 floats plus
every layer's activations (more than 20 GB). On a CPU the same 16-example window is cut into
micro-batches of about `MICRO_TOKENS` tokens (gradient accumulation over the window gives the same
token-mean loss; see `train_step.window_loss`): a 512-token micro-batch already keeps a CPU's
matmuls busy, and a larger one only adds memory and padding. Gradient checkpointing is switched on
only where the estimate of one micro-batch's activations does not fit the memory budget (it costs
a second forward pass). bf16 is kept where the CPU multiplies bf16 natively (AVX512-BF16, AMX,
Arm BF16: two to three times fp32's speed) and replaced by fp32 elsewhere (emulated bf16 is
slower than fp32). Validation batches are as large as the micro-batches (no padding), and the
validation loss of a CPU run covers the first `cpu_valid_rows` rows.

Also the thread count a CPU decodes with (`ThreadChooser`, used by the static engine).

Covers: the decisions and the one line that reports them. Does not cover: the loop (`train`), the
loss (`train_step`).
"""

from __future__ import annotations

import dataclasses
import os
import platform
import time
from dataclasses import dataclass

MICRO_TOKENS = 512  # tokens a CPU micro-batch aims at (rows x max_length)
GB = 1024**3


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux /proc/cpuinfo; empty where unknown)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return set(value.split())
    except OSError:
        pass
    return set()


def native_bf16(flags: set[str] | None = None) -> str | None:
    """The name of the CPU feature that multiplies bf16 natively, or None (bf16 would be emulated)."""
    flags = cpu_flags() if flags is None else flags
    for name in ("amx_bf16", "avx512_bf16", "bf16"):  # x86 AMX, x86 AVX512-BF16, Arm FEAT_BF16
        if name in flags:
            return name
    if not flags and platform.system() == "Darwin" and platform.machine() == "arm64":
        return "arm64 bf16"  # Apple M2 and later; PyTorch falls back to fp32 kernels on M1
    return None


def available_memory() -> int | None:
    """Bytes of memory available to a new process (MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def cpu_precision(precision: str, autocast: str, cpu_fp32: bool | None, flags: set[str] | None = None
                  ) -> tuple[str, str]:
    """(precision, autocast) a CPU trains with: the config's own where the CPU has bf16 arithmetic
    (fp16 becomes bf16: a CPU has no fast fp16), else fp32; `cpu_fp32` True or False forces either."""
    low = precision in ("bf16", "fp16") or autocast in ("bf16", "fp16")
    if not low or cpu_fp32 is False:
        return precision, autocast
    if cpu_fp32 is None and native_bf16(flags):
        return ("bf16" if precision in ("bf16", "fp16") else precision), ("bf16" if autocast != "none" else "none")
    return "fp32", "none"


@dataclass(frozen=True)
class Shape:
    """What the memory estimate needs of a decoder."""

    params: int
    layers: int
    hidden: int
    intermediate: int

    @classmethod
    def of(cls, config) -> Shape:
        hidden = config.hidden_size
        layers = config.num_hidden_layers
        inter = getattr(config, "intermediate_size", None) or 4 * hidden
        vocab = config.vocab_size
        heads = config.num_attention_heads
        kv = getattr(config, "num_key_value_heads", None) or heads
        head_dim = getattr(config, "head_dim", None) or hidden // heads
        per_layer = hidden * head_dim * (2 * heads + 2 * kv) + 3 * hidden * inter
        tied = getattr(config, "tie_word_embeddings", False)
        return cls(layers * per_layer + vocab * hidden * (1 if tied else 2), layers, hidden, inter)


def estimate_bytes(shape: Shape, tokens: int, *, checkpointing: bool, bf16: bool) -> int:
    """Peak resident memory of one training micro-batch of `tokens` tokens, roughly: the weights,
    the activations kept for the backward pass, and the interpreter, libraries and data (about
    0.8 GB). The activation coefficients were measured on SmolLM2-135M (fp32: about 150 KB per
    token and layer without checkpointing; bf16 autocast about two thirds of that)."""
    act = 4 * (30 * shape.hidden + 14 * shape.intermediate) * (0.7 if bf16 else 1.0)
    if checkpointing:  # layer inputs kept, one layer's activations rebuilt at a time
        kept = tokens * (shape.layers * shape.hidden * 4 + act)
    else:
        kept = tokens * shape.layers * act
    return int(shape.params * (2 if bf16 else 4) + kept + 0.8 * GB)


@dataclass(frozen=True)
class TrainPlan:
    micro_batch_size: int
    grad_accumulation: int
    gradient_checkpointing: bool
    precision: str
    autocast: str
    estimate: int  # bytes
    budget: int  # bytes
    line: str  # what was chosen and why, one line


def plan_training(tcfg, precision: str, max_length: int, shape: Shape, *, micro_batch_size: int | None = None,
                  grad_accumulation: int | None = None, available: int | None = None,
                  flags: set[str] | None = None) -> TrainPlan:
    """The CPU plan of a run whose config asks for `tcfg` (see the module docstring).

    `micro_batch_size` / `grad_accumulation`: what the command line set explicitly. A micro-batch
    alone keeps the config's window (micro_batch_size x grad_accumulation examples) and must
    divide it; both together are taken as they are."""
    from codegen_study.core.errors import UserError

    window = tcfg.micro_batch_size * tcfg.grad_accumulation
    prec, autocast = cpu_precision(precision, tcfg.autocast, tcfg.cpu_fp32, flags)
    bf16 = prec == "bf16" or autocast == "bf16"
    budget = (available if available is not None else 8 * GB) // 2
    if micro_batch_size is not None and grad_accumulation is not None:
        sizes, why = [micro_batch_size], "as given"
        window = micro_batch_size * grad_accumulation
    elif micro_batch_size is not None:
        if window % micro_batch_size:
            raise UserError(f"--micro-batch-size {micro_batch_size} does not divide the config's batch of {window} "
                            "examples; give --grad-accumulation too")
        sizes, why = [micro_batch_size], "as given"
    else:
        divisors = [m for m in range(window, 0, -1) if window % m == 0]
        sizes = [m for m in divisors if m * max_length <= max(MICRO_TOKENS, max_length)]
        why = f"about {MICRO_TOKENS} tokens each"
    for m in sizes:
        tokens = m * max_length
        checkpointing = estimate_bytes(shape, tokens, checkpointing=False, bf16=bf16) > budget
        estimate = estimate_bytes(shape, tokens, checkpointing=checkpointing, bf16=bf16)
        if estimate <= budget:
            break
    accumulation = grad_accumulation if grad_accumulation is not None else window // m
    if bf16:
        kind = f"bf16 ({native_bf16(flags) or 'as configured'})"
    else:
        kind = "fp32" + (" (no native bf16 on this CPU)" if (prec, autocast) != (precision, tcfg.autocast) else "")
    line = (f"cpu plan: batches of {m * accumulation} examples as {accumulation} micro-batches of {m} ({why}), "
            f"loss over the answer tokens in chunks, gradient checkpointing {'on' if checkpointing else 'off'} "
            f"(about {estimate / GB:.1f} GB of a {budget / GB:.1f} GB budget, half the available memory), {kind}")
    return TrainPlan(m, accumulation, checkpointing, prec, autocast, estimate, budget, line)


def apply_plan(tcfg, plan: TrainPlan):
    """`tcfg` with the plan's batch split and checkpointing (precision lives in [model])."""
    return dataclasses.replace(tcfg, micro_batch_size=plan.micro_batch_size, grad_accumulation=plan.grad_accumulation,
                               gradient_checkpointing=plan.gradient_checkpointing, autocast=plan.autocast,
                               eval_batch_size=min(tcfg.eval_batch_size, plan.micro_batch_size))


class ThreadChooser:
    """How many threads a CPU runs the decode step (and a prompt's prefill) fastest with, found by
    timing: all of torch's threads, or one.

    Why: a decode step is hundreds of small operations, each a parallel region that ends at a
    barrier; when another process holds one of a laptop's two cores, every barrier waits for a
    descheduled thread, and two threads ran the SmolLM2 step five times slower than one (0.42 s
    against 0.084 s on a two-core machine under load); on an idle machine two threads are faster.
    So every `every` calls of a kind, `trial` calls run at each thread count and the rest use the
    one that was fastest per unit of work (the least time seen: noise only adds time). A prompt's
    prefill is long and a batch has few, so it tries each count once every 16 prompts. One thread
    is chosen only when it is clearly faster (`MARGIN`): on an idle machine the two counts time
    within a few percent of each other on the first, short steps, and one thread then cost 7% over a
    whole batch (`benchmarks/cpu_decode.py`), while under load one thread is several times faster.
    """

    PLAN = {"decode": (2, 256), "prefill": (1, 16)}  # kind -> (trial, every)
    MARGIN = 0.8  # one thread is chosen when its time per unit of work is below this share of all threads'

    def __init__(self):
        import torch

        self.most = torch.get_num_threads()
        self.options = [self.most, 1] if self.most > 1 else [self.most]
        self.calls: dict[str, int] = {}
        self.best: dict[str, int] = {}
        self.costs: dict[str, dict[int, float]] = {}

    def run(self, fn, *, work: float = 1.0, kind: str = "decode"):
        import torch

        if len(self.options) == 1:
            return fn()
        n = self.calls.get(kind, 0)
        self.calls[kind] = n + 1
        trial, every = self.PLAN[kind]
        phase = n % every
        probing = phase < trial * len(self.options)
        threads = self.options[phase // trial] if probing else self.best.get(kind, self.most)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        if not probing:
            return fn()
        if phase == 0:
            self.costs[kind] = {}
        t0 = time.perf_counter()
        out = fn()
        cost = (time.perf_counter() - t0) / max(work, 1e-9)
        costs = self.costs[kind]
        costs[threads] = min(cost, costs.get(threads, float("inf")))
        self.best[kind] = self._choose(costs)
        return out

    def _choose(self, costs: dict[int, float]) -> int:
        if self.most in costs and 1 in costs:
            return 1 if costs[1] < self.MARGIN * costs[self.most] else self.most
        return min(costs, key=costs.get)

    def restore(self) -> None:
        import torch

        if torch.get_num_threads() != self.most:
            torch.set_num_threads(self.most)
