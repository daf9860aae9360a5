"""Open the DuckDB warehouse and bring its schema up to date.

The schema is a list of small numbered SQL migrations (``migrations/NNNN_name.sql``)
recorded in ``schema_migrations``: an old warehouse file is upgraded in place, never rebuilt,
so nothing a researcher stored (reviews above all) is lost to a schema change.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

DEFAULT_DB = "foiatrace.duckdb"
_MIGRATION_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or migrated (locked, newer schema, not a DuckDB file)."""


def default_db_path() -> Path:
    """``FOIATRACE_DB`` or ``./foiatrace.duckdb`` (DESIGN.md CLI contract)."""
    return Path(os.environ.get("FOIATRACE_DB", DEFAULT_DB))


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every shipped migration, in order."""
    found = []
    for entry in resources.files("warehouse.migrations").iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    return found


def connect(
    path: Path | str | None = None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (creating and migrating it when writable); session time zone UTC.

    Read-only connections never migrate: they refuse a warehouse that needs it, because
    a reader must not hold the single writer's lock.
    """
    db = Path(path) if path is not None else default_db_path()
    if read_only and not db.exists():
        raise WarehouseError(f"{db}: no such warehouse (run `foiatrace ingest` or `crawl` first)")
    if not read_only:
        db.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as exc:
        raise WarehouseError(f"{db}: cannot open warehouse: {exc}") from exc
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
        con.execute("BEGIN")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [version, name, datetime.now(UTC)],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(f"{version:04d}_{name}")
    return applied
