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

METHODS = {"LoRA-MCL (relaxed)", "LoRA-MCL (annealed)", "LoRA-MLE beam", "LoRA-MLE diverse beam", "LoRA-MLE sampling", "LoRA-MoE experts"}

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
    with pytest.raises(PapermillExecutionError, match="expected 'synthetic', 'tuxpaint', 'bible' or 'files'"):
        run_notebook(NB, {"data": "wmt", "steps": 2}, out_dir=tmp_path / "bad")

def test_extra_reference_langs(tmp_path):
    "Captions of a second target code are more references (the synthetic stamps' German stands in for pt_BR next to pt)."
    res = run_notebook(NB, {"extra_reference_langs": ["de"], "num_hyps": 2, "steps": 10}, out_dir=tmp_path / "run")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert m["summary"]["num_test"] == 12 and m["summary"]["num_multi_ref"] == 12
    row = m["rows"]["LoRA-MCL (relaxed)"]
    assert 1 <= row["references_covered (multi-ref)"] <= 2 and "loo_multi_ref_BLEU (multi-ref)" in row


def _bible_fixture(d: Path, styles=("src", "aa", "bb", "cc")) -> list:
    "Translations of 6 books x 8 verses in pythonbible's file format: one source and three styles that mark their verses."
    import random
    words = "light water earth heaven day night seed fruit tree fish bird beast king city river stone".split()
    rng = random.Random(0)
    base = {b * 1_000_000 + 1000 + v: " ".join(rng.sample(words, 5)) for b in range(1, 7) for v in range(1, 9)}
    marks = {"src": "{}", "aa": "and {} unto", "bb": "{} , verily", "cc": "lo {} !"}
    paths = []
    for name in styles:
        ids, text, starts, ends = sorted(base), "\n", {}, {}
        for v in ids:
            starts[v] = len(text); text += f"{v % 1000}. " + marks[name].format(base[v]); ends[v] = len(text); text += "\n"
        p = d / f"{name}.py"
        p.write_text(f'bible = Bible(\n    Version.X,\n    """{text}""",\n    {starts},\n    {ends},\n)\n', encoding="utf-8")
        paths.append(str(p))
    return paths

def test_bible_many_references_smoke(tmp_path):
    "data=bible from files in pythonbible's format: split by book, K = M styles, style identifier, style per candidate, who wins each style."
    src, *styles = _bible_fixture(tmp_path)
    res = run_notebook(NB, {"data": "bible", "bible_source": src, "bible_styles": styles, "num_hyps": 3, "steps": 6, "style_sample": 4,
                            "moe": False, "mle_decodings": ["beam"]}, out_dir=tmp_path / "run")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert set(m["rows"]) == {"LoRA-MCL (relaxed)", "LoRA-MCL (annealed)", "LoRA-MLE beam"} and m["styles"] == ["aa", "bb", "cc"]
    assert set(m["summary"]["style_identifier_accuracy"]) == {"aa", "bb", "cc"}
    assert min(m["summary"]["style_identifier_accuracy"].values()) == 1.0          # the fixture's styles are unmistakable
    for name in ("LoRA-MCL (relaxed)", "LoRA-MLE beam"):
        dist = m["style_per_candidate"][name]
        assert set(dist) == {"0", "1", "2"} and all(abs(sum(v.values()) - 1) < 1e-6 for v in dist.values())
    wins = m["style_wins"]["LoRA-MCL (relaxed)"]
    assert set(wins) == {"aa", "bb", "cc"} and all(abs(sum(v.values()) - 1) < 1e-6 for v in wins.values())
    assert m["rows"]["LoRA-MLE beam"]["references_covered (multi-ref)"] <= 3 and (Path(res["out_dir"]) / "style_wins.png").exists()
    assert m["summary"]["num_test"] >= 1 and m["summary"]["num_train_pairs"] % 3 == 0

def test_bible_misaligned_translation_is_refused(tmp_path):
    from papermill.exceptions import PapermillExecutionError
    src, aa, bb = _bible_fixture(tmp_path, ("src", "aa", "bb"))
    text = Path(bb).read_text(encoding="utf-8")
    # shift every verse one place: the text of verse i is filed under verse i+1
    import re
    starts = re.findall(r"\{([^{}]*)\}", text)[0]
    pairs = re.findall(r"(\d+): (\d+)", starts)
    shifted = "{" + ", ".join(f"{a}: {pairs[(i - 1) % len(pairs)][1]}" for i, (a, _) in enumerate(pairs)) + "}"
    ends = re.findall(r"\{([^{}]*)\}", text)[1]
    epairs = re.findall(r"(\d+): (\d+)", ends)
    eshift = "{" + ", ".join(f"{a}: {epairs[(i - 1) % len(epairs)][1]}" for i, (a, _) in enumerate(epairs)) + "}"
    Path(bb).write_text(text.replace("{" + starts + "}", shifted).replace("{" + ends + "}", eshift), encoding="utf-8")
    with pytest.raises(PapermillExecutionError, match="misaligned verses"):
        run_notebook(NB, {"data": "bible", "bible_source": src, "bible_styles": [aa, bb], "num_hyps": 2, "steps": 2}, out_dir=tmp_path / "bad")
