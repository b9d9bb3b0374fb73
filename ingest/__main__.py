"""Command line: ``python -m ingest demo``, ``download`` and ``build``.

Examples
--------
Build the synthetic demo place (what ``make run`` does on a fresh clone)::

    python -m ingest demo

Fetch one local authority's source files from the official publishers, then build it::

    python -m ingest download --la trafford
    python -m ingest build --la E08000009 --sources data/cache/E08000009

Build from files already on disk (no network needed; a council network may block downloads)::

    python -m ingest build --la Trafford --sources ~/Downloads/dim-sources

With Ofcom's written permission, fetch premises-level coverage from Ofcom's API (key in
``OFCOM_API_KEY``): a sample of each ward first, then the rest; the next build uses it::

    python -m ingest ofcom-api --la Trafford --sources DIR --ofcom-permission "REF" \
        --sample-per-ward 10
    python -m ingest ofcom-api --la Trafford --sources DIR --ofcom-permission "REF"

With a Stat-Xplore key (free, in ``STATXPLORE_API_KEY``), fetch DWP's Pension Credit
claimants (or people on Universal Credit) by LSOA into the folder, for the build to find::

    python -m ingest dwp --la Trafford --sources DIR
    python -m ingest dwp --la Trafford --sources DIR --benefit universal_credit --month 202505
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from ingest import build, demo, download, settings, web_assets
from ingest._errors import IngestError
from ingest.discover import discover
from ingest.sources import dwp_statxplore, ofcom_api, ons_geography


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", type=Path, help="store folder (default data/store)")
    common.add_argument("--quiet", action="store_true", help="no progress output")
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    demo_cmd = commands.add_parser(
        "demo", parents=[common], help="generate the synthetic demo place and build it"
    )
    demo_cmd.add_argument(
        "--sources",
        type=Path,
        default=settings.PROJECT_ROOT / "data" / "demo_sources",
        help="where to write the generated demo source files",
    )
    demo_cmd.add_argument("--seed", type=int, default=demo.DEMO_SEED)
    build_cmd = commands.add_parser(
        "build", parents=[common], help="build one local authority from local files"
    )
    build_cmd.add_argument(
        "--la", required=True, help="ONS local authority code (E08000009) or name (Trafford)"
    )
    build_cmd.add_argument("--sources", type=Path, required=True, help="folder of source files")
    build_cmd.add_argument(
        "--release",
        action="append",
        default=[],
        metavar="GROUP=RELEASE",
        help="use this release instead of the newest, e.g. iod=2019",
    )
    fetch_cmd = commands.add_parser(
        "download",
        parents=[common],
        help="fetch one local authority's source files from the official publishers",
    )
    fetch_cmd.add_argument(
        "--la", required=True, help="ONS local authority code (E08000009) or name (Trafford)"
    )
    fetch_cmd.add_argument(
        "--dest", type=Path, help="folder to fill (default: the download cache / <code>)"
    )
    fetch_cmd.add_argument(
        "--release",
        action="append",
        default=[],
        metavar="GROUP=RELEASE",
        help="release of one source group, e.g. iod=2025 (repeatable)",
    )
    fetch_cmd.add_argument(
        "--only", action="append", metavar="GROUP", help="fetch only this group (repeatable)"
    )
    api_cmd = commands.add_parser(
        "ofcom-api",
        parents=[common],
        help="fetch premises-level coverage from Ofcom's API (needs Ofcom's permission)",
    )
    api_cmd.add_argument("--la", required=True, help="ONS local authority code or name")
    api_cmd.add_argument(
        "--sources", type=Path, required=True, help="folder holding the ONS postcode directory"
    )
    api_cmd.add_argument(
        "--ofcom-permission",
        default="",
        metavar="REFERENCE",
        help="Ofcom's reference for the written permission to build ward figures (required)",
    )
    api_cmd.add_argument(
        "--retention-days",
        type=int,
        help="how long the permission lets the answers be kept (default: the terms' 30 days)",
    )
    api_cmd.add_argument("--only", choices=sorted(ofcom_api.ENDPOINTS), help="one endpoint only")
    api_cmd.add_argument(
        "--rate", type=float, default=ofcom_api.CALLS_PER_MINUTE, help="calls a minute at most"
    )
    api_cmd.add_argument("--max-calls", type=int, help="stop after this many calls")
    api_cmd.add_argument(
        "--sample-per-ward", type=int, metavar="N", help="fetch a seeded sample of N per ward"
    )
    api_cmd.add_argument("--seed", type=int, default=0, help="seed of the sample")
    dwp_cmd = commands.add_parser(
        "dwp",
        parents=[common],
        help="fetch DWP Pension Credit or Universal Credit by LSOA from Stat-Xplore (needs a key)",
    )
    dwp_cmd.add_argument("--la", required=True, help="ONS local authority code or name")
    dwp_cmd.add_argument(
        "--sources", type=Path, required=True, help="folder holding the LSOA to ward lookup"
    )
    dwp_cmd.add_argument(
        "--benefit", choices=sorted(dwp_statxplore.QUERIES), default="pension_credit"
    )
    dwp_cmd.add_argument("--month", help="YYYYMM (default: the newest Stat-Xplore holds)")
    dwp_cmd.add_argument("--dest", type=Path, help="folder to write to (default: --sources)")
    for name in dwp_statxplore.Query.IDENTIFIERS:
        dwp_cmd.add_argument(
            f"--{name.replace('_', '-')}",
            help=f"Stat-Xplore identifier replacing the query's {name}",
        )
    commands.add_parser("assets", help="copy Leaflet into static/ so maps draw without a CDN")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "assets":
        print(f"Leaflet installed in {web_assets.install_leaflet()}")
        return 0
    store_dir = args.store or settings.store_dir()
    try:
        if args.command == "download":
            return _download(args)
        if args.command == "ofcom-api":
            return _ofcom_api(args)
        if args.command == "dwp":
            return _dwp(args)
        if args.command == "demo":
            demo.write_demo_sources(args.sources, seed=args.seed)
            place = build.build_place(
                demo.DEMO_LA_CODE, args.sources, store_dir=store_dir, synthetic=True,
                verbose=not args.quiet,
            )  # fmt: skip
        else:
            place = build.build_place(
                build.resolve_la_in_folder(args.la, args.sources), args.sources,
                store_dir=store_dir,
                verbose=not args.quiet,
                releases=_releases(args),
            )  # fmt: skip
    except IngestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"store ready: {place}")
    return 0


def _releases(args: argparse.Namespace) -> dict[str, str]:
    """Return the ``--release GROUP=RELEASE`` options as a dict."""
    releases = {}
    for item in args.release:
        group, sep, release = item.partition("=")
        if not sep:
            raise IngestError(f"{args.command}: --release {item!r}: expected GROUP=RELEASE.")
        releases[group.strip()] = release.strip()
    return releases


def _download(args: argparse.Namespace) -> int:
    """Fetch the sources of ``args.la``; print the build command that reads them."""
    releases = _releases(args)
    query = args.la.strip()
    if download.is_la_code(query):
        la_code = query.upper()
    else:
        la_code, la_name = download.resolve_la(query, download.fetch_la_names())
        print(f"{query!r} is {la_name} ({la_code})")
    dest = args.dest or settings.cache_dir() / la_code
    download.download_sources(
        la_code, dest, releases=releases, only=args.only, verbose=not args.quiet
    )
    print(f"sources ready in {dest}; next: python -m ingest build --la {la_code} --sources {dest}")
    return 0


def _ofcom_api(args: argparse.Namespace) -> int:
    """Fetch the place's postcodes from Ofcom's API into its cache; report what is left."""
    if not args.ofcom_permission.strip():
        raise IngestError(
            f"ofcom-api: refused without --ofcom-permission. {ofcom_api.PERMISSION_NEEDED}"
        )
    key = ofcom_api.api_key()
    la_code = build.resolve_la_in_folder(args.la, args.sources)
    paths = discover(args.sources).get("postcodes")
    if not paths:
        raise IngestError(
            f"ofcom-api: {args.sources} holds no ONS postcode directory; the place's postcodes "
            "come from it (python -m ingest download fetches it)."
        )
    postcodes = ofcom_api.place_postcodes(
        ons_geography.read_postcodes(paths[0]), la_code, paths[0].name
    )
    folder = ofcom_api.place_cache(la_code)
    ofcom_api.record_permission(folder, args.ofcom_permission, retention_days=args.retention_days)
    cache, _ = ofcom_api.open_place_cache(folder)
    purged = cache.purge()
    order, sampled = ofcom_api.sample_first(postcodes, args.sample_per_ward or 1, seed=args.seed)
    if args.sample_per_ward:
        order = order[:sampled]
    endpoints = [args.only] if args.only else list(ofcom_api.ENDPOINTS)
    report = ofcom_api.fetch(
        order, cache, endpoints=endpoints, key=key, rate=args.rate, max_calls=args.max_calls,
        console=Console(stderr=True, quiet=args.quiet),
    )  # fmt: skip
    print(
        f"{la_code}: {len(order):,} postcodes x {len(endpoints)} endpoint(s); this run: "
        f"{report.found:,} found, {report.not_found:,} not found, {report.failed:,} failed, "
        f"{report.calls:,} calls; {purged:,} expired answers deleted; cache {folder}"
    )
    for failure in report.failures[:10]:
        print(f"  failed: {failure}")
    if report.remaining:
        minutes = report.remaining / args.rate
        print(
            f"stopped at --max-calls {args.max_calls}: {report.remaining:,} answers remain, "
            f"about {minutes:,.0f} min at {args.rate:g} calls a minute; run again to go on."
        )
    print(f"next: python -m ingest build --la {la_code} --sources {args.sources}")
    return 0


def _dwp(args: argparse.Namespace) -> int:
    """Fetch one DWP count by LSOA 2021 of the place into the folder; say what was written."""
    key = dwp_statxplore.api_key()
    la_code = build.resolve_la_in_folder(args.la, args.sources)
    query = dwp_statxplore.QUERIES[args.benefit].replace(
        **{name: getattr(args, name) for name in dwp_statxplore.Query.IDENTIFIERS}
    )
    lsoas = _place_lsoas(la_code, args.sources)
    path = dwp_statxplore.fetch_counts(
        query, la_code, lsoas, args.dest or args.sources, key=key, month=args.month
    )
    frame = dwp_statxplore.read_counts(path, query)
    print(
        f"{la_code}: {frame.attrs['release']}, {len(frame):,} LSOAs, "
        f"{int(frame[query.column].sum()):,} {query.column.replace('_', ' ')}; written {path}"
    )
    return 0


def _place_lsoas(la_code: str, folder: Path) -> list[str]:
    """Return the LSOA 2021 codes of an authority from the newest LSOA-to-ward lookup naming it."""
    tables = [ons_geography.read_lookup(p) for p in discover(folder).get("lsoa_ward_lookup")]
    covering = [
        t
        for t in tables
        if t.attrs["vintages"].get("lsoa") == "2021"
        and "la_code" in t
        and (t["la_code"] == la_code).any()
    ]
    if not covering:
        raise IngestError(
            f"dwp: {folder} holds no LSOA (2021) to ward lookup naming {la_code}; its LSOAs come "
            "from it (python -m ingest download fetches it)."
        )
    newest = max(covering, key=lambda t: t.attrs["vintages"].get("la", ""))
    return sorted(set(newest.loc[newest["la_code"] == la_code, "lsoa_code"]))


if __name__ == "__main__":
    sys.exit(main())
