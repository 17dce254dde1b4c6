"""Benchmark kinds: each kind's loader, wording, graders and harness in one place, and every stage
that used to test a benchmark's name asks the kind instead."""

import re
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from codegen_study.core.errors import UserError
from codegen_study.core.vocabulary import EXTRACTIONS, GRADERS
from codegen_study.tasks import humaneval, livecodebench
from codegen_study.tasks.benchmark_kind import FUNCTION, PROGRAM
from codegen_study.tasks.sources import (
    DEFAULT_SOURCES,
    KINDS,
    kind_of,
    kind_of_grader,
    kind_of_spec,
    load_benchmark,
    load_problems,
)

LCB, HE = livecodebench.KIND, humaneval.KIND
MINI = FIXTURES / "lcb_mini.jsonl"


def test_every_kind_names_known_graders_and_one_harness():
    assert KINDS == (LCB, HE)
    for kind in KINDS:
        assert kind.graders and all(g in GRADERS and e in EXTRACTIONS for g, e in kind.graders)
        assert kind.primary in kind.graders and kind.default_grader in kind.grader_names
        assert kind.harness in (PROGRAM, FUNCTION)
    # each grader scores one kind only: the grader tells a program from a function completion
    assert sorted(g for kind in KINDS for g in kind.grader_names) == sorted(GRADERS)
    assert (LCB.harness, HE.harness) == (PROGRAM, FUNCTION)
    assert "BenchmarkKind('humaneval')" in repr(HE)


def test_specs_and_problems_have_one_kind():
    assert kind_of_spec("humaneval") is HE and kind_of_spec("HumanEval") is HE
    assert kind_of_spec(MINI) is LCB and kind_of_spec(DEFAULT_SOURCES["lcb41"]) is LCB
    assert {kind_of_spec(spec).name for spec in DEFAULT_SOURCES.values()} == {"livecodebench", "humaneval"}
    assert {kind_of(p) for p in load_benchmark("humaneval")} == {HE}
    assert {kind_of(p) for p in load_benchmark(MINI)} == {LCB}
    assert kind_of_grader("humaneval") is HE and kind_of_grader("lcb") is LCB and kind_of_grader("x") is None


def test_loading_goes_through_the_kind():
    assert [p.id for p in load_problems(str(MINI), 2)] == ["mini_double", "mini_add"]
    assert load_problems("humaneval", 1)[0].id == "HumanEval/0"
    with pytest.raises(UserError, match="humaneval takes no filters"):
        load_benchmark("humaneval", platform="atcoder")
    with pytest.raises(UserError, match="no such file"):
        load_problems(str(MINI) + ".missing")


def test_prompts_ask_the_kind_for_the_user_message():
    from codegen_study.tasks.prompts import user_message

    he, lcb = load_benchmark("humaneval")[0], load_benchmark(MINI)[0]
    for style in ("train", "lcb"):
        assert user_message(he, style) == HE.user_message(he, style)
        assert user_message(lcb, style) == LCB.user_message(lcb, style)
    assert user_message(he, "lcb").startswith(humaneval.INSTRUCTION)
    assert user_message(lcb, "lcb").endswith(livecodebench.STDIN_INSTRUCTION)
    with pytest.raises(ValueError, match="unknown prompt style"):
        LCB.user_message(lcb, "chatty")


def test_evaluate_scores_each_benchmark_under_its_kinds_graders():
    from codegen_study.evaluation.generate import EvalConfig

    cfg = EvalConfig()
    assert cfg.benchmarks == tuple(DEFAULT_SOURCES)
    for kind in KINDS:
        assert cfg.grader_pairs("any", kind) == list(kind.graders)
    assert EvalConfig(graders={"b": "lcb/seed"}).grader_pairs("b", HE) == [("lcb", "seed")]


def test_score_defaults_to_and_checks_the_kinds_grader(tmp_path):
    from codegen_study.scoring.profiles import check_grader, get_profile

    for kind in KINDS:
        for grader in GRADERS:
            if grader in kind.grader_names:
                check_grader(kind, get_profile(grader), "b")
            else:
                with pytest.raises(UserError, match=f"{kind.title} problems need --grader"):
                    check_grader(kind, get_profile(grader), "b")
    with pytest.raises(UserError, match="grader 'humaneval' scores HumanEval problems"):
        check_grader(LCB, get_profile("humaneval"), "b")


def test_harness_and_export_layout_follow_the_kind():
    from codegen_study.scoring.formats import evalplus_row
    from codegen_study.scoring.harnesses import plan_tests

    he, lcb = load_benchmark("humaneval")[0], load_benchmark(MINI)[0]
    assert {t.mode for t in plan_tests(he, "return 1", list(enumerate(he.tests)), "seed", "")} == {"humaneval"}
    assert {t.mode for t in plan_tests(lcb, "print(1)", list(enumerate(lcb.tests)), "lcb", "")} == {"lcb"}
    assert "completion" in evalplus_row(he.id, "    return 1", he)
    assert "solution" in evalplus_row(lcb.id, "print(1)", lcb)


def test_export_takes_the_primary_extraction_of_the_recorded_sources_kind(tmp_path):
    from codegen_study.scoring.export import recorded_source

    (tmp_path / "config.toml").write_text('[eval]\nsources = { mine = "humaneval" }\n')
    assert kind_of_spec(recorded_source(tmp_path, "mine")).primary[1] == "seed"
    assert kind_of_spec(recorded_source(tmp_path, "heldout")).primary[1] == "lcb"


def test_the_report_headlines_each_kinds_primary_measure():
    from analysis.scores import BENCHMARK_ORDER, EXTRACTION_PREFERENCE, GRADER_PREFERENCE

    assert GRADER_PREFERENCE == ("lcb", "humaneval", "seed")
    assert EXTRACTION_PREFERENCE == ("lcb", "seed")
    assert BENCHMARK_ORDER == tuple(DEFAULT_SOURCES)


def test_no_stage_tests_a_benchmark_by_its_name():
    """Only the kinds' modules and `sources` know a benchmark's name; the others ask its kind."""
    pattern = re.compile(r"""(\.kind|\.lower\(\)|bench|spec)\s*[!=]=\s*["']humaneval["']""")
    found = [f"{path.relative_to(ROOT)}:{n}" for folder in ("codegen_study", "analysis")
             for path in sorted((ROOT / folder).rglob("*.py"))
             for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1)
             if pattern.search(line)]
    assert not found, found
