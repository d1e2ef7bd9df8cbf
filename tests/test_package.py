"The installed package: public API, no monkey-patching of peft/transformers, the demo notebook under papermill."
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_public_api():
    import lora_mcl
    from lora_mcl import MCLConfig, MCLModel, get_mcl_model
    from peft import LoraConfig
    assert version("lora_mcl") == lora_mcl.__version__
    assert issubclass(MCLConfig, LoraConfig)
    for name in lora_mcl.__all__: assert hasattr(lora_mcl, name), name


SNAPSHOT = r'''
import inspect, json, sys, torch
import peft, peft.tuners.lora.layer, peft.tuners.lora.model, peft.tuners.tuners_utils, peft.peft_model, peft.mapping, peft.utils.save_and_load
import transformers, transformers.generation.utils, transformers.modeling_utils, transformers.pytorch_utils
mods = [peft, peft.tuners.lora.layer, peft.tuners.lora.model, peft.tuners.tuners_utils, peft.peft_model, peft.mapping,
        peft.utils.save_and_load, transformers.generation.utils, transformers.modeling_utils, transformers.pytorch_utils, torch.nn.modules.linear]
def snap():
    s = {}
    for m in mods:
        for name, obj in sorted(vars(m).items()):
            s[f"{m.__name__}.{name}"] = id(obj)
            if inspect.isclass(obj) and obj.__module__.split(".")[0] in ("peft", "transformers", "torch"):
                for a, v in sorted(vars(obj).items()): s[f"{m.__name__}.{name}.{a}"] = id(v)
    return s
before = snap()
from lora_mcl import MCLConfig, MCLModel, get_mcl_model
from lora_mcl.testing import tiny_model, tiny_batch, TINY_TARGETS
import tempfile
for arch in ("gpt2", "t5"):
    m = get_mcl_model(tiny_model(arch), MCLConfig(r=2, target_modules=TINY_TARGETS[arch], num_hyps=2))
    b = tiny_batch(encoder_decoder=arch == "t5")
    m(**b).loss.backward()
    m.generate(input_ids=b["input_ids"], max_new_tokens=2)
    with tempfile.TemporaryDirectory() as d:
        m.save_pretrained(d); m.export_peft_adapters(d); MCLModel.from_pretrained(tiny_model(arch), d)
after = snap()
changed = sorted(k for k in before if k in after and before[k] != after[k])
print(json.dumps({"changed": changed}))
'''


def test_no_monkey_patching_of_peft_or_transformers():
    res = subprocess.run([sys.executable, "-c", SNAPSHOT], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    changed = json.loads(res.stdout.strip().splitlines()[-1])["changed"]
    # lazily imported submodules may appear as new attributes of the package modules; existing objects must not change
    changed = [c for c in changed if not c.startswith(("peft.tuners.lora.layer.__warningregistry__",))]
    assert changed == [], changed


def test_demo_notebook_runs_under_papermill(tmp_path):
    import papermill as pm
    out = tmp_path / "run"
    out.mkdir()
    pm.execute_notebook(str(ROOT / "nbs" / "index.ipynb"), str(out / "index.ipynb"), kernel_name="python3",
                        parameters=dict(steps=30, out_dir=str(out)), progress_bar=False, cwd=str(ROOT))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 30 and metrics["num_hyps"] == 2
    assert (out / "losses.png").stat().st_size > 1000
