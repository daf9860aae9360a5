"""Offline tests: outlets file, dates, sitemap and feed parsing (pure functions over bytes)."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from crawlers.dates import iso_utc, older_than, parse_datetime
from crawlers.feeds import parse_feed
from crawlers.outlets import OutletsFileError, load_outlets
from crawlers.sitemaps import parse_sitemap, sitemaps_from_robots

FIXTURES = Path(__file__).parent / "fixtures" / "crawl"


# --- outlets -----------------------------------------------------------------------------


def test_load_outlets_fixture() -> None:
    (outlet,) = load_outlets(FIXTURES / "outlets.toml")
    assert outlet.slug == "harbor-gazette"
    assert outlet.origin == "https://harborgazette.example"
    assert outlet.sitemap_urls() == ["https://harborgazette.example/harbor-gazette/sitemap.xml"]
    assert outlet.feed_urls() == ["https://harborgazette.example/harbor-gazette/rss.xml"]
    assert outlet.crawl_delay is None and outlet.urls == []


def test_load_outlets_optional_keys(tmp_path: Path) -> None:
    path = tmp_path / "o.toml"
    path.write_text(
        '[[outlet]]\nslug="a"\nname="A"\ndomain="a.example"\n'
        'sitemap="https://cdn.example/a/sitemap.xml"\nrss=""\n'
        'urls=["/x/1.html"]\ncrawl_delay=2.5\ndeny=["/opinion/"]\nallow=["/x/", "/y/"]\n'
    )
    (outlet,) = load_outlets(path)
    assert outlet.sitemap_urls() == ["https://cdn.example/a/sitemap.xml"]  # full URL kept
    assert outlet.feed_urls() == []
    assert outlet.article_urls() == ["https://a.example/x/1.html"]
    assert outlet.crawl_delay == 2.5
    assert outlet.wants("https://a.example/x/2.html")
    assert not outlet.wants("https://a.example/x/opinion/2.html")
    assert not outlet.wants("https://a.example/z/2.html")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[outlet]\nslug='a'", "not valid TOML"),
        ("title = 'x'", "no [[outlet]]"),
        ("[[outlet]]\nslug='a'\nname='A'\ndomain='a.example'\nrss='r.xml'", "missing key"),
        (
            "[[outlet]]\nslug='a'\nname='A'\ndomain='a.example'\nsitemap='s'\nrss='r'\ndeny=['(']",
            "bad 'deny' pattern",
        ),  # fmt: skip
    ],
)
def test_load_outlets_errors_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(OutletsFileError) as info:
        load_outlets(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_load_outlets_missing_file(tmp_path: Path) -> None:
    with pytest.raises(OutletsFileError, match="not found"):
        load_outlets(tmp_path / "nope.toml")


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2019-09-24T18:00:00-04:00", "2019-09-24T22:00:00+00:00"),
        ("2019-09-24T18:00:00Z", "2019-09-24T18:00:00+00:00"),
        ("2019-09-24T18:00:00-0400", "2019-09-24T22:00:00+00:00"),
        ("2019-09-24 18:00:00", "2019-09-24T18:00:00+00:00"),
        ("2019-09-24", "2019-09-24T00:00:00+00:00"),
        ("Tue, 24 Sep 2019 18:00:00 -0400", "2019-09-24T22:00:00+00:00"),
        ("Tue, 24 Sep 2019 18:00:00 GMT", "2019-09-24T18:00:00+00:00"),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_utc(raw: str | None, expected: str | None) -> None:
    assert iso_utc(raw) == expected


def test_older_than_uses_local_and_utc_date() -> None:
    late_evening = parse_datetime("2019-03-01T21:00:00-05:00")  # March 2 in UTC
    assert late_evening is not None
    assert not older_than(late_evening, date(2019, 3, 2))
    assert older_than(late_evening, date(2019, 3, 3))
    assert not older_than(datetime(2019, 3, 3, tzinfo=UTC), date(2019, 3, 3))


# --- sitemaps ----------------------------------------------------------------------------


def test_parse_news_sitemap_fixture() -> None:
    sitemap = parse_sitemap((FIXTURES / "site/harbor-gazette/sitemap.xml").read_bytes())
    assert not sitemap.is_index
    assert len(sitemap.entries) == 6
    first = sitemap.entries[1]
    assert first.loc.endswith("/2021/03/04/ferry-captain-cited-after-dock-collision.html")
    assert first.title == "Ferry captain cited after dock collision"
    assert iso_utc(first.publication_date.isoformat()) == "2021-03-04T23:30:00+00:00"
    assert first.lastmod == parse_datetime("2021-03-05T14:15:00Z")
    assert first.newest == first.lastmod
    bare = sitemap.entries[3]  # no news: block
    assert bare.publication_date is None and bare.title is None and bare.lastmod is not None


def test_parse_sitemap_index_gzip_and_no_namespace() -> None:
    index = (
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://a.example/s1.xml</loc><lastmod>2020-01-01</lastmod></sitemap>"
        b"<sitemap><loc> https://a.example/s2.xml.gz </loc></sitemap></sitemapindex>"
    )
    parsed = parse_sitemap(gzip.compress(index))
    assert parsed.is_index
    assert [e.loc for e in parsed.entries] == [
        "https://a.example/s1.xml",
        "https://a.example/s2.xml.gz",
    ]
    plain = parse_sitemap(b"<urlset><url><loc>https://a.example/1</loc></url><url></url></urlset>")
    assert [e.loc for e in plain.entries] == ["https://a.example/1"]


@pytest.mark.parametrize("data", [b"", b"<html><body>hi</body></html>", b"\x1f\x8bjunk"])
def test_parse_sitemap_rejects_non_sitemaps(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse_sitemap(data)


def test_sitemaps_from_robots() -> None:
    robots = "User-agent: *\nDisallow: /x\nSitemap: https://a.example/news.xml\nsitemap:/s.xml\n"
    assert sitemaps_from_robots(robots) == ["https://a.example/news.xml", "/s.xml"]


# --- feeds -------------------------------------------------------------------------------


def test_parse_rss_fixture() -> None:
    entries = parse_feed((FIXTURES / "site/harbor-gazette/rss.xml").read_bytes())
    assert [e.title for e in entries] == [
        "Council approves $12 million seawall bond",
        "Ferry captain cited after dock collision",
    ]
    assert iso_utc(entries[0].published.isoformat()) == "2021-03-10T15:45:00+00:00"
    assert entries[0].authors == ["Mara Quillfeather"]
    assert entries[0].categories == ["Local"]


def test_parse_rss_guid_fallback() -> None:
    rss = (
        b"<rss><channel><item><guid>https://a.example/1</guid>"
        b"<pubDate>Mon, 01 Jul 2019 10:00:00 +0000</pubDate></item>"
        b'<item><guid isPermaLink="false">tag:1</guid></item></channel></rss>'
    )
    entries = parse_feed(rss)
    assert [e.url for e in entries] == ["https://a.example/1"]


def test_parse_atom() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
 <entry><title>One</title>
  <link rel="self" href="https://a.example/api/1"/>
  <link rel="alternate" type="text/html" href="https://a.example/2019/one.html"/>
  <published>2019-07-01T10:00:00-07:00</published><updated>2019-07-02T08:00:00Z</updated>
  <author><name>Pat Doe</name></author><category term="Courts"/></entry>
 <entry><title>Two</title><link href="https://a.example/2019/two.html"/>
  <updated>2019-07-03T08:00:00Z</updated></entry>
</feed>"""
    one, two = parse_feed(atom)
    assert one.url == "https://a.example/2019/one.html"
    assert iso_utc(one.published.isoformat()) == "2019-07-01T17:00:00+00:00"
    assert one.newest == parse_datetime("2019-07-02T08:00:00Z")
    assert one.authors == ["Pat Doe"] and one.categories == ["Courts"]
    assert two.url == "https://a.example/2019/two.html" and two.published is None


def test_parse_feed_rejects_html() -> None:
    with pytest.raises(ValueError, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body><p>hello</p></body></html>")
