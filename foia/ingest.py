"""Walk a FOIA production (files, folders, zip archives) and yield its messages, never stopping.

A production is whatever an agency sent: loose ``.eml`` files, printed PDFs (text or
scanned), mailbox exports (``.mbox``, ``.msg``, ``.pst``/``.ost``), plain-text releases,
and zip archives of any of these. Each file is read by the reader for its extension; a file
that cannot be read becomes an :class:`~foia.models.IngestError` that names it and says
why, and the walk goes on, so one corrupt PDF never costs a night's ingest.

Guards: files over ``max_bytes`` are refused unread (a mis-delivered disk image must not
exhaust memory); zip members are never written outside a temporary folder (``../`` and
absolute names are refused), their declared sizes are checked before extraction, and
archives nest at most two deep.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from foia.eml import EmlError, parse_eml
from foia.models import IngestError, Message
from foia.pdf import DEFAULT_TZ

MAILBOX = {".mbox", ".msg", ".pst", ".ost"}
SUPPORTED = {".eml", ".pdf", ".txt", ".zip"} | MAILBOX
PLANNED: set[str] = set()  # every format of DESIGN.md is read now
DEFAULT_MAX_BYTES = int(float(os.environ.get("FOIATRACE_MAX_FILE_MB", "128")) * 1024 * 1024)
MAX_ZIP_DEPTH = 2


def _walk(paths: Iterable[Path]) -> Iterator[tuple[Path, bool]]:
    """(file, named explicitly) in sorted order; folders are walked recursively."""
    for root in sorted(Path(p) for p in paths):
        if root.is_dir():
            found: list[Path] = []
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                found.extend(Path(dirpath) / f for f in filenames if not f.startswith("."))
            for f in sorted(found):
                yield f, False
        else:
            yield root, True


def _read_one(
    path: Path, default_tz: str, max_bytes: int, ocr: str, depth: int, shown: str
) -> Iterator[Message | IngestError]:
    ext = path.suffix.lower()
    src = shown
    size = path.stat().st_size
    if size > max_bytes:
        yield IngestError(
            src, f"file too large: {size / 2**20:.1f} MiB > limit {max_bytes / 2**20:.0f} MiB",
            "raise the limit with FOIATRACE_MAX_FILE_MB or ingest(max_bytes=...)",
        )  # fmt: skip
        return
    if size == 0:
        yield IngestError(src, "empty file (0 bytes)")
        return
    records: Iterable[Message | IngestError]
    if ext == ".eml":
        try:
            records = [parse_eml(path)]
        except EmlError as exc:
            records = [IngestError(src, f"broken EML: {exc}")]
    elif ext == ".pdf":
        from foia.ocr import parse_pdf_any  # noqa: PLC0415 - OCR tools load only when needed

        records = parse_pdf_any(path, default_tz=default_tz, ocr=ocr)
    elif ext == ".txt":
        from foia.text_release import parse_text_release  # noqa: PLC0415

        records = [parse_text_release(path.read_bytes(), str(path), default_tz)]
    elif ext == ".mbox":
        from foia.mailfiles import read_mbox  # noqa: PLC0415

        records = read_mbox(path)
    elif ext == ".msg":
        from foia.mailfiles import read_msg  # noqa: PLC0415

        records = read_msg(path)
    elif ext in (".pst", ".ost"):
        from foia.mailfiles import read_pst  # noqa: PLC0415

        records = read_pst(path)
    elif ext == ".zip":
        records = _read_zip(path, default_tz, max_bytes, ocr, depth, shown)
    else:
        records = [IngestError(src, f"unsupported format: {ext or 'no extension'}")]
    for rec in records:
        if src != str(path):  # inside an archive: name the member as archive!member
            if isinstance(rec, IngestError):
                rec.source_file = rec.source_file.replace(str(path), src)
            else:
                rec.source_file = rec.source_file.replace(str(path), src)
        yield rec


def _safe_member(name: str) -> bool:
    p = PurePosixPath(name.replace("\\", "/"))
    return not (p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]))


def _read_zip(
    path: Path, default_tz: str, max_bytes: int, ocr: str, depth: int, shown: str
) -> Iterator[Message | IngestError]:
    if depth >= MAX_ZIP_DEPTH:
        yield IngestError(shown, f"zip nested deeper than {MAX_ZIP_DEPTH} levels; not opened")
        return
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield IngestError(shown, "corrupt zip archive", str(exc))
        return
    with zf, tempfile.TemporaryDirectory(prefix="foiatrace-zip-") as tmp:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            name = info.filename
            member = f"{shown}!{name}"
            if info.is_dir():
                continue
            if not _safe_member(name):
                yield IngestError(member, "zip member path escapes the archive (path traversal)")
                continue
            ext = PurePosixPath(name).suffix.lower()
            if ext not in SUPPORTED or PurePosixPath(name).name.startswith("."):
                continue
            if info.file_size > max_bytes:
                yield IngestError(
                    member, f"file too large: {info.file_size / 2**20:.1f} MiB in the archive"
                )
                continue
            if info.flag_bits & 0x1:
                yield IngestError(member, "encrypted zip member: password required")
                continue
            target = Path(tmp) / PurePosixPath(name.replace("\\", "/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src_f, target.open("wb") as out:
                    out.write(src_f.read(max_bytes + 1))
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
                yield IngestError(member, "corrupt zip member", str(exc))
                continue
            yield from _read_one(target, default_tz, max_bytes, ocr, depth + 1, member)
            target.unlink(missing_ok=True)


def iter_production(
    paths: list[Path],
    default_tz: str = DEFAULT_TZ,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ocr: str = "auto",
) -> Iterator[Message | IngestError]:
    """Messages and errors of every file under ``paths``, in sorted, deterministic order.

    Inside folders, files of other extensions are skipped; named explicitly, they are
    reported. ``default_tz`` is the production's zone for printed times that no evidence
    places elsewhere (see :mod:`foia.tzinfer`); ``ocr`` is ``auto`` (OCR pages that have no
    text layer), ``force`` or ``never`` (see :mod:`foia.ocr`).
    """
    for path, explicit in _walk(paths):
        ext = path.suffix.lower()
        if not explicit and ext not in SUPPORTED:
            continue
        if not path.exists():
            yield IngestError(str(path), "no such file or directory")
            continue
        try:
            yield from _read_one(path, default_tz, max_bytes, ocr, 0, str(path))
        except OSError as exc:
            yield IngestError(str(path), f"cannot read file: {exc.strerror or exc}")
        except Exception as exc:  # noqa: BLE001 - last line of defence: report, go on
            yield IngestError(str(path), f"unexpected error: {type(exc).__name__}", str(exc))
