"""The static-cache decode engine (`engine.generate(..., engine="static")`): the model-facing
half (one decoder layer, prefill, the one-token step, CUDA graphs); `decode_ring` schedules the
prompts through its rows.

A decode loop over the model's own modules (projections, norms, MLP, rotary table; LoRA layers of
peft included, and per-row adapters through an `AdapterBank`'s hooks) with a key/value cache
preallocated for the whole batch; rows whose answers ended take waiting prompts (`stream`); on
CUDA the one-token step replays as a captured CUDA graph, one per attended span and batch size; on
a CPU the thread count is chosen by timing. See `engine` for the interface.
"""

from __future__ import annotations

from collections.abc import Callable

from codegen_study.core.cpu import ThreadChooser
from codegen_study.evaluation.decode_ring import RingSchedule


def _device_of(model):
    return next(model.parameters()).device


SUPPORTED_TYPES = ("llama", "qwen2", "qwen3", "smollm3")


def _rotate_half(x):
    import torch

    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class StaticEngine(RingSchedule):
    """Decode loop with a preallocated KV cache; CUDA-graph replay of the one-token step on GPU.

    `use_graphs=None` means: on CUDA, unless a base layer is quantized (bitsandbytes kernels do
    host-side work a graph cannot replay). `prefill_tokens` bounds rows x prompt length per
    prefill chunk, i.e. peak activation memory. `bank` (an `AdapterBank` installed on `model`)
    gives each row its own adapter. A decode step attends to the cache slots written so far,
    rounded up to `span_step` (a graph is captured for each such span), not to the whole cache:
    attention reads the keys and values of every row at every step, and most of the cache is
    still empty for most of the answer; once the rows decoding need less than the span has grown
    to, the span they still use (`decode_ring`).
    """

    def __init__(self, model, *, use_graphs: bool | None = None, prefill_tokens: int = 32768, compact: bool = True,
                 bank=None, span_step: int = 128):
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        cfg = base.config
        kind = getattr(cfg, "model_type", "")
        if kind not in SUPPORTED_TYPES or not hasattr(base, "model") or not hasattr(base.model, "layers"):
            raise NotImplementedError(
                f"the static engine supports {', '.join(SUPPORTED_TYPES)} models, not {kind!r}; use engine='hf'")
        layer_types = getattr(cfg, "layer_types", None) or []
        if getattr(cfg, "use_sliding_window", False) or any(t != "full_attention" for t in layer_types):
            raise NotImplementedError("the static engine does not do sliding-window attention; use engine='hf'")
        self.model, self.base, self.inner = model, base, base.model
        self.n_heads = cfg.num_attention_heads
        self.n_kv = getattr(cfg, "num_key_value_heads", None) or self.n_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // self.n_heads
        self.scale = self.head_dim**-0.5
        self.device = _device_of(base)
        self.dtype = base.get_input_embeddings().weight.dtype
        quantized = any("8bit" in type(m).__name__ or "4bit" in type(m).__name__ for m in base.modules())
        if use_graphs is None:
            use_graphs = self.device.type == "cuda" and not quantized
        self.use_graphs = use_graphs
        self.prefill_tokens = prefill_tokens
        self.compact = compact
        self.bank = bank
        self.span_step = span_step
        self.threads = ThreadChooser() if self.device.type == "cpu" else None
        self.captures = 0  # CUDA graphs captured (for benchmarks)
        self.compactions = 0  # how often a batch was narrowed to its unfinished rows (for tests and benchmarks)
        self.refills = 0  # prompts that took the row of a finished one (for tests and benchmarks)
        self.recentres = 0  # how often the ring was turned to attend a shorter span (`_recentre`)
        self._rope = None  # (cos, sin) tables [positions, head_dim]

    # -- pieces ---------------------------------------------------------------------------
    def _rope_tables(self, n: int):
        import torch

        if self._rope is None or self._rope[0].shape[0] < n:
            pos = torch.arange(n, device=self.device)[None]
            dummy = torch.zeros(1, dtype=self.dtype, device=self.device)
            cos, sin = self.inner.rotary_emb(dummy, pos)
            self._rope = (cos[0], sin[0])
        return self._rope

    def _layer(self, i, layer, h, cos, sin, kv_write, attend):
        """One decoder layer; `kv_write(i, k, v)` stores and returns keys/values to attend to."""
        b, t, _ = h.shape
        sa = layer.self_attn
        x = layer.input_layernorm(h)
        q = sa.q_proj(x).view(b, t, self.n_heads, self.head_dim)
        k = sa.k_proj(x).view(b, t, self.n_kv, self.head_dim)
        v = sa.v_proj(x).view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        if hasattr(sa, "q_norm"):  # Qwen3
            q, k = sa.q_norm(q), sa.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        keys, values = kv_write(i, k, v)
        o = attend(q, keys, values)  # [b, t, heads*dim]
        h = h + sa.o_proj(o)
        return h + layer.mlp(layer.post_attention_layernorm(h))

    def _prefill(self, ids, mask, st, rows, slots, adapter_ids, inverse, causal: bool = False):
        """Run prompts `ids` [u, p] (left-padded) and write their keys and values to the cache of
        batch rows `rows` at ring slots `slots` [p], row j getting prompt `inverse[j]`; return
        each row's last-position logits. `causal`: one unpadded prompt, attended without a mask."""
        import torch
        import torch.nn.functional as F

        b, p = ids.shape
        if self.bank is not None:
            self.bank.rows = adapter_ids
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        cos_t, sin_t = self._rope_tables(int(pos.max()) + 1)
        cos, sin = cos_t[pos][:, None], sin_t[pos][:, None]
        rep = self.n_heads // self.n_kv
        allowed = None
        if not causal:
            causal_mask = torch.ones(p, p, dtype=torch.bool, device=self.device).tril()
            # a padding query attends to itself only: a fully masked row would give NaNs that
            # leak through 0 * NaN into the real rows' attention
            eye = torch.eye(p, dtype=torch.bool, device=self.device)[None]
            allowed = (causal_mask[None] & mask.bool()[:, None, :] | eye)[:, None]

        def kv_write(i, k, v):
            # [rows, slots] picks (len(rows), p, kv heads, dim) of the [b, kv heads, slots, dim] cache
            st.kc[i][rows[:, None], :, slots[None, :]] = k[inverse].transpose(1, 2)
            st.vc[i][rows[:, None], :, slots[None, :]] = v[inverse].transpose(1, 2)
            return k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)

        def attend(q, k, v):
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, is_causal=allowed is None, scale=self.scale)
            return o.transpose(1, 2).reshape(b, p, -1)

        h = self.inner.embed_tokens(ids)
        for i, layer in enumerate(self.inner.layers):
            h = self._layer(i, layer, h, cos, sin, kv_write, attend)
        h = self.inner.norm(h[:, -1:])
        return self.base.lm_head(h)[:, -1].float()[inverse]

    def _decode_step(self, st) -> None:
        """One token for every row: reads st.tok/pos/t, writes st.logits. Graph-capturable."""
        import torch.nn.functional as F

        b = st.tok.shape[0]
        g = self.n_heads // self.n_kv
        span = st.span
        st.valid.index_fill_(1, st.t, True)
        allowed = st.valid[:, None, None, :span]
        cos = self._rope[0].index_select(0, st.pos)[:, None, None]
        sin = self._rope[1].index_select(0, st.pos)[:, None, None]

        def kv_write(i, k, v):
            st.kc[i].index_copy_(2, st.t, k)
            st.vc[i].index_copy_(2, st.t, v)
            return st.kc[i][:, :, :span], st.vc[i][:, :, :span]

        def attend(q, k, v):
            # grouped-query attention without copying K/V: the `g` query heads sharing one KV
            # head become `g` query positions of that head (all see the same keys)
            q = q.reshape(b, self.n_kv, g, self.head_dim)
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, scale=self.scale)
            return o.reshape(b, 1, self.n_heads * self.head_dim)

        h = self.inner.embed_tokens(st.tok[:, None])
        for i, layer in enumerate(self.inner.layers):
            h = self._layer(i, layer, h, cos, sin, kv_write, attend)
        st.logits.copy_(self.base.lm_head(self.inner.norm(h))[:, -1])

    def _stepper(self, st) -> Callable[[], None]:
        """The one-token step over `st`: a captured CUDA graph's replay, or the eager call."""
        if self.bank is not None:
            self.bank.rows = st.adapter  # a graph reads the rows' adapter ids from this tensor
        if self.use_graphs:
            st.graph = None  # the graph of the previous span and its memory pool go first
            return self._capture(st)
        return lambda: self._decode_step(st)

    def _capture(self, st) -> Callable[[], None]:
        """Capture `_decode_step` once for this batch; replaying it launches every kernel at once."""
        import torch

        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # warm-up: the step is idempotent (same slot, same inputs)
            for _ in range(2):
                self._decode_step(st)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._decode_step(st)
        st.graph = graph
        self.captures += 1
        return graph.replay
