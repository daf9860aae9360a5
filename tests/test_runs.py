"""Run bookkeeping: one ``runs`` row per step run, closed whatever happens to its process."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.db import connect
from warehouse.runs import step_run, transaction


def _status(con, run_id: str) -> str:  # noqa: ANN001
    return con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchall()[0][0]


def test_a_run_is_ok_with_its_stats_or_failed_with_its_exception(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    with step_run(con, "match") as run:
        run.stats["pairs"] = 3
    assert _status(con, run.id) == "ok"
    stats = con.execute("SELECT stats->>'pairs' FROM runs WHERE run_id = ?", [run.id])
    assert stats.fetchall() == [("3",)]
    with pytest.raises(RuntimeError), step_run(con, "match") as failed:
        raise RuntimeError("boom")
    assert _status(con, failed.id) == "failed"
    con.close()


def test_a_run_whose_process_died_is_closed_by_the_next_step(tmp_path: Path) -> None:
    """A killed step leaves its row ``running``; the next step on this host sees that its
    process is gone and marks it ``interrupted``; a live process's run is left alone."""
    con = connect(tmp_path / "w.duckdb")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    host = socket.gethostname()
    con.execute(
        "INSERT INTO runs (run_id, step, started_at, status, pid, host) VALUES "
        "('ingest-dead', 'ingest', now(), 'running', ?, ?), "
        "('ingest-alive', 'ingest', now(), 'running', ?, ?), "
        "('ingest-elsewhere', 'ingest', now(), 'running', ?, 'another-host')",
        [int(gone.stdout), host, 1, host, int(gone.stdout)],
    )
    with step_run(con, "match") as run:
        pass
    assert run.interrupted == {"ingest": ["ingest-dead"]}
    assert _status(con, "ingest-dead") == "interrupted"
    assert _status(con, "ingest-alive") == "running"  # pid 1 lives
    assert _status(con, "ingest-elsewhere") == "running"  # cannot be checked from here
    con.close()


def test_a_transaction_is_all_or_nothing(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    with pytest.raises(ValueError), transaction(con):
        con.execute("INSERT INTO runs (run_id, step, started_at, status) VALUES "
                    "('x', 'ingest', now(), 'ok')")  # fmt: skip
        raise ValueError("half-way")
    assert con.execute("SELECT count(*) FROM runs WHERE run_id = 'x'").fetchall() == [(0,)]
    con.close()
