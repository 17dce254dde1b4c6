"""A cohort step that runs out of GPU memory, done again in smaller micro-batches.

Why: a cohort's step sends the micro-batch of every run through the base model as one batch, so
its activations grow with runs x micro-batch rows (on an 80 GB GPU twelve runs of 16 rows of 512
tokens do not fit, of 8 rows they do), and which split fits depends on the GPU, the model and the
number of runs. So the configured split is tried first, and a step that raises
`torch.OutOfMemoryError` frees what it held (gradients, the allocator's cache) and is done again
with every active run's micro-batch halved and its accumulation doubled. The window
(`micro_batch_size x grad_accumulation` examples), its examples and their order do not change (the
window is drawn whole and cut into micro-batches afterwards: `micro_batches`), nor does the loss,
the token mean over the window: a run optimises what it was configured to. The split a run used
is written into its `config.toml` and its `training.json` (`memory_fit`); when every run is at
micro-batch 1 and the step still does not fit, training stops with a UserError naming the configs.

Covers the training step of `cohort`. Not covered: the validation pass (batches of its own size),
the single-run `train` loop (on a CPU its plan chooses a split from memory before training; on a
GPU it trains the configured split).
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable
from typing import Any

from codegen_study.core.config import dump_toml
from codegen_study.core.errors import UserError
from codegen_study.core.files import atomic_write_text


def micro_batches(window: list[list[int]], size: int) -> list[list[int]]:
    """A window's examples, in their order, cut into micro-batches of `size` (the last may be shorter).

    The window itself (`RunFolder.draw_window`, one process per run) depends on its size only, not on
    how the config splits it, so a smaller split trains the same examples in the same order."""
    flat = [i for mb in window for i in mb]
    return [flat[i:i + size] for i in range(0, len(flat), size)]


def smaller_split(micro: int, accumulation: int) -> tuple[int, int] | None:
    """(micro-batch, accumulation) after halving the micro-batch: the largest size of at most half
    `micro` that divides the window, and the accumulation that keeps the window; None at 1."""
    if micro <= 1:
        return None
    window = micro * accumulation
    size = next(d for d in range(micro // 2, 0, -1) if window % d == 0)
    return size, window // size


def fitting(step: Callable[[], Any], members: list, device: str, log: Callable[[str], None]) -> Any:
    """`step()`, done again with smaller micro-batches (`shrink`) as long as it runs out of memory.
    `step` must draw its windows afresh on each call (a member's window depends on its step only)."""
    import torch

    while True:
        try:
            return step()
        except torch.OutOfMemoryError:
            pass  # freed below, outside the handler: its traceback still holds the failed step's tensors
        free_failed_step(members, device)
        shrink(members, device, log)


def free_failed_step(members: list, device: str) -> None:
    """Drop the gradients a failed step accumulated and hand the allocator's cache back."""
    import torch

    for m in members:
        m.optimizer.zero_grad(set_to_none=True)
    gc.collect()
    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()


def shrink(members: list, device: str, log: Callable[[str], None]) -> None:
    """Halve the micro-batch of every given member that can (`smaller_split`), record the new split
    in its configs, `config.toml` and `training.json`, and say so on one line; a UserError naming
    the configs when every member is at micro-batch 1 already."""
    sizes = [m.tcfg.micro_batch_size for m in members]
    rows = f"{sizes[0]} rows" if len(set(sizes)) == 1 else f"up to {max(sizes)} rows"
    where = "GPU memory" if device.startswith("cuda") else "memory"
    splits = {m.label: smaller_split(m.tcfg.micro_batch_size, m.tcfg.grad_accumulation) for m in members}
    if not any(splits.values()):
        configs = ", ".join(dict.fromkeys(m.config_path for m in members))
        raise UserError(f"cohort: {len(members)} runs x 1 row do not fit in {where} ({configs}): train fewer runs "
                        "at once (fewer configs or seeds, or one process per GPU under torchrun) or a shorter "
                        "[data] max_length")
    groups: dict[tuple[int, int], list[str]] = {}
    for m in members:
        split = splits[m.label]
        if split is not None:
            use_split(m, *split)
        groups.setdefault((m.tcfg.micro_batch_size, m.tcfg.grad_accumulation), []).append(m.label)
    if len(groups) == 1:
        micro, accumulation = next(iter(groups))
        chosen = f"micro-batches of {micro} x {accumulation} per window"
    else:
        chosen = "micro-batches of " + "; ".join(f"{a} x {b} per window for {', '.join(labels)}"
                                                 for (a, b), labels in groups.items())
    log(f"cohort: {len(members)} runs x {rows} did not fit in {where}; {chosen}")


def use_split(m, micro: int, accumulation: int) -> None:
    """Member m trains in micro-batches of `micro`, `accumulation` to a window, from its current step
    on; its config.toml and training.json (`memory_fit`: the split used, the configured one and the
    step it took over) say so."""
    t = m.tcfg
    before = m.record.memory_fit if m.record is not None else None
    configured = before["configured"] if before else [t.micro_batch_size, t.grad_accumulation]
    m.configs = {**m.configs, "train": dataclasses.replace(t, micro_batch_size=micro, grad_accumulation=accumulation)}
    if m.record is None or not m.main:
        return
    m.record = dataclasses.replace(m.record, memory_fit={"micro_batch_size": micro, "grad_accumulation": accumulation,
                                                         "configured": configured, "step": m.state.step})
    m.write_record()
    atomic_write_text(m.out / "config.toml", dump_toml(m.configs, header=m.header))
