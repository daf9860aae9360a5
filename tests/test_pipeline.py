"""The whole pipeline on the bundled demo: real crawl over HTTP on 127.0.0.1, real PDFs and
EML, the real model, real DuckDB files; re-runs that add nothing; bad input recorded."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crawlers.serve import serve_site
from foiatrace import pipeline
from foiatrace.demo_run import evidence_rows, run_demo
from warehouse.db import connect


def _counts(db: Path) -> dict[str, int]:
    con = connect(db, read_only=True)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in (
                "emails",
                "article_versions",
                "disclosures",
                "matched_pairs",
                "embeddings",
                "errors",
            )
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    run_demo(db, use_airflow=False, quiet=True)
    return db


def test_demo_finds_disclosures_with_verifiable_quotes(demo_db: Path) -> None:
    rows = evidence_rows(demo_db)
    assert rows, "no disclosure found in the demo corpus"
    con = connect(demo_db, read_only=True)
    for r in rows:
        own = con.execute("SELECT own_text FROM messages WHERE bates = ?", [r["bates"]]).fetchone()
        text = con.execute("SELECT text FROM articles WHERE url = ?", [r["article_url"]]).fetchone()
        assert own and " ".join(r["email_quote"].split()) in " ".join(own[0].split())
        assert text and r["article_quote"] in text[0]
        assert r["article_url"].startswith("https://") and "127.0.0.1" not in r["article_url"]
        # time order: the lag is positive and ends at a time the article printed: a version's
        # published or modified time (a disclosure can first appear in an update); the stored
        # lag is rounded to 0.1 h, so within 3 minutes
        assert r["lag_hours"] > 0, r
        reached = r["email_sent_at"] + timedelta(hours=r["lag_hours"])
        times = con.execute(
            "SELECT published_at, modified_at FROM article_versions WHERE url = ?",
            [r["article_url"]],
        ).fetchall()
        assert any(
            t is not None and abs((t - reached).total_seconds()) <= 181 for v in times for t in v
        ), (r, reached, times)
    con.close()


def test_rerun_adds_nothing_and_keeps_verdicts(demo_db: Path, demo_dir: Path) -> None:
    rows = evidence_rows(demo_db)
    first = rows[0]
    con = connect(demo_db)
    con.execute(
        "INSERT INTO reviews VALUES (?, ?, ?, 'confirmed', 'tester', 'checked', now())",
        [first["msg_key"], first["article_url"], first["detail_key"]],
    )
    con.close()
    before = _counts(demo_db)
    with serve_site(demo_dir / "site") as base:
        ing = pipeline.ingest(demo_db, [demo_dir / "emails"], "demo")
        crawl = pipeline.crawl(demo_db, demo_dir / "outlets.toml", base_url=base)
    match = pipeline.match(demo_db)
    assert ing["new"] == 0 and ing["changed"] == 0
    assert crawl["new_versions"] == 0
    assert match["pairs_weighed"] == 0 and match["embeddings_computed"] == 0
    assert _counts(demo_db) == before
    again = {
        (r["msg_key"], r["article_url"], r["detail_key"]): r["verdict"]
        for r in evidence_rows(demo_db)
    }
    assert again[(first["msg_key"], first["article_url"], first["detail_key"])] == "confirmed"


def test_bad_files_are_recorded_and_the_rest_ingested(tmp_path: Path, demo_dir: Path) -> None:
    prod = tmp_path / "prod"
    shutil.copytree(demo_dir / "emails", prod)
    (prod / "zz-corrupt.pdf").write_bytes(b"%PDF-1.4\n\x00garbage, not a PDF at all")
    (prod / "zz-empty.pdf").write_bytes(b"")
    db = tmp_path / "w.duckdb"
    stats = pipeline.ingest(db, [prod], "p")
    n_eml = len(list((demo_dir / "emails").glob("*.eml")))
    assert stats["new"] == n_eml and stats["errors"] == 2
    con = connect(db, read_only=True)
    sources = sorted(Path(s).name for (s,) in con.execute("SELECT source FROM errors").fetchall())
    assert sources == ["zz-corrupt.pdf", "zz-empty.pdf"]
    assert all(r for (r,) in con.execute("SELECT reason FROM errors").fetchall())
    con.close()


def test_dead_urls_are_recorded_and_the_crawl_goes_on(tmp_path: Path, demo_dir: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(demo_dir / "site", site)
    outlets = (demo_dir / "outlets.toml").read_text(encoding="utf-8")
    slug = outlets.split('slug = "', 1)[1].split('"', 1)[0]
    sitemap = site / slug / "sitemap.xml"
    xml = sitemap.read_text(encoding="utf-8")
    loc = xml.split("<loc>", 1)[1].split("</loc>", 1)[0]
    dead = loc.rsplit("/", 1)[0] + "/this-page-does-not-exist.html"
    sitemap.write_text(
        xml.replace("<url>", f"<url><loc>{dead}</loc></url><url>", 1), encoding="utf-8"
    )
    (tmp_path / "outlets.toml").write_text(outlets, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    with serve_site(site) as base:
        stats: dict[str, Any] = pipeline.crawl(db, tmp_path / "outlets.toml", base_url=base)
    assert stats["articles"] >= 5
    con = connect(db, read_only=True)
    errs = con.execute("SELECT source, reason FROM errors WHERE step = 'crawl'").fetchall()
    con.close()
    assert any(src == dead and "404" in reason for src, reason in errs), errs


def test_nightly_dag_runs_through_airflow(tmp_path: Path, demo_dir: Path) -> None:
    """`airflow db migrate` + `airflow dags test foiatrace_nightly`, as `foiatrace demo` does."""
    db = tmp_path / "dag.duckdb"
    rows = run_demo(db, use_airflow=True, quiet=True, airflow_home=tmp_path / "airflow")
    assert rows
    con = connect(db, read_only=True)
    steps = con.execute("SELECT step, status FROM runs ORDER BY started_at").fetchall()
    con.close()
    assert steps == [("ingest", "ok"), ("crawl", "ok"), ("match", "ok")]
    exports = sorted(p.suffix for p in (tmp_path / "exports").glob("evidence-*"))
    assert exports == [".csv", ".parquet"]


def test_reweighing_a_pair_replaces_its_old_evidence(demo_db: Path) -> None:
    """A new matcher version re-weighs pairs: what it no longer reports must not linger."""
    con = connect(demo_db)
    msg_key, article_key, url = con.execute(
        "SELECT msg_key, article_key, article_url FROM disclosures LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    con.execute(
        "INSERT INTO disclosures SELECT msg_key, article_url, 'identity:stale-test', 99, "
        "detail_type, article_key, email_quote, article_quote, shared_details, 0.99, cosine, "
        "lag_hours, syndicated_from, features, 'old', matched_at, lag_hours_min, lag_hours_max "
        "FROM disclosures "
        "WHERE msg_key = ? AND article_key = ? LIMIT 1",
        [msg_key, article_key],
    )
    con.execute(
        "DELETE FROM matched_pairs WHERE msg_key = ? AND article_key = ?", [msg_key, article_key]
    )
    con.close()
    pipeline.match(demo_db)
    con = connect(demo_db, read_only=True)
    stale = con.execute(
        "SELECT count(*) FROM disclosures WHERE detail_key = 'identity:stale-test'"
    ).fetchone()[0]  # type: ignore[index]
    kept = con.execute(
        "SELECT count(*) FROM disclosures WHERE msg_key = ? AND article_url = ?", [msg_key, url]
    ).fetchone()[0]  # type: ignore[index]
    con.close()
    assert stale == 0 and kept > 0
