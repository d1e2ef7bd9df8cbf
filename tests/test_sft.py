"TRL integration: MCLSFTTrainer against MCLTrainer on chat data, the installed lora-mcl train / generate commands (the worked example runs at smoke size under nbdev-test)."
import json
import os
import subprocess
import sys
from pathlib import Path
import pytest
import torch

trl = pytest.importorskip("trl")
from trl import SFTConfig
from lora_mcl import MCLConfig, MCLTrainer, get_mcl_model
from lora_mcl.sft import MCLSFTTrainer, TRAIN_INFO, expand_completions
from lora_mcl.testing import TINY_WORDS, tiny_model_folder
from transformers import AutoModelForCausalLM, AutoTokenizer

ROWS = [{"messages": [{"role": "user", "content": " ".join(TINY_WORDS[4 + i:7 + i])}],
         "completions": [" ".join(TINY_WORDS[10 + i + j:14 + i + j]) for j in range(3)]} for i in range(8)]
CLI = [sys.executable, "-c", "import sys; from lora_mcl.runner import main; sys.exit(main())"]


def args(d, **kw):
    return SFTConfig(**{"output_dir": str(d), "max_steps": 3, "per_device_train_batch_size": 4, "learning_rate": 1e-2,
                        "logging_steps": 1, "report_to": "none", "use_cpu": True, "bf16": False, "save_strategy": "no",
                        "seed": 0, "disable_tqdm": True, **kw})


def chat_model(folder, wta_mode="relaxed"):
    cfg = MCLConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], num_hyps=3, wta_mode=wta_mode, init_lora_weights=False)
    torch.manual_seed(0)
    return get_mcl_model(AutoModelForCausalLM.from_pretrained(folder), cfg)


class Recording:
    "Keeps the hyp_losses and winners of every training batch."
    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss, out = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        self.seen.append((out.hyp_losses.detach().clone(), out.winners.clone(), loss.detach().clone()))
        return (loss, out) if return_outputs else loss


class RecSFT(Recording, MCLSFTTrainer): seen = None
class RecMCL(Recording, MCLTrainer): seen = None


@pytest.mark.parametrize("wta_mode", ["relaxed", "annealed"])
def test_conversational_sft_equals_mcl_trainer(tmp_path, wta_mode):
    folder = tiny_model_folder("llama", tmp_path / "model")
    tok = AutoTokenizer.from_pretrained(folder)
    a = RecSFT(model=chat_model(folder, wta_mode), args=args(tmp_path / "a"), train_dataset=expand_completions(ROWS),
               processing_class=tok)
    a.seen = []; a.train()
    b = RecMCL(chat_model(folder, wta_mode), args(tmp_path / "b", gradient_checkpointing=False), train_dataset=a.train_dataset,
               data_collator=a.data_collator)
    b.seen = []; b.train()
    assert len(a.seen) == len(b.seen) == 3
    for (la, wa, sa), (lb, wb, sb) in zip(a.seen, b.seen):       # the same batches: same losses and winners, step by step
        assert torch.equal(wa, wb)
        torch.testing.assert_close(la, lb, rtol=0, atol=1e-6)
        torch.testing.assert_close(sa, sb, rtol=0, atol=1e-6)
    if wta_mode == "annealed":                                   # temperature by optimizer step, as MCLTrainer
        assert a.state.log_history[-2]["temperature"] == b.state.log_history[-2]["temperature"]
    # the completion-only labels: nothing of the prompt is a target
    ex = a.train_dataset[0]
    target = tok.decode([t for t, l in zip(ex["input_ids"], ex["labels"]) if l != -100])
    assert ROWS[0]["messages"][0]["content"] not in target and ROWS[0]["completions"][0].split()[0] in target


def write_data(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_installed_train_and_generate_commands(tmp_path):
    folder = tiny_model_folder("llama", tmp_path / "model")
    data = write_data(tmp_path / "data.jsonl", ROWS + ROWS)
    out = tmp_path / "out"
    r = subprocess.run(CLI + ["train", "--model", str(folder), "--data", str(data), "--out", str(out), "--num-hyps", "2",
                              "--max-steps", "2", "--target-modules", "q_proj,v_proj", "--eval-generate", "2",
                              "--max-new-tokens", "3", "--disable-tqdm", "true"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "held out (2 prompts, 6 completions)" in r.stdout and "oracle NLL" in r.stdout
    info = json.loads((out / "adapters" / TRAIN_INFO).read_text())
    assert info["conversational"] and info["steps"] == 2 and "held_out" in info and "generation" in info
    assert (out / "peft" / "hyp_1" / "adapter_config.json").is_file()
    g = subprocess.run(CLI + ["generate", "--adapters", str(out), "--prompt", "a dog", "--max-new-tokens", "3"],
                       capture_output=True, text=True)
    assert g.returncode == 0, g.stderr[-2000:]
    assert g.stdout.count("[hypothesis ") == 2
    bad = subprocess.run(CLI + ["train", "--model", str(folder), "--data", str(data), "--out", str(out), "--weight-decy", "0.1"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown option --weight_decy" in bad.stderr and "--weight_decay" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_train_command_without_trl_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['trl'] = None; from lora_mcl.runner import main; "
            "sys.exit(main(['train', '--model', 'm', '--data', 'd.jsonl', '--out', 'o']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2 and 'pip install "lora_mcl[trl]"' in r.stderr, r.stderr[-1000:]
    h = subprocess.run(CLI + ["--help"], capture_output=True, text=True)
    assert "train" in h.stdout and "generate" in h.stdout

