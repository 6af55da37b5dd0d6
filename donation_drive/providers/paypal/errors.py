"""What can go wrong when talking to PayPal, as domain errors (the web layer maps each
to a 4xx/5xx with a message; callers never see a ``requests`` exception)."""

from __future__ import annotations

from ...errors import DonationDriveError, InvalidInput


class PayPalUnavailable(DonationDriveError):
    """PayPal could not be reached, timed out or answered 5xx; try again later."""

    status_code = 502


class PayPalRejected(InvalidInput):
    """PayPal refused the request (4xx): an unknown order, a refund too large..."""

    def __init__(self, message: str, field: str | None = None, *, issue: str | None = None):
        super().__init__(message, field)
        self.issue = issue


class PayPalNotConfigured(DonationDriveError):
    """PayPal is off (its settings are unset)."""

    status_code = 404


class InvalidWebhook(InvalidInput):
    """A webhook delivery PayPal does not vouch for, or a body that is no event."""
