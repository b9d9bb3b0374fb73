"""Ofcom mobile "not-spot" postcode lists: postcodes where some premises lack indoor signal.

Where the data comes from
-------------------------
- Publisher: Ofcom, Connected Nations and infrastructure research
  (https://www.ofcom.org.uk/research-and-data/multi-sector-research/infrastructure-research),
  which says: "From time to time, we publish 'not-spot' data: lists of postcodes at which we
  estimate that some properties cannot get a reliable, indoor mobile signal from any network
  provider."
- Licence: Open Government Licence v3.0. Attribution: "Contains Ofcom data © Ofcom, licensed
  under the Open Government Licence v3.0".
- Level: **postcode** (unit postcode, e.g. ``M15 4AB``).

What a listed postcode means, and does not mean
-----------------------------------------------
- It is Ofcom's *estimate*, from the operators' coverage predictions, that **some** premises
  in the postcode cannot get a reliable indoor signal from **any** of the four networks (a
  total indoor not-spot for those premises). It does **not** mean that every premises in the
  postcode lacks signal: the share of its premises affected is not published, so premises in
  listed postcodes are an upper bound on the premises in not-spots, never a count of them.
- A postcode that is not listed is not thereby known to have good coverage everywhere; the
  list is a snapshot of the release it was published with, and indoor coverage depends on
  the building.

Layout read
-----------
No published layout of these lists could be confirmed from public material (public code and
pages name the lists but show no file), so this reader reads one **documented minimal
layout** (:data:`RELEASE_MINIMAL`) and refuses every other:

- a CSV whose header is exactly one column, ``postcode`` (letter case and surrounding spaces
  ignored: ``Postcode`` and `` POSTCODE `` are the same header);
- one postcode per row, in the spaced (``M15 4AB``) or the no-space (``M154AB``) form, any
  letter case;
- UTF-8 with or without a BOM, or Windows-1252; LF or CRLF line ends.

A blank cell, a malformed postcode or a postcode listed twice (in any of its forms: it would
be counted twice) is an :class:`~ingest._errors.IngestError` naming the file and the line. The
release month is read from the file's or its folder's name (:func:`ingest._tables.release_month`):
the list itself carries no date. When Ofcom's own layout is known, add its header map to
:data:`RELEASES`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.postcodes import POSTCODE_PATTERN
from ingest._errors import IngestError
from ingest._tables import (
    Release,
    apply_release,
    dated_attrs,
    match_release,
    raise_bad_cells,
    read_csv_file,
    require_unique,
)

SOURCE = "ofcom_notspots"

#: The documented minimal layout: one column ``postcode`` (any letter case), one postcode a row.
RELEASE_MINIMAL = Release(
    "not-spot postcode list (minimal layout)",
    {"postcode": "postcode"},
    "Minimal layout documented by this project (no published Ofcom layout was confirmed): one "
    "column 'postcode', one postcode per row, spaced or not. Premises in a listed postcode are "
    "an upper bound on premises without indoor signal from any network: Ofcom estimates that "
    "some, not all, of them lack it.",
)

#: Every known layout; add Ofcom's own header map here when it is known.
RELEASES: tuple[Release, ...] = (RELEASE_MINIMAL,)

_LAYOUT = (
    "a CSV whose header is the one column 'postcode' (any letter case), then one postcode per "
    "row, e.g. 'M15 4AB' or 'M154AB'"
)


def _match(raw: pd.DataFrame, path: Path) -> Release:
    """Return the release of a file's header, matched ignoring letter case; refuse others."""
    found = list(raw.columns)
    headers = [header.lower() for header in found]
    try:
        release = match_release(headers, RELEASES, path=path, source=SOURCE)
    except IngestError as exc:
        raise IngestError(f"{exc} Found the header {found}; expected {_LAYOUT}.") from exc
    if len(headers) != len(release.headers):  # "postcode" twice, in two letter cases
        raise IngestError(
            f"{SOURCE}: {path.name} has the header {found}, 'postcode' more than once; "
            f"expected {_LAYOUT}."
        )
    return release


def read_not_spot_postcodes(path: str | Path) -> pd.DataFrame:
    r"""Read an Ofcom mobile not-spot postcode list: one row per listed postcode.

    Parameters
    ----------
    path : str or Path
        CSV in the documented minimal layout (module docstring): header ``postcode``, one
        postcode per row.

    Returns
    -------
    pandas.DataFrame
        One row per postcode, file order: ``postcode`` (string dtype, upper case, one space
        before the last three characters: ``"M15 4AB"``). Level: unit postcode; a listed
        postcode holds **some** premises without a reliable indoor signal from any network.

        ``attrs``: ``release`` (layout name), ``release_month`` (``"YYYY-MM"`` from the file or
        folder name, or None), ``source_file``, ``notes``.

    Raises
    ------
    IngestError
        A header other than the one column ``postcode``; a header with no rows; a blank cell
        or a value that is not a full UK postcode (naming the line and value); a postcode
        listed twice.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "not_spots_2025-07.csv").write_text("Postcode\nm154ab\nWA14 2UE\n")
    >>> spots = read_not_spot_postcodes(folder / "not_spots_2025-07.csv")
    >>> spots["postcode"].tolist(), spots.attrs["release_month"]
    (['M15 4AB', 'WA14 2UE'], '2025-07')
    """
    path = Path(path)
    raw = read_csv_file(path, source=SOURCE)
    release = _match(raw, path)
    if raw.empty:
        raise IngestError(
            f"{SOURCE}: {path.name} has a header but no postcodes; expected {_LAYOUT}."
        )
    publisher = {"postcode": raw.columns[0]}  # the file's own spelling, for messages
    raw.columns = [header.lower() for header in raw.columns]
    frame = apply_release(raw, release)

    compact = frame["postcode"].str.upper().str.replace(r"\s+", "", regex=True)
    spaced = compact.str[:-3] + " " + compact.str[-3:]
    bad = ~spaced.str.fullmatch(POSTCODE_PATTERN)
    if bad.any():
        raise_bad_cells(
            frame, bad, "postcode", publisher, path,
            "a full UK postcode such as 'M15 4AB' or 'M154AB' (a blank cell is not allowed: "
            "delete the line)",
            source=SOURCE,
        )  # fmt: skip
    out = pd.DataFrame({"postcode": spaced.astype("string")})
    require_unique(out, "postcode", path=path, source=SOURCE)
    out.attrs = dated_attrs(release, path)
    return out
