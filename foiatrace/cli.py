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
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from foia.readers import formats_help
from foiatrace import __version__
from foiatrace.cli_evidence import non_negative
from foiatrace.sql_guard import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT

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

# Stored text (productions, pages, paths) is data: printed as ``Text`` or escaped, never read
# as markup; no ``:name:`` emoji codes either.
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)


class State:
    db: Path | None = None
    command: str | None = None  # the subcommand being run (main's callback records it)
    quiet: bool = False
    verbose: bool = False


# Commands that create the warehouse when it does not exist yet; every other command needs one,
# so a mistyped --db is an error instead of a new, empty warehouse.
CREATES_WAREHOUSE = frozenset({"ingest", "crawl", "demo"})


def _db() -> Path:
    """The warehouse path; exit 2 (usage error) when it does not exist and the running
    command does not create one."""
    from warehouse.db import default_db_path

    db = State.db or default_db_path()
    if State.command not in CREATES_WAREHOUSE and not db.exists():
        err.print(
            f"[red]error:[/red] {escape(str(db))}: no such warehouse (--db or FOIATRACE_DB); "
            f"`foiatrace ingest`, `crawl` or `demo` create one",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    return db


def _fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` (the message as plain text) and return the exit to raise."""
    err.print(Text.assemble(("error:", "red"), " ", message), soft_wrap=True)
    return typer.Exit(code)


def _open(read_only: bool = False) -> Any:
    """The warehouse, or a clean error (missing, newer schema, locked by another process
    beyond ``FOIATRACE_LOCK_WAIT``: writers wait for it, readers do not by default)."""
    from warehouse.db import WarehouseError, connect

    db = _db()
    try:
        return connect(db, read_only=read_only)
    except WarehouseError as exc:
        raise _fail(str(exc)) from exc


def _report(title: str, stats: dict[str, Any], as_json: bool) -> None:
    errors = stats.pop("error_list", [])
    if as_json:
        out.print_json(json.dumps({**stats, "errors_detail": errors}, default=str))
        return
    for e in errors:
        err.print(Text.assemble(("warning:", "yellow"), " ", str(e)), soft_wrap=True)
    if State.quiet:
        return
    table = Table(title=title, show_header=False)
    for k, v in stats.items():
        table.add_row(Text(str(k)), Text(str(v)))
    out.print(table)


def _version(value: bool) -> None:
    if value:
        out.print(f"foiatrace {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar="FOIATRACE_DB",
            help="DuckDB warehouse file (default: ./foiatrace.duckdb). Must exist, except "
            "for ingest, crawl and demo, which create it.",
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
    State.command = ctx.invoked_subcommand
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
    known_zone: Annotated[
        list[str] | None,
        typer.Option(
            "--known-zone",
            metavar="WHO=ZONE",
            help="An address or domain whose time zone is known (an office, a newsroom), e.g. "
            "field.agency.gov=America/Denver: a cue for printed times. Repeatable.",
        ),
    ] = None,
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
    from foiatrace.config import parse_known_zones

    try:
        known = parse_known_zones(known_zone or [])
    except ValueError as exc:
        raise _fail(f"--known-zone {exc}", 2) from exc
    try:
        stats = pipeline.ingest(
            _db(),
            paths,
            production,
            timezone=timezone,
            progress=not (State.quiet or as_json),
            reread=reread,
            known_zones=known,
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
    from crawlers.outlets import OutletsFileError, load_outlets
    from crawlers.run import CrawlError
    from foiatrace import pipeline
    from warehouse.db import WarehouseError

    try:
        since_d = date.fromisoformat(since) if since else None
    except ValueError as exc:
        raise _fail(f"--since {since!r} is not a date (YYYY-MM-DD)", 2) from exc
    try:
        load_outlets(outlets)  # a bad outlets file is one line, before any run starts
    except OutletsFileError as exc:
        raise _fail(str(exc), 2) from exc
    try:
        stats = pipeline.crawl(_db(), outlets, base_url=base_url, since=since_d)
    except (WarehouseError, CrawlError) as exc:
        raise _fail(str(exc)) from exc
    _report("crawl", stats, as_json)


@app.command()
def match(
    window_days: Annotated[
        int,
        typer.Option(
            help="Articles published up to this many days after the email are candidates.",
            callback=non_negative,
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


class SqlFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command(
    epilog="One read-only statement: SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE, "
    "PIVOT, EXPLAIN, PRAGMA table_info. COPY, EXPORT, ATTACH, INSTALL/LOAD, SET, CALL, writes, "
    "several statements and functions that read files or URLs are refused (exit 2); the "
    "session has no file system access. Piped (stdout not a terminal), `table` prints plain "
    "columns with every cell in full, one row per line (newlines in a cell shown as \\n); "
    "`csv` writes lists and structs as JSON and ends lines with \\n."
)
def sql(
    query: Annotated[str, typer.Argument(help="One SQL statement to run (read-only).")],
    fmt: Annotated[
        SqlFormat, typer.Option("--format", "-f", help="Output format.")
    ] = SqlFormat.table,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Read the warehouse file itself, not its published snapshot. A reader of the "
            "live file makes the nightly writers wait.",
        ),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="Stop the statement after this many seconds (0: no limit).",
            callback=non_negative,
        ),
    ] = DEFAULT_TIMEOUT,
    max_rows: Annotated[
        int,
        typer.Option(
            "--max-rows",
            metavar="N",
            help="Print at most N rows, with a note on stderr when more were left (0: all).",
            callback=non_negative,
        ),
    ] = DEFAULT_MAX_ROWS,
) -> None:
    """Run one read-only SQL statement on the published snapshot (`foiatrace publish`) when
    there is one, else on the warehouse (views: messages, articles, evidence). `-v` says which
    it read."""
    import duckdb

    from foiatrace.sql_guard import SqlRefused, SqlTimeout, check, lock_down, run
    from warehouse.publish import default_snapshot_dir, snapshot_file

    db = _db()
    try:
        statement = check(query)
    except SqlRefused as exc:
        raise _fail(f"refused: {exc}", 2) from exc
    snap = None if live else snapshot_file(default_snapshot_dir(db))
    if snap is not None:
        try:
            con = duckdb.connect(str(snap), read_only=True)
            con.execute("SET TimeZone = 'UTC'")
        except duckdb.Error as exc:
            raise _fail(f"{snap}: cannot open snapshot: {str(exc).splitlines()[0]}") from exc
        if State.verbose:
            manifest = snap.parent / "manifest.json"
            when = json.loads(manifest.read_text(encoding="utf-8")).get("published_at", "?")
            err.print(
                f"reading snapshot {snap} (published {when}; --live reads {db})",
                soft_wrap=True,
                markup=False,
            )
    else:
        con = _open(read_only=True)
        if State.verbose:
            err.print(
                f"reading the live warehouse {db} (no snapshot: `foiatrace publish`)",
                soft_wrap=True,
                markup=False,
            )
    try:
        lock_down(con)  # after the file is open: it stays readable, nothing else is
        answer = run(con, statement, timeout=timeout, max_rows=max_rows)
    except SqlTimeout as exc:
        raise _fail(str(exc)) from exc
    except duckdb.PermissionException as exc:
        raise _fail(f"refused: {str(exc).splitlines()[0]}", 2) from exc
    except duckdb.Error as exc:
        raise _fail(str(exc).splitlines()[0]) from exc
    finally:
        con.close()
    _print_rows(answer.names, answer.rows, fmt)
    if answer.cut:
        err.print(
            f"note: only the first {max_rows:,} rows printed (--max-rows N, 0 for all)",
            markup=False,
        )


def _print_rows(names: list[str], rows: list[tuple[Any, ...]], fmt: SqlFormat) -> None:
    """JSON, CSV (lists/structs as JSON, \\n line ends) or a table: rich on a terminal, plain
    full-width columns when piped, so nothing a script reads is cut with an ellipsis. Cells
    are data: never read as markup or emoji codes."""
    from datetime import datetime as _dt

    def cell(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, list | tuple | dict):
            return json.dumps(v, default=str, ensure_ascii=False)
        if isinstance(v, _dt | date):
            return v.isoformat()
        return str(v)

    if fmt is SqlFormat.json:
        sys.stdout.write(
            json.dumps(
                [dict(zip(names, r, strict=True)) for r in rows], default=str, ensure_ascii=False
            )
            + "\n"
        )
    elif fmt is SqlFormat.csv:
        import csv

        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(names)
        w.writerows([[None if v is None else cell(v) for v in r] for r in rows])
    elif sys.stdout.isatty():
        table = Table()
        for n in names:
            table.add_column(Text(n))
        for r in rows:
            table.add_row(*(Text(cell(v)) for v in r))
        out.print(table)
    else:
        lines = [names] + [
            [cell(v).replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n") for v in r]
            for r in rows
        ]
        widths = [max(len(line[i]) for line in lines) for i in range(len(names))]
        for line in lines:
            text = "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True))
            sys.stdout.write(text.rstrip() + "\n")


@app.command(
    "publish",
    epilog="Open it read-only: `duckdb -readonly DIR/current/foiatrace.duckdb` (DuckDB 1.0 and "
    "later), `datasette serve -i DIR/current/foiatrace.sqlite -m "
    "DIR/current/datasette-metadata.json`, `sqlite-utils tables DIR/current/foiatrace.sqlite`, "
    "or the Parquet files in DIR/current/parquet/.",
)
def publish_snapshot(
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            help="Snapshot folder (default: FOIATRACE_SNAPSHOT_DIR, else beside the warehouse: "
            "foiatrace.duckdb publishes to foiatrace-snapshot/).",
            file_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print stats as JSON.")] = False,
) -> None:
    """Publish a read-only snapshot of the warehouse for researchers: Parquet per table and
    view, a SQLite copy (Datasette, sqlite-utils) and a DuckDB file older DuckDB CLIs open,
    with a manifest of row counts and sha256. Researchers read the snapshot, so their open
    sessions never hold the lock the nightly writers need; `current` switches atomically."""
    from warehouse.db import WarehouseError
    from warehouse.publish import publish

    db = _db()
    try:
        stats = publish(db, to)
    except WarehouseError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        _report("publish", stats, as_json=True)
        return
    rows = stats["rows"]
    _report(
        "publish",
        {
            "current": stats["current"],
            "snapshot": stats["snapshot"],
            "tables and views": len(rows),
            "evidence rows": rows.get("evidence", 0),
            "excluded": ", ".join(stats["excluded"]) or "-",
            "bytes": stats["bytes"],
            "seconds": stats["seconds"],
        },
        as_json=False,
    )


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
        f"warehouse: [bold]{escape(str(db.resolve()))}[/bold]"
    )
    if not rows:
        raise _fail("the demo found no disclosure")


def show_evidence(rows: list[dict[str, Any]]) -> None:
    """One heading per (message, article) pair (who, where, how sure), then each shared detail
    with its two quotes side by side: readable at 80 columns. Stored text is printed as
    ``Text``: never read as markup or emoji codes."""
    from itertools import groupby

    def pair(r: dict[str, Any]) -> tuple[str, str]:
        return (str(r["bates"]), str(r["article_url"]))

    for (bates, url), group in groupby(sorted(rows, key=pair), key=pair):
        items = list(group)
        r0 = items[0]
        sent = r0["email_sent_at"].strftime("%Y-%m-%d %H:%M UTC") if r0["email_sent_at"] else "?"
        lag = f"published {r0['lag_hours']:.0f} h after the email"
        lo, hi = r0.get("lag_hours_min"), r0.get("lag_hours_max")
        if lo is not None and hi is not None and (lo, hi) != (r0["lag_hours"],) * 2:
            lag += f" ({lo:.0f} to {hi:.0f} h: the email's time zone is not settled)"
            if r0.get("lag_uncertain"):
                lag += "; order uncertain"
        head = Text.assemble((bates, "bold"), f" ({sent}) -> ", (url, "cyan"))
        if r0.get("syndicated_from"):
            head.append(f"\n  copy of {r0['syndicated_from']}")
        head.append(f"\n  score {r0['score']:.2f}, {lag}")
        out.print(head)
        quotes = Table(show_header=True, box=None, padding=(0, 2), expand=True)
        quotes.add_column("detail", ratio=1, overflow="fold")
        quotes.add_column("email", ratio=2)
        quotes.add_column("article", ratio=2)
        for r in items:
            quotes.add_row(
                Text(str(r["detail_type"] or "")),
                Text(str(r["email_quote"] or "")),
                Text(str(r["article_quote"] or "")),
            )
        out.print(quotes)
        out.print()


def _register_evals() -> None:
    """Each evaluation in ``foiatrace.evals.REGISTRY`` adds its command to ``eval``."""
    from foiatrace.evals import register_all

    register_all(eval_app)


_register_evals()


def _register_evidence() -> None:
    """`export evidence`, `review` and `bundle` (foiatrace/cli_evidence.py)."""
    from foiatrace.cli_evidence import register

    register(app)


_register_evidence()


def run() -> None:  # pragma: no cover - console entry point
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app()
