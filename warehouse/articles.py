"""Article versions: every distinct text of a canonical URL is kept, never overwritten.

Beside each version: the WARC record its text was extracted from (id, payload sha256, file,
offset), so evidence can point at archived bytes; the crawl state (sitemap date seen, HTTP
validators) that keeps re-crawls incremental, and its counterpart for sitemaps and feeds
(validators and last parsed entries, reused on a 304); and syndication groups across outlets.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.runs import insert_arrow, now, sha256_text, transaction

_ARTICLE_COLUMNS = [
    "url", "text_sha256", "outlet", "fetched_url", "title", "published_at", "modified_at",
    "date_source", "text", "authors", "section", "html_sha256", "http_status",
    "first_fetched_at", "last_fetched_at", "warc_record_id", "warc_sha256", "warc_file",
    "warc_offset", "modified_source", "discovered_via",
]  # fmt: skip


def upsert_article_versions(
    con: duckdb.DuckDBPyConnection,
    items: Sequence[dict[str, Any]],
    rederive: Collection[str] = (),
) -> dict[str, int]:
    """Store each (canonical URL, text hash) once; a re-fetch of the same text only
    refreshes ``last_fetched_at`` and the dates, a changed text becomes a new version.
    Every row written takes the next ``change_seq`` (the match reads the pages written
    since its last run by it).

    ``rederive``: URLs whose stored version was loaded from a killed crawl, whose sitemap
    and feed merge may be incomplete; a re-fetch of the same text also replaces the fields
    derived from that merge (title, publication date and its source, ``discovered_via``).
    """
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        text = item.get("text") or ""
        text_sha = item.get("text_sha256") or sha256_text(text)
        fetched = item.get("fetched_at") or now().isoformat()
        row = {c: item.get(c) for c in _ARTICLE_COLUMNS}
        row.update(
            text_sha256=text_sha,
            authors=list(item.get("authors") or []),
            first_fetched_at=fetched,
            last_fetched_at=fetched,
        )
        rows[(row["url"], text_sha)] = row
    if not rows:
        return {"new_versions": 0, "refetched": 0}
    existing = {
        (u, h)
        for u, h in con.execute(
            "SELECT url, text_sha256 FROM article_versions WHERE url IN (SELECT unnest(?))",
            [sorted({u for u, _ in rows})],
        ).fetchall()
    }
    fresh = [r for k, r in rows.items() if k not in existing]
    again = [r for k, r in rows.items() if k in existing]
    with transaction(con):
        if fresh:
            insert_arrow(con, "article_versions", _article_table(fresh))
        for r in again:
            # same text again: refresh times; the archive reference follows html_sha256
            # (a new archived copy when the bytes changed, the old one otherwise)
            con.execute(
                "UPDATE article_versions SET last_fetched_at = ?, modified_at = ?, "
                "modified_source = coalesce(?, modified_source), "
                "warc_record_id = CASE WHEN html_sha256 IS DISTINCT FROM ? AND ? IS NOT NULL "
                "  THEN ? ELSE coalesce(warc_record_id, ?) END, "
                "warc_sha256 = CASE WHEN html_sha256 IS DISTINCT FROM ? AND ? IS NOT NULL "
                "  THEN ? ELSE coalesce(warc_sha256, ?) END, "
                "warc_file = CASE WHEN html_sha256 IS DISTINCT FROM ? AND ? IS NOT NULL "
                "  THEN ? ELSE coalesce(warc_file, ?) END, "
                "warc_offset = CASE WHEN html_sha256 IS DISTINCT FROM ? AND ? IS NOT NULL "
                "  THEN ? ELSE coalesce(warc_offset, ?) END, "
                "html_sha256 = ?, change_seq = nextval('article_change_seq') "
                "WHERE url = ? AND text_sha256 = ?",
                [
                    r["last_fetched_at"],
                    r["modified_at"],
                    r["modified_source"],
                    *(
                        v
                        for col in ("warc_record_id", "warc_sha256", "warc_file", "warc_offset")
                        for v in (r["html_sha256"], r[col], r[col], r[col])
                    ),
                    r["html_sha256"],
                    r["url"],
                    r["text_sha256"],
                ],
            )
        redo = [r for r in again if r["url"] in rederive]
        for r in redo:
            con.execute(
                "UPDATE article_versions SET title = ?, published_at = ?, date_source = ?, "
                "modified_at = ?, modified_source = ?, discovered_via = ?, "
                "change_seq = nextval('article_change_seq') WHERE url = ? AND text_sha256 = ?",
                [
                    r["title"], r["published_at"], r["date_source"], r["modified_at"],
                    r["modified_source"], r["discovered_via"], r["url"], r["text_sha256"],
                ],
            )  # fmt: skip
    return {"new_versions": len(fresh), "refetched": len(again)}


def _article_table(rows: list[dict[str, Any]]) -> pa.Table:
    schema = pa.schema(
        [
            ("url", pa.string()), ("text_sha256", pa.string()), ("outlet", pa.string()),
            ("fetched_url", pa.string()), ("title", pa.string()),
            ("published_at", pa.string()), ("modified_at", pa.string()),
            ("date_source", pa.string()), ("text", pa.string()),
            ("authors", pa.list_(pa.string())), ("section", pa.string()),
            ("html_sha256", pa.string()), ("http_status", pa.int32()),
            ("first_fetched_at", pa.string()), ("last_fetched_at", pa.string()),
            ("warc_record_id", pa.string()), ("warc_sha256", pa.string()),
            ("warc_file", pa.string()), ("warc_offset", pa.int64()),
            ("modified_source", pa.string()), ("discovered_via", pa.string()),
        ]
    )  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)


def seen_articles(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """Canonical URL -> newest modification time known, for incremental crawls.

    The newest of the stored versions' dates and the sitemap/feed date seen when the URL
    was last fetched or answered 304: a sitemap whose lastmod differs a little from the
    page's own modified time must not make every crawl fetch the page again.
    """
    return {url: state["modified"] for url, state in crawl_state(con).items()}


def crawl_state(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str | None]]:
    """Canonical URL -> {"modified", "etag", "last_modified"}: the spider's seen set."""
    rows = con.execute(
        """
        WITH v AS (
            SELECT url, max(coalesce(modified_at, published_at)) AS modified
            FROM article_versions GROUP BY url
        )
        SELECT coalesce(v.url, s.url),
               CASE WHEN v.modified IS NULL THEN s.discovered_lastmod
                    WHEN s.discovered_lastmod IS NULL THEN v.modified
                    ELSE greatest(v.modified, s.discovered_lastmod) END,
               s.etag, s.last_modified
        FROM v FULL OUTER JOIN crawl_state s ON s.url = v.url
        WHERE v.url IS NOT NULL OR s.text_sha256 IS NOT NULL OR s.last_status = 304
        """
    ).fetchall()
    return {
        url: {
            "modified": ts.isoformat() if ts else None,
            "etag": etag,
            "last_modified": last_modified,
        }
        for url, ts, etag, last_modified in rows
    }


def upsert_crawl_state(con: duckdb.DuckDBPyConnection, records: Sequence[dict[str, Any]]) -> int:
    """Remember, per URL, the sitemap date and HTTP validators of its last fetch or 304."""
    rows = {}
    for r in records:
        rows[r["url"]] = {
            "url": r["url"],
            "outlet": r.get("outlet"),
            "discovered_lastmod": r.get("discovered_lastmod"),
            "etag": r.get("etag"),
            "last_modified": r.get("last_modified"),
            "last_status": int(r.get("http_status") or 200),
            "text_sha256": r.get("text_sha256"),
            "last_checked_at": r.get("fetched_at") or now().isoformat(),
        }
    if not rows:
        return 0
    schema = pa.schema(
        [
            ("url", pa.string()), ("outlet", pa.string()), ("discovered_lastmod", pa.string()),
            ("etag", pa.string()), ("last_modified", pa.string()),
            ("last_status", pa.int32()), ("text_sha256", pa.string()),
            ("last_checked_at", pa.string()),
        ]
    )  # fmt: skip
    table = pa.Table.from_pylist(list(rows.values()), schema=schema)
    insert_arrow(
        con,
        "crawl_state",
        table,
        "ON CONFLICT (url) DO UPDATE SET outlet = excluded.outlet, "
        "discovered_lastmod = "
        "coalesce(excluded.discovered_lastmod::TIMESTAMPTZ, crawl_state.discovered_lastmod), "
        "etag = coalesce(excluded.etag, crawl_state.etag), "
        "last_modified = coalesce(excluded.last_modified, crawl_state.last_modified), "
        "last_status = excluded.last_status, "
        "text_sha256 = coalesce(excluded.text_sha256, crawl_state.text_sha256), "
        "last_checked_at = excluded.last_checked_at::TIMESTAMPTZ",
    )
    return len(rows)


def latest_texts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """(url, outlet, published_at, text) of each URL's newest version, for syndication."""
    cur = con.execute(
        "SELECT url, outlet, published_at, text FROM article_versions "
        "QUALIFY row_number() OVER (PARTITION BY url ORDER BY last_fetched_at DESC, "
        "text_sha256) = 1"
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def replace_syndication(
    con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]], method: str
) -> int:
    """Replace the syndication groups with a fresh computation (one transaction)."""
    t = now()
    with transaction(con):
        con.execute("DELETE FROM syndication")
        for r in rows:
            con.execute(
                "INSERT INTO syndication VALUES (?, ?, ?, ?, ?)",
                [r["url"], r["original_url"], float(r["similarity"]), method, t],
            )
    return len(rows)


def index_state(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Sitemap/feed URL -> {"etag", "last_modified", "entries"}: what a 304 lets the spider
    reuse. Only URLs whose entries were stored (a 200 that parsed) are returned."""
    rows = con.execute(
        "SELECT url, etag, last_modified, entries FROM crawl_index_state "
        "WHERE entries IS NOT NULL AND (etag IS NOT NULL OR last_modified IS NOT NULL)"
    ).fetchall()
    return {
        url: {"etag": etag, "last_modified": last_modified, "entries": json.loads(entries)}
        for url, etag, last_modified, entries in rows
    }


def upsert_index_state(con: duckdb.DuckDBPyConnection, records: Sequence[dict[str, Any]]) -> int:
    """Remember each sitemap's or feed's validators and parsed entries (a 200), or that
    it was checked again and unchanged (a 304: the stored entries stay)."""
    count = 0
    for r in records:
        status = int(r.get("status") or 200)
        checked = r.get("fetched_at") or now().isoformat()
        if status == 304:
            con.execute(
                "UPDATE crawl_index_state SET last_status = 304, last_checked_at = ?, "
                "etag = coalesce(?, etag), last_modified = coalesce(?, last_modified) "
                "WHERE url = ?",
                [checked, r.get("etag"), r.get("last_modified"), r["url"]],
            )
        else:
            entries = r.get("entries")
            con.execute(
                "INSERT INTO crawl_index_state VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET outlet = excluded.outlet, kind = excluded.kind, "
                "etag = excluded.etag, last_modified = excluded.last_modified, "
                "entries = excluded.entries, last_status = excluded.last_status, "
                "last_changed_at = excluded.last_changed_at, "
                "last_checked_at = excluded.last_checked_at",
                [
                    r["url"], r.get("outlet"), r.get("kind") or "sitemap", r.get("etag"),
                    r.get("last_modified"), json.dumps(entries) if entries is not None else None,
                    status, checked, checked,
                ],
            )  # fmt: skip
        count += 1
    return count


def archived_titles(con: duckdb.DuckDBPyConnection, warc_file: str) -> dict[str, str | None]:
    """Fetched URL -> title of the article versions archived in ``warc_file`` (WACZ pages)."""
    return dict(
        con.execute(
            "SELECT fetched_url, any_value(title) FROM article_versions WHERE warc_file = ? "
            "GROUP BY fetched_url",
            [warc_file],
        ).fetchall()
    )
