"""Outreach venues uploaded by a council officer: a small CSV of names and where they are.

A venue file is one row per venue (a library, a community centre, a GP surgery ...), with a
name and either a postcode or WGS84 latitude/longitude. It comes from a browser upload, so it is
treated as hostile input:

- its size is checked before anything is decoded (:data:`MAX_VENUE_BYTES`), and the parser
  stops after :data:`MAX_VENUE_ROWS` rows, so a large file costs no more than a small one;
- it is decoded as UTF-8 (a BOM is dropped) or else Windows-1252, the encoding of a CSV saved
  by Excel on a council PC; anything else, or a binary file, is refused;
- every cell is read as text (:func:`ingest._tables.read_csv_text`) and nothing in it is ever
  evaluated; numbers are converted column by column;
- names are kept verbatim (escaping is the display layer's job: a venue called
  ``<script>alert(1)</script>`` is a name like any other here), stripped and capped at
  :data:`MAX_NAME_CHARS`; text that a spreadsheet would run as a formula is flagged
  (:func:`is_formula_like`) so that exports can neutralise it.

Headers are matched ignoring case, spaces, ``_`` and ``-`` against :data:`HEADER_ALIASES`;
other columns are ignored and listed. A row that cannot be located is never dropped silently:
it is returned with its spreadsheet row number and the reason in ``attrs["rejected"]``.

:data:`TEMPLATE_CSV` is a small example file for the officer to download and fill in: every
column :func:`read_venues` reads, explained in :data:`TEMPLATE_COLUMNS`, and three example rows
(names beginning "Example:", to be replaced).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from geo.postcodes import normalise_postcode
from ingest._errors import IngestError
from ingest._tables import read_csv_text

SOURCE = "venues"

#: Largest venue file accepted, in bytes (1 MB). A council's venue list of a few hundred rows
#: is a few tens of kilobytes; 1 MB holds well over :data:`MAX_VENUE_ROWS` rows of name,
#: postcode, coordinates and address, and keeps an upload cheap to parse.
MAX_VENUE_BYTES = 1_000_000
#: Most venue rows accepted. Far above any council's venue list, low enough that the reach
#: calculation stays interactive.
MAX_VENUE_ROWS = 5_000
#: Longest venue name kept, in characters; longer names are cut and the rows listed.
MAX_NAME_CHARS = 120
#: UK bounding box for venue coordinates, WGS84 degrees: (west, south, east, north). It holds
#: Great Britain, Northern Ireland, the Scilly Isles and Shetland.
UK_BOUNDS = (-8.7, 49.8, 1.8, 60.9)
#: First characters that make a spreadsheet treat a cell as a formula (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: Our column -> the headers accepted for it, in normal form (lower case, single spaces).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "venue", "venue name"),
    "postcode": ("postcode", "post code"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "kind": ("type", "kind"),
    "address": ("address",),
}
#: Columns of the frame :func:`read_venues` returns, in order.
VENUE_COLUMNS = ("name", "kind", "address", "postcode", "lon", "lat", "located_by")
_TEXT_COLUMNS = ("name", "kind", "address")

#: The columns of :data:`TEMPLATE_CSV`, each with what to write in it: one header for each of
#: our columns in :data:`HEADER_ALIASES`, in the order an officer fills them in.
TEMPLATE_COLUMNS: dict[str, str] = {
    "name": "Required. The venue's name as residents know it, e.g. Central Library.",
    "type": "Optional. The kind of venue: library, community centre, GP surgery ...",
    "address": "Optional. The street address, kept for reference; it does not locate the venue.",
    "postcode": (
        "The venue's postcode, e.g. M2 5PD: locates the venue when latitude and longitude are "
        "blank. It must be a postcode of this council; for a venue outside it, give latitude "
        "and longitude."
    ),
    "latitude": (
        "Optional when a postcode is given, and used instead of it: degrees north (WGS84, as "
        "online maps give them), e.g. 53.4781. Not an OS grid northing."
    ),
    "longitude": (
        "With latitude: degrees east (WGS84), negative west of Greenwich, e.g. -2.2445. Not an "
        "OS grid easting."
    ),
}
#: Example rows of :data:`TEMPLATE_CSV`: located by postcode (2) and by coordinates (1).
_TEMPLATE_ROWS = (
    ("Example: Central Library", "library", "St Peter's Square, Manchester", "M2 5PD", "", ""),
    ("Example: Community Centre", "community centre", "1 Example Street", "M15 4AB", "", ""),
    (
        "Example: Pop-up digital help",
        "pop-up",
        "Piccadilly Gardens, Manchester",
        "",
        "53.4810",
        "-2.2369",
    ),
)


def _template_csv() -> bytes:
    """Write :data:`TEMPLATE_COLUMNS` and the example rows as a CSV (UTF-8, CRLF line ends)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerows(_TEMPLATE_ROWS)
    return text.getvalue().encode("utf-8")


#: An example venue file to download and fill in (``venues_template.csv``): the header row of
#: :data:`TEMPLATE_COLUMNS`, then three example rows whose names begin "Example:" (two
#: located by postcode, one by latitude and longitude), to be replaced by the council's own
#: venues. :func:`read_venues` reads it as it is (a test proves it).
TEMPLATE_CSV: bytes = _template_csv()


def is_formula_like(text: str) -> bool:
    """Say whether a spreadsheet would treat ``text`` as a formula (CSV/formula injection).

    Parameters
    ----------
    text : str
        A cell's text.

    Returns
    -------
    bool
        True when ``text`` starts with one of :data:`FORMULA_PREFIXES`.

    Examples
    --------
    >>> is_formula_like("=cmd|' /C calc'!A0"), is_formula_like("Central Library")
    (True, False)
    """
    return text.startswith(FORMULA_PREFIXES)


def _decode(data: bytes, label: str) -> str:
    """Text of an uploaded file: UTF-8 (BOM dropped), else Windows-1252; newlines made LF."""
    if len(data) > MAX_VENUE_BYTES:
        raise IngestError(
            f"{SOURCE}: {label} is {len(data):,} bytes; the limit is {MAX_VENUE_BYTES:,} bytes "
            f"({MAX_VENUE_ROWS:,} venues at most). Split the file or remove unused columns."
        )
    if not data.strip():
        raise IngestError(
            f"{SOURCE}: {label} is empty; expected a CSV with a header row (name, and postcode "
            "or lat and lon) and one row per venue."
        )
    if b"\x00" in data:
        raise IngestError(
            f"{SOURCE}: {label} holds NUL bytes, so it is not a text CSV (an Excel workbook or "
            "a UTF-16 'Unicode text' file?); save it from Excel as 'CSV UTF-8'."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"{SOURCE}: {label} is neither UTF-8 nor Windows-1252 text (byte "
                f"{data[exc.start]:#04x} at offset {exc.start}); save it as 'CSV UTF-8'."
            ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _header_key(header: str) -> str:
    """Put a header in normal form: lower case, ``_``/``-``/runs of spaces become one space."""
    return re.sub(r"[\s_\-]+", " ", header).strip().lower()


def column_of(header: str) -> str | None:
    """Return our column for a venue file's header (``"Venue Name"`` -> ``"name"``), or None.

    Examples
    --------
    >>> column_of("Post_Code"), column_of("opening hours")
    ('postcode', None)
    """
    key = _header_key(header)
    return next((ours for ours, aliases in HEADER_ALIASES.items() if key in aliases), None)


def _map_headers(headers: list[str], label: str) -> tuple[dict[str, str], list[str]]:
    """Our column -> the file's header, and the headers ignored; raise when a key one is absent."""
    found: dict[str, list[str]] = {}
    ignored = []
    for header in headers:
        ours = column_of(header)
        if ours is None:
            ignored.append(header)
        else:
            found.setdefault(ours, []).append(header)
    repeated = {ours: raw for ours, raw in found.items() if len(raw) > 1}
    if repeated:
        ours, raw = next(iter(repeated.items()))
        raise IngestError(
            f"{SOURCE}: {label}: the columns {raw} all give the venue's {ours}; expected one "
            "column for each. Delete or rename all but one."
        )
    columns = {ours: raw[0] for ours, raw in found.items()}

    def accepted(ours: str) -> str:
        return " or ".join(repr(a) for a in HEADER_ALIASES[ours])

    if "name" not in columns:
        raise IngestError(
            f"{SOURCE}: {label} has no venue name column (found: {headers}); expected a header "
            f"{accepted('name')}, in any case."
        )
    has_lat, has_lon = "lat" in columns, "lon" in columns
    if has_lat != has_lon:
        missing = "lon" if has_lat else "lat"
        raise IngestError(
            f"{SOURCE}: {label} has a {'latitude' if has_lat else 'longitude'} column but no "
            f"{missing} column (found: {headers}); expected both, headed {accepted(missing)}."
        )
    if "postcode" not in columns and not has_lat:
        raise IngestError(
            f"{SOURCE}: {label} has no postcode column and no latitude/longitude columns "
            f"(found: {headers}); expected a column {accepted('postcode')}, or two columns "
            f"{accepted('lat')} and {accepted('lon')} (WGS84 degrees)."
        )
    return columns, ignored


def _coordinate_problems(
    lon_text: pd.Series, lat_text: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse lon and lat (NaN when blank or bad); give a reason per bad row ("" otherwise)."""
    lon = pd.to_numeric(lon_text.where(lon_text != ""), errors="coerce").astype(float)
    lat = pd.to_numeric(lat_text.where(lat_text != ""), errors="coerce").astype(float)
    west, south, east, north = UK_BOUNDS
    reason = pd.Series("", index=lon_text.index, dtype=object)
    for label, text, value in (("lon", lon_text, lon), ("lat", lat_text, lat)):
        bad = (text != "") & ~np.isfinite(value)
        reason[bad & (reason == "")] = [f"{label} {t!r} is not a number" for t in text[bad]]
    one_missing = (lon_text == "") != (lat_text == "")
    reason[one_missing & (reason == "")] = "only one of lat and lon is given; expected both"
    both = np.isfinite(lon) & np.isfinite(lat)
    outside = both & ~(lon.between(west, east) & lat.between(south, north))
    swapped = outside & lat.between(west, east) & lon.between(south, north)
    reason[swapped] = "lat and lon look swapped (lat is 49.8..60.9 in the UK, lon -8.7..1.8)"
    reason[outside & ~swapped] = [
        f"lat {y:g}, lon {x:g} is outside the UK (lat {south}..{north}, lon {west}..{east} "
        "WGS84 degrees; eastings/northings are not accepted)"
        for x, y in zip(lon[outside & ~swapped], lat[outside & ~swapped], strict=True)
    ]
    return lon, lat, reason


def _normalised_postcodes(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Directory-form postcode per row ("" when blank or malformed) and the reason if malformed."""
    postcode = pd.Series("", index=text.index, dtype=object)
    reason = pd.Series("", index=text.index, dtype=object)
    for row, typed in text[text != ""].items():
        try:
            postcode[row] = normalise_postcode(typed)
        except ValueError as exc:
            reason[row] = f"postcode: {exc}"
    return postcode, reason


def _directory(postcodes: pd.DataFrame | None) -> pd.DataFrame:
    """Postcode directory as ``lon``/``lat`` indexed by postcode (empty when None)."""
    if postcodes is None:
        return pd.DataFrame({"lon": [], "lat": []}, index=pd.Index([], dtype=object))
    missing = [c for c in ("postcode", "lon", "lat") if c not in postcodes.columns]
    if missing:
        raise ValueError(
            f"postcodes has no column(s) {missing} (found: {list(postcodes.columns)}); expected "
            "the place's postcode directory, store.read_table(la_code, 'postcodes')."
        )
    return postcodes.drop_duplicates("postcode").set_index("postcode")[["lon", "lat"]]


def read_venues(
    data: bytes, *, name: str = "venues.csv", postcodes: pd.DataFrame | None
) -> pd.DataFrame:
    r"""Read an uploaded CSV of outreach venues and locate each one.

    A row is located by its latitude and longitude when both are given (they must lie in
    :data:`UK_BOUNDS`), otherwise by its postcode's centroid in ``postcodes`` (the place's
    postcode directory; a venue outside the council needs coordinates). Any value that is given
    must be valid: a malformed postcode or a bad coordinate rejects the row even when the other
    would locate it, so that no typo passes unseen.

    Parameters
    ----------
    data : bytes
        The file's bytes, at most :data:`MAX_VENUE_BYTES`, UTF-8 or Windows-1252. Headers
        (any case; see :data:`HEADER_ALIASES`): ``name``/``venue``/``venue name``
        (required); ``postcode``/``post code`` and/or ``lat``/``latitude`` with
        ``lon``/``lng``/``long``/``longitude`` (WGS84 degrees); optional ``type``/``kind`` and
        ``address``. Other columns are ignored.
    name : str, default "venues.csv"
        The file's name, for messages.
    postcodes : pandas.DataFrame or None
        The place's postcode directory (``store.read_table(la, "postcodes")``): ``postcode``
        in the form ``"M15 4AB"``, ``lon``, ``lat``. None: only coordinates can locate a venue.

    Returns
    -------
    pandas.DataFrame
        One row per located venue, indexed by ``row`` (the spreadsheet row number, header =
        row 1), columns :data:`VENUE_COLUMNS`: ``name`` (verbatim, stripped, at most
        :data:`MAX_NAME_CHARS` characters), ``kind`` and ``address`` (text, ``""`` when not
        given), ``postcode`` (directory form, ``""`` when not given), ``lon``, ``lat`` (venue
        point, WGS84 degrees) and ``located_by`` (``"coordinates"`` or ``"postcode"``).
        ``attrs``: ``source_file``; ``rejected`` (DataFrame of ``row``, ``name``, ``reason``
        for rows not located); ``formula_like`` (rows whose name, kind or address starts with
        one of :data:`FORMULA_PREFIXES`); ``truncated_names`` (rows whose name was cut);
        ``blank_rows`` (rows with every cell empty, skipped); ``ignored_columns``. Read the
        ``attrs`` before combining frames: ``pd.concat`` compares attrs, and fails on the
        DataFrame in ``rejected``.

    Raises
    ------
    IngestError
        The file is too big, has too many rows, is not UTF-8/Windows-1252 text, not a
        well-formed CSV, has no header or no venue rows, lacks the name column or both the
        postcode and coordinate columns, repeats a column, or no row can be located.

    Examples
    --------
    >>> csv = b"Venue,Latitude,Longitude\nCentral Library,53.4794,-2.2453\n"
    >>> venues = read_venues(csv, postcodes=None)
    >>> venues[["name", "located_by"]].to_dict("records")
    [{'name': 'Central Library', 'located_by': 'coordinates'}]
    """
    label = Path(name).name or "venues.csv"
    text = _decode(data, label)
    frame = read_csv_text(text, path=Path(label), source=SOURCE, nrows=MAX_VENUE_ROWS + 1)
    if len(frame) > MAX_VENUE_ROWS:
        raise IngestError(
            f"{SOURCE}: {label} has more than {MAX_VENUE_ROWS:,} rows; expected at most "
            f"{MAX_VENUE_ROWS:,} venues. Split the file."
        )
    columns, ignored = _map_headers(list(frame.columns), label)
    cells = pd.DataFrame(
        {c: frame[columns[c]].str.strip() if c in columns else "" for c in HEADER_ALIASES},
    ).astype(object)
    cells.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    blank = (cells == "").all(axis=1)
    cells = cells[~blank]
    if cells.empty:
        raise IngestError(
            f"{SOURCE}: {label} has a header row but no venues; expected one row per venue."
        )
    long_name = cells["name"].str.len() > MAX_NAME_CHARS
    cells["name"] = cells["name"].str.slice(0, MAX_NAME_CHARS).str.strip()

    lon, lat, reason = _coordinate_problems(cells["lon"], cells["lat"])
    postcode, postcode_reason = _normalised_postcodes(cells["postcode"])
    reason = reason.where(reason != "", postcode_reason)
    reason[cells["name"] == ""] = "no name"
    by_coordinates = np.isfinite(lon) & np.isfinite(lat) & (reason == "")
    by_postcode = ~by_coordinates & (postcode != "") & (reason == "")
    directory = _directory(postcodes)
    wanted = postcode[by_postcode]
    lon[by_postcode] = wanted.map(directory["lon"]).astype(float)
    lat[by_postcode] = wanted.map(directory["lat"]).astype(float)
    for row, code in wanted[lon[by_postcode].isna() | lat[by_postcode].isna()].items():
        reason[row] = (
            f"postcode {code} has no grid reference in the directory; give lat and lon"
            if code in directory.index
            else f"postcode {code} is not a postcode of this place"
            + ("" if postcodes is not None else " (no postcode directory is loaded)")
            + "; give lat and lon for a venue outside it"
        )
    reason[(reason == "") & ~by_coordinates & ~by_postcode] = (
        "neither a postcode nor lat and lon is given"
    )
    located = reason == ""

    rejected = pd.DataFrame(
        {"row": reason.index[~located], "name": cells["name"][~located], "reason": reason[~located]}
    ).reset_index(drop=True)
    if not located.any():
        examples = "; ".join(f"row {r}: {why}" for r, why in rejected[["row", "reason"]].values[:3])
        raise IngestError(
            f"{SOURCE}: {label}: none of its {len(rejected)} venue row(s) can be located "
            f"(e.g. {examples}); expected a name and a postcode of this place or lat/lon in "
            "WGS84 degrees on each row."
        )
    venues = cells.loc[located, list(_TEXT_COLUMNS)].assign(
        postcode=postcode[located],
        lon=lon[located],
        lat=lat[located],
        located_by=np.where(by_coordinates[located], "coordinates", "postcode"),
    )
    venues = venues.astype({c: "str" for c in (*_TEXT_COLUMNS, "postcode", "located_by")})
    formula = cells[list(_TEXT_COLUMNS)].map(is_formula_like).any(axis=1)
    venues.attrs = {
        "source_file": label,
        "rejected": rejected,
        "formula_like": formula.index[formula].tolist(),
        "truncated_names": long_name.index[long_name].tolist(),
        "blank_rows": blank.index[blank].tolist(),
        "ignored_columns": ignored,
    }
    return venues[list(VENUE_COLUMNS)]
