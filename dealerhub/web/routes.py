"""The files a dealer website loads from the hub: ``dealerhub.js`` and its example page.

They are not API operations (no key, no JSON), so they sit on a plain Flask blueprint that
flask-smorest leaves out of openapi.json.
"""

from __future__ import annotations

import hashlib
from importlib import resources

from flask import Blueprint, Response, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from dealerhub.api import public

blp = Blueprint("web", __name__)

# Read once: the file ships inside the package and changes only with a release, and its
# digest makes a strong ETag so browsers revalidate cheaply.
SCRIPT = resources.files("dealerhub.web").joinpath("static/dealerhub.js").read_bytes()
SCRIPT_ETAG = hashlib.sha256(SCRIPT).hexdigest()[:32]


@blp.get("/js/v1/dealerhub.js")
@public
def script() -> BaseResponse:
    """dealerhub.js, v1: no build step, no CDN; any page may load it with a script tag."""
    response = Response(SCRIPT, mimetype="text/javascript")
    response.set_etag(SCRIPT_ETAG)
    response.headers["Cache-Control"] = "public, max-age=300"
    # A script tag needs no CORS, but module loaders and integrity checks fetch with it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


@blp.get("/examples/deposit")
@public
def deposit_example() -> str:
    """A vehicle deposit paid with dealerhub.js. The dealer's server creates the
    PaymentIntent with its secret key and hands the page the publishable key and the
    intent's client secret (here in the query string: ``?key=pk_test_…&client_secret=…``)."""
    return render_template(
        "web/deposit.html",
        hub_url=request.host_url.rstrip("/"),
        key=request.args.get("key", ""),
        client_secret=request.args.get("client_secret", ""),
        vehicle=request.args.get("vehicle", "2024 Example Roadster"),
    )
