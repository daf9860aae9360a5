"""Article versions: every distinct text of a canonical URL is kept, never overwritten."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.runs import insert_arrow, now, sha256_text

_ARTICLE_COLUMNS = [
    "url", "text_sha256", "outlet", "fetched_url", "title", "published_at", "modified_at",
    "date_source", "text", "authors", "section", "html_sha256", "http_status",
    "first_fetched_at", "last_fetched_at",
]  # fmt: skip


def upsert_article_versions(
    con: duckdb.DuckDBPyConnection, items: Sequence[dict[str, Any]]
) -> dict[str, int]:
    """Store each (canonical URL, text hash) once; a re-fetch of the same text only
    refreshes ``last_fetched_at`` and the dates, a changed text becomes a new version."""
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
    con.execute("BEGIN")
    try:
        if fresh:
            insert_arrow(con, "article_versions", _article_table(fresh))
        for r in again:
            con.execute(
                "UPDATE article_versions SET last_fetched_at = ?, modified_at = ?, "
                "html_sha256 = ? WHERE url = ? AND text_sha256 = ?",
                [
                    r["last_fetched_at"],
                    r["modified_at"],
                    r["html_sha256"],
                    r["url"],
                    r["text_sha256"],
                ],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
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
        ]
    )  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)


def seen_articles(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """Canonical URL -> newest modification time known, for incremental crawls."""
    return {
        url: (ts.isoformat() if ts else None)
        for url, ts in con.execute(
            "SELECT url, max(coalesce(modified_at, published_at)) FROM article_versions "
            "GROUP BY url"
        ).fetchall()
    }
