"""A training run's folder, and how a run fills it: the same for the single-run loop (`train`) and
for every run of a cohort (`cohort`).

Why one module: the two loops step differently (one PEFT model, with DDP and compile; or many
adapters on one frozen base) but must leave the same folder behind, since evaluation and the
report read it without asking which loop wrote it. Written twice, the shared parts drifted; here
they are written once: the folder's files, the run's schedule and batch order, its losses rows, the
validation bookkeeping, the end of the run, and the precision a CPU trains in.

A run folder holds:

* `config.toml` -- the resolved configs, as they ran (after a CPU's choices);
* `env.json` -- the `training` record of `provenance` (versions, device, commit);
* `losses.jsonl` -- the store's `losses` table: the train loss every `logging_every` steps, the
  validation loss at each evaluation (split `valid`) and, with `[data] shared_valid`, the loss on
  that file (split `valid_shared`: recorded, never used for the best step or early stopping);
* `training.json` -- the `RunRecord`: data counts, schedule, and how the run ended;
* `checkpoint-step-N/` -- see `checkpoints`; with `report_to = "tensorboard"` also `tensorboard/`.

Not covered: computing losses and stepping optimizers (the loops, `train_step`), what a
checkpoint holds (`checkpoints`).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen_study.core.cpu import cpu_precision, native_bf16
from codegen_study.core.errors import UserError
from codegen_study.core.files import atomic_write_text
from codegen_study.core.provenance import device_facts, write_environment
from codegen_study.core.tracking import Tracker
from codegen_study.store import LOSSES, Store
from codegen_study.training.checkpoints import latest_checkpoint
from codegen_study.training.train_state import TrainState
from codegen_study.training.train_step import lr_factor
from codegen_study.training.training_data import epoch_windows

RECORD = "training.json"


def _silent(msg: str) -> None:
    pass


@dataclass
class RunRecord:
    """`training.json`: what a run trained on, its schedule and, once it ended, how it ended.

    One field set for both loops, with one meaning. Written when training starts and again at the
    end; the end fields (`step` .. `seconds`, `TrainState.summary`) appear only then, so a record
    without `stop_reason` is a run still going or killed; `memory_fit` appears only where a cohort
    trained another split than the configured one. Every field has a default, so records
    of older versions read as they are (`read`)."""

    data: dict[str, Any] = field(default_factory=dict)  # per split: rows, truncated, dropped, tokens; and
    # `train_sequences`: what the batches are drawn from (packed rows, or examples when a cohort packs per window)
    steps_per_epoch: int | None = None
    total_steps: int | None = None
    world_size: int = 1  # processes training this one run (DDP); every run of a cohort has one
    cohort: bool | dict[str, Any] | None = None  # None: trained alone; in a cohort True, then the job's summary
    # None: the configured split; a cohort step that ran out of GPU memory: the split used from `step` on,
    # and the `configured` one [micro_batch_size, grad_accumulation] (see `memory_fit`)
    memory_fit: dict[str, Any] | None = None
    step: int | None = None
    best_step: int | None = None
    best_val_loss: float | None = None
    stop_reason: str | None = None  # "early_stopping", "max_steps", "epochs" or "time_limit"
    seconds: float | None = None  # time in the optimizer steps the run took part in (a cohort's: the whole step)

    END = ("step", "best_step", "best_val_loss", "stop_reason", "seconds")

    @classmethod
    def read(cls, folder: str | Path) -> RunRecord | None:
        """The record in `folder`, None without one; fields it lacks keep their defaults."""
        path = Path(folder) / RECORD
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            raise UserError(f"{path}: unreadable training record") from None
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @property
    def done(self) -> bool:
        """Whether the run ended for good: it has a stop reason, and not the time limit (such a run
        resumes when its command is run again)."""
        return self.stop_reason not in (None, "time_limit")

    def to_json(self) -> dict[str, Any]:
        """Every field, the end fields only once the run ended, `memory_fit` only where set."""
        out = dataclasses.asdict(self)
        if self.memory_fit is None:
            del out["memory_fit"]
        if self.stop_reason is None:
            for name in self.END:
                del out[name]
        return out

    def write(self, folder: Path) -> None:
        atomic_write_text(folder / RECORD, json.dumps(self.to_json(), indent=2) + "\n")


@dataclass
class RunFolder:
    """One training run as its folder sees it: configs, data order, schedule, progress, and the
    files it writes. The loops' own run types extend it with what only they need (`train.Run`,
    `cohort.Member`)."""

    configs: dict[str, Any]  # run, model, data, train (frozen dataclasses) and any other table
    out: Path
    label: str  # the store's model label (`deep-s1`)
    seed: int
    log: Callable[[str], None] = _silent
    main: bool = True  # this process writes the folder (rank 0 of a DDP run)
    rank: int = 0  # this process's share of the run's batches (DDP), and the number of shares
    world: int = 1
    cohort: bool = False  # trained in a cohort: its lines start with its label, its record says so
    state: TrainState = field(default_factory=TrainState)
    complete: bool = False  # the folder already held the finished run: nothing to train, its record kept
    optimizer: Any = None
    train_ex: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # the record's `data`
    steps_per_epoch: int = 1
    total: int = 1
    warmup: int = 0
    epoch: int = -1  # the epoch whose windows are in `windows`: the order is drawn once per epoch
    windows: list = field(default_factory=list)
    store: Store | None = None
    logged: set = field(default_factory=set)  # (model, step, split) rows already in the losses table
    tracker: Tracker = field(default_factory=Tracker)
    record: RunRecord | None = None

    @property
    def tcfg(self):
        return self.configs["train"]

    @property
    def dcfg(self):
        return self.configs["data"]

    @property
    def heading(self) -> str:
        """What this run's lines start with: its label in a cohort (whose runs share one log)."""
        return f"{self.label} " if self.cohort else ""

    # -- start ----------------------------------------------------------------------------------
    def create(self, resolved: str, device: str) -> None:
        """config.toml and env.json: called once model and data are ready, so a failed start leaves nothing."""
        if not self.main:
            return
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{self.out}: cannot create the run folder: {exc.strerror}") from None
        atomic_write_text(self.out / "config.toml", resolved)
        write_environment(self.out, "training", {**device_facts(device), "world_size": self.world})

    def schedule(self) -> None:
        """Steps per epoch (this process's windows), total steps (`max_steps`, else `epochs`) and warm-up."""
        t = self.tcfg
        self.steps_per_epoch = len(epoch_windows(len(self.train_ex), 0, self.seed, t.micro_batch_size,
                                                 t.grad_accumulation, self.rank, self.world))
        self.total = t.max_steps or max(1, math.ceil(t.epochs * self.steps_per_epoch))
        self.warmup = math.ceil(t.warmup_ratio * self.total)

    def restore(self, load: Callable[[Path], TrainState]) -> bool:
        """Resume from the folder's last complete checkpoint, if any (`load` puts it into the model
        and optimizer and returns its state); True when that run is already complete."""
        last = latest_checkpoint(self.out)
        if last is not None:
            self.state = load(last)
            if self.state.is_complete(self.total):
                self.state.finished = self.complete = True
                self.log(f"{self.out}: already complete at step {self.state.step} ({self.state.stop_reason})")
                return True
            self.log(f"{self.heading}resuming from {last.name}")
        self.state.resume()
        return False

    def begin(self) -> None:
        """Open the losses table (rows a previous attempt stored are not written again) and write the
        record of the start."""
        self.store = Store(self.out)
        self.logged = self.store.done_keys("losses") if self.main else set()
        self.record = RunRecord(self.counts, self.steps_per_epoch, self.total, self.world,
                                cohort=True if self.cohort else None)
        self.write_record()

    # -- each step ------------------------------------------------------------------------------
    def draw_window(self) -> list[list[int]]:
        """The micro-batches (example indices) of the next step's accumulation window. The order is
        a pure function of (seed, epoch), so a resumed run sees the batches it would have seen."""
        t = self.tcfg
        epoch, index = divmod(self.state.step, self.steps_per_epoch)
        if epoch != self.epoch:
            self.epoch, self.windows = epoch, epoch_windows(len(self.train_ex), epoch, self.seed, t.micro_batch_size,
                                                            t.grad_accumulation, self.rank, self.world)
        return self.windows[index]

    def set_learning_rate(self) -> float:
        """The schedule's learning rate for the next step, set on the optimizer."""
        t = self.tcfg
        lr = t.learning_rate * lr_factor(self.state.step, self.total, self.warmup, t.lr_scheduler)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr

    @property
    def last(self) -> bool:
        return self.state.step >= self.total

    def logs_now(self) -> bool:
        return self.state.step % self.tcfg.logging_every == 0 or self.last

    def evaluates_now(self) -> bool:
        return self.state.step % self.tcfg.eval_every == 0 or self.last

    def saves_now(self) -> bool:
        """A checkpoint at every evaluation, every `save_every` steps and at the end."""
        return self.evaluates_now() or self.state.step % self.tcfg.save_every == 0 or self.state.finished

    def record_loss(self, split: str, loss: float, lr: float) -> None:
        """One losses row (and tracker point) at this step, unless a previous attempt stored it; a
        loss that is not finite stops the run."""
        at = self.state.step
        if not math.isfinite(loss):
            raise UserError(f"{self.heading}step {at}: {split} loss is {loss} (autocast {self.tcfg.autocast}, "
                            f"precision {self.configs['model'].precision}); use autocast = \"bf16\"")
        if self.main and (self.label, at, split) not in self.logged:
            self.store.append("losses", [LOSSES.row(model=self.label, step=at, split=split, loss=loss,
                                                    epoch=round(at / self.steps_per_epoch, 4), learning_rate=lr,
                                                    seconds=round(self.state.seconds, 3))])
            self.tracker.log({f"{split}/loss": loss, **({"train/learning_rate": lr} if split == "train" else {})}, at)

    def judge(self, val: float, lr: float) -> None:
        """The validation loss at this step: stored, then judged for the best step and early stopping."""
        self.record_loss("valid", val, lr)
        s, t = self.state, self.tcfg
        s.judge(val, t.early_stopping_patience, t.early_stopping_min_delta)
        self.log(f"{self.heading}step {s.step}: valid loss {val:.4f} "
                 f"(best {s.best_val_loss:.4f} at step {s.best_step})")

    def stop_at_last_step(self) -> None:
        if self.last and not self.state.finished:
            self.state.stop("max_steps" if self.tcfg.max_steps else "epochs")

    def out_of_time(self, elapsed: float) -> bool:
        """Whether `train.time_limit` seconds of training have passed in this process: the run is
        then evaluated, saved and stopped at this step (`stop_for_time`), not annealed; rerunning
        resumes it (`TrainState.is_complete`)."""
        limit = self.tcfg.time_limit
        return limit is not None and elapsed >= limit and not self.state.finished and self.state.step > 0

    def stop_for_time(self) -> None:
        if not self.state.finished:
            self.state.stop("time_limit")

    # -- end ------------------------------------------------------------------------------------
    def finish(self) -> None:
        """Close the tracker; the record and the last line say how the run ended."""
        self.tracker.close()
        s = self.state
        self.record = dataclasses.replace(self.record, **s.summary())
        self.write_record()
        self.log(f"{self.heading}done: {s.stop_reason} at step {s.step}, best valid loss {s.best_val_loss:.4f} at "
                 f"step {s.best_step}; run folder {self.out}")

    def write_record(self) -> None:
        if self.main:
            self.record.write(self.out)


def fall_back_on_cpu(configs: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """`configs` with the precision and autocast a CPU trains in, and the words that name them.

    Why: a CPU without bf16 arithmetic emulates it, slower than fp32, and has no fast fp16
    (`core.cpu.cpu_precision` decides; `train.cpu_fp32` forces either way). Both loops load the
    base and train in what this returns, and say so on their first line."""
    mcfg, tcfg = configs["model"], configs["train"]
    precision, autocast = cpu_precision(mcfg.precision, tcfg.autocast, tcfg.cpu_fp32)
    if "bf16" in (precision, autocast):
        words = f"bf16 ({native_bf16() or 'as configured'})"
    elif (precision, autocast) != (mcfg.precision, tcfg.autocast):
        words = f"fp32 ({'train.cpu_fp32' if tcfg.cpu_fp32 else 'no native bf16 on this CPU'}; configured: "\
                f"precision {mcfg.precision}, autocast {tcfg.autocast})"
    else:
        words = "fp32"
    return {**configs, "model": dataclasses.replace(mcfg, precision=precision),
            "train": dataclasses.replace(tcfg, autocast=autocast)}, words
