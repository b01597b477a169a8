"""The six /tradein endpoints on the sandbox: bodies, filters, the valuation model, the day
cache, 400/404 rules and the publishable key."""

from __future__ import annotations

import pytest
from sqlmodel import select

from dealerhub.connectors.valuation import sandbox
from dealerhub.tradein import service
from dealerhub.tradein.models import TradeinValuation
from tests.conftest import assert_error

VALUE = {"mileage": 45_678, "zip_code": "75201", "condition": "clean", "option_ids": []}


def test_makes_all_and_filtered(drill):
    r = drill.post("get-tradein-makes", {})
    assert r.status_code == 200
    body = r.get_json()
    assert body["object"] == "list" and set(body) == {"object", "data"}
    assert len(body["data"]) >= 40
    assert set(body["data"][0]) == {"make_id", "name"}
    names = [m["name"] for m in body["data"]]
    assert names == sorted(names, key=str.lower)

    vans = drill.post("get-tradein-makes", {"filter": {"category_id": 3, "year": 2019}}).get_json()
    van_names = {m["name"] for m in vans["data"]}
    assert {"Honda", "Chrysler"} <= van_names and "Ferrari" not in van_names
    bikes = drill.post("get-tradein-makes", {"filter": {"category_id": 4}}).get_json()
    assert bikes["data"] == []  # the vPIC subset has no motorcycles (documented)


def test_models_filtered_by_year_and_category(drill):
    toyota = drill.make("Toyota")["make_id"]
    r = drill.post("get-tradein-models", {"make_id": toyota, "filter": {"year": 2019}})
    models = r.get_json()["data"]
    assert {"Camry", "RAV4", "Tacoma"} <= {m["name"] for m in models}
    assert all(set(m) == {"model_id", "make_id", "name"} and m["make_id"] == toyota for m in models)
    trucks = drill.post(
        "get-tradein-models", {"make_id": toyota, "filter": {"category_id": 2, "year": 2019}}
    ).get_json()["data"]
    assert "Tacoma" in {m["name"] for m in trucks} and "Corolla" not in {m["name"] for m in trucks}


def test_model_years_newest_first(drill):
    model = drill.model("Tesla", "Model 3")
    r = drill.post(
        "get-tradein-modelyears", {"make_id": model["make_id"], "model_id": model["model_id"]}
    )
    years = [y["year"] for y in r.get_json()["data"]]
    assert years[0] == 2026 and years[-1] == 2017 and years == sorted(years, reverse=True)


def test_vehicle_by_model_year_and_by_vin(drill):
    model = drill.model("Honda", "Accord")
    by_year = drill.post("get-tradein-vehicle", {"model_id": model["model_id"], "year": 2003})
    vehicles = by_year.get_json()["data"]
    assert set(vehicles[0]) == {
        "vehicle_id", "year", "make", "model", "trim", "body_style", "drivetrain", "engine", "msrp",
    }  # fmt: skip
    assert {v["make"] for v in vehicles} == {"Honda"} and {v["year"] for v in vehicles} == {2003}
    assert all(isinstance(v["msrp"], int) and v["msrp"] > 1_000_000 for v in vehicles)

    by_vin = drill.post("get-tradein-vehicle", {"vin": "1hgcm82633a004352"}).get_json()["data"]
    assert by_vin == vehicles  # the VIN decodes to the same catalogue model year


def test_vin_errors(drill):
    body = assert_error(
        drill.post("get-tradein-vehicle", {"vin": "1HGCM82633A004353"}),
        400,
        "invalid_request_error",
        "vin_invalid",
    )
    assert body["param"] == "vin" and "check digit" in body["message"]
    body = assert_error(
        drill.post("get-tradein-vehicle", {"vin": "1HGCM8"}), 400, "invalid_request_error"
    )
    assert body["param"] == "vin"
    # A valid VIN of a manufacturer the catalogue does not carry (a Caterpillar truck WMI).
    body = assert_error(
        drill.post("get-tradein-vehicle", {"vin": "11111111111111111"}),
        404,
        "invalid_request_error",
        "resource_missing",
    )
    assert body["param"] == "vin"
    both = drill.post("get-tradein-vehicle", {"vin": "1HGCM82633A004352", "year": 2003})
    assert assert_error(both, 400, "invalid_request_error")["param"] == "year"
    assert (
        assert_error(
            drill.post("get-tradein-vehicle", {"model_id": 1861}), 400, "invalid_request_error"
        )["param"]
        == "year"
    )


def test_options_of_a_vehicle(drill):
    vehicle_id = drill.vehicle()
    options = drill.post("get-tradein-allOptions", {"vehicle_id": vehicle_id}).get_json()["data"]
    assert options and set(options[0]) == {
        "option_id",
        "name",
        "category",
        "standard",
        "adjustment",
    }
    assert all(isinstance(o["standard"], bool) and o["adjustment"] % 100 == 0 for o in options)
    assert "4WD" not in {o["option_id"] for o in options}  # a sedan
    missing = drill.post("get-tradein-allOptions", {"vehicle_id": "sbx_2469_2019_99"})
    assert (
        assert_error(missing, 404, "invalid_request_error", "resource_missing")["param"]
        == "vehicle_id"
    )


def test_valuation_body_and_model(drill):
    vehicle_id = drill.vehicle()
    r = drill.post("get-tradein-vehiclevalue", {"vehicle_id": vehicle_id, **VALUE})
    assert r.status_code == 200, r.get_data(as_text=True)
    v = r.get_json()
    assert set(v) == {
        "object", "vehicle_id", "mileage", "condition", "currency", "base_value",
        "mileage_adjustment", "option_adjustment", "regional_adjustment", "values", "provider",
        "valued_at",
    }  # fmt: skip
    assert (v["object"], v["currency"], v["provider"], v["mileage"]) == (
        "tradein_valuation", "usd", "sandbox", 45_678,
    )  # fmt: skip
    trade = v["values"]["trade_in"]
    assert (
        trade["clean"]
        == v["base_value"]
        + v["mileage_adjustment"]
        + v["option_adjustment"]
        + v["regional_adjustment"]
    )
    assert trade["rough"] < trade["average"] < trade["clean"] < trade["extra_clean"]
    for condition in trade:
        assert (
            trade[condition]
            < v["values"]["private_party"][condition]
            < v["values"]["retail"][condition]
        )
    assert v["regional_adjustment"] > 0  # Texas
    assert v["mileage_adjustment"] > 0  # 45,678 miles on a 7-year-old car is below 12,000 a year
    # The documented model, recomputed: clean base = MSRP x 0.82 x 0.87^age.
    msrp = drill.post(
        "get-tradein-vehicle", {"model_id": int(vehicle_id.split("_")[1]), "year": 2019}
    ).get_json()["data"][0]["msrp"]
    assert v["base_value"] == round(msrp / 100 * 0.82 * 0.87**7) * 100


def test_mileage_options_and_region_move_the_value(drill):
    vehicle_id = drill.vehicle()

    def clean(**changes):
        r = drill.post("get-tradein-vehiclevalue", {"vehicle_id": vehicle_id, **VALUE, **changes})
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()

    low, high = clean(mileage=20_000), clean(mileage=180_000)
    assert high["mileage_adjustment"] < 0 < low["mileage_adjustment"]
    assert high["values"]["trade_in"]["clean"] < low["values"]["trade_in"]["clean"]
    options = drill.post("get-tradein-allOptions", {"vehicle_id": vehicle_id}).get_json()["data"]
    extra = next(o for o in options if not o["standard"])
    standard = next(o for o in options if o["standard"])
    with_extra = clean(option_ids=[extra["option_id"]])
    assert with_extra["option_adjustment"] == extra["adjustment"]
    assert clean(option_ids=[standard["option_id"]])["option_adjustment"] == 0
    assert clean(zip_code="48201")["regional_adjustment"] < 0  # Detroit
    assert clean(condition="rough")["base_value"] < clean(condition="clean")["base_value"]


def test_same_request_same_value_and_day_cache(drill, db, dealer, monkeypatch):
    vehicle_id = drill.vehicle()
    body = {"vehicle_id": vehicle_id, **VALUE, "option_ids": ["NAV", "LTH"]}
    first = drill.post("get-tradein-vehiclevalue", body)
    assert first.headers["Valuation-Cached"] == "false"
    calls = []
    original = sandbox.SandboxValuation.value
    monkeypatch.setattr(
        sandbox.SandboxValuation,
        "value",
        lambda self, req: calls.append(req) or original(self, req),
    )
    # Same band (45,000-45,999), options in another order, ZIP+4: answered from the cache.
    again = drill.post(
        "get-tradein-vehiclevalue",
        {**body, "mileage": 45_012, "option_ids": ["LTH", "NAV"], "zip_code": "75201-1234"},
    )
    assert again.headers["Valuation-Cached"] == "true" and calls == []
    assert {**again.get_json(), "mileage": 45_678} == first.get_json()
    assert again.get_json()["mileage"] == 45_012
    # Another band, condition or ZIP is a new valuation.
    for change in ({"mileage": 46_000}, {"condition": "average"}, {"zip_code": "90210"}):
        r = drill.post("get-tradein-vehiclevalue", {**body, **change})
        assert r.headers["Valuation-Cached"] == "false"
    assert len(calls) == 3
    # A day later the cache no longer answers; the value itself is unchanged.
    later = first.get_json()["valued_at"] + service.CACHE_SECONDS + 1
    monkeypatch.setattr("dealerhub.tradein.service.now", lambda: later)
    r = drill.post("get-tradein-vehiclevalue", body)
    assert r.headers["Valuation-Cached"] == "false" and r.get_json()["valued_at"] == later
    assert r.get_json()["values"] == first.get_json()["values"]
    with db.transaction() as session:
        rows = session.scalars(
            select(TradeinValuation).where(TradeinValuation.dealer_id == dealer.id)
        ).all()
        assert len(rows) == 5
        assert service.purge_expired(session, at=later) >= 4


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"mileage": -1}, "mileage"),
        ({"mileage": "45000"}, "mileage"),
        ({"zip_code": "7520"}, "zip_code"),
        ({"zip_code": "00012"}, "zip_code"),
        ({"condition": "mint"}, "condition"),
        ({"option_ids": "NAV"}, "option_ids"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_valuation_input_is_400_and_stores_nothing(drill, db, dealer, change, param):
    vehicle_id = drill.vehicle()
    r = drill.post("get-tradein-vehiclevalue", {"vehicle_id": vehicle_id, **VALUE, **change})
    assert assert_error(r, 400, "invalid_request_error")["param"] == param
    with db.transaction() as session:
        assert (
            session.scalars(
                select(TradeinValuation).where(TradeinValuation.dealer_id == dealer.id)
            ).all()
            == []
        )


def test_unknown_ids_are_404(drill):
    toyota = drill.make("Toyota")["make_id"]
    honda_model = drill.model("Honda", "Accord")["model_id"]
    cases = [
        ("get-tradein-models", {"make_id": 999_999}, "make_id"),
        ("get-tradein-modelyears", {"make_id": toyota, "model_id": honda_model}, "model_id"),
        ("get-tradein-vehicle", {"model_id": 999_999, "year": 2019}, "model_id"),
        (
            "get-tradein-vehicle",
            {"model_id": drill.model("Tesla", "Model 3")["model_id"], "year": 2010},
            "year",
        ),
        ("get-tradein-vehiclevalue", {"vehicle_id": "sbx_1_2019_0", **VALUE}, "vehicle_id"),
        ("get-tradein-vehiclevalue", {"vehicle_id": "bb_1234", **VALUE}, "vehicle_id"),
        (
            "get-tradein-vehiclevalue",
            {"vehicle_id": drill.vehicle(), **VALUE, "option_ids": ["XYZ"]},
            "option_ids",
        ),
    ]
    for path, body, param in cases:
        assert (
            assert_error(drill.post(path, body), 404, "invalid_request_error", "resource_missing")[
                "param"
            ]
            == param
        ), path


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("get-tradein-makes", {"filter": {"category_id": 5}}, "filter.category_id"),
        ("get-tradein-makes", {"filter": {"year": 1999}}, "filter.year"),
        ("get-tradein-makes", {"filter": {"colour": "red"}}, "filter.colour"),
        ("get-tradein-models", {"filter": {}}, "make_id"),
        ("get-tradein-models", {"make_id": "448"}, "make_id"),
        ("get-tradein-modelyears", {"make_id": 448}, "model_id"),
        ("get-tradein-allOptions", {}, "vehicle_id"),
    ],
)
def test_bad_drilldown_input_is_400_naming_the_field(drill, path, body, param):
    assert assert_error(drill.post(path, body), 400, "invalid_request_error")["param"] == param


def test_publishable_and_secret_keys_both_work_and_no_key_is_401(api, pk_api, client):
    for key_api in (api, pk_api):
        assert key_api.post("/tradein/get-tradein-makes", json={}).status_code == 200
    assert_error(client.post("/tradein/get-tradein-makes", json={}), 401, "authentication_error")
    # ...while the same publishable key stays locked out of secret-key endpoints.
    assert_error(pk_api.get("/credit/checks"), 403, "permission_error")
