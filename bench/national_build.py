"""Benchmark: a national build, from source files in the real formats to the ward store.

Generates UK-size inputs in the publishers' layouts (headers as in ``../shared/data``):

- ``statistical_lookup.csv`` (OA 2021 -> LSOA -> MSOA -> LAD, Trafford Data Lab cut of the ONS
  lookup) with about 190,000 output areas, and ``lsoa_to_ward_best-fit_lookup.csv`` (LSOA 2021
  -> ward 2022 best fit): together the output area -> ward lookup, for the 7,665 English and
  Welsh wards;
- ``202601_fixed_oa_coverage_r1.csv``: Ofcom's January 2026 output-area layout, counts drawn
  consistent by construction (:func:`ingest.demo._fixed_oa_counts`);
- ``uk_postcodes.csv``: the ONS Postcode Directory extract layout of
  ``postcodes_trafford/trafford_postcodes.csv``, about 1.7 million postcodes whose centroids
  are drawn inside the real UK ward polygons of ``ons_wards_dec2022_uk_bsc`` (8,482 wards). The
  wards of a share of local authorities (``--new-ward-share``) carry new ward codes in the
  directory, as after a boundary review, so those postcodes are placed by geometry;
- the ward boundaries are the real GeoPackage itself, read where it lies.

Then, each in its own child process so that each peak resident memory is its own:

- **floor**: ``pyarrow.csv.read_csv`` of every CSV and ``pyogrio.read_arrow`` of the wards;
- **naive**: ``pandas.read_csv`` + ``geopandas.read_file``, the output areas summed to wards
  through the two lookups merged, every postcode placed by a ``geopandas.sjoin``
  point-in-polygon, the ward table and the postcodes written as (Geo)Parquet;
- **ours**: the project's own functions, as :func:`ingest.build.build_place` strings them:
  read and validate every input, output areas summed to wards (:func:`geo.joins.sum_to_wards`),
  postcodes placed by the directory's ward where its code is a 2022 ward and by geometry
  otherwise (:func:`geo.postcodes.postcodes_to_wards`), map geometry, and the ward store
  written for all wards (:func:`ingest.store.write_place`).

Prints every step's time, its ratio to the floor, each process's peak resident memory, and
checks that premises and postcodes are conserved. Run from the project root::

    python bench/national_build.py                       # 190,000 OAs, 1,700,000 postcodes
    python bench/national_build.py --areas 20000 --postcodes 170000   # a quick run
    python bench/national_build.py --repeat 3 --inputs /tmp/national  # medians; keep inputs

The parent process imports nothing heavy (the runs import numpy, pandas and the project inside
their functions) and holds no data: on Linux a child's ``ru_maxrss`` starts from its parent's
peak, so a large parent would hide the children's own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: The real UK ward boundaries, under --shared-data.
WARDS_GPKG = "ons_wards_dec2022_uk_bsc/Wards_December_2022_Boundaries_UK_BSC.gpkg"
FILES = {
    "oa_lookup": "statistical_lookup.csv",
    "lsoa_ward_lookup": "lsoa_to_ward_best-fit_lookup.csv",
    "ofcom_fixed_oa": "202601_fixed_oa_coverage_r1.csv",
    "postcodes": "uk_postcodes.csv",
}
TRUTH = "truth.parquet"
SUMMARY = "inputs.json"
UK = "K02000001"  # the United Kingdom's GSS code: the store folder of the national place
SEED = 20261123
#: The 20 letters ONS uses in the inward code of a postcode.
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


class Steps:
    """Wall time of each named step, in order, and the process's peak memory after it."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.peaks: dict[str, float] = {}

    def run(self, label: str, func: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        out = func()
        self.times[label] = time.perf_counter() - start
        self.peaks[label] = peak_mb()
        return out

    def result(self) -> dict:
        """What the child prints: times, peak after each step, the process's peak."""
        return {"steps": self.times, "peaks": self.peaks, "peak_mb": peak_mb()}


def warm_up() -> None:
    """Start pyarrow's and pandas' CSV readers once, so no run's first step pays for it."""
    import io

    import pandas as pd
    import pyarrow.csv

    pyarrow.csv.read_csv(io.BytesIO(b"a,b\n1,x\n"))
    pd.read_csv(io.StringIO("a,b\n1,x\n"))


def peak_mb() -> float:
    """Peak resident memory of this process so far, MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- inputs -----------------------------------------------------------------------------------


def _split(rng, total: int, bins: int):
    """``total`` items over ``bins`` (at least one each, if total allows), sorted bin numbers."""
    import numpy as np

    extra = rng.choice(bins, size=total - bins) if total > bins else np.empty(0, dtype=int)
    return np.sort(np.concatenate([np.arange(min(bins, total)), extra]))


def _points_in(rng, polygons, owner):
    """One random point inside ``polygons[owner[i]]`` for each i (EPSG:27700 x, y arrays)."""
    import numpy as np
    import shapely

    shapely.prepare(polygons)
    bounds = shapely.bounds(polygons)
    x = np.empty(len(owner))
    y = np.empty(len(owner))
    todo = np.arange(len(owner))
    while todo.size:
        box = bounds[owner[todo]]
        cx = box[:, 0] + rng.random(todo.size) * (box[:, 2] - box[:, 0])
        cy = box[:, 1] + rng.random(todo.size) * (box[:, 3] - box[:, 1])
        inside = shapely.contains_xy(polygons[owner[todo]], cx, cy)
        x[todo[inside]] = cx[inside]
        y[todo[inside]] = cy[inside]
        todo = todo[~inside]
    return x, y


def generate(
    folder: Path, wards_path: Path, areas: int, n_postcodes: int, new_ward_share: float
) -> dict:
    """Write the national inputs into ``folder``; return what a check needs to know."""
    import numpy as np
    import pandas as pd
    import pyproj

    from ingest import demo
    from ingest.sources import ofcom_fixed, ons_geography

    rng = np.random.default_rng(SEED)
    wards = ons_geography.read_wards(wards_path)
    nation = wards["ward_code"].str[0].to_numpy()
    ew = np.flatnonzero(np.isin(nation, ["E", "W"]))
    la_rank = wards.groupby("la_code").cumcount().to_numpy() + 1  # ward's number in its LA

    # LSOAs: about five output areas each, at least one per English or Welsh ward
    lsoa_ward = ew[_split(rng, max(areas // 5, len(ew)), len(ew))]
    within = pd.Series(lsoa_ward).groupby(lsoa_ward).cumcount().to_numpy()
    lsoas = pd.DataFrame(
        {
            "lsoa_code": [f"{nation[w]}01{i:06d}" for i, w in enumerate(lsoa_ward)],
            "lsoa_name": [
                f"{wards['la_name'].iat[w]} {la_rank[w]:03d}{chr(65 + j % 26)}"
                for w, j in zip(lsoa_ward, within, strict=True)
            ],
            "msoa_code": [f"{nation[w]}02{w:06d}" for w in lsoa_ward],
            "msoa_name": [f"{wards['la_name'].iat[w]} {la_rank[w]:03d}" for w in lsoa_ward],
            "ward_code": wards["ward_code"].to_numpy()[lsoa_ward],
            "ward_name": wards["ward_name"].to_numpy()[lsoa_ward],
            "la_code": wards["la_code"].to_numpy()[lsoa_ward],
            "la_name": wards["la_name"].to_numpy()[lsoa_ward],
        }
    )
    oa_lsoa = _split(rng, areas, len(lsoas))
    oas = lsoas.iloc[oa_lsoa].reset_index(drop=True)
    oas.insert(0, "oa_code", [f"{c[0]}00{i:06d}" for i, c in enumerate(oas["lsoa_code"])])
    oas["premises"] = rng.integers(20, 320, len(oas))
    oas["remoteness"] = rng.uniform(0, 1.3, len(oas))

    paths = {role: folder / name for role, name in FILES.items()}
    paths["oa_lookup"].write_text(
        demo._lookup_csv(
            oas,
            {"oa_code": "oa21cd", "lsoa_code": "lsoa21cd", "lsoa_name": "lsoa21nm",
             "msoa_code": "msoa21cd", "msoa_name": "msoa21nm", "la_code": "lad22cd",
             "la_name": "lad22nm"},
        )
    )  # fmt: skip
    paths["lsoa_ward_lookup"].write_text(
        demo._lookup_csv(
            lsoas,
            {"lsoa_code": "lsoa21cd", "lsoa_name": "lsoa21nm", "ward_code": "wd22cd",
             "ward_name": "wd22nm", "la_code": "lad22cd", "la_name": "lad22nm"},
        )
    )  # fmt: skip
    fixed = demo._fixed_oa_counts(rng, oas)
    demo._write_csv(
        paths["ofcom_fixed_oa"],
        ofcom_fixed.OA_RELEASES[-1],
        demo._as_published(fixed, {"oa_code": fixed.index}),
        bom=False, crlf=False, final_newline=True,
    )  # fmt: skip

    # Postcodes: drawn in every UK ward, about 200 each; reviewed authorities' new ward codes
    weights = rng.uniform(0.5, 1.5, len(wards))
    per_ward = rng.multinomial(n_postcodes, weights / weights.sum())
    owner = np.repeat(np.arange(len(wards)), per_ward)
    x, y = _points_in(rng, wards.geometry.to_numpy(), owner)
    lon, lat = pyproj.Transformer.from_crs(27700, 4326, always_xy=True).transform(x, y)
    authorities = sorted(set(wards["la_code"]))
    reviewed = set(rng.permutation(authorities)[: round(new_ward_share * len(authorities))])
    new_code = np.array(
        [
            f"{c[:3]}{20000 + i:06d}" if la in reviewed else c
            for i, (c, la) in enumerate(zip(wards["ward_code"], wards["la_code"], strict=True))
        ]
    )
    i = np.arange(n_postcodes)  # area letters, district, sector, unit: unique by construction
    outward = [f"{chr(65 + a // 26)}{chr(65 + a % 26)}{d}" for a, d in zip(
        i // 400_000, (i // 4_000) % 100, strict=True)]  # fmt: skip
    inward = [f"{s}{UNIT_LETTERS[u // 20]}{UNIT_LETTERS[u % 20]}" for s, u in zip(
        (i // 400) % 10, i % 400, strict=True)]  # fmt: skip
    first_lsoa = lsoas.drop_duplicates("ward_code").set_index("ward_code")
    ward_codes = wards["ward_code"].to_numpy()[owner]
    lsoa = first_lsoa.reindex(ward_codes)
    msoa_name = lsoa["msoa_name"].fillna("")
    commas = (i % 20 == 0) & (msoa_name != "").to_numpy()  # ~5 % quoted, as in the real file
    directory = pd.DataFrame(
        {
            "postcode": [f"{o} {n}" for o, n in zip(outward, inward, strict=True)],
            "ward_code": new_code[owner],
            "ward_name": wards["ward_name"].to_numpy()[owner],
            "msoa_code": lsoa["msoa_code"].fillna("").to_numpy(),
            "msoa_hcl_name": np.where(commas, msoa_name + ", Town & Country", msoa_name),
            "lsoa_code": lsoa["lsoa_code"].fillna("").to_numpy(),
            "lsoa_name": lsoa["lsoa_name"].fillna("").to_numpy(),
            "locality": wards["la_name"].to_numpy()[owner],
            "la_code": wards["la_code"].to_numpy()[owner],
            "la_name": wards["la_name"].to_numpy()[owner],
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
        }
    )
    directory.to_csv(paths["postcodes"], index=False, lineterminator="\n", float_format="%.6f")
    pd.DataFrame({"postcode": directory["postcode"], "ward_code": ward_codes}).to_parquet(
        folder / TRUTH, index=False
    )
    summary = {
        "output_areas": len(oas),
        "lsoas": len(lsoas),
        "wards": len(wards),
        "wards_with_output_areas": len(ew),
        "premises": int(fixed["premises"].sum()),
        "postcodes": n_postcodes,
        "new_ward_share": new_ward_share,
        "postcodes_with_new_ward_codes": int((new_code[owner] != ward_codes).sum()),
        "authorities_reviewed": len(reviewed),
        "bytes": {role: path.stat().st_size for role, path in paths.items()},
        "wards_gpkg_bytes": wards_path.stat().st_size,
    }
    (folder / SUMMARY).write_text(json.dumps(summary, indent=1))
    return summary


# --- the three runs ---------------------------------------------------------------------------


def floor(folder: Path, wards_path: Path, out: Path) -> dict:
    """Read every input with pyarrow (CSV) and pyogrio (GeoPackage): parsing, no checks."""
    import pyarrow.csv
    import pyogrio

    steps = Steps()
    for role, name in FILES.items():
        steps.run(f"read {role}", lambda name=name: pyarrow.csv.read_csv(folder / name))
    steps.run("read wards", lambda: pyogrio.read_arrow(wards_path))
    return steps.result()


def naive(folder: Path, wards_path: Path, out: Path) -> dict:
    """pandas and geopandas as a notebook would use them: no header map, no checks."""
    import geopandas as gpd
    import pandas as pd

    steps = Steps()
    read = {
        role: steps.run(f"read {role}", lambda name=name: pd.read_csv(folder / name))
        for role, name in FILES.items()
    }
    wards = steps.run("read wards", lambda: gpd.read_file(wards_path).to_crs("EPSG:27700"))

    def oa_to_wards() -> pd.DataFrame:
        oa_ward = read["oa_lookup"][["oa21cd", "lsoa21cd"]].merge(
            read["lsoa_ward_lookup"][["lsoa21cd", "wd22cd"]], on="lsoa21cd"
        )
        fixed = read["ofcom_fixed_oa"].merge(
            oa_ward, left_on="output_area", right_on="oa21cd", how="left"
        )
        counts = [c for c in fixed.columns if c.startswith(("All ", "Number "))]
        return fixed.groupby("wd22cd")[counts].sum()

    summed = steps.run("output areas to wards", oa_to_wards)

    def place_postcodes() -> gpd.GeoDataFrame:
        directory = read["postcodes"]
        points = gpd.GeoDataFrame(
            directory,
            geometry=gpd.points_from_xy(directory["lon"], directory["lat"]),
            crs="EPSG:4326",
        ).to_crs("EPSG:27700")
        return gpd.sjoin(points, wards[["WD22CD", "geometry"]], predicate="within")

    placed = steps.run("postcodes to wards (sjoin)", place_postcodes)

    def write() -> None:
        out.mkdir(parents=True, exist_ok=True)
        table = wards.join(summed, on="WD22CD")
        table.to_parquet(out / "wards.parquet", index=False, compression="zstd")
        pd.DataFrame(placed.drop(columns="geometry")).to_parquet(
            out / "postcodes.parquet", index=False, compression="zstd"
        )

    steps.run("write wards + postcodes", write)
    return {
        **steps.result(),  # before the checks below allocate anything
        "premises": int(summed["All Premises"].sum()),
        "postcodes_placed": int(placed["postcode"].nunique()),
        "postcodes_rows": len(placed),
    }


def ours(folder: Path, wards_path: Path, out: Path) -> dict:
    """The project's readers, joins and store, as ingest.build strings them together."""
    import geopandas as gpd
    import pandas as pd

    from geo import indicators, joins, maps, postcodes
    from ingest import store
    from ingest.sources import ofcom_fixed, ons_geography

    steps = Steps()
    wards = steps.run("read wards", lambda: ons_geography.read_wards(wards_path))
    oa_lookup = steps.run(
        "read oa_lookup", lambda: ons_geography.read_lookup(folder / FILES["oa_lookup"])
    )
    best_fit = steps.run(
        "read lsoa_ward_lookup",
        lambda: ons_geography.read_lookup(folder / FILES["lsoa_ward_lookup"]),
    )
    fixed = steps.run(
        "read ofcom_fixed_oa", lambda: ofcom_fixed.read_fixed_oa(folder / FILES["ofcom_fixed_oa"])
    )
    directory = steps.run(
        "read postcodes", lambda: ons_geography.read_postcodes(folder / FILES["postcodes"])
    )

    def oa_to_wards() -> gpd.GeoDataFrame:
        oa_ward = oa_lookup.set_index("oa_code")["lsoa_code"].map(
            best_fit.set_index("lsoa_code")["ward_code"]
        )
        columns = [c for c in fixed.columns if c.startswith("premises") or c == "matched_premises"]
        summed = joins.sum_to_wards(fixed, oa_ward, key="oa_code", columns=columns)
        table = pd.concat([summed, indicators.fixed_broadband_indicators(summed)], axis=1)
        return gpd.GeoDataFrame(
            wards.set_index("ward_code").join(table, how="left").reset_index(), crs=wards.crs
        )

    ward_table = steps.run("output areas to wards", oa_to_wards)
    placed = steps.run(
        "postcodes to wards",
        lambda: postcodes.postcodes_to_wards(directory, wards, unmatched="report"),
    )
    map_geometry = steps.run("map geometry", lambda: maps.simplify_for_map(ward_table).geometry)

    def write() -> None:
        postcode_table = directory[["postcode", "lon", "lat"]].assign(
            ward_code=placed["ward_code"], ward_method=placed["method"]
        )
        store.write_place(
            ward_table,
            {"la_code": UK, "la_name": "United Kingdom", "synthetic": True},
            store=out,
            tables={"postcodes": postcode_table},
            map_geometry=map_geometry,
        )

    steps.run("write store", write)
    result = steps.result()  # before the checks below read anything more
    truth = pd.read_parquet(folder / TRUTH)
    written = store.read_wards(UK, store=out)
    return {
        **result,
        "premises": int(written["premises"].sum()),
        "postcodes_placed": int(placed["ward_code"].notna().sum()),
        "methods": placed.attrs["methods"],
        "postcodes_in_another_ward": int(
            (placed["ward_code"].to_numpy() != truth["ward_code"].to_numpy()).sum()
        ),
    }


RUNS = {"generate": None, "floor": floor, "naive": naive, "ours": ours}


# --- the parent -------------------------------------------------------------------------------


def child(run: str, folder: Path, out: Path, extra: list[str]) -> dict:
    """Run ``run`` in a fresh Python process and return the JSON it prints."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", run, "--inputs", str(folder), "--out", str(out),
         *extra],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(done.stdout.splitlines()[-1])


def summarise(runs: list[dict]) -> dict:
    """Medians over repeated runs of each step's time and peak memory; the last run's checks."""
    steps = {
        label: statistics.median(r["steps"][label] for r in runs) for label in runs[0]["steps"]
    }
    totals = [sum(r["steps"].values()) for r in runs]
    return {
        **runs[-1],
        "steps": steps,
        "peaks": {label: statistics.median(r["peaks"][label] for r in runs) for label in steps},
        "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        "peak_max": max(r["peak_mb"] for r in runs),
        "total": statistics.median(totals),
        "spread": (min(totals), max(totals)),
    }


def check(inputs: dict, results: dict[str, dict]) -> None:
    """Assert that premises and postcodes are conserved; print what each run placed."""
    for run in ("naive", "ours"):
        assert results[run]["premises"] == inputs["premises"], (run, results[run]["premises"])
    ours = results["ours"]
    assert ours["postcodes_placed"] == inputs["postcodes"] == sum(ours["methods"].values())
    print(
        f"conserved: {inputs['premises']:,} premises in the Ofcom file, the naive ward table "
        f"and our store; ours placed all {inputs['postcodes']:,} postcodes {ours['methods']} "
        f"({ours['postcodes_in_another_ward']} in a neighbour of the ward drawn in); naive's "
        f"sjoin placed {results['naive']['postcodes_placed']:,}"
    )


def report(inputs: dict, results: dict[str, dict], repeat: int) -> None:
    """Print the table of steps, totals, ratios to the floor and peak memory."""
    base = results["floor"]["total"]
    mb = sum(inputs["bytes"].values()) / 1e6
    print(
        f"inputs: {inputs['output_areas']:,} output areas, {inputs['lsoas']:,} LSOAs, "
        f"{inputs['postcodes']:,} postcodes ({inputs['postcodes_with_new_ward_codes']:,} with "
        f"new ward codes, {inputs['authorities_reviewed']} authorities reviewed), "
        f"{inputs['wards']:,} wards; CSVs {mb:.0f} MB + wards "
        f"{inputs['wards_gpkg_bytes'] / 1e6:.1f} MB"
    )
    print(f"median of {repeat} run(s); peak MiB: the process's peak resident memory after the step")
    print(f"{'run':6} {'step':28} {'seconds':>8} {'x floor':>8} {'peak MiB':>8}")
    for run, result in results.items():
        for label, seconds in result["steps"].items():
            peak = result["peaks"][label]
            print(f"{run:6} {label:28} {seconds:8.2f} {seconds / base:8.2f} {peak:8,.0f}")
        reads = sum(t for label, t in result["steps"].items() if label.startswith("read "))
        print(f"{run:6} {'(reading steps)':28} {reads:8.2f} {reads / base:8.2f}")
        low, high = result["spread"]
        print(
            f"{run:6} {'TOTAL':28} {result['total']:8.2f} {result['total'] / base:8.2f} "
            f"{result['peak_mb']:8,.0f}   (runs {low:.2f} to {high:.2f} s; "
            f"largest peak {result['peak_max']:,.0f} MiB)"
        )
    print("targets: ours <= 2.0 x floor, peak RSS <= 1.5 GiB (1,536 MiB)")
    check(inputs, results)


def main() -> None:
    """Generate (or reuse) the inputs, run floor, naive and ours in children, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--areas", type=int, default=190_000, help="output areas")
    parser.add_argument("--postcodes", type=int, default=1_700_000, help="live postcodes")
    parser.add_argument(
        "--new-ward-share", type=float, default=0.3, help="authorities with new ward codes"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; medians shown")
    parser.add_argument("--inputs", type=Path, help="keep (or reuse) the inputs in this folder")
    parser.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--child", choices=RUNS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    wards_path = args.shared_data / WARDS_GPKG
    if args.child:
        if args.child == "generate":
            result = generate(
                args.inputs, wards_path, args.areas, args.postcodes, args.new_ward_share
            )
        else:
            warm_up()
            result = RUNS[args.child](args.inputs, wards_path, args.out)
        print(json.dumps(result))
        return
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.inputs or Path(tmp) / "inputs"
        folder.mkdir(parents=True, exist_ok=True)
        sizes = ["--areas", str(args.areas), "--postcodes", str(args.postcodes),
                 "--new-ward-share", str(args.new_ward_share),
                 "--shared-data", str(args.shared_data)]  # fmt: skip
        summary = folder / SUMMARY
        wanted = {
            "output_areas": args.areas,
            "postcodes": args.postcodes,
            "new_ward_share": args.new_ward_share,
        }
        reuse = summary.is_file() and all(
            json.loads(summary.read_text()).get(k) == v for k, v in wanted.items()
        )
        inputs = (
            json.loads(summary.read_text()) if reuse else child("generate", folder, folder, sizes)
        )
        runs: dict[str, list[dict]] = {"floor": [], "naive": [], "ours": []}
        for i in range(args.repeat):  # interleaved, so a busy spell slows every run alike
            for run, done in runs.items():
                done.append(child(run, folder, Path(tmp) / f"{run}{i}", sizes))
    report(inputs, {run: summarise(done) for run, done in runs.items()}, args.repeat)
    print(f"load average (1 min) {load:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
