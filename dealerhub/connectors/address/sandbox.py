"""The offline sandbox verifier (test mode): checks a parsed address against the embedded ZIP
code database.

``verified`` means exactly: the address was parsed (the service did that), its ZIP code exists
and is in service, the ZIP code is in the address's state, and the city is a name USPS accepts
for that ZIP code. The sandbox has no delivery-point data: it does not know whether the house
number exists on the street, and it does not check ZIP+4 codes (it echoes them).

Magic values (docs/sandbox.md): a street line containing the word ``UNAVAILABLE`` answers as a
provider that is down (503), ``TIMEOUT`` as one that did not answer in time (504).
"""

from __future__ import annotations

import re

from dealerhub.connectors.address.base import AddressQuery, StandardAddress, VerifierAnswer
from dealerhub.connectors.address.zipdb import STATES, ZIPS, ZipIndex, ZipRecord, city_key
from dealerhub.connectors.base import ConnectorUnavailable

VENDOR = "sandbox"
MAX_CANDIDATES = 5
_DOWN = re.compile(r"\bUNAVAILABLE\b")
_TIMEOUT = re.compile(r"\bTIMEOUT\b")
_ZIP5 = re.compile(r"^\d{5}$")


class SandboxVerifier:
    name = "sandbox"

    def __init__(self, zips: ZipIndex = ZIPS) -> None:
        self.zips = zips

    def verify(self, query: AddressQuery) -> VerifierAnswer:
        _faults(query.line1)
        given = StandardAddress(
            query.line1, query.line2, query.city, query.state, query.zip5, query.zip4
        )
        state, city, zip5 = query.state, query.city, query.zip5
        if not state:
            return self._fail(given, "The address has no state.", city_zips=self._city(query))
        if state not in STATES:
            return self._fail(given, f"{state} is not a US state or territory code.")
        if not zip5:
            return self._fail(
                given,
                "The address has no ZIP code." if city else "The address has no city or ZIP code.",
                city_zips=self._city(query),
            )
        if not _ZIP5.match(zip5):
            return self._fail(given, f"{zip5} is not a 5-digit ZIP code.")
        record = self.zips.get(zip5)
        if record is None or not record.active:
            why = "does not exist" if record is None else "is no longer in service"
            return self._fail(given, f"ZIP code {zip5} {why}.", city_zips=self._city(query))
        details = {"county": record.county, "zip_type": record.zip_type}
        if record.state != state:
            return self._fail(
                given,
                f"ZIP code {zip5} is in {record.state}, not {state}.",
                zip_record=record,
                city_zips=self._city(query),
            )
        if not city:
            return self._fail(
                given,
                f"The address has no city; ZIP code {zip5} is {record.city}, {record.state}.",
                zip_record=record,
                details=details,
            )
        if not record.accepts(city):
            unacceptable = city_key(city) in record.unacceptable
            message = (
                f"{city} is not a USPS-accepted city name for ZIP code {zip5}; use {record.city}."
                if unacceptable
                else f"ZIP code {zip5} is {record.city}, {record.state}, not {city}."
            )
            return self._fail(
                given,
                message,
                zip_record=record,
                city_zips=self._city(query),
                details=details,
            )
        return VerifierAnswer(verified=True, address=given, details=details)

    # --- helpers --------------------------------------------------------------------------

    def _city(self, query: AddressQuery) -> list[ZipRecord]:
        if not query.city or not query.state or query.state not in STATES:
            return []
        return self.zips.for_city(query.city, query.state)

    def _fail(
        self,
        given: StandardAddress,
        message: str,
        *,
        zip_record: ZipRecord | None = None,
        city_zips: list[ZipRecord] | None = None,
        details: dict[str, str | None] | None = None,
    ) -> VerifierAnswer:
        """An unverified answer with candidates: the address with the city its ZIP code
        belongs to, then with each ZIP code its city has (at most five in all)."""
        candidates: list[StandardAddress] = []
        records = ([zip_record] if zip_record else []) + (city_zips or [])
        for record in records:
            candidate = StandardAddress(
                given.line1, given.line2, record.city, record.state, record.zip5
            )
            if candidate not in candidates:
                candidates.append(candidate)
        return VerifierAnswer(
            verified=False,
            address=given,
            candidates=tuple(candidates[:MAX_CANDIDATES]),
            details=details or {},
            error_message=message,
        )


def _faults(line1: str) -> None:
    if _DOWN.search(line1):
        raise ConnectorUnavailable(
            "The sandbox address verifier is unavailable (magic value UNAVAILABLE).",
            vendor=VENDOR,
            http_status=503,
            vendor_code="service_unavailable",
        )
    if _TIMEOUT.search(line1):
        raise ConnectorUnavailable(
            "The sandbox address verifier did not answer in time (magic value TIMEOUT).",
            vendor=VENDOR,
            vendor_code="timeout",
        )
