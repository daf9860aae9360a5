"""The embedding cache: sentence vectors by (model, sentence text sha256), so a sentence
is embedded once per model, whatever document or run it comes back in."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from warehouse.runs import insert_arrow


def cached_vectors(con: Any, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
    """The stored vectors of ``hashes`` (those not stored are absent)."""
    if not hashes:
        return {}
    rows = con.execute(
        "SELECT text_sha256, vector FROM embeddings WHERE model = ? "
        "AND text_sha256 IN (SELECT unnest(?))",
        [model, hashes],
    ).fetchall()
    return {h: np.asarray(v, dtype=np.float32) for h, v in rows}


def store_vectors(con: Any, model: str, vectors: dict[str, np.ndarray]) -> None:
    """Add vectors to the cache; one already stored is kept (same model, same text)."""
    table = pa.table(
        {
            "model": [model] * len(vectors),
            "text_sha256": list(vectors),
            "vector": [v.tolist() for v in vectors.values()],
        }
    )
    insert_arrow(con, "embeddings", table, "ON CONFLICT DO NOTHING")
