"""What produced a result: package versions, Python, platform, device and git commit, recorded in
the output folder's `env.json` by every stage that writes there.

Why one record shape: the report lines run folders up key by key (`analysis.context.differing_settings`)
to show what differed between them, which only works when `train` and `evaluate` name the same
fact the same way.

`env.json` maps a stage to its record: `{"training": {...}, "generation": {...}, "scoring": {...}}`;
a stage that runs again replaces its own record and keeps the others (`evaluate` often writes into
the training run's folder). Every record holds `python`, `platform`, `packages` (name -> version,
null when not installed), `git_commit` (null outside a git checkout of this package), `argv` and
`created`; a stage that ran a model adds the device facts (`device`, `gpu`, `gpu_memory_gib`,
`cuda`: the CUDA version torch was built with, and `dtype` for a loaded model) and `world_size`;
scoring adds the sandbox's `protections`. Folders written before this shape hold a flat training
record at the top level (and `train-env.json` copies of it); `stage_record` reads both.

Standard library only at import (torch is asked lazily, and only where a stage ran a model), so
generation records its environment without polars and scoring without torch.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from codegen_study.core.files import atomic_write_text

STAGES = ("training", "generation", "scoring")
PACKAGES = ("codegen-study", "torch", "transformers", "peft", "accelerate", "bitsandbytes", "liger-kernel", "gguf",
            "safetensors", "polars")


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """name -> installed version (None when the package is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> str | None:
    """The commit of the git checkout this package is imported from; None for an installed copy
    (whose folder may sit inside some other repository) or without git."""
    package = Path(__file__).resolve().parents[1]  # codegen_study/, above core/
    try:
        done = subprocess.run(["git", "-C", str(package), "rev-parse", "--show-toplevel", "HEAD"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 2 or Path(lines[0]).resolve() / package.name != package:
        return None
    return lines[1]


def device_facts(device: str | None = None, model=None) -> dict[str, Any]:
    """Where a model ran: its device (and dtype, given the model), the GPU's name and memory, and
    the CUDA version torch was built with. Empty without torch."""
    try:
        import torch
    except ImportError:
        return {}
    facts: dict[str, Any] = {}
    if model is not None:
        first = next(model.parameters())
        facts["device"], facts["dtype"] = str(first.device), str(first.dtype)
    elif device is not None:
        facts["device"] = str(device)
    facts["cuda"] = torch.version.cuda
    facts["gpu"] = facts["gpu_memory_gib"] = None
    if torch.cuda.is_available():
        where = torch.device(facts.get("device") or "cuda")
        index = where.index if where.type == "cuda" and where.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        facts["gpu"], facts["gpu_memory_gib"] = props.name, round(props.total_memory / 2**30, 1)
    return facts


def environment(**facts: Any) -> dict[str, Any]:
    """One stage's record: the facts every stage shares, then the stage's own `facts`."""
    return {"python": platform.python_version(), "platform": platform.platform(), "packages": package_versions(),
            "git_commit": git_commit(), "argv": sys.argv[1:], "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **facts}


def stages(env: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """stage -> record of an env.json (or train-env.json) in either shape: top-level keys other than
    the stages are a training record of the older, flat shape."""
    out = {k: v for k, v in env.items() if k in STAGES and isinstance(v, dict)}
    flat = {k: v for k, v in env.items() if k not in out}
    if flat:
        out.setdefault("training", flat)
    return out


def stage_record(env: dict[str, Any], stage: str) -> dict[str, Any] | None:
    """`stage`'s record of an env.json in either shape (see `stages`), None when it has none."""
    return stages(env).get(stage)


def write_environment(folder: Path, stage: str, facts: dict[str, Any]) -> None:
    """Record `stage` (one of STAGES) in folder/env.json, keeping the other stages' records."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    path = Path(folder) / "env.json"
    env = stages(json.loads(path.read_text())) if path.exists() else {}
    env[stage] = environment(**facts)
    atomic_write_text(path, json.dumps(env, indent=2, default=str) + "\n")
