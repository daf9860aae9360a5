"""The ingest step: FOIA productions into the warehouse's ``emails`` (and errors).

Incremental: a file whose sha256 and reader version are recorded in ``source_files`` for
the production is skipped, not read (see :mod:`foia.readers`). The files read are few on a
nightly run of a folder that only grows, but quotes and printed times are questions about
the whole production, so the production's stored messages are loaded back and linked and
zone-inferred together with the new ones, which gives the rows one run over every file
would give (tests/test_ingest_incremental.py); only messages that changed (a new file's,
an earlier reply whose quote now links to one) are written.

Memory: while the production is linked and zone-inferred, its texts stay out of memory:
the new files' bodies, own texts and quoted texts in a spool file on disk, the stored
messages' in the warehouse; both passes read them through :class:`_Texts` (quoted blocks
keep in memory only the part zone inference reads, :func:`foia.tzinfer.quote_key_text`).
What is held per message is its headers (bench/intake_memory.py measures it).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from pathlib import Path, PurePath
from typing import Any

from foiatrace.progress import progress_bar
from warehouse import load
from warehouse.db import connect
from warehouse.emails import (
    SOURCE_RANK,
    conflict_key,
    record_message_sources,
    same_message,
    source_position,
)
from warehouse.runs import step_run

log = logging.getLogger("foiatrace")

INGEST_BATCH = 500
INGEST_DUCKDB_MEMORY = os.environ.get("FOIATRACE_INGEST_DUCKDB_MEMORY", "256MB")
DEFAULT_PRINT_TZ = "America/New_York"  # printed productions rarely state their zone


def _state(msg: Any) -> tuple[Any, ...]:
    """Every field of a message, quoted blocks' included, as values: what linking and zone
    inference may change, compared before and after them."""
    out = []
    for f in fields(msg):
        v = getattr(msg, f.name)
        if f.name == "quoted":
            v = tuple(tuple(getattr(q, g.name) for g in fields(q)) for q in v)
        elif isinstance(v, list):
            v = tuple(v)
        out.append(v)
    return tuple(out)


_Span = tuple[int, int]


class _TextSpool:
    """New messages' texts, parked on disk until they are written.

    Linking and zone inference need every message of the production at once, but read a
    message's own text only when it is a candidate origin, a quoted text only when its
    block is linked, and ``body`` never; holding a whole first ingest's texts (the Clinton
    release: 27k documents) in memory bought nothing.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the run
        # id(message) -> (body, own text, [quoted texts])
        self._spans: dict[int, tuple[_Span, _Span, list[_Span]]] = {}

    def _put(self, text: str) -> _Span:
        data = text.encode("utf-8", "surrogatepass")
        self._file.seek(0, 2)
        span = (self._file.tell(), len(data))
        self._file.write(data)
        return span

    def _get(self, span: _Span) -> str:
        self._file.seek(span[0])
        return self._file.read(span[1]).decode("utf-8", "surrogatepass")

    def park(self, msg: Any) -> None:
        from foia.tzinfer import quote_key_text

        quoted = []
        for q in msg.quoted:
            quoted.append(self._put(q.text))
            q.text = quote_key_text(q.text)
        self._spans[id(msg)] = (self._put(msg.body), self._put(msg.own_text), quoted)
        msg.body = msg.own_text = ""

    def holds(self, msg: Any) -> bool:
        return id(msg) in self._spans

    def own(self, msg: Any) -> str:
        return self._get(self._spans[id(msg)][1])

    def quoted(self, msg: Any, i: int) -> str:
        return self._get(self._spans[id(msg)][2][i])

    def restore(self, msgs: Iterable[Any]) -> None:
        for msg in msgs:
            spans = self._spans.pop(id(msg), None)
            if spans is not None:
                msg.body, msg.own_text = self._get(spans[0]), self._get(spans[1])
                for q, span in zip(msg.quoted, spans[2], strict=True):
                    q.text = self._get(span)

    def close(self) -> None:
        self._file.close()


class _Texts:
    """Texts for linking (:class:`foia.link.Texts`): a new message's from the spool, a
    stored message's from the warehouse (only the few candidates a new block reaches)."""

    def __init__(self, spool: _TextSpool, con: Any, keys: dict[int, str]) -> None:
        self.spool, self.con, self.keys = spool, con, keys

    def own(self, msg: Any) -> str:
        if self.spool.holds(msg):
            return self.spool.own(msg)
        return load.stored_own_text(self.con, self.keys[id(msg)])

    def quoted(self, msg: Any, i: int) -> str:
        if self.spool.holds(msg):
            return self.spool.quoted(msg, i)
        return load.stored_quoted_text(self.con, self.keys[id(msg)], i)


def _walk_order(msg: Any) -> tuple[Any, ...]:
    """The order a full read would give: file path (archive members after their archive's
    path), then place in the file; so linking sees old and new messages as one walk."""
    parts = tuple(PurePath(p).parts for p in msg.source_file.split("!"))
    return (parts, msg.page_start or 0, msg.source_position or 0)


def ingest(
    db: Path | str | None,
    paths: Sequence[Path | str],
    production: str | None = None,
    *,
    timezone: str = DEFAULT_PRINT_TZ,
    progress: bool = False,
    max_bytes: int | None = None,
    ocr: str = "auto",
    reread: bool = False,
    known_zones: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Read FOIA productions (files, folders, zips) into ``emails``; bad files become errors.

    Files already read for this production (same bytes, same reader version) are skipped
    unless ``reread``. Quoted blocks are linked to the message that first wrote them and
    printed mailboxes' zones inferred across the new files and every message already stored
    for the production (``timezone`` is only the fallback for mailboxes no evidence places,
    see :mod:`foia.tzinfer`); ``known_zones`` maps addresses or domains whose zone is known
    (the agency's offices, the outlets' newsrooms) to IANA names, a cue that weighs a little
    more than a place in a signature. ``max_bytes`` caps one file's size; ``ocr`` is
    auto|force|never.
    """
    from foia.ingest import DEFAULT_MAX_BYTES, iter_files
    from foia.limits import clean_stale_temp

    removed = clean_stale_temp()  # OCR and zip folders of runs that were killed
    if removed:
        log.info("ingest: removed %d temporary folder(s) of runs that died", len(removed))
    paths = [Path(p) for p in paths]
    production = production or (paths[0].resolve().name if paths else "production")

    def open_con() -> Any:
        con = connect(db)
        # Ingest's SQL is small keyed upserts: one DuckDB thread does it as fast, and a cap
        # on DuckDB's buffer cache keeps the written pages of a large first ingest from piling
        # up in memory until the run ends (they are on disk; DuckDB evicts them under the cap).
        con.execute(f"SET threads = 1; SET memory_limit = '{INGEST_DUCKDB_MEMORY}'")
        return con

    stats: dict[str, Any] = {
        "production": production,
        "files_seen": 0,
        "files_read": 0,
        "files_skipped": 0,
        "files_retried": 0,
        "earlier_messages": 0,
        "messages": 0,
        "new": 0,
        "changed": 0,
        "unchanged": 0,
        "errors": 0,
        "copies": 0,
        "conflicts": 0,
        "error_list": [],
    }
    con = open_con()
    try:
        known = {} if reread else load.known_source_files(con, production)
    finally:
        con.close()
    spool = _TextSpool()
    results = iter_files(
        paths,
        default_tz=timezone,
        max_bytes=max_bytes or DEFAULT_MAX_BYTES,
        ocr=ocr,
        known=lambda sha, version: known.get((sha, version), False),
    )
    try:
        with step_run(open_con, "ingest") as run:
            run.stats = stats
            _ingest_files(
                open_con, production, results, progress, known, spool, stats, run.id,
                timezone, known_zones,
            )  # fmt: skip
    finally:
        spool.close()
    return stats


def _ingest_files(
    open_con: Callable[[], Any],
    production: str,
    results: Iterable[Any],
    progress: bool,
    known: dict[tuple[str, str], bool],
    spool: _TextSpool,
    stats: dict[str, Any],
    run_id: str,
    timezone: str,
    known_zones: dict[str, str] | None,
) -> None:
    """Read, link, zone-infer and write one ingest's files (see :func:`ingest`)."""
    from foia.link import link_production
    from foia.models import IngestError, Message
    from foia.tzinfer import quote_key_text, resolve_print_times

    fresh: list[tuple[Message, str]] = []  # (message, msg_key)
    failed: list[IngestError] = []
    read_files: list[dict[str, Any]] = []
    read_paths: set[str] = set()
    read_shas: set[str] = set()
    for res in progress_bar(results, None, "ingest", progress):
        stats["files_seen"] += 1
        stats["files_skipped"] += res.status == "skipped"
        stats["files_read"] += res.status == "read"
        ordinal = 0
        for rec in res.records:
            if isinstance(rec, IngestError):
                stats["errors"] += 1
                stats["error_list"].append(f"{rec.source_file}: {rec.reason}")
                log.warning("ingest: %s: %s", rec.source_file, rec.reason)
                failed.append(rec)  # recorded once the warehouse is open
                continue
            # A message's place in its file is its key when it has no Bates/Message-ID.
            key = load.message_key(production, rec, ordinal)
            spool.park(rec)
            fresh.append((rec, key))
            ordinal += 1
        if res.status == "read" and res.sha256 and res.version:
            read_paths.add(res.source)
            read_shas.add(res.sha256)
            # Gave only errors last time: read again in case the cause was fixed.
            stats["files_retried"] += (res.sha256, res.version) in known
            if res.complete:
                known[(res.sha256, res.version)] = True  # the same bytes twice: read once
            read_files.append({
                "sha256": res.sha256, "path": res.source, "kind": res.reader,
                "size_bytes": res.size, "reader_version": res.version,
                "messages": res.messages, "errors": len(res.records) - res.messages,
                "complete": res.complete,
            })  # fmt: skip
    # Parsing (OCR above all) is done: only now is the warehouse opened for writing, so a
    # long read never holds the lock other steps and readers wait for.
    con = open_con()
    try:
        for rec in failed:
            load.record_error(con, "ingest", rec.source_file, rec.reason, rec.detail, run_id)
        # Earlier messages, except those of files read again (their fresh copies replace
        # them) and of paths whose bytes changed (a corrected file supersedes them).
        stored = 0
        earlier = []
        stored_msgs = load.production_messages(
            con, production, with_body=False, own_text=False, quoted_text=quote_key_text
        )
        fresh, sources = _resolve_keys(
            con, fresh, stored_msgs, read_shas, read_paths, spool, stats, run_id
        )
        fresh_keys = {key for _, key in fresh}
        for key, m in stored_msgs:
            stored += 1
            if (
                m.source_sha256 not in read_shas
                and m.source_file not in read_paths
                and key not in fresh_keys
            ):
                earlier.append((m, key))
        del stored_msgs
        stats["earlier_messages"] = len(earlier)
        before = [_state(m) for m, _ in earlier]
        everything = sorted(earlier + fresh, key=lambda mk: _walk_order(mk[0]))
        messages = [m for m, _ in everything]
        # Files only added: link just the blocks the new messages can answer. A stored
        # message superseded (its file read again or changed) may be some stored block's
        # origin, so then every block is linked again.
        added_only = bool(earlier) and len(earlier) == stored
        texts = _Texts(spool, con, {id(m): key for m, key in earlier})
        stats["links"] = link_production(
            messages, new=[m for m, _ in fresh] if added_only else None, texts=texts
        )
        resolve_print_times(messages, timezone, known_zones)
        # Only earlier messages the passes changed are written again (bodies fetched back).
        touched = [mk for mk, old in zip(earlier, before, strict=True) if _state(mk[0]) != old]
        stats["unchanged"] += len(earlier) - len(touched)
        todo = fresh + touched
        for start in range(0, len(todo), INGEST_BATCH):
            batch = todo[start : start + INGEST_BATCH]
            earlier_ones = [(m, k) for m, k in batch if not spool.holds(m)]
            spool.restore(m for m, _ in batch)
            stored = load.message_texts(con, [k for _, k in earlier_ones])
            for m, key in earlier_ones:
                if key in stored:
                    m.body, m.own_text, quoted = stored[key]
                    for q, text in zip(m.quoted, quoted, strict=True):
                        q.text = text
            _flush(con, production, batch, stats)
            for m, _ in batch:
                m.body = m.own_text = ""  # written: let the batch's texts go
                for q in m.quoted:
                    q.text = ""
        stats["messages"] = len(everything)
        load.record_source_files(con, production, read_files)
        record_message_sources(con, production, sources)
    finally:
        con.close()


def _resolve_keys(
    con: Any,
    fresh: list[tuple[Any, str]],
    stored_msgs: list[tuple[str, Any]],
    read_shas: set[str],
    read_paths: set[str],
    spool: _TextSpool,
    stats: dict[str, Any],
    run_id: str,
) -> tuple[list[tuple[Any, str]], list[dict[str, Any]]]:
    """Settle new messages whose key (Bates/Message-ID) is taken, by a stored message or an
    earlier new one: the same message from a second source is kept once, by its richer
    copy, the other recorded as a ``copy``; a different message gets a key of its own and a
    ``conflict`` (``message_sources`` and ``errors``). The policy and why: the docstring of
    :func:`warehouse.emails.message_key`. A message read again keeps the key it was stored
    under, so keys do not move when files are re-read in another order."""
    holders: dict[str, tuple[Any, bool]] = {}  # key -> (message, new in this run)
    prior: dict[tuple[str, int], str] = {}  # a re-read message's stored key
    for key, m in stored_msgs:
        if m.source_sha256 in read_shas or m.source_file in read_paths:
            prior[(m.source_sha256, source_position(m))] = key
        else:
            holders[key] = (m, False)
    out: dict[int, str] = {}  # index in fresh -> its key
    for i, (m, key) in enumerate(fresh):
        was = prior.get((m.source_sha256, source_position(m)))
        if was and was not in holders and (was == key or was.startswith(key + "~")):
            holders[was] = (m, True)
            out[i] = was
    sources: list[dict[str, Any]] = []

    def own(m: Any, new: bool, key: str) -> str:
        return spool.own(m) if new else load.stored_own_text(con, key)

    index = {id(m): i for i, (m, _) in enumerate(fresh)}
    for i, (m, key) in enumerate(fresh):
        if i in out:
            continue
        if key not in holders:
            holders[key], out[i] = (m, True), key
            continue
        other, other_new = holders[key]
        if same_message(m, other, own(m, True, key), own(other, other_new, key)):
            stats["copies"] += 1
            richer = SOURCE_RANK.get(m.source_kind, 9) < SOURCE_RANK.get(other.source_kind, 9)
            copy = other if richer else m
            if richer:
                holders[key], out[i] = (m, True), key
                if other_new:
                    out.pop(index[id(other)], None)
            note = f"the same message as in {(m if copy is other else other).source_file}"
            sources.append({"msg_key": key, "relation": "copy", "msg": copy, "note": note,
                            "run_id": run_id})  # fmt: skip
            log.info("ingest: %s: %s (kept once)", copy.source_file, note)
            continue
        alt = conflict_key(key, m)
        while alt in holders:
            alt += "+"
        holders[alt], out[i] = (m, True), alt
        stats["conflicts"] += 1
        what = "Bates" if m.bates and key.endswith(f":{m.bates}") else "Message-ID"
        reason = f"conflict: same {what} as {other.source_file}, different message"
        detail = f"{key} kept by the first; this one stored as {alt}"
        sources.append({"msg_key": key, "relation": "conflict", "msg": m, "other_key": alt,
                        "note": reason, "run_id": run_id})  # fmt: skip
        stats["errors"] += 1
        stats["error_list"].append(f"{m.source_file}: {reason}")
        log.warning("ingest: %s: %s", m.source_file, reason)
        load.record_error(con, "ingest", m.source_file, reason, detail, run_id)
    kept = [(m, out[i]) for i, (m, _) in enumerate(fresh) if i in out]
    return kept, sources


def _flush(
    con: Any, production: str, batch: list[tuple[Any, str | None]], stats: dict[str, Any]
) -> None:
    if batch:
        res = load.upsert_messages(con, production, [m for m, _ in batch], [k for _, k in batch])
        for k in ("new", "changed", "unchanged"):
            stats[k] += res[k]
