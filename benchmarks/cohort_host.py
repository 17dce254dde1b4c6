"""Host time of one cohort step's batch: what the CPU does before the GPU can start a step.

    python benchmarks/cohort_host.py --steps 50 --out benchmarks/results/cohort_host.json

The six study runs (configs/offline-{deep,diverse}.toml x seeds 1-3) step together; before each
step the host draws every run's accumulation window, packs its examples into rows, counts the
supervised tokens and collates about a hundred rows of up to 512 tokens into tensors. While it does,
the GPU waits (the step ends in host syncs), so this time is added to every step's. Measured here
on the study's own corpora and tokenizer, CPU only, no model, in one run:

  as built    windows drawn once per epoch, rows filled through numpy (`training_data.collate`)
  reference   windows drawn again every step, rows filled element by element (the earlier code)

Prints milliseconds per step of each piece, the ratio of the totals, and how many rows packing
made of a step's examples; writes them to --out.
Needs corpora/ (`codegen-study synth --kind all --seed 0 --out corpora/`) and the train extra.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONFIGS = [str(ROOT / "configs" / "offline-deep.toml"), str(ROOT / "configs" / "offline-diverse.toml")]


def collate_by_element(examples: list[dict], pad_id: int) -> dict:
    """The reference: each row's tensors built from its list, one row at a time."""
    import torch

    width = max(len(e["input_ids"]) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), -100, dtype=torch.long)
    pos = torch.zeros((len(examples), width), dtype=torch.long)
    for i, e in enumerate(examples):
        n = len(e["input_ids"])
        ids[i, :n] = torch.tensor(e["input_ids"])
        labels[i, :n] = torch.tensor(e["labels"])
        pos[i, :n] = torch.tensor(e["position_ids"])
        pos[i, n:] = torch.arange(width - n)
    return {"input_ids": ids, "labels": labels, "position_ids": pos}


def prepare(steps: int, reference: bool, members, pad_id: int) -> dict[str, float]:
    """Seconds spent per piece over `steps` cohort steps, and the rows and examples they made."""
    from codegen_study.training.cohort_batch import rows_of
    from codegen_study.training.training_data import collate, epoch_windows

    spent = {"windows": 0.0, "pack": 0.0, "count": 0.0, "collate": 0.0, "rows": 0, "examples": 0}
    cached: dict[int, list] = {}
    glue = collate_by_element if reference else collate
    for step in range(steps):
        t0 = time.perf_counter()
        windows = {}
        for m in members:
            t = m.tcfg
            if reference or m.index not in cached:
                cached[m.index] = epoch_windows(len(m.train_ex), 0, m.seed, t.micro_batch_size, t.grad_accumulation)
            windows[m.index] = cached[m.index][step]
        t1 = time.perf_counter()
        rows = {i: [rows_of([members[i].train_ex[j] for j in mb], members[i].dcfg) for mb in w]
                for i, w in windows.items()}
        t2 = time.perf_counter()
        for mbs in rows.values():
            float(sum(sum(1 for x in r["labels"][1:] if x != -100) for mb in mbs for r in mb))
        t3 = time.perf_counter()
        glue([r for mbs in rows.values() for r in mbs[0]], pad_id)
        t4 = time.perf_counter()
        spent["rows"] += sum(len(mb) for mbs in rows.values() for mb in mbs)
        spent["examples"] += sum(len(mb) for w in windows.values() for mb in w)
        for key, dt in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            spent[key] += dt
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="cohort steps prepared by each variant")
    parser.add_argument("--out", type=Path, help="JSON results file")
    args = parser.parse_args()
    from codegen_study.core.files import atomic_write_text
    from codegen_study.models import load_tokenizer
    from codegen_study.training.cohort import load_examples, plan_members

    members = plan_members(CONFIGS, [1, 2, 3], None)
    tok = load_tokenizer(members[0].configs["model"])
    encoded: dict = {}
    for m in members:
        load_examples(m, tok, encoded, lambda *_: None)
    result: dict = {"cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
                    "steps": args.steps, "runs": [m.label for m in members], "ms_per_step": {}}
    for name, reference in (("as_built", False), ("reference", True)):
        spent = prepare(args.steps, reference, members, tok.pad_token_id)
        result["rows_per_step"] = spent.pop("rows") / args.steps
        result["examples_per_step"] = spent.pop("examples") / args.steps
        per = {k: round(1e3 * v / args.steps, 2) for k, v in spent.items()}
        per["total"] = round(sum(per.values()), 2)
        result["ms_per_step"][name] = per
        print(f"{name:10s} " + ", ".join(f"{k} {v:.1f} ms" for k, v in per.items()))
    ratio = result["ms_per_step"]["reference"]["total"] / result["ms_per_step"]["as_built"]["total"]
    result["reference_over_as_built"] = round(ratio, 2)
    print(f"host time per cohort step: reference / as built = {ratio:.1f}x")
    print(f"packing: {result['examples_per_step']:.1f} examples per step in {result['rows_per_step']:.1f} rows")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
