"""Scrapy settings for the article crawl: polite by default, fast on loopback.

Real outlets get robots.txt, AutoThrottle, two requests at a time per outlet and a user
agent that says who we are and where to complain. A scenario served on 127.0.0.1 is
our own server: the spider gives loopback outlets a slot without delay (see
``ArticleSpider.from_crawler``), and an outlet's ``crawl_delay`` always wins.
"""

from __future__ import annotations

import os
from typing import Any

DEFAULT_CONTACT_URL = "https://github.com/foiatrace/foiatrace"
DEFAULT_USER_AGENT = "foiatrace/0.1 (research crawler; +{contact})"


def user_agent() -> str:
    """``FOIATRACE_USER_AGENT`` verbatim, else ours with ``FOIATRACE_CONTACT_URL``."""
    explicit = os.environ.get("FOIATRACE_USER_AGENT", "").strip()
    if explicit:
        return explicit
    contact = os.environ.get("FOIATRACE_CONTACT_URL", "").strip() or DEFAULT_CONTACT_URL
    return DEFAULT_USER_AGENT.format(contact=contact)


BOT_NAME = "foiatrace"
SPIDER_MODULES = ["crawlers.spider"]
USER_AGENT = user_agent()
ROBOTSTXT_OBEY = True

# Politeness for remote sites (AutoThrottle adapts between DOWNLOAD_DELAY and MAX_DELAY).
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
LOOPBACK_CONCURRENCY = 8  # per outlet slot when the outlet is served from this machine
# Outputs of one response processed at once (Scrapy starts this many tasks per response,
# 100 by default: a tenth of the crawl's own time on loopback). A page yields one item;
# a sitemap's requests are only queued, never awaited.
CONCURRENT_ITEMS = 8

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no control port for a batch job
# HTTP cache for development only (re-running extraction without re-fetching):
# FOIATRACE_HTTPCACHE_DIR=/path turns it on. Never in production: it would hide changes.
HTTPCACHE_DIR = os.environ.get("FOIATRACE_HTTPCACHE_DIR", "") or "httpcache"
HTTPCACHE_ENABLED = bool(os.environ.get("FOIATRACE_HTTPCACHE_DIR", "").strip())
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"
LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    # before robots.txt (100): a blocked host must not even be asked for its robots.txt
    "crawlers.middlewares.SafetyMiddleware": 50,
    "crawlers.middlewares.BackoffMiddleware": 60,
    # robots.txt of the site a request stands for (the mapped origin with --base-url)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.OutletRobotsTxtMiddleware": 100,
    # redirects stay inside --base-url, and loops end with an error item (same order)
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawlers.middlewares.SandboxMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawlers.middlewares.SandboxRedirectMiddleware": 600,
}
# Added by crawlers.run when an archive directory is given. Responses pass middlewares
# from high to low: above RedirectMiddleware (600) so 3xx are archived, and above
# HttpCompressionMiddleware (590) so the archived bytes are the ones served.
ARCHIVE_MIDDLEWARE_ORDER = 650
SPIDER_MIDDLEWARES = {"crawlers.middlewares.ErrorItemsMiddleware": 1000}
FOIATRACE_RETRY_BACKOFF_BASE = 1.0  # seconds before the first retry, doubled per retry
FOIATRACE_RETRY_BACKOFF_MAX = 60.0
FOIATRACE_RESOLVE_CHECK = True  # refuse outlet names that resolve to private addresses


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Limits against hostile or broken sites (each hit is an error item naming the URL).
# Defaults no real outlet reaches: sitemap indexes nest one level by the protocol, a few
# sites use three; the biggest archives list tens of thousands of sitemaps.
FOIATRACE_MAX_INDEX_DEPTH = _env_int("FOIATRACE_MAX_INDEX_DEPTH", 5)  # index -> index -> ...
# per outlet: sitemaps, feeds, listing pages and robots.txt-announced sitemaps requested
FOIATRACE_MAX_INDEX_REQUESTS = _env_int("FOIATRACE_MAX_INDEX_REQUESTS", 200_000)
# per outlet: every request the spider makes (index and articles); the outlets file's
# ``max_requests`` lowers it for one outlet
FOIATRACE_MAX_REQUESTS = _env_int("FOIATRACE_MAX_REQUESTS", 5_000_000)
FOIATRACE_BUDGET_ERROR_ROWS = 100  # error items per outlet for URLs refused by a budget

# Article extraction is most of a crawl's CPU time: on a crawl of more than
# FOIATRACE_EXTRACT_POOL_AFTER articles it runs in worker processes (one per core, at most
# 4; 0: always in the crawl process), while the crawl's own thread fetches and archives.
_CPUS = os.cpu_count() or 1
FOIATRACE_EXTRACT_WORKERS = _env_int("FOIATRACE_EXTRACT_WORKERS", min(_CPUS, 4) if _CPUS > 1 else 0)
FOIATRACE_EXTRACT_POOL_AFTER = _env_int("FOIATRACE_EXTRACT_POOL_AFTER", 32)

ITEM_PIPELINES = {"crawlers.pipelines.JsonLinesPipeline": 500}
# Where JsonLinesPipeline writes (set per crawl by crawlers.run).
FOIATRACE_OUT = None
# Where ArchiveMiddleware writes the run's WARC file (None: no archive).
FOIATRACE_ARCHIVE_DIR = None
FOIATRACE_ARCHIVE_NAME = None


def as_dict() -> dict[str, Any]:
    """The upper-case names of this module, for ``CrawlerProcess(settings=...)``."""
    return {k: v for k, v in globals().items() if k.isupper()}
