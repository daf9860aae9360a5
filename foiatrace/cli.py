"""The ``foiatrace`` command line: the pipeline's steps for researchers and for cron.

Exit codes: 0 done (bad input files/URLs are reported and recorded, not fatal), 1 the step
failed (warehouse locked, nothing to read), 2 usage error.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.table import Table

from foia.readers import formats_help
from foiatrace import __version__

app = typer.Typer(
    help="Trace details that agency press offices disclosed to reporters (FOIA email "
    "releases) into the news articles that printed them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)
export_app = typer.Typer(
    rich_markup_mode="markdown",
    no_args_is_help=True,
    help="Export tables for review and court (CSV, XLSX, Parquet, JSON, HTML).",
)
eval_app = typer.Typer(
    rich_markup_mode="markdown",
    no_args_is_help=True,
    help="Run the pipeline on labelled data and print precision, recall, F1.",
)
app.add_typer(export_app, name="export")
app.add_typer(eval_app, name="eval")

out = Console()
err = Console(stderr=True)


class State:
    db: Path | None = None
    quiet: bool = False
    verbose: bool = False


def _db() -> Path:
    from warehouse.db import default_db_path

    return State.db or default_db_path()


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _open(read_only: bool = False) -> Any:
    """The warehouse, or a clean error (missing, locked by a nightly run, newer schema)."""
    from warehouse.db import WarehouseError, connect

    try:
        return connect(_db(), read_only=read_only)
    except WarehouseError as exc:
        raise _fail(str(exc)) from exc


def _report(title: str, stats: dict[str, Any], as_json: bool) -> None:
    errors = stats.pop("error_list", [])
    if as_json:
        out.print_json(json.dumps({**stats, "errors_detail": errors}, default=str))
        return
    for e in errors:
        err.print(f"[yellow]warning:[/yellow] {e}")
    if State.quiet:
        return
    table = Table(title=title, show_header=False)
    for k, v in stats.items():
        table.add_row(k, str(v))
    out.print(table)


def _version(value: bool) -> None:
    if value:
        out.print(f"foiatrace {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar="FOIATRACE_DB",
            help="DuckDB warehouse file (default: ./foiatrace.duckdb).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step's work.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Crawl outlets, ingest FOIA productions, match, and export evidence."""
    State.db, State.quiet, State.verbose = db, quiet, verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else (logging.ERROR if quiet else logging.WARNING),
        format="%(levelname)s %(name)s: %(message)s",
    )


@app.command(
    epilog="Formats (foia/readers.py): " + formats_help() + ". Any other file is reported "
    "as unsupported and recorded in the `errors` table."
)
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Files or folders (walked recursively) of the formats below."),
    ],
    production: Annotated[
        str | None, typer.Option(help="Production name (default: the first path's name).")
    ] = None,
    timezone: Annotated[
        str, typer.Option(help="Time zone of the times printed in PDF and text releases.")
    ] = "America/New_York",
    reread: Annotated[
        bool,
        typer.Option(
            "--reread",
            help="Read every file again, even those already read (same bytes and reader version).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print stats as JSON.")] = False,
) -> None:
    """Ingest FOIA productions: split them into messages with headers, Bates numbers,
    quoted replies and redaction marks. A file already read for the production (same bytes,
    same reader version) is skipped, so a folder that only grows costs only its new files;
    their quotes still link to the messages stored before."""
    from foiatrace import pipeline
    from warehouse.db import WarehouseError

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise _fail(f"no such file or folder: {', '.join(missing)}", 2)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _fail(f"--timezone {timezone!r} is not an IANA time zone name", 2) from exc
    try:
        stats = pipeline.ingest(
            _db(),
            paths,
            production,
            timezone=timezone,
            progress=not (State.quiet or as_json),
            reread=reread,
        )
    except WarehouseError as exc:
        raise _fail(str(exc)) from exc
    _report("ingest", stats, as_json)


@app.command()
def crawl(
    outlets: Annotated[
        Path,
        typer.Option(
            "--outlets",
            help="Outlets file (TOML, one [[outlet]] per outlet).",
            exists=True,
            dir_okay=False,
        ),
    ],
    base_url: Annotated[
        str | None,
        typer.Option(
            help="Fetch every outlet from this origin "
            "instead of https://<domain> (stored URLs stay canonical)."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Skip articles the sitemap/feed dates before this day (YYYY-MM-DD)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print stats as JSON.")] = False,
) -> None:
    """Crawl the outlets' sitemaps and feeds with Scrapy; new and changed articles only."""
    from foiatrace import pipeline
    from warehouse.db import WarehouseError

    try:
        since_d = date.fromisoformat(since) if since else None
    except ValueError as exc:
        raise _fail(f"--since {since!r} is not a date (YYYY-MM-DD)", 2) from exc
    try:
        stats = pipeline.crawl(_db(), outlets, base_url=base_url, since=since_d)
    except WarehouseError as exc:
        raise _fail(str(exc)) from exc
    _report("crawl", stats, as_json)


@app.command()
def match(
    window_days: Annotated[
        int,
        typer.Option(
            help="Articles published up to this many days after the email are candidates."
        ),
    ] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print stats as JSON.")] = False,
) -> None:
    """Match every new (email message, article) pair: disclosed before published,
    sentences compared by embeddings and shared concrete details."""
    from foiatrace import pipeline
    from warehouse.db import WarehouseError

    try:
        stats = pipeline.match(
            _db(), window_days=window_days, progress=not (State.quiet or as_json)
        )
    except WarehouseError as exc:
        raise _fail(str(exc)) from exc
    _report("match", stats, as_json)


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"
    json = "json"
    html = "html"


@export_app.command("evidence")
def export_evidence(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="Output format.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    min_score: Annotated[
        float | None, typer.Option(help="Lowest score exported (default: the shipped threshold).")
    ] = None,
) -> None:
    """Export the evidence table: one row per email message x article x detail, with both
    quotes, shared details, score, lag and the reviewer's verdict."""
    from matching.score import default_threshold
    from warehouse.export import ExportError
    from warehouse.export import export_evidence as run_export

    threshold = default_threshold() if min_score is None else min_score
    con = _open(read_only=True)
    try:
        n = run_export(con, fmt.value, output, threshold)
    except ExportError as exc:
        raise _fail(str(exc)) from exc
    finally:
        con.close()
    if not State.quiet:
        out.print(f"{n} evidence rows (score >= {threshold}) written to {output}")


class Verdict(StrEnum):
    confirmed = "confirmed"
    rejected = "rejected"
    unsure = "unsure"


@app.command()
def review(
    bates: Annotated[str, typer.Argument(help="Bates number of the email message.")],
    article_url: Annotated[str, typer.Argument(help="Canonical URL of the article.")],
    detail: Annotated[
        str, typer.Argument(help="Detail key as in the evidence table, e.g. citizenship:peru.")
    ],
    verdict: Annotated[Verdict, typer.Option(help="The reviewer's verdict.")],
    reviewer: Annotated[str | None, typer.Option(help="Who reviewed it.")] = None,
    note: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
) -> None:
    """Record a reviewer's verdict on a disclosure. Verdicts live apart from the matcher's
    output: re-runs never change them, and every export shows them."""
    from warehouse.runs import now

    con = _open(read_only=False)
    try:
        keys = con.execute(
            "SELECT DISTINCT msg_key FROM evidence WHERE bates = ? AND article_url = ? "
            "AND detail_key = ?",
            [bates, article_url, detail],
        ).fetchall()
        if not keys:
            raise _fail(f"no evidence row for {bates} x {article_url} x {detail}", 2)
        for (msg_key,) in keys:
            con.execute(
                "INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                "verdict = excluded.verdict, reviewer = excluded.reviewer, "
                "note = excluded.note, reviewed_at = excluded.reviewed_at",
                [msg_key, article_url, detail, verdict.value, reviewer, note, now()],
            )
    finally:
        con.close()
    if not State.quiet:
        out.print(f"{bates} x {article_url} x {detail}: {verdict.value}")


class SqlFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run (read-only).")],
    fmt: Annotated[
        SqlFormat, typer.Option("--format", "-f", help="Output format.")
    ] = SqlFormat.table,
) -> None:
    """Run read-only SQL on the warehouse (views: messages, articles, evidence)."""
    import duckdb

    con = _open(read_only=True)
    try:
        cur = con.execute(query)
        names = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if names else []
    except duckdb.Error as exc:
        raise _fail(str(exc).splitlines()[0]) from exc
    finally:
        con.close()
    _print_rows(names, rows, fmt)


def _print_rows(names: list[str], rows: list[tuple[Any, ...]], fmt: SqlFormat) -> None:
    if fmt is SqlFormat.json:
        sys.stdout.write(
            json.dumps(
                [dict(zip(names, r, strict=True)) for r in rows], default=str, ensure_ascii=False
            )
            + "\n"
        )
    elif fmt is SqlFormat.csv:
        import csv

        w = csv.writer(sys.stdout)
        w.writerow(names)
        w.writerows(rows)
    else:
        table = Table(*names)
        for r in rows:
            table.add_row(*("" if v is None else str(v) for v in r))
        out.print(table)


@app.command()
def demo(
    airflow: Annotated[
        bool,
        typer.Option(
            help="Run through Airflow (`airflow dags test`); --no-airflow calls the steps directly."
        ),
    ] = True,
) -> None:
    """Run the whole pipeline on the bundled demo corpus (its outlet site served on
    127.0.0.1) and print the disclosures found."""
    from foiatrace.demo_run import run_demo

    db = _db()
    try:
        rows = run_demo(db, use_airflow=airflow, quiet=State.quiet, verbose=State.verbose)
    except RuntimeError as exc:
        raise _fail(str(exc)) from exc
    show_evidence(rows)
    pairs = len({(r["bates"], r["article_url"]) for r in rows})
    out.print(
        f"{pairs} disclosing (message, article) pairs, {len(rows)} evidence rows; "
        f"warehouse: [bold]{db.resolve()}[/bold]"
    )
    if not rows:
        raise _fail("the demo found no disclosure")


def show_evidence(rows: list[dict[str, Any]]) -> None:
    """One heading per (message, article) pair (who, where, how sure), then each shared detail
    with its two quotes side by side: readable at 80 columns."""
    from itertools import groupby

    from rich.markup import escape

    def pair(r: dict[str, Any]) -> tuple[str, str]:
        return (str(r["bates"]), r["article_url"])

    for (bates, url), group in groupby(sorted(rows, key=pair), key=pair):
        items = list(group)
        r0 = items[0]
        sent = r0["email_sent_at"].strftime("%Y-%m-%d %H:%M UTC") if r0["email_sent_at"] else "?"
        copy = f"\n  copy of {escape(r0['syndicated_from'])}" if r0.get("syndicated_from") else ""
        lag = f"published {r0['lag_hours']:.0f} h after the email"
        lo, hi = r0.get("lag_hours_min"), r0.get("lag_hours_max")
        if lo is not None and hi is not None and (lo, hi) != (r0["lag_hours"],) * 2:
            lag += f" ({lo:.0f} to {hi:.0f} h: the email's time zone is not settled)"
            if r0.get("lag_uncertain"):
                lag += "; order uncertain"
        out.print(
            f"[bold]{escape(bates)}[/bold] ({sent}) -> [cyan]{escape(url)}[/cyan]{copy}\n"
            f"  score {r0['score']:.2f}, {lag}"
        )
        quotes = Table(show_header=True, box=None, padding=(0, 2), expand=True)
        quotes.add_column("detail", ratio=1, overflow="fold")
        quotes.add_column("email", ratio=2)
        quotes.add_column("article", ratio=2)
        for r in items:
            quotes.add_row(
                escape(r["detail_type"]),
                escape(r["email_quote"] or ""),
                escape(r["article_quote"] or ""),
            )
        out.print(quotes)
        out.print()


def _register_evals() -> None:
    """Each evaluation in ``foiatrace.evals.REGISTRY`` adds its command to ``eval``."""
    from foiatrace.evals import register_all

    register_all(eval_app)


_register_evals()


def run() -> None:  # pragma: no cover - console entry point
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app()
