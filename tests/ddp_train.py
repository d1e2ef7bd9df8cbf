"""Train a small MCLModel with MCLTrainer; run under `accelerate launch` (DDP) or plainly. Used by tests/test_trainer.py.

usage: python tests/ddp_train.py OUT_DIR PER_DEVICE_BATCH [scoring_head]
"""
import json, os, sys
import torch
from transformers import TrainingArguments
from lora_mcl import MCLConfig, get_mcl_model, MCLTrainer
from lora_mcl.markov import MarkovMixture, order1_model

out, per_device = sys.argv[1], int(sys.argv[2])
scoring_head = len(sys.argv) > 3 and sys.argv[3] == "scoring_head"
mix = MarkovMixture([[[.8, .2], [.9, .1]], [[.2, .8], [.25, .75]]])
x, _ = mix.sample(64 * 6, 16, seed=0)
data = [{"input_ids": s, "labels": s} for s in x]
torch.manual_seed(0)
cfg = MCLConfig(num_hyps=2, wta_mode="annealed", temperature_decay=0.9, r=4, lora_alpha=4, target_modules="all-linear",
                scoring_head=scoring_head)
model = get_mcl_model(order1_model(2, seed=0), cfg)
args = TrainingArguments(out, per_device_train_batch_size=per_device, per_device_eval_batch_size=64, learning_rate=1e-2,
                         max_steps=6, logging_steps=3, save_steps=6, report_to=[], seed=0, use_cpu=True, disable_tqdm=True,
                         ddp_backend="gloo" if int(os.environ.get("WORLD_SIZE", "1")) > 1 else None, ddp_find_unused_parameters=False)
trainer = MCLTrainer(model, args, train_dataset=data, eval_dataset=data[:128])
trainer.train()
metrics = trainer.evaluate()
if trainer.is_world_process_zero():
    json.dump({"world_size": trainer.accelerator.num_processes, "metrics": metrics,
               "log_history": trainer.state.log_history}, open(os.path.join(out, "result.json"), "w"))
