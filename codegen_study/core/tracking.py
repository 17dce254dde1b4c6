"""Experiment tracking: metrics also sent to TensorBoard or trackio, for watching runs live.

Why optional: the results store (`losses`, `runs`, ...) is the record the report reads; a tracker
is a view for people used to one, so it is off by default and each backend is an optional extra
(``pip install 'codegen-study[tracking]'`` for TensorBoard, ``[trackio]`` for trackio). Choosing a
backend whose package is missing is a clear error before any work starts, not a silent no-op.

* ``none`` -- nothing.
* ``tensorboard`` -- event files under ``LOG_DIR`` (``tensorboard --logdir LOG_DIR``), written
  through `torch.utils.tensorboard` and flushed after every call, so a killed run keeps what it
  logged.
* ``trackio`` -- a local trackio project (``trackio show``); a resumed run continues its run.

Does not cover: what is logged or when (the stages decide), nor the results store.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from codegen_study.core.errors import UserError
from codegen_study.core.vocabulary import TRACKERS

#: backend -> the pyproject extra that installs it
EXTRAS = {"tensorboard": "tracking", "trackio": "trackio"}
PROJECT = "codegen-study"


class Tracker:
    """No tracking: every call does nothing (the default)."""

    def log(self, metrics: dict[str, float], step: int) -> None:
        """Record `metrics` (name -> number) at `step`."""

    def close(self) -> None:
        """Flush and release the backend."""


class TensorBoardTracker(Tracker):
    def __init__(self, log_dir: str | os.PathLike):
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(log_dir))

    def log(self, metrics: dict[str, float], step: int) -> None:
        for name, value in metrics.items():
            self.writer.add_scalar(name, value, global_step=step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class TrackioTracker(Tracker):
    def __init__(self, name: str, config: dict[str, Any] | None):
        import trackio

        self.trackio = trackio
        trackio.init(project=PROJECT, name=name, config=config or {}, resume="allow")

    def log(self, metrics: dict[str, float], step: int) -> None:
        self.trackio.log(dict(metrics), step=step)

    def close(self) -> None:
        self.trackio.finish()


def check_backend(report_to: str, where: str = "report_to") -> None:
    """A UserError unless `report_to` names a backend whose package is importable."""
    if report_to not in TRACKERS:
        raise UserError(f"{where} = {report_to!r}: choose from {', '.join(TRACKERS)}")
    if report_to != "none" and importlib.util.find_spec(report_to) is None:
        raise UserError(f"{where} = {report_to!r} needs the {report_to} package: "
                        f"pip install 'codegen-study[{EXTRAS[report_to]}]' (or set it to \"none\")")


def make_tracker(report_to: str, *, log_dir: str | os.PathLike, name: str, config: dict[str, Any] | None = None,
                 where: str = "report_to") -> Tracker:
    """The tracker `report_to` names; TensorBoard writes under `log_dir`, trackio names the run `name`."""
    check_backend(report_to, where)
    if report_to == "tensorboard":
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        return TensorBoardTracker(log_dir)
    if report_to == "trackio":
        return TrackioTracker(name, config)
    return Tracker()
