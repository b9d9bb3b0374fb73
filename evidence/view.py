"""What a user is looking at, as one value: the app draws it and every export is made from it.

A :class:`ViewState` holds every choice that changes a figure: the place, the indicator, the
weights, the scoring frame, the not-spot thresholds, the number of priority wards, the ward in
view, and the outreach settings. The app builds one from its widgets (which start from the
link, :meth:`ViewState.from_query`), hands it to :func:`evidence.figures.assemble`, and shows
the pack that returns; the PDF, CSV and zip are made from that same pack, and its first page
states the view (:meth:`ViewState.describe`). So what is exported is what was on the screen.

Pure: no Streamlit, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Literal

from geo import index
from geo.indicators import INDICATORS
from geo.outreach import WALKING_CATCHMENT_M

#: Which wards the index scores against (their lowest and highest values score 0 and 10).
FRAMES: dict[str, str] = {"authority": "this local authority", "store": "every ward in the store"}

#: Not-spot layers that can be outlined on the map.
OUTLINES: dict[str, str] = {
    "none": "nothing",
    "fixed_not_spot": "fixed broadband not-spots",
    "mobile_not_spot": "mobile not-spots",
    "double_not_spot": "double not-spots (fixed and mobile)",
}

#: Share of an authority's wards (highest risk index first) that are its priority wards until
#: the user chooses a number: the fifth most at risk, at least one.
PRIORITY_SHARE = 0.2

#: Lowest and highest value the app offers for each numeric choice (its sliders' ranges).
RANGES: dict[str, tuple[float, float]] = {
    "fixed_threshold_pct": (0.0, 20.0),
    "mobile_threshold_pct": (0.0, 20.0),
    "radius_m": (200.0, 3000.0),
    "residents_per_champion": (50, 100_000),
    "wards_listed": (1, 1_000),
}

#: Residents one digital champion is planned to reach, until the user chooses.
RESIDENTS_PER_CHAMPION = 1_000
#: Wards not reached by any venue listed in the outreach table, until the user chooses.
WARDS_LISTED = 10
#: Venues used when none is uploaded: the place's own list in the store.
STORE_VENUES = "store"


def default_priority_count(wards: int) -> int:
    """Return how many priority wards an authority of ``wards`` wards starts with.

    :data:`PRIORITY_SHARE` of its wards, rounded up, at least one (none for no ward).

    Examples
    --------
    >>> default_priority_count(28), default_priority_count(21), default_priority_count(1)
    (6, 5, 1)
    """
    return max(1, math.ceil(PRIORITY_SHARE * wards)) if wards else 0


def weight_slots(preset: str) -> list[tuple[str, str | None]]:
    """Return the weights of a weighting in slider order: ``(component, indicator or None)``.

    Each component's own weight (``None``), then its indicators' weights, component by
    component. The link's ``weights`` lists the values in this order.

    Examples
    --------
    >>> weight_slots("default")[0]
    ('infrastructure', None)
    """
    return [
        slot
        for component, part in index.PRESETS[preset].spec.components.items()
        for slot in ((component, None), *((component, name) for name in part.indicators))
    ]


def preset_weights(preset: str) -> tuple[int, ...]:
    """Return a weighting's published weights in :func:`weight_slots` order."""
    spec = index.PRESETS[preset].spec
    return tuple(
        spec.components[component].weight
        if name is None
        else spec.components[component].indicators[name]
        for component, name in weight_slots(preset)
    )


@dataclass(frozen=True)
class ViewState:
    """Every choice of the user that changes a figure on the screen or in an export.

    Attributes
    ----------
    la_code : str
        The local authority shown.
    indicator : str or None
        Indicator mapped: ``"risk_index"`` or a key of :data:`geo.indicators.INDICATORS`;
        None for the evidence pack's default (:data:`evidence.figures.DEFAULT_INDICATORS`).
        The app starts on the risk index.
    preset : str
        Weighting the sliders started from (key of :data:`geo.index.PRESETS`).
    weights : tuple of int
        Every weight (0 to 10) in :func:`weight_slots` order; empty for the preset's own (the
        preset's own values are kept as empty, so the two are one view).
    frame : {"authority", "store"}
        Wards the index scores against (:data:`FRAMES`).
    fixed_threshold_pct, mobile_threshold_pct : float
        Not-spot thresholds (% of premises), as :func:`geo.index.not_spots`.
    priority_wards : int or None
        How many of the highest-risk wards are priority wards; None for
        :func:`default_priority_count`.
    selection : tuple of str
        Ward codes an export is about (``python -m evidence --wards``); they become the
        priority wards. Empty: the whole authority.
    ward : str or None
        Ward in view (the ward card), highlighted on the map and named in the exports.
    outline : str
        Not-spot layer outlined on the map (:data:`OUTLINES`).
    radius_m : float
        Venue catchment, metres (straight line).
    residents_per_champion : int
        Residents one digital champion is planned to reach.
    wards_listed : int
        Unreached wards listed in the outreach table.
    venues : str
        Venues used: :data:`STORE_VENUES` (the place's own), or the uploaded file's name and
        checksum (``"upload:<name>:<sha256 prefix>"``).

    Examples
    --------
    >>> view = ViewState("E08999999", priority_wards=8)
    >>> ViewState.from_query(view.to_query(), places=["E08999999"])[0] == view
    True
    """

    la_code: str
    indicator: str | None = None
    preset: str = "default"
    weights: tuple[int, ...] = ()
    frame: Literal["authority", "store"] = "authority"
    fixed_threshold_pct: float = index.FIXED_NOT_SPOT_PCT
    mobile_threshold_pct: float = index.MOBILE_NOT_SPOT_PCT
    priority_wards: int | None = None
    selection: tuple[str, ...] = ()
    ward: str | None = None
    outline: str = "none"
    radius_m: float = WALKING_CATCHMENT_M
    residents_per_champion: int = RESIDENTS_PER_CHAMPION
    wards_listed: int = WARDS_LISTED
    venues: str = field(default=STORE_VENUES)

    def __post_init__(self) -> None:
        if self.preset not in index.PRESETS:
            raise ValueError(
                f"unknown weighting {self.preset!r}; expected one of {list(index.PRESETS)}"
            )
        if self.weights and len(self.weights) != len(weight_slots(self.preset)):
            raise ValueError(
                f"{len(self.weights)} weights given for '{index.PRESETS[self.preset].label}', "
                f"which has {len(weight_slots(self.preset))}"
            )
        if self.weights == preset_weights(self.preset):  # the preset's own: one view, one link
            object.__setattr__(self, "weights", ())
        if self.frame not in FRAMES:
            raise ValueError(f"unknown frame {self.frame!r}; expected one of {list(FRAMES)}")
        if self.outline not in OUTLINES:
            raise ValueError(f"unknown outline {self.outline!r}; expected one of {list(OUTLINES)}")
        if self.priority_wards is not None and self.priority_wards < 1:
            raise ValueError(f"priority_wards is {self.priority_wards}; expected 1 or more")
        for name, (low, high) in RANGES.items():
            if not low <= getattr(self, name) <= high:
                raise ValueError(f"{name} is {getattr(self, name)}; expected {low:g} to {high:g}")

    @property
    def spec(self) -> index.IndexSpec:
        """The risk index weights of this view (the preset's, with the sliders' values)."""
        spec = index.PRESETS[self.preset].spec
        for (component, name), weight in zip(
            weight_slots(self.preset), self.weights or preset_weights(self.preset), strict=True
        ):
            spec = spec.with_weight(component, weight, indicator=name)
        return spec

    @property
    def custom_weights(self) -> bool:
        """True when a weight differs from the preset's own."""
        return bool(self.weights)

    def to_query(self) -> dict[str, str]:
        """Return the link's query parameters of this view (defaults left out but the place)."""
        default = ViewState(self.la_code)
        query = {"la": self.la_code}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("la_code", "venues", "selection") or value == getattr(default, f.name):
                continue
            query[_QUERY_KEYS.get(f.name, f.name)] = _text(value)
        return query

    @classmethod
    def from_query(
        cls, query: Mapping[str, str], *, places: list[str]
    ) -> tuple[ViewState, list[str]]:
        """Read a view from a link's query parameters; return it and what was refused.

        A value that does not fit (an unknown place, indicator or ward code is left for the
        caller, which knows the place's wards; a weight list of the wrong length, a number
        out of range) is left at its default, with a sentence saying so.

        Parameters
        ----------
        query : mapping of str to str
            The link's parameters (:meth:`to_query`).
        places : list of str
            Codes of the places in the store; the first is used when ``la`` names none.

        Returns
        -------
        (ViewState, list of str)
        """
        refused: list[str] = []
        la_code = query.get("la") if query.get("la") in places else places[0]
        values: dict[str, object] = {}
        for f in fields(cls):
            key = _QUERY_KEYS.get(f.name, f.name)
            if f.name in ("la_code", "venues", "selection") or key not in query:
                continue
            text = query[key]
            try:
                values[f.name] = _parse(f.name, text)
                if f.name != "weights":  # weights fit a weighting: checked below
                    replace(ViewState(la_code), **{f.name: values[f.name]})
            except ValueError:
                values.pop(f.name, None)
                refused.append(f"the link's {key} ({text!r}) is not a value this app offers")
        preset = str(values.get("preset", "default"))
        weights = values.pop("weights", ())
        view = replace(ViewState(la_code), **values)
        if weights:
            slots = weight_slots(preset)
            if len(weights) == len(slots) and all(0 <= w <= index.MAX_WEIGHT for w in weights):
                view = replace(view, weights=weights)
            else:
                refused.append(
                    f"The link's weights ({len(weights)} values) do not fit the {len(slots)} "
                    f"weights of '{index.PRESETS[preset].label}', so the sliders start from "
                    "that weighting's own values."
                )
        return view, refused

    def describe(self, *, wards: int, indicator: str, ward_name: str = "") -> list[str]:
        """Say this view in plain words, one sentence per choice, for an export's first page.

        Parameters
        ----------
        wards : int
            Ranked wards of the authority (for the default number of priority wards).
        indicator : str
            Label of the indicator mapped.
        ward_name : str, optional
            Name of the ward in view.
        """
        top = self.priority_wards or default_priority_count(wards)
        weights = (
            "the weights chosen on screen (see the method section)"
            if self.custom_weights
            else f"the weights of '{index.PRESETS[self.preset].label}'"
        )
        lines = [
            f"Map of: {indicator}.",
            f"Risk index: {weights}, scored against {FRAMES[self.frame]}.",
            (
                f"Priority wards: the {len(self.selection)} selected."
                if self.selection
                else f"Priority wards: the {top} with the highest risk index."
            ),
            f"Not-spot thresholds: fixed {self.fixed_threshold_pct:g}% of premises below the "
            f"USO; mobile {self.mobile_threshold_pct:g}%.",
        ]
        if self.ward:
            lines.append(f"Ward in view: {ward_name} ({self.ward}).")
        return lines


#: Query parameter of a view field, where it differs from the field's name.
_QUERY_KEYS = {
    "fixed_threshold_pct": "fixed",
    "mobile_threshold_pct": "mobile",
    "priority_wards": "top",
    "radius_m": "radius",
    "residents_per_champion": "per_champion",
    "wards_listed": "listed",
}


def _text(value: object) -> str:
    """One field's value as query parameter text."""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _parse(name: str, text: str) -> object:
    """Turn one query parameter's text into the field's value (ValueError if it cannot)."""
    if name == "weights":
        return tuple(int(v) for v in text.split(","))
    if name in ("fixed_threshold_pct", "mobile_threshold_pct", "radius_m"):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value
    if name in ("priority_wards", "residents_per_champion", "wards_listed"):
        return int(text)
    if name == "indicator" and text != index.RISK_INDEX.name and text not in INDICATORS:
        raise ValueError(text)
    return text
