"""Collect `lora-mcl sweep experiments/configs/markov_adaptive.yaml` from runs/markov_adaptive/ into this folder.

    python results/markov_adaptive/aggregate.py [runs/markov_adaptive]

Copies each run's metrics.json, writes summary.json ({"seeds": [...], "metrics": {"<setting>.<method>.<name>":
{"mean", "std", "per_seed"}}}), the figure adaptive.png, and prints the table of README.md. A run meets the figure when
K >= M: recovery error <= 0.03, no collapse (max test win rate <= 0.9), no homogenisation (hypothesis spread >= 0.02);
K < M: no collapse, no homogenisation and a test loss within 1% of the best hard-EM fixed point.
"""
import json, re, shutil, sys
from pathlib import Path
import numpy as np

here = Path(__file__).parent
runs = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/markov_adaptive")
METHODS = ["wta", "relaxed0.05", "relaxed0.1", "annealed", "adaptive"]
rows, per, seeds = {}, {}, set()
for d in sorted(runs.glob("label=*")):
    if not (d / "metrics.json").exists(): continue
    setting, method = re.match(r"label=(.+)-(wta|relaxed0\.05|relaxed0\.1|annealed|adaptive)$", d.name).groups()
    m = json.loads((d / "metrics.json").read_text()); cfg = json.loads((d / "config.json").read_text())
    seeds.add(cfg["seed"])
    (here / "points" / d.name[len("label="):]).mkdir(parents=True, exist_ok=True)
    (here / "points" / d.name[len("label="):] / "metrics.json").write_text(json.dumps(m, indent=1))
    c = m["mcl"]; K, M = c["num_hyps"], len(cfg["chains"])
    r = {"K": K, "M": M, "recovery_max_error": c["recovery_max_error"], "oracle_loss_rel_gap": c["oracle_loss_rel_gap"],
         "oracle_loss_vs_em_rel_gap": c["oracle_loss_vs_em_rel_gap"], "max_win_rate": c["max_win_rate"], "hyp_spread": c["hyp_spread"],
         "collapsed": c["collapsed"], "homogenised": c["homogenised"], "train_seconds": c["train_seconds"]}
    r["meets"] = bool(not r["collapsed"] and not r["homogenised"] and
                      (r["recovery_max_error"] <= 0.03 if K >= M else r["oracle_loss_vs_em_rel_gap"] <= 0.01)) if K > 1 else \
                 bool(abs(r["oracle_loss_vs_em_rel_gap"]) <= 0.01)
    rows.setdefault(setting, {})[method] = r
    for k, v in r.items():
        if k not in ("K", "M"): per.setdefault(f"{setting}.{method}.{k}", []).append(float(v))
summary = {"seeds": sorted(seeds), "metrics": {k: {"mean": float(np.mean(v)), "std": float(np.std(v)), "per_seed": v} for k, v in per.items()}}
(here / "summary.json").write_text(json.dumps(summary, indent=1))
shutil.copy("experiments/configs/markov_adaptive.yaml", here / "config.yaml")

def cell(r):
    if r is None: return "–"
    err = f"{r['recovery_max_error']:.3f}" if r["K"] >= r["M"] else f"{r['oracle_loss_vs_em_rel_gap']:+.2%} vs EM"
    flags = " **collapse**" if r["collapsed"] else (" **homogenised**" if r["homogenised"] else "")
    return f"{err}{flags}{'' if r['meets'] else ' ✗'}"
order = ["paper1", "paper1_1200steps", "paper2", "three_states", "collapse_argmin_ties", "four_states_3_chains"] + \
        sorted((s for s in rows if s.startswith("k_sweep")), key=lambda s: int(s.split("K")[-1]))
print("| setting (K, M) | " + " | ".join(METHODS) + " |"); print("|---" * (len(METHODS) + 1) + "|")
for s in [s for s in order if s in rows]:
    any_r = next(iter(rows[s].values()))
    print(f"| {s} (K={any_r['K']}, M={any_r['M']}) | " + " | ".join(cell(rows[s].get(m)) for m in METHODS) + " |")
met = {m: sum(1 for s in rows if m in rows[s] and rows[s][m]["meets"]) for m in METHODS}
tot = {m: sum(1 for s in rows if m in rows[s]) for m in METHODS}
print("\nmeets the figure: " + ", ".join(f"{m} {met[m]}/{tot[m]}" for m in METHODS))

import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
shown = [s for s in order if s in rows and next(iter(rows[s].values()))["K"] >= next(iter(rows[s].values()))["M"]]
fig, ax = plt.subplots(figsize=(8, 3.4))
for i, m in enumerate(METHODS):
    ys = [rows[s][m]["recovery_max_error"] if m in rows[s] else np.nan for s in shown]
    ax.scatter(np.arange(len(shown)) + (i - 2) * 0.12, ys, label=m, s=22)
ax.axhline(0.03, ls="--", c="grey", label="0.03"); ax.set_yscale("log")
ax.set_xticks(range(len(shown)), shown, rotation=20, fontsize=8); ax.set_ylabel("recovery error (max abs, matched)")
ax.set_title("Markov settings with K >= M: chain recovery by WTA variant (one seed)", fontsize=10); ax.legend(fontsize=7, ncol=3)
fig.tight_layout(); fig.savefig(here / "adaptive.png", dpi=100)
