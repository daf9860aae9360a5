"""Safety rules, spider exceptions and listing pages, with real crawls on loopback only.

Every "forbidden" target is itself a loopback server (127.0.0.2) whose request log must
stay empty, or a ``.example`` host refused before any lookup: no test traffic leaves
the machine even if a rule were broken.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawlers.middlewares import SafetyMiddleware
from crawlers.run import crawl
from crawlers.serve import serve_site

DOMAIN = "safety.example"
ORIGIN = f"https://{DOMAIN}"
PARAGRAPH = (
    "The harbor commission voted on Tuesday to extend the ferry contract for two more "
    "years, citing steady ridership and fewer delays since the new dock opened in spring."
)


def article_html(title: str, published: str = "2021-05-01T10:00:00Z", extra: str = "") -> str:
    paragraphs = "".join(f"<p>{title}: {PARAGRAPH} Paragraph {i}.</p>" for i in range(4))
    return (
        f"<!doctype html><html><head><title>{title}</title>"
        f'<meta property="article:published_time" content="{published}"></head>'
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{paragraphs}"
        f"{extra}</article><footer>Footer</footer></body></html>"
    )


def write_site(root: Path, locs: list[str]) -> None:
    (root / "s").mkdir(parents=True)
    urls = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    (root / "s" / "sitemap.xml").write_text(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>",
        encoding="utf-8",
    )
    (root / "s" / "ok.html").write_text(article_html("A page that is fine"), encoding="utf-8")


def outlets_file(path: Path, extra: str = "") -> Path:
    path.write_text(
        f'[[outlet]]\nslug = "safe"\nname = "Safe"\ndomain = "{DOMAIN}"\n'
        f'sitemap = "/s/sitemap.xml"\nrss = ""\n{extra}',
        encoding="utf-8",
    )
    return path


def read(out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    articles, errors = {}, {}
    for line in out.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec["type"] in ("article", "error"):
            (articles if rec["type"] == "article" else errors)[rec["url"]] = rec
    return articles, errors


@pytest.fixture()
def forbidden(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A loopback server on 127.0.0.2 that the crawl must never reach."""
    root = tmp_path / "forbidden"
    root.mkdir()
    (root / "secret.html").write_text(article_html("Secret"), encoding="utf-8")
    hits: list[str] = []
    with serve_site(root, host="127.0.0.2", requests=hits) as url:
        yield url, hits


def test_safety_rules_block_redirects_private_links_and_big_responses(
    tmp_path: Path, forbidden: tuple[str, list[str]]
) -> None:
    forbidden_url, hits = forbidden
    site = tmp_path / "site"
    write_site(
        site,
        [
            f"{ORIGIN}/s/ok.html",
            f"{ORIGIN}/s/moved-away.html",  # 302 to another domain
            f"{ORIGIN}/s/moved-inside.html",  # 302 to a private (loopback) address
            f"{forbidden_url}/secret.html",  # a sitemap entry pointing at a private address
            "https://elsewhere.example/s/other.html",  # another domain, listed in our sitemap
            f"{ORIGIN}/s/huge.html",
        ],
    )
    big = article_html("Huge", extra="<p>" + "word " * 60_000 + "</p>").encode()
    routes = {
        "/s/moved-away.html": lambda _: (302, {"Location": "https://elsewhere.example/x"}, b""),
        "/s/moved-inside.html": lambda _: (
            302,
            {"Location": f"{forbidden_url}/secret.html?r=1"},
            b"",
        ),
        "/s/huge.html": lambda _: (200, {"Content-Type": "text/html; charset=utf-8"}, big),
    }
    outlets = outlets_file(tmp_path / "o.toml", "max_bytes = 100000\n")
    with serve_site(site, routes=routes) as base:
        summary = crawl(outlets, tmp_path / "items.jsonl", base_url=base, quiet=True)
    articles, errors = read(tmp_path / "items.jsonl")
    assert set(articles) == {f"{ORIGIN}/s/ok.html"}
    reasons = {url.removeprefix(ORIGIN): e["reason"] for url, e in errors.items()}
    assert reasons["/s/moved-away.html"] == "blocked: redirect to off-domain host elsewhere.example"
    assert reasons["/s/moved-inside.html"] == "blocked: redirect to private address 127.0.0.2"
    assert reasons[f"{forbidden_url}/secret.html"] == "blocked: private address 127.0.0.2"
    assert reasons["https://elsewhere.example/s/other.html"] == (
        "blocked: off-domain host elsewhere.example"
    )
    assert reasons["/s/huge.html"] == "response too large (over 100000 bytes)"
    assert summary.blocked == 4
    assert hits == []  # the private server never saw a request (not even robots.txt)


def test_safety_check_unit() -> None:
    class _Spider:
        allowed_hosts = {"news.example", "cdn.news.example"}
        configured_netlocs = {"127.0.0.1:8000"}

    class _Crawler:
        spider = _Spider()
        settings = type("S", (), {"getbool": staticmethod(lambda *_: False)})()

    mw = SafetyMiddleware(_Crawler())  # type: ignore[arg-type]
    assert mw.check("http://127.0.0.1:8000/a.html") is None
    assert mw.check("https://www.news.example/a.html") is None
    assert mw.check("https://img.cdn.news.example/a.jpg") is None
    assert mw.check("http://127.0.0.1:8001/a.html") == "blocked: private address 127.0.0.1"
    assert mw.check("http://169.254.169.254/latest") == "blocked: private address 169.254.169.254"
    assert mw.check("http://[::1]:8000/") == "blocked: private address ::1"
    assert mw.check("http://10.1.2.3/") == "blocked: private address 10.1.2.3"
    assert mw.check("http://localhost:8000/") == "blocked: private address localhost"
    assert mw.check("https://notnews.example/") == "blocked: off-domain host notnews.example"
    assert mw.check("ftp://news.example/x") == "blocked: scheme 'ftp'"


def test_spider_exception_becomes_an_error_item(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site(site, [f"{ORIGIN}/s/ok.html", f"{ORIGIN}/s/boom.html"])
    (site / "s" / "boom.html").write_text(article_html("Boom"), encoding="utf-8")
    outlets = outlets_file(tmp_path / "o.toml")
    with serve_site(site) as base:
        summary = crawl(
            outlets,
            tmp_path / "items.jsonl",
            base_url=base,
            quiet=True,
            extra_env={"FOIATRACE_CRAWL_FAULT_URLS": "boom"},
        )
    articles, errors = read(tmp_path / "items.jsonl")
    assert set(articles) == {f"{ORIGIN}/s/ok.html"}
    assert errors[f"{ORIGIN}/s/boom.html"]["reason"] == (
        f"spider error: RuntimeError: injected fault for {ORIGIN}/s/boom.html"
    )
    assert errors[f"{ORIGIN}/s/boom.html"]["outlet"] == "safe"
    assert summary.errors == 1 and summary.articles == 1


def test_listing_pages_and_pagination(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "news" / "2021" / "05").mkdir(parents=True)
    (site / "section").mkdir()
    slugs = [f"council-story-number-{i}" for i in range(5)]
    for slug in slugs:
        (site / "news" / "2021" / "05" / f"{slug}.html").write_text(
            article_html(slug.replace("-", " ")), encoding="utf-8"
        )
    nav = "<a href='/section/local.html'>Local</a><a href='/author/jo.html'>Jo</a>"
    (site / "section" / "local.html").write_text(
        f"<html><body>{nav}<a href='/news/2021/05/{slugs[0]}.html'>0</a>"
        f"<a href='/news/2021/05/{slugs[1]}.html'>1</a>"
        "<a href='https://elsewhere.example/2021/05/x-y-z-w.html'>off</a>"
        "<a href='/section/local-2.html' rel='next'>Next</a></body></html>",
        encoding="utf-8",
    )
    (site / "section" / "local-2.html").write_text(
        f"<html><body>{nav}<a href='/news/2021/05/{slugs[2]}.html'>2</a>"
        "<a href='/section/local-3.html'>Older stories</a></body></html>",
        encoding="utf-8",
    )
    (site / "section" / "local-3.html").write_text(
        f"<html><body><a href='/news/2021/05/{slugs[3]}.html'>3</a>"
        "<a href='/section/local-4.html'>Next</a></body></html>",
        encoding="utf-8",
    )
    (site / "section" / "local-4.html").write_text(
        f"<html><body><a href='/news/2021/05/{slugs[4]}.html'>4</a></body></html>",
        encoding="utf-8",
    )
    outlets = tmp_path / "o.toml"
    outlets.write_text(
        f'[[outlet]]\nslug = "l"\nname = "L"\ndomain = "{DOMAIN}"\nsitemap = ""\nrss = ""\n'
        'listings = ["/section/local.html"]\nmax_listing_pages = 3\n',
        encoding="utf-8",
    )
    with serve_site(site) as base:
        summary = crawl(outlets, tmp_path / "items.jsonl", base_url=base, quiet=True)
    articles, errors = read(tmp_path / "items.jsonl")
    # three pages followed (max_listing_pages), so the 4th page's article is not reached
    assert set(articles) == {f"{ORIGIN}/news/2021/05/{s}.html" for s in slugs[:4]}
    assert not errors
    assert summary.listing_pages == 3
    assert all(a["discovered_via"] == "listing" for a in articles.values())


def test_robots_txt_comes_from_the_mapped_origin_and_matches_canonical_paths(
    tmp_path: Path,
) -> None:
    """With ``base_url`` under a path, robots.txt is fetched where the outlet's origin is
    mapped (``<base>/robots.txt``), not from the local server's root, and its rules are
    matched against the canonical path (``/secret/...``), not the local one."""
    root = tmp_path / "root"
    mirror = root / "mirror"
    write_site(mirror, [f"{ORIGIN}/s/ok.html", f"{ORIGIN}/secret/hidden.html"])
    (mirror / "secret").mkdir()
    (mirror / "secret" / "hidden.html").write_text(article_html("Hidden"), encoding="utf-8")
    (mirror / "robots.txt").write_text("User-agent: *\nDisallow: /secret/\n", encoding="utf-8")
    # the local server's own robots.txt is not the outlet's: obeying it would stop everything
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    outlets = outlets_file(tmp_path / "o.toml")
    hits: list[str] = []
    with serve_site(root, requests=hits) as base:
        crawl(outlets, tmp_path / "items.jsonl", base_url=f"{base}/mirror", quiet=True)
    articles, errors = read(tmp_path / "items.jsonl")
    assert set(articles) == {f"{ORIGIN}/s/ok.html"}
    assert articles[f"{ORIGIN}/s/ok.html"]["fetched_url"] == f"{base}/mirror/s/ok.html"
    assert (
        errors == {f"{ORIGIN}/secret/hidden.html": errors[f"{ORIGIN}/secret/hidden.html"]}
        and errors[f"{ORIGIN}/secret/hidden.html"]["reason"] == "forbidden by robots.txt"
    )
    assert hits.count("/mirror/robots.txt") == 1 and "/robots.txt" not in hits
    assert "/mirror/secret/hidden.html" not in hits


def test_robots_target_unit() -> None:
    """Each outlet mapped onto one base URL keeps its own robots.txt parser key."""
    from crawlers.middlewares import OutletRobotsTxtMiddleware
    from crawlers.outlets import Outlet
    from crawlers.spider import ArticleSpider

    outlets = [
        Outlet("a", "A", "a.example", None, None, urls=["/x"]),
        Outlet("b", "B", "b.example", None, None, urls=["/y"]),
    ]
    spider = ArticleSpider(outlets=outlets, base_url="http://127.0.0.1:8000/site")
    mw = OutletRobotsTxtMiddleware.__new__(OutletRobotsTxtMiddleware)
    mw.crawler = type("C", (), {"spider": spider})()  # type: ignore[assignment]
    from scrapy import Request

    req_a = Request("http://127.0.0.1:8000/site/news/1.html", meta={"outlet": "a"})
    req_b = Request("http://127.0.0.1:8000/site/news/1.html", meta={"outlet": "b"})
    assert mw.target(req_a) == (
        "https://a.example",
        "http://127.0.0.1:8000/site/robots.txt",
        "https://a.example/news/1.html",
    )
    assert mw.target(req_b)[0] == "https://b.example"
    real = Request("https://cdn.a.example/img/1.html", meta={"outlet": "a"})
    spider.base_url = None
    assert mw.target(real) == (
        "https://cdn.a.example",
        "https://cdn.a.example/robots.txt",
        "https://cdn.a.example/img/1.html",
    )
