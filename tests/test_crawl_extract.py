"""Offline extraction tests on saved fixture pages (no network, no Scrapy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.extract import extract_article

SITE = Path(__file__).parent / "fixtures" / "crawl" / "site" / "harbor-gazette"
FERRY = SITE / "2021/03/04/ferry-captain-cited-after-dock-collision.html"
LOCAL = "http://127.0.0.1:9/harbor-gazette/2021/03/04/ferry-captain-cited-after-dock-collision.html"


def test_extract_jsonld_graph_page() -> None:
    page = extract_article(FERRY.read_bytes(), LOCAL)
    assert page["title"] == "Ferry captain cited after dock collision"
    assert page["canonical_url"] == (
        "https://harborgazette.example/harbor-gazette/2021/03/04/"
        "ferry-captain-cited-after-dock-collision.html"
    )
    assert page["published_at"] == "2021-03-04T23:30:00+00:00"
    assert page["modified_at"] == "2021-03-05T14:15:00+00:00"
    assert page["date_source"] == "jsonld"
    assert page["authors"] == ["Tobias Wrenfield", "Ines Brackwater"]
    assert page["section"] == "Public Safety"
    paragraphs = page["text"].split("\n\n")
    assert paragraphs[0].startswith("PORT ALDER — The captain of the morning ferry")
    assert (
        "“We were lucky it happened at low speed,” Harbor Master Odile Penhallow said."
        in (page["text"])
    )
    assert (
        paragraphs[-1]
        == "UPDATE: Service resumed Friday morning after inspectors cleared the dock."
    )
    for junk in (
        "Related Stories",
        "Gull Island residents demand",
        "Morning Tide",
        "inbox",
        "comments",
        "READ MORE",
        "Advertisement",
        "fictional newspaper",
    ):
        assert junk not in page["text"], junk


def test_extract_meta_only_page_and_relative_canonical() -> None:
    url = "http://127.0.0.1:9/harbor-gazette/2021/03/10/council-approves-seawall-bond.html"
    page = extract_article(
        (SITE / "2021/03/10/council-approves-seawall-bond.html").read_text(encoding="utf-8"), url
    )
    assert page["date_source"] == "meta"
    assert page["published_at"] == "2021-03-10T15:45:00+00:00"
    assert page["modified_at"] is None
    assert page["canonical_url"] == url  # root-relative canonical resolved against the page
    assert page["authors"] == ["Mara Quillfeather"]
    assert "voted 6-1 on Tuesday night" in page["text"]
    assert "Most Read" not in page["text"] and "Sign up" not in page["text"]


def test_extract_microdata_page() -> None:
    page = extract_article((SITE / "2021/02/01/lighthouse-museum-reopens.html").read_bytes(), "x")
    assert page["date_source"] == "microdata"
    assert page["published_at"] == "2021-02-01T12:00:00+00:00"
    assert page["authors"] == ["Nell Ashgrove"]
    assert "keeper’s cottage and lamp room" in page["text"]


def test_extract_decodes_declared_charset() -> None:
    html = (
        '<html><head><meta charset="windows-1252"><title>T</title></head><body><article>'
        "<p>The mayor\x92s office said the caf\xe9 on Front Street would reopen next week.</p>"
        "<p>Owners said repairs to the roof took longer than anyone had planned.</p>"
        "</article></body></html>"
    ).encode("latin-1")
    page = extract_article(html, "x")
    assert "mayor’s office said the café" in page["text"]


@pytest.mark.parametrize(
    "html",
    [
        b"",
        b"%PDF-1.7 binary",
        b'{"not": "html"}',
        b"<html><head><title>Empty</title></head>"
        b"<body><nav><a href='/'>Home</a></nav></body></html>",
    ],
)
def test_extract_junk_raises_value_error(html: bytes) -> None:
    with pytest.raises(ValueError):
        extract_article(html, "x")


def test_line_breaks_and_table_rows_separate_words() -> None:
    html = (
        "<html><head><title>Tour</title></head><body><article><h1>Tour dates</h1>"
        "<p>The band announced a long tour across the country on Monday evening.</p>"
        "<p>June 9 -- West Palm Beach, FL<br>June 10 -- Tampa, FL<br>June 14 -- Alpharetta</p>"
        "<table><tr><td>Jones</td><td>Guilty</td></tr><tr><td>Smith</td><td>Acquitted</td></tr>"
        "</table><p>Tickets go on sale Friday at the box office and online.</p>"
        "</article></body></html>"
    )
    text = extract_article(html, "x")["text"]
    assert "FL June 10" in text and "FLJune" not in text
    assert "Jones Guilty" in text.replace("\n\n", " ")


def test_extraction_floor_on_the_benchmark_pages(shared: Path) -> None:
    """Pinned floor (only moves up): the shingle F1 of our extraction on the 181 real
    pages, without a crawl (``foiatrace eval extraction`` measures the crawl path)."""
    import gzip
    import json

    from foiatrace.evals.extraction import score_predictions

    bench = shared / "data" / "article-extraction"
    if not (bench / "ground-truth.json").exists():
        pytest.skip("article-extraction benchmark not present")
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    predictions = {}
    for key, doc in truth.items():
        html = gzip.decompress((bench / "html" / f"{key}.html.gz").read_bytes())
        try:
            text = extract_article(html.decode("utf-8"), doc["url"])["text"]
        except ValueError:
            text = ""
        predictions[key] = {"articleBody": text}
    score = score_predictions(truth, predictions, "foiatrace")
    assert score.f1 >= 0.965 and score.precision >= 0.95 and score.recall >= 0.97, score


def test_extraction_pool_extracts_what_the_crawl_process_would_and_survives_a_dead_worker() -> None:
    """Pages extracted in worker processes are the pages extract_article gives in process;
    a worker killed mid-crawl is replaced and the page is extracted in the new pool."""
    import asyncio
    import os
    import signal

    from crawlers.extract import ExtractionPool

    pages = [(p.read_text(encoding="utf-8"), f"https://harborgazette.example/{p.name}") for p in (
        FERRY,
        SITE / "2021/03/10/council-approves-seawall-bond.html",
        SITE / "2021/02/01/lighthouse-museum-reopens.html",
    )]  # fmt: skip
    expected = [extract_article(html, url) for html, url in pages]
    pool = ExtractionPool(2, start_after=1)

    async def run() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        assert await pool.extract(*pages[0], demand=0) == expected[0]  # not started: in process
        assert pool.in_workers == 0
        await pool.extract(*pages[0], demand=1)  # starts the workers (in process until ready)
        pids = await asyncio.gather(*(asyncio.wrap_future(f) for f in pool._warm))
        first = [await pool.extract(html, url, demand=1) for html, url in pages]
        for pid in set(pids):
            os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.5)
        again = list(await asyncio.gather(*(pool.extract(h, u, demand=1) for h, u in pages)))
        return first, again

    try:
        first, again = asyncio.run(run())
    finally:
        pool.close()
    assert first == expected and again == expected
    # the first page after the kill waits for the new workers; those arriving meanwhile are
    # extracted in process (as before the first workers were ready)
    assert len(pages) < pool.in_workers <= 2 * len(pages)
