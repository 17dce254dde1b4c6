"""Frozen per-stage config dataclasses loaded from TOML, and saved resolved into run folders.

A run config file has one table per stage (`[model]`, `[data]`, `[train]`, `[eval]`, ...).
`load_section(path, "train", TrainConfig, overrides)` builds the frozen dataclass for one stage:
unknown keys and wrong types are errors that name the file and the key's line, so a typo in a
config never silently falls back to a default. `dump_toml` writes the resolved values back (every
field, defaults included) so each run folder says exactly what ran.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from codegen_study.core.errors import UserError

T = TypeVar("T")


#: the tables a run config may have (one per stage); any other table is a typo, not a default
KNOWN_TABLES = ("run", "model", "data", "train", "eval", "study")


def read_toml(path: str | os.PathLike) -> dict[str, Any]:
    """A run config's tables; unreadable text, invalid TOML, a key outside any table and an
    unknown table (`[trian]`) are UserErrors naming the file (and line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read config: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: cannot read config: not UTF-8 text (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # message already carries "(at line N, column M)"
        raise UserError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise UserError(f"{path}: invalid TOML: nested too deeply") from None
    for name, value in data.items():
        if not isinstance(value, dict):
            raise UserError(f"{path}{_key_line(path, name)}: {name!r} must be a table such as [train], "
                            f"not a value outside every table")
        if name not in KNOWN_TABLES:
            raise UserError(f"{path}{_table_line(text, name)}: unknown table [{name}]; "
                            f"known tables: {', '.join(KNOWN_TABLES)}")
    return data


def _table_line(text: str, name: str) -> str:
    for i, line in enumerate(text.splitlines(), 1):
        head = line.strip().lstrip("[").split("]", 1)[0].split(".", 1)[0].strip().strip('"')
        if line.strip().startswith("[") and head == name:
            return f":{i}"
    return ""


def _key_line(path: Path | None, key: str) -> str:
    if path is None:
        return ""
    try:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.split("=", 1)[0].strip() == key:
                return f":{i}"
    except (OSError, UnicodeDecodeError):
        pass
    return ""


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where)
            except UserError as exc:
                errors.append(str(exc))
        raise UserError(errors[0] if errors else f"{where}: bad value {value!r}")
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise UserError(f"{where}: expected a list, got {value!r}")
        inner = args[0] if args else Any
        return tuple(_coerce(v, inner, where) for v in value)
    if origin is dict:
        if not isinstance(value, dict):
            raise UserError(f"{where}: expected a table, got {value!r}")
        return dict(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{where}: expected a number, got {value!r}")
        if not math.isfinite(value):  # TOML allows nan and inf; no setting means them
            raise UserError(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise UserError(f"{where}: expected true/false, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise UserError(f"{where}: expected a string, got {value!r}")
        return value
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where=where)
    if typing.get_origin(hint) is typing.Literal:
        if value not in args:
            raise UserError(f"{where}: expected one of {list(args)}, got {value!r}")
        return value
    return value


def from_dict(cls: type[T], data: dict[str, Any], where: str = "", path: Path | None = None) -> T:
    """Build dataclass `cls` from `data`, rejecting unknown keys and mistyped values."""
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        key = unknown[0]
        raise UserError(
            f"{where}{_key_line(path, key)}: unknown key {key!r} for [{cls.__name__}]; "
            f"known keys: {', '.join(sorted(names))}"
        )
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(value, hints[name], f"{where}{_key_line(path, name)}: {name}")
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        raise UserError(f"{where}: {exc}") from exc
    except ValueError as exc:  # __post_init__ validation
        raise UserError(f"{where}: {exc}") from exc


def load_section(
    path: str | os.PathLike | None,
    section: str,
    cls: type[T],
    overrides: dict[str, Any] | None = None,
) -> T:
    """Load table `[section]` of TOML file `path` into `cls`, then apply non-None `overrides`."""
    data: dict[str, Any] = {}
    p = Path(path) if path is not None else None
    if p is not None:
        data = dict(read_toml(p).get(section, {}))
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    return from_dict(cls, data, where=f"{p}[{section}]" if p else f"[{section}]", path=p)


def to_dict(obj: Any) -> dict[str, Any]:
    """Plain-data dict of a (nested) dataclass; tuples become lists; Nones are dropped (TOML has no null)."""

    def clean(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {k: clean(x) for k, x in dataclasses.asdict(v).items() if x is not None}
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items() if x is not None}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if isinstance(v, Path):
            return str(v)
        return v

    return clean(obj)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} as TOML")


def dump_toml(sections: dict[str, Any], header: str = "") -> str:
    """TOML text for {section: dataclass-or-dict}; the inverse of `load_section` per section."""
    lines = [f"# {line}" for line in header.splitlines()] if header else []
    for name, obj in sections.items():
        data = to_dict(obj)
        lines.append(f"\n[{name}]")
        for k, v in data.items():
            lines.append(f"{k} = {_toml_value(v)}")
    return "\n".join(lines).lstrip("\n") + "\n"
