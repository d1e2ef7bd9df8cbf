"The scale path on CPU: a 4-bit (QLoRA) base, the paper's multimodal model classes, and FSDP2 sharding over two processes."
import subprocess
import sys
from pathlib import Path
import pytest
from conftest import free_port, peft_hypothesis
import torch
from lora_mcl import MCLConfig, get_mcl_model
from lora_mcl.testing import tiny_batch, tiny_model, tiny_model_folder

TESTS = Path(__file__).resolve().parent
TEXT = dict(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            max_position_embeddings=256, pad_token_id=0)
LM_TARGETS = r"model\.language_model.*\.(q_proj|v_proj)"      # the language model only, as the paper adapts it


def check_equal_to_peft(make_base, targets, inputs, labels, atol):
    "MCLModel's grouped pass equals K peft models, and generate gives all K hypotheses in one call."
    mcl = get_mcl_model(make_base(), MCLConfig(r=4, lora_alpha=8, target_modules=targets, num_hyps=3, init_lora_weights=False))
    mcl.eval()
    with torch.no_grad():
        out = mcl(**inputs, labels=labels)
        for k in range(3):
            ref = peft_hypothesis(mcl, make_base(), k)(**inputs).logits
            assert (out.logits[k] - ref).abs().max().item() <= atol, k
        seqs = mcl.generate(**inputs, max_new_tokens=3, do_sample=False)
    B = labels.shape[0]
    assert seqs.shape[0] == 3 * B and torch.isfinite(out.loss)
    return mcl


def test_qlora_nf4_base_equals_peft_qlora(tmp_path):
    bnb = pytest.importorskip("bitsandbytes")
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig, LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)      # 4-bit blocks of 64 need in_features >= 64
    LlamaForCausalLM(LlamaConfig(**{**TEXT, "hidden_size": 64, "intermediate_size": 128})).save_pretrained(tmp_path)
    q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.float32)
    make = lambda: AutoModelForCausalLM.from_pretrained(tmp_path, quantization_config=q, device_map="cpu")
    assert isinstance(make().model.layers[0].self_attn.q_proj, bnb.nn.Linear4bit)
    b = tiny_batch(batch_size=2)
    check_equal_to_peft(make, ["q_proj", "v_proj"], {"input_ids": b["input_ids"], "attention_mask": b["attention_mask"]}, b["labels"], atol=0.0)
    # training (on a fresh model: once bitsandbytes 0.50 has run a CPU layer without gradients it packs the weight for a
    # kernel without backward; GPUs are not concerned)
    mcl = get_mcl_model(make(), MCLConfig(r=4, target_modules=["q_proj", "v_proj"], num_hyps=3, init_lora_weights=False)).train()
    out = mcl(**b); out.loss.backward()                   # only the adapters train: the 4-bit weights have no gradient
    assert all(p.grad is not None for n, p in mcl.named_parameters() if "lora_" in n)
    assert not any(p.requires_grad for n, p in mcl.named_parameters() if "lora_" not in n)
    # with a scoring head: the head reads the 4-bit base's context state (no gradient) and trains in float32
    mcl = get_mcl_model(make(), MCLConfig(r=4, target_modules=["q_proj", "v_proj"], num_hyps=3, init_lora_weights=False,
                                          scoring_head=True)).train()
    out = mcl(**b); out.loss.backward()
    assert out.hyp_log_probs.shape == (2, 3) and out.hyp_log_probs.dtype == torch.float32
    assert all(p.grad is not None for n, p in mcl.named_parameters() if "lora_" in n or n.startswith("scoring_head"))


def processor_batch(kind, folder, prompt, media):
    "A batch from the folder's own processor (media tokens expanded as the model expects) and labels on the text only."
    from transformers import AutoProcessor
    proc = AutoProcessor.from_pretrained(folder)
    texts = [f"{prompt} a dog barks", f"{prompt} rain falls on the roof"]
    batch = dict(proc(text=texts, **media, return_tensors="pt", padding=True))
    media_id = proc.tokenizer.convert_tokens_to_ids("<|AUDIO|>" if kind == "qwen2_audio" else "<image>")
    labels = batch["input_ids"].masked_fill((batch["input_ids"] == media_id) | (batch["attention_mask"] == 0), -100)
    return batch, labels


@pytest.mark.parametrize("kind", ["qwen2_audio", "llava_next"])
def test_paper_multimodal_class_equals_peft_and_generates_k(kind, tmp_path):
    "Qwen2-Audio's and LLaVA-NeXT's classes (tiny, random, saved with their processors as testing.tiny_model_folder does)."
    import numpy as np
    from PIL import Image
    from transformers import AutoConfig
    import transformers
    folder = tiny_model_folder(kind, tmp_path)
    cls = getattr(transformers, AutoConfig.from_pretrained(folder).architectures[0])
    rng = np.random.default_rng(0)
    if kind == "qwen2_audio":
        media = {"audio": [rng.standard_normal(16000).astype("float32") * 0.1] * 2, "sampling_rate": 16000}
        batch, labels = processor_batch(kind, folder, "<|audio_bos|><|AUDIO|><|audio_eos|>", media)
    else:
        media = {"images": [Image.fromarray((rng.random((40, 50, 3)) * 255).astype("uint8"))] * 2}
        batch, labels = processor_batch(kind, folder, "USER: <image> ASSISTANT:", media)
    check_equal_to_peft(lambda: cls.from_pretrained(folder).eval(), LM_TARGETS, batch, labels, atol=1e-5)


@pytest.mark.parametrize("scoring_head", [False, True])
def test_fsdp2_on_two_processes_trains_like_one(tmp_path, scoring_head):
    one, two = tmp_path / "one.pt", tmp_path / "two.pt"
    extra = ["scoring_head"] if scoring_head else []
    subprocess.run([sys.executable, str(TESTS / "fsdp_train.py"), str(one)] + extra, check=True, capture_output=True, timeout=600)
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", str(free_port()),
                        str(TESTS / "fsdp_train.py"), str(two)] + extra,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = torch.load(one), torch.load(two)
    assert a.keys() == b.keys() and len(a) == (12 + 6 if scoring_head else 12)   # the head: LayerNorm and two linear layers
    assert max((a[k] - b[k]).abs().max().item() for k in a) < 1e-6
    torch.manual_seed(0)                                  # the adapters moved: the equality is not that of two untrained models
    init = get_mcl_model(tiny_model("llama"), MCLConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
                                                        num_hyps=3, wta_mode="relaxed", epsilon=0.1, init_lora_weights=False))
    assert max((a[k] - v).abs().max().item() for k, v in init.stacked_state_dict().items()) > 1e-2
