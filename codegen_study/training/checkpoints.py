"""Checkpoint folders of a training run: written atomically, found again, resumed from.

A checkpoint `checkpoint-step-N/` holds the PEFT adapter (`adapter_model.safetensors`,
`adapter_config.json` -- what `models.attach_adapter` loads), `trainer_state.pt` (optimizer state;
for `train` also the GradScaler and the Python/torch/CUDA RNG states of every rank) and
`trainer_state.json` (the `TrainState`). It is written into a hidden temp folder and renamed into
place, so a folder named `checkpoint-step-N` with a `trainer_state.json` is always complete; a kill
mid-save leaves only the temp folder, which the next save replaces. Restoring the RNG states makes a
resumed run draw the same dropout masks as an uninterrupted one.

Evaluation reads more than our own folders: Hugging Face Trainer and TRL write `checkpoint-N/`,
and both names are found (ours wins when a step has both). Those with a PEFT adapter inside are
checkpoints (a folder without `adapter_config.json` is unfinished or foreign); a Trainer run's
validation history is the `log_history` of its newest `trainer_state.json`.

Standard library at import (torch, peft and safetensors only where a checkpoint is written or
loaded), so finding checkpoints needs no training stack. Not covered: the training loops (`train`,
`cohort`), or choosing which checkpoints an evaluation covers.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codegen_study.core.errors import UserError
from codegen_study.core.files import atomic_write_text
from codegen_study.training.train_state import TrainState

if TYPE_CHECKING:
    from codegen_study.core.distributed import Dist

CHECKPOINT_NAME = re.compile(r"checkpoint-(step-)?(\d+)")
STATE_JSON = "trainer_state.json"
STATE_PT = "trainer_state.pt"
ADAPTER_CONFIG = "adapter_config.json"


# -- finding ------------------------------------------------------------------------------------
def checkpoint_folders(run_dir: str | os.PathLike, marker: str, *, foreign: bool = True) -> dict[int, Path]:
    """step -> folder for every `checkpoint-step-N/` (and, with `foreign`, Trainer's `checkpoint-N/`)
    of `run_dir` that holds the file `marker`, by step; ours wins when a step has both."""
    found: dict[int, Path] = {}
    for p in sorted(Path(run_dir).glob("checkpoint-*"), key=lambda p: "step-" not in p.name):
        m = CHECKPOINT_NAME.fullmatch(p.name)
        if m and (foreign or m[1]) and p.is_dir() and (p / marker).exists():
            found.setdefault(int(m[2]), p)
    return dict(sorted(found.items()))


def latest_checkpoint(out: str | os.PathLike) -> Path | None:
    """The newest complete checkpoint `train` or `cohort` wrote into `out` (None before the first)."""
    found = checkpoint_folders(out, STATE_JSON, foreign=False)
    return found[max(found)] if found else None


def discover_checkpoints(run_dir: str | os.PathLike) -> dict[int, Path]:
    """step -> folder for every `checkpoint-step-N/` or `checkpoint-N/` of `run_dir` holding an adapter.

    A folder without such subfolders that holds an adapter itself (`evaluate --adapter DIR`) is
    one checkpoint, at the step its name or `trainer_state.json` gives (else 0).
    """
    found = checkpoint_folders(run_dir, ADAPTER_CONFIG)
    if not found and (Path(run_dir) / ADAPTER_CONFIG).exists():
        return {adapter_step(Path(run_dir)): Path(run_dir)}
    return found


def adapter_step(folder: Path) -> int:
    """The training step an adapter folder was saved at: from its name, its trainer state, else 0."""
    m = CHECKPOINT_NAME.fullmatch(folder.name)
    if m:
        return int(m[2])
    state = folder / STATE_JSON
    if state.is_file():
        try:
            data = json.loads(state.read_text())
        except (OSError, ValueError):
            raise UserError(f"{state}: unreadable trainer state") from None
        step = data.get("step", data.get("global_step")) if isinstance(data, dict) else None
        if isinstance(step, int):
            return step
    return 0


def trainer_eval_losses(run_dir: str | os.PathLike) -> list[dict]:
    """`eval_loss` entries of the newest Hugging Face `trainer_state.json` under `run_dir`, as losses rows."""
    states = checkpoint_folders(run_dir, STATE_JSON)
    if not states:
        return []
    path = states[max(states)] / STATE_JSON
    try:
        history = json.loads(path.read_text()).get("log_history", [])
    except (OSError, ValueError, AttributeError) as exc:
        raise UserError(f"{path}: unreadable trainer state ({exc})") from None
    return [{"split": "valid", "step": h["step"], "loss": h["eval_loss"]} for h in history
            if isinstance(h, dict) and "eval_loss" in h and isinstance(h.get("step"), int)]


# -- writing and reading --------------------------------------------------------------------------
def write_checkpoint(out: Path, state: TrainState, write_adapter: Callable[[Path], None], blob: dict[str, Any], *,
                     window: bool = True) -> Path:
    """`checkpoint-step-{state.step}/` in `out`, complete or not at all: `write_adapter(folder)`
    writes the adapter files, `blob` goes to trainer_state.pt and `state` to trainer_state.json
    (with its logging window when `window`)."""
    import torch

    final = out / f"checkpoint-step-{state.step}"
    tmp = out / f".{final.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write_adapter(tmp)
    torch.save(blob, tmp / STATE_PT)
    atomic_write_text(tmp / STATE_JSON, json.dumps(state.to_json(window=window), indent=2) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return final


def read_checkpoint(path: Path, device: str) -> tuple[TrainState, dict[str, Any]]:
    """(the saved TrainState, the trainer_state.pt blob on `device`) of a checkpoint folder."""
    import torch

    blob = torch.load(path / STATE_PT, map_location=device, weights_only=False)  # RNG states are Python objects
    return TrainState.from_json(json.loads((path / STATE_JSON).read_text())), blob


def save_checkpoint(out: Path, peft_model, optimizer, scaler, state: TrainState, d: Dist) -> None:
    """A `train` checkpoint: the PEFT adapter, optimizer, GradScaler and every rank's RNG states
    (gathered to rank 0, which alone writes)."""
    import torch
    import torch.distributed

    rng = {"python": random.getstate(), "torch": torch.get_rng_state(),
           "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}
    rngs = [rng]
    if d.distributed:
        rngs = [None] * d.world
        torch.distributed.all_gather_object(rngs, rng)
    if d.main:
        write_checkpoint(out, state,  # LoRA never trains embeddings
                         lambda folder: peft_model.save_pretrained(str(folder), save_embedding_layers=False),
                         {"optimizer": optimizer.state_dict(), "scaler": scaler.state_dict() if scaler else None,
                          "rng": rngs})
    if d.distributed:
        torch.distributed.barrier()


def load_checkpoint(path: Path, peft_model, optimizer, scaler, d: Dist) -> TrainState:
    """Restore a `train` checkpoint into the model, optimizer, GradScaler and this rank's RNGs."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(peft_model, load_file(str(path / "adapter_model.safetensors")))
    state, blob = read_checkpoint(path, d.device)
    optimizer.load_state_dict(blob["optimizer"])
    if scaler is not None and blob["scaler"]:
        scaler.load_state_dict(blob["scaler"])
    rng = blob["rng"][d.rank] if d.rank < len(blob["rng"]) else blob["rng"][0]
    random.setstate(rng["python"])
    torch.set_rng_state(rng["torch"].cpu())
    if rng["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in rng["cuda"]])
    return state
