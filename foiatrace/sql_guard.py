"""What `foiatrace sql` lets through: one read-only statement, no file system, a deadline.

Three layers, each enough for most hostile SQL and together for all we know of:

1. ``check`` parses with DuckDB's own parser (``duckdb.extract_statements``): exactly one
   statement, and only a read (SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE, PIVOT,
   EXPLAIN of one of those, and the PRAGMAs that describe). Its syntax tree
   (``json_serialize_sql``) is walked for data-modifying CTEs and for table functions that
   read files.
2. ``lock_down`` turns the connection's file system off (``enable_external_access = false``:
   no local files, no COPY TO, no ATTACH, no INSTALL/LOAD) and locks its configuration; the
   connection itself is read-only.
3. ``run`` interrupts the statement at a deadline and fetches at most ``max_rows`` rows.

``HOSTILE_EXAMPLES`` lists the statements the tests and ``scripts/sql_surface_table.py``
throw at it, each with the outcome it must have.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any

import duckdb

DEFAULT_TIMEOUT = 30.0  # seconds; 0: none
DEFAULT_MAX_ROWS = 10_000  # 0: none
ALLOWED = "SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE, PIVOT, EXPLAIN, PRAGMA table_info"
READ_PRAGMAS = frozenset(
    {
        "table_info", "show", "show_tables", "show_tables_expanded", "show_databases",
        "database_list", "database_size", "storage_info", "version", "platform", "functions",
        "collations", "metadata_info", "user_agent",
    }
)  # fmt: skip
# table functions (and scalar ones) that read files, URLs or run SQL text the tree cannot see
FILE_FUNCTIONS = frozenset(
    {
        "glob", "sniff_csv", "query", "query_table", "parquet_scan", "parquet_metadata",
        "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata", "parquet_bloom_probe",
        "csv_scan", "json_scan", "iceberg_scan", "iceberg_metadata", "iceberg_snapshots",
        "delta_scan", "sqlite_scan", "sqlite_attach", "postgres_scan", "mysql_scan",
        "duckdb_secrets", "load_aws_credentials", "getenv",
    }
)  # fmt: skip
FILE_FUNCTION_PREFIXES = ("read_", "parquet_", "iceberg_", "delta_", "sqlite_", "postgres_")
WHY = {
    "COPY": "COPY reads or writes files",
    "EXPORT": "EXPORT DATABASE writes files",
    "ATTACH": "ATTACH opens another database file",
    "DETACH": "DETACH changes the session's databases",
    "LOAD": "INSTALL and LOAD fetch and run extensions",
    "SET": "SET, RESET and USE change the session",
    "CALL": "CALL runs a procedure (CHECKPOINT too); read a table function with SELECT * FROM f()",
    "TRANSACTION": "transactions are for writers",
    "VACUUM": "VACUUM and ANALYZE write statistics",
}


_ONLY = "`foiatrace sql` reads the warehouse only"


class SqlRefused(ValueError):
    """The statement is not one read-only query; the message says why, in one line."""


class SqlTimeout(RuntimeError):
    """The statement ran past its deadline and was interrupted."""


@dataclass(frozen=True)
class Answer:
    """A statement's columns and rows; ``cut`` when more rows were left unread."""

    names: list[str]
    rows: list[tuple[Any, ...]]
    cut: bool


_LEAD = re.compile(r"\s+|--[^\n]*(?:\n|$)")


def _strip_leading_comments(sql: str) -> str | None:
    """The text after leading blanks and comments (nested ``/* */`` too); None if unclosed."""
    i = 0
    while i < len(sql):
        m = _LEAD.match(sql, i)
        if m and m.end() > i:
            i = m.end()
            continue
        if sql.startswith("/*", i):
            depth, i = 1, i + 2
            while depth and i < len(sql):
                if sql.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif sql.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            if depth:
                return None
            continue
        break
    return sql[i:]


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def check(sql: str) -> str:
    """The one read-only statement in ``sql``, or ``SqlRefused`` saying why not."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlRefused(f"not valid SQL: {_first_line(exc)}") from exc
    if not statements:
        raise SqlRefused("no SQL statement given")
    if len(statements) > 1:
        raise SqlRefused(
            f"{len(statements)} statements given: `foiatrace sql` runs exactly one "
            "read-only statement"
        )
    stmt = statements[0]
    try:
        kind = stmt.type.name
    except ValueError:  # a statement type this duckdb's Python API has no name for
        kind = "UNKNOWN"
    text = stmt.query
    body = _strip_leading_comments(text)
    if body is None:
        raise SqlRefused("unclosed comment")
    lead = body.split(None, 1)[0].upper().rstrip(";(") if body.strip() else ""
    if kind == "SELECT":
        _check_tree(text)
    elif kind == "MULTI" and lead in ("PIVOT", "UNPIVOT"):
        pass  # PIVOT without IN: DuckDB reads the distinct values first, then pivots
    elif kind == "EXPLAIN":
        m = re.match(r"EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?=\S)", body, re.I)
        if not m or body[m.end()] == "(":
            raise SqlRefused(
                "EXPLAIN takes a query here (EXPLAIN [ANALYZE] SELECT ...), without options"
            )
        inner = check(body[m.end() :])
        if duckdb.extract_statements(inner)[0].type.name not in ("SELECT", "MULTI"):
            raise SqlRefused("EXPLAIN of anything but a query is refused")
    elif kind == "PRAGMA":
        m = re.match(r"PRAGMA\s+(\w+)\s*(\(|;|$)", body.strip(), re.I)
        if not m or m.group(1).lower() not in READ_PRAGMAS:
            raise SqlRefused(
                "this PRAGMA changes settings or writes: only the describing ones "
                f"({', '.join(sorted(READ_PRAGMAS))}) are read-only"
            )
    else:
        why = WHY.get(kind, f"{lead or kind} changes the database")
        raise SqlRefused(f"{why}; `foiatrace sql` runs one read-only query")
    return text


def _check_tree(text: str) -> None:
    """Refuse data-modifying CTEs and functions that read files, from the syntax tree."""
    con = duckdb.connect(":memory:")
    try:
        row = con.execute("SELECT json_serialize_sql(?)", [text]).fetchone()
    except duckdb.Error:
        return  # not serializable: the read-only, file-less connection still guards it
    finally:
        con.close()
    tree = json.loads(row[0]) if row and row[0] else {"error": True}
    if tree.get("error"):
        return
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        typ = node.get("type")
        if isinstance(typ, str) and typ.endswith("_QUERY_NODE") and typ != "SELECT_QUERY_NODE":
            verb = typ.removesuffix("_QUERY_NODE").replace("_", " ")
            raise SqlRefused(
                f"a {verb} inside the query changes the database; `foiatrace sql` is read-only"
            )
        table = node.get("table_name") if typ == "BASE_TABLE" else None
        if isinstance(table, str) and any(ch in table for ch in "/\\:."):
            raise SqlRefused(f"{table!r} looks like a file or URL: {_ONLY}")
        fn = node.get("function_name")
        if isinstance(fn, str):
            name = fn.lower()
            if name in FILE_FUNCTIONS or name.startswith(FILE_FUNCTION_PREFIXES):
                raise SqlRefused(f"{name}() reads files, URLs or SQL text: {_ONLY}")
        stack.extend(node.values())


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """No file system (after the file is open: the database itself stays readable) and no
    further configuration changes, for this connection's session."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def run(
    con: duckdb.DuckDBPyConnection,
    statement: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Answer:
    """Run one checked statement: interrupted after ``timeout`` seconds (``SqlTimeout``),
    at most ``max_rows`` rows fetched (0: no limit for either)."""
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        con.interrupt()

    timer = threading.Timer(timeout, stop) if timeout > 0 else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        cur = con.execute(statement)
        names = [d[0] for d in cur.description] if cur.description else []
        if not names:
            return Answer([], [], False)
        rows = cur.fetchmany(max_rows + 1) if max_rows > 0 else cur.fetchall()
    except duckdb.InterruptException as exc:
        if fired.is_set():
            raise SqlTimeout(f"stopped after {timeout:g} s (--timeout; 0 for none)") from exc
        raise
    finally:
        if timer:
            timer.cancel()
    cut = max_rows > 0 and len(rows) > max_rows
    return Answer(names, rows[:max_rows] if cut else rows, cut)


@dataclass(frozen=True)
class Hostile:
    """A statement thrown at `foiatrace sql` and the outcome it must have: ``refused`` (the
    parser check or DuckDB's permission check, exit 2), ``timeout`` (interrupted, exit 1),
    ``cut`` (answered, rows limited) or ``answered`` (read-only, nothing else happens).
    ``{other}``: another DuckDB file; ``{out}``: a file path that must not appear."""

    sql: str
    expect: str
    what: str


HOSTILE_EXAMPLES: tuple[Hostile, ...] = (
    Hostile("COPY (SELECT 1) TO '{other}' (FORMAT csv)", "refused", "COPY over another warehouse"),
    Hostile("COPY messages TO '{out}'", "refused", "COPY a view to a file"),
    Hostile("COPY messages FROM '{out}'", "refused", "COPY from a file"),
    Hostile("EXPORT DATABASE '{out}'", "refused", "EXPORT DATABASE"),
    Hostile("SELECT * FROM read_csv('/etc/passwd')", "refused", "read a local file"),
    Hostile("SELECT * FROM glob('/etc/*')", "refused", "list a directory"),
    Hostile("SELECT read_text('/etc/hostname')", "refused", "read_text as a scalar"),
    Hostile("SELECT * FROM read_blob('{other}')", "refused", "read another database's bytes"),
    Hostile("SELECT * FROM '/etc/passwd'", "refused", "replacement scan of a file"),
    Hostile("SELECT * FROM 'https://example.com/x.csv'", "refused", "fetch a URL"),
    Hostile("SELECT * FROM sniff_csv('/etc/passwd')", "refused", "sniff a local file"),
    Hostile("ATTACH '{other}' AS other", "refused", "attach another warehouse"),
    Hostile("DETACH other", "refused", "DETACH"),
    Hostile("INSTALL httpfs", "refused", "install an extension"),
    Hostile("LOAD httpfs", "refused", "load an extension"),
    Hostile("SET enable_external_access = true", "refused", "turn the file system back on"),
    Hostile("RESET lock_configuration", "refused", "unlock the configuration"),
    Hostile("PRAGMA enable_profiling", "refused", "a PRAGMA that changes settings"),
    Hostile("PRAGMA profiling_output = '{out}'", "refused", "a PRAGMA that writes a file"),
    Hostile("SELECT 1; DROP TABLE emails", "refused", "two statements"),
    Hostile("SELECT 1 /* ; */ ; DELETE FROM emails", "refused", "a comment hiding a second"),
    Hostile("SELECT 1 -- ; DROP TABLE emails", "answered", "a second statement in a comment"),
    Hostile("CREATE TABLE x AS SELECT 1", "refused", "CREATE TABLE"),
    Hostile("CREATE MACRO m(a) AS a", "refused", "CREATE MACRO"),
    Hostile(
        "INSERT INTO reviews VALUES ('k', 'u', 'd', 'confirmed', 'x', 'x', now())",
        "refused",
        "INSERT",
    ),
    Hostile("UPDATE emails SET subject = 'x'", "refused", "UPDATE"),
    Hostile("DELETE FROM emails", "refused", "DELETE"),
    Hostile("DROP TABLE emails", "refused", "DROP"),
    Hostile("ALTER TABLE emails ADD COLUMN x INT", "refused", "ALTER"),
    Hostile(
        "WITH gone AS (DELETE FROM emails RETURNING *) SELECT count(*) FROM gone",
        "refused",
        "DELETE inside a CTE",
    ),
    Hostile("CHECKPOINT", "refused", "CHECKPOINT"),
    Hostile("CALL pragma_version()", "refused", "CALL"),
    Hostile("BEGIN TRANSACTION", "refused", "a transaction"),
    Hostile("VACUUM", "refused", "VACUUM"),
    Hostile("EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}'", "refused", "EXPLAIN ANALYZE of COPY"),
    Hostile("SELECT * FROM query('SELECT 1')", "refused", "SQL text run by a function"),
    Hostile(
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        "timeout",
        "a recursive CTE that never ends",
    ),
    Hostile(
        "SELECT count(*) FROM range(1000000) a, range(1000000) b",
        "timeout",
        "a 10^12-row cross join counted",
    ),
    Hostile(
        "SELECT * FROM range(1000000) a, range(1000000) b", "cut", "a 10^12-row cross join listed"
    ),
    Hostile("SELECT count(*) AS n FROM messages", "answered", "a plain read"),
)
