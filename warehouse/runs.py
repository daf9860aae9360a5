"""Runs, errors, transactions and the bulk-insert path that every warehouse writer shares."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT, or ROLLBACK on any exception (re-raised): a write is all or nothing."""
    con.execute("BEGIN")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


# -- runs and errors ---------------------------------------------------------------------------


@dataclass
class Run:
    """A step's run: its ``runs.run_id`` and the stats the step fills in as it goes."""

    id: str
    stats: dict[str, Any] = field(default_factory=dict)
    # runs of dead processes this run closed on opening: step -> run ids
    interrupted: dict[str, list[str]] = field(default_factory=dict)


@contextmanager
def step_run(
    con: duckdb.DuckDBPyConnection | Callable[[], duckdb.DuckDBPyConnection], step: str
) -> Iterator[Run]:
    """One ``runs`` row for one step's work: ``running`` while the block runs, then ``ok``
    with the stats the block filled in (``run.stats``), or ``failed`` with the exception
    (re-raised). ``con`` is the step's connection, or a function opening one for each
    bookkeeping write, for a step that must let the warehouse go while it works (the
    crawl: its spider runs in another process).

    Opening a run first closes the runs of this machine whose process is gone (killed,
    out of memory): they are marked ``interrupted``, so no run stays ``running`` forever.
    """

    def write(fn: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        if isinstance(con, duckdb.DuckDBPyConnection):
            return fn(con)
        c = con()
        try:
            return fn(c)
        finally:
            c.close()

    def begin(c: duckdb.DuckDBPyConnection) -> Run:
        closed = close_dead_runs(c)
        return Run(start_run(c, step), interrupted=closed)

    run = write(begin)
    try:
        yield run
    except BaseException as exc:
        failed = {**run.stats, "exception": repr(exc)}
        write(lambda c: finish_run(c, run.id, failed, status="failed"))
        raise
    write(lambda c: finish_run(c, run.id, run.stats))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def close_dead_runs(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Mark ``interrupted`` the ``running`` runs started on this host by a process that no
    longer exists (returned by step). Runs of other hosts are left alone (their processes
    cannot be seen from here)."""
    host = socket.gethostname()
    rows = con.execute(
        "SELECT run_id, step, pid FROM runs WHERE status = 'running' AND host = ? "
        "AND pid IS NOT NULL",
        [host],
    ).fetchall()
    closed: dict[str, list[str]] = {}
    for run_id, step, pid in sorted(rows):
        if pid != os.getpid() and not _alive(pid):
            closed.setdefault(step, []).append(run_id)
    dead = [r for ids in closed.values() for r in ids]
    if dead:
        note = json.dumps(
            {"interrupted": True, "noticed_by_pid": os.getpid(), "noticed_at": now()},
            default=str,
        )
        con.execute(
            "UPDATE runs SET status = 'interrupted', stats = coalesce(stats, ?::JSON) "
            "WHERE run_id IN (SELECT unnest(?))",
            [note, dead],
        )
    return closed


def start_run(con: duckdb.DuckDBPyConnection, step: str) -> str:
    run_id = f"{step}-{now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    con.execute(
        "INSERT INTO runs (run_id, step, started_at, status, pid, host) "
        "VALUES (?, ?, ?, 'running', ?, ?)",
        [run_id, step, now(), os.getpid(), socket.gethostname()],
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
