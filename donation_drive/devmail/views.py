"""The development mailbox pages, ``/admin/dev/mailbox``: the list of caught messages
and one message with its headers, text, HTML and attachments. Registered only under
the development settings, so elsewhere the URLs do not exist (404).

The HTML part is never part of our page: it is the ``srcdoc`` of a sandboxed iframe
(no scripts, an opaque origin), escaped like any attribute value.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, render_template

from ..admin.blueprint import never_cache, require_login
from ..admin.navigation import navigation_context
from ..security import content_security_policy
from . import dev_mailbox_enabled
from .store import caught_message, caught_messages

bp = Blueprint("dev_mailbox", __name__, url_prefix="/admin/dev/mailbox")
bp.before_request(require_login)
bp.after_request(never_cache)
bp.context_processor(navigation_context)


def _message_page_policy() -> str:
    # The admin policy, except that styles may be inline: a srcdoc frame inherits its
    # parent's policy, and mail carries its styles inline. Scripts stay 'self' only (and
    # the sandbox allows none in the frame at all).
    return content_security_policy().replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'", 1
    )


@bp.get("/")
def index():
    config = current_app.config
    return render_template(
        "admin/dev_mailbox.html",
        messages=caught_messages(current_app.instance_path),
        smtp_address=f"{config['SMTP_HOST']}:{config['SMTP_PORT']}",
    )


@bp.get("/<key>")
def message(key: str):
    caught = caught_message(current_app.instance_path, key)
    if caught is None:
        abort(404, description="No caught message has this id (the mailbox may have been emptied).")
    response = current_app.make_response(
        render_template("admin/dev_mailbox_message.html", caught=caught)
    )
    response.headers["Content-Security-Policy"] = _message_page_policy()
    return response


def register_dev_mailbox(app: Flask) -> None:
    """Add the pages under the development settings; do nothing otherwise."""
    if dev_mailbox_enabled(app.config):
        app.register_blueprint(bp)
