"""Scrapy items the spiders yield and the warehouse loads (one JSON line each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Beside the JSON lines output ``<out>``: ``<out>.discovery`` (see ``discovery_file_for``)
DISCOVERY_SUFFIX = ".discovery"


def discovery_file_for(out_path: Path | str) -> Path:
    """The side file of corrections for the items of ``out_path`` (``<out>.discovery``).

    A sitemap and a feed listing the same article arrive in either order, and the article
    may be fetched (its item written) before the second one is merged into its discovery.
    Whenever such a late merge changes what an already written item took from the
    discovery, the spider appends one JSON line here: ``{"type": "article" |
    "not_modified", "url", "fetched_url", <the fields recomputed from the merged
    discovery>}`` (flushed at once, so a killed crawl keeps every correction it made). The
    loader applies the last line per item (``foiatrace.crawl_step.load_crawl_output``).
    Not named ``*.jsonl``: the staging folder's leftovers are ``*.jsonl``.
    """
    out_path = Path(out_path)
    return out_path.with_name(out_path.name + DISCOVERY_SUFFIX)


@dataclass
class ArticleItem:
    """One fetched article page, extracted; identity is the canonical URL + text hash."""

    url: str  # canonical (rel=canonical, og:url, or https://<domain>/...), never the local one
    fetched_url: str  # the URL actually requested (e.g. http://127.0.0.1:8000/...)
    outlet: str  # outlet slug from the outlets file
    title: str | None
    published_at: str | None  # ISO 8601, UTC ("2018-06-21T01:30:00+00:00")
    modified_at: str | None  # ISO 8601, UTC, when the page or sitemap says it was updated
    date_source: str | None  # where published_at came from: "jsonld" | "meta" | "sitemap" | ...
    text: str  # visible article body: paragraphs separated by a blank line
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    html_sha256: str = ""  # sha256 of the response body bytes
    text_sha256: str = ""  # sha256 of ``text``
    fetched_at: str = ""  # ISO 8601 UTC
    http_status: int = 200
    modified_source: str | None = None  # where modified_at came from (as date_source)
    discovered_via: str | None = None  # "sitemap" | "feed" | "listing" | "list"
    discovered_lastmod: str | None = None  # newest date the sitemap/feed gave (ISO UTC)
    etag: str | None = None  # HTTP validators, for conditional re-fetches
    last_modified: str | None = None
    warc_record_id: str | None = None  # the response's record in the WARC archive
    warc_sha256: str | None = None  # sha256 of the archived payload (hex)
    warc_file: str | None = None
    warc_offset: int | None = None
    # how the body was decoded when its declared charset did not decode (crawlers.bodytext)
    charset_note: str | None = None


@dataclass
class CrawlErrorItem:
    """A URL that could not be turned into an article: 404, junk HTML, non-HTML, timeout..."""

    url: str
    outlet: str | None
    reason: str  # short and human: "HTTP 404", "no article text", "DNS lookup failed"
    fetched_at: str = ""
    warc_record_id: str | None = None  # the archived response, when there was one


@dataclass
class NotModifiedItem:
    """A conditional re-fetch answered 304: the stored version still stands.

    Recorded in the crawl state so that the next run does not ask again for the same
    sitemap date.
    """

    url: str
    outlet: str
    discovered_lastmod: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: str = ""


@dataclass
class IndexStateItem:
    """A sitemap or feed fetched (200: its parsed entries) or checked again (304: unchanged).

    ``entries`` is ``{"index": bool, "entries": [{"url", "published", "modified",
    "title"}]}`` (dates ISO 8601 with their original offset), None after a 304 (the stored
    entries stand) or when the body did not parse (nothing to reuse).
    """

    url: str  # canonical
    outlet: str
    kind: str  # "sitemap" | "feed"
    status: int
    etag: str | None = None
    last_modified: str | None = None
    entries: dict | None = None  # type: ignore[type-arg]
    fetched_at: str = ""
