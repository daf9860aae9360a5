"""A real crawl over HTTP on 127.0.0.1 of the tiny fixture site (subprocess, as in production)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from crawlers.run import CrawlError, crawl
from crawlers.serve import serve_site

FIXTURES = Path(__file__).parent / "fixtures" / "crawl"
OUTLETS = FIXTURES / "outlets.toml"
ORIGIN = "https://harborgazette.example/harbor-gazette"
FERRY = f"{ORIGIN}/2021/03/04/ferry-captain-cited-after-dock-collision.html"
SEAWALL = f"{ORIGIN}/2021/03/10/council-approves-seawall-bond.html"
LIGHTHOUSE = f"{ORIGIN}/2021/02/01/lighthouse-museum-reopens.html"
MISSING = f"{ORIGIN}/2021/03/12/missing-page.html"
PRIVATE = f"{ORIGIN}/private/2021/03/11/draft.html"
PDF = f"{ORIGIN}/2021/03/09/budget-summary.pdf"


def read_items(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    articles, errors = {}, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["type"] in ("article", "error"):
            (articles if record["type"] == "article" else errors)[record["url"]] = record
    return articles, errors


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_site(FIXTURES / "site") as url:
        yield url


@pytest.fixture(scope="module")
def full_crawl(base_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    out = tmp_path_factory.mktemp("crawl") / "items.jsonl"
    return crawl(OUTLETS, out, base_url=base_url), out


def test_crawl_finds_articles_with_canonical_urls(
    full_crawl: tuple[Any, Path], base_url: str
) -> None:
    summary, out = full_crawl
    articles, errors = read_items(out)
    assert set(articles) == {FERRY, SEAWALL, LIGHTHOUSE}
    assert summary.articles == 3 and summary.errors == 3
    assert summary.discovered == 6 and summary.skipped_seen == 0
    assert summary.out_path == out
    ferry = articles[FERRY]
    assert ferry["fetched_url"] == FERRY.replace("https://harborgazette.example", base_url)
    assert ferry["outlet"] == "harbor-gazette"
    # a root-relative canonical (seawall page) is mapped back to the canonical origin
    assert articles[SEAWALL]["url"] == SEAWALL
    assert articles[SEAWALL]["fetched_url"].startswith(base_url)


def test_crawl_times_are_utc_page_meta(full_crawl: tuple[Any, Path]) -> None:
    articles, _ = read_items(full_crawl[1])
    assert articles[FERRY]["published_at"] == "2021-03-04T23:30:00+00:00"
    assert articles[FERRY]["modified_at"] == "2021-03-05T14:15:00+00:00"
    assert articles[FERRY]["date_source"] == "jsonld"
    assert articles[SEAWALL]["published_at"] == "2021-03-10T15:45:00+00:00"
    assert articles[SEAWALL]["date_source"] == "meta"
    # no modification time on the page: the sitemap's lastmod stands in
    assert articles[SEAWALL]["modified_at"] == "2021-03-10T15:45:00+00:00"
    assert articles[LIGHTHOUSE]["published_at"] == "2021-02-01T12:00:00+00:00"


def test_crawl_text_is_the_body_only(full_crawl: tuple[Any, Path]) -> None:
    articles, _ = read_items(full_crawl[1])
    ferry = articles[FERRY]
    assert "the collision tore a six-foot gap in the dock’s outer railing" in ferry["text"]
    assert "\n\nUPDATE: Service resumed Friday morning" in ferry["text"]
    for junk in ("Related Stories", "Gull Island residents demand", "Morning Tide", "READ MORE"):
        assert junk not in ferry["text"]
    assert "Most Read" not in articles[SEAWALL]["text"]
    assert ferry["authors"] == ["Tobias Wrenfield", "Ines Brackwater"]
    assert len(ferry["html_sha256"]) == 64 and len(ferry["text_sha256"]) == 64
    assert ferry["fetched_at"].endswith("+00:00") and ferry["http_status"] == 200


def test_crawl_reports_404_robots_and_non_html(full_crawl: tuple[Any, Path]) -> None:
    _, errors = read_items(full_crawl[1])
    assert set(errors) == {MISSING, PRIVATE, PDF}
    assert errors[PDF]["reason"] == "not HTML (application/pdf)"
    assert errors[MISSING]["reason"] == "HTTP 404"
    assert errors[MISSING]["outlet"] == "harbor-gazette"
    assert errors[PRIVATE]["reason"] == "forbidden by robots.txt"


def test_crawl_since_and_seen_skip_before_fetching(base_url: str, tmp_path: Path) -> None:
    out = tmp_path / "items.jsonl"
    seen = {
        SEAWALL: "2021-03-10T15:45:00+00:00",  # unchanged since: skipped
        FERRY: "2021-03-04T23:30:00+00:00",  # sitemap lastmod is newer: fetched again
    }
    summary = crawl(OUTLETS, out, base_url=base_url, since=date(2021, 3, 1), seen=seen)
    articles, errors = read_items(out)
    assert set(articles) == {FERRY}
    assert LIGHTHOUSE not in errors  # dated before `since`: never requested
    assert summary.skipped_since == 1 and summary.skipped_seen == 1
    assert set(errors) == {MISSING, PRIVATE, PDF}


def test_crawl_explicit_urls_with_deny(base_url: str, tmp_path: Path) -> None:
    outlets = tmp_path / "urls.toml"
    outlets.write_text(
        '[[outlet]]\nslug = "hg"\nname = "HG"\ndomain = "harborgazette.example"\n'
        'sitemap = ""\nrss = ""\ncrawl_delay = 0\ndeny = ["/2021/02/"]\nurls = [\n'
        f'  "{FERRY}",\n  "/harbor-gazette/2021/03/10/council-approves-seawall-bond.html",\n'
        f'  "{LIGHTHOUSE}",\n]\n'
    )
    summary = crawl(outlets, tmp_path / "items.jsonl", base_url=base_url, quiet=True)
    articles, errors = read_items(tmp_path / "items.jsonl")
    assert set(articles) == {FERRY, SEAWALL} and not errors
    assert summary.discovered == 2
    # no sitemap or feed dates here: the page's own dates are used
    assert articles[SEAWALL]["date_source"] == "meta" and articles[SEAWALL]["outlet"] == "hg"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_crawl_dead_site_gives_error_items(tmp_path: Path) -> None:
    out = tmp_path / "items.jsonl"
    summary = crawl(OUTLETS, out, base_url=f"http://127.0.0.1:{_free_port()}", quiet=True)
    articles, errors = read_items(out)
    assert not articles and summary.errors == 2
    assert errors[f"{ORIGIN}/sitemap.xml"]["reason"] == "sitemap: connection refused"
    assert errors[f"{ORIGIN}/rss.xml"]["reason"] == "feed: connection refused"


def test_crawl_bad_outlets_file_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[outlet]]\nslug = 'x'\n")
    with pytest.raises(CrawlError, match="missing key"):
        crawl(bad, tmp_path / "out.jsonl")
