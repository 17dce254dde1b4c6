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
  cohort6p   the six runs in one cohort, packed rows

With `--arms CONFIG ...` (the study's four arm configs: K = 12 runs, seeds 1-3 of each), against
the six-run cohort of the same process (`vs_six_run_cohort`: a K-run variant over `cohort6`, a
packed one over `cohort6p`) and the eager K-run cohort (`vs_eager_cohort`):

  cohortK    the K runs in one cohort, one example per row, eager
  cohortKp   the same, packed rows
  cohortKc   one example per row, each decoder layer compiled (`train.compile`)
  cohortKl   one example per row, liger-kernel's RMSNorm, SwiGLU and RoPE (`train.liger`)
  cohortKcl  both

    python benchmarks/cohort_speed.py --steps 30 --warmup 10 --skip plain,cohort1,cohort6p,cohort12p \\
        --arms configs/offline-{deep,diverse}-{narrow,wide}.toml --out benchmarks/results/cohort_speed_fused.json

The compiled variants compile in their first step (the first decoder layer's graph and the one the
other layers share, the sequence length dynamic), which the warm-up steps leave out of the rate.
liger-kernel replaces the RMSNorm, SwiGLU and RoPE of the model's architecture in transformers for
the rest of the process, so the liger variants run last; without the liger-kernel package they must
be skipped (`--skip cohort12l,cohort12cl`).

From those rates: the projected optimizer-step time of the six 2-epoch trainings run one after
another with the plain loop, and in one packed cohort (or, `cohort6p` skipped, one cohort of one
example per row). With `--runs DIR` (repeatable), the
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


#: the K-run variants of `--arms`, in the order they run: (suffix, packing, compile, liger); liger last
ARM_VARIANTS = (("", False, False, False), ("p", True, False, False), ("c", False, True, False),
                ("l", False, False, True), ("cl", False, True, True))


def overrides(steps: int, warmup: int, packing: bool, compiled: bool = False, liger: bool = False) -> dict:
    return {"train": {"max_steps": steps, "eval_every": 10**9, "save_every": 10**9, "logging_every": warmup,
                      "compile": compiled, "liger": liger},
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


def cohort_rate(steps: int, warmup: int, folder: Path, configs, seeds, packing: bool, compiled: bool = False,
                liger: bool = False) -> float:
    from codegen_study.training.cohort import train_cohort

    local = local_configs(configs, folder)
    train_cohort(local, list(seeds), overrides=overrides(steps, warmup, packing, compiled, liger), log=lambda *_: None)
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
    parser.add_argument("--warmup", type=int, default=10,
                        help="first steps left out of the rate (divides --steps); they hold the compiled variants' "
                             "compiling (their first step), so keep them above a few steps")
    parser.add_argument("--runs", type=Path, action="append", default=[],
                        help="folder holding a study training's run folders (repeatable)")
    parser.add_argument("--out", type=Path, help="JSON results file")
    parser.add_argument("--arms", nargs="+", metavar="CONFIG",
                        help="also cohorts of these configs x seeds 1-3 (the study's twelve runs: its four arm "
                             "configs): eager, packed, compiled, with liger-kernel and both, against the six-run "
                             "cohort of the same run")
    parser.add_argument("--skip", default="",
                        help="comma-separated variants to leave out: plain, cohort1, cohort6p and, with --arms, "
                             "cohortK, cohortKp, cohortKc, cohortKl, cohortKcl (K the number of runs: cohort12p ...)")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    import torch

    if not torch.cuda.is_available():
        print("needs a CUDA GPU")
        return 1
    if not 0 < args.warmup < args.steps or args.steps % args.warmup:
        parser.error("--warmup must be below --steps and divide it")
    k = len(args.arms or ()) * len(SEEDS)
    arms = [(f"cohort{k}{suffix}", *flags) for suffix, *flags in ARM_VARIANTS
            if args.arms and f"cohort{k}{suffix}" not in skip]
    import importlib.util

    needs_liger = [name for name, _, _, liger in arms if liger]
    if needs_liger and importlib.util.find_spec("liger_kernel") is None:
        parser.error(f"{', '.join(needs_liger)} need the liger-kernel package: install it or --skip them")
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
        if "cohort6p" not in skip:
            rates["cohort6p"] = cohort_rate(n, w, t / "c6p", CONFIGS, SEEDS, True)
        for name, packing, compiled, liger in arms:
            rates[name] = cohort_rate(n, w, t / name, args.arms, SEEDS, packing, compiled, liger)
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
              "examples_per_second": {name: round(rate, 1) for name, rate in rates.items()},
              "six_trainings_examples": total,
              "projected_seconds": {**({"cohort6p": round(total / rates["cohort6p"], 1)} if "cohort6p" in rates
                                       else {"cohort6": round(total / rates["cohort6"], 1)}),
                                    **({"plain_one_after_another": round(total / rates["plain"], 1)}
                                       if "plain" in rates else {})},
              "study_trainings": [w for w in map(study_wall, args.runs) if w]}
    ref = next(name for name in ("plain", "cohort6p", "cohort6") if name in rates)
    for name, rate in rates.items():
        print(f"{name:10s} {rate:8.1f} examples/s  {rate / rates[ref]:5.2f}x {ref}")
    big = {name: "cohort6p" if name.endswith("p") else "cohort6" for name, *_ in arms}
    big = {name: six for name, six in big.items() if six in rates}
    if big:
        result["vs_six_run_cohort"] = {name: round(rates[name] / rates[six], 3) for name, six in big.items()}
        for name, ratio in result["vs_six_run_cohort"].items():
            print(f"{name}: {ratio:.2f}x the six-run cohort's examples/s (same packing, same process)")
    eager = f"cohort{k}"
    fused = [name for name, _, compiled, liger in arms if compiled or liger]
    if fused and eager in rates:
        result["vs_eager_cohort"] = {name: round(rates[name] / rates[eager], 3) for name in fused}
        for name, ratio in result["vs_eager_cohort"].items():
            print(f"{name}: {ratio:.2f}x the eager {eager}'s examples/s")
    six = "cohort6p" if "cohort6p" in rates else "cohort6"
    print(f"six 2-epoch trainings ({total} examples): one {'packed cohort' if six == 'cohort6p' else 'cohort'} "
          f"{total / rates[six]:.0f} s (optimizer steps only)"
          + (f", plain one after another {total / rates['plain']:.0f} s" if "plain" in rates else ""))
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
