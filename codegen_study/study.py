"""`codegen-study study`: the whole offline study in one command, resumable, with its cost table.

    codegen-study study --config configs/offline-study.toml          # every stage
    codegen-study study --config configs/offline-study.toml --only train
    codegen-study study --config configs/offline-study.toml --set study.seeds=[1]   # any [study] value
    codegen-study study --config configs/offline-study.toml --set study.max_steps=250  # a smaller budget

Stages, in order; each one skips the work already done, so rerunning the command after a kill
resumes where it stopped:

* ``synth``: the corpora, the held-out benchmark, the shared validation set and the one-shot
  example (`codegen-study synth --kind all`), unless every file an arm or control reads exists;
* ``train``: every arm x training seed as one cohort (`codegen-study train --config ... --seeds`),
  each run stopping early on its own validation loss;
* ``generate``: the controls (the base model, the format control) and every checkpoint of every
  run, served from one engine with each row's adapter (`adapter_bank`), in the order the report
  needs them: greedy for the controls and the final and best checkpoints, then the other
  checkpoints, then the sampled decodings; the first part is scored on the CPU cores meanwhile;
* ``score``: every stored completion not scored yet, in the sandbox;
* ``records``: each run's training record (losses, resolved config, environment) beside its store.

Each store is `OUT/<model>/` (`deep-wide-s2`, `base`, `base-1shot`), what `evaluate` writes and
the report reads. Stages that use the GPU run in a process of their own (a fresh CUDA context,
memory given back on exit). The cost table -- seconds per stage, which held the GPU, and
`gpu_seconds_total` -- is printed at the end and written to `OUT/study-costs.json`; every
invocation's stages are appended to `OUT/study-costs.jsonl`, so a resumed study counts the
seconds of every attempt.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from codegen_study.core.config import load_section, read_toml
from codegen_study.core.errors import UserError
from codegen_study.core.files import atomic_write_text
from codegen_study.core.flags import add_set, parse_set
from codegen_study.core.ledger import append_cost, cost_table, summarise

STAGES = ("synth", "train", "generate", "score", "records")
GPU_STAGES = ("train", "generate")


@dataclass(frozen=True)
class StudyConfig:
    """The `[study]` table: which configs are trained and evaluated, and where results go."""

    arms: tuple[str, ...] = ()  # training configs, one per arm (trained x `seeds`)
    seeds: tuple[int, ...] = (1, 2, 3)
    controls: tuple[str, ...] = ()  # evaluation-only configs: the base model, the format control
    synth_seed: int = 0
    corpora: str = "corpora"
    out: str = "data/runs"
    workers: int | None = None  # sandbox processes for scoring (None: the scorer's default)
    gpus: int = 1  # GPUs of this host: each training and generation stage runs one process per GPU
    # A budget short of convergence, for every run (None: each run's own [train] table): a step cap,
    # which also sets the learning-rate schedule's length (`train --max-steps`), and seconds of
    # training after which every run still going is saved and stopped (`train --time-limit`; a
    # rerun resumes it). Each run's training.json records how it ended, and the report says so.
    max_steps: int | None = None
    time_limit: float | None = None

    def __post_init__(self) -> None:
        if not self.arms and not self.controls:
            raise ValueError("give at least one arm or control config")
        if not self.seeds and self.arms:
            raise ValueError("seeds: give at least one training seed")
        if self.gpus < 1:
            raise ValueError("gpus must be at least 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("max_steps must be at least 1")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError("time_limit must be a positive number of seconds")


@dataclass(frozen=True)
class Plan:
    """What the study evaluates: one eval config, one base model, the targets and their stores."""

    study: StudyConfig
    eval: Any  # EvalConfig shared by every arm and control (controls differ only in `shots`)
    model: Any  # ModelConfig
    targets: list  # Target
    tables: dict  # model label -> the config tables written into its store's config.toml
    runs: dict  # model label -> training run folder (arms only)

    def store_dir(self, label: str) -> Path:
        return Path(self.study.out) / label


def run_folder(config: str, seed: int) -> Path:
    """The folder a cohort trains (config, seed) into: `[run] output_dir` with `-s{seed}`."""
    out = read_toml(config).get("run", {}).get("output_dir")
    if not out:
        raise UserError(f"{config}: [run] output_dir is not set")
    return Path(f"{out}-s{seed}")


def make_plan(study: StudyConfig, *, need_checkpoints: bool = True) -> Plan:
    from codegen_study.evaluation.generate import EvalConfig
    from codegen_study.evaluation.targets import Target, plan_targets
    from codegen_study.models import ModelConfig

    configs = list(study.arms) + list(study.controls)
    evals = {c: load_section(c, "eval", EvalConfig) for c in configs}
    first = configs[0]
    shared = replace(evals[first], output_dir=None, shots=None)
    for c, e in evals.items():
        if replace(e, output_dir=None, shots=None) != shared:
            raise UserError(f"{c}: its [eval] table differs from {first}'s beyond `shots`; a study evaluates every "
                            f"model the same way")
    model = load_section(first, "model", ModelConfig)
    for c in configs[1:]:
        if load_section(c, "model", ModelConfig) != model:
            raise UserError(f"{c}: its [model] table differs from {first}'s; a study has one base model")
    targets: list[Target] = []
    tables: dict[str, dict] = {}
    runs: dict[str, Path] = {}
    for c in study.controls:
        raw = read_toml(c)
        name = raw.get("run", {}).get("name") or Path(c).stem
        base = plan_targets(evals[c], None, name=name)[0]
        targets.append(replace(base, model=name, arm=name, shots=evals[c].shots))
        tables[name] = raw
    for c in study.arms:
        for seed in study.seeds:
            folder = run_folder(c, seed)
            if not folder.is_dir():
                if need_checkpoints:
                    raise UserError(f"{folder}: no training run folder; run the train stage first")
                continue
            found = plan_targets(shared, folder, name=None, include_base=False)
            targets += found
            label = found[0].model
            raw = read_toml(c)
            tables[label] = {**raw, "run": {**raw.get("run", {}), "seed": seed}}
            runs[label] = folder
    return Plan(study, shared, model, targets, tables, runs)


# -- stages -----------------------------------------------------------------------------------------
def corpus_files(study: StudyConfig) -> list[Path]:
    """Every corpus, benchmark, validation and one-shot file the study's configs read."""
    from codegen_study.evaluation.generate import EvalConfig

    files = []
    for c in (*study.arms, *study.controls):
        raw = read_toml(c)
        data = raw.get("data", {})
        files += [Path(data[k]) for k in ("path", "shared_valid") if c in study.arms and data.get(k)]
        e = load_section(c, "eval", EvalConfig)
        files += [Path(e.source(b)) for b in e.benchmarks if Path(e.source(b)).suffix == ".jsonl"]
        files += [Path(e.shots)] if e.shots else []
    return sorted(set(files))


def stage_synth(study: StudyConfig, log) -> None:
    missing = [f for f in corpus_files(study) if not f.exists()]
    if not missing:
        log("synth: every corpus is there")
        return
    log(f"synth: {missing[0]} and {len(missing) - 1} more missing; building the corpora")
    _cli(["synth", "--kind", "all", "--seed", str(study.synth_seed), "--out", study.corpora])  # CPU work


def stage_train(study: StudyConfig, log) -> None:
    from codegen_study.training.run_folder import RunRecord

    if not study.arms:
        return
    records = [RunRecord.read(run_folder(c, s)) for c in study.arms for s in study.seeds]
    pending = [r for r in records if r is None or not r.done]
    if not pending:
        log("train: every run has finished")
        return
    args = ["train"]
    for c in study.arms:
        args += ["--config", c]
    args += ["--seeds", ",".join(str(s) for s in study.seeds)]
    args += ["--max-steps", str(study.max_steps)] if study.max_steps is not None else []
    args += ["--time-limit", f"{study.time_limit:g}"] if study.time_limit is not None else []
    _cli(args, gpus=study.gpus)


PARTS = ("final", "greedy", "all")  # generation in order of what the report needs most


def stage_generate(plan: Plan, log, *, part: str = "all") -> None:
    """Every target's missing completions; under a launcher (`gpus` > 1) this rank's share of
    every engine call, on cuda:LOCAL_RANK, appended into the same stores as the other ranks'."""
    from codegen_study.core.distributed import launch_place
    from codegen_study.core.provenance import write_environment
    from codegen_study.evaluation.cli import write_config
    from codegen_study.evaluation.generate import generate_all
    from codegen_study.store import Store

    rank, world, local = launch_place()
    cfg = replace(plan.eval, sample_prompts=()) if part != "all" else plan.eval
    targets = [t for t in plan.targets if t.full] if part == "final" else plan.targets
    stores = {}
    for t in plan.targets:
        if t.model not in stores:
            folder = plan.store_dir(t.model)
            folder.mkdir(parents=True, exist_ok=True)
            if rank == 0:
                write_config(folder, replace(plan.eval, shots=t.shots), plan.model, plan.tables[t.model])
            stores[t.model] = Store(folder)
    device = None
    if world > 1:
        import torch

        device = f"cuda:{local}" if torch.cuda.is_available() else "cpu"
    where = f"rank {rank}/{world}: " if world > 1 else ""
    facts = generate_all(cfg, plan.model, targets, load_benchmarks(plan.eval), lambda t: stores[t.model],
                         device=device, prompt=study_prompt(plan), log=lambda msg: log(where + msg),
                         rank=rank, world=world)
    if facts.get("device") and rank == 0:
        for folder in {plan.store_dir(t.model) for t in plan.targets}:
            write_environment(folder, "generation", {**facts, "world_size": world} if world > 1 else facts)


def stage_score(plan: Plan, log, *, decoding: str | None = None) -> None:
    from codegen_study.core.provenance import write_environment
    from codegen_study.evaluation.generate import score_all
    from codegen_study.store import Store

    benchmarks = {name: {p.id: p for p in problems} for name, problems in load_benchmarks(plan.eval).items()}
    cfg = replace(plan.eval, workers=plan.study.workers or plan.eval.workers)
    for label in dict.fromkeys(t.model for t in plan.targets):
        folder = plan.store_dir(label)
        if not Store(folder).path("completions").exists():
            continue
        targets = [t for t in plan.targets if t.model == label]
        facts = score_all(cfg, targets, benchmarks, Store(folder), log=log, decoding=decoding)
        if decoding is None:
            write_environment(folder, "scoring", facts)


def stage_records(plan: Plan, log) -> None:
    """Each run's training record beside its store, under the names the report reads."""
    for label, run in plan.runs.items():
        folder = plan.store_dir(label)
        folder.mkdir(parents=True, exist_ok=True)
        for src, dst in (("losses.jsonl", "losses.jsonl"), ("config.toml", "train-config.toml"),
                         ("env.json", "train-env.json"), ("training.json", "training.json")):
            if (run / src).exists():
                shutil.copyfile(run / src, folder / dst)
    log(f"records: {len(plan.runs)} training records copied")


def load_benchmarks(cfg) -> dict[str, list]:
    from codegen_study.tasks.sources import load_problems

    return {name: load_problems(cfg.source(name), cfg.limit) for name in cfg.benchmarks}


def study_prompt(plan: Plan):
    """The format and system prompt of the first config's `[data]` table (every arm's and control's alike)."""
    from codegen_study.tasks.prompts import Prompt

    first = (plan.study.arms or plan.study.controls)[0]
    return Prompt.from_data(read_toml(first).get("data", {}), f"{first}[data]")


def _cli(args: list[str], gpus: int = 1) -> None:
    """Another codegen-study command in a process of its own (one per GPU under torchrun when
    `gpus` > 1); its failure stops the study."""
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={gpus}"] if gpus > 1 else []
    code = _start([sys.executable, *launcher, "-m", "codegen_study", *args]).wait()
    if code != 0:
        raise UserError(f"codegen-study {' '.join(args[:3])} ... failed (exit {code}); rerun the study to resume")


_TRANSCRIPT = None  # the --log file of the running `study` command (a Transcript), if any


def _start(argv: list[str]) -> subprocess.Popen:
    return _TRANSCRIPT.start(argv) if _TRANSCRIPT is not None else subprocess.Popen(argv)


# -- the command ------------------------------------------------------------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("--config", required=True, help="study TOML ([study] table: arms, seeds, controls, out)")
    parser.add_argument("--only", choices=STAGES, help="run this stage alone (the command runs every stage)")
    parser.add_argument("--part", choices=PARTS, default="all",
                        help="with --only generate: final (greedy, base and final/best checkpoints), greedy (every "
                             "checkpoint), all (sampled decodings too)")
    parser.add_argument("--decoding", help="with --only score: score only completions of this decoding")
    parser.add_argument("--out", help="override [study] out (where the stores go)")
    parser.add_argument("--log", help="also append everything the command and its stages print to this file, and "
                                      "write the cost summary beside it (.json), e.g. benchmarks/results/study.log")
    add_set(parser, ("study",), "study.seeds=[1]")


def run(args) -> int:
    global _TRANSCRIPT
    study = load_section(args.config, "study", StudyConfig, {**({"out": args.out} if args.out else {}),
                                                             **parse_set(args.set, ("study",)).get("study", {})})
    if args.log:
        from codegen_study.core.transcript import Transcript

        _TRANSCRIPT = Transcript(args.log)
        _TRANSCRIPT.command(["codegen-study", *(_argv(args) if args.only else _study_argv(args)), "--log", args.log])
    try:
        return _run(args, study)
    finally:
        _TRANSCRIPT = None


def _run(args, study: StudyConfig) -> int:
    log = _logger()
    if args.only:
        from codegen_study.core.distributed import world_size

        if args.only == "generate" and study.gpus > 1 and world_size() == 1:  # one process per GPU
            _cli(_argv(args), study.gpus)
        else:
            run_stage(args.config, study, args.only, log, part=args.part, decoding=args.decoding)
        return 0
    costs: list[dict[str, Any]] = []
    out = Path(study.out)
    out.mkdir(parents=True, exist_ok=True)
    me = _study_argv(args)

    def timed(stage: str, action, gpu: bool, **extra) -> None:
        t0 = time.time()
        log(f"== {stage}")
        action()
        costs.append({"stage": stage, "seconds": round(time.time() - t0, 1), "gpu": gpu, "started": t0, **extra})
        append_cost(out, costs[-1])

    timed("synth", lambda: stage_synth(study, log), False)
    timed("train", lambda: stage_train(study, log), True)
    timed("generate-final", lambda: _cli(me + ["--only", "generate", "--part", "final"], study.gpus), True)
    t0 = time.time()  # these greedy completions are scored on the CPU while the GPU goes on
    scorer = _start([sys.executable, "-m", "codegen_study", *me, "--only", "score", "--decoding", "greedy"])
    timed("generate-checkpoints", lambda: _cli(me + ["--only", "generate", "--part", "greedy"], study.gpus), True)
    timed("generate-sampled", lambda: _cli(me + ["--only", "generate"], study.gpus), True)
    timed("score-greedy (beside sampling)", lambda: _wait(scorer), False, overlapped=True)
    costs[-1].update(seconds=round(time.time() - t0, 1), started=t0)
    timed("score", lambda: _cli(me + ["--only", "score"]), False)
    timed("records", lambda: stage_records(make_plan(study), log), False)
    summary = summarise(out)
    text = json.dumps(summary, indent=2) + "\n"
    for path in [out / "study-costs.json"] + ([Path(args.log).with_suffix(".json")] if args.log else []):
        atomic_write_text(path, text)
    log(cost_table(summary))
    return 0


def run_stage(config: str, study: StudyConfig, stage: str, log, *, part: str = "all",
              decoding: str | None = None) -> None:
    if stage == "synth":
        stage_synth(study, log)
    elif stage == "train":
        stage_train(study, log)
    elif stage == "generate":
        stage_generate(make_plan(study), log, part=part)
    elif stage == "score":
        stage_score(make_plan(study), log, decoding=decoding)
    else:
        stage_records(make_plan(study), log)


def _study_argv(args) -> list[str]:
    """The `study` command line of `args` without its stage selection: the same study, any stage."""
    return ["study", "--config", args.config] + (["--out", args.out] if args.out else []) + \
        [f"--set={item}" for item in args.set]


def _argv(args) -> list[str]:
    """The `study` command line of `args` (to run the same stage under a launcher)."""
    out = _study_argv(args)
    out += ["--only", args.only] if args.only else []
    out += ["--part", args.part] if args.only == "generate" else []
    return out + (["--decoding", args.decoding] if args.decoding else [])


def _wait(proc: subprocess.Popen) -> None:
    if proc.wait() != 0:
        raise UserError(f"scoring the greedy completions failed (exit {proc.returncode}); rerun the study to resume")


def _logger():
    def log(msg: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        if _TRANSCRIPT is not None:
            _TRANSCRIPT.write(line)

    return log
