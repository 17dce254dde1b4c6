"""Training checkpoints: atomic save, discovery and exact resume; plus the run's environment record.

A checkpoint `checkpoint-step-N/` holds the PEFT adapter (`adapter_model.safetensors`,
`adapter_config.json` -- what `models.attach_adapter` loads), `trainer_state.pt` (optimizer and
GradScaler state, Python/torch/CUDA RNG states of every rank) and `trainer_state.json` (step, best
validation loss and its step, early-stopping patience count, stop reason). It is written into a
hidden temp folder and renamed into place, so a folder named `checkpoint-step-N` with a
`trainer_state.json` is always complete; a kill mid-save leaves only the temp folder, which the
next save replaces. Restoring the RNG states makes a resumed run draw the same dropout masks as an
uninterrupted one. Not covered: the training loop itself (`train`).
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codegen_study.files import atomic_write_text

if TYPE_CHECKING:
    from codegen_study.distributed import Dist


def checkpoints(out: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints (step, folder), oldest first."""
    found = []
    for p in out.glob("checkpoint-step-*"):
        if p.is_dir() and (p / "trainer_state.json").exists():
            try:
                found.append((int(p.name.rsplit("-", 1)[1]), p))
            except ValueError:
                continue
    return sorted(found)


def save_checkpoint(out: Path, peft_model, optimizer, scaler, state: dict, d: Dist) -> None:
    import torch
    import torch.distributed

    rng = {"python": random.getstate(), "torch": torch.get_rng_state(),
           "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}
    rngs = [rng]
    if d.distributed:
        rngs = [None] * d.world
        torch.distributed.all_gather_object(rngs, rng)
    if d.main:
        final = out / f"checkpoint-step-{state['step']}"
        tmp = out / f".{final.name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        peft_model.save_pretrained(str(tmp), save_embedding_layers=False)  # LoRA never trains embeddings
        torch.save({"optimizer": optimizer.state_dict(), "scaler": scaler.state_dict() if scaler else None,
                    "rng": rngs}, tmp / "trainer_state.pt")
        atomic_write_text(tmp / "trainer_state.json", json.dumps(state, indent=2) + "\n")
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    if d.distributed:
        torch.distributed.barrier()


def load_checkpoint(path: Path, peft_model, optimizer, scaler, d: Dist) -> dict:
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(peft_model, load_file(str(path / "adapter_model.safetensors")))
    blob = torch.load(path / "trainer_state.pt", map_location=d.device, weights_only=False)
    optimizer.load_state_dict(blob["optimizer"])
    if scaler is not None and blob["scaler"]:
        scaler.load_state_dict(blob["scaler"])
    rng = blob["rng"][d.rank] if d.rank < len(blob["rng"]) else blob["rng"][0]
    random.setstate(rng["python"])
    torch.set_rng_state(rng["torch"].cpu())
    if rng["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in rng["cuda"]])
    return json.loads((path / "trainer_state.json").read_text())


def environment(d: Dist) -> dict[str, Any]:
    import importlib.metadata as md

    import torch

    versions = {}
    for pkg in ("torch", "transformers", "peft", "accelerate", "bitsandbytes", "liger-kernel", "gguf", "safetensors"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": versions,
            "device": d.device, "gpu": gpu, "cuda": torch.version.cuda, "world_size": d.world,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
