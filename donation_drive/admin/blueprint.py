"""The admin blueprint. Every view under /admin/ needs a logged-in admin; a visitor
gets the login page (HTML) or 401 (JSON), never data."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, url_for
from flask_login import current_user

bp = Blueprint("admin", __name__, url_prefix="/admin")

PUBLIC_ENDPOINTS = {"admin.login"}


@bp.before_request
def require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    if request.accept_mimetypes.best == "application/json" or request.path.endswith(".json"):
        return jsonify({"error": "login required"}), 401
    return redirect(url_for("admin.login", next=request.full_path))


@bp.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response
