"""Serve a static site directory on 127.0.0.1 for a crawl (scenarios, tests, eval).

A scenario's ``site/`` is crawled exactly like the web, through HTTP, so sitemaps,
status codes, robots.txt and content types are exercised; a thread-backed
``http.server`` on a free loopback port is enough and needs nothing installed.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files without one log line per request on stderr."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",  # real pages decode as UTF-8, not by guess
        ".xml": "application/xml",
        ".gz": "application/gzip",
    }

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        pass


@contextmanager
def serve_site(root: Path, port: int = 0) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port by default); yields the base URL."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a directory")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="serve-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
