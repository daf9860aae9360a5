"""Runs, errors and the bulk-insert path that every warehouse writer shares."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa


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


def mark_interrupted(
    con: duckdb.DuckDBPyConnection, step: str, current_run_id: str | None = None
) -> list[str]:
    """Mark the ``step`` runs still ``running`` (other than ``current_run_id``) as
    ``interrupted``: their process was killed before it could finish them. ``finished_at``
    stays empty (the end is unknown); ``stats`` records which run noticed it.

    Only call this while holding whatever guarantees no other run of ``step`` is alive
    (the crawl step holds a lock file for its whole run).
    """
    note = json.dumps(
        {"interrupted": True, "noticed_by": current_run_id, "noticed_at": now()}, default=str
    )
    rows = con.execute(
        "UPDATE runs SET status = 'interrupted', stats = coalesce(stats, ?::JSON) "
        "WHERE step = ? AND status = 'running' AND run_id IS DISTINCT FROM ? RETURNING run_id",
        [note, step, current_run_id],
    ).fetchall()
    return sorted(r[0] for r in rows)
