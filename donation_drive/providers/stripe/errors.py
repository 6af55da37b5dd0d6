"""What can go wrong when talking to Stripe, as domain errors: the web layer maps
each to a 4xx/5xx with a message, and callers never see an SDK exception."""

from __future__ import annotations

from ...errors import DonationDriveError, InvalidInput


class PaymentDeclined(DonationDriveError):
    """The card issuer (or Stripe's fraud checks) said no. Safe to show the donor."""

    status_code = 402

    def __init__(self, message: str, *, code: str | None = None, payment_id: str | None = None):
        super().__init__(message, "card")
        self.code = code
        self.payment_id = payment_id


class PaymentRejected(InvalidInput):
    """Stripe refused the request as malformed (an unknown card token, say)."""


class PaymentServiceUnavailable(DonationDriveError):
    """Stripe could not be reached or answered with an error of its own; try again."""

    status_code = 502


class InvalidWebhook(InvalidInput):
    """A webhook delivery whose signature, age or body is not acceptable."""
