"""Package a crawl run's WARC into a WACZ (Web Archive Collection Zipped, spec 1.1.1).

A WACZ is a plain zip that carries the WARC with its own index and a manifest of
sha256 hashes, so one file can be handed over, checked and replayed
(ReplayWeb.page, pywb) without the warehouse:

- ``archive/<run>.warc.gz``: the run's WARC, byte for byte, stored (not deflated) so
  that a CDXJ offset is also an offset inside the zip member;
- ``indexes/index.cdx``: CDXJ lines ``<surt> <timestamp> {json}``, sorted, with the
  record's ``offset``, ``length``, ``filename``, ``digest``, ``status``, ``mime``;
- ``pages/pages.jsonl``: the HTML pages served with status 200 (the articles);
- ``datapackage.json``: every file above with ``bytes`` and ``hash`` (``sha256:<hex>``);
- ``datapackage-digest.json``: the sha256 of ``datapackage.json`` itself.

The zip is written as ``<name>.wacz.open`` and renamed when complete, so a ``.wacz``
that exists is whole. No third-party package is needed (``wacz`` on PyPI pulls in
frictionless and chardet, which would change ``requests``' encoding detection).
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import json
import re
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

WACZ_VERSION = "1.1.1"
SOFTWARE = "foiatrace (crawlers.wacz)"
INDEX_PATH = "indexes/index.cdx"
PAGES_PATH = "pages/pages.jsonl"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class WaczError(ValueError):
    """A WACZ that does not verify (missing file, size or hash mismatch, bad manifest)."""


def surt(url: str) -> str:
    """Sort-friendly URI Reordering Transform, as the IA ``surt`` package writes it.

    ``https://www.Example.com:8443/A/b/?y=2&x=1`` -> ``com,example:8443)/a/b?x=1&y=2``;
    IP addresses are kept in order, default ports and a leading ``www.`` dropped.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        key = host
    except ValueError:
        host = re.sub(r"^www\d*\.", "", host)
        key = ",".join(reversed(host.split(".")))
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        key += f":{port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = "&".join(sorted(q for q in parts.query.split("&") if q))
    return (f"{key})" + path + (f"?{query}" if query else "")).lower()


def _timestamp(warc_date: str) -> str:
    """``2021-03-04T12:00:00Z`` (WARC-Date) -> ``20210304120000`` (CDX)."""
    return re.sub(r"\D", "", warc_date)[:14].ljust(14, "0")


@dataclass
class IndexedRecord:
    """One CDXJ line of a WACZ index."""

    key: str
    timestamp: str
    fields: dict[str, Any]

    @property
    def line(self) -> str:
        return f"{self.key} {self.timestamp} {json.dumps(self.fields, sort_keys=True)}"

    @classmethod
    def parse(cls, line: str) -> IndexedRecord:
        key, timestamp, data = line.split(" ", 2)
        return cls(key, timestamp, json.loads(data))


def index_warc(path: Path, filename: str | None = None) -> list[IndexedRecord]:
    """CDXJ entries of every response record of a (per-record gzip) WARC file."""
    entries = []
    name = filename or path.name
    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            if record.rec_type not in ("response", "resource", "revisit"):
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            http = record.http_headers
            fields: dict[str, Any] = {
                "url": url,
                "digest": record.rec_headers.get_header("WARC-Payload-Digest") or "",
                "filename": name,
                "recordId": record.rec_headers.get_header("WARC-Record-ID") or "",
            }
            if http is not None:
                fields["status"] = http.get_statuscode()
                mime = (http.get_header("Content-Type") or "").split(";")[0].strip()
                fields["mime"] = mime or "unk"
            record.content_stream().read()  # consume, so the length is known
            fields["offset"] = str(it.get_record_offset())
            fields["length"] = str(it.get_record_length())
            entries.append(
                IndexedRecord(
                    surt(url), _timestamp(record.rec_headers.get_header("WARC-Date")), fields
                )
            )
    entries.sort(key=lambda e: (e.key, e.timestamp, int(e.fields["offset"])))
    return entries


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_wacz(
    warc: Path,
    out: Path | None = None,
    *,
    titles: Mapping[str, str | None] | None = None,
    title: str | None = None,
) -> Path:
    """Package ``warc`` into ``out`` (default: the WARC's name with ``.wacz``).

    ``titles`` (fetched URL -> page title) labels the pages list.
    """
    warc = Path(warc)
    out = Path(out) if out else warc.with_name(warc.name.removesuffix(".warc.gz") + ".wacz")
    entries = index_warc(warc)
    index = "".join(e.line + "\n" for e in entries).encode("utf-8")
    pages = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    seen_pages: set[str] = set()
    for e in sorted(entries, key=lambda e: (e.timestamp, int(e.fields["offset"]))):
        url = e.fields["url"]
        if e.fields.get("status") != "200" or "html" not in e.fields.get("mime", ""):
            continue
        if url in seen_pages:
            continue
        seen_pages.add(url)
        ts = datetime.strptime(e.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        page: dict[str, Any] = {
            "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{url} {e.timestamp}").hex,
            "url": url,
            "ts": ts.isoformat().replace("+00:00", "Z"),
        }
        if titles and titles.get(url):
            page["title"] = titles[url]
        pages.append(json.dumps(page, ensure_ascii=False))
    pages_bytes = ("\n".join(pages) + "\n").encode("utf-8")

    resources: list[dict[str, Any]] = []
    tmp = out.with_name(out.name + ".open")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        # the WARC is streamed in, hashed on the way
        digest = hashlib.sha256()
        size = 0
        with warc.open("rb") as src, zf.open(f"archive/{warc.name}", "w", force_zip64=True) as dst:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        resources.append(
            {
                "name": warc.name.lower(),
                "path": f"archive/{warc.name}",
                "hash": "sha256:" + digest.hexdigest(),
                "bytes": size,
            }
        )
        for path, data in ((INDEX_PATH, index), (PAGES_PATH, pages_bytes)):
            zf.writestr(path, data)
            resources.append(
                {
                    "name": path.rsplit("/", 1)[-1],
                    "path": path,
                    "hash": _sha256(data),
                    "bytes": len(data),
                }
            )
        package = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": title or warc.name.removesuffix(".warc.gz"),
            "software": SOFTWARE,
            "created": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "resources": resources,
        }
        package_bytes = json.dumps(package, indent=2).encode("utf-8")
        zf.writestr("datapackage.json", package_bytes)
        zf.writestr(
            "datapackage-digest.json",
            json.dumps({"path": "datapackage.json", "hash": _sha256(package_bytes)}, indent=2),
        )
    tmp.replace(out)
    return out


def verify_wacz(path: Path) -> dict[str, Any]:
    """Check the zip, the manifest and every file's size and sha256; the datapackage.

    Raises ``WaczError`` naming the first problem found.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise WaczError(f"{path}: not a zip: {exc}") from exc
    with zf:
        bad = zf.testzip()
        if bad is not None:
            raise WaczError(f"{path}: corrupt member {bad}")
        names = set(zf.namelist())
        for required in ("datapackage.json", INDEX_PATH, PAGES_PATH):
            if required not in names:
                raise WaczError(f"{path}: missing {required}")
        package_bytes = zf.read("datapackage.json")
        package = json.loads(package_bytes)
        if package.get("wacz_version") != WACZ_VERSION:
            raise WaczError(f"{path}: wacz_version {package.get('wacz_version')!r}")
        if "datapackage-digest.json" in names:
            digest = json.loads(zf.read("datapackage-digest.json"))
            if digest.get("hash") != _sha256(package_bytes):
                raise WaczError(f"{path}: datapackage.json does not match its digest")
        listed = set()
        for res in package.get("resources", []):
            member = res["path"]
            listed.add(member)
            if member not in names:
                raise WaczError(f"{path}: {member} is listed but missing")
            h = hashlib.sha256()
            size = 0
            with zf.open(member) as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
                    size += len(chunk)
            if res.get("bytes") != size or res.get("hash") != "sha256:" + h.hexdigest():
                raise WaczError(f"{path}: {member} does not match datapackage.json")
        unlisted = names - listed - {"datapackage.json", "datapackage-digest.json"}
        if unlisted:
            raise WaczError(f"{path}: files not in datapackage.json: {sorted(unlisted)}")
        if not any(n.startswith("archive/") for n in listed):
            raise WaczError(f"{path}: no archive/ file")
    return package


def lookup(path: Path, url: str) -> list[IndexedRecord]:
    """Index entries for ``url`` (oldest first), found by its SURT key in the CDXJ index."""
    key = surt(url)
    with zipfile.ZipFile(path) as zf:
        lines = zf.read(INDEX_PATH).decode("utf-8").splitlines()
    found = [IndexedRecord.parse(line) for line in lines if line.startswith(key + " ")]
    return [e for e in found if e.key == key]


@dataclass
class ArchivedResponse:
    """One WARC record read back out of a WACZ."""

    record_id: str
    target_uri: str
    payload_digest: str
    payload: bytes  # the HTTP payload as archived (what ``warc_sha256`` covers)


def read_record(path: Path, entry: IndexedRecord) -> ArchivedResponse:
    """Read the record an index entry points at, straight from the zip member."""
    offset, length = int(entry.fields["offset"]), int(entry.fields["length"])
    with zipfile.ZipFile(path) as zf, zf.open(f"archive/{entry.fields['filename']}") as fh:
        fh.seek(offset)
        chunk = fh.read(length)
    record = next(iter(ArchiveIterator(io.BytesIO(chunk), check_digests=True)))
    return ArchivedResponse(
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        target_uri=record.rec_headers.get_header("WARC-Target-URI"),
        payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
        payload=record.raw_stream.read(),
    )


def unpackaged(directory: Path) -> Iterator[Path]:
    """Closed WARC files of ``directory`` that have no WACZ yet."""
    for warc in sorted(Path(directory).glob("*.warc.gz")):
        if not warc.with_name(warc.name.removesuffix(".warc.gz") + ".wacz").exists():
            yield warc
