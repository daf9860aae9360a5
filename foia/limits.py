"""Every intake limit in one table: what it bounds, its default and its ``FOIATRACE_*`` variable.

Productions are untrusted input: a hostile or broken file must cost a bounded time and
memory, never the night's run. The defaults are far above anything a real production has
shown (the Clinton release's largest document, a 2,000-message mbox, a 300-page scan), so
they only ever stop garbage; each is overridable by its environment variable, read when a
file is read (a test or an operator can change it without a restart).

A limit hit is never silent: it becomes an ``errors`` row naming the file and the limit,
worded by :func:`over` (``over limit: header 512 KB > 256 KB (FOIATRACE_MAX_HEADER_KB)``),
and what can still be read of the file is read (a cut header, the pages with text).

Temporary folders: everything intake writes to disk lives in folders named
``foiatrace-<pid>-...`` under :func:`tempfile.gettempdir`; :func:`clean_stale_temp` (run at
the start of every ingest) removes those whose process is gone, the leftovers of killed runs.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Limit:
    """One bound: its name in reasons, environment variable, default, unit and what it caps."""

    name: str
    env: str
    default: float
    unit: str
    what: str
    action: str  # what happens when a file is over it


LIMITS: tuple[Limit, ...] = (
    Limit("file size", "FOIATRACE_MAX_FILE_MB", 128, "MB",
          "one file's size (an archive's member too)", "refused unread"),
    Limit("parse time", "FOIATRACE_PARSE_TIMEOUT_S", 900, "s",
          "one file's parse (OCR included), in its worker process", "worker killed; error row"),
    Limit("parse memory", "FOIATRACE_PARSE_MEMORY_MB", 4096, "MB",
          "address space of the worker process that parses one file", "parse stopped; error row"),
    Limit("header", "FOIATRACE_MAX_HEADER_KB", 1024, "KB",
          "an email's whole header block, checked before Python's email parser",
          "message refused"),
    Limit("header field", "FOIATRACE_MAX_HEADER_FIELD_KB", 32, "KB",
          "one header field (Subject, References ...), checked before the email parser",
          "field cut to the limit"),
    Limit("addresses", "FOIATRACE_MAX_ADDRESSES", 1000, "",
          "addresses in one To/Cc/Bcc field", "the first ones kept"),
    Limit("MIME parts", "FOIATRACE_MAX_MIME_PARTS", 2000, "",
          "Content-Type headers in one message (nested message/rfc822 loops)",
          "message refused"),
    Limit("body", "FOIATRACE_MAX_BODY_KB", 4096, "KB",
          "one message's body text", "body cut to the limit"),
    Limit("quote depth", "FOIATRACE_MAX_QUOTE_DEPTH", 64, "",
          "nesting of quoted messages split apart", "deeper quotes kept unsplit"),
    Limit("zip members", "FOIATRACE_MAX_ZIP_MEMBERS", 100_000, "",
          "files in one zip archive", "archive refused"),
    Limit("zip size", "FOIATRACE_MAX_ZIP_TOTAL_MB", 4096, "MB",
          "an archive's members' uncompressed size, all together", "later members refused"),
    Limit("zip ratio", "FOIATRACE_MAX_ZIP_RATIO", 200, "x",
          "uncompressed / compressed size of a member over 1 MB (a zip bomb)",
          "member refused"),
    Limit("zip depth", "FOIATRACE_MAX_ZIP_DEPTH", 2, "",
          "zips inside zips", "deeper archive refused"),
    Limit("OCR pages", "FOIATRACE_MAX_OCR_PAGES", 500, "",
          "pages of one PDF that need OCR (blank pages are not counted)",
          "no OCR; pages with text still read"),
    # Two jobs OCR a 12-page scan of drawings in 32 s at 0.92 GB, one in 44 s at 0.52 GB:
    # a nightly run has time, and one file must stay far under the parse memory limit.
    Limit("OCR jobs", "FOIATRACE_OCR_JOBS", 1, "",
          "pages OCR'd at once for one PDF (tesseract processes)",
          "more jobs: faster, more memory"),
)  # fmt: skip

BY_NAME: dict[str, Limit] = {lim.name: lim for lim in LIMITS}


def get(name: str) -> float:
    """The limit's value now: its environment variable if set (and a number), else the default."""
    lim = BY_NAME[name]
    raw = os.environ.get(lim.env)
    if raw:
        try:
            return float(raw)
        except ValueError:
            pass
    return lim.default


def get_int(name: str) -> int:
    return int(get(name))


def _fmt(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
    if unit == "x":
        return f"{text}x"
    return f"{text} {unit}".strip()


def over(name: str, value: float | None, limit: float | None = None, what: str = "") -> str:
    """The reason of a limit hit, naming the limit and its variable:
    ``over limit: header 512 KB > 256 KB (FOIATRACE_MAX_HEADER_KB)`` (``value`` None: unknown
    by how much)."""
    lim = BY_NAME[name]
    cap = get(name) if limit is None else limit
    label = f"{lim.name} {what}".strip()
    shown = "" if value is None else f" {_fmt(value, lim.unit)}"
    return f"over limit: {label}{shown} > {_fmt(cap, lim.unit)} ({lim.env})"


def readme_table() -> str:
    """The limits as a Markdown table (for the README)."""
    rows = ["| limit | variable | default | what it bounds | when over |", "|---|---|---|---|---|"]
    for lim in LIMITS:
        rows.append(
            f"| {lim.name} | `{lim.env}` | {_fmt(lim.default, lim.unit)} | {lim.what} "
            f"| {lim.action} |"
        )
    return "\n".join(rows)


# --------------------------------------------------------------------------- notes

_COLLECTORS: list[list[str]] = []


def note(reason: str) -> None:
    """Record a limit hit deep inside a reader (a cut body, quotes left unsplit); the reader's
    caller turns the notes of one file into ``errors`` rows (:func:`collect`). Outside a
    collector (a direct ``parse_eml`` call) the note is logged."""
    if _COLLECTORS:
        _COLLECTORS[-1].append(reason)
    else:
        logging.getLogger("foiatrace").warning("intake: %s", reason)


@contextmanager
def collect() -> Iterator[list[str]]:
    """Collect the :func:`note` calls made while one file is read."""
    found: list[str] = []
    _COLLECTORS.append(found)
    try:
        yield found
    finally:
        _COLLECTORS.remove(found)


# --------------------------------------------------------------------------- temp folders

TEMP_PREFIX = "foiatrace-"
_OWNED_RE = re.compile(r"^foiatrace-(\d+)-")
_LEGACY_MAX_AGE_S = 24 * 3600  # folders of older versions carry no pid: removed after a day


def temp_prefix(kind: str) -> str:
    """Prefix of a temporary folder this process owns: ``foiatrace-<pid>-<kind>-``."""
    return f"{TEMP_PREFIX}{os.getpid()}-{kind}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def clean_stale_temp(root: str | Path | None = None) -> list[str]:
    """Remove intake's temporary folders left by processes that are gone (killed runs);
    returns their names. A live process's folders (a concurrent ingest) are left alone."""
    base = Path(root or tempfile.gettempdir())
    removed: list[str] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        name = entry.name
        if not name.startswith(TEMP_PREFIX) or entry.is_symlink():
            continue
        m = _OWNED_RE.match(name)
        try:
            if m:
                stale = int(m[1]) != os.getpid() and not _alive(int(m[1]))
            else:
                stale = now - entry.stat().st_mtime > _LEGACY_MAX_AGE_S
        except OSError:
            continue
        if not stale:
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(name)
    return removed
