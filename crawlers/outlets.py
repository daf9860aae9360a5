"""The outlets file (TOML): which sites to crawl and where their sitemaps and feeds live.

One ``[[outlet]]`` table per outlet (the scenario contract): ``slug``, ``name``, ``domain``,
``sitemap``, ``rss``; optional ``feeds`` (more feed URLs), ``urls`` (explicit article URLs),
``crawl_delay`` (seconds between requests to this outlet), ``allow`` / ``deny`` (regular
expressions searched in the canonical article URL), ``listings`` (section / listing pages
whose article links are followed, with their pagination up to ``max_listing_pages``),
``article_pattern`` (regex an article URL found on a listing must match; default: a
dated or slugged path), ``extra_domains`` (other hosts the outlet may redirect to, e.g.
its CDN), ``max_bytes`` (response size limit), ``max_requests`` (request budget of this
outlet for one crawl, below the ``FOIATRACE_MAX_REQUESTS`` default). Paths are relative
to the outlet's canonical origin ``https://<domain>``; full URLs are kept as they are.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

REQUIRED_KEYS = ("slug", "name", "domain", "sitemap", "rss")


class OutletsFileError(ValueError):
    """The outlets file cannot be used; the message names the file and the problem."""


@dataclass
class Outlet:
    """One news site (or agency newsroom) and the entry points to discover its articles."""

    slug: str
    name: str
    domain: str
    sitemap: str | None
    rss: str | None
    urls: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    crawl_delay: float | None = None
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)
    max_listing_pages: int = 5
    article_pattern: str | None = None
    extra_domains: list[str] = field(default_factory=list)
    max_bytes: int | None = None
    max_requests: int | None = None

    @property
    def origin(self) -> str:
        """Canonical origin; every stored URL of this outlet starts with it."""
        return f"https://{self.domain}"

    def absolute(self, path_or_url: str) -> str:
        """Resolve a path from the outlets file against the canonical origin."""
        if urlsplit(path_or_url).scheme:
            return path_or_url
        return urljoin(self.origin + "/", path_or_url.lstrip("/"))

    def sitemap_urls(self) -> list[str]:
        return [self.absolute(self.sitemap)] if self.sitemap else []

    def feed_urls(self) -> list[str]:
        feeds = ([self.rss] if self.rss else []) + list(self.feeds)
        return [self.absolute(f) for f in feeds]

    def article_urls(self) -> list[str]:
        return [self.absolute(u) for u in self.urls]

    def listing_urls(self) -> list[str]:
        return [self.absolute(u) for u in self.listings]

    def wants(self, url: str) -> bool:
        """Apply allow/deny patterns: deny wins; with allow patterns, one must match."""
        if any(re.search(p, url) for p in self.deny):
            return False
        return not self.allow or any(re.search(p, url) for p in self.allow)


def _str_list(value: Any, key: str, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise OutletsFileError(f"{where}: '{key}' must be a string or a list of strings")


def _outlet(table: Any, where: str) -> Outlet:
    if not isinstance(table, dict):
        raise OutletsFileError(f"{where}: expected a table")
    missing = [k for k in REQUIRED_KEYS if k not in table]
    if missing:
        raise OutletsFileError(f"{where}: missing key(s) {', '.join(missing)}")
    for key in ("slug", "name", "domain"):
        if not isinstance(table[key], str) or not table[key].strip():
            raise OutletsFileError(f"{where}: '{key}' must be a non-empty string")
    for key in ("sitemap", "rss"):
        if table[key] is not None and not isinstance(table[key], str):
            raise OutletsFileError(f"{where}: '{key}' must be a string (use \"\" for none)")
    delay = table.get("crawl_delay")
    if delay is not None and (not isinstance(delay, int | float) or delay < 0):
        raise OutletsFileError(f"{where}: 'crawl_delay' must be a number of seconds >= 0")
    patterns = {k: _str_list(table.get(k), k, where) for k in ("allow", "deny")}
    article_pattern = table.get("article_pattern")
    if article_pattern is not None:
        if not isinstance(article_pattern, str):
            raise OutletsFileError(f"{where}: 'article_pattern' must be a string")
        patterns["article_pattern"] = [article_pattern]
    for key in ("max_listing_pages", "max_bytes", "max_requests"):
        value = table.get(key)
        if value is not None and (not isinstance(value, int) or value < 1):
            raise OutletsFileError(f"{where}: '{key}' must be a positive integer")
    for key, values in patterns.items():
        for pattern in values:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise OutletsFileError(f"{where}: bad '{key}' pattern {pattern!r}: {exc}") from exc
    domain = table["domain"].strip().lower()
    if "/" in domain or ":" in domain:
        raise OutletsFileError(f"{where}: 'domain' must be a bare host name, got {domain!r}")
    return Outlet(
        slug=table["slug"].strip(),
        name=table["name"].strip(),
        domain=domain,
        sitemap=table["sitemap"] or None,
        rss=table["rss"] or None,
        urls=_str_list(table.get("urls"), "urls", where),
        feeds=_str_list(table.get("feeds"), "feeds", where),
        crawl_delay=float(delay) if delay is not None else None,
        allow=patterns["allow"],
        deny=patterns["deny"],
        listings=_str_list(table.get("listings"), "listings", where),
        max_listing_pages=int(table.get("max_listing_pages") or 5),
        article_pattern=article_pattern,
        extra_domains=[
            d.strip().lower() for d in _str_list(table.get("extra_domains"), "extra_domains", where)
        ],
        max_bytes=table.get("max_bytes"),
        max_requests=table.get("max_requests"),
    )


def load_outlets(path: Path) -> list[Outlet]:
    """Read and validate the outlets file; errors name the file and the outlet."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise OutletsFileError(f"{path}: outlets file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise OutletsFileError(f"{path}: not valid TOML: {exc}") from exc
    tables = data.get("outlet")
    if not isinstance(tables, list) or not tables:
        raise OutletsFileError(f"{path}: no [[outlet]] tables")
    outlets = []
    for i, table in enumerate(tables, 1):
        label = table.get("slug", f"#{i}") if isinstance(table, dict) else f"#{i}"
        outlets.append(_outlet(table, f"{path}: outlet {label}"))
    slugs = [o.slug for o in outlets]
    dupes = sorted({s for s in slugs if slugs.count(s) > 1})
    if dupes:
        raise OutletsFileError(f"{path}: duplicate outlet slug(s) {', '.join(dupes)}")
    return outlets
