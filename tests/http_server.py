"""A real HTTP server on 127.0.0.1 for download tests, told per path how to misbehave.

Usage (see ``tests/test_http.py``)::

    with FixtureServer() as server:
        url = server.route("/a.csv", body, failures=[Fail.http(500), Fail.truncate()])
        ...
        assert server.count("/a.csv") == 3

Each request to a path takes the next entry of ``failures`` (then succeeds), or ``always`` on
every request. Successful answers honour ``Range: bytes=N-`` when ``ranges=True`` (206, or 416
past the end) and ignore it otherwise (200, whole body). Every request is recorded with its
headers, failures included.

The server speaks HTTP/1.0 (one request per connection) so that a truncated body or a reset
affects one request only, and its handler threads are joined on :meth:`FixtureServer.stop`.
"""

from __future__ import annotations

import re
import socket
import socketserver
import struct
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LOCALHOST = "127.0.0.1"


@dataclass(frozen=True)
class Fail:
    """One way for a request to fail; build with the class methods."""

    kind: str
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0

    @classmethod
    def http(cls, status: int, *, retry_after: str | None = None) -> Fail:
        """Answer ``status`` with an empty body (and ``Retry-After`` if given)."""
        return cls("http", status=status, retry_after=retry_after)

    @classmethod
    def stall(cls, seconds: float = 5.0) -> Fail:
        """Send nothing for ``seconds`` (or until the server stops), then close."""
        return cls("stall", seconds=seconds)

    @classmethod
    def stall_body(cls, seconds: float = 5.0) -> Fail:
        """Send the headers and half the body, then nothing for ``seconds``, then close."""
        return cls("stall_body", seconds=seconds)

    @classmethod
    def truncate(cls) -> Fail:
        """Announce the full Content-Length, send half the body, close."""
        return cls("truncate")

    @classmethod
    def reset(cls) -> Fail:
        """Read the request, then reset the connection (TCP RST) without answering."""
        return cls("reset")

    @classmethod
    def corrupt(cls) -> Fail:
        """Answer normally but with every byte inverted (same length)."""
        return cls("corrupt")


@dataclass
class Route:
    """What one path serves."""

    body: bytes = b""
    ranges: bool = True
    failures: list[Fail] = field(default_factory=list)
    always: Fail | None = None
    content_type: str = "application/octet-stream"
    content_length: bool = True


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # handler threads are joined by server_close()
    block_on_close = True

    def __init__(self, owner: FixtureServer) -> None:
        self.owner = owner
        self.to_reset: set[int] = set()
        super().__init__((LOCALHOST, 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look up the host name (getfqdn): not needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        fileno = request.fileno()
        if fileno in self.to_reset:
            self.to_reset.discard(fileno)
            request.close()  # SO_LINGER 0: the close sends RST, not FIN
            return
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return  # the client hung up (it timed out, or we reset it): expected
        self.owner.errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    timeout = 5  # socket timeout for reading the request

    def do_GET(self) -> None:
        self.server.owner._handle(self)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


class FixtureServer:
    """A scriptable HTTP server on ``127.0.0.1`` and a free port, run in a background thread."""

    def __init__(self) -> None:
        self.errors: list[BaseException | None] = []
        self._routes: dict[str, Route] = {}
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FixtureServer:
        self._httpd = _Server(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fixture-http-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes stalled handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()  # joins handler threads
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://{LOCALHOST}:{self.port}{path}"

    def route(
        self,
        path: str,
        body: bytes = b"",
        *,
        ranges: bool = True,
        failures: list[Fail] | None = None,
        always: Fail | None = None,
        content_type: str = "application/octet-stream",
        content_length: bool = True,
    ) -> str:
        """Serve ``body`` at ``path`` (replacing any earlier route); return its URL."""
        with self._lock:
            self._routes[path] = Route(
                body=body,
                ranges=ranges,
                failures=list(failures or []),
                always=always,
                content_type=content_type,
                content_length=content_length,
            )
        return self.url(path)

    def seen(self, path: str | None = None) -> list[Seen]:
        """Requests received, all or those to ``path`` (query string ignored)."""
        with self._lock:
            return [s for s in self._seen if path is None or urlsplit(s.path).path == path]

    def count(self, path: str | None = None) -> int:
        return len(self.seen(path))

    # -- serving ---------------------------------------------------------------------------

    def _handle(self, h: _Handler) -> None:
        path = urlsplit(h.path).path
        with self._lock:
            self._seen.append(Seen(h.command, h.path, dict(h.headers.items())))
            route = self._routes.get(path)
            fail = None
            if route is not None:
                fail = route.failures.pop(0) if route.failures else route.always
        if route is None:
            self._empty(h, 404)
        elif fail is None:
            self._respond(h, route)
        elif fail.kind == "http":
            self._empty(h, fail.status, retry_after=fail.retry_after)
        elif fail.kind == "stall":
            self._stop.wait(fail.seconds)
        elif fail.kind == "reset":
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self._httpd_or_fail().to_reset.add(h.connection.fileno())
            h.close_connection = True
        elif fail.kind == "truncate":
            self._respond(h, route, cut=True)
        elif fail.kind == "stall_body":
            self._respond(h, route, cut=True, stall=fail.seconds)
        elif fail.kind == "corrupt":
            self._respond(h, route, corrupt=True)
        else:
            raise ValueError(f"unknown failure kind {fail.kind!r}")

    def _httpd_or_fail(self) -> _Server:
        assert self._httpd is not None
        return self._httpd

    @staticmethod
    def _empty(h: _Handler, status: int, *, retry_after: str | None = None) -> None:
        h.send_response(status)
        if retry_after is not None:
            h.send_header("Retry-After", retry_after)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _respond(
        self,
        h: _Handler,
        route: Route,
        *,
        cut: bool = False,
        stall: float = 0.0,
        corrupt: bool = False,
    ) -> None:
        body = bytes(b ^ 0xFF for b in route.body) if corrupt else route.body
        size = len(body)
        status, payload, content_range = 200, body, None
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", h.headers.get("Range", "").strip())
        if route.ranges and match:
            start = int(match[1])
            if start >= size:
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{size}")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            end = min(int(match[2]) if match[2] else size - 1, size - 1)
            status, payload = 206, body[start : end + 1]
            content_range = f"bytes {start}-{end}/{size}"
        h.send_response(status)
        h.send_header("Content-Type", route.content_type)
        if route.ranges:
            h.send_header("Accept-Ranges", "bytes")
        if content_range is not None:
            h.send_header("Content-Range", content_range)
        if route.content_length:
            h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload[: len(payload) // 2] if cut else payload)
        h.wfile.flush()
        if stall:
            self._stop.wait(stall)
