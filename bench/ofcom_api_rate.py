"""Benchmark: calls a minute ``ingest.sources.ofcom_api.fetch`` makes against a rate limit.

A local HTTP server on 127.0.0.1 (``http.server.ThreadingHTTPServer``, in this file) stands for
Ofcom's gateway (Azure API Management) with its clock scaled down: at most ``--limit`` calls
(default 100) in any ``--window`` seconds (default 6: Ofcom's 100 calls a minute, ten times
faster). A call over the limit is answered HTTP 429 with ``Retry-After``, the seconds until the
oldest counted call leaves the window, rounded up to a whole second of the unscaled clock (as
APIM sends whole seconds) and scaled down; it is not counted against the limit. Every other
call with the key header gets a small spec-shaped answer (``/work/shared/reference/
ofcom_api.md``): mobile ``{"PostCode", "Availability", "DBName"}``, broadband ``{"PostCode",
"Count", "Availability"}``, 2 to 6 premises, each with ``UPRN``, ``AddressShortDescription``,
``PostCode`` and every field of ``MOBILE_FIELDS`` or ``BROADBAND_FIELDS``.

:func:`ingest.sources.ofcom_api.fetch` then asks both endpoints for ``--postcodes`` postcodes
(default 300: 600 calls, six windows) with ``rate`` set to the limit on the scaled clock,
``limit * 60 / window`` calls a real minute, its back-off scaled down likewise (the default
first back-off of 1 s becomes 0.1 s) and its cache in a temporary folder (``DIM_CACHE``). The
server notes each request's path, time and answer, so the script prints:

- the rate achieved, as the server saw it: calls answered 200 per window, between the first
  and the last, over the limit (target **>= 0.95**), and the same from fetch's own report;
- the 429s sent, and the requests per path: every path asked once, save those retried after
  a 429; "repeated answers" counts paths answered 200 more than once (target 0);
- that the cache holds one found answer for every (endpoint, postcode).

Run from the project root: ``python bench/ofcom_api_rate.py [--limit 100 --window 6
--postcodes 300]``.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import re
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rich.console import Console

from ingest import settings
from ingest.sources import ofcom_api

KEY = "bench-key"
DB_NAME = "MobileAvailability-202406041254"
FIRST_UPRN = 100020416746
_PATH = re.compile(r"/(mobile|broadband)/coverage/([A-Z0-9]+)")


class RateLimitedApi(ThreadingHTTPServer):
    """Ofcom's two endpoints behind a sliding-window limit of ``limit`` calls per ``window`` s."""

    daemon_threads = True

    def __init__(self, limit: int, window: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.limit, self.window = limit, window
        self.scale = window / 60.0  # seconds of this clock per second of Ofcom's
        self.lock = threading.Lock()
        self.accepted: collections.deque[float] = collections.deque()
        self.log: list[tuple[float, str, int]] = []  # (time, path, status)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def admit(self) -> tuple[float, float | None]:
        """Time of the call, and None if it is within the limit, else the seconds to wait."""
        with self.lock:
            now = time.monotonic()
            while self.accepted and self.accepted[0] <= now - self.window:
                self.accepted.popleft()
            if len(self.accepted) >= self.limit:
                wait = self.accepted[0] + self.window - now
                return now, math.ceil(wait / self.scale) * self.scale
            self.accepted.append(now)
            return now, None

    def note(self, when: float, path: str, status: int) -> None:
        with self.lock:
            self.log.append((when, path, status))


def _premises(endpoint: str, postcode: str) -> list[dict]:
    """2 to 6 premises of a postcode, values drawn from the UPRN (the same each time)."""
    seed = sum(ord(c) * 31**i for i, c in enumerate(postcode)) % 10_000_000
    items = []
    for i in range(2 + seed % 5):
        uprn = FIRST_UPRN + seed * 10 + i
        item = {
            "UPRN": uprn,
            "AddressShortDescription": f"{i + 1} Bench Street",
            "PostCode": postcode,
        }
        if endpoint == "mobile":
            item |= {name: (uprn + j) % 5 for j, name in enumerate(ofcom_api.MOBILE_FIELDS)}
        else:
            speeds = {
                name: float((uprn % 100) * 10 + j)
                for j, name in enumerate(ofcom_api.BROADBAND_FIELDS)
            }
            item |= speeds if uprn % 7 else dict.fromkeys(speeds, -1)
        items.append(item)
    return items


class _Handler(BaseHTTPRequestHandler):
    server: RateLimitedApi
    protocol_version = "HTTP/1.1"  # keep-alive, as the gateway does

    def do_GET(self) -> None:
        when, wait = self.server.admit()
        match = _PATH.fullmatch(self.path)
        if self.headers.get(ofcom_api.KEY_HEADER) != KEY:
            status, body, extra = 401, {"statusCode": 401, "message": "Access denied"}, {}
        elif wait is not None:
            message = f"Rate limit is exceeded. Try again in {wait:g} seconds."
            status, body, extra = (
                429,
                {"statusCode": 429, "message": message},
                {"Retry-After": f"{wait:g}"},
            )
        elif match is None:
            status, body, extra = 404, {"Error": "not found"}, {}
        else:
            endpoint, postcode = match.groups()
            items = _premises(endpoint, postcode)
            status, extra = 200, {}
            body = (
                {"PostCode": postcode, "Availability": items, "DBName": DB_NAME}
                if endpoint == "mobile"
                else {"PostCode": postcode, "Count": len(items), "Availability": items}
            )
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.server.note(when, self.path, status)

    def log_message(self, format: str, *args: object) -> None:
        pass


def postcodes(n: int) -> list[str]:
    """``n`` distinct postcodes as the API wants them (``M11AA`` ...)."""
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return [
        f"M{1 + i // 4000}{i // 400 % 10}{letters[i // 20 % 20]}{letters[i % 20]}" for i in range(n)
    ]


def main() -> None:
    """Start the server, run fetch against it, print the rate, the 429s and the repeats."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=100, help="calls allowed per window")
    parser.add_argument("--window", type=float, default=6.0, help="window, s (60 = unscaled)")
    parser.add_argument("--postcodes", type=int, default=300, help="postcodes; 2 calls each")
    parser.add_argument(
        "--rate-factor", type=float, default=1.0, help="fetch's rate as a multiple of the limit"
    )
    args = parser.parse_args()
    codes = postcodes(args.postcodes)
    assert len(set(codes)) == len(codes)
    scale = args.window / 60.0
    rate = args.rate_factor * args.limit * 60.0 / args.window  # calls a real minute
    load = os.getloadavg()
    server = RateLimitedApi(args.limit, args.window)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with tempfile.TemporaryDirectory(prefix="ofcom_api_rate_") as tmp:
        os.environ["DIM_CACHE"] = tmp
        cache = ofcom_api.AnswerCache(
            ofcom_api.place_cache("BENCH", settings.cache_dir() / "ofcom_api"),
            ofcom_api.MAX_CACHE_DAYS,
        )
        slept = [0.0]

        def sleep(seconds: float) -> None:
            start = time.perf_counter()
            time.sleep(seconds)
            slept[0] += time.perf_counter() - start

        report = ofcom_api.fetch(
            codes,
            cache,
            key=KEY,
            base_url=server.url,
            rate=rate,
            console=Console(stderr=True, quiet=True),
            backoff=settings.HTTP_BACKOFF * scale,
            sleep=sleep,
        )
        held = {e: {a.postcode: a.status for a in cache.answers(e)} for e in ofcom_api.ENDPOINTS}
    server.shutdown()
    server.server_close()

    log = sorted(server.log)
    ok = [when for when, _, status in log if status == 200]
    by_path = collections.Counter(path for _, path, _ in log)
    ok_by_path = collections.Counter(path for _, path, status in log if status == 200)
    retried = {path for _, path, status in log if status == 429}
    limit_per_s = args.limit / args.window
    span = ok[-1] - ok[0]
    server_ratio = (len(ok) - 1) / span / limit_per_s
    client_ratio = report.found / report.seconds / limit_per_s
    busiest = max(sum(1 for t in ok[i:] if t < start + args.window) for i, start in enumerate(ok))
    print(
        f"limit {args.limit} calls per {args.window:g} s window (Ofcom's {args.limit} a minute, "
        f"clock scaled {1 / scale:g}x down), sliding window; fetch rate {rate:,.0f} calls a "
        f"minute ({60 / rate * 1000:.1f} ms between call starts), back-off "
        f"{settings.HTTP_BACKOFF * scale:g} s"
    )
    print(
        f"{args.postcodes:,} postcodes x 2 endpoints = {report.asked:,} answers; fetch: "
        f"{report.calls:,} calls in {report.seconds:.2f} s, found {report.found:,}, not found "
        f"{report.not_found}, failed {report.failed}"
    )
    print(
        f"server: {len(log):,} requests, {len(ok):,} answered 200 over {span:.2f} s "
        f"({span / args.window:.1f} windows); most in any {args.window:g} s: {busiest}"
    )
    print(
        f"achieved / limit: {server_ratio:.3f} (server, first to last 200), "
        f"{client_ratio:.3f} (fetch's report, answers / its run time)   target >= 0.95"
    )
    print(
        f"fetch's own time per call (request, checks, cache write; not sleeping): "
        f"{(report.seconds - slept[0]) / report.calls * 1000:.1f} ms of the "
        f"{60 / rate * 1000:.1f} ms between starts; slept {slept[0]:.2f} s in all"
    )
    print(f"429s received: {sum(1 for *_, s in log if s == 429)} (paths retried: {len(retried)})")
    once = sum(1 for path, n in by_path.items() if n == 1)
    more = {path: n for path, n in by_path.items() if n > 1}
    print(
        f"requests per path: {once:,} paths asked once, {len(more)} asked more than once"
        + (f" (all after a 429: {set(more) <= retried})" if more else "")
    )
    repeated = sum(1 for n in ok_by_path.values() if n > 1)
    print(f"repeated answers: {repeated} (paths answered 200 more than once)   target 0")
    expected = len(codes) * len(ofcom_api.ENDPOINTS)
    every = all(held[e].get(code) == ofcom_api.FOUND for e in ofcom_api.ENDPOINTS for code in codes)
    print(
        f"cache: {sum(map(len, held.values())):,} answers of {expected:,}, every one found: "
        f"{every}; paths answered 200: {len(ok_by_path):,}"
    )
    print(f"load average (1 min) {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
