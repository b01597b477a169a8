"""Score models, ranges and reason-code text for the adverse-action notice.

The bureau returns reason *codes*; FCRA §615 notices need the text too. These are the generic
VantageScore 4.0 style descriptions; a dealer contract may supply its own table.
"""

from __future__ import annotations

SCORE_RANGE = {"min": 300, "max": 850}
MODEL_NAME = "VantageScore 4.0"
MODEL_INDICATOR = "00V60"

REASONS: dict[int, str] = {
    4: "Lack of recent bank card balance information",
    5: "Too many accounts with balances",
    10: "Proportion of balances to credit limits is too high on bank revolving accounts",
    12: "Length of time accounts have been established",
    14: "Length of time accounts have been established",
    18: "Number of accounts with delinquency",
    20: "Length of time since derogatory public record or collection is too short",
    21: "Amount past due on accounts",
    32: "Lack of recent installment loan information",
    38: "Serious delinquency, and public record or collection filed",
    40: "Derogatory public record or collection filed",
    63: "Lack of sufficient relevant real estate account information",
    68: "Lack of real estate loan information",
    84: "Number of inquiries was a factor in determining the score",
    97: "Too few accounts currently paid as agreed",
    98: "Lack of recent auto loan information",
}
INQUIRIES_CODE = 84


def describe(code: int) -> str:
    return REASONS.get(code, f"Reason code {code}")


BUREAU_CONTACT = {
    "name": "TransUnion LLC",
    "address": "P.O. Box 1000, Chester, PA 19016",
    "phone": "1-800-888-4213",
    "website": "https://www.transunion.com",
}
