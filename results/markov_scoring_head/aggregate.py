"""Collect `lora-mcl sweep experiments/configs/markov_scoring_head.yaml` from runs/markov_scoring_head/ into this folder.

    python results/markov_scoring_head/aggregate.py [runs/markov_scoring_head]

Copies each run's metrics.json (without the learned matrices' history) and the seed-0 figures, writes
summary.json: {"seeds": [...], "metrics": {"<setting>.<name>": {"mean", "std", "per_seed"}}} and prints the table of
README.md.
"""
import json, re, shutil, sys
from pathlib import Path
import numpy as np

here = Path(__file__).parent
runs = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/markov_scoring_head")
per, seeds = {}, set()
for d in sorted(runs.glob("label=*-seed=*")):
    setting, seed = re.match(r"label=(.+)-seed=(\d+)", d.name).groups()
    m = json.loads((d / "metrics.json").read_text())
    seeds.add(int(seed))
    out = here / f"{setting}-seed={seed}"; out.mkdir(exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(m, indent=1))
    if seed == "0":
        for f in ("scoring.png", "losses.png"): shutil.copy(d / f, here / f"{setting}_{f}")
    s, c = m["scoring"], m["mcl"]
    for k, v in {"p_head_max_abs_error": s["max_abs_error"], "test_mixture_nll": s["test_mixture_nll"],
                 "test_true_nll": s["test_true_nll"], "mixture_nll_rel_gap": s["mixture_nll_rel_gap"],
                 "full_context_entropy": s["full_context_entropy"], "order1_mle_entropy": s["mle_entropy"],
                 "mle_test_loss": m["mle"]["test_loss"], "recovery_max_error": c["recovery_max_error"],
                 "train_seconds": c["train_seconds"]}.items():
        per.setdefault(f"{setting}.{k}", []).append(v)
summary = {"seeds": sorted(seeds), "metrics": {k: {"mean": float(np.mean(v)), "std": float(np.std(v)), "per_seed": v}
                                               for k, v in per.items()}}
(here / "summary.json").write_text(json.dumps(summary, indent=1))
shutil.copy("experiments/configs/markov_scoring_head.yaml", here / "config.yaml")
M = summary["metrics"]
f = lambda k, d=4: f"{M[k]['mean']:.{d}f} ± {M[k]['std']:.{d}f}"
print("| setting | p(k\\|x_1) max error | mixture NLL (test) | true model's NLL (test) | gap | order-1 MLE test loss | chain recovery error |")
print("|---|---|---|---|---|---|---|")
for setting in sorted({k.split(".")[0] for k in M}):
    g = M[f"{setting}.mixture_nll_rel_gap"]
    print(f"| {setting} | {f(setting + '.p_head_max_abs_error')} | {f(setting + '.test_mixture_nll')} | {f(setting + '.test_true_nll')} | "
          f"{g['mean']:+.3%} ± {g['std']:.3%} | {f(setting + '.mle_test_loss')} | {f(setting + '.recovery_max_error')} |")
