from __future__ import annotations

import pytest

from dealerhub.dms import adf
from dealerhub.dms.errors import AdfInvalid
from tests.conftest import assert_error
from tests.dms.conftest import PROVIDER

STANDARD = b"""<?xml version="1.0" encoding="UTF-8"?>
<?adf version="1.0"?>
<adf>
  <prospect status="new">
    <id sequence="1" source="cars.com">CC-991</id>
    <requestdate>2026-11-20T10:00:00-05:00</requestdate>
    <vehicle interest="buy" status="new">
      <year>2025</year><make>Toyota</make><model>Camry</model>
      <vin>4T1B11HK5KU000001</vin><stock>T123</stock><trim>XSE</trim>
    </vehicle>
    <vehicle interest="buy" status="used">
      <year>2022</year><make>Honda</make><model>Civic</model>
    </vehicle>
    <vehicle interest="trade-in" status="used">
      <year>2015</year><make>Ford</make><model>Focus</model>
      <vin>1FADP3F20FL000002</vin><odometer status="original" units="mi">98,500</odometer>
    </vehicle>
    <customer>
      <contact>
        <name part="first">Maria</name><name part="last">Lopez</name>
        <email>maria@example.com</email>
        <phone type="mobile" time="evening">512-555-0147</phone>
        <address type="home">
          <street line="1">22 Oak Ave</street><street line="2">Apt 4</street>
          <city>Austin</city><regioncode>TX</regioncode><postalcode>78702</postalcode>
          <country>US</country>
        </address>
      </contact>
      <comments>Call after 5pm</comments>
    </customer>
    <vendor><vendorname>Test Motors</vendorname>
      <contact><name part="full">Sales</name></contact></vendor>
    <provider><name part="full">Cars.com</name><service>New car leads</service></provider>
  </prospect>
</adf>"""

# Uppercase PIs placed before the XML declaration, upper-case tags, unquoted attributes,
# and the whole thing pasted inside an e-mail body.
QUIRKY = b"""Subject: New lead
Here is a lead for you:
<?ADF VERSION "1.0"?>
<?xml version="1.0"?>
<ADF>
 <PROSPECT status=new>
  <ID sequence=1 source=Impel>77</ID>
  <VEHICLE interest=buy status=used><YEAR>2020</YEAR><MAKE>Mazda</MAKE><MODEL>CX-5</MODEL></VEHICLE>
  <CUSTOMER><CONTACT>
    <NAME part=full>Sam Quirk</NAME>
    <PHONE type=home>(512) 555-0100</PHONE>
    <PHONE type=work>(512) 555-0199</PHONE>
  </CONTACT>
  <ID source=TCPA_Consent>yes</ID>
  </CUSTOMER>
 </PROSPECT>
</ADF>
Thanks!"""


def post_adf(api, body: bytes, content_type: str = "application/x-adf+xml", **kw):
    headers = {**PROVIDER, "Content-Type": content_type, **kw.pop("headers", {})}
    return api.client.post(
        "/dms/leads", data=body, headers={"Authorization": f"Bearer {api.key}", **headers}
    )


def test_parse_standard_document_with_several_vehicles_and_trade_in():
    lead = adf.parse(STANDARD)
    assert lead["customer"]["first_name"] == "Maria"
    assert lead["customer"]["last_name"] == "Lopez"
    assert lead["customer"]["address"]["line2"] == "Apt 4"
    assert [v["make"] for v in lead["vehicles"]] == ["Toyota", "Honda"]
    assert lead["vehicles"][0]["stock_number"] == "T123"
    assert lead["trade_in"] == {
        "vin": "1FADP3F20FL000002",
        "year": 2015,
        "make": "Ford",
        "model": "Focus",
        "mileage": 98500,
    }
    assert lead["source"] == "Cars.com"


def test_parse_quirky_real_world_variants():
    lead = adf.parse(QUIRKY)
    assert lead["customer"]["first_name"] == "Sam"
    assert lead["customer"]["last_name"] == "Quirk"
    assert lead["customer"]["phone"] == "(512) 555-0100"
    assert lead["vehicles"][0]["model"] == "CX-5"
    assert lead["consent"] == {"contact_by_phone": True}


def test_adf_intake_over_http(api):
    response = post_adf(api, STANDARD)
    assert response.status_code == 200, response.get_json()
    lead = response.get_json()
    assert len(lead["vehicles"]) == 2
    assert lead["trade_in"]["make"] == "Ford"
    assert lead["dms_sync"]["status"] in ("pending", "synced")
    # text/xml works too, and the identical document is replayed.
    again = post_adf(api, STANDARD, content_type="text/xml")
    assert again.status_code == 200
    assert again.get_json()["id"] == lead["id"]


def test_quirky_phone_only_adf_with_tcpa_consent_is_accepted(api):
    assert post_adf(api, QUIRKY).status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<adf><prospect>", "adf_invalid_xml"),
        (b"just some text", "adf_invalid_xml"),
        (
            b'<!DOCTYPE adf [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b"<adf><prospect><customer><contact><name part='last'>&b;</name>"
            b"</contact></customer></prospect></adf>",
            "adf_unsafe_xml",
        ),
        (
            b'<!DOCTYPE adf [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<adf><prospect><customer><contact><name part='last'>&x;</name>"
            b"</contact></customer></prospect></adf>",
            "adf_unsafe_xml",
        ),
        (b"<adf></adf>", "adf_missing_field"),
        (b"<adf><prospect><vehicle/></prospect></adf>", "adf_missing_field"),
        (b"<adf><prospect/><prospect/></adf>", "adf_multiple_prospects"),
    ],
)
def test_bad_adf_is_a_400_with_a_stable_code(api, body, code):
    assert_error(post_adf(api, body), 400, "invalid_request_error", code)


def test_adf_size_cap():
    with pytest.raises(AdfInvalid) as info:
        adf.parse(b"<adf>" + b" " * 300_000 + b"</adf>")
    assert info.value.code == "adf_too_large"


def test_adf_without_last_name_names_the_field(api):
    body = STANDARD.replace(b'<name part="last">Lopez</name>', b"")
    err = assert_error(post_adf(api, body), 400, "invalid_request_error")
    assert err["param"] == "customer.last_name"


def test_get_lead_as_adf_is_valid_and_round_trips(api):
    lead = post_adf(api, STANDARD).get_json()
    response = api.get(
        f"/dms/leads/{lead['customer_id']}", headers={"Accept": "application/x-adf+xml"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/x-adf+xml"
    text = response.get_data()
    assert text.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<?adf version="1.0"?>')
    again = adf.parse(text)
    assert again["customer"]["email"] == "maria@example.com"
    assert [v["make"] for v in again["vehicles"]] == ["Toyota", "Honda"]
    assert again["trade_in"]["mileage"] == 98500
    # Element order follows the DTD: vehicle(s) before customer, vendor, provider.
    root = adf.read(text)
    tags = [child.tag for child in root.find("prospect")]
    assert tags.index("vehicle") < tags.index("customer") < tags.index("vendor")
    # JSON stays the default.
    assert api.get(f"/dms/leads/{lead['customer_id']}").mimetype == "application/json"


def test_render_escapes_markup():
    doc = adf.render(
        {
            "id": "lead_x",
            "created": 0,
            "customer": {"last_name": "<b>&", "email": "a@b.c"},
            "comments": "]]><evil/>",
        }
    )
    assert adf.read(doc).find("prospect/customer/comments").text == "]]><evil/>"


# Bodies that made the old reader's backtracking patterns quadratic (a 262 kB one froze a web
# worker for two minutes), each just under the size cap.
HOSTILE = {
    "doctype_brackets": b"<!DOCTYPE " + b"[" * 250_000 + b"<adf></adf>",  # ~4 min before
    "doctype_subset_unclosed": b"<!DOCTYPE adf [" + b"x" * 250_000 + b"<adf></adf>",
    "many_doctypes": b"<!DOCTYPE " * 25_000 + b"<adf></adf>",
    "many_adf_openings": b"<adf " * 50_000,
    "many_unclosed_pis": b"<adf>" + b"<?" * 120_000 + b"</adf>",
    "many_tags": b"<adf>" + b"<a " * 80_000 + b"</adf>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_adf_is_refused_with_linear_work(name, tmp_path):
    # In a child process under a CPU-time limit: a regression to backtracking is killed by
    # the kernel (seconds of CPU for what now takes milliseconds) rather than timed here.
    import subprocess
    import sys

    body = tmp_path / "body.xml"
    body.write_bytes(HOSTILE[name])
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (20, 20))\n"
        "from dealerhub.dms import adf\n"
        "from dealerhub.dms.errors import AdfInvalid\n"
        "try:\n"
        f"    adf.parse(open({str(body)!r}, 'rb').read())\n"
        "except AdfInvalid as exc:\n"
        "    print(exc.code)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip() in {"adf_invalid_xml", "adf_unsafe_xml", "adf_missing_field"}


def test_a_doctype_with_an_internal_subset_is_refused_anywhere(api):
    for body in (
        b"<!doctype adf [<!ELEMENT adf ANY>]><adf><prospect/></adf>",
        b'<adf><!DOCTYPE x [<!ENTITY e "x">]><prospect/></adf>',
    ):
        assert_error(post_adf(api, body), 400, "invalid_request_error", "adf_unsafe_xml")
