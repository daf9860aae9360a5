"""Email messages of FOIA productions: keys, upserts, derived rows (quotes, redactions,
attachments).

A corrected re-release replaces a message's row and drops what was derived from it, so the
next match run redoes it; reviewers' verdicts are untouched (they live in ``reviews``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from foia.models import Attachment, Message, QuotedBlock, Redaction
from warehouse.runs import insert_arrow, now, sha256_text, transaction


def message_key(production: str, msg: Message, ordinal: int) -> str:
    """Bates numbers identify a message within a production; Message-ID or content otherwise.

    **Keys are shared by design, contents are never overwritten by another source.** The
    same message arrives more than once (an .eml and its PDF printout, one message in two
    mailbox folders), and a key that only a content hash could make unique would split those
    copies into rows the matcher counts twice. So the key stays the Bates number/Message-ID,
    and the ingest step (:func:`resolve_keys`) decides what a second source under a taken key
    is: the same message (:func:`same_message`: same sender's words, subject and time,
    modulo printing, redaction and OCR) is one message with two sources: the richer copy
    holds the row (an .eml over its PDF printout over a text release, :data:`SOURCE_RANK`)
    and the other is kept as provenance in ``message_sources`` (relation ``copy``). A
    different message under a taken key (two messages given one Bates number, a reused
    Message-ID) keeps nothing from the first: it is stored under :func:`conflict_key` (the
    key, ``~``, its source's sha256 prefix and position: stable across runs), and the
    conflict is recorded both in ``message_sources`` (relation ``conflict``, so a query can
    join the two) and as an ``errors`` row (so the run's error count shows it: a production
    that numbers two messages alike has a problem a person should see). The first message
    that carried the key keeps it; a message read again keeps the key it was stored under.
    """
    if msg.bates:
        return f"{production}:{msg.bates}"
    if msg.message_id:
        return f"{production}:<{msg.message_id}>"
    # A message's place in its file is stable across runs; a batch ordinal is not.
    pos = msg.source_position if msg.source_position is not None else ordinal
    return f"{production}:{msg.source_sha256[:16]}:{pos}"


# Which copy of one message holds its row: the mail file over its printout over a release's
# text layer (richer headers: addresses, offsets, Message-IDs, attachments).
SOURCE_RANK = {"eml": 0, "mbox": 0, "msg": 0, "pst": 0, "pdf": 1, "ocr": 2, "txt": 3}


def conflict_key(key: str, msg: Message) -> str:
    """The key of a different message that carries an already-taken key (see message_key)."""
    pos = msg.page_start or msg.source_position or 0
    return f"{key}~{msg.source_sha256[:12]}:{pos}"


def source_position(msg: Message) -> int:
    """Where in its file a message is: first page, mailbox number, or 0."""
    return msg.page_start or msg.source_position or 0


_WORD_RE = re.compile(r"[a-z0-9]{3,}")
_SUBJECT_PREFIX_RE = re.compile(r"^(?:\s*(?:re|fw|fwd)\s*:\s*)+", re.IGNORECASE)
SAME_TEXT = 0.7  # share of the shorter text's words found in the other (OCR, redactions)


def _overlap(a: str, b: str) -> float | None:
    wa, wb = set(_WORD_RE.findall(a.lower())), set(_WORD_RE.findall(b.lower()))
    if not wa and not wb:
        return None
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def same_message(a: Message, b: Message, text_a: str, text_b: str) -> bool:
    """Two records under one key are the same message printed or exported twice: their own
    texts (``text_a``/``text_b``) share most words, subjects agree, and sent times are
    within a day (printed times carry no zone). A blank text on one side only, or a clearly
    different text, is a different message."""
    if a.sent_at and b.sent_at and abs((a.sent_at - b.sent_at).total_seconds()) > 26 * 3600:
        return False
    text = _overlap(text_a, text_b)
    if text is not None and text < SAME_TEXT:
        return False
    sa = _SUBJECT_PREFIX_RE.sub("", a.subject or "")
    sb = _SUBJECT_PREFIX_RE.sub("", b.subject or "")
    subject = _overlap(sa, sb) if sa.strip() and sb.strip() else None
    return subject is None or subject >= 0.5


def record_message_sources(
    con: duckdb.DuckDBPyConnection, production: str, rows: Sequence[dict[str, Any]]
) -> int:
    """Remember copies and conflicts (keys: msg_key, relation, msg (the other source),
    other_key, note, run_id); found again, a row is updated."""
    t = now()
    table = [
        {
            "production": production, "msg_key": r["msg_key"], "relation": r["relation"],
            "source_file": r["msg"].source_file, "source_sha256": r["msg"].source_sha256,
            "source_kind": r["msg"].source_kind, "position": source_position(r["msg"]),
            "other_key": r.get("other_key"), "note": r.get("note"), "run_id": r.get("run_id"),
            "ingested_at": t,
        }
        for r in rows
    ]  # fmt: skip
    unique = {(r["source_sha256"], r["position"], r["relation"]): r for r in table}
    if unique:
        insert_arrow(
            con, "message_sources", pa.Table.from_pylist(list(unique.values())),
            "ON CONFLICT (production, source_sha256, position, relation) DO UPDATE SET "
            "msg_key = excluded.msg_key, source_file = excluded.source_file, "
            "source_kind = excluded.source_kind, other_key = excluded.other_key, "
            "note = excluded.note, run_id = excluded.run_id, ingested_at = excluded.ingested_at",
        )  # fmt: skip
    return len(unique)


_EMAIL_COLUMNS = [
    "msg_key", "production", "bates", "bates_end", "page_start", "page_end", "message_id",
    "in_reply_to", "references", "sent_at", "sent_at_raw", "email_from", "from_name",
    "email_to", "email_cc", "subject", "body", "own_text", "signature", "disclaimer",
    "withheld", "withheld_exemption", "source_file", "source_sha256", "source_kind",
    "text_sha256", "record_sha256", "ingested_at", "mailbox_owner", "sent_tz",
    "sent_tz_confidence", "sent_tz_basis", "production_ref", "duplicate_of", "exemptions",
    "source_position", "sent_at_earliest", "sent_at_latest",
]  # fmt: skip


def _email_row(
    production: str, msg: Message, ordinal: int, t: datetime, key: str | None = None
) -> dict[str, Any]:
    fields = asdict(msg)
    fields.pop("quoted")
    fields.pop("redactions")
    attachments = fields.pop("attachments")
    record_fields = {**fields, "quoted": [asdict(q) for q in msg.quoted]}
    # Fields added later are absent from the record when empty, so records written before
    # them hash as they did (and are not rewritten and re-matched for nothing).
    if attachments:
        record_fields["attachments"] = attachments
    for late in ("sent_at_earliest", "sent_at_latest"):
        if record_fields[late] is None:
            del record_fields[late]
    record = json.dumps(record_fields, default=str, sort_keys=True)
    row = {c: fields.get(c) for c in _EMAIL_COLUMNS}
    row.update(
        msg_key=key or message_key(production, msg, ordinal),
        production=production,
        text_sha256=sha256_text(msg.own_text or ""),
        record_sha256=sha256_text(record),
        ingested_at=t,
    )
    return row


def upsert_messages(
    con: duckdb.DuckDBPyConnection,
    production: str,
    messages: Sequence[Message],
    keys: Sequence[str | None] | None = None,
) -> dict[str, int]:
    """Insert new messages, replace changed ones (a corrected re-release), skip unchanged.

    A key is replaced only by a later read of the message it holds (its file read again, or
    a corrected file at the same path) or by a richer copy of the same message: the ingest
    step settles every other collision before this (:func:`message_key` says how and why),
    so within one batch a key appears once.

    ``keys``, when given, are the messages' ``msg_key`` (None: derive it, see
    :func:`message_key`): messages loaded back with :func:`production_messages` keep the
    key they were stored under. A replaced message loses its derived rows (segments,
    matches, disclosures) so the next match run redoes it; reviewers' verdicts live in
    ``reviews`` and are untouched.
    """
    t = now()
    rows: dict[str, dict[str, Any]] = {}
    by_key: dict[str, Message] = {}
    for i, msg in enumerate(messages):
        row = _email_row(production, msg, i, t, keys[i] if keys is not None else None)
        rows[row["msg_key"]] = row  # the last copy of a key in one batch wins
        by_key[row["msg_key"]] = msg
    if not rows:
        return {"new": 0, "changed": 0, "unchanged": 0}
    existing = dict(
        con.execute(
            "SELECT msg_key, record_sha256 FROM emails WHERE msg_key IN (SELECT unnest(?))",
            [list(rows)],
        ).fetchall()
    )
    new = [k for k in rows if k not in existing]
    changed = [k for k in rows if k in existing and existing[k] != rows[k]["record_sha256"]]
    todo = new + changed
    stats = {"new": len(new), "changed": len(changed), "unchanged": len(rows) - len(todo)}
    if not todo:
        return stats
    with transaction(con):
        if changed:
            for table, col in _DERIVED_OF_EMAIL:
                con.execute(f"DELETE FROM {table} WHERE {col} IN (SELECT unnest(?))", [changed])
            con.execute("DELETE FROM emails WHERE msg_key IN (SELECT unnest(?))", [changed])
        insert_arrow(con, "emails", pa.Table.from_pylist([rows[k] for k in todo]))
        _insert_children(con, {k: by_key[k] for k in todo}, production)
    return stats


_DERIVED_OF_EMAIL = [
    ("quoted_blocks", "msg_key"),
    ("redactions", "msg_key"),
    ("matched_pairs", "msg_key"),
    ("disclosures", "msg_key"),
]


def _insert_children(
    con: duckdb.DuckDBPyConnection, msgs: dict[str, Message], production: str
) -> None:
    quoted = [
        {
            "msg_key": k, "idx": i, "style": q.style, "text": q.text,
            "header_from": q.header_from, "header_sent": q.header_sent,
            "header_subject": q.header_subject, "start_offset": q.start, "end_offset": q.end,
            "origin_msg_key": _origin_key(q, production),
            "origin_bates": q.origin_bates, "origin_message_id": q.origin_message_id,
            "origin_score": q.origin_score,
        }
        for k, m in msgs.items()
        for i, q in enumerate(m.quoted)
    ]  # fmt: skip
    reds = [
        {"msg_key": k, "idx": i, "code": r.code, "start_offset": r.start, "end_offset": r.end}
        for k, m in msgs.items()
        for i, r in enumerate(m.redactions)
    ]
    atts = [
        {
            "msg_key": k, "idx": i, "filename": a.filename, "content_type": a.content_type,
            "sha256": a.sha256, "size": a.size, "text": a.text, "error": a.error,
        }
        for k, m in msgs.items()
        for i, a in enumerate(m.attachments)
    ]  # fmt: skip
    con.execute(
        "DELETE FROM segments WHERE doc_kind = 'email' AND doc_key IN (SELECT unnest(?))",
        [list(msgs)],
    )
    # Keyed (msg_key, idx): a message written again never holds its attachments twice.
    con.execute("DELETE FROM attachments WHERE msg_key IN (SELECT unnest(?))", [list(msgs)])
    if atts:
        insert_arrow(con, "attachments", pa.Table.from_pylist(atts))
    if quoted:
        insert_arrow(con, "quoted_blocks", pa.Table.from_pylist(quoted))
    if reds:
        insert_arrow(con, "redactions", pa.Table.from_pylist(reds))


def _origin_key(q: QuotedBlock, production: str) -> str | None:
    """The linked origin's ``msg_key`` (same production; Bates first, as in message_key)."""
    if q.origin_bates:
        return f"{production}:{q.origin_bates}"
    if q.origin_message_id:
        return f"{production}:<{q.origin_message_id}>"
    return None


_MESSAGE_FIELDS = [
    f.name
    for f in dataclasses.fields(Message)
    if f.name not in ("quoted", "redactions", "attachments")
]
_LIST_FIELDS = {"references", "email_to", "email_cc", "exemptions"}


def production_messages(
    con: duckdb.DuckDBPyConnection,
    production: str,
    *,
    with_body: bool = True,
    own_text: bool = True,
    quoted_text: Callable[[str], str] | None = None,
) -> list[tuple[str, Message]]:
    """(msg_key, message) of every stored message of ``production``, rebuilt field for field.

    An incremental ingest reads only new files; it links their quoted blocks to these
    earlier messages (and theirs to the new ones) and infers printed mailboxes' zones over
    both, as if the whole production had been read. Unchanged, they hash as stored.
    Memory: without ``with_body`` the full text (``body``) is left empty, without
    ``own_text`` the sender's own text too, and ``quoted_text`` cuts each quoted block's
    text to what the caller reads of it; :func:`message_texts` fetches the whole texts back
    for the few messages that change, :func:`stored_own_text` and
    :func:`stored_quoted_text` one text at a time.
    """
    quoted: dict[str, list[QuotedBlock]] = defaultdict(list)
    cur = con.execute(
        "SELECT q.msg_key, q.style, q.text, q.start_offset, q.end_offset, q.header_from,"
        " q.header_sent, q.header_subject, q.origin_bates, q.origin_message_id, q.origin_score"
        " FROM quoted_blocks q JOIN emails e ON e.msg_key = q.msg_key"
        " WHERE e.production = ? ORDER BY q.msg_key, q.idx",
        [production],
    )
    while batch := cur.fetchmany(5000):  # quoted texts are never all held uncut at once
        for k, style, text, *q in batch:
            quoted[k].append(QuotedBlock(style, quoted_text(text) if quoted_text else text, *q))
    reds: dict[str, list[Redaction]] = defaultdict(list)
    for k, code, start, end in con.execute(
        "SELECT r.msg_key, r.code, r.start_offset, r.end_offset"
        " FROM redactions r JOIN emails e ON e.msg_key = r.msg_key"
        " WHERE e.production = ? ORDER BY r.msg_key, r.idx",
        [production],
    ).fetchall():
        reds[k].append(Redaction(code, start, end))
    # Attachments come back whole (text too): a message the passes touch is written again
    # from this record, and must keep them.
    atts: dict[str, list[Attachment]] = defaultdict(list)
    for k, *a in con.execute(
        "SELECT a.msg_key, a.filename, a.content_type, a.sha256, a.size, a.text, a.error"
        " FROM attachments a JOIN emails e ON e.msg_key = a.msg_key"
        " WHERE e.production = ? ORDER BY a.msg_key, a.idx",
        [production],
    ).fetchall():
        atts[k].append(Attachment(*a))
    blank = {"body"} if not with_body else set()
    blank |= {"own_text"} if not own_text else set()
    cols = ", ".join(f"'' AS {c}" if c in blank else f'e."{c}"' for c in _MESSAGE_FIELDS)
    cur = con.execute(
        f"SELECT e.msg_key, {cols} FROM emails e WHERE e.production = ? ORDER BY e.msg_key",
        [production],
    )
    out = []
    while rows := cur.fetchmany(2000):  # a production's text is not held twice at once
        for key, *values in rows:
            kw = dict(zip(_MESSAGE_FIELDS, values, strict=True))
            for name in _LIST_FIELDS:
                kw[name] = list(kw[name] or [])
            kw["withheld"] = bool(kw["withheld"])
            msg = Message(
                **kw,
                quoted=quoted.pop(key, []),
                redactions=reds.pop(key, []),
                attachments=atts.pop(key, []),
            )
            out.append((key, msg))
    return out


def message_texts(
    con: duckdb.DuckDBPyConnection, keys: Sequence[str]
) -> dict[str, tuple[str, str, list[str]]]:
    """``(body, own_text, quoted texts in order)`` of the stored messages ``keys``: what
    :func:`production_messages` may have left out, for a message about to be written again."""
    if not keys:
        return {}
    out: dict[str, tuple[str, str, list[str]]] = {
        k: (body or "", own or "", [])
        for k, body, own in con.execute(
            "SELECT msg_key, body, own_text FROM emails WHERE msg_key IN (SELECT unnest(?))",
            [list(keys)],
        ).fetchall()
    }
    for k, text in con.execute(
        "SELECT msg_key, text FROM quoted_blocks WHERE msg_key IN (SELECT unnest(?)) "
        "ORDER BY msg_key, idx",
        [list(keys)],
    ).fetchall():
        out[k][2].append(text)
    return out


def stored_own_text(con: duckdb.DuckDBPyConnection, key: str) -> str:
    """One stored message's own text (linking reads it of the few candidates it scores)."""
    # fetchall, not fetchone: a result left unfinished blocks the connection's next write
    rows = con.execute("SELECT own_text FROM emails WHERE msg_key = ?", [key]).fetchall()
    return (rows[0][0] or "") if rows else ""


def stored_quoted_text(con: duckdb.DuckDBPyConnection, key: str, idx: int) -> str:
    """One stored quoted block's whole text."""
    rows = con.execute(
        "SELECT text FROM quoted_blocks WHERE msg_key = ? AND idx = ?", [key, idx]
    ).fetchall()
    return (rows[0][0] or "") if rows else ""


def known_source_files(
    con: duckdb.DuckDBPyConnection, production: str
) -> dict[tuple[str, str], bool]:
    """(sha256, reader version key) -> complete, for every file of ``production`` read."""
    rows = con.execute(
        "SELECT sha256, reader_version, coalesce(complete, FALSE) FROM source_files"
        " WHERE production = ? AND reader_version IS NOT NULL",
        [production],
    ).fetchall()
    return {(sha, version): bool(done) for sha, version, done in rows}


def record_source_files(
    con: duckdb.DuckDBPyConnection, production: str, files: Iterable[dict[str, Any]]
) -> int:
    """Remember files read (keys: sha256, path, kind, size_bytes, reader_version, messages,
    errors, complete) so the next ingest of ``production`` skips the complete ones; a
    re-read updates its row."""
    t = now()
    rows = {f["sha256"]: {**f, "production": production, "ingested_at": t} for f in files}
    if rows:
        insert_arrow(
            con, "source_files", pa.Table.from_pylist(list(rows.values())),
            "ON CONFLICT (production, sha256) DO UPDATE SET path = excluded.path, "
            "kind = excluded.kind, size_bytes = excluded.size_bytes, "
            "reader_version = excluded.reader_version, messages = excluded.messages, "
            "errors = excluded.errors, complete = excluded.complete, "
            "ingested_at = excluded.ingested_at",
        )  # fmt: skip
    return len(rows)
