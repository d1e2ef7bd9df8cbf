"Gradients of the WTA family through whole models; the base stays frozen."
import pytest
import torch
from conftest import ENC_DEC, make_mcl
from lora_mcl import MCLConfig, get_mcl_model, mcl_loss
from lora_mcl.testing import TINY_TARGETS, tiny_model
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


def _hard_wta_step(model, batch, winner_only, seed, hyps=None):
    model.mcl_config.winner_only_backward = winner_only
    model.zero_grad(); torch.manual_seed(seed)
    with model.selection.select(hyps): out = model(**batch)
    out.loss.backward()
    grads = torch.cat([p.grad.flatten() for n, p in model.named_parameters() if "lora_" in n])
    return out, grads, torch.rand(2)


@pytest.mark.parametrize("arch", ["gpt2", "llama", "bart", "t5"])
@pytest.mark.parametrize("hyps", [None, [2, 0]])
def test_winner_only_backward_same_gradients_with_dropout(arch, hyps):
    "Winner-only hard WTA == full hard WTA (loss, winners, every adapter gradient, RNG stream) in training mode with dropout."
    base = tiny_model(arch)
    base.set_attn_implementation("eager")    # attention dropout (GPT-2, T5, BART) is replayable when eager, not inside SDPA
    cfg = MCLConfig(r=4, lora_alpha=8, target_modules=TINY_TARGETS[arch], num_hyps=3, wta_mode="wta",
                    lora_dropout=0.3, init_lora_weights=False)
    model = get_mcl_model(base, cfg).train()
    batch = tiny_batch(batch_size=5, seq_len=8, encoder_decoder=model.is_encoder_decoder)
    for seed in (0, 1):
        full, g_full, next_full = _hard_wta_step(model, batch, False, seed, hyps)
        wo, g_wo, next_wo = _hard_wta_step(model, batch, True, seed, hyps)
        assert torch.equal(wo.winners, full.winners)
        torch.testing.assert_close(wo.loss, full.loss, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(g_wo, g_full, rtol=1e-4, atol=1e-5)
        assert torch.equal(next_wo, next_full)                    # the random stream goes on as after the full path
    # and dropout is really on: another seed gives other gradients
    _, g_other, _ = _hard_wta_step(model, batch, True, 7, hyps)
    assert not torch.allclose(g_other, g_wo, atol=1e-6)


def test_winner_only_backward_annealed_switches_at_final_temperature():
    cfg = MCLConfig(r=4, lora_alpha=8, target_modules=TINY_TARGETS["llama"], num_hyps=2, wta_mode="annealed",
                    temperature_init=1.0, temperature_final=0.5, temperature_decay=0.5, winner_only_backward=True,
                    init_lora_weights=False)
    model = get_mcl_model(tiny_model("llama"), cfg).train()
    batch = tiny_batch(batch_size=3)
    assert not model.winner_only_active() and model(**batch).logits is not None     # soft phase: full path
    model.set_step(1)                                                                 # temperature 0.5 = final: hard
    assert model.winner_only_active()
    out = model(**batch)
    assert out.logits is None
    torch.testing.assert_close(out.loss, out.hyp_losses.min(1).values.mean(), rtol=1e-5, atol=1e-6)


def test_winner_only_backward_refuses_unreplayable_randomness():
    cfg = MCLConfig(r=4, target_modules=TINY_TARGETS["gpt2"], num_hyps=2, wta_mode="wta", winner_only_backward=True)
    model = get_mcl_model(tiny_model("gpt2"), cfg).train()                # SDPA attention with attn_pdrop=0.1
    with pytest.raises(ValueError, match="scaled_dot_product_attention"):
        model(**tiny_batch(batch_size=2))
    assert model.selection.rows is None


def test_activation_checkpointing_full_path_only():
    "The full K-row path trains under checkpointing; winner-only and selected hypotheses are refused (the recompute runs after the selection ended)."
    batch = tiny_batch(batch_size=4)
    def model_with(**kw):
        cfg = MCLConfig(r=4, lora_alpha=8, target_modules=TINY_TARGETS["llama"], num_hyps=2, wta_mode="wta", init_lora_weights=False, **kw)
        torch.manual_seed(0)
        m = get_mcl_model(tiny_model("llama"), cfg)
        m.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        return m.train()
    grads = []
    for ckpt in (True, False):
        m = model_with()
        if not ckpt: m.model.gradient_checkpointing_disable()
        assert m.checkpointing() == ckpt
        m(**batch).loss.backward()
        grads.append(torch.cat([p.grad.flatten() for n, p in m.named_parameters() if "lora_" in n]))
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="checkpointing"):
        model_with(winner_only_backward=True)(**batch)
    m = model_with()
    with pytest.raises(ValueError, match="selected"), m.hypothesis(1):
        m(**batch)
    with torch.no_grad(), m.hypothesis(1): m(**batch)                  # inference under a selection is fine
