"""OCR'd printouts: URL pieces rejoined, OCR text fixes, box outlines erased, a real scan.

The scan test draws its own small production (fictional people, another Bates prefix) and
OCRs two pages; the dev production's full scanned run is `foiatrace eval intake --scanned`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from foia.ocr import clean_ocr_text, repair_urls, url_continues
from foia.ocr_image import remove_box_outlines

URL = "https://news.example/metro/2020/11/17/county-jail-transfer-of-detained-resident-under-review.html"


def test_url_split_by_ocr_is_rejoined() -> None:
    broken = "see https://news.example/metro/201 9/07/1 1/county-jail-transfer.html today"
    assert (
        repair_urls(broken)
        == "see https://news.example/metro/2019/07/11/county-jail-transfer.html today"
    )
    assert url_continues("www.agency.example/press/201", "8/08/14/release")
    assert url_continues("https://a.example/x/report-fi", "nal.pdf")


@pytest.mark.parametrize(
    ("url", "piece"),
    [
        ("https://a.example/x", "and/or"),  # words around a slash
        ("https://a.example/x", "3/14/2016"),  # a date after a link
        ("https://a.example/x", "and"),  # the sentence goes on
        ("<https://a.example/x>", "8/08/1"),  # the link was closed
        ("the release", "8/08/1"),  # no URL to continue
        ("https://a.example/x", "https://b.example/y"),  # a second link
    ],
)
def test_url_not_glued_to_ordinary_words(url: str, piece: str) -> None:
    assert not url_continues(url, piece)


def test_clean_ocr_text_markers_pipes_addresses() -> None:
    assert clean_ocr_text("Office: (b) (6) | Mobile: (6)(6)") == "Office: (b)(6) Mobile: (b)(6)"
    assert clean_ocr_text("(b)(7) (C) and (b)(6) (C)") == "(b)(7)(C) and (b)(6) (C)"
    assert (
        clean_ocr_text("Here's what | can share; | think so")
        == "Here's what I can share; I think so"
    )
    assert clean_ocr_text("| don't know") == "I don't know"
    assert clean_ocr_text("Press Officer | Arizona") == "Press Officer | Arizona"
    assert clean_ocr_text("pat.lee@agency.example | phone") == "pat.lee@agency.example | phone"
    assert clean_ocr_text("Write to pat.Iee @agency.example") == "Write to pat.lee@agency.example"
    assert clean_ocr_text("Ce: Pell, Marcus") == "Cc: Pell, Marcus"
    assert clean_ocr_text("> Ce; Vos, Kim") == "> Cc: Vos, Kim"


def test_bates_and_url_pieces_glued_by_position() -> None:
    from foia.ocr import _glue_pieces, _Word

    def row(*parts: tuple[float, float, str]) -> list[_Word]:
        return [_Word(x0, x1, 0.0, 7.0, t, 0.0, 7.0) for x0, x1, t in parts]

    foot = row((400, 440, "ABC-21-00041"), (442, 450, "41"), (460, 470, "12"))
    assert [w.text for w in _glue_pieces(foot, 3.0, edge=True)] == ["ABC-21-0004141", "12"]
    assert [w.text for w in _glue_pieces(foot, 3.0, edge=False)] == ["ABC-21-00041", "41", "12"]
    url = row((50, 200, "https://a.example/p/201"), (202, 230, "9/07/1"), (260, 300, "1/x"))
    assert [w.text for w in _glue_pieces(url, 3.0, edge=False)] == [
        "https://a.example/p/2019/07/1",
        "1/x",
    ]


def _page(height: int = 400, width: int = 900) -> np.ndarray:
    return np.full((height, width), 255, dtype=np.uint8)


def test_box_outline_erased_letters_and_rules_kept() -> None:
    img = _page()
    img[100:103, 200:400] = 0  # a box: top, bottom, sides
    img[160:163, 200:400] = 0
    img[100:163, 200:203] = 0
    img[100:163, 397:400] = 0
    img[120:145, 250:256] = 0  # a letter stroke inside the box
    img[300:303, 100:800] = 0  # an underscore separator: a rule, no box
    img[250:290, 600:604] = 0  # a "|" or "l" on its own
    out, boxes = remove_box_outlines(img, dpi=300)
    assert boxes == 1
    assert (out[95:107, 195:405] == 255).all() and (out[156:168, 195:405] == 255).all()
    assert (out[100:163, 198:205] == 255).all() and (out[100:163, 395:402] == 255).all()
    assert (out[120:145, 250:256] == 0).all()
    assert (out[300:303, 100:800] == 0).all() and (out[250:290, 600:604] == 0).all()


def test_open_brackets_and_tall_frames_are_not_boxes() -> None:
    img = _page(height=900)
    img[100:103, 200:400] = 0  # two rules of equal length, no sides: a table, not a box
    img[160:163, 200:400] = 0
    img[400:403, 200:400] = 0  # a frame around a whole paragraph (far taller than a line)
    img[800:803, 200:400] = 0
    img[400:803, 200:203] = 0
    img[400:803, 397:400] = 0
    out, boxes = remove_box_outlines(img, dpi=300)
    assert boxes == 0 and (out == img).all()


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr not installed")
def test_scanned_reply_keeps_urls_markers_and_quote_lines(tmp_path: Path) -> None:
    """Boxed markers, a URL wrapped at the margin, ``>`` lines opening page 2, read by OCR."""
    pytest.importorskip("ocrmypdf")
    pytest.importorskip("reportlab")
    from foia.ingest import iter_production
    from foia.models import Message
    from foiatrace.evals.intake import make_scanned
    from tests.test_foia_pdf import SIZE, Production

    class Boxed(Production):
        """Draws a thin box around every (b)(N) marker, as processing tools do."""

        def _body(self, body: str) -> None:
            from reportlab.pdfbase.pdfmetrics import stringWidth

            draw = self.c.drawString

            def boxed(x: float, y: float, text: str) -> None:
                draw(x, y, text)
                for m in re.finditer(r"\(b\)\(\d\)", text):
                    x0 = x + stringWidth(text[: m.start()], "Helvetica", SIZE)
                    w = stringWidth(m.group(0), "Helvetica", SIZE)
                    self.c.setLineWidth(0.8)
                    self.c.rect(x0 - 1.5, y - 3, w + 3, SIZE + 2.5)

            self.c.drawString = boxed  # type: ignore[method-assign]
            try:
                super()._body(body)
            finally:
                self.c.drawString = draw  # type: ignore[method-assign]

    filler = "\n".join(
        f"> Item {i}: the detainer was lodged and remains in effect." for i in range(36)
    )
    body = (
        f"Pat,\n\nThe story is up: {URL}\n\n"
        "His phone is (b)(6) and he asked us not to call.\n\n(b)(5)\n\n"
        f"Lee\n\nOn Tue, Nov 17, 2020 at 9:05 AM Pat Example <pat@agency.example> wrote:\n"
        f"{filler}\n>\n>\n> Pat Example\n> Press Officer\n> (b)(6)"
    )
    text_pdf = tmp_path / "text.pdf"
    p = Boxed(text_pdf, prefix="OCRT-20-", start=77)
    p.outlook(
        "Asker, Lee",
        [
            ("From:", "Lee Asker"),
            ("Sent:", "Tuesday, November 17, 2020 10:30 AM"),
            ("To:", "Example, Pat"),
            ("Subject:", "RE: jail transfer"),
        ],
        body,
    )
    p.save()
    scanned = make_scanned(text_pdf, tmp_path / "scan.pdf", dpi=300)
    msgs = [m for m in iter_production([scanned]) if isinstance(m, Message)]
    assert len(msgs) == 1 and msgs[0].page_end == msgs[0].page_start + 1
    m = msgs[0]
    assert m.source_kind == "ocr"
    assert URL in m.own_text.split()
    assert "(b)(6)" in m.own_text and "(b)(5)" in m.own_text.split("\n")  # boxed, alone
    assert len(m.quoted) == 1 and m.quoted[0].header_from == "pat@agency.example"
    assert "Item 35" in m.quoted[0].text
    assert [r.code for r in m.redactions] == ["(b)(6)", "(b)(5)", "(b)(6)"]
