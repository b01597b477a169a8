"""TransUnion NetAccess XML: the request document and a defusedxml parser that maps the
response to the Hubex 1.1.74 credit report shape. (ElementTree only *builds* documents here.)"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from dealerhub.connectors.base import ConnectorRejected, ConnectorResponseError
from dealerhub.connectors.credit.base import CreditReport, CreditRequest
from dealerhub.connectors.credit.reasons import MODEL_INDICATOR, describe

NS_NETACCESS = "http://www.netaccess.transunion.com/namespace"
NS_TU = "http://www.transunion.com/namespace"
VERSION = "2.33"
# Permissible purpose codes sent per purpose (FCRA §604). Confirm them against the dealer's
# TransUnion subscriber agreement: the public clients only show "CI" (credit transaction).
PURPOSE_CODES = {"credit_transaction": "CI", "written_instruction": "WI"}
PRODUCT_CODE = "07000"  # credit report
SCORE_ADDON = MODEL_INDICATOR
VENDOR = "transunion"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def build_request(request: CreditRequest, config: dict[str, Any], environment: str) -> bytes:
    a = request.applicant
    root = ET.Element("xmlrequest", {"xmlns": NS_NETACCESS})
    _sub(root, "systemId", config["system_id"])
    _sub(root, "systemPassword", config["system_password"])
    product_request = _sub(root, "productrequest")
    bureau = _sub(product_request, "creditBureau", None)
    bureau.set("xmlns", NS_TU)
    _sub(bureau, "document", "request")
    _sub(bureau, "version", VERSION)
    control = _sub(bureau, "transactionControl")
    _sub(control, "userRefNumber", request.reference)
    subscriber = _sub(control, "subscriber")
    _sub(subscriber, "industryCode", config["industry_code"])
    _sub(subscriber, "memberCode", config["subscriber_code"])
    _sub(subscriber, "inquirySubscriberPrefixCode", config["subscriber_prefix"])
    _sub(subscriber, "password", config["subscriber_password"])
    options = _sub(control, "options")
    _sub(options, "processingEnvironment", environment)
    _sub(options, "country", "us")
    _sub(options, "language", "en")
    _sub(options, "contractualRelationship", "individual")
    _sub(options, "pointOfSaleIndicator", "none")
    product = _sub(bureau, "product")
    _sub(product, "code", PRODUCT_CODE)
    subject = _sub(product, "subject")
    _sub(subject, "number", "1")
    record = _sub(subject, "subjectRecord")
    indicative = _sub(record, "indicative")
    person = _sub(_sub(indicative, "name"), "person")
    _sub(person, "first", a.first_name)
    if a.middle_name:
        _sub(person, "middle", a.middle_name)
    _sub(person, "last", a.last_name)
    if a.suffix:
        _sub(person, "generationalSuffix", a.suffix)
    for i, address in enumerate(a.addresses):
        el = _sub(indicative, "address")
        _sub(el, "status", "current" if i == 0 else "previous")
        street = " ".join(p for p in (address.line1, address.line2) if p)
        _sub(_sub(el, "street"), "unparsed", street)
        location = _sub(el, "location")
        _sub(location, "city", address.city)
        _sub(location, "state", address.state)
        _sub(location, "zipCode", address.postal_code.replace("-", ""))
    _sub(_sub(indicative, "socialSecurity"), "number", a.social_security_number)
    _sub(indicative, "dateOfBirth", a.date_of_birth)
    addon = _sub(record, "addOnProduct")
    _sub(addon, "code", SCORE_ADDON)
    _sub(addon, "scoreModelProduct", "true")
    instructions = _sub(product, "responseInstructions")
    _sub(instructions, "returnErrorText", "true")
    _sub(instructions, "document")
    purpose = _sub(product, "permissiblePurpose")
    _sub(purpose, "code", PURPOSE_CODES.get(request.permissible_purpose, "CI"))
    _sub(purpose, "inquiryECOADesignator", "individual")
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode").encode()
    )


def _t(el: Any, path: str) -> str | None:
    found = el.find(path) if el is not None else None
    if found is None or found.text is None:
        return None
    return str(found.text).strip()


def _date(value: str | None) -> str | None:
    """TU dates come as YYYY-MM-DD (sometimes with a time or offset): keep the date part."""
    return value[:10] if value else value


def _amount(value: str | None) -> str:
    """Zero-padded numbers (``000033937``) as plain digit strings."""
    if not value:
        return ""
    digits = value.lstrip("0")
    return digits or "0"


def parse_response(content: bytes) -> CreditReport:
    try:
        root = SafeET.fromstring(content)
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        raise ConnectorResponseError(
            "TransUnion returned a document that is not valid XML.", vendor=VENDOR
        ) from None
    error = root.find(".//{*}error")
    if error is not None:
        code = _t(error, "{*}code") or "unknown"
        # The description text is not echoed: bureau errors can quote the inquiry.
        raise ConnectorRejected(
            f"TransUnion rejected the inquiry (error code {code}).",
            vendor=VENDOR,
            vendor_code=code,
        )
    record = root.find(".//{*}subjectRecord")
    if record is None:
        raise ConnectorResponseError("TransUnion's response has no subject record.", vendor=VENDOR)
    raw = content.decode("utf-8", "replace")
    hit = _t(record, "{*}fileSummary/{*}fileHitIndicator") or ""
    frozen = (
        _t(record, "{*}fileSummary/{*}creditDataStatus/{*}freeze/{*}indicator") or ""
    ).lower() == "true"
    indicative = record.find("{*}indicative")
    person = indicative.find("{*}name/{*}person") if indicative is not None else None
    consumer = {
        "first_name": _t(person, "{*}first"),
        "middle_name": _t(person, "{*}middle"),
        "last_name": _t(person, "{*}last"),
        "date_of_birth": _date(_t(indicative, "{*}dateOfBirth")),
    }
    if frozen:
        return CreditReport(outcome="frozen", consumer=consumer, raw=raw)
    if "nohit" in hit.lower():
        return CreditReport(outcome="no_hit", consumer=consumer, raw=raw)
    return CreditReport(
        outcome="hit",
        consumer=consumer,
        addresses=[
            _address(a)
            for a in (indicative.findall("{*}address") if indicative is not None else [])
        ],
        phones=[
            _phone(p) for p in (indicative.findall("{*}phone") if indicative is not None else [])
        ],
        social_security_number=_t(indicative, "{*}socialSecurity/{*}number"),
        trade=[_trade(t) for t in record.findall("{*}custom/{*}credit/{*}trade")],
        risk_model=_risk_model(record),
        raw=raw,
    )


def _address(el: Any) -> dict[str, Any]:
    street = _t(el, "{*}street/{*}unparsed")
    if not street:
        parts = [
            _t(el, f"{{*}}street/{{*}}{p}")
            for p in ("number", "preDirectional", "name", "type", "unit")
        ]
        street = " ".join(p for p in parts if p)
    return {
        "line1": street,
        "city": _t(el, "{*}location/{*}city"),
        "state": _t(el, "{*}location/{*}state"),
        "postal_code": _t(el, "{*}location/{*}zipCode"),
        "status": _t(el, "{*}status"),
        "date_reported": _date(_t(el, "{*}dateReported")),
    }


def _phone(el: Any) -> dict[str, Any]:
    parts = [_t(el, f"{{*}}number/{{*}}{p}") for p in ("areaCode", "exchange", "suffix")]
    return {"number": "".join(p for p in parts if p), "type": _t(el, "{*}type") or "unknown"}


def _trade(el: Any) -> dict[str, Any]:
    closed = _t(el, "{*}dateClosed")
    return {
        "account_number": _t(el, "{*}accountNumber"),
        "activity_open_closed": "closed" if closed else "open",
        "customer_number": _t(el, "{*}subscriber/{*}memberCode"),
        "account_type": _t(el, "{*}portfolioType"),
        "months_reviewed": int(
            _t(el, "{*}paymentHistory/{*}historicalCounters/{*}monthsReviewedCount") or 0
        ),
        "customer_name": _t(el, "{*}subscriber/{*}name/{*}unparsed"),
        "date_reported": _date(_t(el, "{*}dateEffective")),
        "date_opened": _date(_t(el, "{*}dateOpened")),
        "last_payment_date": _date(_t(el, "{*}mostRecentPayment/{*}date")),
        "amount1": _amount(_t(el, "{*}highCredit")),
        "amount2": _amount(_t(el, "{*}currentBalance")),
        "terms": _t(el, "{*}terms/{*}paymentScheduleMonthCount") or "",
        "balance_date": _date(_t(el, "{*}dateEffective")),
        "payment_data": {
            "compliance_condition": _t(el, "{*}remark/{*}code") or "",
            "credit_limit_amount": _amount(_t(el, "{*}creditLimit")),
            "enhanced_account_condition": _t(el, "{*}accountRating") or "",
            "enhanced_account_type": _t(el, "{*}portfolioType") or "",
            "enhanced_payment_history": _t(el, "{*}paymentHistory/{*}paymentPattern/{*}text") or "",
            "enhanced_payment_status": _t(el, "{*}accountRating") or "",
            "enhanced_special_comment": _t(el, "{*}remark/{*}type") or "",
            "enhanced_terms": _amount(_t(el, "{*}terms/{*}scheduledMonthlyPayment")),
            "enhanced_terms_frequency": _t(el, "{*}terms/{*}paymentFrequency") or "",
            "high_balance_amount": _amount(_t(el, "{*}highCredit")),
            "payment_level_date": _date(_t(el, "{*}dateEffective")) or "",
        },
    }


def _risk_model(record: Any) -> dict[str, Any] | None:
    for addon in record.findall("{*}addOnProduct"):
        score_el = addon.find("{*}scoreModel/{*}score")
        if score_el is None:
            continue
        results = _t(score_el, "{*}results") or ""
        if not re.fullmatch(r"[+-]?\d+", results):
            return None  # e.g. "no score": no adverse-action score to report
        factors: list[dict[str, Any]] = []
        for factor in score_el.findall("{*}factors/{*}factor"):
            code_text = _t(factor, "{*}code") or ""
            if code_text.isdigit():
                code = int(code_text)
                factors.append(
                    {
                        "code": code,
                        "description": describe(code),
                        "rank": int(_t(factor, "{*}rank") or len(factors) + 1),
                    }
                )
        factors.sort(key=lambda f: f["rank"])
        score = int(results)
        return {
            "score": score,
            "score_factor": factors,
            "model_indicator": _t(addon, "{*}code") or SCORE_ADDON,
            "evaluation": _t(score_el, "{*}scoreCard")
            or ("approve" if score >= 661 else "review" if score >= 601 else "decline"),
            "derogatory_alert": (_t(score_el, "{*}derogatoryAlert") or "").lower() == "true",
            "file_inquiries_impacted_score": (
                _t(score_el, "{*}fileInquiriesImpactedScore") or ""
            ).lower()
            == "true",
        }
    return None
