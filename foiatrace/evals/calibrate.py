"""Fit the matcher's pair model on labelled scenarios: `foiatrace eval calibrate DIR...`.

Each scenario's warehouse is built with the real pipeline (served site, crawl, ingest), every
candidate (message, article) pair in time order is weighed, and a logistic regression over
``PAIR_FEATURES`` is fit with strict labels (the message whose sender wrote the disclosing
text). Leave-one-scenario-out figures are reported, so the shipped threshold is judged on a
scenario it was not fit on; the final model is fit on all of them.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import numpy as np
import typer
from rich.console import Console

from foiatrace import pipeline
from foiatrace.evals.scenario import build_warehouse
from matching.score import PAIR_FEATURES, ScoreModel, pair_score
from warehouse.db import connect

C_REGULARIZATION = 0.3  # strong: few labelled pairs, and held-out data differs


@dataclass
class PairSet:
    scenario: str
    keys: list[tuple[str, str]]  # (bates, article path)
    X: np.ndarray
    y: np.ndarray
    features: list[dict[str, float]]  # as stored, incl. flags the model does not weigh


def _labels(scenario: Path) -> set[tuple[str, str]]:
    path = scenario / "labels.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    return {(j["bates"], j["article"]) for j in map(json.loads, lines) if j}


def pair_features(scenario: Path, source: str = "eml", workdir: Path | None = None) -> PairSet:
    """Features of every candidate pair of a scenario, with strict labels."""
    from matching.embed import MODEL_NAME
    from matching.match import match

    with tempfile.TemporaryDirectory(prefix="foiatrace-cal-") as tmp:
        db = (workdir or Path(tmp)) / f"{scenario.name}-{source}.duckdb"
        build_warehouse(scenario, source, db)
        con = connect(db)
        try:
            emails = pipeline.load_email_docs(con)
            articles = pipeline.load_article_docs(con)
            bates = dict(con.execute("SELECT msg_key, bates FROM emails").fetchall())
            embed = pipeline.embedder(con, MODEL_NAME, False)
            result = match(
                emails,
                articles,
                embed,
                keep_floor=2.0,
                participants=pipeline.load_participants(con),
            )
        finally:
            con.close()
    positives = _labels(scenario)
    keys, rows, ys, feats = [], [], [], []
    for p in result.pairs:
        key = (bates.get(p.msg_key) or "", urlsplit(p.article_url).path)
        keys.append(key)
        rows.append([p.features[f] for f in PAIR_FEATURES])
        feats.append(dict(p.features))
        ys.append(1 if key in positives and p.rows else 0)
    return PairSet(str(scenario), keys, np.asarray(rows, dtype=float), np.asarray(ys), feats)


def fit(sets: list[PairSet]) -> ScoreModel:
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([s.X for s in sets])
    y = np.concatenate([s.y for s in sets])
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C_REGULARIZATION, max_iter=2000)
    lr.fit((X - mean) / scale, y)
    return ScoreModel(
        weights={f: round(float(w), 4) for f, w in zip(PAIR_FEATURES, lr.coef_[0], strict=True)},
        intercept=round(float(lr.intercept_[0]), 4),
        mean={f: round(float(m), 4) for f, m in zip(PAIR_FEATURES, mean, strict=True)},
        scale={f: round(float(v), 4) for f, v in zip(PAIR_FEATURES, scale, strict=True)},
        trained_on=[Path(s.scenario).name for s in sets],
    )


def _prf(scores: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, float]:
    pred = scores >= threshold
    tp = int((pred & (y == 1)).sum())
    p = tp / pred.sum() if pred.sum() else 0.0
    r = tp / (y == 1).sum() if (y == 1).sum() else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def _scores(model: ScoreModel, s: PairSet) -> np.ndarray:
    """Scores as the matcher gives them (rejections included), with ``model``'s weights."""
    return np.array([pair_score(model, f) for f in s.features])


def choose_threshold(sets: list[PairSet], models: list[ScoreModel]) -> float:
    """The threshold with the best mean F1 on held-out scenarios, leaning to precision on
    ties (a false accusation costs more than a missed one)."""
    grid = np.round(np.arange(0.2, 0.91, 0.05), 2)
    held = [(_scores(m, s), s.y) for m, s in zip(models, sets, strict=True)]
    best, best_f = 0.5, -1.0
    for t in grid:
        f = float(np.mean([_prf(scores, y, t)["f1"] for scores, y in held]))
        if f > best_f + 1e-9 or (abs(f - best_f) <= 1e-9 and t > best):
            best, best_f = float(t), f
    return best


def calibrate(scenarios: list[Path], output: Path, source: str = "eml") -> dict[str, Any]:
    sets = [pair_features(s, source) for s in scenarios]
    report: dict[str, Any] = {
        "pairs": {Path(s.scenario).name: int(len(s.y)) for s in sets},
        "positives": {Path(s.scenario).name: int(s.y.sum()) for s in sets},
    }
    if len(sets) > 1:
        held_models = [fit([o for o in sets if o is not s]) for s in sets]
        threshold = choose_threshold(sets, held_models)
        report["leave_one_out"] = {
            Path(s.scenario).name: _prf(_scores(m, s), s.y, threshold)
            for m, s in zip(held_models, sets, strict=True)
        }
    else:
        threshold = 0.5
    model = fit(sets)
    model.threshold = threshold
    report["fit_on_all"] = {
        Path(s.scenario).name: _prf(_scores(model, s), s.y, threshold) for s in sets
    }
    model.report = report
    output.write_text(model.to_json(), encoding="utf-8")
    return {"threshold": threshold, "weights": model.weights, **report}


def register(eval_app: typer.Typer) -> None:
    """Add `eval calibrate` to the `eval` group."""
    out = Console()

    @eval_app.command("calibrate")
    def eval_calibrate(
        scenarios: Annotated[
            list[Path],
            typer.Argument(help="Labelled scenario folders (shared format).", exists=True),
        ],
        output: Annotated[
            Path | None,
            typer.Option(help="Where to write the model (default: the shipped weights.json)."),
        ] = None,
        source: Annotated[str, typer.Option("--from", help="'eml' or 'pdf'.")] = "eml",
    ) -> None:
        """Fit the matcher's pair model on labelled scenarios; report leave-one-scenario-out
        precision/recall/F1 and write the weights and threshold."""
        from matching.score import WEIGHTS_FILE

        output = output or WEIGHTS_FILE
        report = calibrate(list(scenarios), output, source)
        out.print_json(json.dumps(report))
        out.print(f"model written to {output}")
