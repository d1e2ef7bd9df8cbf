"LoRA-MoE: the mixture loss written out by hand, the router sees only the context, encoder-decoders, decoding."
import math
import pytest
import torch
from lora_mcl import MCLConfig
from lora_mcl.moe import get_moe_model, MoEDecoding
from lora_mcl.decoding import decode_candidates, count_forward_rows, MCLDecoding
from lora_mcl.testing import tiny_model, tiny_batch, TINY_TARGETS


@pytest.mark.parametrize("arch", ["llama", "t5"])
def test_mixture_loss_by_hand(arch):
    torch.manual_seed(0)
    moe = get_moe_model(tiny_model(arch), MCLConfig(r=2, target_modules=TINY_TARGETS[arch], num_hyps=3, init_lora_weights=False))
    with torch.no_grad():
        moe.router.weight.normal_(); moe.router.bias.normal_()
    b = tiny_batch(batch_size=3, encoder_decoder=arch == "t5")
    if arch == "llama": b["labels"][:, :3] = -100                        # a prompt of 3 tokens
    out = moe(**b)
    logits = out.logits.double()                                        # (K, B, T, V)
    lab = b["labels"] if arch == "t5" else b["labels"][:, 1:]
    lg = logits if arch == "t5" else logits[:, :, :-1]
    logp = torch.log_softmax(lg, -1).gather(-1, lab.clamp(min=0)[None, ..., None].expand(3, -1, -1, 1))[..., 0]
    S = -(logp * (lab != -100)).sum(-1).T                               # (B, K) summed NLL
    n = (lab != -100).sum(1).double()
    log_pi = moe.router_log_probs(labels=b["labels"], input_ids=b["input_ids"], attention_mask=b["attention_mask"]).double()
    expect = -(torch.logsumexp(log_pi - S, 1) / n).mean()
    assert out.loss.item() == pytest.approx(expect.item(), rel=1e-5)
    assert torch.equal(out.winners, (log_pi - S).argmax(1))
    out.loss.backward()
    assert moe.router.weight.grad.abs().sum() > 0 and all(
        p.grad is not None for n_, p in moe.named_parameters() if "lora_" in n_)


def test_router_ignores_the_target():
    moe = get_moe_model(tiny_model("llama"), MCLConfig(r=2, target_modules=["q_proj"], num_hyps=2))
    b = tiny_batch(batch_size=2)
    b["labels"][:, :4] = -100
    other = b["input_ids"].clone(); other[:, 4:] = 5                     # change only target tokens
    f1 = moe.context_features(labels=b["labels"], input_ids=b["input_ids"], attention_mask=b["attention_mask"])
    f2 = moe.context_features(labels=b["labels"], input_ids=other, attention_mask=b["attention_mask"])
    assert torch.equal(f1, f2)


def test_moe_decoding_budget_and_errors():
    moe = get_moe_model(tiny_model("qwen2"), MCLConfig(r=2, target_modules=TINY_TARGETS["qwen2"], num_hyps=3, init_lora_weights=False))
    b = {k: v for k, v in tiny_batch(batch_size=2).items() if k != "labels"}
    kw = dict(max_new_tokens=4, min_new_tokens=4)
    with count_forward_rows(moe) as c1: a = decode_candidates(moe, b, MoEDecoding("stochastic", num_beams=2, seed=1), 3, **kw)
    with count_forward_rows(moe) as c2: decode_candidates(moe, b, MCLDecoding(num_beams=2), 3, **kw)
    assert a.shape == (2, 3, 4) and c1.rows == c2.rows
    with pytest.raises(ValueError, match="routing"):
        MoEDecoding("top1")
    with pytest.raises(ValueError, match="one candidate per expert"):
        decode_candidates(moe, b, MoEDecoding("expert"), 2, **kw)
