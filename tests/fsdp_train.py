"""Four relaxed-WTA steps of an MCLModel sharded with FSDP2 (`fully_shard`), or on one process; writes the K adapters.

usage: torchrun --nproc-per-node 2 tests/fsdp_train.py OUT.pt [scoring_head]   (or: python tests/fsdp_train.py OUT.pt [scoring_head])
With scoring_head the model carries a scoring head, and MCLModel itself is sharded too (the head belongs to it).
"""
import os, sys
import torch
import torch.distributed as dist
from lora_mcl import MCLConfig, get_mcl_model
from lora_mcl.testing import tiny_batch, tiny_model

out = sys.argv[1]
scoring_head = len(sys.argv) > 2 and sys.argv[2] == "scoring_head"
world = int(os.environ.get("WORLD_SIZE", "1"))
torch.manual_seed(0)
model = get_mcl_model(tiny_model("llama"), MCLConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
                                                     num_hyps=3, wta_mode="relaxed", epsilon=0.1, init_lora_weights=False,
                                                     scoring_head=scoring_head))
batch = tiny_batch(batch_size=8, seq_len=12, seed=3)
if world > 1:
    from torch.distributed.fsdp import fully_shard
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    for layer in model.model.model.layers: fully_shard(layer)        # each decoder layer, then the whole transformers model
    fully_shard(model.model)
    if scoring_head: fully_shard(model)                               # the head is a module of MCLModel, not of the base
    n = 8 // world
    batch = {k: v[rank * n:(rank + 1) * n] for k, v in batch.items()}   # each process its part of the batch
opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
for step in range(4):
    out_ = model(**batch)
    out_.loss.backward()        # FSDP2 averages the gradients over processes: the mean over the whole batch
    opt.step(); opt.zero_grad()
full = lambda v: (v.full_tensor() if hasattr(v, "full_tensor") else v).detach().clone()
sd = {k: full(v) for k, v in model.stacked_state_dict().items()}
if scoring_head: sd.update({f"scoring_head.{k}": full(v) for k, v in model.scoring_head.state_dict().items()})
if world == 1 or dist.get_rank() == 0: torch.save(sd, out)
if world > 1: dist.destroy_process_group()
