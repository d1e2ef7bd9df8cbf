"""The paper's three full-size configs run end to end on tiny random models of the same classes (a dry run on CPU):
the config's own settings, with the model, the data and the sizes replaced."""
import json
import pytest
from lora_mcl.runner import load_sweep, run_notebook
from lora_mcl.testing import tiny_model_folder, tiny_task_data

CASES = {"paper_audio_captioning": ("qwen2_audio", "audio_caption"), "paper_image_captioning": ("llava_next", "image_caption"),
         "paper_translation": ("llama", "translation")}
DRY = dict(max_steps=2, batch_size=2, grad_accum=1, max_test=2, eval_batch_size=2, max_new_tokens=4, caption_metrics=False, logging_steps=1)


@pytest.mark.parametrize("config", sorted(CASES))
def test_paper_config_dry_run(config, tmp_path):
    kind, task = CASES[config]
    cfg = load_sweep(config)
    params = dict(cfg["runs"][0]["parameters"])
    assert params["task"] == task
    params.update(model=str(tiny_model_folder(kind, tmp_path / "model")), **tiny_task_data(task, tmp_path / "data"), **DRY)
    params.update(train_media_dir="", test_media_dir="", num_beams=min(params.get("num_beams", 1), 2))
    r = run_notebook(cfg["notebook"], params, out_dir=tmp_path / "run", progress=False)
    rows, cands = r["metrics"]["rows"], r["metrics"]["candidates"]
    K = params["num_hyps"]
    mcl = f"LoRA-MCL ({params['wta_mode']})"
    assert set(rows) == ({mcl, "LoRA-MLE beam"} if params.get("baseline", True) else {mcl})
    assert all(len(c) == 2 and all(len(cs) == K for cs in c) for c in cands.values())   # K candidates per test input
    assert "mBLEU-4" in rows[mcl] and "oracle_BLEU" in rows[mcl]
