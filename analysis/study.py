"""Reading a results store into one `Study`: the only module of `analysis/` that touches files.

A study is every run folder under a root (default `data/runs`, or `$CODEGEN_STUDY_DATA`), each
holding the tables of `codegen_study.store.TABLES` plus `config.toml` and `env.json` (and, for
trained models, `train-config.toml` / `train-env.json`, whose tables describe the training), and the
corpus card written by the synth stage next to it (`<root>/../corpus/card.parquet|.jsonl`).

Why one loader: every other module is a pure function of these frames, so tests can feed it a
fixture store and the report can be re-rendered without the training stack. Tables are cast to
fixed dtypes here (an empty or absent table becomes an empty frame with the right columns), so
the pure functions never special-case a missing table.

Covers: finding, reading, de-duplicating and typing tables; reading run metadata files.
Does not cover: any statistics (see `analysis.scores` and friends) or writing anything.
"""

from __future__ import annotations

import json
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from codegen_study.core.errors import UserError
from codegen_study.core.files import iter_jsonl
from codegen_study.core.provenance import stage_record
from codegen_study.store import TABLES, Store, find_stores, read_stores

#: default location of the run folders; the report reads `$CODEGEN_STUDY_DATA` first
DEFAULT_ROOT = "data/runs"

#: the store's column types as polars dtypes (a column that may be text or a number, the sample id, is
#: read as the number every committed store has)
POLARS_TYPES = {str: pl.Utf8, int: pl.Int64, float: pl.Float64, bool: pl.Boolean}

#: the completions columns the report keeps (counts and seconds; the text is large)
COMPLETION_COLUMNS = ("model", "step", "benchmark", "prompt", "decoding", "question_id", "sample_id",
                      "completion_tokens", "seconds")


def store_dtypes(table: str, columns=None) -> dict[str, pl.DataType]:
    """The dtypes of a store table's columns (`columns`: these only), from the store's definition."""
    kinds = TABLES[table].columns
    return {c: POLARS_TYPES[next(t for t in typing.get_args(kinds[c]) or (kinds[c],) if t is not type(None))]
            for c in (columns or kinds)}


#: dtypes every table is cast to (columns not listed keep what the reader inferred)
DTYPES: dict[str, dict[str, pl.DataType]] = {
    "runs": {**store_dtypes("runs"), "folder": pl.Utf8},
    **{t: store_dtypes(t) for t in ("samples", "tests", "problems", "prompts", "losses")},
    "completions": store_dtypes("completions", COMPLETION_COLUMNS),
    "card": {"corpus": pl.Utf8, "metric": pl.Utf8, "value": pl.Utf8},
}


@dataclass(frozen=True)
class Study:
    """All tables of a results store as typed polars frames, plus per-folder metadata."""

    root: str
    runs: pl.DataFrame
    samples: pl.DataFrame
    tests: pl.DataFrame
    problems: pl.DataFrame
    losses: pl.DataFrame
    card: pl.DataFrame
    completions: pl.DataFrame = field(default_factory=pl.DataFrame)  # without the completion text
    prompts: pl.DataFrame = field(default_factory=pl.DataFrame)
    configs: dict[str, dict] = field(default_factory=dict)  # folder name -> config.toml
    envs: dict[str, dict] = field(default_factory=dict)  # folder name -> env.json
    training: dict[str, dict] = field(default_factory=dict)  # folder name -> training.json
    statements: dict[str, str] = field(default_factory=dict)  # question_id -> statement (benchmark files)
    costs: dict = field(default_factory=dict)  # the study command's cost summary (<root>/study-costs.json)

    @property
    def empty(self) -> bool:
        return self.runs.height == 0


def _typed(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Cast known columns to fixed dtypes; add missing ones as nulls so callers can rely on them."""
    schema = DTYPES[table]
    exprs = []
    for name, dtype in schema.items():
        if name in df.columns:
            col = pl.col(name)
            if dtype == pl.Utf8 and df.schema[name] not in (pl.Utf8, pl.Null):
                # lists/structs (e.g. protections as a JSON list) become their JSON text
                if isinstance(df.schema[name], (pl.List, pl.Struct, pl.Array)):
                    col = col.map_elements(_to_json, return_dtype=pl.Utf8)
            exprs.append(col.cast(dtype, strict=False).alias(name))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    extra = [c for c in df.columns if c not in schema]
    return df.select(exprs + extra) if df.width else pl.DataFrame(schema=schema)


def _to_json(value) -> str:
    if isinstance(value, pl.Series):
        value = value.to_list()
    return json.dumps(value, default=str)


def _read_card(corpus_dir: Path) -> pl.DataFrame:
    pq, jl = corpus_dir / "card.parquet", corpus_dir / "card.jsonl"
    if pq.exists():
        df = pl.read_parquet(pq)
    elif jl.exists():
        rows = [json.loads(line) for line in jl.read_text(encoding="utf-8").splitlines() if line.strip()]
        df = pl.from_dicts(rows, infer_schema_length=None) if rows else pl.DataFrame()
    else:
        df = pl.DataFrame()
    if "value" in df.columns and df.schema["value"] != pl.Utf8:
        df = df.with_columns(pl.col("value").map_elements(_value_text, return_dtype=pl.Utf8))
    return _typed(df, "card")


def _value_text(value) -> str:
    """Card values are numbers or text; integers print without a trailing `.0`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def data_root() -> str:
    """Where the report reads the store: `$CODEGEN_STUDY_DATA`, else `data/runs`."""
    return os.environ.get("CODEGEN_STUDY_DATA", DEFAULT_ROOT)


def rerun_root(root: str | os.PathLike | None = None) -> Path:
    """Where an earlier making of some of the study's models is kept: `reruns/` beside its root."""
    return Path(root if root is not None else data_root()).parent / "reruns"


def probe_root(root: str | os.PathLike | None = None) -> Path:
    """Where a training probe of the study's configs keeps its records (`analysis.probe`): `probe/` beside its root."""
    return Path(root if root is not None else data_root()).parent / "probe"


def load_study(root: str | os.PathLike | None = None, corpus_dir: str | os.PathLike | None = None) -> Study:
    """Read every run folder under `root` (and the corpus card) into a `Study`.

    A model evaluated in several folders (e.g. the base model in both the deep and the diverse
    run) has the same run ids there; the first folder's rows win, so nothing is counted twice.
    """
    root = Path(root if root is not None else data_root())
    stores = find_stores(root)
    run_frames = []
    for folder in stores:
        df = Store(folder).read("runs")
        if df.height:
            run_frames.append(df.with_columns(pl.lit(folder.name).alias("folder")))
    runs = pl.concat(run_frames, how="diagonal_relaxed") if run_frames else pl.DataFrame()
    tables = {"runs": _typed(runs, "runs")}
    for table in ("samples", "tests", "problems", "losses", "prompts"):
        tables[table] = _typed(read_stores(stores, table), table)
    tables["completions"] = _typed(_read_completions(stores), "completions")
    # the scorer writes "" for "no group" / "no link" / "no date"; treat those as missing
    tables["problems"] = tables["problems"].with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in ("group", "url", "family", "date"))
    for table, df in tables.items():
        key = [k for k in TABLES[table].key if k in df.columns]
        if df.height:
            tables[table] = df.unique(subset=key, keep="first", maintain_order=True)
    configs, envs, training = {}, {}, {}
    for folder in stores:
        if (folder / "training.json").exists():
            training[folder.name] = json.loads((folder / "training.json").read_text(encoding="utf-8"))
        if (folder / "config.toml").exists():
            configs[folder.name] = tomllib.loads((folder / "config.toml").read_text(encoding="utf-8"))
        if (folder / "train-config.toml").exists():  # the training's own resolved config wins
            trained = tomllib.loads((folder / "train-config.toml").read_text(encoding="utf-8"))
            configs[folder.name] = {**configs.get(folder.name, {}), **{k: v for k, v in trained.items() if k != "eval"}}
        if (folder / "env.json").exists():
            envs[folder.name] = json.loads((folder / "env.json").read_text(encoding="utf-8"))
        if (folder / "train-env.json").exists():  # the run folder's env.json: its training record, either shape
            record = stage_record(json.loads((folder / "train-env.json").read_text(encoding="utf-8")), "training")
            if record is not None:
                envs.setdefault(folder.name, {})["training"] = record
    card = _read_card(Path(corpus_dir) if corpus_dir is not None else root.parent / "corpus")
    return Study(root=str(root), card=card, configs=configs, envs=envs, training=training,
                 statements=_read_statements(root.parent / "benchmarks"), costs=_read_costs(root), **tables)


def _read_costs(root: Path) -> dict:
    """`<root>/study-costs.json` as written by `codegen-study study`; {} when absent."""
    path = root / "study-costs.json"
    if not path.is_file():
        return {}
    try:
        costs = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(costs, dict) or not isinstance(costs.get("stages"), dict):
        raise UserError(f"{path}:1: expected an object with a 'stages' object")
    return costs


def _read_statements(folder: Path) -> dict[str, str]:
    """question_id -> statement from the benchmark files kept beside the runs (data/benchmarks)."""
    out: dict[str, str] = {}
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        for _, row in iter_jsonl(path, "benchmark"):
            if isinstance(row, dict) and "question_id" in row and "question_content" in row:
                out[str(row["question_id"])] = row["question_content"]
    return out


def _read_completions(stores) -> pl.DataFrame:
    """Completions without their text (the report needs only counts and seconds; the text is large)."""
    keep = list(DTYPES["completions"])
    frames = []
    for folder in stores:
        df = Store(folder).read("completions")
        if df.height:
            frames.append(df.select([c for c in keep if c in df.columns]))
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
