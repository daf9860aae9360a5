"""`foiatrace eval pairs`: sentence-pair evidence against raw MiniLM cosine on public data.

- InSciOut: for each press-release sentence, rank every abstract sentence of its split;
  Recall@1, Recall@5, MRR. foiatrace's weights are fit on the train split, reported on test.
- MSRP: same-meaning or not; threshold (and foiatrace's weights) chosen by 5-fold
  cross-validation; accuracy, F1 of the positive class, ROC-AUC.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

FOLDS = 5


def default_data_dir() -> Path:
    shared = os.environ.get("FOIATRACE_SHARED")
    if shared:
        return Path(shared) / "data"
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def _embed(texts: list[str]) -> dict[str, np.ndarray]:
    from matching.embed import encode

    unique = sorted(set(texts))
    return dict(zip(unique, encode(unique, progress=False), strict=True))


def load_insciout(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(r["press_release_conclusion"], r["abstract_conclusion"]) for r in rows]


def load_msrp(path: Path, limit: int | None = None) -> tuple[list[tuple[str, str]], np.ndarray]:
    pairs, labels = [], []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) == 5 and row[0] in ("0", "1"):
                labels.append(int(row[0]))
                pairs.append((row[3], row[4]))
    if limit:
        pairs, labels = pairs[:limit], labels[:limit]
    return pairs, np.array(labels)


def _rank_metrics(scores: np.ndarray) -> dict[str, float]:
    """scores[i, j]: press release i vs abstract j; the right abstract is j == i."""
    ranks = (scores > np.diag(scores)[:, None]).sum(axis=1) + 1
    return {
        "recall@1": round(float((ranks <= 1).mean()), 4),
        "recall@5": round(float((ranks <= 5).mean()), 4),
        "mrr": round(float((1.0 / ranks).mean()), 4),
    }


def _insciout_scores(
    pairs: list[tuple[str, str]], vec: dict[str, np.ndarray], weights: np.ndarray | None
) -> np.ndarray:
    from matching.pairs import feature_matrix

    pr = np.stack([vec[p] for p, _ in pairs])
    ab = np.stack([vec[a] for _, a in pairs])
    cos = pr @ ab.T
    if weights is None:
        return cos
    n = len(pairs)
    out = np.empty_like(cos)
    for i in range(n):
        feats = feature_matrix([(pairs[i][0], pairs[j][1]) for j in range(n)], cos[i])
        out[i] = feats @ weights
    return out


def _fit_ranker(pairs: list[tuple[str, str]], vec: dict[str, np.ndarray]) -> np.ndarray:
    """Logistic weights separating each press release's abstract from the others."""
    from sklearn.linear_model import LogisticRegression

    from matching.pairs import feature_matrix

    pr = np.stack([vec[p] for p, _ in pairs])
    ab = np.stack([vec[a] for _, a in pairs])
    cos = pr @ ab.T
    X, y = [], []
    for i in range(len(pairs)):
        feats = feature_matrix([(pairs[i][0], pairs[j][1]) for j in range(len(pairs))], cos[i])
        X.append(feats)
        y.append((np.arange(len(pairs)) == i).astype(int))
    lr = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    lr.fit(np.vstack(X), np.concatenate(y))
    return lr.coef_[0]


def insciout(data: Path, limit: int | None = None) -> dict[str, dict[str, float]]:
    train = load_insciout(data / "insciout" / "insciout_train.jsonl")
    test = load_insciout(data / "insciout" / "insciout_test.jsonl")[:limit]
    vec = _embed([t for p in train + test for t in p])
    weights = _fit_ranker(train, vec)
    return {
        "raw MiniLM cosine": _rank_metrics(_insciout_scores(test, vec, None)),
        "foiatrace sentence evidence": _rank_metrics(_insciout_scores(test, vec, weights)),
    }


def msrp(data: Path, limit: int | None = None) -> dict[str, dict[str, float]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from matching.pairs import feature_matrix

    pairs, y = load_msrp(data / "msrp" / "msr_paraphrase_train.txt", limit)
    vec = _embed([t for p in pairs for t in p])
    cos = np.array([float(vec[a] @ vec[b]) for a, b in pairs])
    X = feature_matrix(pairs, cos)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    pred = {"raw MiniLM cosine": np.zeros(len(y)), "foiatrace sentence evidence": np.zeros(len(y))}
    score = {"raw MiniLM cosine": cos, "foiatrace sentence evidence": np.zeros(len(y))}
    for train, test in folds.split(X, y):
        grid = np.unique(np.round(cos[train], 3))
        best = max(grid, key=lambda t: f1_score(y[train], cos[train] >= t))
        pred["raw MiniLM cosine"][test] = cos[test] >= best
        lr = LogisticRegression(C=1.0, max_iter=2000).fit(X[train], y[train])
        p = lr.predict_proba(X[test])[:, 1]
        score["foiatrace sentence evidence"][test] = p
        p_train = lr.predict_proba(X[train])[:, 1]
        t_grid = np.round(np.arange(0.2, 0.81, 0.02), 2)
        t_best = max(t_grid, key=lambda t: f1_score(y[train], p_train >= t))
        pred["foiatrace sentence evidence"][test] = p >= t_best
    return {
        name: {
            "accuracy": round(float(accuracy_score(y, pred[name])), 4),
            "f1": round(float(f1_score(y, pred[name])), 4),
            "roc_auc": round(float(roc_auc_score(y, score[name])), 4),
        }
        for name in pred
    }


def run(data: Path, msrp_limit: int | None = None) -> dict[str, Any]:
    return {"insciout": insciout(data), "msrp": msrp(data, msrp_limit)}


def register(eval_app: typer.Typer) -> None:
    """Add `eval pairs` to the `eval` group."""

    @eval_app.command("pairs")
    def eval_pairs(
        data: Annotated[
            Path | None,
            typer.Option(help="Folder with insciout/ and msrp/ (default: ../shared/data)."),
        ] = None,
        msrp_limit: Annotated[
            int | None, typer.Option(help="Use only the first N MSRP pairs (quick runs).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    ) -> None:
        """Sentence-pair evidence against raw MiniLM cosine on InSciOut (Recall@1, @5, MRR)
        and MSRP (cross-validated accuracy, F1, ROC-AUC)."""
        data = data or default_data_dir()
        if not (data / "insciout").is_dir() or not (data / "msrp").is_dir():
            Console(stderr=True, emoji=False).print(
                f"[red]error:[/red] {escape(str(data))}: no insciout/ and msrp/ here"
            )
            raise typer.Exit(1)
        res = run(data, msrp_limit)
        out = Console(emoji=False)
        if as_json:
            out.print_json(json.dumps(res))
            return
        for name, metrics in (("InSciOut test (563)", "insciout"), ("MSRP (5-fold CV)", "msrp")):
            cols = list(next(iter(res[metrics].values())))
            table = Table("method", *cols, title=name)
            for method, vals in res[metrics].items():
                table.add_row(method, *(f"{vals[c]:.3f}" for c in cols))
            out.print(table)
