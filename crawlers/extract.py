"""Article extraction from one HTML page: metadata from structured data, body via trafilatura.

Dates come from the most explicit source a page offers, in this order: JSON-LD
(``datePublished``/``dateModified``, plain or inside a Yoast-style ``@graph``), Open Graph
``article:*_time`` meta, schema.org microdata, and only then htmldate's heuristics; the
source is reported so a caller can prefer a sitemap date over a heuristic one. The body
is trafilatura's main-text extraction (no comments; tables kept) flattened to paragraphs
separated by a blank line, whitespace collapsed like a browser would show it: that is
the text the matcher sees and that evidence quotes are checked against.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from crawlers.dates import iso_utc

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 40  # below this a "body" is a stub, a consent wall or a listing fragment

_WS = re.compile(r"\s+")
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)

# Containers whose paragraphs are never article body (used only by the fallback).
_SKIP_TAGS = {
    "head", "script", "style", "noscript", "template", "nav", "header", "footer", "aside",
    "form", "figure", "figcaption", "button", "svg", "iframe", "select", "textarea",
}  # fmt: skip
_SKIP_ATTR = re.compile(
    r"related|newsletter|comment|promo|trending|most-?read|mostpopular|sidebar|signup|"
    r"share|widget|story-alsos|subscribe|advert|social|byline|caption|breadcrumb|footer",
    re.I,
)

# Body paragraphs that point elsewhere (inline "READ MORE:" links) or mark an ad slot: the
# matcher must not read another article's headline as this article's content.
_TEASER_LABEL = re.compile(
    r"^(read more|related|related stories?|related coverage|also read|read also|see also|"
    r"more|more coverage|watch|listen|previously|recommended)\s*[:\u2014\u2013>|-]",
    re.I,
)
_AD_LABEL = re.compile(
    r"^(advertisement|advertising|sponsored( content)?|story continues below( advertisement)?|"
    r"ad|continue reading( below)?)$",
    re.I,
)
MAX_TEASER_WORDS = 30

_ARTICLE_TYPES = re.compile(r"(Article|BlogPosting|Report|Posting)$", re.I)

_META_PUBLISHED = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "datepublished", "pubdate", "publishdate", "publish-date", "publish_date",
    "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued", "date",
)  # fmt: skip
_META_MODIFIED = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified",
    "lastmod", "last-modified", "dcterms.modified", "dc.date.modified",
)  # fmt: skip


def _clean(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


def decode_html(data: bytes | str) -> str:
    """Bytes to text: BOM, then a meta charset, then UTF-8, then cp1252 (never fails)."""
    if isinstance(data, str):
        return data
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    candidates = []
    match = _CHARSET.search(data[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", "ignore"))
    candidates += ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _parse(html: str) -> tuple[lxml.html.HtmlElement, lxml.html.HtmlElement | str]:
    """The page's tree, and what trafilatura is given: the tree its own loader makes of
    the page (trafilatura copies it before cleaning), read by the metadata code too, so
    that a page is parsed once; the page itself, parsed here, when that loader gives up."""
    if "<" not in html or not _HTML_TAG.search(html):
        raise ValueError("not an HTML page")
    from trafilatura.utils import load_html

    shared = load_html(html)
    if isinstance(shared, lxml.html.HtmlElement) and shared.tag == "html":
        return shared, shared
    try:
        # lxml refuses str input that carries an XML encoding declaration
        html = _XML_DECL.sub("", html)
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ValueError(f"unparseable HTML: {exc}") from exc
    return tree, html


_HTML_TAG = re.compile(r"<\s*(html|body|head|p|div|article)\b", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


# --- structured metadata -------------------------------------------------------------


def _jsonld_nodes(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON object of every JSON-LD block, flattened through @graph and nesting."""
    nodes: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            nodes.append(value)
            for v in value.values():
                if isinstance(v, dict | list):
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for script in tree.xpath("//script[@type]"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        raw = (script.text or "").strip()
        raw = re.sub(r"^\s*<!--|-->\s*$", "", raw).strip().rstrip(";")
        try:
            walk(json.loads(raw, strict=False))
        except ValueError:
            continue
    return nodes


def _types(node: dict[str, Any]) -> list[str]:
    t = node.get("@type", [])
    return [x for x in (t if isinstance(t, list) else [t]) if isinstance(x, str)]


def _article_node(nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The article object: an *Article type first, else any node with a datePublished."""
    for node in nodes:
        if any(_ARTICLE_TYPES.search(t) for t in _types(node)):
            return node
    for node in nodes:
        if "datePublished" in node:
            return node
    return None


def _names(value: Any) -> list[str]:
    """Author names from JSON-LD: a string, a Person/Organization, or a list of those."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _meta_map(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """First value of each <meta> name/property/itemprop (lower-cased key)."""
    found: dict[str, str] = {}
    for meta in tree.xpath("//meta[@content]"):
        for attr in ("property", "name", "itemprop"):
            key = (meta.get(attr) or "").strip().lower()
            if key and key not in found and (meta.get("content") or "").strip():
                found[key] = meta.get("content").strip()
    return found


def _microdata_date(tree: lxml.html.HtmlElement, prop: str) -> str | None:
    for el in tree.xpath(f"//*[@itemprop='{prop}']"):
        value = el.get("content") or el.get("datetime") or el.text_content()
        if value and value.strip():
            return value.strip()
    return None


def _first_str(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _dates(
    tree: lxml.html.HtmlElement, html: str, url: str, art: dict[str, Any] | None,
    meta: dict[str, str],
) -> tuple[str | None, str | None, str | None, str | None]:  # fmt: skip
    """(published_at, modified_at, published source, modified source); times ISO 8601 UTC."""
    published = modified = None
    source = mod_source = None
    if art is not None:
        published = iso_utc(_first_str(art.get("datePublished")))
        modified = iso_utc(_first_str(art.get("dateModified")))
        source = "jsonld" if published else None
        mod_source = "jsonld" if modified else None
    if published is None:
        for key in _META_PUBLISHED:
            if key in meta and (published := iso_utc(meta[key])):
                source = "meta"
                break
    if modified is None:
        modified = next((m for k in _META_MODIFIED if k in meta and (m := iso_utc(meta[k]))), None)
        mod_source = "meta" if modified else None
    if published is None and (published := iso_utc(_microdata_date(tree, "datePublished"))):
        source = "microdata"
    if modified is None and (modified := iso_utc(_microdata_date(tree, "dateModified"))):
        mod_source = "microdata"
    if published is None and (published := iso_utc(_time_element(tree))):
        source = "time"
    if published is None:
        published = _htmldate(html, url)
        source = "htmldate" if published else None
    return published, modified, source, mod_source


_TEASER_BOX = re.compile(
    r"related|trending|popular|most-?read|sidebar|widget|promo|recommend", re.I
)


def _in_teaser_list(el: lxml.html.HtmlElement) -> bool:
    for node in el.iterancestors():
        if node.tag in ("aside", "nav", "li"):
            return True
        attrs = " ".join(node.get(a) or "" for a in ("class", "id", "data-testid"))
        if _TEASER_BOX.search(attrs):
            return True
    return False


def _time_element(tree: lxml.html.HtmlElement) -> str | None:
    """A full timestamp in a <time datetime> of the article (not of a teaser list).

    Preferred over htmldate because it keeps the time of day and the offset; one marked
    as the publication time wins over the first one in the article.
    """
    candidates = [
        t
        for t in tree.xpath("//article//time[@datetime] | //main//time[@datetime]")
        if "T" in (t.get("datetime") or "") and not _in_teaser_list(t)
    ]
    for t in candidates:
        marks = " ".join(t.get(a) or "" for a in ("class", "itemprop", "pubdate", "id"))
        if re.search(r"publish|pubdate|created", marks, re.I) or t.get("pubdate") is not None:
            return t.get("datetime")
    return candidates[0].get("datetime") if candidates else None


def _htmldate(html: str, url: str) -> str | None:
    """htmldate's guess (date only, taken as midnight UTC); a last resort."""
    try:
        from htmldate import find_date

        found = find_date(html, url=url, original_date=True, extensive_search=True)
    except Exception:  # htmldate raises assorted errors on odd markup; a guess is optional
        return None
    return iso_utc(found) if found else None


def _canonical(tree: lxml.html.HtmlElement, url: str, meta: dict[str, str]) -> str | None:
    for link in tree.xpath("//link[@href]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            return urljoin(url, link.get("href").strip())
    if meta.get("og:url"):
        return urljoin(url, meta["og:url"])
    return None


def _title(tree: lxml.html.HtmlElement, art: dict[str, Any] | None, meta: dict[str, str]) -> str:
    for candidate in (
        meta.get("og:title"),
        _first_str(art.get("headline")) if art else None,
        meta.get("twitter:title"),
    ):
        if candidate and _clean(candidate):
            return _clean(candidate)
    h1 = tree.xpath("//h1")
    if h1 and _clean(h1[0].text_content()):
        return _clean(h1[0].text_content())
    title = tree.xpath("//title")
    return _clean(title[0].text_content()) if title else ""


def _authors(
    tree: lxml.html.HtmlElement, art: dict[str, Any] | None, meta: dict[str, str]
) -> list[str]:
    names = _names(art.get("author")) if art else []
    if not names:
        for key in ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator"):
            value = meta.get(key, "")
            if value and not value.startswith(("http://", "https://")):
                names = re.split(r"\s*(?:,|\band\b|&)\s*", value)
                break
    if not names:
        for el in tree.xpath("//*[@itemprop='author']"):
            inner = el.xpath(".//*[@itemprop='name']")
            names.append((inner[0] if inner else el).text_content())
    if not names:
        names = [a.text_content() for a in tree.xpath("//a[@rel='author']")]
    seen: dict[str, None] = {}
    for name in names:
        name = re.sub(r"^by\s+", "", _clean(name), flags=re.I)
        if name and len(name) < 120:
            seen.setdefault(name, None)
    return list(seen)


def _section(art: dict[str, Any] | None, meta: dict[str, str]) -> str | None:
    for value in (
        meta.get("article:section"),
        _first_str(art.get("articleSection")) if art else None,
        meta.get("parsely-section"),
    ):
        if value and _clean(value):
            return _clean(value)
    return None


# --- body text -------------------------------------------------------------------------


def _paragraphs_from_xml(xml: str, title: str) -> list[str]:
    """Flatten trafilatura's XML to paragraphs: p, quote, list items, subheads and table
    rows (one row = one paragraph, so a row's cells stay together as a reader sees them)."""
    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(recover=True))
    if root is None:
        return []
    main = root.find(".//main")
    body = main if main is not None else root
    out: list[str] = []

    def emit(el: etree._Element) -> None:
        if el.tag == "row" and not el.xpath(".//p | .//list | .//table"):
            text = _clean(_xml_text(el))
            if text and not _teaser(el, text):
                out.append(text)
        elif el.tag in ("p", "quote", "item", "head", "cell"):
            nested = [c for c in el if c.tag in ("p", "list", "quote")]
            if nested and el.tag != "p":
                for c in el:
                    emit(c)
                return
            text = _clean(_xml_text(el))
            if text and not (el.tag == "head" and text == title) and not _teaser(el, text):
                out.append(text)
        else:
            for c in el:
                emit(c)

    for child in body:
        emit(child)
    return out


def _xml_text(el: etree._Element) -> str:
    """Text of a trafilatura element; a ``<lb/>`` is a word break, not nothing (itertext
    would glue "Tampa, FL" and "June 10" into one token)."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.tag == "lb" or (node is not el and node.tag in _BLOCK_TAGS):
            parts.append(" ")
        if node.text and node.tag != "lb":
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return "".join(parts)


_BLOCK_TAGS = frozenset({"p", "item", "cell", "head", "quote", "row", "list"})


def _teaser(el: etree._Element, text: str) -> bool:
    """An ad label, or a short paragraph that is a labelled link or nearly all link text."""
    if _AD_LABEL.match(text):
        return True
    if len(text.split()) > MAX_TEASER_WORDS:
        return False
    linked = sum(len(_clean("".join(r.itertext()))) for r in el.iter("ref"))
    if not linked:
        return False
    return bool(_TEASER_LABEL.match(text)) or linked >= 0.8 * len(text)


@functools.cache
def _trafilatura() -> tuple[Any, Any, Any, Any]:
    """trafilatura's pieces behind ``trafilatura.extract`` (imported once, on first use)."""
    from trafilatura.core import bare_extraction, determine_returnstring
    from trafilatura.settings import Document, Extractor

    return bare_extraction, determine_returnstring, Document, Extractor


def _trafilatura_xml(source: str | lxml.html.HtmlElement, url: str, recall: bool) -> str | None:
    """What ``trafilatura.extract(source, url=url, output_format="xml", ...)`` returns with
    the options below, without the content fingerprint ``extract`` adds to the XML header
    (a hash of the whole text we never read: about a tenth of the extraction time).

    ``source`` may be the tree ``trafilatura.utils.load_html`` made of the page, so that
    the page is parsed once for trafilatura (which works on its own copy) and for the
    metadata read here.
    """
    bare_extraction, determine_returnstring, document_cls, extractor_cls = _trafilatura()
    options = extractor_cls(
        output_format="xml",
        comments=False,
        tables=True,  # data tables are body text (the benchmark agrees)
        images=False,
        links=True,  # for _teaser; the links are dropped when flattening
        formatting=False,
        dedup=False,
        recall=recall,
        url=url,
    )
    document = bare_extraction(source, options=options, as_dict=False)
    if not isinstance(document, document_cls):
        return None
    return determine_returnstring(document, options)


def _trafilatura_paragraphs(source: str | lxml.html.HtmlElement, url: str, title: str) -> list[str]:
    for recall in (False, True):
        xml = _trafilatura_xml(source, url, recall)
        paragraphs = _paragraphs_from_xml(xml, title) if xml else []
        if sum(len(p) for p in paragraphs) >= MIN_TEXT_CHARS:
            return paragraphs
    return []


def _skipped(el: lxml.html.HtmlElement) -> bool:
    for node in el.iterancestors():
        if not isinstance(node.tag, str):
            continue
        if node.tag in _SKIP_TAGS:
            return True
        attrs = " ".join(
            node.get(a) or "" for a in ("class", "id", "data-testid", "data-component", "role")
        )
        if _SKIP_ATTR.search(attrs) or (node.get("class") or "").strip() == "ad":
            return True
    return False


def _visible_paragraphs(tree: lxml.html.HtmlElement) -> Iterator[str]:
    """Fallback when trafilatura finds nothing: visible <p> outside boilerplate containers."""
    for p in tree.iter("p"):
        if not _skipped(p):
            text = _clean(p.text_content())
            if text:
                yield text


def extract_article(html: bytes | str, url: str) -> dict[str, Any]:
    """Extract metadata and body text from one article page.

    Returns ``title, canonical_url, published_at, modified_at, date_source,
    modified_source, authors, section, text``. Raises ValueError with a short reason
    ("not an HTML page", "no article text") for pages that are not articles; the spider
    reports those as errors.
    """
    text_html = decode_html(html)
    tree, source = _parse(text_html)
    art = _article_node(_jsonld_nodes(tree))
    meta = _meta_map(tree)
    title = _title(tree, art, meta)
    paragraphs = _trafilatura_paragraphs(source, url, title)
    if not paragraphs:
        paragraphs = list(_visible_paragraphs(tree))
    text = "\n\n".join(paragraphs)
    if len(text) < MIN_TEXT_CHARS:
        raise ValueError("no article text")
    published, modified, source, mod_source = _dates(tree, text_html, url, art, meta)
    return {
        "title": title or None,
        "canonical_url": _canonical(tree, url, meta),
        "published_at": published,
        "modified_at": modified,
        "date_source": source,
        "modified_source": mod_source,
        "authors": _authors(tree, art, meta),
        "section": _section(art, meta),
        "text": text,
    }


# --- extraction in worker processes ------------------------------------------------------


class ExtractionCrashed(RuntimeError):
    """A worker process died while extracting the page (twice: once more in a new pool)."""


def _worker_init(log_level: str) -> None:
    """Worker logging in the crawl log's format, so the parent relays it at its level."""
    import logging

    logging.basicConfig(
        level=log_level, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s", force=True
    )


def _warm() -> int:
    """Run once in each new worker: the imports a first page would pay."""
    _trafilatura()
    import htmldate  # noqa: F401

    return os.getpid()


class ExtractionPool:
    """``extract_article`` in worker processes, so that the crawl's own thread goes on
    fetching, archiving and writing items while pages are extracted (extraction is most
    of a crawl's CPU time). The result is the same as in the crawl process: the same
    function on the same decoded text.

    A small crawl does not pay the workers' start: the pool starts once ``demand`` (the
    articles scheduled so far) reaches ``start_after``, and until its workers have
    imported everything, pages are still extracted in the crawl process. A worker that
    dies (a crash in a native library on a hostile page) breaks the pool: a new one is
    started and the page tried once more there, then reported as an error; no page is
    ever retried in the crawl process, which it could take down.
    """

    def __init__(self, workers: int, start_after: int = 32, log_level: str = "WARNING") -> None:
        self.workers = max(0, workers)
        self.start_after = start_after
        self.log_level = log_level
        self._pool: Any = None
        self._warm: list[Any] = []
        self.failed = False  # the workers could not start: everything in process
        self.in_workers = 0  # pages extracted in worker processes (stats)

    def _ready(self, demand: int) -> Any:
        if self.workers <= 0 or self.failed:
            return None
        if self._pool is None:
            if demand < self.start_after:
                return None
            self._start()
        if not all(f.done() for f in self._warm):
            return None
        if any(f.exception() is not None for f in self._warm):
            exc = next(f.exception() for f in self._warm if f.exception() is not None)
            log.warning("extraction workers did not start (%s): extracting in process", exc)
            self.failed = True
            self.close()
            return None
        return self._pool

    def _start(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # forkserver: the workers are forked from a clean process that imported the
        # extraction code once, never from the crawl process and its threads
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["crawlers.extract", "trafilatura", "htmldate"])
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=ctx, initializer=_worker_init, initargs=(self.log_level,)
        )
        self._warm = [self._pool.submit(_warm) for _ in range(self.workers)]

    async def extract(self, html: str, url: str, demand: int = 0) -> dict[str, Any]:
        """``extract_article(html, url)``, in a worker when the pool is ready."""
        import asyncio
        from concurrent.futures.process import BrokenProcessPool

        pool = self._ready(demand)
        if pool is None:
            return extract_article(html, url)
        for _attempt in range(2):
            try:
                page = await asyncio.wrap_future(pool.submit(extract_article, html, url))
            except BrokenProcessPool:
                if pool is self._pool:  # the first page to notice starts a new pool
                    log.warning("an extraction worker died (at %s): new workers", url)
                    self.close()
                    self._start()
                pool = self._pool
                await asyncio.wrap_future(self._warm[0])
                continue
            self.in_workers += 1
            return page
        raise ExtractionCrashed("extraction worker crashed on this page")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._warm = []
