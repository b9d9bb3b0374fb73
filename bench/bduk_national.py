"""Benchmark: a national BDUK "Premises in BDUK plans" set counted by ward, against pyarrow.

Generates a national-size set in the real layout (:data:`ingest.sources.bduk.HEADER_2025`, header
verbatim, flags ``true``/``false``): ``--rows`` premises (default 30,000,000) in one CSV per
local authority district of England and Wales, in one folder per region (the national release
is zipped by region), in a temporary folder under ``/tmp``. The authorities, their names and
their wards are the real ones of ONS's ward to local authority lookup (December 2023) in
``../shared/data``; Coventry (``E08000026``) has 186,000 premises, as in the real file, and
the others premises in proportion to their wards, drawn around it. A postcode directory of
``--postcodes`` postcodes (default 1,700,000) maps each postcode to a ward of its authority
(a few to no ward); premises take a postcode of their authority, some written in lower case
or without the space, some blank, malformed or absent from the directory, as a real file has.
Each file is built column by column with pyarrow (no loop over rows) and written as bytes.

Then, each in its own child process so that each peak resident memory is its own:

- **floor**: ``pyarrow.csv.read_csv`` of every file in turn (all 28 columns, types inferred,
  threaded), keeping nothing: parsing alone;
- **ours**: :func:`ingest.sources.bduk_national.plans_by_area_national` on every file (DuckDB, with
  every check of the one-authority reader);
- **naive**: :func:`ingest.sources.bduk.read_bduk_premises` of each file (pandas), the columns
  :func:`geo.gigabit.plans_by_area` uses kept, ``pandas.concat``, then ``plans_by_area``;
- **one authority**: :func:`ingest.sources.bduk.read_bduk_premises` of Coventry's file alone.

Prints every run's time, its ratio to the floor, each process's peak resident memory, checks
that every row is counted (rows read = placed + not placed, and equal to the rows generated and
to the rows pyarrow read) and that ours equals naive exactly. Run from the project root::

    python bench/bduk_national.py                          # 30,000,000 rows, 1,700,000 postcodes
    python bench/bduk_national.py --rows 3000000 --postcodes 170000    # a quick run
    python bench/bduk_national.py --repeat 3 --inputs /tmp/bduk_national  # medians; keep inputs

The parent process imports nothing heavy (the runs import numpy, pandas and the project inside
their functions) and holds no data: on Linux a child's ``ru_maxrss`` starts from its parent's
peak, so a large parent would hide the children's own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The real ward -> local authority lookup, under --shared-data.
LOOKUP = (
    "ons_ward_lad_lookups/"
    "Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv"
)
#: The authority whose file stands for "one authority's file" (186,000 rows in the real one).
ONE_LA = "E08000026"
ONE_LA_ROWS = 186_000
NATIONAL_ROWS = 30_000_000
RELEASE = "premises-in-bduk-plans-2025-07"
DIRECTORY = "postcode_ward.parquet"
SUMMARY = "inputs.json"
SEED = 20251114
#: The 20 letters ONS uses in the inward code of a postcode.
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
#: Share of premises rows: BDUK recognised, each subsidy status (BDUK's order), each flag true.
RECOGNISED = 0.97
STATUS_SHARES = {
    "Gigabit White": 0.08,
    "Gigabit Grey": 0.30,
    "Gigabit Black": 0.55,
    "Gigabit Grey/Black": 0.02,
    "Gigabit Under Review": 0.05,
}
FLAG_SHARES = {
    "current_gigabit": 0.78,
    "future_gigabit": 0.10,
    "bduk_gis": 0.05,
    "bduk_vouchers": 0.01,
    "bduk_superfast": 0.20,
    "bduk_hubs": 0.003,
}
#: Share of premises whose postcode is written otherwise than in the directory's form.
POSTCODE_SHARES = {
    "blank": 0.003,
    "malformed": 0.0005,
    "not in the directory": 0.001,
    "lower case": 0.02,
    "no space": 0.01,
}
#: Share of directory postcodes in no ward.
NO_WARD = 0.0005
SUPPLIERS = ["Openreach", "CityFibre", "Wildanet", '"Connexin, Ltd"', "Gigaclear"]


def peak_mb() -> float:
    """Peak resident memory of this process so far, MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- inputs -----------------------------------------------------------------------------------


def _cell(name: str) -> str:
    """A CSV cell of ``name``: quoted if it holds a comma, as BDUK's files are."""
    return f'"{name}"' if "," in name else name


def _postcodes(count: int):
    """``count`` distinct postcodes in the one-space form, as a pyarrow string array."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    i = np.arange(count)
    areas = pa.array([a + b for a in "ABCDEFGHIJKLMNOPRSTUWY" for b in "ABCDEFGHIJKLMNOPRSTUWY"])
    parts = [
        areas.take(i // 400_000),
        pa.array([str(d) for d in range(100)]).take((i // 4_000) % 100),
        pa.array([f" {s}" for s in range(10)]).take((i // 400) % 10),
        pa.array([a + b for a in UNIT_LETTERS for b in UNIT_LETTERS]).take(i % 400),
    ]
    return pc.binary_join_element_wise(*parts, "")


def _choose(rng, shares: dict[str, float], n: int):
    """Index into ``shares`` for each of ``n`` rows, drawn with those probabilities."""
    import numpy as np

    p = np.array(list(shares.values()))
    return rng.choice(len(p), size=n, p=p / p.sum())


def _flag(rng, share: float, n: int):
    """``n`` flags as BDUK writes them (``true``/``false``), ``share`` of them true."""
    import pyarrow as pa

    true = rng.random(n) < share
    return pa.array(true), pa.array(["false", "true"]).take(true.view("int8"))


def _file_bytes(cells: list) -> memoryview:
    """The CSV body of equal-length pyarrow string columns: cells joined by commas, LF ends."""
    import numpy as np
    import pyarrow.compute as pc

    lines = pc.binary_join_element_wise(*cells, ",")
    lines = pc.binary_join_element_wise(lines, "", "\n")  # each line, then "\n"
    end = int(np.frombuffer(lines.buffers()[1], np.int32)[len(lines)])
    return memoryview(lines.buffers()[2])[:end]


def _authority_table(rng, la: dict, n: int, first_uprn: int, directory) -> tuple[list, int]:
    """The 28 columns of one authority's file (text, file order), and its last UPRN."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    uprn = first_uprn + np.cumsum(rng.integers(1, 40, n))
    text_uprn = pc.cast(pa.array(uprn), pa.string())
    _, recognised = _flag(rng, RECOGNISED, n)
    own = directory.slice(la["postcode_start"], la["postcodes"])
    postcode = own.take(rng.integers(0, len(own), n))
    kind = rng.random(n)
    edges = np.cumsum(list(POSTCODE_SHARES.values()))
    how = np.searchsorted(edges, kind, side="right")  # 0..4 a kind above, 5 as the directory
    absent = pa.array(
        [f"Z{chr(65 + i % 26)}{i % 9 + 1} {i % 10}{UNIT_LETTERS[i % 20]}{UNIT_LETTERS[i % 7]}"
         for i in range(64)]
    ).take(rng.integers(0, 64, n))  # fmt: skip
    malformed = pa.array(["UNKNOWN", "M1", "12345", "N/A"]).take(rng.integers(0, 4, n))
    postcode = pc.if_else(how == 0, "", postcode)
    postcode = pc.if_else(how == 1, malformed, postcode)
    postcode = pc.if_else(how == 2, absent, postcode)
    postcode = pc.if_else(how == 3, pc.utf8_lower(postcode), postcode)
    postcode = pc.if_else(how == 4, pc.replace_substring(postcode, " ", ""), postcode)
    status = pa.array(list(STATUS_SHARES)).take(_choose(rng, STATUS_SHARES, n))
    flags = {name: _flag(rng, share, n) for name, share in FLAG_SHARES.items()}
    lot = int(rng.integers(1, 40))

    def when(flag: str, values):
        return pc.if_else(flags[flag][0], pa.array(values).take(rng.integers(0, len(values), n)),
                          "")  # fmt: skip

    def same(value: str):
        return pa.array(np.full(n, value))

    cells = [
        text_uprn,
        text_uprn,
        recognised,
        same(la["country"]),
        postcode,
        same(str(lot)),
        same(f"{la['region_name']} lot {lot}"),
        status,
        flags["current_gigabit"][1],
        flags["future_gigabit"][1],
        same(la["la_code"]),
        same(_cell(la["la_name"])),
        same(la["region_code"]),
        same(la["region_name"]),
        flags["bduk_gis"][1],
        when("bduk_gis", ["Full", "Partial"]),
        when("bduk_gis", ["2026-03-31", "2027-09-30", "2028-12-31"]),
        when("bduk_gis", [f"Project Gigabit {la['region_name']} Lot {lot}"]),
        when("bduk_gis", SUPPLIERS),
        flags["bduk_vouchers"][1],
        when("bduk_vouchers", ["Gigabit Broadband Voucher Scheme"]),
        when("bduk_vouchers", SUPPLIERS),
        flags["bduk_superfast"][1],
        when("bduk_superfast", [f"Superfast {la['region_name']}"]),
        when("bduk_superfast", SUPPLIERS[:2]),
        flags["bduk_hubs"][1],
        when("bduk_hubs", ["Gigabit Hubs"]),
        when("bduk_hubs", SUPPLIERS),
    ]
    return cells, int(uprn[-1])


def generate(folder: Path, lookup_path: Path, rows: int, n_postcodes: int) -> dict:
    """Write the national set and the postcode directory into ``folder``; return a summary."""
    import numpy as np
    import pandas as pd

    from ingest.sources import bduk, ons_geography

    start = time.perf_counter()
    rng = np.random.default_rng(SEED)
    wards = ons_geography.read_lookup(lookup_path)
    wards = wards[wards["la_code"].str[0].isin(["E", "W"])].sort_values(["la_code", "ward_code"])
    las = wards.groupby("la_code").agg(la_name=("la_name", "first"), wards=("ward_code", "size"))
    weight = las["wards"].to_numpy() * rng.lognormal(0, 0.35, len(las))
    one = las.index.get_loc(ONE_LA)
    one_rows = min(ONE_LA_ROWS, round(rows * ONE_LA_ROWS / NATIONAL_ROWS))
    weight[one] = 0
    share = weight / weight.sum() * (rows - one_rows)
    premises = np.floor(share).astype(int)
    premises[np.argsort(share - premises)[::-1][: rows - one_rows - premises.sum()]] += 1
    premises[one] = one_rows
    las["premises"] = premises
    english = las.index.str.startswith("E")
    las["region_code"] = np.where(
        english, [f"E1200000{1 + k % 9}" for k in range(len(las))], "W92000004"
    )
    las["region_name"] = np.where(english, [f"Region {1 + k % 9}" for k in range(len(las))],
                                  "Wales")  # fmt: skip
    las["country"] = np.where(english, "England", "Wales")

    # directory: each authority's postcodes in proportion to its premises, over its wards
    las["postcodes"] = np.maximum(1, np.round(premises / rows * n_postcodes)).astype(int)
    las["postcode_start"] = np.concatenate([[0], np.cumsum(las["postcodes"])[:-1]])
    total_postcodes = int(las["postcodes"].sum())
    directory = _postcodes(total_postcodes)
    ward_codes = wards["ward_code"].to_numpy()
    first_ward = wards.groupby("la_code").cumcount().to_numpy() == 0
    ward_start = pd.Series(np.flatnonzero(first_ward), index=wards["la_code"][first_ward])
    la_of_postcode = np.repeat(np.arange(len(las)), las["postcodes"])
    offset = rng.integers(0, 1 << 30, total_postcodes) % las["wards"].to_numpy()[la_of_postcode]
    ward = ward_codes[ward_start.reindex(las.index).to_numpy()[la_of_postcode] + offset]
    ward = np.where(rng.random(total_postcodes) < NO_WARD, None, ward)
    pd.DataFrame(
        {"postcode": directory.to_numpy(zero_copy_only=False), "ward_code": ward}
    ).to_parquet(folder / DIRECTORY, index=False)

    header = (",".join(bduk.HEADER_2025) + "\n").encode()
    uprn = 10_000_000
    for code, la in las.iterrows():
        cells, uprn = _authority_table(rng, {"la_code": code, **la}, int(la["premises"]), uprn,
                                       directory)  # fmt: skip
        region = folder / RELEASE / la["region_name"].replace(" ", "-").lower()
        region.mkdir(parents=True, exist_ok=True)
        with open(region / f"{code}.csv", "wb") as out:
            out.write(header)
            out.write(_file_bytes(cells))
    files = sorted((folder / RELEASE).rglob("*.csv"))
    return {
        "rows": int(las["premises"].sum()),
        "files": len(files),
        "postcodes": total_postcodes,
        "wards": len(wards),
        "one_la_rows": one_rows,
        "bytes": sum(p.stat().st_size for p in files),
        "seconds": time.perf_counter() - start,
        "peak_mb": peak_mb(),
    }


# --- the runs, each in its own process --------------------------------------------------------


def _files(folder: Path) -> list[Path]:
    """The authorities' CSVs under ``folder``, in name order."""
    return sorted((folder / RELEASE).rglob("*.csv"))


def _directory(folder: Path):
    """The postcode -> ward Series every counting run is given (read before its clock starts)."""
    import pandas as pd

    return pd.read_parquet(folder / DIRECTORY).set_index("postcode")["ward_code"]


def _save(placed, out: Path) -> None:
    """Keep a run's result for the exact comparison of the runs that follow."""
    placed.counts.to_parquet(out.with_suffix(".counts.parquet"))
    placed.not_placed.to_frame().to_parquet(out.with_suffix(".not_placed.parquet"))


def _same_as(placed, ours: Path) -> bool:
    """Whether ``placed`` equals the result ``ours`` saved, exactly."""
    import pandas as pd

    counts = pd.read_parquet(ours.with_suffix(".counts.parquet"))
    not_placed = pd.read_parquet(ours.with_suffix(".not_placed.parquet")).iloc[:, 0]
    return counts.equals(placed.counts) and not_placed.equals(placed.not_placed)


def _conserved(placed) -> bool:
    """Whether placed recognised + placed not recognised + not placed = rows read."""
    counted = int(placed.counts[["bduk_premises", "bduk_premises_not_recognised"]].sum().sum())
    return counted + int(placed.not_placed.sum()) == placed.rows


def floor(folder: Path, out: Path, limit: int | None) -> dict:
    """pyarrow.csv.read_csv of every file in turn, all columns, types inferred: parsing only."""
    import pyarrow.csv

    rows = 0
    start = time.perf_counter()
    for path in _files(folder):
        rows += pyarrow.csv.read_csv(path).num_rows
    return {"seconds": time.perf_counter() - start, "rows": rows, "peak_mb": peak_mb()}


def ours(folder: Path, out: Path, limit: int | None) -> dict:
    """ingest.sources.bduk_national.plans_by_area_national on every file."""
    from ingest.sources.bduk_national import plans_by_area_national

    directory = _directory(folder)
    loaded = peak_mb()
    start = time.perf_counter()
    placed = plans_by_area_national(_files(folder), directory)
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "peak_mb": peak_mb(), "directory_peak_mb": loaded}
    _save(placed, out / "ours")
    not_placed = {reason: int(n) for reason, n in placed.not_placed.items()}
    return {**result, "rows": placed.rows, "conserved": _conserved(placed),
            "not_placed": not_placed, "areas": len(placed.counts)}  # fmt: skip


def naive(folder: Path, out: Path, limit: int | None) -> dict:
    """read_bduk_premises of each file (the columns plans_by_area uses), concat, plans_by_area.

    ``limit``: read files in order until this many rows (the rest is left out, and said so).
    """
    import pandas as pd

    from geo.gigabit import plans_by_area
    from ingest.sources.bduk import read_bduk_premises

    directory = _directory(folder)
    loaded = peak_mb()
    start = time.perf_counter()
    frames, rows, files = [], 0, 0
    for path in _files(folder):
        if limit is not None and rows >= limit:
            break
        frames.append(read_bduk_premises(path)[USED])
        rows += len(frames[-1])
        files += 1
    read = time.perf_counter() - start
    placed = plans_by_area(pd.concat(frames, ignore_index=True), directory)
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "read_s": read, "peak_mb": peak_mb(), "directory_peak_mb": loaded}
    full = files == len(_files(folder))
    return {**result, "rows": placed.rows, "files": files, "conserved": _conserved(placed),
            "equal_to_ours": _same_as(placed, out / "ours") if full else None}  # fmt: skip


#: Columns of read_bduk_premises that geo.gigabit.plans_by_area uses.
USED = [
    "uprn", "postcode", "postcode_problem", "recognised", "current_gigabit",
    "future_gigabit", "in_gis_contract", "in_voucher_project", "subsidy_status",
]  # fmt: skip
#: Tasks the dask run splits the files into (plans_by_area has a fixed cost of about a second
#: a call with a national directory, so one task per file would mostly pay that).
DASK_TASKS = 16


def _plans_of_files(paths: list[Path], directory, areas):
    """On a dask worker: some files read, counted together, and their UPRNs."""
    import pandas as pd

    from geo.gigabit import plans_by_area
    from ingest.sources.bduk import read_bduk_premises

    premises = pd.concat([read_bduk_premises(p)[USED] for p in paths], ignore_index=True)
    return plans_by_area(premises, directory, areas=areas), premises["uprn"].to_numpy()


def on_dask(folder: Path, out: Path, limit: int | None) -> dict:
    """The naive run's work on a dask LocalCluster of 2 processes: the engine not chosen."""
    import dask
    import numpy as np
    import pandas as pd
    from distributed import Client, LocalCluster

    from geo.gigabit import PlacedPlans

    directory = _directory(folder)
    areas = pd.Index(directory.dropna().unique())
    files = _files(folder)
    size = -(-len(files) // DASK_TASKS)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        client.run(__import__, "ingest.sources.bduk")  # imports are start-up, not work
        shared = client.scatter([directory, areas], broadcast=True)
        start = time.perf_counter()
        tasks = [dask.delayed(_plans_of_files)(files[i : i + size], *shared)
                 for i in range(0, len(files), size)]  # fmt: skip
        parts = dask.compute(tasks)[0]
        uprn = np.concatenate([u for _, u in parts])
        uprn.sort()
        repeats = int((uprn[1:] == uprn[:-1]).sum())
        placed = PlacedPlans(
            counts=sum(p.counts for p, _ in parts),
            not_placed=sum(p.not_placed for p, _ in parts),
            rows=sum(p.rows for p, _ in parts),
        )
        seconds = time.perf_counter() - start
        workers = client.run(peak_mb)
    return {"seconds": seconds, "peak_mb": max(workers.values()), "client_peak_mb": peak_mb(),
            "rows": placed.rows, "repeats": repeats, "conserved": _conserved(placed),
            "equal_to_ours": _same_as(placed, out / "ours")}  # fmt: skip


def one_authority(folder: Path, out: Path, limit: int | None) -> dict:
    """ingest.sources.bduk.read_bduk_premises of the 186,000-row file alone."""
    from ingest.sources.bduk import read_bduk_premises

    (path,) = (folder / RELEASE).rglob(f"{ONE_LA}.csv")
    start = time.perf_counter()
    premises = read_bduk_premises(path)
    return {"seconds": time.perf_counter() - start, "rows": len(premises), "peak_mb": peak_mb()}


#: Runs measured in the first --slow-repeat rounds only.
SLOW = ("naive", "dask")
RUNS = {"floor": floor, "ours": ours, "naive": naive, "dask": on_dask, "one": one_authority}
LABELS = {
    "floor": "pyarrow.csv.read_csv, every file (floor)",
    "ours": "plans_by_area_national (DuckDB)",
    "naive": "read_bduk_premises each + concat + plans_by_area",
    "dask": "the same on dask, 2 worker processes",
    "one": "read_bduk_premises, one 186,000-row file",
}


# --- the parent -------------------------------------------------------------------------------


#: A child is stopped when the machine has less memory than this left (MiB): the naive run
#: holds every premises in pandas and other work shares the machine.
MEMORY_FLOOR_MB = 2_048


def available_mb() -> float:
    """Memory the machine has available (``MemAvailable`` of /proc/meminfo), MiB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def child(run: str, folder: Path, out: Path, extra: list[str]) -> dict:
    """Run ``run`` in a fresh Python process and return the JSON it prints.

    The child is stopped, and the run reported as stopped, if the machine runs short of memory.
    """
    with subprocess.Popen(
        [sys.executable, __file__, "--child", run, "--inputs", str(folder), "--out", str(out),
         *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    ) as process:  # fmt: skip
        while process.poll() is None:
            if available_mb() < MEMORY_FLOOR_MB:
                process.kill()
                return {"stopped": f"less than {MEMORY_FLOOR_MB:,} MiB of memory left"}
            time.sleep(0.5)
        stdout, stderr = process.communicate()
    if process.returncode:
        raise RuntimeError(f"{run} failed:\n{stderr}")
    return json.loads(stdout.splitlines()[-1])


def fitting_rows(folder: Path, rows: int) -> int:
    """``rows``, or fewer if the CSVs (about 170 bytes a row, plus a tenth) would not fit."""
    free = shutil.disk_usage(folder).free
    fits = int(free / 1.1 / 170)
    if fits < rows:
        print(f"only {free / 1e9:.1f} GB free under {folder}: {rows:,} rows will not fit; "
              f"measuring {fits:,} rows instead")  # fmt: skip
        return fits
    print(f"{free / 1e9:.1f} GB free under {folder}: room for {fits:,} rows")
    return rows


def report(inputs: dict, results: dict[str, list[dict]], repeat: int) -> None:
    """Print the table of medians, ratios to the floor and peaks, and check the totals."""
    median = {run: statistics.median(r["seconds"] for r in done) for run, done in results.items()}
    base = median["floor"]
    print(
        f"inputs: {inputs['rows']:,} premises rows in {inputs['files']} files "
        f"({inputs['bytes'] / 1e9:.2f} GB), {inputs['postcodes']:,} postcodes in "
        f"{inputs['wards']:,} wards; generated in {inputs['seconds']:.0f} s"
    )
    print(f"median of {repeat} run(s) each, interleaved; peak MiB: the process's peak RSS")
    print(f"{'run':50} {'seconds':>8} {'x floor':>8} {'peak MiB':>9}   runs")
    for run, done in results.items():
        peak = max(r["peak_mb"] for r in done)
        spread = ", ".join(f"{r['seconds']:.1f}" for r in done)
        print(f"{LABELS[run]:50} {median[run]:8.2f} {median[run] / base:8.2f} {peak:9,.0f}   "
              f"{spread}")  # fmt: skip
    ours = results["ours"][-1]
    print(f"ours: directory loaded before the clock, peak then {ours['directory_peak_mb']:,.0f} "
          f"MiB; {ours['areas']:,} wards; not placed {ours['not_placed']}")  # fmt: skip
    if "naive" in results:
        naive = results["naive"][-1]
        print(f"naive: {naive['files']} files, {naive['rows']:,} rows (reading "
              f"{naive['read_s']:.1f} s); equal to ours: {naive['equal_to_ours']}")  # fmt: skip
    if "dask" in results:
        dask = results["dask"][-1]
        print(f"dask: client peak {dask['client_peak_mb']:,.0f} MiB; equal to ours: "
              f"{dask['equal_to_ours']}; repeated UPRNs {dask['repeats']}")  # fmt: skip
    print("targets: ours <= 3x the floor, peak <= 2 GB (2,048 MiB); one file in seconds")
    rows = inputs["rows"]
    for run in ("floor", "ours", "dask"):
        for r in results.get(run, []):
            assert r["rows"] == rows, (run, r["rows"], rows)
    for run in ("ours", "naive", "dask"):
        for r in results.get(run, []):
            assert r["conserved"], run
            assert r.get("equal_to_ours") in (True, None), run
    print(
        f"conserved: {rows:,} rows generated = rows pyarrow read = rows counted by ours "
        "(placed recognised + placed not recognised + not placed), in every run"
    )


def main() -> None:
    """Generate (or reuse) the inputs, run each contender in children, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=NATIONAL_ROWS, help="premises rows")
    parser.add_argument("--postcodes", type=int, default=1_700_000, help="directory postcodes")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; medians shown")
    parser.add_argument(
        "--slow-repeat", type=int, default=1, help="runs of naive and dask (the first rounds)"
    )
    parser.add_argument("--naive-rows", type=int, help="naive: read files until this many rows")
    parser.add_argument("--skip", nargs="*", default=[], choices=list(RUNS), help="runs left out")
    parser.add_argument("--inputs", type=Path, help="keep (or reuse) the inputs in this folder")
    parser.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--child", choices=["generate", *RUNS], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "generate":
        result = generate(args.inputs, args.shared_data / LOOKUP, args.rows, args.postcodes)
    elif args.child:
        result = RUNS[args.child](args.inputs, args.out, args.naive_rows)
    if args.child:
        print(json.dumps(result))
        return
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bduk_national_", dir="/tmp") as tmp:
        folder = args.inputs or Path(tmp) / "inputs"
        folder.mkdir(parents=True, exist_ok=True)
        summary = folder / SUMMARY
        wanted = {"rows": args.rows, "postcodes": args.postcodes}
        known = json.loads(summary.read_text()) if summary.is_file() else {}
        if all(known.get("asked", {}).get(k) == v for k, v in wanted.items()):
            inputs = known
        else:
            rows = fitting_rows(folder, args.rows)
            sizes = ["--rows", str(rows), "--postcodes", str(args.postcodes),
                     "--shared-data", str(args.shared_data)]  # fmt: skip
            inputs = child("generate", folder, folder, sizes) | {"asked": wanted}
            summary.write_text(json.dumps(inputs, indent=1))
        extra = [] if args.naive_rows is None else ["--naive-rows", str(args.naive_rows)]
        runs = [run for run in RUNS if run not in args.skip]
        results: dict[str, list[dict]] = {run: [] for run in runs}
        for i in range(args.repeat):  # interleaved, so a busy spell slows every run alike
            for run in runs:
                if run in SLOW and i >= args.slow_repeat:
                    continue
                done = child(run, folder, Path(tmp), extra)
                if "stopped" in done:
                    print(f"  {run}: stopped, {done['stopped']}", flush=True)
                    continue
                results[run].append(done)
                print(f"  {run}: {done['seconds']:.1f} s", flush=True)
        results = {run: done for run, done in results.items() if done}
    report(inputs, results, args.repeat)
    print(f"load average (1 min) {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after (2 vCPUs)")


if __name__ == "__main__":
    main()
