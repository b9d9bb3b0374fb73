"""Rank sensitivity of the ward card: weighted means of indicators scaled once, against naive.

Run from the project root::

    python bench/rank_sensitivity.py [--shared-data ../shared/data] [--repeat 5]

``geo.index.rank_sensitivity`` moves every weight by 2, one at a time (44 changes with this
tool's weights, 24 with DERI's), and ranks the wards again. Cases, all measured in one run, for
both weightings of ``geo.index.PRESETS``:

- the demo place (Demoshire, 28 wards), generated and built into a temporary store;
- Trafford (E08000009, 21 wards), built from ``--shared-data`` when that folder is present
  (about a minute).

Paths, both from the ward table as the store gives it (a GeoDataFrame):

- naive: ``compute_index`` from scratch for each changed weighting, then the ranks compared
  (the code before issue 16, written out here);
- ours: ``rank_sensitivity``, which scales each indicator once for every weighting and takes
  only the weighted means for each change.

Both must give the same DataFrame, attrs included (checked here, and in tests/test_index.py).
Times are the median of ``--repeat`` runs. The target (issue 16) prints PASS or FAIL: a ward
click, which shows the ward's rank range, settles in the browser within 0.3 s, so
``rank_sensitivity`` must take less. The exit code is 0 either way (the numbers are copied
into BENCHMARKS.md by hand).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from geo import index
from ingest import build, demo, store

SHARED_DATA = Path("../shared/data")
TRAFFORD = "E08000009"
STEP = 2
CLICK_SECONDS = 0.3


def naive(wards: pd.DataFrame, spec: index.IndexSpec) -> pd.DataFrame:
    """``rank_sensitivity`` as it was: ``compute_index`` afresh for every one-weight change."""
    base = index.compute_index(wards, spec)
    ranks: dict[str, pd.Series] = {}
    skipped: list[str] = []
    for label, changed in index._one_weight_changes(spec, STEP):
        try:
            ranks[label] = index.compute_index(wards, changed)["risk_rank"]
        except index.EmptyIndexError:
            skipped.append(label)
    moved = pd.DataFrame(ranks, index=wards.index).astype(float)
    every = pd.concat([base["risk_rank"].astype(float), moved], axis=1)
    shift = moved.sub(base["risk_rank"].astype(float), axis=0).abs().fillna(0)
    result = pd.DataFrame(
        {
            "risk_rank": base["risk_rank"],
            "rank_best": every.min(axis=1).astype("Int64"),
            "rank_worst": every.max(axis=1).astype("Int64"),
        },
        index=wards.index,
    )
    result["rank_range"] = result["rank_worst"] - result["rank_best"]
    result["most_sensitive_to"] = shift.idxmax(axis=1).where(shift.max(axis=1) > 0)
    result.loc[result["risk_rank"].isna(), ["rank_best", "rank_worst", "rank_range"]] = pd.NA
    result.attrs = {
        "step": STEP,
        "changes": list(ranks),
        "skipped": skipped,
        "notes": base.attrs["notes"],
    }
    return result


def median_time(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` runs, seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=SHARED_DATA)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{dt.datetime.now():%Y-%m-%d %H:%M}  Python {platform.python_version()}  "
        f"{platform.machine()}  {os.cpu_count()} CPUs  load {load}  "
        f"pandas {version('pandas')}  numpy {version('numpy')}"
    )
    print(f"median of {args.repeat} runs; every weight moved by {STEP}, one at a time\n")
    with tempfile.TemporaryDirectory() as tmp:
        sources, store_dir = Path(tmp) / "demo_sources", Path(tmp) / "store"
        demo.write_demo_sources(sources)
        build.build_place(
            demo.DEMO_LA_CODE, sources, store_dir=store_dir, synthetic=True, verbose=False
        )
        places = {"Demoshire": demo.DEMO_LA_CODE}
        if args.shared_data.is_dir():
            build.build_place(TRAFFORD, args.shared_data, store_dir=store_dir, verbose=False)
            places["Trafford"] = TRAFFORD
        else:
            print(f"{args.shared_data} not found: Trafford skipped", file=sys.stderr)
        print(
            f"{'place':<10} {'wards':>5} {'weighting':<9} {'changes':>7} {'naive s':>8} "
            f"{'ours s':>7} {'ratio':>7}"
        )
        slowest = 0.0
        for place, la_code in places.items():
            wards = store.read_wards(la_code, store=store_dir)
            for key, preset in index.PRESETS.items():
                ours = index.rank_sensitivity(wards, preset.spec, step=STEP)
                slow = naive(wards, preset.spec)
                pd.testing.assert_frame_equal(ours, slow, check_exact=True)
                assert ours.attrs == slow.attrs, (place, key)
                naive_s = median_time(lambda w=wards, s=preset.spec: naive(w, s), args.repeat)
                ours_s = median_time(
                    lambda w=wards, s=preset.spec: index.rank_sensitivity(w, s, step=STEP),
                    args.repeat,
                )
                slowest = max(slowest, ours_s)
                print(
                    f"{place:<10} {len(wards):>5} {key:<9} {len(ours.attrs['changes']):>7} "
                    f"{naive_s:>8.3f} {ours_s:>7.3f} {naive_s / ours_s:>6.1f}x"
                )
    print("\nsame DataFrame and attrs both ways for every case")
    print("\ntargets")
    print(
        f"  {verdict(slowest <= CLICK_SECONDS)}  rank_sensitivity <= {CLICK_SECONDS} s "
        f"(slowest case {slowest:.3f} s)"
    )


if __name__ == "__main__":
    main()
