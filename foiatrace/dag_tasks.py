"""The nightly DAG's task bodies, kept out of ``dags/`` so the DAG file stays a thin wiring.

Each function takes plain arguments (Airflow passes context values by parameter name:
``run_id``, ``data_interval_start``, ``data_interval_end``, ``ti``, ``params``), returns a
small JSON-able dict (the XCom), and can be called without Airflow (tests, benches).

The shape of a night (``dags/foiatrace_nightly.py``)::

    productions ─► ingest[folder] (mapped) ─► load_crawl, embed_plan
    crawl_plan ─► crawl[outlet] (mapped, no warehouse access) ─► load_crawl ─► embed_plan
    embed_plan ─► embed[shard] (mapped, no warehouse access) ─► load_embeddings ─► match
    match ─► export ─► publish

Why staged crawls: DuckDB has one writing process per file, and a crawl takes long. The plan
task reads what the warehouse has already seen (once, under the writer pool) into the night's
staging folder; every mapped crawl task then runs its outlet's spider against that folder and
writes JSON lines plus its own WARC, touching neither the warehouse nor another outlet's
files, so the crawls can run at once on any worker that sees the folder. One load task
upserts them all (``foiatrace.crawl_step.load_crawl_output``, the CLI's loader). With
``FOIATRACE_WAREHOUSE=ducklake:...`` the crawl tasks write their rows to the shared DuckLake
instead of local files (``warehouse.lake``) and the loader reads them back from there.

The embedding is staged the same way: ``embed_plan`` writes the night's new sentences as
Parquet shards, each mapped ``embed`` task turns one into vectors without the warehouse, and
``load_embeddings`` stores them in the cache the match reads (``foiatrace.embed_step``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import resource
import shutil
import socket
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from foiatrace.config import Settings

log = logging.getLogger("foiatrace")

WRITER_POOL = "foiatrace_warehouse"  # one slot: the tasks that open the DuckDB file
DAG_STAGING = "dag"  # <db dir>/crawl-staging/dag/<night>/: the mapped crawls' outputs
SEEN_FILE = "seen.json"
INDEX_STATE_FILE = "index-state.json"
EMBED_STAGING = "embed"  # <night>/embed/: the embedding shards and their vectors
DONE_SUFFIX = ".done"  # <slug>.done: the spider of that outlet finished (its summary)
# Nightly crawls look back this many days before the data interval when set (the crawl's
# --since); unset, the seen set alone keeps the crawl incremental (the demo's 2020 articles)
LOOKBACK_ENV = "FOIATRACE_CRAWL_LOOKBACK_DAYS"
WORKER_ENV = "FOIATRACE_WORKER_NAME"  # a worker's name, inherited by its task processes


def settings() -> Settings:
    """Environment, overridden by the JSON Airflow Variable ``foiatrace`` when reachable."""
    override = None
    try:
        from airflow.sdk import Variable

        override = Variable.get("foiatrace", default=None, deserialize_json=True)
    except Exception:  # no metadata DB / API reachable (parsing, plain calls): environment only
        override = None
    return Settings.from_env(override=override)


@contextmanager
def measured(stats: dict[str, Any]) -> Iterator[None]:
    """Add ``seconds`` and peak resident memory (this process, and its children such as the
    spider) to ``stats``: the per-task costs docs/scale.md is built from."""
    started = time.monotonic()
    try:
        yield
    finally:
        stats["seconds"] = round(time.monotonic() - started, 3)
        stats["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        stats["children_peak_rss_mb"] = round(children, 1)
        stats["host"] = socket.gethostname()
        stats["pid"] = os.getpid()
        if os.environ.get(WORKER_ENV):  # set per Celery worker by scripts/distributed_run.py
            stats["worker"] = os.environ[WORKER_ENV]


def night_name(run_id: str | None) -> str:
    """A file-name-safe name for one DAG run (``manual__2026-...+00:00`` has ':' and '+')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id or "manual")


def dag_staging_root(db: Path | str) -> Path:
    from foiatrace.crawl_step import staging_dir_for

    return staging_dir_for(db) / DAG_STAGING


def night_dir(db: Path | str, run_id: str | None) -> Path:
    return dag_staging_root(db) / night_name(run_id)


def _toml_value(value: Any) -> str:
    """A TOML literal for the outlet keys' types (strings, numbers, booleans, string lists)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are TOML's basic string's
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ValueError(f"cannot write {type(value).__name__} to an outlets file")


def split_outlets(outlets_file: Path, out_dir: Path) -> list[str]:
    """Write one ``<slug>.toml`` per outlet of ``outlets_file`` (validated by the crawler's
    own loader first); returns the slugs in file order."""
    from crawlers.outlets import load_outlets

    load_outlets(outlets_file)  # a bad file fails here, named, not in N mapped tasks
    tables = tomllib.loads(Path(outlets_file).read_text(encoding="utf-8"))["outlet"]
    out_dir.mkdir(parents=True, exist_ok=True)
    slugs = []
    for table in tables:
        slug = str(table["slug"]).strip()
        lines = ["[[outlet]]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        (out_dir / f"{slug}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        slugs.append(slug)
    return slugs


# -- tasks ---------------------------------------------------------------------------------------


def productions() -> list[str]:
    """The production folders to ingest, one mapped ``ingest`` task each."""
    return [str(p) for p in settings().productions]


def allow_child_processes() -> None:
    """Let this task process start multiprocessing children (ingest's parse worker).

    A Celery prefork worker's pool processes are daemonic and Airflow forks each task's
    process from one, so multiprocessing refuses ``Process.start()`` there ("daemonic
    processes are not allowed to have children"). The task process is a fresh fork that
    Airflow's supervisor waits for and kills as a group, so clearing the inherited flag
    is safe."""
    import multiprocessing as mp

    proc = mp.current_process()
    if proc.daemon:
        proc._config["daemon"] = False  # type: ignore[attr-defined]


def ingest(folder: str) -> dict[str, Any]:
    """One production folder into the warehouse (a writer: runs in ``WRITER_POOL``)."""
    from foiatrace.ingest_step import ingest as ingest_step

    allow_child_processes()
    s = settings()
    stats: dict[str, Any] = {}
    with measured(stats):
        res = ingest_step(
            s.db, [Path(folder)], s.production, timezone=s.timezone, known_zones=s.known_zones
        )
        stats.update({k: v for k, v in res.items() if k != "error_list"})
        stats["errors_listed"] = len(res.get("error_list", []))
    return stats


def crawl_plan(run_id: str | None = None) -> list[str]:
    """Prepare the night's staging folder: one outlets file per outlet, and what the
    warehouse has already seen (URLs with their validators, sitemap and feed state), read
    once here so the mapped crawls never open the warehouse. Returns the outlet slugs."""
    from warehouse import articles as article_store
    from warehouse import lake
    from warehouse.db import connect, lock_wait_seconds

    s = settings()
    if not s.outlets:
        log.info("crawl_plan: no FOIATRACE_OUTLETS configured: nothing to crawl")
        return []
    cfg = lake.configured(s.db)
    if cfg is not None:  # catalog and tables made once, before the crawls write at once
        lake.initialize(cfg)
    night = night_dir(s.db, run_id)
    night.mkdir(parents=True, exist_ok=True)
    slugs = split_outlets(s.outlets, night)
    if Path(s.db).exists():
        con = connect(s.db, read_only=True, lock_wait=lock_wait_seconds())
        try:
            seen = article_store.crawl_state(con)
            index_state = article_store.index_state(con)
        finally:
            con.close()
    else:
        seen, index_state = {}, {}
    (night / SEEN_FILE).write_text(json.dumps(seen, default=str), encoding="utf-8")
    (night / INDEX_STATE_FILE).write_text(json.dumps(index_state, default=str), encoding="utf-8")
    return slugs


def crawl_since(data_interval_start: datetime | None) -> date | None:
    """The crawl's ``--since``: the interval's start less ``FOIATRACE_CRAWL_LOOKBACK_DAYS``
    (unset: none)."""
    raw = os.environ.get(LOOKBACK_ENV, "").strip()
    if not raw or data_interval_start is None:
        return None
    return (data_interval_start - timedelta(days=int(raw))).date()


def crawl_outlet(
    outlet: str,
    run_id: str | None = None,
    data_interval_start: datetime | None = None,
    ti: Any = None,
) -> dict[str, Any]:
    """Crawl one outlet into the night's staging folder (JSON lines + its own WARC).

    A retry starts the outlet over (its earlier output is discarded; its WARC, named by
    try, is repaired and packaged by the loader). No warehouse access: mapped crawls run
    at once on any worker that sees the staging and archive folders."""
    from crawlers.items import discovery_file_for
    from crawlers.run import crawl as run_spider
    from foiatrace.crawl_step import archive_dir_for
    from warehouse import lake

    s = settings()
    night = night_dir(s.db, run_id)
    out = night / f"{outlet}.jsonl"
    done = night / f"{outlet}{DONE_SUFFIX}"
    for stale in (out, discovery_file_for(out), done):
        stale.unlink(missing_ok=True)
    try_number = int(getattr(ti, "try_number", 1) or 1)
    archive = archive_dir_for(s.db)
    archive.mkdir(parents=True, exist_ok=True)
    stats: dict[str, Any] = {"outlet": outlet, "try": try_number}
    with measured(stats):
        seen = json.loads((night / SEEN_FILE).read_text(encoding="utf-8"))
        index_state = json.loads((night / INDEX_STATE_FILE).read_text(encoding="utf-8"))
        summary = run_spider(
            night / f"{outlet}.toml",
            out,
            base_url=s.base_url,
            since=crawl_since(data_interval_start),
            seen=seen,
            archive_dir=archive,
            archive_name=f"{night.name}-{outlet}-try{try_number}.warc.gz",
            quiet=True,
            index_state=index_state,
        )
        stats.update(
            articles=summary.articles,
            errors=summary.errors,
            discovered=summary.discovered,
            skipped_seen=summary.skipped_seen,
            archived=summary.archived,
            archive_file=summary.archive_file,
            spider_seconds=summary.elapsed_s,
        )
        cfg = lake.configured(s.db)
        if cfg is not None:  # rows go to the shared lake; the local files are let go
            stats["lake"] = lake.stage_crawl_output(cfg, night.name, outlet, try_number, out)
            out.unlink(missing_ok=True)
            discovery_file_for(out).unlink(missing_ok=True)
    done.write_text(json.dumps(stats, default=str), encoding="utf-8")
    return stats


def _load_folder(
    con: Any, folder: Path, run_id: str, provisional: set[str]
) -> tuple[dict[str, int], set[str]]:
    """Load every outlet output of one night folder; returns summed counts and the URLs
    that came from outputs without their ``.done`` marker (a spider killed midway)."""
    from foiatrace.crawl_step import discard_crawl_output, load_crawl_output

    totals: dict[str, int] = {}
    unfinished: set[str] = set()
    for out in sorted(folder.glob("*.jsonl")):
        res = load_crawl_output(con, out, run_id, provisional=provisional)
        if not out.with_suffix(DONE_SUFFIX).exists():
            unfinished.update(res["article_urls"])
        for key, value in res.items():
            if isinstance(value, int):
                totals[key] = totals.get(key, 0) + value
        discard_crawl_output(out)
    return totals, unfinished


def load_crawl(
    staged: list[dict[str, Any]] | None = None, run_id: str | None = None
) -> dict[str, Any]:
    """Upsert every staged crawl output of the night into the warehouse (the one writer).

    Outputs of earlier nights whose load never ran (a failed DAG run) are loaded first,
    oldest first; articles that came from a spider killed midway are marked provisional so
    tonight's re-fetch of them replaces what they took from an incomplete discovery. Then
    syndication is recomputed and the WARCs (tonight's and any repaired ones) packaged."""
    from crawlers.archive import repair_open_files
    from foiatrace.crawl_step import archive_dir_for, package_archives, update_syndication
    from warehouse import lake
    from warehouse.db import connect
    from warehouse.runs import step_run

    s = settings()
    root = dag_staging_root(s.db)
    tonight = night_dir(s.db, run_id)
    cfg = lake.configured(s.db)
    stats: dict[str, Any] = {"outlets_staged": len(staged or [])}
    with measured(stats):
        if cfg is not None:  # the lake's rows back as the files the loader reads
            stats["from_lake"] = lake.materialize_crawl_output(cfg, tonight.name, tonight)
        archive = archive_dir_for(s.db)
        archive.mkdir(parents=True, exist_ok=True)
        con = connect(s.db)
        try:
            with step_run(con, "crawl") as run:
                repaired = repair_open_files(archive)
                earlier = sorted(
                    (p for p in root.glob("*") if p.is_dir() and p != tonight),
                    key=lambda p: p.stat().st_mtime,
                )
                provisional: set[str] = set()
                resumed = 0
                for folder in earlier:
                    counts, unfinished = _load_folder(con, folder, run.id, set())
                    resumed += counts.get("articles", 0)
                    provisional |= unfinished
                    shutil.rmtree(folder, ignore_errors=True)
                counts, _ = _load_folder(con, tonight, run.id, provisional)
                run.stats.update(counts)
                run.stats.update(
                    resumed=resumed,
                    refetched_provisional=len(provisional),
                    outlets=len(staged or []),
                    syndicated_copies=update_syndication(con),
                    wacz_files=[p.name for p in package_archives(con, archive)],
                    repaired_archives=[p.name for p in repaired],
                )
        finally:
            con.close()
        if cfg is not None:
            lake.mark_loaded(cfg, tonight.name)
        shutil.rmtree(tonight, ignore_errors=True)
        stats.update(run.stats)
    return stats


def embed_dir(db: Path | str, run_id: str | None) -> Path:
    """The night's embedding shards and their vectors: ``<night>/embed/``."""
    return night_dir(db, run_id) / EMBED_STAGING


def embed_plan(run_id: str | None = None) -> list[str]:
    """Write the night's new sentences (those the match will ask for whose vector is not
    cached) as shards in ``<night>/embed/`` (``foiatrace.embed_step.plan_shards``); returns
    the shard file names, one mapped ``embed`` task each (none: nothing new, the mapped task
    expands to zero instances and is skipped). Reads the warehouse: in the writer pool,
    since a reader is locked out while a writer has the file."""
    from foiatrace.embed_step import plan_shards
    from warehouse.db import connect, lock_wait_seconds

    s = settings()
    stats: dict[str, Any] = {}
    with measured(stats):
        if Path(s.db).exists():
            con = connect(s.db, read_only=True, lock_wait=lock_wait_seconds())
            try:
                stats.update(plan_shards(con, embed_dir(s.db, run_id), window_days=s.window_days))
            finally:
                con.close()
        else:
            stats["shards"] = []
    log.info("embed_plan: %s", {k: v for k, v in stats.items() if k != "shards"})
    return list(stats["shards"])


def embed_shard(shard: str, run_id: str | None = None) -> dict[str, Any]:
    """Embed one shard of the night's new sentences into ``<shard>.vectors.parquet``. Opens
    no warehouse (the parallel, heavy part: on Kubernetes the GPU pod); a retry redoes it."""
    from foiatrace.embed_step import embed_shard as embed_one

    s = settings()
    stats: dict[str, Any] = {}
    with measured(stats):
        stats.update(embed_one(embed_dir(s.db, run_id) / shard))
    return stats


def load_embeddings(run_id: str | None = None) -> dict[str, Any]:
    """Store the night's staged vectors in the ``embeddings`` cache (the one writer), then
    let the staging go. Idempotent: a stored vector is kept, so a re-run adds nothing."""
    from foiatrace.embed_step import load_vectors
    from warehouse.db import connect
    from warehouse.runs import transaction

    s = settings()
    folder = embed_dir(s.db, run_id)
    stats: dict[str, Any] = {}
    with measured(stats):
        if folder.is_dir():
            con = connect(s.db)
            try:
                with transaction(con):
                    stats.update(load_vectors(con, folder))
            finally:
                con.close()
            shutil.rmtree(folder, ignore_errors=True)
            night = folder.parent
            if night.is_dir() and not any(night.iterdir()):
                night.rmdir()
        else:
            stats.update(files=0, vectors=0, stored=0)
    return stats


def match() -> dict[str, Any]:
    from foiatrace import pipeline

    s = settings()
    stats: dict[str, Any] = {}
    with measured(stats):
        stats.update(pipeline.match(s.db, window_days=s.window_days))
    return stats


def export_window(
    data_interval_start: datetime | None, data_interval_end: datetime | None, window_days: int
) -> tuple[date | None, date | None]:
    """Emails whose matching window overlaps the data interval: sent from ``window_days``
    before its start to its end. Only their evidence can have changed tonight."""
    if data_interval_start is None or data_interval_end is None:
        return None, None
    since = (data_interval_start - timedelta(days=window_days)).date()
    until = (data_interval_end - timedelta(microseconds=1)).date()
    return since, until


def export(
    data_interval_start: datetime | None = None,
    data_interval_end: datetime | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``evidence-<interval end>.{csv,parquet}``: the evidence of the data interval's
    window (``export_window``), or all of it with the DAG param ``export_window="all"``."""
    from matching.score import default_threshold
    from warehouse.db import connect, lock_wait_seconds
    from warehouse.export import export_evidence

    s = settings()
    if not s.export_dir:
        return {"skipped": "no FOIATRACE_EXPORT_DIR configured"}
    whole = (params or {}).get("export_window", "interval") == "all"
    since, until = (
        (None, None)
        if whole
        else export_window(data_interval_start, data_interval_end, s.window_days)
    )
    stamp = (data_interval_end or datetime.now()).strftime("%Y-%m-%d")
    threshold = default_threshold()
    stats: dict[str, Any] = {"since": str(since), "until": str(until), "threshold": threshold}
    with measured(stats):
        con = connect(s.db, read_only=True, lock_wait=lock_wait_seconds())
        try:
            files = {}
            for fmt in ("csv", "parquet"):
                path = Path(s.export_dir) / f"evidence-{stamp}.{fmt}"
                files[str(path)] = export_evidence(
                    con, fmt, path, threshold, since=since, until=until
                )
        finally:
            con.close()
        stats["files"] = files
    return stats


def publish() -> dict[str, Any]:
    from warehouse.publish import default_snapshot_dir
    from warehouse.publish import publish as publish_snapshot

    s = settings()
    stats: dict[str, Any] = {}
    with measured(stats):
        res = publish_snapshot(s.db, default_snapshot_dir(s.db))
        stats.update({k: res[k] for k in ("snapshot", "rows", "bytes")})
    return stats


# -- failure callback ---------------------------------------------------------------------------


def record_failure(context: dict[str, Any]) -> None:
    """``on_failure_callback``: a ``runs`` row (``failed``) and an ``errors`` row naming the
    task, try and exception, so a failed night is visible in the warehouse, not only in
    Airflow's logs. With a DuckLake warehouse the row goes to the lake (any worker can write
    it). Never raises: a callback that fails hides the task's own error."""
    try:
        ti = context.get("ti") or context.get("task_instance")
        task_id = getattr(ti, "task_id", "?")
        map_index = getattr(ti, "map_index", -1)
        source = f"{context.get('dag_run').dag_id if context.get('dag_run') else 'dag'}." + (
            f"{task_id}[{map_index}]" if map_index is not None and map_index >= 0 else task_id
        )
        exc = context.get("exception")
        reason = type(exc).__name__ if exc is not None else "failed"
        detail = {
            "run_id": context.get("run_id"),
            "try_number": getattr(ti, "try_number", None),
            "exception": str(exc)[:2000] if exc is not None else None,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        record_task_failure(f"dag:{task_id}", source, reason, detail)
    except Exception:  # noqa: BLE001 - logged; the task's own failure is what matters
        log.exception("record_failure: could not record the failed task")


def record_task_failure(step: str, source: str, reason: str, detail: dict[str, Any]) -> None:
    """Write the failed task's ``runs`` and ``errors`` rows (or the lake's failure row)."""
    from warehouse import lake
    from warehouse.db import connect
    from warehouse.runs import finish_run, record_error, start_run

    cfg = lake.configured()
    if cfg is not None:
        lake.record_failure(cfg, step, source, reason, detail)
        return
    s = settings()
    con = connect(s.db, lock_wait=60)
    try:
        run_id = start_run(con, step)
        finish_run(con, run_id, {"source": source, **detail}, status="failed")
        record_error(con, step, source, reason, json.dumps(detail, default=str), run_id)
    finally:
        con.close()
