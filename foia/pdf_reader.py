"""The PDF reader: a production's text layer, OCR'd first where pages have none.

This is the one place that uses both :mod:`foia.pdf` (the layout reader) and
:mod:`foia.ocr` (finding pages without text, running ocrmypdf), so the dependency runs one
way: ``pdf_reader -> pdf -> ocr``. The OCR'd copy lives in a temporary file; provenance stays
the original file and its sha256, with ``source_kind = "ocr"`` on pages that were OCR'd.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from foia import limits
from foia.models import IngestError, Message
from foia.ocr import blank_pages, ocr_available, pages_without_text, run_ocr
from foia.pdf import parse_pdf


def parse_pdf_any(path: Path, default_tz: str, ocr: str = "auto") -> list[Message | IngestError]:
    """A production PDF, OCR'd first when pages lack text (``ocr``: auto|force|never).

    Pages with no text and nothing printed are not OCR'd (a blank scan gives nothing, slowly);
    a document all blank is an error row, never a silent zero. More pages to OCR than
    ``FOIATRACE_MAX_OCR_PAGES`` (blank ones not counted) are not OCR'd: an error row names
    the limit, and the pages that have text are still read.
    """
    src = str(path)
    if ocr == "never":
        return parse_pdf(path, default_tz=default_tz)
    try:
        head = path.read_bytes()[:1024]
        if not head.lstrip().startswith(b"%PDF"):
            return parse_pdf(path, default_tz=default_tz)  # gives the precise error
        total, missing = pages_without_text(path)
        blank = blank_pages(path, missing) if missing else set()
    except Exception:  # noqa: BLE001 - corrupt/encrypted: let the PDF reader say why
        return parse_pdf(path, default_tz=default_tz)
    if total and len(blank) == total:
        return [IngestError(src, f"blank document: {total} page(s), no text and nothing printed")]
    missing = [n for n in missing if n not in blank]
    if not missing and ocr != "force":
        return parse_pdf(path, default_tz=default_tz)
    todo = len(missing) if ocr != "force" else total - len(blank)
    if todo > limits.get("OCR pages"):
        records = parse_pdf(path, default_tz=default_tz)
        why = limits.over("OCR pages", todo) + "; not OCR'd, pages with a text layer read"
        return [*records, IngestError(src, why)]
    lacking = ocr_available()
    if lacking:
        pages = ", ".join(str(n) for n in missing[:20]) + (" ..." if len(missing) > 20 else "")
        return [IngestError(src, f"{len(missing)} page(s) without a text layer need OCR ({pages})",
                            f"install {lacking}")]  # fmt: skip
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    to_ocr: list[int] | None = missing
    if ocr == "force":  # every page but the blank ones (None: all)
        to_ocr = [n for n in range(1, total + 1) if n not in blank] if blank else None
    with tempfile.TemporaryDirectory(prefix=limits.temp_prefix("ocr")) as tmp:
        out = Path(tmp) / "ocr.pdf"
        try:
            run_ocr(path, out, force=ocr == "force", pages=to_ocr)
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
