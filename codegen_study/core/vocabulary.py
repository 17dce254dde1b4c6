"""The words that travel between stages: config values, command-line choices, store columns.

Why one module: each of these words is written by one stage and read by others (a config's
`engine`, a runs row's `grader`, a held-out problem's `group`, the report's prompt columns). Spelled
in several places, a member added in one would be refused, or silently ignored, in another. Each
vocabulary is a `Literal` type, for annotations (a config field annotated with it is checked
against it on load, naming the file and line), and the tuple of its members, derived from it, for
choices and checks.

What the words mean is said where they are used: graders in `scoring.profiles`, extractions in
`scoring.extract`, engines in `evaluation.engine`, precisions in `models`, trackers in
`core.tracking`, prompt styles and formats in `tasks.prompts`, held-out groups in
`synth.assignment`.
"""

from __future__ import annotations

from typing import Literal, get_args

#: grader profiles: which tests run, under which limits, compared how
Grader = Literal["seed", "lcb", "humaneval"]
GRADERS: tuple[Grader, ...] = get_args(Grader)

#: how the program is taken from a model's answer
Extraction = Literal["seed", "lcb"]
EXTRACTIONS: tuple[Extraction, ...] = get_args(Extraction)

#: decode engines: Hugging Face `generate`, or the static-cache engine
Engine = Literal["hf", "static"]
ENGINES: tuple[Engine, ...] = get_args(Engine)

#: the base model's weights in memory (int8 through bitsandbytes, on a GPU only)
Precision = Literal["int8", "bf16", "fp16", "fp32"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)

#: where training and scoring also log their numbers
TrackerName = Literal["none", "tensorboard", "trackio"]
TRACKERS: tuple[TrackerName, ...] = get_args(TrackerName)

#: the user message's wording: the training conversation, or LiveCodeBench's instructions
PromptStyle = Literal["train", "lcb"]
PROMPT_STYLES: tuple[PromptStyle, ...] = get_args(PromptStyle)

#: how a conversation becomes text: the tokenizer's chat template, or the original plain text
PromptFormat = Literal["chat", "seed"]
PROMPT_FORMATS: tuple[PromptFormat, ...] = get_args(PromptFormat)

#: held-out benchmark groups, named by which training arms saw their families
HeldOutGroup = Literal["narrow", "wide_only", "unseen"]
HELDOUT_GROUPS: tuple[HeldOutGroup, ...] = get_args(HeldOutGroup)
