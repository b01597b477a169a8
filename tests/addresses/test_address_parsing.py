"""Free text → Publication 28 parts (usaddress + usaddress-scourgify)."""

from __future__ import annotations

import pytest

from dealerhub.addresses.parsing import MAX_LENGTH, UnparseableAddress, clean, components, parse
from dealerhub.connectors.address.base import AddressQuery, StandardAddress


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "1600 Pennsylvania Avenue Northwest, Washington, District of Columbia 20500",
            AddressQuery("1600 PENNSYLVANIA AVE NW", None, "WASHINGTON", "DC", "20500"),
        ),
        (
            "100 N. Main Street, Suite 200, Ann Arbor, Michigan 48104-1234",
            AddressQuery("100 N MAIN ST", "STE 200", "ANN ARBOR", "MI", "48104", "1234"),
        ),
        (
            "Apt 4, 123 Main St, Springfield IL 627011234",
            AddressQuery("123 MAIN ST", "APT 4", "SPRINGFIELD", "IL", "62701", "1234"),
        ),
        (
            "PO Box 123, Springfield IL 62701",
            AddressQuery("PO BOX 123", None, "SPRINGFIELD", "IL", "62701"),
        ),
        (
            "1 Main St, Boston, MA 02108, USA",
            AddressQuery("1 MAIN ST", None, "BOSTON", "MA", "02108"),
        ),
        (
            "742 Evergreen Terrace, Springfield",
            AddressQuery("742 EVERGREEN TER", None, "SPRINGFIELD", None, None),
        ),
        (
            "123 Main St, Springfield, IL 62701-12",
            AddressQuery("123 MAIN ST", None, "SPRINGFIELD", "IL", "62701-12"),
        ),
    ],
)
def test_parse_normalises_to_publication_28(text, expected):
    assert parse(clean(text)) == expected


def test_equivalent_inputs_share_one_key():
    a = parse(clean("1600 Pennsylvania Avenue NW, Washington, DC 20500"))
    b = parse(clean("1600  pennsylvania ave. n.w.\nwashington dc 20500"))
    assert a.key() == b.key() == "1600 PENNSYLVANIA AVE NW||WASHINGTON|DC|20500|"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("hello world", "no street number"),
        ("Main St & 2nd Ave, Springfield IL", "intersection"),
        ("123 Main St Apt 4 Apt 5 Springfield IL", "more than once"),
        ("1 Main St, Boston, MA 02108, Canada", "Only US addresses"),
        ("24 Sussex Dr, Ottawa ON K1M 1M4, Canada", "could not be parsed"),
    ],
)
def test_unparseable(text, why):
    with pytest.raises(UnparseableAddress) as err:
        parse(clean(text))
    assert why in str(err.value)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("   ", "blank"),
        (" , ", "blank"),
        ("1 Main St\x00", "control characters"),
        ("1 Main St " + "x" * MAX_LENGTH, f"at most {MAX_LENGTH}"),
    ],
)
def test_clean_rejects_bad_input(text, why):
    with pytest.raises(ValueError, match=why):
        clean(text)


def test_clean_turns_line_breaks_into_commas():
    assert clean("  123 Main St\r\n Springfield IL\t62701 ") == "123 Main St, Springfield IL 62701"


def test_components_split_the_standardised_address():
    address = StandardAddress("100 N MAIN ST", "# 3B", "ANN ARBOR", "MI", "48104", "1234")
    parts = components(address, {"county": "Washtenaw County", "zip_type": "STANDARD"})
    assert parts["primary_number"] == "100"
    assert parts["street_predirection"] == "N"
    assert parts["street_name"] == "MAIN"
    assert parts["street_suffix"] == "ST"
    assert (parts["secondary_designator"], parts["secondary_number"]) == ("#", "3B")
    assert (parts["city"], parts["state"], parts["zip5"], parts["zip4"]) == (
        "ANN ARBOR",
        "MI",
        "48104",
        "1234",
    )
    assert parts["county"] == "Washtenaw County" and parts["dpv_confirmation"] is None
    box = components(StandardAddress("PO BOX 12", None, "X", "IL", "62701"), {})
    assert (box["po_box_designator"], box["po_box_number"], box["primary_number"]) == (
        "PO BOX",
        "12",
        None,
    )
    assert set(components(None, {}).values()) == {None}
