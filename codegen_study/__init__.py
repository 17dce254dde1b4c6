"""codegen-study: does LoRA on Deep vs Diverse instruction data change a code model's Pass@1?

The library is split into stages (problems -> extract -> sandbox -> grading -> metrics,
training_data -> models -> train -> generate) that communicate only through frozen config
dataclasses (`config`) and the tidy results store (`results`). Heavy dependencies
(torch, transformers, peft) are imported inside the functions that need them, so that
scoring and the report install light.
"""

__version__ = "0.1.0"
