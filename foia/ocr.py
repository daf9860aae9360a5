"""Scanned productions: find pages without a text layer and OCR them (ocrmypdf + tesseract).

Pages that already carry text are left alone (``--skip-text``), so a mixed production keeps
its exact text where it has it. :func:`foia.pdf_reader.parse_pdf_any` decides when to OCR
and keeps provenance; this module never imports :mod:`foia.pdf` (which imports it for
:func:`ocr_layout`), so the dependency runs one way. The text layer tesseract
writes has no fonts worth the name (no bold, sizes estimated per line), so OCR'd pages are
normalized for the layout reader: one body size, header labels split from their values,
redaction-box edges that OCR reads as ``|`` removed.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from foia.pdf_layout import Line, Page, Span


def pages_without_text(path: Path) -> tuple[int, list[int]]:
    """(page count, 1-based numbers of pages with no extractable text)."""
    reader = PdfReader(path)
    if reader.is_encrypted:
        reader.decrypt("")
    missing = [i + 1 for i, p in enumerate(reader.pages) if not (p.extract_text() or "").strip()]
    return len(reader.pages), missing


def blank_pages(path: Path, numbers: list[int], dpi: int = 36) -> set[int]:
    """Of pages ``numbers`` (1-based), those with nothing printed on them: rendered at low
    resolution, almost no pixel is dark. OCR of a blank page costs seconds and finds
    nothing; a 10-page blank scan took a minute. A page that cannot be rendered is not
    called blank (OCR decides)."""
    import numpy as np  # noqa: PLC0415
    import pypdfium2 as pdfium  # noqa: PLC0415

    out: set[int] = set()
    doc = pdfium.PdfDocument(str(path))
    try:
        for n in numbers:
            try:
                page = doc[n - 1]
                pixels = page.render(scale=dpi / 72, grayscale=True).to_numpy()
            except Exception:  # noqa: BLE001 - a broken page: let OCR try it
                continue
            dark = int(np.count_nonzero(pixels < 128)) if pixels.size else 0
            if dark <= max(2, pixels.size // 5000):  # specks of a scanner, not a word
                out.add(n)
    finally:
        doc.close()
    return out


def ocr_available() -> str | None:
    """None when OCR can run, else what is missing."""
    try:
        import ocrmypdf  # noqa: F401, PLC0415
    except ImportError:
        return "the ocrmypdf package (pip install ocrmypdf)"
    if shutil.which("tesseract") is None:
        return "tesseract (Debian package tesseract-ocr; scripts/install-system-deps.sh)"
    return None


def run_ocr(
    src: Path,
    dst: Path,
    *,
    force: bool = False,
    jobs: int | None = None,
    pages: list[int] | None = None,
) -> None:
    """OCR ``src`` into ``dst``: pages without text only, unless ``force``; only ``pages``
    (1-based) when given. ``jobs``: pages at once (default: the "OCR jobs" limit)."""
    import ocrmypdf  # noqa: PLC0415

    from foia import limits  # noqa: PLC0415

    jobs = jobs or max(1, limits.get_int("OCR jobs"))

    logging.getLogger("ocrmypdf").setLevel(logging.WARNING)  # its per-page chatter
    extra: dict[str, Any] = {"pages": ",".join(map(str, pages))} if pages else {}
    ocrmypdf.ocr(
        src, dst, language=["eng"], skip_text=not force, force_ocr=force,
        output_type="pdf", optimize=0, jobs=jobs, progress_bar=False,
        plugins=["foia.ocr_image"],  # box outlines around redaction markers erased for OCR
        **extra,
    )  # fmt: skip


_ADDR_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BOX_EDGE_RE = re.compile(r"[|\[\]{}]\s*(?=\(b\))|(?<=\))\s*[|\]}]")
# "(b) (6)", "(6)(6)" (b read as 6), "(b)(7) (C)": one spelling, as the printout has it.
_MARKER_RE = re.compile(r"\(\s*[b6]\s*\)\s*\(\s*([1-9])\s*\)(?:(?<=7\))\s*\(\s*([A-F])\s*\))?")
# Header labels as OCR misreads them at the start of a line ("Ce:" for "Cc:").
_LABEL_FIX = {"Ce": "Cc", "CE": "CC", "Bce": "Bcc"}
_LABEL_FIX_RE = re.compile(r"^((?:>\s?)*)(Ce|CE|Bce)\s*[:;]")
# A lone "|" standing between two lower-case words is a capital I ("what | can share").
_PIPE_I_RE = re.compile(r"(^|(?<!\S)[A-Za-z]?[a-z]+[,;:.!?]? )\|(?=(?:'[a-z]{1,2})?\s+[a-z]+\b)")


def clean_ocr_text(text: str) -> str:
    """Undo OCR's usual damage to printed mail: redaction-box edges read as ``| } ]`` around
    ``(b)(N)`` markers, markers read with inner spaces (``(b) (6)``) or ``b`` as ``6``, a
    capital I read as ``|``, ``Ce:`` for the ``Cc:`` label, and addresses split at ``@``
    (``name @domain``)."""
    text = _BOX_EDGE_RE.sub(" ", text)
    text = _LABEL_FIX_RE.sub(lambda m: m[1] + _LABEL_FIX[m[2]] + ":", text)
    text = _MARKER_RE.sub(lambda m: f"(b)({m[1]})" + (f"({m[2]})" if m[2] else ""), text)
    text = _PIPE_I_RE.sub(r"\1I", text)
    text = re.sub(r"(?<=[\w.+-])\s+@\s*(?=[\w-])|(?<=[\w.+-])@\s+(?=[\w-])", "@", text)
    # Addresses are lower-case: a capital I inside one is OCR's reading of a lower-case l.
    text = _ADDR_RE.sub(
        lambda m: (
            m.group(0).replace("I", "l")
            if m.group(0)[1:].islower() or m.group(0).replace("I", "").islower()
            else m.group(0)
        ),
        text,
    )
    return re.sub(r"[ \t]{2,}", " ", text).strip()


# --------------------------------------------------------------------------- URLs

_URL_START_RE = re.compile(r"^[<(\[\"']?(?:https?://|www\.)\S*$", re.IGNORECASE)
_URL_PIECE_RE = re.compile(r"[\w\-./~%?=&#+:@!$*,;]+[>)\]\"'.,;:!?]*")
_WEB_EXT_RE = re.compile(r"\.(?:s?html?|php|aspx?|jsp|cfm|pdf)\b", re.IGNORECASE)
_DATE_RE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}[.,;:]?")
_WORDS_SLASH_RE = re.compile(r"[A-Za-z]+(?:/[A-Za-z]+)+[.,;:!?)]*")


def url_continues(url: str, piece: str) -> bool:
    """True when ``piece``, printed after ``url`` with a space between, is the rest of it.

    Tesseract splits a long URL where a narrow glyph leaves a wide gap (``.../201 8/08/1
    4/ice-...``): a piece that carries URL punctuation (a ``/`` path step or a web file
    name) and no space-worthy shape (a date, ``and/or``) belongs to the URL before it.
    """
    if not _URL_START_RE.match(url) or url.endswith((">", ")", "]", '"', "'")):
        return False
    if not _URL_PIECE_RE.fullmatch(piece) or re.match(r"https?://|www\.", piece, re.I):
        return False
    if _DATE_RE.fullmatch(piece) or _WORDS_SLASH_RE.fullmatch(piece):
        return False
    return "/" in piece or bool(_WEB_EXT_RE.search(piece)) or piece[0] in "?#&=%"


def repair_urls(text: str) -> str:
    """Rejoin URLs that OCR broke with spaces (see :func:`url_continues`)."""
    out: list[str] = []
    for tok in text.split(" "):
        if out and tok and url_continues(out[-1], tok):
            out[-1] += tok
        else:
            out.append(tok)
    return " ".join(out)


# --------------------------------------------------------------------------- word boxes

# Letters that sit on the baseline and reach cap or ascender height: their boxes give a
# line's baseline and type size; ``>``, ``-`` or x-height letters alone do not.
_WORDY_RE = re.compile(r"[A-Za-z0-9]")
_TALL = frozenset("ABCDEFGHIKLMNOPRSTUVWXYZ0123456789bdfhklt")


@dataclass
class _Word:
    x0: float  # the word's box as OCR drew it (advance widths, not ink)
    x1: float
    bottom: float  # ink extents
    top: float
    text: str
    base: float | None  # baseline, from letters that sit on it
    cap: float | None  # height of capitals, digits, ascenders

    @property
    def mid(self) -> float:
        return (self.bottom + self.top) / 2


def _words(tp: Any) -> list[_Word]:
    """Words of an OCR text layer with their boxes.

    Horizontal extents come from the characters' advance boxes, which the OCR renderer
    stretches to the word box tesseract found (ink boxes of its invisible font are not the
    word's ink); heights and baselines from ink boxes of tall letters only.
    """
    text = tp.get_text_range()
    words: list[_Word] = []
    cur: list[tuple[float, float, float, float, str]] = []

    def flush() -> None:
        if not cur:
            return
        tall = [c for c in cur if c[4] in _TALL]
        bases = sorted(c[1] for c in tall)
        caps = sorted(c[3] - c[1] for c in tall)
        words.append(
            _Word(
                cur[0][0], cur[-1][2], min(c[1] for c in cur), max(c[3] for c in cur),
                "".join(c[4] for c in cur),
                bases[len(bases) // 2] if bases else None,
                caps[len(caps) // 2] if caps else None,
            )
        )  # fmt: skip
        cur.clear()

    for i, ch in enumerate(text):
        if ch.isspace():
            flush()
            continue
        try:
            left, _, right, _ = tp.get_charbox(i, loose=True)
            _, bottom, _, top = tp.get_charbox(i)
        except Exception:  # noqa: BLE001 - generated characters have no box
            continue
        if cur and left < cur[-1][0]:  # a new run drawn back to the left: a new word
            flush()
        cur.append((left, bottom, right, top, ch))
    flush()
    return words


def _median(values: list[float], default: float) -> float:
    values = sorted(values)
    return values[len(values) // 2] if values else default


def _rows(words: list[_Word]) -> list[list[_Word]]:
    """Words grouped into text lines, top to bottom, each left to right."""
    words = sorted(words, key=lambda w: (-w.mid, w.x0))
    rows: list[list[_Word]] = []
    for w in words:
        if rows:
            r = rows[-1]
            rmid = _median([x.mid for x in r], w.mid)
            h = max(x.top - x.bottom for x in r)
            if abs(w.mid - rmid) < 0.5 * max(h, w.top - w.bottom):
                r.append(w)
                continue
        rows.append([w])
    for r in rows:
        r.sort(key=lambda x: x.x0)
    return rows


_BATES_HEAD_RE = re.compile(r"[A-Z]{2,}[A-Z0-9]*(?:[-_][A-Z0-9]+)*[-_]?\d+")


def _glue_pieces(row: list[_Word], space: float, edge: bool) -> list[_Word]:
    """Merge tokens OCR split at a narrow glyph's wide gap (``.../201 8/08``, ``ABC-0041 41``):
    URL pieces anywhere (see :func:`url_continues`), and a digit run continuing a Bates-like
    token in the page's header or footer band (``edge``). Only words closer than ~1.6
    spaces are candidates."""
    out: list[_Word] = []
    for w in row:
        prev = out[-1] if out else None
        glue = prev is not None and w.x0 - prev.x1 < 1.6 * space
        if glue and prev is not None:
            bates = edge and bool(_BATES_HEAD_RE.fullmatch(prev.text)) and w.text.isdigit()
            glue = bates or url_continues(prev.text, w.text)
        if glue and prev is not None:
            out[-1] = _Word(
                prev.x0, w.x1, min(prev.bottom, w.bottom), max(prev.top, w.top),
                prev.text + w.text, prev.base if prev.base is not None else w.base,
                max(prev.cap or 0, w.cap or 0) or None,
            )  # fmt: skip
        else:
            out.append(w)
    return out


def ocr_layout(path: Path, numbers: set[int]) -> dict[int, Page]:
    """Pages (1-based ``numbers``) rebuilt from the OCR layer's word boxes.

    Words on one baseline form a line; a gap wider than ~2 characters starts a new span
    (so a column-aligned ``From:`` label is its own span, as in a printed layout). A line's
    type size is read from its capitals and ascenders; sizes within 30% of the page's
    typical one are snapped to it (and lines with no tall letter or only redaction markers,
    such as a lone ``>`` or ``> (b)(6)``, take it), so header rows and body lines compare
    as the same size the way they do in a text-layer printout. Span widths are measured
    per word from the OCR boxes, so the reader's wrapped-line test uses the widths
    tesseract saw, not font metrics.
    """
    import pypdfium2 as pdfium  # noqa: PLC0415

    doc = pdfium.PdfDocument(str(path))
    out: dict[int, Page] = {}
    try:
        for number in sorted(numbers):
            page = doc[number - 1]
            width, height = page.get_size()
            rows = _rows(_words(page.get_textpage()))
            gaps = [b.x0 - a.x1 for r in rows for a, b in zip(r, r[1:], strict=False)]
            caps = [_median([w.cap for w in r if w.cap], 0.0) for r in rows if len(r) > 3]
            typical = _median([c for c in caps if c > 0], 7.0)
            space = _median([g for g in gaps if 0 < g < typical], 0.35 * typical)
            per_char = _median(
                [(w.x1 - w.x0) / len(w.text) for r in rows for w in r], 0.55 * typical
            )
            lines: list[Line] = []
            for r in rows:
                mid = _median([w.mid for w in r], 0.0)
                r = _glue_pieces(r, space, not 0.1 * height < mid < 0.9 * height)
                bases = [w.base for w in r if w.base is not None]
                y = _median(bases, 0.0) if bases else _median([w.bottom for w in r], 0.0)
                cap = _median([w.cap for w in r if w.cap], 0.0)
                if not _WORDY_RE.search(_MARKER_RE.sub("", " ".join(w.text for w in r))):
                    cap = 0.0  # only markers and quote signs: OCR's line box is no guide
                in_band = 0.08 * height < y < 0.92 * height  # print headers/footers keep theirs
                snap = in_band and (not cap or abs(cap - typical) <= 0.3 * typical)
                size = 10.0 if snap or not cap else 10.0 * cap / typical
                spans: list[Span] = []
                cur = [r[0]]
                for w in r[1:]:
                    prev = cur[-1]
                    # ~2.5 characters; a narrow word ("I", "|", ",") uses the page's width
                    char = max((prev.x1 - prev.x0) / max(len(prev.text), 1), per_char)
                    if w.x0 - prev.x1 > 2.5 * char:
                        spans.append(_span(cur, y, size, space))
                        cur = [w]
                    else:
                        cur.append(w)
                spans.append(_span(cur, y, size, space))
                lines.append(Line(y, spans))
            out[number] = Page(number, width, height, lines)
    finally:
        doc.close()
    return out


class _WordWidths:
    """Widths in one OCR span: exact for the span and each of its words, else per character."""

    def __init__(self, words: list[_Word], text: str, space: float) -> None:
        self.text, self.width = text, words[-1].x1 - words[0].x0
        self.space = space
        self.per_char = self.width / max(len(text), 1)
        self.words: dict[str, float] = {}
        for w in words:
            self.words.setdefault(clean_ocr_text(w.text), w.x1 - w.x0)

    def __call__(self, s: str) -> float:
        if s == self.text:
            return self.width
        if s == " ":
            return self.space
        if s in self.words:
            return self.words[s]
        return self.per_char * len(s)


def _span(words: list[_Word], y: float, size: float, space: float) -> Span:
    text = repair_urls(clean_ocr_text(" ".join(w.text for w in words)))
    # A header label ("From:") printed bold in the original: OCR cannot tell; a lone label
    # span is flagged bold so the layout reader treats it like the printed label it is.
    bold = bool(re.fullmatch(r"(?:From|Sent|To|Cc|Bcc|Subject|Date)\s*:", text, re.IGNORECASE))
    return Span(words[0].x0, y, text, size, bold, _WordWidths(words, text, space))
