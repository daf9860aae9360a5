"""Concurrent crawl writers on a DuckLake warehouse, then the match, against a one-writer run.

    PYTHONPATH=... .venv/bin/python scripts/lake_two_writers.py [--workdir DIR] [--json OUT]

On the demo corpus (its site served on 127.0.0.1), the nightly DAG's task bodies
(``foiatrace.dag_tasks``) run twice:

1. one writer: the default single-file warehouse, the outlets crawled one after another and
   staged as JSON lines, one load, the match;
2. the lake: ``FOIATRACE_WAREHOUSE=ducklake:postgres:...`` (a fresh PostgreSQL database for
   the catalog, dropped after), one process per outlet, all started at once; each crawls
   its outlet and appends its rows to the lake in one transaction, and every writer waits
   inside its open transaction until all the others have theirs open too (a file barrier,
   ``warehouse.lake.BEFORE_COMMIT``), so the transactions provably overlap; then one load
   from the lake and the match.

Then: rows staged in the lake = rows the writers wrote, and the two warehouses' row counts
and evidence hash (``scripts/distributed_run.py``'s ``fingerprint``) are equal: nothing lost,
nothing duplicated. Needs duckdb 1.5.5 with the DuckLake packages (the ``lake`` extra).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for p in (REPO, REPO / "scripts"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

BARRIER_TIMEOUT = 120.0


def file_barrier(folder: Path, name: str, parties: int) -> None:
    """Mark ``name`` ready in ``folder`` and wait until ``parties`` are."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.ready").write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + BARRIER_TIMEOUT
    while len(list(folder.glob("*.ready"))) < parties:
        if time.monotonic() > deadline:
            raise TimeoutError(f"barrier: {parties} writers never all had a transaction open")
        time.sleep(0.05)


def child(slug: str, run_id: str, barrier: Path, parties: int) -> int:
    """One mapped crawl task's body in its own process, held at the barrier before commit."""
    from foiatrace import dag_tasks
    from warehouse import lake

    lake.BEFORE_COMMIT = lambda: file_barrier(barrier, slug, parties)
    stats = dag_tasks.crawl_outlet(slug, run_id=run_id)
    print(json.dumps(stats, default=str))
    return 0


@contextlib.contextmanager
def environment(values: dict[str, str | None]) -> Any:
    old = dict(os.environ)
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(old)


def night(db: Path, run_id: str, concurrent: bool, barrier: Path | None = None) -> dict:
    """ingest, crawl_plan, crawl per outlet (one after another, or one process each at
    once), load_crawl, match; returns the tasks' stats."""
    from foiatrace import dag_tasks

    out: dict[str, Any] = {}
    for folder in dag_tasks.productions():
        out[f"ingest {Path(folder).name}"] = dag_tasks.ingest(folder)
    slugs = dag_tasks.crawl_plan(run_id=run_id)
    staged = []
    if not concurrent:
        staged = [dag_tasks.crawl_outlet(s, run_id=run_id) for s in slugs]
    else:
        assert barrier is not None
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    s,
                    "--run-id",
                    run_id,
                    "--barrier",
                    str(barrier),
                    "--parties",
                    str(len(slugs)),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for s in slugs
        ]
        for s, p in zip(slugs, procs, strict=True):
            o, e = p.communicate(timeout=300)
            if p.returncode != 0:
                raise RuntimeError(f"writer {s} failed:\n{e[-3000:]}")
            staged.append(json.loads(o.strip().splitlines()[-1]))
    out["crawl"] = staged
    out["load_crawl"] = dag_tasks.load_crawl(staged, run_id=run_id)
    out["match"] = dag_tasks.match()
    return out


def lake_attempts() -> dict[str, Any]:
    from warehouse import lake

    cfg = lake.configured()
    assert cfg is not None
    con = lake.connect(cfg)
    try:
        rows = con.execute(
            "SELECT outlet, pid, items, discovery, started_at, committing_at FROM crawl_attempts "
            "ORDER BY outlet"
        ).fetchall()
        staged = con.execute("SELECT count(*) FROM crawl_items").fetchone()
        snaps = con.execute("SELECT count(*) FROM ducklake_snapshots('lake')").fetchone()
    finally:
        con.close()
    attempts = [
        {"outlet": r[0], "pid": r[1], "items": r[2], "discovery": r[3],
         "started_at": r[4], "committing_at": r[5]}
        for r in rows
    ]  # fmt: skip
    overlap = bool(attempts) and max(a["started_at"] for a in attempts) < min(
        a["committing_at"] for a in attempts
    )
    return {
        "attempts": attempts,
        "writers": len({a["pid"] for a in attempts}),
        "all_open_at_once": overlap,
        "rows_written": sum(a["items"] + a["discovery"] for a in attempts),
        "rows_in_lake": staged[0] if staged else 0,
        "snapshots": snaps[0] if snaps else 0,
    }


def run(work: Path) -> dict[str, Any]:
    """Both nights, compared; ``ok`` when the lake run lost and duplicated nothing."""
    from distributed_run import PG, fingerprint, fresh_database

    from crawlers.serve import serve_site
    from foiatrace.demo_run import DEMO_DIR

    work = work.resolve()
    res: dict[str, Any] = {}
    with serve_site(DEMO_DIR / "site") as base_url, fresh_database("foiatrace_lake") as lake_db:
        common = {
            "FOIATRACE_OUTLETS": str(DEMO_DIR / "outlets.toml"),
            "FOIATRACE_BASE_URL": base_url,
            "FOIATRACE_PRODUCTIONS": str(DEMO_DIR / "emails"),
            "FOIATRACE_PRODUCTION": "demo",
            "FOIATRACE_ARCHIVE_DIR": None,
        }
        one_db = work / "one-writer" / "foiatrace.duckdb"
        t0 = time.monotonic()
        with environment({**common, "FOIATRACE_DB": str(one_db), "FOIATRACE_WAREHOUSE": None}):
            night(one_db, "one__writer", concurrent=False)
        res["one_writer_seconds"] = round(time.monotonic() - t0, 1)
        lake_db_file = work / "lake" / "foiatrace.duckdb"
        lake_env = {
            **common,
            "FOIATRACE_DB": str(lake_db_file),
            "FOIATRACE_WAREHOUSE": f"ducklake:postgres:dbname={lake_db} host={PG['host']} "
            f"user={PG['user']}",
            "FOIATRACE_LAKE_DATA": str(work / "lake" / "data"),
        }
        t0 = time.monotonic()
        with environment(lake_env):
            stats = night(lake_db_file, "lake__writers", True, work / "lake" / "barrier")
            res["lake_seconds"] = round(time.monotonic() - t0, 1)
            res["lake"] = lake_attempts()
            res["crawl_tasks"] = [
                {k: c.get(k) for k in ("outlet", "pid", "articles", "lake")} for c in stats["crawl"]
            ]
        parquet = sorted((work / "lake" / "data").rglob("*.parquet"))
        res["lake"]["parquet_files"] = len(parquet)
        one, many = fingerprint(one_db), fingerprint(lake_db_file)
        res["counts_one_writer"] = one.counts
        res["counts_lake"] = many.counts
        res["evidence_one_writer"] = one.evidence
        res["evidence_lake"] = many.evidence
        res["differences"] = many.diff(one)
    lk = res["lake"]
    res["ok"] = (
        not res["differences"]
        and lk["rows_written"] == lk["rows_in_lake"]
        and lk["all_open_at_once"]
        and lk["writers"] >= 2
    )
    return res


def report(res: dict[str, Any]) -> None:
    lk = res["lake"]
    print(f"lake writers: {lk['writers']} processes, transactions all open at once: "
          f"{lk['all_open_at_once']}, snapshots: {lk['snapshots']}, "
          f"parquet files: {lk['parquet_files']}")  # fmt: skip
    for a in lk["attempts"]:
        rows = a["items"] + a["discovery"]
        opened, commit = f"{a['started_at']:%H:%M:%S.%f}", f"{a['committing_at']:%H:%M:%S.%f}"
        print(f"  {a['outlet']:<22} pid {a['pid']:>7}  rows {rows:>3}  {opened} -> {commit}")
    print(f"rows written {lk['rows_written']}, rows in the lake {lk['rows_in_lake']}")
    print("one writer: " + json.dumps(res["counts_one_writer"], sort_keys=True))
    print("lake:       " + json.dumps(res["counts_lake"], sort_keys=True))
    print(f"evidence hash one writer {res['evidence_one_writer'][:16]}, "
          f"lake {res['evidence_lake'][:16]}")  # fmt: skip
    print("equal (0 lost, 0 duplicated): " + ("yes" if not res["differences"] else
                                               f"NO {res['differences']}"))  # fmt: skip
    print(f"seconds: one writer {res['one_writer_seconds']}, lake {res['lake_seconds']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", type=Path)
    p.add_argument("--json", type=Path)
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--run-id", help=argparse.SUPPRESS)
    p.add_argument("--barrier", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--parties", type=int, default=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(args.child, args.run_id, args.barrier, args.parties)
    from distributed_run import missing_services

    from warehouse.lake import unavailable_reason

    why = [m for m in missing_services() if "PostgreSQL" in m] + [
        r for r in [unavailable_reason()] if r
    ]
    if why:
        print("cannot run: " + "; ".join(why), file=sys.stderr)
        return 2
    work = args.workdir or Path(tempfile.mkdtemp(prefix="foiatrace-lake-"))
    try:
        res = run(work)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    report(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, default=str), encoding="utf-8")
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
