"""ingest.download against fake publishers on 127.0.0.1 (never any other address)."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest
from http_server import LOCALHOST, Fail, FixtureServer, Route, Seen

from ingest import download as dl
from ingest import settings
from ingest._errors import IngestError
from ingest._http import DownloadError, sha256_file
from ingest.sources import census_topics
from ingest.sources.constituencies import read_ward_constituencies
from ingest.sources.data_zones import read_data_zone_lookup
from ingest.sources.ons_geography import read_lookup

LA = "E08000009"
OTHER_LA = "E08000001"
WARD_LOOKUP = "ons_ward_lad_lookups/Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv"  # noqa: E501


# ------------------------------------------------------------------------------------------
# No network, fast retries
# ------------------------------------------------------------------------------------------


#: Every test here may reach 127.0.0.1 only (see conftest).
pytestmark = pytest.mark.usefixtures("only_localhost")


@pytest.fixture(autouse=True)
def fast_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "HTTP_TIMEOUT", (1.0, 2.0))
    monkeypatch.setattr(settings, "HTTP_RETRIES", 3)
    monkeypatch.setattr(settings, "HTTP_BACKOFF", 0.0)
    monkeypatch.setattr(dl, "IN_BATCH", 2)  # several IN (...) batches with a handful of codes


# ------------------------------------------------------------------------------------------
# A fixture server whose answers may depend on the query string
# ------------------------------------------------------------------------------------------

Handler = Callable[[dict[str, str]], bytes]


class ApiServer(FixtureServer):
    """FixtureServer plus paths answered by a function of the query string."""

    def __init__(self) -> None:
        super().__init__()
        self.handlers: dict[str, tuple[Handler, str, list[Fail]]] = {}
        self.handler_lock = threading.Lock()

    def api(
        self,
        path: str,
        handler: Handler,
        *,
        content_type: str = "application/json",
        failures: list[Fail] | None = None,
    ) -> str:
        self.handlers[path] = (handler, content_type, list(failures or []))
        return self.url(path)

    def _handle(self, h) -> None:
        split = urlsplit(h.path)
        if split.path not in self.handlers:
            super()._handle(h)
            return
        handler, content_type, failures = self.handlers[split.path]
        with self._lock:
            self._seen.append(Seen(h.command, h.path, dict(h.headers.items())))
        with self.handler_lock:
            fail = failures.pop(0) if failures else None
        if fail is not None:
            self._empty(h, fail.status)
            return
        body = handler(dict(parse_qsl(split.query)))
        self._respond(h, Route(body=body, content_type=content_type))


@pytest.fixture
def server() -> Iterator[ApiServer]:
    srv = ApiServer().start()
    try:
        yield srv
    finally:
        srv.stop()
    assert not srv.errors, f"the test server failed: {srv.errors!r}"


# ------------------------------------------------------------------------------------------
# Fake ONS ArcGIS layers
# ------------------------------------------------------------------------------------------


def box(x: float, y: float) -> dict:
    ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


class Layer:
    """An ArcGIS FeatureServer layer: where (=, IN, 1=1), orderByFields, paging at a cap."""

    def __init__(self, rows: list[dict], *, geometry: bool, cap: int = 2) -> None:
        self.rows = rows
        self.geometry = geometry
        self.cap = cap
        self.wheres: list[str] = []

    def __call__(self, query: dict[str, str]) -> bytes:
        where = query["where"]
        self.wheres.append(where)
        rows = self.select(where)
        if query.get("orderByFields"):
            rows = sorted(rows, key=lambda r: str(r[query["orderByFields"]]))
        offset = int(query.get("resultOffset", 0))
        count = min(int(query.get("resultRecordCount", 1000)), self.cap)
        page, more = rows[offset : offset + count], offset + count < len(rows)
        assert query["f"] == ("geojson" if self.geometry else "json")
        if self.geometry:
            assert query["outSR"] == "4326"
            body: dict = {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "id": i, "geometry": r["_geometry"], "properties": attrs(r)}
                    for i, r in enumerate(page, start=offset)
                ],
            }
            if more:
                body["properties"] = {"exceededTransferLimit": True}
        else:
            names = [k for k in self.rows[0] if not k.startswith("_")]
            body = {
                "fields": [{"name": n, "type": "esriFieldTypeString"} for n in names],
                "features": [{"attributes": attrs(r)} for r in page],
            }
            if more:
                body["exceededTransferLimit"] = True
        return json.dumps(body).encode()

    def select(self, where: str) -> list[dict]:
        if where == "1=1":
            return list(self.rows)
        if m := re.fullmatch(r"(\w+) = '([^']*)'", where):
            return [r for r in self.rows if r[m[1]] == m[2]]
        if m := re.fullmatch(r"(\w+) IN \((.*)\)", where):
            codes = set(re.findall(r"'([^']*)'", m[2]))
            return [r for r in self.rows if r[m[1]] in codes]
        raise AssertionError(f"unexpected where {where!r}")


def attrs(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


WARDS_HERE = [f"E0500081{i}" for i in range(5)]
LSOAS_HERE = ["E01006112", "E01006113", "E01034000"]
OAS_HERE = {
    "E01006112": ["E00000001", "E00000002"],
    "E01006113": ["E00000003"],
    "E01034000": ["E00000004", "E00000005", "E00000006"],
}
LSOA11_OF = {"E01006112": "E01006112", "E01006113": "E01006113", "E01034000": "E01006185"}


def fake_ons() -> dict[str, Layer]:
    """Service name -> layer, each holding rows of Trafford and of another authority."""
    wards = [
        {
            "WD24CD": c,
            "WD24NM": f"Ward {i}",
            "LAD24CD": LA,
            "LAD24NM": "Trafford",
            "_geometry": box(i, 0),
        }
        for i, c in enumerate(WARDS_HERE)
    ] + [
        {
            "WD24CD": "E05000001",
            "WD24NM": "Elsewhere",
            "LAD24CD": OTHER_LA,
            "LAD24NM": "Bolton",
            "_geometry": box(9, 9),
        }
    ]
    lookup = [
        {
            "LSOA21CD": code,
            "LSOA21NM": f"Trafford {i:03d}A",
            "WD24CD": WARDS_HERE[i],
            "WD24NM": f"Ward {i}",
            "LAD24CD": LA,
            "LAD24NM": "Trafford",
            "ObjectId": i + 1,
        }
        for i, code in enumerate(LSOAS_HERE)
    ] + [
        {
            "LSOA21CD": "E01004999",
            "LSOA21NM": "Bolton 001A",
            "WD24CD": "E05000001",
            "WD24NM": "Elsewhere",
            "LAD24CD": OTHER_LA,
            "LAD24NM": "Bolton",
            "ObjectId": 99,
        }
    ]
    oa_lookup = [
        {
            "OA21CD": oa,
            "LSOA21CD": lsoa,
            "LSOA21NM": "x",
            "MSOA21CD": "E02000001",
            "MSOA21NM": "y",
            "LAD22CD": LA,
            "LAD22NM": "Trafford",
            "ObjectId": 1,
        }
        for lsoa, oas in OAS_HERE.items()
        for oa in oas
    ] + [
        {
            "OA21CD": "E00099999",
            "LSOA21CD": "E01004999",
            "LSOA21NM": "x",
            "MSOA21CD": "E02000002",
            "MSOA21NM": "y",
            "LAD22CD": OTHER_LA,
            "LAD22NM": "Bolton",
            "ObjectId": 2,
        }
    ]
    all_oas = [oa for oas in OAS_HERE.values() for oa in oas] + ["E00099999"]
    oa_bounds = [
        {"OA21CD": oa, "LSOA21CD": "E01000000", "_geometry": box(i, 1)}
        for i, oa in enumerate(all_oas)
    ]
    lsoa_bounds = [
        {"LSOA21CD": c, "LSOA21NM": "x", "_geometry": box(i, 2)}
        for i, c in enumerate([*LSOAS_HERE, "E01004999"])
    ]
    lsoa11_lookup = [
        {
            "LSOA11CD": old,
            "LSOA11NM": "x",
            "LSOA21CD": new,
            "LSOA21NM": "y",
            "CHGIND": "U" if old == new else "S",
            "LAD22CD": LA,
        }
        for new, old in LSOA11_OF.items()
    ]
    lsoa11_bounds = [
        {"LSOA11CD": c, "LSOA11NM": "x", "_geometry": box(i, 3)}
        for i, c in enumerate(sorted({*LSOA11_OF.values(), "E01004999"}))
    ]
    #: the service's own columns, UTLA and ObjectId included, and a ward of Kirklees split
    #: between three constituencies, which the LAD24CD filter leaves out
    constituencies = [
        {
            "WD24CD": code,
            "WD24NM": f"Ward {i}",
            "PCON24CD": "E14001065" if i < 3 else "E14001519",
            "PCON24NM": "Altrincham and Sale West" if i < 3 else "Stretford and Urmston",
            "LAD24CD": LA,
            "LAD24NM": "Trafford",
            "UTLA24CD": LA,
            "UTLA24NM": "Trafford",
            "ObjectId": i + 1,
        }
        for i, code in enumerate(WARDS_HERE)
    ] + [
        {
            "WD24CD": "E05008562",
            "WD24NM": "Kirkburton",
            "PCON24CD": pcon,
            "PCON24NM": name,
            "LAD24CD": "E08000034",
            "LAD24NM": "Kirklees",
            "UTLA24CD": "E11000006",
            "UTLA24NM": "West Yorkshire",
            "ObjectId": 10 + n,
        }
        for n, (pcon, name) in enumerate(
            [
                ("E14000645", "Colne Valley"),
                ("E14000666", "Dewsbury"),
                ("E14000756", "Huddersfield"),
            ]
        )
    ]
    names = [
        {"LAD24CD": LA, "LAD24NM": "Trafford"},
        {"LAD24CD": OTHER_LA, "LAD24NM": "Bolton"},
        {"LAD24CD": "E06000023", "LAD24NM": "Bristol, City of"},
    ]
    return {
        "Wards_December_2024_Boundaries_UK_BGC": Layer(wards, geometry=True),
        "LSOA21_WD24_LAD24_EW_LU": Layer(lookup, geometry=False),
        "WD24_PCON24_LAD24_UTLA24_UK_LU": Layer(constituencies, geometry=False),
        "OA_LSOA_MSOA_EW_DEC_2021_LU_v3": Layer(oa_lookup, geometry=False),
        "Output_Areas_2021_EW_BGC_V2": Layer(oa_bounds, geometry=True),
        "Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BGC_V5": Layer(
            lsoa_bounds, geometry=True
        ),
        "LSOA11_LSOA21_LAD22_EW_LU_v5": Layer(lsoa11_lookup, geometry=False),
        "LSOA_Dec_2011_Boundaries_Generalised_Clipped_BGC_EW_V3": Layer(
            lsoa11_bounds, geometry=True
        ),
        "Local_Authority_Districts_December_2024_Boundaries_UK_BGC": Layer(names, geometry=False),
    }


# ------------------------------------------------------------------------------------------
# Fake Ofcom, MHCLG and Nomis
# ------------------------------------------------------------------------------------------

OA_CSV = b"output_area,All Premises\nE00000001,120\n"
LA_CSV = b"laua,laua_name,All Premises\nE08000009,Trafford,107154\n"
MOBILE_CSV = b"laua,laua_name,prem_count\r\nE08000009,Trafford,107154\r\n"
MOBILE_PCON_CSV = b"parl_const,parl_const_name,prem_count\r\nE14001065,Altrincham,51000\r\n"
IOD_BYTES = b"PK\x03\x04 not really a workbook, never parsed by the download"


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


FIXED_ZIP = {
    "202601_fixed_oa_coverage_r1/202601_fixed_oa_coverage_r1.csv": OA_CSV,
    "202601_fixed_oa_coverage_r1/202601_fixed_oa_res_coverage_r1.csv": b"residential\n",
    "202601_fixed_laua_coverage_r1/202601_fixed_laua_coverage_r1.csv": LA_CSV,
    "postcode_files/202601_fixed_pc_coverage_r2_CR.csv": b"postcode\n",
}
MOBILE_ZIP = {
    "202601_mobile_coverage_r1/202601_mobile_coverage_laua_r01.csv": MOBILE_CSV,
    "202601_mobile_coverage_r1/202601_mobile_coverage_pcon_r01.csv": MOBILE_PCON_CSV,
    "202601_mobile_coverage_r1/202601_mobile_coverage_devcon_r01.csv": b"devcon\n",
}
NOMIS_HEADER = '"GEOGRAPHY_CODE","GEOGRAPHY_NAME","C2021_AGE_102","C2021_AGE_102_NAME","OBS_VALUE"'


def nomis(query: dict[str, str]) -> bytes:
    assert query["c2021_age_102"] == "0,66...101"
    assert query["measures"] == "20100" and query["date"] == "latest"
    lines = [NOMIS_HEADER]
    for code in query["geography"].split(","):
        lines.append(f'"{code}","Trafford","0","Total","1500"')
        lines.append(f'"{code}","Trafford","66","Aged 65 years","20"')
    return ("\r\n".join(lines) + "\r\n").encode()


def census_zip(topic: census_topics.Topic) -> dict[str, bytes]:
    """A Nomis bulk zip's members: one CSV per level, each naming its level in its one row."""
    levels = ("oa", "lsoa", "msoa", "ltla", "utla", "rgn", "ctry")
    return {
        f"census2021-{topic.table.lower()}-{level}.csv": f"{level}\n".encode() for level in levels
    }


#: The IoD file the default download saves (the newest edition, 2025).
IOD_FILE = "File_2_IoD2025_Domains_of_Deprivation.xlsx"


def path_of(source_group: str, release: str | None = None) -> str:
    source = next(
        s
        for s in dl.CATALOGUE
        if s.group == source_group
        and s.release == (release or dl.DEFAULT_RELEASES.get(source_group, s.release))
    )
    assert source.path is not None
    return urlsplit(source.path).path


@pytest.fixture
def publishers(server: ApiServer) -> dict:
    """Serve every default source; return the layers and the base addresses."""
    layers = fake_ons()
    for service, layer in layers.items():
        server.api(f"/arcgis/{service}/FeatureServer/0/query", layer)
    server.route("/ofcom" + path_of("ofcom_fixed"), make_zip(FIXED_ZIP))
    server.route("/ofcom" + path_of("ofcom_mobile"), make_zip(MOBILE_ZIP))
    server.route("/gov" + path_of("iod"), IOD_BYTES)
    server.route("/gov" + path_of("iod", "2019"), IOD_BYTES)
    server.api("/nomis" + path_of("census_age"), nomis, content_type="text/csv")
    for topic in census_topics.TOPICS.values():
        server.route("/nomis" + path_of(topic.role), make_zip(census_zip(topic)))
    bases = {
        "ons_arcgis": server.url("/arcgis"),
        "ofcom": server.url("/ofcom"),
        "gov_uk_assets": server.url("/gov"),
        "nomis": server.url("/nomis"),
    }
    return {"layers": layers, "bases": bases}


def fetch(dest: Path, publishers: dict, **kwargs) -> dict[str, Path]:
    return dl.download_sources(LA, dest, base_urls=publishers["bases"], verbose=False, **kwargs)


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def manifest_of(dest: Path) -> dict:
    return json.loads((dest / dl.MANIFEST_NAME).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------
# The whole download
# ------------------------------------------------------------------------------------------


def test_download_fetches_every_source_filtered_to_the_authority(
    server: ApiServer, publishers: dict, tmp_path: Path
) -> None:
    dest = tmp_path / "trafford"
    files = fetch(dest, publishers)

    assert set(files) == {
        "lsoa_ward_lookup",
        "oa_lsoa_lookup",
        "wards",
        "ward_constituency_lookup",
        "output_areas",
        "lsoas",
        "ofcom_fixed_oa",
        "ofcom_fixed_la",
        "ofcom_mobile_la",
        "ofcom_mobile_constituency",
        "iod",
        "census_age",
        *census_topics.ROLES,
        *(f"{role}_lsoa" for role in census_topics.ROLES),
    }
    assert all(path.parent == dest for path in files.values())

    constituencies = read_ward_constituencies(files["ward_constituency_lookup"])
    assert constituencies["ward_code"].tolist() == WARDS_HERE  # Kirklees' split ward not asked
    assert set(constituencies["constituency_code"]) == {"E14001065", "E14001519"}
    layer = publishers["layers"]["WD24_PCON24_LAD24_UTLA24_UK_LU"]
    assert layer.wheres == [f"LAD24CD = '{LA}'"] * 3  # 5 wards, 2 per answer
    asked = server.seen("/arcgis/WD24_PCON24_LAD24_UTLA24_UK_LU/FeatureServer/0/query")[0]
    assert dict(parse_qsl(urlsplit(asked.path).query))["outFields"] == (
        "WD24CD,WD24NM,PCON24CD,PCON24NM,LAD24CD,LAD24NM"
    )

    wards = json.loads(files["wards"].read_text())
    assert wards["type"] == "FeatureCollection"
    assert [f["properties"]["WD24CD"] for f in wards["features"]] == WARDS_HERE
    ward_pages = server.seen("/arcgis/Wards_December_2024_Boundaries_UK_BGC/FeatureServer/0/query")
    assert len(ward_pages) == 3  # 5 wards, 2 per answer: paged on exceededTransferLimit
    offsets = [dict(parse_qsl(urlsplit(s.path).query))["resultOffset"] for s in ward_pages]
    assert offsets == ["0", "2", "4"]
    assert publishers["layers"]["Wards_December_2024_Boundaries_UK_BGC"].wheres[0] == (
        f"LAD24CD = '{LA}'"
    )

    oas = json.loads(files["output_areas"].read_text())
    assert sorted(f["properties"]["OA21CD"] for f in oas["features"]) == sorted(
        oa for group in OAS_HERE.values() for oa in group
    )
    oa_wheres = publishers["layers"]["Output_Areas_2021_EW_BGC_V2"].wheres
    assert all(w.startswith("OA21CD IN (") for w in oa_wheres) and len(oa_wheres) == 3

    lookup = read_lookup(files["lsoa_ward_lookup"])
    assert sorted(lookup["lsoa_code"]) == LSOAS_HERE
    assert set(lookup["la_code"]) == {LA}
    oa_lookup = read_csv(files["oa_lsoa_lookup"])
    assert {r["LSOA21CD"] for r in oa_lookup} == set(LSOAS_HERE)

    assert files["lsoas"].name.startswith("Lower_layer_Super_Output_Areas_December_2021")

    census = read_csv(files["census_age"])
    assert {r["GEOGRAPHY_CODE"] for r in census} == set(LSOAS_HERE)
    assert len(census) == 2 * len(LSOAS_HERE)  # one header although asked in 2 batches

    assert files["ofcom_fixed_oa"].name == "202601_fixed_oa_coverage_r1.csv"
    assert files["ofcom_fixed_oa"].read_bytes() == OA_CSV
    assert files["ofcom_fixed_la"].read_bytes() == LA_CSV
    assert files["ofcom_mobile_la"].read_bytes() == MOBILE_CSV
    assert files["ofcom_mobile_constituency"].read_bytes() == MOBILE_PCON_CSV
    assert server.count("/ofcom" + path_of("ofcom_mobile")) == 1  # one zip for both files
    assert not list(dest.rglob("*devcon*"))
    assert not list(dest.rglob("*_res_*")) and not list(dest.rglob("*_pc_*"))
    assert files["iod"].read_bytes() == IOD_BYTES
    for topic in census_topics.TOPICS.values():  # one national zip each: OA and LSOA CSVs only
        assert files[topic.role].name == topic.oa_member
        assert files[topic.role].read_bytes() == b"oa\n"
        assert files[f"{topic.role}_lsoa"].read_bytes() == b"lsoa\n"
        assert (dest / dl.ARCHIVE_DIR / f"census2021-{topic.table.lower()}.zip").is_file()
    assert not list(dest.glob("census2021-*-msoa.csv"))
    assert not [p for p in dest.rglob("*") if p.name.endswith((".tmp", ".part"))]


def test_manifest_records_every_file_with_a_matching_sha256(
    publishers: dict, tmp_path: Path
) -> None:
    dest = tmp_path / "trafford"
    files = fetch(dest, publishers)

    manifest = manifest_of(dest)
    assert manifest["la_code"] == LA
    recorded = manifest["files"]
    on_disk = {
        p.relative_to(dest).as_posix()
        for p in dest.rglob("*")
        if p.is_file() and p.name != dl.MANIFEST_NAME
    }
    assert set(recorded) == on_disk
    for name, entry in recorded.items():
        path = dest / name
        assert entry["sha256"] == sha256_file(path), name
        assert entry["bytes"] == path.stat().st_size
        assert entry["url"].startswith(f"http://{LOCALHOST}:")
        assert entry["fetched_at"] and entry["release"] and entry["licence"]
    assert recorded[files["ofcom_fixed_oa"].name]["member"] == (
        "202601_fixed_oa_coverage_r1/202601_fixed_oa_coverage_r1.csv"
    )
    assert recorded[files["ofcom_fixed_oa"].name]["archive"].startswith("archives/")
    assert recorded[files["wards"].name]["requests"] == 3


def test_second_download_makes_no_request(
    server: ApiServer, publishers: dict, tmp_path: Path
) -> None:
    dest = tmp_path / "trafford"
    first = fetch(dest, publishers)
    before = server.count()
    shas = {role: sha256_file(path) for role, path in first.items()}

    second = fetch(dest, publishers)

    assert server.count() == before
    assert second == first
    assert {role: sha256_file(path) for role, path in second.items()} == shas


def test_a_file_changed_after_download_is_fetched_again(
    server: ApiServer, publishers: dict, tmp_path: Path
) -> None:
    dest = tmp_path / "trafford"
    files = fetch(dest, publishers)
    files["iod"].write_bytes(b"edited by hand")
    before = server.count()

    fetch(dest, publishers)

    assert server.count() == before + 1
    assert files["iod"].read_bytes() == IOD_BYTES


def test_iod_2019_brings_the_2011_lsoas_it_is_published_on(
    server: ApiServer, publishers: dict, tmp_path: Path
) -> None:
    files = fetch(tmp_path / "t", publishers, releases={"iod": "2019"})
    assert files["iod"].name == "File_2_-_IoD2019_Domains_of_Deprivation.xlsx"
    old = json.loads(files["lsoas_2011"].read_text())
    assert sorted(f["properties"]["LSOA11CD"] for f in old["features"]) == sorted(
        set(LSOA11_OF.values())
    )
    assert "lsoa11_lsoa21_lookup" in files


def test_a_file_placed_by_hand_is_kept_and_recorded(
    server: ApiServer, publishers: dict, tmp_path: Path
) -> None:
    dest = tmp_path / "trafford"
    dest.mkdir()
    (dest / IOD_FILE).write_bytes(b"from a browser")

    dl.download_sources(LA, dest, base_urls=publishers["bases"], only=["iod"], verbose=False)

    assert server.count() == 0
    entry = manifest_of(dest)["files"][IOD_FILE]
    assert entry["url"] is None and entry["note"] == "found in the folder"
    assert entry["sha256"] == sha256_file(dest / IOD_FILE)


def test_a_folder_of_another_authority_is_refused(publishers: dict, tmp_path: Path) -> None:
    dest = tmp_path / "somewhere"
    dest.mkdir()
    (dest / dl.MANIFEST_NAME).write_text(json.dumps({"la_code": OTHER_LA, "files": {}}))
    with pytest.raises(IngestError, match=f"holds the sources of {OTHER_LA}"):
        fetch(dest, publishers)


# ------------------------------------------------------------------------------------------
# ArcGIS paging
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("geometry", [True, False])
def test_arcgis_query_follows_exceeded_transfer_limit(server: ApiServer, geometry: bool) -> None:
    rows = [{"CODE": f"E0100000{i}", "_geometry": box(i, 0)} for i in range(7)]
    layer = Layer(rows, geometry=geometry, cap=3)
    url = server.api("/layer/FeatureServer/0/query", layer)

    fields, records, made = dl.arcgis_query(url, "1=1", geometry=geometry, order_by="CODE")

    assert made == 3
    codes = [r["properties"]["CODE"] if geometry else r["CODE"] for r in records]
    assert codes == [r["CODE"] for r in rows]
    assert fields == ([] if geometry else ["CODE"])


def test_arcgis_paging_that_does_not_advance_is_an_error(server: ApiServer) -> None:
    body = json.dumps({"features": [], "exceededTransferLimit": True}).encode()
    url = server.api("/stuck/FeatureServer/0/query", lambda q: body)
    with pytest.raises(IngestError, match="more records remain"):
        dl.arcgis_query(url, "1=1", geometry=False)


def test_missing_areas_are_an_error(server: ApiServer, publishers: dict, tmp_path: Path) -> None:
    layers = publishers["layers"]
    layers["Output_Areas_2021_EW_BGC_V2"].rows = [
        r for r in layers["Output_Areas_2021_EW_BGC_V2"].rows if r["OA21CD"] != "E00000005"
    ]
    with pytest.raises(DownloadError, match=r"returned 5 of the 6 areas.*E00000005"):
        fetch(tmp_path / "t", publishers)


# ------------------------------------------------------------------------------------------
# Zips
# ------------------------------------------------------------------------------------------


def test_extract_members_takes_only_the_named_members(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip(FIXED_ZIP))
    out = tmp_path / "out"

    found = dl.extract_members(
        archive, {"202601_fixed_oa_coverage_r1.csv": out / "202601_fixed_oa_coverage_r1.csv"}
    )

    assert found == {
        "202601_fixed_oa_coverage_r1.csv": (
            "202601_fixed_oa_coverage_r1/202601_fixed_oa_coverage_r1.csv"
        )
    }
    assert [p.name for p in out.iterdir()] == ["202601_fixed_oa_coverage_r1.csv"]
    assert (out / "202601_fixed_oa_coverage_r1.csv").read_bytes() == OA_CSV


@pytest.mark.parametrize("evil", ["../evil.csv", "data/../../evil.csv", "/tmp/evil.csv"])
def test_extract_members_refuses_path_traversal(tmp_path: Path, evil: str) -> None:
    archive = tmp_path / "box" / "a.zip"
    archive.parent.mkdir()
    archive.write_bytes(make_zip({evil: b"owned", "202601_fixed_oa_coverage_r1.csv": OA_CSV}))
    out = tmp_path / "box" / "out"

    with pytest.raises(IngestError, match="outside the folder"):
        dl.extract_members(
            archive, {"202601_fixed_oa_coverage_r1.csv": out / "202601_fixed_oa_coverage_r1.csv"}
        )

    assert not out.exists()
    assert not [p for p in tmp_path.rglob("evil*")]


def test_a_zip_with_a_traversal_member_fails_the_download(
    server: ApiServer, publishers: dict, tmp_path: Path
) -> None:
    server.route("/ofcom" + path_of("ofcom_mobile"), make_zip({**MOBILE_ZIP, "../evil": b"x"}))
    dest = tmp_path / "t"
    with pytest.raises(DownloadError, match="outside the folder") as info:
        fetch(dest, publishers, only=["ofcom_mobile"])
    assert "202601_mobile_coverage_laua_r01.csv" in str(info.value)
    assert not (dest / "202601_mobile_coverage_laua_r01.csv").exists()
    assert not list(tmp_path.rglob("evil"))


def test_extract_members_refuses_members_over_the_size_cap(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"big.csv": b"x" * 10_000}))
    with pytest.raises(IngestError, match="more than the 1,000 accepted"):
        dl.extract_members(archive, {"big.csv": tmp_path / "big.csv"}, max_bytes=1000)
    assert not (tmp_path / "big.csv").exists()
    assert not list(tmp_path.glob(".big.csv*"))


def test_extract_members_looks_into_nested_zips(tmp_path: Path) -> None:
    inner = make_zip({"202507_fixed_oa_coverage_r01.csv": OA_CSV})
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"202507_fixed_oa_coverage_r01.zip": inner, "readme.txt": b""}))

    found = dl.extract_members(archive, {"202507_fixed_oa_coverage_r01.csv": tmp_path / "oa.csv"})

    assert found == {
        "202507_fixed_oa_coverage_r01.csv": (
            "202507_fixed_oa_coverage_r01.zip/202507_fixed_oa_coverage_r01.csv"
        )
    }
    assert (tmp_path / "oa.csv").read_bytes() == OA_CSV


def test_a_missing_member_names_the_close_ones(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"dir/202601_fixed_oa_coverage_r2.csv": OA_CSV}))
    with pytest.raises(IngestError, match=r"no member named.*202601_fixed_oa_coverage_r2\.csv"):
        dl.extract_members(archive, {"202601_fixed_oa_coverage_r1.csv": tmp_path / "x.csv"})


def test_a_login_page_instead_of_a_zip_is_deleted(
    server: ApiServer, publishers: dict, tmp_path: Path
) -> None:
    server.route("/ofcom" + path_of("ofcom_mobile"), b"<html>Please sign in</html>")
    dest = tmp_path / "t"
    with pytest.raises(DownloadError, match="is not a zip archive"):
        fetch(dest, publishers, only=["ofcom_mobile"])
    assert not list((dest / dl.ARCHIVE_DIR).iterdir())


# ------------------------------------------------------------------------------------------
# Failures
# ------------------------------------------------------------------------------------------


def test_a_500_then_ok_is_retried(server: ApiServer, publishers: dict, tmp_path: Path) -> None:
    server.route("/gov" + path_of("iod"), IOD_BYTES, failures=[Fail.http(500)])
    ward_path = "/arcgis/Wards_December_2024_Boundaries_UK_BGC/FeatureServer/0/query"
    server.api(
        ward_path,
        publishers["layers"]["Wards_December_2024_Boundaries_UK_BGC"],
        failures=[Fail.http(503)],
    )

    files = fetch(tmp_path / "t", publishers, only=["iod", "wards"])

    assert files["iod"].read_bytes() == IOD_BYTES
    assert server.count("/gov" + path_of("iod")) == 2
    assert len(json.loads(files["wards"].read_text())["features"]) == len(WARDS_HERE)
    assert server.count(ward_path) == 1 + 3


def test_a_404_ends_with_what_to_do_by_hand(
    server: ApiServer, publishers: dict, tmp_path: Path
) -> None:
    server.route("/gov" + path_of("iod"), always=Fail.http(404))
    dest = tmp_path / "t"

    with pytest.raises(DownloadError) as info:
        fetch(dest, publishers)

    message = str(info.value)
    iod = next(s for s in dl.CATALOGUE if s.group == "iod" and s.release == "2025")
    assert iod.title in message
    assert "HTTP 404" in message
    assert publishers["bases"]["gov_uk_assets"] + path_of("iod") in message
    assert iod.landing_page in message
    assert "save it in" in message and IOD_FILE in message
    assert f"python -m ingest build --la {LA} --sources {dest}" in message
    assert server.count("/gov" + path_of("iod")) == 1  # a 404 is not retried
    assert info.value.url.endswith(IOD_FILE)
    # every other source was still fetched
    assert (dest / "Wards_December_2024_Boundaries_UK_BGC.geojson").is_file()
    assert (dest / "202601_mobile_coverage_laua_r01.csv").is_file()


def test_a_failed_lookup_blocks_what_it_filters(
    server: ApiServer, publishers: dict, tmp_path: Path
) -> None:
    server.api(
        "/arcgis/LSOA21_WD24_LAD24_EW_LU/FeatureServer/0/query",
        lambda q: b"",
        failures=[Fail.http(404)],
    )
    with pytest.raises(DownloadError) as info:
        fetch(tmp_path / "t", publishers)
    message = str(info.value)
    assert "5 source(s)" in message  # the lookup and the 4 sources it filters
    assert "needs the lsoa_ward_lookup file, which failed" in message
    assert "LSOA21_WD24_LAD24_EW_LU.csv" in message
    assert "the whole file is fine" in message


def test_an_unconfirmed_release_ends_with_the_page_to_check(
    server: ApiServer, publishers: dict, tmp_path: Path
) -> None:
    with pytest.raises(DownloadError, match="c2021rm121") as info:
        fetch(tmp_path / "t", publishers, releases={"census_age": "RM121"}, only=["census_age"])
    assert "no confirmed address" in str(info.value)
    assert "Census 2021 - Population.csv" in str(info.value)
    assert server.count() == 0


def test_a_scottish_council_gets_the_data_zone_lookup_and_is_told_to_save_simd(
    server: ApiServer, tmp_path: Path
) -> None:
    lookup = (
        b"DZ2011_Code,DZ2011_Name,MMWard_Code,MMWard_Name,LA_Code,LA_Name\r\n"
        b"S01006506,Culter - 01,S13002846,Lower Deeside,S12000033,Aberdeen City\r\n"
    )
    server.route("/scot" + path_of("data_zone_lookup"), lookup)
    dest = tmp_path / "aberdeen"
    with pytest.raises(DownloadError) as info:
        dl.download_sources(
            "S12000033",
            dest,
            base_urls={"statistics_gov_scot": server.url("/scot")},
            only=["data_zone_lookup", "simd"],
            verbose=False,
        )
    saved = dest / "DataZone2011lookup_2024-12-16.csv"
    assert saved.read_bytes() == lookup
    assert read_data_zone_lookup(saved)["ward_code"].tolist() == ["S13002846"]
    message = str(info.value)
    assert "scottish-index-of-multiple-deprivation-2020" in message
    assert "SIMD+2020v2+-+ranks.csv" in message
    recorded = manifest_of(dest)["files"]
    assert list(recorded) == [saved.name]
    assert recorded[saved.name]["sha256"] == sha256_file(saved)


@pytest.mark.parametrize(
    ("group", "release", "page", "name", "how"),
    [
        (
            "bduk_premises",
            "January 2025 OMR",
            "january-2025-omr-and-premises-in-bduk-plans-england-and-wales",
            "premises_in_bduk_plans_january_2025_omr.csv",
            "your region's zip",
        ),
        (
            "ofcom_not_spots",
            "latest",
            "infrastructure-research",
            "ofcom_mobile_not_spot_postcodes.csv",
            "one column is headed 'postcode'",
        ),
    ],
)
def test_bduk_and_not_spots_are_opt_in_and_name_the_page_and_the_file(
    server: ApiServer, publishers: dict, tmp_path: Path, group, release, page, name, how
) -> None:
    assert group not in {s.group for s in dl.select_sources()}
    with pytest.raises(DownloadError, match="no confirmed address") as info:
        fetch(tmp_path / "t", publishers, releases={group: release}, only=[group])
    message = str(info.value)
    assert "1 source(s)" in message
    assert page in message and name in message
    source = next(s for s in dl.CATALOGUE if s.group == group)
    assert how in source.evidence
    assert server.count() == 0


def test_bduk_serves_england_and_wales_only() -> None:
    asked = {"bduk_premises": "January 2025 OMR"}
    assert "bduk_premises" in {s.group for s in dl.select_sources(asked, nation="W")}
    assert "bduk_premises" not in {s.group for s in dl.select_sources(asked, nation="S")}


def test_constituency_files_follow_the_ward_and_mobile_releases() -> None:
    chosen = {s.group: s for s in dl.select_sources()}
    lookup = chosen["ward_constituency_lookup"]
    assert lookup.filter_field == "LAD24CD" and "WD24" in lookup.path  # the wards' vintage
    assert chosen["ofcom_mobile_constituency"].path == chosen["ofcom_mobile"].path
    older = dl.select_sources({"ofcom_mobile": "202507", "ofcom_mobile_constituency": "202507"})
    paths = {s.group: s.path for s in older if s.group.startswith("ofcom_mobile")}
    assert paths["ofcom_mobile"] == paths["ofcom_mobile_constituency"]
    assert "S" in lookup.nations


def test_only_needs_its_prerequisites_in_the_folder(publishers: dict, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="fetch the 'oa_lsoa_lookup' group first"):
        fetch(tmp_path / "t", publishers, only=["output_areas"])


# ------------------------------------------------------------------------------------------
# Catalogue and choices
# ------------------------------------------------------------------------------------------


def test_catalogue_entries_are_complete() -> None:
    for source in dl.CATALOGUE:
        assert source.base in dl.PUBLISHER_BASES
        assert source.landing_page.startswith("https://"), source.title
        assert source.files and source.licence and source.attribution and source.evidence
        assert (source.path is not None) == source.confirmed, source.title
        if source.path is not None:
            assert source.url().startswith("https://"), source.title
    keys = [(s.group, s.release) for s in dl.CATALOGUE]
    assert len(keys) == len(set(keys))
    for group, release in dl.DEFAULT_RELEASES.items():
        assert (group, release) in keys


def test_default_selection() -> None:
    groups = [s.group for s in dl.select_sources()]
    assert groups.index("lsoa_ward_lookup") < groups.index("oa_lsoa_lookup")
    assert groups.index("oa_lsoa_lookup") < groups.index("output_areas")
    # the newest IoD (2025) is on 2021 LSOAs: no 2011 LSOAs to trace
    assert "iod_all" not in groups and "lsoas_2011" not in groups
    assert "lsoas_2011" in {s.group for s in dl.select_sources({"iod": "2019"})}
    assert {s.release for s in dl.select_sources() if s.group.startswith("ofcom")} == {"202601"}


def test_iod_2025_needs_no_2011_lsoas_and_file_7_is_opt_in() -> None:
    chosen = dl.select_sources({"iod": "2025", "iod_all": "2025"})
    groups = {s.group: s.release for s in chosen}
    assert groups["iod"] == "2025" and groups["iod_all"] == "2025"
    assert "lsoas_2011" not in groups and "lsoa11_lsoa21_lookup" not in groups


@pytest.mark.parametrize(
    ("nation", "has", "lacks"),
    [
        ("E", {"iod", "census_age", "lsoa_ward_lookup"}, {"wimd", "simd", "data_zone_lookup"}),
        (
            "W",
            {"wimd", "census_age", "census_english", "lsoa_ward_lookup", "lsoas_2011"},
            {"iod", "simd"},
        ),
        (
            "S",
            {"simd", "data_zone_lookup", "wards"},
            {"iod", "census_age", "census_disability", "lsoa_ward_lookup"},
        ),
    ],
)
def test_each_nation_gets_its_own_sources(nation: str, has: set, lacks: set) -> None:
    groups = {s.group for s in dl.select_sources(nation=nation)}
    assert has <= groups
    assert not lacks & groups
    assert {"ofcom_fixed", "ofcom_mobile", "wards"} <= groups


@pytest.mark.parametrize(
    ("releases", "match"),
    [
        ({"ofcom": "202601"}, "unknown source group 'ofcom'"),
        ({"ofcom_fixed": "2030"}, r"no release '2030'; known: \['202601', '202507'\]"),
    ],
)
def test_unknown_groups_and_releases_are_refused(releases: dict, match: str) -> None:
    with pytest.raises(IngestError, match=match):
        dl.select_sources(releases)


def test_bad_la_code_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="not an ONS local authority code"):
        dl.download_sources("Trafford", tmp_path, verbose=False)


# ------------------------------------------------------------------------------------------
# Local authority names
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ward_lad(shared_data: Path) -> pd.DataFrame:
    return read_lookup(shared_data / WARD_LOOKUP)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("trafford", ("E08000009", "Trafford")),
        ("  TRAFFORD ", ("E08000009", "Trafford")),
        ("E08000009", ("E08000009", "Trafford")),
        ("e08000009", ("E08000009", "Trafford")),
        ("Bristol", ("E06000023", "Bristol, City of")),  # a unique prefix, not ambiguous
        ("city of bristol", ("E06000023", "Bristol, City of")),
        ("Bristol, City of", ("E06000023", "Bristol, City of")),
        ("kingston upon hull", ("E06000010", "Kingston upon Hull, City of")),
        ("Herefordshire", ("E06000019", "Herefordshire, County of")),
        ("york", ("E06000014", "York")),  # exact beats the prefix of "Yorkshire..." names
    ],
)
def test_resolve_la_on_the_real_lookup(
    ward_lad: pd.DataFrame, query: str, expected: tuple[str, str]
) -> None:
    assert dl.resolve_la(query, ward_lad) == expected


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("query", "match"),
    [
        (
            "south",
            r"'south' matches 16 local authorities: South Ayrshire \(S12000028\), South Camb",
        ),
        ("North", r"matches \d+ local authorities"),
        ("Trafferd", r"no local authority is called 'Trafferd'; close: Trafford"),
        ("Westeros", r"no local authority is called 'Westeros'"),
        ("E08999999", r"no local authority has the code 'E08999999'"),
        ("", "give a local authority code"),
    ],
)
def test_resolve_la_errors(ward_lad: pd.DataFrame, query: str, match: str) -> None:
    with pytest.raises(IngestError, match=match):
        dl.resolve_la(query, ward_lad)


def test_resolve_la_needs_code_and_name_columns() -> None:
    with pytest.raises(IngestError, match="no column"):
        dl.resolve_la("trafford", pd.DataFrame({"code": ["E08000009"]}))


def test_fetch_la_names(server: ApiServer, publishers: dict) -> None:
    names = dl.fetch_la_names(base_urls=publishers["bases"])
    assert list(names.columns) == ["la_code", "la_name"]
    assert len(names) == 3
    assert dl.resolve_la("bolton", names) == (OTHER_LA, "Bolton")
    (seen,) = server.seen(
        "/arcgis/Local_Authority_Districts_December_2024_Boundaries_UK_BGC/FeatureServer/0/query"
    )[:1]
    query = dict(parse_qsl(urlsplit(seen.path).query))
    assert query["outFields"] == "LAD24CD,LAD24NM" and query["returnGeometry"] == "false"


def test_cli_download_by_name_then_says_how_to_build(
    server: ApiServer, publishers: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from ingest.__main__ import main

    server.route("/gov" + path_of("iod", "2025"), IOD_BYTES)
    monkeypatch.setattr(dl, "PUBLISHER_BASES", {**dl.PUBLISHER_BASES, **publishers["bases"]})
    monkeypatch.setenv("DIM_CACHE", str(tmp_path / "cache"))
    code = main(["download", "--la", "traff", "--quiet", "--release", "iod=2025"])
    out, err = capsys.readouterr()
    assert code == 0, err
    dest = tmp_path / "cache" / LA
    assert "'traff' is Trafford (E08000009)" in out
    assert f"python -m ingest build --la {LA} --sources {dest}" in out
    assert manifest_of(dest)["la_code"] == LA
    groups = {entry["group"] for entry in manifest_of(dest)["files"].values()}
    assert "iod" in groups and "lsoas_2011" not in groups  # IoD 2025 is on 2021 LSOAs


def test_cli_download_reports_bad_release_without_a_traceback(tmp_path: Path, capsys) -> None:
    from ingest.__main__ import main

    code = main(["download", "--la", LA, "--dest", str(tmp_path), "--release", "iod"])
    err = capsys.readouterr().err
    assert code == 2 and "expected GROUP=RELEASE" in err and "Traceback" not in err
