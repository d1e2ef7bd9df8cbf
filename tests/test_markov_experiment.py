"The Markov experiment through papermill: a tiny sweep end to end, same seed -> same numbers, bad input refused before training."
import json
from pathlib import Path
import pytest
from papermill.exceptions import PapermillExecutionError
from lora_mcl.runner import run_notebook, sweep, main

NB = "nbs/experiments/markov.ipynb"
SMOKE = {"seq_len": 8, "steps": 6, "batch_size": 16, "num_test": 64, "eval_every": 3}

@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[1])

def test_tiny_sweep_end_to_end(tmp_path):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(f"""notebook: {NB}
name: tiny
parameters: {json.dumps(SMOKE)}
points:
  - {{label: good}}
  - {{label: bad_chain, chains: [[[.5, .6], [.5, .5]]]}}
grid:
  num_hyps: [1, 2]
summary: [mcl.test_oracle_loss, exact.oracle_entropy, mcl.max_win_rate]
plot: {{x: num_hyps, y: [mcl.test_oracle_loss, exact.oracle_entropy]}}
""")
    rows = sweep(cfg, root=tmp_path / "runs", progress=False)
    assert [(r["label"], r["num_hyps"], r["status"]) for r in rows] == [
        ("good", 1, "ok"), ("good", 2, "ok"), ("bad_chain", 1, "failed"), ("bad_chain", 2, "failed")]
    assert "not a stochastic matrix" in rows[2]["error"] and "row 0 sums to 1.1" in rows[2]["error"]
    assert all(r["mcl.test_oracle_loss"] > 0 for r in rows[:2])
    out = tmp_path / "runs" / "tiny"
    for f in ("summary.csv", "summary.md", "summary.json", "summary.png"): assert (out / f).is_file()
    run = out / "label=good-num_hyps=2"
    for f in ("markov.ipynb", "metrics.json", "config.json", "summary.txt", "losses.png", "matrices.png", "win_rates.png"): assert (run / f).is_file(), f
    assert not (out / "label=bad_chain-num_hyps=1" / "trainer").exists()          # refused before any training
    # the command line on the same sweep: finished points are reused, the failed ones rerun and fail again -> exit status 1
    assert main(["sweep", str(cfg), "--root", str(tmp_path / "runs"), "--resume"]) == 1

@pytest.mark.parametrize("params", [
    {"wta_mode": "relaxed", "epsilon": 0.1, "seed": 3},
    {"wta_mode": "wta", "scoring_head": True, "context_weights": [[.8, .2], [.3, .7]], "seed": 3},   # p(k|c) and the mixture NLL too
])
def test_same_seed_same_numbers(tmp_path, params):
    a = run_notebook(NB, {**SMOKE, **params}, out_dir=tmp_path / "a", progress=False)["metrics"]
    b = run_notebook(NB, {**SMOKE, **params}, out_dir=tmp_path / "b", progress=False)["metrics"]
    for m in (a, b):
        for part in ("mcl", "mle"): m[part].pop("train_seconds")
    assert a == b
    if params.get("scoring_head"):
        assert len(a["scoring"]["p_head"]) == 2 and a["scoring"]["test_mixture_nll"] > 0
        assert (tmp_path / "a" / "scoring.png").is_file()

@pytest.mark.parametrize("bad, message", [
    ({"num_hyps": 0}, "num_hyps=0 must be an integer >= 1"),
    ({"seq_len": 1}, "seq_len=1 must be an integer >= 2"),
    ({"chains": [[[1.2, -0.2], [0.5, 0.5]]]}, "non-negative"),
])
def test_bad_input_fails_before_training(tmp_path, bad, message):
    with pytest.raises(PapermillExecutionError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        run_notebook(NB, {**SMOKE, **bad}, out_dir=tmp_path, progress=False)
    assert not (tmp_path / "trainer").exists()

def test_sweep_config_errors(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(f"notebook: {NB}\ngrid:\n  num_hyp: [1, 2]\n")
    assert main(["sweep", str(cfg)]) == 2
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['num_hyp'\]"): sweep(cfg, root=tmp_path)
    cfg.write_text("notebook: nbs/experiments/nope.ipynb\n")
    with pytest.raises(FileNotFoundError, match="nope.ipynb"): sweep(cfg, root=tmp_path)
    assert main(["run", NB, "-p", "epsilonn", "0.1"]) == 2
