"""The crawl step: Scrapy in a subprocess, its staged JSON lines into the warehouse.

State lives beside the warehouse so that a killed run costs nothing it had finished:

- ``<db dir>/crawl-staging/<run id>.jsonl``: the spider flushes one line per item; the
  file is deleted only after it is loaded. A run killed midway leaves it behind and the
  next run loads it *before* computing what has been seen, so nothing stored is fetched
  again.
- ``<db dir>/archive/<run id>.warc.gz``: every response of the run (WARC, sha256
  digests). A killed run's ``*.warc.gz.open`` file is cut back to its last complete
  record and published by the next run. ``FOIATRACE_ARCHIVE_DIR`` or ``archive_dir``
  moves it (a bigger disk, object storage mounted as a folder).

The warehouse connection is not held while Scrapy runs: DuckDB has one writer per file,
and a crawl can take hours.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import date
from pathlib import Path
from typing import Any

from warehouse import articles as article_store
from warehouse import load
from warehouse.db import connect, default_db_path

log = logging.getLogger("foiatrace")

STAGING_DIRNAME = "crawl-staging"
ARCHIVE_DIRNAME = "archive"


def archive_dir_for(db: Path | str | None) -> Path:
    """``FOIATRACE_ARCHIVE_DIR``, else ``archive/`` beside the warehouse file."""
    env = os.environ.get("FOIATRACE_ARCHIVE_DIR", "").strip()
    if env:
        return Path(env)
    db_path = Path(db) if db is not None else default_db_path()
    return db_path.resolve().parent / ARCHIVE_DIRNAME


def staging_dir_for(db: Path | str | None) -> Path:
    db_path = Path(db) if db is not None else default_db_path()
    return db_path.resolve().parent / STAGING_DIRNAME


def crawl(
    db: Path | str | None,
    outlets_file: Path | str,
    base_url: str | None = None,
    since: date | None = None,
    *,
    staging_dir: Path | None = None,
    archive_dir: Path | None = None,
    syndication: bool = True,
    quiet: bool = False,
) -> dict[str, Any]:
    """Crawl the outlets (in a Scrapy subprocess), then load what it staged.

    Leftovers of a killed run are loaded first (``resumed`` in the stats); the seen set
    sent to the spider carries each URL's last known date and HTTP validators.
    """
    from crawlers.archive import repair_open_files
    from crawlers.run import crawl as run_spider

    staging = Path(staging_dir) if staging_dir else staging_dir_for(db)
    archive = Path(archive_dir) if archive_dir else archive_dir_for(db)
    staging.mkdir(parents=True, exist_ok=True)
    archive.mkdir(parents=True, exist_ok=True)

    con = connect(db)
    run_id = load.start_run(con, "crawl")
    try:
        repaired = repair_open_files(archive)
        resumed = 0
        for leftover in sorted(staging.glob("*.jsonl")):
            log.info("crawl: loading %s left by an interrupted run", leftover.name)
            resumed += load_crawl_output(con, leftover, run_id)["articles"]
            leftover.unlink()
        seen = article_store.crawl_state(con)
    except Exception as exc:
        load.finish_run(con, run_id, {"exception": repr(exc)}, status="failed")
        con.close()
        raise
    con.close()

    out = staging / f"{run_id}.jsonl"
    try:
        summary = run_spider(
            Path(outlets_file),
            out,
            base_url=base_url,
            since=since,
            seen=seen,
            archive_dir=archive,
            archive_name=f"{run_id}.warc.gz",
            quiet=quiet,
        )
    except Exception as exc:
        con = connect(db)
        try:
            # what the spider staged before failing is still good: keep it for next time
            load.finish_run(con, run_id, {"exception": repr(exc)}, status="failed")
        finally:
            con.close()
        raise

    con = connect(db)
    try:
        stats = load_crawl_output(con, out, run_id)
        out.unlink(missing_ok=True)
        if syndication:
            stats["syndicated_copies"] = update_syndication(con)
        stats.update(
            resumed=resumed,
            discovered=summary.discovered,
            skipped_seen=summary.skipped_seen,
            skipped_since=summary.skipped_since,
            not_modified=summary.not_modified,
            blocked=summary.blocked,
            archived=summary.archived,
            archive_file=summary.archive_file,
            repaired_archives=[p.name for p in repaired],
        )
        load.finish_run(con, run_id, stats)
    except Exception as exc:
        load.finish_run(con, run_id, {"exception": repr(exc)}, status="failed")
        raise
    finally:
        con.close()
    return stats


def update_syndication(con: Any) -> int:
    """Recompute the syndication groups over each URL's newest version."""
    from crawlers.syndication import METHOD, as_rows, find_copies

    copies = find_copies(article_store.latest_texts(con))
    return article_store.replace_syndication(con, as_rows(copies), METHOD)


def load_crawl_output(con: Any, path: Path, run_id: str | None = None) -> dict[str, Any]:
    """Upsert a crawl's staged JSON lines: articles as versions, failures as errors.

    Idempotent: loading the same file twice stores nothing twice (a load killed halfway
    is simply repeated by the next run).
    """
    articles: list[dict[str, Any]] = []
    states: list[dict[str, Any]] = []
    errors = 0
    error_list: list[str] = []
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # the last line of a killed run may be cut short
                kind = rec.pop("type", "article")
                if kind == "error":
                    errors += 1
                    error_list.append(f"{rec.get('url')}: {rec.get('reason')}")
                    load.record_error(
                        con,
                        "crawl",
                        rec.get("url") or "?",
                        rec.get("reason") or "",
                        json.dumps(rec),
                        run_id,
                    )
                elif kind == "not_modified":
                    states.append({**rec, "http_status": 304})
                else:
                    articles.append(rec)
    res = load.upsert_article_versions(con, articles)
    article_store.upsert_crawl_state(con, [*articles, *states])
    for e in error_list:
        log.warning("crawl: %s", e)
    return {
        "articles": len(articles),
        **res,
        "not_modified": len(states),
        "errors": errors,
        "error_list": error_list,
    }
