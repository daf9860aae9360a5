"""Evaluations that run the real pipeline on labelled data and print honest figures.

``scenario``: serve a scenario's site on 127.0.0.1, ingest its production (EML files or the
printed PDF), crawl, match, and score the evidence table against ``labels.jsonl``.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crawlers.serve import serve_site
from foiatrace import pipeline
from matching.score import default_threshold
from warehouse.db import connect

_WORDS = re.compile(r"\w+")
_WS = re.compile(r"\s+")


@dataclass
class PRF:
    precision: float
    recall: float
    f1: float
    tp: int
    predicted: int
    expected: int

    @classmethod
    def of(cls, correct_pred: int, predicted: int, recalled: int, expected: int) -> PRF:
        p = correct_pred / predicted if predicted else 0.0
        r = recalled / expected if expected else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(round(p, 4), round(r, 4), round(f, 4), correct_pred, predicted, expected)


@dataclass
class ScenarioResult:
    scenario: str
    source: str
    threshold: float
    strict: PRF
    lenient: PRF
    detail_recall: float
    details_found: int
    details_total: int
    lookalikes_reported: dict[str, str] = field(default_factory=dict)  # reason -> "k/n"
    steps: dict[str, Any] = field(default_factory=dict)
    baselines: dict[str, ScenarioResult] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _norm(text: str) -> str:
    return _WS.sub(" ", text or "").strip()


def _path(url: str) -> str:
    return urlsplit(url).path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def build_warehouse(
    scenario: Path, source: str, db: Path, *, progress: bool = False
) -> dict[str, Any]:
    """Ingest (EML or printed PDF), crawl the served site, match: a scenario's warehouse."""
    if source not in ("eml", "pdf"):
        raise ValueError("source must be 'eml' or 'pdf'")
    production = (scenario / "emails") if source == "eml" else (scenario / "production")
    if db.exists():
        db.unlink()
    steps: dict[str, Any] = {}
    with serve_site(scenario / "site") as base_url:
        steps["ingest"] = pipeline.ingest(db, [production], "scenario", progress=progress)
        steps["crawl"] = pipeline.crawl(db, scenario / "outlets.toml", base_url=base_url)
    steps["match"] = pipeline.match(db, progress=progress)
    for step in steps.values():
        step.pop("error_list", None)
    return steps


def run_scenario(
    scenario: Path | str,
    source: str = "eml",
    *,
    workdir: Path | str | None = None,
    min_score: float | None = None,
    progress: bool = False,
    baselines: bool = True,
) -> ScenarioResult:
    """Whole pipeline on a scenario directory in the shared format; scored, with the simple
    baselines scored on the same warehouse."""
    scenario = Path(scenario)
    min_score = default_threshold() if min_score is None else min_score
    with tempfile.TemporaryDirectory(prefix="foiatrace-eval-") as tmp:
        work = Path(workdir) if workdir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db = work / f"{scenario.name}-{source}.duckdb"
        steps = build_warehouse(scenario, source, db, progress=progress)
        con = connect(db)
        try:
            rows = con.execute(
                "SELECT bates, article_url, detail_type, email_quote, article_quote FROM evidence "
                "WHERE score >= ?",
                [min_score],
            ).fetchall()
            bodies = dict(
                con.execute("SELECT bates, body FROM emails WHERE bates IS NOT NULL").fetchall()
            )
            baseline_rows = _baseline_rows(con, scenario) if baselines else {}
        finally:
            con.close()
    result = score_scenario(scenario, source, rows, bodies, min_score, steps)
    for method, (threshold, b_rows) in baseline_rows.items():
        result.baselines[method] = score_scenario(scenario, source, b_rows, bodies, threshold)
    return result


def _baseline_rows(
    con: Any, scenario: Path
) -> dict[str, tuple[float, list[tuple[str, str, str, str, str]]]]:
    """Each baseline's rows at its best threshold on this scenario (strict pair F1)."""
    from matching import baselines
    from matching.embed import MODEL_NAME

    emails = pipeline.load_email_docs(con)
    articles = pipeline.load_article_docs(con)
    bates = dict(con.execute("SELECT msg_key, bates FROM emails").fetchall())
    truth = {(lab["bates"], lab["article"]) for lab in read_jsonl(scenario / "labels.jsonl")}
    scores = baselines.pair_scores(emails, articles, pipeline.embedder(con, MODEL_NAME, False))
    out = {}
    for method, by_pair in scores.items():

        def is_true(key: tuple[str, str]) -> bool:
            return (bates.get(key[0]), _path(key[1])) in truth

        t = baselines.best_threshold(by_pair, is_true, len(truth))
        out[method] = (
            round(t, 4),
            [
                (bates.get(m) or "", url, "other", eq, aq)
                for (m, url), (sc, eq, aq) in by_pair.items()
                if sc >= t
            ],
        )
    return out


def score_scenario(
    scenario: Path,
    source: str,
    rows: list[tuple[str, str, str, str, str]],
    bodies: dict[str, str],
    min_score: float,
    steps: dict[str, Any] | None = None,
) -> ScenarioResult:
    """Strict pairs by exact Bates; lenient pairs also accept any message whose body carries
    a label's email quote verbatim (a quoted copy of the disclosing text)."""
    labels = read_jsonl(scenario / "labels.jsonl")
    hard = read_jsonl(scenario / "hard_negatives.jsonl")
    bodies = {b: _norm(t) for b, t in bodies.items()}
    label_pairs: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for lab in labels:
        label_pairs[(lab["bates"], lab["article"])].append(lab)
    by_pair: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for bates, url, dtype, e_quote, a_quote in rows:
        by_pair[(bates, _path(url))].append((dtype, e_quote or "", a_quote or ""))
    predicted = set(by_pair)

    def carries(bates: str, pair: tuple[str, str]) -> bool:
        body = bodies.get(bates, "")
        return any(_norm(lab["email_quote"]) in body for lab in label_pairs[pair])

    def lenient_match(pred: tuple[str, str], lab_pair: tuple[str, str]) -> bool:
        return pred[1] == lab_pair[1] and (pred[0] == lab_pair[0] or carries(pred[0], lab_pair))

    strict_tp = len(predicted & set(label_pairs))
    strict = PRF.of(strict_tp, len(predicted), strict_tp, len(label_pairs))
    len_correct = sum(1 for p in predicted if any(lenient_match(p, lp) for lp in label_pairs))
    len_recalled = sum(1 for lp in label_pairs if any(lenient_match(p, lp) for p in predicted))
    lenient = PRF.of(len_correct, len(predicted), len_recalled, len(label_pairs))

    found = 0
    for lab in labels:
        lp = (lab["bates"], lab["article"])
        want = {w.lower() for w in _WORDS.findall(lab["article_quote"])}
        for pred in predicted:
            if not lenient_match(pred, lp):
                continue
            if any(_covers(a_quote, want) for _, _, a_quote in by_pair[pred]):
                found += 1
                break
    hard_by_reason: dict[str, list[bool]] = defaultdict(list)
    for h in hard:
        hard_by_reason[h["reason"]].append((h["bates"], h["article"]) in predicted)
    return ScenarioResult(
        scenario=str(scenario),
        source=source,
        threshold=min_score,
        strict=strict,
        lenient=lenient,
        detail_recall=round(found / len(labels), 4) if labels else 0.0,
        details_found=found,
        details_total=len(labels),
        lookalikes_reported={r: f"{sum(v)}/{len(v)}" for r, v in sorted(hard_by_reason.items())},
        steps=steps or {},
    )


def _covers(article_quote: str, want: set[str]) -> bool:
    """A row's article quote covers a label when it has at least half the label's words."""
    if not want:
        return False
    got = {w.lower() for w in _WORDS.findall(article_quote)}
    return len(want & got) * 2 >= len(want)


def explain_scenario(
    scenario: Path, source: str, workdir: Path, threshold: float
) -> dict[str, list[dict[str, Any]]]:
    """Misses and false reports of the shipped model on a scenario whose warehouse is in
    ``workdir`` (re-matched in-process, every pair kept, so nothing is hidden by the floor)."""
    from foiatrace.evals.calibrate import load_run, predict_rows
    from foiatrace.evals.explain import explain
    from matching.score import load_model

    run = load_run(Path(scenario), source, Path(workdir))
    model = load_model()
    predict_rows(run, model, threshold)
    return explain(run, model, threshold)


def scenario_table(res: ScenarioResult, title: str) -> Table:
    """foiatrace and each baseline: strict and lenient pair P/R/F1, detail recall."""
    table = Table(
        "method",
        "pairs",
        "precision",
        "recall",
        "F1",
        "tp/pred/exp",
        "details",
        title=escape(title),
    )
    methods = [("foiatrace", res), *((f"baseline: {k}", v) for k, v in res.baselines.items())]
    for name, r in methods:
        for kind, prf in (("strict", r.strict), ("lenient", r.lenient)):
            table.add_row(
                f"{name} (t={r.threshold:g})" if kind == "strict" else "",
                kind, f"{prf.precision:.3f}", f"{prf.recall:.3f}", f"{prf.f1:.3f}",
                f"{prf.tp}/{prf.predicted}/{prf.expected}",
                f"{r.detail_recall:.3f} ({r.details_found}/{r.details_total})"
                if kind == "strict" else "",
            )  # fmt: skip
        table.add_section()
    return table


def register(eval_app: typer.Typer) -> None:
    """Add `eval scenario` to the `eval` group."""
    out = Console(width=None if sys.stdout.isatty() else 110, emoji=False)

    @eval_app.command("scenario")
    def eval_scenario(
        directory: Annotated[
            Path,
            typer.Argument(
                help="Scenario folder in the shared format "
                "(emails/, production/, site/, outlets.toml, labels.jsonl).",
                exists=True,
                file_okay=False,
            ),
        ],
        source: Annotated[
            str,
            typer.Option(
                "--from",
                help="Read the production from 'eml' "
                "(emails/*.eml) or 'pdf' (production/production.pdf).",
            ),
        ] = "eml",
        min_score: Annotated[
            float | None, typer.Option(help="Score threshold (default: shipped).")
        ] = None,
        workdir: Annotated[
            Path | None, typer.Option(help="Keep the evaluation warehouse here.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
        explain: Annotated[
            bool,
            typer.Option(
                "--explain",
                help="Also print every missed label pair and every false report with its "
                "features and the rule or model that decided (the shipped model).",
            ),
        ] = False,
    ) -> None:
        """Serve the scenario's site, ingest, crawl, match, and print pair precision/recall/F1
        (strict and lenient) and detail recall against labels.jsonl."""
        from foiatrace.cli import State
        from matching.score import default_threshold

        if source not in ("eml", "pdf"):
            typer.echo("error: --from must be 'eml' or 'pdf'", err=True)
            raise typer.Exit(2)
        threshold = default_threshold() if min_score is None else min_score
        with tempfile.TemporaryDirectory(prefix="foiatrace-eval-") as tmp:
            work = Path(workdir or tmp)
            res = run_scenario(
                directory,
                source,
                workdir=work,
                min_score=threshold,
                progress=not (State.quiet or as_json),
            )
            report = explain_scenario(directory, source, work, threshold) if explain else None
        if as_json:
            payload = res.as_dict()
            if report is not None:
                payload["explain"] = report
            out.print_json(json.dumps(payload, default=str))
            return
        if report is not None:
            from foiatrace.evals.explain import print_explanation

            print_explanation(out, f"{directory} from {source}", report)
        out.print(scenario_table(res, f"{directory} from {source}"))
        if res.lookalikes_reported:
            out.print(
                "look-alikes reported by foiatrace (hard_negatives.jsonl): "
                + ", ".join(f"{k} {v}" for k, v in res.lookalikes_reported.items()),
                markup=False,
            )
