"""Spec-shaped answers of Ofcom's Connected Nations API, and a test server that gives them.

Shapes follow ``/work/shared/reference/ofcom_api.md``: a mobile answer is ``{"PostCode",
"Availability": [premises...], "DBName"}``, a broadband answer ``{"PostCode", "Count",
"Availability": [...]}``; each premises carries ``UPRN`` (12 digits, above int32),
``AddressShortDescription`` (a fake address), ``PostCode`` and every field of
:data:`ingest.sources.ofcom_api.MOBILE_FIELDS` or
:data:`~ingest.sources.ofcom_api.BROADBAND_FIELDS`. Values are deterministic functions of the
UPRN, so a test can write the expected value by hand: mobile field number ``i`` (0-based, in the
order of ``MOBILE_FIELDS``) is ``(uprn + i) % 5``; broadband field number ``i`` is ``(uprn %
100) * 10 + i`` Mbit/s.

:class:`OfcomServer` is a :class:`http_server.FixtureServer` that also serves a JSON body with
an error status (Ofcom's 404 ``{"PostCode", "Error"}``), answers whole families of paths from a
function (every postcode of a place without one route each), and notes the time of each
request (to count requests per minute).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from http_server import FixtureServer, Seen

from ingest.sources.ofcom_api import BROADBAND_FIELDS, MOBILE_FIELDS

#: Ofcom's example database build, as named by ``DBName``.
DB_NAME = "MobileAvailability-202406041254"
#: First UPRN handed out: Ofcom's example premises, 12 digits, above 2**31.
FIRST_UPRN = 100020416746
MOBILE_PATH = "/mobile/coverage/{postcode}"
BROADBAND_PATH = "/broadband/coverage/{postcode}"
PATHS = {"mobile": MOBILE_PATH, "broadband": BROADBAND_PATH}


def address(number: int) -> str:
    """A fake street address, the kind of text the answers must never keep."""
    return f"{number} Test Street"


def uprns_for(postcode: str, n: int) -> list[int]:
    """``n`` distinct 12-digit UPRNs for a postcode, the same each time."""
    base = FIRST_UPRN + (sum(ord(c) * 31**i for i, c in enumerate(postcode)) % 10_000_000) * 100
    return [base + i for i in range(n)]


def rating(uprn: int, index: int) -> int:
    """Rating 0-4 of mobile field ``index`` of a premises."""
    return (uprn + index) % 5


def speed(uprn: int, index: int) -> float:
    """Speed (Mbit/s) of broadband field ``index`` of a premises."""
    return float((uprn % 100) * 10 + index)


def mobile_premises(uprn: int, postcode: str, number: int = 1, **overrides: Any) -> dict[str, Any]:
    """One premises of a mobile answer; ``overrides`` replace fields (value ``...``: drop it)."""
    item: dict[str, Any] = {
        "UPRN": uprn,
        "AddressShortDescription": address(number),
        "PostCode": postcode,
    }
    item.update({name: rating(uprn, i) for i, name in enumerate(MOBILE_FIELDS)})
    return _override(item, overrides)


def broadband_premises(
    uprn: int, postcode: str, number: int = 1, **overrides: Any
) -> dict[str, Any]:
    """One premises of a broadband answer; ``overrides`` replace fields (``...``: drop it)."""
    item: dict[str, Any] = {
        "UPRN": uprn,
        "AddressShortDescription": address(number),
        "PostCode": postcode,
    }
    item.update({name: speed(uprn, i) for i, name in enumerate(BROADBAND_FIELDS)})
    return _override(item, overrides)


def _override(item: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    for name, value in overrides.items():
        if value is ...:
            item.pop(name, None)
        else:
            item[name] = value
    return item


def mobile_body(postcode: str, uprns: Iterable[int] | int = 2) -> dict[str, Any]:
    """A documented mobile answer: ``{"PostCode", "Availability", "DBName"}``."""
    uprns = uprns_for(postcode, uprns) if isinstance(uprns, int) else list(uprns)
    return {
        "PostCode": postcode,
        "Availability": [mobile_premises(u, postcode, n) for n, u in enumerate(uprns, 1)],
        "DBName": DB_NAME,
    }


def broadband_body(postcode: str, uprns: Iterable[int] | int = 2) -> dict[str, Any]:
    """A documented broadband answer: ``{"PostCode", "Count", "Availability"}``."""
    uprns = uprns_for(postcode, uprns) if isinstance(uprns, int) else list(uprns)
    return {
        "PostCode": postcode,
        "Count": len(uprns),
        "Availability": [broadband_premises(u, postcode, n) for n, u in enumerate(uprns, 1)],
    }


def body_for(endpoint: str, postcode: str, uprns: Iterable[int] | int = 2) -> dict[str, Any]:
    """The documented answer of one endpoint."""
    return (mobile_body if endpoint == "mobile" else broadband_body)(postcode, uprns)


def bare(body: Mapping[str, Any]) -> dict[str, Any]:
    """The bare-object variant: the first premises alone."""
    return dict(body["Availability"][0])


def as_array(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The array variant: the premises list alone."""
    return [dict(item) for item in body["Availability"]]


def not_found_body(postcode: str) -> dict[str, str]:
    """Ofcom's 404 body for an unknown postcode."""
    return {"PostCode": postcode, "Error": "Postcode not found"}


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()


class OfcomServer(FixtureServer):
    """A :class:`FixtureServer` with JSON error bodies, path patterns and request times.

    - :meth:`route_status` serves a JSON body with any status (e.g. Ofcom's 404);
    - :meth:`route_pattern` answers every path matching a regular expression (that has no
      exact route) from a function of the match: ``(status, body)``;
    - :attr:`times` holds the :func:`time.monotonic` time of each request, and
      :meth:`most_in_window` the most requests seen within any window of that many seconds.
    """

    def __init__(self) -> None:
        super().__init__()
        self._statuses: dict[str, tuple[int, bytes]] = {}
        self._patterns: list[tuple[re.Pattern[str], Callable[[re.Match[str]], tuple[int, Any]]]]
        self._patterns = []
        self.times: list[float] = []
        self._times_lock = threading.Lock()

    def route_status(self, path: str, status: int, body: Any) -> str:
        """Serve ``body`` (encoded as JSON) with ``status`` at ``path``; return its URL."""
        with self._lock:
            self._statuses[path] = (status, encode(body))
        return self.url(path)

    def clear_status(self, path: str) -> None:
        """Stop serving the JSON status body of :meth:`route_status` at ``path``."""
        with self._lock:
            self._statuses.pop(path, None)

    def route_pattern(
        self, pattern: str, answer: Callable[[re.Match[str]], tuple[int, Any]]
    ) -> None:
        """Answer every path fully matching ``pattern`` with ``answer(match)``."""
        with self._lock:
            self._patterns.append((re.compile(pattern), answer))

    def most_in_window(self, seconds: float = 60.0) -> int:
        """Most requests received within any ``seconds`` long window."""
        with self._times_lock:
            times = sorted(self.times)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    def _handle(self, h: Any) -> None:
        with self._times_lock:
            self.times.append(time.monotonic())
        path = urlsplit(h.path).path
        with self._lock:
            fixed = self._statuses.get(path)
            matched = None
            if fixed is None and path not in self._routes:
                for pattern, answer in self._patterns:
                    match = pattern.fullmatch(path)
                    if match is not None:
                        matched = (answer, match)
                        break
            if fixed is not None or matched is not None:
                self._seen.append(Seen(h.command, h.path, dict(h.headers.items())))
        if fixed is not None:
            self._json(h, *fixed)
        elif matched is not None:
            answer, match = matched
            status, body = answer(match)
            self._json(h, status, encode(body))
        else:
            super()._handle(h)

    @staticmethod
    def _json(h: Any, status: int, payload: bytes) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)
        h.wfile.flush()


def serve_postcodes(
    server: FixtureServer,
    postcodes: Iterable[str],
    *,
    premises: int = 2,
    endpoints: Iterable[str] = ("mobile", "broadband"),
) -> dict[str, dict[str, dict[str, Any]]]:
    """Route each postcode's documented answers; return ``{endpoint: {postcode: body}}``."""
    served: dict[str, dict[str, dict[str, Any]]] = {}
    for endpoint in endpoints:
        served[endpoint] = {}
        for postcode in postcodes:
            body = body_for(endpoint, postcode, premises)
            server.route(
                PATHS[endpoint].format(postcode=postcode),
                encode(body),
                ranges=False,
                content_type="application/json",
            )
            served[endpoint][postcode] = body
    return served


def serve_every_postcode(server: OfcomServer, *, premises: int = 1) -> None:
    """Answer ``/mobile/coverage/{PC}`` and ``/broadband/coverage/{PC}`` for any postcode."""
    for endpoint, path in PATHS.items():
        pattern = re.escape(path).replace(re.escape("{postcode}"), "(?P<postcode>[A-Z0-9]+)")

        def answer(match: re.Match[str], endpoint: str = endpoint) -> tuple[int, Any]:
            return 200, body_for(endpoint, match["postcode"], premises)

        server.route_pattern(pattern, answer)
