"""Open the DuckDB warehouse and bring its schema up to date.

The schema is a list of small numbered SQL migrations (``migrations/NNNN_name.sql``)
recorded in ``schema_migrations``: an old warehouse file is upgraded in place, never rebuilt,
so nothing a researcher stored (reviews above all) is lost to a schema change.
"""

from __future__ import annotations

import logging
import os
import re
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from warehouse.runs import transaction

DEFAULT_DB = "foiatrace.duckdb"
# Which warehouse the writers share: unset or "duckdb" is the single DuckDB file (the
# default, FOIATRACE_DB); "ducklake:postgres:<libpq dsn>" adds a DuckLake (catalog in
# PostgreSQL, data as Parquet under FOIATRACE_LAKE_DATA) that concurrent tasks write to
# (warehouse.lake). Read by warehouse_backend().
WAREHOUSE_ENV = "FOIATRACE_WAREHOUSE"
DEFAULT_LOCK_WAIT = 600.0  # seconds a writer waits for another process's lock
_MIGRATION_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_PROG_RE = re.compile(r"lock is held in (\S+)")
_LOCK_PID_RE = re.compile(r"\(PID (\d+)\)")
log = logging.getLogger(__name__)


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or migrated (locked, newer schema, not a DuckDB file)."""


def default_db_path() -> Path:
    """``FOIATRACE_DB`` or ``./foiatrace.duckdb`` (DESIGN.md CLI contract)."""
    return Path(os.environ.get("FOIATRACE_DB", DEFAULT_DB))


def warehouse_backend() -> str:
    """``"duckdb"`` (the default single file) or the DuckLake spec of ``FOIATRACE_WAREHOUSE``
    (``ducklake:postgres:dbname=... host=... user=...``); anything else is a WarehouseError."""
    raw = os.environ.get(WAREHOUSE_ENV, "").strip()
    if not raw or raw == "duckdb":
        return "duckdb"
    if raw.startswith("ducklake:"):
        return raw
    raise WarehouseError(f"{WAREHOUSE_ENV}={raw!r}: expected 'duckdb' or 'ducklake:postgres:<dsn>'")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every shipped migration, in order."""
    found = []
    for entry in resources.files("warehouse.migrations").iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    return found


def lock_wait_seconds(read_only: bool = False) -> float:
    """How long to wait for another process's lock: ``FOIATRACE_LOCK_WAIT`` seconds if set,
    else 600 for writers (a researcher's open notebook must not fail the nightly run) and 0
    for readers (a person at a prompt wants the answer, or the reason, now)."""
    raw = os.environ.get("FOIATRACE_LOCK_WAIT")
    if raw is None or not raw.strip():
        return 0.0 if read_only else DEFAULT_LOCK_WAIT
    try:
        return max(0.0, float(raw))
    except ValueError as exc:
        raise WarehouseError(f"FOIATRACE_LOCK_WAIT={raw!r} is not a number of seconds") from exc


def _holder(message: str) -> str:
    """'pid N' (and the program) from DuckDB's lock message, when it says."""
    prog = _LOCK_PROG_RE.search(message)
    pid = _LOCK_PID_RE.search(message)
    parts = [os.path.basename(prog.group(1))] if prog else []
    if pid:
        parts.append(f"pid {pid.group(1)}")
    return f" ({', '.join(parts)})" if parts else ""


def _open_waiting(db: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retried with backoff while another process holds the file's lock.

    DuckDB locks per process: one writer, or any number of readers, never both; so a
    nightly writer meets a researcher's read-only session as a lock, not as a queue."""
    deadline = time.monotonic() + wait
    delay = 0.05
    warned = False
    while True:
        try:
            return duckdb.connect(str(db), read_only=read_only)
        except duckdb.IOException as exc:
            message = str(exc)
            if "Conflicting lock" not in message and "Could not set lock" not in message:
                raise WarehouseError(f"{db}: cannot open warehouse: {exc}") from exc
            holder = _holder(message)
            left = deadline - time.monotonic()
            if left <= 0:
                waited = (
                    f"gave up after {wait:g} s" if wait > 0 else "readers do not wait by default"
                )
                raise WarehouseError(
                    f"warehouse {db} is locked by another process{holder}; {waited} "
                    "(FOIATRACE_LOCK_WAIT seconds). Sessions that only read should open the "
                    "published snapshot (`foiatrace publish`; `foiatrace sql` reads it), "
                    "not the live file."
                ) from exc
            if not warned:
                log.warning(
                    "warehouse %s is locked by another process%s; waiting up to %g s",
                    db,
                    holder,
                    wait,
                )
                warned = True
            time.sleep(min(delay, left))
            delay = min(delay * 2, 2.0)


def connect(
    path: Path | str | None = None,
    *,
    read_only: bool = False,
    lock_wait: float | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (creating and migrating it when writable); session time zone UTC.

    Read-only connections never migrate: they refuse a warehouse that needs it, because
    a reader must not hold the single writer's lock. While another process holds a
    conflicting lock, wait up to ``lock_wait`` seconds (default: ``lock_wait_seconds``).
    """
    db = Path(path) if path is not None else default_db_path()
    if read_only and not db.exists():
        raise WarehouseError(f"{db}: no such warehouse (run `foiatrace ingest` or `crawl` first)")
    if not read_only:
        db.parent.mkdir(parents=True, exist_ok=True)
    wait = lock_wait_seconds(read_only) if lock_wait is None else max(0.0, lock_wait)
    con = _open_waiting(db, read_only, wait)
    con.execute("SET TimeZone = 'UTC'")
    if read_only:
        pending = _pending(con)
        if pending:
            con.close()
            raise WarehouseError(
                f"{db}: schema is behind by {len(pending)} migration(s); open it once for writing"
            )
    else:
        migrate(con)
    return con


def _applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()
    if not exists or not exists[0]:
        return set()
    return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}


def _pending(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str]]:
    done = _applied(con)
    known = {v for v, _, _ in migrations()}
    newer = done - known
    if newer:
        raise WarehouseError(
            f"warehouse has migrations {sorted(newer)} unknown to this foiatrace: upgrade foiatrace"
        )
    return [m for m in migrations() if m[0] not in done]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction; returns their names."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    applied = []
    for version, name, sql in _pending(con):
        with transaction(con):
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [version, name, datetime.now(UTC)],
            )
        applied.append(f"{version:04d}_{name}")
    return applied
