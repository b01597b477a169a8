"""ADF 1.0 (Auto-lead Data Format): a lenient, safe reader and a strict writer.

Reading tolerates what real senders produce: text around the document (leads pasted from
e-mail bodies), upper-case tags and processing instructions (``<?ADF VERSION "1.0"?>``),
PIs placed before the XML declaration, unquoted attribute values (``sequence=1``), one or
several of any repeated element, and made-up phone types. It never resolves entities or DTDs
(defusedxml) and refuses documents past a size cap.

Writing is strict: XML declaration first, then ``<?adf version="1.0"?>``, then elements in
the DTD's order, escaped by ElementTree.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from dealerhub.dms.errors import AdfInvalid

ADF_MIME = "application/x-adf+xml"
DEFAULT_MAX_BYTES = 256 * 1024

# Each scans forward from one "<" and stops at the next "<" or ">": linear over a body. The
# document's outline (the <adf> block, PIs, DOCTYPEs) is found with str.find, never with a
# pattern that can backtrack over the whole body (a 262 kB body once took minutes).
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_UNQUOTED_ATTR = re.compile(r"(\s[A-Za-z_][\w.:-]*)=([^\s\"'<>/=]+)")


def _quote_attributes(tag: str) -> str:
    return _UNQUOTED_ATTR.sub(lambda m: f'{m.group(1)}="{m.group(2)}"', tag)


def _lower_tags(el: ET.Element) -> None:
    el.tag = el.tag.split("}")[-1].lower()
    el.attrib = {k.lower(): v.strip() for k, v in el.attrib.items()}
    for child in el:
        _lower_tags(child)


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def read(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ET.Element:
    """Parse an ADF document into its ``<adf>`` element (tags lower-cased)."""
    if len(raw) > max_bytes:
        raise AdfInvalid(
            f"The ADF document is larger than {max_bytes} bytes.", code="adf_too_large"
        )
    text = _decode(raw)
    lower = text.lower()
    start, end = _adf_block(lower)
    # Everything before <adf> (declarations, PIs in any order and case, e-mail text) is
    # dropped. Inside it, PIs go, a DOCTYPE without an internal subset goes, and one with a
    # subset (where entities are declared) refuses the document.
    if _has_doctype_subset(lower, 0, start):
        raise _unsafe()
    body = _without(text, lower, start, end)
    body = _TAG.sub(lambda m: _quote_attributes(m.group(0)), body)
    try:
        root = fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise _unsafe() from exc
    except ParseError as exc:
        raise AdfInvalid(f"The ADF document is not well-formed XML: {exc}.") from exc
    _lower_tags(root)
    return root


def _unsafe() -> AdfInvalid:
    return AdfInvalid(
        "The ADF document declares entities or external references, which are refused.",
        code="adf_unsafe_xml",
    )


def _adf_block(lower: str) -> tuple[int, int]:
    """Where ``<adf …>…</adf>`` starts and ends in the lower-cased text (first opening tag,
    last closing tag), found with linear scans."""
    start = lower.find("<adf")
    while start != -1 and lower[start + 4 : start + 5] not in (">", " ", "\t", "\r", "\n", "/"):
        start = lower.find("<adf", start + 4)
    close = lower.rfind("</adf")
    end = lower.find(">", close) if close != -1 else -1
    if start == -1 or close < start or end == -1 or lower[close + 5 : end].strip():
        raise AdfInvalid("No <adf> element was found in the body.", code="adf_invalid_xml")
    return start, end + 1


def _has_doctype_subset(lower: str, start: int, stop: int) -> bool:
    """Whether a DOCTYPE in ``lower[start:stop]`` has an internal subset (``[ … ]``)."""
    at = lower.find("<!doctype", start, stop)
    while at != -1:
        close = lower.find(">", at, stop)
        bracket = lower.find("[", at, stop)
        if bracket != -1 and (close == -1 or bracket < close):
            return True
        if close == -1:
            return False
        at = lower.find("<!doctype", close, stop)
    return False


def _without(text: str, lower: str, start: int, end: int) -> str:
    """``text[start:end]`` without its processing instructions and DOCTYPEs (one pass)."""
    if _has_doctype_subset(lower, start, end):
        raise _unsafe()
    parts: list[str] = []
    at = start
    while True:
        pi = lower.find("<?", at, end)
        doctype = lower.find("<!doctype", at, end)
        cut = min((i for i in (pi, doctype) if i != -1), default=-1)
        if cut == -1:
            parts.append(text[at:end])
            return "".join(parts)
        parts.append(text[at:cut])
        stop = lower.find("?>", cut, end) + 2 if cut == pi else lower.find(">", cut, end) + 1
        if stop < cut + 2:  # never closed: not well-formed
            raise AdfInvalid("The ADF document has an unterminated declaration.")
        at = stop


def _text(el: ET.Element | None, path: str | None = None) -> str | None:
    if el is None:
        return None
    node = el.find(path) if path else el
    if node is None or node.text is None:
        return None
    value = " ".join(node.text.split())
    return value or None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    digits = re.sub(r"[^\d]", "", value.split(".")[0])
    return int(digits) if digits else None


def _vehicle(el: ET.Element) -> dict[str, Any]:
    vehicle: dict[str, Any] = {
        "interest": (el.get("interest") or "buy").lower(),
        "condition": (el.get("status") or "").lower() or None,
        "vin": _text(el, "vin"),
        "year": _int(_text(el, "year")),
        "make": _text(el, "make"),
        "model": _text(el, "model"),
        "trim": _text(el, "trim"),
        "stock_number": _text(el, "stock"),
        "mileage": _int(_text(el, "odometer")),
    }
    return {k: v for k, v in vehicle.items() if v is not None}


def _name_parts(contact: ET.Element) -> tuple[str | None, str | None]:
    first = last = None
    for name in contact.findall("name"):
        part = (name.get("part") or "full").lower()
        value = _text(name)
        if not value:
            continue
        if part == "first":
            first = value
        elif part in ("last", "surname"):
            last = value
        elif part == "full" and not (first or last):
            pieces = value.rsplit(" ", 1)
            first, last = (pieces[0], pieces[1]) if len(pieces) == 2 else (None, pieces[0])
    return first, last


def _address(contact: ET.Element) -> dict[str, Any] | None:
    addr = contact.find("address")
    if addr is None:
        return None
    streets = sorted(addr.findall("street"), key=lambda s: _int(s.get("line")) or 1)
    lines = [t for t in (_text(s) for s in streets) if t]
    out = {
        "line1": lines[0] if lines else None,
        "line2": lines[1] if len(lines) > 1 else _text(addr, "apartment"),
        "city": _text(addr, "city"),
        "state": _text(addr, "regioncode"),
        "postal_code": _text(addr, "postalcode"),
        "country": _text(addr, "country"),
    }
    cleaned = {k: v for k, v in out.items() if v}
    return cleaned or None


def to_lead(root: ET.Element) -> dict[str, Any]:
    """Map an ``<adf>`` tree onto the JSON lead body (validated afterwards by the same schema)."""
    if root.tag != "adf":
        raise AdfInvalid("The root element must be <adf>.", code="adf_missing_field", param="adf")
    prospects = root.findall("prospect")
    if not prospects:
        raise AdfInvalid("The ADF document has no <prospect>.", code="adf_missing_field")
    if len(prospects) > 1:
        # One lead per request: silently keeping the first would drop real buyers.
        raise AdfInvalid(
            "Send one <prospect> per request; this document has several.",
            code="adf_multiple_prospects",
        )
    prospect = prospects[0]
    contact = prospect.find("customer/contact")
    if contact is None:
        raise AdfInvalid(
            "The prospect has no <customer><contact>.", code="adf_missing_field", param="customer"
        )
    first, last = _name_parts(contact)
    phones = contact.findall("phone")
    # Prefer a phone marked preferred, then a voice/cell one; senders invent types freely.
    phones.sort(key=lambda p: (p.get("preferredcontact") != "1", p.get("type") == "fax"))
    customer: dict[str, Any] = {
        "first_name": first,
        "last_name": last,
        "email": _text(contact, "email"),
        "phone": _text(phones[0]) if phones else None,
        "address": _address(contact),
    }
    vehicles = [_vehicle(v) for v in prospect.findall("vehicle")]
    trade_ins = [v for v in vehicles if v.get("interest") == "trade-in"]
    wanted = [v for v in vehicles if v.get("interest") != "trade-in"]
    body: dict[str, Any] = {"customer": {k: v for k, v in customer.items() if v is not None}}
    if wanted:
        body["vehicles"] = [_clean_vehicle(v) for v in wanted]
    if trade_ins:
        body["trade_in"] = {
            k: v
            for k, v in trade_ins[0].items()
            if k in ("vin", "year", "make", "model", "mileage")
        }
    provider = prospect.find("provider")
    source = _text(provider, "name") or _text(provider, "service") if provider is not None else None
    if source:
        body["source"] = source
    comments = [c for c in (_text(prospect, "customer/comments"), _text(prospect, "comments")) if c]
    if comments:
        body["comments"] = "\n".join(comments)
    consent = {
        (i.get("source") or "").lower(): (_text(i) or "").lower()
        for i in prospect.findall("customer/id") + prospect.findall("id")
    }
    if consent.get("tcpa_consent") in ("yes", "true", "1"):
        body["consent"] = {"contact_by_phone": True}
    return body


def _clean_vehicle(v: dict[str, Any]) -> dict[str, Any]:
    keep = ("vin", "year", "make", "model", "trim", "stock_number", "condition", "interest")
    return {k: v[k] for k in keep if k in v}


def parse(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    return to_lead(read(raw, max_bytes=max_bytes))


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.replace("_", ""): v for k, v in attrs.items()})
    if text is not None:
        el.text = str(text)
    return el


def _render_vehicle(parent: ET.Element, v: dict[str, Any], interest: str) -> None:
    attrs = {"interest": interest}
    if v.get("condition") in ("new", "used"):
        attrs["status"] = v["condition"]
    el = _sub(parent, "vehicle", **attrs)
    # DTD order: id*, year, make, model, vin?, stock?, trim?, ..., odometer?
    _sub(el, "year", v.get("year") or "")
    _sub(el, "make", v.get("make") or "")
    _sub(el, "model", v.get("model") or "")
    for key, tag in (("vin", "vin"), ("stock_number", "stock"), ("trim", "trim")):
        if v.get(key):
            _sub(el, tag, v[key])
    if v.get("mileage") is not None:
        _sub(el, "odometer", v["mileage"], status="unknown", units="mi")


def render(lead: dict[str, Any], *, vendor_name: str = "dealerhub") -> bytes:
    """A spec-valid ADF 1.0 document for a lead object as the API returns it (unmasked)."""
    root = ET.Element("adf")
    prospect = _sub(root, "prospect", status="new")
    _sub(prospect, "id", lead["id"], sequence="1", source="dealerhub")
    created = datetime.fromtimestamp(lead["created"], UTC).isoformat()
    _sub(prospect, "requestdate", created)
    vehicles = lead.get("vehicles") or []
    for v in vehicles:
        _render_vehicle(prospect, v, v.get("interest") if v.get("interest") else "buy")
    if lead.get("trade_in"):
        _render_vehicle(prospect, lead["trade_in"], "trade-in")
    if not vehicles and not lead.get("trade_in"):
        _render_vehicle(prospect, {}, "buy")  # the DTD requires at least one vehicle
    customer = _sub(prospect, "customer")
    contact = _sub(customer, "contact")
    c = lead["customer"]
    if c.get("first_name"):
        _sub(contact, "name", c["first_name"], part="first", type="individual")
    _sub(contact, "name", c.get("last_name") or "", part="last", type="individual")
    if c.get("email"):
        _sub(contact, "email", c["email"])
    if c.get("phone"):
        _sub(contact, "phone", c["phone"], type="voice")
    addr = c.get("address") or {}
    if addr:
        a = _sub(contact, "address")
        for i, key in enumerate(("line1", "line2"), start=1):
            if addr.get(key):
                _sub(a, "street", addr[key], line=str(i))
        for key, tag in (
            ("city", "city"),
            ("state", "regioncode"),
            ("postal_code", "postalcode"),
            ("country", "country"),
        ):
            if addr.get(key):
                _sub(a, tag, addr[key])
    if lead.get("comments"):
        _sub(customer, "comments", lead["comments"])
    vendor = _sub(prospect, "vendor")
    _sub(vendor, "vendorname", vendor_name)
    _sub(_sub(vendor, "contact"), "name", vendor_name, part="full")
    provider = _sub(prospect, "provider")
    _sub(provider, "name", lead.get("source") or lead.get("service_provider") or "", part="full")
    _sub(provider, "service", lead.get("service_provider") or "")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<?adf version="1.0"?>\n{body}\n'.encode()
