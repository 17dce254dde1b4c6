"""The configuration of a training run: the `[run]` and `[train]` tables, and all four sections
(run, model, data, train) read from one TOML file with command-line overrides.

Why here and not in `train`: the `train` loop, a `cohort` of runs and the command line all read
the same tables; keeping them apart from the loop lets each import what it needs without
importing the loop. The `[train]` defaults are the seed recipe (see `train`); each value is
checked when the table is read, so a bad value fails before any data or model is loaded.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Literal

from codegen_study.core.config import load_section, read_toml
from codegen_study.core.vocabulary import TRACKERS, TrackerName
from codegen_study.models import ModelConfig
from codegen_study.training.training_data import DataConfig

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
    # seconds of training (this process's loop, evaluations included) after which every run still
    # going is evaluated, saved and stopped ("time_limit"); rerunning the command resumes it
    time_limit: float | None = None
    eval_every: int = 100
    save_every: int = 100
    early_stopping_patience: int = 2  # evaluations without improvement; 0 = off
    early_stopping_min_delta: float = 0.0  # an improvement is a validation loss this much below the best
    logging_every: int = 20
    eval_batch_size: int = 8
    gradient_checkpointing: bool = True
    autocast: Literal["fp16", "bf16", "none"] = "fp16"
    compile: bool = False
    liger: bool = False
    # on a CPU: None = bf16 where the CPU has bf16 arithmetic, else fp32; true = always fp32; false = as configured
    cpu_fp32: bool | None = None
    cpu_valid_rows: int = 8  # on a CPU the validation loss covers the first N valid rows (0: all); see `cpu`
    seed: int | None = None  # None: [run] seed
    report_to: TrackerName = "none"  # experiment tracker (see `tracking`)

    def __post_init__(self) -> None:
        if self.report_to not in TRACKERS:
            raise ValueError(f"report_to must be one of {', '.join(TRACKERS)}, got {self.report_to!r}")
        for name in ("micro_batch_size", "grad_accumulation", "eval_every", "save_every", "logging_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("max_steps must be >= 1")
        if self.time_limit is not None and not self.time_limit > 0:
            raise ValueError(f"time_limit must be > 0 seconds, got {self.time_limit}")
        if not self.epochs > 0:
            raise ValueError(f"epochs must be > 0, got {self.epochs}")
        if not self.learning_rate >= 0:  # 0 is a frozen adapter: validation loss then measures the base
            raise ValueError(f"learning_rate must be >= 0, got {self.learning_rate}")
        if self.cpu_valid_rows < 0:
            raise ValueError(f"cpu_valid_rows must be >= 0, got {self.cpu_valid_rows}")
        if not self.early_stopping_min_delta >= 0:
            raise ValueError(f"early_stopping_min_delta must be >= 0, got {self.early_stopping_min_delta}")
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


def apply_overrides(configs: dict[str, Any], overrides: dict[str, dict] | None) -> dict[str, Any]:
    """`configs` (frozen dataclasses) with non-None `overrides` applied, missing sections at their defaults."""
    configs = dict(configs)
    for section, values in (overrides or {}).items():
        values = {k: v for k, v in values.items() if v is not None}
        if values:
            configs[section] = dataclasses.replace(configs[section], **values)
    for name, cls in SECTIONS.items():
        configs.setdefault(name, cls())
    return configs
