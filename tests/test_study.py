"""The whole study in one command, on a tiny random model on CPU: stores, scores, costs, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from tiny_lm import make_rows, save_tiny, write_rows  # noqa: E402

from codegen_study.cli import main  # noqa: E402
from codegen_study.core.errors import UserError  # noqa: E402
from codegen_study.store import Store  # noqa: E402

TINY_LCB = Path(__file__).parent / "fixtures" / "gen_tiny_lcb.jsonl"
TRAIN = ('[train]\nmicro_batch_size = 2\ngrad_accumulation = 1\nautocast = "none"\nlogging_every = 1\n'
         'learning_rate = 5e-3\neval_every = 2\nsave_every = 2\nlora_dropout = 0.0\nlora_r = 4\nlora_alpha = 8\n'
         'max_steps = 4\ngradient_checkpointing = false\nearly_stopping_patience = 0\n')


def eval_table(**extra) -> str:
    keys = {"benchmarks": '["tiny"]', "sources": f'{{ tiny = "{TINY_LCB}" }}', "prompts": '["train", "lcb"]',
            "sample_prompts": '["train"]', "sample_checkpoints": '["base", "final"]', "n_samples": 2,
            "max_new_tokens": 4, "batch_size": 8, "workers": 2, "intermediate_prompts": '["train"]', **extra}
    return "[eval]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())


def make_study(tmp_path):
    model = save_tiny(tmp_path / "model")
    head = f'[model]\nname_or_path = "{model}"\nprecision = "fp32"\n'
    arms = []
    for name in ("wide", "narrow"):
        rows = write_rows(tmp_path / f"{name}.jsonl", make_rows(n_problems=6, per_problem=2))
        path = tmp_path / f"{name}.toml"
        path.write_text(f'[run]\nname = "{name}"\noutput_dir = "{tmp_path}/runs/{name}"\n{head}'
                        f'[data]\npath = "{rows}"\nmax_length = 128\n{TRAIN}{eval_table()}')
        arms.append(str(path))
    control = tmp_path / "base.toml"
    control.write_text(f'[run]\nname = "base"\n{head}{eval_table()}')
    config = tmp_path / "study.toml"
    config.write_text(f'# codegen-study study --config study.toml\n[study]\narms = {json.dumps(arms)}\n'
                      f'seeds = [1, 2]\ncontrols = ["{control}"]\nout = "{tmp_path}/stores"\n')
    return {"root": tmp_path, "config": config, "arms": arms}


@pytest.fixture
def study(tmp_path):
    return make_study(tmp_path)


@pytest.mark.slow
def test_one_command_trains_generates_scores_and_counts_its_costs(study):
    root = study["root"]
    log = root / "results" / "study.log"
    assert main(["study", "--config", str(study["config"]), "--log", str(log)]) == 0
    stores = root / "stores"
    labels = sorted(p.name for p in stores.iterdir() if p.is_dir())
    assert labels == ["base", "narrow-s1", "narrow-s2", "wide-s1", "wide-s2"]
    for label in labels:
        rows = list(Store(stores / label).iter_rows("completions"))
        assert {r["model"] for r in rows} == {label}
        final = max(r["step"] for r in rows)
        # the final state: both prompt styles greedy, and n = 2 samples under the training prompt
        got = {(r["prompt"], r["decoding"]) for r in rows if r["step"] == final}
        assert got == {("train", "greedy"), ("lcb", "greedy"), ("train", "sampling")}
        scored = {r["run_id"] for r in Store(stores / label).iter_rows("samples")}
        assert scored, f"{label}: nothing scored"
        if label != "base":
            assert (stores / label / "training.json").exists() and (stores / label / "losses.jsonl").exists()
            assert "scoring" in json.loads((stores / label / "env.json").read_text())
    costs = json.loads((stores / "study-costs.json").read_text())
    stages = {"synth", "train", "generate-final", "generate-checkpoints", "generate-sampled", "score", "records"}
    assert stages <= set(costs["stages"])
    assert costs["gpu_seconds_total"] == pytest.approx(sum(s["seconds"] for s in costs["stages"].values() if s["gpu"]))
    # the log holds the command, every stage's header and its subprocesses' output, and the cost table;
    # the cost summary is written beside it
    text = log.read_text()
    assert text.startswith("$ codegen-study study --config") and "--log" in text.splitlines()[0]
    assert all(f"== {stage}" in text for stage in stages - {"score-greedy (beside sampling)"})
    assert "cohort: 4 runs" in text and "GPU stages in all" in text and "\r" not in text
    assert json.loads(log.with_suffix(".json").read_text()) == costs

    # rerun after a kill that lost the last completions of one store: only those are made again
    path = Store(stores / "wide-s1").path("completions")
    before = path.read_text().splitlines(keepends=True)
    path.write_text("".join(before[:-2]))
    assert main(["study", "--config", str(study["config"])]) == 0
    after = path.read_text().splitlines(keepends=True)
    assert len(after) == len(before) and after[:-2] == before[:-2]
    again = json.loads((stores / "study-costs.json").read_text())
    assert again["stages"]["train"]["attempts"] == 2  # both invocations counted


def test_arms_must_share_the_evaluation_and_the_base_model(study):
    other = Path(study["arms"][1])
    other.write_text(other.read_text().replace("max_new_tokens = 4", "max_new_tokens = 5"))
    with pytest.raises(UserError, match="differs"):
        from codegen_study.core.config import load_section
        from codegen_study.study import StudyConfig, make_plan

        make_plan(load_section(study["config"], "study", StudyConfig), need_checkpoints=False)


def test_set_overrides_the_study_table_and_reaches_every_stage_process(study, monkeypatch, capsys):
    from codegen_study import study as stage
    from codegen_study.cli import build_parser

    seen = []
    monkeypatch.setattr(stage, "run_stage", lambda config, s, name, log, **kw: seen.append((name, s)))
    out = study["root"] / "elsewhere"
    assert main(["study", "--config", str(study["config"]), "--set", "study.seeds=[4]", "--set", f"study.out='{out}'",
                 "--only", "score"]) == 0
    assert [(name, s.seeds, s.out) for name, s in seen] == [("score", (4,), str(out))]
    args = build_parser("study").parse_args(["study", "--config", "s.toml", "--set", "study.seeds=[4]",
                                             "--only", "generate"])
    assert stage._argv(args) == ["study", "--config", "s.toml", "--set=study.seeds=[4]", "--only", "generate",
                                 "--part", "all"]
    assert main(["study", "--config", str(study["config"]), "--set", "study.seed=4", "--only", "score"]) == 2
    assert "unknown key 'seed'" in capsys.readouterr().err


@pytest.mark.slow
def test_two_ranks_split_generation_and_write_what_one_process_writes(study):
    """Under `gpus = 2` each stage that uses a device runs one process per device (torchrun; on CPU
    here): the trainings split by run, the completions by engine call, into the same stores."""
    root, config = study["root"], study["config"]
    assert main(["study", "--config", str(config), "--only", "train"]) == 0
    assert main(["study", "--config", str(config), "--only", "generate", "--part", "greedy"]) == 0
    two = root / "study2.toml"
    two.write_text(config.read_text().replace('/stores"', '/stores2"') + "gpus = 2\n")
    assert main(["study", "--config", str(two), "--only", "generate", "--part", "greedy"]) == 0

    def greedy(folder):
        return {(r["model"], r["step"], r["prompt"], r["question_id"]): r["completion"]
                for d in sorted(folder.iterdir()) if d.is_dir()
                for r in Store(d).iter_rows("completions") if r["decoding"] == "greedy"}

    one, split = greedy(root / "stores"), greedy(root / "stores2")
    assert one and split == one
    assert json.loads((root / "stores2" / "base" / "env.json").read_text())["generation"]["world_size"] == 2


def test_the_train_stage_resumes_runs_a_time_limit_stopped(study, monkeypatch):
    from codegen_study import study as stage
    from codegen_study.core.config import load_section

    cfg = load_section(study["config"], "study", stage.StudyConfig)
    calls = []
    monkeypatch.setattr(stage, "_cli", lambda args, gpus=1: calls.append(args))
    folders = [stage.run_folder(c, s) for c in cfg.arms for s in cfg.seeds]
    for folder, reason in zip(folders, ["early_stopping", "epochs", "max_steps", "time_limit"]):
        folder.mkdir(parents=True)
        (folder / "training.json").write_text(json.dumps({"stop_reason": reason}))
    stage.stage_train(cfg, log=lambda *_: None)
    assert len(calls) == 1 and calls[0][0] == "train"  # the time-limited run is not finished
    (folders[-1] / "training.json").write_text(json.dumps({"stop_reason": "early_stopping"}))
    stage.stage_train(cfg, log=lambda *_: None)
    assert len(calls) == 1


def test_a_study_wide_step_cap_and_time_limit_reach_the_train_command(study, monkeypatch, capsys):
    from codegen_study import study as stage
    from codegen_study.core.config import load_section

    calls = []
    monkeypatch.setattr(stage, "_cli", lambda args, gpus=1: calls.append(args))
    cfg = load_section(study["config"], "study", stage.StudyConfig, {"max_steps": 250, "time_limit": 600})
    stage.stage_train(cfg, log=lambda *_: None)
    assert calls[0][-4:] == ["--max-steps", "250", "--time-limit", "600"]
    stage.stage_train(load_section(study["config"], "study", stage.StudyConfig), log=lambda *_: None)
    assert "--max-steps" not in calls[1] and "--time-limit" not in calls[1]  # each run's own [train] budget
    assert main(["study", "--config", str(study["config"]), "--set", "study.max_steps=0", "--only", "train"]) == 2
    assert "max_steps must be at least 1" in capsys.readouterr().err
