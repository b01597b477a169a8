"""Errors of staff accounts and desk sessions."""

from __future__ import annotations

from dealerhub.errors import DealerhubError, InvalidRequest


class LoginFailed(DealerhubError):
    status = 401
    type = "authentication_error"
    code = "login_failed"
    default_message = "Wrong e-mail or password."


class LoginThrottled(DealerhubError):
    status = 429
    type = "rate_limit_error"
    code = "login_throttled"
    default_message = "Too many failed logins; try again later."


class Forbidden(DealerhubError):
    status = 403
    type = "permission_error"
    code = "role_forbidden"
    default_message = "Your role does not allow this."


class PasswordRejected(InvalidRequest):
    code = "password_rejected"
