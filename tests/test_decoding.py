"Diverse beam search against a slow reference written here (no KV cache, Python lists), and the decoding budget."
import pytest
import torch
from lora_mcl import MCLConfig, get_mcl_model
from lora_mcl.decoding import (diverse_beam_search, decode_candidates, count_forward_rows, generate_candidates,
                               MCLDecoding, BeamSearch, DiverseBeamSearch, Sampling, TestTimeAugmentation)
from lora_mcl.testing import tiny_model, tiny_tokenizer, TINY_TARGETS


@torch.no_grad()
def next_logp(m, src, mask, seq):
    "log p(. | prompt, seq) recomputed from scratch."
    if m.config.is_encoder_decoder:
        dec = torch.tensor([[m.config.decoder_start_token_id] + seq])
        return torch.log_softmax(m(input_ids=src, attention_mask=mask, decoder_input_ids=dec).logits[0, -1].float(), -1)
    ids = torch.cat([src, torch.tensor([seq], dtype=torch.long)], 1)
    am = torch.cat([mask, torch.ones(1, len(seq), dtype=mask.dtype)], 1)
    pos = (am.cumsum(-1) - 1).masked_fill(am == 0, 0)
    return torch.log_softmax(m(input_ids=ids, attention_mask=am, position_ids=pos).logits[0, -1].float(), -1)


def slow_dbs(m, src, mask, G, b, lam, max_new, eos, lp=1.0):
    groups = [{"run": [([], 0.0 if j == 0 else -1e9) for j in range(b)], "fin": [], "open": True} for _ in range(G)]
    for t in range(max_new):
        chosen = torch.zeros(m.config.vocab_size)
        for grp in groups:
            cands = []
            for j, (seq, score) in enumerate(grp["run"]):
                logp = next_logp(m, src, mask, seq) - lam * chosen
                cands += [(score + logp[v].item(), j, v) for v in range(len(logp))]
            top = sorted(cands, key=lambda c: -c[0])[:2 * b]
            hit = [v == eos or t + 1 == max_new for _, _, v in top]
            for rank, ((s, j, v), h) in enumerate(zip(top, hit)):
                if h and rank < b and grp["open"]:
                    grp["fin"].append((s / (t + 1) ** lp, grp["run"][j][0] + [v]))
            grp["fin"] = sorted(grp["fin"], key=lambda f: -f[0])[:b]
            order = sorted(range(2 * b), key=lambda i: -(top[i][0] - 1e9 * hit[i]))[:b]
            grp["run"] = [(grp["run"][top[i][1]][0] + [top[i][2]], top[i][0] - 1e9 * hit[i]) for i in order]
            for seq, _ in grp["run"]: chosen[seq[-1]] += 1
        for grp in groups:
            if grp["open"] and len(grp["fin"]) == b and grp["run"][0][1] / (t + 1) ** lp <= grp["fin"][-1][0]:
                grp["open"] = False
        if not any(g["open"] for g in groups): break
    return [g["fin"][0][1] for g in groups]


@pytest.mark.parametrize("arch,eos", [("llama", 34), ("bart", 13), ("gpt2", 31)])
@pytest.mark.parametrize("lam", [0.0, 1.5])
def test_diverse_beam_search_matches_slow_reference(arch, eos, lam):
    m = tiny_model(arch)
    m.generation_config.eos_token_id = eos
    tt = tiny_tokenizer()
    batch = tt(["a dog runs on the road", "the cat"], return_tensors="pt", padding=True)
    got = diverse_beam_search(m, **batch, num_groups=3, beams_per_group=2, diversity_penalty=lam, max_new_tokens=6)
    for i in range(2):
        expect = slow_dbs(m, batch["input_ids"][i:i + 1], batch["attention_mask"][i:i + 1], 3, 2, lam, 6, eos)
        for g in range(3):
            row = got[i, g].tolist()
            assert row[:len(expect[g])] == expect[g] and all(x == 0 for x in row[len(expect[g]):]), (i, g, row, expect[g])
    distinct = [len({tuple(got[i, g].tolist()) for g in range(3)}) for i in range(2)]
    assert max(distinct) == 3 if lam else distinct == [1, 1]      # lambda = 0: every group is the same beam search


def test_diverse_beam_search_inputs_embeds_and_errors():
    m = tiny_model("llama")
    tt = tiny_tokenizer()
    batch = tt(["a dog runs", "the red car"], return_tensors="pt", padding=True)
    by_ids = diverse_beam_search(m, **batch, num_groups=2, beams_per_group=2, max_new_tokens=5)
    emb = m.get_input_embeddings()(batch["input_ids"])
    by_emb = diverse_beam_search(m, inputs_embeds=emb, attention_mask=batch["attention_mask"], num_groups=2, beams_per_group=2, max_new_tokens=5)
    assert torch.equal(by_ids, by_emb)
    with pytest.raises(ValueError, match="num_return_per_group"):
        diverse_beam_search(m, **batch, num_groups=2, beams_per_group=2, num_return_per_group=3)
    with pytest.raises(ValueError, match="diversity_penalty"):
        diverse_beam_search(m, **batch, diversity_penalty=-1)
    mcl = get_mcl_model(tiny_model("llama"), MCLConfig(r=2, target_modules=["q_proj"], num_hyps=2))
    with pytest.raises(ValueError, match="hypothesis"):
        diverse_beam_search(mcl, **batch)
    with mcl.hypothesis(1):
        assert diverse_beam_search(mcl, **batch, num_groups=2, max_new_tokens=3).shape[:2] == (2, 2)


@pytest.mark.parametrize("arch", ["qwen2", "t5"])
def test_equal_decoding_budget(arch):
    "MCL with beam b per hypothesis runs exactly the forward rows of MLE beam search with b*K beams."
    K, b, steps = 3, 2, 5
    tt = tiny_tokenizer()
    mcl = get_mcl_model(tiny_model(arch), MCLConfig(r=2, target_modules=TINY_TARGETS[arch], num_hyps=K, init_lora_weights=False))
    mle = tiny_model(arch)
    batch = dict(tt(["a dog runs", "the red car is on the road", "one bird"], return_tensors="pt", padding=True))
    kw = dict(max_new_tokens=steps, min_new_tokens=steps)
    with count_forward_rows(mcl) as c_mcl: a = decode_candidates(mcl, batch, MCLDecoding(num_beams=b), K, **kw)
    with count_forward_rows(mle) as c_mle: bb = decode_candidates(mle, batch, BeamSearch(num_beams=b * K), K, **kw)
    with count_forward_rows(mle) as c_dbs: d = decode_candidates(mle, batch, DiverseBeamSearch(beams_per_group=b), K, **kw)
    assert a.shape == bb.shape == d.shape == (3, K, steps)
    assert c_mcl.rows == c_mle.rows == c_dbs.rows == 3 * K * b * steps
    assert c_mcl.calls == c_mle.calls == steps


def test_sampling_tta_and_text():
    tt = tiny_tokenizer()
    m = tiny_model("gpt2")
    batch = dict(tt(["a dog runs", "the sun"], return_tensors="pt", padding=True))
    s1 = decode_candidates(m, batch, Sampling(temperature=1.5, top_k=20, seed=3), 4, max_new_tokens=6)
    s2 = decode_candidates(m, batch, Sampling(temperature=1.5, top_k=20, seed=3), 4, max_new_tokens=6)
    assert torch.equal(s1, s2) and s1.shape[:2] == (2, 4)
    assert len({tuple(r.tolist()) for r in s1[0]}) > 1            # samples differ
    flip = lambda bt: {**bt, "input_ids": bt["input_ids"].flip(1), "attention_mask": bt["attention_mask"].flip(1)}
    longer = lambda bt: {k: torch.cat([v, v], 1) for k, v in bt.items()}          # another shape: decoded separately
    t = decode_candidates(m, batch, TestTimeAugmentation([lambda bt: bt, flip, longer]), 3, max_new_tokens=4)
    plain = decode_candidates(m, batch, BeamSearch(num_beams=1), 1, max_new_tokens=4)
    assert t.shape[:2] == (2, 3) and torch.equal(t[:, 0, :plain.shape[-1]], plain[:, 0])
    with pytest.raises(ValueError, match="one per candidate"):
        decode_candidates(m, batch, TestTimeAugmentation([flip]), 3)
    with pytest.raises(TypeError, match="unknown decoding method"):
        decode_candidates(m, batch, "beam", 3)
    texts = generate_candidates(m, tt, ["a dog runs", "the sun", "one red car"], DiverseBeamSearch(diversity_penalty=1.0), 3,
                                batch_size=2, progress=False, max_new_tokens=4)
    assert len(texts) == 3 and all(len(c) == 3 and all(isinstance(x, str) for x in c) for c in texts)
