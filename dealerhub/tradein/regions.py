"""ZIP code -> state (USPS 3-digit ZIP prefix allocation) and the sandbox's regional factor
per state (by Census division; documented in docs/tradein.md)."""

from __future__ import annotations

# (first prefix, last prefix, state). Prefixes USPS has not allocated are absent.
_PREFIXES: tuple[tuple[int, int, str], ...] = (
    (5, 5, "NY"), (6, 7, "PR"), (8, 8, "VI"), (9, 9, "PR"), (10, 27, "MA"), (28, 29, "RI"),
    (30, 38, "NH"), (39, 49, "ME"), (50, 54, "VT"), (55, 55, "MA"), (56, 59, "VT"),
    (60, 69, "CT"), (70, 89, "NJ"), (90, 98, "AE"), (100, 149, "NY"), (150, 196, "PA"),
    (197, 199, "DE"), (200, 200, "DC"), (201, 201, "VA"), (202, 205, "DC"), (206, 212, "MD"),
    (214, 219, "MD"), (220, 246, "VA"), (247, 268, "WV"), (270, 289, "NC"), (290, 299, "SC"),
    (300, 319, "GA"), (320, 339, "FL"), (340, 340, "AA"), (341, 342, "FL"), (344, 344, "FL"),
    (346, 347, "FL"), (349, 349, "FL"), (350, 352, "AL"), (354, 369, "AL"), (370, 385, "TN"),
    (386, 397, "MS"), (398, 399, "GA"), (400, 418, "KY"), (420, 427, "KY"), (430, 458, "OH"),
    (460, 479, "IN"), (480, 499, "MI"), (500, 516, "IA"), (520, 528, "IA"), (530, 532, "WI"),
    (534, 535, "WI"), (537, 549, "WI"), (550, 551, "MN"), (553, 567, "MN"), (569, 569, "DC"),
    (570, 577, "SD"), (580, 588, "ND"), (590, 599, "MT"), (600, 620, "IL"), (622, 629, "IL"),
    (630, 631, "MO"), (633, 641, "MO"), (644, 658, "MO"), (660, 662, "KS"), (664, 679, "KS"),
    (680, 681, "NE"), (683, 693, "NE"), (700, 701, "LA"), (703, 708, "LA"), (710, 714, "LA"),
    (716, 729, "AR"), (730, 731, "OK"), (733, 733, "TX"), (734, 741, "OK"), (743, 749, "OK"),
    (750, 770, "TX"), (772, 799, "TX"), (800, 816, "CO"), (820, 831, "WY"), (832, 838, "ID"),
    (840, 847, "UT"), (850, 853, "AZ"), (855, 857, "AZ"), (859, 860, "AZ"), (863, 865, "AZ"),
    (870, 875, "NM"), (877, 884, "NM"), (885, 885, "TX"), (889, 891, "NV"), (893, 895, "NV"),
    (897, 898, "NV"), (900, 908, "CA"), (910, 928, "CA"), (930, 961, "CA"), (962, 966, "AP"),
    (967, 968, "HI"), (969, 969, "GU"), (970, 979, "OR"), (980, 986, "WA"), (988, 994, "WA"),
    (995, 999, "AK"),
)  # fmt: skip

_STATE_OF_PREFIX = {p: state for lo, hi, state in _PREFIXES for p in range(lo, hi + 1)}


def _allocated_zip_pattern() -> str:
    """A ZIP (or ZIP+4) whose prefix USPS has allocated, as a regular expression: what
    :func:`state_of_zip` accepts, for the OpenAPI document."""
    heads: dict[str, list[str]] = {}
    for prefix in sorted(_STATE_OF_PREFIX):
        text = f"{prefix:03d}"
        heads.setdefault(text[:2], []).append(text[2])
    branches = [
        head + (digits[0] if len(digits) == 1 else "[" + "".join(digits) + "]")
        for head, digits in heads.items()
    ]
    return r"^(?:" + "|".join(branches) + r")[0-9]{2}(?:-[0-9]{4})?$"


ALLOCATED_ZIP = _allocated_zip_pattern()

# Census divisions; the factor reflects used-vehicle demand and climate wear (rust belt
# below, sun belt and the West above). Territories and military mail are neutral.
_DIVISIONS: dict[str, tuple[tuple[str, ...], float]] = {
    "new_england": (("CT", "ME", "MA", "NH", "RI", "VT"), -0.015),
    "middle_atlantic": (("NJ", "NY", "PA"), -0.01),
    "east_north_central": (("IL", "IN", "MI", "OH", "WI"), -0.02),
    "west_north_central": (("IA", "KS", "MN", "MO", "NE", "ND", "SD"), -0.01),
    "south_atlantic": (("DE", "DC", "FL", "GA", "MD", "NC", "SC", "VA", "WV"), 0.01),
    "east_south_central": (("AL", "KY", "MS", "TN"), 0.0),
    "west_south_central": (("AR", "LA", "OK", "TX"), 0.02),
    "mountain": (("AZ", "CO", "ID", "MT", "NV", "NM", "UT", "WY"), 0.025),
    "pacific": (("AK", "CA", "HI", "OR", "WA"), 0.03),
}
_FACTOR = {state: factor for states, factor in _DIVISIONS.values() for state in states}


def state_of_zip(zip_code: str) -> str | None:
    """The state (or territory / military code) a ZIP code's prefix belongs to."""
    return _STATE_OF_PREFIX.get(int(zip_code[:3]))


def regional_factor(state: str) -> float:
    return _FACTOR.get(state, 0.0)
