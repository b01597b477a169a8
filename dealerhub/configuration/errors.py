"""Configuration-specific errors (400s naming the configuration path)."""

from __future__ import annotations

from dealerhub.errors import InvalidRequest

CERT_PARAM = "credit_application.transunion.certificate_file"


class CertificateRejected(InvalidRequest):
    """An uploaded PKCS#12 cannot be used; ``code`` says why. The message never carries the
    password or the file's content."""

    def __init__(self, message: str, *, code: str, param: str = CERT_PARAM) -> None:
        super().__init__(message, param=param, code=code)
