"""One spider for every outlet: discover articles from sitemaps and feeds, fetch, extract.

Stored URLs are canonical (``https://<domain>/<path>``) whatever origin is fetched:
with ``base_url`` the canonical origin of every outlet is mapped to that origin (a
scenario served on 127.0.0.1), so articles keep the identity they have on the web.
Discovery dates are used twice: ``since`` skips old entries before they are fetched,
and ``seen`` (URL -> last known modification) skips what the warehouse already has
unless the sitemap or feed says it changed, and then conditionally (ETag /
Last-Modified: a 304 keeps the stored version). Listing pages (``listings`` in the
outlets file) are followed through their pagination for outlets without a complete
sitemap. Every failure (HTTP error, DNS, timeout, robots.txt, a blocked or oversized
response, a page that is not an article, an exception in a callback) becomes a
``CrawlErrorItem`` naming the URL, and the crawl goes on.

Hostile or broken sites cannot keep the crawl busy forever: each sitemap or feed URL is
requested once per crawl (a sitemap index listing itself, or A -> B -> A, is a "sitemap
loop" error naming the URL), sitemap indexes nest at most ``FOIATRACE_MAX_INDEX_DEPTH``
levels, and each outlet has a request budget (``FOIATRACE_MAX_INDEX_REQUESTS`` for
sitemaps, feeds and listing pages, ``FOIATRACE_MAX_REQUESTS`` or the outlet's
``max_requests`` for everything); every limit hit is an error item naming the URL and the
limit. A body that is not text (binary junk served as ``text/html``) is an error; one
whose declared charset does not decode is decoded by detection and says so
(``crawlers.bodytext``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import ipaddress
import json
import os
import re
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.bodytext import NotText, decode_body
from crawlers.dates import older_than, parse_datetime, to_iso, utc_now_iso
from crawlers.extract import ExtractionCrashed, ExtractionPool
from crawlers.feeds import parse_feed
from crawlers.items import (
    ArticleItem,
    CrawlErrorItem,
    IndexStateItem,
    NotModifiedItem,
    discovery_file_for,
)
from crawlers.outlets import Outlet
from crawlers.sitemaps import parse_sitemap, sitemaps_from_robots

MAX_GUNZIP_BYTES = 64 * 1024 * 1024


_VIA_RANK = {"sitemap": 0, "feed": 1, "listing": 2, "list": 3}
_INDEX_KINDS = ("sitemap", "feed", "robots")  # fetched once per crawl (the visited set)

# Limit defaults when the spider runs without crawlers.settings (unit tests)
MAX_INDEX_DEPTH = 5
MAX_INDEX_REQUESTS = 200_000
MAX_REQUESTS = 5_000_000
BUDGET_ERROR_ROWS = 100


@dataclass
class Discovery:
    """What a sitemap or feed said about an article before it was fetched."""

    outlet: str
    via: str  # "sitemap" | "feed" | "listing" | "list"
    published: datetime | None = None
    modified: datetime | None = None
    title: str | None = None

    @property
    def newest(self) -> datetime | None:
        dates = [d for d in (self.published, self.modified) if d is not None]
        return max(dates) if dates else None

    def merged(self, other: Discovery) -> Discovery:
        """Combine what a sitemap and a feed said (they arrive in either order)."""
        mods = [d for d in (self.modified, other.modified) if d is not None]
        # a dated source wins, then sitemap > feed > listing > list, whatever the order
        # in which the responses arrived
        first = min(self, other, key=lambda d: (d.published is None, _VIA_RANK.get(d.via, 9)))
        return Discovery(
            outlet=self.outlet,
            via=first.via,
            published=first.published,
            modified=max(mods) if mods else None,
            title=first.title or self.title or other.title,
        )


def discovered_fields(page: dict[str, Any], found: Discovery) -> dict[str, Any]:
    """The article item's fields that come from the discovery (or fall back on it).

    ``page`` holds what the page itself said (``title``, ``published_at``,
    ``date_source``, ``modified_at``, ``modified_source``). Computed when the article's
    response comes back, and again whenever a later sitemap or feed entry changes its
    merged discovery (``ArticleSpider._correct``): the stored values are those of the
    final merge, whatever the order in which the responses arrived.
    """
    published, source = page["published_at"], page["date_source"]
    if found.published and source in (None, "htmldate"):
        published, source = to_iso(found.published), found.via  # explicit beats a guess
    modified, modified_source = page["modified_at"], page.get("modified_source")
    if modified is None and found.modified is not None:
        modified, modified_source = to_iso(found.modified), found.via
    return {
        "title": page["title"] or found.title,
        "published_at": published,
        "date_source": source,
        "modified_at": modified,
        "modified_source": modified_source,
        "discovered_via": found.via,
        "discovered_lastmod": to_iso(found.newest),
    }


@dataclass
class _Emitted:
    """An item written for a discovered URL, and what it took from the discovery."""

    kind: str  # "article" | "not_modified"
    url: str  # the item's url
    fetched_url: str | None
    page: dict[str, Any] | None  # the page's own values (articles)
    fields: dict[str, Any]


def _bare(host: str) -> str:
    return host.lower().removeprefix("www.")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def failure_reason(failure: Failure) -> str:
    """A short, human reason for a failed request ("HTTP 404", "DNS lookup failed")."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    name = type(exc).__name__
    text = str(exc).strip()
    if name == "BlockedRequest":
        return text
    if "max size" in text or "maxsize" in text.lower():
        limit = re.search(r"max size \((\d+)\)", text)
        return f"response too large (over {limit.group(1)} bytes)" if limit else "too large"
    known = (
        (("DNSLookupError", "CannotResolveHost"), "DNS lookup failed"),
        (("Timeout", "TimedOut"), "timeout"),
        (("ConnectionRefused",), "connection refused"),
        (("ResponseDataLoss", "ConnectionLost", "ConnectionDone"), "connection lost"),
    )
    for fragments, reason in known:
        if any(f in name for f in fragments):
            return reason
    if "robots.txt" in text.lower() or "forbidden by robots" in text.lower():
        return "forbidden by robots.txt"
    return f"{name}: {text}"[:200] if text else name


def _looks_like_html(body: bytes) -> bool:
    """Sniff for servers that send HTML as text/plain or octet-stream (static hosts)."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<!--")) or (
        b"<html" in head and not head.startswith(b"<?xml")
    )


def _gunzip(body: bytes) -> bytes:
    """Bodies served as .gz files without Content-Encoding arrive still compressed."""
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
            return fh.read(MAX_GUNZIP_BYTES)
    except (OSError, EOFError, zlib.error):
        return body


def _validators(response: Response) -> dict[str, str | None]:
    """ETag and Last-Modified of a response (for the next, conditional, fetch)."""
    out: dict[str, str | None] = {}
    for key, header in (("etag", b"ETag"), ("last_modified", b"Last-Modified")):
        value = response.headers.get(header)
        out[key] = value.decode("latin-1") if value else None
    return out


_DATED_PATH = re.compile(r"/(19|20)\d{2}/[01]?\d/|/(19|20)\d{2}-[01]\d-[0-3]\d")
_NOT_ARTICLE = re.compile(
    r"/(tag|tags|topic|topics|author|authors|section|sections|category|categories|page|"
    r"search|about|contact|privacy|terms|subscribe|newsletters?|static|assets|feed|rss)(/|$)",
    re.I,
)
_NEXT_TEXT = re.compile(r"^\s*(next|older|more stories|next page)\b|[\u203a\u00bb]\s*$", re.I)


def looks_like_article_path(path: str) -> bool:
    """A listing link that is probably an article: a dated path, or a long word slug."""
    if _NOT_ARTICLE.search(path) or path.rstrip("/").count("/") < 1:
        return False
    if _DATED_PATH.search(path):
        return True
    last = path.rstrip("/").rsplit("/", 1)[-1]
    last = re.sub(r"\.s?html?$", "", last)
    return last.count("-") >= 3 and any(c.isalpha() for c in last)


def next_page_url(response: Response) -> str | None:
    """rel=next (link or anchor), else an anchor labelled "Next"/"Older"/"»"."""
    href = response.css('link[rel~="next"]::attr(href), a[rel~="next"]::attr(href)').get()
    if href:
        return response.urljoin(href)
    for anchor in response.css("a[href]"):
        label = " ".join(anchor.css("::text").getall()) or anchor.attrib.get("aria-label", "")
        if _NEXT_TEXT.search(label):
            return response.urljoin(anchor.attrib["href"])
    return None


def conditional(validators: dict[str, Any], headers: dict[str, str], extra: dict[str, Any]) -> None:
    """Ask only for a changed copy: the stored ETag / Last-Modified, and let a 304 through."""
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    if headers:
        extra["handle_httpstatus_list"] = [304]


class ArticleSpider(scrapy.Spider):
    """Crawl the articles of the given outlets (see the module docstring)."""

    name = "articles"

    def __init__(
        self,
        outlets: list[Outlet] | None = None,
        base_url: str | None = None,
        since: date | None = None,
        seen: dict[str, str | None] | None = None,
        index_state: dict[str, dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.outlets: list[Outlet] = list(outlets or [])
        self.base_url = base_url.rstrip("/") if base_url else None
        self.since = since
        # seen: URL -> last known modification (ISO string or None), or a dict with
        # "modified", "etag", "last_modified" (the HTTP validators of the stored copy)
        self.seen: dict[str, datetime | None] = {}
        self.validators: dict[str, dict[str, str]] = {}
        for url, value in (seen or {}).items():
            if isinstance(value, dict):
                self.seen[url] = parse_datetime(value.get("modified"))
                kept = {k: value[k] for k in ("etag", "last_modified") if value.get(k)}
                if kept:
                    self.validators[url] = kept
            else:
                self.seen[url] = parse_datetime(value)
        # index_state: sitemap/feed URL -> {"etag", "last_modified", "entries"} of its last
        # 200; a conditional request answered 304 reuses those entries
        self.index_state: dict[str, dict[str, Any]] = {
            url: state
            for url, state in (index_state or {}).items()
            if isinstance(state, dict) and isinstance(state.get("entries"), dict)
        }
        self.by_domain = {_bare(o.domain): o for o in self.outlets}
        self.discovered: dict[str, Discovery] = {}
        # requested canonical URL -> the item written for it; a discovery merged after
        # the item was written appends a correction to ``discovery_path`` (``_correct``)
        self.emitted: dict[str, _Emitted] = {}
        self.corrections: list[dict[str, Any]] = []
        self.discovery_path: Path | None = None
        self._discovery_fh: IO[str] | None = None
        self.scheduled: set[str] = set()
        self.skipped_seen: set[str] = set()
        self.skipped_since: set[str] = set()
        self.listing_pages: set[str] = set()
        self.allowed_hosts, self.configured_netlocs = self._host_policy()
        # hostile-site limits (set from the crawl settings in from_crawler)
        self.max_index_depth = MAX_INDEX_DEPTH
        self.max_index_requests = MAX_INDEX_REQUESTS
        self.max_requests = MAX_REQUESTS
        self.budget_error_rows = BUDGET_ERROR_ROWS
        self.index_seen: set[tuple[str, str]] = set()  # (kind, canonical) requested
        self.requests_made: Counter[str] = Counter()  # per outlet slug
        self.index_requests_made: Counter[str] = Counter()
        self.budget_refused: Counter[str] = Counter()
        self.refused: set[str] = set()
        # fault injection for tests: callbacks raise on matching URLs (never set in production)
        fault = os.environ.get("FOIATRACE_CRAWL_FAULT_URLS", "")
        self.fault = re.compile(fault) if fault else None
        # article extraction (CPU-bound) in worker processes on big crawls (from_crawler)
        self.extraction = ExtractionPool(0)

    def _host_policy(self) -> tuple[set[str], set[str]]:
        """Hosts requests may go to: outlet domains (and subdomains), the hosts of their
        configured sitemaps/feeds/URLs; private addresses only where configured exactly."""
        allowed: set[str] = set()
        configured: set[str] = set()
        for outlet in self.outlets:
            allowed.add(_bare(outlet.domain))
            allowed.update(_bare(d) for d in outlet.extra_domains)
            for url in outlet.sitemap_urls() + outlet.feed_urls() + outlet.article_urls():
                host = urlsplit(url).hostname
                if host:
                    allowed.add(_bare(host))
            if is_loopback(outlet.origin) or _is_ip(outlet.domain):
                configured.add(outlet.domain.lower())
        if self.base_url:
            configured.add(urlsplit(self.base_url).netloc.lower())
        return allowed, configured

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArticleSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_index_depth = settings.getint("FOIATRACE_MAX_INDEX_DEPTH", MAX_INDEX_DEPTH)
        spider.max_index_requests = settings.getint(
            "FOIATRACE_MAX_INDEX_REQUESTS", MAX_INDEX_REQUESTS
        )
        spider.max_requests = settings.getint("FOIATRACE_MAX_REQUESTS", MAX_REQUESTS)
        spider.budget_error_rows = settings.getint("FOIATRACE_BUDGET_ERROR_ROWS", BUDGET_ERROR_ROWS)
        spider.extraction = ExtractionPool(
            settings.getint("FOIATRACE_EXTRACT_WORKERS", 0),
            settings.getint("FOIATRACE_EXTRACT_POOL_AFTER", 32),
            settings.get("LOG_LEVEL", "WARNING"),
        )
        out = settings.get("FOIATRACE_OUT")
        spider.discovery_path = discovery_file_for(out) if out else None
        # Settings are still mutable here (they freeze after the spider is created).
        slots = dict(crawler.settings.getdict("DOWNLOAD_SLOTS"))
        loopback_conc = crawler.settings.getint("LOOPBACK_CONCURRENCY", 8)
        for outlet in spider.outlets:
            slot = spider.slot_settings(outlet, loopback_conc)
            if slot is not None:
                slots.setdefault(outlet.slug, slot)
        if spider.base_url and is_loopback(spider.base_url):
            # requests outside outlet slots (robots.txt) use the host name as their slot
            host = urlsplit(spider.base_url).hostname or ""
            slots.setdefault(host, {"delay": 0.0, "concurrency": loopback_conc, "jitter": 0.0})
        crawler.settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        return spider

    # --- URL mapping --------------------------------------------------------------------

    def slot_settings(self, outlet: Outlet, loopback_conc: int) -> dict[str, Any] | None:
        """Per-outlet download slot: its crawl_delay, or no delay when served locally."""
        if outlet.crawl_delay is not None:
            return {"delay": outlet.crawl_delay, "concurrency": 1 if outlet.crawl_delay else 2}
        if is_loopback(self.fetch_url(outlet.origin + "/")):
            return {"delay": 0.0, "concurrency": loopback_conc, "jitter": 0.0}
        return None

    def fixed_delay(self, outlet: Outlet) -> bool:
        """Whether AutoThrottle must leave this outlet's slot delay alone."""
        return outlet.crawl_delay is not None or is_loopback(self.fetch_url(outlet.origin + "/"))

    def fetch_url(self, canonical: str) -> str:
        """The URL to request for a canonical one (base_url replaces outlet origins)."""
        if not self.base_url:
            return canonical
        parts = urlsplit(canonical)
        if _bare(parts.hostname or "") not in self.by_domain:
            return canonical
        return self.base_url + urlunsplit(("", "", parts.path or "/", parts.query, ""))

    def canonical_url(self, url: str, outlet: Outlet) -> str:
        """Canonical form of a discovered or fetched URL (local origins mapped back)."""
        url = urljoin(outlet.origin + "/", url.strip())
        parts = urlsplit(url)
        if self.base_url:
            base = urlsplit(self.base_url)
            if parts.netloc == base.netloc and parts.path.startswith(base.path):
                path = parts.path[len(base.path) :] or "/"
                return urlunsplit(("https", outlet.domain, path, parts.query, ""))
        scheme = parts.scheme
        if _bare(parts.hostname or "") in self.by_domain:
            scheme = "https"  # an outlet's canonical origin is https://<domain>
        return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))

    def _outlet(self, slug: str) -> Outlet:
        return next(o for o in self.outlets if o.slug == slug)

    def _meta(self, outlet: Outlet, canonical: str, kind: str, **extra: Any) -> dict[str, Any]:
        meta = {
            "outlet": outlet.slug,
            "canonical": canonical,
            "kind": kind,
            "download_slot": outlet.slug,
            "autothrottle_dont_adjust_delay": self.fixed_delay(outlet),
            **extra,
        }
        if outlet.max_bytes:
            meta["download_maxsize"] = outlet.max_bytes
            meta["download_warnsize"] = 0
        return meta

    # --- discovery ----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request | CrawlErrorItem]:
        for outlet in self.outlets:
            first: list[scrapy.Request | CrawlErrorItem | None] = []
            for url in outlet.sitemap_urls():
                first.append(self._index_request(outlet, url, "sitemap"))
            for url in outlet.feed_urls():
                first.append(self._index_request(outlet, url, "feed"))
            if not (outlet.sitemap_urls() or outlet.feed_urls() or outlet.urls or outlet.listings):
                first.append(self._index_request(outlet, outlet.absolute("/robots.txt"), "robots"))
            for url in outlet.listing_urls():
                first.append(self._index_request(outlet, url, "listing", page=1))
            for out in first:
                if out is not None:
                    yield out
            for url in outlet.article_urls():
                canonical = self.canonical_url(url, outlet)
                for out in self._consider(outlet, canonical, Discovery(outlet.slug, "list")):
                    yield out

    def _limit(self, outlet: Outlet, url: str, reason: str) -> CrawlErrorItem:
        """An error item for a limit hit (loop, depth, budget), counted for the summary."""
        self.crawler.stats.inc_value("foiatrace/limits_hit")
        return self._error(url, outlet.slug, reason)

    def _over_budget(self, outlet: Outlet, url: str, index: bool) -> CrawlErrorItem | bool:
        """Count a new request of this outlet against its budgets.

        False when it may be made; otherwise the error item naming the URL and the limit
        (True once ``budget_error_rows`` items were given for this outlet: the rest are
        only counted, so a huge hostile sitemap cannot flood the errors table either).
        """
        limit = self.max_requests
        name = "FOIATRACE_MAX_REQUESTS"
        if outlet.max_requests is not None and outlet.max_requests < limit:
            limit, name = outlet.max_requests, "max_requests"
        reason = None
        if self.requests_made[outlet.slug] >= limit:
            reason = f"request budget: {limit} requests for outlet {outlet.slug} ({name})"
        elif index and self.index_requests_made[outlet.slug] >= self.max_index_requests:
            reason = (
                f"request budget: {self.max_index_requests} sitemap/feed/listing requests "
                f"for outlet {outlet.slug} (FOIATRACE_MAX_INDEX_REQUESTS)"
            )
        if reason is None:
            self.requests_made[outlet.slug] += 1
            self.index_requests_made[outlet.slug] += int(index)
            return False
        self.budget_refused[outlet.slug] += 1
        if self.budget_refused[outlet.slug] > self.budget_error_rows:
            self.crawler.stats.inc_value("foiatrace/limits_hit")
            return True
        if self.budget_refused[outlet.slug] == self.budget_error_rows:
            reason += "; later refusals are counted in the log, without an error item"
        return self._limit(outlet, url, reason)

    def _index_request(
        self,
        outlet: Outlet,
        canonical: str,
        kind: str,
        chain: tuple[str, ...] = (),
        **extra: Any,
    ) -> scrapy.Request | CrawlErrorItem | None:
        """A sitemap/feed/robots.txt/listing request, or the limit it hits (None: this
        sitemap or feed was already requested in this crawl, by another index)."""
        if kind in _INDEX_KINDS:
            path = " -> ".join((*chain, canonical))
            if canonical in chain:
                self.crawler.stats.inc_value("foiatrace/index_loops")
                return self._limit(outlet, canonical, f"{kind} loop: {path}")
            if (kind, canonical) in self.index_seen:
                self.crawler.stats.inc_value("foiatrace/index_duplicates")
                return None
            if len(chain) > self.max_index_depth:
                return self._limit(
                    outlet,
                    canonical,
                    f"{kind} nesting deeper than {self.max_index_depth} levels "
                    f"(FOIATRACE_MAX_INDEX_DEPTH): {path}",
                )
            self.index_seen.add((kind, canonical))
        refused = self._over_budget(outlet, canonical, index=True)
        if refused is not False:
            return refused if isinstance(refused, CrawlErrorItem) else None
        if chain:
            extra["index_chain"] = list(chain)
        callback = {
            "sitemap": self.parse_sitemap,
            "feed": self.parse_feed,
            "listing": self.parse_listing,
        }.get(kind, self.parse_robots)
        headers: dict[str, str] = {}
        state = self.index_state.get(canonical) if kind in ("sitemap", "feed") else None
        if state:
            # unchanged since the last 200: a 304, and the entries parsed then are reused
            conditional(state, headers, extra)
        return scrapy.Request(
            self.fetch_url(canonical),
            callback=callback,
            errback=self.on_error,
            headers=headers or None,
            meta=self._meta(outlet, canonical, kind, **extra),
            priority=10,  # discover before fetching, so seen/since decide early
            dont_filter=True,
        )

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request | CrawlErrorItem]:
        """Outlets configured without sitemap or feed: use robots.txt's Sitemap lines."""
        outlet = self._outlet(response.meta["outlet"])
        text = response.body.decode("utf-8", errors="replace")
        for url in sitemaps_from_robots(text):
            out = self._index_request(outlet, self.canonical_url(url, outlet), "sitemap")
            if out is not None:
                yield out

    def _index_entries(
        self, response: Response, kind: str
    ) -> Iterator[IndexStateItem | CrawlErrorItem | dict[str, Any]]:
        """The parsed entries of a sitemap or feed, as a JSON-ready dict (yielded last),
        after the state item that records them; on a 304, the entries of the last 200."""
        outlet = self._outlet(response.meta["outlet"])
        canonical = response.meta["canonical"]
        validators = _validators(response)
        stored = self.index_state.get(canonical)
        if response.status == 304 and stored is not None:
            yield IndexStateItem(
                canonical, outlet.slug, kind, 304, fetched_at=utc_now_iso(), **validators
            )
            yield stored["entries"]
            return
        try:
            if kind == "sitemap":
                sitemap = parse_sitemap(response.body)
                rows = [(e.loc, e.publication_date, e.lastmod, e.title) for e in sitemap.entries]
                is_index = sitemap.is_index
            else:
                rows = [(e.url, e.published, e.updated, e.title) for e in parse_feed(response.body)]
                is_index = False
        except ValueError as exc:
            # nothing to reuse next time: the state keeps no entries (and no 304 is asked for)
            yield IndexStateItem(
                canonical, outlet.slug, kind, response.status, fetched_at=utc_now_iso()
            )
            yield self._error(canonical, outlet.slug, f"bad {kind}: {exc}")
            return
        entries = {
            "index": is_index,
            "entries": [
                {
                    "url": url,
                    "published": published.isoformat() if published else None,
                    "modified": modified.isoformat() if modified else None,
                    "title": title,
                }
                for url, published, modified, title in rows
            ],
        }
        yield IndexStateItem(
            canonical, outlet.slug, kind, response.status, entries=entries,
            fetched_at=utc_now_iso(), **validators,
        )  # fmt: skip
        yield entries

    def parse_sitemap(
        self, response: Response
    ) -> Iterator[scrapy.Request | CrawlErrorItem | IndexStateItem]:
        yield from self._discover(response, "sitemap")

    def parse_feed(
        self, response: Response
    ) -> Iterator[scrapy.Request | CrawlErrorItem | IndexStateItem]:
        yield from self._discover(response, "feed")

    def _discover(
        self, response: Response, kind: str
    ) -> Iterator[scrapy.Request | CrawlErrorItem | IndexStateItem]:
        outlet = self._outlet(response.meta["outlet"])
        parsed: dict[str, Any] | None = None
        for out in self._index_entries(response, kind):
            if isinstance(out, dict):
                parsed = out
            else:
                yield out
        if parsed is None:
            return
        chain = (*response.meta.get("index_chain", ()), response.meta["canonical"])
        for entry in parsed["entries"]:
            canonical = self.canonical_url(entry["url"], outlet)
            published = parse_datetime(entry.get("published"))
            modified = parse_datetime(entry.get("modified"))
            if parsed["index"]:
                if self.since and modified and older_than(modified, self.since):
                    continue  # the child sitemap has not changed since then
                out = self._index_request(outlet, canonical, "sitemap", chain)
                if out is not None:
                    yield out
                continue
            found = Discovery(outlet.slug, kind, published, modified, entry.get("title"))
            yield from self._consider(outlet, canonical, found)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request | CrawlErrorItem]:
        """A section or listing page: its article links, then its next page (bounded)."""
        outlet = self._outlet(response.meta["outlet"])
        self.listing_pages.add(response.meta["canonical"])
        if not isinstance(response, TextResponse):
            yield self._error(response.meta["canonical"], outlet.slug, "listing: not HTML")
            return
        pattern = re.compile(outlet.article_pattern) if outlet.article_pattern else None
        for href in response.css("a::attr(href)").getall():
            canonical = self.canonical_url(response.urljoin(href), outlet)
            if _bare(urlsplit(canonical).hostname or "") != _bare(outlet.domain):
                continue
            path = urlsplit(canonical).path
            if canonical in self.listing_pages or not (
                pattern.search(canonical) if pattern else looks_like_article_path(path)
            ):
                continue
            yield from self._consider(outlet, canonical, Discovery(outlet.slug, "listing"))
        page = int(response.meta.get("page", 1))
        nxt = next_page_url(response)
        if nxt and page < outlet.max_listing_pages:
            canonical = self.canonical_url(nxt, outlet)
            if canonical not in self.listing_pages:
                self.listing_pages.add(canonical)
                out = self._index_request(outlet, canonical, "listing", page=page + 1)
                if out is not None:
                    yield out

    def _consider(
        self, outlet: Outlet, canonical: str, found: Discovery
    ) -> Iterator[scrapy.Request | CrawlErrorItem]:
        """Decide whether a discovered article is fetched: allow/deny, since, seen."""
        if not outlet.wants(canonical):
            return
        known = self.discovered.get(canonical)
        self.discovered[canonical] = found if known is None else known.merged(found)
        if canonical in self.emitted:
            self._correct(canonical)
        if canonical in self.scheduled or canonical in self.refused:
            return
        newest = self.discovered[canonical].newest
        if self.since and newest is not None and older_than(newest, self.since):
            self.skipped_since.add(canonical)
            return
        headers: dict[str, str] = {}
        extra: dict[str, Any] = {}
        if canonical in self.seen:
            before = self.seen[canonical]
            if newest is None or before is None or newest <= before:
                self.skipped_seen.add(canonical)
                return
            # said to have changed: ask conditionally, a 304 keeps the stored version
            conditional(self.validators.get(canonical, {}), headers, extra)
        refused = self._over_budget(outlet, canonical, index=False)
        if refused is not False:
            self.refused.add(canonical)
            if isinstance(refused, CrawlErrorItem):
                yield refused
            return
        self.scheduled.add(canonical)
        yield scrapy.Request(
            self.fetch_url(canonical),
            callback=self.parse_article,
            errback=self.on_error,
            headers=headers or None,
            meta=self._meta(outlet, canonical, "article", **extra),
        )

    # --- articles -----------------------------------------------------------------------

    async def parse_article(
        self, response: Response
    ) -> AsyncIterator[ArticleItem | NotModifiedItem | CrawlErrorItem]:
        meta = response.meta
        outlet = self._outlet(meta["outlet"])
        requested = meta["canonical"]
        found = self.discovered.get(requested) or Discovery(outlet.slug, "list")
        validators = _validators(response)
        if response.status == 304:
            lastmod = {"discovered_lastmod": to_iso(found.newest)}
            self.emitted[requested] = _Emitted("not_modified", requested, None, None, lastmod)
            yield NotModifiedItem(
                url=requested,
                outlet=outlet.slug,
                discovered_lastmod=lastmod["discovered_lastmod"],
                fetched_at=utc_now_iso(),
                **validators,
            )
            return
        if self.fault is not None and self.fault.search(requested):
            raise RuntimeError(f"injected fault for {requested}")
        body = _gunzip(response.body)
        ctype = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        if ctype and "html" not in ctype and not _looks_like_html(body):
            yield self._error(requested, outlet.slug, f"not HTML ({ctype.split(';')[0]})")
            return
        try:
            # strictly, never with silent U+FFFD (Scrapy's response.text would)
            decoded = decode_body(body, ctype)
        except NotText as exc:
            record = (meta.get("warc") or {}).get("warc_record_id")
            yield self._error(requested, outlet.slug, str(exc), record)
            return
        if decoded.note:
            self.logger.warning("%s: %s", requested, decoded.note)
            self.crawler.stats.inc_value("foiatrace/charset_detected")
        try:
            page = await self.extraction.extract(decoded.text, response.url, len(self.scheduled))
        except (ValueError, ExtractionCrashed) as exc:
            yield self._error(requested, outlet.slug, str(exc))
            return
        # a sitemap or feed entry merged while the page was extracted counts (merges after
        # this point are corrections: see _correct)
        found = self.discovered.get(requested) or found
        own = {
            k: page.get(k)
            for k in ("title", "published_at", "date_source", "modified_at", "modified_source")
        }
        fields = discovered_fields(own, found)
        url = self._page_canonical(page["canonical_url"], requested, outlet)
        self.emitted[requested] = _Emitted("article", url, response.url, own, fields)
        warc = meta.get("warc") or {}
        yield ArticleItem(
            url=url,
            fetched_url=response.url,
            outlet=outlet.slug,
            text=page["text"],
            authors=page["authors"],
            section=page["section"],
            html_sha256=hashlib.sha256(response.body).hexdigest(),
            fetched_at=utc_now_iso(),
            http_status=response.status,
            warc_record_id=warc.get("warc_record_id"),
            warc_sha256=warc.get("warc_sha256"),
            warc_file=warc.get("warc_file"),
            warc_offset=warc.get("warc_offset"),
            charset_note=decoded.note,
            **fields,
            **validators,
        )

    def _correct(self, requested: str) -> None:
        """A sitemap or feed entry merged after the URL's item was written: when it changes
        what the item took from the discovery, record the recomputed fields.

        Why a correction rather than an order-independent item: the article is fetched as
        soon as its first entry arrives (waiting for every sitemap and feed of an outlet
        would stall the crawl behind its slowest index), so only the merge seen last is
        final. The corrections go, one flushed JSON line each, to ``<out>.discovery``
        (``crawlers.items.discovery_file_for``); the loader applies them, so the stored
        provenance is the final merge's whatever the arrival order, and a killed crawl
        keeps every correction it made.
        """
        done = self.emitted[requested]
        found = self.discovered[requested]
        if done.page is not None:
            fields = discovered_fields(done.page, found)
        else:
            fields = {"discovered_lastmod": to_iso(found.newest)}
        if fields == done.fields:
            return
        done.fields = fields
        record = {"type": done.kind, "url": done.url, "fetched_url": done.fetched_url, **fields}
        self.corrections.append(record)
        if self.discovery_path is None:
            return
        if self._discovery_fh is None:
            self._discovery_fh = self.discovery_path.open("a", encoding="utf-8")
        self._discovery_fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._discovery_fh.flush()

    def _page_canonical(self, declared: str | None, requested: str, outlet: Outlet) -> str:
        """The page's own canonical URL when it stays on the outlet's domain.

        A canonical pointing at another domain (a syndicated copy naming its original)
        would merge two outlets' articles under one key, so the requested URL is kept.
        """
        if not declared:
            return requested
        canonical = self.canonical_url(declared, outlet)
        if _bare(urlsplit(canonical).hostname or "") != _bare(outlet.domain):
            return requested
        if urlsplit(canonical).scheme not in ("http", "https"):
            return requested
        return canonical

    # --- errors -------------------------------------------------------------------------

    def _error(
        self, url: str, outlet: str | None, reason: str, warc_record_id: str | None = None
    ) -> CrawlErrorItem:
        self.logger.warning("%s: %s", url, reason)
        return CrawlErrorItem(
            url=url,
            outlet=outlet,
            reason=reason,
            fetched_at=utc_now_iso(),
            warc_record_id=warc_record_id,
        )

    def on_error(self, failure: Failure) -> Iterator[CrawlErrorItem]:
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        reason = failure_reason(failure)
        if meta.get("kind") not in (None, "article"):
            reason = f"{meta['kind']}: {reason}"
        record = (meta.get("warc") or {}).get("warc_record_id")
        yield self._error(meta.get("canonical", request.url), meta.get("outlet"), reason, record)

    def closed(self, reason: str) -> None:
        self.extraction.close()
        self.crawler.stats.set_value("foiatrace/extracted_in_workers", self.extraction.in_workers)
        if self._discovery_fh is not None:
            self._discovery_fh.close()
            self._discovery_fh = None
        stats = self.crawler.stats
        stats.set_value("foiatrace/discovery_corrections", len(self.corrections))
        stats.set_value("foiatrace/discovered", len(self.discovered))
        stats.set_value("foiatrace/scheduled", len(self.scheduled))
        stats.set_value("foiatrace/skipped_seen", len(self.skipped_seen - self.scheduled))
        stats.set_value("foiatrace/skipped_since", len(self.skipped_since - self.scheduled))
        stats.set_value("foiatrace/listing_pages", len(self.listing_pages))
        for slug, count in sorted(self.budget_refused.items()):
            self.logger.warning("outlet %s: %d requests refused by its budgets", slug, count)
        stats.set_value("foiatrace/budget_refused", sum(self.budget_refused.values()))
