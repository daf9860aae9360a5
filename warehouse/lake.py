"""A warehouse several writers share: DuckLake, its catalog in PostgreSQL, its data as Parquet.

Selected by configuration (``warehouse.db.warehouse_backend``)::

    FOIATRACE_WAREHOUSE='ducklake:postgres:dbname=foiatrace host=127.0.0.1 user=postgres'
    FOIATRACE_LAKE_DATA=/shared/lake/        # Parquet files (default: lake-data/ beside the db)

Why not the whole warehouse in DuckLake: DuckLake has no PRIMARY KEY, UNIQUE or index, so
the warehouse's ``INSERT ... ON CONFLICT`` upserts (every step is an idempotent upsert by
stable key) cannot run there, and ``COMMENT ON COLUMN`` of a view is refused (docs/scale.md
lists what of the 13 migrations applies). What DuckLake gives is many writing processes
with snapshot isolation; the tables here are the ones concurrent tasks write:

- ``crawl_items``: every line a mapped crawl task staged (items and discovery corrections),
  appended in ONE transaction per (night, outlet, attempt) together with its
  ``crawl_attempts`` row. Appends never conflict in DuckLake (a losing commit is retried
  against the new snapshot without rewriting files), so N crawls write at once.
- ``task_failures``: appended by any worker's failure callback.
- ``errors``: keyed by (step, source, reason), upserted with ``MERGE INTO`` by the one
  loader from ``task_failures`` (two concurrent MERGEs on a table can conflict; one writer
  of keyed tables avoids it).
- ``loaded_nights``: which nights the loader has upserted into the DuckDB warehouse.

The loader reads one night's latest committed attempt per outlet in one snapshot and hands
it to the CLI's loader (``materialize_crawl_output``), so the DuckDB warehouse the matcher
reads is byte-for-byte what a one-writer night stores. The extension loads offline only
with ``duckdb==1.5.5`` and the PyPI packages ``duckdb-extensions``,
``duckdb-extension-ducklake``, ``duckdb-extension-postgres-scanner`` (``lake`` extra).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.db import WarehouseError, default_db_path, warehouse_backend

LAKE_DATA_ENV = "FOIATRACE_LAKE_DATA"
INLINE_ENV = "FOIATRACE_LAKE_INLINE_ROWS"
ALIAS = "lake"
EXTENSIONS = ("ducklake", "postgres_scanner")
MAX_RETRIES = 100  # commits that lost a race and do not conflict are retried by DuckLake
# Called inside every staging transaction before its commit when set (a test or a demo holds
# several writers there so that their transactions provably overlap).
BEFORE_COMMIT: Callable[[], None] | None = None

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS crawl_items (
        night VARCHAR, outlet VARCHAR, attempt INTEGER, file VARCHAR, line_no BIGINT,
        line VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS crawl_attempts (
        night VARCHAR, outlet VARCHAR, attempt INTEGER, host VARCHAR, pid INTEGER,
        items BIGINT, discovery BIGINT, started_at TIMESTAMPTZ, committing_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS task_failures (
        step VARCHAR, source VARCHAR, reason VARCHAR, detail VARCHAR, failed_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS errors (
        step VARCHAR, source VARCHAR, reason VARCHAR, detail VARCHAR,
        first_seen_at TIMESTAMPTZ, last_seen_at TIMESTAMPTZ, times_seen BIGINT)""",
    """CREATE TABLE IF NOT EXISTS loaded_nights (
        night VARCHAR, outlets INTEGER, items BIGINT, loaded_at TIMESTAMPTZ)""",
)


@dataclass(frozen=True)
class LakeConfig:
    """Where the lake lives: the DuckLake ``ATTACH`` string and the Parquet data folder."""

    spec: str  # "ducklake:postgres:dbname=... host=... user=..."
    data_path: Path


def configured(db: Path | str | None = None) -> LakeConfig | None:
    """The lake of ``FOIATRACE_WAREHOUSE`` (None for the default single-file warehouse)."""
    backend = warehouse_backend()
    if backend == "duckdb":
        return None
    env = os.environ.get(LAKE_DATA_ENV, "").strip()
    data = Path(env) if env else Path(db or default_db_path()).resolve().parent / "lake-data"
    return LakeConfig(backend, data)


def unavailable_reason() -> str | None:
    """Why the DuckLake extension cannot load here (None when it can): tests skip on it."""
    try:
        con = duckdb.connect()
        try:
            _load_extensions(con)
        finally:
            con.close()
    except Exception as exc:  # noqa: BLE001 - any failure is the reason
        return f"DuckLake extension not loadable with duckdb {duckdb.__version__}: {exc}"
    return None


def _load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """Load ducklake and postgres_scanner offline from their PyPI packages."""
    try:
        import duckdb_extensions
    except ImportError as exc:
        raise WarehouseError(
            "DuckLake needs duckdb==1.5.5 and the packages duckdb-extensions, "
            "duckdb-extension-ducklake, duckdb-extension-postgres-scanner (the 'lake' extra)"
        ) from exc
    for name in EXTENSIONS:
        duckdb_extensions.import_extension(name, con=con)
        con.execute(f"LOAD {name}")


def inline_rows() -> int:
    """Rows an insert may keep in the catalog instead of a Parquet file
    (``FOIATRACE_LAKE_INLINE_ROWS``; default 0: every write is a Parquet file, the layout
    other engines read; small writes inlined save files at the cost of catalog size)."""
    return max(0, int(os.environ.get(INLINE_ENV, "0") or 0))


def _attach(con: duckdb.DuckDBPyConnection, cfg: LakeConfig, attempts: int = 20) -> None:
    """ATTACH the lake. The first ATTACH of an empty catalog creates DuckLake's metadata
    tables, and two processes doing it at once collide in PostgreSQL (the loser retries and
    finds them made); the DAG's ``crawl_plan`` initializes the lake before the mapped crawls."""
    data = str(cfg.data_path).replace("'", "''")
    spec = cfg.spec.replace("'", "''")
    for i in range(attempts):
        try:
            con.execute(
                f"ATTACH '{spec}' AS {ALIAS} (DATA_PATH '{data}/', "
                f"DATA_INLINING_ROW_LIMIT {inline_rows()})"
            )
            return
        except duckdb.Error as exc:
            if "Failed to initialize DuckLake" not in str(exc) or i == attempts - 1:
                raise
            time.sleep(0.2 * (i + 1))


def connect(cfg: LakeConfig, schema: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as ``lake`` (and in use); UTC session."""
    cfg.data_path.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        _load_extensions(con)
        _attach(con, cfg)
        con.execute(f"USE {ALIAS}")
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET ducklake_max_retry_count = {MAX_RETRIES}")
        if schema:
            ensure_schema(con)
    except BaseException:
        con.close()
        raise
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection, attempts: int = 20) -> None:
    """Create the lake's tables once. Two first-time creators race ("two creates of the same
    name" is a real conflict in DuckLake): the loser waits and finds the tables there."""
    for i in range(attempts):
        have = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?",
                [ALIAS],
            ).fetchall()
        }
        missing = [s for s in SCHEMA if s.split("EXISTS", 1)[1].split("(")[0].strip() not in have]
        if not missing:
            return
        try:
            con.execute("BEGIN")
            for stmt in missing:
                con.execute(stmt)
            con.execute("COMMIT")
            return
        except duckdb.Error:
            con.execute("ROLLBACK")
            if i == attempts - 1:
                raise
            time.sleep(0.1 * (i + 1))


def initialize(cfg: LakeConfig) -> None:
    """Create the catalog and the tables once, before concurrent writers start."""
    connect(cfg).close()


def _now() -> datetime:
    return datetime.now(UTC)


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [line.rstrip("\n") for line in fh if line.strip()]


def stage_crawl_output(
    cfg: LakeConfig,
    night: str,
    outlet: str,
    attempt: int,
    out: Path,
    before_commit: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Append one crawl's JSON lines and discovery corrections to the lake, with its
    ``crawl_attempts`` row, in one transaction (all of the attempt or none of it).

    ``before_commit`` runs inside the open transaction (tests hold two writers there so
    their transactions provably overlap)."""
    from crawlers.items import discovery_file_for

    items, discovery = _lines(out), _lines(discovery_file_for(out))
    n = len(items) + len(discovery)
    table = pa.table(
        {
            "night": [night] * n,
            "outlet": [outlet] * n,
            "attempt": pa.array([attempt] * n, pa.int32()),
            "file": ["items"] * len(items) + ["discovery"] * len(discovery),
            "line_no": pa.array(list(range(len(items))) + list(range(len(discovery))), pa.int64()),
            "line": items + discovery,
        }
    )
    con = connect(cfg)
    try:
        started = _now()
        con.execute("BEGIN")
        try:
            con.register("_staged", table)
            con.execute("INSERT INTO crawl_items SELECT * FROM _staged")
            con.unregister("_staged")
            hook = before_commit or BEFORE_COMMIT
            if hook is not None:
                hook()
            committing = _now()
            con.execute(
                "INSERT INTO crawl_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    night, outlet, attempt, socket.gethostname(), os.getpid(),
                    len(items), len(discovery), started, committing,
                ],
            )  # fmt: skip
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        snapshot = con.execute(
            "SELECT max(snapshot_id) FROM ducklake_snapshots(?)", [ALIAS]
        ).fetchone()
    finally:
        con.close()
    return {
        "items": len(items),
        "discovery": len(discovery),
        "started_at": started.isoformat(),
        "committing_at": committing.isoformat(),
        "snapshot_id": snapshot[0] if snapshot else None,
    }


def latest_attempts(con: duckdb.DuckDBPyConnection, night: str) -> dict[str, int]:
    """Outlet -> its latest committed attempt of ``night``."""
    rows = con.execute(
        "SELECT outlet, max(attempt) FROM crawl_attempts WHERE night = ? GROUP BY outlet",
        [night],
    ).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def materialize_crawl_output(cfg: LakeConfig, night: str, folder: Path) -> dict[str, Any]:
    """Write ``<folder>/<outlet>.jsonl`` (and ``.discovery``, and the ``.done`` marker: only
    finished crawls commit) from the night's latest attempt per outlet, read in one
    snapshot, so the CLI's loader upserts exactly what the crawls staged."""
    from crawlers.items import discovery_file_for

    folder.mkdir(parents=True, exist_ok=True)
    con = connect(cfg)
    counts: dict[str, int] = {}
    try:
        con.execute("BEGIN")  # one snapshot for every read below
        for outlet, attempt in sorted(latest_attempts(con, night).items()):
            rows = con.execute(
                "SELECT file, line FROM crawl_items WHERE night = ? AND outlet = ? "
                "AND attempt = ? ORDER BY file, line_no",
                [night, outlet, attempt],
            ).fetchall()
            out = folder / f"{outlet}.jsonl"
            items = [line for f, line in rows if f == "items"]
            side = [line for f, line in rows if f == "discovery"]
            out.write_text("".join(line + "\n" for line in items), encoding="utf-8")
            if side:
                discovery_file_for(out).write_text(
                    "".join(line + "\n" for line in side), encoding="utf-8"
                )
            out.with_suffix(".done").write_text(json.dumps({"attempt": attempt}), "utf-8")
            counts[outlet] = len(rows)
        con.execute("COMMIT")
    finally:
        con.close()
    return counts


def mark_loaded(cfg: LakeConfig, night: str) -> dict[str, Any]:
    """Record the night as loaded and fold the failures into ``errors`` (MERGE by key):
    the loader is the one writer of the lake's keyed tables."""
    con = connect(cfg)
    try:
        con.execute("BEGIN")
        attempts = latest_attempts(con, night)
        items = con.execute(
            "SELECT count(*) FROM crawl_items i JOIN crawl_attempts a USING (night, outlet, "
            "attempt) WHERE night = ?",
            [night],
        ).fetchone()
        con.execute(
            "INSERT INTO loaded_nights VALUES (?, ?, ?, ?)",
            [night, len(attempts), items[0] if items else 0, _now()],
        )
        merged = merge_failures(con)
        con.execute("COMMIT")
    finally:
        con.close()
    return {"outlets": len(attempts), "error_keys": merged}


def merge_failures(con: duckdb.DuckDBPyConnection) -> int:
    """Upsert ``errors`` from all of ``task_failures``, keyed by (step, source, reason):
    DuckLake has no ON CONFLICT, so MERGE INTO does the keyed upsert. Recomputed from the
    append-only log (never updating it), so a failure appended meanwhile is not lost and a
    re-run changes nothing. Returns the number of keys."""
    con.execute(
        """
        MERGE INTO errors AS e
        USING (
            SELECT step, source, reason, arg_max(detail, failed_at) AS detail,
                   min(failed_at) AS first_seen_at, max(failed_at) AS last_seen_at,
                   count(*) AS n
            FROM task_failures GROUP BY ALL
        ) AS f
        ON e.step = f.step AND e.source = f.source AND e.reason = f.reason
        WHEN MATCHED AND e.times_seen <> f.n THEN UPDATE SET detail = f.detail,
            last_seen_at = f.last_seen_at, times_seen = f.n
        WHEN NOT MATCHED THEN INSERT VALUES (f.step, f.source, f.reason, f.detail,
            f.first_seen_at, f.last_seen_at, f.n)
        """
    )
    row = con.execute("SELECT count(*) FROM errors").fetchone()
    return int(row[0]) if row else 0


def record_failure(
    cfg: LakeConfig, step: str, source: str, reason: str, detail: dict[str, Any]
) -> None:
    """Append a failed task to ``task_failures`` (any worker, concurrently: appends only)."""
    con = connect(cfg)
    try:
        con.execute(
            "INSERT INTO task_failures VALUES (?, ?, ?, ?, ?)",
            [step, source, reason, json.dumps(detail, default=str), _now()],
        )
    finally:
        con.close()
