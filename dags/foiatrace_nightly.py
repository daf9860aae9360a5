"""Nightly foiatrace run: ingest new productions, crawl the outlets, embed the new
sentences, match what is new, export the evidence of the data interval, publish the
researchers' snapshot.

    productions ─► ingest[folder] (mapped) ─► load_crawl, embed_plan
    crawl_plan ──► crawl[outlet] (mapped, stage only) ─► load_crawl ─► embed_plan
    embed_plan ──► embed[shard] (mapped, stage only) ─► load_embeddings ─► match
    match ─► export ─► publish

A thin file: the task bodies live in ``foiatrace.dag_tasks`` and call the same step
functions as the CLI. The crawl is mapped per outlet and the embedding per shard of the
night's new sentences; neither mapped task opens the warehouse (each stages its output:
JSON lines and its own WARC, or a Parquet file of vectors). The tasks that open the DuckDB
file run in the one-slot pool ``foiatrace_warehouse`` (DuckDB has one writing process per
file and a writer locks readers out). The steps are idempotent (upserts by stable keys), so
a retried task redoes nothing already stored. Failures are recorded in the warehouse
(``dag_tasks.record_failure``). Researchers read the snapshot ``publish`` writes.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import Asset, CronDataIntervalTimetable, Param, TriggerRule, dag, task

from foiatrace import dag_tasks as t

EMAILS = Asset("foiatrace-emails")  # ingest's output, match's input
CRAWL_STAGING = Asset("foiatrace-crawl-staging")  # the mapped crawls' JSON lines + WARCs
ARTICLES = Asset("foiatrace-articles")  # load_crawl's output, match's input
EMBED_STAGING = Asset("foiatrace-embed-staging")  # the shards' sentences and their vectors
EMBEDDINGS = Asset("foiatrace-embeddings")  # load_embeddings' output: the match's cache
WAREHOUSE = Asset("foiatrace-warehouse")  # evidence after match: export, publish read it
SNAPSHOT = Asset("foiatrace-snapshot")  # what researchers open
WRITER = {"pool": t.WRITER_POOL}  # tasks that open the DuckDB file
# Retries for the nightly run (a site down for a minute, a lock held by a reader); the demo
# sets FOIATRACE_DAG_RETRIES=0 so a failure shows at once instead of after the backoff.
RETRIES = int(os.environ.get("FOIATRACE_DAG_RETRIES", "2"))
RETRY_DELAY = timedelta(seconds=float(os.environ.get("FOIATRACE_DAG_RETRY_DELAY_S", "120")))


@dag(
    dag_id="foiatrace_nightly",
    schedule=CronDataIntervalTimetable("0 3 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": RETRIES,
        "retry_delay": RETRY_DELAY,
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timedelta(hours=2),
        "on_failure_callback": t.record_failure,
    },
    params={
        "export_window": Param(
            "interval",
            enum=["interval", "all"],
            description="interval: evidence of emails whose matching window overlaps the "
            "data interval; all: the whole evidence table (the demo)",
        )
    },
    tags=["foiatrace"],
    doc_md=__doc__,
)
def foiatrace_nightly() -> None:
    folders = task(t.productions, task_id="productions")()
    ingested = task(
        t.ingest, task_id="ingest", outlets=[EMAILS], execution_timeout=timedelta(hours=6), **WRITER
    ).expand(folder=folders)

    slugs = task(t.crawl_plan, task_id="crawl_plan", **WRITER)()
    staged = (
        task(t.crawl_outlet, task_id="crawl", outlets=[CRAWL_STAGING], max_active_tis_per_dagrun=8)
        .partial()
        .expand(outlet=slugs)
    )
    loaded = task(
        t.load_crawl,
        task_id="load_crawl",
        inlets=[CRAWL_STAGING],
        outlets=[ARTICLES],
        trigger_rule=TriggerRule.NONE_FAILED,
        **WRITER,
    )(staged)
    # the night's new sentences in shards; zero shards (nothing new) expands to no embed
    # instance (the mapped task is skipped), so the tasks after it trigger on none_failed
    shards = task(
        t.embed_plan,
        task_id="embed_plan",
        inlets=[EMAILS, ARTICLES],
        trigger_rule=TriggerRule.NONE_FAILED,
        **WRITER,
    )()
    embedded = (
        task(
            t.embed_shard,
            task_id="embed",
            outlets=[EMBED_STAGING],
            max_active_tis_per_dagrun=4,
            execution_timeout=timedelta(hours=2),
        )
        .partial()
        .expand(shard=shards)
    )
    stored = task(
        t.load_embeddings,
        task_id="load_embeddings",
        inlets=[EMBED_STAGING],
        outlets=[EMBEDDINGS],
        execution_timeout=timedelta(minutes=30),
        trigger_rule=TriggerRule.NONE_FAILED,
        **WRITER,
    )()
    matched = task(
        t.match,
        task_id="match",
        inlets=[EMAILS, ARTICLES, EMBEDDINGS],
        outlets=[WAREHOUSE],
        execution_timeout=timedelta(hours=4),
        trigger_rule=TriggerRule.NONE_FAILED,
        **WRITER,
    )()
    exported = task(
        t.export,
        task_id="export",
        inlets=[WAREHOUSE],
        execution_timeout=timedelta(minutes=30),
        **WRITER,
    )
    published = task(
        t.publish,
        task_id="publish",
        inlets=[WAREHOUSE],
        outlets=[SNAPSHOT],
        execution_timeout=timedelta(minutes=30),
        **WRITER,
    )

    ingested >> loaded  # one writer after the other: ingest, then the crawl's load
    [ingested, loaded] >> shards  # the plan reads both the new messages and the new articles
    embedded >> stored >> matched
    matched >> exported() >> published()


foiatrace_nightly()
