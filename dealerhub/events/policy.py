"""Delivery policy from settings: retry schedule, lease, timeouts, retention.

Every value is a ``DEALERHUB_*`` option (see docs/configuration.md, "Events and webhooks").
Test mode retries over a shorter window, as Stripe's sandbox does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from dealerhub.config import Settings

DAY = 86400


@dataclass(frozen=True)
class DeliveryPolicy:
    base: int = 60
    cap: int = 6 * 3600
    window: int = 3 * DAY
    disable_after: int = 3 * DAY
    lease: int = 900
    timeout: float = 10.0
    # Retries due within this many seconds go to the broker with a countdown; later ones
    # are handed over by the periodic sweep (long broker ETAs are fragile).
    countdown_max: int = 300

    def delay(self, attempts: int) -> int:
        """Seconds before attempt ``attempts + 1``: exponential with "equal jitter", so the
        delay still grows each time while concurrent retries spread out."""
        ceiling = min(self.cap, self.base * 2 ** max(attempts - 1, 0))
        return max(1, int(random.uniform(ceiling / 2, ceiling)))  # noqa: S311 - jitter


def _int(settings: Settings, name: str, default: int) -> int:
    return int(settings.option(name, str(default)))


def policy_for(settings: Settings, livemode: bool) -> DeliveryPolicy:
    prefix = "WEBHOOK_" if livemode else "WEBHOOK_TEST_"
    window_default = 3 * DAY if livemode else 3 * 3600
    return DeliveryPolicy(
        base=_int(settings, prefix + "RETRY_BASE_SECONDS", 60),
        cap=_int(settings, prefix + "RETRY_CAP_SECONDS", 6 * 3600 if livemode else 3600),
        window=_int(settings, prefix + "RETRY_WINDOW_SECONDS", window_default),
        disable_after=_int(settings, "WEBHOOK_DISABLE_AFTER_SECONDS", 3 * DAY),
        lease=_int(settings, "WEBHOOK_LEASE_SECONDS", 900),
        timeout=float(settings.option("WEBHOOK_TIMEOUT_SECONDS", "10")),
        countdown_max=_int(settings, "WEBHOOK_COUNTDOWN_MAX_SECONDS", 300),
    )


@dataclass(frozen=True)
class PipelineOptions:
    """How the drain task works through due deliveries (docs/operations.md sizes them)."""

    # Deliveries claimed per transaction; also how many go out concurrently at most.
    batch_size: int = 200
    # Concurrent POSTs per worker process (threads sharing one keep-alive pool per host).
    max_in_flight: int = 32
    # A drain task hands over to a fresh signal after this long, so one backlog never
    # monopolises a worker slot (other tasks, such as settlements, share the workers).
    drain_seconds: float = 20.0


def pipeline_options(settings: Settings) -> PipelineOptions:
    return PipelineOptions(
        batch_size=max(1, _int(settings, "WEBHOOK_BATCH_SIZE", 200)),
        max_in_flight=max(1, _int(settings, "WEBHOOK_MAX_IN_FLIGHT", 32)),
        drain_seconds=float(settings.option("WEBHOOK_DRAIN_SECONDS", "20")),
    )


def retention_days(settings: Settings) -> int:
    return max(30, _int(settings, "EVENT_RETENTION_DAYS", 30))
