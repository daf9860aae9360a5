"""Link quoted blocks to the production's message that first wrote them; mark repeated copies.

A disclosure belongs to the message whose sender wrote it, not to every later reply that
carries it in a quoted chain. Readers only see one message at a time, so this pass runs
over a whole production: every quoted block is compared with the own text of the
production's earlier messages (token F1), helped by the block's header (sender, subject,
date), and linked to the best match. The same message printed from two mailboxes (two
Bates numbers) is one message: later copies get ``duplicate_of``.

Candidates are blocked by sender and normalized subject, so a production of tens of
thousands of documents is linked in seconds, not by comparing every pair.

**Incremental.** A nightly run adds a few files to a production of tens of thousands of
messages. Given the ``new`` messages, only the blocks whose answer can change are linked
again: the new messages' own blocks and the stored blocks whose candidate pool (same sender
near the quoted time, or same subject) now holds a new message; every other stored block
keeps the origin the earlier run gave it, which is what a one-run ingest gives it too, as
long as no stored message's ``duplicate_of`` changed (then everything is linked again).
A candidate's tokens are counted only when it is first scored, so an incremental run never
tokenizes the messages no new block can reach.

**Bounded memory.** The texts are asked of a :class:`Texts` source, not read off the
messages: an ingest keeps a production's own texts and quoted texts on disk (or in the
warehouse) while linking, and only a bounded number of token bags are cached.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from foia.dates import parse_printed
from foia.models import Message, QuotedBlock

_TOKEN_RE = re.compile(r"\(b\)\(\d\)(?:\([A-Z]\))?|\w+")
_SUBJECT_PREFIX_RE = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
_NEAR = timedelta(days=1, hours=2)
MIN_SCORE = 0.5  # token F1 under which a block is left unlinked (its origin is not here)
TOKEN_CACHE = 4096  # candidates' token bags kept at once; the rest are counted again


class Texts(Protocol):
    """Where linking reads a message's own text and its quoted blocks' full text."""

    def own(self, msg: Message) -> str: ...

    def quoted(self, msg: Message, i: int) -> str: ...


class MessageTexts:
    """The texts as the messages hold them (a reader's output, a test)."""

    def own(self, msg: Message) -> str:
        return msg.own_text

    def quoted(self, msg: Message, i: int) -> str:
        return msg.quoted[i].text


def tokens(text: str) -> Counter[str]:
    """Word tokens (redaction markers kept whole), lower-cased."""
    return Counter(_TOKEN_RE.findall(text.lower()))


def token_f1(a: Counter[str], b: Counter[str]) -> float:
    """Bag-of-tokens F1: 1.0 for the same words, robust to wrapping and spacing."""
    if not a and not b:
        return 1.0
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    return 2 * overlap / (sum(a.values()) + sum(b.values()))


def subject_key(subject: str | None) -> str:
    """``RE: FW: Topic`` -> ``topic``: replies and forwards share their thread's key."""
    return " ".join(_SUBJECT_PREFIX_RE.sub("", subject or "").lower().split())


def _sender_keys(value: str | None) -> set[str]:
    """An address and/or the name words: ``Quist, Lorraine`` meets ``lorraine quist``."""
    if not value:
        return set()
    value = value.lower()
    keys = {value}
    local = value.split("@")[0] if "@" in value else value
    words = frozenset(w for w in re.split(r"[^a-z0-9]+", local) if len(w) > 1)
    if words:
        keys.add(" ".join(sorted(words)))
    return keys


class _Bags:
    """Candidates' token bags, counted on first use; the least recently used beyond
    :data:`TOKEN_CACHE` are dropped (their size is kept: it alone rules most out)."""

    def __init__(self, texts: Texts) -> None:
        self.texts = texts
        self._lru: OrderedDict[int, Counter[str]] = OrderedDict()

    def get(self, cand: _Candidate) -> Counter[str]:
        key = id(cand)
        bag = self._lru.get(key)
        if bag is None:
            bag = tokens(self.texts.own(cand.msg))
            cand.n_tokens = sum(bag.values())
            self._lru[key] = bag
            if len(self._lru) > TOKEN_CACHE:
                self._lru.popitem(last=False)
        else:
            self._lru.move_to_end(key)
        return bag

    def size(self, cand: _Candidate) -> int:
        """Token count (with repeats): bounds the F1 without comparing the bags."""
        if cand.n_tokens is None:
            self.get(cand)
        return cand.n_tokens or 0


class _Candidate:
    """A message as a quote's possible origin; its tokens are counted lazily (see module)."""

    __slots__ = ("msg", "n_tokens", "senders", "subject", "when")

    def __init__(self, msg: Message) -> None:
        self.msg = msg
        self.n_tokens: int | None = None
        self.senders = _sender_keys(msg.email_from) | _sender_keys(msg.from_name)
        self.subject = subject_key(msg.subject)
        self.when = msg.sent_at.replace(tzinfo=None) if msg.sent_at else None


def _ref(msg: Message) -> str:
    return msg.bates or msg.message_id or f"{msg.source_file}#{id(msg)}"


def _block_time(block: QuotedBlock) -> datetime | None:
    return parse_printed(block.header_sent) if block.header_sent else None


def _score(
    block: QuotedBlock,
    btoks: Counter[str],
    bsize: int,
    when: datetime | None,
    cand: _Candidate,
    bags: _Bags,
) -> float:
    """Token F1 plus header agreement. The block's token count ``bsize`` and parsed header
    time ``when`` are computed once per block: most candidates fall to the size bound alone,
    and parsing the header once per candidate dominated a Clinton-sized run."""
    size = bags.size(cand)
    if bsize or size:
        # F1 <= 2 min(a, b) / (a + b): the bags need not be compared when even that is low.
        if 2 * min(bsize, size) / (bsize + size) < MIN_SCORE * 0.8:
            return 0.0
    f1 = token_f1(btoks, bags.get(cand))
    if f1 < MIN_SCORE * 0.8:
        return 0.0
    bonus = 0.0
    if block.header_from and _sender_keys(block.header_from) & cand.senders:
        bonus += 0.1
    if block.header_subject and subject_key(block.header_subject) == cand.subject:
        bonus += 0.05
    if when and cand.when:
        # Quote headers show the quoting sender's wall clock; zones differ by < 14 h.
        gap = abs(when - cand.when)
        if gap <= timedelta(hours=14, minutes=1):
            bonus += 0.05
        elif gap > timedelta(days=1, hours=2):
            bonus -= 0.3
    return f1 + bonus


def link_production(
    messages: Sequence[Message],
    new: Collection[Message] | None = None,
    texts: Texts | None = None,
) -> dict[str, int]:
    """Fill ``QuotedBlock.origin_*`` and ``Message.duplicate_of`` in place; returns counts.

    ``new``: the messages added since ``messages``' other ones were last linked (they carry
    that run's origins). Only blocks a new message can answer are linked again (see the
    module); ``None`` links every block. The result is the same either way. ``texts``:
    where the own and quoted texts are read (default: the messages' fields); a block whose
    ``text`` field is blank is taken to have none.
    """
    texts = texts or MessageTexts()
    bags = _Bags(texts)
    live = [m for m in messages if not m.withheld]
    cands = [_Candidate(m) for m in live]
    by_sender: dict[str, list[_Candidate]] = defaultdict(list)
    by_subject: dict[str, list[_Candidate]] = defaultdict(list)
    for c in cands:
        for k in c.senders:
            by_sender[k].append(c)
        if c.subject:
            by_subject[c.subject].append(c)
    stats = {"blocks": 0, "linked": 0, "duplicates": 0}

    # Copies of one message printed from two mailboxes: same sender, minute and own text.
    old_dups = {id(m): m.duplicate_of for m in messages}
    seen: dict[tuple[str, str], list[_Candidate]] = defaultdict(list)
    for c in cands:
        if c.msg.email_from and c.when:
            seen[(c.msg.email_from, c.subject)].append(c)
    for group in seen.values():
        group.sort(key=lambda c: (c.msg.page_start or 0, _ref(c.msg)))
        for i, later in enumerate(group):
            for earlier in group[:i]:
                if (
                    earlier.msg.duplicate_of is None
                    and later.when is not None
                    and earlier.when is not None
                    and abs(later.when - earlier.when) <= timedelta(hours=14, minutes=1)
                    and later.when.minute == earlier.when.minute
                    and token_f1(bags.get(later), bags.get(earlier)) >= 0.95
                    and later.msg.quoted.__len__() == earlier.msg.quoted.__len__()
                ):
                    later.msg.duplicate_of = _ref(earlier.msg)
                    stats["duplicates"] += 1
                    break

    fresh: set[int] | None = None
    if new is not None:
        fresh = {id(m) for m in new}
        if any(m.duplicate_of != old_dups[id(m)] for m in messages if id(m) not in fresh):
            fresh = None  # a stored message became (or stopped being) a copy: pools changed
    new_list = [c for c in cands if id(c.msg) in fresh] if fresh is not None else []
    new_senders = {k for c in new_list for k in c.senders}
    new_subjects = {c.subject for c in new_list}

    for c in cands:
        msg = c.msg
        for bi, block in enumerate(msg.quoted):
            stats["blocks"] += 1
            if not block.text.strip():
                continue
            senders = _sender_keys(block.header_from)
            subjects = {subject_key(block.header_subject), c.subject} - {""}
            # A stored block keeps its origin unless a new message is now in its pool (the
            # pool's own rules, below, asked of the few new messages only).
            stored = fresh is not None and id(msg) not in fresh
            if stored and not (senders & new_senders or subjects & new_subjects):
                stats["linked"] += block.origin_score is not None
                continue
            when = _block_time(block)
            if stored and not any(
                x.subject in subjects
                or (
                    senders & x.senders
                    and (when is None or x.when is None or abs(x.when - when) <= _NEAR)
                )
                for x in new_list
            ):
                stats["linked"] += block.origin_score is not None
                continue
            pool: dict[int, _Candidate] = {}
            for k in senders:
                for x in by_sender.get(k, ()):
                    # A busy sender has thousands of messages: keep those near the quoted time.
                    if when is None or x.when is None or abs(x.when - when) <= _NEAR:
                        pool[id(x)] = x
            for subj in subjects:
                pool.update((id(x), x) for x in by_subject.get(subj, ()))
            btoks = tokens(texts.quoted(msg, bi))
            bsize = sum(btoks.values())
            best: tuple[float, int, str, _Candidate] | None = None
            for other in pool.values():
                if other is c or other.msg.duplicate_of:
                    continue
                if c.when and other.when and other.when > c.when + timedelta(hours=14):
                    continue  # a message cannot quote a later one
                s = _score(block, btoks, bsize, when, other, bags)
                if s <= 0:
                    continue
                key = (round(s, 3), -(other.msg.page_start or 0), _ref(other.msg), other)
                if best is None or key[:3] > best[:3]:
                    best = key
            if best is not None and best[0] >= MIN_SCORE:
                block.origin_bates = best[3].msg.bates
                block.origin_message_id = best[3].msg.message_id
                block.origin_score = min(1.0, best[0])
                stats["linked"] += 1
    return stats
