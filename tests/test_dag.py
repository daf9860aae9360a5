"""The nightly DAG: imports cleanly, has retries, and runs for real (`airflow dags test`)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_dagbag_imports_without_errors() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    dag = bag.dags.get("foiatrace_nightly")
    assert dag is not None
    assert [t.task_id for t in dag.topological_sort()] == [
        "ingest",
        "crawl",
        "match",
        "export",
        "publish",
    ]
    for t in dag.tasks:
        assert t.retries >= 1, t.task_id
    assert dag.max_active_runs == 1 and not dag.catchup
