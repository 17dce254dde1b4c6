"""Instruction data for LoRA training: CodeGen-schema rows -> splits -> token ids with loss masks.

Covers: reading rows (a hub id such as `Naholav/CodeGen-Deep-5K`, or a local JSONL file in the same
schema, field names configurable), splitting them without leakage, rendering each row in one of two
prompt formats, tokenizing with a loss mask, truncation accounting, padding-free packing, and
collating micro-batches. It does not load models or run training (see `models`, `train`).

Why a *group* split: CodeGen-Deep-5K holds 5 solutions for each of 1,000 problems, so a random row
split puts the same problem in training and validation and validation loss stops measuring
generalisation. `split = "group"` assigns whole problems (the `problem_field` value, or the
normalised statement when that field is absent) to one split.

Prompt formats (`chat`, the tokenizer's chat template; `seed`, the original plain text) and the
conversation itself come from `prompts.encode`, the function evaluation prompts are built with, so
training and evaluation cannot drift apart. Chat loss covers the answer and its end-of-turn token;
seed-format loss covers every token, for faithful replication.

Packing (`packing = true`) concatenates examples into rows of at most `max_length` tokens and
restarts `position_ids` at 0 for every example. Passed to a Hugging Face model *without* an
attention mask and with `use_cache=False` (as training runs), transformers (>= 4.53) turns restarting
position ids into a block-diagonal causal mask for SDPA/eager attention and into varlen calls for
flash-attention, so a token attends only to
earlier tokens of its own example (tests/training/test_training_data.py checks that packed logits equal unpacked
ones). The first label of every packed example is -100 so no token is trained to predict the start
of an unrelated example. Padding after a row continues the positions of its last example (no real
token attends to it), so a batch whose rows hold one example each has no restart and needs no mask
beyond the causal one (the fast attention kernels); `cohort_batch` then sends no positions at all.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from codegen_study.core.errors import UserError
from codegen_study.core.files import iter_jsonl
from codegen_study.core.vocabulary import PromptFormat
from codegen_study.tasks.prompts import SYSTEM_PROMPT, encode, statement_message

VALID_NAMES = ("valid", "validation", "val", "dev")
IGNORE = -100


@dataclass(frozen=True)
class DataConfig:
    path: str = "Naholav/CodeGen-Deep-5K"  # hub dataset id, or a local .jsonl file
    hub_split: str = "train"  # the HF split to read when `path` is a hub id
    revision: str | None = None
    id_field: str = "id"
    problem_field: str = "problem_id"  # group key for split="group" when present
    input_field: str = "input"
    solution_field: str = "solution"
    output_field: str = "output"
    split_field: str = "split"
    target: Literal["output", "solution"] = "output"
    prompt_format: PromptFormat = "chat"
    system_prompt: str = SYSTEM_PROMPT
    max_length: int = 512
    split: Literal["column", "group"] = "column"
    exclude_splits: tuple[str, ...] = ("test",)  # rows with these split values never train
    valid_fraction: float = 0.05  # of problems, for split="group"
    seed: int = 42
    packing: bool = False
    max_rows: int | None = None  # debugging: keep the first N rows
    # a second validation file (every row, whatever its split) whose loss is recorded at each
    # evaluation as split "valid_shared" -- one yardstick for runs on different corpora; it never
    # decides the best step or early stopping (see `shared_valid_examples`)
    shared_valid: str | None = None

    def __post_init__(self) -> None:
        if self.max_length < 8:
            raise ValueError(f"max_length must be >= 8, got {self.max_length}")
        if not 0.0 < self.valid_fraction < 1.0:
            raise ValueError(f"valid_fraction must be in (0, 1), got {self.valid_fraction}")


def is_local(path: str) -> bool:
    return path.endswith((".jsonl", ".json")) or Path(path).exists()


def load_rows(cfg: DataConfig) -> list[dict[str, Any]]:
    """All rows of the dataset as dicts; a local JSONL is read with the standard library only."""
    if is_local(cfg.path):
        rows = read_jsonl(cfg.path)
    else:
        try:
            import datasets as hf_datasets  # lazy: not installed on the GPU machine
        except ImportError as exc:
            raise UserError(f"{cfg.path}: reading a hub dataset needs the `datasets` package") from exc
        ds = hf_datasets.load_dataset(cfg.path, split=cfg.hub_split, revision=cfg.revision)
        rows = [dict(r) for r in ds]
    if cfg.max_rows is not None:
        rows = rows[: cfg.max_rows]
    needed = (cfg.input_field, cfg.solution_field if cfg.target == "solution" else cfg.output_field)
    for i, row in enumerate(rows, 1):
        for field in needed:
            if not isinstance(row.get(field), str):
                raise UserError(f"{cfg.path}:{i}: row lacks string field {field!r}")
    return rows


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such data file")
    rows = []
    for i, row in iter_jsonl(path):
        if not isinstance(row, dict):
            raise UserError(f"{path}:{i}: expected a JSON object per line")
        rows.append(row)
    if not rows:
        raise UserError(f"{path}: no rows")
    return rows


def normalise_statement(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def group_key(row: dict[str, Any], cfg: DataConfig) -> str:
    """Which problem a row belongs to: `problem_field` if present, else its normalised statement."""
    value = row.get(cfg.problem_field)
    if value is not None and value != "":
        return f"id:{value}"
    return "text:" + normalise_statement(row[cfg.input_field])


def split_rows(rows: list[dict[str, Any]], cfg: DataConfig) -> dict[str, list[dict[str, Any]]]:
    """{"train": [...], "valid": [...]} (plus other split names the column holds, e.g. "test")."""
    if cfg.split == "column":
        out: dict[str, list] = {"train": [], "valid": []}
        for i, row in enumerate(rows, 1):
            value = row.get(cfg.split_field)
            if not isinstance(value, str):
                raise UserError(
                    f"{cfg.path}:{i}: split = \"column\" but row has no {cfg.split_field!r} value; "
                    'use split = "group"'
                )
            name = "valid" if value.lower() in VALID_NAMES else value.lower()
            out.setdefault(name, []).append(row)
        if not out["train"] or not out["valid"]:
            raise UserError(f"{cfg.path}: split column gives {len(out['train'])} train and "
                            f"{len(out['valid'])} valid rows; both must be non-empty")
        return out
    kept, held = [], {}
    for row in rows:
        value = row.get(cfg.split_field)
        if isinstance(value, str) and value.lower() in cfg.exclude_splits:
            held.setdefault(value.lower(), []).append(row)
        else:
            kept.append(row)
    keys = sorted({group_key(r, cfg) for r in kept})
    if len(keys) < 2:
        raise UserError(f"{cfg.path}: a group split needs at least 2 distinct problems, found {len(keys)}")
    random.Random(cfg.seed).shuffle(keys)
    n_valid = max(1, round(cfg.valid_fraction * len(keys)))
    valid_keys = set(keys[:n_valid])
    out = {"train": [r for r in kept if group_key(r, cfg) not in valid_keys],
           "valid": [r for r in kept if group_key(r, cfg) in valid_keys]}
    out.update(held)
    return out


def encode_example(tokenizer, row: dict[str, Any], cfg: DataConfig) -> dict[str, Any]:
    """{"input_ids", "labels", "truncated"} for one row; labels are -100 where no loss applies.

    The conversation comes from `prompts.encode` with the `train` user message, the same call that
    builds evaluation prompts: chat loss covers the answer and its end-of-turn token; seed-format
    loss covers every token, as the original recipe trained.
    """
    user = statement_message(row[cfg.input_field], "train")
    target = row[cfg.solution_field if cfg.target == "solution" else cfg.output_field]
    try:
        prompt_ids, answer_ids = encode(tokenizer, user, target, system=cfg.system_prompt,
                                        prompt_format=cfg.prompt_format)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    input_ids = prompt_ids + answer_ids
    labels = ([IGNORE] * len(prompt_ids) if cfg.prompt_format == "chat" else list(prompt_ids)) + answer_ids
    truncated = len(input_ids) > cfg.max_length
    return {"input_ids": input_ids[: cfg.max_length], "labels": labels[: cfg.max_length], "truncated": truncated}


def encode_rows(tokenizer, rows: list[dict[str, Any]], cfg: DataConfig) -> tuple[list[dict], dict[str, int]]:
    """Encoded examples plus counts: rows, truncated, dropped (no supervised token left), tokens."""
    examples, truncated, dropped, tokens = [], 0, 0, 0
    for row in rows:
        ex = encode_example(tokenizer, row, cfg)
        truncated += ex["truncated"]
        if sum(1 for x in ex["labels"][1:] if x != IGNORE) == 0:
            dropped += 1
            continue
        tokens += len(ex["input_ids"])
        examples.append(ex)
    return examples, {"rows": len(rows), "truncated": truncated, "dropped": dropped, "tokens": tokens}


def pack_examples(examples: list[dict], max_length: int) -> list[dict]:
    """Greedy first-fit-in-order packing into rows of <= max_length tokens with restarting positions."""
    packed: list[dict] = []
    cur: dict[str, list] = {"input_ids": [], "labels": [], "position_ids": []}
    for ex in examples:
        n = len(ex["input_ids"])
        if cur["input_ids"] and len(cur["input_ids"]) + n > max_length:
            packed.append(cur)
            cur = {"input_ids": [], "labels": [], "position_ids": []}
        cur["input_ids"] += ex["input_ids"]
        cur["labels"] += [IGNORE] + list(ex["labels"][1:])
        cur["position_ids"] += list(range(n))
    if cur["input_ids"]:
        packed.append(cur)
    return packed


def prepare_data(tok, dcfg: DataConfig, log=print, splits: dict | None = None) -> tuple[list[dict], list[dict], dict]:
    """Encoded (and optionally packed) train/valid examples plus counts for training.json
    (`splits`: the rows already read and split, when the caller checked them first)."""
    splits = split_rows(load_rows(dcfg), dcfg) if splits is None else splits
    train_ex, train_n = encode_rows(tok, splits["train"], dcfg)
    valid_ex, valid_n = encode_rows(tok, splits["valid"], dcfg)
    log(f"data: train {train_n['rows']} rows ({train_n['truncated']} truncated at {dcfg.max_length} tokens, "
        f"{train_n['dropped']} without target tokens dropped), valid {valid_n['rows']} rows "
        f"({valid_n['truncated']} truncated)")
    if not train_ex or not valid_ex:
        raise UserError(f"{dcfg.path}: no usable train or valid examples after encoding")
    if dcfg.packing:
        train_ex = pack_examples(train_ex, dcfg.max_length)
        valid_ex = pack_examples(valid_ex, dcfg.max_length)
        log(f"packing: {train_n['rows'] - train_n['dropped']} examples -> {len(train_ex)} rows of <= {dcfg.max_length}")
    return train_ex, valid_ex, {"train": train_n, "valid": valid_n, "train_sequences": len(train_ex)}


def load_shared_valid(cfg: DataConfig) -> list[dict[str, Any]]:
    """Rows of `cfg.shared_valid` (all of them, whatever their split column), checked like `load_rows`."""
    rows = read_jsonl(cfg.shared_valid)
    needed = (cfg.input_field, cfg.solution_field if cfg.target == "solution" else cfg.output_field)
    for i, row in enumerate(rows, 1):
        for name in needed:
            if not isinstance(row.get(name), str):
                raise UserError(f"{cfg.shared_valid}:{i}: row lacks string field {name!r}")
    return rows


def shared_valid_examples(tok, cfg: DataConfig, rows: list[dict[str, Any]] | None = None,
                          log=print) -> tuple[list[dict], dict[str, int]]:
    """Encoded (and, with `packing`, packed) examples of the shared validation file plus counts; the
    same conversation and truncation as training rows (`encode_rows`). Empty without `shared_valid`."""
    if not cfg.shared_valid:
        return [], {}
    examples, counts = encode_rows(tok, load_shared_valid(cfg) if rows is None else rows, cfg)
    if not examples:
        raise UserError(f"{cfg.shared_valid}: no usable shared validation examples after encoding")
    log(f"data: shared valid {counts['rows']} rows ({counts['truncated']} truncated) from {cfg.shared_valid}")
    return (pack_examples(examples, cfg.max_length) if cfg.packing else examples), counts


def epoch_windows(n_examples: int, epoch: int, seed: int, micro_batch_size: int, grad_accumulation: int,
                  rank: int = 0, world: int = 1) -> list[list[list[int]]]:
    """This rank's accumulation windows of micro-batches (example indices) for `epoch`: a pure
    function of (seed, epoch), so a resumed run replays the same order. Rank r of N takes
    micro-batches r, r+N, ...; every rank gets the same number of them (the remainder is dropped)."""
    order = list(range(n_examples))
    random.Random(seed * 100_003 + epoch).shuffle(order)
    mbs = [order[i:i + micro_batch_size] for i in range(0, len(order), micro_batch_size)]
    per_rank = max(1, len(mbs) // world)
    mine = mbs[rank::world][:per_rank] if len(mbs) >= world else [mbs[rank % len(mbs)]]
    return [mine[i:i + grad_accumulation] for i in range(0, len(mine), grad_accumulation)]


def collate(examples: list[dict], pad_id: int):
    """Right-padded tensors for one micro-batch. Rows with position_ids (packed, or one example each
    as the cohort makes them) carry them and no mask.
    Filled through numpy: a row copied from its list in one call, not element by element (a
    cohort step collates about a hundred rows of up to 512 tokens on the host every step)."""
    import numpy as np
    import torch

    lengths = [len(e["input_ids"]) for e in examples]
    width = max(lengths)
    ids = np.full((len(examples), width), pad_id, dtype=np.int64)
    labels = np.full((len(examples), width), IGNORE, dtype=np.int64)
    packed = "position_ids" in examples[0]
    pos = np.zeros((len(examples), width), dtype=np.int64) if packed else None
    for i, (e, n) in enumerate(zip(examples, lengths)):
        ids[i, :n] = e["input_ids"]
        labels[i, :n] = e["labels"]
        if packed:
            pos[i, :n] = e["position_ids"]
            # padding continues the row's last example: no real token attends to it (causal), and a
            # batch of one example per row then has no restart, so attention needs no mask at all
            pos[i, n:] = e["position_ids"][-1] + 1 + np.arange(width - n)
    batch = {"input_ids": torch.from_numpy(ids), "labels": torch.from_numpy(labels)}
    if packed:
        batch["position_ids"] = torch.from_numpy(pos)
    elif min(lengths) < width:
        batch["attention_mask"] = torch.from_numpy((np.arange(width)[None, :] < np.array(lengths)[:, None])
                                                   .astype(np.int64))
    return batch
