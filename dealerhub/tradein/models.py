"""The day cache of valuations: one row per valuation asked of a provider, found again by a
hash of what decides the value (provider, vehicle, mileage band, condition, options, ZIP)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from dealerhub.db import TenantMixin


class TradeinValuation(TenantMixin, table=True):
    __tablename__ = "tradein_valuations"
    __object_name__ = "tradein_valuation"
    __table_args__ = (
        Index("ix_tradein_valuations_lookup", "dealer_id", "livemode", "cache_key", "created"),
    )

    id: str = Field(primary_key=True, max_length=40)
    cache_key: str = Field(max_length=64)
    provider: str = Field(max_length=40)
    vehicle_id: str = Field(max_length=80)
    expires_at: int = Field(index=True)
    # the response body as first answered (amounts, provider, valued_at); no personal data
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
