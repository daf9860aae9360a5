"""Sitemap parsing (urlset and sitemap index) that keeps Google News metadata.

Scrapy's own Sitemap class drops ``news:publication_date`` and ``news:title``; the
publication date is what lets ``since`` skip an article before fetching it, and the
fallback when a page carries no machine-readable date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crawlers.dates import parse_datetime
from crawlers.xmldocs import child_text, children, descendant_text, local, parse_xml


@dataclass
class SitemapEntry:
    """One ``<url>`` (or, in an index, one ``<sitemap>``) entry."""

    loc: str
    lastmod: datetime | None = None
    publication_date: datetime | None = None  # news:publication_date
    title: str | None = None  # news:title

    @property
    def newest(self) -> datetime | None:
        """Latest of publication and modification: an update counts as new content."""
        dates = [d for d in (self.publication_date, self.lastmod) if d is not None]
        return max(dates) if dates else None


@dataclass
class Sitemap:
    """A parsed sitemap: ``is_index`` tells whether ``entries`` are pages or sitemaps."""

    is_index: bool
    entries: list[SitemapEntry] = field(default_factory=list)


def parse_sitemap(data: bytes) -> Sitemap:
    """Parse sitemap XML bytes (gzip allowed). ValueError when it is not a sitemap."""
    root = parse_xml(data)
    kind = local(root)
    if kind not in ("urlset", "sitemapindex"):
        raise ValueError(f"not a sitemap (root element <{kind or '?'}>)")
    is_index = kind == "sitemapindex"
    entries = []
    for node in children(root, "sitemap" if is_index else "url"):
        loc = child_text(node, "loc")
        if not loc:
            continue
        entry = SitemapEntry(loc=loc, lastmod=parse_datetime(child_text(node, "lastmod")))
        news = children(node, "news")
        if news:
            entry.publication_date = parse_datetime(child_text(news[0], "publication_date"))
            entry.title = child_text(news[0], "title")
        elif not is_index:  # tolerate news elements not wrapped in <news:news>
            entry.publication_date = parse_datetime(
                descendant_text(node, "publication_date", "news")
            )
            entry.title = descendant_text(node, "title", "news")
        entries.append(entry)
    return Sitemap(is_index=is_index, entries=entries)


def sitemaps_from_robots(text: str) -> list[str]:
    """``Sitemap:`` lines of a robots.txt, for outlets configured without a sitemap."""
    urls = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            urls.append(value.strip())
    return urls
