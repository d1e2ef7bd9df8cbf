"""LoRA-MCL: K LoRA hypotheses on one frozen Hugging Face model, trained winner-takes-all."""
__version__ = "0.1.0"

# The public API. This file is written by hand (all other modules are exported from nbs/) and imports nothing when the
# package is imported: each name loads its module on first use (PEP 562), so `import lora_mcl`, `lora_mcl.__version__`
# and the `lora-mcl` command start without torch; `from lora_mcl import MCLConfig` loads what MCLConfig needs.
_EXPORTS = {
    "losses": ["sequence_nll", "wta_winners", "wta_weights", "mcl_loss", "temperature_at", "win_counts", "win_entropy", "WTA_MODES",
               "REDUCTIONS", "TIE_BREAKING"],
    "config": ["MCLConfig"],
    "layers": ["GroupedLoraLinear", "HypothesisSelection"],
    "model": ["MCLModel", "MCLOutput", "get_mcl_model", "resolve_target_modules"],
    "trainer": ["MCLTrainer", "MCLTrainerMixin", "mcl_metrics"],
    "sft": ["MCLSFTTrainer", "expand_completions", "load_completions", "generate_completions", "completion_metrics"],  # the trl extra
    "metrics": ["evaluate_candidates", "plot_quality_diversity", "caption_metrics", "mt_metrics", "oracle_of_k", "MetricUnavailable",
                "LanguageIdentifier", "StyleIdentifier"],
    "decoding": ["decode_candidates", "generate_candidates", "diverse_beam_search", "oracle_nll", "reference_batches", "count_forward_rows",
                 "MCLDecoding", "BeamSearch", "DiverseBeamSearch", "Sampling", "TestTimeAugmentation"],
    "moe": ["MoEModel", "MoEDecoding", "get_moe_model"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = list(_MODULE_OF)


def __getattr__(name):
    if name not in _MODULE_OF: raise AttributeError(f"module 'lora_mcl' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
    globals()[name] = value                      # the next access is a plain attribute
    return value


def __dir__(): return sorted(list(globals()) + __all__)
