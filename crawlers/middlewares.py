"""Downloader and spider middlewares: safety, archive, retry backoff, exceptions as errors.

- ``SafetyMiddleware`` (first in the chain, before robots.txt is fetched): every request,
  redirects included, must go to an outlet's configured hosts; private, loopback and
  link-local addresses only when an outlet is configured there (``--base-url`` on
  127.0.0.1 in tests and scenarios). Blocked requests never leave the process. With
  ``--base-url`` the crawl is a sandbox: a host that is neither that origin nor an
  outlet configured on a local address is refused (an outlet's CDN included).
- ``SandboxRedirectMiddleware`` / ``SandboxMetaRefreshMiddleware`` (replace Scrapy's):
  with ``--base-url`` a redirect to an outlet's canonical origin (any configured outlet)
  is rewritten through that origin instead of being fetched from the real host; a
  redirect back to a URL already in the request's chain (a page redirecting to itself,
  A -> B -> A) is refused as a loop. Redirected requests bypass the duplicate filter,
  which otherwise drops a self-redirect silently: the loop check ends such chains with
  an error item instead.
- ``OutletRobotsTxtMiddleware`` (replaces Scrapy's): robots.txt is that of the site a
  request stands for. With ``--base-url`` every outlet is served from one local origin
  (possibly under a path); Scrapy would fetch ``<base netloc>/robots.txt`` once for all
  outlets and match the local path. Here each outlet's canonical origin has its own
  parser, fetched at the mapped ``fetch_url(https://<domain>/robots.txt)``, and the rules
  are matched against the canonical URL.
- ``ArchiveMiddleware``: writes each response to the run's WARC file and puts the
  record's reference on ``request.meta["warc"]`` for the item.
- ``BackoffMiddleware``: a retried request waits ``base * 2**(n-1)`` seconds (capped,
  jittered) so a struggling server is given room instead of being hit again at once.
- ``ErrorItemsMiddleware``: an exception in a callback becomes a ``CrawlErrorItem``
  naming the URL; Scrapy would otherwise log it and lose the page silently.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import Deferred

from crawlers.archive import WarcArchive
from crawlers.dates import utc_now_iso
from crawlers.items import CrawlErrorItem

log = logging.getLogger(__name__)


class BlockedRequest(IgnoreRequest):
    """A request the safety rules refused; the message is the error item's reason."""


def _bare(host: str) -> str:
    return host.lower().rstrip(".").removeprefix("www.")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_private(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, RFC 1918, link-local (cloud metadata), CGNAT, reserved, multicast..."""
    return not addr.is_global


class SafetyMiddleware:
    """Refuse requests outside the outlets' hosts and to private addresses (see module)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._resolved: dict[str, bool] = {}
        self.resolve = crawler.settings.getbool("FOIATRACE_RESOLVE_CHECK", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SafetyMiddleware:
        return cls(crawler)

    def _policy(self) -> tuple[set[str], set[str]]:
        """(allowed host names/domains, explicitly configured netlocs)."""
        spider = self.crawler.spider
        allowed = set(getattr(spider, "allowed_hosts", set()) or set())
        configured = set(getattr(spider, "configured_netlocs", set()) or set())
        return allowed, configured

    def check(self, url: str) -> str | None:
        """The reason a URL is refused, or None when it may be fetched."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return f"blocked: scheme {parts.scheme or '?'!r}"
        host = (parts.hostname or "").lower()
        if not host:
            return "blocked: no host"
        allowed, configured = self._policy()
        if parts.netloc.lower() in configured or host in configured:
            return None  # an outlet (or --base-url) is configured exactly there
        addr = _ip(host)
        if addr is not None and is_private(addr):
            return f"blocked: private address {host}"
        if host == "localhost" or host.endswith(".localhost"):
            return f"blocked: private address {host}"
        bare = _bare(host)
        if not any(bare == d or bare.endswith("." + d) for d in allowed):
            return f"blocked: off-domain host {host}"
        base_url = getattr(self.crawler.spider, "base_url", None)
        if base_url:
            # a sandboxed crawl never goes to the real web, not even an outlet's own hosts
            return f"blocked: {host} is outside --base-url {base_url}"
        if addr is None and self.resolve and self._resolves_private(host):
            return f"blocked: {host} resolves to a private address"
        return None

    def _resolves_private(self, host: str) -> bool:
        """Whether a configured name points into a private network (cached per host)."""
        if host not in self._resolved:
            try:
                infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
                addrs = {_ip(str(info[4][0]).split("%")[0]) for info in infos}
                self._resolved[host] = any(a is not None and is_private(a) for a in addrs)
            except OSError:
                self._resolved[host] = False  # the download reports the DNS failure
        return self._resolved[host]

    def process_request(self, request: Request) -> None:
        reason = self.check(request.url)
        if reason is None:
            return
        if request.meta.get("redirect_urls"):
            reason = reason.replace("blocked: ", "blocked: redirect to ", 1)
        self.crawler.stats.inc_value("foiatrace/blocked")
        raise BlockedRequest(reason)


class SandboxRedirectMixin:
    """Keep redirects inside ``--base-url`` and end redirect loops (see the module)."""

    crawler: Crawler

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        spider = self.crawler.spider
        base_url = getattr(spider, "base_url", None)
        if base_url:
            target = spider.fetch_url(redirected.url)  # outlet origins -> the base URL
            if target != redirected.url:
                self.crawler.stats.inc_value("foiatrace/redirects_rewritten")
                redirected = redirected.replace(url=target)
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if _unfragment(redirected.url) in {_unfragment(u) for u in chain}:
            self.crawler.stats.inc_value("foiatrace/redirect_loops")
            self.crawler.stats.inc_value("foiatrace/limits_hit")
            hops = len(chain)
            shown = _shown(redirected.url, request, spider)
            raise BlockedRequest(
                f"redirect loop: back to {shown} after {hops} redirect{'s' if hops > 1 else ''}"
            )
        out: Request = super()._redirect(redirected, request, reason)  # type: ignore[misc]
        # the loop check above ends chains; the duplicate filter would drop a redirect to
        # an already fetched URL without a trace
        out.dont_filter = True
        return out


def _unfragment(url: str) -> str:
    return url.split("#", 1)[0]


def _shown(url: str, request: Request, spider: Any) -> str:
    """A fetched URL as its canonical form, when the request belongs to an outlet."""
    slug = request.meta.get("outlet")
    outlet = next((o for o in getattr(spider, "outlets", []) if o.slug == slug), None)
    if outlet is None or not hasattr(spider, "canonical_url"):
        return url
    return str(spider.canonical_url(url, outlet))


class SandboxRedirectMiddleware(SandboxRedirectMixin, RedirectMiddleware):
    """Scrapy's 3xx handling, sandboxed (see ``SandboxRedirectMixin``)."""


class SandboxMetaRefreshMiddleware(SandboxRedirectMixin, MetaRefreshMiddleware):
    """Scrapy's ``<meta http-equiv=refresh>`` handling, sandboxed."""


class OutletRobotsTxtMiddleware(RobotsTxtMiddleware):
    """robots.txt per canonical origin, fetched where that origin is mapped (see module)."""

    def target(self, request: Request) -> tuple[str, str, str]:
        """(parser key, robots.txt URL to fetch, URL the rules are matched against).

        A request under ``base_url`` for an outlet stands for that outlet's canonical URL;
        any other request stands for itself.
        """
        spider = self.crawler.spider
        checked = request.url
        slug = request.meta.get("outlet")
        outlets = getattr(spider, "outlets", None) or []
        outlet = next((o for o in outlets if o.slug == slug), None)
        if outlet is not None and getattr(spider, "base_url", None):
            checked = spider.canonical_url(request.url, outlet)
        parts = urlsplit(checked)
        origin = f"{parts.scheme}://{parts.netloc}"
        fetch = getattr(spider, "fetch_url", None)
        robots_url = fetch(origin + "/robots.txt") if fetch else origin + "/robots.txt"
        return origin, robots_url, checked

    async def process_request(self, request: Request) -> None:  # type: ignore[override]
        if request.meta.get("dont_obey_robotstxt"):
            return
        if request.url.startswith(("data:", "file:")):
            return
        key, robots_url, checked = self.target(request)
        rp = await self._parser_for(key, robots_url, request)
        if rp is None:
            return
        useragent = self._robotstxt_useragent or request.headers.get(
            b"User-Agent", self._default_useragent
        )
        if not rp.allowed(checked, useragent):
            log.debug("Forbidden by robots.txt: %s (%s)", request, checked)
            self._stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest("Forbidden by robots.txt")

    async def _parser_for(self, key: str, robots_url: str, request: Request) -> RobotParser | None:
        from scrapy.utils.defer import maybe_deferred_to_future

        if key not in self._parsers:
            self._parsers[key] = Deferred()
            meta: dict[str, Any] = {"dont_obey_robotstxt": True, "kind": "robots.txt"}
            # the outlet's slot (its delay, concurrency, AutoThrottle policy) paces it
            for name in ("download_slot", "autothrottle_dont_adjust_delay"):
                if name in request.meta:
                    meta[name] = request.meta[name]
            robots_req = Request(
                robots_url, priority=self.DOWNLOAD_PRIORITY, meta=meta, callback=NO_CALLBACK
            )
            try:
                resp = await self.crawler.engine.download_async(robots_req)
                await self._parse_robots(resp, key, request)
            except Exception as exc:
                if not isinstance(exc, IgnoreRequest):
                    log.error("Error downloading %s: %s", robots_url, exc)
                self._robots_error(exc, key)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[key]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser


class ArchiveMiddleware:
    """Write every response to the run's WARC file (``FOIATRACE_ARCHIVE_DIR``)."""

    def __init__(self, crawler: Crawler, directory: str, name: str) -> None:
        self.crawler = crawler
        self.archive = WarcArchive(directory, name)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        directory = crawler.settings.get("FOIATRACE_ARCHIVE_DIR")
        if not directory:
            raise NotConfigured("FOIATRACE_ARCHIVE_DIR is not set")
        from crawlers.archive import run_file_name

        name = crawler.settings.get("FOIATRACE_ARCHIVE_NAME") or run_file_name()
        return cls(crawler, directory, name)

    def process_response(self, request: Request, response: Response) -> Response:
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in response.headers.items()
            for v in values
        ]
        ref = self.archive.write_response(
            response.url,
            response.status,
            headers,
            response.body,
            protocol=getattr(response, "protocol", None) or "HTTP/1.1",
            ip_address=str(response.ip_address) if response.ip_address else None,
        )
        request.meta["warc"] = ref.as_dict()
        self.crawler.stats.inc_value("foiatrace/archived")
        return response

    def spider_closed(self) -> None:
        self.archive.close()


class BackoffMiddleware:
    """Exponential backoff before a retried request (Scrapy retries immediately)."""

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffMiddleware:
        base = crawler.settings.getfloat("FOIATRACE_RETRY_BACKOFF_BASE", 1.0)
        if base <= 0:
            raise NotConfigured("no backoff")
        return cls(base, crawler.settings.getfloat("FOIATRACE_RETRY_BACKOFF_MAX", 60.0))

    async def process_request(self, request: Request) -> None:
        tries = int(request.meta.get("retry_times", 0))
        if tries:
            delay = min(self.cap, self.base * 2 ** (tries - 1))
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))


class ErrorItemsMiddleware:
    """Turn an exception raised in a spider callback into an error item for that URL."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ErrorItemsMiddleware:
        return cls(crawler)

    def process_spider_exception(
        self, response: Response, exception: Exception
    ) -> Iterable[Any] | None:
        if isinstance(exception, HttpError):
            return None  # handled by the request's errback / HttpErrorMiddleware
        meta = response.meta if response.request is not None else {}
        url = meta.get("canonical", response.url)
        reason = f"spider error: {type(exception).__name__}: {exception}"[:300]
        log.error("%s: %s", url, reason, exc_info=exception)
        self.crawler.stats.inc_value("foiatrace/spider_exceptions")
        return [
            CrawlErrorItem(
                url=url, outlet=meta.get("outlet"), reason=reason, fetched_at=utc_now_iso()
            )
        ]
