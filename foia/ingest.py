"""Walk a FOIA production (files, folders, zip archives) and yield its messages, never stopping.

A production is whatever an agency sent: loose ``.eml`` files, printed PDFs (text or
scanned), mailbox exports, plain-text releases, and zip archives of any of these. Each file
is read by the reader :mod:`foia.readers` names for its extension; a file that cannot be
read, or that no reader claims (inside a folder or an archive too), becomes an
:class:`~foia.models.IngestError` that names it and says why, and the walk goes on, so one
corrupt PDF never costs a night's ingest. Hidden files (names starting with ``.``) are
not production files and are passed over.

**Incremental.** :func:`iter_files` takes ``known(sha256, version_key)``: a file whose bytes
and reader version are already recorded for the production is hashed, not read (see
:mod:`foia.readers` for what the version key holds and when to bump it).

Guards (:mod:`foia.limits` lists them all): files over ``max_bytes`` are refused unread (a
mis-delivered disk image must not exhaust memory); every file's reader runs in a worker
process with a time and an address-space limit (:mod:`foia.isolate`), so a file that would
hang or balloon the parser costs one error row; zip members are never written outside a
temporary folder (``../`` and absolute names are refused), their declared sizes, expansion
ratio and total are checked before extraction, each member is read on its own (a bad one
is its own error), and archives nest at most two deep. A file that gives nothing at all
(a blank PDF) is an error, never a silent zero.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from foia import limits
from foia.isolate import Outcome, Worker, call_inline, isolation_enabled
from foia.models import IngestError, Message
from foia.pdf import DEFAULT_TZ
from foia.readers import BY_NAME, Member, ReadOptions, reader_for, unsupported, version_key

DEFAULT_MAX_BYTES = int(limits.get("file size") * 1024 * 1024)  # at import; see max_bytes

Known = Callable[[str, str], bool]  # (sha256, reader version key) -> already read?


@dataclass
class FileResult:
    """One file of the walk (an archive's member too) and what became of it.

    ``status``: ``read``; ``skipped`` (its bytes and reader version are recorded, nothing
    read); ``refused`` (missing, unsupported, empty, too large, nested too deep). ``complete``
    says whether ``source_files`` may record it so the next run skips it: a file that gave
    only errors is tried again (installing OCR or raising the size limit may fix it), and an
    archive is recorded only when it and all its members were.
    """

    source: str  # path as given; ``archive.zip!member`` inside an archive
    status: str = "refused"
    reader: str | None = None
    version: str | None = None
    sha256: str | None = None
    size: int = 0
    records: list[Message | IngestError] = field(default_factory=list)
    complete: bool = False
    seconds: float = 0.0  # parse time (0 for archives: their members carry theirs)
    peak_kb: int = 0  # peak resident memory of the worker while parsing it (0: not measured)

    @property
    def messages(self) -> int:
        return sum(1 for r in self.records if isinstance(r, Message))


def _walk(paths: Iterable[Path]) -> Iterator[Path]:
    """Every file under ``paths`` in sorted order; folders are walked recursively."""
    for root in sorted(Path(p) for p in paths):
        if root.is_dir():
            found: list[Path] = []
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                found.extend(Path(dirpath) / f for f in filenames if not f.startswith("."))
            yield from sorted(found)
        else:
            yield root


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _run_reader(name: str, path: Path, opts: ReadOptions) -> list[Message | IngestError]:
    """One file's records, and an error row for each limit its reader hit (a cut header, a
    cut body, quotes left unsplit: :func:`foia.limits.note`); runs in the worker process."""
    with limits.collect() as notes:
        records: list[Message | IngestError] = list(BY_NAME[name].read(path, opts))
    return records + [IngestError(str(path), n) for n in dict.fromkeys(notes)]


def _parse(path: Path, shown: str, name: str, opts: ReadOptions, worker: Worker | None) -> Outcome:
    if worker is None:
        return call_inline(shown, _run_reader, name, path, opts)
    return worker.call(shown, _run_reader, name, path, opts)


def _read_file(
    path: Path,
    shown: str,
    opts: ReadOptions,
    known: Known | None,
    depth: int,
    worker: Worker | None = None,
) -> Iterator[FileResult]:
    """Results of one file: an archive's members first, then the archive itself."""
    res = FileResult(shown)
    reader = reader_for(path.name)
    if reader is None:
        res.records.append(unsupported(shown))
        yield res
        return
    res.reader = reader.name
    max_depth = limits.get_int("zip depth")
    try:
        res.size = size = path.stat().st_size
        if size > opts.max_bytes:
            why = limits.over("file size", size / 2**20, opts.max_bytes / 2**20)
            res.records.append(IngestError(
                shown, f"file too large: {why}",
                "raise the limit with FOIATRACE_MAX_FILE_MB or ingest(max_bytes=...)",
            ))  # fmt: skip
        elif size == 0:
            res.records.append(IngestError(shown, "empty file (0 bytes)"))
        elif reader.archive and depth >= max_depth:
            res.records.append(IngestError(
                shown, f"zip nested deeper than {max_depth} levels; not opened "
                f"({limits.over('zip depth', depth + 1)})",
            ))  # fmt: skip
        else:
            res.version = version_key(reader, opts)
            res.sha256 = _sha256(path)
    except OSError as exc:
        res.records.append(IngestError(shown, f"cannot read file: {exc.strerror or exc}"))
    if res.sha256 is None:
        yield res
        return
    if known is not None and res.version is not None and known(res.sha256, res.version):
        res.status = "skipped"
        yield res
        return
    res.status = "read"
    members_complete = True
    if reader.archive:  # extraction is bounded by declared sizes; members go to the worker
        try:
            for rec in reader.read(path, opts):
                if isinstance(rec, Member):
                    member = rec.source.replace(str(path), shown, 1)
                    for sub in _read_file(rec.path, member, opts, known, depth + 1, worker):
                        members_complete &= sub.complete or sub.status == "skipped"
                        yield sub
                else:
                    res.records.append(rec)
        except OSError as exc:
            res.records.append(IngestError(shown, f"cannot read file: {exc.strerror or exc}"))
        except Exception as exc:  # noqa: BLE001 - last line of defence: report, go on
            res.records.append(
                IngestError(shown, f"unexpected error: {type(exc).__name__}", str(exc))
            )
    else:
        out = _parse(path, shown, reader.name, opts, worker)
        res.records.extend(out.records)
        res.seconds, res.peak_kb = out.seconds, out.peak_kb
        if not res.records:
            res.records.append(IngestError(
                shown, "nothing read: the file gives no message (a blank document?)"
            ))  # fmt: skip
    if shown != str(path):  # inside an archive: name the member as archive!member
        for r in res.records:
            r.source_file = r.source_file.replace(str(path), shown)
    errors = any(isinstance(r, IngestError) for r in res.records)
    if reader.archive:
        res.complete = members_complete and not errors
    else:
        res.complete = not errors or res.messages > 0
    yield res


def iter_files(
    paths: list[Path],
    default_tz: str = DEFAULT_TZ,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ocr: str = "auto",
    known: Known | None = None,
) -> Iterator[FileResult]:
    """Every file under ``paths`` (archive members too), in sorted, deterministic order,
    with its records; files ``known`` says were read already are skipped, not read.

    ``default_tz`` is the production's zone for printed times that no evidence places
    elsewhere (see :mod:`foia.tzinfer`); ``ocr`` is ``auto`` (OCR pages that have no text
    layer), ``force`` or ``never`` (see :mod:`foia.pdf_reader`).
    """
    opts = ReadOptions(default_tz, ocr, max_bytes)
    worker = Worker() if isolation_enabled() else None
    try:
        for path in _walk(paths):
            if not path.exists():
                missing = IngestError(str(path), "no such file or directory")
                yield FileResult(str(path), records=[missing])
                continue
            yield from _read_file(path, str(path), opts, known, 0, worker)
    finally:
        if worker is not None:
            worker.close()


def iter_production(
    paths: list[Path],
    default_tz: str = DEFAULT_TZ,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ocr: str = "auto",
) -> Iterator[Message | IngestError]:
    """Messages and errors of every file under ``paths`` (all read; see :func:`iter_files`)."""
    for result in iter_files(paths, default_tz, max_bytes=max_bytes, ocr=ocr):
        yield from result.records
