"""datasets: loading, leakage-free splits, loss masks by token position, truncation, packing."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_lm import make_model, make_rows, make_tokenizer, write_rows  # noqa: E402

from codegen_study.core.errors import UserError  # noqa: E402
from codegen_study.tasks.prompts import SYSTEM_PROMPT, chat_messages, end_of_turn_id  # noqa: E402
from codegen_study.training.training_data import (  # noqa: E402
    IGNORE,
    DataConfig,
    collate,
    encode_example,
    encode_rows,
    load_rows,
    pack_examples,
    split_rows,
)


@pytest.fixture(scope="module")
def tok():
    return make_tokenizer()


def test_load_rows_reports_file_and_line_of_bad_json(tmp_path):
    p = tmp_path / "rows.jsonl"
    p.write_text('{"input": "a", "output": "b"}\n{"input": oops}\n')
    with pytest.raises(UserError, match=r"rows.jsonl:2: invalid JSON"):
        load_rows(DataConfig(path=str(p)))


def test_load_rows_requires_the_target_field(tmp_path):
    p = write_rows(tmp_path / "rows.jsonl", [{"input": "a", "solution": "x"}])
    with pytest.raises(UserError, match=r"rows.jsonl:1: row lacks string field 'output'"):
        load_rows(DataConfig(path=str(p)))
    assert len(load_rows(DataConfig(path=str(p), target="solution"))) == 1


def test_column_split_uses_the_split_field():
    rows = make_rows(n_problems=6, per_problem=3)
    splits = split_rows(rows, DataConfig(path="x.jsonl", split="column"))
    assert {len(splits["train"]), len(splits["valid"]), len(splits["test"])} == {12, 3}


@pytest.mark.parametrize("use_problem_id", [True, False])
def test_group_split_puts_each_problem_in_one_split(use_problem_id):
    rows = make_rows(n_problems=40, per_problem=5)
    if not use_problem_id:  # fall back to the normalised statement
        rows = [{k: v for k, v in r.items() if k != "problem_id"} | {"input": r["input"].upper() + "  "}
                if i % 2 else {k: v for k, v in r.items() if k != "problem_id"} for i, r in enumerate(rows)]
    cfg = DataConfig(path="x.jsonl", split="group", valid_fraction=0.2, exclude_splits=())
    splits = split_rows(rows, cfg)
    problems = {name: {r["input"].strip().lower() for r in part} for name, part in splits.items()}
    assert problems["train"] and problems["valid"]
    assert not problems["train"] & problems["valid"]
    assert len(splits["train"]) + len(splits["valid"]) == len(rows)
    assert len(problems["valid"]) == 8  # 20% of 40 problems, all 5 rows of each


def test_group_split_keeps_excluded_rows_out():
    rows = make_rows(n_problems=10, per_problem=2)
    splits = split_rows(rows, DataConfig(path="x.jsonl", split="group", valid_fraction=0.2))
    assert all(r["split"] != "test" for r in splits["train"] + splits["valid"])
    assert len(splits["test"]) == 2


def test_chat_mask_is_exactly_the_assistant_turn_including_end_of_turn(tok):
    row = make_rows(1, 1)[0]
    ex = encode_example(tok, row, DataConfig(path="x.jsonl", max_length=1024))
    prompt = tok.apply_chat_template(chat_messages(row["input"]), add_generation_prompt=True, tokenize=False)
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    n = len(prompt_ids)
    assert ex["input_ids"][:n] == prompt_ids  # exactly the evaluation prompt
    assert ex["labels"][:n] == [IGNORE] * n
    assert all(x != IGNORE for x in ex["labels"][n:])
    assert ex["labels"][n:] == ex["input_ids"][n:]
    assert ex["labels"][-1] == end_of_turn_id(tok) == tok.convert_tokens_to_ids("<|im_end|>")
    assert tok.decode(ex["input_ids"][n:-1]) == row["output"]
    assert SYSTEM_PROMPT in prompt and "default assistant" not in prompt  # our system prompt, not the template's


def test_seed_format_trains_on_every_token_and_ends_with_eos(tok):
    row = make_rows(1, 1)[0]
    ex = encode_example(tok, row, DataConfig(path="x.jsonl", prompt_format="seed", target="solution", max_length=1024))
    assert ex["labels"] == ex["input_ids"]
    assert ex["input_ids"][-1] == tok.eos_token_id
    text = tok.decode(ex["input_ids"][:-1])
    assert text == f"{SYSTEM_PROMPT}\n\n{row['input']}\n# Solution:\n{row['solution']}"


def test_truncation_is_counted(tok):
    rows = make_rows(2, 2)
    examples, counts = encode_rows(tok, rows, DataConfig(path="x.jsonl", max_length=60))
    assert counts["truncated"] == 4 and all(len(e["input_ids"]) == 60 for e in examples)
    _, counts = encode_rows(tok, rows, DataConfig(path="x.jsonl", max_length=1024))
    assert counts["truncated"] == 0


def test_collate_masks_padding_and_pad_is_not_eos(tok):
    rows = make_rows(2, 1)
    cfg = DataConfig(path="x.jsonl", max_length=1024)
    exs = [encode_example(tok, rows[0], cfg), encode_example(tok, {**rows[1], "output": "short"}, cfg)]
    batch = collate(exs, tok.pad_token_id)
    short = len(exs[1]["input_ids"])
    assert tok.pad_token_id != tok.eos_token_id
    assert (batch["labels"][1, short:] == IGNORE).all()
    assert (batch["input_ids"][1, short:] == tok.pad_token_id).all()
    assert (batch["attention_mask"][1, short:] == 0).all() and (batch["attention_mask"][1, :short] == 1).all()
    assert (batch["labels"][1, :short] == torch.tensor(exs[1]["labels"])).all()


def test_rows_of_one_example_collate_without_a_restart_so_attention_needs_no_mask(tok):
    from transformers.masking_utils import find_packed_sequence_indices

    cfg = DataConfig(path="x.jsonl", max_length=1024)
    exs = [encode_example(tok, r, cfg) for r in make_rows(2, 1)]
    exs[1] = encode_example(tok, {**make_rows(2, 1)[1], "output": "short"}, cfg)
    rows = [{**e, "position_ids": list(range(len(e["input_ids"])))} for e in exs]
    batch = collate(rows, tok.pad_token_id)
    width = batch["input_ids"].shape[1]
    assert (batch["position_ids"] == torch.arange(width)).all()  # padding continues the example
    assert find_packed_sequence_indices(batch["position_ids"]) is None


@pytest.mark.slow
def test_a_padded_row_gives_the_logits_of_its_example_alone(tok):
    model = make_model(tok)
    cfg = DataConfig(path="x.jsonl", max_length=1024)
    first, second = make_rows(2, 1)
    long = encode_example(tok, {**first, "output": "word " * 400}, cfg)
    short = encode_example(tok, {**second, "output": "short"}, cfg)
    rows = [{**e, "position_ids": list(range(len(e["input_ids"])))} for e in (long, short)]
    packed = pack_examples([short, short], max_length=10**6)[0]  # one row of two examples, then padding
    assert len(packed["input_ids"]) < len(long["input_ids"])
    batch = collate(rows + [packed], tok.pad_token_id)
    tail = batch["position_ids"][2, len(packed["input_ids"]):]
    n = len(short["input_ids"])  # the padding continues the row's second example, which starts at 0
    assert tail.numel() and (tail == torch.arange(n, n + tail.numel())).all()
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits
        for row, ex in ((0, long), (1, short), (2, short)):
            alone = model(input_ids=torch.tensor([ex["input_ids"]])).logits[0]
            n = len(ex["input_ids"])
            torch.testing.assert_close(logits[row, :n], alone, atol=1e-4, rtol=1e-4)


@pytest.mark.slow
def test_packed_rows_give_the_same_logits_as_separate_examples(tok):
    model = make_model(tok)
    cfg = DataConfig(path="x.jsonl", max_length=1024)
    exs = [encode_example(tok, r, cfg) for r in make_rows(3, 1)]
    packed = pack_examples(exs, max_length=1024)
    assert len(packed) == 1
    batch = collate(packed, tok.pad_token_id)
    assert "attention_mask" not in batch
    with torch.no_grad():
        # use_cache=False as in training: transformers only derives the packed mask without a cache
        logits = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits[0]
        start = 0
        for ex in exs:
            alone = model(input_ids=torch.tensor([ex["input_ids"]])).logits[0]
            n = len(ex["input_ids"])
            torch.testing.assert_close(logits[start:start + n], alone, atol=1e-4, rtol=1e-4)
            assert batch["labels"][0, start] == IGNORE  # never predict across an example boundary
            start += n
