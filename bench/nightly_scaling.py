"""Nightly scaling: the same new batch matched into a warehouse of S articles and of 10 x S.

A nightly run must cost what the new documents cost, not what the warehouse holds. This
bench builds two warehouses of real text, S and ``--ratio`` x S articles (the small one is
the most recent S articles of the big one, at the same articles per day, so the batch's
30-day windows hold the same candidates in both), matches each base once (a nightly
warehouse has its old pairs weighed already), then adds the SAME batch of new articles and
messages to a copy of each and times only that ``foiatrace.pipeline.match``, in a
subprocess whose peak RSS (the kernel's ``ru_maxrss``) is its peak memory.

Real text: articles are recombinations of real sentences (MSRP news sentences, InSciOut
conclusions, the article-extraction benchmark's ground-truth bodies, ../shared/data);
messages are released State Department documents (Clinton FOIA). The batch's articles are
built from sentences held out of the base pool, so like fresh news they are not boilerplate.
With a pool of ~15,000 sentences every base sentence recurs in many articles, which the
matcher treats as boilerplate: the base costs segmentation and detail extraction, and its
pairs are weighed but disclose nothing.

Cached between runs (``--cache``, default ~/.cache/foiatrace/bench or
$FOIATRACE_BENCH_CACHE): the pool's sentence vectors (``vectors-<key>.npy`` + hashes,
computed once with the project's embedding path and put into each warehouse's
``embeddings`` table), and each matched base warehouse (``base-<n>-<key>.duckdb``), keyed by
size, data, schema and the matcher's code, so a change to the matcher rebuilds the base
(its stored derived rows would be stale) but not the vectors (``--any-code`` reuses a base of
the same data matched by other code, its schema upgraded in place by this code's migrations
as a user's warehouse would be: a quick look while the matcher changes, not a figure to
quote). Each run copies the cached base, so it stays clean.

Usage: .venv/bin/python bench/nightly_scaling.py [--s 20000] [--ratio 10] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.common import (  # noqa: E402
    REPO,
    article_bodies,
    cache_dir,
    foia_texts,
    insciout_sentences,
    markdown_table,
    msrp_sentences,
    peak_rss_mb,
    shared_dir,
)

BENCH_VERSION = "1"
END = datetime(2024, 1, 1, tzinfo=UTC)  # "tonight": base before it, the batch after it
OUTLETS = ("dailyledger", "metrowire", "coastpost", "valleytimes", "capitolnews")
TIME_TARGET = 1.2
MEMORY_TARGET = 1.2
# code whose change makes a matched base warehouse stale (derived rows, schema)
_CODE = ("matching", "warehouse", "foiatrace/pipeline.py")


@dataclass(frozen=True)
class Config:
    """Everything that shapes the data; the cache keys are derived from it."""

    s: int = 20_000
    ratio: int = 10
    per_day: float = 20.0  # base articles per day: the span grows with the size
    sentences: int = 8  # per article
    msgs_per_article: float = 0.01  # base messages per base article (same span)
    batch_articles: int = 250
    batch_messages: int = 100
    batch_days: float = 20.0  # the batch's messages were sent in the last N days
    pool: int = 0  # sentences in the pool (0: every usable one)
    window: int = 30
    seed: int = 12


def _digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, default=str).encode() + b"\0")
    return h.hexdigest()[:16]


def code_hash(schema_only: bool = False) -> str:
    """Hash of the matcher's and warehouse's code and schema (or of the schema only)."""
    h = hashlib.sha256()
    for name in ("warehouse/migrations",) if schema_only else _CODE:
        root = REPO / name
        files = (
            sorted(root.rglob("*.py")) + sorted(root.rglob("*.sql")) if root.is_dir() else [root]
        )
        for f in files:
            h.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def sentence_pool(shared: Path, cfg: Config) -> list[str]:
    """Distinct real sentences, each exactly one segment (so its vector is the one the
    matcher looks up), shuffled reproducibly; the first ``batch_articles * sentences`` are
    the batch's, the rest the base's."""
    from matching.segment import segment

    cands = msrp_sentences(shared) + insciout_sentences(shared)
    for body in article_bodies(shared):
        cands.extend(s.text for s in segment(body))
    pool = sorted({s for s in cands if 40 <= len(s) <= 400 and [x.text for x in segment(s)] == [s]})
    random.Random(cfg.seed).shuffle(pool)
    return pool[: cfg.pool] if cfg.pool else pool


def n_messages(n_articles: int, cfg: Config) -> int:
    return max(1, round(n_articles * cfg.msgs_per_article))


def article_item(i: int, cfg: Config, base_pool: list[str]) -> dict[str, Any]:
    """Base article ``i`` (0 = the newest): the same in every warehouse that holds it."""
    rng = random.Random(cfg.seed * 1_000_003 + i)
    pub = END - timedelta(days=(i + rng.random()) / cfg.per_day)
    outlet = OUTLETS[i % len(OUTLETS)]
    return {
        "url": f"https://{outlet}.example/a/{i}.html",
        "outlet": outlet,
        "text": "\n\n".join(rng.sample(base_pool, cfg.sentences)),
        "published_at": pub.isoformat(),
        "fetched_at": (pub + timedelta(hours=1)).isoformat(),
    }


def batch_items(cfg: Config, batch_pool: list[str]) -> list[dict[str, Any]]:
    """Tonight's new articles: published after the base, of sentences no base article has."""
    rng = random.Random(cfg.seed + 1)
    out = []
    for k in range(cfg.batch_articles):
        pub = END + timedelta(days=rng.random())
        outlet = OUTLETS[k % len(OUTLETS)]
        sents = batch_pool[k * cfg.sentences : (k + 1) * cfg.sentences]
        out.append({
            "url": f"https://{outlet}.example/batch/{k}.html", "outlet": outlet,
            "text": "\n\n".join(sents), "published_at": pub.isoformat(),
            "fetched_at": (pub + timedelta(hours=1)).isoformat(),
        })  # fmt: skip
    return out


def messages(texts: list[str], prefix: str, times: list[datetime]) -> list[Any]:
    from foia.models import Message

    return [
        Message(
            source_file=f"bench/{prefix}", source_sha256="0" * 64, source_kind="eml",
            bates=f"{prefix}-{j:06d}", sent_at=t, email_from="press@agency.example",
            email_to=[f"reporter@{OUTLETS[j % len(OUTLETS)]}.example"], own_text=text,
        )
        for j, (text, t) in enumerate(zip(texts, times, strict=True))
    ]  # fmt: skip


def base_times(n: int, cfg: Config) -> list[datetime]:
    rng = random.Random(cfg.seed + 2)
    per_day = cfg.per_day * cfg.msgs_per_article
    return [END - timedelta(days=(j + rng.random()) / per_day) for j in range(n)]


def batch_times(cfg: Config) -> list[datetime]:
    rng = random.Random(cfg.seed + 3)
    return [END - timedelta(days=cfg.batch_days * rng.random()) for _ in range(cfg.batch_messages)]


def pool_vectors(
    texts: list[str], cache: Path, log: Any
) -> tuple[list[str], np.ndarray, float | None]:
    """(text hashes, vectors, seconds spent embedding or None if cached): the project's
    embedding path, computed once per distinct set of texts and kept in ``cache``."""
    from matching.embed import MODEL_NAME, encode, text_hash

    key = _digest(MODEL_NAME, texts)
    npy, idx = cache / f"vectors-{key}.npy", cache / f"vectors-{key}.hashes"
    hashes = [text_hash(t) for t in texts]
    if npy.exists() and idx.exists() and idx.read_text().split() == hashes:
        return hashes, np.load(npy), None
    log(f"embedding {len(texts)} sentences once (cached in {npy}) ...")
    t0 = time.perf_counter()
    vecs = np.asarray(encode(texts), dtype=np.float32)
    took = time.perf_counter() - t0
    cache.mkdir(parents=True, exist_ok=True)
    np.save(npy.with_suffix(".tmp.npy"), vecs)
    os.replace(npy.with_suffix(".tmp.npy"), npy)
    idx.write_text("\n".join(hashes))
    return hashes, vecs, took


def build_base(
    path: Path,
    n: int,
    cfg: Config,
    base_pool: list[str],
    base_msgs: list[str],
    vectors: dict[str, np.ndarray],
    log: Any,
) -> dict[str, Any]:
    """A warehouse of the ``n`` newest base articles and their span's messages, with the
    vectors pre-stored, matched once (old pairs weighed, as on any night)."""
    from matching.embed import MODEL_NAME
    from warehouse import embeddings, load
    from warehouse.db import connect

    t0 = time.perf_counter()
    con = connect(path)
    try:
        embeddings.store_vectors(con, MODEL_NAME, vectors)
        m = n_messages(n, cfg)
        load.upsert_messages(con, "bench-base", messages(base_msgs[:m], "BASE", base_times(m, cfg)))
        for lo in range(0, n, 20_000):
            items = [article_item(i, cfg, base_pool) for i in range(lo, min(n, lo + 20_000))]
            load.upsert_article_versions(con, items)
    finally:
        con.close()
    t_load = time.perf_counter() - t0
    log(f"base {n}: stored in {t_load:.0f} s; matching the base once ...")
    res = timed_match(path, cfg.window)  # a subprocess, like the timed match
    log(f"base {n}: matched in {res['seconds']:.0f} s, peak RSS {res['peak_rss_mb']:.0f} MB")
    return {
        "load_s": t_load, "match_s": res["seconds"], "match_peak_rss_mb": res["peak_rss_mb"],
        "match_stats": res["stats"],
    }  # fmt: skip


def ensure_base(
    n: int,
    cfg: Config,
    cache: Path,
    data_key: str,
    build: Any,
    rebuild: bool,
    log: Any,
    any_code: bool = False,
) -> tuple[Path, dict[str, Any], bool]:
    """The cached matched base warehouse of ``n`` articles (built if absent or stale);
    returns (path, its build record, whether this run built it). ``any_code``: a base of the
    same data matched by other matcher code is reused, migrated to this schema if older (its
    record says so)."""
    code, schema = code_hash(), code_hash(schema_only=True)
    key = _digest(BENCH_VERSION, n, data_key, code)
    path = cache / f"base-{n}-{key}.duckdb"
    meta = path.with_suffix(".json")
    if not rebuild and path.exists() and meta.exists():
        return path, json.loads(meta.read_text()), False
    if not rebuild and any_code:
        for m in sorted(cache.glob(f"base-{n}-*.json")):
            rec = json.loads(m.read_text())
            same = (rec.get("bench_version"), rec.get("data_key"))
            if same != (BENCH_VERSION, data_key) or not m.with_suffix(".duckdb").exists():
                continue
            log(f"base {n}: reusing {m.stem}, matched by other code ({rec.get('code')})")
            if rec.get("schema") != schema:
                # an older schema: upgraded in place by this code's migrations, as a user's
                # warehouse would be (the rows the migrations derive, not a rebuild)
                from warehouse.db import connect

                log(f"base {n}: applying this code's migrations to it ...")
                connect(m.with_suffix(".duckdb")).close()
                rec |= {"schema": schema, "migrated_from": rec.get("migrated_from", rec["schema"])}
                m.write_text(json.dumps(rec, default=str))
            return m.with_suffix(".duckdb"), rec, False
    cache.mkdir(parents=True, exist_ok=True)
    for old in [*cache.glob(f"base-{n}-*"), *cache.glob(f"building-{n}-*")]:  # stale: big
        old.unlink()
    tmp = cache / f"building-{n}-{key}.duckdb"
    for p in (tmp, tmp.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    record = build(tmp, n) | {
        "bench_version": BENCH_VERSION, "data_key": data_key, "schema": schema, "code": code,
    }  # fmt: skip
    os.replace(tmp, path)
    meta.write_text(json.dumps(record, default=str))
    return path, record, True


def flush_to_disk(path: Path) -> None:
    """Write the fresh copy's pages to disk before the timed match: a warehouse at rest has
    none pending, and the match's checkpoint would otherwise wait for the whole copy (1 GB
    at 10 x S) to be written out, timing the copy rather than the match."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def worker(db: Path, window: int) -> None:
    """Run in a subprocess: time one ``pipeline.match`` and report it with the peak RSS."""
    from foiatrace import pipeline

    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    stats = pipeline.match(db, window_days=window, progress=False)
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "rss_before_mb": rss_before}
    print(json.dumps({**out, "stats": stats}, default=str))


def timed_match(db: Path, window: int) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            str(db),
            "--window",
            str(window),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"match worker failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def counts(db: Path) -> dict[str, int]:
    """What the warehouse really holds: base and batch articles and messages."""
    from warehouse.db import connect

    con = connect(db, read_only=True)
    try:
        arts = dict(
            con.execute("SELECT url LIKE '%/batch/%', count(*) FROM articles GROUP BY 1").fetchall()
        )
        msgs = dict(
            con.execute(
                "SELECT msg_key LIKE '%BATCH-%', count(*) FROM emails GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    return {
        "base_articles": int(arts.get(False, 0)),
        "batch_articles": int(arts.get(True, 0)),
        "base_messages": int(msgs.get(False, 0)),
        "batch_messages": int(msgs.get(True, 0)),
    }


def run(
    cfg: Config,
    shared: Path,
    cache: Path,
    repeats: int,
    rebuild: bool,
    log: Any,
    any_code: bool = False,
) -> dict[str, Any]:
    """Build (or reuse) both bases, match the same batch into each, return the figures."""
    from matching.segment import segment
    from warehouse import load
    from warehouse.db import connect

    t_start = time.perf_counter()
    pool = sentence_pool(shared, cfg)
    n_batch = cfg.batch_articles * cfg.sentences
    if len(pool) < n_batch + cfg.sentences:
        raise SystemExit(f"pool of {len(pool)} sentences is too small for the batch")
    batch_pool, base_pool = pool[:n_batch], pool[n_batch:]
    sizes = [cfg.s, cfg.s * cfg.ratio]
    m_big = n_messages(sizes[-1], cfg)
    texts = foia_texts(shared, cfg.batch_messages + m_big)
    if len(texts) < cfg.batch_messages + m_big:
        raise SystemExit(f"only {len(texts)} FOIA texts for {cfg.batch_messages + m_big}")
    batch_msgs, base_msgs = texts[: cfg.batch_messages], texts[cfg.batch_messages :]
    # vectors: the pool, and the messages a batch can pair with (its own, the base's newest)
    msg_segs = [
        s.text for t in batch_msgs + base_msgs[: n_messages(cfg.s, cfg)] for s in segment(t)
    ]
    to_embed = list(dict.fromkeys(pool + msg_segs))
    hashes, vecs, embed_s = pool_vectors(to_embed, cache, log)
    vectors = dict(zip(hashes, vecs, strict=True))
    data_key = _digest(asdict(cfg) | {"s": None}, pool, texts, hashes[:1], len(hashes))

    def build(path: Path, n: int) -> dict[str, Any]:
        return build_base(path, n, cfg, base_pool, base_msgs, vectors, log)

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="foiatrace-scaling-") as tmp:
        for n in sizes:
            t0 = time.perf_counter()
            base, record, built = ensure_base(
                n, cfg, cache, data_key, build, rebuild, log, any_code
            )
            ready_s = time.perf_counter() - t0
            best: dict[str, Any] | None = None
            for r in range(repeats):
                work = Path(tmp) / f"work-{n}-{r}.duckdb"
                shutil.copyfile(base, work)
                con = connect(work)
                try:
                    load.upsert_article_versions(con, batch_items(cfg, batch_pool))
                    load.upsert_messages(
                        con, "bench-batch", messages(batch_msgs, "BATCH", batch_times(cfg))
                    )
                finally:
                    con.close()
                got = counts(work)
                flush_to_disk(work)
                log(f"warehouse {n}: {got}; timing the batch's match ...")
                res = timed_match(work, cfg.window)
                res["counts"] = got
                log(
                    f"warehouse {n}: match {res['seconds']:.1f} s, peak RSS "
                    f"{res['peak_rss_mb']:.0f} MB, stats {res['stats']}"
                )
                if best is None or res["seconds"] < best["seconds"]:
                    peak = min(res["peak_rss_mb"], best["peak_rss_mb"]) if best else None
                    best = res | ({"peak_rss_mb": peak} if peak else {})
                else:
                    best["peak_rss_mb"] = min(best["peak_rss_mb"], res["peak_rss_mb"])
                work.unlink()
            assert best is not None
            rows.append(
                {
                    "articles": n,
                    "built_this_run": built,
                    "base_build_s": record.get("load_s", 0.0) + record.get("match_s", 0.0),
                    "base_same_code": record.get("code") == code_hash(),
                    "base_migrated": bool(record.get("migrated_from")),
                    "base_ready_s": ready_s,
                    **best,
                }
            )
    small, big = rows
    return {
        "bench": "nightly_scaling",
        "config": asdict(cfg),
        "pool_sentences": len(pool),
        "embedded_sentences": len(to_embed),
        "embed_s": embed_s,
        "rows": rows,
        "time_ratio": big["seconds"] / small["seconds"],
        "memory_ratio": big["peak_rss_mb"] / small["peak_rss_mb"],
        "time_target": TIME_TARGET,
        "memory_target": MEMORY_TARGET,
        "total_s": time.perf_counter() - t_start,
    }


def report(res: dict[str, Any]) -> str:
    cfg = res["config"]
    headers = [
        "warehouse", "base articles", "base messages", "batch articles", "batch messages",
        "match s", "peak RSS MB", "RSS before match MB", "pairs weighed", "texts segmented",
        "embedded",
    ]  # fmt: skip
    rows = []
    for label, r in zip(("S", f"{cfg['ratio']}xS"), res["rows"], strict=True):
        c, st = r["counts"], r["stats"]
        rows.append([
            f"{label} ({r['articles']})", c["base_articles"], c["base_messages"],
            c["batch_articles"], c["batch_messages"], r["seconds"], r["peak_rss_mb"],
            r["rss_before_mb"], st.get("pairs_weighed"), st.get("texts_computed"),
            st.get("embeddings_computed"),
        ])  # fmt: skip
    rows.append([
        f"{cfg['ratio']}xS / S (target <= {res['time_target']}, <= {res['memory_target']})",
        "", "", "", "", res["time_ratio"], res["memory_ratio"], "", "", "", "",
    ])  # fmt: skip
    lines = [
        f"pool: {res['pool_sentences']} real sentences; {cfg['sentences']} per article, "
        f"{cfg['per_day']:g} articles/day; window {cfg['window']} d",
        markdown_table(headers, rows),
    ]
    for label, r in zip(("S", f"{cfg['ratio']}xS"), res["rows"], strict=True):
        how = "built this run" if r["built_this_run"] else "cached"
        if not r.get("base_same_code", True):
            how += ", matched by other matcher code (--any-code)"
        if r.get("base_migrated"):
            how += ", its schema upgraded by this code's migrations"
        lines.append(
            f"base {label}: {how} (building it took {r['base_build_s']:.0f} s; "
            f"ready here in {r['base_ready_s']:.0f} s)"
        )
    emb = res["embed_s"]
    lines.append(
        f"vectors: {res['embedded_sentences']} sentences, "
        + (f"embedded this run in {emb:.0f} s" if emb is not None else "cached")
        + f"; whole run {res['total_s']:.0f} s"
    )
    return "\n".join(lines)


_PACKAGES = ("bench", "matching", "warehouse", "foiatrace", "foia", "crawlers")


def snapshot_code() -> Path:
    """A copy of the project's code: a run of many minutes in a checkout that others edit
    must import one version of the matcher in every process (base match, timed match)."""
    root = Path(tempfile.mkdtemp(prefix="foiatrace-scaling-code-"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in _PACKAGES:
        shutil.copytree(REPO / name, root / name, ignore=ignore)
    return root


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    d = Config()
    ap.add_argument("--s", type=int, default=d.s, help="articles in the small warehouse")
    ap.add_argument("--ratio", type=int, default=d.ratio)
    ap.add_argument("--per-day", type=float, default=d.per_day)
    ap.add_argument("--sentences", type=int, default=d.sentences)
    ap.add_argument("--msgs-per-article", type=float, default=d.msgs_per_article)
    ap.add_argument("--batch-articles", type=int, default=d.batch_articles)
    ap.add_argument("--batch-messages", type=int, default=d.batch_messages)
    ap.add_argument("--pool", type=int, default=d.pool, help="limit the sentence pool")
    ap.add_argument("--window", type=int, default=d.window)
    ap.add_argument("--repeats", type=int, default=1, help="best of N timed matches")
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--shared", type=Path, default=None)
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached bases")
    ap.add_argument(
        "--any-code",
        action="store_true",
        help="reuse bases matched by other matcher code (older schemas migrated): quick, not exact",
    )
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    ap.add_argument(
        "--no-snapshot", action="store_true", help="import the checkout's code, not a copy"
    )
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--snapshot", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.window)
        return 0
    shared = (args.shared or shared_dir()).resolve()
    if not (shared / "data").is_dir():
        print(f"{shared}/data not found: the benchmark reads real text from it", file=sys.stderr)
        return 2
    if not args.no_snapshot and args.snapshot is None:
        code = snapshot_code()
        script = code / "bench" / Path(__file__).name
        rest = sys.argv[1:] if argv is None else list(argv)
        proc = subprocess.run(
            [sys.executable, str(script), *rest, "--shared", str(shared), "--snapshot", str(code)],
            check=False,
        )
        shutil.rmtree(code, ignore_errors=True)
        return proc.returncode
    cfg = Config(
        s=args.s, ratio=args.ratio, per_day=args.per_day, sentences=args.sentences,
        msgs_per_article=args.msgs_per_article, batch_articles=args.batch_articles,
        batch_messages=args.batch_messages, pool=args.pool, window=args.window,
    )  # fmt: skip
    if args.snapshot:
        print(f"code: a snapshot of the checkout, {code_hash()}", file=sys.stderr)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    cache = args.cache or cache_dir()
    res = run(cfg, shared, cache, args.repeats, args.rebuild, log, args.any_code)
    print(report(res))
    if args.json:
        print(json.dumps(res, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
