"""Prompts through a fixed number of decode rows: a ring-shaped key/value cache, refilled rows,
the ring turned to a shorter span, finished rows dropped. The scheduling half of `StaticEngine`
(a mixin: the model-facing half, `_prefill`, `_stepper` and the decode step, is in
`static_engine`), plus the left padding both engines use and the sampler.

Why: answers end at very different lengths (most long before the token limit), and a decode step
costs about as much for a few rows as for a full batch; a batch that waited for its longest answer
would spend most of its steps on a few rows.
"""

from __future__ import annotations


def left_pad(prompts: list[list[int]], pad_id: int, device):
    """(ids, mask) [len(prompts), longest]: each prompt right-aligned, padded on the left."""
    import torch

    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
        mask[i, width - len(p) :] = 1
    return ids.to(device), mask.to(device)


class RingSchedule:
    """`StaticEngine`'s decode loop over its rows (see the module docstring)."""

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
        st.slot = width  # the ring slot the fed token is written to, on the host
        st.t = torch.tensor([width], dtype=torch.long, device=dev)  # the same, on the device
        st.clock = width  # slots written since the start, never wrapping (`born` counts the same way)
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
        ids, mask = left_pad([st.prompts[i] for i in firsts], st.pad, dev)
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
            st.born[free[j]] = st.clock - len(st.prompts[take[j]])  # its own first slot (the rest is padding)

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
        The attended span only grows as the write slot moves on (to the whole ring once it has
        wrapped: the call's longest prompt plus the token limit), while the rows decoding need
        their own prompt and answer so far, far less once the longest prompts are done; every row
        attends to the whole span at every step. Every row's slots move by the same amount and
        keys carry their rotary positions, so each row attends to what it did before. Done when
        the span would shrink by at least two span steps: a turn copies the cache once (and
        captures a new graph), which the shorter span repays within a few dozen steps."""
        import torch

        live = [st.born[r] for r, o in enumerate(st.owner) if o >= 0]
        if not live:
            return
        used = st.clock - min(live)
        slot = max(used, max((len(st.prompts[i]) for i in st.waiting[:1]), default=0))  # room for the next prompt
        if st.span - (slot + self.span_step) < 2 * self.span_step:
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
