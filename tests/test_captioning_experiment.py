"""The captioning experiment through papermill at smoke size (synthetic stamps, tiny random LM): every method's row, the
language analysis and, in the bilingual setting, win rates per language."""
import json
from pathlib import Path
import pytest
from lora_mcl.runner import run_notebook

NB = "nbs/experiments/captioning.ipynb"

@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[1])

METHODS = {"LoRA-MCL (relaxed)", "LoRA-MCL (annealed)", "LoRA-MLE beam", "LoRA-MLE diverse beam", "LoRA-MLE sampling",
           "LoRA-MoE experts", "LoRA-MoE stochastic"}

def test_bilingual_smoke_run(tmp_path):
    res = run_notebook(NB, {"bilingual": True, "languages": ["en", "fr"], "steps": 40}, out_dir=tmp_path / "bi")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert set(m["rows"]) == METHODS and m["params"]["K"] == 2
    for name in ("LoRA-MCL (relaxed)", "LoRA-MCL (annealed)"):
        rates = m["win_rates"][name]
        assert set(rates) == {"en", "fr"} and all(abs(sum(r.values()) - 1) < 1e-6 for r in rates.values())
        s = m["summary"][name]
        assert set(s["winner_per_language"]) == {"en", "fr"} and set(s["language_per_hypothesis"]) == {"0", "1"}
    dist = m["languages_per_hypothesis"]["LoRA-MLE beam"]
    assert set(dist) == {"0", "1"} and all(abs(sum(v.values()) - 1) < 1e-6 for v in dist.values())
    rows = m["rows"]["LoRA-MCL (relaxed)"]
    assert rows["K"] == 2 and 0 <= rows["mBLEU-4"] <= 1 and rows["forward_rows"] > 0
    assert (Path(res["out_dir"]) / "quality_diversity.png").exists() and (Path(res["out_dir"]) / "table.md").exists()

def test_bilingual_needs_two_languages(tmp_path):
    from papermill.exceptions import PapermillExecutionError
    with pytest.raises(PapermillExecutionError, match="two languages"):
        run_notebook(NB, {"bilingual": True, "steps": 2}, out_dir=tmp_path / "bad")

def test_sound_smoke_run(tmp_path):
    "media='sound': the synthetic stamps' OGG tones as log-mel features, every baseline plus LoRA-MLE with SpecAugment TTA."
    res = run_notebook(NB, {"media": "sound", "languages": ["en", "fr"], "steps": 10, "align_steps": 20}, out_dir=tmp_path / "snd")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert set(m["rows"]) == METHODS | {"LoRA-MLE TTA"}
    assert all(len(c) == 2 for c in m["candidates"]["LoRA-MLE TTA"]) and m["rows"]["LoRA-MLE TTA"]["forward_rows"] > 0

def test_unknown_media_is_an_error(tmp_path):
    from papermill.exceptions import PapermillExecutionError
    with pytest.raises(PapermillExecutionError, match="expected 'image' or 'sound'"):
        run_notebook(NB, {"media": "video", "steps": 2}, out_dir=tmp_path / "bad")
