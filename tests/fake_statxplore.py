"""A fake Stat-Xplore table endpoint on 127.0.0.1, answering in the confirmed JSON shape.

``POST /table`` with the ``APIKey`` header and a JSON query. The server knows one
:class:`~ingest.sources.dwp_statxplore.Query` (its database, measure, fields and LSOA valueset):
any other identifier is refused with HTTP 404 and a JSON message naming it, as Stat-Xplore
names what it does not know. A query of the date field alone is answered with every month of
:data:`MONTHS`; a query of the LSOA field (recoded to some LSOAs) by the date field (recoded
to one month) with :func:`count` of each LSOA. Answers carry ``database``, ``measures``,
``fields[].items[].labels/uris`` and ``cubes{measure: {"values", "precision"}}``; an LSOA's
item is labelled with its name, its code is the last part of its uri.

``failures`` holds HTTP statuses to answer first, one a request (e.g. ``[(429, "2")]`` for a
429 with ``Retry-After: 2``). Every request is kept in :attr:`StatXploreServer.requests`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ingest.sources.dwp_statxplore import Query

LOCALHOST = "127.0.0.1"
#: Months the fake database holds (quarterly, as Pension Credit is published).
MONTHS = ("202408", "202411", "202502", "202505")


def count(code: str, month: str) -> int:
    """The fake count of an LSOA in a month: a function of both, so tests can write it."""
    return int(code[-3:]) % 50 + int(month[-2:])


def month_uri(query: Query, month: str) -> str:
    """Uri of a month's value, as the fake database names it."""
    return f"{query.date_field.replace('str:field:', 'str:value:')}:C_FAKE_DATE:{month}"


@dataclass
class Seen:
    """One request as received."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class StatXploreServer:
    """The fake endpoint; use as a context manager, then :meth:`url`."""

    query: Query
    key: str
    failures: list[tuple[int, str | None]] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)

    def __enter__(self) -> StatXploreServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                owner.requests.append(Seen(self.path, dict(self.headers.items()), body))
                status, answer, retry_after = owner.answer(self.path, self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer((LOCALHOST, 0), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def url(self) -> str:
        """Base address to give the client (the table endpoint is ``/table`` under it)."""
        return f"http://{LOCALHOST}:{self._httpd.server_address[1]}"

    def answer(self, path: str, headers: Any, body: Any) -> tuple[int, Any, str | None]:
        """Status, JSON answer and Retry-After of one request."""
        if self.failures:
            status, retry_after = self.failures.pop(0)
            return status, {"message": "failure scripted by the test"}, retry_after
        if path != "/table":
            return 404, {"message": f"no endpoint {path}"}, None
        if headers.get("APIKey") != self.key:
            return 401, {"message": "Invalid API key"}, None
        q = self.query
        known = {q.database, q.measure, q.lsoa_field, q.date_field}
        named = [body.get("database"), *body.get("measures", [])]
        named += [f for dims in body.get("dimensions", []) for f in dims]
        for value in named:
            if value not in known:
                return 404, {"message": f"Unknown identifier: {value}"}, None
        dims = [f for dims in body["dimensions"] for f in dims]
        if dims == [q.date_field]:
            return 200, self._months_answer(), None
        recodes = body["recodes"]
        lsoas = [group[0] for group in recodes[q.lsoa_field]["map"]]
        for uri in lsoas:
            if uri.rsplit(":", 1)[0] != q.lsoa_valueset:
                return 404, {"message": f"Unknown value: {uri}"}, None
        (month,) = (group[0].rsplit(":", 1)[-1] for group in recodes[q.date_field]["map"])
        return 200, self._lsoa_answer([u.rsplit(":", 1)[-1] for u in lsoas], month), None

    def _frame(self, fields: list[dict[str, Any]], values: Any) -> dict[str, Any]:
        q = self.query
        return {
            "query": {},
            "database": {"uri": q.database, "label": "Fake database"},
            "measures": [{"uri": q.measure, "label": "Fake count"}],
            "fields": fields,
            "cubes": {q.measure: {"values": values, "precision": 0}},
        }

    def _months_answer(self) -> dict[str, Any]:
        items = [
            {"type": "RecodeItem", "labels": [f"Month {m}"], "uris": [month_uri(self.query, m)]}
            for m in MONTHS
        ]
        field_ = {"uri": self.query.date_field, "label": "Quarter", "items": items}
        return self._frame([field_], [1000 + i for i in range(len(MONTHS))])

    def _lsoa_answer(self, codes: list[str], month: str) -> dict[str, Any]:
        q = self.query
        lsoa_items = [
            {"type": "RecodeItem", "labels": [f"Fake LSOA {c}"], "uris": [q.lsoa_value(c)]}
            for c in codes
        ]
        month_items = [
            {"type": "RecodeItem", "labels": [f"Month {month}"], "uris": [month_uri(q, month)]}
        ]
        fields = [
            {"uri": q.lsoa_field, "label": "National - Regional - LA - OAs", "items": lsoa_items},
            {"uri": q.date_field, "label": "Quarter", "items": month_items},
        ]
        return self._frame(fields, [[float(count(c, month))] for c in codes])
