"""The evidence pack as an A4 PDF, laid out with ReportLab. Returns bytes; writes no file.

Every piece of text from the data (place and ward names, notes, file names) is escaped before
it reaches ReportLab's paragraph markup, so a ward called ``<b>Oak</b>`` prints as written.
The text font is DejaVu Sans, shipped with matplotlib, so Welsh and other accented names
print. The PDF is deterministic: ReportLab's invariant mode fixes the document id, and its
creation date is the store's build time, so the same store gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from evidence import charts, plans
from evidence.figures import (
    NOT_IN_STORE,
    EvidencePack,
    attributions,
    format_pct,
    priority_table,
)
from geo import api_coverage, index, thresholds, trends
from geo.gigabit import PLAN_STATUSES

FONT = "DejaVuSans"
_MARGIN = 1.8 * cm
_WIDTH = A4[0] - 2 * _MARGIN
_GREY = colors.HexColor("#555555")
_RULE = colors.HexColor("#bbbbbb")
_STAMP = colors.HexColor("#b2182b")
SYNTHETIC_STAMP = "SYNTHETIC DEMO DATA: a fictional place, not real figures"


@cache
def _styles() -> dict[str, ParagraphStyle]:
    """Return paragraph styles in DejaVu Sans (registered with ReportLab once per process)."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    faces = {
        "": "DejaVuSans",
        "-Bold": "DejaVuSans-Bold",
        "-Oblique": "DejaVuSans-Oblique",
        "-BoldOblique": "DejaVuSans-BoldOblique",
    }
    for suffix, file in faces.items():
        pdfmetrics.registerFont(TTFont(FONT + suffix, folder / f"{file}.ttf"))
    pdfmetrics.registerFontFamily(
        FONT,
        normal=FONT,
        bold=FONT + "-Bold",
        italic=FONT + "-Oblique",
        boldItalic=FONT + "-BoldOblique",
    )
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, spaceAfter=4)
    return {
        "title": ParagraphStyle("title", body, fontName=FONT + "-Bold", fontSize=20, leading=24),
        "place": ParagraphStyle("place", body, fontSize=14, leading=18, spaceAfter=8),
        "h1": ParagraphStyle(
            "h1",
            body,
            fontName=FONT + "-Bold",
            fontSize=13,
            leading=16,
            spaceBefore=8,
            spaceAfter=6,
        ),
        "h2": ParagraphStyle(
            "h2", body, fontName=FONT + "-Bold", fontSize=10, leading=13, spaceBefore=6
        ),
        "headline": ParagraphStyle(
            "headline", body, fontName=FONT + "-Bold", fontSize=12, leading=15, spaceAfter=2
        ),
        "narrowhead": ParagraphStyle(
            "narrowhead", body, fontName=FONT + "-Bold", fontSize=6.5, leading=8, spaceAfter=0
        ),
        "body": body,
        "small": ParagraphStyle("small", body, fontSize=7.5, leading=9.5, textColor=_GREY),
        "cell": ParagraphStyle("cell", body, fontSize=7.5, leading=9, spaceAfter=0),
        "head": ParagraphStyle(
            "head", body, fontName=FONT + "-Bold", fontSize=7.5, leading=9, spaceAfter=0
        ),
        "stamp": ParagraphStyle(
            "stamp",
            body,
            fontName=FONT + "-Bold",
            textColor=_STAMP,
            borderColor=_STAMP,
            borderWidth=1,
            borderPadding=5,
            spaceBefore=6,
            spaceAfter=10,
            alignment=TA_CENTER,
        ),
    }


def _p(text: object, style: str = "body") -> Paragraph:
    """Make a paragraph of plain text: markup characters in ``text`` print as themselves."""
    return Paragraph(html.escape(str(text)), _styles()[style])


def _table(rows: Sequence[Sequence[object]], widths: Sequence[float]) -> Table:
    """Make a table with a bold header row; cells are plain text (escaped) unless flowables."""
    cells = [
        [c if isinstance(c, Flowable) else _p(c, "head" if i == 0 else "cell") for c in row]
        for i, row in enumerate(rows)
    ]
    table = Table(cells, colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, _RULE),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _image(png: bytes, width: float) -> Image:
    """Scale a PNG to ``width`` points, keeping its aspect ratio."""
    picture = Image(io.BytesIO(png))
    picture.drawHeight = width * picture.imageHeight / picture.imageWidth
    picture.drawWidth = width
    return picture


def _pct(value: float) -> str:
    return "not published" if pd.isna(value) else format_pct(value)


def _headline_section(pack: EvidencePack) -> list[Flowable]:
    rows: list[list[object]] = [["Measure", *pack.areas]]
    for headline in pack.headlines:
        row: list[object] = [headline.label]
        for area in pack.areas:
            figure = headline.figures[area]
            if not figure.known:
                row.append(_p(figure.note, "small"))
            else:
                text = html.escape(figure.text())
                note = html.escape(figure.note)
                row.append(Paragraph(f"<b>{text}</b><br/>{note}", _styles()["cell"]))
        rows.append(row)
    first = 4.2 * cm
    rest = (_WIDTH - first) / len(pack.areas)
    fixed, mobile = (pack.thresholds_pct[f"{kind}_not_spot"] for kind in ("fixed", "mobile"))
    thresholds_text = (
        f"A ward is a fixed broadband not-spot when at least {fixed:g}% of "
        f"its premises are below the USO; {_mobile_rule(pack, mobile)}; a double not-spot is "
        "both. " + _priority_sentence(pack)
    )
    return [
        _p("Headline figures", "h1"),
        _table(rows, [first, *[rest] * len(pack.areas)]),
        Spacer(1, 4),
        _p(thresholds_text, "small"),
    ]


def _mobile_rule(pack: EvidencePack, threshold: float) -> str:
    """Say when a ward is a mobile not-spot, at the level the pack's flag is made."""
    level = pack.levels.get("mobile_not_spot", "")
    if level == index.API_LEVEL:
        return (
            f"a ward is a mobile not-spot when at least {threshold:g}% of its premises get no "
            "good indoor mobile data (Ofcom's rating 3 or more) from any network, premises by "
            "premises from Ofcom's API"
        )
    if level == "ward":
        return (
            f"a ward is a mobile not-spot when at least {threshold:g}% of its premises are in "
            "Ofcom's mobile not-spot postcodes (where some premises lack reliable indoor signal "
            "from every network)"
        )
    return (
        f"the authority is a mobile not-spot area when at least {threshold:g}% of its premises "
        "have no indoor 4G from any operator (without a not-spot postcode list, mobile "
        "coverage is known per local authority only)"
    )


def _priority_sentence(pack: EvidencePack) -> str:
    names = ", ".join(pack.wards.loc[pack.wards["priority"], "ward_name"].astype(str))
    reached = pack.reached
    who = (
        f" They hold {_count(reached.residents)} residents, {_count(reached.residents_65_plus)} "
        f"of them aged 65 or over."
    )
    if pack.selection:
        return f"Priority wards are the wards selected for this pack: {names}.{who}"
    return (
        f"Priority wards are the {reached.wards} wards with the highest digital exclusion risk "
        f"index (ties at the cut-off included): {names}.{who}"
    )


def _view_section(pack: EvidencePack) -> list[Flowable]:
    """State the view the pack was made from, as the app showed it."""
    ward = ""
    if pack.view.ward is not None:
        ward = str(pack.wards.set_index("ward_code").loc[pack.view.ward, "ward_name"])
    lines = pack.view.describe(
        wards=int(pack.wards["risk_rank"].notna().sum()),
        indicator=pack.indicator.label,
        ward_name=ward,
    )
    return [_p("The view this pack shows", "h2"), *(_p(line, "small") for line in lines)]


def _outreach_section(pack: EvidencePack) -> list[Flowable]:
    """Lay out the view's outreach plan: reach of its venues and the wards none reaches."""
    plan = pack.outreach
    if plan is None:
        return []
    table = plan.unreached
    rows: list[list[object]] = [["Ward", "Residents", "Aged 65+", "Risk index", "Reach"]]
    for _, ward in table.iterrows():
        rows.append(
            [
                ward["ward_name"],
                _count(ward["residents"]),
                _count(ward["residents_65_plus"]),
                "not known" if pd.isna(ward["risk"]) else f"{ward['risk']:.1f}",
                f"{ward['reach_status']}: {ward['reach_note']}",
            ]
        )
    wide = 4.0 * cm
    narrow = (_WIDTH - 2.5 * wide) / 3
    return [
        _p("Outreach: where no venue reaches", "h1"),
        _p(plan.summary(len(pack.wards)).replace("**", "")),
        _table(rows, [wide, narrow, narrow, narrow, 1.5 * wide]),
        Spacer(1, 4),
        _p(
            f"The {len(table)} highest-risk wards that no venue reaches. Distances are straight "
            "lines; postcodes stand in for residents (see the method section).",
            "small",
        ),
    ]


def _change_sentences(trend: pd.DataFrame) -> list[Flowable]:
    if trend.empty:
        return [_p("No Ofcom fixed broadband release is in the store for this place.")]
    out = []
    for _, row in trends.trend_summary(trend).iterrows():
        if row["releases"] == 0:
            out.append(_p(f"{row['label']}: {row['note']}."))
            continue
        first = f"{format_pct(row['first_pct'])} in {trends.period_label(row['first_period'])}"
        latest = f"{format_pct(row['latest_pct'])} in {trends.period_label(row['latest_period'])}"
        if row["releases"] > 1:
            text = f"{row['label']}: {first}, {latest} ({row['change_pp']:+.1f} points)."
        else:
            text = f"{row['label']}: {latest} (one release)."
        if row["note"]:
            text += f" Note: {row['note']}."
        out.append(_p(text))
    return out


def _mobile_level(pack: EvidencePack) -> str:
    if pack.levels.get("mobile_not_spot") == index.API_LEVEL:
        api = pack.manifest.get("ofcom_api", {})
        return (
            f"by ward, premises by premises from Ofcom's Connected Nations API "
            f"({', '.join(api.get('db_names', [])) or 'release not named'}; fetched "
            f"{api.get('fetched_from')} to {api.get('fetched_to')}; used with Ofcom's "
            f"permission {api.get('permission')}). {api.get('attribution', '')}"
        )
    if pack.levels.get("mobile_not_spot") == "ward":
        return "by ward, from Ofcom's mobile not-spot postcodes"
    return "local-authority figures"


def _api_double_not_spots(pack: EvidencePack) -> list[Flowable]:
    """Say the double not-spots counted premises by premises (Ofcom's API), as the app does."""
    if "premises_in_double_not_spots" not in pack.wards:
        return []
    wards = pack.wards[pack.wards["selected"]] if pack.selection else pack.wards
    said = []
    for column, unit in (("premises", "premises"), ("residents", "residents")):
        value, low, high, events, estimate = api_coverage.double_not_spot_total(
            wards, f"{column}_in_double_not_spots"
        )
        said.append(
            api_coverage.estimate_text(value, low, high, events=events, estimate=estimate,
                                       unit=unit)
        )  # fmt: skip
    checked = int(wards["postcodes_checked_both"].sum())
    return [
        _p(
            f"Double not-spots, counted on the same premises (no good indoor mobile data from "
            f"any network and below the USO speed): {said[0]}; {said[1]} (estimated from the "
            f"wards' residents per premises). {checked:,} of {int(wards['postcodes_live'].sum()):,}"
            " postcodes checked; where a ward was sampled, ranges add up its 95% interval."
        )
    ]


def _title_page(pack: EvidencePack) -> list[Flowable]:
    level = {
        "ward": "by ward, summed from Ofcom output-area premises counts",
        "ward (Ofcom API premises)": "by ward, premises by premises from Ofcom's API (no "
        "output-area file in the store)",
    }.get(
        pack.fixed_level,
        "the local authority's own Ofcom figures (no output-area file in the store)",
    )
    story: list[Flowable] = [
        _p("Digital inclusion evidence pack", "title"),
        _p(f"{pack.la_name} ({pack.la_code})", "place"),
        _p(f"Date: {pack.date:%d %B %Y}. Store built {pack.manifest['built_at']}."),
        _p(f"Scope: {pack.scope}; ward boundaries of {pack.manifest.get('ward_vintage', '?')}."),
        _p(f"Fixed broadband: {level}. Mobile coverage: {_mobile_level(pack)}."),
        *(
            [_p(f"Deprivation index: {pack.manifest['deprivation_release']}.")]
            if pack.manifest.get("deprivation_release")
            else []
        ),
        *_api_double_not_spots(pack),
        *_view_section(pack),
    ]
    if pack.synthetic:
        story.append(
            _p(
                "Synthetic demo data. This place is fictional, generated by this software to "
                "show how the pack works; none of its figures describe a real area.",
                "stamp",
            )
        )
    story += _headline_section(pack)
    story += [_p("Change across Ofcom releases", "h1"), *_change_sentences(pack.trend)]
    return story


def _map_page(title: str, png: bytes, caption: str) -> list[Flowable]:
    return [PageBreak(), _p(title, "h1"), _image(png, _WIDTH * 0.92), _p(caption, "small")]


def _maps(pack: EvidencePack) -> list[Flowable]:
    highlight = pack.wards["selected"] if pack.selection else None
    indicator = pack.indicator
    level = (
        "One figure for the whole local authority, shown on every ward as context."
        if indicator.level == "local authority"
        else "Measured for each ward."
    )
    caption = (
        f"{indicator.label}. {level} Source: {indicator.source}. Classes: natural breaks "
        "(Fisher-Jenks); darker is worse."
    )
    fixed, mobile = (pack.thresholds_pct[f"{kind}_not_spot"] for kind in ("fixed", "mobile"))
    notspot_caption = (
        "Fixed not-spot: ward share of premises below the USO at or above "
        f"{fixed:g}%. Mobile not-spot: {_mobile_rule(pack, mobile)}. 'Not known': the store "
        "has no ward-level figure for a flag."
    )
    return [
        *_map_page(
            f"Map: {indicator.label}",
            charts.png_bytes(charts.indicator_map(pack.wards, indicator, highlight=highlight)),
            caption,
        ),
        *_map_page(
            "Map: not-spots",
            charts.png_bytes(
                charts.not_spot_map(
                    pack.wards,
                    highlight=highlight,
                    mobile_level=pack.levels.get("mobile_not_spot", "local authority"),
                )
            ),
            notspot_caption,
        ),
    ]


def _trend_section(pack: EvidencePack) -> list[Flowable]:
    rows: list[list[object]] = [
        ["Data month", "File", "Premises", "Gigabit", "Superfast", "Below USO", "Note"]
    ]
    for _, row in pack.trend.iterrows():
        premises = "not published" if pd.isna(row["premises"]) else f"{row['premises']:,.0f}"
        rows.append(
            [
                row["release_label"],
                row.get("source_file", ""),
                premises,
                _pct(row["pct_gigabit"]),
                _pct(row["pct_superfast"]),
                _pct(row["pct_below_uso"]),
                row["definition_note"] or row.get("source", ""),
            ]
        )
    widths = [1.6 * cm, 3.5 * cm, 1.7 * cm, 1.6 * cm, 1.8 * cm, 1.7 * cm]
    story: list[Flowable] = [
        PageBreak(),
        _p("Change over time: fixed broadband coverage", "h1"),
        _image(charts.png_bytes(charts.trend_chart(pack.trend)), _WIDTH),
        _table(rows, [*widths, _WIDTH - sum(widths)]),
        Spacer(1, 4),
        _p(
            "Shares are of all premises, recomputed from Ofcom's premises counts where the "
            "release has them ('not published': the release has no such figure; it is not "
            "zero). Hollow markers: superfast derived to the inclusive definition (30 Mbit/s "
            "or more) for releases that published 30-300 Mbit/s only. Data months: "
            + "; ".join(
                f"{trends.period_label(p)}: {s}"
                for p, s in dict(
                    zip(pack.trend["period"], pack.trend["period_source"], strict=True)
                ).items()
            )
            + ".",
            "small",
        ),
    ]
    return story


def _priority_section(pack: EvidencePack) -> list[Flowable]:
    table = priority_table(pack)
    headers = {
        "risk_rank": "Rank",
        "ward_name": "Ward",
        "ward_code": "Code",
        "risk_index": "Risk index (0-10)",
        "residents": "Residents",
        "pct_residents_65_plus": "Aged 65+",
        "pct_residents_disabled": "Disabled",
        "pct_residents_most_deprived_quintile": "In most deprived 20%",
        "pct_premises_below_uso": "Premises below USO",
        "pct_premises_without_gigabit": "Premises without gigabit",
        "double_not_spot": "Double not-spot",
    }
    rows: list[list[object]] = [[headers[c] for c in table.columns]]
    for _, ward in table.iterrows():
        rows.append([_cell(name, ward[name]) for name in table.columns])
    wide = {"ward_name": 3.2 * cm, "ward_code": 1.9 * cm}
    narrow = (_WIDTH - sum(wide.values())) / (len(table.columns) - len(wide))
    return [
        _p("Priority wards, highest risk first", "h1"),
        _table(rows, [wide.get(c, narrow) for c in table.columns]),
        Spacer(1, 4),
        _p(_priority_sentence(pack), "small"),
    ]


def _count(value: Any) -> str:
    return "not known" if pd.isna(value) else f"{int(value):,}"


#: Short headings of the plan status counts in the PDF's tables.
_STATUS_HEADS = {
    "premises_gigabit_now": "Gigabit now",
    "premises_project_gigabit": "Project Gigabit",
    "premises_voucher_project": "Voucher project",
    "premises_commercial_plan": "Planned by supplier",
    "premises_under_review": "Under review",
    "premises_no_gigabit_no_plan": "No gigabit, no plan",
}


def _constituency_rows(table: pd.DataFrame) -> list[list[object]]:
    mobile = "pct_premises_no_4g_indoor" in table
    head = [
        "Constituency",
        "BDUK premises",
        *_STATUS_HEADS.values(),
        "No plan (%)",
        *(["No indoor 4G, whole seat (%)"] if mobile else []),
    ]
    rows: list[list[object]] = [[_p(text, "narrowhead") for text in head]]
    for _, row in table.iterrows():
        rows.append(
            [
                row["constituency_name"],
                _count(row["bduk_premises"]),
                *[_count(row[c]) for c in _STATUS_HEADS],
                _pct(row["pct_premises_no_gigabit_no_plan"]),
                *([_pct(row["pct_premises_no_4g_indoor"])] if mobile else []),
            ]
        )
    return rows


def _top_ward_rows(table: pd.DataFrame) -> list[list[object]]:
    with_pcon = "constituency_name" in table
    rows: list[list[object]] = [
        [
            "Ward",
            *(["Constituency"] if with_pcon else []),
            "No gigabit, no plan",
            "Share (%)",
            "BDUK premises",
            "Project Gigabit contracts (supplier, final coverage, premises)",
        ]
    ]
    for _, row in table.head(plans.TOP_WARDS).iterrows():
        rows.append(
            [
                row["ward_name"],
                *([row["constituency_name"]] if with_pcon else []),
                _count(row["premises_no_gigabit_no_plan"]),
                _pct(row["pct_premises_no_gigabit_no_plan"]),
                _count(row["bduk_premises"]),
                row["contracts"],
            ]
        )
    return rows


def _change_rows(table: pd.DataFrame) -> list[list[object]]:
    rows: list[list[object]] = [
        ["Ward", "No plan before", "No plan now", "Left no plan", "Joined no plan",
         "Gained gigabit", "New premises", "Gone"]
    ]  # fmt: skip
    columns = ("no_plan_before", "no_plan_now", "left_no_plan", "joined_no_plan",
               "gained_gigabit", "new_premises", "removed_premises")  # fmt: skip
    for _, row in table.head(plans.TOP_WARDS).iterrows():
        rows.append([row["ward_name"], *[_count(row[c]) for c in columns]])
    return rows


def _plans_section(pack: EvidencePack) -> list[Flowable]:
    """Lay out the gigabit plans page: headline, constituencies, top wards, changes, not-spots."""
    missing = plans.missing(pack)
    story: list[Flowable] = [
        PageBreak(),
        _p("Gigabit plans", "h1"),
        _p(plans.no_plan_headline(pack), "headline"),
        _p(plans.plans_source(pack), "small"),
        _p(
            "'No gigabit and no plan': no gigabit-capable connection now, no supplier's "
            "commercial plan, no Project Gigabit contract or voucher project, and not under "
            "review by BDUK. Every premises has one status, tested in this order: "
            + ", ".join(PLAN_STATUSES.values())
            + ".",
            "small",
        ),
        _p("By Westminster constituency", "h2"),
    ]
    table = plans.constituency_table(pack)
    if table is None:
        story.append(_p(f"Premises by constituency: {missing['constituencies']}."))
    else:
        rows = _constituency_rows(table)
        first = 2.6 * cm
        rest = (_WIDTH - first) / (len(rows[0]) - 1)
        story += [
            _table(rows, [first, *[rest] * (len(rows[0]) - 1)]),
            Spacer(1, 3),
            _p(
                f"Counts are {pack.la_name}'s premises in each constituency only (a "
                "constituency may reach beyond the authority); premises are placed by "
                "postcode. Planned by supplier: a commercial gigabit plan reported to BDUK. "
                "No indoor 4G is Ofcom's figure for the whole constituency (seat).",
                "small",
            ),
        ]
    story.append(_p("Wards with the most premises with no gigabit and no plan", "h2"))
    wards = plans.no_plan_wards(pack)
    if wards is None:
        story.append(_p(f"Premises by ward: {missing['wards_no_gigabit_no_plan']}."))
    else:
        rows = _top_ward_rows(wards)
        narrow = 1.7 * cm
        names = 3.2 * cm
        n_names = 2 if "constituency_name" in wards else 1
        last = _WIDTH - n_names * names - 3 * narrow
        story.append(_table(rows, [*[names] * n_names, *[narrow] * 3, last]))
    story += [_p("What changed since the last BDUK release", "h2"), _p(plans.change_summary(pack))]
    changes = plans.change_table(pack)
    if changes is not None:
        first = 3.4 * cm
        rest = (_WIDTH - first) / 7
        story.append(_table(_change_rows(changes), [first, *[rest] * 7]))
    story.append(_p("Mobile not-spots", "h1"))
    story += [_p(text) for text in plans.not_spot_sentences(pack)]
    return story


def _cell(name: str, value: Any) -> str:
    if pd.isna(value):
        return "not known"
    if name == "risk_index":
        return f"{float(value):.1f}"
    if name == "double_not_spot":
        return "yes" if value else "no"
    if name.startswith("pct_"):
        return format_pct(float(value))
    if name in ("residents", "risk_rank"):
        return f"{int(value):,}"
    return str(value)


def _methodology(pack: EvidencePack) -> list[Flowable]:
    if pack.fixed_level == "ward (Ofcom API premises)":
        level = (
            "Fixed broadband figures are the maximum predicted speeds of each premises from "
            "Ofcom's API, counted ward by ward; where only a sample of a ward's postcodes was "
            "asked, its share is an estimate with a 95% interval."
        )
    elif pack.fixed_level == "ward":
        level = (
            "Fixed broadband figures are Ofcom's output-area premises counts added up ward by "
            "ward; a ward's share is its premises below a standard divided by all its premises."
        )
    else:
        level = (
            f"The store holds no Ofcom output-area file covering {pack.la_name}, so fixed "
            "broadband is known only for the whole authority (Ofcom's local-authority file). "
            "It is shown as local-authority context and never spread over wards as if measured "
            "there; ward-level fixed not-spots are therefore 'not known'."
        )
    paragraphs = [
        (
            "Ofcom's Connected Nations data say which premises can get a broadband speed "
            "(availability, not what people buy). Below the USO: the broadband universal service "
            f"obligation is {thresholds.USO_DOWNLOAD_MBIT} Mbit/s download and "
            f"{thresholds.USO_UPLOAD_MBIT} Mbit/s upload from a fixed line or fixed wireless. "
            f"Superfast: at least {thresholds.SUPERFAST_MBIT} Mbit/s. Gigabit-capable: at least "
            f"{thresholds.GIGABIT_MBIT} Mbit/s (the Project Gigabit measure)."
        ),
        level,
        (
            "Residents and their ages are Census 2021 counts, and deprivation the nation's index "
            "of multiple deprivation; both are by small area (LSOA), added up to wards with the "
            "ONS best-fit lookup. Shares for the authority are recomputed from the counts (sum of "
            "the part over the sum of the whole), never an average of ward percentages."
        ),
        (
            "Risk index: each ward's digital exclusion risk is scored 0 (lowest) to 10 (highest) "
            "from three equally weighted parts: infrastructure (premises below the USO, without "
            "superfast, without gigabit), demography (residents aged 65+ and 75+) and "
            "deprivation (average deprivation, income and health ranks, residents in the most "
            "deprived tenth). Each figure is scaled between the lowest and highest ward of the "
            "authority; a part with no ward-level figure is left out. Rank 1 is highest risk."
        ),
        (
            "Nation and United Kingdom: shares the build recomputed from Ofcom's newest "
            "local-authority counts summed over the nation or the UK (and Census 2021 small "
            "areas for age); the store holds shares for these, not counts. Regions, and "
            "ward-level measures such as double not-spots beyond this authority, are not held: "
            f"the pack says '{NOT_IN_STORE}' rather than estimate them."
        ),
        (
            "Change over time: every Ofcom local-authority release found is read on one "
            "schema. In 2016, 2018 and 2019 Ofcom's 'superfast' column counted 30 to under 300 "
            "Mbit/s only; the inclusive figure (30 Mbit/s or more) was derived from the "
            "published columns and is flagged in the chart and table, so the two definitions "
            "are never mixed silently. A measure a release did not publish (gigabit before "
            "2021, the USO before 2018) is shown as not published, not zero."
        ),
    ]
    notes = [*pack.notes, *pack.manifest.get("notes", [])]
    return [
        _p("Methodology", "h1"),
        *[_p(text) for text in paragraphs],
        _p("Notes from the calculation and the build", "h1"),
        *[_p(f"• {note}", "small") for note in notes],
    ]


def _sources(pack: EvidencePack) -> list[Flowable]:
    sources = pack.manifest.get("sources", [])
    rows: list[list[object]] = [["Publisher", "File", "Release", "Licence"]]
    rows += [[s["publisher"], s["file"], s["release"], s.get("licence", "")] for s in sources]
    story: list[Flowable] = [
        PageBreak(),
        _p("Sources", "h1"),
        _table(rows, [5.2 * cm, 6.0 * cm, 3.2 * cm, _WIDTH - 14.4 * cm]),
        _p("Attribution", "h1"),
    ]
    if pack.synthetic:
        story.append(
            _p(
                "The demo's files are generated in the publishers' formats and hold no real "
                "figures; the attributions below are those the real files carry.",
                "small",
            )
        )
    story += [_p(text) for text in attributions(pack.manifest)]
    story.append(_p(f"Produced by {pack.manifest.get('software', 'digital-inclusion-map')}."))
    return story


def _decorate(pack: EvidencePack) -> Callable[[Canvas, BaseDocTemplate], None]:
    """Return the page decoration: header, footer and, for synthetic data, the stamp."""

    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(_GREY)
        canvas.drawString(_MARGIN, height - 1.1 * cm, f"Evidence pack: {pack.la_name}")
        canvas.drawRightString(width - _MARGIN, height - 1.1 * cm, f"{pack.date:%d %B %Y}")
        canvas.drawString(_MARGIN, 1.0 * cm, "Contains Ofcom, OS and public sector data (OGL)")
        canvas.drawRightString(width - _MARGIN, 1.0 * cm, f"Page {doc.page}")
        if pack.synthetic:
            canvas.setFillColor(_STAMP)
            canvas.setFont(FONT + "-Bold", 9)
            canvas.drawCentredString(width / 2, height - 1.45 * cm, SYNTHETIC_STAMP)
            canvas.drawCentredString(width / 2, 1.4 * cm, SYNTHETIC_STAMP)
            canvas.setFillAlpha(0.08)
            canvas.setFont(FONT + "-Bold", 60)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(55)
            canvas.drawCentredString(0, 0, "SYNTHETIC DEMO DATA")
        canvas.restoreState()

    return draw


def _canvas_at(moment: dt.datetime) -> type[Canvas]:
    """Make a Canvas class whose PDF creation and modification dates are ``moment`` (UTC)."""
    utc = moment.astimezone(dt.UTC)

    class _Canvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            stamp = self._doc._timeStamp
            stamp.t = utc.timestamp()
            stamp.lt = utc.timetuple()
            stamp.YMDhms = utc.timetuple()[:6]
            stamp.dhh = stamp.dmm = 0

    return _Canvas


def render_pdf(pack: EvidencePack) -> bytes:
    """Lay out the evidence pack as PDF bytes (A4, about six pages).

    Parameters
    ----------
    pack : EvidencePack
        From :func:`evidence.figures.assemble` (or :func:`evidence.pack.build_pack`).

    Returns
    -------
    bytes
        The PDF. Title page with headline figures, the gigabit plans and mobile not-spots
        (:mod:`evidence.plans`), a map of the pack's indicator, a map of not-spots, the
        change across Ofcom releases, the ranked priority wards, methodology,
        sources and attributions. Synthetic data is stamped on every page.
    """
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=f"Digital inclusion evidence pack: {pack.la_name} ({pack.la_code})",
        author="digital-inclusion-map",
        subject=f"{pack.scope}; indicator {pack.indicator.name}",
        creator=str(pack.manifest.get("software", "digital-inclusion-map")),
        invariant=1,
        lang="en-GB",
    )
    frame = Frame(_MARGIN, _MARGIN, _WIDTH, A4[1] - 2 * _MARGIN, id="body")
    doc.addPageTemplates([PageTemplate("page", [frame], onPage=_decorate(pack))])
    story: Iterable[Flowable] = [
        *_title_page(pack),
        *_plans_section(pack),
        *_maps(pack),
        *_trend_section(pack),
        PageBreak(),
        KeepTogether(_priority_section(pack)),
        *_outreach_section(pack),
        *_methodology(pack),
        *_sources(pack),
    ]
    built = dt.datetime.fromisoformat(pack.manifest["built_at"])
    doc.build(list(story), canvasmaker=_canvas_at(built))
    return buffer.getvalue()
