"""The offline catalogue: real vPIC data of the size the issue asks for, and VIN decoding."""

from __future__ import annotations

import pytest

from dealerhub.errors import InvalidRequest
from dealerhub.tradein import schemas
from dealerhub.tradein.catalog import catalog
from dealerhub.tradein.regions import regional_factor, state_of_zip
from dealerhub.tradein.vin import decode_vin


def test_catalogue_size_years_and_source():
    data = catalog()
    assert len(data.makes) >= 40
    assert len(data.models) >= 400
    assert (data.first_year, data.last_year) == (2000, 2026)
    assert (data.first_year, data.last_year) == (schemas.FIRST_YEAR, schemas.LAST_YEAR)
    years = {y for m in data.models.values() for y in m.years}
    assert years == set(range(2000, 2027))
    assert data.source["version"] == "3.45" and "NHTSA vPIC" in data.source["name"]
    names = {m.name for m in data.makes.values()}
    assert {"Toyota", "Ford", "Chevrolet", "Honda", "Tesla", "Ram", "BMW"} <= names


def test_every_model_year_has_trims_and_each_model_a_category():
    data = catalog()
    for model in data.models.values():
        assert model.categories and model.categories <= {1, 2, 3}
        for year in model.years:
            assert data.trims[(model.model_id, year)], (model.name, year)


@pytest.mark.parametrize(
    ("vin", "make", "model", "year"),
    [
        ("1HGCM82633A004352", "Honda", "Accord", 2003),  # vPIC's own example VIN
        ("5YJ3E1EA5KF328931", "Tesla", "Model 3", 2019),
    ],
)
def test_vin_decodes_to_catalogue_model(vin, make, model, year):
    data = catalog()
    decoded = decode_vin(vin, first_year=2000, last_year=2026)
    found = data.models_for_vin(decoded.wmi, decoded.descriptor, decoded.years)
    assert [(data.makes[m.make_id].name, m.name, y) for m, y in found] == [(make, model, year)]


@pytest.mark.parametrize(
    "vin",
    [
        "1HGCM82633A004353",  # check digit wrong
        "1HGCM82633A00435",  # 16 characters
        "1HGCM82633A0043I2",  # I is not a VIN character
        "1HGCM8263UA004352",  # model-year character U is never used
    ],
)
def test_bad_vins_are_400_naming_vin(vin):
    with pytest.raises(InvalidRequest) as err:
        decode_vin(vin, first_year=2000, last_year=2026)
    assert err.value.param == "vin"


def test_zip_to_state_and_region():
    assert [state_of_zip(z) for z in ("90210", "10001", "60601", "75201", "33101", "99501")] == [
        "CA", "NY", "IL", "TX", "FL", "AK",
    ]  # fmt: skip
    assert state_of_zip("00012") is None
    assert regional_factor("CA") > 0 > regional_factor("MI")
    assert regional_factor("GU") == 0
