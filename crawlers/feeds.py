"""RSS 2.0 / RSS 1.0 (RDF) / Atom feed parsing: entry URL, title and dates.

Feeds carry only the newest items, but they are cheap and are often updated before the
sitemap; their dates let ``since`` skip old entries before fetching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from crawlers.dates import parse_datetime
from crawlers.xmldocs import child_text, children, local, parse_xml


@dataclass
class FeedEntry:
    """One feed item / Atom entry."""

    url: str
    title: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    @property
    def newest(self) -> datetime | None:
        dates = [d for d in (self.published, self.updated) if d is not None]
        return max(dates) if dates else None


def _rss_item(item: etree._Element) -> FeedEntry | None:
    url = child_text(item, "link")
    if not url:
        for guid in children(item, "guid"):
            text = (guid.text or "").strip()
            if text.startswith(("http://", "https://")) and (
                guid.get("isPermaLink", "true").lower() != "false"
            ):
                url = text
    if not url:
        about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
        url = about.strip() if about else None
    if not url:
        return None
    published = parse_datetime(child_text(item, "pubdate")) or parse_datetime(
        child_text(item, "date")  # dc:date (RSS 1.0)
    )
    authors = ["".join(c.itertext()).strip() for c in item if local(c) in ("creator", "author")]
    categories = ["".join(c.itertext()).strip() for c in children(item, "category")]
    return FeedEntry(
        url=url,
        title=child_text(item, "title"),
        published=published,
        updated=parse_datetime(child_text(item, "updated")),
        authors=[a for a in authors if a],
        categories=[c for c in categories if c],
    )


def _atom_link(entry: etree._Element) -> str | None:
    """The entry's HTML page: rel=alternate (the default rel), else any link with href."""
    links = [
        (link.get("rel", "alternate"), (link.get("href") or "").strip())
        for link in children(entry, "link")
    ]
    for rel, href in links:
        if rel == "alternate" and href:
            return href
    return next((href for _, href in links if href), None)


def _atom_entry(entry: etree._Element) -> FeedEntry | None:
    url = _atom_link(entry)
    if not url:
        return None
    authors = [child_text(a, "name") or "" for a in children(entry, "author")]
    categories = [c.get("term") or c.get("label") or "" for c in children(entry, "category")]
    return FeedEntry(
        url=url,
        title=child_text(entry, "title"),
        published=parse_datetime(child_text(entry, "published") or child_text(entry, "issued")),
        updated=parse_datetime(child_text(entry, "updated") or child_text(entry, "modified")),
        authors=[a for a in authors if a],
        categories=[c for c in categories if c],
    )


def parse_feed(data: bytes) -> list[FeedEntry]:
    """Parse RSS or Atom bytes into entries in document order; ValueError if neither."""
    root = parse_xml(data)
    kind = local(root)
    if kind == "feed":
        parsed = [_atom_entry(e) for e in children(root, "entry")]
    elif kind in ("rss", "rdf"):
        parsed = [_rss_item(i) for i in root.iter() if local(i) == "item"]
    else:
        raise ValueError(f"not an RSS or Atom feed (root element <{kind or '?'}>)")
    return [e for e in parsed if e is not None]
