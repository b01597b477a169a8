"""The desk's home page."""

from __future__ import annotations

from flask import g
from werkzeug.wrappers import Response

from dealerhub.api import session
from dealerhub.db import now
from dealerhub.staff import overview
from dealerhub.staff.desk import render, tenant, view
from dealerhub.staff.roles import Permission
from dealerhub.staff.service import desk_timezone


@view("/", Permission.VIEW)
def home() -> Response:
    zone = g.desk_tz = desk_timezone(session(), tenant().dealer_id)
    data = overview.overview(session(), tenant(), at=now(), zone=zone)
    return render("staff/home.html", o=data)
