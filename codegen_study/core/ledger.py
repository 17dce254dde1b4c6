"""The cost ledger of a resumable job: seconds per stage, appended per attempt, summed at the end.

Why a ledger rather than one timing: a job killed and rerun pays some stages twice, and what it
cost is the sum over every attempt, so each invocation appends its stages to `OUT/study-costs.jsonl`
and the summary (`study-costs.json`, the printed table) sums them, counting which stages held the
GPU and which ran beside other work (not added to the wall time).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def summarise(out: Path) -> dict[str, Any]:
    """Seconds per stage over every invocation (study-costs.jsonl), and the GPU's total."""
    from codegen_study.core.files import iter_jsonl

    rows = [row for _, row in iter_jsonl(out / "study-costs.jsonl", "study costs")]
    stages: dict[str, dict[str, Any]] = {}
    for row in rows:
        s = stages.setdefault(row["stage"], {"seconds": 0.0, "gpu": row["gpu"], "attempts": 0,
                                             "overlapped": bool(row.get("overlapped"))})
        s["seconds"] = round(s["seconds"] + row["seconds"], 1)
        s["attempts"] += 1
    gpu = sum(s["seconds"] for s in stages.values() if s["gpu"])
    serial = sum(s["seconds"] for s in stages.values() if not s["overlapped"])
    return {"stages": stages, "gpu_seconds_total": round(gpu, 1), "wall_seconds_total": round(serial, 1)}


def cost_table(summary: dict[str, Any]) -> str:
    lines = [f"{'stage':<32} {'seconds':>9}  gpu  attempts"]
    for name, s in summary["stages"].items():
        note = " (beside the GPU work)" if s["overlapped"] else ""
        lines.append(f"{name:<32} {s['seconds']:>9.1f}  {'yes' if s['gpu'] else 'no ':<3}  {s['attempts']}{note}")
    lines.append(f"{'GPU stages in all':<32} {summary['gpu_seconds_total']:>9.1f}")
    lines.append(f"{'wall time in all':<32} {summary['wall_seconds_total']:>9.1f}")
    return "\n".join(lines)


def append_cost(out: Path, row: dict[str, Any]) -> None:
    with open(out / "study-costs.jsonl", "a") as fh:
        fh.write(json.dumps(row) + "\n")
