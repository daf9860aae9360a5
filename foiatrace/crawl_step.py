"""The crawl step: Scrapy in a subprocess, then its staged JSON lines into the warehouse."""

from __future__ import annotations

import json
import logging
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from warehouse import load
from warehouse.db import connect

log = logging.getLogger("foiatrace")


def crawl(
    db: Path | str | None,
    outlets_file: Path | str,
    base_url: str | None = None,
    since: date | None = None,
    *,
    staging_dir: Path | None = None,
) -> dict[str, Any]:
    """Crawl the outlets (in a Scrapy subprocess), then load what it staged."""
    from crawlers.run import crawl as run_spider

    con = connect(db)
    run_id = load.start_run(con, "crawl")
    try:
        seen = load.seen_articles(con)
        with tempfile.TemporaryDirectory(dir=staging_dir) as tmp:
            out = Path(tmp) / "crawl.jsonl"
            summary = run_spider(Path(outlets_file), out, base_url=base_url, since=since, seen=seen)
            stats = load_crawl_output(con, out, run_id)
        stats.update(
            discovered=getattr(summary, "discovered", None),
            skipped_seen=getattr(summary, "skipped_seen", None),
        )
        load.finish_run(con, run_id, stats)
    except Exception as exc:
        load.finish_run(con, run_id, {"exception": repr(exc)}, status="failed")
        raise
    finally:
        con.close()
    return stats


def load_crawl_output(con: Any, path: Path, run_id: str | None = None) -> dict[str, Any]:
    """Upsert a crawl's staged JSON lines: articles as versions, failures as errors."""
    articles: list[dict[str, Any]] = []
    errors = 0
    error_list: list[str] = []
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                rec = json.loads(line)
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
                else:
                    articles.append(rec)
    res = load.upsert_article_versions(con, articles)
    for e in error_list:
        log.warning("crawl: %s", e)
    return {"articles": len(articles), **res, "errors": errors, "error_list": error_list}
