"""The OpenAPI description of what may be called without logging in: drive progress
JSON, the widget, the health check and Stripe's webhook intake.

The document is a static file (``static/openapi.json``) so it is reviewed like code;
``tests/production/test_openapi_fuzz.py`` runs schemathesis against it to keep it and
the app in agreement.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

bp = Blueprint("openapi", __name__)

DOCUMENT = "openapi.json"


@bp.get("/api/openapi.json")
def openapi_document() -> Response:
    response = current_app.send_static_file(DOCUMENT)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
