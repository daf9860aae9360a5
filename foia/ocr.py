"""Scanned productions: find pages without a text layer and OCR them (ocrmypdf + tesseract).

Pages that already carry text are left alone (``--skip-text``), so a mixed production keeps
its exact text where it has it. The OCR'd copy lives in a temporary file; provenance stays
the original file and its sha256, with ``source_kind = "ocr"``. The text layer tesseract
writes has no fonts worth the name (no bold, sizes estimated per line), so OCR'd pages are
normalized for the layout reader: one body size, header labels split from their values,
redaction-box edges that OCR reads as ``|`` removed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from foia.models import IngestError, Message
from foia.pdf_layout import Line, Page, Span


def pages_without_text(path: Path) -> tuple[int, list[int]]:
    """(page count, 1-based numbers of pages with no extractable text)."""
    reader = PdfReader(path)
    if reader.is_encrypted:
        reader.decrypt("")
    missing = [i + 1 for i, p in enumerate(reader.pages) if not (p.extract_text() or "").strip()]
    return len(reader.pages), missing


def ocr_available() -> str | None:
    """None when OCR can run, else what is missing."""
    try:
        import ocrmypdf  # noqa: F401, PLC0415
    except ImportError:
        return "the ocrmypdf package (pip install ocrmypdf)"
    if shutil.which("tesseract") is None:
        return "tesseract (Debian package tesseract-ocr; scripts/install-system-deps.sh)"
    return None


def run_ocr(src: Path, dst: Path, *, force: bool = False, jobs: int = 2) -> None:
    """OCR ``src`` into ``dst``: pages without text only, unless ``force``."""
    import ocrmypdf  # noqa: PLC0415

    logging.getLogger("ocrmypdf").setLevel(logging.WARNING)  # its per-page chatter
    ocrmypdf.ocr(
        src, dst, language=["eng"], skip_text=not force, force_ocr=force,
        output_type="pdf", optimize=0, jobs=jobs, progress_bar=False,
    )  # fmt: skip


def parse_pdf_any(path: Path, default_tz: str, ocr: str = "auto") -> list[Message | IngestError]:
    """A production PDF, OCR'd first when pages lack text (``ocr``: auto|force|never)."""
    from foia.pdf import parse_pdf  # noqa: PLC0415

    src = str(path)
    if ocr == "never":
        return parse_pdf(path, default_tz=default_tz)
    try:
        head = path.read_bytes()[:1024]
        if not head.lstrip().startswith(b"%PDF"):
            return parse_pdf(path, default_tz=default_tz)  # gives the precise error
        total, missing = pages_without_text(path)
    except Exception:  # noqa: BLE001 - corrupt/encrypted: let the PDF reader say why
        return parse_pdf(path, default_tz=default_tz)
    if not missing and ocr != "force":
        return parse_pdf(path, default_tz=default_tz)
    lacking = ocr_available()
    if lacking:
        pages = ", ".join(str(n) for n in missing[:20]) + (" ..." if len(missing) > 20 else "")
        return [IngestError(src, f"{len(missing)} page(s) without a text layer need OCR ({pages})",
                            f"install {lacking}")]  # fmt: skip
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with tempfile.TemporaryDirectory(prefix="foiatrace-ocr-") as tmp:
        out = Path(tmp) / "ocr.pdf"
        try:
            run_ocr(path, out, force=ocr == "force")
        except Exception as exc:  # noqa: BLE001 - ocrmypdf has many exit conditions
            return [IngestError(src, f"OCR failed: {type(exc).__name__}", str(exc))]
        records = parse_pdf(out, default_tz=default_tz, ocr_pages=set(missing) or None)
    for rec in records:
        if isinstance(rec, Message):
            rec.source_file, rec.source_sha256 = src, sha
            if rec.page_start in missing or ocr == "force":
                rec.source_kind = "ocr"
        else:
            rec.source_file = src
    return records


_ADDR_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BOX_EDGE_RE = re.compile(r"[|\[\]{}]\s*(?=\(b\))|(?<=\))\s*[|\]}]")


def clean_ocr_text(text: str) -> str:
    """Undo OCR's usual damage to printed mail: redaction-box edges read as ``| } ]`` around
    ``(b)(N)`` markers, and addresses split at ``@`` (``name @domain``)."""
    text = _BOX_EDGE_RE.sub(" ", text)
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


def _avg_measure(width: float, text: str) -> Callable[[str], float]:
    per_char = width / max(len(text), 1)
    return lambda s: per_char * len(s)


def _words(tp: Any) -> list[tuple[float, float, float, float, str]]:
    """(left, bottom, right, top, text) per word, from character boxes (exact, no overlap)."""
    text = tp.get_text_range()
    words: list[tuple[float, float, float, float, str]] = []
    cur: list[tuple[float, float, float, float, str]] = []

    def flush() -> None:
        if cur:
            t = "".join(c[4] for c in cur)
            words.append((min(c[0] for c in cur), min(c[1] for c in cur),
                          max(c[2] for c in cur), max(c[3] for c in cur), t))  # fmt: skip
            cur.clear()

    for i, ch in enumerate(text):
        if ch.isspace():
            flush()
            continue
        try:
            left, bottom, right, top = tp.get_charbox(i)
        except Exception:  # noqa: BLE001 - generated characters have no box
            continue
        cur.append((left, bottom, right, top, ch))
    flush()
    return words


def ocr_layout(path: Path, numbers: set[int]) -> dict[int, Page]:
    """Pages (1-based ``numbers``) rebuilt from the OCR layer's word boxes.

    Words on one baseline form a line; a gap wider than ~2 characters starts a new span
    (so a column-aligned ``From:`` label is its own span, as in a printed layout); sizes
    within 30% of the page's typical line height are snapped to it, so header rows and
    body lines compare as the same size the way they do in a text-layer printout.
    """
    import pypdfium2 as pdfium  # noqa: PLC0415

    doc = pdfium.PdfDocument(str(path))
    out: dict[int, Page] = {}
    try:
        for number in sorted(numbers):
            page = doc[number - 1]
            width, height = page.get_size()
            tp = page.get_textpage()
            words = _words(tp)
            words.sort(key=lambda w: (-(w[1] + w[3]) / 2, w[0]))
            rows: list[list[tuple[float, float, float, float, str]]] = []
            for w in words:
                mid = (w[1] + w[3]) / 2
                if rows:
                    r = rows[-1]
                    rmid = sorted((x[1] + x[3]) / 2 for x in r)[len(r) // 2]
                    h = max(x[3] - x[1] for x in r)
                    if abs(mid - rmid) < 0.5 * max(h, w[3] - w[1]):
                        r.append(w)
                        continue
                rows.append([w])
            heights = sorted(
                max(x[3] for x in r) - min(x[1] for x in r) for r in rows if len(r) > 3
            )
            typical = heights[len(heights) // 2] if heights else 10.0
            lines: list[Line] = []
            for r in rows:
                r.sort(key=lambda x: x[0])
                bottoms = sorted(x[1] for x in r)
                y = bottoms[len(bottoms) // 2]
                h = max(x[3] for x in r) - min(x[1] for x in r)
                in_band = 0.08 * height < y < 0.92 * height  # print headers/footers keep theirs
                snap = in_band and abs(h - typical) <= 0.3 * typical
                size = 10.0 if snap else 10.0 * h / typical
                spans: list[Span] = []
                cur = [r[0]]
                for w in r[1:]:
                    prev = cur[-1]
                    char = (prev[2] - prev[0]) / max(len(prev[4]), 1)
                    if w[0] - prev[2] > 2.5 * char:
                        spans.append(_span(cur, y, size))
                        cur = [w]
                    else:
                        cur.append(w)
                spans.append(_span(cur, y, size))
                lines.append(Line(y, spans))
            out[number] = Page(number, width, height, lines)
    finally:
        doc.close()
    return out


def _span(words: list[tuple[float, float, float, float, str]], y: float, size: float) -> Span:
    text = clean_ocr_text(" ".join(w[4] for w in words))
    x0, x1 = words[0][0], words[-1][2]
    # A header label ("From:") printed bold in the original: OCR cannot tell; a lone label
    # span is flagged bold so the layout reader treats it like the printed label it is.
    bold = bool(re.fullmatch(r"(?:From|Sent|To|Cc|Bcc|Subject|Date)\s*:", text, re.IGNORECASE))
    return Span(x0, y, text, size, bold, _avg_measure(x1 - x0, text))
