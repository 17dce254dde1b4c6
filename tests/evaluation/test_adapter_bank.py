"""Many adapters in one decode batch: each row decodes as a one-adapter pass with peft would.

A tiny random Qwen2 model and two LoRA adapters with non-zero B (they change the output), on CPU.
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from codegen_study.core.errors import UserError  # noqa: E402
from codegen_study.evaluation import engine as eng  # noqa: E402
from codegen_study.evaluation.adapter_bank import AdapterBank  # noqa: E402

VOCAB = 300
PROMPTS = [[5, 9, 30, 31], [7] * 11, [40, 41], [100, 3, 8, 200, 250, 9, 9], [12, 13, 14]]


def tiny_model(seed: int = 0):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    cfg = Qwen2Config(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                      tie_word_embeddings=True, initializer_range=0.3)
    return Qwen2ForCausalLM(cfg).eval()


def save_adapter(folder, seed: int, r: int, modules, alpha: int):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    model = get_peft_model(tiny_model(), LoraConfig(r=r, lora_alpha=alpha, target_modules=modules,
                                                    init_lora_weights=False))
    for name, p in model.named_parameters():  # B large enough that greedy tokens change
        if "lora_B" in name:
            p.data.normal_(0, 0.5, generator=torch.Generator().manual_seed(seed + len(name)))
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    root = tmp_path_factory.mktemp("bank")
    return {
        "a": save_adapter(root / "a", 1, 4, ["q_proj", "v_proj", "down_proj"], 8),
        "b": save_adapter(root / "b", 2, 8, ["q_proj", "k_proj", "o_proj", "gate_proj", "up_proj"], 4),
    }


def decode(model, requests, *, engine="static", adapters=None, **kw):
    kw = dict(dict(max_new_tokens=14, batch_size=8, stop_ids=[], pad_id=0), **kw)
    out = {}
    for batch in eng.generate(model, requests, engine=engine, adapters=adapters, **kw):
        out.update({r.key: r.tokens for r in batch})
    return out


def one_adapter_pass(name, folder, **kw):
    """The reference: the adapter attached with peft, every prompt decoded under it alone."""
    from peft import PeftModel

    model = tiny_model() if folder is None else PeftModel.from_pretrained(tiny_model(), str(folder)).eval()
    return decode(model, [eng.Request((name, i), tuple(p)) for i, p in enumerate(PROMPTS)], **kw)


@pytest.mark.parametrize("engine", ["static", "hf"])
def test_mixed_batch_gives_each_row_its_own_adapters_tokens(adapters, engine):
    want = {}
    for name, folder in (("base", None), *adapters.items()):
        want.update(one_adapter_pass(name, folder, engine=engine))
    # every (adapter, prompt) pair in one engine call, rows of all three mixed in each batch
    requests = [eng.Request((name, i), tuple(p), None if name == "base" else name)
                for i, p in enumerate(PROMPTS) for name in ("b", "base", "a")]
    got = decode(tiny_model(), requests, engine=engine, adapters=adapters)
    assert got == want
    # the adapters do change the answers, so the comparison above can fail
    assert want[("a", 1)] != want[("base", 1)] and want[("b", 1)] != want[("base", 1)]


def test_bank_matches_peft_logits_and_leaves_the_base_untouched(adapters):
    from peft import PeftModel

    x = torch.tensor([PROMPTS[3], PROMPTS[3]])
    base = tiny_model()
    plain = base(x).logits
    with AdapterBank(base, adapters) as bank:
        bank.rows = torch.tensor([bank.id_of("a"), 0])
        mixed = base(x).logits
    ref = PeftModel.from_pretrained(tiny_model(), str(adapters["a"])).eval()(x).logits
    torch.testing.assert_close(mixed[0], ref[0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(mixed[1], plain[1])
    torch.testing.assert_close(base(x).logits, plain)  # hooks removed on exit


def old_formula(model, folders, bank):
    """The bank's term as every hook once computed it, the row selection built in each layer anew:
    forward hooks on `model` that read the bank's `rows` at each call."""
    from codegen_study.evaluation.adapter_bank import adapter_scale, read_adapter_weights, tf32_matmuls

    per_module = {}
    for i, folder in enumerate(folders.values(), 1):
        config, weights = read_adapter_weights(folder)
        for module, (a, b) in weights.items():
            per_module.setdefault(module, []).append((i, a, b, adapter_scale(config, module, a.shape[0])))
    modules = dict(model.named_modules())
    handles = []
    for module, parts in per_module.items():
        A = torch.cat([a.float() for _, a, _, _ in parts])
        B = torch.cat([b.float() for _, _, b, _ in parts], dim=1)
        owner = torch.cat([torch.full((a.shape[0],), i, dtype=torch.long) for i, a, _, _ in parts])
        scale = torch.cat([torch.full((a.shape[0],), s, dtype=torch.float32) for _, a, _, s in parts])

        def hook(_m, inputs, output, A=A, B=B, owner=owner, scale=scale):
            rows = bank.rows
            keep = (owner[None, :] == rows[:, None]) * scale[None, :]
            with tf32_matmuls(bank.tf32):
                h = inputs[0].float() @ A.T
                h = h * (keep[:, None, :] if h.dim() == 3 else keep)
                lora = h @ B.T
            return (output + lora).to(output.dtype)

        handles.append(modules[module].register_forward_hook(hook))
    return handles


def adapted_outputs(model, bank, x):
    """The logits and every adapted layer's output (with its LoRA term) of one forward pass."""
    modules = dict(model.named_modules())
    seen = {}
    handles = [modules[name].register_forward_hook(lambda _m, _i, out, name=name: seen.__setitem__(name, out.clone()))
               for name in bank.layers]  # after the bank's (or the old formula's) hooks: sees their sum
    try:
        with torch.inference_mode():
            logits = model(x).logits
    finally:
        for handle in handles:
            handle.remove()
    return logits, seen


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_row_selection_built_once_a_pass_gives_the_old_formulas_bits(adapters, tmp_path, dtype, device):
    """Each layer layout's row selection is built by the first layer of a pass and reused by the
    others; every adapted layer's output must equal, bit for bit, the term built in each layer anew
    -- also after `rows` changed in place between two passes, as the engines change it."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(3)  # a third adapter on every layer, rank 2, another alpha for o_proj
    c = get_peft_model(tiny_model(), LoraConfig(r=2, lora_alpha=3, alpha_pattern={"o_proj": 7}, init_lora_weights=False,
                                                target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                                "up_proj", "down_proj"]))
    for name, p in c.named_parameters():
        if "lora_B" in name:
            p.data.normal_(0, 0.5)
    c.save_pretrained(tmp_path / "c")
    folders = {**adapters, "c": tmp_path / "c"}
    x = torch.tensor([PROMPTS[3]] * 6, device=device)
    model = tiny_model().to(device, dtype)
    bank = AdapterBank(model, folders)
    # layouts: q (a, b, c); k, gate, up (b, c); o (b, c at its own alpha); v, down (a, c)
    assert len(bank.groups) == 4
    rows = torch.tensor([1, 0, 3, 2, 0, 1], device=device)
    bank.rows = rows
    got = [adapted_outputs(model, bank, x)]
    rows[[0, 2, 3, 5]] = torch.tensor([3, 1, 0, 2], device=device)  # in place, as the static engine refills rows
    got.append(adapted_outputs(model, bank, x))
    bank.remove()
    handles = old_formula(model, folders, bank)
    bank.rows = rows = torch.tensor([1, 0, 3, 2, 0, 1], device=device)
    want = [adapted_outputs(model, bank, x)]
    rows[[0, 2, 3, 5]] = torch.tensor([3, 1, 0, 2], device=device)
    want.append(adapted_outputs(model, bank, x))
    for handle in handles:
        handle.remove()
    for (logits, layers), (want_logits, want_layers) in zip(got, want):
        assert layers.keys() == want_layers.keys() and len(layers) == 14
        for name in layers:
            assert torch.equal(layers[name], want_layers[name]), name
        assert torch.equal(logits, want_logits)
    # the in-place change of rows mattered: a row selection kept from the first pass would differ
    assert not torch.equal(got[0][0], got[1][0])
    assert torch.equal(got[0][0][1], got[1][0][1])  # row 1 stayed the base


def test_tf32_serves_a_half_precision_base_only(adapters):
    """TF32 rounds finer than bf16 but coarser than float32: by default the bank uses it only
    where the base computes in half precision."""
    assert AdapterBank(tiny_model(), adapters).tf32 is False
    assert AdapterBank(tiny_model().to(torch.bfloat16), adapters).tf32 is True
    assert AdapterBank(tiny_model(), adapters, tf32=True).tf32 is True


def test_narrowed_static_batch_keeps_each_rows_adapter(adapters):
    """Rows that finish leave the batch; the rest must keep their own adapter ids."""
    requests = [eng.Request((name, i), tuple(p), None if name == "base" else name)
                for i, p in enumerate(PROMPTS) for name in ("base", "a", "b")]
    free = decode(tiny_model(), requests, adapters=adapters, max_new_tokens=40)
    # stop on a token that ends some rows early, so that the batch narrows
    counts = {}
    for toks in free.values():
        for t in set(toks[:20]):
            counts[t] = counts.get(t, 0) + 1
    stop = max(counts, key=counts.get)
    model = tiny_model()
    narrowing = eng.StaticEngine(model, bank=AdapterBank(model, adapters), span_step=8)
    ids = [narrowing.bank.id_of(r.adapter) for r in requests]
    kw = dict(max_new_tokens=40, temperature=0.0, top_p=1.0, seed=0, stop_ids=[stop], pad_id=0)
    rows = narrowing([list(r.prompt) for r in requests], adapter_ids=ids, **kw)
    wide = eng.StaticEngine(model, bank=narrowing.bank, compact=False, span_step=4096)
    assert rows == wide([list(r.prompt) for r in requests], adapter_ids=ids, **kw)
    assert narrowing.compactions >= 1


def test_prompts_that_take_a_finished_rows_place_decode_under_their_own_adapter(adapters):
    """Four rows for fifteen (adapter, prompt) pairs, answers ending at different steps: every
    answer is the one-adapter pass's."""
    names = {"a": "a", "base": None, "b": "b"}
    requests = [(name, i) for i in range(len(PROMPTS)) for name in names]
    model = tiny_model()
    bank = AdapterBank(model, adapters)
    ids = [bank.id_of(names[name]) for name, _ in requests]
    kw = dict(max_new_tokens=30, temperature=0.0, top_p=1.0, seed=0, pad_id=0)
    free = eng.StaticEngine(model, bank=bank)([PROMPTS[i] for _, i in requests], adapter_ids=ids, stop_ids=[], **kw)
    stop = free[0][6]  # ends some answers early, the others run to the token limit
    want = {}
    for name, folder in (("base", None), *adapters.items()):
        want.update(one_adapter_pass(name, folder, max_new_tokens=30, stop_ids=[stop]))
    refilling = eng.StaticEngine(model, bank=bank)
    got = {}
    for finished in refilling.stream([PROMPTS[i] for _, i in requests], adapter_ids=ids, stop_ids=[stop], slots=4,
                                     **kw):
        got.update({requests[k]: eng._trim(tokens, {stop}, 30)[0] for k, tokens in finished})
    assert got == want
    assert refilling.refills == len(requests) - 4
    assert len({len(t) for t in want.values()}) > 1  # answers end at different steps


def test_unknown_or_unsupported_adapters_are_refused(adapters, tmp_path):
    with pytest.raises(ValueError, match="does not hold"):
        decode(tiny_model(), [eng.Request(0, (1, 2), "c")], adapters=adapters)
    dora = tmp_path / "dora"
    dora.mkdir()
    config = json.loads((adapters["a"] / "adapter_config.json").read_text())
    (dora / "adapter_config.json").write_text(json.dumps({**config, "use_dora": True}))
    with pytest.raises(UserError, match="DoRA"):
        AdapterBank(tiny_model(), {"d": dora})


@pytest.mark.gpu
def test_cuda_graph_replay_of_a_mixed_batch_gives_each_row_its_own_adapters_tokens(adapters):
    """On a GPU the shared batch runs inside the captured decode step: the bank's row selection must
    be replayed, not frozen at capture. Reference: each adapter attached with peft, decoded eagerly
    (float32 LoRA terms on both sides, TF32 off, so the tokens must agree exactly)."""
    from peft import PeftModel

    from codegen_study.evaluation.static_engine import StaticEngine

    kw = dict(max_new_tokens=14, temperature=0.0, top_p=1.0, seed=0, stop_ids=[], pad_id=0)
    want = {}
    for name, folder in (("base", None), *adapters.items()):
        model = tiny_model() if folder is None else PeftModel.from_pretrained(tiny_model(), str(folder)).eval()
        rows = StaticEngine(model.to("cuda"), use_graphs=False)(PROMPTS, **kw)
        want.update({(name, i): row for i, row in enumerate(rows)})
    base = tiny_model().to("cuda")
    order = [(name, i) for i in range(len(PROMPTS)) for name in ("b", "base", "a")]
    with AdapterBank(base, adapters, tf32=False) as bank:
        engine = StaticEngine(base, use_graphs=True, bank=bank)
        ids = [0 if name == "base" else bank.id_of(name) for name, _ in order]
        got = engine([PROMPTS[i] for _, i in order], adapter_ids=ids, **kw)
    assert engine.captures >= 1
    assert {key: row for key, row in zip(order, got)} == want
    assert want[("a", 1)] != want[("base", 1)] and want[("b", 1)] != want[("base", 1)]


@pytest.mark.gpu
def test_cuda_graph_replay_rebuilds_the_row_selection_after_rows_take_new_prompts(adapters):
    """Rows that take waiting prompts change `rows` in place between replays of a captured step: a
    replay must build the row selection from what `rows` then holds. Reference: the same engine
    and bank stepping eagerly, which builds it at every pass."""
    from codegen_study.evaluation.static_engine import StaticEngine

    names = {"a": "a", "base": None, "b": "b"}
    requests = [(name, i) for i in range(len(PROMPTS)) for name in names]
    prompts = [PROMPTS[i] for _, i in requests]
    kw = dict(max_new_tokens=30, temperature=0.0, top_p=1.0, seed=0, pad_id=0)
    model = tiny_model().to("cuda")
    got = {}
    with AdapterBank(model, adapters, tf32=False) as bank:
        ids = [bank.id_of(names[name]) for name, _ in requests]
        stop = StaticEngine(model, bank=bank, use_graphs=False)(prompts, adapter_ids=ids, stop_ids=[], **kw)[0][6]
        for graphs in (False, True):
            engine = StaticEngine(model, bank=bank, use_graphs=graphs)
            got[graphs] = {}
            for finished in engine.stream(prompts, adapter_ids=ids, stop_ids=[stop], slots=4, **kw):
                got[graphs].update({requests[k]: tokens for k, tokens in finished})
    assert engine.captures >= 1 and engine.refills == len(requests) - 4
    assert got[True] == got[False]
