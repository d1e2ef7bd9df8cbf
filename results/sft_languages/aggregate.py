"""Collect the three seeds of `lora-mcl sweep sft_languages` from runs/sft_languages/ into this folder.

    python results/sft_languages/aggregate.py [runs/sft_languages]

Copies each seed's metrics.json (without the candidates beyond the first five captions) and language_share.png, and
writes summary.json: {"seeds": [...], "metrics": {name: {"mean", "std", "per_seed"}}}.
"""
import json, shutil, sys
from pathlib import Path
import numpy as np

here = Path(__file__).parent
runs = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/sft_languages")
seeds, per = [], {}
for d in sorted(runs.glob("*seed_*")):
    m = json.loads((d / "metrics.json").read_text())
    seeds.append(m["seed"])
    out = here / f"seed_{m['seed']}"; out.mkdir(exist_ok=True)
    m["candidates"] = {k: v[:5] for k, v in m["candidates"].items()}
    (out / "metrics.json").write_text(json.dumps(m, indent=1, ensure_ascii=False))
    shutil.copy(d / "language_share.png", out / "language_share.png")
    for method, row in m["rows"].items():
        for k in ("oracle_BLEU", "pairwise_BLEU", "loo_multi_ref_BLEU", "references_covered", "languages_per_input"):
            per.setdefault(f"{method}.{k}", []).append(row[k])
        share = np.array(row["language_share"])                   # (K, languages)
        per.setdefault(f"{method}.top_language_share_per_hypothesis", []).append(share.max(1).tolist())
        per.setdefault(f"{method}.distinct_top_languages", []).append(len(set(share.argmax(1).tolist())))
    for method, t in m["train"].items():
        per.setdefault(f"{method}.train_seconds", []).append(t["seconds"])
        if t.get("held_out"):
            per.setdefault(f"{method}.held_out_oracle_nll", []).append(t["held_out"]["eval_oracle_loss"])
            per.setdefault(f"{method}.held_out_mean_nll", []).append(t["held_out"]["eval_mean_hyp_loss"])
    per.setdefault("total_seconds", []).append(m["total_seconds"])
    acc = m.get("identifier_accuracy")
    if acc is None:   # runs made before metrics.json held it: the line the notebook printed
        import re
        text = (d / "sft_languages.ipynb").read_text()
        acc = {l: float(a) for l, a in re.findall(r"identifier accuracy on held-out (\w+) references: ([0-9.]+)", text)}
    per.setdefault("identifier_accuracy", []).append([acc[l] for l in m["languages"]])
    if m.get("sft_vs_command"): per.setdefault("sft_vs_command.max_abs_difference", []).append(m["sft_vs_command"]["max_abs_difference"])
summary = {"seeds": seeds, "metrics": {k: {"mean": np.mean(v, 0).tolist(), "std": np.std(v, 0).tolist(), "per_seed": v}
                                       for k, v in per.items()}}
(here / "summary.json").write_text(json.dumps(summary, indent=1))
shutil.copy("experiments/configs/sft_languages.yaml", here / "config.yaml")
for k, v in summary["metrics"].items():
    print(f"{k:55s} mean {np.round(v['mean'], 3)}  std {np.round(v['std'], 3)}")

# the table of results/sft_languages/README.md
M = summary["metrics"]
f = lambda k, d=2: f"{M[k]['mean']:.{d}f} ± {M[k]['std']:.{d}f}" if k in M else "–"
print("\n| method | oracle BLEU | pairwise BLEU (lower: more diverse) | LOO multi-ref BLEU | references covered (of 4) | languages per caption | held-out NLL |")
print("|---|---|---|---|---|---|---|")
for method, nll in (("LoRA-MCL", "LoRA-MCL.held_out_oracle_nll"), ("LoRA-MLE beam", "LoRA-MLE.held_out_oracle_nll"),
                    ("LoRA-MLE sampling", None)):
    print(f"| {method} | {f(method + '.oracle_BLEU')} | {f(method + '.pairwise_BLEU')} | {f(method + '.loo_multi_ref_BLEU')} | "
          f"{f(method + '.references_covered')} | {f(method + '.languages_per_input')} | {f(nll, 3) if nll else '–'} |")

# one figure for the three seeds: the language each hypothesis (LoRA-MCL) or candidate rank (LoRA-MLE) writes
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
runs_m = [json.loads((here / f"seed_{s}" / "metrics.json").read_text()) for s in seeds]
methods = list(runs_m[0]["rows"])
fig, axes = plt.subplots(len(runs_m), len(methods), figsize=(3.6 * len(methods), 2.6 * len(runs_m)), squeeze=False,
                         gridspec_kw={"wspace": 0.45, "hspace": 0.5})
for i, m in enumerate(runs_m):
    for j, method in enumerate(methods):
        ax = axes[i][j]
        im = ax.imshow(np.array(m["rows"][method]["language_share"]), vmin=0, vmax=1, cmap="Blues")
        ax.set_xticks(range(len(m["languages"])), m["languages"]); ax.set_yticks(range(m["num_hyps"]))
        ax.set_xlabel("language of the candidate", fontsize=8)
        ax.set_ylabel("hypothesis" if method == "LoRA-MCL" else "candidate rank", fontsize=8)
        ax.set_title(f"{method}, seed {m['seed']}", fontsize=9)
fig.colorbar(im, ax=axes.ravel().tolist(), label="share of held-out captions")
fig.savefig(here / "language_share.png", dpi=70, bbox_inches="tight")
