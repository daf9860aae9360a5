"""The fast embedding path must give sentence-transformers' vectors (cosine >= 0.999 per
sentence), in input order, with the same truncation, and fall back rather than crash."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from matching import embed_fast
from matching.embed import encode, load_model

LONG = " ".join(f"The county clerk filed record number {i} on Tuesday." for i in range(60))
MID = " ".join(["Officials said the shipment arrived late"] * 25)  # 128 < tokens < 256
SENTENCES = [
    "",
    " ",
    "Ok.",
    "He is 41.",
    "Lt. Ray Ortiz said the U.S. citizen left at 3 p.m. Friday.",
    "The Guatemalan national was admitted on a B1/B2 visitor visa in 2017.",
    "ICE spokesperson declined to comment on the detainee's medical condition.",
    "Ünïcode café — “quotes”, naïve façade, 日本語のテキスト, emoji 🚓.",
    "   leading and trailing whitespace\t\n",
    "ALL CAPS HEADLINE: SHERIFF'S OFFICE RELEASES BODY-CAMERA FOOTAGE",
    "Case No. F-2014-20439 Doc No. C05758487 Date: 07/31/2015 RELEASE IN PART B6",
    "From: press@agency.gov Sent: Monday, March 4, 2019 3:12 PM To: reporter@news.com",
    "The $4.5 million contract, approved 5-2, covers 1,200 body cameras through 2024.",
    "word " * 3,
    "https://www.example.gov/news/releases/2019/03/statement-on-detention.html",
    "He was taken to St. Mary's hospital with non-life-threatening injuries, police said.",
    'The agency said in a statement that it "takes these allegations seriously".',
    "a",
    "12345 67890",
    "Ministers met on Friday; no agreement was reached, and talks resume next week.",
    "The fire burned 3,400 acres near Paradise before crews contained it Sunday night.",
    "Mr. Smith, 52, of Spokane, pleaded not guilty to two counts of fraud.",
    "Deputies found the vehicle abandoned off Highway 2 east of Wenatchee.",
    "The school board voted to delay the decision until after the audit.",
    "Ce n'est pas une traduction officielle.",
    "¿Dónde está la oficina del alguacil?",
    MID,
    LONG,
    LONG + " tail that only matters if truncation were wrong",
    "Quarterly figures, released Thursday, showed a 2.3% rise in arrests.",
]


@pytest.fixture(scope="module", autouse=True)
def tmp_onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private export per test run, so the on-disk cache and the export itself are tested."""
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("onnx-cache")
    mp.setenv("FOIATRACE_ONNX_CACHE", str(path))
    mp.delenv("FOIATRACE_EMBED", raising=False)
    embed_fast.runner.cache_clear()
    embed_fast._failed.clear()
    yield path
    mp.undo()
    embed_fast.runner.cache_clear()


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return load_model().encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)


def test_truncation_matches_sentence_transformers() -> None:
    model = load_model()
    assert embed_fast.max_seq_length() == model.max_seq_length == 256
    feats = model.tokenize([MID, LONG, "", "  x  "])
    tok = embed_fast.tokenizer()
    for row, text in enumerate([MID, LONG, "", "  x  "]):
        mask = feats["attention_mask"][row].bool()
        assert tok.encode(text).ids == feats["input_ids"][row][mask].tolist()
    assert len(tok.encode(MID).ids) > 128 and len(tok.encode(LONG).ids) == 256


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_fast_agrees_per_sentence(backend: str, reference: np.ndarray) -> None:
    vecs = embed_fast.encode_fast(SENTENCES, backend)
    assert vecs is not None and vecs.dtype == np.float32 and vecs.shape == reference.shape
    cos = (vecs * reference).sum(1)
    assert cos.min() >= 0.999, [SENTENCES[i][:40] for i in np.flatnonzero(cos < 0.999)]
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_export_is_cached_on_disk(tmp_onnx_cache: Path) -> None:
    embed_fast.encode_fast(["warm"], "onnx")
    files = list(tmp_onnx_cache.glob("*.onnx"))
    assert len(files) == 1 and embed_fast.onnx_path() == files[0]
    stamp = files[0].stat().st_mtime_ns
    embed_fast.runner.cache_clear()
    embed_fast.encode_fast(["again"], "onnx")  # a new process would reuse, not re-export
    assert files[0].stat().st_mtime_ns == stamp


def test_order_and_duplicates(reference: np.ndarray) -> None:
    rng = np.random.default_rng(7)
    idx = rng.integers(0, len(SENTENCES), size=90)  # shuffled, with many repeats
    vecs = encode([SENTENCES[i] for i in idx])
    assert vecs.shape == (90, 384)
    assert ((vecs * reference[idx]).sum(1) >= 0.999).all()
    first = {}
    for row, i in enumerate(idx):
        first.setdefault(i, row)
        assert np.array_equal(vecs[row], vecs[first[i]])


def test_forced_sentence_transformers(
    monkeypatch: pytest.MonkeyPatch, reference: np.ndarray
) -> None:
    monkeypatch.setenv("FOIATRACE_EMBED", "st")
    assert embed_fast.encode_fast(SENTENCES) is None
    assert np.allclose(encode(SENTENCES), reference, atol=1e-6)


def test_broken_fast_path_falls_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, reference: np.ndarray
) -> None:
    def broken(backend: str) -> None:
        raise ImportError("No module named 'onnxruntime'")

    monkeypatch.setattr(embed_fast, "runner", broken)
    monkeypatch.setattr(embed_fast, "_failed", set())
    with caplog.at_level(logging.WARNING, logger="matching.embed_fast"):
        vecs = encode(SENTENCES[:5])
        encode(SENTENCES[5:8])  # logged once, not per call
    assert np.allclose(vecs, reference[:5], atol=1e-6)
    assert sum("using sentence-transformers" in r.message for r in caplog.records) == 1


def test_empty_input() -> None:
    assert encode([]).shape == (0, 384)


def test_parallel_batches_equal_sequential(reference: np.ndarray) -> None:
    """On the CPU the ONNX batches run one per core at once; order and values do not change."""
    run = embed_fast.runner("onnx")
    assert getattr(run, "workers", 1) == embed_fast.physical_cores()
    texts = SENTENCES * 3
    one = embed_fast.encode_with(run, texts, max_batch=4, workers=1)
    many = embed_fast.encode_with(run, texts, max_batch=4, workers=3)
    assert np.array_equal(one, many)  # same batches, single-threaded calls: bit for bit
    assert ((many * np.tile(reference, (3, 1))).sum(1) >= 0.999).all()


def test_failing_batch_in_a_worker_raises() -> None:
    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if ids.shape[1] > 40:
            raise RuntimeError("boom")
        return np.zeros((len(ids), embed_fast.DIM), dtype=np.float32)

    with pytest.raises(RuntimeError, match="boom"):
        embed_fast.encode_with(run, SENTENCES, max_batch=2, workers=2)
