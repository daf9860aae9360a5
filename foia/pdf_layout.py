"""Positioned text of a printed production: pages -> lines of spans with font, size, width.

Splitting a printout into messages needs more than ``extract_text()``: header labels
are told from body text by being separate (often bold) spans, page footers by their
position, paragraph breaks by vertical gaps, and wrapped lines by how close a line
runs to the right margin. This module turns pypdf's text-layer callbacks into that
geometry; it knows nothing about email.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pypdf import PageObject

Widths = Callable[[str], float]


@dataclass
class Span:
    """One run of text drawn at one position in one font."""

    x: float
    y: float
    text: str
    size: float
    bold: bool
    measure: Widths  # width in points of a string in this span's font and size

    @property
    def x1(self) -> float:
        return self.x + self.measure(self.text)


@dataclass
class Line:
    """Spans sharing a baseline, left to right."""

    y: float
    spans: list[Span] = field(default_factory=list)

    @property
    def text(self) -> str:
        out = ""
        prev: Span | None = None
        for span in self.spans:
            gap = span.x - prev.x1 if prev else 0.0
            if prev and gap > 0.15 * span.size and not out.endswith(" "):
                out += " "
            out += span.text
            prev = span
        return out.strip()

    @property
    def x0(self) -> float:
        return self.spans[0].x

    @property
    def x1(self) -> float:
        return max(s.x1 for s in self.spans)

    @property
    def size(self) -> float:
        return max(s.size for s in self.spans)

    @property
    def bold(self) -> bool:
        return all(s.bold for s in self.spans)


@dataclass
class Page:
    number: int  # 1-based
    width: float
    height: float
    lines: list[Line]


# --------------------------------------------------------------------------- font widths

_width_cache: dict[str, dict[str, float]] = {}


def _char_widths(font: Any) -> dict[str, float]:
    """Glyph widths (1/1000 em) of a PDF font resource; {} if pypdf cannot tell."""
    if font is None:
        return {}
    try:
        key = str(font.get("/BaseFont")) + "|" + str(font.get("/Subtype"))
    except Exception:  # noqa: BLE001
        return {}
    if key in _width_cache:
        return _width_cache[key]
    widths: dict[str, float] = {}
    try:  # pypdf's font model is private; fall back to an average glyph width without it.
        from pypdf.generic._font import Font  # noqa: PLC0415

        widths = dict(Font.from_font_resource(font).character_widths)
    except Exception:  # noqa: BLE001
        widths = {}
    _width_cache[key] = widths
    return widths


def _measure(widths: dict[str, float], size: float) -> Widths:
    default = widths.get("default") or widths.get(" ", 278) * 2 or 500

    def measure(text: str) -> float:
        if not widths:
            return 0.5 * size * len(text)
        return sum(widths.get(ch, default) for ch in text) * size / 1000.0

    return measure


# --------------------------------------------------------------------------- extraction


def page_lines(page: PageObject) -> list[Line]:
    """Lines of ``page`` from top to bottom."""
    spans: list[Span] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text or not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = (abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0) if tm and cm else 1.0
        eff = float(size) * scale
        base = str(font.get("/BaseFont", "")) if font is not None else ""
        bold = bool(re.search(r"bold|black|heavy|semibold", base, re.IGNORECASE))
        measure = _measure(_char_widths(font), eff)
        for piece in text.split("\n"):
            if piece.strip():
                spans.append(Span(x, y, piece.strip(), eff, bold, measure))

    page.extract_text(visitor_text=visit)
    spans.sort(key=lambda s: (-s.y, s.x))
    lines: list[Line] = []
    for span in spans:
        if lines and abs(lines[-1].y - span.y) <= 0.35 * span.size:
            lines[-1].spans.append(span)
        else:
            lines.append(Line(span.y, [span]))
    for line in lines:
        line.spans.sort(key=lambda s: s.x)
    return lines


def extract_pages(pages: list[PageObject]) -> list[Page]:
    out: list[Page] = []
    for i, page in enumerate(pages):
        box = page.mediabox
        out.append(Page(i + 1, float(box.width), float(box.height), page_lines(page)))
    return out


def body_font_size(pages: list[Page]) -> float:
    """The size most characters are set in: body text, not headers or footers."""
    counts: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            for span in line.spans:
                counts[round(span.size, 1)] += len(span.text)
    return counts.most_common(1)[0][0] if counts else 10.0


def line_pitch(pages: list[Page], size: float) -> float:
    """Most common baseline distance between consecutive body-size lines."""
    counts: Counter[float] = Counter()
    for page in pages:
        body = [ln for ln in page.lines if abs(ln.size - size) < 0.3]
        for a, b in zip(body, body[1:], strict=False):
            d = round(a.y - b.y, 1)
            if 0.8 * size < d < 2.0 * size:
                counts[d] += 1
    return counts.most_common(1)[0][0] if counts else 1.2 * size
