"""Fit the matcher's models on labelled scenarios, leave-one-scenario-out:
`foiatrace eval calibrate DIR...`.

Each scenario's warehouse is built with the real pipeline (served site, crawl, ingest of the
EML files and of the printed PDF) and every candidate (message, article) pair in time order is
weighed. Two models are fit, both logistic regressions over features a reviewer can check:

* the **sentence model** (``SENTENCE_FEATURES``): does this email sentence say what this
  article sentence prints? Positives are the labels' quote pairs;
* the **pair model** (``PAIR_FEATURES``): is this (message, article) pair a disclosure? Strict
  labels (the message whose sender wrote the disclosing text).

Every figure printed is of a scenario scored by models fit *without* it, at a threshold chosen
without it (nested: the threshold is the best one when the remaining scenarios are left out of
each other's fits). The shipped model is then fit on all of them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import numpy as np
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from foiatrace import pipeline
from foiatrace.evals.scenario import (
    ScenarioResult,
    build_warehouse,
    read_jsonl,
    score_scenario,
)
from matching.score import PAIR_FEATURES, SENTENCE_FEATURES, ScoreModel
from warehouse.db import connect

C_REGULARIZATION = 0.1  # strong: few labelled pairs, and held-out data differs (LOSO: 0.03-0.1
# gave the same figures on five scenarios, 0.3 and above lost precision on the unseen ones)
C_SENTENCE = 0.3
THRESHOLD_GRID = tuple(round(x, 2) for x in np.arange(0.15, 0.91, 0.05))


@dataclass
class Run:
    """One scenario read from one source, matched with every pair kept."""

    name: str
    scenario: Path
    source: str
    result: Any  # matching.match.MatchResult
    bates: dict[str, str]  # msg_key -> bates
    bodies: dict[str, str]  # bates -> decoded body (lenient scoring)
    labels: set[tuple[str, str]]  # (bates, article path)
    quotes: list[dict[str, Any]]  # labels.jsonl rows
    baselines: dict[str, Any] = field(default_factory=dict)
    emails: list[Any] = field(default_factory=list)  # matching.match.EmailDoc
    articles: list[Any] = field(default_factory=list)  # matching.match.ArticleDoc
    agency: set[str] = field(default_factory=set)

    def key(self, p: Any) -> tuple[str, str]:
        return (self.bates.get(p.msg_key) or "", urlsplit(p.article_url).path)


def warehouse_for(scenario: Path, source: str, workdir: Path, reuse: bool = True) -> Path:
    """The scenario's warehouse (ingest + crawl + match), built once per workdir."""
    db = workdir / f"{scenario.name}-{source}.duckdb"
    if not (reuse and db.exists()):
        build_warehouse(scenario, source, db)
    return db


def load_run(
    scenario: Path, source: str, workdir: Path, *, reuse: bool = True, baselines: bool = False
) -> Run:
    """Re-match a scenario's warehouse in-process with the current code, keeping every pair."""
    from foiatrace.evals.scenario import _baseline_rows
    from matching.embed import MODEL_NAME
    from matching.match import match

    db = warehouse_for(scenario, source, workdir, reuse)
    con = connect(db)
    try:
        emails = pipeline.load_email_docs(con)
        articles = pipeline.load_article_docs(con)
        bates = dict(con.execute("SELECT msg_key, bates FROM emails").fetchall())
        bodies = dict(
            con.execute("SELECT bates, body FROM emails WHERE bates IS NOT NULL").fetchall()
        )
        embed = pipeline.embedder(con, MODEL_NAME, False)
        result = match(
            emails, articles, embed, keep_floor=2.0, participants=pipeline.load_participants(con)
        )
        base = _baseline_rows(con, scenario) if baselines else {}
    finally:
        con.close()
    quotes = read_jsonl(scenario / "labels.jsonl")
    labels = {(q["bates"], q["article"]) for q in quotes}
    from matching.parties import agency_domains

    outlets = {a.domain for a in articles}
    agency = agency_domains(((e.sender, e.recipients) for e in emails), outlets)
    return Run(
        scenario.name, scenario, source, result, bates, bodies, labels, quotes, base,
        emails, articles, agency,
    )  # fmt: skip


# -- the sentence model ---------------------------------------------------------------------


def sentence_xy(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """Sentence-pair features of a run with labels: the pair is a label pair and the email
    sentence carries the label's email quote while the article sentence carries its article
    quote (most of its words)."""
    from foiatrace.evals.scenario import _WORDS, _covers, _norm

    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for q in run.quotes:
        by_pair.setdefault((q["bates"], q["article"]), []).append(q)
    X, y = [], []
    for p in run.result.pairs:
        labs = by_pair.get(run.key(p), [])
        for sp in p.sentence_pairs:
            pos = False
            for q in labs:
                eq = _norm(q["email_quote"]).lower()
                e_s = _norm(sp.email_text).lower()
                want = {w.lower() for w in _WORDS.findall(q["article_quote"])}
                if (eq in e_s or e_s in eq) and _covers(sp.article_text, want):
                    pos = True
                    break
            X.append([sp.features[f] for f in SENTENCE_FEATURES])
            y.append(int(pos))
    return np.asarray(X, dtype=float).reshape(-1, len(SENTENCE_FEATURES)), np.asarray(y)


def _logistic(
    X: np.ndarray, y: np.ndarray, names: Iterable[str], c: float, balanced: bool = False
) -> ScoreModel:
    from sklearn.linear_model import LogisticRegression

    names = list(names)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=c, max_iter=5000, class_weight="balanced" if balanced else None)
    lr.fit((X - mean) / scale, y)
    return ScoreModel(
        weights={f: round(float(w), 4) for f, w in zip(names, lr.coef_[0], strict=True)},
        intercept=round(float(lr.intercept_[0]), 4),
        mean={f: round(float(m), 4) for f, m in zip(names, mean, strict=True)},
        scale={f: round(float(v), 4) for f, v in zip(names, scale, strict=True)},
    )


def fit_sentence(runs: list[Run]) -> ScoreModel:
    xs, ys = zip(*(sentence_xy(r) for r in runs), strict=True)
    m = _logistic(np.vstack(xs), np.concatenate(ys), SENTENCE_FEATURES, C_SENTENCE, True)
    m.trained_on = [r.name for r in runs]
    return m


# -- the pair model -------------------------------------------------------------------------


def _pair_xy(run: Run, sentence: ScoreModel) -> tuple[np.ndarray, np.ndarray]:
    """Pair features (re-scored with ``sentence``) and strict labels of every weighed pair."""
    from matching.match import rescore_pair

    X, y = [], []
    for p in run.result.pairs:
        rescore_pair(p, sentence)
        if p.features.get("new_details", 0.0) <= 0 and not p.features.get("n_sent", 0.0):
            continue  # never reported whatever the weights: nothing to learn from
        X.append([p.features[f] for f in PAIR_FEATURES])
        y.append(int(run.key(p) in run.labels and bool(p.rows)))
    return np.asarray(X, dtype=float).reshape(-1, len(PAIR_FEATURES)), np.asarray(y)


# the matcher without its learned sentence layer (rules alone): every sentence pair p = 0
RULES_ONLY = ScoreModel(weights={}, intercept=-40.0)


def fit(runs: list[Run], sentence_layer: bool = True) -> ScoreModel:
    """Sentence model, then the pair model over features the sentence model feeds."""
    sentence = fit_sentence(runs) if sentence_layer else RULES_ONLY
    xs, ys = [], []
    for r in runs:
        X, y = _pair_xy(r, sentence)
        xs.append(X)
        ys.append(y)
    model = _logistic(np.vstack(xs), np.concatenate(ys), PAIR_FEATURES, C_REGULARIZATION)
    model.sentence = sentence.to_dict()
    model.trained_on = [r.name for r in runs]
    return model


def predict_rows(run: Run, model: ScoreModel, threshold: float) -> list[tuple[str, ...]]:
    """The evidence rows the matcher would report for ``run`` with ``model``."""
    from matching.match import finalize_pairs, rescore_pair

    sentence = model.sentence_model()
    for p in run.result.pairs:
        rescore_pair(p, sentence)
    finalize_pairs(run.result.pairs, model)
    rows = []
    for p in run.result.pairs:
        if p.score >= threshold:
            for r in p.rows:
                rows.append(
                    (run.bates.get(p.msg_key) or "", p.article_url, r.detail_type,
                     r.email_quote, r.article_quote)
                )  # fmt: skip
    return rows


def score_run(run: Run, model: ScoreModel, threshold: float) -> ScenarioResult:
    res = score_scenario(
        run.scenario, run.source, predict_rows(run, model, threshold), run.bodies, threshold
    )
    for method, (t, b_rows) in run.baselines.items():
        res.baselines[method] = score_scenario(run.scenario, run.source, b_rows, run.bodies, t)
    return res


def _objective(res: ScenarioResult) -> float:
    """What a threshold is chosen for: lenient F1, leaning to precision (a false accusation
    costs more than a missed pair)."""
    return res.lenient.f1 + res.lenient.precision


def choose_threshold(train: list[Run], sentence_layer: bool = True) -> float:
    """Best mean objective over the training scenarios, each scored by a model fit on the
    others (so the threshold, too, is chosen on data its model did not see)."""
    if len(train) < 2:
        return 0.5
    scored = []
    for r in train:
        m = fit([o for o in train if o.name != r.name], sentence_layer)
        scored.append((r, m))
    values = [
        float(np.mean([_objective(score_run(r, m, t)) for r, m in scored])) for t in THRESHOLD_GRID
    ]
    # the middle of the best plateau: the widest margin on both sides of the choice
    tied = [t for t, v in zip(THRESHOLD_GRID, values, strict=True) if v >= max(values) - 1e-9]
    return float(tied[len(tied) // 2])


def leave_one_out(
    runs: dict[str, dict[str, Run]],
    explanations: dict[str, Any] | None = None,
    sentence_layer: bool = True,
) -> dict[str, dict[str, ScenarioResult]]:
    """Each scenario scored (from every source) by a model and threshold chosen without it.
    Models are fit on the EML reading of the other scenarios. With ``explanations``, each
    held-out run's misses and false reports are explained into it."""
    from foiatrace.evals.explain import explain

    out: dict[str, dict[str, ScenarioResult]] = {}
    for held in runs:
        train = [by_src["eml"] for name, by_src in runs.items() if name != held]
        threshold = choose_threshold(train, sentence_layer)
        model = fit(train, sentence_layer)
        out[held] = {}
        for src, run in runs[held].items():
            out[held][src] = score_run(run, model, threshold)
            if explanations is not None:
                explanations[f"{held} from {src}"] = explain(run, model, threshold)
    return out


def calibrate(
    scenarios: list[Path],
    output: Path | None,
    sources: tuple[str, ...] = ("eml",),
    workdir: Path | None = None,
    baselines: bool = False,
    explanations: dict[str, Any] | None = None,
    sentence_layer: bool = True,
) -> tuple[ScoreModel, dict[str, dict[str, ScenarioResult]]]:
    """Leave-one-scenario-out figures, then the model fit on all scenarios (written to
    ``output`` unless None)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="foiatrace-cal-") as tmp:
        work = Path(workdir) if workdir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        runs = {
            s.name: {
                src: load_run(s, src, work, baselines=baselines)
                for src in dict.fromkeys(("eml", *sources))
            }
            for s in scenarios
        }
    held = leave_one_out(runs, explanations, sentence_layer) if len(runs) > 1 else {}
    all_eml = [by_src["eml"] for by_src in runs.values()]
    model = fit(all_eml, sentence_layer)
    model.threshold = choose_threshold(all_eml, sentence_layer)
    model.report = {
        "leave_one_out": {
            name: {
                src: {
                    "strict_f1": r.strict.f1,
                    "lenient_p": r.lenient.precision,
                    "lenient_r": r.lenient.recall,
                    "lenient_f1": r.lenient.f1,
                    "detail_recall": r.detail_recall,
                    "lookalikes": r.lookalikes_reported,
                }
                for src, r in by_src.items()
            }
            for name, by_src in held.items()
        },
    }
    if output is not None:
        output.write_text(model.to_json(), encoding="utf-8")
    return model, held


def loso_table(held: dict[str, dict[str, ScenarioResult]]) -> Table:
    """One row per held-out scenario, source and method; baselines' thresholds are tuned on
    the scenario itself (their best case)."""
    table = Table(
        "held out", "method", "t", "strict F1", "P", "R", "F1", "details", "look-alikes",
        title="Leave-one-scenario-out: each scenario scored by models fit without it. "
        "P/R/F1: lenient pairs. Look-alikes: reported/total (syndicated copies aside). "
        "Baselines: threshold tuned on the scenario itself.",
    )  # fmt: skip
    for name, by_src in held.items():
        for src, r in by_src.items():
            methods = [("foiatrace", r), *r.baselines.items()]
            for i, (method, m) in enumerate(methods):
                looks = [v.split("/") for k, v in m.lookalikes_reported.items()
                         if k != "syndicated_copy"]  # fmt: skip
                table.add_row(
                    Text(f"{name} {src}") if i == 0 else "", Text(method), f"{m.threshold:.2f}",
                    f"{m.strict.f1:.3f}", f"{m.lenient.precision:.3f}",
                    f"{m.lenient.recall:.3f}", f"{m.lenient.f1:.3f}", f"{m.detail_recall:.3f}",
                    f"{sum(int(a) for a, _ in looks)}/{sum(int(b) for _, b in looks)}",
                )  # fmt: skip
            table.add_section()
    return table


def register(eval_app: typer.Typer) -> None:
    """Add `eval calibrate` to the `eval` group."""
    out = Console(width=None if sys.stdout.isatty() else 110, emoji=False)

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
        source: Annotated[
            list[str] | None,
            typer.Option("--from", help="'eml' and/or 'pdf' (repeat): sources scored."),
        ] = None,
        workdir: Annotated[
            Path | None, typer.Option(help="Keep (and reuse) the scenarios' warehouses here.")
        ] = None,
        baselines: Annotated[
            bool, typer.Option(help="Score the TF-IDF, shingle and embedding baselines too.")
        ] = True,
        explain: Annotated[
            bool,
            typer.Option(
                "--explain",
                help="Also print every missed label pair and false report of each held-out "
                "scenario, with its features and the rule or model that decided.",
            ),
        ] = False,
        rules_only: Annotated[
            bool,
            typer.Option(
                "--rules-only",
                help="Without the learned sentence layer: the rules' details alone (ablation).",
            ),
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Print the figures, write no model.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    ) -> None:
        """Fit the matcher's sentence and pair models on labelled scenarios; print each
        scenario scored by models fit without it (leave-one-scenario-out), beside the
        baselines; write the weights and threshold fit on all of them."""
        from matching.score import WEIGHTS_FILE

        sources = tuple(source or ("eml",))
        for s in sources:
            if s not in ("eml", "pdf"):
                typer.echo(f"error: --from {s!r}: must be 'eml' or 'pdf'", err=True)
                raise typer.Exit(2)
        target = None if dry_run else (output or WEIGHTS_FILE)
        from foiatrace.evals.explain import print_explanation

        explanations: dict[str, Any] | None = {} if explain else None
        model, held = calibrate(
            list(scenarios), target, sources, workdir, baselines, explanations, not rules_only
        )
        if as_json:
            out.print_json(
                json.dumps(
                    {
                        "threshold": model.threshold,
                        "leave_one_out": {
                            n: {s: r.as_dict() for s, r in b.items()} for n, b in held.items()
                        },
                        "explanations": explanations,
                    },
                    default=str,
                )
            )
            return
        for title, report in (explanations or {}).items():
            print_explanation(out, title, report)
        out.print(loso_table(held))
        out.print(f"shipped threshold (chosen leave-one-scenario-out): {model.threshold:g}")
        if target:
            out.print(f"model written to {target}", markup=False)
