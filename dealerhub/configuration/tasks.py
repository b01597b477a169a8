"""Daily certificate-expiry notices, and re-encryption of certificate files on key rotation."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab
from sqlalchemy.orm import Session
from sqlmodel import select

from dealerhub import crypto
from dealerhub.config import Settings
from dealerhub.configuration.certificates import CertStore
from dealerhub.configuration.health import notify_certificate_expiry
from dealerhub.configuration.models import Certificate
from dealerhub.tasks import flask_app, register

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "certificate-expiry-notices": {
        "task": "dealerhub.configuration.tasks.certificate_expiry_notices",
        "schedule": crontab(hour=6, minute=5),
    },
}


@register
def certificate_expiry_notices() -> int:
    app = flask_app()
    with app.extensions["db"].transaction() as session:
        return notify_certificate_expiry(session)


def rotate_certificate_files(session: Session, settings: Settings) -> int:
    """``dealerhub keys rotate-encryption`` hook: re-encrypt every stored certificate file."""
    store = CertStore(settings.certs_dir)
    return sum(store.rotate(cert.path) for cert in session.scalars(select(Certificate)))


if rotate_certificate_files not in crypto.rotation_hooks:
    crypto.rotation_hooks.append(rotate_certificate_files)
