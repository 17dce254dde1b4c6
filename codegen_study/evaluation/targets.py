"""Which models an evaluation covers: the base, and the checkpoints of a training run.

A run folder's checkpoints are what `checkpoints.discover_checkpoints` finds (ours and Hugging
Face Trainer's). "final" is the highest step; "best" the step with the lowest validation loss in the
run's `losses` table (earliest on ties), i.e. what early stopping keeps; a Trainer run without
that table gives its `eval_loss` history (`trainer_state.json` of its latest checkpoint). The model
label of a checkpoint is the run's `[run] name` from its `config.toml`.

Also what `evaluate --model/--gguf/--adapter` name: the `[model]` table, an adapter's label and
base model, and the precision a device computes well.

Reads only the standard library (polars only when a table was compacted to parquet; torch only to
ask for a GPU), so it runs on the GPU machine. Does not load models (see `generate`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from codegen_study.core.config import read_toml
from codegen_study.core.errors import UserError
from codegen_study.store import Store, model_label
from codegen_study.training.checkpoints import CHECKPOINT_NAME, discover_checkpoints, trainer_eval_losses

SAMPLE_LABELS = ("base", "final", "best")
VALID_SPLITS = ("valid", "validation", "val")


@dataclass(frozen=True)
class Target:
    """One model to evaluate: a label + step, and the adapter folder (None for the base)."""

    model: str
    step: int
    adapter: Path | None
    sampled: bool  # also run the sampling decoding
    arm: str = "base"  # the run's `[run] name` ("deep", "diverse"); "base" for the untrained model
    train_seed: int | None = None  # the training seed (LoRA initialisation and data order)
    full: bool = True  # the base, the final or the best checkpoint: every benchmark and prompt style
    shots: str | None = None  # a file of solved examples shown before each question (the format control)


def table_rows(store: Store, table: str) -> list[dict]:
    """All rows of a table: JSONL part without polars, parquet part (if any) through polars."""
    rows = list(store.iter_rows(table))
    pq = store.path(table, ".parquet")
    if pq.exists():
        import polars as pl

        rows = pl.read_parquet(pq).to_dicts() + rows
    return rows


def best_step(run_dir: str | os.PathLike, steps: list[int]) -> int | None:
    """The checkpoint step with the lowest validation loss (earliest on ties); None without any."""
    valid = {}
    for row in table_rows(Store(run_dir), "losses") or trainer_eval_losses(run_dir):
        if str(row.get("split")).lower() in VALID_SPLITS and row.get("step") in steps:
            loss = row.get("loss")
            if loss is not None and loss == loss:  # skip NaN
                valid[int(row["step"])] = float(loss)
    if not valid:
        return None
    return min(valid, key=lambda s: (valid[s], s))


def run_identity(run_dir: Path, fallback: str | None) -> tuple[str, int | None]:
    """(arm, training seed) of a run: its own config.toml's `[run] name` (else `fallback`, else
    the folder name) and `[train] seed` (else `[run] seed`)."""
    cfg = run_dir / "config.toml"
    if not cfg.exists() and CHECKPOINT_NAME.fullmatch(run_dir.name):  # one checkpoint of a run folder
        cfg = run_dir.parent / "config.toml"
    tables = read_toml(cfg) if cfg.exists() else {}
    name = tables.get("run", {}).get("name") or fallback or run_dir.name
    seed = tables.get("train", {}).get("seed")
    seed = tables.get("run", {}).get("seed") if seed is None else seed
    return str(name), (int(seed) if seed is not None else None)


def plan_targets(cfg, run_dir: Path | None, *, name: str | None, include_base: bool = True,
                 steps: list[str] | None = None) -> list[Target]:
    """Base + the run's checkpoints (filtered by `steps`: numbers, "final", "best").

    `cfg.sample_checkpoints` (labels or step numbers) says which targets are also sampled.
    """
    want = set(cfg.sample_checkpoints)
    targets = [Target("base", 0, None, "base" in want)] if include_base else []
    if run_dir is None:
        return targets
    ckpts = discover_checkpoints(run_dir)
    if not ckpts and not targets:
        raise UserError(f"{run_dir}: no checkpoint-step-N/ or checkpoint-N/ folder with an adapter")
    final = max(ckpts) if ckpts else None
    best = best_step(run_dir, list(ckpts)) if ckpts else None
    sampled = {int(s) for s in want if s.isdigit()} | ({final} if "final" in want else set()) \
        | ({best} if "best" in want and best is not None else set())
    chosen = list(ckpts)
    if steps:
        alias = {"final": final, "best": best}
        bad = [s for s in steps if s not in alias and not s.isdigit()]
        if bad:
            raise UserError(f"--steps: {bad[0]!r} is not a step number, final or best")
        chosen = sorted({alias[s] if s in alias else int(s) for s in steps} - {None})
        missing = [s for s in chosen if s not in ckpts]
        if missing:
            raise UserError(f"{run_dir}: no checkpoint of step {missing[0]} (have {sorted(ckpts)})")
    arm, seed = run_identity(run_dir, name)
    label = model_label(arm, seed)
    return targets + [Target(label, s, ckpts[s], s in sampled, arm, seed, s in (final, best)) for s in chosen]


# -- models named on the command line (`evaluate --model/--gguf/--adapter`) -----------------------
def read_adapter(folder: Path) -> tuple[str, str | None]:
    """(label, base model) of a PEFT adapter folder.

    The label is its training run's name for a `checkpoint-N/` inside a run folder (the
    parent's `[run] name`, else the parent's folder name), else the folder's own name; the base
    is what `adapter_config.json` names (None when it names none).
    """
    path = folder / "adapter_config.json"
    if not path.is_file():
        raise UserError(f"--adapter {folder}: no adapter_config.json there (not a PEFT adapter folder)")
    try:
        base = json.loads(path.read_text()).get("base_model_name_or_path")
    except (OSError, ValueError, AttributeError) as exc:
        raise UserError(f"{path}: not a PEFT adapter config ({exc})") from None
    folder = folder.resolve()
    label = folder.name
    if CHECKPOINT_NAME.fullmatch(folder.name):
        label = model_label(*run_identity(folder.parent, folder.parent.name))
    return label, base if isinstance(base, str) and base else None


def model_from_flags(spec: str, gguf: str | None = None) -> dict[str, str]:
    """The `[model]` table `--model SPEC [--gguf FILE]` stands for.

    SPEC is a hub id, a local folder, or a GGUF file (a path or `DIST:FILE.gguf`); `--gguf` names
    the GGUF file inside SPEC's folder (or anywhere).
    """
    if spec.lower().endswith(".gguf"):
        return {"name_or_path": Path(spec.rpartition(":")[2]).stem, "gguf_file": spec}
    table = {"name_or_path": spec}
    if gguf:
        local = Path(spec) / gguf
        table["gguf_file"] = str(local) if local.is_file() else gguf
    return table


def device_precision(device: str | None) -> str:
    """What the device computes well: bf16 on a GPU (fp16 where bf16 is missing), fp32 on a CPU.

    The seed recipe's int8 needs CUDA (bitsandbytes), so it is never a default.
    """
    if str(device or "").startswith("cpu"):
        return "fp32"
    import torch

    if not torch.cuda.is_available():
        return "fp32"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
