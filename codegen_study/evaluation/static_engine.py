"""The static-cache decode engine (`engine.generate(..., engine="static")`) and the padding,
device and sampling helpers both engines share.

A decode loop over the model's own modules (projections, norms, MLP, rotary table; LoRA layers of
peft included, and per-row adapters through an `AdapterBank`'s hooks) with a key/value cache
preallocated for the whole batch; rows whose answers ended take waiting prompts (`stream`); on
CUDA the one-token step replays as a captured CUDA graph, one per attended span and batch size; on
a CPU the thread count is chosen by timing. See `engine` for the interface.
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
    still empty for most of the answer, until refilled rows have wrapped the ring (`_open`).
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

    # -- decoding ---------------------------------------------------------------------------
    def __call__(self, prompts, *, max_new_tokens, temperature, top_p, seed, stop_ids, pad_id, adapter_ids=None):
        """Every prompt's `max_new_tokens` generated ids (stop token included, pad after it), in
        the prompts' order, all decoded in one batch."""
        rows: list = [None] * len(prompts)
        for finished in self.stream(prompts, max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p,
                                    seed=seed, stop_ids=stop_ids, pad_id=pad_id, adapter_ids=adapter_ids):
            for i, tokens in finished:
                rows[i] = tokens + [pad_id] * (max_new_tokens - len(tokens))
        return rows

    def stream(self, prompts, *, max_new_tokens, temperature, top_p, seed, stop_ids, pad_id, adapter_ids=None,
               slots: int | None = None):
        """Decode `prompts` through `slots` batch rows (all at once by default), yielding
        [(prompt index, generated ids, stop token included)] as rows finish.

        Prompts enter in the order given. With fewer slots than prompts, a row whose answer ended
        takes the next waiting prompt (checked every 16 steps; `refills` counts them), so the batch
        stays full until the last prompts enter: most answers end long before the longest one, and
        a decode step costs about as much for a few rows as for a full batch. Once no prompt waits,
        finished rows leave the batch instead (`_narrow`). Each row is decoded as it would be
        alone, up to the device's numerics for another batch shape; sampled rows draw from one
        generator seeded with `seed`, in an order set by which prompts shared the batch, so the
        same prompts in the same order give the same tokens."""
        import torch

        if not prompts:
            return
        try:
            with torch.inference_mode():
                st = self._open(prompts, max_new_tokens, temperature, top_p, seed, stop_ids, pad_id, adapter_ids,
                                min(slots or len(prompts), len(prompts)))
            while st.waiting or any(o >= 0 for o in st.owner):
                with torch.inference_mode():
                    finished = self._advance(st)
                if finished:
                    yield finished
        finally:
            if self.bank is not None:
                self.bank.rows = None
            if self.threads is not None:
                self.threads.restore()

    def _open(self, prompts, max_new, temperature, top_p, seed, stop_ids, pad_id, adapter_ids, b) -> _State:
        """The decode state of `b` rows, filled with the first `b` prompts. Each row's key/value
        cache is a ring of `length` slots and every row writes the same slot at each step; a
        prompt that enters is written to the slots just before it (left-padded), so a row's prompt
        and answer always fit in the ring, and `valid` marks the slots of each row's own prompt."""
        import torch

        dev = self.device
        st = _State()
        st.prompts, st.max_new, st.pad = prompts, max_new, pad_id
        st.adapters = adapter_ids if self.bank is not None and adapter_ids else [0] * len(prompts)
        width = max(len(p) for p in prompts)
        st.length = width + max_new
        self._rope_tables(st.length)
        shape = (b, self.n_kv, st.length, self.head_dim)
        st.kc = [torch.zeros(shape, dtype=self.dtype, device=dev) for _ in self.inner.layers]
        st.vc = [torch.zeros(shape, dtype=self.dtype, device=dev) for _ in self.inner.layers]
        st.valid = torch.zeros((b, st.length), dtype=torch.bool, device=dev)
        st.tok = torch.zeros(b, dtype=torch.long, device=dev)
        st.pos = torch.zeros(b, dtype=torch.long, device=dev)  # position of the token being fed
        st.slot = width  # the cache slot it is written to, known on the host ...
        st.clock = width  # ... and counted from the start, never wrapping (`born` counts the same way)
        st.t = torch.tensor([width], dtype=torch.long, device=dev)  # ... and on the device
        st.span = min(st.length, width + self.span_step)
        st.adapter = torch.zeros(b, dtype=torch.long, device=dev) if self.bank is not None else None
        vocab = self.base.lm_head.weight.shape[0] if hasattr(self.base.lm_head, "weight") else None
        st.logits = torch.empty((b, vocab or self.base.config.vocab_size), dtype=self.dtype, device=dev)
        st.gen = torch.full((b, max_new + 1), pad_id, dtype=torch.long, device=dev)  # last column: scratch
        st.n_gen = torch.zeros(b, dtype=torch.long, device=dev)
        st.done = torch.ones(b, dtype=torch.bool, device=dev)
        st.owner = [-1] * b  # the prompt each row decodes, -1 for none
        st.born = [0] * b  # the clock at the first slot of each row's prompt
        st.stops = torch.tensor(stop_ids or [-1], device=dev)
        gen = torch.Generator(device=dev)
        gen.manual_seed(seed)
        st.pick = _sampler(temperature, top_p, gen)
        st.waiting = list(range(len(prompts)))
        self._fill(st, list(range(b)))
        st.step = self._stepper(st)
        return st

    def _fill(self, st, free: list[int]) -> None:
        """Give free rows the next waiting prompts: prefill each distinct (adapter, prompt) once
        (the n samples of a problem share one), write its cache to the slots before `st.slot`,
        and start each row from its prompt's first generated token."""
        import torch

        dev = self.device
        take, st.waiting = st.waiting[:len(free)], st.waiting[len(free):]
        uniq: dict[tuple, int] = {}
        firsts = []  # the first prompt of each distinct (adapter, prompt)
        inverse = []
        for i in take:
            u = uniq.setdefault((st.adapters[i], *st.prompts[i]), len(uniq))
            if u == len(firsts):
                firsts.append(i)
            inverse.append(u)
        ids, mask = _left_pad([st.prompts[i] for i in firsts], st.pad, dev)
        w = ids.shape[1]
        slots = torch.arange(st.slot - w, st.slot, device=dev) % st.length
        u_adapters = torch.tensor([st.adapters[i] for i in firsts], device=dev)
        rows_t = torch.tensor(free[:len(take)], device=dev)
        pieces = []  # (positions in `take`, their rows' first-token logits), in prefill order
        if dev.type == "cpu":  # one prompt at a time: no padding computed, causal attention without a mask
            for u, n in enumerate(mask.sum(-1).tolist()):
                part = [j for j, k in enumerate(inverse) if k == u]
                pieces.append((part, self.threads.run(lambda u=u, n=n, part=part: self._prefill(
                    ids[u:u + 1, w - n:], mask[u:u + 1, w - n:], st, rows_t[part], slots[w - n:], u_adapters[u:u + 1],
                    torch.zeros(len(part), dtype=torch.long), causal=True), work=n, kind="prefill")))
        else:
            chunk = max(1, self.prefill_tokens // w)
            for a in range(0, len(firsts), chunk):
                part = [j for j, k in enumerate(inverse) if a <= k < a + chunk]
                local = torch.tensor([inverse[j] - a for j in part], device=dev)
                pieces.append((part, self._prefill(ids[a:a + chunk], mask[a:a + chunk], st, rows_t[part], slots,
                                                   u_adapters[a:a + chunk], local)))
        order = [j for part, _ in pieces for j in part]
        first = st.pick(torch.cat([logits for _, logits in pieces]))
        rows = rows_t[order]
        inv = torch.tensor([inverse[j] for j in order], device=dev)
        st.valid[rows] = False
        st.valid[rows[:, None], slots[None, :]] = mask[inv].bool()
        st.tok[rows] = first
        st.pos[rows] = mask[inv].sum(-1)
        st.gen[rows] = st.pad
        st.gen[rows, 0] = first
        st.n_gen[rows] = 1
        st.done[rows] = torch.isin(first, st.stops) | (st.max_new <= 1)
        if self.bank is not None:
            st.adapter[rows] = u_adapters[inv]
            self.bank.rows = st.adapter  # the decode step reads the rows' adapter ids from this tensor
        for j in order:
            st.owner[free[j]] = take[j]
            st.born[free[j]] = st.clock - w

    def _advance(self, st) -> list[tuple[int, list[int]]]:
        """Sixteen decode steps, then one look at the host: the rows that finished go back to the
        caller, and their slots take waiting prompts or leave the batch."""
        import torch

        for _ in range(16):
            if st.slot >= st.span:  # the next slot is past the keys attended to: attend further
                st.span = min(st.length, st.span + self.span_step)
                st.step = self._stepper(st)
            if self.threads is not None:
                self.threads.run(st.step, kind="decode")
            else:
                st.step()
            nxt = torch.where(st.done, st.pad, st.pick(st.logits))  # the sampler converts to float32
            live = ~st.done
            st.gen.scatter_(1, torch.where(live, st.n_gen, st.max_new)[:, None], nxt[:, None])
            st.n_gen.add_(live.long())
            st.done |= torch.isin(nxt, st.stops) | (st.n_gen >= st.max_new)
            st.tok.copy_(nxt)
            st.pos.add_(1).clamp_(max=st.length - 1)  # a finished row's position stays in the rotary table
            st.slot = (st.slot + 1) % st.length
            st.clock += 1
            st.t.fill_(st.slot)
        done = st.done.tolist()  # the one host sync of the sixteen steps
        ended = [r for r, d in enumerate(done) if d and st.owner[r] >= 0]
        finished = []
        if ended:
            at = torch.tensor(ended, device=self.device)
            for r, row, n in zip(ended, st.gen[at].tolist(), st.n_gen[at].tolist()):
                finished.append((st.owner[r], row[:n]))
                st.owner[r] = -1
        free = [r for r, d in enumerate(done) if d]
        if st.waiting and free:
            self.refills += min(len(free), len(st.waiting))
            self._fill(st, free)
        elif not st.waiting and self.compact:
            live = [r for r, o in enumerate(st.owner) if o >= 0]
            if live and len(live) <= len(done) // 2:
                self._narrow(st, torch.tensor(live, device=self.device))
                st.step = self._stepper(st)
        self._recentre(st)
        return finished

    def _recentre(self, st) -> None:
        """Turn the ring so that the slots its rows still use come first, and attend to those only.
        Once the ring has wrapped, a step attends to all of it (the longest prompt of the call plus
        the token limit), while the rows decoding need far less once the longest prompts are done.
        Every row's slots move by the same amount and keys carry their rotary positions, so each
        row attends to what it did before; done when the span would shrink by a quarter or more,
        which the ring's growth back to full length limits to once every quarter turn."""
        import torch

        live = [st.born[r] for r, o in enumerate(st.owner) if o >= 0]
        if st.span < st.length or not live:
            return
        used = st.clock - min(live)
        slot = max(used, max((len(st.prompts[i]) for i in st.waiting[:1]), default=0))  # room for the next prompt
        if slot + self.span_step > st.length * 3 // 4:
            return
        shift = (st.slot - slot) % st.length  # the slot that becomes slot 0
        for cache in (*st.kc, *st.vc):
            cache.copy_(torch.roll(cache, -shift, dims=2))
        st.valid.copy_(torch.roll(st.valid, -shift, dims=1))
        st.slot = slot
        st.t.fill_(slot)
        st.span = slot + self.span_step
        st.step = self._stepper(st)
        self.recentres += 1

    def _stepper(self, st) -> Callable[[], None]:
        """The one-token step over `st`: a captured CUDA graph's replay, or the eager call."""
        if self.bank is not None:
            self.bank.rows = st.adapter  # a graph reads the rows' adapter ids from this tensor
        if self.use_graphs:
            st.graph = None  # the graph of the previous span and its memory pool go first
            return self._capture(st)
        return lambda: self._decode_step(st)

    def _narrow(self, st, keep) -> None:
        """Keep rows `keep` only. Most rows of a batch stop long before the last one does; the
        finished ones would otherwise go on costing attention over the whole cache and a row of
        every matmul at each step. Each row's numbers are computed as before (up to the device's
        numerics for another batch shape); a sampled row draws from the generator in another
        order, so sampled tokens differ from an unnarrowed run's, reproducibly."""
        import torch

        st.graph = None  # the old graph and its memory pool go with the old tensors
        st.kc = [c.index_select(0, keep) for c in st.kc]
        st.vc = [c.index_select(0, keep) for c in st.vc]
        for name in ("valid", "tok", "pos", "gen", "n_gen", "done"):
            setattr(st, name, getattr(st, name).index_select(0, keep))
        if st.adapter is not None:
            st.adapter = st.adapter.index_select(0, keep)
        st.logits = torch.empty((len(keep), st.logits.shape[1]), dtype=st.logits.dtype, device=st.logits.device)
        kept = keep.tolist()
        st.owner = [st.owner[r] for r in kept]
        st.born = [st.born[r] for r in kept]
        self.compactions += 1

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
