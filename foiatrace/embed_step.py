"""Embedding of new sentences in shards: plan, embed each shard anywhere, load.

The matcher (``foiatrace.pipeline.match``) embeds the sentences it weighs through the
warehouse's ``embeddings`` cache (by model, sentence sha256): a vector already stored is
not recomputed. This module fills that cache before the match, in three steps the nightly
DAG runs as ``embed_plan`` → ``embed[shard]`` (mapped) → ``load_embeddings``:

- :func:`plan_shards` (reads the warehouse): the sentences of the texts the match will
  weigh (the messages and article versions of the pairs this matcher version has not
  weighed, ``warehouse.matches.unweighed_pairs``), segmented exactly as the matcher
  segments them (the stored ``text_features`` where present, else
  ``matching.segment.segment``, which is what ``matching.features.prepare`` calls), less
  those whose vector is cached. Written as Parquet shards (``text_sha256``, ``text``).
  The match embeds a subset of these (only candidates sharing a typed detail with a
  message that is not a reporter's own), so after the load it finds every vector it needs
  cached. Pairs it re-weighs were weighed before and their sentences embedded then; any
  vector still missing is computed by the match itself, as without this step.
- :func:`embed_shard` (no warehouse access): ``matching.embed.encode`` (the ONNX fast path)
  of one shard into ``<shard>.vectors.parquet`` (``text_sha256``, ``vector``).
- :func:`load_vectors` (the writer): ``warehouse.embeddings.store_vectors`` of every vectors
  file; a vector already stored is kept, so a re-run stores nothing twice.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SHARDS_ENV = "FOIATRACE_EMBED_SHARDS"  # at most this many shards a night (default 2)
MIN_SHARD_ENV = "FOIATRACE_EMBED_SHARD_MIN"  # no shard of fewer sentences (default 256)
DEFAULT_SHARDS = 2
DEFAULT_MIN_SHARD = 256  # below this a task's start (model load ~1-2 s) outweighs the work
SHARD_SUFFIX = ".parquet"
VECTORS_SUFFIX = ".vectors.parquet"
MODEL_KEY = b"foiatrace.model"


def shard_settings() -> tuple[int, int]:
    """(most shards, fewest sentences per shard) from the environment."""
    shards = int(os.environ.get(SHARDS_ENV, "").strip() or DEFAULT_SHARDS)
    min_size = int(os.environ.get(MIN_SHARD_ENV, "").strip() or DEFAULT_MIN_SHARD)
    return max(shards, 1), max(min_size, 1)


def shard_count(n_sentences: int, max_shards: int, min_size: int) -> int:
    """Shards for ``n_sentences``: up to ``max_shards``, none under ``min_size`` sentences
    unless one holds them all; zero when there is nothing to embed."""
    if n_sentences <= 0:
        return 0
    return max(1, min(max_shards, math.ceil(n_sentences / min_size) if min_size else max_shards))


def texts_to_weigh(con: Any, window_days: int) -> list[tuple[str, Any]]:
    """(text, written) of every message and article version in a pair this matcher version
    has not weighed: the texts ``pipeline.match`` reads (``load_email_docs``' own text with
    its sent time, ``load_article_docs``' text with its published time)."""
    from matching.score import MATCHER_VERSION
    from warehouse.features import EMAIL_TEXT_SQL
    from warehouse.matches import unweighed_pairs

    pairs = unweighed_pairs(con, MATCHER_VERSION, window_days)
    if not pairs:
        return []
    msgs = sorted({m for m, _ in pairs})
    arts = sorted({a for _, a in pairs})
    emails = con.execute(
        f"SELECT e.own_all, e.sent_at FROM ({EMAIL_TEXT_SQL}) e "
        "WHERE e.msg_key IN (SELECT unnest(?)) ORDER BY e.msg_key",
        [msgs],
    ).fetchall()
    articles = con.execute(
        "SELECT coalesce(a.text, ''), a.published_at FROM articles a "
        "WHERE a.url || '#' || a.text_sha256 IN (SELECT unnest(?)) ORDER BY a.url",
        [arts],
    ).fetchall()
    return [(t or "", w) for t, w in emails] + [(t or "", w) for t, w in articles]


def sentences_of(con: Any, texts: list[tuple[str, Any]]) -> dict[str, str]:
    """{sentence sha256: sentence} of ``texts``, segmented as the matcher segments them."""
    from matching.embed import text_hash
    from matching.features import feature_key, features_version
    from matching.segment import segment
    from warehouse.features import load_records

    keyed: dict[str, str] = {}
    for text, written in texts:
        keyed.setdefault(feature_key(text, written), text)
    stored = load_records(con, features_version(), keyed)
    out: dict[str, str] = {}
    for key, text in keyed.items():
        segs = stored[key].segs if key in stored else segment(text)
        for s in segs:
            out.setdefault(text_hash(s.text), s.text)
    return out


def not_cached(con: Any, model: str, hashes: list[str]) -> set[str]:
    """The hashes of ``hashes`` whose vector for ``model`` is not in ``embeddings``."""
    if not hashes:
        return set()
    con.register("_embed_wanted", pa.table({"h": hashes}))
    try:
        rows = con.execute(
            "SELECT w.h FROM _embed_wanted w WHERE NOT EXISTS (SELECT 1 FROM embeddings e "
            "WHERE e.model = ? AND e.text_sha256 = w.h)",
            [model],
        ).fetchall()
    finally:
        con.unregister("_embed_wanted")
    return {h for (h,) in rows}


def _write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def plan_shards(
    con: Any,
    out_dir: Path,
    *,
    window_days: int = 30,
    max_shards: int | None = None,
    min_size: int | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """Write the new sentences of the texts to weigh as shards ``shard-NNN.parquet`` in
    ``out_dir`` (emptied first: a re-planned night starts over). Returns the shard file
    names (empty: nothing new) and counts."""
    from matching.embed import MODEL_NAME

    model = model or MODEL_NAME
    env_shards, env_min = shard_settings()
    max_shards = env_shards if max_shards is None else max(max_shards, 1)
    min_size = env_min if min_size is None else max(min_size, 1)
    if out_dir.exists():
        for old in out_dir.glob("*.parquet*"):
            old.unlink()
    texts = texts_to_weigh(con, window_days)
    sentences = sentences_of(con, texts)
    missing = not_cached(con, model, sorted(sentences))
    # shortest first, dealt round-robin: every shard gets a like mix of lengths (its cost)
    order = sorted(missing, key=lambda h: (len(sentences[h]), h))
    n = shard_count(len(order), max_shards, min_size)
    names: list[str] = []
    if n:
        out_dir.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        part = order[i::n]
        name = f"shard-{i:03d}{SHARD_SUFFIX}"
        table = pa.table(
            {"text_sha256": part, "text": [sentences[h] for h in part]}
        ).replace_schema_metadata({MODEL_KEY: model.encode()})
        _write_atomic(table, out_dir / name)
        names.append(name)
    return {
        "shards": names,
        "texts": len(texts),
        "sentences": len(sentences),
        "cached": len(sentences) - len(missing),
        "to_embed": len(missing),
        "model": model,
    }


def vectors_path(shard: Path) -> Path:
    return shard.with_name(shard.name.removesuffix(SHARD_SUFFIX) + VECTORS_SUFFIX)


def embed_shard(shard: Path | str) -> dict[str, Any]:
    """Embed one shard's sentences (``matching.embed.encode``) into its vectors file. Opens
    no warehouse; a retry overwrites the file."""
    from matching.embed import MODEL_NAME, encode

    shard = Path(shard)
    table = pq.read_table(shard)
    model = (table.schema.metadata or {}).get(MODEL_KEY, MODEL_NAME.encode()).decode()
    texts = table.column("text").to_pylist()
    vecs = np.asarray(encode(texts, model), dtype=np.float32)
    if vecs.shape[0] != len(texts):
        raise RuntimeError(f"{shard.name}: {vecs.shape[0]} vectors for {len(texts)} sentences")
    dim = int(vecs.shape[1]) if vecs.ndim == 2 and len(texts) else 384
    out = vectors_path(shard)
    vectors = pa.FixedSizeListArray.from_arrays(pa.array(vecs.reshape(-1), pa.float32()), dim)
    _write_atomic(
        pa.table(
            {"text_sha256": table.column("text_sha256"), "vector": vectors}
        ).replace_schema_metadata({MODEL_KEY: model.encode()}),
        out,
    )
    return {"shard": shard.name, "sentences": len(texts), "dim": dim, "model": model}


def load_vectors(con: Any, folder: Path) -> dict[str, Any]:
    """Store every ``*.vectors.parquet`` of ``folder`` in the ``embeddings`` cache (kept
    when already stored: a re-run stores nothing twice). Shards without their vectors file
    (their embed never ran) are counted, not failed: the match computes what is missing."""
    from warehouse.embeddings import store_vectors

    stats: dict[str, Any] = {"files": 0, "vectors": 0, "stored": 0, "shards_without_vectors": 0}
    if not folder.is_dir():
        return stats
    shards = sorted(p for p in folder.glob(f"*{SHARD_SUFFIX}") if p.name.endswith(SHARD_SUFFIX)
                    and not p.name.endswith(VECTORS_SUFFIX))  # fmt: skip
    stats["shards_without_vectors"] = sum(not vectors_path(s).exists() for s in shards)
    count = "SELECT count(*) FROM embeddings"
    before = con.execute(count).fetchall()[0][0]
    for path in sorted(folder.glob(f"*{VECTORS_SUFFIX}")):
        table = pq.read_table(path)
        model = (table.schema.metadata or {}).get(MODEL_KEY)
        if model is None:
            raise RuntimeError(f"{path}: no model named in the vectors file")
        hashes = table.column("text_sha256").to_pylist()
        flat = table.column("vector").combine_chunks()
        dim = flat.type.list_size
        values = flat.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
        matrix = values.reshape(len(hashes), dim) if hashes else values.reshape(0, dim)
        if hashes:
            store_vectors(con, model.decode(), dict(zip(hashes, matrix, strict=True)))
        stats["files"] += 1
        stats["vectors"] += len(hashes)
    stats["stored"] = con.execute(count).fetchall()[0][0] - before
    return stats
