"""`codegen-study evaluate`: the command line of the evaluation stage (phases in `generate`).

    codegen-study evaluate --config configs/offline-deep.toml --run DIR [--limit 3] [--output-dir DIR2]
    codegen-study evaluate --model ID_OR_PATH [--gguf FILE] [--adapter DIR]... [--benchmark NAME=SOURCE]...
    (either route: [--set SECTION.KEY=VALUE]... for any value of the [eval], [model], [run], [data] tables)

Both routes resolve to the same config, written resolved into the output folder (`config.toml`,
with each stage's environment in `env.json`: see `provenance`), then run generation
(`--generate-only`), scoring (`--score-only`) or both, and end with a summary of what was written where.

On several GPUs of one host, run the same command under a launcher:

    torchrun --nproc-per-node 2 -m codegen_study evaluate --config ... --run-dir ... [--generate-only]
    accelerate launch --num_processes 2 -m codegen_study evaluate ...

(`--run-dir` is `--run` spelled so that torchrun's parser, which reads every option it sees as
possibly its own, does not stop at "ambiguous option: --run could match --run-path".)

Each rank loads the model on its own device (cuda:LOCAL_RANK, else the CPU) and generates its
share of every (model state, decoding) engine call (`distributed.share`), appending its rows to
the one store (`results.Store.append` locks the file), so a killed job is resumed by rerunning it,
with any number of GPUs. Rank 0 alone writes config.toml and env.json and, after a barrier once
every rank is done, scores on the CPU as one process would: scoring is the sandbox's work, spread
over `--workers` processes already, and splitting it by rank would add nothing but a second lock.
Greedy completions are the same tokens whatever the number of ranks (up to the device's numerics
for other batch shapes); sampled ones are seeded per batch, and the batches differ, so two ranks
draw other (equally valid, reproducible) samples than one.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from codegen_study.core.config import dump_toml, load_section, read_toml, to_dict
from codegen_study.core.distributed import (
    Dist,
    barrier,
    setup_distributed,
    shutdown,
    world_size,
)
from codegen_study.core.errors import UserError
from codegen_study.core.files import atomic_write_text
from codegen_study.core.flags import add_renamed, add_set, parse_pair, parse_set
from codegen_study.core.provenance import write_environment
from codegen_study.core.vocabulary import ENGINES, PRECISIONS, TRACKERS
from codegen_study.evaluation.generate import EvalConfig, generate_all, score_all
from codegen_study.evaluation.targets import (
    device_precision,
    model_from_flags,
    plan_targets,
    read_adapter,
)
from codegen_study.store import Store
from codegen_study.tasks.prompts import Prompt
from codegen_study.tasks.sources import DEFAULT_SOURCES, load_problems

#: the config tables `evaluate` reads (and `--set` overrides)
SECTIONS = ("eval", "model", "run", "data")

#: a `--limit` run on a CPU whose full plan could generate more new tokens than this gets the first-run plan
FIRST_RUN_TOKENS = 4096

#: how long a rank that finished its share waits at the barrier for the others (see `distributed`)
BARRIER_TIMEOUT = timedelta(hours=24)


# -- CLI ------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML run config ([model], [eval], [run], [data] tables are read)")
    parser.add_argument("--run", "--run-dir", dest="run",  # torchrun's own parser rejects --run as ambiguous
                        help="training run folder whose checkpoint-step-N/ (or -N/) adapters are evaluated")
    parser.add_argument("--output-dir", help="results store folder (default: [eval] output_dir, else the run folder)")
    parser.add_argument("--limit", type=int, help="first N problems of each benchmark")
    add_renamed(parser, "--benchmarks", "--benchmark NAME (repeated)", dest="benchmarks")
    parser.add_argument("--source", action="append", default=[], metavar="NAME=SOURCE",
                        help="where benchmark NAME comes from: a local LCB JSONL, 'humaneval', or HUB@VERSION[:IDS]")
    parser.add_argument("--steps", help="comma-separated checkpoint steps to evaluate (numbers, final, best)")
    parser.add_argument("--no-base", action="store_true", help="skip the base model")
    phase = parser.add_mutually_exclusive_group()
    phase.add_argument("--generate-only", action="store_true", help="write completions, do not score (GPU side)")
    phase.add_argument("--score-only", action="store_true", help="score completions already stored (CPU side)")
    parser.add_argument("--full", action="store_true",
                        help="on a CPU with --limit: the whole plan (sampling, every prompt style), "
                             "not the first-run one")
    parser.add_argument("--max-new-tokens", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--engine", choices=ENGINES)
    parser.add_argument("--workers", type=int, help="sandbox processes for scoring")
    parser.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    parser.add_argument("--precision", choices=PRECISIONS,
                        help="override [model] precision (default without one: bf16 on a GPU, fp32 on a CPU)")
    # no TOML needed: these flags are the [model] table, an adapter and the benchmarks
    parser.add_argument("--model", metavar="ID_OR_PATH",
                        help="hub id, local folder or GGUF file (path or DIST:FILE.gguf); replaces [model]")
    parser.add_argument("--gguf", metavar="FILE", help="GGUF file to load (in --model's folder, a path or DIST:FILE)")
    parser.add_argument("--adapter", action="append", default=[], metavar="DIR",
                        help="a PEFT adapter folder, evaluated next to the base model (repeatable)")
    parser.add_argument("--report-to", choices=TRACKERS,
                        help="also log each scoring run's pass@1 to this tracker (default [eval] report_to)")
    parser.add_argument("--prompt", help="comma-separated prompt styles: train (the training conversation), "
                                         "lcb (LiveCodeBench's wording); default [eval] prompts; sampling runs "
                                         "under those of [eval] sample_prompts it names")
    parser.add_argument("--benchmark", action="append", default=[], metavar="NAME[=SOURCE]",
                        help="benchmark NAME (repeatable; default: [eval] benchmarks) from SOURCE, as --source "
                             "takes it (default: [eval] sources, else the bundled ones)")
    add_set(parser, SECTIONS, "eval.n_samples=5")


def resolve(args) -> tuple[EvalConfig, Any, dict[str, Any]]:
    """(EvalConfig with flags applied, ModelConfig, the raw config tables). `--model`, `--gguf`, `--adapter`
    and `--benchmark` fill the tables a TOML file would, so both routes give the same config. A value is
    the config's unless a flag gives it; `--set` goes into the tables as the file's own values would and
    wins over the flag of the same key, as in `train`."""
    from codegen_study.core.config import from_dict
    from codegen_study.models import ModelConfig

    sets = parse_set(args.set, SECTIONS)
    raw = read_toml(args.config) if args.config else {}
    raw = {**raw, **{section: {**raw.get(section, {}), **values} for section, values in sets.items()}}
    sources = dict(raw.get("eval", {}).get("sources", {}))
    for item in args.source:
        name, spec = parse_pair(item, "--source")
        if spec is None:
            raise UserError(f"--source {item!r}: expected NAME=SOURCE")
        sources[name] = spec
    picked = []
    for item in args.benchmark:
        name, spec = parse_pair(item, "--benchmark")
        sources.update({name: spec} if spec else {})
        picked.append(name)
    if picked and args.benchmarks:
        raise UserError("give --benchmark (repeated) or --benchmarks, not both")
    benchmarks = picked or ([b.strip() for b in args.benchmarks.split(",") if b.strip()] if args.benchmarks else None)
    run_table, model_table, output_dir = dict(raw.get("run", {})), dict(raw.get("model", {})), args.output_dir
    if args.adapter:
        if args.run:
            raise UserError("give --run or --adapter, not both")
        label, base = read_adapter(Path(args.adapter[0]))
        for other in args.adapter[1:]:
            read_adapter(Path(other))  # each must be an adapter folder
        args.run = args.adapter[0]  # each adapter is a run with one checkpoint
        run_table["name"] = run_table.get("name") or label
        if base and not (args.model or args.gguf or model_table):  # the base it was trained on
            model_table = {"name_or_path": base}
    if args.model or args.gguf:
        model_table = {**model_from_flags(args.model or model_table.get("name_or_path") or ModelConfig.name_or_path,
                                          args.gguf), **sets.get("model", {})}
    if (args.model or args.gguf or args.adapter) and not (output_dir or raw.get("eval", {}).get("output_dir")):
        label = run_table.get("name") or model_table["name_or_path"]
        output_dir = str(Path("runs-local") / ("eval-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")))
    precision = sets.get("model", {}).get("precision") or args.precision or model_table.get("precision") or \
        ("fp32" if args.score_only else device_precision(args.device))  # scoring loads no model
    model_table["precision"] = precision
    prompts = [p.strip() for p in args.prompt.split(",") if p.strip()] if args.prompt else None
    sampled = raw.get("eval", {}).get("sample_prompts", EvalConfig.sample_prompts)  # the config's, narrowed
    overrides = {"limit": args.limit, "max_new_tokens": args.max_new_tokens, "batch_size": args.batch_size,
                 "engine": args.engine, "workers": args.workers, "output_dir": output_dir,
                 "sources": sources or None, "benchmarks": benchmarks, "prompts": prompts,
                 "report_to": args.report_to,
                 "sample_prompts": [p for p in sampled if p in prompts] if prompts else None}
    overrides = {**{k: v for k, v in overrides.items() if v is not None}, **sets.get("eval", {})}  # --set wins
    cfg = load_section(args.config, "eval", EvalConfig, overrides)
    if args.model or args.gguf or not args.config:
        model_cfg = from_dict(ModelConfig, model_table, where="--model")
    else:  # the TOML route: errors name the file and line
        model_cfg = load_section(args.config, "model", ModelConfig, {**sets.get("model", {}), "precision": precision})
    raw = {**raw, "model": to_dict(model_cfg), **({"run": run_table} if run_table else {})}  # as resolved
    return cfg, model_cfg, raw


def write_config(out: Path, cfg: EvalConfig, model_cfg, raw: dict[str, Any]) -> None:
    """Resolved [eval] (and [model]) into out/config.toml, keeping a training run's other tables."""
    path = out / "config.toml"
    tables = {k: v for k, v in (read_toml(path) if path.exists() else raw).items() if isinstance(v, dict)}
    tables.setdefault("model", model_cfg)
    tables["eval"] = replace(cfg, sources={**DEFAULT_SOURCES, **cfg.sources})
    atomic_write_text(path, dump_toml(tables, header="codegen-study " + " ".join(sys.argv[1:])))


def log_pass_rates(store: Store, report_to: str, log_dir: Path) -> None:
    """Each scoring run's pass@1 (mean over problems of passed / samples) to the tracker, one
    tracker run per model, at the checkpoint's step, tagged benchmark/prompt/decoding/grader-extraction."""
    import polars as pl

    from codegen_study.core.tracking import make_tracker

    rates = (store.read("samples").group_by("run_id", "question_id")
             .agg(rate=pl.col("passed").cast(pl.Float64).mean()).group_by("run_id").agg(pass1=pl.col("rate").mean())
             .join(store.read("runs"), on="run_id"))
    for (model,), rows in rates.partition_by("model", as_dict=True, maintain_order=True).items():
        tracker = make_tracker(report_to, log_dir=log_dir / model, name=model, where="--report-to")
        for r in rows.sort("step").iter_rows(named=True):
            tag = f"{r['benchmark']}/{r['prompt']}/{r['decoding']}/{r['grader']}-{r['extraction']}/pass@1"
            tracker.log({tag: r["pass1"]}, step=int(r["step"]))
        tracker.close()


def run(args) -> int:
    cfg, model_cfg, raw = resolve(args)
    run_dir = Path(args.run) if args.run else None
    if run_dir is not None and not run_dir.is_dir():
        raise UserError(f"--run {run_dir}: no such folder")
    fallback = raw.get("run", {}).get("output_dir")
    out = Path(cfg.output_dir) if cfg.output_dir else run_dir or (Path(fallback) if fallback else None)
    if out is None:
        raise UserError("give --output-dir (or --run, or [eval]/[run] output_dir in the config)")
    steps = [s.strip() for s in args.steps.split(",") if s.strip()] if args.steps else None
    targets = plan_targets(cfg, run_dir, name=raw.get("run", {}).get("name"), include_base=not args.no_base,
                           steps=steps)
    for other in (args.adapter or [])[1:]:
        targets += plan_targets(cfg, Path(other), name=None, include_base=False, steps=steps)
    seen = [(t.model, t.step) for t in targets]
    if len(set(seen)) != len(seen):
        twice = next(k for k in seen if seen.count(k) > 1)
        raise UserError(f"--adapter: two adapters are both {twice[0]} at step {twice[1]}; rename one folder")
    if not targets and not args.score_only:  # scoring alone needs no model: it grades what the store holds
        raise UserError("nothing to evaluate: --no-base and no checkpoints")
    benchmarks = {}
    for name in cfg.benchmarks:
        problems = load_problems(cfg.source(name), cfg.limit)
        if not problems:
            raise UserError(f"benchmark {name} ({cfg.source(name)}): no problems")
        benchmarks[name] = {p.id: p for p in problems}
    cfg = first_run(args, cfg, targets, benchmarks)
    prompt = Prompt.from_data(raw.get("data", {}), f"{args.config}[data]" if args.config else "[data]")
    if cfg.report_to != "none":
        from codegen_study.core.tracking import check_backend

        check_backend(cfg.report_to, "--report-to")  # a missing extra fails before any work
    d = Dist()
    if world_size() > 1:
        if args.score_only and int(os.environ.get("RANK", "0")) > 0:
            return 0  # scoring is rank 0's alone
        if not args.score_only:
            d = setup_distributed(args.device, backend="gloo", timeout=BARRIER_TIMEOUT)
    try:
        return _evaluate(args, cfg, model_cfg, raw, out, run_dir, targets, benchmarks, prompt, d)
    finally:
        shutdown(d)


def first_run(args, cfg: EvalConfig, targets: list, benchmarks: dict[str, dict]) -> EvalConfig:
    """The plan of a first look on a CPU: greedy only, one prompt style (unless `--prompt` names
    them), when `--limit` is given without `--full` and the full plan could generate more than
    `FIRST_RUN_TOKENS` new tokens (ten samples of each problem under two prompt styles take a CPU
    many minutes). The completions it writes are the full plan's greedy ones, token limit
    included, so the full plan run later into the same folder adds only the rest; one line says
    what was left out and gives that command."""
    from codegen_study.evaluation.generate import work_for

    if args.full or not args.limit or args.score_only:
        return cfg
    device = args.device
    if device is None:
        from codegen_study.models import default_device

        device = default_device()
    if not str(device).startswith("cpu"):
        return cfg
    lists = {b: list(p.values()) for b, p in benchmarks.items()}

    def count(c: EvalConfig) -> int:
        return sum(len(w[5]) for t in targets for w in work_for(c, t, lists))

    full = count(cfg)
    if full * cfg.max_new_tokens <= FIRST_RUN_TOKENS:
        return cfg
    small = replace(cfg, prompts=cfg.prompts if args.prompt else cfg.prompts[:1], sample_prompts=())
    if count(small) == full:
        return cfg
    argv = list(getattr(args, "_argv", None) or sys.argv[1:])
    print(f"first run on a CPU: greedy only, prompt {', '.join(small.prompts)}: {count(small)} of the plan's {full} "
          f"completions (up to {cfg.max_new_tokens} new tokens each); the full plan: "
          f"codegen-study {' '.join(argv)} --full", flush=True)
    return small


def check_completions(store: Store) -> None:
    """Every stored completion row has the fields scoring reads, `step` an integer (one line naming the row)."""
    path = store.path("completions")
    for lineno, row in enumerate(store.iter_rows("completions"), 1):
        missing = [k for k in ("model", "step", "benchmark", "decoding", "question_id", "sample_id", "completion")
                   if k not in row]
        if missing:
            raise UserError(f"{path}:{lineno}: row lacks {', '.join(missing)}")
        step = row["step"]
        if isinstance(step, bool) or not (isinstance(step, int) or isinstance(step, str) and step.strip().isdigit()):
            raise UserError(f"{path}:{lineno}: step must be a whole number, got {step!r}")
        wrong = [k for k in ("model", "benchmark", "decoding", "question_id", "completion")
                 if not isinstance(row[k], str)]
        if wrong or not isinstance(row["sample_id"], (str, int)):
            raise UserError(f"{path}:{lineno}: {(wrong or ['sample_id'])[0]} has the wrong type")


def _evaluate(args, cfg: EvalConfig, model_cfg, raw: dict[str, Any], out: Path, run_dir: Path | None,
              targets: list, benchmarks: dict[str, dict], prompt: Prompt, d: Dist) -> int:
    """Generate (every rank its share), then, on rank 0 once all ranks are done, score and sum up."""
    store = Store(out)
    started, before = time.perf_counter(), {}
    if d.main:
        check_completions(store)  # a bad stored row stops the run before anything is written
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"--output-dir {out}: cannot write there: {exc.strerror or exc}") from None
        write_config(out, cfg, model_cfg, raw)
        if d.distributed:
            store.repair("completions")  # before the other ranks read it
        before = {t: len(store.done_keys(t)) for t in ("completions", "samples")}
        print(f"evaluating {', '.join(f'{t.model}@{t.step}' for t in targets)} on "
              f"{', '.join(f'{b} ({len(p)})' for b, p in benchmarks.items())} -> {out}")
    barrier(d)  # nothing is written before rank 0 has counted what was there
    if not args.score_only:
        log = (lambda msg: print(f"rank {d.rank}/{d.world}: {msg}", flush=True)) if d.distributed else print
        facts = generate_all(cfg, model_cfg, targets, {b: list(p.values()) for b, p in benchmarks.items()}, store,
                             device=d.device if d.distributed else args.device, prompt=prompt, log=log,
                             rank=d.rank, world=d.world)
        barrier(d)  # every rank's rows are in the store
        if not d.main:
            return 0
        write_environment(out, "generation", {**facts, "world_size": d.world} if d.distributed else facts)
    if not args.generate_only:
        # scoring alone (on another machine) grades whatever the store holds, unless told which run
        facts = score_all(cfg, targets if (run_dir is not None or not args.score_only) else None, benchmarks, store)
        write_environment(out, "scoring", facts)
        if cfg.report_to != "none":
            log_pass_rates(store, cfg.report_to, out / "tensorboard")
    from codegen_study.core.progress import duration

    new = {t: len(store.done_keys(t)) - n for t, n in before.items()}
    print(f"evaluate: {new['completions']} new completions and {new['samples']} new scored samples in {out} "
          f"({duration(time.perf_counter() - started)})")
    return 0
