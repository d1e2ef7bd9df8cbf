"""Why the scoring head misses the context rule of bilingual_context: what its input knows about the kind of image.

    OMP_NUM_THREADS=1 python results/bilingual/head_probe.py [seed ...]     (default: 0 1 2; 5-9 minutes per seed)

For each seed it rebuilds the input side of `bilingual_context` exactly as the captioning notebook does (same split,
same language draws per kind, EfficientNet-Lite0 features, LLaVA projector aligned on English captions for 1500 steps,
SmolLM2-135M frozen) and compares three inputs a head p(k|c) could read:
  - "context state": what the scoring head reads (`MCLModel.context_states`: the frozen LM's final hidden state at the
    last prefix position; the adapters play no part in it);
  - "prefix": the projector's 9 prefix embeddings, averaged (what the LM is given of the image);
  - "image features": the EfficientNet-Lite0 feature map, averaged over its 7 x 7 cells (what the projector is given).
Two measures per input, on the 223 test images of the seed's split:
  - kind_accuracy: a linear probe (one linear layer, trained 2000 steps of 64 on the training images' kinds) telling an
    emoji from a clip-art stamp; the rule's languages differ by kind, so this bounds how well a head can follow it;
  - head: the project's ScoringHead (LayerNorm, 256 hidden units) trained on the training images' drawn caption
    languages as targets (a stand-in for the WTA winners, which the trained hypotheses split by language, 93-99% in the
    run) at the run's budget (250 steps of 8, AdamW 3e-3, warm-up 25) and at a larger one (2000 steps of 64): its mean
    p(languages[1]) per kind and the largest difference from the rule.
Writes results/bilingual/head_probe.json. A stand-in, stated as one: the run's head learns from the winners of
hypotheses that are still training; this probe isolates its input and its training budget.
"""
import json, sys, time
from collections import Counter
from pathlib import Path
import numpy as np
import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer, logging as hf_logging
from lora_mcl import MCLConfig, get_mcl_model
from lora_mcl.assets import emoji_stamps, load_tuxpaint, smollm2_path, split_stamps, tuxpaint_root
from lora_mcl.captioning import CachedImageFeatures, FeatureProjector, PrefixCaptioner, align_encoder, efficientnet_lite0
from lora_mcl.scoring import ScoringHead

here = Path(__file__).parent
hf_logging.set_verbosity_error()
config = yaml.safe_load((here / "bilingual_context.yaml").read_text())["parameters"]   # the runs' own config
languages, share = config["languages"], config["language_share"]

def kind_of(name): return max((k for k in share if name.startswith(k)), key=len)

def fit_head(X, y, Xte, steps, batch, inner, seed, lr=3e-3):
    "A ScoringHead (inner 0: one linear layer) trained with cross-entropy toward integer targets y; its probabilities on Xte."
    torch.manual_seed(seed)
    head = ScoringHead(X.shape[1], int(y.max()) + 1, inner)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.01)
    g = torch.Generator().manual_seed(seed)
    for s in range(steps):
        for group in opt.param_groups: group["lr"] = lr * min(1.0, (s + 1) / max(1, steps // 10))   # the run's warm-up
        idx = torch.randint(len(X), (batch,), generator=g)
        loss = torch.nn.functional.nll_loss(head(X[idx]), y[idx])
        opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad(): return head(Xte).exp()

def probe(seed):
    t0 = time.time()
    stamps = emoji_stamps(tuple(languages)) + load_tuxpaint(tuxpaint_root(), tuple(languages), media="image")
    sp = split_stamps(stamps, seed=seed)
    train, test = sp["train"], sp["test"]
    draws = np.random.default_rng(seed).random(len(train))   # the notebook's draw of each training image's language
    train_lang = [languages[1] if u < share[kind_of(s.name)] else languages[0] for s, u in zip(train, draws)]
    feats = CachedImageFeatures(efficientnet_lite0(), "efficientnet-lite0", size=224)
    train_x, test_x = feats([s.image for s in train], progress=False), feats([s.image for s in test], progress=False)
    path = smollm2_path()
    tok, base = AutoTokenizer.from_pretrained(path), AutoModelForCausalLM.from_pretrained(path)
    emb = base.get_input_embeddings().weight
    embed_std = emb.norm(dim=1).mean().item() / base.config.hidden_size ** 0.5
    torch.manual_seed(seed)
    prefix = FeatureProjector(train_x.shape[1], base.config.hidden_size, num_tokens=config["prefix_tokens"], embed_std=embed_std)
    align_encoder(prefix, train_x, [s.captions[languages[0]] for s in train], tok, base.get_input_embeddings(),
                  steps=config["align_steps"], seed=seed, progress=False)
    prefix.requires_grad_(False)
    cap = PrefixCaptioner(get_mcl_model(base, MCLConfig(r=4, num_hyps=2, target_modules=["q_proj", "v_proj"], scoring_head=True)), prefix, tok)
    cap.eval()
    def states(x):
        with torch.no_grad(): return torch.cat([cap.lm.context_states(**cap.prompt_inputs(x[i:i + 64])) for i in range(0, len(x), 64)])
    with torch.no_grad():
        inputs = {"context state": (states(train_x), states(test_x)),
                  "prefix": (prefix(train_x).float().mean(1), prefix(test_x).float().mean(1)),
                  "image features": (train_x.float().mean((2, 3)), test_x.float().mean((2, 3)))}
    kinds = sorted(share)
    ktr = torch.tensor([kinds.index(kind_of(s.name)) for s in train]); kte = torch.tensor([kinds.index(kind_of(s.name)) for s in test])
    ytr = torch.tensor([languages.index(l) for l in train_lang])
    res = {"seed": seed, "num_train": len(train), "num_test": len(test), "test_images_per_kind": {k: int((kte == i).sum()) for i, k in enumerate(kinds)},
           "training_share_per_kind": {k: float(ytr[ktr == i].float().mean()) for i, k in enumerate(kinds)}, "inputs": {}}
    for name, (X, Xte) in inputs.items():
        r = {"dim": X.shape[1], "kind_accuracy": float((fit_head(X, ktr, Xte, 2000, 64, 0, seed).argmax(1) == kte).float().mean())}
        for budget, (steps, batch) in {"run (250 x 8)": (250, 8), "larger (2000 x 64)": (2000, 64)}.items():
            p = fit_head(X, ytr, Xte, steps, batch, 256, seed)[:, 1]
            per_kind = {k: float(p[kte == i].mean()) for i, k in enumerate(kinds)}
            r[f"head {budget}"] = {"p_per_kind": per_kind, "max_abs_error": max(abs(per_kind[k] - share[k]) for k in kinds)}
        res["inputs"][name] = r
        print(f"seed {seed} {name} (d={r['dim']}): kind accuracy {r['kind_accuracy']:.3f}; "
              + "; ".join(f"head {b}: p({languages[1]}) " + ", ".join(f"{k or '(other)'} {v:.2f}" for k, v in r[f'head {b}']['p_per_kind'].items())
                          + f", error {r[f'head {b}']['max_abs_error']:.2f}" for b in ("run (250 x 8)", "larger (2000 x 64)")), flush=True)
    res["seconds"] = time.time() - t0
    return res

if __name__ == "__main__":
    seeds = [int(s) for s in sys.argv[1:]] or [0, 1, 2]
    out = here / "head_probe.json"
    done = json.loads(out.read_text()) if out.is_file() else {"rule": share, "languages": languages, "per_seed": {}}
    for seed in seeds:
        done["per_seed"][str(seed)] = probe(seed)
        out.write_text(json.dumps(done, indent=1))
    per = done["per_seed"].values()
    done["summary"] = {name: {"kind_accuracy": {"mean": float(np.mean([r["inputs"][name]["kind_accuracy"] for r in per])),
                                                "std": float(np.std([r["inputs"][name]["kind_accuracy"] for r in per]))},
                              **{f"head {b} max_abs_error": {"mean": float(np.mean([r["inputs"][name][f"head {b}"]["max_abs_error"] for r in per])),
                                                             "std": float(np.std([r["inputs"][name][f"head {b}"]["max_abs_error"] for r in per]))}
                                 for b in ("run (250 x 8)", "larger (2000 x 64)")}}
                       for name in next(iter(per))["inputs"]}
    done["seeds"] = sorted(int(s) for s in done["per_seed"])
    out.write_text(json.dumps(done, indent=1))
    print(json.dumps(done["summary"], indent=1))
