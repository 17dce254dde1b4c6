"""A tiny random Qwen2 model, a tiny byte-level BPE tokenizer with a Qwen-like ChatML template, and
CodeGen-schema rows -- built offline in a second, for tests of models/datasets/train (and generate).
"""

from __future__ import annotations

import json
from pathlib import Path

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# Qwen2.5-Instruct's template without tools: a default system prompt when none is given, no
# generation markers.
CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}{{- '<|im_start|>system\\nYou are Tiny, a default assistant.<|im_end|>\\n' }}{%- endif %}"
    "{%- for message in messages %}{%- if not (loop.first and message['role'] == 'system') %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

CORPUS = [
    "You are an expert Python programmer. Please read the problem carefully before writing any Python code.",
    "Read N and print the sum of the numbers. Input: N then N integers. Output: one integer.",
    "def main():\n    n = int(input())\n    a = list(map(int, input().split()))\n    print(sum(a))\n",
    "We read the input, loop over the values, and keep a running total. # Solution:",
    "Count the vowels in the string S and print the count.",
]


def make_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    raw.train_from_iterator(CORPUS * 4, trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                  additional_special_tokens=["<|im_start|>"])
    tok.chat_template = CHAT_TEMPLATE
    return tok


def make_model(tok, seed: int = 0, **overrides):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    shape = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2, **overrides}  # a test may ask for another shape
    cfg = Qwen2Config(vocab_size=len(tok), max_position_embeddings=1024, tie_word_embeddings=True,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=None, **shape)
    return Qwen2ForCausalLM(cfg).eval()


def save_tiny(folder: Path, seed: int = 0) -> Path:
    """Tokenizer + random model saved as a local `from_pretrained` folder."""
    tok = make_tokenizer()
    model = make_model(tok, seed)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def make_rows(n_problems: int = 6, per_problem: int = 3) -> list[dict]:
    """CodeGen/synth-schema rows: several solutions per problem; splits assigned per problem."""
    rows = []
    for p in range(n_problems):
        split = "valid" if p == n_problems - 1 else ("test" if p == n_problems - 2 else "train")
        statement = f"Problem {p}: read N and print the sum of N numbers plus {p}."
        for s in range(per_problem):
            code = f"n = int(input())\nprint(sum(map(int, input().split())) + {p} + {s} - {s})\n"
            rows.append({"id": f"p{p}-s{s}", "problem_id": f"p{p}", "family": "sum", "input": statement,
                         "solution": code, "output": f"We add the numbers.\n```python\n{code}```",
                         "split": split, "solution_name": f"s{s}"})
    return rows


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
