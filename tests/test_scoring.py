"Scoring heads: the head recovers context-dependent mode frequencies, and a trainer checkpoint resumes it exactly."
import torch
from transformers import TrainingArguments, logging as hf_logging
from lora_mcl import MCLConfig, get_mcl_model, MCLTrainer
from lora_mcl.testing import tiny_model, TINY_TARGETS

hf_logging.set_verbosity_error()
TARGETS = TINY_TARGETS["llama"] + ["lm_head"]

def two_contexts():
    "Context 3: mode A 80%, mode B 20%; context 4: A 20%, B 80% (exact frequencies, 10 rows each)."
    modes, rows = [[5, 6, 7, 8], [9, 10, 11, 12]], []
    for c, f in ((3, 8), (4, 2)):
        rows += [[c] + modes[0]] * f + [[c] + modes[1]] * (10 - f)
    ids = torch.tensor(rows); labels = ids.clone(); labels[:, 0] = -100
    return ids, labels

def test_head_recovers_context_dependent_frequencies():
    ids, labels = two_contexts()
    torch.manual_seed(1)
    m = get_mcl_model(tiny_model("llama", vocab_size=16, seed=1),
                      MCLConfig(r=4, lora_alpha=8, target_modules=TARGETS, num_hyps=2, wta_mode="wta", scoring_head=True))
    opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-2)
    m.train()
    for _ in range(150):
        out = m(input_ids=ids, labels=labels); opt.zero_grad(); out.loss.backward(); opt.step()
    # the hypotheses split the two modes; each context's rows of one mode all go to one hypothesis
    ka, kb = out.winners[0].item(), out.winners[-1].item()
    assert ka != kb and (out.winners[:8] == ka).all() and (out.winners[10:12] == ka).all() and (out.winners[12:] == kb).all()
    p = m.eval().score_hypotheses(input_ids=torch.tensor([[3], [4]]))
    assert torch.allclose(p[:, ka], torch.tensor([0.8, 0.2]), atol=0.05), p
    assert torch.allclose(p[:, kb], torch.tensor([0.2, 0.8]), atol=0.05), p

def test_trainer_checkpoint_resumes_the_head_exactly(tmp_path):
    ids, labels = two_contexts()
    ds = [{"input_ids": i, "labels": l} for i, l in zip(ids, labels)]
    def run(out, resume=None, max_steps=6):
        torch.manual_seed(0)
        m = get_mcl_model(tiny_model("llama", vocab_size=16),
                          MCLConfig(r=4, lora_alpha=8, target_modules=TARGETS, num_hyps=2, wta_mode="wta", scoring_head=True))
        args = TrainingArguments(str(out), per_device_train_batch_size=10, max_steps=max_steps, learning_rate=1e-2, logging_steps=3,
                                 save_steps=3, report_to=[], use_cpu=True, disable_tqdm=True, seed=0, data_seed=0)
        tr = MCLTrainer(m, args, train_dataset=ds)
        tr.train(resume_from_checkpoint=resume)
        return tr, m
    full, m_full = run(tmp_path / "full")
    assert (tmp_path / "full" / "checkpoint-3" / "mcl_scoring_head.safetensors").is_file()
    resumed, m_res = run(tmp_path / "full", resume=str(tmp_path / "full" / "checkpoint-3"))
    for (n, a), b in zip(m_full.scoring_head.state_dict().items(), m_res.scoring_head.state_dict().values()):
        assert torch.equal(a, b), n
    logs = [h for h in full.state.log_history if "scoring_loss" in h]
    assert len(logs) == 2 and all(0 <= h["scoring_accuracy"] <= 1 for h in logs)

def test_head_never_changes_the_adapters_steps(tmp_path):
    "Gradient clipping takes the adapters and the head separately: with a head or without, the same run trains the same adapters."
    ids, labels = two_contexts()
    ds = [{"input_ids": i, "labels": l} for i, l in zip(ids, labels)]
    def run(head):
        torch.manual_seed(0)
        m = get_mcl_model(tiny_model("llama", vocab_size=16),
                          MCLConfig(r=4, lora_alpha=8, target_modules=TARGETS, num_hyps=2, wta_mode="wta", scoring_head=head))
        args = TrainingArguments(str(tmp_path / f"head={head}"), per_device_train_batch_size=10, max_steps=4, learning_rate=1e-2,
                                 max_grad_norm=1e-3, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                                 disable_tqdm=True, seed=0, data_seed=0)
        tr = MCLTrainer(m, args, train_dataset=ds)
        tr.train()
        norms = [h["grad_norm"] for h in tr.state.log_history if "grad_norm" in h]
        return {n: p.detach().clone() for n, p in m.named_parameters() if p.requires_grad and "scoring_head" not in n}, norms
    plain, plain_norms = run(False)
    headed, headed_norms = run(True)
    assert min(plain_norms) > 1e-3                       # clipping acted on every step
    assert headed_norms[0] > plain_norms[0]              # same adapters at step 1: the logged norm also counts the head's
    assert plain.keys() == headed.keys() and len(plain) > 0
    for n, a in plain.items(): assert torch.equal(a, headed[n]), n
