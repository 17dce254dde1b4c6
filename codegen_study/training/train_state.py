"""The progress of one training run: step, time, validation record and why it stopped.

Why a dataclass: `train` and every run of a `cohort` keep the same counters and take the same
decisions from them (best validation loss, early-stopping patience, when a run is complete); here
they are written once. The state goes into each checkpoint as `trainer_state.json` with these field
names, so a run saved by an older version resumes unchanged (`from_json` fills what an older file
lacks with the defaults). Not covered: writing or finding checkpoints (`checkpoints`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

#: the train-loss logging window: `train` keeps it across a resume, a cohort keeps it on the device
WINDOW = ("log_loss_sum", "log_loss_count")


@dataclass
class TrainState:
    step: int = 0  # optimizer steps taken
    best_val_loss: float | None = None
    best_step: int | None = None
    patience_count: int = 0  # evaluations since the best one
    seconds: float = 0.0  # time spent in optimizer steps
    log_loss_sum: float = 0.0  # train losses since the last logged row
    log_loss_count: int = 0
    finished: bool = False
    stop_reason: str | None = None  # "early_stopping", "max_steps", "epochs" or "time_limit"
    lr: float | None = None  # learning rate of the last step (cohort runs record it)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainState:
        """The state a `trainer_state.json` holds; keys it lacks keep their defaults, unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_json(self, *, window: bool = True) -> dict[str, Any]:
        """The `trainer_state.json` content: every field (`lr` once set), the logging window only with `window`."""
        out = dataclasses.asdict(self)
        if self.lr is None:
            del out["lr"]
        if not window:
            for name in WINDOW:
                del out[name]
        return out

    def is_complete(self, total: int) -> bool:
        """Nothing left to train: stopped early, or all `total` steps taken (a run stopped by the
        time limit is not complete: it resumes)."""
        return self.stop_reason == "early_stopping" or self.step >= total

    def resume(self) -> None:
        """Continue a run saved as finished (e.g. with more steps now allowed)."""
        self.finished, self.stop_reason = False, None

    def judge(self, val: float, patience: int, min_delta: float = 0.0) -> None:
        """Validation bookkeeping after evaluating at this step: best loss and step, and early
        stopping once `patience` evaluations (0 = never) brought no loss lower than the best by
        more than `min_delta` (a loss that still falls by crumbs counts as converged)."""
        if self.best_val_loss is None or val < self.best_val_loss - min_delta:
            self.best_val_loss, self.best_step, self.patience_count = val, self.step, 0
        else:
            self.patience_count += 1
        if patience and self.patience_count >= patience:
            self.stop("early_stopping")

    def stop(self, reason: str) -> None:
        self.finished, self.stop_reason = True, reason

    def summary(self) -> dict[str, Any]:
        """What `training.json` records of the end of the run."""
        return {"step": self.step, "best_step": self.best_step, "best_val_loss": self.best_val_loss,
                "stop_reason": self.stop_reason, "seconds": self.seconds}
