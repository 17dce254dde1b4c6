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
each evaluation and `save` at each checkpoint, and `finish` at the end; a `Run` carries what they
share, a `TrainState` the progress. What is shared with a cohort's runs (the folder's files, batch
order and schedule, losses rows, validation bookkeeping, finishing, a CPU's precision) is
`run_folder`'s, which `Run` extends. The loss of one optimizer step is the mean over all supervised
tokens of its accumulation window (see `train_step`), so micro-batch size and packing do not change
what is optimised. Configs are in `train_config`, the LoRA wrapping in `lora`.

Run folder (`[run] output_dir`, or `--output-dir`): what `run_folder` describes and writes, the
same for a run of a cohort (config.toml, env.json, losses.jsonl, training.json, checkpoint-step-N/
with the PEFT adapter, `trainer_state.pt` with optimizer, GradScaler and RNG states, and
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

import math
import os
import random
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen_study.core.config import dump_toml, read_toml
from codegen_study.core.distributed import Dist, all_sum, setup_distributed, shutdown
from codegen_study.core.errors import UserError
from codegen_study.core.tracking import check_backend, make_tracker
from codegen_study.models import load_model, model_config
from codegen_study.store import model_label
from codegen_study.training.checkpoints import latest_checkpoint, load_checkpoint, save_checkpoint
from codegen_study.training.lora import init_lora, lora_pairs, prepare_for_training
from codegen_study.training.run_folder import RunFolder, fall_back_on_cpu
from codegen_study.training.train_config import apply_overrides, load_configs
from codegen_study.training.train_step import evaluate_loss, optimizer_step, window_loss
from codegen_study.training.training_data import (
    collate,
    load_rows,
    load_shared_valid,
    prepare_data,
    shared_valid_examples,
    split_rows,
)


@dataclass
class Run(RunFolder):
    """What the phases of one run share: built by `set_up`, advanced by `step`, `evaluate` and
    `save`, closed by `finish`; its folder, data order, schedule and progress are a `RunFolder`."""

    d: Dist | None = None
    resolved: str = ""  # the resolved config.toml (set by `set_up`)
    model: Any = None  # the PEFT model: initialised, saved, evaluated
    forward: Any = None  # what a step calls: the PEFT model, in DDP and/or compiled
    scaler: Any = None  # GradScaler with fp16 autocast
    trainable: list = field(default_factory=list)
    pad: int = 0
    valid_batches: list[dict] = field(default_factory=list)
    shared_batches: list[dict] = field(default_factory=list)  # [data] shared_valid: recorded, never judged
    bar: Any = None
    lean: bool = False  # the loss over supervised positions in chunks (`train_step.lean_loss`): on a CPU


# -- the loop -------------------------------------------------------------------------------
def train(config: str | os.PathLike | dict[str, Any], *, overrides: dict[str, dict] | None = None,
          device: str | None = None, header: str = "") -> Path:
    """Train (or resume) the run described by `config`; returns the run folder."""
    run = set_up(config, overrides, device, header)
    if run.complete:
        shutdown(run.d)
        return run.out
    state = run.state
    t0 = time.perf_counter()
    try:
        while not state.finished:
            lr = step(run)
            late = run.out_of_time(time.perf_counter() - t0)
            if run.logs_now() or late:
                run.record_loss("train", state.log_loss_sum / state.log_loss_count, lr)
                state.log_loss_sum, state.log_loss_count = 0.0, 0
            if run.evaluates_now() or late:
                evaluate(run, lr)
            run.stop_at_last_step()
            if late:
                run.stop_for_time()
            if run.saves_now():
                save(run)
    finally:
        run.bar.close()
    run.finish()
    shutdown(run.d)
    return run.out


# -- set-up ---------------------------------------------------------------------------------
def set_up(config, overrides: dict[str, dict] | None, device: str | None, header: str) -> Run:
    """Configs, data, model, optimizer and (when resuming) the saved state; the run folder is
    written only once model and data are both ready, so a failed start leaves nothing."""
    import torch

    run, header = configure(config, overrides, device, header)
    # The data's own errors come first, before any other line and before the model loads
    splits = split_rows(load_rows(run.dcfg), run.dcfg)
    shared_rows = load_shared_valid(run.dcfg) if run.dcfg.shared_valid else None
    use_cpu_plan(run, overrides)
    mcfg, dcfg, tcfg, d = run.configs["model"], run.dcfg, run.tcfg, run.d
    run.resolved = dump_toml(run.configs, header=header)
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
    run.create(run.resolved, d.device)
    run.model = prepare_for_training(model, tcfg)
    init_lora(lora_pairs(run.model), run.seed)
    run.trainable = [p for p in run.model.parameters() if p.requires_grad]
    run.log(f"model: {mcfg.gguf_file or mcfg.name_or_path} ({mcfg.precision}) on {d.device}, "
            f"{sum(p.numel() for p in run.trainable):,} trainable LoRA parameters")
    run.optimizer = torch.optim.AdamW(run.trainable, lr=tcfg.learning_rate, weight_decay=tcfg.weight_decay)
    run.scaler = torch.amp.GradScaler(d.device.split(":")[0]) if tcfg.autocast == "fp16" else None
    run.schedule()
    if run.restore(lambda path: load_checkpoint(path, run.model, run.optimizer, run.scaler, d)):
        return run
    run.pad = tok.pad_token_id
    if d.device == "cpu" and not d.distributed and tcfg.cpu_valid_rows:  # see `use_cpu_plan`; the shared
        valid_ex, shared_ex = valid_ex[:tcfg.cpu_valid_rows], shared_ex[:tcfg.cpu_valid_rows]  # set too
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
    return Run(cfgs, Path(run_cfg.output_dir), model_label(run_cfg.name, seed), seed, log=log, main=d.main,
               rank=d.rank, world=d.world, d=d), header


def _write(msg: str) -> None:
    from tqdm.auto import tqdm

    tqdm.write(msg, file=sys.stderr)


def use_cpu_plan(run: Run, overrides: dict[str, dict] | None) -> None:
    """On a CPU, train the config's batches in micro-batches that fit (see `cpu.plan_training`), in
    the precision `run_folder.fall_back_on_cpu` chooses (bf16 where the CPU has bf16 arithmetic,
    else fp32), with the lean loss; the first line of output says what was chosen (the plan's line
    names the precision too), and the resolved config.toml records what actually ran. Alone on one
    CPU process only: under DDP the loop stays as configured."""
    from codegen_study.core.cpu import Shape, apply_plan, available_memory, plan_training

    if run.d.device != "cpu" or run.d.distributed:
        return
    mcfg, tcfg, dcfg = run.configs["model"], run.tcfg, run.dcfg
    given = (overrides or {}).get("train", {})
    on_cpu, _ = fall_back_on_cpu(run.configs)
    shape = Shape.of(model_config(on_cpu["model"]))  # a GGUF is dequantized once, at that precision
    plan = plan_training(tcfg, mcfg.precision, dcfg.max_length, shape,
                         micro_batch_size=given.get("micro_batch_size"),
                         grad_accumulation=given.get("grad_accumulation"), available=available_memory())
    run.log(plan.line + (f"; validation on the first {tcfg.cpu_valid_rows} valid rows (train.cpu_valid_rows)"
                         if tcfg.cpu_valid_rows else ""))
    run.configs["model"] = on_cpu["model"]
    run.configs["train"] = apply_plan(on_cpu["train"], plan)
    run.lean = not tcfg.compile


def start(run: Run) -> None:
    """DDP and torch.compile around the model, the tracker, the losses table and training.json, the bar."""
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
    if d.main:
        run.tracker = make_tracker(tcfg.report_to, log_dir=run.out / "tensorboard", name=run.configs["run"].name,
                                   config=tomllib.loads(run.resolved), where="[train] report_to")
    run.begin()
    run.model.train()
    run.bar = tqdm(total=run.total, initial=run.state.step, desc=f"train {run.configs['run'].name}", unit="step",
                   disable=not d.main, dynamic_ncols=True)


# -- the phases of one step -------------------------------------------------------------------
def step(run: Run) -> float:
    """One optimizer step over the next accumulation window; returns its learning rate. The batch
    order is a pure function of (seed, epoch), so a resumed run sees the batches it would have seen."""
    state, tcfg, d = run.state, run.tcfg, run.d
    window = run.draw_window()
    lr = run.set_learning_rate()
    t0 = time.perf_counter()
    batch = [collate([run.train_ex[i] for i in mb], run.pad) for mb in window]
    loss = all_sum([float(window_loss(run.forward, batch, tcfg, d.device, d, run.scaler, lean=run.lean))], d)[0]
    if not math.isfinite(loss):
        raise UserError(f"step {state.step + 1}: training loss is {loss} (autocast {tcfg.autocast}, precision "
                        f"{run.configs['model'].precision}); fp16 overflows in Qwen2 activations -- use autocast = "
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
    """The validation loss at this step, judged (`RunFolder.judge`); the shared one only recorded."""
    run.judge(evaluate_loss(run.model, run.valid_batches, run.tcfg, run.d.device, run.d, lean=run.lean), lr)
    if run.dcfg.shared_valid:  # recorded only: the best step and early stopping follow the own valid split
        run.record_loss("valid_shared", evaluate_loss(run.model, run.shared_batches, run.tcfg, run.d.device, run.d,
                                                      lean=run.lean), lr)


def save(run: Run) -> None:
    save_checkpoint(run.out, run.model, run.optimizer, run.scaler, run.state, run.d)
