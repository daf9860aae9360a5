"""The crawl step end to end on loopback: WARC archive read back with warcio, the WACZ
package of each run verified and searched through its CDXJ index, re-crawls that fetch
nothing unchanged (sitemaps and feeds answered 304), changed pages as new versions, 304s,
and a killed run resumed (its ``runs`` row marked interrupted)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from warcio.archiveiterator import ArchiveIterator

from crawlers.archive import sha256_base32
from crawlers.serve import serve_site
from crawlers.wacz import WaczError, lookup, read_record, surt, verify_wacz, write_wacz
from foiatrace.crawl_step import CrawlBusyError, crawl, crawl_lock
from warehouse.db import connect

FIXTURES = Path(__file__).parent / "fixtures" / "crawl"
REPO = Path(__file__).resolve().parents[1]
ARTICLE_PATHS = {
    "/harbor-gazette/2021/03/04/ferry-captain-cited-after-dock-collision.html",
    "/harbor-gazette/2021/03/10/council-approves-seawall-bond.html",
    "/harbor-gazette/2021/02/01/lighthouse-museum-reopens.html",
}
FERRY = "https://harborgazette.example/harbor-gazette/2021/03/04/ferry-captain-cited-after-dock-collision.html"  # noqa: E501


def warc_records(archive: Path) -> dict[str, tuple[str, str, bytes]]:
    """record id -> (file, payload digest header, raw payload) for every WARC file."""
    found = {}
    for path in sorted(archive.glob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh, check_digests=True):
                rid = record.rec_headers.get_header("WARC-Record-ID")
                digest = record.rec_headers.get_header("WARC-Payload-Digest")
                found[rid] = (path.name, digest, record.raw_stream.read())
    return found


def assert_archive_matches(con: duckdb.DuckDBPyConnection, archive: Path) -> int:
    """Every stored version's record exists, and its bytes hash to the stored sha256."""
    import hashlib

    records = warc_records(archive)
    rows = con.execute(
        "SELECT url, warc_record_id, warc_sha256, warc_file, warc_offset FROM article_versions"
    ).fetchall()
    for url, rid, sha, file, offset in rows:
        assert rid in records, url
        name, digest, payload = records[rid]
        assert name == file
        assert hashlib.sha256(payload).hexdigest() == sha
        assert digest == sha256_base32(sha)
        with (archive / file).open("rb") as fh:  # the offset opens that very record
            fh.seek(offset)
            first = next(iter(ArchiveIterator(fh)))
            assert first.rec_headers.get_header("WARC-Record-ID") == rid
    return len(rows)


def assert_wacz_matches(con: duckdb.DuckDBPyConnection, archive: Path) -> int:
    """Every WARC has its WACZ; each WACZ verifies (zip, manifest sizes and sha256s); each
    stored version is found through the CDXJ index by its fetched URL and the record read
    back from inside the zip has the stored record id and payload sha256."""
    import hashlib

    warcs = sorted(archive.glob("*.warc.gz"))
    assert warcs
    for warc in warcs:
        package = verify_wacz(warc.with_name(warc.name.replace(".warc.gz", ".wacz")))
        paths = {r["path"] for r in package["resources"]}
        assert {f"archive/{warc.name}", "indexes/index.cdx", "pages/pages.jsonl"} <= paths
        assert all(r["hash"].startswith("sha256:") for r in package["resources"])
    rows = con.execute(
        "SELECT fetched_url, warc_record_id, warc_sha256, warc_file FROM article_versions"
    ).fetchall()
    for fetched_url, rid, sha, file in rows:
        wacz = archive / file.replace(".warc.gz", ".wacz")
        (entry,) = [e for e in lookup(wacz, fetched_url) if e.fields["recordId"] == rid]
        assert entry.fields["filename"] == file and entry.fields["status"] == "200"
        assert entry.fields["digest"] == sha256_base32(sha)
        record = read_record(wacz, entry)
        assert record.record_id == rid and record.target_uri == fetched_url
        assert hashlib.sha256(record.payload).hexdigest() == sha
    return len(rows)


def bump_mtime(path: Path, seconds: float) -> None:
    """Last-Modified has one-second resolution: make a rewrite visibly newer."""
    later = time.time() + seconds
    os.utime(path, (later, later))


def test_crawl_step_archive_increments_and_versions(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "site", site)
    db = tmp_path / "wh" / "foiatrace.duckdb"
    archive = tmp_path / "wh" / "archive"
    hits: list[str] = []
    with serve_site(site, requests=hits) as base:
        first = crawl(db, FIXTURES / "outlets.toml", base_url=base, quiet=True)
        assert first["new_versions"] == 3 and first["errors"] == 3
        assert set(hits) >= ARTICLE_PATHS
        assert first["index_fetched"] == 2 and first["index_not_modified"] == 0
        assert first["wacz_files"] == [
            Path(first["archive_file"]).name[: -len(".warc.gz")] + ".wacz"
        ]

        # second crawl: nothing changed, no article is requested again, and the sitemap
        # and feed answer 304 (their entries from the first crawl are reused)
        hits.clear()
        second = crawl(db, FIXTURES / "outlets.toml", base_url=base, quiet=True)
        assert second["new_versions"] == 0 and second["skipped_seen"] == 3
        assert second["index_not_modified"] == 2 and second["index_fetched"] == 0
        assert not set(hits) & ARTICLE_PATHS
        # what is asked for: robots.txt, the two 304s, and the three URLs that failed last
        # time (404, PDF, and the robots-forbidden one is never requested)
        assert set(hits) == {
            "/harbor-gazette/2021/03/09/budget-summary.pdf",
            "/harbor-gazette/2021/03/12/missing-page.html",
            "/harbor-gazette/rss.xml", "/harbor-gazette/sitemap.xml", "/robots.txt",
        }, hits  # fmt: skip

        # the sitemap says the ferry page changed, and it did: a second version
        ferry = site / "harbor-gazette/2021/03/04/ferry-captain-cited-after-dock-collision.html"
        html = ferry.read_text(encoding="utf-8")
        ferry.write_text(
            html.replace("</article>", "<p>UPDATE 2: The dock reopened on Monday.</p></article>")
            if "</article>" in html
            else html.replace("UPDATE: Service resumed", "UPDATE: Full service resumed"),
            encoding="utf-8",
        )
        later = time.time() + 60
        os.utime(ferry, (later, later))
        sitemap = site / "harbor-gazette/sitemap.xml"
        sitemap.write_text(
            sitemap.read_text(encoding="utf-8").replace(
                "2021-03-05T09:15:00-05:00", "2021-03-06T09:00:00Z"
            ),
            encoding="utf-8",
        )
        bump_mtime(sitemap, 60)
        hits.clear()
        third = crawl(db, FIXTURES / "outlets.toml", base_url=base, quiet=True)
        assert third["new_versions"] == 1
        assert third["index_fetched"] == 1 and third["index_not_modified"] == 1  # feed: 304
        assert set(hits) & ARTICLE_PATHS == {"/" + ferry.relative_to(site).as_posix()}

        # the sitemap moves again but the page did not: a conditional request, 304
        sitemap.write_text(
            sitemap.read_text(encoding="utf-8").replace(
                "2021-03-06T09:00:00Z", "2021-03-07T09:00:00Z"
            ),
            encoding="utf-8",
        )
        bump_mtime(sitemap, 120)
        fourth = crawl(db, FIXTURES / "outlets.toml", base_url=base, quiet=True)
        assert fourth["new_versions"] == 0 and fourth["not_modified"] == 1
        hits.clear()
        fifth = crawl(db, FIXTURES / "outlets.toml", base_url=base, quiet=True)
        assert not set(hits) & ARTICLE_PATHS and fifth["not_modified"] == 0

    con = connect(db)
    try:
        versions = con.execute(
            "SELECT count(*) FROM article_versions WHERE url = ?", [FERRY]
        ).fetchone()
        assert versions == (2,)
        assert con.execute("SELECT count(DISTINCT url) FROM article_versions").fetchone() == (3,)
        texts = con.execute("SELECT text FROM articles WHERE url = ?", [FERRY]).fetchall()
        assert len(texts) == 1  # the view shows the newest version once
        assert assert_archive_matches(con, archive) == 4
        assert assert_wacz_matches(con, archive) == 4
        assert len(list(archive.glob("*.wacz"))) == len(list(archive.glob("*.warc.gz"))) == 5
        statuses = con.execute("SELECT DISTINCT status FROM runs WHERE step = 'crawl'").fetchall()
        assert statuses == [("ok",)]
        reasons = dict(con.execute("SELECT source, reason FROM errors").fetchall())
        assert reasons[FERRY.replace("2021/03/04/ferry-captain-cited-after-dock-collision",
                                     "2021/03/12/missing-page")] == "HTTP 404"  # fmt: skip
        src = con.execute(
            "SELECT date_source, modified_source, discovered_via FROM article_versions "
            "WHERE url = ? ORDER BY first_fetched_at LIMIT 1",
            [FERRY],
        ).fetchone()
        assert src == ("jsonld", "jsonld", "sitemap")
    finally:
        con.close()
    assert not list(archive.glob("*.open"))
    assert not list((tmp_path / "wh" / "crawl-staging").glob("*.jsonl"))


def synthetic_site(root: Path, n: int) -> list[str]:
    paths = []
    locs = []
    for i in range(n):
        path = f"/kr/2022/01/{i + 1:02d}/story-{i}.html"
        paths.append(path)
        locs.append(
            f"<url><loc>https://killresume.example{path}</loc>"
            f"<lastmod>2022-01-{i + 1:02d}T12:00:00Z</lastmod></url>"
        )
        page = root / path.lstrip("/")
        page.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(
            f"<p>Story {i}, paragraph {j}: the county board heard testimony about the "
            f"bridge repairs and the detour that has slowed traffic for weeks.</p>"
            for j in range(5)
        )
        page.write_text(
            f"<html><head><title>Story {i}</title><meta property='article:published_time' "
            f"content='2022-01-{i + 1:02d}T12:00:00Z'></head><body><article><h1>Story {i}"
            f"</h1>{body}</article></body></html>",
            encoding="utf-8",
        )
    (root / "kr").mkdir(exist_ok=True)
    (root / "kr" / "sitemap.xml").write_text(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(locs)
        + "</urlset>",
        encoding="utf-8",
    )
    return paths


def test_killed_crawl_resumes_and_refetches_only_its_staged_pages(tmp_path: Path) -> None:
    """A killed crawl's staged items are loaded by the next crawl, which fetches those
    pages once more (their sitemap/feed provenance may be incomplete: see
    ``foiatrace.crawl_step``) and every other page once; nothing is stored twice."""
    site = tmp_path / "site"
    paths = synthetic_site(site, 10)
    outlets = tmp_path / "o.toml"
    outlets.write_text(
        '[[outlet]]\nslug = "kr"\nname = "KR"\ndomain = "killresume.example"\n'
        'sitemap = "/kr/sitemap.xml"\nrss = ""\ncrawl_delay = 0.25\n',
        encoding="utf-8",
    )
    db = tmp_path / "wh" / "foiatrace.duckdb"
    staging = tmp_path / "wh" / "crawl-staging"
    archive = tmp_path / "wh" / "archive"
    code = (
        "import sys; from foiatrace.crawl_step import crawl; "
        "crawl(sys.argv[1], sys.argv[2], base_url=sys.argv[3], quiet=True)"
    )
    hits: list[str] = []
    with serve_site(site, requests=hits) as base:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(db), str(outlets), base],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        staged: list[dict[str, str]] = []
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline and len(staged) < 3:
                time.sleep(0.05)
                for f in staging.glob("*.jsonl"):
                    lines = f.read_text(encoding="utf-8").splitlines()
                    staged = [json.loads(x) for x in lines if x.endswith("}")]
        finally:
            os.killpg(proc.pid, signal.SIGKILL)  # the step and its Scrapy child, mid-crawl
            proc.wait(timeout=10)
        assert 3 <= len(staged) < 10, "the crawl was not killed midway"
        assert list(archive.glob("*.warc.gz.open")), "the killed run's archive is left open"
        stored = {"/" + r["url"].split("/", 3)[3] for r in staged if r["type"] == "article"}

        hits.clear()
        stats = crawl(db, outlets, base_url=base, quiet=True)
    assert stats["resumed"] == stats["refetched_provisional"] == len(stored)
    article_hits = [h for h in hits if h in set(paths)]
    assert sorted(article_hits) == sorted(set(paths))  # each page once, the staged ones too
    assert stats["repaired_archives"]
    assert len(stats["wacz_files"]) == 2  # the killed run's repaired WARC is packaged too
    con = connect(db)
    try:
        assert con.execute(
            "SELECT count(*), count(DISTINCT url) FROM article_versions"
        ).fetchone() == (10, 10)
        assert assert_archive_matches(con, archive) == 10
        assert assert_wacz_matches(con, archive) == 10
        runs = dict(con.execute("SELECT status, list(run_id) FROM runs GROUP BY 1").fetchall())
        # the killed run is no longer "running": the next crawl marked it interrupted
        assert set(runs) == {"interrupted", "ok"}
        assert stats["interrupted_runs"] == runs["interrupted"]
        assert len(runs["interrupted"]) == len(runs["ok"]) == 1
    finally:
        con.close()


def test_a_second_crawl_of_the_same_warehouse_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "wh" / "foiatrace.duckdb"
    staging = tmp_path / "wh" / "crawl-staging"
    staging.mkdir(parents=True)
    with crawl_lock(staging), pytest.raises(CrawlBusyError, match="another crawl"):
        crawl(db, FIXTURES / "outlets.toml", base_url="http://127.0.0.1:9", quiet=True)
    assert not db.exists()  # refused before the warehouse was touched


def test_wacz_package_verifies_and_detects_tampering(tmp_path: Path) -> None:
    import zipfile

    from crawlers.archive import WarcArchive

    arch = WarcArchive(tmp_path, "run")
    page = b"<html><title>A</title><p>a</p></html>"
    ref = arch.write_response(
        "http://127.0.0.1:8000/news/a.html", 200, [("Content-Type", "text/html")], page
    )
    arch.write_response("http://127.0.0.1:8000/sitemap.xml", 304, [], b"")
    wacz = write_wacz(arch.close(), titles={"http://127.0.0.1:8000/news/a.html": "A"})
    assert wacz.name == "run.wacz" and verify_wacz(wacz)["wacz_version"] == "1.1.1"
    with zipfile.ZipFile(wacz) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        pages = zf.read("pages/pages.jsonl").decode().splitlines()
    assert infos["archive/run.warc.gz"].compress_type == zipfile.ZIP_STORED
    assert json.loads(pages[0])["format"] == "json-pages-1.0"
    assert [json.loads(p)["title"] for p in pages[1:]] == ["A"]  # the 304 is not a page
    (entry,) = lookup(wacz, "http://127.0.0.1:8000/news/a.html")
    assert entry.fields["recordId"] == ref.record_id and read_record(wacz, entry).payload == page

    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(wacz) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pages/pages.jsonl":
                data = data.replace(b'"A"', b'"B"')
            dst.writestr(info, data)
    with pytest.raises(WaczError, match="pages/pages.jsonl does not match"):
        verify_wacz(tampered)


def test_surt_keys() -> None:
    assert surt("https://www.Example.com/A/b/?y=2&x=1") == "com,example)/a/b?x=1&y=2"
    assert surt("http://example.com:80/") == "com,example)/"
    assert surt("http://127.0.0.1:8000/news/a.html") == "127.0.0.1:8000)/news/a.html"


@pytest.mark.parametrize("cut", [1, 200])
def test_repair_truncates_a_cut_record(tmp_path: Path, cut: int) -> None:
    from crawlers.archive import WarcArchive, repair_open_files

    arch = WarcArchive(tmp_path, "x")
    arch.write_response("http://127.0.0.1/a", 200, [("Content-Type", "text/html")], b"<p>a</p>")
    arch.write_response(
        "http://127.0.0.1/b", 200, [("Content-Type", "text/html")], b"<p>b</p>" * 99
    )
    assert arch.fh is not None
    arch.fh.close()
    size = arch.path.stat().st_size
    with arch.path.open("r+b") as fh:
        fh.truncate(size - cut)
    (fixed,) = repair_open_files(tmp_path)
    assert [r.rec_headers.get_header("WARC-Target-URI") for r in warc_iter(fixed)] == [
        "http://127.0.0.1/a"
    ]


def warc_iter(path: Path) -> list:  # type: ignore[type-arg]
    with path.open("rb") as fh:
        return [r for r in ArchiveIterator(fh) if r.content_stream().read() is not None]
