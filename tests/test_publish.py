"""The published snapshot, read with the tools researchers use (the DuckDB 1.5 CLI, Datasette,
sqlite-utils, Parquet readers); writers that wait for a lock; `foiatrace sql` as scripts read
it; and a reader polling the snapshot while the nightly DAG runs."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from foia.models import Message
from foiatrace.cli import app
from foiatrace.demo_run import run_demo
from warehouse import load
from warehouse.db import WarehouseError, connect
from warehouse.publish import (
    CURRENT,
    DUCKDB_FILE,
    MANIFEST,
    PARQUET_DIR,
    SQLITE_FILE,
    default_snapshot_dir,
    publish,
)

BIN = Path(sys.executable).parent
runner = CliRunner()


def _warehouse_counts(db: Path, names: list[str]) -> dict[str, int]:
    con = connect(db, read_only=True)
    try:
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}  # type: ignore[index]
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("publish") / "demo.duckdb"
    run_demo(db, use_airflow=False, quiet=True)
    return db


@pytest.fixture(scope="module")
def snapshot(demo_warehouse: Path) -> dict[str, Any]:
    stats = publish(demo_warehouse, demo_warehouse.parent / "snap")
    current = Path(stats["current"])
    return {
        "stats": stats,
        "dir": current,
        "manifest": json.loads((current / MANIFEST).read_text(encoding="utf-8")),
    }


def test_manifest_matches_the_warehouse_and_the_files(
    demo_warehouse: Path, snapshot: dict[str, Any]
) -> None:
    m, cur = snapshot["manifest"], snapshot["dir"]
    assert m["warehouse"] == str(demo_warehouse.resolve())
    objects = m["objects"]
    assert {"messages", "articles", "evidence", "emails", "disclosures"} <= set(objects)
    assert objects["evidence"]["kind"] == "view" and objects["emails"]["kind"] == "table"
    assert "embeddings" in m["excluded"] and "embeddings" not in objects
    counts = _warehouse_counts(demo_warehouse, list(objects))
    assert {n: o["rows"] for n, o in objects.items()} == counts
    assert counts["evidence"] > 0
    con = connect(demo_warehouse, read_only=True)
    version = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
    assert version and m["schema_version"] == version[0]
    con.close()
    for rel, f in m["files"].items():
        data = (cur / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"], rel
    assert {DUCKDB_FILE, SQLITE_FILE, f"{PARQUET_DIR}/evidence.parquet"} <= set(m["files"])


def test_parquet_counts_equal_the_warehouse(demo_warehouse: Path, snapshot: dict[str, Any]) -> None:
    names = list(snapshot["manifest"]["objects"])
    expected = _warehouse_counts(demo_warehouse, names)
    con = duckdb.connect()
    got = {
        n: con.execute(
            "SELECT count(*) FROM read_parquet(?)",
            [str(snapshot["dir"] / PARQUET_DIR / f"{n}.parquet")],
        ).fetchone()[0]  # type: ignore[index]
        for n in names
    }
    assert got == expected


def test_duckdb_cli_1_5_opens_the_snapshot(demo_warehouse: Path, snapshot: dict[str, Any]) -> None:
    """The registry's duckdb-cli (1.5.x) cannot read the live file (storage 2.x); it reads the
    snapshot, views included (materialized), with their documentation."""
    cli = BIN / "duckdb"
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("v1.5"), version.stdout
    live = subprocess.run(
        [str(cli), "-readonly", str(demo_warehouse), "-c", "SELECT 1"],
        capture_output=True,
        text=True,
    )
    assert live.returncode != 0  # the problem the snapshot solves
    query = (
        "SELECT count(*) AS n, count(DISTINCT article_url) AS urls, "
        "max(len(m.redactions)) AS most_redactions, any_value(typeof(m.email_to)) AS to_type "
        "FROM evidence e JOIN messages m USING (bates)"
    )
    res = subprocess.run(
        [str(cli), "-readonly", "-json", str(snapshot["dir"] / DUCKDB_FILE), "-c", query],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    row = json.loads(res.stdout)[0]
    con = connect(demo_warehouse, read_only=True)
    n, urls = con.execute("SELECT count(*), count(DISTINCT article_url) FROM evidence").fetchone()  # type: ignore[misc]
    con.close()
    assert (row["n"], row["urls"]) == (n, urls) and row["to_type"] == "VARCHAR[]"
    doc = subprocess.run(
        [str(cli), "-readonly", "-json", str(snapshot["dir"] / DUCKDB_FILE), "-c",
         "SELECT comment FROM duckdb_tables() WHERE table_name = 'evidence'"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "materialized" in json.loads(doc.stdout)[0]["comment"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get_json(url: str, deadline: float) -> Any:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return json.loads(resp.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_datasette_serves_the_sqlite_copy(demo_warehouse: Path, snapshot: dict[str, Any]) -> None:
    port = _free_port()
    sqlite_file = snapshot["dir"] / SQLITE_FILE
    proc = subprocess.Popen(
        [str(BIN / "datasette"), "serve", str(sqlite_file), "--port", str(port),
         "-m", str(snapshot["dir"] / "datasette-metadata.json")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/foiatrace"
        deadline = time.monotonic() + 60
        rows = _get_json(f"{base}/evidence.json?_shape=array&_size=max", deadline)
        counted = _get_json(
            f"{base}.json?_shape=array&sql=select+count(*)+as+n+from+messages", deadline
        )
        meta = _get_json(f"http://127.0.0.1:{port}/-/metadata.json", deadline)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    expected = _warehouse_counts(demo_warehouse, ["evidence", "messages"])
    assert len(rows) == expected["evidence"]
    assert counted == [{"n": expected["messages"]}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", rows[0]["email_sent_at"])
    assert isinstance(json.loads(rows[0]["features"]), dict)
    assert meta["databases"]["foiatrace"]["tables"]["evidence"]["description"]


def test_sqlite_utils_reads_the_copy(demo_warehouse: Path, snapshot: dict[str, Any]) -> None:
    sqlite_file = snapshot["dir"] / SQLITE_FILE
    res = subprocess.run(
        [str(BIN / "sqlite-utils"), "tables", str(sqlite_file), "--counts"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    counts = {t["table"]: t["count"] for t in json.loads(res.stdout)}
    assert counts == _warehouse_counts(demo_warehouse, list(snapshot["manifest"]["objects"]))
    import sqlite_utils

    db = sqlite_utils.Database(sqlite_file)
    row = next(
        db.query("SELECT email_to, redactions, sent_at FROM messages WHERE bates IS NOT NULL")
    )
    assert isinstance(json.loads(row["email_to"]), list)
    assert isinstance(json.loads(row["redactions"]), list)
    assert row["sent_at"].endswith("Z")
    assert db["evidence"].columns_dict["score"] is float


def test_publish_switches_atomically_and_keeps_the_previous(demo_warehouse: Path) -> None:
    out = demo_warehouse.parent / "switch"
    first = publish(demo_warehouse, out)
    second = publish(demo_warehouse, out)
    assert (out / CURRENT).resolve() == Path(second["snapshot"])
    assert Path(first["snapshot"]).is_dir() and second["previous"] == Path(first["snapshot"]).name
    third = publish(demo_warehouse, out)
    assert not Path(first["snapshot"]).exists() and Path(second["snapshot"]).is_dir()
    assert Path(first["snapshot"]).name in third["removed"]
    assert not list(out.glob(".building-*")) and not list(out.glob(".current.*"))
    assert default_snapshot_dir(demo_warehouse) == demo_warehouse.with_name("demo-snapshot")


# -- writers wait for the lock ------------------------------------------------------------------

_HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
    con.close()
    print("released", flush=True)
    """
)


def _hold(db: Path, mode: str, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the warehouse open (DuckDB locks per process)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(db), mode, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _small_warehouse(db: Path, own_text: str = "He is a citizen of Peru.") -> None:
    con = connect(db)
    msg = Message(
        source_file="a.eml",
        source_sha256="0" * 64,
        source_kind="eml",
        bates="B-1",
        message_id="m@x",
        sent_at=datetime(2019, 3, 1, 15, tzinfo=UTC),
        email_from="press@agency.example",
        email_to=["kim@news.example", "lee@news.example"],
        own_text=own_text,
    )
    load.upsert_messages(con, "p", [msg])
    con.close()


@pytest.mark.parametrize("holder", ["rw", "ro"], ids=["writer-holds", "reader-holds"])
def test_a_writer_waits_for_the_lock_and_then_succeeds(
    tmp_path: Path, holder: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "w.duckdb"
    _small_warehouse(db)
    proc = _hold(db, holder, 2.0)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="warehouse.db"):
        con = connect(db, lock_wait=60)
    waited = time.monotonic() - started
    con.execute("INSERT INTO reviews VALUES ('p:B-1', 'u', 'd', 'confirmed', NULL, NULL, now())")
    con.close()
    assert proc.wait(timeout=30) == 0
    assert 0.5 < waited < 30
    lines = [r.getMessage() for r in caplog.records if "locked" in r.getMessage()]
    assert len(lines) == 1, lines
    assert f"pid {proc.pid}" in lines[0] and "waiting up to 60 s" in lines[0]


def test_a_short_wait_fails_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    _small_warehouse(db)
    proc = _hold(db, "rw", 6.0)
    try:
        with pytest.raises(WarehouseError, match=rf"locked by another process .*pid {proc.pid}"):
            connect(db, lock_wait=0.5)
        monkeypatch.setenv("FOIATRACE_LOCK_WAIT", "0.5")
        started = time.monotonic()
        result = runner.invoke(app, ["--db", str(db), "match"])
        assert time.monotonic() - started < 5
        assert result.exit_code == 1
        said = " ".join(result.output.split())  # rich wraps long lines
        assert "locked by another process" in said and "gave up after 0.5 s" in said
        monkeypatch.delenv("FOIATRACE_LOCK_WAIT")
        reader = runner.invoke(app, ["--db", str(db), "sql", "--live", "SELECT 1"])
        said = " ".join(reader.output.split())
        assert reader.exit_code == 1 and "readers do not wait" in said
    finally:
        proc.kill()
        proc.wait()


# -- foiatrace sql and --db -------------------------------------------------------------------


def test_sql_piped_prints_full_cells_and_csv_is_json_and_lf(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    long_text = "He is a citizen of Peru. " * 40 + "END-OF-TEXT"
    _small_warehouse(db, own_text=long_text)
    table = runner.invoke(app, ["--db", str(db), "sql", "SELECT bates, own_text FROM messages"])
    assert table.exit_code == 0, table.output
    assert long_text in table.stdout and "…" not in table.stdout
    assert not set("│┃┏━┡─") & set(table.stdout)
    assert table.stdout.splitlines()[0].split() == ["bates", "own_text"]
    listed = runner.invoke(app, ["--db", str(db), "sql", "SELECT email_to FROM messages"])
    assert '["kim@news.example", "lee@news.example"]' in listed.stdout
    res = runner.invoke(
        app, ["--db", str(db), "sql", "-f", "csv", "SELECT bates, email_to, sent_at FROM messages"]
    )
    assert res.exit_code == 0, res.output
    assert b"\r\n" not in res.stdout_bytes and res.stdout_bytes.endswith(b"\n")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert json.loads(rows[0]["email_to"]) == ["kim@news.example", "lee@news.example"]
    assert rows[0]["sent_at"] == "2019-03-01T15:00:00+00:00"


def test_sql_reads_the_snapshot_unless_live(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _small_warehouse(db)
    pub = runner.invoke(app, ["--db", str(db), "publish", "--json"])
    assert pub.exit_code == 0, pub.output
    assert json.loads(pub.stdout)["rows"]["messages"] == 1
    con = connect(db)
    con.execute("UPDATE emails SET subject = 'changed after publish'")
    con.close()
    q = "SELECT subject AS s FROM messages"
    snap = runner.invoke(app, ["-v", "--db", str(db), "sql", q, "-f", "json"])
    assert json.loads(snap.stdout) != [{"s": "changed after publish"}]
    assert "reading snapshot" in snap.stderr and "w-snapshot" in snap.stderr
    live = runner.invoke(app, ["-v", "--db", str(db), "sql", "--live", q, "-f", "json"])
    assert json.loads(live.stdout) == [{"s": "changed after publish"}]
    assert "live warehouse" in live.stderr
    bad = runner.invoke(app, ["--db", str(db), "sql", "DELETE FROM emails"])
    assert bad.exit_code == 2 and re.search(r"read.only", bad.output, re.I)


@pytest.mark.parametrize(
    "args",
    [
        ["sql", "SELECT 1"],
        ["match"],
        ["publish"],
        ["export", "evidence", "-f", "csv", "-o", "x.csv"],
        ["review", "B-1", "https://a.example/x", "citizenship:peru", "--verdict", "confirmed"],
    ],
    ids=lambda a: a[0],
)
def test_a_missing_db_is_a_one_line_usage_error(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "typo.duckdb"
    result = runner.invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(db) in result.stderr and "no such warehouse" in result.stderr
    assert not db.exists()


def test_ingest_still_creates_a_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["--db", str(db), "ingest", str(tmp_path / "empty"), "--json"])
    assert result.exit_code == 0, result.output
    assert db.exists()


# -- a researcher polls the snapshot while the nightly DAG runs ----------------------------------

_POLLER = textwrap.dedent(
    """
    import json, os, sys, time, duckdb, sqlite3
    from pathlib import Path
    current, stop = Path(sys.argv[1]), Path(sys.argv[2])
    first = Path(os.path.realpath(current))
    held = duckdb.connect(str(first / "foiatrace.duckdb"), read_only=True)  # open all along
    polls, errors, seen = 0, [], {}
    while not stop.exists():
        try:
            held.execute("SELECT count(*) FROM evidence").fetchone()
            direct = duckdb.connect(str(current / "foiatrace.duckdb"), read_only=True)
            direct.execute("SELECT count(*) FROM evidence, runs").fetchone()
            direct.close()
            snap = Path(os.path.realpath(current))  # one version for the cross-checks
            duck = duckdb.connect(str(snap / "foiatrace.duckdb"), read_only=True)
            n = duck.execute("SELECT count(*) FROM runs").fetchone()[0]
            duck.close()
            lite = sqlite3.connect(f"file:{snap / 'foiatrace.sqlite'}?mode=ro", uri=True)
            m = lite.execute("SELECT count(*) FROM runs").fetchone()[0]
            lite.close()
            manifest = json.loads((snap / "manifest.json").read_text())
            assert n == m == manifest["objects"]["runs"]["rows"], (n, m)
            seen[manifest["published_at"]] = n
        except Exception as exc:
            errors.append(repr(exc))
        polls += 1
        time.sleep(1)
    held.close()
    print(json.dumps({"polls": polls, "errors": errors, "snapshots": seen}))
    """
)


def test_a_reader_polling_the_snapshot_never_fails_the_dag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reported problem: a researcher's open session made `ingest`/`match` fail. Here a
    reader holds the snapshot open and polls it every second while `airflow dags test` runs
    the whole nightly DAG, publish included, on the same warehouse."""
    monkeypatch.delenv("FOIATRACE_SNAPSHOT_DIR", raising=False)
    db = tmp_path / "night.duckdb"
    run_demo(db, use_airflow=False, quiet=True)
    first = publish(db)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", _POLLER, first["current"], str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2)
        home = tmp_path / "airflow"
        run_demo(db, use_airflow=True, quiet=True, airflow_home=home)
        time.sleep(2)
    finally:
        stop.touch()
        out, errs = reader.communicate(timeout=60)
    assert reader.returncode == 0, errs
    report = json.loads(out)
    assert report["errors"] == [] and report["polls"] >= 5
    runs = [n for _, n in sorted(report["snapshots"].items())]
    assert len(runs) == 2 and runs[0] < runs[1]  # it read the old snapshot, then the DAG's
    meta = sqlite3.connect(home / "airflow.db")
    states = dict(
        meta.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = 'foiatrace_nightly'"
        ).fetchall()
    )
    meta.close()
    # mapped tasks (ingest, crawl, embed) count once per task id here; every instance
    # succeeded, and embed is skipped on a night with no new sentence (zero shards)
    assert {"ingest", "crawl", "load_crawl", "match", "export", "publish"} <= set(states)
    assert {s for t, s in states.items() if t != "embed"} == {"success"}
    assert states.get("embed", "skipped") in ("success", "skipped")
    assert Path(first["snapshot"]).is_dir()  # the previous snapshot is kept
    assert (db.with_name("night-snapshot") / CURRENT).resolve() != Path(first["snapshot"])
