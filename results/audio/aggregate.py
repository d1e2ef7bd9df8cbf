"""Collect the audio-captioning runs with the pretrained Whisper encoder (5-fold cross-validation over Tux Paint's 135
sounds: every clip tested once) into this folder.

    python results/audio/aggregate.py [runs]

Reads runs/audio_captioning_folds/label=whisper-fold=N/metrics.json, copies each (all test clips' candidates: 27 per
fold), the fold-0 figures and the config, and writes summary.json:
{"folds": [...], "metrics": {"<method>.<metric>": {"mean", "std", "per_fold", "folds"}}, "named_right": {method: {"total",
"clips"}}, "checks": {"fold=N": {...}}, "all_folds": {...}, "runs": {name: {"seconds"}}}.
"""
import json, re, shutil, sys
from pathlib import Path
import numpy as np

here = Path(__file__).parent
runs = Path(sys.argv[1] if len(sys.argv) > 1 else "runs")
CONFIG, MCL, BEAM = "audio_captioning_folds", "LoRA-MCL (relaxed)", "LoRA-MLE beam"
METRICS = ["oracle_CIDEr-D", "oracle_BLEU-4", "oracle_METEOR", "oracle_ROUGE-L", "mBLEU-4", "div-2", "languages_covered", "named_right", "forward_rows"]

per, folds, info, checks, named, clips = {}, [], {}, {}, {}, {}
for d in sorted((runs / CONFIG).glob("label=whisper-fold=*")):
    if not (d / "metrics.json").is_file(): print(f"skipped {d} (not finished)"); continue
    fold = int(re.search(r"fold=(\d+)", d.name).group(1))
    m = json.loads((d / "metrics.json").read_text())
    out = here / f"whisper-fold={fold}"; out.mkdir(exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(m, indent=1))
    done = d / "lora_mcl_run.json"
    info[f"whisper-fold={fold}"] = {"seconds": json.loads(done.read_text())["seconds"] if done.is_file() else m["summary"]["total_s"]}
    folds.append(fold)
    n_test = m["summary"]["num_test"]
    for method, row in m["rows"].items():
        for k in METRICS:
            if k in row: per.setdefault(f"{method}.{k}", {})[fold] = row[k]
        named[method] = named.get(method, 0) + row["named_right"]
        clips[method] = clips.get(method, 0) + n_test
    mcl, beam = m["rows"][MCL], m["rows"][BEAM]
    checks[f"fold={fold}"] = {"test_clips": n_test, "mcl_oracle_CIDEr-D_at_least_beam": mcl["oracle_CIDEr-D"] >= beam["oracle_CIDEr-D"],
                              "mcl_mBLEU-4_lower": mcl["mBLEU-4"] < beam["mBLEU-4"], "oracle_CIDEr-D_gap": mcl["oracle_CIDEr-D"] - beam["oracle_CIDEr-D"],
                              "named_right": {n: r["named_right"] for n, r in m["rows"].items()}}
    if fold == 0:
        for f in ("quality_diversity.png", "win_rates.png", "training.png"):
            if (d / f).is_file(): shutil.copy(d / f, here / f"whisper_{f}")
folds.sort()
stats = lambda v: {"mean": float(np.mean(list(v.values()))), "std": float(np.std(list(v.values()))), "per_fold": [v[f] for f in sorted(v)], "folds": sorted(v)}
summary = {"folds": folds, "metrics": {k: stats(v) for k, v in per.items()},
           "named_right": {n: {"total": named[n], "clips": clips[n]} for n in named}, "checks": checks}
if folds:   # the figure asked over the folds: MCL's oracle CIDEr-D at least beam's (mean over folds) with a lower mBLEU-4
    M = summary["metrics"]
    summary["all_folds"] = {"complete": folds == [0, 1, 2, 3, 4],
                            "mcl_oracle_CIDEr-D_at_least_beam_mean": M[f"{MCL}.oracle_CIDEr-D"]["mean"] >= M[f"{BEAM}.oracle_CIDEr-D"]["mean"],
                            "mcl_mBLEU-4_lower_mean": M[f"{MCL}.mBLEU-4"]["mean"] < M[f"{BEAM}.mBLEU-4"]["mean"],
                            "folds_mcl_at_least_beam": sum(c["mcl_oracle_CIDEr-D_at_least_beam"] for c in checks.values())}
summary["runs"] = info
(here / "summary.json").write_text(json.dumps(summary, indent=1))
shutil.copy(f"experiments/configs/{CONFIG}.yaml", here / f"{CONFIG}.yaml")
print(f"{len(info)} runs, folds {folds}: {here / 'summary.json'}")
print(json.dumps({k: summary[k] for k in ("named_right", "all_folds") if k in summary}, indent=1))
