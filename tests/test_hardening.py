"Faults found by trying the library as a new user: each test failed before its fix."
import json
import warnings
import pytest
import torch
from peft.tuners.tuners_utils import BaseTunerLayer
from transformers import OPTConfig, OPTForCausalLM, TrainingArguments, WhisperConfig, WhisperForConditionalGeneration
from lora_mcl import MCLConfig, MCLModel, MCLTrainer, get_mcl_model, mcl_loss, wta_weights, WTA_MODES
from lora_mcl.layers import GroupedLoraLinear
from lora_mcl.model import CONFIG_NAME, WEIGHTS_NAME
from lora_mcl.testing import tiny_batch, tiny_model, TINY_TARGETS

INF, NAN = float("inf"), float("nan")


# 1. a non-finite hypothesis never wins and never poisons the loss
@pytest.mark.parametrize("wta_mode", WTA_MODES)
def test_nonfinite_hypothesis_is_excluded(wta_mode):
    L = torch.tensor([[INF, 1.0, 2.0], [NAN, 4.0, 3.0], [NAN, NAN, INF]], requires_grad=True)
    loss, winners = mcl_loss(L, wta_mode, epsilon=0.1, temperature=0.5)
    assert torch.isfinite(loss)
    assert winners.tolist() == [1, 2, -1]
    w = wta_weights(L, wta_mode, epsilon=0.1, temperature=0.5)
    assert (w[~torch.isfinite(L)] == 0).all() and torch.allclose(w[:2].sum(1), torch.ones(2))
    g, = torch.autograd.grad(loss, L)
    assert torch.isfinite(g).all()


def overflowing_hypothesis_0(K=3):
    "A tiny GPT-2 whose hypothesis 0 overflows (its LoRA B is inf), as an fp16 model can."
    m = get_mcl_model(tiny_model("gpt2"), MCLConfig(r=4, target_modules=TINY_TARGETS["gpt2"], num_hyps=K, wta_mode="wta",
                                                     init_lora_weights=False))
    with torch.no_grad():
        for layer in m.mcl_layers: layer.lora_B["default"].weight[0].fill_(INF)
    return m


def test_overflowing_hypothesis_never_wins_at_model_level():
    m = overflowing_hypothesis_0()
    out = m(**tiny_batch(batch_size=4))
    assert not torch.isfinite(out.hyp_losses[:, 0]).any() and torch.isfinite(out.hyp_losses[:, 1:]).all()
    assert torch.isfinite(out.loss) and (out.winners != 0).all()
    assert torch.allclose(out.loss, out.hyp_losses[:, 1:].min(1).values.mean())


def test_trainer_logs_and_warns_about_nonfinite_losses(tmp_path):
    m = overflowing_hypothesis_0()
    b = tiny_batch(batch_size=8)
    ds = [{k: v[i] for k, v in b.items()} for i in range(8)]
    args = TrainingArguments(str(tmp_path), per_device_train_batch_size=4, max_steps=2, logging_steps=2, report_to=[],
                             max_grad_norm=0.0, disable_tqdm=True, use_cpu=True, save_strategy="no")
    t = MCLTrainer(m, args, train_dataset=ds)
    with pytest.warns(UserWarning, match="8 hypothesis losses were NaN or inf"):
        t.train()
    log = next(h for h in t.state.log_history if "nonfinite_hyp_losses" in h)
    assert log["nonfinite_hyp_losses"] == 8 and log["win_rate_0"] == 0.0 and abs(log["win_rate_1"] + log["win_rate_2"] - 1) < 1e-9
    assert abs(log["loss"] - (log["hyp_loss_1"] * log["win_rate_1"] + log["hyp_loss_2"] * log["win_rate_2"])) < 0.1
    for layer in m.mcl_layers:    # the other hypotheses trained and stayed finite (fused AdamW would spread a NaN gradient)
        for w in (layer.lora_A["default"].weight, layer.lora_B["default"].weight): assert torch.isfinite(w[1:]).all()


# 2. encoder-decoders without prepare_decoder_input_ids_from_labels (Whisper) train from labels
def tiny_whisper():
    cfg = WhisperConfig(vocab_size=64, num_mel_bins=8, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4,
                        decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_source_positions=16,
                        max_target_positions=32, pad_token_id=0, bos_token_id=2, eos_token_id=1, decoder_start_token_id=2)
    torch.manual_seed(0)
    return WhisperForConditionalGeneration(cfg).eval()


def test_whisper_trains_from_labels():
    base = tiny_whisper()
    assert not hasattr(base, "prepare_decoder_input_ids_from_labels")
    m = get_mcl_model(base, MCLConfig(r=4, target_modules=["q_proj", "v_proj"], num_hyps=2, init_lora_weights=False))
    feats, labels = torch.randn(3, 8, 32), torch.randint(3, 64, (3, 5))
    out = m(input_features=feats, labels=labels)
    assert out.hyp_losses.shape == (3, 2) and torch.isfinite(out.loss)
    out.loss.backward()
    for k in range(2):            # Whisper's own loss (it shifts the labels itself) equals hypothesis k's loss
        with m.hypothesis(k): own = m(input_features=feats, labels=labels).loss
        assert torch.allclose(own, out.hyp_losses[:, k].mean(), atol=1e-5)


# 3. the winner-only backward on a model that flattens its rows (OPT's MLP: (B*T, d)), with dropout everywhere
def test_winner_only_backward_on_opt_with_dropout():
    cfg = OPTConfig(vocab_size=64, hidden_size=32, ffn_dim=64, num_hidden_layers=2, num_attention_heads=4,
                    max_position_embeddings=64, word_embed_proj_dim=32, dropout=0.1)
    torch.manual_seed(0)
    m = get_mcl_model(OPTForCausalLM(cfg), MCLConfig(r=4, target_modules=["q_proj", "v_proj", "fc1", "fc2"], num_hyps=4,
                                                     wta_mode="wta", lora_dropout=0.1, init_lora_weights=False)).train()
    b = tiny_batch(batch_size=4)
    def step(winner_only):
        m.mcl_config.winner_only_backward = winner_only
        m.zero_grad(); torch.manual_seed(1)
        o = m(**b); o.loss.backward()
        return o, torch.cat([p.grad.flatten() for n, p in m.named_parameters() if "lora_" in n])
    (full, g_full), (wo, g_wo) = step(False), step(True)
    assert torch.equal(full.winners, wo.winners) and torch.allclose(full.loss, wo.loss, atol=1e-6)
    assert torch.allclose(g_full, g_wo, atol=1e-6)


# 5. get_mcl_model is all-or-nothing
def test_failed_wrapping_leaves_the_model_as_it_was(monkeypatch):
    model = tiny_model("llama")
    model.model.embed_tokens.weight.requires_grad_(False)        # a user's own freezing is kept too
    before = {n: p.requires_grad for n, p in model.named_parameters()}
    calls, orig = [], GroupedLoraLinear.update_layer
    def fail_third(self, *a, **kw):
        calls.append(1)
        if len(calls) == 3: raise RuntimeError("out of memory (simulated)")
        return orig(self, *a, **kw)
    monkeypatch.setattr(GroupedLoraLinear, "update_layer", fail_third)
    with pytest.raises(RuntimeError, match="simulated"):
        get_mcl_model(model, MCLConfig(r=4, target_modules=["q_proj", "v_proj"], num_hyps=2))
    assert len(calls) == 3
    assert not any(isinstance(m, BaseTunerLayer) for m in model.modules()) and not hasattr(model, "peft_config")
    assert {n: p.requires_grad for n, p in model.named_parameters()} == before
    monkeypatch.undo()
    get_mcl_model(model, MCLConfig(r=4, target_modules=["q_proj", "v_proj"], num_hyps=2))   # a retry works


def test_a_zero_rank_in_rank_pattern_is_refused_before_anything_changes():
    model = tiny_model("llama")
    with pytest.raises(ValueError, match=r"rank_pattern=\{'layers.1.self_attn.v_proj': 0\}.*int rank >= 1"):
        get_mcl_model(model, MCLConfig(r=4, target_modules=["q_proj", "v_proj"], rank_pattern={"layers.1.self_attn.v_proj": 0}))
    assert not any(isinstance(m, BaseTunerLayer) for m in model.modules())


# 4. every config field: its name, the value and what is accepted
@pytest.mark.parametrize("kw,msg", [
    (dict(temperature_init="1.0"), r"temperature_init='1.0' is not valid: expected a finite float > 0"),
    (dict(temperature_decay=None), r"temperature_decay=None is not valid: expected a float in \(0, 1\]"),
    (dict(lora_alpha="8"), r"lora_alpha='8' is not valid: expected a finite number > 0"),
    (dict(lora_dropout=-0.1), r"lora_dropout=-0.1 is not valid: expected a float in \[0, 1\)"),
    (dict(lora_alpha=-1), r"lora_alpha=-1 is not valid"), (dict(temperature_init=INF), r"temperature_init=inf is not valid"),
    (dict(epsilon="0.1"), r"epsilon='0.1' is not valid"), (dict(num_hyps="3"), r"num_hyps='3' is not valid: expected an int >= 1"),
])
def test_config_field_types(kw, msg):
    with pytest.raises(ValueError, match=msg):
        MCLConfig(target_modules=["q_proj"], **kw)


# 6. labels all -100
def test_fully_masked_rows_count_nowhere():
    m = get_mcl_model(tiny_model("gpt2"), MCLConfig(r=4, target_modules=TINY_TARGETS["gpt2"], num_hyps=2, wta_mode="wta",
                                                     init_lora_weights=False))
    b = tiny_batch(batch_size=2)
    ref = m(**{k: v[1:] for k, v in b.items()})
    b["labels"][0] = -100
    out = m(**b)
    assert out.winners[0].item() == -1
    assert torch.allclose(out.loss, ref.loss)                      # the masked row does not halve the mean
    b["labels"][:] = -100
    with pytest.warns(UserWarning, match="every label of this batch of 2 is -100"):
        out = m(**b)
    assert out.loss.item() == 0.0 and (out.winners == -1).all()
    m.mcl_config.winner_only_backward = True    # eval mode, gradients on: the winner-only path, without dropout
    b2 = tiny_batch(batch_size=2); b2["labels"][0] = -100
    wo = m(**b2)
    assert wo.winners[0].item() == -1 and torch.allclose(wo.loss, ref.loss, atol=1e-6)


# 7. messages that say what is wrong
def test_from_pretrained_with_a_model_name_string(tmp_path):
    m = get_mcl_model(tiny_model("gpt2"), MCLConfig(r=4, target_modules=TINY_TARGETS["gpt2"], num_hyps=2))
    m.save_pretrained(tmp_path)
    with pytest.raises(TypeError, match=r"takes the base model object .*not a str: got 'HuggingFaceTB/SmolLM2-135M'"):
        MCLModel.from_pretrained("HuggingFaceTB/SmolLM2-135M", tmp_path)


def test_a_string_target_is_a_regex_over_full_names():
    with pytest.raises(ValueError, match=r"a string is a regular expression matched against full module names.*a list matches name suffixes"):
        get_mcl_model(tiny_model("llama"), MCLConfig(r=4, target_modules="q_proj"))


@pytest.mark.parametrize("name,content,msg", [
    (WEIGHTS_NAME, b"\x00\x01garbage", "cannot be read as safetensors"),
    (CONFIG_NAME, b'{"num_hyps": 2, "r": ', "is not valid JSON"),
    (CONFIG_NAME, b'[1, 2]', "holds a JSON list"),
])
def test_corrupt_checkpoint_files_are_named(tmp_path, name, content, msg):
    m = get_mcl_model(tiny_model("gpt2"), MCLConfig(r=4, target_modules=TINY_TARGETS["gpt2"], num_hyps=2))
    m.save_pretrained(tmp_path)
    if name == WEIGHTS_NAME:     # truncated: the first bytes of a real file
        content = (tmp_path / name).read_bytes()[:40]
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=f"{name}.*{msg}" if name == CONFIG_NAME else msg) as e:
        MCLModel.from_pretrained(tiny_model("gpt2"), tmp_path)
    assert name in str(e.value)
