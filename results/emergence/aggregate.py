"""Collect `lora-mcl sweep experiments/configs/emergence.yaml` from runs/emergence/ into this folder.

    python results/emergence/aggregate.py [runs/emergence]

Copies each seed's metrics.json, the figures of seeds 0 and 1, the executed notebook of seed 0, writes summary.json ({"seeds": [...],
"metrics": {"<variant>.<name>": {"mean", "std", "per_seed"}}}) and prints the table of README.md.
"""
import json, shutil, sys
from pathlib import Path
import numpy as np

here = Path(__file__).parent
runs = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/emergence")
per, seeds, labels = {}, [], []
for d in sorted(runs.glob("seed=*"), key=lambda p: int(p.name.split("=")[1])):
    m = json.loads((d / "metrics.json").read_text())
    seed = m["params"]["seed"]; seeds.append(seed)
    out = here / f"seed={seed}"; out.mkdir(exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(m, indent=1))
    if seed in (0, 1):   # seed 1: hard WTA with random ties nearly collapses for 70 steps, then recovers
        shutil.copy(d / "emergence.png", here / f"emergence_seed{seed}.png")
    if seed == 0:   # the executed notebook, without the library warnings on stderr (they name this machine's paths)
        nb = json.loads((d / "emergence.ipynb").read_text())
        for c in nb["cells"]:
            if "outputs" in c: c["outputs"] = [o for o in c["outputs"] if o.get("name") != "stderr"]
        (here / "emergence_seed0.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    for lab, r in m["variants"].items():
        if lab not in labels: labels.append(lab)
        for k in ("decided_step", "settle_step", "first_step_one_hypothesis_over_90pct", "first_step_every_hypothesis_over_10pct",
                  "collapsed", "recovery_max_error"):
            v = r[k]
            per.setdefault(f"{lab}.{k}", []).append(float("nan") if v is None else float(v))
        per.setdefault(f"{lab}.final_max_win_rate", []).append(max(r["final_win_rates"]))
summary = {"seeds": seeds, "metrics": {k: {"mean": float(np.nanmean(v)) if not np.isnan(v).all() else None,
                                           "std": float(np.nanstd(v)) if not np.isnan(v).all() else None, "per_seed": v}
                                       for k, v in per.items()}}
(here / "summary.json").write_text(json.dumps(summary, indent=1))
shutil.copy("experiments/configs/emergence.yaml", here / "config.yaml")
fmt = lambda v: "never" if np.isnan(v) else f"{v:g}"
print("| variant | decided at step (per seed) | assignment settles at step | all hypotheses >= 10% at step | collapsed | recovery error |")
print("|---|---|---|---|---|---|")
for lab in labels:
    g = lambda k: per[f"{lab}.{k}"]
    print(f"| {lab} | {' / '.join(fmt(v) for v in g('decided_step'))} | {' / '.join(fmt(v) for v in g('settle_step'))} | "
          f"{' / '.join(fmt(v) for v in g('first_step_every_hypothesis_over_10pct'))} | {int(sum(g('collapsed')))} of {len(seeds)} | "
          f"{np.mean(g('recovery_max_error')):.3f} ± {np.std(g('recovery_max_error')):.3f} |")
