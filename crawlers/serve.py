"""Serve a static site directory on 127.0.0.1 for a crawl (scenarios, tests, eval).

A scenario's ``site/`` is crawled exactly like the web, through HTTP, so sitemaps,
status codes, robots.txt and content types are exercised; a thread-backed
``http.server`` on a free loopback port is enough and needs nothing installed.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# A route answers (status, headers, body) for a path, overriding the files (tests: redirects,
# huge bodies, slow pages).
Route = Callable[[str], tuple[int, dict[str, str], bytes]]


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files without one log line per request on stderr."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",  # real pages decode as UTF-8, not by guess
        ".xml": "application/xml",
        ".gz": "application/gzip",
    }

    requests: list[str] | None = None
    routes: dict[str, Route] = {}
    delay: float = 0.0

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        pass

    def _route(self) -> bool:
        path = urlsplit(self.path).path
        if self.requests is not None:
            self.requests.append(path)
        if self.delay and path.endswith(".html"):
            time.sleep(self.delay)
        route = self.routes.get(path)
        if route is None:
            return False
        status, headers, body = route(path)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return True

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if not self._route():
            super().do_GET()

    def do_HEAD(self) -> None:  # noqa: N802
        if not self._route():
            super().do_HEAD()


@contextmanager
def serve_site(
    root: Path,
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    requests: list[str] | None = None,
    routes: dict[str, Route] | None = None,
    delay: float = 0.0,
) -> Iterator[str]:
    """Serve ``root`` on a loopback address (a free port by default); yields the base URL.

    ``requests`` (a list) receives every requested path, ``routes`` override paths,
    ``delay`` slows every ``.html`` answer down (to kill a crawl midway in tests).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a directory")
    if not host.startswith("127."):
        raise ValueError("serve_site binds loopback addresses only")
    handler_cls = type(
        "_SiteHandler",
        (_QuietHandler,),
        {"requests": requests, "routes": dict(routes or {}), "delay": delay},
    )
    handler = functools.partial(handler_cls, directory=str(root))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="serve-site", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
