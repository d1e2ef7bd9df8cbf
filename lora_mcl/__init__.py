__version__ = "0.0.1"
"""LoRA-MCL: K LoRA hypotheses on one frozen Hugging Face model, trained winner-takes-all."""
from ._version import __version__

# The public API (this file and _version.py are written by hand; all other modules are exported from nbs/).
from .losses import sequence_nll, wta_winners, wta_weights, mcl_loss, temperature_at, win_counts, win_entropy, WTA_MODES, REDUCTIONS
from .config import MCLConfig
from .layers import GroupedLoraLinear, HypothesisSelection
from .model import MCLModel, MCLOutput, get_mcl_model, resolve_target_modules
from .trainer import MCLTrainer, mcl_metrics
from .metrics import evaluate_candidates, plot_quality_diversity, caption_metrics, mt_metrics, oracle_of_k, MetricUnavailable, LanguageIdentifier
from .decoding import (decode_candidates, generate_candidates, diverse_beam_search, oracle_nll, reference_batches, count_forward_rows,
                       MCLDecoding, BeamSearch, DiverseBeamSearch, Sampling, TestTimeAugmentation)
from .moe import MoEModel, MoEDecoding, get_moe_model

__all__ = ["MCLConfig", "MCLModel", "MCLTrainer", "mcl_metrics", "MCLOutput", "get_mcl_model", "resolve_target_modules", "GroupedLoraLinear",
           "HypothesisSelection", "sequence_nll", "wta_winners", "wta_weights", "mcl_loss", "temperature_at", "win_counts", "win_entropy",
           "WTA_MODES", "REDUCTIONS", "evaluate_candidates", "plot_quality_diversity", "caption_metrics", "mt_metrics", "oracle_of_k",
           "MetricUnavailable", "decode_candidates", "generate_candidates", "diverse_beam_search", "oracle_nll", "reference_batches",
           "count_forward_rows", "MCLDecoding", "BeamSearch", "DiverseBeamSearch", "Sampling", "TestTimeAugmentation", "MoEModel",
           "MoEDecoding", "get_moe_model"]
