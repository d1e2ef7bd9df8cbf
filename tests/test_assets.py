"Real offline assets (installed by `make assets`): skipped where they are not installed."
import pytest
import torch
from lora_mcl import MCLConfig, get_mcl_model
from lora_mcl.assets import smollm2_available, smollm2_path

needs_smollm2 = pytest.mark.skipif(not smollm2_available(), reason="SmolLM2 not installed: run `make assets`")


@needs_smollm2
def test_smollm2_winner_only_step_matches_full_step():
    "One hard-WTA training step on the real SmolLM2-135M: winner-only and full paths give the same loss and gradients."
    from transformers import AutoModelForCausalLM, AutoTokenizer
    path = smollm2_path()
    tok = AutoTokenizer.from_pretrained(path)
    batch = tok(["A red apple on a table.", "Un chat noir dort."], return_tensors="pt", padding=True)
    batch["labels"] = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    cfg = MCLConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], num_hyps=2, wta_mode="wta",
                    lora_dropout=0.1, init_lora_weights=False)
    model = get_mcl_model(AutoModelForCausalLM.from_pretrained(path), cfg).train()
    results = []
    for winner_only in (False, True):
        model.mcl_config.winner_only_backward = winner_only
        model.zero_grad(); torch.manual_seed(0)
        out = model(**batch)
        out.loss.backward()
        grads = torch.cat([p.grad.flatten() for n, p in model.named_parameters() if "lora_" in n])
        results.append((out, grads))
    (full, g_full), (wo, g_wo) = results
    assert torch.isfinite(full.loss) and 0 < full.loss.item() < 20
    assert torch.equal(wo.winners, full.winners)
    torch.testing.assert_close(wo.loss, full.loss, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(g_wo, g_full, rtol=1e-3, atol=1e-5)
    assert g_full.abs().sum() > 0
