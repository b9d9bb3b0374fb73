"""Change in fixed broadband coverage across Ofcom Connected Nations releases. No I/O.

Input is the canonical schema of :mod:`ingest.sources.ofcom_fixed` with one row per release (and per
area): the store's ``la_fixed_coverage`` table (one local authority, every LA-level release
found) or ward totals of an output-area release (:func:`totals_from_wards`). Output is one
row per release with three shares of premises on one definition each:

- ``pct_gigabit``: gigabit-capable (>= 1000 Mbit/s download); first published in 2021;
- ``pct_superfast``: superfast, *inclusive* (>= 30 Mbit/s, ultrafast included);
- ``pct_below_uso``: below the universal service obligation (10 Mbit/s down, 1 up); first
  published in 2018.

A measure a release did not publish is NaN, never 0. Shares are recomputed from premises
counts where the release has them (sum of numerators over all premises), else taken as
published (2016 has percentages only).

The 2016-2019 definition of "SFBB availability"
    Ofcom's 2016 and 2018 files, and the 2019 percentage column, count only premises with 30
    to under 300 Mbit/s under "SFBB availability". :mod:`ingest.sources.ofcom_fixed` keeps that as
    the ``speed_30_300`` band and derives the inclusive figure (2016: SFBB % + UFBB %, two whole
    numbers, so +/- 1 point; 2018: SFBB number + UFBB number; 2019: the inclusive number).
    Rows of those releases carry ``superfast_derived = True`` and a ``definition_note``, so a
    chart or table can say so rather than mix the two definitions silently. 2017 is read as
    2016 is; Ofcom's 2020 file in 2019's columns already counts 30 Mbit/s or more.

Releases whose identity is inferred
    A release is known for sure when Ofcom's ``YYYYMM_`` prefix is in the file name. Otherwise
    :mod:`ingest.sources.ofcom_fixed` infers it from the file's header or, for the 2019 and 2020
    files that share a header, from its values (``attrs["release_basis"]``). Such rows carry
    ``release_inferred = True`` and a ``release_label`` such as ``"Sep 2019 (inferred)"``, and
    their ``period_source`` starts by saying so, so charts and tables never show an inferred
    release as a named one.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Output measure -> (count column, published percentage column) of the canonical schema.
MEASURES: dict[str, tuple[str, str]] = {
    "pct_gigabit": ("premises_gigabit", "pct_premises_gigabit"),
    "pct_superfast": ("premises_sfbb", "pct_premises_sfbb"),
    "pct_below_uso": ("premises_below_uso", "pct_premises_below_uso"),
}

#: Plain label of each measure (share of all premises, %).
MEASURE_LABELS: dict[str, str] = {
    "pct_gigabit": "Gigabit-capable (1000 Mbit/s)",
    "pct_superfast": "Superfast (30 Mbit/s or more)",
    "pct_below_uso": "Below the USO (under 10 Mbit/s down or 1 up)",
}

#: Data month (YYYYMM) of the annual Connected Nations releases that Ofcom's files (as
#: renamed by the uploader of the copies read here) name by year only, with where it comes
#: from. Newer releases carry the month in the file name (``YYYYMM_fixed_laua_...``).
RELEASE_PERIODS: dict[str, tuple[str, str]] = {
    "2016": (
        "201606",
        "Connected Nations 2016 (December 2016); its concise summary says the data for 2016 "
        "was collected during June",
    ),
    "2018": (
        "201809",
        "Connected Nations 2018 (December 2018), data as at September 2018; the file is "
        "probably Ofcom's 201809_fixed_laua_coverage_r01.csv (ofcom_fixed_laua/PROVENANCE.md)",
    ),
    "2017": (
        "201705",
        "Connected Nations 2017 (December 2017); its line speeds match the House of Commons "
        "Library's reading of Ofcom's data for May 2017 (UK average download 44.3 vs 44.6 "
        "Mbit/s, 24 % of lines under 10 Mbit/s), and its coverage is taken to be of that month",
    ),
    "2019": (
        "201909",
        "Connected Nations 2019 (December 2019), data as at September 2019; the file is "
        "Ofcom's 201909_fixed_laua_coverage_r01.csv (its first and last rows as printed from "
        "that file in istaykov/ofcom_broadband's notebook)",
    ),
    "2020": (
        "202001",
        "probably the Connected Nations update Spring 2020, data as at January 2020: the 2019 "
        "file's columns and LA codes (before April 2020's Buckinghamshire), premises between "
        "the 201909 and 202009 files, and the 202009 file has the 40 columns of 202105",
    ),
}

#: Releases whose inclusive superfast share is derived, not published (see the module notes
#: and each release's ``notes`` in :mod:`ingest.sources.ofcom_fixed`).
SFBB_DERIVED: dict[str, str] = {
    "2016": (
        "Superfast derived: Ofcom's 2016 'SFBB' counted 30 to under 300 Mbit/s only; inclusive "
        "share = SFBB % + UFBB % (whole numbers, +/- 1 point)"
    ),
    "2017": (
        "Superfast derived: Ofcom's 2017 'SFBB' counted 30 to under 300 Mbit/s only; inclusive "
        "share = SFBB % + UFBB % (whole numbers, +/- 1 point)"
    ),
    "2018": (
        "Superfast derived: Ofcom's 2018 'SFBB' counted 30 to under 300 Mbit/s only; inclusive "
        "count = SFBB number + UFBB (300 Mbit/s) number"
    ),
    "2019": (
        "Superfast derived: Ofcom's 2019 'SFBB %' counted 30 to under 300 Mbit/s only; "
        "inclusive share from the (inclusive) SFBB number of premises"
    ),
}

#: First data month whose 'SFBB availability' counts 30 Mbit/s or more in every column:
#: a ``YYYYMM`` release before it is one of the years of :data:`SFBB_DERIVED`, derived too.
FIRST_INCLUSIVE_PERIOD = "202001"

#: How a release was identified (``attrs["release_basis"]`` of :mod:`ingest.sources.ofcom_fixed`) ->
#: the words opening ``period_source`` when it was inferred, not read from the file name.
INFERRED_FROM: dict[str, str] = {
    "header": "Release inferred from the file's header (no YYYYMM_ prefix in its name)",
    "content": "Release inferred from the file's values (no YYYYMM_ prefix in its name)",
    "not recorded": "Release inferred (named by year only, not by Ofcom's YYYYMM_ file name)",
}

#: Words added to a release's month where its identity is inferred.
INFERRED_LABEL = "(inferred)"

_YYYYMM = re.compile(r"(20\d\d)(0[1-9]|1[0-2])")


def release_period(release: str) -> tuple[str, str]:
    """Return the data month of an Ofcom release, and where that month comes from.

    Parameters
    ----------
    release : str
        Release name as :mod:`ingest.sources.ofcom_fixed` gives it: ``"YYYYMM"`` (e.g. ``"202507"``)
        or a year of an annual report named by year only (``"2016"``, ``"2018"``, ``"2019"``).

    Returns
    -------
    (str, str)
        ``YYYYMM`` and its source.

    Raises
    ------
    ValueError
        A year with no known data month, or an unreadable release name.

    Examples
    --------
    >>> release_period("202105")[0]
    '202105'
    >>> release_period("2016")[0]
    '201606'
    """
    text = str(release).strip()
    if _YYYYMM.fullmatch(text):
        return text, "release name (Ofcom's YYYYMM file-name prefix)"
    if text in RELEASE_PERIODS:
        return RELEASE_PERIODS[text]
    raise ValueError(
        f"release {release!r}: not YYYYMM and not one of the annual releases with a known data "
        f"month ({', '.join(RELEASE_PERIODS)}); add its month to geo.trends.RELEASE_PERIODS"
    )


def period_label(period: str) -> str:
    """Return the month and year of a ``YYYYMM`` period, e.g. ``"Jul 2025"``.

    Examples
    --------
    >>> period_label("202507")
    'Jul 2025'
    """
    return pd.Timestamp(year=int(period[:4]), month=int(period[4:]), day=1).strftime("%b %Y")


def _share(coverage: pd.DataFrame, count: str, published: str) -> tuple[pd.Series, pd.Series]:
    """Return shares (%) from counts where known, else as published; and where counts were used."""
    nan = pd.Series(np.nan, index=coverage.index)
    premises = coverage["premises"].astype(float) if "premises" in coverage else nan
    part = coverage[count].astype(float) if count in coverage else nan
    from_counts = 100 * part / premises.where(premises > 0)
    as_published = coverage[published].astype(float) if published in coverage else nan
    return from_counts.fillna(as_published), from_counts.notna()


def fixed_trend(coverage: pd.DataFrame, *, area: str = "la_code") -> pd.DataFrame:
    """Return gigabit, superfast and below-USO shares of premises per release, one definition each.

    Parameters
    ----------
    coverage : pandas.DataFrame
        One row per Ofcom release (and per area) on the canonical schema of
        :mod:`ingest.sources.ofcom_fixed`: ``release`` and any of ``premises``,
        ``premises_gigabit``,
        ``premises_sfbb`` (inclusive, >= 30 Mbit/s), ``premises_below_uso`` (numbers of
        premises) and ``pct_premises_gigabit``, ``pct_premises_sfbb``,
        ``pct_premises_below_uso`` (% of premises); e.g. the store's ``la_fixed_coverage``
        (local-authority level). ``source_file`` and ``source`` are carried through, and so
        is ``release_basis`` (how :mod:`ingest.sources.ofcom_fixed` identified the release: ``"file
        name"``, ``"header"`` or ``"content"``) where given.
    area : str, default "la_code"
        Column naming the area of each row (``"la_code"`` for local authorities,
        ``"ward_code"`` for wards); absent: every row is one area.

    Returns
    -------
    pandas.DataFrame
        One row per area and release, oldest first: ``area`` (when present), ``release``,
        ``period`` (``YYYYMM`` of the data), ``period_source`` (opening with
        :data:`INFERRED_FROM` when the release is inferred), ``date`` (first day of that
        month), ``release_basis`` (as given; ``"not recorded"`` where not),
        ``release_inferred`` (bool: identified otherwise than by Ofcom's ``YYYYMM_`` file name;
        without a recorded basis, a release named by year only, since a file name's month
        always names a release ``YYYYMM``), ``release_label`` (e.g. ``"Sep 2019
        (inferred)"``), ``premises`` (all premises, NaN when not published), ``pct_gigabit``,
        ``pct_superfast``, ``pct_below_uso`` (% of premises; NaN when the release did not
        publish the measure), ``basis`` (``"counts"`` or ``"published %"``),
        ``superfast_derived`` (bool: a release of :data:`SFBB_DERIVED`, or a ``YYYYMM`` one of
        those years, before :data:`FIRST_INCLUSIVE_PERIOD`) and ``definition_note`` (``""``
        when none), then ``source_file``/``source`` when given.

    Raises
    ------
    ValueError
        No ``release`` column, or a release whose data month is unknown.

    Examples
    --------
    >>> la = pd.DataFrame({"release": ["2016", "202105"], "pct_premises_sfbb": [96.0, 97.9],
    ...                    "premises": [None, 200], "premises_sfbb": [None, 196],
    ...                    "premises_gigabit": [None, 100]})
    >>> fixed_trend(la)[["period", "pct_superfast", "pct_gigabit"]].values.tolist()
    [['201606', 96.0, nan], ['202105', 98.0, 50.0]]
    >>> fixed_trend(la)["release_label"].tolist()
    ['Jun 2016 (inferred)', 'May 2021']
    """
    if "release" not in coverage:
        raise ValueError(
            f"fixed_trend needs a 'release' column (found: {list(coverage.columns)}); pass the "
            "store's la_fixed_coverage table"
        )
    rows = coverage.reset_index(drop=True)
    periods = [release_period(r) for r in rows["release"].astype(str)]
    out = pd.DataFrame(index=rows.index)
    if area in rows:
        out[area] = rows[area]
    out["release"] = rows["release"].astype(str)
    out["period"] = [p for p, _ in periods]
    out["period_source"] = [s for _, s in periods]
    out["date"] = pd.to_datetime(out["period"], format="%Y%m")
    recorded = rows.get("release_basis", pd.Series(None, index=rows.index, dtype=object))
    out["release_basis"] = recorded.astype(object).where(recorded.notna(), "not recorded")
    named_by_year = ~out["release"].str.fullmatch(_YYYYMM.pattern)
    out["release_inferred"] = out["release_basis"].isin(["header", "content"]) | (
        (out["release_basis"] == "not recorded") & named_by_year
    )
    inferred = out["release_inferred"]
    out.loc[inferred, "period_source"] = (
        out.loc[inferred, "release_basis"].map(INFERRED_FROM)
        + "; "
        + out.loc[inferred, "period_source"]
    )
    out["release_label"] = [
        f"{period_label(p)} {INFERRED_LABEL}" if flag else period_label(p)
        for p, flag in zip(out["period"], inferred, strict=True)
    ]
    out["premises"] = rows["premises"].astype(float) if "premises" in rows else np.nan
    by_counts = pd.Series(False, index=rows.index)
    for measure, (count, published) in MEASURES.items():
        out[measure], used = _share(rows, count, published)
        by_counts |= used
    out["basis"] = np.where(by_counts, "counts", "published %")
    year = out["period"].str[:4].where(out["period"] < FIRST_INCLUSIVE_PERIOD)
    derived_as = out["release"].where(out["release"].isin(list(SFBB_DERIVED)), year)
    out["definition_note"] = derived_as.map(SFBB_DERIVED).fillna("").astype(str)
    out["superfast_derived"] = out["definition_note"] != ""
    for extra in ("source_file", "source"):
        if extra in rows:
            out[extra] = rows[extra]
    keys = [area, "period"] if area in out else ["period"]
    return out.sort_values(keys, kind="stable", ignore_index=True)


def trend_summary(trend: pd.DataFrame) -> pd.DataFrame:
    """Return the first and latest value of each measure, and the change between them.

    Parameters
    ----------
    trend : pandas.DataFrame
        Rows of one area from :func:`fixed_trend`.

    Returns
    -------
    pandas.DataFrame
        Indexed by measure (:data:`MEASURES` order): ``label``, ``first_period``,
        ``first_pct``, ``latest_period``, ``latest_pct`` (% of premises), ``change_pp``
        (percentage points; NaN with fewer than two releases), ``releases`` (number with a
        value) and ``note`` (says when the first superfast value is a derived one).

    Examples
    --------
    >>> la = pd.DataFrame({"release": ["2018", "202507"], "premises": [100, 100],
    ...                    "premises_sfbb": [90, 99], "premises_below_uso": [3, 1]})
    >>> trend_summary(fixed_trend(la)).loc["pct_superfast", "change_pp"]
    np.float64(9.0)
    """
    rows = []
    for measure, label in MEASURE_LABELS.items():
        known = trend[trend[measure].notna()]
        row: dict[str, object] = {"measure": measure, "label": label, "releases": len(known)}
        if known.empty:
            row.update(first_period=None, first_pct=np.nan, latest_period=None)
            row.update(latest_pct=np.nan, change_pp=np.nan, note="not published in any release")
            rows.append(row)
            continue
        first, latest = known.iloc[0], known.iloc[-1]
        row.update(
            first_period=first["period"],
            first_pct=float(first[measure]),
            latest_period=latest["period"],
            latest_pct=float(latest[measure]),
            change_pp=float(latest[measure] - first[measure]) if len(known) > 1 else np.nan,
            note="",
        )
        if measure == "pct_superfast" and bool(first["superfast_derived"]):
            row["note"] = (
                f"{period_label(first['period'])} value derived to the inclusive definition "
                "(Ofcom then published 30-300 Mbit/s only)"
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("measure")


def totals_from_wards(
    wards: pd.DataFrame, *, release: str, area: str = "la_code", source: str = ""
) -> pd.DataFrame:
    """Sum the premises counts of one ward-level release to areas, on the canonical schema.

    Parameters
    ----------
    wards : pandas.DataFrame
        Ward rows with ``premises`` and any of ``premises_gigabit``, ``premises_sfbb``,
        ``premises_below_uso`` (numbers of premises, e.g. Ofcom output areas summed to
        wards), and the ``area`` column.
    release : str
        Ofcom release of those counts (``YYYYMM``).
    area : str, default "la_code"
        Column to sum by (local authority).
    source : str, optional
        Where the counts come from, kept in a ``source`` column.

    Returns
    -------
    pandas.DataFrame
        One row per area: ``area``, ``release``, the summed counts and ``source``; a count
        is NaN for an area where any ward lacks it. Ready for :func:`fixed_trend`.

    Examples
    --------
    >>> w = pd.DataFrame({"la_code": ["E1", "E1"], "premises": [10, 30],
    ...                   "premises_gigabit": [5, 15]})
    >>> totals_from_wards(w, release="202601")["premises_gigabit"].tolist()
    [20]
    """
    counts = ["premises", *(c for c, _ in MEASURES.values())]
    present = [c for c in counts if c in wards]
    if "premises" not in present:
        raise ValueError("totals_from_wards needs a ward 'premises' column (numbers of premises)")
    grouped = wards.groupby(area, sort=True)[present]
    totals = grouped.sum().where(grouped.count().eq(grouped.size(), axis=0))
    return totals.reset_index().assign(release=str(release), source=source)
