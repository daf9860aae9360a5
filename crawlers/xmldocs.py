"""Safe, forgiving XML parsing for sitemaps and feeds.

Real sitemaps and feeds arrive gzipped, with a BOM, with stray bytes or undeclared
namespace prefixes. The parser recovers from what it can, never resolves entities or
fetches DTDs (no XXE), and callers match elements by local name so that namespace
variants (sitemaps 0.9 vs. none, Atom 0.3 vs. 1.0) read the same.
"""

from __future__ import annotations

import gzip
import zlib

from lxml import etree

_PARSER_OPTS = {
    "recover": True,
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def parse_xml(data: bytes) -> etree._Element:
    """Parse bytes (gzip transparently) to an lxml root; ValueError when not XML at all."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"corrupt gzip data: {exc}") from exc
    data = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not data:
        raise ValueError("empty document")
    root = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTS))
    if root is None:
        raise ValueError("not an XML document")
    return root


def local(el: etree._Element) -> str:
    """Local name of an element, lower-cased, without its namespace."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return etree.QName(tag).localname.lower()


def prefix(el: etree._Element) -> str:
    """Namespace prefix of an element ('' when none), to tell news:title from title."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    if el.prefix:
        return el.prefix.lower()
    if ":" in tag and not tag.startswith("{"):
        return tag.split(":", 1)[0].lower()
    return ""


def children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if local(c) == name]


def child_text(el: etree._Element, name: str) -> str | None:
    """Stripped text of the first direct child with this local name (None when empty)."""
    for c in el:
        if local(c) == name:
            text = "".join(c.itertext()).strip()
            return text or None
    return None


def descendant_text(el: etree._Element, name: str, ns_hint: str | None = None) -> str | None:
    """First descendant with this local name (and, if given, a namespace containing hint)."""
    for c in el.iter():
        if local(c) != name:
            continue
        if ns_hint is not None:
            ns = etree.QName(c.tag).namespace or ""
            if ns_hint not in ns and prefix(c) != ns_hint:
                continue
        text = "".join(c.itertext()).strip()
        if text:
            return text
    return None
