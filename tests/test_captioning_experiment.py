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
    assert all((Path(res["out_dir"]) / f).exists() for f in ("quality_diversity.png", "table.md", "win_rates.png"))
    nll = m["oracle_nll"]   # teacher-forced test NLL: the best hypothesis per reference is no worse than any one hypothesis on average
    assert set(nll) == {"LoRA-MCL (relaxed)", "LoRA-MCL (annealed)", "LoRA-MLE"} and len(nll["LoRA-MLE"]["per_hypothesis"]) == 1
    for v in nll.values():
        assert 0 < v["oracle_nll"] <= min(v["per_hypothesis"]) + 1e-9 and set(v["per_language"]) == {"en", "fr"}

def test_bilingual_needs_two_languages(tmp_path):
    from papermill.exceptions import PapermillExecutionError
    with pytest.raises(PapermillExecutionError, match="two languages"):
        run_notebook(NB, {"bilingual": True, "steps": 2}, out_dir=tmp_path / "bad")

def test_mcl_only_run_with_adapter_dropout(tmp_path):
    "baselines=False trains only the LoRA-MCL variants (quick sweeps of their settings); lora_dropout reaches every adapter."
    res = run_notebook(NB, {"bilingual": True, "languages": ["en", "fr"], "steps": 6, "align_steps": 10, "baselines": False,
                            "wta_modes": ["annealed"], "lora_dropout": 0.1}, out_dir=tmp_path / "mcl")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert set(m["rows"]) == {"LoRA-MCL (annealed)"} and set(m["held_out_win_rates"]) == {"LoRA-MCL (annealed)"}
    assert m["params"]["lora_dropout"] == 0.1 and m["params"]["baselines"] is False

def test_nothing_to_train_is_an_error(tmp_path):
    from papermill.exceptions import PapermillExecutionError
    with pytest.raises(PapermillExecutionError, match="no model to train"):
        run_notebook(NB, {"wta_modes": [], "baselines": False, "steps": 2}, out_dir=tmp_path / "bad")

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

def _clotho_fixture(root):
    "A Clotho-format development CSV (file_name, caption_1..caption_5) over the synthetic stamps' OGG tones, clips in a folder beside it."
    import csv
    from lora_mcl.assets import synthetic_stamps, load_tuxpaint
    stamps = load_tuxpaint(synthetic_stamps(root / "audio"), ("en", "fr"), media="sound")
    csv_path = root / "clotho_captions_development.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file_name"] + [f"caption_{i}" for i in range(1, 6)])
        for s in stamps:
            en = s.captions["en"]
            w.writerow([str(s.sound.relative_to(root / "audio")), en, en.lower(), en.replace("A ", "The "), "A sound of " + en.lower(), en.rstrip(".")])
    return csv_path, root / "audio"

def test_clotho_csv_smoke_run(tmp_path):
    "data=a Clotho CSV: the paper's audio format runs through the same notebook (K=5 by default, one language, no language analysis)."
    csv_path, audio = _clotho_fixture(tmp_path)
    res = run_notebook(NB, {"data": str(csv_path), "media_dir": str(audio), "media": "sound", "steps": 6, "align_steps": 5},
                       out_dir=tmp_path / "clotho")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert set(m["rows"]) == METHODS | {"LoRA-MLE TTA"} and m["params"]["K"] == 5
    assert (m["summary"]["num_train"], m["summary"]["num_test"]) == (10, 1) and m["languages_per_hypothesis"] == {}   # 80/10/10 split of 12
    assert all(len(c) == 5 for c in m["candidates"]["LoRA-MCL (relaxed)"])
    held = m["held_out_win_rates"]["LoRA-MCL (relaxed)"]["en"]
    assert abs(sum(held.values()) - 1) < 1e-6 and "languages_covered" not in m["rows"]["LoRA-MLE beam"]

def test_caption_file_errors(tmp_path):
    "A CSV whose clips are elsewhere names the folder parameter; a CSV run as images names the media to use."
    from papermill.exceptions import PapermillExecutionError
    csv_path, audio = _clotho_fixture(tmp_path)
    with pytest.raises(PapermillExecutionError, match="12 of the 12 files named in .* are missing.*set media_dir"):
        run_notebook(NB, {"data": str(csv_path), "media": "sound", "steps": 2}, out_dir=tmp_path / "bad")
    with pytest.raises(PapermillExecutionError, match="are missing.*set test_media_dir"):   # the training clips are found
        run_notebook(NB, {"data": str(csv_path), "media_dir": str(audio), "test_data": str(csv_path), "media": "sound", "steps": 2},
                     out_dir=tmp_path / "bad1")
    with pytest.raises(PapermillExecutionError, match="run with media='sound'"):
        run_notebook(NB, {"data": str(csv_path), "steps": 2}, out_dir=tmp_path / "bad2")

def test_coco_json_with_test_file(tmp_path):
    "data=a COCO caption JSON for training and test_data=another for testing (images beside each file)."
    from lora_mcl.assets import synthetic_stamps, load_tuxpaint
    stamps = load_tuxpaint(synthetic_stamps(tmp_path / "img"), ("en",), media="image")
    def coco(part, path):
        images = [{"id": i, "file_name": str(s.image.relative_to(tmp_path / "img"))} for i, s in enumerate(part)]
        anns = [{"image_id": i, "caption": c} for i, s in enumerate(part) for c in (s.captions["en"], s.captions["en"].lower())]
        path.write_text(json.dumps({"images": images, "annotations": anns}))
        return path
    train, test = coco(stamps[:9], tmp_path / "img" / "train.json"), coco(stamps[9:], tmp_path / "img" / "val.json")
    res = run_notebook(NB, {"data": str(train), "test_data": str(test), "num_hyps": 2, "steps": 6, "align_steps": 5}, out_dir=tmp_path / "coco")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert (m["summary"]["num_train"], m["summary"]["num_test"], m["params"]["K"]) == (9, 3, 2)
    assert m["rows"]["LoRA-MCL (annealed)"]["num_inputs"] == 3

def test_pretrained_encoder_path_with_cached_features(tmp_path):
    "encoder='tiny-random': a frozen backbone's feature maps cached on disk per image, LLaVA's projector, every method through MCLTrainer."
    params = {"encoder": "tiny-random", "prefix_tokens": 4, "steps": 4, "align_steps": 5, "languages": ["en", "fr"], "moe": False,
              "mle_decodings": ["beam"]}
    res = run_notebook(NB, params, out_dir=tmp_path / "enc")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert set(m["rows"]) == {"LoRA-MCL (relaxed)", "LoRA-MCL (annealed)", "LoRA-MLE beam"} and m["params"]["encoder"] == "tiny-random"
    cache = Path(res["out_dir"]) / "feature_cache"
    assert len(list(cache.glob("*.pt"))) == 12                       # one file per distinct image (the fixture trains and tests on all 12)
    assert m["rows"]["LoRA-MCL (relaxed)"]["forward_rows"] > 0 and m["rows"]["LoRA-MLE beam"]["forward_rows"] > 0

def test_encoder_errors(tmp_path):
    from papermill.exceptions import PapermillExecutionError
    with pytest.raises(PapermillExecutionError, match="encoder='resnet'; expected 'scratch', 'efficientnet-lite0', 'tiny-random', 'whisper-base' or a transformers Whisper folder"):
        run_notebook(NB, {"encoder": "resnet", "steps": 2}, out_dir=tmp_path / "bad")
    with pytest.raises(PapermillExecutionError, match="must be a square number"):
        run_notebook(NB, {"encoder": "tiny-random", "prefix_tokens": 8, "steps": 2}, out_dir=tmp_path / "bad2")
    with pytest.raises(PapermillExecutionError, match="mle_decodings=\\['greedy'\\]"):
        run_notebook(NB, {"mle_decodings": ["greedy"], "steps": 2, "align_steps": 2}, out_dir=tmp_path / "bad3")


from lora_mcl.assets import emoji_available

@pytest.mark.skipif(not emoji_available(), reason="CLDR names or the emoji font not installed: run `make assets`")
def test_emoji_images_smoke(tmp_path):
    "data='emoji': CLDR-named emoji rendered once, captioned in two languages (a few images, tiny LM)."
    res = run_notebook(NB, {"data": "emoji", "max_images": 12, "languages": ["en", "fr"], "steps": 4, "align_steps": 5, "moe": False,
                            "mle_decodings": ["beam"]}, out_dir=tmp_path / "emoji")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert m["summary"]["num_train"] + m["summary"]["num_test"] >= 10 and m["params"]["K"] == 2


def test_folds_of_a_caption_file(tmp_path):
    "folds=3: every item is tested in exactly one fold; the folds are drawn once, whatever the seed."
    csv_path, audio = _clotho_fixture(tmp_path)
    tested = []
    for fold in range(3):
        res = run_notebook(NB, {"data": str(csv_path), "media_dir": str(audio), "media": "sound", "folds": 3, "fold": fold, "seed": fold,
                                "steps": 2, "align_steps": 2, "num_hyps": 2, "wta_modes": ["relaxed"], "baselines": False},
                           out_dir=tmp_path / f"fold{fold}")
        m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
        assert m["summary"]["num_train"] + m["summary"]["num_test"] == 12 and m["params"]["fold"] == fold
        tested += m["summary"]["test_items"]
    assert sorted(tested) == sorted(set(tested)) and len(tested) == 12


from lora_mcl.audio import WHISPER_PACKAGES
import importlib.util

@pytest.mark.skipif(not all(importlib.util.find_spec(p) for p in WHISPER_PACKAGES), reason="Whisper-base not installed: run `make assets`")
def test_whisper_encoder_smoke(tmp_path):
    "media='sound' with encoder='whisper-base': Whisper's hidden states cached per clip, pooled by the projector; no TTA row."
    res = run_notebook(NB, {"media": "sound", "encoder": "whisper-base", "languages": ["en", "fr"], "steps": 2, "align_steps": 2,
                            "moe": False, "mle_decodings": ["beam"], "max_seconds": 1.0}, out_dir=tmp_path / "wh")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert set(m["rows"]) == {"LoRA-MCL (relaxed)", "LoRA-MCL (annealed)", "LoRA-MLE beam"} and m["params"]["encoder"] == "whisper-base"

def test_context_dependent_languages_and_scoring_head(tmp_path):
    "language_share draws each training image's caption language by its kind (name prefix); the scoring head's p(k|c) is reported per kind."
    res = run_notebook(NB, {"bilingual": True, "languages": ["en", "fr"], "steps": 8, "align_steps": 10, "wta_modes": ["annealed"],
                            "moe": False, "mle_decodings": ["beam"], "scoring_head": True,
                            "language_share": {"shapes/circle": 1.0, "": 0.0}, "trace_every": 4, "save_models": True}, out_dir=tmp_path / "head")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert m["summary"]["training_captions_per_kind"] == {"shapes/circle": {"fr": 4}, "": {"en": 8}}   # shares 1 and 0: the rule, exactly
    h = m["scoring_heads"]["LoRA-MCL (annealed)"]
    assert abs(sum(h["mean_p"]) - 1) < 1e-5 and abs(sum(h["top_share"]) - 1) < 1e-9 and len(h["each_hypothesis"]) == 2
    assert set(h["p_language_per_kind"]) == {"shapes/circle", ""} and h["test_images_per_kind"] == {"shapes/circle": 4, "": 8}
    assert h["true_share_per_kind"]["shapes/circle"] == {"en": 0.0, "fr": 1.0}
    err = max(abs(h["p_language_per_kind"][g][l] - h["true_share_per_kind"][g][l]) for g in ("", "shapes/circle") for l in ("en", "fr"))
    assert h["max_abs_error"] == pytest.approx(err) and 0 <= err <= 1
    assert "top_scored" in m["scoring_heads"]["LoRA-MLE beam top-1"] and (Path(res["out_dir"]) / "scoring_head.png").exists()
    t = m["trace"]["LoRA-MCL (annealed)"]   # validation win rates every 4 steps and before the first; winners changed between traces
    assert [r["step"] for r in t["rows"]] == [0, 4, 8] and t["rows"][0]["assignment_changes"] is None
    assert all(0 <= r["assignment_changes"] <= 1 for r in t["rows"][1:]) and all(abs(sum(v.values()) - 1) < 1e-9 for r in t["rows"] for v in r["win_rates"].values())
    assert t["decided_at_step"] in (0, 4, 8) and (Path(res["out_dir"]) / "trace.png").exists()
    saved = Path(res["out_dir"]) / "models"   # save_models: each model's adapters (and head) and the shared prefix encoder
    info = json.loads((saved / "models.json").read_text())
    assert info["models"] == {"LoRA-MCL (annealed)": "LoRA-MCL_(annealed)", "LoRA-MLE": "LoRA-MLE"} and (saved / "prefix_encoder.pt").is_file()
    cfg = json.loads((saved / "LoRA-MCL_(annealed)" / "mcl_config.json").read_text())
    assert cfg["num_hyps"] == 2 and cfg["scoring_head"] and (saved / "LoRA-MCL_(annealed)" / "mcl_scoring_head.safetensors").is_file()
    assert (saved / "LoRA-MLE" / "mcl_adapters.safetensors").is_file() and not (saved / "LoRA-MLE" / "mcl_scoring_head.safetensors").exists()

def test_scoring_head_on_image_features_and_refit(tmp_path):
    "head_input='image': the head reads the frozen encoder's pooled features (context_states); head_refit_steps refits it after training, both heads reported."
    res = run_notebook(NB, {"bilingual": True, "languages": ["en", "fr"], "steps": 6, "align_steps": 10, "wta_modes": ["annealed"], "encoder": "tiny-random",
                            "prefix_tokens": 4, "baselines": False, "scoring_head": True, "head_input": "image", "head_refit_steps": 20, "head_refit_holdout": 0.25,
                            "language_share": {"shapes/circle": 1.0, "": 0.0}, "save_models": True}, out_dir=tmp_path / "image")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    h = m["scoring_heads"]["LoRA-MCL (annealed)"]
    assert h["refit"]["steps"] == 20 and len(h["refit"]["loss_first_last50"]) == 2 and "refit head LoRA-MCL (annealed)" in m["summary"]["timings_s"]
    assert h["refit"]["holdout"] == 0.25 and h["refit"]["held_out"][0][0] == 0 and h["refit"]["best_step"] in [s for s, _ in h["refit"]["held_out"]]
    assert set(h["joint"]["p_language_per_kind"]) == set(h["p_language_per_kind"]) == {"shapes/circle", ""}
    assert 0 <= h["joint"]["max_abs_error"] <= 1 and 0 <= h["max_abs_error"] <= 1 and h["joint"]["mean_p"] != h["mean_p"]   # the refit moved the head
    assert m["summary"]["LoRA-MCL (annealed)"]["scoring_head"]["joint"] == h["joint"] and m["params"]["head_input"] == "image"
    cfg = json.loads((Path(res["out_dir"]) / "models" / "LoRA-MCL_(annealed)" / "mcl_config.json").read_text())
    width = cfg["scoring_head_input_size"]   # the encoder's channels, the saved head the refit one
    assert isinstance(width, int) and width >= 1 and cfg["scoring_head"]

def test_head_input_needs_a_scoring_head(tmp_path):
    from papermill.exceptions import PapermillExecutionError
    with pytest.raises(PapermillExecutionError, match="head_input='image' needs media='image' and scoring_head=True"):
        run_notebook(NB, {"head_input": "image", "steps": 2}, out_dir=tmp_path / "bad")
    with pytest.raises(PapermillExecutionError, match="head_input='prefix'; expected 'context' or 'image'"):
        run_notebook(NB, {"head_input": "prefix", "steps": 2}, out_dir=tmp_path / "bad2")
    with pytest.raises(PapermillExecutionError, match=r"head_refit_holdout=1.5; expected a share in \[0, 1\)"):
        run_notebook(NB, {"head_refit_holdout": 1.5, "steps": 2}, out_dir=tmp_path / "bad3")

def test_trace_needs_a_validation_split(tmp_path):
    from papermill.exceptions import PapermillExecutionError
    with pytest.raises(PapermillExecutionError, match="needs a validation split"):
        from lora_mcl.assets import synthetic_stamps   # a folder in Tux Paint's layout, split into 3 folds: no validation tenth
        run_notebook(NB, {"data": str(synthetic_stamps(tmp_path / "st")), "folds": 3, "trace_every": 2, "steps": 2}, out_dir=tmp_path / "bad")

@pytest.mark.parametrize("params, match", [
    ({"language_share": {"": 0.5}}, "needs bilingual=True"),
    ({"bilingual": True, "languages": ["en", "fr"], "language_share": {"": 1.5}}, r"numbers in \[0, 1\]"),
    ({"bilingual": True, "languages": ["en", "fr"], "language_share": {"shapes/circle": 0.8}}, r"no share for the images under \['shapes'\]"),
])
def test_language_share_errors(tmp_path, params, match):
    from papermill.exceptions import PapermillExecutionError
    with pytest.raises(PapermillExecutionError, match=match):
        run_notebook(NB, {"steps": 2, **params}, out_dir=tmp_path / "bad")

def test_one_hypothesis_run(tmp_path):
    "K = 1 (the first point of the oracle-NLL-against-K table): no diversity to plot, and LoRA-MCL with one hypothesis is LoRA-MLE."
    res = run_notebook(NB, {"num_hyps": 1, "wta_modes": ["relaxed"], "moe": False, "mle_decodings": [], "steps": 6, "align_steps": 10},
                       out_dir=tmp_path / "k1")
    m = json.loads((Path(res["out_dir"]) / "metrics.json").read_text())
    assert set(m["rows"]) == {"LoRA-MCL (relaxed)"} and "mBLEU-4" not in m["rows"]["LoRA-MCL (relaxed)"]
    assert not (Path(res["out_dir"]) / "quality_diversity.png").exists()
    nll = {n: v["oracle_nll"] for n, v in m["oracle_nll"].items()}
    assert set(nll) == {"LoRA-MCL (relaxed)", "LoRA-MLE"} and abs(nll["LoRA-MCL (relaxed)"] - nll["LoRA-MLE"]) < 1e-9
