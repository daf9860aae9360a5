"""`foiatrace eval extraction`: article-body quality of the real crawl path, beside plain
trafilatura, on pages with ground truth (the Zyte Article Extraction Benchmark format).

The pages are served over HTTP on 127.0.0.1 and fetched by the production spider from an
explicit URL list, so what is measured is what the warehouse would store: decoding by the
HTTP charset, the spider's checks, our extraction. Their links point at the real sites
and are never followed (the spider does not follow article links, and the safety rules
would refuse them).

Metric (the benchmark's own ``evaluate.py``): ``\\w+`` tokens, lower-cased; 4-gram
shingles counted as multisets; per document tp/fp/fn normalized by their sum; precision
and recall averaged over documents; F1 of the two averages.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlsplit

import typer

from crawlers.serve import Route, serve_site

_TOKEN = re.compile(r"\w+", re.UNICODE)
EVAL_DOMAIN = "extraction-eval.example"


# --- the benchmark's metric ----------------------------------------------------------------


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = [t.lower() for t in _TOKEN.findall(text or "")]
    return Counter(
        tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
    )


def _tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = _shingles(true), _shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


@dataclass
class ExtractionScore:
    name: str
    precision: float
    recall: float
    f1: float
    documents: int
    empty: int  # documents with an empty prediction


def score_predictions(
    truth: dict[str, dict[str, Any]], predictions: dict[str, dict[str, Any]], name: str
) -> ExtractionScore:
    """The benchmark's shingle metric; a missing prediction counts as empty text."""
    rows = [
        _tp_fp_fn(
            (truth[k] or {}).get("articleBody") or "",
            (predictions.get(k) or {}).get("articleBody") or "",
        )
        for k in truth
    ]
    precisions = [_precision(*r) for r in rows if r[0] + r[1] > 0]
    recalls = [_recall(*r) for r in rows if r[0] + r[2] > 0]
    p = statistics.mean(precisions) if precisions else 0.0
    r = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    empty = sum(1 for k in truth if not ((predictions.get(k) or {}).get("articleBody") or ""))
    return ExtractionScore(name, round(p, 4), round(r, 4), round(f1, 4), len(truth), empty)


# --- pages over HTTP ---------------------------------------------------------------------


def page_files(directory: Path) -> dict[str, Path]:
    """``{stem: path}`` of ``*.html`` and ``*.html.gz`` (stem without either suffix)."""
    found: dict[str, Path] = {}
    for path in sorted(Path(directory).iterdir()):
        name = path.name
        if not path.is_file():
            continue
        if name.endswith(".html.gz"):
            found[name[: -len(".html.gz")]] = path
        elif name.endswith(".html"):
            found[name[: -len(".html")]] = path
    return found


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


@contextmanager
def serve_pages(pages: dict[str, Path]) -> Iterator[str]:
    """Serve ``/<stem>.html`` as ``text/html; charset=utf-8`` on a free loopback port; every
    other path is a 404 (the pages' own links point at the real sites)."""

    def page(stem: str) -> Route:
        def answer(_path: str) -> tuple[int, dict[str, str], bytes]:
            return 200, {"Content-Type": "text/html; charset=utf-8"}, read_page(pages[stem])

        return answer

    routes = {quote(f"/{stem}.html"): page(stem) for stem in pages}
    with tempfile.TemporaryDirectory(prefix="foiatrace-pages-") as empty:
        with serve_site(Path(empty), routes=routes) as base_url:
            yield base_url


def crawl_pages(directory: Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Crawl the folder's pages with the real spider: predictions and error lines."""
    from crawlers.run import crawl

    pages = page_files(directory)
    if not pages:
        raise FileNotFoundError(f"{directory}: no *.html or *.html.gz files")
    predictions: dict[str, dict[str, str]] = {stem: {"articleBody": ""} for stem in pages}
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="foiatrace-eval-extraction-") as tmp:
        outlets = Path(tmp) / "outlets.toml"
        urls = ",\n".join(json.dumps(f"/{stem}.html") for stem in pages)
        outlets.write_text(
            f'[[outlet]]\nslug = "eval"\nname = "extraction eval"\ndomain = "{EVAL_DOMAIN}"\n'
            f'sitemap = ""\nrss = ""\nurls = [\n{urls}\n]\n',
            encoding="utf-8",
        )
        out = Path(tmp) / "items.jsonl"
        with serve_pages(pages) as base_url:
            crawl(outlets, out, base_url=base_url, quiet=True)
        for line in out.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            url = rec.get("fetched_url") or rec.get("url") or ""
            stem = unquote(urlsplit(url).path).lstrip("/").removesuffix(".html")
            if rec.get("type") == "article" and stem in predictions:
                predictions[stem] = {"articleBody": rec.get("text") or ""}
            elif rec.get("type") == "error":
                errors.append(f"{rec.get('url')}: {rec.get('reason')}")
    return predictions, errors


def plain_trafilatura(directory: Path) -> dict[str, dict[str, str]]:
    """``trafilatura.extract`` with default settings on the same (UTF-8) pages."""
    import trafilatura

    out = {}
    for stem, path in page_files(directory).items():
        html = read_page(path).decode("utf-8", errors="replace")
        out[stem] = {"articleBody": trafilatura.extract(html) or ""}
    return out


# --- command -------------------------------------------------------------------------------


def register(eval_app: typer.Typer) -> None:
    """Add ``eval extraction`` to the ``eval`` group."""

    @eval_app.command("extraction")
    def eval_extraction(
        pages: Annotated[
            Path,
            typer.Option(
                "--pages",
                help="Folder of *.html / *.html.gz pages (file stem = document id).",
                exists=True,
                file_okay=False,
            ),
        ],
        predictions: Annotated[
            Path,
            typer.Option("--predictions", help='Write {stem: {"articleBody": text}} here (JSON).'),
        ],
        truth: Annotated[
            Path | None,
            typer.Option(
                "--truth",
                help='Ground truth {id: {"articleBody": ...}}: print the shingle F1 '
                "beside plain trafilatura.",
                exists=True,
                dir_okay=False,
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    ) -> None:
        """Serve the pages on 127.0.0.1, crawl them with the real spider, write the
        extracted article bodies; with --truth, score them beside plain trafilatura."""
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        console = Console(emoji=False)
        try:
            predicted, errors = crawl_pages(pages)
        except FileNotFoundError as exc:
            Console(stderr=True, emoji=False).print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc
        predictions.parent.mkdir(parents=True, exist_ok=True)
        predictions.write_text(json.dumps(predicted, ensure_ascii=False, indent=1), "utf-8")
        if truth is None:
            if not as_json:
                console.print(
                    f"{len(predicted)} pages, {len(errors)} errors -> {predictions}", markup=False
                )
            else:
                console.print_json(json.dumps({"pages": len(predicted), "errors": errors}))
            return
        import trafilatura

        gold = json.loads(truth.read_text(encoding="utf-8"))
        gold = {k: v for k, v in gold.items() if k in predicted}
        scores = [
            score_predictions(gold, predicted, "foiatrace crawl"),
            score_predictions(
                gold, plain_trafilatura(pages), f"plain trafilatura {trafilatura.__version__}"
            ),
        ]
        if as_json:
            console.print_json(
                json.dumps({"scores": [asdict(s) for s in scores], "errors": errors})
            )
            return
        table = Table(
            "extractor", "precision", "recall", "F1", "docs", "empty",
            title=f"article extraction, {escape(str(pages))} (4-gram shingles)",
        )  # fmt: skip
        for s in scores:
            table.add_row(
                s.name, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}",
                str(s.documents), str(s.empty),
            )  # fmt: skip
        console.print(table)
        for line in errors:
            console.print(f"[yellow]crawl error:[/yellow] {escape(str(line))}")
