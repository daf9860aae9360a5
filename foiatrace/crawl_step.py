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
- ``<db dir>/archive/<run id>.wacz``: the same WARC packaged as a WACZ 1.1.1 (CDXJ index,
  pages, sha256 manifest; ``crawlers.wacz``) once the run is loaded; a WARC left without
  its WACZ (a killed run) is packaged by the next run.
- ``<db dir>/crawl-staging/crawl.lock``: held (``flock``) for the whole run, so two crawls
  of one warehouse never share the staging folder, and a ``runs`` row still ``running``
  when the lock is taken belongs to a killed run: it is marked ``interrupted``.

The warehouse connection is not held while Scrapy runs: DuckDB has one writer per file,
and a crawl can take hours.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from crawlers.items import DISCOVERY_SUFFIX, discovery_file_for
from warehouse import articles as article_store
from warehouse import load
from warehouse.db import connect, default_db_path
from warehouse.runs import mark_interrupted, step_run

log = logging.getLogger("foiatrace")

STAGING_DIRNAME = "crawl-staging"
ARCHIVE_DIRNAME = "archive"
LOCK_NAME = "crawl.lock"


class CrawlBusyError(RuntimeError):
    """Another crawl of the same warehouse is running (it holds the staging lock)."""


@contextmanager
def crawl_lock(staging: Path) -> Iterator[None]:
    """Hold ``<staging>/crawl.lock`` for a run; released by the kernel if the run is killed."""
    path = Path(staging) / LOCK_NAME
    fh = path.open("a+")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrawlBusyError(f"another crawl holds {path}") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        fh.close()  # closing the file releases the lock


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

    Leftovers of a killed run are loaded first (``resumed`` in the stats) and its ``runs``
    row is marked ``interrupted``; the seen set sent to the spider carries each URL's last
    known date and HTTP validators, the index state each sitemap's and feed's validators
    and last parsed entries. Raises ``CrawlBusyError`` when another crawl of the same
    warehouse is running.
    """
    staging = Path(staging_dir) if staging_dir else staging_dir_for(db)
    archive = Path(archive_dir) if archive_dir else archive_dir_for(db)
    staging.mkdir(parents=True, exist_ok=True)
    archive.mkdir(parents=True, exist_ok=True)
    with crawl_lock(staging):
        return _crawl_locked(
            db, outlets_file, base_url, since, staging, archive, syndication, quiet
        )


def _crawl_locked(
    db: Path | str | None,
    outlets_file: Path | str,
    base_url: str | None,
    since: date | None,
    staging: Path,
    archive: Path,
    syndication: bool,
    quiet: bool,
) -> dict[str, Any]:
    from crawlers.archive import repair_open_files
    from crawlers.run import crawl as run_spider

    with step_run(lambda: connect(db), "crawl") as run:
        run_id = run.id
        con = connect(db)
        try:
            # killed crawls: closed on opening (their process is gone) or still open here
            interrupted = sorted(
                {*run.interrupted.get("crawl", []), *mark_interrupted(con, "crawl", run_id)}
            )
            repaired = repair_open_files(archive)
            resumed = 0
            provisional: set[str] = set()
            for leftover in sorted(staging.glob("*.jsonl")):
                log.info("crawl: loading %s left by an interrupted run", leftover.name)
                loaded = load_crawl_output(con, leftover, run_id)
                resumed += loaded["articles"]
                provisional.update(loaded["article_urls"])
                discard_crawl_output(leftover)
            for orphan in staging.glob(f"*.jsonl{DISCOVERY_SUFFIX}"):
                if not orphan.with_suffix("").exists():  # its items were loaded
                    orphan.unlink()
            seen = article_store.crawl_state(con)
            # A killed crawl's items took their provenance from the sitemap and feed entries
            # merged before the kill, and the corrections it never wrote are lost: they are
            # fetched again in full (not skipped as seen, not asked conditionally), and the
            # complete merge of this run replaces what the leftovers stored. Why a re-fetch
            # rather than re-deriving from the stored row: the page's own dates are not kept
            # apart from the merged ones. The cost is one request per item a kill left.
            # (A kill of this run too leaves the items it did not re-fetch as they are.)
            for url in provisional:
                seen.pop(url, None)
            index_state = article_store.index_state(con)
        finally:
            con.close()

        # The spider runs in its own process and writes JSON lines (the warehouse is let go
        # meanwhile); what it staged before failing is still good: kept for next time.
        out = staging / f"{run_id}.jsonl"
        summary = run_spider(
            Path(outlets_file),
            out,
            base_url=base_url,
            since=since,
            seen=seen,
            archive_dir=archive,
            archive_name=f"{run_id}.warc.gz",
            quiet=quiet,
            index_state=index_state,
        )

        con = connect(db)
        try:
            stats = load_crawl_output(con, out, run_id, provisional=provisional)
            stats.pop("article_urls")  # for the resume above; the run's stats stay small
            stats["refetched_provisional"] = len(provisional)
            discard_crawl_output(out)
            if syndication:
                stats["syndicated_copies"] = update_syndication(con)
            packaged = package_archives(con, archive)
        finally:
            con.close()
        stats.update(
            resumed=resumed,
            interrupted_runs=interrupted,
            discovered=summary.discovered,
            skipped_seen=summary.skipped_seen,
            skipped_since=summary.skipped_since,
            not_modified=summary.not_modified,
            index_fetched=summary.index_fetched,
            index_not_modified=summary.index_not_modified,
            blocked=summary.blocked,
            archived=summary.archived,
            archive_file=summary.archive_file,
            repaired_archives=[p.name for p in repaired],
            wacz_files=[p.name for p in packaged],
        )
        run.stats = stats
    return stats


def package_archives(con: Any, archive: Path) -> list[Path]:
    """Package every closed WARC of ``archive`` that has no WACZ yet (this run's, and
    those of killed runs), its pages titled from the article versions it holds."""
    from crawlers.wacz import unpackaged, write_wacz

    return [
        write_wacz(warc, titles=article_store.archived_titles(con, warc.name))
        for warc in unpackaged(archive)
    ]


def update_syndication(con: Any) -> int:
    """Recompute the syndication groups over each URL's newest version."""
    from crawlers.syndication import METHOD, as_rows, find_copies

    copies = find_copies(article_store.latest_texts(con))
    return article_store.replace_syndication(con, as_rows(copies), METHOD)


def discard_crawl_output(path: Path) -> None:
    """Delete a loaded crawl output, then its discovery corrections (in that order: a
    kill in between leaves only the side file, never items without their corrections)."""
    path.unlink(missing_ok=True)
    discovery_file_for(path).unlink(missing_ok=True)


def read_discovery_corrections(
    path: Path,
) -> tuple[dict[tuple[str, str | None], dict[str, Any]], dict[str, dict[str, Any]]]:
    """The corrections in ``<path>.discovery``: article fields by (url, fetched_url),
    not-modified fields by url; the last line for an item wins (each holds the whole
    merge as it then stood). No file (nothing to correct, or a killed crawl's output
    from before this existed): nothing."""
    articles: dict[tuple[str, str | None], dict[str, Any]] = {}
    not_modified: dict[str, dict[str, Any]] = {}
    side = discovery_file_for(path)
    if not side.exists():
        return articles, not_modified
    with side.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # the last line of a killed run may be cut short
            if not isinstance(rec, dict) or not rec.get("url"):
                continue
            kind, url, fetched = rec.pop("type", None), rec.pop("url"), rec.pop("fetched_url", None)
            if kind == "article":
                articles[(url, fetched)] = rec
            elif kind == "not_modified":
                not_modified[url] = rec
    return articles, not_modified


def load_crawl_output(
    con: Any, path: Path, run_id: str | None = None, provisional: Collection[str] = ()
) -> dict[str, Any]:
    """Upsert a crawl's staged JSON lines: articles as versions, failures as errors.

    What an item took from its sitemap/feed discovery is first replaced by the spider's
    corrections (``<path>.discovery``, ``read_discovery_corrections``): an entry merged
    after the article was fetched changes its ``discovered_via``, ``discovered_lastmod``
    and date or title fallbacks, so what is stored does not depend on which response
    arrived first. Without the file (a killed crawl that corrected nothing, or an older
    staged file) the items are loaded as they are.

    ``provisional``: URLs whose stored version came from a killed crawl's leftovers; a
    re-fetch of the same text replaces their discovery-derived fields (title, dates and
    their sources, ``discovered_via``) instead of only refreshing the fetch time.

    Idempotent: loading the same file twice stores nothing twice (a load killed halfway
    is simply repeated by the next run).
    """
    articles: list[dict[str, Any]] = []
    states: list[dict[str, Any]] = []
    index_states: list[dict[str, Any]] = []
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
                elif kind == "index":
                    index_states.append(rec)
                else:
                    articles.append(rec)
    fixes, state_fixes = read_discovery_corrections(path)
    corrected = 0
    for rec in articles:
        fix = fixes.get((rec.get("url"), rec.get("fetched_url")))
        if fix:
            rec.update(fix)
            corrected += 1
    for rec in states:
        fix = state_fixes.get(rec.get("url"))
        if fix:
            rec.update(fix)
            corrected += 1
    res = load.upsert_article_versions(con, articles, rederive=provisional)
    article_store.upsert_crawl_state(con, [*articles, *states])
    article_store.upsert_index_state(con, index_states)
    for e in error_list:
        log.warning("crawl: %s", e)
    return {
        "articles": len(articles),
        "article_urls": sorted({str(a["url"]) for a in articles if a.get("url")}),
        **res,
        "not_modified": len(states),
        "index_states": len(index_states),
        "discovery_corrected": corrected,
        "errors": errors,
        "error_list": error_list,
    }
