"""Opt-in guard for tests: the crawl process may talk to loopback addresses only.

``FOIATRACE_LOOPBACK_ONLY=1`` (read by ``crawlers.run``) installs an audit hook
(``sys.addaudithook``) in the crawler's own process, where Scrapy and Twisted open their
sockets: a ``socket.connect`` to a non-loopback address, and a name lookup
(``getaddrinfo``, and ``gethostbyname`` that Scrapy's default resolver uses) of anything
but a loopback name or an IP literal, are refused with ``PermissionError`` and recorded.
The record ends up in the crawl summary (``off_loopback``), so a test can assert that
nothing left the machine even when the crawl itself recovered from the refusal. Nothing
of Scrapy is patched: the hook sees every socket, whatever library opens it. Audit hooks
cannot be removed, which is fine in the one-shot crawl process and why this is never
installed in a test runner.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import sys
import threading
from typing import Any

ENV = "FOIATRACE_LOOPBACK_ONLY"

log = logging.getLogger(__name__)

_lock = threading.Lock()
_violations: list[str] = []
_installed = False


def _loopback_host(host: Any) -> bool | None:
    """True for a loopback name or address, False for another address, None for a name."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return None
    host = host.strip("[]").split("%")[0].lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return None


def _refuse(what: str) -> None:
    with _lock:
        _violations.append(what)
    log.error("%s=1: refused %s", ENV, what)
    raise PermissionError(errno.EACCES, f"{ENV}: {what} refused")


# name lookups: getaddrinfo (Twisted's hostname resolver, the safety middleware) and
# gethostbyname (Scrapy's default threaded resolver)
_LOOKUPS = frozenset({"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"})


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address:
            # AF_INET / AF_INET6 (host, port, ...); AF_UNIX paths are local by nature
            if _loopback_host(address[0]) is not True:
                _refuse(f"connect to {address[0]}:{address[1] if len(address) > 1 else '?'}")
    elif event in _LOOKUPS:
        host = args[0]
        if host is not None and _loopback_host(host) is None:
            _refuse(f"name lookup of {host!r}")


def install() -> None:
    """Install the hook once for this process (see the module docstring)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def enabled() -> bool:
    """Whether the environment asks for the guard."""
    return os.environ.get(ENV, "").strip() not in ("", "0")


def violations() -> list[str]:
    """What was refused so far (``"connect to 10.0.0.1:80"``, ``"name lookup of 'x'"``)."""
    with _lock:
        return list(_violations)
