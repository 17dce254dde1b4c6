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

The loop reads as its phases, in the manner of a torchtune recipe: `set_up` (configs, data,
model, optimizer, the saved state when resuming), then per optimizer step `step`, `evaluate` at
each evaluation and `save` at each checkpoint, and `clean_up` at the end; a `Run` carries what they
share, a `TrainState` the progress. The loss of one optimizer step is the mean over all supervised
tokens of its accumulation window (see `train_step`), so micro-batch size and packing do not change
what is optimised. Configs are in `train_config`, the LoRA wrapping in `lora`.

Run folder (`[run] output_dir`, or `--output-dir`): `config.toml` (resolved), `env.json` (the
training record of `provenance`: versions, device, commit), `losses.jsonl` (results.Store table
`losses`: train loss every `logging_every` steps, validation loss at each evaluation; with
`[data] shared_valid` also the loss on that file, split `valid_shared`, never used for the best
step or early stopping), `training.json` (data counts, best step, stop reason) and `checkpoint-step-N/` (see
`checkpoints`: PEFT adapter, `trainer_state.pt` with optimizer, GradScaler and RNG states, and
`trainer_state.json`: the `TrainState`); with `report_to = "tensorboard"` also `tensorboard/` (the
same losses as event files; see `tracking`). A checkpoint is written at every evaluation, every
`save_every` steps and at the end, into a temp folder renamed when complete. Rerunning the same
command after a kill resumes from the last complete checkpoint; the batch order is a pure function
of (seed, epoch), so the resumed run sees the same batches it would have seen, and loss rows
already stored are not written again. The learning-rate schedule is a function of
the total step count, which `max_steps` (else `epochs`) sets.

Multi-GPU: run the same command under `torchrun --nproc-per-node N -m codegen_study train ...` or
`accelerate launch -m codegen_study train ...`. When WORLD_SIZE > 1 the loop initialises the
process group (NCCL on CUDA, gloo on CPU), places rank r on cuda:LOCAL_RANK, wraps the model in
DistributedDataParallel (gradient sync only on the last micro-batch of a window), gives rank r the
micro-batches r, r+N, ... of each epoch (an epoch then takes 1/N of the steps), sums token counts,
window losses and validation losses across ranks, and lets rank 0 alone write files. The global
batch is N x micro_batch_size x grad_accumulation: divide micro_batch_size (or grad_accumulation)
by N to train on exactly the batches, in the same order, that one GPU sees -- the gradient is then
the same token mean (tests/core/test_distributed.py). Not covered: FSDP/ZeRO sharding (a 1.5B LoRA fits
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen_study.core.config import dump_toml, read_toml
from codegen_study.core.distributed import Dist, all_sum, setup_distributed, shutdown
from codegen_study.core.errors import UserError
from codegen_study.core.files import atomic_write_text
from codegen_study.core.provenance import device_facts, write_environment
from codegen_study.core.tracking import Tracker, check_backend, make_tracker
from codegen_study.models import load_model, model_config
from codegen_study.store import Store, model_label
from codegen_study.training.checkpoints import latest_checkpoint, load_checkpoint, save_checkpoint
from codegen_study.training.lora import init_lora, lora_pairs, prepare_for_training
from codegen_study.training.train_config import TrainConfig, apply_overrides, load_configs
from codegen_study.training.train_state import TrainState
from codegen_study.training.train_step import evaluate_loss, lr_factor, optimizer_step, window_loss
from codegen_study.training.training_data import (
    collate,
    epoch_windows,
    load_rows,
    load_shared_valid,
    prepare_data,
    shared_valid_examples,
    split_rows,
)


@dataclass
class Run:
    """What the phases of one run share: built by `set_up`, advanced by `step`, `evaluate` and
    `save`, closed by `clean_up`."""

    cfgs: dict[str, Any]  # run, model, data, train (frozen dataclasses) and any other table
    resolved: str  # the resolved config.toml (set by `set_up`)
    out: Path
    seed: int
    d: Dist
    log: Callable[[str], None]
    state: TrainState = field(default_factory=TrainState)
    complete: bool = False  # the run folder already holds the finished run: nothing to train
    model: Any = None  # the PEFT model: initialised, saved, evaluated
    forward: Any = None  # what a step calls: the PEFT model, in DDP and/or compiled
    optimizer: Any = None
    scaler: Any = None  # GradScaler with fp16 autocast
    trainable: list = field(default_factory=list)
    pad: int = 0
    train_ex: list[dict] = field(default_factory=list)
    valid_batches: list[dict] = field(default_factory=list)
    shared_batches: list[dict] = field(default_factory=list)  # [data] shared_valid: recorded, never judged
    counts: dict = field(default_factory=dict)
    steps_per_epoch: int = 1
    total: int = 1
    warmup: int = 0
    epoch: int = -1  # the epoch whose windows are in `windows`
    windows: list = field(default_factory=list)
    store: Store | None = None
    logged: set = field(default_factory=set)  # (model, step, split) rows already in the losses table
    tracker: Tracker = field(default_factory=Tracker)
    bar: Any = None
    lean: bool = False  # the loss over supervised positions in chunks (`train_step.lean_loss`): on a CPU

    @property
    def tcfg(self) -> TrainConfig:
        return self.cfgs["train"]

    @property
    def label(self) -> str:
        return model_label(self.cfgs["run"].name, self.seed)


# -- the loop -------------------------------------------------------------------------------
def train(config: str | os.PathLike | dict[str, Any], *, overrides: dict[str, dict] | None = None,
          device: str | None = None, header: str = "") -> Path:
    """Train (or resume) the run described by `config`; returns the run folder."""
    run = set_up(config, overrides, device, header)
    if run.complete:
        shutdown(run.d)
        return run.out
    state, tcfg = run.state, run.tcfg
    try:
        while not state.finished:
            lr = step(run)
            last = state.step == run.total
            if state.step % tcfg.logging_every == 0 or last:
                record(run, "train", state.log_loss_sum / state.log_loss_count, lr)
                state.log_loss_sum, state.log_loss_count = 0.0, 0
            evaluating = state.step % tcfg.eval_every == 0 or last
            if evaluating:
                evaluate(run, lr)
            if last and not state.finished:
                state.stop("max_steps" if tcfg.max_steps else "epochs")
            if evaluating or state.step % tcfg.save_every == 0 or state.finished:
                save(run)
    finally:
        run.bar.close()
    clean_up(run)
    shutdown(run.d)
    return run.out


# -- set-up ---------------------------------------------------------------------------------
def set_up(config, overrides: dict[str, dict] | None, device: str | None, header: str) -> Run:
    """Configs, data, model, optimizer and (when resuming) the saved state; the run folder is
    written only once model and data are both ready, so a failed start leaves nothing."""
    import torch

    run, header = configure(config, overrides, device, header)
    # The data's own errors come first, before any other line and before the model loads
    splits = split_rows(load_rows(run.cfgs["data"]), run.cfgs["data"])
    shared_rows = load_shared_valid(run.cfgs["data"]) if run.cfgs["data"].shared_valid else None
    use_cpu_plan(run, overrides)
    mcfg, dcfg, tcfg, d = run.cfgs["model"], run.cfgs["data"], run.tcfg, run.d
    run.resolved = dump_toml(run.cfgs, header=header)
    previous = run.out / "config.toml"
    if previous.exists() and latest_checkpoint(run.out) is not None:
        old, new = read_toml(previous), tomllib.loads(run.resolved)
        for section in ("model", "data"):
            if old.get(section) != new.get(section):
                raise UserError(f"{previous}: [{section}] differs from this run's; use another --output-dir")
    random.seed(run.seed + d.rank)
    torch.manual_seed(run.seed + d.rank)
    model, tok = load_model(mcfg, device=d.device, for_training=True)
    run.train_ex, valid_ex, run.counts = prepare_data(tok, dcfg, run.log, splits=splits)
    shared_ex, shared_n = shared_valid_examples(tok, dcfg, shared_rows, run.log)
    if shared_n:
        run.counts["valid_shared"] = shared_n
    if d.main:
        try:
            run.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{run.out}: cannot create the run folder: {exc.strerror}") from None
        atomic_write_text(previous, run.resolved)
        write_environment(run.out, "training", {**device_facts(d.device), "world_size": d.world})
    run.model = prepare_for_training(model, tcfg)
    init_lora(lora_pairs(run.model), run.seed)
    run.trainable = [p for p in run.model.parameters() if p.requires_grad]
    run.log(f"model: {mcfg.gguf_file or mcfg.name_or_path} ({mcfg.precision}) on {d.device}, "
            f"{sum(p.numel() for p in run.trainable):,} trainable LoRA parameters")
    run.optimizer = torch.optim.AdamW(run.trainable, lr=tcfg.learning_rate, weight_decay=tcfg.weight_decay)
    run.scaler = torch.amp.GradScaler(d.device.split(":")[0]) if tcfg.autocast == "fp16" else None
    run.steps_per_epoch = len(epoch_windows(len(run.train_ex), 0, run.seed, tcfg.micro_batch_size,
                                            tcfg.grad_accumulation, d.rank, d.world))
    run.total = tcfg.max_steps or max(1, math.ceil(tcfg.epochs * run.steps_per_epoch))
    run.warmup = math.ceil(tcfg.warmup_ratio * run.total)
    if restore(run):
        return run
    run.pad = tok.pad_token_id
    if d.device == "cpu" and not d.distributed and tcfg.cpu_valid_rows:  # see `use_cpu_plan`
        valid_ex = valid_ex[:tcfg.cpu_valid_rows]
    run.valid_batches, run.shared_batches = ([collate(ex[i:i + tcfg.eval_batch_size], run.pad) for i in range(
        d.rank * tcfg.eval_batch_size, len(ex), tcfg.eval_batch_size * d.world)] for ex in (valid_ex, shared_ex))
    start(run)
    return run


def configure(config, overrides: dict[str, dict] | None, device: str | None, header: str) -> tuple[Run, str]:
    """The run's configs, seed, process group and log, and the header of its config.toml. A tracker
    whose package is missing fails here, before any work."""
    if isinstance(config, dict):
        cfgs = apply_overrides(config, overrides)
    else:
        cfgs = load_configs(config, overrides)
        header = header or f"codegen-study train --config {config}"
    run_cfg, tcfg = cfgs["run"], cfgs["train"]
    d = setup_distributed(device)
    log = _write if d.main else (lambda msg: None)
    check_backend(tcfg.report_to, "[train] report_to")
    seed = run_cfg.seed if tcfg.seed is None else tcfg.seed
    return Run(cfgs, "", Path(run_cfg.output_dir), seed, d, log), header


def _write(msg: str) -> None:
    from tqdm.auto import tqdm

    tqdm.write(msg, file=sys.stderr)


def use_cpu_plan(run: Run, overrides: dict[str, dict] | None) -> None:
    """On a CPU, train the config's batches in micro-batches that fit (see `cpu.plan_training`), in
    bf16 where the CPU has bf16 arithmetic and else in fp32, with the lean loss; the first line of
    output says what was chosen, and the resolved config.toml records what actually ran. Alone on
    one CPU process only: under DDP the loop stays as configured."""
    from codegen_study.core.cpu import Shape, apply_plan, available_memory, cpu_precision, plan_training

    if run.d.device != "cpu" or run.d.distributed:
        return
    mcfg, tcfg, dcfg = run.cfgs["model"], run.tcfg, run.cfgs["data"]
    given = (overrides or {}).get("train", {})
    shape = Shape.of(model_config(dataclasses.replace(mcfg, precision=cpu_precision(
        mcfg.precision, tcfg.autocast, tcfg.cpu_fp32)[0])))  # a GGUF is dequantized once, at that precision
    plan = plan_training(tcfg, mcfg.precision, dcfg.max_length, shape,
                         micro_batch_size=given.get("micro_batch_size"),
                         grad_accumulation=given.get("grad_accumulation"), available=available_memory())
    run.log(plan.line + (f"; validation on the first {tcfg.cpu_valid_rows} valid rows (train.cpu_valid_rows)"
                         if tcfg.cpu_valid_rows else ""))
    run.cfgs["model"] = dataclasses.replace(mcfg, precision=plan.precision)
    run.cfgs["train"] = apply_plan(tcfg, plan)
    run.lean = not tcfg.compile


def restore(run: Run) -> bool:
    """Resume from the run folder's last checkpoint, if any; True when that run is already complete."""
    last = latest_checkpoint(run.out)
    if last is not None:
        run.state = load_checkpoint(last, run.model, run.optimizer, run.scaler, run.d)
        if run.state.is_complete(run.total):
            run.log(f"{run.out}: already complete at step {run.state.step} ({run.state.stop_reason})")
            run.complete = True
            return True
        run.log(f"resuming from {last.name}")
    run.state.resume()
    return False


def start(run: Run) -> None:
    """DDP and torch.compile around the model, the losses table and tracker, training.json, the bar."""
    import torch
    from tqdm.auto import tqdm

    d, tcfg = run.d, run.tcfg
    run.forward = run.model
    if d.distributed:
        from torch.nn.parallel import DistributedDataParallel

        run.forward = DistributedDataParallel(run.model, device_ids=[int(d.device.split(":")[1])]
                                              if d.device.startswith("cuda") else None)
    if tcfg.compile:
        run.forward = torch.compile(run.forward)
    run.store = Store(run.out)
    run.logged = run.store.done_keys("losses") if d.main else set()
    if d.main:
        run.tracker = make_tracker(tcfg.report_to, log_dir=run.out / "tensorboard", name=run.cfgs["run"].name,
                                   config=tomllib.loads(run.resolved), where="[train] report_to")
        atomic_write_text(run.out / "training.json", json.dumps(
            {"data": run.counts, "steps_per_epoch": run.steps_per_epoch, "total_steps": run.total,
             "world_size": d.world}, indent=2) + "\n")
    run.model.train()
    run.bar = tqdm(total=run.total, initial=run.state.step, desc=f"train {run.cfgs['run'].name}", unit="step",
                   disable=not d.main, dynamic_ncols=True)


# -- the phases of one step -------------------------------------------------------------------
def step(run: Run) -> float:
    """One optimizer step over the next accumulation window; returns its learning rate. The batch
    order is a pure function of (seed, epoch), so a resumed run sees the batches it would have seen."""
    state, tcfg, d = run.state, run.tcfg, run.d
    epoch, index = divmod(state.step, run.steps_per_epoch)
    if epoch != run.epoch:
        run.epoch, run.windows = epoch, epoch_windows(len(run.train_ex), epoch, run.seed, tcfg.micro_batch_size,
                                                      tcfg.grad_accumulation, d.rank, d.world)
    lr = tcfg.learning_rate * lr_factor(state.step, run.total, run.warmup, tcfg.lr_scheduler)
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    t0 = time.perf_counter()
    batch = [collate([run.train_ex[i] for i in mb], run.pad) for mb in run.windows[index]]
    loss = all_sum([float(window_loss(run.forward, batch, tcfg, d.device, d, run.scaler, lean=run.lean))], d)[0]
    if not math.isfinite(loss):
        raise UserError(f"step {state.step + 1}: training loss is {loss} (autocast {tcfg.autocast}, precision "
                        f"{run.cfgs['model'].precision}); fp16 overflows in Qwen2 activations -- use autocast = "
                        "\"bf16\"")
    optimizer_step(run.optimizer, run.scaler, run.trainable, tcfg)
    state.step += 1
    state.seconds += time.perf_counter() - t0
    state.log_loss_sum += loss
    state.log_loss_count += 1
    run.bar.update(1)
    run.bar.set_postfix(loss=f"{loss:.4f}", lr=f"{lr:.2e}")
    return lr


def evaluate(run: Run, lr: float) -> None:
    """The validation loss at this step: stored, then judged for the best step and early stopping."""
    val = evaluate_loss(run.model, run.valid_batches, run.tcfg, run.d.device, run.d, lean=run.lean)
    record(run, "valid", val, lr)
    run.state.judge(val, run.tcfg.early_stopping_patience, run.tcfg.early_stopping_min_delta)
    run.log(f"step {run.state.step}: valid loss {val:.4f} "
            f"(best {run.state.best_val_loss:.4f} at step {run.state.best_step})")
    if run.cfgs["data"].shared_valid:  # recorded only: the best step and early stopping follow the own valid split
        record(run, "valid_shared", evaluate_loss(run.model, run.shared_batches, run.tcfg, run.d.device, run.d), lr)


def save(run: Run) -> None:
    save_checkpoint(run.out, run.model, run.optimizer, run.scaler, run.state, run.d)


def record(run: Run, split: str, loss: float, lr: float) -> None:
    """One losses row (and tracker point) at this step, unless a previous attempt stored it."""
    at = run.state.step
    if run.d.main and (run.label, at, split) not in run.logged:
        run.store.append("losses", [{"model": run.label, "step": at, "split": split, "loss": loss,
                                     "epoch": round(at / run.steps_per_epoch, 4), "learning_rate": lr,
                                     "seconds": round(run.state.seconds, 3)}])
        run.tracker.log({f"{split}/loss": loss, **({"train/learning_rate": lr} if split == "train" else {})}, at)


# -- clean-up ---------------------------------------------------------------------------------
def clean_up(run: Run) -> None:
    """Close the tracker; training.json and the last line say how the run ended."""
    run.tracker.close()
    if run.d.main:
        state = run.state
        summary = json.loads((run.out / "training.json").read_text())
        summary.update(state.summary())
        atomic_write_text(run.out / "training.json", json.dumps(summary, indent=2) + "\n")
        run.log(f"done: {state.stop_reason} at step {state.step}, best valid loss {state.best_val_loss:.4f} at "
                f"step {state.best_step}; run folder {run.out}")
