"""Quote linking's cost on a nightly run: only the blocks new messages can answer are linked
again, candidates are tokenized only when scored, and the answer is a one-run ingest's."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

import foia.link
from foia.link import link_production
from foia.models import Message, QuotedBlock

Q = "Can you confirm whether he had a removal order before the arrest last spring?"
A = "He was ordered removed by an immigration judge in 2017 and never left the country."
B = "The detainer was lodged with the county jail on Friday and he is still held there."


def _msg(bates: str, sender: str, hour: int, subject: str, own: str,
         quoted: list[QuotedBlock] | None = None, page: int = 1) -> Message:  # fmt: skip
    return Message(
        source_file=f"{bates}.txt", source_sha256=bates, source_kind="txt", bates=bates,
        email_from=sender, sent_at=datetime(2019, 1, 7, hour, 5, tzinfo=UTC),
        subject=subject, own_text=own, quoted=quoted or [], page_start=page,
    )  # fmt: skip


def _quote(sender: str, hour: int, subject: str, text: str) -> QuotedBlock:
    return QuotedBlock("outlook", text, 0, 10, header_from=sender,
                       header_sent=f"Monday, January 7, 2019 {hour}:05 AM",
                       header_subject=subject)  # fmt: skip


def _production() -> list[Message]:
    """Two threads; ZZ-6 is a second printout of ZZ-2 and ZZ-7 stands apart."""
    return [
        _msg("ZZ-1", "reporter@paper.example", 8, "Case", Q),
        _msg("ZZ-2", "kai@agency.example", 9, "RE: Case", A,
             [_quote("reporter@paper.example", 8, "Case", Q)]),
        _msg("ZZ-3", "boss@agency.example", 10, "RE: Case", "Approved, send it.",
             [_quote("kai@agency.example", 9, "RE: Case", A),
              _quote("reporter@paper.example", 8, "Case", Q)]),
        _msg("ZZ-4", "lee@agency.example", 8, "Detainer", B),
        _msg("ZZ-5", "boss@agency.example", 11, "RE: Detainer", "Thanks.",
             [_quote("lee@agency.example", 8, "Detainer", B)]),
        _msg("ZZ-6", "kai@agency.example", 9, "RE: Case", A,
             [_quote("reporter@paper.example", 8, "Case", Q)], page=2),
        _msg("ZZ-7", "ann@agency.example", 7, "Budget", "The budget meeting moved to noon."),
    ]  # fmt: skip


def _result(msgs: list[Message]) -> list[tuple[object, ...]]:
    return [
        (m.bates, m.duplicate_of, *((q.origin_bates, q.origin_score) for q in m.quoted))
        for m in msgs
    ]


def _one_run() -> list[tuple[object, ...]]:
    msgs = _production()
    link_production(msgs)
    return _result(msgs)


@pytest.mark.parametrize(
    "new_bates",
    [
        {"ZZ-1"},  # the origin of stored blocks arrives after the replies that quote it
        {"ZZ-3"},  # a reply arrives after what it quotes
        {"ZZ-6"},  # a second printout of a stored message
        {"ZZ-2"},  # the first printout, after its copy: the stored copy becomes a duplicate
        {"ZZ-2", "ZZ-6"},  # a message and its copy together
        {"ZZ-4", "ZZ-7"},  # another thread and a message no block can reach
        {"ZZ-7"},
    ],
)
def test_adding_messages_links_as_one_run_would(new_bates: set[str]) -> None:
    """Link the stored messages, then add the new ones with ``new=``: same as one run."""
    msgs = _production()
    stored = [m for m in msgs if m.bates not in new_bates]
    link_production(stored)
    stored_done = {m.bates: m for m in copy.deepcopy(stored)}  # as loaded back from storage
    merged = [stored_done.get(m.bates or "", m) for m in msgs]
    new = [m for m in merged if m.bates in new_bates]
    stats = link_production(merged, new=new)
    assert _result(merged) == _one_run()
    full = link_production(_production())
    assert stats == full


def test_new_message_that_answers_a_stored_block_relinks_it() -> None:
    msgs = _production()
    stored = [m for m in msgs if m.bates != "ZZ-4"]
    link_production(stored)
    assert msgs[4].quoted[0].origin_bates is None  # its origin is not in the production yet
    link_production(msgs, new=[msgs[3]])
    assert msgs[4].quoted[0].origin_bates == "ZZ-4"


def test_an_unrelated_new_message_tokenizes_only_what_it_reaches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A nightly run's cost follows what is new: stored blocks no new message can answer are
    not scored, and their candidates' text is never tokenized."""
    msgs = _production()
    link_production([m for m in msgs if m.bates != "ZZ-7"])
    calls: list[str] = []
    real = foia.link.tokens

    def counting(text: str) -> object:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(foia.link, "tokens", counting)
    link_production(msgs, new=[msgs[6]])
    incremental = list(calls)
    calls.clear()
    link_production(_production())
    assert len(incremental) < len(calls)
    # Only the two printouts of A are compared (to find the copy); no block is scored.
    assert not any(B in t or Q in t for t in incremental)
