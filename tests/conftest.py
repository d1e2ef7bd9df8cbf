import os
import socket
import pytest
import torch
from peft import get_peft_model
from peft.tuners.lora import LoraLayer
from lora_mcl import MCLConfig, get_mcl_model
from lora_mcl.testing import tiny_model, tiny_batch, TINY_TARGETS

ENC_DEC = {"bart", "t5"}

if os.environ.get("PYTEST_XDIST_WORKER"):     # `pytest -n 2` (make test): one thread per worker on a 2-core machine
    torch.set_num_threads(1)


def free_port() -> int:
    "A TCP port on 127.0.0.1 that nothing listens on now (for the rendezvous of a multi-process test)."
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_mcl(arch, num_hyps=3, r=4, **kw):
    "An MCLModel on a tiny `arch` with non-zero random adapters."
    cfg = MCLConfig(r=r, lora_alpha=2 * r, target_modules=TINY_TARGETS[arch], num_hyps=num_hyps,
                    init_lora_weights=False, **kw)
    torch.manual_seed(1)
    return get_mcl_model(tiny_model(arch), cfg)


def peft_hypothesis(mcl, base, k, **lora_overrides):
    "A vanilla peft LoRA model on `base` holding hypothesis k's weights (copied module by module)."
    ref = get_peft_model(base, mcl.mcl_config.to_lora_config(init_lora_weights=True, **lora_overrides))
    n = 0
    with torch.no_grad():
        for name, mod in ref.named_modules():
            if isinstance(mod, LoraLayer):
                src = mcl.peft_model.get_submodule(name)
                mod.lora_A["default"].weight.copy_(src.lora_A["default"].weight[k])
                mod.lora_B["default"].weight.copy_(src.lora_B["default"].weight[k])
                n += 1
    assert n == len(mcl.mcl_layers) > 0
    return ref.eval()


def vanilla_peft(mcl, arch, k):
    "`peft_hypothesis` on a fresh tiny `arch` base (GPT-2's Conv1D stores its weight transposed: fan_in_fan_out)."
    return peft_hypothesis(mcl, tiny_model(arch), k, fan_in_fan_out=arch == "gpt2")


def nll_per_sequence(logits, labels, shift):
    "Token-mean NLL per sequence, written independently of lora_mcl.losses."
    if shift: logits, labels = logits[:, :-1], labels[:, 1:]
    logp = torch.log_softmax(logits.double(), -1)
    mask = labels != -100
    tok = -logp.gather(-1, labels.clamp(min=0)[..., None])[..., 0] * mask
    return (tok.sum(1) / mask.sum(1)).float()


@pytest.fixture(params=sorted(TINY_TARGETS))
def arch(request): return request.param
