"The built wheel, installed into a fresh virtual environment outside the repository, runs the shipped Markov experiment by name."
import json
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(cmd, **kw):
    r = subprocess.run(cmd, text=True, capture_output=True, timeout=600, **kw)
    assert r.returncode == 0, f"{cmd} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def test_wheel_in_a_fresh_venv_runs_the_markov_experiment_by_name(tmp_path):
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"), str(REPO)])
    wheel, = (tmp_path / "dist").glob("lora_mcl-*.whl")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])   # this environment's pip installs into it (--python)
    py = venv / "bin" / "python"
    # the wheel is installed for real; its dependencies (torch, papermill, ...) are this environment's, read through a
    # .pth line (a plain path: this environment's own editable lora_mcl is not activated there)
    purelib = run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    Path(purelib, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q", str(wheel)])
    work = tmp_path / "work"; work.mkdir()
    where = run([str(py), "-c", "import lora_mcl; print(lora_mcl.__file__)"], cwd=work).stdout.strip()
    assert where.startswith(purelib), where                            # the installed wheel, not the repository
    listed = run([str(venv / "bin" / "lora-mcl"), "list"], cwd=work).stdout
    assert "markov" in listed and "markov_paper" in listed and str(REPO) not in listed, listed
    run([str(venv / "bin" / "lora-mcl"), "run", "markov", "-p", "steps", "4", "-p", "eval_every", "2", "-p", "num_test", "64",
         "-p", "seq_len", "8", "--out", "out"], cwd=work)
    metrics = json.loads((work / "out" / "metrics.json").read_text())
    assert "mcl" in metrics and (work / "out" / "lora_mcl_run.json").is_file()
