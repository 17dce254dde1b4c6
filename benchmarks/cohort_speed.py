"""Training speed of the study's six LoRA runs (Deep/Diverse x seeds 1-3) on one GPU, piece by piece.

    python benchmarks/cohort_speed.py --steps 30 --warmup 10 --runs runs-local \\
        --out benchmarks/results/cohort_speed.json

Every variant trains the study's configs (configs/offline-{deep,diverse}.toml: effective batch 16
examples, context 512, bf16) for `--steps` optimizer steps into a temporary folder, evaluation and
checkpoints pushed past the end, and reports examples per second of optimizer-step time between
step `--warmup` and the last (read from the runs' losses tables, so model loading, data encoding and
the first steps' allocations are left out):

  plain      one run with the `train` loop (peft LoRA, micro-batch 16, rows padded to the longest)
  cohort1    one run with the cohort loop (per-row LoRA, logits only at supervised positions), packed
  cohort6    the six runs in one cohort, one example per row
  cohort6p   the six runs in one cohort, packed rows (what the study uses)

From those rates: the projected optimizer-step time of the six 2-epoch trainings run one after
another with the plain loop, and in one packed cohort. With `--runs DIR` (repeatable), the
measured wall time of the study's own cohort training (`codegen-study train --config ... --seeds
1,2,3`, model loading, data encoding, evaluation and checkpoints included) is read from
DIR/offline-*-s*/training.json and printed beside them. CUDA only.
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


def overrides(steps: int, warmup: int, packing: bool) -> dict:
    return {"train": {"max_steps": steps, "eval_every": 10**9, "save_every": 10**9, "logging_every": warmup},
            "data": {"packing": packing}}


def local_configs(configs, folder: Path) -> list[str]:
    """Copies of `configs` whose runs write under `folder`, each into its own output folder (a
    cohort refuses two runs with one folder, and the study's own run folders must stay untouched)."""
    from codegen_study.core.config import dump_toml, read_toml

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for path in configs:
        data = read_toml(path)
        data["run"] = {**data.get("run", {}), "output_dir": str(folder / Path(path).stem)}
        local = folder / Path(path).name
        local.write_text(dump_toml(data))
        out.append(str(local))
    return out


def timed_rate(run_dir: Path, steps: int, warmup: int, examples_per_step: int) -> float:
    """Examples per second of optimizer-step time from step `warmup` to step `steps` of one run."""
    from codegen_study.store import Store

    at = {r["step"]: r["seconds"] for r in Store(run_dir).iter_rows("losses") if r["split"] == "train"}
    return examples_per_step * (steps - warmup) / (at[steps] - at[warmup])


def plain_rate(steps: int, warmup: int, folder: Path) -> float:
    from codegen_study.training.train import train

    out = train(local_configs(CONFIGS[:1], folder)[0], overrides=overrides(steps, warmup, False))
    return timed_rate(out, steps, warmup, 16)


def cohort_rate(steps: int, warmup: int, folder: Path, configs, seeds, packing: bool) -> float:
    from codegen_study.training.cohort import train_cohort

    local = local_configs(configs, folder)
    train_cohort(local, list(seeds), overrides=overrides(steps, warmup, packing), log=lambda *_: None)
    first = folder / f"{Path(configs[0]).stem}-s{seeds[0]}"
    return timed_rate(first, steps, warmup, 16 * len(configs) * len(seeds))


def study_wall(runs: Path) -> dict | None:
    """The cohort record of a study training in `runs`: its wall, loop and step time."""
    folders = sorted(p.parent for p in runs.glob("offline-*-s*/training.json"))
    infos = [json.loads((f / "training.json").read_text()) for f in folders]
    cohorts = [i["cohort"] for i in infos if isinstance(i.get("cohort"), dict)]
    if not cohorts:
        return None
    c = cohorts[0]
    return {"folder": str(runs), "runs": c["runs"], "wall_seconds": c["wall_seconds"],
            "loop_seconds": c["loop_seconds"], "step_seconds": c.get("step_seconds"), "examples": c["examples"],
            "examples_per_second": c["examples_per_second"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="optimizer steps per variant")
    parser.add_argument("--warmup", type=int, default=10, help="first steps left out of the rate (divides --steps)")
    parser.add_argument("--runs", type=Path, action="append", default=[],
                        help="folder holding a study training's run folders (repeatable)")
    parser.add_argument("--out", type=Path, help="JSON results file")
    parser.add_argument("--arms", nargs="+", metavar="CONFIG",
                        help="also a cohort of these configs x seeds 1-3 (the study's twelve runs: its four arm "
                             "configs), packed and not, against the six-run cohort of the same run")
    parser.add_argument("--skip", default="", help="comma-separated variants to leave out (plain, cohort1)")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    import torch

    if not torch.cuda.is_available():
        print("needs a CUDA GPU")
        return 1
    if not 0 < args.warmup < args.steps or args.steps % args.warmup:
        parser.error("--warmup must be below --steps and divide it")
    from idle import refuse_busy

    refuse_busy(1, "cohort_speed.py")
    rates = {}
    n, w = args.steps, args.warmup
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        if "plain" not in skip:
            rates["plain"] = plain_rate(n, w, t / "plain")
        if "cohort1" not in skip:
            rates["cohort1"] = cohort_rate(n, w, t / "c1", CONFIGS[:1], SEEDS[:1], True)
        rates["cohort6"] = cohort_rate(n, w, t / "c6", CONFIGS, SEEDS, False)
        rates["cohort6p"] = cohort_rate(n, w, t / "c6p", CONFIGS, SEEDS, True)
        if args.arms:
            k = len(args.arms) * len(SEEDS)
            rates[f"cohort{k}"] = cohort_rate(n, w, t / f"c{k}", args.arms, SEEDS, False)
            rates[f"cohort{k}p"] = cohort_rate(n, w, t / f"c{k}p", args.arms, SEEDS, True)
    from codegen_study.core.files import atomic_write_text
    from codegen_study.training.cohort import plan_members
    from codegen_study.training.training_data import load_rows, split_rows

    total, n_train = 0, {}
    for m in plan_members(list(CONFIGS), list(SEEDS), None):
        if m.dcfg not in n_train:  # the seeds of one corpus share it
            n_train[m.dcfg] = len(split_rows(load_rows(m.dcfg), m.dcfg)["train"])
        total += int(m.tcfg.epochs * n_train[m.dcfg])
    result = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "python": platform.python_version(),
              "steps": args.steps, "warmup": args.warmup,
              "examples_per_second": {k: round(v, 1) for k, v in rates.items()},
              "six_trainings_examples": total,
              "projected_seconds": {"cohort6p": round(total / rates["cohort6p"], 1),
                                    **({"plain_one_after_another": round(total / rates["plain"], 1)}
                                       if "plain" in rates else {})},
              "study_trainings": [w for w in map(study_wall, args.runs) if w]}
    ref = "plain" if "plain" in rates else "cohort6p"
    for name, rate in rates.items():
        print(f"{name:9s} {rate:8.1f} examples/s  {rate / rates[ref]:5.2f}x {ref}")
    big = [k for k in rates if k not in ("plain", "cohort1", "cohort6", "cohort6p")]
    if big:
        result["vs_six_run_cohort"] = {k: round(rates[k] / rates["cohort6p" if k.endswith("p") else "cohort6"], 3)
                                       for k in big}
        for k, ratio in result["vs_six_run_cohort"].items():
            print(f"{k}: {ratio:.2f}x the six-run cohort's examples/s (same packing, same process)")
    print(f"six 2-epoch trainings ({total} examples): one packed cohort {total / rates['cohort6p']:.0f} s "
          f"(optimizer steps only)" + (f", plain one after another {total / rates['plain']:.0f} s"
                                       if "plain" in rates else ""))
    for s in result["study_trainings"]:
        print(f"study cohort training as run ({s['folder']}): "
              f"{s['wall_seconds']:.0f} s wall with loading, data, evaluation and checkpoints; "
              f"{s['examples']} examples, {s['examples_per_second']} examples/s in the loop")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
