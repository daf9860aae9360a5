"""Crash-and-rerun soak: SIGKILL a nightly step at a random point, re-run, compare.

    .venv/bin/python scripts/kill_soak.py [--kills 20] [--seed 11] [--scenarios dev dev2]
                                          [--rerun all|from-killed] [--workdir DIR]

The nightly sequence is run through the ``foiatrace`` CLI in subprocesses (so the kill is a
real SIGKILL of the step and of its children, e.g. the crawl's Scrapy process):

    ingest (emails/*.eml) -> crawl (site/ served on 127.0.0.1, --base-url) -> match
    -> review set (one verdict on the reference's top evidence row) -> final match

The *reference* is one uninterrupted run per scenario, built once and cached: its
fingerprint, each step's measured wall time, and a copy of the work folder after each step.
A *kill* copies the reference's folder as it was before the chosen step (the steps before
it are deterministic and completed, so the copy is what running them again would leave:
only the volatile columns listed in ``fingerprint`` differ), starts the step, SIGKILLs its
process group after a random delay spread over the step's measured time (seeded RNG,
stratified), then re-runs the whole sequence to completion (``--rerun all``: the next night;
or ``--rerun from-killed``: Airflow's retry of the killed task and its downstream tasks). A
verdict recorded before the kill is not recorded again, so "intact" means it survived.

Each kill checks: the warehouse's fingerprint equals the reference's, the verdict is still
there and still shown in ``evidence_full``, no run is left ``running`` and the killed run is
closed as ``interrupted``, and every re-run step exited 0 without a traceback.

The test (tests/test_crash_rerun.py) imports this file as a library.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import decimal
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from crawlers.serve import serve_site  # noqa: E402

DB_NAME = "foiatrace.duckdb"
PRODUCTION = "scenario"
SEQUENCE = ("ingest", "crawl", "match", "review", "final-match")
KILLABLE = ("ingest", "crawl", "match", "final-match")
REVIEWER = "kill-soak"
NOTE = "recorded before the kill; must survive every re-run"

# Columns left out of the fingerprint: they record when or by which process something was
# done, not what the warehouse holds, and differ between two uninterrupted runs.
VOLATILE: dict[str, frozenset[str]] = {
    "schema_migrations": frozenset({"applied_at"}),
    "source_files": frozenset({"ingested_at"}),  # path is kept: the same absolute path
    "emails": frozenset({"ingested_at"}),
    # warc_*: which run's WARC file holds the response and its record uuid / offset in it
    # (warc_sha256, the archived payload's hash, is kept)
    # change_seq: the order of writes (a sequence), not what was written
    "article_versions": frozenset(
        {
            "first_fetched_at",
            "last_fetched_at",
            "warc_record_id",
            "warc_file",
            "warc_offset",
            "change_seq",
        }
    ),  # fmt: skip
    # last_status: 200 on the first crawl, 304 on a re-crawl of the unchanged site
    "crawl_state": frozenset({"last_checked_at", "last_status"}),
    "crawl_index_state": frozenset({"last_checked_at", "last_changed_at", "last_status"}),
    "matched_pairs": frozenset({"matched_at"}),
    "disclosures": frozenset({"matched_at"}),
    "syndication": frozenset({"detected_at"}),
    "reviews": frozenset({"reviewed_at"}),
    # one row per (step, source, reason) is kept; how often and when it was seen is not
    "errors": frozenset({"first_seen_at", "last_seen_at", "last_run_id", "times_seen"}),
    # a cache: the vectors' effect is in disclosures.cosine/score; kept: which texts
    "embeddings": frozenset({"vector"}),
    # the matcher's stored features and corpus membership: when computed, not what
    "text_features": frozenset({"computed_at"}),
    "corpus_members": frozenset({"added_at"}),
    "pair_state": frozenset({"weighed_at"}),
    "matched_docs": frozenset({"left_at"}),
    "sync_state": frozenset({"change_seq", "synced_at"}),
    # views: the same columns under their view names
    "articles": frozenset({"fetched_at"}),
    "evidence": frozenset({"warc_file", "warc_record_id"}),
    "evidence_full": frozenset({"reviewed_at", "warc_file", "warc_record_id", "warc_offset"}),
}
# Order-dependent columns, left out unless ``strict``: none now. The crawl used to store the
# discovery it knew when the article's response came back (article_versions.discovered_via,
# crawl_state.discovered_lastmod depended on whether the sitemap or the feed answered first);
# the spider now records corrections for late merges (crawlers.items.discovery_file_for) and
# the loader applies them. Kept as a hook should another such column turn up.
ORDER_DEPENDENT: dict[str, frozenset[str]] = {}
SKIPPED_TABLES = frozenset({"runs"})  # one row per process: checked apart (status)
EVIDENCE_ORDER = "msg_key, article_url, detail_key, article_sentence"
_LOOPBACK = re.compile(r"http://127\.0\.0\.1:\d+")
# what a killed step writes, for the "left" column
WRITES: dict[str, tuple[str, ...]] = {
    "ingest": ("emails", "source_files", "quoted_blocks"),
    "crawl": ("article_versions", "crawl_state", "crawl_index_state"),
    "match": ("matched_pairs", "disclosures", "embeddings"),
    "final-match": ("matched_pairs", "disclosures", "reviews"),
}


# -- fingerprint -------------------------------------------------------------------------------


def _norm(value: Any, is_json: bool = False) -> Any:
    """A value as plain, comparable data: floats rounded to 6 places, times in ISO 8601,
    JSON parsed (its floats rounded too), the served site's random port replaced."""
    if is_json and isinstance(value, str):
        try:
            return _norm(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, float):
        return round(value, 6) + 0.0  # -0.0 -> 0.0
    if isinstance(value, decimal.Decimal):
        return round(float(value), 6)
    if isinstance(value, str):
        return _LOOPBACK.sub("<served>", value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _norm(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    return value


def _rows_sha(rows: list[list[Any]]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps(row, sort_keys=True, default=str).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


@dataclass
class Fingerprint:
    """Row counts of every table and view but ``runs``, a sha256 per table over its
    non-volatile columns, and the evidence hash (``evidence_full``, ordered by its key)."""

    counts: dict[str, int]
    tables: dict[str, str]
    evidence: str

    def diff(self, other: Fingerprint) -> list[str]:
        """What differs from ``other`` (the reference), in words; empty when identical."""
        out = []
        for name in sorted(set(self.counts) | set(other.counts)):
            a, b = self.counts.get(name), other.counts.get(name)
            if a != b:
                out.append(f"{name}: {a} rows, reference {b}")
            elif self.tables.get(name) != other.tables.get(name):
                out.append(f"{name}: same {a} rows, different content")
        if self.evidence != other.evidence:
            out.append("evidence hash differs")
        return out


def _objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables and views of the warehouse, but ``SKIPPED_TABLES``."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows if r[0] not in SKIPPED_TABLES]


def _table_rows(
    con: duckdb.DuckDBPyConnection, name: str, strict: bool = False
) -> tuple[list[str], list[list[Any]]]:
    """A table's or view's non-volatile column names and normalized rows."""
    cols = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [name],
    ).fetchall()
    left_out = VOLATILE.get(name, frozenset())
    if not strict:
        left_out |= ORDER_DEPENDENT.get(name, frozenset())
    kept = [(c, t) for c, t in cols if c not in left_out]
    select = ", ".join(f'"{c}"' for c, _ in kept)
    is_json = [t == "JSON" for _, t in kept]
    order = f" ORDER BY {EVIDENCE_ORDER}" if name == "evidence_full" else ""
    raw = con.execute(f'SELECT {select} FROM "{name}"{order}').fetchall()
    rows = [[_norm(v, j) for v, j in zip(r, is_json, strict=True)] for r in raw]
    return [c for c, _ in kept], rows


def explain_diff(db: Path, ref_db: Path, name: str, limit: int = 2) -> str:
    """Which columns of ``name`` differ from the reference, in how many rows, with examples
    (rows paired by their first one, two or three columns, whichever is unique)."""
    got: list[list[Any]] = []
    want: list[list[Any]] = []
    cols: list[str] = []
    for path, out in ((db, got), (ref_db, want)):
        con = duckdb.connect(str(path), read_only=True)
        try:
            cols, rows = _table_rows(con, name, strict=True)
        finally:
            con.close()
        out.extend(rows)
    for k in (1, 2, 3):
        a = {json.dumps(r[:k], default=str): r for r in got}
        b = {json.dumps(r[:k], default=str): r for r in want}
        if len(a) == len(got) and len(b) == len(want):
            break
    by_col: dict[str, list[str]] = {}
    for key in sorted(set(a) | set(b)):
        ra, rb = a.get(key), b.get(key)
        if ra is None or rb is None:
            by_col.setdefault("(row only on one side)", []).append(f"{key}")
            continue
        for c, va, vb in zip(cols, ra, rb, strict=True):
            if va != vb:
                by_col.setdefault(c, []).append(f"{key}: {str(va)[:80]!r} vs {str(vb)[:80]!r}")
    return "; ".join(
        f"{c} in {len(ex)} rows (e.g. {' / '.join(ex[:limit])})" for c, ex in by_col.items()
    )


def fingerprint(db: Path, strict: bool = False) -> Fingerprint:
    """The warehouse's fingerprint (opened read-only; see ``VOLATILE`` for what is left out).

    Volatile, not hashed: processing times (``*_at`` columns that record when a step did
    something: ingested_at, first/last_fetched_at, last_checked_at, last_changed_at,
    matched_at, detected_at, reviewed_at, applied_at, errors' first/last_seen_at), run ids
    (errors.last_run_id; the ``runs`` table as a whole), counters over runs
    (errors.times_seen), the WARC file, record uuid and offset of each archived response
    (each crawl run writes its own WARC file), the HTTP status of the last check
    (crawl_state/crawl_index_state.last_status: 304 on a re-crawl), and embedding vectors
    (a cache). The served site's ``http://127.0.0.1:PORT`` is replaced in every string, and
    floats are rounded to 6 places (JSON columns parsed first). Data times (sent_at,
    published_at, modified_at ...) and source paths (the scenario's absolute path) are kept.
    Without ``strict``, the ``ORDER_DEPENDENT`` columns are left out too.
    """
    counts: dict[str, int] = {}
    tables: dict[str, str] = {}
    evidence = ""
    con = duckdb.connect(str(db), read_only=True)
    try:
        for name in _objects(con):
            _, rows = _table_rows(con, name, strict)
            counts[name] = len(rows)
            if name == "evidence_full":
                evidence = _rows_sha(rows)  # ordered by the disclosure key
            rows.sort(key=lambda r: json.dumps(r, sort_keys=True, default=str))
            tables[name] = _rows_sha(rows)
    finally:
        con.close()
    return Fingerprint(counts, tables, evidence)


# -- steps ---------------------------------------------------------------------------------------


@dataclass
class StepResult:
    """One CLI step: exit code (negative: signal), seconds, whether it was killed, stderr."""

    step: str
    rc: int
    seconds: float
    killed: bool
    stderr: str

    @property
    def clean(self) -> bool:
        return self.rc == 0 and "Traceback" not in self.stderr


@dataclass
class ReviewKey:
    """The evidence row the reference's reviewer judged."""

    bates: str
    msg_key: str
    article_url: str
    detail_key: str


PACKAGES = ("foiatrace", "foia", "crawlers", "matching", "warehouse")


def freeze_code(dest: Path) -> Path:
    """Copy the packages to ``dest`` (put first on the steps' PYTHONPATH): every run of a
    soak uses the same code even while the working tree is being edited."""
    shutil.rmtree(dest, ignore_errors=True)
    for pkg in PACKAGES:
        shutil.copytree(REPO / pkg, dest / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _env(code: Path = REPO) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("FOIATRACE_DB", "FOIATRACE_ARCHIVE_DIR")
    }
    env.update(
        PYTHONPATH=str(code),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        FOIATRACE_LOCK_WAIT="60",
        PYTHONUNBUFFERED="1",
    )
    return env


class Rig:
    """One scenario: its site served on 127.0.0.1 and its reference run, built once and
    cached (fingerprint, step times, the work folder after each step)."""

    def __init__(self, scenario: Path, cache: Path, code: Path = REPO) -> None:
        self.scenario = scenario.resolve()
        self.cache = cache
        self.code = code
        self.base_url = ""
        self._stack = contextlib.ExitStack()
        self.ref_fp: Fingerprint | None = None
        self.ref_strict: Fingerprint | None = None
        self.durations: dict[str, float] = {}
        self.review: ReviewKey | None = None
        self.verdict_rows = 0

    def __enter__(self) -> Rig:
        self.base_url = self._stack.enter_context(serve_site(self.scenario / "site"))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def name(self) -> str:
        return self.scenario.name

    def argv(self, step: str, db: Path) -> list[str]:
        """The ``foiatrace`` command line of a step."""
        head = [sys.executable, "-m", "foiatrace", "--db", str(db)]
        if step == "ingest":
            return [*head, "ingest", str(self.scenario / "emails"), "--production", PRODUCTION]
        if step == "crawl":
            outlets = str(self.scenario / "outlets.toml")
            return [*head, "crawl", "--outlets", outlets, "--base-url", self.base_url]
        if step in ("match", "final-match"):
            return [*head, "match"]
        if step == "review":
            assert self.review is not None
            r = self.review
            return [*head, "review", "set", r.bates, r.article_url, r.detail_key,
                    "--verdict", "confirmed", "--reviewer", REVIEWER, "--note", NOTE]  # fmt: skip
        raise ValueError(step)

    def run_step(
        self, step: str, work: Path, kill_after: float | None = None, limit: float = 900.0
    ) -> StepResult:
        """Run a step in ``work``; with ``kill_after``, SIGKILL its process group after that
        many seconds unless it finished first. A step still running after ``limit`` seconds
        is killed too and reported as timed out (rc -9, not ``killed``)."""
        log = work / f"{step}.stderr"
        t0 = time.monotonic()
        killed = timed_out = False
        with log.open("wb") as err:
            proc = subprocess.Popen(
                self.argv(step, work / DB_NAME),
                cwd=work,
                env=_env(self.code),
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
            try:
                proc.wait(timeout=limit if kill_after is None else kill_after)
            except subprocess.TimeoutExpired:
                killed, timed_out = kill_after is not None, kill_after is None
            finally:
                # the step's whole group (the crawl's Scrapy child too), also when this
                # process is interrupted; a no-op for a group that has exited
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        stderr = log.read_text("utf-8", "replace")
        if timed_out:
            stderr += f"\n(kill_soak: timed out after {limit:.0f}s)"
        return StepResult(step, proc.returncode, time.monotonic() - t0, killed, stderr)

    # -- reference --------------------------------------------------------------------------

    def snapshot(self, after: str) -> Path:
        return self.cache / f"after-{after}"

    def reference(self) -> Fingerprint:
        """Build (once) the uninterrupted run: every step in order, timed, the work folder
        copied after each step."""
        if self.ref_fp is not None:
            return self.ref_fp
        work = self.cache / "work"
        shutil.rmtree(self.cache, ignore_errors=True)
        work.mkdir(parents=True)
        for step in SEQUENCE:
            if step == "review":
                self.review = pick_review(work / DB_NAME)
            res = self.run_step(step, work)
            if not res.clean:
                raise RuntimeError(f"reference {self.name} {step} failed:\n{res.stderr[-3000:]}")
            self.durations[step] = res.seconds
            shutil.copytree(work, self.snapshot(step))
        self.ref_fp = fingerprint(work / DB_NAME)
        self.ref_strict = fingerprint(work / DB_NAME, strict=True)
        self.verdict_rows = verdict_rows(work / DB_NAME)
        if not self.verdict_rows:
            raise RuntimeError(f"reference {self.name}: the verdict shows on no evidence row")
        return self.ref_fp

    # -- kill -------------------------------------------------------------------------------

    def kill_and_rerun(self, step: str, delay: float, work: Path, rerun: str = "all") -> KillResult:
        """Start ``step`` from the reference's state before it, SIGKILL it after ``delay``
        seconds, re-run (``all``: the whole sequence; ``from-killed``: that step onward),
        and compare with the reference."""
        ref = self.reference()
        i = SEQUENCE.index(step)
        shutil.rmtree(work, ignore_errors=True)
        if i == 0:
            work.mkdir(parents=True)
        else:
            shutil.copytree(self.snapshot(SEQUENCE[i - 1]), work)
        for f in work.glob("*.stderr"):
            f.unlink()
        killed = self.run_step(step, work, kill_after=delay)
        result = KillResult(self.name, step, delay, killed.killed, killed.rc)
        result.left = self.left(step, work)
        review_done = i > SEQUENCE.index("review")
        start = 0 if rerun == "all" else i
        for again in SEQUENCE[start:]:
            if again == "review" and review_done:
                continue
            res = self.run_step(again, work)
            if not res.clean:
                result.problems.append(f"re-run {again} exit {res.rc}: {res.stderr.strip()[-600:]}")
        db = work / DB_NAME
        try:
            result.diff = fingerprint(db).diff(ref)
            assert self.ref_strict is not None
            strict = fingerprint(db, strict=True).diff(self.ref_strict)
        except duckdb.Error as exc:
            result.diff = [f"warehouse unreadable: {exc}"]
            return result
        result.order_dependent = [d for d in strict if d not in result.diff]
        ref_db = self.cache / "work" / DB_NAME
        for diffs in (result.diff, result.order_dependent):
            for k, line in enumerate(diffs):
                if line.endswith("different content"):
                    name = line.split(":", 1)[0]
                    diffs[k] += f" [{explain_diff(db, ref_db, name)}]"
        result.verdict_intact = verdict_intact(db, self.review) and (
            verdict_rows(db) == self.verdict_rows
        )
        con = duckdb.connect(str(db), read_only=True)
        try:
            result.running = con.execute(
                "SELECT count(*) FROM runs WHERE status = 'running'"
            ).fetchone()[0]  # type: ignore[index]
            result.statuses = dict(
                con.execute("SELECT status, count(*) FROM runs GROUP BY 1 ORDER BY 1").fetchall()
            )
        finally:
            con.close()
        if result.left.startswith("run running") and not result.statuses.get("interrupted"):
            result.problems.append("the killed run was not closed as interrupted")
        return result

    def left(self, step: str, work: Path) -> str:
        """What the killed step left: its run's status and the rows of the tables it writes
        (against the reference's counts), staged crawl items and open WARC files."""
        db = work / DB_NAME
        if not db.exists():
            return "no warehouse file"
        assert self.ref_fp is not None
        parts = []
        with tempfile.TemporaryDirectory(prefix="kill-left-") as tmp:
            # a copy: opening the killed file itself would replay its WAL and change it
            for f in work.glob(DB_NAME + "*"):
                shutil.copy2(f, tmp)
            con = duckdb.connect(str(Path(tmp) / DB_NAME))
            try:
                listed = con.execute("SELECT table_name FROM information_schema.tables")
                have = {r[0] for r in listed.fetchall()}
                if "runs" not in have:
                    return "empty warehouse (no schema)"
                kind = "match" if step == "final-match" else step
                status = con.execute(
                    "SELECT status FROM runs WHERE step = ? ORDER BY started_at DESC LIMIT 1",
                    [kind],
                ).fetchone()
                expected_before = 2 if step == "final-match" else 1
                n_runs = con.execute("SELECT count(*) FROM runs WHERE step = ?", [kind]).fetchone()
                started = n_runs is not None and n_runs[0] >= expected_before
                parts.append(f"run {status[0]}" if started and status else "no run row")
                for table in WRITES[step]:
                    if table in have:
                        n = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
                        parts.append(f"{table} {n[0] if n else 0}/{self.ref_fp.counts[table]}")
            finally:
                con.close()
        if step == "crawl":
            staged = sum(
                len(f.read_text("utf-8", "replace").splitlines())
                for f in (work / "crawl-staging").glob("*.jsonl")
            )
            opened = len(list((work / "archive").glob("*.open")))
            parts.append(f"staged {staged}")
            if opened:
                parts.append(f"{opened} WARC open")
        return ", ".join(parts)


@dataclass
class KillResult:
    """One kill and its re-run."""

    scenario: str
    step: str
    delay: float
    killed: bool  # False: the step finished before the delay ran out
    killed_rc: int
    left: str = ""
    diff: list[str] = field(default_factory=list)
    order_dependent: list[str] = field(default_factory=list)  # only in ORDER_DEPENDENT columns
    verdict_intact: bool = False
    running: int = -1
    statuses: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.diff

    @property
    def ok(self) -> bool:
        return self.identical and self.verdict_intact and self.running == 0 and not self.problems


def pick_review(db: Path) -> ReviewKey:
    """The top-scoring evidence row (ties by key): what the reference's reviewer judges."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT coalesce(bates, msg_key), msg_key, article_url, detail_key "
            f"FROM evidence_full ORDER BY score DESC, {EVIDENCE_ORDER} LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    if row is None:
        raise RuntimeError(f"{db}: no evidence to review")
    return ReviewKey(*row)


def verdict_intact(db: Path, key: ReviewKey | None) -> bool:
    """The reference's verdict, reviewer and note are recorded for its key."""
    if key is None:
        return False
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT verdict, reviewer, note FROM reviews "
            "WHERE msg_key = ? AND article_url = ? AND detail_key = ?",
            [key.msg_key, key.article_url, key.detail_key],
        ).fetchone()
    finally:
        con.close()
    return row == ("confirmed", REVIEWER, NOTE)


def verdict_rows(db: Path) -> int:
    """Evidence rows that show a verdict."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM evidence_full WHERE verdict IS NOT NULL").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def shared_scenarios() -> Path:
    """``$FOIATRACE_SHARED/scenarios`` or ../shared/scenarios beside the repository."""
    return Path(os.environ.get("FOIATRACE_SHARED", REPO.parent / "shared")) / "scenarios"


@contextlib.contextmanager
def rigs(names: list[str], root: Path, code: Path = REPO) -> Iterator[dict[str, Rig]]:
    """A served, lazily referenced rig per scenario name."""
    base = shared_scenarios()
    with contextlib.ExitStack() as stack:
        yield {n: stack.enter_context(Rig(base / n, root / f"ref-{n}", code)) for n in names}


# -- soak ----------------------------------------------------------------------------------------


def plan(
    n: int, names: list[str], durations: dict[str, dict[str, float]], seed: int
) -> list[tuple[str, str, float]]:
    """n kills: scenarios alternate, steps rotate through ``KILLABLE``; each (scenario, step)
    stratum's delays are spread over the step's measured time (stratified jitter)."""
    rng = random.Random(seed)
    slots = [(names[k % len(names)], KILLABLE[(k // len(names)) % len(KILLABLE)]) for k in range(n)]
    strata: dict[tuple[str, str], int] = {}
    for s in slots:
        strata[s] = strata.get(s, 0) + 1
    seen: dict[tuple[str, str], int] = {}
    out = []
    for s in slots:
        j = seen.get(s, 0)
        seen[s] = j + 1
        m = strata[s]
        order = list(range(m))
        random.Random(f"{seed}-{s}").shuffle(order)
        frac = (order[j] + rng.random()) / m
        out.append((s[0], s[1], round(frac * durations[s[0]][s[1]], 2)))
    return out


def _order_cols() -> list[str]:
    return sorted({c for cols in ORDER_DEPENDENT.values() for c in cols})


def _rows_in(diffs: list[str]) -> str:
    """'6 + 1 rows' from explained diffs ("... discovered_via in 6 rows ...")."""
    found = re.findall(r" in (\d+) rows", " ".join(diffs))
    return " + ".join(found) + " rows" if found else "; ".join(diffs)


def table(results: list[KillResult]) -> str:
    """The soak's Markdown table."""
    lines = [
        "| kill | scenario | step | delay s | what the killed run left | re-run identical "
        "| verdict intact | runs left running |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, r in enumerate(results, 1):
        delay = f"{r.delay:.2f}" + ("" if r.killed else " (finished first)")
        same = "yes" if r.identical else "NO: " + "; ".join(r.diff)
        if r.order_dependent:
            cols = sorted(
                {c for t in ORDER_DEPENDENT.values() for c in t if c in str(r.order_dependent)}
            )
            same += f" (order-dependent {', '.join(cols)} differ: {_rows_in(r.order_dependent)})"
        if r.problems:
            same += " — " + "; ".join(r.problems)
        runs = f"{r.running} ({', '.join(f'{k} {v}' for k, v in r.statuses.items())})"
        cells = [str(k), r.scenario, r.step, delay, r.left, same]
        cells += ["yes" if r.verdict_intact else "NO", runs]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--scenarios", nargs="+", default=["dev", "dev2"])
    ap.add_argument("--rerun", choices=("all", "from-killed"), default="all")
    ap.add_argument("--workdir", type=Path, help="keep references and kills here")
    ap.add_argument(
        "--strict",
        action="store_true",
        help="count differences in the order-dependent crawl columns as problems",
    )
    ap.add_argument(
        "--live-code",
        action="store_true",
        help="run the working tree's packages (default: a copy taken at the start)",
    )
    args = ap.parse_args(argv)
    base = shared_scenarios()
    missing = [n for n in args.scenarios if not (base / n / "emails").is_dir()]
    if missing:
        print(f"scenarios not found under {base}: {', '.join(missing)}", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    with contextlib.ExitStack() as stack:
        root = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        root.mkdir(parents=True, exist_ok=True)
        code = REPO if args.live_code else freeze_code(root / "code")
        rs = stack.enter_context(rigs(args.scenarios, root, code))
        for rig in rs.values():
            t = time.monotonic()
            rig.reference()
            times = ", ".join(f"{s} {d:.1f}s" for s, d in rig.durations.items())
            print(f"reference {rig.name}: {time.monotonic() - t:.0f}s ({times})", flush=True)
        durations = {n: r.durations for n, r in rs.items()}
        results = []
        kills = plan(args.kills, args.scenarios, durations, args.seed)
        for k, (name, step, delay) in enumerate(kills, 1):
            t = time.monotonic()
            res = rs[name].kill_and_rerun(step, delay, root / "kill", args.rerun)
            results.append(res)
            verdict = "ok" if res.ok else "PROBLEM"
            took = time.monotonic() - t
            print(
                f"kill {k}/{args.kills} {name} {step} at {delay:.2f}s: {verdict} ({took:.0f}s)",
                flush=True,
            )
    print()
    print(table(results))
    bad = [r for r in results if not r.ok or (args.strict and r.order_dependent)]
    print(
        f"\n{len(results)} kills, {sum(r.killed for r in results)} landed before the step "
        f"finished, {len(bad)} with a problem, {sum(bool(r.order_dependent) for r in results)} "
        f"with order-dependent crawl provenance ({', '.join(_order_cols())}) "
        f"different from the reference; re-run: {args.rerun}; seed {args.seed}; "
        f"{time.monotonic() - t0:.0f}s"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
