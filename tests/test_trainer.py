"MCLTrainer under DDP: 2 CPU processes (gloo) launched by `accelerate launch` give the same model as one process on the global batch."
import json, os, subprocess, sys
from pathlib import Path
import pytest
from conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

def _run(cmd, out):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return json.loads((out / "result.json").read_text())

@pytest.mark.parametrize("scoring_head", [False, True])
def test_ddp_two_cpu_processes_match_single_process(tmp_path, scoring_head):
    launch = [str(BIN / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
              "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port())]
    extra = ["scoring_head"] if scoring_head else []
    ddp = _run(launch + ["tests/ddp_train.py", str(tmp_path / "ddp"), "32"] + extra, tmp_path / "ddp")
    one = _run([sys.executable, "tests/ddp_train.py", str(tmp_path / "one"), "64"] + extra, tmp_path / "one")
    assert ddp["world_size"] == 2 and one["world_size"] == 1
    # the annealed loss does not depend on random tie-breaking: 2 x 32 rows under DDP = 64 rows in one process
    keys = ("eval_loss", "eval_oracle_loss", "eval_hyp_loss_0", "eval_hyp_loss_1")
    if scoring_head:   # the head's soft-target cross-entropy averages over the global batch like the loss
        keys += ("eval_scoring_loss", "eval_scoring_accuracy", "eval_mixture_nll")
    for k in keys:
        assert abs(ddp["metrics"][k] - one["metrics"][k]) < 1e-4, (k, ddp["metrics"], one["metrics"])
    logs = [h for h in ddp["log_history"] if "win_rate_0" in h]
    assert len(logs) == 2 and all(abs(h["win_rate_0"] + h["win_rate_1"] - 1) < 1e-6 for h in logs)
    assert (tmp_path / "ddp" / "checkpoint-6" / "mcl_adapters.safetensors").is_file()
