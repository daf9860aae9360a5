"""Run a crawl in a child process and collect its items as JSON lines.

Twisted's reactor cannot be restarted, and Airflow's ``dags test`` (and any long-lived
worker) runs many tasks in one process: ``crawl()`` therefore always starts
``python -m crawlers.run`` and reads back the output file and a small summary. Beside
the output, ``<out>.discovery`` may hold corrections of what items took from a sitemap or
feed merged after they were written (``crawlers.items.discovery_file_for``). The
child's log (Scrapy's, at INFO unless ``-q``) is relayed line by line to this
process's ``crawlers.run`` logger. ``FOIATRACE_LOOPBACK_ONLY=1`` in the environment
(tests) makes the child refuse and report any connection off 127.0.0.1
(``crawlers.loopback``; the summary's ``off_loopback``).

    python -m crawlers.run --outlets outlets.toml --out items.jsonl \
        [--base-url http://127.0.0.1:8000] [--since 2019-01-01] [--seen-file seen.json]
        [--index-state-file state.json] [--archive-dir DIR] [-q]
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

log = logging.getLogger("crawlers.run")

PACKAGE_ROOT = Path(__file__).resolve().parents[1]


class CrawlError(RuntimeError):
    """The crawl process failed (bad outlets file, crash); the message has its log tail."""


@dataclass
class CrawlSummary:
    """What one crawl produced; the items themselves are in ``out_path``."""

    out_path: Path
    articles: int = 0
    errors: int = 0
    discovered: int = 0  # unique article URLs found in sitemaps, feeds and URL lists
    skipped_seen: int = 0  # not fetched: already seen and unchanged
    skipped_since: int = 0  # not fetched: dated before ``since``
    not_modified: int = 0  # re-fetched conditionally, answered 304
    index_fetched: int = 0  # sitemaps and feeds fetched (200) and parsed
    index_not_modified: int = 0  # sitemaps and feeds answered 304: last entries reused
    blocked: int = 0  # refused by the safety rules (off-domain, private address)
    archived: int = 0  # responses written to the WARC archive
    listing_pages: int = 0
    archive_file: str | None = None  # the run's WARC file (final name)
    elapsed_s: float = 0.0
    limits_hit: int = 0  # sitemap loops/depth, request budgets, redirect loops (error rows)
    # connections refused by FOIATRACE_LOOPBACK_ONLY=1 (tests: must stay empty)
    off_loopback: list[str] = field(default_factory=list)


def _level_of(line: str) -> int:
    """Relay a child's log line at its own level (Scrapy's format: '... [name] LEVEL: msg')."""
    for name in ("CRITICAL", "ERROR", "WARNING"):
        if f"] {name}: " in line:
            return getattr(logging, name)
    return logging.INFO


def crawl(
    outlets_file: Path,
    out_path: Path,
    base_url: str | None = None,
    since: date | None = None,
    seen: dict[str, Any] | None = None,
    *,
    quiet: bool = False,
    timeout_s: float | None = None,
    extra_env: dict[str, str] | None = None,
    archive_dir: Path | None = None,
    archive_name: str | None = None,
    index_state: dict[str, Any] | None = None,
) -> CrawlSummary:
    """Crawl the outlets of ``outlets_file`` in a subprocess; one JSON line per item.

    ``seen`` maps canonical URLs already stored to their last known modification time
    (ISO 8601, or None = unknown, not re-fetched), or to a dict with ``modified``,
    ``etag`` and ``last_modified`` for conditional re-fetches; ``since`` skips sitemap and feed
    entries dated before that day; ``archive_dir`` gets the run's WARC file
    (``archive_name``, default ``crawl-<time>-<pid>.warc.gz``); ``index_state`` maps sitemap
    and feed URLs to their validators and last parsed entries (asked conditionally, a 304
    reuses the entries). Raises CrawlError when the child process fails.
    """
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="foiatrace-crawl-") as tmp:
        summary_file = Path(tmp) / "summary.json"
        cmd = [
            sys.executable, "-m", "crawlers.run",
            "--outlets", str(Path(outlets_file).resolve()),
            "--out", str(out_path.resolve()),
            "--summary-file", str(summary_file),
        ]  # fmt: skip
        if base_url:
            cmd += ["--base-url", base_url]
        if since:
            cmd += ["--since", since.isoformat()]
        if seen:
            seen_file = Path(tmp) / "seen.json"
            seen_file.write_text(json.dumps(seen), encoding="utf-8")
            cmd += ["--seen-file", str(seen_file)]
        if index_state:
            state_file = Path(tmp) / "index-state.json"
            state_file.write_text(json.dumps(index_state), encoding="utf-8")
            cmd += ["--index-state-file", str(state_file)]
        if archive_dir:
            cmd += ["--archive-dir", str(Path(archive_dir).resolve())]
        if archive_name:
            cmd += ["--archive-name", archive_name]
        if quiet:
            cmd.append("-q")
        env = dict(os.environ, **(extra_env or {}))
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p
        )
        tail: collections.deque[str] = collections.deque(maxlen=40)
        with subprocess.Popen(
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
        ) as proc:  # fmt: skip
            assert proc.stderr is not None
            try:
                for line in proc.stderr:
                    line = line.rstrip("\n")
                    tail.append(line)
                    log.log(_level_of(line), "%s", line)
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise CrawlError(f"crawl of {outlets_file} timed out") from None
        if proc.returncode != 0 or not summary_file.exists():
            raise CrawlError(
                f"crawl of {outlets_file} failed (exit {proc.returncode}):\n" + "\n".join(tail)
            )
        data = json.loads(summary_file.read_text(encoding="utf-8"))
    data["out_path"] = out_path
    return CrawlSummary(**data)


def run_in_process(
    outlets_file: Path,
    out_path: Path,
    base_url: str | None = None,
    since: date | None = None,
    seen: dict[str, Any] | None = None,
    log_level: str = "INFO",
    archive_dir: Path | None = None,
    archive_name: str | None = None,
    index_state: dict[str, Any] | None = None,
) -> CrawlSummary:
    """Run the spider in this process (once per process: the reactor cannot restart)."""
    import time

    from crawlers import loopback

    if loopback.enabled():
        loopback.install()  # before Scrapy opens anything
    from scrapy.crawler import AsyncCrawlerProcess

    from crawlers import settings as crawl_settings
    from crawlers.items import discovery_file_for
    from crawlers.outlets import load_outlets
    from crawlers.spider import ArticleSpider

    outlets = load_outlets(outlets_file)
    # the spider appends its discovery corrections there: none from an earlier run
    discovery_file_for(out_path).unlink(missing_ok=True)
    settings: dict[str, Any] = crawl_settings.as_dict()
    settings.update(
        FOIATRACE_OUT=str(out_path), LOG_LEVEL=log_level, USER_AGENT=crawl_settings.user_agent()
    )
    if archive_dir:
        from crawlers.archive import run_file_name

        archive_name = archive_name or run_file_name()
        settings.update(FOIATRACE_ARCHIVE_DIR=str(archive_dir), FOIATRACE_ARCHIVE_NAME=archive_name)
        settings["DOWNLOADER_MIDDLEWARES"] = {
            **settings["DOWNLOADER_MIDDLEWARES"],
            "crawlers.middlewares.ArchiveMiddleware": settings["ARCHIVE_MIDDLEWARE_ORDER"],
        }
    started = time.monotonic()
    process = AsyncCrawlerProcess(settings=settings)
    crawler = process.create_crawler(ArticleSpider)
    process.crawl(
        crawler,
        outlets=outlets,
        base_url=base_url,
        since=since,
        seen=seen,
        index_state=index_state,
    )
    process.start()
    stats = crawler.stats
    assert stats is not None
    return CrawlSummary(
        out_path=Path(out_path),
        articles=int(stats.get_value("foiatrace/articles", 0)),
        errors=int(stats.get_value("foiatrace/errors", 0)),
        discovered=int(stats.get_value("foiatrace/discovered", 0)),
        skipped_seen=int(stats.get_value("foiatrace/skipped_seen", 0)),
        skipped_since=int(stats.get_value("foiatrace/skipped_since", 0)),
        not_modified=int(stats.get_value("foiatrace/not_modified", 0)),
        index_fetched=int(stats.get_value("foiatrace/index_fetched", 0)),
        index_not_modified=int(stats.get_value("foiatrace/index_not_modified", 0)),
        blocked=int(stats.get_value("foiatrace/blocked", 0)),
        archived=int(stats.get_value("foiatrace/archived", 0)),
        listing_pages=int(stats.get_value("foiatrace/listing_pages", 0)),
        archive_file=(
            str(Path(archive_dir) / archive_name)
            if archive_dir and archive_name and stats.get_value("foiatrace/archived", 0)
            else None
        ),
        elapsed_s=round(time.monotonic() - started, 3),
        limits_hit=int(stats.get_value("foiatrace/limits_hit", 0)),
        off_loopback=loopback.violations(),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crawlers.run", description="Crawl news outlets into JSON lines."
    )
    parser.add_argument("--outlets", type=Path, required=True, help="outlets TOML file")
    parser.add_argument("--out", type=Path, required=True, help="output JSON lines file")
    parser.add_argument("--base-url", help="fetch every outlet from this origin instead")
    parser.add_argument("--since", type=date.fromisoformat, help="skip entries before this date")
    parser.add_argument("--seen-file", type=Path, help="JSON {canonical url: lastmod|null}")
    parser.add_argument(
        "--index-state-file", type=Path, help="JSON {sitemap/feed url: validators, entries}"
    )
    parser.add_argument("--summary-file", type=Path, help="write the summary JSON here")
    parser.add_argument("--archive-dir", type=Path, help="write the responses to WARC here")
    parser.add_argument("--archive-name", help="WARC file name (default: crawl-<time>-<pid>)")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from crawlers.outlets import OutletsFileError

    seen = None
    if args.seen_file:
        seen = json.loads(args.seen_file.read_text(encoding="utf-8"))
        if not isinstance(seen, dict):
            print(f"{args.seen_file}: expected a JSON object", file=sys.stderr)
            return 2
    index_state = None
    if args.index_state_file:
        index_state = json.loads(args.index_state_file.read_text(encoding="utf-8"))
    try:
        summary = run_in_process(
            args.outlets, args.out, args.base_url, args.since, seen,
            log_level="WARNING" if args.quiet else "INFO",
            archive_dir=args.archive_dir, archive_name=args.archive_name,
            index_state=index_state,
        )  # fmt: skip
    except OutletsFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    record = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(summary).items()}
    text = json.dumps(record)
    if args.summary_file:
        args.summary_file.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
