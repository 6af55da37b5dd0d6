"""The sentences the checkout's scripts (checkout.js, paypal.js) show, translated
on the server like the page: the page carries them as JSON in the form's
``data-texts`` attribute (the Content-Security-Policy forbids inline script).
``{amount}`` and ``{status}`` are filled in by the script."""

from __future__ import annotations

from flask_babel import gettext


def script_texts() -> dict[str, str]:
    return {
        "correct_field": gettext("Please correct the highlighted field."),
        "every_month": gettext("{amount} every month"),
        "will_be_charged": gettext("You will be charged {amount}."),
        "donate_amount": gettext("Donate {amount}"),
        "card_form_failed": gettext(
            "The card form could not be loaded. Please reload the page, or try again later."
        ),
        "check_card": gettext("Please check the card number, expiry date and security code."),
        "bank_confirms": gettext("Your bank asks you to confirm the payment…"),
        "choose_amount": gettext("Choose or enter an amount."),
        "checking_amount": gettext("Checking the amount…"),
        "check_amount": gettext("Please check the amount."),
        "sending_card": gettext("Sending your card to Stripe…"),
        "charging": gettext("Charging {amount}…"),
        "went_wrong": gettext("Something went wrong ({status}). Please try again."),
        "too_many": gettext("Too many attempts. Please wait a while before trying again."),
        "bank_declined": gettext("Your bank did not confirm the payment. No money was taken."),
        "opening_receipt": gettext("Thank you! Opening your receipt…"),
        "unreachable": gettext(
            "We could not reach the server. Check your connection and try again."
        ),
        "paypal_failed_to_load": gettext(
            "PayPal could not be loaded. Please reload the page, or give by card."
        ),
        "opening_paypal": gettext("Opening PayPal for {amount}…"),
        "confirming_paypal": gettext("Confirming your PayPal payment…"),
        "paypal_cancelled": gettext("The PayPal payment was cancelled. No money was taken."),
        "paypal_failed": gettext("PayPal could not take the payment. Please try again."),
    }
