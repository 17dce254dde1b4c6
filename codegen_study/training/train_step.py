"""One optimizer step of `train`, and the validation loss: learning-rate schedule, autocast,
the accumulation window's token-mean loss, gradient clipping.

Why the window's token count comes first: the loss of one optimizer step is the mean over all
supervised tokens of its accumulation window (the count is summed over the window, and over the
ranks under DDP, then passed as `num_items_in_batch`), so micro-batch size, packing and the number
of GPUs do not change what is optimised. `cohort` uses the schedule and autocast too.
"""

from __future__ import annotations

import math
from contextlib import nullcontext

from codegen_study.core.distributed import Dist, all_sum
from codegen_study.training.train_config import TrainConfig


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


def window_loss(model, window: list[dict], tcfg: TrainConfig, device: str, d: Dist, scaler=None,
                lean: bool = False):
    """Forward + backward over one accumulation window; returns this rank's part of the window's
    mean token loss (a tensor, not synchronised: the parts of all ranks sum to the loss of the
    global window). Gradients sync across ranks on the last micro-batch only. `lean`: the loss of
    `lean_loss` (logits of supervised positions only, a chunk at a time), not the model's own."""
    import torch

    n_tokens = sum(int((mb["labels"][:, 1:] != -100).sum()) for mb in window)
    n_tokens = int(all_sum([float(n_tokens)], d)[0])
    total = torch.zeros((), device=device)
    for i, mb in enumerate(window):
        mb = {k: v.to(device, non_blocking=True) for k, v in mb.items()}
        sync = nullcontext() if not d.distributed or i == len(window) - 1 else model.no_sync()
        with sync:
            with autocast_context(tcfg, device):
                if lean:
                    loss = lean_loss(model, mb, max(1, n_tokens)) * d.world
                else:
                    loss = model(**mb, num_items_in_batch=max(1, n_tokens)).loss * d.world
            (scaler.scale(loss) if scaler is not None else loss).backward()
        total += loss.detach().float() / d.world
    return total


def lean_loss(model, mb: dict, n_items: int, chunk: int = 1024):
    """The causal LM loss (summed over supervised tokens, divided by `n_items`, as the model's own
    loss with `num_items_in_batch`) without logits for the whole micro-batch.

    Why: the model's own loss builds logits for every position (512 x 49,152 floats a row for
    SmolLM2, kept for the backward pass together with their softmax), though only the answer's
    positions are supervised. Here the decoder's hidden states of the supervised positions go
    through the output layer `chunk` positions at a time, each chunk under activation
    checkpointing, so at most one chunk's logits exist at once, in the forward and in the
    backward pass. Not for a model wrapped in DDP (it calls the decoder directly, past DDP's hooks).
    """
    import torch
    import torch.nn.functional as F
    from torch.utils.checkpoint import checkpoint

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    inputs = {k: v for k, v in mb.items() if k != "labels"}
    hidden = base.model(**inputs, use_cache=False).last_hidden_state
    labels = mb["labels"][:, 1:]
    keep = labels != -100
    hidden, targets = hidden[:, :-1][keep], labels[keep]

    def chunk_sum(h, y):
        return F.cross_entropy(base.lm_head(h).float(), y, reduction="sum")

    total = hidden.new_zeros((), dtype=torch.float32)
    for i in range(0, targets.shape[0], chunk):
        part = (hidden[i:i + chunk], targets[i:i + chunk])
        total = total + (checkpoint(chunk_sum, *part, use_reentrant=False) if torch.is_grad_enabled()
                         else chunk_sum(*part))
    return total / n_items


def evaluate_loss(model, batches: list[dict], tcfg: TrainConfig, device: str, d: Dist, lean: bool = False) -> float:
    """Mean token loss over validation batches (summed across ranks); `lean` as in `window_loss`."""
    import torch

    was_training = model.training
    model.eval()
    loss_sum, count = 0.0, 0.0
    with torch.no_grad():
        for mb in batches:
            mb = {k: v.to(device) for k, v in mb.items()}
            with autocast_context(tcfg, device):
                if lean:
                    loss_sum += float(lean_loss(model, mb, 1))
                else:
                    loss_sum += float(model(**mb, num_items_in_batch=1).loss.float())
            count += float((mb["labels"][:, 1:] != -100).sum())
    if was_training:
        model.train()
    loss_sum, count = all_sum([loss_sum, count], d)
    return loss_sum / max(1.0, count)


def optimizer_step(optimizer, scaler, params, tcfg: TrainConfig) -> None:
    """Unscale (fp16), clip the gradient norm, step, and clear the gradients."""
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
