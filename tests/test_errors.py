"Bad input: a clear error that names the value and what is accepted, and nothing half-modified."
import pytest
import torch
from peft import LoraConfig
from peft.tuners.tuners_utils import BaseTunerLayer
from conftest import make_mcl
from lora_mcl import MCLConfig, MCLModel, get_mcl_model
from lora_mcl.testing import tiny_batch, tiny_model, TINY_TARGETS


def untouched(model):
    return not any(isinstance(m, BaseTunerLayer) for m in model.modules()) and all(p.requires_grad for p in model.parameters())


def test_targets_that_match_nothing_list_what_exists():
    model = tiny_model("llama")
    with pytest.raises(ValueError, match=r"matched no module.*named \['down_proj', 'gate_proj', 'k_proj', 'lm_head', 'o_proj', 'q_proj', 'up_proj', 'v_proj'\]"):
        get_mcl_model(model, MCLConfig(target_modules=["c_attn"]))
    assert untouched(model)


def test_targets_of_unsupported_type():
    model = tiny_model("llama")
    with pytest.raises(ValueError, match=r"embed_tokens \(Embedding\)"):
        get_mcl_model(model, MCLConfig(target_modules=["q_proj", "embed_tokens"]))
    assert untouched(model)


@pytest.mark.parametrize("kw,msg", [
    (dict(num_hyps=0), "num_hyps=0"), (dict(num_hyps=-2), "num_hyps=-2"), (dict(num_hyps=True), "num_hyps=True"),
    (dict(epsilon=1.0), "epsilon=1.0"), (dict(epsilon=-0.01), "epsilon=-0.01"), (dict(epsilon=float("nan")), "epsilon=nan"),
    (dict(wta_mode="hard"), "wta_mode='hard'.*'wta', 'relaxed', 'annealed', 'adaptive', 'random'"),
    (dict(r=0), "r=0"), (dict(temperature_init=0.0), "temperature_init=0.0"), (dict(use_dora=True), "use_dora"),
])
def test_bad_config_values(kw, msg):
    with pytest.raises(ValueError, match=msg):
        MCLConfig(target_modules=["q_proj"], **kw)


def test_plain_lora_config_and_double_wrapping():
    with pytest.raises(TypeError, match="must be an MCLConfig"):
        get_mcl_model(tiny_model("llama"), LoraConfig(target_modules=["q_proj"]))
    mcl = make_mcl("llama")
    with pytest.raises(ValueError, match="already carries PEFT adapters"):
        get_mcl_model(mcl.model, MCLConfig(target_modules=["q_proj"]))


@pytest.mark.parametrize("change", [dict(num_hyps=2), dict(r=8)])
def test_loading_a_checkpoint_with_other_k_or_rank(change, tmp_path):
    make_mcl("llama", num_hyps=3, r=4).save_pretrained(tmp_path)
    other = make_mcl("llama", **{"num_hyps": 3, "r": 4, **change})
    before = {k: v.clone() for k, v in other.stacked_state_dict().items()}
    field = next(iter(change))
    with pytest.raises(ValueError, match=f"{field}: checkpoint"):
        other.load_adapters(tmp_path)
    after = other.stacked_state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_from_peft_adapters_with_different_ranks(tmp_path):
    a = make_mcl("llama", num_hyps=1, r=4).export_peft_adapters(tmp_path / "a")
    b = make_mcl("llama", num_hyps=1, r=8).export_peft_adapters(tmp_path / "b")
    model = tiny_model("llama")
    with pytest.raises(ValueError, match=r"differ in r: \[4, 8\]"):
        MCLModel.from_peft_adapters(model, a + b)
    assert untouched(model)


def test_hypothesis_index_out_of_range():
    mcl = make_mcl("llama", num_hyps=3)
    b = tiny_batch()
    with pytest.raises(IndexError, match=r"hypothesis index 3 is out of range: num_hyps=3, accepted 0..2"):
        with mcl.hypothesis(3): pass
    with pytest.raises(IndexError, match="hypothesis index -1"):
        mcl.generate(input_ids=b["input_ids"], max_new_tokens=2, hypotheses=[0, -1])
    with pytest.raises(TypeError, match="takes one int index"):
        with mcl.hypothesis("1"): pass
    assert mcl.selection.hyps is None              # nothing left selected after the errors


def test_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="mcl_config.json not found"):
        MCLModel.from_pretrained(tiny_model("llama"), tmp_path)


def test_sequence_without_targets_contributes_zero():
    mcl = make_mcl("llama")
    b = tiny_batch(batch_size=2)
    b["labels"][0] = -100
    out = mcl(**b)
    assert torch.isfinite(out.loss) and (out.hyp_losses[0] == 0).all()


def test_checkpoint_of_another_base_model_leaves_it_untouched(tmp_path):
    "A checkpoint trained on llama loaded onto qwen2 (same names, other sizes) fails before the model changes."
    from lora_mcl.testing import _CONFIGS
    make_mcl("llama").save_pretrained(tmp_path / "mcl")
    dirs = make_mcl("llama").export_peft_adapters(tmp_path / "peft")
    cls, make_config = _CONFIGS["qwen2"]
    conf = make_config(); conf.intermediate_size = 48
    other = cls(conf)
    with pytest.raises(ValueError, match="does not fit .*mlp.*d_in=|does not fit .*mlp.*d_out="):
        MCLModel.from_pretrained(other, tmp_path / "mcl")
    assert untouched(other)
    with pytest.raises(ValueError, match="another base model"):
        MCLModel.from_peft_adapters(other, dirs)
    assert untouched(other)
