"""Several LoRA runs trained at once on one frozen base model (a cohort).

    codegen-study train --config configs/offline-deep.toml --config configs/offline-diverse.toml --seeds 1,2,3

Why: a small model at micro-batch 16 leaves a large GPU mostly idle; kernel launches and host
syncs, not arithmetic, bound each step. The runs of a study (two corpora x three seeds) share the
frozen base weights, so one process steps all of them together: every run's micro-batch goes
through the base model as one batch, and each row's LoRA term uses its own run's A and B (a
batched matmul over per-row adapter weights). Each run keeps its own data order and LoRA
initialisation (its seed), optimizer, learning-rate schedule, gradient clipping, token-mean loss
over its own accumulation window, validation loss, early stopping and checkpoints (the loss on
`[data] shared_valid`, when set, is recorded as split `valid_shared` and never judged); so a run
trained in a cohort optimises what it would optimise alone (tests/training/test_cohort.py compares the
losses with `train.train`).

Rows are padding-free: each accumulation window's examples are packed into rows of at most
`max_length` tokens with restarting position ids (`[data] packing = true`), otherwise one example
per row; either way the effective batch stays `micro_batch_size x grad_accumulation` examples.
Only supervised positions reach the output layer, so logits are never built for prompt tokens.
Each step draws every run's window whole and cuts it into that run's micro-batches; a step that
runs out of GPU memory is done again with every run's micro-batch halved and its accumulation
doubled (same window, same examples in the same order, same loss), down to one row, and each run's
config.toml and training.json record the split it used (`memory_fit`).

Each run's folder is what `train` writes, through the same `run_folder` (config.toml, env.json,
losses.jsonl, training.json, checkpoint-step-N/ with a PEFT adapter that `models.attach_adapter`
loads); a run's output folder is its config's `[run] output_dir` with `-s{seed}` appended, and its
training.json names the cohort job it was trained in. Rerunning the command resumes every
run from its last checkpoint (adapter, optimizer, counters); dropout masks after a resume differ
from an uninterrupted run's, since the runs share one random stream.

Several GPUs: under `torchrun --nproc-per-node N` (or `accelerate launch`) rank r trains the runs
r, r+N, ... of the list (configs in order, seeds within each) as its own cohort on cuda:LOCAL_RANK;
the ranks exchange nothing, and each run's folder is what one process would have written.

Fused kernels, for the elementwise work around the matmuls (norms, RoPE, SwiGLU, residual adds,
casts, LoRA dropout) that bounds a small model's step: `train.compile = true` compiles each decoder
layer on its own (`cohort_batch.compile_layers`: the first layer's graph and one that every other
layer reuses, the sequence length dynamic; the first step and the first validation pay for
compiling), `train.liger = true` puts liger-kernel's RMSNorm, SwiGLU and RoPE into the base model
(`cohort_batch.apply_liger`; needs a CUDA GPU and the liger-kernel package). Both belong to the
shared model, so every config of a cohort sets them alike.

Covers bf16/fp16/fp32 bases, eager PyTorch or compiled decoder layers, liger-kernel's RMSNorm,
SwiGLU and RoPE, one device per process, a micro-batch split that fits the GPU's memory (found by
running out of it, a step at a time). Not covered: int8 bases, gradient checkpointing, liger's
fused linear cross-entropy (the loss takes the supervised positions only), a whole-model
compile, one run spread over several GPUs (that is `train` with one config under torchrun: DDP),
a validation pass that does not fit (its batches have a size of their own).
"""

from __future__ import annotations

import dataclasses
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen_study.core.config import dump_toml
from codegen_study.core.distributed import launch_place
from codegen_study.core.errors import UserError
from codegen_study.store import model_label
from codegen_study.training.checkpoints import read_checkpoint, write_checkpoint
from codegen_study.training.cohort_batch import (
    Routing,
    apply_liger,
    attach_lora,
    batch_of,
    compile_layers,
    init_member,
    member_token_losses,
    require_liger,
    rows_of,
    to_device,
    validation_losses,
)
from codegen_study.training.memory_fit import fitting, micro_batches
from codegen_study.training.run_folder import RunFolder, fall_back_on_cpu
from codegen_study.training.train_config import load_configs
from codegen_study.training.train_state import TrainState
from codegen_study.training.train_step import autocast_context


@dataclass
class Member(RunFolder):
    """One run of the cohort: its folder, data order, schedule and progress (`RunFolder`), plus its
    slot in the shared LoRA layers, its validation examples and its device-side logging window."""

    index: int = 0  # its LoRA pair in every cohort layer
    config_path: str = ""  # the config it came from (named when the cohort cannot fit)
    header: str = ""  # its config.toml's header, to rewrite it with the split it ran (`memory_fit`)
    valid_ex: list[dict] = field(default_factory=list)
    shared_ex: list[dict] = field(default_factory=list)  # [data] shared_valid examples: recorded, never judged
    params: list = field(default_factory=list)
    loss_sum: Any = 0.0  # device tensor between logging steps (no host sync per step), not `state`'s window
    loss_count: int = 0

    @property
    def active(self) -> bool:
        return not self.state.finished


# -- set-up ---------------------------------------------------------------------------------------
def plan_members(config_paths: list[str], seeds: list[int] | None, overrides: dict | None) -> list[Member]:
    """One member per (config, seed); output folders get `-s{seed}`; all must share one base model."""
    members: list[Member] = []
    for path in config_paths:
        base = load_configs(path, overrides)
        for seed in seeds or [base["run"].seed if base["train"].seed is None else base["train"].seed]:
            run = dataclasses.replace(base["run"], seed=seed, output_dir=f"{base['run'].output_dir}-s{seed}")
            cfgs = {**base, "run": run, "train": dataclasses.replace(base["train"], seed=seed)}
            members.append(Member(cfgs, Path(run.output_dir), model_label(run.name, seed), seed, cohort=True,
                                  index=len(members), config_path=str(path)))
    first = members[0].configs["model"]
    for m in members[1:]:
        if m.configs["model"] != first:
            raise UserError(f"{config_paths[0]} and another config differ in [model]; a cohort shares one base model")
    outs = [m.out for m in members]
    if len(set(outs)) != len(outs):
        raise UserError("two cohort runs would write the same output folder; give each config its own [run] output_dir")
    unsupported = [m for m in members if m.tcfg.gradient_checkpointing or m.configs["model"].precision == "int8"]
    if unsupported:
        raise UserError(f"{unsupported[0].config_path}: a cohort trains without gradient checkpointing, on a "
                        "bf16/fp16/fp32 base: set train.gradient_checkpointing = false and [model] precision "
                        "accordingly (or train the runs one at a time)")
    kernels = {(m.tcfg.compile, m.tcfg.liger) for m in members}
    if len(kernels) > 1:
        raise UserError(f"{', '.join(dict.fromkeys(config_paths))}: a cohort's runs share one model, so train.compile "
                        "and train.liger must be the same in every config")
    return members


def place(members: list[Member], device: str | None, log) -> tuple[list[Member], str, Any]:
    """This process's runs, device and log: under a launcher rank r's share of the runs on
    cuda:LOCAL_RANK (`rank_share`); on a CPU, the precision every run trains in (`fall_back_on_cpu`)."""
    import torch

    from codegen_study.models import default_device

    rank, world, local = launch_place()
    if world > 1:
        members, log = rank_share(members, rank, world, log)
        if members and device is None and torch.cuda.is_available():
            device = f"cuda:{local}"
            torch.cuda.set_device(local)
    device = device or default_device()
    if device == "cpu" and members:
        configs, words = fall_back_on_cpu(members[0].configs)
        log(f"cpu: the cohort trains in {words}")
        for m in members:
            m.configs = {**m.configs, "model": configs["model"],
                         "train": dataclasses.replace(m.tcfg, autocast=configs["train"].autocast)}
    for m in members:
        m.log = log
    return members, device, log


def rank_share(members: list[Member], rank: int, world: int, log):
    """Rank `rank`'s runs of the cohort (every `world`-th, from the rank-th), renumbered from 0, and
    a log that says which rank speaks."""
    mine = members[rank::world]
    for i, m in enumerate(mine):
        m.index = i
    return mine, (lambda msg: log(f"rank {rank}/{world}: {msg}"))


def load_examples(m: Member, tok, prepared: dict, log) -> None:
    """Member m's encoded examples and counts. `prepared` maps a data config to them, so the seeds
    of one corpus encode it once; the lists are read-only from here on and shared."""
    from codegen_study.training.training_data import prepare_data, shared_valid_examples

    dcfg = dataclasses.replace(m.dcfg, packing=False)  # packing happens per window (see rows_of)
    if dcfg not in prepared:
        prepared[dcfg] = prepare_data(tok, dcfg, lambda msg: log(f"{m.label}: {msg}"))
    m.train_ex, m.valid_ex, counts = prepared[dcfg]
    shared = ("shared", dataclasses.replace(dcfg, path="", max_rows=None))  # one encoding for every corpus
    if shared not in prepared:
        prepared[shared] = shared_valid_examples(tok, dcfg, log=lambda msg: log(f"{m.label}: {msg}"))
    m.shared_ex, shared_counts = prepared[shared]
    m.counts = {**counts, "valid_shared": shared_counts} if shared_counts else counts


def prepare_member(m: Member, tok, layers, device: str, header: str, log, prepared: dict | None = None) -> None:
    """Folder, data (`load_examples`), schedule, parameters, optimizer and (when resuming) the saved
    state of member m; a member found complete trains no further and keeps its record."""
    import torch

    m.header = header
    m.create(dump_toml(m.configs, header=header), device)
    load_examples(m, tok, {} if prepared is None else prepared, log)
    m.schedule()
    init_member(layers, m.index, m.seed)
    m.params = [p for layer in layers.values() for p in (layer.lora_A[m.index], layer.lora_B[m.index])]
    m.optimizer = torch.optim.AdamW(m.params, lr=m.tcfg.learning_rate, weight_decay=m.tcfg.weight_decay)
    m.state = TrainState()
    if not m.restore(lambda path: load_member(path, m, layers, device)):
        m.begin()


# -- checkpoints ------------------------------------------------------------------------------------
def save_member(m: Member, layers: dict[str, Any], base_name: str) -> None:
    """checkpoint-step-N/: a PEFT adapter (config + safetensors) and the state to resume from."""
    from peft import LoraConfig
    from safetensors.torch import save_file

    def write_adapter(folder) -> None:
        t = m.tcfg
        lora = LoraConfig(r=t.lora_r, lora_alpha=t.lora_alpha, lora_dropout=t.lora_dropout, task_type="CAUSAL_LM",
                          target_modules=list(t.target_modules), base_model_name_or_path=base_name)
        lora.save_pretrained(str(folder))
        tensors = {}
        for name, layer in layers.items():
            for key, weights in (("lora_A", layer.lora_A), ("lora_B", layer.lora_B)):
                tensors[f"base_model.model.{name}.{key}.weight"] = weights[m.index].detach().float().cpu().contiguous()
        save_file(tensors, str(folder / "adapter_model.safetensors"))

    # the logging window stays on the device (Member.loss_sum): a resumed run starts a new one
    write_checkpoint(m.out, m.state, write_adapter, {"optimizer": m.optimizer.state_dict()}, window=False)


def load_member(path: Path, m: Member, layers: dict[str, Any], device: str) -> TrainState:
    """Member m's adapter and optimizer from a checkpoint; returns its saved state."""
    import torch
    from safetensors.torch import load_file

    tensors = load_file(str(path / "adapter_model.safetensors"))
    with torch.no_grad():
        for name, layer in layers.items():
            layer.lora_A[m.index].copy_(tensors[f"base_model.model.{name}.lora_A.weight"])
            layer.lora_B[m.index].copy_(tensors[f"base_model.model.{name}.lora_B.weight"])
    state, blob = read_checkpoint(path, device)
    m.optimizer.load_state_dict(blob["optimizer"])
    return state


# -- the loop ---------------------------------------------------------------------------------------
def step_members(model, members: list[Member], routing: Routing, pad_id: int, device: str) -> int:
    """One optimizer step for every active member; returns the number of examples trained. A step
    that runs out of memory is done again in smaller micro-batches (`memory_fit.fitting`)."""
    import torch

    active = [m for m in members if m.active]
    window_loss, examples = fitting(lambda: accumulate(model, members, active, routing, pad_id, device), active,
                                    device, members[0].log)
    for m in active:
        lr = m.set_learning_rate()
        if m.tcfg.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(m.params, m.tcfg.max_grad_norm)
        m.optimizer.step()
        m.optimizer.zero_grad(set_to_none=True)
        m.state.step += 1
        m.loss_sum = m.loss_sum + window_loss[m.index]
        m.loss_count += 1
        m.state.lr = lr
    for m in members:  # members that sat this step out must not keep zero gradients
        m.optimizer.zero_grad(set_to_none=True)
    return examples


def accumulate(model, members: list[Member], active: list[Member], routing: Routing, pad_id: int, device: str):
    """Forward and backward over the next window of every active member, each cut into micro-batches
    of its current `micro_batch_size` (`memory_fit.micro_batches`); returns (window loss per member,
    examples)."""
    import torch

    windows, examples = {}, 0
    for m in active:
        window = micro_batches(m.draw_window(), m.tcfg.micro_batch_size)
        windows[m.index] = [rows_of([m.train_ex[i] for i in mb], m.dcfg) for mb in window]
        examples += sum(len(mb) for mb in window)
    n = len(members)
    counts = torch.zeros(n)
    for m in active:  # token count of each member's whole window: the loss is the window's token mean
        counts[m.index] = float(sum(sum(1 for x in r["labels"][1:] if x != -100)
                                for mb in windows[m.index] for r in mb))
    counts = to_device(counts, device)
    window_loss = torch.zeros(n, device=device)
    for k in range(max(len(w) for w in windows.values())):
        parts = [(i, w[k]) for i, w in windows.items() if k < len(w)]
        batch, route, targets = batch_of(parts, pad_id, device, n)
        routing.set(route)
        with autocast_context(members[0].tcfg, device):
            sums, _ = member_token_losses(model, batch, targets, n)
        loss = sums / counts.clamp(min=1)
        loss.sum().backward()
        window_loss += loss.detach()
    return window_loss, examples


def train_members(model, members: list[Member], layers: dict[str, Any], routing: Routing, pad_id: int,
                  device: str) -> tuple[int, float]:
    """Step every member until each has finished: logging, evaluating and saving each on its own
    schedule; returns the examples trained and the seconds spent in steps."""
    examples, stepping = 0, 0.0
    base_name = members[0].configs["model"].name_or_path
    t0 = time.perf_counter()
    while any(m.active for m in members):
        t_step = time.perf_counter()
        examples += step_members(model, members, routing, pad_id, device)
        dt = time.perf_counter() - t_step
        stepping += dt
        due, late = [], set()
        for m in members:
            if not m.active or m.state.step == 0:
                continue
            m.state.seconds += dt
            if m.out_of_time(time.perf_counter() - t0):  # evaluated and saved here, then stopped
                late.add(m.index)
            if m.logs_now() or m.index in late:
                m.record_loss("train", float(m.loss_sum) / m.loss_count, m.state.lr)
                m.loss_sum, m.loss_count = 0.0, 0
            if m.saves_now() or m.index in late:
                due.append(m)
        evaluated = [m for m in due if m.evaluates_now() or m.index in late]
        for i, val in (validation_losses(model, evaluated, len(members), routing, pad_id, device).items()
                       if evaluated else ()):
            members[i].judge(val, members[i].state.lr)
        shared = [m for m in evaluated if m.shared_ex]  # recorded only: never judged
        for i, val in (validation_losses(model, shared, len(members), routing, pad_id, device,
                                         split="valid_shared").items() if shared else ()):
            members[i].record_loss("valid_shared", val, members[i].state.lr)
        for m in due:
            m.stop_at_last_step()
            if m.index in late:
                m.stop_for_time()
            save_member(m, layers, base_name)
            if m.state.finished:
                m.finish()
    return examples, stepping


def train_cohort(config_paths: list[str], seeds: list[int] | None = None, *, overrides: dict | None = None,
                 device: str | None = None, header: str = "", log=None) -> dict[str, Any]:
    """Train (or resume) every (config, seed) run together; returns a summary with throughput, which
    each run's training.json records as its cohort job."""
    import torch

    from codegen_study.models import load_model

    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    members, device, log = place(plan_members(config_paths, seeds, overrides), device, log)
    if not members:
        log("no run to train: more processes than runs")
        return {"runs": [], "examples": 0}
    header = header or "codegen-study train " + " ".join(f"--config {p}" for p in config_paths)
    random.seed(members[0].seed)
    torch.manual_seed(members[0].seed)
    t0 = time.perf_counter()
    tcfg = members[0].tcfg
    if tcfg.liger:
        require_liger(members[0].config_path, device)
    model, tok = load_model(members[0].configs["model"], device=device, for_training=True)
    if tcfg.liger:
        apply_liger(model, members[0].config_path)
    routing = Routing()
    layers = attach_lora(model, len(members), tcfg, routing)
    if tcfg.compile:
        compile_layers(model)
    prepared: dict = {}
    for m in members:
        prepare_member(m, tok, layers, device, header, log, prepared)
    model.train()
    fused = [words for on, words in ((tcfg.liger, "liger-kernel's RMSNorm, SwiGLU and RoPE"),
                                     (tcfg.compile, "each decoder layer compiled (torch.compile, in the first steps)"))
             if on]
    if fused:
        log(f"cohort: {'; '.join(fused)}")
    log(f"cohort: {len(members)} runs ({', '.join(m.label for m in members)}) on {device}, "
        f"{sum(p.numel() for p in members[0].params):,} LoRA parameters each")
    t_loop = time.perf_counter()
    examples, stepping = train_members(model, members, layers, routing, tok.pad_token_id, device)
    loop = time.perf_counter() - t_loop
    summary = {"runs": [m.label for m in members], "examples": examples, "loop_seconds": round(loop, 2),
               "step_seconds": round(stepping, 2), "wall_seconds": round(time.perf_counter() - t0, 2),
               "examples_per_second": round(examples / max(loop, 1e-9), 1),
               "examples_per_step_second": round(examples / max(stepping, 1e-9), 1)}
    for m in members:
        if not m.complete:  # a run found complete keeps the record of the job that trained it
            m.record = dataclasses.replace(m.record, cohort=summary)
            m.write_record()
    log(f"cohort done: {examples} examples in {loop:.1f} s ({summary['examples_per_second']} examples/s), "
        f"{summary['wall_seconds']} s with loading")
    return summary
