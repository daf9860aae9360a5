"""A hostile site crawled for real (Scrapy in its subprocess, HTTP on 127.0.0.1).

Sitemap loops and endless nesting, redirect loops, redirects out of the sandbox, binary
junk served as HTML and a mislabelled charset: the crawl must end quickly, within its
request budgets, store the good pages, and leave an ``errors`` row (loaded the way the
crawl step loads them) naming each bad URL. The crawler process runs with
``FOIATRACE_LOOPBACK_ONLY=1`` (``crawlers.loopback``): any connection or name lookup
off 127.0.0.1 is refused there and reported in the summary, which must stay empty.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request

from crawlers.bodytext import NotText, binary_reason, decode_body
from crawlers.run import CrawlSummary, crawl
from crawlers.serve import serve_site
from foiatrace.crawl_step import load_crawl_output
from warehouse.db import connect

HOST = "https://hostile.example"
OTHER = "https://other.example"
BUDGET = "https://budget.example"
GUARD = {"FOIATRACE_LOOPBACK_ONLY": "1"}
MAX_SECONDS = 30.0  # the whole hostile crawl (a few seconds on loopback)
MAX_REQUESTS = 60  # every request the server saw, robots.txt included
PARAGRAPH = (
    "The port authority reopened the north pier on Monday after a month of repairs, and "
    "the ferry schedule returns to its summer timetable with two extra evening crossings."
)
LATIN = "Café owners on the quay welcome the naïve plan, déjà vu for the élan of the pier"

Route = Callable[[str], tuple[int, dict[str, str], bytes]]


def article_html(title: str, extra: str = "", head: str = "") -> str:
    paragraphs = "".join(f"<p>{title}: {PARAGRAPH} Paragraph {i}.</p>" for i in range(4))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f'<meta property="article:published_time" content="2021-06-01T10:00:00Z">{head}'
        f"</head><body><article><h1>{title}</h1>{paragraphs}{extra}</article></body></html>"
    )


def index_xml(*locs: str) -> bytes:
    items = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{items}</sitemapindex>"
    ).encode()


def urlset_xml(*locs: str) -> bytes:
    items = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{items}</urlset>"
    ).encode()


def xml(body: bytes) -> Route:
    return lambda _: (200, {"Content-Type": "application/xml"}, body)


def redirect(location: str, status: int = 302) -> Route:
    return lambda _: (status, {"Location": location}, b"")


def html_bytes(body: bytes, ctype: str = "text/html; charset=utf-8") -> Route:
    return lambda _: (200, {"Content-Type": ctype}, body)


GOOD = f"{HOST}/h/good.html"
MOVED = f"{HOST}/h/moved.html"  # 301 to the canonical https:// URL of another page
TO_OTHER = f"{HOST}/h/to-other.html"  # 302 to another configured outlet
LATIN1 = f"{HOST}/h/latin1.html"  # Latin-1 bytes declared UTF-8
BAD = {
    "self_index": f"{HOST}/h/self.xml",
    "loop_a": f"{HOST}/h/a.xml",
    "deep": f"{HOST}/h/deep/5.xml",
    "redirect_loop": f"{HOST}/h/loop-a.html",
    "self_redirect": f"{HOST}/h/self-redirect.html",
    "self_canonical": f"{HOST}/h/self-canonical.html",
    "meta_loop": f"{HOST}/h/meta-loop.html",
    "junk": f"{HOST}/h/junk.html",
    "junk_no_nul": f"{HOST}/h/junk2.html",
    "to_cdn": f"{HOST}/h/to-cdn.html",
    "to_elsewhere": f"{HOST}/h/to-elsewhere.html",
}


def hostile_site(root: Path) -> dict[str, Route]:
    """Files for the good pages, routes for everything hostile."""
    (root / "h").mkdir(parents=True)
    (root / "o").mkdir()
    (root / "b").mkdir()
    (root / "h" / "good.html").write_text(article_html("A good page"), encoding="utf-8")
    (root / "h" / "new-home.html").write_text(
        article_html("The new home", head=f'<link rel="canonical" href="{HOST}/h/new-home.html">'),
        encoding="utf-8",
    )
    (root / "o" / "story.html").write_text(article_html("Other outlet story"), encoding="utf-8")
    for i in range(12):
        (root / "b" / f"story-{i}.html").write_text(
            article_html(f"Budget story {i}"), encoding="utf-8"
        )
    junk = random.Random(11).randbytes(96_000)
    latin = article_html("Quay", extra=f"<p>{LATIN}.</p>").encode("latin-1")
    articles = [GOOD, MOVED, TO_OTHER, LATIN1] + [
        BAD[k]
        for k in (
            "redirect_loop",
            "self_redirect",
            "self_canonical",
            "meta_loop",
            "junk",
            "junk_no_nul",
            "to_cdn",
            "to_elsewhere",
        )  # fmt: skip
    ]
    routes: dict[str, Route] = {
        "/h/sitemap.xml": xml(
            index_xml(
                f"{HOST}/h/self.xml",
                f"{HOST}/h/a.xml",
                f"{HOST}/h/deep/0.xml",
                f"{HOST}/h/articles.xml",
            )  # fmt: skip
        ),
        "/h/self.xml": xml(index_xml(f"{HOST}/h/self.xml")),
        "/h/a.xml": xml(index_xml(f"{HOST}/h/b.xml")),
        "/h/b.xml": xml(index_xml(f"{HOST}/h/a.xml")),
        "/h/articles.xml": xml(urlset_xml(*articles)),
        "/h/moved.html": redirect(f"{HOST}/h/new-home.html", 301),
        "/h/to-other.html": redirect(f"{OTHER}/o/story.html"),
        "/h/latin1.html": html_bytes(latin),
        "/h/loop-a.html": redirect("/h/loop-b.html"),
        "/h/loop-b.html": redirect(f"{HOST}/h/loop-a.html"),
        "/h/self-redirect.html": redirect("/h/self-redirect.html", 301),
        "/h/self-canonical.html": redirect(f"{HOST}/h/self-canonical.html", 301),
        "/h/meta-loop.html": html_bytes(
            b'<html><head><meta http-equiv="refresh" content="0; url=/h/meta-loop.html">'
            b"</head><body><p>Moved.</p></body></html>"
        ),
        "/h/junk.html": html_bytes(junk),
        "/h/junk2.html": html_bytes(junk.replace(b"\x00", b"n")),
        "/h/to-cdn.html": redirect("https://cdn.hostile.example/h/good.html"),
        "/h/to-elsewhere.html": redirect("https://elsewhere.example/h/good.html"),
        "/b/sitemap.xml": xml(urlset_xml(*(f"{BUDGET}/b/story-{i}.html" for i in range(12)))),
    }
    # a sitemap index that nests forever: each level lists the next one
    for n in range(12):
        routes[f"/h/deep/{n}.xml"] = xml(index_xml(f"{HOST}/h/deep/{n + 1}.xml"))
    return routes


OUTLETS = f"""
[[outlet]]
slug = "hostile"
name = "Hostile"
domain = "hostile.example"
sitemap = "/h/sitemap.xml"
rss = ""
extra_domains = ["cdn.hostile.example"]

[[outlet]]
slug = "other"
name = "Other"
domain = "other.example"
sitemap = ""
rss = ""
urls = ["{OTHER}/o/story.html"]

[[outlet]]
slug = "budget"
name = "Budget"
domain = "budget.example"
sitemap = "/b/sitemap.xml"
rss = ""
max_requests = 5
"""


@dataclass
class HostileCrawl:
    summary: CrawlSummary
    seconds: float
    base: str
    hits: list[str]
    articles: dict[str, dict[str, Any]]
    errors: dict[str, list[str]]  # url -> reasons (JSON lines)
    error_rows: dict[str, list[str]]  # url -> reasons (the warehouse's errors table)
    stored: set[str]  # article_versions urls


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileCrawl]:
    tmp = tmp_path_factory.mktemp("hostile")
    routes = hostile_site(tmp / "site")
    outlets = tmp / "outlets.toml"
    outlets.write_text(OUTLETS, encoding="utf-8")
    out = tmp / "items.jsonl"
    hits: list[str] = []
    with serve_site(tmp / "site", routes=routes, requests=hits) as base:
        started = time.monotonic()
        summary = crawl(
            outlets, out, base_url=base, quiet=True, timeout_s=MAX_SECONDS * 2, extra_env=GUARD
        )
        seconds = time.monotonic() - started
    articles: dict[str, dict[str, Any]] = {}
    errors: dict[str, list[str]] = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec["type"] == "article":
            articles[rec["url"]] = rec
        elif rec["type"] == "error":
            errors.setdefault(rec["url"], []).append(rec["reason"])
    con = connect(tmp / "wh.duckdb")
    try:
        load_crawl_output(con, out)
        error_rows: dict[str, list[str]] = {}
        for source, reason in con.execute(
            "SELECT source, reason FROM errors WHERE step = 'crawl'"
        ).fetchall():
            error_rows.setdefault(source, []).append(reason)
        stored = {u for (u,) in con.execute("SELECT url FROM article_versions").fetchall()}
    finally:
        con.close()
    yield HostileCrawl(summary, seconds, base, hits, articles, errors, error_rows, stored)


def test_hostile_crawl_ends_within_its_budgets_on_loopback(hostile: HostileCrawl) -> None:
    assert hostile.summary.off_loopback == []  # nothing left 127.0.0.1, not even a lookup
    assert hostile.seconds < MAX_SECONDS
    assert len(hostile.hits) <= MAX_REQUESTS, Counter(hostile.hits).most_common(5)
    counts = Counter(hostile.hits)
    # every sitemap once; the endless index stops at the depth limit (5 levels below the
    # configured sitemap: deep/0 is level 1)
    for path in ("/h/sitemap.xml", "/h/self.xml", "/h/a.xml", "/h/b.xml", "/h/articles.xml"):
        assert counts[path] == 1, path
    assert [counts[f"/h/deep/{n}.xml"] for n in range(7)] == [1, 1, 1, 1, 1, 0, 0]
    # a redirect loop costs one request per URL in it, a self-redirect one request
    assert counts["/h/loop-a.html"] == counts["/h/loop-b.html"] == 1
    assert counts["/h/self-redirect.html"] == counts["/h/self-canonical.html"] == 1
    assert counts["/h/meta-loop.html"] == 1
    assert hostile.summary.limits_hit == 3 + 4 + 8  # sitemap limits, redirect loops, budget


def test_good_pages_are_stored_and_redirects_stay_in_the_sandbox(hostile: HostileCrawl) -> None:
    base = hostile.base
    good = {GOOD, f"{HOST}/h/new-home.html", TO_OTHER, LATIN1, f"{OTHER}/o/story.html"}
    good |= {f"{BUDGET}/b/story-{i}.html" for i in range(4)}
    assert set(hostile.articles) == good
    assert hostile.stored == good
    # the redirect to the outlet's canonical https:// URL was fetched from --base-url
    assert hostile.articles[f"{HOST}/h/new-home.html"]["fetched_url"] == f"{base}/h/new-home.html"
    # ... and so was the one to another configured outlet
    assert hostile.articles[TO_OTHER]["fetched_url"] == f"{base}/o/story.html"
    assert not any(path.startswith("http") for path in hostile.hits)


def test_latin1_declared_utf8_is_decoded_and_says_so(hostile: HostileCrawl) -> None:
    page = hostile.articles[LATIN1]
    assert LATIN in page["text"] and "\ufffd" not in page["text"]
    assert page["charset_note"] == "declared utf-8 (HTTP header) does not decode; decoded as cp1252"
    assert hostile.articles[GOOD]["charset_note"] is None


def test_every_bad_page_has_an_error_row_naming_it(hostile: HostileCrawl) -> None:
    base = hostile.base
    expected = {
        "self_index": f"sitemap loop: {HOST}/h/sitemap.xml -> {HOST}/h/self.xml -> "
        f"{HOST}/h/self.xml",
        "loop_a": f"sitemap loop: {HOST}/h/sitemap.xml -> {HOST}/h/a.xml -> {HOST}/h/b.xml -> "
        f"{HOST}/h/a.xml",
        "redirect_loop": f"redirect loop: back to {HOST}/h/loop-a.html after 2 redirects",
        "self_redirect": f"redirect loop: back to {HOST}/h/self-redirect.html after 1 redirect",
        "self_canonical": f"redirect loop: back to {HOST}/h/self-canonical.html after 1 redirect",
        "meta_loop": f"redirect loop: back to {HOST}/h/meta-loop.html after 1 redirect",
        "junk": "not text: NUL bytes in the body (binary data)",
        "to_cdn": f"blocked: redirect to cdn.hostile.example is outside --base-url {base}",
        "to_elsewhere": "blocked: redirect to off-domain host elsewhere.example",
    }
    for key, reason in expected.items():
        assert hostile.errors.get(BAD[key]) == [reason], key
        assert hostile.error_rows.get(BAD[key]) == [reason], key
    deep = hostile.errors[BAD["deep"]]
    assert len(deep) == 1
    assert deep[0].startswith("sitemap nesting deeper than 5 levels (FOIATRACE_MAX_INDEX_DEPTH)")
    junk2 = hostile.errors[BAD["junk_no_nul"]]
    assert len(junk2) == 1 and junk2[0].startswith("not text: ")
    assert junk2[0].endswith("% control characters (binary data)")
    budget = "request budget: 5 requests for outlet budget (max_requests)"
    for i in range(4, 12):
        assert hostile.error_rows[f"{BUDGET}/b/story-{i}.html"] == [budget]
    assert set(hostile.errors) == set(BAD.values()) | {
        f"{BUDGET}/b/story-{i}.html" for i in range(4, 12)
    }
    assert hostile.summary.errors == len(BAD) + 8


def test_the_loopback_guard_refuses_and_records(tmp_path: Path) -> None:
    """Without --base-url the outlet's real host would be looked up: the guard refuses it
    (no query leaves the process) and the summary names it."""
    outlets = tmp_path / "o.toml"
    outlets.write_text(
        '[[outlet]]\nslug = "g"\nname = "G"\ndomain = "guard.example"\nsitemap = ""\n'
        'rss = ""\nurls = ["/g.html"]\n',
        encoding="utf-8",
    )
    summary = crawl(outlets, tmp_path / "items.jsonl", quiet=True, timeout_s=60, extra_env=GUARD)
    assert summary.off_loopback and all("guard.example" in v for v in summary.off_loopback)
    assert summary.articles == 0 and summary.errors == 1


def test_decode_body_cases() -> None:
    page = article_html("Quay", extra=f"<p>{LATIN} “quoted” — dash.</p>")
    assert decode_body(page.encode(), "text/html; charset=utf-8").note is None
    cp = decode_body(page.encode("cp1252"), "text/html; charset=utf-8")
    assert LATIN in cp.text and "“quoted”" in cp.text and cp.encoding == "cp1252"
    # a real UTF-8 page with one corrupt byte stays UTF-8 (not mojibake), and says so
    corrupt = decode_body(page.encode() + b"\xff", "text/html")
    assert corrupt.encoding == "utf-8" and LATIN in corrupt.text
    assert (
        corrupt.note
        == "declared utf-8 (meta charset): 1 invalid byte sequence(s) replaced by U+FFFD"
    )
    # "latin-1" is decoded as browsers do (Windows-1252: its curly quotes)
    assert "“quoted”" in decode_body(page.encode("cp1252"), "text/html; charset=iso-8859-1").text
    utf16 = decode_body(b"\xff\xfe" + page.encode("utf-16-le"), "text/html")
    assert utf16.encoding == "utf-16-le" and utf16.note is None
    with pytest.raises(NotText, match="NUL bytes"):
        decode_body(b"<html>\x00\x00\x01" + page.encode(), "text/html")
    assert binary_reason("plain text\twith\r\nwhitespace\x0c") is None
    assert binary_reason("x" * 100 + "\x01" * 7) is None  # a few strays are not binary
    assert binary_reason("x" * 100 + "\x01" * 8) == "not text: 7% control characters (binary data)"


def test_budget_error_rows_are_capped_and_duplicates_skipped() -> None:
    """Past ``budget_error_rows`` refusals per outlet are only counted (no flood of rows);
    a sitemap listed by two indexes is requested once, without an error."""
    from crawlers.outlets import Outlet
    from crawlers.spider import ArticleSpider

    outlet = Outlet("t", "T", "t.example", "/s.xml", None, max_requests=2)
    spider = ArticleSpider(outlets=[outlet])
    spider.budget_error_rows = 3
    stats: Counter[str] = Counter()

    class _Stats:
        def inc_value(self, key: str, count: int = 1) -> None:
            stats[key] += count

    spider.crawler = type("C", (), {"stats": _Stats()})()  # type: ignore[assignment]
    first = spider._index_request(outlet, "https://t.example/s.xml", "sitemap")
    assert isinstance(first, Request)
    assert spider._index_request(outlet, "https://t.example/s.xml", "sitemap") is None  # duplicate
    assert spider._index_request(outlet, "https://t.example/s.xml", "feed") is not None  # 2nd kind
    rows = [
        spider._index_request(outlet, f"https://t.example/{i}.xml", "sitemap") for i in range(6)
    ]
    reasons = [r.reason for r in rows if r is not None]  # type: ignore[union-attr]
    assert len(reasons) == 3
    assert reasons[0] == "request budget: 2 requests for outlet t (max_requests)"
    assert reasons[2].endswith("later refusals are counted in the log, without an error item")
    assert stats["foiatrace/limits_hit"] == 6 and stats["foiatrace/index_duplicates"] == 1
