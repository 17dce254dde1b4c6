"""LoRA adapters on a causal LM for `train`: the PEFT wrapping and the seeded initialisation.

Why the initialisation is our own: PEFT draws LoRA A from the process's random stream, which
depends on everything drawn before it; drawing it from a generator seeded with the run's seed gives
the same adapter whether the run trains alone (`train`), under DDP, or in a `cohort`.
"""

from __future__ import annotations

import math
import warnings

from codegen_study.core.errors import UserError
from codegen_study.training.train_config import TrainConfig


def prepare_for_training(model, tcfg: TrainConfig):
    """LoRA-wrapped model ready to train: liger patches, kbit prep, checkpointing, adapters."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    from codegen_study.models import is_quantized

    if tcfg.liger:
        try:
            from liger_kernel.transformers import _apply_liger_kernel_to_instance
        except ImportError as exc:
            raise UserError("liger = true needs the liger-kernel package (and a CUDA GPU)") from exc
        _apply_liger_kernel_to_instance(model=model)
    gc_kwargs = {"use_reentrant": False}  # non-reentrant checkpointing propagates grads to LoRA
    if is_quantized(model):
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=tcfg.gradient_checkpointing,
                                                gradient_checkpointing_kwargs=gc_kwargs)
    elif tcfg.gradient_checkpointing:
        if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.2x name
            model.activation_checkpointing_enable(activation_checkpointing_kwargs=gc_kwargs)
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=gc_kwargs)
        model.enable_input_require_grads()
    lora = LoraConfig(r=tcfg.lora_r, lora_alpha=tcfg.lora_alpha, lora_dropout=tcfg.lora_dropout,
                      target_modules=list(tcfg.target_modules), task_type="CAUSAL_LM")
    with warnings.catch_warnings():  # peft reads transformers' deprecated `is_gradient_checkpointing`
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        model = get_peft_model(model, lora)
    model.config.use_cache = False
    return model


def init_lora(pairs, seed: int) -> None:
    """PEFT's default LoRA initialisation (A Kaiming-uniform with a = sqrt 5, B zero), drawn from a
    generator seeded with the run's seed, pair by pair in module order: the same seed gives the same
    adapter whether the run trains alone (`train`) or in a cohort (`cohort`)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for a, b in pairs:
            init = torch.empty(a.shape)
            torch.nn.init.kaiming_uniform_(init, a=math.sqrt(5), generator=gen)
            a.copy_(init)
            b.zero_()


def lora_pairs(peft_model) -> list:
    """(A, B) weight pairs of a PEFT model's active adapter, in module order."""
    from peft.tuners.lora import LoraLayer

    name = peft_model.active_adapter
    return [(m.lora_A[name].weight, m.lora_B[name].weight) for m in peft_model.modules()
            if isinstance(m, LoraLayer) and name in m.lora_A]
