"""What the ledger announces, for the modules that react to money moving (the
receipt outbox, privacy clean-up, metrics). The ledger imports none of them:
they subscribe, and ``create_app`` connects them (``donation_drive.subscriptions``).

Every signal is sent with the Flask app as its sender. Two kinds:

- **In the transaction** (``gift_counted``, ``gift_refunded``, ``gift_voided``,
  ``donor_erased``, ``donors_merged``): sent
  after the change is written and before the commit. A receiver writes through
  ``db.session``; its rows commit or roll back with the change, and are written
  again if the ledger retries the transaction. So a receiver does nothing that
  cannot be rolled back (no email sent, no counter bumped).
- **After the commit** (``totals_changed``): the change is durable; caches and
  metrics react here.
"""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace

from ..models import Donation

_signals = Namespace()

gift_counted = _signals.signal(
    "gift-counted",
    doc="In the transaction: ``gift`` now counts toward its drive (recorded or paid).",
)
gift_refunded = _signals.signal(
    "gift-refunded",
    doc="In the transaction: money of ``gift`` was given back; ``in_full`` when all of it.",
)
gift_voided = _signals.signal(
    "gift-voided",
    doc="In the transaction: ``gift``, an offline entry, was withdrawn.",
)
donor_erased = _signals.signal(
    "donor-erased",
    doc=(
        "In the transaction: a privacy request erased donor ``erasure`` (an Erasure): "
        "each module removes the donor's text from its own rows (the outbox its emails "
        "and their PDFs, webhook intake its stored payloads)."
    ),
)
donors_merged = _signals.signal(
    "donors-merged",
    doc="In the transaction: donor ``merged_id`` became part of ``kept_id``.",
)
totals_changed = _signals.signal(
    "totals-changed",
    doc=(
        "After the commit: what drive ``drive_id`` shows changed (its totals, or its "
        "title, goal or dates); ``counted_methods`` names the payment method of each "
        "gift that started counting in that commit."
    ),
)


@dataclass(frozen=True, slots=True)
class Gift:
    """A donation as the signals tell it: plain values, read inside the transaction."""

    donation_id: int
    drive_id: int
    amount: int  # minor units of currency
    currency: str
    method: str
    provider: str | None
    donor_email: str | None
    send_receipt: bool

    @classmethod
    def of(cls, donation: Donation) -> Gift:
        return cls(
            donation_id=donation.id,
            drive_id=donation.drive_id,
            amount=donation.amount,
            currency=donation.currency,
            method=donation.method,
            provider=donation.provider,
            donor_email=donation.donor_email,
            send_receipt=donation.send_receipt,
        )


@dataclass(frozen=True, slots=True)
class Erasure:
    """What a privacy request erased: the donor (and donors merged into them), their
    gifts, and the text that was held (so receivers can find it in their own rows)."""

    donor_ids: tuple[int, ...]
    donation_ids: tuple[int, ...]
    texts: tuple[str, ...]  # emails, names, messages as they were held
