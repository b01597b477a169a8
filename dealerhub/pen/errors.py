"""PEN errors. A refusal by PEN is not an error (it is a 200 with ``success: "Failed"``); these
are the cases where PEN gave no usable answer."""

from __future__ import annotations

from dealerhub.errors import ProviderError


class PenProviderError(ProviderError):
    code = "pen_unavailable"
