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

from foia.models import IngestError, Message
from foia.ocr import ocr_available, pages_without_text, run_ocr
from foia.pdf import parse_pdf


def parse_pdf_any(path: Path, default_tz: str, ocr: str = "auto") -> list[Message | IngestError]:
    """A production PDF, OCR'd first when pages lack text (``ocr``: auto|force|never)."""
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
