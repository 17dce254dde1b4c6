"""LoRA training: `codegen-study train --config configs/X.toml` -> checkpoints + losses in a run folder.

Covers one custom training loop used both for the seed recipe and for the fast path; they differ
only in config values:

* seed recipe (defaults): int8 base (bitsandbytes), fp16 autocast + GradScaler, micro-batch 1 x 16
  accumulation, gradient checkpointing, LoRA r 32 / alpha 64 / dropout 0.1 on q/k/v/o/gate/up/down,
  AdamW lr 2e-4, 3% linear warmup then linear decay, 2 epochs, eval + checkpoint every 100 steps,
  early stopping after 2 evaluations without a lower validation loss.
* fast path: bf16 base and autocast, larger `micro_batch_size`, `[data] packing = true`, SDPA,
  no gradient checkpointing, optionally `compile = true` (torch.compile) and `liger = true`
  (liger-kernel fused linear cross-entropy / RMSNorm / SwiGLU / RoPE, needs `liger-kernel`).

The loss of one optimizer step is the mean over all supervised tokens of its accumulation window
(the token count is summed over the window first and passed as `num_items_in_batch`), so micro-batch
size and packing do not change what is optimised.

Run folder (`[run] output_dir`, or `--output-dir`): `config.toml` (resolved), `env.json` (versions,
device), `losses.jsonl` (results.Store table `losses`: train loss every `logging_every` steps,
validation loss at each evaluation), `training.json` (data counts, best step, stop reason) and
`checkpoint-step-N/` (PEFT adapter + `trainer_state.pt`: optimizer, GradScaler, RNG states; and
`trainer_state.json`: step, best validation loss, patience count); with `report_to = "tensorboard"`
also `tensorboard/` (the same losses as event files; see `tracking`). A checkpoint is written at every
evaluation, every `save_every` steps and at the end, into a temp folder renamed when complete.
Rerunning the same command after a kill resumes from the last complete checkpoint; the batch order
is a pure function of (seed, epoch), so the resumed run sees the same batches it would have seen,
and loss rows already stored are not written again. The learning-rate schedule is a function of
the total step count, which `max_steps` (else `epochs`) sets.

Multi-GPU: run the same command under `torchrun --nproc-per-node N -m codegen_study train ...` or
`accelerate launch -m codegen_study train ...`. When WORLD_SIZE > 1 the loop initialises the
process group (NCCL on CUDA, gloo on CPU), places rank r on cuda:LOCAL_RANK, wraps the model in
DistributedDataParallel (gradient sync only on the last micro-batch of a window), gives rank r the
micro-batches r, r+N, ... of each epoch (an epoch then takes 1/N of the steps), sums token counts,
window losses and validation losses across ranks, and lets rank 0 alone write files. The global
batch is N x micro_batch_size x grad_accumulation: divide micro_batch_size (or grad_accumulation)
by N to train on exactly the batches, in the same order, that one GPU sees -- the gradient is then
the same token mean (tests/test_distributed.py). Not covered: FSDP/ZeRO sharding (a 1.5B LoRA fits
one GPU), generation (see `distributed` and `evaluate`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import sys
import time
import tomllib
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from codegen_study.config import dump_toml, load_section, read_toml
from codegen_study.distributed import Dist, all_sum, setup_distributed
from codegen_study.errors import UserError
from codegen_study.files import atomic_write_text
from codegen_study.models import ModelConfig
from codegen_study.results import Store
from codegen_study.targets import model_label
from codegen_study.tracking import Tracker, check_backend, make_tracker
from codegen_study.train_state import checkpoints, environment, load_checkpoint, save_checkpoint
from codegen_study.training_data import DataConfig

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class RunConfig:
    name: str = "run"
    output_dir: str = "runs-local/run"
    seed: int = 42


@dataclass(frozen=True)
class TrainConfig:
    lora_r: int = 32
    lora_alpha: int = 64
    lora_dropout: float = 0.1
    target_modules: tuple[str, ...] = LORA_TARGETS
    learning_rate: float = 2e-4
    weight_decay: float = 0.0
    warmup_ratio: float = 0.03
    lr_scheduler: Literal["linear", "cosine", "constant"] = "linear"
    max_grad_norm: float = 1.0
    micro_batch_size: int = 1
    grad_accumulation: int = 16
    epochs: float = 2.0
    max_steps: int | None = None
    eval_every: int = 100
    save_every: int = 100
    early_stopping_patience: int = 2  # evaluations without improvement; 0 = off
    logging_every: int = 20
    eval_batch_size: int = 8
    gradient_checkpointing: bool = True
    autocast: Literal["fp16", "bf16", "none"] = "fp16"
    compile: bool = False
    liger: bool = False
    cpu_fp32: bool = True  # on CPU compute in fp32 whatever precision/autocast say (see train())
    seed: int | None = None  # None: [run] seed
    report_to: Literal["none", "tensorboard", "trackio"] = "none"  # experiment tracker (see `tracking`)

    def __post_init__(self) -> None:
        if self.report_to not in ("none", "tensorboard", "trackio"):
            raise ValueError(f"report_to must be none, tensorboard or trackio, got {self.report_to!r}")
        for name in ("micro_batch_size", "grad_accumulation", "eval_every", "save_every", "logging_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("max_steps must be >= 1")
        if not self.epochs > 0:
            raise ValueError(f"epochs must be > 0, got {self.epochs}")
        if not self.learning_rate >= 0:  # 0 is a frozen adapter: validation loss then measures the base
            raise ValueError(f"learning_rate must be >= 0, got {self.learning_rate}")
        if self.lora_r < 1 or self.early_stopping_patience < 0 or self.eval_batch_size < 1:
            raise ValueError("lora_r and eval_batch_size must be >= 1, early_stopping_patience >= 0")
        for name in ("warmup_ratio", "lora_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")


SECTIONS: dict[str, type] = {"run": RunConfig, "model": ModelConfig, "data": DataConfig, "train": TrainConfig}


# -- configuration -------------------------------------------------------------------------
def load_configs(path: str | os.PathLike | None, overrides: dict[str, dict] | None = None) -> dict[str, Any]:
    """{section: frozen dataclass} for run/model/data/train, plus other tables (e.g. eval) as dicts."""
    overrides = overrides or {}
    raw = read_toml(path) if path is not None else {}
    out: dict[str, Any] = {name: load_section(path, name, cls, overrides.get(name)) for name, cls in SECTIONS.items()}
    for name, table in raw.items():
        if name not in SECTIONS:
            out[name] = table
    return out


def _apply_overrides(configs: dict[str, Any], overrides: dict[str, dict] | None) -> dict[str, Any]:
    configs = dict(configs)
    for section, values in (overrides or {}).items():
        values = {k: v for k, v in values.items() if v is not None}
        if values:
            configs[section] = dataclasses.replace(configs[section], **values)
    for name, cls in SECTIONS.items():
        configs.setdefault(name, cls())
    return configs


# -- model ------------------------------------------------------------------------------------
def prepare_for_training(model, tcfg: TrainConfig):
    """LoRA-wrapped model ready to train: liger patches, kbit prep, checkpointing, adapters."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    from codegen_study.models import is_quantized

    if tcfg.liger:
        try:
            from liger_kernel.transformers import _apply_liger_kernel_to_instance
        except ImportError as exc:
            raise UserError("liger = true needs the liger-kernel package (and a CUDA GPU)") from exc
        _apply_liger_kernel_to_instance(model=model)
    gc_kwargs = {"use_reentrant": False}  # non-reentrant checkpointing propagates grads to LoRA
    if is_quantized(model):
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=tcfg.gradient_checkpointing,
                                                gradient_checkpointing_kwargs=gc_kwargs)
    elif tcfg.gradient_checkpointing:
        if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.2x name
            model.activation_checkpointing_enable(activation_checkpointing_kwargs=gc_kwargs)
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=gc_kwargs)
        model.enable_input_require_grads()
    lora = LoraConfig(r=tcfg.lora_r, lora_alpha=tcfg.lora_alpha, lora_dropout=tcfg.lora_dropout,
                      target_modules=list(tcfg.target_modules), task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    model.config.use_cache = False
    return model


def init_lora(pairs, seed: int) -> None:
    """PEFT's default LoRA initialisation (A Kaiming-uniform with a = sqrt 5, B zero), drawn from a
    generator seeded with the run's seed, pair by pair in module order: the same seed gives the same
    adapter whether the run trains alone (`train`) or in a cohort (`cohort`)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for a, b in pairs:
            init = torch.empty(a.shape)
            torch.nn.init.kaiming_uniform_(init, a=math.sqrt(5), generator=gen)
            a.copy_(init)
            b.zero_()


def lora_pairs(peft_model) -> list:
    """(A, B) weight pairs of a PEFT model's active adapter, in module order."""
    from peft.tuners.lora import LoraLayer

    name = peft_model.active_adapter
    return [(m.lora_A[name].weight, m.lora_B[name].weight) for m in peft_model.modules()
            if isinstance(m, LoraLayer) and name in m.lora_A]


def lr_factor(step: int, total: int, warmup: int, kind: str) -> float:
    """Multiplier of the peak learning rate at 0-based optimizer step `step` (HF schedules)."""
    if step < warmup:
        return step / max(1, warmup)
    if kind == "constant":
        return 1.0
    progress = (step - warmup) / max(1, total - warmup)
    if kind == "cosine":
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))
    return max(0.0, 1.0 - progress)


def autocast_context(tcfg: TrainConfig, device: str):
    import torch

    if tcfg.autocast == "none":
        return nullcontext()
    dtype = torch.float16 if tcfg.autocast == "fp16" else torch.bfloat16
    return torch.autocast(device_type=device.split(":")[0], dtype=dtype)


def window_loss(model, window: list[dict], tcfg: TrainConfig, device: str, d: Dist, scaler=None):
    """Forward + backward over one accumulation window; returns this rank's part of the window's
    mean token loss (a tensor, not synchronised: the parts of all ranks sum to the loss of the
    global window). Gradients sync across ranks on the last micro-batch only."""
    import torch

    n_tokens = sum(int((mb["labels"][:, 1:] != -100).sum()) for mb in window)
    n_tokens = int(all_sum([float(n_tokens)], d)[0])
    total = torch.zeros((), device=device)
    for i, mb in enumerate(window):
        mb = {k: v.to(device, non_blocking=True) for k, v in mb.items()}
        sync = nullcontext() if not d.distributed or i == len(window) - 1 else model.no_sync()
        with sync:
            with autocast_context(tcfg, device):
                loss = model(**mb, num_items_in_batch=max(1, n_tokens)).loss * d.world
            (scaler.scale(loss) if scaler is not None else loss).backward()
        total += loss.detach().float() / d.world
    return total


def evaluate_loss(model, batches: list[dict], tcfg: TrainConfig, device: str, d: Dist) -> float:
    """Mean token loss over validation batches (summed across ranks)."""
    import torch

    was_training = model.training
    model.eval()
    loss_sum, count = 0.0, 0.0
    with torch.no_grad():
        for mb in batches:
            mb = {k: v.to(device) for k, v in mb.items()}
            with autocast_context(tcfg, device):
                loss_sum += float(model(**mb, num_items_in_batch=1).loss.float())
            count += float((mb["labels"][:, 1:] != -100).sum())
    if was_training:
        model.train()
    loss_sum, count = all_sum([loss_sum, count], d)
    return loss_sum / max(1.0, count)


# -- the loop -------------------------------------------------------------------------------
def train(config: str | os.PathLike | dict[str, Any], *, overrides: dict[str, dict] | None = None,
          device: str | None = None, header: str = "") -> Path:
    """Train (or resume) the run described by `config`; returns the run folder."""
    import torch
    from tqdm.auto import tqdm

    from codegen_study.models import load_model
    from codegen_study.training_data import collate, epoch_windows, load_rows, prepare_data, split_rows

    if isinstance(config, dict):
        cfgs = _apply_overrides(config, overrides)
    else:
        cfgs = load_configs(config, overrides)
        header = header or f"codegen-study train --config {config}"
    run_cfg, mcfg, dcfg, tcfg = cfgs["run"], cfgs["model"], cfgs["data"], cfgs["train"]
    out = Path(run_cfg.output_dir)
    seed = run_cfg.seed if tcfg.seed is None else tcfg.seed
    d = setup_distributed(device)
    log = (lambda msg: tqdm.write(msg, file=sys.stderr)) if d.main else (lambda msg: None)
    check_backend(tcfg.report_to, "[train] report_to")  # a missing extra fails before any work
    # The data's own errors come first, before any other line and before the model loads; nothing is
    # written to the run folder until model and data are both ready (a failed start leaves nothing).
    splits = split_rows(load_rows(dcfg), dcfg)
    if d.device == "cpu" and tcfg.cpu_fp32 and (mcfg.precision in ("bf16", "fp16") or tcfg.autocast != "none"):
        # bf16/fp16 matmuls are emulated on CPUs without AMX (a 135M model took > 5 min per step);
        # the resolved config.toml records what actually ran.
        log(f"cpu: computing in fp32 instead of precision {mcfg.precision} / autocast {tcfg.autocast} "
            "(set train.cpu_fp32 = false to keep them)")
        mcfg = cfgs["model"] = dataclasses.replace(mcfg, precision="fp32")
        tcfg = cfgs["train"] = dataclasses.replace(tcfg, autocast="none")

    resolved = dump_toml({k: v for k, v in cfgs.items()}, header=header)
    previous = out / "config.toml"
    if previous.exists() and checkpoints(out):
        old = read_toml(previous)
        new = tomllib.loads(resolved)
        for section in ("model", "data"):
            if old.get(section) != new.get(section):
                raise UserError(f"{previous}: [{section}] differs from this run's; use another --output-dir")
    random.seed(seed + d.rank)
    torch.manual_seed(seed + d.rank)
    model, tok = load_model(mcfg, device=d.device, for_training=True)
    train_ex, valid_ex, counts = prepare_data(tok, dcfg, log, splits=splits)
    if d.main:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{out}: cannot create the run folder: {exc.strerror}") from None
        atomic_write_text(previous, resolved)
        Store(out).write_json("env.json", environment(d))
    peft_model = prepare_for_training(model, tcfg)
    init_lora(lora_pairs(peft_model), seed)
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    log(f"model: {mcfg.gguf_file or mcfg.name_or_path} ({mcfg.precision}) on {d.device}, "
        f"{sum(p.numel() for p in trainable):,} trainable LoRA parameters")
    optimizer = torch.optim.AdamW(trainable, lr=tcfg.learning_rate, weight_decay=tcfg.weight_decay)
    scaler = torch.amp.GradScaler(d.device.split(":")[0]) if tcfg.autocast == "fp16" else None

    steps_per_epoch = len(epoch_windows(len(train_ex), 0, seed, tcfg.micro_batch_size, tcfg.grad_accumulation,
                                        d.rank, d.world))
    total = tcfg.max_steps or max(1, math.ceil(tcfg.epochs * steps_per_epoch))
    warmup = math.ceil(tcfg.warmup_ratio * total)
    state = {"step": 0, "best_val_loss": None, "best_step": None, "patience_count": 0,
             "seconds": 0.0, "log_loss_sum": 0.0, "log_loss_count": 0, "finished": False, "stop_reason": None}
    done = checkpoints(out)
    if done:
        state = load_checkpoint(done[-1][1], peft_model, optimizer, scaler, d)
        if state.get("stop_reason") == "early_stopping" or state["step"] >= total:
            log(f"{out}: already complete at step {state['step']} ({state.get('stop_reason')})")
            return out
        log(f"resuming from {done[-1][1].name}")
    state.update(finished=False, stop_reason=None)

    forward_model = peft_model
    if d.distributed:
        from torch.nn.parallel import DistributedDataParallel

        forward_model = DistributedDataParallel(peft_model, device_ids=[int(d.device.split(":")[1])]
                                                if d.device.startswith("cuda") else None)
    if tcfg.compile:
        forward_model = torch.compile(forward_model)
    pad = tok.pad_token_id
    valid_batches = [collate(valid_ex[i:i + tcfg.eval_batch_size], pad)
                     for i in range(d.rank * tcfg.eval_batch_size, len(valid_ex), tcfg.eval_batch_size * d.world)]
    store = Store(out)
    logged = store.done_keys("losses") if d.main else set()
    tracker = make_tracker(tcfg.report_to, log_dir=out / "tensorboard", name=run_cfg.name,
                           config=tomllib.loads(resolved), where="[train] report_to") if d.main else Tracker()

    label = model_label(run_cfg.name, seed)

    def record(split: str, step: int, loss: float, lr: float) -> None:
        if d.main and (label, step, split) not in logged:
            store.append("losses", [{"model": label, "step": step, "split": split, "loss": loss,
                                     "epoch": round(step / steps_per_epoch, 4), "learning_rate": lr,
                                     "seconds": round(state["seconds"], 3)}])
            tracker.log({f"{split}/loss": loss, **({"train/learning_rate": lr} if split == "train" else {})}, step)

    if d.main:
        atomic_write_text(out / "training.json", json.dumps(
            {"data": counts, "steps_per_epoch": steps_per_epoch, "total_steps": total, "world_size": d.world},
                indent=2) + "\n")
    peft_model.train()
    bar = tqdm(total=total, initial=state["step"], desc=f"train {run_cfg.name}", unit="step", disable=not d.main,
               dynamic_ncols=True)
    windows_epoch, windows = -1, []
    while state["step"] < total:
        step = state["step"]
        epoch, index = divmod(step, steps_per_epoch)
        if epoch != windows_epoch:
            windows, windows_epoch = epoch_windows(len(train_ex), epoch, seed, tcfg.micro_batch_size,
                                                    tcfg.grad_accumulation, d.rank, d.world), epoch
        lr = tcfg.learning_rate * lr_factor(step, total, warmup, tcfg.lr_scheduler)
        for group in optimizer.param_groups:
            group["lr"] = lr
        t0 = time.perf_counter()
        batch = [collate([train_ex[i] for i in mb], pad) for mb in windows[index]]
        loss = all_sum([float(window_loss(forward_model, batch, tcfg, d.device, d, scaler))], d)[0]
        if not math.isfinite(loss):
            bar.close()
            raise UserError(f"step {step + 1}: training loss is {loss} (autocast {tcfg.autocast}, precision "
                            f"{mcfg.precision}); fp16 overflows in Qwen2 activations -- use autocast = \"bf16\"")
        _optimizer_step(optimizer, scaler, trainable, tcfg)
        state["step"] = step = step + 1
        state["seconds"] += time.perf_counter() - t0
        state["log_loss_sum"] += loss
        state["log_loss_count"] += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}", lr=f"{lr:.2e}")
        last = step == total
        if step % tcfg.logging_every == 0 or last:
            record("train", step, state["log_loss_sum"] / state["log_loss_count"], lr)
            state["log_loss_sum"], state["log_loss_count"] = 0.0, 0
        evaluate = step % tcfg.eval_every == 0 or last
        if evaluate:
            val = evaluate_loss(peft_model, valid_batches, tcfg, d.device, d)
            record("valid", step, val, lr)
            if state["best_val_loss"] is None or val < state["best_val_loss"]:
                state.update(best_val_loss=val, best_step=step, patience_count=0)
            else:
                state["patience_count"] += 1
            log(f"step {step}: valid loss {val:.4f} (best {state['best_val_loss']:.4f} at step {state['best_step']})")
            if tcfg.early_stopping_patience and state["patience_count"] >= tcfg.early_stopping_patience:
                state.update(finished=True, stop_reason="early_stopping")
        if last and not state["finished"]:
            state.update(finished=True, stop_reason="max_steps" if tcfg.max_steps else "epochs")
        if evaluate or step % tcfg.save_every == 0 or state["finished"]:
            save_checkpoint(out, peft_model, optimizer, scaler, dict(state), d)
        if state["finished"]:
            break
    bar.close()
    tracker.close()
    if d.main:
        summary = json.loads((out / "training.json").read_text())
        summary.update({k: state[k] for k in ("step", "best_step", "best_val_loss", "stop_reason", "seconds")})
        atomic_write_text(out / "training.json", json.dumps(summary, indent=2) + "\n")
        log(f"done: {state['stop_reason']} at step {state['step']}, best valid loss "
            f"{state['best_val_loss']:.4f} at step {state['best_step']}; run folder {out}")
    return out


def _optimizer_step(optimizer, scaler, params, tcfg: TrainConfig) -> None:
    import torch

    if scaler is not None:
        scaler.unscale_(optimizer)
    if tcfg.max_grad_norm > 0:
        torch.nn.utils.clip_grad_norm_(params, tcfg.max_grad_norm)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)
