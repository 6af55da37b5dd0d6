"""Domain errors. Each names the field at fault where there is one, so the web layer
maps it to a 4xx with a message and the CLI to an error naming the field."""

from __future__ import annotations


class DonationDriveError(Exception):
    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidInput(DonationDriveError):
    """A value a person typed or a peer sent is not acceptable."""


class InvalidAmount(InvalidInput):
    pass


class InvalidCurrency(InvalidInput):
    pass


class NotFound(DonationDriveError):
    status_code = 404


class UnknownDrive(NotFound):
    pass


class WorkLeftPending(DonationDriveError):
    """A job could not be done now (the SMTP server or Stripe is down, or refused
    for a while); what it did not do is kept for a later try. A command reports it
    on one line and exits non-zero, so cron or a monitor can tell."""

    status_code = 503


class Conflict(DonationDriveError):
    """The change is not allowed in the record's current state."""

    status_code = 409


class DriveNotTakingGifts(Conflict):
    """The drive's checkout takes no gifts now: it has not started, or it has ended
    and its settings do not keep it open."""
