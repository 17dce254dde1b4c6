"""The `train` command: one run (`train.train`; DDP under a launcher) or several trained together
as a cohort (`cohort.train_cohort`; under a launcher each rank trains its share of the runs), with
command-line overrides of any config value."""

from __future__ import annotations

import sys

from codegen_study.core.errors import UserError
from codegen_study.core.flags import add_renamed, add_set, parse_set
from codegen_study.training.train import train
from codegen_study.training.train_config import SECTIONS

FLAGS = {  # flag -> (section, key, type)
    "--output-dir": ("run", "output_dir", str), "--name": ("run", "name", str), "--seed": ("run", "seed", int),
    "--model": ("model", "name_or_path", str), "--gguf": ("model", "gguf_file", str),
    "--precision": ("model", "precision", str), "--data-path": ("data", "path", str),
    "--max-length": ("data", "max_length", int), "--max-steps": ("train", "max_steps", int),
    "--time-limit": ("train", "time_limit", float),
    "--epochs": ("train", "epochs", float), "--eval-every": ("train", "eval_every", int),
    "--save-every": ("train", "save_every", int), "--logging-every": ("train", "logging_every", int),
    "--learning-rate": ("train", "learning_rate", float), "--micro-batch-size": ("train", "micro_batch_size", int),
    "--grad-accumulation": ("train", "grad_accumulation", int), "--autocast": ("train", "autocast", str),
}


def add_arguments(parser) -> None:
    parser.add_argument("--config", required=True, action="append",
                        help="run config TOML (tables run, model, data, train); several train them as one cohort")
    parser.add_argument("--seeds", help="comma-separated training seeds: one run per config and seed, trained "
                                        "together (output folders get -s{seed})")
    for flag, (section, key, typ) in FLAGS.items():
        parser.add_argument(flag, type=typ, default=None, help=f"override [{section}] {key}")
    add_renamed(parser, "--gguf-file", "--gguf", dest="gguf")
    add_set(parser, SECTIONS, "train.cpu_valid_rows=0")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 (default: cuda if available)")


def parse_overrides(args) -> dict[str, dict]:
    overrides: dict[str, dict] = {}
    for flag, (section, key, _) in FLAGS.items():
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if value is not None:
            overrides.setdefault(section, {})[key] = value
    for section, values in parse_set(args.set, SECTIONS).items():
        overrides.setdefault(section, {}).update(values)
    return overrides


def run(args) -> int:
    header = "codegen-study train " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else ""
    overrides = parse_overrides(args)
    if len(args.config) == 1 and not args.seeds:
        train(args.config[0], overrides=overrides, device=args.device, header=header)
        return 0
    from codegen_study.training.cohort import train_cohort

    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()] if args.seeds else None
    except ValueError as exc:
        raise UserError(f"--seeds {args.seeds!r}: expected comma-separated integers") from exc
    train_cohort(args.config, seeds, overrides=overrides, device=args.device, header=header)
    return 0
