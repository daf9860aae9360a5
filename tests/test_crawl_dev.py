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
