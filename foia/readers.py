"""The formats FOIA intake reads, in one table: extension -> reader function, version, words.

:data:`READERS` is the only list of formats. :mod:`foia.ingest` dispatches on it,
``foiatrace ingest --help`` prints :func:`formats_help` and the README's list of formats is
:func:`readme_formats` (``tests/test_readers.py`` checks both), so the three cannot drift.
A format's own modules (pypdf, extract-msg, libpff, OCR) load only when a file of it appears.

**Versions: nothing read twice.** ``source_files`` records, per production, the sha256 of
each file read and the :func:`version_key` of the reader that read it; the next ingest of
that production skips a file whose bytes and key are both recorded. The key is
``INTAKE_VERSION``, the reader's own ``version`` and the options its output depends on
(``tz``: the zone printed times are read in; ``ocr``: auto|force|never). Bump a reader's
``version`` when a change to it alters the records it gives for the same bytes; bump
``INTAKE_VERSION`` when code that every reader shares does (``foia/threads.py``,
``assemble.py``, ``redactions.py``, ``dates.py``, ``models.py``). Either re-reads those
files on the next run. Quote linking and time-zone inference (``foia/link.py``,
``foia/tzinfer.py``) need no bump: they run over the whole production on every ingest.
An archive's key names every reader its members may need, so bumping any re-opens it
(members whose own bytes and key are recorded are still skipped).
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from foia import limits
from foia.models import IngestError, Message

INTAKE_VERSION = 1  # code shared by every reader; see the module docstring


@dataclass(frozen=True)
class ReadOptions:
    """What a reader may depend on besides the file's bytes."""

    tz: str  # zone of printed times that no evidence places elsewhere (foia.tzinfer)
    ocr: str = "auto"  # auto | force | never (foia.pdf_reader)
    max_bytes: int = 128 * 2**20  # one file's size limit (archive members too)


@dataclass(frozen=True)
class Member:
    """A file inside an archive, extracted to ``path`` until the archive reader resumes."""

    source: str  # as shown and stored: ``archive.zip!folder/name.eml``
    path: Path


Record = Message | IngestError | Member
ReadFn = Callable[[Path, ReadOptions], Iterable[Record]]


@dataclass(frozen=True)
class Reader:
    """One format: the extensions it claims, its function, version and a one-line description."""

    name: str  # also the ``source_files.kind`` of the files it reads
    extensions: tuple[str, ...]
    read: ReadFn
    version: int
    description: str
    options: tuple[str, ...] = ()  # ReadOptions fields its output depends on
    archive: bool = False  # yields Members, read in turn by their own readers


def _read_eml(path: Path, opts: ReadOptions) -> list[Record]:
    from foia.eml import EmlError, parse_eml  # noqa: PLC0415

    try:
        return [parse_eml(path)]
    except EmlError as exc:
        return [IngestError(str(path), f"broken EML: {exc}")]


def _read_pdf(path: Path, opts: ReadOptions) -> list[Record]:
    from foia.pdf_reader import parse_pdf_any  # noqa: PLC0415 - pypdf/OCR load when needed

    return list(parse_pdf_any(path, default_tz=opts.tz, ocr=opts.ocr))


def _read_text(path: Path, opts: ReadOptions) -> list[Record]:
    from foia.text_release import parse_text_release  # noqa: PLC0415

    return [parse_text_release(path.read_bytes(), str(path), opts.tz)]


def _read_mbox(path: Path, opts: ReadOptions) -> Iterable[Record]:
    from foia.mailfiles import read_mbox  # noqa: PLC0415

    return read_mbox(path)


def _read_msg(path: Path, opts: ReadOptions) -> Iterable[Record]:
    from foia.mailfiles import read_msg  # noqa: PLC0415

    return read_msg(path)


def _read_pst(path: Path, opts: ReadOptions) -> Iterable[Record]:
    from foia.mailfiles import read_pst  # noqa: PLC0415

    return read_pst(path)


def _safe_member(name: str) -> bool:
    p = PurePosixPath(name.replace("\\", "/"))
    return not (p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]))


_RATIO_FLOOR = 2**20  # members under 1 MB may compress well (a page of spaces) without harm


def _member_refusal(info: zipfile.ZipInfo, opts: ReadOptions, total: int) -> str | None:
    """Why a member is not extracted (declared sizes, which zipfile then enforces), or None."""
    if info.file_size > opts.max_bytes:
        why = limits.over("file size", info.file_size / 2**20, opts.max_bytes / 2**20)
        return f"file too large: {why} in the archive"
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _RATIO_FLOOR and ratio > limits.get("zip ratio"):
        return limits.over("zip ratio", ratio) + " (a zip bomb?)"
    cap_mb = limits.get("zip size")
    if (total + info.file_size) / 2**20 > cap_mb:
        return limits.over("zip size", (total + info.file_size) / 2**20, cap_mb)
    if info.flag_bits & 0x1:
        return "encrypted zip member: password required"
    return None


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, cap: int) -> None:
    """Copy one member in 1 MiB chunks, never more than ``cap`` bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zf.open(info) as src_f, target.open("wb") as out:
        while written <= cap and (chunk := src_f.read(min(2**20, cap + 1 - written))):
            out.write(chunk)
            written += len(chunk)


def _zip_members(path: Path, opts: ReadOptions) -> Iterator[Record]:
    """Members one at a time in a temporary folder, never outside it (``../`` and absolute
    names are refused), declared sizes checked before extraction (one member's size, the
    expansion ratio, the archive's total: :mod:`foia.limits`); hidden names ignored. Each
    member stands alone: one that cannot be extracted is its own error, the rest are read."""
    shown = str(path)
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except Exception as exc:  # noqa: BLE001 - BadZipFile, OSError, ValueError on garbage
        yield IngestError(shown, "corrupt zip archive", f"{type(exc).__name__}: {exc}"[:500])
        return
    if len(infos) > limits.get("zip members"):
        zf.close()
        yield IngestError(shown, limits.over("zip members", len(infos)))
        return
    total = 0
    with zf, tempfile.TemporaryDirectory(prefix=limits.temp_prefix("zip")) as tmp:
        for info in sorted(infos, key=lambda i: i.filename):
            name = info.filename
            member = f"{shown}!{name}"
            if info.is_dir():
                continue
            if not _safe_member(name):
                yield IngestError(member, "zip member path escapes the archive (path traversal)")
                continue
            if PurePosixPath(name).name.startswith("."):
                continue
            if reader_for(name) is None:
                yield unsupported(member)
                continue
            refusal = _member_refusal(info, opts, total)
            if refusal:
                yield IngestError(member, refusal)
                continue
            total += info.file_size
            target = Path(tmp) / PurePosixPath(name.replace("\\", "/"))
            try:
                _extract(zf, info, target, opts.max_bytes)
            except Exception as exc:  # noqa: BLE001 - zlib.error, BadZipFile, NotImplemented...
                target.unlink(missing_ok=True)
                yield IngestError(member, "corrupt zip member", f"{type(exc).__name__}: {exc}")
                continue
            yield Member(member, target)
            target.unlink(missing_ok=True)


READERS: tuple[Reader, ...] = (
    # eml/mbox/msg/pst 2: attachments' text is read (foia/attachments.py)
    Reader("eml", (".eml",), _read_eml, 2, "RFC 5322 email files, one message each"),
    Reader("pdf", (".pdf",), _read_pdf, 1,
           "printed productions, Bates-stamped; pages without a text layer are OCR'd",
           options=("tz", "ocr")),
    Reader("mbox", (".mbox",), _read_mbox, 2, "Unix mailboxes, every message in file order"),
    Reader("msg", (".msg",), _read_msg, 2, "Outlook messages, one each"),
    Reader("pst", (".pst", ".ost"), _read_pst, 2, "Outlook mail stores, every folder's messages"),
    Reader("text", (".txt",), _read_text, 1,
           "plain-text releases, one document each, as the State Department publishes them",
           options=("tz",)),
    Reader("zip", (".zip",), _zip_members, 1,
           "zip archives of any of these, nested at most two deep", archive=True),
)  # fmt: skip

BY_EXTENSION: dict[str, Reader] = {ext: r for r in READERS for ext in r.extensions}
BY_NAME: dict[str, Reader] = {r.name: r for r in READERS}


def reader_for(name: str | Path) -> Reader | None:
    """The reader for a file name (by its extension, any case), or None: unsupported."""
    return BY_EXTENSION.get(PurePosixPath(str(name)).suffix.lower())


def unsupported(source: str) -> IngestError:
    """The error for a file no reader claims (named in a folder walk or inside an archive)."""
    ext = PurePosixPath(source.rsplit("!", 1)[-1]).suffix.lower()
    known = " ".join(BY_EXTENSION)
    return IngestError(source, f"unsupported format: {ext or 'no extension'}", f"read: {known}")


def version_key(reader: Reader, opts: ReadOptions) -> str:
    """What ``source_files.reader_version`` records: e.g. ``intake-1 pdf-1 tz=UTC ocr=auto``."""
    if reader.archive:
        inner = ", ".join(version_key(r, opts) for r in READERS if not r.archive)
        return f"intake-{INTAKE_VERSION} {reader.name}-{reader.version} [{inner}]"
    opt = "".join(f" {o}={getattr(opts, o)}" for o in reader.options)
    return f"intake-{INTAKE_VERSION} {reader.name}-{reader.version}{opt}"


def _exts(r: Reader) -> str:
    return " ".join(r.extensions)


def formats_help() -> str:
    """The formats for ``foiatrace ingest --help``, one short clause each."""
    return "; ".join(f"{_exts(r)} ({r.description})" for r in READERS)


def readme_formats() -> str:
    """The README's list of formats (between its ``formats`` markers), one line each."""
    return "\n".join(f"- `{_exts(r)}`: {r.description}" for r in READERS)
