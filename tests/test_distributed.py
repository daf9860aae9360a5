"""The nightly DAG on Airflow's CeleryExecutor, for real: PostgreSQL metadata, Redis broker,
api-server, scheduler, dag-processor and two Celery workers started by
``scripts/distributed_run.py`` and torn down after (process groups killed, database
dropped, even when the run fails). Skips, naming what is missing, where PostgreSQL, Redis
or the ``scale`` packages are absent.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import distributed_run as dr  # noqa: E402

MISSING = dr.missing_services()
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason="needs " + "; ".join(MISSING) + " (docs/scale.md)"
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_celery_run_spreads_the_crawl_and_equals_dags_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []
    real_start = dr.Services.start

    def start(self: dr.Services, name: str, cmd: list[str], env: dict[str, str]) -> None:
        real_start(self, name, cmd, env)
        started.append(self.procs[name].pid)

    monkeypatch.setattr(dr.Services, "start", start)
    try:
        result = dr.run(tmp_path / "work", log=lambda *_: None)
    finally:  # belt and braces: nothing this test started may outlive it
        for pid in started:
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)
    lines: list[str] = []
    dr.report(result, lines.append)
    report = "\n".join(lines)
    assert result.state == "success", report
    crawls = [ti for ti in result.task_instances if ti["task"].startswith("crawl[")]
    assert len(crawls) == 3 and all(ti["state"] == "success" for ti in crawls), report
    assert set(result.crawl_workers) == {"worker1", "worker2"}, report
    assert result.differences == [] and result.evidence_hash == result.reference_evidence_hash
    assert result.counts["articles"] == 13 and result.counts["messages"] == 12
    assert started and not [p for p in started if _alive(p)]  # torn down
    left = dr._query(
        "postgres", "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"%_{os.getpid()}_%",)
    )
    assert left == []  # the run's metadata database was dropped
