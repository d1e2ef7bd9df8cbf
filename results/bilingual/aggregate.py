"""Collect the bilingual captioning runs into this folder: the paper's specialisation experiment over seeds
(bilingual_seeds), the same with the adaptive relaxation (bilingual_adaptive08 at its default, bilingual_adaptive at its
first default, adaptive_decay 0.95), a context-dependent variant with a
scoring head (bilingual_context) and the same with the head reading the image encoder's features, refit after training
(bilingual_context_head; its LoRA-MLE comparison is bilingual_context's, same seed, which trains LoRA-MLE identically),
and the same again with the refit stopped early on held-out training captions (bilingual_context_head_holdout).

    python results/bilingual/aggregate.py [runs]

Reads runs/<config>/label=<point>-seed=N/metrics.json (a config with no run there keeps its block of the committed
summary.json), copies each (with the first 10 test images' candidates only),
the seed-0 figures and the configs, and writes summary.json:
{"<config>": {"seeds": [...], "metrics": {name: {"mean", "std", "per_seed", "seeds"}}, "checks": {"seed=N": {...}}}, "runs": {...}}.
"""
import json, re, shutil, sys
from pathlib import Path
import numpy as np

here = Path(__file__).parent
runs = Path(sys.argv[1] if len(sys.argv) > 1 else "runs")
CONFIGS = {"bilingual_seeds": ("annealed_093", "LoRA-MCL (annealed)"), "bilingual_context": ("emoji08", "LoRA-MCL (annealed)"),
           "bilingual_adaptive": ("adaptive", "LoRA-MCL (adaptive)"),
           "bilingual_adaptive08": ("adaptive", "LoRA-MCL (adaptive)"), "bilingual_context_head": ("image_head", "LoRA-MCL (annealed)"),
           "bilingual_context_head_holdout": ("image_head_holdout", "LoRA-MCL (annealed)")}   # config: (its point's label, the LoRA-MCL variant it trains)

def stats(per):   # {name: {seed: value}} -> {name: {"mean", "std", "per_seed", "seeds"}}
    return {k: {"mean": float(np.mean(list(v.values()))), "std": float(np.std(list(v.values()))),
                "per_seed": [v[s] for s in sorted(v)], "seeds": sorted(v)} for k, v in per.items()}

# a config none of whose runs are under `runs` (made on another machine) keeps its committed block and run times
committed = json.loads((here / "summary.json").read_text()) if (here / "summary.json").is_file() else {}
summary, info = {}, {}
for config, (point, MCL) in CONFIGS.items():
    per, seeds, checks = {}, [], {}
    for d in sorted((runs / config).glob(f"label={point}-seed=*")):
        if not (d / "metrics.json").is_file(): print(f"skipped {d} (not finished)"); continue
        seed = int(re.search(r"seed=(\d+)", d.name).group(1))
        m = json.loads((d / "metrics.json").read_text())
        m["candidates"] = {k: v[:10] for k, v in m["candidates"].items()}   # examples; the full lists stay in runs/
        out = here / f"{config}-seed={seed}"; out.mkdir(exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(m, indent=1))
        done = d / "lora_mcl_run.json"
        info[f"{config}-seed={seed}"] = {"seconds": json.loads(done.read_text())["seconds"] if done.is_file() else m["summary"]["total_s"]}
        seeds.append(seed)
        s, dist = m["summary"][MCL], m["languages_per_hypothesis"][MCL]
        langs = list(s["max_win_rate_per_language"])
        # the paper's figure: each language won by one hypothesis (a different one per language), which writes it on the test images
        writes_own = {l: dist[str(s["winner_per_language"][l])][l] for l in langs}
        for l in langs:
            per.setdefault(f"train_win_rate.{l}", {})[seed] = s["max_win_rate_per_language"][l]
            # held out: the share of the language's test references won by the hypothesis that won its training captions
            per.setdefault(f"held_out_win_rate.{l}", {})[seed] = m["held_out_win_rates"][MCL][l][str(s["winner_per_language"][l])]
            per.setdefault(f"winner_writes_its_language.{l}", {})[seed] = writes_own[l]
        c = {"winners": s["winner_per_language"], "distinct_winners": len(set(s["winner_per_language"].values())) == len(langs),
             "won_by_one_hypothesis_90": all(s["max_win_rate_per_language"][l] >= 0.9 for l in langs),
             "writes_its_language_90": all(v >= 0.9 for v in writes_own.values())}
        c["figure"] = c["distinct_winners"] and c["won_by_one_hypothesis_90"] and c["writes_its_language_90"]
        c["language_identifier_accuracy"] = m["summary"]["language_identifier_accuracy"]   # on the test references: the ceiling of "writes its language"
        h = m.get("scoring_heads", {}).get(MCL)
        if h:
            per.setdefault("scoring_head.max_abs_error", {})[seed] = h["max_abs_error"]
            per.setdefault("scoring_head.top_scored", {})[seed] = h["top_scored"]
            mle = m["scoring_heads"].get("LoRA-MLE beam top-1")
            if mle is None:   # a run without baselines: LoRA-MLE of bilingual_context, same seed (same split, captions and training)
                mle = json.loads((here / f"bilingual_context-seed={seed}" / "metrics.json").read_text())["scoring_heads"]["LoRA-MLE beam top-1"]
                c["mle_from"] = "bilingual_context"
            per.setdefault("LoRA-MLE beam top-1", {})[seed] = mle["top_scored"]
            for k, v in enumerate(h["each_hypothesis"]): per.setdefault(f"hypothesis_{k}_alone", {})[seed] = v
            for g, pl in h["p_language_per_kind"].items(): per.setdefault(f"p_fr.{g or '(other)'}", {})[seed] = pl["fr"]
            c["p_within_0.1"] = h["max_abs_error"] <= 0.1
            # what the head estimates: how often the French-writing hypothesis WINS a training caption of each kind. From the
            # training win rates per language (400 training captions) and each kind's language counts, assuming the winner
            # depends on the kind only through the language: sum_l share(l | kind) * win rate(French writer | l)
            fr = [k for k, (l, _) in s["language_per_hypothesis"].items() if l == "fr"]
            wr, counts, rule = m["win_rates"][MCL], m["summary"]["training_captions_per_kind"], m["params"]["language_share"]
            implied = {g: sum(n / sum(cs.values()) * sum(wr[l][k] for k in fr) for l, n in cs.items()) for g, cs in counts.items()}
            for g, v in implied.items(): per.setdefault(f"winner_share_fr.{g or '(other)'}", {})[seed] = v
            c["head_vs_winner_share"] = max(abs(h["p_language_per_kind"][g]["fr"] - implied[g]) for g in implied)
            c["winner_share_vs_rule"] = max(abs(implied[g] - rule[g]) for g in implied)
            c["top_scored_at_least_mle_top1"] = h["top_scored"] >= mle["top_scored"]
            if "joint" in h:   # head_refit_steps: the head above is the refit one; the jointly trained one before the refit
                j = h["joint"]
                per.setdefault("scoring_head_joint.max_abs_error", {})[seed] = j["max_abs_error"]
                per.setdefault("scoring_head_joint.top_scored", {})[seed] = j["top_scored"]
                for g, pl in j["p_language_per_kind"].items(): per.setdefault(f"p_fr_joint.{g or '(other)'}", {})[seed] = pl["fr"]
                c["joint_p_within_0.1"] = j["max_abs_error"] <= 0.1
                c["refit"] = h["refit"]
        t = m.get("trace", {}).get(MCL)
        if t: c.update(decided_at_step=t["decided_at_step"], settles_at_step=t["settles_at_step"], final_winner_per_language=t["final_winner_per_language"])
        if m.get("oracle_nll"):
            for n, v in m["oracle_nll"].items(): per.setdefault(f"oracle_nll.{n}", {})[seed] = v["oracle_nll"]
        checks[f"seed={seed}"] = c
        if seed == 0:
            for f in ("win_rates.png", "training.png", "scoring_head.png", "quality_diversity.png", "trace.png"):
                if (d / f).is_file(): shutil.copy(d / f, here / f"{config}_{f}")
    if seeds:
        summary[config] = {"seeds": sorted(seeds), "metrics": stats(per), "checks": checks, "language_share": m["params"].get("language_share") or None,
                           "figure_on_every_seed": all(c["figure"] for c in checks.values())}
        shutil.copy(f"experiments/configs/{config}.yaml", here / f"{config}.yaml")
for config in CONFIGS:
    if config not in summary and config in committed:
        summary[config] = committed[config]
        info.update({k: v for k, v in committed.get("runs", {}).items() if k.startswith(f"{config}-seed=")})
        print(f"kept the committed {config} (no run of it under {runs})")
summary = {c: summary[c] for c in CONFIGS if c in summary}
summary["runs"] = dict(sorted(info.items(), key=lambda kv: (list(CONFIGS).index(kv[0].rsplit("-seed=", 1)[0]), kv[0])))
(here / "summary.json").write_text(json.dumps(summary, indent=1))
print(f"{len(info)} runs: {here / 'summary.json'}")
print(json.dumps({k: v.get("checks") for k, v in summary.items() if k != "runs"}, indent=1))
