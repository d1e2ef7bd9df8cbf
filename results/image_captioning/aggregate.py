"""Collect the image-captioning runs (pretrained encoder over seeds, and the encoder trained from scratch) into this folder.

    python results/image_captioning/aggregate.py [runs]

Reads runs/image_captioning_seeds/label=pretrained-seed=N/ and runs/image_captioning_encoders/label=scratch/, copies each
run's metrics.json (with the first 10 test images' candidates only), the seed-0 figures and the configs, and writes
summary.json: {"seeds": [...], "metrics": {"<method>.<metric>": {"mean", "std", "per_seed"}}, "checks": {...},
"encoders": {"<method>": {"pretrained", "scratch"}}, "runs": {name: {"seconds"}}}.
"""
import json, re, shutil, sys
from pathlib import Path
import numpy as np

here = Path(__file__).parent
runs = Path(sys.argv[1] if len(sys.argv) > 1 else "runs")
METRICS = ["oracle_CIDEr-D", "oracle_BLEU-4", "oracle_METEOR", "oracle_ROUGE-L", "mBLEU-4", "div-2", "languages_covered", "forward_rows"]

def load(d: Path, name: str) -> dict:
    m = json.loads((d / "metrics.json").read_text())
    m["candidates"] = {k: v[:10] for k, v in m["candidates"].items()}        # examples; the full lists stay in runs/
    out = here / name; out.mkdir(exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(m, indent=1))
    done = d / "lora_mcl_run.json"
    return m, (json.loads(done.read_text()).get("seconds") if done.is_file() else m["summary"]["total_s"])

per, seeds, info, checks = {}, [], {}, {}
for d in sorted((runs / "image_captioning_seeds").glob("label=pretrained-seed=*")):
    if not (d / "metrics.json").is_file(): print(f"skipped {d} (not finished)"); continue
    seed = int(re.search(r"seed=(\d+)", d.name).group(1))
    m, seconds = load(d, f"pretrained-seed={seed}")
    seeds.append(seed); info[f"pretrained-seed={seed}"] = {"seconds": seconds}
    for method, row in m["rows"].items():
        for k in METRICS:
            if k in row: per.setdefault(f"{method}.{k}", {})[seed] = row[k]
    mcl, beam = m["rows"]["LoRA-MCL (relaxed)"], m["rows"]["LoRA-MLE beam"]
    checks[f"seed={seed}"] = {"mcl_oracle_CIDEr-D_at_least_beam": mcl["oracle_CIDEr-D"] >= beam["oracle_CIDEr-D"],
                              "mcl_mBLEU-4_lower": mcl["mBLEU-4"] < beam["mBLEU-4"],
                              "oracle_CIDEr-D_gap": mcl["oracle_CIDEr-D"] - beam["oracle_CIDEr-D"],
                              # the language each candidate slot writes most often on the test images, and how often
                              "language_per_hypothesis": {n: {k: f"{max(v, key=v.get)} {max(v.values()):.2f}" for k, v in m["languages_per_hypothesis"][n].items()}
                                                          for n in ("LoRA-MCL (relaxed)", "LoRA-MLE beam")},
                              "held_out_max_win_rate_per_language": {l: max(r.values()) for l, r in m["held_out_win_rates"]["LoRA-MCL (relaxed)"].items()}}
    if seed == 0:
        for f in ("quality_diversity.png", "win_rates.png", "training.png"):
            if (d / f).is_file(): shutil.copy(d / f, here / f"pretrained_{f}")
seeds.sort()
summary = {"seeds": seeds,
           "metrics": {k: {"mean": float(np.mean(list(v.values()))), "std": float(np.std(list(v.values()))), "per_seed": [v[s] for s in sorted(v)],
                           "seeds": sorted(v)} for k, v in per.items()},
           "checks": checks}
scratch = runs / "image_captioning_encoders" / "label=scratch"
if (scratch / "metrics.json").is_file() and 0 in seeds:
    m, seconds = load(scratch, "scratch-seed=0")
    info["scratch-seed=0"] = {"seconds": seconds}
    pre = json.loads((here / "pretrained-seed=0" / "metrics.json").read_text())["rows"]
    summary["encoders"] = {method: {"pretrained": pre[method]["oracle_CIDEr-D"], "scratch": row["oracle_CIDEr-D"]}
                           for method, row in m["rows"].items() if method in pre}
    summary["checks"]["pretrained_raises_every_method"] = all(v["pretrained"] > v["scratch"] for v in summary["encoders"].values())
    if (scratch / "quality_diversity.png").is_file(): shutil.copy(scratch / "quality_diversity.png", here / "scratch_quality_diversity.png")
summary["runs"] = info
(here / "summary.json").write_text(json.dumps(summary, indent=1))
for c in ("image_captioning_seeds", "image_captioning_encoders"): shutil.copy(f"experiments/configs/{c}.yaml", here / f"{c}.yaml")
print(f"{len(info)} runs, seeds {seeds}: {here / 'summary.json'}")
print(json.dumps(summary["checks"], indent=1))
