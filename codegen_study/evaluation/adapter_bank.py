"""Many LoRA adapters served from one frozen base model in one batch, each row with its own.

Why: evaluating a study means decoding the same prompts under many model states (the base and
every checkpoint of every run). One state at a time pays its own small batches, launches and
load for each state; multi-LoRA serving systems (Punica, S-LoRA, vLLM's LoRA support) batch the
requests of many adapters over one base instead. Here every adapted linear layer of the base gets
a forward hook that adds, per row, the low-rank term of that row's adapter:

    y = base(x) + ((x @ A_cat^T) * M[row]) @ B_cat^T

`A_cat` stacks the `A` matrices of every adapter in the bank (rank r_k rows each) and `B_cat` the
`B` matrices side by side; `M[row]` keeps the columns of the row's own adapter, scaled by its
`alpha / r` (or `alpha / sqrt(r)` for rsLoRA), and zeroes the others. Two dense matmuls a layer
whatever the mix of adapters in the batch: no per-row gather of weights, no loop over adapters,
static shapes (so a CUDA graph can replay it). The price is compute on columns a row discards,
(adapters - 1) x r per layer, which for the small ranks and few dozen adapters of a study is
less than the base layer's own matmul. Row 0 of the bank's id space is "no adapter" (the base).

The term is computed from float32 weights and inputs, as peft computes it, so a row decodes as a
one-adapter pass would, up to the order of float additions; on a GPU its two matmuls may use
TF32 tensor cores (`tf32`), whose 10-bit mantissa is still 8x finer than the bf16 a half-precision
base computes in, since plain float32 matmuls would cost as much as the base layers. By default
`tf32` is on for a bf16/fp16 base and off for a float32 one, where it would be the coarsest step.

Covers: plain LoRA adapters saved by peft or by the cohort trainer (`adapter_config.json` +
`adapter_model.safetensors` or `adapter_model.bin`) on `nn.Linear` layers of the base. Does not
cover DoRA, adapters on embeddings or `modules_to_save`, or quantized base layers: those are
refused with the folder named (evaluate them one at a time with peft instead).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from codegen_study.core.errors import UserError

KEY_PREFIX = "base_model.model."


def read_adapter_weights(folder: Path) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    """(adapter config, {base module name: (A [r, in], B [out, r])}) of one adapter folder."""
    import torch

    folder = Path(folder)
    cfg_path = folder / "adapter_config.json"
    try:
        config = json.loads(cfg_path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"{cfg_path}: not a readable adapter config ({exc})") from None
    if config.get("use_dora"):
        raise UserError(f"{folder}: DoRA adapters are not served in a shared batch; evaluate it alone")
    if config.get("modules_to_save"):
        raise UserError(f"{folder}: adapters with modules_to_save are not served in a shared batch")
    if (folder / "adapter_model.safetensors").exists():
        from safetensors.torch import load_file

        tensors = load_file(str(folder / "adapter_model.safetensors"))
    elif (folder / "adapter_model.bin").exists():
        tensors = torch.load(folder / "adapter_model.bin", map_location="cpu", weights_only=True)
    else:
        raise UserError(f"{folder}: no adapter_model.safetensors or adapter_model.bin")
    pairs: dict[str, dict[str, Any]] = {}
    for key, value in tensors.items():
        name = key[len(KEY_PREFIX):] if key.startswith(KEY_PREFIX) else key
        for part in ("lora_A", "lora_B"):
            marker = f".{part}."
            if marker in name:
                module = name.split(marker)[0]
                pairs.setdefault(module, {})[part] = value
                break
        else:
            if "lora_embedding" in name or "lora_magnitude" in name:
                raise UserError(f"{folder}: {key} is not a plain LoRA weight on a linear layer")
    weights = {}
    for module, pair in pairs.items():
        if set(pair) != {"lora_A", "lora_B"}:
            raise UserError(f"{folder}: {module} has only {', '.join(pair)}")
        weights[module] = (pair["lora_A"], pair["lora_B"])
    if not weights:
        raise UserError(f"{folder}: no LoRA weights found")
    return config, weights


def adapter_scale(config: Mapping[str, Any], module: str, r: int) -> float:
    """The factor peft multiplies a module's LoRA term with (alpha / r, or alpha / sqrt(r) for rsLoRA)."""
    alpha = config.get("lora_alpha", r)
    for pattern, value in (config.get("alpha_pattern") or {}).items():
        if module == pattern or module.endswith("." + pattern):
            alpha = value
    return alpha / math.sqrt(r) if config.get("use_rslora") else alpha / r


@contextmanager
def tf32_matmuls(on: bool):
    """Float32 matmuls on TF32 tensor cores inside the block (a CUDA graph keeps the kernel chosen)."""
    import torch

    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = on
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


class AdapterBank:
    """Adapters by name, installed as hooks on one base model; `rows` says each row's adapter.

    `ids[name]` is an adapter's id (1, 2, ...; 0 is the base). Set `rows` to a LongTensor of one
    id per batch row before a forward pass (the engines do); `None` means every row is the base.

    The row selection `M[row]` is built once per forward pass for each set of layers that share one
    column layout (the same adapters at the same ranks and scales), not once per layer: a decode step
    of a small model is bound by kernel launches, and the bank's kernels in every layer dominated it.
    A pass starts where the hooks are called out of module order (the first adapted layer again); so
    `rows` may change in place between passes, and a captured CUDA graph rebuilds `M` on replay.
    """

    def __init__(self, model, adapters: Mapping[str, str | Path], *, tf32: bool | None = None):
        import torch

        # TF32 is finer than a half-precision base computes in, but coarser than a float32 one
        self.tf32 = tf32 if tf32 is not None else next(model.parameters()).dtype != torch.float32
        self.names = list(adapters)
        self.ids = {name: i + 1 for i, name in enumerate(self.names)}
        self.rows = None
        self._handles: list[Any] = []
        self.layers: dict[str, dict[str, Any]] = {}
        modules = dict(model.named_modules())
        per_module: dict[str, list[tuple[int, Any, Any, float]]] = {}
        for name, folder in adapters.items():
            config, weights = read_adapter_weights(Path(folder))
            for module, (a, b) in weights.items():
                target = modules.get(module)
                if not isinstance(target, torch.nn.Linear):
                    raise UserError(f"{folder}: {module} is not a linear layer of the base model")
                r = a.shape[0]
                if a.shape[1] != target.in_features or b.shape != (target.out_features, r):
                    raise UserError(f"{folder}: {module} has LoRA shapes {tuple(a.shape)} / {tuple(b.shape)}, "
                                    f"not those of the base layer ({target.in_features} -> {target.out_features})")
                per_module.setdefault(module, []).append((self.ids[name], a, b, adapter_scale(config, module, r)))
        # (owner [cols], scale [cols]) of each distinct column layout; layers name theirs by index
        self.groups: list[tuple[Any, Any]] = []
        layouts: dict[tuple, int] = {}
        for module in (m for m in modules if m in per_module):  # module order: the order a pass calls them
            parts = per_module[module]
            device = modules[module].weight.device
            owner = torch.cat([torch.full((a.shape[0],), i, dtype=torch.long) for i, a, _, _ in parts])
            scale = torch.cat([torch.full((a.shape[0],), s, dtype=torch.float32) for _, a, _, s in parts])
            key = (str(device), owner.numpy().tobytes(), scale.numpy().tobytes())  # equal values, bit for bit
            if key not in layouts:
                layouts[key] = len(self.groups)
                self.groups.append((owner.to(device), scale.to(device)))
            self.layers[module] = {
                "A": torch.cat([a.float() for _, a, _, _ in parts]).to(device),  # [cols, in]
                "B": torch.cat([b.float() for _, _, b, _ in parts], dim=1).to(device),  # [out, cols]
                "group": layouts[key],
            }
        self._keep: dict[int, Any] = {}  # group -> M of the current pass
        self._keep_rows = None  # the `rows` tensor that `_keep` was built from
        self._last = -1  # module-order index of the last hook called
        self._install(modules)

    def _install(self, modules: dict[str, Any]) -> None:
        for index, (module, layer) in enumerate(self.layers.items()):
            self._handles.append(modules[module].register_forward_hook(self._hook(index, layer)))

    def _keep_of(self, index: int, group: int, rows):
        """[b, cols]: each row's own adapter's columns at its scale, zero elsewhere; built by the
        first layer of a pass that needs it (inside a CUDA graph's capture too, so a replay
        rebuilds it from what `rows` then holds), reused by the pass's other layers."""
        if index <= self._last or rows is not self._keep_rows:  # a new pass, or new rows
            self._keep.clear()
            self._keep_rows = rows
        self._last = index
        keep = self._keep.get(group)
        if keep is None:
            owner, scale = self.groups[group]
            keep = self._keep[group] = (owner[None, :] == rows[:, None]) * scale[None, :]
        return keep

    def _hook(self, index: int, layer: dict[str, Any]):
        def add_lora(_module, inputs, output):
            rows = self.rows
            if rows is None:
                return output
            x = inputs[0]
            keep = self._keep_of(index, layer["group"], rows)
            with tf32_matmuls(self.tf32):
                h = x.float() @ layer["A"].T
                h.mul_(keep[:, None, :] if h.dim() == 3 else keep)
                lora = h @ layer["B"].T
            # summed in float32 as peft does, rounded to the output's dtype as it is written back
            return output.add_(lora)

        return add_lora

    def id_of(self, name: str | None) -> int:
        if name is None:
            return 0
        try:
            return self.ids[name]
        except KeyError:
            raise ValueError(f"unknown adapter {name!r}; the bank holds {', '.join(self.names) or 'none'}") from None

    def remove(self) -> None:
        """Take the hooks off: the model is the plain base again."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self.rows = None
        self._keep.clear()
        self._keep_rows = None

    def __enter__(self) -> AdapterBank:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
