"""Several processes on CPU (gloo, world size 2): the work split, concurrent store appends, DDP
gradients and a two-rank `evaluate` against one rank.

The two-process tests start real processes (torch.multiprocessing.spawn, torchrun) and take tens
of seconds on a CPU, so they are marked slow.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from codegen_study.core.distributed import share
from codegen_study.store import Store

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the split ------------------------------------------------------------------------------
def test_share_deals_the_length_ordered_list_and_covers_it_exactly():
    sizes = [5, 1, 9, 3, 3, 7, 2, 8, 6, 4, 3]
    items = list(enumerate(sizes))
    parts = [share(items, r, 3, lambda it: it[1]) for r in range(3)]
    assert sorted(x for p in parts for x in p) == items  # every item once
    assert [len(p) for p in parts] == [4, 4, 3]
    assert [it[1] for it in parts[0]] == [9, 6, 3, 2]  # every third of 9 8 7 6 5 4 3 3 3 2 1
    assert share(items, 0, 1, lambda it: it[1]) == items  # one process: unchanged, unsorted
    assert share(items, 1, 3, lambda it: it[1]) == share(list(items), 1, 3, lambda it: it[1])  # deterministic
    with pytest.raises(ValueError, match="rank 3"):
        share(items, 3, 3, lambda it: it[1])


# -- the store with several writers ------------------------------------------------------------
def _row(i: int, writer: int, text: str = "x") -> dict:
    return {"model": f"w{writer}", "step": 0, "split": "train", "loss": float(i), "epoch": 0.0,
            "learning_rate": 0.0, "seconds": text}


def test_an_append_cuts_a_line_torn_by_another_writer(tmp_path):
    mine = Store(tmp_path)
    mine.append("losses", [_row(0, 0)])
    with open(mine.path("losses"), "ab") as f:  # another rank, killed in the middle of its write
        f.write(b'{"model": "w1", "step": 0, "spl')
    mine.append("losses", [_row(1, 0)])
    assert [r["loss"] for r in mine.iter_rows("losses")] == [0.0, 1.0]
    assert mine.path("losses").read_bytes().count(b"\n") == 2


WRITER = """
import sys
from codegen_study.store import Store
writer, batches, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
store = Store(sys.argv[4])
for b in range(batches):
    store.append("losses", [{"model": f"w{writer}", "step": b, "split": str(i), "loss": 0.0, "epoch": 0.0,
                             "learning_rate": 0.0, "seconds": "y" * size} for i in range(20)])
"""


def test_concurrent_appends_lose_and_mix_no_rows(tmp_path):
    # batches of ~1 MB: far beyond what one write() is guaranteed to put down in one piece
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(w), "15", "50000", str(tmp_path)], cwd=ROOT)
             for w in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    rows = list(Store(tmp_path).iter_rows("losses"))
    keys = [(r["model"], r["step"], r["split"]) for r in rows]
    assert len(keys) == len(set(keys)) == 2 * 15 * 20
    for w in range(2):  # each writer's batches arrive whole and in its order
        mine = [(r["step"], int(r["split"])) for r in rows if r["model"] == f"w{w}"]
        assert mine == [(b, i) for b in range(15) for i in range(20)]


# -- DDP gradients ------------------------------------------------------------------------------
GLOBAL = {"micro_batch_size": 2, "grad_accumulation": 4}  # one optimizer step of 8 examples


def _lora_model_and_examples(model_dir: Path):
    """The same LoRA model (B non-zero, so A gets gradients too) and examples in every process."""
    import torch
    from tiny_lm import make_rows
    from transformers import AutoTokenizer, Qwen2ForCausalLM

    from codegen_study.training.lora import init_lora, lora_pairs, prepare_for_training
    from codegen_study.training.train_config import TrainConfig
    from codegen_study.training.training_data import DataConfig, encode_example

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = Qwen2ForCausalLM.from_pretrained(model_dir)
    tcfg = TrainConfig(gradient_checkpointing=False, lora_dropout=0.0, autocast="none", **GLOBAL)
    peft_model = prepare_for_training(model, tcfg)
    init_lora(lora_pairs(peft_model), seed=3)  # as `train` does: A from the seed, not the process's RNG
    gen = torch.Generator().manual_seed(11)
    with torch.no_grad():
        for _, b in lora_pairs(peft_model):
            b.copy_(torch.randn(b.shape, generator=gen) * 0.05)
    peft_model.train()
    cfg = DataConfig(path="x.jsonl", max_length=128)
    examples = [encode_example(tok, r, cfg) for r in make_rows(n_problems=6, per_problem=3)]
    return peft_model, tcfg, examples, tok.pad_token_id


def _step_gradients(model_dir: Path, rank: int, world: int, d) -> tuple[float, dict]:
    """(global window loss, LoRA gradients) of the first optimizer step of epoch 0, with the
    micro-batches per rank divided by the world size: the same 8 examples whatever `world`."""
    import dataclasses

    from codegen_study.core.distributed import all_sum
    from codegen_study.training.train_step import window_loss
    from codegen_study.training.training_data import collate, epoch_windows

    model, tcfg, examples, pad = _lora_model_and_examples(model_dir)
    tcfg = dataclasses.replace(tcfg, grad_accumulation=tcfg.grad_accumulation // world)
    window = epoch_windows(len(examples), 0, 5, tcfg.micro_batch_size, tcfg.grad_accumulation, rank, world)[0]
    forward = model
    if d.distributed:
        from torch.nn.parallel import DistributedDataParallel

        forward = DistributedDataParallel(model)
    batch = [collate([examples[i] for i in mb], pad) for mb in window]
    loss = all_sum([float(window_loss(forward, batch, tcfg, "cpu", d))], d)[0]
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    return loss, grads


def _ddp_worker(rank: int, world: int, port: int, model_dir: str, out: str) -> None:
    import torch

    from codegen_study.core.distributed import setup_distributed, shutdown

    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(world))
    d = setup_distributed("cpu")
    assert (d.rank, d.world, d.device, d.distributed) == (rank, world, "cpu", True)
    try:
        loss, grads = _step_gradients(Path(model_dir), rank, world, d)
        torch.save({"loss": loss, "grads": grads}, Path(out) / f"rank{rank}.pt")
    finally:
        shutdown(d)


@pytest.mark.slow
def test_ddp_gradients_at_world_size_two_equal_one_process(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("peft")
    import torch.multiprocessing as mp
    from tiny_lm import save_tiny

    from codegen_study.core.distributed import Dist

    model_dir = save_tiny(tmp_path / "model")
    loss, grads = _step_gradients(model_dir, 0, 1, Dist())
    assert any(float(g.abs().sum()) > 0 for n, g in grads.items() if "lora_A" in n)
    mp.spawn(_ddp_worker, args=(2, free_port(), str(model_dir), str(tmp_path)), nprocs=2, join=True)
    for rank in range(2):
        got = torch.load(tmp_path / f"rank{rank}.pt")
        assert got["loss"] == pytest.approx(loss, rel=1e-5)  # the same token mean, not a rank's part
        assert got["grads"].keys() == grads.keys()
        for name, g in grads.items():
            torch.testing.assert_close(got["grads"][name], g, rtol=1e-4, atol=1e-7, msg=name)


# -- evaluate on two ranks --------------------------------------------------------------------
from test_generate import tiny  # noqa: E402, F401  (the tiny model, run folder and config)


def _torchrun(args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
           "--master-port", str(free_port()), "-m", "codegen_study", *args]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _keyed(out: Path) -> dict[tuple, dict]:
    rows = list(Store(out).iter_rows("completions"))
    keyed = {(r["model"], r["step"], r["benchmark"], r["prompt"], r["decoding"], r["question_id"], r["sample_id"]):
             {k: v for k, v in r.items() if k != "seconds"} for r in rows}
    assert len(keyed) == len(rows), "a completion is stored twice"
    return keyed


@pytest.mark.slow
def test_two_rank_generate_only_store_equals_one_rank_and_resumes(tiny, tmp_path):  # noqa: F811
    pytest.importorskip("torch")
    from codegen_study.cli import main

    flags = ["--config", str(tiny["config"]), "--run-dir", str(tiny["run"]), "--generate-only", "--limit", "2",
             "--steps", "4", "--device", "cpu"]
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["evaluate", *flags, "--output-dir", str(one)]) == 0
    done = _torchrun(["evaluate", *flags, "--output-dir", str(two)])
    assert done.stdout.count("evaluating base@0, tiny-s7@4") == 1  # rank 0 alone reports
    for rank in range(2):  # each rank made half of every engine call's completions (both states in one call)
        for call, n in (("2 model states greedy", 4), ("2 model states sampling", 4)):
            assert f"rank {rank}/2: {call}: {n} completions" in done.stdout, done.stdout
    expected, got = _keyed(one), _keyed(two)
    assert len(expected) == 2 * (2 + 2) * 2  # 2 problems x (2 greedy styles + 2 samples) x 2 models
    assert got.keys() == expected.keys()
    greedy = [k for k in expected if k[4] == "greedy"]
    # greedy decoding gives the same rows; sampling is seeded per batch and the batches differ
    assert [got[k] for k in greedy] == [expected[k] for k in greedy]
    assert list(Store(two).iter_rows("prompts")) == list(Store(one).iter_rows("prompts"))  # written once
    assert json.loads((two / "env.json").read_text())["generation"]["world_size"] == 2

    # a kill: the last rows lost, one torn mid-write; the same command finishes the store exactly
    path = Store(two).path("completions")
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-5]) + lines[-5][:40])
    kept = _keyed(two)
    _torchrun(["evaluate", *flags, "--output-dir", str(two)])
    again = _keyed(two)
    assert again.keys() == expected.keys()
    assert [again[k] for k in greedy] == [expected[k] for k in greedy]
    assert all(again[k] == v for k, v in kept.items())  # what survived the kill is not redone


# -- train on two ranks -------------------------------------------------------------------------
def test_each_rank_trains_every_worldth_run_of_a_cohort_renumbered():
    from codegen_study.training.cohort import Member, rank_share

    members = [Member({}, Path(f"r{i}"), f"run{i}", i, index=i) for i in range(5)]
    said = []
    mine, log = rank_share(members, 1, 2, said.append)
    assert [m.label for m in mine] == ["run1", "run3"] and [m.index for m in mine] == [0, 1]
    log("hello")
    assert said == ["rank 1/2: hello"]


@pytest.mark.slow
def test_a_two_rank_cohort_trains_each_run_once_as_one_process_would(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    from test_cohort import write_config
    from tiny_lm import save_tiny

    from codegen_study.training import cohort

    model_dir = save_tiny(tmp_path / "model")
    curves = {}
    for world in (1, 2):
        folder = tmp_path / f"world{world}"
        configs = [str(write_config(folder, model_dir, name)) for name in ("deep", "diverse")]
        if world == 1:
            cohort.train_cohort(configs, [1, 2], device="cpu", log=lambda *_: None)
        else:
            done = _torchrun(["train", *[f for c in configs for f in ("--config", c)], "--seeds", "1,2",
                              "--device", "cpu"])
            assert "rank 0/2: cohort: 2 runs (deep-s1, diverse-s1)" in done.stderr, done.stderr[-3000:]
            assert "rank 1/2: cohort: 2 runs (deep-s2, diverse-s2)" in done.stderr, done.stderr[-3000:]
        for run in sorted(folder.glob("*-s*")):
            curves.setdefault(world, {})[run.name] = {(r["split"], r["step"]): r["loss"]
                                                      for r in Store(run).iter_rows("losses")}
    assert sorted(curves[2]) == sorted(curves[1]) == ["deep-s1", "deep-s2", "diverse-s1", "diverse-s2"]
    for run, curve in curves[1].items():  # dropout is off: a run's curve does not depend on its cohort
        assert curves[2][run].keys() == curve.keys()
        for key, loss in curve.items():
            assert curves[2][run][key] == pytest.approx(loss, rel=1e-4, abs=1e-5), (run, key)


@pytest.mark.slow
def test_two_rank_training_has_the_one_process_loss_curve(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    from test_train import write_config
    from tiny_lm import save_tiny

    from codegen_study.training.train import train

    model_dir = save_tiny(tmp_path / "model")
    runs = {}
    for world in (1, 2):  # the same 4 examples per step: 2 micro-batches of 2 on one rank, 1 each on two
        folder = tmp_path / f"world{world}"
        folder.mkdir()
        cfg = write_config(folder, model_dir, max_steps=3, lora_dropout=0.0)
        if world == 1:
            train(cfg, device="cpu")
        else:
            _torchrun(["train", "--config", str(cfg), "--grad-accumulation", "1", "--device", "cpu"])
        runs[world] = {(r["split"], r["step"]): r["loss"] for r in Store(folder / "out").iter_rows("losses")}
        assert json.loads((folder / "out" / "training.json").read_text())["world_size"] == world
    assert sorted(runs[2]) == sorted(runs[1]) == [("train", 1), ("train", 2), ("train", 3), ("valid", 2), ("valid", 3)]
    for key, loss in runs[1].items():
        assert runs[2][key] == pytest.approx(loss, rel=1e-4), key
