"""The results store: tidy tables in a folder, appended safely, read as polars frames.

A store is a folder (one per study run, e.g. `data/runs/offline-deep/`) holding tables:

=============  ==============================================================================
table          one row per
=============  ==============================================================================
completions    (model, step, benchmark, decoding, question_id, sample_id): raw model output
runs           scoring run: (model, step, benchmark, decoding, grader, extraction) + metadata
samples        (run_id, question_id, sample_id): extracted code, passed, verdict, counts
tests          (run_id, question_id, sample_id, test_index): verdict, seconds, failing I/O
problems       (benchmark, question_id): title, url, date, group (e.g. seen/unseen family)
losses         (model, step, split): training / validation loss
prompts        (prompt, benchmark, question_id): the rendered prompt of one problem per style
=============  ==============================================================================

Each table's columns, key and types are one `Table` (`TABLES`); the writers build their rows with
`Table.row` and the report reads the same definitions, and only these tables.

Why JSONL while running: appending one complete line per row with a single `write` and an
`fsync` means a run killed with SIGKILL loses nothing already reported; a torn last line (the
kill landed mid-write) is cut off before the next append, so nothing is duplicated or
half-read. Several processes may append to one table at once (the ranks of a multi-GPU
`evaluate`): each append holds an exclusive `flock` on the file while it checks the tail and
writes, so batches never interleave whatever their size (O_APPEND alone keeps one `write` whole
only within the kernel's limits, and not across a short write's retry), and a line torn by a
writer killed mid-write is cut before the next batch lands behind it. `done_keys` lets a rerun
skip what is done. Writing needs only the standard library
(the GPU machine has no polars); `compact` turns a finished table into zstd parquet (atomic
temp + rename) for git. Readers accept either form, and both at once (parquet + newer JSONL).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen_study.core.errors import UserError
from codegen_study.core.files import CAP_ENV, atomic_write_bytes, input_cap, open_input

try:
    import fcntl
except ImportError:  # not on Windows: appends there are not safe for concurrent writers
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Table:
    """One table's row shape: the one definition its schema, its writers and the report read.

    `columns` maps each column to its type, in the order rows are written (so a compacted table
    keeps that order); `key` is the columns that identify a row (a rerun skips a stored key, a read
    keeps the last row of each); `optional` the columns a writer may leave out; `legacy` the columns
    added after stores were first written, with the value an older store's rows stand for (a store
    from before the prompt was recorded was generated under the LiveCodeBench wording);
    `dimensions` the columns that say what was measured, as opposed to how and when.
    """

    name: str
    columns: Mapping[str, Any]
    key: tuple[str, ...]
    optional: tuple[str, ...] = ()
    legacy: Mapping[str, Any] = field(default_factory=dict)
    dimensions: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        """The columns every appended row must carry."""
        return tuple(c for c in self.columns if c not in self.optional)

    def row(self, **values: Any) -> dict[str, Any]:
        """A row of this table, its columns in order. A missing or unknown column is a bug of the
        writer, so it fails where the row is made rather than when the report reads the store."""
        missing = [c for c in self.required if c not in values]
        unknown = [c for c in values if c not in self.columns]
        if missing or unknown:
            raise TypeError(f"{self.name} row: missing columns {missing}, unknown columns {unknown}")
        return {c: values[c] for c in self.columns if c in values}


#: a sample's id: its number, or the text id a sample file of another tool gave it
SampleId = int | str

COMPLETIONS = Table(
    "completions",
    {"model": str, "arm": str | None, "train_seed": int | None, "step": int, "benchmark": str, "prompt": str,
     "decoding": str, "question_id": str, "sample_id": SampleId, "completion": str, "prompt_tokens": int,
     "completion_tokens": int, "finish_reason": str, "seconds": float, "adapter": str | None},
    key=("model", "step", "benchmark", "prompt", "decoding", "question_id", "sample_id"),
    optional=("adapter",),  # the adapter folder a completion came from; absent in stores written before it
    legacy={"prompt": "lcb", "arm": None, "train_seed": None},
    dimensions=("model", "arm", "train_seed", "step", "benchmark", "prompt", "decoding"),
)
RUNS = Table(
    "runs",
    {"run_id": str, "model": str, "arm": str | None, "train_seed": int | None, "adapter": str | None, "step": int,
     "benchmark": str, "prompt": str, "decoding": str, "grader": str, "extraction": str, "tests_used": str,
     "protections": str, "created": str, "config": str},
    key=("run_id",),
    legacy={"prompt": "lcb", "arm": None, "train_seed": None},
    dimensions=("model", "arm", "train_seed", "step", "benchmark", "prompt", "decoding", "grader", "extraction"),
)
SAMPLES = Table(
    "samples",
    {"run_id": str, "question_id": str, "sample_id": SampleId, "passed": bool, "verdict": str, "tests_passed": int,
     "tests_total": int, "seconds": float, "code": str | None},  # None: nothing to run (no code found)
    key=("run_id", "question_id", "sample_id"),
)
TESTS = Table(
    "tests",
    {"run_id": str, "question_id": str, "sample_id": SampleId, "test_index": int, "public": bool, "verdict": str,
     "seconds": float, "input": str | None, "expected": str | None, "actual": str | None, "stderr": str | None},
    key=("run_id", "question_id", "sample_id", "test_index"),
)
PROBLEMS = Table(
    "problems",
    {"benchmark": str, "question_id": str, "title": str, "platform": str, "date": str, "difficulty": str,
     "url": str, "group": str, "family": str | None, "n_public": int, "n_private": int},
    key=("benchmark", "question_id"),
    legacy={"family": None},
)
LOSSES = Table(
    "losses",
    {"model": str, "step": int, "split": str, "loss": float, "epoch": float, "learning_rate": float,
     "seconds": float},
    key=("model", "step", "split"),
)
PROMPTS = Table(
    "prompts",
    {"prompt": str, "benchmark": str, "question_id": str, "text": str},
    key=("prompt", "benchmark", "question_id"),
)

#: every table of a store, by name
TABLES: dict[str, Table] = {t.name: t for t in (COMPLETIONS, RUNS, SAMPLES, TESTS, PROBLEMS, LOSSES, PROMPTS)}

#: table -> (the columns every row carries, in order; the key columns that identify a row)
SCHEMAS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {t.name: (t.required, t.key) for t in TABLES.values()}

#: columns added after stores were first written -> the value an older store's rows stand for
LEGACY_DEFAULTS: dict[str, dict[str, Any]] = {t.name: dict(t.legacy) for t in TABLES.values() if t.legacy}


def make_run_id(model: str, step: int, benchmark: str, prompt: str, decoding: str, grader: str,
                extraction: str) -> str:
    """Readable, unique id of one scoring run, e.g. `deep-s1/step-200/lcb41/train/greedy/lcb/lcb`."""
    return f"{model}/step-{step}/{benchmark}/{prompt}/{decoding}/{grader}/{extraction}"


def model_label(arm: str, train_seed: int | None) -> str:
    """The store's model label: arm and training seed, e.g. `deep-s1`."""
    return arm if train_seed is None else f"{arm}-s{train_seed}"


class Store:
    """A folder of tables. `append` is crash-safe and resumable; `read` returns polars frames."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, table: str, suffix: str = ".jsonl") -> Path:
        return self.root / f"{table}{suffix}"

    # -- writing (standard library only) ------------------------------------------------
    def append(self, table: str, rows: Iterable[dict[str, Any]]) -> int:
        """Append rows (dicts) to `table`; one locked write + fsync for the whole batch of lines."""
        rows = list(rows)
        if not rows:
            return 0
        columns = SCHEMAS[table][0] if table in SCHEMAS else None
        if columns is not None:
            for row in rows:
                missing = [c for c in columns if c not in row]
                if missing:
                    raise ValueError(f"{table}: row lacks columns {missing}: {row}")
        self.root.mkdir(parents=True, exist_ok=True)
        blob = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows).encode("utf-8")
        fd = os.open(self.path(table), os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released by close, or by the kernel if we are killed
            _cut_torn_tail(fd)
            view = memoryview(blob)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        return len(rows)

    def repair(self, table: str) -> None:
        """Cut a torn last line now (`append` does it before writing anyway). Done once before
        several processes start reading and appending: a cut under a reader's feet could join its
        last read to the next line."""
        if not self.path(table).exists():
            return
        fd = os.open(self.path(table), os.O_RDWR)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            _cut_torn_tail(fd)
        finally:
            os.close(fd)

    def iter_rows(self, table: str) -> Iterable[dict[str, Any]]:
        """Rows of the JSONL part of `table` (complete lines only), in order written."""
        p = self.path(table)
        if not p.exists():
            return
        cap = input_cap("store")
        with open_input(p, f"table {table}") as f:
            lineno = 0
            while True:
                line = f.readline(cap + 1)
                if not line:
                    break
                lineno += 1
                if len(line) > cap:
                    raise UserError(f"{p}:{lineno}: a line longer than {cap >> 20} MiB (set {CAP_ENV} to raise it)")
                if line.endswith(b"\n"):
                    try:
                        row = json.loads(line)
                    except (ValueError, RecursionError) as exc:  # JSONDecodeError and bad UTF-8 alike
                        raise UserError(f"{p}:{lineno}: corrupt store line ({exc}); remove or repair it") from None
                    if not isinstance(row, dict):
                        raise UserError(f"{p}:{lineno}: corrupt store line (expected a JSON object); "
                                        "remove or repair it")
                    yield row

    def done_keys(self, table: str, key: Sequence[str] | None = None) -> set[tuple]:
        """Keys of rows already stored (JSONL and parquet parts): what a rerun should skip."""
        key = tuple(key or SCHEMAS[table][1])
        legacy = LEGACY_DEFAULTS.get(table, {})
        done = {tuple(r.get(k, legacy.get(k)) for k in key) for r in self.iter_rows(table)}
        pq = self.path(table, ".parquet")
        if pq.exists():
            df = _with_legacy(_read_parquet(pq), table)
            for row in df.select(list(key)).iter_rows():
                done.add(tuple(row))
        return done

    def write_json(self, name: str, obj: Any) -> None:
        atomic_write_bytes(self.root / name, (json.dumps(obj, indent=2, default=str) + "\n").encode())

    # -- reading / compacting (polars) --------------------------------------------------
    def read(self, table: str):
        """The whole table as a polars DataFrame (parquet part + JSONL part, deduplicated)."""
        import polars as pl

        frames = []
        pq = self.path(table, ".parquet")
        if pq.exists():
            frames.append(_read_parquet(pq))
        rows = list(self.iter_rows(table))
        if rows:
            try:
                frames.append(pl.from_dicts(rows, infer_schema_length=None))
            except Exception as exc:  # polars: a column whose rows disagree on its type
                raise UserError(f"{self.path(table)}: rows of mixed or wrong types ({_first_line(exc)})") from None
        if not frames:
            return _empty(table)
        df = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
        df = _with_legacy(df, table)
        key = SCHEMAS.get(table, (None, None))[1]
        if key and all(k in df.columns for k in key):
            df = df.unique(subset=list(key), keep="last", maintain_order=True)
        return df

    def compact(self, table: str) -> None:
        """Fold the JSONL part into `table.parquet` (zstd), atomically, then drop the JSONL. A table
        without a JSONL part is already compact and is left as it is (its file unchanged, so a
        compacted store committed to git stays byte for byte the same)."""
        import io

        if not self.path(table).exists():
            return
        df = self.read(table)
        buf = io.BytesIO()
        df.write_parquet(buf, compression="zstd", compression_level=10)
        atomic_write_bytes(self.path(table, ".parquet"), buf.getvalue())
        if self.path(table).exists():
            self.path(table).unlink()

    def tables(self) -> list[str]:
        names = {p.stem for p in self.root.glob("*.jsonl")} | {p.stem for p in self.root.glob("*.parquet")}
        return sorted(names)


def _read_parquet(path: Path):
    import polars as pl

    try:
        return pl.read_parquet(path)
    except Exception as exc:  # polars raises its own kinds for a truncated or foreign file
        raise UserError(f"{path}: corrupt parquet file ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().split("\n", 1)[0]
    return text[:300] or type(exc).__name__


def _cut_torn_tail(fd: int) -> None:
    """Cut a torn last line (a writer was killed in the middle of its write) so the next batch
    starts on a line of its own. Runs under the append lock, before every write: another process
    may have torn the tail after this one last wrote."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    data = os.pread(fd, size, 0)
    os.ftruncate(fd, data.rfind(b"\n") + 1)


def _with_legacy(df, table: str):
    """`df` with the columns an older store lacks, filled with what its rows stand for."""
    import polars as pl

    missing = {c: v for c, v in LEGACY_DEFAULTS.get(table, {}).items() if c not in df.columns}
    return df.with_columns(pl.lit(v).alias(c) for c, v in missing.items()) if missing else df


def _empty(table: str):
    import polars as pl

    cols = SCHEMAS.get(table, ((), ()))[0]
    return pl.DataFrame({c: [] for c in cols})


def read_stores(roots: Iterable[str | os.PathLike], table: str):
    """One table concatenated over several stores (e.g. every folder under data/runs)."""
    import polars as pl

    frames = [Store(r).read(table) for r in roots]
    frames = [f for f in frames if f.height]
    if not frames:
        return _empty(table)
    return pl.concat(frames, how="diagonal_relaxed")


def find_stores(root: str | os.PathLike = "data/runs") -> list[Path]:
    """Run folders under `root`: every folder that holds at least one table."""
    root = Path(root)
    if not root.exists():
        return []
    if not root.is_dir():
        raise UserError(f"{root}: not a folder (give the folder that holds run folders)")
    return sorted(p for p in root.iterdir() if p.is_dir() and Store(p).tables())


# -- `codegen-study runs` ----------------------------------------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("root", nargs="?", default="data/runs", help="folder holding run folders")
    parser.add_argument("--compact", action="store_true",
                        help="fold every table's JSONL part into zstd parquet first (what data/runs keeps in git)")


def run(args) -> int:
    stores = find_stores(args.root)
    if not stores:
        print(f"no runs under {args.root}")
        return 0
    for root in stores:
        try:
            _summarise(Store(root), args.compact)
        except UserError:
            raise
        except Exception as exc:  # polars: columns missing or of the wrong type in some table
            raise UserError(f"{root}: cannot summarise this store ({_first_line(exc)})") from None
    return 0


def _summarise(store: Store, compact: bool) -> None:
    import polars as pl

    if compact:
        for table in store.tables():
            store.compact(table)
    runs = store.read("runs")
    parts = [f"{t}={store.read(t).height}" for t in store.tables()]
    print(f"{store.root}: {', '.join(parts)}")
    if runs.height:
        summary = (
            store.read("samples")
            .group_by("run_id")
            .agg(n=pl.len(), passed=pl.col("passed").sum())
            .sort("run_id")
        )
        for rid, n, passed in summary.iter_rows():
            print(f"  {rid}: {passed}/{n} samples passed")
