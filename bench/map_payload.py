"""Map payload and server build time: our map path against a naive full-detail folium GeoJSON.

Run from the project root::

    python bench/map_payload.py [--shared-data ../shared/data] [--repeat 5]

Cases, all measured in one run:

- the demo place (Demoshire, 28 wards), generated and built into a temporary store;
- Trafford (E08000009, 21 wards), built from ``--shared-data`` when that folder is present
  (the build takes ONS's generalised, BGC, boundaries), and the same wards drawn from the
  full-resolution (BFC) boundaries, as for a folder holding only those;
- the UK (8,482 wards of ONS Wards December 2022 BSC) with a synthetic indicator drawn from each
  ward code, as no store holds the whole country.

Paths:

- ours: the map geometry (``store.read_map_wards``; for Trafford BFC and the UK
  ``geo.maps.simplify_for_map``, timed apart as the once-per-build cost) -> ``classify`` ->
  ``choropleth`` -> HTML;
- naive: the full-detail ward table in EPSG:4326 -> ``folium.GeoJson(gdf.to_json())`` with a
  per-feature ``style_function`` colouring the same classes and a ``GeoJsonTooltip`` -> HTML.

"build" is server time from ward table to HTML string (``fmap.get_root().render()``); bytes
are that HTML, UTF-8. Re-render is one authority's map after a risk-index weight change:
``geo.index.compute_index`` with the new weights, ``classify``, ``choropleth``, HTML. Times are
the median of ``--repeat`` runs. Each target prints PASS or FAIL; the exit code is 0 either way
(the numbers are copied into BENCHMARKS.md by hand).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import platform
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import folium
import geopandas as gpd
import shapely

from geo import index, maps
from geo.indicators import INDICATORS, Indicator
from ingest import build, demo, store
from ingest.sources import ons_geography

SHARED_DATA = Path("../shared/data")
NATIONAL = Path("ons_wards_dec2022_uk_bsc/Wards_December_2022_Boundaries_UK_BSC.gpkg")
TRAFFORD_BFC = Path("wards_trafford/2022_trafford_ward_full_resolution.geojson")
TRAFFORD = "E08000009"
SHOWN = INDICATORS["pct_residents_65_plus"]

LA_BYTES = 300_000
NATIONAL_BYTES = 3_000_000
NATIONAL_SECONDS = 1.0
RERENDER_SECONDS = 0.3


@dataclass
class Case:
    """One set of wards, full detail for the naive path, map geometry for ours."""

    name: str
    full: gpd.GeoDataFrame
    mapped: gpd.GeoDataFrame
    national: bool
    simplify_s: float | None = None


@dataclass
class Result:
    case: Case
    ours_s: float
    ours_bytes: int
    ours_gzip: int
    naive_s: float
    naive_bytes: int
    naive_gzip: int
    rerender_s: float | None


def median_time(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` runs, and the last run's result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def ours(wards: gpd.GeoDataFrame, indicator: Indicator) -> str:
    classes = maps.classify(wards[indicator.name], indicator)
    fmap = maps.choropleth(wards, indicator, classes=classes, tiles="OpenStreetMap")
    return fmap.get_root().render()


def naive(wards: gpd.GeoDataFrame, indicator: Indicator, colours: dict[str, str]) -> str:
    """A first-cut folium choropleth: every column, full precision, per-feature style."""
    web = wards.to_crs("EPSG:4326")
    fmap = folium.Map(tiles="OpenStreetMap")
    minx, miny, maxx, maxy = web.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.GeoJson(
        web.to_json(),
        style_function=lambda f: {
            "fillColor": colours[f["properties"]["ward_code"]],
            "color": "#ffffff",
            "weight": 1,
            "fillOpacity": 0.75,
        },
        tooltip=folium.GeoJsonTooltip(fields=["ward_name", indicator.name]),
    ).add_to(fmap)
    return fmap.get_root().render()


def rerender(wards: gpd.GeoDataFrame, weights: list[int]) -> Callable[[], str]:
    """A run per call: the next weight of component demography, index, classes, map, HTML."""
    pending = iter(weights)

    def run() -> str:
        spec = index.DEFAULT_SPEC.with_weight("demography", next(pending))
        risk = index.compute_index(wards, spec)
        return ours(wards.assign(risk_index=risk["risk_index"]), index.RISK_INDEX)

    return run


def measure(case: Case, repeat: int) -> Result:
    ours_s, ours_html = median_time(lambda: ours(case.mapped, SHOWN), repeat)
    classes = maps.classify(case.full[SHOWN.name], SHOWN)
    colours = dict(zip(case.full["ward_code"], classes.ward_colour, strict=True))
    naive_s, naive_html = median_time(lambda: naive(case.full, SHOWN, colours), repeat)
    rerender_s = None
    if not case.national:
        weights = [(i % 10) + 1 for i in range(repeat)]  # a different weight each run
        rerender_s, _ = median_time(rerender(case.mapped, weights), repeat)
    ours_bytes, naive_bytes = ours_html.encode(), naive_html.encode()
    return Result(
        case,
        ours_s,
        len(ours_bytes),
        len(gzip.compress(ours_bytes)),
        naive_s,
        len(naive_bytes),
        len(gzip.compress(naive_bytes)),
        rerender_s,
    )


def built_place(name: str, la_code: str, sources: Path, store_dir: Path) -> Case:
    """A place as the app sees it: built into the store, map geometry written by the build."""
    synthetic = la_code == demo.DEMO_LA_CODE
    build.build_place(la_code, sources, store_dir=store_dir, synthetic=synthetic, verbose=False)
    full = store.read_wards(la_code, store=store_dir)
    return Case(name, full, store.read_map_wards(la_code, store=store_dir), national=False)


def simplified(name: str, full: gpd.GeoDataFrame, *, national: bool) -> Case:
    """Wards not in a store: simplified here, timed as the once-per-build cost."""
    start = time.perf_counter()
    mapped = maps.simplify_for_map(full)
    return Case(name, full, mapped, national=national, simplify_s=time.perf_counter() - start)


def trafford_full_resolution(shared_data: Path, store_dir: Path) -> Case:
    """Trafford's store attributes on the full-resolution (BFC) ward boundaries."""
    attributes = store.read_wards(TRAFFORD, store=store_dir).drop(columns="geometry")
    boundaries = ons_geography.read_wards(shared_data / TRAFFORD_BFC)[["ward_code", "geometry"]]
    return simplified("Trafford BFC", boundaries.merge(attributes, on="ward_code"), national=False)


def united_kingdom(shared_data: Path) -> Case:
    """Every UK ward, with a synthetic 0-100 % value drawn from each ward code."""
    full = ons_geography.read_wards(shared_data / NATIONAL)
    full[SHOWN.name] = [zlib.crc32(code.encode()) % 10_001 / 100 for code in full["ward_code"]]
    return simplified("UK (BSC)", full, national=True)


def vertices(wards: gpd.GeoDataFrame) -> int:
    return int(shapely.get_num_coordinates(wards.geometry.to_numpy()).sum())


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: list[Result]) -> None:
    print(
        f"{'case':<12} {'wards':>6} {'vertices':>17} {'path':<6} {'build s':>8} "
        f"{'HTML bytes':>12} {'gzip bytes':>11} {'re-render s':>11}"
    )
    for r in results:
        c = r.case
        simplify = f"  (simplified once in {c.simplify_s:.2f} s)" if c.simplify_s else ""
        rerender = f"{r.rerender_s:.3f}" if r.rerender_s is not None else "-"
        print(
            f"{c.name:<12} {len(c.full):>6,} {vertices(c.mapped):>17,} {'ours':<6} "
            f"{r.ours_s:>8.3f} {r.ours_bytes:>12,} {r.ours_gzip:>11,} {rerender:>11}{simplify}"
        )
        print(
            f"{'':<12} {'':>6} {vertices(c.full):>17,} {'naive':<6} "
            f"{r.naive_s:>8.3f} {r.naive_bytes:>12,} {r.naive_gzip:>11,}"
        )
        print(
            f"{'':<12} {'':>6} {'':>17} {'ratio':<6} {r.naive_s / r.ours_s:>7.1f}x "
            f"{r.naive_bytes / r.ours_bytes:>11.1f}x {r.naive_gzip / r.ours_gzip:>10.1f}x"
        )
    print("\ntargets")
    for r in results:
        c = r.case
        if c.national:
            print(
                f"  {verdict(r.ours_bytes <= NATIONAL_BYTES)}  {c.name}: map <= 3 MB "
                f"({r.ours_bytes / 1e6:.2f} MB)"
            )
            print(
                f"  {verdict(r.ours_s <= NATIONAL_SECONDS)}  {c.name}: build <= 1 s "
                f"({r.ours_s:.3f} s)"
            )
        else:
            print(
                f"  {verdict(r.ours_bytes <= LA_BYTES)}  {c.name}: map <= 300 KB "
                f"({r.ours_bytes / 1e3:.1f} KB)"
            )
            print(
                f"  {verdict(r.rerender_s <= RERENDER_SECONDS)}  {c.name}: re-render after a "
                f"weight change <= 0.3 s ({r.rerender_s:.3f} s)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=SHARED_DATA)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    packages = ["geopandas", "shapely", "folium", "mapclassify", "pyproj"]
    print(
        f"{dt.date.today()}  Python {platform.python_version()}  {platform.machine()}  "
        f"{os.cpu_count()} CPUs  GEOS {shapely.geos_version_string}  "
        + "  ".join(f"{p} {version(p)}" for p in packages)
    )
    print(f"median of {args.repeat} runs; map tolerance {maps.MAP_TOLERANCE_M:g} m\n")
    with tempfile.TemporaryDirectory() as tmp:
        sources, store_dir = Path(tmp) / "demo_sources", Path(tmp) / "store"
        demo.write_demo_sources(sources)
        cases = [built_place("Demoshire", demo.DEMO_LA_CODE, sources, store_dir)]
        if args.shared_data.is_dir():
            cases.append(built_place("Trafford", TRAFFORD, args.shared_data, store_dir))
            cases.append(trafford_full_resolution(args.shared_data, store_dir))
            cases.append(united_kingdom(args.shared_data))
        else:
            print(f"{args.shared_data} not found: Trafford and UK cases skipped", file=sys.stderr)
        report([measure(case, args.repeat) for case in cases])


if __name__ == "__main__":
    main()
