"Adaptive relaxation: a balanced soft phase at a relative temperature, then hard WTA with shares for starving hypotheses; state moves only while training; checkpoints keep it."
import json
import pytest
import torch
from lora_mcl import MCLConfig, get_mcl_model, MCLModel
from lora_mcl.losses import balanced_weights
from lora_mcl.testing import tiny_model, tiny_batch, TINY_TARGETS

def _model(**kw):
    torch.manual_seed(0)
    return get_mcl_model(tiny_model("llama"), MCLConfig(r=2, lora_alpha=4, target_modules=TINY_TARGETS["llama"], num_hyps=3,
                                                        wta_mode="adaptive", epsilon=0.1, init_lora_weights=False, **kw))

def test_win_rate_average_moves_only_in_training():
    m, b = _model(), tiny_batch(4)
    start = m.win_rate_ema.clone()
    with torch.no_grad(): m.eval()(**b)
    assert torch.equal(m.win_rate_ema, start) and m.relative_temperature == 1.0   # evaluation leaves the state alone
    m.train(); out = m(**b)
    counts = torch.bincount(out.winners, minlength=3).double() / 4
    assert torch.allclose(m.win_rate_ema, 0.9 * start + 0.1 * counts)
    assert abs(m.relative_temperature - 0.8) < 1e-12                 # one training forward: one step of the decay
    for _ in range(29): m(**b)
    assert m.relative_temperature > 0                                # 0.8 ** 30 > 1e-3: still soft
    m(**b); assert m.relative_temperature == 0.0                     # 0.8 ** 31 < 1e-3: the hard phase, for good
    m(**b); assert m.relative_temperature == 0.0

def test_soft_phase_is_balanced_softmax_at_the_relative_temperature():
    m, b = _model(), tiny_batch(6)
    m.train(); out = m(**b)
    L = out.hyp_losses.detach().double()
    T = 1.0 * L.min(1).values.mean().item()                          # relative temperature 1 x the mean best loss
    w = balanced_weights(L, T)
    assert torch.allclose(w.sum(0), torch.full((3,), 2.0, dtype=w.dtype), atol=1e-3)   # each hypothesis a third of the batch
    assert torch.allclose(out.loss.double(), (w * L).sum(1).mean(), atol=1e-5)

def test_shares_only_to_starving_hypotheses_and_gradients_follow():
    m, b = _model(), tiny_batch(4)
    m.win_rate_ema = torch.tensor([0.6, 0.4, 0.0], dtype=torch.float64)   # hypothesis 2 starves
    m.relative_temperature = 0.0                                     # in the hard phase
    test = m.adaptive_epsilons()
    assert test[0] == 0 and test[1] == 0 and abs(test[2] - 0.1) < 1e-12
    m.train(); out = m(**b)
    L = out.hyp_losses.detach()
    w = torch.nn.functional.one_hot(out.winners, 3).double()
    w[:, 2] = torch.where(out.winners == 2, 1.0, 0.1); w[torch.arange(4), out.winners] -= torch.where(out.winners == 2, 0.0, 0.1)
    assert torch.allclose(out.loss.double(), (w * L.double()).sum(1).mean(), atol=1e-6)

def test_checkpoint_keeps_the_average(tmp_path):
    m = _model()
    m.win_rate_ema, m.relative_temperature = torch.tensor([0.5, 0.45, 0.05], dtype=torch.float64), 0.25
    m.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "mcl_state.json").read_text()) == {"win_rate_ema": [0.5, 0.45, 0.05], "relative_temperature": 0.25}
    loaded = MCLModel.from_pretrained(tiny_model("llama"), tmp_path, is_trainable=True)
    assert torch.equal(loaded.win_rate_ema, m.win_rate_ema) and loaded.relative_temperature == 0.25
    (tmp_path / "mcl_state.json").write_text('{"win_rate_ema": [0.5, 0.45, 0.05]}')   # written before the soft phase existed
    loaded.load_adapters(tmp_path); assert loaded.relative_temperature == 0.0          # : the hard phase it trained in
    (tmp_path / "mcl_state.json").write_text('{"win_rate_ema": [0.5, 0.45, 0.05], "relative_temperature": 2}')
    with pytest.raises(ValueError, match="relative_temperature must be a number in"):
        loaded.load_adapters(tmp_path)
    (tmp_path / "mcl_state.json").write_text("{")
    with pytest.raises(ValueError, match="mcl_state.json is not the state"):
        loaded.load_adapters(tmp_path)

def test_adaptive_refuses_winner_only_backward():
    with pytest.raises(ValueError, match="winner_only_backward"):
        MCLConfig(wta_mode="adaptive", winner_only_backward=True)
    with pytest.raises(ValueError, match="adaptive_threshold=0"):
        MCLConfig(wta_mode="adaptive", adaptive_threshold=0)
    with pytest.raises(ValueError, match="adaptive_decay=1"):
        MCLConfig(wta_mode="adaptive", adaptive_decay=1)
