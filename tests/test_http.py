"""ingest._http against a real HTTP server on 127.0.0.1 (never any other address)."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from http_server import LOCALHOST, Fail, FixtureServer

from ingest import _http, settings
from ingest._errors import IngestError
from ingest._http import DownloadError, download, fetch_json, sha256_file

BODY = random.Random(20250701).randbytes(200_000)
BODY_SHA = hashlib.sha256(BODY).hexdigest()
RETRIES = 3
# Short timeouts and no back-off keep every test well under a second.
FAST = {"timeout": (1.0, 0.5), "retries": RETRIES, "backoff": 0.0, "verbose": False}


#: Every test here may reach 127.0.0.1 only (see conftest).
pytestmark = pytest.mark.usefixtures("only_localhost")


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    srv = FixtureServer().start()
    try:
        yield srv
    finally:
        srv.stop()
    assert not srv.errors, f"the test server failed: {srv.errors!r}"


@pytest.fixture
def sleeps() -> list[float]:
    """Injected ``sleep``: records the waits instead of sleeping."""
    return []


def part_of(dest: Path) -> Path:
    return dest.with_suffix(dest.suffix + ".part")


def assert_nothing_left(dest: Path) -> None:
    assert not dest.exists()
    assert not part_of(dest).exists()


# ------------------------------------------------------------------------------------------
# Success, cache, headers
# ------------------------------------------------------------------------------------------


def test_download_saves_the_bytes(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY)
    dest = tmp_path / "sub" / "data.zip"

    assert download(url, dest, **FAST) == dest

    assert dest.read_bytes() == BODY
    assert not part_of(dest).exists()
    (seen,) = server.seen("/data.zip")
    assert seen.headers["User-Agent"].startswith("digital-inclusion-map/")
    assert seen.headers["Accept-Encoding"] == "identity"
    assert "Range" not in seen.headers


def test_download_checks_a_matching_sha256(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY)
    dest = download(url, tmp_path / "data.zip", sha256=BODY_SHA.upper(), **FAST)
    assert dest.read_bytes() == BODY


def test_download_without_content_length(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, content_length=False)
    assert download(url, tmp_path / "data.zip", **FAST).read_bytes() == BODY


def test_empty_file(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/empty.csv", b"")
    assert download(url, tmp_path / "empty.csv", **FAST).read_bytes() == b""


@pytest.mark.parametrize("sha256", [None, BODY_SHA])
def test_cached_file_makes_no_request(
    server: FixtureServer, tmp_path: Path, sha256: str | None
) -> None:
    url = server.route("/data.zip", b"other bytes")
    dest = tmp_path / "data.zip"
    dest.write_bytes(BODY)

    assert download(url, dest, sha256=sha256, **FAST) == dest

    assert server.count() == 0
    assert dest.read_bytes() == BODY


def test_cached_file_with_wrong_sha256_is_downloaded_again(
    server: FixtureServer, tmp_path: Path
) -> None:
    url = server.route("/data.zip", BODY)
    dest = tmp_path / "data.zip"
    dest.write_bytes(b"stale copy")

    download(url, dest, sha256=BODY_SHA, **FAST)

    assert server.count() == 1
    assert dest.read_bytes() == BODY


def test_given_session_is_used_and_left_open(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY)
    with requests.Session() as session:
        session.headers["User-Agent"] = "council-proxy-approved/1.0"
        download(url, tmp_path / "a.zip", session=session, **FAST)
        download(url, tmp_path / "b.zip", session=session, **FAST)  # still usable
    assert [s.headers["User-Agent"] for s in server.seen()] == ["council-proxy-approved/1.0"] * 2


def test_verbose_shows_progress_and_quiet_prints_nothing(
    server: FixtureServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.route("/data.zip", BODY)
    download(url, tmp_path / "quiet.zip", **FAST)
    assert capsys.readouterr() == ("", "")

    download(url, tmp_path / "loud.zip", **{**FAST, "verbose": True})
    assert "loud.zip" in capsys.readouterr().err
    assert (tmp_path / "loud.zip").read_bytes() == BODY


def test_download_logs(
    server: FixtureServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = server.route("/data.zip", BODY)
    with caplog.at_level(logging.INFO, logger="ingest._http"):
        download(url, tmp_path / "data.zip", **FAST)
    assert any(url in r.getMessage() for r in caplog.records)


def test_defaults_are_read_from_settings_at_call_time(
    server: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.route("/flaky.zip", BODY, always=Fail.http(503))
    monkeypatch.setattr(settings, "HTTP_RETRIES", 2)
    monkeypatch.setattr(settings, "HTTP_BACKOFF", 0.0)
    with pytest.raises(DownloadError, match="after 2 attempts"):
        download(url, tmp_path / "flaky.zip", verbose=False)
    assert server.count() == 2


# ------------------------------------------------------------------------------------------
# Resume
# ------------------------------------------------------------------------------------------


def test_resume_sends_range_and_result_is_identical(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, ranges=True)
    dest = tmp_path / "data.zip"
    part_of(dest).write_bytes(BODY[:123_456])

    download(url, dest, sha256=BODY_SHA, **FAST)

    (seen,) = server.seen()
    assert seen.headers["Range"] == "bytes=123456-"
    assert dest.read_bytes() == BODY
    assert not part_of(dest).exists()


def test_server_ignoring_range_restarts_from_zero(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, ranges=False)
    dest = tmp_path / "data.zip"
    part_of(dest).write_bytes(b"junk that must not survive")

    download(url, dest, **FAST)

    (seen,) = server.seen()
    assert seen.headers["Range"] == "bytes=26-"
    assert dest.read_bytes() == BODY


def test_part_file_already_complete_is_finished_on_416(
    server: FixtureServer, tmp_path: Path
) -> None:
    url = server.route("/data.zip", BODY, ranges=True)
    dest = tmp_path / "data.zip"
    part_of(dest).write_bytes(BODY)

    download(url, dest, sha256=BODY_SHA, **FAST)

    assert server.count() == 1
    assert dest.read_bytes() == BODY
    assert not part_of(dest).exists()


def test_part_file_longer_than_the_file_is_discarded(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, ranges=True)
    dest = tmp_path / "data.zip"
    part_of(dest).write_bytes(BODY + b"extra")

    download(url, dest, **FAST)

    assert [s.headers.get("Range") for s in server.seen()] == [f"bytes={len(BODY) + 5}-", None]
    assert dest.read_bytes() == BODY


# ------------------------------------------------------------------------------------------
# Retries
# ------------------------------------------------------------------------------------------


def test_500_then_success_backs_off_exponentially(
    server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    url = server.route("/data.zip", BODY, failures=[Fail.http(500), Fail.http(502)])
    dest = tmp_path / "data.zip"

    download(url, dest, **{**FAST, "backoff": 0.01}, sleep=sleeps.append)

    assert server.count() == 3
    assert sleeps == [0.01, 0.02]
    assert dest.read_bytes() == BODY


def test_500_every_time_raises_after_the_last_attempt(
    server: FixtureServer, tmp_path: Path
) -> None:
    url = server.route("/data.zip", BODY, always=Fail.http(500))
    dest = tmp_path / "data.zip"

    with pytest.raises(DownloadError) as info:
        download(url, dest, **FAST)

    message = str(info.value)
    assert url in message
    assert f"after {RETRIES} attempts" in message
    assert "HTTP 500" in message
    assert "download the file in a browser" in message
    assert "`python -m ingest build --sources DIR`" in message
    assert "data.zip" in message
    assert isinstance(info.value, IngestError)
    assert (info.value.url, info.value.attempts) == (url, RETRIES)
    assert server.count() == RETRIES
    assert_nothing_left(dest)


@pytest.mark.parametrize("status", [400, 403, 404, 410])
def test_4xx_fails_at_once(server: FixtureServer, tmp_path: Path, status: int) -> None:
    url = server.route("/data.zip", BODY, always=Fail.http(status))
    dest = tmp_path / "data.zip"

    with pytest.raises(DownloadError, match=rf"after 1 attempt;.*HTTP {status}.*not retried"):
        download(url, dest, **FAST)

    assert server.count() == 1
    assert_nothing_left(dest)


def test_404_on_resume_deletes_the_part_file(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", always=Fail.http(404))
    dest = tmp_path / "data.zip"
    part_of(dest).write_bytes(BODY[:1000])

    with pytest.raises(DownloadError, match="HTTP 404"):
        download(url, dest, **FAST)

    assert_nothing_left(dest)


def test_unknown_path_is_404(server: FixtureServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(server.url("/nowhere.zip"), tmp_path / "x.zip", **FAST)
    assert server.count() == 1


@pytest.mark.parametrize(
    ("retry_after", "expected_sleep"),
    [("2", 2.0), ("0.5", 0.5), ("86400", _http.MAX_RETRY_AFTER), ("soon", 0.0)],
)
def test_429_respects_retry_after_capped(
    server: FixtureServer,
    tmp_path: Path,
    sleeps: list[float],
    retry_after: str,
    expected_sleep: float,
) -> None:
    url = server.route("/data.zip", BODY, failures=[Fail.http(429, retry_after=retry_after)])
    dest = tmp_path / "data.zip"

    download(url, dest, **FAST, sleep=sleeps.append)

    assert server.count() == 2
    assert sleeps == ([expected_sleep] if expected_sleep else [])
    assert dest.read_bytes() == BODY


def test_retry_after_as_http_date() -> None:
    soon = time.time() + 30
    header = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(soon))
    assert 25 <= _http._retry_after(header) <= 30
    assert _http._retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_no_sleep_after_the_last_attempt(
    server: FixtureServer, tmp_path: Path, sleeps: list[float]
) -> None:
    url = server.route("/data.zip", BODY, always=Fail.http(429, retry_after="3"))
    with pytest.raises(DownloadError, match="HTTP 429"):
        download(url, tmp_path / "data.zip", **FAST, sleep=sleeps.append)
    assert sleeps == [3.0] * (RETRIES - 1)


def test_time_sleep_is_used_by_default(
    server: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    url = server.route("/data.zip", BODY, failures=[Fail.http(503, retry_after="7")])
    download(url, tmp_path / "data.zip", **FAST)
    assert waits == [7.0]


def test_read_timeout_once_then_success(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, failures=[Fail.stall(5.0)])
    dest = tmp_path / "data.zip"

    started = time.monotonic()
    download(url, dest, **FAST)

    assert time.monotonic() - started < 3
    assert server.count() == 2
    assert dest.read_bytes() == BODY


def test_read_timeout_mid_body_resumes(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, failures=[Fail.stall_body(5.0)])
    dest = tmp_path / "data.zip"

    download(url, dest, sha256=BODY_SHA, **FAST)

    first, second = server.seen()
    assert "Range" not in first.headers
    start = int(second.headers["Range"].removeprefix("bytes=").removesuffix("-"))
    assert 0 < start <= len(BODY) // 2
    assert dest.read_bytes() == BODY


def test_timeout_every_time_raises(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, always=Fail.stall(5.0))
    dest = tmp_path / "data.zip"
    with pytest.raises(DownloadError, match=f"after {RETRIES} attempts.*timed out"):
        download(url, dest, **FAST)
    assert server.count() == RETRIES
    assert_nothing_left(dest)


def test_truncated_body_once_resumes_with_range(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, ranges=True, failures=[Fail.truncate()])
    dest = tmp_path / "data.zip"

    download(url, dest, **FAST)

    first, second = server.seen()
    assert "Range" not in first.headers
    start = int(second.headers["Range"].removeprefix("bytes=").removesuffix("-"))
    assert 0 < start <= len(BODY) // 2
    assert dest.read_bytes() == BODY
    assert not part_of(dest).exists()


def test_truncated_body_once_without_range_support(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, ranges=False, failures=[Fail.truncate()])
    dest = tmp_path / "data.zip"

    download(url, dest, sha256=BODY_SHA, **FAST)

    assert server.count() == 2
    assert dest.read_bytes() == BODY


def test_truncated_every_time_keeps_the_part_for_the_next_run(
    server: FixtureServer, tmp_path: Path
) -> None:
    url = server.route("/data.zip", BODY, ranges=True, always=Fail.truncate())
    dest = tmp_path / "data.zip"

    with pytest.raises(DownloadError, match="connection closed before the whole body"):
        download(url, dest, **FAST)

    assert server.count() == RETRIES
    assert not dest.exists()
    kept = part_of(dest).read_bytes()
    assert 0 < len(kept) < len(BODY)
    assert BODY.startswith(kept)

    server.route("/data.zip", BODY, ranges=True)  # the network recovers
    download(url, dest, sha256=BODY_SHA, **FAST)

    assert server.seen()[-1].headers["Range"] == f"bytes={len(kept)}-"
    assert dest.read_bytes() == BODY
    assert not part_of(dest).exists()


def test_connection_reset_once_then_success(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, failures=[Fail.reset()])
    dest = tmp_path / "data.zip"

    download(url, dest, **FAST)

    assert server.count() == 2
    assert dest.read_bytes() == BODY


def test_connection_reset_every_time_raises(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, always=Fail.reset())
    dest = tmp_path / "data.zip"

    with pytest.raises(DownloadError, match=f"after {RETRIES} attempts.*connection failed"):
        download(url, dest, **FAST)

    assert server.count() == RETRIES
    assert_nothing_left(dest)


def test_connection_refused_raises(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind((LOCALHOST, 0))
        port = sock.getsockname()[1]
    with pytest.raises(DownloadError, match="connection failed"):
        download(f"http://{LOCALHOST}:{port}/x.zip", tmp_path / "x.zip", **FAST)
    assert_nothing_left(tmp_path / "x.zip")


# ------------------------------------------------------------------------------------------
# Checksum
# ------------------------------------------------------------------------------------------


def test_wrong_bytes_retry_once_from_zero_then_raise(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, always=Fail.corrupt())
    dest = tmp_path / "data.zip"
    found = hashlib.sha256(bytes(b ^ 0xFF for b in BODY)).hexdigest()

    with pytest.raises(DownloadError, match="sha256 mismatch") as info:
        download(url, dest, sha256=BODY_SHA, **FAST)

    assert BODY_SHA in str(info.value)
    assert found in str(info.value)
    assert server.count() == 2
    assert [s.headers.get("Range") for s in server.seen()] == [None, None]
    assert_nothing_left(dest)


def test_wrong_bytes_once_then_right_bytes(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, failures=[Fail.corrupt()])
    dest = tmp_path / "data.zip"

    download(url, dest, sha256=BODY_SHA, **{**FAST, "retries": 1})

    assert server.count() == 2
    assert dest.read_bytes() == BODY


def test_corrupt_part_file_is_caught_by_sha256(server: FixtureServer, tmp_path: Path) -> None:
    url = server.route("/data.zip", BODY, ranges=True)
    dest = tmp_path / "data.zip"
    part_of(dest).write_bytes(b"\0" * 1000)  # right length of prefix, wrong content

    download(url, dest, sha256=BODY_SHA, **FAST)

    assert [s.headers.get("Range") for s in server.seen()] == ["bytes=1000-", None]
    assert dest.read_bytes() == BODY


# ------------------------------------------------------------------------------------------
# Arguments and sha256_file
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sha256": "abc"}, "sha256 must be 64 hex digits"),
        ({"retries": 0}, "retries must be an integer of at least 1"),
        ({"backoff": -1.0}, "backoff must be"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        download(f"http://{LOCALHOST}:9/x.zip", tmp_path / "x.zip", verbose=False, **kwargs)


@pytest.mark.parametrize("url", ["ftp://example.org/x.zip", "data/x.zip", ""])
def test_bad_url(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        download(url, tmp_path / "x.zip", verbose=False)


def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(BODY * 10)  # several read chunks
    assert sha256_file(path) == hashlib.sha256(BODY * 10).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert sha256_file(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()


# ------------------------------------------------------------------------------------------
# fetch_json
# ------------------------------------------------------------------------------------------

QUERY = "/arcgis/rest/services/WD24/FeatureServer/0/query"


def json_body(obj: object) -> bytes:
    return json.dumps(obj).encode()


def test_fetch_json_sends_params(server: FixtureServer) -> None:
    url = server.route(QUERY, json_body({"count": 69}), content_type="application/json")

    data = fetch_json(url, params={"where": "LAD24CD='E08000025'", "f": "json"}, **_json_fast())

    assert data == {"count": 69}
    (seen,) = server.seen(QUERY)
    assert "where=LAD24CD%3D%27E08000025%27" in seen.path
    assert "f=json" in seen.path
    assert seen.headers["User-Agent"].startswith("digital-inclusion-map/")


def test_fetch_json_arcgis_error_in_200_fails_with_its_message(server: FixtureServer) -> None:
    error = {
        "error": {
            "code": 400,
            "message": "Cannot perform query. Invalid query parameters.",
            "details": ["'where' parameter is invalid"],
        }
    }
    url = server.route(QUERY, json_body(error), content_type="application/json")

    with pytest.raises(DownloadError, match="Invalid query parameters") as info:
        fetch_json(url, params={"where": "nonsense"}, **_json_fast())

    assert "'where' parameter is invalid" in str(info.value)
    assert "where=nonsense" in str(info.value)
    assert server.count() == 1


def test_fetch_json_arcgis_5xx_error_is_retried(server: FixtureServer) -> None:
    busy = json_body({"error": {"code": 503, "message": "Service busy", "details": []}})
    url = server.route(QUERY, busy, content_type="application/json")
    with pytest.raises(DownloadError, match=f"after {RETRIES} attempts.*Service busy"):
        fetch_json(url, **_json_fast())
    assert server.count() == RETRIES


@pytest.mark.parametrize("failure", [Fail.http(500), Fail.reset(), Fail.stall(5.0)])
def test_fetch_json_retries_transient_failures(server: FixtureServer, failure: Fail) -> None:
    url = server.route(QUERY, json_body({"features": []}), failures=[failure])
    assert fetch_json(url, **_json_fast()) == {"features": []}
    assert server.count() == 2


def test_fetch_json_404_fails_at_once(server: FixtureServer) -> None:
    url = server.route(QUERY, always=Fail.http(404))
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch_json(url, **_json_fast())
    assert server.count() == 1


@pytest.mark.parametrize(
    ("body", "match"),
    [(b"<html>Access denied by proxy</html>", "not JSON"), (b"[1, 2]", "JSON object")],
)
def test_fetch_json_rejects_non_objects(server: FixtureServer, body: bytes, match: str) -> None:
    url = server.route(QUERY, body, content_type="text/html")
    with pytest.raises(DownloadError, match=match):
        fetch_json(url, **_json_fast())
    assert server.count() == 1


def _json_fast() -> dict:
    return {k: v for k, v in FAST.items() if k != "verbose"}
