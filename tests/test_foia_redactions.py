"""Redaction markers: FOIA exemptions anywhere, State codes only in banners and margins."""

from __future__ import annotations

from foia.redactions import find_redactions, redaction_codes


def test_foia_markers_and_combined_marker() -> None:
    text = "Name: (b)(6); (b)(7)(C), draft (b)(5), phone (b) (6) and (b)(7)(c)."
    marks = find_redactions(text)
    assert [m.code for m in marks] == ["(b)(6)", "(b)(7)(C)", "(b)(5)", "(b)(6)", "(b)(7)(C)"]
    assert text[marks[0].start : marks[0].end] == "(b)(6)"
    assert text[marks[1].start : marks[1].end] == "(b)(7)(C)"


def test_state_banner_and_margin_codes() -> None:
    text = "UNCLASSIFIED B1 1.4(D)\nRELEASE IN PART B6\nbody text\n   B5\n"
    assert redaction_codes(text) == ["B1 1.4(D)", "B6", "B5"]


def test_state_codes_not_taken_from_running_text() -> None:
    text = "He came on a B1/B2 visa; his B2 status lapsed. Room B6 is upstairs."
    assert find_redactions(text) == []


def test_offsets_index_the_text() -> None:
    text = "x\nRELEASED IN PART B1, 1.4(B), B6"
    for m in find_redactions(text):
        assert text[m.start : m.end].startswith("B")
