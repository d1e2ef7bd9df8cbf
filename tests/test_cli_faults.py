"The command line under faults: an interrupted sweep, two runs into one folder, a run cut off after its metrics."
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
import nbformat
import pytest

CLI = [sys.executable, "-c", "import sys; from lora_mcl.runner import main; sys.exit(main(sys.argv[1:]))"]


def slow_notebook(path: Path) -> Path:
    "Writes metrics.json first, then works for `pause` seconds: a SIGINT in that window cuts the run after its metrics."
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("x: float = 1.0\npause: float = 0.0\nout_dir: str = None"); p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell("import json, pathlib, time\npathlib.Path(out_dir).mkdir(parents=True, exist_ok=True)\n"
                                             "pathlib.Path(out_dir, 'metrics.json').write_text(json.dumps({'square': x * x}))"),
                nbformat.v4.new_code_cell("time.sleep(pause)"), nbformat.v4.new_code_cell("print('last cell')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "python3", "language": "python"}
    nbformat.write(nb, path)
    return path


def wait_for(path: Path, proc, timeout=120):
    t0 = time.time()
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < timeout, f"{path} did not appear"
        time.sleep(0.2)


def own_traceback(err: str) -> bool:
    """Whether stderr holds a traceback of the command line itself: any frame of lora_mcl's or papermill's files (the
    command's entry point is `lora_mcl.runner.main`, so every traceback of its own has one). The Jupyter kernel, a
    separate process that imports neither, may log its own shutdown when interrupted ("[IPKernelApp] ERROR |
    KeyboardInterrupt caught in kernel." and a zmq traceback): that is not the command's output and is not counted."""
    return any(re.search(r"(lora_mcl|papermill)/\w+\.py", line) for line in err.splitlines())


def _default_sigint():
    "Ctrl-C as in a terminal: a shell's background job (`cmd &`) starts with SIGINT ignored, and its children inherit that."
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_interrupted_sweep_writes_its_summary_and_is_not_reused(tmp_path):
    nb = slow_notebook(tmp_path / "slow.ipynb")
    cfg = tmp_path / "s.yaml"
    cfg.write_text(f"notebook: {nb}\nname: s\nparameters: {{pause: 60.0}}\npoints:\n  - {{label: fast, pause: 0.0}}\n"
                   "  - {label: slow}\n  - {label: never}\nsummary: [square]\n")
    proc = subprocess.Popen(CLI + ["sweep", str(cfg), "--root", str(tmp_path / "runs")], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_default_sigint)
    wait_for(tmp_path / "runs" / "s" / "label=slow" / "metrics.json", proc)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)                    # as Ctrl-C in a terminal: the whole process group
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert "lora-mcl: interrupted" in err, err
    assert not own_traceback(err), err
    rows = json.loads((tmp_path / "runs" / "s" / "summary.json").read_text())
    assert [r["status"] for r in rows] == ["ok", "interrupted", "not run"]
    from lora_mcl.runner import finished_run
    assert finished_run(tmp_path / "runs" / "s" / "label=slow", nb, {"pause": 60.0}) is None   # metrics.json, but not finished
    assert finished_run(tmp_path / "runs" / "s" / "label=fast", nb, {"pause": 0.0}) is not None


def test_two_runs_into_one_folder(tmp_path):
    nb = slow_notebook(tmp_path / "slow.ipynb")
    out = tmp_path / "out"
    first = subprocess.Popen(CLI + ["run", str(nb), "-p", "pause", "30", "--out", str(out)], cwd=tmp_path, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_default_sigint)
    try:
        wait_for(out / "metrics.json", first)
        second = subprocess.run(CLI + ["run", str(nb), "-p", "x", "3", "--out", str(out)], cwd=tmp_path, text=True,
                                capture_output=True, timeout=120)
        assert second.returncode == 1 and "is in use by another lora-mcl run" in second.stderr, second.stderr
        assert json.loads((out / "metrics.json").read_text()) == {"square": 1.0}   # the first run's results are intact
    finally:
        os.killpg(first.pid, signal.SIGINT)
        first.communicate(timeout=120)
    assert first.returncode == 130
    done = subprocess.run(CLI + ["run", str(nb), "-p", "x", "3", "--out", str(out)], cwd=tmp_path, text=True, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr                                   # the lock went with the first run
    assert json.loads((out / "metrics.json").read_text()) == {"square": 9.0}


def test_typed_parameters_are_checked_before_anything_runs(tmp_path):
    nb = slow_notebook(tmp_path / "slow.ipynb")
    r = subprocess.run(CLI + ["run", str(nb), "-p", "x", "abc"], cwd=tmp_path, text=True, capture_output=True, timeout=120)
    assert r.returncode == 2 and "parameter x is declared float" in r.stderr, r.stderr
    assert not (tmp_path / "runs").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"notebook: {nb}\ngrid:\n  x: [1, 2\n")
    r = subprocess.run(CLI + ["sweep", str(bad)], cwd=tmp_path, text=True, capture_output=True, timeout=120)
    assert r.returncode == 2 and "bad.yaml: not valid YAML at line 4" in r.stderr, r.stderr
