"""Training speed of the study's six LoRA runs (Deep/Diverse x seeds 1-3) on one GPU, piece by piece.

    python benchmarks/cohort_speed.py --steps 30 --runs runs-local --out benchmarks/results/cohort_speed.json

Every variant trains the study's configs (configs/offline-{deep,diverse}.toml: effective batch 16
examples, context 512, bf16) for `--steps` optimizer steps into a temporary folder, evaluation and
checkpoints pushed past the end, and reports examples per second of optimizer-step time:

  plain      one run with the `train` loop (peft LoRA, micro-batch 16, rows padded to the longest)
  cohort1    one run with the cohort loop (per-row LoRA, logits only at supervised positions), packed
  cohort6    the six runs in one cohort, one example per row
  cohort6p   the six runs in one cohort, packed rows (what the study uses)

From those rates: the projected time of the six 2-epoch trainings run one after another with the
plain loop, and in one packed cohort. With `--runs DIR`, the measured wall time of the study's own
cohort training (`codegen-study train --config ... --seeds 1,2,3`, evaluation and checkpoints
included) is read from DIR/offline-*-s*/training.json and printed beside them. CUDA only.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CONFIGS = ("configs/offline-deep.toml", "configs/offline-diverse.toml")
SEEDS = (1, 2, 3)


def overrides(steps: int, packing: bool) -> dict:
    return {"train": {"max_steps": steps, "eval_every": 10**9, "save_every": 10**9, "logging_every": 10**9},
            "data": {"packing": packing}}


def local_configs(configs, folder: Path) -> list[str]:
    """Copies of `configs` whose runs write under `folder`, each into its own output folder (a
    cohort refuses two runs with one folder, and the study's own run folders must stay untouched)."""
    from codegen_study.config import dump_toml, read_toml

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for path in configs:
        data = read_toml(path)
        data["run"] = {**data.get("run", {}), "output_dir": str(folder / Path(path).stem)}
        local = folder / Path(path).name
        local.write_text(dump_toml(data))
        out.append(str(local))
    return out


def plain_rate(steps: int, folder: Path) -> float:
    from codegen_study.train import train

    out = train(local_configs(CONFIGS[:1], folder)[0], overrides=overrides(steps, False))
    info = json.loads((out / "training.json").read_text())
    examples = steps * 16
    return examples / info["seconds"]


def cohort_rate(steps: int, folder: Path, configs, seeds, packing: bool) -> float:
    from codegen_study.cohort import train_cohort

    summary = train_cohort(local_configs(configs, folder), list(seeds), overrides=overrides(steps, packing),
                           log=lambda *_: None)
    return summary["examples_per_step_second"]


def study_wall(runs: Path) -> dict | None:
    infos = [json.loads(p.read_text()) for p in sorted(runs.glob("offline-*-s*/training.json"))]
    cohorts = [i["cohort"] for i in infos if "cohort" in i]
    if not cohorts:
        return None
    c = cohorts[0]
    return {"runs": c["runs"], "wall_seconds": c["wall_seconds"], "loop_seconds": c["loop_seconds"],
            "examples": c["examples"], "examples_per_second": c["examples_per_second"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed optimizer steps per variant")
    parser.add_argument("--runs", type=Path, help="folder holding the study's trained run folders")
    parser.add_argument("--out", type=Path, help="JSON results file")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("needs a CUDA GPU")
        return 1
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        rates["plain"] = plain_rate(args.steps, t / "plain")
        rates["cohort1"] = cohort_rate(args.steps, t / "c1", CONFIGS[:1], SEEDS[:1], True)
        rates["cohort6"] = cohort_rate(args.steps, t / "c6", CONFIGS, SEEDS, False)
        rates["cohort6p"] = cohort_rate(args.steps, t / "c6p", CONFIGS, SEEDS, True)
    from codegen_study.cohort import plan_members
    from codegen_study.training_data import load_rows, split_rows

    total = 0
    for m in plan_members(list(CONFIGS), list(SEEDS), None):
        n_train = len(split_rows(load_rows(m.dcfg), m.dcfg)["train"])
        total += int(m.tcfg.epochs * n_train)
    result = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "python": platform.python_version(),
              "steps": args.steps, "examples_per_second": {k: round(v, 1) for k, v in rates.items()},
              "six_trainings_examples": total,
              "projected_seconds": {"plain_one_after_another": round(total / rates["plain"], 1),
                                    "cohort6p": round(total / rates["cohort6p"], 1)},
              "study_training": study_wall(args.runs) if args.runs else None}
    for name, rate in rates.items():
        print(f"{name:9s} {rate:8.1f} examples/s  {rate / rates['plain']:5.2f}x plain")
    print(f"six 2-epoch trainings ({total} examples): plain one after another {total / rates['plain']:.0f} s, "
          f"one packed cohort {total / rates['cohort6p']:.0f} s (optimizer steps only)")
    if result["study_training"]:
        s = result["study_training"]
        print(f"study cohort training as run: {s['wall_seconds']:.0f} s wall with loading, evaluation and "
              f"checkpoints ({s['examples_per_second']} examples/s)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
