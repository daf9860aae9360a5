"""Pages per second: crawled + extracted + archived + stored on loopback, beside extraction
alone (ours and plain trafilatura) on the same pages.

    .venv/bin/python bench/crawl_speed.py [--pages DIR] [--repeat N]

DIR defaults to ../shared/data/article-extraction/html (181 real news pages). Each page is
served ``--repeat`` times under different URLs so that the run is long enough to measure.
The crawl is the production path: ``foiatrace.crawl_step.crawl`` (Scrapy subprocess,
loopback politeness, WARC archive, DuckDB upsert, syndication pass, WACZ packaging), so
its time includes the subprocess start and the load. Extraction-only rows run in this
process, on one core.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from foiatrace.evals.extraction import EVAL_DOMAIN, page_files, read_page, serve_pages  # noqa: E402

DEFAULT_PAGES = Path(
    os.environ.get("FOIATRACE_SHARED", REPO.parent / "shared"), "data/article-extraction/html"
)


def _extract_rate(pages: dict[str, bytes], fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for key, html in pages.items():
        fn(key, html)
    return len(pages) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    import trafilatura

    from crawlers.extract import extract_article
    from foiatrace.crawl_step import crawl
    from warehouse.db import connect

    files = page_files(args.pages)
    if not files:
        print(f"{args.pages}: no pages", file=sys.stderr)
        return 2
    served = {f"{stem}-{r}": path for stem, path in files.items() for r in range(args.repeat)}
    bodies = {stem: read_page(path) for stem, path in files.items()}
    texts = {stem: body.decode("utf-8", errors="replace") for stem, body in bodies.items()}

    def ours(key: str, html: str) -> None:
        try:
            extract_article(html, f"https://{EVAL_DOMAIN}/{key}.html")
        except ValueError:
            pass

    plain_rate = _extract_rate(texts, lambda _k, h: trafilatura.extract(h))
    ours_rate = _extract_rate(texts, ours)

    with tempfile.TemporaryDirectory(prefix="foiatrace-bench-") as tmp:
        outlets = Path(tmp) / "outlets.toml"
        urls = ",\n".join(f'"/{stem}.html"' for stem in served)
        outlets.write_text(
            f'[[outlet]]\nslug = "bench"\nname = "bench"\ndomain = "{EVAL_DOMAIN}"\n'
            f'sitemap = ""\nrss = ""\nurls = [\n{urls}\n]\n',
            encoding="utf-8",
        )
        db = Path(tmp) / "wh" / "bench.duckdb"
        with serve_pages(served) as base_url:
            started = time.perf_counter()
            stats = crawl(db, outlets, base_url=base_url, quiet=True)
            elapsed = time.perf_counter() - started
        con = connect(db)
        stored = con.execute("SELECT count(*) FROM article_versions").fetchone()[0]
        con.close()
        archive = db.parent / "archive"
        warc_mb = sum(p.stat().st_size for p in archive.glob("*.warc.gz")) / 1e6
        wacz_mb = sum(p.stat().st_size for p in archive.glob("*.wacz")) / 1e6
    crawl_rate = stored / elapsed

    rows = [
        ("plain trafilatura extract (in process)", len(texts), plain_rate),
        ("foiatrace extract_article (in process)", len(texts), ours_rate),
        ("crawl step: fetch+extract+WARC+DuckDB+WACZ", stored, crawl_rate),
    ]
    print(f"pages: {args.pages} ({len(files)} files x {args.repeat}); cpus: {os.cpu_count()}")
    print(
        f"crawl: {stored} stored, {stats['errors']} errors, {elapsed:.1f} s, "
        f"WARC {warc_mb:.1f} MB, WACZ {wacz_mb:.1f} MB"
    )
    print(f"{'path':<50} {'pages':>6} {'pages/s':>9} {'vs plain':>9}")
    for name, n, rate in rows:
        print(f"{name:<50} {n:>6} {rate:>9.1f} {rate / plain_rate:>8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
