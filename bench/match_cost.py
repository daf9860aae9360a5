"""Matching cost: time to match N new articles against M emails, on real text.

Emails are real FOIA texts (the State Department release in ../shared/data/clinton-foia),
articles are built from real news sentences (MSRP), dates spread over two years. For each
size the same run measures, against the cold run as baseline:

- cold: empty warehouse, every sentence embedded, every pair in the 30-day window weighed;
- warm: the same data matched again: nothing new, the embedding cache and matched_pairs
  make it cost next to nothing;
- +10% articles: only the new articles' sentences are embedded and only their pairs weighed;
- window 3650 d: every email against every later article (what the time window saves).

With ``--dev``: the dev scenarios' warehouse (../shared/scenarios/dev and dev2 ingested and
crawled into one), matched cold, then warm with nothing new, each in a fresh process (the
cold one loads the embedding model, as a nightly run does); prints both times, the warm/cold
ratio (issue 12: under 5%) and what the warm run skipped.

Usage: .venv/bin/python bench/match_cost.py [--sizes 100x300,300x1000] [--shared DIR] [--dev]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import re
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from foia.models import Message  # noqa: E402
from foiatrace import pipeline  # noqa: E402
from warehouse import load  # noqa: E402
from warehouse.db import connect  # noqa: E402

START = datetime(2019, 1, 1, tzinfo=UTC)
SPAN_DAYS = 730
SENTENCES_PER_ARTICLE = 8
_WS = re.compile(r"\s+")


def email_texts(shared: Path, n: int) -> list[str]:
    """The first n non-trivial released documents' text, cut to a message-sized body."""
    out: list[str] = []
    with tarfile.open(shared / "data/clinton-foia/clinton_state_foia_text.tar.gz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            raw = tar.extractfile(member).read().decode("utf-8", "replace")  # type: ignore[union-attr]
            body = _WS.sub(" ", raw).strip()
            if len(body) > 400:
                out.append(body[:900])
            if len(out) >= n:
                break
    return out


def news_sentences(shared: Path) -> list[str]:
    text = (shared / "data/msrp/msr_paraphrase_train.txt").read_text(encoding="utf-8-sig")
    rows = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    sents = {s for r in rows if len(r) == 5 for s in (r[3], r[4])}
    return sorted(sents)


def build(db: Path, emails: list[str], sentences: list[str], n_articles: int, seed: int) -> None:
    rng = random.Random(seed)
    con = connect(db)
    msgs = [
        Message(
            source_file="bench", source_sha256="0" * 64, source_kind="eml", bates=f"B-{i:06d}",
            sent_at=START + timedelta(minutes=rng.randrange(SPAN_DAYS * 1440)),
            email_from="press@agency.example", email_to=["reporter@news.example"],
            own_text=t,
        )
        for i, t in enumerate(emails)
    ]  # fmt: skip
    load.upsert_messages(con, "bench", msgs)
    add_articles(con, sentences, 0, n_articles, rng)
    con.close()


def add_articles(con, sentences: list[str], first: int, n: int, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    items = []
    for k in range(first, first + n):
        pub = START + timedelta(minutes=rng.randrange(SPAN_DAYS * 1440))
        text = "\n\n".join(rng.sample(sentences, SENTENCES_PER_ARTICLE))
        items.append({
            "url": f"https://news.example/a/{k}.html", "outlet": "news", "text": text,
            "published_at": pub.isoformat(), "fetched_at": datetime.now(UTC).isoformat(),
        })  # fmt: skip
    load.upsert_article_versions(con, items)


def timed(db: Path, **kw: object) -> tuple[float, dict]:
    t0 = time.perf_counter()
    stats = pipeline.match(db, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - t0, stats


def run(shared: Path, sizes: list[tuple[int, int]]) -> None:
    sentences = news_sentences(shared)
    all_emails = email_texts(shared, max(m for m, _ in sizes))
    print(
        f"{'emails x articles':>18} | {'case':<15} | {'seconds':>8} | {'vs cold':>7} | "
        f"{'pairs':>7} | {'embedded':>8}"
    )
    print("-" * 80)
    for m, n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.duckdb"
            build(db, all_emails[:m], sentences, n, seed=m * 7 + n)
            rows = [("cold", *timed(db)), ("warm", *timed(db))]
            con = connect(db)
            add_articles(con, sentences, n, n // 10, random.Random(1))
            con.close()
            rows.append(("+10% articles", *timed(db)))
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.duckdb"
            build(db, all_emails[:m], sentences, n, seed=m * 7 + n)
            timed(db, window_days=3650)  # fill the embedding cache: isolate the window's effect
            con = connect(db)
            con.execute("DELETE FROM matched_pairs")
            con.close()
            t30 = timed(db)
            con = connect(db)
            con.execute("DELETE FROM matched_pairs")
            con.close()
            rows.append(("window 30 d*", *t30))
            rows.append(("window 3650 d*", *timed(db, window_days=3650)))
        cold = rows[0][1]
        for case, secs, stats in rows:
            print(
                f"{f'{m} x {n}':>18} | {case:<15} | {secs:8.2f} | {secs / cold:6.2f}x | "
                f"{stats['pairs_weighed']:7d} | {stats['embeddings_computed']:8d}"
            )
        print("-" * 80)
    print("* embeddings already cached: the difference is candidate pairs, products, scoring")


def dev_warehouse(shared: Path, db: Path) -> None:
    """Ingest and crawl both dev scenarios into one warehouse (no match yet)."""
    from crawlers.serve import serve_site

    for name in ("dev", "dev2"):
        sc = shared / "scenarios" / name
        with serve_site(sc / "site") as base:
            pipeline.ingest(db, [sc / "emails"], name)
            pipeline.crawl(db, sc / "outlets.toml", base_url=base)


_TIMED = (
    "import json, sys, time; sys.path.insert(0, {root!r}); from foiatrace import pipeline; "
    "t = time.perf_counter(); s = pipeline.match({db!r}); "
    "print(json.dumps({{'seconds': time.perf_counter() - t, 'stats': s}}, default=str))"
)


def timed_fresh(db: Path) -> tuple[float, dict]:
    """``pipeline.match`` in a fresh process, timed around the call (imports excluded)."""
    import json
    import subprocess

    root = str(Path(__file__).resolve().parents[1])
    out = subprocess.run(
        [sys.executable, "-c", _TIMED.format(root=root, db=str(db))],
        check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    got = json.loads(out)
    return got["seconds"], got["stats"]


def run_dev(shared: Path) -> dict:
    """Cold and warm match on the dev scenarios' warehouse; the ratio and the warm stats."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "dev.duckdb"
        dev_warehouse(shared, db)
        cold, cold_stats = timed_fresh(db)
        warm, warm_stats = timed_fresh(db)
    print(f"{'case':<6} | {'seconds':>8} | {'vs cold':>7} | pairs weighed | texts segmented")
    print("-" * 64)
    for case, secs, st in (("cold", cold, cold_stats), ("warm", warm, warm_stats)):
        print(
            f"{case:<6} | {secs:8.3f} | {secs / cold:6.1%} | {st['pairs_weighed']:13d} | "
            f"{st['texts_computed']:15d}"
        )
    print(f"warm: {warm_stats['summary']}")
    return {"cold": cold, "warm": warm, "ratio": warm / cold, "warm_stats": warm_stats}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100x300,300x1000", help="MxN list, comma separated")
    ap.add_argument(
        "--shared",
        type=Path,
        default=Path(
            os.environ.get("FOIATRACE_SHARED", Path(__file__).resolve().parents[2] / "shared")
        ),
    )
    ap.add_argument("--dev", action="store_true", help="cold vs warm on the dev scenarios")
    args = ap.parse_args()
    if not (args.shared / "data").is_dir():
        print(f"{args.shared}/data not found: the benchmark reads real text from it")
        return 2
    if args.dev:
        run_dev(args.shared)
        return 0
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]
    run(args.shared, sizes)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
