"""`eval noise`: real State Department emails re-dated into the demo's months, words unchanged,
matched end to end against the demo's crawled articles (real reader, crawl, warehouse, model)."""

from __future__ import annotations

import json
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from foia.models import Message
from foia.text_release import parse_text_release
from foiatrace.cli import app
from foiatrace.evals.noise import TARBALL, iter_release, redate
from warehouse.db import connect

LIMIT = 200


@pytest.fixture(scope="module")
def clinton(shared: Path) -> Path:
    path = shared / "data" / "clinton-foia"
    if not (path / TARBALL).is_file():
        pytest.skip(f"Clinton release not found at {path / TARBALL}")
    return path


def _reader_texts(clinton: Path, limit: int) -> dict[str, str]:
    """own_text per doc number of the first ``limit`` documents, straight from the reader."""
    out: dict[str, str] = {}
    n = 0
    with tarfile.open(clinton / TARBALL) as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".txt"):
                fh = tar.extractfile(member)
                assert fh is not None
                msg = parse_text_release(fh.read(), member.name, "America/New_York")
                if isinstance(msg, Message):
                    out[msg.bates or ""] = msg.own_text
                n += 1
                if n >= limit:
                    break
    return out


def test_redate_keeps_order_and_spacing_inside_the_span(clinton: Path) -> None:
    msgs = [m for m in iter_release(clinton, LIMIT) if isinstance(m, Message)]
    original = {m.bates: m.sent_at for m in msgs}
    texts = {m.bates: m.own_text for m in msgs}
    start = datetime(2021, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=90)
    undated = redate(msgs, start, end)
    assert undated == sum(1 for t in original.values() if t is None)
    assert all(start <= m.sent_at <= end for m in msgs)
    assert all(m.sent_at.tzinfo is not None for m in msgs)
    assert {m.bates: m.own_text for m in msgs} == texts
    dated = sorted((original[m.bates], m.sent_at) for m in msgs if original[m.bates])
    new_times = [new for _, new in dated]
    assert new_times == sorted(new_times)  # order kept
    assert new_times[-1] - new_times[0] > timedelta(days=80)  # spread over the span
    # the same input gives the same times (undated ones by a hash of the doc number)
    again = [m for m in iter_release(clinton, LIMIT) if isinstance(m, Message)]
    redate(again, start, end)
    assert [m.sent_at for m in again] == [m.sent_at for m in msgs]


def test_eval_noise_end_to_end_on_the_demo(clinton: Path, demo_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["eval", "noise", str(demo_dir), "--clinton", str(clinton), "--limit", str(LIMIT),
         "--workdir", str(tmp_path), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    res = json.loads(result.stdout)
    assert res["documents"] == LIMIT and res["messages"] + res["refused"] == LIMIT
    assert res["articles"] > 0 and 0 < res["emails_matched"] <= res["messages"]
    assert res["pairs_weighed"] > 0
    assert res["pairs_reported"] == len(res["pairs"])
    assert res["emails_reported"] <= res["pairs_reported"] <= res["evidence_rows"]
    for p in res["pairs"]:
        assert p["score"] >= res["threshold"] and p["detail_types"] and p["quotes"]

    start = datetime.fromisoformat(res["span_start"])
    end = datetime.fromisoformat(res["span_end"])
    assert end - start > timedelta(days=30)
    con = connect(tmp_path / "noise.duckdb", read_only=True)
    try:
        rows = con.execute(
            "SELECT bates, sent_at, own_text FROM messages WHERE production = 'clinton-noise'"
        ).fetchall()
        first_article = con.execute(
            "SELECT min(coalesce(published_at, modified_at)) FROM articles"
        ).fetchone()[0]
        scenario_emails = con.execute(
            "SELECT count(*) FROM emails WHERE production <> 'clinton-noise'"
        ).fetchone()[0]
    finally:
        con.close()
    assert scenario_emails == 0  # only the scenario's articles, never its emails
    assert len(rows) == res["messages"]
    assert start == first_article - timedelta(days=30)
    assert all(start <= sent <= end for _, sent, _ in rows)
    assert {b: t for b, _, t in rows} == _reader_texts(clinton, LIMIT)
