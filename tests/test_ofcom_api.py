"""ingest.sources.ofcom_api and ingest._http.call_api against a real HTTP server on 127.0.0.1.

Answers are shaped as in ``/work/shared/reference/ofcom_api.md`` (see ``fake_ofcom_api``).
Nothing here reaches any address but 127.0.0.1 (the ``only_localhost`` fixture).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fake_ofcom_api import (
    DB_NAME,
    OfcomServer,
    as_array,
    bare,
    broadband_body,
    broadband_premises,
    encode,
    mobile_body,
    mobile_premises,
    not_found_body,
    serve_every_postcode,
    serve_postcodes,
)
from http_server import Fail
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from rich.console import Console

from ingest import settings
from ingest.__main__ import main
from ingest._errors import IngestError
from ingest._http import ApiRefusedError, DownloadError, call_api
from ingest.sources import ofcom_api
from ingest.sources.ofcom_api import (
    BROADBAND_FIELDS,
    FAILED,
    FOUND,
    MOBILE_FIELDS,
    NOT_FOUND,
    AnswerCache,
    CachedAnswer,
    Permission,
    fetch,
    minimised,
    read_answer,
)

pytestmark = pytest.mark.usefixtures("only_localhost")

KEY = "test-key-SECRET123"
UPRN = 100020416746  # Ofcom's example premises: 12 digits, above 2**31
SOURCE = "cache/mobile/BR12WJ.json.gz"
MOBILE_COLUMNS = list(MOBILE_FIELDS.values())
BROADBAND_COLUMNS = list(BROADBAND_FIELDS.values())


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """call_api reads its timeout from settings at call time: keep any wait short."""
    monkeypatch.setattr(settings, "HTTP_TIMEOUT", (2.0, 2.0))
    for name in (ofcom_api.KEY_VARIABLE, ofcom_api.URL_VARIABLE, ofcom_api.CACHE_DAYS_VARIABLE):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[OfcomServer]:
    srv = OfcomServer().start()
    try:
        yield srv
    finally:
        srv.stop()
    assert not srv.errors, f"the test server failed: {srv.errors!r}"


@pytest.fixture
def sleeps() -> list[float]:
    """Waits asked of the injected ``sleep`` (which does not sleep)."""
    return []


@pytest.fixture
def cache(tmp_path: Path) -> AnswerCache:
    return AnswerCache(tmp_path / "cache", 30)


def quiet() -> Console:
    return Console(file=io.StringIO(), quiet=True)


def run(
    server: OfcomServer,
    cache: AnswerCache,
    postcodes: list[str],
    sleeps: list[float] | None = None,
    **kwargs: Any,
) -> ofcom_api.FetchReport:
    """One fetch against the test server, fast: huge rate, 3 attempts, 10 ms back-off."""
    waits = [] if sleeps is None else sleeps
    options: dict[str, Any] = {
        "key": KEY,
        "base_url": server.url(""),
        "rate": 1e6,
        "retries": 3,
        "backoff": 0.01,
        "sleep": waits.append,
        "console": quiet(),
    }
    options.update(kwargs)
    return fetch(postcodes, cache, **options)


def paths(postcode: str) -> list[str]:
    return [f"/mobile/coverage/{postcode}", f"/broadband/coverage/{postcode}"]


def route_json(server: OfcomServer, path: str, body: Any, **kwargs: Any) -> str:
    return server.route(path, encode(body), ranges=False, content_type="application/json", **kwargs)


def read_gz(path: Path) -> dict[str, Any]:
    return json.loads(gzip.decompress(path.read_bytes()))


# ------------------------------------------------------------------------------------------
# Reading answers
# ------------------------------------------------------------------------------------------


def test_read_answer_documented_mobile_shape() -> None:
    item = mobile_premises(UPRN, "BR12WJ", EEDataIndoor=3, EEDataOutdoor=4, VODataIndoorNo4g=0)
    body = {
        "PostCode": "BR12WJ",
        "Availability": [item, mobile_premises(UPRN + 1, "BR12WJ", 2, EEDataIndoor=1)],
        "DBName": DB_NAME,
    }

    frame = read_answer(body, "mobile", postcode="BR12WJ", source=SOURCE)

    assert list(frame.columns) == ["postcode", "uprn", *MOBILE_COLUMNS]
    assert len(MOBILE_COLUMNS) == 32
    assert frame["uprn"].dtype == np.int64
    assert frame["uprn"].tolist() == [100020416746, 100020416747]
    assert frame["postcode"].tolist() == ["BR12WJ", "BR12WJ"]
    assert frame["ee_data_indoor"].tolist() == [3, 1]
    assert frame.loc[0, "ee_data_outdoor"] == 4
    assert frame.loc[0, "vodafone_data_indoor_no4g"] == 0
    assert (frame[MOBILE_COLUMNS].dtypes == np.int8).all()
    assert not any("address" in c.lower() for c in frame.columns)
    assert "Test Street" not in frame.to_csv()


def test_read_answer_documented_broadband_shape() -> None:
    speeds = {name: -1 for name in BROADBAND_FIELDS}
    speeds.update(MaxPredictedDown=80, MaxPredictedUp=20, MaxSfbbPredictedDown=80)
    body = {
        "PostCode": "BR12WJ",
        "Count": 1,
        "Availability": [broadband_premises(UPRN, "BR12WJ", **speeds)],
    }

    frame = read_answer(body, "broadband", postcode="BR12WJ", source=SOURCE)

    assert list(frame.columns) == ["postcode", "uprn", *BROADBAND_COLUMNS]
    assert frame.loc[0, "uprn"] == 100020416746
    assert frame["uprn"].dtype == np.int64
    assert frame.loc[0, "max_down_mbit"] == 80.0
    assert frame.loc[0, "max_up_mbit"] == 20.0
    assert frame.loc[0, "superfast_down_mbit"] == 80.0
    assert frame.loc[0, "basic_down_mbit"] == -1.0
    assert (frame[BROADBAND_COLUMNS].dtypes == np.float64).all()
    assert "AddressShortDescription" not in frame.columns


@pytest.mark.parametrize("endpoint", ["mobile", "broadband"])
def test_three_shapes_give_the_same_frame(endpoint: str) -> None:
    make = mobile_body if endpoint == "mobile" else broadband_body
    one = make("BR12WJ", [UPRN])
    three = make("BR12WJ", [UPRN, UPRN + 7, 999_999_999_999])
    read = lambda body: read_answer(body, endpoint, postcode="BR12WJ", source=SOURCE)  # noqa: E731

    pd.testing.assert_frame_equal(read(bare(one)), read(one))
    pd.testing.assert_frame_equal(read(as_array(one)), read(one))
    pd.testing.assert_frame_equal(read(as_array(three)), read(three))
    assert read(three)["uprn"].tolist() == [100020416746, 100020416753, 999999999999]


def test_an_empty_answer_reads_as_no_premises() -> None:
    frame = read_answer(
        {"PostCode": "BR12WJ", "Availability": [], "DBName": DB_NAME},
        "mobile",
        postcode="BR12WJ",
        source=SOURCE,
    )
    assert frame.empty
    assert list(frame.columns) == ["postcode", "uprn", *MOBILE_COLUMNS]


@pytest.mark.parametrize(
    "body",
    [{"foo": 1}, "a string", 42, None, {"PostCode": "BR12WJ", "Availability": "none"}],
    ids=["foo", "string", "number", "null", "availability-not-a-list"],
)
@pytest.mark.parametrize("endpoint", ["mobile", "broadband"])
def test_an_unknown_shape_is_refused(body: Any, endpoint: str) -> None:
    with pytest.raises(
        IngestError, match=rf"^{re.escape(SOURCE)}: the {endpoint} answer has a shape"
    ):
        read_answer(body, endpoint, postcode="BR12WJ", source=SOURCE)
    with pytest.raises(IngestError, match="shape"):
        minimised(body, endpoint, source=SOURCE)


def test_a_premises_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(IngestError, match=r"premises 2 of the mobile answer is a JSON int"):
        read_answer(
            [mobile_premises(UPRN, "BR12WJ"), 7], "mobile", postcode="BR12WJ", source=SOURCE
        )


_WHERE = re.escape(f"{SOURCE}: premises 1 (UPRN {UPRN}) of postcode BR12WJ")
_RATING = "expected a whole number rating 0 to 4"
_SPEED = re.escape("expected a speed in Mbit/s, 0 or more, or -1 for none predicted")


@pytest.mark.parametrize(
    ("endpoint", "overrides", "match"),
    [
        ("mobile", {"EEDataIndoor": 5}, rf"^{_WHERE}: field 'EEDataIndoor' is 5; {_RATING}\.$"),
        ("mobile", {"H3VoiceIndoor": "3"}, rf"^{_WHERE}: field 'H3VoiceIndoor' is '3'; {_RATING}"),
        ("mobile", {"TFDataOutdoor": -1}, rf"^{_WHERE}: field 'TFDataOutdoor' is -1; {_RATING}"),
        ("mobile", {"VOVoiceOutdoor": None}, rf"^{_WHERE}: field 'VOVoiceOutdoor' is None"),
        ("mobile", {"EEDataIndoorNo4g": True}, rf"^{_WHERE}: field 'EEDataIndoorNo4g' is True"),
        (
            "mobile",
            {"EEDataIndoor": ...},
            rf"^{_WHERE}: the mobile answer has no field 'EEDataIndoor' \(1 of its 32 fields "
            r"missing\); expected every field of ingest\.sources\.ofcom_api\.MOBILE_FIELDS",
        ),
        (
            "broadband",
            {"MaxPredictedDown": -2},
            rf"^{_WHERE}: field 'MaxPredictedDown' is -2; {_SPEED}\.$",
        ),
        ("broadband", {"MaxPredictedUp": -0.5}, rf"^{_WHERE}: field 'MaxPredictedUp' is -0\.5"),
        (
            "broadband",
            {"MaxBbPredictedDown": "80"},
            rf"^{_WHERE}: field 'MaxBbPredictedDown' is '80'",
        ),
        (
            "broadband",
            {"MaxUfbbPredictedUp": ...},
            rf"^{_WHERE}: the broadband answer has no field 'MaxUfbbPredictedUp' \(1 of its 8 "
            r"fields missing\); expected every field of "
            r"ingest\.sources\.ofcom_api\.BROADBAND_FIELDS",
        ),
    ],
    ids=[
        "rating-5",
        "rating-str",
        "rating-negative",
        "rating-null",
        "rating-bool",
        "missing-rating",
        "speed-minus-2",
        "speed-minus-half",
        "speed-str",
        "missing-speed",
    ],
)
def test_a_bad_value_names_source_premises_field_and_expectation(
    endpoint: str, overrides: dict[str, Any], match: str
) -> None:
    make = mobile_premises if endpoint == "mobile" else broadband_premises
    body = {"PostCode": "BR12WJ", "Availability": [make(UPRN, "BR12WJ", **overrides)]}
    with pytest.raises(IngestError, match=match):
        read_answer(body, endpoint, postcode="BR12WJ", source=SOURCE)


@pytest.mark.parametrize(
    "uprn", ["100020416746", 0, -5, 1_000_000_000_000, 1.5, None, True], ids=repr
)
def test_a_bad_uprn_is_refused(uprn: Any) -> None:
    body = [mobile_premises(UPRN, "BR12WJ"), mobile_premises(UPRN, "BR12WJ", 2, UPRN=uprn)]
    where = re.escape(f"{SOURCE}: premises 2 (UPRN {uprn!r}) of postcode BR12WJ")
    with pytest.raises(
        IngestError,
        match=rf"^{where}: field 'UPRN' is .*; expected a whole number of 1 to 12 digits\.$",
    ):
        read_answer(body, "mobile", postcode="BR12WJ", source=SOURCE)


def test_a_bad_value_of_a_later_premises_names_that_premises() -> None:
    body = mobile_body("BR12WJ", [UPRN, UPRN + 1])
    body["Availability"][1]["TFVoiceIndoor"] = 9
    with pytest.raises(
        IngestError,
        match=re.escape(f"{SOURCE}: premises 2 (UPRN 100020416747) of postcode BR12WJ: field "
                        "'TFVoiceIndoor' is 9"),
    ):  # fmt: skip
        read_answer(body, "mobile", postcode="BR12WJ", source=SOURCE)


@pytest.mark.parametrize("endpoint", ["mobile", "broadband"])
def test_a_duplicate_uprn_is_refused(endpoint: str) -> None:
    make = mobile_body if endpoint == "mobile" else broadband_body
    body = make("BR12WJ", [UPRN, UPRN + 1, UPRN])
    with pytest.raises(
        IngestError,
        match=rf"^{re.escape(SOURCE)}: UPRN 100020416746 is listed twice in the {endpoint} "
        r"answer of postcode BR12WJ; each premises must be listed once",
    ):
        read_answer(body, endpoint, postcode="BR12WJ", source=SOURCE)


def test_read_answer_refuses_an_unknown_endpoint() -> None:
    with pytest.raises(ValueError, match="endpoint must be one of"):
        read_answer(mobile_body("BR12WJ"), "fixed", postcode="BR12WJ", source=SOURCE)


@hyp_settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 999_999_999_999),
            st.lists(st.integers(0, 4), min_size=32, max_size=32),
        ),
        max_size=6,
        unique_by=lambda t: t[0],
    )
)
def test_mobile_ratings_read_back_exactly(premises: list[tuple[int, list[int]]]) -> None:
    items = [
        mobile_premises(u, "BR12WJ", **dict(zip(MOBILE_FIELDS, r, strict=True)))
        for u, r in premises
    ]
    frame = read_answer(as_array({"Availability": items}), "mobile", postcode="BR12WJ", source="x")
    assert frame["uprn"].tolist() == [u for u, _ in premises]
    assert frame[MOBILE_COLUMNS].to_numpy().tolist() == [r for _, r in premises]


@hyp_settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.just(-1.0), st.floats(0, 10_000, allow_nan=False)), min_size=8, max_size=8
    )
)
def test_broadband_speeds_read_back_exactly(speeds: list[float]) -> None:
    item = broadband_premises(UPRN, "BR12WJ", **dict(zip(BROADBAND_FIELDS, speeds, strict=True)))
    frame = read_answer(item, "broadband", postcode="BR12WJ", source="x")
    assert frame[BROADBAND_COLUMNS].iloc[0].tolist() == speeds


def test_read_answers_reads_many_postcodes_as_one_frame() -> None:
    first = mobile_body("AA11AA", [UPRN, UPRN + 1])
    second = as_array(mobile_body("BB11BB", [UPRN + 5]))
    frame = ofcom_api.read_answers([("AA11AA", first, "a"), ("BB11BB", second, "b")], "mobile")
    assert frame["postcode"].tolist() == ["AA11AA", "AA11AA", "BB11BB"]
    assert frame["uprn"].tolist() == [100020416746, 100020416747, 100020416751]
    assert list(frame.index) == [0, 1, 2]
    one = read_answer(first, "mobile", postcode="AA11AA", source="a")
    pd.testing.assert_frame_equal(frame.iloc[:2], one)


def test_read_answers_names_the_answer_that_is_wrong() -> None:
    good = broadband_body("AA11AA")
    bad = broadband_body("BB11BB", [UPRN, UPRN + 1])
    bad["Availability"][1]["MaxPredictedUp"] = -3
    with pytest.raises(
        IngestError,
        match=re.escape("cache/broadband/BB11BB.json.gz: premises 2 (UPRN 100020416747) of "
                        "postcode BB11BB: field 'MaxPredictedUp' is -3"),
    ):  # fmt: skip
        ofcom_api.read_answers(
            [("AA11AA", good, "cache/broadband/AA11AA.json.gz"),
             ("BB11BB", bad, "cache/broadband/BB11BB.json.gz")],
            "broadband",
        )  # fmt: skip


def test_read_answers_of_nothing_is_an_empty_frame() -> None:
    frame = ofcom_api.read_answers([], "broadband")
    assert frame.empty
    assert list(frame.columns) == ["postcode", "uprn", *BROADBAND_COLUMNS]


# ------------------------------------------------------------------------------------------
# Dropping addresses
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["mobile", "broadband"])
@pytest.mark.parametrize("shape", ["documented", "bare", "array"])
def test_minimised_drops_the_address_in_every_shape(endpoint: str, shape: str) -> None:
    documented = (mobile_body if endpoint == "mobile" else broadband_body)("BR12WJ", 3)
    body = {"documented": documented, "bare": bare(documented), "array": as_array(documented)}[
        shape
    ]
    before = json.dumps(body)

    out = minimised(body, endpoint, source=SOURCE)

    text = json.dumps(out)
    assert "AddressShortDescription" not in text
    assert "Test Street" not in text
    assert json.dumps(body) == before  # the input is not changed
    if shape == "documented":
        assert out["PostCode"] == "BR12WJ"
        assert len(out["Availability"]) == 3
        assert ("DBName" in out) == (endpoint == "mobile")
        items = out["Availability"]
    elif shape == "bare":
        assert isinstance(out, dict) and out["UPRN"] == documented["Availability"][0]["UPRN"]
        items = [out]
    else:
        assert isinstance(out, list) and len(out) == 3
        items = out
    fields = MOBILE_FIELDS if endpoint == "mobile" else BROADBAND_FIELDS
    for item in items:
        assert set(item) == {"UPRN", "PostCode", *fields}


# ------------------------------------------------------------------------------------------
# call_api
# ------------------------------------------------------------------------------------------


def _call(url: str, sleeps: list[float], **kwargs: Any) -> Any:
    options = {"headers": {ofcom_api.KEY_HEADER: KEY}, "retries": 3, "backoff": 0.01}
    options.update(kwargs)
    return call_api(url, sleep=sleeps.append, **options)


def test_call_api_sends_the_key_in_its_header_only(
    server: OfcomServer, sleeps: list[float]
) -> None:
    body = mobile_body("BR12WJ")
    url = route_json(server, "/mobile/coverage/BR12WJ", body)

    answer = _call(url, sleeps)

    assert (answer.status, answer.body, answer.attempts) == (200, body, 1)
    (seen,) = server.seen()
    assert seen.headers["Ocp-Apim-Subscription-Key"] == KEY
    assert seen.headers["Accept"] == "application/json"
    assert seen.headers["User-Agent"].startswith("digital-inclusion-map/")
    assert seen.path == "/mobile/coverage/BR12WJ"
    assert KEY not in seen.path and "SECRET" not in seen.path
    assert sleeps == []


def test_call_api_returns_a_404_with_its_json_body(
    server: OfcomServer, sleeps: list[float]
) -> None:
    url = server.route_status("/mobile/coverage/ZZ99ZZ", 404, not_found_body("ZZ99ZZ"))
    answer = _call(url, sleeps)
    assert (answer.status, answer.body, answer.attempts) == (404, not_found_body("ZZ99ZZ"), 1)
    assert server.count() == 1


def test_call_api_returns_a_404_without_body(server: OfcomServer, sleeps: list[float]) -> None:
    answer = _call(server.url("/mobile/coverage/NOROUTE"), sleeps)  # FixtureServer's bare 404
    assert (answer.status, answer.body, answer.attempts) == (404, None, 1)


@pytest.mark.parametrize("status", [401, 403])
def test_call_api_raises_at_once_when_the_key_is_refused(
    server: OfcomServer, sleeps: list[float], status: int
) -> None:
    url = server.route_status("/mobile/coverage/BR12WJ", status, {"statusCode": status})
    with pytest.raises(ApiRefusedError, match=rf"HTTP {status}") as caught:
        _call(url, sleeps)
    assert caught.value.status == status
    assert server.count() == 1
    assert KEY not in str(caught.value)


def test_call_api_retries_5xx_with_doubling_backoff(
    server: OfcomServer, sleeps: list[float]
) -> None:
    body = broadband_body("BR12WJ")
    url = route_json(
        server, "/broadband/coverage/BR12WJ", body, failures=[Fail.http(500), Fail.http(503)]
    )
    answer = _call(url, sleeps)
    assert (answer.status, answer.body, answer.attempts) == (200, body, 3)
    assert sleeps == [0.01, 0.02]


def test_call_api_honours_retry_after_on_429(server: OfcomServer, sleeps: list[float]) -> None:
    url = route_json(
        server, "/mobile/coverage/BR12WJ", mobile_body("BR12WJ"),
        failures=[Fail.http(429, retry_after="1")],
    )  # fmt: skip
    answer = _call(url, sleeps)
    assert answer.attempts == 2
    assert sleeps == [1.0]


@pytest.mark.parametrize("failure", [Fail.truncate(), Fail.reset()], ids=["truncate", "reset"])
def test_call_api_retries_a_broken_answer(
    server: OfcomServer, sleeps: list[float], failure: Fail
) -> None:
    body = mobile_body("BR12WJ", 20)
    url = route_json(server, "/mobile/coverage/BR12WJ", body, failures=[failure])
    answer = _call(url, sleeps)
    assert (answer.status, answer.body, answer.attempts) == (200, body, 2)
    assert server.count() == 2


def test_call_api_times_out_a_stalled_answer_and_gives_up(
    server: OfcomServer, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "HTTP_TIMEOUT", (1.0, 0.2))
    url = route_json(server, "/mobile/coverage/BR12WJ", mobile_body("BR12WJ"), always=Fail.stall(3))
    with pytest.raises(DownloadError, match=r"after 3 attempts; last failure: timed out") as caught:
        _call(url, sleeps)
    assert caught.value.attempts == 3
    assert server.count() == 3


def test_call_api_retries_a_body_that_is_not_json_then_gives_up(
    server: OfcomServer, sleeps: list[float]
) -> None:
    url = server.route("/mobile/coverage/BR12WJ", b"<html>Sign in to the proxy</html>")
    with pytest.raises(DownloadError, match=r"truncated or not JSON") as caught:
        _call(url, sleeps)
    assert caught.value.attempts == 3
    assert server.count() == 3


def test_call_api_does_not_retry_another_4xx(server: OfcomServer, sleeps: list[float]) -> None:
    url = server.route_status("/mobile/coverage/BR12WJ", 400, {"Error": "bad postcode"})
    with pytest.raises(DownloadError, match=r"HTTP 400.*not retried") as caught:
        _call(url, sleeps)
    assert caught.value.attempts == 1
    assert server.count() == 1
    assert KEY not in str(caught.value)


def test_call_api_refuses_a_url_that_is_not_http() -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        call_api("ftp://127.0.0.1/mobile/coverage/BR12WJ", headers={})


# ------------------------------------------------------------------------------------------
# fetch: caching, outcomes, retries
# ------------------------------------------------------------------------------------------


def test_found_answers_are_cached_as_gzip_json_without_addresses(
    server: OfcomServer, cache: AnswerCache, sleeps: list[float]
) -> None:
    served = serve_postcodes(server, ["BR12WJ", "M154AB"])
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)

    report = run(server, cache, ["BR12WJ", "M154AB"], sleeps)

    after = dt.datetime.now(dt.UTC)
    assert (report.asked, report.calls, report.found, report.not_found, report.failed) == (
        4, 4, 4, 0, 0,
    )  # fmt: skip
    assert report.remaining == 0
    for endpoint in ("mobile", "broadband"):
        for postcode in ("BR12WJ", "M154AB"):
            path = cache.folder / endpoint / f"{postcode}.json.gz"
            raw = path.read_bytes()
            assert raw[:2] == b"\x1f\x8b"  # gzip
            record = read_gz(path)
            assert record["postcode"] == postcode
            assert record["endpoint"] == endpoint
            assert record["status"] == "found"
            assert before <= dt.datetime.fromisoformat(record["fetched_at"]) <= after
            assert record["db_name"] == (DB_NAME if endpoint == "mobile" else None)
            assert record["body"] == minimised(served[endpoint][postcode], endpoint, source="x")
            assert "Test Street" not in gzip.decompress(raw).decode()
            assert "AddressShortDescription" not in gzip.decompress(raw).decode()
            held = cache.get(endpoint, postcode)
            assert held is not None and held.status == FOUND
    assert sorted(p.name for p in cache.folder.rglob("*")) == sorted(
        ["mobile", "broadband"] + [f"{pc}.json.gz" for pc in ("BR12WJ", "M154AB")] * 2
    )

    again = run(server, cache, ["BR12WJ", "M154AB"])

    assert (again.asked, again.calls, again.found) == (0, 0, 0)
    assert all(server.count(p) == 1 for pc in ("BR12WJ", "M154AB") for p in paths(pc))


@pytest.mark.parametrize("json_body", [True, False], ids=["json-404", "empty-404"])
def test_not_found_is_recorded_and_never_asked_again(
    server: OfcomServer, cache: AnswerCache, json_body: bool
) -> None:
    if json_body:
        for path in paths("ZZ99ZZ"):
            server.route_status(path, 404, not_found_body("ZZ99ZZ"))
    # else: no route at all, the FixtureServer answers 404 with an empty body

    report = run(server, cache, ["ZZ99ZZ"])

    assert (report.not_found, report.found, report.failed, report.calls) == (2, 0, 0, 2)
    for endpoint in ("mobile", "broadband"):
        record = read_gz(cache.folder / endpoint / "ZZ99ZZ.json.gz")
        assert record["status"] == "not found"
        assert record["body"] is None
    second = run(server, cache, ["ZZ99ZZ"])
    assert (second.asked, second.calls) == (0, 0)
    assert [server.count(p) for p in paths("ZZ99ZZ")] == [1, 1]


def test_a_500_then_success_is_retried(server: OfcomServer, cache: AnswerCache) -> None:
    serve_postcodes(server, ["BR12WJ"], endpoints=["broadband"])
    route_json(
        server, "/mobile/coverage/BR12WJ", mobile_body("BR12WJ"),
        failures=[Fail.http(500), Fail.http(502)],
    )  # fmt: skip
    report = run(server, cache, ["BR12WJ"])
    assert (report.found, report.failed, report.calls) == (2, 0, 4)
    assert server.count("/mobile/coverage/BR12WJ") == 3
    assert cache.get("mobile", "BR12WJ").status == FOUND


def test_a_500_always_is_recorded_failed_and_asked_again_next_run(
    server: OfcomServer, cache: AnswerCache
) -> None:
    serve_postcodes(server, ["BR12WJ"], endpoints=["broadband"])
    path = "/mobile/coverage/BR12WJ"
    server.route_status(path, 500, {"Error": "Internal server error"})

    report = run(server, cache, ["BR12WJ"])

    assert (report.found, report.failed, report.calls) == (1, 1, 4)
    assert report.failures == ["mobile BR12WJ: HTTP 500 Internal Server Error"]
    record = read_gz(cache.folder / "mobile" / "BR12WJ.json.gz")
    assert record["status"] == "failed"
    assert record["reason"] == "HTTP 500 Internal Server Error"
    assert record["body"] is None
    assert server.count(path) == 3

    second = run(server, cache, ["BR12WJ"])

    assert (second.asked, second.failed, second.calls) == (1, 1, 3)
    assert server.count(path) == 6
    assert server.count("/broadband/coverage/BR12WJ") == 1

    server.clear_status(path)  # the fault is mended
    route_json(server, path, mobile_body("BR12WJ"))
    third = run(server, cache, ["BR12WJ"])
    assert (third.asked, third.found, third.calls) == (1, 1, 1)
    assert cache.get("mobile", "BR12WJ").status == FOUND


def test_a_found_answer_that_does_not_read_is_recorded_failed(
    server: OfcomServer, cache: AnswerCache
) -> None:
    body = mobile_body("BR12WJ")
    body["Availability"][0]["EEDataIndoor"] = 7
    route_json(server, "/mobile/coverage/BR12WJ", body)

    report = run(server, cache, ["BR12WJ"], endpoints=["mobile"])

    assert (report.found, report.failed, report.calls) == (0, 1, 1)
    held = cache.get("mobile", "BR12WJ")
    assert held.status == FAILED
    assert "field 'EEDataIndoor' is 7" in held.reason
    assert held.reason.startswith(server.url("/mobile/coverage/BR12WJ"))


def test_retry_after_is_honoured(server: OfcomServer, cache: AnswerCache) -> None:
    waits: list[float] = []
    route_json(
        server, "/mobile/coverage/BR12WJ", mobile_body("BR12WJ"),
        failures=[Fail.http(429, retry_after="1")],
    )  # fmt: skip
    report = run(server, cache, ["BR12WJ"], waits, endpoints=["mobile"])
    assert (report.found, report.calls) == (1, 2)
    assert max(waits) >= 1.0


def test_a_truncated_body_is_retried(server: OfcomServer, cache: AnswerCache) -> None:
    route_json(
        server, "/broadband/coverage/BR12WJ", broadband_body("BR12WJ", 30),
        failures=[Fail.truncate()],
    )  # fmt: skip
    report = run(server, cache, ["BR12WJ"], endpoints=["broadband"])
    assert (report.found, report.failed, report.calls) == (1, 0, 2)
    assert server.count("/broadband/coverage/BR12WJ") == 2
    assert len(cache.get("broadband", "BR12WJ").body["Availability"]) == 30


def test_a_slow_answer_is_retried_then_failed(
    server: OfcomServer, cache: AnswerCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "HTTP_TIMEOUT", (1.0, 0.2))
    route_json(server, "/mobile/coverage/BR12WJ", mobile_body("BR12WJ"), always=Fail.stall(3))

    report = run(server, cache, ["BR12WJ"], endpoints=["mobile"])

    assert (report.found, report.failed, report.calls) == (0, 1, 3)
    assert server.count("/mobile/coverage/BR12WJ") == 3
    held = cache.get("mobile", "BR12WJ")
    assert held.status == FAILED
    assert held.reason == "timed out (no data within the read timeout of 0.2 s)"


def test_a_slow_answer_then_a_prompt_one_is_found(
    server: OfcomServer, cache: AnswerCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "HTTP_TIMEOUT", (1.0, 0.2))
    route_json(server, "/mobile/coverage/BR12WJ", mobile_body("BR12WJ"), failures=[Fail.stall(3)])
    report = run(server, cache, ["BR12WJ"], endpoints=["mobile"])
    assert (report.found, report.calls) == (1, 2)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_stops_the_run_at_once(
    server: OfcomServer, cache: AnswerCache, status: int
) -> None:
    serve_postcodes(server, ["AA11AA", "BB11BB", "CC11CC"])
    server.route_status("/mobile/coverage/BB11BB", status, {"statusCode": status})

    with pytest.raises(IngestError, match=rf"refused the API key \(HTTP {status}\)") as caught:
        run(server, cache, ["AA11AA", "BB11BB", "CC11CC"])

    assert "OFCOM_API_KEY" in str(caught.value)
    assert "api.ofcom.org.uk" in str(caught.value)
    assert [server.count(p) for p in paths("AA11AA")] == [1, 1]
    assert server.count("/mobile/coverage/BB11BB") == 1
    assert server.count("/broadband/coverage/BB11BB") == 0
    assert [server.count(p) for p in paths("CC11CC")] == [0, 0]
    assert server.count() == 3
    assert cache.get("mobile", "BB11BB") is None  # a refusal is not an answer
    assert cache.get("mobile", "AA11AA").status == FOUND


def test_max_calls_stops_cleanly_and_the_next_run_goes_on(
    server: OfcomServer, cache: AnswerCache
) -> None:
    postcodes = ["AA11AA", "BB11BB", "CC11CC", "DD11DD"]
    serve_postcodes(server, postcodes)

    first = run(server, cache, postcodes, max_calls=5)

    assert (first.asked, first.calls, first.found, first.remaining) == (8, 5, 5, 3)
    assert server.count() == 5
    assert cache.get("mobile", "CC11CC") is not None  # the 5th answer, in asking order
    assert cache.get("broadband", "CC11CC") is None

    second = run(server, cache, postcodes)

    assert (second.asked, second.calls, second.found, second.remaining) == (3, 3, 3, 0)
    assert all(server.count(p) == 1 for pc in postcodes for p in paths(pc))


def test_max_calls_zero_asks_nothing(server: OfcomServer, cache: AnswerCache) -> None:
    serve_postcodes(server, ["AA11AA"])
    report = run(server, cache, ["AA11AA"], max_calls=0)
    assert (report.asked, report.calls, report.remaining) == (2, 0, 2)
    assert server.count() == 0


def test_max_calls_is_never_exceeded_by_retries(server: OfcomServer, cache: AnswerCache) -> None:
    serve_postcodes(server, ["BB11BB"])
    route_json(
        server, "/mobile/coverage/AA11AA", mobile_body("AA11AA"),
        failures=[Fail.http(500), Fail.http(500)],
    )  # fmt: skip
    report = run(server, cache, ["AA11AA", "BB11BB"], endpoints=["mobile"], max_calls=2)
    assert server.count() <= 2
    assert report.calls <= 2


def test_the_rate_is_kept_with_a_fake_clock(server: OfcomServer, cache: AnswerCache) -> None:
    postcodes = ["AA11AA", "BB11BB", "CC11CC", "DD11DD", "EE11EE"]
    serve_postcodes(server, postcodes)
    now = [1000.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    report = run(
        server, cache, postcodes, rate=100, endpoints=["mobile"], clock=lambda: now[0], sleep=sleep
    )

    assert report.calls == 5
    assert waits == pytest.approx([0.6] * 4)  # 100 a minute: one every 0.6 s
    assert report.seconds == pytest.approx(2.4)


def test_the_rate_is_kept_in_real_time(server: OfcomServer, cache: AnswerCache) -> None:
    postcodes = ["AA11AA", "BB11BB", "CC11CC", "DD11DD", "EE11EE", "FF11FF"]
    serve_postcodes(server, postcodes, endpoints=["mobile"])

    report = run(server, cache, postcodes, endpoints=["mobile"], rate=600, sleep=time.sleep)

    assert report.calls == 6
    assert server.most_in_window(0.25) <= 3  # 600 a minute: one every 0.1 s
    assert server.times[-1] - server.times[0] >= 0.45


def test_an_expired_answer_is_asked_again(server: OfcomServer, tmp_path: Path) -> None:
    serve_postcodes(server, ["BR12WJ"], endpoints=["mobile"])
    folder = tmp_path / "cache"
    run(server, AnswerCache(folder, 30), ["BR12WJ"], endpoints=["mobile"])
    later = AnswerCache(folder, 30, now=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=31))

    report = run(server, later, ["BR12WJ"], endpoints=["mobile"])

    assert (report.asked, report.calls, report.found) == (1, 1, 1)
    assert server.count("/mobile/coverage/BR12WJ") == 2


def test_rate_must_be_positive(server: OfcomServer, cache: AnswerCache) -> None:
    with pytest.raises(IngestError, match="--rate must be above 0"):
        run(server, cache, ["BR12WJ"], rate=0)


# ------------------------------------------------------------------------------------------
# Kill and resume
# ------------------------------------------------------------------------------------------


def _interrupting_sleep(after: int) -> Callable[[float], None]:
    """A sleep that raises KeyboardInterrupt (Ctrl-C) on its ``after``-th call."""
    calls = [0]

    def sleep(seconds: float) -> None:
        calls[0] += 1
        if calls[0] == after:
            raise KeyboardInterrupt

    return sleep


@pytest.mark.parametrize("k", [1, 4, 7, 9])
def test_a_run_interrupted_after_k_calls_resumes_without_asking_twice(
    server: OfcomServer, cache: AnswerCache, k: int
) -> None:
    postcodes = ["AA11AA", "BB11BB", "CC11CC", "DD11DD", "EE11EE"]
    serve_postcodes(server, postcodes)

    # A still clock: the pace waits before every call but the first, so the k-th wait comes
    # after k calls, each answer already written.
    with pytest.raises(KeyboardInterrupt):
        run(server, cache, postcodes, clock=lambda: 0.0, sleep=_interrupting_sleep(k))

    assert server.count() == k
    assert list(cache.folder.rglob("*.part")) == []
    second = run(server, cache, postcodes)

    assert (second.asked, second.calls, second.found) == (10 - k, 10 - k, 10 - k)
    assert {p: server.count(p) for pc in postcodes for p in paths(pc)} == {
        p: 1 for pc in postcodes for p in paths(pc)
    }
    assert len(list(cache.folder.rglob("*.json.gz"))) == 10
    assert list(cache.folder.rglob("*.part")) == []


def test_an_interrupted_write_leaves_no_answer_and_is_asked_again(
    server: OfcomServer, cache: AnswerCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    postcodes = ["AA11AA", "BB11BB", "CC11CC"]
    serve_postcodes(server, postcodes)
    real_replace = os.replace
    answers_written = [0]

    def replace(src: Any, dst: Any) -> None:
        if str(dst).endswith(".json.gz"):
            answers_written[0] += 1
            if answers_written[0] == 3:  # the 3rd answer: Ctrl-C after its .part is written
                raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        run(server, cache, postcodes)
    monkeypatch.setattr(os, "replace", real_replace)

    part = cache.folder / "mobile" / "BB11BB.json.gz.part"
    assert part.is_file()
    assert cache.get("mobile", "BB11BB") is None
    assert [a.postcode for a in cache.answers("mobile")] == ["AA11AA"]

    second = run(server, cache, postcodes)

    assert (second.asked, second.calls) == (4, 4)
    assert server.count("/mobile/coverage/BB11BB") == 2  # its answer never reached the cache
    others = [p for pc in postcodes for p in paths(pc) if p != "/mobile/coverage/BB11BB"]
    assert [server.count(p) for p in others] == [1] * 5
    assert list(cache.folder.rglob("*.part")) == []


def test_a_garbage_part_file_is_never_read_as_an_answer(cache: AnswerCache) -> None:
    folder = cache.folder / "mobile"
    folder.mkdir(parents=True)
    (folder / "BR12WJ.json.gz.part").write_bytes(gzip.compress(b'{"postcode": "BR1')[:15])
    assert cache.get("mobile", "BR12WJ") is None
    assert list(cache.answers("mobile")) == []
    assert cache.purge() == 0


def test_a_corrupt_cache_file_is_an_error_naming_it(cache: AnswerCache) -> None:
    path = cache.path("mobile", "BR12WJ")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not gzip")
    with pytest.raises(IngestError, match=rf"^{re.escape(str(path))}: not a cached Ofcom API"):
        cache.get("mobile", "BR12WJ")


# ------------------------------------------------------------------------------------------
# The key never appears
# ------------------------------------------------------------------------------------------


def test_the_key_never_appears_in_cache_logs_output_or_errors(
    server: OfcomServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "HTTP_TIMEOUT", (1.0, 0.2))
    caplog.set_level(logging.DEBUG)
    folder = tmp_path / "cache"
    cache = AnswerCache(folder, 30)
    ofcom_api.record_permission(folder, "TEST-REF-1")
    serve_postcodes(server, ["AA11AA", "BB11BB"])
    server.route_status("/mobile/coverage/BB11BB", 500, {"Error": "Internal server error"})
    route_json(
        server, "/broadband/coverage/BB11BB", broadband_body("BB11BB"),
        failures=[Fail.truncate(), Fail.reset()],
    )  # fmt: skip
    server.route_status("/mobile/coverage/CC11CC", 404, not_found_body("CC11CC"))
    route_json(server, "/broadband/coverage/CC11CC", mobile_body("CC11CC"), always=Fail.stall(3))
    bad = broadband_body("EE11EE")
    bad["Availability"][0]["MaxPredictedDown"] = -2
    serve_postcodes(server, ["EE11EE"], endpoints=["mobile"])
    route_json(server, "/broadband/coverage/EE11EE", bad)
    server.route_status("/mobile/coverage/DD11DD", 401, {"statusCode": 401})
    output = io.StringIO()
    console = Console(file=output, force_terminal=True, width=120)

    report = run(server, cache, ["AA11AA", "BB11BB", "CC11CC", "EE11EE"], console=console)
    with pytest.raises(IngestError) as refused:
        run(server, cache, ["DD11DD"], console=console)
    with pytest.raises(DownloadError) as failed:
        _call(server.url("/mobile/coverage/BB11BB"), [])

    assert (report.found, report.not_found, report.failed) == (4, 1, 3)
    texts = {
        "log": caplog.text,
        "log messages": "\n".join(r.getMessage() for r in caplog.records),
        "console": output.getvalue(),
        "report": repr(report),
        "refused": f"{refused.value} {refused.value!r} {refused.value.__cause__!r}",
        "failed": f"{failed.value} {failed.value!r} {failed.value.last_failure}",
    }
    for path in folder.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            texts[str(path)] = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()
    assert len(texts) > 6 + 8  # permission.json and eight answers were written
    assert "Calling" in texts["log"]  # the log was captured
    for name, text in texts.items():
        assert KEY not in text, f"the key leaked into {name}"
        assert "SECRET123" not in text, f"the key leaked into {name}"
    seen = server.seen()
    assert len(seen) > 10
    assert all(s.headers.get("Ocp-Apim-Subscription-Key") == KEY for s in seen)
    assert not any(KEY in s.path or "SECRET" in s.path for s in seen)


# ------------------------------------------------------------------------------------------
# Expiry and the cache period
# ------------------------------------------------------------------------------------------

FETCHED = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _put(folder: Path, postcode: str, when: dt.datetime, endpoint: str = "mobile") -> Path:
    writer = AnswerCache(folder, 30, now=lambda: when)
    body = minimised(mobile_body(postcode), "mobile", source="x")
    writer.put(CachedAnswer(postcode, endpoint, when, FOUND, body, DB_NAME))
    return writer.path(endpoint, postcode)


def test_an_answer_older_than_the_period_is_deleted_and_not_returned(tmp_path: Path) -> None:
    path = _put(tmp_path, "BR12WJ", FETCHED)

    at_30 = AnswerCache(tmp_path, 30, now=lambda: FETCHED + dt.timedelta(days=30))
    held = at_30.get("mobile", "BR12WJ")
    assert held is not None and held.fetched_at == FETCHED and held.db_name == DB_NAME
    assert path.is_file()

    at_31 = AnswerCache(tmp_path, 30, now=lambda: FETCHED + dt.timedelta(days=31))
    assert at_31.get("mobile", "BR12WJ") is None
    assert not path.exists()


def test_an_unexpiring_cache_keeps_old_answers(tmp_path: Path) -> None:
    path = _put(tmp_path, "BR12WJ", FETCHED)
    synthetic = AnswerCache(
        tmp_path, 30, now=lambda: FETCHED + dt.timedelta(days=400), expires=False
    )
    assert synthetic.get("mobile", "BR12WJ") is not None
    assert path.is_file()


def test_purge_deletes_expired_answers_and_counts_them(tmp_path: Path) -> None:
    _put(tmp_path, "AA11AA", FETCHED)
    _put(tmp_path, "BB11BB", FETCHED, endpoint="broadband")
    _put(tmp_path, "CC11CC", FETCHED + dt.timedelta(days=20))
    cache = AnswerCache(tmp_path, 30, now=lambda: FETCHED + dt.timedelta(days=31))

    assert cache.purge() == 2
    assert sorted(p.name for p in tmp_path.rglob("*.json.gz")) == ["CC11CC.json.gz"]
    assert cache.purge() == 0


@pytest.mark.parametrize(
    ("env", "permission", "expected"),
    [
        (None, None, 30),
        ("10", None, 10),
        ("30", None, 30),
        (None, Permission("REF", "2026-03-01T12:00:00+00:00", 90), 90),
        ("40", Permission("REF", "2026-03-01T12:00:00+00:00", 90), 40),
        ("90", Permission("REF", "2026-03-01T12:00:00+00:00", 90), 90),
        ("20", Permission("REF", "2026-03-01T12:00:00+00:00"), 20),
    ],
)
def test_cache_days_allowed(
    monkeypatch: pytest.MonkeyPatch, env: str | None, permission: Permission | None, expected: int
) -> None:
    if env is not None:
        monkeypatch.setenv("DIM_OFCOM_API_CACHE_DAYS", env)
    assert ofcom_api.cache_days(permission) == expected


@pytest.mark.parametrize(
    ("env", "permission", "match"),
    [
        ("40", None, r"DIM_OFCOM_API_CACHE_DAYS=40: answers may be cached 1 to 30 days.*one month"),
        ("31", Permission("REF", "x"), r"1 to 30 days.*clause 4\.3\.6"),
        ("91", Permission("REF", "x", 90), r"1 to 90 days \(the recorded permission's period\)"),
        ("0", None, r"DIM_OFCOM_API_CACHE_DAYS=0: answers may be cached 1 to 30"),
        ("a month", None, r"DIM_OFCOM_API_CACHE_DAYS='a month': expected a whole number"),
    ],
)
def test_cache_days_refused(
    monkeypatch: pytest.MonkeyPatch, env: str, permission: Permission | None, match: str
) -> None:
    monkeypatch.setenv("DIM_OFCOM_API_CACHE_DAYS", env)
    with pytest.raises(IngestError, match=match):
        ofcom_api.cache_days(permission)


def test_open_place_cache_takes_its_period_from_the_permission(tmp_path: Path) -> None:
    cache, permission = ofcom_api.open_place_cache(tmp_path / "none")
    assert (cache.max_age_days, cache.expires, permission) == (30, True, None)
    ofcom_api.record_permission(tmp_path / "p", "TEST-REF-1", retention_days=90)
    cache, permission = ofcom_api.open_place_cache(tmp_path / "p")
    assert (cache.max_age_days, cache.expires, permission.reference) == (90, True, "TEST-REF-1")
    ofcom_api.record_permission(tmp_path / "s", "demo", synthetic=True)
    cache, _ = ofcom_api.open_place_cache(tmp_path / "s")
    assert cache.expires is False


# ------------------------------------------------------------------------------------------
# Permission
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reference", ["", "   "])
def test_record_permission_refuses_an_empty_reference(tmp_path: Path, reference: str) -> None:
    with pytest.raises(IngestError, match=r"no permission reference\. Clause 4\.3\.6"):
        ofcom_api.record_permission(tmp_path / "p", reference)
    assert not (tmp_path / "p" / "permission.json").exists()


def test_record_permission_refuses_a_retention_under_a_day(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="--retention-days must be 1 or more; found 0"):
        ofcom_api.record_permission(tmp_path, "REF", retention_days=0)


def test_a_recorded_permission_reads_back(tmp_path: Path) -> None:
    written = ofcom_api.record_permission(tmp_path, "  TEST-REF-1 ", retention_days=60)
    read = ofcom_api.read_permission(tmp_path)
    assert read == written
    assert (read.reference, read.retention_days, read.synthetic) == ("TEST-REF-1", 60, False)
    assert dt.datetime.fromisoformat(read.recorded_at).tzinfo is not None
    assert ofcom_api.read_permission(tmp_path / "elsewhere") is None


def test_a_broken_permission_record_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "permission.json").write_text('{"ref": 1}')
    with pytest.raises(IngestError, match="not a permission record"):
        ofcom_api.read_permission(tmp_path)


def test_cli_refuses_without_a_permission_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFCOM_API_KEY", KEY)
    monkeypatch.setenv("DIM_CACHE", str(tmp_path / "cache"))

    code = main(["ofcom-api", "--la", "E08999999", "--sources", str(tmp_path)])

    out, err = capsys.readouterr()
    assert code == 2
    assert "refused without --ofcom-permission" in err
    assert "Clause 4.3.6" in err
    assert "to build a partial or full dataset of your own" in err
    assert out == ""
    assert not (tmp_path / "cache").exists()


def test_cli_without_a_key_says_how_to_get_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["ofcom-api", "--la", "E08999999", "--sources", str(tmp_path),
         "--ofcom-permission", "TEST-REF-1"]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "OFCOM_API_KEY is not set" in err
    assert "api.ofcom.org.uk" in err


def test_api_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ofcom_api.api_postcode(" m15  4ab ") == "M154AB"
    assert ofcom_api.api_url() == "https://api-proxy.ofcom.org.uk"
    monkeypatch.setenv("DIM_OFCOM_API_URL", "http://127.0.0.1:9/")
    assert ofcom_api.api_url() == "http://127.0.0.1:9"
    monkeypatch.setenv("OFCOM_API_KEY", "  ")
    with pytest.raises(IngestError, match="OFCOM_API_KEY is not set"):
        ofcom_api.api_key()
    monkeypatch.setenv("OFCOM_API_KEY", f" {KEY}\n")
    assert ofcom_api.api_key() == KEY


# ------------------------------------------------------------------------------------------
# sample_first
# ------------------------------------------------------------------------------------------


def _directory() -> pd.DataFrame:
    wards = ["A"] * 5 + ["B"] + ["C"] * 3 + [None] * 2
    postcodes = [f"M{n} {n}AB" for n in range(1, 12)]
    return pd.DataFrame({"postcode": postcodes, "ward_code": wards})


def test_sample_first_puts_n_per_ward_first_and_every_postcode_once() -> None:
    directory = _directory()
    ward_of = dict(
        zip(
            directory["postcode"].str.replace(" ", ""),
            directory["ward_code"].fillna("-"),
            strict=True,
        )
    )

    order, sampled = ofcom_api.sample_first(directory, 2, seed=0)

    assert sampled == 7  # A 2 + B 1 (all it has) + C 2 + no ward 2
    assert len(order) == 11
    assert sorted(order) == sorted(f"M{n}{n}AB" for n in range(1, 12))
    assert Counter(ward_of[pc] for pc in order[:7]) == {"A": 2, "B": 1, "C": 2, "-": 2}
    assert Counter(ward_of[pc] for pc in order[7:]) == {"A": 3, "C": 1}


def test_sample_first_is_seeded() -> None:
    directory = _directory()
    assert ofcom_api.sample_first(directory, 2, seed=5) == ofcom_api.sample_first(
        directory, 2, seed=5
    )
    orders = {tuple(ofcom_api.sample_first(directory, 2, seed=s)[0]) for s in range(5)}
    assert len(orders) > 1


def test_sample_first_refuses_zero_per_ward() -> None:
    with pytest.raises(IngestError, match="--sample-per-ward must be 1 or more; found 0"):
        ofcom_api.sample_first(_directory(), 0)


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(["W1", "W2", "W3", None]), min_size=1, max_size=40),
    st.integers(1, 6),
    st.integers(0, 2**32 - 1),
)
def test_sample_first_properties(wards: list[str | None], per_ward: int, seed: int) -> None:
    postcodes = [f"B{n // 10 + 1} {n % 10}AA" for n in range(len(wards))]
    directory = pd.DataFrame({"postcode": postcodes, "ward_code": wards})
    ward_of = {pc.replace(" ", ""): (w or "") for pc, w in zip(postcodes, wards, strict=True)}

    order, sampled = ofcom_api.sample_first(directory, per_ward, seed=seed)

    assert sorted(order) == sorted(ward_of)  # every postcode exactly once
    sizes = Counter(ward_of.values())
    assert sampled == sum(min(per_ward, n) for n in sizes.values())
    head = Counter(ward_of[pc] for pc in order[:sampled])
    assert head == {w: min(per_ward, n) for w, n in sizes.items()}
    assert ofcom_api.sample_first(directory, per_ward, seed=seed) == (order, sampled)
    # a larger sample with the same seed extends the smaller one
    bigger, _ = ofcom_api.sample_first(directory, per_ward + 1, seed=seed)
    assert set(order[:sampled]) <= set(bigger[: sum(min(per_ward + 1, n) for n in sizes.values())])


# ------------------------------------------------------------------------------------------
# read_place
# ------------------------------------------------------------------------------------------


def _fill_place(folder: Path) -> None:
    """PC1: mobile UPRNs 1,2; broadband 2,3. PC2: mobile not found, broadband failed.
    PC3: broadband UPRN 4 only. PC9 (not a postcode of the place): mobile found."""
    cache = AnswerCache(folder, 30)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    u1, u2, u3, u4 = UPRN, UPRN + 1, UPRN + 2, 200000000004
    mobile = {
        "PostCode": "PC11AA",
        "Availability": [
            mobile_premises(u1, "PC11AA", 1, EEDataIndoor=1),
            mobile_premises(u2, "PC11AA", 2, EEDataIndoor=3),
        ],
        "DBName": DB_NAME,
    }
    speeds = {name: -1 for name in BROADBAND_FIELDS}
    broadband = [
        broadband_premises(u2, "PC11AA", 2, **{**speeds, "MaxPredictedDown": 80}),
        broadband_premises(u3, "PC11AA", 3, **{**speeds, "MaxPredictedDown": 1000}),
    ]

    def put(
        pc: str,
        ep: str,
        status: str,
        body: Any = None,
        db: str | None = None,
        reason: str | None = None,
    ) -> None:
        kept = None if body is None else minimised(body, ep, source="x")
        cache.put(CachedAnswer(pc, ep, now, status, kept, db, reason))

    put("PC11AA", "mobile", FOUND, mobile, DB_NAME)
    put("PC11AA", "broadband", FOUND, broadband)
    put("PC22AA", "mobile", NOT_FOUND)
    put("PC22AA", "broadband", FAILED, reason="HTTP 500 Internal Server Error")
    put("PC33AA", "broadband", FOUND, broadband_premises(u4, "PC33AA", **speeds))
    put("PC99AA", "mobile", FOUND, mobile_body("PC99AA"), DB_NAME)


def test_read_place_joins_mobile_and_broadband_and_counts_outcomes(tmp_path: Path) -> None:
    folder = tmp_path / "E08999999"
    ofcom_api.record_permission(folder, "TEST-REF-1")
    _fill_place(folder)

    place = ofcom_api.read_place(folder, ["PC11AA", "PC22AA", "PC33AA", "PC44AA"])

    premises = place.premises.sort_values(["postcode", "uprn"]).reset_index(drop=True)
    assert premises["uprn"].dtype == np.int64
    assert list(zip(premises["postcode"], premises["uprn"], strict=True)) == [
        ("PC11AA", 100020416746),
        ("PC11AA", 100020416747),
        ("PC11AA", 100020416748),
        ("PC33AA", 200000000004),
    ]
    assert premises["ee_data_indoor"].tolist()[:2] == [1, 3]
    assert premises["ee_data_indoor"].isna().tolist() == [False, False, True, True]
    assert premises["max_down_mbit"].tolist()[1:] == [80.0, 1000.0, -1.0]
    assert np.isnan(premises.loc[0, "max_down_mbit"])
    assert not any("address" in c.lower() for c in premises.columns)
    assert "PC99AA" not in set(place.status["postcode"])
    assert sorted(map(tuple, place.status.to_numpy().tolist())) == [
        ("broadband", "PC11AA", "found"),
        ("broadband", "PC22AA", "failed"),
        ("broadband", "PC33AA", "found"),
        ("mobile", "PC11AA", "found"),
        ("mobile", "PC22AA", "not found"),
    ]
    summary = place.summary
    assert summary["by_endpoint"] == {
        "mobile": {"found": 1, "not found": 1, "failed": 0},
        "broadband": {"found": 2, "not found": 0, "failed": 1},
    }
    assert summary["permission"] == "TEST-REF-1"
    assert summary["db_names"] == [DB_NAME]
    assert summary["postcodes_live"] == 4
    assert summary["retention_days"] == 30
    assert summary["synthetic"] is False
    assert summary["attribution"] == ofcom_api.ATTRIBUTION
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert summary["fetched_from"] == summary["fetched_to"] == today


def test_read_place_without_a_permission_record_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "E08999999"
    _fill_place(folder)
    with pytest.raises(IngestError, match=r"holds Ofcom API answers but no permission record"):
        ofcom_api.read_place(folder, ["PC11AA"])


def test_read_place_of_no_cache_is_none(tmp_path: Path) -> None:
    assert ofcom_api.read_place(tmp_path / "missing", ["PC11AA"]) is None
    ofcom_api.record_permission(tmp_path / "empty", "TEST-REF-1")
    assert ofcom_api.read_place(tmp_path / "empty", ["PC11AA"]) is None


def test_read_place_of_one_endpoint_only(tmp_path: Path) -> None:
    folder = tmp_path / "E08999999"
    ofcom_api.record_permission(folder, "TEST-REF-1")
    cache = AnswerCache(folder, 30)
    now = dt.datetime.now(dt.UTC)
    body = minimised(broadband_body("PC11AA", [UPRN, UPRN + 1]), "broadband", source="x")
    cache.put(CachedAnswer("PC11AA", "broadband", now, FOUND, body))

    place = ofcom_api.read_place(folder, ["PC11AA"])

    assert place.premises["uprn"].tolist() == [100020416746, 100020416747]
    assert place.summary["by_endpoint"]["mobile"] == {"found": 0, "not found": 0, "failed": 0}
    assert place.summary["db_names"] == []


# ------------------------------------------------------------------------------------------
# live_lookup (the app's postcode search)
# ------------------------------------------------------------------------------------------


def test_live_lookup_asks_both_endpoints_once_and_caches(
    server: OfcomServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIM_CACHE", str(tmp_path / "dim_cache"))
    route_json(server, "/mobile/coverage/BR12WJ", mobile_body("BR12WJ", [UPRN, UPRN + 1]))
    route_json(server, "/broadband/coverage/BR12WJ", broadband_body("BR12WJ", [UPRN + 1, UPRN]))

    premises, status = ofcom_api.live_lookup("br1 2wj", key=KEY, base_url=server.url(""))

    assert status == {"mobile": "found", "broadband": "found"}
    assert list(premises.columns) == ["postcode", "uprn", *MOBILE_COLUMNS, *BROADBAND_COLUMNS]
    assert premises["postcode"].tolist() == ["BR12WJ", "BR12WJ"]
    assert sorted(premises["uprn"].tolist()) == [100020416746, 100020416747]
    assert premises["uprn"].dtype == np.int64
    assert premises[MOBILE_COLUMNS + BROADBAND_COLUMNS].notna().all().all()
    live = tmp_path / "dim_cache" / "ofcom_api" / "live"
    stored = [gzip.decompress(p.read_bytes()).decode() for p in sorted(live.rglob("*.json.gz"))]
    assert len(stored) == 2
    assert not any("Test Street" in text or KEY in text for text in stored)
    assert all(s.headers["Ocp-Apim-Subscription-Key"] == KEY for s in server.seen())

    again, _ = ofcom_api.live_lookup("BR12WJ", key=KEY, base_url=server.url(""))

    assert server.count() == 2  # answered from the cache
    pd.testing.assert_frame_equal(again, premises)


def test_live_lookup_reports_not_found_and_failed(
    server: OfcomServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "HTTP_RETRIES", 2)
    monkeypatch.setattr(settings, "HTTP_BACKOFF", 0.0)
    cache = AnswerCache(tmp_path / "live", 30)
    server.route_status("/mobile/coverage/ZZ99ZZ", 404, not_found_body("ZZ99ZZ"))
    server.route_status("/broadband/coverage/ZZ99ZZ", 500, {"Error": "Internal server error"})

    premises, status = ofcom_api.live_lookup(
        "ZZ9 9ZZ", key=KEY, cache=cache, base_url=server.url("")
    )

    assert status == {
        "mobile": "not found",
        "broadband": "failed: HTTP 500 Internal Server Error",
    }
    assert premises.empty
    assert server.count("/broadband/coverage/ZZ99ZZ") == 2
    ofcom_api.live_lookup("ZZ9 9ZZ", key=KEY, cache=cache, base_url=server.url(""))
    assert server.count("/mobile/coverage/ZZ99ZZ") == 1  # not found is settled
    assert server.count("/broadband/coverage/ZZ99ZZ") == 4  # a failure is asked again


def test_live_lookup_with_a_refused_key_raises(server: OfcomServer, tmp_path: Path) -> None:
    server.route_status("/mobile/coverage/BR12WJ", 401, {"statusCode": 401})
    with pytest.raises(IngestError, match="OFCOM_API_KEY") as caught:
        ofcom_api.live_lookup(
            "BR12WJ", key=KEY, cache=AnswerCache(tmp_path, 30), base_url=server.url("")
        )
    assert KEY not in str(caught.value)
    assert server.count() == 1


# ------------------------------------------------------------------------------------------
# End to end: the ofcom-api command
# ------------------------------------------------------------------------------------------

LA = "E08999999"
#: Wards of the small directory written below, and their live postcodes' count.
WARD_SIZES = {"E05999901": 5, "E05999902": 3, "E05999903": 2}
DATALAB_HEADER = (
    "postcode,ward_code,ward_name,msoa_code,msoa_hcl_name,lsoa_code,lsoa_name,locality,"
    "la_code,la_name,lon,lat"
)


def _write_directory(folder: Path) -> list[str]:
    """A Trafford Data Lab style postcode directory; return the place's API postcodes."""
    lines, ours = [DATALAB_HEADER], []
    n = 0
    for ward, size in WARD_SIZES.items():
        for _ in range(size):
            n += 1
            postcode = f"DM{n} 1AB"
            ours.append(postcode.replace(" ", ""))
            lines.append(
                f"{postcode},{ward},Ward {ward[-1]},E02999901,Middle,E01999901,Lsoa,Demo,"
                f"{LA},Demoshire,-2.3,53.4"
            )
    for i in (1, 2):  # another authority's postcodes: never asked
        lines.append(
            f"ZZ{i} 9ZZ,E05000820,Other,E02001234,Mid,E01006123,Ls,Else,E08000009,Trafford,"
            "-2.3,53.4"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "demoshire_postcodes.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ours


def test_cli_fetches_a_sample_then_goes_on_within_max_calls(
    server: OfcomServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sources = tmp_path / "sources"
    ours = _write_directory(sources)
    serve_every_postcode(server)
    monkeypatch.setenv("OFCOM_API_KEY", KEY)
    monkeypatch.setenv("DIM_OFCOM_API_URL", server.url(""))
    monkeypatch.setenv("DIM_CACHE", str(tmp_path / "dim_cache"))
    common = ["ofcom-api", "--la", LA, "--sources", str(sources), "--ofcom-permission",
              "TEST-REF-1", "--rate", "100000", "--quiet"]  # fmt: skip

    assert main([*common, "--sample-per-ward", "2"]) == 0

    out = capsys.readouterr().out
    sample = 2 + 2 + 2  # two of each ward
    assert f"{LA}: {sample} postcodes x 2 endpoint(s); this run: 12 found, 0 not found, " in out
    assert "0 failed, 12 calls" in out
    assert "remain" not in out
    assert server.count() == 12

    assert main([*common, "--max-calls", "5"]) == 0

    out = capsys.readouterr().out
    assert f"{LA}: 10 postcodes x 2 endpoint(s); this run: 5 found" in out
    # 10 postcodes x 2 = 20 answers: 12 held, 5 fetched now, 3 remain
    assert "stopped at --max-calls 5: 3 answers remain" in out
    assert "run again to go on" in out
    assert server.count() == 17

    assert main(common) == 0

    out = capsys.readouterr().out
    assert "this run: 3 found" in out and "remain" not in out
    asked = Counter(s.path for s in server.seen())
    assert asked == {p: 1 for pc in ours for p in paths(pc)}  # each once, none of ZZ
    cache_folder = tmp_path / "dim_cache" / "ofcom_api" / LA
    assert ofcom_api.read_permission(cache_folder).reference == "TEST-REF-1"
    assert len(list(cache_folder.rglob("*.json.gz"))) == 20
    place = ofcom_api.read_place(cache_folder, ours)
    assert place.summary["by_endpoint"]["mobile"] == {"found": 10, "not found": 0, "failed": 0}
    assert len(place.premises) == 10
    assert all(s.headers["Ocp-Apim-Subscription-Key"] == KEY for s in server.seen())


def test_a_premises_under_two_postcodes_is_counted_once(tmp_path: Path) -> None:
    folder = tmp_path / "place"
    ofcom_api.record_permission(folder, "REF-2")
    cache = AnswerCache(folder, max_age_days=30)
    now = dt.datetime.now(dt.UTC)
    for code in ("AA11AA", "BB11BB"):
        body = {"PostCode": code, "Availability": [mobile_premises(100020416746, code)]}
        cache.put(CachedAnswer(code, "mobile", now, FOUND, body))
    place = ofcom_api.read_place(folder, ["AA11AA", "BB11BB"])
    assert place.premises[["postcode", "uprn"]].values.tolist() == [["AA11AA", 100020416746]]
    assert place.summary["premises_in_two_postcodes"] == 1
    assert len(place.summary["sha256"]) == 64
