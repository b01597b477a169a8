"""Credit errors. A failed pull is an outcome worth keeping (the failed check, its event and
its audit entry are committed), so the provider error keeps the transaction's changes."""

from __future__ import annotations

from dealerhub.errors import InvalidRequest, ProviderError


class CreditProviderError(ProviderError):
    keeps_changes = True


class ConsentInsufficient(InvalidRequest):
    code = "consent_insufficient"
