"""docs/queries.md: every researcher question's SQL runs as written, on an empty warehouse and
on the dev scenario's, and the questions the dev scenario can answer return what they should.

The dev warehouse is built once per session the way evaluations build it (ingest the EML
production, crawl the served site, match), then used as a researcher's would be by the next
morning: one disclosure reviewed with ``foiatrace review``, and a second small production
ingested with an attachment and a file that cannot be read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from foiatrace import pipeline
from foiatrace.cli import app
from foiatrace.evals.scenario import build_warehouse
from matching.details import DETAIL_TYPES
from warehouse import schema_doc
from warehouse.db import connect

QUERIES_MD = Path(__file__).resolve().parents[1] / "docs" / "queries.md"
_HEADING = re.compile(r"^##\s+(?:\d+\.\s+)?(.+?)\s*$")

Rows = list[dict[str, Any]]


def parse_queries(text: str) -> list[tuple[str, str]]:
    """(heading without its number, SQL) of every ```sql block, in document order."""
    out: list[tuple[str, str]] = []
    heading: str | None = None
    block: list[str] | None = None
    for line in text.splitlines():
        if block is not None:
            if line.strip() == "```":
                assert heading, f"sql block without a ## heading: {block[:1]}"
                out.append((heading, "\n".join(block)))
                block = None
            else:
                block.append(line)
        elif line.strip() == "```sql":
            block = []
        elif m := _HEADING.match(line):
            heading = m.group(1)
    assert block is None, "unclosed ```sql block in docs/queries.md"
    return out


QUERIES = parse_queries(QUERIES_MD.read_text(encoding="utf-8"))
SQL = dict(QUERIES)


def test_at_least_twelve_questions_each_with_a_heading() -> None:
    assert len(QUERIES) >= 12
    headings = [h for h, _ in QUERIES]
    assert len(set(headings)) == len(headings), "two questions share a heading"
    assert set(EXPECT) <= set(headings), f"questions renamed: {set(EXPECT) - set(headings)}"


@pytest.mark.parametrize("heading", [h for h, _ in QUERIES])
def test_query_runs_on_an_empty_warehouse(heading: str) -> None:
    """No shared data needed: every query binds against the schema as migrated."""
    con = schema_doc.fresh_warehouse()
    try:
        con.execute(SQL[heading]).fetchall()
    finally:
        con.close()


# -- the dev scenario's warehouse ------------------------------------------------------------


def _extra_production(folder: Path) -> Path:
    """A statement sent with an attachment, and a PDF that cannot be read."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 truncated before its first object")
    msg = EmailMessage()
    msg["From"] = "press.office@hq.dhs.example"
    msg["To"] = "records@hq.dhs.example"
    msg["Subject"] = "Statement for release"
    msg["Date"] = "Tue, 01 Oct 2019 14:00:00 -0400"
    msg["Message-ID"] = "<docs-queries-1@hq.dhs.example>"
    msg["X-Bates"] = "EXTRA-0001"
    msg.set_content("Attached is the statement we agreed on.")
    msg.add_attachment(
        b"The department has lodged a detainer.\n",
        maintype="text",
        subtype="plain",
        filename="statement.txt",
    )
    (folder / "statement.eml").write_bytes(bytes(msg))
    return folder


@pytest.fixture(scope="session")
def dev_db(tmp_path_factory: pytest.TempPathFactory, dev_scenario: Path) -> Path:
    work = tmp_path_factory.mktemp("docs-queries")
    db = work / "dev.duckdb"
    build_warehouse(dev_scenario, "eml", db)
    con = connect(db, read_only=True)
    try:
        row = con.execute(
            "SELECT bates, article_url, detail_key FROM evidence"
            " WHERE score >= 0.5 AND bates IS NOT NULL ORDER BY score DESC, bates, article_url"
            " LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    assert row, "the dev scenario gave no evidence above the threshold"
    res = CliRunner().invoke(
        app,
        ["--db", str(db), "review", *row, "--verdict", "confirmed",
         "--reviewer", "docs-test", "--note", "quote found on the page"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    pipeline.ingest(db, [_extra_production(work / "extra")], "extra")
    return db


@pytest.fixture(scope="session")
def results(dev_db: Path) -> dict[str, Rows]:
    """Every query's rows (as dicts) on the dev warehouse, read-only as a researcher reads."""
    con = connect(dev_db, read_only=True)
    out: dict[str, Rows] = {}
    try:
        for heading, sql in QUERIES:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            out[heading] = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    return out


@pytest.fixture(scope="session")
def facts(dev_db: Path) -> dict[str, Any]:
    """Figures computed independently of docs/queries.md, to check its answers against."""
    con = connect(dev_db, read_only=True)
    try:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "pairs": one(
                "SELECT count(*) FROM (SELECT DISTINCT msg_key, article_url FROM evidence"
                " WHERE score >= 0.5)"
            ),
            "outlets": {
                o for (o,) in con.execute(
                    "SELECT DISTINCT outlet FROM evidence WHERE score >= 0.5"
                ).fetchall()
            },
            "all_outlets": {
                o for (o,) in con.execute("SELECT DISTINCT outlet FROM articles").fetchall()
            },
            "senders": {s for (s,) in con.execute("SELECT email_from FROM messages").fetchall()},
            "messages": one("SELECT count(*) FROM messages"),
            "copies": {u for (u,) in con.execute("SELECT url FROM syndication").fetchall()},
            "hosts": {
                h for (h,) in con.execute(
                    "SELECT DISTINCT split_part(split_part(url, '://', 2), '/', 1) FROM articles"
                ).fetchall()
            },
        }  # fmt: skip
    finally:
        con.close()


def _per_outlet_month(rows: Rows, f: dict[str, Any]) -> None:
    assert rows
    assert {r["outlet"] for r in rows} == f["outlets"]
    assert all(r["month"] is not None and r["disclosures"] >= 1 for r in rows)
    assert sum(r["disclosures"] for r in rows) == f["pairs"]


def _per_sender(rows: Rows, f: dict[str, Any]) -> None:
    assert rows and {r["sender"] for r in rows} <= f["senders"]
    assert sum(r["disclosures"] for r in rows) == f["pairs"]


def _per_reporter(rows: Rows, f: dict[str, Any]) -> None:
    assert rows
    assert all(r["reporter"].split("@")[1] in f["hosts"] for r in rows)
    assert {r["outlet"] for r in rows} <= f["outlets"]


def _lags(rows: Rows, f: dict[str, Any]) -> None:
    assert len(rows) >= 2, "the dev scenario's lags fall in more than one bucket"
    assert sum(r["disclosures"] for r in rows) == f["pairs"]


def _types(rows: Rows, f: dict[str, Any]) -> None:
    assert rows and {r["detail_type"] for r in rows} <= set(DETAIL_TYPES)


def _top_details(rows: Rows, f: dict[str, Any]) -> None:
    assert 1 <= len(rows) <= 20
    assert [r["articles"] for r in rows] == sorted((r["articles"] for r in rows), reverse=True)


def _updated(rows: Rows, f: dict[str, Any]) -> None:
    assert rows, "the dev scenario has a detail printed in an update after the email"
    for r in rows:
        assert r["article_published_at"] < r["email_sent_at"] <= r["modified_at"]
        assert r["versions"] >= 1


def _syndicated(rows: Rows, f: dict[str, Any]) -> None:
    assert rows and {r["copy_url"] for r in rows} <= f["copies"]
    assert all(r["original_url"] != r["copy_url"] and r["similarity"] for r in rows)


def _reach(rows: Rows, f: dict[str, Any]) -> None:
    assert {r["outlet"] for r in rows} == f["outlets"]
    assert any(r["syndicated_copies"] for r in rows)


def _reviewed(rows: Rows, f: dict[str, Any]) -> None:
    verdicts = {r["verdict"] for r in rows}
    assert {"confirmed", "not reviewed"} <= verdicts
    assert sum(r["evidence_rows"] for r in rows if r["verdict"] == "confirmed") >= 1


def _confirmed(rows: Rows, f: dict[str, Any]) -> None:
    assert rows and {(r["reviewer"], r["note"]) for r in rows} == {
        ("docs-test", "quote found on the page")
    }


def _send_times(rows: Rows, f: dict[str, Any]) -> None:
    assert rows and sum(r["messages"] for r in rows) == f["messages"]


def _attachments(rows: Rows, f: dict[str, Any]) -> None:
    assert [(r["bates"], r["filename"], r["text_read"]) for r in rows] == [
        ("EXTRA-0001", "statement.txt", True)
    ]


def _redactions(rows: Rows, f: dict[str, Any]) -> None:
    assert rows and all(r["code"].startswith("(b)") for r in rows)


def _unprinted(rows: Rows, f: dict[str, Any]) -> None:
    assert rows, "the dev scenario has messages to reporters that were never printed"
    assert {r["outlet"] for r in rows} <= f["all_outlets"]


def _errors(rows: Rows, f: dict[str, Any]) -> None:
    assert [(r["step"], r["sources"]) for r in rows] == [("ingest", 1)]
    assert "PDF" in rows[0]["reason"]


def _freshness(rows: Rows, f: dict[str, Any]) -> None:
    assert {"ingest", "crawl", "match"} <= {r["step"] for r in rows}
    assert all(r["last_ok"] is not None for r in rows)


def _archived(rows: Rows, f: dict[str, Any]) -> None:
    assert rows and all(r["warc_file"] and r["warc_record_id"] for r in rows)


def _any(rows: Rows, f: dict[str, Any]) -> None:
    """Runs; the dev scenario has no such rows (one text per article, exact send times)."""


EXPECT: dict[str, Callable[[Rows, dict[str, Any]], None]] = {
    "Disclosures per outlet per month": _per_outlet_month,
    "Disclosures per press officer": _per_sender,
    "Disclosures per reporter": _per_reporter,
    "Lag distribution": _lags,
    "Details by type": _types,
    "Top shared details": _top_details,
    "Articles updated after an email": _updated,
    "How article texts changed over time": _any,
    "Syndicated copies": _syndicated,
    "Reach with and without syndicated copies": _reach,
    "Reviewed versus not": _reviewed,
    "Confirmed disclosures with the reviewer's note": _confirmed,
    "Lag-uncertain rows": _any,
    "How send times were established": _send_times,
    "Messages with attachments": _attachments,
    "Redactions in messages that disclosed": _redactions,
    "Messages to reporters that were not printed": _unprinted,
    "Errors recorded per step": _errors,
    "Warehouse freshness": _freshness,
    "Archived proof for each disclosure": _archived,
}


@pytest.mark.parametrize("heading", [h for h, _ in QUERIES])
def test_query_answers_on_the_dev_warehouse(
    heading: str, results: dict[str, Rows], facts: dict[str, Any]
) -> None:
    assert heading in EXPECT, f"new question {heading!r}: say what it returns on dev in EXPECT"
    EXPECT[heading](results[heading], facts)
