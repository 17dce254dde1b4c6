"""train: LoRA learns, checkpointing trains adapters, resume is exact (old state files too), NaN stops,
the environment record, CLI contract."""

from __future__ import annotations

import json
import os

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from tiny_lm import make_model, make_rows, make_tokenizer, save_tiny, write_rows  # noqa: E402

from codegen_study.core.distributed import Dist  # noqa: E402
from codegen_study.core.errors import UserError  # noqa: E402
from codegen_study.training import train as train_mod  # noqa: E402
from codegen_study.training.lora import prepare_for_training  # noqa: E402
from codegen_study.training.train import train  # noqa: E402
from codegen_study.training.train_config import TrainConfig, load_configs  # noqa: E402
from codegen_study.training.train_state import TrainState  # noqa: E402
from codegen_study.training.train_step import lr_factor  # noqa: E402
from codegen_study.training.training_data import DataConfig, collate, encode_example  # noqa: E402


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("tiny") / "model")


def write_config(tmp_path, tiny_dir, **train_keys) -> os.PathLike:
    rows = write_rows(tmp_path / "rows.jsonl", make_rows(n_problems=6, per_problem=3))
    keys = {"micro_batch_size": 2, "grad_accumulation": 2, "autocast": '"none"', "logging_every": 1,
            "learning_rate": 5e-3, "eval_every": 2, "save_every": 100, **train_keys}
    text = (f'# codegen-study train --config {tmp_path}/c.toml\n[run]\nname = "tiny"\noutput_dir = "{tmp_path}/out"\n'
            f'seed = 3\n[model]\nname_or_path = "{tiny_dir}"\nprecision = "fp32"\n'
            f'[data]\npath = "{rows}"\nmax_length = 128\n[train]\n'
            + "".join(f"{k} = {v}\n" for k, v in keys.items()) + '[eval]\nbenchmarks = ["x"]\n')
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


def _batch(tok):
    cfg = DataConfig(path="x.jsonl", max_length=128)
    return collate([encode_example(tok, r, cfg) for r in make_rows(2, 1)], tok.pad_token_id)


def _train_steps(model, batch, n, lr=1e-2):
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    losses = []
    model.train()
    for _ in range(n):
        loss = model(**batch).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(float(loss.detach()))
    return losses


@pytest.mark.slow
def test_lora_loss_falls_on_a_repeated_batch():
    tok = make_tokenizer()
    model = prepare_for_training(make_model(tok), TrainConfig(gradient_checkpointing=False, lora_dropout=0.0))
    losses = _train_steps(model, _batch(tok), 10, lr=3e-3)
    assert losses[-1] < losses[0] - 0.5


@pytest.mark.parametrize("checkpointing", [True, False])
def test_gradient_checkpointing_trains_lora_b_with_the_same_gradients(checkpointing):
    tok = make_tokenizer()
    model = prepare_for_training(make_model(tok), TrainConfig(gradient_checkpointing=checkpointing, lora_dropout=0.0))
    assert model.base_model.model.is_gradient_checkpointing == checkpointing
    b_names = [n for n, p in model.named_parameters() if "lora_B" in n]
    assert len(b_names) == 2 * 7  # 2 layers x q/k/v/o/gate/up/down
    before = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_B" in n}
    assert all(float(v.abs().sum()) == 0 for v in before.values())
    _train_steps(model, _batch(tok), 1)
    after = dict(model.named_parameters())
    assert all(float(after[n].abs().sum()) > 0 for n in b_names)
    # both settings compute the same update: checkpointing only recomputes activations
    key = "checkpointing_reference"
    ref = test_gradient_checkpointing_trains_lora_b_with_the_same_gradients.__dict__.setdefault(key, {})
    ref[checkpointing] = {n: after[n].detach().clone() for n in b_names}
    if len(ref) == 2:
        for n in b_names:
            torch.testing.assert_close(ref[True][n], ref[False][n], atol=1e-6, rtol=1e-5)


def test_lr_schedule_warms_up_then_decays_to_zero():
    assert [lr_factor(s, 10, 2, "linear") for s in (0, 1, 2, 6, 10)] == [0.0, 0.5, 1.0, 0.5, 0.0]
    assert lr_factor(5, 10, 0, "constant") == 1.0


def test_an_old_trainer_state_json_resumes_into_train_state(tmp_path):
    """trainer_state.json as `train` and a cohort wrote it before TrainState: found as the last
    complete checkpoint, read with every counter (missing fields at their defaults), written back
    byte for byte."""
    from codegen_study.training.checkpoints import latest_checkpoint, read_checkpoint

    old_train = {"step": 4, "best_val_loss": 1.25, "best_step": 2, "patience_count": 1, "seconds": 3.5,
                 "log_loss_sum": 0.75, "log_loss_count": 1, "finished": False, "stop_reason": None}
    old_cohort = {"step": 2, "best_val_loss": 1.5, "best_step": 2, "patience_count": 0, "seconds": 1.0,
                  "finished": True, "stop_reason": "max_steps", "lr": 0.005}
    for name, old in (("train", old_train), ("cohort", old_cohort)):
        run = tmp_path / name
        (run / "checkpoint-step-9").mkdir(parents=True)  # no trainer_state.json: never completed
        (run / ".checkpoint-step-8.tmp").mkdir()  # a save killed midway
        ck = run / f"checkpoint-step-{old['step']}"
        ck.mkdir()
        text = json.dumps(old, indent=2) + "\n"
        (ck / "trainer_state.json").write_text(text)
        torch.save({"optimizer": {"state": {}, "param_groups": []}}, ck / "trainer_state.pt")
        assert latest_checkpoint(run) == ck
        state, blob = read_checkpoint(ck, "cpu")
        assert isinstance(state, TrainState) and blob["optimizer"]["state"] == {}
        assert (state.step, state.best_val_loss, state.best_step, state.patience_count, state.seconds) == (
            old["step"], old["best_val_loss"], old["best_step"], old["patience_count"], old["seconds"])
        assert (state.finished, state.stop_reason) == (old["finished"], old["stop_reason"])
        written = state.to_json(window="log_loss_sum" in old)
        assert json.dumps(written, indent=2) + "\n" == text
    train_state, _ = read_checkpoint(tmp_path / "train" / "checkpoint-step-4", "cpu")
    assert (train_state.log_loss_sum, train_state.log_loss_count, train_state.lr) == (0.75, 1, None)
    assert not train_state.is_complete(total=6) and train_state.is_complete(total=4)
    cohort_state, _ = read_checkpoint(tmp_path / "cohort" / "checkpoint-step-2", "cpu")
    assert (cohort_state.log_loss_sum, cohort_state.log_loss_count, cohort_state.lr) == (0.0, 0, 0.005)
    cohort_state.resume()  # more steps allowed now: the run goes on
    assert (cohort_state.finished, cohort_state.stop_reason) == (False, None)
    assert TrainState.from_json({"step": 3, "unknown": 1}) == TrainState(step=3)


def test_train_state_judges_validation_losses():
    state = TrainState(step=1)
    for step, val in ((1, 2.0), (2, 1.5), (3, 1.6), (4, 1.5)):
        state.step = step
        state.judge(val, patience=2)
    assert (state.best_val_loss, state.best_step, state.patience_count) == (1.5, 2, 2)
    assert state.finished and state.stop_reason == "early_stopping"
    never = TrainState()
    for step in range(1, 6):
        never.step = step
        never.judge(1.0, patience=0)  # 0: no early stopping
    assert not never.finished and never.best_step == 1
    # a loss that still falls, but by less than min_delta, counts as no improvement
    crumbs = TrainState()
    for step, val in ((1, 0.0200), (2, 0.0171), (3, 0.0165), (4, 0.0163)):
        crumbs.step = step
        crumbs.judge(val, patience=2, min_delta=0.001)
    assert crumbs.stop_reason == "early_stopping" and crumbs.best_step == 2
    plain = TrainState()
    for step, val in ((1, 0.0200), (2, 0.0171), (3, 0.0165), (4, 0.0163)):
        plain.step = step
        plain.judge(val, patience=2)
    assert not plain.finished and plain.best_step == 4


def test_env_json_keeps_one_record_per_stage_and_reads_the_older_flat_shape(tmp_path):
    from codegen_study.core.provenance import stage_record, write_environment

    flat = {"python": "3.12.3", "platform": "Linux", "packages": {"torch": "2.11.0"}, "device": "cuda",
            "gpu": "NVIDIA H200", "cuda": "13.0", "world_size": 1, "created": "2026-11-28T08:34:18+0000"}
    assert stage_record(flat, "training") == flat and stage_record(flat, "generation") is None
    (tmp_path / "env.json").write_text(json.dumps(flat))
    write_environment(tmp_path, "generation", {"device": "cuda:0", "dtype": "torch.bfloat16"})
    env = json.loads((tmp_path / "env.json").read_text())
    assert env["training"] == flat and env["generation"]["device"] == "cuda:0"
    write_environment(tmp_path, "training", {"device": "cpu", "world_size": 1})  # a resumed run: its own record
    env = json.loads((tmp_path / "env.json").read_text())
    assert set(env) == {"training", "generation"} and env["training"]["device"] == "cpu"
    for record in env.values():
        assert {"python", "platform", "packages", "git_commit", "argv", "created"} <= set(record)
        assert record["packages"]["torch"]
        assert stage_record(env, "generation") == env["generation"]
    with pytest.raises(ValueError, match="stage"):
        write_environment(tmp_path, "report", {})


def _losses(out):
    return [json.loads(line) for line in (out / "losses.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_cli_writes_checkpoints_losses_config_and_env(tmp_path, tiny_dir):
    import argparse

    from codegen_study.training import cli as train_cli

    # what `codegen-study train ...` dispatches to (cli.main -> train_cli.add_arguments / train_cli.run)
    parser = argparse.ArgumentParser()
    train_cli.add_arguments(parser)
    cfg = write_config(tmp_path, tiny_dir)
    out = tmp_path / "cli-out"
    args = parser.parse_args(["--config", str(cfg), "--max-steps", "4", "--eval-every", "2", "--output-dir", str(out)])
    assert train_cli.run(args) == 0
    for step in (2, 4):
        ck = out / f"checkpoint-step-{step}"
        assert (ck / "adapter_model.safetensors").exists() and (ck / "adapter_config.json").exists()
        state = json.loads((ck / "trainer_state.json").read_text())
        assert state["step"] == step and "best_val_loss" in state and "patience_count" in state
        assert (ck / "trainer_state.pt").exists()
    rows = _losses(out)
    assert [(r["step"], r["split"]) for r in rows if r["split"] == "valid"] == [(2, "valid"), (4, "valid")]
    assert [r["step"] for r in rows if r["split"] == "train"] == [1, 2, 3, 4]
    assert all(r["model"] == "tiny-s3" and r["loss"] > 0 for r in rows)
    resolved = load_configs(out / "config.toml")
    assert resolved["train"].max_steps == 4 and resolved["run"].output_dir == str(out)
    assert resolved["eval"] == {"benchmarks": ["x"]}
    env = json.loads((out / "env.json").read_text())["training"]
    assert env["packages"]["torch"] and env["device"] == "cpu"
    assert not list(out.glob(".*tmp"))


@pytest.mark.slow
def test_resume_after_a_kill_continues_exactly(tmp_path, tiny_dir, monkeypatch):
    cfg = write_config(tmp_path, tiny_dir, max_steps=4, eval_every=2, lora_dropout=0.1)
    full = train(cfg, overrides={"run": {"output_dir": str(tmp_path / "full")}})

    real_step = train_mod.optimizer_step
    calls = {"n": 0}

    def dying_step(*args, **kwargs):  # the process "dies" in the 4th optimizer step
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(train_mod, "optimizer_step", dying_step)
    killed = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        train(cfg, overrides={"run": {"output_dir": str(killed)}})
    assert sorted(p.name for p in killed.glob("checkpoint-step-*")) == ["checkpoint-step-2"]
    assert [r["step"] for r in _losses(killed) if r["split"] == "train"] == [1, 2, 3]  # step 3 logged, not saved
    monkeypatch.setattr(train_mod, "optimizer_step", real_step)
    calls["n"] = 0
    train(cfg, overrides={"run": {"output_dir": str(killed)}})

    rows = _losses(killed)
    keys = [(r["step"], r["split"]) for r in rows]
    assert len(keys) == len(set(keys))  # nothing logged twice
    assert [r["step"] for r in rows if r["split"] == "train"] == [1, 2, 3, 4]
    want = {(r["step"], r["split"]): r["loss"] for r in _losses(full)}
    for r in rows:  # same batches, same dropout masks, same optimizer state => same losses
        assert r["loss"] == pytest.approx(want[(r["step"], r["split"])], rel=1e-5)
    from safetensors.torch import load_file

    a = load_file(str(full / "checkpoint-step-4" / "adapter_model.safetensors"))
    b = load_file(str(killed / "checkpoint-step-4" / "adapter_model.safetensors"))
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-6, rtol=1e-5)
    # a finished run is not trained again
    train(cfg, overrides={"run": {"output_dir": str(killed)}})
    assert len(_losses(killed)) == len(rows)


@pytest.mark.slow
def test_early_stopping_stops_after_patience(tmp_path, tiny_dir):
    cfg = write_config(tmp_path, tiny_dir, max_steps=20, eval_every=1, learning_rate=0.0,
                       early_stopping_patience=2, warmup_ratio=0.0)
    out = train(cfg)
    summary = json.loads((out / "training.json").read_text())
    assert summary["stop_reason"] == "early_stopping" and summary["step"] == 3 and summary["best_step"] == 1


def with_shared_valid(cfg, tmp_path):
    """`cfg` with `[data] shared_valid` set to a file of other problems (splits of every kind: all rows count)."""
    rows = [{**r, "input": r["input"].replace("Problem", "Task")} for r in make_rows(n_problems=4, per_problem=1)]
    shared = write_rows(tmp_path / "shared.jsonl", rows)
    cfg.write_text(cfg.read_text().replace("max_length = 128\n", f'max_length = 128\nshared_valid = "{shared}"\n'))
    return cfg


@pytest.mark.slow
def test_shared_validation_loss_is_recorded_and_never_judged(tmp_path, tiny_dir, monkeypatch):
    """Each evaluation stores the shared file's loss as split valid_shared; made to fall at every
    evaluation, it still does not delay early stopping on the run's own flat validation loss."""
    cfg = with_shared_valid(write_config(tmp_path, tiny_dir, max_steps=20, eval_every=1, learning_rate=0.0,
                                         early_stopping_patience=2, warmup_ratio=0.0), tmp_path)
    real, calls = train_mod.evaluate_loss, []

    def falling_shared(model, batches, *args, **kwargs):
        calls.append(batches)
        value = real(model, batches, *args, **kwargs)
        return value - len(calls) if len(calls) % 2 == 0 else value  # every second call: the shared set

    monkeypatch.setattr(train_mod, "evaluate_loss", falling_shared)
    out = train(cfg)
    summary = json.loads((out / "training.json").read_text())
    assert summary["stop_reason"] == "early_stopping" and summary["step"] == 3 and summary["best_step"] == 1
    assert summary["data"]["valid_shared"]["rows"] == 4
    rows = _losses(out)
    shared = [(r["step"], r["loss"]) for r in rows if r["split"] == "valid_shared"]
    valid = [r["loss"] for r in rows if r["split"] == "valid"]
    assert [s for s, _ in shared] == [1, 2, 3] and shared[0][1] > shared[1][1] > shared[2][1]
    assert len(set(valid)) == 1 and shared[0][1] != valid[0]
    assert calls[1] is not calls[0] and sum(len(b["input_ids"]) for b in calls[1]) == 4  # four shared rows


@pytest.mark.slow
def test_a_cpu_validates_on_the_first_rows_of_both_validation_sets(tmp_path, tiny_dir, monkeypatch):
    """`train.cpu_valid_rows` bounds the run's own validation rows and the shared file's alike: on
    a CPU a full shared set (hundreds of rows) at every evaluation would cost more than the steps."""
    cfg = with_shared_valid(write_config(tmp_path, tiny_dir, max_steps=1, eval_every=1, cpu_valid_rows=2), tmp_path)
    real, rows_seen = train_mod.evaluate_loss, []

    def counting(model, batches, *args, **kwargs):
        rows_seen.append(sum(len(b["input_ids"]) for b in batches))
        return real(model, batches, *args, **kwargs)

    monkeypatch.setattr(train_mod, "evaluate_loss", counting)
    train(cfg)
    assert rows_seen and max(rows_seen) <= 2 and len(rows_seen) == 2  # valid, then valid_shared, both capped


def test_nan_loss_stops_with_a_clear_message(tmp_path, tiny_dir, monkeypatch):
    cfg = write_config(tmp_path, tiny_dir, max_steps=4)
    real_prepare = train_mod.prepare_for_training

    def poisoned(model, tcfg):
        with torch.no_grad():
            model.model.norm.weight.fill_(float("nan"))
        return real_prepare(model, tcfg)

    monkeypatch.setattr(train_mod, "prepare_for_training", poisoned)
    with pytest.raises(UserError, match=r"step 1: training loss is nan"):
        train(cfg)


@pytest.mark.slow
def test_packing_and_gloo_ddp_with_world_size_one(tmp_path, tiny_dir, monkeypatch):
    import torch.distributed as dist

    cfg = write_config(tmp_path, tiny_dir, max_steps=2)
    monkeypatch.setenv("WORLD_SIZE", "1")
    for k, v in {"RANK": "0", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29517"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(train_mod, "setup_distributed", lambda device: _gloo())
    try:
        out = train(cfg, overrides={"data": {"packing": True, "max_length": 512}})
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    summary = json.loads((out / "training.json").read_text())
    assert summary["data"]["train_sequences"] < summary["data"]["train"]["rows"]  # rows were packed
    assert summary["step"] == 2 and (out / "checkpoint-step-2").exists()


def _gloo():
    import torch.distributed as dist

    dist.init_process_group("gloo", rank=0, world_size=1)
    return Dist(rank=0, world=1, device="cpu", distributed=True)


@pytest.mark.slow
def test_tensorboard_tracker_gets_the_stored_losses(tmp_path, tiny_dir):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    cfg = write_config(tmp_path, tiny_dir, max_steps=3, eval_every=2, report_to='"tensorboard"')
    out = train(cfg)
    events = EventAccumulator(str(out / "tensorboard"))
    events.Reload()
    stored = {(r["split"], r["step"]): r["loss"] for r in _losses(out)}
    logged = {(tag.split("/")[0], e.step): e.value for tag in ("train/loss", "valid/loss")
              for e in events.Scalars(tag)}
    assert sorted(logged) == sorted(stored) == [("train", 1), ("train", 2), ("train", 3), ("valid", 2), ("valid", 3)]
    for key, loss in stored.items():
        assert logged[key] == pytest.approx(loss, rel=1e-6)  # event files hold float32
    assert [e.step for e in events.Scalars("train/learning_rate")] == [1, 2, 3]


def test_missing_tracker_package_is_a_clear_error_before_training(tmp_path, tiny_dir, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "trackio" else real(name, *a))
    cfg = write_config(tmp_path, tiny_dir, max_steps=2, report_to='"trackio"')
    with pytest.raises(UserError, match=r"report_to = 'trackio' needs the trackio package: .*codegen-study\[trackio\]"):
        train(cfg)
    assert not (tmp_path / "out").exists()
    with pytest.raises(UserError, match="report_to"):
        train(write_config(tmp_path, tiny_dir, report_to='"wandb"'))


@pytest.mark.slow
def test_a_time_limit_stops_evaluated_and_saved_then_resumes(tmp_path, tiny_dir):
    """Past `time_limit` the run is evaluated and saved at the step it reached and ends as
    "time_limit"; without the limit the same command resumes it to its schedule's end."""
    cfg = write_config(tmp_path, tiny_dir, max_steps=6, eval_every=4, time_limit=1e-9, early_stopping_patience=0)
    out = train(cfg)
    summary = json.loads((out / "training.json").read_text())
    assert summary["stop_reason"] == "time_limit" and summary["step"] == 1 and summary["best_step"] == 1
    assert (out / "checkpoint-step-1").is_dir()
    assert {(r["step"], r["split"]) for r in _losses_rows(out)} == {(1, "train"), (1, "valid")}
    cfg.write_text(cfg.read_text().replace("time_limit = 1e-09\n", ""))
    train(cfg)
    summary = json.loads((out / "training.json").read_text())
    assert summary["stop_reason"] == "max_steps" and summary["step"] == 6


def _losses_rows(out):
    from codegen_study.store import Store

    return list(Store(out).iter_rows("losses"))
