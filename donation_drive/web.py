"""Wiring of the web side: blueprints, error pages and security headers."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .errors import DonationDriveError
from .formatting import format_money
from .json_api import in_json_api
from .security import apply_security_headers


def _wants_json() -> bool:
    if request.path.startswith(("/api/", "/webhooks/")) or request.is_json or in_json_api():
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(status: int, message: str, field: str | None = None):
    if _wants_json():
        body: dict[str, object] = {"error": message}
        if field:
            body["field"] = field
        return jsonify(body), status
    return render_template("error.html", status=status, message=message, field=field), status


def register_web(app: Flask) -> None:
    from .admin import register_admin
    from .checkout.paypal import bp as checkout_paypal_bp
    from .checkout.views import bp as checkout_bp
    from .devmail.views import register_dev_mailbox
    from .health import bp as health_bp
    from .monthly.views import bp as monthly_bp
    from .openapi import bp as openapi_bp
    from .webhooks.paypal import bp as paypal_webhooks_bp
    from .webhooks.views import bp as webhooks_bp
    from .widget.oembed import bp as oembed_bp
    from .widget.response_cache import install as install_widget_response_cache
    from .widget.views import bp as widget_bp

    app.register_blueprint(widget_bp)
    app.register_blueprint(oembed_bp)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(monthly_bp)
    app.register_blueprint(checkout_paypal_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(paypal_webhooks_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(openapi_bp)
    register_admin(app)
    register_dev_mailbox(app)
    app.add_template_filter(format_money, "money")

    @app.errorhandler(DonationDriveError)
    def _domain_error(exc: DonationDriveError):
        return error_response(exc.status_code, exc.message, exc.field)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return error_response(400, f"The form expired or was forged: {exc.description}")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        body, status = error_response(exc.code or 500, exc.description or exc.name)
        response = app.make_response((body, status))
        # Keep the headers the error carries besides its body: Allow on a 405 (RFC 9110).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    app.after_request(apply_security_headers)
    install_widget_response_cache(app)
