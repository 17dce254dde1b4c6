"""The batched pieces of cohort training: one LoRA pair per run chosen per row, padding-free
rows, and a loss that reaches the output layer only at supervised positions.

Why per row: the runs of a cohort share the frozen base weights, so their micro-batches go through
the model as one batch; each row's LoRA term must use its own run's A and B, which a batched
matmul gives without a separate forward per run. A training batch holds every active run's
micro-batch as consecutive rows of equal count, so the batch is cut into one block per run and
the LoRA term is one batched matmul per block against that run's A and B: no per-row copy of the
adapter weights and no scatter of their gradients back, which in eager PyTorch are extra kernels
in every adapted layer. Batches without equal blocks (validation) fall back to one block per row.
Used by `cohort`.
"""

from __future__ import annotations

from typing import Any

from codegen_study.core.errors import UserError


class Routing:
    """How the rows of the current batch map to cohort members (shared by all layers): the batch is
    `blocks` equal runs of consecutive rows, block j trained by member `select[j]`, or by member j
    when `select` is None (every member, in order: the common training batch)."""

    blocks = 1
    select = None  # LongTensor (blocks,) on the device, or None

    def set(self, route: tuple) -> None:
        self.blocks, self.select = route


def cohort_linear(base, n: int, r: int, alpha: float, dropout: float, routing: Routing):
    """`base` (a frozen nn.Linear) plus one LoRA pair per member, chosen per row by `routing`."""
    import torch
    from torch import nn

    class CohortLinear(nn.Module):
        def __init__(self):
            super().__init__()
            self.base = base
            self.lora_A = nn.ParameterList(
                nn.Parameter(torch.zeros(r, base.in_features, device=base.weight.device)) for _ in range(n))
            self.lora_B = nn.ParameterList(
                nn.Parameter(torch.zeros(base.out_features, r, device=base.weight.device)) for _ in range(n))
            self.scale = alpha / r
            self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

        def forward(self, x):
            a, b = torch.stack(list(self.lora_A)), torch.stack(list(self.lora_B))  # (n, r, in), (n, out, r)
            if routing.select is not None:
                a, b = a.index_select(0, routing.select), b.index_select(0, routing.select)
            blocks = routing.blocks
            h = torch.bmm(self.dropout(x).reshape(blocks, -1, x.shape[-1]), a.transpose(1, 2).to(x.dtype))
            y = self.base(x)
            out = torch.baddbmm(y.reshape(blocks, -1, y.shape[-1]), h, b.transpose(1, 2).to(y.dtype), alpha=self.scale)
            return out.reshape(y.shape)

    return CohortLinear()


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

    decoder = model.get_decoder() if hasattr(model, "get_decoder") else model.model
    hidden = decoder(input_ids=batch["input_ids"], position_ids=batch.get("position_ids"), use_cache=False)[0]
    chosen = hidden.reshape(-1, hidden.shape[-1]).index_select(0, targets["index"])
    logits = model.get_output_embeddings()(chosen).float()
    losses = F.cross_entropy(logits, targets["labels"], reduction="none")
    who = targets["member"]
    sums = torch.zeros(n, device=losses.device, dtype=torch.float32).index_add_(0, who, losses)
    counts = torch.zeros(n, device=losses.device, dtype=torch.float32).index_add_(0, who, torch.ones_like(losses))
    return sums, counts
