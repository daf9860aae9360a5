"""Crawl the shared dev scenario's site; skipped when the shared folder is absent.

Also measures how many labelled ``article_quote``s appear in the extracted text: the
matcher sees only that text, so a quote missing there is a disclosure it cannot find.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from crawlers.dates import iso_utc
from crawlers.run import crawl
from crawlers.serve import serve_site
from crawlers.sitemaps import parse_sitemap

SHARED = Path(os.environ.get("FOIATRACE_SHARED") or Path(__file__).resolve().parents[2] / "shared")
DEV = SHARED / "scenarios" / "dev"

pytestmark = pytest.mark.skipif(not (DEV / "site").is_dir(), reason=f"{DEV} not present")

PUBLISHED = re.compile(r'<meta[^>]+property="article:published_time"[^>]+content="([^"]+)"')


def test_dev_site_crawl(tmp_path: Path) -> None:
    out = tmp_path / "dev.jsonl"
    with serve_site(DEV / "site") as base_url:
        summary = crawl(DEV / "outlets.toml", out, base_url=base_url, quiet=True)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    errors = [r for r in records if r["type"] == "error"]
    articles = {r["url"]: r for r in records if r["type"] == "article"}
    assert not errors, errors

    expected = {
        entry.loc
        for sitemap in (DEV / "site").glob("*/sitemap.xml")
        for entry in parse_sitemap(sitemap.read_bytes()).entries
    }
    assert len(expected) == 65
    assert set(articles) == expected
    assert summary.articles == 65 and summary.discovered == 65
    assert "agency-press" in {a["outlet"] for a in articles.values()}

    for url, article in articles.items():
        path = url.split("/", 3)[3]
        page = (DEV / "site" / path).read_text(encoding="utf-8")
        match = PUBLISHED.search(page)
        assert match is not None, path
        assert article["published_at"] == iso_utc(match.group(1)), path
        assert article["text"].strip(), path

    labels = [json.loads(line) for line in (DEV / "labels.jsonl").read_text().splitlines()]
    by_path = {url.split("/", 3)[3]: a for url, a in articles.items()}
    missing = [
        label for label in labels
        if label["article_quote"] not in by_path[label["article"].lstrip("/")]["text"]
    ]  # fmt: skip
    covered = len(labels) - len(missing)
    print(f"label article_quote coverage: {covered}/{len(labels)}")
    assert not missing, [m["article_quote"] for m in missing]


MODIFIED = re.compile(r'<meta[^>]+property="article:modified_time"[^>]+content="([^"]+)"')


def test_dev_site_step_increments_versions_and_syndication(tmp_path: Path) -> None:
    """Through the crawl step: dates, a re-crawl that fetches no article, a changed page
    as a second version, syndicated copies grouped under the labelled original."""
    import shutil

    from foiatrace.crawl_step import crawl as crawl_step
    from warehouse.db import connect

    site = tmp_path / "site"
    shutil.copytree(DEV / "site", site)
    db = tmp_path / "wh" / "foiatrace.duckdb"
    hits: list[str] = []
    with serve_site(site, requests=hits) as base_url:
        first = crawl_step(db, DEV / "outlets.toml", base_url=base_url, quiet=True)
        assert first["new_versions"] == 65 and first["errors"] == 0
        article_paths = {p for p in hits if re.search(r"/\d{4}/\d{2}/\d{2}/", p)}
        assert len(article_paths) == 65

        assert first["index_fetched"] == 12  # 6 outlets: a sitemap and a feed each

        hits.clear()
        second = crawl_step(db, DEV / "outlets.toml", base_url=base_url, quiet=True)
        assert second["new_versions"] == 0 and second["skipped_seen"] == 65
        assert not set(hits) & article_paths  # nothing unchanged is fetched again
        # the nightly crawl of an unchanged site: every sitemap and feed answers 304 and
        # their stored entries are reused; robots.txt once per outlet (each stands for a site)
        assert second["index_not_modified"] == 12 and second["index_fetched"] == 0
        assert len(hits) == 18 and hits.count("/robots.txt") == 6
        print(f"unchanged re-crawl: {len(hits)} requests, 12 of them 304")

        # one article is updated: new paragraph, newer sitemap lastmod
        sitemap_file = site / "daily-sentinel" / "sitemap.xml"
        entry = parse_sitemap(sitemap_file.read_bytes()).entries[0]
        page = site / entry.loc.split("/", 3)[3]
        html = page.read_text(encoding="utf-8")
        page.write_text(
            html.replace("</p>", "</p><p>UPDATE: The council will vote again next week.</p>", 1),
            encoding="utf-8",
        )
        xml = sitemap_file.read_text(encoding="utf-8")
        loc_at = xml.index(entry.loc)
        lastmod = re.compile(r"<lastmod>[^<]+</lastmod>")
        m = lastmod.search(xml, loc_at)
        assert m is not None
        xml = xml[: m.start()] + "<lastmod>2030-01-01T00:00:00Z</lastmod>" + xml[m.end() :]
        sitemap_file.write_text(xml, encoding="utf-8")
        hits.clear()
        third = crawl_step(db, DEV / "outlets.toml", base_url=base_url, quiet=True)
        assert third["new_versions"] == 1
        assert third["index_fetched"] == 1 and third["index_not_modified"] == 11
        assert set(hits) & article_paths == {"/" + entry.loc.split("/", 3)[3]}

    con = connect(db)
    try:
        assert con.execute(
            "SELECT count(*) FROM article_versions WHERE url = ?", [entry.loc]
        ).fetchone() == (2,)
        rows = con.execute("SELECT url, published_at, modified_at FROM articles").fetchall()
        assert len(rows) == 65
        with_modified = 0
        for url, published, modified in rows:
            text = (DEV / "site" / url.split("/", 3)[3]).read_text(encoding="utf-8")
            pub = PUBLISHED.search(text)
            assert pub is not None and published.isoformat() == iso_utc(pub.group(1)), url
            mod = MODIFIED.search(text)
            if mod:
                with_modified += 1
                assert modified.isoformat() == iso_utc(mod.group(1)), url
        assert with_modified > 0
        copies = dict(con.execute("SELECT url, original_url FROM syndication").fetchall())
    finally:
        con.close()
    expected = {
        (h["article"], h["original"])
        for h in map(json.loads, (DEV / "hard_negatives.jsonl").read_text().splitlines())
        if h["reason"] == "syndicated_copy"
    }
    found = {("/" + u.split("/", 3)[3], "/" + o.split("/", 3)[3]) for u, o in copies.items()}
    print(f"syndication: expected {sorted(expected)}, found {sorted(found)}")
    assert expected <= found
    assert len(found) <= len(expected) + 1  # no flood of false groupings
