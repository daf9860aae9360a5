"""Embedding speed against sentence-transformers and against the machine's fp32 ceiling.

One run, on real news sentences (the first N distinct sentences of MSRP, ../shared/data/msrp),
measures on the same machine, interleaved so that load from other processes hits all alike:

- sentence-transformers' default path: ``model.encode(sentences)`` with its defaults;
- the project path: ``matching.embed.encode`` (whatever backend it picks by default), and each
  candidate backend of ``matching.embed_fast`` (ONNX Runtime, plain PyTorch) on its own;
- the fp32 ceiling: a measured sgemm (numpy float32 matmul in the model's shapes) in GFLOP/s,
  divided by the model's FLOPs per sentence.

FLOPs per token (BERT encoder, d = hidden 384, f = intermediate 1536, n = 6 layers, L = tokens
in the sentence): ``2 * n * (4*d*d + 2*d*f) + n * 4 * L * d`` — the weight matmuls (Q, K, V,
output projection, two feed-forward layers; a multiply-add is 2 FLOPs) plus attention scores
and the weighted sum (2*L*d each). Embedding lookup, LayerNorm, GELU, softmax and pooling are
left out (they only make the ceiling higher). Per sentence: FLOPs per token times tokens,
averaged over the sentences, with [CLS] and [SEP] counted.

Each throughput is the best of ``--repeats`` runs (noise from other processes only ever slows
a run down). Cosine is per sentence against the default path's vectors.

Usage: .venv/bin/python bench/embedding.py [--n 2000] [--repeats 3] [--shared DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from matching import embed_fast  # noqa: E402
from matching.embed import encode, load_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def news_sentences(shared: Path, n: int) -> list[str]:
    """The first ``n`` distinct MSRP sentences (news wire, both sides of each pair)."""
    path = shared / "data" / "msrp" / "msr_paraphrase_train.txt"
    seen: dict[str, None] = {}
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            for s in parts[3:5]:
                seen.setdefault(s.strip(), None)
            if len(seen) >= n:
                break
    return list(seen)[:n]


def flops_per_token(cfg: dict, tokens: float) -> float:
    d, f, n = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    return 2 * n * (4 * d * d + 2 * d * f) + n * 4 * tokens * d


def sgemm_gflops(tokens: int, d: int, f: int, seconds: float = 0.6) -> float:
    """Best GFLOP/s of numpy float32 matmul over the model's weight shapes at ``tokens`` rows."""
    rng = np.random.default_rng(0)
    best = 0.0
    for k, m in ((d, f), (f, d), (d, d)):
        a = rng.standard_normal((tokens, k), dtype=np.float32)
        b = rng.standard_normal((k, m), dtype=np.float32)
        a @ b
        reps, t0 = 0, time.perf_counter()
        while (dt := time.perf_counter() - t0) < seconds:
            a @ b
            reps += 1
        best = max(best, 2.0 * tokens * k * m * reps / dt / 1e9)
    return best


def timed(fn: Callable[[list[str]], np.ndarray], xs: list[str]) -> tuple[float, np.ndarray]:
    t0 = time.perf_counter()
    out = fn(xs)
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--shared",
        type=Path,
        default=Path(os.environ.get("FOIATRACE_SHARED", REPO.parent / "shared")),
    )
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    args = ap.parse_args()

    sents = news_sentences(args.shared, args.n)
    cfg = json.loads((embed_fast.model_dir() / "config.json").read_text())
    tok = embed_fast.tokenizer()
    lengths = np.array([len(e.ids) for e in tok.encode_batch(sents)])
    avg_tokens = float(lengths.mean())
    flops_sentence = float(np.mean([flops_per_token(cfg, x) * x for x in lengths]))

    model = load_model()
    candidates: dict[str, Callable[[list[str]], np.ndarray]] = {
        "sentence-transformers default (model.encode)": lambda xs: model.encode(xs),
        "project path (matching.embed.encode)": lambda xs: encode(xs),
    }
    for backend in ("onnx", "torch"):
        run = embed_fast.runner(backend)
        candidates[f"candidate: {backend}, length-bucketed"] = lambda xs, run=run: (
            embed_fast.encode_with(run, xs)
        )
    for fn in candidates.values():  # warm-up: exports, allocations, first-call costs
        fn(sents[:300])

    best: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    gflops = 0.0
    names = list(candidates)
    for r in range(args.repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            dt, out = timed(candidates[name], sents)
            best[name] = max(best.get(name, 0.0), len(sents) / dt)
            vectors[name] = np.asarray(out, dtype=np.float32)
        tokens = int(round(avg_tokens * embed_fast.MAX_BATCH))
        gflops = max(
            gflops,
            sgemm_gflops(tokens, cfg["hidden_size"], cfg["intermediate_size"]),
            sgemm_gflops(2048, cfg["hidden_size"], cfg["intermediate_size"]),
        )

    ceiling = gflops * 1e9 / flops_sentence
    default_name = names[0]
    ref = vectors[default_name]
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    default = best[default_name]

    print(
        f"{len(sents)} MSRP news sentences, {avg_tokens:.1f} tokens on average "
        f"(max {lengths.max()}); {embed_fast.physical_cores()} physical cores; "
        f"best of {args.repeats} interleaved runs; backend "
        f"{embed_fast.backend_name()!r} by default\n"
    )
    print(
        f"fp32 ceiling: sgemm {gflops:.1f} GFLOP/s / {flops_sentence / 1e6:.1f} MFLOP per "
        f"sentence ({flops_per_token(cfg, avg_tokens) / 1e6:.2f} MFLOP/token) = "
        f"{ceiling:.0f} sentences/s\n"
    )
    print("| path | sentences/s | × default | × fp32 ceiling | min cosine | mean cosine |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = {}
    for name in names:
        cos = (vectors[name] * ref).sum(1)
        rows[name] = {
            "sentences_per_s": best[name],
            "vs_default": best[name] / default,
            "vs_ceiling": best[name] / ceiling,
            "min_cosine": float(cos.min()),
            "mean_cosine": float(cos.mean()),
        }
        row = rows[name]
        print(
            f"| {name} | {row['sentences_per_s']:.0f} | {row['vs_default']:.2f} | "
            f"{row['vs_ceiling']:.0%} | {row['min_cosine']:.6f} | {row['mean_cosine']:.6f} |"
        )
    print(f"| fp32 ceiling (measured sgemm) | {ceiling:.0f} | {ceiling / default:.2f} | 100% | | |")
    if args.json:
        print(
            json.dumps(
                {
                    "sentences": len(sents),
                    "avg_tokens": avg_tokens,
                    "sgemm_gflops": gflops,
                    "ceiling": ceiling,
                    "paths": rows,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
