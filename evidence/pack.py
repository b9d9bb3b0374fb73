"""Read a place from the store and write its evidence pack: PDF, CSV, GeoJSON, GeoPackage.

Files written for a place ``<code>`` (:func:`write_pack`, or in a zip by :func:`zip_bytes`):

- ``<code>_evidence.pdf``: the A4 report (:func:`evidence.pdf.render_pdf`);
- ``<code>_wards.csv``: the ward table for Excel: UTF-8 with a byte-order mark, CRLF line
  ends, plain column names with units, text cells that a spreadsheet would run as a formula
  prefixed with ``'``;
- ``<code>_wards.geojson``: the same table with boundaries, WGS84 (RFC 7946), 5 decimals;
- ``<code>_wards.gpkg``: the same table with boundaries, British National Grid, for QGIS;
- ``<code>_trend.csv``: gigabit, superfast and below-USO shares per Ofcom release;
- with a BDUK premises file in the build (:mod:`evidence.plans`): ``<code>_constituencies.csv``
  (the authority's premises by plan status in each Westminster constituency),
  ``<code>_wards_no_gigabit_no_plan.csv`` (wards by premises with no gigabit and no plan, with
  their Project Gigabit contracts) and, with two BDUK releases, ``<code>_bduk_changes.csv``;
  a table the place lacks is not written, and the pack's manifest says why;
- ``<code>_map_<indicator>.png`` and ``.svg``: slide-size maps (:func:`evidence.charts.map_image`)
  of the pack's indicator and, with a BDUK file, ``<code>_map_no_gigabit_no_plan.png``/``.svg``;
- ``manifest.json``: the store manifest (every source file, release, checksum, licence) and
  what the pack holds.

Every CSV is for Excel, as the ward table.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from evidence import plans
from evidence.charts import map_image
from evidence.figures import (
    PLAN_TABLES,
    EvidenceError,
    EvidencePack,
    PlanTables,
    assemble,
    export_table,
    formula_safe,
    place_trend,
)
from evidence.outreach import reach_of
from evidence.pdf import render_pdf
from evidence.view import ViewState
from geo.maps import to_web
from ingest import settings, store
from ingest._errors import IngestError

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Indicator of the ``map_no_gigabit_no_plan`` slide maps.
NO_PLAN_MAP = "pct_premises_no_gigabit_no_plan"


def resolve_place(query: str, *, store_dir: Path | None = None) -> str:
    """Return the code of the place ``query`` names in the store: a code or a name (any case).

    Raises
    ------
    EvidenceError
        No such place in the store (the message lists those there).
    """
    places = store.list_places(store_dir or settings.store_dir())
    wanted = query.strip().casefold()
    for place in places:
        if wanted in (place["la_code"].casefold(), str(place.get("la_name", "")).casefold()):
            return place["la_code"]
    there = ", ".join(f"{p['la_code']} ({p.get('la_name', '')})" for p in places) or "none"
    raise EvidenceError(
        f"no place {query!r} in the store {store_dir or settings.store_dir()}; places there: "
        f"{there}. Build it with `python -m ingest build --la {query} --sources DIR`."
    )


def _optional_table(la_code: str, name: str, *, store_dir: Path) -> pd.DataFrame | None:
    try:
        return store.read_table(la_code, name, store=store_dir)
    except IngestError:
        return None


@dataclass(frozen=True)
class Place:
    """Everything the store holds of one place that an evidence pack reads.

    Read once (:func:`read_place`) and turned into a pack for each view (:meth:`pack`), so
    the app reads the store once per build, not once per slider move.

    Attributes
    ----------
    wards : geopandas.GeoDataFrame
        The ward table (EPSG:27700).
    manifest : dict
        The store manifest.
    la_fixed : pandas.DataFrame
        ``la_fixed_coverage`` (may be empty).
    comparisons, postcodes, venues : pandas.DataFrame or None
        The store's tables of those names, None where the place has none.
    plans : PlanTables
        The BDUK tables.
    """

    wards: gpd.GeoDataFrame
    manifest: dict[str, Any]
    la_fixed: pd.DataFrame
    comparisons: pd.DataFrame | None
    postcodes: pd.DataFrame | None
    venues: pd.DataFrame | None
    plans: PlanTables
    _reach: dict[tuple[str, float], pd.DataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def trend(self) -> pd.DataFrame:
        """The place's change across Ofcom releases (:func:`evidence.figures.place_trend`)."""
        return place_trend(self.la_fixed, self.wards, self.manifest)

    def reach(self, view: ViewState, venues: pd.DataFrame | None) -> pd.DataFrame | None:
        """Reach of the view's venues at its radius, computed once per venue list and radius.

        None without postcodes or venues. ``venues`` are the venues ``view.venues`` names
        (the place's own when None).
        """
        venues = self.venues if venues is None else venues
        if self.postcodes is None or venues is None or venues.empty:
            return None
        key = (view.venues, view.radius_m)
        if key not in self._reach:
            self._reach[key] = reach_of(self.wards, self.postcodes, venues, view.radius_m)
        return self._reach[key]

    def pack(
        self,
        view: ViewState,
        *,
        frame_wards: pd.DataFrame | None = None,
        venues: pd.DataFrame | None = None,
        date: dt.date | None = None,
    ) -> EvidencePack:
        """Compute the evidence pack of ``view`` (:func:`evidence.figures.assemble`).

        ``venues`` replaces the place's own (an uploaded list); ``frame_wards`` are every
        ward scored against when ``view.frame`` is ``"store"``.
        """
        return assemble(
            self.wards,
            self.manifest,
            self.la_fixed,
            view=view,
            frame_wards=frame_wards,
            comparisons=self.comparisons,
            date=date,
            plans=self.plans,
            postcodes=self.postcodes,
            venues=self.venues if venues is None else venues,
            trend=self.trend,
            reach=self.reach(view, venues),
        )


def read_place(la_code: str, *, store_dir: Path) -> Place:
    """Read one place (by code) from the store: its ward table and every further table."""
    la_fixed = _optional_table(la_code, "la_fixed_coverage", store_dir=store_dir)
    return Place(
        wards=store.read_wards(la_code, store=store_dir),
        manifest=store.read_manifest(la_code, store=store_dir),
        la_fixed=pd.DataFrame() if la_fixed is None else la_fixed,
        comparisons=_optional_table(la_code, "comparisons", store_dir=store_dir),
        postcodes=_optional_table(la_code, "postcodes", store_dir=store_dir),
        venues=_optional_table(la_code, "venues", store_dir=store_dir),
        plans=PlanTables(
            **{
                name: _optional_table(la_code, table, store_dir=store_dir)
                for name, table in PLAN_TABLES.items()
            }
        ),
    )


def build_pack(
    la_code: str,
    *,
    store_dir: Path | None = None,
    view: ViewState | None = None,
    date: dt.date | None = None,
    venues: pd.DataFrame | None = None,
) -> EvidencePack:
    """Read one place from the store and compute its evidence pack for a view.

    Parameters
    ----------
    la_code : str
        Local authority code (or name) of a place in the store.
    store_dir : Path, optional
        Store root (default :func:`ingest.settings.store_dir`).
    view : ViewState, optional
        What the pack shows: indicator, weights, frame, thresholds, priority wards,
        selection, ward in view, outreach settings (its place is ``la_code``'s); default
        ``ViewState(<the place>)``.
    date : datetime.date, optional
        Date on the pack; default the store's build date (so the same store gives the same
        PDF).
    venues : pandas.DataFrame, optional
        Venues of the outreach plan; default the place's own list in the store.

    Returns
    -------
    EvidencePack

    Raises
    ------
    EvidenceError
        Unknown place, indicator or ward.

    Examples
    --------
    >>> pack = build_pack("E08999999", store_dir=Path("data/store"))  # doctest: +SKIP
    >>> pdf = render_pdf(pack)  # doctest: +SKIP
    """
    root = Path(store_dir or settings.store_dir())
    code = resolve_place(la_code, store_dir=root)
    view = replace(view or ViewState(code), la_code=code)
    return read_place(code, store_dir=root).pack(
        view,
        frame_wards=store.read_every_ward(root) if view.frame == "store" else None,
        venues=venues,
        date=date,
    )


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Encode a table as CSV for Excel: UTF-8 with BOM, CRLF, formula-like text cells quoted."""
    text = formula_safe(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def ward_csv(pack: EvidencePack) -> bytes:
    """Return the pack's ward table as the ``<code>_wards.csv`` it holds (:func:`csv_bytes`)."""
    return csv_bytes(pd.DataFrame(export_table(pack).drop(columns="geometry")))


def _manifest(pack: EvidencePack, files: list[str]) -> dict[str, Any]:
    return {
        **pack.manifest,
        "evidence_pack": {
            "date": pack.date.isoformat(),
            "indicator": pack.indicator.name,
            "selection": pack.selection,
            "view": {**pack.view.to_query(), "venues": pack.view.venues},
            "priority_wards": pack.wards.loc[pack.wards["priority"], "ward_code"].tolist(),
            "fixed_broadband_level": pack.fixed_level,
            "files": files,
            "not_written": {
                f"{pack.la_code}_{name}.csv": why for name, why in plans.missing(pack).items()
            },
            "notes": pack.notes,
        },
    }


def _trend_table(pack: EvidencePack) -> pd.DataFrame:
    columns = {
        "period": "Data month (YYYYMM)",
        "release": "Ofcom release",
        "release_label": "Ofcom release (as labelled)",
        "source_file": "File",
        "premises": "Premises (number)",
        "pct_gigabit": "Gigabit-capable (% of premises)",
        "pct_superfast": "Superfast, 30 Mbit/s or more (% of premises)",
        "pct_below_uso": "Below the USO (% of premises)",
        "basis": "Shares from",
        "definition_note": "Definition note",
        "period_source": "Data month source",
    }
    present = [c for c in columns if c in pack.trend]
    return pack.trend[present].rename(columns=columns)


def _maps(pack: EvidencePack) -> dict[str, str]:
    """Slide maps of the pack: file name (without code and extension) -> indicator."""
    maps = {}
    if plans.has_bduk(pack) and NO_PLAN_MAP in pack.wards:
        maps["map_no_gigabit_no_plan"] = NO_PLAN_MAP
    if pack.indicator.name not in maps.values():
        maps[f"map_{pack.indicator.name}"] = pack.indicator.name
    return maps


def _files(pack: EvidencePack, folder: Path) -> list[Path]:
    """Write every file of the pack into ``folder``; return their paths, manifest last."""
    stem = pack.la_code
    table = export_table(pack)
    paths = {
        "pdf": folder / f"{stem}_evidence.pdf",
        "csv": folder / f"{stem}_wards.csv",
        "geojson": folder / f"{stem}_wards.geojson",
        "gpkg": folder / f"{stem}_wards.gpkg",
        "trend": folder / f"{stem}_trend.csv",
        "manifest": folder / "manifest.json",
    }
    paths["pdf"].write_bytes(render_pdf(pack))
    paths["csv"].write_bytes(ward_csv(pack))
    paths["geojson"].write_text(to_web(table).to_json(drop_id=True, na="null"), encoding="utf-8")
    if paths["gpkg"].exists():
        paths["gpkg"].unlink()
    gpd.GeoDataFrame(table).to_file(paths["gpkg"], driver="GPKG", layer=f"{stem}_wards")
    paths["trend"].write_bytes(csv_bytes(_trend_table(pack)))
    for name, frame in plans.plan_exports(pack).items():
        paths[name] = folder / f"{stem}_{name}.csv"
        paths[name].write_bytes(csv_bytes(frame))
    for name, indicator in _maps(pack).items():
        for fmt in ("png", "svg"):
            paths[f"{name}.{fmt}"] = folder / f"{stem}_{name}.{fmt}"
            paths[f"{name}.{fmt}"].write_bytes(map_image(pack, indicator, fmt))
    paths["manifest"] = paths.pop("manifest")
    names = [p.name for p in paths.values()]
    paths["manifest"].write_text(
        json.dumps(_manifest(pack, names), indent=2, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
    )
    return list(paths.values())


def write_pack(pack: EvidencePack, out: Path) -> list[Path]:
    """Write the pack's files into the folder ``out`` (created if needed).

    Parameters
    ----------
    pack : EvidencePack
    out : Path
        Folder; files of the same names are replaced.

    Returns
    -------
    list of Path
        The files written (see the module docstring).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return _files(pack, out)


def zip_bytes(pack: EvidencePack) -> bytes:
    """Zip the whole pack (for ``st.download_button``) into a ``<code>_evidence/`` folder.

    Returns
    -------
    bytes
        Zip of the files of :func:`write_pack`, with fixed timestamps.
    """
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w") as archive:
        for path in _files(pack, Path(tmp)):
            info = zipfile.ZipInfo(f"{pack.la_code}_evidence/{path.name}", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()
