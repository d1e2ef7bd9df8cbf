"""Trace one K sweep run (K = M = 4, 800 steps, as the Markov notebook trains it) and then train it on, to tell a wrong
assignment from a hypothesis that has not fitted the sequences it wins, and a plateau from a fixed point.

    OMP_NUM_THREADS=1 python results/markov_adaptive/plateau.py MODE SEED   # MODE: adaptive | wta

Records every 10 steps (every step for the first 40) the recovery error of each chain's matched hypothesis, then trains
the same model 1,600 more steps on new sequences (a fresh AdamW, constant learning rate 0.001), recording every 50 steps.
Writes results/markov_adaptive/plateau_<MODE>_seed<SEED>.json and prints the trace (about 10 minutes on one thread).
"""
import copy, json, sys
from pathlib import Path
import numpy as np, torch
from transformers import TrainingArguments, TrainerCallback, PrinterCallback, logging as hf_logging
from lora_mcl import MCLConfig, get_mcl_model, MCLTrainer
from lora_mcl.markov import MarkovMixture, order1_model, learned_transitions, match_hypotheses
from lora_mcl.runner import load_sweep
hf_logging.set_verbosity_error()
mode, seed = sys.argv[1], int(sys.argv[2])
p = load_sweep("experiments/configs/markov_adaptive_k4_seeds.yaml")["runs"][0]["parameters"]   # the K sweep at K = M = 4, 800 steps
steps, bs, L, K, lr = p["steps"], p["batch_size"], p["seq_len"], p["num_hyps"], p["lr"]
more_steps, more_lr = 1600, 1e-3
chains = np.array(p["chains"])
mix = MarkovMixture(chains); V = mix.num_states
x_train, _ = mix.sample(steps * bs, L, seed=seed)                       # the notebook's training draw
base = order1_model(V, hidden_size=32, num_layers=2, seed=seed)
cfg = MCLConfig(num_hyps=K, wta_mode=mode, r=4, lora_alpha=4,                                    # the notebook's defaults
                target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head"])
torch.manual_seed(seed)
model = get_mcl_model(copy.deepcopy(base), cfg)
trace = {"train": [], "more": []}
class Record(TrainerCallback):
    def __init__(self, key, every, first=0): self.key, self.every, self.first = key, every, first
    def on_step_end(self, args, state, control, **kw):
        if state.global_step % self.every == 0 or state.global_step < self.first:
            m = match_hypotheses(learned_transitions(model, V), chains)
            trace[self.key].append({"step": state.global_step, "max_error": m.max_error, "errors": m.errors.tolist(),
                                    "hyp_of_chain": m.hyp_of_chain.tolist()})
def train(key, data, n, lr, schedule, warmup, every, first=0):
    args = TrainingArguments(f"/tmp/plateau-{mode}-{seed}-{key}", per_device_train_batch_size=bs, learning_rate=lr, lr_scheduler_type=schedule,
                             warmup_steps=warmup, weight_decay=0.0, max_steps=n, logging_steps=50, save_strategy="no", report_to=[],
                             seed=seed, data_seed=seed, use_cpu=True, disable_tqdm=True)
    tr = MCLTrainer(model, args, train_dataset=[{"input_ids": s, "labels": s} for s in data])
    tr.remove_callback(PrinterCallback); tr.add_callback(Record(key, every, first)); tr.train()
train("train", x_train, steps, lr, "cosine", steps // 20, 10, 40)      # the notebook's schedule (no evaluation in between)
x_more, _ = mix.sample(more_steps * bs, L, seed=seed + 77)
train("more", x_more, more_steps, more_lr, "constant", 0, 50)
out = Path(__file__).parent / f"plateau_{mode}_seed{seed}.json"
out.write_text(json.dumps({"mode": mode, "seed": seed, "steps": steps, "more_steps": more_steps, "more_lr": more_lr, **trace}, indent=1))
for key in trace:
    for r in trace[key][::5] + trace[key][-1:]:
        print(key, r["step"], f"{r['max_error']:.3f}", np.round(r["errors"], 3).tolist())
print("wrote", out)
