"""Hostile input (issue 11): nothing lost, no hang, no way in.

A generated corpus of malformed files of every kind, good files mixed into the same folders
and zips (scripts/malformed_corpus.py), is ingested into a warehouse: no traceback, every
file read or an ``errors`` row naming it, every good file read, limits named when hit, all
within a time bound. Then the conflict policy (two messages under one Bates/Message-ID), a
blank PDF, stale temporary folders, the worker's kill on timeout, and a seeded fuzz of the
EML and text-release parsers.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

from foia import limits
from foia.eml import EmlError, parse_eml_bytes
from foia.ingest import iter_files
from foia.models import IngestError, Message
from foia.text_release import parse_text_release
from foiatrace.ingest_step import ingest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import malformed_corpus  # noqa: E402

FOLDERS = ("eml", "pdf", "mail", "text", "zips", "mixed")


def _errors(db: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT source, reason FROM errors").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("hostile")
    return out, malformed_corpus.build(out, small=True, seed=11)


def test_hostile_corpus_nothing_lost_no_hang(
    corpus: tuple[Path, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, manifest = corpus
    monkeypatch.setenv("FOIATRACE_MAX_OCR_PAGES", "3")  # the drawings: over it, not OCR'd
    monkeypatch.setenv("FOIATRACE_PARSE_TIMEOUT_S", "60")
    monkeypatch.setenv("FOIATRACE_MAX_MIME_PARTS", "200")  # the small corpus nests 300
    db = tmp_path / "w.duckdb"
    t0 = time.monotonic()
    stats = ingest(db, [root / f for f in FOLDERS], "hostile")
    elapsed = time.monotonic() - t0
    assert elapsed < 120, f"the hostile corpus took {elapsed:.0f} s"
    errors = _errors(db)
    assert not [e for e in errors if "unexpected error" in e[1] or "died" in e[1]], errors
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = {r[0] for r in con.execute("SELECT DISTINCT source_file FROM emails").fetchall()}
        copies = {r[0] for r in con.execute("SELECT source_file FROM message_sources").fetchall()}
        shas = {r[0] for r in con.execute("SELECT sha256 FROM source_files").fetchall()}
    finally:
        con.close()
    files = [p for f in FOLDERS for p in (root / f).rglob("*") if p.is_file()]
    assert len(files) >= 100
    seen = stored | copies | {src for src, _ in errors}  # a copy of a message is kept as one
    unaccounted = [str(p) for p in files if str(p) not in seen and not any(
        s.startswith(f"{p}!") for s in seen)  # same bytes at two paths: read once
        and hashlib.sha256(p.read_bytes()).hexdigest() not in shas]  # fmt: skip
    assert not unaccounted, unaccounted
    missing_good = [g for g in manifest["good"] if g not in stored]
    assert not missing_good, missing_good
    good_erred = [e for e in errors if e[0] in set(manifest["good"])]
    assert not good_erred, good_erred
    reasons = " | ".join(r for _, r in errors)
    named = ("HEADER_KB", "HEADER_FIELD_KB", "ADDRESSES", "QUOTE_DEPTH", "ZIP_RATIO",
             "ZIP_DEPTH", "OCR_PAGES", "MIME_PARTS")  # fmt: skip
    for env in (f"FOIATRACE_MAX_{n}" for n in named):
        assert env in reasons, f"no error names {env}"
    by_src = dict(errors)
    assert "blank document" in by_src[str(root / "pdf" / "blank-10.pdf")]
    assert stats["errors"] >= len(manifest["bad"]) // 2


def test_zip_members_are_independent(tmp_path: Path) -> None:
    rng = random.Random(3)
    zips, expect = malformed_corpus.bad_zips(
        rng, False, lambda n: {f"g{i}.eml": malformed_corpus.good_eml(rng, i) for i in range(n)}
    )
    for name in ("mixed-members.zip", "corrupt-member.zip", "encrypted-member.zip"):
        (tmp_path / name).write_bytes(zips[name])
    results = list(iter_files([tmp_path]))
    read = {r.source for r in results if r.messages}
    assert {str(tmp_path / e) for e in expect} <= read
    reasons = {r.source: [e.reason for e in r.records if isinstance(e, IngestError)]
               for r in results}  # fmt: skip
    assert "path traversal" in " ".join(reasons[str(tmp_path / "mixed-members.zip")])
    assert any("corrupt zip member" in " ".join(v) for v in reasons.values())
    assert any("encrypted zip member" in " ".join(v) for v in reasons.values())


def _eml(mid: str, text: str, bates: str | None = None, subject: str = "Status") -> bytes:
    bates_line = f"X-Bates: {bates}\n" if bates else ""
    return (
        f"From: Pat <pat@agency.gov>\nTo: lee@news.example\nSubject: {subject}\n"
        f"Date: Mon, 1 Mar 2021 09:00:00 -0500\nMessage-ID: <{mid}>\n{bates_line}\n{text}\n"
    ).encode()


def test_shared_keys_never_overwrite(tmp_path: Path) -> None:
    d = tmp_path / "prod"
    d.mkdir()
    (d / "a.eml").write_bytes(_eml("one@x", "The detention review is finished today."))
    (d / "b.eml").write_bytes(_eml("one@x", "Lunch menu: soup, bread and apples for all."))
    (d / "c.eml").write_bytes(_eml("c@x", "Visa interview moved to Friday morning.", "B-1"))
    (d / "d.eml").write_bytes(_eml("d@x", "Quarterly budget spreadsheet attached here.", "B-1"))
    db = tmp_path / "w.duckdb"
    stats = ingest(db, [d], "p")
    con = duckdb.connect(str(db), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM emails").fetchone()
        conflicts = con.execute(
            "SELECT source_file, other_key FROM message_sources WHERE relation = 'conflict'"
        ).fetchall()
    finally:
        con.close()
    assert n == (4,) and stats["conflicts"] == 2
    assert sorted(Path(s).name for s, _ in conflicts) == ["b.eml", "d.eml"]
    errs = _errors(db)
    assert sum("conflict: same" in r for _, r in errs) == 2
    # Read again: the same keys, nothing new, no duplicate rows.
    ingest(db, [d], "p", reread=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM emails").fetchone() == (4,)
    finally:
        con.close()


def test_pdf_copy_never_replaces_the_eml(tmp_path: Path) -> None:
    pytest.importorskip("reportlab")
    from tests.test_foia_pdf import Production

    text = "Lee,\n\nHe is a citizen of Freedonia who overstayed a visitor visa.\n\nPat"
    d = tmp_path / "prod"
    d.mkdir()
    p = Production(d / "a-printout.pdf", prefix="CPY-", start=7)
    p.outlook("Example, Pat", [("From:", "Example, Pat"),
                               ("Sent:", "Monday, March 7, 2022 9:15 AM"),
                               ("To:", "Lee Asker"), ("Subject:", "RE: status")], text)  # fmt: skip
    p.save()
    (d / "b.eml").write_bytes(
        _eml("m7@x", text, "CPY-0000007", "RE: status").replace(
            b"Mon, 1 Mar 2021 09:00:00 -0500", b"Mon, 7 Mar 2022 09:15:00 -0500"
        )
    )
    db = tmp_path / "w.duckdb"
    stats = ingest(db, [d], "p")
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT msg_key, source_kind FROM emails").fetchall()
        copies = con.execute(
            "SELECT msg_key, source_kind FROM message_sources WHERE relation = 'copy'"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("p:CPY-0000007", "eml")] and stats["copies"] == 1
    assert copies == [("p:CPY-0000007", "pdf")]


def test_stale_temp_folders_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"foiatrace-{dead.pid}-ocr-abc"
    mine = tmp_path / f"foiatrace-{os.getpid()}-zip-abc"
    for p in (stale, mine):
        (p / "sub").mkdir(parents=True)
    removed = limits.clean_stale_temp(tmp_path)
    assert removed == [stale.name] and mine.exists() and not stale.exists()


def _sleepy(path: Path, opts: object) -> list[Message | IngestError]:
    time.sleep(30)
    return []


def test_worker_killed_on_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from foia import readers

    monkeypatch.setenv("FOIATRACE_PARSE_TIMEOUT_S", "1")
    slow = readers.Reader("eml", (".eml",), _sleepy, 9, "slow")
    monkeypatch.setitem(readers.BY_NAME, "eml", slow)
    (tmp_path / "x.eml").write_bytes(_eml("x@x", "hello"))
    (tmp_path / "y.txt").write_bytes(malformed_corpus.good_text_release(random.Random(1), 1))
    t0 = time.monotonic()
    results = list(iter_files([tmp_path]))
    assert time.monotonic() - t0 < 15
    reasons = [r.reason for res in results for r in res.records if isinstance(r, IngestError)]
    assert reasons == ["over limit: parse time > 1 s (FOIATRACE_PARSE_TIMEOUT_S)"]
    assert [res.messages for res in results] == [0, 1]
    leftovers = [p for p in Path(tempfile.gettempdir()).glob("foiatrace-*-work-*")
                 if p.stat().st_mtime > time.time() - 60]  # fmt: skip
    limits.clean_stale_temp()
    assert all(not p.exists() for p in leftovers)


@pytest.mark.parametrize("seed", range(4))
def test_fuzz_eml_and_text_release(seed: int) -> None:
    """Seeded random mutations of good files: parsed, or refused with EmlError; never another
    exception (a fixed number of examples, so the test is bounded)."""
    rng = random.Random(seed)
    eml = malformed_corpus.good_eml(rng, 1, bates="F-1")
    txt = malformed_corpus.good_text_release(rng, 1)
    for _ in range(150):
        data = malformed_corpus.mutate(eml, rng, 4)
        try:
            msg = parse_eml_bytes(data, "f.eml")
            assert isinstance(msg, Message)
        except EmlError:
            pass
        out = parse_text_release(malformed_corpus.mutate(txt, rng, 4), "f.txt", "UTC")
        assert isinstance(out, Message | IngestError)


def test_worker_memory_cap_is_on_what_the_worker_adds(tmp_path: Path) -> None:
    """A parent with a large address space (torch maps gigabytes it never touches) forks
    the parse worker: the cap must leave the worker room to parse, not count the parent's."""
    import subprocess
    import sys

    doc = malformed_corpus.good_text_release(random.Random(3), 1)
    (tmp_path / "a.txt").write_bytes(doc + b"\nfiller words for the body " * 100_000)  # ~2.7 MB
    script = (
        "import mmap, sys\n"
        "big = mmap.mmap(-1, 6 * 2**30)\n"  # 6 GB of address space, never touched
        "from foia.ingest import iter_files\n"
        "res = list(iter_files([sys.argv[1]]))\n"
        "print(sum(r.messages for r in res), [e.reason for r in res for e in r.records "
        "if not hasattr(e, 'bates')])\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                         text=True, timeout=120, check=True)  # fmt: skip
    assert out.stdout.startswith("1 []"), out.stdout + out.stderr
