"""The sandbox bureau used in test mode: deterministic reports, documented magic last names.

Same applicant in, same report out (score 300-850 derived from a hash of the identity).
Last name ``Nohit`` → no file found, ``Frozen`` → security freeze, ``Timeout`` → the bureau
times out. See docs/sandbox.md.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from dealerhub.connectors.base import ConnectorUnavailable
from dealerhub.connectors.credit.base import CreditReport, CreditRequest
from dealerhub.connectors.credit.reasons import MODEL_INDICATOR, REASONS, describe

_CREDITORS = [
    ("ALLY FINANCIAL", "installment", "AUTO"),
    ("CAPITAL ONE", "revolving", "CREDIT CARD"),
    ("WELLS FARGO HOME MTG", "mortgage", "MORTGAGE"),
    ("DISCOVER BANK", "revolving", "CREDIT CARD"),
    ("TOYOTA MOTOR CREDIT", "installment", "AUTO"),
]


class SandboxBureau:
    name = "transunion"

    def pull(self, request: CreditRequest) -> CreditReport:
        a = request.applicant
        trigger = a.last_name.strip().lower()
        if trigger == "timeout":
            raise ConnectorUnavailable(
                "The credit bureau did not answer in time.", vendor="sandbox", vendor_code="timeout"
            )
        consumer = {
            "first_name": a.first_name,
            "middle_name": a.middle_name,
            "last_name": a.last_name,
            "date_of_birth": a.date_of_birth,
        }
        if trigger in ("nohit", "frozen"):
            outcome = "no_hit" if trigger == "nohit" else "frozen"
            raw = json.dumps(
                {
                    "fileHitIndicator": "noHit" if outcome == "no_hit" else "regularHit",
                    "freeze": outcome == "frozen",
                    "reference": request.reference,
                }
            )
            return CreditReport(outcome=outcome, consumer=consumer, raw=raw)  # type: ignore[arg-type]
        seed = hashlib.sha256(
            "|".join(
                [
                    a.social_security_number,
                    a.date_of_birth,
                    a.last_name.lower(),
                    a.first_name.lower(),
                ]
            ).encode()
        ).digest()
        score = 300 + int.from_bytes(seed[:4], "big") % 551
        codes = sorted(REASONS)
        factors: list[dict[str, Any]] = []
        for i in range(4):
            code = codes[seed[4 + i] % len(codes)]
            if code not in [f["code"] for f in factors]:
                factors.append({"code": code, "description": describe(code), "rank": i + 1})
        trades = [self._trade(seed, i) for i in range(2 + seed[10] % 3)]
        addresses = [
            {
                "line1": ad.line1,
                "line2": ad.line2,
                "city": ad.city,
                "state": ad.state,
                "postal_code": ad.postal_code,
                "status": "current" if i == 0 else "previous",
                "date_reported": "2024-01-15",
            }
            for i, ad in enumerate(a.addresses)
        ]
        phones = [{"number": p, "type": "unknown"} for p in a.phone_numbers]
        risk = {
            "score": score,
            "score_factor": factors,
            "model_indicator": MODEL_INDICATOR,
            "evaluation": "approve" if score >= 661 else "review" if score >= 601 else "decline",
        }
        report = CreditReport(
            outcome="hit",
            consumer=consumer,
            addresses=addresses,
            phones=phones,
            social_security_number=a.social_security_number,
            trade=trades,
            risk_model=risk,
        )
        raw = json.dumps({"reference": request.reference, "score": score, "trade": trades})
        return CreditReport(**{**report.__dict__, "raw": raw})

    @staticmethod
    def _trade(seed: bytes, i: int) -> dict[str, object]:
        name, portfolio, kind = _CREDITORS[(seed[11 + i] + i) % len(_CREDITORS)]
        high = 1000 * (1 + seed[14 + i] % 40)
        balance = high * (seed[18 + i] % 100) // 100
        opened_year = 2010 + seed[22 + i] % 14
        closed = seed[26 + i] % 5 == 0
        return {
            "account_number": f"{int.from_bytes(seed[i : i + 4], 'big') % 10**10:010d}",
            "activity_open_closed": "closed" if closed else "open",
            "customer_number": f"0{seed[i] % 9}{seed[i + 1] % 10}MR00{i}",
            "account_type": portfolio,
            "months_reviewed": 12 + seed[30 - i] % 60,
            "customer_name": name,
            "date_reported": "2026-10-31",
            "date_opened": f"{opened_year}-0{1 + i}-15",
            "last_payment_date": "2026-10-05",
            "amount1": str(high),
            "amount2": str(balance),
            "terms": "60" if portfolio == "installment" else "",
            "balance_date": "2026-10-31",
            "payment_data": {
                "compliance_condition": "",
                "credit_limit_amount": str(high) if portfolio == "revolving" else "",
                "enhanced_account_condition": "A1" if not closed else "A3",
                "enhanced_account_type": kind,
                "enhanced_payment_history": "1111111111111111111111111",
                "enhanced_payment_status": "11",
                "enhanced_special_comment": "",
                "enhanced_terms": "60" if portfolio == "installment" else "REV",
                "enhanced_terms_frequency": "M",
                "high_balance_amount": str(high),
                "payment_level_date": "2026-10-31",
            },
        }
