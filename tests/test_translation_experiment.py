"""The translation experiment through papermill at smoke size (synthetic caption pairs, tiny random LM), and from files in
the paper's formats (plain parallel text for training, a source file with one file per reference for testing)."""
import json
from pathlib import Path
import pytest
from lora_mcl.runner import run_notebook

NB = "nbs/experiments/translation.ipynb"

@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[1])

METHODS = {"LoRA-MCL (relaxed)", "LoRA-MCL (annealed)", "LoRA-MLE beam", "LoRA-MLE diverse beam", "LoRA-MLE sampling"}

def test_smoke_run_from_files(tmp_path):
    d = tmp_path / "data"; d.mkdir()
    src = ["a red square", "a blue circle", "a green star", "two red squares"]
    (d / "train.en").write_text("\n".join(src) + "\n")
    (d / "train.fr").write_text("un carré rouge\nun cercle bleu\nune étoile verte\ndeux carrés rouges\n")
    (d / "test.en").write_text("a red square\na green star\n")
    (d / "test.fr").write_text("un carré rouge\nune étoile verte\n")
    (d / "test-ref2.fr").write_text("un carré de couleur rouge\nune étoile de couleur verte\n")
    res = run_notebook(NB, {"data": "files", "train_source": str(d / "train.en"), "train_target": str(d / "train.fr"),
                            "test_source": str(d / "test.en"), "test_references": [str(d / "test.fr"), str(d / "test-ref2.fr")],
                            "num_hyps": 2, "steps": 20}, out_dir=tmp_path / "run")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert set(m["rows"]) == METHODS and m["summary"]["num_test"] == 2 and m["summary"]["num_multi_ref"] == 2
    for name, row in m["rows"].items():
        assert row["K"] == 2 and len(m["candidates"][name]) == 2 and all(len(c) == 2 for c in m["candidates"][name])
        for key in ("BLEU", "chrF", "oracle_BLEU", "pairwise_BLEU", "loo_multi_ref_BLEU (multi-ref)", "references_covered (multi-ref)"):
            assert key in row, (name, key)
        assert row["oracle_BLEU"] >= 0 and row["forward_rows"] > 0
    assert set(m["summary"]["checks"]) == {"LoRA-MCL (relaxed)", "LoRA-MCL (annealed)"}
    assert all(abs(sum(w) - 1) < 1e-6 for w in m["summary"]["win_rates"].values())
    assert (Path(res["out_dir"]) / "quality_diversity.png").exists()

def test_unknown_data_is_an_error(tmp_path):
    from papermill.exceptions import PapermillExecutionError
    with pytest.raises(PapermillExecutionError, match="expected 'synthetic', 'tuxpaint' or 'files'"):
        run_notebook(NB, {"data": "wmt", "steps": 2}, out_dir=tmp_path / "bad")

def test_extra_reference_langs(tmp_path):
    "Captions of a second target code are more references (the synthetic stamps' German stands in for pt_BR next to pt)."
    res = run_notebook(NB, {"extra_reference_langs": ["de"], "num_hyps": 2, "steps": 10}, out_dir=tmp_path / "run")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert m["summary"]["num_test"] == 12 and m["summary"]["num_multi_ref"] == 12
    row = m["rows"]["LoRA-MCL (relaxed)"]
    assert 1 <= row["references_covered (multi-ref)"] <= 2 and "loo_multi_ref_BLEU (multi-ref)" in row
