"""Every shipped sweep config is valid: known keys, an existing notebook, and only parameters that notebook declares
(a typo in a full-size config would otherwise surface only after a long run had started)."""
from pathlib import Path
import pytest
from lora_mcl.runner import load_sweep

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "experiments" / "configs").glob("*.yaml"))

def test_configs_exist():
    assert len(CONFIGS) >= 8, [c.name for c in CONFIGS]

@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_config_is_valid(config, monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = load_sweep(config)
    assert cfg["runs"] and all(r["parameters"] for r in cfg["runs"])
