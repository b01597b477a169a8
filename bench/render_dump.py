"""In-process cost of rendering one payment intent (one charge) as the API and every event
snapshot does: ``PaymentIntentSchema().dump(pi)`` (or, on older trees, the hand-built
``payments.render.payment_intent``), plus one charge.

    PYTHONPATH=. python bench/render_dump.py [--n 2000] [--rounds 5]

Prints the best-of-rounds microseconds per call; nothing is written to docs/.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from dealerhub.payments.models import Charge, PaymentIntent


def objects() -> tuple[Session, PaymentIntent, Charge]:
    """A succeeded intent with one charge, in a session (as the services hold them)."""
    session = Session(create_engine("sqlite://"))
    pi = PaymentIntent(
        id="pi_3PQx9bLk2Yt6Hn0aB1cD2eF3",
        dealer_id="dlr_1",
        livemode=False,
        created=1_764_000_000,
        amount=249_900,
        currency="usd",
        status="succeeded",
        customer_id="cus_Q1w2E3r4T5y6U7",
        payment_method_id="pm_Z9x8C7v6B5n4M3",
        payment_method_types=["card"],
        description="Deposit, stock #A1234",
        receipt_email="pat@example.com",
        shipping={
            "name": "Pat Doe",
            "phone": None,
            "address": {
                "line1": "1 Main St",
                "line2": None,
                "city": "Austin",
                "state": "TX",
                "postal_code": "78701",
                "country": "US",
            },
        },
        client_secret="pi_3PQx9bLk2Yt6Hn0aB1cD2eF3_secret_abcdefghijklmnopqrstuvwx",
        amount_received=249_900,
        latest_charge_id="ch_1A2b3C4d5E6f7G8h",
        metadata_={"stock": "A1234", "deal": "D-77"},
    )
    ch = Charge(
        id="ch_1A2b3C4d5E6f7G8h",
        dealer_id="dlr_1",
        livemode=False,
        created=1_764_000_000,
        payment_intent_id=pi.id,
        payment_method_id=pi.payment_method_id,
        amount=249_900,
        currency="usd",
        status="succeeded",
        captured=True,
        amount_captured=249_900,
        outcome={
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "type": "authorized",
            "seller_message": "Payment complete.",
            "checks": {"cvc_check": "pass"},
        },
    )
    session.add_all([pi, ch])
    session.info["pi_charges"] = {pi.id: [ch]}
    return session, pi, ch


def renderers(session: Session) -> dict[str, Callable[[Any], Any]]:
    try:
        from dealerhub.payments import render  # type: ignore[attr-defined]
    except ImportError:
        from dealerhub.payments.response_schemas import CHARGE, PAYMENT_INTENT

        return {"payment_intent": PAYMENT_INTENT.dump, "charge": CHARGE.dump}
    from dealerhub.payments.intents import charges_of

    return {
        "payment_intent": lambda pi: render.payment_intent(pi, charges_of(session, pi)),
        "charge": render.charge,
    }


def best(fn: Callable[[Any], Any], obj: Any, n: int, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            fn(obj)
        times.append((time.perf_counter() - start) / n * 1e6)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    session, pi, ch = objects()
    funcs = renderers(session)
    for name, obj in (("payment_intent", pi), ("charge", ch)):
        print(f"{name}: {best(funcs[name], obj, args.n, args.rounds):.1f} us/call")


if __name__ == "__main__":
    main()
