"""The view state: one value read from the link and the widgets, behind the screen and exports."""

import pytest

from evidence.view import (
    ViewState,
    default_priority_count,
    preset_weights,
    weight_slots,
)
from geo import index

LA = "E08999999"


def test_a_view_goes_into_a_link_and_comes_back_the_same():
    weights = list(preset_weights("deri"))
    weights[2] = 9
    view = ViewState(
        LA, indicator="pct_residents_65_plus", preset="deri", weights=tuple(weights),
        frame="store", fixed_threshold_pct=2.5, mobile_threshold_pct=7.0, priority_wards=8,
        ward="E05999003", outline="double_not_spot", radius_m=1200.0,
        residents_per_champion=750, wards_listed=4,
    )  # fmt: skip
    query = view.to_query()
    assert query["top"] == "8"
    assert query["weights"] == ",".join(map(str, weights))
    back, refused = ViewState.from_query(query, places=[LA])
    assert refused == []
    assert back == view


def test_defaults_stay_out_of_the_link():
    assert ViewState(LA).to_query() == {"la": LA}


def test_the_sliders_weights_make_the_spec():
    slots = weight_slots("default")
    weights = [
        0 if name is None else w
        for (_, name), w in zip(slots, preset_weights("default"), strict=True)
    ]
    spec = ViewState(LA, weights=tuple(weights)).spec
    assert [part.weight for part in spec.components.values()] == [0, 0, 0]
    first = slots[1][1]  # the first indicator of the infrastructure component
    assert (
        spec.infrastructure.indicators[first] == index.DEFAULT_SPEC.infrastructure.indicators[first]
    )
    assert ViewState(LA).spec == index.DEFAULT_SPEC
    assert not ViewState(LA, weights=preset_weights("default")).custom_weights
    assert ViewState(LA, weights=tuple(weights)).custom_weights


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"top": "zero"}, "top ('zero')"),
        ({"top": "0"}, "top ('0')"),
        ({"fixed": "55"}, "fixed ('55')"),
        ({"radius": "nan"}, "radius ('nan')"),
        ({"frame": "galaxy"}, "frame ('galaxy')"),
        ({"indicator": "col7"}, "indicator ('col7')"),
        ({"weights": "1,2"}, "do not fit"),
        ({"weights": "a,b"}, "weights ('a,b')"),
    ],
)
def test_a_link_value_that_does_not_fit_is_refused_and_said(query, said):
    view, refused = ViewState.from_query({"la": LA, **query}, places=[LA])
    assert view == ViewState(LA)
    assert len(refused) == 1 and said in refused[0]


def test_an_unknown_place_in_a_link_opens_the_first_place():
    view, _ = ViewState.from_query({"la": "E0000000X"}, places=[LA, "E08000009"])
    assert view.la_code == LA


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"preset": "mine"}, "unknown weighting 'mine'"),
        ({"weights": (1, 2)}, "2 weights given"),
        ({"priority_wards": 0}, "priority_wards is 0"),
        ({"radius_m": 50.0}, "radius_m is 50.0; expected 200 to 3000"),
        ({"outline": "everything"}, "unknown outline 'everything'"),
    ],
)
def test_a_view_that_cannot_be_is_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        ViewState(LA, **fields)


def test_default_priority_count_is_a_fifth_rounded_up():
    assert [default_priority_count(n) for n in (0, 1, 4, 5, 6, 21, 28)] == [0, 1, 1, 1, 2, 5, 6]


def test_the_view_is_said_in_words_for_the_first_page():
    lines = ViewState(LA, priority_wards=8, ward="E05999001", fixed_threshold_pct=2.5).describe(
        wards=28, indicator="Risk index", ward_name="Ashby"
    )
    assert "Priority wards: the 8 with the highest risk index." in lines
    assert "Ward in view: Ashby (E05999001)." in lines
    assert any("fixed 2.5% of premises below the USO" in line for line in lines)
    assert ViewState(LA).describe(wards=28, indicator="x")[2].startswith("Priority wards: the 6")
