"""The offline sandbox verifier: ZIP code exists, and matches the state and the city."""

from __future__ import annotations

import pytest
import zipcodes

from dealerhub.connectors.address.base import AddressQuery
from dealerhub.connectors.address.sandbox import SandboxVerifier
from dealerhub.connectors.address.zipdb import city_key
from dealerhub.connectors.base import ConnectorUnavailable

SANDBOX = SandboxVerifier()


def verify(line1="1 MAIN ST", city="SPRINGFIELD", state="IL", zip5="62701", line2=None, zip4=None):
    return SANDBOX.verify(AddressQuery(line1, line2, city, state, zip5, zip4))


def test_verified_when_zip_exists_and_matches_state_and_city():
    answer = verify("1600 PENNSYLVANIA AVE NW", "WASHINGTON", "DC", "20500", zip4="0005")
    assert answer.verified is True and answer.error_message is None
    assert answer.address.as_dict() == {
        "line1": "1600 PENNSYLVANIA AVE NW",
        "line2": None,
        "city": "WASHINGTON",
        "state": "DC",
        "postal_code": "20500",
        "zip4": "0005",
        "country": "US",
    }
    assert answer.details == {"county": "District of Columbia", "zip_type": "STANDARD"}
    assert answer.candidates == ()


@pytest.mark.parametrize(
    ("city", "state", "zip5"),
    [
        ("ST LOUIS", "MO", "63101"),  # abbreviation of the preferred SAINT LOUIS
        ("SAINT LOUIS", "MO", "63101"),
        ("FT FAIRFIELD", "ME", "04742"),  # an acceptable alternative name
        ("FORT FAIRFIELD", "ME", "04742"),
    ],
)
def test_city_spellings_usps_accepts(city, state, zip5):
    assert verify(city=city, state=state, zip5=zip5).verified is True


def test_zip_that_does_not_exist():
    answer = verify(zip5="00000")
    assert answer.verified is False
    assert answer.error_message == "ZIP code 00000 does not exist."
    # Candidates: the ZIP codes Springfield, IL has.
    assert [c.postal_code for c in answer.candidates][:2] == ["62701", "62702"]
    assert len(answer.candidates) == 5 and {c.city for c in answer.candidates} == {"SPRINGFIELD"}


def test_inactive_zip_is_not_verified():
    inactive = zipcodes.filter_by(active=False)[0]
    answer = verify(
        city=inactive["city"].upper(), state=inactive["state"], zip5=inactive["zip_code"]
    )
    assert answer.verified is False
    assert answer.error_message == f"ZIP code {inactive['zip_code']} is no longer in service."


def test_zip_in_another_state():
    answer = verify(city="ARLINGTON", state="VA", zip5="20500")
    assert answer.verified is False
    assert answer.error_message == "ZIP code 20500 is in DC, not VA."
    first, *others = answer.candidates
    assert (first.city, first.state, first.postal_code) == ("WASHINGTON", "DC", "20500")
    assert others and all(c.city == "ARLINGTON" and c.state == "VA" for c in others)


def test_city_that_does_not_match_the_zip():
    answer = verify(city="CHICAGO", zip5="62701")
    assert answer.verified is False
    assert answer.error_message == "ZIP code 62701 is SPRINGFIELD, IL, not CHICAGO."
    assert answer.candidates[0].city == "SPRINGFIELD"
    assert answer.candidates[0].postal_code == "62701"
    assert answer.candidates[1].city == "CHICAGO"
    assert answer.details["county"] == "Sangamon County"


def test_unacceptable_city_name():
    answer = verify("350 5TH AVE", "MANHATTAN", "NY", "10118")
    assert answer.verified is False
    assert answer.error_message == (
        "MANHATTAN is not a USPS-accepted city name for ZIP code 10118; use NEW YORK."
    )
    assert answer.candidates[0].city == "NEW YORK"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"state": None}, "The address has no state."),
        ({"state": "ZZ"}, "ZZ is not a US state or territory code."),
        ({"zip5": None}, "The address has no ZIP code."),
        ({"zip5": None, "city": None}, "The address has no city or ZIP code."),
        ({"zip5": "6270"}, "6270 is not a 5-digit ZIP code."),
        ({"city": None}, "The address has no city; ZIP code 62701 is SPRINGFIELD, IL."),
    ],
)
def test_missing_or_malformed_parts(kwargs, message):
    answer = verify(**kwargs)
    assert answer.verified is False and answer.error_message == message


def test_missing_zip_suggests_the_citys_zip_codes():
    answer = verify(zip5=None)
    assert [c.postal_code for c in answer.candidates] == [
        "62701",
        "62702",
        "62703",
        "62704",
        "62705",
    ]


@pytest.mark.parametrize(
    ("line1", "code"), [("1 UNAVAILABLE ST", "service_unavailable"), ("9 TIMEOUT AVE", "timeout")]
)
def test_magic_faults(line1, code):
    with pytest.raises(ConnectorUnavailable) as err:
        verify(line1)
    assert err.value.vendor_code == code and err.value.retryable is True


def test_city_key():
    assert city_key("St. Louis") == city_key("SAINT LOUIS") == "SAINT LOUIS"
    assert city_key("Coeur d'Alene") == "COEUR DALENE"
    assert city_key("N Las-Vegas") == "NORTH LAS VEGAS"
