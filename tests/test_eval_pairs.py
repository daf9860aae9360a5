"""`eval pairs` on small slices of InSciOut and MSRP: real data, real model."""

from __future__ import annotations

from pathlib import Path

from foiatrace.evals.pairs import insciout, load_msrp, msrp
from matching.pairs import detail_keys, sentence_features


def test_conflicting_numbers_are_counted() -> None:
    same = sentence_features(
        "Sales rose 12% to $4.1 million.", "Sales grew 12% to $4.1 million.", 0.9
    )
    diff = sentence_features("Sales rose 12% in 2001.", "Sales rose 15% in 2003.", 0.9)
    assert same[2] > diff[2] and same[3] == 0 and diff[3] >= 2
    assert "number:12%" in detail_keys("up 12 percent")


def test_msrp_reader_and_cross_validated_figures(shared: Path) -> None:
    pairs, y = load_msrp(shared / "data" / "msrp" / "msr_paraphrase_train.txt", 300)
    assert len(pairs) == 300 and set(y) == {0, 1}
    res = msrp(shared / "data", limit=300)
    raw, ours = res["raw MiniLM cosine"], res["foiatrace sentence evidence"]
    assert 0.6 < raw["roc_auc"] < 1.0
    assert ours["roc_auc"] >= raw["roc_auc"] - 0.02


def test_insciout_ranking(shared: Path) -> None:
    res = insciout(shared / "data", limit=120)
    for metrics in res.values():
        assert metrics["recall@1"] <= metrics["recall@5"] <= 1.0
        assert metrics["mrr"] > 0.5
