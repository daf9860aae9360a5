"""Publish a read-only snapshot of the warehouse for researchers' tools.

Why a snapshot: DuckDB locks a file per process (one writer, or readers, never both), so a
notebook or a polling ``foiatrace sql`` on the live warehouse would stall the nightly
writers; and the DuckDB library here (2.x) writes a storage format that the DuckDB CLI
researchers install (1.5.x) and SQLite tools (Datasette, sqlite-utils) cannot read.

``publish`` reads the warehouse once (one read-only connection, one transaction) and writes,
into a new versioned folder next to the target, then switches ``current`` to it:

- ``parquet/<name>.parquet``: every table and every view;
- ``foiatrace.duckdb``: the same, in DuckDB storage ``SNAPSHOT_STORAGE_VERSION`` (DuckDB
  CLI/library 1.x and 2.x open it). Views are **materialized as tables**: their SQL is written
  for the warehouse's DuckDB and later migrations may use what an older reader lacks, while a
  table of plain types always opens; and all three formats then hold the same rows;
- ``foiatrace.sqlite``: the same for Datasette and sqlite-utils; lists, structs and JSON as JSON
  text, timestamps as ISO 8601 UTC text (``2019-03-01T15:00:00.000000Z``: fixed width, so text
  order is time order);
- ``datasette-metadata.json``: the warehouse's table and column comments, for
  ``datasette serve -i foiatrace.sqlite -m datasette-metadata.json``;
- ``manifest.json``: row counts, sha256 of every file, the warehouse path, the time, the schema
  version.

Readers open ``<out>/current/...``: ``current`` is a symlink replaced atomically
(``os.replace``), so a poller sees the old snapshot or the new one, never half of one; the
previous version stays on disk until the next publish, so a reader that resolved the link
just before the switch still finds its files.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.db import WarehouseError, connect, lock_wait_seconds

# DuckDB storage of the snapshot's .duckdb file: readable by every DuckDB since 1.0 (the
# library here writes 2.x storage by default, which the 1.5 CLI refuses: "version number 69").
SNAPSHOT_STORAGE_VERSION = "v1.0.0"
DUCKDB_FILE = "foiatrace.duckdb"
SQLITE_FILE = "foiatrace.sqlite"
PARQUET_DIR = "parquet"
MANIFEST = "manifest.json"
DATASETTE_METADATA = "datasette-metadata.json"
CURRENT = "current"
MANIFEST_FORMAT = 1
# A cache of model vectors keyed by sentence hash: recomputable, by far the largest table,
# and nothing a researcher reads (its sentences are not stored with it).
DEFAULT_EXCLUDE: tuple[str, ...] = ("embeddings",)
_SQLITE_BATCH = 5000


def default_snapshot_dir(db: Path | str) -> Path:
    """``FOIATRACE_SNAPSHOT_DIR``, else ``<db stem>-snapshot/`` beside the warehouse file."""
    env = os.environ.get("FOIATRACE_SNAPSHOT_DIR")
    if env and env.strip():
        return Path(env)
    db = Path(db)
    return db.with_name(f"{db.stem}-snapshot")


def snapshot_file(out_dir: Path | str, name: str = DUCKDB_FILE) -> Path | None:
    """The current snapshot's file ``name`` (resolved to its versioned folder), if published."""
    path = Path(out_dir) / CURRENT / name
    return path.resolve() if path.exists() else None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@contextmanager
def _publish_lock(out_dir: Path) -> Iterator[None]:
    """Serialize publishes into one folder, so stale build folders can be swept safely."""
    with (out_dir / ".publish.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _objects(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str | None]]:
    """(name, 'table'|'view', comment) of the warehouse's own objects, tables first."""
    rows = con.execute(
        "SELECT table_name, 'table', comment FROM duckdb_tables() WHERE database_name = "
        "current_database() AND schema_name = 'main' AND NOT internal AND NOT temporary "
        "UNION ALL SELECT view_name, 'view', comment FROM duckdb_views() WHERE database_name = "
        "current_database() AND schema_name = 'main' AND NOT internal AND NOT temporary"
    ).fetchall()
    return sorted(((str(n), str(k), c) for n, k, c in rows), key=lambda r: (r[1] != "table", r[0]))


def _read_warehouse(
    db: Path, build: Path, exclude: Sequence[str], lock_wait: float
) -> dict[str, Any]:
    """The one read of the warehouse: Parquet files and the DuckDB copy, in one transaction."""
    con = connect(db, read_only=True, lock_wait=lock_wait)
    try:
        snap = build / DUCKDB_FILE
        con.execute(
            f"ATTACH {_lit(str(snap))} AS snap "
            f"(STORAGE_VERSION {_lit(SNAPSHOT_STORAGE_VERSION)}, READ_WRITE)"
        )
        con.execute("BEGIN TRANSACTION")
        objects: dict[str, Any] = {}
        docs: dict[str, Any] = {}
        skipped: dict[str, str] = {}
        for name, kind, comment in _objects(con):
            if name in exclude:
                skipped[name] = kind
                continue
            src, dst = f"main.{_q(name)}", f"snap.{_q(name)}"
            pq = build / PARQUET_DIR / f"{name}.parquet"
            con.execute(
                f"COPY (SELECT * FROM {src}) TO {_lit(str(pq))} (FORMAT parquet, COMPRESSION zstd)"
            )
            con.execute(f"CREATE TABLE {dst} AS SELECT * FROM {src}")
            cols = con.execute(
                "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE "
                "database_name = current_database() AND schema_name = 'main' AND table_name = ? "
                "ORDER BY column_index",
                [name],
            ).fetchall()
            # the schema's documentation travels with the copy (DuckDB CLI: duckdb_columns())
            note = comment or ""
            if kind == "view":
                note = f"{note} (view of the warehouse, materialized at publish time)".strip()
            if note:
                con.execute(f"COMMENT ON TABLE {dst} IS {_lit(note)}")
            for col, _, col_comment in cols:
                if col_comment:
                    con.execute(f"COMMENT ON COLUMN {dst}.{_q(col)} IS {_lit(col_comment)}")
            count = con.execute(f"SELECT count(*) FROM {src}").fetchone()
            objects[name] = {
                "kind": kind,
                "rows": int(count[0]) if count else 0,
                "comment": comment,
                "columns": {str(c): str(t) for c, t, _ in cols},
            }
            docs[name] = {
                "description": note or None,
                "columns": {str(c): str(d) for c, _, d in cols if d},
            }
        version = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        migrations = [
            f"{v:04d}_{n}"
            for v, n in con.execute(
                "SELECT version, name FROM schema_migrations ORDER BY version"
            ).fetchall()
        ]
        con.execute("COMMIT")
        con.execute("DETACH snap")
    finally:
        con.close()
    return {
        "objects": objects,
        "docs": docs,
        "excluded": skipped,
        "schema_version": int(version[0]) if version and version[0] is not None else None,
        "migrations": migrations,
    }


def _sqlite_column(name: str, type_id: str) -> tuple[str, str]:
    """(DuckDB select expression, SQLite declared type) of one column for the SQLite copy."""
    c = _q(name)
    if type_id in ("list", "array", "struct", "map", "union"):
        return f"to_json({c})::VARCHAR", "TEXT"
    if type_id == "timestamp with time zone":
        return f"strftime(timezone('UTC', {c}), '%Y-%m-%dT%H:%M:%S.%fZ')", "TEXT"
    if type_id.startswith("timestamp"):
        return f"strftime({c}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%f')", "TEXT"
    if type_id == "date":
        return f"strftime({c}, '%Y-%m-%d')", "TEXT"
    if type_id in ("boolean", "tinyint", "smallint", "integer", "bigint"):
        return c, "INTEGER"
    if type_id in ("utinyint", "usmallint", "uinteger"):
        return c, "INTEGER"
    if type_id in ("float", "double", "decimal"):
        return f"{c}::DOUBLE", "REAL"
    if type_id == "blob":
        return c, "BLOB"
    if type_id == "varchar":
        return c, "TEXT"
    # hugeint, ubigint (may exceed SQLite's 64 bits), uuid, interval, time, enum, bit, ...
    return f"{c}::VARCHAR", "TEXT"


def _write_sqlite(snapshot: Path, target: Path, names: Sequence[str]) -> None:
    """Copy every table of the snapshot's DuckDB file into a new SQLite file."""
    src = duckdb.connect(str(snapshot), read_only=True)
    dst = sqlite3.connect(str(target))
    try:
        src.execute("SET TimeZone = 'UTC'")
        dst.execute("PRAGMA journal_mode = OFF")
        dst.execute("PRAGMA synchronous = OFF")
        for name in names:
            rel = src.sql(f"SELECT * FROM {_q(name)}")
            cols = [_sqlite_column(c, t.id) for c, t in zip(rel.columns, rel.dtypes, strict=True)]
            decl = ", ".join(
                f"{_q(c)} {typ}" for c, (_, typ) in zip(rel.columns, cols, strict=True)
            )
            dst.execute(f"CREATE TABLE {_q(name)} ({decl})")
            select = ", ".join(
                f"{expr} AS {_q(c)}" for c, (expr, _) in zip(rel.columns, cols, strict=True)
            )
            cur = src.execute(f"SELECT {select} FROM {_q(name)}")
            insert = (
                f"INSERT INTO {_q(name)} VALUES ({', '.join('?' * len(rel.columns))})"
                if rel.columns
                else None
            )
            while insert and (batch := cur.fetchmany(_SQLITE_BATCH)):
                dst.executemany(insert, batch)
            dst.commit()
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()


def _datasette_metadata(docs: dict[str, Any], db: Path, published_at: str) -> dict[str, Any]:
    """Datasette's ``-m`` file: the warehouse's table and column comments as descriptions."""
    tables = {
        name: {k: v for k, v in d.items() if v} for name, d in docs.items() if any(d.values())
    }
    return {
        "title": "foiatrace warehouse snapshot",
        "description": f"Read-only snapshot of {db.name}, published {published_at}.",
        "databases": {Path(SQLITE_FILE).stem: {"tables": tables}},
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _version_name(out_dir: Path, now: datetime) -> str:
    """A new folder name that sorts by time; microseconds, so a name pruned a moment ago is
    never given again to a later snapshot (a reader holding the old path must not see it
    change under it)."""
    base = now.strftime("%Y%m%dT%H%M%S.%fZ")
    name, n = base, 1
    while (out_dir / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _switch(out_dir: Path, version: str) -> None:
    """Point ``current`` at ``version`` in one rename: readers see old or new, never neither."""
    current = out_dir / CURRENT
    if current.exists() and not current.is_symlink():
        raise WarehouseError(f"{current}: exists and is not a symlink; move it away")
    tmp = out_dir / f".{CURRENT}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(version, target_is_directory=True)
    os.replace(tmp, current)


def _prune(out_dir: Path, keep: set[str]) -> list[str]:
    """Remove older versions and stale build folders (under the publish lock)."""
    removed = []
    for entry in out_dir.iterdir():
        if entry.name in keep or entry.is_symlink() or not entry.is_dir():
            continue
        if entry.name.startswith(".building-") or (out_dir / entry.name / MANIFEST).exists():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


def publish(
    db: Path | str,
    out_dir: Path | str | None = None,
    *,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    lock_wait: float | None = None,
) -> dict[str, Any]:
    """Write a consistent snapshot of warehouse ``db`` under ``out_dir`` and make it current.

    Returns what a log or an Airflow XCom should show: the snapshot's folder, row counts, bytes.
    The previous snapshot is kept until the next publish; older ones are removed.
    """
    started = time.monotonic()
    db = Path(db).resolve()
    if not db.exists():
        raise WarehouseError(f"{db}: no such warehouse")
    out = Path(out_dir) if out_dir is not None else default_snapshot_dir(db)
    out = out.resolve()
    if out == db.parent:
        raise WarehouseError(f"{out}: publish into a folder of its own, not the warehouse's")
    out.mkdir(parents=True, exist_ok=True)
    wait = lock_wait_seconds() if lock_wait is None else lock_wait
    with _publish_lock(out):
        current = out / CURRENT
        previous = os.readlink(current) if current.is_symlink() else None
        removed = _prune(out, keep={previous} if previous else set())
        now = datetime.now(UTC)
        build = out / f".building-{now.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        (build / PARQUET_DIR).mkdir(parents=True)
        try:
            read = _read_warehouse(db, build, exclude, wait)
            objects = read["objects"]
            _write_sqlite(build / DUCKDB_FILE, build / SQLITE_FILE, list(objects))
            published_at = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            (build / DATASETTE_METADATA).write_text(
                json.dumps(_datasette_metadata(read["docs"], db, published_at), indent=2) + "\n",
                encoding="utf-8",
            )
            files = {
                str(p.relative_to(build)): {"sha256": _sha256(p), "bytes": p.stat().st_size}
                for p in sorted(build.rglob("*"))
                if p.is_file()
            }
            manifest = {
                "format": MANIFEST_FORMAT,
                "warehouse": str(db),
                "published_at": published_at,
                "schema_version": read["schema_version"],
                "migrations": read["migrations"],
                "duckdb_library": duckdb.__version__,
                "duckdb_storage_version": SNAPSHOT_STORAGE_VERSION,
                "views_materialized": True,
                "excluded": read["excluded"],
                "objects": objects,
                "files": files,
            }
            (build / MANIFEST).write_text(
                json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            for p in build.rglob("*"):
                if p.is_file():
                    p.chmod(0o444)  # a snapshot: the manifest's sha256 stays true
            version = _version_name(out, now)
            build.rename(out / version)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        _switch(out, version)
        removed += _prune(out, keep={version} | ({previous} if previous else set()))
    return {
        "snapshot": str(out / version),
        "current": str(current),
        "previous": previous,
        "removed": removed,
        "schema_version": read["schema_version"],
        "rows": {name: o["rows"] for name, o in objects.items()},
        "excluded": sorted(read["excluded"]),
        "bytes": sum(f["bytes"] for f in files.values()),
        "seconds": round(time.monotonic() - started, 2),
    }
