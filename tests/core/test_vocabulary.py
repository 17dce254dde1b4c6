"""Each vocabulary is defined once (`core.vocabulary`) and every stage checks against that one."""

import argparse
import dataclasses

import pytest

from codegen_study.core import vocabulary as v
from codegen_study.core.errors import UserError


def test_each_vocabulary_is_its_literal_types_members():
    pairs = [(v.Grader, v.GRADERS), (v.Extraction, v.EXTRACTIONS), (v.Engine, v.ENGINES),
             (v.Precision, v.PRECISIONS), (v.TrackerName, v.TRACKERS), (v.PromptStyle, v.PROMPT_STYLES),
             (v.PromptFormat, v.PROMPT_FORMATS), (v.HeldOutGroup, v.HELDOUT_GROUPS)]
    for literal, members in pairs:
        assert members == literal.__args__ and len(set(members)) == len(members) >= 2


def test_the_evaluate_command_offers_the_vocabularies():
    from codegen_study.evaluation.cli import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    choices = {a.dest: tuple(a.choices) for a in parser._actions if a.choices}
    assert choices["engine"] == v.ENGINES
    assert choices["precision"] == v.PRECISIONS
    assert choices["report_to"] == v.TRACKERS


def test_the_score_and_export_commands_offer_the_graders_and_extractions():
    from codegen_study.scoring import cli, export

    for module in (cli, export):
        parser = argparse.ArgumentParser()
        module.add_arguments(parser)
        choices = {a.dest: tuple(a.choices) for a in parser._actions if a.choices}
        assert choices["extraction"] == v.EXTRACTIONS
        if module is cli:
            assert set(choices["grader"]) == set(v.GRADERS)


def test_configs_accept_every_member_and_refuse_others():
    from codegen_study.evaluation.generate import EvalConfig
    from codegen_study.models import ModelConfig

    for engine in v.ENGINES:
        assert EvalConfig(engine=engine).engine == engine
    for tracker in v.TRACKERS:
        assert EvalConfig(report_to=tracker).report_to == tracker
    for grader in v.GRADERS:
        for extraction in v.EXTRACTIONS:
            EvalConfig(graders={"b": [f"{grader}/{extraction}"]})
    for precision in v.PRECISIONS:
        assert ModelConfig(precision=precision).precision == precision
    for bad in (dict(engine="vllm"), dict(report_to="wandb"), dict(graders={"b": "lcb/lcb/x"}),
                dict(prompts=("chatty",))):
        with pytest.raises(ValueError):
            EvalConfig(**bad)
    with pytest.raises(ValueError):
        ModelConfig(precision="fp8")


def test_graders_extractions_and_trackers_are_what_the_stages_run():
    from codegen_study.core.tracking import check_backend
    from codegen_study.scoring.extract import extract_code
    from codegen_study.scoring.profiles import PROFILES

    assert tuple(PROFILES) == v.GRADERS
    assert {p.extraction for p in PROFILES.values()} <= set(v.EXTRACTIONS)
    for extraction in v.EXTRACTIONS:
        assert extract_code("```python\nprint(1)\n```", extraction) == "print(1)"
    check_backend("none")
    with pytest.raises(UserError, match="choose from none, tensorboard, trackio"):
        check_backend("wandb")


def test_held_out_groups_are_the_assignments_and_the_reports():
    from analysis.design import GROUP_ORDER, GROUP_RENAMES
    from codegen_study.synth.assignment import Assignment

    fields = {f.name for f in dataclasses.fields(Assignment)}
    assert set(v.HELDOUT_GROUPS) <= fields
    assert tuple(g for g in GROUP_ORDER if g not in GROUP_RENAMES) == v.HELDOUT_GROUPS
    assert set(GROUP_RENAMES.values()) <= set(v.HELDOUT_GROUPS)


def test_prompt_styles_and_formats_are_what_prompts_build():
    from analysis.design import PROMPTS
    from codegen_study.tasks.prompts import prompt_text

    assert PROMPTS == v.PROMPT_STYLES
    with pytest.raises(ValueError, match="chat or seed"):
        prompt_text(None, "question", prompt_format="plain")
