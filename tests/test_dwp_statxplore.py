"""DWP Stat-Xplore: fetch against a fake table endpoint on 127.0.0.1, and the strict reader.

Nothing here reaches any address but 127.0.0.1 (the ``only_localhost`` fixture).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_statxplore import MONTHS, StatXploreServer, count, month_uri

from ingest._errors import IngestError
from ingest.sources import dwp_statxplore
from ingest.sources.dwp_statxplore import (
    PENSION_CREDIT,
    UNIVERSAL_CREDIT,
    fetch_counts,
    fetch_pension_credit,
    read_pension_credit,
    read_universal_credit,
)

pytestmark = pytest.mark.usefixtures("only_localhost")

KEY = "6579-test-key-never-written-6a4f"
LSOAS = ["E01006118", "E01006119", "E01034000"]
LA = "E08000009"


def _no_sleep(seconds: float) -> None:
    pass


def _fetch(server: StatXploreServer, dest: Path, **kwargs) -> Path:
    return fetch_pension_credit(
        LA, LSOAS, dest, key=KEY, base_url=server.url(), sleep=_no_sleep, backoff=0, **kwargs
    )


def _written_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_fetch_writes_the_newest_month_and_reads_back(tmp_path):
    with StatXploreServer(PENSION_CREDIT, KEY) as server:
        path = _fetch(server, tmp_path)
    newest = max(MONTHS)
    assert path == tmp_path / f"dwp_pension_credit_{newest}_{LA}.csv"
    assert path.read_text().splitlines()[0] == "lsoa_code,pension_credit_claimants,month"
    frame = read_pension_credit(path)
    assert frame["lsoa_code"].tolist() == LSOAS
    assert frame["pension_credit_claimants"].tolist() == [count(c, newest) for c in LSOAS]
    assert str(frame["pension_credit_claimants"].dtype) == "int64"
    assert frame.attrs["release"] == "DWP Pension Credit, May 2025"
    assert frame.attrs["month"] == "2025-05"
    assert frame.attrs["area_vintage"] == 2021
    assert frame.attrs["source_file"] == path.name
    assert "66 and over" in frame.attrs["notes"]
    assert "random error" in frame.attrs["notes"]
    # The key went in the APIKey header of both requests, and in no file written.
    assert [r.headers.get("APIKey") for r in server.requests] == [KEY, KEY]
    assert KEY.encode() not in _written_bytes(tmp_path)


def test_the_queries_sent_recode_the_authority_and_the_month(tmp_path):
    with StatXploreServer(PENSION_CREDIT, KEY) as server:
        _fetch(server, tmp_path, month="202411")
    months_query, table_query = (r.body for r in server.requests)
    assert months_query == {
        "database": "str:database:PC_New",
        "measures": ["str:count:PC_New:V_F_PC_CASELOAD_New"],
        "dimensions": [["str:field:PC_New:F_PC_QTR_New:DATE_NAME"]],
    }
    recodes = table_query["recodes"]
    assert recodes[PENSION_CREDIT.lsoa_field] == {
        "map": [[PENSION_CREDIT.lsoa_value(c)] for c in LSOAS],
        "total": False,
    }
    assert recodes[PENSION_CREDIT.date_field]["map"] == [[month_uri(PENSION_CREDIT, "202411")]]
    assert table_query["dimensions"] == [[PENSION_CREDIT.lsoa_field], [PENSION_CREDIT.date_field]]
    assert all(r.path == "/table" for r in server.requests)


def test_provenance_names_the_query_and_never_the_key(tmp_path):
    with StatXploreServer(PENSION_CREDIT, KEY) as server:
        path = _fetch(server, tmp_path, month="202502")
    record_path = tmp_path / f"dwp_pension_credit_202502_{LA}.provenance.json"
    record = json.loads(record_path.read_text())
    assert record["database"] == PENSION_CREDIT.database
    assert record["measure"] == PENSION_CREDIT.measure
    assert record["month"] == "202502"
    assert record["lsoas_asked"] == record["rows_written"] == 3
    assert record["total"] == sum(count(c, "202502") for c in LSOAS)
    assert record["unconfirmed_identifiers"] == ["lsoa_valueset"]
    assert "fetched_at" in record
    assert KEY not in record_path.read_text() and KEY not in path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, record_path.name]


def test_universal_credit_takes_the_same_path(tmp_path):
    with StatXploreServer(UNIVERSAL_CREDIT, KEY) as server:
        path = fetch_counts(
            UNIVERSAL_CREDIT, LA, LSOAS, tmp_path, key=KEY, base_url=server.url(),
            sleep=_no_sleep,
        )  # fmt: skip
    frame = read_universal_credit(path)
    assert path.name == f"dwp_universal_credit_{max(MONTHS)}_{LA}.csv"
    assert frame["universal_credit_people"].tolist() == [count(c, max(MONTHS)) for c in LSOAS]
    assert frame.attrs["release"] == "DWP Universal Credit, May 2025"


def test_a_refused_key_stops_at_once_saying_how_to_get_one(tmp_path):
    server = StatXploreServer(PENSION_CREDIT, "another key")
    with server, pytest.raises(IngestError, match=r"refused the API key \(HTTP 401\).*STATXPLORE"):
        _fetch(server, tmp_path)
    assert len(server.requests) == 1
    assert not list(tmp_path.iterdir())


def test_429_is_retried_after_what_retry_after_asks(tmp_path):
    waits: list[float] = []
    with StatXploreServer(PENSION_CREDIT, KEY, failures=[(429, "3")]) as server:
        path = fetch_pension_credit(
            LA, LSOAS, tmp_path, key=KEY, base_url=server.url(), sleep=waits.append, backoff=0
        )
    assert waits == [3.0]
    assert len(server.requests) == 3
    assert len(read_pension_credit(path)) == 3


def test_a_refused_identifier_is_named_with_how_to_find_the_right_one(tmp_path):
    wrong = PENSION_CREDIT.replace(
        lsoa_valueset="str:value:PC_New:V_F_PC_CASELOAD_New:COA_CODE:V_C_WRONG_LSOA"
    )
    assert wrong.unconfirmed == ()  # the user's own identifier is not one of ours
    server = StatXploreServer(PENSION_CREDIT, KEY)
    with server, pytest.raises(IngestError) as caught:
        fetch_counts(wrong, LA, LSOAS, tmp_path, key=KEY, base_url=server.url())
    message = str(caught.value)
    assert "refused the DWP Pension Credit query (HTTP 404: " in message
    assert "Unknown value: str:value:PC_New:V_F_PC_CASELOAD_New:COA_CODE:V_C_WRONG_LSOA" in message
    assert "lsoa_valueset 'str:value:PC_New:V_F_PC_CASELOAD_New:COA_CODE:V_C_WRONG_LSOA'" in message
    assert "it names ['lsoa_valueset']" in message
    assert "Open Data API Query (.json)" in message and "--lsoa-valueset" in message
    assert not list(tmp_path.iterdir())


def test_a_refused_database_names_the_unconfirmed_identifiers_too(tmp_path):
    server = StatXploreServer(PENSION_CREDIT.replace(database="str:database:PC_Other"), KEY)
    match = r"it names \['database'\].*Unconfirmed.*lsoa_valueset"
    with server, pytest.raises(IngestError, match=match):
        fetch_counts(PENSION_CREDIT, LA, LSOAS, tmp_path, key=KEY, base_url=server.url())


def test_a_month_the_database_lacks_lists_those_it_has(tmp_path):
    server = StatXploreServer(PENSION_CREDIT, KEY)
    match = r"no month 202506 \(Jun 2025\).*'202505'.*quarterly"
    with server, pytest.raises(IngestError, match=match):
        _fetch(server, tmp_path, month="202506")
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"la_code": "Trafford"}, "not an ONS local authority code"),
        ({"lsoa_codes": []}, "no LSOA of E08000009"),
        ({"lsoa_codes": ["E01006118", "E02001259"]}, r"\['E02001259'\] are not LSOA 2021 codes"),
        ({"month": "2025-05"}, r"--month '2025-05': expected YYYYMM"),
        ({"key": " "}, "the API key is empty"),
    ],
)
def test_bad_arguments_are_refused_before_any_call(tmp_path, kwargs, match):
    args = {"la_code": LA, "lsoa_codes": LSOAS, "key": KEY, "month": None, **kwargs}
    with pytest.raises(IngestError, match=match):
        fetch_pension_credit(
            args["la_code"], args["lsoa_codes"], tmp_path, key=args["key"], month=args["month"],
            base_url="http://127.0.0.1:9",
        )  # fmt: skip


def test_api_key_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("STATXPLORE_API_KEY", raising=False)
    with pytest.raises(IngestError, match=r"STATXPLORE_API_KEY is not set.*stat-xplore\.dwp"):
        dwp_statxplore.api_key()
    monkeypatch.setenv("STATXPLORE_API_KEY", f" {KEY}\n")
    assert dwp_statxplore.api_key() == KEY


def test_the_base_address_can_be_replaced(monkeypatch):
    monkeypatch.delenv("DIM_STATXPLORE_URL", raising=False)
    assert dwp_statxplore.api_url() == "https://stat-xplore.dwp.gov.uk/webapi/rest/v1"
    monkeypatch.setenv("DIM_STATXPLORE_URL", "http://127.0.0.1:8080/")
    assert dwp_statxplore.api_url() == "http://127.0.0.1:8080"


def test_replace_refuses_what_is_not_an_identifier():
    with pytest.raises(IngestError, match=r"\['column'\] are not Stat-Xplore identifiers"):
        PENSION_CREDIT.replace(column="x")
    with pytest.raises(IngestError, match=r"\['measure'\] are empty"):
        PENSION_CREDIT.replace(measure=" ")
    assert PENSION_CREDIT.replace(measure=None) == PENSION_CREDIT


# --------------------------------------------------------------------------------------------
# The reader
# --------------------------------------------------------------------------------------------

HEADER = "lsoa_code,pension_credit_claimants,month"


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dwp_pension_credit_202505_E08000009.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "is empty"),
        (HEADER + "\n", "has a header but no rows"),
        (
            "lsoa_code,claimants,month\nE01006118,3,202505\n",
            r"does not match any known release.*missing column\(s\) \['pension_credit_claimants'\]",
        ),
        (
            HEADER + "\nE01006118,3,202505\nE02001259,4,202505\n",
            r"column 'lsoa_code', line 3: found 'E02001259'; expected an LSOA 2021 code",
        ),
        (
            HEADER + "\nE01006118,-3,202505\n",
            r"column 'pension_credit_claimants', line 2: found '-3'; expected a whole number",
        ),
        (
            HEADER + "\nE01006118,3,202505\nE01006119,many,202505\n",
            r"column 'pension_credit_claimants', line 3: found 'many'",
        ),
        (
            HEADER + "\nE01006118,3,202505\nE01006118,4,202505\n",
            r"column 'lsoa_code': code\(s\) \['E01006118'\] appear on more than one row",
        ),
        (
            HEADER + "\nE01006118,3,202505\nE01006119,4,202502\n",
            r"column 'month', line 3: found '202502'; expected the month YYYYMM",
        ),
        (HEADER + "\nE01006118,3,2025-05\n", r"column 'month', line 2: found '2025-05'"),
    ],
)
def test_read_pension_credit_refuses_bad_files(tmp_path, text, match):
    with pytest.raises(IngestError, match=match):
        read_pension_credit(_csv(tmp_path, text))


def test_read_pension_credit_names_a_missing_file(tmp_path):
    with pytest.raises(IngestError, match="file not found"):
        read_pension_credit(tmp_path / "none.csv")


def test_read_pension_credit_accepts_a_hand_saved_copy(tmp_path):
    path = _csv(tmp_path, "\ufeff" + HEADER.replace(",", ", ") + "\r\n E01006118 ,0,202505\r\n")
    frame = read_pension_credit(path)
    assert frame["lsoa_code"].tolist() == ["E01006118"]
    assert frame["pension_credit_claimants"].tolist() == [0]
