"""The command line's one grammar: the same flag for the same thing in every verb.

* A flag that overrides a config value is named after its key (`--output-dir` for `output_dir`), and
  `--set SECTION.KEY=VALUE` (repeatable, the value in TOML syntax) overrides any other wherever a
  config is read (`add_set`, `parse_set`); a value neither gives is the config's.
* A benchmark is `NAME=SOURCE` (`parse_pair`); each verb says what a bare value means.
* A GGUF file is `--gguf`, a results store `--store`.

Renamed flags keep working for one release (`add_renamed`): the old spelling is left out of `--help`,
does what it did, and says on stderr which flag replaces it, so scripts keep running while they are
moved over.

Does not cover: a verb's own flags (its `cli` module) or reading configs (`config`).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Iterable
from typing import Any

from codegen_study.core.errors import UserError


class _Renamed(argparse.Action):
    """The old spelling of a flag: says which flag replaces it, then stores its value as before."""

    def __init__(self, option_strings, dest, *, new: str, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None):
        warn_renamed(parser.prog, option_string or self.option_strings[0], self.new)
        setattr(namespace, self.dest, values)


def warn_renamed(prog: str, old: str, new: str) -> None:
    """The line a renamed flag prints on stderr when it is used."""
    print(f"{prog}: DeprecationWarning: {old} is deprecated and goes in the next release; use {new}",
          file=sys.stderr)


def add_renamed(parser: argparse.ArgumentParser, old: str, new: str, *, dest: str, **kwargs: Any) -> None:
    """Accept `old` (hidden from --help) into `dest`, warning that `new` replaces it. `dest` is the new
    flag's where the old one meant the same; an old flag of another shape (a comma-separated list the new
    one takes repeated) keeps its own and the verb reads both."""
    parser.add_argument(old, action=_Renamed, new=new, dest=dest, help=argparse.SUPPRESS, **kwargs)


def add_set(parser: argparse.ArgumentParser, sections: Iterable[str], example: str) -> None:
    """`--set SECTION.KEY=VALUE`, repeatable, for the config tables `sections` (`example`: one for --help)."""
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help=f"override any config value (SECTION: {', '.join(sections)}; the value in TOML syntax, "
                             f"e.g. --set {example}), repeatable; wins over the flag of the same key")


def parse_set(items: Iterable[str], sections: Iterable[str]) -> dict[str, dict[str, Any]]:
    """`--set` items as {section: {key: value}}. A value that is not valid TOML is taken as text
    (`--set run.name=deep` needs no quotes)."""
    sections = tuple(sections)
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        target, sep, text = item.partition("=")
        section, dot, key = target.strip().partition(".")
        if not sep or not dot or not key.strip() or section not in sections:
            raise UserError(f"--set {item!r}: expected SECTION.KEY=VALUE with SECTION in {sorted(sections)}")
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text
        out.setdefault(section, {})[key.strip()] = value
    return out


def parse_pair(item: str, flag: str) -> tuple[str, str | None]:
    """`NAME=SOURCE` -> (NAME, SOURCE); a bare `NAME` -> (NAME, None)."""
    name, sep, source = (part.strip() for part in item.partition("="))
    if not name or (sep and not source):
        raise UserError(f"{flag} {item!r}: expected NAME or NAME=SOURCE")
    return name, source or None
