"""Evidence bundles: everything a lawyer hands over, in one folder that checks itself.

``make`` writes the exports (every format, one filter), the archived WARC records of the
article versions matched (each record cut out of its crawl's WARC file as the gzip member it
is, its payload hash checked against the warehouse), the production files the messages were
read from (PDF, EML ...; their sha256 checked against ``emails.source_sha256``), a README and
``manifest.json`` with the sha256 of every file. ``verify`` re-hashes the folder and names
every file that changed, is missing, or is not in the manifest.

With ``redact_names`` (a public bundle) the exports name people outside the agency as
"Person N" (``warehouse/exports/redact.py``), and the originals (production files, archived
pages), which carry the names, are left out unless asked for: the manifest lists their
sha256 so a holder of the originals can still match them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb

from warehouse.export import EXPORTERS, write
from warehouse.exports.core import EvidenceFilter, EvidenceSet, fetch, iso, page_anchor

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1


class BundleError(ValueError):
    """The bundle cannot be made (folder not empty) or read (no manifest)."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return keep.strip("._") or "file"


def gzip_member(path: Path, offset: int) -> bytes:
    """The compressed bytes of the one gzip member (a WARC record) starting at ``offset``."""
    d = zlib.decompressobj(wbits=31)
    taken = bytearray()
    with path.open("rb") as fh:
        fh.seek(offset)
        while not d.eof:
            chunk = fh.read(1 << 16)
            if not chunk:
                raise BundleError(f"{path}: record at {offset} is cut short")
            d.decompress(chunk)
            taken += chunk
    return bytes(taken[: len(taken) - len(d.unused_data)])


def payload_sha256(record_gz: bytes) -> tuple[str | None, str | None]:
    """(WARC-Record-ID, hex sha256 of the HTTP payload as archived) of one record."""
    import io

    from warcio.archiveiterator import ArchiveIterator

    for rec in ArchiveIterator(io.BytesIO(record_gz)):
        rid = rec.rec_headers.get_header("WARC-Record-ID")
        h = hashlib.sha256()
        for chunk in iter(lambda r=rec: r.raw_stream.read(1 << 16), b""):
            h.update(chunk)
        return rid, h.hexdigest()
    return None, None


@dataclass
class BundleResult:
    """What ``make`` wrote and what it could not."""

    directory: Path
    manifest: dict[str, Any]
    rows: int
    warnings: list[str] = field(default_factory=list)

    @property
    def manifest_sha256(self) -> str:
        return sha256_file(self.directory / MANIFEST)


def make(
    con: duckdb.DuckDBPyConnection,
    directory: Path | str,
    filt: EvidenceFilter,
    *,
    archive_dir: Path | str | None,
    redact_names: bool = False,
    include_originals: bool | None = None,
    exported_at: datetime | None = None,
) -> BundleResult:
    """Write a bundle into ``directory`` (new or empty)."""
    out = Path(directory)
    if out.exists() and any(out.iterdir()):
        raise BundleError(f"{out}: not empty; a bundle is written into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    originals = (not redact_names) if include_originals is None else include_originals
    ev = fetch(con, filt, archive_dir=archive_dir, exported_at=exported_at)
    warnings: list[str] = []
    records, sources, withheld = [], [], []

    archive = Path(archive_dir) if archive_dir else None
    done: dict[tuple[str, int | None], str | None] = {}
    for r in ev.rows:
        key = (r["warc_file"], r["warc_offset"])
        if not r["warc_file"]:
            r["_archive_href"] = None
            continue
        if key not in done:
            entry = {
                "warc_file": r["warc_file"],
                "warc_offset": r["warc_offset"],
                "warc_record_id": r["warc_record_id"],
                "warc_sha256": r["warc_sha256"],
                "article_url": r["article_url"],
            }
            done[key] = None
            if not originals:
                withheld.append({"kind": "archived record", **entry})
            else:
                src = (archive / r["warc_file"]) if archive else None
                if src is None or not src.is_file():
                    warnings.append(f"archived copy not found: {r['warc_file']}")
                    records.append({**entry, "file": None, "status": "not found"})
                else:
                    done[key] = _copy_record(src, r, out, entry, records, warnings)
        r["_archive_href"] = done[key]

    done_src: dict[str, str | None] = {}
    for r in ev.rows:
        src_name = r["source_file"]
        if not src_name:
            r["_source_href"] = None
            continue
        if src_name not in done_src:
            entry = {"source_file": src_name, "source_sha256": r["source_sha256"],
                     "production": r["production"]}  # fmt: skip
            done_src[src_name] = None
            if not originals:
                withheld.append({"kind": "production file", **entry})
            else:
                done_src[src_name] = _copy_source(r, out, entry, sources, warnings)
        rel = done_src[src_name]
        r["_source_href"] = rel + page_anchor(r) if rel else None

    if redact_names:
        from warehouse.exports.redact import redact, redactor_for

        ev = redact(ev, redactor_for(con, ev.rows))
    for ex in EXPORTERS.values():
        write(ev, ex.name, out / f"evidence{ex.suffix}")
    (out / "README.txt").write_text(_readme(ev, originals, redact_names), encoding="utf-8")

    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "created_at": iso(ev.exported_at),
        "foiatrace_version": ev.foiatrace_version,
        "warehouse": ev.warehouse,
        "matcher_version": ev.matcher_versions,
        "filters": filt.describe(),
        "rows": len(ev.rows),
        "names_redacted": redact_names,
        "archived_records": records,
        "sources": sources,
        "withheld_originals": withheld,
        "files": {},
    }
    manifest["files"] = {
        rel: {"sha256": sha256_file(out / rel), "bytes": (out / rel).stat().st_size}
        for rel in _listing(out)
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n",
        encoding="utf-8",
    )
    return BundleResult(out, manifest, len(ev.rows), warnings)


def _copy_record(
    src: Path, r: dict[str, Any], out: Path, entry: dict[str, Any], records: list, warnings: list
) -> str | None:
    """Cut the record out of its WARC file (or copy the file when no offset is known)."""
    if r["warc_offset"] is None:
        rel = f"archive/{_safe_name(src.name)}"
        if not (out / rel).exists():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out / rel)
        records.append({**entry, "file": rel, "status": "whole WARC file copied"})
        return rel
    stem = _safe_name(src.name.removesuffix(".warc.gz"))
    rel = f"archive/{stem}-{int(r['warc_offset'])}.warc.gz"
    data = gzip_member(src, int(r["warc_offset"]))
    rid, digest = payload_sha256(data)
    status = "payload sha256 matches"
    if rid != r["warc_record_id"] or (r["warc_sha256"] and digest != r["warc_sha256"]):
        status = f"MISMATCH: record {rid}, payload sha256 {digest}"
        warnings.append(f"{rel}: archived record does not match the warehouse ({status})")
    (out / rel).parent.mkdir(parents=True, exist_ok=True)
    (out / rel).write_bytes(data)
    records.append({**entry, "file": rel, "status": status})
    return rel


def _copy_source(
    r: dict[str, Any], out: Path, entry: dict[str, Any], sources: list, warnings: list
) -> str | None:
    """Copy the production file (the outer archive for ``zip!member``), hash checked."""
    given = str(r["source_file"])
    path = Path(given.split("!", 1)[0])
    if not path.is_file():
        warnings.append(f"production file not found: {given}")
        sources.append({**entry, "file": None, "status": "not found"})
        return None
    digest = sha256_file(path)
    rel = f"sources/{digest[:12]}-{_safe_name(path.name)}"
    if not (out / rel).exists():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out / rel)
    if "!" in given:
        status = "archive holding the member copied"
    elif r["source_sha256"] and digest != r["source_sha256"]:
        status = f"MISMATCH: file now has sha256 {digest}"
        warnings.append(f"{given}: changed since ingest ({status})")
    else:
        status = "sha256 matches ingest"
    sources.append({**entry, "file": rel, "status": status})
    return rel


def _listing(directory: Path) -> list[str]:
    """Every file under ``directory`` but the manifest, as sorted POSIX relative paths."""
    return sorted(
        str(PurePosixPath(*p.relative_to(directory).parts))
        for p in directory.rglob("*")
        if p.is_file() and p.relative_to(directory).as_posix() != MANIFEST
    )


def _readme(ev: EvidenceSet, originals: bool, redacted: bool) -> str:
    s = ev.summary()
    lines = [
        "foiatrace evidence bundle",
        "",
        f"Exported {iso(ev.exported_at)} from {ev.warehouse} (foiatrace {ev.foiatrace_version},"
        f" matcher {', '.join(ev.matcher_versions) or 'none'}).",
        f"Filters: {ev.filter.describe_text()}.",
        f"{s['rows']} evidence rows, {s['disclosures']} disclosures (email message x article).",
        "",
        "evidence.csv/.json/.parquet/.xlsx/.html  the same rows and columns in every format;",
        "                                         evidence.html is the report to read first",
        "archive/   the archived HTTP responses (WARC records) of the article versions matched",
        "sources/   the production files the emails were read from (PDF pages: see #page=N)",
        "manifest.json  sha256 of every file; check with: foiatrace bundle verify DIR",
        "All times are UTC.",
    ]
    if redacted:
        lines += [
            "",
            "Names redacted: people outside the agency (reporters, the people written about,",
            "anyone else) are 'Person N', one number per person across every file. Limits: the",
            "name rule cannot tell a person from a place or an organization it does not know, so",
            "some places are redacted too; a name written in lower case is missed; URLs and",
            "hashes are kept so copies can be checked, and an article's URL may carry a name.",
        ]
        if not originals:
            lines += [
                "The originals (production files, archived pages) carry the names and are not",
                "included; manifest.json lists their sha256 under withheld_originals.",
            ]
    return "\n".join(lines) + "\n"


def verify(directory: Path | str) -> list[str]:
    """Problems found, one per file (empty when every hash matches and nothing is missing
    or extra)."""
    root = Path(directory)
    mpath = root / MANIFEST
    if not mpath.is_file():
        return [f"{MANIFEST}: missing"]
    try:
        files = json.loads(mpath.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError) as exc:
        return [f"{MANIFEST}: unreadable ({exc})"]
    problems = []
    present = set(_listing(root))
    for rel in sorted(files):
        if rel not in present:
            problems.append(f"{rel}: missing")
        elif sha256_file(root / rel) != files[rel].get("sha256"):
            problems.append(f"{rel}: sha256 differs from the manifest (changed)")
    problems += [f"{rel}: not in the manifest (extra file)" for rel in sorted(present - set(files))]
    return problems
