"One-call generation, save/load, peft export/import, merging."
import json
import pytest
import torch
from peft import PeftModel
from conftest import ENC_DEC, make_mcl
from lora_mcl import MCLModel, MCLConfig, get_mcl_model
from lora_mcl.testing import tiny_batch, tiny_model, TINY_TARGETS

GEN = [dict(do_sample=False), dict(do_sample=False, num_beams=3), dict(do_sample=False, num_beams=2, num_return_sequences=2)]


@torch.no_grad()
@pytest.mark.parametrize("arch", ["gpt2", "llama", "t5", "bart"])
@pytest.mark.parametrize("gen", GEN, ids=["greedy", "beam3", "beam2x2"])
def test_one_call_equals_k_calls(arch, gen):
    mcl = make_mcl(arch).eval()
    b = tiny_batch(batch_size=2, encoder_decoder=arch in ENC_DEC)
    prompt = dict(input_ids=b["input_ids"], attention_mask=b["attention_mask"])
    seqs = mcl.generate(**prompt, max_new_tokens=5, **gen)
    K, n = mcl.num_hyps, gen.get("num_return_sequences", 1)
    assert seqs.shape[0] == 2 * K * n
    per = seqs.view(2, K, n, -1)                               # sample-major: (B, K, n, L)
    for k in range(K):
        with mcl.hypothesis(k):
            ref = mcl.generate(**prompt, max_new_tokens=5, **gen)
        assert torch.equal(per[:, k].reshape(2 * n, -1), ref)


@torch.no_grad()
def test_generate_dict_output_and_inputs_embeds():
    mcl = make_mcl("llama").eval()
    b = tiny_batch(batch_size=2)
    out = mcl.generate(input_ids=b["input_ids"], attention_mask=b["attention_mask"], max_new_tokens=4,
                       do_sample=False, return_dict_in_generate=True, output_scores=True)
    plain = mcl.generate(input_ids=b["input_ids"], attention_mask=b["attention_mask"], max_new_tokens=4, do_sample=False)
    assert torch.equal(out.sequences, plain)
    assert len(out.scores) == 4 and out.scores[0].shape[0] == 2 * mcl.num_hyps
    emb = mcl.model.get_input_embeddings()(b["input_ids"])
    gen_e = mcl.generate(inputs_embeds=emb, attention_mask=b["attention_mask"], max_new_tokens=4, do_sample=False)
    assert torch.equal(gen_e, plain[:, -4:])                  # from embeddings only new tokens come back


@torch.no_grad()
@pytest.mark.parametrize("arch", ["gpt2", "llama", "t5"])
def test_save_load_round_trip_and_peft_export(arch, tmp_path):
    mcl = make_mcl(arch, lora_dropout=0.1, use_rslora=True).eval()
    b = tiny_batch(batch_size=2, encoder_decoder=arch in ENC_DEC)
    out = mcl(**b)
    mcl.save_pretrained(tmp_path / "mcl")
    saved = json.loads((tmp_path / "mcl" / "mcl_config.json").read_text())
    assert saved["num_hyps"] == 3 and saved["use_rslora"] is True and "lora_mcl_version" in saved
    loaded = MCLModel.from_pretrained(tiny_model(arch), tmp_path / "mcl")
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())
    sd1, sd2 = mcl.stacked_state_dict(), loaded.stacked_state_dict()
    assert sd1.keys() == sd2.keys() and all(torch.equal(sd1[k], sd2[k]) for k in sd1)
    assert torch.equal(loaded(**b).logits, out.logits)
    trainable = MCLModel.from_pretrained(tiny_model(arch), tmp_path / "mcl", is_trainable=True)
    assert all(p.requires_grad for n, p in trainable.named_parameters() if "lora_" in n)

    dirs = mcl.export_peft_adapters(tmp_path / "peft")
    for k, d in enumerate(dirs):
        assert d.name == f"hyp_{k}" and (d / "adapter_config.json").exists() and (d / "adapter_model.safetensors").exists()
        peft_model = PeftModel.from_pretrained(tiny_model(arch), str(d)).eval()
        assert (peft_model(**b).logits - out.logits[k]).abs().max() <= 1e-4  # float32 rounding of another multiplication order
    back = MCLModel.from_peft_adapters(tiny_model(arch), dirs[::-1], is_trainable=False)   # order = hypothesis order
    # same weights in another hypothesis slot: the batched matmul may round differently (4.8e-7 seen on T5)
    torch.testing.assert_close(back(**b).logits, out.logits.flip(0), rtol=0, atol=1e-5)


@torch.no_grad()
def test_merge_and_unload_gives_plain_model():
    mcl = make_mcl("llama").eval()
    b = tiny_batch()
    target = mcl(**b).logits[1]
    plain = mcl.merge_and_unload(1)
    assert type(plain).__name__ == "LlamaForCausalLM"
    assert not any("lora" in n for n, _ in plain.named_parameters())
    assert (plain(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits - target).abs().max() <= 1e-4  # merged W + BA rounds differently


def test_lm_head_target_saves_adapters_only(tmp_path):
    "Adapting lm_head: the checkpoint holds the LoRA weights only (not peft's copy of the frozen head) and loads back."
    from safetensors.torch import load_file
    mcl = get_mcl_model(tiny_model("llama"), MCLConfig(r=2, target_modules=["q_proj", "lm_head"], num_hyps=2, init_lora_weights=False)).eval()
    mcl.save_pretrained(tmp_path)
    keys = load_file(str(tmp_path / "mcl_adapters.safetensors")).keys()
    assert keys and all(".lora_A." in k or ".lora_B." in k for k in keys)
    b = tiny_batch()
    back = MCLModel.from_pretrained(tiny_model("llama"), tmp_path)
    assert torch.equal(back(**b).logits, mcl(**b).logits)
