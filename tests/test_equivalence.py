"Grouped K-hypothesis forward == K separate vanilla peft LoRA models holding the same weights."
import pytest
import torch
from conftest import ENC_DEC, make_mcl, vanilla_peft, nll_per_sequence
from lora_mcl.testing import tiny_batch, tiny_model

# float32 rounding: the grouped path multiplies in a different order than peft's per-adapter Linear, and
# machines with other SIMD kernels (CI) differ by ~1e-5 on logits of size ~0.5; a wrong adapter differs
# by > 0.1 (asserted below), so 1e-4 still separates the two by three orders of magnitude.
TOL = 1e-4


@torch.no_grad()
def test_grouped_forward_matches_separate_peft_models(arch):
    mcl = make_mcl(arch).eval()
    batch = tiny_batch(batch_size=3, encoder_decoder=arch in ENC_DEC)
    out = mcl(**batch)
    K, B = mcl.num_hyps, 3
    assert out.hyp_losses.shape == (B, K) and out.logits.shape[:2] == (K, B)
    for k in range(K):
        ref = vanilla_peft(mcl, arch, k)(**batch)
        assert (out.logits[k] - ref.logits).abs().max() <= TOL
        assert (out.logits[(k + 1) % K] - ref.logits).abs().max() > 1000 * TOL  # the test can tell adapters apart
        expect = nll_per_sequence(ref.logits, batch["labels"], shift=arch not in ENC_DEC)
        assert (out.hyp_losses[:, k] - expect).abs().max() <= TOL
    assert torch.equal(out.winners, out.hyp_losses.argmin(1))


@torch.no_grad()
@pytest.mark.parametrize("arch", ["llama", "gpt2", "t5"])
def test_inputs_embeds(arch):
    "A model fed inputs_embeds (and, for T5, decoder_inputs_embeds built from labels) matches vanilla peft."
    mcl = make_mcl(arch).eval()
    batch = tiny_batch(batch_size=2, encoder_decoder=arch in ENC_DEC)
    emb = mcl.model.get_input_embeddings()
    inputs = dict(inputs_embeds=emb(batch["input_ids"]), attention_mask=batch["attention_mask"], labels=batch["labels"])
    out = mcl(**inputs)
    for k in range(mcl.num_hyps):
        ref = vanilla_peft(mcl, arch, k)(**inputs)
        assert (out.logits[k] - ref.logits).abs().max() <= TOL
        assert (out.hyp_losses[:, k] - nll_per_sequence(ref.logits, batch["labels"], arch not in ENC_DEC)).abs().max() <= TOL


@torch.no_grad()
def test_precomputed_encoder_outputs_are_duplicated():
    mcl = make_mcl("bart").eval()
    batch = tiny_batch(batch_size=2, encoder_decoder=True)
    enc = mcl.model.get_encoder()
    with mcl.hypothesis(1):
        enc_out = enc(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        ref = mcl(**batch).logits
    # the encoder output of hypothesis 1, given to all hypotheses: block 1 must equal the plain model's logits
    out = mcl(encoder_outputs=enc_out, attention_mask=batch["attention_mask"], labels=batch["labels"])
    assert (out.logits[1] - ref).abs().max() <= TOL


@torch.no_grad()
def test_subset_forward_maps_winners_back():
    mcl = make_mcl("llama", num_hyps=4).eval()
    batch = tiny_batch(batch_size=3)
    full = mcl(**batch)
    with mcl.selection.select([3, 1]):
        sub = mcl(**batch)
    assert torch.allclose(sub.hyp_losses, full.hyp_losses[:, [3, 1]], atol=TOL)
    assert set(sub.winners.tolist()) <= {1, 3}
