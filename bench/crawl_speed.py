"""Pages per second: crawled + extracted + archived + stored on loopback, beside plain
trafilatura's extraction of the same pages measured in the same run.

    .venv/bin/python bench/crawl_speed.py [--pages DIR] [--repeat N] [--json]

DIR defaults to ../shared/data/article-extraction/html (181 real news pages). Each page is
served ``--repeat`` times under different URLs so that the run is long enough to measure;
the pages are read once and served from memory (the server stands for the remote sites:
its own work is not the crawl's). The crawl is the production path:
``foiatrace.crawl_step.crawl`` (Scrapy subprocess, loopback politeness, extraction in
worker processes, WARC archive, DuckDB upsert, syndication pass, WACZ packaging), so its
time includes the subprocess start and the load; the table splits it into the Scrapy
process and the steps after it. Extraction-only rows run in this process, on one core.
The target (issue 12) is 30 pages/s for the whole crawl step.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from foiatrace.evals.extraction import EVAL_DOMAIN, page_files, read_page  # noqa: E402

DEFAULT_PAGES = Path(
    os.environ.get("FOIATRACE_SHARED", REPO.parent / "shared"), "data/article-extraction/html"
)
TARGET_PAGES_PER_S = 30.0


def _extract_rate(pages: dict[str, str], fn: Any) -> float:
    started = time.perf_counter()
    for key, html in pages.items():
        fn(key, html)
    return len(pages) / (time.perf_counter() - started)


def _timed(table: dict[str, float], name: str, fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            table[name] = table.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def crawl_once(bodies: dict[str, bytes], repeat: int) -> dict[str, Any]:
    """One crawl step over every page ``repeat`` times: stored pages, seconds, split."""
    import crawlers.run
    import foiatrace.crawl_step as step
    from crawlers.serve import serve_site
    from warehouse.db import connect

    served = {f"{stem}-{r}": body for stem, body in bodies.items() for r in range(repeat)}

    def route(body: bytes) -> Any:
        return lambda _path: (200, {"Content-Type": "text/html; charset=utf-8"}, body)

    routes = {quote(f"/{key}.html"): route(body) for key, body in served.items()}
    split: dict[str, float] = {}
    patched = {
        (crawlers.run, "crawl"): "scrapy process",
        (step, "load_crawl_output"): "load into DuckDB",
        (step, "update_syndication"): "syndication pass",
        (step, "package_archives"): "WACZ packaging",
    }
    saved = {key: getattr(*key) for key in patched}
    with tempfile.TemporaryDirectory(prefix="foiatrace-bench-") as tmp:
        outlets = Path(tmp) / "outlets.toml"
        urls = ",\n".join(json.dumps(f"/{key}.html") for key in served)
        outlets.write_text(
            f'[[outlet]]\nslug = "bench"\nname = "bench"\ndomain = "{EVAL_DOMAIN}"\n'
            f'sitemap = ""\nrss = ""\nurls = [\n{urls}\n]\n',
            encoding="utf-8",
        )
        db = Path(tmp) / "wh" / "bench.duckdb"
        empty = Path(tmp) / "empty"
        empty.mkdir()
        try:
            for (module, name), label in patched.items():
                setattr(module, name, _timed(split, label, saved[(module, name)]))
            with serve_site(empty, routes=routes) as base_url:
                started = time.perf_counter()
                stats = step.crawl(db, outlets, base_url=base_url, quiet=True)
                elapsed = time.perf_counter() - started
        finally:
            for (module, name), fn in saved.items():
                setattr(module, name, fn)
        con = connect(db)
        stored = con.execute("SELECT count(*) FROM article_versions").fetchone()[0]
        con.close()
        archive = db.parent / "archive"
        warc_mb = sum(p.stat().st_size for p in archive.glob("*.warc.gz")) / 1e6
    split["other (step setup, lock, runs row)"] = elapsed - sum(split.values())
    return {
        "served": len(served),
        "stored": stored,
        "errors": stats["errors"],
        "seconds": elapsed,
        "warc_mb": warc_mb,
        "split": split,
    }


def measure(pages_dir: Path, repeat: int) -> dict[str, Any]:
    import trafilatura

    from crawlers.extract import extract_article

    files = page_files(pages_dir)
    if not files:
        raise FileNotFoundError(f"{pages_dir}: no pages")
    bodies = {stem: read_page(path) for stem, path in files.items()}
    texts = {stem: body.decode("utf-8", errors="replace") for stem, body in bodies.items()}

    def ours(key: str, html: str) -> None:
        try:
            extract_article(html, f"https://{EVAL_DOMAIN}/{key}.html")
        except ValueError:
            pass

    plain_rate = _extract_rate(texts, lambda _k, h: trafilatura.extract(h))
    ours_rate = _extract_rate(texts, ours)
    crawl = crawl_once(bodies, repeat)
    crawl_rate = crawl["stored"] / crawl["seconds"]
    return {
        "pages_dir": str(pages_dir),
        "files": len(files),
        "repeat": repeat,
        "cpus": os.cpu_count(),
        "pages": crawl["stored"],
        "errors": crawl["errors"],
        "seconds": round(crawl["seconds"], 2),
        "pages_per_s": round(crawl_rate, 1),
        "trafilatura_pages_per_s": round(plain_rate, 1),
        "extract_article_pages_per_s": round(ours_rate, 1),
        "ratio": round(crawl_rate / plain_rate, 3),
        "target_pages_per_s": TARGET_PAGES_PER_S,
        "meets_target": crawl_rate >= TARGET_PAGES_PER_S,
        "warc_mb": round(crawl["warc_mb"], 1),
        "split_s": {k: round(v, 2) for k, v in crawl["split"].items()},
        "trafilatura_version": trafilatura.__version__,
    }


def print_table(r: dict[str, Any]) -> None:
    plain = r["trafilatura_pages_per_s"]
    print(
        f"pages: {r['pages_dir']} ({r['files']} files x {r['repeat']}); cpus: {r['cpus']}; "
        f"trafilatura {r['trafilatura_version']}"
    )
    print(
        f"crawl step: {r['pages']} stored, {r['errors']} errors, {r['seconds']:.1f} s, "
        f"WARC {r['warc_mb']:.1f} MB"
    )
    ours = r["extract_article_pages_per_s"]
    rows = [
        ("plain trafilatura.extract (in process, 1 core)", r["files"], plain),
        ("foiatrace extract_article (in process, 1 core)", r["files"], ours),
        ("crawl step: fetch+extract+WARC+DuckDB+WACZ", r["pages"], r["pages_per_s"]),
    ]
    print(f"{'path':<50} {'pages':>6} {'pages/s':>9} {'vs plain':>9}")
    for name, n, rate in rows:
        print(f"{name:<50} {n:>6} {rate:>9.1f} {rate / plain:>8.2f}x")
    print("crawl step time: " + ", ".join(f"{k} {v:.2f} s" for k, v in r["split_s"].items()))
    verdict = "met" if r["meets_target"] else "NOT met"
    print(f"target {r['target_pages_per_s']:.0f} pages/s for the crawl step: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        result = measure(args.pages, args.repeat)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
