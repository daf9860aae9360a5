"""Page-image conditioning before OCR: erase thin rectangle outlines drawn around text.

FOIA processing tools draw a thin box around each redaction marker (``(b)(6)``, ``B6``).
Tesseract reads a box edge that touches the text as part of it (``(b)(6)`` comes back as
``|(b)(6)]``, ``STG)`` or nothing at all). A box is found by shape only: two horizontal
dark runs of the same extent, one above the other, joined at both ends by vertical runs.
Its four edges are whitened; text inside stays. Underscore separators, table rules that do
not close into a box, and letters are left alone.

Also an OCRmyPDF plugin (``plugins=["foia.ocr_image"]``): the hook only changes the image
tesseract sees, never the page image kept in the output PDF.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:  # the hook marker; without ocrmypdf the module still serves remove_box_outlines
    from ocrmypdf import hookimpl
except ImportError:  # pragma: no cover - ocrmypdf is a dependency

    def hookimpl(fn: Any) -> Any:  # type: ignore[no-redef]
        return fn


def _runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels of ``mask`` lying in a run of at least ``length`` along axis 1."""
    h, w = mask.shape
    if w < length:
        return np.zeros_like(mask)
    cs = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=cs[:, 1:])
    starts = (cs[:, length:] - cs[:, :-length]) == length  # window [k, k+length) all dark
    cs2 = np.zeros((h, starts.shape[1] + 1), dtype=np.int32)
    np.cumsum(starts, axis=1, out=cs2[:, 1:])
    idx = np.arange(w)
    hi = np.minimum(idx, starts.shape[1] - 1) + 1
    lo = np.clip(idx - length + 1, 0, starts.shape[1])
    return (cs2[:, hi] - cs2[:, lo]) > 0


def _bars(hmask: np.ndarray, tol: int) -> list[list[int]]:
    """Horizontal bars [y0, y1, x0, x1] (inclusive) from rows of long runs."""
    bars: list[list[int]] = []
    open_bars: list[list[int]] = []
    for y in np.nonzero(hmask.any(axis=1))[0]:
        row = hmask[y]
        edges = np.diff(np.concatenate(([0], row.view(np.int8), [0])))
        starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0] - 1
        still: list[list[int]] = []
        for x0, x1 in zip(starts.tolist(), ends.tolist(), strict=True):
            for bar in open_bars:
                if bar[1] == y - 1 and abs(bar[2] - x0) <= tol and abs(bar[3] - x1) <= tol:
                    bar[1], bar[2], bar[3] = y, min(bar[2], x0), max(bar[3], x1)
                    still.append(bar)
                    break
            else:
                bar = [int(y), int(y), int(x0), int(x1)]
                bars.append(bar)
                still.append(bar)
        open_bars = still
    return bars


def remove_box_outlines(gray: np.ndarray, dpi: float = 300.0) -> tuple[np.ndarray, int]:
    """(image with thin box outlines whitened, number of boxes) of a grayscale page."""
    dark = gray < 128
    unit = dpi / 72.0  # pixels per point
    min_w = max(int(14 * unit), 8)  # a box around "B6" is wider than ~14 pt
    hmask = _runs(dark, min_w)
    tol = max(int(1.5 * unit), 2)
    bars = [b for b in _bars(hmask, tol) if b[1] - b[0] + 1 <= 3 * unit]  # thin rules only
    bars.sort()
    out = gray.copy()
    boxes = 0
    used: set[int] = set()
    for i, top in enumerate(bars):
        for j in range(i + 1, len(bars)):
            bot = bars[j]
            gap = bot[0] - top[1]
            if gap > 40 * unit:  # taller than a few lines of text: not a marker box
                break
            if j in used or gap < 6 * unit:
                continue
            if abs(top[2] - bot[2]) > tol or abs(top[3] - bot[3]) > tol:
                continue
            x0, x1 = min(top[2], bot[2]), max(top[3], bot[3])
            y0, y1 = top[0], bot[1]
            t = max(top[1] - top[0], bot[1] - bot[0]) + 1 + int(unit)
            left = dark[top[1] + 1 : bot[0], x0 : x0 + t].any(axis=1).mean()
            right = dark[top[1] + 1 : bot[0], max(x1 - t + 1, 0) : x1 + 1].any(axis=1).mean()
            if left < 0.9 or right < 0.9:
                continue
            # Whiten the edges: the two bars, and the columns of the sides that are dark
            # over (nearly) the whole height (a letter touching the side keeps its pixels).
            pad = max(int(0.5 * unit), 1)  # anti-aliased fringe of the rules
            w_ = out.shape[1]
            out[max(y0 - pad, 0) : top[1] + 1 + pad, max(x0 - pad, 0) : x1 + 1 + pad] = 255
            out[max(bot[0] - pad, 0) : y1 + 1 + pad, max(x0 - pad, 0) : x1 + 1 + pad] = 255
            inner = dark[top[1] + 1 : bot[0]]
            left_cols = [x for x in range(x0, min(x0 + t, w_)) if inner[:, x].mean() >= 0.8]
            right_cols = [x for x in range(max(x1 - t + 1, 0), x1 + 1) if inner[:, x].mean() >= 0.8]
            if left_cols:
                out[y0 : y1 + 1, max(x0 - pad, 0) : max(left_cols) + 1 + pad] = 255
            if right_cols:
                out[y0 : y1 + 1, min(right_cols) - pad : min(x1 + 1 + pad, w_)] = 255
            used.add(j)
            boxes += 1
            break
    return out, boxes


@hookimpl
def filter_ocr_image(page: Any, image: Any) -> Any:
    """OCRmyPDF hook: the image tesseract reads, with box outlines removed."""
    from PIL import Image  # noqa: PLC0415

    if max(image.size) > 20000:  # let OCRmyPDF's own filter downsample huge scans
        return None
    dpi = image.info.get("dpi", (300, 300))
    gray = np.asarray(image.convert("L"))
    cleaned, boxes = remove_box_outlines(gray, float(dpi[1]))
    if not boxes:
        return image
    out = Image.fromarray(cleaned, mode="L")
    out.info["dpi"] = image.info.get("dpi", (300, 300))
    return out
