"""Donor pages of monthly gifts: the checkout's monthly payment endpoint (the donate
page's script posts here when the donor chose "monthly"), its thank-you page, and
the manage page a signed link opens (change the amount, pause, resume, cancel, give
a new card). Every form and JSON call carries the CSRF token."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from itsdangerous import BadSignature, URLSafeSerializer

from ..amount_text import amount_example, parse_amount
from ..checkout.attempts import logged_attempt
from ..checkout.drive_status import refuse_unless_accepting
from ..checkout.form import parse_donation_form
from ..checkout.rate_limits import (
    email_key,
    email_limit,
    ip_limit,
    log_limited_attempt,
    no_email_given,
)
from ..errors import InvalidInput, NotFound
from ..extensions import db, limiter
from ..formatting import format_money
from ..i18n import html_lang, lang_query, request_locale, speaking
from ..json_api import json_api
from ..ledger import drive_progress, get_drive, schedule_of
from ..models import MonthlyGift
from ..widget.presentation import widget_view
from . import changes
from .installments import installments_of
from .start import catch_up, start_monthly_gift
from .tokens import gift_from_token

bp = Blueprint("monthly", __name__)
THANKS_SALT = "donation-drive/monthly-thank-you"


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _thanks_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=THANKS_SALT)


def every_month(amount: int, currency: str, locale: str) -> str:
    """ "$25.00 every month", in the language of the block it is called in."""
    return gettext("%(amount)s every month", amount=format_money(amount, currency, locale))


@bp.post("/donate/<slug>/monthly")
@json_api
@limiter.limit(ip_limit, on_breach=log_limited_attempt)
@limiter.limit(
    email_limit, key_func=email_key, exempt_when=no_email_given, on_breach=log_limited_attempt
)
def start(slug: str) -> Response:
    """The donation form as JSON (``frequency`` = ``monthly``) with a Stripe.js card
    token; answers where to go next, and the first installment's client secret when
    the card needs 3-D Secure."""
    data = request.get_json(silent=True)
    with logged_attempt(data.get("email") if isinstance(data, dict) else None) as attempt:
        drive = attempt.drive = get_drive(slug)
        refuse_unless_accepting(drive, schedule_of(drive))
        if not isinstance(data, dict):
            raise InvalidInput("send the donation form as JSON", "payload")
        if data.get("frequency", "monthly") != "monthly":
            raise InvalidInput("frequency must be monthly here", "frequency")
        form = parse_donation_form(data, drive)
        attempt.email, attempt.amount = form.donor.email, form.total
        outcome = start_monthly_gift(
            drive,
            amount=form.total,
            email=form.donor.email,
            name=form.donor.name,
            card_token=form.card_token,
        )
        attempt.outcome = outcome.status
    token = _thanks_serializer().dumps(outcome.gift_id)
    body: dict[str, object] = {
        "status": outcome.status,
        "redirect": url_for("monthly.thank_you", slug=drive.slug, token=token),
    }
    if outcome.client_secret:
        body["client_secret"] = outcome.client_secret
    return jsonify(body)


@bp.get("/donate/<slug>/monthly/thank-you/<token>")
def thank_you(slug: str, token: str) -> Response:
    try:
        gift_id = _thanks_serializer().loads(token)
    except BadSignature:
        raise NotFound("this thank-you link is not valid", "token") from None
    gift = db.session.get(MonthlyGift, gift_id) if isinstance(gift_id, int) else None
    if gift is None or gift.drive.slug != slug:
        raise NotFound("this thank-you link is not valid", "token")
    catch_up(gift)
    gift = db.session.get(MonthlyGift, gift_id, populate_existing=True)
    drive = gift.drive
    locale = request_locale(drive.locale)
    with speaking(locale):
        html = render_template(
            "monthly/thank_you.html",
            drive=drive,
            lang=html_lang(locale),
            lang_query=lang_query(locale, drive.locale),
            gift=gift,
            paid=bool(installments_of(gift)),
            progress=widget_view(drive_progress(slug), locale),
            every_month=every_month(gift.amount, gift.currency, locale),
        )
    return _private(Response(html, mimetype="text/html"))


# -- the manage page -------------------------------------------------------------------


def _actor(gift: MonthlyGift) -> str:
    return f"donor:{gift.donor_email}"


@bp.get("/monthly/manage/<token>")
def manage(token: str) -> Response:
    gift = gift_from_token(token)
    drive = gift.drive
    locale = drive.locale
    installments = [
        {
            "date": donation.received_at.date().isoformat(),
            "amount": format_money(donation.amount, donation.currency, locale),
            "refunded": format_money(donation.refunded_amount, donation.currency, locale)
            if donation.refunded_amount
            else None,
        }
        for donation in installments_of(gift)
    ]
    html = render_template(
        "monthly/manage.html",
        drive=drive,
        gift=gift,
        token=token,
        every_month=every_month(gift.amount, gift.currency, locale),
        installments=installments,
        amount_example=amount_example(gift.currency, locale),
        message=request.args.get("done"),
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
        stripe_js_url=current_app.config["STRIPE_JS_URL"],
        progress=widget_view(drive_progress(drive.slug)),
    )
    return _private(Response(html, mimetype="text/html"))


DONE = {
    "amount": "Your monthly amount is changed.",
    "pause": "Your monthly gift is paused.",
    "resume": "Your monthly gift runs again.",
    "cancel": "Your monthly gift is canceled.",
    "card": "Your new card is saved.",
}


def _back(token: str, done: str) -> Response:
    return redirect(url_for("monthly.manage", token=token, done=DONE[done]), code=303)


@bp.post("/monthly/manage/<token>/amount")
def manage_amount(token: str) -> Response:
    gift = gift_from_token(token)
    text = request.form.get("amount", "")
    amount = parse_amount(text, gift.currency, locale=gift.drive.locale)
    low = int(current_app.config["DONATION_MIN_AMOUNT"])
    high = int(current_app.config["DONATION_MAX_AMOUNT"])
    if not low <= amount <= high:
        locale = gift.drive.locale
        raise InvalidInput(
            f"choose an amount between {format_money(low, gift.currency, locale)} and "
            f"{format_money(high, gift.currency, locale)}",
            "amount",
        )
    changes.change_amount(gift, amount, actor=_actor(gift))
    return _back(token, "amount")


@bp.post("/monthly/manage/<token>/pause")
def manage_pause(token: str) -> Response:
    gift = gift_from_token(token)
    changes.pause(gift, actor=_actor(gift))
    return _back(token, "pause")


@bp.post("/monthly/manage/<token>/resume")
def manage_resume(token: str) -> Response:
    gift = gift_from_token(token)
    changes.resume(gift, actor=_actor(gift))
    return _back(token, "resume")


@bp.post("/monthly/manage/<token>/cancel")
def manage_cancel(token: str) -> Response:
    gift = gift_from_token(token)
    changes.cancel(gift, actor=_actor(gift))
    return _back(token, "cancel")


@bp.post("/monthly/manage/<token>/card-setup")
@json_api
def manage_card_setup(token: str) -> Response:
    gift = gift_from_token(token)
    return _private(jsonify({"client_secret": changes.start_card_update(gift)}))


@bp.post("/monthly/manage/<token>/card")
@json_api
def manage_card(token: str) -> Response:
    gift = gift_from_token(token)
    data = request.get_json(silent=True)
    setup_intent = data.get("setup_intent") if isinstance(data, dict) else None
    changes.finish_card_update(gift, setup_intent, actor=_actor(gift))
    return _private(
        jsonify({"redirect": url_for("monthly.manage", token=token, done=DONE["card"])})
    )
