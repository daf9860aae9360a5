"""`foiatrace eval noise`: precision on real text that discloses nothing to these outlets.

The State Department's Clinton release (27,159 real emails: real senders, real prose, real
OCR noise) has nothing to do with a scenario's people or outlets, so every pair the matcher
reports between the two is a false positive. The emails are re-dated into the scenario's
months (their words unchanged) so that each has candidate articles, loaded beside the
scenario's crawled articles with the ordinary readers and writers, and matched by the
ordinary match step; the report lists every pair that comes out (the goal is next to none).

Re-dating is a monotone map: the release's sent times, order and relative spacing kept, are
rescaled linearly onto [first article - 30 days, last article]. The release's few misdated
outliers (one document dated 2015 among 2009-2013) would squeeze everything else into part
of the span, so the rescale runs between the 0.1% and 99.9% quantiles and clamps the rest
to the ends. A document with no readable date gets a time from a hash of its doc number:
deterministic, spread over the span.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from foia.models import IngestError, Message

PRODUCTION = "clinton-noise"
TARBALL = "clinton_state_foia_text.tar.gz"
LEAD = timedelta(days=30)  # the match window: an email this long before the first article
TRIM = 0.001  # share of the earliest and latest sent times clamped to the span's ends


class NoiseError(Exception):
    """The evaluation cannot run (no release, no articles crawled)."""


@dataclass
class ReportedPair:
    """One (document, article) pair the matcher reported, with what it rests on."""

    bates: str
    article_url: str
    outlet: str | None
    score: float
    detail_types: list[str]
    detail_keys: list[str]
    email_sent_at: str
    quotes: list[dict[str, str]] = field(default_factory=list)  # detail, email, article


@dataclass
class NoiseResult:
    scenario: str
    clinton: str
    production: str
    threshold: float
    span_start: str
    span_end: str
    documents: int  # text files read from the release
    messages: int  # loaded into the warehouse
    refused: int  # files the reader refused, with a reason (recorded in ``errors``)
    undated: int  # given a hashed time inside the span
    emails_matched: int  # messages the match step weighed (dated, own text, not withheld)
    articles: int
    pairs_weighed: int
    evidence_rows: int  # evidence rows at or above the threshold
    pairs_reported: int  # distinct (bates, article_url)
    emails_reported: int
    timings_s: dict[str, float]
    steps: dict[str, Any]
    pairs: list[ReportedPair]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_clinton_dir() -> Path:
    """``$FOIATRACE_SHARED/data/clinton-foia``, else ``../shared`` beside the repository."""
    shared = os.environ.get("FOIATRACE_SHARED")
    if shared:
        return Path(shared) / "data" / "clinton-foia"
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "clinton-foia"


def iter_release(
    clinton: Path, limit: int | None = None, timezone: str = "America/New_York"
) -> Iterator[Message | IngestError]:
    """Each document of the release's tarball through the text-release reader, in archive
    order (the first ``limit`` only). Named ``tarball!member`` like zip members at intake;
    a reader crash becomes an error, as in :func:`foia.ingest.iter_production`."""
    from foia.text_release import parse_text_release

    tar_path = clinton / TARBALL
    if not tar_path.is_file():
        raise NoiseError(f"{tar_path}: release tarball not found")
    n = 0
    with tarfile.open(tar_path) as tar:
        for member in tar:
            if not (member.isfile() and member.name.endswith(".txt")):
                continue
            source = f"{tar_path}!{member.name}"
            fh = tar.extractfile(member)
            if fh is None:
                yield IngestError(source, "unreadable tar member")
            else:
                try:
                    yield parse_text_release(fh.read(), source, timezone)
                except Exception as exc:  # noqa: BLE001 - report and go on, like intake
                    yield IngestError(source, f"unexpected error: {type(exc).__name__}", str(exc))
            n += 1
            if limit and n >= limit:
                return


def _hash_fraction(text: str) -> float:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], 16) / 16**12


def redate(messages: Sequence[Message], start: datetime, end: datetime) -> int:
    """Move every message's ``sent_at`` into [start, end] (in place); words untouched.

    Dated messages keep their order and relative spacing (a linear rescale between the
    ``TRIM`` quantiles, outliers clamped to the ends); undated ones get a time from a hash
    of their doc number. Returns how many were undated."""
    span = (end - start).total_seconds()
    dated = sorted(m.sent_at for m in messages if m.sent_at is not None)
    lo, width = start, 0.0
    if dated:
        k = int(len(dated) * TRIM)
        lo, hi = dated[k], dated[len(dated) - 1 - k]
        width = (hi - lo).total_seconds()
    undated = 0
    for m in messages:
        if m.sent_at is None:
            undated += 1
            frac = _hash_fraction(m.bates or m.source_file)
        elif width > 0:
            frac = min(max((m.sent_at - lo).total_seconds() / width, 0.0), 1.0)
        else:
            frac = 0.5
        m.sent_at = (start + timedelta(seconds=round(frac * span))).astimezone(UTC)
    return undated


def article_span(db: Path) -> tuple[datetime, datetime] | None:
    """(first, last) article time in the warehouse: published, else modified."""
    from warehouse.db import connect

    con = connect(db, read_only=True)
    try:
        row = con.execute(
            "SELECT min(coalesce(published_at, modified_at)), "
            "max(coalesce(published_at, modified_at)) FROM articles"
        ).fetchone()
    finally:
        con.close()
    if not row or row[0] is None:
        return None
    return row[0].astimezone(UTC), row[1].astimezone(UTC)


def load_release(
    db: Path,
    production: str,
    messages: Sequence[Message],
    errors: Sequence[IngestError],
    progress: bool = False,
) -> dict[str, Any]:
    """Upsert through the warehouse's writers, as the ingest step does (one ``runs`` row,
    refused files in ``errors``, batches of ``INGEST_BATCH``)."""
    from foiatrace.ingest_step import INGEST_BATCH
    from foiatrace.progress import progress_bar
    from warehouse import load
    from warehouse.db import connect
    from warehouse.runs import step_run

    con = connect(db)
    stats: dict[str, Any] = {"production": production, "messages": 0, "new": 0,
                             "changed": 0, "unchanged": 0, "errors": len(errors)}  # fmt: skip
    try:
        with step_run(con, "ingest") as run:
            run.stats = stats
            for e in errors:
                load.record_error(con, "ingest", e.source_file, e.reason, e.detail, run.id)
            batches = range(0, len(messages), INGEST_BATCH)
            for i in progress_bar(batches, len(batches), "load", progress):
                res = load.upsert_messages(con, production, messages[i : i + INGEST_BATCH])
                stats["messages"] += len(messages[i : i + INGEST_BATCH])
                for k in ("new", "changed", "unchanged"):
                    stats[k] += res[k]
    finally:
        con.close()
    return stats


def corpus_size(db: Path) -> tuple[int, int]:
    """Messages and article versions in the warehouse: what the match had to weigh against
    (the match step's stats count only what was new to it)."""
    from warehouse.db import connect

    con = connect(db, read_only=True)
    try:
        row = con.execute(
            "SELECT (SELECT count(*) FROM emails), (SELECT count(*) FROM article_versions)"
        ).fetchone()
    finally:
        con.close()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def reported_pairs(db: Path, min_score: float) -> tuple[int, list[ReportedPair]]:
    """(evidence rows, distinct pairs) at or above ``min_score`` from the ``evidence`` view."""
    from warehouse.db import connect

    con = connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT bates, msg_key, article_url, outlet, score, detail_type, detail_key, "
            "email_sent_at, email_quote, article_quote FROM evidence WHERE score >= ? "
            "ORDER BY score DESC, bates, article_url, detail_key",
            [min_score],
        ).fetchall()
    finally:
        con.close()
    pairs: dict[tuple[str, str], ReportedPair] = {}
    for bates, key, url, outlet, score, dtype, dkey, sent, e_quote, a_quote in rows:
        p = pairs.get((bates or key, url))
        if p is None:
            p = pairs[(bates or key, url)] = ReportedPair(
                bates or key, url, outlet, float(score), [], [], sent.isoformat() if sent else ""
            )
        p.score = max(p.score, float(score))
        if dtype not in p.detail_types:
            p.detail_types.append(dtype)
        if dkey not in p.detail_keys:
            p.detail_keys.append(dkey)
        p.quotes.append({"detail": dkey, "email": e_quote or "", "article": a_quote or ""})
    return len(rows), list(pairs.values())


def run_noise(
    scenario: Path | str,
    clinton: Path | str | None = None,
    *,
    limit: int | None = None,
    workdir: Path | str | None = None,
    min_score: float | None = None,
    production: str = PRODUCTION,
    progress: bool = False,
) -> NoiseResult:
    """Crawl the scenario's articles (never its emails), load the re-dated release, match,
    and collect every pair reported at ``min_score`` (default: the shipped threshold)."""
    from crawlers.serve import serve_site
    from foia.link import link_production
    from foiatrace import pipeline
    from foiatrace.progress import progress_bar
    from matching.score import default_threshold

    scenario = Path(scenario)
    clinton = Path(clinton) if clinton else default_clinton_dir()
    threshold = default_threshold() if min_score is None else min_score
    if not (clinton / TARBALL).is_file():
        raise NoiseError(f"{clinton / TARBALL}: release tarball not found")
    timings: dict[str, float] = {}
    steps: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="foiatrace-noise-") as tmp:
        work = Path(workdir) if workdir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db = work / "noise.duckdb"
        db.unlink(missing_ok=True)

        t0 = time.perf_counter()
        with serve_site(scenario / "site") as base_url:
            steps["crawl"] = pipeline.crawl(
                db, scenario / "outlets.toml", base_url=base_url, quiet=not progress
            )
        steps["crawl"].pop("error_list", None)
        timings["crawl"] = time.perf_counter() - t0
        span = article_span(db)
        if span is None:
            raise NoiseError(f"{scenario}: the crawl stored no dated article")
        start, end = span[0] - LEAD, span[1]

        t0 = time.perf_counter()
        messages: list[Message] = []
        errors: list[IngestError] = []
        for rec in progress_bar(iter_release(clinton, limit), limit, "read release", progress):
            (errors if isinstance(rec, IngestError) else messages).append(rec)
        steps["link"] = link_production(messages)
        undated = redate(messages, start, end)
        timings["read"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        steps["ingest"] = load_release(db, production, messages, errors, progress)
        timings["load"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        steps["match"] = pipeline.match(db, progress=progress)
        timings["match"] = time.perf_counter() - t0
        n_rows, pairs = reported_pairs(db, threshold)
        n_emails, n_articles = corpus_size(db)
    m = steps["match"]
    return NoiseResult(
        scenario=str(scenario),
        clinton=str(clinton),
        production=production,
        threshold=threshold,
        span_start=start.isoformat(),
        span_end=end.isoformat(),
        documents=len(messages) + len(errors),
        messages=len(messages),
        refused=len(errors),
        undated=undated,
        emails_matched=n_emails,
        articles=n_articles,
        pairs_weighed=m["pairs_weighed"],
        evidence_rows=n_rows,
        pairs_reported=len(pairs),
        emails_reported=len({p.bates for p in pairs}),
        timings_s={k: round(v, 1) for k, v in timings.items()},
        steps=steps,
        pairs=pairs,
    )


def _summary_table(res: NoiseResult) -> Table:
    table = Table(
        title=escape(f"noise: {res.production} re-dated into {res.scenario}"), show_header=False
    )
    rows = [
        ("span", f"{res.span_start[:10]} .. {res.span_end[:10]}"),
        ("documents read", f"{res.documents} ({res.refused} refused, {res.undated} undated)"),
        ("emails matched", res.emails_matched),
        ("articles", res.articles),
        ("pairs weighed", res.pairs_weighed),
        (f"evidence rows (score >= {res.threshold:g})", res.evidence_rows),
        ("pairs reported", res.pairs_reported),
        ("emails in reported pairs", res.emails_reported),
        ("time (s)", ", ".join(f"{k} {v:g}" for k, v in res.timings_s.items())),
    ]
    for k, v in rows:
        table.add_row(Text(k), Text(str(v)))
    return table


def _pairs_table(res: NoiseResult) -> Table:
    table = Table(
        "bates", "article", "score", "details", "email says", "article says",
        title="pairs reported (every one is a false positive)", show_lines=True,
    )  # fmt: skip
    for col in (table.columns[1], table.columns[3]):
        col.overflow = "fold"  # a URL or detail key is read whole or not at all
    for p in res.pairs:
        emails = list(dict.fromkeys(q["email"] for q in p.quotes))[:3]
        articles = list(dict.fromkeys(q["article"] for q in p.quotes))[:3]
        table.add_row(
            Text(str(p.bates)),
            Text(str(p.article_url)),
            f"{p.score:.3f}",
            Text("\n".join(p.detail_keys)),
            Text("\n\n".join(emails)),
            Text("\n\n".join(articles)),
        )
    return table


def register(eval_app: typer.Typer) -> None:
    """Add `eval noise` to the `eval` group."""

    @eval_app.command("noise")
    def eval_noise(
        directory: Annotated[
            Path,
            typer.Argument(
                help="Scenario folder (site/, outlets.toml); only its articles are used.",
                exists=True,
                file_okay=False,
            ),
        ],
        clinton: Annotated[
            Path | None,
            typer.Option(
                help="Folder with clinton_state_foia_text.tar.gz "
                "(default: $FOIATRACE_SHARED/data/clinton-foia, else ../shared/data/clinton-foia)."
            ),
        ] = None,
        limit: Annotated[
            int | None, typer.Option(min=1, help="Use only the release's first N documents.")
        ] = None,
        workdir: Annotated[
            Path | None, typer.Option(help="Keep the evaluation warehouse here.")
        ] = None,
        min_score: Annotated[
            float | None, typer.Option(help="Score threshold (default: shipped).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    ) -> None:
        """Re-date the State Department's Clinton emails into the scenario's months (words
        unchanged), match them with its articles, and list every pair reported: all are
        false positives, so the goal is next to none."""
        from foiatrace.cli import State

        if not (directory / "site").is_dir() or not (directory / "outlets.toml").is_file():
            typer.echo(f"error: {directory}: needs site/ and outlets.toml", err=True)
            raise typer.Exit(2)
        try:
            res = run_noise(
                directory,
                clinton,
                limit=limit,
                workdir=workdir,
                min_score=min_score,
                progress=not (State.quiet or as_json),
            )
        except NoiseError as exc:
            Console(stderr=True, emoji=False).print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc
        out = Console(emoji=False)
        if as_json:
            out.print_json(json.dumps(res.as_dict(), default=str))
            return
        out.print(_summary_table(res))
        if res.pairs:
            out.print(_pairs_table(res))
