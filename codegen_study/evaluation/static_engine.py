"""The static-cache decode engine (`engine.generate(..., engine="static")`) and the padding,
device and sampling helpers both engines share.

A decode loop over the model's own modules (projections, norms, MLP, rotary table; LoRA layers of
peft included, and per-row adapters through an `AdapterBank`'s hooks) with a key/value cache
preallocated for the whole batch; on CUDA the one-token step replays as a captured CUDA graph, one
per attended span; on a CPU the thread count is chosen by timing. See `engine` for the interface.
"""

from __future__ import annotations

from collections.abc import Callable

from codegen_study.core.cpu import ThreadChooser


def _left_pad(prompts: list[list[int]], pad_id: int, device):
    import torch

    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
        mask[i, width - len(p) :] = 1
    return ids.to(device), mask.to(device)


def _device_of(model):
    return next(model.parameters()).device


SUPPORTED_TYPES = ("llama", "qwen2", "qwen3", "smollm3")


def _rotate_half(x):
    import torch

    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class StaticEngine:
    """Decode loop with a preallocated KV cache; CUDA-graph replay of the one-token step on GPU.

    `use_graphs=None` means: on CUDA, unless a base layer is quantized (bitsandbytes kernels do
    host-side work a graph cannot replay). `prefill_tokens` bounds rows x prompt length per
    prefill chunk, i.e. peak activation memory. `bank` (an `AdapterBank` installed on `model`)
    gives each row its own adapter. A decode step attends to the cache slots written so far,
    rounded up to `span_step` (a graph is captured for each such span), not to the whole cache:
    attention reads the keys and values of every row at every step, and most of the cache is
    still empty for most of the answer.
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

    def _prefill(self, ids, mask, kc, vc, rows: slice, adapter_ids=None, start: int | None = None):
        """Run prompts `ids` [b, p] (left-padded), fill cache rows from slot `start`, return
        last-position logits. With `start`: one unpadded prompt (`mask` all ones) whose cache goes
        to the right end of a left-padded row; it attends causally, without a mask."""
        import torch
        import torch.nn.functional as F

        b, p = ids.shape
        if self.bank is not None:
            self.bank.rows = adapter_ids
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        cos_t, sin_t = self._rope_tables(pos.max().item() + 1)
        cos, sin = cos_t[pos][:, None], sin_t[pos][:, None]
        rep = self.n_heads // self.n_kv
        allowed, at = None, start or 0
        if start is None:
            causal = torch.ones(p, p, dtype=torch.bool, device=self.device).tril()
            # a padding query attends to itself only: a fully masked row would give NaNs that
            # leak through 0 * NaN into the real rows' attention
            eye = torch.eye(p, dtype=torch.bool, device=self.device)[None]
            allowed = (causal[None] & mask.bool()[:, None, :] | eye)[:, None]

        def kv_write(i, k, v):
            kc[i][rows, :, at:at + p].copy_(k)
            vc[i][rows, :, at:at + p].copy_(v)
            return k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)

        def attend(q, k, v):
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, is_causal=allowed is None, scale=self.scale)
            return o.transpose(1, 2).reshape(b, p, -1)

        h = self.inner.embed_tokens(ids)
        for i, layer in enumerate(self.inner.layers):
            h = self._layer(i, layer, h, cos, sin, kv_write, attend)
        h = self.inner.norm(h[:, -1:])
        return self.base.lm_head(h)[:, -1].float()

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

    # -- one batch --------------------------------------------------------------------------
    def __call__(self, prompts, *, max_new_tokens, temperature, top_p, seed, stop_ids, pad_id, adapter_ids=None):
        import torch

        try:
            with torch.inference_mode():
                return self._run(prompts, max_new_tokens, temperature, top_p, seed, stop_ids, pad_id, adapter_ids)
        finally:
            if self.bank is not None:
                self.bank.rows = None
            if self.threads is not None:
                self.threads.restore()

    def _run(self, prompts, max_new, temperature, top_p, seed, stop_ids, pad_id, adapter_ids=None):
        import torch

        dev = self.device
        if self.bank is not None and adapter_ids is None:
            adapter_ids = [0] * len(prompts)
        ids, mask = _left_pad(prompts, pad_id, dev)
        b, p = ids.shape
        length = p + max_new
        self._rope_tables(length)
        shape = (b, self.n_kv, length, self.head_dim)
        n_layers = len(self.inner.layers)
        st = _State()
        st.kc = [torch.zeros(shape, dtype=self.dtype, device=dev) for _ in range(n_layers)]
        st.vc = [torch.zeros(shape, dtype=self.dtype, device=dev) for _ in range(n_layers)]
        gen = torch.Generator(device=dev)
        gen.manual_seed(seed)
        stops = torch.tensor(stop_ids or [-1], device=dev)
        pick = _sampler(temperature, top_p, gen)

        # prefill each distinct (adapter, prompt) once (n samples of a problem share one), in row
        # chunks, then copy its cache to the rows that repeat it; the first new token comes from
        # the prompt's last position
        uniq: dict[tuple, int] = {}
        owners = adapter_ids or [0] * b
        inverse = torch.tensor([uniq.setdefault((a, *q), len(uniq)) for a, q in zip(owners, prompts)], device=dev)
        firsts = [inverse.tolist().index(u) for u in range(len(uniq))]
        u_ids, u_mask = ids[firsts], mask[firsts]
        u_adapters = torch.tensor([owners[f] for f in firsts], device=dev)
        n_u = len(firsts)
        chunk = max(1, self.prefill_tokens // max(p, 1))
        last = []
        if dev.type == "cpu":  # one prompt at a time: no padding computed, causal attention without a mask
            lengths = u_mask.sum(-1).tolist()
            for r, n in enumerate(lengths):
                last.append(self.threads.run(lambda r=r, n=n: self._prefill(
                    u_ids[r:r + 1, p - n:], u_mask[r:r + 1, p - n:], st.kc, st.vc, slice(r, r + 1), u_adapters[r:r + 1],
                    start=p - n), work=n, kind="prefill"))
        for r in range(0, n_u if dev.type != "cpu" else 0, chunk):
            rows = slice(r, min(n_u, r + chunk))
            last.append(self._prefill(u_ids[rows], u_mask[rows], st.kc, st.vc, rows, u_adapters[rows]))
        if n_u < b:
            for cache in (*st.kc, *st.vc):
                cache.copy_(cache[inverse])
        first = pick(torch.cat(last)[inverse])
        out = torch.full((b, max_new), pad_id, dtype=torch.long, device=dev)
        out[:, 0] = first
        done = torch.isin(first, stops)
        if max_new == 1:
            return out.tolist()

        st.valid = torch.zeros((b, length), dtype=torch.bool, device=dev)
        st.valid[:, :p] = mask.bool()
        st.tok = first.clone()
        st.pos = mask.sum(-1)  # position of the token being fed
        st.t = torch.tensor([p], dtype=torch.long, device=dev)  # cache slot it is written to
        st.slot = p  # the same slot, known on the host
        st.span = min(length, p + self.span_step)
        st.adapter = torch.tensor(owners, device=dev) if self.bank is not None else None
        vocab = self.base.lm_head.weight.shape[0] if hasattr(self.base.lm_head, "weight") else None
        st.logits = torch.empty((b, vocab or self.base.config.vocab_size), dtype=self.dtype, device=dev)
        step = self._stepper(st)
        rows = torch.arange(b, device=dev)  # the row of `out` each decoded row belongs to
        for i in range(1, max_new):
            if st.slot >= st.span:  # the next slot is past the keys attended to: attend further
                st.span = min(length, st.span + self.span_step)
                step = self._stepper(st)
            if self.threads is not None:
                self.threads.run(step, kind="decode")
            else:
                step()
            nxt = pick(st.logits)  # the sampler converts to float32; argmax needs no copy
            nxt = torch.where(done, pad_id, nxt)
            out[rows, i] = nxt
            done |= torch.isin(nxt, stops)
            st.tok.copy_(nxt)
            st.pos.add_(1)
            st.t.add_(1)
            st.slot += 1
            if i % 16 == 0:  # one host sync every 16 tokens
                left = int((~done).sum())
                if left == 0:
                    break
                if self.compact and left <= len(rows) // 2 and i + 1 < max_new:
                    keep = (~done).nonzero()[:, 0]
                    st, rows, done = self._narrow(st, keep), rows[keep], done[keep]
                    step = self._stepper(st)
        return out.tolist()

    def _stepper(self, st) -> Callable[[], None]:
        """The one-token step over `st`: a captured CUDA graph's replay, or the eager call."""
        if self.bank is not None:
            self.bank.rows = st.adapter  # a graph reads the rows' adapter ids from this tensor
        if self.use_graphs:
            st.graph = None  # the graph of the previous span and its memory pool go first
            return self._capture(st)
        return lambda: self._decode_step(st)

    def _narrow(self, st, keep) -> _State:
        """The decode state of rows `keep` only. Most rows of a batch stop long before the last
        one does; the finished ones would otherwise go on costing attention over the whole cache
        and a row of every matmul at each step. Each row's numbers are computed as before (up to
        the device's numerics for another batch shape); a sampled row draws from the generator
        in another order, so sampled tokens differ from an unnarrowed run's, reproducibly."""
        import torch

        new = _State()
        new.kc = [c.index_select(0, keep) for c in st.kc]
        new.vc = [c.index_select(0, keep) for c in st.vc]
        new.valid = st.valid.index_select(0, keep)
        new.tok = st.tok.index_select(0, keep)
        new.pos = st.pos.index_select(0, keep)
        new.t = st.t.clone()
        new.slot, new.span = st.slot, st.span
        new.adapter = st.adapter.index_select(0, keep) if st.adapter is not None else None
        new.logits = torch.empty((len(keep), st.logits.shape[1]), dtype=st.logits.dtype, device=st.logits.device)
        st.graph = None  # the old graph and its memory pool go with the old state
        self.compactions += 1
        return new

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


class _State:
    """Static tensors of one batch's decode (the CUDA graph reads and writes these addresses)."""


def _sampler(temperature: float, top_p: float, gen):
    """logits [b, vocab] -> next ids [b]: argmax, or top-p sampling at `temperature`."""
    import torch

    if temperature <= 0:
        return lambda logits: logits.argmax(-1)

    def pick(logits):
        probs = torch.softmax(logits.float() / temperature, dim=-1)
        if top_p < 1.0:
            sorted_p, idx = probs.sort(dim=-1, descending=True)
            before = sorted_p.cumsum(-1) - sorted_p  # mass strictly above each token
            sorted_p = sorted_p.masked_fill(before >= top_p, 0.0)  # the top token always stays
            probs = torch.zeros_like(probs).scatter_(-1, idx, sorted_p)
        return torch.multinomial(probs, 1, generator=gen)[:, 0]

    return pick
