"""Several processes of one job (torchrun / accelerate launch): who am I, on which device, and how
the work is shared.

Both launchers start one process per GPU and describe the job in the environment (WORLD_SIZE,
RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT); nothing here launches processes. With WORLD_SIZE
unset or 1 nothing is initialised and every helper is a no-op, so a single process behaves
exactly as it did before these helpers existed.

Training (`train`) uses a process group for DDP's gradient all-reduce: NCCL on CUDA, gloo on
CPU. Evaluation (`evaluate`) needs no tensor traffic at all -- each rank generates its own share
and appends it to the one store (whose `append` takes a file lock) -- only a barrier before
scoring, so it always uses gloo, with a long timeout: a rank that finished its share waits there
for the slowest one, which after a resumed run can be far longer than gloo's 30-minute default.

Covers: the process group, the rank's device, sums across ranks, `share` (which requests a rank
generates) and `launch_place` (a rank's place without a process group: a cohort's ranks split its
runs and exchange nothing). Does not cover: the training loop (`train`) or the phases (`generate`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    device: str = "cpu"
    distributed: bool = False  # a process group is up (DDP, all-reduce), even with one process

    @property
    def main(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def world_size() -> int:
    """Processes in this job according to the launcher's environment (1 when not launched)."""
    return _env_int("WORLD_SIZE", 1)


def launch_place() -> tuple[int, int, int]:
    """(rank, world size, local rank) as the launcher's environment gives them, with no process
    group: for work that ranks split among themselves without exchanging tensors (a cohort)."""
    return _env_int("RANK", 0), world_size(), _env_int("LOCAL_RANK", 0)


def setup_distributed(device: str | None, *, backend: str | None = None, timeout: timedelta | None = None) -> Dist:
    """This process's place in the job. Rank r runs on cuda:LOCAL_RANK when CUDA is there and
    `device` does not ask for the CPU; `backend` None picks NCCL on CUDA and gloo on CPU."""
    import torch

    if world_size() <= 1:
        return Dist(0, 1, device or ("cuda" if torch.cuda.is_available() else "cpu"))
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and (device is None or device.startswith("cuda"))
    if use_cuda:
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        kwargs: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        dist.init_process_group(backend or ("nccl" if use_cuda else "gloo"), **kwargs)
    return Dist(dist.get_rank(), dist.get_world_size(), f"cuda:{local}" if use_cuda else "cpu", True)


def all_sum(values: list[float], d: Dist) -> list[float]:
    """`values` summed element-wise over the ranks (float64); unchanged without a process group."""
    if not d.distributed:
        return values
    import torch
    import torch.distributed as dist

    device = d.device if dist.get_backend() == "nccl" else "cpu"
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


def barrier(d: Dist) -> None:
    if d.distributed:
        import torch.distributed as dist

        dist.barrier()


def shutdown(d: Dist) -> None:
    """Leave the process group (a clean exit without the 'destroy_process_group' warning)."""
    if d.distributed:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


def share(items: Sequence[T], rank: int, world: int, size: Callable[[T], int]) -> list[T]:
    """Rank `rank`'s share of `items`: every `world`-th item of the list ordered by `size`, largest
    first (a stable sort, so ties keep their order).

    Why this split: dealing the length-ordered list like cards gives every rank the same number of
    items and nearly the same total size (prompt tokens, hence work), and each rank still sorts its
    share into full batches of similar lengths; handing out whole units instead (e.g. whole model
    states round-robin) leaves ranks idle when there are few of them or they differ in size (a
    sampled state has n times the requests of a greedy one). The share depends on the list alone,
    so ranks that read the store at different moments still split the work exactly -- filter what
    is already done *after* taking the share. With one process the list comes back unchanged.
    """
    if world <= 1:
        return list(items)
    if not 0 <= rank < world:
        raise ValueError(f"rank {rank} is not in 0..{world - 1}")
    ordered = sorted(items, key=lambda item: -size(item))
    return ordered[rank::world]
