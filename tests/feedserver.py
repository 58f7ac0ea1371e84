"""A loopback HTTP feed server and the feed fixtures for the collect tests.

Used by test_collect.py and test_faults_feeds.py (as fakellm.py is by the LLM tests).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RSS = "application/rss+xml; charset=utf-8"
XML = "application/xml"
FIXTURES = Path(__file__).parent / "fixtures" / "collect"


def fixture(name: str) -> bytes:
    """The bytes of a feed fixture under tests/fixtures/collect."""
    return (FIXTURES / name).read_bytes()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str | None = RSS
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering; released early when the test ends
    etag: str | None = None
    last_modified: str | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default 5 drops SYNs when every feed connects at once


class FeedServer:
    """Serves a table of path → successive replies (the last repeats); counts and records requests."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.hits: Counter[str] = Counter()
        self.requests: dict[str, list[dict[str, str]]] = {}
        self.release = threading.Event()
        self.in_flight = 0  # requests being answered now, and the most at once
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer()
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self) -> None:
                path = self.path.split("?")[0]
                n = server.hits[path]
                server.hits[path] += 1
                server.requests.setdefault(path, []).append(dict(self.headers))
                replies = server.routes.get(path) or [Reply(404, b"not here", "text/plain")]
                reply = replies[min(n, len(replies) - 1)]
                if reply.delay:
                    server.release.wait(reply.delay)
                    if server.release.is_set():
                        return
                status, body = reply.status, reply.body
                if (reply.etag and self.headers.get("If-None-Match") == reply.etag) or (
                    reply.last_modified
                    and self.headers.get("If-Modified-Since") == reply.last_modified
                ):
                    status, body = 304, b""
                try:
                    self.send_response(status)
                    if reply.content_type and status != 304:
                        self.send_header("Content-Type", reply.content_type)
                    if reply.etag:
                        self.send_header("ETag", reply.etag)
                    if reply.last_modified:
                        self.send_header("Last-Modified", reply.last_modified)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _Server((host, 0), Handler)
        self.base = f"http://{host}:{self.httpd.server_address[1]}"

    def route(self, path: str, *replies: Reply) -> str:
        self.routes[path] = list(replies)
        return self.base + path


def serve(host: str = "127.0.0.1") -> Iterator[FeedServer]:
    """A running FeedServer until the generator closes: `yield from serve()` in a fixture."""
    s = FeedServer(host)
    thread = threading.Thread(target=s.httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield s
    s.release.set()
    s.httpd.shutdown()
    s.httpd.server_close()
