"""The batched pieces of cohort training: one LoRA pair per run chosen per row, padding-free
rows, a loss that reaches the output layer only at supervised positions, and every run's
validation loss in shared batches.

Why per row: the runs of a cohort share the frozen base weights, so their micro-batches go through
the model as one batch; each row's LoRA term must use its own run's A and B, which a batched
matmul gives without a separate forward per run. A training batch holds every active run's
micro-batch as consecutive rows of equal count, so the batch is cut into one block per run and
the LoRA term is one batched matmul per block against that run's A and B: no per-row copy of the
adapter weights and no scatter of their gradients back, which in eager PyTorch are extra kernels
in every adapted layer. Batches without equal blocks (validation) fall back to one block per row.
Used by `cohort`, which may also fuse the elementwise work around the matmuls: each decoder layer
compiled on its own (`compile_layers`), or liger-kernel's kernels in the base (`apply_liger`).
"""

from __future__ import annotations

import functools
from typing import Any

from codegen_study.core.errors import UserError


class Routing:
    """How the rows of the current batch map to cohort members (shared by all layers): the batch is
    equal runs of consecutive rows (blocks), block j trained by member `select[j]`, or by member j
    when `select` is None (every member, in order: the common training batch). The layers take the
    block count from the adapters they select (a tensor's length, not a Python int), so a compiled
    layer is not specialised on it."""

    select = None  # LongTensor (blocks,) on the device, or None

    def set(self, route: tuple) -> None:
        """`route` as `batch_of` returns it: (block count, select); the count is the selection's length."""
        _, self.select = route


@functools.cache
def cohort_linear_type():
    """The cohort layer's class, made once: a compiled decoder layer is one graph for every layer of
    the model only while their LoRA layers share one class (Dynamo guards each submodule's type)."""
    import torch
    from torch import nn

    class CohortLinear(nn.Module):
        def __init__(self, base, n: int, r: int, alpha: float, dropout: float, routing: Routing):
            super().__init__()
            self.base = base
            self.lora_A = nn.ParameterList(
                nn.Parameter(torch.zeros(r, base.in_features, device=base.weight.device)) for _ in range(n))
            self.lora_B = nn.ParameterList(
                nn.Parameter(torch.zeros(base.out_features, r, device=base.weight.device)) for _ in range(n))
            self.scale = alpha / r
            self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
            self.routing = routing

        def forward(self, x):
            routing = self.routing
            a, b = torch.stack(list(self.lora_A)), torch.stack(list(self.lora_B))  # (n, r, in), (n, out, r)
            if routing.select is not None:
                a, b = a.index_select(0, routing.select), b.index_select(0, routing.select)
            blocks = a.shape[0]  # the block count, as a shape (see `Routing`)
            h = torch.bmm(self.dropout(x).reshape(blocks, -1, x.shape[-1]), a.transpose(1, 2).to(x.dtype))
            y = self.base(x)
            out = torch.baddbmm(y.reshape(blocks, -1, y.shape[-1]), h, b.transpose(1, 2).to(y.dtype), alpha=self.scale)
            return out.reshape(y.shape)

    return CohortLinear


def cohort_linear(base, n: int, r: int, alpha: float, dropout: float, routing: Routing):
    """`base` (a frozen nn.Linear) plus one LoRA pair per member, chosen per row by `routing`."""
    return cohort_linear_type()(base, n, r, alpha, dropout, routing)


def attach_lora(model, n: int, tcfg, routing: Routing) -> dict[str, Any]:
    """Replace every target nn.Linear by a cohort layer; returns {module path: layer}."""
    from torch import nn

    for p in model.parameters():
        p.requires_grad_(False)
    found = {name: mod for name, mod in model.named_modules()
             if name.rsplit(".", 1)[-1] in tcfg.target_modules and isinstance(mod, nn.Linear)}
    if not found:
        raise UserError(f"no nn.Linear named {list(tcfg.target_modules)} in the model")
    layers = {}
    for name, mod in found.items():
        parent_name, _, attr = name.rpartition(".")
        layer = cohort_linear(mod, n, tcfg.lora_r, tcfg.lora_alpha, tcfg.lora_dropout, routing)
        setattr(model.get_submodule(parent_name) if parent_name else model, attr, layer)
        layers[name] = layer
    return layers


def init_member(layers: dict[str, Any], i: int, seed: int) -> None:
    """Member i's adapter initialised exactly as `train` initialises a run with this seed."""
    from codegen_study.training.lora import init_lora

    init_lora([(layer.lora_A[i], layer.lora_B[i]) for layer in layers.values()], seed)


# -- batches and loss ---------------------------------------------------------------------------
def rows_of(examples: list[dict], dcfg) -> list[dict]:
    """Padding-free rows: examples packed (restarting positions) or one per row."""
    from codegen_study.training.training_data import pack_examples

    if dcfg.packing:
        return pack_examples(examples, dcfg.max_length)
    return [{"input_ids": e["input_ids"], "labels": e["labels"], "position_ids": list(range(len(e["input_ids"])))}
            for e in examples]


def batch_of(parts: list[tuple[int, list[dict]]], pad_id: int, device: str, n: int):
    """One model batch from (member index, rows) parts of a cohort of `n` members: the model's
    inputs (ids, positions), the route for `Routing.set`, and the supervised positions
    (`supervision`), all on `device`."""
    import torch

    from codegen_study.training.training_data import collate

    rows = [row for _, rs in parts for row in rs]
    row_members = [i for i, rs in parts for _ in rs]
    owner = torch.tensor(row_members)
    # one block per part when the parts are of one size, else one block per row
    members = [i for i, _ in parts] if len({len(rs) for _, rs in parts}) == 1 else row_members
    select = None if members == list(range(n)) else to_device(torch.tensor(members), device)
    batch = collate(rows, pad_id)
    targets = supervision(batch["labels"], owner)
    # rows of one example each need no position ids (the model counts from 0): without them the
    # model does not look for packed rows, a check that waits for the GPU
    single = all(r["position_ids"][-1] == len(r["position_ids"]) - 1 for r in rows)
    drop = {"labels", "position_ids"} if single else {"labels"}
    inputs = {k: to_device(v, device) for k, v in batch.items() if k not in drop}
    return inputs, (len(members), select), {k: to_device(v, device) for k, v in targets.items()}


def supervision(labels, owner) -> dict:
    """Where the loss is taken, worked out on the host: the flat index of every hidden state that
    predicts a supervised token, that token, and its row's member. The loss then gathers by index
    on the device; a boolean mask there would make the host wait for the GPU (the number of
    selected positions must be known before the next kernel can be queued)."""
    width = labels.shape[1]
    nxt = labels[:, 1:]
    rows, cols = (nxt != -100).nonzero(as_tuple=True)
    return {"index": rows * width + cols, "labels": nxt[rows, cols], "member": owner[rows]}


def to_device(t, device: str):
    """Copy a CPU tensor to `device` without waiting for the GPU: a copy from pageable memory
    queues behind every kernel already launched, so the host could not prepare the next batch
    while the GPU runs this one; from pinned memory it is asynchronous."""
    import torch

    if torch.device(device).type != "cuda":
        return t.to(device)
    return t.pin_memory().to(device, non_blocking=True)


def member_token_losses(model, batch: dict, targets: dict, n: int):
    """(sum of token losses per member, supervised token count per member) for one batch;
    `targets` is `supervision`'s, on the model's device."""
    import torch
    import torch.nn.functional as F

    hidden = decoder_of(model)(input_ids=batch["input_ids"], position_ids=batch.get("position_ids"), use_cache=False)[0]
    chosen = hidden.reshape(-1, hidden.shape[-1]).index_select(0, targets["index"])
    logits = model.get_output_embeddings()(chosen).float()
    losses = F.cross_entropy(logits, targets["labels"], reduction="none")
    who = targets["member"]
    sums = torch.zeros(n, device=losses.device, dtype=torch.float32).index_add_(0, who, losses)
    counts = torch.zeros(n, device=losses.device, dtype=torch.float32).index_add_(0, who, torch.ones_like(losses))
    return sums, counts


def validation_losses(model, members: list, n: int, routing: Routing, pad_id: int, device: str,
                      batch_rows: int = 64, split: str = "valid") -> dict[int, float]:
    """Mean validation token loss of each given member of a cohort of `n` (dropout off), on each
    member's own valid split, or (`split = "valid_shared"`) on its shared validation examples."""
    import torch

    from codegen_study.training.train_step import autocast_context

    model.eval()
    sums = torch.zeros(n, device=device)
    counts = torch.zeros(n, device=device)
    rows = [(m.index, row) for m in members
            for row in rows_of(m.shared_ex if split == "valid_shared" else m.valid_ex, m.dcfg)]
    with torch.no_grad():
        for start in range(0, len(rows), batch_rows):
            chunk = rows[start:start + batch_rows]
            parts = [(i, [row]) for i, row in chunk]
            batch, route, targets = batch_of(parts, pad_id, device, n)
            routing.set(route)
            with autocast_context(members[0].tcfg, device):
                s, c = member_token_losses(model, batch, targets, n)
            sums += s
            counts += c
    model.train()
    values = (sums / counts.clamp(min=1)).tolist()
    return {m.index: values[m.index] for m in members}


# -- fused kernels ------------------------------------------------------------------------------
def decoder_of(model):
    """The decoder stack (embeddings, layers, final norm) of a causal LM."""
    return model.get_decoder() if hasattr(model, "get_decoder") else model.model


def require_liger(where: str, device: str) -> None:
    """A UserError naming `where` (the config) unless liger-kernel is installed and `device` is a
    CUDA GPU (its kernels are Triton); checked before the model loads."""
    import importlib.util

    import torch

    missing = [what for what, lacking in (("the liger-kernel package (pip install liger-kernel)",
                                           importlib.util.find_spec("liger_kernel") is None),
                                          (f"a CUDA GPU (this cohort trains on {device})",
                                           torch.device(device).type != "cuda")) if lacking]
    if missing:
        raise UserError(f"{where}: train.liger = true needs {' and '.join(missing)}; set train.liger = false")


def apply_liger(model, where: str) -> None:
    """liger-kernel's fused RMSNorm, SwiGLU and RoPE on the base model, before the cohort layers are
    attached (the patched MLP calls its projections, so they become cohort layers all the same).
    Its fused linear cross-entropy stays off: the cohort's loss reaches the output layer only at the
    supervised positions (`member_token_losses`), never through the model's own forward, and the
    decoder (`decoder_of`) is left as it was. liger replaces the RoPE, RMSNorm and MLP of the
    model's architecture in transformers' modeling module, so a model of that architecture loaded
    later in the process gets them too."""
    from liger_kernel.transformers import _apply_liger_kernel_to_instance
    from liger_kernel.transformers.monkey_patch import MODEL_TYPE_TO_APPLY_LIGER_FN

    kind = getattr(model.config, "model_type", None)
    if kind not in MODEL_TYPE_TO_APPLY_LIGER_FN:  # liger itself would only log it and patch nothing
        raise UserError(f"{where}: train.liger = true, but liger-kernel has no kernels for model type {kind!r}; "
                        "set train.liger = false")
    _apply_liger_kernel_to_instance(model=model, fused_linear_cross_entropy=False, cross_entropy=False)


def compile_layers(model) -> None:
    """Each decoder layer compiled on its own (regional compilation). The layers share one code path
    and, their LoRA layers being of one class (`cohort_linear_type`), one graph serves every layer
    but the first (whose input needs no gradient: a graph of its own), so compiling takes two
    layers' time, not the whole model's. Embeddings, final norm and the loss stay eager.

    Rows are padded to the longest of their micro-batch, so the sequence length changes at every
    micro-batch: `mark_sequence` marks it dynamic before each call, and the first graph serves every
    length (left to automatic dynamic shapes, the first graph would be specialised on the first
    length and a second one compiled at the next micro-batch). The row count and the route stay the
    same through training (active runs x micro-batch rows, every run in order) and are left to
    automatic dynamic shapes: validation (no gradients, one block per row, a shorter last batch), a
    run that finishes before the others, or a smaller micro-batch after running out of memory each
    compile a graph or two, once."""
    import torch

    # the layers' one code path holds every graph (training, validation, packed rows, a route that
    # leaves finished runs out): more than Dynamo's default of 8 per code path, past which it runs eagerly
    config = torch._dynamo.config
    limit = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"  # older torch's name
    setattr(config, limit, max(getattr(config, limit), 64))
    for layer in decoder_of(model).layers:
        # the compiled forward is called from the layer's own __call__, so the hook runs eagerly before it
        layer.forward = torch.compile(layer.forward)
        layer.register_forward_pre_hook(mark_sequence, with_kwargs=True)


SEQUENCE_DIMS = {"hidden_states": (-2,), "position_ids": (-1,), "attention_mask": (-2, -1),
                 "position_embeddings": (-2,)}  # (cos, sin): (batch or 1, sequence, head dim)


def mark_sequence(_module, args: tuple, kwargs: dict) -> None:
    """Forward pre-hook of a compiled decoder layer: its inputs' sequence dimensions marked dynamic
    (`compile_layers`). `maybe_mark_dynamic`: a model whose code pins a length gets a specialised
    graph, not an error."""
    import torch

    given = {**({"hidden_states": args[0]} if args else {}), **kwargs}
    for name, dims in SEQUENCE_DIMS.items():
        value = given.get(name)
        for t in value if isinstance(value, tuple) else (value,):
            if isinstance(t, torch.Tensor):
                for dim in dims:
                    if t.dim() >= -dim:
                        torch._dynamo.maybe_mark_dynamic(t, dim % t.dim())
