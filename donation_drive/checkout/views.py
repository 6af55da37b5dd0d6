"""Donor pages: the checkout form, the payment endpoint its script calls, the
thank-you page and the cancel page. Views parse and check, call one function of
``payments``, and render; rate limits and the attempt log sit in front."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from ..amount_text import amount_example, format_amount_input
from ..errors import InvalidInput, NotFound
from ..extensions import db, limiter
from ..formatting import format_day, format_money
from ..i18n import html_lang, lang_query, request_locale, speaking
from ..json_api import json_api
from ..ledger import DriveState, Schedule, current_drive, drive_progress, get_drive, schedule_of
from ..models import Donation, Drive
from ..widget.oembed import discovery_links
from ..widget.presentation import widget_view
from .attempts import logged_attempt
from .drive_status import refuse_unless_accepting, schedule_notice
from .fees import fee_terms_text
from .form import amount_limits, parse_donation_form, quote_charge
from .links import donation_id_from, thank_you_url
from .payments import catch_up_with_stripe, start_card_payment
from .rate_limits import email_key, email_limit, ip_limit, log_limited_attempt, no_email_given
from .script_texts import script_texts

bp = Blueprint("checkout", __name__)


def _private(response: Response) -> Response:
    # Pages with a CSRF token or a donor's details: never in a shared cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _amount_choices(drive: Drive, locale: str) -> list[dict[str, str]]:
    # The value is amount text for the parser, always in the drive's locale; the label
    # is for reading, in the page's.
    return [
        {
            "value": format_amount_input(amount, drive.currency, drive.locale),
            "label": format_money(amount, drive.currency, locale, whole=True),
        }
        for amount in current_app.config["DONATION_PRESET_AMOUNTS"]
    ]


def _not_taking_gifts(drive: Drive, schedule: Schedule) -> Response:
    """An upcoming or ended drive's page: when it starts or what it raised, and a
    link to the drive that is taking gifts now, if there is one."""
    current = current_drive()
    locale = request_locale(drive.locale)
    with speaking(locale):
        html = render_template(
            "checkout/not_taking_gifts.html",
            drive=drive,
            lang=html_lang(locale),
            progress=widget_view(drive_progress(drive.slug), locale),
            notice=schedule_notice(drive, schedule, locale),
            ended=schedule.state == DriveState.ENDED,
            current=current,  # running, so never this drive
            current_ends=format_day(current.ends_at, locale) if current else None,
        )
    return _private(Response(html, mimetype="text/html"))


@bp.get("/donate/<slug>")
def donate(slug: str) -> Response:
    drive = get_drive(slug)
    schedule = schedule_of(drive)
    if not schedule.accepting_gifts:
        return _not_taking_gifts(drive, schedule)
    low, high = amount_limits()
    locale = request_locale(drive.locale)
    with speaking(locale):
        html = render_template(
            "checkout/donate.html",
            drive=drive,
            lang=html_lang(locale),
            # Sent back with the quote and on to the thank-you page: empty for the
            # drive's own language.
            chosen_lang=html_lang(locale) if lang_query(locale, drive.locale) else "",
            script_texts=script_texts(),
            notice=schedule_notice(drive, schedule, locale),
            progress=widget_view(drive_progress(slug), locale),
            presets=_amount_choices(drive, locale),
            min_amount=format_money(low, drive.currency, locale),
            max_amount=format_money(high, drive.currency, locale),
            # Amount text is read in the drive's locale, whatever the page speaks.
            amount_example=amount_example(drive.currency, drive.locale),
            fee_terms=fee_terms_text(drive.currency, locale),
            publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
            stripe_js_url=current_app.config["STRIPE_JS_URL"],
            # Stripe's test keys (and the emulator) take test cards and move no money.
            test_mode=current_app.config["STRIPE_PUBLISHABLE_KEY"].startswith("pk_test_"),
            oembed_links=discovery_links(
                current_app.config["PUBLIC_BASE_URL"].rstrip("/") + f"/donate/{drive.slug}",
                drive.title,
            ),
        )
    return _private(Response(html, mimetype="text/html"))


@bp.get("/donate/<slug>/quote")
@json_api
def quote(slug: str) -> Response:
    """What the card would be charged for ``?amount=`` as typed (in the drive's
    locale) and ``&cover_fee=``: the page shows it before the donor pays. It reads
    the amount with the payment API's own parser, so the two cannot disagree."""
    drive = get_drive(slug)
    charge = quote_charge(request.args, drive)
    # The label in the page's locale; the amount was read in the drive's.
    charge = replace(charge, locale=request_locale(drive.locale))
    response = jsonify(charge.as_json())
    return _private(response)


@bp.post("/donate/<slug>/payments")
@json_api
@limiter.limit(ip_limit, on_breach=log_limited_attempt)
@limiter.limit(
    email_limit, key_func=email_key, exempt_when=no_email_given, on_breach=log_limited_attempt
)
def start_payment(slug: str) -> Response:
    """JSON in (the form plus a Stripe.js card token), JSON out: where to go next,
    and the client secret when the card needs 3-D Secure. Errors are JSON too,
    with the field at fault."""
    data = request.get_json(silent=True)
    with logged_attempt(data.get("email") if isinstance(data, dict) else None) as attempt:
        drive = attempt.drive = get_drive(slug)
        refuse_unless_accepting(drive, schedule_of(drive))
        if data is None:
            raise InvalidInput("send the donation form as JSON", "payload")
        form = parse_donation_form(data, drive)
        attempt.email, attempt.amount = form.donor.email, form.total
        outcome = start_card_payment(drive, form)
        attempt.outcome = outcome.status
    body: dict[str, object] = {
        "status": outcome.status,
        "redirect": thank_you_url(drive.slug, outcome.donation_id),
    }
    if outcome.client_secret:
        body["client_secret"] = outcome.client_secret
    return jsonify(body)


@bp.get("/donate/<slug>/thank-you/<token>")
def thank_you(slug: str, token: str) -> Response:
    donation = db.session.get(Donation, donation_id_from(token))
    if donation is None or donation.drive.slug != slug:
        raise NotFound("this thank-you link is not valid", "token")
    donation = catch_up_with_stripe(donation)
    progress = drive_progress(slug)
    locale = request_locale(donation.drive.locale)
    with speaking(locale):
        html = render_template(
            "checkout/thank_you.html",
            drive=donation.drive,
            lang=html_lang(locale),
            lang_query=lang_query(locale, donation.drive.locale),
            donation=donation,
            progress=widget_view(progress, locale),
            amount=format_money(donation.amount, donation.currency, locale),
            fee=format_money(donation.fee_covered_amount, donation.currency, locale)
            if donation.fee_covered_amount
            else None,
        )
    return _private(Response(html, mimetype="text/html"))


@bp.get("/donate/<slug>/cancel")
def cancel(slug: str) -> Response:
    drive = get_drive(slug)
    locale = request_locale(drive.locale)
    with speaking(locale):
        html = render_template(
            "checkout/cancel.html",
            drive=drive,
            lang=html_lang(locale),
            progress=widget_view(drive_progress(slug), locale),
            donate_url=url_for("checkout.donate", slug=slug) + lang_query(locale, drive.locale),
        )
    return _private(Response(html, mimetype="text/html"))
