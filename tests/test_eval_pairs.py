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


# Floors under the figures measured on these slices (CPU, all-MiniLM-L6-v2 from the pinned
# package; 2026-11): InSciOut test[:120] raw cosine R@1 0.767, R@5 0.933, MRR 0.832,
# foiatrace 0.767 / 0.942 / 0.834; MSRP train[:300] 5-fold ROC-AUC raw 0.760, foiatrace 0.781,
# F1 0.830 / 0.835. A floor sits 0.02-0.03 under its figure: a changed model, feature or
# reader that loses ranking quality fails here.
INSCIOUT_FLOORS = {
    "raw MiniLM cosine": {"recall@1": 0.74, "recall@5": 0.91, "mrr": 0.81},
    "foiatrace sentence evidence": {"recall@1": 0.74, "recall@5": 0.92, "mrr": 0.81},
}
MSRP_FLOORS = {
    "raw MiniLM cosine": {"roc_auc": 0.73, "f1": 0.80},
    "foiatrace sentence evidence": {"roc_auc": 0.75, "f1": 0.81},
}


def test_msrp_reader_and_cross_validated_figures(shared: Path) -> None:
    pairs, y = load_msrp(shared / "data" / "msrp" / "msr_paraphrase_train.txt", 300)
    assert len(pairs) == 300 and set(y) == {0, 1}
    res = msrp(shared / "data", limit=300)
    for method, floors in MSRP_FLOORS.items():
        for metric, floor in floors.items():
            assert res[method][metric] >= floor, (method, metric, res[method][metric])
    raw, ours = res["raw MiniLM cosine"], res["foiatrace sentence evidence"]
    assert ours["roc_auc"] >= raw["roc_auc"]  # measured +0.021: the features add to cosine


def test_insciout_ranking(shared: Path) -> None:
    res = insciout(shared / "data", limit=120)
    for method, floors in INSCIOUT_FLOORS.items():
        for metric, floor in floors.items():
            assert res[method][metric] >= floor, (method, metric, res[method][metric])
    raw, ours = res["raw MiniLM cosine"], res["foiatrace sentence evidence"]
    assert ours["mrr"] >= raw["mrr"] - 0.005 and ours["recall@5"] >= raw["recall@5"]
