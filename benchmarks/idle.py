"""Whether the GPUs a benchmark is about to time are free: another process on one of them (a
forgotten job, a second benchmark) slows every kernel and makes the timings meaningless."""

from __future__ import annotations

import json
import subprocess
import sys

#: memory in use (GiB) above which a GPU counts as taken: a CUDA context alone holds well under this
BUSY_GIB = 2.0


def busy_gpus(count: int, limit_gib: float = BUSY_GIB) -> list[str]:
    """'cuda:i (N GiB in use)' for each of the first `count` GPUs holding more than `limit_gib`.
    Asked in a child process, so this one keeps no CUDA context on any GPU."""
    code = ("import json, torch; print(json.dumps([list(torch.cuda.mem_get_info(i)) "
            f"for i in range(min({count}, torch.cuda.device_count()))]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    infos = json.loads(done.stdout.strip().splitlines()[-1])
    return [f"cuda:{i} ({(total - free) / 2**30:.1f} GiB in use)" for i, (free, total) in enumerate(infos)
            if (total - free) / 2**30 > limit_gib]


def refuse_busy(count: int, who: str) -> None:
    """Stop with a message when any of the first `count` GPUs is taken."""
    taken = busy_gpus(count)
    if taken:
        raise SystemExit(f"{who}: another process holds {', '.join(taken)}; timings would measure the sharing, "
                         "not the code. Stop it and rerun.")
