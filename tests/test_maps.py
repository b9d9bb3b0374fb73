import html
import json
import shutil
import subprocess
import warnings

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
import shapely
from folium.map import FitBounds
from pyproj import Transformer
from shapely import box

from geo import maps
from geo.indicators import INDICATORS, Indicator
from ingest import demo, store
from ingest.sources import ons_geography

GIGABIT = INDICATORS["pct_premises_without_gigabit"]


@pytest.fixture(scope="module")
def demo_wards() -> gpd.GeoDataFrame:
    """The demo place's 28 wards: a coverage in EPSG:27700 with a many-vertex outline."""
    return demo.generate_place().wards


@pytest.fixture(scope="module")
def jagged_wards() -> gpd.GeoDataFrame:
    """20 wards of 10 km x 10 km whose shared edges zigzag: 3,000 Voronoi cells, dissolved."""
    rng = np.random.default_rng(3)
    frame = box(0, 0, 10_000, 10_000)
    points = shapely.multipoints(rng.uniform(0, 10_000, (3_000, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=frame))
    cells = shapely.intersection(cells, frame)
    seeds = rng.uniform(0, 10_000, (20, 2))
    centres = shapely.get_coordinates(shapely.centroid(cells))
    owner = np.argmin(((centres[:, None] - seeds[None]) ** 2).sum(axis=2), axis=1)
    wards = gpd.GeoDataFrame({"owner": owner}, geometry=cells, crs="EPSG:27700")
    wards = wards.dissolve("owner").reset_index(drop=True)
    wards["geometry"] = wards.translate(400_000, 300_000)
    wards["ward_code"] = [f"E05{i:06d}" for i in range(len(wards))]
    assert shapely.coverage_is_valid(wards.geometry.to_numpy())
    return wards


def assert_flush(original: gpd.GeoDataFrame, simplified: gpd.GeoDataFrame, *, tolerance_m: float):
    """Simplified wards neither overlap nor leave gaps, and cover what the originals covered."""
    geoms = simplified.geometry.to_numpy()
    assert shapely.coverage_is_valid(geoms, gap_width=1e-4)  # ~10 m slivers would be found
    metric = simplified.to_crs("EPSG:27700").geometry.to_numpy()
    left, right = shapely.STRtree(metric).query(metric, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(metric[left[pairs]], metric[right[pairs]])).sum()
    assert overlap < 1.0  # square metres, summed over every pair of neighbours
    union = shapely.union_all(metric)
    before = original.to_crs("EPSG:27700").union_all()
    # the outline moves by about the tolerance at most: area changes by less than that strip
    assert abs(union.area - before.area) < tolerance_m * before.length
    assert shapely.area(metric).sum() == pytest.approx(union.area, abs=1.0)
    holes = lambda g: sum(len(p.interiors) for p in getattr(g, "geoms", [g]))  # noqa: E731
    assert holes(union) == holes(before)


def assert_same_wards(original: gpd.GeoDataFrame, simplified: gpd.GeoDataFrame):
    assert simplified.crs.to_epsg() == 4326
    assert simplified.index.equals(original.index)
    assert simplified["ward_code"].tolist() == original["ward_code"].tolist()
    geoms = simplified.geometry.to_numpy()
    assert not shapely.is_empty(geoms).any()
    assert shapely.is_valid(geoms).all()
    assert set(shapely.get_type_id(geoms)) <= {3, 6}  # Polygon, MultiPolygon
    coords = shapely.get_coordinates(geoms) * 10**maps.MAP_DECIMALS
    np.testing.assert_allclose(coords, np.rint(coords), atol=1e-6)


@pytest.mark.parametrize("tolerance_m", [maps.MAP_TOLERANCE_M, 200.0, 1_000.0])
def test_simplified_wards_stay_flush(jagged_wards, demo_wards, tolerance_m):
    for wards in (jagged_wards, demo_wards):
        simplified = maps.simplify_for_map(wards, tolerance_m=tolerance_m)
        assert_same_wards(wards, simplified)
        assert_flush(wards, simplified, tolerance_m=tolerance_m)


def test_simplification_drops_vertices(jagged_wards):
    before = shapely.get_num_coordinates(jagged_wards.geometry.to_numpy()).sum()
    after = maps.simplify_for_map(jagged_wards, tolerance_m=200.0).geometry
    assert shapely.get_num_coordinates(after.to_numpy()).sum() < 0.3 * before


@pytest.mark.parametrize("tolerance_m", [maps.MAP_TOLERANCE_M, 200.0])
def test_the_check_catches_wards_simplified_one_by_one(jagged_wards, tolerance_m):
    apart = jagged_wards.geometry.simplify(tolerance_m, preserve_topology=True)
    with pytest.raises(AssertionError):
        assert_flush(
            jagged_wards, maps.to_web(jagged_wards.assign(geometry=apart)), tolerance_m=tolerance_m
        )


@pytest.mark.shared_data
def test_full_resolution_trafford_simplifies_flush(shared_data):
    wards = ons_geography.read_wards(
        shared_data / "wards_trafford" / "2022_trafford_ward_full_resolution.geojson"
    )
    simplified = maps.simplify_for_map(wards)
    assert_same_wards(wards, simplified)
    assert_flush(wards, simplified, tolerance_m=maps.MAP_TOLERANCE_M)
    before = shapely.get_num_coordinates(wards.geometry.to_numpy()).sum()
    assert shapely.get_num_coordinates(simplified.geometry.to_numpy()).sum() < 0.3 * before


@pytest.mark.parametrize(
    ("wards", "tolerance", "message"),
    [
        (gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]), 20.0, "no CRS"),
        (gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:27700"), -1.0, ">= 0 metres"),
    ],
)
def test_simplify_for_map_refuses_bad_input(wards, tolerance, message):
    with pytest.raises(ValueError, match=message):
        maps.simplify_for_map(wards, tolerance_m=tolerance)


# --- classes ---------------------------------------------------------------------------------


def test_classify_many_wards_gives_k_ordered_classes_quickly():
    values = pd.Series(np.random.default_rng(7).gamma(2.0, 12.0, 8_500))
    classes = maps.classify(values, GIGABIT)
    assert len(classes.labels) == len(classes.colours) == 5
    bins = [float(label.split(" to ")[1].rstrip("%")) for label in classes.labels]
    assert bins == sorted(bins) and len(set(bins)) == 5
    assert classes.ward_colour.nunique() == 5  # every ward has a class: none left grey
    assert classes.labels[-1].endswith(maps.format_value(values.max(), GIGABIT))
    # the darkest class holds the highest values (higher is worse for this indicator)
    darkest = values[classes.ward_colour == maps.PALETTE[-1]]
    assert darkest.min() > values[classes.ward_colour == maps.PALETTE[0]].max()
    again = maps.classify(values, GIGABIT)
    assert again.labels == classes.labels  # deterministic: a map never changes between runs


@pytest.mark.parametrize("n", [3, 40, maps.FISHER_JENKS_SAMPLE])
def test_classify_one_authority_is_exact_fisher_jenks(n):
    values = np.random.default_rng(n).uniform(0, 100, n)
    classes = maps.classify(pd.Series(values), GIGABIT)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Numba not installed", UserWarning)
        exact = mapclassify.FisherJenks(values, k=min(5, n)).bins
    assert [label.split(" to ")[1] for label in classes.labels] == [f"{b:.1f}%" for b in exact]


@pytest.mark.parametrize(
    ("value", "name", "text"),
    [
        (12.345, "pct_premises_without_gigabit", "12.3%"),
        (1204, "premises", "1,204 premises"),
        (5321, "residents", "5,321 people"),
        (1234.4, "imd_average_rank", "1,234"),
        (np.nan, "premises", "no data"),
    ],
)
def test_format_value(value, name, text):
    assert maps.format_value(value, INDICATORS[name]) == text


def test_format_score_keeps_a_decimal():
    score = Indicator("risk_index", "Risk", "score", "ward", True, "computed")
    assert maps.format_value(7.46, score) == "7.5"


def test_classify_keeps_missing_values_grey():
    classes = maps.classify(pd.Series([1.0, np.nan, 3.0, 3.0]), GIGABIT)
    assert classes.ward_colour.iloc[1] == maps.NO_DATA
    assert maps.classify(pd.Series([np.nan, np.nan]), GIGABIT).labels == []
    assert maps.classify(pd.Series([2.0, 2.0]), GIGABIT).labels == ["2.0% to 2.0%"]


#: Indicators that are plain sizes or checks of the data, not risks: decided one by one, so a
#: new indicator must be decided too.
NOT_RISKS = {"premises", "residents", "pct_postcodes_checked_mobile"}


def test_every_indicator_is_decided_a_risk_or_not():
    assert {name for name, i in INDICATORS.items() if not i.is_risk} == NOT_RISKS
    assert INDICATORS["pct_premises_below_uso"].is_risk
    assert INDICATORS["premises_below_uso"].is_risk  # a count of premises at risk is a risk


def test_a_measure_that_is_not_a_risk_is_blue_from_low_to_high():
    residents = INDICATORS["residents"]
    values = pd.Series([1_000.0, 1_000.0, 5_000.0, 5_000.0, 9_000.0, 9_000.0])
    classes = maps.classify(values, residents, k=3)
    blues = ["#c6dbef", "#9ecae1", "#6baed6"]  # ColorBrewer Blues, lightest first
    assert classes.labels == ["1,000 people to 1,000 people", "1,000 people to 5,000 people",
                              "5,000 people to 9,000 people"]  # fmt: skip
    assert classes.colours == blues
    assert classes.ward_colour.tolist() == [blues[0]] * 2 + [blues[1]] * 2 + [blues[2]] * 2
    assert classes.legend_title == "darker = more people"
    words = " ".join([*classes.labels, classes.legend_title]).lower()
    assert "worse" not in words and "better" not in words
    checked = maps.classify(values, INDICATORS["pct_postcodes_checked_mobile"], k=3)
    assert checked.colours == blues  # lower is "worse" in the catalogue, but not a risk
    assert checked.legend_title == "darker = higher"


@pytest.mark.parametrize(
    ("name", "colours"),
    [
        ("pct_premises_without_gigabit", ["#fde725", "#5ec962", "#21918c"]),  # higher is worse
        ("imd_average_rank", ["#21918c", "#5ec962", "#fde725"]),  # lower is worse: darkest first
    ],
)
def test_a_risk_keeps_viridis_darker_worse(name, colours):
    classes = maps.classify(pd.Series([1.0, 1.0, 5.0, 5.0, 9.0, 9.0]), INDICATORS[name], k=3)
    assert classes.colours == colours
    assert classes.legend_title == "darker = worse"
    assert classes.labels[0].startswith(maps.format_value(1.0, INDICATORS[name]))  # low first


# --- the map sent to the browser --------------------------------------------------------------


def ward_layer(fmap) -> maps.WardLayer:
    (layer,) = [c for c in fmap._children.values() if isinstance(c, maps.WardLayer)]
    return layer


def decode(data: dict) -> list[list[list[tuple[float, float]]]]:
    """The page script's decoder, in Python: wards -> polygons -> rings -> (x, y)."""
    deltas = iter(data["deltas"])
    rings, vertices = iter(data["rings"]), iter(data["vertices"])
    x = y = 0
    wards = []
    for n_polygons in data["polygons"]:
        polygons = []
        for _ in range(n_polygons):
            polygon = []
            for _ in range(next(rings)):
                ring = []
                for _ in range(next(vertices)):
                    x += next(deltas)
                    y += next(deltas)
                    ring.append((x / data["scale"], y / data["scale"]))
                polygon.append(ring)
            polygons.append(polygon)
        wards.append(polygons)
    return wards


def test_packed_geometry_decodes_to_the_rounded_wards(demo_wards):
    holed = shapely.Polygon(
        box(0, 0, 3000, 3000).exterior.coords, [box(1000, 1000, 2000, 2000).exterior.coords]
    )
    wards = pd.concat(
        [
            demo_wards,
            gpd.GeoDataFrame(
                {"ward_code": ["E05000001", "E05000002"], "ward_name": ["Holed", "Islands"]},
                geometry=[
                    shapely.affinity.translate(holed, 400_000, 400_000),
                    shapely.MultiPolygon([box(0, 0, 50, 50), box(100, 0, 150, 50)]),
                ],
                crs=demo_wards.crs,
            ),
        ],
        ignore_index=True,
    ).assign(**{GIGABIT.name: 1.0})
    web = maps.simplify_for_map(wards)
    fmap = maps.choropleth(
        web, GIGABIT, classes=maps.classify(web[GIGABIT.name], GIGABIT), tiles=None
    )
    data = json.loads(ward_layer(fmap).data)
    for decoded, geom in zip(decode(data), web.geometry, strict=True):
        polygons = getattr(geom, "geoms", [geom])
        expected = [
            [list(p.exterior.coords), *[list(r.coords) for r in p.interiors]] for p in polygons
        ]
        assert decoded == [[list(map(tuple, ring)) for ring in p] for p in expected]
    assert data["code"] == wards["ward_code"].tolist()


def test_demo_map_is_small_and_carries_only_what_the_tooltip_needs(demo_store):
    wards = store.read_map_wards(demo.DEMO_LA_CODE, store=demo_store)
    classes = maps.classify(wards[GIGABIT.name], GIGABIT)
    fmap = maps.choropleth(wards, GIGABIT, classes=classes, tiles="OpenStreetMap")
    page = fmap.get_root().render()
    assert len(page.encode()) < 300_000
    data = json.loads(ward_layer(fmap).data)
    assert set(data) == {
        "scale", "deltas", "vertices", "rings", "polygons", "code", "name", "value", "class",
        "colours", "label", "outlined", "outline_label", "selected",
    }  # fmt: skip
    assert not any(data["outlined"])
    assert data["colours"] == [*classes.colours, maps.NO_DATA]
    assert [data["colours"][i] for i in data["class"]] == classes.ward_colour.tolist()
    assert fmap.get_bounds() == ward_layer(fmap).bounds


def test_outlined_wards_are_flagged_by_position_and_labelled(demo_wards):
    wards = demo_wards.assign(**{GIGABIT.name: 5.0})
    flags = pd.Series(pd.NA, index=wards.index, dtype="boolean")
    flags.iloc[[1, 3]] = True
    flags.iloc[2] = False
    fmap = maps.choropleth(
        wards, GIGABIT, classes=maps.classify(wards[GIGABIT.name], GIGABIT), tiles=None,
        outlined=flags, outline_label="<b>Fixed not-spot</b>",
    )  # fmt: skip
    data = json.loads(ward_layer(fmap).data)
    assert [i for i, flag in enumerate(data["outlined"]) if flag] == [1, 3]  # NA: not outlined
    assert data["outline_label"] == "&lt;b&gt;Fixed not-spot&lt;/b&gt;"


def test_names_cannot_break_out_of_the_page_script(demo_wards):
    wards = demo_wards.assign(**{GIGABIT.name: 5.0})
    wards.loc[0, "ward_name"] = "</script><script>alert(1)</script> {{ x }} & Co"
    fmap = maps.choropleth(
        wards, GIGABIT, classes=maps.classify(wards[GIGABIT.name], GIGABIT), tiles=None
    )
    page = fmap.get_root().render()
    assert "alert(1)</script>" not in page
    assert "{{ x }}" in page  # kept as text, never read as a template
    name = json.loads(ward_layer(fmap).data)["name"][0]
    assert name == "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; {{ x }} &amp; Co"


def test_map_geometry_can_come_beside_the_ward_table(demo_wards):
    wards = demo_wards.assign(**{GIGABIT.name: np.arange(len(demo_wards), dtype=float)})
    shapes = maps.simplify_for_map(wards, tolerance_m=500).geometry
    classes = maps.classify(wards[GIGABIT.name], GIGABIT)
    given = maps.choropleth(wards, GIGABIT, classes=classes, tiles=None, geometry=shapes)
    own = maps.choropleth(wards.set_geometry(shapes), GIGABIT, classes=classes, tiles=None)
    assert ward_layer(given).data == ward_layer(own).data
    with pytest.raises(ValueError, match="no row for 1 ward"):
        maps.choropleth(wards, GIGABIT, classes=classes, tiles=None, geometry=shapes.iloc[1:])


#: Three box wards in a row (EPSG:27700 metres, near Manchester), the middle one selected.
BOXES = [(380_000, 390_000, 381_000, 391_000), (381_000, 390_000, 382_500, 391_200),
         (382_500, 390_000, 383_000, 390_800)]  # fmt: skip


@pytest.fixture
def box_wards() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ward_code": ["E05000101", "E05000102", "E05000103"], "ward_name": ["A", "B", "C"],
         GIGABIT.name: [10.0, 50.0, 90.0]},
        geometry=[box(*b) for b in BOXES], crs="EPSG:27700", index=[7, 8, 9],
    )  # fmt: skip


def box_map(wards: gpd.GeoDataFrame, **kwargs: object):
    classes = maps.classify(wards[GIGABIT.name], GIGABIT)
    return maps.choropleth(wards, GIGABIT, classes=classes, tiles=None, **kwargs)


def fit_bounds(fmap) -> FitBounds:
    (fit,) = [c for c in fmap._children.values() if isinstance(c, FitBounds)]
    return fit


def test_the_selected_ward_is_outlined_on_top_and_zoomed_to(box_wards):
    fmap = box_map(box_wards, selected="E05000102")
    assert json.loads(ward_layer(fmap).data)["selected"] == 1  # by position, not index label
    # the middle box's corners in degrees, rounded to 5 decimals as the map's coordinates are
    to_degrees = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    minx, miny, maxx, maxy = BOXES[1]
    lon, lat = to_degrees.transform([minx, maxx, maxx, minx], [miny, miny, maxy, maxy])
    lon, lat = np.round(lon, 5), np.round(lat, 5)
    fit = fit_bounds(fmap)
    expected = [[lat.min(), lon.min()], [lat.max(), lon.max()]]
    np.testing.assert_allclose(fit.bounds, expected, atol=1e-9)
    assert fit.options == {"padding": (maps.SELECTED_MARGIN_PX, maps.SELECTED_MARGIN_PX)}
    page = fmap.get_root().render()
    assert page.count(".fitBounds(") == 1
    assert f"[[{lat.min()}, {lon.min()}], [{lat.max()}, {lon.max()}]]" in page
    style = page[page.index("style: function (f)") : page.index("onEachFeature")]
    assert 'className: "selected-ward"' in style and "weight: 5" in style  # survives resetStyle
    assert fmap.get_bounds() == ward_layer(fmap).bounds  # the layer still spans every ward


def test_without_a_selection_the_map_fits_every_ward(box_wards):
    fmap = box_map(box_wards)
    assert json.loads(ward_layer(fmap).data)["selected"] is None
    assert fit_bounds(fmap).bounds == ward_layer(fmap).bounds
    assert fit_bounds(fmap).options == {}


def test_an_unknown_selected_ward_is_refused(box_wards):
    with pytest.raises(ValueError, match="'E05999999'"):
        box_map(box_wards, selected="E05999999")


def test_a_note_is_shown_on_the_map_as_plain_text(box_wards):
    note = 'Fixed <b>not-spots</b> cannot be outlined & "why"'
    page = box_map(box_wards, note=note, leaflet=("/leaflet.js", "/leaflet.css")).get_root()
    page = page.render()
    assert "Fixed &lt;b&gt;not-spots&lt;/b&gt; cannot be outlined &amp; &quot;why&quot;" in page
    assert "<b>not-spots" not in page
    assert 'L.control({position: "topright"})' in page and "background: #ffffff" in page
    assert page.count("<script src=") == 1  # only Leaflet: the note needs no plugin
    assert "map-note" not in box_map(box_wards).get_root().render()


#: Just enough of Leaflet to run the page's scripts in Node: a GeoJSON layer whose resetStyle
#: calls the style function, as Leaflet's does, and a control that records its box.
FAKE_LEAFLET = """
var shown = {};
var L = {
  geoJson: function (data, options) {
    var layers = data.features.map(function (f) {
      var l = {feature: f, options: {}, on: function (h) { l.handlers = h; },
               setStyle: function (s) { Object.assign(l.options, s); }};
      l.setStyle(options.style(f));
      options.onEachFeature(f, l);
      return l;
    });
    var group = {layers: layers, bindTooltip: function () {},
                 addTo: function () { return group; }};
    group.resetStyle = function (l) { l.options = {}; l.setStyle(options.style(l.feature)); };
    return group;
  },
  control: function (o) {
    return {addTo: function () { shown.position = o.position; shown.box = this.onAdd(); }};
  },
  DomUtil: {create: function (tag, name) { return {tag: tag, className: name, style: {}}; }},
  DomEvent: {disableClickPropagation: function () {}}
};
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed")
def test_the_page_scripts_keep_the_selection_after_a_hover_and_show_the_note(box_wards):
    fmap = box_map(box_wards, selected="E05000102", note="<i>not known</i>")
    layer = ward_layer(fmap)
    (note,) = [c for c in fmap._children.values() if isinstance(c, maps.MapNote)]
    script = (
        f"{FAKE_LEAFLET}\nvar {fmap.get_name()} = {{}};\n"
        + layer._template.module.script(layer, {})
        + note._template.module.script(note, {})
        + f"""
        var layers = {layer.get_name()}.layers, top = layers[layers.length - 1];
        top.handlers.mouseover({{target: top}});
        var hovered = Object.assign({{}}, top.options);
        top.handlers.mouseout({{target: top}});
        console.log(JSON.stringify({{
            order: layers.map(function (l) {{ return l.feature.properties.ward_code; }}),
            hovered: hovered, after: top.options, others: layers[0].options,
            position: shown.position, note: shown.box.innerHTML, style: shown.box.style.cssText
        }}));
        """
    )
    run = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    out = json.loads(run.stdout)
    assert out["order"] == ["E05000101", "E05000103", "E05000102"]  # the selected one on top
    assert out["hovered"]["weight"] == 5 and out["hovered"]["color"] == "#000000"
    assert out["after"] == {  # 50% is the middle of 3 classes: viridis' second colour
        "fillColor": maps.PALETTE[1], "color": "#212121", "weight": 5, "opacity": 1,
        "fillOpacity": 0.75, "className": "selected-ward",
    }  # fmt: skip
    assert "className" not in out["others"] and out["others"]["weight"] == 1
    assert out["position"] == "topright"
    assert out["note"] == html.escape("<i>not known</i>")
    assert "background: #ffffff" in out["style"]


def test_a_selected_demo_map_with_a_note_stays_small(demo_store):
    wards = store.read_map_wards(demo.DEMO_LA_CODE, store=demo_store)
    classes = maps.classify(wards[GIGABIT.name], GIGABIT)
    fmap = maps.choropleth(
        wards, GIGABIT, classes=classes, tiles="OpenStreetMap",
        selected=wards["ward_code"].iloc[3],
        note="Fixed broadband not-spots cannot be outlined: fixed broadband is not known by "
        "ward in this store",
    )  # fmt: skip
    assert len(fmap.get_root().render().encode()) < 300_000


def test_wards_already_made_web_ready_are_not_moved_again():
    wards = gpd.GeoDataFrame(
        {"ward_code": ["W1"]}, geometry=[shapely.box(380_000, 390_000, 381_000, 391_000)],
        crs="EPSG:27700",
    )  # fmt: skip
    once = maps.to_web(wards)
    twice = maps.to_web(once)
    assert once.crs.to_epsg() == 4326 and twice.crs.to_epsg() == 4326
    assert shapely.equals_exact(once.geometry.to_numpy(), twice.geometry.to_numpy(), 0).all()
    assert twice.geometry.iloc[0].bounds == once.geometry.iloc[0].bounds
