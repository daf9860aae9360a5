"""The nightly DAG: its shape (DagBag), one whole run with ``dag.test()`` on the demo corpus
with the warehouse checked, and the pieces a night depends on (per-outlet outlets files,
the export window, the failure callback).

`airflow dags test` through ``foiatrace demo`` is tested in
``tests/test_pipeline.py::test_nightly_dag_runs_through_airflow``; the CeleryExecutor run
in ``tests/test_distributed.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from foiatrace import dag_tasks

REPO = Path(__file__).resolve().parents[1]
WRITERS = {"ingest", "crawl_plan", "load_crawl", "embed_plan", "load_embeddings", "match"} | {
    "export",
    "publish",
}


@pytest.fixture(scope="module")
def dag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    found = bag.dags.get("foiatrace_nightly")
    assert found is not None
    return found


def test_dagbag_shape_mapping_pool_retries(dag: Any) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    ids = {t.task_id for t in dag.tasks}
    assert ids == {"productions", "ingest", "crawl_plan", "crawl", "load_crawl", "match"} | {
        "embed_plan",
        "embed",
        "load_embeddings",
        "export",
        "publish",
    }
    assert dag.max_active_runs == 1 and not dag.catchup
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    # mapped per outlet and per production folder, over the planning tasks' output
    crawl, ingest = dag.get_task("crawl"), dag.get_task("ingest")
    assert type(crawl).__name__ == "DecoratedMappedOperator"
    assert type(ingest).__name__ == "DecoratedMappedOperator"
    assert {t.task_id for t in crawl.upstream_list} == {"crawl_plan"}
    assert {t.task_id for t in ingest.upstream_list} == {"productions"}
    # the embedding mapped per shard of the night's new sentences, after both loads; the
    # embed tasks open no warehouse (not in the pool); zero shards skips them, so what
    # follows triggers on none_failed
    embed = dag.get_task("embed")
    assert type(embed).__name__ == "DecoratedMappedOperator"
    assert {t.task_id for t in embed.upstream_list} == {"embed_plan"}
    assert {t.task_id for t in dag.get_task("embed_plan").upstream_list} == {"load_crawl", "ingest"}
    assert {t.task_id for t in dag.get_task("load_embeddings").upstream_list} == {"embed"}
    for tid in ("embed_plan", "load_embeddings", "match"):
        assert dag.get_task(tid).trigger_rule == "none_failed", tid
    assert [a.name for a in embed.outlets] == ["foiatrace-embed-staging"]
    assert "foiatrace-embeddings" in [a.name for a in dag.get_task("match").inlets]
    # one writer at a time: every task that opens the DuckDB file is in the one pool
    for t in dag.tasks:
        in_pool = t.pool == dag_tasks.WRITER_POOL
        assert in_pool == (t.task_id in WRITERS), t.task_id
        assert t.retries >= 1 and t.retry_exponential_backoff, t.task_id
        assert t.execution_timeout is not None, t.task_id
        assert dag_tasks.record_failure in _callbacks(t), t.task_id
    load = dag.get_task("load_crawl")
    assert {t.task_id for t in load.upstream_list} == {"crawl", "ingest"}
    assert {t.task_id for t in dag.get_task("match").upstream_list} == {"load_embeddings"}
    # assets: the staged crawl is the load's input, the warehouse the export's
    assert [a.name for a in crawl.outlets] == ["foiatrace-crawl-staging"]
    assert [a.name for a in load.inlets] == ["foiatrace-crawl-staging"]
    assert "foiatrace-warehouse" in [a.name for a in dag.get_task("export").inlets]


def _callbacks(task: Any) -> list[Any]:
    cb = task.on_failure_callback
    return list(cb) if isinstance(cb, list | tuple) else [cb]


def test_split_outlets_writes_one_loadable_file_per_outlet(tmp_path: Path) -> None:
    from crawlers.outlets import load_outlets

    src = tmp_path / "outlets.toml"
    src.write_text(
        textwrap.dedent(
            """
            [[outlet]]
            slug = "a"
            name = "A \\"quoted\\" Ünïcode"
            domain = "a.example"
            sitemap = "sitemap.xml"
            rss = ""
            crawl_delay = 0.5
            deny = ["/tag/", "\\\\d{4}"]
            max_requests = 40

            [[outlet]]
            slug = "b"
            name = "B"
            domain = "b.example"
            sitemap = "s.xml"
            rss = "rss.xml"
            """
        ),
        encoding="utf-8",
    )
    slugs = dag_tasks.split_outlets(src, tmp_path / "night")
    assert slugs == ["a", "b"]
    whole = {o.slug: o for o in load_outlets(src)}
    for slug in slugs:
        (one,) = load_outlets(tmp_path / "night" / f"{slug}.toml")
        assert one == whole[slug]


def test_export_window_covers_the_matching_window_of_the_interval() -> None:
    start = datetime(2026, 3, 10, 3, tzinfo=UTC)
    since, until = dag_tasks.export_window(start, start + timedelta(days=1), 30)
    assert (since, until) == (date(2026, 2, 8), date(2026, 3, 11))
    assert dag_tasks.export_window(None, None, 30) == (None, None)


def test_failure_callback_records_the_failed_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse.db import connect

    db = tmp_path / "w.duckdb"
    monkeypatch.setenv("FOIATRACE_DB", str(db))
    monkeypatch.delenv("FOIATRACE_WAREHOUSE", raising=False)

    class TI:
        task_id, map_index, try_number = "crawl", 1, 3

    class Run:
        dag_id = "foiatrace_nightly"

    ctx = {"ti": TI(), "dag_run": Run(), "run_id": "r1", "exception": TimeoutError("site down")}
    dag_tasks.record_failure(ctx)
    dag_tasks.record_failure({})  # a context without anything still must not raise
    con = connect(db, read_only=True)
    runs = con.execute("SELECT step, status, stats FROM runs WHERE step = 'dag:crawl'").fetchall()
    errs = con.execute("SELECT step, source, reason, detail FROM errors").fetchall()
    con.close()
    assert [(s, st) for s, st, _ in runs] == [("dag:crawl", "failed")]
    assert ("dag:crawl", "foiatrace_nightly.crawl[1]", "TimeoutError") in [e[:3] for e in errs]
    detail = json.loads(next(e[3] for e in errs if e[2] == "TimeoutError"))
    assert detail["try_number"] == 3 and "site down" in detail["exception"]


_DAG_TEST = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder=sys.argv[1]).dags["foiatrace_nightly"]
from datetime import UTC, datetime, timedelta
first = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
out = []
for night in (first, first + timedelta(days=1)):  # the second night finds nothing new
    run = dag.test(logical_date=night, run_conf={"export_window": "all"})
    tis = sorted((ti.task_id, ti.map_index, str(ti.state)) for ti in run.get_task_instances())
    out.append({"state": str(run.state), "tis": tis})
print(json.dumps(out))
"""


def test_whole_dag_runs_with_dag_test_on_the_demo(tmp_path: Path) -> None:
    """``dag.test()`` in a fresh process (its own AIRFLOW_HOME, SQLite metadata) on the demo
    corpus, two nights: every task instance succeeds, the crawl is mapped over the 3
    outlets and the embedding over 2 shards, the match embeds nothing itself, and the
    warehouse holds what the demo's one-process pipeline stores. The second night has
    nothing new: zero shards, the mapped embed skipped, the match still run."""
    from crawlers.serve import serve_site
    from foiatrace.demo_run import DEMO_DIR, airflow_env, demo_settings, setup_commands
    from warehouse.db import connect

    db = tmp_path / "dag.duckdb"
    home = tmp_path / "airflow"
    with serve_site(DEMO_DIR / "site") as base_url:
        settings = demo_settings(db, base_url)
        env = airflow_env(home, settings)
        env.pop("FOIATRACE_WAREHOUSE", None)
        env.update(FOIATRACE_EMBED_SHARDS="2", FOIATRACE_EMBED_SHARD_MIN="1")  # demo: ~300
        airflow = Path(sys.executable).with_name("airflow")
        for _, cmd in setup_commands(airflow):
            subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)
        proc = subprocess.run(
            [sys.executable, "-c", _DAG_TEST, str(REPO / "dags")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out, again = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["state"] == "success", out
    assert all(state == "success" for _, _, state in out["tis"]), out["tis"]
    crawl_maps = sorted(i for t, i, _ in out["tis"] if t == "crawl")
    assert crawl_maps == [0, 1, 2]
    embed_maps = sorted(i for t, i, _ in out["tis"] if t == "embed")
    assert embed_maps == [0, 1], out["tis"]  # FOIATRACE_EMBED_SHARDS=2, a shard of >= 1
    # the second night: nothing new to embed, the mapped embed expands to nothing and is
    # skipped; load_embeddings and match still run (none_failed)
    assert again["state"] == "success", again
    states = {(t, i): st for t, i, st in again["tis"]}
    assert states.pop(("embed", -1)) == "skipped", again["tis"]
    assert all(st == "success" for st in states.values()), again["tis"]

    con = connect(db, read_only=True)
    try:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        assert one("SELECT count(*) FROM messages") == 12
        assert one("SELECT count(*) FROM articles") == 13
        assert one("SELECT count(DISTINCT outlet) FROM articles") == 3
        assert one("SELECT count(*) FROM errors") == 0
        assert one("SELECT count(*) FROM evidence") > 0
        runs = con.execute("SELECT step, status, stats FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    steps = [(step, status) for step, status, _ in runs]
    assert steps == [("ingest", "ok"), ("crawl", "ok"), ("match", "ok")] * 2
    matched = [json.loads(st) for step, _, st in runs if step == "match"]
    # the shards filled the cache: neither night's match embedded anything itself
    assert [m["embeddings_computed"] for m in matched] == [0, 0], matched
    assert matched[0]["disclosures"] > 0 and matched[1]["pairs_weighed"] == 0
    # every outlet kept its own WARC each night, each packaged; the staging folder (crawl
    # outputs, embedding shards and vectors) was emptied
    wacz = sorted(p.name for p in (tmp_path / "archive").glob("*.wacz"))
    assert len(wacz) == 3 * 2 and all("try1" in n for n in wacz), wacz
    assert list(dag_tasks.dag_staging_root(db).glob("*/*")) == []
    exports = sorted(p.suffix for p in (tmp_path / "exports").glob("evidence-*"))
    assert exports == [".csv", ".csv", ".parquet", ".parquet"]  # one pair per night's stamp
    assert os.environ.get("FOIATRACE_DB") != str(db)  # nothing leaked into this process
