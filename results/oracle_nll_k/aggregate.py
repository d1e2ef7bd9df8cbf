"""Collect the oracle-NLL-against-K runs (the paper's Table 1 on real images) into this folder.

    python results/oracle_nll_k/aggregate.py [runs]

Reads runs/oracle_nll_k/label=K<k>-seed=<s>/metrics.json (image captioning, Tux Paint stamps and CLDR-named emoji in
en/fr/de/es, pretrained EfficientNet-Lite0, SmolLM2-135M-Instruct: LoRA-MCL with K hypotheses of rank 4 against LoRA-MLE
with one adapter of rank 4K, 150 steps of batch 8), copies each run's `oracle_nll` and summary (not its candidates) as
K=<k>-seed=<s>.json, the config, and writes summary.json:
{"seeds": [...], "K": [...], "metrics": {"K=<k>.<method>": {"mean", "std", "per_seed", "seeds"}},
 "checks": {"seed=<s>": {"Ks", "complete", "mcl_falls_with_K", "mcl_below_mle_at_every_K>=2" (None unless every K of the config ran),
 "gap_mcl_minus_mle"}}, "runs": {name: {"seconds"}}}
and oracle_nll_k.png (oracle NLL against K, one line per seed and method).
"""
import json, re, shutil, sys
from pathlib import Path
import numpy as np, yaml

here = Path(__file__).parent
runs = Path(sys.argv[1] if len(sys.argv) > 1 else "runs")
CONFIG, MCL, MLE = "oracle_nll_k", "LoRA-MCL (relaxed)", "LoRA-MLE"
ALL_K = sorted(p["num_hyps"] for p in yaml.safe_load(Path(f"experiments/configs/{CONFIG}.yaml").read_text())["points"])

nll, info = {}, {}                                      # nll[(K, seed)] = {method: oracle NLL per token}
for d in sorted((runs / CONFIG).glob("label=K*-seed=*")):
    if not (d / "metrics.json").is_file(): print(f"skipped {d} (not finished)"); continue
    K, seed = (int(x) for x in re.fullmatch(r"label=K(\d+)-seed=(\d+)", d.name).groups())
    m = json.loads((d / "metrics.json").read_text())
    keep = {"oracle_nll": m["oracle_nll"], "summary": {k: v for k, v in m["summary"].items() if k != "test_items"},
            "params": m["params"]}
    (here / f"K={K}-seed={seed}.json").write_text(json.dumps(keep, indent=1))
    done = d / "lora_mcl_run.json"
    info[f"K={K}-seed={seed}"] = {"seconds": json.loads(done.read_text())["seconds"] if done.is_file() else m["summary"]["total_s"]}
    nll[(K, seed)] = {n: v["oracle_nll"] for n, v in m["oracle_nll"].items()}

Ks = sorted({K for K, _ in nll})
seeds = sorted({s for _, s in nll})
metrics = {}
for K in Ks:
    for method in (MCL, MLE):
        v = {s: nll[(K, s)][method] for s in seeds if (K, s) in nll and method in nll[(K, s)]}
        if v: metrics[f"K={K}.{method}"] = {"mean": float(np.mean(list(v.values()))), "std": float(np.std(list(v.values()))),
                                            "per_seed": [v[s] for s in sorted(v)], "seeds": sorted(v)}
checks = {}
for s in seeds:                 # the figure asked: MCL's oracle NLL falls with K and is below rank-matched MLE at every K >= 2
    ks = [K for K in Ks if (K, s) in nll]
    mcl = [nll[(K, s)][MCL] for K in ks]
    complete = ks == ALL_K             # a seed with some of the config's K missing is not judged (None)
    checks[f"seed={s}"] = {"Ks": ks, "complete": complete,
                           "mcl_falls_with_K": all(b < a for a, b in zip(mcl, mcl[1:])) if complete else None,
                           "mcl_below_mle_at_every_K>=2": all(nll[(K, s)][MCL] < nll[(K, s)][MLE] for K in ks if K >= 2) if complete else None,
                           "gap_mcl_minus_mle": {K: nll[(K, s)][MCL] - nll[(K, s)][MLE] for K in ks}}
summary = {"seeds": seeds, "K": Ks, "metrics": metrics, "checks": checks, "runs": info}
(here / "summary.json").write_text(json.dumps(summary, indent=1))
shutil.copy(f"experiments/configs/{CONFIG}.yaml", here / f"{CONFIG}.yaml")

if metrics:   # one line per seed and method (a seed may lack some K), so no mean mixes seeds that ran different K
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4.8, 3.3))
    for method, label, style in ((MCL, "LoRA-MCL (K × rank 4)", "o-"), (MLE, "LoRA-MLE (rank 4K)", "s--")):
        for i, s in enumerate(seeds):
            ks = [K for K in Ks if (K, s) in nll]
            ax.plot(ks, [nll[(K, s)][method] for K in ks], style, color=f"C{0 if method == MCL else 1}", alpha=1 - 0.25 * i,
                    label=f"{label}, seed {s}")
    ax.set_xticks(Ks); ax.set_xlabel("K (LoRA-MLE: rank 4K)"); ax.set_ylabel("oracle test NLL per token (nats)")
    ax.set_title("teacher-forced oracle NLL, one line per seed", fontsize=9); ax.legend(fontsize=6); ax.grid(alpha=0.3)
    fig.tight_layout(); fig.savefig(here / "oracle_nll_k.png", dpi=100); plt.close(fig)
print(f"{len(info)} runs, K {Ks}, seeds {seeds}: {here / 'summary.json'}")
print(json.dumps(checks, indent=1))
