"""Nightly foiatrace run: ingest new productions, crawl the outlets, match what is new,
export the evidence of the data interval, publish the researchers' snapshot.

A thin file: every task calls the same step function as the CLI (``foiatrace.pipeline``).
The steps are idempotent (upserts by stable keys, content hashes), so a retried or re-run
task redoes nothing already stored. DuckDB has one writer per file, so the writing tasks
run one after another; researchers read the snapshot ``publish`` writes last
(``warehouse.publish``), so their sessions never hold the lock those tasks need.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Asset, CronDataIntervalTimetable, Variable, dag, task

WAREHOUSE = Asset("foiatrace-warehouse")
SNAPSHOT = Asset("foiatrace-snapshot")


def _settings() -> Any:
    from foiatrace.config import Settings

    try:
        override = Variable.get("foiatrace", default=None, deserialize_json=True)
    except Exception:  # no metadata DB reachable (e.g. parsing): environment only
        override = None
    return Settings.from_env(override=override)


@dag(
    dag_id="foiatrace_nightly",
    schedule=CronDataIntervalTimetable("0 3 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["foiatrace"],
    doc_md=__doc__,
)
def foiatrace_nightly() -> None:
    @task
    def ingest() -> dict[str, Any]:
        from foiatrace import pipeline

        s = _settings()
        if not s.productions:
            return {"skipped": "no FOIATRACE_PRODUCTIONS configured"}
        return pipeline.ingest(
            s.db, s.productions, s.production, timezone=s.timezone, known_zones=s.known_zones
        )

    @task
    def crawl() -> dict[str, Any]:
        from foiatrace import pipeline

        s = _settings()
        if not s.outlets:
            return {"skipped": "no FOIATRACE_OUTLETS configured"}
        return pipeline.crawl(s.db, s.outlets, base_url=s.base_url)

    @task(outlets=[WAREHOUSE])
    def match() -> dict[str, Any]:
        from foiatrace import pipeline

        s = _settings()
        return pipeline.match(s.db, window_days=s.window_days)

    @task
    def export(data_interval_end: datetime | None = None) -> dict[str, Any]:
        from foiatrace import pipeline

        s = _settings()
        if not s.export_dir:
            return {"skipped": "no FOIATRACE_EXPORT_DIR configured"}
        stamp = (data_interval_end or datetime.now()).strftime("%Y-%m-%d")
        return pipeline.export(s.db, s.export_dir, stamp)

    @task(outlets=[SNAPSHOT])
    def publish() -> dict[str, Any]:
        from warehouse.publish import default_snapshot_dir
        from warehouse.publish import publish as publish_snapshot

        s = _settings()
        return publish_snapshot(s.db, default_snapshot_dir(s.db))

    ingest() >> crawl() >> match() >> export() >> publish()


foiatrace_nightly()
