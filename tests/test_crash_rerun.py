"""Crash and re-run: SIGKILL each nightly step (ingest, crawl, match) once at a random point
on the dev scenario, re-run the whole sequence, and compare with an uninterrupted run.

The machinery (reference run, fingerprint, kill, re-run) is ``scripts/kill_soak.py``, which
also runs the long soak (``--kills 20`` over dev and dev2). Every column is compared but the
volatile ones (``VOLATILE``); the crawl's provenance (``discovered_via``,
``discovered_lastmod``) used to depend on whether a sitemap or a feed answered first, and the
last test checks that uninterrupted crawls now store the same."""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "kill_soak.py"
SEED = 11


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kill_soak", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["kill_soak"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


ks = _load()


@pytest.fixture(scope="module")
def rig(dev_scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The dev scenario served, with its uninterrupted reference run built once (the steps
    run a copy of the packages, so that every run of the module runs the same code)."""
    root = tmp_path_factory.mktemp("crash-rerun")
    with ks.Rig(dev_scenario, root / "ref", ks.freeze_code(root / "code")) as r:
        r.reference()
        yield r


def test_fingerprint_ignores_volatile_columns_only(rig: Any) -> None:
    """The reference's fingerprint covers every table but runs, and sees a changed score."""
    import shutil

    import duckdb

    fp = rig.reference()
    assert "runs" not in fp.counts and fp.counts["evidence_full"] > 0
    assert fp.counts["reviews"] == 1 and rig.verdict_rows >= 1
    copy = rig.cache / "fp-check"
    shutil.copytree(rig.snapshot("final-match"), copy)
    db = copy / ks.DB_NAME
    con = duckdb.connect(str(db))
    con.execute("UPDATE disclosures SET matched_at = now()")  # volatile: no difference
    con.close()
    assert ks.fingerprint(db).diff(fp) == []
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE disclosures SET score = score + 1e-4 WHERE rowid = (SELECT min(rowid) FROM "
        "disclosures)"
    )
    con.close()
    assert "evidence hash differs" in ks.fingerprint(db).diff(fp)


@pytest.mark.parametrize("step", ["ingest", "crawl", "match"])
def test_killed_step_rerun_matches_uninterrupted_run(rig: Any, step: str) -> None:
    rng = random.Random(f"{SEED}-{step}")
    # past the interpreter's start, most of the time: the step is at work when killed
    delay = round(rig.durations[step] * rng.uniform(0.3, 0.9), 2)
    res = rig.kill_and_rerun(step, delay, rig.cache.parent / f"kill-{step}")
    where = f"{step} killed at {delay}s (left: {res.left})"
    assert res.problems == [], where
    assert res.diff == [], where
    assert res.verdict_intact, where
    assert res.running == 0, where
    if res.killed and res.left.startswith("run running"):
        assert res.statuses.get("interrupted") == 1, where


def test_uninterrupted_crawls_store_the_same_provenance(rig: Any) -> None:
    """Three more uninterrupted crawls (from the reference's state after ingest) store what
    the reference's crawl stored, every column compared (``strict``: the provenance columns
    that used to depend on which index response arrived first included)."""
    import shutil

    for k in range(3):
        work = rig.cache.parent / f"crawl-again-{k}"
        shutil.copytree(rig.snapshot("ingest"), work)
        assert rig.run_step("crawl", work).clean
        got = ks.fingerprint(work / ks.DB_NAME, strict=True)
        want = ks.fingerprint(rig.snapshot("crawl") / ks.DB_NAME, strict=True)
        assert got.diff(want) == [], f"uninterrupted crawl {k}"
