"""Item pipeline: fill content hashes and timestamps, drop duplicates, write JSON lines.

The warehouse keys articles by canonical URL + text hash, so the hash is computed in
one place for every item; the file is flushed line by line so that a crawl killed
half-way still leaves every finished item for the loader. When the run writes a WARC
archive, an item is written only once the records written before it are on disk
(``WarcArchive.sync``, awaited in a worker thread so that the crawl goes on meanwhile):
a stored item never points at a record a crash could lose.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from pathlib import Path
from typing import IO, Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawlers.archive import WarcArchive
from crawlers.dates import utc_now_iso
from crawlers.items import ArticleItem, CrawlErrorItem, IndexStateItem, NotModifiedItem


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_record(item: Any) -> dict[str, Any]:
    """``{"type": "article"|"error"|"not_modified"|"index", ...fields}``: the line format."""
    kind = "article"
    if isinstance(item, CrawlErrorItem):
        kind = "error"
    elif isinstance(item, NotModifiedItem):
        kind = "not_modified"
    elif isinstance(item, IndexStateItem):
        kind = "index"
    fields = dataclasses.asdict(item) if dataclasses.is_dataclass(item) else dict(item)
    return {"type": kind, **fields}


class JsonLinesPipeline:
    """Completes items and appends them to the ``FOIATRACE_OUT`` file."""

    def __init__(self, out_path: Path, crawler: Crawler) -> None:
        self.out_path = out_path
        self.crawler = crawler
        self.fh: IO[str] | None = None
        self.seen_keys: set[tuple[str, str]] = set()
        self._archive: Any = False  # the run's WarcArchive (None: none; False: not looked up)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesPipeline:
        out = crawler.settings.get("FOIATRACE_OUT")
        if not out:
            raise NotConfigured("FOIATRACE_OUT is not set")
        return cls(Path(out), crawler)

    def open_spider(self) -> None:
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = self.out_path.open("w", encoding="utf-8")

    def close_spider(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None

    def archive(self) -> Any:
        """The WarcArchive of the run's ArchiveMiddleware, None when nothing is archived."""
        if self._archive is False:
            self._archive = None
            engine = getattr(self.crawler, "engine", None)
            downloader = getattr(engine, "downloader", None)
            manager = getattr(downloader, "middleware", None)
            for mw in getattr(manager, "middlewares", ()):
                if isinstance(getattr(mw, "archive", None), WarcArchive):
                    self._archive = mw.archive
                    break
        return self._archive

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if not adapter.get("fetched_at"):
            adapter["fetched_at"] = utc_now_iso()
        stats = self.crawler.stats
        if isinstance(item, ArticleItem):
            adapter["text_sha256"] = sha256_text(adapter["text"])
            key = (adapter["url"], adapter["text_sha256"])
            if key in self.seen_keys:  # same page reached twice (redirect, explicit URL)
                raise DropItem(f"duplicate article {adapter['url']}")
            self.seen_keys.add(key)
            stats.inc_value("foiatrace/articles")
        elif isinstance(item, NotModifiedItem):
            stats.inc_value("foiatrace/not_modified")
        elif isinstance(item, IndexStateItem):
            key = "index_not_modified" if adapter["status"] == 304 else "index_fetched"
            stats.inc_value(f"foiatrace/{key}")
        else:
            stats.inc_value("foiatrace/errors")
        archive = self.archive()
        if archive is not None and archive.unsynced():
            await asyncio.to_thread(archive.sync)
        assert self.fh is not None
        self.fh.write(json.dumps(item_record(item), ensure_ascii=False) + "\n")
        self.fh.flush()
        return item
