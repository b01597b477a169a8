"""The Black Book connector's wire format (responses), the live-mode path from /configuration,
masking of its password, and its error mapping."""

from __future__ import annotations

import base64
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from tests.conftest import assert_error

BASE = "https://service.blackbookcloud.com/UsedCarWS/UsedCarWS"
PASSWORD = "bb-s3cret-pass"


def used_vehicle(uvc: str = "2019000123", **extra):
    row = {
        "uvc": uvc,
        "model_year": "2019",
        "make": "Toyota",
        "model": "Camry",
        "series": "LE",
        "style": "4D Sedan",
        "msrp": 24350,
        "drivetrain": "FWD",
        "engine_description": "2.5L I4 DOHC",
        "first_values_flag": False,
        "add_deduct_list": [
            {
                "uoc": "N5",
                "name": "Navigation System",
                "xclean": 475,
                "clean": 450,
                "avg": 400,
                "rough": 300,
                "auto": "N",
            },
            {
                "uoc": "20",
                "name": "Leather",
                "xclean": 600,
                "clean": 575,
                "avg": 500,
                "rough": 400,
                "auto": "Y",
            },
        ],
    }
    for kind, conds in {
        "tradein": ("clean", "avg", "rough"),
        "private": ("clean", "avg", "rough"),
        "retail": ("xclean", "clean", "avg", "rough"),
    }.items():
        for i, c in enumerate(conds):
            base = {"tradein": 15000, "private": 17000, "retail": 19500}[kind] - 1500 * i
            row |= {
                f"base_{kind}_{c}": base,
                f"mileage_{kind}_{c}": -425,
                f"add_deduct_{kind}_{c}": 575,
                f"regional_{kind}_{c}": 150,
                f"adjusted_{kind}_{c}": base - 425 + 575 + 150,
            }
    return {
        "warning_count": 0,
        "error_count": 0,
        "message_list": [],
        "used_vehicles": {"used_vehicle_list": [row | extra], "data_available": True},
    }


def drilldown():
    styles = [
        {"name": "4D Sedan", "uvc": "2019000123"},
        {"name": "4D Sedan Hybrid", "uvc": "2019000124"},
    ]
    return {
        "drilldown": {
            "class_list": [
                {
                    "name": "Car",
                    "year_list": [
                        {
                            "name": "2019",
                            "make_list": [
                                {
                                    "name": "Toyota",
                                    "model_list": [
                                        {
                                            "name": "Camry",
                                            "series_list": [{"name": "LE", "style_list": styles}],
                                        }
                                    ],
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    }


@pytest.fixture
def live(live_api):
    r = live_api.post(
        "/configuration",
        json={
            "trade_in": {
                "black_book": {"username": "dealer42", "password": PASSWORD, "customer_id": "dh-42"}
            }
        },
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    return live_api


def _basic(call) -> tuple[str, str]:
    scheme, token = call.request.headers["Authorization"].split(" ")
    assert scheme == "Basic"
    user, password = base64.b64decode(token).decode().split(":", 1)
    return user, password


def test_configuration_masks_the_password(live):
    body = live.get("/configuration").get_json()
    assert body["trade_in"]["black_book"] == {
        "username": "dealer42",
        "password": "********",
        "customer_id": "dh-42",
    }


@responses.activate
def test_vehicles_drilldown_wire_format(live):
    responses.get(f"{BASE}/Drilldown/ALL/2019/Toyota", json=drilldown())
    model = next(
        m
        for m in live.post("/tradein/get-tradein-models", json={"make_id": 448}).get_json()["data"]
        if m["name"] == "Camry"
    )
    r = live.post(
        "/tradein/get-tradein-vehicle", json={"model_id": model["model_id"], "year": 2019}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert [v["vehicle_id"] for v in r.get_json()["data"]] == ["bb_2019000123", "bb_2019000124"]
    assert r.get_json()["data"][0] | {} == {
        "vehicle_id": "bb_2019000123",
        "year": 2019,
        "make": "Toyota",
        "model": "Camry",
        "trim": "LE",
        "body_style": "4D Sedan",
        "drivetrain": None,
        "engine": None,
        "msrp": None,
    }
    (call,) = responses.calls
    assert call.request.method == "GET"
    url = urlsplit(call.request.url)
    assert url.path == "/UsedCarWS/UsedCarWS/Drilldown/ALL/2019/Toyota"
    assert parse_qs(url.query) == {
        "model": ["Camry"],
        "drilldeep": ["true"],
        "getclass": ["true"],
        "customerid": ["dh-42"],
    }
    assert _basic(call) == ("dealer42", PASSWORD)
    assert call.request.headers["Accept"] == "application/json"
    assert call.request.body is None


@responses.activate
def test_vin_options_and_value_wire_format(live, caplog):
    caplog.set_level(logging.DEBUG)
    responses.get(f"{BASE}/UsedVehicle/VIN/4T1B11HK8KU123456", json=used_vehicle())
    responses.get(f"{BASE}/UsedVehicle/UVC/2019000123", json=used_vehicle())
    vin = live.post("/tradein/get-tradein-vehicle", json={"vin": "4T1B11HK8KU123456"})
    assert vin.status_code == 200, vin.get_data(as_text=True)
    assert vin.get_json()["data"] == [
        {
            "vehicle_id": "bb_2019000123",
            "year": 2019,
            "make": "Toyota",
            "model": "Camry",
            "trim": "LE",
            "body_style": "4D Sedan",
            "drivetrain": "FWD",
            "engine": "2.5L I4 DOHC",
            "msrp": 2435000,
        }
    ]
    options = live.post(
        "/tradein/get-tradein-allOptions", json={"vehicle_id": "bb_2019000123"}
    ).get_json()["data"]
    assert options == [
        {
            "option_id": "N5",
            "name": "Navigation System",
            "category": "equipment",
            "standard": False,
            "adjustment": 45000,
        },
        {
            "option_id": "20",
            "name": "Leather",
            "category": "equipment",
            "standard": True,
            "adjustment": 57500,
        },
    ]
    r = live.post(
        "/tradein/get-tradein-vehiclevalue",
        json={
            "vehicle_id": "bb_2019000123",
            "mileage": 52_345,
            "zip_code": "60601",
            "condition": "average",
            "option_ids": ["N5", "20"],
        },
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    v = r.get_json()
    assert v["provider"] == "black_book"
    # average trade-in: base 13,500 - 425 mileage + 575 standard leather + 400 navigation
    # + 150 regional
    assert (
        v["base_value"],
        v["mileage_adjustment"],
        v["option_adjustment"],
        v["regional_adjustment"],
    ) == (1_350_000, -42_500, 97_500, 15_000)
    assert v["values"]["trade_in"] == {
        "rough": 1_230_000 + 30_000,
        "average": 1_380_000 + 40_000,
        "clean": 1_530_000 + 45_000,
        "extra_clean": None,
    }
    assert v["values"]["retail"]["extra_clean"] == 1_980_000 + 47_500
    value_call = responses.calls[-1]
    assert parse_qs(urlsplit(value_call.request.url).query) == {
        "mileage": ["52000"],
        "state": ["IL"],
        "customerid": ["dh-42"],
    }
    assert PASSWORD not in caplog.text
    # The same request again is answered from the day cache: no call to Black Book.
    again = live.post(
        "/tradein/get-tradein-vehiclevalue",
        json={
            "vehicle_id": "bb_2019000123",
            "mileage": 52_999,
            "zip_code": "60601",
            "condition": "average",
            "option_ids": ["20", "N5"],
        },
    )
    assert again.headers["Valuation-Cached"] == "true" and len(responses.calls) == 3


@responses.activate
@pytest.mark.parametrize(
    ("status", "http", "code"),
    [
        (401, 502, "valuation_provider_authentication_failed"),
        (503, 502, "valuation_provider_unavailable"),
        (400, 502, "valuation_provider_error"),
    ],
)
def test_vendor_errors(live, status, http, code):
    responses.get(f"{BASE}/UsedVehicle/UVC/2019000123", status=status, json={"error_count": 1})
    r = live.post("/tradein/get-tradein-allOptions", json={"vehicle_id": "bb_2019000123"})
    assert_error(r, http, "provider_error", code)
    assert PASSWORD not in r.get_data(as_text=True)


@responses.activate
def test_unknown_uvc_and_sandbox_ids_are_404_in_live_mode(live):
    responses.get(f"{BASE}/UsedVehicle/UVC/2019999999", status=404)
    for vehicle_id in ("bb_2019999999", "sbx_2469_2019_0"):
        r = live.post("/tradein/get-tradein-allOptions", json={"vehicle_id": vehicle_id})
        assert (
            assert_error(r, 404, "invalid_request_error", "resource_missing")["param"]
            == "vehicle_id"
        )
    assert len(responses.calls) == 1  # a sandbox id never reaches Black Book


@responses.activate
def test_timeout_is_504(live):
    import requests

    responses.get(f"{BASE}/UsedVehicle/UVC/2019000123", body=requests.exceptions.ReadTimeout())
    r = live.post("/tradein/get-tradein-allOptions", json={"vehicle_id": "bb_2019000123"})
    assert_error(r, 504, "provider_error", "valuation_provider_timeout")


def test_live_mode_without_configuration_is_400(live_api):
    r = live_api.post("/tradein/get-tradein-allOptions", json={"vehicle_id": "bb_2019000123"})
    assert (
        assert_error(r, 400, "invalid_request_error", "configuration_incomplete")["param"]
        == "trade_in.black_book.username"
    )
