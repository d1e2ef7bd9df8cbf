"Metrics over K candidates, each checked against sacrebleu / pycocoevalcap called directly or against hand counts."
import contextlib, io
import numpy as np
import pytest
import sacrebleu
from lora_mcl.metrics import (mbleu4, pairwise_bleu, loo_multi_ref_bleu, references_covered, div_n, distinct_n,
                              vocabulary_size, oracle_of_k, mt_metrics, caption_metrics, evaluate_candidates,
                              SentenceMetric, MetricUnavailable, spice_available, CAPTION_METRICS)

CANDS = [["the cat sat on the mat", "a cat is on the mat", "the dog sat on a log"],
         ["a red car drives fast", "the red car is fast", "a blue bike"]]


def test_mbleu4_by_hand():
    expect = np.mean([np.mean([sacrebleu.sentence_bleu(c, cs[:k] + cs[k + 1:], tokenize="none").score for k, c in enumerate(cs)])
                      for cs in CANDS]) / 100      # CANDS are already lower-case words without punctuation
    assert mbleu4(CANDS) == pytest.approx(expect)
    assert 0 < mbleu4(CANDS) < 1


def test_mbleu4_ignores_case_and_punctuation():
    "Short captions that share only their full stop have nothing in common (sacrebleu's 13a tokens would give 0.28)."
    assert mbleu4([["A glass.", "Un dindre."]]) == 0.0
    assert mbleu4([["A tiger.", "a tiger"]]) == pytest.approx(1.0)
    assert sacrebleu.sentence_bleu("A glass.", ["Un dindre."]).score > 25     # the floor the first version had


def test_pairwise_bleu_by_hand():
    hyps = [cs[i] for cs in CANDS for i in range(3) for j in range(3) if i != j]
    refs = [cs[j] for cs in CANDS for i in range(3) for j in range(3) if i != j]
    assert pairwise_bleu(CANDS) == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score)


def test_identical_candidates():
    same = [["one man rides a horse"] * 4, ["two dogs in the snow"] * 4]
    assert mbleu4(same) == pytest.approx(1.0) and pairwise_bleu(same) == pytest.approx(100.0)
    assert div_n(same, 1) == pytest.approx(0.25)       # 4 copies of 5 distinct words: 5 distinct unigrams of 20


def test_loo_multi_ref_unequal_counts():
    cands = [["the black cat sat on the mat", "a black cat sits on a mat"], ["a red car drives down the road", "one red car on the road"]]
    refs = [["the black cat sat on the mat", "a black cat is sitting on the mat", "a black cat sits on a mat today"],
            ["a red car drives down the road", "the red car drives on the road"]]
    hyps = [c for cs in cands for c in cs]
    r0, r1 = refs
    # R = 3 rounds; input 0 holds out ref j, input 1 holds out ref j mod 2 (so its first ref is held out twice)
    rounds = [([r0[1], r0[2]], [r1[1]]), ([r0[0], r0[2]], [r1[0]]), ([r0[0], r0[1]], [r1[1]])]
    expect = np.mean([sacrebleu.corpus_bleu(hyps, [[a[0]] * 2 + [b[0]] * 2, [a[1]] * 2 + [None] * 2]).score for a, b in rounds])
    got = loo_multi_ref_bleu(cands, refs)
    assert got == pytest.approx(expect) and 0 < got < 100
    # the third reference of input 0 counts (the reference script's zip would drop it)
    changed = [r0[:2] + ["zebra zebra zebra zebra zebra"], r1]
    assert loo_multi_ref_bleu(cands, changed) < got - 1
    with pytest.raises(ValueError, match=r"inputs \[1\]"):
        loo_multi_ref_bleu(cands, [r0, ["only one"]])


def test_references_covered_and_ngrams_by_hand():
    cands = [["the cat sat", "the cat sat"], ["a red car", "the blue sky"]]
    refs = [["the cat sat", "a dog ran"], ["a red car", "the blue sky", "grass"]]
    assert references_covered(cands, refs) == pytest.approx((1 + 2) / 2)
    assert div_n(cands, 1) == pytest.approx((3 / 6 + 6 / 6) / 2)
    assert div_n(cands, 2) == pytest.approx((2 / 4 + 4 / 4) / 2)
    assert distinct_n(cands, 1) == pytest.approx(8 / 12)      # the, cat, sat, a, red, car, blue, sky
    assert vocabulary_size(cands) == 8


def test_oracle_direction_is_declared():
    refs = [["abc"], ["xyz"]]
    cands = [["abd", "abc"], ["xyz", "q"]]
    lower = SentenceMetric("edit", lambda c, r: float(min(sum(a != b for a, b in zip(c, x)) + abs(len(c) - len(x)) for x in r)), False)
    o = oracle_of_k(lower, cands, refs)
    assert o["best_index"] == [1, 0] and o["oracle"] == 0.0
    higher = SentenceMetric("neg_edit", lambda c, r: -lower(c, r), True)
    assert oracle_of_k(higher, cands, refs)["best_index"] == [1, 0]
    named_error = SentenceMetric("error_but_higher_is_better", lambda c, r: lower(c, r), True)   # the name does not decide
    assert oracle_of_k(named_error, cands, refs)["best_index"] == [0, 1]


def test_mt_metrics_unequal_references():
    hyps = ["the cat sat", "a red car"]
    refs = [["the cat sat", "a cat sat"], ["a red car"]]
    m = mt_metrics(hyps, refs)
    assert m["BLEU"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [["the cat sat", "a red car"], ["a cat sat", None]]).score)
    assert m["chrF"] == pytest.approx(sacrebleu.corpus_chrf(hyps, [["the cat sat", "a red car"], ["a cat sat", None]]).score)


def test_errors_and_documented_zeros():
    with pytest.raises(ValueError, match=r"inputs \[1\].*no reference"):
        evaluate_candidates([["a b", "c d"], ["e", "f"]], [["a b"], []])
    with pytest.raises(TypeError, match=r"candidates\[0\]"):
        mbleu4(["a b", "c d"])
    assert mbleu4([["", ""], ["a", "b"]]) == 0.0 and div_n([["", ""]]) == 0.0
    row = evaluate_candidates([["", "the cat"]], [["the cat", "a cat"]])
    assert all(np.isfinite(v) for v in row.values() if isinstance(v, float))


def test_caption_metrics_against_pycocoevalcap():
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.cider.cider import Cider
    cands = [["a dog runs on the grass", "a cat sleeps", ""], ["a man rides a bike", "two people walk", "a man on a bike"]]
    refs = [["A dog runs on the grass.", "A brown dog is running outside.", "A dog on a lawn."], ["A man riding a bicycle."]]
    got = caption_metrics(cands, refs)
    assert set(CAPTION_METRICS) <= set(got) and got["empty_candidates"] == [0]
    tok = lambda d: PTBTokenizer().tokenize({i: [{"caption": s} for s in v] for i, v in d.items()})
    with contextlib.redirect_stdout(io.StringIO()):
        scorers = {"BLEU-4": Bleu(4), "METEOR": Meteor(), "ROUGE-L": Rouge(), "CIDEr-D": Cider()}
        gts = tok(dict(enumerate(refs)))
        for k in range(2):           # candidate sets without the empty string: pycocoevalcap directly
            res = tok({i: [cands[i][k]] for i in range(2)})
            for m, scorer in scorers.items():
                corpus, per = scorer.compute_score(gts, res)
                if m == "BLEU-4": per = per[3]
                assert got["per_input"][m][:, k] == pytest.approx(np.asarray(per), abs=1e-6)
        best = got["per_input"]["CIDEr-D"].argmax(1)
        sel = tok({i: [cands[i][best[i]]] for i in range(2)})
        assert got["oracle_CIDEr-D"] == pytest.approx(scorers["CIDEr-D"].compute_score(gts, sel)[0])
        assert got["oracle_METEOR"] == pytest.approx(scorers["METEOR"].compute_score(
            gts, tok({i: [cands[i][got["per_input"]["METEOR"][i].argmax()]] for i in range(2)}))[0])
    assert np.all(got["per_input"]["METEOR"][0, 2] == 0) and np.all(got["per_input"]["CIDEr-D"][0, 2] == 0)
    assert got["oracle_CIDEr-D"] >= max(got["per_input"]["CIDEr-D"][:, k].mean() for k in range(3)) - 1e-9


@pytest.mark.skipif(spice_available(), reason="SPICE models are installed here")
def test_spice_says_why():
    with pytest.raises(MetricUnavailable, match="offline"):
        caption_metrics([["a dog"]], [["a dog"]], metrics=("CIDEr-D", "SPICE"))
