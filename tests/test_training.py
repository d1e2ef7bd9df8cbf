"Gradients of the WTA family through whole models; the base stays frozen."
import pytest
import torch
from conftest import ENC_DEC, make_mcl
from lora_mcl import mcl_loss
from lora_mcl.testing import tiny_batch


def lora_grads(model, k):
    return torch.cat([p.grad[k].flatten() for n, p in model.named_parameters() if "lora_" in n])


def alone_grads(model, sample, k):
    "Gradient of hypothesis k's own per-sequence loss (the plain model k)."
    model.zero_grad()
    out = model(**sample)               # all hypotheses; differentiate k's loss alone
    out.hyp_losses[0, k].backward()
    return lora_grads(model, k)


@pytest.mark.parametrize("arch", ["llama", "t5", "gpt2"])
@pytest.mark.parametrize("mode,eps", [("wta", 0.0), ("relaxed", 0.2)])
def test_gradient_weights(arch, mode, eps):
    model = make_mcl(arch, num_hyps=3)
    batch = tiny_batch(batch_size=2, encoder_decoder=arch in ENC_DEC)
    sample = {k: v[1:] for k, v in batch.items()}
    alone = [alone_grads(model, sample, k) for k in range(3)]
    model.mcl_config.wta_mode, model.mcl_config.epsilon = mode, eps
    model.zero_grad()
    out = model(**sample)
    out.loss.backward()
    w = out.winners.item()
    for k in range(3):
        weight = (1 - eps) if k == w else eps / 2
        g = lora_grads(model, k)
        if weight == 0: assert torch.count_nonzero(g) == 0   # losers get exactly nothing under hard WTA
        else: assert torch.allclose(g, weight * alone[k], atol=1e-7, rtol=1e-4)
    for n, p in model.named_parameters():
        if "lora_" not in n: assert not p.requires_grad and p.grad is None, n


def test_wta_batch_gradient_only_reaches_winners():
    "With B samples, a hypothesis that wins no sample gets zero gradient; each winner's gradient is non-zero."
    model = make_mcl("llama", num_hyps=4)
    out = model(**tiny_batch(batch_size=2))
    model.mcl_config.wta_mode = "wta"
    out = model(**tiny_batch(batch_size=2))
    out.loss.backward()
    winners = set(out.winners.tolist())
    for k in range(4):
        nz = torch.count_nonzero(lora_grads(model, k))
        assert (nz > 0) == (k in winners), (k, winners)


def test_annealed_model_loss_finite_and_schedule():
    model = make_mcl("gpt2", wta_mode="annealed", temperature_init=1.0, temperature_decay=0.5, temperature_final=1e-8)
    batch = tiny_batch()
    for step in [0, 1, 10, 26, 1000]:
        T = model.set_step(step)
        assert T == pytest.approx(max(0.5 ** step, 1e-8), rel=1e-9)
        model.zero_grad()
        out = model(**batch)
        out.loss.backward()
        assert torch.isfinite(out.loss)
        assert all(torch.isfinite(p.grad).all() for n, p in model.named_parameters() if p.grad is not None)
    # big per-sequence losses, tiny temperatures
    L = torch.tensor([[1e4, 2e3, 9e3], [5.0, 5.0, 1e4]], requires_grad=True)
    for T in [1.0, 1e-4, 1e-8]:
        loss, _ = mcl_loss(L, "annealed", temperature=T)
        g, = torch.autograd.grad(loss, L)
        assert torch.isfinite(loss) and torch.isfinite(g).all()


def test_training_moves_only_adapters():
    model = make_mcl("qwen2").train()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    out = model(**tiny_batch())
    out.loss.backward(); opt.step()
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all("lora_" in n for n in changed)


def test_random_mode_trains_random_winner():
    model = make_mcl("llama", num_hyps=3, wta_mode="random")
    torch.manual_seed(0)
    out = model(**tiny_batch(batch_size=1))
    out.loss.backward()
    got = [torch.count_nonzero(lora_grads(model, k)).item() > 0 for k in range(3)]
    assert sum(got) == 1   # exactly one hypothesis (a random one) is trained per sample
