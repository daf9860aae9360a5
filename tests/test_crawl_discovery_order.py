"""The stored discovery of an article does not depend on whether its sitemap or its feed
answered first (Scrapy in its subprocess, HTTP on 127.0.0.1).

One outlet lists one article in its news sitemap and in its RSS feed, with different dates.
One of the two index responses is held back, so that the article is fetched (and its item
written) before the slow one is merged into its discovery. Either way the warehouse must
hold the final merge: ``discovered_via`` 'sitemap' (a dated sitemap entry beats a feed
entry), the sitemap's publication date, and the newest date either gave as
``discovered_lastmod``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from crawlers.items import discovery_file_for
from crawlers.run import crawl
from crawlers.serve import Route, serve_site
from foiatrace.crawl_step import load_crawl_output
from warehouse.db import connect

HOST = "https://order.example"
ARTICLE = f"{HOST}/2021/06/01/pier-reopens-after-repairs.html"
GUARD = {"FOIATRACE_LOOPBACK_ONLY": "1"}
SLOW_S = 2.5  # the held-back index response: the article is fetched well before it
SITEMAP_PUBLISHED = "2021-06-01T09:00:00+00:00"
SITEMAP_LASTMOD = "2021-06-02T15:40:00+00:00"
FEED_PUBLISHED = "2021-06-01T23:30:00+00:00"  # the feed's own date: never the final one

OUTLETS = """
[[outlet]]
slug = "order"
name = "Order"
domain = "order.example"
sitemap = "/sitemap.xml"
rss = "/feed.xml"
"""

SITEMAP = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>{ARTICLE}</loc>
    <lastmod>{SITEMAP_LASTMOD}</lastmod>
    <news:news>
      <news:publication_date>{SITEMAP_PUBLISHED}</news:publication_date>
      <news:title>Pier reopens after repairs</news:title>
    </news:news>
  </url>
</urlset>
""".encode()

FEED = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Order</title><link>{HOST}/</link>
  <item>
    <title>Pier reopens (feed)</title>
    <link>{ARTICLE}</link>
    <pubDate>Tue, 01 Jun 2021 23:30:00 GMT</pubDate>
  </item>
</channel></rss>
""".encode()

PARAGRAPH = (
    "The port authority reopened the north pier on Monday after a month of repairs, and "
    "the ferry schedule returns to its summer timetable with two extra evening crossings."
)
# no dates on the page itself: published and modified fall back on the discovery
PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Pier reopens after repairs"
    "</title></head><body><article><h1>Pier reopens after repairs</h1>"
    + "".join(f"<p>{PARAGRAPH} Paragraph {i}.</p>" for i in range(4))
    + "</article></body></html>"
).encode()


def _xml(body: bytes, delay: float) -> Route:
    def answer(_: str) -> tuple[int, dict[str, str], bytes]:
        time.sleep(delay)
        return 200, {"Content-Type": "application/xml"}, body

    return answer


def _crawl(tmp: Path, slow: str) -> tuple[dict[str, Any], Path]:
    """Crawl with the ``slow`` index ("sitemap" or "feed") held back; the raw article line
    and the output path."""
    site = tmp / "site"
    (site / "2021" / "06" / "01").mkdir(parents=True)
    (site / "2021" / "06" / "01" / "pier-reopens-after-repairs.html").write_bytes(PAGE)
    routes = {
        "/sitemap.xml": _xml(SITEMAP, SLOW_S if slow == "sitemap" else 0.0),
        "/feed.xml": _xml(FEED, SLOW_S if slow == "feed" else 0.0),
    }
    outlets = tmp / "outlets.toml"
    outlets.write_text(OUTLETS, encoding="utf-8")
    out = tmp / "items.jsonl"
    with serve_site(site, routes=routes) as base:
        summary = crawl(outlets, out, base_url=base, quiet=True, timeout_s=60, extra_env=GUARD)
    assert summary.off_loopback == [] and summary.errors == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    articles = [r for r in lines if r["type"] == "article"]
    assert [r["url"] for r in articles] == [ARTICLE]
    return articles[0], out


def _stored(db: Path, out: Path) -> tuple[tuple[Any, ...], Any]:
    con = connect(db)
    try:
        load_crawl_output(con, out)
        version = con.execute(
            "SELECT discovered_via, published_at, date_source, modified_at, modified_source, "
            "title FROM article_versions WHERE url = ?",
            [ARTICLE],
        ).fetchone()
        (lastmod,) = con.execute(
            "SELECT discovered_lastmod FROM crawl_state WHERE url = ?", [ARTICLE]
        ).fetchone()
    finally:
        con.close()
    assert version is not None
    return version, lastmod


def _iso(value: Any) -> str:
    from datetime import UTC

    return value.astimezone(UTC).isoformat()


@pytest.mark.parametrize("slow", ["sitemap", "feed"])
def test_stored_discovery_is_the_final_merge_whatever_answers_first(
    tmp_path: Path, slow: str
) -> None:
    raw, out = _crawl(tmp_path, slow)
    side = discovery_file_for(out)
    if slow == "sitemap":
        # the race happened: the article was written with the feed's discovery only,
        # and the spider recorded the correction once the sitemap was merged
        assert raw["discovered_via"] == "feed"
        assert raw["discovered_lastmod"] == FEED_PUBLISHED
        assert side.exists()
        fix = json.loads(side.read_text(encoding="utf-8").splitlines()[-1])
        assert fix["url"] == ARTICLE and fix["discovered_via"] == "sitemap"
    else:
        assert raw["discovered_via"] == "sitemap"
    version, lastmod = _stored(tmp_path / "wh.duckdb", out)
    via, published, source, modified, modified_source, title = version
    assert via == "sitemap"
    assert _iso(lastmod) == SITEMAP_LASTMOD
    assert (_iso(published), source) == (SITEMAP_PUBLISHED, "sitemap")
    assert (_iso(modified), modified_source) == (SITEMAP_LASTMOD, "sitemap")
    assert title == "Pier reopens after repairs"


def test_staged_output_without_its_corrections_loads_as_written(tmp_path: Path) -> None:
    """A killed crawl's staged items whose corrections are gone load as they were written."""
    raw, out = _crawl(tmp_path, "sitemap")
    discovery_file_for(out).unlink()
    (via, *_), lastmod = _stored(tmp_path / "wh.duckdb", out)
    assert via == raw["discovered_via"] == "feed"
    assert _iso(lastmod) == FEED_PUBLISHED


def test_next_crawl_rederives_what_a_killed_crawl_stored(tmp_path: Path) -> None:
    """The staged items of a crawl killed before it merged the sitemap (no correction
    written) are loaded by the next crawl, which fetches those URLs again in full: the
    stored provenance ends as an uninterrupted crawl's, not as the leftovers had it."""
    from foiatrace import crawl_step

    raw, out = _crawl(tmp_path / "killed", "sitemap")
    discovery_file_for(out).unlink()  # killed before the sitemap entry was merged
    assert raw["discovered_via"] == "feed"
    db = tmp_path / "wh.duckdb"
    staging = crawl_step.staging_dir_for(db)
    staging.mkdir(parents=True)
    out.rename(staging / "killed-run.jsonl")
    site = tmp_path / "killed" / "site"
    routes = {"/sitemap.xml": _xml(SITEMAP, 0.0), "/feed.xml": _xml(FEED, 0.0)}
    with serve_site(site, routes=routes) as base:
        stats = crawl_step.crawl(db, tmp_path / "killed" / "outlets.toml", base, quiet=True)
    assert stats["resumed"] == 1 and stats["refetched_provisional"] == 1
    assert stats["new_versions"] == 0  # the same text: one version, its fields re-derived
    con = connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT discovered_via, published_at, date_source, title FROM article_versions "
            "WHERE url = ?",
            [ARTICLE],
        ).fetchall()
    finally:
        con.close()
    assert len(rows) == 1
    via, published, source, title = rows[0]
    assert (via, _iso(published), source) == ("sitemap", SITEMAP_PUBLISHED, "sitemap")
    assert title == "Pier reopens after repairs"
