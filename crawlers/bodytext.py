"""Turn a fetched page's bytes into text honestly, or say why it is not text.

Scrapy decodes a ``text/html`` body with the declared charset and quietly replaces
what does not decode with U+FFFD; random bytes served as ``text/html`` then become a long
"article" and a Latin-1 page declared UTF-8 is stored with holes in every accented word.
Here a body is decoded strictly, in the browser's order of authority (byte order mark,
HTTP ``charset``, ``<meta charset>``, UTF-8 by default).

When the declared charset does not decode, the page is *decoded by detection* rather
than rejected, and the fact is recorded (``Decoded.note``, stored on the article item as
``charset_note`` and logged): a news site whose CMS says UTF-8 but sends Windows-1252 is
a common misconfiguration, and rejecting it would lose real articles. Detection is a
fixed, explainable chain, not a statistical guess: the other declared charset (meta vs
HTTP), then UTF-8 when most non-ASCII bytes form valid UTF-8 (a few stray bytes are
replaced and counted in the note), then Windows-1252 (the superset of Latin-1 that
browsers use for it). A body that none of these decode, or whose text is binary (NUL
bytes, or more than 1% control characters), is rejected with a reason: it is not a page.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
# C0 controls other than tab, LF, FF, CR; DEL; C1 controls (what Latin-1 makes of binary)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels browsers decode as Windows-1252 (WHATWG Encoding): "latin-1" pages use its quotes.
_AS_CP1252 = {"latin-1", "iso8859-1", "ascii", "cp1252"}
MAX_CONTROL_SHARE = 0.01
MIN_CONTROL_CHARS = 8  # a few stray control characters in a short page are not binary
NUL_WINDOW = 8000  # git's binary heuristic: a NUL in the first 8000 characters


def _c1_for_undefined(exc: UnicodeError) -> tuple[str, int]:
    """Windows-1252's five undefined bytes become C1 controls, as in browsers (WHATWG)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("foiatrace-c1", _c1_for_undefined)


def _decode(body: bytes, codec: str) -> str:
    """Strict decoding, except Windows-1252 decoded as browsers do (never fails)."""
    return body.decode(codec, "foiatrace-c1" if codec == "cp1252" else "strict")


class NotText(ValueError):
    """The body is not text in any charset it claims or that detection allows."""


@dataclass
class Decoded:
    """A decoded body; ``note`` says how, when it was not the declared charset."""

    text: str
    encoding: str
    note: str | None = None


def _codec(label: str | bytes | None) -> str | None:
    """Python's codec name for a charset label, None when unknown."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    return "cp1252" if name in _AS_CP1252 else name


def header_charset(content_type: str) -> str | None:
    """The ``charset`` parameter of a Content-Type header value."""
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def binary_reason(text: str) -> str | None:
    """Why decoded text is really binary (NUL bytes, many control characters), or None."""
    if "\x00" in text[:NUL_WINDOW]:
        return "not text: NUL bytes in the body (binary data)"
    _, controls = _CONTROL.subn("", text)
    if controls >= MIN_CONTROL_CHARS and controls > MAX_CONTROL_SHARE * len(text):
        share = 100.0 * controls / max(len(text), 1)
        return f"not text: {share:.0f}% control characters (binary data)"
    return None


def _mostly_utf8(body: bytes) -> tuple[str, int] | None:
    """UTF-8 text with stray bytes replaced, when valid multi-byte sequences outnumber
    the invalid ones (a UTF-8 page with a few corrupt bytes); else None."""
    text = body.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd")
    bad = replaced - body.count(b"\xef\xbf\xbd")  # U+FFFD already in the page are not ours
    valid = len(text) - len(text.encode("ascii", "ignore")) - replaced
    if bad > 0 and valid >= 4 * bad:
        return text, bad
    return None


def decode_body(body: bytes, content_type: str = "") -> Decoded:
    """Decode a page body strictly (see the module docstring); NotText when impossible."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            try:
                decoded = Decoded(_decode(body[len(bom) :], codec), codec)
            except UnicodeDecodeError as exc:
                raise NotText(f"not text: byte order mark says {codec}, but {exc.reason}") from exc
            return _checked(decoded)
    from_header = _codec(header_charset(content_type))
    meta = _META_CHARSET.search(body[:4096])
    from_meta = _codec(meta.group(1)) if meta else None
    if from_meta and from_meta.startswith(("utf-16", "utf-32")):
        from_meta = "utf-8"  # a meta tag readable as ASCII cannot be UTF-16 (WHATWG)
    declared = from_header or from_meta
    source = "HTTP header" if from_header else "meta charset"
    first = declared or "utf-8"
    try:
        return _checked(Decoded(_decode(body, first), first))
    except UnicodeDecodeError:
        pass
    said = f"declared {first} ({source}) does not decode" if declared else "not utf-8"
    tried = [first]
    for codec in (from_meta, "utf-8"):
        if codec and codec not in tried:
            tried.append(codec)
            try:
                return _checked(Decoded(_decode(body, codec), codec, f"{said}; decoded as {codec}"))
            except UnicodeDecodeError:
                continue
    mostly = _mostly_utf8(body)
    if mostly is not None:
        text, bad = mostly
        where = (
            f"declared utf-8 ({source})"
            if declared == "utf-8"
            else f"{said}; decoded as utf-8"
            if declared
            else "no charset declared, utf-8"
        )
        note = f"{where}: {bad} invalid byte sequence(s) replaced by U+FFFD"
        return _checked(Decoded(text, "utf-8", note))
    # the last resort decodes any bytes; binary junk is caught by the control-character test
    return _checked(Decoded(_decode(body, "cp1252"), "cp1252", f"{said}; decoded as cp1252"))


def _checked(decoded: Decoded) -> Decoded:
    reason = binary_reason(decoded.text)
    if reason:
        raise NotText(reason)
    return decoded
