"""Collect `lora-mcl sweep experiments/configs/markov_adaptive.yaml` (seed 0, every method) and
`lora-mcl sweep experiments/configs/markov_adaptive_seeds.yaml` (the adaptive default on seeds 1 and 2; hard WTA there for
the K sweep), `lora-mcl sweep experiments/configs/markov_adaptive_k4_seeds.yaml` and `lora-mcl sweep
experiments/configs/markov_adaptive_k4_1600.yaml` (MORE_RUN_FOLDERS: by default runs/markov_adaptive_k4_seeds and
runs/markov_adaptive_k4_1600) into this folder.

    python results/markov_adaptive/aggregate.py [runs/markov_adaptive [runs/markov_adaptive_seeds [MORE_RUN_FOLDERS...]]]

Copies each run's metrics.json (points/<setting>-<method>/, points/<setting>-<adaptive|wta>-seed=<s>/), writes summary.json
({"seeds": [...], "metrics": {"<setting>.<method>.<name>": {"mean", "std", "per_seed"}}, "adaptive_seeds" and "wta_seeds":
{"<setting>": {"seeds", "K", "M", "recovery_max_error": {"mean", "std", "per_seed"}, "assignment_accuracy", "assignment_refit_error",
"max_win_rate", "meets": [...], "meets_all"}}, "objective_k_gt_m"}), the figure adaptive.png, and
prints the tables of README.md. "adaptive" is the default (adaptive_decay 0.8), "adaptive0.95" the first default. A run meets the figure when
K >= M: recovery error <= 0.03, no collapse (max test win rate <= 0.9), no homogenisation (hypothesis spread >= 0.02);
K < M: no collapse, no homogenisation and a test loss within 1% of the best hard-EM fixed point. For K > M the chains are not the
objective's optimum (a spare hypothesis splits a chain: nbs/theory/00_mcl_theory.ipynb), so a last table ("objective_k_gt_m" in
summary.json) sets each K > M run against the best hard-EM fixed point of its training data; "meets" stays the recovery figure.
Where K >= M each run also gets "assignment_accuracy" (test sequences won by their chain's matched hypothesis) and
"assignment_refit_error" (the recovery error after one exact M-step from the final assignment: each hypothesis refit as a table to
the training sequences it wins), which tell a wrong assignment from a hypothesis that has not fitted the data it wins.
The extra folders (K = M = 4 at 800 steps on seeds 3-5; at 1600 steps on seeds 0-2) join the seeds tables.
"""
import json, re, shutil, sys
from pathlib import Path
import numpy as np
from lora_mcl.markov import MarkovMixture, match_hypotheses, transition_counts, transition_log_probs

here = Path(__file__).parent
runs = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/markov_adaptive")
runs_seeds = Path(sys.argv[2] if len(sys.argv) > 2 else "runs/markov_adaptive_seeds")
runs_more = [Path(a) for a in sys.argv[3:]] or [Path("runs/markov_adaptive_k4_seeds"), Path("runs/markov_adaptive_k4_1600")]
METHODS = ["wta", "relaxed0.05", "relaxed0.1", "annealed", "adaptive0.95", "adaptive"]
def assignment(c, cfg):
    """Where K >= M: the share of test sequences won by their chain's matched hypothesis, and the error left by one M-step from the
    final assignment (each hypothesis refit exactly, as a table, to the training sequences it wins): what the assignment implies."""
    mix = (MarkovMixture.from_context_weights(cfg["chains"], cfg["context_weights"]) if cfg.get("context_weights") is not None
           else MarkovMixture(np.array(cfg["chains"]), weights=cfg.get("mixture_weights"), init=cfg.get("init", "stationary")))
    Q = np.array(c["learned_transitions"]); hyp = np.array(c["hyp_of_chain"])
    x_test, z_test = mix.sample(cfg["num_test"], cfg["seq_len"], seed=cfg["seed"] + 1_000_003)   # the notebook's test draw
    accuracy = float((transition_log_probs(x_test, Q).argmax(1).numpy() == hyp[z_test.numpy()]).mean())
    x_train, _ = mix.sample(cfg["steps"] * cfg["batch_size"], cfg["seq_len"], seed=cfg["seed"])     # the notebook's training draw
    won = transition_log_probs(x_train, Q).argmax(1)
    counts = transition_counts(x_train, mix.num_states)
    refit = np.stack([counts[won == k].sum(0).numpy() + 1e-6 for k in range(len(Q))])
    refit /= refit.sum(-1, keepdims=True)
    return accuracy, match_hypotheses(refit, mix.transitions).max_error

def point(d, name):
    "One run's row (copied to points/<name>/metrics.json; a `{seed}` in name is the run's seed), and its seed."
    m = json.loads((d / "metrics.json").read_text()); cfg = json.loads((d / "config.json").read_text())
    name = name.format(seed=cfg["seed"])
    (here / "points" / name).mkdir(parents=True, exist_ok=True)
    (here / "points" / name / "metrics.json").write_text(json.dumps(m, indent=1))
    c = m["mcl"]; K, M = c["num_hyps"], len(cfg["chains"])
    r = {"K": K, "M": M, "recovery_max_error": c["recovery_max_error"], "oracle_loss_rel_gap": c["oracle_loss_rel_gap"],
         "oracle_loss_vs_em_rel_gap": c["oracle_loss_vs_em_rel_gap"], "max_win_rate": c["max_win_rate"], "hyp_spread": c["hyp_spread"],
         "collapsed": c["collapsed"], "homogenised": c["homogenised"], "train_seconds": c["train_seconds"],
         "test_oracle_loss": c["test_oracle_loss"], "em_test_oracle_loss": c["em_fixed_point_test_oracle_loss"],
         "em_vs_chains_max_error": c["em_fixed_point_vs_chains_max_error"]}
    if K >= M: r["assignment_accuracy"], r["assignment_refit_error"] = assignment(c, cfg)
    r["meets"] = bool(not r["collapsed"] and not r["homogenised"] and
                      (r["recovery_max_error"] <= 0.03 if K >= M else r["oracle_loss_vs_em_rel_gap"] <= 0.01)) if K > 1 else \
                 bool(abs(r["oracle_loss_vs_em_rel_gap"]) <= 0.01)
    return r, cfg["seed"]

rows, per, seeds = {}, {}, set()
for d in sorted(runs.glob("label=*")):
    if not (d / "metrics.json").exists(): continue
    setting, method = re.match(r"label=(.+)-(wta|relaxed0\.05|relaxed0\.1|annealed|adaptive0\.95|adaptive)$", d.name).groups()
    r, seed = point(d, d.name[len("label="):])
    seeds.add(seed)
    rows.setdefault(setting, {})[method] = r
    for k, v in r.items():
        per.setdefault(f"{setting}.{method}.{k}", []).append(float(v))   # K and M too: a page tells K < M rows apart
def stats(v): return {"mean": float(np.mean(v)), "std": float(np.std(v)), "per_seed": [float(x) for x in v]}
# the adaptive default over seeds: seed 0 from the table's runs, seeds 1 and 2 from markov_adaptive_seeds
by_seed = {}
for d in sorted([*runs_seeds.glob("label=*"), *(d for r in runs_more for d in r.glob("label=*"))]):
    if not (d / "metrics.json").exists(): continue
    setting, method = re.match(r"label=(.+?)(-wta)?-seed=\d+$", d.name).groups()   # "<setting>": adaptive; "<setting>-wta": hard WTA
    method = "wta" if method else "adaptive"
    r, seed = point(d, f"{setting}-{method}-seed={{seed}}")
    by_seed.setdefault(method, {}).setdefault(setting, {})[seed] = r
def over_seeds(method):   # {setting: {"seeds", "recovery_max_error", "max_win_rate", "meets", "meets_all"}}, seed 0 from the table
    out = {}
    for setting, rs in by_seed.get(method, {}).items():
        if method in rows.get(setting, {}): rs = {0: rows[setting][method], **rs}
        ss = sorted(rs)
        out[setting] = {"seeds": ss, "K": rs[ss[0]]["K"], "M": rs[ss[0]]["M"], "recovery_max_error": stats([rs[x]["recovery_max_error"] for x in ss]),
                        **({"assignment_accuracy": stats([rs[x]["assignment_accuracy"] for x in ss]),
                            "assignment_refit_error": stats([rs[x]["assignment_refit_error"] for x in ss])}
                           if all("assignment_accuracy" in rs[x] for x in ss) else {}),
                        "max_win_rate": stats([rs[x]["max_win_rate"] for x in ss]),
                        "meets": [rs[x]["meets"] for x in ss], "meets_all": all(rs[x]["meets"] for x in ss)}
    return out
adaptive_seeds, wta_seeds = over_seeds("adaptive"), over_seeds("wta")
# K > M: every run (seed 0 of each method, the other seeds of adaptive and hard WTA) against the best hard-EM fixed point
objective = {}
for s, ms in rows.items():
    for m, r in ms.items():
        if r["K"] > r["M"]: objective.setdefault(s, {}).setdefault(m, {})[0] = r
for m, block in by_seed.items():
    for s, rs in block.items():
        for seed, r in rs.items():
            if r["K"] > r["M"]: objective.setdefault(s, {}).setdefault(m, {})[seed] = r
objective_k_gt_m = {s: {m: {str(x): {k: rs[x][k] for k in ("test_oracle_loss", "em_test_oracle_loss", "oracle_loss_vs_em_rel_gap",
                                                            "em_vs_chains_max_error", "recovery_max_error")} for x in sorted(rs)}
                        for m, rs in ms.items()} for s, ms in objective.items()}
summary = {"seeds": sorted(seeds), "metrics": {k: stats(v) for k, v in per.items()}, "adaptive_seeds": adaptive_seeds, "wta_seeds": wta_seeds,
           "objective_k_gt_m": objective_k_gt_m}
(here / "summary.json").write_text(json.dumps(summary, indent=1))
shutil.copy("experiments/configs/markov_adaptive.yaml", here / "config.yaml")
shutil.copy("experiments/configs/markov_adaptive_seeds.yaml", here / "config_seeds.yaml")
shutil.copy("experiments/configs/markov_adaptive_k4_seeds.yaml", here / "config_k4_seeds.yaml")
shutil.copy("experiments/configs/markov_adaptive_k4_1600.yaml", here / "config_k4_1600.yaml")

def cell(r):
    if r is None: return "–"
    err = f"{r['recovery_max_error']:.3f}" if r["K"] >= r["M"] else f"{r['oracle_loss_vs_em_rel_gap']:+.2%} vs EM"
    flags = " **collapse**" if r["collapsed"] else (" **homogenised**" if r["homogenised"] else "")
    return f"{err}{flags}{'' if r['meets'] else ' ✗'}"
order = ["paper1", "paper1_1200steps", "paper2", "three_states", "collapse_argmin_ties", "four_states_3_chains"] + \
        sorted((s for s in {*rows, *adaptive_seeds} if s.startswith("k_sweep")), key=lambda s: (int(s.split("K")[-1]), s))
print("| setting (K, M) | " + " | ".join(METHODS) + " |"); print("|---" * (len(METHODS) + 1) + "|")
for s in [s for s in order if s in rows]:
    any_r = next(iter(rows[s].values()))
    print(f"| {s} (K={any_r['K']}, M={any_r['M']}) | " + " | ".join(cell(rows[s].get(m)) for m in METHODS) + " |")
met = {m: sum(1 for s in rows if m in rows[s] and rows[s][m]["meets"]) for m in METHODS}
tot = {m: sum(1 for s in rows if m in rows[s]) for m in METHODS}
print("\nmeets the figure: " + ", ".join(f"{m} {met[m]}/{tot[m]}" for m in METHODS))
if adaptive_seeds:
    print("\n| setting (K, M) | method | seeds | recovery error, mean ± std | per seed | meets | assignment right | error after one exact refit |"
          "\n|---|---|---|---|---|---|---|---|")
    for s in [s for s in order if s in adaptive_seeds]:
        for name, block in (("adaptive (default)", adaptive_seeds), ("hard WTA", wta_seeds)):
            if s not in block: continue
            a = block[s]; e = a["recovery_max_error"]
            print(f"| {s} (K={a['K']}, M={a['M']}) | {name} | {', '.join(map(str, a['seeds']))} | {e['mean']:.3f} ± {e['std']:.3f} | "
                  f"{' / '.join(f'{x:.3f}' for x in e['per_seed'])} | {sum(a['meets'])} of {len(a['meets'])} | "
                  + (f"{min(a['assignment_accuracy']['per_seed']):.1%}-{max(a['assignment_accuracy']['per_seed']):.1%} | "
                     f"{max(a['assignment_refit_error']['per_seed']):.3f} at most |" if "assignment_accuracy" in a else "– | – |"))
if objective_k_gt_m:
    print("\n| setting (K, M) | method | seed | test oracle loss | best hard-EM fixed point | gap | fixed point vs chains | run vs chains |"
          "\n|---|---|---|---|---|---|---|---|")
    for s in [s for s in order if s in objective_k_gt_m]:
        for m in [m for m in METHODS if m in objective_k_gt_m[s]]:
            for x, r in objective_k_gt_m[s][m].items():
                KM = objective[s][m][int(x)]
                print(f"| {s} (K={KM['K']}, M={KM['M']}) | {m} | {x} | "
                      f"{r['test_oracle_loss']:.4f} | {r['em_test_oracle_loss']:.4f} | {r['oracle_loss_vs_em_rel_gap']:+.2%} | "
                      f"{r['em_vs_chains_max_error']:.3f} | {r['recovery_max_error']:.3f} |")

import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
shown = [s for s in order if s in rows and next(iter(rows[s].values()))["K"] >= next(iter(rows[s].values()))["M"]]
fig, ax = plt.subplots(figsize=(8, 3.4))
for i, m in enumerate(METHODS):
    ys = [rows[s][m]["recovery_max_error"] if m in rows[s] else np.nan for s in shown]
    ax.scatter(np.arange(len(shown)) + (i - 2.5) * 0.12, ys, label=m, s=22)
ax.axhline(0.03, ls="--", c="grey", label="0.03"); ax.set_yscale("log")
ax.set_xticks(range(len(shown)), shown, rotation=20, fontsize=8); ax.set_ylabel("recovery error (max abs, matched)")
ax.set_title("Markov settings with K >= M: chain recovery by WTA variant (one seed)", fontsize=10); ax.legend(fontsize=7, ncol=3)
fig.tight_layout(); fig.savefig(here / "adaptive.png", dpi=100)
