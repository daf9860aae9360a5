"""Upserts into the warehouse: the only code that writes rows the other steps produce.

Steps hand over plain records; these functions stage them as Arrow tables and upsert by
stable keys inside one transaction, so a killed or repeated step never duplicates or loses rows.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from foia.models import Message


def now() -> datetime:
    return datetime.now(UTC)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def insert_arrow(
    con: duckdb.DuckDBPyConnection, table: str, data: pa.Table, on_conflict: str = ""
) -> None:
    """INSERT an Arrow table by column name (the staging path of every bulk write)."""
    con.register("_foiatrace_staged", data)
    try:
        con.execute(
            f"INSERT INTO {table} BY NAME SELECT * FROM _foiatrace_staged {on_conflict}".strip()
        )
    finally:
        con.unregister("_foiatrace_staged")


# -- runs and errors ---------------------------------------------------------------------------


def start_run(con: duckdb.DuckDBPyConnection, step: str) -> str:
    run_id = f"{step}-{now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    con.execute(
        "INSERT INTO runs (run_id, step, started_at, status) VALUES (?, ?, ?, 'running')",
        [run_id, step, now()],
    )
    return run_id


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, stats: dict[str, Any], status: str = "ok"
) -> None:
    con.execute(
        "UPDATE runs SET finished_at = ?, status = ?, stats = ? WHERE run_id = ?",
        [now(), status, json.dumps(stats, default=str), run_id],
    )


def record_error(
    con: duckdb.DuckDBPyConnection,
    step: str,
    source: str,
    reason: str,
    detail: str = "",
    run_id: str | None = None,
) -> None:
    """Remember bad input once per (step, source, reason); a re-run bumps its counter."""
    t = now()
    con.execute(
        """
        INSERT INTO errors VALUES (?, ?, ?, ?, ?, ?, ?, 1)
        ON CONFLICT (step, source, reason) DO UPDATE SET
            detail = excluded.detail, last_seen_at = excluded.last_seen_at,
            last_run_id = excluded.last_run_id, times_seen = errors.times_seen + 1
        """,
        [step, source, reason, detail, t, t, run_id],
    )


# -- emails -----------------------------------------------------------------------------------


def message_key(production: str, msg: Message, ordinal: int) -> str:
    """Bates numbers identify a message within a production; Message-ID or content otherwise."""
    if msg.bates:
        return f"{production}:{msg.bates}"
    if msg.message_id:
        return f"{production}:<{msg.message_id}>"
    return f"{production}:{msg.source_sha256[:16]}:{ordinal}"


_EMAIL_COLUMNS = [
    "msg_key", "production", "bates", "bates_end", "page_start", "page_end", "message_id",
    "in_reply_to", "references", "sent_at", "sent_at_raw", "email_from", "from_name",
    "email_to", "email_cc", "subject", "body", "own_text", "signature", "disclaimer",
    "withheld", "withheld_exemption", "source_file", "source_sha256", "source_kind",
    "text_sha256", "record_sha256", "ingested_at",
]  # fmt: skip


def _email_row(production: str, msg: Message, ordinal: int, t: datetime) -> dict[str, Any]:
    fields = asdict(msg)
    fields.pop("quoted")
    fields.pop("redactions")
    record = json.dumps(
        {**fields, "quoted": [asdict(q) for q in msg.quoted]}, default=str, sort_keys=True
    )
    row = {c: fields.get(c) for c in _EMAIL_COLUMNS}
    row.update(
        msg_key=message_key(production, msg, ordinal),
        production=production,
        text_sha256=sha256_text(msg.own_text or ""),
        record_sha256=sha256_text(record),
        ingested_at=t,
    )
    return row


def upsert_messages(
    con: duckdb.DuckDBPyConnection, production: str, messages: Sequence[Message]
) -> dict[str, int]:
    """Insert new messages, replace changed ones (a corrected re-release), skip unchanged.

    A replaced message loses its derived rows (segments, matches, disclosures) so the next
    match run redoes it; reviewers' verdicts live in ``reviews`` and are untouched.
    """
    t = now()
    rows: dict[str, dict[str, Any]] = {}
    by_key: dict[str, Message] = {}
    for i, msg in enumerate(messages):
        row = _email_row(production, msg, i, t)
        rows[row["msg_key"]] = row  # the last copy of a key in one batch wins
        by_key[row["msg_key"]] = msg
    if not rows:
        return {"new": 0, "changed": 0, "unchanged": 0}
    existing = dict(
        con.execute(
            "SELECT msg_key, record_sha256 FROM emails WHERE msg_key IN (SELECT unnest(?))",
            [list(rows)],
        ).fetchall()
    )
    new = [k for k in rows if k not in existing]
    changed = [k for k in rows if k in existing and existing[k] != rows[k]["record_sha256"]]
    todo = new + changed
    stats = {"new": len(new), "changed": len(changed), "unchanged": len(rows) - len(todo)}
    if not todo:
        return stats
    con.execute("BEGIN")
    try:
        if changed:
            for table, col in _DERIVED_OF_EMAIL:
                con.execute(f"DELETE FROM {table} WHERE {col} IN (SELECT unnest(?))", [changed])
            con.execute("DELETE FROM emails WHERE msg_key IN (SELECT unnest(?))", [changed])
        insert_arrow(con, "emails", pa.Table.from_pylist([rows[k] for k in todo]))
        _insert_children(con, {k: by_key[k] for k in todo})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return stats


_DERIVED_OF_EMAIL = [
    ("quoted_blocks", "msg_key"),
    ("redactions", "msg_key"),
    ("matched_pairs", "msg_key"),
    ("disclosures", "msg_key"),
]


def _insert_children(con: duckdb.DuckDBPyConnection, msgs: dict[str, Message]) -> None:
    quoted = [
        {
            "msg_key": k, "idx": i, "style": q.style, "text": q.text,
            "header_from": q.header_from, "header_sent": q.header_sent,
            "header_subject": q.header_subject, "start_offset": q.start, "end_offset": q.end,
        }
        for k, m in msgs.items()
        for i, q in enumerate(m.quoted)
    ]  # fmt: skip
    reds = [
        {"msg_key": k, "idx": i, "code": r.code, "start_offset": r.start, "end_offset": r.end}
        for k, m in msgs.items()
        for i, r in enumerate(m.redactions)
    ]
    con.execute(
        "DELETE FROM segments WHERE doc_kind = 'email' AND doc_key IN (SELECT unnest(?))",
        [list(msgs)],
    )
    if quoted:
        insert_arrow(con, "quoted_blocks", pa.Table.from_pylist(quoted))
    if reds:
        insert_arrow(con, "redactions", pa.Table.from_pylist(reds))


def record_source_file(
    con: duckdb.DuckDBPyConnection, sha256: str, path: str, production: str, kind: str, size: int
) -> None:
    con.execute(
        "INSERT INTO source_files VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
        [sha256, path, production, kind, size, now()],
    )


# -- articles ---------------------------------------------------------------------------------

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
