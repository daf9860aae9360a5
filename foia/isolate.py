"""Parse untrusted files in a worker process with a time limit and an address-space limit.

A hostile file can make a parser run for minutes or take gigabytes (Python's email parser
is quadratic in a header's size, OCR of thousands of pages, deeply nested quoting). Each
file's reader runs in a worker process (forked, so it sees the parent's modules and
settings) that has ``RLIMIT_AS`` set to ``FOIATRACE_PARSE_MEMORY_MB``; the parent waits at
most ``FOIATRACE_PARSE_TIMEOUT_S`` for its answer, then kills the worker's whole process
group (OCR's tesseract children too) and starts a fresh one for the next file. The worker
is reused between files (a fork per file would cost the Clinton release minutes); its peak
resident memory is reset before each file (``/proc/self/clear_refs``) so each file's own
peak is measured. ``FOIATRACE_ISOLATE=0`` reads in-process (debugging), without these bounds.

Everything the worker writes to disk (OCR work files, ocrmypdf's and tesseract's temporary
files) lives in its own ``foiatrace-<pid>-work-`` folder, removed when it ends, or at the
next ingest if it was killed (:func:`foia.limits.clean_stale_temp`).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from foia import limits
from foia.models import IngestError, Message

Records = list[Message | IngestError]


@dataclass
class Outcome:
    """A file's records, or the error that stopped its parse, with its cost."""

    records: Records = field(default_factory=list)
    seconds: float = 0.0
    peak_kb: int = 0  # the worker's peak resident memory while parsing this file (0: unknown)


def isolation_enabled() -> bool:
    return os.environ.get("FOIATRACE_ISOLATE", "1") != "0"


def _peak_kb() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    import resource  # noqa: PLC0415

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _die_with_parent() -> None:
    """Linux: the worker is killed when the parent dies (a killed ingest leaves no parser)."""
    with contextlib.suppress(Exception):
        import ctypes  # noqa: PLC0415

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _address_space() -> int:
    """This process's virtual size in bytes (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _serve(conn: Connection, memory_mb: float, timeout_s: float) -> None:
    """The worker's loop: (function, args) in, ("ok"|"memory"|"error", payload, peak) out."""
    os.setsid()  # its own process group: the parent kills OCR's children with it
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    work = tempfile.mkdtemp(prefix=limits.temp_prefix("work"))
    tempfile.tempdir = work  # ocrmypdf, pikepdf, zip members of a member: all in here
    os.environ["TMPDIR"] = work  # tesseract, ghostscript
    try:
        import resource  # noqa: PLC0415

        if memory_mb > 0:
            # The cap is on what this worker adds: a fork inherits its parent's whole address
            # space (a process that loaded torch maps several GB it never touches), and a cap
            # below that would fail every allocation, OCR's included.
            cap = _address_space() + int(memory_mb * 2**20)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, ValueError, OSError):
        pass
    try:
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                break
            if job is None:
                break
            fn, args = job
            _reset_peak()
            signal.alarm(int(timeout_s) + 30)  # the parent may be gone: bound it anyway
            try:
                reply: tuple[str, Any] = ("ok", list(fn(*args)))
            except MemoryError:
                reply = ("memory", None)
            except RecursionError:
                reply = ("error", ("nested too deep to parse (recursion limit)", ""))
            except Exception as exc:  # noqa: BLE001 - reported as the file's error
                reply = ("error", (f"unexpected error: {type(exc).__name__}", str(exc)[:500]))
            finally:
                signal.alarm(0)
            peak = _peak_kb()
            try:
                conn.send((*reply, peak))
            except MemoryError:
                conn.send(("memory", None, peak))
            except Exception as exc:  # noqa: BLE001 - e.g. a record that cannot be pickled
                conn.send(("error", (f"unexpected error: {type(exc).__name__}", str(exc)), peak))
    finally:
        shutil.rmtree(work, ignore_errors=True)


class Worker:
    """One parser process, started on first use, replaced after a kill or a memory error."""

    def __init__(self) -> None:
        self._proc: Any = None
        self._conn: Connection | None = None

    def _start(self, timeout_s: float) -> None:
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        parent, child = ctx.Pipe()
        memory = limits.get("parse memory")
        self._proc = ctx.Process(target=_serve, args=(child, memory, timeout_s), daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def kill(self) -> None:
        """Kill the worker and its children; remove its work folder."""
        proc, self._proc = self._proc, None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if proc is None:
            return
        if proc.pid is None:  # never started (start() failed): nothing to kill
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            proc.kill()
        proc.join(5)
        limits.clean_stale_temp()

    def close(self) -> None:
        """Ask the worker to finish (it removes its work folder), kill it if it does not."""
        if self._proc is not None and self._conn is not None:
            with contextlib.suppress(OSError, BrokenPipeError):
                self._conn.send(None)
            self._proc.join(5)
        self.kill()

    def call(self, source: str, fn: Callable[..., Any], *args: Any) -> Outcome:
        """``fn(*args)`` in the worker; a limit hit or a crash is an :class:`IngestError`
        naming ``source``."""
        timeout = limits.get("parse time")
        if self._proc is None or not self._proc.is_alive():
            self.kill()
            self._start(timeout)
        assert self._conn is not None
        t0 = time.monotonic()
        try:
            self._conn.send((fn, args))
        except (OSError, BrokenPipeError) as exc:
            self.kill()
            return Outcome([IngestError(source, "parser process failed to start", str(exc))])
        if not self._conn.poll(timeout):
            self.kill()
            reason = limits.over("parse time", None, timeout)
            return Outcome([IngestError(source, reason, "worker killed")], timeout)
        try:
            status, payload, peak = self._conn.recv()
        except (EOFError, OSError):
            code = self._proc.exitcode if self._proc is not None else None
            self.kill()
            elapsed = time.monotonic() - t0
            if code is not None and code < 0:
                why = f"parser process killed by signal {-code}"
            else:
                why = "parser process died"
            if elapsed >= timeout:
                why = limits.over("parse time", None, timeout)
            return Outcome([IngestError(source, why, "likely out of memory or a crash")], elapsed)
        elapsed = time.monotonic() - t0
        if status == "ok":
            return Outcome(payload, elapsed, peak)
        if status == "memory":
            self.kill()  # a heap that hit its cap is not reused
            reason = limits.over("parse memory", None)
            return Outcome([IngestError(source, reason, "parse stopped")], elapsed, peak)
        reason, detail = payload
        return Outcome([IngestError(source, reason, detail)], elapsed, peak)


def call_inline(source: str, fn: Callable[..., Any], *args: Any) -> Outcome:
    """``fn(*args)`` in this process (``FOIATRACE_ISOLATE=0``): no time or memory bound."""
    t0 = time.monotonic()
    try:
        records = list(fn(*args))
    except MemoryError:
        records = [IngestError(source, "out of memory while parsing")]
    except RecursionError:
        records = [IngestError(source, "nested too deep to parse (recursion limit)")]
    except Exception as exc:  # noqa: BLE001 - last line of defence: report, go on
        records = [IngestError(source, f"unexpected error: {type(exc).__name__}", str(exc))]
    return Outcome(records, time.monotonic() - t0, _peak_kb())
