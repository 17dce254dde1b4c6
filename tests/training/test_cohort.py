"""cohort: runs trained together optimise what they would alone, save PEFT adapters, resume."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from tiny_lm import make_rows, save_tiny, write_rows  # noqa: E402

from codegen_study.cli import main  # noqa: E402
from codegen_study.core.errors import UserError  # noqa: E402
from codegen_study.store import Store  # noqa: E402
from codegen_study.training import cohort  # noqa: E402
from codegen_study.training.train import train  # noqa: E402

TRAIN_KEYS = {"micro_batch_size": 2, "grad_accumulation": 2, "autocast": '"none"', "logging_every": 1,
              "learning_rate": 5e-3, "eval_every": 2, "save_every": 100, "lora_dropout": 0.0, "lora_r": 4,
              "lora_alpha": 8, "max_steps": 4, "gradient_checkpointing": "false", "early_stopping_patience": 0}


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("tiny") / "model")


def write_config(folder, tiny_dir, name: str, n_problems: int = 6, packing: bool = False, **train_keys):
    folder.mkdir(parents=True, exist_ok=True)
    rows = write_rows(folder / f"{name}.jsonl", make_rows(n_problems=n_problems, per_problem=3))
    keys = {**TRAIN_KEYS, **train_keys}
    text = (f'[run]\nname = "{name}"\noutput_dir = "{folder}/{name}"\nseed = 3\n'
            f'[model]\nname_or_path = "{tiny_dir}"\nprecision = "fp32"\n'
            f'[data]\npath = "{rows}"\nmax_length = 128\npacking = {str(packing).lower()}\n[train]\n'
            + "".join(f"{k} = {v}\n" for k, v in keys.items()))
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def losses(run_dir) -> dict[tuple[int, str], float]:
    return {(r["step"], r["split"]): r["loss"] for r in Store(run_dir).iter_rows("losses")}


def adapter(run_dir, step: int) -> dict:
    from safetensors.torch import load_file

    return load_file(str(run_dir / f"checkpoint-step-{step}" / "adapter_model.safetensors"))


def quiet(*_):
    pass


@pytest.mark.slow
def test_a_cohort_of_one_matches_training_alone(tmp_path, tiny_dir):
    config = write_config(tmp_path / "alone", tiny_dir, "deep")
    alone = train(config, overrides={"run": {"output_dir": str(tmp_path / "alone" / "deep-s5")}, "train": {"seed": 5}},
                  device="cpu")
    solo = tmp_path / "solo"
    cohort_cfg = write_config(solo, tiny_dir, "deep")
    cohort.train_cohort([str(cohort_cfg)], [5], device="cpu", log=quiet)
    a, b = losses(alone), losses(solo / "deep-s5")
    assert a.keys() == b.keys() and len(a) == 4 + 2
    for key in a:
        assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-5), key
    for name, tensor in adapter(alone, 4).items():
        assert torch.allclose(adapter(solo / "deep-s5", 4)[name], tensor, atol=1e-5), name


@pytest.mark.slow
def test_members_do_not_leak_into_each_other(tmp_path, tiny_dir):
    deep = write_config(tmp_path / "pair", tiny_dir, "deep")
    diverse = write_config(tmp_path / "pair", tiny_dir, "diverse", n_problems=9, packing=True)
    cohort.train_cohort([str(deep), str(diverse)], [1, 2], device="cpu", log=quiet)
    solo = write_config(tmp_path / "solo", tiny_dir, "diverse", n_problems=9, packing=True)
    cohort.train_cohort([str(solo)], [2], device="cpu", log=quiet)
    together, alone = losses(tmp_path / "pair" / "diverse-s2"), losses(tmp_path / "solo" / "diverse-s2")
    assert together.keys() == alone.keys()
    for key in alone:
        assert together[key] == pytest.approx(alone[key], rel=1e-4, abs=1e-5), key
    # different seeds: different initialisation and data order, so different runs
    assert losses(tmp_path / "pair" / "deep-s1") != losses(tmp_path / "pair" / "deep-s2")


@pytest.mark.slow
def test_checkpoints_are_peft_adapters_with_the_run_identity(tmp_path, tiny_dir):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from codegen_study.evaluation.targets import plan_targets, run_identity

    config = write_config(tmp_path, tiny_dir, "deep")
    cohort.train_cohort([str(config)], [7], device="cpu", log=quiet)
    run = tmp_path / "deep-s7"
    assert sorted(p.name for p in run.glob("checkpoint-step-*")) == ["checkpoint-step-2", "checkpoint-step-4"]
    assert run_identity(run, None) == ("deep", 7)
    base = AutoModelForCausalLM.from_pretrained(tiny_dir)
    model = PeftModel.from_pretrained(base, str(run / "checkpoint-step-4"))
    loaded = {k: v for k, v in model.state_dict().items() if "lora_" in k}
    saved = adapter(run, 4)
    assert len(loaded) == len(saved) > 0
    for name, tensor in saved.items():
        assert torch.equal(loaded[name.replace(".weight", ".default.weight")], tensor)
    ids = torch.tensor([[5, 6, 7, 8]])
    with model.disable_adapter():
        plain = model(ids).logits
    assert not torch.allclose(model(ids).logits, plain)  # the trained adapter changes the model
    summary = json.loads((run / "training.json").read_text())
    assert summary["step"] == 4 and summary["stop_reason"] == "max_steps"
    targets = plan_targets(type("C", (), {"sample_checkpoints": ("final",)})(), run, name=None)
    assert [(t.model, t.arm, t.train_seed) for t in targets][1:] == [("deep-s7", "deep", 7)] * 2


def train_killed_then_resumed(monkeypatch, configs: list[str], seeds: list[int], log, kill_at: int = 2) -> None:
    """Train a cohort that is killed right after saving step `kill_at`, then rerun it to the end."""
    real_save = cohort.save_member

    def save_then_die(m, layers, base):
        real_save(m, layers, base)
        if m.state.step == kill_at:
            raise KeyboardInterrupt

    monkeypatch.setattr(cohort, "save_member", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        cohort.train_cohort(configs, seeds, device="cpu", log=log)
    monkeypatch.setattr(cohort, "save_member", real_save)
    cohort.train_cohort(configs, seeds, device="cpu", log=log)


@pytest.mark.slow
def test_a_killed_cohort_resumes_to_the_same_adapters(tmp_path, tiny_dir, monkeypatch):
    config = write_config(tmp_path / "whole", tiny_dir, "deep", save_every=1)
    cohort.train_cohort([str(config)], [1], device="cpu", log=quiet)
    killed = write_config(tmp_path / "killed", tiny_dir, "deep", save_every=1)
    train_killed_then_resumed(monkeypatch, [str(killed)], [1], log=quiet)
    for name, tensor in adapter(tmp_path / "whole" / "deep-s1", 4).items():
        assert torch.allclose(adapter(tmp_path / "killed" / "deep-s1", 4)[name], tensor, atol=1e-6), name
    assert losses(tmp_path / "killed" / "deep-s1") == pytest.approx(losses(tmp_path / "whole" / "deep-s1"))


def test_cli_trains_one_run_per_config_and_seed(tmp_path, tiny_dir):
    deep = write_config(tmp_path, tiny_dir, "deep")
    diverse = write_config(tmp_path, tiny_dir, "diverse")
    assert main(["train", "--config", str(deep), "--config", str(diverse), "--seeds", "1,2", "--device", "cpu"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["deep-s1", "deep-s2", "diverse-s1",
                                                                        "diverse-s2"]


def test_a_cohort_needs_one_base_model(tmp_path, tiny_dir):
    deep = write_config(tmp_path, tiny_dir, "deep")
    other = tmp_path / "other.toml"
    other.write_text(deep.read_text().replace(f'name_or_path = "{tiny_dir}"', 'name_or_path = "elsewhere"')
                     .replace('name = "deep"', 'name = "other"').replace("/deep\"", "/other\""))
    with pytest.raises(UserError, match="a cohort shares one base model"):
        cohort.plan_members([str(deep), str(other)], [1], None)


@pytest.mark.slow
def test_seeds_of_one_corpus_encode_it_once(tmp_path, tiny_dir, monkeypatch):
    from codegen_study.training import training_data

    calls = []
    real = training_data.prepare_data

    def counting(tok, dcfg, *args, **kwargs):
        calls.append(dcfg.path)
        return real(tok, dcfg, *args, **kwargs)

    monkeypatch.setattr(training_data, "prepare_data", counting)
    deep = write_config(tmp_path / "c", tiny_dir, "deep", max_steps=1)
    diverse = write_config(tmp_path / "c", tiny_dir, "diverse", n_problems=9, max_steps=1)
    cohort.train_cohort([str(deep), str(diverse)], [1, 2, 3], device="cpu", log=quiet)
    assert sorted(calls) == sorted({str(tmp_path / "c" / "deep.jsonl"), str(tmp_path / "c" / "diverse.jsonl")})
    for name in ("deep", "diverse"):
        counts = {json.dumps(json.loads((tmp_path / "c" / f"{name}-s{s}" / "training.json").read_text())["data"])
                  for s in (1, 2, 3)}
        assert len(counts) == 1


def shared_file(folder):
    rows = [{**r, "input": r["input"].replace("Problem", "Task")} for r in make_rows(n_problems=4, per_problem=1)]
    return write_rows(folder / "shared.jsonl", rows)


def add_shared(config, shared):
    text = config.read_text().replace("max_length = 128\n", f'max_length = 128\nshared_valid = "{shared}"\n')
    config.write_text(text)
    return config


@pytest.mark.slow
def test_shared_validation_loss_is_what_training_alone_records_and_is_never_judged(tmp_path, tiny_dir, monkeypatch):
    shared = shared_file(tmp_path)
    config = add_shared(write_config(tmp_path / "alone", tiny_dir, "deep"), shared)
    alone = train(config, overrides={"run": {"output_dir": str(tmp_path / "alone" / "deep-s5")}, "train": {"seed": 5}},
                  device="cpu")
    cohort_cfg = add_shared(write_config(tmp_path / "solo", tiny_dir, "deep"), shared)
    cohort.train_cohort([str(cohort_cfg)], [5], device="cpu", log=quiet)
    a, b = losses(alone), losses(tmp_path / "solo" / "deep-s5")
    assert a.keys() == b.keys() and {k for k in a if k[1] == "valid_shared"} == {(2, "valid_shared"),
                                                                                 (4, "valid_shared")}
    for key in a:
        assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-5), key
    # a shared loss that falls at every evaluation does not delay early stopping on a flat own validation loss
    real = cohort.validation_losses

    def falling(model, members, *args, split="valid", **kwargs):
        values = real(model, members, *args, split=split, **kwargs)
        return {i: v - members[0].state.step for i, v in values.items()} if split == "valid_shared" else values

    monkeypatch.setattr(cohort, "validation_losses", falling)
    flat = add_shared(write_config(tmp_path / "flat", tiny_dir, "deep", max_steps=20, eval_every=1, learning_rate=0.0,
                                   early_stopping_patience=2, warmup_ratio=0.0), shared)
    cohort.train_cohort([str(flat)], [5], device="cpu", log=quiet)
    run = tmp_path / "flat" / "deep-s5"
    summary = json.loads((run / "training.json").read_text())
    assert summary["stop_reason"] == "early_stopping" and summary["step"] == 3 and summary["best_step"] == 1
    assert summary["data"]["valid_shared"]["rows"] == 4
    got = losses(run)
    assert [got[(s, "valid_shared")] for s in (1, 2, 3)] == sorted((got[(s, "valid_shared")] for s in (1, 2, 3)),
                                                                   reverse=True)


def test_supervision_picks_the_states_that_predict_supervised_tokens():
    from codegen_study.training.cohort_batch import supervision

    labels = torch.tensor([[-100, 5, 6, -100], [-100, -100, 7, 8]])
    got = supervision(labels, torch.tensor([3, 1]))
    # state (row r, position t) predicts label (r, t + 1); flat index r * width + t
    assert got["index"].tolist() == [0, 1, 5, 6]
    assert got["labels"].tolist() == [5, 6, 7, 8]
    assert got["member"].tolist() == [3, 3, 1, 1]


@pytest.mark.parametrize("sizes", [[2, 2, 2], [2, 2], [1, 3, 2]], ids=["every-member", "two-members", "unequal"])
def test_each_row_gets_its_own_members_adapter(sizes):
    """Blocks of consecutive rows per member (or one block per row when the parts differ in size)
    give every row exactly base(x) + scale * x A_m^T B_m^T of its own member m."""
    from codegen_study.training.cohort_batch import Routing, batch_of, cohort_linear

    torch.manual_seed(0)
    n, width, seq = 3, 6, 4
    routing = Routing()
    layer = cohort_linear(torch.nn.Linear(width, 5), n, r=2, alpha=4.0, dropout=0.0, routing=routing)
    for A, B in zip(layer.lora_A, layer.lora_B):
        torch.nn.init.normal_(A)
        torch.nn.init.normal_(B)
    members = [2, 0] if len(sizes) == 2 else list(range(n))
    row = {"input_ids": [1] * seq, "labels": [-100, 1, 1, 1], "position_ids": list(range(seq))}
    parts = [(m, [row] * k) for m, k in zip(members, sizes)]
    _, route, _ = batch_of(parts, 0, "cpu", n)
    routing.set(route)
    assert route[0] == (len(sizes) if len(set(sizes)) == 1 else sum(sizes))
    assert (route[1] is None) == (members == list(range(n)) and len(set(sizes)) == 1)
    x = torch.randn(sum(sizes), seq, width)
    owner = [m for m, k in zip(members, sizes) for _ in range(k)]
    want = torch.stack([layer.base(x[i]) + 2.0 * x[i] @ layer.lora_A[m].T @ layer.lora_B[m].T
                        for i, m in enumerate(owner)])
    torch.testing.assert_close(layer(x), want)
    layer(x).sum().backward()
    for m in range(n):  # a member with no row in the batch gets no gradient
        assert (layer.lora_B[m].grad is not None and layer.lora_B[m].grad.abs().sum() > 0) == (m in owner)


def test_the_gathered_loss_equals_the_masked_one(tiny_dir):
    import torch.nn.functional as F
    from transformers import AutoModelForCausalLM

    from codegen_study.training.cohort_batch import batch_of, member_token_losses

    model = AutoModelForCausalLM.from_pretrained(tiny_dir).eval()
    rows = [{"input_ids": [5, 6, 7, 8, 9], "labels": [-100, -100, 7, 8, 9], "position_ids": [0, 1, 2, 3, 4]},
            {"input_ids": [4, 3, 2], "labels": [-100, 3, 2], "position_ids": [0, 1, 2]},
            {"input_ids": [9, 9, 8, 7], "labels": [-100, 9, 8, -100], "position_ids": [0, 1, 0, 1]}]
    assert "position_ids" not in batch_of([(0, rows[:2])], 0, "cpu", 2)[0]  # one example per row: counted from 0
    batch, _, targets = batch_of([(0, rows[:2]), (1, rows[2:])], 0, "cpu", 2)
    assert "position_ids" in batch  # the third row packs two examples
    with torch.no_grad():
        sums, counts = member_token_losses(model, batch, targets, 2)
        for member, mine in ((0, rows[:2]), (1, rows[2:])):
            total, n = 0.0, 0
            for row in mine:
                logits = model(input_ids=torch.tensor([row["input_ids"]]),
                               position_ids=torch.tensor([row["position_ids"]])).logits[0, :-1]
                labels = torch.tensor(row["labels"][1:])
                keep = labels != -100
                total += F.cross_entropy(logits[keep], labels[keep], reduction="sum").item()
                n += int(keep.sum())
            assert counts[member].item() == n
            assert sums[member].item() == pytest.approx(total, rel=1e-4)


@pytest.mark.parametrize("key", ["liger", "gradient_checkpointing"])
def test_a_cohort_refuses_what_it_does_not_cover(tmp_path, tiny_dir, key):
    """liger-kernel's kernels need CUDA (and the package): on a CPU a liger cohort is refused before
    the model loads, naming the config."""
    config = write_config(tmp_path, tiny_dir, "deep", **{key: "true"})
    with pytest.raises(UserError, match=f"{config}: .*train.{key}"):
        cohort.train_cohort([str(config)], [1, 2], device="cpu", log=quiet)


def test_a_cohorts_runs_agree_on_compile_and_liger(tmp_path, tiny_dir):
    deep = write_config(tmp_path, tiny_dir, "deep", compile="true")
    diverse = write_config(tmp_path, tiny_dir, "diverse")
    with pytest.raises(UserError, match="train.compile and train.liger must be the same"):
        cohort.plan_members([str(deep), str(diverse)], [1], None)


def varied_lengths(config):
    """`config` with rows of many lengths (the tiny rows are of one length), none cut short."""
    data = config.parent / "deep.jsonl"
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    write_rows(data, [{**r, "output": r["output"] + " Done." * (5 * i)} for i, r in enumerate(rows)])
    config.write_text(config.read_text().replace("max_length = 128\n", "max_length = 1024\n"))
    return config


@pytest.mark.slow
def test_a_compiled_cohort_records_the_eager_cohorts_losses(tmp_path):
    """Each decoder layer compiled (`cohort_batch.compile_layers`): the same training and validation
    losses as eager, over rows of changing lengths; three layers give three graphs (the first layer,
    whose input needs no gradient, the other two, which share one, and validation's)."""
    import shutil

    from tiny_lm import make_model, make_tokenizer
    from torch._dynamo.utils import counters

    if shutil.which("g++") is None:
        pytest.skip("torch.compile on a CPU needs a C++ compiler (g++)")
    model_dir = tmp_path / "model"
    tok = make_tokenizer()
    make_model(tok, num_hidden_layers=3).save_pretrained(model_dir)
    tok.save_pretrained(model_dir)
    keys = {"max_steps": 2, "eval_every": 2}
    eager = varied_lengths(write_config(tmp_path / "eager", model_dir, "deep", **keys))
    cohort.train_cohort([str(eager)], [1, 2], device="cpu", log=quiet)
    compiled = varied_lengths(write_config(tmp_path / "compiled", model_dir, "deep", compile="true", **keys))
    before = counters["stats"]["unique_graphs"]
    cohort.train_cohort([str(compiled)], [1, 2], device="cpu", log=quiet)
    assert counters["stats"]["unique_graphs"] - before <= 3
    for seed in (1, 2):
        a, b = losses(tmp_path / "eager" / f"deep-s{seed}"), losses(tmp_path / "compiled" / f"deep-s{seed}")
        assert a.keys() == b.keys() and len(a) == 2 + 1
        for key in a:
            assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-5), key


@pytest.mark.slow
def test_a_time_limit_stops_every_run_of_a_cohort_and_a_rerun_resumes(tmp_path, tiny_dir):
    deep = write_config(tmp_path, tiny_dir, "deep", time_limit=1e-9)
    diverse = write_config(tmp_path, tiny_dir, "diverse", time_limit=1e-9)
    cohort.train_cohort([str(deep), str(diverse)], [1], device="cpu", log=quiet)
    for name in ("deep-s1", "diverse-s1"):
        record = json.loads((tmp_path / name / "training.json").read_text())
        assert record["stop_reason"] == "time_limit" and record["step"] == 1 == record["best_step"], name
        assert (1, "valid") in losses(tmp_path / name) and (tmp_path / name / "checkpoint-step-1").is_dir()
    for config in (deep, diverse):
        config.write_text(config.read_text().replace("time_limit = 1e-09\n", ""))
    cohort.train_cohort([str(deep), str(diverse)], [1], device="cpu", log=quiet)
    for name in ("deep-s1", "diverse-s1"):
        record = json.loads((tmp_path / name / "training.json").read_text())
        assert record["stop_reason"] == "max_steps" and record["step"] == 4, name
