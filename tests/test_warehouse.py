"""The warehouse: migrations, idempotent upserts, versions, verdicts that survive."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from foia.models import Message, Redaction
from warehouse import load
from warehouse.db import WarehouseError, connect, migrations


def _msg(bates: str, text: str = "He is a citizen of Ireland.", **kw: object) -> Message:
    return Message(
        source_file="p/001.eml",
        source_sha256="ab" * 32,
        source_kind="eml",
        bates=bates,
        bates_end=bates,
        message_id=f"{bates}@x",
        sent_at=datetime(2019, 3, 1, 15, tzinfo=UTC),
        email_from="press@agency.example",
        email_to=["rep@news.example"],
        subject="Q",
        body=text,
        own_text=text,
        redactions=[Redaction("(b)(6)", 0, 6)],
        **kw,
    )


def test_migrations_are_numbered_and_recorded(tmp_path: Path) -> None:
    names = [f"{v:04d}_{n}" for v, n, _ in migrations()]
    assert names == sorted(names) and names[0].startswith("0001_")
    con = connect(tmp_path / "w.duckdb")
    assert [
        r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    ] == [v for v, _, _ in migrations()]
    con.close()
    con = connect(tmp_path / "w.duckdb")  # reopening applies nothing twice
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(migrations())
    con.close()


def test_read_only_requires_an_existing_warehouse(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no such warehouse"):
        connect(tmp_path / "missing.duckdb", read_only=True)


def test_messages_upsert_is_idempotent_and_a_correction_replaces(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    assert load.upsert_messages(con, "prod", [_msg("X-1"), _msg("X-2")])["new"] == 2
    assert load.upsert_messages(con, "prod", [_msg("X-1"), _msg("X-2")]) == {
        "new": 0,
        "changed": 0,
        "unchanged": 2,
    }
    fixed = _msg("X-2", "He is a citizen of Peru.")
    assert load.upsert_messages(con, "prod", [fixed])["changed"] == 1
    rows = con.execute("SELECT bates, own_text, redactions FROM messages ORDER BY bates").fetchall()
    assert rows == [
        ("X-1", "He is a citizen of Ireland.", ["(b)(6)"]),
        ("X-2", "He is a citizen of Peru.", ["(b)(6)"]),
    ]


def test_article_versions_keep_every_text(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    item = {
        "url": "https://n.example/a.html",
        "outlet": "n",
        "text": "First.",
        "published_at": "2019-03-02T10:00:00+00:00",
        "fetched_at": "2019-03-03T00:00:00+00:00",
    }
    assert load.upsert_article_versions(con, [item])["new_versions"] == 1
    assert load.upsert_article_versions(con, [item]) == {"new_versions": 0, "refetched": 1}
    updated = {
        **item,
        "text": "First. UPDATE: more.",
        "fetched_at": "2019-03-04T00:00:00+00:00",
        "modified_at": "2019-03-04T00:00:00+00:00",
    }
    assert load.upsert_article_versions(con, [updated])["new_versions"] == 1
    assert con.execute("SELECT count(*) FROM article_versions").fetchone()[0] == 2
    assert con.execute("SELECT text FROM articles").fetchall() == [("First. UPDATE: more.",)]
    assert load.seen_articles(con) == {"https://n.example/a.html": "2019-03-04T00:00:00+00:00"}


def test_the_match_reads_the_newest_versions_the_articles_view_lists(tmp_path: Path) -> None:
    """The match ranks versions itself (once per run, or only a few pages' versions):
    by the view's rule, including a re-fetch that makes an older text newest again and a
    tie broken by the text's hash."""
    from warehouse.features import ARTICLE_KEYS_SQL, article_scope
    from warehouse.matches import load_article_docs

    con = connect(tmp_path / "w.duckdb")

    def item(url: str, text: str, fetched: str) -> dict[str, str]:
        return {"url": url, "outlet": "n", "text": text, "fetched_at": fetched,
                "published_at": "2019-03-02T10:00:00+00:00"}  # fmt: skip

    load.upsert_article_versions(con, [
        item("https://n.example/a", "A one.", "2019-03-03T00:00:00+00:00"),
        item("https://n.example/a", "A two.", "2019-03-04T00:00:00+00:00"),
        item("https://n.example/a", "A one.", "2019-03-05T00:00:00+00:00"),  # back again
        item("https://n.example/b", "B one.", "2019-03-03T00:00:00+00:00"),
        item("https://n.example/b", "B two.", "2019-03-03T00:00:00+00:00"),  # same time
        item("https://n.example/c#x", "C.", "2019-03-03T00:00:00+00:00"),
    ])  # fmt: skip
    view = con.execute(
        "SELECT url || '#' || text_sha256, url, outlet, published_at, modified_at FROM articles "
        "ORDER BY 1"
    ).fetchall()
    assert len(view) == 3
    assert con.execute(f"SELECT * FROM {ARTICLE_KEYS_SQL} ORDER BY 1").fetchall() == view
    full = article_scope(con, [])
    assert con.execute(f"SELECT * FROM {full.current} ORDER BY 1").fetchall() == view
    every = con.execute("SELECT url || '#' || text_sha256 FROM article_versions").fetchall()
    keyed = load_article_docs(con, [k for (k,) in every])
    assert sorted(a.key for a in keyed) == [r[0] for r in view]
    assert [a.key for a in keyed] == [a.key for a in load_article_docs(con)]


def test_errors_are_counted_not_duplicated(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    for _ in range(3):
        load.record_error(con, "ingest", "bad.pdf", "not a PDF")
    assert con.execute("SELECT source, reason, times_seen FROM errors").fetchall() == [
        ("bad.pdf", "not a PDF", 3)
    ]


def test_sessions_run_in_utc(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    got = con.execute("SELECT TIMESTAMPTZ '2018-06-20 18:30:00-07:00'::VARCHAR").fetchone()[0]
    assert got.startswith("2018-06-21 01:30:00")
