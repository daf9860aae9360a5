"""Embedding speed against sentence-transformers and against the machine's fp32 ceiling.

One run, on real news sentences (the first N distinct sentences of MSRP, ../shared/data/msrp),
measures on the same machine, interleaved so that load from other processes hits all alike:

- sentence-transformers' default path: ``model.encode(sentences)`` with its defaults;
- the project path: ``matching.embed.encode`` (whatever backend it picks by default), and each
  candidate backend of ``matching.embed_fast`` (ONNX Runtime, plain PyTorch) on its own;
- the fp32 ceiling: the best sgemm measured in the same run, in GFLOP/s, divided by the
  model's FLOPs per sentence. The sgemm is float32 matrix products in the model's weight shapes
  (rows = the tokens of one batch) through every fp32 GEMM library in the venv, on all physical
  cores, and the best of them is the ceiling: numpy (OpenBLAS), torch (MKL) and ONNX Runtime
  (MLAS; one product split over the cores, and one single-threaded product per core at once).
  They differ by 2x here: numpy's OpenBLAS picks its AVX2 ("Haswell") kernels on this AVX-512
  machine, and MKL takes its AVX2 path on AMD, so a numpy-only sgemm understates the machine.

FLOPs per token (BERT encoder, d = hidden 384, f = intermediate 1536, n = 6 layers, L = tokens
in the sentence): ``2 * n * (4*d*d + 2*d*f) + n * 4 * L * d`` — the weight matmuls (Q, K, V,
output projection, two feed-forward layers; a multiply-add is 2 FLOPs) plus attention scores
and the weighted sum (2*L*d each). Embedding lookup, LayerNorm, GELU, softmax and pooling are
left out (they only make the ceiling higher). Per sentence: FLOPs per token times tokens,
averaged over the sentences, with [CLS] and [SEP] counted and padding not counted (a path that
pads pays for it out of its share of the ceiling).

Each throughput is the best of ``--repeats`` rounds, the paths (and the sgemm) interleaved and
rotated per round (noise from other processes only ever slows a run down); the medians are in
the JSON too. Cosine is per sentence against the default path's vectors.

Usage: .venv/bin/python bench/embedding.py [--n 2000] [--repeats 5] [--shared DIR] [--json]

``--json`` prints, after the table, one JSON object on the last line: st_per_s, project_per_s,
ceiling_per_s, ratio (project / default), ceiling_share (project / ceiling), min_cosine, and
the details (``paths``, ``ceiling``, ``sgemm``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from matching import embed_fast  # noqa: E402
from matching.embed import encode, load_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT = "sentence-transformers default (model.encode)"
PROJECT = "project path (matching.embed.encode)"


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


def _shapes(d: int, f: int) -> list[tuple[int, int]]:
    """(k, m) of the model's big products: feed-forward in and out, Q/K/V side by side."""
    return [(d, f), (f, d), (d, 3 * d)]


def _rate(fn: Callable[[], object], flop: float, seconds: float) -> float:
    fn()
    reps, t0 = 0, time.perf_counter()
    while (dt := time.perf_counter() - t0) < seconds:
        fn()
        reps += 1
    return flop * reps / dt / 1e9


def sgemm_libraries(tokens: int, d: int, f: int, cores: int) -> dict[str, Callable[[], float]]:
    """One measuring function per fp32 GEMM library: best GFLOP/s over the model's weight
    shapes at ``tokens`` rows, on ``cores`` threads."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    mats = [
        (rng.standard_normal((tokens, k), dtype=f32), rng.standard_normal((k, m), dtype=f32))
        for k, m in _shapes(d, f)
    ]
    flops = [2.0 * a.shape[0] * a.shape[1] * b.shape[1] for a, b in mats]
    seconds = 0.3

    def best_of(calls: list[Callable[[], object]], parallel: int = 1) -> float:
        best = 0.0
        for call, flop in zip(calls, flops, strict=True):
            if parallel == 1:
                best = max(best, _rate(call, flop, seconds))
                continue
            with ThreadPoolExecutor(parallel) as pool:
                rates = pool.map(lambda _, c=call, x=flop: _rate(c, x, seconds), range(parallel))
                best = max(best, sum(rates))
        return best

    numpy_calls = [lambda a=a, b=b: a @ b for a, b in mats]
    out: dict[str, Callable[[], float]] = {"numpy (OpenBLAS)": lambda: best_of(numpy_calls)}
    try:
        import torch

        tmats = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in mats]
        torch_calls = [lambda a=a, b=b: torch.mm(a, b) for a, b in tmats]
        out["torch (MKL)"] = lambda: best_of(torch_calls)
    except ImportError:
        pass
    try:
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper

        def session(b: np.ndarray, threads: int) -> Any:
            graph = helper.make_graph(
                [helper.make_node("MatMul", ["a", "w"], ["y"])],
                "sgemm",
                [helper.make_tensor_value_info("a", TensorProto.FLOAT, [None, b.shape[0]])],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, b.shape[1]])],
                [numpy_helper.from_array(b, "w")],
            )
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
            so = ort.SessionOptions()
            so.intra_op_num_threads = threads
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
            cpu = ["CPUExecutionProvider"]
            return ort.InferenceSession(model.SerializeToString(), so, providers=cpu)

        def ort_calls(threads: int) -> list[Callable[[], object]]:
            sessions = [(a, session(b, threads)) for a, b in mats]
            return [lambda a=a, s=s: s.run(None, {"a": a}) for a, s in sessions]

        split, single = ort_calls(cores), ort_calls(1)
        out["onnxruntime (MLAS), split over cores"] = lambda: best_of(split)
        out["onnxruntime (MLAS), one per core at once"] = lambda: best_of(single, cores)
    except ImportError:
        pass
    return out


def timed(fn: Callable[[list[str]], np.ndarray], xs: list[str]) -> tuple[float, np.ndarray]:
    t0 = time.perf_counter()
    out = fn(xs)
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--shared",
        type=Path,
        default=Path(os.environ.get("FOIATRACE_SHARED", REPO.parent / "shared")),
    )
    ap.add_argument("--json", action="store_true", help="print one JSON object after the table")
    args = ap.parse_args()

    sents = news_sentences(args.shared, args.n)
    cfg = json.loads((embed_fast.model_dir() / "config.json").read_text())
    d, f = cfg["hidden_size"], cfg["intermediate_size"]
    tok = embed_fast.tokenizer()
    lengths = np.array([len(e.ids) for e in tok.encode_batch(sents)])
    avg_tokens = float(lengths.mean())
    flops_sentence = float(np.mean([flops_per_token(cfg, x) * x for x in lengths]))
    cores = embed_fast.physical_cores()

    model = load_model()
    candidates: dict[str, Callable[[list[str]], np.ndarray]] = {
        DEFAULT: lambda xs: model.encode(xs),  # its defaults: batch 32, no length sorting
        PROJECT: lambda xs: encode(xs),
    }
    onnx_run = embed_fast.runner("onnx")
    split_run = embed_fast._onnx_runner(intra_op=True)
    torch_run = embed_fast.runner("torch")
    candidates.update(
        {
            f"candidate: onnx, batches in parallel ({onnx_run.workers} x 1 thread)": lambda xs: (
                embed_fast.encode_with(onnx_run, xs)
            ),
            f"candidate: onnx, each batch split over {cores} threads": lambda xs: (
                embed_fast.encode_with(split_run, xs)
            ),
            "candidate: torch, length-bucketed": lambda xs: embed_fast.encode_with(torch_run, xs),
        }
    )
    for fn in candidates.values():  # warm-up: exports, allocations, first-call costs
        fn(sents[:300])
    batch_tokens = int(round(avg_tokens * embed_fast.MAX_BATCH))
    sgemms = sgemm_libraries(batch_tokens, d, f, cores)

    load_before = os.getloadavg()[0]
    rates: dict[str, list[float]] = {name: [] for name in [*candidates, *sgemms]}
    vectors: dict[str, np.ndarray] = {}
    names = list(candidates) + list(sgemms)
    for r in range(args.repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            if name in sgemms:
                rates[name].append(sgemms[name]())
                continue
            dt, out = timed(candidates[name], sents)
            rates[name].append(len(sents) / dt)
            vectors[name] = np.asarray(out, dtype=np.float32)

    load_after = os.getloadavg()[0]
    best = {name: max(v) for name, v in rates.items()}
    median = {name: float(np.median(v)) for name, v in rates.items()}
    gflops = max(best[name] for name in sgemms)
    ceiling = gflops * 1e9 / flops_sentence
    ref = vectors[DEFAULT]
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    default = best[DEFAULT]

    print(
        f"{len(sents)} MSRP news sentences, {avg_tokens:.1f} tokens on average "
        f"(max {lengths.max()}); {cores} physical cores; best of {args.repeats} interleaved "
        f"rounds; backend {embed_fast.backend_name()!r} by default; load average "
        f"{load_before:.1f} before, {load_after:.1f} after (other processes on these cores slow "
        "torch's OpenMP threads, the default path's, far more than the project's)\n"
    )
    print(f"sgemm, fp32, {batch_tokens} rows x the model's weight shapes, {cores} cores:")
    for name in sgemms:
        print(f"  {name}: {best[name]:.0f} GFLOP/s (median {median[name]:.0f})")
    print(
        f"fp32 ceiling: best sgemm {gflops:.0f} GFLOP/s / {flops_sentence / 1e6:.1f} MFLOP per "
        f"sentence ({flops_per_token(cfg, avg_tokens) / 1e6:.2f} MFLOP/token, real tokens only) "
        f"= {ceiling:.0f} sentences/s\n"
    )
    print("| path | sentences/s | median | × default | × fp32 ceiling | min cosine | mean cosine |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = {}
    for name in candidates:
        cos = (vectors[name] * ref).sum(1)
        rows[name] = {
            "sentences_per_s": best[name],
            "median_per_s": median[name],
            "vs_default": best[name] / default,
            "vs_ceiling": best[name] / ceiling,
            "min_cosine": float(cos.min()),
            "mean_cosine": float(cos.mean()),
        }
        row = rows[name]
        print(
            f"| {name} | {row['sentences_per_s']:.0f} | {row['median_per_s']:.0f} | "
            f"{row['vs_default']:.2f} | {row['vs_ceiling']:.0%} | {row['min_cosine']:.6f} | "
            f"{row['mean_cosine']:.6f} |"
        )
    print(
        f"| fp32 ceiling (best measured sgemm) | {ceiling:.0f} | | {ceiling / default:.2f} | "
        "100% | | |"
    )
    for name in sgemms:  # what the ceiling would be from each library alone
        lib = best[name] * 1e9 / flops_sentence
        print(
            f"| fp32 ceiling from {name} alone | {lib:.0f} | | {lib / default:.2f} | "
            f"{lib / ceiling:.0%} | | |"
        )
    if args.json:
        proj = rows[PROJECT]
        print(
            json.dumps(
                {
                    "st_per_s": default,
                    "project_per_s": proj["sentences_per_s"],
                    "ceiling_per_s": ceiling,
                    "ratio": proj["vs_default"],
                    "ceiling_share": proj["vs_ceiling"],
                    "min_cosine": proj["min_cosine"],
                    "sentences": len(sents),
                    "avg_tokens": avg_tokens,
                    "mflop_per_sentence": flops_sentence / 1e6,
                    "sgemm_gflops": gflops,
                    "sgemm": {name: best[name] for name in sgemms},
                    "ceiling_share_by_sgemm": {
                        name: rows[PROJECT]["sentences_per_s"] * flops_sentence / best[name] / 1e9
                        for name in sgemms
                    },
                    "ceiling": ceiling,
                    "repeats": args.repeats,
                    "load_average": [load_before, load_after],
                    "paths": rows,
                }
            )
        )


if __name__ == "__main__":
    main()
