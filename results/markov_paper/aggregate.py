"""Collect `lora-mcl sweep markov_paper_seeds` from runs/markov_paper_seeds/ into this folder.

    python results/markov_paper/aggregate.py [runs/markov_paper_seeds]

Copies each run's metrics.json (without the learned matrices), the seed-0 figures of every setting and the config, and
writes summary.json: {"seeds": [...], "metrics": {"<setting>.<name>": {"mean", "std", "per_seed"}}, "runs": {...}}.
"""
import json, re, shutil, sys
from pathlib import Path
import numpy as np

here = Path(__file__).parent
runs = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/markov_paper_seeds")
per, seeds, info = {}, set(), {}
for d in sorted(runs.glob("label=*-seed=*")):
    if not (d / "lora_mcl_run.json").is_file(): print(f"skipped {d} (not finished)"); continue
    setting, seed = re.match(r"label=(.+)-seed=(\d+)", d.name).groups()
    m = json.loads((d / "metrics.json").read_text())
    seeds.add(int(seed))
    out = here / f"{setting}-seed={seed}"; out.mkdir(exist_ok=True)
    m["mcl"].pop("learned_transitions", None)
    (out / "metrics.json").write_text(json.dumps(m, indent=1))
    info[f"{setting}-seed={seed}"] = {"seconds": json.loads((d / "lora_mcl_run.json").read_text())["seconds"]}
    if seed == "0":
        for f in ("losses.png", "matrices.png"): shutil.copy(d / f, here / f"{setting}_{f}")
    c, e, b = m["mcl"], m["mle"], m["exact"]
    for k, v in {"mcl_recovery_max_error": c["recovery_max_error"], "mcl_em_fixed_point_max_error": c["em_fixed_point_max_error"],
                 "mcl_test_oracle_loss": c["test_oracle_loss"], "mcl_oracle_loss_rel_gap": c["oracle_loss_rel_gap"],
                 "oracle_entropy": b["oracle_entropy"], "mle_test_loss": e["test_loss"], "mle_loss_rel_gap": e["loss_rel_gap"],
                 "mle_entropy": b["mle_entropy"], "mle_max_error_vs_average": e["max_error_vs_average"],
                 "mcl_max_win_rate": c["max_win_rate"], "mcl_train_seconds": c["train_seconds"]}.items():
        per.setdefault(f"{setting}.{k}", []).append(v)
summary = {"seeds": sorted(seeds), "metrics": {k: {"mean": float(np.mean(v)), "std": float(np.std(v)), "per_seed": v}
                                               for k, v in per.items()}, "runs": info}
(here / "summary.json").write_text(json.dumps(summary, indent=1))
shutil.copy("experiments/configs/markov_paper_seeds.yaml", here / "config.yaml")
print(f"{len(info)} runs, seeds {sorted(seeds)}: {here / 'summary.json'}")
