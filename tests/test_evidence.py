import io
import json
import math
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from evidence import (
    EvidenceError,
    assemble,
    build_pack,
    csv_bytes,
    export_table,
    render_pdf,
    write_pack,
    zip_bytes,
)
from evidence.__main__ import main
from evidence.figures import EXPORT_COLUMNS, NOT_IN_STORE
from evidence.view import ViewState, preset_weights
from geo import index
from ingest import demo, store

TRAFFORD = "E08000009"
ATTRIBUTIONS = (
    "Contains Ofcom data",
    "Contains OS data © Crown copyright and database right",
    "Contains public sector information licensed under the Open Government Licence v3.0",
)
INJECTION = "=cmd|' /C calc'!A0"
MARKUP = "<b>Bold</b> & <i>co</i>"
MATH = r"Cost $\frac$ Lane"  # not mathtext on the map
PACK_FILES = {
    "evidence.pdf",
    "wards.csv",
    "wards.geojson",
    "wards.gpkg",
    "trend.csv",
    # the demo is built with two BDUK releases and a ward to constituency lookup
    "constituencies.csv",
    "wards_no_gigabit_no_plan.csv",
    "bduk_changes.csv",
    *(f"map_{name}.{fmt}" for name in ("no_gigabit_no_plan", "pct_premises_without_gigabit")
      for fmt in ("png", "svg")),
}  # fmt: skip


@pytest.fixture(scope="module")
def demo_pack(demo_store):
    return build_pack(demo.DEMO_LA_CODE, store_dir=demo_store)


@pytest.fixture(scope="module")
def demo_pdf(demo_pack):
    return render_pdf(demo_pack)


@pytest.fixture(scope="module")
def trafford_pack(trafford_store):
    return build_pack(TRAFFORD, store_dir=trafford_store)


@pytest.fixture(scope="module")
def trafford_pdf(trafford_pack):
    return render_pdf(trafford_pack)


def _pages(pdf: bytes) -> list[str]:
    """Text of each page, whitespace collapsed (table cells wrap lines)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _priority(wards: pd.DataFrame) -> pd.Series:
    """The 20% of wards with the highest risk index, as the pack says."""
    ranks = index.compute_index(wards)["risk_rank"]
    return ranks.le(math.ceil(0.2 * ranks.notna().sum())).fillna(False).astype(bool)


def _older_in_priority(wards: pd.DataFrame) -> int:
    return index.people_reached(wards, _priority(wards)).residents_65_plus


def test_demo_pdf_has_the_headline_figures_of_geo(demo_store, demo_pdf):
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    text = " ".join(_pages(demo_pdf))
    below_uso = int(wards["premises_below_uso"].sum())
    share = 100 * below_uso / wards["premises"].sum()  # from counts, not a mean of ward shares
    assert f"{below_uso:,} ({share:.1f}% of premises)" in text
    assert f"{int(wards['premises_without_gigabit'].sum()):,} (" in text
    flags = index.not_spots(wards)
    double = int(wards.loc[flags["double_not_spot"].fillna(False).astype(bool), "residents"].sum())
    assert f"{double:,} (" in text.split("Residents in double not-spots")[1][:40]
    assert f"{_older_in_priority(wards):,} (" in text
    count = int(_priority(wards).sum())
    assert f"Priority wards are the {count} wards with the highest digital exclusion" in text
    assert f"Priority wards: the {count} with the highest risk index." in text
    assert NOT_IN_STORE in text


def test_demo_pdf_is_stamped_synthetic_on_every_page(demo_pdf):
    pages = _pages(demo_pdf)
    assert 4 <= len(pages) <= 12  # the sources pages name each of the ~25 files
    assert all("SYNTHETIC DEMO DATA" in page for page in pages)


@pytest.mark.parametrize("which", ["demo", "trafford"])
def test_pdf_credits_every_source(which, request):
    pdf = request.getfixturevalue(f"{which}_pdf")
    pack = request.getfixturevalue(f"{which}_pack")
    text = " ".join(_pages(pdf))
    for attribution in ATTRIBUTIONS:
        assert attribution in text
    squeezed = text.replace(" ", "")  # file names wrap inside table cells
    for source in pack.manifest["sources"]:
        assert source["file"].replace(" ", "") in squeezed
        assert source["publisher"] in text
    assert "Methodology" in text


@pytest.mark.shared_data
def test_trafford_pdf_headlines_from_its_la_file_and_wards(trafford_store, trafford_pdf):
    wards = store.read_wards(TRAFFORD, store=trafford_store)
    la = store.read_table(TRAFFORD, "la_fixed_coverage", store=trafford_store)
    newest = la.sort_values("release").iloc[-1]
    assert newest["release"] == "202507"
    text = " ".join(_pages(trafford_pdf))
    assert "SYNTHETIC" not in text
    assert f"{int(newest['premises_below_uso']):,} (under 0.1% of premises)" in text
    without = int(newest["premises"] - newest["premises_gigabit"])
    assert f"{without:,} ({100 * without / newest['premises']:.1f}% of premises)" in text
    assert f"{_older_in_priority(wards):,} (" in text
    comparisons = store.read_table(TRAFFORD, "comparisons", store=trafford_store)
    england = comparisons.set_index(["level", "measure"]).loc[
        ("nation", "pct_premises_without_gigabit"), "value"
    ]
    assert f"{england:.1f}% of premises England, Ofcom Jul 2025" in text
    assert "Superfast derived" in text


@pytest.mark.shared_data
def test_trafford_pack_trend_spans_every_la_release(trafford_pack):
    trend = trafford_pack.trend.set_index("release")
    assert list(trend.index) == ["2016", "2018", "2019", "202105", "202507"]
    assert trend.loc["202105", "pct_gigabit"] == pytest.approx(63.4, abs=0.05)
    assert trend.loc["202507", "pct_gigabit"] == pytest.approx(93.3, abs=0.05)
    assert np.isnan(trend.loc["2016", "pct_gigabit"])
    assert trend["superfast_derived"].sum() == 3


def test_pdf_is_deterministic_and_dated_from_the_store(demo_pack, demo_pdf):
    assert render_pdf(demo_pack) == demo_pdf
    reader = PdfReader(io.BytesIO(demo_pdf))
    built = pd.Timestamp(demo_pack.manifest["built_at"])
    assert reader.metadata.creation_date == built.to_pydatetime()
    assert demo_pack.la_name in reader.metadata.title
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {tool} (Debian poppler-utils) is not installed")
        pytest.skip(f"{tool} not installed (Debian package poppler-utils)")
    return path


@pytest.mark.parametrize("which", ["demo", "trafford"])
def test_pages_render_to_png_with_poppler(which, request, tmp_path):
    pdftoppm = _need("pdftoppm")
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(request.getfixturevalue(f"{which}_pdf"))
    done = subprocess.run(
        [pdftoppm, "-r", "40", "-png", str(pdf), str(tmp_path / "page")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == len(PdfReader(pdf).pages)
    assert all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 1000 for p in pngs)
    text = subprocess.run(
        [_need("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Contains OS data © Crown copyright and database right" in text


def test_csv_and_geopackage_round_trip_the_same_values(demo_pack, tmp_path):
    paths = {p.name: p for p in write_pack(demo_pack, tmp_path)}
    code = demo.DEMO_LA_CODE
    assert {f"{code}_{name}" for name in PACK_FILES} | {"manifest.json"} == set(paths)
    raw = paths[f"{code}_wards.csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    from_csv = pd.read_csv(paths[f"{code}_wards.csv"], encoding="utf-8-sig", keep_default_na=False)
    from_gpkg = gpd.read_file(paths[f"{code}_wards.gpkg"])
    from_geojson = gpd.read_file(paths[f"{code}_wards.geojson"])
    assert from_gpkg.crs.to_epsg() == 27700
    assert from_geojson.crs.to_epsg() == 4326
    assert list(from_csv.columns) == [c for c in from_gpkg.columns if c != "geometry"]
    assert set(from_csv.columns) <= set(EXPORT_COLUMNS.values())
    assert len(from_csv) == len(demo_pack.wards)
    for frame in (
        pd.DataFrame(from_gpkg.drop(columns="geometry")),
        pd.DataFrame(from_geojson.drop(columns="geometry")),
    ):
        pd.testing.assert_frame_equal(from_csv, frame, check_dtype=False, rtol=1e-12)
    assert (
        from_csv["Premises below USO (number)"].sum() == demo_pack.wards["premises_below_uso"].sum()
    )
    assert from_gpkg.geometry.is_valid.all()
    assert from_gpkg.geometry.area.sum() == pytest.approx(demo_pack.wards.area.sum(), rel=1e-9)
    manifest = json.loads(paths["manifest.json"].read_text())
    assert manifest["sources"] == demo_pack.manifest["sources"]
    assert manifest["evidence_pack"]["indicator"] == demo_pack.indicator.name


@pytest.fixture
def hostile_pack(demo_store):
    """The demo with a formula and markup in ward names; those wards are the selection."""
    code = demo.DEMO_LA_CODE
    wards = store.read_wards(code, store=demo_store)
    wards.loc[0, "ward_name"] = INJECTION
    wards.loc[1, "ward_name"] = MARKUP
    wards.loc[2, "ward_name"] = "@SUM(1+1)"
    wards.loc[3, "ward_name"] = MATH
    return assemble(
        wards,
        store.read_manifest(code, store=demo_store),
        store.read_table(code, "la_fixed_coverage", store=demo_store),
        view=ViewState(
            code,
            selection=tuple(wards.loc[:2, "ward_code"].str.lower()),
            indicator="pct_premises_below_uso",
        ),
    )


def test_csv_is_safe_from_formula_injection(hostile_pack):
    text = csv_bytes(pd.DataFrame(export_table(hostile_pack).drop(columns="geometry")))
    cells = pd.read_csv(io.BytesIO(text), encoding="utf-8-sig")["Ward name"].tolist()
    assert "'" + INJECTION in cells
    assert "'@SUM(1+1)" in cells
    assert MARKUP in cells
    assert not any(str(c).startswith(("=", "+", "-", "@")) for c in cells)


def test_markup_in_names_prints_as_text_in_the_pdf(hostile_pack):
    text = " ".join(_pages(render_pdf(hostile_pack)))
    assert MARKUP in text
    assert INJECTION in text
    assert "Selected wards" in text
    assert "3 selected ward(s) of" in text


def test_selection_becomes_the_priority_wards(hostile_pack):
    wards = hostile_pack.wards
    assert wards.loc[wards["priority"], "ward_name"].tolist() == [INJECTION, MARKUP, "@SUM(1+1)"]
    by_key = {h.key: h for h in hostile_pack.headlines}
    selected = wards.iloc[:3]
    expected = int(selected["premises_below_uso"].sum())
    assert by_key["below_uso"].figures["Selected wards"].count == expected
    assert by_key["older_in_priority"].figures["Selected wards"].count == int(
        selected["residents_65_plus"].sum()
    )


def test_region_nation_and_uk_come_from_the_stores_comparisons(demo_store):
    code = demo.DEMO_LA_CODE
    comparisons = store.read_table(code, "comparisons", store=demo_store)
    region = pd.DataFrame(
        {
            "level": ["region"],
            "area": ["North West"],
            "measure": ["pct_premises_below_uso"],
            "value": [1.25],
            "source": ["202507_fixed_laua_coverage_r01.csv (202507)"],
        }
    )
    pack = assemble(
        store.read_wards(code, store=demo_store),
        store.read_manifest(code, store=demo_store),
        store.read_table(code, "la_fixed_coverage", store=demo_store),
        comparisons=pd.concat([comparisons, region], ignore_index=True),
    )
    by_key = {h.key: h for h in pack.headlines}
    below = by_key["below_uso"].figures
    assert below["Region"].text() == "1.2% of premises"
    assert below["Region"].note == "North West, Ofcom Jul 2025"
    nation = comparisons.set_index(["level", "measure"]).loc[
        ("nation", "pct_premises_without_gigabit"), "value"
    ]
    assert by_key["without_gigabit"].figures["Nation"].pct == pytest.approx(nation)
    assert by_key["without_gigabit"].figures["Region"].note == NOT_IN_STORE
    assert by_key["without_gigabit"].figures["United Kingdom"].known
    assert by_key["double_not_spot"].figures["Nation"].note == NOT_IN_STORE


def test_a_store_without_releases_or_comparisons_still_gives_a_pack(demo_store, tmp_path):
    code = demo.DEMO_LA_CODE
    shutil.copytree(demo_store / code, tmp_path / code)
    for table in ("la_fixed_coverage", "comparisons"):
        (tmp_path / code / f"{table}.parquet").unlink()
    pack = build_pack(code, store_dir=tmp_path)
    assert pack.trend["release"].tolist() == ["202601"]  # the output areas summed to wards
    assert pack.trend.loc[0, "source"] == "Ofcom output areas summed to wards"
    by_key = {h.key: h for h in pack.headlines}
    assert by_key["below_uso"].figures["Nation"].note == NOT_IN_STORE
    assert by_key["below_uso"].figures["Local authority"].known
    assert "Change over time" in " ".join(_pages(render_pdf(pack)))


def test_zip_holds_the_whole_pack(demo_pack):
    archive = zipfile.ZipFile(io.BytesIO(zip_bytes(demo_pack)))
    names = {Path(n).name for n in archive.namelist()}
    assert {f"{demo.DEMO_LA_CODE}_{name}" for name in PACK_FILES} | {"manifest.json"} == names
    pdf = next(n for n in archive.namelist() if n.endswith(".pdf"))
    assert archive.read(pdf).startswith(b"%PDF")


def test_command_writes_the_pack(demo_store, tmp_path, capsys):
    out = tmp_path / "pack"
    code = demo.DEMO_LA_CODE
    ward = store.read_wards(code, store=demo_store)["ward_code"].iloc[0]
    args = ["--la", code, "--store", str(demo_store), "--out", str(out)]
    assert main([*args, "--indicator", "pct_residents_65_plus", "--wards", ward]) == 0
    assert (out / f"{code}_evidence.pdf").read_bytes().startswith(b"%PDF")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["evidence_pack"]["selection"] == [ward]
    assert "evidence pack of" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--la", "E09999999"], "no place 'E09999999' in the store"),
        (["--la", "E08999999", "--indicator", "nonsense"], "unknown indicator 'nonsense'"),
        (["--la", "E08999999", "--wards", "E05000000"], "E05000000 are not wards"),
    ],
)
def test_command_refuses_bad_requests_with_exit_2(demo_store, tmp_path, capsys, extra, message):
    assert main([*extra, "--store", str(demo_store), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_module_entry_point_exits_2_without_traceback(demo_store, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "evidence",
            "--la",
            "nowhere",
            "--store",
            str(demo_store),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "no place 'nowhere'" in done.stderr
    assert "Traceback" not in done.stderr


def test_places_are_found_by_name(demo_store):
    pack = build_pack("demoshire (SYNTHETIC demo)", store_dir=demo_store)
    assert pack.la_code == demo.DEMO_LA_CODE
    with pytest.raises(EvidenceError, match="places there: E08999999"):
        build_pack("Atlantis", store_dir=demo_store)


def test_the_apps_weights_and_thresholds_shape_the_pack(demo_store):
    weights = list(preset_weights("default"))
    weights[0] = 0  # the infrastructure component
    view = ViewState(
        demo.DEMO_LA_CODE, weights=tuple(weights), fixed_threshold_pct=7.5,
        mobile_threshold_pct=0.5,
    )  # fmt: skip
    pack = build_pack(demo.DEMO_LA_CODE, store_dir=demo_store, view=view)
    spec = index.DEFAULT_SPEC.with_weight("infrastructure", 0)
    wards = store.read_wards(demo.DEMO_LA_CODE, store=demo_store)
    expected = index.compute_index(wards, spec)["risk_rank"]
    assert pack.wards["risk_rank"].tolist() == expected.tolist()
    fixed = (wards["pct_premises_below_uso"] >= 7.5).tolist()
    assert pack.wards["fixed_not_spot"].tolist() == fixed
    text = " ".join(_pages(render_pdf(pack)))
    assert "at least 7.5% of its premises are below the USO" in " ".join(text.split())


# --- the trend chart labels inferred releases -----------------------------------------------


def _tick_labels(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.get_xticklabels()]


def _figure_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.texts]


def test_trend_chart_labels_releases_inferred_from_header_or_values():
    from evidence.charts import png_bytes, trend_chart
    from geo.trends import fixed_trend

    trend = fixed_trend(
        pd.DataFrame(
            {
                "release": ["2018", "2019", "202105"],
                "release_basis": ["header", "content", "file name"],
                "premises": [100, 100, 100],
                "premises_sfbb": [90, 95, 98],
                "premises_below_uso": [3, 2, 1],
            }
        )
    )
    fig = trend_chart(trend)
    ticks = _tick_labels(fig)
    assert ticks.count("Sep\n2018\n(inferred)") == 2  # both panels
    assert ticks.count("Sep\n2019\n(inferred)") == 2
    assert ticks.count("May\n2021") == 2  # named by Ofcom's file name: no label
    footnote = _figure_texts(fig)
    assert any(
        t.startswith("(inferred): release identified from the file's header or values")
        for t in footnote
    )
    assert png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"  # it draws


def test_trend_chart_of_named_releases_says_nothing_inferred():
    from evidence.charts import trend_chart
    from geo.trends import fixed_trend

    trend = fixed_trend(
        pd.DataFrame(
            {"release": ["202105", "202507"], "premises": [10, 10], "premises_gigabit": [5, 9]}
        )
    )
    fig = trend_chart(trend)
    assert not [t for t in _tick_labels(fig) + _figure_texts(fig) if "inferred" in t]


@pytest.mark.shared_data
def test_trafford_trend_chart_and_csv_say_which_releases_are_inferred(trafford_pack, tmp_path):
    from evidence.charts import trend_chart

    ticks = _tick_labels(trend_chart(trafford_pack.trend))
    assert [t for t in ticks[: len(trafford_pack.trend)] if "(inferred)" in t] == [
        "Jun\n2016\n(inferred)",
        "Sep\n2018\n(inferred)",
        "Sep\n2019\n(inferred)",
    ]
    paths = {p.name: p for p in write_pack(trafford_pack, tmp_path)}
    table = pd.read_csv(paths[f"{TRAFFORD}_trend.csv"], dtype=str).set_index("Ofcom release")
    inferred = table["Data month source"].str.startswith("Release inferred")
    assert inferred.to_dict() == {
        "2016": True,
        "2018": True,
        "2019": True,
        "202105": False,
        "202507": False,
    }


@pytest.mark.parametrize(
    ("name", "title"),
    [
        (
            "pct_residents_no_qualifications",
            "Residents aged 16 and over with no qualifications (%)",
        ),
        (
            "households_one_person_66_plus",
            "One-person households aged 66 and over (number of households)",
        ),
        ("imd_average_score", "(score, higher = more deprived)"),
        ("pct_residents_65_plus", "Residents aged 65 and over (% of residents)"),
    ],
)
def test_legend_titles_say_each_unit_in_plain_words(name, title):
    from evidence.charts import legend_title
    from geo.indicators import INDICATORS

    assert legend_title(INDICATORS[name]).endswith(title)
    assert "_base" not in legend_title(INDICATORS[name])
